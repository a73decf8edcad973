//! The event model: one trait for field access ([`Event`]) and its implementation over
//! parsed JSON ([`JsonEvent`]).
//!
//! The reference interpreter reads every field through [`Event`]; the compiled path fills
//! its field table from any implementation of it (or from its own JSON projector, which
//! must agree with [`JsonEvent`] on the rules written here). Users whose events are
//! already Rust structs implement [`Event`] for them.
//!
//! # Field values
//!
//! A field has zero or more *scalar* values ([`Value::Bool`], [`Value::Int`],
//! [`Value::Float`], [`Value::Str`]). Arrays are multi-valued fields (every element is a
//! value, nested arrays are flattened), and the predicate layer applies Elasticsearch's
//! "any value" semantics on top (eql-semantics.md B.7, J.1).
//!
//! An implementation never yields [`Value::Null`]: a missing field, an explicit `null`,
//! `[]` and `[null, null]` all yield **no values**. The caller (the interpreter, the
//! generated field table) treats "no values" as the single null value that J.1 speaks of
//! (`f == null` is true, `f > 1` is false, `f != "x"` is true, a non-optional join key
//! excludes the event).
//!
//! The event category is not special: it is the field `event.category` (or a rule's
//! `event_category_override`), read like any other field.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value as Json};

use crate::value::Value;

/// Field access: the one interface through which matchers read an event.
///
/// # Contract
///
/// [`values`](Event::values) **appends** to `out` every scalar value of the field at
/// `path` (a dotted ECS path such as `process.parent.name`, exactly as written in the
/// rule, without backticks or the `?` of optional fields) and must not clear `out` or
/// touch what is already in it, so a caller can reuse one buffer for many reads.
///
/// * a missing field, an explicit `null`, an empty array, or an array of only nulls
///   appends **nothing**; implementations must never append [`Value::Null`] (callers
///   that receive one anyway treat it as absent);
/// * a multi-valued field appends each of its values, in the event's order; nested
///   arrays are flattened and `null` elements are dropped;
/// * objects are not values: a path that ends at an object appends nothing for it;
/// * it must not panic on any input.
///
/// Strings should borrow from the event (`Cow::Borrowed`) where they can, so reading a
/// field does not allocate.
///
/// # Example
///
/// ```
/// use std::borrow::Cow;
/// use rule_runtime::event::Event;
/// use rule_runtime::value::Value;
///
/// struct Proc { name: String, args: Vec<String>, pid: Option<i64> }
///
/// impl Event for Proc {
///     fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
///         match path {
///             "event.category" => out.push(Value::Str(Cow::Borrowed("process"))),
///             "process.name" => out.push(Value::Str(Cow::Borrowed(&self.name))),
///             "process.args" => out.extend(self.args.iter().map(|a| Value::Str(Cow::Borrowed(a)))),
///             "process.pid" => out.extend(self.pid.map(Value::Int)),
///             _ => {}
///         }
///     }
/// }
///
/// let p = Proc { name: "cmd.exe".into(), args: vec!["/c".into(), "dir".into()], pid: None };
/// let mut out = Vec::new();
/// p.values("process.args", &mut out);
/// assert_eq!(out.len(), 2);
/// assert!(!p.has_value("process.pid"));
/// ```
pub trait Event {
    /// Appends every non-null scalar value of the field at `path` to `out` (see the
    /// trait's contract).
    fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>);

    /// The first value of the field at `path`, or `None` when it has no values.
    ///
    /// The default implementation collects into a temporary vector; implementations may
    /// override it with something cheaper (as [`JsonEvent`] does).
    fn first_value(&self, path: &str) -> Option<Value<'_>> {
        let mut out = Vec::new();
        self.values(path, &mut out);
        out.into_iter().find(|v| !matches!(v, Value::Null))
    }

    /// Whether the field at `path` has at least one non-null value (`path != null` in
    /// EQL).
    fn has_value(&self, path: &str) -> bool {
        self.first_value(path).is_some()
    }
}

impl<E: Event + ?Sized> Event for &E {
    fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
        (**self).values(path, out)
    }
    fn first_value(&self, path: &str) -> Option<Value<'_>> {
        (**self).first_value(path)
    }
    fn has_value(&self, path: &str) -> bool {
        (**self).has_value(path)
    }
}

