//! Branches of a filter: its condition in negation normal form, with one alternative
//! picked at every choice point, so that each branch is a plain conjunction of literals.
//!
//! A *choice point* is an `or` (after `not` is pushed down, `not (a and b)` is one too) or
//! a positive leaf with several alternatives: the values of `in`, the patterns of `:` /
//! `like` / `regex` lists, the blocks of `cidrMatch`. Branches are built one at a time,
//! each preferring alternatives no branch has used yet (and subtrees that still hold
//! such alternatives), until every alternative is used or the cap is reached. A long
//! list is walked in a seeded order, so a capped rule gets a seed-dependent sample of
//! its values. A branch that cannot be solved is retried with random picks at the points
//! it did not need to cover, then reported.

use super::rng::Rng;
use super::Gap;
use crate::functions::Function;
use crate::ir::{CmpOp, Cond, FieldId, Leaf, Lit, ValueIr};

/// One leaf of a branch with its polarity (`positive == false`: the leaf must be false)
/// and, for a positive leaf with alternatives, the alternative this branch uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Literal<'a> {
    pub leaf: &'a Leaf,
    pub positive: bool,
    pub choice: Option<usize>,
}

/// One branch: a conjunction of literals, and what it covers (for case names).
#[derive(Debug, Clone)]
pub(crate) struct Branch<'a> {
    pub lits: Vec<Literal<'a>>,
    /// The alternatives this branch was the first to use, described.
    pub label: String,
}

#[derive(Debug)]
enum Node<'a> {
    Const(bool),
    Lit {
        leaf: &'a Leaf,
        positive: bool,
        point: Option<usize>,
    },
    And(Vec<Node<'a>>),
    Or {
        point: usize,
        alts: Vec<Node<'a>>,
    },
}

struct Point {
    n: usize,
    covered: Vec<bool>,
    n_covered: usize,
    /// A seeded order of the alternatives (for points with more alternatives than the
    /// branch cap); `None` is natural order.
    order: Option<Vec<u32>>,
    /// Index into `order` before which every alternative is covered.
    cursor: usize,
    /// Round-robin counter for picks once every alternative is covered.
    rr: usize,
}

impl Point {
    fn alt_at(&self, k: usize) -> usize {
        match &self.order {
            Some(o) => o[k] as usize,
            None => k,
        }
    }

    fn first_uncovered(&mut self) -> Option<usize> {
        while self.cursor < self.n {
            let a = self.alt_at(self.cursor);
            if !self.covered[a] {
                return Some(a);
            }
            self.cursor += 1;
        }
        None
    }

    fn cover(&mut self, a: usize) {
        if !self.covered[a] {
            self.covered[a] = true;
            self.n_covered += 1;
        }
    }
}

/// How many alternatives a positive leaf offers (0: it can never be true).
pub(crate) fn alternatives(leaf: &Leaf) -> usize {
    match leaf {
        Leaf::InSet { set, .. } => set.len(),
        Leaf::Wildcard { patterns, .. } | Leaf::Regex { patterns, .. } => patterns.len(),
        Leaf::Truthy(ValueIr::Call {
            function: Function::CidrMatch,
            args,
            ..
        }) if args.len() > 1 && args[1..].iter().all(|a| matches!(a, ValueIr::Lit(_))) => {
            args.len() - 1
        }
        _ => 1,
    }
}

/// The branch enumerator of one filter condition.
pub(crate) struct Enumerator<'a> {
    root: Node<'a>,
    points: Vec<Point>,
    fields: &'a [String],
    rng: Rng,
}

/// What [`Enumerator::run`] found: the solved branches, and the gaps.
pub(crate) struct Enumerated<'a, T> {
    pub branches: Vec<(Branch<'a>, T)>,
    pub gaps: Vec<Gap>,
}

/// A branch that could not be solved: its new alternatives, its label, why.
type Failure = (Vec<(usize, usize)>, String, String);

enum Mode<'m> {
    Greedy,
    /// The given picks, and random ones elsewhere.
    Forced(&'m [(usize, usize)]),
}

