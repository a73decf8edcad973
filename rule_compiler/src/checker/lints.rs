//! Lints: likely mistakes that Elasticsearch accepts silently, reported as warnings
//! with the fix in the help.
//!
//! * `literal-wildcard`: a `*` or `?` in a string compared with `==`, `!=` or
//!   `in (…)`, where it is a literal character (only `:` and `like` have wildcards).
//! * `conflicting-values`: a field that holds one value (the schema says so) required
//!   equal to two different values under one `and`, which no event satisfies.
//!
//! Each is tuned on Elastic's detection-rules corpus to keep false alarms out (see
//! docs/DESIGN.md, "Lints"): when in doubt, a lint stays silent.

use super::Checker;
use crate::ast::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::printer::{clip, excerpt};
use crate::schema::{FieldType, Lookup};

impl Checker<'_> {
    /// `x == "a*"` / `x != "a*"`: the `*` is literal there.
    pub(super) fn literal_wildcard_compare(&mut self, op: CmpOp, lhs: &Expr, rhs: &Expr) {
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            return;
        }
        for (subject, lit) in [(lhs, rhs), (rhs, lhs)] {
            let ExprKind::Str(text) = &lit.kind else {
                continue;
            };
            if subject.is_literal() {
                continue;
            }
            let Some(chars) = wildcards(text) else {
                continue;
            };
            let subject = excerpt(subject);
            let quoted = quote(text);
            let (message, help) = if op == CmpOp::Eq {
                (
                    format!("{chars} in `{subject} == {quoted}` is a literal character, not a wildcard"),
                    format!(
                        "`==` compares the whole text; to match a pattern, write `{subject} : {quoted}` (case-insensitive) or `{subject} like {quoted}` (case-sensitive)"
                    ),
                )
            } else {
                (
                    format!("{chars} in `{subject} != {quoted}` is a literal character, not a wildcard"),
                    format!(
                        "`!=` compares the whole text; to exclude a pattern, write `not {subject} : {quoted}` (case-insensitive) or `not {subject} like {quoted}` (case-sensitive)"
                    ),
                )
            };
            self.out.push(
                Diagnostic::warning(Code::LiteralWildcard, lit.span, message).with_help(help),
            );
        }
    }

    /// `x in ("a*", "b")`: the `*` is literal there. One warning per list, at its first
    /// such string.
    pub(super) fn literal_wildcard_in(
        &mut self,
        lhs: &Expr,
        list: &[Expr],
        negated: bool,
        insensitive: bool,
    ) {
        let mut flagged = list.iter().filter_map(|item| match &item.kind {
            ExprKind::Str(text) => wildcards(text).map(|chars| (item, text, chars)),
            _ => None,
        });
        let Some((first, text, chars)) = flagged.next() else {
            return;
        };
        let others = flagged.count();
        let subject = excerpt(lhs);
        let op = match (negated, insensitive) {
            (false, false) => "in",
            (false, true) => "in~",
            (true, false) => "not in",
            (true, true) => "not in~",
        };
        let more = match others {
            0 => String::new(),
            1 => " (and in 1 more string of the list)".to_string(),
            n => format!(" (and in {n} more strings of the list)"),
        };
        let message = format!(
            "{chars} in {} in `{subject} {op} (…)` is a literal character, not a wildcard{more}",
            quote(text)
        );
        let not = if negated { "not " } else { "" };
        let help = if insensitive {
            format!(
                "`{op}` compares whole texts; to match patterns, write `{not}{subject} : (…)` with the same list"
            )
        } else {
            format!(
                "`{op}` compares whole texts; to match patterns, write `{not}{subject} : (…)` (case-insensitive) or `{not}{subject} like (…)` (case-sensitive) with the same list"
            )
        };
        self.out
            .push(Diagnostic::warning(Code::LiteralWildcard, first.span, message).with_help(help));
    }

    /// The operands of one `and` chain: a field that holds one value cannot equal two
    /// different values.
    pub(super) fn conflicting_values(&mut self, operands: &[Expr]) {
        let Some(schema) = self.schema else {
            return;
        };
        let mut seen: Vec<(&Field, FieldType, Constraint<'_>)> = Vec::new();
        for x in operands {
            let Some((field, c)) = Constraint::of(x) else {
                continue;
            };
            let Lookup::Known(ty) = schema.lookup(&field.path) else {
                continue;
            };
            if !matches!(
                ty,
                FieldType::String
                    | FieldType::Integer
                    | FieldType::Float
                    | FieldType::Boolean
                    | FieldType::Ip
            ) || schema.holds_one_value(&field.path) != Some(true)
            {
                continue;
            }
            let clash = seen
                .iter()
                .find(|(f, _, before)| f.path == field.path && !before.meets(&c, ty));
            if let Some((_, _, before)) = clash {
                let path = clip(&field.path);
                self.out.push(
                    Diagnostic::warning(
                        Code::ConflictingValues,
                        x.span,
                        format!(
                            "`{}` and `{}` are never both true: `{path}` holds one value",
                            excerpt(before.expr),
                            excerpt(x)
                        ),
                    )
                    .with_help(format!(
                        "the `and` never matches; to accept either value, join them with `or` or list them: `{path} in (…)`"
                    )),
                );
                continue;
            }
            seen.push((field, ty, c));
        }
    }
}

