//! The consumer desk's pages (投诉与售后): the queue sorted by urgency with the clocks
//! visible, the intake form, and the case page with its clocks, timeline, reply box and
//! actions. Forms keep what was typed when something is refused.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use liveguard_core::{
    CaseChannel, CaseKind, CaseState, CaseTopic, ClockKind, ClockState, Complexity, MasterKind,
};
use liveguard_store::{ClockRow, Stamp};
use maud::{Markup, html};

use super::api::QueueQuery;
use super::service::{self, ActionInput, CaseInput, Consumer, ReturnInput};
use crate::AppState;
use crate::http::auth::{Principal, UiPrincipal};
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageLang};
use crate::http::perms::Permission;
use crate::ui::labels::{Label, action_zh, audit_action, duration_ms};
use crate::ui::{
    Lang, error_box, error_page, field_error, form_field, page, picker_value, stat_tile, tr, when,
};

type Fields = [(String, String)];

fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    form_field(f, name).unwrap_or("")
}

fn opt(f: &Fields, name: &str) -> Option<String> {
    let v = field(f, name).trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn opt_id(f: &Fields, name: &str) -> Option<i64> {
    field(f, name).trim().parse().ok()
}

/// A reply template per topic (the first reply box starts with it).
pub(crate) fn template(topic: CaseTopic) -> &'static str {
    match topic {
        CaseTopic::Quality => {
            "您好，很抱歉商品给您带来不便。我们已收到您反映的质量问题，请提供商品照片和订单号，我们将在核实后为您办理退换货或维修，运费由我们承担。"
        }
        CaseTopic::FalsePromotion => {
            "您好，感谢您的反馈。您反映的直播间宣传内容我们已提交合规部门核查，核查结果和处理方案将在承诺时限内告知您。"
        }
        CaseTopic::Price => {
            "您好，我们已收到您对价格的反馈，正在核对直播时的价格记录和订单实付金额，核实后按页面公示的规则为您处理。"
        }
        CaseTopic::Returns => {
            "您好，您的退货申请已收到。网络购买的商品自签收之日起七日内可无理由退货（法定不适用的商品除外），我们收到退货后七日内退款。"
        }
        CaseTopic::Lottery => {
            "您好，您反映的抽奖问题我们已收到。本场抽奖规则和开奖证明可在公开核验页面查看，我们将核实您的参与记录后答复。"
        }
        CaseTopic::PersonalInfo => {
            "您好，我们非常重视您的个人信息保护，已将您的反馈转交个人信息保护负责人处理，并将在时限内答复。"
        }
        CaseTopic::StreamerConduct => {
            "您好，感谢您的监督。您反映的主播言行我们已转交直播运营和合规部门核查，核查后告知处理结果。"
        }
        CaseTopic::Other => "您好，您的反馈我们已收到，会尽快核实并答复您。",
    }
}

/// How a running clock stands for people: time left, or overdue in red.
fn clock_cell(lang: Lang, c: &ClockRow, now: Stamp) -> Markup {
    let label = c.kind.label(lang);
    match c.state {
        ClockState::Running if c.due_ms <= now => html! {
            span.badge.b-block data-testid="clock-overdue" { (label) (tr(lang, " 已超期 ", " overdue by ")) (duration_ms(lang, now.ms() - c.due_ms.ms())) }
        },
        ClockState::Running => html! {
            span class=(if c.warned || now >= c.warn_ms { "badge b-review" } else { "badge b-info" }) data-testid="clock-left" {
                (label) (tr(lang, " 剩余 ", " ")) (duration_ms(lang, c.due_ms.ms() - now.ms())) (tr(lang, "", " left"))
            }
        },
        ClockState::Paused => {
            html! { span.badge.b-pass data-testid="clock-paused" { (label) " " (ClockState::Paused.label(lang)) } }
        }
        s => html! { span.muted { (label) " " (s.label(lang)) } },
    }
}

fn state_badge(lang: Lang, s: CaseState) -> Markup {
    let class = match s {
        CaseState::New => "badge b-block",
        CaseState::Acknowledged | CaseState::InProgress => "badge b-review",
        CaseState::WaitingConsumer => "badge b-info",
        CaseState::Solved | CaseState::Closed => "badge b-pass",
    };
    html! { span class=(class) { (s.label(lang)) } }
}

