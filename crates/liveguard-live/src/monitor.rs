//! One session's monitor: the approved script's claims and prices, the lineup, the product
//! on the card, and what each event becomes.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use liveguard_core::{
    Category, Channel, Citation, ConfidenceTag, Decision, ProductCategory, Severity,
};
use liveguard_screen::{Finding, ScanContext, Scratch, Screen, Span};
use serde::{Deserialize, Serialize};

use crate::price::selling_prices;
use crate::{EventIn, EventKind, pseudonym};

/// One product of the approved lineup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineupEntry {
    /// Product id.
    pub product_id: i64,
    /// Approved live price in fen.
    pub price_fen: i64,
    /// Product category (decides which rules apply while it is on the card).
    pub category: ProductCategory,
}

/// Finding categories that are claims: saying one live that the approved script does not
/// contain is script drift.
const CLAIM_CATEGORIES: &[Category] = &[
    Category::AbsoluteTerms,
    Category::MedicalClaim,
    Category::EfficacyClaim,
    Category::InvestmentPromise,
    Category::FalseUrgency,
    Category::PriceFraud,
    Category::Disparagement,
    Category::RegulatedAd,
    Category::Promise,
];

/// Words of negative product feedback. A comment with one of them is never recommended for
/// hiding: hiding honest complaints to mislead buyers is itself a violation.
const NEGATIVE_FEEDBACK: &[&str] = &[
    "质量差",
    "质量不好",
    "质量太差",
    "假货",
    "是假的",
    "过敏",
    "烂脸",
    "不好用",
    "没效果",
    "没有效果",
    "没用",
    "骗人",
    "坑人",
    "差评",
    "投诉",
    "退款",
    "退货",
    "货不对板",
    "发霉",
    "坏了",
    "破损",
    "变质",
    "拉肚子",
    "起痘",
    "刺痛",
    "难用",
    "上当",
    "后悔",
    "不值",
    "虚假宣传",
    "不发货",
    "没发货",
    "客服不理",
    "色差",
    "掉色",
    "起球",
    "异味",
    "臭",
    "漏液",
    "三无",
];

/// Whether `folded` (a comment after the engine's folding) is negative product feedback.
pub fn negative_feedback(folded: &str) -> bool {
    NEGATIVE_FEEDBACK.iter().any(|w| folded.contains(w))
}

/// What to do with a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Hide the comment from the room.
    Hide,
    /// Hide it and mute the viewer.
    Mute,
    /// Answer it truthfully in the room or by the shop's reply.
    Reply,
}

/// A recommended moderation action; a person decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moderation {
    /// The recommendation.
    pub action: ModerationAction,
    /// Why (the finding categories, or `negative_feedback`).
    pub reasons: Vec<String>,
    /// The comment is negative product feedback: it may not be hidden.
    pub negative_feedback: bool,
}

/// A promise made to buyers that someone must see honoured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promise {
    /// The promise as said.
    pub said: String,
    /// The promise as folded (for grouping).
    pub phrase: String,
    /// The product on the card when it was said.
    pub product_id: Option<i64>,
}

/// An event after processing: what is stored, screened and alerted on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Processed {
    /// Idempotency key.
    pub key: String,
    /// Kind.
    pub kind: EventKind,
    /// When it happened (Unix ms).
    pub at_ms: i64,
    /// The text with personal information masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Transcript segment end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<i64>,
    /// Speaker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// Recogniser confidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// Comment: keyed digest of the platform user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub viewer: Option<String>,
    /// Comment: nickname with personal information masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// The product on the card at that moment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<i64>,
    /// Price shown (product card, price events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_fen: Option<i64>,
    /// Stock shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<i64>,
    /// Lottery action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Where the text came from (`frame`: read from a snapshot of the stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::TextSource>,
    /// Engine and live-check findings, spans into `text`.
    pub findings: Vec<Finding>,
    /// Highest severity as a decision.
    pub decision: Decision,
    /// Comment: recommended action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation: Option<Moderation>,
    /// Promises to follow up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub promises: Vec<Promise>,
    /// How many pieces of personal information were masked.
    #[serde(default)]
    pub masked: usize,
}

