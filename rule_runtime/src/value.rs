//! Field values as matchers see them, and Elasticsearch's coercions between them
//! (eql-semantics.md J.7).
//!
//! Elasticsearch decides how a field compares from its mapping; a stream has none, so eqlc
//! coerces the way indexing would. A comparison is always *field value* against *literal*
//! (field-to-field comparisons are not EQL, B.1), and yields `None` ("no result") when the
//! two cannot be compared; callers apply "a null leaf is false" (J.1).
//!
//! | field value | literal | equality / order |
//! |---|---|---|
//! | any | `null` (or a `Null` field) | `None`: null tests (`f == null`) are the caller's |
//! | `Int`/`Float` | `Int`/`Float` | numerically, exactly (no rounding of `i64` to `f64`) |
//! | `Int`/`Float` | `Str` | by the number's canonical text, byte-wise ([`Value::to_text`]): `7` equals `"7"`, `7.5` equals `"7.5"`, `7.0` equals `"7.0"` (not `"7"`); `10 < "9"` (a keyword range) |
//! | `Str` | `Int`/`Float` | the string parsed as a number ([`parse_number`]: no surrounding whitespace, no hex, no `NaN`) then numerically; `None` if it is not a number (as a malformed value is not indexed) |
//! | `Str` | `Str` | both valid IP addresses → as addresses ([`crate::cidr::ip_key`]: `::1` equals `0:0::1`, `10.0.0.1` equals `::ffff:10.0.0.1`, ordered as Elasticsearch's `ip` type); otherwise byte-wise, case-sensitive (`"s" > "S"`) |
//! | `Bool` | `Bool` | `false < true` |
//! | `Bool` | `Str` | by text (`"true"`/`"false"`) |
//! | `Str` | `Bool` | only `"true"`/`"false"` are booleans, anything else is `None` |
//! | `Bool` | number | `None` |
//! | number | `Bool` | `None` |
//!
//! A float's canonical text is Java's `Double.toString` (what Elasticsearch prints for a
//! `double`: `7.0`, `0.001`, `1.0E7`, `1.0E-4`), chosen so that `f == "x"` and
//! `string(f) == "x"` agree. A JSON float that a producer wrote differently (`1e+20`) will
//! not equal its source text; integers always do.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::cidr;

/// One value of a field (a multi-valued field yields several).
///
/// Strings borrow from the event where they can (`Cow`), so reading a field does not
/// allocate unless the JSON text had escapes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// No value: a missing field, JSON `null`, or a function's null result.
    Null,
    /// A JSON boolean.
    Bool(bool),
    /// A JSON integer that fits in `i64`.
    Int(i64),
    /// Any other JSON number.
    Float(f64),
    /// A JSON string.
    Str(Cow<'a, str>),
}

/// A number extracted from a [`Value`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer (Java `long`).
    Int(i64),
    /// A floating-point number (Java `double`).
    Float(f64),
}

impl Number {
    /// The number as an `f64` (large integers round).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// Exact numeric comparison (`None` only when a `NaN` is involved).
    pub fn compare(self, other: Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (Number::Float(a), Number::Float(b)) => a.partial_cmp(&b),
            (Number::Int(a), Number::Float(b)) => cmp_int_float(a, b),
            (Number::Float(a), Number::Int(b)) => cmp_int_float(b, a).map(Ordering::reverse),
        }
    }

    /// The number as a [`Value`].
    pub fn to_value(self) -> Value<'static> {
        match self {
            Number::Int(i) => Value::Int(i),
            Number::Float(f) => Value::Float(f),
        }
    }
}

/// Compares an `i64` with an `f64` exactly (no rounding of the integer); `None` for `NaN`.
pub fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // 2^63 is exactly representable; every i64 is below it and at or above -2^63.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f >= TWO_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_63 {
        return Some(Ordering::Greater);
    }
    let whole = f.trunc();
    // In range, so the cast is exact.
    let t = whole as i64;
    Some(match i.cmp(&t) {
        Ordering::Equal => 0.0f64.partial_cmp(&(f - whole)).unwrap_or(Ordering::Equal),
        other => other,
    })
}

