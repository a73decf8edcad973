//! Timestamps as epoch milliseconds (`i64`), and the order events are matched in.
//!
//! * [`parse_timestamp`] reads ISO 8601 / RFC 3339 date-times and dates, and epoch
//!   milliseconds written as strings; [`timestamp_from_value`] also takes JSON numbers.
//! * [`format_millis`] writes the ISO form (`2026-01-01T00:00:00.000Z`) used to report
//!   date join keys and alert timestamps.
//! * [`Ordinal`] is Elasticsearch's event order: timestamp, then tiebreaker ascending with
//!   null tiebreakers last, then arrival (eql-semantics.md C.2).
//! * [`TimeFields`] reads an event's timestamp and tiebreaker through
//!   [`Event`], and says why an event is untimed ([`Untimed`]).
//!
//! The calendar is the proleptic Gregorian calendar in UTC, without leap seconds (as
//! Elasticsearch's `java.time` does). All arithmetic is checked: a text whose instant
//! does not fit in `i64` milliseconds is rejected, never wrapped.

use std::cmp::Ordering;
use std::fmt;

use crate::event::Event;
use crate::value::Value;

/// Milliseconds in one day.
const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of the date `year-month-day` in the proleptic Gregorian calendar
/// (negative before 1970). `month` is 1–12 and `day` 1–31; the date is not validated
/// (use [`is_valid_date`]), out-of-range parts give an unspecified (but non-panicking)
/// result. Exact for every `year` in ±10¹⁴ (far beyond the ±292 million years that
/// `i64` milliseconds span).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Shift the year to start on March 1st so that the leap day is the last day of the
    // (shifted) year, then count 400-year eras of 146 097 days.
    let m = i64::from(month.clamp(1, 12));
    let d = i64::from(day.clamp(1, 31));
    let y = year.clamp(-100_000_000_000_000, 100_000_000_000_000) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400); // 0..=399
    let shifted_month = (m + 9) % 12; // March = 0 … February = 11
    let day_of_year = (153 * shifted_month + 2) / 5 + d - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468 // 719 468 days from 0000-03-01 to 1970-01-01
}

/// The date `(year, month, day)` of `days` since 1970-01-01 (the inverse of
/// [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // month is 1..=12 and day 1..=31 by construction.
    (year, month as u32, day as u32)
}

/// Whether `year` is a leap year of the Gregorian calendar.
pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in `month` (1–12) of `year`; 0 for an invalid month.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Whether `year-month-day` is a real date (month 1–12, day within the month).
pub fn is_valid_date(year: i64, month: u32, day: u32) -> bool {
    day >= 1 && day <= days_in_month(year, month)
}

/// Parses a timestamp text into epoch milliseconds, or `None` when it is not one.
///
/// Accepted forms (nothing else, no surrounding whitespace):
///
/// * **epoch milliseconds**: an optional `-` or `+` and decimal digits (`"1"`,
///   `"1516116808349"`, `"-5"`), optionally with a fraction of a millisecond
///   (`"1.5"`), which is floored. A text of digits alone is *always* epoch milliseconds,
///   never a year: `"2022"` is 2022 ms after the epoch.
/// * **date-times** (ISO 8601 / RFC 3339): `YYYY-MM-DD`, then `T` (or `t`, or a space),
///   then `hh`, `hh:mm`, `hh:mm:ss` or `hh:mm:ss.fff…` (a fraction of any length, `.` or
///   `,`, truncated to milliseconds), then an optional zone: `Z`/`z`, `±hh:mm`, `±hhmm`
///   or `±hh` (hours 0–23, minutes 0–59). **A date-time without a zone is UTC**, as in
///   Elasticsearch's default `strict_date_optional_time` format.
/// * **dates**: `YYYY-MM-DD` is midnight UTC.
///
/// Years are four digits (`0000`–`9999`), or a sign and 4 to 9 digits for the ISO 8601
/// expanded form that [`format_millis`] writes outside that range (`+010000-01-01`,
/// `-000001-12-31`). Invalid dates and times are rejected (`2023-02-29`, month 13,
/// hour 24, second 60: leap seconds are not accepted).
///
/// ```
/// use rule_runtime::time::parse_timestamp;
/// assert_eq!(parse_timestamp("1970-01-01T00:00:01.5Z"), Some(1500));
/// assert_eq!(parse_timestamp("1970-01-01T02:00:00+02:00"), Some(0));
/// assert_eq!(parse_timestamp("2022-12-17"), Some(1_671_235_200_000));
/// assert_eq!(parse_timestamp("1516116808349"), Some(1_516_116_808_349));
/// assert_eq!(parse_timestamp("2023-02-29"), None);
/// ```
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits_from = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_len = b[digits_from..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let rest = &b[digits_from + int_len..];
    if int_len > 0 && (rest.is_empty() || rest[0] == b'.') {
        parse_epoch_millis(text)
    } else {
        parse_iso8601(text)
    }
}

/// Parses epoch milliseconds written as text: an optional sign, digits, and an optional
/// fraction of a millisecond (floored: `"-1.5"` is -2). `None` when the text is not of
/// that form or overflows `i64`.
pub fn parse_epoch_millis(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    if int_part.is_empty() || !int_part.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let has_fraction = match frac_part {
        None => false,
        Some(f) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => {
            f.bytes().any(|c| c != b'0')
        }
        Some(_) => return None,
    };
    // Accumulate negatively so that i64::MIN itself parses.
    let mut value: i64 = 0;
    for c in int_part.bytes() {
        value = value.checked_mul(10)?.checked_sub(i64::from(c - b'0'))?;
    }
    if negative {
        if has_fraction {
            value.checked_sub(1)
        } else {
            Some(value)
        }
    } else {
        value.checked_neg()
    }
}

