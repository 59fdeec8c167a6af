//! Session memory: claims that are false only across utterances. "仅剩3单" is a claim a
//! person cannot check in one sentence; said again ten minutes later with the same or a
//! higher number, it is false scarcity. "最后5分钟" said again after those five minutes have
//! passed is a restarted countdown. The monitor keeps what was said earlier in the session
//! and compares.

use std::ops::Range;

use crate::price::parse_chinese_number;

/// A scarcity claim repeated this long after the first with no fall in the number is
/// false scarcity (shorter gaps are the same sentence said twice).
pub(crate) const SCARCITY_REPEAT_MS: i64 = 60_000;
/// A countdown announced again this long after the earlier one ran out is a restart.
pub(crate) const COUNTDOWN_GRACE_MS: i64 = 30_000;

const SCARCITY_CUES: &[&str] = &[
    "仅剩",
    "只剩",
    "还剩",
    "只剩下",
    "最后",
    "仅有",
    "只有",
    "剩下",
];
const SCARCITY_UNITS: &[&str] = &[
    "单", "件", "份", "个", "套", "瓶", "盒", "组", "支", "箱", "袋", "名额", "台",
];
const COUNTDOWN_CUES: &[&str] = &["最后", "倒计时", "还有", "只剩", "仅剩", "还剩"];
const COUNTDOWN_UNITS: &[(&str, i64)] = &[
    ("分钟", 60_000),
    ("分", 60_000),
    ("秒钟", 1_000),
    ("秒", 1_000),
];

/// A number at the start of `s` in Arabic digits or Chinese numerals, and its byte length.
fn number_at(s: &str) -> Option<(u64, usize)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        return s[..digits].parse().ok().map(|n| (n, digits));
    }
    parse_chinese_number(s)
}

/// `cue [下|了] number unit` occurrences, not overlapping: (byte range of the phrase, number).
fn claims(
    text: &str,
    cues: &[&str],
    units: impl Fn(&str) -> Option<usize>,
) -> Vec<(Range<usize>, u64)> {
    let mut out: Vec<(Range<usize>, u64)> = Vec::new();
    for (i, _) in text.char_indices() {
        if out.last().is_some_and(|(r, _)| i < r.end) {
            continue;
        }
        let Some(cue) = cues.iter().find(|c| text[i..].starts_with(**c)) else {
            continue;
        };
        let mut at = i + cue.len();
        for filler in ["下", "了"] {
            if text[at..].starts_with(filler) {
                at += filler.len();
            }
        }
        let Some((n, used)) = number_at(&text[at..]) else {
            continue;
        };
        at += used;
        if let Some(unit_len) = units(&text[at..]) {
            out.push((i..at + unit_len, n));
        }
    }
    out
}

/// Scarcity claims in `text`: (byte range, the number said).
pub fn scarcity_claims(text: &str) -> Vec<(Range<usize>, u64)> {
    claims(text, SCARCITY_CUES, |rest| {
        SCARCITY_UNITS
            .iter()
            .find(|u| rest.starts_with(**u))
            .map(|u| u.len())
    })
}

/// Countdown claims in `text`: (byte range, the time said in milliseconds).
pub fn countdown_claims(text: &str) -> Vec<(Range<usize>, i64)> {
    claims(text, COUNTDOWN_CUES, |rest| {
        COUNTDOWN_UNITS
            .iter()
            .find(|(u, _)| rest.starts_with(u))
            .map(|(u, _)| u.len())
    })
    .into_iter()
    .filter_map(|(r, n)| {
        let phrase = &text[r.clone()];
        let ms = COUNTDOWN_UNITS
            .iter()
            .find(|(u, _)| phrase.ends_with(u))
            .map(|(_, ms)| *ms)?;
        Some((r, (n as i64).saturating_mul(ms)))
    })
    .collect()
}

/// What the session has said so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionMemory {
    /// The last scarcity claim: number, when, the product on the card then.
    scarcity: Option<(u64, i64, Option<i64>)>,
    /// When the last countdown said would run out.
    countdown_ends: Option<i64>,
}

/// A claim the memory finds false, with what was said before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recall {
    /// "仅剩N" again after a minute or more, with no fall in N: (range, earlier N, its time, now N).
    ScarcityRepeated(Range<usize>, u64, i64, u64),
    /// A countdown announced after the earlier one ran out: (range, when it ran out).
    CountdownRestarted(Range<usize>, i64),
}

impl SessionMemory {
    /// Reads seller text said at `at_ms` with `product` on the card, remembers its claims and
    /// answers the ones that contradict what came before.
    pub(crate) fn hear(&mut self, text: &str, at_ms: i64, product: Option<i64>) -> Vec<Recall> {
        let mut out = Vec::new();
        for (range, n) in scarcity_claims(text) {
            match self.scarcity {
                Some((before, then, p))
                    if p == product && n >= before && at_ms - then >= SCARCITY_REPEAT_MS =>
                {
                    out.push(Recall::ScarcityRepeated(range, before, then, n));
                    // The earlier claim stands: a third repeat is measured from it too.
                }
                Some((before, then, p)) if p == product && n >= before && at_ms >= then => {}
                _ => self.scarcity = Some((n, at_ms, product)),
            }
        }
        for (range, ms) in countdown_claims(text) {
            if let Some(ends) = self.countdown_ends
                && at_ms > ends + COUNTDOWN_GRACE_MS
            {
                out.push(Recall::CountdownRestarted(range, ends));
            }
            // The first countdown heard decides until it has run out.
            match self.countdown_ends {
                Some(ends) if at_ms <= ends + COUNTDOWN_GRACE_MS => {}
                _ => self.countdown_ends = Some(at_ms + ms),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_read_with_digits_or_chinese_numerals() {
        let s = scarcity_claims("宝宝们仅剩3单了，只剩下二十件");
        assert_eq!(s.iter().map(|c| c.1).collect::<Vec<_>>(), [3, 20]);
        assert_eq!(&"宝宝们仅剩3单了，只剩下二十件"[s[0].0.clone()], "仅剩3单");
        let c = countdown_claims("最后5分钟！倒计时三十秒");
        assert_eq!(c.iter().map(|c| c.1).collect::<Vec<_>>(), [300_000, 30_000]);
        assert!(
            scarcity_claims("最后一天").is_empty() && countdown_claims("还有问题吗").is_empty()
        );
    }

    #[test]
    fn repeated_scarcity_and_restarted_countdowns_are_recalled() {
        let mut m = SessionMemory::default();
        assert!(m.hear("仅剩3单", 0, Some(1)).is_empty());
        assert!(
            m.hear("仅剩3单", 20_000, Some(1)).is_empty(),
            "said twice in a row"
        );
        assert!(
            m.hear("仅剩2单", 90_000, Some(1)).is_empty(),
            "the number fell"
        );
        let r = m.hear("最后5单了", 600_000, Some(1));
        assert!(
            matches!(r[0], Recall::ScarcityRepeated(_, 2, 90_000, 5)),
            "{r:?}"
        );
        // Another product on the card is another count.
        assert!(m.hear("仅剩9件", 700_000, Some(2)).is_empty());

        let mut m = SessionMemory::default();
        assert!(m.hear("最后5分钟", 0, None).is_empty());
        assert!(
            m.hear("还有3分钟", 120_000, None).is_empty(),
            "inside the countdown"
        );
        let r = m.hear("最后5分钟", 600_000, None);
        assert_eq!(r, [Recall::CountdownRestarted(0..13, 300_000)]);
    }
}
