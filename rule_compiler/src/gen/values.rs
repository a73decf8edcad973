//! Field values solved from a branch's literals.
//!
//! A branch is a conjunction of literals. Literals that read one field are solved per
//! field: each positive literal proposes candidate values (the literal itself for `==`
//! and `in`, a filled-in pattern for `:`/`like`, a string generated from a regex, an
//! address inside a CIDR block, a string of the right length for `length(f) > n`, the
//! inverse of simple arithmetic, …), and a candidate is kept when the interpreter says it
//! satisfies every positive literal of the field and no negative one. When no single
//! value does, the field gets several values (J.1: a positive literal needs one value,
//! a negative one must hold for every value). A field with only negative literals is
//! left out (a missing field makes every negated leaf true) unless it must exist.
//! Literals that read several fields are solved afterwards by a bounded search over
//! small pools of values per field (the same token for every field, values copied from
//! the other fields, the literals' own strings, absent).
//!
//! Pins are values a field must hold whatever the literals say: the filter's category,
//! and a sequence's or sample's join-key values (or a key that must be absent).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::branches::{describe_literal, field_name, Literal};
use super::invert::{self, Shape, Want};
use crate::ast::ArithOp;
use crate::functions::Function;
use crate::interpreter::{InterpretedRule, InterpreterOptions};
use crate::ir::{CmpOp, Cond, FieldId, FilterIr, Leaf, Lit, QueryIr, RuleIr, ValueIr};
use rule_runtime::event::Event;
use rule_runtime::state::StageHits;
use rule_runtime::value::Value;

/// Field values by field id; a field that is not a key is absent.
pub(crate) type Assignment = BTreeMap<FieldId, Vec<Json>>;

/// An assignment read as an event (the same value rules as [`rule_runtime::event::JsonEvent`]).
struct AsgEvent<'a> {
    fields: &'a [String],
    asg: &'a Assignment,
}

fn push_json<'b>(v: &'b Json, out: &mut Vec<Value<'b>>) {
    match v {
        Json::String(s) => out.push(Value::Str(Cow::Borrowed(s))),
        Json::Bool(b) => out.push(Value::Bool(*b)),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push(Value::Int(i));
            } else if let Some(f) = n.as_f64() {
                out.push(Value::Float(f));
            }
        }
        Json::Array(xs) => xs.iter().for_each(|x| push_json(x, out)),
        Json::Null | Json::Object(_) => {}
    }
}

impl Event for AsgEvent<'_> {
    fn values<'b>(&'b self, path: &str, out: &mut Vec<Value<'b>>) {
        if let Ok(i) = self.fields.binary_search_by(|f| f.as_str().cmp(path)) {
            if let Some(vs) = self.asg.get(&(i as FieldId)) {
                vs.iter().for_each(|v| push_json(v, out));
            }
        }
    }
}

/// The interpreter as an oracle for leaves and filters, with matchers built once per
/// leaf and per filter.
pub(crate) struct Oracle<'r> {
    pub rule: &'r RuleIr,
    leaves: RefCell<HashMap<usize, Option<Rc<InterpretedRule>>>>,
    filters: RefCell<HashMap<usize, Option<Rc<InterpretedRule>>>>,
}

impl<'r> Oracle<'r> {
    pub(crate) fn new(rule: &'r RuleIr) -> Self {
        Oracle {
            rule,
            leaves: RefCell::default(),
            filters: RefCell::default(),
        }
    }

    fn matcher(&self, filter: FilterIr) -> Option<Rc<InterpretedRule>> {
        // Not `..self.rule.clone()`: that would copy the whole query (a sequence with
        // `runs=60` has 60 stages) for every leaf.
        let one = RuleIr {
            id: String::new(),
            name: String::new(),
            stem: String::new(),
            category_field: self.rule.category_field,
            query: QueryIr::Event(filter),
            pipes: Vec::new(),
            fields: self.rule.fields.clone(),
        };
        InterpretedRule::new(&one, Arc::default(), &InterpreterOptions::default())
            .ok()
            .map(Rc::new)
    }

    fn eval(&self, m: &InterpretedRule, asg: &Assignment) -> bool {
        let ev = AsgEvent {
            fields: &self.rule.fields,
            asg,
        };
        let mut hits = StageHits::default();
        m.evaluate(&ev, &mut hits);
        !hits.stages.is_empty()
    }

    /// Whether the leaf is true on `asg` (false when it cannot be interpreted).
    pub(crate) fn leaf_holds(&self, leaf: &Leaf, asg: &Assignment) -> bool {
        let key = leaf as *const Leaf as usize;
        let m = self
            .leaves
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                self.matcher(FilterIr {
                    category: None,
                    condition: Cond::Leaf(leaf.clone()),
                })
            })
            .clone();
        m.is_some_and(|m| self.eval(&m, asg))
    }

    /// Whether the literal (the leaf with its polarity) holds on `asg`.
    pub(crate) fn lit_holds(&self, lit: &Literal<'_>, asg: &Assignment) -> bool {
        self.leaf_holds(lit.leaf, asg) == lit.positive
    }

    /// Whether the literal holds when field `f` has exactly `vals` (and nothing else is
    /// set).
    fn lit_holds_on(&self, lit: &Literal<'_>, f: FieldId, vals: &[Json]) -> bool {
        let mut asg = Assignment::new();
        if !vals.is_empty() {
            asg.insert(f, vals.to_vec());
        }
        self.lit_holds(lit, &asg)
    }

    /// Whether the whole filter (category and condition) matches `asg`.
    pub(crate) fn filter_holds(&self, filter: &FilterIr, asg: &Assignment) -> bool {
        let key = filter as *const FilterIr as usize;
        let m = self
            .filters
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| self.matcher(filter.clone()))
            .clone();
        m.is_some_and(|m| self.eval(&m, asg))
    }
}

/// The fields a value reads, in order, without repeats.
pub(crate) fn value_fields(v: &ValueIr, out: &mut Vec<FieldId>) {
    match v {
        ValueIr::Lit(_) => {}
        ValueIr::Field(f) => {
            if !out.contains(f) {
                out.push(*f);
            }
        }
        ValueIr::Neg(x) => value_fields(x, out),
        ValueIr::Arith { lhs, rhs, .. } => {
            value_fields(lhs, out);
            value_fields(rhs, out);
        }
        ValueIr::Call { args, .. } => args.iter().for_each(|a| value_fields(a, out)),
        ValueIr::Cond(c) => cond_fields(c, out),
    }
}

fn cond_fields(c: &Cond, out: &mut Vec<FieldId>) {
    match c {
        Cond::Const(_) => {}
        Cond::Not(x) => cond_fields(x, out),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| cond_fields(x, out)),
        Cond::Leaf(l) => leaf_fields_into(l, out),
    }
}

