//! The consumer desk's operations, called by the JSON API and the pages alike: open a case
//! (its clocks from the `[complaints]` policy and the working-day calendar), act on it
//! (replies screened before they go out), decide returns, and read cases back with the
//! consumer's data masked unless the caller may see it. Each operation checks the caller's
//! permission and writes its change with its audit entries in one store call.

use liveguard_core::{
    CaseChannel, CaseKind, CaseState, CaseTopic, Channel, ClockKind, ClockState, Complexity,
    Decision, MasterKind, ProductCategory,
};
use liveguard_desk::case::{Action, ClockBrief, ClockOp};
use liveguard_desk::clocks::{self, DeskPolicy};
use liveguard_desk::returns::{self, ReturnClass, ReturnRequest};
use liveguard_desk::{WorkCalendar, calendar};
use liveguard_store::{CaseRow, CaseStep, ClockChange, ClockRow, NewCase, Stamp};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::http::auth::Principal;
use crate::http::error::ApiError;
use crate::http::perms::Permission;
use crate::personal::{Sealer, mask_free_text};

/// Longest summary of what the consumer says.
pub const SUMMARY_CHARS_MAX: usize = 4000;
/// Longest demand, reply, note or reason.
pub const TEXT_CHARS_MAX: usize = 2000;
/// Most promises one case references.
pub const PROMISES_MAX: usize = 20;
/// Longest external reference, order number, source or regulator name.
pub const REF_CHARS_MAX: usize = 100;
/// Largest amount (price, refund) a case takes, in fen: 100 million yuan.
const AMOUNT_FEN_MAX: i64 = 10_000_000_000;
/// How far into the future a received time may lie (clock skew between systems).
const FUTURE_SKEW_MS: i64 = 5 * 60 * 1000;
/// How old a received time may be (the oldest complaint worth a clock: three years).
const PAST_MS: i64 = 3 * 366 * 24 * 3_600_000;

/// The desk's rules as configured: the clock policy and the working-day calendar.
#[derive(Debug, Clone)]
pub struct DeskRuntime {
    /// Clock policy (`[complaints.clocks]`).
    pub policy: DeskPolicy,
    /// Working-day calendar (built in, or `complaints.calendar_file`).
    pub calendar: WorkCalendar,
}

impl Default for DeskRuntime {
    fn default() -> Self {
        DeskRuntime {
            policy: DeskPolicy::default(),
            calendar: WorkCalendar::builtin(),
        }
    }
}

/// The consumer's personal data: sealed at rest, masked by role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Consumer {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
    /// Address.
    pub address: String,
    /// Platform account.
    pub account: String,
}

impl Consumer {
    fn is_empty(&self) -> bool {
        self.name.trim().is_empty()
            && self.phone.trim().is_empty()
            && self.address.trim().is_empty()
            && self.account.trim().is_empty()
    }

    fn validate(&self) -> Result<(), ApiError> {
        for (field, v, max) in [
            ("consumer.name", &self.name, 50),
            ("consumer.address", &self.address, 200),
            ("consumer.account", &self.account, 128),
        ] {
            if v.chars().count() > max {
                return Err(ApiError::invalid(
                    field,
                    format!("最多 {max} 个字"),
                    format!("at most {max} characters"),
                ));
            }
        }
        let phone = self.phone.trim();
        if !phone.is_empty() {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !(7..=15).contains(&digits)
                || !phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '))
            {
                return Err(ApiError::invalid(
                    "consumer.phone",
                    "电话号码应为 7–15 位数字（可含 -、+、空格）",
                    "a phone number of 7 to 15 digits",
                ));
            }
        }
        Ok(())
    }

    /// The masked view: surname, first three and last four digits, the first six
    /// characters of the address, the account's first and last character.
    pub fn masked(&self) -> Consumer {
        let r = crate::personal::Recipient {
            name: self.name.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
        }
        .masked();
        Consumer {
            name: if self.name.trim().is_empty() {
                String::new()
            } else {
                r.name
            },
            phone: if self.phone.trim().is_empty() {
                String::new()
            } else {
                r.phone
            },
            address: if self.address.trim().is_empty() {
                String::new()
            } else {
                r.address
            },
            account: if self.account.trim().is_empty() {
                String::new()
            } else {
                crate::personal::mask_name(&self.account)
            },
        }
    }
}

