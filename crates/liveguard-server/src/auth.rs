//! Who is asking: sessions (cookie), API tokens (bearer), passwords, CSRF, login throttling.
//!
//! Secrets are never stored: a session cookie and an API token are 32 random bytes whose
//! SHA-256 is what the database holds; passwords are Argon2id PHC strings. Nothing here
//! logs a password, a token or a cookie value.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use liveguard_store::{AuditDraft, Session, User, format_rfc3339};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::AppState;
use crate::error::ApiError;
use crate::perms::{Permission, allowed};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "lg_session";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "lg_lang";
/// Longest password accepted (Argon2 input bound).
pub const PASSWORD_BYTES_MAX: usize = 256;
/// Shortest password accepted.
pub const PASSWORD_CHARS_MIN: usize = 10;

/// 32 random bytes as hex.
pub fn random_hex32() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    hex::encode(bytes)
}

/// SHA-256 hex of a secret, as stored.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Checks a new password's length; the message names the rule.
pub fn validate_password(password: &str) -> Result<(), ApiError> {
    if password.len() > PASSWORD_BYTES_MAX {
        return Err(ApiError::field(
            "password",
            format!("at most {PASSWORD_BYTES_MAX} bytes"),
        ));
    }
    if password.chars().count() < PASSWORD_CHARS_MIN {
        return Err(ApiError::field(
            "password",
            format!("at least {PASSWORD_CHARS_MIN} characters"),
        ));
    }
    Ok(())
}

/// Argon2id hash (PHC string), computed off the async threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// Whether `password` matches the PHC string, computed off the async threads.
pub async fn verify_password(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session; holds the session's CSRF token and cookie hash.
    Session {
        /// CSRF token bound to the session.
        csrf: String,
        /// SHA-256 of the cookie.
        token_hash: String,
    },
    /// An API token.
    Token {
        /// Token id.
        id: i64,
        /// The narrower role the token was issued with, if any. The principal's
        /// `user.role` is already this role; it is kept here so that tokens made or revoked
        /// with this credential can never reach further than it (security review F1).
        scope: Option<liveguard_core::Role>,
    },
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// How.
    pub via: Via,
}

impl Principal {
    /// Fails with 403 unless the role has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if allowed(self.user.role, permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Whether the role has `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        allowed(self.user.role, permission)
    }

    /// The audit actor name: the user, or `token:<id>` acting for the user.
    pub fn actor(&self) -> String {
        match self.via {
            Via::Session { .. } => self.user.username.clone(),
            Via::Token { id, .. } => format!("{}@token:{id}", self.user.username),
        }
    }

    /// An audit draft for an action by this principal.
    pub fn audit(&self, action: &str, object: &str) -> AuditDraft {
        AuditDraft::new(&self.actor(), self.user.role.as_str(), action, object)
    }

    /// The scope this credential carries: a scoped API token's role, `None` for a session
    /// or an unscoped token (which act with the owner's own role).
    pub fn scope(&self) -> Option<liveguard_core::Role> {
        match &self.via {
            Via::Token { scope, .. } => *scope,
            Via::Session { .. } => None,
        }
    }

    /// Whether a credential acting as `role` reaches no further than this one.
    pub fn covers(&self, role: liveguard_core::Role) -> bool {
        role_within(role, self.user.role)
    }

    /// The CSRF token of a session (empty for token callers).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Session { csrf, .. } => csrf,
            Via::Token { .. } => "",
        }
    }

    /// Checks a CSRF token submitted with a form (sessions only).
    pub fn check_csrf(&self, submitted: &str) -> Result<(), ApiError> {
        match &self.via {
            Via::Session { csrf, .. }
                if constant_time_eq(csrf.as_bytes(), submitted.as_bytes()) =>
            {
                Ok(())
            }
            Via::Session { .. } => Err(ApiError::Csrf),
            Via::Token { .. } => Ok(()),
        }
    }
}

/// Whether everything `narrower` may do, `wider` may do too.
pub fn role_within(narrower: liveguard_core::Role, wider: liveguard_core::Role) -> bool {
    Permission::ALL
        .iter()
        .all(|p| !allowed(narrower, *p) || allowed(wider, *p))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads one cookie from the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
        let value = auth.to_str().map_err(|_| ApiError::Unauthenticated)?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or(ApiError::Unauthenticated)?
            .trim();
        let (t, mut user) = state
            .store
            .token_by_hash(&secret_hash(token))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if user.disabled {
            return Err(ApiError::Disabled);
        }
        // A scoped token acts with its narrower role. It never widens its owner's rights:
        // that is checked when it is issued, and again here against the owner's current
        // role, in case the owner was demoted since.
        if let Some(scope) = t.scope_role {
            if !role_within(scope, user.role) {
                return Err(ApiError::Forbidden);
            }
            user.role = scope;
        }
        return Ok(Principal {
            user,
            via: Via::Token {
                id: t.id,
                scope: t.scope_role,
            },
        });
    }
    let value = cookie(parts, SESSION_COOKIE).ok_or(ApiError::Unauthenticated)?;
    let token_hash = secret_hash(value);
    let (session, user) = state
        .store
        .session(&token_hash)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if session.expires_at <= state.store.clock().now_rfc3339() || user.disabled {
        return Err(ApiError::Unauthenticated);
    }
    Ok(Principal {
        user,
        via: Via::Session {
            csrf: session.csrf_token,
            token_hash,
        },
    })
}