/// Parses an ISO 8601 / RFC 3339 date or date-time (the second kind of input of
/// [`parse_timestamp`], whose documentation lists the accepted forms) into epoch
/// milliseconds.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let mut cur = Cursor {
        b: text.as_bytes(),
        pos: 0,
    };
    let year = cur.year()?;
    cur.expect(b'-')?;
    let month = cur.fixed_digits(2)?;
    cur.expect(b'-')?;
    let day = cur.fixed_digits(2)?;
    if !is_valid_date(year, month, day) {
        return None;
    }
    let mut ms_of_day: i64 = 0;
    let mut offset_minutes: i64 = 0;
    if !cur.at_end() {
        match cur.next()? {
            b'T' | b't' | b' ' => {}
            _ => return None,
        }
        let hour = cur.fixed_digits(2)?;
        let mut minute = 0;
        let mut second = 0;
        let mut millis = 0;
        if cur.peek() == Some(b':') {
            cur.pos += 1;
            minute = cur.fixed_digits(2)?;
            if cur.peek() == Some(b':') {
                cur.pos += 1;
                second = cur.fixed_digits(2)?;
                if matches!(cur.peek(), Some(b'.' | b',')) {
                    cur.pos += 1;
                    millis = cur.fraction_millis()?;
                }
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        ms_of_day = ((i64::from(hour) * 60 + i64::from(minute)) * 60 + i64::from(second)) * 1000
            + i64::from(millis);
        if !cur.at_end() {
            offset_minutes = cur.zone()?;
        }
    }
    if !cur.at_end() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let ms = i128::from(days) * i128::from(MS_PER_DAY) + i128::from(ms_of_day)
        - i128::from(offset_minutes) * 60_000;
    i64::try_from(ms).ok()
}

/// A byte cursor over an ISO text; every method returns `None` on a mismatch.
struct Cursor<'t> {
    b: &'t [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn digit(&mut self) -> Option<u32> {
        let c = self.peek()?;
        if c.is_ascii_digit() {
            self.pos += 1;
            Some(u32::from(c - b'0'))
        } else {
            None
        }
    }

    /// Exactly `n` (≤ 9) digits.
    fn fixed_digits(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = v * 10 + self.digit()?;
        }
        Some(v)
    }

    /// `YYYY`, or a sign and 4 to 9 digits.
    fn year(&mut self) -> Option<i64> {
        let sign = match self.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => 0,
        };
        if sign != 0 {
            self.pos += 1;
        }
        let start = self.pos;
        let mut v: i64 = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            if self.pos - start == 9 {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
            self.pos += 1;
        }
        let len = self.pos - start;
        let ok = if sign == 0 { len == 4 } else { len >= 4 };
        ok.then_some(if sign < 0 { -v } else { v })
    }

    /// One or more fraction digits, truncated to milliseconds.
    fn fraction_millis(&mut self) -> Option<u32> {
        let mut ms = 0;
        let mut n = 0;
        while let Some(d) = self.digit() {
            if n < 3 {
                ms = ms * 10 + d;
            }
            n += 1;
        }
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            ms *= 10;
        }
        Some(ms)
    }

    /// `Z`, `±hh:mm`, `±hhmm` or `±hh`, as minutes east of UTC; must end the text.
    fn zone(&mut self) -> Option<i64> {
        let sign = match self.next()? {
            b'Z' | b'z' => return self.at_end().then_some(0),
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let hours = self.fixed_digits(2)?;
        let minutes = match self.peek() {
            None => 0,
            Some(b':') => {
                self.pos += 1;
                self.fixed_digits(2)?
            }
            Some(_) => self.fixed_digits(2)?,
        };
        if hours > 23 || minutes > 59 || !self.at_end() {
            return None;
        }
        Some(sign * (i64::from(hours) * 60 + i64::from(minutes)))
    }
}

/// Formats epoch milliseconds as an ISO 8601 UTC date-time with milliseconds:
/// `2026-01-01T00:00:00.000Z`.
///
/// Years 0–9999 are written with four digits; other years in the ISO 8601 expanded form
/// with a sign and at least six digits (`+010000-01-01T00:00:00.000Z`,
/// `-000001-12-31T23:59:59.999Z`). [`parse_timestamp`] reads every output back to the
/// same value, for every `i64`.
///
/// ```
/// use rule_runtime::time::format_millis;
/// assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
/// assert_eq!(format_millis(-1), "1969-12-31T23:59:59.999Z");
/// ```
pub fn format_millis(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let ms_of_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let millis = ms_of_day % 1000;
    let seconds = ms_of_day / 1000 % 60;
    let minutes = ms_of_day / 60_000 % 60;
    let hours = ms_of_day / 3_600_000;
    let time = format!("{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z");
    if (0..=9999).contains(&year) {
        format!("{year:04}-{time}")
    } else {
        let sign = if year < 0 { '-' } else { '+' };
        format!("{sign}{:06}-{time}", year.unsigned_abs())
    }
}

/// Reads a timestamp from a field value, as epoch milliseconds.
///
/// * `Int(n)`: epoch milliseconds `n`;
/// * `Float(f)`: epoch milliseconds, floored to a whole millisecond; `None` when not
///   finite or out of `i64` range;
/// * `Str(s)`: [`parse_timestamp`];
/// * `Null`, `Bool`: `None`.
pub fn timestamp_from_value(value: &Value<'_>) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        Value::Float(f) => float_to_millis(*f),
        Value::Str(s) => parse_timestamp(s),
        Value::Null | Value::Bool(_) => None,
    }
}