impl<E: Event + ?Sized> Event for std::sync::Arc<E> {
    fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
        (**self).values(path, out)
    }
    fn first_value(&self, path: &str) -> Option<Value<'_>> {
        (**self).first_value(path)
    }
    fn has_value(&self, path: &str) -> bool {
        (**self).has_value(path)
    }
}

impl<E: Event + ?Sized> Event for Box<E> {
    fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
        (**self).values(path, out)
    }
    fn first_value(&self, path: &str) -> Option<Value<'_>> {
        (**self).first_value(path)
    }
    fn has_value(&self, path: &str) -> bool {
        (**self).has_value(path)
    }
}

/// A JSON object read with the same rules as [`JsonEvent`] (nested objects and dotted
/// keys merged), for callers that hold a `serde_json` map directly.
///
/// `Map` has an inherent `values()` method, so call this one as
/// `Event::values(&map, path, &mut out)`.
impl Event for Map<String, Json> {
    fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
        lookup_object(self, path, &mut |v| {
            out.push(v);
            true
        });
    }
    fn first_value(&self, path: &str) -> Option<Value<'_>> {
        let mut first = None;
        lookup_object(self, path, &mut |v| {
            first = Some(v);
            false
        });
        first
    }
}

/// An event parsed from JSON: a JSON object whose fields are read with [`Event`].
///
/// # Field paths
///
/// A path `a.b.c` is resolved against nested objects **and** dotted keys, merged, at
/// every level, the way Elasticsearch's indexing flattens a document: the value may sit
/// at `{"a":{"b":{"c":…}}}`, `{"a.b.c":…}`, `{"a":{"b.c":…}}`, `{"a.b":{"c":…}}`, and when
/// several of these forms are present they **all** contribute (`{"a":{"b":1},"a.b":2}`
/// gives `a.b` = `[1, 2]`). Values come out grouped by the key that matched, shortest
/// key first (nested before dotted), each group in array order.
///
/// Arrays are multi-valued: every element is a value, nested arrays are flattened,
/// `null` elements are dropped, and an array of objects contributes every element's
/// value to the rest of the path (`{"a":[{"b":1},{"b":2}]}` gives `a.b` = `[1, 2]`).
///
/// # Values
///
/// * strings → [`Value::Str`], borrowed from the event (no allocation per read);
/// * `true`/`false` → [`Value::Bool`];
/// * integers that fit in `i64` → [`Value::Int`]; every other number (fractions,
///   exponents, and integers above `i64::MAX` such as large `u64`s) → [`Value::Float`],
///   so `1.0` is `Float(1.0)`, not `Int(1)`;
/// * `null` → nothing; a missing field → nothing;
/// * objects are not values: a path that ends at an object (`process` when the event
///   has `{"process":{"name":…}}`) yields nothing.
///
/// ```
/// use rule_runtime::event::{Event, JsonEvent};
/// use rule_runtime::value::Value;
///
/// let e = JsonEvent::parse(r#"{"process":{"name":"a"},"process.name":"b","x":[1,null,[2]]}"#).unwrap();
/// let mut out = Vec::new();
/// e.values("process.name", &mut out);
/// assert_eq!(out, vec![Value::Str("a".into()), Value::Str("b".into())]);
/// out.clear();
/// e.values("x", &mut out);
/// assert_eq!(out, vec![Value::Int(1), Value::Int(2)]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct JsonEvent {
    /// Always a `serde_json::Value::Object` (checked on construction).
    json: Json,
}

impl JsonEvent {
    /// Parses one event from JSON text (for example one line of NDJSON).
    ///
    /// Fails with [`EventError::Syntax`] when the text is not JSON (nesting deeper than
    /// `serde_json`'s limit of 128 included) and with [`EventError::NotAnObject`] when its
    /// top level is not an object.
    pub fn parse(text: &str) -> Result<JsonEvent, EventError> {
        let json: Json = serde_json::from_str(text).map_err(|e| EventError::Syntax {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        })?;
        JsonEvent::from_json(json)
    }

    /// Wraps an already parsed JSON value; fails with [`EventError::NotAnObject`] unless
    /// it is an object.
    pub fn from_json(json: Json) -> Result<JsonEvent, EventError> {
        match json {
            Json::Object(_) => Ok(JsonEvent { json }),
            other => Err(EventError::NotAnObject {
                found: json_kind(&other),
            }),
        }
    }

    /// Wraps a JSON object.
    pub fn from_map(map: Map<String, Json>) -> JsonEvent {
        JsonEvent {
            json: Json::Object(map),
        }
    }

