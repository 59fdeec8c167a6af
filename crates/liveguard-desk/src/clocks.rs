//! Case clocks: the policy (`[complaints]` in the configuration) that says how long each
//! clock runs, in calendar hours, calendar days or Chinese working days, when it warns and
//! whether it may pause; and the arithmetic that starts, pauses, resumes and evaluates one.
//! Statutory clocks (the refund after a return, a regulator's deadlines) never pause.

use liveguard_core::clock::Stamp;
use liveguard_core::{ClockKind, ClockState, Complexity};
use serde::Deserialize;

use crate::calendar::{WorkCalendar, beijing_date, calendar_deadline};

/// Longest any clock may run: one year of days or hours.
const SPAN_MAX_DAYS: u32 = 366;

/// How long one clock runs and when it warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRule {
    /// Calendar hours from the start.
    #[serde(default)]
    pub hours: Option<u32>,
    /// Calendar days after the day of the start, to the end of the last day.
    #[serde(default)]
    pub days: Option<u32>,
    /// Chinese working days after the day of the start, to the end of the last one.
    #[serde(default)]
    pub working_days: Option<u32>,
    /// Warn once this percentage of the time has passed (1 to 99).
    #[serde(default = "default_warn_percent")]
    pub warn_percent: u32,
    /// Warn this many hours before the due time instead of at a share.
    #[serde(default)]
    pub warn_before_hours: Option<u32>,
    /// May stop while the case waits for the consumer.
    #[serde(default)]
    pub pausable: bool,
}

fn default_warn_percent() -> u32 {
    75
}

/// What a clock counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    /// Calendar hours.
    Hours(u32),
    /// Calendar days, ending at the end of a Beijing day.
    Days(u32),
    /// Working days, ending at the end of a Beijing working day.
    WorkingDays(u32),
}

impl ClockRule {
    /// A rule of `span` that warns at 75 % of its time and does not pause.
    pub const fn of(span: Span) -> ClockRule {
        let (hours, days, working_days) = match span {
            Span::Hours(h) => (Some(h), None, None),
            Span::Days(d) => (None, Some(d), None),
            Span::WorkingDays(d) => (None, None, Some(d)),
        };
        ClockRule {
            hours,
            days,
            working_days,
            warn_percent: 75,
            warn_before_hours: None,
            pausable: false,
        }
    }

    /// What it counts in (checked by [`DeskPolicy::validate`]).
    pub fn span(&self) -> Span {
        match (self.hours, self.days, self.working_days) {
            (Some(h), _, _) => Span::Hours(h),
            (None, Some(d), _) => Span::Days(d),
            (None, None, Some(d)) => Span::WorkingDays(d),
            (None, None, None) => Span::Hours(24),
        }
    }

    /// The rule in words for people: `24 小时`, `7 天`, `7 个工作日`.
    pub fn describe_zh(&self) -> String {
        match self.span() {
            Span::Hours(h) => format!("{h} 小时"),
            Span::Days(d) => format!("{d} 天"),
            Span::WorkingDays(d) => format!("{d} 个工作日"),
        }
    }

