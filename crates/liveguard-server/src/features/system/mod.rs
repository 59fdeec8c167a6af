//! System status (系统状态): what this server screens with — rule packs and their versions,
//! the learned models and their versions or that it runs on rules only — and which helper
//! programs (OCR, PDF) and back ends (database, live bus) it uses. Every signed-in role
//! may read it: it holds no personal data and no secret.

pub mod api;
pub mod pages;
pub mod service;

use axum::routing::get;
use serde_json::json;

use crate::http::perms::Permission;
use crate::http::routes::{Access, Op, RouteSet};

/// This feature's routes.
pub fn routes() -> RouteSet {
    let any = Access::Perm(Permission::ViewDashboard);
    RouteSet::new()
        .api(
            Op::get(
                "/api/v1/system",
                any,
                "What the server screens with (rule packs, learned models or rules only) and which helpers and back ends it uses",
            )
            .ok(json!({"type": "object", "properties": {
                "version": {"type": "string"},
                "rules": {"type": "integer"},
                "packs": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "version": {"type": "string"}, "title": {"type": "string"}, "rules": {"type": "integer"}}}},
                "models": {"type": "object", "properties": {
                    "enabled": {"type": "boolean"},
                    "comment": {"type": ["string", "null"]},
                    "claim": {"type": ["string", "null"]}, "claim_encoder": {"type": ["string", "null"]}, "claim_encoder_missing": {"type": ["string", "null"]}}},
                "images": {"type": "object", "properties": {
                    "reader": {"type": "string"}, "pp_ocr": {"type": "boolean"},
                    "pp_ocr_missing": {"type": ["string", "null"]}, "models_dir": {"type": "string"}, "codes": {"type": "boolean"}}},
                "calendar": {"type": "object", "description": "the consumer desk's working-day calendar", "properties": {"source": {"type": "string"}, "years": {"type": "array", "items": {"type": "integer"}}, "missing_year": {"type": ["integer", "null"], "description": "this or next year when the holiday table lacks it"}}},
                "ocr": {"type": "object", "properties": {"engine": {"type": "string"}, "found": {"type": "boolean"}}},
                "pdf": {"type": "object", "properties": {"engine": {"type": "string"}, "found": {"type": "boolean"}}},
                "database": {"type": "string", "enum": ["sqlite", "postgres"]},
                "live_bus": {"type": "string", "enum": ["in_process", "nats"]}}})),
            api::status,
        )
        .page("/system", get(pages::status_page))
}