impl<'a> Enumerator<'a> {
    pub(crate) fn new(cond: &'a Cond, fields: &'a [String], seed: u64, cap: usize) -> Self {
        let mut e = Enumerator {
            root: Node::Const(true),
            points: Vec::new(),
            fields,
            rng: Rng::new(seed),
        };
        let mut root = nnf(cond, true);
        e.number(&mut root, cap);
        e.root = root;
        e
    }

    fn new_point(&mut self, n: usize, cap: usize) -> usize {
        let order = (n > cap).then(|| self.rng.permutation(n));
        self.points.push(Point {
            n,
            covered: vec![false; n],
            n_covered: 0,
            order,
            cursor: 0,
            rr: 0,
        });
        self.points.len() - 1
    }

    fn number(&mut self, node: &mut Node<'a>, cap: usize) {
        match node {
            Node::Const(_) => {}
            Node::Lit {
                leaf,
                positive,
                point,
            } => {
                let n = alternatives(leaf);
                if *positive && n > 1 {
                    *point = Some(self.new_point(n, cap));
                }
            }
            Node::And(kids) => kids.iter_mut().for_each(|k| self.number(k, cap)),
            Node::Or { point, alts } => {
                *point = self.new_point(alts.len(), cap);
                alts.iter_mut().for_each(|k| self.number(k, cap));
            }
        }
    }

    /// Whether the condition can never be true (after simplification).
    pub(crate) fn is_false(&self) -> bool {
        matches!(self.root, Node::Const(false))
    }

    fn uncovered(&self, node: &Node<'a>) -> bool {
        match node {
            Node::Const(_) => false,
            Node::Lit { point, .. } => point.is_some_and(|p| {
                let p = &self.points[p];
                p.n_covered < p.n
            }),
            Node::And(kids) => kids.iter().any(|k| self.uncovered(k)),
            Node::Or { point, alts } => {
                let p = &self.points[*point];
                p.n_covered < p.n || alts.iter().any(|k| self.uncovered(k))
            }
        }
    }

