//! The lottery's rules as published before entry opens, and their checks against the
//! Anti-Unfair Competition Law and 《规范促销行为暂行规定》 (regulations.md L-01 … L-08).

use liveguard_core::{Citation, ConfidenceTag, Severity};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Highest value of the top prize of a lottery-style promotion, in fen (¥50,000;
/// AUCL 2025 Art. 11(4)).
pub const TOP_PRIZE_FEN_MAX: i64 = 5_000_000;

/// One prize.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prize {
    /// Name (奖品名称).
    pub name: String,
    /// Kind: cash, goods, coupon, service, virtual (奖品种类).
    pub kind: String,
    /// Value of one unit in fen, at the same-period market price for non-cash prizes.
    pub unit_value_fen: i64,
    /// How many (奖品数量).
    pub quantity: u32,
}

/// How to enter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// comment_keyword, follow, purchase or uploaded_list (参与条件与方式).
    pub method: String,
    /// The keyword to comment, for `comment_keyword`.
    #[serde(default)]
    pub keyword: Option<String>,
    /// Chances one purchase or entry gives (multiple chances count toward the prize cap).
    #[serde(default = "one")]
    pub chances_per_entry: u32,
}

fn one() -> u32 {
    1
}

/// The committed rules of one lottery (抽奖规则).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotteryRules {
    /// Title.
    pub title: String,
    /// Organiser (举办者) and contact (联系方式).
    pub organiser: String,
    /// Contact.
    pub contact: String,
    /// Prizes, the top prize first.
    pub prizes: Vec<Prize>,
    /// How to enter.
    pub entry: Entry,
    /// Who may not enter (staff, streamers, agency and related accounts …).
    pub exclusions: Vec<String>,
    /// Entry window start (RFC 3339).
    pub entry_opens_at: String,
    /// Entry window end (RFC 3339).
    pub entry_closes_at: String,
    /// Draw time (开奖时间, RFC 3339).
    pub draw_at: String,
    /// Draw method: `drand-quicknet` or `commit-reveal` (开奖方式).
    pub draw_method: String,
    /// How duplicates are handled (the documented rule: one entry per account).
    pub dedupe: String,
    /// Redemption terms (兑奖条件、方式).
    pub redemption: String,
    /// Redemption deadline (兑奖时间, RFC 3339).
    pub redemption_deadline: String,
    /// What happens to unclaimed prizes (放弃奖品的条件).
    pub unclaimed: String,
    /// Delivery of prizes (奖品交付方式).
    pub delivery: String,
    /// For `commit-reveal`: SHA-256 of the operator's seed (hex), published with the rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_commitment: Option<String>,
}

/// One problem found in the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleFinding {
    /// Rule id (`lottery/top-prize-cap`, `lottery/disclosure-missing`, `lottery/rule-change`).
    pub rule: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The field at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// Law citations.
    pub citations: Vec<Citation>,
}

fn cite(law: &str, article: &str, clause: Option<&str>, tag: ConfidenceTag) -> Citation {
    Citation {
        law: law.into(),
        article: article.into(),
        clause: clause.map(str::to_string),
        tag,
    }
}

/// Entry methods.
pub const ENTRY_METHODS: &[&str] = &["comment_keyword", "follow", "purchase", "uploaded_list"];
/// Draw methods.
pub const DRAW_METHODS: &[&str] = &["drand-quicknet", "commit-reveal"];

impl LotteryRules {
    /// Value of the top prize one winner can get, counting multiple chances from one entry.
    pub fn top_prize_fen(&self) -> i64 {
        let top = self
            .prizes
            .iter()
            .map(|p| p.unit_value_fen)
            .max()
            .unwrap_or(0);
        top.saturating_mul(i64::from(self.entry.chances_per_entry.max(1)))
    }

    /// Number of winners (all prize units).
    pub fn winners(&self) -> u32 {
        self.prizes.iter().map(|p| p.quantity).sum()
    }

