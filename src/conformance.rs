//! Elasticsearch's EQL test suite (`tests/conformance/es-eql/`) run through eqlc's
//! streaming engine and reference interpreter.
//!
//! The back end is pluggable ([`Backend`]: an event → its handle, a query → what
//! evaluates it and its state): [`run_suite`] uses the reference interpreter
//! ([`Interpreter`]); `tests/compiled` runs the same harness over the compiled rule sets
//! with [`run_suite_with`]. The pure loading
//! half (specs, data sets, mappings, [`compile`]) lives in `conformance/loader.rs`, which
//! that crate's build script includes to generate the queries.
//!
//! Every active query of every spec file that the conformance runner uses (all but
//! `test_failing_shards.toml`, which tests shard failures: 301 queries) is parsed,
//! checked, lowered to IR, evaluated by the back end and run by a
//! [`rule_runtime::engine::Engine`] over the query's data set, the events pushed one at
//! a time in file order and then flushed. The alerts, in the order the engine produced
//! them, are compared with Elasticsearch's expectations: their events flattened to ids
//! (`-1` at a missing-event position), and their join keys as strings.
//!
//! # Data
//!
//! The data sets are loaded as Elasticsearch's `DataLoader` indexes them (the suite's
//! README lists the conversions):
//!
//! * `endgame-140`: `@timestamp = timestamp / 10000 − 11644473600000` (Windows FILETIME
//!   ticks → epoch milliseconds), tiebreaker `serial_event_id`;
//! * the nanosecond variant of it (`test_queries_date_nanos.toml`): `timestamp` read as
//!   epoch **nanoseconds**, written to `@timestamp` as ISO 8601 text keeping every
//!   significant fraction digit (`1974-03-03T02:22:54.294365140Z`);
//! * `extra`, `missing-events`: as they are (`@timestamp` epoch-millis strings), tiebreaker
//!   `sequence`; `//` comment lines of `missing-events.data` are dropped;
//! * `sample1` + `sample2` + `sample3` (queried together) and `sample-multi`: no
//!   timestamp, no tiebreaker, ids read from `id`.
//!
//! Each mapping's aliases are materialised (`event.category` → `event_type`,
//! `event.sequence` → the tiebreaker): an event gets the alias path with its target's
//! values. Values of `date` fields with a custom `format` (`dd-MM-yyyy`, `yyyy-MM-dd`) are
//! converted to epoch milliseconds, so that keys compare instants; an explicit `null` of a
//! field mapped with `null_value` becomes that value (as it is indexed). The interpreter
//! receives the `date`, `date_nanos`, `ip` and `version` fields of the mappings as
//! [`FieldType`]s, plus the fields Elasticsearch's dynamic mapping detects as dates
//! (string values that are all ISO 8601 date-times, e.g. `extra`'s `date_tags`), plus the
//! documented supplements of [`MAPPING_SUPPLEMENTS`].
//!
//! # Runner settings
//!
//! `size` = [`RUNNER_SIZE`] (results are cut to it, as Elasticsearch returns at most
//! `size`; no expectation of the suite reaches it), `event.category` as the category
//! field, `@timestamp` as the timestamp field, a reorder window wider than the data set's
//! disorder (at least [`MIN_REORDER_WINDOW_MS`]). Sample queries use the interpreter's
//! batch sample mode with the query's `size` (default [`RUNNER_SIZE`]) and
//! `max_samples_per_key` (default 1).
//!
//! Join keys render as the suite spells them: `"null"`, numbers and booleans as text,
//! dates of sequences as ISO 8601 (`1970-01-01T00:00:00.000Z`), dates of samples as
//! epoch-millisecond strings (Elasticsearch reads sample keys from a composite
//! aggregation, which returns dates as longs).

mod loader;

pub use loader::*;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use rule_compiler::interpreter::{InterpretedRule, InterpreterOptions};
use rule_compiler::ir::{QueryIr, RuleIr, StageIr};
use rule_compiler::schema::FieldType;
use rule_runtime::alert::{Alert, RuleInfo};
use rule_runtime::engine::{Engine, EngineConfig, Pipe};
use rule_runtime::event::{Event, LineEvent};
use rule_runtime::sample::SampleMode;
use rule_runtime::state::{RuleState, SetHits};
use rule_runtime::time::{format_millis, timestamp_from_value};
use rule_runtime::value::Value;

