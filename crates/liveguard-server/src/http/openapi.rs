//! The OpenAPI 3.1 document of every JSON route, built from the features' route declarations ([`crate::api_routes`]) so that a
//! route cannot be served without being described (a test checks both directions), with the
//! request bodies, query parameters and response shapes of each.

use axum::Json;
use liveguard_core::{Channel, ProductCategory, Role};
use serde_json::{Map, Value, json};

fn codes<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Value {
    json!(all.iter().map(|v| f(*v)).collect::<Vec<_>>())
}

/// Request body schema of a route, if it takes one.
fn request_body(method: &str, path: &str) -> Option<Value> {
    let roles = codes(Role::ALL, Role::as_str);
    let body = match (method, path) {
        ("post", "/api/v1/session") => {
            json!({"type": "object", "additionalProperties": false, "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string", "maxLength": 256}}})
        }
        ("post", "/api/v1/users") => {
            json!({"type": "object", "additionalProperties": false, "required": ["username", "display_name", "role", "password"],
            "properties": {"username": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{2,64}$"}, "display_name": {"type": "string", "minLength": 1, "maxLength": 100},
                "role": {"type": "string", "enum": roles}, "password": {"type": "string", "minLength": 10, "maxLength": 256}}})
        }
        ("patch", "/api/v1/users/{id}") => json!({"type": "object", "additionalProperties": false,
            "properties": {"role": {"type": "string", "enum": roles}, "disabled": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 500}}}),
        ("post", "/api/v1/account/password") => {
            json!({"type": "object", "additionalProperties": false, "required": ["current_password", "new_password"],
            "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string", "minLength": 10, "maxLength": 256}}})
        }
        ("post", "/api/v1/tokens") => {
            json!({"type": "object", "additionalProperties": false, "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}, "role": {"type": "string", "enum": roles, "description": "act with this narrower role"}}})
        }
        ("post", "/api/v1/scan") => {
            json!({"type": "object", "additionalProperties": false, "required": ["text"],
            "properties": {"text": {"type": "string", "maxLength": crate::features::platform::api::SCAN_TEXT_BYTES_MAX},
                "channel": {"type": "string", "enum": codes(Channel::ALL, Channel::as_str), "default": "script"},
                "category": {"type": "string", "enum": codes(ProductCategory::ALL, ProductCategory::as_str), "default": "general"}}})
        }
        ("post", "/api/v1/products") | ("put", "/api/v1/products/{id}") => {
            json!({"type": "object", "additionalProperties": false, "required": ["name", "category"],
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200}, "category": {"type": "string", "enum": codes(ProductCategory::ALL, ProductCategory::as_str)},
                "facts": {"type": "object", "description": "cosmetic_filing, registration, sc_number, approved_claims, disclosures [[kind, text]], seven_day_return, return_exception, price_history [[day, fen]], comparison_evidence"}}})
        }
        ("post", "/api/v1/submissions") => {
            json!({"type": "object", "required": ["title", "kind"],
            "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 200}, "kind": {"type": "string", "enum": ["script", "product_copy", "image_text"]},
                "product_id": {"type": "integer"}, "plan_id": {"type": "integer", "description": "session plan: its lineup is checked, its start and lottery apply"},
                "session_start": {"type": "string", "format": "date-time", "description": "required without a plan_id; must equal the plan's start with one"}, "has_lottery": {"type": "boolean"},
                "text": {"type": "string"}, "file_base64": {"type": "string", "description": ".txt, .md, .docx or an image (read by OCR), at most 10 MB"}, "file_name": {"type": "string"}}})
        }
        ("post", "/api/v1/rooms") => {
            json!({"type": "object", "additionalProperties": false, "required": ["platform", "account", "operator"],
            "properties": {"platform": {"type": "string", "minLength": 1, "maxLength": 50}, "account": {"type": "string", "minLength": 1, "maxLength": 100},
                "operator": {"type": "string", "minLength": 1, "maxLength": 100}}})
        }
        ("post", "/api/v1/streamers") => {
            json!({"type": "object", "additionalProperties": false, "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50}, "agency": {"type": ["string", "null"], "maxLength": 100}}})
        }
        ("post", "/api/v1/plans") => {
            json!({"type": "object", "additionalProperties": false, "required": ["title", "room_id", "starts_at", "streamer_ids", "lineup"],
            "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 100}, "room_id": {"type": "integer"}, "starts_at": {"type": "string", "format": "date-time"},
                "streamer_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": crate::features::master::api::PLAN_STREAMERS_MAX},
                "lineup": {"type": "array", "minItems": 1, "maxItems": crate::features::master::api::LINEUP_MAX, "items": {"type": "object", "additionalProperties": false, "required": ["product_id", "price_fen"],
                    "properties": {"product_id": {"type": "integer"}, "price_fen": {"type": "integer", "minimum": 1}, "promotion": {"type": ["string", "null"], "maxLength": 200}}}},
                "has_lottery": {"type": "boolean"}}})
        }
        ("put", "/api/v1/submissions/{id}/text") => {
            json!({"type": "object", "additionalProperties": false,
            "properties": {"text": {"type": "string"}, "file_base64": {"type": "string"}, "file_name": {"type": "string"}}})
        }
        ("post", "/api/v1/submissions/{id}/actions") => json!({"oneOf": [
            {"type": "object", "required": ["action"], "properties": {"action": {"const": "submit"}}},
            {"type": "object", "required": ["action", "decisions"], "properties": {"action": {"const": "decide"}, "decisions": {"type": "object", "additionalProperties": {"type": "object", "required": ["decision"], "properties": {
                "decision": {"type": "string", "enum": ["confirm", "dismiss"]}, "reason": {"type": "string", "enum": ["self_comparison", "usage_tip", "standard_grade", "name_or_mark", "official_award", "limited_fact", "not_about_goods", "false_positive"]}, "comment": {"type": "string"}}}}}},
            {"type": "object", "required": ["action", "checklist"], "properties": {"action": {"const": "approve"}, "flag_final": {"type": "boolean"}, "checklist": {"type": "object", "additionalProperties": {"type": "object", "required": ["pass"], "properties": {"pass": {"type": "boolean"}, "comment": {"type": "string"}}}}}},
            {"type": "object", "required": ["action", "required_changes"], "properties": {"action": {"const": "reject"}, "required_changes": {"type": "string"}}}
        ]}),
        ("post", "/api/v1/live/sessions") => {
            json!({"type": "object", "additionalProperties": false, "required": ["plan_id", "duty_officer"],
            "properties": {"plan_id": {"type": "integer"}, "duty_officer": {"type": "string", "description": "user name of an ops reviewer/manager, the compliance lead or an administrator"},
                "title": {"type": "string", "minLength": 1, "maxLength": 200}}})
        }
        ("post", "/api/v1/lotteries") => {
            json!({"type": "object", "additionalProperties": false, "required": ["rules"], "properties": {
                "session_id": {"type": "integer"}, "rules": {"$ref": "#/components/schemas/LotteryRules"}}})
        }
        ("post", "/api/v1/lotteries/{id}/rules") => {
            json!({"type": "object", "additionalProperties": false, "required": ["rules"], "properties": {
                "rules": {"$ref": "#/components/schemas/LotteryRules"}, "reason": {"type": "string", "description": "required once the rules are committed"}}})
        }
        ("post", "/api/v1/lotteries/{id}/entrants") => {
            json!({"type": "object", "additionalProperties": false, "properties": {
                "accounts": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 128}, "description": "an uploaded list of platform accounts"},
                "from_session_comments": {"type": "boolean", "description": "take the viewers whose comments in the lottery's session contain the keyword"},
                "exclusions": {"type": "object", "additionalProperties": {"type": "string"}, "description": "account → reason (staff, streamers, related accounts)"}}})
        }
        ("post", "/api/v1/lotteries/{id}/draw") => {
            json!({"type": "object", "additionalProperties": false, "description": "without randomness, a drand lottery's round is fetched from lottery.drand_relays (and verified)", "properties": {"randomness": {"oneOf": [
                {"type": "object", "required": ["kind", "round", "signature"], "properties": {"kind": {"const": "drand"}, "round": {"type": "integer"}, "signature": {"type": "string"}}},
                {"type": "object", "required": ["kind", "seed", "commitment", "contribution"], "properties": {"kind": {"const": "commit_reveal"}, "seed": {"type": "string"}, "commitment": {"type": "string"}, "contribution": {"type": "string"}}}
            ]}}})
        }
        ("post", "/api/v1/lotteries/{id}/claims/{position}/{verb}") => {
            json!({"type": "object", "additionalProperties": false, "description": "claim: account and recipient; correct: recipient (before shipping); ship: carrier and tracking; redeem: note (optional); forfeit: nothing",
            "properties": {
                "account": {"type": "string", "minLength": 1, "maxLength": 128, "description": "the account the winner entered with; its entrant code must be the winning code"},
                "recipient": {"type": "object", "additionalProperties": false, "required": ["name", "phone", "address"], "description": "delivery data: sealed at rest, masked by role, erased lottery.erase_personal_after_days after the claim closes",
                    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50}, "phone": {"type": "string", "pattern": "^[0-9+ -]{7,20}$"}, "address": {"type": "string", "minLength": 5, "maxLength": 200}}},
                "carrier": {"type": "string", "minLength": 1, "maxLength": 50}, "tracking": {"type": "string", "minLength": 1, "maxLength": 64},
                "note": {"type": "string", "maxLength": 500}}})
        }
        (
            "post",
            "/api/v1/live/sessions/{id}/start"
            | "/api/v1/live/sessions/{id}/end"
            | "/api/v1/lotteries/{id}/commit",
        ) => {
            return Some(
                json!({"required": false, "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}}),
            );
        }
        ("post", "/api/v1/live/sessions/{id}/hold") => {
            json!({"type": "object", "additionalProperties": false, "required": ["legal_hold", "reason"],
            "properties": {"legal_hold": {"type": "boolean"}, "reason": {"type": "string", "minLength": 1, "maxLength": crate::features::live::api::REASON_CHARS_MAX}}})
        }
        ("post", "/api/v1/live/sessions/{id}/events") => {
            json!({"type": "object", "additionalProperties": false, "required": ["events"],
            "properties": {"events": {"type": "array", "minItems": 1, "maxItems": 1000, "description": "at most live.batch_events_max (default 1000)", "items": {"$ref": "#/components/schemas/LiveEventIn"}}}})
        }
        ("post", "/api/v1/live/alerts/{id}/actions") => {
            json!({"type": "object", "additionalProperties": false, "required": ["action"],
            "properties": {"action": {"type": "string", "enum": ["acknowledge", "resolve"]}, "reason": {"type": "string", "maxLength": crate::features::live::api::REASON_CHARS_MAX, "description": "required to resolve"},
                "incident": {"type": "boolean", "description": "open an incident record"}}})
        }
        ("post", "/api/v1/live/events/{id}/moderation") => {
            json!({"type": "object", "additionalProperties": false, "required": ["action", "reason"],
            "properties": {"action": {"type": "string", "enum": crate::features::live::api::MODERATION_ACTIONS}, "reason": {"type": "string", "minLength": 1, "maxLength": crate::features::live::api::REASON_CHARS_MAX}}})
        }
        ("post", "/api/v1/live/tasks/{id}/close") => {
            json!({"type": "object", "additionalProperties": false, "required": ["note"],
            "properties": {"note": {"type": "string", "minLength": 1, "maxLength": crate::features::live::api::REASON_CHARS_MAX}}})
        }
        _ => return None,
    };
    Some(json!({"required": true, "content": {"application/json": {"schema": body}}}))
}

