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

use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use crate::cidr;
use crate::fields::{EventView, Slot};
use crate::fold::{fold, fold_into};
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

/// Which group of its field evaluates an atom: exact literals share one hash group;
/// wildcard patterns are split by how they are found (prefix tree, suffix tree, needle
/// search, direct match), so a rule that needs one pattern of a field evaluates only the
/// part it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Family {
    Hash,
    Prefix,
    Suffix,
    Needles,
    Direct,
}

fn family(spec: &AtomSpec) -> Family {
    let folded = match spec.kind {
        AtomKind::Like => false,
        AtomKind::LikeFolded => true,
        _ => return Family::Hash,
    };
    match Wildcard::new(spec.literal, folded).form() {
        WildcardForm::Prefix(_) | WildcardForm::PrefixSuffix { .. } => Family::Prefix,
        WildcardForm::Suffix(_) => Family::Suffix,
        _ if anchor(spec.literal).is_some() => Family::Needles,
        _ => Family::Direct,
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

/// What a trie node or an automaton hit means for an atom.
#[derive(Debug)]
enum Check {
    /// The hit is the match (a prefix, a suffix, or `*needle*` of a folded pattern).
    Hit,
    /// The needle is one literal run of the pattern: match the whole pattern (a folded
    /// one on the folded text, a case-sensitive one on the text).
    Verify(Wildcard),
}

/// The wildcard patterns of one field, case-sensitive (`like`) and folded (`:`,
/// `like~`) together (see [`WildGroup::eval`]).
#[derive(Debug)]
struct WildGroup {
    /// `prefix*` and `prefix*suffix` patterns, by prefix: case-sensitive ones on the
    /// text, folded ones on the folded text.
    prefixes: ByteTrie,
    prefixes_folded: ByteTrie,
    /// `*suffix` patterns, by suffix (walked from the end).
    suffixes: ByteTrie,
    suffixes_folded: ByteTrie,
    /// The other patterns with a literal run of [`MIN_ANCHOR`] bytes, by that run folded,
    /// searched in the folded text.
    automaton: Option<NeedleSet>,
    /// Per needle of the automaton: the atoms it may make true.
    needles: Vec<Vec<(u32, Check)>>,
    /// Patterns without such a run (`*`, `?*`, `*:*`): matched directly, once their
    /// longest literal run (if any) is found in the text.
    direct: Vec<(u32, Wildcard, Option<Run>)>,
}

/// Every occurrence of a set of needles (each at least three bytes) in a text, found
/// with one pass: the text's rolling four-byte window (and three-byte window, if some
/// needle is that short) is hashed into a 65,536-bit filter (8 KiB, in the first-level
/// cache), and only where the filter says a needle may start is the tree of all needles
/// walked from that place, meeting every needle that starts there in one walk. Needles
/// of detection rules are rare in text, so most places cost a shift, a multiply and a
/// bit test.
#[derive(Debug)]
struct NeedleSet {
    /// Four-byte heads of needles of four bytes or more.
    filter4: Vec<u64>,
    /// Heads of three-byte needles (empty if there is none).
    filter3: Vec<u64>,
    /// Every needle, with its index as the atom number.
    tree: ByteTrie,
}

impl NeedleSet {
    const BITS: u32 = 16;

    fn new(needles: &[String]) -> NeedleSet {
        let mut set = NeedleSet {
            filter4: vec![0; 1 << (Self::BITS - 6)],
            filter3: Vec::new(),
            tree: ByteTrie::default(),
        };
        for (i, n) in needles.iter().enumerate() {
            let b = n.as_bytes();
            set.tree.insert(b.iter().copied(), i as u32, Check::Hit);
            match b {
                [w, x, y, z, ..] => {
                    let head = u32::from_le_bytes([*w, *x, *y, *z]);
                    Self::mark(&mut set.filter4, head);
                }
                [x, y, z] => {
                    if set.filter3.is_empty() {
                        set.filter3 = vec![0; 1 << (Self::BITS - 6)];
                    }
                    let head = u32::from_le_bytes([*x, *y, *z, 0]);
                    Self::mark(&mut set.filter3, head);
                }
                _ => {}
            }
        }
        set.tree.build();
        set
    }

    fn mark(filter: &mut [u64], head: u32) {
        let h = Self::hash(head);
        filter[h >> 6] |= 1 << (h & 63);
    }

    #[inline]
    fn hash(head: u32) -> usize {
        (head.wrapping_mul(0x9E37_79B1) >> (32 - Self::BITS)) as usize
    }

    #[inline]
    fn test(filter: &[u64], head: u32) -> bool {
        let h = Self::hash(head);
        filter.get(h >> 6).is_some_and(|w| w & (1 << (h & 63)) != 0)
    }

    /// Calls `f` with the index of each needle at each place it occurs in `text`.
    #[inline]
    fn find_all(&self, text: &[u8], stats: &mut IndexStats, mut f: impl FnMut(usize)) {
        stats.needle_bytes += text.len() as u64;
        let three = !self.filter3.is_empty();
        for i in 0..text.len().saturating_sub(2) {
            let head3 =
                u32::from(text[i]) | u32::from(text[i + 1]) << 8 | u32::from(text[i + 2]) << 16;
            let hit4 = text
                .get(i + 3)
                .is_some_and(|&d| Self::test(&self.filter4, head3 | u32::from(d) << 24));
            if hit4 || (three && Self::test(&self.filter3, head3)) {
                stats.filter_hits += 1;
                self.tree.walk(&text[i..], false, |ids| {
                    ids.iter().for_each(|(id, _)| f(*id as usize))
                });
            }
        }
    }
}

/// A short literal run (under [`MIN_ANCHOR`] bytes) that must occur in a text for a
/// pattern to match: found with `memchr` (one or two bytes), no searcher to set up.
#[derive(Debug)]
enum Run {
    One(u8),
    Two(u8, u8),
    Longer(Box<[u8]>),
}

impl Run {
    fn new(run: &[u8]) -> Run {
        match run {
            [a] => Run::One(*a),
            [a, b] => Run::Two(*a, *b),
            other => Run::Longer(other.into()),
        }
    }

    #[inline]
    fn occurs_in(&self, text: &[u8]) -> bool {
        match self {
            Run::One(a) => memchr::memchr(*a, text).is_some(),
            Run::Two(a, b) => {
                let mut from = 0;
                while let Some(i) = memchr::memchr(*a, &text[from..]) {
                    if text.get(from + i + 1) == Some(b) {
                        return true;
                    }
                    from += i + 1;
                }
                false
            }
            Run::Longer(r) => memchr::memmem::find(text, r).is_some(),
        }
    }
}

/// A trie over bytes whose nodes carry atoms: walking a text's bytes from the root
/// meets, at each node, the atoms whose literal is that prefix of the text. Chains of
/// nodes with one child and no atoms are merged into one edge with a label (a radix
/// tree), so a walk compares whole labels instead of hopping node to node byte by byte.
#[derive(Debug, Default)]
struct ByteTrie {
    /// Keys and their atoms, until [`ByteTrie::build`].
    pending: Vec<(Vec<u8>, u32, Check)>,
    nodes: Vec<RadixNode>,
    /// The edges' labels, one after the other.
    labels: Vec<u8>,
}

/// A node of a [`ByteTrie`]: its edges (sorted by first byte) and the atoms whose
/// literal ends here.
#[derive(Debug, Default)]
struct RadixNode {
    edges: Vec<Edge>,
    atoms: Vec<(u32, Check)>,
}

/// An edge: its label is `labels[start..start + len]` (first byte `first`).
#[derive(Debug, Clone, Copy)]
struct Edge {
    first: u8,
    start: u32,
    len: u32,
    child: u32,
}

impl ByteTrie {
    fn insert(&mut self, key: impl Iterator<Item = u8>, atom: u32, check: Check) {
        self.pending.push((key.collect(), atom, check));
    }

    /// Builds the tree from the keys inserted.
    fn build(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return;
        }
        pending.sort_by(|a, b| a.0.cmp(&b.0));
        self.nodes.push(RadixNode::default());
        self.add(
            0,
            &mut pending
                .into_iter()
                .map(|(k, a, c)| (k, 0usize, a, c))
                .collect::<Vec<_>>(),
        );
    }

    /// Adds `keys` (sorted; each with the offset of its rest) below `node`.
    fn add(&mut self, node: usize, keys: &mut [(Vec<u8>, usize, u32, Check)]) {
        let mut i = 0;
        while i < keys.len() {
            let (key, at, ..) = &keys[i];
            if *at == key.len() {
                let (_, _, atom, check) =
                    std::mem::replace(&mut keys[i], (Vec::new(), usize::MAX, 0, Check::Hit));
                self.nodes[node].atoms.push((atom, check));
                i += 1;
                continue;
            }
            // The keys sharing this first byte.
            let first = key[*at];
            let mut j = i + 1;
            while j < keys.len() && keys[j].1 < keys[j].0.len() && keys[j].0[keys[j].1] == first {
                j += 1;
            }
            let group = &mut keys[i..j];
            // The longest label common to the group (stopping where a key ends).
            let mut len = 1;
            while let Some(b) = group[0].0.get(group[0].1 + len) {
                if group.iter().any(|(k, at, ..)| k.get(at + len) != Some(b)) {
                    break;
                }
                len += 1;
            }
            let start = self.labels.len() as u32;
            let (k0, at0) = (&group[0].0, group[0].1);
            self.labels.extend_from_slice(&k0[at0..at0 + len]);
            let child = self.nodes.len();
            self.nodes.push(RadixNode::default());
            self.nodes[node].edges.push(Edge {
                first,
                start,
                len: len as u32,
                child: child as u32,
            });
            for entry in group.iter_mut() {
                entry.1 += len;
            }
            self.add(child, group);
            i = j;
        }
    }

    fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Calls `f` with the atoms of every node the walk over `key` (a text's bytes, or
    /// its bytes from the end for a suffix tree) meets.
    #[inline]
    fn walk(&self, key: &[u8], reversed: bool, mut f: impl FnMut(&[(u32, Check)])) {
        let mut node = 0usize;
        let mut at = 0usize;
        let byte = |i: usize| {
            if reversed {
                key[key.len() - 1 - i]
            } else {
                key[i]
            }
        };
        loop {
            let Some(n) = self.nodes.get(node) else {
                return;
            };
            if !n.atoms.is_empty() {
                f(&n.atoms);
            }
            if at >= key.len() {
                return;
            }
            let b = byte(at);
            let edge = if n.edges.len() <= 8 {
                n.edges.iter().find(|e| e.first == b)
            } else {
                n.edges
                    .binary_search_by_key(&b, |e| e.first)
                    .ok()
                    .map(|i| &n.edges[i])
            };
            let Some(edge) = edge else {
                return;
            };
            let len = edge.len as usize;
            if key.len() - at < len {
                return;
            }
            let label = &self.labels[edge.start as usize..edge.start as usize + len];
            let same = if reversed {
                (0..len).all(|k| label[k] == byte(at + k))
            } else {
                label == &key[at..at + len]
            };
            if !same {
                return;
            }
            at += len;
            node = edge.child as usize;
        }
    }
}

#[derive(Debug)]
enum GroupKind {
    Hash(HashGroup),
    Wild(Box<WildGroup>),
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
            let fam = family(a);
            let g = *by_key.entry((a.slot, fam)).or_insert_with(|| {
                groups.push(Group {
                    slot: a.slot,
                    kind: match fam {
                        Family::Hash => GroupKind::Hash(HashGroup::default()),
                        _ => GroupKind::Wild(Box::new(WildGroup::new())),
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
    fn new() -> WildGroup {
        WildGroup {
            prefixes: ByteTrie::default(),
            prefixes_folded: ByteTrie::default(),
            suffixes: ByteTrie::default(),
            suffixes_folded: ByteTrie::default(),
            automaton: None,
            needles: Vec::new(),
            direct: Vec::new(),
        }
    }

    fn build(&mut self, atoms: &[(u32, AtomSpec)]) {
        let mut needles: Vec<String> = Vec::new();
        let mut needle_of: FxHashMap<String, usize> = FxHashMap::default();
        for &(atom, spec) in atoms {
            let folded = spec.kind == AtomKind::LikeFolded;
            let w = Wildcard::new(spec.literal, folded);
            let (prefixes, suffixes) = if folded {
                (&mut self.prefixes_folded, &mut self.suffixes_folded)
            } else {
                (&mut self.prefixes, &mut self.suffixes)
            };
            match w.form() {
                WildcardForm::Prefix(p) => {
                    prefixes.insert(p.bytes(), atom, Check::Hit);
                    continue;
                }
                WildcardForm::PrefixSuffix { prefix, .. } => {
                    let prefix = prefix.clone();
                    prefixes.insert(prefix.bytes(), atom, Check::Verify(w));
                    continue;
                }
                WildcardForm::Suffix(x) => {
                    suffixes.insert(x.bytes().rev(), atom, Check::Hit);
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
                    .map(|r| Run::new(fold(r).as_bytes()));
                self.direct.push((atom, w, longest));
                continue;
            };
            // Runs are searched folded: the folded text holds the fold of every run of
            // the text, so a case-sensitive run is found too (and verified exactly).
            let key = fold(run).into_owned();
            let n = match needle_of.get(&key) {
                Some(&n) => n,
                None => {
                    needles.push(key.clone());
                    self.needles.push(Vec::new());
                    needle_of.insert(key, needles.len() - 1);
                    needles.len() - 1
                }
            };
            let check = match w.form() {
                WildcardForm::Contains(c) if folded && c == run => Check::Hit,
                _ => Check::Verify(w),
            };
            self.needles[n].push((atom, check));
        }
        self.prefixes.build();
        self.prefixes_folded.build();
        self.suffixes.build();
        self.suffixes_folded.build();
        if !needles.is_empty() {
            self.automaton = Some(NeedleSet::new(&needles));
        }
    }

    /// Each value's text is folded once (folding keeps a text's characters one for
    /// one): folded patterns are matched on the folded text, case-sensitive ones on the
    /// text. The prefix trees are walked from the start, the suffix trees from the end,
    /// the automaton searches the folded text for every other pattern's longest literal
    /// run (folded), and the patterns without one are tested directly. A hit is the atom
    /// itself (`Hit`) or is verified with the whole pattern.
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
            let hay = fold_into(text, &mut fold_buf);
            let check = |state: &mut AtomState, atoms: &[(u32, Check)]| {
                for (atom, check) in atoms {
                    if state.get(*atom) {
                        continue;
                    }
                    let hit = match check {
                        Check::Hit => true,
                        Check::Verify(w) => {
                            state.stats.verifications += 1;
                            if w.is_insensitive() {
                                w.matches_folded(hay)
                            } else {
                                w.matches(text)
                            }
                        }
                    };
                    if hit {
                        state.set(*atom);
                    }
                }
            };
            for (trie, key, reversed) in [
                (&self.prefixes, text, false),
                (&self.prefixes_folded, hay, false),
                (&self.suffixes, text, true),
                (&self.suffixes_folded, hay, true),
            ] {
                if !trie.is_empty() {
                    trie.walk(key.as_bytes(), reversed, |atoms| check(&mut *state, atoms));
                }
            }
            for (atom, w, run) in &self.direct {
                if state.get(*atom) || run.as_ref().is_some_and(|r| !r.occurs_in(hay.as_bytes())) {
                    continue;
                }
                state.stats.verifications += 1;
                let hit = if w.is_insensitive() {
                    w.matches_folded(hay)
                } else {
                    w.matches(text)
                };
                if hit {
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
            let mut st = state.stats;
            ac.find_all(hay.as_bytes(), &mut st, |n| {
                if state.needle_stamps[n] == state.value_stamp {
                    return;
                }
                state.needle_stamps[n] = state.value_stamp;
                state.stats.needle_hits += 1;
                check(&mut *state, &self.needles[n]);
            });
            state.stats.filter_hits = st.filter_hits;
            state.stats.needle_bytes = st.needle_bytes;
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
    /// Places where the needle filter sent the search to the needle tree.
    pub filter_hits: u64,
    /// Bytes the needle search went through.
    pub needle_bytes: u64,
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

    proptest::proptest! {
        #[test]
        fn radix_walk_meets_every_prefix(
            keys in proptest::collection::vec("[ab]{0,5}", 0..12),
            text in "[ab]{0,8}",
            reversed in proptest::bool::ANY,
        ) {
            let mut trie = ByteTrie::default();
            for (i, k) in keys.iter().enumerate() {
                if reversed {
                    trie.insert(k.bytes().rev(), i as u32, Check::Hit);
                } else {
                    trie.insert(k.bytes(), i as u32, Check::Hit);
                }
            }
            trie.build();
            let mut met = Vec::new();
            trie.walk(text.as_bytes(), reversed, |atoms| met.extend(atoms.iter().map(|(a, _)| *a)));
            met.sort_unstable();
            let expected: Vec<u32> = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| if reversed { text.ends_with(k.as_str()) } else { text.starts_with(k.as_str()) })
                .map(|(i, _)| i as u32)
                .collect();
            proptest::prop_assert_eq!(met, expected);
        }
    }

    proptest::proptest! {
        #[test]
        fn needle_set_finds_every_occurrence(
            needles in proptest::collection::vec("[abc]{3,5}", 1..8),
            text in "[abc]{0,40}",
        ) {
            let set = NeedleSet::new(&needles);
            let mut found = Vec::new();
            set.find_all(text.as_bytes(), &mut IndexStats::default(), |n| found.push(n));
            found.sort_unstable();
            let mut expected = Vec::new();
            for (n, needle) in needles.iter().enumerate() {
                // Every occurrence, overlapping ones included.
                let count = (0..text.len()).filter(|&i| text[i..].starts_with(needle.as_str())).count();
                expected.extend(std::iter::repeat_n(n, count));
            }
            expected.sort_unstable();
            proptest::prop_assert_eq!(found, expected);
        }
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
