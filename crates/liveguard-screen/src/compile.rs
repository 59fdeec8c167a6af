//! Turns validated packs into one automaton plus per-pattern "uses".
//!
//! Every distinct folded string — terms, co-occurrence parts and their alternatives,
//! allow-compounds, exception cues, allowlist entries — becomes one pattern of a single
//! Aho-Corasick automaton, so a text is scanned once however many rules there are.
//! The automaton is daachorse's charwise double-array: it steps once per character
//! rather than once per byte, which on Chinese text (three bytes a character) measured
//! 1.6× faster than aho-corasick's DFA with the same matches (docs/benchmarks.md), and it
//! stays compact at 100,000 patterns.
//! Each pattern id maps to the list of ways rules use it ([`Use`]).

use std::collections::HashMap;
use std::sync::Arc;

use daachorse::{CharwiseDoubleArrayAhoCorasick, CharwiseDoubleArrayAhoCorasickBuilder, MatchKind};
use liveguard_core::{Channel, Citation, ProductCategory};
use liveguard_normalize::Normalizer;

use crate::error::{BuildError, BuildErrorKind};
use crate::pack::{Rule, RulePack, Variant};

/// How many variants one pattern may expand to (homophones multiply quickly).
pub(crate) const PATTERN_VARIANTS_MAX: usize = 64;

/// Splits `A|B+C` into parts of alternatives, honouring `\+` and `\|`.
pub(crate) fn split_pattern(p: &str) -> Vec<Vec<String>> {
    let mut parts = vec![vec![String::new()]];
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    last_alt(&mut parts).push(n);
                }
            }
            '+' => parts.push(vec![String::new()]),
            '|' => parts
                .last_mut()
                .map(|alts| alts.push(String::new()))
                .unwrap_or(()),
            _ => last_alt(&mut parts).push(c),
        }
    }
    for alts in &mut parts {
        alts.iter_mut().for_each(|a| *a = a.trim().to_string());
    }
    parts
}

fn last_alt(parts: &mut [Vec<String>]) -> &mut String {
    parts
        .last_mut()
        .and_then(|alts| alts.last_mut())
        .expect("split_pattern always has one part with one alternative")
}

/// One way a rule uses an automaton pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// Part `part` of pattern `pattern` (of `parts` parts) of rule `rule`.
    Term {
        rule: u32,
        pattern: u32,
        part: u16,
        parts: u16,
        ascii_word: bool,
        /// [`NO_REPEAT`], or the index in [`Compiled::repeats`] of the term as written
        /// (folded without merging repeats) when merging shortened it: 扣扣 folds to 扣, and
        /// a hit counts only where the original text has the doubled character too.
        repeat: u32,
    },
    /// An allow-compound of `rule`.
    Allow { rule: u32 },
    /// A containment exception cue of `rule`.
    SoftenIn { rule: u32, soften: u16 },
    /// A preceding-context exception cue of `rule`.
    SoftenBefore { rule: u32, soften: u16 },
    /// A global allowlist entry: cancels hits of every rule inside it.
    GlobalAllow,
}

/// A rule ready to report findings.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) full_id: Arc<str>,
    pub(crate) rule: Rule,
    pub(crate) citations: Arc<[Citation]>,
    pub(crate) suggestion: Arc<str>,
    pub(crate) soften_reasons: Vec<Arc<str>>,
}

pub(crate) struct Compiled {
    pub(crate) automaton: Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    pub(crate) uses: Vec<Vec<Use>>,
    pub(crate) rules: Vec<CompiledRule>,
    /// `scope[context_index(channel, category)][rule]`.
    pub(crate) scope: Vec<Vec<bool>>,
    pub(crate) patterns: Vec<String>,
    /// Terms whose fold merged a doubled character, as written (see `Use::Term::repeat`).
    pub(crate) repeats: Vec<String>,
}

/// `Use::Term::repeat` of a term whose fold kept every character.
pub(crate) const NO_REPEAT: u32 = u32::MAX;

pub(crate) fn context_index(channel: Channel, category: ProductCategory) -> usize {
    let ch = Channel::ALL.iter().position(|c| *c == channel).unwrap_or(0);
    let cat = ProductCategory::ALL
        .iter()
        .position(|c| *c == category)
        .unwrap_or(0);
    ch * ProductCategory::ALL.len() + cat
}

struct Interner<'n> {
    normalizer: &'n Normalizer,
    /// The same folding without merging repeated characters.
    unmerged: &'n Normalizer,
    ids: HashMap<String, u32>,
    strings: Vec<String>,
    uses: Vec<Vec<Use>>,
    repeats: Vec<String>,
}

