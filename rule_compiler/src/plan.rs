//! The rule set as one unit: its field table, its atoms, and for each rule the
//! disjunction of atoms every match must satisfy. The code generator reads this plan;
//! the reference interpreter does not (it stays rule-at-a-time).
//!
//! An **atom** is a test of one field against one literal ([`AtomKind`]); a leaf of a
//! condition on a field is the disjunction (`or`) of its atoms: `f == "x"` is
//! `Text("x")` (or `Text("x") ∨ Ip("x")` when `"x"` is an IP address), `f : ("a", "b*")`
//! is `Folded("a") ∨ LikeFolded("b*")`, `f in (1, "1")` is `Number("1") ∨ Text("1")`.
//! Atoms are shared by every rule that tests the same thing.
//!
//! A rule's **required disjunction** is a set of atoms one of which holds on every event
//! the rule can match; the rule set evaluates a rule only when one of them holds:
//! * a leaf made of atoms requires its atoms; any other leaf (a range, a function, a
//!   regex, a `not`) requires nothing (`None`: it could hold on any event);
//! * `a and b` requires what the more selective of `a` and `b` requires;
//! * `a or b` requires the union, if both require something;
//! * a stage requires what `category and condition` requires; a sequence or sample, the
//!   union over its stages (and `until`): any of them may need the event.
//!
//! Selectivity is estimated statically ([`estimate`]): a test of a field that most
//! events share (`event.category`, `event.type`, `host.os.type` …) or a wildcard with
//! a short literal run is taken to hold often; exact tests of other fields rarely.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rule_runtime::cidr;
use rule_runtime::index::AtomKind;
use rule_runtime::pattern::{Wildcard, WildcardForm};

use crate::ir::*;
use crate::schema::FieldType;

/// One atom of the rule set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom {
    /// The field's slot in the rule set's table.
    pub slot: u32,
    pub kind: AtomKind,
    /// The literal (folded for the folded kinds; a number's exact text for `Number`).
    pub literal: String,
}

/// What the plan says about one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulePlan {
    /// The rule's field ids → slots of the rule set's table.
    pub slots: Vec<u32>,
    /// Every atom the rule tests (sorted).
    pub atoms: Vec<u32>,
    /// The atoms one of which every match satisfies; `None`: evaluate on every event.
    pub required: Option<Vec<u32>>,
}

/// The plan of a rule set.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The field table: every path some rule reads, sorted.
    pub fields: Vec<String>,
    /// Every distinct atom, in the order first met (rules in order).
    pub atoms: Vec<Atom>,
    /// One entry per rule, in the order given.
    pub rules: Vec<RulePlan>,
    ids: HashMap<Atom, u32>,
}

/// Field types that decide how a comparison is made (`date`, `date_nanos`, `version`).
pub type FieldTypes = BTreeMap<String, FieldType>;

