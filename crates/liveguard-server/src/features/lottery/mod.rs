//! Lotteries: definition and commitment, entrants, the draw, prize claims, and the public pages anyone can verify.

pub mod api;
pub mod pages;

use axum::routing::{get, post};

use crate::http::perms::Permission;
use crate::http::routes::{Access, RouteSet};

/// This feature's routes, each declared once.
pub fn routes() -> RouteSet {
    RouteSet::new()
        .api("get", "/api/v1/lotteries", Access::Perm(Permission::ViewLive), "Lotteries, newest first", api::list)
        .api("post", "/api/v1/lotteries", Access::Perm(Permission::OperateLive), "Define a lottery; the rules are checked (¥50,000 cap with multiple chances, disclosures) and stored as a draft", api::create)
        .api("get", "/api/v1/lotteries/{id}", Access::Perm(Permission::ViewLive), "One lottery", api::get)
        .api("post", "/api/v1/lotteries/{id}/commit", Access::Perm(Permission::OperateLive), "Commit the rules (their digest is logged and published) before entry opens", api::commit)
        .api("post", "/api/v1/lotteries/{id}/rules", Access::Perm(Permission::OperateLive), "Edit a draft's rules, or change committed rules only in the consumers' favour, with a reason", api::change)
        .api_large("post", "/api/v1/lotteries/{id}/entrants", Access::Perm(Permission::OperateLive), "Close entry: commit the entrants (uploaded accounts or the session's keyword comments) as a Merkle root", crate::features::lottery::api::ENTRANTS_REQUEST_BYTES_MAX, api::entrants)
        .api("post", "/api/v1/lotteries/{id}/draw", Access::Perm(Permission::OperateLive), "Draw with the drand round fixed by the draw time (fetched from the relays, or its signature given) or the revealed seed", api::draw)
        .api("get", "/api/v1/lotteries/{id}/claims", Access::Perm(Permission::ViewLive), "The winners' prize claims; delivery data masked unless the role may see personal data", api::claims)
        .api("post", "/api/v1/lotteries/{id}/claims/{position}/{verb}", Access::Perm(Permission::HandlePrizes), "Move a prize claim: claim (account checked against the winning code; delivery data sealed), correct (the delivery data, before shipping), ship, redeem, forfeit (after the deadline)", api::claim_action)
        .page_large("/lotteries/{id}/entrants", post(pages::entrants_action), crate::features::lottery::api::ENTRANTS_REQUEST_BYTES_MAX)
        .page("/public/lotteries/{id}/verify", get(pages::verify_page))
        .page("/lotteries", get(pages::list).post(pages::create))
        .page("/lotteries/{id}", get(pages::detail))
        .page("/lotteries/{id}/{verb}", post(pages::action))
        .page("/lotteries/{id}/claims/{position}/{verb}", post(pages::claim_action))
        .page("/public/lotteries/{id}/code", get(api::public_code))
        // Public by design (issue 6): anyone may check a committed lottery and its draw.
        .page("/public/lotteries/{id}", get(api::public))
        .page("/public/lotteries/{id}/bundle.json", get(api::public_bundle))
        .page("/public/lotteries/{id}/inclusion", get(api::public_inclusion))
}
