//! What the build script and the tests share: a small deterministic PRNG, the field and
//! value vocabulary of the random rules and events, the candidate values a rule's own
//! literals suggest, and the **planter**, which walks a rule's IR to build events that
//! make the rule alert (checked with the reference interpreter).
//!
//! The build script includes this file with `#[path]` (it drops random rules the planter
//! cannot satisfy); the library exports it for the tests. It depends only on `std`,
//! `serde_json`, `rule_compiler` and `rule_runtime`.

use rule_compiler::interpreter::{InterpretedRule, InterpreterOptions};
use rule_compiler::ir::{
    CmpOp, Cond, FilterIr, Leaf, Lit, QueryIr, RuleIr, StageIr, StageKind, ValueIr,
};
use rule_runtime::alert::RuleInfo;
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::event::JsonEvent;
use rule_runtime::state::{SetHits, StageHits};
use rule_runtime::time::TimeFields;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The timestamp field of the differential streams.
pub const TIMESTAMP_FIELD: &str = "@timestamp";
/// The tiebreaker field of the differential streams.
pub const TIEBREAKER_FIELD: &str = "event.sequence";
/// Each generated event's identity (its arrival number); no rule reads it.
pub const ID_FIELD: &str = "eqlc_test_id";
/// The category field.
pub const CATEGORY_FIELD: &str = "event.category";

/// The time fields of the differential streams.
pub fn time_fields() -> TimeFields {
    TimeFields::new(TIMESTAMP_FIELD, Some(TIEBREAKER_FIELD.to_string()))
}

/// The generator's deterministic PRNG (SplitMix64), shared with the test data here.
pub use rule_compiler::gen::rng::Rng;

/// The field vocabulary of the random rules and events, with typical values (strings,
/// numbers, numbers as strings, non-ASCII, case variants, IPs). Arrays come from picking
/// several values.
pub fn vocabulary() -> Vec<(&'static str, Vec<Json>)> {
    fn s(xs: &[&str]) -> Vec<Json> {
        xs.iter().map(|x| Json::from(*x)).collect()
    }
    let mut v = vec![
        (
            "process.name",
            s(&[
                "cmd.exe",
                "CMD.EXE",
                "powershell.exe",
                "rundll32.exe",
                "ärzte.exe",
                "ÄRZTE.EXE",
                "σίγμα",
                "ΣΊΓΜΑ",
                "svchost.exe",
                "",
            ]),
        ),
        (
            "process.parent.name",
            s(&["explorer.exe", "cmd.exe", "WINWORD.EXE", "ärzte"]),
        ),
        (
            "process.args",
            s(&["-enc", "-ENC", "whoami", "/c", "C:\\Temp\\a.ps1", "ΣΊΓΜΑ"]),
        ),
        (
            "user.name",
            s(&["root", "Admin", "admin", "bob", "ÄRZTE", "ärzte"]),
        ),
        ("user.domain", s(&["corp", "CORP"])),
        ("process.title", s(&["x", "title"])),
        ("host.id", s(&["h1", "h2", "h3"])),
        (
            "file.path",
            s(&[
                "C:\\Windows\\System32\\cmd.exe",
                "/tmp/x.sh",
                "/etc/passwd",
                "C:\\Users\\bob\\ÄRZTE.doc",
            ]),
        ),
        (
            "source.ip",
            s(&[
                "10.0.0.1",
                "192.168.1.5",
                "::1",
                "10.1.2.3",
                "fe80::1",
                "nope",
            ]),
        ),
    ];
    v.push((
        "event.code",
        vec![
            Json::from(7),
            Json::from("7"),
            Json::from(4624),
            Json::from("4624"),
            Json::from(1),
            Json::from(7.0),
            Json::from("x7"),
        ],
    ));
    v.push((
        "process.pid",
        vec![
            Json::from(4),
            Json::from(100),
            Json::from(1234),
            Json::from("100"),
            Json::from(-1),
            Json::from(7.5),
        ],
    ));
    v.push((
        "destination.port",
        vec![
            Json::from(22),
            Json::from(443),
            Json::from("443"),
            Json::from(8080),
        ],
    ));
    v.push((
        "event.created",
        vec![
            Json::from(1_700_000_000_000i64),
            Json::from("2023-11-14T22:13:20.000Z"),
            Json::from("2023-11-14T22:13:20.500Z"),
            Json::from(1_699_999_999_999i64),
            Json::from("1700000001000"),
        ],
    ));
    v.push((
        "package.version",
        s(&["1.2.0", "1.10.1", "2.0.0-beta", "1.9.9", "2.0.0", "bad"]),
    ));
    v.push((CATEGORY_FIELD, s(&["process", "file", "network"])));
    v
}