/// A case as customer service, an integration or an import enters it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    /// `complaint`, `report`, `after_sales`, `referral`.
    pub kind: String,
    /// What it is about.
    pub topic: String,
    /// Where it came in.
    pub channel: String,
    /// When the consumer sent it (RFC 3339, or Beijing time `2026-12-07 10:30`).
    pub received_at: String,
    /// What the consumer says.
    pub summary: String,
    /// What the consumer asks for.
    #[serde(default)]
    pub demand: String,
    /// Order number.
    #[serde(default)]
    pub order_ref: Option<String>,
    /// Product.
    #[serde(default)]
    pub product_id: Option<i64>,
    /// Live room (master record).
    #[serde(default)]
    pub room_id: Option<i64>,
    /// Streamer (master record).
    #[serde(default)]
    pub streamer_id: Option<i64>,
    /// Live session.
    #[serde(default)]
    pub session_id: Option<i64>,
    /// The live comment the case comes from.
    #[serde(default)]
    pub comment_event_id: Option<i64>,
    /// Promises the consumer refers to ("前100名加赠旅行装").
    #[serde(default)]
    pub promises: Vec<String>,
    /// The consumer.
    #[serde(default)]
    pub consumer: Option<Consumer>,
    /// Who works it.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Integration or import source name.
    #[serde(default)]
    pub source: Option<String>,
    /// The source's own reference (ticket number, the regulator's case number).
    #[serde(default)]
    pub external_ref: Option<String>,
    /// The referring regulator (referrals).
    #[serde(default)]
    pub regulator: Option<String>,
    /// The regulator's deadline for the company's answer (referrals).
    #[serde(default)]
    pub regulator_due_at: Option<String>,
    /// When the regulator accepted the complaint (its mediation period starts).
    #[serde(default)]
    pub regulator_accepted_at: Option<String>,
    /// Price paid, in fen.
    #[serde(default)]
    pub price_fen: Option<i64>,
    /// 一般 or 复杂, when a person decides at intake.
    #[serde(default)]
    pub complexity: Option<String>,
    /// Why.
    #[serde(default)]
    pub complexity_reason: Option<String>,
}

fn parse_code<T: std::str::FromStr<Err = liveguard_core::ParseError>>(
    field: &str,
    value: &str,
    zh: &str,
) -> Result<T, ApiError> {
    value
        .trim()
        .parse::<T>()
        .map_err(|e| ApiError::invalid(field, format!("请选择{zh}"), e.to_string()))
}

/// Reads a time a person or a system gave: RFC 3339 with an offset, or Beijing time.
pub(crate) fn parse_time(field: &str, text: &str) -> Result<Stamp, ApiError> {
    crate::ui::beijing_input(text)
        .and_then(|t| Stamp::parse(&t).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                "时间格式不对，应为 2026-12-07 10:30（北京时间）",
                "expected RFC 3339 or a Beijing time like 2026-12-07 10:30",
            )
        })
}

fn bounded(field: &str, text: &str, max: usize, required: bool) -> Result<String, ApiError> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(ApiError::invalid(field, "必填", "required"));
    }
    if t.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("最多 {max} 个字"),
            format!("at most {max} characters"),
        ));
    }
    Ok(t.to_string())
}

fn opt_bounded(field: &str, text: &Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match text {
        Some(t) if !t.trim().is_empty() => Ok(Some(bounded(field, t, max, false)?)),
        _ => Ok(None),
    }
}

/// The return class of a product from its facts: ordinary unless the product says 7-day
/// return does not apply, then by the stated exception.
pub(crate) fn return_class_of(facts: &liveguard_screen::product::Product) -> ReturnClass {
    if facts.seven_day_return != Some(false) {
        return ReturnClass::Standard;
    }
    let why = facts.return_exception.as_deref().unwrap_or("");
    if why.contains("定制") || why.contains("定作") {
        ReturnClass::CustomMade
    } else if ["鲜活", "易腐", "生鲜"].iter().any(|w| why.contains(w)) {
        ReturnClass::Perishable
    } else if ["数字", "软件", "音像", "下载"]
        .iter()
        .any(|w| why.contains(w))
    {
        ReturnClass::Digital
    } else if why.contains("报纸") || why.contains("期刊") || why.contains("报刊") {
        ReturnClass::Periodical
    } else {
        ReturnClass::ConfirmAtPurchase
    }
}

fn product_facts(row: &liveguard_store::ProductRow) -> liveguard_screen::product::Product {
    serde_json::from_str(&row.data).unwrap_or_default()
}

/// What a checked input becomes.
pub(crate) struct Checked {
    pub(crate) case: NewCase,
    pub(crate) clocks: Vec<ClockChange>,
    pub(crate) consumer: Option<Consumer>,
}

