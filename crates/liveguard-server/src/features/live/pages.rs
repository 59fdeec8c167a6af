//! Pages of live monitoring: the session list, the duty officer's console (transcript,
//! screen text, comments and alerts on one page, updated by server-sent events), and the
//! post-session report. They call the same functions as the API (`live_api`).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use liveguard_core::{AlertState, MasterKind, SessionState, TaskState};
use liveguard_live::Processed;
use maud::{Markup, html};

use super::service::{self, AlertActionBody, ModerationBody, NewSessionBody};
use crate::AppState;
use crate::http::auth::{Principal, UiPrincipal};
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageLang};
use crate::http::perms::Permission;
use crate::ui::labels::{duration_ms, event_kind};
use crate::ui::{
    Label, Lang, bar_chart, error_page, form_field, highlight, page, stat_tile, tr, when,
};

/// The console script (served from `/static/live.js`; the CSP allows only same-origin scripts).
pub(crate) const LIVE_JS: &str = include_str!("../../ui/live.js");

/// `GET /static/live.js` (for signed-in users: everything but health and login needs a
/// session).
pub(crate) async fn live_js(UiPrincipal(_p): UiPrincipal) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        LIVE_JS,
    )
        .into_response()
}

fn state_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "planned" => tr(lang, "未开播", "planned"),
        "live" => tr(lang, "直播中", "live"),
        "ended" => tr(lang, "已结束", "ended"),
        "open" => tr(lang, "待处理", "open"),
        "acknowledged" => tr(lang, "已确认", "acknowledged"),
        "escalated" => tr(lang, "已升级", "escalated"),
        "resolved" => tr(lang, "已解决", "resolved"),
        _ => "?",
    }
}

fn kind_label(lang: Lang, k: &str) -> &'static str {
    match k {
        "transcript" => tr(lang, "口播", "speech"),
        "screen_text" => tr(lang, "画面", "screen"),
        "comment" => tr(lang, "评论", "comment"),
        "product_card" => tr(lang, "商品卡", "card"),
        "price" => tr(lang, "价格", "price"),
        "lottery" => tr(lang, "抽奖", "lottery"),
        _ => "?",
    }
}

fn fmt_ms(ms: i64) -> String {
    liveguard_store::Stamp::from_ms(ms).beijing_clock()
}

fn csrf(p: &Principal) -> Markup {
    html! { input type="hidden" name="csrf" value=(p.csrf()); }
}

/// `GET /live`
pub(crate) async fn list(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    list_view(&state, &p, lang, None).await
}

async fn list_view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    error: Option<ApiError>,
) -> Response {
    if let Err(e) = p.require(Permission::ViewLive) {
        return error_page(lang, Some(p), e);
    }
    let (sessions, plans, users) = match (
        state.store.live_sessions().await,
        state.store.masters(MasterKind::Plan).await,
        state.store.users().await,
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return error_page(lang, Some(p), e.into()),
    };
    let user_name = |id: i64| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    };
    let body = html! {
        @if let Some(e) = &error { (crate::ui::error_box(&crate::ui::error_text(lang, e))) }
        @if p.can(Permission::OperateLive) {
            div.card {
                h3 { (tr(lang, "新建直播场次", "New live session")) }
                form method="post" action="/live" {
                    (csrf(p))
                    label { (tr(lang, "直播排期", "Session plan")) " "
                        select name="plan_id" required { @for pl in &plans { option value=(pl.id) { "#" (pl.id) " " (pl.name) } } } }
                    label { (tr(lang, "场控（值班）", "Duty officer")) " "
                        select name="duty_officer" required { @for u in users.iter().filter(|u| !u.disabled && service::DUTY_ROLES.contains(&u.role)) { option value=(u.username) selected[u.id == p.user.id] { (u.display_name) "（" (u.role.label(lang)) "）" } } } }
                    label { (tr(lang, "标题（可选）", "Title (optional)")) " " input name="title" maxlength="200"; }
                    input type="submit" value=(tr(lang, "创建", "Create"));
                }
                p.muted { (tr(lang, "场次沿用排期的商品、价格，以及该排期最新一版已批准（冻结）的话术。", "A session takes the plan's lineup and prices, and the newest approved (frozen) script submitted for the plan.")) }
            }
        }
        table {
            thead { tr { th { "#" } th { (tr(lang, "场次", "Session")) } th { (tr(lang, "状态", "State")) } th { (tr(lang, "场控", "Duty officer")) } th { (tr(lang, "开播", "Started")) } th { (tr(lang, "报告", "Report")) } } }
            tbody {
                @for s in &sessions {
                    tr data-testid="live-session" {
                        td { (s.id) }
                        td { a href=(format!("/live/{}", s.id)) { (s.title) } }
                        td { span class=(format!("badge {}", if s.state == SessionState::Live { "b-block" } else { "b-info" })) { (state_label(lang, s.state.as_str())) } }
                        td { (user_name(s.duty_officer_id)) }
                        td { @if let Some(t) = s.started_at { (when(lang, t)) } @else { "—" } }
                        td { a href=(format!("/live/{}/report", s.id)) { (tr(lang, "报告", "report")) } }
                    }
                }
            }
        }
    };
    page(lang, tr(lang, "直播监控", "Live monitoring"), Some(p), body).into_response()
}

