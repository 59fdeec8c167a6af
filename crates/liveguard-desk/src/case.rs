//! The case state machine: new → acknowledged → in progress ⇄ waiting for the consumer →
//! solved → closed, reopen; and what each step does to the case's clocks.

use liveguard_core::{CaseState, ClockKind, ClockState};

/// Something a person does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Sends a reply to the consumer (the first one acknowledges the case).
    Reply,
    /// Sends a reply that gives the solution.
    Solve,
    /// Starts working on it.
    Start,
    /// Asks the consumer for something and waits (a pausable solution clock stops).
    WaitForConsumer,
    /// The consumer answered.
    ConsumerAnswered,
    /// Closes a solved case.
    Close,
    /// Closes an unsolved case the consumer withdrew (reason required).
    Withdraw,
    /// Reopens a solved or closed case (reason required; a new solution clock starts).
    Reopen,
}

impl Action {
    /// The stable code (API verbs, audit actions).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Reply => "reply",
            Action::Solve => "solve",
            Action::Start => "start",
            Action::WaitForConsumer => "wait",
            Action::ConsumerAnswered => "resume",
            Action::Close => "close",
            Action::Withdraw => "withdraw",
            Action::Reopen => "reopen",
        }
    }

    /// The action of a code.
    pub fn parse(code: &str) -> Option<Action> {
        [
            Action::Reply,
            Action::Solve,
            Action::Start,
            Action::WaitForConsumer,
            Action::ConsumerAnswered,
            Action::Close,
            Action::Withdraw,
            Action::Reopen,
        ]
        .into_iter()
        .find(|a| a.as_str() == code)
    }

    /// Whether the action needs a written reason.
    pub fn needs_reason(self) -> bool {
        matches!(self, Action::Withdraw | Action::Reopen)
    }

    /// Whether the action sends text to the consumer (screened before it goes out).
    pub fn sends_text(self) -> bool {
        matches!(
            self,
            Action::Reply | Action::Solve | Action::WaitForConsumer
        )
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The case is not in a state the action applies to.
    #[error("a case in state {state} cannot take the action {action}")]
    Transition {
        /// Current state code.
        state: &'static str,
        /// Action code.
        action: &'static str,
    },
    /// A statutory clock is still running (the refund after a return).
    #[error("the {0} clock is still running: record the refund before closing the case")]
    StatutoryRunning(&'static str),
}

/// What happens to one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockOp {
    /// Met now (in time or late, by its due time).
    Meet(ClockKind),
    /// Paused (only a pausable, running clock).
    Pause(ClockKind),
    /// Resumed.
    Resume(ClockKind),
    /// Stopped without being met.
    Stop(ClockKind),
    /// A new clock of this kind starts now (any earlier one of the kind is finished).
    Start(ClockKind),
}

/// One clock of a case, as the state machine needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockBrief {
    /// Kind.
    pub kind: ClockKind,
    /// Where it stands.
    pub state: ClockState,
    /// Whether its rule lets it pause.
    pub pausable: bool,
}

/// The outcome of an action: the new state and the clock operations, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The case's new state.
    pub to: CaseState,
    /// What happens to its clocks.
    pub clocks: Vec<ClockOp>,
}

fn open(c: &ClockBrief) -> bool {
    matches!(c.state, ClockState::Running | ClockState::Paused)
}

/// The step `action` makes from `state` for a case with `clocks`.
pub fn step(state: CaseState, action: Action, clocks: &[ClockBrief]) -> Result<Step, StepError> {
    use CaseState::*;
    let refuse = || StepError::Transition {
        state: state.as_str(),
        action: action.as_str(),
    };
    let running = |kind: ClockKind| clocks.iter().any(|c| c.kind == kind && open(c));
    let mut ops = Vec::new();
    // A reply of any kind meets the first-reply clock.
    let meet_first = |ops: &mut Vec<ClockOp>| {
        if running(ClockKind::FirstReply) {
            ops.push(ClockOp::Meet(ClockKind::FirstReply));
        }
    };
    let to = match (state, action) {
        (New | Acknowledged | InProgress | WaitingConsumer, Action::Reply) => {
            meet_first(&mut ops);
            // 一般 cases are solved at the first reply: a reply that is not the solution
            // does not stop their solution clock, so it breaches if nobody solves it.
            if state == New { Acknowledged } else { state }
        }
        (New | Acknowledged | InProgress | WaitingConsumer, Action::Solve) => {
            meet_first(&mut ops);
            if running(ClockKind::Solution) {
                ops.push(ClockOp::Meet(ClockKind::Solution));
            }
            Solved
        }
        (New | Acknowledged, Action::Start) => InProgress,
        (New | Acknowledged | InProgress, Action::WaitForConsumer) => {
            meet_first(&mut ops);
            if let Some(c) = clocks
                .iter()
                .find(|c| c.kind == ClockKind::Solution && c.state == ClockState::Running)
                && c.pausable
            {
                ops.push(ClockOp::Pause(ClockKind::Solution));
            }
            WaitingConsumer
        }
        (WaitingConsumer, Action::ConsumerAnswered) => {
            if clocks
                .iter()
                .any(|c| c.kind == ClockKind::Solution && c.state == ClockState::Paused)
            {
                ops.push(ClockOp::Resume(ClockKind::Solution));
            }
            InProgress
        }
        (Solved, Action::Close)
        | (New | Acknowledged | InProgress | WaitingConsumer, Action::Withdraw) => {
            for c in clocks.iter().filter(|c| open(c)) {
                if c.kind == ClockKind::Refund {
                    return Err(StepError::StatutoryRunning(c.kind.as_str()));
                }
            }
            for c in clocks.iter().filter(|c| open(c)) {
                if !crate::clocks::statutory(c.kind) {
                    ops.push(ClockOp::Stop(c.kind));
                }
            }
            Closed
        }
        (Solved | Closed, Action::Reopen) => {
            ops.push(ClockOp::Start(ClockKind::Solution));
            InProgress
        }
        _ => return Err(refuse()),
    };
    Ok(Step { to, clocks: ops })
}