fn leaf_fields_into(l: &Leaf, out: &mut Vec<FieldId>) {
    match l {
        Leaf::Compare { lhs, rhs, .. } => {
            value_fields(lhs, out);
            value_fields(rhs, out);
        }
        Leaf::IsNull(v)
        | Leaf::Truthy(v)
        | Leaf::Wildcard { value: v, .. }
        | Leaf::Regex { value: v, .. }
        | Leaf::InSet { value: v, .. } => value_fields(v, out),
        Leaf::Kql { field, .. } => out.push(*field),
    }
}

/// The fields a leaf reads.
pub(crate) fn leaf_fields(l: &Leaf) -> Vec<FieldId> {
    let mut out = Vec::new();
    leaf_fields_into(l, &mut out);
    out
}

/// The string literals a leaf mentions (its own text, patterns, set values).
fn leaf_strings(l: &Leaf, out: &mut Vec<String>) {
    fn value(v: &ValueIr, out: &mut Vec<String>) {
        match v {
            ValueIr::Lit(Lit::Str(s)) => out.push(s.clone()),
            ValueIr::Lit(_) | ValueIr::Field(_) => {}
            ValueIr::Neg(x) => value(x, out),
            ValueIr::Arith { lhs, rhs, .. } => {
                value(lhs, out);
                value(rhs, out);
            }
            ValueIr::Call { args, .. } => args.iter().for_each(|a| value(a, out)),
            ValueIr::Cond(c) => cond(c, out),
        }
    }
    fn cond(c: &Cond, out: &mut Vec<String>) {
        match c {
            Cond::Const(_) => {}
            Cond::Not(x) => cond(x, out),
            Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| cond(x, out)),
            Cond::Leaf(l) => leaf_strings(l, out),
        }
    }
    match l {
        Leaf::Compare { lhs, rhs, .. } => {
            value(lhs, out);
            value(rhs, out);
        }
        Leaf::IsNull(v) | Leaf::Truthy(v) => value(v, out),
        Leaf::Wildcard {
            value: v, patterns, ..
        } => {
            value(v, out);
            out.extend(patterns.iter().take(4).map(|p| instantiate(p, 0)));
        }
        Leaf::Regex { value: v, patterns } => {
            value(v, out);
            out.extend(
                patterns
                    .iter()
                    .take(4)
                    .filter_map(|p| super::regex::generate(p, 0)),
            );
        }
        Leaf::InSet { value: v, set, .. } => {
            value(v, out);
            out.extend(set.iter().take(4).filter_map(|l| match l {
                Lit::Str(s) => Some(s.clone()),
                _ => None,
            }));
        }
        Leaf::Kql { test, .. } => out.extend(
            crate::kql::example_values(test)
                .into_iter()
                .filter_map(|j| j.as_str().map(str::to_string)),
        ),
    }
}

fn leaf_numbers(l: &Leaf, out: &mut Vec<i64>) {
    fn value(v: &ValueIr, out: &mut Vec<i64>) {
        match v {
            ValueIr::Lit(Lit::Int(i)) => out.push(*i),
            ValueIr::Lit(Lit::Float(f)) => out.push(*f as i64),
            ValueIr::Lit(_) | ValueIr::Field(_) | ValueIr::Cond(_) => {}
            ValueIr::Neg(x) => value(x, out),
            ValueIr::Arith { lhs, rhs, .. } => {
                value(lhs, out);
                value(rhs, out);
            }
            ValueIr::Call { args, .. } => args.iter().for_each(|a| value(a, out)),
        }
    }
    match l {
        Leaf::Compare { lhs, rhs, .. } => {
            value(lhs, out);
            value(rhs, out);
        }
        Leaf::IsNull(v)
        | Leaf::Truthy(v)
        | Leaf::Wildcard { value: v, .. }
        | Leaf::Regex { value: v, .. } => value(v, out),
        Leaf::InSet { value: v, set, .. } => {
            value(v, out);
            out.extend(set.iter().take(4).filter_map(|l| match l {
                Lit::Int(i) => Some(*i),
                _ => None,
            }));
        }
        Leaf::Kql { test, .. } => out.extend(
            crate::kql::example_values(test)
                .into_iter()
                .filter_map(|j| j.as_i64()),
        ),
    }
}

pub(crate) fn lit_json(l: &Lit) -> Json {
    match l {
        Lit::Null => Json::Null,
        Lit::Bool(b) => Json::Bool(*b),
        Lit::Int(i) => Json::from(*i),
        Lit::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Lit::Str(s) => Json::from(s.as_str()),
    }
}

/// A concrete string the wildcard pattern matches: each `*` filled with a word that fits
/// its neighbours (`sample` before an extension, `gen` in a path, …) or, in other
/// variants, the empty string or other text; each `?` one character.
pub(crate) fn instantiate(pattern: &str, variant: usize) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut star = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '*' => {
                let prev = if i > 0 {
                    chars.get(i - 1).copied()
                } else {
                    None
                };
                let next = chars.get(i + 1).copied();
                let words: [&str; 4] = match (prev, next) {
                    (_, Some('.')) => ["sample", "", "x1", "gen"],
                    (Some('.'), _) => ["dat", "", "x1", "gen"],
                    _ => ["gen", "", "x1", "sample"],
                };
                // Variants 0-3 fill every star alike; later ones mix.
                let k = if variant < 4 { variant } else { variant + star };
                out.push_str(words[k % 4]);
                star += 1;
            }
            '?' => out.push(['a', 'x', '1', 'b'][variant % 4]),
            c => out.push(c),
        }
    }
    out
}

/// Strings the wildcard pattern matches that borrow from `guide` (a value another literal
/// of the same field wants): `?` takes the guide's character at the same position, the
/// guide followed by what comes after the pattern's first `*`, or what comes before its
/// last `*` followed by the guide. So `?:\windows\*.exe` guided by `c:\gen` gives
/// `c:\windows\sample.exe`, and `*\cmd.exe` guided by `c:\windows\gen` gives
/// `c:\windows\gen\cmd.exe`.
fn instantiate_guided(pattern: &str, guide: &str) -> Vec<String> {
    let g: Vec<char> = guide.chars().collect();
    let fill_q = |p: &str, offset: usize| -> String {
        let mut out = String::new();
        for (i, c) in p.chars().enumerate() {
            match c {
                '?' => out.push(g.get(i + offset).copied().unwrap_or('a')),
                c => out.push(c),
            }
        }
        instantiate(&out, 0)
    };
    let mut out = vec![fill_q(pattern, 0)];
    if let Some(first) = pattern.find('*') {
        let rest = &pattern[first + 1..];
        out.push(format!("{guide}{}", fill_q(rest, g.len())));
    }
    if let Some(last) = pattern.rfind('*') {
        out.push(format!("{}{guide}", fill_q(&pattern[..last], 0)));
    }
    out
}

fn is_ip_field(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    last == "ip" || last.ends_with("_ip") || last == "ips" || last.ends_with("address")
}

/// A plausible value for a field that no literal determines (a join key, a field that
/// must exist), derived from its name so that different fields get different values.
pub(crate) fn plausible(path: &str) -> Json {
    plausible_values(path).swap_remove(0)
}

