//! Wildcard patterns for `:`, `like` and `like~`, verbatim sets for `in`/`in~`, and a thin
//! wrapper for already-translated regular expressions (eql-semantics.md B.1, J.6, J.8).
//!
//! Wildcards: `*` matches any run of characters (including none), `?` exactly one
//! character (one Unicode scalar value); the pattern is anchored to the whole value; there
//! is no escape syntax, so every other character, backslash included, is literal
//! (`"C:\\Users\\*"` in EQL is the pattern `C:\Users\*`). Case-insensitive patterns are
//! folded once when built ([`crate::fold`]) and compared against the folded text, which is
//! folded lazily, character by character or chunk by chunk, so ASCII text never allocates.

use std::collections::HashSet;

use crate::cidr;
use crate::fold::{
    contains_folded, ends_with_folded, eq_folded, fold, fold_char, starts_with_folded,
};
use crate::value::Value;

/// One element of a general wildcard pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    AnyChar,
    /// A literal character (already folded for a case-insensitive pattern).
    Lit(char),
}

/// The compiled shape of a wildcard pattern, chosen once at build time. Literal parts are
/// folded when the pattern is case-insensitive; consecutive `*` are merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WildcardForm {
    /// No wildcard: the whole value equals the text.
    Exact(String),
    /// `text*`.
    Prefix(String),
    /// `*text`.
    Suffix(String),
    /// `*text*` (text non-empty).
    Contains(String),
    /// `prefix*suffix` (both non-empty); the two may not overlap in the value.
    PrefixSuffix {
        /// The part before the star.
        prefix: String,
        /// The part after the star.
        suffix: String,
        /// Characters in `prefix` plus characters in `suffix`: the value's minimum length.
        min_chars: usize,
    },
    /// `*` (or `**`…): every value, the empty string included.
    Any,
    /// `prefix*part*…*part*suffix` without `?`, with at least two stars and a part
    /// between them (`prefix` and `suffix` may be empty): the parts are searched in
    /// order, leftmost first, between the prefix and the suffix.
    Sequence {
        prefix: String,
        parts: Vec<String>,
        suffix: String,
        /// The tokens, for the case-folding match of an unfolded text.
        tokens: Vec<Token>,
    },
    /// Anything else (a pattern with a `?`).
    General(Vec<Token>),
}

/// A compiled wildcard pattern (`:`, `like`, `like~`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wildcard {
    form: WildcardForm,
    insensitive: bool,
}

fn tokenize(pattern: &str, insensitive: bool) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::with_capacity(pattern.len());
    for c in pattern.chars() {
        let t = match c {
            '*' => Token::Star,
            '?' => Token::AnyChar,
            c if insensitive => Token::Lit(fold_char(c)),
            c => Token::Lit(c),
        };
        if t == Token::Star && tokens.last() == Some(&Token::Star) {
            continue;
        }
        tokens.push(t);
    }
    tokens
}

fn literal_runs(tokens: &[Token]) -> Option<Vec<String>> {
    // The literal text between stars; None if there is a `?`.
    let mut runs = vec![String::new()];
    for t in tokens {
        match t {
            Token::AnyChar => return None,
            Token::Star => runs.push(String::new()),
            Token::Lit(c) => {
                if let Some(last) = runs.last_mut() {
                    last.push(*c);
                }
            }
        }
    }
    Some(runs)
}

fn classify(tokens: Vec<Token>) -> WildcardForm {
    let Some(mut runs) = literal_runs(&tokens) else {
        return WildcardForm::General(tokens);
    };
    match runs.len() {
        1 => WildcardForm::Exact(runs.pop().unwrap_or_default()),
        2 => {
            let suffix = runs.pop().unwrap_or_default();
            let prefix = runs.pop().unwrap_or_default();
            match (prefix.is_empty(), suffix.is_empty()) {
                (true, true) => WildcardForm::Any,
                (false, true) => WildcardForm::Prefix(prefix),
                (true, false) => WildcardForm::Suffix(suffix),
                (false, false) => WildcardForm::PrefixSuffix {
                    min_chars: prefix.chars().count() + suffix.chars().count(),
                    prefix,
                    suffix,
                },
            }
        }
        // Stars are merged, so a middle run is non-empty.
        3 if runs[0].is_empty() && runs[2].is_empty() => {
            WildcardForm::Contains(std::mem::take(&mut runs[1]))
        }
        _ => {
            let suffix = runs.pop().unwrap_or_default();
            let prefix = runs.remove(0);
            WildcardForm::Sequence {
                prefix,
                parts: runs,
                suffix,
                tokens,
            }
        }
    }
}