/// Checks an input and works out its clocks; every error names its field. `now` bounds
/// the received time (not in the future, not older than three years).
pub(crate) async fn check_input(
    state: &AppState,
    input: &CaseInput,
    now: Stamp,
) -> Result<Checked, ApiError> {
    let kind: CaseKind = parse_code("kind", &input.kind, "类型")?;
    let topic: CaseTopic = parse_code("topic", &input.topic, "问题类别")?;
    let channel: CaseChannel = parse_code("channel", &input.channel, "来源渠道")?;
    let received = parse_time("received_at", &input.received_at)?;
    if received.ms() > now.ms() + FUTURE_SKEW_MS {
        return Err(ApiError::invalid(
            "received_at",
            "收到时间晚于现在，请填写消费者实际发出的时间",
            "is in the future",
        ));
    }
    if received.ms() < now.ms() - PAST_MS {
        return Err(ApiError::invalid(
            "received_at",
            "收到时间早于三年前，请核对",
            "is more than three years ago",
        ));
    }
    let summary = bounded("summary", &input.summary, SUMMARY_CHARS_MAX, true)?;
    let demand = bounded("demand", &input.demand, TEXT_CHARS_MAX, false)?;
    if input.promises.len() > PROMISES_MAX {
        return Err(ApiError::invalid(
            "promises",
            format!("最多 {PROMISES_MAX} 条"),
            format!("at most {PROMISES_MAX}"),
        ));
    }
    let mut promises = Vec::new();
    for (i, p) in input.promises.iter().enumerate() {
        let p = bounded(&format!("promises[{i}]"), p, 200, false)?;
        if !p.is_empty() {
            promises.push(mask_free_text(&p));
        }
    }
    let order_ref = opt_bounded("order_ref", &input.order_ref, REF_CHARS_MAX)?;
    let source = opt_bounded("source", &input.source, REF_CHARS_MAX)?;
    let external_ref = opt_bounded("external_ref", &input.external_ref, REF_CHARS_MAX)?;
    let regulator = opt_bounded("regulator", &input.regulator, REF_CHARS_MAX)?;
    let assignee = opt_bounded("assignee", &input.assignee, 64)?;
    if kind == CaseKind::Referral && regulator.is_none() {
        return Err(ApiError::invalid(
            "regulator",
            "监管转办的案件须填写转办机关（如 12315、某市市场监管局）",
            "a referral names the regulator",
        ));
    }
    if let Some(p) = input.price_fen
        && !(0..=AMOUNT_FEN_MAX).contains(&p)
    {
        return Err(ApiError::invalid(
            "price_fen",
            "金额应在 0 至 1 亿元之间",
            "must be 0 to 10,000,000,000 fen",
        ));
    }
    // What the case refers to must exist.
    let mut price_fen = input.price_fen;
    if let Some(id) = input.product_id {
        let row = state.store.product(id).await.map_err(|e| match e {
            liveguard_store::StoreError::NotFound => ApiError::invalid(
                "product_id",
                format!("商品 #{id} 不存在"),
                format!("no product {id}"),
            ),
            e => e.into(),
        })?;
        let facts = product_facts(&row);
        if price_fen.is_none() {
            price_fen = facts.price_history.last().map(|p| p.1);
        }
    }
    for (field, kind_, id) in [
        ("room_id", MasterKind::Room, input.room_id),
        ("streamer_id", MasterKind::Streamer, input.streamer_id),
    ] {
        if let Some(id) = id {
            state.store.master(kind_, id).await.map_err(|e| match e {
                liveguard_store::StoreError::NotFound => ApiError::invalid(
                    field,
                    format!("编号 #{id} 不存在"),
                    format!("no {} {id}", kind_.as_str()),
                ),
                e => e.into(),
            })?;
        }
    }
    if let Some(id) = input.session_id {
        state.store.live_session(id).await.map_err(|e| match e {
            liveguard_store::StoreError::NotFound => ApiError::invalid(
                "session_id",
                format!("直播场次 #{id} 不存在"),
                format!("no live session {id}"),
            ),
            e => e.into(),
        })?;
    }
    if let Some(id) = input.comment_event_id {
        let ev = state.store.live_event(id).await.map_err(|e| match e {
            liveguard_store::StoreError::NotFound => ApiError::invalid(
                "comment_event_id",
                format!("评论 #{id} 不存在"),
                format!("no live event {id}"),
            ),
            e => e.into(),
        })?;
        if input.session_id.is_some_and(|s| s != ev.session_id) {
            return Err(ApiError::invalid(
                "comment_event_id",
                "该评论不属于所填直播场次",
                "the comment is from another session",
            ));
        }
    }
    let consumer = match &input.consumer {
        Some(c) if !c.is_empty() => {
            c.validate()?;
            Some(c.clone())
        }
        _ => None,
    };
    let exposure = returns::punitive_exposure(topic, &demand, price_fen);
    let complexity = match input.complexity.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => {
            let c: Complexity = parse_code("complexity", c, "复杂程度")?;
            if input
                .complexity_reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
            {
                return Err(ApiError::invalid(
                    "complexity_reason",
                    "认定复杂程度须写明理由",
                    "a complexity decision needs a reason",
                ));
            }
            c
        }
        _ => returns::default_complexity(kind, exposure.is_some(), topic),
    };
    let complexity_reason = opt_bounded("complexity_reason", &input.complexity_reason, 500)?;
    let rt = &state.desk;
    let mut clocks = vec![
        start_change(rt, ClockKind::FirstReply, complexity, received),
        start_change(rt, ClockKind::Solution, complexity, received),
    ];
    if kind == CaseKind::Referral {
        let rule = rt.policy.rule(ClockKind::RegulatorResponse, complexity);
        let due = match input.regulator_due_at.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => {
                let due = parse_time("regulator_due_at", t)?;
                if due <= received {
                    return Err(ApiError::invalid(
                        "regulator_due_at",
                        "答复期限应晚于收到时间",
                        "must be after the received time",
                    ));
                }
                due
            }
            _ => clocks::due_after(&rule, received, &rt.calendar),
        };
        clocks.push(ClockChange::Start {
            kind: ClockKind::RegulatorResponse,
            rule: if input
                .regulator_due_at
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty())
            {
                "监管机关指定期限".into()
            } else {
                rule.describe_zh()
            },
            pausable: false,
            started: received,
            due,
            warn: clocks::warn_time(&rule, received, due),
        });
        if let Some(t) = input
            .regulator_accepted_at
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            let accepted = parse_time("regulator_accepted_at", t)?;
            clocks.push(start_change(rt, ClockKind::Mediation, complexity, accepted));
        }
    }
    let masked = consumer
        .as_ref()
        .map(|c| serde_json::to_string(&c.masked()).unwrap_or_default());
    Ok(Checked {
        case: NewCase {
            kind,
            topic,
            channel,
            complexity,
            complexity_reason: complexity_reason.map(|r| mask_free_text(&r)),
            received,
            summary: mask_free_text(&summary),
            demand: mask_free_text(&demand),
            order_ref,
            product_id: input.product_id,
            room_id: input.room_id,
            streamer_id: input.streamer_id,
            session_id: input.session_id,
            comment_event_id: input.comment_event_id,
            promises: serde_json::to_string(&promises).unwrap_or_else(|_| "[]".into()),
            consumer_masked: masked,
            assignee,
            source,
            external_ref,
            regulator,
            price_fen,
            exposure_fen: exposure.as_ref().map(|e| e.amount_fen),
            exposure_reason: exposure.map(|e| e.reason_zh),
            return_json: None,
        },
        clocks,
        consumer,
    })
}

