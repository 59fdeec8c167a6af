//! Live monitoring: sessions, event batches (HTTP and WebSocket), alerts, moderation, follow-ups, the console and the post-session report.

pub mod api;
pub mod pages;
pub mod service;

use axum::routing::{get, post};
use liveguard_core::{AlertState, SessionState};
use liveguard_pipeline::{NatsConfig, PipelineConfig};
use serde_json::json;

use crate::http::perms::Permission;
use crate::http::routes::{Access, Op, RouteSet, codes, limit_query, query, schema_ref as r};
use crate::settings::LiveSettings;

/// This feature's routes, each declared once with its permission and its API document.
pub fn routes() -> RouteSet {
    let view = Access::Perm(Permission::ViewLive);
    let operate = Access::Perm(Permission::OperateLive);
    let reason_max = service::REASON_CHARS_MAX;
    RouteSet::new()
        .api(
            Op::get("/api/v1/live/sessions", view, "Live sessions, newest first")
                .ok(json!({"type": "object", "properties": {"sessions": {"type": "array", "items": r("LiveSession")}}})),
            api::list_sessions,
        )
        .api(
            Op::post("/api/v1/live/sessions", operate, "Create a live session from an approved plan (lineup, frozen script, duty officer)")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["plan_id", "duty_officer"],
                    "properties": {"plan_id": {"type": "integer"}, "duty_officer": {"type": "string", "description": "user name of an ops reviewer/manager, the compliance lead or an administrator"},
                        "title": {"type": "string", "minLength": 1, "maxLength": 200}}}))
                .created(r("LiveSession")),
            api::post_session,
        )
        .api(
            Op::get("/api/v1/live/sessions/{id}", view, "A live session with its counters").ok(r("LiveSession")),
            api::get_session,
        )
        .api(
            Op::post("/api/v1/live/sessions/{id}/start", operate, "Start a planned session (events are accepted while it is live)")
                .empty_body()
                .ok(r("LiveSession")),
            api::start_session,
        )
        .api(
            Op::post("/api/v1/live/sessions/{id}/end", operate, "End a live session; its records are kept for live.retain_days")
                .empty_body()
                .ok(r("LiveSession")),
            api::end_session,
        )
        .api(
            Op::post("/api/v1/live/sessions/{id}/hold", Access::Perm(Permission::LegalHold), "Set or release the legal hold of a session's records")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["legal_hold", "reason"],
                    "properties": {"legal_hold": {"type": "boolean"}, "reason": {"type": "string", "minLength": 1, "maxLength": reason_max}}}))
                .ok(r("LiveSession")),
            api::hold_session,
        )
        .api(
            Op::post("/api/v1/live/sessions/{id}/events", operate, "Send a batch of live events (transcript, screen text, comments, product card, price, lottery); answered once stored")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["events"],
                    "properties": {"events": {"type": "array", "minItems": 1, "maxItems": 1000, "description": "at most live.batch_events_max (default 1000)", "items": r("LiveEventIn")}}}))
                .ok(json!({"type": "object", "required": ["accepted", "duplicates", "alerts", "results"], "properties": {
                    "accepted": {"type": "integer"}, "duplicates": {"type": "integer"}, "alerts": {"type": "array", "items": {"type": "integer"}},
                    "queued": {"type": "boolean", "description": "true when live.nats_url is set: the batch is durably queued in JetStream and workers store it (alerts then arrive on the console and webhooks, not in this answer)"},
                    "results": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "event_id": {"type": ["integer", "null"]},
                        "duplicate": {"type": "boolean"}, "alert_id": {"type": ["integer", "null"]}, "decision": {"type": "string", "enum": ["pass", "review", "block"]}}}}}})),
            api::post_events,
        )
        .api_large(
            Op::post("/api/v1/live/sessions/{id}/frames", operate, "Send a snapshot of the stream (JPEG or PNG, at most 2 MB and 8.4 million pixels): its text is read by OCR, its QR codes and barcodes decoded, and what it says is stored and screened as a screen_text event under the frame's key; a frame with no text stores nothing")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["key", "at_ms", "image_base64"],
                    "properties": {"key": {"type": "string", "minLength": 1, "maxLength": 128}, "at_ms": {"type": "integer"},
                        "image_base64": {"type": "string", "description": "the JPEG or PNG frame, base64"}}}))
                .ok(json!({"type": "object", "required": ["accepted", "duplicates", "alerts", "results", "text", "reader"], "properties": {
                    "accepted": {"type": "integer"}, "duplicates": {"type": "integer"}, "alerts": {"type": "array", "items": {"type": "integer"}},
                    "queued": {"type": "boolean"}, "results": {"type": "array"},
                    "text": {"type": "string", "description": "what the frame says: OCR lines, then 二维码：… lines"},
                    "reader": {"type": "string", "description": "pp-ocrv6-small-0.1.0, or the Tesseract program"}}})),
            service::FRAME_REQUEST_BYTES_MAX,
            api::post_frame,
        )
        .api(
            Op::get("/api/v1/live/sessions/{id}/ws", operate, "WebSocket for event batches: one text frame per batch, answered in order by one frame each")
                .answers("101", json!({"type": "string", "description": "WebSocket: send {\"events\": [LiveEventIn…]} text frames; each is answered by the events endpoint's JSON or a Problem"})),
            api::ws,
        )
        .api(
            Op::get("/api/v1/live/sessions/{id}/events", view, "Stored events of a session, oldest first, with their findings")
                .param(query("after", json!({"type": "integer", "minimum": 0}), false, "events with id above this (next_after of the previous page)"))
                .param(limit_query(100))
                .ok(json!({"type": "object", "properties": {"events": {"type": "array", "items": r("LiveEvent")}, "next_after": {"type": ["integer", "null"]}}})),
            api::list_events,
        )
        .api(
            Op::get("/api/v1/live/sessions/{id}/alerts", view, "Alerts of a session, newest first")
                .param(query("state", json!({"type": "string", "enum": codes(AlertState::ALL, AlertState::as_str)}), false, "only alerts in this state"))
                .param(limit_query(100))
                .ok(json!({"type": "object", "properties": {"alerts": {"type": "array", "items": r("LiveAlert")}}})),
            api::list_alerts,
        )
        .api(Op::get("/api/v1/live/sessions/{id}/tasks", view, "Promise follow-ups of a session"), api::list_tasks)
        .api(
            Op::get("/api/v1/live/sessions/{id}/stream", view, "Server-sent events of a session: event, alert, alert_update, session, lagged")
                .ok(json!({"type": "string", "description": "text/event-stream: `event` (a stored LiveEvent), `alert` and `alert_update` (LiveAlert), `session`, `lagged` (reload)"})),
            api::stream,
        )
        .api(Op::get("/api/v1/live/sessions/{id}/report", view, "The post-session report"), api::get_report)
        .api(
            Op::post("/api/v1/live/alerts/{id}/actions", operate, "Acknowledge or resolve an alert (resolve needs a reason; may open an incident)")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["action"],
                    "properties": {"action": {"type": "string", "enum": ["acknowledge", "resolve"]}, "reason": {"type": "string", "maxLength": reason_max, "description": "required to resolve"},
                        "incident": {"type": "boolean", "description": "open an incident record"}}}))
                .ok(r("LiveAlert")),
            api::post_alert_action,
        )
        .api(
            Op::post("/api/v1/live/events/{id}/moderation", operate, "Record a moderation action on a comment (negative feedback may not be hidden)")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["action", "reason"],
                    "properties": {"action": {"type": "string", "enum": service::MODERATION_ACTIONS}, "reason": {"type": "string", "minLength": 1, "maxLength": reason_max}}}))
                .created(json!({"type": "object", "properties": {"id": {"type": "integer"}, "event_id": {"type": "integer"}}})),
            api::post_moderation,
        )
        .api(
            Op::post("/api/v1/live/tasks/{id}/close", Access::Perm(Permission::FollowUp), "Close a promise follow-up with a note")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["note"],
                    "properties": {"note": {"type": "string", "minLength": 1, "maxLength": reason_max}}})),
            api::close_task,
        )
        .schema("LiveEventIn", json!({"type": "object", "additionalProperties": false, "required": ["key", "kind", "at_ms"], "properties": {
            "key": {"type": "string", "minLength": 1, "maxLength": liveguard_live::KEY_BYTES_MAX, "pattern": "^[!-~]+$", "description": "idempotency key, unique within the session"},
            "kind": {"type": "string", "enum": codes(liveguard_live::EventKind::ALL, liveguard_live::EventKind::as_str)},
            "at_ms": {"type": "integer", "description": "when it happened, Unix milliseconds (a transcript segment's start)"},
            "text": {"type": "string", "description": "required for transcript, screen_text and comment; comments at most 500 characters, others 5000"},
            "end_ms": {"type": "integer"}, "speaker": {"type": "string", "maxLength": 64}, "source": {"type": "string", "enum": ["frame"], "description": "screen text read from a snapshot of the stream (set by the frames endpoint)"}, "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "user_id": {"type": "string", "maxLength": 64, "description": "comment: the platform user id, replaced by a keyed digest on arrival"},
            "nickname": {"type": "string", "maxLength": 64}, "product_id": {"type": "integer", "minimum": 1}, "price_fen": {"type": "integer", "minimum": 0},
            "stock": {"type": "integer", "minimum": 0}, "action": {"type": "string", "enum": liveguard_live::LOTTERY_ACTIONS}}}))
        .schema("LiveEvent", json!({"type": "object", "required": ["id", "key", "kind", "at_ms", "findings", "decision"], "properties": {
            "id": {"type": "integer"}, "key": {"type": "string"}, "kind": {"type": "string"}, "at_ms": {"type": "integer"}, "received_ms": {"type": "integer"},
            "text": {"type": "string", "description": "personal information masked"}, "viewer": {"type": "string", "description": "keyed digest of the platform user id"},
            "nickname": {"type": "string"}, "product_id": {"type": "integer", "description": "the product on the card at that moment"}, "price_fen": {"type": "integer"},
            "findings": {"type": "array", "items": r("Finding")}, "decision": {"type": "string", "enum": ["pass", "review", "block"]},
            "moderation": {"type": "object", "properties": {"action": {"type": "string", "enum": ["hide", "mute", "reply"]}, "reasons": {"type": "array", "items": {"type": "string"}}, "negative_feedback": {"type": "boolean"}}},
            "promises": {"type": "array", "items": {"type": "object", "properties": {"said": {"type": "string"}, "phrase": {"type": "string"}, "product_id": {"type": ["integer", "null"]}}}},
            "masked": {"type": "integer"}}}))
        .schema("LiveAlert", json!({"type": "object", "required": ["id", "session_id", "event_id", "severity", "summary", "state", "created_ms"], "properties": {
            "id": {"type": "integer"}, "session_id": {"type": "integer"}, "event_id": {"type": "integer"}, "severity": {"type": "string", "enum": ["review", "block"]},
            "summary": {"type": "string"}, "state": {"type": "string", "enum": codes(AlertState::ALL, AlertState::as_str)}, "created_ms": {"type": "integer"},
            "acked_ms": {"type": ["integer", "null"]}, "acked_by": {"type": ["string", "null"]}, "resolved_ms": {"type": ["integer", "null"]},
            "resolved_by": {"type": ["string", "null"]}, "resolution": {"type": ["string", "null"]}, "escalated_ms": {"type": ["integer", "null"]}, "incident": {"type": "boolean"}}}))
        .schema("LiveSession", json!({"type": "object", "required": ["id", "title", "state"], "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "plan_id": {"type": ["integer", "null"]}, "duty_officer_id": {"type": "integer"},
            "state": {"type": "string", "enum": codes(SessionState::ALL, SessionState::as_str)}, "started_at": {"type": ["string", "null"]}, "ended_at": {"type": ["string", "null"]},
            "retain_until": {"type": ["string", "null"]}, "legal_hold": {"type": "boolean"}, "purged_at": {"type": ["string", "null"], "description": "when the events, alerts, follow-ups and moderation were deleted after the retention date"}, "room_id": {"type": ["integer", "null"]},
            "streamer_ids": {"type": "array", "items": {"type": "integer"}},
            "lineup": {"type": "array", "items": {"type": "object", "properties": {"product_id": {"type": "integer"}, "price_fen": {"type": "integer"}, "category": {"type": "string"}}}},
            "script": {"type": ["object", "null"], "properties": {"submission_id": {"type": "integer"}, "version": {"type": "integer"}, "content_hash": r("Hash")}},
            "stats": {"type": "object"}}}))
        .page("/live", get(pages::list).post(pages::create))
        .page("/live/{id}", get(pages::console))
        .page("/live/{id}/report", get(pages::report_page))
        .page("/live/{id}/tasks", get(pages::task_rows_page))
        .page("/live/{id}/events/{event_id}", get(pages::event_page))
        .page("/live/{id}/report.pdf", get(pages::report_pdf))
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