impl Processed {
    /// Whether the event raises an alert (a finding at `review` or `block`).
    pub fn alerts(&self) -> bool {
        self.decision != Decision::Pass
    }
}

#[derive(Debug, Clone, Default)]
struct ScriptFacts {
    claims: HashSet<String>,
    prices: HashSet<i64>,
}

/// The monitor of one live session. Not shared: one owner processes the session's events
/// in order (the product on the card is state).
#[derive(Debug, Clone)]
pub struct Monitor {
    script: Option<ScriptFacts>,
    lineup: HashMap<i64, LineupEntry>,
    card_product: Option<i64>,
    card_price: Option<i64>,
    key: Arc<[u8]>,
    /// Titles of the session's lotteries whose rules are committed (published).
    lotteries: Vec<String>,
    /// What the session said earlier (scarcity counts, countdowns), to catch claims that are
    /// false only across utterances. It lives as long as the monitor: a rebuilt monitor
    /// (after a restart) starts listening afresh.
    memory: crate::memory::SessionMemory,
}

fn cite(law: &str, article: &str, tag: ConfidenceTag) -> Citation {
    Citation {
        law: law.into(),
        article: article.into(),
        clause: None,
        tag,
    }
}

fn live_finding(
    text: &str,
    range: Range<usize>,
    rule: &str,
    category: Category,
    citations: Vec<Citation>,
    suggestion: &str,
) -> Finding {
    Finding {
        rule: Arc::from(rule),
        category,
        severity: Severity::Review,
        citations: citations.into(),
        span: Span::of(text, range.clone()),
        matched: text[range.clone()].to_string(),
        normalized: text[range].to_string(),
        suggestion: Arc::from(suggestion),
        exception: None,
        masked: None,
        evasion: None,
        model: None,
    }
}

fn fen(v: i64) -> String {
    format!("{}.{:02}", v / 100, v % 100)
}

impl Monitor {
    /// A monitor for a session approved with `script` (the frozen text, if any) and
    /// `lineup`; `pseudonym_key` keys the viewer digests.
    pub fn new(
        screen: &Screen,
        script: Option<&str>,
        lineup: Vec<LineupEntry>,
        pseudonym_key: &[u8],
    ) -> Monitor {
        let script = script.map(|s| {
            let mut facts = ScriptFacts::default();
            let mut categories: Vec<ProductCategory> = lineup.iter().map(|l| l.category).collect();
            categories.push(ProductCategory::General);
            categories.sort_by_key(|c| c.as_str());
            categories.dedup();
            for c in categories {
                for f in screen
                    .scan(s, ScanContext::new(Channel::Script, c))
                    .findings
                {
                    if CLAIM_CATEGORIES.contains(&f.category) {
                        facts.claims.insert(f.normalized);
                    }
                }
            }
            facts.prices = selling_prices(s).into_iter().map(|(_, p)| p).collect();
            facts
        });
        Monitor {
            script,
            lineup: lineup.into_iter().map(|l| (l.product_id, l)).collect(),
            card_product: None,
            card_price: None,
            lotteries: Vec::new(),
            memory: Default::default(),
            key: Arc::from(pseudonym_key),
        }
    }

    /// Whether an approved script was given (drift is only checked against one).
    pub fn has_script(&self) -> bool {
        self.script.is_some()
    }

    /// The product on the card and its shown price.
    pub fn card(&self) -> (Option<i64>, Option<i64>) {
        (self.card_product, self.card_price)
    }

    /// Restores the card (after a restart, from the last stored card event).
    pub fn set_card(&mut self, product: Option<i64>, price: Option<i64>) {
        self.card_product = product;
        self.card_price = price;
    }

    fn category(&self) -> ProductCategory {
        self.card_product
            .and_then(|p| self.lineup.get(&p))
            .map(|l| l.category)
            .unwrap_or(ProductCategory::General)
    }

    /// Sets the session's lotteries whose rules are committed (their titles); a lottery
    /// announced or opened on air while there is none is flagged.
    pub fn set_lotteries(&mut self, committed: Vec<String>) {
        self.lotteries = committed;
    }

