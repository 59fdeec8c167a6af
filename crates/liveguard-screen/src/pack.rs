//! The rule-pack model: what a TOML file under `rules/` may say, and its validation.
//!
//! Parsing is separate from compiling so that `liveguard rules check` can report every
//! problem of a pack (with file, line and rule id) without building an automaton.

use std::collections::{BTreeMap, HashSet};

use liveguard_core::{Category, Channel, Citation, ProductCategory, Severity};
use serde::Deserialize;

use crate::error::{PackError, Problem};
use crate::pii::Detector;

/// Limits on what one pack may contain, so a hostile or broken pack cannot exhaust memory.
pub const PACK_RULES_MAX: usize = 10_000;
/// Maximum number of patterns across one rule.
pub const RULE_PATTERNS_MAX: usize = 200_000;
/// Maximum length of one pattern, in characters.
pub const PATTERN_CHARS_MAX: usize = 64;
/// Maximum size of one pack file, in bytes.
pub const PACK_FILE_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Maximum co-occurrence window, in characters.
pub const WINDOW_CHARS_MAX: u32 = 200;

/// A parsed, validated rule pack.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulePack {
    /// Pack metadata.
    pub pack: PackMeta,
    /// The rules, in file order.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
    /// Where the pack was read from (set by the loader, for messages).
    #[serde(skip)]
    pub origin: String,
}

/// Pack metadata: `[pack]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    /// Pack id, for example `ad-law`. Rule ids are `PACK/RULE`.
    pub id: String,
    /// Pack version (free form; the date-based `2026.11.0` is used by the default packs).
    pub version: String,
    /// Human title.
    #[serde(default)]
    pub title: String,
    /// Where the terms came from.
    #[serde(default)]
    pub source: String,
}

/// Which extra spellings of a rule's patterns are generated at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// Characters replaced by common homophones used to dodge filters (微 → 薇/威/V).
    Homophone,
    /// Toneless pinyin of the whole pattern (治疗 → zhiliao), matched as a whole ASCII word.
    Pinyin,
}

/// One rule: `[[rule]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Rule id, unique within the pack; the full id is `PACK/ID`.
    pub id: toml::Spanned<String>,
    /// Finding category.
    pub category: Category,
    /// Default severity.
    pub severity: Severity,
    /// Severity for particular product categories.
    #[serde(default)]
    pub severity_by_category: BTreeMap<ProductCategory, Severity>,
    /// Law citations (at least one).
    #[serde(default)]
    pub citations: Vec<Citation>,
    /// Channels the rule applies to (empty = all).
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Product categories the rule applies to (empty = all).
    #[serde(default)]
    pub categories: Vec<ProductCategory>,
    /// Product categories the rule never applies to.
    #[serde(default)]
    pub exclude_categories: Vec<ProductCategory>,
    /// Terms. `A+B+C` is a co-occurrence (all parts in one sentence or window);
    /// `A|B` inside a part lists alternatives; `\+` and `\|` are literal.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// A built-in detector instead of (or besides) patterns.
    #[serde(default)]
    pub detector: Option<Detector>,
    /// Allow-compounds: a hit that lies inside one of these is cancelled.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Exception cues that turn a hit into `info` with a reason.
    #[serde(default)]
    pub soften: Vec<Soften>,
    /// Co-occurrence window in characters; 0 (default) means "within one sentence".
    #[serde(default)]
    pub window_chars: u32,
    /// Generated spellings.
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// What to write instead, or what evidence makes the wording acceptable.
    pub suggestion: String,
    /// Examples checked by the test suite and `liveguard rules test`.
    pub examples: Examples,
    /// The pack file the rule came from (set by the loader).
    #[serde(skip)]
    pub origin: String,
    /// The 1-based line of the rule's id in its pack file (set by the loader).
    #[serde(skip)]
    pub line: usize,
}

/// An exception cue: `[[rule.soften]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Soften {
    /// Reason code shown to the reviewer (for example `usage_tip`, `self_comparison`).
    pub reason: String,
    /// A hit lying inside one of these phrases is softened.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// A hit preceded (in the same clause, within `within_chars`) by one of these is softened.
    #[serde(default)]
    pub before: Vec<String>,
    /// How far before the hit a `before` cue may end, in characters (default 6).
    #[serde(default = "default_within_chars")]
    pub within_chars: u32,
}

