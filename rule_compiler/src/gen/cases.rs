//! Cases: matching examples and near misses built from solved branches, each verified
//! through the interpreter and the engine before it is kept.
//!
//! A case is a list of *slots* (one event each: a filter, the branch literals it was
//! solved from, its pins, its field values and its time). Matching cases have one slot
//! per positive stage; near misses are a matching case with one thing changed: a
//! literal flipped and its fields solved again (keeping every other field), a join key
//! changed, two events' times swapped, the times stretched to `maxspan + 1`, an `until`
//! or missing-stage event added.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::branches::{alternatives, describe_literal, field_name, Branch, Enumerator, Literal};
use super::values::{
    changed_key, leaf_fields, plausible_values, solve, swap_case, to_json, Assignment, Oracle, Pin,
    Problem,
};
use super::{verify, Case, CaseKind, Gap, GenOptions, NearMissKind};
use crate::functions::Function;
use crate::interpreter::InterpretedRule;
use crate::ir::{
    CmpOp, Cond, FilterIr, Leaf, Lit, QueryIr, RuleIr, SampleIr, SequenceIr, StageIr, StageKind,
    ValueIr,
};

/// 2024-01-01T00:00:00.000Z: the first event of every case.
pub(crate) const EPOCH_MS: i64 = 1_704_067_200_000;
/// Attempts at solving one filter with different candidate orders.
const VARIANTS: usize = 4;
/// Matching cases tried per one-per-rule near-miss kind.
const KIND_TRIES: usize = 3;
/// Literals tried per atom near miss.
const ATOM_TRIES: usize = 6;
/// Atom (and exclusion) near misses wanted per rule, spread over its matching cases.
const ATOMS_PER_RULE: usize = 4;
/// Top-level exclusions tried per exclusion near miss.
const EXCLUSION_TRIES: usize = 3;
/// Pairs of stages tried for a swap.
const SWAP_TRIES: usize = 4;

#[derive(Clone)]
struct Slot<'a> {
    filter: &'a FilterIr,
    lits: Vec<Literal<'a>>,
    pins: Vec<Pin>,
    asg: Assignment,
    time: i64,
    /// The stage this event fills in a matching case (`None`: an added event).
    stage: Option<usize>,
}

type Solved<'a> = Vec<(Branch<'a>, Assignment)>;

pub(crate) struct Gen<'r> {
    rule: &'r RuleIr,
    oracle: Oracle<'r>,
    matcher: InterpretedRule,
    options: &'r GenOptions,
    seed: u64,
    pub cases: Vec<Case>,
    pub gaps: Vec<Gap>,
    produced: BTreeMap<NearMissKind, usize>,
    attempts: BTreeMap<NearMissKind, usize>,
    failed: BTreeMap<NearMissKind, String>,
    enumerated: Vec<(&'r FilterIr, Solved<'r>)>,
    /// Matching cases this rule will have (to spread atom near misses over them).
    n_cases: usize,
    /// Literals already broken or exclusions already hit (by description).
    used: std::collections::BTreeSet<String>,
}

fn cond_leaves<'c>(c: &'c Cond, out: &mut Vec<&'c Leaf>) {
    match c {
        Cond::Const(_) => {}
        Cond::Not(x) => cond_leaves(x, out),
        Cond::And(xs) | Cond::Or(xs) => xs.iter().for_each(|x| cond_leaves(x, out)),
        Cond::Leaf(l) => out.push(l),
    }
}

/// A short description of a condition: its first literal, and how many there are.
fn describe_cond(fields: &[String], c: &Cond) -> String {
    let mut leaves = Vec::new();
    cond_leaves(c, &mut leaves);
    let first = leaves
        .first()
        .map(|l| describe_literal(fields, l, true, None))
        .unwrap_or_else(|| "…".into());
    match leaves.len() {
        0 | 1 => first,
        n => format!("{first} … {n} leaves"),
    }
}

/// Whether two branches are the same literals (the same leaves, polarities, choices).
fn same_lits(a: &[Literal<'_>], b: &[Literal<'_>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            std::ptr::eq(x.leaf, y.leaf) && x.positive == y.positive && x.choice == y.choice
        })
}