// ---------------------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------------------

/// What one query's run returned, flattened as the suite spells it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observed {
    /// Ids of every result's events, in result order (`-1` at a missing position).
    pub ids: Vec<i64>,
    /// Every result's join keys, in result order.
    pub join_keys: Vec<String>,
}

/// How one query fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// The results differ from the expectation.
    Mismatch {
        observed: Observed,
        /// Whether the ids matched (then only the join keys differ).
        ids_ok: bool,
    },
    /// The query did not compile or run (diagnostics, lowering or matcher error).
    Error(String),
    /// Not run, for the reason of [`SKIPS`].
    Skipped(&'static str),
}

/// One query's result.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub spec: SpecQuery,
    pub outcome: Outcome,
}

fn fmt_ids(ids: &[i64]) -> String {
    format!("{ids:?}")
}

impl QueryResult {
    /// Whether the query passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Passed
    }

    /// One line describing a failure (`None` for a pass or a skip).
    pub fn failure_line(&self) -> Option<String> {
        let s = &self.spec;
        let expected = if s.expected.len() == 1 {
            fmt_ids(&s.expected[0])
        } else {
            format!(
                "one of {}",
                s.expected
                    .iter()
                    .map(|a| fmt_ids(a))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        };
        match &self.outcome {
            Outcome::Passed | Outcome::Skipped(_) => None,
            Outcome::Error(e) => Some(format!(
                "FAIL {}#{}: expected {expected}, got error: {}",
                s.file,
                s.name,
                e.trim_end().replace('\n', " ⏎ ")
            )),
            Outcome::Mismatch { observed, ids_ok } => {
                let mut line = format!(
                    "FAIL {}#{}: expected {expected}, got {}",
                    s.file,
                    s.name,
                    fmt_ids(&observed.ids)
                );
                if *ids_ok {
                    line = format!(
                        "FAIL {}#{}: ids ok {}, join keys expected {:?}, got {:?}",
                        s.file,
                        s.name,
                        fmt_ids(&observed.ids),
                        s.join_keys.as_deref().unwrap_or_default(),
                        observed.join_keys
                    );
                } else if let Some(keys) = &s.join_keys {
                    line.push_str(&format!(
                        " (join keys expected {keys:?}, got {:?})",
                        observed.join_keys
                    ));
                }
                Some(line)
            }
        }
    }
}

/// Compares what a run returned with a query's expectation.
pub fn compare(spec: &SpecQuery, observed: Observed) -> Outcome {
    let ids_ok = spec.expected.contains(&observed.ids);
    let keys_ok = spec
        .join_keys
        .as_ref()
        .is_none_or(|keys| *keys == observed.join_keys);
    if ids_ok && keys_ok {
        Outcome::Passed
    } else {
        Outcome::Mismatch { observed, ids_ok }
    }
}

/// The whole suite's results.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub results: Vec<QueryResult>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Report {
    fn push(&mut self, result: QueryResult) {
        match result.outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Mismatch { .. } | Outcome::Error(_) => self.failed += 1,
        }
        self.results.push(result);
    }

    /// `conformance: N passed, F failed, S skipped`.
    pub fn summary_line(&self) -> String {
        format!(
            "conformance: {} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }

    /// One line per failing query, in suite order.
    pub fn failure_lines(&self) -> Vec<String> {
        self.results
            .iter()
            .filter_map(QueryResult::failure_line)
            .collect()
    }

    /// Whether the whole suite gave Elasticsearch's answers: every one of the
    /// [`SUITE_QUERY_COUNT`] queries ran, the skips are exactly [`SKIPS`], and none
    /// failed. `Err` lists what is wrong, each failing query with expected and got.
    pub fn verdict(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.results.len() != SUITE_QUERY_COUNT {
            problems.push(format!(
                "{} queries ran, the suite has {SUITE_QUERY_COUNT} (320 active minus 19 of test_failing_shards.toml)",
                self.results.len()
            ));
        }
        let skipped: std::collections::BTreeSet<String> = self
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Skipped(_)))
            .map(|r| format!("{}#{}", r.spec.file, r.spec.name))
            .collect();
        if skipped != documented_skips() || self.skipped != SKIPS.len() {
            problems.push(format!(
                "skipped {skipped:?}, but the SKIPS table lists {:?}",
                documented_skips()
            ));
        }
        let failures = self.failure_lines();
        if !failures.is_empty() {
            problems.push(format!(
                "{} of {} queries differ from Elasticsearch:\n{}",
                failures.len(),
                SUITE_QUERY_COUNT,
                failures.join("\n")
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            problems.push(self.summary_line());
            Err(problems.join("\n"))
        }
    }

    /// The results of the queries that failed.
    pub fn failures(&self) -> impl Iterator<Item = &QueryResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Mismatch { .. } | Outcome::Error(_)))
    }
}