    /// Processes one validated event (see [`crate::validate`]). A sender's idempotency
    /// key that carries personal data is replaced by its keyed digest (`stored_key`).
    pub fn process(&mut self, screen: &Screen, scratch: &mut Scratch, ev: &EventIn) -> Processed {
        let mut out = Processed {
            key: stored_key(&self.key, &ev.key),
            kind: ev.kind,
            at_ms: ev.at_ms,
            text: None,
            end_ms: ev.end_ms,
            speaker: ev
                .speaker
                .as_deref()
                .map(|s| screen.mask_personal_info(s).0),
            confidence: ev.confidence,
            viewer: ev.user_id.as_deref().map(|u| pseudonym(&self.key, u)),
            nickname: ev
                .nickname
                .as_deref()
                .map(|s| screen.mask_personal_info(s).0),
            product_id: None,
            price_fen: ev.price_fen,
            stock: ev.stock,
            action: ev.action.clone(),
            source: ev.source,
            findings: Vec::new(),
            decision: Decision::Pass,
            moderation: None,
            promises: Vec::new(),
            masked: 0,
        };
        match ev.kind {
            EventKind::ProductCard => self.card_change(ev, &mut out),
            EventKind::Price => self.price_change(ev, &mut out),
            _ => {}
        }
        out.product_id = self.card_product;
        if let (Some(text), Some(channel)) = (ev.text.as_deref(), ev.kind.channel()) {
            let ctx = ScanContext::new(channel, self.category());
            let (stored, findings, masked) = screen_masked(screen, scratch, text, ctx);
            out.findings.extend(findings);
            out.masked = masked;
            if channel.is_seller_controlled() {
                self.seller_checks(&stored, &mut out);
                self.recall(&stored, ev.at_ms, &mut out);
            } else {
                out.moderation = moderation(screen, &stored, &out.findings);
            }
            out.text = Some(stored);
        }
        if ev.kind == EventKind::Lottery
            && matches!(ev.action.as_deref(), Some("announce" | "open"))
            && self.lotteries.is_empty()
        {
            let what = out
                .text
                .clone()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| format!("lottery:{}", ev.action.as_deref().unwrap_or("")));
            out.findings.push(live_finding(
                &what,
                0..what.len(),
                "live/lottery-uncommitted",
                Category::DisclosureMissing,
                vec![
                    cite("反不正当竞争法", "11", ConfidenceTag::P),
                    cite("规范促销行为暂行规定", "13", ConfidenceTag::S),
                ],
                "本场没有已提交承诺并公示规则的抽奖：请暂停抽奖，在“抽奖”中定义并提交规则后再开始。A lottery was opened on air without committed, published rules.",
            ));
        }
        out.findings
            .sort_by(|a, b| (a.span.byte_start, &a.rule).cmp(&(b.span.byte_start, &b.rule)));
        out.decision = Decision::from_max_severity(out.findings.iter().map(|f| f.severity).max());
        out
    }

    fn card_change(&mut self, ev: &EventIn, out: &mut Processed) {
        self.card_product = ev.product_id;
        self.card_price = ev.price_fen;
        let Some(product) = ev.product_id else { return };
        let what = format!("product:{product}");
        match self.lineup.get(&product) {
            None if !self.lineup.is_empty() => out.findings.push(live_finding(
                &what,
                0..what.len(),
                "live/product-off-plan",
                Category::DisclosureMissing,
                vec![cite("直播电商监督管理办法", "30", ConfidenceTag::S)],
                "该商品不在已审核的直播排期中：先下架商品卡，补充审核后再上架。The product is not in the approved lineup.",
            )),
            Some(l) => {
                if let Some(p) = ev.price_fen {
                    off_plan_card_price(l, p, out);
                }
            }
            None => {}
        }
    }

    fn price_change(&mut self, ev: &EventIn, out: &mut Processed) {
        if let Some(p) = ev.product_id
            && Some(p) != self.card_product
        {
            self.card_product = Some(p);
            self.card_price = None;
        }
        if let Some(price) = ev.price_fen {
            self.card_price = Some(price);
            if let Some(l) = self.card_product.and_then(|p| self.lineup.get(&p)) {
                off_plan_card_price(l, price, out);
            }
        }
    }

    /// Claims false only across utterances: scarcity repeated without the count falling, a
    /// countdown announced again after it ran out.
    fn recall(&mut self, text: &str, at_ms: i64, out: &mut Processed) {
        use crate::memory::Recall;
        let urgency_cites = || {
            vec![
                cite("明码标价和禁止价格欺诈规定", "19", ConfidenceTag::P),
                cite("反不正当竞争法", "8", ConfidenceTag::P),
            ]
        };
        for r in self.memory.hear(text, at_ms, self.card_product) {
            let f = match r {
                Recall::ScarcityRepeated(range, before, then, now) => {
                    let mut f = live_finding(
                        text,
                        range,
                        "live/scarcity-repeated",
                        Category::FalseUrgency,
                        urgency_cites(),
                        "本场早些时候已说过同样或更少的剩余数量：稀缺表述须与真实库存一致，请核实库存并更正。The same or a smaller count was said earlier this session; scarcity claims must match real stock.",
                    );
                    f.normalized = format!(
                        "said {before} at {}, now {now}",
                        liveguard_core::clock::Stamp::from_ms(then).beijing_clock()
                    );
                    f
                }
                Recall::CountdownRestarted(range, ended) => {
                    let mut f = live_finding(
                        text,
                        range,
                        "live/countdown-restarted",
                        Category::FalseUrgency,
                        urgency_cites(),
                        "本场先前宣布的倒计时已经结束，又重新开始倒计时：限时表述须与真实截止时间一致。A countdown announced earlier has run out and is being restarted.",
                    );
                    f.normalized = format!(
                        "earlier countdown ended {}",
                        liveguard_core::clock::Stamp::from_ms(ended).beijing_clock()
                    );
                    f
                }
            };
            out.findings.push(f);
        }
    }

    fn seller_checks(&self, text: &str, out: &mut Processed) {
        // Promises and drift from the engine's findings.
        let mut drift = Vec::new();
        for f in &out.findings {
            if f.category == Category::Promise {
                out.promises.push(Promise {
                    said: f.matched.clone(),
                    phrase: f.normalized.clone(),
                    product_id: self.card_product,
                });
            }
            // Info-level wording (a price keyword, a usage tip) is not a claim; promises are.
            let claim = CLAIM_CATEGORIES.contains(&f.category)
                && (f.severity >= Severity::Review || f.category == Category::Promise);
            if let Some(script) = &self.script
                && claim
                && !script.claims.contains(&f.normalized)
            {
                let mut d = live_finding(
                    text,
                    f.span.byte_start..f.span.byte_end,
                    "live/script-drift",
                    f.category,
                    vec![cite("直播电商监督管理办法", "30", ConfidenceTag::S)],
                    "已审核话术中没有这一说法：请主播当场更正并以审核通过的话术为准。The approved script does not contain this claim; correct it on air.",
                );
                d.severity = f.severity.max(Severity::Review);
                drift.push(d);
            }
        }
        out.findings.extend(drift);
        let card_product = self.card_product;
        let plan_price = card_product
            .and_then(|p| self.lineup.get(&p))
            .map(|l| l.price_fen);
        for (range, spoken) in selling_prices(text) {
            let price_cites = || {
                vec![
                    cite("明码标价和禁止价格欺诈规定", "19", ConfidenceTag::P),
                    cite("明码标价和禁止价格欺诈规定", "20", ConfidenceTag::P),
                ]
            };
            if let Some(card) = self.card_price
                && card != spoken
            {
                let mut f = live_finding(
                    text,
                    range,
                    "live/price-mismatch",
                    Category::PriceFraud,
                    price_cites(),
                    "口播价格与商品卡价格不一致：请当场更正口播或商品卡，以实际结算价为准。The spoken price differs from the product card.",
                );
                f.normalized = format!("spoken {} card {}", fen(spoken), fen(card));
                out.findings.push(f);
            } else if let Some(plan) = plan_price
                && plan != spoken
            {
                let mut f = live_finding(
                    text,
                    range,
                    "live/price-off-plan",
                    Category::PriceFraud,
                    price_cites(),
                    "口播价格与审核通过的直播排期价格不一致：请核实并更正。The spoken price differs from the approved plan.",
                );
                f.normalized = format!("spoken {} plan {}", fen(spoken), fen(plan));
                out.findings.push(f);
            } else if card_product.is_none()
                && let Some(script) = &self.script
                && !script.prices.contains(&spoken)
                && !self.lineup.values().any(|l| l.price_fen == spoken)
            {
                let mut f = live_finding(
                    text,
                    range,
                    "live/script-drift",
                    Category::PriceFraud,
                    vec![cite("直播电商监督管理办法", "30", ConfidenceTag::S)],
                    "已审核话术和排期中没有这个价格：请核实并更正。Neither the approved script nor the plan has this price.",
                );
                f.normalized = format!("spoken {}", fen(spoken));
                out.findings.push(f);
            }
        }
    }
}

