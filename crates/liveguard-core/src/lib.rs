//! The shared nouns of liveguard.
//!
//! Every other crate speaks in these types: how serious a finding is ([`Severity`]),
//! what the per-text verdict is ([`Decision`]), where a text came from ([`Channel`]),
//! what is being sold ([`ProductCategory`]), what kind of problem a finding is
//! ([`Category`]) and which law it rests on ([`Citation`]); and where time comes from
//! ([`clock::Clock`]).
//!
//! # Stability
//! The string forms (`as_str`) are a public interface: they appear in JSON output,
//! rule packs and the database. Codes may be added; existing codes are never renamed.
//!
//! # Errors
//! Parsing an unknown string is an error ([`ParseError`]) that names the value and
//! lists the accepted ones; nothing silently falls back to a default.
#![deny(missing_docs)]

pub mod clock;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An unknown code was given where one of a closed set was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    kind: &'static str,
    value: String,
    expected: &'static [&'static str],
}

impl ParseError {
    /// Which kind of code was being parsed (for example `channel`).
    pub fn kind(&self) -> &'static str {
        self.kind
    }
    /// The rejected value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}` (expected one of: {})",
            self.kind,
            self.value,
            self.expected.join(", ")
        )
    }
}

impl std::error::Error for ParseError {}

/// Declares a closed string enum with `as_str`, `ALL`, `FromStr`, `Display` and serde.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            const CODES: &'static [&'static str] = &[$($code),+];

            /// The stable string code.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(ParseError { kind: $kind, value: s.to_string(), expected: Self::CODES }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> {
                s.parse()
            }
        }

        impl From<$name> for &'static str {
            fn from(v: $name) -> &'static str {
                v.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum! {
    /// How serious one finding is. Ordered: `Info < Review < Block`.
    Severity, "severity" {
        /// Recorded for the reviewer, never stops anything (exception cues, promises to track).
        Info = "info",
        /// A person must look at it before the text is used.
        Review = "review",
        /// The text must not be used as it is.
        Block = "block",
    }
}

code_enum! {
    /// The verdict on one text: the highest severity among its findings, with `info` counting as pass.
    Decision, "decision" {
        /// Nothing at `review` or above.
        Pass = "pass",
        /// At least one `review` finding and no `block`.
        Review = "review",
        /// At least one `block` finding.
        Block = "block",
    }
}

impl Decision {
    /// The decision implied by the highest severity found (`None` when there were no findings).
    pub fn from_max_severity(max: Option<Severity>) -> Decision {
        match max {
            Some(Severity::Block) => Decision::Block,
            Some(Severity::Review) => Decision::Review,
            Some(Severity::Info) | None => Decision::Pass,
        }
    }
}

code_enum! {
    /// Where a text comes from. Rules are scoped to channels.
    Channel, "channel" {
        /// A pre-broadcast script (话术).
        Script = "script",
        /// Product card or detail copy.
        ProductCopy = "product_copy",
        /// Speech recognised from the stream (口播转写).
        Transcript = "transcript",
        /// A viewer comment (弹幕/评论).
        Comment = "comment",
        /// The shop's reply to a comment.
        CommentReply = "comment_reply",
        /// Text read from an image or a video frame.
        ImageText = "image_text",
        /// A contract with a partner.
        Contract = "contract",
        /// A social-media post or notice.
        Post = "post",
    }
}

impl Channel {
    /// Whether the seller controls the wording (so advertising rules apply to it).
    /// Viewer comments are the one channel the seller does not write.
    pub fn is_seller_controlled(self) -> bool {
        !matches!(self, Channel::Comment)
    }
}

code_enum! {
    /// What kind of product the text is about. Decides which category rules apply.
    ProductCategory, "product category" {
        /// No specific regime.
        General = "general",
        /// Ordinary (filed) cosmetics (普通化妆品).
        Cosmetics = "cosmetics",
        /// Special (registered) cosmetics (特殊化妆品).
        SpecialCosmetics = "special_cosmetics",
        /// Ordinary food.
        Food = "food",
        /// Health food (保健食品).
        HealthFood = "health_food",
        /// Drugs.
        Drug = "drug",
        /// Medical devices.
        MedicalDevice = "medical_device",
        /// Electronics.
        Electronics = "electronics",
        /// Clothing.
        Clothing = "clothing",
        /// Toys and children's goods.
        Toys = "toys",
        /// Education and training.
        Education = "education",
        /// Finance and investment products.
        Finance = "finance",
        /// Franchising and investment-recruitment (招商加盟).
        Franchise = "franchise",
    }
}

