//! What a field must hold for a literal to be true, worked backwards through the
//! functions over it.
//!
//! A literal's value side is an expression tree over one field (`startsWith~(between~(f,
//! "a(", ")"), "'http")`, `modulo(divide(number(f, 8), 2048), 2) == 1`). Its goal (a
//! text shape, a range of integers, `true`, non-null) is pushed from the root down to the
//! field through each function's inverse: `between(x, l, r)` wanting `S` makes `x` want
//! `*lS r*`, `substring(x, -9, -4)` wanting `.docx` makes `x` want `*.docx????`,
//! `number(x, 8)` wanting 2048 makes `x` want `4000`, `add(x, 5) >= 10` makes `x` want at
//! least 5, and so on. What arrives at the field is a [`Want`]: a [`Shape`] (a wildcard
//! pattern with case-insensitive characters) or a concrete value. Shapes of several
//! literals on one field are intersected ([`intersect`]: the shortest string every shape
//! accepts, by a bounded breadth-first search over the product of the patterns), so one
//! value meets all of them.
//!
//! Everything here is a *sufficient* condition built from the literal's own text; the
//! caller still checks every candidate with the interpreter. Bounds: at most
//! [`MAX_WANTS`] wants per literal, at most [`MAX_STATES`] product states per
//! intersection, generated runs (`?` repeated) of at most [`MAX_RUN`] characters.
//!
//! Literals over several fields get joint candidates from [`concat_splits`] (a
//! `concat(a, ">", b)` literal split on its separators) and from [`substitute`] (every
//! field but one replaced by a constant, the rest inverted as above).

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value as Json;

use crate::ast::ArithOp;
use crate::functions::Function;
use crate::ir::{CmpOp, Cond, FieldId, Leaf, Lit, ValueIr};

/// One element of a [`Shape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tok {
    /// Any run of characters, possibly empty.
    Star,
    /// Exactly one character.
    Any,
    /// This character (any case when the flag is set).
    Char(char, bool),
}

/// A wildcard pattern over tokens.
pub(crate) type Shape = Vec<Tok>;

/// What a field must hold for a literal to be true (one alternative).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Want {
    /// A string accepted by the shape.
    Shape(Shape),
    /// This value.
    Value(Json),
}

/// What a sub-expression must evaluate to.
#[derive(Debug, Clone)]
enum Goal {
    Text(Shape),
    /// An integer in the inclusive bounds (an open side is `None`).
    Range(Option<i64>, Option<i64>),
    True,
    NonNull,
}

/// The most wants per literal.
pub(crate) const MAX_WANTS: usize = 8;
/// The most product states one intersection explores.
pub(crate) const MAX_STATES: usize = 20_000;
/// The longest run of `?` generated for a position or a length.
pub(crate) const MAX_RUN: i64 = 4096;

/// The shape of literal text.
pub(crate) fn text(s: &str, ci: bool) -> Shape {
    s.chars().map(|c| Tok::Char(c, ci)).collect()
}

/// The shape of a wildcard pattern (`*`, `?`; no escapes, as in EQL).
pub(crate) fn glob(p: &str, ci: bool) -> Shape {
    let mut out = Shape::new();
    for c in p.chars() {
        match c {
            '*' if out.last() == Some(&Tok::Star) => {}
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::Any),
            c => out.push(Tok::Char(c, ci)),
        }
    }
    out
}

fn any_run(n: i64) -> Option<Shape> {
    (0..=MAX_RUN)
        .contains(&n)
        .then(|| vec![Tok::Any; n as usize])
}

fn cat(parts: &[&[Tok]]) -> Shape {
    let mut out = Shape::new();
    for p in parts {
        for t in *p {
            if !(*t == Tok::Star && out.last() == Some(&Tok::Star)) {
                out.push(*t);
            }
        }
    }
    out
}

fn reads(v: &ValueIr, f: FieldId) -> bool {
    let mut fs = Vec::new();
    super::values::value_fields(v, &mut fs);
    fs.contains(&f)
}

fn lit_int(v: &ValueIr) -> Option<i64> {
    match v {
        ValueIr::Lit(Lit::Int(i)) => Some(*i),
        ValueIr::Lit(Lit::Float(x)) if x.fract() == 0.0 && x.abs() < 1e15 => Some(*x as i64),
        ValueIr::Neg(x) => lit_int(x).and_then(i64::checked_neg),
        _ => None,
    }
}

