//! Pages of the pre-broadcast review: the queue, a new submission, one submission with its
//! findings, decisions, checklist and actions, and the printable approval.
//! They call the same services as the API (`review_api`); nothing here touches storage.

use liveguard_core::MasterKind;
use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use liveguard_review::versions::DiffLine;
use liveguard_review::{Action, ChecklistAnswer, DismissReason, FindingDecision, Level, Stage};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::service::{self, Content, SubmissionBody};
use crate::AppState;
use crate::http::auth::UiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageLang};
use crate::http::perms::Permission;
use crate::ui::{Label, Lang, error_box, error_page, highlight, page, tr, when};
use liveguard_review::versions::Urgency;

const REASONS: &[(&str, &str, &str)] = &[
    ("self_comparison", "自我比较", "self-comparison"),
    ("usage_tip", "使用提示", "usage tip"),
    ("standard_grade", "标准等级", "standard grade"),
    ("name_or_mark", "名称或商标", "name or mark"),
    ("official_award", "官方奖项", "official award"),
    (
        "limited_fact",
        "限定事实（有来源）",
        "limited fact with source",
    ),
    ("not_about_goods", "与商品无关", "not about the goods"),
    ("false_positive", "误报", "false positive"),
];

fn stage_label(lang: Lang, stage: &str) -> &'static str {
    crate::ui::labels::stage(lang, stage).unwrap_or("?")
}

/// The queue's filters: which submissions (`show`) and a search in titles and authors (`q`).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct QueueQuery {
    show: Option<String>,
    q: Option<String>,
}

/// The queue's views, in the order of their tabs: code, Chinese, English.
const QUEUE_VIEWS: &[(&str, &str, &str)] = &[
    ("all", "全部", "All"),
    ("awaiting", "待我审核", "Awaiting me"),
    ("overdue", "已逾期", "Overdue"),
    ("pending", "审核中", "In review"),
    ("mine", "我的草稿与退回", "My drafts and returns"),
    ("approved", "已批准", "Approved"),
    ("rejected", "已退回", "Sent back"),
];

/// Whether queue item `s` is in view `show` for `me`.
fn in_view(show: &str, s: &service::QueueItem, me: &str) -> bool {
    match show {
        "awaiting" => s.awaiting_me,
        "overdue" => s.urgency == Some(Urgency::Overdue),
        "pending" => s.stage.starts_with("pending"),
        "mine" => s.author == me && matches!(s.stage.as_str(), "draft" | "rejected"),
        "approved" => s.stage == "approved",
        "rejected" => s.stage == "rejected",
        _ => true,
    }
}

/// `GET /reviews`: the queue, with a tab per view (each with its count) and a search.
pub(crate) async fn queue(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    axum::extract::Query(query): axum::extract::Query<QueueQuery>,
) -> Response {
    if let Err(e) = p.require(Permission::ViewReviews) {
        return error_page(lang, Some(&p), e);
    }
    let (list, users) = match (
        service::queue(&state, &p).await,
        state.store.users().await.map_err(ApiError::from),
    ) {
        (Ok(items), Ok(users)) => (items, users),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, Some(&p), e),
    };
    let name_of = |login: &str| {
        users
            .iter()
            .find(|u| u.username == login)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| login.to_string())
    };
    let me = p.user.username.as_str();
    let show = query
        .show
        .as_deref()
        .filter(|v| QUEUE_VIEWS.iter().any(|(c, _, _)| c == v))
        .unwrap_or("all");
    let needle = query.q.as_deref().map(str::trim).unwrap_or("");
    let found = |s: &service::QueueItem| {
        needle.is_empty()
            || s.title.contains(needle)
            || s.author.contains(needle)
            || name_of(&s.author).contains(needle)
            || s.id.to_string() == needle
    };
    let shown: Vec<&service::QueueItem> = list
        .iter()
        .filter(|s| in_view(show, s, me) && found(s))
        .collect();
    let views: Vec<(&str, &str, usize)> = QUEUE_VIEWS
        .iter()
        .filter(|(c, _, _)| *c != "mine" || p.can(Permission::Submit))
        .map(|(c, zh, en)| {
            let n = list
                .iter()
                .filter(|s| in_view(c, s, me) && found(s))
                .count();
            (*c, if lang == Lang::Zh { *zh } else { *en }, n)
        })
        .collect();
    let body = html! {
        @if p.can(Permission::Submit) { p { a href="/reviews/new" { (tr(lang, "＋ 新建提交", "+ New submission")) } } }
        nav.tabs data-testid="queue-views" {
            @for (code, label, n) in &views {
                @let href = if needle.is_empty() { format!("/reviews?show={code}") } else { format!("/reviews?show={code}&q={}", crate::ui::query_escape(needle)) };
                @if *code == show { strong { (label) " (" (n) ")" } } @else { a href=(href) { (label) " (" (n) ")" } }
                " "
            }
        }
        form method="get" action="/reviews" data-testid="queue-search" {
            input type="hidden" name="show" value=(show);
            input type="search" name="q" value=(needle) placeholder=(tr(lang, "搜索标题、作者或编号", "Search title, author or number"));
            " " input type="submit" value=(tr(lang, "搜索", "Search"));
            @if !needle.is_empty() { " " a href=(format!("/reviews?show={show}")) { (tr(lang, "清除搜索", "Clear")) } }
        }
        @if shown.is_empty() { p.muted data-testid="queue-empty" { (tr(lang, "没有符合条件的提交。", "Nothing matches.")) } }
        table {
            thead { tr { th { "#" } th { (tr(lang, "标题", "Title")) } th { (tr(lang, "状态", "Stage")) } th { (tr(lang, "作者", "Author")) } th { (tr(lang, "版本", "Version")) } th { (tr(lang, "截止", "Due")) } } }
            tbody {
                @for s in &shown {
                    @let overdue = s.urgency == Some(Urgency::Overdue);
                    tr class=(if overdue { "overdue" } else { "" }) {
                        td { (s.id) }
                        td { a href=(format!("/reviews/{}", s.id)) { (s.title) } @if s.awaiting_me { " " span.badge.b-review { (tr(lang, "待我审核", "awaiting me")) } } }
                        td { (stage_label(lang, &s.stage)) }
                        td { (name_of(&s.author)) }
                        td { (s.version) }
                        td { (s.due.as_deref().map(|d| typed_time(lang, d)).unwrap_or_else(|| "—".into())) @if overdue { " " span.badge.b-block { (tr(lang, "已逾期", "overdue")) } } @else if s.urgency == Some(Urgency::DueSoon) { " " span.badge.b-review { (tr(lang, "即将到期", "due soon")) } } }
                    }
                }
            }
        }
    };
    page(
        lang,
        tr(lang, "开播前审核", "Pre-broadcast review"),
        Some(&p),
        body,
    )
    .into_response()
}

