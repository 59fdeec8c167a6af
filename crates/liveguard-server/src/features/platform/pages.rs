//! Platform pages: sign-in, first-run setup, language, the dashboard, the scan page, users,
//! API tokens, one's password and the audit log. Every form posts the session's CSRF token;
//! every handler checks the role on the server.

use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use liveguard_core::{Channel, ProductCategory, Role};
use maud::{Markup, html};
use serde::Deserialize;

use super::service;
use crate::AppState;
use crate::http::auth::{self, LANG_COOKIE, Principal, UiPrincipal, Via};
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageLang};
use crate::http::perms::Permission;

use crate::ui::labels::{AUDIT_ACTIONS, audit_action};
use crate::ui::*;

// ---- login, setup, language ----

/// `GET /login`
pub(crate) async fn login_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
) -> Response {
    if state.store.user_count().await.unwrap_or(1) == 0 {
        return Redirect::to("/setup").into_response();
    }
    login_form(lang, state.settings.demo, None, StatusCode::OK)
}

fn login_form(lang: Lang, demo: bool, error: Option<&str>, status: StatusCode) -> Response {
    let body = html! {
        div.card style="max-width:420px" {
            @if let Some(e) = error { (error_box(e)) }
            form method="post" action="/login" {
                label { (tr(lang, "用户名", "User name")) br; input name="username" autocomplete="username" required autofocus; }
                label { (tr(lang, "密码", "Password")) br; input name="password" type="password" autocomplete="current-password" required; }
                input type="submit" value=(tr(lang, "登录", "Log in"));
            }
        }
        @if demo {
            div.card style="max-width:640px" data-testid="demo-accounts" {
                h3 { (tr(lang, "演示账号（仅演示模式）", "Demo accounts (demo mode only)")) }
                p.muted { (tr(lang, "每个角色一个账号，密码为 demo-用户名-2026。启动时终端也会打印这张表。", "One account per role; the password is demo-NAME-2026. The terminal printed this table at start-up too.")) }
                table {
                    thead { tr { th { (tr(lang, "用户名", "User name")) } th { (tr(lang, "姓名", "Name")) } th { (tr(lang, "角色", "Role")) } } }
                    tbody { @for (name, display, role) in crate::DEMO_USERS { tr { td { code { (name) } } td { (display) } td { (role_label(lang, *role)) } } } }
                }
            }
        }
    };
    (status, page(lang, tr(lang, "登录", "Log in"), None, body)).into_response()
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
}

/// `POST /login`
pub(crate) async fn login_submit(State(state): State<AppState>, req: Request) -> Response {
    let lang = lang_of(req.headers());
    let ip = auth::client_ip(req.extensions());
    let Ok(Form(form)) =
        <Form<LoginForm> as axum::extract::FromRequest<AppState>>::from_request(req, &state).await
    else {
        return login_form(
            lang,
            state.settings.demo,
            Some(tr(
                lang,
                "请填写用户名和密码",
                "Enter a user name and a password",
            )),
            StatusCode::BAD_REQUEST,
        );
    };
    match auth::login(&state, &form.username, &form.password, ip).await {
        Ok((token, _, _)) => {
            let mut resp = Redirect::to("/").into_response();
            if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(
                &token,
                state.settings.session_minutes * 60,
                state.settings.secure_cookies,
            )) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            let message = password_error_message(lang, &e);
            let status = e.parts().0;
            login_form(lang, state.settings.demo, Some(&message), status)
        }
    }
}

/// What a person is told when a password check fails (sign-in or password change).
fn password_error_message(lang: Lang, e: &ApiError) -> String {
    match e {
        ApiError::BadCredentials => {
            tr(lang, "用户名或密码错误", "Wrong user name or password").to_string()
        }
        ApiError::Validation { field, .. } if field == "current_password" => {
            tr(lang, "当前密码不正确", "The current password is wrong").to_string()
        }
        ApiError::Validation { field, .. } if field == "new_password" => tr(
            lang,
            "新密码需 10 到 256 个字符",
            "The new password needs 10 to 256 characters",
        )
        .to_string(),
        ApiError::RetryAfter(seconds) => format!(
            "{} {seconds} {}",
            tr(
                lang,
                "密码错误次数过多，请在",
                "Too many wrong passwords; try again in"
            ),
            tr(lang, "秒后再试", "s")
        ),
        ApiError::Disabled => tr(lang, "账户已停用", "This account is disabled").to_string(),
        ApiError::RateLimited => tr(
            lang,
            "尝试次数过多，请稍后再试",
            "Too many attempts; try again later",
        )
        .to_string(),
        other => other.to_string(),
    }
}

