//! The public verification page of a lottery: what was committed, who won, and whether a
//! viewer's entrant code was in the draw. No account needed (issue 6).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use liveguard_lottery::{Bundle, Entrants, LotteryRules};
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::ui::{csrf_refusal, error_page, form_field, lang_of, page, tr};

/// Query of the page.
#[derive(Debug, Deserialize)]
pub(crate) struct CodeQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `GET /public/lotteries/{id}/verify`
pub(crate) async fn verify_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let row = match state.store.lottery(id).await {
        Ok(r) if r.state != "draft" => r,
        Ok(_) => return error_page(lang, None, ApiError::NotFound),
        Err(e) => return error_page(lang, None, e.into()),
    };
    let Ok(rules) = serde_json::from_str::<LotteryRules>(&row.rules) else {
        return error_page(
            lang,
            None,
            ApiError::Internal(format!("lottery {id} rules")),
        );
    };
    let entrants: Option<Entrants> = row
        .entrants
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());
    let bundle: Option<Bundle> = row
        .bundle
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok());
    let round =
        liveguard_lottery::time_of(&rules.draw_at).map(liveguard_lottery::quicknet_round_at);
    let code = q
        .code
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    let check = code.as_ref().map(|c| {
        let valid = c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit());
        match (&entrants, valid) {
            (_, false) => Err(tr(
                lang,
                "参与者编码应为64位十六进制",
                "An entrant code is 64 hex digits",
            )),
            (None, true) => Err(tr(
                lang,
                "报名尚未截止，名单未提交",
                "Entry has not closed yet",
            )),
            (Some(e), true) => Ok(match liveguard_lottery::inclusion_proof(e, c) {
                Some((index, size, _)) => format!(
                    "{} #{index} / {size}",
                    tr(lang, "在抽奖名单中：", "In the draw: position")
                ),
                None => match e.removals.iter().find(|r| &r.code == c) {
                    Some(r) => format!(
                        "{}{}",
                        tr(lang, "未计入抽奖：", "Not in the draw: "),
                        r.reason
                    ),
                    None => tr(lang, "不在抽奖名单中", "Not in the draw").to_string(),
                },
            }),
        }
    });
    let body = html! {
        div.card {
            p { (tr(lang, "举办者：", "Organiser: ")) (rules.organiser) " · " (rules.contact) }
            table { thead { tr { th { (tr(lang, "奖品", "Prize")) } th { (tr(lang, "价值", "Value")) } th { (tr(lang, "数量", "Quantity")) } } }
                tbody { @for p in &rules.prizes { tr { td { (p.name) } td { "¥" (p.unit_value_fen / 100) "." (format!("{:02}", p.unit_value_fen % 100)) } td { (p.quantity) } } } } }
            p { (tr(lang, "参与方式：", "How to enter: ")) (rules.entry.method) @if let Some(k) = &rules.entry.keyword { " · " (k) } }
            p { (tr(lang, "开奖时间：", "Draw time: ")) (rules.draw_at) " · " (tr(lang, "开奖方式：", "Method: ")) (rules.draw_method)
                @if rules.draw_method == "drand-quicknet" { @if let Some(r) = round { " · drand quicknet " (tr(lang, "轮次 ", "round ")) (r) } } }
            p { (tr(lang, "规则摘要（SHA-256）：", "Rules digest (SHA-256): ")) code data-testid="rules-digest" { (row.rules_digest) } }
            @if let Some(e) = &entrants { p { (tr(lang, "抽奖名单：", "Entrants: ")) (e.codes.len()) (tr(lang, " 人，默克尔根 ", ", Merkle root ")) code { (e.root) } } }
        }
        @if let Some(b) = &bundle {
            div.card data-testid="winners" {
                h3 { (tr(lang, "中奖名单（参与者编码）", "Winners (entrant codes)")) }
                table { @for w in &b.winners { tr { td { (w.prize) } td { code { (w.code) } } } } }
                p.muted { (tr(lang, "随机种子：", "Seed: ")) code { (b.seed) } }
                p { a href=(format!("/public/lotteries/{id}/bundle.json")) download=(format!("lottery-{id}.json")) { (tr(lang, "下载证明包", "Download the proof bundle")) }
                    " · " (tr(lang, "离线验证：", "Verify offline: ")) code { "liveguard lottery verify lottery-" (id) ".json" } }
            }
        }
        div.card {
            h3 { (tr(lang, "查询我是否在抽奖名单中", "Check that I was in the draw")) }
            form method="get" { input name="code" size="70" placeholder=(tr(lang, "粘贴您的参与者编码", "Paste your entrant code")) value=(code.clone().unwrap_or_default()); " " input type="submit" value=(tr(lang, "查询", "Check")); }
            @match &check {
                Some(Ok(m)) => p.ok data-testid="inclusion" { (m) },
                Some(Err(m)) => p.error data-testid="inclusion" { (m) },
                None => {},
            }
        }
    };
    let title = format!(
        "{} · {}",
        rules.title,
        tr(lang, "抽奖公示与验证", "lottery verification")
    );
    page(lang, &title, None, body).into_response()
}