/// Parses a string as a number the way a numeric field would index it (J.7): an optional
/// sign, digits, optionally a fraction and an exponent (`"7"`, `"-7"`, `"+7"`, `"7.5"`,
/// `".5"`, `"1e3"`). Integers that fit in `i64` are [`Number::Int`], other numbers
/// [`Number::Float`]. Not numbers: `""`, surrounding whitespace (`" 7 "`), hex (`"0x10"`),
/// `"NaN"`, `"Infinity"`, digit separators.
pub fn parse_number(s: &str) -> Option<Number> {
    let b = s.as_bytes();
    let body = match b.first() {
        Some(b'+') | Some(b'-') => &b[1..],
        _ => b,
    };
    if !body.iter().any(u8::is_ascii_digit)
        || !body
            .iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        || !(body[0].is_ascii_digit() || body[0] == b'.')
    {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Number::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Number::Float)
}

/// Formats a float like Java's `Double.toString` (shortest text that reads back as the
/// same `f64`): decimal notation with at least one fraction digit when
/// `1e-3 <= |f| < 1e7` (`7.0`, `0.001`, `123.456`), otherwise computerized scientific
/// notation (`1.0E7`, `1.234E-5`); `NaN`, `Infinity`, `-Infinity`; `0.0`, `-0.0`.
pub fn format_float(f: f64) -> String {
    let mut out = String::new();
    // Writing to a `String` cannot fail.
    let _ = write_float(f, &mut out);
    out
}

/// Calls `f` with the value's text as [`Value::to_text`] gives it, without allocating
/// (numbers are formatted on the stack); `None` for null.
pub fn with_text<R>(v: &Value<'_>, f: impl FnOnce(&str) -> R) -> Option<R> {
    match v {
        Value::Str(s) => Some(f(s)),
        Value::Null => None,
        Value::Bool(b) => Some(f(bool_text(*b))),
        Value::Int(i) => {
            let mut buf = [0u8; 20];
            Some(f(int_text(*i, &mut buf)))
        }
        Value::Float(x) => {
            let mut t = StackText::new();
            if write_float(*x, &mut t).is_err() {
                return Some(f(&format_float(*x)));
            }
            Some(f(t.as_str()))
        }
    }
}

/// A small text buffer on the stack, for `format_args!` output that must not allocate.
struct StackText {
    buf: [u8; 48],
    len: usize,
}

impl StackText {
    fn new() -> StackText {
        StackText {
            buf: [0; 48],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The significant digits and exponent of `{:e}`-style output (`"1.234e-5"`), on the
/// stack: (digits, how many, exponent).
fn sci_parts(sci: &str) -> ([u8; 24], usize, i32) {
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let mut digits = [0u8; 24];
    let mut n = 0;
    for b in mantissa.bytes().filter(u8::is_ascii_digit) {
        if n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    (digits, n, exp.parse().unwrap_or(0))
}

/// [`format_float`] written to `out` (a `String`, or a stack buffer), without allocating
/// beyond what `out` does itself.
pub fn write_float<W: std::fmt::Write>(f: f64, out: &mut W) -> std::fmt::Result {
    if f.is_nan() {
        return out.write_str("NaN");
    }
    if f.is_infinite() {
        return out.write_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    }
    if f.is_sign_negative() {
        out.write_char('-')?;
    }
    if f == 0.0 {
        return out.write_str("0.0");
    }
    // Rust's `{:e}` is the shortest round-trip representation: "d.ddde[-]x".
    use std::fmt::Write as _;
    let mut sci = StackText::new();
    let _ = write!(sci, "{:e}", f.abs());
    let (mut digits, mut n, mut exp) = sci_parts(sci.as_str());
    if n == 1 {
        // Java considers two-digit decimals when the shortest has one digit and prints the
        // one closest to the exact value (this matters for tiny subnormals:
        // `Double.MIN_VALUE` is `4.9E-324`, not `5.0E-324`).
        let mut two = StackText::new();
        let _ = write!(two, "{:.1e}", f.abs());
        if two.as_str().parse::<f64>().ok() == Some(f.abs()) {
            let (d, m, e) = sci_parts(two.as_str());
            digits = d;
            n = m;
            while n > 1 && digits[n - 1] == b'0' {
                n -= 1;
            }
            exp = e;
        }
    }
    let digits = std::str::from_utf8(&digits[..n]).unwrap_or("0");
    let (first, rest) = digits.split_at(1.min(digits.len()));
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.write_str(digits)?;
                for _ in 0..int_len - digits.len() {
                    out.write_char('0')?;
                }
                out.write_str(".0")
            } else {
                let (int, frac) = digits.split_at(int_len);
                write!(out, "{int}.{frac}")
            }
        } else {
            out.write_str("0.")?;
            for _ in 0..(-exp - 1) as usize {
                out.write_char('0')?;
            }
            out.write_str(digits)
        }
    } else {
        let rest = if rest.is_empty() { "0" } else { rest };
        write!(out, "{first}.{rest}E{exp}")
    }
}

/// Writes `i` in decimal into `buf` and returns the text (no allocation).
fn int_text(i: i64, buf: &mut [u8; 20]) -> &str {
    let mut n = i.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    // Only ASCII digits and '-' were written.
    std::str::from_utf8(&buf[at..]).unwrap_or("")
}

/// How a literal string is known as an IP address (computed once for a [`Literal`],
/// lazily for a plain [`Value`]).
#[derive(Clone, Copy)]
enum LitIp<'s> {
    Known(Option<u128>),
    Lazy(&'s str),
}

impl LitIp<'_> {
    fn get(self) -> Option<u128> {
        match self {
            LitIp::Known(k) => k,
            LitIp::Lazy(s) => {
                if cidr::looks_like_ip(s) {
                    cidr::parse_ip_key(s)
                } else {
                    None
                }
            }
        }
    }
}