/// The Chinese (or English) name of a submission form's field, for error messages.
fn new_field_name(lang: Lang, field: &str) -> &'static str {
    match field {
        "title" => tr(lang, "标题", "title"),
        "kind" => tr(lang, "类型", "kind"),
        "product_id" => tr(lang, "商品", "product"),
        "plan_id" => tr(lang, "直播排期", "session plan"),
        "session_start" => tr(lang, "开播时间", "session start"),
        "text" => tr(lang, "内容", "text"),
        _ => tr(lang, "表单", "form"),
    }
}

/// The new-submission form, filled with `f` (what was typed) and showing `error` beside its
/// field, so that nothing typed is lost when the server refuses it.
async fn new_form(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lang: Lang,
    f: &NewForm,
    error: Option<&ApiError>,
) -> Response {
    let (products, plans) = match (
        state.store.products().await,
        state.store.masters(MasterKind::Plan).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, Some(p), e.into()),
    };
    let fe = |field: &str| crate::ui::field_error(lang, error, field);
    let body = html! {
        @if let Some(e) = error {
            @match e {
                ApiError::Validation { field, .. } => (error_box(&format!("{}{}{}", tr(lang, "未保存，请检查：", "Not saved; check: "), new_field_name(lang, field), tr(lang, "（见下方说明）。已填写的内容都保留着。", " (see below). Everything you typed is kept.")))),
                other => (error_box(&format!("{}{other}", tr(lang, "未保存：", "Not saved: ")))),
            }
        }
        form.card method="post" action="/reviews/new" {
            input type="hidden" name="csrf" value=(p.csrf());
            label { (tr(lang, "标题", "Title")) br; input name="title" required maxlength="200" size="40" value=(f.title); (fe("title")) }
            label { (tr(lang, "类型", "Kind")) br; select name="kind" {
                option value="script" selected[f.kind == "script"] { (tr(lang, "直播话术", "script")) }
                option value="product_copy" selected[f.kind == "product_copy"] { (tr(lang, "商品文案", "product copy")) }
                option value="image_text" selected[f.kind == "image_text"] { (tr(lang, "宣传图（上传图片，识别文字与二维码）", "promo image (upload it: text and QR codes are read)")) }
            } (fe("kind")) }
            label { (tr(lang, "商品", "Product")) br; select name="product_id" { option value="" { "—" } @for pr in &products {
                option value=(pr.id) selected[f.product_id.trim() == pr.id.to_string()] { (pr.name) "（" (pr.category.parse::<liveguard_core::ProductCategory>().map(|c| c.label(lang)).unwrap_or("—")) "）" }
            } } (fe("product_id")) }
            label { (tr(lang, "直播排期（其商品清单一并核查）", "Session plan (its whole lineup is checked)")) br; select name="plan_id" { option value="" { "—" } @for pl in &plans {
                option value=(pl.id) selected[f.plan_id.trim() == pl.id.to_string()] { (pl.name) }
            } } (fe("plan_id")) }
            label { (tr(lang, "开播时间（北京时间；选择排期时可留空）", "Session start (Beijing time; may be empty with a plan)")) br;
                input type="datetime-local" name="session_start" value=(crate::ui::beijing_input(&f.session_start).map(|t| crate::ui::picker_value(&t)).unwrap_or_default()); (fe("session_start")) }
            label { input type="checkbox" name="has_lottery" value="true" checked[f.has_lottery.is_some()]; " " (tr(lang, "本场有抽奖", "the session has a lottery")) }
            label { (tr(lang, "内容", "Text")) textarea name="text" { (f.text) } (fe("text")) }
            label { (tr(lang, "或上传文件（.txt、.md、.docx，或宣传图片：图中文字经 OCR 识别后筛查）", "Or upload a file (.txt, .md, .docx, or a promo image read by OCR)")) br;
                input type="file" accept=".txt,.md,.docx,.png,.jpg,.jpeg,.webp,.bmp,.gif,.tif,.tiff" data-into="file_base64" data-name-into="file_name";
                input type="hidden" name="file_base64" value=(f.file_base64);
                input type="hidden" name="file_name" value=(f.file_name);
                @if !f.file_name.is_empty() { " " small.muted { (tr(lang, "已选文件：", "Chosen file: ")) (f.file_name) } }
                (fe("file_base64")) (fe("file_name")) }
            input type="submit" value=(tr(lang, "保存并筛查", "Save and screen"));
        }
    };
    let status = error
        .map(|e| e.parts().0)
        .unwrap_or(axum::http::StatusCode::OK);
    (
        status,
        page(lang, tr(lang, "新建提交", "New submission"), Some(p), body),
    )
        .into_response()
}

/// `GET /reviews/new`
pub(crate) async fn new_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::Submit) {
        return error_page(lang, Some(&p), e);
    }
    new_form(&state, &p, lang, &NewForm::default(), None).await
}

/// Body limit of the new-submission form: a file of [`service::UPLOAD_BYTES_MAX`] in base64,
/// URL-encoded (`+`, `/` and `=` take three bytes each), with the other fields.
pub(crate) const NEW_FORM_BYTES_MAX: usize =
    service::UPLOAD_BYTES_MAX / 3 * 4 / 10 * 11 + 256 * 1024;

#[derive(Deserialize, Default)]
pub(crate) struct NewForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    plan_id: String,
    #[serde(default)]
    session_start: String,
    has_lottery: Option<String>,
    #[serde(default)]
    text: String,
    /// A chosen file, base64-encoded by the page script.
    #[serde(default)]
    file_base64: String,
    #[serde(default)]
    file_name: String,
}

