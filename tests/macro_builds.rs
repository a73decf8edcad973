//! The proc-macro as a user meets it, in a scratch crate built by cargo: a bad rule fails
//! the build naming `file:line:col`; editing, adding and deleting a rule, and switching
//! `EQLC_RULES_DIR`, are each picked up by the next plain `cargo build`.
//!
//! The scratch crates share their own target folder (inside cargo's
//! `CARGO_TARGET_TMPDIR`), so their builds do not wait on the outer one; the first build
//! compiles the macro's dependencies, later ones only the scratch crate.
//!
//! Hostile rules (a chain of 23,000 terms, nesting at and past the depth limit, 23,000
//! errors in one file) build, or fail with readable diagnostics, in bounded time.

#[allow(dead_code)]
#[path = "frontend/hostile_rules.rs"]
mod hostile_rules;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The target folder the scratch crates share (each builds its own binary name).
fn scratch_target() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("macro-scratch-target")
}

/// A scratch crate using `include_rules!()` with this package's build script.
fn make_scratch(dir: &Path) {
    make_scratch_named(dir, "scratch_rules")
}

/// [`make_scratch`], naming the package (and its binary) `name`.
fn make_scratch_named(dir: &Path, name: &str) {
    let _ = std::fs::remove_dir_all(dir.join("src"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let root = root();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nrule_macros = {{ path = {:?} }}\nrule_runtime = {{ path = {:?} }}\n\n[workspace]\n",
            root.join("rule_macros"),
            root.join("rule_runtime")
        ),
    )
    .unwrap();
    // The same lock as the project, so the scratch build needs no resolution.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::write(dir.join("build.rs"), include_str!("../build.rs")).unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "mod compiled {\n    rule_macros::include_rules!();\n}\n\nfn main() {\n    for r in &compiled::RULES {\n        println!(\"{} {}\", r.id, r.file);\n    }\n}\n",
    )
    .unwrap();
}

/// `cargo build` in the scratch crate: (success, stderr).
fn build(dir: &Path, rules_dir: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.arg("build")
        .arg("--quiet")
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", scratch_target())
        .env_remove("EQLC_RULES_DIR");
    if let Some(r) = rules_dir {
        cmd.env("EQLC_RULES_DIR", r);
    }
    let out = cmd.output().expect("cargo runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The rules the scratch binary was built with: "id file" lines, sorted.
fn listed(_dir: &Path) -> Vec<String> {
    listed_named("scratch_rules")
}

/// [`listed`] for the scratch crate named `name`.
fn listed_named(name: &str) -> Vec<String> {
    let exe = scratch_target().join("debug").join(name);
    let out = Command::new(exe).output().expect("scratch binary runs");
    let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn rule(id: &str, query: &str) -> String {
    format!(
        "[rule]\nrule_id = \"{id}\"\nname = \"{id}\"\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = \"low\"\nrisk_score = 21\nquery = '''\n{query}\n'''\n"
    )
}

#[test]
fn rebuilds_and_build_errors() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("macro-scratch");
    make_scratch(&dir);
    let rules = dir.join("rules");
    let _ = std::fs::remove_dir_all(&rules);
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("a.toml"),
        rule("id-a", "process where process.name : \"a.exe\""),
    )
    .unwrap();
    std::fs::write(
        rules.join("b.toml"),
        rule("id-b", "file where file.name == \"b\""),
    )
    .unwrap();

    let (ok, err) = build(&dir, None);
    assert!(ok, "first build: {err}");
    assert_eq!(listed(&dir), ["id-a a.toml", "id-b b.toml"]);

    // Edit a rule (its id changes).
    std::fs::write(
        rules.join("b.toml"),
        rule("id-b2", "file where file.name == \"b\""),
    )
    .unwrap();
    let (ok, err) = build(&dir, None);
    assert!(ok, "after edit: {err}");
    assert_eq!(listed(&dir), ["id-a a.toml", "id-b2 b.toml"]);

    // Add a rule.
    std::fs::write(
        rules.join("c.eql"),
        "network where destination.port == 4444\n",
    )
    .unwrap();
    let (ok, err) = build(&dir, None);
    assert!(ok, "after add: {err}");
    assert_eq!(listed(&dir), ["c c.eql", "id-a a.toml", "id-b2 b.toml"]);

    // Delete a rule.
    std::fs::remove_file(rules.join("a.toml")).unwrap();
    let (ok, err) = build(&dir, None);
    assert!(ok, "after delete: {err}");
    assert_eq!(listed(&dir), ["c c.eql", "id-b2 b.toml"]);

    // Switch the folder with EQLC_RULES_DIR.
    let other = dir.join("other_rules");
    let _ = std::fs::remove_dir_all(&other);
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("z.eql"), "any where true\n").unwrap();
    let (ok, err) = build(&dir, Some("other_rules"));
    assert!(ok, "with EQLC_RULES_DIR: {err}");
    assert_eq!(listed(&dir), ["z z.eql"]);

    // Back to rules/, now with a bad rule: the build fails naming file:line:col and
    // the offending text, and only the real errors are reported (no cascade).
    std::fs::write(
        rules.join("bad.toml"),
        rule(
            "id-bad",
            "process where\n  process.name == \"x\" and\n  strlen(process.name) > 3",
        ),
    )
    .unwrap();
    let (ok, err) = build(&dir, None);
    assert!(!ok, "a bad rule must fail the build");
    assert!(
        err.contains("error: rules/bad.toml:11:3: unknown function `strlen` [unknown-function]"),
        "{err}"
    );
    assert!(!err.contains("error: error"), "doubled prefix: {err}");
    assert!(err.contains("strlen(process.name) > 3"), "{err}");
    let errors = err.matches("error").count();
    assert!(
        !err.contains("cannot find") && !err.contains("E0425") && !err.contains("E0433"),
        "follow-on errors ({errors} mentions of error):\n{err}"
    );
}

