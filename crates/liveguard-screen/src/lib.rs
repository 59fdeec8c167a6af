//! The liveguard screening engine.
//!
//! # Overview
//! A [`Screen`] is built once from rule packs ([`RulePack`], TOML under `rules/`), a
//! company's own lexicon and allowlist, and then scans any number of texts, from any
//! number of threads. Each scan folds the text ([`liveguard_normalize`]), runs one
//! Aho-Corasick automaton over it, applies each rule's allow-compounds, co-occurrence
//! parts and exception cues, runs the personal-information detectors, and returns
//! [`Finding`]s with the span in the ORIGINAL text, the rule, the law citations and a
//! suggestion, plus a per-text [`Decision`].
//!
//! ```
//! use liveguard_core::{Channel, Decision, ProductCategory};
//! use liveguard_screen::{ScanContext, ScreenBuilder, ScreenConfig};
//!
//! let pack = r#"
//! [pack]
//! id = "demo"
//! version = "1"
//! [[rule]]
//! id = "best"
//! category = "absolute_terms"
//! severity = "review"
//! patterns = ["最好"]
//! allow = ["最好不要"]
//! suggestion = "改为客观描述"
//! citations = [{ law = "广告法", article = "9", clause = "3", tag = "P" }]
//! examples = { hit = ["最好的面霜"], miss = ["最好不要熬夜"] }
//! "#;
//! let mut builder = ScreenBuilder::new(ScreenConfig::default_config());
//! builder.add_pack_toml(pack, "demo.toml").unwrap();
//! let screen = builder.build().unwrap();
//! let ctx = ScanContext::new(Channel::Script, ProductCategory::Cosmetics);
//! let result = screen.scan("这是最*好的面霜", ctx);
//! assert_eq!(result.decision, Decision::Review);
//! assert_eq!(result.findings[0].matched, "最*好");
//! assert_eq!(screen.scan("最好不要熬夜", ctx).decision, Decision::Pass);
//! ```
//!
//! # Matching semantics
//! 1. Text and patterns are folded by the same [`Normalizer`]; matching happens on folded text.
//! 2. Every occurrence of every pattern is found, overlapping ones included.
//! 3. A term occurrence of rule R is cancelled when it lies inside (containment, ends
//!    included) an occurrence of one of R's `allow` entries or of a global allowlist entry.
//!    Allow entries may contain the banned term; that is their purpose (第一次 cancels 第一).
//! 4. A co-occurrence pattern `A+B+C` fires when every part has a non-cancelled
//!    occurrence in the same sentence (split at 。！？；and line breaks), or within
//!    `window_chars` characters when the rule sets it. Its span is the tightest window
//!    holding one occurrence of every part.
//! 5. Overlapping hits of ONE rule merge into one finding spanning the whole cluster
//!    (全网最 + 最好 → 全网最好). Different rules report independently, so
//!    one span can be both `absolute_terms` and `price_fraud`.
//! 6. A hit inside a `soften.patterns` phrase, or preceded in the same clause by a
//!    `soften.before` cue within `within_chars` characters, becomes `info` with the
//!    soften `reason` (the guideline's exceptions: 最佳食用期, 本店最…).
//! 7. Rules apply only in their channels and product categories; severity may depend on
//!    the product category.
//!
//! # Errors
//! Building fails with [`BuildError`] (invalid pack, duplicate rule, limits). Scanning
//! cannot fail: [`Screen::scan`] scans at most [`ScreenConfig::text_bytes_max`] bytes and
//! says so in [`ScanStats::truncated`]; [`Screen::try_scan`] refuses longer text instead.
#![deny(missing_docs)]

mod compile;
pub mod defaults;
mod error;
pub mod lexicon;
pub mod pack;
pub mod pii;
pub mod product;

use std::ops::Range;
use std::sync::{Arc, RwLock};

use liveguard_core::{Category, Channel, Citation, Decision, ProductCategory, Severity};
use liveguard_models::encoder::{EmbeddingHead, Encoder};
use liveguard_normalize::{
    NormalizeConfig, Normalized, Normalizer, PositionCursor, is_boundary, is_sentence_end,
};
use serde::Serialize;

use compile::{Compiled, CompiledRule, Use, context_index};
pub use error::{BuildError, BuildErrorKind, PackError, Problem, ScanError};
pub use pack::{PackMeta, RulePack, parse_pack};
pub use pii::Detector;

/// Engine settings. Every field is explicit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenConfig {
    /// How text is folded before matching.
    pub normalize: NormalizeConfig,
    /// Longest text one scan looks at, in bytes.
    pub text_bytes_max: usize,
    /// Most distinct patterns (after folding and variants) one screen may hold.
    pub screen_patterns_max: usize,
}

impl ScreenConfig {
    /// Full normalization, 8 MiB per text, 2 million patterns.
    pub const fn default_config() -> Self {
        ScreenConfig {
            normalize: NormalizeConfig::full(),
            text_bytes_max: 8 * 1024 * 1024,
            screen_patterns_max: 2_000_000,
        }
    }
}

/// Where a text comes from and what it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScanContext {
    /// Channel.
    pub channel: Channel,
    /// Product category.
    pub category: ProductCategory,
}

impl ScanContext {
    /// A context.
    pub const fn new(channel: Channel, category: ProductCategory) -> Self {
        ScanContext { channel, category }
    }
}

/// Where a finding is in the original text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub byte_start: usize,
    /// Byte offset one past the last byte.
    pub byte_end: usize,
    /// Index of the first character (0-based).
    pub char_start: usize,
    /// Index one past the last character.
    pub char_end: usize,
    /// 1-based line of the first character.
    pub line: usize,
    /// 1-based column (in characters) of the first character.
    pub column: usize,
    /// 1-based line of the last character.
    pub end_line: usize,
    /// 1-based column one past the last character.
    pub end_column: usize,
}

impl Span {
    /// The span of byte `range`, its character offsets, lines and columns still zero (the
    /// scan fills them for every finding at the end).
    pub(crate) fn bytes(range: Range<usize>) -> Span {
        Span {
            byte_start: range.start,
            byte_end: range.end,
            char_start: 0,
            char_end: 0,
            line: 0,
            column: 0,
            end_line: 0,
            end_column: 0,
        }
    }

    /// The span of `range` (byte offsets on character boundaries) in `text`, with its
    /// character offsets, lines and columns filled in.
    pub fn of(text: &str, range: Range<usize>) -> Span {
        let mut f = [Finding {
            rule: Arc::from(""),
            category: Category::Custom,
            severity: Severity::Info,
            citations: Arc::from(Vec::new()),
            span: Span::bytes(range.clone()),
            matched: String::new(),
            normalized: String::new(),
            suggestion: Arc::from(""),
            exception: None,
            masked: None,
            evasion: None,
            model: None,
        }];
        fill_positions(text, &mut f);
        let [f] = f;
        f.span
    }
}