/// Plausible values for a field, the most plausible first.
pub(crate) fn plausible_values(path: &str) -> Vec<Json> {
    let h = super::rng::hash_str(path);
    let last = path.rsplit('.').next().unwrap_or(path);
    let small = |m: u64| (h % m) as i64;
    if is_ip_field(path) {
        return vec![
            Json::from(format!(
                "10.{}.{}.{}",
                1 + small(200),
                1 + (h >> 8) % 200,
                1 + (h >> 16) % 200
            )),
            Json::from("93.184.216.34"),
            Json::from("192.168.1.20"),
            Json::from("2001:4860:4860::8888"),
            Json::from("127.0.0.1"),
        ];
    }
    if last == "port" || last.ends_with("_port") {
        return vec![Json::from(1024 + small(40000)), Json::from(443)];
    }
    if last == "pid" || last == "ppid" || last.ends_with("_pid") || last == "tid" {
        return vec![Json::from(1000 + small(30000)), Json::from(4)];
    }
    if last.ends_with("entity_id") || last == "id" || last.ends_with("_id") || last == "uid" {
        return vec![Json::from(format!("gen-{last}-{:04x}", h % 0x10000))];
    }
    if matches!(last, "executable" | "path") || last.ends_with("_path") {
        return vec![
            Json::from(format!("C:\\gen\\app{}.exe", small(100))),
            Json::from(format!("/tmp/gen/app{}", small(100))),
        ];
    }
    if last == "name" && path.starts_with("user") {
        return vec![Json::from(format!("gen-user{}", small(100)))];
    }
    if last == "name" && path.starts_with("host") {
        return vec![Json::from(format!("gen-host{}", small(100)))];
    }
    if last == "code" || last == "count" || last == "size" || last == "bytes" {
        return vec![
            Json::from(small(1000)),
            Json::from(format!("{}", small(1000))),
        ];
    }
    vec![Json::from(format!("gen-{last}-{}", small(1000)))]
}

/// Values near `v` but different (for near misses and changed join keys).
pub(crate) fn mutations(v: &Json) -> Vec<Json> {
    match v {
        Json::String(s) => {
            let mut out = vec![Json::from(format!("{s}x")), Json::from(format!("x{s}"))];
            if let Some(last) = s.chars().last() {
                let mut t: String = s.chars().take(s.chars().count() - 1).collect();
                t.push(if last == 'q' { 'z' } else { 'q' });
                out.push(Json::from(t));
            }
            if rule_runtime::cidr::parse_ip(s).is_some() {
                out.insert(0, Json::from("93.184.216.34"));
                out.insert(1, Json::from("192.0.2.77"));
            }
            out.push(Json::from("gen-other"));
            out.push(Json::from(""));
            out
        }
        Json::Number(n) => match n.as_i64() {
            Some(i) => vec![
                Json::from(i.wrapping_add(1)),
                Json::from(i.wrapping_sub(1)),
                Json::from(i.wrapping_add(1000)),
                Json::from(0),
            ],
            None => vec![Json::from(n.as_f64().unwrap_or(0.0) + 1.5), Json::from(0)],
        },
        Json::Bool(b) => vec![Json::Bool(!b)],
        _ => vec![Json::from("gen-other")],
    }
}

/// A changed join-key value (not equal to `v` as a key).
pub(crate) fn changed_key(v: &Json) -> Json {
    match v {
        Json::String(s) => Json::from(format!("{s}-other")),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Json::from(i.wrapping_add(1)),
            None => Json::from(n.as_f64().unwrap_or(0.0) + 1.0),
        },
        Json::Bool(b) => Json::Bool(!b),
        _ => Json::from("gen-other"),
    }
}

fn ip_in_block(block: &str, variant: usize) -> Vec<Json> {
    use std::net::IpAddr;
    let Ok(cidr) = rule_runtime::cidr::Cidr::parse(block) else {
        return Vec::new();
    };
    let net = cidr.network();
    let (host_bits, base): (u32, u128) = match net {
        IpAddr::V4(v4) => (
            32 - u32::from(cidr.prefix_len().min(32)),
            u128::from(u32::from(v4)),
        ),
        IpAddr::V6(v6) => (128 - u32::from(cidr.prefix_len().min(128)), u128::from(v6)),
    };
    let offsets: [u128; 3] = [1 + variant as u128 * 7, 0, 2];
    let mut out = Vec::new();
    for off in offsets {
        let off = if host_bits == 0 {
            0
        } else if host_bits >= 100 {
            off
        } else {
            off % (1u128 << host_bits)
        };
        let addr = base + off;
        let text = match net {
            IpAddr::V4(_) => std::net::Ipv4Addr::from(addr as u32).to_string(),
            IpAddr::V6(_) => std::net::Ipv6Addr::from(addr).to_string(),
        };
        let j = Json::from(text);
        if !out.contains(&j) {
            out.push(j);
        }
    }
    out
}

fn compare_candidates(op: CmpOp, l: &Lit) -> Vec<Json> {
    let base = lit_json(l);
    match (op, l) {
        (CmpOp::Eq, Lit::Str(s)) => {
            let mut v = vec![base];
            if let Ok(i) = s.parse::<i64>() {
                v.push(Json::from(i));
            }
            v
        }
        (CmpOp::Eq, Lit::Int(i)) => vec![base, Json::from(i.to_string())],
        (CmpOp::Eq, _) => vec![base],
        (CmpOp::Gt | CmpOp::Ge, Lit::Int(i)) => {
            let mut v = Vec::new();
            if op == CmpOp::Ge {
                v.push(Json::from(*i));
            }
            v.push(Json::from(i.saturating_add(1)));
            v.push(Json::from(i.saturating_add(10)));
            v
        }
        (CmpOp::Lt | CmpOp::Le, Lit::Int(i)) => {
            let mut v = Vec::new();
            if op == CmpOp::Le {
                v.push(Json::from(*i));
            }
            v.push(Json::from(i.saturating_sub(1)));
            v.push(Json::from(i.saturating_sub(10)));
            v
        }
        (CmpOp::Gt | CmpOp::Ge, Lit::Float(f)) => vec![Json::from(f + 1.0), Json::from(*f)],
        (CmpOp::Lt | CmpOp::Le, Lit::Float(f)) => vec![Json::from(f - 1.0), Json::from(*f)],
        (CmpOp::Gt | CmpOp::Ge, Lit::Str(s)) => {
            vec![
                base.clone(),
                Json::from(format!("{s}z")),
                Json::from(format!("{s}0")),
            ]
        }
        (CmpOp::Lt | CmpOp::Le, Lit::Str(s)) => {
            let mut t: String = s.clone();
            t.pop();
            vec![base, Json::from(t), Json::from("")]
        }
        (_, l) => vec![lit_json(l)],
    }
}

fn filler_string(len: usize) -> String {
    const TEXT: &str = "generatedvaluepadding";
    TEXT.chars().cycle().take(len).collect()
}

