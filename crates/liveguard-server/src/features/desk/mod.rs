//! The consumer desk (投诉与售后, issue 15): complaints, reports, after-sales requests and
//! regulator referrals as cases whose clocks are evidence; replies screened before they go
//! out; 7-day returns decided with their basis; a queue sorted by urgency.

pub mod api;
pub mod import;
pub mod pages;
pub mod service;

use axum::routing::{get, post};
use liveguard_core::{
    CaseChannel, CaseKind, CaseState, CaseTopic, ClockKind, ClockState, Complexity,
};
use serde_json::json;

use crate::http::perms::Permission;
use crate::http::routes::{Access, Op, RouteSet, codes, limit_query, query, schema_ref as r};

/// This feature's routes, each declared once with its permission and its API document.
pub fn routes() -> RouteSet {
    let view = Access::Perm(Permission::ViewCases);
    let work = Access::Perm(Permission::WorkCases);
    let states = codes(CaseState::ALL, CaseState::as_str);
    let topics = codes(CaseTopic::ALL, CaseTopic::as_str);
    let kinds = codes(CaseKind::ALL, CaseKind::as_str);
    let channels = codes(CaseChannel::ALL, CaseChannel::as_str);
    let complexities = codes(Complexity::ALL, Complexity::as_str);
    let consumer = json!({"type": "object", "additionalProperties": false, "description": "personal data: sealed at rest, masked unless the caller may see personal data",
        "properties": {"name": {"type": "string", "maxLength": 50}, "phone": {"type": "string", "maxLength": 20}, "address": {"type": "string", "maxLength": 200}, "account": {"type": "string", "maxLength": 128}}});
    let message = json!({"type": "object", "properties": {"kind": {"type": "string", "enum": ["reply", "note"]}, "author": {"type": "string"}, "body": {"type": "string"}, "decision": {"type": ["string", "null"]}, "created_at": {"type": "string"}}});
    RouteSet::new()
        .api(
            Op::get("/api/v1/cases", view, "The case queue: open cases first, most urgent (overdue, then the nearest due time) on top")
                .param(query("state", json!({"type": "string", "enum": states}), false, "one state"))
                .param(query("topic", json!({"type": "string", "enum": topics}), false, "one topic"))
                .param(query("kind", json!({"type": "string", "enum": kinds}), false, "one kind"))
                .param(query("assignee", json!({"type": "string"}), false, "one assignee; empty = unassigned"))
                .param(query("open", json!({"type": "boolean"}), false, "only cases not solved or closed"))
                .param(query("exposure", json!({"type": "boolean"}), false, "only cases with punitive-damages exposure (legal's list)"))
                .param(limit_query(100))
                .param(query("offset", json!({"type": "integer", "minimum": 0}), false, "skip this many"))
                .ok(json!({"type": "object", "properties": {"cases": {"type": "array", "items": r("Case")}}})),
            api::list,
        )
        .api(
            Op::post("/api/v1/cases", work, "Open a case (a platform's webhook or an integration posts here too); its clocks start at the consumer's received time. A case with the same source and external_ref answers 200 with the existing case instead of a duplicate")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["kind", "topic", "channel", "received_at", "summary"], "properties": {
                    "kind": {"type": "string", "enum": kinds}, "topic": {"type": "string", "enum": topics}, "channel": {"type": "string", "enum": channels},
                    "received_at": {"type": "string", "description": "when the consumer sent it: RFC 3339, or Beijing time 2026-12-07 10:30; not in the future, not older than three years"},
                    "summary": {"type": "string", "minLength": 1, "maxLength": service::SUMMARY_CHARS_MAX}, "demand": {"type": "string", "maxLength": service::TEXT_CHARS_MAX},
                    "order_ref": {"type": "string", "maxLength": 100}, "product_id": {"type": "integer"}, "room_id": {"type": "integer"}, "streamer_id": {"type": "integer"},
                    "session_id": {"type": "integer"}, "comment_event_id": {"type": "integer", "description": "the live comment the case comes from"},
                    "promises": {"type": "array", "maxItems": service::PROMISES_MAX, "items": {"type": "string", "maxLength": 200}},
                    "consumer": consumer.clone(), "assignee": {"type": "string"}, "source": {"type": "string", "maxLength": 100}, "external_ref": {"type": "string", "maxLength": 100},
                    "regulator": {"type": "string", "maxLength": 100, "description": "required for a referral"},
                    "regulator_due_at": {"type": "string", "description": "the regulator's deadline for the answer (default complaints.clocks.regulator_response)"},
                    "regulator_accepted_at": {"type": "string", "description": "the regulator's acceptance: the mediation clock starts"},
                    "price_fen": {"type": "integer", "minimum": 0}, "complexity": {"type": "string", "enum": complexities}, "complexity_reason": {"type": "string", "maxLength": 500}}}))
                .created(r("Case"))
                .also_answers("200", "The case with this source and external_ref exists already: it is answered as it is, nothing is added", r("Case"))
                .example(json!({"kind": "complaint", "topic": "false_promotion", "channel": "platform", "received_at": "2026-12-01T10:00:00+08:00",
                    "summary": "直播间说用一周就能淡斑，用了两周没有变化", "demand": "退货退款", "order_ref": "DY-20261201-0001", "source": "docs-example", "external_ref": "EX-1",
                    "promises": ["七天淡斑"]})),
            api::create,
        )
        .api_large(
            Op::post("/api/v1/cases/import", work, "Import a platform's exported after-sales or complaint list (CSV or XLSX, base64): without commit a preview that checks every row (errors name the row and column); with commit the cases are stored, refused while any row is wrong unless import_valid. Rows already imported (same mapping name and reference) add nothing")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["file_base64", "file_name", "mapping_name"], "properties": {
                    "file_base64": {"type": "string"}, "file_name": {"type": "string", "maxLength": 200},
                    "mapping_name": {"type": "string", "minLength": 1, "maxLength": 50, "description": "the import's source; its saved mapping is used when none is given"},
                    "mapping": {"type": "object", "additionalProperties": false, "properties": {
                        "columns": {"type": "object", "description": "field → column header", "propertyNames": {"enum": import::FIELDS.iter().map(|f| f.0).collect::<Vec<_>>()}, "additionalProperties": {"type": "string"}},
                        "kind": {"type": ["string", "null"], "enum": codes(CaseKind::ALL, CaseKind::as_str).as_array().cloned().unwrap_or_default().into_iter().chain([serde_json::Value::Null]).collect::<Vec<_>>()},
                        "topic": {"type": ["string", "null"], "enum": codes(CaseTopic::ALL, CaseTopic::as_str).as_array().cloned().unwrap_or_default().into_iter().chain([serde_json::Value::Null]).collect::<Vec<_>>()}}},
                    "save_mapping": {"type": "boolean"}, "commit": {"type": "boolean"}, "import_valid": {"type": "boolean"}}}))
                .ok(r("ImportReport")),
            import::IMPORT_REQUEST_BYTES_MAX,
            api::import,
        )
        .schema("ImportReport", json!({"type": "object", "properties": {
            "headers": {"type": "array", "items": {"type": "string"}}, "mapping": {"type": "object"},
            "rows": {"type": "integer"}, "valid": {"type": "integer"}, "invalid": {"type": "integer"}, "duplicates": {"type": "integer"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {"row": {"type": "integer"}, "column": {"type": "string"}, "message": {"type": "string"}}}},
            "committed": {"type": "boolean"}, "created": {"type": "integer"}, "sample": {"type": "array", "items": {"type": "object"}}}}))
        .api(Op::get("/api/v1/cases/{id}", view, "One case with its clocks, replies and notes").ok(r("Case")), api::get)
        .api(
            Op::post("/api/v1/cases/{id}/{verb}", work, "Act on a case: reply, solve, start, wait (for the consumer; a pausable clock stops), resume, close, withdraw, reopen, note, assign, complexity, tag (root cause), return (decide a 7-day return), goods_back (the refund clock starts), refunded, reschedule (a due time, with a reason). Replies are screened (channel comment_reply): a block is refused, a review needs confirm")
                .param(json!({"name": "verb", "in": "path", "required": true, "schema": {"type": "string", "enum": service::VERBS}}))
                .body(json!({"type": "object", "additionalProperties": false, "properties": {
                    "text": {"type": "string", "maxLength": service::TEXT_CHARS_MAX, "description": "the reply (reply, solve, wait) or note"},
                    "reason": {"type": "string", "maxLength": 500, "description": "required for withdraw, reopen, complexity, reschedule"},
                    "confirm": {"type": "boolean", "description": "send a reply the engine marked for review: a person checked it is true and can be honoured"},
                    "assignee": {"type": "string"}, "complexity": {"type": "string", "enum": complexities}, "root_cause": {"type": "string", "maxLength": 50},
                    "clock": {"type": "string", "enum": codes(ClockKind::ALL, ClockKind::as_str)}, "due_at": {"type": "string"},
                    "return": {"type": "object", "additionalProperties": false, "required": ["received_at"], "properties": {
                        "received_at": {"type": "string"}, "requested_at": {"type": "string"},
                        "class": {"type": "string", "enum": liveguard_desk::ReturnClass::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()},
                        "distance_sale": {"type": "boolean"}, "digital_unsealed": {"type": "boolean"}, "confirmed_at_purchase": {"type": "boolean"},
                        "opened_for_inspection": {"type": "boolean"}, "intact": {"type": "boolean"}, "refund_fen": {"type": "integer", "minimum": 0}}}}}))
                .ok(r("Case")),
            api::act,
        )
        .schema("Case", json!({"type": "object", "required": ["id", "kind", "topic", "channel", "state", "complexity", "received_at", "summary", "clocks"], "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string", "enum": kinds}, "topic": {"type": "string", "enum": topics},
            "channel": {"type": "string", "enum": channels}, "state": {"type": "string", "enum": states},
            "complexity": {"type": "string", "enum": complexities}, "complexity_reason": {"type": ["string", "null"]},
            "received_at": {"type": "string"}, "summary": {"type": "string"}, "demand": {"type": "string"},
            "order_ref": {"type": ["string", "null"]}, "product_id": {"type": ["integer", "null"]}, "room_id": {"type": ["integer", "null"]},
            "streamer_id": {"type": ["integer", "null"]}, "session_id": {"type": ["integer", "null"]}, "comment_event_id": {"type": ["integer", "null"]},
            "promises": {"type": "array", "items": {"type": "string"}}, "consumer": {"type": ["object", "null"]}, "consumer_masked": {"type": "boolean"},
            "assignee": {"type": ["string", "null"]}, "source": {"type": ["string", "null"]}, "external_ref": {"type": ["string", "null"]},
            "regulator": {"type": ["string", "null"]}, "price_fen": {"type": ["integer", "null"]},
            "exposure": {"type": ["object", "null"], "description": "punitive-damages exposure (CPL Art. 55): the case goes to legal", "properties": {"amount_fen": {"type": "integer"}, "reason": {"type": "string"}}},
            "return": {"type": ["object", "null"], "description": "the 7-day return request and its decision with basis and citation"},
            "root_cause": {"type": ["string", "null"]}, "next_due_at": {"type": ["string", "null"]}, "overdue": {"type": "boolean"},
            "created_by": {"type": "string"}, "created_at": {"type": "string"}, "updated_at": {"type": "string"},
            "messages": {"type": "array", "items": message},
            "clocks": {"type": "array", "items": r("CaseClock")}}}))
        .schema("CaseClock", json!({"type": "object", "properties": {
                "kind": {"type": "string", "enum": codes(ClockKind::ALL, ClockKind::as_str)}, "rule": {"type": "string"},
                "state": {"type": "string", "enum": codes(ClockState::ALL, ClockState::as_str)}, "statutory": {"type": "boolean"}, "pausable": {"type": "boolean"},
                "started_at": {"type": "string"}, "due_at": {"type": "string"}, "warn_at": {"type": "string"},
                "paused_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]},
                "warned": {"type": "boolean"}, "breached": {"type": "boolean"}, "left_ms": {"type": ["integer", "null"], "description": "time left of a running clock; negative when overdue"}}}))
        .page("/desk", get(pages::queue))
        .page("/desk/new", get(pages::new_form).post(pages::create))
        .page_large("/desk/import", get(pages::import_form).post(pages::import_submit), import::IMPORT_REQUEST_BYTES_MAX)
        .page("/desk/assign", post(pages::bulk_assign))
        .page("/desk/{id}", get(pages::detail))
        .page("/desk/{id}/evidence", get(pages::evidence))
        .page("/desk/{id}/{verb}", post(pages::action))
}