/// Reads a timestamp from a field value as epoch NANOseconds, for `date_nanos` fields:
/// like [`timestamp_from_value`], keeping the digits of an ISO fraction beyond the
/// millisecond (`…54.294209140Z` and `…54.294365140Z` differ).
pub fn timestamp_nanos_from_value(value: &Value<'_>) -> Option<i128> {
    let ms = i128::from(timestamp_from_value(value)?) * 1_000_000;
    let sub = match value {
        Value::Str(s) => sub_millisecond_nanos(s),
        _ => 0,
    };
    Some(ms + i128::from(sub))
}

/// The nanoseconds below the millisecond in an ISO date-time's fraction (digits 4 to 9
/// of the fraction of seconds); 0 when there are none.
fn sub_millisecond_nanos(text: &str) -> u32 {
    let Some(t) = text.find(['T', 't', ' ']) else {
        return 0;
    };
    let rest = &text[t..];
    let Some(dot) = rest.find(['.', ',']) else {
        return 0;
    };
    let digits: Vec<u32> = rest[dot + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .filter_map(|c| c.to_digit(10))
        .collect();
    (3..9).fold(0, |acc, i| acc * 10 + digits.get(i).copied().unwrap_or(0))
}

fn float_to_millis(f: f64) -> Option<i64> {
    let floored = f.floor();
    // 2^63 is exactly representable; every finite f64 in [-2^63, 2^63) fits in i64.
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&floored) {
        Some(floored as i64)
    } else {
        None
    }
}

/// A tiebreaker value: the second component of an [`Ordinal`].
///
/// Order (a total order, so that sorting never depends on input order):
///
/// * numbers compare numerically, integers and floats with each other exactly
///   (`Int(2) < Float(2.5) < Int(3)`, `Int(1) == Float(1.0)`); a NaN float sorts after
///   every other number (and equals other NaNs);
/// * strings compare lexicographically by bytes (that is, by Unicode code point), case
///   sensitively;
/// * across types (which Elasticsearch, with one mapping per field, never sees):
///   booleans < numbers < strings, and `false < true`.
///
/// [`Tiebreaker::from_value`] reads a numeric *string* as a number (see there).
#[derive(Debug, Clone)]
pub enum Tiebreaker {
    /// A boolean tiebreaker.
    Bool(bool),
    /// An integer tiebreaker (the usual case: `event.sequence`, `serial_event_id`).
    Int(i64),
    /// A floating-point tiebreaker.
    Float(f64),
    /// A string tiebreaker that is not a number.
    Str(Box<str>),
}

impl Tiebreaker {
    /// The tiebreaker of a field value; `None` for [`Value::Null`].
    ///
    /// A string that is a JSON number literal (`"12"`, `"-3"`, `"1.5"`, `"1e3"`) becomes
    /// a number, as Elasticsearch indexes such a string into a numeric field, and as
    /// eqlc coerces strings against numbers (eql-semantics.md J.7): so `"9"` sorts
    /// before `"10"`. Integers that fit in `i64` become [`Tiebreaker::Int`], other
    /// number literals [`Tiebreaker::Float`]. Every other string stays a string.
    pub fn from_value(value: &Value<'_>) -> Option<Tiebreaker> {
        match value {
            Value::Null => None,
            Value::Bool(b) => Some(Tiebreaker::Bool(*b)),
            Value::Int(i) => Some(Tiebreaker::Int(*i)),
            Value::Float(f) => Some(Tiebreaker::Float(*f)),
            Value::Str(s) => {
                Some(numeric_string(s).unwrap_or_else(|| Tiebreaker::Str(s.as_ref().into())))
            }
        }
    }

    /// The rank of the value's type in the cross-type order.
    fn type_rank(&self) -> u8 {
        match self {
            Tiebreaker::Bool(_) => 0,
            Tiebreaker::Int(_) | Tiebreaker::Float(_) => 1,
            Tiebreaker::Str(_) => 2,
        }
    }
}

/// A string that is a JSON number literal, as a number.
fn numeric_string(s: &str) -> Option<Tiebreaker> {
    if !is_json_number(s) {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Tiebreaker::Int(i));
    }
    s.parse::<f64>().ok().map(Tiebreaker::Float)
}

/// `-?(0|[1-9][0-9]*|[0-9]+)(\.[0-9]+)?([eE][+-]?[0-9]+)?` (leading zeros allowed, so
/// zero-padded counters are numbers too).
fn is_json_number(s: &str) -> bool {
    let b = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits(0);
    if i == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        let n = digits(i + 1);
        if n == 0 {
            return false;
        }
        i += 1 + n;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let n = digits(i);
        if n == 0 {
            return false;
        }
        i += n;
    }
    i == b.len()
}