impl Interner<'_> {
    /// [`NO_REPEAT`], or the index of `raw` as written when folding merged a doubled
    /// character of it.
    fn repeat_of(&mut self, raw: &str) -> u32 {
        if !self.normalizer.config().collapse_repeats {
            return NO_REPEAT;
        }
        let merged = self.normalizer.normalize_str(raw);
        let written = self.unmerged.normalize_str(raw);
        if merged.chars().count() >= written.chars().count() {
            return NO_REPEAT;
        }
        match self.repeats.iter().position(|r| *r == written) {
            Some(i) => i as u32,
            None => {
                self.repeats.push(written);
                (self.repeats.len() - 1) as u32
            }
        }
    }

    fn add(&mut self, raw: &str, use_: Use) {
        let folded = self.normalizer.normalize_str(raw);
        if folded.is_empty() {
            return;
        }
        let id = match self.ids.get(&folded) {
            Some(&id) => id,
            None => {
                let id = self.strings.len() as u32;
                self.ids.insert(folded.clone(), id);
                self.strings.push(folded);
                self.uses.push(Vec::new());
                id
            }
        };
        let uses = &mut self.uses[id as usize];
        if !uses.contains(&use_) {
            uses.push(use_);
        }
    }
}

pub(crate) fn compile(
    normalizer: &Normalizer,
    unmerged: &Normalizer,
    packs: Vec<RulePack>,
    allowlist: &[String],
    patterns_max: usize,
) -> Result<Compiled, BuildError> {
    let mut interner = Interner {
        normalizer,
        unmerged,
        ids: HashMap::new(),
        strings: Vec::new(),
        uses: Vec::new(),
        repeats: Vec::new(),
    };
    let mut rules: Vec<CompiledRule> = Vec::new();
    let mut seen_ids: HashMap<String, ()> = HashMap::new();
    for pack in packs {
        let pack_id = pack.pack.id.clone();
        for rule in pack.rules {
            let full_id = format!("{pack_id}/{}", rule.local_id());
            if seen_ids.insert(full_id.clone(), ()).is_some() {
                return Err(BuildError::new(BuildErrorKind::DuplicateRule {
                    rule: full_id,
                }));
            }
            let rule_idx = rules.len() as u32;
            add_rule_patterns(&mut interner, &rule, rule_idx);
            rules.push(CompiledRule {
                full_id: full_id.into(),
                citations: rule.citations.clone().into(),
                suggestion: rule.suggestion.clone().into(),
                soften_reasons: rule
                    .soften
                    .iter()
                    .map(|s| Arc::from(s.reason.as_str()))
                    .collect(),
                rule,
            });
        }
    }
    for entry in allowlist {
        interner.add(entry, Use::GlobalAllow);
    }
    if interner.strings.len() > patterns_max {
        return Err(BuildError::new(BuildErrorKind::TooManyPatterns {
            count: interner.strings.len(),
            max: patterns_max,
        }));
    }
    let automaton = if interner.strings.is_empty() {
        None
    } else {
        Some(
            CharwiseDoubleArrayAhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&interner.strings)
                .map_err(|e| BuildError::new(BuildErrorKind::Automaton(e.to_string())))?,
        )
    };
    let mut scope = Vec::with_capacity(Channel::ALL.len() * ProductCategory::ALL.len());
    for channel in Channel::ALL {
        for category in ProductCategory::ALL {
            debug_assert_eq!(scope.len(), context_index(*channel, *category));
            scope.push(
                rules
                    .iter()
                    .map(|r| r.rule.in_scope(*channel, *category))
                    .collect(),
            );
        }
    }
    Ok(Compiled {
        automaton,
        patterns: interner.strings,
        uses: interner.uses,
        repeats: interner.repeats,
        rules,
        scope,
    })
}

fn add_rule_patterns(interner: &mut Interner<'_>, rule: &Rule, rule_idx: u32) {
    for (pattern_idx, p) in rule.patterns.iter().enumerate() {
        let parts = split_pattern(p);
        let nparts = parts.len() as u16;
        for (part_idx, alts) in parts.iter().enumerate() {
            for alt in alts {
                let base = Use::Term {
                    rule: rule_idx,
                    pattern: pattern_idx as u32,
                    part: part_idx as u16,
                    parts: nparts,
                    ascii_word: false,
                    repeat: interner.repeat_of(alt),
                };
                interner.add(alt, base);
                if rule.variants.contains(&Variant::Homophone) {
                    for v in homophone_variants(alt) {
                        let variant = match base {
                            Use::Term { .. } => Use::Term {
                                rule: rule_idx,
                                pattern: pattern_idx as u32,
                                part: part_idx as u16,
                                parts: nparts,
                                ascii_word: false,
                                repeat: interner.repeat_of(&v),
                            },
                            other => other,
                        };
                        interner.add(&v, variant);
                    }
                }
                if rule.variants.contains(&Variant::Pinyin)
                    && let Some(py) = pinyin_of(alt)
                {
                    let word = Use::Term {
                        rule: rule_idx,
                        pattern: pattern_idx as u32,
                        part: part_idx as u16,
                        parts: nparts,
                        ascii_word: true,
                        repeat: NO_REPEAT,
                    };
                    interner.add(&py, word);
                }
            }
        }
    }
    for a in &rule.allow {
        interner.add(a, Use::Allow { rule: rule_idx });
    }
    for (si, s) in rule.soften.iter().enumerate() {
        for p in &s.patterns {
            interner.add(
                p,
                Use::SoftenIn {
                    rule: rule_idx,
                    soften: si as u16,
                },
            );
        }
        for b in &s.before {
            interner.add(
                b,
                Use::SoftenBefore {
                    rule: rule_idx,
                    soften: si as u16,
                },
            );
        }
    }
}