/// A clock of `kind` started at `at` under the policy.
fn start_change(
    rt: &DeskRuntime,
    kind: ClockKind,
    complexity: Complexity,
    at: Stamp,
) -> ClockChange {
    let rule = rt.policy.rule(kind, complexity);
    let t = clocks::start(&rule, at, &rt.calendar);
    ClockChange::Start {
        kind,
        rule: rule.describe_zh(),
        pausable: rule.pausable && !clocks::statutory(kind),
        started: at,
        due: t.due,
        warn: t.warn,
    }
}

/// The sealing context of a case's consumer data.
pub(crate) fn seal_context(id: i64) -> String {
    format!("desk_case:{id}")
}

pub(crate) fn seal_consumer(
    sealer: &Sealer,
    id: i64,
    c: Option<&Consumer>,
) -> Result<Option<String>, String> {
    match c {
        None => Ok(None),
        Some(c) => {
            let json = serde_json::to_vec(c).map_err(|e| e.to_string())?;
            sealer
                .seal(&seal_context(id), &json)
                .map(Some)
                .map_err(|e| e.to_string())
        }
    }
}

/// Opens a case: checks the input, starts its clocks, seals the consumer's data; a case
/// whose source and external reference exist already is answered as it is (`false`).
pub(crate) async fn create(
    state: &AppState,
    p: &Principal,
    input: &CaseInput,
) -> Result<(i64, bool), ApiError> {
    p.require(Permission::WorkCases)?;
    let now = state.store.now();
    let checked = check_input(state, input, now).await?;
    let sealer = state.sealer.clone();
    let consumer = checked.consumer.clone();
    let seal = move |id: i64| seal_consumer(&sealer, id, consumer.as_ref());
    let audit = p
        .audit("desk.case.create", "case")
        .reason(
            json!({"kind": checked.case.kind, "topic": checked.case.topic, "channel": checked.case.channel})
                .to_string(),
        );
    let created = state
        .store
        .create_case(&checked.case, &checked.clocks, &seal, audit)
        .await?;
    Ok(match created {
        liveguard_store::CaseCreated::New(id) => (id, true),
        liveguard_store::CaseCreated::Existing(id) => (id, false),
    })
}

/// The audit entries of case `id`, newest first (the prefix search also finds `case:12`
/// for `case:1`; only the case's own are kept).
pub(crate) async fn case_entries(
    state: &AppState,
    id: i64,
) -> Result<Vec<liveguard_audit::Entry>, ApiError> {
    let object = format!("case:{id}");
    let entries = state
        .store
        .audit_search(&liveguard_store::AuditFilter {
            action: None,
            actor: None,
            object_prefix: Some(object.clone()),
            before_seq: None,
            from: None,
            until: None,
            limit: liveguard_store::PAGE_LIMIT_MAX,
        })
        .await?;
    Ok(entries.into_iter().filter(|e| e.object == object).collect())
}

/// The queue for `p` (who must be allowed to see cases).
pub(crate) async fn queue(
    state: &AppState,
    p: &Principal,
    filter: &liveguard_store::QueueFilter,
) -> Result<Vec<CaseRow>, ApiError> {
    p.require(Permission::ViewCases)?;
    Ok(state.store.case_queue(filter).await?)
}

/// What an action on a case carries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// The reply or note text.
    #[serde(default)]
    pub text: Option<String>,
    /// Why (withdraw, reopen, complexity, reschedule).
    #[serde(default)]
    pub reason: Option<String>,
    /// Send a reply the engine marked for review anyway (a person confirmed it).
    #[serde(default)]
    pub confirm: bool,
    /// New assignee (assign; empty = nobody).
    #[serde(default)]
    pub assignee: Option<String>,
    /// New complexity (complexity).
    #[serde(default)]
    pub complexity: Option<String>,
    /// Root-cause tag (tag).
    #[serde(default)]
    pub root_cause: Option<String>,
    /// The clock to reschedule.
    #[serde(default)]
    pub clock: Option<String>,
    /// Its new due time.
    #[serde(default)]
    pub due_at: Option<String>,
    /// A return request (return).
    #[serde(default, rename = "return")]
    pub return_request: Option<ReturnInput>,
}