/// A documented example request body, for the routes that change master data, review and
/// screening. `tests/it/security.rs` sends each one to the demo server in this order and expects
/// it to succeed, so the examples cannot drift from what the server takes.
pub fn example(method: &str, path: &str) -> Option<Value> {
    Some(match (method, path) {
        ("post", "/api/v1/scan") => {
            json!({"text": "这款面霜是全网最好用的，用完立竿见影。", "channel": "script", "category": "cosmetics"})
        }
        ("post", "/api/v1/products") => {
            json!({"name": "玻尿酸保湿面霜 50g", "category": "cosmetics",
            "facts": {"cosmetic_filing": "沪G妆网备字2026000001", "price_history": [[0, 12900], [19, 9900]]}})
        }
        ("put", "/api/v1/products/{id}") => {
            json!({"name": "玻尿酸保湿面霜 50g", "category": "cosmetics",
            "facts": {"cosmetic_filing": "沪G妆网备字2026000001"}})
        }
        ("post", "/api/v1/rooms") => {
            json!({"platform": "抖音", "account": "示例美妆直播间", "operator": "示例电子商务有限公司"})
        }
        ("post", "/api/v1/streamers") => json!({"name": "小林", "agency": "示例文化传媒"}),
        ("post", "/api/v1/plans") => json!({"title": "12月20日 晚8点 护肤专场", "room_id": 1,
            "starts_at": "2026-12-20T20:00:00+08:00", "streamer_ids": [2],
            "lineup": [{"product_id": 1, "price_fen": 9900, "promotion": "前100名加赠旅行装"}], "has_lottery": false}),
        ("post", "/api/v1/submissions") => {
            json!({"title": "12月20日 护肤专场话术", "kind": "script", "product_id": 1,
            "session_start": "2026-12-20T20:00:00+08:00", "text": "欢迎来到直播间，今天给大家带来这款保湿面霜。"})
        }
        ("post", "/api/v1/tokens") => json!({"name": "巡检脚本", "role": "auditor"}),
        _ => return None,
    })
}