/// Characters commonly swapped for a homophone or look-alike to dodge filters.
/// The table is deliberately small: every entry multiplies the patterns of opted-in rules.
const HOMOPHONES: &[(char, &[&str])] = &[
    // 徽 is a look-alike (形近字), not a homophone. (徵 is not listed: it folds to 征, and
    // 加征信 would fire inside 增加征信查询.)
    ('微', &["薇", "威", "维", "v", "徽"]),
    ('信', &["芯", "心"]),
    ('群', &["裙"]),
    ('私', &["丝", "司"]),
    ('加', &["家", "佳"]),
    ('转', &["砖"]),
    ('账', &["帐", "胀"]),
    ('扣', &["寇", "叩"]),
    ('赌', &["堵", "睹"]),
    ('博', &["搏", "薄"]),
    ('钱', &["前", "$"]),
    ('约', &["月"]),
    ('裸', &["果"]),
    ('聊', &["撩"]),
    ('药', &["yao"]),
];

/// Patterns shorter than this get no homophone variants: a two-character variant such as
/// 加维 would fire inside ordinary words (增加维生素).
pub(crate) const HOMOPHONE_PATTERN_CHARS_MIN: usize = 3;

/// All spellings of `s` with homophones substituted (at most [`PATTERN_VARIANTS_MAX`]).
pub(crate) fn homophone_variants(s: &str) -> Vec<String> {
    if s.chars().count() < HOMOPHONE_PATTERN_CHARS_MIN {
        return Vec::new();
    }
    let mut out: Vec<String> = vec![String::new()];
    for c in s.chars() {
        let alts = HOMOPHONES
            .iter()
            .find(|(k, _)| *k == c)
            .map(|(_, v)| *v)
            .unwrap_or(&[]);
        let mut next = Vec::with_capacity(out.len() * (alts.len() + 1));
        for prefix in &out {
            let mut same = prefix.clone();
            same.push(c);
            next.push(same);
            for a in alts {
                if next.len() >= PATTERN_VARIANTS_MAX {
                    break;
                }
                let mut v = prefix.clone();
                v.push_str(a);
                next.push(v);
            }
        }
        next.truncate(PATTERN_VARIANTS_MAX);
        out = next;
    }
    out.retain(|v| v != s);
    out
}

/// Toneless pinyin of `s` joined without spaces, if every character has a reading and the
/// result is long enough to be distinctive (at least 6 letters).
pub(crate) fn pinyin_of(s: &str) -> Option<String> {
    use pinyin::ToPinyin;
    let mut out = String::new();
    for c in s.chars() {
        let p = c.to_pinyin()?;
        out.push_str(p.plain());
    }
    (out.len() >= 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_handles_cooccurrence_alternatives_and_escapes() {
        assert_eq!(split_pattern("最好"), vec![vec!["最好".to_string()]]);
        assert_eq!(
            split_pattern("治疗|治愈+糖尿病"),
            vec![
                vec!["治疗".to_string(), "治愈".to_string()],
                vec!["糖尿病".to_string()]
            ]
        );
        assert_eq!(split_pattern(r"a\+b"), vec![vec!["a+b".to_string()]]);
    }

    #[test]
    fn homophones_expand_and_cap() {
        let v = homophone_variants("加微信");
        assert!(v.contains(&"加薇信".to_string()));
        assert!(v.contains(&"家v信".to_string()));
        assert!(!v.contains(&"加微信".to_string()));
        assert!(v.len() < PATTERN_VARIANTS_MAX);
        let long = homophone_variants("微微微微微微微微");
        assert!(long.len() <= PATTERN_VARIANTS_MAX);
    }

    #[test]
    fn pinyin_plain() {
        assert_eq!(pinyin_of("治疗").as_deref(), Some("zhiliao"));
        assert_eq!(pinyin_of("药"), None, "too short to be distinctive");
        assert_eq!(pinyin_of("abc"), None);
    }
}
