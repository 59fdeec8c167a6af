//! A company's own word list and allowlist, as plain text.
//!
//! Lexicon format: one term per line, optionally `term<TAB>category<TAB>severity`;
//! blank lines and lines starting with `#` are ignored. Terms are grouped into one rule
//! per (category, severity) with id `custom/<category>-<severity>` and the category's
//! default citation ([`default_citation`]). Terms without a category get the `custom`
//! category, `review` severity and the citation `《企业自定义词库》`.
//!
//! Allowlist format: one phrase per line; a hit of any rule inside one is cancelled.

use std::collections::BTreeMap;

use liveguard_core::{Category, Citation, ConfidenceTag, Severity};

use crate::error::{PackError, Problem};
use crate::pack::{Examples, PackMeta, Rule, RulePack};

/// Most terms one lexicon may hold.
pub const LEXICON_TERMS_MAX: usize = 1_000_000;

/// The citation used for lexicon terms of a category.
pub fn default_citation(category: Category) -> Citation {
    let (law, article, clause, tag) = match category {
        Category::AbsoluteTerms => ("广告法", "9", Some("3"), ConfidenceTag::P),
        Category::MedicalClaim => ("广告法", "17", None, ConfidenceTag::P),
        Category::EfficacyClaim => ("广告法", "28", None, ConfidenceTag::P),
        Category::InvestmentPromise => ("广告法", "25", None, ConfidenceTag::P),
        Category::FalseUrgency => ("明码标价和禁止价格欺诈规定", "19", None, ConfidenceTag::P),
        Category::PriceFraud => ("明码标价和禁止价格欺诈规定", "16", None, ConfidenceTag::P),
        Category::Disparagement => ("反不正当竞争法", "12", None, ConfidenceTag::P),
        Category::OffPlatform => ("消费者权益保护法", "44", None, ConfidenceTag::P),
        Category::FakeData => ("电子商务法", "17", None, ConfidenceTag::P),
        Category::Minors => ("广告法", "40", None, ConfidenceTag::P),
        Category::ProhibitedContent => ("广告法", "9", Some("8"), ConfidenceTag::P),
        Category::Abuse => ("网络直播营销管理办法", "18", None, ConfidenceTag::S),
        Category::PersonalInfo => ("个人信息保护法", "51", None, ConfidenceTag::P),
        Category::UnfairTerms => ("消费者权益保护法", "26", None, ConfidenceTag::P),
        Category::DisclosureMissing => ("广告法", "8", None, ConfidenceTag::P),
        Category::RegulatedAd => ("广告法", "16", None, ConfidenceTag::P),
        Category::Promise => ("消费者权益保护法实施条例", "12", None, ConfidenceTag::P),
        Category::Custom => ("企业自定义词库", "-", None, ConfidenceTag::P),
    };
    Citation {
        law: law.to_string(),
        article: article.to_string(),
        clause: clause.map(str::to_string),
        tag,
    }
}

/// Parses a lexicon into a pack with id `pack_id`.
pub fn parse_lexicon(text: &str, origin: &str, pack_id: &str) -> Result<RulePack, PackError> {
    let mut groups: BTreeMap<(Category, Severity), Vec<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut count = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let term = fields.next().unwrap_or("").trim();
        let category = fields.next().map(str::trim).filter(|s| !s.is_empty());
        let severity = fields.next().map(str::trim).filter(|s| !s.is_empty());
        let mut problem = |message: String| {
            problems.push(Problem {
                origin: origin.to_string(),
                line: Some(i + 1),
                rule: None,
                message,
            })
        };
        if term.is_empty() {
            problem("empty term".to_string());
            continue;
        }
        if term.chars().count() > crate::pack::PATTERN_CHARS_MAX {
            problem(format!(
                "term of {} characters exceeds pattern_chars_max ({})",
                term.chars().count(),
                crate::pack::PATTERN_CHARS_MAX
            ));
            continue;
        }
        let category = match category.map(str::parse::<Category>).transpose() {
            Ok(c) => c.unwrap_or(Category::Custom),
            Err(e) => {
                problem(e.to_string());
                continue;
            }
        };
        let severity = match severity.map(str::parse::<Severity>).transpose() {
            Ok(s) => s.unwrap_or(Severity::Review),
            Err(e) => {
                problem(e.to_string());
                continue;
            }
        };
        count += 1;
        if count > LEXICON_TERMS_MAX {
            problem(format!(
                "lexicon exceeds lexicon_terms_max ({LEXICON_TERMS_MAX})"
            ));
            break;
        }
        // Terms are literal: a `+` or `|` in a company term is not pattern syntax.
        let escaped = term
            .replace('\\', "\\\\")
            .replace('+', "\\+")
            .replace('|', "\\|");
        groups
            .entry((category, severity))
            .or_default()
            .push(escaped);
    }
    if !problems.is_empty() {
        return Err(PackError::many(problems));
    }
    let rules = groups
        .into_iter()
        .map(|((category, severity), patterns)| {
            let id = format!("{}-{}", category.as_str().replace('_', "-"), severity.as_str());
            Rule {
                id: toml::Spanned::new(0..0, id),
                category,
                severity,
                severity_by_category: BTreeMap::new(),
                citations: vec![default_citation(category)],
                channels: Vec::new(),
                categories: Vec::new(),
                exclude_categories: Vec::new(),
                examples: Examples {
                    hit: Vec::new(),
                    miss: Vec::new(),
                    info: Vec::new(),
                    channel: None,
                    category: None,
                },
                patterns,
                detector: None,
                allow: Vec::new(),
                soften: Vec::new(),
                window_chars: 0,
                variants: Vec::new(),
                suggestion: "企业自定义词库命中：请按公司规定改写或删除。Company lexicon term: rewrite or remove as company policy requires.".to_string(),
                origin: origin.to_string(),
                line: 0,
            }
        })
        .collect();
    Ok(RulePack {
        pack: PackMeta {
            id: pack_id.to_string(),
            version: "lexicon".to_string(),
            title: format!("lexicon {origin}"),
            source: origin.to_string(),
        },
        rules,
        origin: origin.to_string(),
    })
}

/// Parses an allowlist: one phrase per line, `#` comments.
pub fn parse_allowlist(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_terms_and_reports_bad_lines() {
        let pack = parse_lexicon(
            "# comment\n神仙水\n秒杀全场\tabsolute_terms\tblock\n\n",
            "x.txt",
            "custom",
        )
        .unwrap();
        assert_eq!(pack.rules.len(), 2);
        let err = parse_lexicon("好词\n坏词\tnot_a_category\n", "x.txt", "custom").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("x.txt:2") && msg.contains("not_a_category"),
            "{msg}"
        );
    }
}