/// A back end the suite runs through: how a data set's events become the handles it
/// takes, and how a query is evaluated and what state it keeps. [`Interpreter`] is
/// eqlc's reference interpreter; the compiled rule sets (`tests/compiled`) are another.
pub trait Backend {
    /// The event handle the engine and the rules see.
    type Event: Event + Clone + 'static;

    /// A data set's events as handles, in load order (called once per data set).
    fn events(&self, data: &Data) -> Vec<Self::Event>;

    /// One query's evaluation and state. `rule` is the query compiled by [`compile`]
    /// (the back end may use it or its own build of the same query), `sample_mode` the
    /// mode the runner settings give it.
    fn runner(
        &self,
        spec: &SpecQuery,
        rule: &RuleIr,
        data: &Data,
        sample_mode: SampleMode,
    ) -> Result<Box<dyn QueryRunner<Self::Event>>, String>;
}

/// One query, as a back end runs it.
pub trait QueryRunner<E> {
    /// The query's stage hits on `event`, as rule 0 of `hits` (cleared first).
    fn evaluate(&mut self, event: &E, hits: &mut SetHits);

    /// The query's state and pipes.
    #[allow(clippy::type_complexity)]
    fn state(&self) -> Result<(Box<dyn RuleState<E>>, Vec<Pipe>), String>;
}

/// The reference interpreter as a [`Backend`]: events as `Arc<LineEvent>`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interpreter;

struct InterpretedQuery {
    rule: InterpretedRule,
    options: InterpreterOptions,
    pipes: Vec<Pipe>,
}

impl QueryRunner<Arc<LineEvent>> for InterpretedQuery {
    fn evaluate(&mut self, event: &Arc<LineEvent>, hits: &mut SetHits) {
        hits.clear();
        let h = hits.begin(0);
        self.rule.evaluate(&**event, h);
        hits.end();
    }

    fn state(&self) -> Result<(Box<dyn RuleState<Arc<LineEvent>>>, Vec<Pipe>), String> {
        Ok((self.rule.state(&self.options)?, self.pipes.clone()))
    }
}

impl Backend for Interpreter {
    type Event = Arc<LineEvent>;

    fn events(&self, data: &Data) -> Vec<Arc<LineEvent>> {
        line_events(data)
    }

    fn runner(
        &self,
        spec: &SpecQuery,
        rule: &RuleIr,
        data: &Data,
        sample_mode: SampleMode,
    ) -> Result<Box<dyn QueryRunner<Arc<LineEvent>>>, String> {
        let options = InterpreterOptions {
            field_types: data.field_types.clone(),
            sample_mode,
            max_sequence_keys: None,
        };
        let interpreted = InterpretedRule::new(rule, Arc::new(rule_info(spec)), &options)?;
        Ok(Box::new(InterpretedQuery {
            rule: interpreted,
            options,
            pipes: rule.pipes.clone(),
        }))
    }
}

/// A data set's events with their JSON text as the line (what both back ends take).
pub fn line_events(data: &Data) -> Vec<Arc<LineEvent>> {
    data.events
        .iter()
        .map(|e| Arc::new(LineEvent::from_json_event((**e).clone())))
        .collect()
}

/// The [`RuleInfo`] the runner gives a query (its name as id and name).
pub fn rule_info(spec: &SpecQuery) -> RuleInfo {
    RuleInfo {
        id: spec.name.clone(),
        name: spec.name.clone(),
        severity: "low".into(),
        ..RuleInfo::default()
    }
}

/// Runs every query of the suite in `dir` (the folder of `README.md` and the spec files)
/// through the reference interpreter. Fails only when a suite file cannot be read or has
/// an unexpected shape; a query that does not compile or run is a failed query of the
/// report.
pub fn run_suite(dir: &Path) -> Result<Report, SuiteError> {
    run_suite_with(dir, &Interpreter)
}

