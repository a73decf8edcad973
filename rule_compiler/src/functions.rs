//! The EQL function table (Elasticsearch's function reference, `eql-semantics.md` §F):
//! names resolved case-insensitively, arity, and which have a `~` variant.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Function {
    Add,
    Between,
    CidrMatch,
    Concat,
    Divide,
    EndsWith,
    IndexOf,
    Length,
    Modulo,
    Multiply,
    Number,
    StartsWith,
    String,
    StringContains,
    Substring,
    Subtract,
}

/// What a function returns, for the checker's type warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReturnType {
    Boolean,
    Number,
    Text,
}

pub struct Signature {
    pub function: Function,
    /// The canonical spelling.
    pub name: &'static str,
    pub min_args: usize,
    /// `None`: variadic.
    pub max_args: Option<usize>,
    /// Has a case-insensitive `name~` variant.
    pub insensitive_variant: bool,
    pub returns: ReturnType,
}

const fn sig(
    function: Function,
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    insensitive_variant: bool,
    returns: ReturnType,
) -> Signature {
    Signature {
        function,
        name,
        min_args,
        max_args,
        insensitive_variant,
        returns,
    }
}

use Function as F;
use ReturnType::*;

pub const SIGNATURES: &[Signature] = &[
    sig(F::Add, "add", 2, Some(2), false, Number),
    sig(F::Between, "between", 3, Some(4), true, Text),
    sig(F::CidrMatch, "cidrMatch", 2, None, false, Boolean),
    sig(F::Concat, "concat", 1, None, false, Text),
    sig(F::Divide, "divide", 2, Some(2), false, Number),
    sig(F::EndsWith, "endsWith", 2, Some(2), true, Boolean),
    sig(F::IndexOf, "indexOf", 2, Some(3), true, Number),
    sig(F::Length, "length", 1, Some(1), false, Number),
    sig(F::Modulo, "modulo", 2, Some(2), false, Number),
    sig(F::Multiply, "multiply", 2, Some(2), false, Number),
    sig(F::Number, "number", 1, Some(2), false, Number),
    sig(F::StartsWith, "startsWith", 2, Some(2), true, Boolean),
    sig(F::String, "string", 1, Some(1), false, Text),
    sig(
        F::StringContains,
        "stringContains",
        2,
        Some(2),
        true,
        Boolean,
    ),
    sig(F::Substring, "substring", 2, Some(3), false, Text),
    sig(F::Subtract, "subtract", 2, Some(2), false, Number),
];

/// Endgame/Python EQL functions that Elasticsearch does not support.
pub const UNSUPPORTED: &[(&str, &str)] = &[
    ("arrayContains", "Endgame array function"),
    ("arrayCount", "Endgame array function"),
    ("arraySearch", "Endgame array function"),
    ("match", "Endgame regex function"),
    ("matchLite", "Endgame regex function"),
    ("safe", "Endgame function"),
    ("wildcard", "Endgame function"),
];

/// Resolve a function name case-insensitively (`CONCAT`, `startswith` …).
pub fn lookup(name: &str) -> Option<&'static Signature> {
    SIGNATURES
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The reason an Endgame function is rejected, if `name` is one.
pub fn unsupported(name: &str) -> Option<(&'static str, &'static str)> {
    UNSUPPORTED
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .copied()
}

impl Signature {
    pub fn arity_text(&self) -> String {
        match self.max_args {
            Some(max) if max == self.min_args => format!("{max}"),
            Some(max) => format!("{} to {}", self.min_args, max),
            None => format!("at least {}", self.min_args),
        }
    }
}

/// The closest known function name, for "did you mean" hints.
pub fn suggest(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    SIGNATURES
        .iter()
        .map(|s| (edit_distance(&lower, &s.name.to_ascii_lowercase()), s.name))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n)
}

/// The optimal-string-alignment distance of two strings: insertions, deletions,
/// substitutions and transpositions of neighbours (`nmae` → `name` is 1), in characters.
/// Also the checker's "did you mean" for fields.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for transpositions), the previous and the current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup("CONCAT").map(|s| s.function), Some(F::Concat));
        assert_eq!(
            lookup("startswith").map(|s| s.function),
            Some(F::StartsWith)
        );
        assert!(lookup("strlen").is_none());
        assert_eq!(suggest("lenght"), Some("length"));
        assert_eq!(edit_distance("nmae", "name"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("ca", "abc"), 3);
        assert_eq!(
            unsupported("ARRAYCONTAINS").map(|u| u.0),
            Some("arrayContains")
        );
    }
}