    fn pick(&mut self, p: usize, alts: Option<&[Node<'a>]>, mode: &Mode<'_>) -> usize {
        match mode {
            Mode::Forced(targets) => match targets.iter().find(|(q, _)| *q == p) {
                Some(&(_, a)) => a,
                None => {
                    let n = self.points[p].n;
                    let k = self.rng.below(n);
                    self.points[p].alt_at(k)
                }
            },
            Mode::Greedy => {
                if let Some(a) = self.points[p].first_uncovered() {
                    return a;
                }
                if let Some(alts) = alts {
                    if let Some(a) = (0..alts.len()).find(|&a| self.uncovered(&alts[a])) {
                        return a;
                    }
                }
                let pt = &mut self.points[p];
                let k = pt.rr % pt.n;
                pt.rr += 1;
                pt.alt_at(k)
            }
        }
    }

    fn build(
        &mut self,
        node: &Node<'a>,
        mode: &Mode<'_>,
        lits: &mut Vec<Literal<'a>>,
        picks: &mut Vec<(usize, usize, String)>,
    ) {
        match node {
            Node::Const(_) => {}
            Node::Lit {
                leaf,
                positive,
                point,
            } => {
                let choice = point.map(|p| {
                    let a = self.pick(p, None, mode);
                    let n = self.points[p].n;
                    picks.push((
                        p,
                        a,
                        format!(
                            "{}, {} {} of {}",
                            describe_literal(self.fields, leaf, true, Some(a)),
                            alt_noun(leaf),
                            a + 1,
                            n
                        ),
                    ));
                    a
                });
                lits.push(Literal {
                    leaf,
                    positive: *positive,
                    choice,
                });
            }
            Node::And(kids) => {
                for k in kids {
                    self.build(k, mode, lits, picks);
                }
            }
            Node::Or { point, alts } => {
                let a = self.pick(*point, Some(alts), mode);
                picks.push((
                    *point,
                    a,
                    format!(
                        "or-alternative {} of {}: {}",
                        a + 1,
                        alts.len(),
                        describe_node(self.fields, &alts[a])
                    ),
                ));
                self.build(&alts[a], mode, lits, picks);
            }
        }
    }

    fn make(&mut self, mode: &Mode<'_>) -> (Vec<Literal<'a>>, Vec<(usize, usize, String)>) {
        let root = std::mem::replace(&mut self.root, Node::Const(true));
        let mut lits = Vec::new();
        let mut picks = Vec::new();
        self.build(&root, mode, &mut lits, &mut picks);
        self.root = root;
        (lits, picks)
    }

    fn total(&self) -> (usize, usize) {
        self.points
            .iter()
            .fold((0, 0), |(c, t), p| (c + p.n_covered, t + p.n))
    }

    /// Builds and solves branches until every alternative is used or `max` branches
    /// are solved. `solve` returns the branch's solution or why there is none.
    pub(crate) fn run<T>(
        &mut self,
        max: usize,
        retries: usize,
        mut solve: impl FnMut(&Branch<'a>) -> Result<T, String>,
    ) -> Enumerated<'a, T> {
        let mut out = Enumerated {
            branches: Vec::new(),
            gaps: Vec::new(),
        };
        if self.is_false() {
            out.gaps
                .push(Gap::new("the condition", "condition is always false"));
            return out;
        }
        // Failed branches, reported at the end only if one of their new alternatives
        // never made it into a solved branch.
        let mut failures: Vec<Failure> = Vec::new();
        let mut solved_alts: Vec<(usize, usize)> = Vec::new();
        let mut first = true;
        while out.branches.len() < max && (first || self.uncovered(&self.root)) {
            first = false;
            let (lits, picks) = self.make(&Mode::Greedy);
            let targets: Vec<(usize, usize)> = picks
                .iter()
                .filter(|(p, a, _)| !self.points[*p].covered[*a])
                .map(|(p, a, _)| (*p, *a))
                .collect();
            let label = branch_label(self.fields, &lits, &picks, &targets);
            let mut attempt = Branch { lits, label };
            let mut result = solve(&attempt);
            let mut used = picks;
            let mut tries = 0;
            while result.is_err() && tries < retries && !self.points.is_empty() {
                tries += 1;
                // All new alternatives forced, random picks elsewhere (three times); then the
                // most recently picked (deepest) targets dropped one by one, so that two
                // new alternatives that contradict each other are tried apart later.
                let keep = targets.len().saturating_sub((tries - 1) / 3);
                if keep == 0 && !targets.is_empty() {
                    break;
                }
                let (lits, picks) = self.make(&Mode::Forced(&targets[..keep]));
                let label = branch_label(self.fields, &lits, &picks, &targets);
                let b = Branch { lits, label };
                let r = solve(&b);
                if r.is_ok() {
                    attempt = b;
                    used = picks;
                    result = r;
                }
            }
            match result {
                Ok(t) => {
                    solved_alts.extend(used.iter().map(|(p, a, _)| (*p, *a)));
                    let progress = used.iter().any(|(p, a, _)| !self.points[*p].covered[*a]);
                    for (p, a, _) in &used {
                        self.points[*p].cover(*a);
                    }
                    if !progress {
                        // Nothing new was used: give up on these targets so the loop ends.
                        for (p, a) in &targets {
                            self.points[*p].cover(*a);
                        }
                    }
                    out.branches.push((attempt, t));
                }
                Err(e) => {
                    if targets.is_empty() {
                        out.gaps
                            .push(Gap::new(&format!("branch ({})", attempt.label), &e));
                        break;
                    }
                    failures.push((targets.clone(), attempt.label.clone(), e));
                    for (p, a) in &targets {
                        self.points[*p].cover(*a);
                    }
                }
            }
        }
        for (targets, label, e) in failures {
            if targets.iter().any(|t| !solved_alts.contains(t)) {
                out.gaps.push(Gap::new(&format!("branch ({label})"), &e));
            }
        }
        let (covered, total) = self.total();
        if covered < total && out.branches.len() >= max {
            out.gaps.push(Gap::new(
                &format!("{} of {total} alternatives used by {max} branches", covered),
                "branch cap reached",
            ));
        }
        out
    }
}

fn branch_label(
    fields: &[String],
    lits: &[Literal<'_>],
    picks: &[(usize, usize, String)],
    targets: &[(usize, usize)],
) -> String {
    let mut parts: Vec<&str> = picks
        .iter()
        .filter(|(p, a, _)| targets.contains(&(*p, *a)))
        .map(|(_, _, s)| s.as_str())
        .collect();
    if parts.is_empty() {
        parts = picks.iter().map(|(_, _, s)| s.as_str()).collect();
    }
    let mut label = if parts.is_empty() {
        lits.iter()
            .take(2)
            .map(|l| describe_literal(fields, l.leaf, l.positive, l.choice))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        parts.iter().take(3).copied().collect::<Vec<_>>().join(", ")
    };
    if parts.len() > 3 || (parts.is_empty() && lits.len() > 2) {
        label.push_str(", …");
    }
    label
}

fn alt_noun(leaf: &Leaf) -> &'static str {
    match leaf {
        Leaf::InSet { .. } => "in-value",
        Leaf::Wildcard { .. } => "pattern",
        Leaf::Regex { .. } => "regex",
        _ => "block",
    }
}

/// The condition in negation normal form (`positive == false`: its negation),
/// simplified (constants folded, nested `and`/`or` flattened).
fn nnf(c: &Cond, positive: bool) -> Node<'_> {
    match c {
        Cond::Const(b) => Node::Const(*b == positive),
        Cond::Not(x) => nnf(x, !positive),
        Cond::And(xs) | Cond::Or(xs) => {
            let conj = matches!(c, Cond::And(_)) == positive;
            let kids = xs.iter().map(|x| nnf(x, positive));
            if conj {
                and(kids)
            } else {
                or(kids)
            }
        }
        Cond::Leaf(l) => match (alternatives(l), positive) {
            (0, true) => Node::Const(false),
            (0, false) => Node::Const(true),
            _ => Node::Lit {
                leaf: l,
                positive,
                point: None,
            },
        },
    }
}

