//! The rule set's literal index: every distinct test of one field against one literal
//! (an *atom*), over all rules, evaluated once per event for the whole set.
//!
//! An atom is a leaf of a rule's condition on one field, as J.1 reads it: true iff
//! *some* value of the field satisfies it. `process.name == "cmd.exe"` is an atom; so is
//! each pattern of `process.args : ("-enc*", "*bypass*")` (the leaf is the `or` of its
//! two atoms). Atoms are shared: the literal `"cmd.exe"` tested by 200 rules is one atom.
//!
//! Atoms are grouped per field and *family*: the hash family (exact text, folded text, IP
//! address, number, boolean: one hash lookup per value and kind), and two wildcard
//! families (case-sensitive `like`, folded `:`/`like~`) each with one Aho-Corasick
//! automaton over every pattern's longest literal run, verified per hit with the
//! pattern itself ([`Wildcard`]). A group is evaluated as a whole, at most once per event:
//! eagerly when it holds an atom that some rule *requires* (see [`crate::ruleset`]), and
//! otherwise only when a rule being evaluated asks for one of its atoms.
//!
//! Every family reproduces the leaf semantics of the reference interpreter exactly
//! ([`crate::pattern`], [`crate::value`]): the differential tests compare the two.

use std::collections::hash_map::Entry;
use std::fmt::Write as _;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashMap;

use crate::cidr;
use crate::fields::{EventView, Slot};
use crate::fold::fold_into;
use crate::pattern::{Wildcard, WildcardForm};
use crate::value::{parse_number, Number, Value};

/// How an atom tests a field's values against its literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AtomKind {
    /// The category test (J.2): some value is this string, exactly.
    Category,
    /// `==` or `in` with a string literal, `like` without wildcards: some value's text
    /// (J.7: numbers and booleans by their canonical text) equals the literal.
    Text,
    /// `==`, `in` or `in~` with a string literal that is an IP address: some string value
    /// is the same address (`::1` and `0:0::1`).
    Ip,
    /// `==` or `in` with a number literal: some value equals it as a number (strings
    /// parsed strictly, J.7). The literal's text is a number Rust parses back exactly.
    Number,
    /// `==` or `in` with `true`/`false`: some value is that boolean (or its text).
    Bool,
    /// `:` or `like~` without wildcards, `in~`: some value's folded text equals the
    /// (folded) literal.
    Folded,
    /// `like` with a wildcard pattern (case-sensitive).
    Like,
    /// `:` or `like~` with a wildcard pattern (folded).
    LikeFolded,
}

/// One atom as generated code declares it: the field's slot, the kind of test, and the
/// literal (folded already for the folded kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AtomSpec {
    pub slot: u32,
    pub kind: AtomKind,
    pub literal: &'static str,
}

/// The family of an atom kind: which group of its field evaluates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Family {
    Hash,
    Like,
    LikeFolded,
}

fn family(kind: AtomKind) -> Family {
    match kind {
        AtomKind::Like => Family::Like,
        AtomKind::LikeFolded => Family::LikeFolded,
        _ => Family::Hash,
    }
}

/// A number literal as a hash key: integral values (whatever their JSON form) by their
/// `i64`, others by their bits (`-0.0` is `0`). Equal keys iff equal numbers (J.7 compares
/// an `i64` with an `f64` exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum NumKey {
    Int(i64),
    Float(u64),
}

fn num_key(n: Number) -> Option<NumKey> {
    match n {
        Number::Int(i) => Some(NumKey::Int(i)),
        Number::Float(f) if f.is_nan() => None,
        Number::Float(f) => {
            const TWO_63: f64 = 9_223_372_036_854_775_808.0;
            if f.trunc() == f && (-TWO_63..TWO_63).contains(&f) {
                Some(NumKey::Int(f as i64))
            } else {
                Some(NumKey::Float(f.to_bits()))
            }
        }
    }
}

/// An atom of the exact-text map, and whether it only accepts string values.
#[derive(Debug, Clone, Copy)]
struct TextAtom {
    atom: u32,
    strings_only: bool,
}

