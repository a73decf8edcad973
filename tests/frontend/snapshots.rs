//! The AST of a spread of queries, as YAML snapshots (spans are byte offsets into the
//! query).

use rule_compiler::parse_query;

fn snapshot(name: &str, query: &str) {
    let ast = parse_query(query).unwrap_or_else(|e| panic!("{query}: {e:?}"));
    insta::with_settings!({ description => query, omit_expression => true }, {
        insta::assert_yaml_snapshot!(name, ast);
    });
}

#[test]
fn event_query_precedence() {
    snapshot(
        "precedence",
        "process where not a == 1 and b : \"x*\" or c in (1, 2) and d != null",
    );
}

#[test]
fn arithmetic_and_functions() {
    snapshot(
        "arithmetic",
        "any where -x + 2 * y % 3 > 4 and CONCAT(a, \"b\") == \"ab\" and startsWith~(p, \"C:\\\\\")",
    );
}

#[test]
fn pattern_operators() {
    snapshot(
        "patterns",
        "file where a like~ (\"*.exe\", \"*.dll\") and b regex \"\"\"[a-z]+\\d\"\"\" and c not in~ (\"x\") and d : \"?\"",
    );
}

#[test]
fn fields_and_categories() {
    snapshot(
        "fields",
        "\"my-cat\" where ?`a-b`.c == true and @timestamp > 1.5e3 and `x``y` == \"\\u{202E}\\t\"",
    );
}

#[test]
fn sequence_with_everything() {
    snapshot(
        "sequence",
        "sequence by host.id with maxspan=5m\n  [process where true] by process.entity_id with runs=2\n  ![file where true] by process.entity_id\n  [network where true] by process.entity_id\nuntil [process where event.type == \"end\"] by process.entity_id\n| head 3 | tail 1",
    );
}

#[test]
fn sample() {
    snapshot(
        "sample",
        "sample by host.id /* comment */\n  [process where true] // line comment\n  [file where true]",
    );
}

/// The IR of the seed rule: fields interned and sorted, case folded, keys prepended.
#[test]
fn seed_rule_ir() {
    let path = crate::root().join("rules/credential_access_suspicious_comsvcs_imageload.toml");
    let f = rule_compiler::ruleset::check_file(&path, None);
    let (rule, q) = f.ok().expect("seed rule checks");
    let ir = rule_compiler::ir::lower_rule(rule, q).unwrap();
    insta::assert_yaml_snapshot!("seed_rule_ir", ir);
}
