//! eqlc's fuzz targets as plain functions of bytes, so that the cargo-fuzz binaries
//! (`fuzz_targets/*.rs`, nightly) and the stable replay of the kept corpus
//! (`tests/fuzz_replay.rs` in the workspace, which includes this file as a module) run
//! the same code. Each function panics only on a finding: a crash of the code under test
//! or a broken invariant checked here.
//!
//! * [`rule_front_end`]: any bytes as a rule (the query of a detection-rules TOML file,
//!   EQL and KQL, a bare `.eql` file, a whole TOML file): load, parse, check, render the diagnostics,
//!   lower, generate code, build the interpreter.
//! * [`event_reader_engine`]: any bytes as an NDJSON stream through the line reader and
//!   the engine with the rules of `rules/`, compiled and interpreted; both must read
//!   every line the same way and raise the same alerts.
//! * [`test_stream_yaml`]: any bytes as a rule test stream (`*.test.yaml`).

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rule_compiler::codegen::{gen_rule, generate, rules_from_dir, GenOptions, GenRule};
use rule_compiler::interpreter::{
    InterpretedRule, InterpretedRules, InterpreterBackend, InterpreterOptions,
};
use rule_compiler::ruleset::{check_text, mark_duplicate_ids};
use rule_compiler::schema::Schema;
use rule_compiler::source::RuleFormat;
use rule_runtime::alert::Alert;
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::event::EventJson;
use rule_runtime::output::alert_to_ndjson;
use rule_runtime::ruleset::RuleSet;
use rule_runtime::sample::SampleMode;
use rule_runtime::stream::{Backend, CompiledBackend, Line, LineReader, LineStats, Scanner};

/// How far a rule got through the front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reached {
    /// The file did not load (TOML or rule-key errors).
    NotLoaded,
    /// It loaded, but the query has errors.
    Rejected,
    /// It checked, but lowering to IR failed.
    NotLowered,
    /// It lowered; the interpreter refused it.
    NotInterpreted,
    /// Lowered, generated and interpreted.
    Interpreted,
}

/// What [`rule_front_end`] saw, one entry per reading of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrontEndOutcome {
    /// The input as the `query` of a detection-rules TOML file.
    pub as_query: Reached,
    /// The input as a bare `.eql` file, checked against the ECS schema.
    pub as_eql: Reached,
    /// The input as the whole text of a TOML rule file.
    pub as_toml: Reached,
    /// The input as the `query` of a KQL (`kuery`) query rule.
    pub as_kql: Reached,
}

/// What the front-end target keeps between inputs: the ECS schema of `schemas/`.
pub struct FrontEnd {
    schema: Schema,
}

