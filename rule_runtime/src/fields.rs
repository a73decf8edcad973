//! A rule set's field table and an event projected onto it.
//!
//! Compiled rules know at build time every field path they read. [`FieldTable`] gives each
//! path a *slot* and indexes the paths as a trie of dot-separated segments, so the JSON
//! scanner ([`crate::json`]) can walk an event's keys once, descend only into the
//! subtrees some rule reads, and skip everything else. [`Fields`] holds what one event
//! has at those slots; it is reusable scratch space: filling it again for the next event
//! allocates nothing once its buffers have grown (strings that need no unescaping are not
//! even copied: they stay in the event's line and are read through an [`EventView`]).
//!
//! Matchers read an event through [`EventView`] (the filled [`Fields`] and the line it
//! was read from): [`EventView::slot`] gives a field's values as [`Value`]s borrowed from
//! the line or from the `Fields`' own text buffer. A field without values (missing,
//! `null`, `[]`, `[null]`) has an empty slot, which callers read as J.1's single null.
//!
//! Values of one slot come out in the order they were added; for the JSON scanner that is
//! document order (several keys can feed one slot: `{"a":{"b":1},"a.b":2}`). Nothing in
//! eqlc's semantics depends on that order: leaves ask whether *some* value satisfies
//! them, and join-key values are sorted ([`crate::key::key_tuples`]).

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;

use crate::event::Event;
use crate::value::Value;

/// A node of the path trie: the slot of the path that ends here (if any) and the child
/// nodes by segment.
#[derive(Debug, Clone, Default)]
struct Node {
    slot: Option<u32>,
    children: Children,
}

/// Children of a trie node: a short list searched linearly, or a hash map for nodes with
/// many children (the root of a large rule set has dozens).
#[derive(Debug, Clone)]
enum Children {
    Few(Vec<(Box<str>, u32)>),
    Many(HashMap<Box<str>, u32>),
}

impl Default for Children {
    fn default() -> Self {
        Children::Few(Vec::new())
    }
}

/// From this many children on, a node looks its children up in a hash map.
const MANY_CHILDREN: usize = 8;

impl Children {
    fn get(&self, segment: &str) -> Option<u32> {
        match self {
            Children::Few(v) => v
                .iter()
                .find(|(s, _)| s.as_ref() == segment)
                .map(|(_, n)| *n),
            Children::Many(m) => m.get(segment).copied(),
        }
    }

    fn insert(&mut self, segment: &str, node: u32) {
        match self {
            Children::Few(v) => {
                v.push((segment.into(), node));
                if v.len() >= MANY_CHILDREN {
                    let map = std::mem::take(v).into_iter().collect();
                    *self = Children::Many(map);
                }
            }
            Children::Many(m) => {
                m.insert(segment.into(), node);
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Children::Few(v) => v.is_empty(),
            Children::Many(m) => m.is_empty(),
        }
    }
}

/// A trie node, as the JSON scanner walks it (see [`FieldTable::root`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrieNode(u32);

/// The field paths a rule set reads, each with a slot (its position in the table), and
/// the trie of their segments.
///
/// A path is split at every `.` (`process.parent.name` → `process`, `parent`, `name`;
/// an empty segment is a segment too, so a backticked field such as `` `a..b` `` works).
/// A JSON key is split the same way and walked from the node of the object it sits in,
/// which is how nested objects, dotted keys and their mixtures all reach the same slot
/// (`{"process":{"parent.name":…}}`, `{"process.parent":{"name":…}}`, …), exactly the
/// paths [`crate::event::JsonEvent`] resolves.
#[derive(Debug, Clone)]
pub struct FieldTable {
    paths: Vec<Box<str>>,
    by_path: HashMap<Box<str>, u32>,
    nodes: Vec<Node>,
}

impl Default for FieldTable {
    fn default() -> Self {
        FieldTable::new(std::iter::empty::<&str>())
    }
}

impl FieldTable {
    /// A table of `paths` in order (slot `i` is the `i`-th path); a path given twice
    /// keeps its first slot and the repeat gets none (so slots stay dense).
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p str>) -> FieldTable {
        let mut table = FieldTable {
            paths: Vec::new(),
            by_path: HashMap::default(),
            nodes: vec![Node::default()],
        };
        for p in paths {
            table.push(p);
        }
        table
    }