/// Compares an integer with a float exactly (no rounding of the integer); NaN is
/// greater than every integer.
fn cmp_int_float(i: i64, f: f64) -> Ordering {
    if f.is_nan() {
        return Ordering::Less;
    }
    if f >= 9_223_372_036_854_775_808.0 {
        return Ordering::Less;
    }
    if f < -9_223_372_036_854_775_808.0 {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // `whole` is in [-2^63, 2^63), so the cast is exact.
    match i.cmp(&(whole as i64)) {
        Ordering::Equal => {
            let frac = f - whole;
            if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    }
}

/// Compares floats numerically, with NaN after every number and equal to itself.
fn cmp_float(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

impl Ord for Tiebreaker {
    fn cmp(&self, other: &Self) -> Ordering {
        use Tiebreaker::*;
        match (self, other) {
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (Int(a), Float(b)) => cmp_int_float(*a, *b),
            (Float(a), Int(b)) => cmp_int_float(*b, *a).reverse(),
            (Float(a), Float(b)) => cmp_float(*a, *b),
            (Str(a), Str(b)) => a.cmp(b),
            _ => self.type_rank().cmp(&other.type_rank()),
        }
    }
}

impl PartialOrd for Tiebreaker {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality as the order sees it (`Int(1) == Float(1.0)`, NaN equals NaN).
impl PartialEq for Tiebreaker {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Tiebreaker {}

impl fmt::Display for Tiebreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tiebreaker::Bool(b) => write!(f, "{b}"),
            Tiebreaker::Int(i) => write!(f, "{i}"),
            Tiebreaker::Float(x) => write!(f, "{x}"),
            Tiebreaker::Str(s) => write!(f, "{s}"),
        }
    }
}

/// An event's position in the matching order (eql-semantics.md C.2): by `timestamp`,
/// then by `tiebreaker` ascending with **null (absent) tiebreakers after** every present
/// one, then by `arrival` (the event's position in the input, which stands in for
/// Elasticsearch's unspecified `_shard_doc` order).
///
/// ```
/// use rule_runtime::time::{Ordinal, Tiebreaker};
/// let a = Ordinal::new(10, Some(Tiebreaker::Int(2)), 5);
/// let b = Ordinal::new(10, None, 0);
/// let c = Ordinal::new(9, None, 9);
/// let mut v = vec![b.clone(), a.clone(), c.clone()];
/// v.sort();
/// assert_eq!(v, vec![c, a, b]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordinal {
    /// Epoch milliseconds.
    pub timestamp: i64,
    /// The tiebreaker field's value; `None` when the event has none (or no tiebreaker
    /// field is configured).
    pub tiebreaker: Option<Tiebreaker>,
    /// Arrival order (0 for the first event of the input).
    pub arrival: u64,
}

impl Ordinal {
    /// An ordinal from its three parts.
    pub fn new(timestamp: i64, tiebreaker: Option<Tiebreaker>, arrival: u64) -> Ordinal {
        Ordinal {
            timestamp,
            tiebreaker,
            arrival,
        }
    }
}

impl Ord for Ordinal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.timestamp
            .cmp(&other.timestamp)
            .then_with(|| match (&self.tiebreaker, &other.tiebreaker) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| self.arrival.cmp(&other.arrival))
    }
}

impl PartialOrd for Ordinal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Which fields hold an event's timestamp and tiebreaker (Elasticsearch's
/// `timestamp_field` and `tiebreaker_field` request parameters).
///
/// The default is `@timestamp` and no tiebreaker. A rule's `timestamp_override` is *not*
/// this field (DESIGN.md, "Semantics").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeFields {
    /// The timestamp field's path (default `@timestamp`).
    pub timestamp: String,
    /// The tiebreaker field's path, if any (for example `event.sequence`).
    pub tiebreaker: Option<String>,
}

impl Default for TimeFields {
    fn default() -> TimeFields {
        TimeFields {
            timestamp: "@timestamp".to_string(),
            tiebreaker: None,
        }
    }
}

/// Why an event has no usable timestamp. Such an event still runs through event queries
/// and samples, and is counted as untimed for sequences (DESIGN.md, "Semantics").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Untimed {
    /// The timestamp field is missing, `null`, `[]` or only nulls.
    Missing {
        /// The timestamp field's path.
        field: String,
    },
    /// The timestamp field has values, but none of them is a timestamp.
    Unparseable {
        /// The timestamp field's path.
        field: String,
        /// The first offending value, as text (truncated to 100 characters).
        value: String,
    },
}

impl fmt::Display for Untimed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Untimed::Missing { field } => write!(f, "the timestamp field `{field}` is missing"),
            Untimed::Unparseable { field, value } => write!(
                f,
                "the timestamp field `{field}` is not a date or epoch milliseconds: {value}"
            ),
        }
    }
}

impl std::error::Error for Untimed {}

impl TimeFields {
    /// Time fields with the given timestamp path and optional tiebreaker path.
    pub fn new(timestamp: impl Into<String>, tiebreaker: Option<String>) -> TimeFields {
        TimeFields {
            timestamp: timestamp.into(),
            tiebreaker,
        }
    }

    /// The event's timestamp in epoch milliseconds.
    ///
    /// A multi-valued timestamp field uses its **smallest** timestamp (the value an
    /// ascending Elasticsearch sort uses); values that are not timestamps (booleans,
    /// unparseable strings) are skipped, and only when no value is a timestamp is the
    /// event [`Untimed::Unparseable`]. No value at all is [`Untimed::Missing`]. Never
    /// returns a made-up timestamp.
    pub fn timestamp<E: Event + ?Sized>(&self, event: &E) -> Result<i64, Untimed> {
        let mut values = Vec::new();
        event.values(&self.timestamp, &mut values);
        self.timestamp_of(values.iter().map(Value::borrowed))
    }

