//! The platform operations that the JSON API and the pages both call: create and change
//! users, change one's password, issue, list and revoke API tokens, read the audit log, and
//! screen one text. Each takes typed input and the caller, checks the caller's permission
//! (pages are not behind the API's route guard) and writes its state change with its audit
//! entry in one store call.

use liveguard_core::{Channel, ProductCategory, Role};
use liveguard_screen::ScanContext;
use liveguard_store::{AuditFilter, NewUser, PAGE_LIMIT_MAX};
use serde::Deserialize;

use crate::AppState;
use crate::http::auth::{self, Via};
use crate::http::error::ApiError;
use crate::http::perms::Permission;

/// Longest text `POST /api/v1/scan` accepts, in bytes.
pub(crate) const SCAN_TEXT_BYTES_MAX: usize = 256 * 1024;

/// Creates a user after validating every field (shared by API and UI).
pub(crate) async fn create_user_checked(
    state: &AppState,
    p: &auth::Principal,
    username: &str,
    display_name: &str,
    role: &str,
    password: &str,
) -> Result<liveguard_store::User, ApiError> {
    p.require(Permission::ManageUsers)?;
    let role: Role = role
        .parse()
        .map_err(|e: liveguard_core::ParseError| ApiError::field("role", e.to_string()))?;
    if display_name.trim().is_empty() || display_name.len() > 100 {
        return Err(ApiError::invalid(
            "display_name",
            "请填写显示名（最多 100 字节）",
            "1 to 100 bytes",
        ));
    }
    auth::validate_password(password)?;
    let hash = auth::hash_password(password.to_string()).await?;
    let new = NewUser {
        username: username.to_string(),
        display_name: display_name.trim().to_string(),
        role,
        password_hash: hash,
    };
    match state
        .store
        .create_user(new, p.audit("user.create", "user:new"))
        .await
    {
        Err(liveguard_store::StoreError::Invalid(m)) => Err(ApiError::field("username", m)),
        Err(liveguard_store::StoreError::Conflict { .. }) => Err(ApiError::invalid(
            "username",
            format!("用户名 {username} 已被使用"),
            format!("user name `{username}` is taken"),
        )),
        other => Ok(other?),
    }
}

/// Changes a user's role or disabled flag (shared by API and UI).
pub(crate) async fn update_user_checked(
    state: &AppState,
    p: &auth::Principal,
    id: i64,
    role: Option<&str>,
    disabled: Option<bool>,
    reason: Option<String>,
) -> Result<liveguard_store::User, ApiError> {
    p.require(Permission::ManageUsers)?;
    let role = role
        .map(|r| {
            r.parse::<Role>()
                .map_err(|e| ApiError::field("role", e.to_string()))
        })
        .transpose()?;
    if id == p.user.id && (disabled == Some(true) || role.is_some_and(|r| r != Role::Admin)) {
        return Err(ApiError::invalid(
            "id",
            "不能停用自己的账号，也不能取消自己的管理员角色",
            "you cannot disable or demote your own account",
        ));
    }
    let mut draft = p.audit("user.update", &format!("user:{id}"));
    draft.reason = reason
        .filter(|r| !r.trim().is_empty())
        .map(|r| r.chars().take(500).collect());
    Ok(state.store.update_user(id, role, disabled, draft).await?)
}

/// Changes the caller's own password (shared by API and UI).
pub(crate) async fn change_password_checked(
    state: &AppState,
    p: &auth::Principal,
    current: &str,
    new: &str,
    ip: Option<std::net::IpAddr>,
) -> Result<(), ApiError> {
    auth::check_current_password(state, p, current, ip).await?;
    auth::validate_password(new).map_err(|_| {
        ApiError::field(
            "new_password",
            format!(
                "{} to {} characters",
                auth::PASSWORD_CHARS_MIN,
                auth::PASSWORD_BYTES_MAX
            ),
        )
    })?;
    let hash = auth::hash_password(new.to_string()).await?;
    let keep = match &p.via {
        Via::Session { token_hash, .. } => Some(token_hash.as_str()),
        Via::Token { .. } => None,
    };
    state
        .store
        .set_password(
            p.user.id,
            &hash,
            keep,
            p.audit("user.password_change", &format!("user:{}", p.user.id)),
        )
        .await?;
    Ok(())
}