/// Whether complaints about one product or live session are rising: at least `min` in the
/// last 24 hours and at least twice the daily average of the 7 days before.
pub fn rising(last_day: i64, week_before: i64, min: i64) -> bool {
    last_day >= min.max(1) && last_day * 7 >= 2 * week_before
}

/// The states from which a case is still open (its clocks count).
pub fn is_open(state: CaseState) -> bool {
    !matches!(state, CaseState::Solved | CaseState::Closed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState::*;

    fn clock(kind: ClockKind, state: ClockState, pausable: bool) -> ClockBrief {
        ClockBrief {
            kind,
            state,
            pausable,
        }
    }

    #[test]
    fn the_first_reply_acknowledges_and_meets_the_first_reply_clock() {
        let clocks = [
            clock(ClockKind::FirstReply, ClockState::Running, false),
            clock(ClockKind::Solution, ClockState::Running, true),
        ];
        let s = step(New, Action::Reply, &clocks).unwrap();
        assert_eq!(s.to, Acknowledged);
        assert_eq!(s.clocks, vec![ClockOp::Meet(ClockKind::FirstReply)]);
        // An ordinary case solved at the first reply meets both.
        let s = step(New, Action::Solve, &clocks).unwrap();
        assert_eq!(s.to, Solved);
        assert_eq!(
            s.clocks,
            vec![
                ClockOp::Meet(ClockKind::FirstReply),
                ClockOp::Meet(ClockKind::Solution)
            ]
        );
    }

    #[test]
    fn waiting_for_the_consumer_pauses_only_a_pausable_solution_clock() {
        let pausable = [clock(ClockKind::Solution, ClockState::Running, true)];
        let s = step(InProgress, Action::WaitForConsumer, &pausable).unwrap();
        assert_eq!(s.to, WaitingConsumer);
        assert_eq!(s.clocks, vec![ClockOp::Pause(ClockKind::Solution)]);
        let fixed = [
            clock(ClockKind::Solution, ClockState::Running, false),
            clock(ClockKind::Refund, ClockState::Running, false),
        ];
        let s = step(InProgress, Action::WaitForConsumer, &fixed).unwrap();
        assert!(s.clocks.is_empty(), "{:?}", s.clocks);
        let paused = [clock(ClockKind::Solution, ClockState::Paused, true)];
        let s = step(WaitingConsumer, Action::ConsumerAnswered, &paused).unwrap();
        assert_eq!(s.to, InProgress);
        assert_eq!(s.clocks, vec![ClockOp::Resume(ClockKind::Solution)]);
    }

    #[test]
    fn a_case_with_a_running_refund_clock_cannot_be_closed() {
        let clocks = [clock(ClockKind::Refund, ClockState::Running, false)];
        let e = step(Solved, Action::Close, &clocks).unwrap_err();
        assert_eq!(e, StepError::StatutoryRunning("refund"));
        let done = [clock(ClockKind::Refund, ClockState::Met, false)];
        assert_eq!(step(Solved, Action::Close, &done).unwrap().to, Closed);
    }

    #[test]
    fn closing_stops_company_clocks_and_reopening_starts_a_new_solution_clock() {
        let clocks = [
            clock(ClockKind::FirstReply, ClockState::Running, false),
            clock(ClockKind::RegulatorResponse, ClockState::Running, false),
        ];
        let s = step(Acknowledged, Action::Withdraw, &clocks).unwrap();
        assert_eq!(s.to, Closed);
        // The regulator's deadline is not the company's to stop.
        assert_eq!(s.clocks, vec![ClockOp::Stop(ClockKind::FirstReply)]);
        let s = step(Closed, Action::Reopen, &[]).unwrap();
        assert_eq!(s.to, InProgress);
        assert_eq!(s.clocks, vec![ClockOp::Start(ClockKind::Solution)]);
    }

    #[test]
    fn a_rise_needs_enough_cases_and_twice_the_usual_rate() {
        assert!(rising(3, 0, 3));
        assert!(!rising(2, 0, 3), "too few to call");
        assert!(rising(4, 14, 3), "4 a day against 2 a day");
        assert!(!rising(4, 15, 3), "4 a day against 2.1 a day");
        assert!(!rising(10, 70, 3), "as usual");
    }

    #[test]
    fn actions_outside_their_states_are_refused_with_both_named() {
        let e = step(Closed, Action::Reply, &[]).unwrap_err();
        assert!(e.to_string().contains("closed") && e.to_string().contains("reply"));
        assert!(step(New, Action::Close, &[]).is_err());
        assert!(step(InProgress, Action::ConsumerAnswered, &[]).is_err());
        for a in [
            "reply", "solve", "start", "wait", "resume", "close", "withdraw", "reopen",
        ] {
            assert_eq!(Action::parse(a).unwrap().as_str(), a);
        }
        assert!(Action::parse("delete").is_none());
    }
}
