//! What changed between two versions of a submission, and when each level is due.

use std::collections::BTreeMap;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::{FindingRef, Level};

/// One line of a line-by-line comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiffLine {
    /// Unchanged.
    Same {
        /// The line.
        text: String,
    },
    /// Only in the old version.
    Removed {
        /// The line.
        text: String,
    },
    /// Only in the new version.
    Added {
        /// The line.
        text: String,
    },
}

/// Line diff from `old` to `new` (Myers, via the `similar` crate).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| {
            let text = c.value().trim_end_matches(['\n', '\r']).to_string();
            match c.tag() {
                ChangeTag::Equal => DiffLine::Same { text },
                ChangeTag::Delete => DiffLine::Removed { text },
                ChangeTag::Insert => DiffLine::Added { text },
            }
        })
        .collect()
}

/// Findings of the old version that are gone from the new one. Findings are matched by rule
/// and matched text (not by offset, which moves when lines are inserted above).
pub fn resolved_findings<'a>(
    old: &'a [(FindingRef, String)],
    new: &[(FindingRef, String)],
) -> Vec<&'a FindingRef> {
    let key = |f: &FindingRef, matched: &str| {
        (
            f.id.split('@').next().unwrap_or("").to_string(),
            matched.to_string(),
        )
    };
    let mut remaining: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (f, m) in new {
        *remaining.entry(key(f, m)).or_default() += 1;
    }
    old.iter()
        .filter(|(f, m)| match remaining.get_mut(&key(f, m)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .map(|(f, _)| f)
        .collect()
}

/// How long before the session each level must be done, in minutes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlinePolicy {
    /// 初审 due this long before the session starts.
    pub first_minutes_before: i64,
    /// 复审 due this long before.
    pub second_minutes_before: i64,
    /// 终审 due this long before.
    pub final_minutes_before: i64,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy::default_policy()
    }
}

impl DeadlinePolicy {
    /// 初审 three days, 复审 two days, 终审 one day before the session.
    pub fn default_policy() -> Self {
        DeadlinePolicy {
            first_minutes_before: 72 * 60,
            second_minutes_before: 48 * 60,
            final_minutes_before: 24 * 60,
        }
    }

    /// When `level` is due, as a Unix time, for a session starting at `session_start`.
    pub fn due(&self, level: Level, session_start: i64) -> i64 {
        let minutes = match level {
            Level::First => self.first_minutes_before,
            Level::Second => self.second_minutes_before,
            Level::Final => self.final_minutes_before,
        };
        session_start - minutes * 60
    }
}

/// Where an item stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// More than a day left.
    OnTrack,
    /// Less than a day left.
    DueSoon,
    /// Past the deadline.
    Overdue,
}

/// The urgency of an item due at `due`, at `now` (Unix times).
pub fn urgency(due: i64, now: i64) -> Urgency {
    if now > due {
        Urgency::Overdue
    } else if due - now < 24 * 3600 {
        Urgency::DueSoon
    } else {
        Urgency::OnTrack
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liveguard_core::Severity;

    #[test]
    fn diff_shows_changed_lines() {
        let d = diff_lines(
            "欢迎来到直播间\n全网最低价\n领券下单\n",
            "欢迎来到直播间\n今天的活动价\n领券下单\n",
        );
        assert_eq!(
            d,
            vec![
                DiffLine::Same {
                    text: "欢迎来到直播间".into()
                },
                DiffLine::Removed {
                    text: "全网最低价".into()
                },
                DiffLine::Added {
                    text: "今天的活动价".into()
                },
                DiffLine::Same {
                    text: "领券下单".into()
                },
            ]
        );
        assert!(
            diff_lines("a\n", "a\n")
                .iter()
                .all(|l| matches!(l, DiffLine::Same { .. }))
        );
    }

    #[test]
    fn resolved_findings_survive_moved_offsets() {
        let f = |id: &str| FindingRef {
            id: id.into(),
            severity: Severity::Review,
        };
        let old = vec![
            (f("absolute/zui@10"), "最好".to_string()),
            (f("commerce/price/reference@40"), "原价".to_string()),
            (f("absolute/zui@60"), "最好".to_string()),
        ];
        // A line was inserted above: offsets moved; one 最好 and 原价 remain, one 最好 was removed.
        let new = vec![
            (f("absolute/zui@25"), "最好".to_string()),
            (f("commerce/price/reference@55"), "原价".to_string()),
        ];
        let resolved = resolved_findings(&old, &new);
        assert_eq!(resolved.len(), 1);
        assert!(resolved[0].id.starts_with("absolute/zui@"));
    }

    #[test]
    fn deadlines_and_urgency() {
        let p = DeadlinePolicy::default_policy();
        let start = 1_800_000_000;
        assert_eq!(p.due(Level::First, start), start - 72 * 3600);
        assert!(
            p.due(Level::First, start) < p.due(Level::Second, start)
                && p.due(Level::Second, start) < p.due(Level::Final, start)
        );
        let due = p.due(Level::Final, start);
        assert_eq!(urgency(due, due - 2 * 24 * 3600), Urgency::OnTrack);
        assert_eq!(urgency(due, due - 3600), Urgency::DueSoon);
        assert_eq!(urgency(due, due + 1), Urgency::Overdue);
    }
}
