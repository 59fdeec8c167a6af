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
        /// Byte ranges of `text` that the new version does not have, when the line was
        /// edited rather than replaced (it is paired with an added line; an edit that only
        /// adds has none); `None` = the whole line is gone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        changed: Option<Vec<(usize, usize)>>,
    },
    /// Only in the new version.
    Added {
        /// The line.
        text: String,
        /// Byte ranges of `text` that are new, when the line is an edit of a removed line;
        /// `None` = the whole line is new.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        changed: Option<Vec<(usize, usize)>>,
    },
}

/// Below this share of characters in common, an edited line is shown as replaced whole:
/// marking most of it character by character reads worse than marking the line.
const EDIT_RATIO_MIN: f32 = 0.3;

/// Line diff from `old` to `new` (Myers, via the `similar` crate). A run of removed lines
/// followed by added lines is paired line by line, and each pair that still has enough in
/// common gets the changed characters marked (Chinese has no spaces, so words are not a
/// unit; characters are).
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let mut out: Vec<DiffLine> = TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| {
            let text = c.value().trim_end_matches(['\n', '\r']).to_string();
            let changed = None;
            match c.tag() {
                ChangeTag::Equal => DiffLine::Same { text },
                ChangeTag::Delete => DiffLine::Removed { text, changed },
                ChangeTag::Insert => DiffLine::Added { text, changed },
            }
        })
        .collect();
    let mut i = 0;
    while i < out.len() {
        let removed = out[i..]
            .iter()
            .take_while(|l| matches!(l, DiffLine::Removed { .. }))
            .count();
        let added = out[i + removed..]
            .iter()
            .take_while(|l| matches!(l, DiffLine::Added { .. }))
            .count();
        for k in 0..removed.min(added) {
            let (a, b) = (i + k, i + removed + k);
            let (DiffLine::Removed { text: old, .. }, DiffLine::Added { text: new, .. }) =
                (&out[a], &out[b])
            else {
                continue;
            };
            let Some((gone, came)) = changed_chars(old, new) else {
                continue;
            };
            if let DiffLine::Removed { changed, .. } = &mut out[a] {
                *changed = Some(gone);
            }
            if let DiffLine::Added { changed, .. } = &mut out[b] {
                *changed = Some(came);
            }
        }
        i += (removed + added).max(1);
    }
    out
}

/// Byte ranges within a line.
type Ranges = Vec<(usize, usize)>;

/// The byte ranges of `old` that `new` dropped and of `new` that it added, merged where
/// adjacent; `None` when the lines have too little in common to be read as an edit.
fn changed_chars(old: &str, new: &str) -> Option<(Ranges, Ranges)> {
    let diff = TextDiff::from_chars(old, new);
    if diff.ratio() < EDIT_RATIO_MIN {
        return None;
    }
    let (mut gone, mut came) = (Vec::new(), Vec::new());
    let (mut at_old, mut at_new) = (0usize, 0usize);
    let push = |ranges: &mut Vec<(usize, usize)>, start: usize, end: usize| match ranges.last_mut()
    {
        Some(last) if last.1 == start => last.1 = end,
        _ => ranges.push((start, end)),
    };
    for c in diff.iter_all_changes() {
        let n = c.value().len();
        match c.tag() {
            ChangeTag::Equal => {
                at_old += n;
                at_new += n;
            }
            ChangeTag::Delete => {
                push(&mut gone, at_old, at_old + n);
                at_old += n;
            }
            ChangeTag::Insert => {
                push(&mut came, at_new, at_new + n);
                at_new += n;
            }
        }
    }
    Some((gone, came))
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
                    text: "全网最低价".into(),
                    changed: None,
                },
                DiffLine::Added {
                    text: "今天的活动价".into(),
                    changed: None,
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
    fn an_edited_line_marks_only_the_characters_that_changed() {
        let d = diff_lines(
            "开场\n这款面霜是全网最低价，只要99\n",
            "开场\n这款面霜是今天的活动价，只要99\n",
        );
        let (
            DiffLine::Removed {
                text: o,
                changed: gone,
            },
            DiffLine::Added {
                text: n,
                changed: came,
            },
        ) = (&d[1], &d[2])
        else {
            panic!("{d:?}");
        };
        let pick = |t: &str, r: &[(usize, usize)]| {
            r.iter()
                .map(|&(a, b)| t[a..b].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(pick(o, gone.as_deref().unwrap()), ["全网最低"]);
        assert_eq!(pick(n, came.as_deref().unwrap()), ["今天的活动"]);
        // An edit that only adds words marks nothing in the old line.
        let d = diff_lines("质地清爽。\n", "质地清爽，适合干皮。\n");
        assert!(matches!(&d[0], DiffLine::Removed { changed: Some(r), .. } if r.is_empty()));
        assert!(matches!(&d[1], DiffLine::Added { changed: Some(r), .. } if r == &[(12, 27)]));
        // Two unrelated lines are replaced whole, not marked character by character.
        let d = diff_lines("全网最低价\n", "领券再下单\n");
        assert!(d.iter().all(|l| match l {
            DiffLine::Removed { changed, .. } | DiffLine::Added { changed, .. } =>
                changed.is_none(),
            DiffLine::Same { .. } => true,
        }));
        // Extra added lines after the pairs are whole lines.
        let d = diff_lines("a1\n", "a2\nnew line\n");
        assert!(matches!(&d[2], DiffLine::Added { changed: None, .. }));
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