/// `POST /reviews/new`: on any refusal the form comes back with everything typed and the
/// message beside its field.
pub(crate) async fn new_submit(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(f): CsrfForm<NewForm>,
) -> Response {
    if let Err(e) = p.require(Permission::Submit) {
        return error_page(lang, Some(&p), e);
    }
    let id_field = |field: &'static str, v: &str| match v.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| {
            ApiError::field(
                field,
                tr(lang, "请从列表中选择", "choose one from the list"),
            )
        }),
    };
    let session_start = match f.session_start.trim() {
        "" => Ok(String::new()),
        typed => crate::ui::beijing_input(typed).ok_or_else(|| {
            ApiError::field(
                "session_start",
                format!(
                    "{}{typed}{}",
                    tr(lang, "无法识别“", "cannot read \""),
                    tr(
                        lang,
                        "”：请用日期时间选择器，或写成 2026-12-10 20:00（北京时间）",
                        "\": use the date and time picker, or write 2026-12-10 20:00 (Beijing time)"
                    )
                ),
            )
        }),
    };
    let (product_id, plan_id, session_start) = match (
        id_field("product_id", &f.product_id),
        id_field("plan_id", &f.plan_id),
        session_start,
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => {
            return new_form(&state, &p, lang, &f, Some(&e)).await;
        }
    };
    let body = SubmissionBody {
        title: f.title.clone(),
        kind: f.kind.clone(),
        product_id,
        plan_id,
        session_start,
        has_lottery: f.has_lottery.is_some(),
        content: if f.file_base64.trim().is_empty() {
            Content {
                text: Some(f.text.clone()),
                file_base64: None,
                file_name: None,
            }
        } else {
            Content {
                text: Some(f.text.clone()).filter(|t| !t.trim().is_empty()),
                file_base64: Some(f.file_base64.clone()),
                file_name: Some(f.file_name.clone()),
            }
        },
    };
    match service::create(&state, &p, body).await {
        Ok(id) => Redirect::to(&format!("/reviews/{id}")).into_response(),
        Err(ApiError::Forbidden) => error_page(lang, Some(&p), ApiError::Forbidden),
        Err(e) => new_form(&state, &p, lang, &f, Some(&e)).await,
    }
}

/// `GET /reviews/{id}`
pub(crate) async fn detail(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::ViewReviews) {
        return error_page(lang, Some(&p), e);
    }
    detail_response(&state, &p, lang, id, None, &[]).await
}

fn reason_label(lang: Lang, reason: liveguard_review::DismissReason) -> &'static str {
    let code = serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    REASONS
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, zh, en)| if lang == Lang::Zh { *zh } else { *en })
        .unwrap_or("?")
}

fn level_name(lang: Lang, level: Level) -> &'static str {
    match lang {
        Lang::Zh => level.label_zh(),
        Lang::En => level.label_en(),
    }
}

/// A reviewer's decision on a finding, in words: `初审：确认（须修改）`.
fn decision_text(lang: Lang, level: Level, d: &liveguard_review::FindingDecision) -> String {
    match d {
        liveguard_review::FindingDecision::Confirm => format!(
            "{}{}{}",
            level_name(lang, level),
            tr(lang, "：", ": "),
            tr(lang, "确认（须修改）", "confirmed (must change)")
        ),
        liveguard_review::FindingDecision::Dismiss { reason, comment } => format!(
            "{}{}{}{} — {comment}",
            level_name(lang, level),
            tr(lang, "：", ": "),
            tr(lang, "排除：", "dismissed: "),
            reason_label(lang, *reason)
        ),
    }
}

/// Why 终审 is needed, in words.
fn final_cause_text(lang: Lang, c: liveguard_review::FinalCause) -> String {
    use liveguard_review::FinalCause;
    match c {
        FinalCause::Flagged => {
            tr(lang, "审核人提请终审", "a reviewer asked for final review").into()
        }
        FinalCause::DismissedBlock => tr(
            lang,
            "有“拦截”级命中被排除",
            "a block finding was dismissed",
        )
        .into(),
        FinalCause::RegulatedCategory(cat) => format!(
            "{}{}",
            tr(lang, "特殊监管品类：", "regulated product category: "),
            cat.label(lang)
        ),
        FinalCause::Lottery => tr(lang, "本场计划有抽奖", "the session plan has a lottery").into(),
    }
}

/// A time a person typed (RFC 3339) shown in Beijing time, or as typed when it is not one.
fn typed_time(lang: Lang, text: &str) -> String {
    liveguard_store::Stamp::parse(text)
        .map(|t| when(lang, t))
        .unwrap_or_else(|_| text.to_string())
}

/// The stored English reason for 终审 in the page's language.
fn routed_reason(lang: Lang, reason: &str) -> String {
    use liveguard_review::FinalCause;
    let cause = match reason {
        "a reviewer asked for 终审" => Some(FinalCause::Flagged),
        "a block finding was dismissed" => Some(FinalCause::DismissedBlock),
        "the session plan has a lottery" => Some(FinalCause::Lottery),
        r => r
            .strip_prefix("regulated product category ")
            .and_then(|c| c.parse().ok())
            .map(FinalCause::RegulatedCategory),
    };
    cause
        .map(|c| final_cause_text(lang, c))
        .unwrap_or_else(|| reason.to_string())
}