/// Inverse of `x op c` (or `c op x`) for integers: the `x` giving `target`.
fn invert_arith(op: ArithOp, c: i64, field_left: bool, target: i64) -> Vec<i64> {
    let mut v = Vec::new();
    match (op, field_left) {
        (ArithOp::Add, _) => v.push(target.wrapping_sub(c)),
        (ArithOp::Sub, true) => v.push(target.wrapping_add(c)),
        (ArithOp::Sub, false) => v.push(c.wrapping_sub(target)),
        (ArithOp::Mul, _) if c != 0 && target % c == 0 => v.push(target / c),
        (ArithOp::Div, true) => v.push(target.wrapping_mul(c)),
        (ArithOp::Div, false) if target != 0 => v.push(c / target),
        (ArithOp::Mod, true) => {
            v.push(target);
            v.push(target.wrapping_add(c));
        }
        _ => {}
    }
    v
}

/// Candidate values of field `f` for a positive literal that reads only `f`, the most
/// plausible first.
fn candidates(oracle: &Oracle<'_>, lit: &Literal<'_>, f: FieldId, variant: usize) -> Vec<Json> {
    let choice = lit.choice.unwrap_or(0);
    let path = field_name(&oracle.rule.fields, f);
    let mut out: Vec<Json> = Vec::new();
    let mut specific = true;
    match lit.leaf {
        Leaf::Compare {
            op,
            lhs: ValueIr::Field(_),
            rhs: ValueIr::Lit(l),
            ..
        } => out = compare_candidates(*op, l),
        Leaf::Compare {
            op,
            lhs:
                ValueIr::Call {
                    function: Function::Length,
                    args,
                    ..
                },
            rhs: ValueIr::Lit(Lit::Int(n)),
            ..
        } if matches!(args.as_slice(), [ValueIr::Field(_)]) => {
            let n = (*n).clamp(0, 10_000) as usize;
            let lens: Vec<usize> = match op {
                CmpOp::Eq => vec![n],
                CmpOp::Gt => vec![n + 1, n + 5],
                CmpOp::Ge => vec![n, n + 1],
                CmpOp::Lt => vec![n.saturating_sub(1), 0],
                CmpOp::Le => vec![n, n.saturating_sub(1)],
            };
            out = lens
                .into_iter()
                .map(|k| Json::from(filler_string(k)))
                .collect();
        }
        Leaf::Compare {
            op,
            lhs: ValueIr::Arith { op: aop, lhs, rhs },
            rhs: ValueIr::Lit(Lit::Int(n)),
            ..
        } => {
            let targets: Vec<i64> = match op {
                CmpOp::Eq | CmpOp::Le | CmpOp::Ge => vec![*n],
                CmpOp::Gt => vec![n.saturating_add(1)],
                CmpOp::Lt => vec![n.saturating_sub(1)],
            };
            let (c, field_left) = match (&**lhs, &**rhs) {
                (ValueIr::Field(_), ValueIr::Lit(Lit::Int(c))) => (Some(*c), true),
                (ValueIr::Lit(Lit::Int(c)), ValueIr::Field(_)) => (Some(*c), false),
                _ => (None, true),
            };
            if let Some(c) = c {
                for t in targets {
                    out.extend(
                        invert_arith(*aop, c, field_left, t)
                            .into_iter()
                            .map(Json::from),
                    );
                }
            }
            specific = !out.is_empty();
        }
        Leaf::Wildcard {
            value: ValueIr::Field(_),
            patterns,
            ..
        } => {
            if let Some(p) = patterns.get(choice) {
                for v in 0..4 {
                    let s = Json::from(instantiate(p, variant + v));
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
            }
        }
        Leaf::Regex {
            value: ValueIr::Field(_),
            patterns,
        } => {
            if let Some(p) = patterns.get(choice) {
                for v in 0..4 {
                    if let Some(s) = super::regex::generate(p, variant + v) {
                        let s = Json::from(s);
                        if !out.contains(&s) {
                            out.push(s);
                        }
                    }
                }
            }
        }
        Leaf::InSet {
            value: ValueIr::Field(_),
            set,
            ..
        } => {
            if let Some(l) = set.get(choice) {
                out.push(lit_json(l));
            }
        }
        Leaf::Truthy(ValueIr::Field(_)) => out.push(Json::Bool(true)),
        Leaf::Kql { test, .. } => {
            for j in crate::kql::example_values(test) {
                if !out.contains(&j) {
                    out.push(j);
                }
            }
        }
        Leaf::Truthy(ValueIr::Call { function, args, .. }) => match (function, args.as_slice()) {
            (Function::StartsWith, [ValueIr::Field(_), ValueIr::Lit(Lit::Str(s))]) => {
                out.push(Json::from(format!("{s}gen")));
                out.push(Json::from(s.as_str()));
            }
            (Function::EndsWith, [ValueIr::Field(_), ValueIr::Lit(Lit::Str(s))]) => {
                out.push(Json::from(format!("gen{s}")));
                out.push(Json::from(s.as_str()));
            }
            (Function::StringContains, [ValueIr::Field(_), ValueIr::Lit(Lit::Str(s))]) => {
                out.push(Json::from(format!("gen {s} gen")));
                out.push(Json::from(s.as_str()));
            }
            (Function::CidrMatch, [ValueIr::Field(_), blocks @ ..]) => {
                if let Some(ValueIr::Lit(Lit::Str(b))) = blocks.get(choice) {
                    out = ip_in_block(b, variant);
                }
                specific = !out.is_empty();
            }
            _ => specific = false,
        },
        Leaf::IsNull(_) => {}
        _ => specific = false,
    }
    if !specific {
        out.extend(generic_pool(lit.leaf, path));
    }
    if !out.is_empty() && variant > 0 && specific {
        let n = out.len();
        out.rotate_left(variant % n);
    }
    out
}

/// Values tried for a leaf of no recognised shape: its literals and variations of them,
/// plausible values, booleans, numbers.
fn generic_pool(leaf: &Leaf, path: &str) -> Vec<Json> {
    let mut strings = Vec::new();
    leaf_strings(leaf, &mut strings);
    let mut numbers = Vec::new();
    leaf_numbers(leaf, &mut numbers);
    let mut out: Vec<Json> = Vec::new();
    for s in strings.iter().take(6) {
        out.push(Json::from(s.as_str()));
        out.push(Json::from(format!("{s}x")));
        out.push(Json::from(format!("x{s}")));
        out.push(Json::from(format!("gen{s}gen")));
        out.push(Json::from(format!("{s}{s}")));
    }
    for n in numbers.iter().take(4) {
        for m in [
            *n,
            n.saturating_add(1),
            n.saturating_sub(1),
            n.saturating_mul(2),
        ] {
            out.push(Json::from(m));
        }
        out.push(Json::from(n.to_string()));
    }
    out.extend(plausible_values(path));
    out.extend([
        Json::Bool(true),
        Json::Bool(false),
        Json::from(""),
        Json::from("gen"),
        Json::from(1),
        Json::from(0),
        Json::from(filler_string(40)),
    ]);
    out
}

/// A pin: a value the field must hold (`Some`), or a field that must be absent (`None`).
pub(crate) type Pin = (FieldId, Option<Json>);

/// What to solve: a filter's branch literals (possibly with one flipped for a near
/// miss), pins, and fields kept as they are.
pub(crate) struct Problem<'p, 'a> {
    pub filter: &'a FilterIr,
    pub lits: &'p [Literal<'a>],
    pub pins: &'p [Pin],
    /// Fields kept exactly as given (not solved again).
    pub fixed: &'p Assignment,
    /// Values fields had before a near-miss change: the solver prefers values near them
    /// to leaving the field out.
    pub hints: &'p Assignment,
    pub variant: usize,
}