    /// [`TimeFields::timestamp`] from the timestamp field's values (no allocation unless
    /// the event is untimed).
    pub fn timestamp_of<'v>(
        &self,
        values: impl Iterator<Item = Value<'v>>,
    ) -> Result<i64, Untimed> {
        let mut best: Option<i64> = None;
        let mut first_bad: Option<Value<'v>> = None;
        for v in values {
            match timestamp_from_value(&v) {
                Some(ts) => best = Some(best.map_or(ts, |b| b.min(ts))),
                None if matches!(v, Value::Null) => {}
                None => {
                    if first_bad.is_none() {
                        first_bad = Some(v);
                    }
                }
            }
        }
        match (best, first_bad) {
            (Some(ts), _) => Ok(ts),
            (None, Some(bad)) => Err(Untimed::Unparseable {
                field: self.timestamp.clone(),
                value: describe(&bad),
            }),
            (None, None) => Err(Untimed::Missing {
                field: self.timestamp.clone(),
            }),
        }
    }

    /// The event's tiebreaker: `None` when no tiebreaker field is configured or the
    /// event has no value for it. A multi-valued tiebreaker uses its smallest value in
    /// [`Tiebreaker`]'s order (as an ascending Elasticsearch sort does).
    pub fn tiebreaker<E: Event + ?Sized>(&self, event: &E) -> Option<Tiebreaker> {
        let path = self.tiebreaker.as_deref()?;
        let mut values = Vec::new();
        event.values(path, &mut values);
        Self::tiebreaker_of(values.iter().map(Value::borrowed))
    }

    /// [`TimeFields::tiebreaker`] from the tiebreaker field's values.
    pub fn tiebreaker_of<'v>(values: impl Iterator<Item = Value<'v>>) -> Option<Tiebreaker> {
        values.filter_map(|v| Tiebreaker::from_value(&v)).min()
    }

    /// The event's [`Ordinal`], given its arrival number, or why it is untimed.
    pub fn ordinal<E: Event + ?Sized>(&self, event: &E, arrival: u64) -> Result<Ordinal, Untimed> {
        let timestamp = self.timestamp(event)?;
        Ok(Ordinal::new(timestamp, self.tiebreaker(event), arrival))
    }
}

