//! The status JSON API.

use axum::Json;
use axum::extract::State;

use super::service::{self, SystemStatus};
use crate::AppState;
use crate::http::auth::ApiPrincipal;

/// `GET /api/v1/system`
pub(crate) async fn status(
    State(state): State<AppState>,
    ApiPrincipal(_p): ApiPrincipal,
) -> Json<SystemStatus> {
    Json(service::status(&state))
}