fn and<'a>(kids: impl Iterator<Item = Node<'a>>) -> Node<'a> {
    let mut out = Vec::new();
    for k in kids {
        match k {
            Node::Const(true) => {}
            Node::Const(false) => return Node::Const(false),
            Node::And(more) => out.extend(more),
            k => out.push(k),
        }
    }
    match out.len() {
        0 => Node::Const(true),
        1 => out.pop().unwrap_or(Node::Const(true)),
        _ => Node::And(out),
    }
}

fn or<'a>(kids: impl Iterator<Item = Node<'a>>) -> Node<'a> {
    let mut out = Vec::new();
    for k in kids {
        match k {
            Node::Const(false) => {}
            Node::Const(true) => return Node::Const(true),
            Node::Or { alts, .. } => out.extend(alts),
            k => out.push(k),
        }
    }
    match out.len() {
        0 => Node::Const(false),
        1 => out.pop().unwrap_or(Node::Const(false)),
        _ => Node::Or {
            point: usize::MAX,
            alts: out,
        },
    }
}

fn describe_node(fields: &[String], node: &Node<'_>) -> String {
    match node {
        Node::Const(b) => b.to_string(),
        Node::Lit { leaf, positive, .. } => describe_literal(fields, leaf, *positive, None),
        Node::And(kids) => {
            let first = kids
                .first()
                .map(|k| describe_node(fields, k))
                .unwrap_or_default();
            if kids.len() > 1 {
                format!("{first} and …")
            } else {
                first
            }
        }
        Node::Or { alts, .. } => format!("one of {} alternatives", alts.len()),
    }
}

const MAX_TEXT: usize = 60;

/// A string literal as EQL writes it, shortened when long.
pub(crate) fn quote(s: &str) -> String {
    let mut t: String = s.chars().take(MAX_TEXT).collect();
    if s.chars().count() > MAX_TEXT {
        t.push('…');
    }
    format!("{t:?}")
}