#[test]
fn hostile_rules_build_or_fail_readably() {
    use hostile_rules::{deep_condition, long_chain_query, many_errors_query, rule_file};
    use rule_compiler::parser::MAX_EXPR_DEPTH;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("macro-hostile");
    make_scratch_named(&dir, "scratch_hostile");
    let rules = dir.join("rules");
    let _ = std::fs::remove_dir_all(&rules);
    std::fs::create_dir_all(&rules).unwrap();
    let at_limit_arith = format!(
        "process where {} > 1",
        vec!["a"; MAX_EXPR_DEPTH - 1].join(" + ")
    );
    for (name, query) in [
        ("long", long_chain_query()),
        (
            "deep",
            format!("process where {}", deep_condition(MAX_EXPR_DEPTH).0),
        ),
        ("arith", at_limit_arith),
    ] {
        std::fs::write(rules.join(format!("{name}.toml")), rule_file(name, &query)).unwrap();
    }
    // The first build may compile the macro's dependencies; time the second, which
    // runs the macro on the three rules and compiles their code.
    let (ok, err) = build(&dir, None);
    assert!(ok, "hostile rules at the limits: {err}");
    std::fs::write(
        dir.join("src/main.rs"),
        std::fs::read_to_string(dir.join("src/main.rs")).unwrap() + "\n",
    )
    .unwrap();
    let t = Instant::now();
    let (ok, err) = build(&dir, None);
    eprintln!(
        "macro build of the 23,000-term rule and the rules at the depth limit: {:?}",
        t.elapsed()
    );
    assert!(ok, "{err}");
    assert_eq!(
        listed_named("scratch_hostile"),
        ["arith arith.toml", "deep deep.toml", "long long.toml"]
    );

    // One level past the limit, and 23,000 errors in one file: the build fails with
    // the depth error at the offending operand, and at most 20 errors per file.
    std::fs::write(
        rules.join("past.toml"),
        rule_file(
            "past",
            &format!("process where {}", deep_condition(MAX_EXPR_DEPTH + 1).0),
        ),
    )
    .unwrap();
    std::fs::write(
        rules.join("many.toml"),
        rule_file("many", &many_errors_query()),
    )
    .unwrap();
    let t = Instant::now();
    let (ok, err) = build(&dir, None);
    eprintln!("macro build failing on 23,000 errors: {:?}", t.elapsed());
    assert!(!ok, "a rule past the depth limit must fail the build");
    assert!(
        err.contains(&format!(
            "expression is nested more than {MAX_EXPR_DEPTH} levels deep [limit]"
        )),
        "{err}"
    );
    assert!(err.contains("error: rules/past.toml:9:"), "{err}");
    assert_eq!(err.matches("[unknown-function]").count(), 20, "{err}");
    assert!(
        err.contains("… and 22980 more in rules/many.toml (22980 errors)"),
        "{err}"
    );
    assert!(
        !err.contains("cannot find") && !err.contains("E0425") && !err.contains("E0433"),
        "follow-on errors:\n{err}"
    );
}
