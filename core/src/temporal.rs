//! Dates, times and datetimes as the protocol sees them: Python's `date`, `time` and
//! `datetime`, written and read as ISO-8601 text exactly like Python's `isoformat()` /
//! `fromisoformat()` (SPEC §2), and turned into Unix seconds for interop args (SPEC §5).
//!
//! Ranges follow Python: years 1..=9999, microsecond precision, UTC offsets strictly
//! inside ±24 h with second precision. A value without an offset is *naive*.

use std::fmt;

use crate::error::{ErrorKind, Result, err};

/// A calendar date (proleptic Gregorian), years 1..=9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// A time of day with microseconds and an optional UTC offset (seconds east of UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Time {
    hour: u8,
    minute: u8,
    second: u8,
    microsecond: u32,
    offset: Option<i32>,
}

/// A date plus a time of day; naive when the time has no offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    time: Time,
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a count of days since 1970-01-01 (Hinnant's civil_from_days).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Date {
    /// A validated date.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date> {
        if !(1..=9999).contains(&year) {
            return err(ErrorKind::InvalidTemporal, format!("year {year} outside 1..=9999"));
        }
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(i64::from(year), month) {
            return err(ErrorKind::InvalidTemporal, format!("no such date {year:04}-{month:02}-{day:02}"));
        }
        Ok(Date { year: year as u16, month, day })
    }

    /// Year, 1..=9999.
    pub fn year(&self) -> i32 {
        i32::from(self.year)
    }
    /// Month, 1..=12.
    pub fn month(&self) -> u8 {
        self.month
    }
    /// Day of month, 1..=31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return bad(s, "a date");
        }
        Date::new(digits(s, 0, 4)? as i32, digits(s, 5, 2)? as u8, digits(s, 8, 2)? as u8)
    }
}

impl Time {
    /// A validated time; `offset_seconds` must lie strictly inside ±86400.
    pub fn new(hour: u8, minute: u8, second: u8, microsecond: u32, offset_seconds: Option<i32>) -> Result<Time> {
        if hour > 23 || minute > 59 || second > 59 || microsecond > 999_999 {
            return err(
                ErrorKind::InvalidTemporal,
                format!("no such time {hour:02}:{minute:02}:{second:02}.{microsecond:06}"),
            );
        }
        if let Some(o) = offset_seconds
            && o.unsigned_abs() >= 86_400
        {
            return err(ErrorKind::InvalidTemporal, format!("UTC offset {o} s is not within ±24 h"));
        }
        Ok(Time { hour, minute, second, microsecond, offset: offset_seconds })
    }

    /// Hour, 0..=23.
    pub fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute, 0..=59.
    pub fn minute(&self) -> u8 {
        self.minute
    }
    /// Second, 0..=59.
    pub fn second(&self) -> u8 {
        self.second
    }
    /// Microsecond, 0..=999999.
    pub fn microsecond(&self) -> u32 {
        self.microsecond
    }
    /// UTC offset in seconds east, `None` when naive.
    pub fn offset_seconds(&self) -> Option<i32> {
        self.offset
    }

    /// Parses `HH:MM[:SS[.f{1,9}]]` followed by an optional `Z` (or `z`) or `±HH:MM[:SS]`.
    pub fn parse(s: &str) -> Result<Time> {
        let (clock, offset) = split_offset(s)?;
        let (hour, minute, second, micro) = parse_clock(clock, s)?;
        Time::new(hour, minute, second, micro, offset)
    }

    fn write_clock(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}:{:02}", self.hour, self.minute, self.second)?;
        if self.microsecond != 0 {
            write!(f, ".{:06}", self.microsecond)?;
        }
        if let Some(o) = self.offset {
            let sign = if o < 0 { '-' } else { '+' };
            let a = o.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", a / 3600, (a / 60) % 60)?;
            if a % 60 != 0 {
                write!(f, ":{:02}", a % 60)?;
            }
        }
        Ok(())
    }
}

impl DateTime {
    /// Combines a date and a time (its offset decides naive or aware).
    pub fn new(date: Date, time: Time) -> DateTime {
        DateTime { date, time }
    }

    /// The date part.
    pub fn date(&self) -> Date {
        self.date
    }
    /// The time part, offset included.
    pub fn time(&self) -> Time {
        self.time
    }
    /// True when the datetime carries a UTC offset.
    pub fn is_aware(&self) -> bool {
        self.time.offset.is_some()
    }

    /// Parses `YYYY-MM-DD[T| ]HH:MM[:SS[.f]][Z|±HH:MM]`, as Python's `fromisoformat`.
    pub fn parse(s: &str) -> Result<DateTime> {
        if s.len() < 11 || !s.is_char_boundary(10) {
            return bad(s, "a datetime");
        }
        let sep = s.as_bytes()[10];
        if sep != b'T' && sep != b' ' {
            return bad(s, "a datetime");
        }
        Ok(DateTime { date: Date::parse(&s[..10])?, time: Time::parse(&s[11..])? })
    }