fn query(name: &str, schema: Value, required: bool, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": required, "schema": schema, "description": description})
}

/// Query and path parameters of a route.
fn parameters(path: &str) -> Vec<Value> {
    let mut p = Vec::new();
    if path.contains("{id}") {
        p.push(
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}),
        );
    }
    if path.contains("{position}") {
        p.push(json!({"name": "position", "in": "path", "required": true, "description": "the winner's place in the draw (0-based)", "schema": {"type": "integer", "minimum": 0}}));
    }
    if path.contains("{verb}") {
        p.push(json!({"name": "verb", "in": "path", "required": true, "schema": {"type": "string", "enum": ["claim", "correct", "ship", "redeem", "forfeit"]}}));
    }
    match path {
        "/api/v1/tokens" => p.push(query(
            "all",
            json!({"type": "boolean"}),
            false,
            "every user's tokens (administrators)",
        )),
        "/api/v1/audit/entries" => {
            p.push(query(
                "action",
                json!({"type": "string"}),
                false,
                "exact action, e.g. user.create",
            ));
            p.push(query(
                "actor",
                json!({"type": "string"}),
                false,
                "exact actor",
            ));
            p.push(query(
                "object",
                json!({"type": "string"}),
                false,
                "object prefix, e.g. user:",
            ));
            p.push(query(
                "before",
                json!({"type": "integer", "minimum": 0}),
                false,
                "entries with seq below this (next_before of the previous page)",
            ));
            p.push(query("limit", json!({"type": "integer", "minimum": 1, "maximum": liveguard_store::PAGE_LIMIT_MAX, "default": 50}), false, "page size"));
        }
        "/api/v1/audit/proof/inclusion" => {
            p.push(query(
                "seq",
                json!({"type": "integer", "minimum": 0}),
                true,
                "the entry",
            ));
            p.push(query(
                "size",
                json!({"type": "integer", "minimum": 1}),
                true,
                "tree size (of a checkpoint)",
            ));
        }
        "/api/v1/audit/proof/consistency" => {
            p.push(query(
                "from",
                json!({"type": "integer", "minimum": 1}),
                true,
                "older tree size",
            ));
            p.push(query(
                "to",
                json!({"type": "integer", "minimum": 1}),
                true,
                "newer tree size",
            ));
        }
        "/api/v1/live/sessions/{id}/events" => {
            p.push(query(
                "after",
                json!({"type": "integer", "minimum": 0}),
                false,
                "events with id above this (next_after of the previous page)",
            ));
            p.push(query("limit", json!({"type": "integer", "minimum": 1, "maximum": liveguard_store::PAGE_LIMIT_MAX, "default": 100}), false, "page size"));
        }
        "/api/v1/live/sessions/{id}/alerts" => {
            p.push(query(
                "state",
                json!({"type": "string", "enum": crate::features::live::api::ALERT_STATES}),
                false,
                "only alerts in this state",
            ));
            p.push(query("limit", json!({"type": "integer", "minimum": 1, "maximum": liveguard_store::PAGE_LIMIT_MAX, "default": 100}), false, "page size"));
        }
        _ => {}
    }
    p
}