/// The reason of a review audit entry (the event, stored as JSON) as a sentence; `None`
/// when it is not a review event.
pub(crate) fn event_sentence(
    lang: Lang,
    reason: &str,
    checklists: &crate::settings::Checklists,
) -> Option<Markup> {
    let event: liveguard_review::Event = serde_json::from_str(reason).ok()?;
    let sep = tr(lang, "：", ": ");
    Some(match event {
        liveguard_review::Event::Submitted { version } => {
            html! { (tr(lang, "提交审核，版本 ", "submitted, version ")) (version) }
        }
        liveguard_review::Event::FindingDecided {
            finding,
            level,
            decision,
        } => html! {
            (decision_text(lang, level, &decision)) " " code { (finding) }
        },
        liveguard_review::Event::ChecklistAnswered { level, key, pass } => html! {
            (level_name(lang, level)) (sep)
            @match checklists.for_level(level).into_iter().find(|i| i.key == key) {
                Some(item) => { "“" (item.text) "”" },
                None => code { (key) },
            }
            " " (if pass { tr(lang, "通过", "passed") } else { tr(lang, "不通过", "failed") })
        },
        liveguard_review::Event::Signed { level } => {
            html! { (level_name(lang, level)) (tr(lang, "签字通过", " signed")) }
        }
        liveguard_review::Event::Routed { level, reason } => html! {
            (tr(lang, "转入", "routed to ")) (level_name(lang, level))
            @if let Some(r) = reason { (sep) (routed_reason(lang, &r)) }
        },
        liveguard_review::Event::Approved { content_hash } => html! {
            (tr(lang, "批准并冻结，内容哈希 ", "approved and frozen, content hash ")) code { (content_hash.get(..16).unwrap_or(&content_hash)) "…" }
        },
        liveguard_review::Event::Rejected { level } => {
            html! { (level_name(lang, level)) (tr(lang, "退回修改", " sent it back for changes")) }
        }
        liveguard_review::Event::NewVersion {
            version,
            voided_approval,
        } => html! {
            (tr(lang, "保存新版本 ", "new version ")) (version)
            @if voided_approval { (tr(lang, "，原批准失效", "; the approval is void")) }
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn detail_page(
    lang: Lang,
    p: &crate::http::auth::Principal,
    v: &service::SubmissionView,
    message: Option<&str>,
    typed: &[(String, String)],
    history: &[liveguard_audit::Entry],
    names: &std::collections::HashMap<String, String>,
    checklists: &crate::settings::Checklists,
) -> Response {
    let findings = &v.findings;
    let stage = v.row.stage.as_str();
    let id = v.row.id;
    let is_author = v.review.author == p.user.username;
    let level = v.pending_level();
    let can_review =
        level.is_some_and(|l| liveguard_review::may_review(p.user.role, l)) && !is_author;
    let decisions = &v.review.decisions;
    let typed_value = |k: &str| typed.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let name_of = |login: &str| {
        names
            .get(login)
            .cloned()
            .unwrap_or_else(|| login.to_string())
    };
    // What still stands between this version and approval at the pending level.
    let needs_decision = findings
        .iter()
        .filter(|f| f.severity >= liveguard_core::Severity::Review)
        .filter(|f| !decisions.contains_key(&format!("{}@{}", f.rule, f.span.byte_start)))
        .count();
    let confirmed = decisions
        .values()
        .filter(|(_, d)| matches!(d, FindingDecision::Confirm))
        .count();
    // Who has signed at the pending level (终审 needs both the compliance lead and legal).
    let signed_here: Vec<&liveguard_review::Signature> = v
        .review
        .signatures
        .iter()
        .filter(|s| Some(s.level) == level)
        .collect();
    let body = html! {
        @if let Some(m) = message { (error_box(m)) }
        div.card {
            p {
                (tr(lang, "状态：", "Stage: ")) strong data-testid="stage" { (stage_label(lang, stage)) }
                " · " (tr(lang, "版本 ", "version ")) (v.review.version) " · " (tr(lang, "作者 ", "author ")) (v.author_name)
                " · " (tr(lang, "开播 ", "session ")) (typed_time(lang, &v.row.session_start))
                @if let Some(d) = v.due { " · " (tr(lang, "截止 ", "due ")) (when(lang, d)) }
            }
            @if level == Some(Level::Final) {
                p data-testid="cosign" {
                    @if signed_here.is_empty() {
                        (tr(lang, "终审须合规组长与法务会签，尚无人签字。", "Final review needs the compliance lead and legal; nobody has signed yet."))
                    } @else {
                        @for sgn in &signed_here { (sgn.role.label(lang)) " " (name_of(&sgn.reviewer)) (tr(lang, " 已通过；", " signed; ")) }
                        @if !signed_here.iter().any(|s| s.role == liveguard_core::Role::Legal) { (tr(lang, "待法务会签。", "awaiting legal's co-signature.")) }
                        @if !signed_here.iter().any(|s| s.role == liveguard_core::Role::ComplianceLead) { (tr(lang, "待合规组长会签。", "awaiting the compliance lead's co-signature.")) }
                    }
                }
            }
            @if let Some(c) = v.final_cause { p.muted { (tr(lang, "需终审：", "Final review required: ")) (final_cause_text(lang, c)) } }
            @if let Stage::Rejected { required_changes, .. } = &v.review.stage { p.error { (tr(lang, "退回意见：", "Required changes: ")) (required_changes) } }
            @if stage == "approved" { p.ok { (tr(lang, "已批准并冻结。内容哈希 ", "Approved and frozen. Content hash ")) code { (v.review.content_hash) } " · " a href=(format!("/reviews/{id}/print")) { (tr(lang, "打印批准版本", "Print the approved version")) } " · " a href=(format!("/reviews/{id}/print.pdf")) { "PDF" } } }
            div.text data-testid="highlighted" { (highlight(&v.text, findings)) }
        }
        @if v.row.plan_id.is_some() || v.row.has_lottery {
            (crate::features::lottery::pages::plan_lotteries(lang, &v.lotteries, v.row.has_lottery))
        }
        @if let Some(diff) = &v.diff {
            div.card {
                h3 { (tr(lang, "与上一版本的差异", "Changes since the previous version")) }
                pre style="white-space:pre-wrap" { @for l in &diff.lines {
                    @match l {
                        DiffLine::Added { text, changed } => span.diff-add data-testid="diff-added" { "+ " (marked(text, changed.as_deref(), true)) "\n" },
                        DiffLine::Removed { text, changed } => span.diff-del data-testid="diff-removed" { "- " (marked(text, changed.as_deref(), false)) "\n" },
                        DiffLine::Same { text } => span { "  " (text) "\n" },
                    }
                } }
                p.muted { (tr(lang, "已解决的命中：", "Resolved findings: ")) (diff.resolved_findings.len()) }
            }
        }
        @if can_review {
            div.card data-testid="blockers" {
                @if level == Some(Level::First) && needs_decision > 0 {
                    p.error { (tr(lang, "批准前还需：对 ", "Before approving: decide ")) (needs_decision) (tr(lang, " 条“需复核”或“拦截”级命中作出决定（确认须修改，或选排除理由并写依据）。", " review or block findings (confirm, or dismiss with a reason and evidence).")) }
                }
                @if confirmed > 0 {
                    p.error { (confirmed) (tr(lang, " 条命中已确认须修改：请退回作者修改，而不是批准。", " findings are confirmed as needing changes: send it back rather than approve.")) }
                }
                p.muted { (tr(lang, "审核要点每项都须选择“通过”或“不通过”；有“不通过”时请退回并写明修改要求。", "Answer every checklist item; if one fails, send it back with the required changes.")) }
            }
        }
        form.card method="post" action=(format!("/reviews/{id}/approve")) data-testid="decision-form" {
            input type="hidden" name="csrf" value=(p.csrf());
            h3 { (tr(lang, "机器命中与人工确认", "Machine findings and decisions")) }
            (crate::ui::citation_legend(lang))
            table {
                thead { tr { th { (tr(lang, "原文", "Text")) } th { (tr(lang, "级别", "Severity")) } th { (tr(lang, "类别 / 法条", "Category / law")) } th { (tr(lang, "决定", "Decision")) } } }
                tbody {
                    @for (i, f) in findings.iter().enumerate() {
                        @let fid = format!("{}@{}", f.rule, f.span.byte_start);
                        @let sent = typed.iter().find(|(n, val)| n.starts_with('f') && *val == fid).map(|(n, _)| n[1..].to_string());
                        @let sent_choice = sent.as_ref().and_then(|k| typed_value(&format!("d{k}"))).unwrap_or("");
                        @let sent_comment = sent.as_ref().and_then(|k| typed_value(&format!("c{k}"))).unwrap_or("");
                        tr {
                            td { (f.matched) }
                            td { span class=(format!("badge b-{}", f.severity)) { (f.severity.label(lang)) } }
                            td { span title=(f.rule.as_ref()) { (f.category.label(lang)) } br; small { @for c in f.citations.iter() { (c.to_string()) " " } } br; small.muted { (crate::ui::bilingual(lang, &f.suggestion)) } }
                            td {
                                @if let Some((l, d)) = decisions.get(&fid) {
                                    (decision_text(lang, *l, d)) br;
                                }
                                @if can_review && f.severity != liveguard_core::Severity::Info {
                                    input type="hidden" name=(format!("f{i}")) value=(fid);
                                    select name=(format!("d{i}")) aria-label="decision" {
                                        option value="" { "—" }
                                        option value="confirm" selected[sent_choice == "confirm"] { (tr(lang, "确认（须修改）", "confirm (must change)")) }
                                        @for (code, zh, en) in REASONS { option value=(format!("dismiss:{code}")) selected[sent_choice == format!("dismiss:{code}")] { (tr(lang, "排除：", "dismiss: ")) (if lang == Lang::Zh { *zh } else { *en }) } }
                                    }
                                    " " input name=(format!("c{i}")) placeholder=(tr(lang, "依据/说明", "evidence")) size="14" value=(sent_comment);
                                }
                            }
                        }
                    }
                }
            }
            @if can_review {
                @if let Some(l) = level {
                    h3 { (level_name(lang, l)) " · " (tr(lang, "审核要点清单", "checklist")) }
                    @for item in v.checklist.iter().flatten() {
                        @let key = item.key.as_str();
                        @let answer = typed_value(&format!("k:{key}")).unwrap_or("");
                        label { (item.text) " "
                            select name=(format!("k:{key}")) required {
                                option value="" { (tr(lang, "— 请选择 —", "— choose —")) }
                                option value="pass" selected[answer == "pass"] { (tr(lang, "通过", "pass")) }
                                option value="fail" selected[answer == "fail"] { (tr(lang, "不通过", "fail")) }
                            }
                            " " input name=(format!("m:{key}")) placeholder=(tr(lang, "不通过须说明", "comment if failed")) size="20" value=(typed_value(&format!("m:{key}")).unwrap_or(""));
                        }
                    }
                    label { input type="checkbox" name="flag_final" value="true" checked[typed_value("flag_final").is_some()]; " " (tr(lang, "提请终审", "ask for final review")) }
                    p {
                        input type="submit" formaction=(format!("/reviews/{id}/decide")) formnovalidate value=(tr(lang, "保存决定", "Save decisions"));
                        " " input.approve type="submit" value=(tr(lang, "批准", "Approve")) data-confirm=(if l == Level::Final || v.final_cause.is_none() && l == Level::Second { tr(lang, "批准后这一版本将冻结为定稿，任何修改都须重新送审。确定批准？", "Approving freezes this version; any change needs a new review. Approve?") } else { tr(lang, "批准后将送交下一级审核。确定批准？", "Approving sends it to the next level. Approve?") });
                    }
                }
            }
        }
        @if can_review {
            form.card.reject method="post" action=(format!("/reviews/{id}/reject")) {
                input type="hidden" name="csrf" value=(p.csrf());
                label { (tr(lang, "退回并要求修改：", "Reject with required changes:")) br; textarea name="required_changes" style="min-height:4rem" required { (typed_value("required_changes").unwrap_or("")) } }
                input.danger type="submit" value=(tr(lang, "退回", "Reject"));
            }
        }
        @if is_author {
            @if stage == "draft" || stage == "rejected" {
                form.card method="post" action=(format!("/reviews/{id}/submit")) {
                    input type="hidden" name="csrf" value=(p.csrf());
                    input type="submit" value=(tr(lang, "提交审核", "Submit for review"));
                }
            }
            form.card method="post" action=(format!("/reviews/{id}/edit")) {
                input type="hidden" name="csrf" value=(p.csrf());
                label { (tr(lang, "修改内容（保存为新版本；已批准的版本将失效）", "Edit (saves a new version; an approval is voided)")) textarea name="text" required { (typed_value("text").unwrap_or(&v.text)) } }
                input type="submit" value=(tr(lang, "保存新版本", "Save new version"));
            }
        }
        div.card data-testid="history" {
            h3 { (tr(lang, "审核记录", "Review history")) }
            @if history.is_empty() { p.muted { (tr(lang, "暂无记录。", "Nothing yet.")) } }
            table {
                @for e in history {
                    tr {
                        td { (liveguard_store::Stamp::parse(&e.time).map(|t| when(lang, t)).unwrap_or_else(|_| e.time.clone())) }
                        td { (name_of(&e.actor)) }
                        td { (e.role.parse::<liveguard_core::Role>().map(|r| r.label(lang)).unwrap_or("—")) }
                        td { (crate::ui::labels::audit_action(lang, &e.action).unwrap_or("—")) }
                        td { @if let Some(r) = e.reason.as_deref() { @if let Some(sentence) = event_sentence(lang, r, checklists) { (sentence) } } }
                    }
                }
            }
        }
    };
    page(lang, &v.row.title, Some(p), body).into_response()
}

async fn after_action(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lang: Lang,
    id: i64,
    result: Result<impl Sized, ApiError>,
    typed: &[(String, String)],
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/reviews/{id}")).into_response(),
        Err(ApiError::Forbidden) => error_page(lang, Some(p), ApiError::Forbidden),
        Err(e) => detail_response(state, p, lang, id, Some(&e), typed).await,
    }
}

/// A diff line with the characters that changed marked (`ins` for added, `del` for
/// removed); `None`: the whole line is the change and nothing inside is marked.
fn marked(text: &str, changed: Option<&[(usize, usize)]>, added: bool) -> Markup {
    let changed = changed.unwrap_or_default();
    // (changed?, piece) in order; ranges that are out of order or off a character
    // boundary are ignored rather than trusted.
    let mut pieces: Vec<(bool, &str)> = Vec::new();
    let mut at = 0;
    for &(a, b) in changed {
        if a < at
            || a > b
            || b > text.len()
            || !text.is_char_boundary(a)
            || !text.is_char_boundary(b)
        {
            continue;
        }
        pieces.push((false, &text[at..a]));
        pieces.push((true, &text[a..b]));
        at = b;
    }
    pieces.push((false, &text[at..]));
    html! {
        @for (hit, piece) in pieces {
            @if !hit { (piece) } @else if added { ins { (piece) } } @else { del { (piece) } }
        }
    }
}

/// Why the workflow refused, in the page's language.
pub(crate) fn refusal_text(lang: Lang, e: &ApiError) -> String {
    use liveguard_review::ReviewError;
    let ApiError::Review(r) = e else {
        return crate::ui::error_text(lang, e);
    };
    let said = match r {
        ReviewError::WrongStage { .. } => tr(
            lang,
            "当前状态下不能这样做（可能已被他人处理，请刷新）",
            "not possible in the current stage (someone may have acted already; reload)",
        ),
        ReviewError::WrongRole { .. } => tr(
            lang,
            "您的角色不能在这一级审核",
            "your role may not review at this level",
        ),
        ReviewError::NotAuthor(_) => tr(lang, "只有作者可以这样做", "only the author may do this"),
        ReviewError::SeparationOfDuties(_) => tr(
            lang,
            "职责分离：不能审核自己提交的内容，也不能在两个级别为同一版本签字",
            "separation of duties: you may not review your own submission or sign the same version at two levels",
        ),
        ReviewError::Checklist(_) => tr(
            lang,
            "审核要点：每一项都须回答；有“不通过”的项请退回并写明修改要求，而不是批准",
            "checklist: answer every item; if an item fails, reject with the required changes instead of approving",
        ),
        ReviewError::Findings(_) => tr(
            lang,
            "机器命中：需复核和拦截级的命中须逐条决定；已确认须修改的命中须退回作者修改",
            "findings: decide every review or block finding; a confirmed finding means sending it back for changes",
        ),
        ReviewError::Empty(_) => tr(lang, "必填内容为空", "a required field is empty"),
        _ => tr(
            lang,
            "审核流程拒绝了这个操作",
            "the review workflow refused this",
        ),
    };
    format!("{}{said}（{r}）", tr(lang, "未完成：", "Not done: "))
}

/// The detail page with the review history; after a refusal, with the reason and with the
/// form filled in as it was sent.
async fn detail_response(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lang: Lang,
    id: i64,
    refusal: Option<&ApiError>,
    typed: &[(String, String)],
) -> Response {
    let loaded = async {
        let v = service::view(state, id, None).await?;
        let history = state
            .store
            .audit_search(&liveguard_store::AuditFilter {
                object_prefix: Some(format!("submission:{id}@")),
                limit: 200,
                ..Default::default()
            })
            .await?;
        let users = state.store.users().await?;
        Ok::<_, ApiError>((v, history, users))
    };
    match loaded.await {
        Ok((v, history, users)) => {
            let names: std::collections::HashMap<String, String> = users
                .into_iter()
                .map(|u| (u.username, u.display_name))
                .collect();
            let message = refusal.map(|e| refusal_text(lang, e));
            let mut resp = detail_page(
                lang,
                p,
                &v,
                message.as_deref(),
                typed,
                &history,
                &names,
                &state.settings.review.checklist,
            );
            if let Some(e) = refusal {
                *resp.status_mut() = e.parts().0;
            }
            resp
        }
        Err(e) => error_page(lang, Some(p), e),
    }
}

/// The decisions on findings sent with a form (`f<i>` the finding, `d<i>` the choice,
/// `c<i>` the comment); findings left at “—” are not decided.
fn decisions_of(
    fields: &[(String, String)],
) -> Result<BTreeMap<String, FindingDecision>, ApiError> {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mut decisions = BTreeMap::new();
    for (name, fid) in fields.iter().filter(|(n, _)| n.starts_with('f')) {
        let i = &name[1..];
        let choice = get(&format!("d{i}")).unwrap_or("");
        let comment = get(&format!("c{i}")).unwrap_or("").to_string();
        let decision = match choice {
            "" => continue,
            "confirm" => FindingDecision::Confirm,
            other => match other.strip_prefix("dismiss:").and_then(|r| {
                serde_json::from_value::<DismissReason>(Value::String(r.to_string())).ok()
            }) {
                Some(reason) => FindingDecision::Dismiss { reason, comment },
                None => {
                    return Err(ApiError::field(
                        "decision",
                        format!("unknown decision `{other}`"),
                    ));
                }
            },
        };
        decisions.insert(fid.clone(), decision);
    }
    Ok(decisions)
}

/// `POST /reviews/{id}/decide|approve|reject|submit|edit`: the form fields as pairs.
pub(crate) async fn post_action(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((id, verb)): Path<(i64, String)>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let action = match verb.as_str() {
        "submit" => Action::Submit,
        "reject" => Action::Reject {
            required_changes: get("required_changes").unwrap_or("").to_string(),
        },
        "decide" => match decisions_of(&fields) {
            Ok(d) => Action::Decide(d),
            Err(e) => return after_action(&state, &p, lang, id, Err::<(), _>(e), &fields).await,
        },
        "approve" => {
            // The one decision form: the findings' decisions and the checklist go together.
            match decisions_of(&fields) {
                Ok(d) if !d.is_empty() => {
                    if let Err(e) = service::act(&state, &p, id, Action::Decide(d), None).await {
                        return after_action(&state, &p, lang, id, Err::<(), _>(e), &fields).await;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    return after_action(&state, &p, lang, id, Err::<(), _>(e), &fields).await;
                }
            }
            let mut checklist = BTreeMap::new();
            for (name, value) in fields
                .iter()
                .filter(|(n, v)| n.starts_with("k:") && !v.is_empty())
            {
                let key = &name[2..];
                let comment = get(&format!("m:{key}"))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string);
                checklist.insert(
                    key.to_string(),
                    ChecklistAnswer {
                        pass: value == "pass",
                        comment,
                    },
                );
            }
            Action::Approve {
                checklist,
                flag_final: get("flag_final").is_some(),
            }
        }
        "edit" => {
            let content = Content {
                text: get("text").map(str::to_string),
                file_base64: None,
                file_name: None,
            };
            let result = service::edit(&state, &p, id, content).await;
            return after_action(&state, &p, lang, id, result, &fields).await;
        }
        _ => return error_page(lang, Some(&p), ApiError::NotFound),
    };
    let result = service::act(&state, &p, id, action, None).await;
    after_action(&state, &p, lang, id, result, &fields).await
}

/// The print page of an approved version: text, hash, approval chain, decisions.
async fn print_page(
    state: &AppState,
    p: &crate::http::auth::Principal,
    id: i64,
    lang: Lang,
) -> Result<maud::PreEscaped<String>, ApiError> {
    p.require(Permission::ViewReviews)?;
    let v = service::view(state, id, None).await?;
    if !matches!(v.review.stage, Stage::Approved { .. }) {
        return Err(ApiError::Workflow(
            "only an approved version can be printed".into(),
        ));
    }
    // Reviewers by display name (the login name only when the account is gone).
    let users = state.store.users().await?;
    let name_of = |login: &str| {
        users
            .iter()
            .find(|u| u.username == login)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| login.to_string())
    };
    let checklist_text = |level: Level, key: &str| {
        state
            .settings
            .review
            .checklist
            .for_level(level)
            .into_iter()
            .find(|i| i.key == key)
            .map(|i| i.text)
            .unwrap_or_else(|| key.to_string())
    };
    // What the approval covers: the plan with its room, streamers and lineup, and when each
    // level signed (from the audit log of this version).
    use crate::features::master::service::{LiveRoom, SessionPlan, Streamer, records};
    let plan = match v.row.plan_id {
        Some(plan_id) => records::<SessionPlan>(state, MasterKind::Plan)
            .await?
            .into_iter()
            .find(|(i, _)| *i == plan_id)
            .map(|(_, plan)| plan),
        None => None,
    };
    let rooms = records::<LiveRoom>(state, MasterKind::Room).await?;
    let streamers = records::<Streamer>(state, MasterKind::Streamer).await?;
    let products = state.store.products().await?;
    let product_name = |pid: i64| {
        products
            .iter()
            .find(|pr| pr.id == pid)
            .map(|pr| pr.name.clone())
            .unwrap_or_else(|| format!("#{pid}"))
    };
    let signed_at = state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            action: Some("review.signed".into()),
            object_prefix: Some(format!("submission:{id}@v{}", v.review.version)),
            limit: 50,
            ..Default::default()
        })
        .await?;
    let when_signed = |level: Level, who: &str| {
        signed_at
            .iter()
            .filter(|e| e.actor == who)
            .find(|e| {
                e.reason.as_deref().is_some_and(|r| {
                    matches!(serde_json::from_str::<liveguard_review::Event>(r), Ok(liveguard_review::Event::Signed { level: l }) if l == level)
                })
            })
            .and_then(|e| liveguard_store::Stamp::parse(&e.time).ok())
            .map(|t| when(lang, t))
            .unwrap_or_default()
    };
    let body: Markup = html! {
        div.card {
            p { (tr(lang, "标题：", "Title: ")) (v.row.title) " · " (tr(lang, "版本 ", "version ")) (v.review.version) " · " (tr(lang, "开播 ", "session ")) (typed_time(lang, &v.row.session_start)) }
            p { (tr(lang, "作者：", "Author: ")) (name_of(&v.review.author)) }
            @if let Some(plan) = &plan {
                @let room = rooms.iter().find(|(i, _)| *i == plan.room_id).map(|(_, r)| r);
                p data-testid="print-plan" {
                    (tr(lang, "直播排期：", "Session plan: ")) (plan.title)
                    @if let Some(r) = room { " · " (tr(lang, "直播间：", "Room: ")) (r.platform) " " (r.account) " · " (tr(lang, "运营主体：", "Operator: ")) (r.operator) }
                    " · " (tr(lang, "主播：", "Streamers: ")) (plan.streamer_ids.iter().map(|sid| streamers.iter().find(|(i, _)| i == sid).map(|(_, st)| st.name.clone()).unwrap_or_else(|| format!("#{sid}"))).collect::<Vec<_>>().join("、"))
                }
                p { (tr(lang, "商品：", "Products: ")) (plan.lineup.iter().map(|l| format!("{}（¥{:.2}）", product_name(l.product_id), l.price_fen as f64 / 100.0)).collect::<Vec<_>>().join("；")) }
            } @else if let Some(pid) = v.row.product_id {
                p { (tr(lang, "商品：", "Product: ")) (product_name(pid)) }
            }
            p { (tr(lang, "内容哈希（SHA-256）：", "Content hash (SHA-256): ")) code data-testid="print-hash" { (v.review.content_hash) } }
            div.text { (v.text) }
        }
        div.card {
            h3 { (tr(lang, "审批链", "Approval chain")) }
            table {
                thead { tr { th { (tr(lang, "级别", "Level")) } th { (tr(lang, "审核人", "Reviewer")) } th { (tr(lang, "角色", "Role")) } th { (tr(lang, "签字时间", "Signed")) } th { (tr(lang, "审核要点", "Checklist")) } } }
                tbody { @for sig in &v.review.signatures {
                    tr { td { (level_name(lang, sig.level)) } td { (name_of(&sig.reviewer)) } td { (sig.role.label(lang)) } td { (when_signed(sig.level, &sig.reviewer)) }
                        td { @for (k, a) in &sig.checklist { (checklist_text(sig.level, k)) (tr(lang, "：", ": ")) (if a.pass { tr(lang, "通过", "pass") } else { tr(lang, "不通过", "fail") }) @if let Some(c) = &a.comment { "（" (c) "）" } br; } } }
                } }
            }
            h3 { (tr(lang, "机器命中的处理", "Decisions on machine findings")) }
            ul { @for f in &v.findings {
                @let fid = format!("{}@{}", f.rule, f.span.byte_start);
                li { "「" (f.matched) "」 " (f.severity.label(lang)) " · " (f.category.label(lang)) " — "
                    @match v.review.decisions.get(&fid) { Some((l, d)) => (decision_text(lang, *l, d)), None => (tr(lang, "未单独决定", "no separate decision")) } }
            } }
            p.muted { (tr(lang, "打印时间：", "Printed: ")) (when(lang, state.store.now())) }
        }
        div.card data-testid="signature-area" {
            h3 { (tr(lang, "签字与盖章", "Signatures and seal")) }
            table {
                thead { tr { th { (tr(lang, "级别", "Level")) } th { (tr(lang, "签字", "Signature")) } th { (tr(lang, "日期", "Date")) } } }
                tbody { @for sig in &v.review.signatures {
                    tr style="height:3rem" { td { (level_name(lang, sig.level)) "（" (name_of(&sig.reviewer)) "）" } td {} td {} }
                } }
            }
            p style="margin-top:2rem" { (tr(lang, "单位盖章：", "Company seal: ")) }
        }
    };
    Ok(maud::PreEscaped(
        page(
            lang,
            tr(lang, "批准版本（打印）", "Approved version (print)"),
            Some(p),
            body,
        )
        .0,
    ))
}