    /// A table of `paths` in order where only the paths whose `wanted` flag is set are
    /// walked by the JSON scanner (slot numbers stay those of `paths`; a generated rule
    /// set keeps its slots whatever subset of its rules runs).
    pub fn with_slots(paths: &[&str], wanted: &[bool]) -> FieldTable {
        let mut table = FieldTable::default();
        for (i, p) in paths.iter().enumerate() {
            if wanted.get(i).copied().unwrap_or(false) {
                table.push(p);
            } else {
                // Keep the slot (so later slots keep their numbers), not the trie path.
                let slot = table.paths.len() as u32;
                table.paths.push((*p).into());
                table.by_path.entry((*p).into()).or_insert(slot);
            }
        }
        table
    }

    /// Adds `path` at the end of the table unless it is there already, and makes the
    /// JSON scanner walk it; returns its slot.
    pub fn push(&mut self, path: &str) -> usize {
        let slot = match self.by_path.get(path) {
            Some(&slot) => slot,
            None => {
                let slot = self.paths.len() as u32;
                self.paths.push(path.into());
                self.by_path.insert(path.into(), slot);
                slot
            }
        };
        let mut node = 0u32;
        for segment in path.split('.') {
            node = match self.nodes[node as usize].children.get(segment) {
                Some(child) => child,
                None => {
                    let child = self.nodes.len() as u32;
                    self.nodes.push(Node::default());
                    self.nodes[node as usize].children.insert(segment, child);
                    child
                }
            };
        }
        self.nodes[node as usize].slot = Some(slot);
        slot as usize
    }

    /// The number of slots.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether the table has no path.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The path of `slot`.
    pub fn path(&self, slot: usize) -> Option<&str> {
        self.paths.get(slot).map(|p| p.as_ref())
    }

    /// Every path, in slot order.
    pub fn paths(&self) -> impl Iterator<Item = &str> + '_ {
        self.paths.iter().map(|p| p.as_ref())
    }

    /// The slot of `path`, if the table has it.
    pub fn slot_of(&self, path: &str) -> Option<usize> {
        self.by_path.get(path).map(|&s| s as usize)
    }

    /// The trie's root: the node of an event's top-level object.
    pub fn root(&self) -> TrieNode {
        TrieNode(0)
    }

    /// The node reached from `node` by one key of a JSON object, the key split at every
    /// `.` (`"parent.name"` walks two segments); `None` when no table path goes there.
    pub fn descend(&self, node: TrieNode, key: &str) -> Option<TrieNode> {
        // A hand-rolled split: most keys have no dot, and this is the JSON scanner's hot
        // path.
        let mut n = node.0;
        let mut rest = key;
        loop {
            let children = &self.nodes.get(n as usize)?.children;
            match rest.bytes().position(|b| b == b'.') {
                None => return children.get(rest).map(TrieNode),
                Some(dot) => {
                    n = children.get(rest.get(..dot)?)?;
                    rest = rest.get(dot + 1..)?;
                }
            }
        }
    }

    /// The slot of the path that ends at `node`, if one does.
    pub fn slot_at(&self, node: TrieNode) -> Option<usize> {
        self.nodes[node.0 as usize].slot.map(|s| s as usize)
    }

    /// Whether some table path continues below `node` (so an object there is worth
    /// walking).
    pub fn has_children(&self, node: TrieNode) -> bool {
        !self.nodes[node.0 as usize].children.is_empty()
    }
}

/// A scalar value as [`Fields`] stores it: strings are byte ranges into the event's line
/// or into the `Fields`' own text buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// `line[start..end]` of the [`EventView`]'s line (a JSON string without escapes).
    LineStr {
        start: u32,
        end: u32,
    },
    /// `text[start..end]` of the [`Fields`]' own buffer (an unescaped JSON string, or a
    /// string added by [`Fields::push_str`]).
    OwnStr {
        start: u32,
        end: u32,
    },
}