/// One thing the engine flagged. A person confirms or dismisses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Finding {
    /// Full rule id, `pack/rule`.
    pub rule: Arc<str>,
    /// Finding category.
    pub category: Category,
    /// Severity after scope and exceptions.
    pub severity: Severity,
    /// Law citations.
    pub citations: Arc<[Citation]>,
    /// Span in the original text.
    pub span: Span,
    /// The original text of the span.
    pub matched: String,
    /// The span's text after folding (what the pattern matched).
    pub normalized: String,
    /// What to write instead, or what evidence would make it acceptable.
    pub suggestion: Arc<str>,
    /// The exception reason when the finding was softened to `info`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Arc<str>>,
    /// Masked replacement, for personal information.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub masked: Option<String>,
    /// How the words were disguised, when the match had to see through more than folding
    /// does: [`EVASION_PUNCTUATION`] for punctuation put between a term's characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evasion: Option<Arc<str>>,
    /// The model that made this finding, its version and score (learned second opinions
    /// only; rule findings have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelEvidence>,
}

/// The rule id of the claim model's findings.
pub const MODEL_CLAIM_RULE: &str = "model/efficacy-claim";

/// The sentences of `text` (split at sentence punctuation and line breaks), as trimmed
/// byte ranges.
fn clause_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        // The same pieces the claim model was trained on (sentences, not clauses).
        if matches!(
            c,
            '。' | '！' | '？' | '；' | '!' | '?' | ';' | '\n' | '…' | '/' | '|'
        ) {
            push_trimmed(text, start..i, &mut out);
            start = i + c.len_utf8();
        }
    }
    push_trimmed(text, start..text.len(), &mut out);
    out
}

fn push_trimmed(text: &str, r: Range<usize>, out: &mut Vec<Range<usize>>) {
    let piece = &text[r.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if !trimmed.is_empty() {
        out.push(r.start + lead..r.start + lead + trimmed.len());
    }
}

/// A claim-model finding on `text[range]`.
fn claim_finding(
    text: &str,
    range: Range<usize>,
    version: Arc<str>,
    score: f32,
    exemplar: Option<String>,
) -> Finding {
    Finding {
        rule: Arc::from(MODEL_CLAIM_RULE),
        category: Category::EfficacyClaim,
        severity: Severity::Review,
        citations: Arc::from(vec![
            Citation {
                law: "广告法".into(),
                article: "17".into(),
                clause: None,
                tag: liveguard_core::ConfidenceTag::P,
            },
            Citation {
                law: "广告法".into(),
                article: "28".into(),
                clause: None,
                tag: liveguard_core::ConfidenceTag::P,
            },
        ]),
        span: Span::bytes(range.clone()),
        matched: text[range].to_string(),
        normalized: String::new(),
        suggestion: Arc::from(
            "模型判断这句话在用日常说法暗示治疗或功效（如“喝了一个月膝盖就不响了”）：请人工确认；普通商品不得宣称或暗示疾病治疗与保证功效，改为有依据的客观描述。A model judges this sentence to imply a medical or efficacy claim in everyday words: confirm by hand.",
        ),
        exception: None,
        masked: None,
        evasion: None,
        model: Some(ModelEvidence {
            version,
            score: Score::of(score),
            exemplar,
        }),
    }
}

/// The rule id of the comment classifier's findings.
pub const MODEL_OFFENSIVE_RULE: &str = "model/offensive-comment";

/// What a learned model said, on a finding it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ModelEvidence {
    /// The model's version label.
    pub version: Arc<str>,
    /// Its score (0–1).
    pub score: Score,
    /// The nearest example it was trained with, when it explains by example.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemplar: Option<String>,
}

/// A model score in thousandths (0–1000), written as a number from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score(pub u16);

impl Score {
    /// The score of probability `p`.
    pub fn of(p: f32) -> Score {
        Score((p.clamp(0.0, 1.0) * 1000.0).round() as u16)
    }

    /// As a number from 0 to 1.
    pub fn value(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

impl Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.value())
    }
}

impl<'de> serde::Deserialize<'de> for Score {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Score, D::Error> {
        let v = f64::deserialize(d)?;
        Ok(Score::of(v as f32))
    }
}

/// [`Finding::evasion`] of a term written with punctuation between its characters
/// (加、微、信, 最，好).
pub const EVASION_PUNCTUATION: &str = "inserted_punctuation";

/// The exception reason of a finding whose words are negated or warned against in the same
/// clause (千万别私下转账, 本店从不私下交易, 也没有什么神奇疗效).
pub const NEGATED: &str = "negated";

/// Categories whose triggers a negation or a warning right before them turns around.
/// Absolute terms and prices are left out on purpose: 没有最低只有更低 is itself the claim.
const NEGATABLE: &[Category] = &[
    Category::OffPlatform,
    Category::MedicalClaim,
    Category::EfficacyClaim,
    Category::InvestmentPromise,
    Category::ProhibitedContent,
];

/// Negations and warnings that turn the words right after them around.
const NEGATION_CUES: &[&str] = &[
    "千万别",
    "千万不要",
    "千万不能",
    "不要",
    "别",
    "请勿",
    "切勿",
    "勿",
    "不能",
    "不会",
    "不可",
    "不得",
    "绝不",
    "绝对不",
    "从不",
    "从来不",
    "从没",
    "从来没有",
    "不接受",
    "不支持",
    "不提供",
    "没有",
    "没",
    "并非",
    "不是",
    "谨防",
    "小心",
    "警惕",
    "严禁",
    "禁止",
    "拒绝",
    "防止",
];

/// "Don't believe", "beware of": they turn around what follows in the clause, within six
/// characters.
const DISBELIEF: &[&str] = &[
    "别信",
    "别相信",
    "不要信",
    "不要相信",
    "不信",
    "不可信",
    "谨防",
    "警惕",
    "当心",
];

/// Words that may stand between a negation and what it negates (没有什么…, 并没有那么…).
const FILLERS: &[&str] = &["什么", "啥", "那么", "所谓", "这种", "那种"];

/// Words after 别/不要 that make it urging rather than negating (别犹豫，加…; 不要错过).
const URGING: &[&str] = &[
    "犹豫", "错过", "急", "等", "怕", "担心", "慌", "想了", "事", "关系", "问题", "说",
];

/// Words that may open an instruction before its prohibition (最好不要…, 请勿…, 记得别…).
const INSTRUCTION_OPENERS: &[&str] =
    &["最好", "请", "一定", "千万", "记得", "注意", "切记", "大家"];

/// Prohibitions that open a usage instruction or a warning.
const PROHIBITIONS: &[&str] = &[
    "不要", "别", "请勿", "切勿", "勿", "禁止", "严禁", "避免", "不能", "不可", "不宜", "慎用",
];

/// Whether a sentence is a usage instruction or warning (最好不要在伤口上使用, 孕妇请勿食用,
/// 别空腹喝) rather than a claim: it opens, after at most two opener words, with a
/// prohibition that is not urging (别犹豫, 不要错过). The learned claim models do not judge
/// such sentences.
fn instruction_or_warning(sentence: &str) -> bool {
    let mut rest = sentence.trim_start();
    for _ in 0..2 {
        match INSTRUCTION_OPENERS.iter().find(|o| rest.starts_with(**o)) {
            Some(o) => rest = &rest[o.len()..],
            None => break,
        }
    }
    let opens = PROHIBITIONS.iter().any(|p| {
        rest.strip_prefix(p).is_some_and(|after| {
            let head: String = after.chars().take(3).collect();
            !URGING.iter().any(|u| head.contains(u))
        })
    });
    // Formal prohibitions after a short subject (孕妇请勿食用, 儿童慎用).
    let head: String = rest.chars().take(6).collect();
    opens || STRONG_PROHIBITIONS.iter().any(|p| head.contains(p))
}