/// `GET /desk`
pub(crate) async fn queue(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    Query(q): Query<QueueQuery>,
) -> Response {
    let view = async {
        p.require(Permission::ViewCases)?;
        let mut filter = q.filter()?;
        if q.open.is_none() && q.state.is_none() {
            filter.open_only = true;
        }
        let rows = service::queue(&state, &p, &filter).await?;
        let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
        let clocks = state.store.open_clocks_of(&ids).await?;
        let counts = state.store.desk_counts().await?;
        let workers: Vec<(String, String)> = state
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| !u.disabled && crate::http::perms::allowed(u.role, Permission::WorkCases))
            .map(|u| (u.username, u.display_name))
            .collect();
        let weeks = service::weekly_figures(&state, 8).await?;
        let per_product = state.store.desk_cases_per_product(10).await?;
        Ok::<_, ApiError>((rows, clocks, counts, workers, filter, weeks, per_product))
    };
    let (rows, clocks, counts, workers, filter, weeks, per_product) = match view.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let now = state.store.now();
    let can_work = p.can(Permission::WorkCases);
    let body = html! {
        div.tiles {
            (stat_tile(tr(lang, "未结案件", "open cases"), counts.open, "/desk", false))
            (stat_tile(tr(lang, "已超期", "overdue"), counts.overdue, "/desk", counts.overdue > 0))
            (stat_tile(tr(lang, "即将到期", "due soon"), counts.warning, "/desk", counts.warning > 0))
            (stat_tile(tr(lang, "等待消费者", "waiting for consumer"), counts.waiting, "/desk?state=waiting_consumer", false))
            (stat_tile(tr(lang, "未分派", "unassigned"), counts.unassigned, "/desk?assignee=", counts.unassigned > 0))
            (stat_tile(tr(lang, "惩罚性赔偿风险", "punitive exposure"), counts.exposure, "/desk?exposure=true", counts.exposure > 0))
        }
        @let week_label = |m: &time::Date| format!("{}/{}", u8::from(m.month()), m.day());
        @let reply_median: Vec<(String, i64)> = weeks.iter().filter_map(|w| w.first_reply.map(|f| (week_label(&w.monday), f.0))).collect();
        @let reply_p90: Vec<(String, i64)> = weeks.iter().filter_map(|w| w.first_reply.map(|f| (week_label(&w.monday), f.1))).collect();
        @let reply_share: Vec<(String, i64)> = weeks.iter().filter_map(|w| w.first_reply.map(|f| (week_label(&w.monday), f.2))).collect();
        @let breaches: Vec<(String, i64)> = weeks.iter().map(|w| (week_label(&w.monday), w.breaches)).collect();
        @let solution_share: Vec<(String, i64)> = weeks.iter().filter_map(|w| w.solution.map(|f| (week_label(&w.monday), f.2))).collect();
        details data-testid="desk-charts" open[!can_work || p.user.role == liveguard_core::Role::ComplianceLead] {
            summary { (tr(lang, "看板：回复与解决用时（近 8 周，按周一日期；只计已完成的时限，无数据的周不显示）", "Charts: reply and solution times (last 8 weeks, by Monday; met clocks only)")) }
            div.charts {
                (crate::ui::column_chart(lang, tr(lang, "首次回复用时中位数（分钟）", "First reply, median (minutes)"), &reply_median))
                (crate::ui::column_chart(lang, tr(lang, "首次回复用时 P90（分钟）", "First reply, 90th percentile (minutes)"), &reply_p90))
                (crate::ui::column_chart(lang, tr(lang, "首次回复按时率（%）", "First replies within target (%)"), &reply_share))
                (crate::ui::column_chart(lang, tr(lang, "解决方案按时率（%）", "Solutions within target (%)"), &solution_share))
                (crate::ui::column_chart(lang, tr(lang, "超期的时限（按到期所在周）", "Clocks breached (by the week they fell due)"), &breaches))
                (crate::ui::bar_chart(lang, tr(lang, "按商品的案件数", "Cases per product"), &per_product))
            }
        }
        @if can_work { p { a.button href="/desk/new" data-testid="new-case" { (tr(lang, "登记新案件", "Open a case")) } " · " a href="/desk/import" data-testid="import-link" { (tr(lang, "导入平台售后单", "Import an export")) } } }
        form method="get" action="/desk" {
            label.inline { (tr(lang, "状态", "State")) " " select name="state" {
                option value="" { (tr(lang, "未结（全部）", "open (all)")) }
                @for s in CaseState::ALL { option value=(s.as_str()) selected[filter.state == Some(*s)] { (s.label(lang)) } }
            } }
            " "
            label.inline { (tr(lang, "问题类别", "Topic")) " " select name="topic" {
                option value="" { (tr(lang, "全部", "all")) }
                @for t in CaseTopic::ALL { option value=(t.as_str()) selected[filter.topic == Some(*t)] { (t.label(lang)) } }
            } }
            " "
            label.inline { (tr(lang, "类型", "Kind")) " " select name="kind" {
                option value="" { (tr(lang, "全部", "all")) }
                @for k in CaseKind::ALL { option value=(k.as_str()) selected[filter.kind == Some(*k)] { (k.label(lang)) } }
            } }
            " " label.inline { input type="checkbox" name="exposure" value="true" checked[filter.exposure_only]; " " (tr(lang, "仅惩罚性赔偿风险（法务）", "punitive exposure only (legal)")) }
            " " button type="submit" { (tr(lang, "筛选", "Filter")) }
        }
        @if rows.is_empty() {
            p.muted data-testid="no-cases" { (tr(lang, "没有符合条件的案件。", "No cases match.")) }
        } @else {
            form method="post" action="/desk/assign" {
                input type="hidden" name="csrf" value=(p.csrf());
                table data-testid="case-queue" {
                    thead { tr {
                        @if can_work { th { (tr(lang, "选择", "Pick")) } }
                        th { (tr(lang, "编号", "No.")) } th { (tr(lang, "时限", "Clocks")) } th { (tr(lang, "状态", "State")) }
                        th { (tr(lang, "类型 / 问题", "Kind / topic")) } th { (tr(lang, "摘要", "Summary")) }
                        th { (tr(lang, "处理人", "Assignee")) } th { (tr(lang, "收到时间", "Received")) }
                    } }
                    tbody {
                        @for c in &rows {
                            @let mine: Vec<&ClockRow> = clocks.iter().filter(|k| k.case_id == c.id).collect();
                            @let overdue = mine.iter().any(|k| k.state == ClockState::Running && k.due_ms <= now);
                            tr class=(if overdue { "overdue" } else { "" }) data-case=(c.id) {
                                @if can_work { td { input type="checkbox" name="case" value=(c.id) aria-label=(format!("#{}", c.id)); } }
                                td { a href=(format!("/desk/{}", c.id)) { "#" (c.id) } }
                                td { @for k in &mine { (clock_cell(lang, k, now)) br; } @if mine.is_empty() { span.muted { "—" } } }
                                td { (state_badge(lang, c.state)) @if c.exposure_fen.is_some() { " " span.badge.b-block title=(c.exposure_reason.clone().unwrap_or_default()) { (tr(lang, "法务", "legal")) } } }
                                td { (c.kind.label(lang)) br; small { (c.topic.label(lang)) } }
                                td style="min-width:14em" { (c.summary.chars().take(40).collect::<String>()) @if c.summary.chars().count() > 40 { "…" } }
                                td { (c.assignee.clone().unwrap_or_else(|| tr(lang, "未分派", "unassigned").to_string())) }
                                td { (when(lang, c.received_ms)) }
                            }
                        }
                    }
                }
                @if can_work {
                    p {
                        label.inline { (tr(lang, "把选中的案件分派给", "Assign the picked cases to")) " " select name="assignee" {
                            @for (name, shown) in &workers { option value=(name) { (shown) } }
                        } }
                        " " button type="submit" { (tr(lang, "批量分派", "Assign")) }
                    }
                }
            }
        }
    };
    page(
        lang,
        tr(lang, "投诉与售后", "Consumer desk"),
        Some(&p),
        body,
    )
    .into_response()
}

/// `POST /desk/assign`: the picked cases to one assignee.
pub(crate) async fn bulk_assign(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let ids: Vec<i64> = fields
        .iter()
        .filter(|(n, _)| n == "case")
        .filter_map(|(_, v)| v.parse().ok())
        .take(500)
        .collect();
    if ids.is_empty() {
        return error_page(
            lang,
            Some(&p),
            ApiError::invalid("case", "请先勾选要分派的案件", "pick at least one case"),
        );
    }
    let input = ActionInput {
        assignee: opt(&fields, "assignee"),
        ..Default::default()
    };
    for id in ids {
        if let Err(e) = service::act(&state, &p, id, "assign", &input).await {
            return error_page(lang, Some(&p), e);
        }
    }
    Redirect::to("/desk").into_response()
}

/// What the intake form can start from.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCaseQuery {
    /// A live comment customer service marks as a complaint (from the console).
    #[serde(default)]
    pub comment_event_id: Option<i64>,
}

/// `GET /desk/new` (`?comment_event_id=` starts from a live comment: its session, its text
/// and its time).
pub(crate) async fn new_form(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    Query(q): Query<NewCaseQuery>,
) -> Response {
    let Some(event_id) = q.comment_event_id else {
        return form_view(&state, &p, lang, &[], None).await;
    };
    let event = match state.store.live_event(event_id).await {
        Ok(e) if e.kind == "comment" => e,
        Ok(_) => {
            return error_page(
                lang,
                Some(&p),
                ApiError::invalid(
                    "comment_event_id",
                    "只有观众评论可以登记为投诉",
                    "not a comment",
                ),
            );
        }
        Err(e) => return error_page(lang, Some(&p), e.into()),
    };
    let text = serde_json::from_str::<liveguard_live::Processed>(&event.body)
        .ok()
        .and_then(|x| x.text)
        .unwrap_or_default();
    let fields: Vec<(String, String)> = vec![
        ("kind".into(), "complaint".into()),
        ("topic".into(), "other".into()),
        ("channel".into(), "live_comment".into()),
        ("received_at".into(), picker_value(&event.at_ms.rfc3339())),
        ("summary".into(), text),
        ("session_id".into(), event.session_id.to_string()),
        ("comment_event_id".into(), event_id.to_string()),
    ];
    form_view(&state, &p, lang, &fields, None).await
}

