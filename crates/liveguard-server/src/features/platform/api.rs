//! The JSON API under `/api/v1`. Every route checks its permission here, on the server.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liveguard_audit::merkle;
use liveguard_core::{Channel, ProductCategory, Role};
use liveguard_screen::ScanContext;
use liveguard_store::{AuditFilter, NewUser, PAGE_LIMIT_MAX};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::AppState;
use crate::http::auth::{self, ApiPrincipal, Via};
use crate::http::error::ApiError;
use crate::http::perms::Permission;

/// Longest text `POST /api/v1/scan` accepts, in bytes.
pub(crate) const SCAN_TEXT_BYTES_MAX: usize = 256 * 1024;

/// `Json<T>` whose rejections are problem+json errors naming what was wrong.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::BadBody(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadBody(e.body_text())),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::BadBody(
                "expected Content-Type: application/json".into(),
            )),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
            Err(e) => Err(ApiError::BadBody(e.body_text())),
        }
    }
}

fn user_json(u: &liveguard_store::User) -> Value {
    json!({
        "id": u.id, "username": u.username, "display_name": u.display_name,
        "role": u.role, "role_label": u.role.label_zh(), "disabled": u.disabled,
        "created_at": u.created_at, "updated_at": u.updated_at,
    })
}

/// `GET /api/v1/me`
pub(crate) async fn me(ApiPrincipal(p): ApiPrincipal) -> Json<Value> {
    let permissions: Vec<String> = Permission::ALL
        .iter()
        .filter(|perm| p.can(**perm))
        .map(|perm| format!("{perm:?}"))
        .collect();
    let mut v = user_json(&p.user);
    v["permissions"] = json!(permissions);
    if let Via::Session { csrf, .. } = &p.via {
        v["csrf_token"] = json!(csrf);
    }
    Json(v)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    username: String,
    password: String,
}