fn field_ip(s: &str) -> Option<u128> {
    if cidr::looks_like_ip(s) {
        cidr::parse_ip_key(s)
    } else {
        None
    }
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The text of a number field value for comparison with a string literal, compared
/// byte-wise with `lit`.
fn number_text_cmp(n: Number, lit: &str) -> Ordering {
    match n {
        Number::Int(i) => {
            let mut buf = [0u8; 20];
            int_text(i, &mut buf).as_bytes().cmp(lit.as_bytes())
        }
        Number::Float(f) => format_float(f).as_bytes().cmp(lit.as_bytes()),
    }
}

fn compare_core(field: &Value<'_>, lit: &Value<'_>, lit_ip: LitIp<'_>) -> Option<Ordering> {
    match (field, lit) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Str(a), Value::Str(b)) => {
            if a == b {
                return Some(Ordering::Equal);
            }
            if let Some(lk) = lit_ip.get() {
                if let Some(fk) = field_ip(a) {
                    return Some(fk.cmp(&lk));
                }
            }
            Some(a.as_bytes().cmp(b.as_bytes()))
        }
        (Value::Str(a), Value::Int(_) | Value::Float(_)) => {
            let n = parse_number(a)?;
            n.compare(lit.as_number()?)
        }
        (Value::Int(_) | Value::Float(_), Value::Str(b)) => {
            Some(number_text_cmp(field.as_number()?, b))
        }
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            field.as_number()?.compare(lit.as_number()?)
        }
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Str(b)) => Some(bool_text(*a).as_bytes().cmp(b.as_bytes())),
        (Value::Str(a), Value::Bool(b)) => parse_bool(a).map(|a| a.cmp(b)),
        (Value::Bool(_), _) | (_, Value::Bool(_)) => None,
    }
}

fn eq_core(field: &Value<'_>, lit: &Value<'_>, lit_ip: LitIp<'_>) -> Option<bool> {
    match (field, lit) {
        // Fast paths that need neither parsing nor formatting.
        (Value::Str(a), Value::Str(b)) if a == b => Some(true),
        (Value::Int(a), Value::Str(b)) => {
            let mut buf = [0u8; 20];
            Some(int_text(*a, &mut buf) == b.as_ref())
        }
        _ => compare_core(field, lit, lit_ip).map(|o| o == Ordering::Equal),
    }
}