async fn form_view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    f: &Fields,
    e: Option<&ApiError>,
) -> Response {
    if let Err(e) = p.require(Permission::WorkCases) {
        return error_page(lang, Some(p), e);
    }
    let lists = async {
        Ok::<_, ApiError>((
            state.store.products().await?,
            state.store.live_sessions().await?,
            state.store.masters(MasterKind::Streamer).await?,
            state.store.masters(MasterKind::Room).await?,
        ))
    };
    let (products, sessions, streamers, rooms) = match lists.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(p), e),
    };
    let received = if f.is_empty() {
        picker_value(&state.store.now().rfc3339())
    } else {
        field(f, "received_at").to_string()
    };
    let body = html! {
        @if let Some(e) = e { (error_box(&format!("{}{}", tr(lang, "未保存（已填写的内容保留在下方表单中）：", "Not saved (what you typed is kept below): "), crate::ui::error_text(lang, e)))) }
        form method="post" action="/desk/new" data-testid="case-form" {
            input type="hidden" name="csrf" value=(p.csrf());
            @if let Some(c) = opt_id(f, "comment_event_id") {
                input type="hidden" name="comment_event_id" value=(c);
                p.ok data-testid="from-comment" { (tr(lang, "来自直播评论（案件将关联该评论与直播场次）", "From a live comment (the case links to it and its session)")) }
            }
            fieldset {
                legend { (tr(lang, "案件", "Case")) }
                label { (tr(lang, "类型", "Kind")) " " select name="kind" { @for k in CaseKind::ALL { option value=(k.as_str()) selected[field(f, "kind") == k.as_str()] { (k.label(lang)) } } } (field_error(lang, e, "kind")) }
                label { (tr(lang, "问题类别", "Topic")) " " select name="topic" { @for t in CaseTopic::ALL { option value=(t.as_str()) selected[field(f, "topic") == t.as_str()] { (t.label(lang)) } } } (field_error(lang, e, "topic")) }
                label { (tr(lang, "来源渠道", "Channel")) " " select name="channel" { @for c in CaseChannel::ALL { option value=(c.as_str()) selected[field(f, "channel") == c.as_str()] { (c.label(lang)) } } } (field_error(lang, e, "channel")) }
                label { (tr(lang, "消费者发出时间（北京时间，不是录入时间）", "When the consumer sent it (Beijing time)")) " " input type="datetime-local" name="received_at" required value=(received); (field_error(lang, e, "received_at")) }
                label { (tr(lang, "消费者反映的问题", "What the consumer says")) textarea name="summary" rows="4" required maxlength=(service::SUMMARY_CHARS_MAX) { (field(f, "summary")) } (field_error(lang, e, "summary")) }
                label { (tr(lang, "消费者诉求", "What the consumer asks for")) " " input name="demand" maxlength=(service::TEXT_CHARS_MAX) value=(field(f, "demand")) placeholder=(tr(lang, "例如：退货退款、退一赔三", "e.g. refund")); (field_error(lang, e, "demand")) }
                label { (tr(lang, "涉及的直播承诺（每行一条）", "Promises referred to (one per line)")) textarea name="promises" rows="2" { (field(f, "promises")) } (field_error(lang, e, "promises")) }
            }
            fieldset {
                legend { (tr(lang, "关联", "Concerns")) }
                label { (tr(lang, "订单号", "Order")) " " input name="order_ref" maxlength="100" value=(field(f, "order_ref")); (field_error(lang, e, "order_ref")) }
                label { (tr(lang, "商品", "Product")) " " select name="product_id" { option value="" { "—" } @for pr in &products { option value=(pr.id) selected[field(f, "product_id") == pr.id.to_string()] { (pr.name) } } } (field_error(lang, e, "product_id")) }
                label { (tr(lang, "直播场次", "Live session")) " " select name="session_id" { option value="" { "—" } @for s in &sessions { option value=(s.id) selected[field(f, "session_id") == s.id.to_string()] { (s.title) } } } (field_error(lang, e, "session_id")) }
                label { (tr(lang, "直播间", "Live room")) " " select name="room_id" { option value="" { "—" } @for r in &rooms { option value=(r.id) selected[field(f, "room_id") == r.id.to_string()] { (r.name) } } } (field_error(lang, e, "room_id")) }
                label { (tr(lang, "主播", "Streamer")) " " select name="streamer_id" { option value="" { "—" } @for s in &streamers { option value=(s.id) selected[field(f, "streamer_id") == s.id.to_string()] { (s.name) } } } (field_error(lang, e, "streamer_id")) }
                label { (tr(lang, "实付金额（元）", "Price paid (yuan)")) " " input name="price_yuan" inputmode="decimal" value=(field(f, "price_yuan")); (field_error(lang, e, "price_fen")) }
            }
            fieldset {
                legend { (tr(lang, "消费者（个人信息，加密保存，按角色脱敏显示）", "Consumer (personal data: sealed, masked by role)")) }
                label { (tr(lang, "姓名", "Name")) " " input name="consumer_name" maxlength="50" value=(field(f, "consumer_name")) autocomplete="off"; (field_error(lang, e, "consumer.name")) }
                label { (tr(lang, "电话", "Phone")) " " input name="consumer_phone" maxlength="20" value=(field(f, "consumer_phone")) autocomplete="off"; (field_error(lang, e, "consumer.phone")) }
                label { (tr(lang, "地址", "Address")) " " input name="consumer_address" maxlength="200" value=(field(f, "consumer_address")) autocomplete="off"; (field_error(lang, e, "consumer.address")) }
                label { (tr(lang, "平台账号", "Platform account")) " " input name="consumer_account" maxlength="128" value=(field(f, "consumer_account")) autocomplete="off"; (field_error(lang, e, "consumer.account")) }
            }
            fieldset {
                legend { (tr(lang, "监管转办（仅监管转办案件）", "Regulator referral (referrals only)")) }
                label { (tr(lang, "转办机关", "Regulator")) " " input name="regulator" maxlength="100" value=(field(f, "regulator")) placeholder=(tr(lang, "例如：12315 / 杭州市市场监管局", "e.g. 12315")); (field_error(lang, e, "regulator")) }
                label { (tr(lang, "监管机关编号", "Regulator's reference")) " " input name="external_ref" maxlength="100" value=(field(f, "external_ref")); (field_error(lang, e, "external_ref")) }
                label { (tr(lang, "答复期限（留空按 7 个工作日）", "Answer due (empty = 7 working days)")) " " input type="datetime-local" name="regulator_due_at" value=(field(f, "regulator_due_at")); (field_error(lang, e, "regulator_due_at")) }
                label { (tr(lang, "监管受理时间（调解期自此起算）", "Accepted by the regulator (mediation starts)")) " " input type="datetime-local" name="regulator_accepted_at" value=(field(f, "regulator_accepted_at")); (field_error(lang, e, "regulator_accepted_at")) }
            }
            fieldset {
                legend { (tr(lang, "复杂程度（不选则按规则：监管转办、欺诈主张、个人信息为复杂）", "Complexity (empty = by rule)")) }
                label { select name="complexity" { option value="" { (tr(lang, "按规则", "by rule")) } @for c in Complexity::ALL { option value=(c.as_str()) selected[field(f, "complexity") == c.as_str()] { (c.label(lang)) } } } (field_error(lang, e, "complexity")) }
                label { (tr(lang, "理由", "Reason")) " " input name="complexity_reason" maxlength="500" value=(field(f, "complexity_reason")); (field_error(lang, e, "complexity_reason")) }
            }
            button type="submit" { (tr(lang, "登记案件，开始计时", "Open the case")) }
        }
    };
    let status = if e.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    (
        status,
        page(lang, tr(lang, "登记投诉案件", "Open a case"), Some(p), body),
    )
        .into_response()
}

/// Price in yuan as typed (`99`, `99.5`, `99.90`) in fen.
pub(crate) fn yuan_to_fen(text: &str) -> Result<Option<i64>, ApiError> {
    let t = text.trim().trim_start_matches('¥').replace(',', "");
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        ApiError::invalid(
            "price_fen",
            "金额格式不对，例如 99 或 99.90",
            "not an amount in yuan",
        )
    };
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if frac.len() > 2
        || whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .map(Some)
        .ok_or_else(bad)
}