/// The field types of the differential rule set (the generated code and the
/// interpreter both get them): `event.created` is a date, `package.version` a version,
/// `source.ip` an IP address.
pub fn field_types() -> BTreeMap<String, rule_compiler::schema::FieldType> {
    use rule_compiler::schema::FieldType;
    [
        ("event.created", FieldType::Date),
        ("package.version", FieldType::Version),
        ("source.ip", FieldType::Ip),
    ]
    .into_iter()
    .map(|(f, t)| (f.to_string(), t))
    .collect()
}

/// The interpreter options of the differential tests (with [`field_types`]).
pub fn interpreter_options() -> InterpreterOptions {
    InterpreterOptions {
        field_types: field_types(),
        ..InterpreterOptions::default()
    }
}

/// Generic values for a field neither the vocabulary nor a rule's literals cover (for
/// example a join key such as `process.entity_id`).
fn generic_values() -> Vec<Json> {
    vec![
        Json::from("a1"),
        Json::from("a2"),
        Json::from("{a7-attack}"),
        Json::from(1),
        Json::from(2),
    ]
}

/// Upper- and lower-case variants of a string (the string itself first).
pub fn case_variants(s: &str) -> Vec<String> {
    let mut out = vec![s.to_string(), s.to_uppercase(), s.to_lowercase()];
    let mut chars = s.chars();
    if let Some(first) = chars.next() {
        out.push(first.to_uppercase().chain(chars).collect());
    }
    out.dedup();
    out
}

