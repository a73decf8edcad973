//! KQL grammar conformance: the expectations of Kibana's `ast.test.ts` and the accepted /
//! rejected inputs measured with the real grammar (kql-semantics.md A), as vectors.

use rule_compiler::kql::parser::{parse_kql, Lit, LitKind, Node, Piece, RangeOp};

/// A compact, unambiguous rendering of the AST: `or(…)`, `and(…)`, `not(…)`,
/// `is(field, value)`, `range(field, op, value)`, `nested(field, …)`; values as
/// `"quoted"`, `'unquoted'`, `w'wild*card'` (`*` the wildcard, `\*` a literal star),
/// `null`, `true`, `false`.
fn show(n: &Node) -> String {
    fn lit(l: &Lit) -> String {
        match &l.kind {
            LitKind::Quoted(s) => format!("{s:?}"),
            LitKind::Unquoted(s) => format!("'{s}'"),
            LitKind::Wildcard(p) => {
                let body: String = p
                    .iter()
                    .map(|x| match x {
                        Piece::Wildcard => "*".to_string(),
                        Piece::Char('*') => "\\*".to_string(),
                        Piece::Char(c) => c.to_string(),
                    })
                    .collect();
                format!("w'{body}'")
            }
            LitKind::Null => "null".into(),
            LitKind::Bool(b) => b.to_string(),
        }
    }
    let list = |xs: &[Node]| xs.iter().map(show).collect::<Vec<_>>().join(", ");
    match n {
        Node::MatchAll => "match_all".into(),
        Node::Or(xs) => format!("or({})", list(xs)),
        Node::And(xs) => format!("and({})", list(xs)),
        Node::Not(x) => format!("not({})", show(x)),
        Node::Nested { field, query } => format!("nested({}, {})", lit(field), show(query)),
        Node::Range { field, op, value } => {
            let op = match op {
                RangeOp::Lt => "lt",
                RangeOp::Le => "lte",
                RangeOp::Gt => "gt",
                RangeOp::Ge => "gte",
            };
            format!("range({}, {op}, {})", lit(field), lit(value))
        }
        Node::Is { field, value } => format!(
            "is({}, {})",
            field.as_ref().map_or("null".to_string(), lit),
            lit(value)
        ),
    }
}

fn ok(q: &str) -> String {
    match parse_kql(q) {
        Ok(n) => show(&n),
        Err(d) => panic!("{q:?} should parse: {} at {:?}", d.message, d.span),
    }
}

/// The byte offset of the error, or a panic if the query parses.
fn err(q: &str) -> usize {
    match parse_kql(q) {
        Ok(n) => panic!("{q:?} should be rejected, parsed as {}", show(&n)),
        Err(d) => {
            assert_eq!(d.code, rule_compiler::Code::Syntax);
            assert!(
                d.message.starts_with("KQL syntax error: expected "),
                "{}",
                d.message
            );
            d.span.expect("syntax errors have a position").start
        }
    }
}

#[test]
fn whitespace_and_empty_queries_match_all() {
    assert_eq!(ok(""), "match_all");
    assert_eq!(ok("  \t\n\u{a0} "), "match_all");
    // nbsp is whitespace (ast.test.ts "nbsp should be recognised as whitespace").
    assert_eq!(
        ok("foo:bar\u{a0}and\u{a0}baz:qux"),
        "and(is('foo', 'bar'), is('baz', 'qux'))"
    );
}

#[test]
fn precedence_and_flattening() {
    // `and` binds tighter than `or` (ast.test.ts).
    assert_eq!(
        ok("foo or bar and baz or qux"),
        "or(is(null, 'foo'), and(is(null, 'bar'), is(null, 'baz')), is(null, 'qux'))"
    );
    // Same-level chains are one n-ary node.
    assert_eq!(
        ok("a:1 and b:2 and c:3"),
        "and(is('a', '1'), is('b', '2'), is('c', '3'))"
    );
    assert_eq!(
        ok("not a:1 and b:2"),
        "and(not(is('a', '1')), is('b', '2'))"
    );
    assert_eq!(ok("NOT (k:a)"), "not(is('k', 'a'))");
    assert_eq!(
        ok("k:a OR k:b oR k:c"),
        "or(is('k', 'a'), is('k', 'b'), is('k', 'c'))"
    );
    assert_eq!(
        ok("(a:1 or b:2) and c:3"),
        "and(or(is('a', '1'), is('b', '2')), is('c', '3'))"
    );
}