impl Plan {
    /// Plans `rules` (in the order the generator emits them).
    pub fn new(rules: &[&RuleIr], types: &FieldTypes) -> Plan {
        let fields: Vec<String> = rules
            .iter()
            .flat_map(|r| r.fields.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let slot_of: HashMap<&str, u32> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.as_str(), i as u32))
            .collect();
        let mut plan = Plan {
            fields: fields.clone(),
            ..Plan::default()
        };
        for rule in rules {
            let slots: Vec<u32> = rule.fields.iter().map(|f| slot_of[f.as_str()]).collect();
            let typed: Vec<Option<FieldType>> =
                rule.fields.iter().map(|f| types.get(f).copied()).collect();
            let ctx = RuleCtx {
                ir: rule,
                slots: &slots,
                types: &typed,
            };
            let mut used = BTreeSet::new();
            let mut required: Option<Vec<u32>> = None;
            let mut first = true;
            for filter in rule.filters() {
                let stage = plan.filter_required(&ctx, filter, &mut used);
                required = if first { stage } else { union(required, stage) };
                first = false;
            }
            plan.rules.push(RulePlan {
                slots,
                atoms: used.into_iter().collect(),
                required,
            });
        }
        plan
    }

    /// The id of an atom (added if new).
    fn intern(&mut self, atom: Atom) -> u32 {
        if let Some(&id) = self.ids.get(&atom) {
            return id;
        }
        let id = self.atoms.len() as u32;
        self.ids.insert(atom.clone(), id);
        self.atoms.push(atom);
        id
    }

    /// The id of the category atom of a filter, if it has a category.
    pub fn category_atom(&self, rule: &RuleIr, slots: &[u32], filter: &FilterIr) -> Option<u32> {
        let c = filter.category.as_ref()?;
        self.ids
            .get(&Atom {
                slot: slots[rule.category_field as usize],
                kind: AtomKind::Category,
                literal: c.clone(),
            })
            .copied()
    }

    /// The atoms a leaf is the disjunction of (ids), if it is made of atoms.
    pub fn leaf_atoms(
        &self,
        rule: &RuleIr,
        slots: &[u32],
        types: &[Option<FieldType>],
        leaf: &Leaf,
    ) -> Option<Vec<u32>> {
        let ctx = RuleCtx {
            ir: rule,
            slots,
            types,
        };
        let atoms = leaf_atom_keys(&ctx, leaf)?;
        atoms.iter().map(|a| self.ids.get(a).copied()).collect()
    }

    fn filter_required(
        &mut self,
        ctx: &RuleCtx<'_>,
        filter: &FilterIr,
        used: &mut BTreeSet<u32>,
    ) -> Option<Vec<u32>> {
        let category = filter.category.as_ref().map(|c| {
            let id = self.intern(Atom {
                slot: ctx.slots[ctx.ir.category_field as usize],
                kind: AtomKind::Category,
                literal: c.clone(),
            });
            used.insert(id);
            id
        });
        let cond = self.cond_required(ctx, &filter.condition, used);
        match category {
            Some(c) => Some(self.more_selective(Some(vec![c]), cond).unwrap_or_default()),
            None => cond,
        }
    }

    fn cond_required(
        &mut self,
        ctx: &RuleCtx<'_>,
        c: &Cond,
        used: &mut BTreeSet<u32>,
    ) -> Option<Vec<u32>> {
        match c {
            Cond::Const(true) => None,
            Cond::Const(false) => Some(Vec::new()),
            Cond::Not(x) => {
                self.cond_required(ctx, x, used);
                None
            }
            Cond::And(xs) => {
                // The most selective operand's ([`Plan::more_selective`], with the best
                // estimate kept so that a long chain is linear).
                let mut best: Option<(Vec<u32>, f64)> = None;
                for x in xs {
                    if let Some(r) = self.cond_required(ctx, x, used) {
                        let e = self.estimate(&r);
                        if best.as_ref().is_none_or(|(_, b)| e < *b) {
                            best = Some((r, e));
                        }
                    }
                }
                best.map(|(r, _)| r)
            }
            Cond::Or(xs) => {
                // The union, in order of first appearance; a set beside it keeps a long
                // `or` chain (thousands of leaves) linear.
                let mut all = Some(Vec::new());
                let mut seen = BTreeSet::new();
                for x in xs {
                    let r = self.cond_required(ctx, x, used);
                    match (&mut all, r) {
                        (Some(all), Some(r)) => {
                            all.extend(r.into_iter().filter(|a| seen.insert(*a)));
                        }
                        _ => all = None,
                    }
                }
                all
            }
            Cond::Leaf(l) => {
                self.values_in_leaf(ctx, l, used);
                let keys = leaf_atom_keys(ctx, l)?;
                let ids: Vec<u32> = keys.into_iter().map(|a| self.intern(a)).collect();
                used.extend(ids.iter().copied());
                Some(ids)
            }
        }
    }

    /// Conditions nested in a leaf's values (`true == (f in ("a"))`) use atoms too.
    fn values_in_leaf(&mut self, ctx: &RuleCtx<'_>, l: &Leaf, used: &mut BTreeSet<u32>) {
        let mut visit = |v: &ValueIr| self.values_in_value(ctx, v, used);
        match l {
            Leaf::Compare { lhs, rhs, .. } => {
                visit(lhs);
                visit(rhs);
            }
            Leaf::IsNull(v)
            | Leaf::Truthy(v)
            | Leaf::Wildcard { value: v, .. }
            | Leaf::Regex { value: v, .. }
            | Leaf::InSet { value: v, .. } => visit(v),
        }
    }

    fn values_in_value(&mut self, ctx: &RuleCtx<'_>, v: &ValueIr, used: &mut BTreeSet<u32>) {
        match v {
            ValueIr::Lit(_) | ValueIr::Field(_) => {}
            ValueIr::Neg(x) => self.values_in_value(ctx, x, used),
            ValueIr::Arith { lhs, rhs, .. } => {
                self.values_in_value(ctx, lhs, used);
                self.values_in_value(ctx, rhs, used);
            }
            ValueIr::Call { args, .. } => {
                for a in args {
                    self.values_in_value(ctx, a, used);
                }
            }
            ValueIr::Cond(c) => {
                self.cond_required(ctx, c, used);
            }
        }
    }

    /// The more selective of two requirements (`None` is the least selective).
    fn more_selective(&self, a: Option<Vec<u32>>, b: Option<Vec<u32>>) -> Option<Vec<u32>> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => {
                if self.estimate(&b) < self.estimate(&a) {
                    Some(b)
                } else {
                    Some(a)
                }
            }
        }
    }

    /// The estimated share of events on which one of `atoms` holds (see [`estimate`]).
    pub fn estimate(&self, atoms: &[u32]) -> f64 {
        atoms
            .iter()
            .map(|&a| estimate(&self.fields, &self.atoms[a as usize]))
            .sum::<f64>()
            .min(1.0)
    }
}