impl<'a> Value<'a> {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, if this is a [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is a [`Value::Int`].
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as `f64`, if this is a [`Value::Int`] or [`Value::Float`].
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Number::as_f64)
    }

    /// The string, if this is a [`Value::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is a [`Value::Int`] or [`Value::Float`] (no string parsing).
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Int(i) => Some(Number::Int(*i)),
            Value::Float(f) => Some(Number::Float(*f)),
            _ => None,
        }
    }

    /// The number this value stands for under J.7 coercion: numbers as they are, strings
    /// through [`parse_number`] (`"7"` → 7); booleans and null have none.
    pub fn coerce_number(&self) -> Option<Number> {
        match self {
            Value::Str(s) => parse_number(s),
            other => other.as_number(),
        }
    }

    /// The string form used by `concat` and `string()`: strings as they are (borrowed),
    /// `true`/`false`, integers in decimal, floats as Java's `Double.toString`
    /// ([`format_float`]); `None` for null.
    pub fn to_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(Cow::Borrowed(bool_text(*b))),
            Value::Int(i) => Some(Cow::Owned(i.to_string())),
            Value::Float(f) => Some(Cow::Owned(format_float(*f))),
            Value::Str(s) => Some(Cow::Borrowed(s)),
        }
    }

    /// A copy that owns its string, detached from the event it was read from.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
        }
    }

    /// A value borrowing this one's string (cheap; no allocation).
    pub fn borrowed(&self) -> Value<'_> {
        match self {
            Value::Str(s) => Value::Str(Cow::Borrowed(s)),
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
        }
    }

    /// `self == literal` with the J.7 coercions (module table); `None` when either side is
    /// null or the two cannot be compared. For repeated comparisons against one literal,
    /// [`Literal`] caches the literal's IP parse.
    pub fn eq_literal(&self, literal: &Value<'_>) -> Option<bool> {
        let ip = match literal {
            Value::Str(s) => LitIp::Lazy(s),
            _ => LitIp::Known(None),
        };
        eq_core(self, literal, ip)
    }

    /// `self` ordered against `literal` with the J.7 coercions (module table): `Less`
    /// means `self < literal`. `None` when either side is null or they are incomparable.
    pub fn cmp_literal(&self, literal: &Value<'_>) -> Option<Ordering> {
        let ip = match literal {
            Value::Str(s) => LitIp::Lazy(s),
            _ => LitIp::Known(None),
        };
        compare_core(self, literal, ip)
    }
}

impl From<bool> for Value<'static> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value<'static> {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value<'static> {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<String> for Value<'static> {
    fn from(s: String) -> Self {
        Value::Str(Cow::Owned(s))
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }
}

impl From<Number> for Value<'static> {
    fn from(n: Number) -> Self {
        n.to_value()
    }
}

/// A literal of a rule, prepared once for many comparisons against field values: the same
/// semantics as [`Value::eq_literal`] / [`Value::cmp_literal`], with the literal's IP
/// address parsed at construction.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    value: Value<'static>,
    ip: Option<u128>,
}

impl Literal {
    /// Prepares `value` (a string literal that is an IP address is parsed here).
    pub fn new(value: Value<'_>) -> Literal {
        let ip = match &value {
            Value::Str(s) => field_ip(s),
            _ => None,
        };
        Literal {
            value: value.into_owned(),
            ip,
        }
    }

    /// A literal from its value and its address key as [`Literal::new`] computes it (for
    /// generated code, which computes the key at build time and declares the literal in a
    /// `static`).
    pub const fn from_parts(value: Value<'static>, ip: Option<u128>) -> Literal {
        Literal { value, ip }
    }

