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
use liveguard_store::{AuditDraft, Session, User};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::perms::{Permission, allowed};

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
        return Err(ApiError::invalid(
            "password",
            format!("密码过长（最多 {PASSWORD_BYTES_MAX} 字节）"),
            format!("at most {PASSWORD_BYTES_MAX} bytes"),
        ));
    }
    if password.chars().count() < PASSWORD_CHARS_MIN {
        return Err(ApiError::invalid(
            "password",
            format!("密码至少 {PASSWORD_CHARS_MIN} 个字符"),
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
        /// SHA-256 of the token, to check it again on a long-lived connection.
        token_hash: String,
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
        // The scheme is case-insensitive (RFC 7235 §2.1).
        let token = value
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
            .map(|_| value[7..].trim())
            .ok_or(ApiError::Unauthenticated)?;
        return token_principal(state, secret_hash(token)).await;
    }
    let value = cookie(parts, SESSION_COOKIE).ok_or(ApiError::Unauthenticated)?;
    session_principal(state, secret_hash(value)).await
}

/// The caller behind an API token, by the token's hash.
async fn token_principal(state: &AppState, token_hash: String) -> Result<Principal, ApiError> {
    let (t, mut user) = state
        .store
        .token_by_hash(&token_hash)
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
    Ok(Principal {
        user,
        via: Via::Token {
            id: t.id,
            token_hash,
            scope: t.scope_role,
        },
    })
}

/// The caller behind a browser session, by the cookie's hash.
async fn session_principal(state: &AppState, token_hash: String) -> Result<Principal, ApiError> {
    let (session, user) = state
        .store
        .session(&token_hash)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if session.expires_at <= state.store.now() || user.disabled {
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

/// Seconds between checks of the credential behind an open WebSocket or event stream.
pub const CREDENTIAL_RECHECK_SECONDS: u64 = 5;

/// Checks again that the credential behind `p` is still good and still has `permission`:
/// the token not revoked, the session not ended or expired, the user not disabled, the
/// role not narrowed below it — the same lookup as at connection time. Long-lived
/// connections call it on each message and on a timer, and close when it fails (security
/// review F3).
pub async fn recheck(
    state: &AppState,
    p: &Principal,
    permission: Permission,
) -> Result<(), ApiError> {
    let now = match &p.via {
        Via::Token { token_hash, .. } => token_principal(state, token_hash.clone()).await?,
        Via::Session { token_hash, .. } => session_principal(state, token_hash.clone()).await?,
    };
    now.require(permission)
}

/// The caller, as a route's guard found and checked it
/// ([`crate::http::routes::RouteSet::into_router`]): the handler's [`ApiPrincipal`] takes it
/// from the request's extensions instead of looking the credential up again. Only the
/// server puts it there.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

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
        if let Some(Authenticated(p)) = parts.extensions.get::<Authenticated>() {
            return Ok(ApiPrincipal(p.clone()));
        }
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

/// The signed-in person behind a page request, as [`UiPrincipal`] found them; only the
/// server puts it in a request's extensions.
#[derive(Debug, Clone)]
pub struct PageCaller(pub Principal);

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
            Ok(p) if matches!(p.via, Via::Session { .. }) => {
                // For the page's form extractor (`CsrfForm`), which checks the CSRF field
                // against this session.
                parts.extensions.insert(PageCaller(p.clone()));
                Ok(UiPrincipal(p))
            }
            Ok(_) | Err(ApiError::Unauthenticated) | Err(ApiError::Disabled) => {
                Err(Redirect::to("/login").into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// Whether a request that changes something comes from this site, as far as the browser
/// says: an `Origin` (or, without one, a `Referer`) must name the host the request was sent
/// to. Requests that carry neither (scripts, the CLI) pass; their credentials are checked
/// as usual. This is what defends the login form, which has no session to hold a CSRF
/// token yet (security review F13), and backs the CSRF tokens everywhere else.
pub fn same_origin(headers: &axum::http::HeaderMap) -> bool {
    let value = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(source) = value(header::ORIGIN).or_else(|| value(header::REFERER)) else {
        return true;
    };
    let Some(host) = value(header::HOST) else {
        return false;
    };
    let rest = source
        .strip_prefix("http://")
        .or_else(|| source.strip_prefix("https://"));
    let authority = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

/// Middleware: a state-changing request whose `Origin`/`Referer` names another site is
/// refused with `csrf_invalid` before any handler runs (see [`same_origin`]).
pub async fn refuse_cross_origin_writes(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !same_origin(req.headers()) {
        return ApiError::Csrf.into_response();
    }
    next.run(req).await
}

/// The client address as an extractor (never fails; `None` when the server does not know).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&parts.extensions)))
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

/// Failures before the account-wide backoff starts (several addresses guessing one account).
pub const ACCOUNT_FAILURES_BEFORE_BACKOFF: u32 = 20;
/// Longest account-wide backoff, in seconds; addresses the account signed in from are exempt.
pub const ACCOUNT_BACKOFF_SECONDS_MAX: i64 = 300;
/// Addresses remembered per account as ones it signed in from.
const TRUSTED_ADDRESSES_MAX: usize = 16;
/// Entries kept before expired ones are dropped.
const GUARD_ENTRIES_MAX: usize = 100_000;

/// How failed passwords slow down the next attempt: free attempts, then a wait that
/// doubles with each failure up to a ceiling. The count is forgotten once a full ceiling
/// has passed after the wait without a new failure.
#[derive(Debug, Clone, Copy)]
pub struct BackoffPolicy {
    /// Failures allowed before any wait.
    pub free_failures: u32,
    /// Longest wait, in seconds.
    pub wait_seconds_max: i64,
}

impl BackoffPolicy {
    /// Seconds to wait after `failures` failures (0 while still free).
    pub fn wait_seconds(&self, failures: u32) -> i64 {
        if failures < self.free_failures {
            return 0;
        }
        let doublings = (failures - self.free_failures).min(30);
        (1i64 << doublings).min(self.wait_seconds_max)
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last_unix: i64,
}

impl Failures {
    fn current(self, policy: BackoffPolicy, now_unix: i64) -> Option<Failures> {
        let wait = policy.wait_seconds(self.count);
        (now_unix - self.last_unix <= wait + policy.wait_seconds_max).then_some(self)
    }

    fn remaining(self, policy: BackoffPolicy, now_unix: i64) -> i64 {
        (self.last_unix + policy.wait_seconds(self.count) - now_unix).max(0)
    }
}

#[derive(Debug, Default)]
struct GuardState {
    /// (user name, address) → failures: the attempts of one client on one account.
    pairs: HashMap<(String, Option<IpAddr>), Failures>,
    /// user name → failures from every address.
    accounts: HashMap<String, Failures>,
    /// user name → addresses it signed in from (exempt from the account-wide wait).
    trusted: HashMap<String, Vec<Option<IpAddr>>>,
}

/// Failed passwords per account and client address (security review F4).
///
/// A wrong password makes the same client wait before trying that account again — 1 s,
/// 2 s, 4 s … up to `lockout_minutes` — so guessing is slow, while the real user at
/// another address is not kept out. Failures from many addresses also slow the account
/// as a whole (up to [`ACCOUNT_BACKOFF_SECONDS_MAX`]), except for addresses it signed in
/// from before. Unknown user names are counted the same way, so the answers never say
/// which accounts exist. The state is in memory, per node: a restart forgets it.
#[derive(Debug)]
pub struct LoginGuard {
    /// The backoff of one client on one account.
    pair: BackoffPolicy,
    /// The backoff of one account across clients.
    account: BackoffPolicy,
    state: Mutex<GuardState>,
}

impl LoginGuard {
    /// A guard with these two backoffs.
    pub fn new(pair: BackoffPolicy, account: BackoffPolicy) -> LoginGuard {
        LoginGuard {
            pair,
            account,
            state: Mutex::default(),
        }
    }

    /// The guard of these settings: `login_failures_max` free attempts per client and
    /// account, waits up to `lockout_minutes`; account-wide after
    /// [`ACCOUNT_FAILURES_BEFORE_BACKOFF`], up to [`ACCOUNT_BACKOFF_SECONDS_MAX`].
    pub fn for_settings(settings: &crate::Settings) -> LoginGuard {
        let pair = BackoffPolicy {
            free_failures: u32::try_from(settings.login_failures_max).unwrap_or(u32::MAX),
            wait_seconds_max: settings.lockout_minutes * 60,
        };
        let account = BackoffPolicy {
            free_failures: ACCOUNT_FAILURES_BEFORE_BACKOFF.max(pair.free_failures),
            wait_seconds_max: ACCOUNT_BACKOFF_SECONDS_MAX.min(pair.wait_seconds_max),
        };
        LoginGuard::new(pair, account)
    }

    fn key(username: &str) -> String {
        username.trim().to_lowercase().chars().take(64).collect()
    }

    /// Seconds this client must still wait before trying `username` (0 = may try now).
    pub fn wait_seconds(&self, username: &str, ip: Option<IpAddr>, now_unix: i64) -> i64 {
        let (pair, account) = (self.pair, self.account);
        let name = Self::key(username);
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let pair_wait = st
            .pairs
            .get(&(name.clone(), ip))
            .and_then(|f| f.current(pair, now_unix))
            .map_or(0, |f| f.remaining(pair, now_unix));
        let trusted = st.trusted.get(&name).is_some_and(|t| t.contains(&ip));
        let account_wait = if trusted {
            0
        } else {
            st.accounts
                .get(&name)
                .and_then(|f| f.current(account, now_unix))
                .map_or(0, |f| f.remaining(account, now_unix))
        };
        pair_wait.max(account_wait)
    }

    /// Counts a wrong password.
    pub fn failed(&self, username: &str, ip: Option<IpAddr>, now_unix: i64) {
        let (pair, account) = (self.pair, self.account);
        let name = Self::key(username);
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.pairs.len() > GUARD_ENTRIES_MAX || st.accounts.len() > GUARD_ENTRIES_MAX {
            st.pairs.retain(|_, f| f.current(pair, now_unix).is_some());
            st.accounts
                .retain(|_, f| f.current(account, now_unix).is_some());
        }
        let bump = |old: Option<Failures>, policy: BackoffPolicy| Failures {
            count: old
                .and_then(|f| f.current(policy, now_unix))
                .map_or(0, |f| f.count)
                .saturating_add(1),
            last_unix: now_unix,
        };
        let p = bump(st.pairs.get(&(name.clone(), ip)).copied(), pair);
        st.pairs.insert((name.clone(), ip), p);
        let a = bump(st.accounts.get(&name).copied(), account);
        st.accounts.insert(name, a);
    }

    /// Forgets this client's failures on the account and remembers the address.
    pub fn succeeded(&self, username: &str, ip: Option<IpAddr>) {
        let name = Self::key(username);
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.pairs.remove(&(name.clone(), ip));
        if st.trusted.len() > GUARD_ENTRIES_MAX {
            st.trusted.clear();
        }
        let t = st.trusted.entry(name).or_default();
        if !t.contains(&ip) {
            if t.len() >= TRUSTED_ADDRESSES_MAX {
                t.remove(0);
            }
            t.push(ip);
        }
    }
}

/// Checks a password for a sign-in or a password change, with the address throttle and
/// the backoff. Every answer costs one Argon2 verification (or none, when the client must
/// wait), whether the account exists, is disabled or not: unknown, disabled and wrong
/// answer alike `bad_credentials`; only the right password of a disabled account hears
/// `account_disabled`.
async fn check_password(
    state: &AppState,
    username: &str,
    password: &str,
    user: Option<&User>,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    let now = state.store.clock().now().unix_timestamp();
    if !state
        .throttle
        .attempt(ip, now, state.settings.login_attempts_per_minute)
    {
        metrics::counter!("liveguard_login_total", "outcome" => "throttled").increment(1);
        return Err(ApiError::RateLimited);
    }
    let wait = state.login_guard.wait_seconds(username, ip, now);
    if wait > 0 {
        metrics::counter!("liveguard_login_total", "outcome" => "backoff").increment(1);
        return Err(ApiError::RetryAfter(wait));
    }
    let phc = match user {
        Some(u) => u.password_hash.clone(),
        None => dummy_hash().await,
    };
    let right = password.len() <= PASSWORD_BYTES_MAX
        && verify_password(password.to_string(), phc).await
        && user.is_some();
    if !right {
        state.login_guard.failed(username, ip, now);
        metrics::counter!("liveguard_login_total", "outcome" => "failed").increment(1);
        return Err(ApiError::BadCredentials);
    }
    state.login_guard.succeeded(username, ip);
    if user.is_some_and(|u| u.disabled) {
        return Err(ApiError::Disabled);
    }
    Ok(())
}

/// A new session cookie value and the user, after checking throttle, backoff and password.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<(String, Session, User), ApiError> {
    let user = state.store.user_by_name(username).await?;
    let checked = check_password(state, username, password, user.as_ref(), ip).await;
    let Some(user) = user else {
        return Err(checked.err().unwrap_or(ApiError::BadCredentials));
    };
    if let Err(e) = checked {
        if matches!(e, ApiError::BadCredentials) {
            let draft = AuditDraft::new(
                &user.username,
                user.role.as_str(),
                "session.login_failed",
                &format!("user:{}", user.id),
            );
            state.store.record_login_failure(user.id, draft).await?;
        }
        return Err(e);
    }
    let now = state.store.now().floor_second();
    let token = random_hex32();
    let session = Session {
        token_hash: secret_hash(&token),
        user_id: user.id,
        csrf_token: random_hex32(),
        created_at: now,
        expires_at: now.plus(time::Duration::minutes(state.settings.session_minutes)),
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

/// Checks the current password of a signed-in user before a password change, with the
/// same throttle and backoff as a sign-in (security review F8); a wrong one is audited.
pub async fn check_current_password(
    state: &AppState,
    p: &Principal,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<(), ApiError> {
    match check_password(state, &p.user.username, password, Some(&p.user), ip).await {
        Ok(()) => Ok(()),
        Err(ApiError::BadCredentials) => {
            state
                .store
                .record_login_failure(
                    p.user.id,
                    p.audit(
                        "user.password_change_failed",
                        &format!("user:{}", p.user.id),
                    ),
                )
                .await?;
            Err(ApiError::invalid(
                "current_password",
                "当前密码不正确",
                "does not match",
            ))
        }
        Err(e) => Err(e),
    }
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
    fn backoff_doubles_to_its_ceiling_and_is_forgotten() {
        let policy = BackoffPolicy {
            free_failures: 5,
            wait_seconds_max: 900,
        };
        assert_eq!(policy.wait_seconds(4), 0);
        assert_eq!(policy.wait_seconds(5), 1);
        assert_eq!(policy.wait_seconds(6), 2);
        assert_eq!(policy.wait_seconds(14), 512);
        assert_eq!(policy.wait_seconds(15), 900);
        assert_eq!(policy.wait_seconds(u32::MAX), 900);
        let account = BackoffPolicy {
            free_failures: 20,
            wait_seconds_max: 300,
        };
        let g = LoginGuard::new(policy, account);
        let attacker = Some("10.0.0.1".parse().unwrap());
        let user = Some("10.0.0.2".parse().unwrap());
        for _ in 0..15 {
            g.failed("Admin", attacker, 1000);
        }
        assert_eq!(g.wait_seconds("admin", attacker, 1000), 900);
        assert_eq!(
            g.wait_seconds("admin", user, 1000),
            0,
            "another address is not kept out"
        );
        assert_eq!(g.wait_seconds("admin", attacker, 1900), 0);
        // One failure after the wait: the wait again, never longer than the ceiling.
        g.failed("admin", attacker, 1900);
        assert_eq!(g.wait_seconds("admin", attacker, 1900), 900);
        // A ceiling after the wait, the count is forgotten.
        assert_eq!(g.wait_seconds("admin", attacker, 3800), 0);
        g.failed("admin", attacker, 3800);
        assert_eq!(g.wait_seconds("admin", attacker, 3800), 0);
        // Many addresses: the account slows, but not for an address it signed in from.
        g.succeeded("admin", user);
        for i in 0..30u8 {
            g.failed("admin", Some([10, 1, 0, i].into()), 5000);
        }
        assert!(g.wait_seconds("admin", Some("10.9.9.9".parse().unwrap()), 5000) > 0);
        assert_eq!(g.wait_seconds("admin", user, 5000), 0);
    }

    #[test]
    fn cross_origin_is_told_from_same_origin() {
        let h = |pairs: &[(&str, &str)]| {
            let mut m = axum::http::HeaderMap::new();
            for (k, v) in pairs {
                m.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            m
        };
        assert!(
            same_origin(&h(&[("host", "127.0.0.1:8080")])),
            "no Origin: a script"
        );
        assert!(same_origin(&h(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(same_origin(&h(&[
            ("host", "a.example"),
            ("referer", "https://a.example/login?x=1")
        ])));
        assert!(!same_origin(&h(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&h(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "null")
        ])));
        assert!(!same_origin(&h(&[
            ("host", "a.example"),
            ("origin", "http://a.example.evil.example")
        ])));
        assert!(
            !same_origin(&h(&[("origin", "http://a.example")])),
            "no Host"
        );
    }

    #[test]
    fn passwords_are_validated() {
        assert!(validate_password("short").is_err());
        assert!(validate_password(&"x".repeat(300)).is_err());
        assert!(validate_password("a long enough one").is_ok());
    }
}
