//! The push-target JSON API (administrators). Operations and validation are in
//! [`super::service`]; each route's permission is declared and checked in `mod.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::service::{self, TargetInput, TargetPatch};
use crate::AppState;
use crate::http::auth::ApiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;

fn view_json(v: &service::TargetView) -> Value {
    let mut j = json!(v);
    j["delivered"] = json!(v.outcome.delivered);
    j["failures_in_a_row"] = json!(v.outcome.failures);
    j["last_failure"] = json!(v.outcome.last_failure.as_ref().map(|(_, e)| e.to_string()));
    j
}

/// `GET /api/v1/push-targets`
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    let all = service::list(&state, &p).await?;
    Ok(Json(
        json!({"push_targets": all.iter().map(view_json).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/push-targets`
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<TargetInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let v = service::create(&state, &p, &b).await?;
    Ok((StatusCode::CREATED, Json(view_json(&v))))
}

/// `PATCH /api/v1/push-targets/{id}`
pub(crate) async fn change(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<TargetPatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(view_json(&service::change(&state, &p, id, &b).await?)))
}

/// `DELETE /api/v1/push-targets/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    service::delete(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/push-targets/{id}/test`
pub(crate) async fn test(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(match service::test(&state, &p, id).await? {
        Ok(()) => json!({"delivered": true}),
        Err(e) => json!({"delivered": false, "error": e.to_string()}),
    }))
}