/// `GET /plans`: live rooms, streamers and session plans with their lineups.
pub(crate) async fn plans(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::ViewReviews) {
        return error_page(lang, Some(&p), e);
    }
    use crate::features::master::service::{LiveRoom, SessionPlan, Streamer, records};
    let (rooms, streamers, plans, products) = match (
        records::<LiveRoom>(&state, MasterKind::Room).await,
        records::<Streamer>(&state, MasterKind::Streamer).await,
        records::<SessionPlan>(&state, MasterKind::Plan).await,
        state.store.products().await.map_err(ApiError::from),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return error_page(lang, Some(&p), e);
        }
    };
    let mut plan_lotteries = std::collections::HashMap::new();
    for (id, _) in &plans {
        match crate::features::lottery::service::plan_lotteries(&state, *id).await {
            Ok(l) => plan_lotteries.insert(*id, l),
            Err(e) => return error_page(lang, Some(&p), e),
        };
    }
    let room_name = |id: i64| {
        rooms
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, r)| format!("{} · {}", r.platform, r.account))
            .unwrap_or_else(|| format!("#{id}"))
    };
    let streamer_name = |id: i64| {
        streamers
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| s.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let product_name = |id: i64| {
        products
            .iter()
            .find(|pr| pr.id == id)
            .map(|pr| {
                let category = pr
                    .category
                    .parse::<liveguard_core::ProductCategory>()
                    .map(|c| c.label(lang))
                    .unwrap_or("—");
                format!("{}（{category}）", pr.name)
            })
            .unwrap_or_else(|| format!("#{id}"))
    };
    let body = html! {
        div.card {
            h3 { (tr(lang, "直播排期", "Session plans")) }
            @if plans.is_empty() { p.muted { (tr(lang, "暂无排期：在“主数据”页添加。", "No plans yet: add them on the Master data page.")) } }
            @for (id, plan) in &plans {
                h4 data-testid="plan" { "#" (id) " " (plan.title) " · " (typed_time(lang, &plan.starts_at)) @if plan.has_lottery { " " span.badge.b-review { (tr(lang, "有抽奖", "lottery")) } } }
                p.muted { (tr(lang, "直播间：", "Room: ")) (room_name(plan.room_id)) " · " (tr(lang, "主播：", "Streamers: "))
                    (plan.streamer_ids.iter().map(|s| streamer_name(*s)).collect::<Vec<_>>().join("、")) }
                table { thead { tr { th { (tr(lang, "商品", "Product")) } th { (tr(lang, "直播价", "Live price")) } th { (tr(lang, "优惠", "Promotion")) } } }
                    tbody { @for item in &plan.lineup { tr {
                        td { (product_name(item.product_id)) }
                        td { "¥" (format!("{:.2}", item.price_fen as f64 / 100.0)) }
                        td { (item.promotion.as_deref().unwrap_or("—")) }
                    } } } }
                @let lotteries = plan_lotteries.get(id).map(Vec::as_slice).unwrap_or(&[]);
                @if !lotteries.is_empty() || plan.has_lottery {
                    (crate::features::lottery::pages::plan_lotteries(lang, lotteries, plan.has_lottery))
                }
            }
        }
        div.card {
            h3 { (tr(lang, "直播间", "Live rooms")) }
            table { thead { tr { th { "#" } th { (tr(lang, "平台", "Platform")) } th { (tr(lang, "账号", "Account")) } th { (tr(lang, "运营主体", "Operator")) } } }
                tbody { @for (id, r) in &rooms { tr { td { (id) } td { (r.platform) } td { (r.account) } td { (r.operator) } } } } }
        }
        div.card {
            h3 { (tr(lang, "主播", "Streamers")) }
            table { thead { tr { th { "#" } th { (tr(lang, "姓名", "Name")) } th { (tr(lang, "机构", "Agency")) } } }
                tbody { @for (id, st) in &streamers { tr { td { (id) } td { (st.name) } td { (st.agency.as_deref().unwrap_or("—")) } } } } }
        }
    };
    page(
        lang,
        tr(lang, "直播排期与主数据", "Plans and master data"),
        Some(&p),
        body,
    )
    .into_response()
}