/// A short description of an offending timestamp value for [`Untimed::Unparseable`].
fn describe(value: &Value<'_>) -> String {
    match value {
        Value::Str(s) => {
            let mut out: String = s.chars().take(100).collect();
            if out.len() < s.len() {
                out.push('…');
            }
            format!("{out:?}")
        }
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => "null".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::JsonEvent;
    use proptest::prelude::*;

    const DAY: i64 = MS_PER_DAY;

    fn p(s: &str) -> Option<i64> {
        parse_timestamp(s)
    }

    #[test]
    fn civil_round_trip_and_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(0, 3, 1), -719_468);
        assert_eq!(days_from_civil(2022, 12, 17), 19_343);
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert!(is_valid_date(y, m, d), "{days}");
            assert_eq!(days_from_civil(y, m, d), days);
        }
        // Consecutive days, across leap years and century rules.
        let mut prev = days_from_civil(1599, 12, 31);
        for y in 1600..=2400 {
            for m in 1..=12 {
                for d in 1..=days_in_month(y, m) {
                    let n = days_from_civil(y, m, d);
                    assert_eq!(n, prev + 1, "{y}-{m}-{d}");
                    prev = n;
                }
            }
        }
        // Extreme inputs do not panic.
        let _ = days_from_civil(i64::MAX, 0, 99);
        let _ = days_from_civil(i64::MIN, 13, 0);
        let _ = civil_from_days(i64::MAX);
        let _ = civil_from_days(i64::MIN);
    }

    #[test]
    fn leap_years() {
        assert!(is_leap_year(2000));
        assert!(is_leap_year(2024));
        assert!(!is_leap_year(1900));
        assert!(!is_leap_year(2023));
        assert!(is_leap_year(0));
        assert!(is_leap_year(-4));
        assert!(!is_leap_year(-100));
        assert_eq!(p("2024-02-29"), Some(days_from_civil(2024, 2, 29) * DAY));
        assert_eq!(p("2000-02-29T00:00:00Z"), Some(951_782_400_000));
        assert_eq!(p("2023-02-29"), None);
        assert_eq!(p("1900-02-29"), None);
        assert_eq!(p("2024-02-30"), None);
        assert_eq!(p("2024-03-01"), Some(p("2024-02-29").unwrap_or(0) + DAY));
    }

    #[test]
    fn rfc3339_with_zones() {
        assert_eq!(p("2026-01-01T00:00:00Z"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T00:00:00z"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01t00:00:00Z"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01 00:00:00Z"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T02:00:00+02:00"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T02:00:00+0200"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T02:00:00+02"), Some(1_767_225_600_000));
        assert_eq!(p("2025-12-31T19:30:00-04:30"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T00:00:00+00:00"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T00:00:00-00:00"), Some(1_767_225_600_000));
        // Zone crossing midnight and a year boundary.
        assert_eq!(p("2026-01-01T01:00:00+05:00"), p("2025-12-31T20:00:00Z"));
        assert_eq!(p("2017-08-30T20:47:33Z"), Some(1_504_126_053_000));
        assert_eq!(p("2022-05-04T12:03:00.006Z"), Some(1_651_665_780_006));
    }

    #[test]
    fn zoneless_is_utc_and_short_times() {
        assert_eq!(p("2026-01-01T00:00:00"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T00:00"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T00"), Some(1_767_225_600_000));
        assert_eq!(p("2026-01-01T10:30Z"), Some(1_767_225_600_000 + 37_800_000));
        assert_eq!(
            p("2026-01-01T10+01:00"),
            Some(1_767_225_600_000 + 32_400_000)
        );
    }

    #[test]
    fn nanosecond_instants() {
        let a = timestamp_nanos_from_value(&Value::from("2020-01-01T02:22:54.294209140Z")).unwrap();
        let b = timestamp_nanos_from_value(&Value::from("2020-01-01T02:22:54.294365140Z")).unwrap();
        assert!(a < b);
        assert_eq!(b - a, 156_000);
        assert_eq!(timestamp_nanos_from_value(&Value::Int(1)), Some(1_000_000));
    }

    #[test]
    fn fractional_seconds_are_truncated() {
        let base = 1_767_225_600_000;
        assert_eq!(p("2026-01-01T00:00:00.1Z"), Some(base + 100));
        assert_eq!(p("2026-01-01T00:00:00.12Z"), Some(base + 120));
        assert_eq!(p("2026-01-01T00:00:00.123Z"), Some(base + 123));
        assert_eq!(p("2026-01-01T00:00:00.1239Z"), Some(base + 123));
        assert_eq!(p("2026-01-01T00:00:00.123456789Z"), Some(base + 123));
        assert_eq!(
            p("2026-01-01T00:00:00.999999999999999999999999Z"),
            Some(base + 999)
        );
        assert_eq!(p("2026-01-01T00:00:00,5Z"), Some(base + 500));
        assert_eq!(p("2026-01-01T00:00:00.5"), Some(base + 500));
        assert_eq!(
            p("2026-01-01T00:00:00.5+01:00"),
            Some(base + 500 - 3_600_000)
        );
        // Truncation of the digits is a floor of the instant, before 1970 too.
        assert_eq!(p("1969-12-31T23:59:59.9999Z"), Some(-1));
        assert_eq!(p("2026-01-01T00:00:00.Z"), None);
    }

    #[test]
    fn plain_dates() {
        assert_eq!(p("2022-12-17"), Some(1_671_235_200_000));
        assert_eq!(p("1970-01-01"), Some(0));
        assert_eq!(p("1969-12-31"), Some(-DAY));
        assert_eq!(p("0000-01-01"), Some(-62_167_219_200_000));
        assert_eq!(p("9999-12-31T23:59:59.999Z"), Some(253_402_300_799_999));
    }

    #[test]
    fn epoch_strings() {
        assert_eq!(p("1"), Some(1));
        assert_eq!(p("0"), Some(0));
        assert_eq!(p("1516116808349"), Some(1_516_116_808_349));
        assert_eq!(p("-1"), Some(-1));
        assert_eq!(p("+7"), Some(7));
        assert_eq!(p("-62167219200000"), Some(-62_167_219_200_000));
        assert_eq!(
            p("2022"),
            Some(2022),
            "digits alone are epoch millis, not a year"
        );
        assert_eq!(p("00012"), Some(12));
        assert_eq!(p("1.5"), Some(1));
        assert_eq!(p("1.000"), Some(1));
        assert_eq!(p("-1.5"), Some(-2));
        assert_eq!(p("-1.0"), Some(-1));
        assert_eq!(p("9223372036854775807"), Some(i64::MAX));
        assert_eq!(p("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(p("9223372036854775808"), None);
        assert_eq!(p("-9223372036854775808.5"), None);
        assert_eq!(p("99999999999999999999999"), None);
        for bad in [
            "1.", ".5", "1.2.3", "1e3", "0x10", "1 ", " 1", "--1", "-", "+", "1_000",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn expanded_years() {
        assert_eq!(p("+10000-01-01"), Some(days_from_civil(10_000, 1, 1) * DAY));
        assert_eq!(p("+010000-01-01T00:00:00.000Z"), p("+10000-01-01"));
        assert_eq!(
            p("-000001-12-31T23:59:59.999Z"),
            Some(days_from_civil(-1, 12, 31) * DAY + DAY - 1)
        );
        assert_eq!(p("-0001-12-31"), Some(days_from_civil(-1, 12, 31) * DAY));
        assert_eq!(p("+2026-01-01T00:00:00Z"), Some(1_767_225_600_000));
        assert_eq!(p("-292275055-05-16T16:47:04.192Z"), Some(i64::MIN));
        assert_eq!(p("+292278994-08-17T07:12:55.807Z"), Some(i64::MAX));
        assert_eq!(p("+292278994-08-17T07:12:55.808Z"), None, "overflows i64");
        assert_eq!(p("-292275055-05-16T16:47:04.191Z"), None, "overflows i64");
        assert_eq!(p("+1000000000-01-01"), None, "ten-digit year");
        assert_eq!(p("+999-01-01"), None, "signed years need four digits");
        assert_eq!(p("10000-01-01"), None, "unsigned years are four digits");
        assert_eq!(p("999-01-01"), None);
    }

    #[test]
    fn invalid_inputs() {
        for bad in [
            "",
            "Z",
            "T",
            "2026-01",
            "2026-13-01",
            "2026-00-01",
            "2026-01-00",
            "2026-01-32",
            "2026-04-31",
            "2026-1-01",
            "2026-01-1",
            "2026/01/01",
            "2026-01-01T",
            "2026-01-01T24:00:00Z",
            "2026-01-01T23:60:00Z",
            "2026-01-01T23:59:60Z",
            "2026-01-01T1:00:00Z",
            "2026-01-01T10:0Z",
            "2026-01-01T10:00:0Z",
            "2026-01-01T10:00:00+2:00",
            "2026-01-01T10:00:00+24:00",
            "2026-01-01T10:00:00+02:60",
            "2026-01-01T10:00:00+02:0",
            "2026-01-01T10:00:00+020",
            "2026-01-01T10:00:00ZZ",
            "2026-01-01T10:00:00Z ",
            " 2026-01-01",
            "2026-01-01Z",
            "2026-01-01X10:00",
            "2026-01-01T10:00:00 UTC",
            "2026-01-01T10:00:00.Z",
            "2026-01-01T10:00:00.5.5Z",
            "now",
            "17-12-2022",
            "２０２６-01-01",
            "2026-01-01T10:00:00+02:00:00",
            "-",
            "+",
        ] {
            assert_eq!(p(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formatting() {
        assert_eq!(format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_millis(1_767_225_600_000), "2026-01-01T00:00:00.000Z");
        assert_eq!(format_millis(1_651_665_780_006), "2022-05-04T12:03:00.006Z");
        assert_eq!(format_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            format_millis(253_402_300_799_999),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            format_millis(253_402_300_800_000),
            "+010000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format_millis(-62_167_219_200_000),
            "0000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format_millis(-62_167_219_200_001),
            "-000001-12-31T23:59:59.999Z"
        );
        assert_eq!(format_millis(i64::MAX), "+292278994-08-17T07:12:55.807Z");
        assert_eq!(format_millis(i64::MIN), "-292275055-05-16T16:47:04.192Z");
    }

    #[test]
    fn values_as_timestamps() {
        assert_eq!(timestamp_from_value(&Value::Int(5)), Some(5));
        assert_eq!(timestamp_from_value(&Value::Int(-5)), Some(-5));
        assert_eq!(timestamp_from_value(&Value::Float(1.9)), Some(1));
        assert_eq!(timestamp_from_value(&Value::Float(-1.1)), Some(-2));
        assert_eq!(timestamp_from_value(&Value::Float(f64::NAN)), None);
        assert_eq!(timestamp_from_value(&Value::Float(f64::INFINITY)), None);
        assert_eq!(timestamp_from_value(&Value::Float(1e19)), None);
        assert_eq!(
            timestamp_from_value(&Value::Float(i64::MIN as f64)),
            Some(i64::MIN)
        );
        assert_eq!(timestamp_from_value(&Value::Str("3".into())), Some(3));
        assert_eq!(
            timestamp_from_value(&Value::Str("1970-01-01T00:00:01Z".into())),
            Some(1000)
        );
        assert_eq!(timestamp_from_value(&Value::Bool(true)), None);
        assert_eq!(timestamp_from_value(&Value::Null), None);
    }

    #[test]
    fn tiebreaker_order() {
        use Tiebreaker::*;
        assert!(Int(1) < Int(2));
        assert!(Int(2) < Float(2.5));
        assert!(Float(2.5) < Int(3));
        assert_eq!(Int(1), Float(1.0));
        assert!(Int(i64::MAX) < Float(9.3e18));
        assert!(Int(i64::MIN) > Float(-9.3e18));
        assert!(Int(i64::MIN) == Float(i64::MIN as f64));
        assert!(Int(-1) > Float(-1.5));
        assert!(Int(-2) < Float(-1.5));
        assert!(Float(f64::NAN) > Float(f64::INFINITY));
        assert!(Float(f64::NAN) > Int(i64::MAX));
        assert_eq!(Float(f64::NAN), Float(f64::NAN));
        assert_eq!(Float(0.0), Float(-0.0));
        assert!(Str("a".into()) < Str("b".into()));
        assert!(
            Str("B".into()) < Str("a".into()),
            "case-sensitive byte order"
        );
        assert!(Bool(true) < Int(i64::MIN));
        assert!(Float(f64::NAN) < Str("".into()));
        assert!(Bool(false) < Bool(true));
    }

    #[test]
    fn tiebreaker_from_values() {
        use Tiebreaker::*;
        let tb = |v: Value<'_>| Tiebreaker::from_value(&v);
        assert_eq!(tb(Value::Null), None);
        assert!(matches!(tb(Value::Str("12".into())), Some(Int(12))));
        assert!(matches!(tb(Value::Str("-3".into())), Some(Int(-3))));
        assert!(matches!(tb(Value::Str("007".into())), Some(Int(7))));
        assert!(matches!(tb(Value::Str("1.5".into())), Some(Float(f)) if f == 1.5));
        assert!(matches!(tb(Value::Str("1e3".into())), Some(Float(f)) if f == 1000.0));
        assert!(matches!(
            tb(Value::Str("99999999999999999999".into())),
            Some(Float(_))
        ));
        for s in ["abc", "", "1.", ".5", "+1", "1e", "NaN", "inf", " 1", "0x1"] {
            assert!(matches!(tb(Value::Str(s.into())), Some(Str(_))), "{s:?}");
        }
        assert!(tb(Value::Str("9".into())) < tb(Value::Str("10".into())));
        assert!(matches!(tb(Value::Bool(true)), Some(Bool(true))));
    }

    #[test]
    fn ordinal_order_nulls_last() {
        let o = |ts, tb: Option<i64>, arr| Ordinal::new(ts, tb.map(Tiebreaker::Int), arr);
        // Timestamp first.
        assert!(o(1, None, 9) < o(2, Some(0), 0));
        // Then tiebreaker, present before null.
        assert!(o(5, Some(100), 9) < o(5, None, 0));
        assert!(o(5, Some(1), 9) < o(5, Some(2), 0));
        // Then arrival.
        assert!(o(5, None, 1) < o(5, None, 2));
        assert!(o(5, Some(1), 1) < o(5, Some(1), 2));
        assert_eq!(o(5, Some(1), 1).cmp(&o(5, Some(1), 1)), Ordering::Equal);
        let mut v = [
            o(2, None, 0),
            o(1, None, 1),
            o(1, Some(3), 2),
            o(1, Some(-4), 3),
            o(1, None, 4),
            o(0, Some(9), 5),
        ];
        v.sort();
        let arrivals: Vec<u64> = v.iter().map(|x| x.arrival).collect();
        assert_eq!(arrivals, vec![5, 3, 2, 1, 4, 0]);
    }

    #[test]
    fn reading_time_fields_from_events() {
        let ev = |s: &str| JsonEvent::parse(s).unwrap_or_else(|e| panic!("{e}"));
        let fields = TimeFields::default();
        assert_eq!(fields.timestamp, "@timestamp");
        assert_eq!(fields.tiebreaker, None);
        assert_eq!(fields.timestamp(&ev(r#"{"@timestamp": "1"}"#)), Ok(1));
        assert_eq!(
            fields.timestamp(&ev(r#"{"@timestamp": 1516116808349}"#)),
            Ok(1_516_116_808_349)
        );
        assert_eq!(fields.timestamp(&ev(r#"{"@timestamp": -5}"#)), Ok(-5));
        assert_eq!(
            fields.timestamp(&ev(r#"{"@timestamp": "2022-05-04T12:00:00.000Z"}"#)),
            Ok(1_651_665_600_000)
        );
        assert_eq!(
            fields.timestamp(&ev(r#"{"@timestamp": ["bad", 30, "10"]}"#)),
            Ok(10),
            "smallest parseable value"
        );
        for missing in [
            r#"{}"#,
            r#"{"@timestamp": null}"#,
            r#"{"@timestamp": []}"#,
            r#"{"@timestamp": [null]}"#,
            r#"{"@timestamp": {}}"#,
        ] {
            assert_eq!(
                fields.timestamp(&ev(missing)),
                Err(Untimed::Missing {
                    field: "@timestamp".into()
                }),
                "{missing}"
            );
        }
        let err = fields.timestamp(&ev(r#"{"@timestamp": ["yesterday", true]}"#));
        assert_eq!(
            err,
            Err(Untimed::Unparseable {
                field: "@timestamp".into(),
                value: "\"yesterday\"".into()
            })
        );
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("@timestamp") && msg.contains("yesterday"),
            "{msg}"
        );
        let long = format!(r#"{{"@timestamp": "{}"}}"#, "x".repeat(500));
        match fields.timestamp(&ev(&long)) {
            Err(Untimed::Unparseable { value, .. }) => assert!(value.chars().count() < 110),
            other => panic!("{other:?}"),
        }
        assert!(fields.timestamp(&ev(r#"{"@timestamp": true}"#)).is_err());

        // No tiebreaker configured: always None.
        let e = ev(r#"{"@timestamp": 3, "event": {"sequence": 4}}"#);
        assert_eq!(fields.ordinal(&e, 7), Ok(Ordinal::new(3, None, 7)));

        let fields = TimeFields::new("event.ingested", Some("event.sequence".to_string()));
        let e =
            ev(r#"{"event.ingested": "1970-01-01T00:00:00.010Z", "event": {"sequence": [4, 2]}}"#);
        assert_eq!(
            fields.ordinal(&e, 1),
            Ok(Ordinal::new(10, Some(Tiebreaker::Int(2)), 1))
        );
        let e = ev(r#"{"event.ingested": 10, "event": {"sequence": null}}"#);
        assert_eq!(fields.ordinal(&e, 1), Ok(Ordinal::new(10, None, 1)));
        let e = ev(r#"{"event": {"sequence": 1}}"#);
        assert_eq!(
            fields.ordinal(&e, 1),
            Err(Untimed::Missing {
                field: "event.ingested".into()
            })
        );
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(ms in any::<i64>()) {
            let text = format_millis(ms);
            prop_assert_eq!(parse_timestamp(&text), Some(ms), "{}", text);
        }

        #[test]
        fn format_then_parse_round_trips_near_now(ms in -100_000_000_000_000i64..100_000_000_000_000) {
            let text = format_millis(ms);
            prop_assert_eq!(parse_timestamp(&text), Some(ms), "{}", text);
        }

        #[test]
        fn civil_round_trips(days in -200_000_000_000i64..200_000_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!(is_valid_date(y, m, d));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = parse_timestamp(&s);
        }

        #[test]
        fn parse_never_panics_on_near_dates(s in "[-+]?[0-9]{1,10}(-[0-9]{1,3}(-[0-9]{1,3}([T ][0-9:.,]{0,20}([Zz]|[-+][0-9:]{0,6})?)?)?)?") {
            if let Some(ms) = parse_timestamp(&s) {
                // Whatever parses formats to something that parses to the same instant.
                prop_assert_eq!(parse_timestamp(&format_millis(ms)), Some(ms));
            }
        }

        #[test]
        fn ordinal_order_is_total_and_consistent(
            a in (0i64..3, proptest::option::of(-2i64..3), 0u64..3),
            b in (0i64..3, proptest::option::of(-2i64..3), 0u64..3),
        ) {
            let a = Ordinal::new(a.0, a.1.map(Tiebreaker::Int), a.2);
            let b = Ordinal::new(b.0, b.1.map(Tiebreaker::Int), b.2);
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a.cmp(&b) == Ordering::Equal, a == b);
        }
    }
}
