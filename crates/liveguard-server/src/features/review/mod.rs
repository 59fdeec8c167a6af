//! Pre-broadcast review: products, submissions through 初审 → 复审 → 终审, notifications, plans' review view and the approval print.

pub mod api;
pub mod pages;

use axum::routing::{get, post};

use crate::http::perms::Permission;
use crate::http::routes::{Access, RouteSet};

/// This feature's routes, each declared once.
pub fn routes() -> RouteSet {
    RouteSet::new()
        .api("get", "/api/v1/products", Access::Perm(Permission::ViewReviews), "List products", api::list_products)
        .api("put", "/api/v1/products/{id}", Access::Perm(Permission::ManageProducts), "Replace a product's facts (price history, disclosures, claims); audited with before/after digests", api::update_product)
        .api("post", "/api/v1/products", Access::Perm(Permission::ManageProducts), "Create a product with its facts (category, numbers, disclosures, prices)", api::create_product)
        .api("get", "/api/v1/submissions", Access::Perm(Permission::ViewReviews), "The review queue with due times", api::list_submissions)
        .api("get", "/api/v1/notifications", Access::Perm(Permission::ViewReviews), "Review state changes that concern the caller, and for the compliance lead live alerts escalated to them, newest first (from the audit log)", api::notifications)
        .api_large("post", "/api/v1/submissions", Access::Perm(Permission::Submit), "Submit a script, product copy or promo image (text, .txt/.md/.docx, or an image via OCR); screened on save", crate::features::review::api::UPLOAD_REQUEST_BYTES_MAX, api::create_submission)
        .api("get", "/api/v1/submissions/{id}", Access::Perm(Permission::ViewReviews), "A submission: text, findings, review state, checklist, diff from the previous version", api::get_submission)
        .api_large("put", "/api/v1/submissions/{id}/text", Access::Perm(Permission::Submit), "Save a new version (author); voids an approval", crate::features::review::api::UPLOAD_REQUEST_BYTES_MAX, api::edit_submission)
        .api("post", "/api/v1/submissions/{id}/actions", Access::Perm(Permission::ViewReviews), "Submit, decide on findings, approve with the checklist, or reject", api::submission_action)
        .page("/reviews", get(pages::queue))
        .page("/notifications", get(pages::notifications))
        .page("/plans", get(pages::plans))
        .page("/reviews/new", get(pages::new_page).post(pages::new_submit))
        .page("/reviews/{id}", get(pages::detail))
        .page("/reviews/{id}/print", get(pages::print))
        .page("/reviews/{id}/print.pdf", get(pages::print_pdf))
        .page("/reviews/{id}/{verb}", post(pages::post_action))
}
