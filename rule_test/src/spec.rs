//! The test-stream file format (DESIGN.md, "Rule test streams"): `<stem>.test.yaml`
//! beside `<stem>.toml`, read with serde. Loading resolves each case's events to the
//! JSON lines the engine reads (timestamps made absolute) and checks every expectation
//! against the case; whatever is wrong is an error with `file:line:col`.

use std::fmt;
use std::path::{Path, PathBuf};

use rule_runtime::time::{format_millis, parse_timestamp};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

/// The time of the first event when it gives none: 2026-01-01T00:00:00Z.
pub const DEFAULT_EPOCH_MS: i64 = 1_767_225_600_000;

/// The gap given to an event without `@timestamp` after the previous one.
pub const DEFAULT_STEP_MS: i64 = 1_000;

/// The timestamp field of test events.
pub const TIMESTAMP: &str = "@timestamp";

/// A loaded test-stream file.
#[derive(Debug, Clone)]
pub struct TestFile {
    pub path: PathBuf,
    pub cases: Vec<Case>,
}

/// One case: a stream of events and what it must raise.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    /// The events as JSON lines, timestamps resolved, in arrival order.
    pub lines: Vec<String>,
    pub expect: Expectation,
}

/// An alert named by the indexes of its events in the case, in stage order (`None` at
/// a missing-event stage).
pub type AlertEvents = Vec<Option<usize>>;

/// What a case must raise.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    /// Exactly these alerts, in any order (empty: silence).
    Exact(Vec<AlertEvents>),
    /// A bounded count, and alerts each of which some different alert must fit.
    Partial {
        at_least: Option<usize>,
        at_most: Option<usize>,
        alerts: Vec<AlertPattern>,
    },
}

impl Expectation {
    /// Whether the case expects at least one alert.
    pub fn alerting(&self) -> bool {
        match self {
            Expectation::Exact(a) => !a.is_empty(),
            Expectation::Partial {
                at_least, alerts, ..
            } => at_least.unwrap_or(0) > 0 || !alerts.is_empty(),
        }
    }

    /// Whether the case expects no alert at all.
    pub fn silent(&self) -> bool {
        match self {
            Expectation::Exact(a) => a.is_empty(),
            Expectation::Partial { at_most, .. } => *at_most == Some(0),
        }
    }
}

/// A partial alert: the fields given must be as stated; the others are not checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertPattern {
    pub kind: Option<String>,
    pub events: Option<AlertEvents>,
    pub join_keys: Option<Vec<Json>>,
}

/// A test file that does not load: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error: {}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for SpecError {}

/// The test file of a rule file (`x.toml` or `x.eql` → `x.test.yaml`).
pub fn test_file_of(rule_file: &Path) -> PathBuf {
    let stem = rule_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    rule_file.with_file_name(format!("{stem}.test.yaml"))
}

/// Reads and resolves a test file.
pub fn load(path: &Path) -> Result<TestFile, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecError {
        file: path.to_path_buf(),
        line: 1,
        column: 1,
        message: format!("cannot read the test file: {e}"),
    })?;
    parse(path, &text)
}

/// Resolves the text of a test file (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<TestFile, SpecError> {
    let raw: RawFile = serde_yaml::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        SpecError {
            file: path.to_path_buf(),
            line,
            column,
            message: yaml_message(&e.to_string()),
        }
    })?;
    let mut cases: Vec<Case> = Vec::with_capacity(raw.cases.len());
    for (i, rc) in raw.cases.into_iter().enumerate() {
        let at = |message: String| {
            let (line, column) = locate_case(text, i, &rc.name);
            SpecError {
                file: path.to_path_buf(),
                line,
                column,
                message: format!("case `{}`: {message}", rc.name),
            }
        };
        if rc.name.trim().is_empty() {
            return Err(at("a case needs a non-empty `name`".into()));
        }
        if cases.iter().any(|c| c.name == rc.name) {
            return Err(at("another case of this file has the same name".into()));
        }
        let lines = resolve_events(rc.events).map_err(&at)?;
        let expect = rc.expect.into_expectation(lines.len()).map_err(&at)?;
        cases.push(Case {
            name: rc.name,
            lines,
            expect,
        });
    }
    Ok(TestFile {
        path: path.to_path_buf(),
        cases,
    })
}