pub(crate) fn describe_lit(l: &Lit) -> String {
    match l {
        Lit::Null => "null".into(),
        Lit::Bool(b) => b.to_string(),
        Lit::Int(i) => i.to_string(),
        Lit::Float(f) => f.to_string(),
        Lit::Str(s) => quote(s),
    }
}

fn function_name(f: Function) -> &'static str {
    match f {
        Function::Add => "add",
        Function::Between => "between",
        Function::CidrMatch => "cidrMatch",
        Function::Concat => "concat",
        Function::Divide => "divide",
        Function::EndsWith => "endsWith",
        Function::IndexOf => "indexOf",
        Function::Length => "length",
        Function::Modulo => "modulo",
        Function::Multiply => "multiply",
        Function::Number => "number",
        Function::StartsWith => "startsWith",
        Function::String => "string",
        Function::StringContains => "stringContains",
        Function::Substring => "substring",
        Function::Subtract => "subtract",
    }
}

pub(crate) fn describe_value(fields: &[String], v: &ValueIr) -> String {
    match v {
        ValueIr::Lit(l) => describe_lit(l),
        ValueIr::Field(f) => field_name(fields, *f).to_string(),
        ValueIr::Neg(x) => format!("-{}", describe_value(fields, x)),
        ValueIr::Arith { op, lhs, rhs } => {
            let sym = match op {
                crate::ast::ArithOp::Add => "+",
                crate::ast::ArithOp::Sub => "-",
                crate::ast::ArithOp::Mul => "*",
                crate::ast::ArithOp::Div => "/",
                crate::ast::ArithOp::Mod => "%",
            };
            format!(
                "({} {sym} {})",
                describe_value(fields, lhs),
                describe_value(fields, rhs)
            )
        }
        ValueIr::Call {
            function,
            insensitive,
            args,
        } => {
            let shown: Vec<String> = args
                .iter()
                .take(4)
                .map(|a| describe_value(fields, a))
                .collect();
            format!(
                "{}{}({}{})",
                function_name(*function),
                if *insensitive { "~" } else { "" },
                shown.join(", "),
                if args.len() > 4 { ", …" } else { "" }
            )
        }
        ValueIr::Cond(_) => "(condition)".into(),
    }
}

pub(crate) fn field_name(fields: &[String], f: FieldId) -> &str {
    fields.get(f as usize).map_or("?", String::as_str)
}

fn list<T>(items: &[T], choice: Option<usize>, show: impl Fn(&T) -> String) -> String {
    match (items.len(), choice) {
        (_, Some(c)) if c < items.len() => show(&items[c]),
        (1, _) => show(&items[0]),
        (n, _) => format!("({} … {n} items)", show(&items[0])),
    }
}