/// Prohibitions that only label warnings, wherever they stand at the start of a sentence.
const STRONG_PROHIBITIONS: &[&str] = &["请勿", "切勿", "禁止", "严禁", "慎用", "不宜"];

/// Whether a negation or warning cue ends at most two characters before folded byte
/// `start`, in the same clause, and what lies between is not an urging word.
fn negated(folded: &str, start: usize) -> bool {
    let before = &folded[..start];
    // The clause: back to the last boundary, at most eight characters.
    let clause_start = before
        .char_indices()
        .rev()
        .take(8)
        .take_while(|(_, c)| !is_boundary(*c))
        .last()
        .map_or(start, |(i, _)| i);
    let clause = &before[clause_start..];
    let mut gap_at = clause.len();
    for chars in 0..=6 {
        let head = &clause[..gap_at];
        let gap = &clause[gap_at..];
        // Up to two characters between, or four when they start with a filler (没有什么神奇疗效);
        // "don't believe" reaches over what is reported (别信那些说能根治的).
        let reach = chars <= 2 || (chars <= 4 && FILLERS.iter().any(|f| gap.starts_with(f)));
        if (reach
            && NEGATION_CUES.iter().any(|c| head.ends_with(c))
            && !URGING.iter().any(|u| gap.contains(u)))
            || DISBELIEF.iter().any(|c| head.ends_with(c))
        {
            return true;
        }
        match head.chars().next_back() {
            Some(c) => gap_at -= c.len_utf8(),
            None => break,
        }
    }
    false
}

/// Warnings said right after the words (私下交易不受保护, 私下转账容易被骗).
const WARNING_AFTER: &[&str] = &[
    "不受保护",
    "没有保障",
    "无保障",
    "有风险",
    "风险大",
    "容易被骗",
    "会被骗",
    "被骗",
    "是诈骗",
    "是骗局",
    "是骗子",
    "都是骗子",
    "不安全",
    "不靠谱",
    "违法",
    "违规",
    "是违规",
];

/// Whether a warning starts at most two characters after folded byte `end`, in the same
/// clause.
fn warned_after(folded: &str, end: usize) -> bool {
    let rest = &folded[end..];
    let clause_end = rest
        .char_indices()
        .find(|(_, c)| is_boundary(*c))
        .map_or(rest.len(), |(i, _)| i);
    let clause = &rest[..clause_end];
    let mut at = 0;
    for _ in 0..=2 {
        if WARNING_AFTER.iter().any(|w| clause[at..].starts_with(w)) {
            return true;
        }
        match clause[at..].chars().next() {
            Some(c) => at += c.len_utf8(),
            None => break,
        }
    }
    false
}

/// Marks a writer puts between the characters of a word to get it past a filter.
fn is_join_mark(c: char) -> bool {
    matches!(c, ',' | '，' | '、' | ';' | '；' | '。')
}

/// Whether `folded` has anything [`join_chains`] could join into a hit: a single
/// character between two marks (x，y，z), or two characters that stand alone around one
/// mark (“最，好”). Most text with commas has neither and skips the joined scan.
fn worth_joining(folded: &str) -> bool {
    // 0 other (also before the start and after the end), 1 word, 2 mark.
    let kind = |c: Option<char>| match c {
        Some(c) if is_join_mark(c) => 2,
        Some(c) if is_boundary(c) || c.is_whitespace() => 0,
        Some(_) => 1,
        None => 0,
    };
    let b = folded.as_bytes();
    let mut i = 0;
    // Marks are `,` `;` (ASCII after folding) and 、。 (E3 80 81, E3 80 82); E3 leads few
    // other characters in Chinese text, so the byte search skips most of it.
    while let Some(k) = memchr::memchr3(b',', b';', 0xE3, &b[i..]) {
        let at = i + k;
        let len = match b[at] {
            0xE3 if b.get(at + 1) == Some(&0x80) && matches!(b.get(at + 2), Some(0x81 | 0x82)) => 3,
            0xE3 => {
                i = at + 1;
                continue;
            }
            _ => 1,
        };
        let mut before = folded[..at].chars().rev();
        let mut after = folded[at + len..].chars();
        let (p1, p2) = (kind(before.next()), kind(before.next()));
        let (n1, n2) = (kind(after.next()), kind(after.next()));
        // x，y，… (one character between two marks), or “最，好” standing alone.
        if (n1 == 1 && n2 == 2) || (p1 == 1 && p2 == 0 && n1 == 1 && n2 == 0) {
            return true;
        }
        i = at + len;
    }
    false
}

/// Whether the character at folded byte `at` starts its piece (text start, a boundary, a
/// mark or a space before it).
fn alone_before(folded: &str, at: u32) -> bool {
    folded[..at as usize]
        .chars()
        .next_back()
        .is_none_or(|c| is_boundary(c) || c.is_whitespace())
}

/// Whether the character ending at folded byte `at` ends its piece.
fn alone_after(folded: &str, at: u32) -> bool {
    folded[at as usize..]
        .chars()
        .next()
        .is_none_or(|c| is_boundary(c) || c.is_whitespace())
}

/// Writes into `joined` every chain of `folded` made of single word characters with one
/// mark between each (X，Y、Z — the character before the first mark and after the last
/// may belong to longer pieces), the chains apart by a line break, and into `at` each
/// joined character's `(joined offset, folded start, folded end)`.
fn join_chains(folded: &str, joined: &mut String, at: &mut Vec<(u32, u32, u32)>) {
    let word = |c: char| !is_boundary(c) && !c.is_whitespace();
    let chars: Vec<(usize, char)> = folded.char_indices().collect();
    let mut push = |(i, c): (usize, char), joined: &mut String| {
        at.push((joined.len() as u32, i as u32, (i + c.len_utf8()) as u32));
        joined.push(c);
    };
    let linked = |k: usize| {
        k + 2 < chars.len()
            && word(chars[k].1)
            && is_join_mark(chars[k + 1].1)
            && word(chars[k + 2].1)
    };
    let mut i = 0;
    while i < chars.len() {
        if !linked(i) {
            i += 1;
            continue;
        }
        push(chars[i], joined);
        let mut k = i + 2;
        push(chars[k], joined);
        // On while the piece after the mark is one character followed by another mark.
        while linked(k) {
            k += 2;
            push(chars[k], joined);
        }
        joined.push('\n');
        i = k + 1;
    }
}

/// Counters of one scan (the engine does not log).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanStats {
    /// Bytes of text scanned.
    pub text_bytes: usize,
    /// Bytes after folding.
    pub folded_bytes: usize,
    /// Automaton matches before rule logic.
    pub raw_hits: usize,
    /// Term occurrences cancelled by allow-compounds or the allowlist.
    pub cancelled: usize,
    /// Findings softened to info by exception cues.
    pub softened: usize,
    /// Whether the text was longer than `text_bytes_max` and only its head was scanned.
    pub truncated: bool,
}

