//! Comparisons of field values with literals (`<`, `<=`, `>`, `>=`, and `==` where a
//! schema types the field), with Elasticsearch's coercions (eql-semantics.md J.7).
//!
//! Equality with a literal on an untyped field never comes here in compiled rules: it is
//! an atom of the rule set's index ([`crate::index`]). A range against a literal compares
//! each value with a [`Literal`] prepared once (its IP address parsed at build time), so
//! the literal's type decides the comparison without a generic dispatch on both sides.

use std::cmp::Ordering;

use crate::fields::Slot;
use crate::time::{timestamp_from_value, timestamp_nanos_from_value};
use crate::value::{Literal, Value};

/// A comparison operator (`!=` is `not ==`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum CmpOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
        }
    }

    /// Whether `left op right` holds when `left` is ordered `ord` against `right`.
    #[inline]
    pub fn accepts(self, ord: Ordering) -> bool {
        match self {
            CmpOp::Eq => ord == Ordering::Equal,
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::Le => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            CmpOp::Ge => ord != Ordering::Less,
        }
    }

    /// The operator as written in EQL.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// How two values are compared, from the field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpKind {
    /// J.7 coercions, the left side as the field.
    Plain,
    /// Instants in milliseconds.
    Date,
    /// Instants in nanoseconds.
    DateNanos,
    /// Elasticsearch `version` ordering; `==` compares the text.
    Version,
}

/// `l op r`; `None` when either is null or they cannot be compared.
pub fn compare(kind: CmpKind, op: CmpOp, l: &Value<'_>, r: &Value<'_>) -> Option<bool> {
    let ord = match kind {
        CmpKind::Date => timestamp_from_value(l)?.cmp(&timestamp_from_value(r)?),
        CmpKind::DateNanos => timestamp_nanos_from_value(l)?.cmp(&timestamp_nanos_from_value(r)?),
        CmpKind::Version => {
            let (a, b) = (l.to_text()?, r.to_text()?);
            if op == CmpOp::Eq {
                return Some(a == b);
            }
            crate::version::compare(&a, &b)?
        }
        CmpKind::Plain => {
            if op == CmpOp::Eq {
                return l.eq_literal(r);
            }
            l.cmp_literal(r)?
        }
    };
    Some(op.accepts(ord))
}

/// `compare` as a value: `Bool`, or `Null` where the comparison has no result.
pub fn compare_value(kind: CmpKind, op: CmpOp, l: &Value<'_>, r: &Value<'_>) -> Value<'static> {
    compare(kind, op, l, r).map_or(Value::Null, Value::Bool)
}

/// Does some value of the field satisfy `field op literal` (J.7 coercions; a field
/// without values is null, and null compares to nothing)?
#[inline]
pub fn any_literal(slot: Slot<'_>, op: CmpOp, literal: &Literal) -> bool {
    slot.iter().any(|v| {
        if op == CmpOp::Eq {
            literal.eq_field(&v) == Some(true)
        } else {
            literal.cmp_field(&v).is_some_and(|o| op.accepts(o))
        }
    })
}

/// Does some value of a `date`, `date_nanos` or `version` field satisfy `field op
/// literal` (the field's type decides, as its mapping does in Elasticsearch)?
pub fn any_typed(slot: Slot<'_>, kind: CmpKind, op: CmpOp, literal: &Value<'_>) -> bool {
    slot.iter()
        .any(|v| compare(kind, op, &v, literal) == Some(true))
}

/// Does some value of the field equal `true`/`false` (a boolean, or the text `"true"` /
/// `"false"`)?
#[inline]
pub fn any_bool(slot: Slot<'_>, b: bool) -> bool {
    slot.iter().any(|v| match v {
        Value::Bool(x) => x == b,
        Value::Str(s) => (b && s == "true") || (!b && s == "false"),
        _ => false,
    })
}

/// Does some value satisfy `test` on its text? Strings directly, numbers and booleans
/// through their canonical text (J.7); a field without values never.
#[inline]
pub fn any_text(slot: Slot<'_>, mut test: impl FnMut(&str) -> bool) -> bool {
    slot.iter()
        .any(|v| crate::value::with_text(&v, &mut test).unwrap_or(false))
}

/// Does some value of a `Vec` of computed values satisfy `test` on its text (as
/// [`any_text`])?
pub fn any_text_of(values: &[Value<'_>], mut test: impl FnMut(&str) -> bool) -> bool {
    values.iter().any(|v| match v {
        Value::Str(s) => test(s),
        Value::Null => false,
        other => other.to_text().is_some_and(|t| test(&t)),
    })
}

/// Whether `value`'s text (J.7: strings as they are, numbers and booleans by their
/// canonical text; never for null) satisfies `test`.
#[inline]
pub fn text_test(value: &Value<'_>, test: impl FnMut(&str) -> bool) -> bool {
    crate::value::with_text(value, test).unwrap_or(false)
}

/// Does the category field hold `category` (an exact, case-sensitive term; J.2)?
#[inline]
pub fn has_category(slot: Slot<'_>, category: &str) -> bool {
    slot.strs().any(|s| s == category)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{FieldTable, Fields};

    fn v(s: &str) -> Value<'_> {
        Value::from(s)
    }

    #[test]
    fn comparisons() {
        assert_eq!(
            compare(CmpKind::Plain, CmpOp::Eq, &Value::Int(7), &v("7")),
            Some(true)
        );
        assert_eq!(
            compare(CmpKind::Version, CmpOp::Gt, &v("1.11.3"), &v("1.5.0")),
            Some(true)
        );
        assert_eq!(
            compare(CmpKind::Version, CmpOp::Gt, &v("bad"), &v("1.5.0")),
            None
        );
        assert_eq!(
            compare(
                CmpKind::Date,
                CmpOp::Eq,
                &v("2017-08-30T20:47:33Z"),
                &Value::Int(1_504_126_053_000)
            ),
            Some(true)
        );
        assert_eq!(
            compare_value(CmpKind::Plain, CmpOp::Gt, &Value::Null, &Value::Int(1)),
            Value::Null
        );
    }

    #[test]
    fn slot_helpers() {
        let t = FieldTable::new(["n", "s", "b"]);
        let mut f = Fields::new();
        f.clear();
        f.push_str(0, "12");
        f.push_int(0, 3);
        f.push_str(1, "abc");
        f.push_str(2, "true");
        f.finish(t.len());
        let e = f.view("");
        let five = Literal::new(Value::Int(5));
        assert!(any_literal(e.slot(0), CmpOp::Gt, &five));
        assert!(any_literal(e.slot(0), CmpOp::Lt, &five));
        assert!(!any_literal(e.slot(0), CmpOp::Eq, &five));
        assert!(!any_literal(e.slot(2), CmpOp::Gt, &five));
        assert!(any_bool(e.slot(2), true) && !any_bool(e.slot(2), false));
        assert!(any_text(e.slot(0), |t| t == "3"));
        assert!(has_category(e.slot(1), "abc") && !has_category(e.slot(0), "3"));
    }
}
