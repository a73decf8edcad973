//! What compiled rules read and call: an event projected onto a rule set's field table
//! (each field the rules read extracted once per event), and the typed comparisons and
//! key extraction that generated code and the interpreter share.

use crate::engine::EventJson;
use crate::event::Event;
use crate::key::KeyPart;
use crate::time::{format_millis, timestamp_from_value, timestamp_nanos_from_value};
use crate::value::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

/// An event and the values of a fixed list of field paths (a rule set's field table),
/// read once when the event is projected. Matchers read slots, never paths. Only the
/// fields the event has are stored (sorted by slot), so an event held by a partial
/// sequence costs what it holds, not the size of the table.
#[derive(Debug, Clone)]
pub struct Projected<E> {
    event: E,
    slots: Vec<(u32, Vec<Value<'static>>)>,
}

impl<E: Event> Projected<E> {
    /// Read every path of `paths` from `event` through the `Event` trait (slot `i`
    /// holds the values of `paths[i]`). Works for any event type; for JSON events
    /// [`Projected::from_json`] reads only the fields the event has.
    pub fn new(event: E, paths: &[&str]) -> Projected<E> {
        let mut buf = Vec::new();
        let mut slots = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            buf.clear();
            event.values(p, &mut buf);
            if !buf.is_empty() {
                slots.push((i as u32, buf.drain(..).map(Value::into_owned).collect()));
            }
        }
        Projected { event, slots }
    }
}

/// A rule set's field table, indexed for [`Projected::from_json`].
#[derive(Debug, Clone)]
pub struct FieldTable {
    paths: Vec<&'static str>,
    index: std::collections::HashMap<&'static str, u32>,
}

impl FieldTable {
    pub fn new(paths: &[&'static str]) -> FieldTable {
        FieldTable {
            paths: paths.to_vec(),
            index: paths
                .iter()
                .enumerate()
                .map(|(i, p)| (*p, i as u32))
                .collect(),
        }
    }
}

impl<E: Event + EventJson> Projected<E> {
    /// Project a JSON event: one walk over the event finds which of the table's fields
    /// it has (nested objects, dotted keys, arrays of objects), and only those are
    /// read, through the same `Event` lookup as [`Projected::new`] (same values, same
    /// order).
    pub fn from_json(event: E, table: &FieldTable) -> Self {
        fn walk(
            prefix: &mut String,
            v: &serde_json::Value,
            table: &FieldTable,
            found: &mut Vec<u32>,
        ) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, child) in m {
                        let len = prefix.len();
                        if !prefix.is_empty() {
                            prefix.push('.');
                        }
                        prefix.push_str(k);
                        walk(prefix, child, table, found);
                        prefix.truncate(len);
                    }
                }
                serde_json::Value::Array(items) => {
                    for item in items {
                        walk(prefix, item, table, found);
                    }
                }
                _ => {
                    if let Some(&i) = table.index.get(prefix.as_str()) {
                        found.push(i);
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(&mut String::new(), &event.to_json(), table, &mut found);
        found.sort_unstable();
        found.dedup();
        let mut buf = Vec::new();
        let mut slots = Vec::with_capacity(found.len());
        for i in found {
            buf.clear();
            event.values(table.paths[i as usize], &mut buf);
            if !buf.is_empty() {
                slots.push((i, buf.drain(..).map(Value::into_owned).collect()));
            }
        }
        Projected { event, slots }
    }
}

impl<E> Projected<E> {
    /// The values of slot `i` (empty when the event has no value there).
    #[inline]
    pub fn slot(&self, i: usize) -> &[Value<'static>] {
        match self.slots.binary_search_by_key(&(i as u32), |(s, _)| *s) {
            Ok(k) => &self.slots[k].1,
            Err(_) => &[],
        }
    }

    /// The original event.
    pub fn event(&self) -> &E {
        &self.event
    }
}

impl<E: Event> Event for Projected<E> {
    fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
        self.event.values(path, out)
    }
}