/// A concrete string a wildcard pattern (`*` any run, `?` one character) matches.
pub fn instantiate(pattern: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(rng.pick::<&str>(&["", "", "x", "Ä", "ab"])),
            '?' => out.push(*rng.pick(&['a', 'Σ', '1'])),
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                } else {
                    out.push('\\');
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn lit_json(l: &Lit) -> Json {
    match l {
        Lit::Null => Json::Null,
        Lit::Bool(b) => Json::Bool(*b),
        Lit::Int(i) => Json::from(*i),
        Lit::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Lit::Str(s) => Json::from(s.as_str()),
    }
}

/// The field ids a value expression mentions.
fn value_fields(v: &ValueIr, out: &mut BTreeSet<u32>) {
    match v {
        ValueIr::Lit(_) => {}
        ValueIr::Field(f) => {
            out.insert(*f);
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

fn cond_fields(c: &Cond, out: &mut BTreeSet<u32>) {
    match c {
        Cond::Const(_) => {}
        Cond::Not(x) => cond_fields(x, out),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| cond_fields(x, out)),
        Cond::Leaf(l) => leaf_fields(l, out),
    }
}

fn leaf_fields(l: &Leaf, out: &mut BTreeSet<u32>) {
    match l {
        Leaf::Compare { lhs, rhs, .. } => {
            value_fields(lhs, out);
            value_fields(rhs, out);
        }
        Leaf::IsNull(v) | Leaf::Truthy(v) => value_fields(v, out),
        Leaf::Wildcard { value, .. } | Leaf::Regex { value, .. } | Leaf::InSet { value, .. } => {
            value_fields(value, out)
        }
        Leaf::Kql { field, .. } => {
            out.insert(*field);
        }
    }
}

/// The literals of a value expression (strings and numbers).
fn value_lits(v: &ValueIr, out: &mut Vec<Json>) {
    match v {
        ValueIr::Lit(l) => {
            if !matches!(l, Lit::Null) {
                out.push(lit_json(l));
            }
        }
        ValueIr::Field(_) => {}
        ValueIr::Neg(x) => value_lits(x, out),
        ValueIr::Arith { lhs, rhs, .. } => {
            value_lits(lhs, out);
            value_lits(rhs, out);
        }
        ValueIr::Call { args, .. } => args.iter().for_each(|a| value_lits(a, out)),
        ValueIr::Cond(c) => cond_leaves(c, &mut |l| leaf_lits(l, out)),
    }
}

fn leaf_lits(l: &Leaf, out: &mut Vec<Json>) {
    match l {
        Leaf::Compare { lhs, rhs, .. } => {
            value_lits(lhs, out);
            value_lits(rhs, out);
        }
        Leaf::IsNull(v) | Leaf::Truthy(v) | Leaf::Regex { value: v, .. } => value_lits(v, out),
        Leaf::Wildcard {
            value, patterns, ..
        } => {
            value_lits(value, out);
            let mut rng = Rng::new(patterns.len() as u64);
            for p in patterns {
                out.push(Json::from(instantiate(p, &mut rng)));
            }
        }
        Leaf::InSet { value, set, .. } => {
            value_lits(value, out);
            out.extend(set.iter().map(lit_json));
        }
        Leaf::Kql { test, .. } => out.extend(rule_compiler::kql::example_values(test)),
    }
}

fn cond_leaves<'a>(c: &'a Cond, f: &mut dyn FnMut(&'a Leaf)) {
    match c {
        Cond::Const(_) => {}
        Cond::Not(x) => cond_leaves(x, f),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| cond_leaves(x, f)),
        Cond::Leaf(l) => f(l),
    }
}

/// Variants of a literal as a field value: itself, numbers as strings and back, ±1,
/// case variants of strings.
fn variants(v: &Json) -> Vec<Json> {
    let mut out = vec![v.clone()];
    match v {
        Json::Number(n) => {
            out.push(Json::from(n.to_string()));
            if let Some(i) = n.as_i64() {
                out.push(Json::from(i.wrapping_add(1)));
                out.push(Json::from(i.wrapping_sub(1)));
            }
        }
        Json::String(s) => {
            out.extend(case_variants(s).into_iter().skip(1).map(Json::from));
            if let Ok(i) = s.parse::<i64>() {
                out.push(Json::from(i));
            }
            out.push(Json::from(format!("{s}x")));
        }
        _ => {}
    }
    out
}

/// Candidate values per field path: the vocabulary plus what the rules' literals suggest
/// (for every field a leaf mentions, that leaf's literals and their variants).
#[derive(Debug, Clone, Default)]
pub struct Pool {
    pub fields: BTreeMap<String, Vec<Json>>,
}

impl Pool {
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a RuleIr>) -> Pool {
        let mut pool = Pool::default();
        for (f, vs) in vocabulary() {
            pool.fields.insert(f.to_string(), vs);
        }
        for ir in rules {
            pool.add_rule(ir);
        }
        for vs in pool.fields.values_mut() {
            let mut seen = BTreeSet::new();
            vs.retain(|v| seen.insert(v.to_string()));
        }
        pool
    }

    fn add_rule(&mut self, ir: &RuleIr) {
        for f in &ir.fields {
            self.fields.entry(f.clone()).or_insert_with(generic_values);
        }
        for filter in ir.filters() {
            if let Some(c) = &filter.category {
                self.fields
                    .entry(CATEGORY_FIELD.to_string())
                    .or_default()
                    .push(Json::from(c.as_str()));
            }
            cond_leaves(&filter.condition, &mut |l| {
                let mut fields = BTreeSet::new();
                leaf_fields(l, &mut fields);
                let mut lits = Vec::new();
                leaf_lits(l, &mut lits);
                for f in fields {
                    let entry = self
                        .fields
                        .entry(ir.fields[f as usize].clone())
                        .or_default();
                    for v in &lits {
                        entry.extend(variants(v));
                    }
                }
            });
        }
    }

    /// The candidates of a field (never empty).
    pub fn values(&self, path: &str) -> Vec<Json> {
        self.fields
            .get(path)
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(generic_values)
    }
}

/// Field values by path; `None` is "missing" (absent, `null` or `[]` in the JSON).
pub type Assignment = BTreeMap<String, Option<Vec<Json>>>;

/// Writes an assignment as a JSON object: each path nested (`{"a":{"b":…}}`) or dotted
/// (`"a.b"`) at random, one value as a scalar or a one-element array, several as an
/// array, missing as absent, `null` or `[]`.
pub fn to_json(asg: &Assignment, rng: &mut Rng) -> Map<String, Json> {
    let mut out = Map::new();
    for (path, values) in asg {
        let v = match values {
            None => match rng.below(4) {
                0 => Json::Null,
                1 => Json::Array(Vec::new()),
                _ => continue,
            },
            Some(vs) if vs.len() == 1 && rng.chance(4, 5) => vs[0].clone(),
            Some(vs) => Json::Array(vs.clone()),
        };
        if rng.chance(1, 2) {
            insert_nested(&mut out, path, v);
        } else {
            out.insert(path.clone(), v);
        }
    }
    out
}

/// Inserts `v` at a nested path, or at the dotted key where an object is not possible.
fn insert_nested(map: &mut Map<String, Json>, path: &str, v: Json) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), v);
        }
        Some((head, rest)) => match map.get_mut(head) {
            Some(Json::Object(inner)) => insert_nested(inner, rest, v),
            Some(_) => {
                map.insert(path.to_string(), v);
            }
            None => {
                let mut inner = Map::new();
                insert_nested(&mut inner, rest, v);
                map.insert(head.to_string(), Json::Object(inner));
            }
        },
    }
}