impl ProductCategory {
    /// Goods that may lawfully talk about treating disease (with their own ad regime).
    pub fn is_medical(self) -> bool {
        matches!(self, ProductCategory::Drug | ProductCategory::MedicalDevice)
    }
}

code_enum! {
    /// The stable public taxonomy of finding categories.
    Category, "finding category" {
        /// 绝对化用语 (Ad Law Art. 9(3)).
        AbsoluteTerms = "absolute_terms",
        /// Disease-treatment or medical wording for goods that are not medical.
        MedicalClaim = "medical_claim",
        /// Efficacy claims beyond what the product may claim, guarantees of effect or safety.
        EfficacyClaim = "efficacy_claim",
        /// Guaranteed returns, capital preservation.
        InvestmentPromise = "investment_promise",
        /// Scarcity or deadline wording that needs a real limit behind it.
        FalseUrgency = "false_urgency",
        /// Reference prices and "lowest price" wording that need price evidence.
        PriceFraud = "price_fraud",
        /// Belittling competitors (商业诋毁).
        Disparagement = "disparagement",
        /// Leading buyers off the platform (加微信, private transfers).
        OffPlatform = "off_platform",
        /// Fake sales, fake reviews, bought traffic.
        FakeData = "fake_data",
        /// Urging children to buy, minors in ads.
        Minors = "minors",
        /// Pornography, gambling, drugs, weapons, forged documents.
        ProhibitedContent = "prohibited_content",
        /// Insults and abuse.
        Abuse = "abuse",
        /// Personal information (phone, ID, bank card, address).
        PersonalInfo = "personal_info",
        /// Unfair standard terms (格式条款).
        UnfairTerms = "unfair_terms",
        /// A mandatory statement or disclosure is missing.
        DisclosureMissing = "disclosure_missing",
        /// Wording banned in health-food, drug and device ads (三品一械), endorsements of them.
        RegulatedAd = "regulated_ad",
        /// A promise to the buyer that creates an obligation to track (保价, 假一赔十).
        Promise = "promise",
        /// A term from a company's own lexicon without a category.
        Custom = "custom",
    }
}

code_enum! {
    /// How sure the research behind a citation is (see `shared/docs/regulations.md` §0.1).
    ConfidenceTag, "confidence tag" {
        /// Primary text read; article confirmed.
        P = "P",
        /// Secondary source; article probable.
        S = "S",
        /// From memory, consistent with sources; unconfirmed.
        R = "R",
        /// Could not confirm.
        U = "U",
    }
}

impl ConfidenceTag {
    /// Whether the article number is confirmed well enough to be the sole basis of a block
    /// (regulations.md G-01: a rule tagged R or U cannot alone justify a BLOCK).
    pub fn may_block_alone(self) -> bool {
        matches!(self, ConfidenceTag::P | ConfidenceTag::S)
    }
}

/// One law citation: the statute, the article, optionally the clause, and the confidence tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Short name of the law or rule, for example `广告法`.
    pub law: String,
    /// Article number, for example `9`.
    pub article: String,
    /// Clause or item within the article, for example `3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    /// Confidence tag of the article number.
    pub tag: ConfidenceTag,
}

impl fmt::Display for Citation {
    /// Renders as `《广告法》第9条第3项 [P]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "《{}》", self.law)?;
        if self.article != "-" {
            write!(f, "第{}条", self.article)?;
        }
        if let Some(clause) = &self.clause {
            write!(f, "第{clause}项")?;
        }
        write!(f, " [{}]", self.tag)
    }
}

code_enum! {
    /// A person's role in the company. Permissions are decided from it on the server.
    Role, "role" {
        /// Administrator: accounts, roles, tokens, configuration.
        Admin = "admin",
        /// Compliance lead (合规组长): final review, incidents, rules.
        ComplianceLead = "compliance_lead",
        /// Legal (法务): final review co-signature, contracts.
        Legal = "legal",
        /// Operations reviewer (初审).
        OpsReviewer = "ops_reviewer",
        /// Operations manager (复审).
        OpsManager = "ops_manager",
        /// Customer service (客服).
        CustomerService = "customer_service",
        /// Streamer (主播).
        Streamer = "streamer",
        /// Auditor: read-only access for inspections.
        Auditor = "auditor",
    }
}