    fn check(&self, name: &str, statutory: bool) -> Result<(), String> {
        let set = [
            self.hours.is_some(),
            self.days.is_some(),
            self.working_days.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if set != 1 {
            return Err(format!(
                "complaints.{name}: give exactly one of hours, days, working_days"
            ));
        }
        let n = self.hours.or(self.days).or(self.working_days).unwrap_or(0);
        let max = if self.hours.is_some() {
            SPAN_MAX_DAYS * 24
        } else {
            SPAN_MAX_DAYS
        };
        if n == 0 || n > max {
            return Err(format!("complaints.{name}: must be 1 to {max}"));
        }
        if !(1..=99).contains(&self.warn_percent) {
            return Err(format!("complaints.{name}.warn_percent: must be 1 to 99"));
        }
        if statutory && self.pausable {
            return Err(format!(
                "complaints.{name}.pausable: a statutory deadline never pauses"
            ));
        }
        Ok(())
    }
}

/// The clock policy: the `[complaints]` section's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskPolicy {
    /// The first reply (default 24 hours).
    pub first_reply: ClockRule,
    /// A solution for a complex case (default 72 hours, paused while waiting for the consumer).
    pub solution_complex: ClockRule,
    /// A solution for an ordinary case: at the first reply (default 24 hours).
    pub solution_ordinary: ClockRule,
    /// The refund after the returned goods arrive (CPL Art. 25: 7 days; warns on day 5).
    pub refund: ClockRule,
    /// The answer to a regulator's referral when it names no deadline of its own
    /// (default 7 working days, the regulator's own acceptance period).
    pub regulator_response: ClockRule,
    /// The regulator's mediation period from its acceptance (实施条例 Art. 46: 60 days).
    pub mediation: ClockRule,
}

impl Default for DeskPolicy {
    fn default() -> Self {
        DeskPolicy {
            first_reply: ClockRule::of(Span::Hours(24)),
            solution_complex: ClockRule {
                pausable: true,
                ..ClockRule::of(Span::Hours(72))
            },
            solution_ordinary: ClockRule::of(Span::Hours(24)),
            refund: ClockRule {
                warn_before_hours: Some(72),
                ..ClockRule::of(Span::Days(7))
            },
            regulator_response: ClockRule::of(Span::WorkingDays(7)),
            mediation: ClockRule::of(Span::Days(60)),
        }
    }
}

/// Whether a clock kind is a legal deadline (never paused, never edited without a reason).
pub fn statutory(kind: ClockKind) -> bool {
    matches!(
        kind,
        ClockKind::Refund | ClockKind::RegulatorResponse | ClockKind::Mediation
    )
}

impl DeskPolicy {
    /// Checks every rule; the error names the setting.
    pub fn validate(&self) -> Result<(), String> {
        self.first_reply.check("first_reply", false)?;
        self.solution_complex.check("solution_complex", false)?;
        self.solution_ordinary.check("solution_ordinary", false)?;
        self.refund.check("refund", true)?;
        self.regulator_response.check("regulator_response", true)?;
        self.mediation.check("mediation", true)
    }

    /// The rule of a clock kind (the solution's by the case's complexity).
    pub fn rule(&self, kind: ClockKind, complexity: Complexity) -> ClockRule {
        match kind {
            ClockKind::FirstReply => self.first_reply,
            ClockKind::Solution => match complexity {
                Complexity::Ordinary => self.solution_ordinary,
                Complexity::Complex => self.solution_complex,
            },
            ClockKind::Refund => self.refund,
            ClockKind::RegulatorResponse => self.regulator_response,
            ClockKind::Mediation => self.mediation,
        }
    }
}

/// When a clock started is due and when it warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    /// Due.
    pub due: Stamp,
    /// Warn from.
    pub warn: Stamp,
}

/// The due time of `rule` started at `start`.
pub fn due_after(rule: &ClockRule, start: Stamp, cal: &WorkCalendar) -> Stamp {
    match rule.span() {
        Span::Hours(h) => start.plus(time::Duration::hours(i64::from(h))),
        Span::Days(d) => calendar_deadline(start, d),
        Span::WorkingDays(d) => cal.working_deadline(start, d),
    }
}

/// The warning time of a clock running from `start` to `due` under `rule`.
pub fn warn_time(rule: &ClockRule, start: Stamp, due: Stamp) -> Stamp {
    let at = match rule.warn_before_hours {
        Some(h) => due.plus(time::Duration::hours(-i64::from(h))),
        None => {
            let span = i128::from((due.ms() - start.ms()).max(0));
            Stamp::from_ms(start.ms() + (span * i128::from(rule.warn_percent) / 100) as i64)
        }
    };
    at.max(start).min(due)
}