/// A 7-day return request as customer service records it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    /// When the consumer received the goods.
    pub received_at: String,
    /// When the consumer asked (default: the case's received time).
    #[serde(default)]
    pub requested_at: Option<String>,
    /// The goods' class; default from the product's facts.
    #[serde(default)]
    pub class: Option<ReturnClass>,
    /// Sold at a distance (default true).
    #[serde(default)]
    pub distance_sale: Option<bool>,
    /// Digital goods downloaded or unsealed.
    #[serde(default)]
    pub digital_unsealed: bool,
    /// Confirmed as not returnable at purchase.
    #[serde(default)]
    pub confirmed_at_purchase: bool,
    /// Opened only to inspect or test.
    #[serde(default)]
    pub opened_for_inspection: bool,
    /// Intact (default true).
    #[serde(default)]
    pub intact: Option<bool>,
    /// Refund amount in fen (default: the price paid).
    #[serde(default)]
    pub refund_fen: Option<i64>,
}

/// The verbs of `POST /api/v1/cases/{id}/{verb}`.
pub const VERBS: &[&str] = &[
    "reply",
    "solve",
    "start",
    "wait",
    "resume",
    "close",
    "withdraw",
    "reopen",
    "note",
    "assign",
    "complexity",
    "tag",
    "return",
    "goods_back",
    "refunded",
    "reschedule",
];

fn briefs(clocks: &[ClockRow]) -> Vec<ClockBrief> {
    clocks
        .iter()
        .map(|c| ClockBrief {
            kind: c.kind,
            state: c.state,
            pausable: c.pausable,
        })
        .collect()
}

fn open_clock(clocks: &[ClockRow], kind: ClockKind) -> Option<&ClockRow> {
    clocks
        .iter()
        .rev()
        .find(|c| c.kind == kind && matches!(c.state, ClockState::Running | ClockState::Paused))
}

fn need_reason(input: &ActionInput) -> Result<String, ApiError> {
    let r = bounded("reason", input.reason.as_deref().unwrap_or(""), 500, true)?;
    Ok(mask_free_text(&r))
}

/// A reply screened before it goes out: `block` is refused, `review` needs `confirm`.
pub(crate) fn screen_reply(
    state: &AppState,
    text: &str,
    confirm: bool,
) -> Result<(Decision, Vec<liveguard_screen::Finding>), ApiError> {
    let screen = state.screen.load();
    let result = screen.scan(
        text,
        liveguard_screen::ScanContext::new(Channel::CommentReply, ProductCategory::General),
    );
    let worst: Vec<String> = result
        .findings
        .iter()
        .filter(|f| f.severity >= liveguard_core::Severity::Review)
        .map(|f| format!("「{}」{}", f.matched, f.category.label_zh()))
        .collect();
    match result.decision {
        Decision::Block => Err(ApiError::Workflow(format!(
            "回复未发送：合规检查拦截了 {}。请修改后再发。",
            worst.join("、")
        ))),
        Decision::Review if !confirm => Err(ApiError::Workflow(format!(
            "回复未发送：合规检查提示 {}，请核实内容属实、承诺公司确能兑现后勾选「已核实，仍然发送」。",
            worst.join("、")
        ))),
        d => Ok((d, result.findings)),
    }
}