    /// The literal value.
    pub fn value(&self) -> &Value<'static> {
        &self.value
    }

    /// The literal's address key ([`crate::cidr::ip_key`]) if it is an IP address.
    pub fn ip_key(&self) -> Option<u128> {
        self.ip
    }

    /// `field == self` (see [`Value::eq_literal`]).
    pub fn eq_field(&self, field: &Value<'_>) -> Option<bool> {
        eq_core(field, &self.value, LitIp::Known(self.ip))
    }

    /// `field` ordered against `self` (see [`Value::cmp_literal`]).
    pub fn cmp_field(&self, field: &Value<'_>) -> Option<Ordering> {
        compare_core(field, &self.value, LitIp::Known(self.ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Ordering::{Equal, Greater, Less};

    fn s(x: &str) -> Value<'_> {
        Value::Str(Cow::Borrowed(x))
    }

    #[test]
    fn numbers_and_strings() {
        assert_eq!(Value::Int(7).eq_literal(&s("7")), Some(true));
        assert_eq!(Value::Int(7).eq_literal(&s("07")), Some(false));
        assert_eq!(Value::Int(7).eq_literal(&s("7.0")), Some(false));
        assert_eq!(Value::Int(-7).eq_literal(&s("-7")), Some(true));
        assert_eq!(
            Value::Int(i64::MIN).eq_literal(&s("-9223372036854775808")),
            Some(true)
        );
        assert_eq!(Value::Float(7.5).eq_literal(&s("7.5")), Some(true));
        assert_eq!(Value::Float(7.0).eq_literal(&s("7.0")), Some(true));
        assert_eq!(Value::Float(7.0).eq_literal(&s("7")), Some(false));
        assert_eq!(s("7").eq_literal(&Value::Int(7)), Some(true));
        assert_eq!(s("7.0").eq_literal(&Value::Int(7)), Some(true));
        assert_eq!(s("+7").eq_literal(&Value::Int(7)), Some(true));
        assert_eq!(s("1e3").eq_literal(&Value::Int(1000)), Some(true));
        assert_eq!(s(" 7 ").eq_literal(&Value::Int(7)), None);
        assert_eq!(s("seven").eq_literal(&Value::Int(7)), None);
        assert_eq!(s("0x7").eq_literal(&Value::Int(7)), None);
        assert_eq!(s("NaN").eq_literal(&Value::Float(f64::NAN)), None);
        // keyword range on a number: by text
        assert_eq!(Value::Int(10).cmp_literal(&s("9")), Some(Less));
        assert_eq!(s("10").cmp_literal(&Value::Int(9)), Some(Greater));
        assert_eq!(s("abc").cmp_literal(&Value::Int(9)), None);
    }

    #[test]
    fn numeric() {
        assert_eq!(Value::Int(7).eq_literal(&Value::Float(7.0)), Some(true));
        assert_eq!(Value::Float(7.5).cmp_literal(&Value::Int(7)), Some(Greater));
        assert_eq!(Value::Int(7).cmp_literal(&Value::Float(7.5)), Some(Less));
        assert_eq!(
            Value::Int(-7).cmp_literal(&Value::Float(-7.5)),
            Some(Greater)
        );
        // exact: i64::MAX is not 2^63 even though `i64::MAX as f64` is
        assert_eq!(
            Value::Int(i64::MAX).cmp_literal(&Value::Float(i64::MAX as f64)),
            Some(Less)
        );
        assert_eq!(
            Value::Int(i64::MIN).cmp_literal(&Value::Float(i64::MIN as f64)),
            Some(Equal)
        );
        assert_eq!(Value::Int(1).cmp_literal(&Value::Float(f64::NAN)), None);
        assert_eq!(
            Value::Float(f64::INFINITY).cmp_literal(&Value::Int(i64::MAX)),
            Some(Greater)
        );
    }

    #[test]
    fn strings_bytes_and_ips() {
        assert_eq!(s("s").cmp_literal(&s("S")), Some(Greater));
        assert_eq!(s("S").eq_literal(&s("s")), Some(false));
        assert_eq!(s("ä").cmp_literal(&s("z")), Some(Greater));
        assert_eq!(s("::1").eq_literal(&s("0:0::1")), Some(true));
        assert_eq!(s("10.0.0.1").eq_literal(&s("::ffff:10.0.0.1")), Some(true));
        assert_eq!(s("10.0.0.9").cmp_literal(&s("10.0.0.10")), Some(Less));
        assert_eq!(s("abc").eq_literal(&s("::1")), Some(false));
        let lit = Literal::new(s("0:0::1"));
        assert!(lit.ip_key().is_some());
        assert_eq!(lit.eq_field(&s("::1")), Some(true));
        assert_eq!(lit.eq_field(&s("::2")), Some(false));
        assert_eq!(lit.cmp_field(&s("::2")), Some(Greater));
        assert_eq!(Literal::new(Value::Int(7)).eq_field(&s("7")), Some(true));
    }

    #[test]
    fn booleans_and_null() {
        assert_eq!(Value::Bool(true).eq_literal(&Value::Bool(true)), Some(true));
        assert_eq!(
            Value::Bool(false).cmp_literal(&Value::Bool(true)),
            Some(Less)
        );
        assert_eq!(Value::Bool(true).eq_literal(&s("true")), Some(true));
        assert_eq!(s("false").eq_literal(&Value::Bool(false)), Some(true));
        assert_eq!(s("yes").eq_literal(&Value::Bool(true)), None);
        assert_eq!(Value::Bool(true).eq_literal(&Value::Int(1)), None);
        assert_eq!(Value::Int(1).eq_literal(&Value::Bool(true)), None);
        assert_eq!(Value::Null.eq_literal(&Value::Null), None);
        assert_eq!(Value::Null.eq_literal(&s("x")), None);
        assert_eq!(s("x").cmp_literal(&Value::Null), None);
    }

    #[test]
    fn text_forms() {
        assert_eq!(Value::Bool(true).to_text().as_deref(), Some("true"));
        assert_eq!(Value::Int(-12).to_text().as_deref(), Some("-12"));
        assert_eq!(Value::Null.to_text(), None);
        assert!(matches!(s("x").to_text(), Some(Cow::Borrowed("x"))));
        for (f, t) in [
            (7.0, "7.0"),
            (7.5, "7.5"),
            (-0.5, "-0.5"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.234e-5, "1.234E-5"),
            (1234567.0, "1234567.0"),
            (1e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (1e21, "1.0E21"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::MAX, "1.7976931348623157E308"),
            (5e-324, "4.9E-324"),
        ] {
            assert_eq!(format_float(f), t, "{f:?}");
        }
    }

    #[test]
    fn owned_and_helpers() {
        let text = String::from("abc");
        let v = Value::Str(Cow::Borrowed(text.as_str()));
        let owned: Value<'static> = v.clone().into_owned();
        drop(text);
        assert_eq!(owned, Value::from("abc".to_owned()));
        assert_eq!(Value::Int(3).as_f64(), Some(3.0));
        assert_eq!(Value::Float(3.5).as_i64(), None);
        assert_eq!(s("3").coerce_number(), Some(Number::Int(3)));
        assert_eq!(s("3.5").coerce_number(), Some(Number::Float(3.5)));
        assert_eq!(
            s("99999999999999999999").coerce_number(),
            Some(Number::Float(1e20))
        );
        for bad in [
            "", "-", "+", ".", "e5", "1e", "--1", "1-", "inf", "infinity", "NaN", " 1", "1 ",
            "1_000", "0x10", "1e999",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
        assert_eq!(Value::Bool(true).coerce_number(), None);
        assert_eq!(owned.borrowed(), s("abc"));
        assert!(Value::Null.is_null());
        assert_eq!(Value::Bool(true).as_bool(), Some(true));
        assert_eq!(s("x").as_str(), Some("x"));
    }

    proptest! {
        #[test]
        fn float_text_round_trips(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let t = format_float(f);
            prop_assert_eq!(t.parse::<f64>().ok(), Some(f));
            prop_assert_eq!(Value::Float(f).eq_literal(&Value::Str(Cow::Owned(t))), Some(true));
        }

        #[test]
        fn int_text_matches_std(i in any::<i64>()) {
            let mut buf = [0u8; 20];
            prop_assert_eq!(int_text(i, &mut buf), i.to_string());
        }

        #[test]
        fn int_float_cmp_is_exact(i in any::<i64>(), f in any::<f64>()) {
            // Cross-check with i128 arithmetic where f is integral and in range.
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30 {
                let expected = (i as i128).cmp(&(f as i128));
                prop_assert_eq!(cmp_int_float(i, f), Some(expected));
            }
        }

        #[test]
        fn comparisons_never_panic(a in "\\PC{0,12}", b in "\\PC{0,12}") {
            let (a, b) = (Value::Str(Cow::Owned(a)), Value::Str(Cow::Owned(b)));
            let _ = a.eq_literal(&b);
            let _ = a.cmp_literal(&Value::Int(1));
            let _ = Value::Float(1.5).cmp_literal(&b);
        }
    }
}