/// The result of scanning one text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanResult {
    /// Pass, review or block.
    pub decision: Decision,
    /// Findings sorted by position, then rule id.
    pub findings: Vec<Finding>,
    /// Counters.
    #[serde(skip)]
    pub stats: ScanStats,
}

/// Collects packs, a lexicon and an allowlist, then builds a [`Screen`].
#[derive(Debug)]
pub struct ScreenBuilder {
    config: ScreenConfig,
    packs: Vec<RulePack>,
    allowlist: Vec<String>,
    comment_model: Option<liveguard_models::TextClassifier>,
    claim_model: Option<(liveguard_models::TextClassifier, Vec<String>)>,
    claim_encoder: Option<(Arc<Encoder>, EmbeddingHead)>,
}

impl ScreenBuilder {
    /// A builder with no packs.
    pub fn new(config: ScreenConfig) -> Self {
        ScreenBuilder {
            config,
            packs: Vec::new(),
            allowlist: Vec::new(),
            comment_model: None,
            claim_model: None,
            claim_encoder: None,
        }
    }

    /// Adds a parsed pack.
    pub fn add_pack(&mut self, pack: RulePack) -> &mut Self {
        self.packs.push(pack);
        self
    }

    /// Parses, validates and adds a pack.
    pub fn add_pack_toml(&mut self, toml_text: &str, origin: &str) -> Result<&mut Self, PackError> {
        let pack = parse_pack(toml_text, origin)?;
        Ok(self.add_pack(pack))
    }

    /// Adds allowlist phrases: hits of any rule inside them are cancelled.
    pub fn add_allowlist<I, S>(&mut self, phrases: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowlist.extend(
            phrases
                .into_iter()
                .map(Into::into)
                .filter(|s| !s.trim().is_empty()),
        );
        self
    }

    /// Adds the learned second opinion on viewer comments (offensive or abusive without a
    /// listed insult): a `review` finding at most, never `block`, with its score and version.
    pub fn comment_model(&mut self, model: liveguard_models::TextClassifier) -> &mut Self {
        self.comment_model = Some(model);
        self
    }

    /// Adds the learned second opinion on seller text: medical and efficacy claims said in
    /// everyday words that no rule reaches; `exemplars` are the claims a finding names as the
    /// nearest ("similar to: …"). A `review` finding at most, never `block`.
    pub fn claim_model(
        &mut self,
        model: liveguard_models::TextClassifier,
        exemplars: Vec<String>,
    ) -> &mut Self {
        self.claim_model = Some((model, exemplars));
        self
    }

    /// Adds the claim model's second stage: a sentence that the claim model scores at or
    /// above `head.gate` but below its own threshold is embedded by `encoder` and judged by
    /// `head` (still a `review` finding at most). Needs [`ScreenBuilder::claim_model`]; its
    /// exemplars are embedded at the first such finding so it can name the nearest in
    /// meaning.
    pub fn claim_encoder(&mut self, encoder: Arc<Encoder>, head: EmbeddingHead) -> &mut Self {
        self.claim_encoder = Some((encoder, head));
        self
    }

    /// Builds the screen.
    pub fn build(self) -> Result<Screen, BuildError> {
        let normalizer = Normalizer::new(self.config.normalize);
        let unmerged = Normalizer::new(liveguard_normalize::NormalizeConfig {
            collapse_repeats: false,
            ..self.config.normalize
        });
        let packs: Vec<(PackMeta, usize)> = self
            .packs
            .iter()
            .map(|p| (p.pack.clone(), p.rules.len()))
            .collect();
        let compiled = compile::compile(
            &normalizer,
            &unmerged,
            self.packs,
            &self.allowlist,
            self.config.screen_patterns_max,
        )?;
        let detector_rules: Vec<(usize, Detector)> = compiled
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.rule.detector.map(|d| (i, d)))
            .collect();
        let detectors_by_scope = compiled
            .scope
            .iter()
            .map(|scope| {
                let mut v: Vec<Detector> = detector_rules
                    .iter()
                    .filter(|(i, _)| scope[*i])
                    .map(|(_, d)| *d)
                    .collect();
                v.dedup();
                v
            })
            .collect();
        Ok(Screen {
            config: self.config,
            packs,
            normalizer,
            unmerged,
            comment_model: self.comment_model.map(|m| {
                let version: Arc<str> = Arc::from(m.version());
                (m, version)
            }),
            claim_encoder: match (self.claim_encoder, &self.claim_model) {
                (Some((encoder, head)), Some(_)) => Some(ClaimEncoder {
                    version: Arc::from(format!("{}+{}", head.version, encoder.version())),
                    exemplars: std::sync::OnceLock::new(),
                    encoder,
                    head,
                }),
                _ => None,
            },
            claim_model: self.claim_model.map(|(m, ex)| {
                let version: Arc<str> = Arc::from(m.version());
                (m, version, ex)
            }),
            compiled,
            detector_rules,
            detectors_by_scope,
        })
    }
}

/// The claim model's second stage: sentence encoder, head, and the exemplars with their
/// embeddings.
struct ClaimEncoder {
    encoder: Arc<Encoder>,
    head: EmbeddingHead,
    /// The claim model's exemplars with their embeddings, computed at the first finding.
    exemplars: std::sync::OnceLock<Vec<(String, Vec<f32>)>>,
    /// `head version+encoder version`.
    version: Arc<str>,
}

impl ClaimEncoder {
    /// The exemplars with their embeddings, computed on first use.
    fn exemplars(&self, texts: &[String]) -> &[(String, Vec<f32>)] {
        self.exemplars.get_or_init(|| {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            texts
                .iter()
                .cloned()
                .zip(self.encoder.embed_batch(&refs))
                .collect()
        })
    }
}

/// Most sentences of one text the claim model's second stage embeds (the highest first-stage
/// scores first): bounds the cost of a very long script.
pub const CLAIM_ENCODER_SENTENCES_MAX: usize = 48;

/// An immutable, thread-safe screen. Share it through `Arc`.
pub struct Screen {
    config: ScreenConfig,
    /// The packs it was built from and how many rules each has.
    packs: Vec<(PackMeta, usize)>,
    normalizer: Normalizer,
    /// The same folding without merging repeats: checks terms written with a doubled
    /// character (扣扣) against the original text.
    unmerged: Normalizer,
    /// The comment classifier and its version, when loaded.
    comment_model: Option<(liveguard_models::TextClassifier, Arc<str>)>,
    /// The claim model, its version and its exemplars, when loaded.
    claim_model: Option<(liveguard_models::TextClassifier, Arc<str>, Vec<String>)>,
    /// The claim model's second stage, when its encoder is loaded.
    claim_encoder: Option<ClaimEncoder>,
    compiled: Compiled,
    detector_rules: Vec<(usize, Detector)>,
    /// The detectors wanted in each scan context (same index as `Compiled::scope`).
    detectors_by_scope: Vec<Vec<Detector>>,
}

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screen")
            .field("rules", &self.compiled.rules.len())
            .field("patterns", &self.compiled.patterns.len())
            .finish()
    }
}