/// What an operand of `and` requires of a field: one of these values.
struct Constraint<'a> {
    expr: &'a Expr,
    values: Vec<&'a ExprKind>,
    /// Strings compared ignoring case (`:`, `in~`, `like~`).
    insensitive: bool,
}

impl<'a> Constraint<'a> {
    /// `f == v`, `f in (v, …)`, `f : "v"` (no wildcard), `f like "v"`: the field and
    /// the values it must equal. Anything else (`!=`, `not in`, patterns, regexes,
    /// `null`, non-literal values) constrains nothing here.
    fn of(e: &'a Expr) -> Option<(&'a Field, Constraint<'a>)> {
        let literal = |x: &'a Expr| {
            matches!(
                x.kind,
                ExprKind::Str(_) | ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_)
            )
            .then_some(&x.kind)
        };
        let (field, values, insensitive) = match &e.kind {
            ExprKind::Compare {
                op: CmpOp::Eq,
                lhs,
                rhs,
            } => match (&lhs.kind, &rhs.kind) {
                (ExprKind::Field(f), _) => (f, vec![literal(rhs)?], false),
                (_, ExprKind::Field(f)) => (f, vec![literal(lhs)?], false),
                _ => return None,
            },
            ExprKind::In {
                lhs,
                list,
                negated: false,
                insensitive,
            } => {
                let ExprKind::Field(f) = &lhs.kind else {
                    return None;
                };
                let values = list.iter().map(literal).collect::<Option<Vec<_>>>()?;
                (f, values, *insensitive)
            }
            ExprKind::Pattern {
                op: op @ (PatternOp::Colon | PatternOp::Like | PatternOp::LikeInsensitive),
                lhs,
                patterns,
                ..
            } => {
                let ExprKind::Field(f) = &lhs.kind else {
                    return None;
                };
                let values = patterns
                    .iter()
                    .map(|p| match &p.kind {
                        ExprKind::Str(s) if !s.contains(['*', '?']) => Some(&p.kind),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                (f, values, op.is_insensitive())
            }
            _ => return None,
        };
        if values.is_empty() {
            return None;
        }
        Some((
            field,
            Constraint {
                expr: e,
                values,
                insensitive,
            },
        ))
    }

    /// Can one value of a `ty` field satisfy both? When unsure (values of mixed kinds,
    /// IPs that do not parse), yes.
    fn meets(&self, other: &Constraint<'_>, ty: FieldType) -> bool {
        let insensitive = self.insensitive || other.insensitive;
        self.values.iter().any(|a| {
            other
                .values
                .iter()
                .any(|b| may_equal(a, b, ty, insensitive))
        })
    }
}