/// A value being added, tagged with its slot and the order it came in.
#[derive(Debug, Clone, Copy)]
struct Entry {
    slot: u32,
    seq: u32,
    value: Scalar,
}

/// Slot numbers are `u32`; this one marks a value that was withdrawn
/// ([`Fields::withdraw_since`]).
const WITHDRAWN: u32 = u32::MAX;

/// What one event has at the slots of a [`FieldTable`]: reusable scratch space (see the
/// module documentation). Fill it with [`Fields::clear`], then `push_*` (the JSON scanner
/// does this) or [`Fields::fill_from_event`], then [`Fields::finish`]; read it through
/// [`Fields::view`].
#[derive(Debug, Clone, Default)]
pub struct Fields {
    entries: Vec<Entry>,
    text: String,
    /// `ranges[slot]` is valid iff `stamps[slot] == generation`.
    ranges: Vec<(u32, u32)>,
    stamps: Vec<u32>,
    generation: u32,
}

impl Fields {
    /// Empty scratch space.
    pub fn new() -> Fields {
        Fields::default()
    }

    /// Forgets the previous event (keeps the buffers).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.text.clear();
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Every stamp could now look current: reset them once per 2^32 events.
            self.stamps.iter_mut().for_each(|s| *s = u32::MAX);
            self.generation = 1;
        }
    }

    /// How many values have been added since [`Fields::clear`] (a mark for
    /// [`Fields::withdraw_since`]).
    pub fn mark(&self) -> usize {
        self.entries.len()
    }

    /// Withdraws every value added since `mark` (a duplicate JSON key replaces the
    /// earlier value of the same key, as `serde_json` keeps the last one).
    pub fn withdraw_since(&mut self, mark: usize) {
        for e in self.entries.iter_mut().skip(mark) {
            e.slot = WITHDRAWN;
        }
    }

    /// Withdraws the values added between two marks (`start..end`), keeping those added
    /// after: a duplicate JSON key replaces the earlier value of the same key even when
    /// other keys of its object came in between (`{"a":1,"b":2,"a":3}`).
    pub fn withdraw_range(&mut self, start: usize, end: usize) {
        for e in self.entries.iter_mut().take(end).skip(start) {
            e.slot = WITHDRAWN;
        }
    }

    fn push(&mut self, slot: usize, value: Scalar) {
        let seq = self.entries.len() as u32;
        self.entries.push(Entry {
            slot: slot as u32,
            seq,
            value,
        });
    }

    /// Adds a boolean to `slot`.
    pub fn push_bool(&mut self, slot: usize, b: bool) {
        self.push(slot, Scalar::Bool(b));
    }

    /// Adds an integer to `slot`.
    pub fn push_int(&mut self, slot: usize, i: i64) {
        self.push(slot, Scalar::Int(i));
    }

    /// Adds a float to `slot`.
    pub fn push_float(&mut self, slot: usize, f: f64) {
        self.push(slot, Scalar::Float(f));
    }

    /// Adds `line[start..end]` (a string the line holds verbatim) to `slot`.
    pub fn push_line_str(&mut self, slot: usize, start: usize, end: usize) {
        self.push(
            slot,
            Scalar::LineStr {
                start: start as u32,
                end: end as u32,
            },
        );
    }

    /// The text buffer, for a caller that unescapes a string into it: append, then
    /// [`Fields::push_own_str`] with the range written.
    pub fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    /// Adds `text[start..end]` of the text buffer to `slot`.
    pub fn push_own_str(&mut self, slot: usize, start: usize, end: usize) {
        self.push(
            slot,
            Scalar::OwnStr {
                start: start as u32,
                end: end as u32,
            },
        );
    }

    /// Adds a string to `slot` (copied into the text buffer).
    pub fn push_str(&mut self, slot: usize, s: &str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.push_own_str(slot, start, self.text.len());
    }

    /// Adds a value to `slot` (`Null` adds nothing).
    pub fn push_value(&mut self, slot: usize, v: &Value<'_>) {
        match v {
            Value::Null => {}
            Value::Bool(b) => self.push_bool(slot, *b),
            Value::Int(i) => self.push_int(slot, *i),
            Value::Float(f) => self.push_float(slot, *f),
            Value::Str(s) => self.push_str(slot, s),
        }
    }

    /// Fills the slots from any [`Event`] (a user's own struct, a parsed
    /// [`crate::event::JsonEvent`]): every path of `table` read once through the trait.
    /// Clears first and finishes after.
    pub fn fill_from_event<E: Event + ?Sized>(&mut self, event: &E, table: &FieldTable) {
        self.clear();
        let mut buf = Vec::new();
        for slot in 0..table.len() {
            buf.clear();
            if let Some(path) = table.path(slot) {
                event.values(path, &mut buf);
            }
            for v in &buf {
                self.push_value(slot, v);
            }
        }
        self.finish(table.len());
    }

    /// Groups the values by slot (keeping their order within a slot), for a table of
    /// `slots` slots. Call once after adding the event's values.
    pub fn finish(&mut self, slots: usize) {
        if self.ranges.len() < slots {
            self.ranges.resize(slots, (0, 0));
            self.stamps.resize(slots, u32::MAX);
        }
        // Unstable sort by (slot, arrival) is a stable sort by slot, without the
        // stable sort's scratch allocation. Withdrawn values sort last.
        if !self.entries.windows(2).all(|w| w[0].slot <= w[1].slot) {
            self.entries.sort_unstable_by_key(|e| (e.slot, e.seq));
        }
        let mut i = 0;
        while i < self.entries.len() {
            let slot = self.entries[i].slot;
            if slot == WITHDRAWN {
                break;
            }
            let start = i;
            while i < self.entries.len() && self.entries[i].slot == slot {
                i += 1;
            }
            if let Some(r) = self.ranges.get_mut(slot as usize) {
                *r = (start as u32, i as u32);
                self.stamps[slot as usize] = self.generation;
            }
        }
    }

    /// The filled event, read against `line` (the text the JSON scanner read; `""` when
    /// the values came from elsewhere).
    pub fn view<'a>(&'a self, line: &'a str) -> EventView<'a> {
        EventView { fields: self, line }
    }

    /// Whether no slot has a value.
    pub fn is_empty(&self) -> bool {
        self.entries.iter().all(|e| e.slot == WITHDRAWN)
    }

    fn range(&self, slot: usize) -> &[Entry] {
        match (self.stamps.get(slot), self.ranges.get(slot)) {
            (Some(&s), Some(&(a, b))) if s == self.generation => {
                &self.entries[a as usize..b as usize]
            }
            _ => &[],
        }
    }
}