impl<E: EventJson> EventJson for Projected<E> {
    fn to_json(&self) -> Cow<'_, serde_json::Value> {
        self.event.to_json()
    }
}

/// What `eqlc rules` lists about a compiled rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSummary {
    pub id: &'static str,
    pub name: &'static str,
    /// `event`, `sequence` or `sample`.
    pub kind: &'static str,
    pub severity: &'static str,
    /// The rule file's name.
    pub file: &'static str,
}

/// How compiled matchers are built (the run-time choices; everything else is fixed at
/// build time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatcherOptions {
    /// Samples: the first complete sample per key on a stream, or Elasticsearch's answer
    /// at end of input.
    pub sample_mode: crate::sample::SampleMode,
    /// The most open join keys a sequence keeps (oldest evicted, counted).
    pub max_sequence_keys: Option<usize>,
}

/// The default cap on a sequence's open join keys.
pub const DEFAULT_MAX_SEQUENCE_KEYS: usize = 1_000_000;

impl MatcherOptions {
    /// The sample configuration (a `max_samples_per_key` of 0 is taken as 1, so no
    /// option makes a matcher fail to build).
    pub fn sample_config(&self) -> crate::sample::SampleConfig {
        crate::sample::SampleConfig {
            mode: sanitize_sample_mode(self.sample_mode),
            ..crate::sample::SampleConfig::default()
        }
    }

    /// The sequence key cap (0 is taken as 1).
    pub fn max_keys(&self) -> Option<usize> {
        self.max_sequence_keys.map(|n| n.max(1))
    }
}

/// A sample mode that a matcher accepts: `max_samples_per_key` at least 1.
pub fn sanitize_sample_mode(mode: crate::sample::SampleMode) -> crate::sample::SampleMode {
    match mode {
        crate::sample::SampleMode::Batch {
            size,
            max_samples_per_key,
        } => crate::sample::SampleMode::Batch {
            size,
            max_samples_per_key: max_samples_per_key.max(1),
        },
        m => m,
    }
}

impl Default for MatcherOptions {
    fn default() -> Self {
        MatcherOptions {
            sample_mode: crate::sample::SampleMode::Stream,
            max_sequence_keys: Some(DEFAULT_MAX_SEQUENCE_KEYS),
        }
    }
}

/// A field's values for evaluation: borrowed, and one null when there are none (J.1).
pub fn field_values<'a>(values: &'a [Value<'_>]) -> Vec<Value<'a>> {
    if values.is_empty() {
        vec![Value::Null]
    } else {
        values.iter().map(Value::borrowed).collect()
    }
}

/// A comparison operator (`!=` is `not ==`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
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
    Some(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    })
}

/// `compare` as a value: `Bool`, or `Null` where the comparison has no result.
pub fn compare_value(kind: CmpKind, op: CmpOp, l: &Value<'_>, r: &Value<'_>) -> Value<'static> {
    compare(kind, op, l, r).map_or(Value::Null, Value::Bool)
}