fn input_of(f: &Fields) -> Result<CaseInput, ApiError> {
    let consumer = Consumer {
        name: field(f, "consumer_name").trim().to_string(),
        phone: field(f, "consumer_phone").trim().to_string(),
        address: field(f, "consumer_address").trim().to_string(),
        account: field(f, "consumer_account").trim().to_string(),
    };
    Ok(CaseInput {
        kind: field(f, "kind").to_string(),
        topic: field(f, "topic").to_string(),
        channel: field(f, "channel").to_string(),
        received_at: field(f, "received_at").to_string(),
        summary: field(f, "summary").to_string(),
        demand: field(f, "demand").to_string(),
        order_ref: opt(f, "order_ref"),
        product_id: opt_id(f, "product_id"),
        room_id: opt_id(f, "room_id"),
        streamer_id: opt_id(f, "streamer_id"),
        session_id: opt_id(f, "session_id"),
        comment_event_id: opt_id(f, "comment_event_id"),
        promises: field(f, "promises")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        consumer: Some(consumer),
        assignee: None,
        source: opt(f, "external_ref").map(|_| "form".to_string()),
        external_ref: opt(f, "external_ref"),
        regulator: opt(f, "regulator"),
        regulator_due_at: opt(f, "regulator_due_at"),
        regulator_accepted_at: opt(f, "regulator_accepted_at"),
        price_fen: yuan_to_fen(field(f, "price_yuan"))?,
        complexity: opt(f, "complexity"),
        complexity_reason: opt(f, "complexity_reason"),
    })
}

/// `POST /desk/new`
pub(crate) async fn create(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let done = async {
        let input = input_of(&fields)?;
        service::create(&state, &p, &input).await
    };
    match done.await {
        Ok((id, _)) => Redirect::to(&format!("/desk/{id}")).into_response(),
        Err(e) => form_view(&state, &p, lang, &fields, Some(&e)).await,
    }
}

/// `GET /desk/{id}`
pub(crate) async fn detail(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
) -> Response {
    detail_view(&state, &p, lang, id, None, &[]).await
}

/// `POST /desk/{id}/{verb}`
pub(crate) async fn action(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    Path((id, verb)): Path<(i64, String)>,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let input = ActionInput {
        text: opt(&fields, "text"),
        reason: opt(&fields, "reason"),
        confirm: field(&fields, "confirm") == "yes",
        assignee: opt(&fields, "assignee"),
        complexity: opt(&fields, "complexity"),
        root_cause: opt(&fields, "root_cause"),
        clock: opt(&fields, "clock"),
        due_at: opt(&fields, "due_at"),
        return_request: (verb == "return").then(|| ReturnInput {
            received_at: field(&fields, "received_at").to_string(),
            requested_at: opt(&fields, "requested_at"),
            class: opt(&fields, "class").and_then(|c| {
                liveguard_desk::ReturnClass::ALL
                    .iter()
                    .copied()
                    .find(|k| k.as_str() == c)
            }),
            distance_sale: Some(field(&fields, "distance_sale") != "no"),
            digital_unsealed: field(&fields, "digital_unsealed") == "yes",
            confirmed_at_purchase: field(&fields, "confirmed_at_purchase") == "yes",
            opened_for_inspection: field(&fields, "opened_for_inspection") == "yes",
            intact: Some(field(&fields, "intact") != "no"),
            refund_fen: None,
        }),
    };
    match service::act(&state, &p, id, &verb, &input).await {
        Ok(_) => Redirect::to(&format!("/desk/{id}")).into_response(),
        Err(e) => detail_view(&state, &p, lang, id, Some((&verb, e)), &fields).await,
    }
}

/// One line of the case's timeline: an audit entry or a message.
struct Line {
    at: String,
    who: String,
    what: String,
    text: Option<String>,
    flagged: bool,
}

