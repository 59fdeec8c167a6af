//! The dashboard page: tiles with today's counts (each a link to its queue), the reviews
//! waiting for this person, the sessions planned or on air, and the week's charts.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use liveguard_core::SessionState;
use liveguard_review::versions::Urgency;
use maud::html;

use super::service;
use crate::AppState;
use crate::http::auth::UiPrincipal;
use crate::http::extract::PageLang;
use crate::http::perms::Permission;
use crate::ui::labels::stage;
use crate::ui::{
    Label, Lang, bar_chart, column_chart, error_page, page, role_label, stat_tile, tr, when,
};

/// How many of the reviews waiting for this person are listed (the tile has the count).
const LISTED: usize = 8;

fn day_label(lang: Lang, day: liveguard_store::Stamp) -> String {
    let b = day.time().to_offset(liveguard_core::clock::BEIJING);
    match lang {
        Lang::Zh => format!("{}月{}日", u8::from(b.month()), b.day()),
        Lang::En => format!("{:02}-{:02}", u8::from(b.month()), b.day()),
    }
}

/// `GET /`
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    let t = match service::today(&state, &p).await {
        Ok(t) => t,
        Err(e) => return error_page(lang, Some(&p), e),
    };
    let audit = if p.can(Permission::ViewAudit) {
        state.store.audit_size().await.ok()
    } else {
        None
    };
    let now = state.store.now();
    let reviews = p.can(Permission::ViewReviews);
    let by_stage: Vec<(String, i64)> = t
        .by_stage
        .iter()
        .map(|(code, n)| (stage(lang, code).unwrap_or("?").to_string(), *n))
        .collect();
    let trend: Vec<(String, i64)> = t
        .alerts_per_day
        .iter()
        .map(|(day, n)| (day_label(lang, *day), *n))
        .collect();
    let body = html! {
        p { (tr(lang, "欢迎，", "Welcome, ")) (p.user.display_name) "（" (role_label(lang, p.user.role)) "）· " (tr(lang, "现在是北京时间 ", "Beijing time now: ")) (when(lang, now)) }
        div.tiles data-testid="today" {
            @if reviews {
                (stat_tile(tr(lang, "待我审核", "awaiting my review"), t.awaiting_me.len() as i64, "/reviews?show=awaiting", true))
                (stat_tile(tr(lang, "已逾期审核", "overdue reviews"), t.overdue as i64, "/reviews?show=overdue", true))
                @if p.can(Permission::Submit) { (stat_tile(tr(lang, "我的草稿与退回", "my drafts and returns"), t.mine_to_fix as i64, "/reviews?show=mine", true)) }
                @if let Some(n) = t.notifications { (stat_tile(tr(lang, "新通知", "new notifications"), n as i64, "/notifications", true)) }
            }
            @if let Some(w) = t.live {
                (stat_tile(tr(lang, "直播中场次", "sessions on air"), w.live_sessions, "/live", false))
                (stat_tile(tr(lang, "未确认告警", "alerts not acknowledged"), w.open_alerts, "/live", true))
                (stat_tile(tr(lang, "已升级告警", "escalated alerts"), w.escalated_alerts, "/live", true))
                (stat_tile(tr(lang, "待跟进承诺", "open follow-ups"), w.open_tasks, "/live", true))
            }
            @if let Some(d) = &t.desk {
                (stat_tile(tr(lang, "投诉已超期", "overdue cases"), d.overdue, "/desk", true))
                (stat_tile(tr(lang, "投诉即将到期", "cases due soon"), d.warning, "/desk", true))
                (stat_tile(tr(lang, "未结投诉案件", "open cases"), d.open, "/desk", false))
                @if matches!(p.user.role, liveguard_core::Role::Legal | liveguard_core::Role::ComplianceLead) { (stat_tile(tr(lang, "惩罚性赔偿风险案件", "cases with punitive-damages exposure"), d.exposure, "/desk?exposure=true", true)) }
            }
            @if let Some(n) = t.awaiting_claims { (stat_tile(tr(lang, "待领取奖品", "prizes not yet claimed"), n, "/lotteries", true)) }
        }
        @if reviews {
            div.card data-testid="awaiting-me" {
                h3 { (tr(lang, "待我审核", "Awaiting my review")) }
                @if t.awaiting_me.is_empty() {
                    p.muted { (tr(lang, "没有等待您审核的内容。", "Nothing is waiting for you.")) }
                } @else {
                    table {
                        tr { th { (tr(lang, "标题", "Title")) } th { (tr(lang, "阶段", "Stage")) } th { (tr(lang, "提交人", "Author")) } th { (tr(lang, "截止", "Due")) } }
                        @for i in t.awaiting_me.iter().take(LISTED) {
                            tr class=[(i.urgency == Some(Urgency::Overdue)).then_some("overdue")] {
                                td { a href=(format!("/reviews/{}", i.id)) { (i.title) } }
                                td { (stage(lang, &i.stage).unwrap_or("?")) }
                                td { (i.author) }
                                td {
                                    @if let Some(due) = i.due.as_deref().and_then(|d| liveguard_store::Stamp::parse(d).ok()) { (when(lang, due)) }
                                    @match i.urgency { Some(Urgency::Overdue) => { " " span.badge.b-block { (tr(lang, "已逾期", "overdue")) } }, Some(Urgency::DueSoon) => { " " span.badge.b-review { (tr(lang, "24 小时内到期", "due within 24 h")) } }, _ => {} }
                                }
                            }
                        }
                    }
                    @if t.awaiting_me.len() > LISTED { p { a href="/reviews?show=awaiting" { (tr(lang, "查看全部", "See all")) " (" (t.awaiting_me.len()) ")" } } }
                }
            }
        }
        @if p.can(Permission::ViewLive) {
            div.card data-testid="sessions" {
                h3 { (tr(lang, "直播场次（未结束）", "Sessions not yet ended")) }
                @if t.sessions.is_empty() {
                    p.muted { (tr(lang, "没有待开播或直播中的场次。", "No session is planned or on air.")) }
                } @else {
                    table {
                        @for s in &t.sessions {
                            @let snap = serde_json::from_str::<liveguard_pipeline::SessionSnapshot>(&s.data).ok();
                            tr {
                                td { a href=(format!("/live/{}", s.id)) { (s.title) } }
                                td { @if s.state == SessionState::Live { span.badge.b-block { (s.state.label(lang)) } } @else { (s.state.label(lang)) } }
                                td { @match snap.as_ref().and_then(|n| n.script.as_ref()) {
                                    Some(sc) => { span.badge.b-pass { (tr(lang, "话术已审定", "script approved")) } " " small.muted { "#" (sc.submission_id) " v" (sc.version) } },
                                    None => { span.badge.b-review { (tr(lang, "无已审定话术", "no approved script")) } },
                                } }
                                td { @match snap.as_ref().and_then(|n| n.starts_at.as_deref()).and_then(|a| liveguard_store::Stamp::parse(a).ok()) { Some(at) => (when(lang, at)), None => "—" } }
                            }
                        }
                    }
                }
            }
        }
        div.charts {
            @if p.can(Permission::ViewLive) {
                div.card data-testid="alert-trend" { (column_chart(lang, tr(lang, "近 7 天每日告警数", "Alerts per day, last 7 days"), &trend)) }
            }
            @if reviews {
                div.card data-testid="review-stages" { (bar_chart(lang, tr(lang, "审核内容按阶段", "Submissions by stage"), &by_stage)) }
            }
        }
        h3 { (tr(lang, "功能入口", "Where to go")) }
        div.grid {
            @if p.can(Permission::Scan) {
                div.card { h3 { a href="/scan" { (tr(lang, "合规扫描", "Screen text")) } } p.muted { (tr(lang, "粘贴话术、商品文案或评论，查看违规用语、法条依据和修改建议。", "Paste a script, product copy or comments: see regulated wording, the law article and what to write instead.")) } }
            }
            @if reviews { div.card { h3 { a href="/reviews" { (tr(lang, "开播前审核", "Pre-broadcast review")) } } p.muted { (tr(lang, "话术、商品文案与宣传图：机器筛查后经 初审 → 复审 → 终审，批准版本冻结。", "Scripts, product copy and promo images: screened, then first → second → final review; the approved version is frozen.")) } } }
            @if p.can(Permission::ViewLive) { div.card { h3 { a href="/live" { (tr(lang, "直播监控", "Live monitoring")) } } p.muted { (tr(lang, "口播、画面文字与评论实时筛查：偏离话术、价格不一致、承诺跟进，告警秒级送达场控。", "Speech, on-screen text and comments screened live: drift from the script, price mismatches, promises to honour; alerts reach the duty officer within a second.")) } } }
            @if p.can(Permission::ViewLive) { div.card { h3 { a href="/lotteries" { (tr(lang, "可验证抽奖", "Verifiable lotteries")) } } p.muted { (tr(lang, "规则先承诺、名单再承诺、公开随机数开奖，任何人可离线验证。", "Rules committed, entrants committed, drawn with public randomness; anyone can verify offline.")) } } }
            @if let Some(n) = audit {
                div.card { h3 { a href="/audit" { (tr(lang, "审计日志", "Audit log")) } } p { (n) " " (tr(lang, "条记录，均由签名检查点保护。", "entries, protected by signed checkpoints.")) } }
            }
        }
    };
    page(lang, tr(lang, "工作台", "Dashboard"), Some(&p), body).into_response()
}
