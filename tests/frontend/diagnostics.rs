//! Rendered diagnostics for malformed rules, one per error kind, as snapshots: each must
//! name the rule file, the line and column inside the file, show the line with a caret,
//! and say what to do.

use rule_compiler::diagnostic::Code;
use rule_compiler::ruleset::{self, mark_duplicate_ids, CheckedFile};
use rule_compiler::schema::Schema;
use rule_compiler::source::RuleFormat;
use std::path::Path;

/// A detection-rules TOML file around `query_line` (`query = …`, any TOML string form).
fn rule_text(id: &str, query_line: &str) -> String {
    format!(
        "[metadata]\nmaturity = \"production\"\n\n[rule]\nname = \"Test rule {id}\"\nrule_id = \"{id}\"\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = \"low\"\nrisk_score = 21\n\n{query_line}\n"
    )
}

fn check_text(name: &str, text: String, schema: Option<&Schema>) -> CheckedFile {
    let path = Path::new("rules").join(format!("{name}.toml"));
    ruleset::check_text(&path, text, RuleFormat::Toml, schema)
}

/// Check a rule whose query is given as a `'''` literal block.
fn check_query(name: &str, query: &str) -> CheckedFile {
    check_text(
        name,
        rule_text(name, &format!("query = '''\n{query}\n'''")),
        None,
    )
}

fn assert_kind(f: &CheckedFile, code: Code) {
    assert!(
        f.diagnostics.iter().any(|d| d.code == code),
        "expected {code:?} in:\n{}",
        f.render()
    );
}

macro_rules! diag_snapshot {
    ($name:literal, $code:expr, $file:expr) => {{
        let f = $file;
        assert_kind(&f, $code);
        insta::assert_snapshot!($name, f.render());
    }};
}

#[test]
fn syntax_error_on_the_third_line_of_a_literal_query() {
    diag_snapshot!(
        "syntax_third_line",
        Code::Syntax,
        check_query(
            "syntax_third_line",
            "sequence by host.id with maxspan=1m\n  [process where process.name == \"a\"]\n  [file where file.name == \"b\" and and file.path : \"c\"]"
        )
    );
}

#[test]
fn error_inside_a_basic_multiline_string_after_escapes() {
    // The query is a TOML `"""` string: `\\` in the file is one backslash in the query,
    // so file columns and query columns differ; the caret must follow the file.
    // In the file: `\\\\` (TOML) → `\\` (EQL) → `\` (the value).
    let line = "query = \"\"\"\nprocess where process.executable : \"C:\\\\\\\\Windows\\\\\\\\*.exe\" and strlen(process.name) > 3\n\"\"\"";
    let f = check_text("escapes", rule_text("escapes", line), None);
    diag_snapshot!("escapes_in_basic_string", Code::UnknownFunction, f);
}

#[test]
fn all_errors_of_a_file_are_reported() {
    let f = check_query(
        "several",
        "process where lenght(process.name) > 3 and\n  process.name == process.parent.name and\n  concat() == \"x\"",
    );
    assert_eq!(f.diagnostics.len(), 3, "{}", f.render());
    diag_snapshot!("several_errors", Code::Arity, f);
}

#[test]
fn toml_error() {
    diag_snapshot!(
        "toml",
        Code::Toml,
        check_text("toml", "[rule]\nname = \"x\nrule_id = \"y\"\n".into(), None)
    );
}

#[test]
fn missing_keys() {
    diag_snapshot!(
        "rule_key",
        Code::RuleKey,
        check_text(
            "rule_key",
            "[rule]\nlanguage = \"eql\"\nquery = 'any where true'\n".into(),
            None
        )
    );
}

#[test]
fn wrong_key_type() {
    diag_snapshot!(
        "rule_key_type",
        Code::RuleKey,
        check_text(
            "rule_key_type",
            rule_text("rule_key_type", "query = 'any where true'")
                .replace("risk_score = 21", "risk_score = \"high\""),
            None
        )
    );
}

#[test]
fn other_language() {
    let text = rule_text("esql", "query = 'from logs-* | limit 1'")
        .replace("language = \"eql\"", "language = \"esql\"")
        .replace("type = \"eql\"", "type = \"esql\"");
    diag_snapshot!("language", Code::Language, check_text("esql", text, None));
}

#[test]
fn escape() {
    diag_snapshot!(
        "escape",
        Code::Escape,
        check_query(
            "escape",
            "process where process.name == \"a\\qb\" and file.name : \"\\u{zz}\""
        )
    );
}

#[test]
fn number() {
    diag_snapshot!(
        "number",
        Code::Number,
        check_query(
            "number",
            "process where process.pid == 99999999999999999999"
        )
    );
}

#[test]
fn unsupported() {
    diag_snapshot!(
        "unsupported",
        Code::Unsupported,
        check_query("unsupported", "process where descendant of [process where process.name : \"cmd.exe\"]\n| unique process.name")
    );
}

#[test]
fn unknown_function() {
    diag_snapshot!(
        "unknown_function",
        Code::UnknownFunction,
        check_query(
            "unknown_function",
            "process where stringcontans(process.name, \"x\")"
        )
    );
}

