//! What KQL rules (`language = "kuery"`) need at run time: Elasticsearch's view of one
//! event value as a field of a given mapping (`ignore_above`, normalizers, analyzers,
//! numeric and IP coercion), and the leaf queries Kibana builds from KQL, evaluated on it
//! (`term`, `wildcard`, `match`, `match_phrase`, `query_string` clauses, `range`,
//! `exists`). See `kql-semantics.md` B and C; the compiler decides which test a KQL
//! predicate becomes, both back ends call [`KqlTest::matches_value`] here.
//!
//! Every test is over one value of a multi-valued field; a leaf is true iff some value
//! satisfies it (C.0). Values that Elasticsearch would not index (over `ignore_above`, or
//! malformed for a numeric / IP / boolean field) satisfy no test, `exists` included.
//!
//! Tests are plain data built from `Cow<'static, …>`, so generated code declares them as
//! `static`s and the interpreter builds them at run time.

use crate::cidr;
use crate::cmp::CmpOp;
use crate::value::{parse_number, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

type S = Cow<'static, str>;

/// How Elasticsearch indexes a field's values (the part of its mapping that matters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Indexing {
    /// `keyword` / `constant_keyword` / `wildcard` / `flattened` sub-keys: the value's
    /// text as one term; lower-cased per code point when `lowercase` (the `lowercase`
    /// normalizer of Elastic Defend's `*.caseless` fields).
    Keyword { lowercase: bool },
    /// `text` / `match_only_text`: the value's text analysed into tokens.
    Text(Analyzer),
    /// `long`, `integer`, `short`, `byte`, `unsigned_long`: numbers, numeric strings
    /// parsed, fractions truncated; anything else is malformed (not indexed).
    Integer,
    /// `float`, `double`, `half_float`, `scaled_float`.
    Float,
    /// `ip`: IPv4 and IPv6 addresses (IPv4 ≡ IPv4-mapped IPv6).
    Ip,
    /// `boolean`: JSON booleans and the strings `"true"` / `"false"`.
    Boolean,
    /// A field the schema does not map: dynamically mapped by the JSON kind of the value
    /// (string → keyword, integer → long, other number → float, boolean → boolean).
    Dynamic,
    /// Only presence is known (`exists` on object, `geo_point` … fields).
    Presence,
}

/// The analyzers of analysed (`text`) fields eqlc emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Analyzer {
    /// Elasticsearch's `standard` analyzer: Unicode word segmentation (UAX #29,
    /// approximated, see [`standard_tokens`]), tokens over 255 characters split, lower-cased.
    Standard,
    /// The Windows integration's `powershell_script_analyzer`: pattern `[\W&&[^-]]+`
    /// (tokens are maximal runs of ASCII `[A-Za-z0-9_-]`), lower-cased.
    PowershellScript,
}

/// A number in a query (`long` fields compare as integers where both sides are).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum KqlNumber {
    Int(i64),
    Float(f64),
}

impl KqlNumber {
    fn number(self) -> Number {
        match self {
            KqlNumber::Int(i) => Number::Int(i),
            KqlNumber::Float(f) => Number::Float(f),
        }
    }
}