async fn detail_view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    id: i64,
    failed: Option<(&str, ApiError)>,
    f: &Fields,
) -> Response {
    let load = async {
        p.require(Permission::ViewCases)?;
        let case = state.store.case(id).await?;
        let clocks = state.store.case_clocks(id).await?;
        let messages = state.store.case_messages(id).await?;
        let entries = service::case_entries(state, id).await?;
        let product_name = match case.product_id {
            Some(pid) => Some(state.store.product(pid).await?.name),
            None => None,
        };
        Ok::<_, ApiError>((case, clocks, messages, entries, product_name))
    };
    let (case, clocks, messages, entries, product_name) = match load.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(p), e),
    };
    let now = state.store.now();
    let mut lines: Vec<Line> = entries
        .iter()
        .rev()
        .filter(|e| {
            !matches!(
                e.action.as_str(),
                "desk.case.reply" | "desk.case.solve" | "desk.case.wait" | "desk.case.note"
            )
        })
        .map(|e| {
            let detail = e
                .reason
                .as_deref()
                .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
                .and_then(|v| {
                    if let (Some(k), Some(t), Some(c)) = (
                        v["kind"].as_str().and_then(|k| k.parse::<CaseKind>().ok()),
                        v["topic"]
                            .as_str()
                            .and_then(|t| t.parse::<CaseTopic>().ok()),
                        v["channel"]
                            .as_str()
                            .and_then(|c| c.parse::<CaseChannel>().ok()),
                    ) {
                        return Some(format!(
                            "{} · {} · {}",
                            k.label(lang),
                            t.label(lang),
                            c.label(lang)
                        ));
                    }
                    let clock = v["clock"].as_str()?.parse::<ClockKind>().ok()?;
                    let due = v["due"].as_str().and_then(|d| Stamp::parse(d).ok());
                    Some(match due {
                        Some(d) => format!(
                            "{}{}{}",
                            clock.label(lang),
                            tr(lang, "，期限 ", ", due "),
                            when(lang, d)
                        ),
                        None => clock.label(lang).to_string(),
                    })
                });
            Line {
                at: e.time.clone(),
                who: e.actor.clone(),
                what: audit_action(lang, &e.action)
                    .unwrap_or(tr(lang, "其他操作", "other"))
                    .to_string(),
                text: detail.or_else(|| e.reason.clone().filter(|r| !r.starts_with('{'))),
                flagged: e.action == "desk.clock.breach",
            }
        })
        .collect();
    for m in &messages {
        lines.push(Line {
            at: m.created_ms.rfc3339(),
            who: m.author.clone(),
            what: if m.kind == "reply" {
                tr(lang, "回复消费者", "reply").to_string()
            } else {
                tr(lang, "内部备注", "note").to_string()
            },
            text: Some(m.body.clone()),
            flagged: m.decision.as_deref() == Some("review"),
        });
    }
    lines.sort_by(|a, b| a.at.cmp(&b.at));
    let (consumer, masked) = service::consumer_for(state, p, &case);
    let can_work = p.can(Permission::WorkCases);
    let open = liveguard_desk::case::is_open(case.state);
    let sent_reply = messages.iter().any(|m| m.kind == "reply");
    let error_for = |verb: &str| failed.as_ref().filter(|(v, _)| *v == verb).map(|(_, e)| e);
    let typed = |verb: &str, name: &str, default: &str| -> String {
        if failed.as_ref().is_some_and(|(v, _)| *v == verb) {
            field(f, name).to_string()
        } else {
            default.to_string()
        }
    };
    let reply_failed = failed
        .as_ref()
        .filter(|(v, _)| matches!(*v, "reply" | "solve" | "wait"));
    let reply_error = reply_failed.map(|(_, e)| e);
    let reply_text = match reply_failed {
        Some(_) => field(f, "text").to_string(),
        None if sent_reply => String::new(),
        None => template(case.topic).to_string(),
    };
    let ret: Option<serde_json::Value> = case
        .return_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    let body = html! {
        @if let Some((verb, e)) = &failed { (error_box(&format!("{}「{}」{}{}", tr(lang, "未执行", "Not done: "), action_zh(verb), tr(lang, "：", ": "), crate::ui::error_text(lang, e)))) }
        p {
            (state_badge(lang, case.state)) " "
            (case.kind.label(lang)) " · " (case.topic.label(lang)) " · " (case.channel.label(lang)) " · "
            (tr(lang, "复杂程度：", "complexity: ")) (case.complexity.label(lang))
            @if let Some(r) = &case.complexity_reason { small.muted { "（" (r) "）" } }
        }
        @if let Some(f) = case.exposure_fen {
            p.error data-testid="exposure" { strong { (tr(lang, "惩罚性赔偿风险：", "Punitive-damages exposure: ")) } "¥" (format!("{:.2}", f as f64 / 100.0)) " — " (case.exposure_reason.clone().unwrap_or_default()) }
        }
        h2 { (tr(lang, "时限", "Clocks")) }
        table data-testid="clocks" {
            thead { tr { th { (tr(lang, "时限", "Clock")) } th { (tr(lang, "规则", "Rule")) } th { (tr(lang, "开始", "Started")) } th { (tr(lang, "期限", "Due")) } th { (tr(lang, "状态", "State")) } } }
            tbody {
                @for c in &clocks {
                    tr class=(if c.state == ClockState::Running && c.due_ms <= now { "overdue" } else { "" }) {
                        td { (c.kind.label(lang)) @if liveguard_desk::clocks::statutory(c.kind) { " " span.badge.b-block { (tr(lang, "法定", "statutory")) } } }
                        td { (c.rule) @if c.pausable { br; small.muted { (tr(lang, "等待消费者时暂停", "pauses while waiting")) } } }
                        td { (when(lang, c.started_ms)) }
                        td { (when(lang, c.due_ms)) }
                        td { (clock_cell(lang, c, now)) @if let Some(t) = c.finished_ms { br; small.muted { (when(lang, t)) } } }
                    }
                }
            }
        }
        h2 { (tr(lang, "案件信息", "Case")) }
        dl {
            dt { (tr(lang, "消费者发出时间", "Received")) } dd { (when(lang, case.received_ms)) }
            dt { (tr(lang, "反映的问题", "What the consumer says")) } dd.text { (case.summary) }
            @if !case.demand.is_empty() { dt { (tr(lang, "诉求", "Demand")) } dd { (case.demand) } }
            @if let Some(o) = &case.order_ref { dt { (tr(lang, "订单号", "Order")) } dd { (o) } }
            @if let Some(name) = &product_name { dt { (tr(lang, "商品", "Product")) } dd data-testid="case-product" { (name) } }
            @if let Some(s) = case.session_id { dt { (tr(lang, "直播场次", "Live session")) } dd { a href=(format!("/live/{s}")) data-testid="case-session" { (tr(lang, "场次 #", "session #")) (s) } } }
            @if let Some(r) = &case.regulator { dt { (tr(lang, "转办机关", "Regulator")) } dd { (r) @if let Some(x) = &case.external_ref { " · " (x) } } }
            @if let Some(pf) = case.price_fen { dt { (tr(lang, "实付金额", "Price paid")) } dd { "¥" (format!("{:.2}", pf as f64 / 100.0)) } }
            @let promises: Vec<String> = serde_json::from_str(&case.promises).unwrap_or_default();
            @if !promises.is_empty() { dt { (tr(lang, "涉及的承诺", "Promises")) } dd { (promises.join("；")) } }
            dt { (tr(lang, "处理人", "Assignee")) } dd { (case.assignee.clone().unwrap_or_else(|| tr(lang, "未分派", "unassigned").to_string())) }
            @if let Some(rc) = &case.root_cause { dt { (tr(lang, "根因", "Root cause")) } dd { (rc) } }
            dt { (tr(lang, "消费者", "Consumer")) }
            dd data-testid="consumer" {
                @if let Some(c) = &consumer {
                    (c.name) " " (c.phone) " " (c.address) @if !c.account.is_empty() { " · " (c.account) }
                    @if masked { " " small.muted { (tr(lang, "（已脱敏）", "(masked)")) } }
                } @else { "—" }
            }
        }
        @if let Some(r) = &ret {
            div class=(if r["eligible"] == serde_json::json!(true) { "ok" } else { "error" }) data-testid="return-decision" {
                strong { (if r["eligible"] == serde_json::json!(true) { tr(lang, "可以七日无理由退货", "Returnable without reason") } else { tr(lang, "不适用七日无理由退货", "Not returnable without reason") }) }
                " — " (r["basis"].as_str().unwrap_or("")) br;
                small { (r["class_label"].as_str().unwrap_or("")) " · " (r["citation"].as_str().unwrap_or("")) }
            }
        }
        h2 { (tr(lang, "处理记录", "Timeline")) }
        table data-testid="timeline" {
            tbody {
                @for l in &lines {
                    tr class=(if l.flagged { "overdue" } else { "" }) {
                        td { (Stamp::parse(&l.at).map(|t| when(lang, t)).unwrap_or_else(|_| l.at.clone())) }
                        td { (l.who) }
                        td { (l.what) @if let Some(t) = &l.text { div style="white-space:pre-wrap;color:#424a53" { (t) } } }
                    }
                }
            }
        }
        @if can_work {
            h2 { (tr(lang, "处理", "Work the case")) }
            @if open {
                form method="post" action=(format!("/desk/{id}/reply")) data-testid="reply-form" {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label { (tr(lang, "回复消费者（发送前经合规检查）", "Reply to the consumer (screened before it goes out)"))
                        textarea name="text" rows="4" maxlength=(service::TEXT_CHARS_MAX) { (reply_text) }
                        (field_error(lang, reply_error, "text"))
                    }
                    label { input type="checkbox" name="confirm" value="yes"; " " (tr(lang, "已核实内容属实、承诺公司确能兑现，合规提示后仍然发送", "Checked: true and can be honoured; send even if flagged for review")) }
                    button type="submit" formaction=(format!("/desk/{id}/reply")) { (tr(lang, "发送回复", "Send reply")) } " "
                    button type="submit" formaction=(format!("/desk/{id}/solve")) { (tr(lang, "发送并给出解决方案", "Send as the solution")) } " "
                    @if case.state != CaseState::WaitingConsumer { button type="submit" formaction=(format!("/desk/{id}/wait")) { (tr(lang, "发送并等待消费者答复", "Send and wait for the consumer")) } }
                }
                p {
                    @if case.state == CaseState::New || case.state == CaseState::Acknowledged { (verb_button(p, id, "start", tr(lang, "开始处理", "Start"))) " " }
                    @if case.state == CaseState::WaitingConsumer { (verb_button(p, id, "resume", tr(lang, "消费者已答复，恢复计时", "Consumer answered"))) " " }
                }
            } @else {
                p { (verb_button(p, id, "close", tr(lang, "结案", "Close"))) }
            }
            details open[error_for("assign").is_some() || error_for("complexity").is_some() || error_for("tag").is_some()] {
                summary { (tr(lang, "分派、复杂程度、根因", "Assign, complexity, root cause")) }
                form method="post" action=(format!("/desk/{id}/assign")) {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label.inline { (tr(lang, "处理人（账号）", "Assignee (user)")) " " input name="assignee" value=(typed("assign", "assignee", case.assignee.as_deref().unwrap_or(""))); }
                    " " button type="submit" { (tr(lang, "分派", "Assign")) }
                    (field_error(lang, error_for("assign"), "assignee"))
                }
                form method="post" action=(format!("/desk/{id}/complexity")) {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label.inline { select name="complexity" { @for c in Complexity::ALL { option value=(c.as_str()) selected[*c == case.complexity] { (c.label(lang)) } } } }
                    " " label.inline { (tr(lang, "理由", "Reason")) " " input name="reason" required value=(typed("complexity", "reason", "")); }
                    " " button type="submit" { (tr(lang, "认定复杂程度", "Set complexity")) }
                    (field_error(lang, error_for("complexity"), "reason"))
                }
                form method="post" action=(format!("/desk/{id}/tag")) {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label.inline { (tr(lang, "根因", "Root cause")) " " input name="root_cause" list="root-causes" maxlength="50" value=(typed("tag", "root_cause", case.root_cause.as_deref().unwrap_or(""))); }
                    datalist id="root-causes" { @for r in ["宣传用语夸大", "价格标示不清", "商品质量缺陷", "物流破损", "赠品未兑现", "客服回复延迟", "主播口误"] { option value=(r) {} } }
                    " " button type="submit" { (tr(lang, "标注", "Tag")) }
                    (field_error(lang, error_for("tag"), "root_cause"))
                }
            }
            details open[error_for("return").is_some()] {
                summary { (tr(lang, "七日无理由退货与退款", "7-day return and refund")) }
                form method="post" action=(format!("/desk/{id}/return")) data-testid="return-form" {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label { (tr(lang, "签收时间", "Goods received")) " " input type="datetime-local" name="received_at" required value=(typed("return", "received_at", "")); (field_error(lang, error_for("return"), "return.received_at")) }
                    label { (tr(lang, "申请退货时间（留空为案件收到时间）", "Return asked (empty = case received)")) " " input type="datetime-local" name="requested_at" value=(typed("return", "requested_at", "")); (field_error(lang, error_for("return"), "return.requested_at")) }
                    label { (tr(lang, "商品类别（留空按商品资料）", "Goods class (empty = from the product)")) " " select name="class" { option value="" { (tr(lang, "按商品资料", "from the product")) } @for c in liveguard_desk::ReturnClass::ALL { option value=(c.as_str()) { (c.label_zh()) } } } }
                    label { input type="checkbox" name="opened_for_inspection" value="yes"; " " (tr(lang, "仅为检查或合理调试而拆封", "opened only to inspect or test")) }
                    label { input type="checkbox" name="intact" value="no"; " " (tr(lang, "商品已不完好（一次性密封破损、标签缺失等）", "goods not intact")) }
                    label { input type="checkbox" name="confirmed_at_purchase" value="yes"; " " (tr(lang, "购买时消费者已单独确认不适用无理由退货", "confirmed as not returnable at purchase")) }
                    label { input type="checkbox" name="digital_unsealed" value="yes"; " " (tr(lang, "数字化商品已下载或拆封", "digital goods downloaded or unsealed")) }
                    button type="submit" { (tr(lang, "判定退货申请", "Decide")) }
                }
                p {
                    @if service::return_eligible(&case) && !clocks.iter().any(|c| c.kind == ClockKind::Refund) { (verb_button(p, id, "goods_back", tr(lang, "已收到退货，开始 7 日退款计时", "Goods back: start the 7-day refund clock"))) " " }
                    @if clocks.iter().any(|c| c.kind == ClockKind::Refund && c.state == ClockState::Running) { (verb_button(p, id, "refunded", tr(lang, "已退款", "Refunded"))) }
                }
            }
            details open[error_for("withdraw").is_some() || error_for("reopen").is_some() || error_for("note").is_some() || error_for("reschedule").is_some()] {
                summary { (tr(lang, "备注、调整期限、撤诉、重新打开", "Note, due time, withdraw, reopen")) }
                form method="post" action=(format!("/desk/{id}/note")) {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label { (tr(lang, "内部备注（不发给消费者）", "Internal note")) textarea name="text" rows="2" { (typed("note", "text", "")) } }
                    button type="submit" { (tr(lang, "添加备注", "Add note")) }
                }
                @if open {
                    form method="post" action=(format!("/desk/{id}/reschedule")) {
                        input type="hidden" name="csrf" value=(p.csrf());
                        label.inline { (tr(lang, "时限", "Clock")) " " select name="clock" { @for c in clocks.iter().filter(|c| matches!(c.state, ClockState::Running | ClockState::Paused)) { option value=(c.kind.as_str()) { (c.kind.label(lang)) } } } }
                        " " label.inline { (tr(lang, "新期限", "New due time")) " " input type="datetime-local" name="due_at" required value=(typed("reschedule", "due_at", "")); }
                        " " label.inline { (tr(lang, "理由（记入审计日志）", "Reason (audited)")) " " input name="reason" required value=(typed("reschedule", "reason", "")); }
                        " " button type="submit" { (tr(lang, "调整期限", "Change due time")) }
                        (field_error(lang, error_for("reschedule"), "due_at"))
                    }
                    form method="post" action=(format!("/desk/{id}/withdraw")) {
                        input type="hidden" name="csrf" value=(p.csrf());
                        label.inline { (tr(lang, "撤诉理由", "Why withdrawn")) " " input name="reason" required value=(typed("withdraw", "reason", "")); }
                        " " button.danger type="submit" data-confirm=(tr(lang, "确认消费者已撤诉并结案？", "Close as withdrawn?")) { (tr(lang, "撤诉结案", "Withdrawn")) }
                    }
                } @else {
                    form method="post" action=(format!("/desk/{id}/reopen")) {
                        input type="hidden" name="csrf" value=(p.csrf());
                        label.inline { (tr(lang, "重新打开的理由", "Why reopen")) " " input name="reason" required value=(typed("reopen", "reason", "")); }
                        " " button type="submit" { (tr(lang, "重新打开", "Reopen")) }
                    }
                }
            }
        }
        p { a href=(format!("/desk/{id}/evidence")) data-testid="evidence-link" { (tr(lang, "查看本案证据（直播记录、话术、商品资料、审计记录）", "Evidence (live records, script, product facts, audit entries)")) } " · " a href="/desk" { (tr(lang, "← 返回队列", "← Back to the queue")) } }
    };
    let status = match &failed {
        Some((_, e)) => e.parts().0,
        None => axum::http::StatusCode::OK,
    };
    let title = format!("{}{}", tr(lang, "投诉案件 #", "Case #"), case.id);
    (status, page(lang, &title, Some(p), body)).into_response()
}

