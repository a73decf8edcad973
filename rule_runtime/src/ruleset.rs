//! A compiled rule set, as generated code declares it ([`RuleSetSpec`]: static tables and
//! one evaluation function per rule) and as it runs ([`RuleSet`]: the literal index of
//! the rules selected, and the dispatch from the atoms an event makes true to the rules
//! that can match it).
//!
//! Per event:
//! 1. every group of the index that holds an atom of some selected rule's *first*
//!    required disjunction is evaluated (one hash lookup per value for all exact literals
//!    of a field, one needle pass and two trie walks for all its wildcard patterns);
//! 2. a rule is a candidate when an atom of its first required disjunction holds (the
//!    compiler derives, from each rule's condition, up to three disjunctions of atoms
//!    that every match satisfies, the most selective first), or when it has none (rules
//!    of `any where` a function call, say); a candidate whose other disjunctions (its
//!    category, its OS, say) do not all have an atom that holds is dropped, their
//!    groups evaluated on first use;
//! 3. each candidate's generated function evaluates the rest of its logic, reading atoms
//!    from the index (groups not evaluated yet are evaluated on first use) and testing
//!    what is not an atom (ranges, functions, regexes) directly; its stage hits and join
//!    keys go to [`SetHits`], in rule order.
//!
//! An event that makes no required atom true costs the eager groups of the fields it has
//! and nothing else: no rule function runs, nothing is allocated.

use std::borrow::Cow;
use std::sync::Arc;

use crate::alert::RuleInfo;
use crate::engine::{EventTime, Pipe, RuleEntry};
use crate::fields::{EventView, FieldTable};
use crate::index::{AtomSpec, AtomState, Index};
use crate::options::MatcherOptions;
use crate::sequence::StageKind;
use crate::state::{new_state, SetHits, StageHits};
use crate::time::TimeFields;
use crate::value::Value;

/// What kind of query a rule is, with what its state machine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// An event query.
    Event,
    /// A sequence: its stages (`runs` expanded) and `maxspan`.
    Sequence {
        stages: Cow<'static, [StageKind]>,
        maxspan_ms: Option<u64>,
    },
    /// A sample with this many filters.
    Sample { filters: usize },
}

impl Shape {
    /// `event`, `sequence` or `sample`.
    pub fn kind(&self) -> &'static str {
        match self {
            Shape::Event => "event",
            Shape::Sequence { .. } => "sequence",
            Shape::Sample { .. } => "sample",
        }
    }

    /// Whether the rule keeps state between events.
    pub fn is_stateful(&self) -> bool {
        !matches!(self, Shape::Event)
    }
}

/// A rule's evaluation function: the stages the event matches, with their keys.
pub type EvalFn = fn(&mut Ctx<'_>, &mut StageHits);

/// One compiled rule, as generated code declares it.
pub struct RuleSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: &'static str,
    /// The rule file's name.
    pub file: &'static str,
    /// What its alerts say about it.
    pub info: fn() -> RuleInfo,
    pub shape: Shape,
    pub pipes: &'static [Pipe],
    /// Slots of every field the rule reads.
    pub fields: &'static [u32],
    /// Every atom the rule's functions test.
    pub atoms: &'static [u32],
    /// Disjunctions of atoms, each satisfied by every event the rule can match, the most
    /// selective first: the rule is evaluated only when every one of them has an atom
    /// that holds. `None` when the compiler found none (the rule is evaluated on every
    /// event).
    pub required: Option<&'static [&'static [u32]]>,
    pub evaluate: EvalFn,
}

impl std::fmt::Debug for RuleSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSpec")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("file", &self.file)
            .field("shape", &self.shape)
            .finish_non_exhaustive()
    }
}

/// What `eqlc rules` lists about a compiled rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSummary {
    pub id: &'static str,
    pub name: &'static str,
    /// `event`, `sequence` or `sample`.
    pub kind: &'static str,
    pub severity: &'static str,
    /// The rule file's name.
    pub file: &'static str,
}

impl RuleSpec {
    pub fn summary(&self) -> RuleSummary {
        RuleSummary {
            id: self.id,
            name: self.name,
            kind: self.shape.kind(),
            severity: self.severity,
            file: self.file,
        }
    }
}

/// What the proc-macro built a rule set from (`include_rules!` emits `BUILD_INFO`).
#[derive(Debug, Clone, Copy)]
pub struct BuildInfo {
    /// The rule files read (rule files only, not test streams).
    pub files: usize,
    /// A hash of the rule files' names and contents (FNV-1a, 64 bits, hex): two builds
    /// from the same rules have the same hash.
    pub hash: &'static str,
    /// The rendered diagnostics of the rules that did not compile. Empty unless the
    /// macro was told to be lenient (`include_rules!(lenient)`), in which case the rule
    /// set is empty and these say why; otherwise such rules fail the build.
    pub errors: &'static [&'static str],
}