/// One leaf query on one indexed value.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Query {
    /// `exists`: the value is indexed.
    Exists,
    /// `term` (keyword family): the indexed term equals this (already normalised).
    Term(S),
    /// `wildcard`: the whole indexed term matches this Lucene wildcard pattern (`*` any
    /// sequence, `?` one character, `\x` the character `x`); with `case_insensitive`
    /// unescaped characters match either case.
    Wildcard { pattern: S, case_insensitive: bool },
    /// `match` on an analysed field: some token equals one of these (OR).
    AnyToken(Cow<'static, [S]>),
    /// `match_phrase`: these tokens at consecutive positions of one value.
    Phrase(Cow<'static, [S]>),
    /// A `query_string` wildcard clause on an analysed field: some single token
    /// matches this (lower-cased) Lucene wildcard pattern.
    TokenWildcard(S),
    /// Numeric equality or range.
    Number { op: CmpOp, value: KqlNumber },
    /// An address in `[lo, hi]` (an address, or a CIDR block).
    IpIn { lo: u128, hi: u128 },
    /// An address range.
    IpRange { op: CmpOp, value: u128 },
    /// A boolean term.
    Bool(bool),
    /// A `range` on a keyword-family field: byte-wise (UTF-8) order of the term.
    TextRange { op: CmpOp, value: S },
    /// A query on a field mapped dynamically, for a string value (keyword term) or a
    /// number / boolean value (the text parsed as such).
    DynamicTerm(S),
    /// OR of clauses (`query_string` split on whitespace).
    AnyOf(Cow<'static, [Query]>),
}

/// A KQL leaf: how a field is indexed and the query on it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct KqlTest {
    pub indexing: Indexing,
    /// `ignore_above` of a keyword-family field, in UTF-16 code units.
    pub ignore_above: Option<u32>,
    pub query: Query,
}

/// One value as Elasticsearch indexes it.
enum Indexed<'v> {
    Term(Cow<'v, str>),
    Tokens(Vec<String>),
    Num(Number),
    Ip(u128),
    Bool(bool),
    Present,
}

impl KqlTest {
    /// Whether this value of the field satisfies the leaf.
    pub fn matches_value(&self, v: &Value<'_>) -> bool {
        match self.index(v) {
            Some(x) => eval(&self.query, &x),
            None => false,
        }
    }

    /// Whether some value satisfies the leaf.
    pub fn matches_any<'a, 'v: 'a>(&self, values: impl IntoIterator<Item = Value<'v>>) -> bool {
        values.into_iter().any(|v| self.matches_value(&v))
    }

    fn index<'v>(&self, v: &'v Value<'_>) -> Option<Indexed<'v>> {
        if v.is_null() {
            return None;
        }
        let indexing = match (self.indexing, v) {
            (Indexing::Dynamic, Value::Str(_)) => Indexing::Keyword { lowercase: false },
            (Indexing::Dynamic, Value::Int(_)) => Indexing::Integer,
            (Indexing::Dynamic, Value::Float(_)) => Indexing::Float,
            (Indexing::Dynamic, Value::Bool(_)) => Indexing::Boolean,
            (i, _) => i,
        };
        Some(match indexing {
            Indexing::Keyword { lowercase } => {
                let text: Cow<'v, str> = match v {
                    Value::Str(s) => Cow::Borrowed(s.as_ref()),
                    other => Cow::Owned(other.to_text()?.into_owned()),
                };
                let limit = match self.indexing {
                    Indexing::Dynamic => Some(1024),
                    _ => self.ignore_above,
                };
                if let Some(limit) = limit {
                    if utf16_len(&text) > limit as usize {
                        return None;
                    }
                }
                if lowercase {
                    Indexed::Term(Cow::Owned(java_lowercase(&text)))
                } else {
                    Indexed::Term(text)
                }
            }
            Indexing::Text(a) => {
                let text = v.to_text()?;
                let mut out = Vec::new();
                analyze(a, &text, &mut out);
                Indexed::Tokens(out)
            }
            Indexing::Integer => Indexed::Num(match number_of(v)? {
                Number::Float(f) if f.is_finite() => Number::Int(f.trunc() as i64),
                Number::Float(_) => return None,
                n => n,
            }),
            Indexing::Float => Indexed::Num(number_of(v)?),
            Indexing::Ip => Indexed::Ip(cidr::parse_ip_key(v.as_str()?)?),
            Indexing::Boolean => Indexed::Bool(match v {
                Value::Bool(b) => *b,
                Value::Str(s) if s == "true" => true,
                Value::Str(s) if s == "false" => false,
                _ => return None,
            }),
            Indexing::Presence | Indexing::Dynamic => Indexed::Present,
        })
    }
}

fn number_of(v: &Value<'_>) -> Option<Number> {
    match v {
        Value::Int(i) => Some(Number::Int(*i)),
        Value::Float(f) => Some(Number::Float(*f)),
        Value::Str(s) => parse_number(s.trim()),
        _ => None,
    }
}