/// Greedy matching with backtracking to the last star: O(len(text) × len(pattern)) in the
/// worst case, never exponential. `fold` folds text characters before comparing (the
/// pattern is folded already).
fn general_match(tokens: &[Token], text: &str, fold: bool) -> bool {
    let mut p = 0usize; // next token
    let mut t = 0usize; // byte offset in text
    let mut star: Option<(usize, usize)> = None; // (token after the star, text offset)
    loop {
        if tokens.get(p) == Some(&Token::Star) {
            p += 1;
            star = Some((p, t));
            continue;
        }
        let Some(c) = text[t..].chars().next() else {
            // Text consumed: the rest of the pattern must be stars only (merged, so at most
            // one, and it would have been skipped above).
            return p == tokens.len();
        };
        let c = if fold { fold_char(c) } else { c };
        let ok = match tokens.get(p) {
            Some(Token::AnyChar) => true,
            Some(Token::Lit(l)) => *l == c,
            _ => false,
        };
        if ok {
            p += 1;
            t += text[t..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        match star {
            Some((after_star, from)) => {
                // Let the last star swallow one more character and retry from there.
                let next = from + text[from..].chars().next().map_or(1, char::len_utf8);
                star = Some((after_star, next));
                p = after_star;
                t = next;
            }
            None => return false,
        }
    }
}

/// `prefix*parts[0]*…*suffix` on `text`: the prefix and suffix in place (not overlapping),
/// each part found after the previous one (leftmost first is enough for `*`).
fn sequence_match(prefix: &str, parts: &[String], suffix: &str, text: &str) -> bool {
    if text.len() < prefix.len() + suffix.len()
        || !text.starts_with(prefix)
        || !text.ends_with(suffix)
    {
        return false;
    }
    let mut rest = &text.as_bytes()[prefix.len()..text.len() - suffix.len()];
    for part in parts {
        match memchr::memmem::find(rest, part.as_bytes()) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

impl Wildcard {
    /// Compiles `pattern`; `insensitive` for `:` and `like~` (folds the pattern once).
    pub fn new(pattern: &str, insensitive: bool) -> Wildcard {
        Wildcard {
            form: classify(tokenize(pattern, insensitive)),
            insensitive,
        }
    }

    /// The compiled shape (for code generation and diagnostics).
    pub fn form(&self) -> &WildcardForm {
        &self.form
    }

    /// Whether the pattern compares folded text.
    pub fn is_insensitive(&self) -> bool {
        self.insensitive
    }

    /// Whether the whole of `text` matches the pattern.
    pub fn matches(&self, text: &str) -> bool {
        if self.insensitive {
            self.matches_insensitive(text)
        } else {
            self.matches_sensitive(text)
        }
    }

    fn matches_sensitive(&self, text: &str) -> bool {
        match &self.form {
            WildcardForm::Exact(s) => text == s,
            WildcardForm::Prefix(p) => text.starts_with(p.as_str()),
            WildcardForm::Suffix(s) => text.ends_with(s.as_str()),
            WildcardForm::Contains(s) => text.contains(s.as_str()),
            WildcardForm::PrefixSuffix { prefix, suffix, .. } => {
                text.len() >= prefix.len() + suffix.len()
                    && text.starts_with(prefix.as_str())
                    && text.ends_with(suffix.as_str())
            }
            WildcardForm::Any => true,
            WildcardForm::Sequence {
                prefix,
                parts,
                suffix,
                ..
            } => sequence_match(prefix, parts, suffix, text),
            WildcardForm::General(tokens) => general_match(tokens, text, false),
        }
    }

    /// Whether `folded` (a text already folded with [`crate::fold::fold`]) matches a
    /// case-insensitive pattern (for a case-sensitive pattern, the same as
    /// [`Wildcard::matches`]). Folding keeps a text's characters one for one, so a
    /// folded pattern compared exactly with a folded text is the case-insensitive match.
    pub fn matches_folded(&self, folded: &str) -> bool {
        self.matches_sensitive(folded)
    }

    fn matches_insensitive(&self, text: &str) -> bool {
        match &self.form {
            WildcardForm::Exact(s) => eq_folded(text, s),
            WildcardForm::Prefix(p) => starts_with_folded(text, p),
            WildcardForm::Suffix(s) => ends_with_folded(text, s),
            WildcardForm::Contains(s) => contains_folded(text, s),
            WildcardForm::PrefixSuffix {
                prefix,
                suffix,
                min_chars,
            } => {
                // Folding keeps the number of characters, so the overlap check can count
                // characters of the unfolded text.
                let long_enough = if text.is_ascii() {
                    text.len() >= *min_chars
                } else {
                    text.chars().count() >= *min_chars
                };
                long_enough && starts_with_folded(text, prefix) && ends_with_folded(text, suffix)
            }
            WildcardForm::Any => true,
            WildcardForm::Sequence { tokens, .. } | WildcardForm::General(tokens) => {
                general_match(tokens, text, true)
            }
        }
    }

    /// Whether `value` matches: strings directly; numbers and booleans through their text
    /// ([`Value::to_text`], J.7: a keyword field holding a JSON number); `false` for null.
    pub fn matches_value(&self, value: &Value<'_>) -> bool {
        crate::value::with_text(value, |t| self.matches(t)).unwrap_or(false)
    }
}

/// The literal list of `in` / `in~` (and `not in`): membership is verbatim, `*` and `?` are
/// ordinary characters. `in~` folds both the literals (once) and the value.
///
/// Values are compared with the J.7 coercions of [`Value::eq_literal`]: a number matches
/// its canonical text (`7 in ("7")`), a numeric string matches a number (`"7" in (7)`), and
/// two IP addresses match when they are the same address. `null` literals never match
/// anything, and a null value is in no set (`f not in ("a", null)` is true for a missing
/// `f`, J.1).
#[derive(Debug, Clone, Default)]
pub struct InSet {
    strings: HashSet<String>,
    others: Vec<Value<'static>>,
    ips: Vec<u128>,
    insensitive: bool,
}

impl InSet {
    /// Builds the set from the literals of the list.
    pub fn new<'x>(literals: impl IntoIterator<Item = &'x Value<'x>>, insensitive: bool) -> InSet {
        let mut set = InSet {
            insensitive,
            ..InSet::default()
        };
        for lit in literals {
            match lit {
                Value::Null => {}
                Value::Str(s) => {
                    if cidr::looks_like_ip(s) {
                        if let Some(k) = cidr::parse_ip_key(s) {
                            set.ips.push(k);
                        }
                    }
                    let s = if insensitive { fold(s) } else { s.clone() };
                    set.strings.insert(s.into_owned());
                }
                other => set.others.push(other.clone().into_owned()),
            }
        }
        set
    }

    /// Builds a set of string literals only.
    pub fn from_strs<'x>(literals: impl IntoIterator<Item = &'x str>, insensitive: bool) -> InSet {
        let values: Vec<Value<'x>> = literals.into_iter().map(Value::from).collect();
        InSet::new(values.iter(), insensitive)
    }

    /// Whether `text` is one of the string literals (folded first for `in~`), or the same
    /// IP address as one.
    pub fn contains_str(&self, text: &str) -> bool {
        let hit = if self.insensitive {
            self.strings.contains(fold(text).as_ref())
        } else {
            self.strings.contains(text)
        };
        hit || (!self.ips.is_empty()
            && cidr::looks_like_ip(text)
            && cidr::parse_ip_key(text).is_some_and(|k| self.ips.contains(&k)))
    }

    /// Whether `value` is in the set (see the type documentation for coercions).
    pub fn contains(&self, value: &Value<'_>) -> bool {
        match value {
            Value::Null => false,
            Value::Str(s) => {
                self.contains_str(s)
                    || self
                        .others
                        .iter()
                        .any(|lit| value.eq_literal(lit) == Some(true))
            }
            other => {
                self.others
                    .iter()
                    .any(|lit| other.eq_literal(lit) == Some(true))
                    || (!self.strings.is_empty()
                        && crate::value::with_text(other, |t| {
                            if self.insensitive {
                                self.strings.contains(fold(t).as_ref())
                            } else {
                                self.strings.contains(t)
                            }
                        })
                        .unwrap_or(false))
            }
        }
    }

    /// Whether the set has no (non-null) literal.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty() && self.others.is_empty()
    }
}

/// A regular expression already translated from Lucene syntax by the compiler (J.6),
/// matched against whole values.
#[derive(Debug, Clone)]
pub struct RegexMatcher {
    regex: regex::Regex,
}

impl RegexMatcher {
    /// Compiles `translated` (a `regex`-crate pattern) anchored at both ends (`\A(?:…)\z`,
    /// harmless if the compiler anchored it already); `insensitive` for `regex~` (the
    /// `regex` crate's Unicode simple case folding).
    pub fn new(translated: &str, insensitive: bool) -> Result<RegexMatcher, regex::Error> {
        let anchored = format!(r"\A(?:{translated})\z");
        let regex = regex::RegexBuilder::new(&anchored)
            .case_insensitive(insensitive)
            .build()?;
        Ok(RegexMatcher { regex })
    }

    /// Whether the whole of `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// Whether `value` matches: strings directly, numbers and booleans through their text,
    /// `false` for null.
    pub fn matches_value(&self, value: &Value<'_>) -> bool {
        crate::value::with_text(value, |t| self.is_match(t)).unwrap_or(false)
    }

    /// The anchored pattern that was compiled.
    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }
}