fn verb_button(p: &Principal, id: i64, verb: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(format!("/desk/{id}/{verb}")) {
            input type="hidden" name="csrf" value=(p.csrf());
            button type="submit" data-verb=(verb) { (label) }
        }
    }
}

/// `GET /desk/import`
pub(crate) async fn import_form(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    import_view(&state, &p, lang, &[], None, None).await
}

/// `POST /desk/import`: `action` = `preview` or `import`.
pub(crate) async fn import_submit(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    use super::import::{FIELDS, ImportInput, Mapping};
    let has_columns = fields.iter().any(|(n, _)| n.starts_with("col_"));
    let mapping = has_columns.then(|| Mapping {
        columns: FIELDS
            .iter()
            .filter_map(|(f, _, _)| opt(&fields, &format!("col_{f}")).map(|h| (f.to_string(), h)))
            .collect(),
        kind: opt(&fields, "default_kind"),
        topic: opt(&fields, "default_topic"),
    });
    let input = ImportInput {
        file_base64: field(&fields, "file_base64").to_string(),
        file_name: field(&fields, "file_name").to_string(),
        mapping_name: field(&fields, "mapping_name").to_string(),
        mapping,
        save_mapping: field(&fields, "save_mapping") == "yes",
        commit: field(&fields, "action") == "import",
        import_valid: field(&fields, "import_valid") == "yes",
    };
    match super::import::run(&state, &p, &input).await {
        Ok(report) => import_view(&state, &p, lang, &fields, Some(report), None).await,
        Err(e) => import_view(&state, &p, lang, &fields, None, Some(e)).await,
    }
}