    /// Microseconds since the Unix epoch; `None` for a naive datetime.
    pub fn unix_micros(&self) -> Option<i64> {
        let offset = i64::from(self.time.offset?);
        let t = &self.time;
        let secs = self.date.days_since_epoch() * 86_400
            + i64::from(t.hour) * 3600
            + i64::from(t.minute) * 60
            + i64::from(t.second)
            - offset;
        Some(secs * 1_000_000 + i64::from(t.microsecond))
    }

    /// The aware UTC datetime `ms` milliseconds after the Unix epoch (a JavaScript `Date`'s
    /// time value); outside years 1..=9999 it is `invalid_temporal`.
    pub fn from_unix_millis(ms: i64) -> Result<DateTime> {
        let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
        let rem = ms.rem_euclid(86_400_000);
        let date = Date::new(i32::try_from(y).unwrap_or(i32::MAX), m, d)?;
        let secs = rem / 1000;
        let time = Time::new(
            (secs / 3600) as u8,
            ((secs / 60) % 60) as u8,
            (secs % 60) as u8,
            ((rem % 1000) * 1000) as u32,
            Some(0),
        )?;
        Ok(DateTime { date, time })
    }

    /// [`DateTime::from_unix_millis`] of a time value as JavaScript engines hand it over (an
    /// `f64`): an invalid `Date` (NaN) is `invalid_temporal`. Both JS bindings map `Date` with it.
    pub fn from_unix_millis_f64(ms: f64) -> Result<DateTime> {
        if !ms.is_finite() {
            return err(ErrorKind::InvalidTemporal, "invalid Date (its time value is NaN)");
        }
        DateTime::from_unix_millis(ms as i64)
    }

    /// Milliseconds since the Unix epoch (floored), reading a naive datetime as UTC.
    pub fn unix_millis_utc(&self) -> i64 {
        let utc = DateTime { date: self.date, time: Time { offset: self.time.offset.or(Some(0)), ..self.time } };
        utc.unix_micros().unwrap_or(0).div_euclid(1000)
    }

    /// Unix seconds as Python's `datetime.timestamp()` computes them for an aware value:
    /// integer microseconds divided once by 10^6, correctly rounded. `None` when naive.
    pub fn unix_seconds(&self) -> Option<f64> {
        self.unix_micros().map(micros_to_seconds)
    }
}

/// `n / 10^6` correctly rounded to the nearest f64 (ties to even), like Python's `int / int`.
fn micros_to_seconds(n: i64) -> f64 {
    const TWO53: u64 = 1 << 53;
    if n.unsigned_abs() <= TWO53 {
        // Exact conversion, then one correctly rounded division.
        return n as f64 / 1e6;
    }
    // Scale so the quotient has 54..=55 significant bits, then round half to even by hand.
    let neg = n < 0;
    let a = u128::from(n.unsigned_abs());
    let mut shift: i32 = 0;
    let mut q = a / 1_000_000;
    while q < (1u128 << 54) {
        shift += 1;
        q = (a << shift) / 1_000_000;
    }
    let rem_exact = (a << shift) % 1_000_000 != 0;
    // q has 54+ bits; keep 53 and round using the dropped bits plus the remainder.
    let extra = 128 - q.leading_zeros() as i32 - 53;
    let mant = q >> extra;
    let dropped = q & ((1u128 << extra) - 1);
    let half = 1u128 << (extra - 1);
    let round_up = dropped > half || (dropped == half && (rem_exact || mant & 1 == 1));
    let mant = mant + u128::from(round_up);
    let v = (mant as f64) * 2f64.powi(extra - shift);
    if neg { -v } else { v }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for Time {
    /// Python's `time.isoformat()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_clock(f)
    }
}

impl fmt::Display for DateTime {
    /// Python's `datetime.isoformat()`: `+00:00` not `Z`, fraction only when non-zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}T", self.date)?;
        self.time.write_clock(f)
    }
}

fn bad_err(s: &str, what: &str) -> crate::Error {
    crate::Error::new(ErrorKind::InvalidTemporal, format!("{s:?} is not {what} in ISO-8601 form"))
}

fn bad<T>(s: &str, what: &str) -> Result<T> {
    Err(bad_err(s, what))
}

fn digits(s: &str, at: usize, n: usize) -> Result<u32> {
    let part = s.get(at..at + n).ok_or_else(|| bad_err(s, "ISO-8601 text"))?;
    if !part.bytes().all(|c| c.is_ascii_digit()) {
        return bad(s, "ISO-8601 text");
    }
    Ok(part.parse().expect("ascii digits parse"))
}

