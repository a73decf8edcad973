//! Join-key values (eql-semantics.md C.3): hashable, ordered like Elasticsearch's
//! composite aggregation (null first, `false < true`, numbers numerically, strings by
//! bytes), and typed: the keyword `"1"` and the number `1` are different keys.

use crate::caps::{self, Cap, MAX_KEY_TUPLES};
use crate::value::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

/// One component of a join key.
#[derive(Debug, Clone)]
pub enum KeyPart {
    Null,
    Bool(bool),
    /// Integers, and floats with an integral value (so `1` and `1.0` are one key).
    Int(i64),
    Float(f64),
    Str(Box<str>),
}

impl KeyPart {
    /// The key part of a field value.
    pub fn from_value(v: &Value<'_>) -> KeyPart {
        match v {
            Value::Null => KeyPart::Null,
            Value::Bool(b) => KeyPart::Bool(*b),
            Value::Int(i) => KeyPart::Int(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => KeyPart::Int(*f as i64),
            Value::Float(f) => KeyPart::Float(*f),
            Value::Str(s) => KeyPart::Str(s.as_ref().into()),
        }
    }

    /// Back to a value (for alerts' `join_keys`).
    pub fn to_value(&self) -> Value<'static> {
        match self {
            KeyPart::Null => Value::Null,
            KeyPart::Bool(b) => Value::Bool(*b),
            KeyPart::Int(i) => Value::Int(*i),
            KeyPart::Float(f) => Value::Float(*f),
            KeyPart::Str(s) => Value::Str(Cow::Owned(s.to_string())),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            KeyPart::Null => 0,
            KeyPart::Bool(_) => 1,
            KeyPart::Int(_) | KeyPart::Float(_) => 2,
            KeyPart::Str(_) => 3,
        }
    }
}

impl Ord for KeyPart {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (KeyPart::Bool(a), KeyPart::Bool(b)) => a.cmp(b),
            (KeyPart::Int(a), KeyPart::Int(b)) => a.cmp(b),
            (KeyPart::Float(a), KeyPart::Float(b)) => a.total_cmp(b),
            (KeyPart::Int(a), KeyPart::Float(b)) => (*a as f64).total_cmp(b),
            (KeyPart::Float(a), KeyPart::Int(b)) => a.total_cmp(&(*b as f64)),
            (KeyPart::Str(a), KeyPart::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for KeyPart {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for KeyPart {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for KeyPart {}

impl std::hash::Hash for KeyPart {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            KeyPart::Null => {}
            KeyPart::Bool(b) => b.hash(state),
            KeyPart::Int(i) => (*i as f64).to_bits().hash(state),
            KeyPart::Float(f) => f.to_bits().hash(state),
            KeyPart::Str(s) => s.hash(state),
        }
    }
}

/// The key tuples of one event for one stage (C.3): the cartesian product of each key
/// field's distinct non-null values (each field's values in key order, so tuples come out
/// sorted); a key field without values contributes null if it is optional, and otherwise
/// the event has no key (an empty result). At most [`MAX_KEY_TUPLES`] tuples, the first
/// in key order; a cut is counted ([`crate::caps`]).
pub fn key_tuples(per_field: &[(Vec<KeyPart>, bool)]) -> Vec<Vec<KeyPart>> {
    let null = KeyPart::Null;
    let mut lists: Vec<Vec<&KeyPart>> = Vec::with_capacity(per_field.len());
    for (values, optional) in per_field {
        let mut distinct: Vec<&KeyPart> = values
            .iter()
            .filter(|v| !matches!(v, KeyPart::Null))
            .collect();
        // Sorted, so the tuples (and the alerts of an event that joins under several
        // keys) come out in key order, whatever order the event listed its values in.
        distinct.sort();
        distinct.dedup();
        if distinct.is_empty() {
            if !optional {
                return Vec::new();
            }
            distinct.push(&null);
        }
        lists.push(distinct);
    }
    let total = lists
        .iter()
        .try_fold(1usize, |n, l| n.checked_mul(l.len()))
        .unwrap_or(usize::MAX);
    if total > MAX_KEY_TUPLES {
        caps::note(Cap::KeyTuples);
    }
    let n = total.min(MAX_KEY_TUPLES);
    // An odometer over the lists, last field fastest: key order.
    let mut at = vec![0usize; lists.len()];
    let mut tuples = Vec::with_capacity(n);
    for _ in 0..n {
        tuples.push(
            lists
                .iter()
                .zip(&at)
                .map(|(l, &i)| l[i].clone())
                .collect::<Vec<_>>(),
        );
        for k in (0..lists.len()).rev() {
            at[k] += 1;
            if at[k] < lists[k].len() {
                break;
            }
            at[k] = 0;
        }
    }
    tuples
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_identity() {
        let s = |x: &str| KeyPart::Str(x.into());
        assert!(KeyPart::Null < KeyPart::Bool(false));
        assert!(KeyPart::Bool(false) < KeyPart::Bool(true));
        assert!(KeyPart::Int(2) < KeyPart::Int(10));
        assert!(s("GTA") < s("doom"));
        assert_ne!(s("1"), KeyPart::Int(1));
        assert_eq!(KeyPart::from_value(&Value::Float(1.0)), KeyPart::Int(1));
    }

    #[test]
    fn cartesian_dedup_and_optional_nulls() {
        let s = |x: &str| KeyPart::Str(x.into());
        let t = key_tuples(&[
            (vec![s("a"), s("b"), s("a")], false),
            (vec![KeyPart::Int(1)], false),
        ]);
        assert_eq!(
            t,
            vec![vec![s("a"), KeyPart::Int(1)], vec![s("b"), KeyPart::Int(1)]]
        );
        assert!(key_tuples(&[(vec![], false)]).is_empty());
        assert_eq!(key_tuples(&[(vec![], true)]), vec![vec![KeyPart::Null]]);
    }
}
