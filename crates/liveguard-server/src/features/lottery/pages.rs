//! The public verification page of a lottery: what was committed, who won, and whether a
//! viewer's entrant code was in the draw. No account needed (issue 6).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use liveguard_core::LotteryState;
use liveguard_lottery::{Bundle, Entrants, LotteryRules};
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{CsrfForm, PageLang};
use crate::ui::{error_page, form_field, lang_of, page, tr};

fn yuan(fen: i64) -> String {
    format!("¥{}.{:02}", fen / 100, fen % 100)
}

/// Every disclosure of the rules (《规范促销行为暂行规定》), as the public and the operators see it.
pub(crate) fn rules_summary(lang: crate::ui::Lang, rules: &LotteryRules) -> maud::Markup {
    let method = ENTRY_METHODS
        .iter()
        .find(|(m, ..)| *m == rules.entry.method)
        .map(|(_, zh, en)| tr(lang, zh, en))
        .unwrap_or("?");
    let kind = |k: &str| {
        PRIZE_KINDS
            .iter()
            .find(|(m, ..)| *m == k)
            .map(|(_, zh, en)| tr(lang, zh, en))
            .unwrap_or("?")
    };
    html! {
        table.disclosure data-testid="disclosure" {
            tr { th { (tr(lang, "举办者", "Organiser")) } td { (rules.organiser) " · " (rules.contact) } }
            tr { th { (tr(lang, "奖品", "Prizes")) } td { @for p in &rules.prizes { (p.name) " · " (kind(&p.kind)) " · " (yuan(p.unit_value_fen)) " × " (p.quantity) br; } } }
            tr { th { (tr(lang, "参与方式", "How to enter")) } td { (method) @if let Some(k) = &rules.entry.keyword { " · " (tr(lang, "关键词 ", "keyword ")) "「" (k) "」" } " · " (tr(lang, "每次参与机会 ", "chances per entry ")) (rules.entry.chances_per_entry) } }
            tr { th { (tr(lang, "不可参与", "Excluded")) } td { (rules.exclusions.join("；")) } }
            tr { th { (tr(lang, "重复参与", "Duplicates")) } td { (rules.dedupe) } }
            tr { th { (tr(lang, "报名时间", "Entry window")) } td { (at(lang, &rules.entry_opens_at)) " — " (at(lang, &rules.entry_closes_at)) } }
            tr { th { (tr(lang, "兑奖", "How to claim")) } td { (rules.redemption) " · " (tr(lang, "截止 ", "by ")) (at(lang, &rules.redemption_deadline)) } }
            tr { th { (tr(lang, "逾期未兑奖", "Unclaimed")) } td { (rules.unclaimed) } }
            tr { th { (tr(lang, "配送", "Delivery")) } td { (rules.delivery) } }
        }
    }
}

/// Query of the page.
#[derive(Debug, Deserialize)]
pub(crate) struct CodeQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    account: Option<String>,
}

