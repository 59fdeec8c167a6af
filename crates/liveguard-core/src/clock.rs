//! The clock every time stamp comes from, injected so that tests are reproducible: the store
//! stamps rows and audit entries with it, the server and the jobs read deadlines with it, and
//! the pure crates take a `&dyn Clock` (or a time from their caller) instead of reading the
//! system clock. [`SystemClock`] is the one place that reads the operating system's clock.
//!
//! Every stored time is a [`Stamp`]: one instant, Unix milliseconds underneath. The database
//! keeps older columns as RFC 3339 text (`*_at`) and newer ones as integers (`*_ms`); both are
//! read into a `Stamp`, and a `Stamp` is written back in the column's own form, so the
//! migrations keep their meaning while the code has one time type. People see a `Stamp` in
//! Beijing time ([`Stamp::beijing`]); machines get RFC 3339 or milliseconds.

use std::sync::Mutex;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> OffsetDateTime;

    /// Now as RFC 3339 UTC text with second precision (`2026-11-26T12:00:00Z`).
    fn now_rfc3339(&self) -> String {
        format_rfc3339(self.now())
    }

    /// Now as a [`Stamp`] (millisecond precision).
    fn stamp(&self) -> Stamp {
        Stamp::from_time(self.now())
    }
}

/// China Standard Time (UTC+8, no daylight saving): the zone every time shown to a person is in.
pub const BEIJING: time::UtcOffset = match time::UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => time::UtcOffset::UTC,
};

/// One instant, as stored: Unix milliseconds (UTC). Ordered, copyable and cheap; read from
/// either kind of time column and written back in the column's own form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp(i64);

/// A text that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTime(pub String);

impl std::fmt::Display for BadTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not an RFC 3339 time", self.0)
    }
}

impl std::error::Error for BadTime {}

impl Stamp {
    /// The instant `ms` milliseconds after the Unix epoch.
    pub const fn from_ms(ms: i64) -> Self {
        Stamp(ms)
    }

    /// Milliseconds after the Unix epoch (the `*_ms` columns and JSON fields).
    pub const fn ms(self) -> i64 {
        self.0
    }

    /// Whole seconds after the Unix epoch (rounded down).
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// The instant of a date-time (sub-millisecond precision is dropped).
    pub fn from_time(t: OffsetDateTime) -> Self {
        Stamp((t.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    /// The date-time, in UTC.
    pub fn time(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Parses RFC 3339 text in any offset (`2026-12-01T20:00:00+08:00`, `…Z`).
    pub fn parse(text: &str) -> Result<Self, BadTime> {
        OffsetDateTime::parse(text.trim(), &Rfc3339)
            .map(Self::from_time)
            .map_err(|_| BadTime(text.chars().take(64).collect()))
    }

    /// RFC 3339 UTC text with second precision (`2026-11-26T12:00:00Z`): the `*_at` columns
    /// and JSON fields.
    pub fn rfc3339(self) -> String {
        format_rfc3339(self.time())
    }

    /// This instant rounded down to the whole second: what an RFC 3339 column keeps of it.
    pub const fn floor_second(self) -> Self {
        Stamp(self.0 - self.0.rem_euclid(1000))
    }

    /// This instant plus a duration.
    pub fn plus(self, d: time::Duration) -> Self {
        Stamp(self.0.saturating_add(d.whole_milliseconds() as i64))
    }

    /// Beijing date and time to the minute, as a person reads it: `2026-12-07 10:54`.
    pub fn beijing(self) -> String {
        let t = self.time().to_offset(BEIJING);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    }

    /// Beijing time of day to the second (`10:54:07`), for events within one broadcast.
    pub fn beijing_clock(self) -> String {
        let t = self.time().to_offset(BEIJING);
        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
    }
}

impl From<i64> for Stamp {
    fn from(ms: i64) -> Self {
        Stamp(ms)
    }
}

impl TryFrom<String> for Stamp {
    type Error = BadTime;
    fn try_from(text: String) -> Result<Self, BadTime> {
        Stamp::parse(&text)
    }
}

/// Formats a time as RFC 3339 UTC with second precision.
pub fn format_rfc3339(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the system clock
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved (tests).
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<OffsetDateTime>,
}

impl FixedClock {
    /// A clock at `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        FixedClock {
            now: Mutex::new(now),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_reads_both_column_forms_as_the_same_instant() {
        let text = Stamp::parse("2026-12-01T12:00:00Z").unwrap();
        let ms = Stamp::from_ms(1_796_126_400_000);
        assert_eq!(text, ms);
        assert_eq!(text.rfc3339(), "2026-12-01T12:00:00Z");
        assert_eq!(Stamp::parse("2026-12-01T20:00:00+08:00").unwrap(), ms);
        assert!(Stamp::parse("yesterday").is_err());
    }

    #[test]
    fn people_see_beijing_time() {
        let t = Stamp::parse("2026-12-01T17:30:05Z").unwrap();
        assert_eq!(t.beijing(), "2026-12-02 01:30");
        assert_eq!(t.beijing_clock(), "01:30:05");
    }

    #[test]
    fn text_columns_keep_second_precision() {
        let t = Stamp::from_ms(1_796_126_400_999);
        assert_eq!(t.rfc3339(), "2026-12-01T12:00:00Z");
        assert_eq!(t.plus(time::Duration::seconds(1)).ms(), 1_796_126_401_999);
    }
}
