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
use crate::ui::{error_page, lang_of, page, tr};

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