/// Reusable buffers for scanning many texts on one thread without allocating each time.
#[derive(Debug, Default)]
pub struct Scratch {
    folded: Normalized,
    /// Single characters separated by punctuation (加、微、信), joined, with the folded byte
    /// range of each.
    joined: String,
    joined_at: Vec<(u32, u32, u32)>,
    /// Folded ranges of hits that saw through inserted punctuation.
    evasions: Vec<(u32, u32)>,
    events: Vec<Event>,
    global_allow: Vec<(u32, u32)>,
    sentence_ends: Vec<u32>,
    hits: Vec<RuleHit>,
    rule_hits: Vec<(u32, u32)>,
    rule_parts: Vec<(u32, u16, u16, u32, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EventKind {
    Allow,
    SoftenIn(u16),
    SoftenBefore(u16),
    Term { pattern: u32, part: u16, parts: u16 },
}

#[derive(Debug, Clone, Copy)]
struct Event {
    rule: u32,
    start: u32,
    end: u32,
    kind: EventKind,
}

/// A hit of one rule, in folded byte offsets, before it becomes a [`Finding`].
#[derive(Debug, Clone, Copy)]
struct RuleHit {
    rule: u32,
    start: u32,
    end: u32,
    soften: Option<u16>,
}

impl Screen {
    /// The configuration.
    pub fn config(&self) -> &ScreenConfig {
        &self.config
    }

    /// The normalizer used for text and patterns.
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// Number of distinct automaton patterns.
    pub fn pattern_count(&self) -> usize {
        self.compiled.patterns.len()
    }

    /// The distinct folded patterns of the automaton (for baselines and debugging).
    pub fn patterns(&self) -> &[String] {
        &self.compiled.patterns
    }

    /// Memory held by the automaton, in bytes.
    pub fn automaton_bytes(&self) -> usize {
        self.compiled
            .automaton
            .as_ref()
            .map(|a| a.heap_bytes())
            .unwrap_or(0)
    }

    /// The packs the screen was built from, with how many rules each has (status pages).
    pub fn packs(&self) -> &[(PackMeta, usize)] {
        &self.packs
    }

    /// Every rule: full id and definition.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &pack::Rule)> {
        self.compiled
            .rules
            .iter()
            .map(|r| (r.full_id.as_ref(), &r.rule))
    }

    /// Scans one text. Never fails; text beyond `text_bytes_max` is not scanned (see [`ScanStats::truncated`]).
    pub fn scan(&self, text: &str, ctx: ScanContext) -> ScanResult {
        let mut scratch = Scratch::default();
        self.scan_with(&mut scratch, text, ctx)
    }

    /// Scans one text, refusing it when it is longer than `text_bytes_max`.
    pub fn try_scan(&self, text: &str, ctx: ScanContext) -> Result<ScanResult, ScanError> {
        if text.len() > self.config.text_bytes_max {
            return Err(ScanError {
                text_bytes: text.len(),
                text_bytes_max: self.config.text_bytes_max,
            });
        }
        Ok(self.scan(text, ctx))
    }

    /// Scans one text with reusable buffers.
    pub fn scan_with(&self, scratch: &mut Scratch, text: &str, ctx: ScanContext) -> ScanResult {
        let mut stats = ScanStats::default();
        let text = if text.len() > self.config.text_bytes_max {
            stats.truncated = true;
            let mut cut = self.config.text_bytes_max;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            &text[..cut]
        } else {
            text
        };
        stats.text_bytes = text.len();
        self.normalizer.normalize_into(text, &mut scratch.folded);
        stats.folded_bytes = scratch.folded.as_str().len();
        let context = context_index(ctx.channel, ctx.category);
        let scope = &self.compiled.scope[context];
        self.collect_events(text, scratch, scope, &mut stats);
        self.collect_joined_events(scratch, scope, &mut stats);
        self.rule_hits(scratch, &mut stats);
        let mut hits = std::mem::take(&mut scratch.hits);
        let mut findings = Vec::with_capacity(hits.len());
        hits.sort_by_key(|h| (h.start, h.rule));
        let folded = &scratch.folded;
        for h in &hits {
            let rule = &self.compiled.rules[h.rule as usize];
            let range = folded.original_range(h.start as usize..h.end as usize);
            let (severity, exception) = match h.soften {
                Some(s) => {
                    stats.softened += 1;
                    (
                        Severity::Info,
                        Some(rule.soften_reasons[s as usize].clone()),
                    )
                }
                None if NEGATABLE.contains(&rule.rule.category)
                    && (negated(folded.as_str(), h.start as usize)
                        || warned_after(folded.as_str(), h.end as usize)) =>
                {
                    stats.softened += 1;
                    (Severity::Info, Some(Arc::from(NEGATED)))
                }
                None => (rule.rule.severity_for(ctx.category), None),
            };
            let mut f = self.finding(
                rule,
                text,
                range,
                folded.as_str()[h.start as usize..h.end as usize].to_string(),
                severity,
                exception,
                None,
            );
            if scratch
                .evasions
                .iter()
                .any(|&(s, e)| h.start <= s && e <= h.end)
            {
                f.evasion = Some(Arc::from(EVASION_PUNCTUATION));
                // What the term is once the punctuation is taken out.
                f.normalized.retain(|c| !is_join_mark(c));
            }
            findings.push(f);
        }
        let hints = (
            scratch.folded.digit_run_max(),
            scratch.folded.alnum_run_max(),
        );
        self.detect_personal_info(
            text,
            ctx,
            scope,
            &self.detectors_by_scope[context],
            hints,
            &mut findings,
        );
        self.model_opinions(text, ctx, &mut findings);
        findings.sort_by(|a, b| (a.span.byte_start, &a.rule).cmp(&(b.span.byte_start, &b.rule)));
        fill_positions(text, &mut findings);
        hits.clear();
        scratch.hits = hits;
        let decision = Decision::from_max_severity(findings.iter().map(|f| f.severity).max());
        ScanResult {
            decision,
            findings,
            stats,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        rule: &CompiledRule,
        text: &str,
        range: Range<usize>,
        normalized: String,
        severity: Severity,
        exception: Option<Arc<str>>,
        masked: Option<String>,
    ) -> Finding {
        Finding {
            rule: rule.full_id.clone(),
            category: rule.rule.category,
            severity,
            citations: rule.citations.clone(),
            matched: text[range.clone()].to_string(),
            span: Span::bytes(range.clone()),
            normalized,
            suggestion: rule.suggestion.clone(),
            exception,
            masked,
            evasion: None,
            model: None,
        }
    }

    fn collect_events(
        &self,
        text: &str,
        scratch: &mut Scratch,
        scope: &[bool],
        stats: &mut ScanStats,
    ) {
        scratch.events.clear();
        scratch.global_allow.clear();
        let Some(ac) = &self.compiled.automaton else {
            return;
        };
        let folded = scratch.folded.as_str();
        for m in ac.find_overlapping_iter(folded) {
            stats.raw_hits += 1;
            let (start, end) = (m.start() as u32, m.end() as u32);
            for u in &self.compiled.uses[m.value() as usize] {
                let (rule, kind) = match *u {
                    Use::Term {
                        rule,
                        pattern,
                        part,
                        parts,
                        ascii_word,
                        repeat,
                    } => {
                        if ascii_word && !is_ascii_word(folded, m.start(), m.end()) {
                            continue;
                        }
                        if repeat != compile::NO_REPEAT
                            && !self.written_in(text, &scratch.folded, m.start()..m.end(), repeat)
                        {
                            stats.cancelled += 1;
                            continue;
                        }
                        (
                            rule,
                            EventKind::Term {
                                pattern,
                                part,
                                parts,
                            },
                        )
                    }
                    Use::Allow { rule } => (rule, EventKind::Allow),
                    Use::SoftenIn { rule, soften } => (rule, EventKind::SoftenIn(soften)),
                    Use::SoftenBefore { rule, soften } => (rule, EventKind::SoftenBefore(soften)),
                    Use::GlobalAllow => {
                        scratch.global_allow.push((start, end));
                        continue;
                    }
                };
                if scope[rule as usize] {
                    scratch.events.push(Event {
                        rule,
                        start,
                        end,
                        kind,
                    });
                }
            }
        }
    }

    /// Terms written with punctuation between their characters (加、微、信, 全，网，最，低):
    /// every chain of single characters separated by one mark each — with the character
    /// just before the first mark and just after the last — is joined and scanned, and a
    /// term found across a mark is a hit over the original characters. Longer pieces between
    /// marks are ordinary clauses and are never joined, so two sentences do not make a word.
    fn collect_joined_events(&self, scratch: &mut Scratch, scope: &[bool], stats: &mut ScanStats) {
        scratch.evasions.clear();
        let Some(ac) = &self.compiled.automaton else {
            return;
        };
        if !worth_joining(scratch.folded.as_str()) {
            return;
        }
        let mut joined = std::mem::take(&mut scratch.joined);
        let mut at = std::mem::take(&mut scratch.joined_at);
        joined.clear();
        at.clear();
        join_chains(scratch.folded.as_str(), &mut joined, &mut at);
        for m in ac.find_overlapping_iter(&joined) {
            // The first and last piece the match covers (chains are apart, so both are in
            // the same chain).
            let (Ok(a), Some(b)) = (
                at.binary_search_by_key(&(m.start() as u32), |p| p.0),
                at.iter().rposition(|p| (p.0 as usize) < m.end()),
            ) else {
                continue;
            };
            if b <= a {
                continue; // one piece: the ordinary scan saw it already
            }
            let (fs, fe) = (at[a].1, at[b].2);
            // Across one mark only, both characters must stand alone (“最，好”): “不加，微信”
            // is two clauses, not 加微.
            if b == a + 1
                && !(alone_before(scratch.folded.as_str(), fs)
                    && alone_after(scratch.folded.as_str(), fe))
            {
                continue;
            }
            let mut hit = false;
            for u in &self.compiled.uses[m.value() as usize] {
                let Use::Term {
                    rule,
                    pattern,
                    part,
                    parts,
                    ascii_word: false,
                    repeat: compile::NO_REPEAT,
                } = *u
                else {
                    continue;
                };
                if scope[rule as usize] {
                    hit = true;
                    scratch.events.push(Event {
                        rule,
                        start: fs,
                        end: fe,
                        kind: EventKind::Term {
                            pattern,
                            part,
                            parts,
                        },
                    });
                }
            }
            if hit {
                stats.raw_hits += 1;
                scratch.evasions.push((fs, fe));
            }
        }
        scratch.joined = joined;
        scratch.joined_at = at;
    }

    /// Whether a learned model is loaded for viewer comments.
    pub fn comment_model_version(&self) -> Option<&str> {
        self.comment_model.as_ref().map(|(_, v)| v.as_ref())
    }

    /// The learned second opinions: on a viewer comment no rule found abusive, the comment
    /// classifier's score at or above its threshold is a `review` finding over the whole
    /// comment, citing the abuse rule family, with the score and the model version.
    fn model_opinions(&self, text: &str, ctx: ScanContext, findings: &mut Vec<Finding>) {
        if ctx.channel.is_seller_controlled() {
            self.claim_opinions(text, findings);
            return;
        }
        let Some((model, version)) = &self.comment_model else {
            return;
        };
        if ctx.channel != Channel::Comment
            || text.trim().is_empty()
            || findings.iter().any(|f| f.category == Category::Abuse)
        {
            return;
        }
        let score = model.score(text);
        if score < model.threshold() {
            return;
        }
        let trimmed = text.trim_end();
        let start = text.len() - text.trim_start().len();
        findings.push(Finding {
            rule: Arc::from(MODEL_OFFENSIVE_RULE),
            category: Category::Abuse,
            severity: Severity::Review,
            citations: Arc::from(vec![Citation {
                law: "网络直播营销管理办法".into(),
                article: "18".into(),
                clause: None,
                tag: liveguard_core::ConfidenceTag::S,
            }]),
            span: Span::bytes(start..trimmed.len().max(start)),
            matched: text[start..trimmed.len().max(start)].to_string(),
            normalized: String::new(),
            suggestion: Arc::from(
                "模型判断为攻击性或歧视性评论（地域、性别、群体攻击等，未必含脏字）：请人工确认后隐藏评论或禁言。A model judges this comment offensive (group-directed or insulting without swear words): confirm, then hide or mute.",
            ),
            exception: None,
            masked: None,
            evasion: None,
            model: Some(ModelEvidence {
                version: version.clone(),
                score: Score::of(score),
                exemplar: None,
            }),
        });
    }

    /// Whether a claim model is loaded for seller text.
    pub fn claim_model_version(&self) -> Option<&str> {
        self.claim_model.as_ref().map(|(_, v, _)| v.as_ref())
    }

    /// Does now what the claim model's second stage would otherwise do at its first finding
    /// (embedding the exemplars, about 2 s on one core), so a live room never waits for
    /// it. Nothing to do without the second stage. Call once after building, off any
    /// latency-sensitive thread.
    pub fn warm_up(&self) {
        if let (Some(second), Some((_, _, exemplars))) = (&self.claim_encoder, &self.claim_model) {
            second.exemplars(exemplars);
        }
    }

    /// The claim model's second stage version (`head+encoder`), when loaded.
    pub fn claim_encoder_version(&self) -> Option<&str> {
        self.claim_encoder.as_ref().map(|c| c.version.as_ref())
    }

    /// The claim model on seller text: each clause no medical or efficacy rule covered that
    /// scores at or above the threshold is a `review` finding with the score, the model
    /// version and the nearest exemplar. With the second stage loaded, clauses between its
    /// gate and the threshold are embedded and judged by its head.
    fn claim_opinions(&self, text: &str, findings: &mut Vec<Finding>) {
        let Some((model, version, exemplars)) = &self.claim_model else {
            return;
        };
        let mut buf = Vec::new();
        let mut added = Vec::new();
        let mut gated: Vec<(Range<usize>, f32)> = Vec::new();
        for range in clause_ranges(text) {
            let clause = &text[range.clone()];
            if clause.chars().count() < 4 {
                continue;
            }
            let covered = findings.iter().any(|f| {
                matches!(f.category, Category::MedicalClaim | Category::EfficacyClaim)
                    && f.span.byte_start < range.end
                    && range.start < f.span.byte_end
            });
            if covered || instruction_or_warning(clause) {
                continue;
            }
            let score = model.score_with(clause, &mut buf);
            if score < model.threshold() {
                if let Some(second) = &self.claim_encoder
                    && score >= second.head.gate
                {
                    gated.push((range, score));
                }
                continue;
            }
            let exemplar = liveguard_models::nearest(clause, exemplars).map(|(e, _)| e.to_string());
            added.push(claim_finding(text, range, version.clone(), score, exemplar));
        }
        if let Some(second) = &self.claim_encoder
            && !gated.is_empty()
        {
            gated.sort_by(|a, b| b.1.total_cmp(&a.1));
            gated.truncate(CLAIM_ENCODER_SENTENCES_MAX);
            let clauses: Vec<&str> = gated.iter().map(|(r, _)| &text[r.clone()]).collect();
            for ((range, _), e) in gated.iter().zip(second.encoder.embed_batch(&clauses)) {
                let score = second.head.score(&e);
                if score < second.head.threshold {
                    continue;
                }
                let exemplar = second
                    .exemplars(exemplars)
                    .iter()
                    .map(|(t, x)| (t, liveguard_models::encoder::cosine(x, &e)))
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(t, _)| t.clone());
                added.push(claim_finding(
                    text,
                    range.clone(),
                    second.version.clone(),
                    score,
                    exemplar,
                ));
            }
        }
        findings.extend(added);
    }

    /// Whether the original text behind folded range `range` has term `repeat` as it was
    /// written (with its doubled characters): 扣扣 is in 加扣扣 but not in 折扣.
    fn written_in(
        &self,
        text: &str,
        folded: &Normalized,
        range: std::ops::Range<usize>,
        repeat: u32,
    ) -> bool {
        let original = folded.original_range(range);
        self.unmerged
            .normalize_str(&text[original])
            .contains(self.compiled.repeats[repeat as usize].as_str())
    }

    /// Fills `scratch.hits` with the hits of every rule, one per merged cluster.
    fn rule_hits(&self, scratch: &mut Scratch, stats: &mut ScanStats) {
        scratch.hits.clear();
        if scratch.events.is_empty() {
            return;
        }
        scratch
            .events
            .sort_unstable_by_key(|e| (e.rule, e.start, e.end, e.kind));
        scratch.sentence_ends.clear();
        let mut i = 0;
        let events = std::mem::take(&mut scratch.events);
        let mut out = std::mem::take(&mut scratch.hits);
        while i < events.len() {
            let rule = events[i].rule;
            let mut j = i;
            while j < events.len() && events[j].rule == rule {
                j += 1;
            }
            self.hits_of_rule(scratch, &events[i..j], stats, &mut out);
            i = j;
        }
        scratch.events = events;
        scratch.hits = out;
    }

    fn hits_of_rule(
        &self,
        scratch: &mut Scratch,
        group: &[Event],
        stats: &mut ScanStats,
        out: &mut Vec<RuleHit>,
    ) {
        let rule_idx = group[0].rule;
        let rule = &self.compiled.rules[rule_idx as usize].rule;
        let allowed = |s: u32, e: u32| {
            group
                .iter()
                .filter(|ev| ev.kind == EventKind::Allow)
                .map(|ev| (ev.start, ev.end))
                .chain(scratch.global_allow.iter().copied())
                .any(|(a, b)| a <= s && e <= b)
        };
        let mut hits = std::mem::take(&mut scratch.rule_hits);
        let mut parts = std::mem::take(&mut scratch.rule_parts); // pattern, part, parts, s, e
        hits.clear();
        parts.clear();
        for ev in group {
            if let EventKind::Term {
                pattern,
                part,
                parts: n,
            } = ev.kind
            {
                if allowed(ev.start, ev.end) {
                    stats.cancelled += 1;
                    continue;
                }
                if n == 1 {
                    hits.push((ev.start, ev.end));
                } else {
                    parts.push((pattern, part, n, ev.start, ev.end));
                }
            }
        }
        if !parts.is_empty() {
            self.cooccurrences(scratch, rule, &mut parts, &mut hits);
        }
        hits.sort_unstable_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
        // Merge overlapping hits of this rule into one finding per cluster.
        let mut k = 0;
        while k < hits.len() {
            let cluster_start = hits[k].0;
            let mut cluster_end = hits[k].1;
            let mut m = k + 1;
            while m < hits.len() && hits[m].0 < cluster_end {
                cluster_end = cluster_end.max(hits[m].1);
                m += 1;
            }
            let best = (cluster_start, cluster_end);
            let soften = self.soften_of(scratch.folded.as_str(), rule, group, best);
            out.push(RuleHit {
                rule: rule_idx,
                start: best.0,
                end: best.1,
                soften,
            });
            k = m;
        }
        scratch.rule_hits = hits;
        scratch.rule_parts = parts;
    }

    fn soften_of(
        &self,
        folded: &str,
        rule: &pack::Rule,
        group: &[Event],
        (s, e): (u32, u32),
    ) -> Option<u16> {
        for ev in group {
            match ev.kind {
                EventKind::SoftenIn(idx) if ev.start <= s && e <= ev.end => return Some(idx),
                EventKind::SoftenBefore(idx) if ev.end <= s => {
                    let between = &folded[ev.end as usize..s as usize];
                    let within = rule.soften[idx as usize].within_chars as usize;
                    if between.chars().count() <= within && !between.chars().any(is_boundary) {
                        return Some(idx);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn cooccurrences(
        &self,
        scratch: &mut Scratch,
        rule: &pack::Rule,
        parts: &mut [(u32, u16, u16, u32, u32)],
        hits: &mut Vec<(u32, u32)>,
    ) {
        let folded = scratch.folded.as_str();
        if rule.window_chars == 0 && scratch.sentence_ends.is_empty() {
            scratch.sentence_ends.extend(
                folded
                    .char_indices()
                    .filter(|(_, c)| is_sentence_end(*c))
                    .map(|(i, _)| i as u32),
            );
            scratch.sentence_ends.push(folded.len() as u32);
        }
        parts.sort_unstable_by_key(|p| (p.0, p.3));
        let mut i = 0;
        while i < parts.len() {
            let pattern = parts[i].0;
            let mut j = i;
            while j < parts.len() && parts[j].0 == pattern {
                j += 1;
            }
            let occ = &parts[i..j];
            let n = occ[0].2 as usize;
            if rule.window_chars == 0 {
                // Group by sentence.
                let sentence_of = |pos: u32| scratch.sentence_ends.partition_point(|&b| b < pos);
                let mut a = 0;
                while a < occ.len() {
                    let sid = sentence_of(occ[a].3);
                    let mut b = a;
                    while b < occ.len() && sentence_of(occ[b].3) == sid {
                        b += 1;
                    }
                    if let Some(span) = cover_all_parts(&occ[a..b], n) {
                        hits.push(span);
                    }
                    a = b;
                }
            } else {
                let window = rule.window_chars as usize;
                for anchor in occ.iter().filter(|o| o.1 == 0) {
                    let mut span = (anchor.3, anchor.4);
                    let mut ok = true;
                    for part in 1..n as u16 {
                        let nearest = occ
                            .iter()
                            .filter(|o| o.1 == part)
                            .min_by_key(|o| (o.3 as i64 - anchor.3 as i64).abs());
                        match nearest {
                            Some(o) => span = (span.0.min(o.3), span.1.max(o.4)),
                            None => ok = false,
                        }
                    }
                    if ok && folded[span.0 as usize..span.1 as usize].chars().count() <= window {
                        hits.push(span);
                    }
                }
            }
            i = j;
        }
    }

    fn detect_personal_info(
        &self,
        text: &str,
        ctx: ScanContext,
        scope: &[bool],
        wanted: &[Detector],
        scratch_hints: (usize, usize),
        findings: &mut Vec<Finding>,
    ) {
        if wanted.is_empty() {
            return;
        }
        let hints = pii::Hints {
            digit_run_max: scratch_hints.0,
            alnum_run_max: scratch_hints.1,
        };
        for m in pii::detect_with_hints(text, wanted, hints) {
            for (i, d) in &self.detector_rules {
                if *d != m.detector || !scope[*i] {
                    continue;
                }
                let rule = &self.compiled.rules[*i];
                let normalized = self.normalizer.normalize_str(&text[m.range.clone()]);
                let severity = rule.rule.severity_for(ctx.category);
                findings.push(self.finding(
                    rule,
                    text,
                    m.range.clone(),
                    normalized,
                    severity,
                    None,
                    Some(m.masked.clone()),
                ));
            }
        }
    }

    /// Replaces personal information in `text` with masks (`138****5678`), using every
    /// detector regardless of rule scope. Returns the masked text and how many were replaced.
    pub fn mask_personal_info(&self, text: &str) -> (String, usize) {
        pii::mask(text, Detector::ALL)
    }

    /// Checks every rule's examples against this screen. An empty result means all pass.
    pub fn check_examples(&self) -> Vec<ExampleFailure> {
        let mut failures = Vec::new();
        let mut scratch = Scratch::default();
        for r in &self.compiled.rules {
            let (channel, category) = r.rule.example_context();
            let ctx = ScanContext::new(channel, category);
            let full = r.rule.severity_for(category);
            let mut check = |text: &String, expect: Expectation| {
                let result = self.scan_with(&mut scratch, text, ctx);
                let mine: Vec<&Finding> = result
                    .findings
                    .iter()
                    .filter(|f| f.rule == r.full_id)
                    .collect();
                let ok = match expect {
                    Expectation::Hit => mine
                        .iter()
                        .any(|f| f.severity == full && f.exception.is_none()),
                    Expectation::Miss => !mine.iter().any(|f| f.severity >= Severity::Review),
                    Expectation::Info => {
                        mine.iter().any(|f| f.exception.is_some())
                            && !mine.iter().any(|f| f.severity >= Severity::Review)
                    }
                };
                if !ok {
                    failures.push(ExampleFailure {
                        rule: r.full_id.to_string(),
                        origin: r.rule.origin.clone(),
                        line: r.rule.line,
                        text: text.clone(),
                        expectation: expect,
                        got: mine
                            .iter()
                            .map(|f| {
                                format!(
                                    "{}@{}..{} `{}`",
                                    f.severity, f.span.char_start, f.span.char_end, f.matched
                                )
                            })
                            .collect(),
                    });
                }
            };
            for t in &r.rule.examples.hit {
                check(t, Expectation::Hit);
            }
            for t in &r.rule.examples.miss {
                check(t, Expectation::Miss);
            }
            for t in &r.rule.examples.info {
                check(t, Expectation::Info);
            }
        }
        failures
    }
}

/// What a rule example expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    /// A finding at the rule's full severity.
    Hit,
    /// No finding at review or above.
    Miss,
    /// A finding softened to info.
    Info,
}

/// A rule example that did not behave as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    /// Full rule id.
    pub rule: String,
    /// Pack file.
    pub origin: String,
    /// Line of the rule in the pack file.
    pub line: usize,
    /// The example text.
    pub text: String,
    /// What was expected.
    pub expectation: Expectation,
    /// Findings of the rule that were produced.
    pub got: Vec<String>,
}

impl std::fmt::Display for ExampleFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let want = match self.expectation {
            Expectation::Hit => "should hit",
            Expectation::Miss => "should not hit",
            Expectation::Info => "should be softened to info",
        };
        write!(
            f,
            "{}:{}: rule {}: example `{}` {want}; got [{}]",
            self.origin,
            self.line,
            self.rule,
            self.text,
            self.got.join(", ")
        )
    }
}

fn is_ascii_word(folded: &str, start: usize, end: usize) -> bool {
    let b = folded.as_bytes();
    (start == 0 || !b[start - 1].is_ascii_alphabetic())
        && (end == b.len() || !b[end].is_ascii_alphabetic())
}

/// The tightest span containing one occurrence of every part, if all `n` parts occur.
/// Occurrences are few per sentence, so a quadratic search is fine.
fn cover_all_parts(occ: &[(u32, u16, u16, u32, u32)], n: usize) -> Option<(u32, u32)> {
    let mut best: Option<(u32, u32)> = None;
    for anchor in occ {
        let start = anchor.3;
        let mut end = anchor.4;
        let mut complete = true;
        for part in 0..n as u16 {
            if part == anchor.1 {
                continue;
            }
            // The occurrence of this part starting at or after the anchor that ends first.
            match occ
                .iter()
                .filter(|o| o.1 == part && o.3 >= start)
                .map(|o| o.4)
                .min()
            {
                Some(e) => end = end.max(e),
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if complete && best.is_none_or(|(s, e)| end - start < e - s) {
            best = Some((start, end));
        }
    }
    best
}

fn fill_positions(text: &str, findings: &mut [Finding]) {
    let mut cursor = PositionCursor::new(text);
    for f in findings.iter_mut() {
        let start = cursor.position(f.span.byte_start);
        f.span.char_start = start.char_index;
        f.span.line = start.line;
        f.span.column = start.column;
    }
    let mut cursor = PositionCursor::new(text);
    let mut ends: Vec<(usize, usize)> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| (f.span.byte_end, i))
        .collect();
    ends.sort_unstable();
    for (byte, i) in ends {
        let end = cursor.position(byte);
        let f = &mut findings[i];
        f.span.char_end = end.char_index;
        f.span.end_line = end.line;
        f.span.end_column = end.column;
    }
}

/// A screen that can be replaced while callers keep scanning: each caller takes the
/// current `Arc<Screen>`; [`SharedScreen::replace`] swaps in a new one atomically.
/// A failed rebuild never reaches it, so the previous screen stays in service.
#[derive(Debug)]
pub struct SharedScreen {
    current: RwLock<Arc<Screen>>,
}

impl SharedScreen {
    /// Wraps a screen.
    pub fn new(screen: Screen) -> Self {
        SharedScreen {
            current: RwLock::new(Arc::new(screen)),
        }
    }

    /// The screen in service now.
    pub fn load(&self) -> Arc<Screen> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts `screen` in service; returns the one it replaced.
    pub fn replace(&self, screen: Screen) -> Arc<Screen> {
        let mut guard = match self.current.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        std::mem::replace(&mut *guard, Arc::new(screen))
    }
}

#[cfg(test)]
mod tests;
