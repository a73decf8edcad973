//! Property: a generated AST printed to EQL and parsed again is the same AST (spans
//! aside).

use proptest::prelude::*;
use rule_compiler::ast::*;
use rule_compiler::parse_query;

fn sp() -> Span {
    Span::default()
}

fn e(kind: ExprKind) -> Expr {
    Expr { kind, span: sp() }
}

fn arb_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z_@][a-z0-9_]{0,6}",
        1 => Just("Ext".to_string()),
        1 => Just("my-field".to_string()),
        1 => Just("1st".to_string()),
        1 => Just("and".to_string()),
        1 => Just("wïth space".to_string()),
        1 => Just("tick`ed".to_string()),
    ]
}

fn arb_field() -> impl Strategy<Value = Field> {
    (prop::collection::vec(arb_segment(), 1..4), any::<bool>()).prop_map(|(segs, optional)| Field {
        path: segs.join("."),
        optional,
        span: sp(),
    })
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 .*?\\\\:/-]{0,12}",
        "\\PC{0,8}",
        Just("ÄRZTE ΣΊΓΜΑ \"quoted\" \\back\\ \n\t\u{202E}\u{1}".to_string()),
    ]
}

fn arb_literal() -> impl Strategy<Value = Expr> {
    prop_oneof![
        Just(e(ExprKind::Null)),
        any::<bool>().prop_map(|b| e(ExprKind::Bool(b))),
        (i64::MIN + 1..=i64::MAX).prop_map(|n| e(ExprKind::Int(n))),
        (-1e12f64..1e12).prop_map(|f| e(ExprKind::Float(f))),
        arb_string().prop_map(|s| e(ExprKind::Str(s))),
    ]
}

fn arb_leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        arb_literal(),
        arb_field().prop_map(|f| e(ExprKind::Field(f))),
    ]
}

const FUNCTION_NAMES: &[&str] = &[
    "length",
    "CONCAT",
    "startsWith",
    "between",
    "number",
    "cidrMatch",
];

fn arb_expr() -> impl Strategy<Value = Expr> {
    arb_leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_filter_map("minus on a number literal is folded", |x| {
                    (!matches!(x.kind, ExprKind::Int(_) | ExprKind::Float(_)))
                        .then(|| e(ExprKind::Neg(Box::new(x))))
                }),
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec![
                    ArithOp::Add,
                    ArithOp::Sub,
                    ArithOp::Mul,
                    ArithOp::Div,
                    ArithOp::Mod
                ])
            )
                .prop_map(|(l, r, op)| e(ExprKind::Arith {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r)
                })),
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec![
                    CmpOp::Eq,
                    CmpOp::Ne,
                    CmpOp::Lt,
                    CmpOp::Le,
                    CmpOp::Gt,
                    CmpOp::Ge
                ])
            )
                .prop_map(|(l, r, op)| e(ExprKind::Compare {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r)
                })),
            (
                inner.clone(),
                prop::collection::vec(arb_string(), 1..4),
                any::<bool>(),
                prop::sample::select(vec![
                    PatternOp::Colon,
                    PatternOp::Like,
                    PatternOp::LikeInsensitive,
                    PatternOp::Regex,
                    PatternOp::RegexInsensitive
                ]),
            )
                .prop_map(|(l, pats, list, op)| {
                    let list = list || pats.len() > 1;
                    e(ExprKind::Pattern {
                        op,
                        lhs: Box::new(l),
                        patterns: pats.into_iter().map(|s| e(ExprKind::Str(s))).collect(),
                        list,
                    })
                }),
            (
                inner.clone(),
                prop::collection::vec(inner.clone(), 1..4),
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(l, list, negated, insensitive)| e(ExprKind::In {
                    lhs: Box::new(l),
                    list,
                    negated,
                    insensitive
                })),
            (
                prop::sample::select(FUNCTION_NAMES),
                any::<bool>(),
                prop::collection::vec(inner.clone(), 0..3)
            )
                .prop_map(|(name, insensitive, args)| e(ExprKind::Call {
                    name: name.to_string(),
                    insensitive,
                    args
                })),
            inner.clone().prop_map(|x| e(ExprKind::Not(Box::new(x)))),
            // Chains are n-ary; a chain operand of a chain is printed in parentheses.
            prop::collection::vec(inner.clone(), 2..5).prop_map(|xs| e(ExprKind::And(xs))),
            prop::collection::vec(inner, 2..5).prop_map(|xs| e(ExprKind::Or(xs))),
        ]
    })
}