/// One filter of a rule as an interpreted event query over the same fields.
fn filter_matcher(ir: &RuleIr, filter: &FilterIr) -> InterpretedRule {
    let one = RuleIr {
        query: QueryIr::Event(filter.clone()),
        pipes: Vec::new(),
        ..ir.clone()
    };
    match InterpretedRule::new(&one, Arc::new(RuleInfo::default()), &interpreter_options()) {
        Ok(m) => m,
        Err(e) => panic!("rule {}: a filter does not interpret: {e}", ir.id),
    }
}

fn holds(m: &InterpretedRule, asg: &Assignment) -> bool {
    let mut rng = Rng::new(0);
    let ev = JsonEvent::from_map(to_json(asg, &mut rng));
    let mut hits = StageHits::default();
    m.evaluate(&ev, &mut hits);
    !hits.stages.is_empty()
}

/// Builds events that make one rule alert, from its IR.
pub struct Planter<'a> {
    ir: &'a RuleIr,
    pool: &'a Pool,
}

/// How many times one filter is tried before the planter gives up on an attempt.
const FILTER_ATTEMPTS: usize = 60;

impl<'a> Planter<'a> {
    pub fn new(ir: &'a RuleIr, pool: &'a Pool) -> Planter<'a> {
        Planter { ir, pool }
    }

    fn path(&self, f: u32) -> &str {
        &self.ir.fields[f as usize]
    }

    fn set(
        &self,
        asg: &mut Assignment,
        fixed: &BTreeSet<String>,
        path: &str,
        v: Option<Json>,
        rng: &mut Rng,
    ) {
        if fixed.contains(path) {
            return;
        }
        match v {
            None => {
                asg.insert(path.to_string(), None);
            }
            Some(v) => {
                // Sometimes add to what is there (a multi-valued field), else replace.
                match asg.get_mut(path) {
                    Some(Some(vs)) if rng.chance(1, 4) => vs.push(v),
                    _ => {
                        asg.insert(path.to_string(), Some(vec![v]));
                    }
                }
            }
        }
    }

    fn random_value(&self, path: &str, rng: &mut Rng) -> Json {
        rng.pick(&self.pool.values(path)).clone()
    }

    fn satisfy(
        &self,
        c: &Cond,
        want: bool,
        asg: &mut Assignment,
        fixed: &BTreeSet<String>,
        rng: &mut Rng,
    ) {
        match c {
            Cond::Const(_) => {}
            Cond::Not(x) => self.satisfy(x, !want, asg, fixed, rng),
            Cond::And(xs) | Cond::Or(xs) => {
                let all = matches!(c, Cond::And(_)) == want;
                if all {
                    for x in xs {
                        self.satisfy(x, want, asg, fixed, rng);
                    }
                } else if !xs.is_empty() {
                    let x = &xs[rng.below(xs.len())];
                    self.satisfy(x, want, asg, fixed, rng);
                }
            }
            Cond::Leaf(l) => self.leaf(l, want, asg, fixed, rng),
        }
    }

    fn leaf(
        &self,
        l: &Leaf,
        want: bool,
        asg: &mut Assignment,
        fixed: &BTreeSet<String>,
        rng: &mut Rng,
    ) {
        // A leaf is false when its field is missing (J.1) — a cheap way to falsify.
        let simple_field = match l {
            Leaf::Compare {
                lhs: ValueIr::Field(f),
                rhs: ValueIr::Lit(_),
                ..
            }
            | Leaf::Compare {
                lhs: ValueIr::Lit(_),
                rhs: ValueIr::Field(f),
                ..
            }
            | Leaf::Wildcard {
                value: ValueIr::Field(f),
                ..
            }
            | Leaf::InSet {
                value: ValueIr::Field(f),
                ..
            }
            | Leaf::Regex {
                value: ValueIr::Field(f),
                ..
            }
            | Leaf::Kql { field: f, .. } => Some(*f),
            _ => None,
        };
        if !want && rng.chance(1, 3) {
            if let Some(f) = simple_field {
                let p = self.path(f).to_string();
                self.set(asg, fixed, &p, None, rng);
                return;
            }
        }
        match l {
            Leaf::Compare {
                op,
                lhs,
                rhs,
                nulls_equal: false,
            } if simple_field.is_some() => {
                let (op, lit) = match (lhs, rhs) {
                    (ValueIr::Lit(l), _) => (flip(*op), l),
                    (_, ValueIr::Lit(l)) => (*op, l),
                    _ => return,
                };
                let p = self.path(simple_field.unwrap_or(0)).to_string();
                let v = if want {
                    witness(op, lit, rng)
                } else {
                    Some(self.random_value(&p, rng))
                };
                self.set(asg, fixed, &p, v, rng);
            }
            Leaf::IsNull(ValueIr::Field(f)) => {
                let p = self.path(*f).to_string();
                let v = if want {
                    None
                } else {
                    Some(self.random_value(&p, rng))
                };
                self.set(asg, fixed, &p, v, rng);
            }
            Leaf::Wildcard {
                value: ValueIr::Field(f),
                patterns,
                insensitive,
            } if want => {
                let p = self.path(*f).to_string();
                let p0 = rng.pick(patterns).clone();
                let mut s = instantiate(&p0, rng);
                if *insensitive {
                    s = rng.pick(&case_variants(&s)).clone();
                }
                self.set(asg, fixed, &p, Some(Json::from(s)), rng);
            }
            Leaf::InSet {
                value: ValueIr::Field(f),
                set,
                insensitive,
            } if want && !set.is_empty() => {
                let p = self.path(*f).to_string();
                let mut v = lit_json(rng.pick(set));
                if let (true, Json::String(s)) = (*insensitive, &v) {
                    v = Json::from(rng.pick(&case_variants(s)).clone());
                }
                self.set(asg, fixed, &p, Some(v), rng);
            }
            Leaf::Kql { field, test } if want => {
                // A value the KQL test accepts (the interpreter's oracle decides).
                let p = self.path(*field).to_string();
                let examples = rule_compiler::kql::example_values(test);
                let v = if examples.is_empty() {
                    Some(self.random_value(&p, rng))
                } else {
                    Some(rng.pick(&examples).clone())
                };
                self.set(asg, fixed, &p, v, rng);
            }
            _ => {
                // Regexes, functions, arithmetic: random candidates for every field the
                // leaf mentions (the rule's literals are among them); the filter check
                // decides.
                let mut fields = BTreeSet::new();
                leaf_fields(l, &mut fields);
                for f in fields {
                    let p = self.path(f).to_string();
                    let v = if rng.chance(1, 8) {
                        None
                    } else {
                        Some(self.random_value(&p, rng))
                    };
                    self.set(asg, fixed, &p, v, rng);
                }
            }
        }
    }

    /// An assignment satisfying `filter`, keeping the `fixed` fields as given.
    fn plant_filter(
        &self,
        filter: &FilterIr,
        fixed: &Assignment,
        rng: &mut Rng,
    ) -> Option<Assignment> {
        let m = filter_matcher(self.ir, filter);
        let fixed_paths: BTreeSet<String> = fixed.keys().cloned().collect();
        for _ in 0..FILTER_ATTEMPTS {
            let mut asg = fixed.clone();
            self.satisfy(&filter.condition, true, &mut asg, &fixed_paths, rng);
            if let Some(c) = &filter.category {
                let cat = self.path(self.ir.category_field).to_string();
                let mut vs = vec![Json::from(c.as_str())];
                if rng.chance(1, 6) {
                    vs.push(Json::from("other"));
                }
                if !fixed_paths.contains(&cat) {
                    asg.insert(cat, Some(vs));
                }
            }
            if holds(&m, &asg) {
                return Some(asg);
            }
        }
        None
    }

    /// Events (field assignments, in stage order) that make the rule alert when they
    /// are the whole stream, one millisecond apart: `None` if `attempts` tries failed.
    pub fn plant(&self, rng: &mut Rng, attempts: usize) -> Option<Vec<Assignment>> {
        for _ in 0..attempts {
            let Some(events) = self.try_plant(rng) else {
                continue;
            };
            // A fresh matcher each time: matchers keep state.
            let m = InterpretedRule::new(
                self.ir,
                Arc::new(RuleInfo::default()),
                &interpreter_options(),
            )
            .ok()?;
            if alerts_alone(m, &events, rng) {
                return Some(events);
            }
        }
        None
    }

    fn try_plant(&self, rng: &mut Rng) -> Option<Vec<Assignment>> {
        let st: Vec<&StageIr> = match &self.ir.query {
            QueryIr::Event(f) => {
                return self
                    .plant_filter(f, &Assignment::new(), rng)
                    .map(|a| vec![a]);
            }
            QueryIr::Sequence(s) => s
                .stages
                .iter()
                .filter(|s| s.kind == StageKind::Positive)
                .collect(),
            QueryIr::Sample(s) => s.stages.iter().collect(),
        };
        let mut out = Vec::new();
        let mut keys: Vec<Option<Vec<Json>>> = Vec::new();
        for (j, stage) in st.iter().enumerate() {
            let mut fixed = Assignment::new();
            if j > 0 {
                for (k, key) in stage.keys.iter().enumerate() {
                    fixed.insert(
                        self.path(key.field).to_string(),
                        keys.get(k).cloned().flatten(),
                    );
                }
            }
            let mut asg = self.plant_filter(&stage.filter, &fixed, rng)?;
            if j == 0 {
                for key in &stage.keys {
                    let p = self.path(key.field).to_string();
                    let v = match asg.get(&p) {
                        Some(Some(vs)) => Some(vs.clone()),
                        _ if key.optional && rng.chance(1, 3) => None,
                        _ => Some(vec![self.random_value(&p, rng)]),
                    };
                    asg.insert(p, v.clone());
                    keys.push(v);
                }
            }
            out.push(asg);
        }
        Some(out)
    }
}