    /// The canonical bytes that are committed: JSON with sorted keys, no spaces.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // serde_json's map keeps keys sorted, so a round trip through Value sorts them.
        let v = serde_json::to_value(self).expect("rules serialize");
        serde_json::to_vec(&v).expect("values serialize")
    }

    /// SHA-256 of the canonical bytes, hex.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }

    /// Checks the rules; an empty list means they may be committed.
    pub fn check(&self) -> Vec<RuleFinding> {
        let mut out = Vec::new();
        let missing = |field: &str, what: &str| RuleFinding {
            rule: "lottery/disclosure-missing",
            severity: Severity::Block,
            field: field.into(),
            message: format!("{what} must be published before entry opens"),
            citations: vec![
                cite("规范促销行为暂行规定", "13", None, ConfidenceTag::S),
                cite("反不正当竞争法", "11", Some("1"), ConfidenceTag::P),
            ],
        };
        for (field, value, what) in [
            ("title", &self.title, "the title"),
            ("organiser", &self.organiser, "the organiser (举办者)"),
            ("contact", &self.contact, "the organiser's contact"),
            ("entry_opens_at", &self.entry_opens_at, "the entry window"),
            ("entry_closes_at", &self.entry_closes_at, "the entry window"),
            ("draw_at", &self.draw_at, "the draw time (开奖时间)"),
            ("dedupe", &self.dedupe, "the rule for duplicate entries"),
            (
                "redemption",
                &self.redemption,
                "the redemption conditions (兑奖条件)",
            ),
            (
                "redemption_deadline",
                &self.redemption_deadline,
                "the redemption deadline (兑奖时间)",
            ),
            (
                "unclaimed",
                &self.unclaimed,
                "what happens to unclaimed prizes",
            ),
            ("delivery", &self.delivery, "how prizes are delivered"),
        ] {
            if value.trim().is_empty() {
                out.push(missing(field, what));
            }
        }
        if self.prizes.is_empty() {
            out.push(missing(
                "prizes",
                "the prizes (names, kinds, values, quantities)",
            ));
        }
        for (i, p) in self.prizes.iter().enumerate() {
            if p.name.trim().is_empty() {
                out.push(missing(&format!("prizes[{i}].name"), "each prize's name"));
            }
            if !["cash", "goods", "coupon", "service", "virtual"].contains(&p.kind.as_str()) {
                out.push(missing(
                    &format!("prizes[{i}].kind"),
                    "each prize's kind (cash, goods, coupon, service, virtual)",
                ));
            }
            if p.unit_value_fen <= 0 {
                out.push(missing(
                    &format!("prizes[{i}].unit_value_fen"),
                    "each prize's value",
                ));
            }
            if p.quantity == 0 {
                out.push(missing(
                    &format!("prizes[{i}].quantity"),
                    "each prize's quantity",
                ));
            }
        }
        if !ENTRY_METHODS.contains(&self.entry.method.as_str()) {
            out.push(missing(
                "entry.method",
                "how to enter (comment_keyword, follow, purchase, uploaded_list)",
            ));
        }
        if self.entry.method == "comment_keyword"
            && self
                .entry
                .keyword
                .as_deref()
                .is_none_or(|k| k.trim().is_empty())
        {
            out.push(missing("entry.keyword", "the keyword to comment"));
        }
        if self.draw_method == "commit-reveal"
            && !self.seed_commitment.as_deref().is_some_and(|c| {
                c.len() == 64
                    && c.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
        {
            out.push(missing(
                "seed_commitment",
                "the commitment to the operator's seed (64 lowercase hex)",
            ));
        }
        if !DRAW_METHODS.contains(&self.draw_method.as_str()) {
            out.push(missing(
                "draw_method",
                "the draw method (drand-quicknet or commit-reveal)",
            ));
        }
        let top = self.top_prize_fen();
        if top > TOP_PRIZE_FEN_MAX {
            out.push(RuleFinding {
                rule: "lottery/top-prize-cap",
                severity: Severity::Block,
                field: "prizes".into(),
                message: format!(
                    "the top prize is worth ¥{}.{:02} to one winner (with {} chance(s) per entry); a lottery-style promotion may not exceed ¥50,000",
                    top / 100,
                    top % 100,
                    self.entry.chances_per_entry.max(1)
                ),
                citations: vec![cite("反不正当竞争法", "11", Some("4"), ConfidenceTag::P)],
            });
        }
        out
    }

    /// Checks a change to committed rules after entry opened: allowed only when it is more
    /// favourable to consumers (more or better prizes, a longer window, a later redemption
    /// deadline) and nothing else changed. Returns what makes it not allowed.
    pub fn change_after_start(&self, new: &LotteryRules) -> Vec<RuleFinding> {
        let mut out = Vec::new();
        let bad = |field: &str, message: String| RuleFinding {
            rule: "lottery/rule-change",
            severity: Severity::Block,
            field: field.into(),
            message,
            citations: vec![
                cite("反不正当竞争法", "11", Some("2"), ConfidenceTag::P),
                cite("规范促销行为暂行规定", "13", None, ConfidenceTag::S),
            ],
        };
        // Every original prize must still be there, no fewer and no cheaper.
        for p in &self.prizes {
            match new
                .prizes
                .iter()
                .find(|q| q.name == p.name && q.kind == p.kind)
            {
                Some(q) if q.quantity >= p.quantity && q.unit_value_fen >= p.unit_value_fen => {}
                _ => out.push(bad(
                    "prizes",
                    format!(
                        "prize `{}` was removed, reduced or cheapened after the start",
                        p.name
                    ),
                )),
            }
        }
        if new.entry_closes_at < self.entry_closes_at {
            out.push(bad(
                "entry_closes_at",
                "the entry window was shortened".into(),
            ));
        }
        if new.redemption_deadline < self.redemption_deadline {
            out.push(bad(
                "redemption_deadline",
                "the redemption deadline was brought forward".into(),
            ));
        }
        for (field, a, b) in [
            (
                "entry",
                serde_json::to_string(&self.entry).ok(),
                serde_json::to_string(&new.entry).ok(),
            ),
            (
                "exclusions",
                serde_json::to_string(&self.exclusions).ok(),
                serde_json::to_string(&new.exclusions).ok(),
            ),
            (
                "entry_opens_at",
                Some(self.entry_opens_at.clone()),
                Some(new.entry_opens_at.clone()),
            ),
            (
                "draw_at",
                Some(self.draw_at.clone()),
                Some(new.draw_at.clone()),
            ),
            (
                "draw_method",
                Some(self.draw_method.clone()),
                Some(new.draw_method.clone()),
            ),
            (
                "dedupe",
                Some(self.dedupe.clone()),
                Some(new.dedupe.clone()),
            ),
            (
                "organiser",
                Some(self.organiser.clone()),
                Some(new.organiser.clone()),
            ),
        ] {
            if a != b {
                out.push(bad(
                    field,
                    format!("`{field}` may not change after entry opened"),
                ));
            }
        }
        out.extend(new.check());
        out
    }
}