/// The caller of an API route: bearer token or session cookie. For a session, every
/// state-changing method must carry the session's CSRF token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct ApiPrincipal(pub Principal);

impl FromRequestParts<AppState> for ApiPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let p = authenticate(parts, state).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe && matches!(p.via, Via::Session { .. }) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            p.check_csrf(sent)?;
        }
        Ok(ApiPrincipal(p))
    }
}

/// The caller of a UI page: a session; anyone else is sent to the login page.
/// Form handlers check the CSRF field themselves with [`Principal::check_csrf`].
#[derive(Debug, Clone)]
pub struct UiPrincipal(pub Principal);

impl FromRequestParts<AppState> for UiPrincipal {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(parts, state).await {
            Ok(p) if matches!(p.via, Via::Session { .. }) => Ok(UiPrincipal(p)),
            Ok(_) | Err(ApiError::Unauthenticated) | Err(ApiError::Disabled) => {
                Err(Redirect::to("/login").into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The client address, when the server knows it.
pub fn client_ip(parts_ext: &axum::http::Extensions) -> Option<IpAddr> {
    parts_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// A fixed-window counter of login attempts per client address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    windows: Mutex<HashMap<Option<IpAddr>, (i64, u32)>>,
}

impl LoginThrottle {
    /// Counts an attempt; `false` when the address is over its limit this minute.
    pub fn attempt(&self, ip: Option<IpAddr>, now_unix: i64, per_minute: u32) -> bool {
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if w.len() > 100_000 {
            w.retain(|_, (start, _)| now_unix - *start < 60);
        }
        let minute = now_unix / 60;
        let entry = w.entry(ip).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        entry.1 += 1;
        entry.1 <= per_minute
    }
}

/// A new session cookie value and the user, after checking throttle, lockout and password.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<(String, Session, User), ApiError> {
    let now: OffsetDateTime = state.store.clock().now();
    if !state.throttle.attempt(
        ip,
        now.unix_timestamp(),
        state.settings.login_attempts_per_minute,
    ) {
        metrics::counter!("liveguard_login_total", "outcome" => "throttled").increment(1);
        return Err(ApiError::RateLimited);
    }
    if password.len() > PASSWORD_BYTES_MAX {
        return Err(ApiError::BadCredentials);
    }
    let Some(user) = state.store.user_by_name(username).await? else {
        // Spend the same time as a real check, so timing does not reveal which names exist.
        let _ = verify_password(password.to_string(), dummy_hash().await).await;
        metrics::counter!("liveguard_login_total", "outcome" => "failed").increment(1);
        return Err(ApiError::BadCredentials);
    };
    if user.disabled {
        return Err(ApiError::Disabled);
    }
    let now_text = format_rfc3339(now);
    if let Some(until) = &user.locked_until
        && until.as_str() > now_text.as_str()
    {
        return Err(ApiError::Locked(until.clone()));
    }
    if !verify_password(password.to_string(), user.password_hash.clone()).await {
        let lock_until =
            format_rfc3339(now + time::Duration::minutes(state.settings.lockout_minutes));
        let draft = AuditDraft::new(
            &user.username,
            user.role.as_str(),
            "session.login_failed",
            &format!("user:{}", user.id),
        );
        state
            .store
            .record_login_failure(
                user.id,
                state.settings.login_failures_max,
                &lock_until,
                draft,
            )
            .await?;
        metrics::counter!("liveguard_login_total", "outcome" => "failed").increment(1);
        return Err(ApiError::BadCredentials);
    }
    let token = random_hex32();
    let session = Session {
        token_hash: secret_hash(&token),
        user_id: user.id,
        csrf_token: random_hex32(),
        created_at: now_text,
        expires_at: format_rfc3339(now + time::Duration::minutes(state.settings.session_minutes)),
    };
    let draft = AuditDraft::new(
        &user.username,
        user.role.as_str(),
        "session.login",
        &format!("user:{}", user.id),
    );
    state.store.create_session(&session, draft).await?;
    metrics::counter!("liveguard_login_total", "outcome" => "ok").increment(1);
    Ok((token, session, user))
}

/// The `Set-Cookie` value for a session.
pub fn session_cookie(value: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// An Argon2id hash of a random password (made once), so that a login for an unknown user
/// costs as much as one for a known user.
async fn dummy_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async { hash_password(random_hex32()).await.unwrap_or_default() })
        .await
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2id_round_trip() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), h.clone()).await);
        assert!(!verify_password("wrong".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn throttle_counts_per_minute() {
        let t = LoginThrottle::default();
        let ip = Some("127.0.0.1".parse().unwrap());
        assert!(t.attempt(ip, 60, 2));
        assert!(t.attempt(ip, 61, 2));
        assert!(!t.attempt(ip, 62, 2));
        assert!(t.attempt(ip, 125, 2), "a new minute resets the window");
    }

    #[test]
    fn passwords_are_validated() {
        assert!(validate_password("short").is_err());
        assert!(validate_password(&"x".repeat(300)).is_err());
        assert!(validate_password("a long enough one").is_ok());
    }
}
