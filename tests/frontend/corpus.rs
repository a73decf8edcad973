//! Every rule of Elastic's detection-rules corpus loads and checks without error.

use rule_compiler::ruleset::check_paths;
use rule_compiler::schema::Schema;

#[test]
fn every_corpus_rule_loads_and_checks() {
    let Some(dir) = crate::shared("corpus/detection-rules-eql") else {
        return;
    };
    let schema = Schema::load(&crate::root().join("schemas")).expect("bundled schemas load");
    let report = check_paths(&[dir], Some(&schema)).expect("corpus folder is readable");
    let failures: Vec<String> = report
        .files
        .iter()
        .filter(|f| f.has_errors())
        .map(|f| f.render())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(report.checked(), 1024, "the corpus holds 1,024 EQL rules");
    assert_eq!(report.ok(), 1024);
    // Every rule parsed into a query, and the query kinds match the corpus census
    // (`detection-rules-eql.features.txt`: 823 event, 198 sequence, 3 sample).
    let mut kinds = [0usize; 3];
    for f in &report.files {
        let (_, q) = f.ok().expect("checked rule");
        let i = match q.body {
            rule_compiler::ast::QueryBody::Event(_) => 0,
            rule_compiler::ast::QueryBody::Sequence(_) => 1,
            rule_compiler::ast::QueryBody::Sample(_) => 2,
        };
        kinds[i] += 1;
    }
    assert_eq!(kinds, [823, 198, 3]);
    // Every rule lowers to the IR the back ends read.
    for f in &report.files {
        let (rule, q) = f.ok().expect("checked rule");
        if let Err(e) = rule_compiler::ir::lower_rule(rule, q) {
            panic!("{}: {}", f.path.display(), e.message);
        }
    }
}

#[test]
fn seed_rule_and_corpus_version_are_never_one_rule_set() {
    let Some(dir) = crate::shared("corpus/detection-rules-eql") else {
        return;
    };
    let seed = crate::root().join("rules/credential_access_suspicious_comsvcs_imageload.toml");
    let corpus_version = dir.join("credential_access_suspicious_comsvcs_imageload.toml");
    let report = check_paths(&[seed, corpus_version], None).unwrap();
    assert_eq!(
        report.failed(),
        1,
        "the second file with the same rule_id fails"
    );
    let rendered = report.files[1].render();
    assert!(
        rendered.contains("error[duplicate-rule-id]")
            && rendered.contains("c5c9f591-d111-4cf8-baec-c26a39bc31ef"),
        "{rendered}"
    );
}

#[test]
fn bundled_rules_check_clean() {
    let schema = Schema::load(&crate::root().join("schemas")).unwrap();
    let report = check_paths(&[crate::root().join("rules")], Some(&schema)).unwrap();
    assert_eq!(
        report.failed(),
        0,
        "{}",
        report.files.iter().map(|f| f.render()).collect::<String>()
    );
    assert_eq!(report.warnings(), 0);
    let seed = report
        .files
        .iter()
        .find(|f| {
            f.path
                .ends_with("credential_access_suspicious_comsvcs_imageload.toml")
        })
        .expect("the seed rule is in rules/");
    let rule = seed.rule.as_ref().unwrap();
    assert_eq!(rule.meta.rule_id, "c5c9f591-d111-4cf8-baec-c26a39bc31ef");
    assert_eq!(rule.meta.version, Some(101));
    assert_eq!(rule.meta.severity, "high");
    assert_eq!(rule.meta.risk_score, Some(73));
    assert_eq!(rule.meta.threat[0].tactic.as_ref().unwrap().id, "TA0006");
    assert_eq!(rule.meta.threat[0].technique[0].id, "T1003");
    assert_eq!(
        rule.meta.threat[0].technique[0].subtechnique[0].id,
        "T1003.001"
    );
    assert!(rule
        .query
        .contains("event.dataset : \"windows.sysmon_operational\""));
    // Unknown keys are kept.
    assert_eq!(rule.raw["rule"]["max_signals"].as_integer(), Some(100));
    assert_eq!(
        rule.raw["metadata"]["maturity"].as_str(),
        Some("production")
    );
}