fn off_plan_card_price(l: &LineupEntry, shown: i64, out: &mut Processed) {
    if l.price_fen != shown {
        let what = format!("price {} (plan {})", fen(shown), fen(l.price_fen));
        out.findings.push(live_finding(
            &what,
            0..what.len(),
            "live/price-off-plan",
            Category::PriceFraud,
            vec![
                cite("明码标价和禁止价格欺诈规定", "20", ConfidenceTag::P),
                cite("直播电商监督管理办法", "30", ConfidenceTag::S),
            ],
            "商品卡价格与审核通过的排期价格不一致：请核实后更正商品卡。The card price differs from the approved plan.",
        ));
    }
}

/// Scans `text`, masking personal information first. Returns the text to store, findings
/// whose spans point into it, and how many pieces were masked.
fn screen_masked(
    screen: &Screen,
    scratch: &mut Scratch,
    text: &str,
    ctx: ScanContext,
) -> (String, Vec<Finding>, usize) {
    let (masked_text, count) = screen.mask_personal_info(text);
    if count == 0 {
        let r = screen.scan_with(scratch, text, ctx);
        return (text.to_string(), r.findings, 0);
    }
    // The personal-information findings come from the original; their spans are moved to
    // where their masks sit in the stored text, and their matched text is the mask.
    let original = screen.scan_with(scratch, text, ctx);
    let mut findings = screen.scan_with(scratch, &masked_text, ctx).findings;
    let mut cursor = 0;
    for mut f in original
        .findings
        .into_iter()
        .filter(|f| f.category == Category::PersonalInfo)
    {
        let mask = f.masked.clone().unwrap_or_else(|| "*".repeat(4));
        let Some(pos) = masked_text[cursor..].find(&mask) else {
            continue;
        };
        let start = cursor + pos;
        let end = start + mask.len();
        cursor = end;
        f.span = Span::of(&masked_text, start..end);
        f.matched = mask.clone();
        f.normalized = mask;
        findings.push(f);
    }
    (masked_text, findings, count)
}