/// The hash family of one field.
#[derive(Debug, Default)]
struct HashGroup {
    text: FxHashMap<&'static str, Vec<TextAtom>>,
    folded: FxHashMap<&'static str, Vec<u32>>,
    ips: FxHashMap<u128, Vec<u32>>,
    numbers: FxHashMap<NumKey, Vec<u32>>,
    bools: [Vec<u32>; 2],
}

/// What an automaton hit means for an atom.
#[derive(Debug)]
enum Check {
    /// The atom is `*needle*` of exactly this needle: the hit is the match.
    Hit,
    /// The needle is one literal run of the pattern: match the whole pattern.
    Verify(Wildcard),
}

/// A wildcard family of one field (see [`WildGroup::eval`]).
#[derive(Debug)]
struct WildGroup {
    folded: bool,
    /// `prefix*` and `prefix*suffix` patterns, by prefix.
    prefixes: ByteTrie,
    /// `*suffix` patterns, by suffix (bytes reversed).
    suffixes: ByteTrie,
    /// The other patterns with a literal run of [`MIN_ANCHOR`] bytes, by that run.
    automaton: Option<AhoCorasick>,
    /// Per needle of the automaton: the atoms it may make true.
    needles: Vec<Vec<(u32, Check)>>,
    /// Patterns without such a run (`*`, `?*`, `*:*`): matched directly, once their
    /// longest literal run (if any) is found in the text.
    direct: Vec<(u32, Wildcard, Option<memchr::memmem::Finder<'static>>)>,
}

/// A trie over bytes whose nodes carry atoms: walking a text's bytes from the root
/// meets, at each node, the atoms whose literal is that prefix of the text.
#[derive(Debug, Default)]
struct ByteTrie {
    /// Per node: its children (sorted by byte) and its atoms.
    nodes: Vec<TrieNode>,
}

/// A [`ByteTrie`] node: children by byte (sorted), atoms whose literal ends here.
type TrieNode = (Vec<(u8, u32)>, Vec<(u32, Check)>);

impl ByteTrie {
    fn insert(&mut self, key: impl Iterator<Item = u8>, atom: u32, check: Check) {
        if self.nodes.is_empty() {
            self.nodes.push((Vec::new(), Vec::new()));
        }
        let mut n = 0usize;
        for b in key {
            n = match self.nodes[n].0.binary_search_by_key(&b, |(c, _)| *c) {
                Ok(i) => self.nodes[n].0[i].1 as usize,
                Err(i) => {
                    let child = self.nodes.len() as u32;
                    self.nodes.push((Vec::new(), Vec::new()));
                    self.nodes[n].0.insert(i, (b, child));
                    child as usize
                }
            };
        }
        self.nodes[n].1.push((atom, check));
    }

    fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Calls `f` with the atoms of every node the walk over `key` meets.
    #[inline]
    fn walk(&self, key: impl Iterator<Item = u8>, mut f: impl FnMut(&[(u32, Check)])) {
        let Some(root) = self.nodes.first() else {
            return;
        };
        let mut node = root;
        for b in key {
            let Ok(i) = node.0.binary_search_by_key(&b, |(c, _)| *c) else {
                return;
            };
            node = &self.nodes[node.0[i].1 as usize];
            if !node.1.is_empty() {
                f(&node.1);
            }
        }
    }
}

#[derive(Debug)]
enum GroupKind {
    Hash(HashGroup),
    Wild(WildGroup),
}

#[derive(Debug)]
struct Group {
    slot: u32,
    kind: GroupKind,
}

/// The literal index of a set of atoms (see the module documentation).
#[derive(Debug, Default)]
pub struct Index {
    groups: Vec<Group>,
    /// Group of each atom (atoms not indexed have `u32::MAX`).
    atom_group: Vec<u32>,
}

impl Index {
    /// Indexes the atoms of `atoms` whose `wanted` flag is set (the atoms of the rules
    /// that run); atom numbers stay those of `atoms`.
    pub fn new(atoms: &[AtomSpec], wanted: &[bool]) -> Index {
        let mut groups: Vec<Group> = Vec::new();
        let mut by_key: FxHashMap<(u32, Family), u32> = FxHashMap::default();
        let mut atom_group = vec![u32::MAX; atoms.len()];
        // Wildcard atoms are collected per group first: the automaton is built at the end.
        let mut wild: FxHashMap<u32, Vec<(u32, AtomSpec)>> = FxHashMap::default();
        for (i, a) in atoms.iter().enumerate() {
            if !wanted.get(i).copied().unwrap_or(false) {
                continue;
            }
            let fam = family(a.kind);
            let g = *by_key.entry((a.slot, fam)).or_insert_with(|| {
                groups.push(Group {
                    slot: a.slot,
                    kind: match fam {
                        Family::Hash => GroupKind::Hash(HashGroup::default()),
                        Family::Like | Family::LikeFolded => {
                            GroupKind::Wild(WildGroup::new(fam == Family::LikeFolded))
                        }
                    },
                });
                (groups.len() - 1) as u32
            });
            atom_group[i] = g;
            let atom = i as u32;
            match &mut groups[g as usize].kind {
                GroupKind::Hash(h) => match a.kind {
                    AtomKind::Category | AtomKind::Text => {
                        h.text.entry(a.literal).or_default().push(TextAtom {
                            atom,
                            strings_only: a.kind == AtomKind::Category,
                        })
                    }
                    AtomKind::Folded => h.folded.entry(a.literal).or_default().push(atom),
                    AtomKind::Ip => {
                        if let Some(k) = cidr::parse_ip_key(a.literal) {
                            h.ips.entry(k).or_default().push(atom);
                        }
                    }
                    AtomKind::Number => {
                        if let Some(k) = parse_number(a.literal).and_then(num_key) {
                            h.numbers.entry(k).or_default().push(atom);
                        }
                    }
                    AtomKind::Bool => match a.literal {
                        "true" => h.bools[1].push(atom),
                        "false" => h.bools[0].push(atom),
                        _ => {}
                    },
                    AtomKind::Like | AtomKind::LikeFolded => {}
                },
                GroupKind::Wild(_) => wild.entry(g).or_default().push((atom, *a)),
            }
        }
        let mut wild: Vec<(u32, Vec<(u32, AtomSpec)>)> = wild.into_iter().collect();
        wild.sort_by_key(|(g, _)| *g);
        for (g, list) in wild {
            if let GroupKind::Wild(w) = &mut groups[g as usize].kind {
                w.build(&list);
            }
        }
        Index { groups, atom_group }
    }

    /// The group of `atom` (`None` if it is not indexed).
    pub fn group_of(&self, atom: u32) -> Option<u32> {
        match self.atom_group.get(atom as usize) {
            Some(&g) if g != u32::MAX => Some(g),
            _ => None,
        }
    }

    /// The number of groups.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// The number of atoms the index was built over (indexed or not).
    pub fn atoms(&self) -> usize {
        self.atom_group.len()
    }

    /// Evaluates group `g` on `event`: every atom of the group that holds is marked in
    /// `state`.
    pub fn eval_group(&self, g: u32, event: EventView<'_>, state: &mut AtomState) {
        state.group_stamps[g as usize] = state.generation;
        let Some(group) = self.groups.get(g as usize) else {
            return;
        };
        let slot = event.slot(group.slot as usize);
        if slot.is_empty() {
            return;
        }
        state.stats.groups += 1;
        state.stats.values += slot.len() as u64;
        match &group.kind {
            GroupKind::Hash(h) => h.eval(slot, state),
            GroupKind::Wild(w) => w.eval(slot, state),
        }
    }
}

/// The text of a value as J.7 compares it (numbers and booleans by their canonical text),
/// written into `buf` when it is not a string; `None` for null.
fn value_text<'v>(v: &'v Value<'_>, buf: &'v mut String) -> Option<&'v str> {
    match v {
        Value::Str(s) => Some(s),
        Value::Null => None,
        Value::Bool(b) => Some(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            buf.clear();
            let _ = write!(buf, "{i}");
            Some(buf)
        }
        Value::Float(f) => {
            buf.clear();
            let _ = crate::value::write_float(*f, buf);
            Some(buf)
        }
    }
}

