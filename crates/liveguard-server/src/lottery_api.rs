//! Lotteries in the server: define (rules checked with citations), commit (digest published
//! before entry opens), close entry (entrants from an uploaded list or from the session's
//! comments with the keyword, committed as a Merkle root), draw (drand round signature or
//! revealed seed), and the public verification API anyone can use without an account.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use liveguard_lottery::{Bundle, Entrants, LotteryRules, Randomness};
use liveguard_store::{LotteryRow, LotteryStep};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::ApiJson;
use crate::auth::ApiPrincipal;
use crate::error::ApiError;
use crate::perms::Permission;

/// Most entrants one lottery takes from an uploaded list.
pub(crate) const ENTRANTS_MAX: usize = 1_000_000;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

fn rules_of(row: &LotteryRow) -> Result<LotteryRules, ApiError> {
    serde_json::from_str(&row.rules).map_err(internal)
}

/// The JSON view of a lottery (public parts only: no accounts, only entrant codes).
pub(crate) fn lottery_json(row: &LotteryRow) -> Value {
    let entrants: Option<Entrants> = row
        .entrants
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());
    let bundle: Option<Bundle> = row
        .bundle
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok());
    json!({
        "id": row.id, "session_id": row.session_id, "title": row.title, "state": row.state,
        "rules": serde_json::from_str::<Value>(&row.rules).unwrap_or(Value::Null),
        "rules_digest": row.rules_digest,
        "entrants": entrants.as_ref().map(|e| json!({"count": e.codes.len(), "removed": e.removals.len(), "root": e.root, "salt": e.salt})),
        "drand_round": serde_json::from_str::<LotteryRules>(&row.rules).ok()
            .and_then(|r| liveguard_lottery::time_of(&r.draw_at)).map(liveguard_lottery::quicknet_round_at),
        "seed": bundle.as_ref().map(|b| b.seed.clone()),
        "announcement": bundle.as_ref().map(|b| announcement(row.id, b)),
        "winners": bundle.as_ref().map(|b| b.winners.clone()),
        "created_at": row.created_at, "updated_at": row.updated_at,
    })
}

/// The text the streamer reads and posts after the draw (zh first, en second): prizes with
/// the winners' entrant codes (first 12 digits), how to claim, where to verify.
pub(crate) fn announcement(id: i64, b: &Bundle) -> Value {
    let lines_zh: Vec<String> = b
        .winners
        .iter()
        .map(|w| format!("「{}」：参与者编码 {}…", w.prize, &w.code[..12]))
        .collect();
    let lines_en: Vec<String> = b
        .winners
        .iter()
        .map(|w| format!("{}: entrant code {}…", w.prize, &w.code[..12]))
        .collect();
    json!({
        "zh": format!(
            "【{}】开奖结果公布（共 {} 人参与，随机数来自公开的 drand/承诺揭示，任何人可验证）：\n{}\n兑奖：{}（截止 {}）。逾期：{}\n验证：/public/lotteries/{id}/verify",
            b.rules.title, b.entrants.codes.len(), lines_zh.join("\n"), b.rules.redemption, b.rules.redemption_deadline, b.rules.unclaimed
        ),
        "en": format!(
            "{} — results ({} entrants; public randomness, verifiable by anyone):\n{}\nClaim: {} (by {}). Unclaimed: {}\nVerify: /public/lotteries/{id}/verify",
            b.rules.title, b.entrants.codes.len(), lines_en.join("\n"), b.rules.redemption, b.rules.redemption_deadline, b.rules.unclaimed
        ),
    })
}

/// `POST /api/v1/lotteries` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewLotteryBody {
    /// The live session (optional).
    #[serde(default)]
    pub(crate) session_id: Option<i64>,
    /// The rules.
    pub(crate) rules: LotteryRules,
}

fn check(rules: &LotteryRules) -> Result<(), ApiError> {
    let problems = rules.check();
    if let Some(first) = problems.first() {
        let all = problems
            .iter()
            .map(|p| {
                format!(
                    "{} ({}: {})",
                    p.message,
                    p.rule,
                    p.citations
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join("；")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::field(&format!("rules.{}", first.field), all));
    }
    if liveguard_lottery::time_of(&rules.draw_at).is_none() {
        return Err(ApiError::field("rules.draw_at", "must be an RFC 3339 time"));
    }
    Ok(())
}

/// `POST /api/v1/lotteries`
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(body): ApiJson<NewLotteryBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    p.require(Permission::OperateLive)?;
    check(&body.rules)?;
    if let Some(s) = body.session_id {
        state
            .store
            .live_session(s)
            .await
            .map_err(|_| ApiError::field("session_id", format!("no live session {s}")))?;
    }
    let rules = serde_json::to_string(&body.rules).map_err(internal)?;
    let id = state
        .store
        .create_lottery(
            body.session_id,
            &body.rules.title,
            &rules,
            &body.rules.digest(),
            p.audit("lottery.create", "lottery:new"),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(lottery_json(&state.store.lottery(id).await?)),
    ))
}