fn moderation(screen: &Screen, stored: &str, findings: &[Finding]) -> Option<Moderation> {
    let folded = screen.normalizer().normalize(stored);
    let negative = negative_feedback(folded.as_str());
    let mut reasons: Vec<String> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Review)
        .map(|f| f.category.as_str().to_string())
        .collect();
    reasons.sort();
    reasons.dedup();
    let has = |c: Category| {
        findings
            .iter()
            .any(|f| f.category == c && f.severity >= Severity::Review)
    };
    let action = if negative {
        reasons.insert(0, "negative_feedback".into());
        ModerationAction::Reply
    } else if has(Category::ProhibitedContent) {
        ModerationAction::Mute
    } else if has(Category::OffPlatform) || has(Category::Abuse) || has(Category::FakeData) {
        ModerationAction::Hide
    } else {
        return None;
    };
    Some(Moderation {
        action,
        reasons,
        negative_feedback: negative,
    })
}

/// The idempotency key as stored: the sender's key, unless it carries personal data (a
/// careless `13800138000-1`), then `k:` and its keyed digest — the same key always maps to
/// the same digest, so re-delivery is still recognised (security review F10).
pub(crate) fn stored_key(pseudonym_key: &[u8], key: &str) -> String {
    if liveguard_screen::pii::detect(key, liveguard_screen::Detector::ALL).is_empty() {
        return key.to_string();
    }
    format!("k:{}", pseudonym(pseudonym_key, key))
}