impl HashGroup {
    fn eval(&self, slot: Slot<'_>, state: &mut AtomState) {
        let mut text_buf = std::mem::take(&mut state.text_buf);
        let mut fold_buf = std::mem::take(&mut state.fold_buf);
        for v in slot.iter() {
            let is_str = matches!(v, Value::Str(_));
            if let Some(text) = value_text(&v, &mut text_buf) {
                if !self.text.is_empty() {
                    if let Some(list) = self.text.get(text) {
                        for t in list {
                            if is_str || !t.strings_only {
                                state.set(t.atom);
                            }
                        }
                    }
                }
                if !self.folded.is_empty() {
                    let folded = fold_into(text, &mut fold_buf);
                    if let Some(list) = self.folded.get(folded) {
                        list.iter().for_each(|&a| state.set(a));
                    }
                }
            }
            if !self.ips.is_empty() {
                if let Value::Str(s) = &v {
                    if cidr::looks_like_ip(s) {
                        if let Some(list) = cidr::parse_ip_key(s).and_then(|k| self.ips.get(&k)) {
                            list.iter().for_each(|&a| state.set(a));
                        }
                    }
                }
            }
            if !self.numbers.is_empty() {
                let n = match &v {
                    Value::Str(s) => parse_number(s),
                    other => other.as_number(),
                };
                if let Some(list) = n.and_then(num_key).and_then(|k| self.numbers.get(&k)) {
                    list.iter().for_each(|&a| state.set(a));
                }
            }
            if !self.bools[0].is_empty() || !self.bools[1].is_empty() {
                let b = match &v {
                    Value::Bool(b) => Some(*b),
                    Value::Str(s) if s == "true" => Some(true),
                    Value::Str(s) if s == "false" => Some(false),
                    _ => None,
                };
                if let Some(b) = b {
                    self.bools[usize::from(b)]
                        .iter()
                        .for_each(|&a| state.set(a));
                }
            }
        }
        state.text_buf = text_buf;
        state.fold_buf = fold_buf;
    }
}

/// The shortest literal run worth searching with the automaton. A shorter needle (a
/// space, one letter) occurs many times in most values, and every occurrence is a match
/// the overlapping search reports: patterns without a longer run are matched directly
/// (prefix and suffix patterns go to the tries whatever their length).
const MIN_ANCHOR: usize = 3;

/// The literal run a pattern is searched by: its longest run of literal characters
/// between wildcards (`None` for a pattern without one of [`MIN_ANCHOR`] bytes).
fn anchor(pattern: &str) -> Option<&str> {
    pattern
        .split(['*', '?'])
        .max_by_key(|run| run.len())
        .filter(|run| run.len() >= MIN_ANCHOR)
}

impl WildGroup {
    fn new(folded: bool) -> WildGroup {
        WildGroup {
            folded,
            prefixes: ByteTrie::default(),
            suffixes: ByteTrie::default(),
            automaton: None,
            needles: Vec::new(),
            direct: Vec::new(),
        }
    }