fn eval(q: &Query, x: &Indexed<'_>) -> bool {
    match (q, x) {
        (Query::Exists, _) => true,
        (Query::AnyOf(qs), x) => qs.iter().any(|q| eval(q, x)),
        (Query::Term(t), Indexed::Term(v)) => t.as_ref() == v.as_ref(),
        (
            Query::Wildcard {
                pattern,
                case_insensitive,
            },
            Indexed::Term(v),
        ) => wildcard_match(pattern, v, *case_insensitive),
        (Query::AnyToken(ts), Indexed::Tokens(vs)) => {
            vs.iter().any(|v| ts.iter().any(|t| t.as_ref() == v))
        }
        (Query::Phrase(ts), Indexed::Tokens(vs)) => {
            if ts.is_empty() {
                return false;
            }
            vs.windows(ts.len())
                .any(|w| w.iter().zip(ts.iter()).all(|(a, b)| a == b.as_ref()))
        }
        (Query::TokenWildcard(p), Indexed::Tokens(vs)) => {
            vs.iter().any(|v| wildcard_match(p, v, false))
        }
        (Query::Number { op, value }, Indexed::Num(n)) => {
            n.compare(value.number()).is_some_and(|o| op.accepts(o))
        }
        (Query::IpIn { lo, hi }, Indexed::Ip(a)) => lo <= a && a <= hi,
        (Query::IpRange { op, value }, Indexed::Ip(a)) => op.accepts(a.cmp(value)),
        (Query::Bool(b), Indexed::Bool(v)) => b == v,
        (Query::TextRange { op, value }, Indexed::Term(v)) => {
            op.accepts(v.as_bytes().cmp(value.as_bytes()))
        }
        (Query::DynamicTerm(t), Indexed::Term(v)) => t.as_ref() == v.as_ref(),
        (Query::DynamicTerm(t), Indexed::Num(n)) => parse_number(t.trim())
            .and_then(|q| n.compare(q))
            .is_some_and(|o| o == Ordering::Equal),
        (Query::DynamicTerm(t), Indexed::Bool(b)) => {
            (t.as_ref() == "true" && *b) || (t.as_ref() == "false" && !*b)
        }
        _ => false,
    }
}

/// A string's length in UTF-16 code units (Java `String.length()`, what `ignore_above`
/// counts).
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Java's `Character.toLowerCase` per code point (simple mapping): the one-code-point
/// lowercase where Unicode has one, `İ` (U+0130) → `i`, everything else unchanged.
pub fn java_lower_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c == '\u{130}' {
        return 'i';
    }
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// [`java_lower_char`] over a string (Lucene's `LowerCaseFilter`, the `lowercase`
/// normalizer).
pub fn java_lowercase(s: &str) -> String {
    s.chars().map(java_lower_char).collect()
}

/// Lower-case a Lucene wildcard pattern as a normalizer does: unescaped characters only
/// (`\X` stays `\X`; `*` and `?` are unchanged anyway).
pub fn lowercase_wildcard_pattern(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut it = p.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            out.push(c);
            if let Some(n) = it.next() {
                out.push(n);
            }
        } else {
            out.push(java_lower_char(c));
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WTok {
    Any,
    One,
    /// A character; `exact` when it was escaped (never case-folded).
    Char(char, bool),
}

fn wildcard_tokens(p: &str) -> Vec<WTok> {
    let mut out = Vec::with_capacity(p.len());
    let mut it = p.chars();
    while let Some(c) = it.next() {
        out.push(match c {
            '*' => WTok::Any,
            '?' => WTok::One,
            // A trailing lone backslash is a literal backslash.
            '\\' => WTok::Char(it.next().unwrap_or('\\'), true),
            c => WTok::Char(c, false),
        });
    }
    out
}

/// Anchored Lucene wildcard match (`AutomatonQueries.toWildcardNFA` semantics: `*` any
/// sequence including newlines, `?` one code point, `\x` literal `x`). With
/// `case_insensitive`, unescaped characters match either case (compared lower-cased per
/// code point), escaped ones exactly. Linear in the text for each star-free segment
/// (greedy with one back-track point: O(text × pattern) worst case, never exponential).
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let p = wildcard_tokens(pattern);
    let t: Vec<char> = text.chars().collect();
    let eq = |tok: WTok, c: char| match tok {
        WTok::One => true,
        WTok::Char(x, exact) => {
            x == c || (case_insensitive && !exact && java_lower_char(x) == java_lower_char(c))
        }
        WTok::Any => false,
    };
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] != WTok::Any && eq(p[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == WTok::Any {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&x| x == WTok::Any)
}

/// The tokens of `text` under `analyzer`, appended to `out`.
pub fn analyze(analyzer: Analyzer, text: &str, out: &mut Vec<String>) {
    match analyzer {
        Analyzer::Standard => standard_tokens(text, out),
        Analyzer::PowershellScript => {
            for run in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
                if !run.is_empty() {
                    out.push(run.to_ascii_lowercase());
                }
            }
        }
    }
}

