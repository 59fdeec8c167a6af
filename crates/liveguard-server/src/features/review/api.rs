//! The pre-broadcast review JSON API: products, submissions (text, .txt/.md/.docx, or an
//! image read by OCR) and the 初审 → 复审 → 终审 actions. The operations are in
//! [`super::service`], which the pages call too; each route's permission is declared and
//! checked in `mod.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use liveguard_review::{Action, ChecklistAnswer, FindingDecision};
use serde::Deserialize;
use serde_json::{Value, json};

use super::service::*;
use crate::AppState;
use crate::http::auth::ApiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;

/// Body limit of the upload routes (base64 of [`UPLOAD_BYTES_MAX`] plus JSON).
pub(crate) const UPLOAD_REQUEST_BYTES_MAX: usize = UPLOAD_BYTES_MAX / 3 * 4 + 64 * 1024;

/// `POST /api/v1/products`
pub(crate) async fn create_product(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<ProductBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (row, facts) = add_product(&state, &p, &b).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": row.id, "name": row.name, "category": row.category, "facts": facts})),
    ))
}

/// `PUT /api/v1/products/{id}`: replaces the product's facts (for example a new day in the
/// price history). Versions already screened keep their findings; the next version and
/// every new submission are screened against the new facts.
pub(crate) async fn update_product(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ProductBody>,
) -> Result<Json<Value>, ApiError> {
    let (row, facts) = change_product(&state, &p, id, &b).await?;
    Ok(Json(
        json!({"id": row.id, "name": row.name, "category": row.category, "facts": facts}),
    ))
}

/// `GET /api/v1/products`
pub(crate) async fn list_products(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let rows = state.store.products().await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "category": r.category, "facts": serde_json::from_str::<Value>(&r.data).unwrap_or(Value::Null)}))
        .collect();
    Ok(Json(json!({ "products": list })))
}

/// `POST /api/v1/submissions`: saves version 1 as a draft, screened.
pub(crate) async fn create_submission(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<SubmissionBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = create(&state, &p, b).await?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, id, None).await?.to_json()),
    ))
}

/// `GET /api/v1/submissions`: the queue, with due times and urgency.
pub(crate) async fn list_submissions(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "submissions": queue(&state, &p).await? })))
}

/// `GET /api/v1/submissions/{id}`
pub(crate) async fn get_submission(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(view(&state, id, None).await?.to_json()))
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum ActionBody {
    Submit,
    Decide {
        decisions: std::collections::BTreeMap<String, FindingDecision>,
    },
    Approve {
        checklist: std::collections::BTreeMap<String, ChecklistAnswer>,
        #[serde(default)]
        flag_final: bool,
    },
    Reject {
        required_changes: String,
    },
}

/// `POST /api/v1/submissions/{id}/actions`
pub(crate) async fn submission_action(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<ActionBody>,
) -> Result<Json<Value>, ApiError> {
    let action = match b {
        ActionBody::Submit => Action::Submit,
        ActionBody::Decide { decisions } => Action::Decide(decisions),
        ActionBody::Approve {
            checklist,
            flag_final,
        } => Action::Approve {
            checklist,
            flag_final,
        },
        ActionBody::Reject { required_changes } => Action::Reject { required_changes },
    };
    Ok(Json(act(&state, &p, id, action, None).await?.to_json()))
}

/// `PUT /api/v1/submissions/{id}/text`: the author saves a new version (screened again).
pub(crate) async fn edit_submission(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(c): ApiJson<Content>,
) -> Result<Json<Value>, ApiError> {
    edit(&state, &p, id, c).await?;
    Ok(Json(view(&state, id, None).await?.to_json()))
}

/// `GET /api/v1/notifications`: review state changes that concern the caller, newest
/// first — their own submissions approved, rejected or moved on by someone else, and
/// submissions arriving at a level the caller may review. Read from the audit log, so
/// it shows exactly what was committed.
pub(crate) async fn notifications(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "notifications": notifications_for(&state, &p).await?.iter().map(super::service::Notification::to_json).collect::<Vec<_>>() }),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_decodes_standard_and_url_safe() {
        assert_eq!(
            super::decode_base64("5YWo572R5pyA5L2O5Lu3").unwrap(),
            "全网最低价".as_bytes()
        );
        assert_eq!(super::decode_base64("aGk=").unwrap(), b"hi");
        assert!(super::decode_base64("a").is_none());
        assert_eq!(
            super::decode_base64("5YWo\n572R5pyA5L2O5Lu3").unwrap(),
            "全网最低价".as_bytes(),
            "line breaks are ignored"
        );
        assert!(super::decode_base64("$$$$").is_none());
    }
}