/// The success response of a route: (status, schema).
fn success(method: &str, path: &str) -> (&'static str, Value) {
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    match (method, path) {
        ("get", "/api/v1/me") => ("200", r("Me")),
        ("post", "/api/v1/session") => (
            "200",
            json!({"type": "object", "properties": {"user": r("User"), "csrf_token": {"type": "string"}, "expires_at": {"type": "string"}}}),
        ),
        ("delete", _) | ("post", "/api/v1/account/password") => ("204", Value::Null),
        ("get", "/api/v1/users") => (
            "200",
            json!({"type": "object", "properties": {"users": {"type": "array", "items": r("User")}}}),
        ),
        ("post", "/api/v1/users") => ("201", r("User")),
        ("patch", "/api/v1/users/{id}") => ("200", r("User")),
        ("get", "/api/v1/tokens") => (
            "200",
            json!({"type": "object", "properties": {"tokens": {"type": "array", "items": r("ApiToken")}}}),
        ),
        ("post", "/api/v1/tokens") => (
            "201",
            json!({"allOf": [r("ApiToken"), {"type": "object", "properties": {"token": {"type": "string", "description": "shown once"}}}]}),
        ),
        ("get", "/api/v1/audit/entries") => (
            "200",
            json!({"type": "object", "properties": {"entries": {"type": "array", "items": r("AuditEntry")}, "next_before": {"type": ["integer", "null"]}}}),
        ),
        ("get", "/api/v1/audit/checkpoint") => ("200", r("SignedCheckpoint")),
        ("get", "/api/v1/audit/proof/inclusion") => (
            "200",
            json!({"type": "object", "properties": {"seq": {"type": "integer"}, "size": {"type": "integer"}, "leaf_hash": r("Hash"), "root": r("Hash"), "proof": {"type": "array", "items": r("Hash")}}}),
        ),
        ("get", "/api/v1/audit/proof/consistency") => (
            "200",
            json!({"type": "object", "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, "from_root": r("Hash"), "to_root": r("Hash"), "proof": {"type": "array", "items": r("Hash")}}}),
        ),
        ("get", "/api/v1/audit/bundle") => ("200", r("AuditBundle")),
        ("get", "/api/v1/audit/verify") => (
            "200",
            json!({"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}, "entries": {"type": "integer"}, "checkpoints": {"type": "integer"}, "root": r("Hash"), "error": {"type": "string"}}}),
        ),
        ("post", "/api/v1/scan") => ("200", r("ScanResult")),
        ("post", "/api/v1/products") => ("201", json!({"type": "object"})),
        ("put", "/api/v1/products/{id}") => ("200", json!({"type": "object"})),
        ("post", "/api/v1/rooms" | "/api/v1/streamers" | "/api/v1/plans") => (
            "201",
            json!({"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "created_at": {"type": "string"}}}),
        ),
        ("get", "/api/v1/notifications") => (
            "200",
            json!({"type": "object", "properties": {"notifications": {"type": "array", "items": {"type": "object", "required": ["seq", "time", "event", "text_zh", "text_en"], "properties": {
                "seq": {"type": "integer"}, "time": {"type": "string"}, "event": {"type": "string", "enum": crate::jobs::webhook::EVENTS.iter().copied().chain(["live.alert.escalate"]).collect::<Vec<_>>()},
                "submission_id": {"type": "integer", "description": "review events"}, "alert_id": {"type": "integer", "description": "live.alert.escalate (compliance lead, administrators)"}, "session_id": {"type": "integer"},
                "version": {"type": "integer"}, "actor": {"type": "string"}, "text_zh": {"type": "string"}, "text_en": {"type": "string"}}}}}}),
        ),
        ("post", "/api/v1/submissions") => ("201", r("Submission")),
        ("get", "/api/v1/submissions/{id}")
        | ("put", _)
        | ("post", "/api/v1/submissions/{id}/actions") => ("200", r("Submission")),
        ("get", "/api/v1/live/sessions") => (
            "200",
            json!({"type": "object", "properties": {"sessions": {"type": "array", "items": r("LiveSession")}}}),
        ),
        ("post", "/api/v1/live/sessions") => ("201", r("LiveSession")),
        ("get", "/api/v1/live/sessions/{id}")
        | ("post", "/api/v1/live/sessions/{id}/start")
        | ("post", "/api/v1/live/sessions/{id}/end")
        | ("post", "/api/v1/live/sessions/{id}/hold") => ("200", r("LiveSession")),
        ("post", "/api/v1/live/sessions/{id}/events") => (
            "200",
            json!({"type": "object", "required": ["accepted", "duplicates", "alerts", "results"], "properties": {
                "accepted": {"type": "integer"}, "duplicates": {"type": "integer"}, "alerts": {"type": "array", "items": {"type": "integer"}},
                "queued": {"type": "boolean", "description": "true when live.nats_url is set: the batch is durably queued in JetStream and workers store it (alerts then arrive on the console and webhooks, not in this answer)"},
                "results": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "event_id": {"type": ["integer", "null"]},
                    "duplicate": {"type": "boolean"}, "alert_id": {"type": ["integer", "null"]}, "decision": {"type": "string", "enum": ["pass", "review", "block"]}}}}}}),
        ),
        ("get", "/api/v1/live/sessions/{id}/events") => (
            "200",
            json!({"type": "object", "properties": {"events": {"type": "array", "items": r("LiveEvent")}, "next_after": {"type": ["integer", "null"]}}}),
        ),
        ("get", "/api/v1/live/sessions/{id}/alerts") => (
            "200",
            json!({"type": "object", "properties": {"alerts": {"type": "array", "items": r("LiveAlert")}}}),
        ),
        ("post", "/api/v1/live/alerts/{id}/actions") => ("200", r("LiveAlert")),
        ("post", "/api/v1/live/events/{id}/moderation") => (
            "201",
            json!({"type": "object", "properties": {"id": {"type": "integer"}, "event_id": {"type": "integer"}}}),
        ),
        ("get", "/api/v1/live/sessions/{id}/ws") => (
            "101",
            json!({"type": "string", "description": "WebSocket: send {\"events\": [LiveEventIn…]} text frames; each is answered by the events endpoint's JSON or a Problem"}),
        ),
        ("get", "/api/v1/live/sessions/{id}/stream") => (
            "200",
            json!({"type": "string", "description": "text/event-stream: `event` (a stored LiveEvent), `alert` and `alert_update` (LiveAlert), `session`, `lagged` (reload)"}),
        ),
        ("post", "/api/v1/lotteries") => ("201", r("Lottery")),
        ("get", "/api/v1/lotteries") => (
            "200",
            json!({"type": "object", "properties": {"lotteries": {"type": "array", "items": r("LotterySummary")}}}),
        ),
        ("get", "/api/v1/lotteries/{id}")
        | (
            "post",
            "/api/v1/lotteries/{id}/commit"
            | "/api/v1/lotteries/{id}/rules"
            | "/api/v1/lotteries/{id}/entrants"
            | "/api/v1/lotteries/{id}/draw",
        ) => ("200", r("Lottery")),
        ("get", "/api/v1/lotteries/{id}/claims") => (
            "200",
            json!({"type": "object", "properties": {"claims": {"type": "array", "items": r("PrizeClaim")}}}),
        ),
        ("post", "/api/v1/lotteries/{id}/claims/{position}/{verb}") => ("200", r("PrizeClaim")),
        _ => ("200", json!({"type": "object"})),
    }
}

fn schemas() -> Value {
    let r = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    json!({
        "Problem": {"type": "object", "required": ["type", "title", "status", "code"], "properties": {
            "type": {"type": "string", "enum": ["invalid_request", "auth", "internal", "system"]}, "title": {"type": "string"},
            "status": {"type": "integer"}, "code": {"type": "string"}, "field": {"type": "string"}, "link": {"type": "string"}}},
        "Hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "User": {"type": "object", "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
            "role": {"type": "string", "enum": codes(Role::ALL, Role::as_str)}, "role_label": {"type": "string"}, "disabled": {"type": "boolean"},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"}}},
        "Me": {"allOf": [r("User"), {"type": "object", "properties": {"permissions": {"type": "array", "items": {"type": "string"}}, "csrf_token": {"type": "string"}}}]},
        "ApiToken": {"type": "object", "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
            "role": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "revoked_at": {"type": ["string", "null"]}}},
        "AuditEntry": {"type": "object", "required": ["seq", "time", "actor", "role", "action", "object"], "properties": {
            "seq": {"type": "integer"}, "time": {"type": "string"}, "actor": {"type": "string"}, "role": {"type": "string"}, "action": {"type": "string"},
            "object": {"type": "string"}, "before": {"type": ["string", "null"]}, "after": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]}}},
        "SignedCheckpoint": {"type": "object", "required": ["checkpoint", "signature"], "properties": {
            "checkpoint": {"type": "object", "properties": {"origin": {"type": "string"}, "size": {"type": "integer"}, "root": r("Hash"), "time": {"type": "string"}}},
            "signature": {"type": "string", "description": "hex Ed25519 signature over the five-line checkpoint text"}}},
        "AuditBundle": {"type": "object", "required": ["format", "origin", "public_key", "entries", "checkpoints", "consistency"], "properties": {
            "format": {"type": "string", "const": liveguard_audit::BUNDLE_FORMAT}, "origin": {"type": "string"}, "public_key": {"type": "string"},
            "entries": {"type": "array", "items": r("AuditEntry")}, "checkpoints": {"type": "array", "items": r("SignedCheckpoint")},
            "consistency": {"type": "array", "items": {"type": "object", "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, "proof": {"type": "array", "items": r("Hash")}}}}}},
        "Finding": {"type": "object", "required": ["rule", "category", "severity", "citations", "span", "matched"], "properties": {
            "rule": {"type": "string"}, "category": {"type": "string"}, "severity": {"type": "string", "enum": ["info", "review", "block"]},
            "citations": {"type": "array", "items": {"type": "object", "properties": {"law": {"type": "string"}, "article": {"type": "string"}, "clause": {"type": "string"}, "tag": {"type": "string", "enum": ["P", "S", "R", "U"]}}}},
            "span": {"type": "object", "properties": {"byte_start": {"type": "integer"}, "byte_end": {"type": "integer"}, "char_start": {"type": "integer"}, "char_end": {"type": "integer"},
                "line": {"type": "integer"}, "column": {"type": "integer"}, "end_line": {"type": "integer"}, "end_column": {"type": "integer"}}},
            "matched": {"type": "string"}, "normalized": {"type": "string"}, "suggestion": {"type": "string"}, "exception": {"type": "string"}, "masked": {"type": "string"}}},
        "Submission": {"type": "object", "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "kind": {"type": "string"}, "stage": {"type": "string"},
            "version": {"type": "integer"}, "content_hash": r("Hash"), "author": {"type": "string"}, "text": {"type": "string"}, "findings": {"type": "array", "items": r("Finding")},
            "review": {"type": "object"}, "due": {"type": ["string", "null"]}, "urgency": {"type": ["string", "null"]}, "checklist": {"type": ["array", "null"]},
            "final_review_reason": {"type": ["string", "null"]}, "diff": {"type": "object"}}},
        "LiveEventIn": {"type": "object", "additionalProperties": false, "required": ["key", "kind", "at_ms"], "properties": {
            "key": {"type": "string", "minLength": 1, "maxLength": liveguard_live::KEY_BYTES_MAX, "pattern": "^[!-~]+$", "description": "idempotency key, unique within the session"},
            "kind": {"type": "string", "enum": liveguard_live::EventKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()},
            "at_ms": {"type": "integer", "description": "when it happened, Unix milliseconds (a transcript segment's start)"},
            "text": {"type": "string", "description": "required for transcript, screen_text and comment; comments at most 500 characters, others 5000"},
            "end_ms": {"type": "integer"}, "speaker": {"type": "string", "maxLength": 64}, "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "user_id": {"type": "string", "maxLength": 64, "description": "comment: the platform user id, replaced by a keyed digest on arrival"},
            "nickname": {"type": "string", "maxLength": 64}, "product_id": {"type": "integer", "minimum": 1}, "price_fen": {"type": "integer", "minimum": 0},
            "stock": {"type": "integer", "minimum": 0}, "action": {"type": "string", "enum": liveguard_live::LOTTERY_ACTIONS}}},
        "LiveEvent": {"type": "object", "required": ["id", "key", "kind", "at_ms", "findings", "decision"], "properties": {
            "id": {"type": "integer"}, "key": {"type": "string"}, "kind": {"type": "string"}, "at_ms": {"type": "integer"}, "received_ms": {"type": "integer"},
            "text": {"type": "string", "description": "personal information masked"}, "viewer": {"type": "string", "description": "keyed digest of the platform user id"},
            "nickname": {"type": "string"}, "product_id": {"type": "integer", "description": "the product on the card at that moment"}, "price_fen": {"type": "integer"},
            "findings": {"type": "array", "items": r("Finding")}, "decision": {"type": "string", "enum": ["pass", "review", "block"]},
            "moderation": {"type": "object", "properties": {"action": {"type": "string", "enum": ["hide", "mute", "reply"]}, "reasons": {"type": "array", "items": {"type": "string"}}, "negative_feedback": {"type": "boolean"}}},
            "promises": {"type": "array", "items": {"type": "object", "properties": {"said": {"type": "string"}, "phrase": {"type": "string"}, "product_id": {"type": ["integer", "null"]}}}},
            "masked": {"type": "integer"}}},
        "LiveAlert": {"type": "object", "required": ["id", "session_id", "event_id", "severity", "summary", "state", "created_ms"], "properties": {
            "id": {"type": "integer"}, "session_id": {"type": "integer"}, "event_id": {"type": "integer"}, "severity": {"type": "string", "enum": ["review", "block"]},
            "summary": {"type": "string"}, "state": {"type": "string", "enum": crate::features::live::api::ALERT_STATES}, "created_ms": {"type": "integer"},
            "acked_ms": {"type": ["integer", "null"]}, "acked_by": {"type": ["string", "null"]}, "resolved_ms": {"type": ["integer", "null"]},
            "resolved_by": {"type": ["string", "null"]}, "resolution": {"type": ["string", "null"]}, "escalated_ms": {"type": ["integer", "null"]}, "incident": {"type": "boolean"}}},
        "LiveSession": {"type": "object", "required": ["id", "title", "state"], "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "plan_id": {"type": ["integer", "null"]}, "duty_officer_id": {"type": "integer"},
            "state": {"type": "string", "enum": liveguard_store::SESSION_STATES}, "started_at": {"type": ["string", "null"]}, "ended_at": {"type": ["string", "null"]},
            "retain_until": {"type": ["string", "null"]}, "legal_hold": {"type": "boolean"}, "purged_at": {"type": ["string", "null"], "description": "when the events, alerts, follow-ups and moderation were deleted after the retention date"}, "room_id": {"type": ["integer", "null"]},
            "streamer_ids": {"type": "array", "items": {"type": "integer"}},
            "lineup": {"type": "array", "items": {"type": "object", "properties": {"product_id": {"type": "integer"}, "price_fen": {"type": "integer"}, "category": {"type": "string"}}}},
            "script": {"type": ["object", "null"], "properties": {"submission_id": {"type": "integer"}, "version": {"type": "integer"}, "content_hash": r("Hash")}},
            "stats": {"type": "object"}}},
        "Lottery": {"type": "object", "required": ["id", "title", "state", "rules", "rules_digest"], "properties": {
            "id": {"type": "integer"}, "session_id": {"type": ["integer", "null"]}, "title": {"type": "string"},
            "state": {"type": "string", "enum": ["draft", "committed", "closed", "drawn"]}, "rules": r("LotteryRules"), "rules_digest": r("Hash"),
            "entrants": {"type": ["object", "null"], "properties": {"count": {"type": "integer"}, "removed": {"type": "integer"}, "root": r("Hash"), "salt": {"type": "string"}}},
            "drand_round": {"type": ["integer", "null"], "description": "the quicknet round the draw time fixes"}, "seed": {"type": ["string", "null"]},
            "announcement": {"type": ["object", "null"], "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
            "winners": {"type": ["array", "null"], "items": {"type": "object", "properties": {"prize": {"type": "string"}, "index": {"type": "integer"}, "code": r("Hash")}}},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "retain_until": {"type": ["string", "null"]}}},
        "LotterySummary": {"type": "object", "description": "a lottery in a list: GET /api/v1/lotteries/{id} for its entrants, winners and announcement", "required": ["id", "title", "state", "rules_digest"], "properties": {
            "id": {"type": "integer"}, "session_id": {"type": ["integer", "null"]}, "title": {"type": "string"},
            "state": {"type": "string", "enum": ["draft", "committed", "closed", "drawn"]}, "rules_digest": r("Hash"), "drand_round": {"type": ["integer", "null"]},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "retain_until": {"type": ["string", "null"]}, "committed_at": {"type": ["string", "null"]}}},
        "PrizeClaim": {"type": "object", "required": ["position", "prize", "code", "state"], "properties": {
            "position": {"type": "integer"}, "prize": {"type": "string"}, "code": r("Hash"),
            "state": {"type": "string", "enum": ["awaiting", "claimed", "shipped", "redeemed", "forfeited"]},
            "recipient": {"type": ["object", "null"], "description": "masked unless the caller may see personal data; null once erased", "properties": {"name": {"type": "string"}, "phone": {"type": "string"}, "address": {"type": "string"}}},
            "recipient_masked": {"type": "boolean"}, "carrier": {"type": ["string", "null"]}, "tracking": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]},
            "claimed_at": {"type": ["string", "null"]}, "shipped_at": {"type": ["string", "null"]}, "closed_at": {"type": ["string", "null"]},
            "personal_erase_at": {"type": ["string", "null"]}, "personal_erased_at": {"type": ["string", "null"]}, "updated_at": {"type": "string"}}},
        "LotteryRules": {"type": "object", "description": "docs/lottery.md; every field but seed_commitment is required",
            "required": ["title", "organiser", "contact", "prizes", "entry", "exclusions", "entry_opens_at", "entry_closes_at", "draw_at", "draw_method", "dedupe", "redemption", "redemption_deadline", "unclaimed", "delivery"],
            "properties": {"title": {"type": "string"}, "organiser": {"type": "string"}, "contact": {"type": "string"},
                "prizes": {"type": "array", "items": {"type": "object", "required": ["name", "kind", "unit_value_fen", "quantity"], "properties": {
                    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["cash", "goods", "coupon", "service", "virtual"]}, "unit_value_fen": {"type": "integer"}, "quantity": {"type": "integer"}}}},
                "entry": {"type": "object", "required": ["method"], "properties": {"method": {"type": "string", "enum": liveguard_lottery::ENTRY_METHODS}, "keyword": {"type": "string"}, "chances_per_entry": {"type": "integer", "minimum": 1}}},
                "exclusions": {"type": "array", "items": {"type": "string"}}, "entry_opens_at": {"type": "string"}, "entry_closes_at": {"type": "string"},
                "draw_at": {"type": "string", "format": "date-time"}, "draw_method": {"type": "string", "enum": liveguard_lottery::DRAW_METHODS},
                "dedupe": {"type": "string"}, "redemption": {"type": "string"}, "redemption_deadline": {"type": "string"}, "unclaimed": {"type": "string"},
                "delivery": {"type": "string"}, "seed_commitment": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}},
        "ScanResult": {"type": "object", "properties": {"decision": {"type": "string", "enum": ["pass", "review", "block"]}, "findings": {"type": "array", "items": r("Finding")}, "masked_text": {"type": "string"}}}
    })
}

