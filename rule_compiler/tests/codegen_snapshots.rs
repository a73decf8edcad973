//! The formatted generated code of one fixture rule per feature (event query, sequence
//! with until, runs, missing events, sample, long lists), as insta snapshots.

use rule_compiler::codegen::{generate, rules_from_dir, GenOptions};
use std::path::Path;

fn generated(fixture: &str) -> String {
    let dir = std::env::temp_dir().join(format!("eqlc-codegen-{}-{fixture}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/codegen")
        .join(format!("{fixture}.eql"));
    std::fs::copy(&src, dir.join(format!("{fixture}.eql"))).unwrap();
    let (rules, _) = rules_from_dir(&dir).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    std::fs::remove_dir_all(&dir).ok();
    let tokens = generate(&rules, &GenOptions::default());
    let file = syn::parse_file(&tokens.to_string()).expect("generated code parses");
    prettyplease::unparse(&file)
}

#[test]
fn event_query() {
    insta::assert_snapshot!(generated("event_query"));
}

#[test]
fn sequence_with_until() {
    insta::assert_snapshot!(generated("sequence_until"));
}

#[test]
fn sequence_with_runs() {
    insta::assert_snapshot!(generated("sequence_runs"));
}

#[test]
fn missing_events() {
    insta::assert_snapshot!(generated("missing_events"));
}

#[test]
fn sample() {
    insta::assert_snapshot!(generated("sample"));
}

#[test]
fn output_is_deterministic() {
    assert_eq!(generated("sequence_until"), generated("sequence_until"));
}

#[test]
fn large_lists() {
    let code = generated("large_lists");
    // A long list on a field is one leaf over the rule set's atoms: the index tests
    // all its literals at once, the rule reads the atoms.
    assert!(
        code.contains("a.any(&[") && code.matches("AtomKind::LikeFolded").count() == 8,
        "{code}"
    );
    insta::assert_snapshot!(code);
}
