//! Platform: sign-in and sessions, users, API tokens, one's password, the audit log and its proofs, the scan tool and the API document.

pub mod api;
pub mod pages;

use axum::routing::{get, post};

use crate::http::perms::Permission;
use crate::http::routes::{Access, RouteSet};

/// This feature's routes, each declared once.
pub fn routes() -> RouteSet {
    RouteSet::new()
        .api(
            "get",
            "/api/v1/me",
            Access::Any,
            "The caller: user, role, permissions, CSRF token of a session",
            api::me,
        )
        .api(
            "post",
            "/api/v1/session",
            Access::Public,
            "Log in with user name and password; sets the session cookie",
            api::create_session,
        )
        .api(
            "delete",
            "/api/v1/session",
            Access::Any,
            "Log out",
            api::delete_session,
        )
        .api(
            "get",
            "/api/v1/users",
            Access::Perm(Permission::ViewUsers),
            "List users",
            api::list_users,
        )
        .api(
            "post",
            "/api/v1/users",
            Access::Perm(Permission::ManageUsers),
            "Create a user",
            api::create_user,
        )
        .api(
            "patch",
            "/api/v1/users/{id}",
            Access::Perm(Permission::ManageUsers),
            "Change a user's role or disabled flag",
            api::update_user,
        )
        .api(
            "post",
            "/api/v1/account/password",
            Access::Any,
            "Change one's own password",
            api::change_password,
        )
        .api(
            "get",
            "/api/v1/tokens",
            Access::Perm(Permission::ManageOwnTokens),
            "List one's API tokens (all with ?all=true)",
            api::list_tokens,
        )
        .api(
            "post",
            "/api/v1/tokens",
            Access::Perm(Permission::ManageOwnTokens),
            "Create an API token (returned once)",
            api::create_token,
        )
        .api(
            "delete",
            "/api/v1/tokens/{id}",
            Access::Perm(Permission::ManageOwnTokens),
            "Revoke an API token",
            api::revoke_token,
        )
        .api(
            "get",
            "/api/v1/audit/entries",
            Access::Perm(Permission::ViewAudit),
            "Browse the audit log, newest first",
            api::audit_entries,
        )
        .api(
            "get",
            "/api/v1/audit/checkpoint",
            Access::Perm(Permission::ViewAudit),
            "The latest signed checkpoint",
            api::audit_checkpoint,
        )
        .api(
            "get",
            "/api/v1/audit/proof/inclusion",
            Access::Perm(Permission::ViewAudit),
            "Inclusion proof of an entry",
            api::audit_inclusion,
        )
        .api(
            "get",
            "/api/v1/audit/proof/consistency",
            Access::Perm(Permission::ViewAudit),
            "Consistency proof between two sizes",
            api::audit_consistency,
        )
        .api(
            "get",
            "/api/v1/audit/bundle",
            Access::Perm(Permission::ExportAudit),
            "Self-contained bundle for offline verification",
            api::audit_bundle,
        )
        .api(
            "get",
            "/api/v1/audit/verify",
            Access::Perm(Permission::ViewAudit),
            "Verify the stored log against its checkpoints",
            api::audit_verify,
        )
        .api(
            "post",
            "/api/v1/scan",
            Access::Perm(Permission::Scan),
            "Screen one text with the engine",
            api::scan,
        )
        .api(
            "get",
            "/api/v1/openapi.json",
            Access::Public,
            "This document",
            crate::http::openapi::document,
        )
        .page("/", get(pages::dashboard))
        .page("/login", get(pages::login_page).post(pages::login_submit))
        .page("/logout", post(pages::logout))
        .page("/lang", get(pages::set_lang))
        .page("/setup", get(pages::setup_page).post(pages::setup_submit))
        .page("/scan", get(pages::scan_page).post(pages::scan_submit))
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
        .page("/.well-known/liveguard-audit-key", get(api::audit_key))
}
