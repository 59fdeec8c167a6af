//! Push targets (消息推送): webhooks and the group robots of 企业微信, 钉钉 and 飞书, set up
//! by an administrator on the page or through the API, delivered by `jobs::webhook`.

pub mod api;
pub mod pages;
pub mod service;

use axum::routing::{get, post};
use serde_json::json;

use crate::http::perms::Permission;
use crate::http::routes::{Access, Op, RouteSet};
use crate::jobs::webhook::WebhookFormat;

/// This feature's routes, each declared once with its permission and its API document.
pub fn routes() -> RouteSet {
    let admin = Access::Perm(Permission::ManageUsers);
    let formats: Vec<&str> = WebhookFormat::ALL.iter().map(|f| f.as_str()).collect();
    let events: Vec<&str> = service::all_events().collect();
    let target = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "format": {"type": "string", "enum": formats},
        "shown_url": {"type": "string", "description": "scheme://host[:port] only; the path (with a robot's key) is never shown"},
        "signed": {"type": "boolean"}, "events": {"type": "array", "items": {"type": "string"}}, "enabled": {"type": "boolean"},
        "created_at": {"type": "string"}, "delivered": {"type": "integer"}, "failures_in_a_row": {"type": "integer"},
        "last_failure": {"type": ["string", "null"]}}});
    RouteSet::new()
        .api(
            Op::get("/api/v1/push-targets", admin, "Push targets (webhooks, group robots) and how their deliveries went")
                .ok(json!({"type": "object", "properties": {"push_targets": {"type": "array", "items": target.clone()}}})),
            api::list,
        )
        .api(
            Op::post("/api/v1/push-targets", admin, "Add a push target; it starts at the end of the log (nothing earlier is sent)")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["name", "format", "url"],
                    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": service::NAME_CHARS_MAX},
                        "format": {"type": "string", "enum": formats},
                        "url": {"type": "string", "maxLength": service::URL_BYTES_MAX, "description": "https:// (or http://) address; a robot's key stays in it and is stored sealed"},
                        "secret": {"type": "string", "maxLength": service::SECRET_BYTES_MAX, "description": "钉钉 加签 / 飞书 签名校验 secret; ≥ 16 characters for liveguard; none for wecom"},
                        "events": {"type": "array", "items": {"type": "string", "enum": events}, "description": "empty = all"},
                        "enabled": {"type": "boolean"}}}))
                .created(target.clone())
                .example(json!({"name": "合规组企业微信群", "format": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…", "events": ["live.alert", "live.alert.escalate"]})),
            api::create,
        )
        .api(
            Op::patch("/api/v1/push-targets/{id}", admin, "Rename a push target, change its events or turn it on or off")
                .body(json!({"type": "object", "additionalProperties": false,
                    "properties": {"name": {"type": "string"}, "events": {"type": "array", "items": {"type": "string", "enum": events}}, "enabled": {"type": "boolean"}}}))
                .ok(target),
            api::change,
        )
        .api(Op::delete("/api/v1/push-targets/{id}", admin, "Delete a push target"), api::delete)
        .api(
            Op::post("/api/v1/push-targets/{id}/test", admin, "Send a test message now; says whether the receiver took it")
                .empty_body()
                .ok(json!({"type": "object", "properties": {"delivered": {"type": "boolean"}, "error": {"type": "string"}}})),
            api::test,
        )
        .page("/admin/webhooks", get(pages::push_page).post(pages::add))
        .page("/admin/webhooks/{id}", post(pages::act))
}
