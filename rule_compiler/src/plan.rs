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
    /// Disjunctions of atoms (at most [`MAX_REQUIRED`]), each satisfied by every match:
    /// the rule is evaluated only on events where every one of them has an atom that
    /// holds. `None`: evaluate on every event.
    pub required: Option<Vec<Vec<u32>>>,
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
            // Several stages: an event may be needed by any of them, so the requirement is
            // the union of each stage's most selective disjunction.
            let stages: Vec<Reqs> = rule
                .filters()
                .into_iter()
                .map(|f| plan.filter_required(&ctx, f, &mut used))
                .collect();
            let reqs = if stages.len() == 1 {
                stages.into_iter().next().unwrap_or_default()
            } else {
                plan.or_reqs(stages)
            };
            plan.rules.push(RulePlan {
                slots,
                atoms: used.into_iter().collect(),
                required: (!reqs.is_empty()).then(|| reqs.into_iter().map(|(a, _)| a).collect()),
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
    ) -> Reqs {
        let category = filter.category.as_ref().map(|c| {
            let id = self.intern(Atom {
                slot: ctx.slots[ctx.ir.category_field as usize],
                kind: AtomKind::Category,
                literal: c.clone(),
            });
            used.insert(id);
            id
        });
        let mut pool = self.cond_required(ctx, &filter.condition, used);
        if let Some(c) = category {
            pool.push((vec![c], self.estimate(&[c])));
        }
        self.best(pool)
    }

    fn cond_required(&mut self, ctx: &RuleCtx<'_>, c: &Cond, used: &mut BTreeSet<u32>) -> Reqs {
        match c {
            Cond::Const(true) => Vec::new(),
            Cond::Const(false) => vec![(Vec::new(), 0.0)],
            Cond::Not(x) => {
                self.cond_required(ctx, x, used);
                Vec::new()
            }
            Cond::And(xs) => {
                // Every operand's requirements hold; keep the most selective.
                let mut pool = Vec::new();
                for x in xs {
                    pool.extend(self.cond_required(ctx, x, used));
                }
                self.best(pool)
            }
            Cond::Or(xs) => {
                let branches: Vec<Reqs> = xs
                    .iter()
                    .map(|x| self.cond_required(ctx, x, used))
                    .collect();
                self.or_reqs(branches)
            }
            Cond::Leaf(l) => {
                self.values_in_leaf(ctx, l, used);
                let Some(keys) = leaf_atom_keys(ctx, l) else {
                    return Vec::new();
                };
                let ids: Vec<u32> = keys.into_iter().map(|a| self.intern(a)).collect();
                used.extend(ids.iter().copied());
                let e = self.estimate(&ids);
                vec![(ids, e)]
            }
        }
    }

    /// The requirement of an `or` of branches: one disjunction, the union of each
    /// branch's most selective one (in order of first appearance; a set beside it keeps a
    /// long `or` chain linear); none if a branch has none.
    fn or_reqs(&self, branches: Vec<Reqs>) -> Reqs {
        let mut all = Vec::new();
        let mut seen = BTreeSet::new();
        for b in branches {
            let Some((first, _)) = b.into_iter().next() else {
                return Vec::new();
            };
            all.extend(first.into_iter().filter(|a| seen.insert(*a)));
        }
        let e = self.estimate(&all);
        vec![(all, e)]
    }

    /// The requirements to keep from a pool of implied disjunctions: the most selective
    /// one (it decides when the rule is a candidate), then up to [`MAX_REQUIRED`] − 1
    /// others, on fields none of those kept tests, that are small ([`MAX_FILTER_ATOMS`])
    /// and prune something ([`FILTER_ESTIMATE`]): a candidate must satisfy them too.
    fn best(&self, mut pool: Reqs) -> Reqs {
        if pool.len() <= 1 {
            return pool;
        }
        pool.sort_by(|a, b| a.1.total_cmp(&b.1));
        let mut out: Reqs = Vec::with_capacity(MAX_REQUIRED);
        let mut fields = BTreeSet::new();
        for (d, e) in pool {
            let mine: BTreeSet<u32> = d.iter().map(|&a| self.atoms[a as usize].slot).collect();
            let keep = out.is_empty()
                || (e <= FILTER_ESTIMATE
                    && d.len() <= MAX_FILTER_ATOMS
                    && fields.is_disjoint(&mine));
            if keep {
                fields.extend(mine);
                out.push((d, e));
                if out.len() == MAX_REQUIRED {
                    break;
                }
            }
        }
        out
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
            Leaf::Kql { .. } => {}
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

    /// The estimated share of events on which one of `atoms` holds (see [`estimate`]).
    pub fn estimate(&self, atoms: &[u32]) -> f64 {
        atoms
            .iter()
            .map(|&a| estimate(&self.fields, &self.atoms[a as usize]))
            .sum::<f64>()
            .min(1.0)
    }
}

/// Implied disjunctions of atoms with their estimates, most selective first.
type Reqs = Vec<(Vec<u32>, f64)>;

/// The most disjunctions a rule's requirement holds.
pub const MAX_REQUIRED: usize = 3;

/// A disjunction after the first is required too only when its estimate is at most
/// this (it prunes at least half the candidates)…
const FILTER_ESTIMATE: f64 = 0.5;

/// … and it has at most this many atoms (a candidate tests them one by one).
const MAX_FILTER_ATOMS: usize = 8;

/// Fields with a handful of values that most events share: a test of one of them
/// selects little.
const COMMON_FIELDS: &[&str] = &[
    "event.category",
    "event.type",
    "event.kind",
    "event.outcome",
    "data_stream.namespace",
    "data_stream.type",
    "host.os.type",
    "host.os.family",
    "host.os.name",
    "host.os.platform",
    "os.type",
    "agent.type",
    "network.direction",
    "network.transport",
    "network.type",
];

/// Fields with tens to hundreds of values (the source of an event, what it did): a value
/// of one of them selects a little more.
const SOURCE_FIELDS: &[&str] = &[
    "event.action",
    "event.dataset",
    "event.module",
    "event.provider",
    "event.code",
    "data_stream.dataset",
    "network.protocol",
];

/// The estimated share of events on which an atom holds: 0.3 for a field most events
/// share, 0.05 for a field naming an event's source or action, 0.002 for an exact value
/// of another field (process names, paths, command lines take many values); a wildcard
/// with a literal run of 4 bytes or more counts double, one with a shorter run ten
/// times; one without any (`*`, `?*`) holds on nearly every value (0.9).
/// A disjunction's estimate is the sum (at most 1), so a list of fifty exact values on
/// a specific field still beats the category.
pub fn estimate(fields: &[String], atom: &Atom) -> f64 {
    let field = fields.get(atom.slot as usize).map_or("", String::as_str);
    let base: f64 = if COMMON_FIELDS.contains(&field) {
        0.3
    } else if SOURCE_FIELDS.contains(&field) {
        0.05
    } else {
        0.002
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
                0 => return 0.9,
                1..=3 => 10.0,
                _ => 2.0,
            }
        }
        _ => 1.0,
    };
    (base * factor).min(1.0)
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

    fn describe(p: &Plan, req: &Option<Vec<Vec<u32>>>) -> Option<Vec<Vec<String>>> {
        req.as_ref().map(|req| {
            req.iter()
                .map(|d| {
                    d.iter()
                        .map(|&i| {
                            let a = &p.atoms[i as usize];
                            format!("{}:{:?}:{}", p.fields[a.slot as usize], a.kind, a.literal)
                        })
                        .collect()
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
            r#"process where process.name == "x" and process.args : "*-enc*" and event.type == "start""#,
        ]);
        let d = |i: usize| describe(&p, &p.rules[i].required);
        let one = |xs: &[&str]| Some(vec![xs.iter().map(|x| x.to_string()).collect()]);
        let all = |ds: &[&[&str]]| {
            Some(
                ds.iter()
                    .map(|d| d.iter().map(|x| x.to_string()).collect())
                    .collect::<Vec<Vec<String>>>(),
            )
        };
        // The most selective first; the event type and the category filter candidates.
        assert_eq!(
            d(0),
            all(&[
                &["process.name:Folded:cmd.exe"],
                &["event.type:Text:start"],
                &["event.category:Category:process"]
            ])
        );
        assert_eq!(
            d(1),
            all(&[
                &["process.name:Text:a", "process.args:LikeFolded:*-enc*"],
                &["event.category:Category:process"]
            ])
        );
        assert_eq!(d(2), one(&["event.category:Category:process"]));
        assert_eq!(d(3), None);
        assert_eq!(d(4), None);
        // A sequence: the union of each stage's most selective disjunction.
        assert_eq!(
            d(5),
            one(&[
                "process.name:Text:a",
                "destination.ip:Text:10.0.0.1",
                "destination.ip:Ip:10.0.0.1"
            ])
        );
        // Selective tests on different fields are all required, at most three.
        assert_eq!(
            d(7),
            all(&[
                &["process.name:Text:x"],
                &["process.args:LikeFolded:*-enc*"],
                &["event.type:Text:start"]
            ])
        );
        // A pattern without a literal run selects nothing; it is not first.
        let (_, p2) =
            plan(&[r#"process where host.os.type == "windows" and process.executable : "?*""#]);
        assert_eq!(
            describe(&p2, &p2.rules[0].required),
            all(&[
                &["host.os.type:Text:windows"],
                &["event.category:Category:process"]
            ])
        );
        // Atoms are shared across rules; the `in` leaf is three atoms.
        assert_eq!(p.atoms.iter().filter(|a| a.literal == "process").count(), 1);
        assert!(p.rules[6].atoms.len() >= 5);
    }
}
