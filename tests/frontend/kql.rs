//! KQL rules end to end through the reference interpreter: the DSL-level facts of
//! kql-semantics.md B and the Elasticsearch matching of C as vectors (a rule, an event,
//! the expected answer), the D.7 corpus rules whose Kibana meaning differs from their
//! evident intent, and the corpus counts.

use rule_compiler::ir::RuleIr;
use rule_compiler::ruleset::{check_paths, check_rule, CheckedFile};
use rule_compiler::source::{load_rule_str, RuleFormat};
use rule_compiler::Code;
use rule_runtime::event::JsonEvent;
use rule_runtime::state::StageHits;
use std::path::Path;
use std::sync::Arc;

fn rule_text(query: &str, filters: &str) -> String {
    format!(
        "[rule]\nname = \"kql\"\nrule_id = \"kql\"\nlanguage = \"kuery\"\ntype = \"query\"\nseverity = \"low\"\nrisk_score = 21\nquery = '''\n{query}\n'''\n{filters}"
    )
}

fn check(query: &str, filters: &str) -> CheckedFile {
    let rule = load_rule_str(
        Path::new("kql.toml"),
        rule_text(query, filters),
        RuleFormat::Toml,
    )
    .unwrap_or_else(|e| panic!("{query}: {:?}", e.diagnostics));
    check_rule(rule, None)
}

fn ir(query: &str, filters: &str) -> RuleIr {
    let f = check(query, filters);
    match f.lowered() {
        Some(Ok(ir)) => ir,
        _ => panic!("{query} does not compile:\n{}", f.render()),
    }
}

fn matches_ir(ir: &RuleIr, event: &str) -> bool {
    let rule = rule_compiler::interpreter::InterpretedRule::new(
        ir,
        Arc::new(Default::default()),
        &Default::default(),
    )
    .expect("interpretable");
    let e = JsonEvent::parse(event).expect("event JSON");
    let mut hits = StageHits {
        stages: Vec::new(),
        until: Vec::new(),
    };
    rule.evaluate(&e, &mut hits);
    !hits.is_empty()
}

/// `query` against each `(event, expected)`.
fn vectors(query: &str, cases: &[(&str, bool)]) {
    vectors_with_filters(query, "", cases)
}

fn vectors_with_filters(query: &str, filters: &str, cases: &[(&str, bool)]) {
    let ir = ir(query, filters);
    for (event, want) in cases {
        assert_eq!(
            matches_ir(&ir, event),
            *want,
            "{query} on {event} should be {want}"
        );
    }
}

fn error_code(query: &str) -> (Code, String) {
    let f = check(query, "");
    let d = f
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .unwrap_or_else(|| panic!("{query} should not compile"));
    (d.code, d.message.clone())
}

