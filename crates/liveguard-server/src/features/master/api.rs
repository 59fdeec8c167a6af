//! The master-data JSON API: live rooms, streamers and session plans. The operations and
//! the documents' validation are in [`super::service`]; each route's permission is declared
//! and checked in `mod.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use liveguard_core::MasterKind;
use serde_json::{Value, json};

use super::service::{self, *};
use crate::AppState;
use crate::http::auth::ApiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;

fn row_json(row: &liveguard_store::MasterRow) -> Value {
    let mut v = serde_json::from_str::<Value>(&row.data).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("id".into(), json!(row.id));
        m.insert("name".into(), json!(row.name));
        m.insert("created_at".into(), json!(row.created_at.rfc3339()));
    }
    v
}

async fn list(state: &AppState, kind: MasterKind) -> Result<Vec<Value>, ApiError> {
    Ok(state
        .store
        .masters(kind)
        .await?
        .iter()
        .map(row_json)
        .collect())
}

/// `GET /api/v1/rooms`
pub(crate) async fn list_rooms(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"rooms": list(&state, MasterKind::Room).await?}),
    ))
}

/// `GET /api/v1/streamers`
pub(crate) async fn list_streamers(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"streamers": list(&state, MasterKind::Streamer).await?}),
    ))
}

/// `GET /api/v1/plans`
pub(crate) async fn list_plans(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({"plans": list(&state, MasterKind::Plan).await?}),
    ))
}

/// `GET /api/v1/plans/{id}`
pub(crate) async fn get_plan(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(row_json(
        &state.store.master(MasterKind::Plan, id).await?,
    )))
}

/// `POST /api/v1/rooms`
pub(crate) async fn create_room(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<LiveRoom>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = service::create_room(&state, &p, b).await?;
    Ok((StatusCode::CREATED, Json(row_json(&row))))
}

/// `POST /api/v1/streamers`
pub(crate) async fn create_streamer(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<Streamer>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = service::create_streamer(&state, &p, b).await?;
    Ok((StatusCode::CREATED, Json(row_json(&row))))
}

/// `POST /api/v1/plans`
pub(crate) async fn create_plan(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<SessionPlan>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = service::create_plan(&state, &p, b).await?;
    Ok((StatusCode::CREATED, Json(row_json(&row))))
}

/// `PUT /api/v1/rooms/{id}`
pub(crate) async fn update_room(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<LiveRoom>,
) -> Result<Json<Value>, ApiError> {
    let row = service::change(&state, &p, id, Change::Room(b), None).await?;
    Ok(Json(row_json(&row)))
}

/// `PUT /api/v1/streamers/{id}`
pub(crate) async fn update_streamer(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Streamer>,
) -> Result<Json<Value>, ApiError> {
    let row = service::change(&state, &p, id, Change::Streamer(b), None).await?;
    Ok(Json(row_json(&row)))
}

/// `PUT /api/v1/plans/{id}`
pub(crate) async fn update_plan(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<SessionPlan>,
) -> Result<Json<Value>, ApiError> {
    let row = service::change(&state, &p, id, Change::Plan(b), None).await?;
    Ok(Json(row_json(&row)))
}
