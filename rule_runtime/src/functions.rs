//! The EQL functions of eql-semantics.md §F, as plain functions over [`Value`]s.
//!
//! Every function returns [`Value::Null`] when a required argument is null (or, for a
//! stream without mappings, has a type the function cannot use), so that the caller's
//! "null leaf is false" rule applies (J.1). Each call sees one value per argument; the
//! caller iterates over multi-valued fields.
//!
//! Conventions shared by all functions:
//! * **Strings.** A string argument that is a number or boolean is used in its text form
//!   ([`Value::to_text`]; J.7: a keyword field that received a JSON number indexed its
//!   text), so `startsWith(7, "7")` is true.
//! * **Positions and lengths** count characters (Unicode scalar values), matching the
//!   wildcard `?`; Java counts UTF-16 units, which differs only outside the Basic
//!   Multilingual Plane.
//! * **Numbers.** Arithmetic accepts numbers and numeric strings ([`Value::coerce_number`],
//!   J.7). `Int` op `Int` is `i64` arithmetic that wraps on overflow like Java's `long`
//!   (`add(i64::MAX, 1)` = `i64::MIN`), never panics; any `Float` operand makes the result
//!   `f64`.
//! * **`~` variants** compare text folded per code point ([`crate::fold`]).
//! * Integer arguments (`start`, `end`, `base`) accept an `Int`, a `Float` (truncated
//!   toward zero, like Java's `intValue()`) or a numeric string.
//!
//! [`call`] dispatches by EQL name for the interpreter.

use std::borrow::Cow;
use std::fmt;

use crate::cidr;
use crate::fold::{contains_folded, ends_with_folded, fold, starts_with_folded};
use crate::value::{Number, Value};

/// The text of a string argument (see the module docs); `None` for null.
fn text<'v>(v: &'v Value<'_>) -> Option<Cow<'v, str>> {
    v.to_text()
}

/// An integer argument; `None` for null or a non-number.
fn int_arg(v: &Value<'_>) -> Option<i64> {
    match v.coerce_number()? {
        Number::Int(i) => Some(i),
        // `as` saturates and maps NaN to 0; truncates toward zero like Java's intValue().
        Number::Float(f) if f.is_finite() => Some(f as i64),
        Number::Float(_) => None,
    }
}

/// A substring of a `Cow` that keeps borrowing when the original borrows.
fn slice_cow<'v>(s: Cow<'v, str>, from: usize, to: usize) -> Cow<'v, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.get(from..to).unwrap_or("")),
        Cow::Owned(o) => Cow::Owned(o.get(from..to).unwrap_or("").to_owned()),
    }
}

/// Byte offset of character `index` in `s` (`s.len()` when `index` is the length or more).
fn char_to_byte(s: &str, index: usize) -> usize {
    s.char_indices().nth(index).map_or(s.len(), |(b, _)| b)
}

/// Number of characters in `s[..byte]`.
fn byte_to_char(s: &str, byte: usize) -> usize {
    s.get(..byte).map_or(0, |p| p.chars().count())
}

fn str_value(s: Cow<'_, str>) -> Value<'_> {
    Value::Str(s)
}

// ---------------------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------------------

fn arith(
    a: &Value<'_>,
    b: &Value<'_>,
    int_op: impl FnOnce(i64, i64) -> Option<i64>,
    float_op: impl FnOnce(f64, f64) -> Option<f64>,
) -> Value<'static> {
    let (Some(x), Some(y)) = (a.coerce_number(), b.coerce_number()) else {
        return Value::Null;
    };
    match (x, y) {
        (Number::Int(x), Number::Int(y)) => int_op(x, y).map_or(Value::Null, Value::Int),
        (x, y) => float_op(x.as_f64(), y.as_f64()).map_or(Value::Null, Value::Float),
    }
}

/// `add(a, b)`: `a + b` (wrapping for integers).
pub fn add(a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    arith(a, b, |x, y| Some(x.wrapping_add(y)), |x, y| Some(x + y))
}

/// `subtract(a, b)`: `a - b` (wrapping for integers).
pub fn subtract(a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    arith(a, b, |x, y| Some(x.wrapping_sub(y)), |x, y| Some(x - y))
}

/// `multiply(a, b)`: `a * b` (wrapping for integers).
pub fn multiply(a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    arith(a, b, |x, y| Some(x.wrapping_mul(y)), |x, y| Some(x * y))
}

/// `divide(a, b)`: integer ÷ integer truncates toward zero (`divide(4, 3)` = 1,
/// `divide(-7, 2)` = -3, `divide(i64::MIN, -1)` wraps to `i64::MIN` like Java); otherwise
/// float division (`divide(30, 4.0)` = 7.5). A zero divisor (`0` or `0.0`) gives null: the
/// function reference says the divisor "cannot be zero", and Elasticsearch fails the
/// query there, where a stream can only drop the value.
pub fn divide(a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    arith(
        a,
        b,
        |x, y| (y != 0).then(|| x.wrapping_div(y)),
        |x, y| (y != 0.0).then_some(x / y),
    )
}

/// `modulo(a, b)`: Java's `%`, the remainder takes the dividend's sign
/// (`modulo(-10, -6)` = -4, `modulo(10, -6)` = 4, `modulo(-10, 6)` = -4); floats likewise
/// (`fmod`). A zero divisor gives null (as for [`divide`]); `modulo(i64::MIN, -1)` = 0.
pub fn modulo(a: &Value<'_>, b: &Value<'_>) -> Value<'static> {
    arith(
        a,
        b,
        |x, y| (y != 0).then(|| x.wrapping_rem(y)),
        |x, y| (y != 0.0).then_some(x % y),
    )
}