const MAX_CANDIDATES: usize = 160;

/// Solves one field. `Ok(None)`: the field is left out.
#[allow(clippy::too_many_arguments)]
fn solve_field(
    oracle: &Oracle<'_>,
    f: FieldId,
    pos: &[&Literal<'_>],
    neg: &[&Literal<'_>],
    include: &[Json],
    absent: bool,
    hint: &[Json],
    variant: usize,
) -> Result<Option<Vec<Json>>, String> {
    let fields = &oracle.rule.fields;
    let path = field_name(fields, f);
    let holds = |l: &Literal<'_>, vals: &[Json]| oracle.lit_holds_on(l, f, vals);
    let clean = |v: &Json| neg.iter().all(|l| holds(l, std::slice::from_ref(v)));
    let all_hold =
        |vals: &[Json]| pos.iter().all(|l| holds(l, vals)) && neg.iter().all(|l| holds(l, vals));
    if absent {
        if !include.is_empty() {
            return Err(format!("pins conflict: `{path}` pinned absent and present"));
        }
        return if all_hold(&[]) {
            Ok(None)
        } else {
            Err(format!("pins conflict: `{path}` must be absent (a null optional key) but its literals need a value"))
        };
    }
    let absent_ok = include.is_empty() && all_hold(&[]);
    if absent_ok && hint.is_empty() {
        return Ok(None);
    }
    // Candidates: pinned values, each positive literal's, values near the hint,
    // plausible values for the field.
    let mut per_lit: Vec<Vec<Json>> = Vec::with_capacity(pos.len());
    let mut cands: Vec<Json> = include.to_vec();
    for l in pos {
        let c = candidates(oracle, l, f, variant);
        cands.extend(c.iter().cloned());
        per_lit.push(c);
    }
    // Two positive literals on one field: patterns filled in from the other's values.
    if pos.len() > 1 {
        let mut guided = Vec::new();
        for (k, l) in pos.iter().enumerate() {
            let Leaf::Wildcard {
                value: ValueIr::Field(_),
                patterns,
                ..
            } = l.leaf
            else {
                continue;
            };
            let Some(p) = patterns.get(l.choice.unwrap_or(0)) else {
                continue;
            };
            for (j, other) in per_lit.iter().enumerate() {
                if j == k {
                    continue;
                }
                for g in other.iter().take(2).filter_map(Json::as_str) {
                    guided.extend(instantiate_guided(p, g).into_iter().map(Json::from));
                }
            }
        }
        // A chain: one value grown through the positive literals in turn, each
        // wildcard filled in around the value so far.
        if let Some(mut v) = per_lit
            .first()
            .and_then(|c| c.first())
            .and_then(Json::as_str)
            .map(String::from)
        {
            let mut ok = true;
            for (k, l) in pos.iter().enumerate().skip(1) {
                let holds_so_far = |x: &str| {
                    let j = [Json::from(x)];
                    pos[..=k].iter().all(|l| holds(l, &j))
                };
                if holds_so_far(&v) {
                    continue;
                }
                let next = match l.leaf {
                    Leaf::Wildcard {
                        value: ValueIr::Field(_),
                        patterns,
                        ..
                    } => patterns
                        .get(l.choice.unwrap_or(0))
                        .map(|p| instantiate_guided(p, &v))
                        .unwrap_or_default()
                        .into_iter()
                        .find(|x| holds_so_far(x)),
                    _ => None,
                };
                match next {
                    Some(x) => v = x,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                guided.insert(0, Json::from(v));
            }
        }
        // Tried first: a value built for both literals is the one wanted.
        guided.append(&mut cands);
        cands = guided;
        cands.splice(0..0, include.iter().cloned());
    }
    for h in hint {
        cands.extend(mutations(h));
    }
    cands.extend(plausible_values(path));
    let mut seen = BTreeSet::new();
    cands.retain(|c| seen.insert(c.to_string()));
    cands.truncate(MAX_CANDIDATES);
    // One value for everything.
    for c in &cands {
        if include.iter().all(|i| i == c)
            && clean(c)
            && pos.iter().all(|l| holds(l, std::slice::from_ref(c)))
            && !hint.contains(c)
        {
            return Ok(Some(vec![c.clone()]));
        }
    }
    if absent_ok {
        return Ok(None);
    }
    // Values worked backwards from the literals through their functions (nested calls,
    // shapes of several literals intersected), tried when the direct candidates fail.
    let inverter = Inverter::new(f, pos, neg, variant);
    let one = inverter.joint(&mut |c| {
        include.iter().all(|i| i == c)
            && !hint.contains(c)
            && clean(c)
            && pos.iter().all(|l| holds(l, std::slice::from_ref(c)))
    });
    if let Some(c) = one {
        return Ok(Some(vec![c]));
    }
    // Several values: each positive literal gets its own.
    let mut vals: Vec<Json> = Vec::new();
    for i in include {
        if !clean(i) {
            return Err(format!(
                "pinned value hits an exclusion: `{path}` = {i} makes a negated literal true"
            ));
        }
        if !vals.contains(i) {
            vals.push(i.clone());
        }
    }
    for (k, l) in pos.iter().enumerate() {
        if holds(l, &vals) {
            continue;
        }
        let ok = |c: &Json| holds(l, std::slice::from_ref(c)) && clean(c);
        let found = per_lit[k]
            .iter()
            .chain(cands.iter())
            .find(|c| ok(c))
            .cloned()
            .or_else(|| inverter.single(k, &mut |c| ok(c)));
        match found {
            Some(c) => vals.push(c),
            None => {
                let why = if neg.is_empty() {
                    "no candidate value satisfies it".to_string()
                } else {
                    format!("no candidate value satisfies it while avoiding {} negated literal(s) on the field", neg.len())
                };
                return Err(format!(
                    "no value for a literal: {} ({why})",
                    describe_literal(fields, l.leaf, l.positive, l.choice)
                ));
            }
        }
    }
    if vals.is_empty() {
        // Only negated literals, and the field must exist (`f != null`).
        let ok = |c: &Json| clean(c) && all_hold(std::slice::from_ref(c));
        match cands
            .iter()
            .find(|c| ok(c))
            .cloned()
            .or_else(|| inverter.joint(&mut |c| ok(c)))
        {
            Some(c) => vals.push(c),
            None => {
                return Err(format!(
                    "no value for a literal: `{path}` must exist but every candidate value hits a negated literal"
                ))
            }
        }
    }
    if all_hold(&vals) {
        Ok(Some(vals))
    } else {
        Err(format!(
            "no value for a literal: the values of `{path}` together break a literal"
        ))
    }
}

/// The most combinations of the literals' shapes intersected per field.
const MAX_COMBOS: usize = 16;

/// Candidates from [`invert`] for one field, produced lazily: values meeting every
/// positive literal at once (one shape per literal intersected, first with the shapes
/// the negated literals ask for), and per positive literal its own.
struct Inverter {
    /// Per positive literal, its wants.
    wants: Vec<Vec<Want>>,
    /// Shapes the negated literals ask for (a negated `IsNull`).
    hints: Vec<Shape>,
    variant: usize,
}

impl Inverter {
    fn new(f: FieldId, pos: &[&Literal<'_>], neg: &[&Literal<'_>], variant: usize) -> Self {
        let wants = pos
            .iter()
            .map(|l| invert::wants(l.leaf, true, l.choice, f, variant))
            .collect();
        let hints = neg
            .iter()
            .flat_map(|l| invert::wants(l.leaf, false, l.choice, f, variant))
            .filter_map(|w| match w {
                Want::Shape(s) => Some(s),
                Want::Value(_) => None,
            })
            .collect();
        Inverter {
            wants,
            hints,
            variant,
        }
    }

    /// Strings meeting every shape of `combo`, with the hints and then without.
    fn meet(
        &self,
        combo: &[&Shape],
        seen: &mut Vec<Json>,
        accept: &mut dyn FnMut(&Json) -> bool,
    ) -> Option<Json> {
        let mut tries: Vec<Vec<&Shape>> = Vec::new();
        if !self.hints.is_empty() {
            let mut with = combo.to_vec();
            with.extend(self.hints.iter());
            tries.push(with);
        }
        if !combo.is_empty() {
            tries.push(combo.to_vec());
        }
        for t in tries {
            if let Some(s) = invert::intersect(&t) {
                let v = Json::from(s);
                if !seen.contains(&v) {
                    seen.push(v.clone());
                    if accept(&v) {
                        return Some(v);
                    }
                }
            }
        }
        None
    }

    /// The first value meeting every positive literal at once that `accept` takes.
    fn joint(&self, accept: &mut dyn FnMut(&Json) -> bool) -> Option<Json> {
        let lists: Vec<Vec<&Shape>> = self
            .wants
            .iter()
            .map(|w| {
                w.iter()
                    .filter_map(|w| match w {
                        Want::Shape(s) => Some(s),
                        Want::Value(_) => None,
                    })
                    .collect::<Vec<_>>()
            })
            .filter(|l| !l.is_empty())
            .collect();
        let total = lists
            .iter()
            .try_fold(1usize, |acc, l| acc.checked_mul(l.len()))
            .unwrap_or(usize::MAX);
        let mut seen = Vec::new();
        for i in 0..total.min(MAX_COMBOS) {
            // The mixed-radix digits of the combination, rotated by the variant.
            let mut r = (i + self.variant) % total;
            let combo: Vec<&Shape> = lists
                .iter()
                .map(|l| {
                    let d = r % l.len();
                    r /= l.len();
                    l[d]
                })
                .collect();
            if let Some(v) = self.meet(&combo, &mut seen, accept) {
                return Some(v);
            }
        }
        self.wants
            .iter()
            .flatten()
            .filter_map(|w| match w {
                Want::Value(v) => Some(v),
                Want::Shape(_) => None,
            })
            .find(|v| accept(v))
            .cloned()
    }

    /// The first value for positive literal `k` alone that `accept` takes.
    fn single(&self, k: usize, accept: &mut dyn FnMut(&Json) -> bool) -> Option<Json> {
        let mut seen = Vec::new();
        for w in &self.wants[k] {
            let found = match w {
                Want::Shape(s) => self.meet(&[s], &mut seen, accept),
                Want::Value(v) => accept(v).then(|| v.clone()),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

const MULTI_BUDGET: usize = 600;
const POOL: usize = 14;

/// Literals over several fields: a bounded search over value pools for the fields no
/// single-field literal or pin determines.
#[allow(clippy::too_many_arguments)]
fn solve_multi(
    oracle: &Oracle<'_>,
    asg: &mut Assignment,
    lits: &[Literal<'_>],
    multi: &[&Literal<'_>],
    determined: &BTreeSet<FieldId>,
    alternatives: &BTreeMap<FieldId, Vec<Vec<Json>>>,
    locked: &BTreeSet<FieldId>,
    variant: usize,
) -> Result<(), String> {
    let fields_all = &oracle.rule.fields;
    if multi.iter().all(|l| oracle.lit_holds(l, asg)) {
        return Ok(());
    }
    let mut involved: Vec<FieldId> = Vec::new();
    for l in multi {
        for f in leaf_fields(l.leaf) {
            if !involved.contains(&f) {
                involved.push(f);
            }
        }
    }
    // Free fields, and determined fields that have other solutions to offer.
    let free: Vec<FieldId> = involved
        .iter()
        .copied()
        .filter(|f| !determined.contains(f) || alternatives.get(f).is_some_and(|a| a.len() > 1))
        .collect();
    let describe_first_failing = |asg: &Assignment| {
        multi
            .iter()
            .find(|l| !oracle.lit_holds(l, asg))
            .map(|l| describe_literal(fields_all, l.leaf, l.positive, l.choice))
            .unwrap_or_default()
    };
    let seeded = |asg: &Assignment| try_seeds(oracle, asg, lits, multi, locked, variant);
    if free.is_empty() {
        if let Some(c) = seeded(asg) {
            *asg = c;
            return Ok(());
        }
        return Err(format!(
            "multi-field literal not solved: {} (its fields are fixed by other literals or pins)",
            describe_first_failing(asg)
        ));
    }
    let mut strings = Vec::new();
    for l in multi {
        leaf_strings(l.leaf, &mut strings);
    }
    strings.truncate(6);
    // Values of the determined fields, to copy or derive from.
    let mut known: Vec<String> = Vec::new();
    for f in &involved {
        if let Some(vs) = asg.get(f) {
            for v in vs.iter().take(2) {
                if let Some(s) = v.as_str() {
                    known.push(s.to_string());
                }
            }
        }
    }
    let pools: Vec<Vec<Option<Vec<Json>>>> = free
        .iter()
        .map(|f| {
            let path = field_name(fields_all, *f);
            if determined.contains(f) {
                return alternatives
                    .get(f)
                    .map(|a| a.iter().cloned().map(Some).collect())
                    .unwrap_or_else(|| vec![asg.get(f).cloned()]);
            }
            let mut pool: Vec<Option<Vec<Json>>> = vec![asg.get(f).cloned()];
            pool.push(Some(vec![Json::from("gen")]));
            for k in &known {
                pool.push(Some(vec![Json::from(k.as_str())]));
                if path.ends_with("path") || path.ends_with("executable") {
                    pool.push(Some(vec![Json::from(format!("C:\\gen\\{k}"))]));
                }
                pool.push(Some(vec![Json::from(format!("{k}x"))]));
            }
            pool.push(Some(vec![plausible(path)]));
            pool.push(None);
            for s in &strings {
                pool.push(Some(vec![Json::from(s.as_str())]));
                pool.push(Some(vec![Json::from(format!("gen{s}"))]));
            }
            pool.push(Some(vec![Json::from("gen.")]));
            let mut seen = BTreeSet::new();
            pool.retain(|p| seen.insert(format!("{p:?}")));
            pool.truncate(POOL);
            pool
        })
        .collect();
    let touching: Vec<&Literal<'_>> = lits
        .iter()
        .filter(|l| leaf_fields(l.leaf).iter().any(|f| free.contains(f)))
        .collect();
    let mut tried = 0usize;
    let max_sum: usize = pools.iter().map(|p| p.len() - 1).sum();
    let mut idx = vec![0usize; free.len()];
    for total in 0..=max_sum {
        let mut found: Option<Assignment> = None;
        compositions(&pools, total, 0, &mut idx, &mut |idx| {
            if tried >= MULTI_BUDGET {
                return true;
            }
            tried += 1;
            let mut cand = asg.clone();
            for (k, f) in free.iter().enumerate() {
                match &pools[k][idx[k]] {
                    Some(v) => {
                        cand.insert(*f, v.clone());
                    }
                    None => {
                        cand.remove(f);
                    }
                }
            }
            if touching.iter().all(|l| oracle.lit_holds(l, &cand)) {
                found = Some(cand);
                return true;
            }
            false
        });
        if let Some(c) = found {
            *asg = c;
            return Ok(());
        }
        if tried >= MULTI_BUDGET {
            break;
        }
    }
    if let Some(c) = seeded(asg) {
        *asg = c;
        return Ok(());
    }
    Err(format!(
        "multi-field literal not solved: {}",
        describe_first_failing(asg)
    ))
}

/// The most joint candidates [`try_seeds`] tries.
const MAX_SEEDS: usize = 48;

/// Joint values for the fields of the multi-field literals, worked backwards
/// ([`invert`]): a `concat` literal split on its literal pieces, and each field of a
/// literal inverted with the literal's other fields replaced by a constant (their
/// current value, `0`, `1`, `"gen"`). The first that makes every literal hold, without
/// changing a locked field (fixed, pinned or absent), is returned.
fn try_seeds(
    oracle: &Oracle<'_>,
    asg: &Assignment,
    lits: &[Literal<'_>],
    multi: &[&Literal<'_>],
    locked: &BTreeSet<FieldId>,
    variant: usize,
) -> Option<Assignment> {
    let mut seeds: Vec<Vec<(FieldId, Json)>> = Vec::new();
    for l in multi.iter().filter(|l| l.positive) {
        for split in invert::concat_splits(l.leaf, l.choice) {
            seeds.push(split.into_iter().map(|(f, v)| (f, Json::from(v))).collect());
        }
    }
    for l in multi {
        let fs = leaf_fields(l.leaf);
        for &g in &fs {
            let others: Vec<FieldId> = fs.iter().copied().filter(|o| *o != g).collect();
            // The constants for the other fields: their current values, then fixed ones.
            let mut bases: Vec<BTreeMap<FieldId, Lit>> = Vec::new();
            let current: Option<BTreeMap<FieldId, Lit>> = others
                .iter()
                .map(|o| {
                    asg.get(o)
                        .and_then(|vs| vs.first())
                        .and_then(invert::json_lit)
                        .map(|v| (*o, v))
                })
                .collect();
            bases.extend(current);
            for c in [Lit::Int(0), Lit::Int(1), Lit::Str("gen".into())] {
                bases.push(others.iter().map(|o| (*o, c.clone())).collect());
            }
            for base in bases {
                let leaf = invert::substitute(l.leaf, &base);
                for w in invert::wants(&leaf, l.positive, l.choice, g, variant) {
                    let v = match w {
                        Want::Value(v) => v,
                        Want::Shape(s) => match invert::intersect(&[&s]) {
                            Some(t) => Json::from(t),
                            None => continue,
                        },
                    };
                    let mut seed = vec![(g, v)];
                    seed.extend(base.iter().map(|(o, c)| (*o, lit_json(c))));
                    seeds.push(seed);
                }
                if seeds.len() >= MAX_SEEDS {
                    break;
                }
            }
        }
    }
    seeds.truncate(MAX_SEEDS);
    for seed in seeds {
        let mut cand = asg.clone();
        let mut ok = true;
        for (f, v) in seed {
            if cand.get(&f).is_some_and(|vs| vs.len() == 1 && vs[0] == v) {
                continue;
            }
            if locked.contains(&f) {
                ok = false;
                break;
            }
            cand.insert(f, vec![v]);
        }
        if ok && lits.iter().all(|l| oracle.lit_holds(l, &cand)) {
            return Some(cand);
        }
    }
    None
}

/// Calls `f` with every index vector whose sum is `total` (bounded by the pool sizes);
/// stops when `f` returns true.
fn compositions(
    pools: &[Vec<Option<Vec<Json>>>],
    total: usize,
    k: usize,
    idx: &mut Vec<usize>,
    f: &mut dyn FnMut(&[usize]) -> bool,
) -> bool {
    if k == pools.len() {
        return total == 0 && f(idx);
    }
    let max = (pools[k].len() - 1).min(total);
    for i in 0..=max {
        idx[k] = i;
        if compositions(pools, total - i, k + 1, idx, f) {
            return true;
        }
    }
    false
}

/// Solves a problem: an assignment on which every literal holds (not checked against
/// the whole filter here; the caller does that).
pub(crate) fn solve(oracle: &Oracle<'_>, p: &Problem<'_, '_>) -> Result<Assignment, String> {
    let fields = &oracle.rule.fields;
    let mut per_field: BTreeMap<FieldId, (Vec<&Literal<'_>>, Vec<&Literal<'_>>)> = BTreeMap::new();
    let mut multi: Vec<&Literal<'_>> = Vec::new();
    let empty = Assignment::new();
    for lit in p.lits {
        let fs = leaf_fields(lit.leaf);
        match fs.len() {
            0 => {
                if !oracle.lit_holds(lit, &empty) {
                    return Err(format!(
                        "constant literal is false: {}",
                        describe_literal(fields, lit.leaf, lit.positive, lit.choice)
                    ));
                }
            }
            1 => {
                let e = per_field.entry(fs[0]).or_default();
                if lit.positive {
                    e.0.push(lit);
                } else {
                    e.1.push(lit);
                }
            }
            _ => multi.push(lit),
        }
    }
    let mut include: BTreeMap<FieldId, Vec<Json>> = BTreeMap::new();
    let mut absent: BTreeSet<FieldId> = BTreeSet::new();
    if let Some(c) = &p.filter.category {
        include
            .entry(oracle.rule.category_field)
            .or_default()
            .push(Json::from(c.as_str()));
    }
    for (f, v) in p.pins {
        match v {
            Some(v) => {
                let e = include.entry(*f).or_default();
                if !e.contains(v) {
                    e.push(v.clone());
                }
            }
            None => {
                absent.insert(*f);
            }
        }
    }
    let mut to_solve: BTreeSet<FieldId> = per_field.keys().copied().collect();
    to_solve.extend(include.keys().copied());
    to_solve.extend(absent.iter().copied());
    to_solve.extend(p.hints.keys().copied());
    let mut asg = p.fixed.clone();
    let mut determined: BTreeSet<FieldId> = p.fixed.keys().copied().collect();
    let no_lits: (Vec<&Literal<'_>>, Vec<&Literal<'_>>) = (Vec::new(), Vec::new());
    for f in to_solve {
        if p.fixed.contains_key(&f) {
            continue;
        }
        let (pos, neg) = per_field.get(&f).unwrap_or(&no_lits);
        let inc = include.get(&f).map_or(&[][..], Vec::as_slice);
        let hint = p.hints.get(&f).map_or(&[][..], Vec::as_slice);
        let solved = solve_field(
            oracle,
            f,
            pos,
            neg,
            inc,
            absent.contains(&f),
            hint,
            p.variant,
        )?;
        if !pos.is_empty() || !inc.is_empty() || absent.contains(&f) {
            determined.insert(f);
        }
        match solved {
            Some(v) => {
                asg.insert(f, v);
            }
            None => {
                asg.remove(&f);
            }
        }
    }
    if !multi.is_empty() && !multi.iter().all(|l| oracle.lit_holds(l, &asg)) {
        // Other solutions of the fields the multi-field literals read, for the search.
        let mut alternatives: BTreeMap<FieldId, Vec<Vec<Json>>> = BTreeMap::new();
        for l in &multi {
            for f in leaf_fields(l.leaf) {
                if alternatives.contains_key(&f)
                    || p.fixed.contains_key(&f)
                    || include.contains_key(&f)
                    || absent.contains(&f)
                    || !determined.contains(&f)
                {
                    continue;
                }
                let (pos, neg) = per_field.get(&f).unwrap_or(&no_lits);
                let mut alts: Vec<Vec<Json>> = asg.get(&f).cloned().into_iter().collect();
                for v in 1..6 {
                    if let Ok(Some(vals)) =
                        solve_field(oracle, f, pos, neg, &[], false, &[], p.variant + v)
                    {
                        if !alts.contains(&vals) {
                            alts.push(vals);
                        }
                    }
                }
                alternatives.insert(f, alts);
            }
        }
        let mut locked: BTreeSet<FieldId> = p.fixed.keys().copied().collect();
        locked.extend(include.keys().copied());
        locked.extend(absent.iter().copied());
        solve_multi(
            oracle,
            &mut asg,
            p.lits,
            &multi,
            &determined,
            &alternatives,
            &locked,
            p.variant,
        )?;
    }
    Ok(asg)
}

/// Writes an assignment as a JSON event: nested objects by path (a dotted key where a
/// nested object is impossible), one value as a scalar, several as an array.
pub(crate) fn to_json(fields: &[String], asg: &Assignment) -> Map<String, Json> {
    let mut out = Map::new();
    for (f, vs) in asg {
        let v = if vs.len() == 1 {
            vs[0].clone()
        } else {
            Json::Array(vs.clone())
        };
        let path = field_name(fields, *f);
        if let Err(v) = insert_nested(&mut out, path, v) {
            out.insert(path.to_string(), v);
        }
    }
    out
}

/// Inserts `v` at a nested path; where a nested object is impossible (a scalar is in the
/// way), under the dotted rest of the path at that level (the event reader merges dotted
/// keys). Gives `v` back if even that key is taken.
fn insert_nested(map: &mut Map<String, Json>, path: &str, v: Json) -> Result<(), Json> {
    match path.split_once('.') {
        None => {
            if map.contains_key(path) {
                return Err(v);
            }
            map.insert(path.to_string(), v);
            Ok(())
        }
        Some((head, rest)) => match map.get_mut(head) {
            Some(Json::Object(inner)) => insert_nested(inner, rest, v),
            Some(_) => {
                if map.contains_key(path) {
                    return Err(v);
                }
                map.insert(path.to_string(), v);
                Ok(())
            }
            None => {
                let mut inner = Map::new();
                let r = insert_nested(&mut inner, rest, v);
                map.insert(head.to_string(), Json::Object(inner));
                r
            }
        },
    }
}

/// Swaps the case of every letter (`cmd.exe` → `CMD.EXE`), one code point for one.
pub(crate) fn swap_case(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            let mut low = c.to_lowercase();
            match (
                c.is_lowercase(),
                up.next(),
                up.next(),
                low.next(),
                low.next(),
            ) {
                (true, Some(u), None, _, _) => u,
                (false, _, _, Some(l), None) if c.is_uppercase() => l,
                _ => c,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_filled_plausibly() {
        assert_eq!(instantiate("*\\cmd.exe", 0), "gen\\cmd.exe");
        assert_eq!(instantiate("c:\\users\\*.exe", 0), "c:\\users\\sample.exe");
        assert_eq!(instantiate("a?c*", 1), "axc");
    }

    #[test]
    fn guided_patterns_meet_the_guide() {
        let g = instantiate_guided("?:\\windows\\*.exe", "c:\\gen");
        assert!(g.contains(&"c:\\windows\\sample.exe".to_string()), "{g:?}");
        let g = instantiate_guided("*\\cmd.exe", "c:\\windows\\gen");
        assert!(
            g.contains(&"c:\\windows\\gen\\cmd.exe".to_string()),
            "{g:?}"
        );
    }

    #[test]
    fn nested_json_with_conflicts() {
        let fields = vec!["a.b".to_string(), "a.b.c".to_string(), "x".to_string()];
        let mut asg = Assignment::new();
        asg.insert(0, vec![Json::from(1)]);
        asg.insert(1, vec![Json::from(2), Json::from(3)]);
        asg.insert(2, vec![Json::from("y")]);
        let j = Json::Object(to_json(&fields, &asg));
        assert_eq!(j.to_string(), r#"{"a":{"b":1,"b.c":[2,3]},"x":"y"}"#);
    }

    #[test]
    fn swap_case_flips_letters() {
        assert_eq!(swap_case("Cmd.exe ÄB"), "cMD.EXE äb");
    }

    #[test]
    fn cidr_hosts_are_inside() {
        let v = ip_in_block("10.0.0.0/8", 0);
        assert_eq!(v[0], Json::from("10.0.0.1"));
        assert_eq!(ip_in_block("::1", 0)[0], Json::from("::1"));
        assert_eq!(ip_in_block("fe80::/10", 0)[0], Json::from("fe80::1"));
    }
}
