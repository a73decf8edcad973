//! Testing one rule: its test stream's cases and the cases generated from it, each
//! through both back ends, checked against its expectation; the snapshot of its test
//! stream; the `--min-cases` rule.

use std::path::{Path, PathBuf};

use rule_compiler::codegen::GenRule;
use rule_compiler::gen::{generate, CaseKind, Gap, GenOptions};
use rule_runtime::ruleset::RuleSetSpec;
use serde::Serialize;

use crate::expect;
use crate::render::{alert_line, snapshot_text};
use crate::run::{run_both, Observed};
use crate::snapshot::{self, SnapshotOutcome};
use crate::spec::{Expectation, TestFile};

/// How rules are tested.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cases generated from each rule (matching examples and near misses).
    pub generate: bool,
    /// Seed of the generator.
    pub seed: u64,
    /// A rule's test stream must have at least this many cases (and, from 2, one that
    /// alerts and one that is silent). Generated cases do not count.
    pub min_cases: usize,
    /// Compare each test stream's alerts with its snapshot.
    pub snapshots: bool,
    /// Explain failing cases (what each stage's conditions saw).
    pub explain: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            generate: true,
            seed: 0,
            min_cases: 0,
            snapshots: true,
            explain: true,
        }
    }
}

/// Where a case came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The rule's `.test.yaml`.
    TestStream,
    /// Generated: a matching example.
    GeneratedMatch,
    /// Generated: a near miss that must not alert.
    GeneratedNearMiss,
}

impl Origin {
    /// How reports name it.
    pub fn label(&self) -> &'static str {
        match self {
            Origin::TestStream => "test stream",
            Origin::GeneratedMatch => "generated match",
            Origin::GeneratedNearMiss => "generated near miss",
        }
    }
}

/// The outcome of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub name: String,
    pub origin: Origin,
    /// `None`: passed. Otherwise why it failed (several lines, explanation included).
    pub failure: Option<String>,
    /// The alerts (compiled back end), rendered.
    pub alerts: Vec<String>,
}

/// The outcome of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub file: String,
    pub id: String,
    pub name: String,
    pub test_file: Option<String>,
    pub cases: Vec<CaseReport>,
    /// Generated matching examples and near misses.
    pub generated_matches: usize,
    pub generated_near_misses: usize,
    /// What the generator could not produce, and why.
    pub gaps: Vec<Gap>,
    /// Failures that are not one case's (`--min-cases`, the snapshot, benign streams).
    pub rule_failures: Vec<String>,
    /// A note that does not fail the rule (a new snapshot).
    pub notes: Vec<String>,
    /// False when the rule file does not compile (its diagnostics are the failure).
    pub compiles: bool,
}

impl RuleReport {
    /// Whether every case and every rule-level check passed.
    pub fn passed(&self) -> bool {
        self.rule_failures.is_empty() && self.cases.iter().all(|c| c.failure.is_none())
    }

    /// The report of a rule file that does not compile: it fails, with its diagnostics.
    pub fn broken(path: &Path, errors: &[String]) -> RuleReport {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        RuleReport {
            file,
            id: String::new(),
            name: String::new(),
            test_file: None,
            cases: Vec::new(),
            generated_matches: 0,
            generated_near_misses: 0,
            gaps: Vec::new(),
            rule_failures: vec![format!(
                "the rule does not compile (fix it; `eqlc check {}` shows the same):\n{}",
                display_path(path),
                errors.join("\n")
            )],
            notes: Vec::new(),
            compiles: false,
        }
    }

    /// The test-stream cases.
    pub fn stream_cases(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.origin == Origin::TestStream)
            .count()
    }
}

/// A rule and its test stream.
pub struct RuleUnderTest<'a> {
    pub rule: &'a GenRule,
    /// The rule file's stem (names the test file and the snapshot).
    pub stem: String,
    pub test_file: Option<&'a TestFile>,
}