use axum::Form;
use maud::Markup;

use crate::api::ApiJson;
use crate::auth::{ApiPrincipal, UiPrincipal};
use crate::lottery_api::{self, DrawBody, EntrantsBody, NewLotteryBody};
use crate::perms::Permission;

/// A filled-in example the form starts from.
const RULES_TEMPLATE: &str = r#"{
  "title": "直播间福袋",
  "organiser": "示例电子商务有限公司",
  "contact": "400-000-0000",
  "prizes": [{"name": "水润修护面霜 50g", "kind": "goods", "unit_value_fen": 39900, "quantity": 3}],
  "entry": {"method": "comment_keyword", "keyword": "想要面霜", "chances_per_entry": 1},
  "exclusions": ["员工、主播、MCN 及其关联账号"],
  "entry_opens_at": "2026-12-01T20:10:00+08:00",
  "entry_closes_at": "2026-12-01T20:20:00+08:00",
  "draw_at": "2026-12-01T20:21:00+08:00",
  "draw_method": "drand-quicknet",
  "dedupe": "同一账号多次评论只计一次（以第一次为准）",
  "redemption": "中奖后7日内通过直播间私信填写收货信息",
  "redemption_deadline": "2026-12-08T23:59:59+08:00",
  "unclaimed": "逾期未填写视为放弃，奖品不再补发",
  "delivery": "快递包邮"
}"#;

fn state_label(lang: crate::ui::Lang, s: &str) -> &'static str {
    match s {
        "draft" => tr(lang, "草稿", "draft"),
        "committed" => tr(lang, "已承诺（报名中）", "committed (entry open)"),
        "closed" => tr(
            lang,
            "报名截止（名单已承诺）",
            "entry closed (entrants committed)",
        ),
        "drawn" => tr(lang, "已开奖", "drawn"),
        _ => "?",
    }
}

/// `GET /lotteries`: the operations list and the form to define a lottery.
pub(crate) async fn list(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    list_view(&state, &p, lang, None, RULES_TEMPLATE.to_string()).await
}

