//! Master data: live rooms, streamers and session plans (lineups with prices).

pub mod api;
pub mod pages;
pub mod service;

use axum::routing::{get, post};
use serde_json::json;

use crate::http::perms::Permission;
use crate::http::routes::{Access, Op, RouteSet};

/// This feature's routes, each declared once with its permission and its API document.
pub fn routes() -> RouteSet {
    let view = Access::Perm(Permission::ViewReviews);
    let manage = Access::Perm(Permission::ManageProducts);
    let created = json!({"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "created_at": {"type": "string"}}});
    let room = json!({"type": "object", "additionalProperties": false, "required": ["platform", "account", "operator"],
        "properties": {"platform": {"type": "string", "minLength": 1, "maxLength": 50}, "account": {"type": "string", "minLength": 1, "maxLength": 100},
            "operator": {"type": "string", "minLength": 1, "maxLength": 100}}});
    let streamer = json!({"type": "object", "additionalProperties": false, "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50}, "agency": {"type": ["string", "null"], "maxLength": 100}}});
    let plan = json!({"type": "object", "additionalProperties": false, "required": ["title", "room_id", "starts_at", "streamer_ids", "lineup"],
        "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 100}, "room_id": {"type": "integer"}, "starts_at": {"type": "string", "format": "date-time"},
            "streamer_ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": service::PLAN_STREAMERS_MAX},
            "lineup": {"type": "array", "minItems": 1, "maxItems": service::LINEUP_MAX, "items": {"type": "object", "additionalProperties": false, "required": ["product_id", "price_fen"],
                "properties": {"product_id": {"type": "integer"}, "price_fen": {"type": "integer", "minimum": 1}, "promotion": {"type": ["string", "null"], "maxLength": 200}}}},
            "has_lottery": {"type": "boolean"}}});
    RouteSet::new()
        .api(Op::get("/api/v1/rooms", view, "Live rooms (platform, account, operator)"), api::list_rooms)
        .api(
            Op::post("/api/v1/rooms", manage, "Add a live room")
                .body(room.clone())
                .created(created.clone())
                .example(json!({"platform": "抖音", "account": "示例美妆直播间", "operator": "示例电子商务有限公司"})),
            api::create_room,
        )
        .api(Op::get("/api/v1/streamers", view, "Streamers (name, agency)"), api::list_streamers)
        .api(
            Op::post("/api/v1/streamers", manage, "Add a streamer")
                .body(streamer.clone())
                .created(created.clone())
                .example(json!({"name": "小林", "agency": "示例文化传媒"})),
            api::create_streamer,
        )
        .api(
            Op::get("/api/v1/plans", view, "Live session plans: date, room, streamers, lineup with prices and promotions"),
            api::list_plans,
        )
        .api(
            Op::post("/api/v1/plans", manage, "Add a session plan; the room, streamers and products must exist")
                .body(plan.clone())
                .created(created.clone())
                .example(json!({"title": "12月20日 晚8点 护肤专场", "room_id": 1,
                    "starts_at": "2026-12-20T20:00:00+08:00", "streamer_ids": [2],
                    "lineup": [{"product_id": 1, "price_fen": 9900, "promotion": "前100名加赠旅行装"}], "has_lottery": false})),
            api::create_plan,
        )
        .api(Op::get("/api/v1/plans/{id}", view, "One session plan"), api::get_plan)
        .api(
            Op::put("/api/v1/rooms/{id}", manage, "Change a live room (logged with the fields that changed)")
                .body(room)
                .ok(created.clone()),
            api::update_room,
        )
        .api(
            Op::put("/api/v1/streamers/{id}", manage, "Change a streamer (logged with the fields that changed)")
                .body(streamer)
                .ok(created.clone()),
            api::update_streamer,
        )
        .api(
            Op::put("/api/v1/plans/{id}", manage, "Change a session plan; approved submissions are not changed")
                .body(plan)
                .ok(created),
            api::update_plan,
        )
        .page("/master", get(pages::master_page))
        .page("/master/{kind}", post(pages::add))
        .page(
            "/master/{kind}/{id}",
            get(pages::record_page).post(pages::record_save),
        )
}