#[test]
fn arity() {
    diag_snapshot!(
        "arity",
        Code::Arity,
        check_query("arity", "process where startsWith~(process.name) == true")
    );
}

#[test]
fn argument() {
    diag_snapshot!(
        "argument",
        Code::Argument,
        check_query(
            "argument",
            "network where cidrMatch(source.ip, destination.ip)"
        )
    );
}

#[test]
fn join_keys() {
    diag_snapshot!(
        "join_keys",
        Code::JoinKeys,
        check_query(
            "join_keys",
            "sequence by host.id\n  [process where true] by process.entity_id\n  [file where true]"
        )
    );
}

#[test]
fn by_after_with() {
    diag_snapshot!(
        "by_after_with",
        Code::ByAfterWith,
        check_query(
            "by_after_with",
            "sequence with maxspan=1m by host.id\n  [process where true]\n  [file where true]"
        )
    );
}

#[test]
fn maxspan() {
    diag_snapshot!(
        "maxspan",
        Code::MaxSpan,
        check_query(
            "maxspan",
            "sequence with maxspan=10x\n  [process where true]\n  [file where true]"
        )
    );
}

#[test]
fn missing_maxspan() {
    diag_snapshot!(
        "missing_maxspan",
        Code::MissingMaxSpan,
        check_query(
            "missing_maxspan",
            "sequence by host.id\n  [process where true]\n  ![file where true]\n  [network where true]"
        )
    );
}

#[test]
fn runs() {
    diag_snapshot!(
        "runs",
        Code::Runs,
        check_query(
            "runs",
            "sequence\n  [process where true] with runs=101\n  [file where true]"
        )
    );
}

#[test]
fn until_missing() {
    diag_snapshot!(
        "until_missing",
        Code::UntilMissing,
        check_query(
            "until_missing",
            "sequence with maxspan=1m\n  [process where true]\n  [file where true]\nuntil ![network where true]"
        )
    );
}

#[test]
fn stages() {
    diag_snapshot!(
        "stages",
        Code::Stages,
        check_query("stages", "sequence by host.id\n  [process where true]")
    );
}

#[test]
fn pipe() {
    diag_snapshot!(
        "pipe",
        Code::Pipe,
        check_query("pipe", "process where true | head")
    );
}

#[test]
fn field_comparison() {
    diag_snapshot!(
        "field_comparison",
        Code::FieldComparison,
        check_query(
            "field_comparison",
            "process where process.name != process.parent.name"
        )
    );
}

#[test]
fn limit() {
    let deep = format!("process where {}true{}", "(".repeat(70), ")".repeat(70));
    diag_snapshot!("limit", Code::Limit, check_query("limit", &deep));
}

#[test]
fn duplicate_rule_id() {
    let a = check_query("dup_a", "any where true");
    let mut b = check_query("dup_b", "any where true");
    // Same rule_id as dup_a.
    b = check_text(
        "dup_b",
        b.text.replace("rule_id = \"dup_b\"", "rule_id = \"dup_a\""),
        None,
    );
    let mut files = vec![a, b];
    mark_duplicate_ids(&mut files);
    assert!(!files[0].has_errors());
    diag_snapshot!(
        "duplicate_rule_id",
        Code::DuplicateRuleId,
        files.pop().unwrap()
    );
}

#[test]
fn schema_warnings() {
    let schema = Schema::load(&crate::root().join("schemas")).unwrap();
    let text = rule_text(
        "schema",
        "query = '''\nprocess where process.nmae : \"cmd.exe\" and process.pid == \"abc\" and\n  ?custom.field == 1 and source.ip == \"not-an-ip\"\n'''",
    );
    let f = check_text("schema", text, Some(&schema));
    assert!(!f.has_errors());
    assert_eq!(f.warnings(), 3, "{}", f.render());
    assert_kind(&f, Code::TypeMismatch);
    diag_snapshot!("schema_warnings", Code::UnknownField, f);
}

fn kql_rule(name: &str, rule_type: &str, query: &str) -> CheckedFile {
    let text = rule_text(name, &format!("query = '''\n{query}\n'''"))
        .replace("language = \"eql\"", "language = \"kuery\"")
        .replace("type = \"eql\"", &format!("type = \"{rule_type}\""));
    check_text(name, text, None)
}

#[test]
fn kql_syntax_error() {
    diag_snapshot!(
        "kql_syntax",
        Code::Syntax,
        kql_rule(
            "kql_syntax",
            "query",
            "event.category:process and\n  process.executable:C:\\Windows\\*"
        )
    );
}

#[test]
fn kql_wildcard_on_an_ip_field() {
    diag_snapshot!(
        "kql_ip_wildcard",
        Code::Kql,
        kql_rule("kql_ip_wildcard", "query", "destination.ip:10.*")
    );
}

#[test]
fn kql_rule_type_not_supported_yet() {
    let f = kql_rule("kql_new_terms", "new_terms", "event.category:process");
    assert_eq!(f.unsupported_type(), Some("new_terms"));
    diag_snapshot!("kql_rule_type", Code::RuleType, f);
}