    /// The event's JSON (always an object), e.g. to copy the original event into an
    /// alert.
    pub fn json(&self) -> &Json {
        &self.json
    }

    /// The event's top-level object.
    pub fn as_map(&self) -> &Map<String, Json> {
        match &self.json {
            Json::Object(map) => map,
            // Unreachable by construction; an empty map keeps this total without a panic.
            _ => empty_map(),
        }
    }

    /// Unwraps the event's JSON (always an object).
    pub fn into_json(self) -> Json {
        self.json
    }
}

fn empty_map() -> &'static Map<String, Json> {
    static EMPTY: std::sync::OnceLock<Map<String, Json>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

impl Event for JsonEvent {
    fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
        Event::values(self.as_map(), path, out)
    }
    fn first_value(&self, path: &str) -> Option<Value<'_>> {
        Event::first_value(self.as_map(), path)
    }
}

impl std::str::FromStr for JsonEvent {
    type Err = EventError;
    /// Same as [`JsonEvent::parse`].
    fn from_str(s: &str) -> Result<JsonEvent, EventError> {
        JsonEvent::parse(s)
    }
}

impl TryFrom<Json> for JsonEvent {
    type Error = EventError;
    /// Same as [`JsonEvent::from_json`].
    fn try_from(json: Json) -> Result<JsonEvent, EventError> {
        JsonEvent::from_json(json)
    }
}

impl From<Map<String, Json>> for JsonEvent {
    fn from(map: Map<String, Json>) -> JsonEvent {
        JsonEvent::from_map(map)
    }
}

/// Why a text could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// The text is not valid JSON.
    Syntax {
        /// `serde_json`'s description of the problem.
        message: String,
        /// 1-based line of the problem in the text.
        line: usize,
        /// 1-based column of the problem in the text.
        column: usize,
    },
    /// The text is valid JSON, but its top level is not an object.
    NotAnObject {
        /// What the top level is: `"null"`, `"a boolean"`, `"a number"`, `"a string"`
        /// or `"an array"`.
        found: &'static str,
    },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::Syntax { message, .. } => write!(f, "event is not valid JSON: {message}"),
            EventError::NotAnObject { found } => {
                write!(f, "event must be a JSON object, found {found}")
            }
        }
    }
}

impl std::error::Error for EventError {}

/// An event that can give its original JSON, for an alert's `events` list.
pub trait EventJson {
    /// Appends the event as JSON text (an object) to `out`.
    fn write_json(&self, out: &mut Vec<u8>);

    /// The event as a JSON value (parsed back from [`EventJson::write_json`]).
    fn to_json_value(&self) -> Json {
        let mut buf = Vec::new();
        self.write_json(&mut buf);
        serde_json::from_slice(&buf).unwrap_or(Json::Null)
    }
}

impl EventJson for JsonEvent {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.json.write_json(out)
    }
    fn to_json_value(&self) -> Json {
        self.json.clone()
    }
}

impl EventJson for Json {
    fn write_json(&self, out: &mut Vec<u8>) {
        // Writing a `serde_json::Value` into a `Vec` cannot fail.
        let _ = serde_json::to_writer(out, self);
    }
    fn to_json_value(&self) -> Json {
        self.clone()
    }
}

/// A line of NDJSON, written verbatim (the caller checked it is a JSON object).
impl EventJson for str {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl EventJson for String {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl<T: EventJson + ?Sized> EventJson for &T {
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out)
    }
    fn to_json_value(&self) -> Json {
        (**self).to_json_value()
    }
}

impl<T: EventJson + ?Sized> EventJson for std::sync::Arc<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out)
    }
    fn to_json_value(&self) -> Json {
        (**self).to_json_value()
    }
}

impl<T: EventJson + ?Sized> EventJson for Box<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out)
    }
    fn to_json_value(&self) -> Json {
        (**self).to_json_value()
    }
}

/// An event read from a line of NDJSON: the parsed event (for the reference
/// interpreter's field lookups) and the line itself (written verbatim in alerts, as the
/// compiled path writes it).
#[derive(Debug, Clone, PartialEq)]
pub struct LineEvent {
    line: Box<str>,
    event: JsonEvent,
}

impl LineEvent {
    /// Parses one line (surrounding JSON whitespace is not part of the event).
    pub fn parse(line: &str) -> Result<LineEvent, EventError> {
        let line = line.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        Ok(LineEvent {
            event: JsonEvent::parse(line)?,
            line: line.into(),
        })
    }

