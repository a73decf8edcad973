//! Hostile rules: a chain of 23,000 terms, nesting at and past the depth limit, a line
//! of 250 KB, thousands of errors in one file. Each must finish in bounded time and
//! stack (these tests run on the test harness's 2 MiB threads) and give readable
//! diagnostics. The same rules through the macro are in `tests/macro_builds.rs`.

use crate::hostile_rules::{deep_condition, long_chain_query, many_errors_query, rule_file};
use rule_compiler::ast::QueryBody;
use rule_compiler::checker::check_query;
use rule_compiler::codegen::{generate, GenOptions, GenRule};
use rule_compiler::diagnostic::{Code, MAX_RENDERED_PER_FILE, SNIPPET_WIDTH};
use rule_compiler::interpreter::{InterpretedRule, InterpreterOptions};
use rule_compiler::ir::{lower_query, Cond, QueryIr, DEFAULT_CATEGORY_FIELD};
use rule_compiler::parse_query;
use rule_compiler::parser::MAX_EXPR_DEPTH;
use rule_runtime::event::JsonEvent;
use rule_runtime::state::StageHits;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fresh folder for one test's rule files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eqlc-hostile-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `eqlc check <dir>`: exit code, stdout, and how long it took.
fn eqlc_check(dir: &std::path::Path) -> (i32, String, Duration) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .args(["check", dir.to_str().unwrap()])
        .output()
        .expect("eqlc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        t.elapsed(),
    )
}

/// Interpret an event query on one JSON event: did it match?
fn interpret(ir: &rule_compiler::ir::RuleIr, event: &str) -> bool {
    let rule = InterpretedRule::new(ir, Arc::default(), &InterpreterOptions::default()).unwrap();
    let e = JsonEvent::parse(event).unwrap();
    let mut hits = StageHits::default();
    rule.evaluate(&e, &mut hits);
    !hits.stages.is_empty()
}

/// Parse, check, lower, generate code for and interpret `query`, returning the IR.
fn through_every_stage(query: &str) -> rule_compiler::ir::RuleIr {
    let q = parse_query(query).unwrap_or_else(|e| panic!("{:?}", e.first()));
    let ds = check_query(&q, None);
    assert!(ds.is_empty(), "{:?}", ds.first());
    // The printer: printed and parsed again, the same query.
    assert_eq!(
        parse_query(&q.to_string()).map(|p| p.to_string()),
        Ok(q.to_string())
    );
    let ir = lower_query("id", "name", "stem", DEFAULT_CATEGORY_FIELD, &q).unwrap();
    let code = generate(
        &[GenRule {
            ir: ir.clone(),
            info: Default::default(),
            file: "stem.toml".into(),
            query: query.to_string(),
        }],
        &GenOptions::default(),
    );
    assert!(!code.is_empty());
    ir
}

#[test]
fn a_chain_of_23000_terms_is_flat_and_goes_through_every_stage() {
    let query = long_chain_query();
    let t = Instant::now();
    let q = parse_query(&query).unwrap();
    let QueryBody::Event(f) = &q.body else {
        panic!()
    };
    assert_eq!(f.condition.depth(), 3, "one n-ary chain of comparisons");
    let parsed = t.elapsed();
    let ir = through_every_stage(&query);
    let QueryIr::Event(f) = &ir.query else {
        panic!()
    };
    assert!(matches!(&f.condition, Cond::And(xs) if xs.len() == 23_000));
    let process = r#"{"event": {"category": "process"}, "a": 1}"#;
    let t2 = Instant::now();
    assert!(interpret(&ir, process));
    assert!(!interpret(
        &ir,
        r#"{"event": {"category": "process"}, "a": 2}"#
    ));
    eprintln!(
        "23,000-term rule: parsed in {parsed:?}, all stages in {:?}, interpreted (2 events, rule built twice) in {:?}",
        t.elapsed(),
        t2.elapsed()
    );
    assert!(t.elapsed() < Duration::from_secs(120), "{:?}", t.elapsed());
}

