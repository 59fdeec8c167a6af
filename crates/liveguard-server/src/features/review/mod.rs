//! Pre-broadcast review: products, submissions through 初审 → 复审 → 终审, notifications, plans' review view and the approval print.

pub mod api;
pub mod pages;
pub mod service;

use axum::routing::{get, post};
use liveguard_core::ProductCategory;
use serde_json::{Value, json};

use crate::http::perms::Permission;
use crate::http::routes::{Access, Op, RouteSet, codes, schema_ref as r};

fn product_body() -> Value {
    json!({"type": "object", "additionalProperties": false, "required": ["name", "category"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
        "category": {"type": "string", "enum": codes(ProductCategory::ALL, ProductCategory::as_str)},
        "facts": {"type": "object", "description": "cosmetic_filing, registration, sc_number, approved_claims, disclosures [[kind, text]], seven_day_return, return_exception, price_history [[day, fen]], comparison_evidence"}}})
}

/// This feature's routes, each declared once with its permission and its API document.
pub fn routes() -> RouteSet {
    let view = Access::Perm(Permission::ViewReviews);
    let submit = Access::Perm(Permission::Submit);
    RouteSet::new()
        .api(Op::get("/api/v1/products", view, "List products"), api::list_products)
        .api(
            Op::put("/api/v1/products/{id}", Access::Perm(Permission::ManageProducts), "Replace a product's facts (price history, disclosures, claims); audited with before/after digests")
                .body(product_body())
                .example(json!({"name": "玻尿酸保湿面霜 50g", "category": "cosmetics",
                    "facts": {"cosmetic_filing": "沪G妆网备字2026000001"}})),
            api::update_product,
        )
        .api(
            Op::post("/api/v1/products", Access::Perm(Permission::ManageProducts), "Create a product with its facts (category, numbers, disclosures, prices)")
                .body(product_body())
                .created(json!({"type": "object"}))
                .example(json!({"name": "玻尿酸保湿面霜 50g", "category": "cosmetics",
                    "facts": {"cosmetic_filing": "沪G妆网备字2026000001", "price_history": [[0, 12900], [19, 9900]]}})),
            api::create_product,
        )
        .api(Op::get("/api/v1/submissions", view, "The review queue with due times"), api::list_submissions)
        .api(
            Op::get("/api/v1/notifications", view, "Review state changes that concern the caller, and for the compliance lead live alerts escalated to them, newest first (from the audit log)")
                .ok(json!({"type": "object", "properties": {"notifications": {"type": "array", "items": {"type": "object", "required": ["seq", "time", "event", "text_zh", "text_en"], "properties": {
                    "seq": {"type": "integer"}, "time": {"type": "string"}, "event": {"type": "string", "enum": crate::jobs::webhook::EVENTS.iter().copied().chain(["live.alert.escalate", "desk.rising"]).collect::<Vec<_>>()},
                    "submission_id": {"type": "integer", "description": "review events"}, "alert_id": {"type": "integer", "description": "live.alert.escalate (compliance lead, administrators)"}, "session_id": {"type": "integer"},
                    "version": {"type": "integer"}, "actor": {"type": "string"}, "text_zh": {"type": "string"}, "text_en": {"type": "string"}}}}}})),
            api::notifications,
        )
        .api_large(
            Op::post("/api/v1/submissions", submit, "Submit a script, product copy or promo image (text, .txt/.md/.docx, or an image via OCR); screened on save")
                .body(json!({"type": "object", "required": ["title", "kind"],
                    "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 200}, "kind": {"type": "string", "enum": ["script", "product_copy", "image_text"]},
                        "product_id": {"type": "integer"}, "plan_id": {"type": "integer", "description": "session plan: its lineup is checked, its start and lottery apply"},
                        "session_start": {"type": "string", "format": "date-time", "description": "required without a plan_id; must equal the plan's start with one"}, "has_lottery": {"type": "boolean"},
                        "text": {"type": "string"}, "file_base64": {"type": "string", "description": ".txt, .md, .docx or an image (read by OCR), at most 10 MB"}, "file_name": {"type": "string"}}}))
                .created(r("Submission"))
                .example(json!({"title": "12月20日 护肤专场话术", "kind": "script", "product_id": 1,
                    "session_start": "2026-12-20T20:00:00+08:00", "text": "欢迎来到直播间，今天给大家带来这款保湿面霜。"})),
            api::UPLOAD_REQUEST_BYTES_MAX,
            api::create_submission,
        )
        .api(
            Op::get("/api/v1/submissions/{id}", view, "A submission: text, findings, review state, checklist, diff from the previous version")
                .ok(r("Submission")),
            api::get_submission,
        )
        .api_large(
            Op::put("/api/v1/submissions/{id}/text", submit, "Save a new version (author); voids an approval")
                .body(json!({"type": "object", "additionalProperties": false,
                    "properties": {"text": {"type": "string"}, "file_base64": {"type": "string"}, "file_name": {"type": "string"}}}))
                .ok(r("Submission")),
            api::UPLOAD_REQUEST_BYTES_MAX,
            api::edit_submission,
        )
        .api(
            Op::post("/api/v1/submissions/{id}/actions", view, "Submit, decide on findings, approve with the checklist, or reject")
                .body(json!({"oneOf": [
                    {"type": "object", "required": ["action"], "properties": {"action": {"const": "submit"}}},
                    {"type": "object", "required": ["action", "decisions"], "properties": {"action": {"const": "decide"}, "decisions": {"type": "object", "additionalProperties": {"type": "object", "required": ["decision"], "properties": {
                        "decision": {"type": "string", "enum": ["confirm", "dismiss"]}, "reason": {"type": "string", "enum": ["self_comparison", "usage_tip", "standard_grade", "name_or_mark", "official_award", "limited_fact", "not_about_goods", "false_positive"]}, "comment": {"type": "string"}}}}}},
                    {"type": "object", "required": ["action", "checklist"], "properties": {"action": {"const": "approve"}, "flag_final": {"type": "boolean"}, "checklist": {"type": "object", "additionalProperties": {"type": "object", "required": ["pass"], "properties": {"pass": {"type": "boolean"}, "comment": {"type": "string"}}}}}},
                    {"type": "object", "required": ["action", "required_changes"], "properties": {"action": {"const": "reject"}, "required_changes": {"type": "string"}}}
                ]}))
                .ok(r("Submission")),
            api::submission_action,
        )
        .schema("Submission", json!({"type": "object", "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "kind": {"type": "string"}, "stage": {"type": "string"},
            "version": {"type": "integer"}, "content_hash": r("Hash"), "author": {"type": "string"}, "text": {"type": "string"}, "findings": {"type": "array", "items": r("Finding")},
            "review": {"type": "object"}, "due": {"type": ["string", "null"]}, "urgency": {"type": ["string", "null"]}, "checklist": {"type": ["array", "null"]},
            "final_review_reason": {"type": ["string", "null"]}, "diff": {"type": "object"}}}))
        .page("/reviews", get(pages::queue))
        .page("/notifications", get(pages::notifications))
        .page("/plans", get(pages::plans))
        .page_large(
            "/reviews/new",
            get(pages::new_page).post(pages::new_submit),
            pages::NEW_FORM_BYTES_MAX,
        )
        .page("/reviews/{id}", get(pages::detail))
        .page("/reviews/{id}/print", get(pages::print))
        .page("/reviews/{id}/print.pdf", get(pages::print_pdf))
        .page("/reviews/{id}/{verb}", post(pages::post_action))
}
