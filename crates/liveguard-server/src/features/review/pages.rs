//! Pages of the pre-broadcast review: the queue, a new submission, one submission with its
//! findings, decisions, checklist and actions, and the printable approval.
//! They call the same services as the API (`review_api`); nothing here touches storage.

use liveguard_core::MasterKind;
use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use liveguard_review::{Action, ChecklistAnswer, DismissReason, FindingDecision, Level};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::service::{self, Content, SubmissionBody};
use crate::AppState;
use crate::http::auth::UiPrincipal;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageLang};
use crate::http::perms::Permission;
use crate::ui::{Lang, error_box, error_page, highlight, page, tr};
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

fn level_label(level: &str) -> &'static str {
    match level {
        "first" => "初审",
        "second" => "复审",
        "final" => "终审",
        _ => "?",
    }
}

/// `GET /reviews`: the queue.
pub(crate) async fn queue(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::ViewReviews) {
        return error_page(lang, Some(&p), e);
    }
    let list = match service::queue(&state, &p).await {
        Ok(items) => items,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let body = html! {
        @if p.can(Permission::Submit) { p { a href="/reviews/new" { (tr(lang, "＋ 新建提交", "+ New submission")) } } }
        table {
            thead { tr { th { "#" } th { (tr(lang, "标题", "Title")) } th { (tr(lang, "状态", "Stage")) } th { (tr(lang, "作者", "Author")) } th { (tr(lang, "版本", "Version")) } th { (tr(lang, "截止", "Due")) } } }
            tbody {
                @for s in &list {
                    @let overdue = s.urgency == Some(Urgency::Overdue);
                    tr class=(if overdue { "overdue" } else { "" }) {
                        td { (s.id) }
                        td { a href=(format!("/reviews/{}", s.id)) { (s.title) } @if s.awaiting_me { " " span.badge.b-review { (tr(lang, "待我审核", "awaiting me")) } } }
                        td { (stage_label(lang, &s.stage)) }
                        td { (s.author) }
                        td { (s.version) }
                        td { (s.due.as_deref().unwrap_or("—")) @if overdue { " " span.badge.b-block { (tr(lang, "已逾期", "overdue")) } } @else if s.urgency == Some(Urgency::DueSoon) { " " span.badge.b-review { (tr(lang, "即将到期", "due soon")) } } }
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

/// `GET /reviews/new`
pub(crate) async fn new_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::Submit) {
        return error_page(lang, Some(&p), e);
    }
    let (products, plans) = match (
        state.store.products().await,
        state.store.masters(MasterKind::Plan).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, Some(&p), e.into()),
    };
    let body = html! {
        form.card method="post" action="/reviews/new" {
            input type="hidden" name="csrf" value=(p.csrf());
            label { (tr(lang, "标题", "Title")) br; input name="title" required maxlength="200" size="40"; }
            label { (tr(lang, "类型", "Kind")) br; select name="kind" { option value="script" { (tr(lang, "直播话术", "script")) } option value="product_copy" { (tr(lang, "商品文案", "product copy")) } } }
            label { (tr(lang, "商品", "Product")) br; select name="product_id" { option value="" { "—" } @for pr in &products { option value=(pr.id) { (pr.name) " (" (pr.category) ")" } } } }
            label { (tr(lang, "直播排期（其商品清单一并核查）", "Session plan (its whole lineup is checked)")) br; select name="plan_id" { option value="" { "—" } @for pl in &plans { option value=(pl.id) { (pl.name) } } } }
            label { (tr(lang, "开播时间（如 2026-12-01T20:00:00+08:00；选择排期时可留空）", "Session start (e.g. 2026-12-01T20:00:00+08:00; may be empty with a plan)")) br; input name="session_start" size="30" placeholder="2026-12-01T20:00:00+08:00"; }
            label { input type="checkbox" name="has_lottery" value="true"; " " (tr(lang, "本场有抽奖", "the session has a lottery")) }
            label { (tr(lang, "内容", "Text")) textarea name="text" required {} }
            input type="submit" value=(tr(lang, "保存并筛查", "Save and screen"));
        }
    };
    page(lang, tr(lang, "新建提交", "New submission"), Some(&p), body).into_response()
}

#[derive(Deserialize)]
pub(crate) struct NewForm {
    title: String,
    kind: String,
    product_id: String,
    #[serde(default)]
    plan_id: String,
    session_start: String,
    has_lottery: Option<String>,
    text: String,
}

/// `POST /reviews/new`
pub(crate) async fn new_submit(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(f): CsrfForm<NewForm>,
) -> Response {
    let id_field = |field: &'static str, v: &str| match v.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field(field, "not a number")),
    };
    let (product_id, plan_id) = match (
        id_field("product_id", &f.product_id),
        id_field("plan_id", &f.plan_id),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, Some(&p), e),
    };
    let body = SubmissionBody {
        title: f.title,
        kind: f.kind,
        product_id,
        plan_id,
        session_start: f.session_start,
        has_lottery: f.has_lottery.is_some(),
        content: Content {
            text: Some(f.text),
            file_base64: None,
            file_name: None,
        },
    };
    match service::create(&state, &p, body).await {
        Ok(id) => Redirect::to(&format!("/reviews/{id}")).into_response(),
        Err(e) => error_page(lang, Some(&p), e),
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
    match service::view(&state, id, None).await {
        Ok(v) => detail_page(lang, &p, &v, None),
        Err(e) => error_page(lang, Some(&p), e),
    }
}

fn detail_page(
    lang: Lang,
    p: &crate::http::auth::Principal,
    v: &Value,
    message: Option<&str>,
) -> Response {
    let findings: Vec<liveguard_screen::Finding> =
        serde_json::from_value(v["findings"].clone()).unwrap_or_default();
    let stage = v["stage"].as_str().unwrap_or("");
    let is_author = v["author"] == p.user.username.as_str();
    let level = match stage {
        "pending_first" => Some(Level::First),
        "pending_second" => Some(Level::Second),
        "pending_final" => Some(Level::Final),
        _ => None,
    };
    let can_review =
        level.is_some_and(|l| liveguard_review::may_review(p.user.role, l)) && !is_author;
    let decisions = &v["review"]["decisions"];
    let body = html! {
        @if let Some(m) = message { (error_box(m)) }
        div.card {
            p {
                (tr(lang, "状态：", "Stage: ")) strong data-testid="stage" { (stage_label(lang, stage)) }
                " · " (tr(lang, "版本 ", "version ")) (v["version"]) " · " (tr(lang, "作者 ", "author ")) (v["author"].as_str().unwrap_or(""))
                " · " (tr(lang, "开播 ", "session ")) (v["session_start"].as_str().unwrap_or(""))
                @if let Some(d) = v["due"].as_str() { " · " (tr(lang, "截止 ", "due ")) (d) }
            }
            @if let Some(r) = v["final_review_reason"].as_str() { p.muted { (tr(lang, "需终审：", "Final review required: ")) (r) } }
            @if let Some(changes) = v["review"]["stage"]["required_changes"].as_str() { p.error { (tr(lang, "退回意见：", "Required changes: ")) (changes) } }
            @if stage == "approved" { p.ok { (tr(lang, "已批准并冻结。内容哈希 ", "Approved and frozen. Content hash ")) code { (v["content_hash"].as_str().unwrap_or("")) } " · " a href=(format!("/reviews/{}/print", v["id"])) { (tr(lang, "打印批准版本", "Print the approved version")) } " · " a href=(format!("/reviews/{}/print.pdf", v["id"])) { "PDF" } } }
            div.text data-testid="highlighted" { (highlight(v["text"].as_str().unwrap_or(""), &findings)) }
        }
        @if v["plan_id"].is_i64() || v["has_lottery"] == true {
            (crate::features::lottery::pages::plan_lotteries(lang, v["lotteries"].as_array().map(Vec::as_slice).unwrap_or(&[]), v["has_lottery"] == true))
        }
        @if let Some(diff) = v.get("diff") {
            div.card {
                h3 { (tr(lang, "与上一版本的差异", "Changes since the previous version")) }
                pre style="white-space:pre-wrap" { @for l in diff["lines"].as_array().into_iter().flatten() {
                    @match l["kind"].as_str() { Some("added") => span style="background:#dafbe1" { "+ " (l["text"].as_str().unwrap_or("")) "\n" }, Some("removed") => span style="background:#ffebe9" { "- " (l["text"].as_str().unwrap_or("")) "\n" }, _ => span { "  " (l["text"].as_str().unwrap_or("")) "\n" } }
                } }
                p.muted { (tr(lang, "已解决的命中：", "Resolved findings: ")) (diff["resolved_findings"].as_array().map(|a| a.len()).unwrap_or(0)) }
            }
        }
        form.card method="post" action=(format!("/reviews/{}/decide", v["id"])) {
            input type="hidden" name="csrf" value=(p.csrf());
            h3 { (tr(lang, "机器命中与人工确认", "Machine findings and decisions")) }
            table {
                thead { tr { th { (tr(lang, "原文", "Text")) } th { (tr(lang, "级别", "Severity")) } th { (tr(lang, "规则 / 法条", "Rule / law")) } th { (tr(lang, "决定", "Decision")) } } }
                tbody {
                    @for (i, f) in findings.iter().enumerate() {
                        @let fid = format!("{}@{}", f.rule, f.span.byte_start);
                        tr {
                            td { (f.matched) }
                            td { span class=(format!("badge b-{}", f.severity)) { (f.severity) } }
                            td { code { (f.rule.as_ref()) } br; small { @for c in f.citations.iter() { (c.to_string()) " " } } br; small.muted { (f.suggestion.as_ref()) } }
                            td {
                                @if let Some(d) = decisions.get(&fid) {
                                    (d[0].as_str().unwrap_or("")) ": " (d[1]["decision"].as_str().unwrap_or("")) " " (d[1]["reason"].as_str().unwrap_or("")) " " (d[1]["comment"].as_str().unwrap_or("")) br;
                                }
                                @if can_review && f.severity != liveguard_core::Severity::Info {
                                    input type="hidden" name=(format!("f{i}")) value=(fid);
                                    select name=(format!("d{i}")) aria-label="decision" {
                                        option value="" { "—" }
                                        option value="confirm" { (tr(lang, "确认（须修改）", "confirm (must change)")) }
                                        @for (code, zh, en) in REASONS { option value=(format!("dismiss:{code}")) { (tr(lang, "排除：", "dismiss: ")) (if lang == Lang::Zh { *zh } else { *en }) } }
                                    }
                                    " " input name=(format!("c{i}")) placeholder=(tr(lang, "依据/说明", "evidence")) size="14";
                                }
                            }
                        }
                    }
                }
            }
            @if can_review { input type="submit" value=(tr(lang, "保存决定", "Save decisions")); }
        }
        @if can_review {
            @if let Some(l) = level {
                form.card method="post" action=(format!("/reviews/{}/approve", v["id"])) {
                    input type="hidden" name="csrf" value=(p.csrf());
                    h3 { (l.label_zh()) " · " (tr(lang, "审核要点清单", "checklist")) }
                    @for item in v["checklist"].as_array().into_iter().flatten() {
                        @let key = item["key"].as_str().unwrap_or("");
                        label { (item["text"].as_str().unwrap_or("")) " "
                            select name=(format!("k:{key}")) { option value="pass" { (tr(lang, "通过", "pass")) } option value="fail" { (tr(lang, "不通过", "fail")) } }
                            " " input name=(format!("m:{key}")) placeholder=(tr(lang, "不通过须说明", "comment if failed")) size="20";
                        }
                    }
                    label { input type="checkbox" name="flag_final" value="true"; " " (tr(lang, "提请终审", "ask for final review")) }
                    input type="submit" value=(tr(lang, "批准", "Approve"));
                }
                form.card method="post" action=(format!("/reviews/{}/reject", v["id"])) {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label { (tr(lang, "退回并要求修改：", "Reject with required changes:")) br; textarea name="required_changes" style="min-height:4rem" required {} }
                    input type="submit" value=(tr(lang, "退回", "Reject"));
                }
            }
        }
        @if is_author {
            @if stage == "draft" || stage == "rejected" {
                form.card method="post" action=(format!("/reviews/{}/submit", v["id"])) {
                    input type="hidden" name="csrf" value=(p.csrf());
                    input type="submit" value=(tr(lang, "提交审核", "Submit for review"));
                }
            }
            form.card method="post" action=(format!("/reviews/{}/edit", v["id"])) {
                input type="hidden" name="csrf" value=(p.csrf());
                label { (tr(lang, "修改内容（保存为新版本；已批准的版本将失效）", "Edit (saves a new version; an approval is voided)")) textarea name="text" required { (v["text"].as_str().unwrap_or("")) } }
                input type="submit" value=(tr(lang, "保存新版本", "Save new version"));
            }
        }
    };
    page(lang, v["title"].as_str().unwrap_or("—"), Some(p), body).into_response()
}

async fn after_action(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lang: Lang,
    id: i64,
    result: Result<Value, ApiError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/reviews/{id}")).into_response(),
        Err(ApiError::Forbidden) => error_page(lang, Some(p), ApiError::Forbidden),
        Err(e) => match service::view(state, id, None).await {
            Ok(v) => {
                let mut resp = detail_page(lang, p, &v, Some(&e.to_string()));
                *resp.status_mut() = e.parts().0;
                resp
            }
            Err(e2) => error_page(lang, Some(p), e2),
        },
    }
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
        "decide" => {
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
                            return error_page(
                                lang,
                                Some(&p),
                                ApiError::field("decision", format!("unknown decision `{other}`")),
                            );
                        }
                    },
                };
                decisions.insert(fid.clone(), decision);
            }
            Action::Decide(decisions)
        }
        "approve" => {
            let mut checklist = BTreeMap::new();
            for (name, value) in fields.iter().filter(|(n, _)| n.starts_with("k:")) {
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
            let result = service::edit(&state, &p, id, content)
                .await
                .map(|()| Value::Null);
            return after_action(&state, &p, lang, id, result).await;
        }
        _ => return error_page(lang, Some(&p), ApiError::NotFound),
    };
    let result = service::act(&state, &p, id, action, None).await;
    after_action(&state, &p, lang, id, result).await
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
    if v["stage"] != "approved" {
        return Err(ApiError::Workflow(
            "only an approved version can be printed".into(),
        ));
    }
    let body: Markup = html! {
        div.card {
            p { (tr(lang, "标题：", "Title: ")) (v["title"].as_str().unwrap_or("")) " · " (tr(lang, "版本 ", "version ")) (v["version"]) " · " (tr(lang, "开播 ", "session ")) (v["session_start"].as_str().unwrap_or("")) }
            p { (tr(lang, "内容哈希（SHA-256）：", "Content hash (SHA-256): ")) code data-testid="print-hash" { (v["content_hash"].as_str().unwrap_or("")) } }
            div.text { (v["text"].as_str().unwrap_or("")) }
        }
        div.card {
            h3 { (tr(lang, "审批链", "Approval chain")) }
            table {
                thead { tr { th { (tr(lang, "级别", "Level")) } th { (tr(lang, "审核人", "Reviewer")) } th { (tr(lang, "角色", "Role")) } th { (tr(lang, "审核要点", "Checklist")) } } }
                tbody { @for s in v["review"]["signatures"].as_array().into_iter().flatten() {
                    tr { td { (level_label(s["level"].as_str().unwrap_or(""))) } td { (s["reviewer"].as_str().unwrap_or("")) } td { (s["role"].as_str().unwrap_or("")) }
                        td { @for (k, a) in s["checklist"].as_object().into_iter().flatten() { (k) ": " (if a["pass"] == true { "✓" } else { "✗" }) " " } } }
                } }
            }
            h3 { (tr(lang, "机器命中的处理", "Decisions on machine findings")) }
            ul { @for (fid, d) in v["review"]["decisions"].as_object().into_iter().flatten() {
                li { code { (fid) } " — " (d[0].as_str().unwrap_or("")) " " (d[1]["decision"].as_str().unwrap_or("")) " " (d[1]["reason"].as_str().unwrap_or("")) " " (d[1]["comment"].as_str().unwrap_or("")) }
            } }
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
    let load = |kind: MasterKind| {
        let state = state.clone();
        async move {
            let rows = state.store.masters(kind).await?;
            Ok::<_, ApiError>(
                rows.into_iter()
                    .map(|r| {
                        (
                            r.id,
                            r.name,
                            serde_json::from_str::<Value>(&r.data).unwrap_or(Value::Null),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
        }
    };
    let (rooms, streamers, plans, products) = match (
        load(MasterKind::Room).await,
        load(MasterKind::Streamer).await,
        load(MasterKind::Plan).await,
        state.store.products().await.map_err(ApiError::from),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a, b, c, d),
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
            return error_page(lang, Some(&p), e);
        }
    };
    let mut plan_lotteries = std::collections::HashMap::new();
    for (id, _, _) in &plans {
        match crate::features::lottery::service::plan_lotteries(&state, *id).await {
            Ok(l) => plan_lotteries.insert(*id, l),
            Err(e) => return error_page(lang, Some(&p), e),
        };
    }
    let name_of = |list: &[(i64, String, Value)], id: &Value| {
        list.iter()
            .find(|(i, ..)| Some(*i) == id.as_i64())
            .map(|(_, n, _)| n.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let product_name = |id: &Value| {
        products
            .iter()
            .find(|pr| Some(pr.id) == id.as_i64())
            .map(|pr| format!("{} ({})", pr.name, pr.category))
            .unwrap_or_else(|| format!("#{id}"))
    };
    let body = html! {
        div.card {
            h3 { (tr(lang, "直播排期", "Session plans")) }
            @if plans.is_empty() { p.muted { (tr(lang, "暂无排期。通过 API POST /api/v1/plans 添加。", "No plans yet. Add them with POST /api/v1/plans.")) } }
            @for (id, name, plan) in &plans {
                h4 data-testid="plan" { "#" (id) " " (name) " · " (plan["starts_at"].as_str().unwrap_or("")) @if plan["has_lottery"] == true { " " span.badge.b-review { (tr(lang, "有抽奖", "lottery")) } } }
                p.muted { (tr(lang, "直播间：", "Room: ")) (name_of(&rooms, &plan["room_id"])) " · " (tr(lang, "主播：", "Streamers: "))
                    (plan["streamer_ids"].as_array().into_iter().flatten().map(|s| name_of(&streamers, s)).collect::<Vec<_>>().join("、")) }
                table { thead { tr { th { (tr(lang, "商品", "Product")) } th { (tr(lang, "直播价", "Live price")) } th { (tr(lang, "优惠", "Promotion")) } } }
                    tbody { @for item in plan["lineup"].as_array().into_iter().flatten() { tr {
                        td { (product_name(&item["product_id"])) }
                        td { "¥" (format!("{:.2}", item["price_fen"].as_i64().unwrap_or(0) as f64 / 100.0)) }
                        td { (item["promotion"].as_str().unwrap_or("—")) }
                    } } } }
                @let lotteries = plan_lotteries.get(id).map(Vec::as_slice).unwrap_or(&[]);
                @if !lotteries.is_empty() || plan["has_lottery"] == true {
                    (crate::features::lottery::pages::plan_lotteries(lang, lotteries, plan["has_lottery"] == true))
                }
            }
        }
        div.card {
            h3 { (tr(lang, "直播间", "Live rooms")) }
            table { thead { tr { th { "#" } th { (tr(lang, "平台", "Platform")) } th { (tr(lang, "账号", "Account")) } th { (tr(lang, "运营主体", "Operator")) } } }
                tbody { @for (id, _, r) in &rooms { tr { td { (id) } td { (r["platform"].as_str().unwrap_or("")) } td { (r["account"].as_str().unwrap_or("")) } td { (r["operator"].as_str().unwrap_or("")) } } } } }
        }
        div.card {
            h3 { (tr(lang, "主播", "Streamers")) }
            table { thead { tr { th { "#" } th { (tr(lang, "姓名", "Name")) } th { (tr(lang, "机构", "Agency")) } } }
                tbody { @for (id, _, r) in &streamers { tr { td { (id) } td { (r["name"].as_str().unwrap_or("")) } td { (r["agency"].as_str().unwrap_or("—")) } } } } }
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
    let items = match service::notifications_for(&state, &p).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let body = html! {
        @if items.is_empty() { p.muted data-testid="no-notifications" { (tr(lang, "暂无与您相关的审核动态。", "Nothing about your reviews yet.")) } }
        @else {
            table data-testid="notifications" {
                thead { tr { th { (tr(lang, "时间", "Time")) } th { (tr(lang, "动态", "What happened")) } th { (tr(lang, "操作人", "By")) } } }
                tbody { @for n in &items { tr {
                    td { (n["time"].as_str().unwrap_or("")) }
                    td { a href=(match n["session_id"].as_i64() { Some(s) => format!("/live/{s}#alerts"), None => format!("/reviews/{}", n["submission_id"]) }) data-testid=(if n["session_id"].is_i64() { "escalation" } else { "review-notice" }) { (n[if lang == Lang::En { "text_en" } else { "text_zh" }].as_str().unwrap_or("")) } }
                    td { (n["actor"].as_str().unwrap_or("")) }
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
