//! Calendar dates and instants, without a clock: callers pass `today`/`now` in.
//!
//! `Date` is a UTC civil date stored as days since 1970-01-01; it serializes as
//! `YYYY-MM-DD`. `Timestamp` is milliseconds since the Unix epoch. Neither reads the
//! system clock (`SystemTime::now()` panics on wasm32-unknown-unknown anyway).

use crate::prelude::*;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day (UTC). Only years `MIN_YEAR..=MAX_YEAR` parse: a date outside
/// that window in a request is a typo, not a plan.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// Why a date did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD`.
    #[error("dates are written YYYY-MM-DD")]
    Format,
    /// Well-formed, but no such day (e.g. 2026-02-30) or outside the supported years.
    #[error("no such date, or outside the years 2000-2199")]
    OutOfRange,
}

impl Date {
    pub const MIN_YEAR: i32 = 2000;
    pub const MAX_YEAR: i32 = 2199;

    /// The date for a year, month (1-12) and day (1-31), if it exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date, DateError> {
        if !(Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return Err(DateError::OutOfRange);
        }
        Ok(Date(days_from_civil(year, month, day)))
    }

    /// Parses exactly `YYYY-MM-DD` (ISO 8601 calendar date, no time, no offset).
    pub fn parse(input: &str) -> Result<Date, DateError> {
        let b = input.as_bytes();
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(DateError::Format);
        }
        // `get`, not indexing: the widget links this, and a slice's bounds check would
        // bring panic-message formatting into its wasm.
        let num = |range: core::ops::Range<usize>| -> Result<u32, DateError> {
            b.get(range).unwrap_or_default().iter().try_fold(0u32, |acc, &c| {
                if c.is_ascii_digit() { Ok(acc * 10 + u32::from(c - b'0')) } else { Err(DateError::Format) }
            })
        };
        let year = num(0..4)?;
        let (month, day) = (num(5..7)?, num(8..10)?);
        // `year` has four digits, so it fits an i32.
        Date::from_ymd(year as i32, month, day)
    }

    /// Days since 1970-01-01.
    pub fn from_days(days: i32) -> Date {
        Date(days)
    }

    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// `(year, month, day)`.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    pub fn add_days(self, days: u32) -> Date {
        Date(self.0.saturating_add(i32::try_from(days).unwrap_or(i32::MAX)))
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.0 - self.0
    }

    /// `YYYY-MM-DD`, written without `core::fmt` (the widget avoids it for size).
    pub fn to_iso(self) -> String {
        let (y, m, d) = self.ymd();
        let mut out = String::with_capacity(10);
        push_digits(&mut out, y.unsigned_abs(), 4);
        out.push('-');
        push_digits(&mut out, m, 2);
        out.push('-');
        push_digits(&mut out, d, 2);
        out
    }

    /// Midnight UTC at the start of this day.
    pub fn start(self) -> Timestamp {
        Timestamp(i64::from(self.0) * MILLIS_PER_DAY)
    }
}

fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms; exact for the proleptic Gregorian calendar.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = (y - era * 400) as u32;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe as i32 + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_iso())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date as YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
                Date::parse(v).map_err(|_| E::custom("invalid date"))
            }
        }
        d.deserialize_str(Visitor)
    }
}

const MILLIS_PER_DAY: i64 = 86_400_000;

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// The UTC calendar day this instant falls on.
    pub fn date(self) -> Date {
        Date(i32::try_from(self.0.div_euclid(MILLIS_PER_DAY)).unwrap_or(i32::MAX))
    }

    pub fn plus_minutes(self, minutes: u32) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::from(minutes) * 60_000))
    }

    pub fn plus_hours(self, hours: u32) -> Timestamp {
        self.plus_minutes(hours.saturating_mul(60))
    }

    /// RFC 3339 in UTC with second precision: `2026-11-23T19:05:00Z`.
    pub fn to_iso(self) -> String {
        let secs_of_day = self.0.rem_euclid(MILLIS_PER_DAY) / 1000;
        let mut out = self.date().to_iso();
        out.push('T');
        for (i, part) in [secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60].into_iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            push_digits(&mut out, part as u32, 2);
        }
        out.push('Z');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<(i32, u32, u32), DateError>) {
        assert_eq!(Date::parse(input).map(Date::ymd), expected, "input {input:?}");
    }

    #[test]
    fn parses_iso_calendar_dates() {
        check("2026-11-23", Ok((2026, 11, 23)));
        check("2000-01-01", Ok((2000, 1, 1)));
        check("2199-12-31", Ok((2199, 12, 31)));
        check("2028-02-29", Ok((2028, 2, 29)));
    }

    #[test]
    fn rejects_what_is_not_a_day() {
        check("2026-02-29", Err(DateError::OutOfRange));
        check("2026-13-01", Err(DateError::OutOfRange));
        check("2026-00-10", Err(DateError::OutOfRange));
        check("2026-04-31", Err(DateError::OutOfRange));
        check("1999-12-31", Err(DateError::OutOfRange));
        check("2200-01-01", Err(DateError::OutOfRange));
        check("2026-1-01", Err(DateError::Format));
        check("2026/01/01", Err(DateError::Format));
        check("2026-01-01T00:00:00Z", Err(DateError::Format));
        check("２０２６-01-01", Err(DateError::Format));
        check("", Err(DateError::Format));
        check("+026-01-01", Err(DateError::Format));
    }

    #[test]
    fn epoch_and_known_days() {
        assert_eq!(Date::from_days(0).ymd(), (1970, 1, 1));
        let d = Date::from_ymd(2026, 11, 23).expect("valid");
        assert_eq!(d.days_since_epoch(), 20_780); // python: (date(2026,11,23) - date(1970,1,1)).days
        assert_eq!(d.add_days(8).to_iso(), "2026-12-01");
        assert_eq!(d.days_until(d.add_days(40)), 40);
    }

    #[test]
    fn timestamps_fall_on_utc_days() {
        let d = Date::from_ymd(2026, 11, 23).expect("valid");
        assert_eq!(d.start().date(), d);
        let day_before = Date::from_days(d.days_since_epoch() - 1);
        assert_eq!(Timestamp::from_millis(d.start().millis() - 1).date(), day_before);
        assert_eq!(d.start().plus_hours(23).date(), d);
        assert_eq!(d.start().plus_hours(24).date(), d.add_days(1));
    }

    #[test]
    fn timestamps_print_as_rfc3339() {
        let d = Date::from_ymd(2026, 11, 23).expect("valid");
        assert_eq!(d.start().to_iso(), "2026-11-23T00:00:00Z");
        assert_eq!(Timestamp::from_millis(d.start().millis() + 68_645_999).to_iso(), "2026-11-23T19:04:05Z");
    }

    #[test]
    fn serde_uses_iso_strings() {
        let d = Date::from_ymd(2027, 3, 4).expect("valid");
        assert_eq!(serde_json::to_string(&d).expect("ser"), "\"2027-03-04\"");
        let back: Date = serde_json::from_str("\"2027-03-04\"").expect("de");
        assert_eq!(back, d);
        assert!(serde_json::from_str::<Date>("\"2027-02-30\"").is_err());
        assert!(serde_json::from_str::<Date>("20270304").is_err());
    }

    proptest::proptest! {
        #[test]
        fn civil_round_trip(days in 10_957i32..84_000) {
            let d = Date::from_days(days);
            let (y, m, dd) = d.ymd();
            proptest::prop_assert_eq!(Date::from_ymd(y, m, dd), Ok(d));
            proptest::prop_assert_eq!(Date::parse(&d.to_iso()), Ok(d));
        }
    }
}