code_enum! {
    /// Where a live session stands: planned, on air, or over.
    SessionState, "live session state" {
        /// Created from an approved plan; not on air yet.
        Planned = "planned",
        /// On air: events are accepted.
        Live = "live",
        /// Over; its records are kept until the retention date.
        Ended = "ended",
    }
}

code_enum! {
    /// Where a live alert stands.
    AlertState, "alert state" {
        /// Raised; nobody has acted on it.
        Open = "open",
        /// Seen by the duty officer.
        Acknowledged = "acknowledged",
        /// Left open too long; escalated to the compliance lead.
        Escalated = "escalated",
        /// Dealt with, with a note.
        Resolved = "resolved",
    }
}

code_enum! {
    /// Where a promise follow-up (保价, 赠品, 赔付) stands.
    TaskState, "follow-up state" {
        /// Still to be honoured.
        Open = "open",
        /// Honoured, with a note.
        Done = "done",
    }
}

code_enum! {
    /// Where a lottery stands: its rules drafted, committed, its entrants closed, drawn.
    LotteryState, "lottery state" {
        /// Rules drafted, not yet public.
        Draft = "draft",
        /// Rules committed (their digest published); entry open.
        Committed = "committed",
        /// Entrants committed; waiting for the draw.
        Closed = "closed",
        /// Drawn.
        Drawn = "drawn",
    }
}

code_enum! {
    /// Where a winner's prize claim stands.
    ClaimState, "prize claim state" {
        /// Drawn; the winner has not claimed yet.
        Awaiting = "awaiting",
        /// Claimed with delivery data.
        Claimed = "claimed",
        /// Sent.
        Shipped = "shipped",
        /// Received.
        Redeemed = "redeemed",
        /// Not claimed by the deadline.
        Forfeited = "forfeited",
    }
}

code_enum! {
    /// The kinds of master record.
    MasterKind, "master record kind" {
        /// A live room (platform, account, operator).
        Room = "room",
        /// A streamer (name, agency).
        Streamer = "streamer",
        /// A session plan (date, room, streamers, lineup).
        Plan = "plan",
    }
}

impl Category {
    /// The Chinese name people read (alerts, pages, reports).
    pub fn label_zh(self) -> &'static str {
        match self {
            Category::AbsoluteTerms => "绝对化用语",
            Category::MedicalClaim => "医疗用语",
            Category::EfficacyClaim => "功效宣称",
            Category::InvestmentPromise => "投资回报承诺",
            Category::FalseUrgency => "虚假紧迫",
            Category::PriceFraud => "价格欺诈",
            Category::Disparagement => "贬低他人",
            Category::OffPlatform => "站外引流",
            Category::FakeData => "虚假数据",
            Category::Minors => "未成年人保护",
            Category::ProhibitedContent => "违禁内容",
            Category::Abuse => "辱骂攻击",
            Category::PersonalInfo => "个人信息",
            Category::UnfairTerms => "不公平格式条款",
            Category::DisclosureMissing => "信息披露缺失",
            Category::RegulatedAd => "特殊商品广告",
            Category::Promise => "承诺事项",
            Category::Custom => "自定义规则",
        }
    }
}

impl Role {
    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::ComplianceLead => "合规组长",
            Role::Legal => "法务",
            Role::OpsReviewer => "运营初审",
            Role::OpsManager => "运营复审",
            Role::CustomerService => "客服",
            Role::Streamer => "主播",
            Role::Auditor => "审计（只读）",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>().unwrap(), *c);
        }
        for c in ProductCategory::ALL {
            assert_eq!(c.as_str().parse::<ProductCategory>().unwrap(), *c);
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), *c);
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
            assert!(!r.label_zh().is_empty());
        }
    }

    #[test]
    fn unknown_values_are_errors_naming_the_value() {
        let err = "cosmetic".parse::<ProductCategory>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("`cosmetic`"), "{msg}");
        assert!(msg.contains("special_cosmetics"), "{msg}");
        assert!("Script".parse::<Channel>().is_err());
    }

    #[test]
    fn serde_uses_codes() {
        let json = serde_json_like(Severity::Block);
        assert_eq!(json, "block");
        let c: Result<Channel, _> = Channel::try_from("weibo".to_string());
        assert!(c.is_err());
    }

    fn serde_json_like(s: Severity) -> &'static str {
        s.into()
    }

    #[test]
    fn severity_order_and_decision() {
        assert!(Severity::Info < Severity::Review && Severity::Review < Severity::Block);
        assert_eq!(
            Decision::from_max_severity(Some(Severity::Info)),
            Decision::Pass
        );
        assert_eq!(Decision::from_max_severity(None), Decision::Pass);
        assert_eq!(
            Decision::from_max_severity(Some(Severity::Block)),
            Decision::Block
        );
    }

    #[test]
    fn citation_display() {
        let c = Citation {
            law: "广告法".into(),
            article: "9".into(),
            clause: Some("3".into()),
            tag: ConfidenceTag::P,
        };
        assert_eq!(c.to_string(), "《广告法》第9条第3项 [P]");
    }

    #[test]
    fn public_types_are_send_sync() {
        fn check<T: Send + Sync + std::panic::UnwindSafe>() {}
        check::<Citation>();
        check::<ParseError>();
    }
}