fn lit_text(v: &ValueIr) -> Option<String> {
    match v {
        ValueIr::Lit(Lit::Str(s)) => Some(s.clone()),
        ValueIr::Lit(Lit::Int(i)) => Some(i.to_string()),
        ValueIr::Lit(Lit::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        op => op,
    }
}

/// The integer range `x op c` asks of `x`.
fn range_of(op: CmpOp, c: &Lit) -> Option<Goal> {
    let (lo, hi) = match c {
        Lit::Int(c) => {
            let c = *c;
            match op {
                CmpOp::Eq => (Some(c), Some(c)),
                CmpOp::Ge => (Some(c), None),
                CmpOp::Gt => (Some(c.checked_add(1)?), None),
                CmpOp::Le => (None, Some(c)),
                CmpOp::Lt => (None, Some(c.checked_sub(1)?)),
            }
        }
        Lit::Float(x) if x.is_finite() && x.abs() < 1e15 => {
            let x = *x;
            match op {
                CmpOp::Eq if x.fract() == 0.0 => (Some(x as i64), Some(x as i64)),
                CmpOp::Eq => return None,
                CmpOp::Ge => (Some(x.ceil() as i64), None),
                CmpOp::Gt => (Some(x.floor() as i64 + 1), None),
                CmpOp::Le => (None, Some(x.floor() as i64)),
                CmpOp::Lt => (None, Some(x.ceil() as i64 - 1)),
            }
        }
        _ => return None,
    };
    Some(Goal::Range(lo, hi))
}

/// A few integers in the range, the bounds first.
fn pick(lo: Option<i64>, hi: Option<i64>) -> Vec<i64> {
    let mut out = Vec::new();
    match (lo, hi) {
        (Some(l), Some(h)) if l <= h => {
            out.push(l);
            if l < h {
                out.push(l + 1);
                out.push(h);
            }
        }
        (Some(_), Some(_)) => {}
        (Some(l), None) => {
            out.push(l);
            out.extend(l.checked_add(1));
        }
        (None, Some(h)) => {
            out.push(h);
            out.extend(h.checked_sub(1));
        }
        (None, None) => out.extend([1, 0]),
    }
    out.dedup();
    out
}

/// What field `f` must hold for the literal (the leaf with its polarity and choice) to
/// be true: alternatives, each sufficient (when the rest of the value allows it). Only
/// a negated `IsNull` asks something of a negative literal (its value must exist).
pub(crate) fn wants(
    leaf: &Leaf,
    positive: bool,
    choice: Option<usize>,
    f: FieldId,
    variant: usize,
) -> Vec<Want> {
    let mut out = Vec::new();
    let choice = choice.unwrap_or(0);
    if !positive {
        if let Leaf::IsNull(v) = leaf {
            push(v, Goal::NonNull, f, &mut out);
        }
        out.truncate(MAX_WANTS);
        return out;
    }
    match leaf {
        Leaf::Compare { op, lhs, rhs, .. } => {
            let (v, op, c) = match (lhs, rhs) {
                (v, ValueIr::Lit(c)) if reads(v, f) => (v, *op, c),
                (ValueIr::Lit(c), v) if reads(v, f) => (v, flip(*op), c),
                _ => return out,
            };
            match c {
                Lit::Str(s) if op == CmpOp::Eq => push(v, Goal::Text(text(s, false)), f, &mut out),
                Lit::Bool(true) if op == CmpOp::Eq => push(v, Goal::True, f, &mut out),
                c => {
                    if let Some(g) = range_of(op, c) {
                        push(v, g, f, &mut out);
                    }
                }
            }
        }
        Leaf::InSet {
            value,
            set,
            insensitive,
        } => match set.get(choice) {
            Some(Lit::Str(s)) => push(value, Goal::Text(text(s, *insensitive)), f, &mut out),
            Some(Lit::Int(i)) => push(value, Goal::Range(Some(*i), Some(*i)), f, &mut out),
            Some(Lit::Bool(true)) => push(value, Goal::True, f, &mut out),
            _ => {}
        },
        Leaf::Wildcard {
            value,
            patterns,
            insensitive,
        } => {
            if let Some(p) = patterns.get(choice) {
                push(value, Goal::Text(glob(p, *insensitive)), f, &mut out);
            }
        }
        Leaf::Regex { value, patterns } => {
            if let Some(p) = patterns.get(choice) {
                for v in 0..2 {
                    if let Some(s) = super::regex::generate(p, variant + v) {
                        push(value, Goal::Text(text(&s, false)), f, &mut out);
                    }
                }
            }
        }
        Leaf::Truthy(v) => push(v, Goal::True, f, &mut out),
        Leaf::IsNull(_) | Leaf::Kql { .. } => {}
    }
    let mut seen = Vec::new();
    out.retain(|w| {
        if seen.contains(w) {
            false
        } else {
            seen.push(w.clone());
            true
        }
    });
    out.truncate(MAX_WANTS);
    out
}

/// Pushes `goal` on `v` down to field `f`.
fn push(v: &ValueIr, goal: Goal, f: FieldId, out: &mut Vec<Want>) {
    if out.len() >= MAX_WANTS {
        return;
    }
    match v {
        ValueIr::Field(g) if *g == f => match goal {
            Goal::Text(s) => out.push(Want::Shape(s)),
            Goal::Range(lo, hi) => {
                out.extend(pick(lo, hi).into_iter().map(|n| Want::Value(Json::from(n))))
            }
            Goal::True => out.push(Want::Value(Json::Bool(true))),
            Goal::NonNull => {}
        },
        ValueIr::Field(_) | ValueIr::Lit(_) | ValueIr::Cond(_) => {}
        ValueIr::Neg(x) => {
            if let Goal::Range(lo, hi) = goal {
                push(
                    x,
                    Goal::Range(hi.and_then(i64::checked_neg), lo.and_then(i64::checked_neg)),
                    f,
                    out,
                );
            }
        }
        ValueIr::Arith { op, lhs, rhs } => arith(*op, lhs, rhs, goal, f, out),
        ValueIr::Call {
            function,
            insensitive,
            args,
        } => call(*function, *insensitive, args, goal, f, out),
    }
}

/// `lhs op rhs` wanting `goal`, one side a constant.
fn arith(op: ArithOp, lhs: &ValueIr, rhs: &ValueIr, goal: Goal, f: FieldId, out: &mut Vec<Want>) {
    let Goal::Range(lo, hi) = goal else {
        return;
    };
    let (x, c, left) = match (lit_int(lhs), lit_int(rhs)) {
        (None, Some(c)) if reads(lhs, f) => (lhs, c, true),
        (Some(c), None) if reads(rhs, f) => (rhs, c, false),
        _ => return,
    };
    let shift = |b: Option<i64>, d: i64| b.and_then(|b| b.checked_add(d));
    match (op, left) {
        (ArithOp::Add, _) => {
            let Some(nc) = c.checked_neg() else { return };
            push(x, Goal::Range(shift(lo, nc), shift(hi, nc)), f, out);
        }
        (ArithOp::Sub, true) => push(x, Goal::Range(shift(lo, c), shift(hi, c)), f, out),
        (ArithOp::Sub, false) => {
            let back = |b: Option<i64>| b.and_then(|b| c.checked_sub(b));
            push(x, Goal::Range(back(hi), back(lo)), f, out);
        }
        (op, left) => {
            for t in pick(lo, hi) {
                for v in invert_point(op, c, left, t) {
                    push(x, Goal::Range(Some(v), Some(v)), f, out);
                }
            }
        }
    }
}

/// The `x` giving `x op c` (or `c op x`) = `t`, for the operations without a range
/// inverse; approximate candidates are fine (they are checked).
fn invert_point(op: ArithOp, c: i64, left: bool, t: i64) -> Vec<i64> {
    let mut v = Vec::new();
    match (op, left) {
        (ArithOp::Mul, _) if c != 0 => {
            v.push(t / c);
            if t % c != 0 {
                v.extend((t / c).checked_add(t.signum() * c.signum()));
            }
        }
        (ArithOp::Div, true) if c != 0 => {
            v.extend(t.checked_mul(c));
            if t > 0 && c > 1 {
                v.extend(t.checked_mul(c).and_then(|x| x.checked_add(c - 1)));
            }
        }
        (ArithOp::Div, false) if t != 0 => v.push(c / t),
        (ArithOp::Mod, true)
            if c != 0 && t.checked_abs().is_some_and(|a| a < c.saturating_abs()) =>
        {
            let step = c.saturating_abs();
            v.push(t);
            if t >= 0 {
                v.extend(t.checked_add(step));
                v.extend(t.checked_add(step.saturating_mul(2)));
            } else {
                v.extend(t.checked_sub(step));
            }
        }
        _ => {}
    }
    v
}

fn op_of(function: Function) -> Option<ArithOp> {
    Some(match function {
        Function::Add => ArithOp::Add,
        Function::Subtract => ArithOp::Sub,
        Function::Multiply => ArithOp::Mul,
        Function::Divide => ArithOp::Div,
        Function::Modulo => ArithOp::Mod,
        _ => return None,
    })
}

fn to_base(n: i64, base: u32) -> Option<String> {
    if !(2..=36).contains(&base) {
        return None;
    }
    let mut m = n.unsigned_abs();
    let mut digits = Vec::new();
    loop {
        digits.push(std::char::from_digit((m % u64::from(base)) as u32, base)?);
        m /= u64::from(base);
        if m == 0 {
            break;
        }
    }
    if n < 0 {
        digits.push('-');
    }
    Some(digits.into_iter().rev().collect())
}

fn char_ok(c: char, t: Tok) -> bool {
    match t {
        Tok::Star | Tok::Any => true,
        Tok::Char(d, ci) => c == d || (ci && c.to_lowercase().eq(d.to_lowercase())),
    }
}

/// The shape left for `x` when `concat(prefix, x, suffix)` must match `s`: the literal
/// text stripped from both ends (a `*` reached absorbs the rest of that side).
fn strip(s: &Shape, prefix: &str, suffix: &str) -> Option<Shape> {
    let mut d: VecDeque<Tok> = s.iter().copied().collect();
    for c in prefix.chars() {
        match d.front().copied() {
            Some(Tok::Star) => break,
            Some(t) if char_ok(c, t) => {
                d.pop_front();
            }
            _ => return None,
        }
    }
    for c in suffix.chars().rev() {
        match d.back().copied() {
            Some(Tok::Star) => break,
            Some(t) if char_ok(c, t) => {
                d.pop_back();
            }
            _ => return None,
        }
    }
    Some(d.into_iter().collect())
}

/// `s` pinned to exactly `len` characters (a concrete string when `s` has a `*`).
fn fixed_len(s: &Shape, len: i64) -> Option<Shape> {
    if s.contains(&Tok::Star) {
        let run = any_run(len)?;
        intersect(&[s, &run]).map(|t| text(&t, false))
    } else {
        (s.len() as i64 == len).then(|| s.clone())
    }
}

fn call(
    function: Function,
    ci: bool,
    args: &[ValueIr],
    goal: Goal,
    f: FieldId,
    out: &mut Vec<Want>,
) {
    if let Some(op) = op_of(function) {
        if let [a, b] = args {
            arith(op, a, b, goal, f, out);
        }
        return;
    }
    // The argument that reads the field; every other one must not.
    let Some(k) = args.iter().position(|a| reads(a, f)) else {
        return;
    };
    if args.iter().enumerate().any(|(i, a)| i != k && reads(a, f)) {
        return;
    }
    let x = &args[k];
    match (function, goal) {
        (Function::StartsWith | Function::EndsWith | Function::StringContains, Goal::True) => {
            let Some(other) = args.get(1 - k.min(1)).and_then(lit_text) else {
                return;
            };
            if args.len() != 2 {
                return;
            }
            let t = text(&other, ci);
            let star = [Tok::Star];
            if k == 1 {
                // `startsWith("literal", x)`: the literal itself qualifies.
                push(x, Goal::Text(t), f, out);
                return;
            }
            let shapes: Vec<Shape> = match function {
                Function::StartsWith => vec![cat(&[&t, &star])],
                Function::EndsWith => vec![cat(&[&star, &t])],
                _ => vec![
                    cat(&[&star, &t, &[Tok::Char(' ', false)], &star]),
                    cat(&[&star, &t, &star]),
                ],
            };
            for s in shapes {
                push(x, Goal::Text(s), f, out);
            }
        }
        (Function::IndexOf, goal) if k == 0 => {
            let Some(sub) = args.get(1).and_then(lit_text) else {
                return;
            };
            let start = match args.get(2) {
                None | Some(ValueIr::Lit(Lit::Null)) => 0,
                Some(a) => match lit_int(a) {
                    Some(s) => s.max(0),
                    None => return,
                },
            };
            let (lo, hi) = match goal {
                Goal::Range(lo, hi) => (lo, hi),
                Goal::NonNull => (None, None),
                _ => return,
            };
            let t = text(&sub, ci);
            let lo = lo.unwrap_or(start).max(start);
            match hi {
                None => {
                    let Some(run) = any_run(lo) else { return };
                    let star = [Tok::Star];
                    push(
                        x,
                        Goal::Text(cat(&[&run, &star, &t, &[Tok::Char(' ', false)], &star])),
                        f,
                        out,
                    );
                    push(x, Goal::Text(cat(&[&run, &star, &t, &star])), f, out);
                }
                Some(h) => {
                    for p in pick(Some(lo), Some(h)) {
                        if let Some(run) = any_run(p) {
                            push(x, Goal::Text(cat(&[&run, &t, &[Tok::Star]])), f, out);
                        }
                    }
                }
            }
        }
        (Function::Length, Goal::Range(lo, hi)) => match hi {
            None => {
                if let Some(run) = any_run(lo.unwrap_or(0).max(0)) {
                    push(x, Goal::Text(cat(&[&run, &[Tok::Star]])), f, out);
                }
            }
            Some(_) => {
                for p in pick(lo.map(|l| l.max(0)).or(Some(0)), hi) {
                    if let Some(run) = any_run(p) {
                        push(x, Goal::Text(run), f, out);
                    }
                }
            }
        },
        (Function::Between, Goal::Text(s)) if k == 0 => {
            let (Some(l), Some(r)) = (
                args.get(1).and_then(lit_text),
                args.get(2).and_then(lit_text),
            ) else {
                return;
            };
            let star = [Tok::Star];
            push(
                x,
                Goal::Text(cat(&[&star, &text(&l, ci), &s, &text(&r, ci), &star])),
                f,
                out,
            );
        }
        (Function::Substring, Goal::Text(s)) if k == 0 => {
            let Some(start) = args.get(1).and_then(lit_int) else {
                return;
            };
            let end = match args.get(2) {
                None | Some(ValueIr::Lit(Lit::Null)) => None,
                Some(a) => match lit_int(a) {
                    Some(e) => Some(e),
                    None => return,
                },
            };
            let star = [Tok::Star];
            let shape = match (start >= 0, end) {
                (true, None) => any_run(start).map(|run| cat(&[&run, &s])),
                (true, Some(e)) if e >= 0 => {
                    if e <= start {
                        return;
                    }
                    match (any_run(start), fixed_len(&s, e - start)) {
                        (Some(run), Some(s)) => Some(cat(&[&run, &s, &star])),
                        _ => None,
                    }
                }
                (true, Some(e)) => match (any_run(start), any_run(-e)) {
                    (Some(a), Some(b)) => Some(cat(&[&a, &s, &b])),
                    _ => None,
                },
                (false, None) => fixed_len(&s, -start).map(|s| cat(&[&star, &s])),
                (false, Some(e)) if e < 0 && e > start => {
                    match (fixed_len(&s, e - start), any_run(-e)) {
                        (Some(s), Some(b)) => Some(cat(&[&star, &s, &b])),
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some(shape) = shape {
                push(x, Goal::Text(shape), f, out);
            }
        }
        (Function::Concat, Goal::Text(s)) => {
            let mut pre = String::new();
            let mut suf = String::new();
            for (i, a) in args.iter().enumerate() {
                if i == k {
                    continue;
                }
                let Some(t) = lit_text(a) else { return };
                if i < k {
                    pre.push_str(&t);
                } else {
                    suf.push_str(&t);
                }
            }
            if let Some(rest) = strip(&s, &pre, &suf) {
                push(x, Goal::Text(rest), f, out);
            }
        }
        (Function::String, Goal::Text(s)) => {
            let digits: Option<String> = s
                .iter()
                .map(|t| match t {
                    Tok::Char(c, _) => Some(*c),
                    _ => None,
                })
                .collect();
            if let Some(n) = digits.and_then(|d| d.parse::<i64>().ok()) {
                push(x, Goal::Range(Some(n), Some(n)), f, out);
            }
            push(x, Goal::Text(s), f, out);
        }
        (Function::Number, Goal::Range(lo, hi)) if k == 0 => {
            let base = match args.get(1) {
                None | Some(ValueIr::Lit(Lit::Null)) => 10,
                Some(a) => match lit_int(a).and_then(|b| u32::try_from(b).ok()) {
                    Some(b) => b,
                    None => return,
                },
            };
            for n in pick(lo, hi) {
                if let Some(t) = to_base(n, base) {
                    push(x, Goal::Text(text(&t, false)), f, out);
                }
            }
        }
        _ => {}
    }
}

/// The shortest string every shape accepts (`None` when there is none, or when the
/// search passes [`MAX_STATES`] states). Filler is `x`; a `*` stays empty when it can.
pub(crate) fn intersect(shapes: &[&Shape]) -> Option<String> {
    struct Node {
        pos: Vec<u32>,
        dist: usize,
        parent: usize,
        ch: Option<char>,
        done: bool,
    }
    let k = shapes.len();
    let mut nodes: Vec<Node> = vec![Node {
        pos: vec![0; k],
        dist: 0,
        parent: usize::MAX,
        ch: None,
        done: false,
    }];
    let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
    index.insert(vec![0; k], 0);
    let mut queue: VecDeque<usize> = VecDeque::from([0]);
    let tok = |j: usize, p: u32| shapes[j].get(p as usize).copied();
    while let Some(i) = queue.pop_front() {
        if nodes[i].done {
            continue;
        }
        nodes[i].done = true;
        let pos = nodes[i].pos.clone();
        let dist = nodes[i].dist;
        if pos
            .iter()
            .enumerate()
            .all(|(j, p)| *p as usize == shapes[j].len())
        {
            let mut out = Vec::new();
            let mut at = i;
            while at != 0 {
                out.extend(nodes[at].ch);
                at = nodes[at].parent;
            }
            out.reverse();
            return Some(out.into_iter().collect());
        }
        // The tokens at the current positions (`None`: that shape is at its end).
        let here: Vec<Option<Tok>> = pos.iter().enumerate().map(|(j, p)| tok(j, *p)).collect();
        // Successors: (next positions, the character consumed; `None` skips a `*`).
        let mut next: Vec<(Vec<u32>, Option<char>)> = Vec::new();
        for (j, t) in here.iter().enumerate() {
            if *t == Some(Tok::Star) {
                let mut p = pos.clone();
                p[j] += 1;
                next.push((p, None));
            }
        }
        let mut chars: Vec<char> = Vec::new();
        for t in &here {
            if let Some(Tok::Char(c, _)) = t {
                if !chars.contains(c) {
                    chars.push(*c);
                }
            }
        }
        if !chars.contains(&'x') {
            chars.push('x');
        }
        'chars: for c in chars {
            let mut p = pos.clone();
            for (j, t) in here.iter().enumerate() {
                match t {
                    None => continue 'chars,
                    Some(Tok::Star) => {}
                    Some(t) if char_ok(c, *t) => p[j] += 1,
                    Some(_) => continue 'chars,
                }
            }
            next.push((p, Some(c)));
        }
        for (p, ch) in next {
            let nd = dist + usize::from(ch.is_some());
            let at = match index.get(&p) {
                Some(&n) => {
                    if nodes[n].done || nodes[n].dist <= nd {
                        continue;
                    }
                    nodes[n].dist = nd;
                    nodes[n].parent = i;
                    nodes[n].ch = ch;
                    n
                }
                None => {
                    if nodes.len() >= MAX_STATES {
                        return None;
                    }
                    nodes.push(Node {
                        pos: p.clone(),
                        dist: nd,
                        parent: i,
                        ch,
                        done: false,
                    });
                    index.insert(p, nodes.len() - 1);
                    nodes.len() - 1
                }
            };
            if ch.is_some() {
                queue.push_back(at);
            } else {
                queue.push_front(at);
            }
        }
    }
    None
}

/// The leaf with the fields of `values` replaced by those constants.
pub(crate) fn substitute(leaf: &Leaf, values: &BTreeMap<FieldId, Lit>) -> Leaf {
    let v = |x: &ValueIr| subst_value(x, values);
    match leaf {
        Leaf::Compare {
            op,
            lhs,
            rhs,
            nulls_equal,
        } => Leaf::Compare {
            op: *op,
            lhs: v(lhs),
            rhs: v(rhs),
            nulls_equal: *nulls_equal,
        },
        Leaf::IsNull(x) => Leaf::IsNull(v(x)),
        Leaf::Truthy(x) => Leaf::Truthy(v(x)),
        Leaf::Wildcard {
            value,
            patterns,
            insensitive,
        } => Leaf::Wildcard {
            value: v(value),
            patterns: patterns.clone(),
            insensitive: *insensitive,
        },
        Leaf::Regex { value, patterns } => Leaf::Regex {
            value: v(value),
            patterns: patterns.clone(),
        },
        Leaf::InSet {
            value,
            set,
            insensitive,
        } => Leaf::InSet {
            value: v(value),
            set: set.clone(),
            insensitive: *insensitive,
        },
        // A KQL leaf reads its field directly; nothing to substitute.
        Leaf::Kql { .. } => leaf.clone(),
    }
}

fn subst_value(x: &ValueIr, values: &BTreeMap<FieldId, Lit>) -> ValueIr {
    match x {
        ValueIr::Field(f) => match values.get(f) {
            Some(l) => ValueIr::Lit(l.clone()),
            None => x.clone(),
        },
        ValueIr::Lit(_) => x.clone(),
        ValueIr::Neg(y) => ValueIr::Neg(Box::new(subst_value(y, values))),
        ValueIr::Arith { op, lhs, rhs } => ValueIr::Arith {
            op: *op,
            lhs: Box::new(subst_value(lhs, values)),
            rhs: Box::new(subst_value(rhs, values)),
        },
        ValueIr::Call {
            function,
            insensitive,
            args,
        } => ValueIr::Call {
            function: *function,
            insensitive: *insensitive,
            args: args.iter().map(|a| subst_value(a, values)).collect(),
        },
        ValueIr::Cond(c) => ValueIr::Cond(Box::new(subst_cond(c, values))),
    }
}

fn subst_cond(c: &Cond, values: &BTreeMap<FieldId, Lit>) -> Cond {
    match c {
        Cond::Const(b) => Cond::Const(*b),
        Cond::Not(x) => Cond::Not(Box::new(subst_cond(x, values))),
        Cond::And(xs) => Cond::And(xs.iter().map(|x| subst_cond(x, values)).collect()),
        Cond::Or(xs) => Cond::Or(xs.iter().map(|x| subst_cond(x, values)).collect()),
        Cond::Leaf(l) => Cond::Leaf(substitute(l, values)),
    }
}

/// A JSON scalar as a literal (for [`substitute`]).
pub(crate) fn json_lit(v: &Json) -> Option<Lit> {
    match v {
        Json::String(s) => Some(Lit::Str(s.clone())),
        Json::Bool(b) => Some(Lit::Bool(*b)),
        Json::Number(n) => n
            .as_i64()
            .map(Lit::Int)
            .or_else(|| n.as_f64().map(Lit::Float)),
        _ => None,
    }
}

/// The most splits [`concat_splits`] returns.
const MAX_SPLITS: usize = 8;

/// Field values that make `concat(…)` (fields and literal text) equal the literal text
/// the positive leaf wants (`concat(a, ">", b) in~ ("x>y")` gives `a = x, b = y`): each
/// field piece non-empty, literal pieces matched in place (case-folded when the leaf is
/// insensitive). At most [`MAX_SPLITS`] splits.
pub(crate) fn concat_splits(leaf: &Leaf, choice: Option<usize>) -> Vec<Vec<(FieldId, String)>> {
    let (value, target, ci) = match leaf {
        Leaf::InSet {
            value,
            set,
            insensitive,
        } => match set.get(choice.unwrap_or(0)) {
            Some(Lit::Str(s)) => (value, s.as_str(), *insensitive),
            _ => return Vec::new(),
        },
        Leaf::Compare {
            op: CmpOp::Eq,
            lhs,
            rhs: ValueIr::Lit(Lit::Str(s)),
            ..
        } => (lhs, s.as_str(), false),
        Leaf::Wildcard {
            value,
            patterns,
            insensitive,
        } => match patterns.get(choice.unwrap_or(0)) {
            Some(p) if !p.contains(['*', '?']) => (value, p.as_str(), *insensitive),
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let ValueIr::Call {
        function: Function::Concat,
        args,
        ..
    } = value
    else {
        return Vec::new();
    };
    enum Piece {
        Field(FieldId),
        Text(Vec<char>),
    }
    let mut pieces = Vec::new();
    for a in args {
        match a {
            ValueIr::Field(f) => pieces.push(Piece::Field(*f)),
            a => match lit_text(a) {
                Some(t) => pieces.push(Piece::Text(t.chars().collect())),
                None => return Vec::new(),
            },
        }
    }
    if !pieces.iter().any(|p| matches!(p, Piece::Field(_))) {
        return Vec::new();
    }
    let target: Vec<char> = target.chars().collect();
    let mut out = Vec::new();
    let mut cur: Vec<(FieldId, String)> = Vec::new();
    fn walk(
        pieces: &[Piece],
        t: &[char],
        ci: bool,
        cur: &mut Vec<(FieldId, String)>,
        out: &mut Vec<Vec<(FieldId, String)>>,
    ) {
        if out.len() >= MAX_SPLITS {
            return;
        }
        let Some((first, rest)) = pieces.split_first() else {
            if t.is_empty() {
                out.push(cur.clone());
            }
            return;
        };
        match first {
            Piece::Text(x) => {
                if x.len() <= t.len()
                    && x.iter().zip(t).all(|(a, b)| char_ok(*b, Tok::Char(*a, ci)))
                {
                    walk(rest, &t[x.len()..], ci, cur, out);
                }
            }
            Piece::Field(f) => {
                // The last piece takes the rest; others try each non-empty length.
                let lens: Vec<usize> = if rest.is_empty() {
                    vec![t.len()]
                } else {
                    (1..=t.len()).collect()
                };
                for n in lens {
                    let v: String = t[..n].iter().collect();
                    if let Some((_, old)) = cur.iter().find(|(g, _)| g == f) {
                        if *old != v {
                            continue;
                        }
                    }
                    cur.push((*f, v));
                    walk(rest, &t[n..], ci, cur, out);
                    cur.pop();
                    if out.len() >= MAX_SPLITS {
                        return;
                    }
                }
            }
        }
    }
    walk(&pieces, &target, ci, &mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(shape: &str) -> Shape {
        glob(shape, false)
    }

    #[test]
    fn intersections_are_shortest() {
        assert_eq!(
            intersect(&[&s("*.docx????"), &s("*.exe")]).as_deref(),
            Some(".docx.exe")
        );
        assert_eq!(intersect(&[&s("a*"), &s("*b")]).as_deref(), Some("ab"));
        assert_eq!(intersect(&[&s("a*"), &s("b*")]), None);
        assert_eq!(intersect(&[&s("??")]).as_deref(), Some("xx"));
        let ci = glob("*NET*", true);
        assert_eq!(intersect(&[&ci, &s("*net")]).as_deref(), Some("net"));
    }

    #[test]
    fn numbers_in_bases() {
        assert_eq!(to_base(2048, 8).as_deref(), Some("4000"));
        assert_eq!(to_base(-255, 16).as_deref(), Some("-ff"));
        assert_eq!(to_base(0, 2).as_deref(), Some("0"));
    }

    #[test]
    fn concat_is_stripped() {
        assert_eq!(strip(&s("abc.exe"), "ab", ".exe"), Some(s("c")));
        assert_eq!(strip(&s("*c.exe"), "ab", ".exe"), Some(s("*c")));
        assert_eq!(strip(&s("abc"), "x", ""), None);
    }
}