/// The word-break classes of UAX #29 that the standard tokenizer's rules use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wb {
    /// Letters (ALetter, Hebrew_Letter) that join into words.
    Letter,
    Numeric,
    /// `_` and other connector punctuation (ExtendNumLet).
    ExtendNumLet,
    /// `:` `·` … (MidLetter): joins letters only.
    MidLetter,
    /// `.` `'` `’` (MidNumLet, Single_Quote): joins letters and digits.
    MidNumLet,
    /// `,` `;` (MidNum): joins digits only.
    MidNum,
    /// Combining marks, format characters, ZWJ (Extend, Format, ZWJ): attach to the
    /// preceding character.
    Extend,
    /// Ideographs, Hiragana, Thai … : one token per character.
    Single,
    /// Everything else: not part of a token.
    Other,
}

fn wb(c: char) -> Wb {
    match c {
        '_'
        | '\u{203F}'
        | '\u{2040}'
        | '\u{2054}'
        | '\u{FE33}'
        | '\u{FE34}'
        | '\u{FE4D}'..='\u{FE4F}'
        | '\u{FF3F}' => Wb::ExtendNumLet,
        ':' | '\u{B7}' | '\u{387}' | '\u{55F}' | '\u{5F4}' | '\u{2027}' | '\u{FE13}'
        | '\u{FE55}' | '\u{FF1A}' => Wb::MidLetter,
        '.' | '\'' | '\u{2018}' | '\u{2019}' | '\u{2024}' | '\u{FE52}' | '\u{FF07}'
        | '\u{FF0E}' => Wb::MidNumLet,
        ',' | ';' | '\u{37E}' | '\u{589}' | '\u{60C}' | '\u{60D}' | '\u{66C}' | '\u{7F8}'
        | '\u{2044}' | '\u{FE10}' | '\u{FE14}' | '\u{FE50}' | '\u{FE54}' | '\u{FF0C}'
        | '\u{FF1B}' => Wb::MidNum,
        '\u{200C}' | '\u{200D}' | '\u{AD}' | '\u{200E}' | '\u{200F}' | '\u{FE00}'..='\u{FE0F}' => {
            Wb::Extend
        }
        c if c.is_ascii_digit() => Wb::Numeric,
        c if c.is_ascii_alphabetic() => Wb::Letter,
        c if c.is_ascii() => Wb::Other,
        c if is_single(c) => Wb::Single,
        c if is_combining(c) => Wb::Extend,
        c if c.is_numeric() => Wb::Numeric,
        c if c.is_alphabetic() => Wb::Letter,
        _ => Wb::Other,
    }
}

fn is_single(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x309F       // Hiragana
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0x20000..=0x3FFFF   // CJK extensions B…
        | 0x0E00..=0x0E7F     // Thai (Lucene emits whole runs; approximated per char)
        | 0x0E80..=0x0EFF     // Lao
        | 0x1000..=0x109F     // Myanmar
        | 0x1780..=0x17FF     // Khmer
    )
}