fn arb_filter() -> impl Strategy<Value = EventFilter> {
    (
        prop_oneof![
            Just(CategoryKind::Any),
            "[a-z]{1,8}".prop_map(CategoryKind::Named),
            Just(CategoryKind::Named("my-cat".into())),
            Just(CategoryKind::Named("sequence".into())),
        ],
        arb_expr(),
    )
        .prop_map(|(kind, condition)| EventFilter {
            category: Category { kind, span: sp() },
            condition,
            span: sp(),
        })
}

fn arb_stage(allow_missing_and_runs: bool) -> impl Strategy<Value = Stage> {
    (
        arb_filter(),
        prop::collection::vec(arb_field(), 0..3),
        any::<bool>(),
        prop::option::of(1u64..=100),
    )
        .prop_map(move |(filter, by, missing, runs)| Stage {
            missing: missing && allow_missing_and_runs,
            filter,
            by,
            runs: runs
                .filter(|_| allow_missing_and_runs)
                .map(|count| Runs { count, span: sp() }),
            span: sp(),
        })
}

fn arb_pipes() -> impl Strategy<Value = Vec<Pipe>> {
    prop::collection::vec(
        (any::<bool>(), 0u64..1000).prop_map(|(head, count)| Pipe {
            kind: if head { PipeKind::Head } else { PipeKind::Tail },
            count,
            span: sp(),
        }),
        0..3,
    )
}

fn arb_query() -> impl Strategy<Value = Query> {
    let event = (arb_filter(), arb_pipes()).prop_map(|(f, pipes)| Query {
        body: QueryBody::Event(f),
        pipes,
        span: sp(),
    });
    let sequence = (
        prop::collection::vec(arb_field(), 0..3),
        prop::option::of((1u64..10_000, prop::sample::select(TimeUnit::ALL.to_vec()))),
        prop::collection::vec(arb_stage(true), 1..4),
        prop::option::of(arb_stage(false)),
        arb_pipes(),
    )
        .prop_map(|(by, maxspan, stages, until, pipes)| Query {
            body: QueryBody::Sequence(Sequence {
                by,
                maxspan: maxspan.map(|(value, unit)| MaxSpan {
                    value,
                    unit,
                    span: sp(),
                }),
                stages,
                until,
            }),
            pipes,
            span: sp(),
        });
    let sample = (
        prop::collection::vec(arb_field(), 0..3),
        prop::collection::vec(arb_stage(false), 1..4),
    )
        .prop_map(|(by, stages)| Query {
            body: QueryBody::Sample(Sample { by, stages }),
            pipes: vec![],
            span: sp(),
        });
    prop_oneof![2 => event, 2 => sequence, 1 => sample]
}

/// The AST as JSON with every span removed.
fn without_spans(q: &Query) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("span");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(q).unwrap();
    strip(&mut v);
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printed_ast_parses_back_to_itself(q in arb_query()) {
        let text = q.to_string();
        let parsed = parse_query(&text).map_err(|e| {
            TestCaseError::fail(format!("{text}\n{}", e.iter().map(|d| d.render("q", &text)).collect::<String>()))
        })?;
        prop_assert_eq!(without_spans(&parsed), without_spans(&q), "printed: {}", text);
    }
}

#[test]
fn spans_point_at_the_source() {
    let src = "process where process.name : \"a\" and length(x) > 2";
    let q = parse_query(src).unwrap();
    let QueryBody::Event(f) = &q.body else {
        panic!()
    };
    let ExprKind::And(xs) = &f.condition.kind else {
        panic!()
    };
    let [l, r] = xs.as_slice() else { panic!() };
    assert_eq!(&src[l.span.start..l.span.end], "process.name : \"a\"");
    assert_eq!(&src[r.span.start..r.span.end], "length(x) > 2");
}