fn union(a: Option<Vec<u32>>, b: Option<Vec<u32>>) -> Option<Vec<u32>> {
    let (mut a, b) = (a?, b?);
    for x in b {
        if !a.contains(&x) {
            a.push(x);
        }
    }
    Some(a)
}

/// Fields whose values most events of a category share: a test of them selects little.
const COMMON_FIELDS: &[&str] = &[
    "event.category",
    "event.type",
    "event.action",
    "event.outcome",
    "event.kind",
    "event.module",
    "event.dataset",
    "event.provider",
    "data_stream.dataset",
    "data_stream.namespace",
    "host.os.type",
    "host.os.family",
    "host.os.name",
    "host.os.platform",
    "os.type",
    "agent.type",
];

/// The estimated share of events on which an atom holds: 0.3 for a field most events
/// share, 0.02 for others; a wildcard with a short literal run is taken to hold more
/// often, one without any (`*`, `?*`) on nearly every event that has the field. The
/// automaton families also cost more per event than a hash lookup, which the estimate
/// folds in.
pub fn estimate(fields: &[String], atom: &Atom) -> f64 {
    let field = fields.get(atom.slot as usize).map_or("", String::as_str);
    let base = if COMMON_FIELDS.contains(&field) {
        0.3
    } else {
        0.02
    };
    let factor = match atom.kind {
        AtomKind::Like | AtomKind::LikeFolded => {
            let run = atom
                .literal
                .split(['*', '?'])
                .map(str::len)
                .max()
                .unwrap_or(0);
            match run {
                0 => 50.0,
                1..=3 => 5.0,
                _ => 1.5,
            }
        }
        _ => 1.0,
    };
    base * factor
}

/// A rule's IR with its slots and field types.
struct RuleCtx<'a> {
    ir: &'a RuleIr,
    slots: &'a [u32],
    types: &'a [Option<FieldType>],
}

impl RuleCtx<'_> {
    fn typed(&self, field: FieldId) -> bool {
        matches!(
            self.types.get(field as usize).copied().flatten(),
            Some(FieldType::Date | FieldType::DateNanos | FieldType::Version)
        )
    }
}

/// The exact text of a number literal, as Rust parses it back.
pub fn number_text(l: &Lit) -> Option<String> {
    match l {
        Lit::Int(i) => Some(i.to_string()),
        Lit::Float(f) if f.is_finite() => Some(format!("{f:?}")),
        _ => None,
    }
}