async fn import_view(
    state: &AppState,
    p: &Principal,
    lang: Lang,
    f: &Fields,
    report: Option<super::import::ImportReport>,
    e: Option<ApiError>,
) -> Response {
    use super::import::FIELDS;
    if let Err(e) = p.require(Permission::WorkCases) {
        return error_page(lang, Some(p), e);
    }
    let names = state.store.import_mapping_names().await.unwrap_or_default();
    let mapping_name = if f.is_empty() {
        "抖店售后单".to_string()
    } else {
        field(f, "mapping_name").to_string()
    };
    let body = html! {
        @if let Some(e) = &e { (error_box(&format!("{}{}", tr(lang, "未导入：", "Not imported: "), crate::ui::error_text(lang, e)))) }
        @if let Some(r) = &report {
            @if r.committed {
                p.ok data-testid="import-done" { (tr(lang, "已导入 ", "Imported ")) (r.created) (tr(lang, " 个新案件", " new cases")) @if r.duplicates > 0 { (tr(lang, "；", "; ")) (r.duplicates) (tr(lang, " 行此前已导入，未重复登记", " rows were imported before and were not added again")) } @if r.invalid > 0 { (tr(lang, "；跳过有误的 ", "; skipped ")) (r.invalid) (tr(lang, " 行", " rows with errors")) } "。" " " a href="/desk" { (tr(lang, "查看队列", "See the queue")) } }
            } @else {
                p class=(if r.invalid > 0 { "error" } else { "ok" }) data-testid="import-preview" {
                    (tr(lang, "预览：共 ", "Preview: ")) (r.rows) (tr(lang, " 行，可导入 ", " rows, ")) (r.valid - r.duplicates.min(r.valid)) (tr(lang, " 行新案件", " new cases"))
                    @if r.duplicates > 0 { (tr(lang, "，", ", ")) (r.duplicates) (tr(lang, " 行此前已导入", " imported before")) }
                    @if r.invalid > 0 { (tr(lang, "，", ", ")) strong { (r.invalid) (tr(lang, " 行有误", " with errors")) } }
                    (tr(lang, "。尚未保存任何内容。", ". Nothing is stored yet."))
                }
            }
            @if !r.errors.is_empty() {
                table data-testid="import-errors" {
                    thead { tr { th { (tr(lang, "行", "Row")) } th { (tr(lang, "列", "Column")) } th { (tr(lang, "问题", "Problem")) } } }
                    tbody { @for x in &r.errors { tr.overdue { td { (x.row) } td { (x.column) } td { (x.message) } } } }
                }
                @if r.invalid > r.errors.len() { p.muted { (tr(lang, "仅列出前 ", "First ")) (r.errors.len()) (tr(lang, " 条。", " listed.")) } }
            }
            @if !r.committed && !r.sample.is_empty() {
                h3 { (tr(lang, "将导入的前几行", "The first rows to import")) }
                table {
                    thead { tr { th { (tr(lang, "单号", "Reference")) } th { (tr(lang, "消费者发出时间", "Received")) } th { (tr(lang, "类型 / 问题", "Kind / topic")) } th { (tr(lang, "反映的问题", "Summary")) } } }
                    tbody { @for s in &r.sample { tr {
                        td { (s["external_ref"].as_str().unwrap_or("").chars().take(24).collect::<String>()) }
                        td { (s["received_at"].as_str().and_then(|t| Stamp::parse(t).ok()).map(|t| when(lang, t)).unwrap_or_default()) }
                        td { (s["kind"].as_str().and_then(|k| k.parse::<CaseKind>().ok()).map(|k| k.label(lang)).unwrap_or("")) br; small { (s["topic"].as_str().and_then(|k| k.parse::<CaseTopic>().ok()).map(|k| k.label(lang)).unwrap_or("")) } }
                        td { (s["summary"].as_str().unwrap_or("")) }
                    } } }
                }
            }
        }
        form method="post" action="/desk/import" data-testid="import-form" {
            input type="hidden" name="csrf" value=(p.csrf());
            label { (tr(lang, "平台导出的售后单或投诉单（CSV 或 .xlsx）", "A platform's exported list (CSV or .xlsx)")) " "
                input type="file" accept=".csv,.xlsx" data-into="file_base64" data-name-into="file_name";
                input type="hidden" name="file_base64" value=(field(f, "file_base64"));
                input type="hidden" name="file_name" value=(field(f, "file_name"));
                @if !field(f, "file_name").is_empty() { " " span.muted { (tr(lang, "已选：", "chosen: ")) (field(f, "file_name")) } }
                (field_error(lang, e.as_ref(), "file_base64"))
            }
            label { (tr(lang, "导入来源名称（字段映射按此名称保存，重复导入按此去重）", "Source name (the mapping is saved under it; re-imports are deduplicated by it)")) " "
                input name="mapping_name" list="mapping-names" required maxlength="50" value=(mapping_name);
                datalist id="mapping-names" { @for n in &names { option value=(n) {} } }
                (field_error(lang, e.as_ref(), "mapping_name"))
            }
            @if let Some(r) = &report {
                fieldset data-testid="mapping" {
                    legend { (tr(lang, "字段映射（哪一列对应哪一项）", "Column mapping")) }
                    @for (fname, zh, _) in FIELDS {
                        label.inline style="display:inline-block;min-width:16em;margin:.2rem .8rem .2rem 0" { (zh) " "
                            select name=(format!("col_{fname}")) {
                                option value="" { (tr(lang, "（不导入）", "(none)")) }
                                @for h in &r.headers { option value=(h) selected[r.mapping.columns.get(*fname) == Some(h)] { (h) } }
                            }
                        }
                    }
                    br;
                    label.inline { (tr(lang, "没有类型列时按", "Kind when no column gives it")) " " select name="default_kind" { @for k in CaseKind::ALL { option value=(k.as_str()) selected[r.mapping.kind.as_deref().unwrap_or("after_sales") == k.as_str()] { (k.label(lang)) } } } }
                    " "
                    label.inline { (tr(lang, "无法识别问题类别时按", "Topic when not recognised")) " " select name="default_topic" { @for t in CaseTopic::ALL { option value=(t.as_str()) selected[r.mapping.topic.as_deref().unwrap_or("other") == t.as_str()] { (t.label(lang)) } } } }
                    label { input type="checkbox" name="save_mapping" value="yes" checked; " " (tr(lang, "保存此映射，下次同名导入自动使用", "save this mapping for the next import of this source")) }
                }
                @if r.invalid > 0 { label { input type="checkbox" name="import_valid" value="yes"; " " (tr(lang, "只导入无误的行（有误的行不导入）", "import the valid rows only")) } }
            }
            (field_error(lang, e.as_ref(), "mapping"))
            button type="submit" name="action" value="preview" { (tr(lang, "预览并逐行校验", "Preview and check every row")) } " "
            @if report.as_ref().is_some_and(|r| !r.committed) { button type="submit" name="action" value="import" data-testid="import-commit" { (tr(lang, "确认导入", "Import")) } }
        }
        p.muted { (tr(lang, "示例文件：testdata/desk/aftersales-export.csv（含一行故意写错的日期）。", "Sample: testdata/desk/aftersales-export.csv (one row has a wrong date on purpose).")) }
    };
    let status = match &e {
        Some(e) => e.parts().0,
        None => axum::http::StatusCode::OK,
    };
    (
        status,
        page(
            lang,
            tr(lang, "导入售后单 / 投诉单", "Import an export"),
            Some(p),
            body,
        ),
    )
        .into_response()
}

/// A product disclosure's Chinese name.
fn disclosure_zh(d: liveguard_screen::product::Disclosure) -> &'static str {
    use liveguard_screen::product::Disclosure::*;
    match d {
        Ingredients => "成分 / 配料",
        SuitableFor => "适用人群",
        Usage => "使用方法",
        Warnings => "注意事项",
        ShelfLife => "保质期",
        AfterSales => "售后服务",
    }
}