/// `POST /live`
pub(crate) async fn create(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let Some(plan_id) = form_field(&fields, "plan_id").and_then(|v| v.parse::<i64>().ok()) else {
        return list_view(
            &state,
            &p,
            lang,
            Some(ApiError::invalid(
                "plan_id",
                "请选择直播排期",
                "choose a plan",
            )),
        )
        .await;
    };
    let body = NewSessionBody {
        plan_id,
        duty_officer: form_field(&fields, "duty_officer")
            .unwrap_or("")
            .to_string(),
        title: form_field(&fields, "title")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
    };
    match service::create_session(&state, &p, body).await {
        Ok(row) => Redirect::to(&format!("/live/{}", row.id)).into_response(),
        Err(e) => list_view(&state, &p, lang, Some(e)).await,
    }
}

/// `POST /live/{id}/{verb}`: start, end.
pub(crate) async fn session_action(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((id, verb)): Path<(i64, String)>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let to = match verb.as_str() {
        "start" => SessionState::Live,
        "end" => SessionState::Ended,
        "acknowledge-all" => {
            return match service::acknowledge_all(&state, &p, id).await {
                Ok(_) => Redirect::to(&format!("/live/{id}#alerts")).into_response(),
                Err(e) => error_page(lang, Some(&p), e),
            };
        }
        _ => return error_page(lang, Some(&p), ApiError::NotFound),
    };
    // Ending with alerts or follow-ups still open asks first and says what follows.
    if to == SessionState::Ended && form_field(&fields, "confirm") != Some("yes") {
        let stats = match state.store.live_stats(id).await {
            Ok(s) => s,
            Err(e) => return error_page(lang, Some(&p), e.into()),
        };
        let open_alerts: i64 = stats
            .alerts_by_state
            .iter()
            .filter(|(k, _)| k != "resolved")
            .map(|(_, n)| n)
            .sum();
        if open_alerts > 0 || stats.open_tasks > 0 {
            let body = html! {
                div.card data-testid="end-confirm" {
                    p { (tr(lang, "本场还有未处理的事项：", "This session still has open items: ")) }
                    ul {
                        @if open_alerts > 0 { li { (open_alerts) (tr(lang, " 条告警未处理完成。结束后它们保留在场次报告中，不再升级给合规组长。", " alerts not resolved. They stay in the session report and are no longer escalated to the compliance lead.")) } }
                        @if stats.open_tasks > 0 { li { (stats.open_tasks) (tr(lang, " 项承诺跟进未完成。结束后仍须在控制台的“承诺跟进”中逐项完成。", " promise follow-ups open. They must still be closed one by one on the console.")) } }
                    }
                    p { (tr(lang, "结束后不再接收本场的事件，记录按保存期限保留。", "After the end no more events are taken for this session; its records are kept for the retention period.")) }
                    form.inline method="post" action=(format!("/live/{id}/end")) {
                        (csrf(&p)) input type="hidden" name="confirm" value="yes";
                        input.danger type="submit" value=(tr(lang, "仍然结束直播", "End the session anyway"));
                    }
                    " " a href=(format!("/live/{id}")) { (tr(lang, "返回控制台", "Back to the console")) }
                }
            };
            return page(
                lang,
                tr(lang, "确认结束直播", "End the session?"),
                Some(&p),
                body,
            )
            .into_response();
        }
    }
    match service::set_state(&state, &p, id, to).await {
        Ok(_) => Redirect::to(&format!("/live/{id}")).into_response(),
        Err(e) => error_page(lang, Some(&p), e),
    }
}

/// `POST /live/alerts/{id}/{verb}`: acknowledge, resolve.
pub(crate) async fn alert_action(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((id, verb)): Path<(i64, String)>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let body = AlertActionBody {
        action: verb,
        reason: form_field(&fields, "reason").map(str::to_string),
        incident: form_field(&fields, "incident") == Some("on"),
    };
    match service::alert_action(&state, &p, id, body).await {
        Ok(row) => Redirect::to(&format!("/live/{}#alerts", row.session_id)).into_response(),
        Err(e) => error_page(lang, Some(&p), e),
    }
}

