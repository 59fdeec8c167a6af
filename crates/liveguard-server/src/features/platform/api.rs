//! The platform JSON API: sign-in, users, API tokens, one's password, the audit log and its
//! proofs, and the scan tool. The operations the pages share are in [`super::service`];
//! each route's permission is declared and checked in `mod.rs`.

use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liveguard_audit::merkle;
use liveguard_store::Stamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::service::*;
use crate::AppState;
use crate::http::auth::{self, ApiPrincipal, Via};
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::http::perms::Permission;

fn user_json(u: &liveguard_store::User) -> Value {
    json!({
        "id": u.id, "username": u.username, "display_name": u.display_name,
        "role": u.role, "role_label": u.role.label_zh(), "disabled": u.disabled,
        "created_at": u.created_at.rfc3339(), "updated_at": u.updated_at.rfc3339(),
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
    let mut resp = Json(json!({ "user": user_json(&user), "csrf_token": session.csrf_token, "expires_at": session.expires_at.rfc3339() })).into_response();
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
pub(crate) async fn list_users(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let users = state.store.users().await?;
    Ok(Json(
        json!({ "users": users.iter().map(user_json).collect::<Vec<_>>() }),
    ))
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
    // The route's guard checked ManageOwnTokens; everyone's tokens need more.
    if all {
        p.require(Permission::ManageAllTokens)?;
    }
    let tokens = visible_tokens(&state, &p, all).await?;
    let list: Vec<Value> = tokens
        .iter()
        .map(|t| json!({"id": t.id, "user_id": t.user_id, "name": t.name, "prefix": t.prefix, "role": t.scope_role, "created_at": t.created_at.rfc3339(), "revoked_at": t.revoked_at.map(Stamp::rfc3339)}))
        .collect();
    Ok(Json(json!({ "tokens": list })))
}

/// `POST /api/v1/tokens`: the token is in the response once and never again.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    ApiJson(b): ApiJson<NewTokenBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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

/// `DELETE /api/v1/tokens/{id}`
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    ApiPrincipal(p): ApiPrincipal,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    revoke_token_checked(&state, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/audit/entries`: newest first; `next_before` pages backwards.
pub(crate) async fn audit_entries(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
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
) -> Result<Json<Value>, ApiError> {
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
    Query(q): Query<InclusionQuery>,
) -> Result<Json<Value>, ApiError> {
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
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<Value>, ApiError> {
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
pub(crate) async fn audit_verify(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(crate::jobs::checkpoint::verification_json(
        &crate::jobs::checkpoint::verify_now(&state).await,
    )))
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

/// `POST /api/v1/scan`: screens one text with the engine.
pub(crate) async fn scan(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<ScanBody>,
) -> Result<Json<Value>, ApiError> {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserBody {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateUserBody {
    role: Option<String>,
    disabled: Option<bool>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordBody {
    current_password: String,
    new_password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenBody {
    name: String,
    /// Optional narrower role the token acts with.
    role: Option<String>,
}
