//! The page kit: the layout, navigation, language, error pages and the shared page pieces
//! (error boxes, form fields, highlighted findings) every feature's `pages.rs` builds on.
//! Chinese first; `/lang?to=en` switches to English. Static assets live beside it.

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use liveguard_core::Role;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::http::auth::{LANG_COOKIE, Principal};
use crate::http::error::ApiError;
use crate::http::perms::Permission;

pub(crate) mod labels;

/// The page script: asks before irreversible steps (`data-confirm` on a button or form).
pub(crate) const PAGE_JS: &str = include_str!("page.js");

pub(crate) use labels::Label;

/// The interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// 中文 (default).
    Zh,
    /// English.
    En,
}

pub(crate) fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    let is_en = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|kv| kv.trim() == format!("{LANG_COOKIE}=en"));
    if is_en { Lang::En } else { Lang::Zh }
}

/// Picks the Chinese or English text.
pub(crate) fn tr(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

const CSS: &str = r#"
*{box-sizing:border-box}body{margin:0;font:15px/1.6 -apple-system,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1f2328;background:#f6f7f9}
header{background:#14213d;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}
header a,header button{color:#dfe7ff;text-decoration:none;background:none;border:0;font:inherit;cursor:pointer;padding:0}
header .brand{font-weight:700;color:#fff;margin-right:1rem}header .who{margin-left:auto;font-size:.9em;color:#b8c4e8}
main{max-width:1100px;margin:1rem auto;padding:0 1rem}h1{font-size:1.4rem}
.card{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:1rem;margin:0 0 1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:1rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e5e8eb;padding:.4rem .5rem;text-align:left;vertical-align:top;font-size:.92em}
input,select,textarea{font:inherit;padding:.35rem;border:1px solid #b6bec7;border-radius:4px;max-width:100%}textarea{width:100%;min-height:10rem}
button.primary,input[type=submit]{background:#1f6feb;color:#fff;border:0;border-radius:4px;padding:.4rem .9rem;cursor:pointer}
nav.tabs{margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}input.approve{background:#1a7f37}input.danger,main button.danger{background:#cf222e;color:#fff;border:0;border-radius:4px;padding:.4rem .9rem;cursor:pointer}form.reject{border-color:#ff8182}
.diff-add{background:#dafbe1}.diff-del{background:#ffebe9}.diff-add ins{background:#7ee2a8;text-decoration:none}.diff-del del{background:#ffaba8}
.field-error{display:block;margin-top:.2rem}.error{background:#ffebe9;border:1px solid #ff8182;padding:.6rem;border-radius:4px}.ok{background:#dafbe1;border:1px solid #4ac26b;padding:.6rem;border-radius:4px}
code{word-break:break-all}.verdict{font-size:1.15rem}.muted{color:#656d76}.soon{opacity:.55}tr.overdue td{background:#fff5f5}
mark.sev-block{background:#ffc1c0;border-bottom:2px solid #cf222e}mark.sev-review{background:#fff1b8;border-bottom:2px solid #bf8700}mark.sev-info{background:#ddf4ff;border-bottom:2px dotted #0969da}
.badge{display:inline-block;border-radius:10px;padding:0 .5rem;font-size:.8em;white-space:nowrap}.b-block{background:#cf222e;color:#fff}.b-review{background:#bf8700;color:#fff}.b-info{background:#0969da;color:#fff}.b-pass{background:#1a7f37;color:#fff}
.text{white-space:pre-wrap;background:#fff;border:1px solid #d8dee4;padding:.8rem;border-radius:6px;line-height:2}
form.inline{display:inline}label{display:block;margin:.4rem 0}label.inline{display:inline}
.scroll{max-height:60vh;overflow:auto}.live-grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem}@media (max-width:900px){.live-grid{grid-template-columns:1fr}}
@media (max-width:640px){table{display:block;overflow-x:auto}th,td{min-width:4.5em}main{padding:0 .5rem}}
figure.chart{margin:0}figure.chart figcaption{font-weight:600;margin:.2rem 0 .4rem}figure.chart svg{display:block;max-width:640px;height:auto}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,380px),1fr));gap:1rem}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:.6rem;margin:0 0 1rem}
.tile{display:block;background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:.6rem .8rem;text-decoration:none;color:inherit}.tile .n{display:block;font-size:1.6rem;font-weight:700}.tile .l{color:#656d76}.tile.urgent{border-color:#cf222e}.tile.urgent .n{color:#cf222e}
@media print{header,form{display:none}body{background:#fff}.card{border:0}}
"#;

pub(crate) fn page(lang: Lang, title: &str, p: Option<&Principal>, body: Markup) -> Html<String> {
    let nav = p.map(|p| {
        html! {
            a.brand href="/" { "liveguard " (tr(lang, "直播合规", "Live-commerce compliance")) }
            a href="/" { (tr(lang, "工作台", "Dashboard")) }
            @if p.can(Permission::Scan) { a href="/scan" { (tr(lang, "合规扫描", "Screen text")) } }
            @if p.can(Permission::ViewReviews) { a href="/reviews" { (tr(lang, "开播前审核", "Pre-broadcast review")) } a href="/plans" { (tr(lang, "直播排期", "Plans")) } a href="/master" { (tr(lang, "主数据", "Master data")) } a href="/notifications" { (tr(lang, "通知", "Notifications")) } }
            @if p.can(Permission::ViewLive) { a href="/live" { (tr(lang, "直播监控", "Live monitoring")) } }
            @if p.can(Permission::ViewLive) { a href="/lotteries" { (tr(lang, "抽奖", "Lotteries")) } }
            @if p.can(Permission::ViewCases) { a href="/desk" { (tr(lang, "投诉与售后", "Consumer desk")) } }
            @if p.can(Permission::ViewUsers) { a href="/admin/users" { (tr(lang, "用户", "Users")) } }
            @if p.can(Permission::ManageUsers) { a href="/admin/webhooks" { (tr(lang, "消息推送", "Push")) } }
            @if p.can(Permission::ManageOwnTokens) { a href="/tokens" { (tr(lang, "API 令牌", "API tokens")) } }
            @if p.can(Permission::ViewAudit) { a href="/audit" { (tr(lang, "审计日志", "Audit log")) } }
            @if p.can(Permission::ViewDashboard) { a href="/system" { (tr(lang, "系统状态", "System")) } }
            a href="/account/password" { (tr(lang, "修改密码", "Password")) }
            span.who { (p.user.display_name) " · " (role_label(lang, p.user.role)) }
            a href=(if lang == Lang::Zh { "/lang?to=en" } else { "/lang?to=zh" }) { (if lang == Lang::Zh { "English" } else { "中文" }) }
            form.inline method="post" action="/logout" {
                input type="hidden" name="csrf" value=(p.csrf());
                button type="submit" { (tr(lang, "退出", "Log out")) }
            }
        }
    });
    Html(
        html! {
            (DOCTYPE)
            html lang=(if lang == Lang::Zh { "zh-CN" } else { "en" }) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · liveguard" }
                    style { (PreEscaped(CSS)) }
                    @if p.is_some() { script src="/static/page.js" defer {} }
                }
                body {
                    header {
                        @if let Some(n) = nav { (n) } @else { span.brand { "liveguard " (tr(lang, "直播合规", "Live-commerce compliance")) } a href=(if lang == Lang::Zh { "/lang?to=en" } else { "/lang?to=zh" }) { (if lang == Lang::Zh { "English" } else { "中文" }) } }
                    }
                    main { h1 { (title) } (body) }
                }
            }
        }
        .into_string(),
    )
}

pub(crate) fn role_label(lang: Lang, role: Role) -> &'static str {
    role.label(lang)
}

/// A time for people, in Beijing time to the minute: `2026年12月10日 20:00` (English:
/// `2026-12-10 20:00`).
pub(crate) fn when(lang: Lang, t: liveguard_store::Stamp) -> String {
    match lang {
        Lang::En => t.beijing(),
        Lang::Zh => {
            let b = t.time().to_offset(liveguard_core::clock::BEIJING);
            format!(
                "{}年{}月{}日 {:02}:{:02}",
                b.year(),
                u8::from(b.month()),
                b.day(),
                b.hour(),
                b.minute()
            )
        }
    }
}

pub(crate) fn error_box(message: &str) -> Markup {
    html! { p.error role="alert" { (message) } }
}

/// Percent-encodes a query-string value (everything but unreserved ASCII).
pub(crate) fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The value of form field `k`.
pub(crate) fn form_field<'a>(fields: &'a [(String, String)], k: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// Checks a form's `csrf` field against the session: `None` when it matches, else the
/// refusal page.
pub(crate) fn csrf_refusal(
    lang: Lang,
    p: &Principal,
    fields: &[(String, String)],
) -> Option<Response> {
    p.check_csrf(form_field(fields, "csrf").unwrap_or(""))
        .err()
        .map(|e| error_page(lang, Some(p), e))
}

/// Turns an API error into a page with the same status.
pub(crate) fn error_page(lang: Lang, p: Option<&Principal>, e: ApiError) -> Response {
    let (status, _, _) = e.parts();
    (
        status,
        page(
            lang,
            tr(lang, "出错了", "Something went wrong"),
            p,
            error_box(&error_text(lang, &e)),
        ),
    )
        .into_response()
}

/// The page for an error that axum or a layer answered before any handler ran (a bad path
/// or query, a wrong method, a body too large, the timeout): said in words, with the way
/// back, since the caller is not known here.
pub(crate) fn plain_error_page(lang: Lang, e: ApiError) -> Response {
    let (status, _, _) = e.parts();
    let text = match &e {
        ApiError::BadRequest(_) => tr(
            lang,
            "网址或查询参数的格式不对，请从页面上的链接进入。",
            "The address or its query is not in the expected form; follow a link on a page instead.",
        ),
        ApiError::NotFound => tr(lang, "没有这个页面。", "There is no such page."),
        ApiError::MethodNotAllowed => tr(
            lang,
            "这个页面不接受这种操作。",
            "This page does not take this kind of request.",
        ),
        ApiError::TooLarge => tr(
            lang,
            "提交的内容超过了大小上限，未保存任何内容。",
            "What was sent is over the size limit; nothing was saved.",
        ),
        ApiError::UnsupportedMediaType(_) | ApiError::BadBody(_) => tr(
            lang,
            "表单内容不完整或格式不对，未保存任何内容。",
            "The form is incomplete or malformed; nothing was saved.",
        ),
        ApiError::Timeout => tr(
            lang,
            "处理超时，请稍后重试；重试前请先查看是否已经保存。",
            "This took too long and was stopped; check whether it was saved before trying again.",
        ),
        _ => tr(
            lang,
            "请求未能完成。",
            "The request could not be completed.",
        ),
    };
    let body = html! {
        (error_box(text))
        p { a href="/" { (tr(lang, "返回工作台", "Back to the dashboard")) } }
    };
    (
        status,
        page(lang, tr(lang, "出错了", "Something went wrong"), None, body),
    )
        .into_response()
}

/// The text with each finding's span marked by severity (non-overlapping segments; the
/// highest severity covering a segment wins). maud escapes every piece.
pub(crate) fn highlight(text: &str, findings: &[liveguard_screen::Finding]) -> Markup {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for f in findings {
        cuts.push(f.span.byte_start);
        cuts.push(f.span.byte_end);
    }
    cuts.sort_unstable();
    cuts.dedup();
    html! {
        @for w in cuts.windows(2) {
            @let (a, b) = (w[0], w[1]);
            @let sev = findings.iter().filter(|f| f.span.byte_start <= a && b <= f.span.byte_end).map(|f| f.severity).max();
            @match sev {
                Some(s) => mark class=(format!("sev-{s}")) title=(findings.iter().filter(|f| f.span.byte_start <= a && b <= f.span.byte_end).map(|f| f.rule.to_string()).collect::<Vec<_>>().join(", ")) { (&text[a..b]) },
                None => (&text[a..b]),
            }
        }
    }
}

/// The part of a bilingual text (`中文说明。English explanation.`, as the rule packs write
/// their suggestions) in `lang`: the Chinese part runs to the last Chinese character or
/// full-width mark, the English part is the rest. A text with only one part is shown whole.
pub(crate) fn bilingual(lang: Lang, text: &str) -> &str {
    let is_zh = |c: char| {
        ('\u{4e00}'..='\u{9fff}').contains(&c)
            || ('\u{3000}'..='\u{303f}').contains(&c)
            || ('\u{ff00}'..='\u{ffef}').contains(&c)
    };
    let Some((at, c)) = text.char_indices().rev().find(|(_, c)| is_zh(*c)) else {
        return text;
    };
    let (zh, en) = text.split_at(at + c.len_utf8());
    let (zh, en) = (zh.trim(), en.trim());
    match lang {
        Lang::Zh if !zh.is_empty() => zh,
        Lang::En if !en.is_empty() => en,
        _ => text,
    }
}

/// A date and time a person typed or picked, read as Beijing time, as RFC 3339
/// (`2026-12-10T20:00:00+08:00`): the value of a `datetime-local` picker
/// (`2026-12-10T20:00`), `2026-12-10 20:00` (also with seconds, or `/` between the date's
/// parts), or RFC 3339 with its own offset (kept). `None` when it is none of these, so the
/// caller can say so and keep what was typed.
pub(crate) fn beijing_input(text: &str) -> Option<String> {
    let t = text.trim().replace('/', "-");
    if liveguard_store::Stamp::parse(&t).is_ok() {
        return Some(t);
    }
    let t = t.replacen(' ', "T", 1);
    let (date, clock) = t.split_once('T')?;
    let date = time::Date::parse(
        date,
        time::macros::format_description!("[year]-[month padding:none]-[day padding:none]"),
    )
    .ok()?;
    let mut parts = clock.split(':');
    let hour: u8 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next()?.parse().ok()?;
    let second: u8 = match parts.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let at = date.with_hms(hour, minute, second).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    ))
}

/// The value a `datetime-local` picker shows for an RFC 3339 time: Beijing time to the
/// minute (`2026-12-10T20:00`); empty when the text is not a time.
pub(crate) fn picker_value(rfc3339: &str) -> String {
    liveguard_store::Stamp::parse(rfc3339)
        .map(|t| {
            let b = t.time().to_offset(liveguard_core::clock::BEIJING);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                b.year(),
                u8::from(b.month()),
                b.day(),
                b.hour(),
                b.minute()
            )
        })
        .unwrap_or_default()
}

/// Names of request fields as pages say them (for an error about the field).
const FIELD_NAMES: &[(&str, &str, &str)] = &[
    ("text", "内容", "text"),
    ("title", "标题", "title"),
    ("kind", "类型", "kind"),
    ("role", "角色", "role"),
    ("username", "用户名", "user name"),
    ("display_name", "显示名", "display name"),
    ("password", "密码", "password"),
    ("current_password", "当前密码", "current password"),
    ("new_password", "新密码", "new password"),
    ("product_id", "商品", "product"),
    ("plan_id", "直播排期", "session plan"),
    ("session_start", "开播时间", "session start"),
    ("session_id", "直播场次", "live session"),
    ("file_base64", "上传的文件", "uploaded file"),
    ("accounts", "参与账号", "entrant accounts"),
    ("account", "账号", "account"),
    ("rules", "抽奖规则", "lottery rules"),
    ("quantity", "数量", "quantity"),
    ("reason", "原因", "reason"),
    ("note", "备注", "note"),
    ("recipient", "收货信息", "delivery details"),
    ("duty_officer", "值班人员", "duty officer"),
    ("action", "操作", "action"),
    ("streamer", "主播", "streamers"),
    ("from", "起始日期", "from"),
    ("to", "截止日期", "to"),
    ("body", "提交的内容", "the request"),
    ("url", "网址", "address"),
    ("secret", "签名密钥", "signing secret"),
    ("format", "消息格式", "message format"),
];

/// The name of request field `field` for people: the page's own name for it, else
/// "所填内容" (never the code).
pub(crate) fn field_name(lang: Lang, field: &str) -> &'static str {
    let base = field.split(['.', '[']).next().unwrap_or(field);
    FIELD_NAMES
        .iter()
        .find(|(c, _, _)| *c == base)
        .map(|(_, zh, en)| if lang == Lang::Zh { *zh } else { *en })
        .or_else(|| labels::master_field(lang, base))
        .unwrap_or(tr(lang, "所填内容", "a field"))
}

fn has_han(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A validation error in words: in Chinese when the service said it in Chinese, else the
/// English with the field's Chinese name; with `named`, the field's name comes first.
pub(crate) fn validation_text(lang: Lang, e: &ApiError, named: bool) -> String {
    let ApiError::Validation { field, message, zh } = e else {
        return error_text(lang, e);
    };
    let name = field_name(lang, field);
    let said = match (lang, zh) {
        (Lang::Zh, Some(zh)) => zh.clone(),
        (Lang::Zh, None) if has_han(message) => message.clone(),
        (Lang::Zh, None) => format!("填写有误（{message}）"),
        (Lang::En, _) => message.clone(),
    };
    if named {
        format!("{name}{}{said}", tr(lang, "：", ": "))
    } else {
        said
    }
}

/// An error as a page says it, in the page's language: what happened and, where it
/// helps, what to do.
pub(crate) fn error_text(lang: Lang, e: &ApiError) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        ApiError::Unauthenticated => "请先登录。".into(),
        ApiError::Forbidden => "您的角色无权进行此操作；如确需办理，请联系管理员调整角色。".into(),
        ApiError::Csrf => "页面已过期（安全校验未通过），请刷新页面后重试；未保存任何内容。".into(),
        ApiError::RateLimited => "操作过于频繁，请稍后再试。".into(),
        ApiError::BadCredentials => "用户名或密码错误。".into(),
        ApiError::RetryAfter(s) => format!("登录失败次数过多，请 {s} 秒后再试。"),
        ApiError::Disabled => "该账号已停用，请联系管理员。".into(),
        ApiError::NotFound => "找不到要找的记录（可能已被删除，或编号有误）。".into(),
        ApiError::Conflict(c) if c == crate::features::master::service::CHANGED_SINCE_READ => {
            "您打开之后，这条记录已被他人修改；未保存。请重新打开，在最新内容上修改。".into()
        }
        ApiError::Conflict(_) => "与已有记录冲突（例如名称或编号重复），未保存。".into(),
        ApiError::Validation { .. } => validation_text(lang, e, true),
        ApiError::Workflow(m) if has_han(m) => m.clone(),
        ApiError::Workflow(m) => format!("当前状态下不能这样做（{m}）。"),
        ApiError::Review(_) => crate::features::review::pages::refusal_text(lang, e),
        ApiError::Unavailable(m) => format!("所需的辅助程序或服务暂不可用：{m}"),
        ApiError::DatabaseUnavailable => "数据库暂时无法连接，未作任何修改；请稍后重试。".into(),
        ApiError::Busy(_) => "系统繁忙，本次提交未被接收；请一秒后重试。".into(),
        ApiError::TooLarge => "提交的内容超过大小上限，未保存任何内容。".into(),
        ApiError::BadBody(_) | ApiError::UnsupportedMediaType(_) => {
            "提交的内容不完整或格式不对，未保存任何内容。".into()
        }
        ApiError::BadRequest(_) => "网址或查询参数的格式不对，请从页面上的链接进入。".into(),
        ApiError::MethodNotAllowed => "这个页面不接受这种操作。".into(),
        ApiError::Timeout => "处理超时已停止；请刷新查看是否已生效后再重试。".into(),
        ApiError::Internal(_) => "系统内部出错，已记录日志；请稍后重试或联系管理员。".into(),
    }
}

/// The message beside a form field when `error` is about that field.
pub(crate) fn field_error(lang: Lang, error: Option<&ApiError>, field: &str) -> Markup {
    match error {
        Some(e @ ApiError::Validation { field: f, .. }) if f == field => {
            html! { span.error.field-error role="alert" data-field=(field) { (validation_text(lang, e, false)) } }
        }
        _ => html! {},
    }
}

/// What the confidence tag after each law citation means ([P]/[S]/[R]/[U]).
pub(crate) fn citation_legend(lang: Lang) -> Markup {
    use liveguard_core::ConfidenceTag;
    html! {
        p.muted data-testid="citation-legend" {
            (tr(lang, "法条后的标记：", "The tag after each citation: "))
            @for tag in ConfidenceTag::ALL { "[" (tag.as_str()) "] " (tag.label(lang)) "　" }
            (tr(lang, "（只有 [P]、[S] 的依据可以单独拦截）", "(only [P] and [S] may block on their own)"))
        }
    }
}

/// A number someone has to act on, linking to the queue it counts (`待我审核 3`). `urgent`
/// colours it when the number is not zero.
pub(crate) fn stat_tile(label: &str, count: i64, href: &str, urgent: bool) -> Markup {
    let class = if urgent && count > 0 {
        "tile urgent"
    } else {
        "tile"
    };
    html! {
        a class=(class) href=(href) data-testid="tile" {
            span.n { (count) } span.l { (label) }
        }
    }
}

/// A horizontal bar chart drawn as inline SVG (no script, prints and scales on a phone):
/// one bar per labelled value, each bar's length relative to the largest, the value written
/// after it. The caption says what is counted; the labels are the caller's (in the page's
/// language). A chart with nothing to show says so.
pub(crate) fn bar_chart(lang: Lang, caption: &str, bars: &[(String, i64)]) -> Markup {
    const ROW: i64 = 26;
    const LABEL_W: i64 = 120;
    const BAR_W: i64 = 200;
    let max = bars.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let height = ROW * bars.len() as i64 + 4;
    html! {
        figure.chart {
            figcaption { (caption) }
            @if bars.is_empty() {
                p.muted { (tr(lang, "暂无数据", "Nothing to show yet")) }
            } @else {
                svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(caption)
                    viewBox=(format!("0 0 {} {height}", LABEL_W + BAR_W + 60)) width="100%" {
                    @for (i, (label, value)) in bars.iter().enumerate() {
                        @let y = ROW * i as i64 + 2;
                        @let w = (BAR_W * (*value).max(0) / max).max(if *value > 0 { 2 } else { 0 });
                        text x=(LABEL_W - 6) y=(y + 17) text-anchor="end" font-size="13" { (label) }
                        rect x=(LABEL_W) y=(y + 4) width=(w) height=(ROW - 8) rx="2" fill="#1f6feb" {}
                        text x=(LABEL_W + w + 6) y=(y + 17) font-size="13" { (value) }
                    }
                }
            }
        }
    }
}
/// A column chart over time drawn as inline SVG: one column per period (`第 49 周`, `12月7日`),
/// left to right, the value above each column. For trends such as findings per week.
pub(crate) fn column_chart(lang: Lang, caption: &str, columns: &[(String, i64)]) -> Markup {
    const COL: i64 = 48;
    const HEIGHT: i64 = 120;
    let max = columns.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let width = COL * columns.len() as i64 + 8;
    html! {
        figure.chart {
            figcaption { (caption) }
            @if columns.is_empty() {
                p.muted { (tr(lang, "暂无数据", "Nothing to show yet")) }
            } @else {
                svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(caption)
                    viewBox=(format!("0 0 {width} {}", HEIGHT + 40)) width="100%" style=(format!("max-width:{}px", width * 2)) {
                    line x1="4" y1=(HEIGHT + 18) x2=(width - 4) y2=(HEIGHT + 18) stroke="#b6bec7" {}
                    @for (i, (label, value)) in columns.iter().enumerate() {
                        @let x = COL * i as i64 + 8;
                        @let h = HEIGHT * (*value).max(0) / max;
                        rect x=(x) y=(HEIGHT + 18 - h) width=(COL - 14) height=(h) rx="2" fill="#1f6feb" {}
                        text x=(x + (COL - 14) / 2) y=(HEIGHT + 14 - h) text-anchor="middle" font-size="12" { (value) }
                        text x=(x + (COL - 14) / 2) y=(HEIGHT + 34) text-anchor="middle" font-size="11" { (label) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_times_are_read_as_beijing_time() {
        assert_eq!(
            beijing_input("2026-12-10T20:00").as_deref(),
            Some("2026-12-10T20:00:00+08:00")
        );
        assert_eq!(
            beijing_input(" 2026-12-10 20:00 ").as_deref(),
            Some("2026-12-10T20:00:00+08:00")
        );
        assert_eq!(
            beijing_input("2026/12/10 20:00:30").as_deref(),
            Some("2026-12-10T20:00:30+08:00")
        );
        assert_eq!(
            beijing_input("2026-12-10T12:00:00Z").as_deref(),
            Some("2026-12-10T12:00:00Z")
        );
        assert_eq!(beijing_input("明晚八点"), None);
        assert_eq!(beijing_input("2026-13-10 20:00"), None);
        assert_eq!(picker_value("2026-12-10T12:00:00Z"), "2026-12-10T20:00");
        assert_eq!(picker_value("soon"), "");
    }

    #[test]
    fn a_bilingual_text_is_shown_in_the_pages_language() {
        let s =
            "承诺须兑现：记录并跟踪履约（赠品、保价）。A promise creates an obligation; track it.";
        assert_eq!(
            bilingual(Lang::Zh, s),
            "承诺须兑现：记录并跟踪履约（赠品、保价）。"
        );
        assert_eq!(
            bilingual(Lang::En, s),
            "A promise creates an obligation; track it."
        );
        assert_eq!(bilingual(Lang::En, "只有中文。"), "只有中文。");
        assert_eq!(bilingual(Lang::Zh, "English only."), "English only.");
    }
}