/// `POST /live/events/{id}/moderate`
pub(crate) async fn moderate(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let body = ModerationBody {
        action: form_field(&fields, "action").unwrap_or("").to_string(),
        reason: form_field(&fields, "reason").unwrap_or("").to_string(),
    };
    let session = match state.store.live_event(id).await {
        Ok(e) => e.session_id,
        Err(e) => return error_page(lang, Some(&p), e.into()),
    };
    match service::moderate(&state, &p, id, body).await {
        Ok(_) => Redirect::to(&format!("/live/{session}#comments")).into_response(),
        Err(e) => error_page(lang, Some(&p), e),
    }
}

/// `POST /live/tasks/{id}/close`
pub(crate) async fn close_task(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let back = form_field(&fields, "session")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    match service::close(&state, &p, id, form_field(&fields, "note").unwrap_or("")).await {
        Ok(()) => Redirect::to(&format!("/live/{back}#tasks")).into_response(),
        Err(e) => error_page(lang, Some(&p), e),
    }
}

/// A moderation advice (`hide`, `mute`, `reply`, `keep`) in words.
fn moderation_label(lang: Lang, action: &str) -> &'static str {
    match action {
        "hide" => tr(lang, "隐藏评论", "hide the comment"),
        "mute" => tr(lang, "禁言观众", "mute the viewer"),
        "reply" => tr(lang, "回复澄清", "reply"),
        "keep" => tr(lang, "保留", "keep"),
        _ => tr(lang, "人工判断", "decide"),
    }
}

/// The labels the console script shows for the codes it receives.
fn console_labels(lang: Lang) -> String {
    use liveguard_core::{AlertState, Category, Severity};
    let map = |pairs: Vec<(&str, &str)>| {
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
            .collect::<serde_json::Map<_, _>>()
    };
    serde_json::json!({
        "severity": map(Severity::ALL.iter().map(|s| (s.as_str(), s.label(lang))).collect()),
        "category": map(Category::ALL.iter().map(|c| (c.as_str(), c.label(lang))).collect()),
        "state": map(AlertState::ALL.iter().map(|s| (s.as_str(), s.label(lang))).collect()),
        "moderation": map(["hide", "mute", "reply", "keep"].iter().map(|a| (*a, moderation_label(lang, a))).collect()),
        "kind": map(liveguard_live::EventKind::ALL.iter().map(|k| (k.as_str(), crate::ui::labels::event_kind(lang, k.as_str()).unwrap_or(""))).collect()),
    })
    .to_string()
}

