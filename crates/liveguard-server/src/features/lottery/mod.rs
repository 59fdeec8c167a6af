//! Lotteries: definition and commitment, entrants, the draw, prize claims, and the public pages anyone can verify.

pub mod api;
pub mod pages;
pub mod service;

use axum::routing::{get, post};
use liveguard_core::{ClaimState, LotteryState};
use serde_json::json;

use crate::http::perms::Permission;
use crate::http::routes::{Access, Op, RouteSet, codes, schema_ref as r};

/// This feature's routes, each declared once with its permission and its API document.
pub fn routes() -> RouteSet {
    let view = Access::Perm(Permission::ViewLive);
    let operate = Access::Perm(Permission::OperateLive);
    let states = codes(LotteryState::ALL, LotteryState::as_str);
    RouteSet::new()
        .api(
            Op::get("/api/v1/lotteries", view, "Lotteries, newest first")
                .ok(json!({"type": "object", "properties": {"lotteries": {"type": "array", "items": r("LotterySummary")}}})),
            api::list,
        )
        .api(
            Op::post("/api/v1/lotteries", operate, "Define a lottery; the rules are checked (¥50,000 cap with multiple chances, disclosures) and stored as a draft")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["rules"], "properties": {
                    "session_id": {"type": "integer"}, "rules": r("LotteryRules")}}))
                .created(r("Lottery")),
            api::create,
        )
        .api(Op::get("/api/v1/lotteries/{id}", view, "One lottery").ok(r("Lottery")), api::get)
        .api(
            Op::post("/api/v1/lotteries/{id}/commit", operate, "Commit the rules (their digest is logged and published) before entry opens")
                .empty_body()
                .ok(r("Lottery")),
            api::commit,
        )
        .api(
            Op::post("/api/v1/lotteries/{id}/rules", operate, "Edit a draft's rules, or change committed rules only in the consumers' favour, with a reason")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["rules"], "properties": {
                    "rules": r("LotteryRules"), "reason": {"type": "string", "description": "required once the rules are committed"}}}))
                .ok(r("Lottery")),
            api::change,
        )
        .api_large(
            Op::post("/api/v1/lotteries/{id}/entrants", operate, "Close entry: commit the entrants (uploaded accounts or the session's keyword comments) as a Merkle root")
                .body(json!({"type": "object", "additionalProperties": false, "properties": {
                    "accounts": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 128}, "description": "an uploaded list of platform accounts"},
                    "from_session_comments": {"type": "boolean", "description": "take the viewers whose comments in the lottery's session contain the keyword"},
                    "exclusions": {"type": "object", "additionalProperties": {"type": "string"}, "description": "account → reason (staff, streamers, related accounts)"}}}))
                .ok(r("Lottery")),
            api::ENTRANTS_REQUEST_BYTES_MAX,
            api::entrants,
        )
        .api(
            Op::post("/api/v1/lotteries/{id}/draw", operate, "Draw with the drand round fixed by the draw time (fetched from the relays, or its signature given) or the revealed seed")
                .body(json!({"type": "object", "additionalProperties": false, "description": "without randomness, a drand lottery's round is fetched from lottery.drand_relays (and verified)", "properties": {"randomness": {"oneOf": [
                    {"type": "object", "required": ["kind", "round", "signature"], "properties": {"kind": {"const": "drand"}, "round": {"type": "integer"}, "signature": {"type": "string"}}},
                    {"type": "object", "required": ["kind", "seed", "commitment", "contribution"], "properties": {"kind": {"const": "commit_reveal"}, "seed": {"type": "string"}, "commitment": {"type": "string"}, "contribution": {"type": "string"}}}
                ]}}}))
                .ok(r("Lottery")),
            api::draw,
        )
        .api(
            Op::get("/api/v1/lotteries/{id}/claims", view, "The winners' prize claims; delivery data masked unless the role may see personal data")
                .ok(json!({"type": "object", "properties": {"claims": {"type": "array", "items": r("PrizeClaim")}}})),
            api::claims,
        )
        .api(
            Op::post("/api/v1/lotteries/{id}/claims/{position}/{verb}", Access::Perm(Permission::HandlePrizes), "Move a prize claim: claim (account checked against the winning code; delivery data sealed), correct (the delivery data, before shipping), ship, redeem, forfeit (after the deadline)")
                .param(json!({"name": "position", "in": "path", "required": true, "description": "the winner's place in the draw (0-based)", "schema": {"type": "integer", "minimum": 0}}))
                .param(json!({"name": "verb", "in": "path", "required": true, "schema": {"type": "string", "enum": ["claim", "correct", "ship", "redeem", "forfeit"]}}))
                .body(json!({"type": "object", "additionalProperties": false, "description": "claim: account and recipient; correct: recipient (before shipping); ship: carrier and tracking; redeem: note (optional); forfeit: nothing",
                    "properties": {
                        "account": {"type": "string", "minLength": 1, "maxLength": 128, "description": "the account the winner entered with; its entrant code must be the winning code"},
                        "recipient": {"type": "object", "additionalProperties": false, "required": ["name", "phone", "address"], "description": "delivery data: sealed at rest, masked by role, erased lottery.erase_personal_after_days after the claim closes",
                            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50}, "phone": {"type": "string", "pattern": "^[0-9+ -]{7,20}$"}, "address": {"type": "string", "minLength": 5, "maxLength": 200}}},
                        "carrier": {"type": "string", "minLength": 1, "maxLength": 50}, "tracking": {"type": "string", "minLength": 1, "maxLength": 64},
                        "note": {"type": "string", "maxLength": 500}}}))
                .ok(r("PrizeClaim")),
            api::claim_action,
        )
        .schema("Lottery", json!({"type": "object", "required": ["id", "title", "state", "rules", "rules_digest"], "properties": {
            "id": {"type": "integer"}, "session_id": {"type": ["integer", "null"]}, "title": {"type": "string"},
            "state": {"type": "string", "enum": states}, "rules": r("LotteryRules"), "rules_digest": r("Hash"),
            "entrants": {"type": ["object", "null"], "properties": {"count": {"type": "integer"}, "removed": {"type": "integer"}, "root": r("Hash"), "salt": {"type": "string"}}},
            "drand_round": {"type": ["integer", "null"], "description": "the quicknet round the draw time fixes"}, "seed": {"type": ["string", "null"]},
            "announcement": {"type": ["object", "null"], "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
            "winners": {"type": ["array", "null"], "items": {"type": "object", "properties": {"prize": {"type": "string"}, "index": {"type": "integer"}, "code": r("Hash")}}},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "retain_until": {"type": ["string", "null"]}}}))
        .schema("LotterySummary", json!({"type": "object", "description": "a lottery in a list: GET /api/v1/lotteries/{id} for its entrants, winners and announcement", "required": ["id", "title", "state", "rules_digest"], "properties": {
            "id": {"type": "integer"}, "session_id": {"type": ["integer", "null"]}, "title": {"type": "string"},
            "state": {"type": "string", "enum": states}, "rules_digest": r("Hash"), "drand_round": {"type": ["integer", "null"]},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "retain_until": {"type": ["string", "null"]}, "committed_at": {"type": ["string", "null"]}}}))
        .schema("PrizeClaim", json!({"type": "object", "required": ["position", "prize", "code", "state"], "properties": {
            "position": {"type": "integer"}, "prize": {"type": "string"}, "code": r("Hash"),
            "state": {"type": "string", "enum": codes(ClaimState::ALL, ClaimState::as_str)},
            "recipient": {"type": ["object", "null"], "description": "masked unless the caller may see personal data; null once erased", "properties": {"name": {"type": "string"}, "phone": {"type": "string"}, "address": {"type": "string"}}},
            "recipient_masked": {"type": "boolean"}, "carrier": {"type": ["string", "null"]}, "tracking": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]},
            "claimed_at": {"type": ["string", "null"]}, "shipped_at": {"type": ["string", "null"]}, "closed_at": {"type": ["string", "null"]},
            "personal_erase_at": {"type": ["string", "null"]}, "personal_erased_at": {"type": ["string", "null"]}, "updated_at": {"type": "string"}}}))
        .schema("LotteryRules", json!({"type": "object", "description": "docs/lottery.md; every field but seed_commitment is required",
            "required": ["title", "organiser", "contact", "prizes", "entry", "exclusions", "entry_opens_at", "entry_closes_at", "draw_at", "draw_method", "dedupe", "redemption", "redemption_deadline", "unclaimed", "delivery"],
            "properties": {"title": {"type": "string"}, "organiser": {"type": "string"}, "contact": {"type": "string"},
                "prizes": {"type": "array", "items": {"type": "object", "required": ["name", "kind", "unit_value_fen", "quantity"], "properties": {
                    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["cash", "goods", "coupon", "service", "virtual"]}, "unit_value_fen": {"type": "integer"}, "quantity": {"type": "integer"}}}},
                "entry": {"type": "object", "required": ["method"], "properties": {"method": {"type": "string", "enum": liveguard_lottery::ENTRY_METHODS}, "keyword": {"type": "string"}, "chances_per_entry": {"type": "integer", "minimum": 1}}},
                "exclusions": {"type": "array", "items": {"type": "string"}}, "entry_opens_at": {"type": "string"}, "entry_closes_at": {"type": "string"},
                "draw_at": {"type": "string", "format": "date-time"}, "draw_method": {"type": "string", "enum": liveguard_lottery::DRAW_METHODS},
                "dedupe": {"type": "string"}, "redemption": {"type": "string"}, "redemption_deadline": {"type": "string"}, "unclaimed": {"type": "string"},
                "delivery": {"type": "string"}, "seed_commitment": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}}))
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
