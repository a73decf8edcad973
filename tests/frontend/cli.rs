//! `eqlc check` as a user runs it.

use std::process::Command;

fn eqlc(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .args(args)
        .current_dir(crate::root())
        .output()
        .expect("eqlc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_defaults_to_rules_folder() {
    let (code, out) = eqlc(&["check"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 1 rules: 1 ok, 0 failed")
    );
}

#[test]
fn check_fails_on_a_bad_rule_and_reports_every_file() {
    let dir = std::env::temp_dir().join(format!("eqlc-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("good.eql"),
        "process where process.name : \"cmd.exe\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("bad.eql"), "process where\n  process.name == \n").unwrap();
    let (code, out) = eqlc(&["check", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("bad.eql:3:1"), "{out}");
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 2 rules: 1 ok, 1 failed")
    );
}

#[test]
fn check_corpus_prints_the_summary() {
    let Some(dir) = crate::shared("corpus/detection-rules-eql") else {
        return;
    };
    let (code, out) = eqlc(&["check", "--quiet", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(out.trim_end(), "checked 1024 rules: 1024 ok, 0 failed");
}