#[test]
fn a_chain_of_23000_terms_through_eqlc_check() {
    let dir = temp_dir("chain");
    std::fs::write(
        dir.join("long.toml"),
        rule_file("long", &long_chain_query()),
    )
    .unwrap();
    let (code, out, took) = eqlc_check(&dir);
    std::fs::remove_dir_all(&dir).ok();
    eprintln!("eqlc check of the 23,000-term rule: {took:?}");
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim_end(), "checked 1 rules: 1 ok, 0 failed");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn long_or_chains_and_lists_are_flat_too() {
    // An `or` chain of `and` chains, and a list of 2,600 values (as Elastic's corpus has).
    let or_chain = (0..5_000)
        .map(|i| format!("(a == {i} and b : \"x{i}*\")"))
        .collect::<Vec<_>>()
        .join(" or ");
    let list = (0..2_600)
        .map(|i| format!("\"v{i}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let query = format!("process where ({or_chain}) and c in ({list}) and not d : ({list})");
    let ir = through_every_stage(&query);
    assert!(interpret(
        &ir,
        r#"{"event": {"category": "process"}, "a": 4999, "b": "X4999y", "c": "v7", "d": "w"}"#
    ));
    assert!(!interpret(
        &ir,
        r#"{"event": {"category": "process"}, "a": 4999, "b": "X4998", "c": "v7"}"#
    ));
}

#[test]
fn nesting_at_the_depth_limit_goes_through_every_stage() {
    let (cond, value) = deep_condition(MAX_EXPR_DEPTH);
    let query = format!("process where {cond}");
    let q = parse_query(&query).unwrap();
    let QueryBody::Event(f) = &q.body else {
        panic!()
    };
    assert_eq!(f.condition.depth(), MAX_EXPR_DEPTH);
    let ir = through_every_stage(&query);
    let event = |a: i32| format!(r#"{{"event": {{"category": "process"}}, "a": {a}, "c": "x"}}"#);
    assert_eq!(interpret(&ir, &event(1)), value);
    assert_eq!(interpret(&ir, &event(2)), !value);
}

#[test]
fn nesting_past_the_depth_limit_is_an_error_at_the_offending_operand() {
    let (cond, _) = deep_condition(MAX_EXPR_DEPTH + 1);
    let query = format!("process where {cond}");
    let errors = parse_query(&query).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let d = &errors[0];
    assert_eq!(d.code, Code::Limit);
    assert_eq!(
        d.message,
        format!("expression is nested more than {MAX_EXPR_DEPTH} levels deep")
    );
    let span = d.span.unwrap();
    // The innermost comparison, which would be one level too deep.
    assert_eq!(
        &query[span.start..],
        "a == 1".to_string() + &")".repeat(MAX_EXPR_DEPTH - 1)
    );
}

#[test]
fn arithmetic_chains_are_bounded_before_they_are_built() {
    // At the limit: a comparison (1 level), 62 operators, the operands.
    let at = format!(
        "process where {} > 1",
        vec!["a"; MAX_EXPR_DEPTH - 1].join(" + ")
    );
    let ir = through_every_stage(&at);
    assert!(interpret(
        &ir,
        r#"{"event": {"category": "process"}, "a": 1}"#
    ));
    let past = format!(
        "process where {} > 1",
        vec!["a"; MAX_EXPR_DEPTH].join(" + ")
    );
    let e = parse_query(&past).unwrap_err();
    assert_eq!(e[0].code, Code::Limit, "{e:?}");
    // 23,000 terms: rejected without building a 23,000-deep tree (or overflowing).
    let t = Instant::now();
    let huge = format!("process where {} > 1", vec!["a"; 23_000].join(" * "));
    let e = parse_query(&huge).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].code, Code::Limit);
    assert!(t.elapsed() < Duration::from_secs(30));
}

#[test]
fn deep_nesting_through_eqlc_check() {
    let dir = temp_dir("deep");
    let (at, _) = deep_condition(MAX_EXPR_DEPTH);
    let (past, _) = deep_condition(MAX_EXPR_DEPTH + 1);
    std::fs::write(
        dir.join("at.toml"),
        rule_file("at", &format!("process where {at}")),
    )
    .unwrap();
    std::fs::write(
        dir.join("past.toml"),
        rule_file("past", &format!("process where {past}")),
    )
    .unwrap();
    let (code, out, _) = eqlc_check(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "error[limit]: expression is nested more than {MAX_EXPR_DEPTH} levels deep"
        )),
        "{out}"
    );
    assert!(out.contains("past.toml:9:"), "{out}");
    assert!(
        out.contains("= help: split the rule into several rules"),
        "{out}"
    );
    assert!(!out.contains("at.toml"), "{out}");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 2 rules: 1 ok, 1 failed")
    );
}

#[test]
fn thousands_of_errors_on_one_long_line_stay_readable() {
    // 23,000 unknown functions on one 207 KB line.
    let query = many_errors_query();
    let dir = temp_dir("errors");
    std::fs::write(dir.join("many.toml"), rule_file("many", &query)).unwrap();
    let (code, out, took) = eqlc_check(&dir);
    std::fs::remove_dir_all(&dir).ok();
    eprintln!("eqlc check of 23,000 errors: {took:?}");
    assert_eq!(code, 1);
    assert_eq!(
        out.matches("error[unknown-function]").count(),
        MAX_RENDERED_PER_FILE,
        "{out}"
    );
    let more = 23_000 - MAX_RENDERED_PER_FILE;
    assert!(
        out.contains(&format!(
            "… and {more} more in {}",
            dir.join("many.toml").display()
        )) && out.contains(&format!("({more} errors)")),
        "{out}"
    );
    // No line is much wider than the snippet window (the gutter, `…`s and the file
    // path aside).
    let widest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest < SNIPPET_WIDTH + 200, "{widest}");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 1 rules: 0 ok, 1 failed")
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
}

/// The deepest corpus query is far from the limit: the limit rejects no real rule.
#[test]
fn corpus_depth_is_well_under_the_limit() {
    let Some(dir) = crate::shared("corpus/detection-rules-eql") else {
        return;
    };
    let report = rule_compiler::ruleset::check_paths(&[dir], None).unwrap();
    let mut deepest = (0, String::new());
    for f in &report.files {
        let Some((_, q)) = f.ok() else { continue };
        for filter in q.filters() {
            let d = filter.condition.depth();
            if d > deepest.0 {
                deepest = (d, f.path.display().to_string());
            }
        }
    }
    eprintln!(
        "deepest corpus condition: {} levels ({})",
        deepest.0, deepest.1
    );
    assert!(deepest.0 * 2 <= MAX_EXPR_DEPTH, "{deepest:?}");
}