/// Starts a clock: its due and warning times.
pub fn start(rule: &ClockRule, at: Stamp, cal: &WorkCalendar) -> Times {
    let due = due_after(rule, at, cal);
    Times {
        due,
        warn: warn_time(rule, at, due),
    }
}

/// What is left of a clock paused at `at`: milliseconds for hour and day clocks, whole
/// working days for working-day clocks (the day of the pause not counted).
pub fn remaining_at_pause(rule: &ClockRule, due: Stamp, at: Stamp, cal: &WorkCalendar) -> i64 {
    match rule.span() {
        Span::WorkingDays(_) => {
            let last = beijing_date(due.plus(time::Duration::milliseconds(-1)));
            i64::from(cal.working_days_between(beijing_date(at), last))
        }
        _ => (due.ms() - at.ms()).max(0),
    }
}

/// The new due time of a clock resumed at `at` with `remaining` left (as
/// [`remaining_at_pause`] measured it).
pub fn due_on_resume(rule: &ClockRule, remaining: i64, at: Stamp, cal: &WorkCalendar) -> Stamp {
    match rule.span() {
        Span::WorkingDays(_) => cal.working_deadline(at, remaining.clamp(0, 1_300) as u32),
        _ => Stamp::from_ms(at.ms().saturating_add(remaining.max(0))),
    }
}

/// A clock as the sweep sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockView {
    /// Where it stands.
    pub state: ClockState,
    /// Due.
    pub due: Stamp,
    /// Warns from.
    pub warn: Stamp,
    /// A warning was already raised.
    pub warned: bool,
    /// A breach was already raised.
    pub breached: bool,
}

/// What the sweep records for a clock at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepEvent {
    /// The warning share has passed.
    Warn,
    /// The due time has passed.
    Breach,
}

/// The events a running clock owes at `now` (a paused or finished clock owes none; a
/// breach makes an unraised warning moot).
pub fn sweep(clock: &ClockView, now: Stamp) -> Option<SweepEvent> {
    if clock.state != ClockState::Running {
        return None;
    }
    if !clock.breached && now >= clock.due {
        return Some(SweepEvent::Breach);
    }
    if !clock.warned && !clock.breached && now >= clock.warn {
        return Some(SweepEvent::Warn);
    }
    None
}