/// Does some value of a field satisfy `test` on its text? Strings directly, numbers and
/// booleans through their canonical text (J.7); null never.
#[inline]
pub fn any_text(values: &[Value<'_>], mut test: impl FnMut(&str) -> bool) -> bool {
    values.iter().any(|v| match v {
        Value::Str(s) => test(s),
        Value::Null => false,
        other => other.to_text().is_some_and(|t| test(&t)),
    })
}

/// Does some pair (one value from each list) satisfy `test`?
pub fn any2(
    ls: &[Value<'_>],
    rs: &[Value<'_>],
    mut test: impl FnMut(&Value<'_>, &Value<'_>) -> bool,
) -> bool {
    ls.iter().any(|l| rs.iter().any(|r| test(l, r)))
}

/// Apply `f` to every value (an expression over one multi-valued operand).
pub fn map1<'a>(xs: &[Value<'a>], mut f: impl FnMut(&Value<'a>) -> Value<'a>) -> Vec<Value<'a>> {
    xs.iter().map(&mut f).collect()
}

/// Apply `f` to every pair (each operand ranges over its values independently, J.1).
pub fn map2<'a>(
    xs: &[Value<'a>],
    ys: &[Value<'a>],
    mut f: impl FnMut(&Value<'a>, &Value<'a>) -> Value<'a>,
) -> Vec<Value<'a>> {
    let mut out = Vec::with_capacity(xs.len() * ys.len());
    for x in xs {
        for y in ys {
            out.push(f(x, y));
        }
    }
    out
}

/// Apply `f` to every combination of argument values (the cartesian product).
pub fn map_n<'a>(
    args: &[Vec<Value<'a>>],
    mut f: impl FnMut(&[Value<'a>]) -> Value<'a>,
) -> Vec<Value<'a>> {
    let mut combos: Vec<Vec<Value<'a>>> = vec![Vec::new()];
    for list in args {
        let mut next = Vec::with_capacity(combos.len() * list.len());
        for c in &combos {
            for v in list {
                let mut c = c.clone();
                c.push(v.clone());
                next.push(c);
            }
        }
        combos = next;
    }
    combos.iter().map(|c| f(c)).collect()
}

/// The key parts of one key field's values; date fields join by instant and are
/// reported as ISO text.
pub fn key_parts(values: &[Value<'_>], date: bool) -> Vec<KeyPart> {
    values
        .iter()
        .map(|v| match (date, timestamp_from_value(v)) {
            (true, Some(ms)) => KeyPart::Str(format_millis(ms).into()),
            _ => KeyPart::from_value(v),
        })
        .collect()
}

/// Does the category field hold `category` (an exact, case-sensitive term; J.2)?
#[inline]
pub fn has_category(values: &[Value<'_>], category: &str) -> bool {
    values
        .iter()
        .any(|v| matches!(v, Value::Str(s) if s == category))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::JsonEvent;

    #[test]
    fn projection_reads_each_path_once() {
        let e = JsonEvent::parse(r#"{"a":{"b":[1,2]},"a.c":"x"}"#).unwrap();
        let p = Projected::new(e, &["a.b", "a.c", "missing"]);
        assert_eq!(p.slot(0), &[Value::Int(1), Value::Int(2)]);
        assert_eq!(p.slot(1), &[Value::from("x")]);
        assert!(p.slot(2).is_empty());
        assert!(p.slot(9).is_empty());
        assert_eq!(field_values(p.slot(2)), vec![Value::Null]);
    }

    #[test]
    fn json_projection_equals_trait_projection() {
        let paths: &[&'static str] = &["a.b", "a.c", "a.d.e", "x", "missing", "n", "arr.k"];
        let table = FieldTable::new(paths);
        for text in [
            r#"{"a":{"b":[1,2],"d":{"e":"z"}},"a.c":"x","a.b":3,"x":null}"#,
            r#"{"a.d":{"e":["p","q"]},"a":{"d.e":"r"},"n":[],"arr":[{"k":1},{"k":[2,null]},{"j":3}]}"#,
            r#"{"x":{"y":1},"a":[{"b":"s"},{"c":"t"}]}"#,
        ] {
            let e = JsonEvent::parse(text).unwrap();
            let slow = Projected::new(e.clone(), paths);
            let fast = Projected::from_json(e, &table);
            for i in 0..paths.len() + 1 {
                assert_eq!(slow.slot(i), fast.slot(i), "{text} slot {i}");
            }
        }
    }

    #[test]
    fn comparisons() {
        fn v(s: &str) -> Value<'_> {
            Value::from(s)
        }
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
        assert!(any_text(&[Value::Int(7)], |t| t == "7"));
        assert_eq!(
            map2(
                &[Value::Int(1), Value::Int(2)],
                &[Value::Int(10)],
                |a, b| crate::functions::add(a, b)
            )
            .len(),
            2
        );
    }
}