// ---------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------

/// `between(src, left, right[, greedy])` / `between~`: the text after the first `left` and
/// before the next `right` (`greedy = false`), or before the *last* `right` that follows
/// that `left` (`greedy = true`). `""` when `src` is empty or either delimiter is not found;
/// an empty delimiter matches where the search starts. `greedy` absent or null means
/// false; a non-boolean `greedy` gives null. Case-insensitive search for `between~`; the
/// result is always cut from the original text.
///
/// (Elasticsearch's greedy variant searches the last `right` in the whole string and fails
/// when it lies before the end of `left`; here such a `right` does not count.)
pub fn between<'v>(
    src: &'v Value<'_>,
    left: &Value<'_>,
    right: &Value<'_>,
    greedy: Option<&Value<'_>>,
    insensitive: bool,
) -> Value<'v> {
    let greedy = match greedy {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Value::Null,
    };
    let (Some(src), Some(left), Some(right)) = (text(src), text(left), text(right)) else {
        return Value::Null;
    };
    if src.is_empty() {
        return Value::Str(Cow::Borrowed(""));
    }
    let (hay, left, right): (Cow<'_, str>, Cow<'_, str>, Cow<'_, str>) = if insensitive {
        (
            fold(&src),
            Cow::Owned(fold(&left).into_owned()),
            Cow::Owned(fold(&right).into_owned()),
        )
    } else {
        (Cow::Borrowed(src.as_ref()), left, right)
    };
    let found = hay.find(left.as_ref()).and_then(|l| {
        let start = l + left.len();
        let end = if greedy {
            hay[start..].rfind(right.as_ref())
        } else {
            hay[start..].find(right.as_ref())
        }?;
        Some((start, start + end))
    });
    let Some((start, end)) = found else {
        return Value::Str(Cow::Borrowed(""));
    };
    // Offsets are in the folded text; folding keeps the character count, so map through
    // character positions when folding changed the bytes.
    let (start, end) = if hay.as_ref() == src.as_ref() {
        (start, end)
    } else {
        (
            char_to_byte(&src, byte_to_char(&hay, start)),
            char_to_byte(&src, byte_to_char(&hay, end)),
        )
    };
    str_value(slice_cow(src, start, end))
}

/// `cidrMatch(ip, cidr, ...)`: whether the address is in any of the blocks
/// ([`crate::cidr`]: IPv4 and IPv6, IPv4-mapped IPv6 addresses are IPv4). Null if `ip` is
/// null or not an IP address (a malformed `ip` value is not indexed), if any block is null,
/// or if a block is not a valid CIDR (the compiler rejects invalid literals); false with no
/// blocks.
pub fn cidr_match(ip: &Value<'_>, cidrs: &[Value<'_>]) -> Value<'static> {
    let Some(key) = ip.as_str().and_then(cidr::parse_ip_key) else {
        return Value::Null;
    };
    let mut hit = false;
    for block in cidrs {
        let Some(block) = block.as_str() else {
            return Value::Null;
        };
        match cidr::Cidr::parse(block) {
            Ok(c) => hit = hit || c.contains_key(key),
            Err(_) => return Value::Null,
        }
    }
    Value::Bool(hit)
}

/// `concat(v, ...)`: the text forms ([`Value::to_text`]) of all arguments joined; null if
/// any argument is null (`concat(a, null)` is null). A single string argument is returned
/// without copying.
pub fn concat<'v>(args: &'v [Value<'_>]) -> Value<'v> {
    if let [one] = args {
        return text(one).map_or(Value::Null, str_value);
    }
    let mut out = String::new();
    for arg in args {
        match text(arg) {
            Some(t) => out.push_str(&t),
            None => return Value::Null,
        }
    }
    Value::Str(Cow::Owned(out))
}

fn string_predicate(
    src: &Value<'_>,
    sub: &Value<'_>,
    insensitive: bool,
    sensitive: impl FnOnce(&str, &str) -> bool,
    folded: impl FnOnce(&str, &str) -> bool,
) -> Value<'static> {
    let (Some(src), Some(sub)) = (text(src), text(sub)) else {
        return Value::Null;
    };
    Value::Bool(if insensitive {
        folded(&src, &fold(&sub))
    } else {
        sensitive(&src, &sub)
    })
}

/// `endsWith(src, sub)` / `endsWith~`: whether `src` ends with `sub`
/// (`endsWith("", "")` is true; any string ends with `""`).
pub fn ends_with(src: &Value<'_>, sub: &Value<'_>, insensitive: bool) -> Value<'static> {
    string_predicate(
        src,
        sub,
        insensitive,
        |s, x| s.ends_with(x),
        ends_with_folded,
    )
}

/// `startsWith(src, sub)` / `startsWith~`: whether `src` starts with `sub` (literally; any
/// string starts with `""`).
pub fn starts_with(src: &Value<'_>, sub: &Value<'_>, insensitive: bool) -> Value<'static> {
    string_predicate(
        src,
        sub,
        insensitive,
        |s, x| s.starts_with(x),
        starts_with_folded,
    )
}

/// `stringContains(src, sub)` / `stringContains~`: whether `sub` occurs in `src`.
/// Following the function reference, an empty `sub` (or empty `src`) gives **false**
/// (`stringContains("abc", "")` = false), as Elasticsearch's script implementation
/// (`StringUtils.stringContains`) does.
pub fn string_contains(src: &Value<'_>, sub: &Value<'_>, insensitive: bool) -> Value<'static> {
    string_predicate(
        src,
        sub,
        insensitive,
        |s, x| !s.is_empty() && !x.is_empty() && s.contains(x),
        |s, x| !s.is_empty() && !x.is_empty() && contains_folded(s, x),
    )
}