/// How a clock is met at `at`: in time or late.
pub fn met_state(due: Stamp, at: Stamp) -> ClockState {
    if at <= due {
        ClockState::Met
    } else {
        ClockState::MetLate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::beijing;

    #[test]
    fn the_default_policy_is_valid_and_follows_the_law() {
        let p = DeskPolicy::default();
        p.validate().unwrap();
        assert_eq!(p.refund.span(), Span::Days(7));
        assert!(!p.refund.pausable && p.solution_complex.pausable);
        assert_eq!(
            p.rule(ClockKind::Solution, Complexity::Ordinary).span(),
            Span::Hours(24)
        );
        assert_eq!(
            p.rule(ClockKind::Solution, Complexity::Complex).span(),
            Span::Hours(72)
        );
    }

    #[test]
    fn a_statutory_clock_may_not_be_configured_to_pause() {
        let mut p = DeskPolicy::default();
        p.refund.pausable = true;
        assert!(p.validate().unwrap_err().contains("refund.pausable"));
        let mut p = DeskPolicy::default();
        p.first_reply.days = Some(1);
        assert!(p.validate().unwrap_err().contains("exactly one"));
        let mut p = DeskPolicy::default();
        p.first_reply.warn_percent = 100;
        assert!(p.validate().unwrap_err().contains("warn_percent"));
        let mut p = DeskPolicy::default();
        p.first_reply.hours = Some(0);
        assert!(p.validate().is_err());
        let parsed: DeskPolicy =
            toml::from_str("first_reply = { hours = 12, warn_percent = 50 }\n").unwrap();
        assert_eq!(parsed.first_reply.hours, Some(12));
        assert_eq!(parsed.refund, DeskPolicy::default().refund);
    }

    #[test]
    fn the_refund_clock_warns_on_day_five_and_is_due_at_the_end_of_day_seven() {
        let cal = WorkCalendar::builtin();
        let p = DeskPolicy::default();
        // Goods back on Monday 2026-12-07 at 15:00.
        let t = start(&p.refund, beijing(2026, 12, 7, 15, 0), &cal);
        assert_eq!(t.due, beijing(2026, 12, 15, 0, 0));
        assert_eq!(t.warn, beijing(2026, 12, 12, 0, 0));
    }

    #[test]
    fn an_hour_clock_pauses_and_resumes_with_what_was_left() {
        let cal = WorkCalendar::builtin();
        let rule = DeskPolicy::default().solution_complex;
        let s = beijing(2026, 12, 1, 10, 0);
        let t = start(&rule, s, &cal);
        assert_eq!(t.due, beijing(2026, 12, 4, 10, 0));
        assert_eq!(t.warn, beijing(2026, 12, 3, 16, 0));
        let left = remaining_at_pause(&rule, t.due, beijing(2026, 12, 2, 10, 0), &cal);
        assert_eq!(left, 48 * 3_600_000);
        let due = due_on_resume(&rule, left, beijing(2026, 12, 5, 9, 0), &cal);
        assert_eq!(due, beijing(2026, 12, 7, 9, 0));
    }

    #[test]
    fn a_working_day_clock_resumes_by_working_days_across_a_holiday() {
        let cal = WorkCalendar::builtin();
        let rule = ClockRule {
            pausable: true,
            ..ClockRule::of(Span::WorkingDays(5))
        };
        // Started Monday 2026-09-21: 22, 23, 24, (中秋 25–27), 28, 29: due at the end of
        // Tuesday 09-29.
        let t = start(&rule, beijing(2026, 9, 21, 9, 0), &cal);
        assert_eq!(t.due, beijing(2026, 9, 30, 0, 0));
        // Paused Wednesday 09-23: 24, 28, 29 left (3 working days).
        let left = remaining_at_pause(&rule, t.due, beijing(2026, 9, 23, 11, 0), &cal);
        assert_eq!(left, 3);
        // Resumed Wednesday 09-30: 10-08, 10-09, Saturday 10-10 (worked).
        let due = due_on_resume(&rule, left, beijing(2026, 9, 30, 18, 0), &cal);
        assert_eq!(due, beijing(2026, 10, 11, 0, 0));
    }

    #[test]
    fn the_sweep_warns_then_breaches_once_each_and_ignores_paused_clocks() {
        let mut c = ClockView {
            state: ClockState::Running,
            due: Stamp::from_ms(1_000),
            warn: Stamp::from_ms(750),
            warned: false,
            breached: false,
        };
        assert_eq!(sweep(&c, Stamp::from_ms(700)), None);
        assert_eq!(sweep(&c, Stamp::from_ms(750)), Some(SweepEvent::Warn));
        c.warned = true;
        assert_eq!(sweep(&c, Stamp::from_ms(999)), None);
        assert_eq!(sweep(&c, Stamp::from_ms(1_000)), Some(SweepEvent::Breach));
        c.breached = true;
        assert_eq!(sweep(&c, Stamp::from_ms(5_000)), None);
        let paused = ClockView {
            state: ClockState::Paused,
            breached: false,
            warned: false,
            ..c
        };
        assert_eq!(sweep(&paused, Stamp::from_ms(5_000)), None);
        // Never warned but already past due: the breach alone.
        let late = ClockView {
            warned: false,
            breached: false,
            ..c
        };
        assert_eq!(
            sweep(&late, Stamp::from_ms(5_000)),
            Some(SweepEvent::Breach)
        );
        assert_eq!(
            met_state(Stamp::from_ms(10), Stamp::from_ms(10)),
            ClockState::Met
        );
        assert_eq!(
            met_state(Stamp::from_ms(10), Stamp::from_ms(11)),
            ClockState::MetLate
        );
    }
}