    fn build(&mut self, atoms: &[(u32, AtomSpec)]) {
        let mut needles: Vec<&'static str> = Vec::new();
        let mut needle_of: FxHashMap<&'static str, usize> = FxHashMap::default();
        for &(atom, spec) in atoms {
            let w = Wildcard::new(spec.literal, self.folded);
            match w.form() {
                WildcardForm::Prefix(p) => {
                    self.prefixes.insert(p.bytes(), atom, Check::Hit);
                    continue;
                }
                WildcardForm::PrefixSuffix { prefix, .. } => {
                    let prefix = prefix.clone();
                    self.prefixes.insert(prefix.bytes(), atom, Check::Verify(w));
                    continue;
                }
                WildcardForm::Suffix(x) => {
                    self.suffixes.insert(x.bytes().rev(), atom, Check::Hit);
                    continue;
                }
                _ => {}
            }
            let Some(run) = anchor(spec.literal) else {
                let longest = spec
                    .literal
                    .split(['*', '?'])
                    .max_by_key(|r| r.len())
                    .filter(|r| !r.is_empty())
                    .map(|r| memchr::memmem::Finder::new(r.as_bytes()).into_owned());
                self.direct.push((atom, w, longest));
                continue;
            };
            let n = match needle_of.entry(run) {
                Entry::Occupied(o) => *o.get(),
                Entry::Vacant(v) => {
                    needles.push(run);
                    self.needles.push(Vec::new());
                    *v.insert(needles.len() - 1)
                }
            };
            let check = match w.form() {
                WildcardForm::Contains(c) if c == run => Check::Hit,
                _ => Check::Verify(w),
            };
            self.needles[n].push((atom, check));
        }
        if !needles.is_empty() {
            // Overlapping search needs the standard match semantics. A folded group's
            // needles are folded and searched in the folded text (see `eval`).
            self.automaton = AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&needles)
                .ok();
        }
    }

    /// Each value's text (folded first for a folded group: patterns and needles are
    /// folded, and folding never changes a text's number of characters) is walked down
    /// the prefix trie from its start, down the suffix trie from its end, searched by
    /// the automaton for the other patterns' literal runs, and tested against the
    /// patterns without a run. A trie node or needle hit is the atom itself (`Hit`) or
    /// is verified with the whole (folded) pattern on the folded text.
    fn eval(&self, slot: Slot<'_>, state: &mut AtomState) {
        let mut text_buf = std::mem::take(&mut state.text_buf);
        let mut fold_buf = std::mem::take(&mut state.fold_buf);
        if state.needle_stamps.len() < self.needles.len() {
            state.needle_stamps.resize(self.needles.len(), 0);
        }
        for v in slot.iter() {
            let Some(text) = value_text(&v, &mut text_buf) else {
                continue;
            };
            let hay = if self.folded {
                fold_into(text, &mut fold_buf)
            } else {
                text
            };
            let check = |state: &mut AtomState, atoms: &[(u32, Check)]| {
                for (atom, check) in atoms {
                    if state.get(*atom) {
                        continue;
                    }
                    let hit = match check {
                        Check::Hit => true,
                        Check::Verify(w) => {
                            state.stats.verifications += 1;
                            w.matches_folded(hay)
                        }
                    };
                    if hit {
                        state.set(*atom);
                    }
                }
            };
            if !self.prefixes.is_empty() {
                self.prefixes
                    .walk(hay.bytes(), |atoms| check(&mut *state, atoms));
            }
            if !self.suffixes.is_empty() {
                self.suffixes
                    .walk(hay.bytes().rev(), |atoms| check(&mut *state, atoms));
            }
            for (atom, w, run) in &self.direct {
                if state.get(*atom)
                    || run
                        .as_ref()
                        .is_some_and(|r| r.find(hay.as_bytes()).is_none())
                {
                    continue;
                }
                state.stats.verifications += 1;
                if w.matches_folded(hay) {
                    state.set(*atom);
                }
            }
            let Some(ac) = &self.automaton else {
                continue;
            };
            state.value_stamp = state.value_stamp.wrapping_add(1);
            if state.value_stamp == 0 {
                state.needle_stamps.iter_mut().for_each(|s| *s = u32::MAX);
                state.value_stamp = 1;
            }
            for m in ac.find_overlapping_iter(hay) {
                let n = m.pattern().as_usize();
                if state.needle_stamps[n] == state.value_stamp {
                    continue;
                }
                state.needle_stamps[n] = state.value_stamp;
                state.stats.needle_hits += 1;
                check(state, &self.needles[n]);
            }
        }
        state.text_buf = text_buf;
        state.fold_buf = fold_buf;
    }
}

/// Work counters of an [`AtomState`] since it was made (for the benchmark's report).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Groups evaluated.
    pub groups: u64,
    /// Values looked at by the groups.
    pub values: u64,
    /// Literal runs the automata found (each needle counted once per value).
    pub needle_hits: u64,
    /// Whole patterns matched to verify a needle hit.
    pub verifications: u64,
}

/// Which atoms hold for the current event, and which groups have been evaluated:
/// per-event scratch space, reset in O(1) by a generation counter.
#[derive(Debug, Default)]
pub struct AtomState {
    stats: IndexStats,
    generation: u32,
    atom_stamps: Vec<u32>,
    group_stamps: Vec<u32>,
    /// Atoms that became true this event, in that order.
    hits: Vec<u32>,
    needle_stamps: Vec<u32>,
    value_stamp: u32,
    text_buf: String,
    fold_buf: String,
}