/// `indexOf(src, sub[, start])` / `indexOf~`: the character position of the first `sub`
/// at or after `start`, or null when there is none.
/// * `start` absent or null → 0; negative → 0; greater than the length of `src` → null;
///   a non-number → null;
/// * an empty `sub` is found at `start` (so `indexOf("abc", "", 3)` = 3, `indexOf("abc",
///   "", 4)` is null).
pub fn index_of(
    src: &Value<'_>,
    sub: &Value<'_>,
    start: Option<&Value<'_>>,
    insensitive: bool,
) -> Value<'static> {
    let (Some(src), Some(sub)) = (text(src), text(sub)) else {
        return Value::Null;
    };
    let start = match start {
        None | Some(Value::Null) => 0,
        Some(v) => match int_arg(v) {
            Some(i) => i.max(0),
            None => return Value::Null,
        },
    };
    let (hay, sub) = if insensitive {
        (fold(&src), fold(&sub))
    } else {
        (Cow::Borrowed(src.as_ref()), Cow::Borrowed(sub.as_ref()))
    };
    let len = hay.chars().count();
    let Ok(start) = usize::try_from(start) else {
        return Value::Null;
    };
    if start > len {
        return Value::Null;
    }
    let from = char_to_byte(&hay, start);
    match hay[from..].find(sub.as_ref()) {
        Some(at) => {
            let pos = start + byte_to_char(&hay[from..], at);
            i64::try_from(pos).map_or(Value::Null, Value::Int)
        }
        None => Value::Null,
    }
}

/// `length(str)`: the number of characters (Unicode scalar values) of the text.
pub fn length(src: &Value<'_>) -> Value<'static> {
    text(src)
        .and_then(|s| i64::try_from(s.chars().count()).ok())
        .map_or(Value::Null, Value::Int)
}

/// `number(str[, base])`: parses an integer in `base` (2..=36, default 10), or a decimal.
/// * surrounding whitespace is ignored, a leading `+` or `-` is allowed;
/// * a `0x` prefix (lower-case `x`, after the whitespace, before any sign) selects base 16
///   when `base` is absent, null or 16 (`number("0x32")` = `number("0x32", 16)` = 50);
/// * in base 10, a text that is not a `long` (a fraction, an exponent, or too large) is
///   parsed as a `double` (`number("1.5")` = 1.5, `number("1e3")` = 1000.0);
/// * in other bases only integers that fit in `i64` are numbers;
/// * `""`, invalid digits, `NaN`/`Infinity`, a base outside 2..=36 or a non-integer base
///   give null (Elasticsearch raises an error; a stream can only drop the value).
pub fn number(src: &Value<'_>, base: Option<&Value<'_>>) -> Value<'static> {
    let Some(s) = text(src) else {
        return Value::Null;
    };
    let s = s.trim();
    let hex = s.starts_with("0x");
    let radix = match base {
        None | Some(Value::Null) => {
            if hex {
                16
            } else {
                10
            }
        }
        Some(Value::Int(b)) => *b,
        Some(_) => return Value::Null,
    };
    let Ok(radix) = u32::try_from(radix) else {
        return Value::Null;
    };
    if !(2..=36).contains(&radix) {
        return Value::Null;
    }
    let digits = if radix == 16 && hex { &s[2..] } else { s };
    if digits.is_empty() {
        return Value::Null;
    }
    if let Ok(i) = i64::from_str_radix(digits, radix) {
        return Value::Int(i);
    }
    if radix == 10 {
        return match crate::value::parse_number(digits) {
            Some(Number::Float(f)) => Value::Float(f),
            Some(Number::Int(i)) => Value::Int(i),
            None => Value::Null,
        };
    }
    Value::Null
}

/// `string(v)`: the text form of a value ([`Value::to_text`]: `string(true)` = `"true"`,
/// `string(5)` = `"5"`, `string(7.5)` = `"7.5"`, `string(7.0)` = `"7.0"`); null for null.
pub fn string<'v>(v: &'v Value<'_>) -> Value<'v> {
    text(v).map_or(Value::Null, str_value)
}

/// `substring(src, start[, end])`: characters `start` (inclusive) to `end` (exclusive),
/// zero-based. Negative positions count from the end (`substring("explorer.exe", -4, -1)`
/// = `".ex"`); after that, `start` below 0 becomes 0 and `end` beyond the length becomes
/// the length; `end` absent or null means the length; `start >= end` or `start` beyond
/// the length gives `""`. Null if `src` or `start` is null or a position is not a number.
pub fn substring<'v>(src: &'v Value<'_>, start: &Value<'_>, end: Option<&Value<'_>>) -> Value<'v> {
    let Some(s) = text(src) else {
        return Value::Null;
    };
    let Some(start) = int_arg(start) else {
        return Value::Null;
    };
    let end = match end {
        None | Some(Value::Null) => None,
        Some(v) => match int_arg(v) {
            Some(e) => Some(e),
            None => return Value::Null,
        },
    };
    let len = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
    let resolve = |i: i64| if i < 0 { i.saturating_add(len) } else { i };
    let from = resolve(start).clamp(0, len);
    let to = end.map_or(len, resolve).clamp(0, len);
    if from >= to {
        return Value::Str(Cow::Borrowed(""));
    }
    // 0 <= from < to <= len, so the conversions cannot fail.
    let (from, to) = (
        usize::try_from(from).unwrap_or(0),
        usize::try_from(to).unwrap_or(0),
    );
    let (bf, bt) = (char_to_byte(&s, from), char_to_byte(&s, to));
    str_value(slice_cow(s, bf, bt))
}