/// Acts on case `id` with `verb`.
pub(crate) async fn act(
    state: &AppState,
    p: &Principal,
    id: i64,
    verb: &str,
    input: &ActionInput,
) -> Result<CaseRow, ApiError> {
    p.require(Permission::WorkCases)?;
    let case = state.store.case(id).await?;
    let clock_rows = state.store.case_clocks(id).await?;
    let now = state.store.now();
    let rt = &state.desk;
    let mut step = CaseStep {
        from: Some(case.state),
        ..Default::default()
    };
    let mut reason: Option<String> = None;
    let action_name = format!("desk.case.{verb}");
    if let Some(action) = Action::parse(verb) {
        if action.needs_reason() {
            reason = Some(need_reason(input)?);
        }
        let s = liveguard_desk::case::step(case.state, action, &briefs(&clock_rows))
            .map_err(|e| ApiError::Workflow(step_error_zh(&e)))?;
        step.to = Some(s.to);
        if action.sends_text() {
            let text = bounded(
                "text",
                input.text.as_deref().unwrap_or(""),
                TEXT_CHARS_MAX,
                true,
            )?;
            let (decision, findings) = screen_reply(state, &text, input.confirm)?;
            step.message = Some((
                "reply".into(),
                mask_free_text(&text),
                Some(decision.as_str().to_string()),
                Some(serde_json::to_string(&findings).unwrap_or_else(|_| "[]".into())),
            ));
        } else if let Some(t) = input.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let t = bounded("text", t, TEXT_CHARS_MAX, false)?;
            step.message = Some(("note".into(), mask_free_text(&t), None, None));
        }
        for op in s.clocks {
            step.clocks
                .push(clock_change(rt, &case, &clock_rows, op, now)?);
        }
    } else {
        match verb {
            "note" => {
                let t = bounded(
                    "text",
                    input.text.as_deref().unwrap_or(""),
                    TEXT_CHARS_MAX,
                    true,
                )?;
                step.message = Some(("note".into(), mask_free_text(&t), None, None));
            }
            "assign" => {
                let who = input.assignee.as_deref().map(str::trim).unwrap_or("");
                if who.is_empty() {
                    step.assignee = Some(None);
                } else {
                    let user = state
                        .store
                        .users()
                        .await?
                        .into_iter()
                        .find(|u| u.username == who && !u.disabled)
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "assignee",
                                format!("没有可用账号「{who}」"),
                                "no such active user",
                            )
                        })?;
                    if !crate::http::perms::allowed(user.role, Permission::WorkCases) {
                        return Err(ApiError::invalid(
                            "assignee",
                            "该账号的角色不能处理投诉案件",
                            "that user's role cannot work cases",
                        ));
                    }
                    step.assignee = Some(Some(user.username));
                }
                reason = Some(format!(
                    "assignee: {}",
                    if who.is_empty() { "-" } else { who }
                ));
            }
            "complexity" => {
                let c: Complexity = parse_code(
                    "complexity",
                    input.complexity.as_deref().unwrap_or(""),
                    "复杂程度",
                )?;
                let why = need_reason(input)?;
                step.complexity = Some((c, why.clone()));
                reason = Some(why);
                if let Some(sol) = open_clock(&clock_rows, ClockKind::Solution)
                    && c != case.complexity
                {
                    let rule = rt.policy.rule(ClockKind::Solution, c);
                    let due = clocks::due_after(&rule, sol.started_ms, &rt.calendar);
                    step.clocks.push(ClockChange::Reschedule {
                        kind: ClockKind::Solution,
                        rule: rule.describe_zh(),
                        pausable: rule.pausable,
                        due,
                        warn: clocks::warn_time(&rule, sol.started_ms, due),
                    });
                }
            }
            "tag" => {
                let t = bounded(
                    "root_cause",
                    input.root_cause.as_deref().unwrap_or(""),
                    50,
                    true,
                )?;
                step.root_cause = Some(t);
            }
            "return" => {
                let r = input.return_request.as_ref().ok_or_else(|| {
                    ApiError::invalid("return", "请填写退货申请", "a return request is required")
                })?;
                let (json, _) = decide_return_json(state, &case, r).await?;
                step.return_json = Some(json);
            }
            "goods_back" => {
                if open_clock(&clock_rows, ClockKind::Refund).is_some() {
                    return Err(ApiError::Workflow("退款时限已在计时".into()));
                }
                if !return_eligible(&case) {
                    return Err(ApiError::Workflow(
                        "请先登记退货申请并判定可以退货，再登记收到退货".into(),
                    ));
                }
                step.clocks
                    .push(start_change(rt, ClockKind::Refund, case.complexity, now));
            }
            "refunded" => {
                let c = open_clock(&clock_rows, ClockKind::Refund).ok_or_else(|| {
                    ApiError::Workflow("没有正在计时的退款时限（请先登记收到退货）".into())
                })?;
                step.clocks.push(ClockChange::Finish {
                    kind: ClockKind::Refund,
                    state: clocks::met_state(c.due_ms, now),
                    at: now,
                });
            }
            "reschedule" => {
                let kind: ClockKind =
                    parse_code("clock", input.clock.as_deref().unwrap_or(""), "时限")?;
                let why = need_reason(input)?;
                let c = open_clock(&clock_rows, kind)
                    .ok_or_else(|| ApiError::Workflow("该时限不在计时中".into()))?;
                if clocks::statutory(kind) && kind != ClockKind::RegulatorResponse {
                    return Err(ApiError::Workflow(
                        "法定时限不能修改（退款 7 日、调解期限由法律规定）".into(),
                    ));
                }
                let due = parse_time("due_at", input.due_at.as_deref().unwrap_or(""))?;
                if due <= c.started_ms {
                    return Err(ApiError::invalid(
                        "due_at",
                        "新的期限应晚于开始计时的时间",
                        "must be after the clock's start",
                    ));
                }
                let rule = rt.policy.rule(kind, case.complexity);
                step.clocks.push(ClockChange::Reschedule {
                    kind,
                    rule: format!("{}（{}）", c.rule, "已调整"),
                    pausable: c.pausable,
                    due,
                    warn: clocks::warn_time(&rule, c.started_ms, due),
                });
                reason = Some(why);
            }
            _ => {
                return Err(ApiError::invalid(
                    "verb",
                    "不支持的操作",
                    format!("unknown action; one of {}", VERBS.join(", ")),
                ));
            }
        }
    }
    let mut audit = p.audit(&action_name, &format!("case:{id}"));
    if let Some(r) = reason {
        audit = audit.reason(r);
    }
    Ok(state.store.case_step(id, step, audit).await?)
}

fn step_error_zh(e: &liveguard_desk::StepError) -> String {
    match e {
        liveguard_desk::StepError::Transition { state, action } => format!(
            "案件当前为「{}」，不能执行「{}」（{state} → {action}）",
            state
                .parse::<CaseState>()
                .map(crate::ui::labels::case_state_zh)
                .unwrap_or(state),
            crate::ui::labels::action_zh(action)
        ),
        liveguard_desk::StepError::StatutoryRunning(_) => {
            "退款时限仍在计时：请先登记已退款，再结案".into()
        }
    }
}

