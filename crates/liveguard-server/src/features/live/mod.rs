//! Live monitoring: sessions, event batches (HTTP and WebSocket), alerts, moderation, follow-ups, the console and the post-session report.

pub mod api;
pub mod pages;

use axum::routing::{get, post};
use liveguard_pipeline::{NatsConfig, PipelineConfig};

use crate::http::perms::Permission;
use crate::http::routes::{Access, RouteSet};
use crate::settings::LiveSettings;

/// This feature's routes, each declared once.
pub fn routes() -> RouteSet {
    RouteSet::new()
        .api("get", "/api/v1/live/sessions", Access::Perm(Permission::ViewLive), "Live sessions, newest first", api::list_sessions)
        .api("post", "/api/v1/live/sessions", Access::Perm(Permission::OperateLive), "Create a live session from an approved plan (lineup, frozen script, duty officer)", api::post_session)
        .api("get", "/api/v1/live/sessions/{id}", Access::Perm(Permission::ViewLive), "A live session with its counters", api::get_session)
        .api("post", "/api/v1/live/sessions/{id}/start", Access::Perm(Permission::OperateLive), "Start a planned session (events are accepted while it is live)", api::start_session)
        .api("post", "/api/v1/live/sessions/{id}/end", Access::Perm(Permission::OperateLive), "End a live session; its records are kept for live.retain_days", api::end_session)
        .api("post", "/api/v1/live/sessions/{id}/hold", Access::Perm(Permission::LegalHold), "Set or release the legal hold of a session's records", api::hold_session)
        .api("post", "/api/v1/live/sessions/{id}/events", Access::Perm(Permission::OperateLive), "Send a batch of live events (transcript, screen text, comments, product card, price, lottery); answered once stored", api::post_events)
        .api("get", "/api/v1/live/sessions/{id}/ws", Access::Perm(Permission::OperateLive), "WebSocket for event batches: one text frame per batch, answered in order by one frame each", api::ws)
        .api("get", "/api/v1/live/sessions/{id}/events", Access::Perm(Permission::ViewLive), "Stored events of a session, oldest first, with their findings", api::list_events)
        .api("get", "/api/v1/live/sessions/{id}/alerts", Access::Perm(Permission::ViewLive), "Alerts of a session, newest first", api::list_alerts)
        .api("get", "/api/v1/live/sessions/{id}/tasks", Access::Perm(Permission::ViewLive), "Promise follow-ups of a session", api::list_tasks)
        .api("get", "/api/v1/live/sessions/{id}/stream", Access::Perm(Permission::ViewLive), "Server-sent events of a session: event, alert, alert_update, session, lagged", api::stream)
        .api("get", "/api/v1/live/sessions/{id}/report", Access::Perm(Permission::ViewLive), "The post-session report", api::get_report)
        .api("post", "/api/v1/live/alerts/{id}/actions", Access::Perm(Permission::OperateLive), "Acknowledge or resolve an alert (resolve needs a reason; may open an incident)", api::post_alert_action)
        .api("post", "/api/v1/live/events/{id}/moderation", Access::Perm(Permission::OperateLive), "Record a moderation action on a comment (negative feedback may not be hidden)", api::post_moderation)
        .api("post", "/api/v1/live/tasks/{id}/close", Access::Perm(Permission::FollowUp), "Close a promise follow-up with a note", api::close_task)
        .page("/live", get(pages::list).post(pages::create))
        .page("/live/{id}", get(pages::console))
        .page("/live/{id}/report", get(pages::report_page))
        .page("/live/{id}/{verb}", post(pages::session_action))
        .page("/live/alerts/{id}/{verb}", post(pages::alert_action))
        .page("/live/events/{id}/moderate", post(pages::moderate))
        .page("/live/tasks/{id}/close", post(pages::close_task))
        .page("/static/live.js", get(pages::live_js))
}

/// The file in the data directory holding the key of the viewer pseudonyms.
pub const PSEUDONYM_KEY_FILE: &str = "viewer-pseudonym.key";

/// The pipeline's settings from the `[live]` section.
pub fn pipeline_config(s: &LiveSettings) -> PipelineConfig {
    PipelineConfig {
        queue_batches: s.queue_batches,
        batch_events_max: s.batch_events_max,
        commit_events_max: s.commit_events_max,
        nats: (!s.nats_url.is_empty()).then(|| NatsConfig {
            url: s.nats_url.clone(),
            stream: s.nats_stream.clone(),
            prefix: s.nats_prefix.clone(),
            max_bytes: s.nats_max_bytes,
            durable: s.nats_durable.clone(),
        }),
    }
}
