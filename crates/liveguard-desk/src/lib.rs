//! The consumer desk's rules (issue 15) as pure functions, with no I/O: the Chinese
//! working-day calendar ([`calendar`]), the clock policy and clock arithmetic
//! ([`clocks`]), the case state machine ([`case`]), and the 7-day no-reason return and
//! punitive-damages exposure ([`returns`]). Times come from the caller as
//! [`liveguard_core::clock::Stamp`]s; every deadline is computed in Beijing time.
#![deny(missing_docs)]

pub mod calendar;
pub mod case;
pub mod clocks;
pub mod returns;

pub use calendar::{CalendarError, WorkCalendar};
pub use case::{Action, ClockBrief, ClockOp, Step, StepError};
pub use clocks::{ClockRule, DeskPolicy, Span};
pub use returns::{Exposure, ReturnClass, ReturnDecision, ReturnRequest};