/// Many `*needle*` patterns tested with one Aho-Corasick automaton (one pass over the
/// text) instead of one `contains` each. Case-insensitive sets hold folded needles; an
/// ASCII text is matched without folding (the automaton is ASCII-case-insensitive), a
/// non-ASCII text is folded first, since a non-ASCII character can fold to an ASCII one
/// (`K`, the Kelvin sign, folds to `k`).
#[derive(Debug, Clone)]
pub struct ContainsSet {
    automaton: aho_corasick::AhoCorasick,
    insensitive: bool,
}

impl ContainsSet {
    /// A set of needles (folded by the caller when `insensitive`). `None` only if the
    /// automaton cannot be built (it can for any set of strings within memory limits).
    pub fn new<'x>(
        needles: impl IntoIterator<Item = &'x str>,
        insensitive: bool,
    ) -> Option<ContainsSet> {
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(insensitive)
            .build(needles)
            .ok()?;
        Some(ContainsSet {
            automaton,
            insensitive,
        })
    }

    /// Does `text` contain one of the needles?
    pub fn matches(&self, text: &str) -> bool {
        if self.insensitive && !text.is_ascii() {
            return self.automaton.is_match(crate::fold::fold(text).as_ref());
        }
        self.automaton.is_match(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::borrow::Cow;

    fn m(pattern: &str, text: &str) -> bool {
        Wildcard::new(pattern, false).matches(text)
    }

    fn mi(pattern: &str, text: &str) -> bool {
        Wildcard::new(pattern, true).matches(text)
    }

    /// The reference: a direct recursive reading of the definition.
    fn naive(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => naive(rest, t) || (!t.is_empty() && naive(p, &t[1..])),
            Some(('?', rest)) => !t.is_empty() && naive(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && naive(rest, &t[1..]),
        }
    }

    fn naive_match(pattern: &str, text: &str, insensitive: bool) -> bool {
        let f = |s: &str| -> Vec<char> {
            s.chars()
                .map(|c| if insensitive { fold_char(c) } else { c })
                .collect()
        };
        naive(&f(pattern), &f(text))
    }

    #[test]
    fn contains_sets() {
        let set = ContainsSet::new(["comsvcs", "ärzte", "kelvin"], true).unwrap();
        assert!(set.matches("C:\\Windows\\COMSVCS.dll"));
        assert!(set.matches("die ÄRZTE"));
        assert!(set.matches("\u{212A}ELVIN"));
        assert!(!set.matches("comsvc"));
        let sensitive = ContainsSet::new(["Abc"], false).unwrap();
        assert!(sensitive.matches("xAbcx") && !sensitive.matches("xabcx"));
    }

    #[test]
    fn spec_examples() {
        assert!(m("doc*", "doc") && m("doc*", "docs") && m("doc*", "document"));
        assert!(!m("doc*", "adoc"));
        assert!(m("?doc", "adoc") && !m("?doc", "asciidoc") && !m("?doc", "doc"));
        let windows = "C:\\Users\\*";
        assert!(m(windows, "C:\\Users\\bob\\x.exe"));
        assert!(!m(windows, "C:/Users/bob"));
        assert!(mi("*\\red_ttp\\wininit.*", "C:\\Red_TTP\\WinInit.EXE"));
        assert!(!m("*\\red_ttp\\wininit.*", "C:\\Red_TTP\\WinInit.EXE"));
    }

    #[test]
    fn forms() {
        let f = |p: &str| Wildcard::new(p, false).form().clone();
        assert_eq!(f("abc"), WildcardForm::Exact("abc".into()));
        assert_eq!(f(""), WildcardForm::Exact(String::new()));
        assert_eq!(f("ab*"), WildcardForm::Prefix("ab".into()));
        assert_eq!(f("**ab"), WildcardForm::Suffix("ab".into()));
        assert_eq!(f("*ab**"), WildcardForm::Contains("ab".into()));
        assert_eq!(f("*"), WildcardForm::Any);
        assert_eq!(f("***"), WildcardForm::Any);
        assert!(matches!(
            f("a*b"),
            WildcardForm::PrefixSuffix { min_chars: 2, .. }
        ));
        assert!(matches!(f("a?b"), WildcardForm::General(_)));
        assert!(matches!(f("*a*b*"), WildcardForm::Sequence { .. }));
        assert!(matches!(f("x*a*b"), WildcardForm::Sequence { .. }));
        assert_eq!(
            Wildcard::new("*ÄRZTE*", true).form(),
            &WildcardForm::Contains("ärzte".into())
        );
    }

    #[test]
    fn edge_cases() {
        assert!(m("", "") && !m("", "a"));
        assert!(m("*", "") && m("*", "anything"));
        assert!(m("?", "ä") && !m("?", "") && !m("?", "ab"));
        assert!(m("??", "日本") && !m("?", "日本"));
        assert!(m("ab*ba", "abba") && !m("ab*ba", "aba") && m("ab*ba", "abxba"));
        assert!(mi("AB*BA", "abba") && !mi("ab*ba", "ABA"));
        assert!(mi("ä*ä", "ÄÄ") && !mi("ä*ä", "Ä"));
        assert!(m("a*b*c", "aXbYc") && m("a*b*c", "abc") && !m("a*b*c", "acb"));
        assert!(m("*a?c*", "xxabcxx") && !m("*a?c*", "xxacxx"));
        assert!(m("1*", "1*") && m("1?", "12"));
        // exponential inputs for a naive backtracker are fine here
        let text = "a".repeat(5000);
        assert!(!m("*a*a*a*a*a*a*a*a*b", &text));
        assert!(!mi("*A*A*A*A*A*A*A*A*B", &text));
    }

    #[test]
    fn insensitive() {
        assert!(mi("ΣΊΓΜΑ", "σίγμα") && mi("σίγμας", "ΣΊΓΜΑΣ") && mi("*ς", "ΟΔΟΣ"));
        assert!(mi("ärzte", "ÄRZTE") && mi("ÄRZTE", "ärzte"));
        assert!(mi("explorer.*", "EXPLORER.EXE"));
        assert!(mi("*.exe", "CMD.EXE") && !mi("*.exe", "CMD.EX"));
        assert!(mi("k*", "\u{212A}elvin"));
        assert!(mi("?RZTE", "ärzte"));
        assert!(!m("ärzte", "ÄRZTE"));
    }

    #[test]
    fn values() {
        let w = Wildcard::new("1*", true);
        assert!(w.matches_value(&Value::Int(17)));
        assert!(!w.matches_value(&Value::Null));
        assert!(Wildcard::new("t*", false).matches_value(&Value::Bool(true)));
    }

    #[test]
    fn in_sets() {
        let lits = [
            Value::from("1*"),
            Value::from("CMD.exe"),
            Value::Null,
            Value::Int(5),
        ];
        let set = InSet::new(lits.iter(), false);
        assert!(set.contains(&Value::from("1*")));
        assert!(!set.contains(&Value::from("12")));
        assert!(!set.contains(&Value::from("cmd.exe")));
        assert!(set.contains(&Value::from("CMD.exe")));
        assert!(set.contains(&Value::Int(5)));
        assert!(set.contains(&Value::from("5")));
        assert!(!set.contains(&Value::Null));
        let ci = InSet::new(lits.iter(), true);
        assert!(ci.contains(&Value::from("cmd.EXE")));
        assert!(ci.contains(&Value::from("1*")));
        assert!(!ci.contains(&Value::from("12")));
        let nums = InSet::from_strs(["7", "::1"], false);
        assert!(nums.contains(&Value::Int(7)));
        assert!(nums.contains(&Value::from("0:0::1")));
        assert!(!nums.contains(&Value::Float(7.0)));
        assert!(!nums.is_empty() && InSet::new([].iter(), false).is_empty());
        let greek = InSet::from_strs(["ΣΊΓΜΑ"], true);
        assert!(greek.contains(&Value::Str(Cow::Borrowed("σίγμα"))));
    }

    #[test]
    fn regexes() {
        let r = RegexMatcher::new(r".*?net1.*?", false).expect("valid");
        assert!(r.is_match("C:\\net1 user"));
        assert!(!r.is_match("NET1"));
        let ri = RegexMatcher::new("net[0-9]", true).expect("valid");
        assert!(ri.is_match("NET1") && !ri.is_match("xnet1"));
        assert!(ri.matches_value(&Value::from("Net7")) && !ri.matches_value(&Value::Null));
        let alt = RegexMatcher::new("a|b", false).expect("valid");
        assert!(!alt.is_match("ab") && alt.is_match("b"));
        assert!(RegexMatcher::new("(", false).is_err());
        assert!(RegexMatcher::new("[0-9]+", false)
            .expect("valid")
            .matches_value(&Value::Int(42)));
        assert!(r.as_str().starts_with(r"\A"));
    }

    fn pattern_strategy() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                'a', 'b', 'A', '*', '*', '?', 'é', 'É', 'σ', 'ς', 'Σ', '\\', 'k',
            ]),
            0..10,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                'a', 'b', 'A', 'B', 'é', 'É', 'σ', 'ς', 'Σ', '\\', 'k', 'K', '\u{212A}', '*',
            ]),
            0..14,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn compiled_agrees_with_naive(p in pattern_strategy(), t in text_strategy(), ci in any::<bool>()) {
            let w = Wildcard::new(&p, ci);
            prop_assert_eq!(w.matches(&t), naive_match(&p, &t, ci), "pattern {:?} text {:?} ci {}", p, t, ci);
        }

        #[test]
        fn general_agrees_with_naive(p in pattern_strategy(), t in text_strategy(), ci in any::<bool>()) {
            // Force the general algorithm even for shapes that have a special form.
            let tokens = tokenize(&p, ci);
            prop_assert_eq!(general_match(&tokens, &t, ci), naive_match(&p, &t, ci));
        }

        #[test]
        fn folded_text_agrees(p in pattern_strategy(), t in text_strategy(), ci in any::<bool>()) {
            let w = Wildcard::new(&p, ci);
            let text = if ci { crate::fold::fold(&t).into_owned() } else { t.clone() };
            prop_assert_eq!(w.matches_folded(&text), w.matches(&t), "pattern {:?} text {:?}", p, t);
        }

        #[test]
        fn arbitrary_unicode_never_panics(p in "\\PC{0,8}", t in "\\PC{0,16}", ci in any::<bool>()) {
            let w = Wildcard::new(&p, ci);
            prop_assert_eq!(w.matches(&t), naive_match(&p, &t, ci));
        }
    }
}
