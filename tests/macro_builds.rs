//! The proc-macro as a user meets it, in a scratch crate built by cargo: a bad rule fails
//! the build naming `file:line:col`; editing, adding and deleting a rule, and switching
//! `EQLC_RULES_DIR`, are each picked up by the next plain `cargo build`.
//!
//! The scratch crate has its own target folder (inside cargo's `CARGO_TARGET_TMPDIR`),
//! so its builds do not wait on the outer one; the first build compiles the macro's
//! dependencies, later ones only the scratch crate.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch crate using `include_rules!()` with this package's build script.
fn make_scratch(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir.join("src"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let root = root();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"scratch_rules\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
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
        .env("CARGO_TARGET_DIR", dir.join("target"))
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
fn listed(dir: &Path) -> Vec<String> {
    let exe = dir.join("target/debug/scratch_rules");
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
        err.contains("error[unknown-function]: unknown function `strlen`"),
        "{err}"
    );
    assert!(err.contains("--> rules/bad.toml:11:3"), "{err}");
    assert!(err.contains("strlen(process.name) > 3"), "{err}");
    let errors = err.matches("error").count();
    assert!(
        !err.contains("cannot find") && !err.contains("E0425") && !err.contains("E0433"),
        "follow-on errors ({errors} mentions of error):\n{err}"
    );
}