/// `GET /public/lotteries/{id}/verify`
pub(crate) async fn verify_page(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<CodeQuery>,
    parts: axum::http::request::Parts,
) -> Response {
    let headers = parts.headers.clone();
    let lang = lang_of(&headers);
    let row = match state.store.lottery_meta(id).await {
        Ok(r) if r.state != LotteryState::Draft => r,
        Ok(_) => return error_page(lang, None, ApiError::NotFound),
        Err(e) => return error_page(lang, None, e.into()),
    };
    let docs = match service::cached_docs(&state, &row).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, None, e),
    };
    let Ok(rules) = serde_json::from_str::<LotteryRules>(&row.rules) else {
        return error_page(
            lang,
            None,
            ApiError::Internal(format!("lottery {id} rules")),
        );
    };
    let entrants: Option<&Entrants> = docs.entrants();
    let bundle: Option<&Bundle> = docs.bundle.as_deref();
    let round =
        liveguard_lottery::time_of(&rules.draw_at).map(liveguard_lottery::quicknet_round_at);
    let account = q
        .account
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    // A viewer who does not know their code finds it by the account they entered with.
    let mut lookup_note = None;
    let mut code = q
        .code
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    if let (Some(a), Some(e)) = (&account, entrants) {
        match service::lookup_allowed(&state, &parts)
            .and_then(|()| service::check_account(a))
            .and_then(|a| service::lookup_code(&state, e, a))
        {
            Ok(found) if found.code.is_some() => code = found.code,
            Ok(_) => {
                lookup_note = Some(tr(
                    lang,
                    "该账号未参与本次抽奖",
                    "This account did not enter this lottery",
                ))
            }
            Err(ApiError::RateLimited) => {
                lookup_note = Some(tr(
                    lang,
                    "查询过于频繁，请一分钟后再试",
                    "Too many lookups; try again in a minute",
                ))
            }
            Err(_) => {
                lookup_note = Some(tr(
                    lang,
                    "账号应为 1 至 128 字节",
                    "An account is 1 to 128 bytes",
                ))
            }
        }
    }
    let check = code.as_ref().map(|c| {
        let valid = c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit());
        match (entrants, valid) {
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
            (Some(e), true) => Ok(match docs.inclusion_proof(c) {
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
    // The answer a viewer came for, in words first; the codes and proofs follow below.
    let verdict = code.as_ref().filter(|c| c.len() == 64).and_then(|c| {
        let e = entrants?;
        let included = e.codes.binary_search(c).is_ok();
        let removed = e
            .removals
            .iter()
            .find(|r| &r.code == c)
            .map(|r| r.reason.clone());
        Some(match (bundle, included, removed) {
            (_, false, Some(reason)) => (
                false,
                format!("{}{reason}", tr(lang, "未计入抽奖：", "Not in the draw: ")),
            ),
            (_, false, None) => (
                false,
                tr(
                    lang,
                    "这个编码不在抽奖名单中。",
                    "This code is not in the draw.",
                )
                .to_string(),
            ),
            (None, true, _) => (
                true,
                format!(
                    "{}{}",
                    tr(
                        lang,
                        "您已在抽奖名单中，开奖时间：",
                        "You are in the draw; it is drawn at "
                    ),
                    at(lang, &rules.draw_at)
                ),
            ),
            (Some(b), true, _) => {
                let prizes: Vec<&str> = b
                    .winners
                    .iter()
                    .filter(|w| &w.code == c)
                    .map(|w| w.prize.as_str())
                    .collect();
                if prizes.is_empty() {
                    (
                        false,
                        tr(
                            lang,
                            "很遗憾，本次未中奖。感谢参与！",
                            "Not a winner this time. Thank you for taking part!",
                        )
                        .to_string(),
                    )
                } else {
                    (
                        true,
                        format!(
                            "{}{}{}{}{}{}",
                            tr(lang, "恭喜，您已中奖：", "Congratulations, you won: "),
                            prizes.join("、"),
                            tr(lang, "。兑奖方式：", ". How to claim: "),
                            rules.redemption,
                            tr(lang, "（截止 ", " (by "),
                            at(lang, &rules.redemption_deadline) + tr(lang, "）", ")")
                        ),
                    )
                }
            }
        })
    });
    let body = html! {
        @if let Some((good, words)) = &verdict {
            div class=(if *good { "card verdict ok" } else { "card verdict error" }) data-testid="verdict" { strong { (words) } }
        }
        div.card {
            (rules_summary(lang, &rules))
            p { (tr(lang, "开奖时间：", "Draw time: ")) (at(lang, &rules.draw_at)) " · " (tr(lang, "开奖方式：", "Method: ")) (rules.draw_method)
                @if rules.draw_method == "drand-quicknet" { @if let Some(r) = round { " · drand quicknet " (tr(lang, "轮次 ", "round ")) (r) } } }
            p { (tr(lang, "规则摘要（SHA-256）：", "Rules digest (SHA-256): ")) code data-testid="rules-digest" { (row.rules_digest) } }
            @if let Some(e) = entrants { p { (tr(lang, "抽奖名单：", "Entrants: ")) (e.codes.len()) (tr(lang, " 人，默克尔根 ", ", Merkle root ")) code { (e.root) } } }
        }
        @if let Some(b) = bundle {
            div.card data-testid="winners" {
                h3 { (tr(lang, "中奖名单", "Winners")) }
                table { @for w in &b.winners { tr data-testid="winner" { td style="min-width:6em" { (w.prize) } td style="min-width:4em" { (docs.names.get(&w.code).map(String::as_str).unwrap_or("—")) } td { code { (w.code) } } } } }
                p.muted { (tr(lang, "昵称已打码；每位中奖者以参与者编码核对，可在下方用自己的账号查询。", "Names are masked; each winner is checked by entrant code, which you can look up below with your own account.")) }
                p.muted { (tr(lang, "随机种子：", "Seed: ")) code { (b.seed) } }
                p { a href=(format!("/public/lotteries/{id}/bundle.json")) download=(format!("lottery-{id}.json")) { (tr(lang, "下载证明包", "Download the proof bundle")) }
                    " · " (tr(lang, "离线验证：", "Verify offline: ")) code { "liveguard lottery verify lottery-" (id) ".json" } }
            }
        }
        div.card {
            h3 { (tr(lang, "查询我是否在抽奖名单中", "Check that I was in the draw")) }
            form method="get" { input name="code" size="70" placeholder=(tr(lang, "粘贴您的参与者编码", "Paste your entrant code")) value=(code.clone().unwrap_or_default()); " " input type="submit" value=(tr(lang, "查询", "Check")); }
            @if entrants.is_some() {
                form method="get" { input name="account" size="30" placeholder=(tr(lang, "或输入您参与时的平台账号", "or the platform account you entered with")) value=(account.clone().unwrap_or_default()); " " input type="submit" value=(tr(lang, "查我的编码", "Find my code")); }
                p.muted { (tr(lang, "编码 = SHA-256(“liveguard-entrant\\0” ‖ 盐 ‖ 账号)，评论参与者的账号为观众密钥摘要。", "code = SHA-256(\"liveguard-entrant\\0\" ‖ salt ‖ account); for comment entrants the account is the viewer's keyed digest.")) }
            }
            @if let Some(n) = lookup_note { p.error data-testid="lookup" { (n) } }
            @if let (Some(_), Some(c)) = (&account, &code) { p data-testid="my-code" { (tr(lang, "您的参与者编码：", "Your entrant code: ")) code { (c) } } }
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

use maud::Markup;
use serde_json::json;

use super::service::{self, DrawBody, EntrantsBody, NewLotteryBody};
use crate::http::auth::UiPrincipal;
use crate::http::perms::Permission;

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

/// Prize rows on the form.
const PRIZE_ROWS: usize = 4;
/// The times on the form, read as Beijing time (UTC+8).
const TIME_FIELDS: &[&str] = &[
    "entry_opens_at",
    "entry_closes_at",
    "draw_at",
    "redemption_deadline",
];
const TEXT_FIELDS: &[&str] = &[
    "title",
    "organiser",
    "contact",
    "dedupe",
    "redemption",
    "unclaimed",
    "delivery",
];
const PRIZE_KINDS: &[(&str, &str, &str)] = &[
    ("goods", "实物", "goods"),
    ("coupon", "优惠券", "coupon"),
    ("cash", "现金/红包", "cash"),
    ("service", "服务", "service"),
    ("virtual", "虚拟物品", "virtual"),
];
const ENTRY_METHODS: &[(&str, &str, &str)] = &[
    ("comment_keyword", "评论关键词", "comment keyword"),
    ("follow", "关注", "follow"),
    ("purchase", "购买", "purchase"),
    ("uploaded_list", "上传名单", "uploaded list"),
];

const DRAW_METHODS: &[(&str, &str, &str)] = &[
    (
        "drand-quicknet",
        "drand 公共随机数（推荐）",
        "drand public randomness (recommended)",
    ),
    (
        "commit-reveal",
        "承诺-揭示（无法访问 drand 时）",
        "commit-reveal (without drand)",
    ),
];

/// An RFC 3339 time as a `datetime-local` value in Beijing time.
fn beijing_local(rfc3339: &str) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::macros::offset!(+8)).format(&fmt).ok())
        .unwrap_or_default()
}

/// The form's values for `rules`.
fn fields_of(r: &LotteryRules) -> Vec<(String, String)> {
    let mut f = Vec::new();
    let mut put = |k: &str, v: String| f.push((k.to_string(), v));
    put("title", r.title.clone());
    put("organiser", r.organiser.clone());
    put("contact", r.contact.clone());
    for (i, p) in r.prizes.iter().enumerate().take(PRIZE_ROWS) {
        put(&format!("prize{i}_name"), p.name.clone());
        put(&format!("prize{i}_kind"), p.kind.clone());
        put(
            &format!("prize{i}_value"),
            format!("{}.{:02}", p.unit_value_fen / 100, p.unit_value_fen % 100),
        );
        put(&format!("prize{i}_quantity"), p.quantity.to_string());
    }
    put("entry_method", r.entry.method.clone());
    put("entry_keyword", r.entry.keyword.clone().unwrap_or_default());
    put("entry_chances", r.entry.chances_per_entry.to_string());
    put("exclusions", r.exclusions.join("\n"));
    put("entry_opens_at", beijing_local(&r.entry_opens_at));
    put("entry_closes_at", beijing_local(&r.entry_closes_at));
    put("draw_at", beijing_local(&r.draw_at));
    put("redemption_deadline", beijing_local(&r.redemption_deadline));
    put("draw_method", r.draw_method.clone());
    put(
        "seed_commitment",
        r.seed_commitment.clone().unwrap_or_default(),
    );
    put("dedupe", r.dedupe.clone());
    put("redemption", r.redemption.clone());
    put("unclaimed", r.unclaimed.clone());
    put("delivery", r.delivery.clone());
    f
}

/// A money amount in yuan ("399", "399.5", "399.00") in fen.
fn fen_of(yuan: &str) -> Option<i64> {
    let (int, frac) = yuan.trim().split_once('.').unwrap_or((yuan.trim(), ""));
    if int.is_empty()
        || frac.len() > 2
        || !(int.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    int.parse::<i64>().ok()?.checked_mul(100)?.checked_add(frac)
}

/// The rules the form describes; the error names the form field.
fn rules_of_fields(f: &[(String, String)]) -> Result<LotteryRules, ApiError> {
    let v = |k: &str| form_field(f, k).unwrap_or("").trim().to_string();
    let mut prizes = Vec::new();
    for i in 0..PRIZE_ROWS {
        let name = v(&format!("prize{i}_name"));
        if name.is_empty() {
            continue;
        }
        let value = fen_of(&v(&format!("prize{i}_value"))).ok_or_else(|| {
            ApiError::invalid(
                &format!("prize{i}_value"),
                "请填写金额（元），例如 399.00",
                "must be an amount in yuan, e.g. 399.00",
            )
        })?;
        let quantity = v(&format!("prize{i}_quantity"))
            .parse::<u32>()
            .map_err(|_| {
                ApiError::invalid(
                    &format!("prize{i}_quantity"),
                    "请填写整数",
                    "must be a whole number",
                )
            })?;
        prizes.push(json!({"name": name, "kind": v(&format!("prize{i}_kind")), "unit_value_fen": value, "quantity": quantity}));
    }
    let mut times = serde_json::Map::new();
    for k in TIME_FIELDS {
        let local = v(k);
        let with_seconds = if local.len() == 16 {
            format!("{local}:00")
        } else {
            local
        };
        times.insert((*k).into(), json!(format!("{with_seconds}+08:00")));
    }
    let chances: u32 = v("entry_chances")
        .parse()
        .map_err(|_| ApiError::invalid("entry_chances", "请填写整数", "must be a whole number"))?;
    let keyword = Some(v("entry_keyword")).filter(|k| !k.is_empty());
    let commitment = Some(v("seed_commitment").to_ascii_lowercase()).filter(|k| !k.is_empty());
    let mut doc = json!({
        "prizes": prizes,
        "entry": {"method": v("entry_method"), "keyword": keyword, "chances_per_entry": chances},
        "exclusions": v("exclusions").lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>(),
        "draw_method": v("draw_method"),
        "seed_commitment": commitment,
    });
    for k in TEXT_FIELDS {
        doc[*k] = json!(v(k));
    }
    for (k, t) in times {
        doc[k] = t;
    }
    serde_json::from_value(doc).map_err(|e| ApiError::field("rules", e.to_string()))
}

/// A time from the rules (RFC 3339) in Beijing time for people; as written if it is not one.
fn at(lang: crate::ui::Lang, text: &str) -> String {
    liveguard_store::Stamp::parse(text)
        .map(|t| crate::ui::when(lang, t))
        .unwrap_or_else(|_| text.to_string())
}

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

fn claim_state_label(lang: crate::ui::Lang, s: &str) -> &'static str {
    match s {
        "awaiting" => tr(lang, "待兑奖", "awaiting claim"),
        "claimed" => tr(lang, "已登记收货信息", "claimed"),
        "shipped" => tr(lang, "已发货", "shipped"),
        "redeemed" => tr(lang, "已兑奖", "redeemed"),
        "forfeited" => tr(lang, "逾期放弃", "forfeited"),
        _ => "?",
    }
}

/// What the rules form shows: the posted fields, or a JSON text being imported.
enum FormInput {
    Fields(Vec<(String, String)>),
    Json(String),
}

/// `GET /lotteries`: the operations list and the form to define a lottery.
pub(crate) async fn list(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
) -> Response {
    let template: LotteryRules =
        serde_json::from_str(RULES_TEMPLATE).expect("the template is valid rules");
    let mut fields = fields_of(&template);
    // The example's times: tomorrow evening, Beijing time, claims for a week.
    let tomorrow = state
        .store
        .clock()
        .now()
        .to_offset(time::macros::offset!(+8))
        .date()
        + time::Duration::days(1);
    let day = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    for (k, v) in fields.iter_mut() {
        match k.as_str() {
            "entry_opens_at" => *v = format!("{}T20:10:00", day(tomorrow)),
            "entry_closes_at" => *v = format!("{}T20:20:00", day(tomorrow)),
            "draw_at" => *v = format!("{}T20:21:00", day(tomorrow)),
            "redemption_deadline" => {
                *v = format!("{}T23:59:59", day(tomorrow + time::Duration::days(7)))
            }
            _ => {}
        }
    }
    list_view(&state, &p, lang, None, FormInput::Fields(fields)).await
}

fn rules_form(lang: crate::ui::Lang, input: &FormInput) -> Markup {
    let empty = Vec::new();
    let (f, json_text) = match input {
        FormInput::Fields(f) => (f, None),
        FormInput::Json(t) => (&empty, Some(t.as_str())),
    };
    let v = |k: &str| form_field(f, k).unwrap_or("").to_string();
    let text = |k: &'static str, zh: &'static str, en: &'static str| {
        html! { label { (tr(lang, zh, en)) " " input name=(k) value=(v(k)) size="40"; } }
    };
    let when = |k: &'static str, zh: &'static str, en: &'static str| {
        html! { label { (tr(lang, zh, en)) " " input type="datetime-local" step="1" name=(k) value=(v(k)); } }
    };
    let choose = |k: String, options: &'static [(&'static str, &'static str, &'static str)]| {
        let current = v(&k);
        html! { select name=(k) { @for (val, zh, en) in options { option value=(val) selected[current == *val] { (tr(lang, zh, en)) } } } }
    };
    html! {
        fieldset {
            legend { (tr(lang, "基本信息（举办者须披露）", "Basics (the organiser's disclosure)")) }
            (text("title", "抽奖名称", "Title"))
            (text("organiser", "举办者", "Organiser"))
            (text("contact", "联系方式", "Contact"))
        }
        fieldset {
            legend { (tr(lang, "奖品（单价按元；最高奖含多次机会不得超过 5 万元）", "Prizes (unit value in yuan; the top prize, with multiple chances, at most ¥50,000)")) }
            table { thead { tr { th { (tr(lang, "名称", "Name")) } th { (tr(lang, "种类", "Kind")) } th { (tr(lang, "单价（元）", "Unit value (¥)")) } th { (tr(lang, "数量", "Quantity")) } } }
                tbody { @for i in 0..PRIZE_ROWS { tr {
                    td { input name=(format!("prize{i}_name")) value=(v(&format!("prize{i}_name"))) size="24"; }
                    td { (choose(format!("prize{i}_kind"), PRIZE_KINDS)) }
                    td { input name=(format!("prize{i}_value")) value=(v(&format!("prize{i}_value"))) size="10" inputmode="decimal"; }
                    td { input name=(format!("prize{i}_quantity")) value=(v(&format!("prize{i}_quantity"))) size="5" inputmode="numeric"; }
                } } } }
        }
        fieldset {
            legend { (tr(lang, "参与方式与资格", "How to enter and who may")) }
            label { (tr(lang, "参与方式", "Entry method")) " " (choose("entry_method".into(), ENTRY_METHODS)) }
            (text("entry_keyword", "评论关键词", "Comment keyword"))
            label { (tr(lang, "每次参与的抽奖机会", "Chances per entry")) " " input name="entry_chances" value=(v("entry_chances")) size="4" inputmode="numeric"; }
            label { (tr(lang, "排除规则（每行一条）", "Exclusions (one per line)")) textarea name="exclusions" rows="2" { (v("exclusions")) } }
            (text("dedupe", "重复参与的处理", "Duplicates rule"))
        }
        fieldset {
            legend { (tr(lang, "时间（北京时间）与开奖方式", "Times (Beijing time) and draw method")) }
            (when("entry_opens_at", "开始报名", "Entry opens"))
            (when("entry_closes_at", "截止报名", "Entry closes"))
            (when("draw_at", "开奖时间", "Draw time"))
            label { (tr(lang, "开奖方式", "Draw method")) " " (choose("draw_method".into(), DRAW_METHODS)) }
            label { (tr(lang, "种子承诺 SHA-256（仅承诺-揭示）", "Seed commitment SHA-256 (commit-reveal only)")) " " input name="seed_commitment" value=(v("seed_commitment")) size="70" placeholder="printf %s SEED_HEX | xxd -r -p | sha256sum"; }
        }
        fieldset {
            legend { (tr(lang, "兑奖", "Redemption")) }
            (text("redemption", "兑奖方式", "How to claim"))
            (when("redemption_deadline", "兑奖截止", "Claim deadline"))
            (text("unclaimed", "逾期未兑奖的处理", "Unclaimed prizes"))
            (text("delivery", "配送方式", "Delivery"))
        }
        details open[json_text.is_some()] {
            summary { (tr(lang, "或导入规则 JSON（字段见 docs/lottery.md）", "Or import rules JSON (fields in docs/lottery.md)")) }
            textarea name="rules" rows="12" { (json_text.unwrap_or("")) }
        }
    }
}