const fn default_within_chars() -> u32 {
    6
}

/// `[rule.examples]`: texts that must hit, must not hit, or must be softened to info.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Must produce a finding of this rule at its full severity.
    #[serde(default)]
    pub hit: Vec<String>,
    /// Must produce no finding of this rule at `review` or above.
    #[serde(default)]
    pub miss: Vec<String>,
    /// Must produce a finding of this rule softened to `info`.
    #[serde(default)]
    pub info: Vec<String>,
    /// Channel the examples are scanned with (default: the rule's first channel, else `script`).
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Product category the examples are scanned with (default: the rule's first category, else `general`).
    #[serde(default)]
    pub category: Option<ProductCategory>,
}

impl Rule {
    /// The id within the pack.
    pub fn local_id(&self) -> &str {
        self.id.get_ref()
    }

    /// Whether the rule applies to this channel and product category.
    pub fn in_scope(&self, channel: Channel, category: ProductCategory) -> bool {
        (self.channels.is_empty() || self.channels.contains(&channel))
            && (self.categories.is_empty() || self.categories.contains(&category))
            && !self.exclude_categories.contains(&category)
    }

    /// The severity for this product category.
    pub fn severity_for(&self, category: ProductCategory) -> Severity {
        self.severity_by_category
            .get(&category)
            .copied()
            .unwrap_or(self.severity)
    }

    /// The channel and category the examples are scanned with.
    pub fn example_context(&self) -> (Channel, ProductCategory) {
        let channel = self
            .examples
            .channel
            .or_else(|| self.channels.first().copied())
            .unwrap_or(Channel::Script);
        let category = self
            .examples
            .category
            .or_else(|| self.categories.first().copied())
            .or_else(|| {
                ProductCategory::ALL
                    .iter()
                    .copied()
                    .find(|c| !self.exclude_categories.contains(c))
            })
            .unwrap_or(ProductCategory::General);
        (channel, category)
    }
}

/// Laws a citation may name. A typo in a law name is a pack error, not a silent new law.
pub const KNOWN_LAWS: &[&str] = &[
    "广告法",
    "广告绝对化用语执法指南",
    "互联网广告管理办法",
    "互联网广告可识别性执法指南",
    "三品一械广告审查管理暂行办法",
    "消费者权益保护法",
    "消费者权益保护法实施条例",
    "侵害消费者权益行为处罚办法",
    "个人信息保护法",
    "反不正当竞争法",
    "电子商务法",
    "价格法",
    "明码标价和禁止价格欺诈规定",
    "价格违法行为行政处罚规定",
    "化妆品监督管理条例",
    "食品安全法",
    "未成年人保护法",
    "未成年人网络保护条例",
    "网络直播营销管理办法",
    "直播电商监督管理办法",
    "网络交易监督管理办法",
    "规范促销行为暂行规定",
    "网络主播行为规范",
    "治安管理处罚法",
    "刑法",
    "网络安全法",
    "企业自定义词库",
];