/// Runs `events` alone (one millisecond apart) through `m`: did it alert?
fn alerts_alone(m: InterpretedRule, events: &[Assignment], rng: &mut Rng) -> bool {
    let config = EngineConfig {
        time: time_fields(),
        reorder_window_ms: 0,
    };
    let options = interpreter_options();
    let Ok(state) = m.state::<Arc<JsonEvent>>(&options) else {
        return false;
    };
    let mut engine = Engine::new(config.clone(), vec![(state, Vec::new())]);
    let mut out = Vec::new();
    let mut hits = SetHits::new();
    for (i, asg) in events.iter().enumerate() {
        let mut json = to_json(asg, rng);
        json.insert(TIMESTAMP_FIELD.into(), Json::from(1_000_000 + i as i64));
        json.insert(TIEBREAKER_FIELD.into(), Json::from(i as i64));
        let ev = Arc::new(JsonEvent::from_map(json));
        hits.clear();
        m.evaluate(&*ev, hits.begin(0));
        hits.end();
        let time = config
            .time
            .timestamp(&*ev)
            .map(|ts| (ts, config.time.tiebreaker(&*ev)));
        engine.push(time, &mut hits, || ev.clone(), &mut out);
    }
    engine.flush(&mut out);
    !out.is_empty()
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
    }
}