    /// An event built in memory, with its JSON text as the line.
    pub fn from_json_event(event: JsonEvent) -> LineEvent {
        let mut buf = Vec::new();
        event.write_json(&mut buf);
        LineEvent {
            line: String::from_utf8(buf).unwrap_or_default().into(),
            event,
        }
    }

    /// The line.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The parsed event.
    pub fn event(&self) -> &JsonEvent {
        &self.event
    }
}

impl Event for LineEvent {
    fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
        self.event.values(path, out)
    }
    fn first_value(&self, path: &str) -> Option<Value<'_>> {
        self.event.first_value(path)
    }
}

impl EventJson for LineEvent {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.line.as_bytes());
    }
    fn to_json_value(&self) -> Json {
        self.event.json().clone()
    }
}

fn json_kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Calls `emit` for every scalar value of `path` inside `obj`; stops early when `emit`
/// returns `false`. Returns `false` iff stopped early.
fn lookup_object<'a>(
    obj: &'a Map<String, Json>,
    path: &str,
    emit: &mut dyn FnMut(Value<'a>) -> bool,
) -> bool {
    // Every key that is a prefix of `path` ending at a dot (or `path` itself) matches:
    // `a`, `a.b`, `a.b.c` for `a.b.c`. Shortest first, so nested forms come before
    // dotted ones.
    for (i, _) in path.match_indices('.') {
        if let Some(child) = obj.get(&path[..i]) {
            if !lookup_value(child, &path[i + 1..], emit) {
                return false;
            }
        }
    }
    match obj.get(path) {
        Some(leaf) => emit_scalars(leaf, emit),
        None => true,
    }
}

/// The rest of a path below `json` (which sits at a proper prefix of the path).
fn lookup_value<'a>(json: &'a Json, rest: &str, emit: &mut dyn FnMut(Value<'a>) -> bool) -> bool {
    match json {
        Json::Object(obj) => lookup_object(obj, rest, emit),
        // An array of objects contributes each element's value; nested arrays are
        // flattened; scalars have no fields below them.
        Json::Array(items) => items.iter().all(|item| lookup_value(item, rest, emit)),
        _ => true,
    }
}

/// The scalar values of a JSON value at the end of a path.
fn emit_scalars<'a>(json: &'a Json, emit: &mut dyn FnMut(Value<'a>) -> bool) -> bool {
    match json {
        Json::Null | Json::Object(_) => true,
        Json::Bool(b) => emit(Value::Bool(*b)),
        Json::String(s) => emit(Value::Str(Cow::Borrowed(s.as_str()))),
        Json::Number(n) => match number_value(n) {
            Some(v) => emit(v),
            None => true,
        },
        Json::Array(items) => items.iter().all(|item| emit_scalars(item, emit)),
    }
}