/// The store change for one clock operation of the state machine.
fn clock_change(
    rt: &DeskRuntime,
    case: &CaseRow,
    clock_rows: &[ClockRow],
    op: ClockOp,
    now: Stamp,
) -> Result<ClockChange, ApiError> {
    let find = |kind| {
        open_clock(clock_rows, kind).ok_or_else(|| {
            ApiError::Internal(format!("case {} has no open {kind:?} clock", case.id))
        })
    };
    Ok(match op {
        ClockOp::Meet(kind) => {
            let c = find(kind)?;
            ClockChange::Finish {
                kind,
                state: clocks::met_state(c.due_ms, now),
                at: now,
            }
        }
        ClockOp::Stop(kind) => ClockChange::Finish {
            kind,
            state: ClockState::Stopped,
            at: now,
        },
        ClockOp::Pause(kind) => {
            let c = find(kind)?;
            let rule = rt.policy.rule(kind, case.complexity);
            ClockChange::Pause {
                kind,
                at: now,
                remaining: clocks::remaining_at_pause(&rule, c.due_ms, now, &rt.calendar),
            }
        }
        ClockOp::Resume(kind) => {
            let c = find(kind)?;
            let rule = rt.policy.rule(kind, case.complexity);
            let due = clocks::due_on_resume(&rule, c.remaining.unwrap_or(0), now, &rt.calendar);
            ClockChange::Resume {
                kind,
                at: now,
                due,
                warn: clocks::warn_time(&rule, now, due),
            }
        }
        ClockOp::Start(kind) => start_change(rt, kind, case.complexity, now),
    })
}

/// Whether the case's recorded return request was found eligible.
pub(crate) fn return_eligible(case: &CaseRow) -> bool {
    case.return_json
        .as_deref()
        .and_then(|j| serde_json::from_str::<Value>(j).ok())
        .is_some_and(|v| v["eligible"] == json!(true))
}

/// Decides a return request for `case`: the JSON stored with the case and the decision.
pub(crate) async fn decide_return_json(
    state: &AppState,
    case: &CaseRow,
    r: &ReturnInput,
) -> Result<(String, returns::ReturnDecision), ApiError> {
    let received_at = parse_time("return.received_at", &r.received_at)?;
    let requested_at = match r.requested_at.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => parse_time("return.requested_at", t)?,
        _ => case.received_ms,
    };
    if requested_at < received_at {
        return Err(ApiError::invalid(
            "return.requested_at",
            "申请退货的时间早于签收时间，请核对",
            "the request is before the goods were received",
        ));
    }
    let class = match r.class {
        Some(c) => c,
        None => match case.product_id {
            Some(pid) => return_class_of(&product_facts(&state.store.product(pid).await?)),
            None => ReturnClass::Standard,
        },
    };
    let req = ReturnRequest {
        class,
        distance_sale: r.distance_sale.unwrap_or(true),
        received_at,
        requested_at,
        digital_unsealed: r.digital_unsealed,
        confirmed_at_purchase: r.confirmed_at_purchase,
        opened_for_inspection: r.opened_for_inspection,
        intact: r.intact.unwrap_or(true),
    };
    if let Some(f) = r.refund_fen
        && !(0..=AMOUNT_FEN_MAX).contains(&f)
    {
        return Err(ApiError::invalid(
            "return.refund_fen",
            "退款金额不合理",
            "must be 0 to 10,000,000,000 fen",
        ));
    }
    let d = returns::decide_return(&req);
    let json = json!({
        "class": class, "class_label": class.label_zh(),
        "received_at": received_at.rfc3339(), "requested_at": requested_at.rfc3339(),
        "distance_sale": req.distance_sale, "digital_unsealed": req.digital_unsealed,
        "confirmed_at_purchase": req.confirmed_at_purchase, "opened_for_inspection": req.opened_for_inspection,
        "intact": req.intact,
        "eligible": d.eligible, "window_ends": d.window_ends.rfc3339(), "basis": d.basis_zh, "citation": d.citation,
        "refund_fen": r.refund_fen.or(case.price_fen),
    });
    Ok((json.to_string(), d))
}

/// One clock as the API and pages show it, with the time left at `now`.
pub(crate) fn clock_json(c: &ClockRow, now: Stamp) -> Value {
    let left = match c.state {
        ClockState::Running => Some(c.due_ms.ms() - now.ms()),
        ClockState::Paused => None,
        _ => None,
    };
    json!({
        "kind": c.kind, "rule": c.rule, "state": c.state, "statutory": clocks::statutory(c.kind),
        "pausable": c.pausable,
        "started_at": c.started_ms.rfc3339(), "due_at": c.due_ms.rfc3339(), "warn_at": c.warn_ms.rfc3339(),
        "paused_at": c.paused_ms.map(Stamp::rfc3339), "finished_at": c.finished_ms.map(Stamp::rfc3339),
        "warned": c.warned, "breached": c.breached, "left_ms": left,
    })
}

/// The consumer's data for `p`: in full when the role may see personal data, else masked.
pub(crate) fn consumer_for(
    state: &AppState,
    p: &Principal,
    case: &CaseRow,
) -> (Option<Consumer>, bool) {
    if p.can(Permission::ViewPersonalData)
        && let Some(sealed) = &case.consumer_sealed
        && let Ok(bytes) = state.sealer.open(&seal_context(case.id), sealed)
        && let Ok(c) = serde_json::from_slice::<Consumer>(&bytes)
    {
        return (Some(c), false);
    }
    (
        case.consumer_masked
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok()),
        true,
    )
}

