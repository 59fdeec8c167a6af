//! The live-monitoring JSON API: sessions linked to approved plans, event ingest over HTTP
//! and WebSocket, alerts and their decisions, promise follow-ups, comment moderation, the
//! console's event stream and the post-session report. The handlers are thin: the
//! operations are in [`super::service`], which the pages call too; each route's permission
//! is declared and checked in `mod.rs`.

use liveguard_core::{AlertState, SessionState};
use std::convert::Infallible;

use axum::Json;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::service::*;
use crate::AppState;
use crate::http::auth::ApiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::perms::Permission;

/// `GET /api/v1/live/sessions`
pub(crate) async fn list_sessions(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let rows = state.store.live_sessions().await?;
    Ok(Json(
        json!({"sessions": rows.iter().map(session_json).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/live/sessions`
pub(crate) async fn post_session(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(body): ApiJson<NewSessionBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let row = create_session(&state, &p, body).await?;
    Ok((StatusCode::CREATED, Json(session_json(&row))))
}

/// `GET /api/v1/live/sessions/{id}`
pub(crate) async fn get_session(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let row = state.store.live_session(id).await?;
    let stats = state.store.live_stats(id).await?;
    let mut v = session_json(&row);
    v["stats"] = stats_json(&stats);
    Ok(Json(v))
}

/// `POST /api/v1/live/sessions/{id}/start`
pub(crate) async fn start_session(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(session_json(
        &set_state(&state, &p, id, SessionState::Live).await?,
    )))
}

/// `POST /api/v1/live/sessions/{id}/end`
pub(crate) async fn end_session(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(session_json(
        &set_state(&state, &p, id, SessionState::Ended).await?,
    )))
}

/// `POST /api/v1/live/sessions/{id}/hold` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// Set or clear.
    pub legal_hold: bool,
    /// Why (a dispute, an investigation).
    pub reason: String,
}

/// `POST /api/v1/live/sessions/{id}/hold`
pub(crate) async fn hold_session(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<HoldBody>,
) -> Result<Json<Value>, ApiError> {
    let reason = reason_field("reason", Some(&body.reason), true)?.unwrap_or_default();
    let action = if body.legal_hold {
        "live.session.hold"
    } else {
        "live.session.release"
    };
    state
        .store
        .set_live_legal_hold(
            id,
            body.legal_hold,
            p.audit(action, "live_session").reason(reason),
        )
        .await?;
    Ok(Json(session_json(&state.store.live_session(id).await?)))
}

/// `POST /api/v1/live/sessions/{id}/events`
pub(crate) async fn post_events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<EventsBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(ingest(&state, id, body).await?))
}

/// `POST /api/v1/live/sessions/{id}/frames`
pub(crate) async fn post_frame(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<super::service::FrameBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(super::service::ingest_frame(&state, id, body).await?))
}

/// `GET /api/v1/live/sessions/{id}/ws`: a WebSocket for event batches. Each text frame is
/// one batch (`{"events": [...]}`, the same schema and bounds as the HTTP endpoint); each
/// is answered, in order, by one text frame: the HTTP endpoint's answer, or a problem
/// object (`code`, `title`, `field`) — a bad batch does not close the connection.
/// Authenticated like the API at the upgrade; with a browser session the `Origin` must be
/// this server (cross-site WebSocket requests carry cookies).
pub(crate) async fn ws(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<axum::response::Response, ApiError> {
    if matches!(p.via, crate::http::auth::Via::Session { .. }) {
        let get = |h: axum::http::HeaderName| {
            headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let origin = get(axum::http::header::ORIGIN);
        let host = get(axum::http::header::HOST);
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        if host.is_empty() || origin_host != Some(host.as_str()) {
            return Err(ApiError::Csrf);
        }
    }
    let upgrade =
        upgrade.map_err(|e| ApiError::BadBody(format!("expected a WebSocket upgrade: {e}")))?;
    let session = state.store.live_session(id).await?;
    if session.state != SessionState::Live {
        return Err(ApiError::Conflict(format!(
            "session {id} is {}; events are accepted only while it is live",
            session.state
        )));
    }
    let max = state.settings.request_bytes_max;
    Ok(upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| ws_loop(state, p, id, socket)))
}

/// The problem object of an error, as a WebSocket answer.
fn problem(e: &ApiError) -> Value {
    let (status, code, kind) = e.parts();
    if let ApiError::Internal(detail) = e {
        tracing::error!(error = %detail, "WebSocket batch failed with an internal error.");
    }
    let field = match e {
        ApiError::Validation { field, .. } => Some(field.clone()),
        _ => None,
    };
    json!({"type": kind, "title": e.to_string(), "status": status.as_u16(), "code": code, "field": field})
}

/// One batch per text frame, answered in order. The credential is checked again before
/// every batch and every [`crate::http::auth::CREDENTIAL_RECHECK_SECONDS`]; when it is revoked,
/// its user disabled or its role narrowed, the connection gets the problem and is closed.
async fn ws_loop(state: AppState, p: crate::http::auth::Principal, id: i64, mut socket: WebSocket) {
    let mut recheck = tokio::time::interval(std::time::Duration::from_secs(
        crate::http::auth::CREDENTIAL_RECHECK_SECONDS,
    ));
    recheck.tick().await;
    loop {
        let msg = tokio::select! {
            msg = socket.recv() => msg,
            _ = recheck.tick() => {
                if let Err(e) = crate::http::auth::recheck(&state, &p, Permission::OperateLive).await {
                    close_with(&mut socket, &e).await;
                    return;
                }
                continue;
            }
        };
        let Some(msg) = msg else { return };
        let reply = match msg {
            Ok(Message::Text(t)) => {
                if let Err(e) =
                    crate::http::auth::recheck(&state, &p, Permission::OperateLive).await
                {
                    close_with(&mut socket, &e).await;
                    return;
                }
                match serde_json::from_str::<EventsBody>(t.as_str()) {
                    Ok(body) => ingest(&state, id, body)
                        .await
                        .unwrap_or_else(|e| problem(&e)),
                    Err(e) => problem(&ApiError::BadBody(e.to_string())),
                }
            }
            Ok(Message::Binary(_)) => problem(&ApiError::BadBody(
                "send each batch as a text frame of JSON".into(),
            )),
            Ok(Message::Close(_)) | Err(_) => return,
            Ok(_) => continue,
        };
        if socket
            .send(Message::Text(reply.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
    }
}

/// Sends the problem of a failed credential check, then closes the WebSocket (policy
/// violation, 1008).
async fn close_with(socket: &mut WebSocket, e: &ApiError) {
    let _ = socket
        .send(Message::Text(problem(e).to_string().into()))
        .await;
    let _ = socket
        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
            code: 1008,
            reason: "credential no longer valid".into(),
        })))
        .await;
}

/// Paging of events.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Events after this id.
    #[serde(default)]
    pub after: Option<i64>,
    /// At most this many (≤ 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /api/v1/live/sessions/{id}/events`
pub(crate) async fn list_events(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    state.store.live_session(id).await?;
    let rows = state
        .store
        .live_events(
            id,
            crate::features::platform::service::cursor("after", q.after)?.unwrap_or(0),
            crate::features::platform::service::page_limit(q.limit, 100)?,
        )
        .await?;
    Ok(Json(json!({
        "events": rows.iter().map(event_json).collect::<Vec<_>>(),
        "next_after": rows.last().map(|r| r.id),
    })))
}

/// Alert filter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// open, acknowledged, escalated or resolved.
    #[serde(default)]
    pub state: Option<String>,
    /// At most this many (≤ 500).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// `GET /api/v1/live/sessions/{id}/alerts`
pub(crate) async fn list_alerts(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<AlertsQuery>,
) -> Result<Json<Value>, ApiError> {
    if let Some(s) = &q.state
        && s.parse::<AlertState>().is_err()
    {
        let known: Vec<&str> = AlertState::ALL.iter().map(|a| a.as_str()).collect();
        return Err(ApiError::field(
            "state",
            format!("must be one of {}", known.join(", ")),
        ));
    }
    state.store.live_session(id).await?;
    let rows = state
        .store
        .live_alerts(
            id,
            q.state.as_deref(),
            crate::features::platform::service::page_limit(q.limit, 100)?,
        )
        .await?;
    Ok(Json(
        json!({"alerts": rows.iter().map(alert_json).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/live/alerts/{id}/actions`
pub(crate) async fn post_alert_action(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AlertActionBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(alert_json(&alert_action(&state, &p, id, body).await?)))
}

/// `POST /api/v1/live/events/{id}/moderation`
pub(crate) async fn post_moderation(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ModerationBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mid = moderate(&state, &p, id, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": mid, "event_id": id})),
    ))
}

/// `POST /api/v1/live/tasks/{id}/close` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseTaskBody {
    /// How the promise was honoured.
    pub note: String,
}

/// `POST /api/v1/live/tasks/{id}/close`
pub(crate) async fn close_task(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CloseTaskBody>,
) -> Result<Json<Value>, ApiError> {
    close(&state, &p, id, &body.note).await?;
    Ok(Json(json!({"id": id, "state": "done"})))
}

/// `GET /api/v1/live/sessions/{id}/tasks`
pub(crate) async fn list_tasks(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    state.store.live_session(id).await?;
    let tasks = state.store.live_tasks(id).await?;
    Ok(Json(json!({"tasks": tasks.iter().map(|t| json!({
        "id": t.id, "event_id": t.event_id, "said": t.said, "phrase": t.phrase, "product_id": t.product_id,
        "state": t.state, "created_ms": t.created_ms.ms(), "closed_by": t.closed_by, "note": t.note,
    })).collect::<Vec<_>>()})))
}

/// `GET /api/v1/live/sessions/{id}/stream`: server-sent events `event`, `alert`,
/// `alert_update`, `session` and `lagged` for one session. Comments that need nothing are
/// sampled to at most 10 a second; everything else is sent.
pub(crate) async fn stream(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    state.store.live_session(id).await?;
    let rx = state.live.bus.subscribe();
    let mut recheck = tokio::time::interval(std::time::Duration::from_secs(
        crate::http::auth::CREDENTIAL_RECHECK_SECONDS,
    ));
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The credential is checked again on a timer; when it fails the stream says why in an
    // `auth` event and ends (security review F3).
    let stream = futures_util::stream::unfold(
        (rx, 0u64, 0u32, recheck, Some((state, p))),
        move |(mut rx, mut second, mut sent, mut recheck, caller)| async move {
            let (state, p) = caller?;
            loop {
                let received = tokio::select! {
                    r = rx.recv() => r,
                    _ = recheck.tick() => {
                        if let Err(e) = crate::http::auth::recheck(&state, &p, Permission::ViewLive).await {
                            let ev = Event::default().event("auth").data(problem(&e).to_string());
                            return Some((Ok(ev), (rx, second, sent, recheck, None)));
                        }
                        continue;
                    }
                };
                match received {
                    Ok(msg) if msg.session_id == id => {
                        if msg.routine_comment {
                            let now = std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .map(|d| d.as_secs())
                                .unwrap_or(0);
                            if now != second {
                                second = now;
                                sent = 0;
                            }
                            if sent >= 10 {
                                continue;
                            }
                            sent += 1;
                        }
                        let ev = Event::default().event(msg.kind).data(msg.json.clone());
                        return Some((Ok(ev), (rx, second, sent, recheck, Some((state, p)))));
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(n)) => {
                        let ev = Event::default().event("lagged").data(n.to_string());
                        return Some((Ok(ev), (rx, second, sent, recheck, Some((state, p)))));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// `GET /api/v1/live/sessions/{id}/report`
pub(crate) async fn get_report(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(report(&state, id).await?.to_json()))
}
