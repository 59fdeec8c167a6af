//! The Chinese working-day calendar: which Beijing dates are working days. Public holidays
//! and the adjusted working weekends (调休) are data ([`WorkCalendar::from_toml`]), shipped
//! as `data/cn-workdays.toml` and replaceable without a new build.

use std::collections::{BTreeMap, BTreeSet};

use liveguard_core::clock::{BEIJING, Stamp};
use serde::Deserialize;
use time::{Date, Duration, Month, PrimitiveDateTime, Time, Weekday};

/// The calendar shipped with this build.
pub const BUILTIN_TOML: &str = include_str!("../data/cn-workdays.toml");

/// Longest span of working days one deadline may count (about five years).
const WORKING_DAYS_MAX: u32 = 1_300;

/// Why a calendar file was refused; names the year and the date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not TOML of the expected shape.
    #[error("calendar file: {0}")]
    Syntax(String),
    /// A year key that is not a year.
    #[error("calendar file: `{0}` is not a year (expected e.g. [years.2026])")]
    Year(String),
    /// A date that is not `MM-DD` in its year.
    #[error("calendar file: year {year}: `{date}` is not a date (expected MM-DD)")]
    Date {
        /// The year table.
        year: i32,
        /// The text.
        date: String,
    },
    /// A day listed both as a holiday and as a working day.
    #[error("calendar file: {0} is listed both as a holiday and as a working day")]
    Both(Date),
    /// A holiday on a weekend or a working day on a weekday would change nothing: almost
    /// certainly a typing error.
    #[error(
        "calendar file: {0} is listed as an adjusted working day but is not a Saturday or Sunday"
    )]
    WorkdayNotWeekend(Date),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    source: Option<String>,
    #[serde(default)]
    years: BTreeMap<String, YearFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

/// Which dates are working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    holidays: BTreeSet<Date>,
    workdays: BTreeSet<Date>,
    years: BTreeSet<i32>,
    source: String,
}

impl WorkCalendar {
    /// The calendar shipped with this build.
    pub fn builtin() -> WorkCalendar {
        WorkCalendar::from_toml(BUILTIN_TOML).expect("the shipped calendar parses (tested)")
    }

    /// A calendar read from its TOML text (the format of `data/cn-workdays.toml`).
    pub fn from_toml(text: &str) -> Result<WorkCalendar, CalendarError> {
        let file: File = toml::from_str(text).map_err(|e| CalendarError::Syntax(e.to_string()))?;
        let mut cal = WorkCalendar {
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            years: BTreeSet::new(),
            source: file.source.unwrap_or_default(),
        };
        for (key, days) in file.years {
            let year: i32 = key
                .parse()
                .ok()
                .filter(|y| (2000..=2200).contains(y))
                .ok_or_else(|| CalendarError::Year(key.clone()))?;
            cal.years.insert(year);
            for text in &days.holidays {
                cal.holidays.insert(month_day(year, text)?);
            }
            for text in &days.workdays {
                let d = month_day(year, text)?;
                if !is_weekend(d) {
                    return Err(CalendarError::WorkdayNotWeekend(d));
                }
                cal.workdays.insert(d);
            }
        }
        if let Some(d) = cal.holidays.intersection(&cal.workdays).next() {
            return Err(CalendarError::Both(*d));
        }
        Ok(cal)
    }