#[test]
fn the_full_example_of_b8() {
    vectors(
        "event.category:process and process.name:(cmd.exe or \"powershell.exe\") and not process.args:*-enc*",
        &[
            (r#"{"event":{"category":"process"},"process":{"name":"cmd.exe"}}"#, true),
            (r#"{"event":{"category":["network","process"]},"process":{"name":"powershell.exe","args":["-nop"]}}"#, true),
            (r#"{"event":{"category":"process"},"process":{"name":"powershell.exe","args":["x","-enc","y"]}}"#, false),
            // keyword terms are case-sensitive (no `case_insensitive` from the engine, D.2)
            (r#"{"event":{"category":"process"},"process":{"name":"CMD.EXE"}}"#, false),
            (r#"{"event":{"category":"Process"},"process":{"name":"cmd.exe"}}"#, false),
        ],
    );
}

#[test]
fn keyword_terms_and_wildcards() {
    // A wildcard on a keyword field is one `wildcard` query: spaces are part of it (B.3).
    vectors(
        "process.name:*foo bar*",
        &[
            (r#"{"process":{"name":"a foo bar b"}}"#, true),
            (r#"{"process":{"name":"foo"}}"#, false),
        ],
    );
    // `?` is a literal in KQL (A.4); an escaped `\*` is a literal star.
    vectors(
        r"destination.domain:(store?.gofile.io or a\*b*)",
        &[
            (r#"{"destination":{"domain":"store1.gofile.io"}}"#, false),
            (r#"{"destination":{"domain":"store?.gofile.io"}}"#, true),
            (r#"{"destination":{"domain":"a*bc"}}"#, true),
            (r#"{"destination":{"domain":"axbc"}}"#, false),
        ],
    );
    // KQL `*\\*` is any value containing a backslash (B.5).
    vectors(
        r"file.path:*\\*",
        &[
            (r#"{"file":{"path":"C:\\x"}}"#, true),
            (r#"{"file":{"path":"C:/x"}}"#, false),
        ],
    );
    // Quoted: `*` is a literal (A.3).
    vectors(
        "process.name:\"a*b\"",
        &[
            (r#"{"process":{"name":"a*b"}}"#, true),
            (r#"{"process":{"name":"axb"}}"#, false),
        ],
    );
    // Non-string JSON on a keyword field is indexed as its text (C.1).
    vectors(
        "event.code:4624",
        &[
            (r#"{"event":{"code":4624}}"#, true),
            (r#"{"event":{"code":"4624"}}"#, true),
            (r#"{"event":{"code":"04624"}}"#, false),
        ],
    );
}

#[test]
fn caseless_fields_use_the_lowercase_normalizer() {
    vectors(
        "process.name.caseless:(CMD.exe or *PowerShell*)",
        &[
            (r#"{"process":{"name":{"caseless":"cmd.exe"}}}"#, true),
            (
                r#"{"process.name.caseless":"C:\\WINDOWS\\POWERSHELL.EXE"}"#,
                true,
            ),
            (r#"{"process":{"name":{"caseless":"bash"}}}"#, false),
        ],
    );
}

#[test]
fn wildcard_type_fields_go_through_query_string() {
    // `process.command_line` is a `wildcard` field: exact, case-sensitive terms …
    vectors(
        "process.command_line:\"cmd /c whoami\"",
        &[
            (r#"{"process":{"command_line":"cmd /c whoami"}}"#, true),
            (r#"{"process":{"command_line":"CMD /c whoami"}}"#, false),
        ],
    );
    // … and wildcard values split on whitespace into OR-ed clauses (C.5).
    vectors(
        "process.command_line:*foo bar*",
        &[
            (r#"{"process":{"command_line":"xfoo"}}"#, true),
            (r#"{"process":{"command_line":"barx"}}"#, true),
            (r#"{"process":{"command_line":"x foo bar x"}}"#, false),
        ],
    );
    // A lone `*` clause is exists: `* -e *` matches any command line.
    vectors(
        "process.command_line:* -e *",
        &[
            (r#"{"process":{"command_line":"anything"}}"#, true),
            (r#"{"process":{"pid":1}}"#, false),
        ],
    );
}

#[test]
fn text_fields_are_analysed() {
    // match: OR of the tokens, case-insensitive (C.3).
    vectors(
        "message:op-geth",
        &[
            (r#"{"message":"an OP was here"}"#, true),
            (r#"{"message":"geth"}"#, true),
            (r#"{"message":"op_geth"}"#, false),
        ],
    );
    // match_phrase: consecutive tokens of one value; `IO.Compression` is one token under
    // the standard analyzer, two under the PowerShell pattern analyzer.
    vectors(
        "message:\"IO.Compression\"",
        &[
            (r#"{"message":"use io.compression now"}"#, true),
            (r#"{"message":"System.IO.Compression.GzipStream"}"#, false),
        ],
    );
    vectors(
        "powershell.file.script_block_text:\"IO.Compression\"",
        &[
            (
                r#"{"powershell":{"file":{"script_block_text":"System.IO.Compression.GzipStream"}}}"#,
                true,
            ),
            (
                r#"{"powershell":{"file":{"script_block_text":"IO x Compression"}}}"#,
                false,
            ),
            (
                r#"{"powershell":{"file":{"script_block_text":["IO", "Compression"]}}}"#,
                false,
            ),
        ],
    );
    // Wildcards on text match single lower-cased tokens.
    vectors(
        "message:Segf*",
        &[
            (r#"{"message":"kernel: SEGFAULT at 0"}"#, true),
            (r#"{"message":"kernel: seg fault"}"#, false),
        ],
    );
}

#[test]
fn exists_missing_and_multi_valued_fields() {
    vectors(
        "process.name:*",
        &[
            (r#"{"process":{"name":""}}"#, true),
            (r#"{"process":{"name":null}}"#, false),
            (r#"{"process":{"name":[]}}"#, false),
            (r#"{"process":{"name":[null,"a"]}}"#, true),
            (r#"{}"#, false),
        ],
    );
    // `not` is true for a missing field (C.0).
    vectors(
        "not process.name:a",
        &[(r#"{}"#, true), (r#"{"process":{"name":"a"}}"#, false)],
    );
    // Each leaf is "some value": `and` in a list may use two elements; `not` sees all.
    vectors(
        "process.args:(a and b)",
        &[
            (r#"{"process":{"args":["a","b"]}}"#, true),
            (r#"{"process":{"args":["a"]}}"#, false),
        ],
    );
    vectors(
        "not process.args:a",
        &[(r#"{"process":{"args":["a","b"]}}"#, false)],
    );
}

#[test]
fn ignore_above_hides_long_values_from_every_leaf() {
    let long = "a".repeat(1025);
    let at_limit = "a".repeat(1024);
    let event = |v: &str| format!(r#"{{"process":{{"name":"{v}"}}}}"#);
    vectors(
        "process.name:*",
        &[(&event(&long), false), (&event(&at_limit), true)],
    );
    vectors("not process.name:*", &[(&event(&long), true)]);
    vectors("process.name:a*", &[(&event(&long), false)]);
    // UTF-16 units: 512 emoji are 1,024 units, 513 are over.
    let emoji = |n: usize| "😀".repeat(n);
    vectors(
        "process.name:*",
        &[(&event(&emoji(512)), true), (&event(&emoji(513)), false)],
    );
    // `wildcard` fields have no ignore_above.
    let cl = format!(r#"{{"process":{{"command_line":"{long}"}}}}"#);
    vectors("process.command_line:*", &[(&cl, true)]);
}

#[test]
fn numbers_ips_booleans_and_ranges() {
    vectors(
        "destination.port:445 and network.bytes >= 1000 and network.bytes < 2000",
        &[
            (
                r#"{"destination":{"port":445},"network":{"bytes":1000}}"#,
                true,
            ),
            (
                r#"{"destination":{"port":"445"},"network":{"bytes":[5, 1999]}}"#,
                true,
            ),
            (
                r#"{"destination":{"port":445},"network":{"bytes":2000}}"#,
                false,
            ),
            (
                r#"{"destination":{"port":"x"},"network":{"bytes":1500}}"#,
                false,
            ),
        ],
    );
    vectors(
        "destination.ip:(10.0.0.0/8 or \"::1\")",
        &[
            (r#"{"destination":{"ip":"10.1.2.3"}}"#, true),
            (r#"{"destination":{"ip":"::ffff:10.1.2.3"}}"#, true),
            (r#"{"destination":{"ip":"0:0:0:0:0:0:0:1"}}"#, true),
            (r#"{"destination":{"ip":"11.0.0.1"}}"#, false),
            (r#"{"destination":{"ip":"not an ip"}}"#, false),
        ],
    );
    vectors(
        "process.interactive:true",
        &[
            (r#"{"process":{"interactive":true}}"#, true),
            (r#"{"process":{"interactive":"true"}}"#, true),
            (r#"{"process":{"interactive":false}}"#, false),
        ],
    );
    // A field no schema maps is typed by its JSON value (dynamic mapping).
    vectors(
        "custom.thing:4624 and custom.size > 10",
        &[
            (r#"{"custom":{"thing":4624,"size":11}}"#, true),
            // A string is a keyword: ranges compare bytes, so "9" > "10" (C.7).
            (r#"{"custom":{"thing":"4624","size":"9"}}"#, true),
            (r#"{"custom":{"thing":"4624","size":"1"}}"#, false),
            (r#"{"custom":{"thing":"4624","size":11}}"#, true),
        ],
    );
}

#[test]
fn field_name_wildcards_expand_against_the_schema() {
    vectors(
        "file.hash.*:abc",
        &[
            (r#"{"file":{"hash":{"sha256":"abc"}}}"#, true),
            (r#"{"file":{"hash":{"md5":"abc"}}}"#, true),
            (r#"{"file":{"hash":{"md5":"abd"}}}"#, false),
        ],
    );
}

#[test]
fn what_elasticsearch_rejects_is_a_compile_error() {
    for (q, what) in [
        ("destination.ip:10.*", "wildcard"),
        ("destination.port:abc", "not a number"),
        ("event.original:*x*", "without index and doc values"),
        ("process.name:null", "null"),
        ("just some words", "free-text"),
        ("threat.enrichments.indicator.ip:1.2.3.4", "nested"),
        ("nope.*.nothing:x", "matches no field"),
        ("message > 5", "range"),
    ] {
        let (code, message) = error_code(q);
        assert_eq!(code, Code::Kql, "{q}");
        assert!(message.contains(what), "{q}: {message}");
    }
}

#[test]
fn filters_are_evaluated() {
    // A negated case-insensitive wildcard (`?` one character, `\\` a backslash in the
    // pattern) and a negated exists, as the corpus writes them (D.3).
    let filters = r#"
[[rule.filters]]
[rule.filters.meta]
negate = true
[rule.filters.query.wildcard."file.path"]
case_insensitive = true
value = "?:\\\\program?files\\\\*"
[[rule.filters]]
[rule.filters.meta]
negate = true
[rule.filters.query.exists]
field = "user.id"
[[rule.filters]]
[rule.filters.meta]
disabled = true
[rule.filters.query.exists]
field = "never.there"
"#;
    vectors_with_filters(
        "event.category:file",
        filters,
        &[
            (
                r#"{"event":{"category":"file"},"file":{"path":"D:\\tmp\\x"}}"#,
                true,
            ),
            (
                r#"{"event":{"category":"file"},"file":{"path":"C:\\PROGRAM FILES\\x"}}"#,
                false,
            ),
            (
                r#"{"event":{"category":"file"},"file":{"path":"D:\\tmp\\x"},"user":{"id":"1"}}"#,
                false,
            ),
        ],
    );
    // A shape eqlc does not evaluate is an error naming the rule.
    let f = check(
        "event.category:file",
        "[[rule.filters]]\n[rule.filters.query.geo_distance]\ndistance = \"1km\"\n",
    );
    let d = f.diagnostics.iter().find(|d| d.is_error()).expect("error");
    assert!(
        d.message.contains("geo_distance") && d.message.contains("`kql`"),
        "{}",
        d.message
    );
}

/// A corpus rule, loaded and checked (`None` without ../shared).
fn corpus_rule(stem: &str) -> Option<CheckedFile> {
    let dir = crate::shared("corpus/detection-rules-kql")?;
    let report = check_paths(&[dir.join(format!("{stem}.toml"))], None).expect("readable");
    report.files.into_iter().next()
}

fn corpus_ir(stem: &str) -> Option<RuleIr> {
    let f = corpus_rule(stem)?;
    match f.lowered() {
        Some(Ok(ir)) => Some(ir),
        _ => panic!("{stem} does not compile:\n{}", f.render()),
    }
}

#[test]
fn d7_segfault_message_matches_any_token() {
    let Some(ir) = corpus_ir("credential_access_segfault_from_sensitive_process") else {
        return;
    };
    let ev = |msg: &str| {
        format!(
            r#"{{"host":{{"os":{{"type":"linux"}}}},"event":{{"dataset":"system.syslog"}},"process":{{"name":"kernel"}},"message":"{msg}"}}"#
        )
    };
    // `op-geth` is `op` OR `geth`: any segfault line with the token `op` or `agent` fires.
    assert!(matches_ir(&ir, &ev("myapp[12]: segfault at 0 ip op 1")));
    assert!(matches_ir(&ir, &ev("x[1]: segfault in some-agent")));
    assert!(!matches_ir(&ir, &ev("x[1]: segfault in something_else")));
}

#[test]
fn d7_tab_and_carriage_return_escapes_in_quoted_paths() {
    let Some(ir) = corpus_ir("discovery_posh_generic") else {
        return;
    };
    let ev = |text: &str| {
        serde_json::json!({
            "event": {"category": "process"},
            "host": {"os": {"type": "windows"}},
            "powershell": {"file": {"script_block_text": text}},
        })
        .to_string()
    };
    // `"\microsoft\windows\currentversion\explorer\runmru"`: `\r` is a CR, so the phrase
    // is `…, explorer, unmru` and a real RunMRU path does not match it …
    let q = rule_compiler::kql::parse_kql(
        "k:\"\\microsoft\\windows\\currentversion\\explorer\\runmru\"",
    )
    .expect("parses");
    let rule_compiler::kql::Node::Is { value, .. } = q else {
        panic!()
    };
    assert!(value.text().contains("explorer\runmru"));
    // … and the rule still fires on its other alternatives.
    assert!(matches_ir(&ir, &ev("Get-Process | Out-Null")));
    assert!(!matches_ir(&ir, &ev("Write-Host hello")));
}

#[test]
fn d7_newline_inside_one_wildcard_value() {
    let Some(ir) =
        corpus_ir("credential_access_kubernetes_and_cloud_credential_paths_via_process_args")
    else {
        return;
    };
    let ev = |arg: &str| {
        serde_json::json!({
            "host": {"os": {"type": "linux"}},
            "event": {"category": "process", "action": "exec"},
            "process": {"name": "cat", "args": ["cat", arg]},
        })
        .to_string()
    };
    assert!(matches_ir(&ir, &ev("/var/lib/kubelet/kubeconfig")));
    // The two patterns without `or` between them are one value with a newline: neither
    // path alone matches it.
    assert!(!matches_ir(
        &ir,
        &ev("/home/u/.config/gcloud/application_default_credentials.json")
    ));
}

#[test]
fn d7_quoted_wildcards_are_literal() {
    let Some(ir) = corpus_ir("initial_access_splunk_postgres_recovery_body_injection") else {
        return;
    };
    let ev = |path: &str, body: &str| {
        serde_json::json!({
            "http": {"request": {"method": "POST", "body": {"content": body}}},
            "url": {"path": path},
        })
        .to_string()
    };
    let real = "/en-US/splunkd/__raw/v1/postgres/recovery/backup";
    assert!(!matches_ir(&ir, &ev(real, "{\"backupFile\": \"../x\"}")));
    assert!(matches_ir(
        &ir,
        &ev(
            "*splunkd/__raw/v1/postgres/recovery/*",
            "*\"backupFile\"*../*"
        )
    ));
}

#[test]
fn d7_filter_backslashes_are_escapes_in_dsl_wildcards() {
    let Some(ir) = corpus_ir("defense_evasion_posh_assembly_load") else {
        return;
    };
    let ev = |path: &str| {
        serde_json::json!({
            "event": {"category": "process"},
            "host": {"os": {"type": "windows"}},
            "powershell": {"file": {"script_block_text": "[System.Reflection.Assembly]::Load($x); [IO.Compression.GzipStream]"}},
            "file": {"path": path},
        })
        .to_string()
    };
    // The exclusion written with single backslashes matches `C:Program Files…`, never
    // the real path, so the real path still alerts.
    assert!(matches_ir(
        &ir,
        &ev("C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\x.ps1")
    ));
}

#[test]
fn d7_event_original_is_a_query_error() {
    let Some(f) = corpus_rule("initial_access_react_server_rce_network_alerts") else {
        return;
    };
    assert!(f.has_errors());
    assert!(f
        .diagnostics
        .iter()
        .any(|d| d.code == Code::Kql && d.message.contains("event.original")));
}

#[test]
fn every_kql_corpus_rule_parses_and_query_rules_compile() {
    let Some(dir) = crate::shared("corpus/detection-rules-kql") else {
        return;
    };
    let report = check_paths(std::slice::from_ref(&dir), None).expect("readable");
    assert_eq!(report.checked(), 729);
    // Every query parses with the ported grammar.
    for f in &report.files {
        let rule = f.rule.as_ref().expect("loads");
        if let Err(d) = rule_compiler::kql::parse_kql(&rule.query) {
            panic!("{}: {}", f.path.display(), d.message);
        }
    }
    assert_eq!(
        report.unsupported(),
        vec![
            ("new_terms".to_string(), 241),
            ("threshold".to_string(), 28),
            ("threat_match".to_string(), 6)
        ]
    );
    // 454 query rules: all but two compile (an Azure field-name wildcard that matches no
    // schema field, and the `event.original` query Elasticsearch rejects).
    let failed: Vec<String> = report
        .files
        .iter()
        .filter(|f| f.has_errors() && f.unsupported_type().is_none())
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        failed,
        vec![
            "initial_access_entra_id_user_reported_risk.toml",
            "initial_access_react_server_rce_network_alerts.toml"
        ]
    );
    assert_eq!(report.ok(), 452);
    for f in &report.files {
        if let Some(r) = f.lowered() {
            let ir = r.expect("lowers");
            // The interpreter accepts every compiled rule.
            rule_compiler::interpreter::InterpretedRule::new(
                &ir,
                Arc::new(Default::default()),
                &Default::default(),
            )
            .expect("interpretable");
        }
    }
    // And the generator turns them into code (the proc-macro's path).
    let rules = rule_compiler::codegen::load_rules(
        &dir,
        None,
        rule_compiler::diagnostic::RenderOptions::PLAIN,
    )
    .expect("readable");
    assert_eq!(rules.rules.len(), 452);
    let tokens = rule_compiler::codegen::generate(&rules.rules, &Default::default());
    syn::parse2::<syn::File>(tokens).expect("the generated code parses as Rust");
}

fn lints(query: &str) -> Vec<String> {
    let f = check(query, "");
    assert!(!f.has_errors(), "{}", f.render());
    f.diagnostics
        .iter()
        .filter(|d| d.code == Code::KqlLint)
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn lints_flag_the_d7_quirks_without_changing_meaning() {
    let one = |q: &str, what: &str| {
        let ls = lints(q);
        assert!(
            ls.len() == 1 && ls[0].contains(what),
            "{q}: expected one lint about {what}, got {ls:?}"
        );
    };
    one("url.path:\"*splunkd*\"", "literal asterisk");
    one("destination.domain:store?.gofile.io", "`?` is a literal");
    one("file.path:*GitHub?Copilot*", "`?` is a literal");
    one("file.directory:\"C:\\Program Files\\tmp\"", "\\t");
    one("message:op-geth", "any one of the tokens op, geth");
    one("process.args:(*a.xml\n  */b.json)", "newline");
    // Clean queries give none.
    for q in [
        "process.name:cmd.exe",
        "file.directory:\"C:\\\\temp\"",
        "message:\"op-geth\"",
        "message:segfault",
        "process.args:(*a.xml or */b.json)",
    ] {
        assert_eq!(lints(q), Vec::<String>::new(), "{q}");
    }
    // The meaning is Kibana's all the same.
    vectors(
        "file.directory:\"C:\\Program Files\\tmp\"",
        &[
            (r#"{"file":{"directory":"C:\\Program Files\\tmp"}}"#, false),
            (r#"{"file":{"directory":"C:\\Program Files\tmp"}}"#, true),
        ],
    );
}