/// `GET /notifications`: review state changes that concern the signed-in user.
pub(crate) async fn notifications(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::ViewReviews) {
        return error_page(lang, Some(&p), e);
    }
    let (items, users, since) = match (
        service::notifications_for(&state, &p).await,
        state.store.users().await.map_err(ApiError::from),
        service::previous_login(&state, &p).await,
    ) {
        (Ok(v), Ok(u), Ok(s)) => (v, u, s),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return error_page(lang, Some(&p), e),
    };
    let is_new = |n: &service::Notification| since.as_deref().is_none_or(|s| n.time.as_str() > s);
    let new_count = items.iter().filter(|n| is_new(n)).count();
    // Escalations of one session are one row with their count (the newest shown).
    let mut rows: Vec<(&service::Notification, usize)> = Vec::new();
    for n in &items {
        if let service::NotificationAbout::Alert { session_id, .. } = n.about
            && let Some(row) = rows.iter_mut().find(|(m, _)| {
                matches!(m.about, service::NotificationAbout::Alert { session_id: s, .. } if s == session_id)
            })
        {
            row.1 += 1;
            continue;
        }
        rows.push((n, 1));
    }
    // People by display name; the system's own actions by what they are.
    let mut names: std::collections::HashMap<&str, String> = users
        .iter()
        .map(|u| (u.username.as_str(), u.display_name.clone()))
        .collect();
    names.insert("system", tr(lang, "系统", "system").to_string());
    let body = html! {
        @if items.is_empty() { p.muted data-testid="no-notifications" { (tr(lang, "暂无与您相关的审核动态。", "Nothing about your reviews yet.")) } }
        @else {
            p data-testid="new-count" { (tr(lang, "上次登录以来新增 ", "New since your last sign-in: ")) strong { (new_count) } (tr(lang, " 条。", ".")) }
            table data-testid="notifications" {
                thead { tr { th { (tr(lang, "时间", "Time")) } th { (tr(lang, "动态", "What happened")) } th { (tr(lang, "操作人", "By")) } } }
                tbody { @for (n, count) in &rows { tr {
                    td { (typed_time(lang, &n.time)) @if is_new(n) { " " span.badge.b-review { (tr(lang, "新", "new")) } } }
                    td { a href=(n.href()) data-testid=(if matches!(n.about, service::NotificationAbout::Alert { .. }) { "escalation" } else { "review-notice" }) { (if lang == Lang::En { &n.text_en } else { &n.text_zh }) }
                        @if *count > 1 { " " span.badge.b-block data-testid="escalation-count" { (tr(lang, "同场共 ", "")) (count) (tr(lang, " 条", " in this session")) } } }
                    td { (names.get(n.actor.as_str()).cloned().unwrap_or_else(|| n.actor.clone())) }
                } } }
            }
        }
    };
    page(lang, tr(lang, "通知", "Notifications"), Some(&p), body).into_response()
}

/// `GET /reviews/{id}/print`: the approved version with its approval chain.
pub(crate) async fn print(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    match print_page(&state, &p, id, lang).await {
        Ok(html) => axum::response::Html(html.0).into_response(),
        Err(e) => error_page(lang, Some(&p), e),
    }
}

/// `GET /reviews/{id}/print.pdf`: the same page as a PDF (headless Chromium, offline).
pub(crate) async fn print_pdf(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    let html = match print_page(&state, &p, id, lang).await {
        Ok(h) => h,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    match crate::convert::pdf::html_to_pdf(&state.settings.pdf_engine, &html.0).await {
        Ok(bytes) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/pdf".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"liveguard-approval-{id}.pdf\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(crate::convert::pdf::PdfError::Busy(m)) => {
            error_page(lang, Some(&p), ApiError::Busy(m))
        }
        Err(e) => error_page(lang, Some(&p), ApiError::Unavailable(e.to_string())),
    }
}