/// `HH:MM[:SS[.f{1,9}]]` (no offset) → hour, minute, second, microsecond; `s` is the whole
/// text, for the error.
fn parse_clock(clock: &str, s: &str) -> Result<(u8, u8, u8, u32)> {
    let b = clock.as_bytes();
    if b.len() < 5 || b[2] != b':' {
        return bad(s, "a time");
    }
    let hour = digits(clock, 0, 2)? as u8;
    let minute = digits(clock, 3, 2)? as u8;
    let (mut second, mut micro) = (0u8, 0u32);
    if b.len() > 5 {
        if b[5] != b':' || b.len() < 8 {
            return bad(s, "a time");
        }
        second = digits(clock, 6, 2)? as u8;
        if b.len() > 8 {
            // Byte 8 is checked first: once it is the ASCII '.', byte 9 starts a character.
            if b[8] != b'.' {
                return bad(s, "a time");
            }
            let frac = &clock[9..];
            if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|c| c.is_ascii_digit()) {
                return bad(s, "a time");
            }
            let six = format!("{frac:0<6}");
            micro = six[..6].parse().map_err(|_| bad_err(s, "a time"))?;
        }
    }
    Ok((hour, minute, second, micro))
}

/// Splits `clock[offset]` into the clock text and the offset in seconds. The offset is a
/// plain clock (`HH:MM[:SS]`, no fraction, no offset of its own): parsed without recursion,
/// so a text of many signs cannot run the stack out.
fn split_offset(s: &str) -> Result<(&str, Option<i32>)> {
    if let Some(clock) = s.strip_suffix(['Z', 'z']) {
        return Ok((clock, Some(0)));
    }
    let Some(pos) = s.find(['+', '-']) else {
        return Ok((s, None));
    };
    let (clock, off) = (&s[..pos], &s[pos + 1..]);
    let sign = if s.as_bytes()[pos] == b'-' { -1 } else { 1 };
    let (hour, minute, second, micro) = parse_clock(off, s).map_err(|_| bad_err(s, "a UTC offset"))?;
    if micro != 0 {
        return bad(s, "a UTC offset");
    }
    // The clock's own ranges (hours 0..=23, minutes and seconds 0..=59).
    Time::new(hour, minute, second, 0, None).map_err(|_| bad_err(s, "a UTC offset"))?;
    let secs = i32::from(hour) * 3600 + i32::from(minute) * 60 + i32::from(second);
    Ok((clock, Some(sign * secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_an_error_not_a_panic_or_a_stack_overflow() {
        // A multi-byte character where the fraction's dot belongs (found by fuzzing).
        assert!(Time::parse("00:00:00é").is_err());
        assert!(DateTime::parse("2024-01-01T00:00:00é").is_err());
        // Every sign used to start another offset parse: 100 000 of them ran the stack out.
        let signs = "+".repeat(100_000);
        assert!(Time::parse(&format!("00:00{signs}")).is_err());
        assert!(DateTime::parse(&format!("2024-01-01T{signs}")).is_err());
        assert!(Time::parse("12:00+05:00+01:00").is_err(), "an offset has no offset");
        assert!(Time::parse("12:00+24:00").is_err(), "offset hours stay below 24");
        assert_eq!(Time::parse("12:00-05:30").unwrap().offset_seconds(), Some(-(5 * 3600 + 30 * 60)));
    }

    #[test]
    fn iso_round_trips_like_python() {
        for s in [
            "2024-01-15T12:30:00+00:00",
            "2024-01-01T12:30:45.123456+00:00",
            "2024-01-01T18:00:45.123456+05:30",
            "1969-12-31T23:59:59.123456-08:00",
            "2024-01-15T12:30:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.999999+23:59:59",
        ] {
            assert_eq!(DateTime::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(Date::parse("2025-11-14").unwrap().to_string(), "2025-11-14");
        assert_eq!(Time::parse("10:30:00").unwrap().to_string(), "10:30:00");
        assert_eq!(Time::parse("12:30:01.000005").unwrap().to_string(), "12:30:01.000005");
    }

    #[test]
    fn unix_millis_round_trip_through_the_calendar() {
        for ms in [0i64, 1_704_112_245_123, -1, -86_400_001, 253_402_300_799_999, -62_135_596_800_000] {
            let dt = DateTime::from_unix_millis(ms).unwrap();
            assert!(dt.is_aware());
            assert_eq!(dt.unix_millis_utc(), ms, "{dt}");
        }
        assert_eq!(DateTime::from_unix_millis(0).unwrap().to_string(), "1970-01-01T00:00:00+00:00");
        assert_eq!(
            DateTime::from_unix_millis(1_704_112_245_123).unwrap().to_string(),
            "2024-01-01T12:30:45.123000+00:00"
        );
        assert!(DateTime::from_unix_millis(253_402_300_800_000).is_err(), "year 10000");
        assert_eq!(DateTime::from_unix_millis_f64(-1.0).unwrap().to_string(), "1969-12-31T23:59:59.999000+00:00");
        assert_eq!(DateTime::from_unix_millis_f64(f64::NAN).unwrap_err().kind(), ErrorKind::InvalidTemporal);
        let js = DateTime::from_unix_millis_f64(1_705_321_800_123.0).unwrap();
        assert_eq!(js.to_string(), "2024-01-15T12:30:00.123000+00:00");
        assert_eq!(js.unix_millis_utc() as f64, 1_705_321_800_123.0);
        assert_eq!(DateTime::parse("2024-01-15T12:30:00").unwrap().unix_millis_utc(), 1_705_321_800_000);
        let naive = DateTime::parse("2024-01-01T00:00:00.5").unwrap();
        assert_eq!(naive.unix_millis_utc(), 1_704_067_200_500);
        let ist = DateTime::parse("2024-01-01T05:30:00+05:30").unwrap();
        assert_eq!(ist.unix_millis_utc(), 1_704_067_200_000);
    }

    #[test]
    fn z_and_short_forms_are_accepted() {
        assert_eq!(DateTime::parse("2024-01-15T12:30:00Z").unwrap().to_string(), "2024-01-15T12:30:00+00:00");
        assert_eq!(DateTime::parse("2024-01-15 12:30").unwrap().to_string(), "2024-01-15T12:30:00");
        assert_eq!(Time::parse("12:30:00.5").unwrap().microsecond(), 500_000);
        assert_eq!(Time::parse("12:30:00.1234567").unwrap().microsecond(), 123_456);
    }

    #[test]
    fn invalid_text_and_ranges_are_refused() {
        for s in [
            "2024-02-30T00:00:00",
            "2023-02-29",
            "2024-13-01T00:00:00",
            "24:00:00",
            "12:60:00",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00+0530",
            "2024-01-01",
            "2024-1-01T00:00:00",
            "",
            "２０２４-01-01T00:00:00",
            "2024-01-01T00:00:00.",
        ] {
            let r = if s.len() == 10 { Date::parse(s).map(|_| ()) } else { DateTime::parse(s).map(|_| ()) };
            if s == "2024-01-01" {
                assert!(DateTime::parse(s).is_err());
                continue;
            }
            assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidTemporal, "{s}");
        }
        assert!(Time::parse("24:00:00").is_err());
        assert!(Date::new(0, 1, 1).is_err());
    }

    #[test]
    fn unix_seconds_match_python_timestamp() {
        let dt = DateTime::parse("2024-01-01T12:30:45.123456+00:00").unwrap();
        assert_eq!(dt.unix_seconds().unwrap().to_bits(), 0x41d964ac1d47e6b4);
        let dt = DateTime::parse("2024-01-01T18:00:45.123456+05:30").unwrap();
        assert_eq!(dt.unix_seconds().unwrap().to_bits(), 0x41d964ac1d47e6b4);
        let dt = DateTime::parse("1969-12-31T23:59:59.123456+00:00").unwrap();
        assert_eq!(dt.unix_seconds().unwrap().to_bits(), 0xbfec0ca600b02928);
        assert_eq!(DateTime::parse("2024-01-01T00:00:00").unwrap().unix_seconds(), None);
    }

    /// |v × 10^6 − n| scaled by 2^k so it is an exact integer (v = m × 2^e, e ≥ −k).
    fn error_of(v: f64, n: i64, k: i32) -> u128 {
        let bits = v.abs().to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
        let m = u128::from((bits & ((1 << 52) - 1)) | (1 << 52));
        let lhs = (m * 1_000_000) << (exp + k) as u32;
        let rhs = u128::from(n.unsigned_abs()) << k as u32;
        lhs.abs_diff(rhs)
    }

    #[test]
    fn far_dates_round_correctly() {
        // Beyond 2^53 µs the naive `n as f64 / 1e6` can double-round; check the result is
        // the nearest f64 to the exact quotient by comparing exact errors with its neighbours.
        for micros in [
            253_402_300_799_999_999i64,
            -62_135_596_800_000_001,
            9_007_199_254_740_993,
            123_456_789_012_345_679,
            250_000_000_000_000_001,
        ] {
            let got = micros_to_seconds(micros);
            assert_eq!(got.is_sign_negative(), micros < 0);
            let (lo, hi) = (f64::from_bits(got.abs().to_bits() - 1), f64::from_bits(got.abs().to_bits() + 1));
            let e = error_of(got, micros, 40);
            assert!(e <= error_of(lo, micros, 40) && e <= error_of(hi, micros, 40), "{micros}");
        }
    }
}