/// A value `v` with `v op lit` (the field on the left), in a random representation.
fn witness(op: CmpOp, lit: &Lit, rng: &mut Rng) -> Option<Json> {
    let json = match (op, lit) {
        (_, Lit::Null) => return None,
        (CmpOp::Eq | CmpOp::Le | CmpOp::Ge, l) if op == CmpOp::Eq || rng.chance(1, 2) => {
            match l {
                // A number compared with its text, and text with its number (J.7).
                Lit::Int(i) if rng.chance(1, 3) => Json::from(i.to_string()),
                Lit::Str(s) if rng.chance(1, 3) && s.parse::<i64>().is_ok() => {
                    Json::from(s.parse::<i64>().unwrap_or(0))
                }
                l => lit_json(l),
            }
        }
        (CmpOp::Lt | CmpOp::Le, Lit::Int(i)) => {
            Json::from(i.wrapping_sub(1 + rng.below(50) as i64))
        }
        (CmpOp::Gt | CmpOp::Ge, Lit::Int(i)) => {
            Json::from(i.wrapping_add(1 + rng.below(50) as i64))
        }
        (CmpOp::Lt | CmpOp::Le, Lit::Float(f)) => Json::from(f - 1.0),
        (CmpOp::Gt | CmpOp::Ge, Lit::Float(f)) => Json::from(f + 1.0),
        (CmpOp::Lt | CmpOp::Le, Lit::Str(s)) => {
            let mut t: String = s.clone();
            t.pop();
            Json::from(t)
        }
        (CmpOp::Gt | CmpOp::Ge, Lit::Str(s)) => Json::from(format!("{s}z")),
        (_, l) => lit_json(l),
    };
    Some(json)
}

/// An event generated by `rule_compiler::gen` as an [`Assignment`]: every leaf path
/// (dotted) with its values, arrays of objects merged per path; the time fields left
/// to the stream.
pub fn assignment_of(event: &Json) -> Assignment {
    fn walk(v: &Json, path: &str, out: &mut Assignment) {
        match v {
            Json::Object(m) => {
                for (k, child) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(child, &p, out);
                }
            }
            Json::Array(items) => items.iter().for_each(|i| walk(i, path, out)),
            Json::Null => {
                out.entry(path.to_string()).or_insert(None);
            }
            leaf => {
                out.entry(path.to_string())
                    .or_insert(None)
                    .get_or_insert_with(Vec::new)
                    .push(leaf.clone());
            }
        }
    }
    let mut out = Assignment::new();
    walk(event, "", &mut out);
    out.remove(TIMESTAMP_FIELD);
    out.remove(TIEBREAKER_FIELD);
    out
}