/// Tests one rule (compiled matchers from `spec`, the interpreter from `rule`).
pub fn test_rule(
    spec: &'static RuleSetSpec,
    rules_dir: &Path,
    target: &RuleUnderTest<'_>,
    options: &Options,
) -> RuleReport {
    let rule = target.rule;
    let mut report = RuleReport {
        file: rule.file.clone(),
        id: rule.ir.id.clone(),
        name: rule.ir.name.clone(),
        test_file: target.test_file.map(|t| display_path(&t.path)),
        cases: Vec::new(),
        generated_matches: 0,
        generated_near_misses: 0,
        gaps: Vec::new(),
        rule_failures: Vec::new(),
        notes: Vec::new(),
        compiles: true,
    };
    // The test stream.
    let mut snapshot_cases = Vec::new();
    if let Some(tf) = target.test_file {
        for case in &tf.cases {
            let (cr, alerts) = run_case(
                spec,
                rule,
                &case.name,
                Origin::TestStream,
                &case.lines,
                &case.expect,
                options,
            );
            report.cases.push(cr);
            snapshot_cases.push((case.name.clone(), alerts));
        }
    }
    min_cases(target, options, &mut report);
    if options.snapshots && target.test_file.is_some() {
        let text = snapshot_text(&snapshot_cases);
        match snapshot::check(rules_dir, &target.stem, &text) {
            SnapshotOutcome::Matched => {}
            SnapshotOutcome::New => report.notes.push(format!(
                "new snapshot snapshots/{}.snap: review it with `cargo insta review`",
                target.stem
            )),
            SnapshotOutcome::Changed => report.rule_failures.push(format!(
                "the alerts differ from snapshots/{}.snap (diff above); if the change is intended, accept it with `cargo insta review`",
                target.stem
            )),
        }
    }
    // Cases generated from the rule.
    if options.generate {
        let generated = generate(
            &rule.ir,
            &GenOptions {
                seed: options.seed,
                ..GenOptions::default()
            },
        );
        for case in &generated.cases {
            let origin = match case.kind {
                CaseKind::Match => {
                    report.generated_matches += 1;
                    Origin::GeneratedMatch
                }
                CaseKind::NearMiss(_) => {
                    report.generated_near_misses += 1;
                    Origin::GeneratedNearMiss
                }
            };
            let lines: Vec<String> = case.events.iter().map(|e| e.to_string()).collect();
            let (cr, _) = run_case(
                spec,
                rule,
                &case.name,
                origin,
                &lines,
                &Expectation::Exact(case.expect.clone()),
                options,
            );
            report.cases.push(cr);
        }
        report.gaps = generated.gaps;
    }
    report
}

/// `--min-cases`: enough cases, one alerting and one silent from 2.
fn min_cases(target: &RuleUnderTest<'_>, options: &Options, report: &mut RuleReport) {
    if options.min_cases == 0 {
        return;
    }
    let Some(tf) = target.test_file else {
        report.rule_failures.push(format!(
            "no test stream ({}.test.yaml): --min-cases {} needs one",
            target.stem, options.min_cases
        ));
        return;
    };
    if tf.cases.len() < options.min_cases {
        report.rule_failures.push(format!(
            "{} test case{} in {}.test.yaml, --min-cases {} needs more",
            tf.cases.len(),
            if tf.cases.len() == 1 { "" } else { "s" },
            target.stem,
            options.min_cases
        ));
    }
    if options.min_cases >= 2 {
        if !tf.cases.iter().any(|c| c.expect.alerting()) {
            report.rule_failures.push(format!(
                "no case of {}.test.yaml expects an alert (--min-cases {} needs one that does and one that does not)",
                target.stem, options.min_cases
            ));
        }
        if !tf.cases.iter().any(|c| c.expect.silent()) {
            report.rule_failures.push(format!(
                "no case of {}.test.yaml expects silence (--min-cases {} needs one that alerts and one that does not)",
                target.stem, options.min_cases
            ));
        }
    }
}

/// One case through both back ends, checked.
fn run_case(
    spec: &'static RuleSetSpec,
    rule: &GenRule,
    name: &str,
    origin: Origin,
    lines: &[String],
    expectation: &Expectation,
    options: &Options,
) -> (CaseReport, Vec<Observed>) {
    let runs = match run_both(spec, rule, lines) {
        Ok(r) => r,
        Err(e) => {
            return (
                CaseReport {
                    name: name.to_string(),
                    origin,
                    failure: Some(format!("the case could not run: {e}")),
                    alerts: Vec::new(),
                },
                Vec::new(),
            )
        }
    };
    let mut problems = Vec::new();
    if runs.disagree() {
        problems.push(format!(
            "the back ends disagree: compiled {}; interpreted {}",
            alerts_text(&runs.compiled),
            alerts_text(&runs.interpreted)
        ));
    }
    if let Err(e) = expect::check(expectation, &runs.compiled) {
        problems.push(e);
    }
    let failure = (!problems.is_empty()).then(|| {
        let mut text = problems.join("\n");
        if options.explain {
            text.push('\n');
            text.push_str(&crate::explain::why(rule, lines));
        }
        text
    });
    (
        CaseReport {
            name: name.to_string(),
            origin,
            failure,
            alerts: runs.compiled.iter().map(alert_line).collect(),
        },
        runs.compiled,
    )
}

fn alerts_text(a: &[Observed]) -> String {
    if a.is_empty() {
        "no alert".into()
    } else {
        a.iter().map(alert_line).collect::<Vec<_>>().join("; ")
    }
}

/// A path shown relative to the working directory when it is under it.
pub fn display_path(p: &Path) -> String {
    let cwd: Option<PathBuf> = std::env::current_dir().ok();
    cwd.as_deref()
        .and_then(|c| p.strip_prefix(c).ok())
        .unwrap_or(p)
        .display()
        .to_string()
}