impl FrontEnd {
    /// Loads the schemas of `repo/schemas` (the folder `eqlc check --schema` reads).
    pub fn new(repo: &Path) -> FrontEnd {
        let dir = repo.join("schemas");
        let schema = Schema::load(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        FrontEnd { schema }
    }
}

/// The detection-rules TOML file whose `query` is `query`: a multi-line literal string
/// when the query allows it (as rule authors write it), else a basic string with
/// escapes (so the loader maps query offsets through its escape table).
pub fn rule_toml_with_query(query: &str) -> String {
    rule_toml_with(query, "eql", "eql")
}

/// [`rule_toml_with_query`] for a rule of another language and type (`kuery`, `query`).
pub fn rule_toml_with(query: &str, language: &str, rule_type: &str) -> String {
    let literal_ok = !query.contains("'''")
        && query
            .chars()
            .all(|c| c == '\t' || c == '\n' || !c.is_control());
    let quoted = if literal_ok {
        format!("'''\n{query}\n'''")
    } else {
        toml_basic_string(query)
    };
    format!(
        r#"[metadata]
creation_date = "2026/01/01"
maturity = "production"
updated_date = "2026/01/01"

[rule]
author = ["eqlc fuzz"]
description = "The query is the fuzzer's input."
from = "now-9m"
index = ["logs-endpoint.events.*"]
language = "{language}"
license = "Apache-2.0"
name = "Fuzzed Query"
risk_score = 47
rule_id = "0f0f0f0f-0000-4000-8000-00000000f022"
severity = "medium"
tags = ["Domain: Endpoint"]
type = "{rule_type}"
query = {quoted}

[[rule.threat]]
framework = "MITRE ATT&CK"
[rule.threat.tactic]
id = "TA0002"
name = "Execution"
reference = "https://attack.mitre.org/tactics/TA0002/"
"#
    )
}

/// `s` as a TOML basic string (`"…"`, with escapes).
fn toml_basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Any bytes (lossily decoded as UTF-8) through the rule front end, read three ways.
/// Diagnostics are fine; a panic, an abort, a stack overflow or a hang is a finding.
pub fn rule_front_end(front_end: &FrontEnd, data: &[u8]) -> FrontEndOutcome {
    let text = String::from_utf8_lossy(data);
    FrontEndOutcome {
        as_query: front_end_file(
            "fuzz_query.toml",
            rule_toml_with_query(&text),
            RuleFormat::Toml,
            None,
        ),
        as_eql: front_end_file(
            "fuzz_query.eql",
            text.to_string(),
            RuleFormat::Eql,
            Some(&front_end.schema),
        ),
        as_kql: front_end_file(
            "fuzz_kql.toml",
            rule_toml_with(&text, "kuery", "query"),
            RuleFormat::Toml,
            None,
        ),
        as_toml: front_end_file("fuzz_rule.toml", text.into_owned(), RuleFormat::Toml, None),
    }
}

/// One rule file through the front end, as `eqlc check`, the macro and `eqlc scan
/// --rules` take it.
fn front_end_file(
    name: &str,
    text: String,
    format: RuleFormat,
    schema: Option<&Schema>,
) -> Reached {
    let checked = check_text(Path::new(name), text, format, schema);
    let mut files = [checked];
    mark_duplicate_ids(&mut files);
    let [checked] = files;
    // Every diagnostic rendered with its snippet and caret, as `eqlc check` prints them.
    let _ = checked.render();
    if checked.rule.is_none() {
        return Reached::NotLoaded;
    }
    let rule = match gen_rule(&checked) {
        None => return Reached::Rejected,
        Some(Err(_)) => return Reached::NotLowered,
        Some(Ok(rule)) => rule,
    };
    // The proc-macro's code for a rule set of this one rule.
    let _ = generate(std::slice::from_ref(&rule), &GenOptions::default());
    let options = InterpreterOptions::default();
    match InterpretedRule::new(&rule.ir, Arc::new(rule.info.clone()), &options) {
        Ok(interpreted) => {
            let _ = interpreted.state::<Arc<str>>(&options);
            Reached::Interpreted
        }
        Err(_) => Reached::NotInterpreted,
    }
}

/// The longest line the event target reads as an event (longer ones are rejected as too
/// long): small enough that fuzzed inputs reach the limit, large enough for the events
/// of the sample stream and of the rules' test streams.
pub const MAX_LINE_BYTES: usize = 4096;

/// The read buffer of the event target: small and odd, so lines and the skipped rest of
/// long lines span buffer refills.
const READ_BUFFER_BYTES: usize = 61;

/// The most open join keys a sequence keeps in the event target (small, so eviction is
/// exercised by short inputs).
pub const MAX_SEQUENCE_KEYS: usize = 8;

/// What the event target keeps between inputs: the rules of `rules/` lowered for the
/// interpreter (the same rules `eqlc::compiled` compiled in), and the configuration.
pub struct EventFixture {
    rules: Vec<GenRule>,
    options: InterpreterOptions,
    config: EngineConfig,
}

impl EventFixture {
    /// Loads the rules of `rules_dir`, which must be the rules compiled into
    /// `eqlc::compiled` (same files, same ids, same order).
    pub fn new(rules_dir: &Path) -> Result<EventFixture, String> {
        let (mut rules, _) = rules_from_dir(rules_dir).map_err(|e| e.join("\n"))?;
        rules.sort_by(|a, b| a.file.cmp(&b.file).then(a.ir.id.cmp(&b.ir.id)));
        let interpreted: Vec<(&str, &str)> = rules
            .iter()
            .map(|r| (r.file.as_str(), r.ir.id.as_str()))
            .collect();
        let compiled: Vec<(&str, &str)> = eqlc::compiled::RULE_SET
            .rules
            .iter()
            .map(|r| (r.file, r.id))
            .collect();
        if interpreted != compiled {
            return Err(format!(
                "the rules of {} are not the rules compiled into eqlc (was it built with \
                 another EQLC_RULES_DIR?):\ninterpreted: {interpreted:?}\ncompiled: {compiled:?}",
                rules_dir.display()
            ));
        }
        Ok(EventFixture {
            rules,
            options: InterpreterOptions {
                sample_mode: SampleMode::Stream,
                max_sequence_keys: Some(MAX_SEQUENCE_KEYS),
                ..InterpreterOptions::default()
            },
            // `eqlc scan`'s default reorder window.
            config: EngineConfig::with_window(5_000),
        })
    }

