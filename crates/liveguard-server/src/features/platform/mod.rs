//! Platform: sign-in and sessions, users, API tokens, one's password, the audit log and its proofs, the scan tool and the API document.

pub mod api;
pub mod pages;
pub mod service;

use axum::routing::{get, post};
use liveguard_core::{Channel, ProductCategory, Role};
use serde_json::json;

use crate::http::perms::Permission;
use crate::http::routes::{Access, Op, RouteSet, codes, limit_query, query, schema_ref as r};

/// This feature's routes, each declared once with its permission and its API document.
pub fn routes() -> RouteSet {
    let roles = codes(Role::ALL, Role::as_str);
    let audit = Access::Perm(Permission::ViewAudit);
    RouteSet::new()
        .api(
            Op::get("/api/v1/me", Access::Any, "The caller: user, role, permissions, CSRF token of a session")
                .ok(r("Me")),
            api::me,
        )
        .api(
            Op::post("/api/v1/session", Access::Public, "Log in with user name and password; sets the session cookie")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string", "maxLength": 256}}}))
                .ok(json!({"type": "object", "properties": {"user": r("User"), "csrf_token": {"type": "string"}, "expires_at": {"type": "string"}}})),
            api::create_session,
        )
        .api(Op::delete("/api/v1/session", Access::Any, "Log out"), api::delete_session)
        .api(
            Op::get("/api/v1/users", Access::Perm(Permission::ViewUsers), "List users")
                .ok(json!({"type": "object", "properties": {"users": {"type": "array", "items": r("User")}}})),
            api::list_users,
        )
        .api(
            Op::post("/api/v1/users", Access::Perm(Permission::ManageUsers), "Create a user")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["username", "display_name", "role", "password"],
                    "properties": {"username": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{2,64}$"}, "display_name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "role": {"type": "string", "enum": roles}, "password": {"type": "string", "minLength": 10, "maxLength": 256}}}))
                .created(r("User")),
            api::create_user,
        )
        .api(
            Op::patch("/api/v1/users/{id}", Access::Perm(Permission::ManageUsers), "Change a user's role or disabled flag")
                .body(json!({"type": "object", "additionalProperties": false,
                    "properties": {"role": {"type": "string", "enum": roles}, "disabled": {"type": "boolean"}, "reason": {"type": "string", "maxLength": 500}}}))
                .ok(r("User")),
            api::update_user,
        )
        .api(
            Op::post("/api/v1/account/password", Access::Any, "Change one's own password")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["current_password", "new_password"],
                    "properties": {"current_password": {"type": "string"}, "new_password": {"type": "string", "minLength": 10, "maxLength": 256}}}))
                .no_content(),
            api::change_password,
        )
        .api(
            Op::get("/api/v1/tokens", Access::Perm(Permission::ManageOwnTokens), "List one's API tokens (all with ?all=true)")
                .param(query("all", json!({"type": "boolean"}), false, "every user's tokens (administrators)"))
                .ok(json!({"type": "object", "properties": {"tokens": {"type": "array", "items": r("ApiToken")}}})),
            api::list_tokens,
        )
        .api(
            Op::post("/api/v1/tokens", Access::Perm(Permission::ManageOwnTokens), "Create an API token (returned once)")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["name"],
                    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}, "role": {"type": "string", "enum": roles, "description": "act with this narrower role"}}}))
                .created(json!({"allOf": [r("ApiToken"), {"type": "object", "properties": {"token": {"type": "string", "description": "shown once"}}}]}))
                .example(json!({"name": "巡检脚本", "role": "auditor"})),
            api::create_token,
        )
        .api(
            Op::delete("/api/v1/tokens/{id}", Access::Perm(Permission::ManageOwnTokens), "Revoke an API token"),
            api::revoke_token,
        )
        .api(
            Op::get("/api/v1/audit/entries", audit, "Browse the audit log, newest first")
                .param(query("action", json!({"type": "string"}), false, "exact action, e.g. user.create"))
                .param(query("actor", json!({"type": "string"}), false, "exact actor"))
                .param(query("object", json!({"type": "string"}), false, "object prefix, e.g. user:"))
                .param(query("before", json!({"type": "integer", "minimum": 0}), false, "entries with seq below this (next_before of the previous page)"))
                .param(limit_query(50))
                .ok(json!({"type": "object", "properties": {"entries": {"type": "array", "items": r("AuditEntry")}, "next_before": {"type": ["integer", "null"]}}})),
            api::audit_entries,
        )
        .api(
            Op::get("/api/v1/audit/checkpoint", audit, "The latest signed checkpoint").ok(r("SignedCheckpoint")),
            api::audit_checkpoint,
        )
        .api(
            Op::get("/api/v1/audit/proof/inclusion", audit, "Inclusion proof of an entry")
                .param(query("seq", json!({"type": "integer", "minimum": 0}), true, "the entry"))
                .param(query("size", json!({"type": "integer", "minimum": 1}), true, "tree size (of a checkpoint)"))
                .ok(json!({"type": "object", "properties": {"seq": {"type": "integer"}, "size": {"type": "integer"}, "leaf_hash": r("Hash"), "root": r("Hash"), "proof": {"type": "array", "items": r("Hash")}}})),
            api::audit_inclusion,
        )
        .api(
            Op::get("/api/v1/audit/proof/consistency", audit, "Consistency proof between two sizes")
                .param(query("from", json!({"type": "integer", "minimum": 1}), true, "older tree size"))
                .param(query("to", json!({"type": "integer", "minimum": 1}), true, "newer tree size"))
                .ok(json!({"type": "object", "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, "from_root": r("Hash"), "to_root": r("Hash"), "proof": {"type": "array", "items": r("Hash")}}})),
            api::audit_consistency,
        )
        .api(
            Op::get("/api/v1/audit/bundle", Access::Perm(Permission::ExportAudit), "Self-contained bundle for offline verification")
                .ok(r("AuditBundle")),
            api::audit_bundle,
        )
        .api(
            Op::get("/api/v1/audit/verify", audit, "Verify the stored log against its checkpoints")
                .ok(json!({"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}, "entries": {"type": "integer"}, "checkpoints": {"type": "integer"}, "root": r("Hash"), "error": {"type": "string"}}})),
            api::audit_verify,
        )
        .api(
            Op::post("/api/v1/scan", Access::Perm(Permission::Scan), "Screen one text with the engine")
                .body(json!({"type": "object", "additionalProperties": false, "required": ["text"],
                    "properties": {"text": {"type": "string", "maxLength": service::SCAN_TEXT_BYTES_MAX},
                        "channel": {"type": "string", "enum": codes(Channel::ALL, Channel::as_str), "default": "script"},
                        "category": {"type": "string", "enum": codes(ProductCategory::ALL, ProductCategory::as_str), "default": "general"}}}))
                .ok(r("ScanResult"))
                .example(json!({"text": "这款面霜是全网最好用的，用完立竿见影。", "channel": "script", "category": "cosmetics"})),
            api::scan,
        )
        .api(
            Op::get("/api/v1/openapi.json", Access::Public, "This document"),
            crate::http::openapi::document,
        )
        .schema("User", json!({"type": "object", "properties": {"id": {"type": "integer"}, "username": {"type": "string"}, "display_name": {"type": "string"},
            "role": {"type": "string", "enum": codes(Role::ALL, Role::as_str)}, "role_label": {"type": "string"}, "disabled": {"type": "boolean"},
            "created_at": {"type": "string"}, "updated_at": {"type": "string"}}}))
        .schema("Me", json!({"allOf": [r("User"), {"type": "object", "properties": {"permissions": {"type": "array", "items": {"type": "string"}}, "csrf_token": {"type": "string"}}}]}))
        .schema("ApiToken", json!({"type": "object", "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
            "role": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "revoked_at": {"type": ["string", "null"]}}}))
        .schema("AuditEntry", json!({"type": "object", "required": ["seq", "time", "actor", "role", "action", "object"], "properties": {
            "seq": {"type": "integer"}, "time": {"type": "string"}, "actor": {"type": "string"}, "role": {"type": "string"}, "action": {"type": "string"},
            "object": {"type": "string"}, "before": {"type": ["string", "null"]}, "after": {"type": ["string", "null"]}, "reason": {"type": ["string", "null"]}}}))
        .schema("SignedCheckpoint", json!({"type": "object", "required": ["checkpoint", "signature"], "properties": {
            "checkpoint": {"type": "object", "properties": {"origin": {"type": "string"}, "size": {"type": "integer"}, "root": r("Hash"), "time": {"type": "string"}}},
            "signature": {"type": "string", "description": "hex Ed25519 signature over the five-line checkpoint text"}}}))
        .schema("AuditBundle", json!({"type": "object", "required": ["format", "origin", "public_key", "entries", "checkpoints", "consistency"], "properties": {
            "format": {"type": "string", "const": liveguard_audit::BUNDLE_FORMAT}, "origin": {"type": "string"}, "public_key": {"type": "string"},
            "entries": {"type": "array", "items": r("AuditEntry")}, "checkpoints": {"type": "array", "items": r("SignedCheckpoint")},
            "consistency": {"type": "array", "items": {"type": "object", "properties": {"from": {"type": "integer"}, "to": {"type": "integer"}, "proof": {"type": "array", "items": r("Hash")}}}}}}))
        .schema("ScanResult", json!({"type": "object", "properties": {"decision": {"type": "string", "enum": ["pass", "review", "block"]}, "findings": {"type": "array", "items": r("Finding")}, "masked_text": {"type": "string"}}}))
        .page("/login", get(pages::login_page).post(pages::login_submit))
        .page("/logout", post(pages::logout))
        .page("/lang", get(pages::set_lang))
        .page("/setup", get(pages::setup_page).post(pages::setup_submit))
        .page("/scan", get(pages::scan_page).post(pages::scan_submit))
        .page("/static/page.js", get(pages::page_js))
        .page(
            "/admin/users",
            get(pages::users_page).post(pages::users_create),
        )
        .page("/admin/users/{id}", post(pages::users_update))
        .page(
            "/tokens",
            get(pages::tokens_page).post(pages::tokens_create),
        )
        .page("/tokens/{id}/revoke", post(pages::tokens_revoke))
        .page(
            "/account/password",
            get(pages::password_page).post(pages::password_submit),
        )
        .page("/audit", get(pages::audit_page))
        .page("/audit.csv", get(pages::audit_csv))
        .page("/.well-known/liveguard-audit-key", get(api::audit_key))
}