fn is_combining(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06DC | 0x0900..=0x0903 | 0x093A..=0x094F
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// Maximum token length of the standard tokenizer: longer tokens are split.
pub const MAX_TOKEN_LENGTH: usize = 255;

/// The standard analyzer's tokens: UAX #29 word segments that contain a letter or digit,
/// lower-cased per code point, each at most [`MAX_TOKEN_LENGTH`] characters.
///
/// Approximation of Lucene's `StandardTokenizer` (documented in DESIGN.md, "KQL"): the
/// word-break rules WB4 (extend), WB5–WB7 (letters joined across `:`, `.`, `'`), WB8–WB12
/// (digits joined across `.`, `,`, `;`), WB13a/b (`_`) are implemented over the classes
/// of [`Wb`]; Katakana, Hangul syllables, emoji sequences and regional indicators are
/// treated as letters or separators by Rust's `char::is_alphabetic`; ideographs,
/// Hiragana and South-East Asian scripts give one token per character.
pub fn standard_tokens(text: &str, out: &mut Vec<String>) {
    let chars: Vec<(char, Wb)> = text.chars().map(|c| (c, wb(c))).collect();
    let n = chars.len();
    // Class of the last non-Extend character at or before i (WB4).
    let base = |i: usize| -> Option<Wb> {
        let mut j = i as isize;
        while j >= 0 {
            let k = chars[j as usize].1;
            if k != Wb::Extend {
                return Some(k);
            }
            j -= 1;
        }
        None
    };
    // The next non-Extend character after i.
    let next_base = |i: usize| -> Option<(usize, Wb)> {
        (i + 1..n)
            .find(|&j| chars[j].1 != Wb::Extend)
            .map(|j| (j, chars[j].1))
    };
    let word = |k: Wb| matches!(k, Wb::Letter | Wb::Numeric | Wb::ExtendNumLet);
    let mut i = 0;
    while i < n {
        let k = chars[i].1;
        if !(word(k) || k == Wb::Single) {
            i += 1;
            continue;
        }
        let start = i;
        if k == Wb::Single {
            i += 1;
            while i < n && chars[i].1 == Wb::Extend {
                i += 1;
            }
        } else {
            // Extend the word while a rule says "no break".
            while let Some(prev) = base(i) {
                let Some((j, next)) = next_base(i) else {
                    // Trailing Extend characters belong to the word.
                    i = n;
                    break;
                };
                if word(prev) && word(next) {
                    i = j;
                    continue;
                }
                let after = next_base(j);
                let joins = matches!(
                    (prev, next, after.map(|x| x.1)),
                    (Wb::Letter, Wb::MidLetter | Wb::MidNumLet, Some(Wb::Letter))
                        | (Wb::Numeric, Wb::MidNum | Wb::MidNumLet, Some(Wb::Numeric))
                );
                match after {
                    Some((k, _)) if joins => i = k,
                    _ => {
                        i = j;
                        break;
                    }
                }
            }
        }
        let seg: Vec<char> = chars[start..i.min(n)].iter().map(|c| c.0).collect();
        let is_token = seg
            .iter()
            .any(|&c| matches!(wb(c), Wb::Letter | Wb::Numeric | Wb::Single));
        if is_token {
            for piece in seg.chunks(MAX_TOKEN_LENGTH) {
                out.push(piece.iter().map(|&c| java_lower_char(c)).collect());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_tokens(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        standard_tokens(s, &mut v);
        v
    }

    #[test]
    fn standard_analyzer_documentation_example() {
        // [DOC:analysis-standard-tokenizer], lower-cased by the standard analyzer.
        assert_eq!(
            std_tokens("The 2 QUICK Brown-Foxes jumped over the lazy dog's bone."),
            [
                "the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog's",
                "bone"
            ]
        );
    }

    #[test]
    fn standard_analyzer_joins_and_splits() {
        assert_eq!(std_tokens("System.Net.WebClient"), ["system.net.webclient"]);
        assert_eq!(
            std_tokens("op-geth dbus-broker"),
            ["op", "geth", "dbus", "broker"]
        );
        assert_eq!(std_tokens("krb5_child"), ["krb5_child"]);
        assert_eq!(std_tokens("1,000.5 x"), ["1,000.5", "x"]);
        assert_eq!(std_tokens("a. b"), ["a", "b"]);
        assert_eq!(std_tokens("ÄBC über"), ["äbc", "über"]);
        assert_eq!(std_tokens("中文"), ["中", "文"]);
        assert_eq!(std_tokens("__ ..."), Vec::<String>::new());
        let long = "a".repeat(300);
        let t = std_tokens(&long);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].len(), 255);
    }

    #[test]
    fn powershell_analyzer() {
        let mut v = Vec::new();
        analyze(
            Analyzer::PowershellScript,
            "[System.Reflection.Assembly]::Load Get-WmiObject été",
            &mut v,
        );
        assert_eq!(
            v,
            [
                "system",
                "reflection",
                "assembly",
                "load",
                "get-wmiobject",
                "t"
            ]
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*\\\\*", "a\\b", false));
        assert!(!wildcard_match("*\\\\*", "ab", false));
        assert!(wildcard_match("a\\?b*", "a?bc", false));
        assert!(!wildcard_match("a\\?b*", "axbc", false));
        assert!(wildcard_match("a?b", "axb", false));
        assert!(wildcard_match("*", "", false));
        assert!(wildcard_match("*x*", "a\nx\n", false));
        assert!(wildcard_match("ABC*", "abcd", true));
        assert!(!wildcard_match("\\ABC*", "abcd", true));
        assert!(!wildcard_match("ABC*", "abcd", false));
        assert!(wildcard_match("a*b*c", "aXbYbZc", false));
        assert!(!wildcard_match("a*b*c", "aXbYbZ", false));
        // A trailing lone backslash is literal.
        assert!(wildcard_match("a\\", "a\\", false));
    }

    #[test]
    fn ignore_above_counts_utf16_units() {
        let t = KqlTest {
            indexing: Indexing::Keyword { lowercase: false },
            ignore_above: Some(3),
            query: Query::Exists,
        };
        assert!(t.matches_value(&Value::Str("abc".into())));
        assert!(!t.matches_value(&Value::Str("abcd".into())));
        assert!(!t.matches_value(&Value::Str("a😀b".into())));
        assert!(t.matches_value(&Value::Str("a😀".into())));
        assert!(!t.matches_value(&Value::Null));
    }

    #[test]
    fn keyword_terms_take_the_text_of_other_json_kinds() {
        let t = KqlTest {
            indexing: Indexing::Keyword { lowercase: false },
            ignore_above: Some(1024),
            query: Query::Term("4624".into()),
        };
        assert!(t.matches_value(&Value::Int(4624)));
        assert!(t.matches_value(&Value::Str("4624".into())));
        assert!(!t.matches_value(&Value::Str("04624".into())));
    }

    #[test]
    fn numbers_and_ips() {
        let t = KqlTest {
            indexing: Indexing::Integer,
            ignore_above: None,
            query: Query::Number {
                op: CmpOp::Ge,
                value: KqlNumber::Int(445),
            },
        };
        assert!(t.matches_value(&Value::Str("445".into())));
        assert!(t.matches_value(&Value::Float(445.9)));
        assert!(!t.matches_value(&Value::Float(444.9)));
        assert!(!t.matches_value(&Value::Str("x".into())));
        let ip = KqlTest {
            indexing: Indexing::Ip,
            ignore_above: None,
            query: Query::IpIn {
                lo: cidr::parse_ip_key("10.0.0.0").unwrap(),
                hi: cidr::parse_ip_key("10.255.255.255").unwrap(),
            },
        };
        assert!(ip.matches_value(&Value::Str("10.1.2.3".into())));
        assert!(ip.matches_value(&Value::Str("::ffff:10.1.2.3".into())));
        assert!(!ip.matches_value(&Value::Str("11.1.2.3".into())));
    }

    #[test]
    fn phrases_are_consecutive_tokens() {
        let t = KqlTest {
            indexing: Indexing::Text(Analyzer::PowershellScript),
            ignore_above: None,
            query: Query::Phrase(vec!["io".into(), "compression".into()].into()),
        };
        assert!(t.matches_value(&Value::Str("System.IO.Compression.GzipStream".into())));
        assert!(!t.matches_value(&Value::Str("IO x Compression".into())));
    }
}