/// A case as the API answers it.
pub(crate) fn case_json(
    state: &AppState,
    p: &Principal,
    case: &CaseRow,
    clocks: &[ClockRow],
) -> Value {
    let now = state.store.now();
    let (consumer, masked) = consumer_for(state, p, case);
    json!({
        "id": case.id, "kind": case.kind, "topic": case.topic, "channel": case.channel,
        "state": case.state, "complexity": case.complexity, "complexity_reason": case.complexity_reason,
        "received_at": case.received_ms.rfc3339(), "summary": case.summary, "demand": case.demand,
        "order_ref": case.order_ref, "product_id": case.product_id, "room_id": case.room_id,
        "streamer_id": case.streamer_id, "session_id": case.session_id, "comment_event_id": case.comment_event_id,
        "promises": serde_json::from_str::<Value>(&case.promises).unwrap_or(json!([])),
        "consumer": consumer, "consumer_masked": masked,
        "assignee": case.assignee, "source": case.source, "external_ref": case.external_ref,
        "regulator": case.regulator, "price_fen": case.price_fen,
        "exposure": case.exposure_fen.map(|f| json!({"amount_fen": f, "reason": case.exposure_reason})),
        "return": case.return_json.as_deref().and_then(|j| serde_json::from_str::<Value>(j).ok()),
        "root_cause": case.root_cause,
        "next_due_at": case.next_due_ms.map(Stamp::rfc3339),
        "overdue": clocks.iter().any(|c| c.state == ClockState::Running && c.due_ms <= now),
        "created_by": case.created_by, "created_at": case.created_ms.rfc3339(), "updated_at": case.updated_ms.rfc3339(),
        "clocks": clocks.iter().map(|c| clock_json(c, now)).collect::<Vec<_>>(),
    })
}

/// The calendar's coverage problem for the status page: the next year's holidays missing.
pub(crate) fn calendar_gap(rt: &DeskRuntime, now: Stamp) -> Option<i32> {
    let year = calendar::beijing_date(now).year();
    [year, year + 1]
        .into_iter()
        .find(|y| !rt.calendar.covers(*y))
}

/// One week of the desk's clock figures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WeekFigures {
    /// The Monday the week starts on (Beijing).
    pub(crate) monday: time::Date,
    /// First replies: median and 90th percentile in minutes, share within the due time (%).
    pub(crate) first_reply: Option<(i64, i64, i64)>,
    /// Solutions: the same.
    pub(crate) solution: Option<(i64, i64, i64)>,
    /// Clocks that breached, by the week their due time fell in.
    pub(crate) breaches: i64,
}

fn figures(mut minutes: Vec<(i64, bool)>) -> Option<(i64, i64, i64)> {
    if minutes.is_empty() {
        return None;
    }
    minutes.sort();
    let n = minutes.len();
    let at = |q: f64| minutes[((n as f64 * q).ceil() as usize).clamp(1, n) - 1].0;
    let within = minutes.iter().filter(|m| m.1).count() as i64 * 100 / n as i64;
    Some((at(0.5), at(0.9), within))
}

/// The last `weeks` Beijing weeks (Monday to Sunday) of first-reply and solution times,
/// oldest first, every week present.
pub(crate) async fn weekly_figures(
    state: &AppState,
    weeks: i64,
) -> Result<Vec<WeekFigures>, ApiError> {
    let today = calendar::beijing_date(state.store.now());
    let this_monday =
        today - time::Duration::days(i64::from(today.weekday().number_days_from_monday()));
    let first = this_monday - time::Duration::weeks(weeks - 1);
    let since = calendar::end_of_day(first - time::Duration::days(1));
    let rows = state.store.desk_finished_clocks(since).await?;
    let breaches = state.store.desk_breaches_since(since).await?;
    Ok((0..weeks)
        .map(|w| {
            let monday = first + time::Duration::weeks(w);
            let of = |kind: ClockKind| {
                figures(
                    rows.iter()
                        .filter(|(k, _, _, f)| {
                            *k == kind && {
                                let d = calendar::beijing_date(*f);
                                d >= monday && d < monday + time::Duration::weeks(1)
                            }
                        })
                        .map(|(_, s, due, f)| ((f.ms() - s.ms()) / 60_000, f <= due))
                        .collect(),
                )
            };
            let in_week = |d: time::Date| d >= monday && d < monday + time::Duration::weeks(1);
            WeekFigures {
                breaches: breaches
                    .iter()
                    .filter(|b| in_week(calendar::beijing_date(**b)))
                    .count() as i64,
                monday,
                first_reply: of(ClockKind::FirstReply),
                solution: of(ClockKind::Solution),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn medians_percentiles_and_shares_are_of_what_was_met() {
        assert_eq!(super::figures(vec![]), None);
        let m = vec![
            (10, true),
            (20, true),
            (30, true),
            (40, false),
            (1000, false),
        ];
        assert_eq!(super::figures(m), Some((30, 1000, 60)));
        assert_eq!(super::figures(vec![(5, true)]), Some((5, 5, 100)));
    }
}
