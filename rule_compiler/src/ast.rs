//! The EQL abstract syntax tree, as parsed from a query string.
//!
//! Every node carries a [`Span`]: byte offsets into the *query string* (not the rule
//! file). [`crate::source::RuleSource`] maps such offsets back to `file:line:col`.
//! The tree records what was written (function names as spelled, list forms, optional
//! fields) so that diagnostics can quote it and [`crate::printer`] can print it back.

use serde::Serialize;

/// Byte range `[start, end)` in the query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A whole query: `<body> | pipe | pipe …`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Query {
    pub body: QueryBody,
    pub pipes: Vec<Pipe>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum QueryBody {
    /// `<category> where <condition>`
    Event(EventFilter),
    Sequence(Sequence),
    Sample(Sample),
}

/// `<category> where <condition>`, the filter of an event query or of one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventFilter {
    pub category: Category,
    pub condition: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    pub kind: CategoryKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum CategoryKind {
    /// `any where`: every event, with or without a category.
    Any,
    /// `process where`, `"my-cat" where`, `` `my cat` where ``.
    Named(String),
}

/// `sequence [by k, …] [with maxspan=N<unit>] stage stage… [until stage]`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sequence {
    /// Top-level join keys (prepended to every stage's keys when lowered).
    pub by: Vec<Field>,
    pub maxspan: Option<MaxSpan>,
    pub stages: Vec<Stage>,
    pub until: Option<Stage>,
}

/// `sample [by k, …] stage stage…`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    pub by: Vec<Field>,
    pub stages: Vec<Stage>,
}

/// One bracketed clause of a sequence or sample: `[filter] [by k, …] [with runs=N]`,
/// or a missing-event clause `![filter] …`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    pub missing: bool,
    pub filter: EventFilter,
    pub by: Vec<Field>,
    pub runs: Option<Runs>,
    pub span: Span,
}

/// `with runs=N` on a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Runs {
    pub count: u64,
    pub span: Span,
}

/// `with maxspan=<value><unit>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MaxSpan {
    pub value: u64,
    pub unit: TimeUnit,
    pub span: Span,
}