/// Parses a pack from TOML text. `origin` names the file in messages.
pub fn parse_pack(toml_text: &str, origin: &str) -> Result<RulePack, PackError> {
    if toml_text.len() > PACK_FILE_BYTES_MAX {
        return Err(PackError::single(Problem {
            origin: origin.to_string(),
            line: None,
            rule: None,
            message: format!(
                "pack of {} bytes exceeds pack_file_bytes_max ({PACK_FILE_BYTES_MAX})",
                toml_text.len()
            ),
        }));
    }
    let mut pack: RulePack = toml::from_str(toml_text).map_err(|e| {
        let line = e.span().map(|s| line_of(toml_text, s.start));
        PackError::single(Problem {
            origin: origin.to_string(),
            line,
            rule: None,
            message: e.message().trim().to_string(),
        })
    })?;
    pack.origin = origin.to_string();
    for rule in &mut pack.rules {
        rule.origin = origin.to_string();
        rule.line = line_of(toml_text, rule.id.span().start);
    }
    let problems = validate(&pack, toml_text);
    if problems.is_empty() {
        Ok(pack)
    } else {
        Err(PackError::many(problems))
    }
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()[..byte.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn validate(pack: &RulePack, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let origin = &pack.origin;
    if !valid_id(&pack.pack.id) {
        problems.push(Problem {
            origin: origin.clone(),
            line: None,
            rule: None,
            message: format!(
                "pack id `{}` must be lowercase letters, digits, `-` and `/`",
                pack.pack.id
            ),
        });
    }
    if pack.rules.len() > PACK_RULES_MAX {
        problems.push(Problem {
            origin: origin.clone(),
            line: None,
            rule: None,
            message: format!(
                "pack has {} rules, more than pack_rules_max ({PACK_RULES_MAX})",
                pack.rules.len()
            ),
        });
    }
    let mut seen = HashSet::new();
    for rule in &pack.rules {
        let line = Some(line_of(text, rule.id.span().start));
        let full_id = format!("{}/{}", pack.pack.id, rule.local_id());
        let mut report = |message: String| {
            problems.push(Problem {
                origin: origin.clone(),
                line,
                rule: Some(full_id.clone()),
                message,
            })
        };
        if !valid_id(rule.local_id()) {
            report(format!(
                "rule id `{}` must be lowercase letters, digits, `-` and `/`",
                rule.local_id()
            ));
        }
        if !seen.insert(rule.local_id().to_string()) {
            report("duplicate rule id".to_string());
        }
        if rule.patterns.is_empty() && rule.detector.is_none() {
            report("rule has neither patterns nor a detector".to_string());
        }
        if rule.patterns.len() > RULE_PATTERNS_MAX {
            report(format!(
                "rule has {} patterns, more than rule_patterns_max ({RULE_PATTERNS_MAX})",
                rule.patterns.len()
            ));
        }
        if rule.citations.is_empty() {
            report("rule has no citation".to_string());
        }
        for c in &rule.citations {
            if !KNOWN_LAWS.contains(&c.law.as_str()) {
                report(format!(
                    "citation names unknown law `{}` (known: {})",
                    c.law,
                    KNOWN_LAWS.join(", ")
                ));
            }
            if !(c.article == "-" || valid_number(&c.article)) {
                report(format!(
                    "citation article `{}` must be a number such as `9` or `16`",
                    c.article
                ));
            }
            if let Some(clause) = &c.clause
                && !valid_number(clause)
            {
                report(format!("citation clause `{clause}` must be a number"));
            }
        }
        let max_severity = rule
            .severity_by_category
            .values()
            .copied()
            .chain([rule.severity])
            .max()
            .unwrap_or(rule.severity);
        if max_severity == Severity::Block
            && !rule.citations.is_empty()
            && !rule.citations.iter().any(|c| c.tag.may_block_alone())
        {
            report(
                "a rule that can block needs at least one citation tagged P or S (regulations.md G-01)"
                    .to_string(),
            );
        }
        for p in rule.patterns.iter().chain(&rule.allow).chain(
            rule.soften
                .iter()
                .flat_map(|s| s.patterns.iter().chain(&s.before)),
        ) {
            if let Err(msg) = check_pattern(p) {
                report(msg);
            }
        }
        if rule.window_chars > WINDOW_CHARS_MAX {
            report(format!(
                "window_chars {} exceeds window_chars_max ({WINDOW_CHARS_MAX})",
                rule.window_chars
            ));
        }
        for s in &rule.soften {
            if s.patterns.is_empty() && s.before.is_empty() {
                report(format!(
                    "soften `{}` has neither patterns nor before cues",
                    s.reason
                ));
            }
        }
        if rule.examples.hit.is_empty() {
            report("rule has no `examples.hit`".to_string());
        }
        if rule.examples.miss.is_empty() {
            report("rule has no `examples.miss`".to_string());
        }
        if rule.suggestion.trim().is_empty() {
            report("rule has an empty suggestion".to_string());
        }
    }
    problems
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/' || c == '_'
        })
}

fn valid_number(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

fn check_pattern(p: &str) -> Result<(), String> {
    let parts = crate::compile::split_pattern(p);
    if parts.is_empty() || parts.iter().any(|alts| alts.is_empty()) {
        return Err(format!("pattern `{p}` has an empty part"));
    }
    for alt in parts.iter().flatten() {
        let n = alt.chars().count();
        if n == 0 {
            return Err(format!("pattern `{p}` has an empty alternative"));
        }
        if n > PATTERN_CHARS_MAX {
            return Err(format!(
                "pattern `{p}` has a part of {n} characters, more than pattern_chars_max ({PATTERN_CHARS_MAX})"
            ));
        }
    }
    Ok(())
}