/// The document.
pub fn build() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, permission) in &crate::api_routes() {
        let (status, schema) = success(method, path);
        let ok = if schema.is_null() {
            json!({"description": "Done"})
        } else {
            json!({"description": "Success", "content": {"application/json": {"schema": schema}}})
        };
        let mut responses = Map::new();
        responses.insert(status.to_string(), ok);
        responses.insert("default".into(), json!({"description": "Error", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}));
        let mut op = json!({ "summary": summary, "x-liveguard-permission": permission, "responses": responses });
        if *permission != "public" {
            op["security"] = json!([{ "bearer": [] }, { "session": [] }]);
        }
        let params = parameters(path);
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(mut body) = request_body(method, path) {
            if let Some(e) = example(method, path) {
                body["content"]["application/json"]["example"] = e;
            }
            op["requestBody"] = body;
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "liveguard API", "version": env!("CARGO_PKG_VERSION"), "description": "直播带货合规平台 API. Errors are application/problem+json with a stable `code`." },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "API token from `liveguard admin create-token` or POST /api/v1/tokens" },
                "session": { "type": "apiKey", "in": "cookie", "name": "lg_session", "description": "Browser session; state-changing requests also need the X-CSRF-Token header" }
            },
            "schemas": schemas()
        }
    })
}

/// `GET /api/v1/openapi.json`
pub async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_ref_resolves_and_every_path_parameter_is_declared() {
        let doc = build();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected ref {r}"));
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{r} does not resolve"
            );
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if path.contains('{') {
                    assert!(
                        op["parameters"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|p| p["in"] == "path"),
                        "{method} {path}"
                    );
                }
                if matches!(method.as_str(), "post" | "patch") && path != "/api/v1/session"
                    || path == "/api/v1/session" && method == "post"
                {
                    assert!(
                        op["requestBody"].is_object(),
                        "{method} {path} has a request body schema"
                    );
                }
                assert!(op["responses"]["default"].is_object());
            }
        }
    }
}