impl MaxSpan {
    /// The span in milliseconds, saturating.
    pub fn millis(&self) -> u64 {
        self.value.saturating_mul(self.unit.millis())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TimeUnit {
    Millis,
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 5] = [
        TimeUnit::Millis,
        TimeUnit::Seconds,
        TimeUnit::Minutes,
        TimeUnit::Hours,
        TimeUnit::Days,
    ];

    pub fn millis(self) -> u64 {
        match self {
            TimeUnit::Millis => 1,
            TimeUnit::Seconds => 1_000,
            TimeUnit::Minutes => 60_000,
            TimeUnit::Hours => 3_600_000,
            TimeUnit::Days => 86_400_000,
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            TimeUnit::Millis => "ms",
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "m",
            TimeUnit::Hours => "h",
            TimeUnit::Days => "d",
        }
    }

    pub fn from_suffix(s: &str) -> Option<TimeUnit> {
        TimeUnit::ALL.into_iter().find(|u| u.suffix() == s)
    }
}

/// `| head N` or `| tail N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pipe {
    pub kind: PipeKind,
    pub count: u64,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PipeKind {
    Head,
    Tail,
}

/// A field reference: `process.name`, `?optional.field`, `` `my-field`.x ``.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The dotted path with backtick escapes removed (`process.name`).
    pub path: String,
    /// Written as `?field`.
    pub optional: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string literal, escapes decoded.
    Str(String),
    Field(Field),
    /// `name(args…)` or `name~(args…)`; `name` as written, resolved case-insensitively
    /// by the checker.
    Call {
        name: String,
        insensitive: bool,
        args: Vec<Expr>,
    },
    /// Unary minus on a non-literal (a minus on a number literal is folded into it).
    Neg(Box<Expr>),
    Arith {
        op: ArithOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Compare {
        op: CmpOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `lhs : p`, `lhs like~ (p1, p2)`, `lhs regex "…"`.
    Pattern {
        op: PatternOp,
        lhs: Box<Expr>,
        patterns: Vec<Expr>,
        /// Written with parentheses (`: ("a", "b")`), even with one element.
        list: bool,
    },
    /// `lhs in (…)`, `lhs not in~ (…)`.
    In {
        lhs: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
        insensitive: bool,
    },
    Not(Box<Expr>),
    /// `a and b and …`: a chain of two or more operands, as written (a parenthesised
    /// chain inside a chain stays one operand). Chains are n-ary so that a long one
    /// (thousands of terms) is a wide tree, not a deep one.
    And(Vec<Expr>),
    /// `a or b or …`: like [`ExprKind::And`].
    Or(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// The wildcard and regex operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PatternOp {
    /// `:`, equivalent to `like~`.
    Colon,
    Like,
    LikeInsensitive,
    Regex,
    RegexInsensitive,
}

impl PatternOp {
    pub fn symbol(self) -> &'static str {
        match self {
            PatternOp::Colon => ":",
            PatternOp::Like => "like",
            PatternOp::LikeInsensitive => "like~",
            PatternOp::Regex => "regex",
            PatternOp::RegexInsensitive => "regex~",
        }
    }

    pub fn is_regex(self) -> bool {
        matches!(self, PatternOp::Regex | PatternOp::RegexInsensitive)
    }

    pub fn is_insensitive(self) -> bool {
        matches!(
            self,
            PatternOp::Colon | PatternOp::LikeInsensitive | PatternOp::RegexInsensitive
        )
    }
}

impl Query {
    /// Every stage of a sequence or sample (positive, missing and `until`), or the one
    /// filter of an event query, in source order.
    pub fn filters(&self) -> Vec<&EventFilter> {
        match &self.body {
            QueryBody::Event(f) => vec![f],
            QueryBody::Sequence(s) => s
                .stages
                .iter()
                .chain(s.until.iter())
                .map(|st| &st.filter)
                .collect(),
            QueryBody::Sample(s) => s.stages.iter().map(|st| &st.filter).collect(),
        }
    }
}

impl Expr {
    /// Visit this expression and every sub-expression, parents first (pre-order). The
    /// walk keeps its own stack, so it does not recurse however deep the tree is.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            f(e);
            let mark = stack.len();
            e.for_each_child(|c| stack.push(c));
            stack[mark..].reverse();
        }
    }

    /// Call `f` on each direct sub-expression, in source order.
    pub fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match &self.kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Field(_) => {}
            ExprKind::Call { args, .. } => args.iter().for_each(f),
            ExprKind::Neg(e) | ExprKind::Not(e) => f(e),
            ExprKind::Arith { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
                f(lhs);
                f(rhs);
            }
            ExprKind::And(xs) | ExprKind::Or(xs) => xs.iter().for_each(f),
            ExprKind::Pattern { lhs, patterns, .. } => {
                f(lhs);
                patterns.iter().for_each(f);
            }
            ExprKind::In { lhs, list, .. } => {
                f(lhs);
                list.iter().for_each(f);
            }
        }
    }

    /// The height of the tree: 1 for a literal or a field, one more than the deepest
    /// sub-expression otherwise (an `and`/`or` chain is one level whatever its length).
    /// Computed without recursion. The recursive walks of a rule (checker, printer,
    /// lowering, both back ends) are bounded by [`crate::parser::MAX_EXPR_DEPTH`]
    /// levels of it.
    pub fn depth(&self) -> usize {
        self.deepest().1
    }

    /// The deepest sub-expression (the first one in a pre-order walk at the greatest
    /// depth) and the height of the tree.
    pub fn deepest(&self) -> (&Expr, usize) {
        let mut best = (self, 1);
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            if d > best.1 {
                best = (e, d);
            }
            let mark = stack.len();
            e.for_each_child(|c| stack.push((c, d + 1)));
            stack[mark..].reverse();
        }
        best
    }

    pub fn is_literal(&self) -> bool {
        matches!(
            self.kind,
            ExprKind::Null
                | ExprKind::Bool(_)
                | ExprKind::Int(_)
                | ExprKind::Float(_)
                | ExprKind::Str(_)
        )
    }
}