    /// Where the table comes from (the notices), as the file says.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The years the table covers.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether the table has `year` (outside it only weekends are rest days).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: Date) -> bool {
        if self.workdays.contains(&date) {
            return true;
        }
        !(self.holidays.contains(&date) || is_weekend(date))
    }

    /// The `n`th working day after `date` (not counting `date` itself: 期间开始之日不计入).
    pub fn nth_working_day_after(&self, date: Date, n: u32) -> Date {
        let mut d = date;
        let mut left = n.min(WORKING_DAYS_MAX);
        while left > 0 {
            d = d.next_day().unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days strictly after `from` up to and including `to` (0 when `to <= from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to && n < WORKING_DAYS_MAX {
            d = d.next_day().unwrap_or(to);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    /// The deadline of "within `n` working days" counted from `start`: the end (24:00
    /// Beijing time) of the `n`th working day after the day `start` falls on.
    pub fn working_deadline(&self, start: Stamp, n: u32) -> Stamp {
        let last = self.nth_working_day_after(beijing_date(start), n);
        end_of_day(last)
    }
}

/// The Beijing calendar date of an instant.
pub fn beijing_date(at: Stamp) -> Date {
    at.time().to_offset(BEIJING).date()
}

/// The instant a Beijing date ends (its following midnight).
pub fn end_of_day(date: Date) -> Stamp {
    let next = date.next_day().unwrap_or(date);
    Stamp::from_time(PrimitiveDateTime::new(next, Time::MIDNIGHT).assume_offset(BEIJING))
}

/// The instant `days` calendar days after `start`, at the end of that Beijing day ("within
/// 7 days of receipt": the day of receipt is not counted, the last day counts whole).
pub fn calendar_deadline(start: Stamp, days: u32) -> Stamp {
    let last = beijing_date(start) + Duration::days(i64::from(days));
    end_of_day(last)
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn month_day(year: i32, text: &str) -> Result<Date, CalendarError> {
    let bad = || CalendarError::Date {
        year,
        date: text.chars().take(20).collect(),
    };
    let (m, d) = text.trim().split_once('-').ok_or_else(bad)?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    let d: u8 = d.parse().map_err(|_| bad())?;
    let month = Month::try_from(m).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, d).map_err(|_| bad())
}

/// A Beijing wall-clock time as an instant (tests and seeds use it).
pub fn beijing(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> Stamp {
    let date =
        Date::from_calendar_date(year, Month::try_from(month).unwrap_or(Month::January), day)
            .unwrap_or(Date::MIN);
    let t = Time::from_hms(hour, minute, 0).unwrap_or(Time::MIDNIGHT);
    Stamp::from_time(PrimitiveDateTime::new(date, t).assume_offset(BEIJING))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_shipped_calendar_knows_holidays_and_adjusted_working_weekends() {
        let c = WorkCalendar::builtin();
        assert!(c.covers(2026) && c.covers(2025) && !c.covers(2031));
        // 国庆 2026: 10-01..10-07 off, Saturday 10-10 and Sunday 09-20 worked.
        assert!(!c.is_working_day(date!(2026 - 10 - 05)));
        assert!(c.is_working_day(date!(2026 - 10 - 10)));
        assert!(c.is_working_day(date!(2026 - 09 - 20)));
        // An ordinary weekend and an ordinary weekday.
        assert!(!c.is_working_day(date!(2026 - 12 - 05)));
        assert!(c.is_working_day(date!(2026 - 12 - 07)));
        // 春节 2026: 02-15..02-23 off, Saturdays 02-14 and 02-28 worked.
        assert!(c.is_working_day(date!(2026 - 02 - 14)));
        assert!(!c.is_working_day(date!(2026 - 02 - 23)));
        assert!(c.is_working_day(date!(2026 - 02 - 28)));
        // Outside the table: weekends only.
        assert!(!c.is_working_day(date!(2031 - 01 - 04)));
        assert!(c.is_working_day(date!(2031 - 01 - 01)));
    }

    #[test]
    fn seven_working_days_cross_the_national_day_holiday() {
        let c = WorkCalendar::builtin();
        // Received Tuesday 2026-09-29 21:00: 09-30 (1), holiday 10-01..07, 10-08 (2),
        // 10-09 (3), Saturday 10-10 worked (4), 10-12 (5), 10-13 (6), 10-14 (7).
        let due = c.working_deadline(beijing(2026, 9, 29, 21, 0), 7);
        assert_eq!(due, beijing(2026, 10, 15, 0, 0));
        assert_eq!(
            c.working_days_between(date!(2026 - 09 - 29), date!(2026 - 10 - 14)),
            7
        );
    }

    #[test]
    fn deadlines_are_counted_in_beijing_time_across_midnight() {
        let c = WorkCalendar::builtin();
        // 2026-12-04 23:30 Beijing is 15:30 UTC the same day; 00:30 Beijing on the 5th is
        // still the 4th in UTC: the Beijing date decides.
        let late_friday = beijing(2026, 12, 4, 23, 30);
        let after_midnight = beijing(2026, 12, 5, 0, 30);
        assert_eq!(
            c.working_deadline(late_friday, 1),
            beijing(2026, 12, 8, 0, 0)
        );
        // From Saturday the first working day is Monday the 7th.
        assert_eq!(
            c.working_deadline(after_midnight, 1),
            beijing(2026, 12, 8, 0, 0)
        );
        assert_eq!(
            calendar_deadline(late_friday, 7),
            beijing(2026, 12, 12, 0, 0)
        );
        assert_eq!(
            calendar_deadline(after_midnight, 7),
            beijing(2026, 12, 13, 0, 0)
        );
    }

    #[test]
    fn a_calendar_file_is_checked_and_names_what_is_wrong() {
        let ok = WorkCalendar::from_toml("[years.2027]\nholidays = [\"01-01\"]\nworkdays = []\n")
            .unwrap();
        assert!(!ok.is_working_day(date!(2027 - 01 - 01)));
        assert!(ok.covers(2027));
        let e = WorkCalendar::from_toml("[years.2027]\nholidays = [\"13-01\"]\n").unwrap_err();
        assert!(e.to_string().contains("13-01"), "{e}");
        let e = WorkCalendar::from_toml("[years.20x7]\nholidays = []\n").unwrap_err();
        assert!(e.to_string().contains("20x7"), "{e}");
        // 2027-01-04 is a Monday: as an adjusted working day it is a typing error.
        let e = WorkCalendar::from_toml("[years.2027]\nworkdays = [\"01-04\"]\n").unwrap_err();
        assert!(matches!(e, CalendarError::WorkdayNotWeekend(_)), "{e}");
        let e = WorkCalendar::from_toml(
            "[years.2027]\nholidays = [\"01-02\"]\nworkdays = [\"01-02\"]\n",
        )
        .unwrap_err();
        assert!(matches!(e, CalendarError::Both(_)), "{e}");
        assert!(WorkCalendar::from_toml("[years.2027]\nholidays = 3\n").is_err());
        assert!(WorkCalendar::from_toml("[years.2027]\nfestivals = []\n").is_err());
    }
}