    fn compiled(&self) -> Scanner<CompiledBackend> {
        let set = RuleSet::all(&eqlc::compiled::RULE_SET, &self.config.time);
        let states = set
            .states(&self.options.matcher_options())
            .expect("compiled rule states");
        Scanner::new(
            CompiledBackend::new(set),
            Engine::new(self.config.clone(), states),
        )
    }

    fn interpreted(&self) -> Scanner<InterpreterBackend> {
        let rules = self
            .rules
            .iter()
            .map(|r| {
                InterpretedRule::new(&r.ir, Arc::new(r.info.clone()), &self.options)
                    .unwrap_or_else(|e| panic!("{}: {e}", r.file))
            })
            .collect();
        let rules = InterpretedRules::new(rules, self.options.clone());
        let states = rules.states().expect("interpreted rule states");
        Scanner::new(
            InterpreterBackend::new(rules, self.config.time.clone()),
            Engine::new(self.config.clone(), states),
        )
    }
}

/// What [`event_reader_engine`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOutcome {
    /// What the reader and the back ends read (the same for both back ends).
    pub stats: LineStats,
    /// The alerts raised (the same for both back ends).
    pub alerts: usize,
}

/// An alert as the back ends are compared on it: its NDJSON line (events verbatim) and
/// its exact join-key values.
fn alert_record<E: EventJson>(alert: &Alert<E>) -> String {
    let line = alert_to_ndjson(alert).expect("an alert is written to memory");
    format!(
        "{} {:?}",
        String::from_utf8_lossy(&line).trim_end(),
        alert.join_keys
    )
}

fn drain<B: Backend>(scanner: &mut Scanner<B>, into: &mut Vec<String>) {
    into.extend(scanner.drain_alerts().map(|a| alert_record(&a)));
}

/// A copy of a line for the second back end.
fn same_line<'a>(line: &Line<'a>) -> Line<'a> {
    match line {
        Line::Text(t) => Line::Text(t),
        Line::Blank => Line::Blank,
        Line::Bad(e) => Line::Bad(e.clone()),
    }
}

/// Any bytes as an NDJSON stream through [`LineReader`] into the compiled and the
/// interpreted back end. Panics on a finding: a crash, a line not accounted for (every
/// line is an event, blank, or rejected with a reason), or the back ends disagreeing on
/// a line or on the alerts.
pub fn event_reader_engine(fixture: &EventFixture, data: &[u8]) -> EventOutcome {
    let mut compiled = fixture.compiled();
    let mut interpreted = fixture.interpreted();
    let (mut alerts_c, mut alerts_i) = (Vec::new(), Vec::new());
    let mut reader = LineReader::with_limit(
        BufReader::with_capacity(READ_BUFFER_BYTES, data),
        MAX_LINE_BYTES,
    );
    loop {
        let number = reader.line_number() + 1;
        let Some(line) = reader.next_line().expect("reading from memory cannot fail") else {
            break;
        };
        let copy = same_line(&line);
        let shown = match &line {
            Line::Text(t) => t.chars().take(200).collect::<String>(),
            _ => String::new(),
        };
        let c = compiled.push(line).map_err(|e| e.reason());
        let i = interpreted.push(copy).map_err(|e| e.reason());
        assert_eq!(
            c, i,
            "line {number} (compiled, interpreted) are read differently: {shown}"
        );
        drain(&mut compiled, &mut alerts_c);
        drain(&mut interpreted, &mut alerts_i);
    }
    compiled.flush();
    interpreted.flush();
    drain(&mut compiled, &mut alerts_c);
    drain(&mut interpreted, &mut alerts_i);

    let stats = compiled.stats().clone();
    assert_eq!(
        stats.lines,
        stats.events + stats.blank + stats.rejected_total(),
        "every line is an event, blank or rejected: {stats:?}"
    );
    assert_eq!(stats.lines, reader.line_number(), "every line is pushed");
    assert_eq!(
        &stats,
        interpreted.stats(),
        "the back ends count lines alike"
    );
    assert_eq!(
        alerts_c, alerts_i,
        "the compiled (left) and interpreted (right) back ends raise different alerts"
    );
    EventOutcome {
        stats,
        alerts: alerts_c.len(),
    }
}

/// Any bytes (lossily decoded as UTF-8) as a rule test stream: loaded, or a
/// [`rule_test::spec::SpecError`] (whose message renders), never a panic. Returns the
/// number of cases loaded.
pub fn test_stream_yaml(data: &[u8]) -> Result<usize, String> {
    let text = String::from_utf8_lossy(data);
    match rule_test::spec::parse(Path::new("fuzz.test.yaml"), &text) {
        Ok(file) => Ok(file.cases.len()),
        Err(e) => Err(e.to_string()),
    }
}