#[test]
fn keywords_need_whitespace_on_both_sides() {
    // The value is `a or`; `(` cannot follow it.
    assert_eq!(err("k:a or(k:b)"), 6);
    // `not(` and `not not` are rejected.
    err("not(k:a)");
    err("not not k:a");
    assert_eq!(ok("not (not k:a)"), "not(not(is('k', 'a')))");
    // A trailing keyword without a following space is glued to the value.
    assert_eq!(ok("k:foo or"), "is('k', 'foo or')");
    assert_eq!(ok("k:a and"), "is('k', 'a and')");
    // `not␠` inside a value stops it; `knot` and `cannot` alone do not.
    err("k: cannot be");
    assert_eq!(ok("k: cannot"), "is('k', 'cannot')");
    assert_eq!(ok("k:knot"), "is('k', 'knot')");
}

#[test]
fn quoted_strings() {
    // Only \t \r \n \uXXXX \\ \" are escapes; other backslashes are literal.
    assert_eq!(ok(r#"k:"C:\temp\x""#), "is('k', \"C:\\temp\\\\x\")");
    assert_eq!(ok(r#"k:"C:\Windows""#), "is('k', \"C:\\\\Windows\")");
    assert_eq!(ok(r#"k:"\\():<>\"*""#), "is('k', \"\\\\():<>\\\"*\")");
    assert_eq!(ok(r#"k:"\u0041""#), "is('k', \"A\")");
    assert_eq!(ok(r#"k:"a*b""#), "is('k', \"a*b\")");
    assert_eq!(ok(r#"k:"*""#), "is('k', \"*\")");
    assert_eq!(ok(r#"k:"  spaced  ""#), "is('k', \"  spaced  \")");
    assert_eq!(ok(r#""k":a"#), "is(\"k\", 'a')");
    err(r#"k:"unterminated"#);
}

#[test]
fn unquoted_values() {
    // Escaped special characters (ast.test.ts).
    assert_eq!(ok(r#"k:\\\(\)\:\<\>\"\*"#), "is('k', '\\():<>\"*')");
    assert_eq!(ok(r"k:a\:b"), "is('k', 'a:b')");
    assert_eq!(ok(r"k:\or"), "is('k', 'or')");
    assert_eq!(ok(r"k: foo \or bar"), "is('k', 'foo or bar')");
    assert_eq!(ok(r"k:\u0041"), "is('k', 'A')");
    // Spaces inside, trimmed at the ends.
    assert_eq!(ok("foo:bar baz"), "is('foo', 'bar baz')");
    assert_eq!(ok("k:(a b)"), "is('k', 'a b')");
    assert_eq!(ok("k :  x  "), "is('k', 'x')");
    // Literals: null/true/false; numbers stay strings.
    assert_eq!(ok("k:true"), "is('k', true)");
    assert_eq!(ok("k:null"), "is('k', null)");
    assert_eq!(ok("k:123"), "is('k', '123')");
    assert_eq!(ok("k:-4"), "is('k', '-4')");
    assert_eq!(ok("k:070"), "is('k', '070')");
    // A backslash before anything else is an error.
    assert_eq!(err(r"k:C:\Windows"), 3);
    err(r"k:a\ b");
    // Values end at special characters.
    err("k:(a)(b)");
    err(r#"k:"a"b"#);
    err("k:a:b");
}

#[test]
fn wildcards() {
    assert_eq!(ok("k:foo*bar"), "is('k', w'foo*bar')");
    assert_eq!(ok("k:a?b*"), "is('k', w'a?b*')");
    assert_eq!(ok(r"k:a\*b*"), "is('k', w'a\\*b*')");
    assert_eq!(ok("k:*"), "is('k', w'*')");
    assert_eq!(ok(r"k:C\:\\Windows\\*"), "is('k', w'C:\\Windows\\*')");
    assert_eq!(ok("machine*:osx"), "is(w'machine*', 'osx')");
    // `*` alone is free text.
    assert_eq!(ok("*"), "is(null, w'*')");
}

#[test]
fn value_lists() {
    assert_eq!(ok("f:(a or b)"), "or(is('f', 'a'), is('f', 'b'))");
    assert_eq!(
        ok("foo:((bar or baz) and not qux)"),
        "and(or(is('foo', 'bar'), is('foo', 'baz')), not(is('foo', 'qux')))"
    );
    err("f:(not not a)");
    // No operator between two lines: one value with a newline inside (D.7).
    assert_eq!(
        ok("f:(*a/b.xml\n  */c.json)"),
        "is('f', w'*a/b.xml\n  */c.json')"
    );
}

#[test]
fn ranges() {
    assert_eq!(
        ok("bytes > 1000 and bytes < 8000"),
        "and(range('bytes', gt, '1000'), range('bytes', lt, '8000'))"
    );
    assert_eq!(ok("b>=1"), "range('b', gte, '1')");
    assert_eq!(ok("b <= \"x\""), "range('b', lte, \"x\")");
    // An unquoted bound with `*` keeps it (as a plain character, later).
    assert_eq!(ok("k>=a*"), "range('k', gte, w'a*')");
    err("k:<5");
    // There is no `=` operator: without `:` these are free text (rejected when lowered).
    assert_eq!(ok("k=5"), "is(null, 'k=5')");
    assert_eq!(ok("k != 5"), "is(null, 'k != 5')");
}

#[test]
fn nested_queries() {
    assert_eq!(
        ok("nestedField:{ childOfNested: foo }"),
        "nested('nestedField', is('childOfNested', 'foo'))"
    );
    assert_eq!(
        ok("a:{ b:{ c:1 } and d:2 }"),
        "nested('a', and(nested('b', is('c', '1')), is('d', '2')))"
    );
    assert_eq!(ok("(x:{ y:1 })"), "nested('x', is('y', '1'))");
    err("a:{ b:1 ");
}

#[test]
fn errors_point_at_the_furthest_failure() {
    let q = "process.name:cmd.exe and \n  process.args:C:\\x";
    let at = err(q);
    assert_eq!(&q[at..at + 1], ":");
    let q = "process.name:cmd.exe and \n  process.args:C\\:\\x";
    let at = err(q);
    assert_eq!(&q[at..at + 2], "\\x");
    let q = "a:1 and";
    assert_eq!(ok(q), "is('a', '1 and')");
    let q = "a:1 and ";
    // `1 and ` : the lookahead stops the value before `␠and␠`, and nothing follows.
    let at = err(q);
    assert_eq!(at, q.len());
}

#[test]
fn hostile_nesting_and_length_are_limits_not_crashes() {
    let deep = format!("{}k:a{}", "(".repeat(100_000), ")".repeat(100_000));
    let d = parse_kql(&deep).expect_err("too deep");
    assert_eq!(d.code, rule_compiler::Code::Limit);
    let nested = format!("{}k:a{}", "a:{".repeat(100), "}".repeat(100));
    assert_eq!(
        parse_kql(&nested).expect_err("too deep").code,
        rule_compiler::Code::Limit
    );
    // 64 levels are fine; parentheses inside quotes and escaped ones do not count.
    let ok64 = format!("{}k:a{}", "(".repeat(64), ")".repeat(64));
    assert!(parse_kql(&ok64).is_ok());
    let quoted = format!("k:\"{}\" and j:\\({}", "(".repeat(100), "\\(".repeat(100));
    assert!(parse_kql(&quoted).is_ok(), "{quoted}");
    let long = format!("k:{}", "a".repeat(300 * 1024));
    assert_eq!(
        parse_kql(&long).expect_err("too long").code,
        rule_compiler::Code::Limit
    );
    // Long flat chains are iterative, not recursive.
    let chain = (0..20_000)
        .map(|i| format!("k:v{i}"))
        .collect::<Vec<_>>()
        .join(" or ");
    assert!(parse_kql(&chain).is_ok());
}