async fn list_view(
    state: &AppState,
    p: &crate::auth::Principal,
    lang: crate::ui::Lang,
    error: Option<ApiError>,
    rules_text: String,
) -> Response {
    if let Err(e) = p.require(Permission::ViewLive) {
        return error_page(lang, Some(p), e);
    }
    let (rows, sessions) = match (
        state.store.lotteries().await,
        state.store.live_sessions().await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, Some(p), e.into()),
    };
    let body = html! {
        @if let Some(e) = &error { (crate::ui::error_box(&e.to_string())) }
        table {
            thead { tr { th { "#" } th { (tr(lang, "抽奖", "Lottery")) } th { (tr(lang, "状态", "State")) } th { (tr(lang, "公示", "Public page")) } } }
            tbody { @for r in &rows { tr data-testid="lottery" {
                td { (r.id) } td { a href=(format!("/lotteries/{}", r.id)) { (r.title) } }
                td { (state_label(lang, &r.state)) }
                td { @if r.state != "draft" { a href=(format!("/public/lotteries/{}/verify", r.id)) { (tr(lang, "公示与验证", "verify")) } } }
            } } }
        }
        @if p.can(Permission::OperateLive) {
            div.card {
                h3 { (tr(lang, "新建抽奖", "New lottery")) }
                form method="post" action="/lotteries" {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label { (tr(lang, "直播场次", "Live session")) " " select name="session_id" { option value="" { "—" } @for s in &sessions { option value=(s.id) { "#" (s.id) " " (s.title) } } } }
                    label { (tr(lang, "抽奖规则（JSON，字段见 docs/lottery.md）", "Rules (JSON, fields in docs/lottery.md)")) textarea name="rules" rows="22" { (rules_text) } }
                    input type="submit" value=(tr(lang, "检查并保存为草稿", "Check and save as draft"));
                }
            }
        }
    };
    page(
        lang,
        tr(lang, "可验证抽奖", "Verifiable lotteries"),
        Some(p),
        body,
    )
    .into_response()
}

/// `POST /lotteries`
pub(crate) async fn create(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let lang = lang_of(&headers);
    if let Some(refused) = csrf_refusal(lang, &p, &fields) {
        return refused;
    }
    let text = form_field(&fields, "rules").unwrap_or("").to_string();
    let rules = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            return list_view(
                &state,
                &p,
                lang,
                Some(ApiError::field("rules", e.to_string())),
                text,
            )
            .await;
        }
    };
    let session_id = form_field(&fields, "session_id").and_then(|v| v.parse().ok());
    match lottery_api::create(
        State(state.clone()),
        ApiPrincipal(p.clone()),
        ApiJson(NewLotteryBody { session_id, rules }),
    )
    .await
    {
        Ok((_, axum::Json(v))) => {
            axum::response::Redirect::to(&format!("/lotteries/{}", v["id"])).into_response()
        }
        Err(e) => list_view(&state, &p, lang, Some(e), text).await,
    }
}

fn action_form(p: &crate::auth::Principal, id: i64, verb: &str, inner: Markup) -> Markup {
    html! { form method="post" action=(format!("/lotteries/{id}/{verb}")) { input type="hidden" name="csrf" value=(p.csrf()); (inner) } }
}

/// `GET /lotteries/{id}`: the lottery with the next step's form.
pub(crate) async fn detail(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    detail_view(&state, &p, lang, id, None).await
}