/// `GET /api/v1/lotteries`
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewLive)?;
    let rows = state.store.lotteries().await?;
    Ok(Json(
        json!({"lotteries": rows.iter().map(lottery_json).collect::<Vec<_>>()}),
    ))
}

/// `GET /api/v1/lotteries/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewLive)?;
    Ok(Json(lottery_json(&state.store.lottery(id).await?)))
}

/// `POST /api/v1/lotteries/{id}/commit`: publishes the rules digest; entry may open.
pub(crate) async fn commit(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::OperateLive)?;
    let row = state.store.lottery(id).await?;
    let rules = rules_of(&row)?;
    check(&rules)?;
    let audit = p
        .audit("lottery.commit", "lottery")
        .digest_values(None, Some(row.rules_digest.clone()))
        .reason(format!("rules digest {}", row.rules_digest));
    let row = state
        .store
        .lottery_step(
            id,
            LotteryStep {
                from: "draft",
                to: "committed",
                rules: None,
                entrants: None,
                bundle: None,
            },
            audit,
        )
        .await?;
    Ok(Json(lottery_json(&row)))
}

/// `POST /api/v1/lotteries/{id}/rules` body: a change after commit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeBody {
    rules: LotteryRules,
    reason: String,
}

/// `POST /api/v1/lotteries/{id}/rules`: changes committed rules, only in the consumers'
/// favour, with a reason; the new digest is logged.
pub(crate) async fn change(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::OperateLive)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::field("reason", "is required"));
    }
    let row = state.store.lottery(id).await?;
    let old = rules_of(&row)?;
    let problems = old.change_after_start(&body.rules);
    if let Some(first) = problems.first() {
        return Err(ApiError::field(
            &format!("rules.{}", first.field),
            problems
                .iter()
                .map(|p| p.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    let new_digest = body.rules.digest();
    let audit = p
        .audit("lottery.change", "lottery")
        .digest_values(Some(row.rules_digest.clone()), Some(new_digest.clone()))
        .reason(body.reason.trim().to_string());
    let row = state
        .store
        .lottery_step(
            id,
            LotteryStep {
                from: "committed",
                to: "committed",
                rules: Some((
                    serde_json::to_string(&body.rules).map_err(internal)?,
                    new_digest,
                )),
                entrants: None,
                bundle: None,
            },
            audit,
        )
        .await?;
    Ok(Json(lottery_json(&row)))
}

/// `POST /api/v1/lotteries/{id}/entrants` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntrantsBody {
    /// Accounts of an uploaded list (platform ids); or
    #[serde(default)]
    pub(crate) accounts: Vec<String>,
    /// take the viewers whose comments in the lottery's session contain the keyword.
    #[serde(default)]
    pub(crate) from_session_comments: bool,
    /// Excluded accounts → reason (staff, streamers, agency and related accounts).
    #[serde(default)]
    pub(crate) exclusions: HashMap<String, String>,
}

/// `POST /api/v1/lotteries/{id}/entrants`: closes entry and commits the entrants.
pub(crate) async fn entrants(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EntrantsBody>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::OperateLive)?;
    let row = state.store.lottery(id).await?;
    let rules = rules_of(&row)?;
    let mut accounts = body.accounts;
    if body.from_session_comments {
        let session = row.session_id.ok_or_else(|| {
            ApiError::field("from_session_comments", "the lottery has no live session")
        })?;
        let keyword = rules.entry.keyword.clone().unwrap_or_default();
        let mut after = 0;
        loop {
            let page = state.store.live_events(session, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for e in page.iter().filter(|e| e.kind == "comment") {
                if let Ok(pe) = serde_json::from_str::<liveguard_live::Processed>(&e.body)
                    && pe
                        .text
                        .as_deref()
                        .is_some_and(|t| !keyword.is_empty() && t.contains(&keyword))
                    && let Some(v) = pe.viewer
                {
                    // Viewers are already keyed digests: the platform id never reaches here.
                    accounts.push(v);
                }
            }
            if accounts.len() > ENTRANTS_MAX {
                break;
            }
        }
    }
    if accounts.is_empty() {
        return Err(ApiError::field(
            "accounts",
            "no entrants: upload accounts or take them from the session's comments",
        ));
    }
    if accounts.len() > ENTRANTS_MAX || accounts.iter().any(|a| a.is_empty() || a.len() > 128) {
        return Err(ApiError::field(
            "accounts",
            format!("at most {ENTRANTS_MAX} accounts of 1 to 128 bytes"),
        ));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(internal)?;
    let committed = liveguard_lottery::commit_entrants(
        &salt,
        accounts.iter().map(String::as_str),
        &body.exclusions,
    );
    let audit = p
        .audit("lottery.entrants", "lottery")
        .digest_values(None, Some(committed.root.clone()))
        .reason(format!(
            "{} entrants, {} removed, root {}",
            committed.codes.len(),
            committed.removals.len(),
            committed.root
        ));
    let row = state
        .store
        .lottery_step(
            id,
            LotteryStep {
                from: "committed",
                to: "closed",
                rules: None,
                entrants: Some(serde_json::to_string(&committed).map_err(internal)?),
                bundle: None,
            },
            audit,
        )
        .await?;
    Ok(Json(lottery_json(&row)))
}

/// `POST /api/v1/lotteries/{id}/draw` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DrawBody {
    /// The drand round's signature (the round is fixed by the draw time) or the revealed
    /// seed with the independent contribution.
    pub(crate) randomness: Randomness,
}

/// `POST /api/v1/lotteries/{id}/draw`
pub(crate) async fn draw(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<DrawBody>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::OperateLive)?;
    let row = state.store.lottery(id).await?;
    let rules = rules_of(&row)?;
    let entrants: Entrants = serde_json::from_str(row.entrants.as_deref().ok_or_else(|| {
        ApiError::Conflict(format!("lottery {id} has no committed entrants yet"))
    })?)
    .map_err(internal)?;
    let at = liveguard_lottery::time_of(&rules.draw_at)
        .ok_or_else(|| ApiError::field("rules.draw_at", "must be an RFC 3339 time"))?;
    let bundle = liveguard_lottery::draw(&rules, entrants, body.randomness, at)
        .map_err(|e| ApiError::field("randomness", e.to_string()))?;
    let audit = p
        .audit("lottery.draw", "lottery")
        .digest_values(None, Some(bundle.seed.clone()))
        .reason(
            json!({"seed": bundle.seed, "winners": bundle.winners.iter().map(|w| &w.code).collect::<Vec<_>>()})
                .to_string(),
        );
    let row = state
        .store
        .lottery_step(
            id,
            LotteryStep {
                from: "closed",
                to: "drawn",
                rules: None,
                entrants: None,
                bundle: Some(serde_json::to_string(&bundle).map_err(internal)?),
            },
            audit,
        )
        .await?;
    Ok(Json(lottery_json(&row)))
}

/// `GET /public/lotteries/{id}`: what anyone may see and check (committed lotteries only).
pub(crate) async fn public(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let row = state.store.lottery(id).await?;
    if row.state == "draft" {
        return Err(ApiError::NotFound);
    }
    let mut v = lottery_json(&row);
    v["verify"] = json!({
        "bundle": format!("/public/lotteries/{id}/bundle.json"),
        "inclusion": format!("/public/lotteries/{id}/inclusion?code=ENTRANT_CODE"),
        "offline": "liveguard lottery verify bundle.json",
    });
    Ok(Json(v))
}

/// `GET /public/lotteries/{id}/bundle.json`: the proof bundle after the draw.
pub(crate) async fn public_bundle(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let row = state.store.lottery(id).await?;
    let bundle = row.bundle.ok_or(ApiError::NotFound)?;
    Ok(Json(serde_json::from_str(&bundle).map_err(internal)?))
}

/// Query of the inclusion check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeQuery {
    code: String,
}

/// `GET /public/lotteries/{id}/inclusion?code=…`: whether an entrant code is in the
/// committed list, with its Merkle proof.
pub(crate) async fn public_inclusion(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
) -> Result<Json<Value>, ApiError> {
    if q.code.len() != 64 || !q.code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::field(
            "code",
            "must be a 64-digit hex entrant code",
        ));
    }
    let row = state.store.lottery(id).await?;
    let entrants: Entrants =
        serde_json::from_str(row.entrants.as_deref().ok_or(ApiError::NotFound)?)
            .map_err(internal)?;
    let code = q.code.to_ascii_lowercase();
    Ok(Json(
        match liveguard_lottery::inclusion_proof(&entrants, &code) {
            Some((index, size, proof)) => {
                json!({"included": true, "index": index, "size": size, "proof": proof, "root": entrants.root})
            }
            None => json!({"included": false, "root": entrants.root,
            "removed": entrants.removals.iter().find(|r| r.code == code).map(|r| r.reason.clone())}),
        },
    ))
}