/// `POST /logout`
pub(crate) async fn logout(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    CsrfForm(_): CsrfForm,
) -> Response {
    if let Via::Session { token_hash, .. } = &p.via {
        let _ = state
            .store
            .delete_session(
                token_hash,
                p.audit("session.logout", &format!("user:{}", p.user.id)),
            )
            .await;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("lg_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    resp
}

#[derive(Deserialize)]
pub(crate) struct LangQuery {
    to: String,
}

/// `GET /lang?to=en|zh`
pub(crate) async fn set_lang(Query(q): Query<LangQuery>) -> Response {
    let value = if q.to == "en" { "en" } else { "zh" };
    let mut resp = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={value}; Path=/; SameSite=Lax; Max-Age=31536000"
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /setup`: create the first administrator (only while there are no users).
pub(crate) async fn setup_page(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
) -> Response {
    if state.store.user_count().await.unwrap_or(1) > 0 {
        return Redirect::to("/login").into_response();
    }
    setup_form(lang, None)
}

fn setup_form(lang: Lang, error: Option<&str>) -> Response {
    let body = html! {
        div.card style="max-width:480px" {
            p { (tr(lang, "首次启动：创建第一个系统管理员账户。", "First start: create the first administrator account.")) }
            @if let Some(e) = error { (error_box(e)) }
            form method="post" action="/setup" {
                label { (tr(lang, "用户名", "User name")) br; input name="username" required; }
                label { (tr(lang, "显示名称", "Display name")) br; input name="display_name" required; }
                label { (tr(lang, "密码（至少 10 个字符）", "Password (10 characters or more)")) br; input name="password" type="password" required; }
                input type="submit" value=(tr(lang, "创建", "Create"));
            }
        }
    };
    page(lang, tr(lang, "初始设置", "Setup"), None, body).into_response()
}

#[derive(Deserialize)]
pub(crate) struct SetupForm {
    username: String,
    display_name: String,
    password: String,
}

/// `POST /setup`
pub(crate) async fn setup_submit(
    State(state): State<AppState>,
    PageLang(lang): PageLang,
    Form(f): Form<SetupForm>,
) -> Response {
    let _one_setup = state.checkpoint_lock.lock().await;
    if state.store.user_count().await.unwrap_or(1) > 0 {
        return Redirect::to("/login").into_response();
    }
    if let Err(e) = auth::validate_password(&f.password) {
        return setup_form(lang, Some(&crate::ui::error_text(lang, &e)));
    }
    let hash = match auth::hash_password(f.password).await {
        Ok(h) => h,
        Err(e) => return setup_form(lang, Some(&e.to_string())),
    };
    let new = liveguard_store::NewUser {
        username: f.username,
        display_name: f.display_name,
        role: Role::Admin,
        password_hash: hash,
    };
    match state
        .store
        .create_user(
            new,
            liveguard_store::AuditDraft::new("setup", "system", "user.create", "user:new")
                .reason("first administrator"),
        )
        .await
    {
        Ok(_) => Redirect::to("/login").into_response(),
        Err(e) => setup_form(lang, Some(&crate::ui::error_text(lang, &e.into()))),
    }
}

/// `GET /static/page.js` (for signed-in users).
pub(crate) async fn page_js(UiPrincipal(_p): UiPrincipal) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        PAGE_JS,
    )
        .into_response()
}

// ---- scan ----

const EXAMPLE_SCRIPT: &str = "欢迎来到直播间！这款面霜是全网最好用的，原价399今天只要99，手慢无！\n坚持用能治疗湿疹，还能美白祛斑。想要更便宜的加我薇信私聊。\n第一次来的宝宝先领券，最好不要错过。";

/// `GET /scan`
pub(crate) async fn scan_page(UiPrincipal(p): UiPrincipal, PageLang(lang): PageLang) -> Response {
    if let Err(e) = p.require(Permission::Scan) {
        return error_page(lang, Some(&p), e);
    }
    page(
        lang,
        tr(lang, "合规扫描", "Screen text"),
        Some(&p),
        scan_form(lang, &p, EXAMPLE_SCRIPT, "script", "cosmetics"),
    )
    .into_response()
}

fn scan_form(lang: Lang, p: &Principal, text: &str, channel: &str, category: &str) -> Markup {
    html! {
        form.card method="post" action="/scan" {
            input type="hidden" name="csrf" value=(p.csrf());
            label { (tr(lang, "文本（每行一段）", "Text (one passage per line)")) textarea name="text" maxlength="200000" { (text) } }
            label { (tr(lang, "渠道", "Channel")) " "
                select name="channel" { @for c in Channel::ALL { option value=(c.as_str()) selected[c.as_str() == channel] { (c.label(lang)) } } }
                " " (tr(lang, "商品类别", "Product category")) " "
                select name="category" { @for c in ProductCategory::ALL { option value=(c.as_str()) selected[c.as_str() == category] { (c.label(lang)) } } }
            }
            input type="submit" value=(tr(lang, "扫描", "Screen"));
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ScanForm {
    text: String,
    channel: String,
    category: String,
}

/// `POST /scan`
pub(crate) async fn scan_submit(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(f): CsrfForm<ScanForm>,
) -> Response {
    if let Err(e) = p.require(Permission::Scan) {
        return error_page(lang, Some(&p), e);
    }
    if f.text.len() > service::SCAN_TEXT_BYTES_MAX {
        return error_page(
            lang,
            Some(&p),
            ApiError::field(
                "text",
                format!("at most {} bytes", service::SCAN_TEXT_BYTES_MAX),
            ),
        );
    }
    let ctx = match service::scan_context(Some(&f.channel), Some(&f.category)) {
        Ok(c) => c,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let result = state.screen.load().scan(&f.text, ctx);
    let body = html! {
        (scan_form(lang, &p, &f.text, &f.channel, &f.category))
        div.card {
            p { (tr(lang, "结论：", "Decision: ")) span class=(format!("badge b-{}", result.decision)) { (result.decision) } " · " (result.findings.len()) " " (tr(lang, "处命中", "findings")) }
            div.text data-testid="highlighted" { (highlight(&f.text, &result.findings)) }
        }
        @if !result.findings.is_empty() {
            (citation_legend(lang))
            table {
                thead { tr { th { (tr(lang, "位置", "Where")) } th { (tr(lang, "原文", "Text")) } th { (tr(lang, "级别", "Severity")) } th { (tr(lang, "类别", "Category")) } th { (tr(lang, "规则", "Rule")) } th { (tr(lang, "法条", "Law")) } th { (tr(lang, "建议", "Suggestion")) } } }
                tbody {
                    @for fd in &result.findings {
                        tr {
                            td { (fd.span.line) ":" (fd.span.column) }
                            td { (fd.matched) }
                            td { span class=(format!("badge b-{}", fd.severity)) { (fd.severity.label(lang)) } @if let Some(e) = &fd.exception { br; small.muted { (bilingual(lang, e)) } } }
                            td { (fd.category.label(lang)) }
                            td { small.muted title=(tr(lang, "规则编号", "rule id")) { (fd.rule.as_ref()) } }
                            td { @for c in fd.citations.iter() { (c.to_string()) br; } }
                            td { (bilingual(lang, &fd.suggestion)) }
                        }
                    }
                }
            }
        }
    };
    page(lang, tr(lang, "合规扫描", "Screen text"), Some(&p), body).into_response()
}

// ---- users ----

/// `GET /admin/users`
pub(crate) async fn users_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    users_view(&state, &p, lang, None).await
}

async fn users_view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    message: Option<Result<String, String>>,
) -> Response {
    if let Err(e) = p.require(Permission::ViewUsers) {
        return error_page(lang, Some(p), e);
    }
    let users = match state.store.users().await {
        Ok(u) => u,
        Err(e) => return error_page(lang, Some(p), e.into()),
    };
    let manage = p.can(Permission::ManageUsers);
    let body = html! {
        @match &message { Some(Ok(m)) => p.ok { (m) }, Some(Err(m)) => (error_box(m)), None => {} }
        table {
            thead { tr { th { "ID" } th { (tr(lang, "用户名", "User")) } th { (tr(lang, "显示名称", "Name")) } th { (tr(lang, "角色", "Role")) } th { (tr(lang, "状态", "Status")) } @if manage { th { (tr(lang, "操作", "Change")) } } } }
            tbody {
                @for u in &users {
                    tr {
                        td { (u.id) } td { code { (u.username) } } td { (u.display_name) } td { (role_label(lang, u.role)) }
                        td { @if u.disabled { (tr(lang, "已停用", "disabled")) } @else { (tr(lang, "正常", "active")) } }
                        @if manage {
                            td {
                                form.inline method="post" action=(format!("/admin/users/{}", u.id)) {
                                    input type="hidden" name="csrf" value=(p.csrf());
                                    select name="role" aria-label="role" { @for r in Role::ALL { option value=(r.as_str()) selected[*r == u.role] { (role_label(lang, *r)) } } }
                                    " " select name="disabled" aria-label="status" { option value="false" selected[!u.disabled] { (tr(lang, "正常", "active")) } option value="true" selected[u.disabled] { (tr(lang, "停用", "disabled")) } }
                                    " " input name="reason" placeholder=(tr(lang, "原因", "reason")) size="10";
                                    " " input type="submit" value=(tr(lang, "保存", "Save"));
                                }
                            }
                        }
                    }
                }
            }
        }
        @if manage {
            form.card method="post" action="/admin/users" style="margin-top:1rem" {
                h3 { (tr(lang, "新建用户", "New user")) }
                input type="hidden" name="csrf" value=(p.csrf());
                label { (tr(lang, "用户名", "User name")) br; input name="username" required; }
                label { (tr(lang, "显示名称", "Display name")) br; input name="display_name" required; }
                label { (tr(lang, "角色", "Role")) br; select name="role" { @for r in Role::ALL { option value=(r.as_str()) { (role_label(lang, *r)) } } } }
                label { (tr(lang, "初始密码（至少 10 个字符）", "Initial password (10 characters or more)")) br; input name="password" type="password" required; }
                input type="submit" value=(tr(lang, "创建", "Create"));
            }
        }
    };
    page(
        lang,
        tr(lang, "用户与角色", "Users and roles"),
        Some(p),
        body,
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_escaped() {
        assert_eq!(crate::ui::query_escape("a&b=c 审"), "a%26b%3Dc%20%E5%AE%A1");
    }
}

#[derive(Deserialize)]
pub(crate) struct NewUserForm {
    username: String,
    display_name: String,
    role: String,
    password: String,
}

/// `POST /admin/users`
pub(crate) async fn users_create(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(f): CsrfForm<NewUserForm>,
) -> Response {
    let msg = match service::create_user_checked(
        &state,
        &p,
        f.username.trim(),
        &f.display_name,
        &f.role,
        &f.password,
    )
    .await
    {
        Ok(u) => Ok(format!(
            "{} {}",
            tr(lang, "已创建用户", "Created user"),
            u.username
        )),
        Err(ApiError::Forbidden) => return error_page(lang, Some(&p), ApiError::Forbidden),
        Err(e) => Err(crate::ui::error_text(lang, &e)),
    };
    users_view(&state, &p, lang, Some(msg)).await
}

#[derive(Deserialize)]
pub(crate) struct UpdateUserForm {
    role: String,
    disabled: String,
    reason: Option<String>,
}

/// `POST /admin/users/{id}`
pub(crate) async fn users_update(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
    CsrfForm(f): CsrfForm<UpdateUserForm>,
) -> Response {
    let msg = match service::update_user_checked(
        &state,
        &p,
        id,
        Some(&f.role),
        Some(f.disabled == "true"),
        f.reason,
    )
    .await
    {
        Ok(u) => Ok(format!(
            "{} {}",
            tr(lang, "已更新用户", "Updated user"),
            u.username
        )),
        Err(ApiError::Forbidden) => return error_page(lang, Some(&p), ApiError::Forbidden),
        Err(e) => Err(crate::ui::error_text(lang, &e)),
    };
    users_view(&state, &p, lang, Some(msg)).await
}

// ---- tokens ----

/// `GET /tokens`
pub(crate) async fn tokens_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    tokens_view(&state, &p, lang, None).await
}

async fn tokens_view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    created: Option<Result<String, String>>,
) -> Response {
    if let Err(e) = p.require(Permission::ManageOwnTokens) {
        return error_page(lang, Some(p), e);
    }
    let all = p.can(Permission::ManageAllTokens);
    let tokens = match service::visible_tokens(state, p, all).await {
        Ok(t) => t,
        Err(e) => return error_page(lang, Some(p), e),
    };
    let body = html! {
        @match &created {
            Some(Ok(secret)) => div.ok { (tr(lang, "新令牌（只显示这一次，请立即保存）：", "New token (shown only once; store it now):")) br; code data-testid="new-token" { (secret) } },
            Some(Err(m)) => (error_box(m)),
            None => {}
        }
        table {
            thead { tr { th { "ID" } th { (tr(lang, "名称", "Name")) } th { (tr(lang, "前缀", "Prefix")) } th { (tr(lang, "用户", "User")) } th { (tr(lang, "权限范围", "Acts as")) } th { (tr(lang, "创建时间", "Created")) } th { (tr(lang, "状态", "Status")) } } }
            tbody {
                @for t in &tokens {
                    tr {
                        td { (t.id) } td { (t.name) } td { code { (t.prefix) "…" } } td { (t.user_id) } td { @if let Some(r) = t.scope_role { (role_label(lang, r)) } @else { "—" } } td { (t.created_at.beijing()) }
                        td {
                            @if let Some(r) = &t.revoked_at { (tr(lang, "已撤销 ", "revoked ")) (r.beijing()) } @else {
                                form.inline method="post" action=(format!("/tokens/{}/revoke", t.id)) {
                                    input type="hidden" name="csrf" value=(p.csrf());
                                    input type="submit" value=(tr(lang, "撤销", "Revoke"));
                                }
                            }
                        }
                    }
                }
            }
        }
        form.card method="post" action="/tokens" style="margin-top:1rem" {
            h3 { (tr(lang, "新建 API 令牌", "New API token")) }
            p.muted { (tr(lang, "令牌以您的角色行事，仅保存其哈希值，可随时撤销。", "A token acts with your role; only its hash is stored; revoke it at any time.")) }
            input type="hidden" name="csrf" value=(p.csrf());
            label { (tr(lang, "名称", "Name")) br; input name="name" required maxlength="100"; }
            label { (tr(lang, "权限范围", "Acts as")) br;
                select name="role" {
                    option value="" { (tr(lang, "与我的角色相同", "my own role")) }
                    @for r in Role::ALL { @if auth::role_within(*r, p.user.role) && *r != p.user.role { option value=(r.as_str()) { (role_label(lang, *r)) } } }
                }
            }
            input type="submit" value=(tr(lang, "创建", "Create"));
        }
    };
    page(lang, tr(lang, "API 令牌", "API tokens"), Some(p), body).into_response()
}

#[derive(Deserialize)]
pub(crate) struct NewTokenForm {
    name: String,
    role: Option<String>,
}

/// `POST /tokens`
pub(crate) async fn tokens_create(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(f): CsrfForm<NewTokenForm>,
) -> Response {
    if let Err(e) = p.require(Permission::ManageOwnTokens) {
        return error_page(lang, Some(&p), e);
    }
    let created = service::issue_token(
        &state,
        &p,
        &f.name,
        f.role.as_deref(),
        p.audit("token.create", "api_token:new"),
    )
    .await
    .map(|(s, _)| s)
    .map_err(|e| crate::ui::error_text(lang, &e));
    tokens_view(&state, &p, lang, Some(created)).await
}

/// `POST /tokens/{id}/revoke`
pub(crate) async fn tokens_revoke(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
    CsrfForm(_): CsrfForm,
) -> Response {
    match service::revoke_token_checked(&state, &p, id).await {
        Ok(()) => Redirect::to("/tokens").into_response(),
        Err(e) => error_page(lang, Some(&p), e),
    }
}

// ---- password ----

/// `GET /account/password`
pub(crate) async fn password_page(
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    password_view(&p, lang, None)
}

fn password_view(p: &Principal, lang: Lang, message: Option<Result<String, String>>) -> Response {
    let body = html! {
        @match &message { Some(Ok(m)) => p.ok { (m) }, Some(Err(m)) => (error_box(m)), None => {} }
        form.card method="post" action="/account/password" style="max-width:420px" {
            input type="hidden" name="csrf" value=(p.csrf());
            label { (tr(lang, "当前密码", "Current password")) br; input name="current_password" type="password" required autocomplete="current-password"; }
            label { (tr(lang, "新密码（至少 10 个字符）", "New password (10 characters or more)")) br; input name="new_password" type="password" required autocomplete="new-password"; }
            input type="submit" value=(tr(lang, "修改", "Change"));
        }
    };
    page(lang, tr(lang, "修改密码", "Change password"), Some(p), body).into_response()
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// `POST /account/password`
pub(crate) async fn password_submit(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    auth::ClientIp(ip): auth::ClientIp,
    PageLang(lang): PageLang,
    CsrfForm(f): CsrfForm<PasswordForm>,
) -> Response {
    let msg = service::change_password_checked(&state, &p, &f.current_password, &f.new_password, ip)
        .await
        .map(|()| {
            tr(
                lang,
                "密码已修改，其他会话已退出，您的 API 令牌已全部撤销（它们由旧密码的持有者创建）。",
                "Password changed; other sessions were ended and your API tokens were revoked (they were made by whoever held the old password).",
            )
            .to_string()
        })
        .map_err(|e| password_error_message(lang, &e));
    password_view(&p, lang, Some(msg))
}

// ---- audit ----

#[derive(Deserialize, Default)]
pub(crate) struct AuditPageQuery {
    action: Option<String>,
    actor: Option<String>,
    object: Option<String>,
    /// First day (Beijing), `YYYY-MM-DD`.
    from: Option<String>,
    /// Last day (Beijing), `YYYY-MM-DD`, included.
    to: Option<String>,
    before: Option<i64>,
    verify: Option<String>,
}

/// Rows of one CSV export at most.
const AUDIT_CSV_ROWS_MAX: usize = 10_000;

/// The start of a Beijing calendar day given as `YYYY-MM-DD`; `days_after` moves it on.
fn beijing_day(
    field: &str,
    text: &str,
    days_after: i64,
) -> Result<liveguard_store::Stamp, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).map_err(|_| {
        ApiError::invalid(
            field,
            format!("“{text}”不是日期，请写成 2026-12-07 这样的格式"),
            format!("`{text}` is not a date such as 2026-12-07"),
        )
    })?;
    let start = date
        .with_hms(0, 0, 0)
        .map_err(|_| ApiError::field(field, "not a date"))?
        .assume_offset(liveguard_core::clock::BEIJING);
    Ok(liveguard_store::Stamp::from_time(start).plus(time::Duration::days(days_after)))
}

impl AuditPageQuery {
    fn filter(
        &self,
        limit: i64,
        before: Option<i64>,
    ) -> Result<liveguard_store::AuditFilter, ApiError> {
        let mut filter = service::AuditQuery {
            action: self.action.clone(),
            actor: self.actor.clone(),
            object: self.object.clone(),
            before,
            limit: Some(limit),
        }
        .filter();
        fn day(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        filter.from = day(&self.from)
            .map(|d| beijing_day("from", d, 0))
            .transpose()?;
        filter.until = day(&self.to).map(|d| beijing_day("to", d, 1)).transpose()?;
        Ok(filter)
    }

    /// The filters as a query string (for paging and the CSV link).
    fn query_string(&self) -> String {
        let val = |o: &Option<String>| crate::ui::query_escape(o.as_deref().unwrap_or(""));
        format!(
            "action={}&actor={}&object={}&from={}&to={}",
            val(&self.action),
            val(&self.actor),
            val(&self.object),
            val(&self.from),
            val(&self.to)
        )
    }
}

/// An audit entry's reason for people: a review event as a sentence, a JSON document as a
/// literal, free text as written.
fn audit_reason(
    lang: Lang,
    reason: Option<&str>,
    checklists: &crate::settings::Checklists,
) -> Markup {
    let Some(r) = reason else { return html! {} };
    if let Some(sentence) = crate::features::review::pages::event_sentence(lang, r, checklists) {
        return sentence;
    }
    if let Ok(c) = serde_json::from_str::<crate::features::master::service::ChangeReason>(r) {
        return html! { (change_sentence(lang, &c.changed)) };
    }
    if let Ok(o) = serde_json::from_str::<crate::features::review::service::OverdueReason>(r) {
        let due = liveguard_store::Stamp::parse(&o.due)
            .map(|t| when(lang, t))
            .unwrap_or_default();
        return html! { (if lang == Lang::Zh { o.level.label_zh() } else { o.level.label_en() }) (tr(lang, "已逾期，截止时间：", " overdue; it was due ")) (due) };
    }
    if let Some(sentence) = crate::features::push::pages::reason_sentence(lang, r) {
        return html! { (sentence) };
    }
    if r.trim_start().starts_with('{') {
        return html! { code { (r) } };
    }
    html! { (r) }
}

/// "修改了：名称、已核准功效" for a master-data change.
pub(crate) fn change_sentence(lang: Lang, changed: &[String]) -> String {
    if changed.is_empty() {
        return tr(lang, "保存（内容未变）", "saved (nothing changed)").to_string();
    }
    let names: Vec<&str> = changed
        .iter()
        .map(|f| crate::ui::labels::master_field(lang, f).unwrap_or(f.as_str()))
        .collect();
    format!(
        "{}{}",
        tr(lang, "修改了：", "changed: "),
        names.join(tr(lang, "、", ", "))
    )
}

/// An audit entry's reason as plain text (the CSV export).
fn audit_reason_text(
    lang: Lang,
    reason: Option<&str>,
    checklists: &crate::settings::Checklists,
) -> String {
    let markup = audit_reason(lang, reason, checklists).into_string();
    let mut out = String::new();
    let mut in_tag = false;
    for c in markup.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

/// `GET /audit`
pub(crate) async fn audit_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    Query(q): Query<AuditPageQuery>,
) -> Response {
    if let Err(e) = p.require(Permission::ViewAudit) {
        return error_page(lang, Some(&p), e);
    }
    let filter = match q.filter(50, q.before) {
        Ok(f) => f,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let (entries, users) = match (
        state.store.audit_search(&filter).await,
        state.store.users().await,
    ) {
        (Ok(e), Ok(u)) => (e, u),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, Some(&p), e.into()),
    };
    let verification = if q.verify.is_some() {
        Some(crate::jobs::checkpoint::verify_now(&state).await)
    } else {
        None
    };
    let size = state.store.audit_size().await.unwrap_or(0);
    let val = |o: &Option<String>| o.clone().unwrap_or_default();
    let name_of = |login: &str| match users.iter().find(|u| u.username == login) {
        Some(u) => u.display_name.clone(),
        None if login == "system" => tr(lang, "系统", "system").to_string(),
        None => login.to_string(),
    };
    let body = html! {
        div.card {
            p { (tr(lang, "共 ", "")) (size) (tr(lang, " 条记录。审计日志为只追加的 Merkle 树（RFC 6962），检查点由服务器以 Ed25519 签名。", " entries. The log is an append-only Merkle tree (RFC 6962) whose checkpoints the server signs with Ed25519.")) }
            form.inline method="get" action="/audit" {
                input type="hidden" name="verify" value="1";
                button.primary type="submit" data-testid="verify" { (tr(lang, "验证审计链", "Verify the chain")) }
            }
            @if p.can(Permission::ExportAudit) {
                " " a href="/api/v1/audit/bundle" { (tr(lang, "下载证据包（可离线验证）", "Download bundle (verifiable offline)")) }
                " " a href=(format!("/audit.csv?{}", q.query_string())) data-testid="audit-csv" { (tr(lang, "导出表格（CSV，可用 Excel 打开）", "Export as CSV (opens in Excel)")) }
            }
            " " a href="/.well-known/liveguard-audit-key" { (tr(lang, "签名公钥", "Public key")) }
            @match &verification {
                Some(Ok(v)) => p.ok data-testid="verify-result" { (tr(lang, "验证通过：", "Verified: ")) (v.entries) (tr(lang, " 条记录、", " entries, ")) (v.checkpoints) (tr(lang, " 个签名检查点均一致。根哈希 ", " signed checkpoints agree. Root ")) code { (v.root) } },
                Some(Err(e)) => p.error data-testid="verify-result" { (tr(lang, "验证失败：", "Verification failed: ")) (e) },
                None => {},
            }
        }
        form.card method="get" action="/audit" {
            label.inline { (tr(lang, "操作", "Action")) " "
                select name="action" {
                    option value="" { (tr(lang, "全部", "all")) }
                    @for (code, zh, en) in AUDIT_ACTIONS { option value=(code) selected[q.action.as_deref() == Some(*code)] { (if lang == Lang::Zh { *zh } else { *en }) } }
                }
            }
            " " label.inline { (tr(lang, "操作人", "Actor")) " "
                select name="actor" {
                    option value="" { (tr(lang, "全部", "all")) }
                    option value="system" selected[q.actor.as_deref() == Some("system")] { (tr(lang, "系统", "system")) }
                    @for u in &users { option value=(u.username) selected[q.actor.as_deref() == Some(u.username.as_str())] { (u.display_name) } }
                }
            }
            " " label.inline { (tr(lang, "从", "From")) " " input type="date" name="from" value=(val(&q.from)); }
            " " label.inline { (tr(lang, "到", "to")) " " input type="date" name="to" value=(val(&q.to)); }
            " " label.inline { (tr(lang, "对象前缀", "Object prefix")) " " input name="object" value=(val(&q.object)) size="12"; }
            " " input type="submit" value=(tr(lang, "筛选", "Filter"));
        }
        table data-testid="audit-entries" {
            thead { tr { th { "#" } th { (tr(lang, "时间", "Time")) } th { (tr(lang, "操作人", "Actor")) } th { (tr(lang, "角色", "Role")) } th { (tr(lang, "操作", "Action")) } th { (tr(lang, "对象", "Object")) } th { (tr(lang, "说明", "Details")) } } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (e.seq) }
                        td { (liveguard_store::Stamp::parse(&e.time).map(|t| when(lang, t)).unwrap_or_else(|_| e.time.clone())) }
                        td { (name_of(&e.actor)) }
                        td { (e.role.parse::<Role>().map(|r| role_label(lang, r)).unwrap_or(tr(lang, "系统", "system"))) }
                        td { @match audit_action(lang, &e.action) { Some(l) => span title=(e.action) { (l) }, None => code { (e.action) } } }
                        td { code { (e.object) } }
                        td { (audit_reason(lang, e.reason.as_deref(), &state.settings.review.checklist)) }
                    }
                }
            }
        }
        @if entries.len() as i64 == filter.limit {
            @if let Some(last) = entries.last() {
                p { a href=(format!("/audit?before={}&{}", last.seq, q.query_string())) { (tr(lang, "更早的记录 →", "Older entries →")) } }
            }
        }
    };
    page(lang, tr(lang, "审计日志", "Audit log"), Some(&p), body).into_response()
}

/// `GET /audit.csv`: the filtered audit log as a table for Excel (UTF-8 with a byte-order
/// mark, Beijing times, labels and sentences; at most 10,000 rows, newest first). The export
/// is itself logged.
pub(crate) async fn audit_csv(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    Query(q): Query<AuditPageQuery>,
) -> Response {
    if let Err(e) = p.require(Permission::ExportAudit) {
        return error_page(lang, Some(&p), e);
    }
    let users = match state.store.users().await {
        Ok(u) => u,
        Err(e) => return error_page(lang, Some(&p), e.into()),
    };
    let mut rows = Vec::new();
    let mut before = q.before;
    while rows.len() < AUDIT_CSV_ROWS_MAX {
        let filter = match q.filter(liveguard_store::PAGE_LIMIT_MAX, before) {
            Ok(f) => f,
            Err(e) => return error_page(lang, Some(&p), e),
        };
        let page = match state.store.audit_search(&filter).await {
            Ok(page) => page,
            Err(e) => return error_page(lang, Some(&p), e.into()),
        };
        let Some(last) = page.last() else { break };
        before = Some(last.seq as i64);
        let full = page.len() as i64 == filter.limit;
        rows.extend(page);
        if !full {
            break;
        }
    }
    rows.truncate(AUDIT_CSV_ROWS_MAX);
    if let Err(e) = state
        .store
        .append_audit(p.audit("audit.export", &format!("audit:csv:{}", rows.len())))
        .await
    {
        return error_page(lang, Some(&p), e.into());
    }
    let name_of = |login: &str| match users.iter().find(|u| u.username == login) {
        Some(u) => u.display_name.clone(),
        None if login == "system" => tr(lang, "系统", "system").to_string(),
        None => login.to_string(),
    };
    let mut csv = String::from("\u{feff}");
    let header = match lang {
        Lang::Zh => [
            "序号",
            "时间（北京）",
            "操作人",
            "登录名",
            "角色",
            "操作",
            "操作代码",
            "对象",
            "说明",
        ],
        Lang::En => [
            "seq",
            "time (Beijing)",
            "actor",
            "login",
            "role",
            "action",
            "action code",
            "object",
            "details",
        ],
    };
    csv_row(&mut csv, header.iter().map(|h| h.to_string()));
    for e in &rows {
        csv_row(
            &mut csv,
            [
                e.seq.to_string(),
                liveguard_store::Stamp::parse(&e.time)
                    .map(|t| t.beijing())
                    .unwrap_or_else(|_| e.time.clone()),
                name_of(&e.actor),
                e.actor.clone(),
                e.role
                    .parse::<Role>()
                    .map(|r| role_label(lang, r))
                    .unwrap_or(tr(lang, "系统", "system"))
                    .to_string(),
                audit_action(lang, &e.action)
                    .unwrap_or(&e.action)
                    .to_string(),
                e.action.clone(),
                e.object.clone(),
                audit_reason_text(lang, e.reason.as_deref(), &state.settings.review.checklist),
            ]
            .into_iter(),
        );
    }
    let today = state.store.now().beijing();
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!(
                    "attachment; filename=\"liveguard-audit-{}.csv\"",
                    &today[..10]
                ))
                .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        csv,
    )
        .into_response()
}

/// Appends one CSV row (RFC 4180: every field quoted, quotes doubled). A field that a
/// spreadsheet would run as a formula is prefixed with `'`.
fn csv_row(out: &mut String, fields: impl Iterator<Item = String>) {
    let mut first = true;
    for f in fields {
        if !first {
            out.push(',');
        }
        first = false;
        let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{f}")
        } else {
            f
        };
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    }
    out.push_str("\r\n");
}