/// serde_yaml's message without its trailing location (we print ours first).
fn yaml_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Where case `index` starts: the `index`-th item of the block list under `cases:`
/// (items at the indentation of the first one), else the top of the file.
fn locate_case(text: &str, index: usize, _name: &str) -> (usize, usize) {
    let mut lines = text.lines().enumerate();
    if !lines.any(|(_, l)| l.trim_end() == "cases:") {
        return (1, 1);
    }
    let mut indent: Option<usize> = None;
    let mut seen = 0;
    for (n, line) in lines {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let ind = line.len() - body.len();
        if !(body.starts_with("- ") || body == "-") {
            if indent.is_some_and(|i| ind < i) || (indent.is_none() && ind == 0) {
                break;
            }
            continue;
        }
        let level = *indent.get_or_insert(ind);
        if ind == level {
            if seen == index {
                return (n + 1, ind + 3);
            }
            seen += 1;
        } else if ind < level {
            break;
        }
    }
    (1, 1)
}

/// Makes every event's `@timestamp` absolute and writes the events as JSON lines.
fn resolve_events(events: Vec<RawEvent>) -> Result<Vec<String>, String> {
    let mut previous: Option<i64> = None;
    let mut lines = Vec::with_capacity(events.len());
    for (i, RawEvent(mut map)) in events.into_iter().enumerate() {
        match map.get(TIMESTAMP) {
            None => {
                let t = previous.map_or(DEFAULT_EPOCH_MS, |p| p + DEFAULT_STEP_MS);
                map.insert(TIMESTAMP.into(), Json::String(format_millis(t)));
                previous = Some(t);
            }
            Some(Json::Null) => {
                map.remove(TIMESTAMP);
            }
            Some(Json::String(s)) if s.starts_with('+') || s.starts_with('-') => {
                let delta = parse_offset(s).ok_or_else(|| {
                    format!(
                        "event {i}: `@timestamp: {s}` is not an offset (write `+5s`, `-250ms`, `+2m`, `+1h`, `+1d`)"
                    )
                })?;
                let origin = previous.unwrap_or(DEFAULT_EPOCH_MS);
                let t = origin.checked_add(delta).ok_or_else(|| {
                    format!("event {i}: `@timestamp: {s}` is out of range")
                })?;
                map.insert(TIMESTAMP.into(), Json::String(format_millis(t)));
                previous = Some(t);
            }
            Some(Json::String(s)) => {
                let t = parse_timestamp(s).ok_or_else(|| {
                    format!(
                        "event {i}: `@timestamp: {s}` is not a date (write ISO 8601 such as 2026-01-01T00:00:00Z, epoch milliseconds, or an offset such as +5s)"
                    )
                })?;
                previous = Some(t);
            }
            Some(Json::Number(n)) => {
                let t = n.as_i64().ok_or_else(|| {
                    format!("event {i}: `@timestamp: {n}` is not whole epoch milliseconds")
                })?;
                previous = Some(t);
            }
            Some(other) => {
                return Err(format!(
                    "event {i}: `@timestamp` is {other}, expected a date, epoch milliseconds, an offset (+5s) or null"
                ))
            }
        }
        lines.push(Json::Object(map).to_string());
    }
    Ok(lines)
}

/// `+5s`, `-250ms`, `+2m`, `+1h`, `+1d` in milliseconds.
fn parse_offset(s: &str) -> Option<i64> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1i64, &s[1..]),
        b'-' => (-1i64, &s[1..]),
        _ => return None,
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n: i64 = rest[..digits].parse().ok()?;
    let unit = match &rest[digits..] {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit)?.checked_mul(sign)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    cases: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    /// Free text for the reader; not checked.
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    events: Vec<RawEvent>,
    expect: RawExpect,
}

/// An event: a mapping, or a string holding one JSON object.
struct RawEvent(Map<String, Json>);

impl<'de> Deserialize<'de> for RawEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Json::deserialize(d)? {
            Json::Object(m) => Ok(RawEvent(m)),
            Json::String(s) => match serde_json::from_str::<Json>(&s) {
                Ok(Json::Object(m)) => Ok(RawEvent(m)),
                Ok(_) => Err(de::Error::custom(
                    "an event string must hold one JSON object",
                )),
                Err(e) => Err(de::Error::custom(format!(
                    "an event string must hold one JSON object: {e}"
                ))),
            },
            other => Err(de::Error::custom(format!(
                "an event is a mapping (nested or dotted keys) or a string holding a JSON object, not {other}"
            ))),
        }
    }
}

/// One position of an alert: an event index or `missing`.
struct RawSlot(Option<usize>);