code_enum! {
    /// What a consumer-desk case is (issue 15).
    CaseKind, "case kind" {
        /// A consumer's complaint (投诉).
        Complaint = "complaint",
        /// A report of a violation (举报).
        Report = "report",
        /// An after-sales request: return, exchange, repair, refund.
        AfterSales = "after_sales",
        /// A complaint transferred by a regulator (12315, 市场监管).
        Referral = "referral",
    }
}

code_enum! {
    /// What a case is about.
    CaseTopic, "case topic" {
        /// Product quality.
        Quality = "quality",
        /// False or misleading promotion.
        FalsePromotion = "false_promotion",
        /// Price.
        Price = "price",
        /// After-sales, returns.
        Returns = "returns",
        /// Lottery or prize.
        Lottery = "lottery",
        /// Personal information.
        PersonalInfo = "personal_info",
        /// Streamer conduct.
        StreamerConduct = "streamer_conduct",
        /// Anything else.
        Other = "other",
    }
}

code_enum! {
    /// Where a case came in.
    CaseChannel, "case channel" {
        /// By telephone (hotline).
        Phone = "phone",
        /// The platform's after-sales or complaint messages.
        Platform = "platform",
        /// Online customer service chat.
        Chat = "chat",
        /// E-mail or letter.
        Email = "email",
        /// A comment in a live session, marked from the console.
        LiveComment = "live_comment",
        /// A regulator's transfer (12315 or 市场监管).
        Regulator = "regulator",
        /// An import of a platform's exported list.
        Import = "import",
        /// An integration through the API (webhook).
        Api = "api",
    }
}

code_enum! {
    /// Where a case stands.
    CaseState, "case state" {
        /// Received, nobody has answered yet.
        New = "new",
        /// The consumer has had a first reply.
        Acknowledged = "acknowledged",
        /// Someone is working on it.
        InProgress = "in_progress",
        /// Waiting for the consumer (information, goods sent back).
        WaitingConsumer = "waiting_consumer",
        /// A solution was given to the consumer.
        Solved = "solved",
        /// Done.
        Closed = "closed",
    }
}

code_enum! {
    /// How hard a case is, decided by a person with a reason.
    Complexity, "complexity" {
        /// 一般: solved at the first reply.
        Ordinary = "ordinary",
        /// 复杂: a solution within the complex-case period.
        Complex = "complex",
    }
}

code_enum! {
    /// The clocks a case can run.
    ClockKind, "clock kind" {
        /// The first reply to the consumer.
        FirstReply = "first_reply",
        /// A solution given to the consumer.
        Solution = "solution",
        /// The refund after the returned goods arrived (statutory, CPL Art. 25).
        Refund = "refund",
        /// The answer a regulator asked for by its own deadline.
        RegulatorResponse = "regulator_response",
        /// The regulator's mediation period (实施条例 Art. 46).
        Mediation = "mediation",
    }
}

code_enum! {
    /// Where one clock stands.
    ClockState, "clock state" {
        /// Counting.
        Running = "running",
        /// Stopped while the case waits for the consumer (never a statutory clock).
        Paused = "paused",
        /// Met in time.
        Met = "met",
        /// Met, but after its due time.
        MetLate = "met_late",
        /// Stopped without being met (the case was closed or reopened another way).
        Stopped = "stopped",
    }
}
