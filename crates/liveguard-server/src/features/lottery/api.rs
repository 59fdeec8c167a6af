//! The lottery JSON API: define, commit, close entry, draw, prize claims, and the public
//! verification API anyone can use without an account. The handlers are thin: the
//! operations are in [`super::service`], which the pages call too; each route's permission
//! is declared and checked in `mod.rs`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use liveguard_core::LotteryState;
use liveguard_store::LotteryRow;
use liveguard_store::Stamp;

use serde::Deserialize;
use serde_json::{Value, json};

use super::service::{self, *};
use crate::AppState;
use crate::http::auth::ApiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;

/// Body limit of the routes that close entry: an uploaded list of [`ENTRANTS_MAX`] accounts
/// of about 40 bytes each in JSON or a form, with its exclusions.
pub(crate) const ENTRANTS_REQUEST_BYTES_MAX: usize = 64 * 1024 * 1024;

/// The list view of a lottery: no entrants, winners or announcement (`GET` one for them).
pub(crate) fn lottery_summary_json(row: &LotteryRow) -> Value {
    json!({
        "id": row.id, "session_id": row.session_id, "title": row.title, "state": row.state,
        "rules_digest": row.rules_digest,
        "drand_round": drand_round(row),
        "created_at": row.created_at.rfc3339(), "updated_at": row.updated_at.rfc3339(),
        "retain_until": row.retain_until.map(Stamp::rfc3339), "committed_at": row.committed_at.map(Stamp::rfc3339),
    })
}

/// `GET /api/v1/lotteries`
pub(crate) async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let rows = state.store.lotteries().await?;
    Ok(Json(
        json!({"lotteries": rows.iter().map(lottery_summary_json).collect::<Vec<_>>()}),
    ))
}

/// `GET /api/v1/lotteries/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let meta = state.store.lottery_meta(id).await?;
    let docs = cached_docs(&state, &meta).await?;
    Ok(Json(lottery_json_with(
        &state.settings.lottery.public_url,
        &meta,
        docs.entrants(),
        docs.bundle.as_deref(),
        &docs.names,
    )))
}

/// `GET /public/lotteries/{id}`: what anyone may see and check (committed lotteries only).
pub(crate) async fn public(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let meta = state.store.lottery_meta(id).await?;
    if meta.state == LotteryState::Draft {
        return Err(ApiError::NotFound);
    }
    let docs = cached_docs(&state, &meta).await?;
    let mut v = lottery_json_with(
        &state.settings.lottery.public_url,
        &meta,
        docs.entrants(),
        docs.bundle.as_deref(),
        &docs.names,
    );
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
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let row = state.store.lottery(id).await?;
    // The stored JSON as it is: a million-entrant bundle is tens of MB, not worth a parse.
    let bundle = row.bundle.ok_or(ApiError::NotFound)?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"lottery-{id}.json\""),
            ),
        ],
        bundle,
    )
        .into_response())
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
    let docs = cached_docs(&state, &state.store.lottery_meta(id).await?).await?;
    let entrants = docs.entrants().ok_or(ApiError::NotFound)?;
    let code = q.code.to_ascii_lowercase();
    Ok(Json(match docs.inclusion_proof(&code) {
        Some((index, size, proof)) => {
            json!({"included": true, "index": index, "size": size, "proof": proof, "root": entrants.root})
        }
        None => json!({"included": false, "root": entrants.root,
            "removed": entrants.removals.iter().find(|r| r.code == code).map(|r| r.reason.clone())}),
    }))
}

/// Query of the entrant-code lookup.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccountQuery {
    account: String,
}

/// `GET /public/lotteries/{id}/code?account=…`: how a viewer learns their entrant code
/// (the one for the account they entered with), whether it is in the draw, removed (and
/// why), or unknown.
pub(crate) async fn public_code(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<AccountQuery>,
    parts: axum::http::request::Parts,
) -> Result<Json<Value>, ApiError> {
    lookup_allowed(&state, &parts)?;
    let account = check_account(&q.account)?;
    let docs = cached_docs(&state, &state.store.lottery_meta(id).await?).await?;
    let entrants = docs.entrants().ok_or(ApiError::NotFound)?;
    let found = lookup_code(&state, entrants, account)?;
    Ok(Json(
        json!({"code": found.code, "included": found.included, "removed": found.removed}),
    ))
}

/// `GET /api/v1/lotteries/{id}/claims`
pub(crate) async fn claims(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    state.store.lottery_meta(id).await?;
    let rows = state.store.lottery_claims(id).await?;
    log_personal_view(&state, &p, id, &rows).await?;
    Ok(Json(json!({
        "claims": rows.iter().map(|c| claim_json(&state, &p, c)).collect::<Vec<_>>()
    })))
}

/// `POST /api/v1/lotteries/{id}/claims/{position}/{verb}`
pub(crate) async fn claim_action(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path((id, position, verb)): Path<(i64, i64, String)>,
    ApiJson(body): ApiJson<ClaimBody>,
) -> Result<Json<Value>, ApiError> {
    let c = claim_step(&state, &p, id, position, &verb, body).await?;
    Ok(Json(claim_json(&state, &p, &c)))
}

/// `POST /api/v1/lotteries`
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(body): ApiJson<NewLotteryBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = service::create(&state, &p, body).await?;
    Ok((StatusCode::CREATED, Json(lottery_json(&state, &row).await?)))
}

/// `POST /api/v1/lotteries/{id}/commit`
pub(crate) async fn commit(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        lottery_json(&state, &service::commit(&state, &p, id).await?).await?,
    ))
}

/// `POST /api/v1/lotteries/{id}/rules`
pub(crate) async fn change(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        lottery_json(&state, &service::change(&state, &p, id, body).await?).await?,
    ))
}

/// `POST /api/v1/lotteries/{id}/entrants`
pub(crate) async fn entrants(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EntrantsBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        lottery_json(&state, &service::entrants(&state, &p, id, body).await?).await?,
    ))
}

/// `POST /api/v1/lotteries/{id}/draw`
pub(crate) async fn draw(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<DrawBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        lottery_json(&state, &service::draw(&state, &p, id, body).await?).await?,
    ))
}