/// The atoms of a leaf, if it is made of atoms (see the module documentation).
fn leaf_atom_keys(ctx: &RuleCtx<'_>, leaf: &Leaf) -> Option<Vec<Atom>> {
    let field_slot = |v: &ValueIr| match v {
        ValueIr::Field(f) if !ctx.typed(*f) => Some(ctx.slots[*f as usize]),
        _ => None,
    };
    let atom = |slot: u32, kind: AtomKind, literal: &str| Atom {
        slot,
        kind,
        literal: literal.to_string(),
    };
    // `==`/`in` with one literal, case-sensitive or folded.
    let eq_lit = |slot: u32, lit: &Lit, folded: bool| -> Vec<Atom> {
        match lit {
            Lit::Str(s) => {
                let mut v = vec![atom(
                    slot,
                    if folded {
                        AtomKind::Folded
                    } else {
                        AtomKind::Text
                    },
                    s,
                )];
                if cidr::looks_like_ip(s) && cidr::parse_ip_key(s).is_some() {
                    v.push(atom(slot, AtomKind::Ip, s));
                }
                v
            }
            Lit::Int(_) | Lit::Float(_) => number_text(lit)
                .map(|t| vec![atom(slot, AtomKind::Number, &t)])
                .unwrap_or_default(),
            Lit::Bool(b) => vec![atom(
                slot,
                AtomKind::Bool,
                if *b { "true" } else { "false" },
            )],
            Lit::Null => Vec::new(),
        }
    };
    match leaf {
        Leaf::Compare {
            op: CmpOp::Eq,
            lhs,
            rhs: ValueIr::Lit(lit),
            nulls_equal: false,
        } if !matches!(lit, Lit::Null) => Some(eq_lit(field_slot(lhs)?, lit, false)),
        Leaf::InSet {
            value,
            set,
            insensitive,
        } => {
            let slot = field_slot(value)?;
            let mut atoms: Vec<Atom> = Vec::new();
            for lit in set {
                for a in eq_lit(slot, lit, *insensitive) {
                    if !atoms.contains(&a) {
                        atoms.push(a);
                    }
                }
            }
            Some(atoms)
        }
        Leaf::Wildcard {
            value,
            patterns,
            insensitive,
        } => {
            let slot = field_slot(value)?;
            let mut atoms: Vec<Atom> = Vec::new();
            for p in patterns {
                let a = match Wildcard::new(p, *insensitive).form() {
                    WildcardForm::Exact(s) if *insensitive => atom(slot, AtomKind::Folded, s),
                    WildcardForm::Exact(s) => atom(slot, AtomKind::Text, s),
                    _ if *insensitive => atom(slot, AtomKind::LikeFolded, p),
                    _ => atom(slot, AtomKind::Like, p),
                };
                if !atoms.contains(&a) {
                    atoms.push(a);
                }
            }
            Some(atoms)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_query;

    fn plan(queries: &[&str]) -> (Vec<RuleIr>, Plan) {
        let irs: Vec<RuleIr> = queries
            .iter()
            .map(|q| {
                lower_query(
                    "id",
                    "n",
                    "s",
                    DEFAULT_CATEGORY_FIELD,
                    &parse_query(q).unwrap(),
                )
                .unwrap()
            })
            .collect();
        let refs: Vec<&RuleIr> = irs.iter().collect();
        let p = Plan::new(&refs, &FieldTypes::new());
        (irs, p)
    }

    fn describe(p: &Plan, ids: &Option<Vec<u32>>) -> Option<Vec<String>> {
        ids.as_ref().map(|ids| {
            ids.iter()
                .map(|&i| {
                    let a = &p.atoms[i as usize];
                    format!("{}:{:?}:{}", p.fields[a.slot as usize], a.kind, a.literal)
                })
                .collect()
        })
    }

    #[test]
    fn required_disjunctions() {
        let (_, p) = plan(&[
            r#"process where process.name : "cmd.exe" and event.type == "start""#,
            r#"process where process.name == "a" or process.args : "*-enc*""#,
            r#"process where length(process.name) > 3"#,
            r#"any where length(process.name) > 3"#,
            r#"any where not process.name == "x""#,
            r#"sequence [process where process.name == "a"] [network where destination.ip == "10.0.0.1"]"#,
            r#"process where process.pid in (1, "2", true) and process.name == "x""#,
        ]);
        let d = |i: usize| describe(&p, &p.rules[i].required);
        assert_eq!(d(0), Some(vec!["process.name:Folded:cmd.exe".into()]));
        assert_eq!(
            d(1),
            Some(vec![
                "process.name:Text:a".into(),
                "process.args:LikeFolded:*-enc*".into()
            ])
        );
        assert_eq!(d(2), Some(vec!["event.category:Category:process".into()]));
        assert_eq!(d(3), None);
        assert_eq!(d(4), None);
        assert_eq!(
            d(5),
            Some(vec![
                "process.name:Text:a".into(),
                "destination.ip:Text:10.0.0.1".into(),
                "destination.ip:Ip:10.0.0.1".into()
            ])
        );
        // Atoms are shared across rules; the `in` leaf is three atoms.
        assert_eq!(p.atoms.iter().filter(|a| a.literal == "process").count(), 1);
        assert!(p.rules[6].atoms.len() >= 5);
    }
}