/// An event as matchers read it: the values of its table fields, and the line they were
/// read from. Cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct EventView<'a> {
    fields: &'a Fields,
    line: &'a str,
}

impl<'a> EventView<'a> {
    /// The values of `slot` (empty when the event has none there).
    #[inline]
    pub fn slot(&self, slot: usize) -> Slot<'a> {
        Slot {
            entries: self.fields.range(slot),
            line: self.line,
            text: &self.fields.text,
        }
    }

    /// The line the values were read from (`""` when they came from elsewhere).
    pub fn line(&self) -> &'a str {
        self.line
    }
}

/// The values of one field of one event.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    entries: &'a [Entry],
    line: &'a str,
    text: &'a str,
}

impl<'a> Slot<'a> {
    /// Whether the field has no value (J.1: it is one null).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The number of values.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The `i`-th value.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Value<'a>> {
        self.entries.get(i).map(|e| self.value(e.value))
    }

    #[inline]
    fn value(&self, s: Scalar) -> Value<'a> {
        match s {
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::Int(i),
            Scalar::Float(f) => Value::Float(f),
            Scalar::LineStr { start, end } => Value::Str(Cow::Borrowed(
                self.line.get(start as usize..end as usize).unwrap_or(""),
            )),
            Scalar::OwnStr { start, end } => Value::Str(Cow::Borrowed(
                self.text.get(start as usize..end as usize).unwrap_or(""),
            )),
        }
    }

    /// The values, borrowed.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = Value<'a>> + 'a {
        let (line, text) = (self.line, self.text);
        let me = Slot {
            entries: &[],
            line,
            text,
        };
        self.entries.iter().map(move |e| me.value(e.value))
    }

    /// The string values only, borrowed.
    #[inline]
    pub fn strs(&self) -> impl Iterator<Item = &'a str> + 'a {
        let (line, text) = (self.line, self.text);
        self.entries.iter().filter_map(move |e| match e.value {
            Scalar::LineStr { start, end } => line.get(start as usize..end as usize),
            Scalar::OwnStr { start, end } => text.get(start as usize..end as usize),
            _ => None,
        })
    }

    /// The values as a vector (for callers that need owned values).
    pub fn to_vec(&self) -> Vec<Value<'a>> {
        self.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::JsonEvent;

    #[test]
    fn trie_walks_nested_dotted_and_mixed_keys() {
        let t = FieldTable::new(["process.parent.name", "process.name", "a..b", "x"]);
        let root = t.root();
        let p = t.descend(root, "process").unwrap();
        assert_eq!(t.slot_at(t.descend(p, "parent.name").unwrap()), Some(0));
        assert_eq!(
            t.slot_at(t.descend(root, "process.parent.name").unwrap()),
            Some(0)
        );
        assert_eq!(t.slot_at(t.descend(p, "name").unwrap()), Some(1));
        assert!(t.descend(p, "pid").is_none());
        assert!(t.has_children(p));
        assert_eq!(t.slot_at(t.descend(root, "a.").unwrap()), None);
        assert_eq!(
            t.slot_at(t.descend(t.descend(root, "a.").unwrap(), "b").unwrap()),
            Some(2)
        );
        assert_eq!(t.slot_of("x"), Some(3));
        let mut t2 = t.clone();
        assert_eq!(t2.push("x"), 3);
        assert_eq!(t2.push("y"), 4);
    }

    #[test]
    fn slots_group_values_and_reuse_buffers() {
        let t = FieldTable::new(["a", "b", "c"]);
        let mut f = Fields::new();
        f.clear();
        f.push_int(1, 7);
        f.push_str(0, "x");
        f.push_bool(1, true);
        let m = f.mark();
        f.push_int(2, 1);
        f.withdraw_since(m);
        f.finish(t.len());
        let v = f.view("");
        assert_eq!(v.slot(0).to_vec(), vec![Value::from("x")]);
        assert_eq!(v.slot(1).to_vec(), vec![Value::Int(7), Value::Bool(true)]);
        assert!(v.slot(2).is_empty());
        assert!(v.slot(9).is_empty());
        f.clear();
        f.finish(t.len());
        assert!(f.view("").slot(1).is_empty());
    }

    #[test]
    fn withdraw_range_keeps_later_values() {
        let t = FieldTable::new(["a", "b"]);
        let mut f = Fields::new();
        f.clear();
        let start = f.mark();
        f.push_int(0, 1);
        f.push_int(0, 2);
        let end = f.mark();
        f.push_int(1, 3);
        f.push_int(0, 4);
        f.withdraw_range(start, end);
        f.finish(t.len());
        let v = f.view("");
        assert_eq!(v.slot(0).to_vec(), vec![Value::Int(4)]);
        assert_eq!(v.slot(1).to_vec(), vec![Value::Int(3)]);
    }

    #[test]
    fn fill_from_event_reads_every_path() {
        let t = FieldTable::new(["a.b", "a.c", "missing"]);
        let e = JsonEvent::parse(r#"{"a":{"b":[1,2]},"a.c":"x"}"#).unwrap();
        let mut f = Fields::new();
        f.fill_from_event(&e, &t);
        let v = f.view("");
        assert_eq!(v.slot(0).to_vec(), vec![Value::Int(1), Value::Int(2)]);
        assert_eq!(v.slot(1).strs().collect::<Vec<_>>(), vec!["x"]);
        assert!(v.slot(2).is_empty());
    }
}
