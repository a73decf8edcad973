//! The AST printed back to EQL text.
//!
//! Parentheses are added exactly where precedence needs them, so parsing the printed
//! text gives the same tree (spans aside): the property tests check this round trip.
//! Used in diagnostics and in the doc comments of generated code.

use crate::ast::*;
use std::fmt::{self, Display, Formatter, Write as _};

/// Binding strength of an expression, weakest first.
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Or(..) => 1,
        ExprKind::And(..) => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare { .. } => 4,
        ExprKind::Arith {
            op: ArithOp::Add | ArithOp::Sub,
            ..
        } => 5,
        ExprKind::Arith { .. } => 6,
        ExprKind::Neg(_) => 7,
        ExprKind::Int(n) if *n < 0 => 7,
        ExprKind::Float(f) if f.is_sign_negative() => 7,
        ExprKind::Pattern { .. } | ExprKind::In { .. } => 8,
        _ => 9,
    }
}

struct Prec<'a>(&'a Expr, u8);

impl Display for Prec<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if precedence(self.0) < self.1 {
            write!(f, "({})", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Null => f.write_str("null"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Int(n) => write!(f, "{n}"),
            ExprKind::Float(x) => write!(f, "{x:?}"),
            ExprKind::Str(s) => write_string(f, s),
            ExprKind::Field(field) => write!(f, "{field}"),
            ExprKind::Call {
                name,
                insensitive,
                args,
            } => {
                write!(f, "{name}{}(", if *insensitive { "~" } else { "" })?;
                write_list(f, args)?;
                f.write_str(")")
            }
            ExprKind::Neg(e) => write!(f, "-{}", Prec(e, 8)),
            ExprKind::Arith { op, lhs, rhs } => {
                let p = if matches!(op, ArithOp::Add | ArithOp::Sub) {
                    5
                } else {
                    6
                };
                write!(f, "{} {} {}", Prec(lhs, p), op.symbol(), Prec(rhs, p + 1))
            }
            ExprKind::Compare { op, lhs, rhs } => {
                write!(f, "{} {} {}", Prec(lhs, 5), op.symbol(), Prec(rhs, 5))
            }
            ExprKind::Pattern {
                op,
                lhs,
                patterns,
                list,
            } => {
                write!(f, "{} {} ", Prec(lhs, 9), op.symbol())?;
                match (list, patterns.as_slice()) {
                    (false, [one]) => write!(f, "{}", Prec(one, 9)),
                    _ => {
                        f.write_str("(")?;
                        write_list(f, patterns)?;
                        f.write_str(")")
                    }
                }
            }
            ExprKind::In {
                lhs,
                list,
                negated,
                insensitive,
            } => {
                write!(
                    f,
                    "{} {}in{} (",
                    Prec(lhs, 9),
                    if *negated { "not " } else { "" },
                    if *insensitive { "~" } else { "" }
                )?;
                write_list(f, list)?;
                f.write_str(")")
            }
            ExprKind::Not(e) => write!(f, "not {}", Prec(e, 3)),
            // A chain inside a chain was written in parentheses: print them, so the
            // tree parses back the same.
            ExprKind::And(xs) => write_chain(f, xs, " and ", 3),
            ExprKind::Or(xs) => write_chain(f, xs, " or ", 2),
        }
    }
}

fn write_chain(f: &mut Formatter<'_>, items: &[Expr], op: &str, min: u8) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(op)?;
        }
        write!(f, "{}", Prec(x, min))?;
    }
    Ok(())
}

/// At most this many characters of a rule's text are quoted in a diagnostic's message.
pub const EXCERPT_CHARS: usize = 60;

/// `s`, or its first [`EXCERPT_CHARS`] characters and `…`.
pub fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(EXCERPT_CHARS) {
        None => s.into(),
        Some((i, _)) => format!("{}…", &s[..i]).into(),
    }
}

/// An expression printed for a message: at most [`EXCERPT_CHARS`] characters and `…`
/// (the rest is not even formatted).
pub fn excerpt(e: &Expr) -> String {
    struct Bounded {
        out: String,
        left: usize,
        cut: bool,
    }
    impl fmt::Write for Bounded {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            for c in s.chars() {
                if self.left == 0 {
                    self.cut = true;
                    return Err(fmt::Error);
                }
                self.out.push(c);
                self.left -= 1;
            }
            Ok(())
        }
    }
    let mut b = Bounded {
        out: String::new(),
        left: EXCERPT_CHARS,
        cut: false,
    };
    let _ = write!(b, "{e}");
    if b.cut {
        b.out.push('…');
    }
    b.out
}

fn write_list(f: &mut Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, a) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

/// A `"…"` literal with the escapes the parser accepts.
pub fn write_string(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{{{:04X}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

const KEYWORDS: &[&str] = &[
    "and", "any", "by", "false", "in", "join", "like", "not", "null", "of", "or", "regex",
    "sample", "sequence", "true", "until", "where", "with",
];

fn is_plain_ident(s: &str, first: bool) -> bool {
    let mut chars = s.chars();
    let ok_start = match chars.next() {
        Some(c) => {
            c.is_ascii_alphabetic() || c == '_' || c == '@' || (!first && c.is_ascii_digit())
        }
        None => false,
    };
    ok_start
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
        && !(first && KEYWORDS.contains(&s))
}

fn write_ident(f: &mut impl fmt::Write, s: &str, first: bool) -> fmt::Result {
    if is_plain_ident(s, first) {
        f.write_str(s)
    } else {
        write!(f, "`{}`", s.replace('`', "``"))
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.optional {
            f.write_char('?')?;
        }
        for (i, seg) in self.path.split('.').enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            write_ident(f, seg, i == 0)?;
        }
        Ok(())
    }
}

impl Display for Category {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CategoryKind::Any => f.write_str("any"),
            CategoryKind::Named(n) if is_plain_ident(n, true) => f.write_str(n),
            CategoryKind::Named(n) => write_string(f, n),
        }
    }
}

impl Display for EventFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} where {}", self.category, self.condition)
    }
}

fn write_keys(f: &mut Formatter<'_>, keys: &[Field]) -> fmt::Result {
    if keys.is_empty() {
        return Ok(());
    }
    f.write_str(" by ")?;
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{k}")?;
    }
    Ok(())
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]",
            if self.missing { "!" } else { "" },
            self.filter
        )?;
        write_keys(f, &self.by)?;
        if let Some(r) = self.runs {
            write!(f, " with runs={}", r.count)?;
        }
        Ok(())
    }
}

impl Display for MaxSpan {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.value, self.unit.suffix())
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.body {
            QueryBody::Event(e) => write!(f, "{e}")?,
            QueryBody::Sequence(s) => {
                f.write_str("sequence")?;
                write_keys(f, &s.by)?;
                if let Some(m) = &s.maxspan {
                    write!(f, " with maxspan={m}")?;
                }
                for st in &s.stages {
                    write!(f, "\n  {st}")?;
                }
                if let Some(u) = &s.until {
                    write!(f, "\nuntil {u}")?;
                }
            }
            QueryBody::Sample(s) => {
                f.write_str("sample")?;
                write_keys(f, &s.by)?;
                for st in &s.stages {
                    write!(f, "\n  {st}")?;
                }
            }
        }
        for p in &self.pipes {
            let name = match p.kind {
                PipeKind::Head => "head",
                PipeKind::Tail => "tail",
            };
            write!(f, " | {name} {}", p.count)?;
        }
        Ok(())
    }
}
