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

/// The number of rule files in `rules/` (the tests do not assume one).
fn rules_in_folder() -> usize {
    let mut n = 0;
    let mut stack = vec![crate::root().join("rules")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("toml" | "eql")) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn check_defaults_to_rules_folder() {
    let (code, out) = eqlc(&["check"]);
    assert_eq!(code, 0, "{out}");
    let n = rules_in_folder();
    assert_eq!(
        out.trim_end().lines().last(),
        Some(format!("checked {n} rules: {n} ok, 0 failed").as_str())
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
    assert!(out.contains("bad.eql:2:16"), "{out}");
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
    assert_eq!(
        out.trim_end(),
        "checked 1024 rules: 1024 ok, 0 failed (20 warnings)"
    );
}

#[test]
fn check_kql_corpus_prints_the_summary() {
    let Some(dir) = crate::shared("corpus/detection-rules-kql") else {
        return;
    };
    let (code, out) = eqlc(&["check", "--quiet", dir.to_str().unwrap()]);
    // Two `query` rules fail (see DESIGN.md, "KQL"): exit status 1.
    assert_eq!(code, 1);
    assert_eq!(
        out.trim_end().lines().last(),
        Some("checked 729 rules: 452 ok, 2 failed, 275 not supported yet (new_terms 241, threshold 28, threat_match 6) (56 warnings)")
    );
}

#[test]
fn check_emit_dsl_prints_kibanas_query() {
    let dir = std::env::temp_dir().join(format!("eqlc-emit-dsl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rule = dir.join("r.toml");
    std::fs::write(
        &rule,
        "[rule]\nrule_id = \"r\"\nname = \"r\"\nlanguage = \"kuery\"\ntype = \"query\"\nquery = 'process.name:cmd.exe and process.args:*-enc*'\n[[rule.filters]]\n[rule.filters.meta]\nnegate = true\n[rule.filters.query.exists]\nfield = \"user.id\"\n",
    )
    .unwrap();
    let (code, out) = eqlc(&["check", "--emit-dsl", rule.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 0, "{out}");
    let line: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(line["rule_id"], "r");
    assert_eq!(
        line["dsl"],
        serde_json::json!({"bool": {
            "must": [],
            "filter": [{"bool": {"filter": [
                {"bool": {"should": [{"term": {"process.name": {"value": "cmd.exe"}}}], "minimum_should_match": 1}},
                {"bool": {"should": [{"wildcard": {"process.args": {"value": "*\\-enc*"}}}], "minimum_should_match": 1}}
            ]}}],
            "should": [],
            "must_not": [{"exists": {"field": "user.id"}}]
        }})
    );
}

fn eqlc_full(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .args(args)
        .current_dir(crate::root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("eqlc runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn scan_alerts_on_the_seed_attack_only() {
    let (code, out, err) = eqlc_full(
        &[
            "scan",
            "--rules",
            "rules",
            "examples/events/windows_credential_access.ndjson",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let alerts: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), 1, "{out}");
    let a = &alerts[0];
    assert_eq!(a["rule"]["id"], "c5c9f591-d111-4cf8-baec-c26a39bc31ef");
    assert_eq!(a["rule"]["version"], 101);
    assert_eq!(a["kind"], "sequence");
    assert_eq!(a["join_keys"], serde_json::json!(["{a7-attack}"]));
    assert_eq!(a["timestamp"], "2026-11-02T09:00:10.100Z");
    assert_eq!(a["events"][0]["process"]["name"], "rundll32.exe");
    assert_eq!(a["events"][1]["file"]["name"], "kb5031.dll");
    assert!(
        err.contains(&format!("1 alert from {} rules", rules_in_folder()))
            && err.contains("read 17 events"),
        "{err}"
    );
}

#[test]
fn scan_reports_bad_lines_and_goes_on() {
    let input = "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"x\":1}\nnot json\n[1,2]\n\n{\"@timestamp\":\"2026-01-01T00:00:01Z\",\"x\":2}\n";
    let dir = std::env::temp_dir().join(format!("eqlc-scan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x.eql"), "any where x == 2\n").unwrap();
    let (code, out, err) = eqlc_full(&["scan", "--rules", dir.to_str().unwrap()], Some(input));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(err.contains("<stdin>:2: skipped"), "{err}");
    assert!(err.contains("<stdin>:3: skipped"), "{err}");
    assert!(
        err.contains("read 2 events")
            && err.contains("1 alert from 1 rule")
            && err.contains("skipped 2 lines that were not events: 1 not JSON, 1 not an object"),
        "{err}"
    );
}

#[test]
fn scan_refuses_rules_that_do_not_check() {
    let dir = std::env::temp_dir().join(format!("eqlc-scan-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.eql"), "process where strlen(x) > 1\n").unwrap();
    let (code, _out, err) = eqlc_full(&["scan", "--rules", dir.to_str().unwrap()], Some(""));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown function `strlen`") && err.contains("bad.eql:1:15"),
        "{err}"
    );
}