/// A JSON number as a [`Value`]: `Int` when it is an integer that fits in `i64`, else
/// `Float`.
fn number_value(n: &serde_json::Number) -> Option<Value<'static>> {
    if let Some(i) = n.as_i64() {
        Some(Value::Int(i))
    } else {
        n.as_f64().map(Value::Float)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(j: Json) -> JsonEvent {
        match JsonEvent::from_json(j) {
            Ok(e) => e,
            Err(e) => panic!("test event is not an object: {e}"),
        }
    }

    fn vals(e: &impl Event, path: &str) -> Vec<Value<'static>> {
        let mut out = Vec::new();
        e.values(path, &mut out);
        out.into_iter()
            .map(|v| match v {
                Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
                Value::Null => Value::Null,
                Value::Bool(b) => Value::Bool(b),
                Value::Int(i) => Value::Int(i),
                Value::Float(f) => Value::Float(f),
            })
            .collect()
    }

    fn s(x: &str) -> Value<'static> {
        Value::Str(Cow::Owned(x.to_string()))
    }

    #[test]
    fn nested_path() {
        let e = ev(json!({"process": {"parent": {"name": "explorer.exe"}}}));
        assert_eq!(vals(&e, "process.parent.name"), vec![s("explorer.exe")]);
    }

    #[test]
    fn dotted_key() {
        let e = ev(json!({"process.parent.name": "explorer.exe"}));
        assert_eq!(vals(&e, "process.parent.name"), vec![s("explorer.exe")]);
    }

    #[test]
    fn mixed_forms_at_every_level() {
        for j in [
            json!({"process": {"parent.name": "x"}}),
            json!({"process.parent": {"name": "x"}}),
            json!({"process": {"parent": {"name": "x"}}}),
            json!({"process.parent.name": "x"}),
        ] {
            assert_eq!(
                vals(&ev(j.clone()), "process.parent.name"),
                vec![s("x")],
                "{j}"
            );
        }
    }

    #[test]
    fn nested_and_dotted_are_merged() {
        let e = ev(json!({
            "process": {"name": "a", "parent.name": "p1", "parent": {"name": "p2"}},
            "process.name": "b",
            "process.parent": {"name": "p3"},
        }));
        assert_eq!(vals(&e, "process.name"), vec![s("a"), s("b")]);
        assert_eq!(
            vals(&e, "process.parent.name"),
            vec![s("p2"), s("p1"), s("p3")]
        );
    }

    #[test]
    fn same_value_from_two_forms_counts_twice() {
        let e = ev(json!({"a": {"b": 1}, "a.b": 1}));
        assert_eq!(vals(&e, "a.b"), vec![Value::Int(1), Value::Int(1)]);
    }

    #[test]
    fn arrays_are_multi_valued_and_flattened() {
        let e = ev(json!({"a": [1, [2, [3, null]], null, "x", true]}));
        assert_eq!(
            vals(&e, "a"),
            vec![
                Value::Int(1),
                Value::Int(2),
                Value::Int(3),
                s("x"),
                Value::Bool(true)
            ]
        );
    }

    #[test]
    fn arrays_of_objects_contribute_every_element() {
        let e = ev(json!({"a": [{"b": 1}, {"b": 2}, {"c": 3}, {"b": [4, null]}, 5, [{"b": 6}]]}));
        assert_eq!(
            vals(&e, "a.b"),
            vec![Value::Int(1), Value::Int(2), Value::Int(4), Value::Int(6)]
        );
        let e = ev(json!({"a": [{"b.c": 1}, {"b": {"c": 2}}], "a.b": [{"c": 3}]}));
        assert_eq!(
            vals(&e, "a.b.c"),
            vec![Value::Int(1), Value::Int(2), Value::Int(3)]
        );
    }

    #[test]
    fn nulls_and_empties_yield_nothing() {
        let e = ev(json!({"n": null, "e": [], "nn": [null, [null]], "o": {"k": 1}, "eo": {}}));
        for p in ["n", "e", "nn", "missing", "o", "eo", "n.x", "o.k.z", "e.x"] {
            assert!(vals(&e, p).is_empty(), "{p}");
            assert!(!e.has_value(p), "{p}");
            assert!(e.first_value(p).is_none(), "{p}");
        }
        assert_eq!(vals(&e, "o.k"), vec![Value::Int(1)]);
    }

    #[test]
    fn scalars_have_no_children() {
        let e = ev(json!({"a": "x", "a.b": "y"}));
        assert_eq!(vals(&e, "a.b"), vec![s("y")]);
        assert_eq!(vals(&e, "a"), vec![s("x")]);
    }

    #[test]
    fn numbers() {
        let e = ev(json!({
            "i": 42, "neg": -7, "f": 1.5, "one": 1.0, "exp": 1e3,
            "max": i64::MAX, "min": i64::MIN, "big": u64::MAX,
        }));
        assert_eq!(vals(&e, "i"), vec![Value::Int(42)]);
        assert_eq!(vals(&e, "neg"), vec![Value::Int(-7)]);
        assert_eq!(vals(&e, "f"), vec![Value::Float(1.5)]);
        assert_eq!(vals(&e, "one"), vec![Value::Float(1.0)]);
        assert_eq!(vals(&e, "exp"), vec![Value::Float(1000.0)]);
        assert_eq!(vals(&e, "max"), vec![Value::Int(i64::MAX)]);
        assert_eq!(vals(&e, "min"), vec![Value::Int(i64::MIN)]);
        assert_eq!(vals(&e, "big"), vec![Value::Float(u64::MAX as f64)]);
        // serde_json rejects a number out of f64 range.
        assert!(JsonEvent::parse(r#"{"b": 1.0e400}"#).is_err());
        // An integer just above i64::MAX is a Float.
        let e = JsonEvent::parse(r#"{"a": 9223372036854775808}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(vals(&e, "a"), vec![Value::Float(9223372036854775808.0)]);
    }

    #[test]
    fn strings_borrow_from_the_event() {
        let e = JsonEvent::parse(r#"{"a": "plain", "b": "esc\"aped\u00e9"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        e.values("a", &mut out);
        e.values("b", &mut out);
        assert!(matches!(&out[0], Value::Str(Cow::Borrowed("plain"))));
        assert!(matches!(&out[1], Value::Str(Cow::Borrowed("esc\"apedé"))));
    }

    #[test]
    fn values_appends_without_clearing() {
        let e = ev(json!({"a": 1, "b": [2, 3]}));
        let mut out = vec![Value::Int(0)];
        e.values("a", &mut out);
        e.values("b", &mut out);
        assert_eq!(
            out,
            vec![Value::Int(0), Value::Int(1), Value::Int(2), Value::Int(3)]
        );
    }

    #[test]
    fn first_value_matches_values() {
        let e = ev(json!({"a": [null, [], {"x": 1}, [null, 7], 8], "a.x": 9}));
        assert_eq!(e.first_value("a"), Some(Value::Int(7)));
        assert_eq!(e.first_value("a.x"), Some(Value::Int(1)));
        assert!(e.has_value("a"));
    }

    #[test]
    fn odd_paths_do_not_panic() {
        let e = ev(json!({"": 1, "a": {"": 2, ".": 3}, "a.": 4, ".a": 5, "é.ü": 6}));
        assert_eq!(vals(&e, ""), vec![Value::Int(1)]);
        assert_eq!(vals(&e, "a."), vec![Value::Int(2), Value::Int(4)]);
        assert_eq!(vals(&e, ".a"), vec![Value::Int(5)]);
        assert_eq!(vals(&e, "a.."), vec![Value::Int(3)]);
        assert_eq!(vals(&e, "é.ü"), vec![Value::Int(6)]);
        assert!(vals(&e, "...").is_empty());
    }

    #[test]
    fn parse_errors() {
        match JsonEvent::parse("{\"a\": 1,\n  oops}") {
            Err(EventError::Syntax {
                line,
                column,
                message,
            }) => {
                assert_eq!(line, 2);
                assert!(column > 0);
                assert!(!message.is_empty());
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
        for (text, found) in [
            ("[1]", "an array"),
            ("null", "null"),
            ("3", "a number"),
            ("\"x\"", "a string"),
            ("true", "a boolean"),
        ] {
            let err = JsonEvent::parse(text).err();
            assert_eq!(err, Some(EventError::NotAnObject { found }), "{text}");
        }
        let msg = JsonEvent::parse("[]").err().map(|e| e.to_string());
        assert_eq!(
            msg.as_deref(),
            Some("event must be a JSON object, found an array")
        );
        assert!(JsonEvent::parse("").is_err());
        assert!(JsonEvent::parse("{} {}").is_err());
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(JsonEvent::parse(&format!("{{\"a\":{deep}}}")).is_err());
    }

    #[test]
    fn conversions() {
        let e: Result<JsonEvent, _> = r#"{"a": 1}"#.parse();
        let e = e.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.json(), &json!({"a": 1}));
        assert_eq!(e.as_map().len(), 1);
        assert!(JsonEvent::try_from(json!([1])).is_err());
        let m = match e.clone().into_json() {
            Json::Object(m) => m,
            _ => panic!("not an object"),
        };
        assert_eq!(vals(&m, "a"), vec![Value::Int(1)]);
        assert_eq!(JsonEvent::from(m), e);
    }

    #[test]
    fn trait_objects_and_references() {
        let e = ev(json!({"a": "x"}));
        let boxed: Box<dyn Event> = Box::new(e.clone());
        assert_eq!(vals(&boxed, "a"), vec![s("x")]);
        assert_eq!(vals(&&e, "a"), vec![s("x")]);
        assert!(boxed.has_value("a"));
    }

    /// A user-defined struct event relying on the default methods.
    struct Fixed;
    impl Event for Fixed {
        fn values<'a>(&'a self, path: &str, out: &mut Vec<Value<'a>>) {
            if path == "a" {
                out.push(Value::Null);
                out.push(Value::Int(3));
            }
        }
    }

    #[test]
    fn default_methods_skip_nulls() {
        assert_eq!(Fixed.first_value("a"), Some(Value::Int(3)));
        assert!(Fixed.has_value("a"));
        assert!(!Fixed.has_value("b"));
    }
}