/// Creates an API token for the caller; returns (secret, stored token). The secret is
/// shown once.
///
/// A token never holds more than the credential that made it (security review F1): the
/// requested role must lie within the caller's effective role, and a caller that is itself
/// a scoped token passes its scope on when no role is asked for.
pub(crate) async fn issue_token(
    state: &AppState,
    p: &auth::Principal,
    name: &str,
    scope: Option<&str>,
    audit: liveguard_store::AuditDraft,
) -> Result<(String, liveguard_store::ApiToken), ApiError> {
    if name.trim().is_empty() || name.len() > 100 {
        return Err(ApiError::invalid(
            "name",
            "请填写令牌名称（最多 100 字节）",
            "1 to 100 bytes",
        ));
    }
    let scope = match scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => p.scope(),
        Some(s) => {
            let role: Role = s
                .parse()
                .map_err(|e: liveguard_core::ParseError| ApiError::field("role", e.to_string()))?;
            if !p.covers(role) {
                return Err(ApiError::field(
                    "role",
                    format!(
                        "a token cannot do more than the credential that makes it ({})",
                        p.user.role
                    ),
                ));
            }
            Some(role)
        }
    };
    let secret = format!("lg_{}", auth::random_hex32());
    let token = state
        .store
        .create_token(
            p.user.id,
            name.trim(),
            &auth::secret_hash(&secret),
            &secret[..10],
            scope,
            audit,
        )
        .await?;
    Ok((secret, token))
}

/// The tokens the caller may see and revoke: their own that reach no further than the
/// credential in use, or everyone's for a credential with `ManageAllTokens`.
pub(crate) async fn visible_tokens(
    state: &AppState,
    p: &auth::Principal,
    all: bool,
) -> Result<Vec<liveguard_store::ApiToken>, ApiError> {
    if all && p.can(Permission::ManageAllTokens) {
        return Ok(state.store.tokens(None).await?);
    }
    let owner_role = state.store.user(p.user.id).await?.role;
    Ok(state
        .store
        .tokens(Some(p.user.id))
        .await?
        .into_iter()
        .filter(|t| p.covers(t.scope_role.unwrap_or(owner_role)))
        .collect())
}

/// Revokes a token the caller owns (or any token, for administrators). A scoped token
/// cannot revoke a token that reaches further than itself (security review F1): that
/// needs the wider credential.
pub(crate) async fn revoke_token_checked(
    state: &AppState,
    p: &auth::Principal,
    id: i64,
) -> Result<(), ApiError> {
    p.require(Permission::ManageOwnTokens)
        .or_else(|_| p.require(Permission::ManageAllTokens))?;
    let visible = visible_tokens(state, p, p.can(Permission::ManageAllTokens)).await?;
    if !visible.iter().any(|t| t.id == id) {
        return Err(ApiError::NotFound);
    }
    state
        .store
        .revoke_token(id, p.audit("token.revoke", &format!("api_token:{id}")))
        .await?;
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    pub(crate) action: Option<String>,
    pub(crate) actor: Option<String>,
    pub(crate) object: Option<String>,
    pub(crate) before: Option<i64>,
    pub(crate) limit: Option<i64>,
}

/// A page size from a query: `default` when absent, refused (naming `limit`) outside
/// 1..=[`PAGE_LIMIT_MAX`] — the documented range — instead of being quietly clamped.
pub(crate) fn page_limit(limit: Option<i64>, default: i64) -> Result<i64, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=PAGE_LIMIT_MAX).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::field(
            "limit",
            format!("must be 1 to {PAGE_LIMIT_MAX}"),
        )),
    }
}

/// A paging cursor from a query: refused (naming the parameter) when negative.
pub(crate) fn cursor(name: &str, value: Option<i64>) -> Result<Option<i64>, ApiError> {
    match value {
        Some(v) if v < 0 => Err(ApiError::field(name, "must be 0 or more")),
        v => Ok(v),
    }
}

impl AuditQuery {
    /// The store filter (the handler checks the page size and cursor first).
    pub(crate) fn filter(&self) -> AuditFilter {
        let clean = |s: &Option<String>| {
            s.as_ref()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        AuditFilter {
            action: clean(&self.action),
            actor: clean(&self.actor),
            object_prefix: clean(&self.object),
            before_seq: self.before,
            from: None,
            until: None,
            limit: self.limit.unwrap_or(50),
        }
    }
}

/// Parses channel and category fields; errors name the field.
pub(crate) fn scan_context(
    channel: Option<&str>,
    category: Option<&str>,
) -> Result<ScanContext, ApiError> {
    let channel = channel
        .unwrap_or("script")
        .parse::<Channel>()
        .map_err(|e| ApiError::field("channel", e.to_string()))?;
    let category = category
        .unwrap_or("general")
        .parse::<ProductCategory>()
        .map_err(|e| ApiError::field("category", e.to_string()))?;
    Ok(ScanContext::new(channel, category))
}