/// `POST /api/v1/session`: log in; sets the session cookie, returns the CSRF token.
pub(crate) async fn create_session(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, ApiError> {
    let ip = auth::client_ip(req.extensions());
    let ApiJson(body): ApiJson<LoginBody> = ApiJson::from_request(req, &state).await?;
    let (token, session, user) = auth::login(&state, &body.username, &body.password, ip).await?;
    let cookie = auth::session_cookie(
        &token,
        state.settings.session_minutes * 60,
        state.settings.secure_cookies,
    );
    let mut resp = Json(json!({ "user": user_json(&user), "csrf_token": session.csrf_token, "expires_at": session.expires_at })).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(resp)
}

/// `DELETE /api/v1/session`: log out.
pub(crate) async fn delete_session(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Response, ApiError> {
    let Via::Session { token_hash, .. } = &p.via else {
        return Err(ApiError::field(
            "authorization",
            "an API token has no session to end",
        ));
    };
    state
        .store
        .delete_session(
            token_hash,
            p.audit("session.logout", &format!("user:{}", p.user.id)),
        )
        .await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("lg_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(resp)
}

/// `GET /api/v1/users`
pub(crate) async fn list_users(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewUsers)?;
    let users = state.store.users().await?;
    Ok(Json(
        json!({ "users": users.iter().map(user_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserBody {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

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
        return Err(ApiError::field("display_name", "1 to 100 bytes"));
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
        Err(liveguard_store::StoreError::Conflict { .. }) => Err(ApiError::Conflict(format!(
            "user name `{username}` is taken"
        ))),
        other => Ok(other?),
    }
}

/// `POST /api/v1/users`
pub(crate) async fn create_user(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<NewUserBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = create_user_checked(
        &state,
        &p,
        &b.username,
        &b.display_name,
        &b.role,
        &b.password,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUserBody {
    role: Option<String>,
    disabled: Option<bool>,
    reason: Option<String>,
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
        return Err(ApiError::field(
            "id",
            "you cannot disable or demote your own account",
        ));
    }
    let mut draft = p.audit("user.update", &format!("user:{id}"));
    draft.reason = reason
        .filter(|r| !r.trim().is_empty())
        .map(|r| r.chars().take(500).collect());
    Ok(state.store.update_user(id, role, disabled, draft).await?)
}

/// `PATCH /api/v1/users/{id}`
pub(crate) async fn update_user(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<UpdateUserBody>,
) -> Result<Json<Value>, ApiError> {
    let user = update_user_checked(&state, &p, id, b.role.as_deref(), b.disabled, b.reason).await?;
    Ok(Json(user_json(&user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordBody {
    current_password: String,
    new_password: String,
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

/// `POST /api/v1/account/password`
pub(crate) async fn change_password(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    auth::ClientIp(ip): auth::ClientIp,
    ApiJson(b): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    change_password_checked(&state, &p, &b.current_password, &b.new_password, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokensQuery {
    all: Option<bool>,
}

/// `GET /api/v1/tokens[?all=true]`
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Query(q): Query<TokensQuery>,
) -> Result<Json<Value>, ApiError> {
    let all = q.all.unwrap_or(false);
    if all {
        p.require(Permission::ManageAllTokens)?;
    } else {
        p.require(Permission::ManageOwnTokens)?;
    }
    let tokens = visible_tokens(&state, &p, all).await?;
    let list: Vec<Value> = tokens
        .iter()
        .map(|t| json!({"id": t.id, "user_id": t.user_id, "name": t.name, "prefix": t.prefix, "role": t.scope_role, "created_at": t.created_at, "revoked_at": t.revoked_at}))
        .collect();
    Ok(Json(json!({ "tokens": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenBody {
    name: String,
    /// Optional narrower role the token acts with.
    role: Option<String>,
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
        return Err(ApiError::field("name", "1 to 100 bytes"));
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

/// `POST /api/v1/tokens`: the token is in the response once and never again.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<NewTokenBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    p.require(Permission::ManageOwnTokens)?;
    let (secret, t) = issue_token(
        &state,
        &p,
        &b.name,
        b.role.as_deref(),
        p.audit("token.create", "api_token:new"),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": t.id, "name": t.name, "prefix": t.prefix, "role": t.scope_role, "token": secret}),
        ),
    ))
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

/// `DELETE /api/v1/tokens/{id}`
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    revoke_token_checked(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
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
            limit: self.limit.unwrap_or(50),
        }
    }
}

/// `GET /api/v1/audit/entries`: newest first; `next_before` pages backwards.
pub(crate) async fn audit_entries(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewAudit)?;
    page_limit(q.limit, 50)?;
    cursor("before", q.before)?;
    let filter = q.filter();
    let entries = state.store.audit_search(&filter).await?;
    let next = if entries.len() as i64 == filter.limit {
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(json!({ "entries": entries, "next_before": next })))
}

/// `GET /api/v1/audit/checkpoint`: the latest signed checkpoint (signing one if the log grew).
pub(crate) async fn audit_checkpoint(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewAudit)?;
    let cp = crate::jobs::checkpoint::ensure(&state).await?;
    Ok(Json(
        serde_json::to_value(cp).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InclusionQuery {
    seq: u64,
    size: u64,
}

/// `GET /api/v1/audit/proof/inclusion?seq=&size=`
pub(crate) async fn audit_inclusion(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewAudit)?;
    let total = state.store.audit_size().await?;
    if q.size == 0 || q.size > total {
        return Err(ApiError::field("size", format!("must be 1 to {total}")));
    }
    if q.seq >= q.size {
        return Err(ApiError::field("seq", "must be below size"));
    }
    let leaves = state.store.audit_leaves(q.size).await?;
    let proof = merkle::inclusion_proof(&leaves, q.seq as usize);
    Ok(Json(json!({
        "seq": q.seq, "size": q.size, "leaf_hash": hex::encode(leaves[q.seq as usize]),
        "root": hex::encode(merkle::root(&leaves)), "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConsistencyQuery {
    from: u64,
    to: u64,
}

/// `GET /api/v1/audit/proof/consistency?from=&to=`
pub(crate) async fn audit_consistency(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewAudit)?;
    let total = state.store.audit_size().await?;
    if q.to == 0 || q.to > total {
        return Err(ApiError::field("to", format!("must be 1 to {total}")));
    }
    if q.from == 0 || q.from > q.to {
        return Err(ApiError::field("from", "must be 1 to `to`"));
    }
    let leaves = state.store.audit_leaves(q.to).await?;
    let proof = merkle::consistency_proof(&leaves, q.from as usize);
    Ok(Json(json!({
        "from": q.from, "to": q.to,
        "from_root": hex::encode(merkle::root(&leaves[..q.from as usize])), "to_root": hex::encode(merkle::root(&leaves)),
        "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/audit/bundle`: a self-contained bundle for `liveguard audit verify`.
pub(crate) async fn audit_bundle(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Response, ApiError> {
    p.require(Permission::ExportAudit)?;
    let bundle = crate::jobs::checkpoint::bundle(&state).await?;
    state
        .store
        .append_audit(p.audit("audit.export", &format!("audit:{}", bundle.entries.len())))
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"liveguard-audit-bundle.json\""),
    );
    Ok((headers, Json(bundle)).into_response())
}

/// `GET /api/v1/audit/verify`: checks the stored log against its signed checkpoints now.
pub(crate) async fn audit_verify(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::ViewAudit)?;
    Ok(Json(crate::jobs::checkpoint::verify_now(&state).await))
}

/// `GET /.well-known/liveguard-audit-key`: the public key checkpoints are signed with.
pub(crate) async fn audit_key(State(state): State<AppState>) -> Json<Value> {
    Json(
        json!({ "algorithm": "ed25519", "public_key": state.key.public_key_hex(), "origin": state.settings.origin }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanBody {
    text: String,
    channel: Option<String>,
    category: Option<String>,
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

/// `POST /api/v1/scan`: screens one text with the engine.
pub(crate) async fn scan(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<ScanBody>,
) -> Result<Json<Value>, ApiError> {
    p.require(Permission::Scan)?;
    if b.text.len() > SCAN_TEXT_BYTES_MAX {
        return Err(ApiError::field(
            "text",
            format!("at most {SCAN_TEXT_BYTES_MAX} bytes"),
        ));
    }
    let ctx = scan_context(b.channel.as_deref(), b.category.as_deref())?;
    let screen = state.screen.load();
    let result = screen.scan(&b.text, ctx);
    metrics::counter!("liveguard_scans_total").increment(1);
    Ok(Json(
        json!({ "decision": result.decision, "findings": result.findings, "masked_text": screen.mask_personal_info(&b.text).0 }),
    ))
}