async fn list_view(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lang: crate::ui::Lang,
    error: Option<ApiError>,
    input: FormInput,
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
    let chosen_session = match &input {
        FormInput::Fields(f) => form_field(f, "session_id").unwrap_or("").to_string(),
        FormInput::Json(_) => String::new(),
    };
    let body = html! {
        @if let Some(e) = &error { (crate::ui::error_box(&crate::ui::error_text(lang, e))) }
        table {
            thead { tr { th { "#" } th { (tr(lang, "抽奖", "Lottery")) } th { (tr(lang, "直播场次", "Session")) } th { (tr(lang, "状态", "State")) } th { (tr(lang, "公示", "Public page")) } } }
            tbody { @for r in &rows { tr data-testid="lottery" {
                td { (r.id) } td { a href=(format!("/lotteries/{}", r.id)) { (r.title) } }
                td { @if let Some(s) = r.session_id { a href=(format!("/live/sessions/{s}")) { "#" (s) } } }
                td { (state_label(lang, r.state.as_str())) }
                td { @if r.state != LotteryState::Draft { a href=(format!("/public/lotteries/{}/verify", r.id)) { (tr(lang, "公示与验证", "verify")) } } }
            } } }
        }
        @if p.can(Permission::OperateLive) {
            div.card {
                h3 { (tr(lang, "新建抽奖", "New lottery")) }
                form method="post" action="/lotteries" {
                    input type="hidden" name="csrf" value=(p.csrf());
                    label { (tr(lang, "直播场次", "Live session")) " " select name="session_id" { option value="" { "—" } @for s in &sessions { option value=(s.id) selected[chosen_session == s.id.to_string()] { "#" (s.id) " " (s.title) } } } }
                    (rules_form(lang, &input))
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

/// `POST /lotteries`: from the form's fields, or from imported JSON when given.
pub(crate) async fn create(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let json_text = form_field(&fields, "rules")
        .unwrap_or("")
        .trim()
        .to_string();
    let (parsed, input) = if json_text.is_empty() {
        (rules_of_fields(&fields), FormInput::Fields(fields.clone()))
    } else {
        (
            serde_json::from_str(&json_text).map_err(|e| ApiError::field("rules", e.to_string())),
            FormInput::Json(json_text),
        )
    };
    let rules = match parsed {
        Ok(r) => r,
        Err(e) => return list_view(&state, &p, lang, Some(e), input).await,
    };
    let session_id = form_field(&fields, "session_id").and_then(|v| v.parse().ok());
    match service::create(&state, &p, NewLotteryBody { session_id, rules }).await {
        Ok(row) => axum::response::Redirect::to(&format!("/lotteries/{}", row.id)).into_response(),
        Err(e) => list_view(&state, &p, lang, Some(e), input).await,
    }
}

fn action_form(p: &crate::http::auth::Principal, id: i64, verb: &str, inner: Markup) -> Markup {
    html! { form method="post" action=(format!("/lotteries/{id}/{verb}")) { input type="hidden" name="csrf" value=(p.csrf()); (inner) } }
}

/// `GET /lotteries/{id}`: the lottery with the next step's form and the prize claims.
pub(crate) async fn detail(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    PageLang(lang): PageLang,
) -> Response {
    detail_view(&state, &p, lang, id, None).await
}

fn claims_card(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lang: crate::ui::Lang,
    id: i64,
    rules: &LotteryRules,
    claims: &[liveguard_store::ClaimRow],
    now: i64,
) -> Markup {
    let handle = p.can(Permission::HandlePrizes);
    let past = liveguard_lottery::time_of(&rules.redemption_deadline).is_some_and(|d| now > d);
    html! {
        div.card data-testid="claims" {
            h3 { (tr(lang, "兑奖与发货", "Claims and delivery")) }
            p.muted { (tr(lang, "兑奖截止：", "Claim deadline: ")) (at(lang, &rules.redemption_deadline)) " · "
                (tr(lang, "收货信息仅用于发货，加密保存，结案后按期删除。", "Delivery data is for delivery only, stored encrypted and erased after the claim closes.")) }
            table {
                thead { tr { th { (tr(lang, "奖品", "Prize")) } th { (tr(lang, "中奖编码", "Winning code")) } th { (tr(lang, "状态", "State")) } th { (tr(lang, "收货信息", "Recipient")) } th { (tr(lang, "物流", "Shipment")) } th { (tr(lang, "操作", "Action")) } } }
                tbody { @for c in claims {
                    @let shown = service::claim_recipient(state, p, c);
                    tr data-testid="claim" {
                        td { (c.prize) }
                        td { code { (&c.code[..12]) "…" } }
                        td { (claim_state_label(lang, c.state.as_str())) @if let Some(n) = &c.note { br; small.muted { (n) } } }
                        td {
                            @if let Some(service::RecipientView::Unreadable) = &shown {
                                span.error { (tr(lang, "收货信息无法用本服务器的密钥解密", "the delivery data does not open with this server's key")) }
                            } @else if let Some(service::RecipientView::Shown(r)) = &shown {
                                (r.name) " " (r.phone) br;
                                small { (r.address) }
                                @if let Some(at) = &c.personal_purge_at { br; small.muted { (tr(lang, "删除于 ", "erased at ")) (at.beijing()) } }
                            } @else if let Some(at) = &c.personal_erased_at {
                                small.muted { (tr(lang, "已删除 ", "erased ")) (at.beijing()) }
                            } @else { "—" }
                        }
                        td { @if let (Some(cr), Some(t)) = (&c.carrier, &c.tracking) { (cr) " " (t) } }
                        td { @if handle {
                            @let to = |verb: &str, inner: Markup| html! { form method="post" action=(format!("/lotteries/{id}/claims/{}/{verb}", c.position)) { input type="hidden" name="csrf" value=(p.csrf()); (inner) } };
                            @match c.state.as_str() {
                                "awaiting" if !past => (to("claim", html! {
                                    input name="account" placeholder=(tr(lang, "中奖者参与账号", "winner's account")) size="14" required;
                                    input name="name" placeholder=(tr(lang, "收货人", "name")) size="8" required;
                                    input name="phone" placeholder=(tr(lang, "电话", "phone")) size="12" required;
                                    input name="address" placeholder=(tr(lang, "地址", "address")) size="24" required;
                                    input type="submit" value=(tr(lang, "登记兑奖", "Record claim"));
                                })),
                                "awaiting" => (to("forfeit", html! { input type="submit" value=(tr(lang, "按规则作逾期处理", "Forfeit per the rules")); })),
                                "claimed" => {
                                    (to("ship", html! {
                                        input name="carrier" placeholder=(tr(lang, "快递公司", "carrier")) size="8" required;
                                        input name="tracking" placeholder=(tr(lang, "运单号", "tracking no.")) size="16" required;
                                        input type="submit" value=(tr(lang, "发货", "Ship"));
                                    }))
                                    (to("redeem", html! { input name="note" placeholder=(tr(lang, "无需发货的兑奖说明", "redeemed without shipping: how")) size="20"; input type="submit" value=(tr(lang, "确认兑奖", "Redeemed")); }))
                                    details { summary { (tr(lang, "更正收货信息", "Correct the delivery data")) }
                                        (to("correct", html! {
                                            input name="name" placeholder=(tr(lang, "收货人", "name")) size="8" required;
                                            input name="phone" placeholder=(tr(lang, "电话", "phone")) size="12" required;
                                            input name="address" placeholder=(tr(lang, "地址", "address")) size="24" required;
                                            input type="submit" value=(tr(lang, "更正", "Correct"));
                                        })) }
                                },
                                "shipped" => (to("redeem", html! { input name="note" placeholder=(tr(lang, "签收说明", "receipt note")) size="20"; input type="submit" value=(tr(lang, "确认签收", "Received")); })),
                                _ => {},
                            }
                        } }
                    }
                } }
            }
        }
    }
}

async fn detail_view(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lang: crate::ui::Lang,
    id: i64,
    error: Option<ApiError>,
) -> Response {
    detail_view_editing(state, p, lang, id, error, None).await
}

/// The detail page; `edit` keeps a rules form the user sent back (after an error).
async fn detail_view_editing(
    state: &AppState,
    p: &crate::http::auth::Principal,
    lang: crate::ui::Lang,
    id: i64,
    error: Option<ApiError>,
    edit: Option<FormInput>,
) -> Response {
    if let Err(e) = p.require(Permission::ViewLive) {
        return error_page(lang, Some(p), e);
    }
    let (row, claims) = match (
        state.store.lottery_meta(id).await,
        state.store.lottery_claims(id).await,
    ) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, Some(p), e.into()),
    };
    if let Err(e) = service::log_personal_view(state, p, id, &claims).await {
        return error_page(lang, Some(p), e);
    }
    let Ok(rules) = serde_json::from_str::<LotteryRules>(&row.rules) else {
        return error_page(
            lang,
            Some(p),
            ApiError::Internal(format!("lottery {id} rules")),
        );
    };
    let docs = match service::cached_docs(state, &row).await {
        Ok(d) => d,
        Err(e) => return error_page(lang, Some(p), e),
    };
    let round = service::drand_round(&row);
    let operate = p.can(Permission::OperateLive);
    let now = state.store.now().unix_seconds();
    let body = html! {
        @if let Some(e) = &error { (crate::ui::error_box(&crate::ui::error_text(lang, e))) }
        div.card {
            p { (tr(lang, "状态：", "State: ")) span data-testid="lottery-state" { (state_label(lang, row.state.as_str())) }
                @if let Some(r) = &row.retain_until { " · " (tr(lang, "记录保存至：", "Records kept until: ")) (r.beijing()) } }
            p { (tr(lang, "规则摘要：", "Rules digest: ")) code { (row.rules_digest) } @if row.state != LotteryState::Draft { " · " a href=(format!("/public/lotteries/{id}/verify")) { (tr(lang, "公示与验证页", "public verification page")) } } }
            @if let Some(r) = round { @if rules.draw_method == "drand-quicknet" { p { "drand quicknet " (tr(lang, "开奖轮次：", "draw round: ")) (r) } } }
            @if let Some(e) = docs.entrants() { p { (tr(lang, "参与者：", "Entrants: ")) (e.codes.len()) (tr(lang, "，已剔除 ", ", removed ")) (e.removals.len()) } }
            (rules_summary(lang, &rules))
            p { (tr(lang, "开奖时间：", "Draw time: ")) (at(lang, &rules.draw_at)) " · " (tr(lang, "开奖方式：", "Method: ")) (rules.draw_method) }
            details { summary { (tr(lang, "规则原文（JSON，即被摘要的内容）", "Rules as committed (JSON, what the digest covers)")) } pre.text { code { (String::from_utf8_lossy(&rules.canonical_bytes())) } } }
        }
        @if operate {
            div.card {
                @match row.state.as_str() {
                    "draft" => (action_form(p, id, "commit", html! { p { (tr(lang, "提交后规则摘要公开，报名开始后只能作有利于消费者的修改。", "Once committed the digest is public; after entry opens only changes in the consumers' favour are allowed.")) } input type="submit" value=(tr(lang, "提交承诺并公示", "Commit and publish")) data-confirm=(tr(lang, "提交后规则摘要即公开，报名开始后只能作有利于消费者的修改。确定提交？", "The rules' digest becomes public; after entry opens only changes in the consumers' favour are allowed. Commit?")); })),
                    "committed" => (action_form(p, id, "entrants", html! {
                        p { (tr(lang, "截止报名并承诺名单：", "Close entry and commit the entrants:")) }
                        label { input type="radio" name="source" value="comments" checked[row.session_id.is_some()] disabled[row.session_id.is_none()]; " "
                            (tr(lang, "本场直播中含关键词的评论（观众以密钥摘要计）", "this session's comments with the keyword (viewers as keyed digests)")) }
                        label { input type="radio" name="source" value="list" checked[row.session_id.is_none()]; " " (tr(lang, "上传名单（每行一个平台账号）", "uploaded list (one platform account per line)")) }
                        textarea name="accounts" rows="5" {}
                        label { (tr(lang, "剔除名单（每行：平台账号=原因，如员工、主播、关联账号）", "Exclusions (one per line: platform account=reason, e.g. staff, streamer, related)")) textarea name="exclusions" rows="3" {} }
                        input type="submit" value=(tr(lang, "截止报名并承诺名单", "Close entry and commit the entrants")) data-confirm=(tr(lang, "截止后名单即承诺，不能再增减参与者。确定截止报名？", "The entrants are then committed and cannot change. Close entry?"));
                    })),
                    "closed" => (action_form(p, id, "draw", html! {
                        @if rules.draw_method == "commit-reveal" {
                            p { (tr(lang, "揭示报名前承诺的种子，并填入独立第三方在报名截止后给出的贡献值。", "Reveal the seed committed before entry opened, with the contribution an independent party gave after entry closed.")) }
                            label { (tr(lang, "种子（十六进制）", "Seed (hex)")) " " input name="seed" size="70"; }
                            label { (tr(lang, "独立第三方贡献值", "Independent contribution")) " " input name="contribution" size="70"; }
                        } @else {
                            p { (tr(lang, "签名留空时，系统从 drand 中继获取开奖轮次并验证签名；无法联网时可粘贴由 drand 公共接口取得的签名（同样会验证）。", "Leave the signature empty and the server fetches the draw round from the drand relays and verifies it; offline, paste the signature from drand's public API (verified too).")) }
                            @let recorded = round == Some(liveguard_lottery::RECORDED_ROUND);
                            @if recorded { p.muted { (tr(lang, "第 123 轮的签名已由 drand 公开发布，本软件记录了它，已预先填入（演示可离线开奖）。", "Round 123's signature was published by drand and is recorded in liveguard; it is filled in (the demo draws offline).")) } }
                            label { (tr(lang, "签名（十六进制）", "Signature (hex)")) " " input name="signature" size="100" value=(if recorded { liveguard_lottery::RECORDED_SIGNATURE } else { "" }); }
                        }
                        input type="submit" value=(tr(lang, "开奖", "Draw")) data-confirm=(tr(lang, "开奖结果将公布且不可更改。确定开奖？", "The result is published and cannot change. Draw?"));
                    })),
                    _ => {
                        h3 { (tr(lang, "开奖公告", "Announcement")) }
                        @if let Some(b) = docs.bundle.as_deref() {
                            @let a = service::announcement_text(&state.settings.lottery.public_url, id, b, &docs.names);
                            pre.text data-testid="announcement" { (if lang == crate::ui::Lang::En { a.en } else { a.zh }) }
                        }
                    },
                }
            }
        }
        @if operate && (row.state == LotteryState::Draft || row.state == LotteryState::Committed) {
            div.card {
                details open[edit.is_some()] {
                    summary { @if row.state == LotteryState::Draft { (tr(lang, "修改草稿规则", "Edit the draft rules")) } @else { (tr(lang, "修改规则（报名开始后只能作有利于消费者的修改，须说明原因）", "Change the rules (after the start only in the consumers' favour, with a reason)")) } }
                    (action_form(p, id, "rules", html! {
                        (rules_form(lang, edit.as_ref().unwrap_or(&FormInput::Fields(fields_of(&rules)))))
                        label { (tr(lang, "修改原因", "Reason")) " " input name="reason" size="40" required[row.state == LotteryState::Committed]; }
                        input type="submit" value=(tr(lang, "检查并保存", "Check and save"));
                    }))
                }
            }
        }
        @if !claims.is_empty() { (claims_card(state, p, lang, id, &rules, &claims, now)) }
    };
    page(lang, &row.title, Some(p), body).into_response()
}

fn lines_map(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('=').or_else(|| l.split_once('＝')))
        .map(|(a, r)| (a.trim().to_string(), r.trim().to_string()))
        .filter(|(a, _)| !a.is_empty())
        .collect()
}

/// `POST /lotteries/{id}/{verb}`: commit, entrants, draw.
pub(crate) async fn action(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((id, verb)): Path<(i64, String)>,
    lang: PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    act(state, p, id, &verb, lang, fields).await
}

/// `POST /lotteries/{id}/entrants`: closing entry, on its own route for its larger body
/// limit (an uploaded list).
pub(crate) async fn entrants_action(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path(id): Path<i64>,
    lang: PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    act(state, p, id, "entrants", lang, fields).await
}

async fn act(
    state: AppState,
    p: crate::http::auth::Principal,
    id: i64,
    verb: &str,
    PageLang(lang): PageLang,
    fields: Vec<(String, String)>,
) -> Response {
    let field = |k: &str| form_field(&fields, k).unwrap_or("").trim().to_string();
    if verb == "rules" {
        let json_text = form_field(&fields, "rules")
            .unwrap_or("")
            .trim()
            .to_string();
        let (parsed, input) = if json_text.is_empty() {
            (rules_of_fields(&fields), FormInput::Fields(fields.clone()))
        } else {
            (
                serde_json::from_str(&json_text)
                    .map_err(|e| ApiError::field("rules", e.to_string())),
                FormInput::Json(json_text),
            )
        };
        let result = match parsed {
            Ok(rules) => service::change(
                &state,
                &p,
                id,
                service::ChangeBody {
                    rules,
                    reason: field("reason"),
                },
            )
            .await
            .map(|_| ()),
            Err(e) => Err(e),
        };
        return match result {
            Ok(()) => axum::response::Redirect::to(&format!("/lotteries/{id}")).into_response(),
            Err(e) => detail_view_editing(&state, &p, lang, id, Some(e), Some(input)).await,
        };
    }
    let result = match verb {
        "commit" => service::commit(&state, &p, id).await.map(|_| ()),
        "entrants" => {
            let from_list = field("source") == "list";
            let body = EntrantsBody {
                accounts: if from_list {
                    field("accounts")
                        .lines()
                        .map(str::trim)
                        .filter(|a| !a.is_empty())
                        .map(String::from)
                        .collect()
                } else {
                    Vec::new()
                },
                from_session_comments: !from_list,
                exclusions: lines_map(&field("exclusions")),
            };
            service::entrants(&state, &p, id, body).await.map(|_| ())
        }
        "draw" => match state.store.lottery_meta(id).await {
            Ok(row) => {
                let rules = serde_json::from_str::<LotteryRules>(&row.rules).ok();
                let randomness = match rules {
                    Some(r) if r.draw_method == "commit-reveal" => {
                        Some(liveguard_lottery::Randomness::CommitReveal {
                            seed: field("seed").to_ascii_lowercase(),
                            commitment: r.seed_commitment.unwrap_or_default(),
                            contribution: field("contribution"),
                        })
                    }
                    // Fetched from the drand relays (and verified) by the draw.
                    _ if field("signature").is_empty() => None,
                    _ => Some(liveguard_lottery::Randomness::Drand {
                        round: service::drand_round(&row).unwrap_or(0),
                        signature: field("signature"),
                    }),
                };
                service::draw(&state, &p, id, DrawBody { randomness })
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

/// `POST /lotteries/{id}/claims/{position}/{verb}`: claim, correct, ship, redeem, forfeit.
pub(crate) async fn claim_action(
    State(state): State<AppState>,
    UiPrincipal(p): UiPrincipal,
    Path((id, position, verb)): Path<(i64, i64, String)>,
    PageLang(lang): PageLang,
    CsrfForm(fields): CsrfForm,
) -> Response {
    let field = |k: &str| form_field(&fields, k).map(|v| v.trim().to_string());
    let body = service::ClaimBody {
        account: field("account"),
        recipient: (verb == "claim" || verb == "correct").then(|| crate::personal::Recipient {
            name: field("name").unwrap_or_default(),
            phone: field("phone").unwrap_or_default(),
            address: field("address").unwrap_or_default(),
        }),
        carrier: field("carrier"),
        tracking: field("tracking"),
        note: field("note"),
    };
    match service::claim_step(&state, &p, id, position, &verb, body).await {
        Ok(_) => axum::response::Redirect::to(&format!("/lotteries/{id}")).into_response(),
        Err(e) => detail_view(&state, &p, lang, id, Some(e)).await,
    }
}

/// The lotteries inside a session plan, for the reviewers: what will be drawn, when and how,
/// whether the rules are committed, and what the rules check finds. A plan that says it has
/// a lottery but has none defined is called out.
pub(crate) fn plan_lotteries(
    lang: crate::ui::Lang,
    lotteries: &[super::service::PlanLottery],
    has_lottery: bool,
) -> Markup {
    use crate::ui::Label;
    html! {
        div.card data-testid="plan-lotteries" {
            h3 { (tr(lang, "本场抽奖", "Lotteries in this session")) }
            @if lotteries.is_empty() {
                @if has_lottery {
                    p.error { (tr(lang, "本场计划有抽奖，但尚未登记抽奖规则：请在“抽奖”中定义并提交承诺后再批准。", "The plan has a lottery but no rules are defined yet: define and commit them under Lotteries before approving.")) }
                } @else {
                    p.muted { (tr(lang, "本场没有抽奖。", "No lottery in this session.")) }
                }
            }
            @for l in lotteries {
                p {
                    a href=(format!("/lotteries/{}", l.row.id)) { (l.row.title) }
                    " · " (l.row.state.label(lang))
                    " · " (tr(lang, "开奖 ", "draw ")) (at(lang, &l.rules.draw_at)) " (" (l.rules.draw_method) ")"
                    " · " (tr(lang, "最高奖 ¥", "top prize ¥")) (format!("{:.2}", l.rules.top_prize_fen() as f64 / 100.0))
                    " · " (tr(lang, "中奖名额 ", "winners ")) (l.rules.winners())
                    @if l.row.state == LotteryState::Draft { " " span.badge.b-review { (tr(lang, "未提交承诺", "not committed")) } }
                }
                p.muted { (tr(lang, "规则摘要 ", "rules digest ")) code { (l.row.rules_digest) } }
                @for f in &l.findings {
                    p.error { span title=(f.rule) { (f.severity.label(lang)) } " " (f.message)
                        @for c in &f.citations { " · " (c.to_string()) } }
                }
            }
        }
    }
}