impl AtomState {
    /// Scratch space for `index`.
    pub fn new(index: &Index) -> AtomState {
        AtomState {
            generation: 1,
            atom_stamps: vec![0; index.atoms()],
            group_stamps: vec![0; index.groups()],
            ..AtomState::default()
        }
    }

    /// Starts a new event: nothing holds, no group is evaluated.
    pub fn reset(&mut self) {
        self.hits.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.atom_stamps.iter_mut().for_each(|s| *s = 0);
            self.group_stamps.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
    }

    #[inline]
    fn set(&mut self, atom: u32) {
        if let Some(s) = self.atom_stamps.get_mut(atom as usize) {
            if *s != self.generation {
                *s = self.generation;
                self.hits.push(atom);
            }
        }
    }

    /// Whether `atom` is known to hold (its group may not have been evaluated yet).
    #[inline]
    pub fn get(&self, atom: u32) -> bool {
        self.atom_stamps.get(atom as usize) == Some(&self.generation)
    }

    /// Whether group `g` has been evaluated for this event.
    #[inline]
    pub fn group_done(&self, g: u32) -> bool {
        self.group_stamps.get(g as usize) == Some(&self.generation)
    }

    /// The atoms that became true this event, in order.
    pub fn hits(&self) -> &[u32] {
        &self.hits
    }

    /// The work done so far.
    pub fn stats(&self) -> IndexStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{FieldTable, Fields};

    fn atoms() -> Vec<AtomSpec> {
        let a = |slot, kind, literal| AtomSpec {
            slot,
            kind,
            literal,
        };
        vec![
            a(0, AtomKind::Category, "process"),
            a(1, AtomKind::Text, "cmd.exe"),
            a(1, AtomKind::Folded, "cmd.exe"),
            a(2, AtomKind::Ip, "10.0.0.1"),
            a(3, AtomKind::Number, "7"),
            a(3, AtomKind::Text, "7"),
            a(4, AtomKind::LikeFolded, "*\\temp\\*.exe"),
            a(4, AtomKind::LikeFolded, "*powershell*"),
            a(4, AtomKind::Like, "C:\\*"),
            a(4, AtomKind::LikeFolded, "?"),
            a(5, AtomKind::Bool, "true"),
            a(0, AtomKind::Text, "process"),
        ]
    }

    fn eval(fill: impl FnOnce(&mut Fields)) -> Vec<u32> {
        let specs = atoms();
        let index = Index::new(&specs, &vec![true; specs.len()]);
        let table = FieldTable::new(["event.category", "process.name", "ip", "n", "path", "b"]);
        let mut f = Fields::new();
        f.clear();
        fill(&mut f);
        f.finish(table.len());
        let mut state = AtomState::new(&index);
        state.reset();
        for g in 0..index.groups() as u32 {
            index.eval_group(g, f.view(""), &mut state);
        }
        let mut hits = state.hits().to_vec();
        hits.sort_unstable();
        hits
    }

    #[test]
    fn families_follow_the_leaf_semantics() {
        assert_eq!(
            eval(|f| {
                f.push_str(0, "process");
                f.push_str(1, "CMD.EXE");
                f.push_str(2, "::ffff:10.0.0.1");
                f.push_str(3, "7");
                f.push_str(4, "c:\\Temp\\x.EXE");
                f.push_str(5, "true");
            }),
            vec![0, 2, 3, 4, 5, 6, 10, 11]
        );
        // A number's text, never a category; `7.0` is the number 7 but not the text.
        assert_eq!(
            eval(|f| {
                f.push_int(0, 7);
                f.push_float(3, 7.0);
                f.push_str(4, "C:\\PowerShell.exe");
                f.push_str(1, "cmd.exe");
            }),
            vec![1, 2, 4, 7, 8]
        );
        assert_eq!(eval(|f| f.push_str(4, "Ä")), vec![9]);
        assert_eq!(eval(|_| {}), Vec::<u32>::new());
    }

    #[test]
    fn anchors_are_the_longest_literal_run() {
        assert_eq!(anchor("*\\temp\\*.exe"), Some("\\temp\\"));
        assert_eq!(anchor("?*?"), None);
        assert_eq!(anchor("abc"), Some("abc"));
        assert_eq!(anchor("* -d *"), Some(" -d "));
        assert_eq!(anchor("*ab*"), None);
    }
}