/// [`run_suite`] through any [`Backend`].
pub fn run_suite_with<B: Backend>(dir: &Path, backend: &B) -> Result<Report, SuiteError> {
    let mut report = Report::default();
    let mut data: HashMap<DataSet, (Data, Vec<B::Event>)> = HashMap::new();
    for (file, set) in SPEC_FILES {
        let specs = load_spec(&dir.join(file))?;
        if !data.contains_key(set) {
            let d = load_data(dir, *set)?;
            let events = backend.events(&d);
            data.insert(*set, (d, events));
        }
        let Some((d, events)) = data.get(set) else {
            continue;
        };
        for spec in specs {
            let outcome = match SKIPS
                .iter()
                .find(|(f, n, _)| *f == spec.file && *n == spec.name)
            {
                Some((_, _, reason)) => Outcome::Skipped(reason),
                None => match run_query_with(&spec, d, events, backend) {
                    Ok(observed) => compare(&spec, observed),
                    Err(e) => Outcome::Error(e),
                },
            };
            report.push(QueryResult { spec, outcome });
        }
    }
    Ok(report)
}

/// Runs one query over a data set through the streaming engine and the interpreter.
pub fn run_query(spec: &SpecQuery, data: &Data) -> Result<Observed, String> {
    run_query_with(spec, data, &line_events(data), &Interpreter)
}

/// Runs one query over a data set (`events`: its handles, from [`Backend::events`])
/// through the streaming engine and `backend`.
pub fn run_query_with<B: Backend>(
    spec: &SpecQuery,
    data: &Data,
    events: &[B::Event],
    backend: &B,
) -> Result<Observed, String> {
    let rule = compile(spec)?;
    let is_sample = matches!(rule.query, QueryIr::Sample(_));
    let sample_mode = if is_sample {
        SampleMode::Batch {
            size: spec.size.unwrap_or(RUNNER_SIZE),
            max_samples_per_key: spec
                .max_samples_per_key
                .unwrap_or(DEFAULT_MAX_SAMPLES_PER_KEY),
        }
    } else {
        SampleMode::Stream
    };
    let mut runner = backend.runner(spec, &rule, data, sample_mode)?;
    let config = EngineConfig {
        time: data.time.clone(),
        reorder_window_ms: data.reorder_window_ms,
    };
    let mut engine = Engine::new(config, vec![runner.state()?]);
    let mut alerts: Vec<Alert<B::Event>> = Vec::new();
    let mut hits = SetHits::new();
    for event in events {
        runner.evaluate(event, &mut hits);
        let time = data
            .time
            .timestamp(event)
            .map(|ts| (ts, data.time.tiebreaker(event)));
        engine.push(time, &mut hits, || event.clone(), &mut alerts);
    }
    engine.flush(&mut alerts);
    if !is_sample {
        // The runner's `size`: Elasticsearch returns at most this many results.
        alerts.truncate(RUNNER_SIZE);
    }
    let key_types = key_types(&rule, &data.field_types);
    let mut observed = Observed::default();
    for alert in &alerts {
        for event in &alert.events {
            observed.ids.push(match event {
                None => -1,
                Some(e) => event_id(e, &data.id_field),
            });
        }
        for (i, key) in alert.join_keys.iter().enumerate() {
            let is_date = matches!(
                key_types.get(i).copied().flatten(),
                Some(FieldType::Date | FieldType::DateNanos)
            );
            observed.join_keys.push(render_key(key, is_date, is_sample));
        }
    }
    Ok(observed)
}