// ---------------------------------------------------------------------------------------
// Dispatch by name
// ---------------------------------------------------------------------------------------

/// Why [`call`] could not evaluate a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FunctionError {
    /// No EQL function has this name (Endgame-only functions such as `arrayContains` are
    /// unknown too).
    Unknown(String),
    /// The function has no case-insensitive `~` variant.
    NoInsensitiveVariant(String),
    /// Wrong number of arguments.
    Arity {
        /// The function's canonical name.
        function: &'static str,
        /// The accepted counts, for the message (`"2"`, `"3 or 4"`, `"at least 2"`).
        expected: &'static str,
        /// How many were given.
        given: usize,
    },
}

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FunctionError::Unknown(n) => write!(f, "unknown function [{n}]"),
            FunctionError::NoInsensitiveVariant(n) => {
                write!(f, "function [{n}] has no case-insensitive (~) variant")
            }
            FunctionError::Arity {
                function,
                expected,
                given,
            } => write!(
                f,
                "function [{function}] takes {expected} argument(s), {given} given"
            ),
        }
    }
}

impl std::error::Error for FunctionError {}

/// The canonical names of the EQL functions (§F), as [`call`] accepts them.
pub const FUNCTION_NAMES: [&str; 16] = [
    "add",
    "between",
    "cidrMatch",
    "concat",
    "divide",
    "endsWith",
    "indexOf",
    "length",
    "modulo",
    "multiply",
    "number",
    "startsWith",
    "string",
    "stringContains",
    "substring",
    "subtract",
];

/// The functions that have a `~` variant (B.4).
pub const INSENSITIVE_FUNCTIONS: [&str; 5] = [
    "between",
    "endsWith",
    "indexOf",
    "startsWith",
    "stringContains",
];

/// Resolves a function name case-insensitively (`CONCAT` works, §A) to its canonical
/// spelling; a trailing `~` is not part of the name.
pub fn canonical_name(name: &str) -> Option<&'static str> {
    FUNCTION_NAMES
        .iter()
        .copied()
        .find(|n| n.eq_ignore_ascii_case(name))
}