async fn detail_view(
    state: &AppState,
    p: &crate::auth::Principal,
    lang: crate::ui::Lang,
    id: i64,
    error: Option<ApiError>,
) -> Response {
    if let Err(e) = p.require(Permission::ViewLive) {
        return error_page(lang, Some(p), e);
    }
    let row = match state.store.lottery(id).await {
        Ok(r) => r,
        Err(e) => return error_page(lang, Some(p), e.into()),
    };
    let v = lottery_api::lottery_json(&row);
    let operate = p.can(Permission::OperateLive);
    let body = html! {
        @if let Some(e) = &error { (crate::ui::error_box(&e.to_string())) }
        div.card {
            p { (tr(lang, "状态：", "State: ")) span data-testid="lottery-state" { (state_label(lang, &row.state)) } }
            p { (tr(lang, "规则摘要：", "Rules digest: ")) code { (row.rules_digest) } @if row.state != "draft" { " · " a href=(format!("/public/lotteries/{id}/verify")) { (tr(lang, "公示与验证页", "public verification page")) } } }
            @if let Some(r) = v["drand_round"].as_u64() { p { "drand quicknet " (tr(lang, "开奖轮次：", "draw round: ")) (r) } }
            @if let Some(e) = v["entrants"].as_object() { p { (tr(lang, "参与者：", "Entrants: ")) (e["count"]) (tr(lang, "，已剔除 ", ", removed ")) (e["removed"]) } }
            pre.text { (serde_json::to_string_pretty(&v["rules"]).unwrap_or_default()) }
        }
        @if operate {
            div.card {
                @match row.state.as_str() {
                    "draft" => (action_form(p, id, "commit", html! { p { (tr(lang, "提交后规则摘要公开，报名开始后只能作有利于消费者的修改。", "Once committed the digest is public; after entry opens only changes in the consumers' favour are allowed.")) } input type="submit" value=(tr(lang, "提交承诺并公示", "Commit and publish")); })),
                    "committed" => (action_form(p, id, "entrants", html! {
                        p { (tr(lang, "截止报名：从本场直播含关键词的评论中取参与者（观众已为密钥摘要）。", "Close entry: take the entrants from this session's comments with the keyword (viewers are keyed digests).")) }
                        label { (tr(lang, "剔除名单（每行：观众摘要=原因）", "Exclusions (one per line: viewer digest=reason)")) textarea name="exclusions" rows="4" {} }
                        input type="submit" value=(tr(lang, "截止报名并承诺名单", "Close entry and commit the entrants"));
                    })),
                    "closed" => (action_form(p, id, "draw", html! {
                        p { (tr(lang, "填入开奖轮次的 drand 签名（由 drand 公共接口取得），系统会验证签名。", "Paste the drand signature of the draw round (from drand's public API); it is verified.")) }
                        label { (tr(lang, "签名（十六进制）", "Signature (hex)")) " " input name="signature" size="100"; }
                        input type="submit" value=(tr(lang, "开奖", "Draw"));
                    })),
                    _ => {
                        h3 { (tr(lang, "开奖公告", "Announcement")) }
                        pre.text data-testid="announcement" { (v["announcement"][if lang == crate::ui::Lang::En { "en" } else { "zh" }].as_str().unwrap_or("")) }
                    },
                }
            }
        }
    };
    page(lang, &row.title, Some(p), body).into_response()
}

/// `POST /lotteries/{id}/{verb}`: commit, entrants, draw.
pub(crate) async fn action(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((id, verb)): Path<(i64, String)>,
    headers: HeaderMap,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let lang = lang_of(&headers);
    if let Some(refused) = csrf_refusal(lang, &p, &fields) {
        return refused;
    }
    let api = ApiPrincipal(p.clone());
    let result = match verb.as_str() {
        "commit" => lottery_api::commit(State(state.clone()), api, Path(id))
            .await
            .map(|_| ()),
        "entrants" => {
            let exclusions = form_field(&fields, "exclusions")
                .unwrap_or("")
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(a, r)| (a.trim().to_string(), r.trim().to_string()))
                .filter(|(a, _)| !a.is_empty())
                .collect();
            let body = EntrantsBody {
                accounts: Vec::new(),
                from_session_comments: true,
                exclusions,
            };
            lottery_api::entrants(State(state.clone()), api, Path(id), ApiJson(body))
                .await
                .map(|_| ())
        }
        "draw" => match state.store.lottery(id).await {
            Ok(row) => {
                let round = lottery_api::lottery_json(&row)["drand_round"]
                    .as_u64()
                    .unwrap_or(0);
                let body = DrawBody {
                    randomness: liveguard_lottery::Randomness::Drand {
                        round,
                        signature: form_field(&fields, "signature")
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                    },
                };
                lottery_api::draw(State(state.clone()), api, Path(id), ApiJson(body))
                    .await
                    .map(|_| ())
            }
            Err(e) => Err(e.into()),
        },
        _ => Err(ApiError::NotFound),
    };
    match result {
        Ok(()) => axum::response::Redirect::to(&format!("/lotteries/{id}")).into_response(),
        Err(e) => detail_view(&state, &p, lang, id, Some(e)).await,
    }
}