/// An event's id (`i64::MIN` when it has none, which never matches an expectation).
fn event_id<E: Event>(event: &E, field: &str) -> i64 {
    match event.first_value(field) {
        Some(Value::Int(i)) => i,
        Some(Value::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => f as i64,
        Some(Value::Str(s)) => s.parse().unwrap_or(i64::MIN),
        _ => i64::MIN,
    }
}

/// The type of each join-key position: the first stage's key field type (any stage's,
/// for samples whose stages key on different fields).
fn key_types(rule: &RuleIr, types: &BTreeMap<String, FieldType>) -> Vec<Option<FieldType>> {
    let stages: &[StageIr] = match &rule.query {
        QueryIr::Event(_) => return Vec::new(),
        QueryIr::Sequence(s) => &s.stages,
        QueryIr::Sample(s) => &s.stages,
    };
    let width = stages.first().map_or(0, |s| s.keys.len());
    (0..width)
        .map(|i| {
            stages.iter().find_map(|s| {
                let key = s.keys.get(i)?;
                let path = rule.fields.get(usize::try_from(key.field).ok()?)?;
                types.get(path).copied()
            })
        })
        .collect()
}

/// A join key as the suite spells it.
pub fn render_key(value: &Value<'_>, is_date: bool, is_sample: bool) -> String {
    if is_date {
        if let Some(ms) = timestamp_from_value(value) {
            return if is_sample {
                ms.to_string()
            } else {
                format_millis(ms)
            };
        }
    }
    value
        .to_text()
        .map_or_else(|| "null".to_string(), |t| t.into_owned())
}

/// The skips of [`SKIPS`] as `file#name` strings (for the tests).
pub fn documented_skips() -> BTreeSet<String> {
    SKIPS.iter().map(|(f, n, _)| format!("{f}#{n}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rule_runtime::time::parse_timestamp;

    #[test]
    fn bare_nulls_are_quoted_only_in_join_keys() {
        let text = "query = '''x where y == null'''\njoin_keys = [null, \"a\", null]\n\
                    join_keys = [\"null\",\n  null, \"nullx\"]\nname = \"null\"\n";
        let out = quote_bare_nulls(text);
        assert_eq!(
            out,
            "query = '''x where y == null'''\njoin_keys = [\"null\", \"a\", \"null\"]\n\
             join_keys = [\"null\",\n  \"null\", \"nullx\"]\nname = \"null\"\n"
        );
    }

    #[test]
    fn specs_parse_flat_and_alternative_ids() {
        let text = r#"
[[queries]]
name = "a"
query = ''' process where true '''
expected_event_ids = [1, 2]
join_keys = [null, "x"]

#[[queries]]
#name = "commented"

[[queries]]
name = "b"
query = "sample by x [a where true] [b where true]"
expected_event_ids = [[1, 2], [3, 4]]
size = 3
max_samples_per_key = 2

[[queries]]
name = "c"
query = "any where false"
expected_event_ids = []
"#;
        let specs = parse_spec("t.toml", text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(specs.len(), 3);
        assert_eq!(specs[0].query, "process where true");
        assert_eq!(specs[0].expected, vec![vec![1, 2]]);
        assert_eq!(
            specs[0].join_keys,
            Some(vec!["null".to_string(), "x".to_string()])
        );
        assert_eq!(specs[1].expected, vec![vec![1, 2], vec![3, 4]]);
        assert_eq!(
            (specs[1].size, specs[1].max_samples_per_key),
            (Some(3), Some(2))
        );
        assert_eq!(specs[2].expected, vec![Vec::<i64>::new()]);
        assert_eq!(specs[2].join_keys, None);
    }

    #[test]
    fn bad_specs_are_errors_not_panics() {
        for bad in [
            "[[queries]]\nquery = 'x'\nexpected_event_ids = []",
            "[[queries]]\nname = 'a'\nexpected_event_ids = []",
            "[[queries]]\nname = 'a'\nquery = 'x'",
            "[[queries]]\nname = 'a'\nquery = 'x'\nexpected_event_ids = ['x']",
            "[[queries]]\nname = 'a'\nquery = 'x'\nexpected_event_ids = []\nsize = -1",
            "[[queries]]\nname = 'a'\nquery = 'x'\nexpected_event_ids = []\n\
             [[queries]]\nname = 'a'\nquery = 'y'\nexpected_event_ids = []",
            "queries = 3",
            "not toml [",
        ] {
            assert!(parse_spec("t.toml", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn data_files_json_array_ndjson_and_comments() {
        let docs = parse_data("d", "[\n {\"a\": 1},\n  //// comment\n {\"a\": 2}\n]").unwrap();
        assert_eq!(docs.len(), 2);
        let docs = parse_data("d", "{\"a\": 1}\n\n{\"a\": 2}\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert!(parse_data("d", "[1]").is_err());
        assert!(parse_data("d", "{").is_err());
        assert!(parse_data("d", "{\"a\": 1}\n[").is_err());
    }

    #[test]
    fn mappings_with_comments_aliases_and_formats() {
        let text = "# comment\n{\"properties\": {\"event\": {\"properties\": {\"category\": \
                    {\"type\": \"alias\", \"path\": \"event_type\"}}}, \"d\": {\"type\": \"date\", \
                    \"format\": \"dd-MM-yyyy\"}, \"ip\": {\"type\": \"ip\"}}}";
        let fields = parse_mapping("m", text).unwrap();
        assert!(fields.contains(&MappedField {
            path: "event.category".into(),
            kind: "alias".into(),
            format: None,
            alias_of: Some("event_type".into()),
            null_value: None,
        }));
        assert!(fields
            .iter()
            .any(|f| f.path == "d" && f.format.as_deref() == Some("dd-MM-yyyy")));
        assert!(parse_mapping("m", "{}").is_err());
        assert!(parse_mapping("m", "{").is_err());
    }

    #[test]
    fn custom_date_formats() {
        assert_eq!(
            parse_with_format("dd-MM-yyyy", "17-12-2022"),
            Some(1_671_235_200_000)
        );
        assert_eq!(
            parse_with_format("yyyy-MM-dd", "2022-12-17"),
            Some(1_671_235_200_000)
        );
        assert_eq!(parse_with_format("dd-MM-yyyy", "2022-12-17"), None);
        assert_eq!(parse_with_format("dd-MM-yyyy", "31-02-2022"), None);
        assert_eq!(
            parse_with_format("yyyy-MM-dd'T'HH:mm:ss.SSS", "1970-01-01T00:00:01.250"),
            Some(1250)
        );
        assert_eq!(
            parse_with_format("dd-MM-yyyy||epoch_millis", "1671235200000"),
            Some(1_671_235_200_000)
        );
        assert_eq!(
            parse_with_format("strict_date_optional_time", "2022-12-17T00:00:00Z"),
            Some(1_671_235_200_000)
        );
    }

    #[test]
    fn timestamp_conversions() {
        assert_eq!(filetime_to_millis(116_444_736_000_000_000), 0);
        assert_eq!(
            filetime_to_millis(131_485_996_510_000_000),
            1_504_126_051_000
        );
        assert_eq!(
            format_nanos(131_485_996_510_000_000),
            "1974-03-02T19:53:16.510Z"
        );
        assert_eq!(
            format_nanos(131_509_374_294_365_140),
            "1974-03-03T02:22:54.29436514Z"
        );
        assert_eq!(
            parse_timestamp(&format_nanos(131_509_374_294_365_140)),
            Some(131_509_374_294)
        );
    }

    #[test]
    fn join_keys_render_like_the_suite() {
        assert_eq!(render_key(&Value::Null, false, false), "null");
        assert_eq!(render_key(&Value::Int(123), false, false), "123");
        assert_eq!(render_key(&Value::Bool(false), false, true), "false");
        assert_eq!(
            render_key(&Value::Str("10.0.0.1".into()), false, true),
            "10.0.0.1"
        );
        assert_eq!(
            render_key(&Value::Str("1970-01-02T00:00:00.000Z".into()), true, false),
            "1970-01-02T00:00:00.000Z"
        );
        assert_eq!(
            render_key(&Value::Int(0), true, false),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            render_key(&Value::Int(1_671_235_200_000), true, true),
            "1671235200000"
        );
        assert_eq!(
            render_key(&Value::Str("1671235200000".into()), true, true),
            "1671235200000"
        );
        assert_eq!(render_key(&Value::Null, true, true), "null");
    }

    fn spec(expected: Vec<Vec<i64>>, join_keys: Option<Vec<&str>>) -> SpecQuery {
        SpecQuery {
            file: "f.toml".into(),
            name: "q".into(),
            query: "any where true".into(),
            expected,
            join_keys: join_keys.map(|k| k.into_iter().map(str::to_string).collect()),
            size: None,
            max_samples_per_key: None,
        }
    }

    #[test]
    fn comparison_with_alternatives_and_keys() {
        let obs = |ids: Vec<i64>, keys: Vec<&str>| Observed {
            ids,
            join_keys: keys.into_iter().map(str::to_string).collect(),
        };
        let s = spec(vec![vec![1, 2], vec![3, 4]], None);
        assert_eq!(compare(&s, obs(vec![3, 4], vec!["x"])), Outcome::Passed);
        assert!(matches!(
            compare(&s, obs(vec![2, 1], vec![])),
            Outcome::Mismatch { ids_ok: false, .. }
        ));
        let s = spec(vec![vec![1, -1]], Some(vec!["null"]));
        assert_eq!(compare(&s, obs(vec![1, -1], vec!["null"])), Outcome::Passed);
        let out = compare(&s, obs(vec![1, -1], vec!["a"]));
        assert!(matches!(out, Outcome::Mismatch { ids_ok: true, .. }));
        let r = QueryResult {
            spec: s.clone(),
            outcome: out,
        };
        let line = r.failure_line().unwrap_or_default();
        assert!(
            line.contains("f.toml#q") && line.contains("\"a\""),
            "{line}"
        );
        let s = spec(vec![vec![]], Some(vec![]));
        assert_eq!(compare(&s, obs(vec![], vec![])), Outcome::Passed);
    }

    #[test]
    fn summary_line_format() {
        let mut r = Report::default();
        r.push(QueryResult {
            spec: spec(vec![vec![]], None),
            outcome: Outcome::Passed,
        });
        r.push(QueryResult {
            spec: spec(vec![vec![]], None),
            outcome: Outcome::Error("boom".into()),
        });
        assert_eq!(
            r.summary_line(),
            "conformance: 1 passed, 1 failed, 0 skipped"
        );
        assert_eq!(r.failure_lines().len(), 1);
        assert!(r.failure_lines()[0].contains("boom"));
    }

    #[test]
    fn verdict_names_what_is_wrong() {
        let mut r = Report::default();
        r.push(QueryResult {
            spec: spec(vec![vec![]], None),
            outcome: Outcome::Error("boom".into()),
        });
        let e = r.verdict().unwrap_err();
        assert!(
            e.contains("1 queries ran") && e.contains("1 of 301 queries differ"),
            "{e}"
        );
        assert!(
            e.ends_with("conformance: 0 passed, 1 failed, 0 skipped"),
            "{e}"
        );
    }

    #[test]
    fn suite_data_sets_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/es-eql");
        for (set, count) in [
            (DataSet::Endgame, 102),
            (DataSet::EndgameNanos, 102),
            (DataSet::Extra, 23),
            (DataSet::MissingEvents, 48),
            (DataSet::Sample, 28),
            (DataSet::SampleMulti, 10),
        ] {
            let data = load_data(&dir, set).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(data.events.len(), count, "{set:?}");
            assert!(data
                .events
                .iter()
                .all(|e| e.first_value(CATEGORY_FIELD).is_some()));
            assert!(data.reorder_window_ms >= MIN_REORDER_WINDOW_MS);
        }
        let endgame = load_data(&dir, DataSet::Endgame).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            endgame.events[1].first_value("@timestamp"),
            Some(Value::Int(1_504_126_051_000))
        );
        assert_eq!(
            endgame.field_types.get("source_address"),
            Some(&FieldType::Ip)
        );
        let extra = load_data(&dir, DataSet::Extra).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(extra.field_types.get("date_tags"), Some(&FieldType::Date));
        assert_eq!(extra.field_types.get("version"), Some(&FieldType::Version));
        assert_eq!(extra.field_types.get("tags"), None);
        let defaults: Vec<_> = extra
            .events
            .iter()
            .filter_map(|e| e.first_value("optional_field_default_null"))
            .collect();
        assert_eq!(
            defaults,
            vec![Value::Str("NULL".into()); 2],
            "null_value applied"
        );
        let sample = load_data(&dir, DataSet::Sample).unwrap_or_else(|e| panic!("{e}"));
        let pretty: Vec<_> = sample
            .events
            .iter()
            .filter_map(|e| e.first_value("@timestamp_pretty"))
            .collect();
        assert!(
            pretty.contains(&Value::Int(1_671_235_200_000)),
            "{pretty:?}"
        );
        assert!(pretty.iter().all(|v| matches!(v, Value::Int(_))));
    }

    #[test]
    fn suite_specs_count() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/es-eql");
        let total: usize = SPEC_FILES
            .iter()
            .map(|(f, _)| load_spec(&dir.join(f)).map_or(0, |s| s.len()))
            .sum();
        assert_eq!(total, SUITE_QUERY_COUNT);
    }
}