/// `GET /desk/{id}/evidence`: what the consumer was told — the live session's
/// speech, screen text and comments around the case, its alerts and promises, the approved
/// script it ran on, the product's disclosures and price history, the session's lotteries —
/// and the case's own audit entries, for the dispute.
pub(crate) async fn evidence(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
) -> Response {
    let load = async {
        p.require(Permission::ViewCases)?;
        let case = state.store.case(id).await?;
        let session = match case.session_id {
            Some(s) => Some(state.store.live_session(s).await?),
            None => None,
        };
        let (events, alerts, tasks, lotteries) = match &session {
            Some(s) => {
                let from = case.comment_event_id.map(|c| (c - 15).max(0)).unwrap_or(0);
                let events = state.store.live_events(s.id, from, 200).await?;
                let alerts = state.store.live_alerts(s.id, None, 100).await?;
                let tasks = state.store.live_tasks(s.id).await?;
                let lotteries: Vec<_> = state
                    .store
                    .lotteries()
                    .await?
                    .into_iter()
                    .filter(|l| l.session_id == Some(s.id))
                    .collect();
                (events, alerts, tasks, lotteries)
            }
            None => Default::default(),
        };
        let product = match case.product_id {
            Some(pid) => Some(state.store.product(pid).await?),
            None => None,
        };
        let entries = service::case_entries(&state, id).await?;
        Ok::<_, ApiError>((
            case, session, events, alerts, tasks, lotteries, product, entries,
        ))
    };
    let (case, session, events, alerts, tasks, lotteries, product, entries) = match load.await {
        Ok(v) => v,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let snapshot: Option<liveguard_pipeline::SessionSnapshot> = session
        .as_ref()
        .and_then(|s| serde_json::from_str(&s.data).ok());
    let facts: Option<liveguard_screen::product::Product> = product
        .as_ref()
        .and_then(|r| serde_json::from_str(&r.data).ok());
    let object = format!("case:{id}");
    let body = html! {
        p { a href=(format!("/desk/{id}")) { (tr(lang, "← 返回案件", "← Back to the case")) } " · " (tr(lang, "本页汇总消费者当时被告知的内容，供争议处理与向监管部门说明时使用（实施条例第十四条）。打印本页即可留存纸面版本。", "What the consumer was told, gathered for the dispute (实施条例 Art. 14). Print this page to keep a paper copy.")) }
        div.card {
            h3 { (tr(lang, "案件", "Case")) " #" (case.id) }
            p { (case.kind.label(lang)) " · " (case.topic.label(lang)) " · " (tr(lang, "消费者发出时间 ", "received ")) (when(lang, case.received_ms)) }
            p.text { (case.summary) }
            @let promises: Vec<String> = serde_json::from_str(&case.promises).unwrap_or_default();
            @if !promises.is_empty() { p { strong { (tr(lang, "消费者提到的承诺：", "Promises the consumer refers to: ")) } (promises.join("；")) } }
        }
        @if let Some(s) = &session {
            div.card data-testid="evidence-session" {
                h3 { (tr(lang, "直播场次", "Live session")) "：" a href=(format!("/live/{}", s.id)) { (s.title) } }
                @if let Some(script) = snapshot.as_ref().and_then(|x| x.script.as_ref()) {
                    p data-testid="evidence-script" { (tr(lang, "本场使用的已批准话术：", "Approved script used: ")) a href=(format!("/reviews/{}", script.submission_id)) { (tr(lang, "审核 #", "submission #")) (script.submission_id) " v" (script.version) } }
                } @else { p.muted { (tr(lang, "本场没有关联已批准的话术。", "No approved script was attached to this session.")) } }
                @if let Some(x) = &snapshot { @if !x.lineup.is_empty() {
                    p { (tr(lang, "排期中的直播价：", "Planned live prices: ")) @for l in &x.lineup { "¥" (format!("{:.2}", l.price_fen as f64 / 100.0)) " " } }
                } }
                h4 { (tr(lang, "口播、画面文字与评论", "Speech, screen text and comments")) }
                @if events.is_empty() { p.muted { (tr(lang, "本场暂无记录（尚未开播或记录已过保留期）。", "Nothing recorded (not on air yet, or past retention).")) } }
                @else {
                    table data-testid="evidence-events" { tbody {
                        @for e in &events {
                            @let x = serde_json::from_str::<liveguard_live::Processed>(&e.body).ok();
                            tr class=(if Some(e.id) == case.comment_event_id { "overdue" } else { "" }) {
                                td { (e.at_ms.beijing_clock()) }
                                td { (crate::ui::labels::event_kind(lang, &e.kind).unwrap_or(tr(lang, "事件", "event"))) }
                                td {
                                    @if let Some(x) = &x { @if let Some(t) = &x.text { (crate::ui::highlight(t, &x.findings)) } }
                                    @if let Some(x) = &x { @if let Some(pr) = x.price_fen { " ¥" (format!("{:.2}", pr as f64 / 100.0)) } }
                                    @if Some(e.id) == case.comment_event_id { " " span.badge.b-info { (tr(lang, "本案来源评论", "this case's comment")) } }
                                }
                            }
                        }
                    } }
                }
                h4 { (tr(lang, "告警", "Alerts")) }
                @if alerts.is_empty() { p.muted { (tr(lang, "无", "none")) } }
                @for a in &alerts { p { span class=(format!("badge b-{}", a.severity)) { (a.severity.label(lang)) } " " (a.summary) " " small.muted { (when(lang, a.created_ms)) } } }
                h4 { (tr(lang, "直播中的承诺（跟进事项）", "Promises said on air (follow-ups)")) }
                @if tasks.is_empty() { p.muted { (tr(lang, "无", "none")) } }
                @for t in &tasks { p { "「" (t.said) "」 " (t.state.label(lang)) @if let Some(n) = &t.note { " · " (n) } } }
                @if !lotteries.is_empty() {
                    h4 { (tr(lang, "本场抽奖", "Lotteries of the session")) }
                    @for l in &lotteries { p { (l.title) " · " (l.state.label(lang)) " · " a href=(format!("/public/lotteries/{}/verify", l.id)) { (tr(lang, "公开核验页", "public verification")) } } }
                }
            }
        }
        @if let (Some(pr), Some(f)) = (&product, &facts) {
            div.card data-testid="evidence-product" {
                h3 { (tr(lang, "商品资料", "Product facts")) "：" (pr.name) }
                @for (d, text) in &f.disclosures { p { strong { (disclosure_zh(*d)) "：" } (text) } }
                p { (tr(lang, "七日无理由退货：", "7-day return: ")) (match f.seven_day_return { Some(true) => tr(lang, "适用", "applies"), Some(false) => tr(lang, "不适用", "does not apply"), None => "—" }) @if let Some(x) = &f.return_exception { "（" (x) "）" } }
                @if !f.price_history.is_empty() {
                    p { (tr(lang, "成交价记录：", "Transaction prices: "))
                        @for (day, fen) in &f.price_history { (when(lang, Stamp::from_ms(i64::from(*day) * 86_400_000)).split(' ').next().unwrap_or("")) " ¥" (format!("{:.2}", *fen as f64 / 100.0)) "；" }
                    }
                }
            }
        }
        div.card data-testid="evidence-audit" {
            h3 { (tr(lang, "本案的审计记录", "The case's audit entries")) }
            p.muted { (tr(lang, "每条记录可在审计日志中取得包含证明，离线验证未被改动。", "Each entry's inclusion proof is available from the audit log and verifies offline.")) " " a href=(format!("/audit?object={}", crate::ui::query_escape(&object))) { (tr(lang, "在审计日志中查看", "Open in the audit log")) } }
            table { tbody {
                @for e in entries.iter().rev() {
                    tr { td { "#" (e.seq) } td { (Stamp::parse(&e.time).map(|t| when(lang, t)).unwrap_or_default()) } td { (e.actor) } td { (audit_action(lang, &e.action).unwrap_or(tr(lang, "其他操作", "other"))) } }
                }
            } }
        }
    };
    let title = format!("{}{}", tr(lang, "案件证据 #", "Evidence, case #"), id);
    page(lang, &title, Some(&p), body).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_in_yuan_become_fen_or_a_named_error() {
        assert_eq!(super::yuan_to_fen("99").unwrap(), Some(9_900));
        assert_eq!(super::yuan_to_fen("¥99.9").unwrap(), Some(9_990));
        assert_eq!(super::yuan_to_fen("1,299.05").unwrap(), Some(129_905));
        assert_eq!(super::yuan_to_fen(" ").unwrap(), None);
        assert!(super::yuan_to_fen("9.999").is_err());
        assert!(super::yuan_to_fen("abc").is_err());
        assert!(super::yuan_to_fen("-5").is_err());
    }

    #[test]
    fn every_topic_has_a_chinese_reply_template() {
        for t in liveguard_core::CaseTopic::ALL {
            assert!(super::template(*t).starts_with("您好"));
        }
    }
}