impl<'de> Deserialize<'de> for RawSlot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawSlot;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event index (0, 1, …) or `missing`")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawSlot, E> {
                usize::try_from(v)
                    .map(|i| RawSlot(Some(i)))
                    .map_err(|_| E::custom("event index out of range"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawSlot, E> {
                Err(E::custom(format!("event index {v}: indexes start at 0")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSlot, E> {
                if v == "missing" {
                    Ok(RawSlot(None))
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

type RawAlert = Vec<RawSlot>;

/// `expect:` as a list (exact) or a mapping (count bounds and partial alerts).
enum RawExpect {
    Exact(Vec<RawAlert>),
    Partial(RawPartial),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPartial {
    #[serde(default)]
    count: Option<RawCount>,
    #[serde(default)]
    alerts: Vec<RawPattern>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    #[serde(default)]
    kind: Option<RawKind>,
    #[serde(default)]
    events: Option<RawAlert>,
    #[serde(default)]
    join_keys: Option<Vec<Json>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawKind {
    Event,
    Sequence,
    Sample,
}

/// `count: 2`, or `{exactly: 2}`, `{at_least: 1}`, `{at_most: 3}`, both bounds.
struct RawCount {
    at_least: Option<usize>,
    at_most: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCountMap {
    #[serde(default)]
    exactly: Option<usize>,
    #[serde(default)]
    at_least: Option<usize>,
    #[serde(default)]
    at_most: Option<usize>,
}

impl<'de> Deserialize<'de> for RawCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, or a mapping of `exactly`, `at_least`, `at_most`")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawCount, E> {
                let n = usize::try_from(v).map_err(|_| E::custom("count out of range"))?;
                Ok(RawCount {
                    at_least: Some(n),
                    at_most: Some(n),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawCount, A::Error> {
                let m = RawCountMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (m.exactly, m.at_least, m.at_most) {
                    (Some(n), None, None) => Ok(RawCount {
                        at_least: Some(n),
                        at_most: Some(n),
                    }),
                    (Some(_), _, _) => Err(de::Error::custom(
                        "`exactly` excludes `at_least` and `at_most`",
                    )),
                    (None, None, None) => Err(de::Error::custom(
                        "a count needs `exactly`, `at_least` or `at_most`",
                    )),
                    (None, lo, hi) => Ok(RawCount {
                        at_least: lo,
                        at_most: hi,
                    }),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawExpect {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawExpect;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a list of alerts (each a list of event indexes, `missing` at a missing-event stage; `[]` for none), or a mapping with `count` and `alerts`",
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawExpect, A::Error> {
                let mut alerts = Vec::new();
                while let Some(a) = seq.next_element::<RawAlert>()? {
                    alerts.push(a);
                }
                Ok(RawExpect::Exact(alerts))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawExpect, A::Error> {
                RawPartial::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawExpect::Partial)
            }
        }
        d.deserialize_any(V)
    }
}

fn slots(raw: RawAlert, events: usize, what: &str) -> Result<AlertEvents, String> {
    let alert: AlertEvents = raw.into_iter().map(|s| s.0).collect();
    if alert.is_empty() {
        return Err(format!("{what} is empty: an alert has at least one event"));
    }
    if alert.iter().all(Option::is_none) {
        return Err(format!("{what} has no event, only `missing`"));
    }
    if let Some(i) = alert.iter().flatten().find(|&&i| i >= events) {
        return Err(format!(
            "{what} names event {i}, but the case has {events} event{} (indexes start at 0)",
            if events == 1 { "" } else { "s" }
        ));
    }
    Ok(alert)
}

impl RawExpect {
    fn into_expectation(self, events: usize) -> Result<Expectation, String> {
        match self {
            RawExpect::Exact(alerts) => {
                let alerts = alerts
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| slots(a, events, &format!("expected alert {i}")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Expectation::Exact(alerts))
            }
            RawExpect::Partial(p) => {
                let (at_least, at_most) = p.count.map_or((None, None), |c| (c.at_least, c.at_most));
                if let (Some(lo), Some(hi)) = (at_least, at_most) {
                    if lo > hi {
                        return Err(format!("count: at_least {lo} is more than at_most {hi}"));
                    }
                }
                if let Some(hi) = at_most {
                    if p.alerts.len() > hi {
                        return Err(format!(
                            "{} partial alerts listed but at most {hi} alerts allowed",
                            p.alerts.len()
                        ));
                    }
                }
                if at_least.is_none() && at_most.is_none() && p.alerts.is_empty() {
                    return Err(
                        "an `expect` mapping needs `count`, `alerts` or both (write `expect: []` for silence)"
                            .into(),
                    );
                }
                let alerts = p
                    .alerts
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        Ok(AlertPattern {
                            kind: a.kind.map(|k| {
                                match k {
                                    RawKind::Event => "event",
                                    RawKind::Sequence => "sequence",
                                    RawKind::Sample => "sample",
                                }
                                .to_string()
                            }),
                            events: a
                                .events
                                .map(|e| slots(e, events, &format!("partial alert {i}")))
                                .transpose()?,
                            join_keys: a.join_keys,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(Expectation::Partial {
                    at_least,
                    at_most,
                    alerts,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<TestFile, SpecError> {
        parse(Path::new("t.test.yaml"), text)
    }

    #[test]
    fn events_and_timestamps() {
        let f = p(r#"
cases:
  - name: a
    events:
      - {event: {category: [process]}, process.name: cmd.exe}
      - "@timestamp": +5s
        x: 1
      - '{"@timestamp": "-250ms", "y": "z"}'
      - {"@timestamp": "2026-02-01T00:00:00Z"}
      - {"@timestamp": null, "q": true}
      - {w: 2}
    expect: [[0, 1]]
"#)
        .unwrap();
        let lines = &f.cases[0].lines;
        let ts: Vec<Option<String>> = lines
            .iter()
            .map(|l| {
                serde_json::from_str::<Json>(l).unwrap()[TIMESTAMP]
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        assert_eq!(
            ts,
            vec![
                Some("2026-01-01T00:00:00.000Z".into()),
                Some("2026-01-01T00:00:05.000Z".into()),
                Some("2026-01-01T00:00:04.750Z".into()),
                Some("2026-02-01T00:00:00Z".into()),
                None,
                Some("2026-02-01T00:00:01.000Z".into()),
            ]
        );
        assert!(lines[0].contains(r#""process.name":"cmd.exe""#));
        assert_eq!(
            f.cases[0].expect,
            Expectation::Exact(vec![vec![Some(0), Some(1)]])
        );
    }

    #[test]
    fn partial_expectations() {
        let f = p(r#"
cases:
  - name: a
    events: [{x: 1}, {x: 2}]
    expect:
      count: {at_least: 1}
      alerts:
        - {kind: sequence, events: [0, missing], join_keys: ["h", 3]}
  - name: b
    events: [{x: 1}]
    expect: {count: 2}
"#)
        .unwrap();
        assert_eq!(
            f.cases[0].expect,
            Expectation::Partial {
                at_least: Some(1),
                at_most: None,
                alerts: vec![AlertPattern {
                    kind: Some("sequence".into()),
                    events: Some(vec![Some(0), None]),
                    join_keys: Some(vec![Json::from("h"), Json::from(3)]),
                }],
            }
        );
        assert_eq!(
            f.cases[1].expect,
            Expectation::Partial {
                at_least: Some(2),
                at_most: Some(2),
                alerts: vec![]
            }
        );
    }

    #[test]
    fn errors_have_positions_and_say_what_was_expected() {
        let e = p("cases:\n  - name: a\n    events: [{x: 1}]\n    expect: [[0, 3]]\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 5), "{e}");
        assert!(
            e.message
                .contains("names event 3, but the case has 1 event"),
            "{e}"
        );

        let e =
            p("cases:\n  - name: a\n    events: [{x: 1}]\n    expect: [[0, oops]]\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("`missing`"), "{e}");

        let e = p("cases:\n  - name: a\n    evnts: []\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("unknown field `evnts`"), "{e}");

        let e = p("cases:\n  - name: a\n    events: ['{not json']\n    expect: []\n").unwrap_err();
        assert!(e.message.contains("JSON object"), "{e}");

        let e = p("cases:\n  - name: a\n    events: [{'@timestamp': +5x}]\n    expect: []\n")
            .unwrap_err();
        assert!(e.message.contains("not an offset"), "{e}");

        let e = p("cases:\n  - name: a\n    events: [{}]\n    expect: []\n  - name: a\n    events: [{}]\n    expect: []\n").unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert!(e.message.contains("same name"), "{e}");

        let e = p("cases:\n  - name: a\n    events: [{}]\n    expect: {count: {at_least: 3, at_most: 1}}\n").unwrap_err();
        assert!(e.message.contains("more than at_most"), "{e}");

        let e = p("cases: [\n").unwrap_err();
        assert!(
            e.line >= 1 && e.to_string().starts_with("error: t.test.yaml:"),
            "{e}"
        );
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+5s"), Some(5_000));
        assert_eq!(parse_offset("-250ms"), Some(-250));
        assert_eq!(parse_offset("+2m"), Some(120_000));
        assert_eq!(parse_offset("+1d"), Some(86_400_000));
        assert_eq!(parse_offset("+s"), None);
        assert_eq!(parse_offset("+5"), None);
        assert_eq!(parse_offset("+99999999999999999999s"), None);
    }
}