fn may_equal(a: &ExprKind, b: &ExprKind, ty: FieldType, insensitive: bool) -> bool {
    use ExprKind::*;
    match (a, b) {
        (Str(x), Str(y)) if ty == FieldType::Ip => {
            match (x.parse::<std::net::IpAddr>(), y.parse::<std::net::IpAddr>()) {
                (Ok(p), Ok(q)) => p == q,
                _ => true,
            }
        }
        (Str(x), Str(y)) if insensitive => x == y || x.to_lowercase() == y.to_lowercase(),
        (Str(x), Str(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        // Precision is not the point here: equal as floats.
        (Int(x), Float(y)) | (Float(y), Int(x)) => (*x as f64) == *y,
        (Float(x), Float(y)) => x == y,
        (Bool(x), Bool(y)) => x == y,
        _ => true,
    }
}

/// The wildcard characters of a string compared with `==`, `!=` or `in`, named for a
/// message (`` `*` ``, `` `?` ``, `` `*` and `?` ``), or `None` if it does not look
/// like a pattern. Not counted: a string of nothing but `*`, `?` and `.` (`"*"`,
/// `"*.*"`: a literal argument), the registry key `HKEY_CLASSES_ROOT\*` (all file
/// types), and a `?` in `\\?\` or `\??\` (Windows device paths), before a `=` (a URL
/// query) or alone in a help flag (`/?`, `-?`).
fn wildcards(s: &str) -> Option<&'static str> {
    if s.chars().all(|c| matches!(c, '*' | '?' | '.')) {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let star = s.char_indices().any(|(i, c)| {
        c == '*'
            && !{
                let before = &lower[..i];
                s[i + 1..].starts_with('\\')
                    && (before.ends_with("classes\\")
                        || before.ends_with("classes_root\\")
                        || before.ends_with("hkcr\\"))
            }
    });
    // Windows' `\\?\` (long path) and `\??\` (NT object path) prefixes hold a literal `?`.
    let mut prefixes = Vec::new();
    for needle in ["\\\\?\\", "\\??\\"] {
        prefixes.extend(s.match_indices(needle).map(|(at, m)| at..at + m.len()));
    }
    let question = !matches!(s, "/?" | "-?" | "--?")
        && s.char_indices().any(|(i, c)| {
            let in_prefix = prefixes.iter().any(|r| r.contains(&i));
            c == '?' && !in_prefix && !s[i + 1..].contains('=')
        });
    match (star, question) {
        (true, true) => Some("`*` and `?`"),
        (true, false) => Some("`*`"),
        (false, true) => Some("`?`"),
        (false, false) => None,
    }
}

/// A string as an EQL literal for a message, clipped.
fn quote(s: &str) -> String {
    format!("{:?}", clip(s).as_ref())
}

#[cfg(test)]
mod tests {
    use super::wildcards;

    #[test]
    fn what_looks_like_a_wildcard() {
        assert_eq!(wildcards("/text:*"), Some("`*`"));
        assert_eq!(wildcards("--ofile*"), Some("`*`"));
        assert_eq!(wildcards("*.exe"), Some("`*`"));
        assert_eq!(wildcards("C:\\Windows\\?.exe"), Some("`?`"));
        assert_eq!(wildcards("a*b?c"), Some("`*` and `?`"));
        for literal in [
            "*",
            "*.*",
            "?",
            "/?",
            "-?",
            "\\\\?\\C:\\x",
            "\\??\\C:\\x",
            "/index.php?id=1",
            "HKEY_CLASSES_ROOT\\*\\shell\\open",
            "HKCR\\*\\shellex",
            "plain",
        ] {
            assert_eq!(wildcards(literal), None, "{literal}");
        }
    }
}