/// Evaluates the function `name` (case-insensitive; a trailing `~` selects the
/// case-insensitive variant) on `args`, checking the number of arguments.
pub fn call<'v>(name: &str, args: &'v [Value<'_>]) -> Result<Value<'v>, FunctionError> {
    let (base, insensitive) = match name.strip_suffix('~') {
        Some(b) => (b, true),
        None => (name, false),
    };
    let canonical = canonical_name(base).ok_or_else(|| FunctionError::Unknown(name.to_owned()))?;
    if insensitive && !INSENSITIVE_FUNCTIONS.contains(&canonical) {
        return Err(FunctionError::NoInsensitiveVariant(canonical.to_owned()));
    }
    let arity = |expected: &'static str| FunctionError::Arity {
        function: canonical,
        expected,
        given: args.len(),
    };
    let v = match (canonical, args) {
        ("add", [a, b]) => add(a, b),
        ("subtract", [a, b]) => subtract(a, b),
        ("multiply", [a, b]) => multiply(a, b),
        ("divide", [a, b]) => divide(a, b),
        ("modulo", [a, b]) => modulo(a, b),
        ("add" | "subtract" | "multiply" | "divide" | "modulo", _) => return Err(arity("2")),
        ("between", [s, l, r]) => between(s, l, r, None, insensitive),
        ("between", [s, l, r, g]) => between(s, l, r, Some(g), insensitive),
        ("between", _) => return Err(arity("3 or 4")),
        ("cidrMatch", [ip, blocks @ ..]) if !blocks.is_empty() => cidr_match(ip, blocks),
        ("cidrMatch", _) => return Err(arity("at least 2")),
        ("concat", _) if !args.is_empty() => concat(args),
        ("concat", _) => return Err(arity("at least 1")),
        ("endsWith", [s, x]) => ends_with(s, x, insensitive),
        ("startsWith", [s, x]) => starts_with(s, x, insensitive),
        ("stringContains", [s, x]) => string_contains(s, x, insensitive),
        ("endsWith" | "startsWith" | "stringContains", _) => return Err(arity("2")),
        ("indexOf", [s, x]) => index_of(s, x, None, insensitive),
        ("indexOf", [s, x, st]) => index_of(s, x, Some(st), insensitive),
        ("indexOf", _) => return Err(arity("2 or 3")),
        ("length", [s]) => length(s),
        ("string", [s]) => string(s),
        ("length" | "string", _) => return Err(arity("1")),
        ("number", [s]) => number(s, None),
        ("number", [s, b]) => number(s, Some(b)),
        ("number", _) => return Err(arity("1 or 2")),
        ("substring", [s, st]) => substring(s, st, None),
        ("substring", [s, st, e]) => substring(s, st, Some(e)),
        ("substring", _) => return Err(arity("2 or 3")),
        _ => return Err(FunctionError::Unknown(name.to_owned())),
    };
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(x: &str) -> Value<'_> {
        Value::Str(Cow::Borrowed(x))
    }
    fn i(x: i64) -> Value<'static> {
        Value::Int(x)
    }
    fn f(x: f64) -> Value<'static> {
        Value::Float(x)
    }
    const N: Value<'static> = Value::Null;
    const T: Value<'static> = Value::Bool(true);
    const F: Value<'static> = Value::Bool(false);

    #[test]
    fn arithmetic() {
        assert_eq!(add(&i(2), &i(3)), i(5));
        assert_eq!(add(&i(2), &f(0.5)), f(2.5));
        assert_eq!(add(&i(i64::MAX), &i(1)), i(i64::MIN));
        assert_eq!(add(&N, &i(1)), N);
        assert_eq!(add(&i(1), &T), N);
        assert_eq!(add(&s("7"), &i(1)), i(8));
        assert_eq!(add(&s("x"), &i(1)), N);
        assert_eq!(subtract(&i(2), &i(5)), i(-3));
        assert_eq!(subtract(&i(i64::MIN), &i(1)), i(i64::MAX));
        assert_eq!(multiply(&i(6), &i(5)), i(30));
        assert_eq!(multiply(&i(i64::MAX), &i(2)), i(-2));
        assert_eq!(multiply(&f(1.5), &i(2)), f(3.0));
        assert_eq!(divide(&i(4), &i(3)), i(1));
        assert_eq!(divide(&i(-7), &i(2)), i(-3));
        assert_eq!(divide(&i(82), &i(2)), i(41));
        assert_eq!(divide(&i(83), &i(2)), i(41));
        assert_eq!(divide(&i(30), &f(4.0)), f(7.5));
        assert_eq!(divide(&f(66.0), &i(66)), f(1.0));
        assert_eq!(divide(&i(1), &i(0)), N);
        assert_eq!(divide(&f(1.0), &f(0.0)), N);
        assert_eq!(divide(&i(1), &f(-0.0)), N);
        assert_eq!(divide(&i(i64::MIN), &i(-1)), i(i64::MIN));
        assert_eq!(modulo(&i(-10), &i(-6)), i(-4));
        assert_eq!(modulo(&i(10), &i(-6)), i(4));
        assert_eq!(modulo(&i(-10), &i(6)), i(-4));
        assert_eq!(modulo(&i(11), &i(10)), i(1));
        assert_eq!(modulo(&i(1), &i(0)), N);
        assert_eq!(modulo(&i(i64::MIN), &i(-1)), i(0));
        assert_eq!(modulo(&f(-7.5), &i(2)), f(-1.5));
        assert_eq!(modulo(&f(7.5), &f(0.0)), N);
    }

    #[test]
    fn between_cases() {
        let b = |src: &str, l: &str, r: &str, g: Option<bool>, ci: bool| {
            let g = g.map(Value::Bool);
            between(&s(src), &s(l), &s(r), g.as_ref(), ci)
                .as_str()
                .map(str::to_owned)
        };
        let some = |x: &str| Some(x.to_owned());
        // the ES tests: between(process_name, "s", "e", false) : "t"
        assert_eq!(
            b("System Idle Process", "s", "e", Some(false), false),
            some("t")
        );
        assert_eq!(b("System", "s", "e", None, false), some("t"));
        assert_eq!(
            b("System Idle Process", "S", "e", Some(true), false),
            some("ystem Idle Proc")
        );
        assert_eq!(
            b("System Idle Process", "s", "e", Some(true), true),
            some("ystem Idle Proc")
        );
        assert_eq!(b("System Idle Process", "s", "E", None, true), some("yst"));
        assert_eq!(b("smss.exe", "s", "E", Some(false), true), some("mss."));
        let path = "C:\\dev\\TestLogs\\something.json";
        assert_eq!(
            b(path, "dev", ".json", Some(false), false),
            some("\\TestLogs\\something")
        );
        assert_eq!(
            b(path, "dev", ".json", Some(true), false),
            some("\\TestLogs\\something")
        );
        assert_eq!(b("a.b.c.d", ".", ".", Some(false), false), some("b"));
        assert_eq!(b("a.b.c.d", ".", ".", Some(true), false), some("b.c"));
        // not found, empty source
        assert_eq!(b("abc", "x", "c", None, false), some(""));
        assert_eq!(b("abc", "a", "x", None, false), some(""));
        assert_eq!(b("", "a", "b", None, false), some(""));
        // greedy `right` before the end of `left` does not count
        assert_eq!(b("aba", "ab", "ba", Some(true), false), some(""));
        // empty delimiters
        assert_eq!(b("abc", "", "c", None, false), some("ab"));
        assert_eq!(b("abc", "a", "", None, false), some(""));
        assert_eq!(b("abc", "a", "", Some(true), false), some("bc"));
        // non-ASCII, folding that changes byte lengths
        assert_eq!(b("ÄRZTE \u{212A}X ende", "k", "E", None, true), some("X "));
        assert_eq!(b("ΣΊΓΜΑ", "σ", "α", None, true), some("ΊΓΜ"));
        // nulls
        assert_eq!(between(&N, &s("a"), &s("b"), None, false), N);
        assert_eq!(between(&s("ab"), &N, &s("b"), None, false), N);
        assert_eq!(between(&s("ab"), &s("a"), &N, None, false), N);
        assert_eq!(between(&s("ab"), &s("a"), &s("b"), Some(&N), false), s(""));
        assert_eq!(between(&s("ab"), &s("a"), &s("b"), Some(&i(1)), false), N);
        // borrows from the source
        let src = s("xaYbz");
        assert!(matches!(
            between(&src, &s("a"), &s("b"), None, false),
            Value::Str(Cow::Borrowed("Y"))
        ));
    }

    #[test]
    fn cidr() {
        let ip = s("10.6.48.157");
        assert_eq!(cidr_match(&ip, &[s("10.6.48.157/8")]), T);
        assert_eq!(cidr_match(&ip, &[s("192.168.0.0/16")]), F);
        assert_eq!(
            cidr_match(&ip, &[s("192.168.0.0/16"), s("10.6.48.157/8")]),
            T
        );
        assert_eq!(cidr_match(&ip, &[s("0.0.0.0/0")]), T);
        assert_eq!(cidr_match(&s("2001:db8::1"), &[s("2001:db8::/32")]), T);
        assert_eq!(cidr_match(&s("::ffff:10.1.1.1"), &[s("10.0.0.0/8")]), T);
        assert_eq!(cidr_match(&N, &[s("10.0.0.0/8")]), N);
        assert_eq!(cidr_match(&ip, &[s("10.0.0.0/8"), N]), N);
        assert_eq!(cidr_match(&ip, &[s("bad")]), N);
        assert_eq!(cidr_match(&s("not-an-ip"), &[s("10.0.0.0/8")]), N);
        assert_eq!(cidr_match(&i(10), &[s("10.0.0.0/8")]), N);
        assert_eq!(cidr_match(&ip, &[]), F);
    }

    #[test]
    fn concat_and_string() {
        let args = [i(5), s("::"), s("wininit.exe"), s("::"), i(3)];
        assert_eq!(concat(&args), s("5::wininit.exe::3"));
        assert_eq!(concat(&[i(1)]), s("1"));
        assert_eq!(concat(&[s("a"), N]), N);
        assert_eq!(concat(&[s("a"), N, N]), N);
        assert_eq!(concat(&[T, f(1.5), s("")]), s("true1.5"));
        assert_eq!(concat(&[s("1.2.4"), s("")]), s("1.2.4"));
        assert_eq!(concat(&[]), s(""));
        assert_eq!(string(&T), s("true"));
        assert_eq!(string(&F), s("false"));
        assert_eq!(string(&i(17)), s("17"));
        assert_eq!(string(&f(7.0)), s("7.0"));
        assert_eq!(string(&f(1e10)), s("1.0E10"));
        assert_eq!(string(&N), N);
        let src = s("x");
        assert!(matches!(string(&src), Value::Str(Cow::Borrowed("x"))));
    }

    #[test]
    fn starts_ends_contains() {
        assert_eq!(starts_with(&s("explorer.exe"), &s("explorer."), false), T);
        assert_eq!(starts_with(&s("explorer.exe"), &s("exploRER."), false), F);
        assert_eq!(starts_with(&s("explorer.exe"), &s("expLORER.ExE"), true), T);
        assert_eq!(
            starts_with(&s("explorer.exeaaaaaaaa"), &s("explorer.exe"), false),
            T
        );
        assert_eq!(
            starts_with(&s("explorer.exeaAAAA"), &s("EXPLORER.exe"), true),
            T
        );
        assert_eq!(starts_with(&s("abc"), &s(""), false), T);
        assert_eq!(starts_with(&s("ab"), &s("abc"), true), F);
        assert_eq!(starts_with(&i(42), &s("4"), false), T);
        assert_eq!(starts_with(&N, &s("a"), false), N);
        assert_eq!(starts_with(&s("a"), &N, true), N);
        assert_eq!(ends_with(&s("explorer.exe"), &s("lorer.exe"), false), T);
        assert_eq!(ends_with(&s("explorer.exe"), &s("loREr.exe"), false), F);
        assert_eq!(ends_with(&s("explorer.exe"), &s("loREr.exe"), true), T);
        assert_eq!(ends_with(&s(""), &s(""), false), T);
        assert_eq!(ends_with(&s(""), &s(""), true), T);
        assert_eq!(ends_with(&s("ΟΔΟΣ"), &s("ος"), true), T);
        assert_eq!(ends_with(&s("x"), &N, false), N);
        assert_eq!(
            string_contains(
                &s("ABCDEFGHIexplorer.exeJKLMNOP"),
                &s("explorer.exe"),
                false
            ),
            T
        );
        assert_eq!(string_contains(&s("ABC"), &s("abc"), false), F);
        assert_eq!(string_contains(&s("xABCx"), &s("abc"), true), T);
        assert_eq!(string_contains(&s("XÄRZTEX"), &s("ärzte"), true), T);
        assert_eq!(string_contains(&s("abc"), &s(""), false), F);
        assert_eq!(string_contains(&s("abc"), &s(""), true), F);
        assert_eq!(string_contains(&s(""), &s(""), false), F);
        assert_eq!(string_contains(&s(""), &s("a"), false), F);
        assert_eq!(string_contains(&N, &s("a"), false), N);
        // literal, not wildcard
        assert_eq!(string_contains(&s("abc"), &s("a*"), false), F);
    }

    #[test]
    fn index_of_cases() {
        let e = s("explorer.exe");
        assert_eq!(index_of(&e, &s("plore"), None, true), i(2));
        assert_eq!(index_of(&e, &s(".pf"), None, true), N);
        assert_eq!(index_of(&e, &s("explorer."), None, false), i(0));
        assert_eq!(index_of(&e, &s("plore"), Some(&i(100)), false), N);
        assert_eq!(index_of(&e, &s("plorer."), Some(&i(0)), false), i(2));
        assert_eq!(index_of(&e, &s("plorer."), Some(&i(2)), false), i(2));
        assert_eq!(index_of(&e, &s("plorer."), Some(&i(4)), false), N);
        assert_eq!(index_of(&e, &s("pLOrer."), Some(&i(2)), true), i(2));
        assert_eq!(index_of(&e, &s("pLOrer."), Some(&i(2)), false), N);
        assert_eq!(
            index_of(&e, &s("thing that never happened"), None, false),
            N
        );
        assert_eq!(index_of(&e, &s("e"), Some(&i(1)), false), i(6));
        assert_eq!(index_of(&e, &s("e"), Some(&i(-5)), false), i(0));
        assert_eq!(index_of(&e, &s("e"), Some(&N), false), i(0));
        assert_eq!(index_of(&e, &s("e"), Some(&s("x")), false), N);
        // empty needle: found at start; start beyond the length: null
        assert_eq!(index_of(&e, &s(""), None, false), i(0));
        assert_eq!(index_of(&e, &s(""), Some(&i(5)), false), i(5));
        assert_eq!(index_of(&e, &s(""), Some(&i(12)), false), i(12));
        assert_eq!(index_of(&e, &s(""), Some(&i(13)), false), N);
        assert_eq!(index_of(&e, &s("e"), Some(&i(i64::MAX)), false), N);
        // character positions, not bytes
        assert_eq!(index_of(&s("äöü-x"), &s("x"), None, false), i(4));
        assert_eq!(
            index_of(&s("ÄÖÜ-\u{212A}"), &s("k"), Some(&i(1)), true),
            i(4)
        );
        assert_eq!(index_of(&N, &s("x"), None, false), N);
        assert_eq!(index_of(&e, &N, None, false), N);
    }

    #[test]
    fn length_cases() {
        assert_eq!(length(&s("explorer.exe")), i(12));
        assert_eq!(length(&s("")), i(0));
        assert_eq!(length(&s("ärzte")), i(5));
        assert_eq!(length(&i(1234)), i(4));
        assert_eq!(length(&N), N);
        // length(between(process_name, "g", "z")) > 0 matches nothing: "" has length 0
        assert_eq!(
            length(&between(&s("svchost.exe"), &s("g"), &s("z"), None, false)),
            i(0)
        );
    }

    #[test]
    fn number_cases() {
        assert_eq!(number(&s("5"), None), i(5));
        assert_eq!(number(&s("17"), Some(&N)), i(17));
        assert_eq!(number(&s("17"), Some(&i(10))), i(17));
        assert_eq!(number(&s("11"), Some(&i(16))), i(17));
        assert_eq!(number(&s("31"), Some(&i(13))), i(40));
        assert_eq!(number(&s("0x32"), Some(&i(16))), i(50));
        assert_eq!(number(&s("32"), Some(&i(16))), i(50));
        assert_eq!(number(&s("0x32"), None), i(50));
        assert_eq!(number(&s("0x32"), Some(&N)), i(50));
        assert_eq!(number(&s("0x32"), Some(&i(10))), N);
        assert_eq!(number(&s("0X32"), None), N);
        assert_eq!(number(&s("  -42 "), None), i(-42));
        assert_eq!(number(&s("+42"), None), i(42));
        assert_eq!(number(&s("-ff"), Some(&i(16))), i(-255));
        assert_eq!(number(&s("1.5"), None), f(1.5));
        assert_eq!(number(&s(" 1.5 "), None), f(1.5));
        assert_eq!(number(&s("5.0"), None), f(5.0));
        assert_eq!(number(&s("1e3"), None), f(1000.0));
        assert_eq!(number(&s("99999999999999999999"), None), f(1e20));
        assert_eq!(number(&s("99999999999999999999"), Some(&i(16))), N);
        assert_eq!(number(&s("1.5"), Some(&i(16))), N);
        assert_eq!(number(&s("101"), Some(&i(2))), i(5));
        assert_eq!(number(&s("z"), Some(&i(36))), i(35));
        for bad in [
            "", "   ", "abc", "1,000", "NaN", "Infinity", "0x", "--1", "1 2",
        ] {
            assert_eq!(number(&s(bad), None), N, "{bad:?}");
        }
        assert_eq!(number(&s("5"), Some(&i(1))), N);
        assert_eq!(number(&s("5"), Some(&i(37))), N);
        assert_eq!(number(&s("5"), Some(&i(-10))), N);
        assert_eq!(number(&s("5"), Some(&f(10.0))), N);
        assert_eq!(number(&N, None), N);
        assert_eq!(number(&i(17), None), i(17));
    }

    #[test]
    fn substring_cases() {
        let e = s("explorer.exe");
        assert_eq!(substring(&e, &i(0), Some(&i(4))), s("expl"));
        assert_eq!(substring(&e, &i(1), Some(&i(3))), s("xp"));
        assert_eq!(substring(&e, &i(-4), None), s(".exe"));
        assert_eq!(substring(&e, &i(-4), Some(&i(-1))), s(".ex"));
        assert_eq!(substring(&e, &i(-100), Some(&i(2))), s("ex"));
        assert_eq!(substring(&e, &i(5), Some(&i(100))), s("rer.exe"));
        assert_eq!(substring(&e, &i(5), Some(&N)), s("rer.exe"));
        assert_eq!(substring(&e, &i(5), Some(&i(2))), s(""));
        assert_eq!(substring(&e, &i(5), Some(&i(5))), s(""));
        assert_eq!(substring(&e, &i(20), None), s(""));
        assert_eq!(substring(&e, &i(0), Some(&i(-100))), s(""));
        assert_eq!(substring(&e, &i(i64::MIN), Some(&i(i64::MAX))), e);
        assert_eq!(substring(&e, &f(1.9), Some(&i(3))), s("xp"));
        assert_eq!(substring(&s("äöüß"), &i(1), Some(&i(3))), s("öü"));
        assert_eq!(substring(&s("äöüß"), &i(-1), None), s("ß"));
        assert_eq!(substring(&s(""), &i(0), None), s(""));
        assert_eq!(substring(&N, &i(0), None), N);
        assert_eq!(substring(&e, &N, None), N);
        assert_eq!(substring(&e, &s("x"), None), N);
        assert_eq!(substring(&e, &i(0), Some(&T)), N);
        assert_eq!(substring(&i(12345), &i(1), Some(&i(3))), s("23"));
        assert!(matches!(
            substring(&e, &i(0), Some(&i(3))),
            Value::Str(Cow::Borrowed("exp"))
        ));
    }

    #[test]
    fn dispatch() {
        assert_eq!(call("CONCAT", &[s("1.2.4"), s("")]), Ok(s("1.2.4")));
        assert_eq!(call("startsWith~", &[s("EXPLORER"), s("exp")]), Ok(T));
        assert_eq!(call("startswith", &[s("EXPLORER"), s("exp")]), Ok(F));
        assert_eq!(
            call("between~", &[s("System"), s("s"), s("E")]),
            Ok(s("yst"))
        );
        assert_eq!(
            call("between", &[s("a.b.c"), s("."), s("."), T]),
            Ok(s("b"))
        );
        assert_eq!(call("indexOf", &[s("abc"), s("c"), i(1)]), Ok(i(2)));
        assert_eq!(call("number", &[s("32"), i(16)]), Ok(i(50)));
        assert_eq!(call("cidrMatch", &[s("10.0.0.1"), s("10.0.0.0/8")]), Ok(T));
        assert_eq!(call("modulo", &[i(-10), i(-6)]), Ok(i(-4)));
        assert_eq!(call("substring", &[s("abcd"), i(-2)]), Ok(s("cd")));
        assert_eq!(call("length", &[s("abcd")]), Ok(i(4)));
        assert_eq!(call("string", &[i(4)]), Ok(s("4")));
        assert_eq!(call("stringContains~", &[s("ABC"), s("b")]), Ok(T));
        assert_eq!(call("endsWith", &[s("ABC"), s("C")]), Ok(T));
        assert!(matches!(
            call("arrayContains", &[]),
            Err(FunctionError::Unknown(_))
        ));
        assert!(matches!(
            call("length~", &[s("a")]),
            Err(FunctionError::NoInsensitiveVariant(_))
        ));
        assert!(matches!(
            call("add", &[i(1)]),
            Err(FunctionError::Arity { given: 1, .. })
        ));
        assert!(matches!(
            call("cidrMatch", &[s("1.1.1.1")]),
            Err(FunctionError::Arity { .. })
        ));
        assert!(matches!(
            call("concat", &[]),
            Err(FunctionError::Arity { .. })
        ));
        assert!(call("between", &[s("a")]).is_err());
        assert_eq!(canonical_name("STRINGCONTAINS"), Some("stringContains"));
        assert!(FunctionError::Unknown("x".into())
            .to_string()
            .contains("unknown"));
        for name in FUNCTION_NAMES {
            assert_eq!(canonical_name(name), Some(name));
        }
    }

    fn any_value() -> impl Strategy<Value = Value<'static>> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            prop_oneof![
                Just(i64::MIN),
                Just(i64::MAX),
                Just(-1),
                Just(0),
                -20i64..20
            ]
            .prop_map(Value::Int),
            any::<f64>().prop_map(Value::Float),
            "\\PC{0,10}".prop_map(|s| Value::Str(Cow::Owned(s))),
            "[aAäÄσς0-9x. -]{0,8}".prop_map(|s| Value::Str(Cow::Owned(s))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn no_function_panics(args in prop::collection::vec(any_value(), 0..5), name_ix in 0usize..16, ci in any::<bool>()) {
            let name = FUNCTION_NAMES[name_ix];
            let name = if ci { format!("{name}~") } else { name.to_owned() };
            let _ = call(&name, &args);
        }

        #[test]
        fn substring_matches_char_model(src in "\\PC{0,12}", a in -15i64..15, b in -15i64..15) {
            let chars: Vec<char> = src.chars().collect();
            let len = chars.len() as i64;
            let norm = |x: i64| (if x < 0 { x + len } else { x }).clamp(0, len) as usize;
            let (from, to) = (norm(a), norm(b));
            let expected: String = if from < to { chars[from..to].iter().collect() } else { String::new() };
            let srcv = Value::Str(Cow::Owned(src.clone()));
            prop_assert_eq!(substring(&srcv, &Value::Int(a), Some(&Value::Int(b))), Value::Str(Cow::Owned(expected)));
        }

        #[test]
        fn index_of_matches_char_model(src in "[abAB]{0,10}", sub in "[abAB]{0,3}", start in -3i64..14, ci in any::<bool>()) {
            let f = |s: &str| if ci { s.to_lowercase() } else { s.to_owned() };
            let (h, n) = (f(&src), f(&sub));
            let st = start.max(0) as usize;
            let expected = if st > h.len() { Value::Null } else {
                h[st..].find(&n).map_or(Value::Null, |p| Value::Int((st + p) as i64))
            };
            let (sv, nv) = (Value::Str(Cow::Owned(src.clone())), Value::Str(Cow::Owned(sub.clone())));
            prop_assert_eq!(index_of(&sv, &nv, Some(&Value::Int(start)), ci), expected);
        }
    }
}