impl BuildInfo {
    /// Whether the rules compiled (the rule set holds them).
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// A compiled rule set, as generated code declares it.
#[derive(Debug)]
pub struct RuleSetSpec {
    /// The field table: every field path some rule reads, sorted; slot `i` is
    /// `fields[i]`.
    pub fields: &'static [&'static str],
    /// Every distinct atom of every rule.
    pub atoms: &'static [AtomSpec],
    /// The rules, sorted by file name.
    pub rules: &'static [RuleSpec],
}

/// What a rule's function reads: the event, and the atoms of the index (evaluated on
/// first use).
pub struct Ctx<'a> {
    event: EventView<'a>,
    index: &'a Index,
    atoms: &'a mut AtomState,
}

impl<'a> Ctx<'a> {
    /// The event.
    #[inline]
    pub fn event(&self) -> EventView<'a> {
        self.event
    }

    /// Whether `atom` holds for the event.
    #[inline]
    pub fn atom(&mut self, atom: u32) -> bool {
        if self.atoms.get(atom) {
            return true;
        }
        match self.index.group_of(atom) {
            Some(g) if !self.atoms.group_done(g) => {
                self.index.eval_group(g, self.event, self.atoms);
                self.atoms.get(atom)
            }
            _ => false,
        }
    }

    /// Whether any of `atoms` holds.
    #[inline]
    pub fn any(&mut self, atoms: &[u32]) -> bool {
        atoms.iter().any(|&a| self.atom(a))
    }
}

/// Per-thread scratch space of a [`RuleSet`]: which atoms hold, which rules are
/// candidates. Reused from event to event.
#[derive(Debug)]
pub struct Scratch {
    atoms: AtomState,
    /// Per rule: the event (generation) it was last made a candidate for.
    rule_stamps: Vec<u32>,
    generation: u32,
    candidates: Vec<u32>,
}

/// A compiled rule set ready to run: the rules selected, their literal index, the field
/// table the events are projected onto (the selected rules' fields and the time fields).
#[derive(Debug)]
pub struct RuleSet {
    spec: &'static RuleSetSpec,
    selected: Vec<usize>,
    table: FieldTable,
    index: Index,
    /// For each atom, the (selected) rules whose first required disjunction holds it, by
    /// position in `selected`.
    atom_rules: Vec<Vec<u32>>,
    /// Per selected rule: its other required disjunctions, checked (lazily) once the
    /// first holds.
    filters: Vec<&'static [&'static [u32]]>,
    /// Rules without a required disjunction, by position in `selected`.
    always: Vec<u32>,
    /// Groups that hold a required atom.
    eager: Vec<u32>,
    timestamp_slot: usize,
    tiebreaker_slot: Option<usize>,
    time: TimeFields,
}

impl RuleSet {
    /// The rules of `spec` for which `select` is true, reading time from `time`'s fields.
    pub fn new(
        spec: &'static RuleSetSpec,
        select: impl Fn(&RuleSpec) -> bool,
        time: &TimeFields,
    ) -> RuleSet {
        let selected: Vec<usize> = (0..spec.rules.len())
            .filter(|&i| select(&spec.rules[i]))
            .collect();
        let mut wanted_fields = vec![false; spec.fields.len()];
        let mut wanted_atoms = vec![false; spec.atoms.len()];
        for &r in &selected {
            let rule = &spec.rules[r];
            for &f in rule.fields {
                if let Some(w) = wanted_fields.get_mut(f as usize) {
                    *w = true;
                }
            }
            for &a in rule.atoms {
                if let Some(w) = wanted_atoms.get_mut(a as usize) {
                    *w = true;
                }
            }
        }
        let mut table = FieldTable::with_slots(spec.fields, &wanted_fields);
        let timestamp_slot = table.push(&time.timestamp);
        let tiebreaker_slot = time.tiebreaker.as_deref().map(|t| table.push(t));
        let index = Index::new(spec.atoms, &wanted_atoms);
        let mut atom_rules = vec![Vec::new(); spec.atoms.len()];
        let mut filters = Vec::with_capacity(selected.len());
        let mut always = Vec::new();
        let mut eager_groups = vec![false; index.groups()];
        for (pos, &r) in selected.iter().enumerate() {
            match spec.rules[r].required {
                Some([first, rest @ ..]) => {
                    filters.push(rest);
                    for &a in *first {
                        if let Some(list) = atom_rules.get_mut(a as usize) {
                            list.push(pos as u32);
                        }
                        if let Some(g) = index.group_of(a) {
                            eager_groups[g as usize] = true;
                        }
                    }
                }
                _ => {
                    filters.push(&[]);
                    always.push(pos as u32);
                }
            }
        }
        let eager = (0..index.groups() as u32)
            .filter(|&g| eager_groups[g as usize])
            .collect();
        RuleSet {
            spec,
            selected,
            table,
            index,
            atom_rules,
            filters,
            always,
            eager,
            timestamp_slot,
            tiebreaker_slot,
            time: time.clone(),
        }
    }

    /// Every rule of `spec`.
    pub fn all(spec: &'static RuleSetSpec, time: &TimeFields) -> RuleSet {
        RuleSet::new(spec, |_| true, time)
    }