/// `stage 1: a | stages 2-60: b`: consecutive stages with the same label grouped.
fn group_labels<'l>(noun: &str, labels: impl Iterator<Item = (usize, &'l str)>) -> String {
    let mut groups: Vec<(usize, usize, &str)> = Vec::new();
    for (s, l) in labels {
        match groups.last_mut() {
            Some((_, last, label)) if *label == l && *last + 1 == s => *last = s,
            _ => groups.push((s, s, l)),
        }
    }
    groups
        .iter()
        .map(|(a, b, l)| {
            if a == b {
                format!("{noun} {}: {l}", a + 1)
            } else {
                format!("{noun}s {}-{}: {l}", a + 1, b + 1)
            }
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn stage_word(stage: Option<usize>, n: usize) -> String {
    match stage {
        Some(s) if n > 1 => format!(" in stage {}", s + 1),
        _ => String::new(),
    }
}

fn show_values(vs: Option<&Vec<Json>>) -> String {
    match vs {
        None => "absent".into(),
        Some(v) if v.len() == 1 => short(&v[0]),
        Some(v) => format!("[{}]", v.iter().map(short).collect::<Vec<_>>().join(", ")),
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let t: String = s.chars().take(60).collect();
        format!("{t}…")
    } else {
        s
    }
}

/// Whether a positive literal compares text case-sensitively (`==`, `like`, `in`,
/// `regex`, the functions without `~`).
fn case_sensitive(lit: &Literal<'_>) -> bool {
    if !lit.positive {
        return false;
    }
    match lit.leaf {
        Leaf::Compare {
            op: CmpOp::Eq,
            rhs: ValueIr::Lit(Lit::Str(s)),
            ..
        } => s.chars().any(char::is_alphabetic),
        Leaf::Wildcard {
            insensitive: false,
            patterns,
            ..
        } => patterns.iter().any(|p| p.chars().any(char::is_alphabetic)),
        Leaf::InSet {
            insensitive: false,
            set,
            ..
        } => set
            .iter()
            .any(|l| matches!(l, Lit::Str(s) if s.chars().any(char::is_alphabetic))),
        Leaf::Regex { patterns, .. } => patterns
            .get(lit.choice.unwrap_or(0))
            .is_some_and(|p| !p.starts_with("(?i)")),
        Leaf::Truthy(ValueIr::Call {
            function: Function::StartsWith | Function::EndsWith | Function::StringContains,
            insensitive: false,
            ..
        }) => true,
        _ => false,
    }
}

impl<'r> Gen<'r> {
    pub(crate) fn new(
        rule: &'r RuleIr,
        matcher: InterpretedRule,
        options: &'r GenOptions,
        seed: u64,
    ) -> Self {
        Gen {
            rule,
            oracle: Oracle::new(rule),
            matcher,
            options,
            seed,
            cases: Vec::new(),
            gaps: Vec::new(),
            produced: BTreeMap::new(),
            attempts: BTreeMap::new(),
            failed: BTreeMap::new(),
            enumerated: Vec::new(),
            n_cases: 1,
            used: std::collections::BTreeSet::new(),
        }
    }

    fn fields(&self) -> &'r [String] {
        &self.rule.fields
    }

    fn gap(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.gaps.push(Gap {
            what: what.into(),
            reason: reason.into(),
        });
    }

    pub(crate) fn run(&mut self) {
        match &self.rule.query {
            QueryIr::Event(f) => self.event_query(f),
            QueryIr::Sequence(s) => self.sequence(s),
            QueryIr::Sample(s) => self.sample(s),
        }
        for (kind, why) in std::mem::take(&mut self.failed) {
            if !self.produced.contains_key(&kind) {
                self.gap(kind.describe(), format!("near miss not produced: {why}"));
            }
        }
    }

    /// Solves `lits` (plus pins) so that the filter matches, trying candidate orders.
    fn solve_matching(
        &self,
        filter: &FilterIr,
        lits: &[Literal<'_>],
        pins: &[Pin],
    ) -> Result<Assignment, String> {
        let empty = Assignment::new();
        let mut last = String::new();
        for variant in 0..VARIANTS {
            let p = Problem {
                filter,
                lits,
                pins,
                fixed: &empty,
                hints: &empty,
                variant,
            };
            match solve(&self.oracle, &p) {
                Ok(asg) if self.oracle.filter_holds(filter, &asg) => return Ok(asg),
                Ok(_) => {
                    last = "filter check failed: the solved event does not match the filter"
                        .to_string()
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The solved branches of a filter (computed once per distinct filter).
    fn branches(&mut self, filter: &'r FilterIr, what: &str, max: usize) -> Solved<'r> {
        self.branches_with(filter, what, max, true)
    }

    /// [`Gen::branches`]; `cap_is_gap == false` for helper events (until, missing
    /// stages), which need a solvable branch, not coverage.
    fn branches_with(
        &mut self,
        filter: &'r FilterIr,
        what: &str,
        max: usize,
        cap_is_gap: bool,
    ) -> Solved<'r> {
        if let Some((_, s)) = self.enumerated.iter().find(|(f, _)| *f == filter) {
            return s.clone();
        }
        let seed = self.seed ^ (self.enumerated.len() as u64).wrapping_mul(0x9E37);
        let mut e = Enumerator::new(&filter.condition, self.fields(), seed, max);
        let result = e.run(max, 8, |b| self.solve_matching(filter, &b.lits, &[]));
        for g in result.gaps {
            if !cap_is_gap && g.reason == "branch cap reached" {
                continue;
            }
            let what = if what.is_empty() {
                g.what
            } else {
                format!("{what}: {}", g.what)
            };
            self.gaps.push(Gap {
                what,
                reason: g.reason,
            });
        }
        self.enumerated.push((filter, result.branches.clone()));
        result.branches
    }

    /// The events of a list of slots, in time order, with `@timestamp` (the first at
    /// [`EPOCH_MS`]), and each slot's event index.
    fn events(&self, slots: &[Slot<'_>]) -> (Vec<Json>, Vec<usize>) {
        let mut order: Vec<usize> = (0..slots.len()).collect();
        order.sort_by_key(|&i| slots[i].time);
        let shift = EPOCH_MS - slots.iter().map(|s| s.time).min().unwrap_or(EPOCH_MS);
        let mut pos = vec![0; slots.len()];
        let mut events = Vec::with_capacity(slots.len());
        for (k, &i) in order.iter().enumerate() {
            pos[i] = k;
            let mut map = to_json(self.fields(), &slots[i].asg);
            map.insert(
                "@timestamp".into(),
                Json::from(rule_runtime::time::format_millis(slots[i].time + shift)),
            );
            events.push(Json::Object(map));
        }
        (events, pos)
    }

    fn alerts(&self, events: &[Json]) -> Result<Vec<Vec<Option<usize>>>, String> {
        verify::alerts(
            &self.matcher,
            &self.rule.pipes,
            verify::reads_timestamp(self.rule),
            events,
        )
    }

    /// Verifies a matching case (stages: the query's stage kinds; one slot per positive
    /// stage) and keeps it; false (with a gap) when the alerts differ.
    fn add_match(&mut self, name: String, slots: &[Slot<'_>], kinds: &[StageKind]) -> bool {
        let (events, pos) = self.events(slots);
        let expect_row: Vec<Option<usize>> = (0..kinds.len())
            .map(|s| {
                slots
                    .iter()
                    .position(|sl| sl.stage == Some(s))
                    .map(|i| pos[i])
            })
            .collect();
        let expect = vec![expect_row];
        match self.alerts(&events) {
            Ok(got) if got == expect => {
                self.cases.push(Case {
                    name,
                    kind: CaseKind::Match,
                    events,
                    expect,
                });
                true
            }
            Ok(got) => {
                self.gap(
                    name,
                    format!("matching case not verified: expected alerts {expect:?}, the interpreter gave {got:?}"),
                );
                false
            }
            Err(e) => {
                self.gap(name, format!("matching case not verified: {e}"));
                false
            }
        }
    }

    /// Keeps a near miss if the interpreter raises no alert on it.
    fn try_near_miss(&mut self, kind: NearMissKind, name: String, slots: &[Slot<'_>]) -> bool {
        let (events, _) = self.events(slots);
        match self.alerts(&events) {
            Ok(got) if got.is_empty() => {
                self.cases.push(Case {
                    name: format!("near miss: {name}"),
                    kind: CaseKind::NearMiss(kind),
                    events,
                    expect: Vec::new(),
                });
                *self.produced.entry(kind).or_default() += 1;
                true
            }
            Ok(_) => {
                self.failed
                    .insert(kind, "every attempt still alerts".to_string());
                false
            }
            Err(e) => {
                self.failed.insert(kind, e);
                false
            }
        }
    }

    fn note_failure(&mut self, kind: NearMissKind, why: String) {
        self.failed.entry(kind).or_insert(why);
    }

    /// Whether a one-per-rule near-miss kind should still be tried.
    fn want(&mut self, kind: NearMissKind) -> bool {
        if !self.options.near_misses || self.produced.contains_key(&kind) {
            return false;
        }
        let a = self.attempts.entry(kind).or_default();
        *a += 1;
        *a <= KIND_TRIES
    }

    // ---------------------------------------------------------------------------------
    // Near misses that change one event
    // ---------------------------------------------------------------------------------

    /// A literal of slot `si` flipped (positive → must fail: an atom broken; negative →
    /// must hold: an exclusion hit), its fields solved again, the rest kept.
    fn flip(
        &self,
        slots: &[Slot<'r>],
        si: usize,
        li: usize,
        variant: usize,
    ) -> Result<(Vec<Slot<'r>>, String), String> {
        let slot = &slots[si];
        if li == slot.lits.len() {
            // The category itself.
            let c = slot.filter.category.as_deref().unwrap_or("");
            let other = if c == "process" { "file" } else { "process" };
            let mut out = slots.to_vec();
            out[si]
                .asg
                .insert(self.rule.category_field, vec![Json::from(other)]);
            return Ok((out, format!("category {c:?} changed to {other:?}")));
        }
        let lit = slot.lits[li];
        let n = alternatives(lit.leaf);
        let flipped = Literal {
            leaf: lit.leaf,
            positive: !lit.positive,
            choice: (!lit.positive && n > 1).then_some(variant % n),
        };
        let fs = leaf_fields(lit.leaf);
        let mut fixed = slot.asg.clone();
        let mut hints = Assignment::new();
        for f in &fs {
            if let Some(v) = fixed.remove(f) {
                hints.insert(*f, v);
            }
        }
        let mut lits = slot.lits.clone();
        lits[li] = flipped;
        let p = Problem {
            filter: slot.filter,
            lits: &lits,
            pins: &slot.pins,
            fixed: &fixed,
            hints: &hints,
            variant,
        };
        let asg = solve(&self.oracle, &p)?;
        let shown = fs
            .iter()
            .take(2)
            .map(|f| {
                format!(
                    "{} = {}",
                    field_name(self.fields(), *f),
                    show_values(asg.get(f))
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut out = slots.to_vec();
        out[si].asg = asg;
        out[si].lits = lits;
        Ok((
            out,
            format!(
                "{} (now {shown})",
                describe_literal(self.fields(), lit.leaf, lit.positive, lit.choice)
            ),
        ))
    }

    /// How many atom (or exclusion) near misses each matching case should give.
    fn per_case(&self) -> usize {
        ATOMS_PER_RULE.div_ceil(self.n_cases.max(1)).max(1)
    }

    /// Atom near misses for matching case `case_i`: literals of the given polarity (and,
    /// for atoms, the category) tried round-robin from an offset, skipping literals
    /// already used by an earlier case and trying generic fields (`host.os.*`,
    /// `event.*`) last.
    fn atom_near_miss(&mut self, slots: &[Slot<'r>], case_i: usize, positive: bool) {
        let kind = if positive {
            NearMissKind::AtomBroken
        } else {
            NearMissKind::ExclusionHit
        };
        let generic = |l: &Literal<'_>| {
            leaf_fields(l.leaf).iter().all(|f| {
                let p = field_name(self.fields(), *f);
                ["host.os.", "event.", "data_stream.", "agent.", "ecs."]
                    .iter()
                    .any(|g| p.starts_with(g))
            })
        };
        // A literal over join-key fields only cannot change without changing the key
        // (that is the join-key near miss).
        let pinned_only = |s: &Slot<'_>, l: &Literal<'_>| {
            let fs = leaf_fields(l.leaf);
            !fs.is_empty() && fs.iter().all(|f| s.pins.iter().any(|(p, _)| p == f))
        };
        let mut atoms: Vec<(usize, usize)> = Vec::new();
        for pass in [false, true] {
            for (si, s) in slots.iter().enumerate() {
                for (li, l) in s.lits.iter().enumerate() {
                    if l.positive == positive && generic(l) == pass && !pinned_only(s, l) {
                        atoms.push((si, li));
                    }
                }
            }
        }
        let n_cond = atoms.len();
        if positive {
            for (si, s) in slots.iter().enumerate() {
                if s.filter.category.is_some() {
                    atoms.push((si, s.lits.len()));
                }
            }
        }
        if atoms.is_empty() {
            return;
        }
        let n_stages = slots.len();
        let start = if n_cond > 0 { case_i % n_cond } else { 0 };
        let want = self.per_case();
        let mut made = 0;
        let mut tries = 0;
        for k in 0..atoms.len() {
            if made >= want || tries >= ATOM_TRIES + want {
                break;
            }
            let (si, li) = atoms[(start + k) % atoms.len()];
            let key = match slots[si].lits.get(li) {
                Some(l) => format!(
                    "{:?} {positive} {}",
                    slots[si].stage,
                    describe_literal(self.fields(), l.leaf, l.positive, l.choice)
                ),
                None => format!("{:?} category", slots[si].stage),
            };
            if self.used.contains(&key) {
                continue;
            }
            tries += 1;
            match self.flip(slots, si, li, case_i + k) {
                Ok((changed, what)) => {
                    let noun = if positive {
                        "atom broken"
                    } else {
                        "exclusion hit"
                    };
                    let name = format!("{noun}{}: {what}", stage_word(slots[si].stage, n_stages));
                    if self.try_near_miss(kind, name, &changed) {
                        self.used.insert(key);
                        made += 1;
                    }
                }
                Err(e) => self.note_failure(kind, format!("cannot solve the changed event: {e}")),
            }
        }
    }

    /// An exclusion hit: a top-level `not (…)` conjunct of one event's filter made true
    /// (its negated literals replaced by a branch of the excluded condition), the rest
    /// kept. Returns whether one was produced.
    fn exclusion_near_miss(&mut self, slots: &[Slot<'r>], case_i: usize) -> bool {
        let kind = NearMissKind::ExclusionHit;
        let mut excluded: Vec<(usize, &'r Cond)> = Vec::new();
        for (si, s) in slots.iter().enumerate() {
            let conj: Vec<&'r Cond> = match &s.filter.condition {
                Cond::And(xs) => xs.iter().collect(),
                c => vec![c],
            };
            for c in conj {
                if let Cond::Not(x) = c {
                    excluded.push((si, &**x));
                }
            }
        }
        let n_stages = slots.len();
        let want = self.per_case();
        let mut made = 0;
        let mut tries = 0;
        for k in 0..excluded.len() {
            if made >= want || tries >= EXCLUSION_TRIES + want {
                break;
            }
            let (si, x) = excluded[(case_i + k) % excluded.len()];
            let key = format!("{si} exclusion {}", x as *const Cond as usize);
            if self.used.contains(&key) {
                continue;
            }
            tries += 1;
            let slot = &slots[si];
            let mut inside: Vec<&Leaf> = Vec::new();
            cond_leaves(x, &mut inside);
            let kept: Vec<Literal<'r>> = slot
                .lits
                .iter()
                .copied()
                .filter(|l| !inside.contains(&l.leaf))
                .collect();
            let seed = self.seed ^ 0x5EED ^ k as u64;
            let mut e = Enumerator::new(x, self.fields(), seed, 4);
            let found = e.run(3, 1, |b| {
                let mut lits = kept.clone();
                lits.extend(b.lits.iter().copied());
                // The excluded condition's fields are solved again with every literal.
                let mut fixed = slot.asg.clone();
                for l in &b.lits {
                    for f in leaf_fields(l.leaf) {
                        fixed.remove(&f);
                    }
                }
                let p = Problem {
                    filter: slot.filter,
                    lits: &lits,
                    pins: &slot.pins,
                    fixed: &fixed,
                    hints: &Assignment::new(),
                    variant: case_i,
                };
                solve(&self.oracle, &p).map(|asg| (asg, lits))
            });
            for (b, (asg, lits)) in found.branches {
                let mut changed = slots.to_vec();
                changed[si].asg = asg;
                changed[si].lits = lits;
                let name = format!(
                    "exclusion hit{}: not ({}) made true by {}",
                    stage_word(slot.stage, n_stages),
                    describe_cond(self.fields(), x),
                    b.label
                );
                if self.try_near_miss(kind, name, &changed) {
                    self.used.insert(key);
                    made += 1;
                    break;
                }
            }
            if let Some(g) = found.gaps.first() {
                self.note_failure(
                    kind,
                    format!("cannot solve the excluded condition: {}", g.reason),
                );
            }
        }
        made > 0
    }

    fn case_near_miss(&mut self, slots: &[Slot<'r>]) {
        let kind = NearMissKind::CaseChanged;
        if !self.want(kind) {
            return;
        }
        let n_stages = slots.len();
        for (si, s) in slots.iter().enumerate() {
            for l in &s.lits {
                if !case_sensitive(l) {
                    continue;
                }
                let fs = leaf_fields(l.leaf);
                let [f] = fs.as_slice() else { continue };
                let Some(vals) = s.asg.get(f) else { continue };
                let swapped: Vec<Json> = vals
                    .iter()
                    .map(|v| match v {
                        Json::String(t) => Json::from(swap_case(t)),
                        v => v.clone(),
                    })
                    .collect();
                if &swapped == vals {
                    continue;
                }
                let mut changed = slots.to_vec();
                changed[si].asg.insert(*f, swapped.clone());
                let name = format!(
                    "case changed{}: {} ({} → {})",
                    stage_word(s.stage, n_stages),
                    describe_literal(self.fields(), l.leaf, l.positive, l.choice),
                    show_values(Some(vals)),
                    show_values(Some(&swapped))
                );
                if self.try_near_miss(kind, name, &changed) {
                    return;
                }
            }
        }
        self.note_failure(
            kind,
            "no case-sensitive comparison on a value with letters".into(),
        );
    }

    /// The join key at `k` changed in the last slot's event.
    fn key_near_miss(
        &mut self,
        slots: &[Slot<'r>],
        keys: &[(usize, &'r StageIr)],
        values: &[Json],
    ) {
        let kind = NearMissKind::JoinKeyChanged;
        // With one positive stage the key joins nothing.
        if values.is_empty() || slots.len() < 2 || !self.want(kind) {
            return;
        }
        let Some(si) = slots.len().checked_sub(1) else {
            return;
        };
        let Some(&(_, stage)) = keys.get(si) else {
            return;
        };
        for (k, v) in values.iter().enumerate() {
            let Some(key) = stage.keys.get(k) else {
                continue;
            };
            let new = changed_key(v);
            let slot = &slots[si];
            let mut fixed = slot.asg.clone();
            fixed.remove(&key.field);
            let pins: Vec<Pin> = slot
                .pins
                .iter()
                .map(|(f, pv)| {
                    if *f == key.field {
                        (*f, Some(new.clone()))
                    } else {
                        (*f, pv.clone())
                    }
                })
                .collect();
            let p = Problem {
                filter: slot.filter,
                lits: &slot.lits,
                pins: &pins,
                fixed: &fixed,
                hints: &Assignment::new(),
                variant: 0,
            };
            match solve(&self.oracle, &p) {
                Ok(asg) => {
                    let mut changed = slots.to_vec();
                    changed[si].asg = asg;
                    changed[si].pins = pins;
                    let name = format!(
                        "join key {} changed in stage {}: {} = {} instead of {}",
                        k + 1,
                        slot.stage.map_or(0, |s| s + 1),
                        field_name(self.fields(), key.field),
                        short(&new),
                        short(v)
                    );
                    if self.try_near_miss(kind, name, &changed) {
                        return;
                    }
                }
                Err(e) => self.note_failure(kind, format!("cannot solve the changed event: {e}")),
            }
        }
    }

    fn common_near_misses(&mut self, slots: &[Slot<'r>], case_i: usize) {
        if !self.options.near_misses {
            return;
        }
        self.atom_near_miss(slots, case_i, true);
        if !self.exclusion_near_miss(slots, case_i) {
            self.atom_near_miss(slots, case_i, false);
        }
        self.case_near_miss(slots);
    }

    // ---------------------------------------------------------------------------------
    // Event queries
    // ---------------------------------------------------------------------------------

    fn event_query(&mut self, filter: &'r FilterIr) {
        let max = self.options.max_branches.max(1);
        let solved = self.branches(filter, "", max);
        self.n_cases = solved.len();
        for (i, (b, asg)) in solved.into_iter().enumerate() {
            let slots = vec![Slot {
                filter,
                lits: b.lits.clone(),
                pins: Vec::new(),
                asg,
                time: EPOCH_MS,
                stage: Some(0),
            }];
            let name = format!("match: branch {} ({})", i + 1, b.label);
            if self.add_match(name, &slots, &[StageKind::Positive]) {
                self.common_near_misses(&slots, i);
            }
        }
    }

    // ---------------------------------------------------------------------------------
    // Sequences and samples
    // ---------------------------------------------------------------------------------

    /// Per stage (in `stages`), its solved branches; `None` (with gaps) if a stage has
    /// none.
    fn stage_branches(
        &mut self,
        stages: &[(usize, &'r StageIr)],
        max: usize,
    ) -> Option<Vec<Solved<'r>>> {
        let mut out = Vec::new();
        let mut ok = true;
        for &(s, st) in stages {
            let b = self.branches(&st.filter, &format!("stage {}", s + 1), max);
            if b.is_empty() {
                self.gap(
                    format!("stage {}", s + 1),
                    "no matching case: a stage has no solvable branch",
                );
                ok = false;
            }
            out.push(b);
        }
        ok.then_some(out)
    }

    /// Join-key values to try: from the stages' own solutions, then plausible ones.
    fn key_candidates(
        &self,
        stages: &[(usize, &'r StageIr)],
        chosen: &[&(Branch<'r>, Assignment)],
    ) -> Vec<Vec<Json>> {
        let nkeys = stages.first().map_or(0, |(_, s)| s.keys.len());
        (0..nkeys)
            .map(|k| {
                let mut c: Vec<Json> = Vec::new();
                for (j, (_, st)) in stages.iter().enumerate() {
                    if let Some(key) = st.keys.get(k) {
                        if let Some(v) = chosen[j].1.get(&key.field).and_then(|v| v.first()) {
                            if !c.contains(v) {
                                c.push(v.clone());
                            }
                        }
                    }
                }
                if let Some(key) = stages[0].1.keys.get(k) {
                    for p in plausible_values(field_name(self.fields(), key.field)) {
                        if !c.contains(&p) {
                            c.push(p);
                        }
                    }
                }
                c
            })
            .collect()
    }

    /// One matching case over the given stages: every stage's event solved with the
    /// join-key pins. Returns the slots (times unset) and the key values.
    fn solve_joined(
        &mut self,
        stages: &[(usize, &'r StageIr)],
        chosen: &[&(Branch<'r>, Assignment)],
    ) -> Result<(Vec<Slot<'r>>, Vec<Json>), String> {
        let cands = self.key_candidates(stages, chosen);
        let tries = cands.iter().map(Vec::len).max().unwrap_or(1).clamp(1, 4);
        let mut last = String::new();
        for t in 0..tries {
            let values: Vec<Json> = cands.iter().map(|c| c[t % c.len()].clone()).collect();
            let mut slots = Vec::new();
            let mut failed = None;
            for (j, &(s, st)) in stages.iter().enumerate() {
                let pins: Vec<Pin> = st
                    .keys
                    .iter()
                    .zip(&values)
                    .map(|(k, v)| (k.field, Some(v.clone())))
                    .collect();
                let lits = &chosen[j].0.lits;
                // `with runs=N`: the same filter, branch and pins as the previous stage.
                if let Some(prev) = slots.last() {
                    let prev: &Slot<'r> = prev;
                    if prev.filter == &st.filter && prev.pins == pins && same_lits(&prev.lits, lits)
                    {
                        let mut again = prev.clone();
                        again.stage = Some(s);
                        slots.push(again);
                        continue;
                    }
                }
                match self.solve_matching(&st.filter, lits, &pins) {
                    Ok(asg) => slots.push(Slot {
                        filter: &st.filter,
                        lits: lits.clone(),
                        pins,
                        asg,
                        time: 0,
                        stage: Some(s),
                    }),
                    Err(e) => {
                        failed = Some(format!("stage {}: {e}", s + 1));
                        break;
                    }
                }
            }
            match failed {
                None => return Ok((slots, values)),
                Some(e) => last = e,
            }
        }
        Err(format!("join keys conflict with a stage: {last}"))
    }

    /// A slot for an extra event (until, missing stage) with the join keys pinned.
    fn extra_slot(
        &mut self,
        stage: &'r StageIr,
        what: &str,
        values: &[Json],
        time: i64,
    ) -> Result<Slot<'r>, String> {
        let solved = self.branches_with(&stage.filter, what, 4, false);
        let pins: Vec<Pin> = stage
            .keys
            .iter()
            .zip(values)
            .map(|(k, v)| (k.field, Some(v.clone())))
            .collect();
        let mut last = format!("{what} has no solvable branch");
        for (b, _) in &solved {
            match self.solve_matching(&stage.filter, &b.lits, &pins) {
                Ok(asg) => {
                    return Ok(Slot {
                        filter: &stage.filter,
                        lits: b.lits.clone(),
                        pins,
                        asg,
                        time,
                        stage: None,
                    })
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn sequence(&mut self, seq: &'r SequenceIr) {
        let max = self.options.max_branches.max(1);
        let kinds: Vec<StageKind> = seq.stages.iter().map(|s| s.kind).collect();
        let positive: Vec<(usize, &'r StageIr)> = seq
            .stages
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == StageKind::Positive)
            .collect();
        let Some(solved) = self.stage_branches(&positive, max) else {
            return;
        };
        let n_cases = solved.iter().map(Vec::len).max().unwrap_or(0).min(max);
        self.n_cases = n_cases;
        let n = seq.stages.len() as i64;
        let step: i64 = match seq.maxspan_ms {
            Some(m) => (m / (n as u64 + 1)).min(1000) as i64,
            None => 1000,
        };
        let time_of = |s: usize| EPOCH_MS + (s as i64 + 1) * step;
        for i in 0..n_cases {
            let chosen: Vec<&(Branch<'r>, Assignment)> =
                solved.iter().map(|b| &b[i % b.len()]).collect();
            let label = group_labels(
                "stage",
                chosen
                    .iter()
                    .zip(&positive)
                    .map(|((b, _), (s, _))| (*s, b.label.as_str())),
            );
            let name = format!("match: sequence {} ({label})", i + 1);
            let (mut slots, values) = match self.solve_joined(&positive, &chosen) {
                Ok(x) => x,
                Err(e) => {
                    self.gap(name, e);
                    continue;
                }
            };
            for s in &mut slots {
                s.time = time_of(s.stage.unwrap_or(0));
            }
            if !self.add_match(name, &slots, &kinds) {
                continue;
            }
            self.common_near_misses(&slots, i);
            if self.options.near_misses {
                self.key_near_miss(&slots, &positive, &values);
                self.sequence_near_misses(seq, &slots, &values, step, &time_of);
            }
        }
    }

    fn sequence_near_misses(
        &mut self,
        seq: &'r SequenceIr,
        slots: &[Slot<'r>],
        values: &[Json],
        step: i64,
        time_of: &dyn Fn(usize) -> i64,
    ) {
        let np = slots.len();
        // Two stages swapped.
        if np >= 2 && self.want(NearMissKind::StagesSwapped) {
            let mut done = false;
            // Stages with the same filter and keys (`with runs=N`) accept each other's
            // events: swapping them changes nothing, so they are not tried.
            let pairs: Vec<usize> = (0..np - 1)
                .filter(|&a| {
                    slots[a].filter != slots[a + 1].filter || slots[a].pins != slots[a + 1].pins
                })
                .take(SWAP_TRIES)
                .collect();
            for a in pairs {
                let mut changed = slots.to_vec();
                let (ta, tb) = (changed[a].time, changed[a + 1].time);
                changed[a].time = tb;
                changed[a + 1].time = ta;
                changed.swap(a, a + 1);
                let name = format!(
                    "stages {} and {} swapped",
                    slots[a].stage.map_or(0, |s| s + 1),
                    slots[a + 1].stage.map_or(0, |s| s + 1)
                );
                if self.try_near_miss(NearMissKind::StagesSwapped, name, &changed) {
                    done = true;
                    break;
                }
            }
            if !done {
                self.note_failure(
                    NearMissKind::StagesSwapped,
                    "every swap still alerts (the stages accept each other's events, or are identical)".into(),
                );
            }
        }
        // maxspan exceeded by exactly 1 ms.
        if let Some(m) = seq.maxspan_ms {
            if np >= 2 && self.want(NearMissKind::MaxspanExceeded) {
                let span = m as i64 + 1;
                let mut changed = slots.to_vec();
                for (r, s) in changed.iter_mut().enumerate() {
                    s.time = EPOCH_MS + span * r as i64 / (np as i64 - 1);
                }
                let name = format!(
                    "maxspan exceeded by 1 ms (first to last event {span} ms, maxspan {m} ms)"
                );
                self.try_near_miss(NearMissKind::MaxspanExceeded, name, &changed);
            }
        }
        // An until event between the first two positive events.
        if let Some(until) = &seq.until {
            if np >= 2 && self.want(NearMissKind::UntilInserted) {
                let (t0, t1) = (slots[0].time, slots[1].time);
                let t = if t1 - t0 >= 2 { t0 + (t1 - t0) / 2 } else { t0 };
                match self.extra_slot(until, "until", values, t) {
                    Ok(u) => {
                        let mut changed = slots.to_vec();
                        changed.insert(1, u);
                        let name = format!(
                            "until event inserted between stages {} and {} (same join keys)",
                            slots[0].stage.map_or(0, |s| s + 1),
                            slots[1].stage.map_or(0, |s| s + 1)
                        );
                        self.try_near_miss(NearMissKind::UntilInserted, name, &changed);
                    }
                    Err(e) => self.note_failure(
                        NearMissKind::UntilInserted,
                        format!("cannot solve the until event: {e}"),
                    ),
                }
            }
        }
        // A missing-stage event present in its window.
        let missing: Vec<usize> = seq
            .stages
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == StageKind::Missing)
            .map(|(i, _)| i)
            .collect();
        if !missing.is_empty() && step >= 1 && self.want(NearMissKind::MissingPresent) {
            let first_pos = slots.iter().filter_map(|s| s.stage).min().unwrap_or(0);
            let last_pos = slots.iter().filter_map(|s| s.stage).max().unwrap_or(0);
            let leading: Vec<usize> = missing.iter().copied().filter(|&m| m < first_pos).collect();
            let trailing: Vec<usize> = missing.iter().copied().filter(|&m| m > last_pos).collect();
            for &m in &missing {
                let mut extra = vec![m];
                if leading.contains(&m) {
                    if let Some(&t) = trailing.first() {
                        extra.push(t);
                    }
                } else if trailing.contains(&m) {
                    if let Some(&l) = leading.last() {
                        extra.push(l);
                    }
                }
                let mut changed = slots.to_vec();
                let mut ok = true;
                for &e in &extra {
                    match self.extra_slot(
                        &seq.stages[e],
                        &format!("stage {}", e + 1),
                        values,
                        time_of(e),
                    ) {
                        Ok(s) => changed.push(s),
                        Err(err) => {
                            self.note_failure(
                                NearMissKind::MissingPresent,
                                format!("cannot solve the missing-stage event: {err}"),
                            );
                            ok = false;
                        }
                    }
                }
                if !ok {
                    continue;
                }
                let name = format!(
                    "missing-stage event present inside the window (stage {}{})",
                    m + 1,
                    if extra.len() > 1 {
                        format!(", with stage {}", extra[1] + 1)
                    } else {
                        String::new()
                    }
                );
                if self.try_near_miss(NearMissKind::MissingPresent, name, &changed) {
                    break;
                }
            }
        }
    }

    fn sample(&mut self, sample: &'r SampleIr) {
        let max = self.options.max_branches.max(1);
        let kinds: Vec<StageKind> = sample.stages.iter().map(|_| StageKind::Positive).collect();
        let stages: Vec<(usize, &'r StageIr)> = sample.stages.iter().enumerate().collect();
        let Some(solved) = self.stage_branches(&stages, max) else {
            return;
        };
        let n_cases = solved.iter().map(Vec::len).max().unwrap_or(0).min(max);
        self.n_cases = n_cases;
        for i in 0..n_cases {
            let chosen: Vec<&(Branch<'r>, Assignment)> =
                solved.iter().map(|b| &b[i % b.len()]).collect();
            let label = group_labels(
                "filter",
                chosen
                    .iter()
                    .enumerate()
                    .map(|(s, (b, _))| (s, b.label.as_str())),
            );
            let name = format!("match: sample {} ({label})", i + 1);
            let (mut slots, values) = match self.solve_joined(&stages, &chosen) {
                Ok(x) => x,
                Err(e) => {
                    self.gap(name, e);
                    continue;
                }
            };
            for (j, s) in slots.iter_mut().enumerate() {
                s.time = EPOCH_MS + j as i64 * 1000;
            }
            if !self.add_match(name, &slots, &kinds) {
                continue;
            }
            self.common_near_misses(&slots, i);
            if self.options.near_misses {
                self.key_near_miss(&slots, &stages, &values);
            }
        }
    }
}