/// A literal as EQL-like text (`process.name : "cmd.exe"`, `not user.id in (…)`), with
/// the chosen alternative when there is one.
pub(crate) fn describe_literal(
    fields: &[String],
    leaf: &Leaf,
    positive: bool,
    choice: Option<usize>,
) -> String {
    let not = if positive { "" } else { "not " };
    match leaf {
        Leaf::Compare { op, lhs, rhs, .. } => {
            let (l, r) = (describe_value(fields, lhs), describe_value(fields, rhs));
            match (op, positive) {
                (CmpOp::Eq, false) => format!("{l} != {r}"),
                _ => format!("{not}{l} {} {r}", op.symbol()),
            }
        }
        Leaf::IsNull(v) => format!(
            "{} {} null",
            describe_value(fields, v),
            if positive { "==" } else { "!=" }
        ),
        Leaf::Wildcard {
            value,
            patterns,
            insensitive,
        } => format!(
            "{not}{} {} {}",
            describe_value(fields, value),
            if *insensitive { ":" } else { "like" },
            list(patterns, choice, |p| quote(p))
        ),
        Leaf::Regex { value, patterns } => format!(
            "{not}{} regex {}",
            describe_value(fields, value),
            list(patterns, choice, |p| quote(p))
        ),
        Leaf::InSet {
            value,
            set,
            insensitive,
        } => format!(
            "{} {not}in{} {}",
            describe_value(fields, value),
            if *insensitive { "~" } else { "" },
            list(set, choice, describe_lit)
        ),
        Leaf::Truthy(ValueIr::Call {
            function: Function::CidrMatch,
            args,
            ..
        }) if choice.is_some() && args.len() > 1 => {
            let c = choice.unwrap_or(0) + 1;
            format!(
                "{not}cidrMatch({}, {})",
                describe_value(fields, &args[0]),
                args.get(c)
                    .map_or_else(String::new, |a| describe_value(fields, a))
            )
        }
        Leaf::Truthy(v) => format!("{not}{}", describe_value(fields, v)),
        Leaf::Kql { field, test } => format!(
            "{not}{}",
            crate::kql::describe(
                fields.get(*field as usize).map_or("?", String::as_str),
                test
            )
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{lower_query, QueryIr, DEFAULT_CATEGORY_FIELD};

    fn cond(q: &str) -> crate::ir::RuleIr {
        lower_query(
            "t",
            "t",
            "t",
            DEFAULT_CATEGORY_FIELD,
            &crate::parse_query(q).unwrap(),
        )
        .unwrap()
    }

    fn branches(q: &str, max: usize) -> (Vec<String>, Vec<Gap>) {
        let ir = cond(q);
        let QueryIr::Event(f) = &ir.query else {
            panic!()
        };
        let mut e = Enumerator::new(&f.condition, &ir.fields, 1, max);
        let r = e.run(max, 2, |b| {
            Ok::<_, String>(
                b.lits
                    .iter()
                    .map(|l| describe_literal(&ir.fields, l.leaf, l.positive, l.choice))
                    .collect::<Vec<_>>()
                    .join(" & "),
            )
        });
        (r.branches.into_iter().map(|(_, s)| s).collect(), r.gaps)
    }

    #[test]
    fn every_alternative_is_used_once() {
        let (b, gaps) = branches(
            "process where (a == 1 or b == 2) and c in (\"x\", \"y\", \"z\") and not (d == 1 or e == 2)",
            32,
        );
        assert_eq!(b.len(), 3, "{b:#?}");
        assert!(gaps.is_empty());
        assert!(b[0].contains("a == 1") && b[0].contains("c in \"x\""));
        assert!(b[1].contains("b == 2") && b[1].contains("c in \"y\""));
        assert!(b[2].contains("c in \"z\""));
        assert!(b
            .iter()
            .all(|s| s.contains("d != 1") && s.contains("e != 2")));
    }

    #[test]
    fn negated_conjunction_is_a_choice() {
        let (b, _) = branches("any where not (a == 1 and b : (\"x*\", \"y*\"))", 32);
        assert_eq!(b, vec!["a != 1", "not b : (\"x*\" … 2 items)"]);
    }

    #[test]
    fn nested_alternatives_are_reached() {
        let (b, _) = branches(
            "any where a == 1 or (b == 1 and (c == 1 or c == 2 or c == 3))",
            32,
        );
        // The inner alternatives are reachable only under the second outer one.
        assert_eq!(b.len(), 4, "{b:#?}");
        assert!(b.iter().any(|s| s.contains("c == 3")));
    }

    #[test]
    fn cap_is_reported() {
        let list: Vec<String> = (0..100).map(|i| format!("\"v{i}\"")).collect();
        let (b, gaps) = branches(&format!("any where a in ({})", list.join(", ")), 8);
        assert_eq!(b.len(), 8);
        assert_eq!(gaps.len(), 1);
        assert!(gaps[0].reason.contains("branch cap"), "{gaps:?}");
    }

    #[test]
    fn false_condition_has_no_branch() {
        let (b, gaps) = branches("any where false and a == 1", 8);
        assert!(b.is_empty());
        assert_eq!(gaps[0].reason, "condition is always false");
    }
}