    /// The field table events are projected onto.
    pub fn table(&self) -> &FieldTable {
        &self.table
    }

    /// The selected rules, in order (rule `i` of [`SetHits`] is the `i`-th).
    pub fn rules(&self) -> impl Iterator<Item = &'static RuleSpec> + '_ {
        let spec = self.spec;
        self.selected.iter().map(move |&r| &spec.rules[r])
    }

    /// The number of selected rules.
    pub fn len(&self) -> usize {
        self.selected.len()
    }

    /// Whether no rule is selected.
    pub fn is_empty(&self) -> bool {
        self.selected.is_empty()
    }

    /// The number of atoms indexed and of index groups (for reports).
    pub fn index_size(&self) -> (usize, usize) {
        (
            self.selected
                .iter()
                .flat_map(|&r| self.spec.rules[r].atoms)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            self.index.groups(),
        )
    }

    /// The state of every selected rule, with its pipes, for the engine.
    pub fn states<E: Clone + 'static>(
        &self,
        options: &MatcherOptions,
    ) -> Result<Vec<RuleEntry<E>>, String> {
        self.rules()
            .map(|r| {
                let state = new_state(Arc::new((r.info)()), &r.shape, options)
                    .map_err(|e| format!("{}: {e}", r.file))?;
                Ok((state, r.pipes.to_vec()))
            })
            .collect()
    }

    /// Scratch space for [`RuleSet::evaluate`] (one per thread).
    pub fn scratch(&self) -> Scratch {
        Scratch {
            atoms: AtomState::new(&self.index),
            rule_stamps: vec![0; self.selected.len()],
            generation: 0,
            candidates: Vec::new(),
        }
    }

    /// The event's time, read from its projected time fields.
    pub fn time(&self, event: EventView<'_>) -> EventTime {
        let ts = self
            .time
            .timestamp_of(event.slot(self.timestamp_slot).iter())?;
        let tb = self
            .tiebreaker_slot
            .and_then(|s| TimeFields::tiebreaker_of(event.slot(s).iter()));
        Ok((ts, tb))
    }

    /// Evaluates every selected rule that can match `event`: their stage hits go to
    /// `hits` (cleared first), in rule order.
    pub fn evaluate(&self, event: EventView<'_>, scratch: &mut Scratch, hits: &mut SetHits) {
        hits.clear();
        scratch.atoms.reset();
        scratch.generation = scratch.generation.wrapping_add(1);
        if scratch.generation == 0 {
            scratch.rule_stamps.iter_mut().for_each(|s| *s = 0);
            scratch.generation = 1;
        }
        for &g in &self.eager {
            if !scratch.atoms.group_done(g) {
                self.index.eval_group(g, event, &mut scratch.atoms);
            }
        }
        scratch.candidates.clear();
        for &a in scratch.atoms.hits() {
            if let Some(rules) = self.atom_rules.get(a as usize) {
                for &r in rules {
                    if scratch.rule_stamps[r as usize] != scratch.generation {
                        scratch.rule_stamps[r as usize] = scratch.generation;
                        scratch.candidates.push(r);
                    }
                }
            }
        }
        scratch.candidates.extend_from_slice(&self.always);
        scratch.candidates.sort_unstable();
        let mut candidates = std::mem::take(&mut scratch.candidates);
        let mut ctx = Ctx {
            event,
            index: &self.index,
            atoms: &mut scratch.atoms,
        };
        // The other required disjunctions, each of which must have an atom that holds.
        candidates.retain(|&pos| {
            self.filters[pos as usize]
                .iter()
                .all(|disjunction| ctx.any(disjunction))
        });
        for &pos in &candidates {
            let rule = &self.spec.rules[self.selected[pos as usize]];
            let stage_hits = hits.begin(pos as usize);
            (rule.evaluate)(&mut ctx, stage_hits);
            hits.end();
        }
        scratch.candidates = candidates;
    }

    /// How many rules were candidates for the last event evaluated with `scratch`
    /// (their functions ran).
    pub fn candidates(scratch: &Scratch) -> usize {
        scratch.candidates.len()
    }

    /// The rules (positions among the selected rules) whose functions ran for the last
    /// event evaluated with `scratch`.
    pub fn last_candidates(scratch: &Scratch) -> &[u32] {
        &scratch.candidates
    }

    /// The index's work so far with `scratch` (groups evaluated, values, needle hits,
    /// verifications).
    pub fn index_stats(scratch: &Scratch) -> crate::index::IndexStats {
        scratch.atoms.stats()
    }
}

/// The join-key parts of one key field's values; date fields join by instant and are
/// reported as ISO text.
pub fn key_parts<'v>(
    values: impl Iterator<Item = Value<'v>>,
    date: bool,
) -> Vec<crate::key::KeyPart> {
    use crate::time::{format_millis, timestamp_from_value};
    values
        .map(|v| match (date, timestamp_from_value(&v)) {
            (true, Some(ms)) => crate::key::KeyPart::Str(format_millis(ms).into()),
            _ => crate::key::KeyPart::from_value(&v),
        })
        .collect()
}