fn event_row(lang: Lang, p: &Principal, id: i64, e: &Processed) -> Markup {
    html! {
        tr data-testid=(if e.kind == liveguard_live::EventKind::Comment { "comment" } else { "timeline-event" }) {
            td { (fmt_ms(e.at_ms)) }
            td { (kind_label(lang, e.kind.as_str())) @if let Some(s) = &e.speaker { " · " (s) } @if let Some(n) = &e.nickname { " · " (n) } @if e.source == Some(liveguard_live::TextSource::Frame) { " " span.badge.b-info data-testid="frame-origin" title=(tr(lang, "文字由画面截图识别（OCR 与二维码解码）", "Text read from a snapshot of the stream (OCR and code decoding)")) { (tr(lang, "画面识别", "from frame")) } } }
            td {
                @if let Some(t) = &e.text { (highlight(t, &e.findings)) }
                @if let Some(pid) = e.product_id { @if e.kind != liveguard_live::EventKind::Comment { " " span.muted { (tr(lang, "商品 #", "product #")) (pid) } } }
                @if e.kind == liveguard_live::EventKind::Comment && p.can(Permission::WorkCases) { " " a href=(format!("/desk/new?comment_event_id={id}")) data-testid="comment-to-case" { (tr(lang, "登记为投诉", "open a case")) } }
                @if let Some(pr) = e.price_fen { " " span.muted { "¥" (pr / 100) "." (format!("{:02}", pr % 100)) } }
                @for f in e.findings.iter().filter(|f| f.severity >= liveguard_core::Severity::Review) {
                    br; span class=(format!("badge b-{}", f.severity)) { (f.severity.label(lang)) } " " span title=(f.rule) { (f.category.label(lang)) } " " span.muted { (f.citations.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("；")) }
                    @if let Some(m) = &f.model { " " span.badge.b-info data-testid="model-finding" title=(m.version) { (tr(lang, "模型第二意见", "model opinion")) " " (format!("{:.2}", m.score.value())) } }
                }
                @if let Some(m) = &e.moderation {
                    br; span.badge.b-info { (tr(lang, "建议：", "advice: ")) (moderation_label(lang, &format!("{:?}", m.action).to_lowercase())) } " " span.muted { (m.reasons.join("，")) }
                    @if p.can(Permission::OperateLive) {
                        form.inline method="post" action=(format!("/live/events/{id}/moderate")) {
                            (csrf(p))
                            select name="action" { @if !m.negative_feedback { option value="hide" { (tr(lang, "隐藏", "hide")) } option value="mute" { (tr(lang, "禁言", "mute")) } } option value="reply" { (tr(lang, "回复", "reply")) } option value="keep" { (tr(lang, "保留", "keep")) } }
                            " " input name="reason" required maxlength="500" placeholder=(tr(lang, "理由/回复内容", "reason / reply"));
                            " " button type="submit" { (tr(lang, "记录", "Record")) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /live/{id}`: the console.
pub(crate) async fn console(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::ViewLive) {
        return error_page(lang, Some(&p), e);
    }
    let loaded = async {
        let row = state.store.live_session(id).await?;
        let stats = state.store.live_stats(id).await?;
        let alerts = state.store.live_alerts(id, None, 100).await?;
        let timeline = state
            .store
            .live_recent_events(
                id,
                &[
                    "transcript",
                    "screen_text",
                    "product_card",
                    "price",
                    "lottery",
                ],
                50,
            )
            .await?;
        let comments = state.store.live_recent_events(id, &["comment"], 50).await?;
        let tasks = state.store.live_tasks(id).await?;
        let officer = state.store.user(row.duty_officer_id).await?;
        let products = state.store.products().await?;
        Ok::<_, ApiError>((
            row, stats, alerts, timeline, comments, tasks, officer, products,
        ))
    };
    let (row, stats, alerts, timeline, comments, tasks, officer, products) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let snap: liveguard_pipeline::SessionSnapshot =
        serde_json::from_str(&row.data).unwrap_or_default();
    // The frozen script, beside the stream, to compare what is said with what was approved.
    let script_text = match &snap.script {
        Some(sc) => state
            .store
            .submission_version(sc.submission_id, sc.version)
            .await
            .ok()
            .map(|v| v.text),
        None => None,
    };
    let operate = p.can(Permission::OperateLive);
    let parse = |b: &str| serde_json::from_str::<Processed>(b).ok();
    let open = stats
        .alerts_by_state
        .iter()
        .filter(|(k, _)| k != "resolved")
        .map(|(_, n)| n)
        .sum::<i64>();
    // Open alerts with the same severity and text are one row (the newest) with their count.
    let mut grouped: Vec<(&liveguard_store::LiveAlertRow, usize)> = Vec::new();
    for a in &alerts {
        if a.state != AlertState::Resolved
            && let Some(g) = grouped.iter_mut().find(|(b, _)| {
                b.state != AlertState::Resolved
                    && b.severity == a.severity
                    && b.summary == a.summary
            })
        {
            g.1 += 1;
            continue;
        }
        grouped.push((a, 1));
    }
    let body = html! {
        div.card #console data-session=(id) data-csrf=(p.csrf()) data-operate=(operate) data-lang=(if lang == Lang::Zh { "zh" } else { "en" }) data-labels=(console_labels(lang)) {
            p {
                span #session-state class=(format!("badge {}", if row.state == SessionState::Live { "b-block" } else { "b-info" })) { (state_label(lang, row.state.as_str())) }
                " " (tr(lang, "场控：", "Duty officer: ")) (officer.display_name)
                " · " (tr(lang, "计划开播：", "Planned start: ")) (snap.starts_at.as_deref().map(|t| liveguard_store::Stamp::parse(t).map(|t| when(lang, t)).unwrap_or_else(|_| t.to_string())).unwrap_or_else(|| "—".into()))
                " · " a href=(format!("/live/{id}/report")) { (tr(lang, "场次报告", "Session report")) }
            }
            @match &snap.script {
                Some(sc) => p.ok { (tr(lang, "已批准话术：", "Approved script: ")) a href=(format!("/reviews/{}", sc.submission_id)) { "#" (sc.submission_id) " v" (sc.version) } " · " code { (sc.content_hash.get(..16).unwrap_or("")) } },
                None => p.error { (tr(lang, "此排期没有已批准的话术：不检测话术偏离（价格、违规词仍会检测）。", "This plan has no approved script: drift from the script is not checked (prices and rules still are).")) },
            }
            table { thead { tr { th { (tr(lang, "排期商品", "Lineup")) } th { (tr(lang, "直播价", "Live price")) } th { (tr(lang, "品类", "Category")) } } }
                tbody { @for l in &snap.lineup { tr {
                    td { "#" (l.product_id) " " (products.iter().find(|pr| pr.id == l.product_id).map(|pr| pr.name.as_str()).unwrap_or("")) }
                    td { "¥" (format!("{:.2}", l.price_fen as f64 / 100.0)) }
                    td { (l.category.label(lang)) }
                } } } }
            p #stats.muted { (tr(lang, "已入库事件 ", "Events stored ")) span #stat-events { (stats.events()) } " · " (tr(lang, "未解决告警 ", "Unresolved alerts ")) span #stat-open { (open) } " · " (tr(lang, "评论观众 ", "Commenting viewers ")) span #stat-viewers { (stats.viewers) } " · " (tr(lang, "待跟进承诺 ", "Open follow-ups ")) span #stat-tasks { (stats.open_tasks) } " · " small #stats-at { (tr(lang, "计数每 5 秒与数据库核对", "counts are checked against the database every 5 s")) } }
            @if operate {
                @if row.state == SessionState::Planned { form.inline method="post" action=(format!("/live/{id}/start")) { (csrf(&p)) input type="submit" value=(tr(lang, "开播", "Start session")); } }
                @if row.state == SessionState::Live { form.inline method="post" action=(format!("/live/{id}/end")) { (csrf(&p)) input type="submit" value=(tr(lang, "结束直播", "End session")); } }
                @if open > 0 { " " form.inline method="post" action=(format!("/live/{id}/acknowledge-all")) { (csrf(&p)) input type="submit" data-testid="acknowledge-all" value=(format!("{}{open}{}", tr(lang, "全部确认（", "Acknowledge all ("), tr(lang, " 条）", ")"))); } }
            }
            p #live-status.muted { (tr(lang, "实时连接中…", "Connecting…")) }
        }
        div.card #alerts {
            h3 { (tr(lang, "告警", "Alerts")) }
            p {
                label.inline { (tr(lang, "只看：", "Show: ")) select #alert-filter {
                    option value="" { (tr(lang, "全部", "all")) }
                    option value="block" { (liveguard_core::Severity::Block.label(lang)) }
                    option value="review" { (liveguard_core::Severity::Review.label(lang)) }
                } }
                " " button #alert-sound type="button" { (tr(lang, "开启拦截提示音", "Sound on for block alerts")) }
                " " small.muted { (tr(lang, "同类未处理告警合并为一行，并显示条数。", "Open alerts with the same text are one row with their count.")) }
            }
            div.scroll { table { thead { tr { th { (tr(lang, "时间", "Time")) } th { (tr(lang, "级别", "Severity")) } th { (tr(lang, "内容", "What")) } th { (tr(lang, "状态", "State")) } th { (tr(lang, "处理", "Action")) } } }
                tbody #alert-rows {
                    @for (a, count) in &grouped {
                        tr data-testid="alert" data-alert=(a.id) data-severity=(a.severity.as_str()) data-summary=(a.summary) data-open=(a.state != AlertState::Resolved) {
                            td { (a.created_ms.beijing_clock()) }
                            td { span class=(format!("badge b-{}", a.severity)) { (a.severity.label(lang)) } }
                            td { a href=(format!("/live/{id}/events/{}", a.event_id)) data-testid="alert-event" title=(tr(lang, "查看原始事件及前后内容", "See the event and what came before and after")) { (a.summary) } @if *count > 1 { " " span.badge.b-block.count data-count=(count) data-testid="alert-count" { "×" (count) } } }
                            td.alert-state { (state_label(lang, a.state.as_str())) @if let Some(r) = &a.resolution { " · " (r) } }
                            td { @if operate && a.state != AlertState::Resolved {
                                @if a.state != AlertState::Acknowledged { form.inline method="post" action=(format!("/live/alerts/{}/acknowledge", a.id)) { (csrf(&p)) button type="submit" { (tr(lang, "确认", "Acknowledge")) } } " " }
                                form.inline method="post" action=(format!("/live/alerts/{}/resolve", a.id)) { (csrf(&p)) input name="reason" required maxlength="500" placeholder=(tr(lang, "处理说明", "what was done")); " " label.inline { input type="checkbox" name="incident"; (tr(lang, "立案", "incident")) } " " button type="submit" { (tr(lang, "解决", "Resolve")) } }
                            } }
                        }
                    }
                }
            } }
        }
        @if let Some(text) = &script_text {
            details.card #script data-testid="approved-script" open {
                summary { strong { (tr(lang, "已批准话术（冻结版本，对照口播）", "The approved script (frozen; compare with what is said)")) } }
                div style="max-height:12rem;overflow:auto" { pre.text style="white-space:pre-wrap;margin:0" { (text) } }
            }
        }
        div.live-grid {
            div.card #timeline {
                h3 { (tr(lang, "口播、画面与商品卡", "Speech, screen and product card")) }
                div.scroll { table { tbody #timeline-rows { @for e in &timeline { @if let Some(pe) = parse(&e.body) { (event_row(lang, &p, e.id, &pe)) } } } } }
            }
            div.card #comments {
                h3 { (tr(lang, "评论", "Comments")) }
                p.muted { (tr(lang, "个人信息在入库前已打码；观众以密钥摘要代替平台 ID。负面商品评价不得隐藏。", "Personal information is masked before storage; viewers are keyed digests, not platform ids. Negative product feedback may not be hidden.")) }
                div.scroll { table { tbody #comment-rows { @for e in &comments { @if let Some(pe) = parse(&e.body) { (event_row(lang, &p, e.id, &pe)) } } } } }
            }
        }
        div.card #tasks {
            h3 { (tr(lang, "承诺跟进", "Promise follow-ups")) }
            table { tbody #task-rows { (task_rows(lang, &p, id, &tasks)) } }
        }
        script src="/static/live.js" {}
    };
    page(lang, &row.title, Some(&p), body).into_response()
}

/// The follow-up rows of session `id`, each open one with its close form for those who
/// may close it.
fn task_rows(lang: Lang, p: &Principal, id: i64, tasks: &[liveguard_store::LiveTaskRow]) -> Markup {
    html! {
        @for t in tasks { tr data-testid="task" data-task=(t.id) {
            td { (t.created_ms.beijing_clock()) } td { (t.said) } td { @if let Some(pid) = t.product_id { "#" (pid) } }
            td { (if t.state == TaskState::Open { tr(lang, "待跟进", "open") } else { tr(lang, "已完成", "done") }) @if let Some(n) = &t.note { " · " (n) } }
            td { @if t.state == TaskState::Open && p.can(Permission::FollowUp) {
                form.inline method="post" action=(format!("/live/tasks/{}/close", t.id)) { (csrf(p)) input type="hidden" name="session" value=(id); input name="note" required maxlength="500" placeholder=(tr(lang, "如何兑现", "how it was honoured")); " " button type="submit" { (tr(lang, "完成", "Close")) } }
            } }
        } }
    }
}

/// Events shown before and after the one an alert came from.
const EVENT_CONTEXT: i64 = 5;

/// `GET /live/{id}/events/{event_id}`: the event an alert came from, with its findings and
/// citations, the alerts it raised, and what was said just before and after.
pub(crate) async fn event_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((id, event_id)): Path<(i64, i64)>,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::ViewLive) {
        return error_page(lang, Some(&p), e);
    }
    let loaded = async {
        let event = state.store.live_event(event_id).await?;
        if event.session_id != id {
            return Err(ApiError::NotFound);
        }
        let session = state.store.live_session(id).await?;
        let around = state
            .store
            .live_events(
                id,
                (event_id - EVENT_CONTEXT - 1).max(0),
                2 * EVENT_CONTEXT + 1,
            )
            .await?;
        let alerts = state.store.live_alerts_of_event(event_id).await?;
        Ok::<_, ApiError>((event, session, around, alerts))
    };
    let (event, session, around, alerts) = match loaded.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let parse = |b: &str| serde_json::from_str::<Processed>(b).ok();
    let Some(pe) = parse(&event.body) else {
        return error_page(
            lang,
            Some(&p),
            ApiError::Internal(format!("live event {event_id} is unreadable")),
        );
    };
    let body = html! {
        p { a href=(format!("/live/{id}#alerts")) { (tr(lang, "← 返回控制台：", "← Back to the console: ")) (session.title) } }
        div.card data-testid="event" {
            h3 { (kind_label(lang, pe.kind.as_str())) " · " (fmt_ms(pe.at_ms)) }
            p.verdict { @if let Some(t) = &pe.text { (highlight(t, &pe.findings)) } @if let Some(n) = &pe.nickname { " " span.muted { "— " (n) } } }
            @for f in pe.findings.iter().filter(|f| f.severity >= liveguard_core::Severity::Review) {
                p { span class=(format!("badge b-{}", f.severity)) { (f.severity.label(lang)) } " " strong { (f.category.label(lang)) } "：“" (f.matched) "” " span.muted { (f.citations.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("；")) } }
            }
            (crate::ui::citation_legend(lang))
            @if !alerts.is_empty() {
                p { (tr(lang, "由此产生的告警：", "Alerts it raised: "))
                    @for a in &alerts { span class=(format!("badge b-{}", a.severity)) { (a.severity.label(lang)) } " " (state_label(lang, a.state.as_str())) @if let Some(r) = &a.resolution { " · " (r) } " " }
                }
            }
        }
        div.card {
            h3 { (tr(lang, "前后内容", "Before and after")) }
            table { tbody {
                @for e in &around { @if let Some(x) = parse(&e.body) {
                    @if e.id == event_id { (html! { tr.overdue { td colspan="3" { strong { (tr(lang, "▼ 告警来源", "▼ the alert's event")) } } } }) }
                    (event_row(lang, &p, e.id, &x))
                } }
            } }
        }
    };
    page(
        lang,
        tr(lang, "告警来源事件", "The alert's event"),
        Some(&p),
        body,
    )
    .into_response()
}

/// `GET /live/{id}/tasks`: the follow-up rows alone, for the console to refresh in place
/// when a promise is said or closed elsewhere.
pub(crate) async fn task_rows_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    if let Err(e) = p.require(Permission::ViewLive) {
        return error_page(lang, Some(&p), e);
    }
    match state.store.live_tasks(id).await {
        Ok(tasks) => (
            [(axum::http::header::CACHE_CONTROL, "no-store")],
            axum::response::Html(task_rows(lang, &p, id, &tasks).into_string()),
        )
            .into_response(),
        Err(e) => error_page(lang, Some(&p), e.into()),
    }
}

/// `GET /live/{id}/report`
pub(crate) async fn report_page(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    match report_html(&state, &p, id, lang).await {
        Ok(html) => html.into_response(),
        Err(e) => error_page(lang, Some(&p), e),
    }
}

/// `GET /live/{id}/report.pdf`: the report as a PDF to file (headless Chromium).
pub(crate) async fn report_pdf(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    let html = match report_html(&state, &p, id, lang).await {
        Ok(h) => h,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    match crate::convert::pdf::html_to_pdf(&state.settings.pdf_engine, &html.0).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"liveguard-live-report-{id}.pdf\""),
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

async fn report_html(
    state: &AppState,
    p: &Principal,
    id: i64,
    lang: Lang,
) -> Result<axum::response::Html<String>, ApiError> {
    p.require(Permission::ViewLive)?;
    let r = service::report(state, id).await?;
    let s = &r.session;
    let or_dash =
        |t: Option<liveguard_store::Stamp>| t.map(|t| when(lang, t)).unwrap_or_else(|| "—".into());
    let kind = |k: &str| event_kind(lang, k).unwrap_or("—");
    let events_by_kind: Vec<(String, i64)> = r
        .stats
        .events_by_kind
        .iter()
        .map(|(k, n)| (kind(k).to_string(), *n))
        .collect();
    let by_category: Vec<(String, i64)> = r
        .findings_by_category
        .iter()
        .map(|(c, n)| (c.label(lang).to_string(), *n))
        .collect();
    let by_severity: Vec<(String, i64)> = r
        .alerts_by_severity()
        .into_iter()
        .rev()
        .map(|(sev, n)| (sev.label(lang).to_string(), n))
        .collect();
    let ack = |q: f64| {
        r.acknowledge_quantile(q)
            .map(|ms| duration_ms(lang, ms))
            .unwrap_or_else(|| "—".into())
    };
    let body = html! {
        div.card {
            p { (tr(lang, "状态：", "State: ")) (s.state.label(lang)) " · " (tr(lang, "开播：", "Started: ")) (or_dash(s.started_at)) " · " (tr(lang, "结束：", "Ended: ")) (or_dash(s.ended_at))
              " · " (tr(lang, "保存至：", "Kept until: ")) (or_dash(s.retain_until)) @if let Some(at) = s.purged_at { " · " span.badge { (tr(lang, "保存期满，记录已清除于 ", "retention passed; records purged at ")) (when(lang, at)) } } @if s.legal_hold { " · " span.badge.b-block { (tr(lang, "诉讼保全", "legal hold")) } } }
            p { a href=(format!("/api/v1/live/sessions/{id}/report")) download=(format!("live-session-{id}-report.json")) { (tr(lang, "导出 JSON", "Export JSON")) } " · " a href=(format!("/live/{id}/report.pdf")) data-testid="report-pdf" { (tr(lang, "下载 PDF（存档）", "Download PDF (to file)")) } " · " a href=(format!("/live/{id}")) { (tr(lang, "返回控制台", "Back to console")) } }
        }
        div.tiles {
            (stat_tile(tr(lang, "事件", "events"), r.stats.events(), "#events", false))
            (stat_tile(tr(lang, "告警", "alerts"), r.alerts.len() as i64, "#alerts", false))
            (stat_tile(tr(lang, "未解决告警", "unresolved alerts"), r.unresolved() as i64, "#alerts", true))
            (stat_tile(tr(lang, "已升级", "escalated"), r.escalated() as i64, "#alerts", true))
            (stat_tile(tr(lang, "评论", "comments"), r.comments, "#comments", false))
            (stat_tile(tr(lang, "待跟进承诺", "open follow-ups"), r.stats.open_tasks, "#tasks", true))
        }
        div.charts {
            div.card #events data-testid="report-events" { h3 { (tr(lang, "事件", "Events")) } p { (r.stats.events()) } (bar_chart(lang, tr(lang, "按类型", "By kind"), &events_by_kind)) }
            div.card #alerts { h3 { (tr(lang, "告警", "Alerts")) } p { (r.alerts.len()) }
                (bar_chart(lang, tr(lang, "按严重程度", "By severity"), &by_severity))
                table {
                    tr { td { (tr(lang, "已升级", "escalated")) } td { (r.escalated()) } }
                    tr { td { (tr(lang, "立案", "incidents")) } td { (r.incidents()) } }
                    tr { td { (tr(lang, "未解决", "unresolved")) } td { (r.unresolved()) } }
                    tr { td { (tr(lang, "确认用时 中位 / 90% / 最长", "time to acknowledge median / 90% / longest")) } td { (ack(0.5)) " / " (ack(0.9)) " / " (r.acknowledge_ms.last().map(|ms| duration_ms(lang, *ms)).unwrap_or_else(|| "—".into())) } }
                }
            }
            div.card #comments { h3 { (tr(lang, "评论", "Comments")) } table {
                tr { td { (tr(lang, "评论数", "comments")) } td { (r.comments) } }
                tr { td { (tr(lang, "被标记", "flagged")) } td { (r.flagged_comments) } }
                tr { td { (tr(lang, "评论观众", "viewers")) } td { (r.stats.viewers) } }
                tr { td { (tr(lang, "处置记录", "moderation actions")) } td { (r.stats.moderation_actions) } }
            } }
        }
        div.card data-testid="report-categories" { h3 { (tr(lang, "按类别的发现", "Findings by category")) } (bar_chart(lang, tr(lang, "发现数", "Findings"), &by_category)) }
        div.card { h3 { (tr(lang, "按规则的发现", "Findings by rule")) } table { @for (k, v) in &r.findings_by_rule { tr { td { code { (k) } } td { (v) } } } } }
        div.card data-testid="report-drift" { h3 { (tr(lang, "偏离已审核话术", "Drift from the approved script")) }
            @if r.drift.is_empty() { p.muted { (tr(lang, "无", "none")) } }
            table { @for d in &r.drift { tr { td { (d.at.beijing_clock()) } td { mark.sev-review { (d.said) } } td.muted { (d.text.as_deref().unwrap_or("")) } } } } }
        div.card #tasks { h3 { (tr(lang, "承诺跟进", "Promise follow-ups")) } table { @for t in &r.tasks { tr { td { (t.said) } td { (t.state.label(lang)) } td { (t.note.as_deref().unwrap_or("")) } } } } }
        div.card { h3 { (tr(lang, "告警记录", "Alert log")) } table { @for a in r.alerts.iter().rev().take(200) { tr {
            td { (a.created_ms.beijing_clock()) } td { span class=(format!("badge b-{}", a.severity.as_str())) { (a.severity.label(lang)) } } td { (a.summary) }
            td { (a.state.label(lang)) } td { (a.acked_by.as_deref().unwrap_or("")) } td { (a.resolution.as_deref().unwrap_or("")) }
        } } } }
        div.card { h3 { (tr(lang, "时间线（口播、画面、商品卡）", "Timeline (speech, screen, card)")) } table { @for e in r.timeline.iter().rev() {
            @let body = serde_json::from_str::<Processed>(&e.body).ok();
            tr {
                td { (e.at_ms.beijing_clock()) } td { (kind(&e.kind)) } td { (body.as_ref().and_then(|b| b.text.as_deref()).unwrap_or("")) @if let Some(pr) = body.as_ref().and_then(|b| b.price_fen) { " ¥" (format!("{:.2}", pr as f64 / 100.0)) } }
                td { (e.decision.parse::<liveguard_core::Decision>().map(|d| d.label(lang)).unwrap_or("—")) }
            }
        } } }
    };
    Ok(page(
        lang,
        &format!("{} · {}", s.title, tr(lang, "场次报告", "session report")),
        Some(p),
        body,
    ))
}
