//! The consumer-desk JSON API. The handlers are thin: the operations are in
//! [`super::service`], which the pages call too; each route's permission is declared and
//! checked in `mod.rs` (and again by the service).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use liveguard_store::QueueFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use super::service::{self, ActionInput, CaseInput};
use crate::AppState;
use crate::http::auth::ApiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;

/// The queue's filters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// One state.
    #[serde(default)]
    pub state: Option<String>,
    /// One topic.
    #[serde(default)]
    pub topic: Option<String>,
    /// One kind.
    #[serde(default)]
    pub kind: Option<String>,
    /// One assignee (empty = unassigned).
    #[serde(default)]
    pub assignee: Option<String>,
    /// Only open cases.
    #[serde(default)]
    pub open: Option<bool>,
    /// Only cases with punitive-damages exposure (legal's list).
    #[serde(default)]
    pub exposure: Option<bool>,
    /// Page size (≤ 500).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Skip this many.
    #[serde(default)]
    pub offset: Option<i64>,
}

impl QueueQuery {
    /// The store filter; an unknown code names its parameter.
    pub(crate) fn filter(&self) -> Result<QueueFilter, ApiError> {
        fn code<T: std::str::FromStr<Err = liveguard_core::ParseError>>(
            name: &str,
            v: &Option<String>,
        ) -> Result<Option<T>, ApiError> {
            match v.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(v) => v
                    .parse()
                    .map(Some)
                    .map_err(|e: liveguard_core::ParseError| ApiError::field(name, e.to_string())),
            }
        }
        let limit = crate::features::platform::service::page_limit(self.limit, 100)?;
        let offset = self.offset.unwrap_or(0);
        if !(0..=1_000_000).contains(&offset) {
            return Err(ApiError::field("offset", "must be 0 to 1000000"));
        }
        Ok(QueueFilter {
            open_only: self.open.unwrap_or(false),
            state: code("state", &self.state)?,
            topic: code("topic", &self.topic)?,
            kind: code("kind", &self.kind)?,
            assignee: self.assignee.clone().map(|a| a.trim().to_string()),
            exposure_only: self.exposure.unwrap_or(false),
            limit,
            offset,
        })
    }
}

/// `GET /api/v1/cases`
pub(crate) async fn list(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Query(q): Query<QueueQuery>,
) -> Result<Json<Value>, ApiError> {
    let rows = service::queue(&state, &p, &q.filter()?).await?;
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let clocks = state.store.open_clocks_of(&ids).await?;
    let cases: Vec<Value> = rows
        .iter()
        .map(|c| {
            let mine: Vec<_> = clocks
                .iter()
                .filter(|k| k.case_id == c.id)
                .cloned()
                .collect();
            service::case_json(&state, &p, c, &mine)
        })
        .collect();
    Ok(Json(json!({ "cases": cases })))
}

/// `POST /api/v1/cases`
pub(crate) async fn create(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<CaseInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (id, new) = service::create(&state, &p, &b).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(full_json(&state, &p, id).await?)))
}

async fn full_json(
    state: &AppState,
    p: &crate::http::auth::Principal,
    id: i64,
) -> Result<Value, ApiError> {
    let case = state.store.case(id).await?;
    let clocks = state.store.case_clocks(id).await?;
    let mut v = service::case_json(state, p, &case, &clocks);
    v["messages"] = json!(state
        .store
        .case_messages(id)
        .await?
        .iter()
        .map(|m| json!({"kind": m.kind, "author": m.author, "body": m.body, "decision": m.decision, "created_at": m.created_ms.rfc3339()}))
        .collect::<Vec<_>>());
    Ok(v)
}

/// `GET /api/v1/cases/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(full_json(&state, &p, id).await?))
}

/// `POST /api/v1/cases/{id}/{verb}`
pub(crate) async fn act(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path((id, verb)): Path<(i64, String)>,
    ApiJson(b): ApiJson<ActionInput>,
) -> Result<Json<Value>, ApiError> {
    service::act(&state, &p, id, &verb, &b).await?;
    Ok(Json(full_json(&state, &p, id).await?))
}

/// `POST /api/v1/cases/import`
pub(crate) async fn import(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<super::import::ImportInput>,
) -> Result<Json<Value>, ApiError> {
    let report = super::import::run(&state, &p, &b).await?;
    Ok(Json(json!(report)))
}
