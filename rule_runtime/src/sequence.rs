//! The sequence state machine of eql-semantics.md C.4 and C.5, for an event stream.
//!
//! The engine is generic: the caller evaluates every stage's filter and computes the
//! join-key tuples (eql-semantics.md C.3: multi-valued keys expanded to a de-duplicated
//! cartesian list, optional-key nulls included, an event without a valid key simply not
//! reported for that stage), then calls [`SequenceMatcher::on_event`] once per event in
//! `(timestamp, tiebreaker, arrival)` order. The engine never looks inside keys (`K`),
//! events (`E`, a cheap shared handle such as an `Arc` or an index) or ordinals (`O`).
//!
//! # Semantics
//!
//! * **C.4**: one pending partial per (stage, key); for each event the positive stages
//!   are tried from the last to the first, so one event can complete or advance a partial
//!   and start a new one; taking a partial consumes it even when the advance is then
//!   rejected; `maxspan` is inclusive and measured from the first event of the partial to
//!   the event being added; a new first-stage event for a key overwrites the pending
//!   partial of the first stage.
//! * **until**: an advance is rejected when an until event of the same key has an
//!   ordinal `u` with `ord(last event of the partial) <= u < ord(new event)`. The upper
//!   bound is strict: an event that is both the until event and the completing event
//!   still completes (the conformance case `sequenceWithOptionalFieldsAndUntil_1` expects
//!   `[18, 19, 20]` with until on event 20, and `_2`, until on 19, expects no such
//!   sequence). The engine implements this exactly by processing the stages of an event
//!   first and then dropping every partial of each until key of that event.
//! * **C.5 missing events** (`![...]`): missing stages are skipped by the state machine;
//!   each completed candidate is checked against the missing-stage events of its key:
//!   a middle clause rejects when such an event lies strictly between the neighbouring
//!   positive events (milliseconds); leading and trailing clauses follow Elasticsearch's
//!   three-way rule (`TumblingWindow.doCheckMissingEvents`). A candidate whose answer can
//!   still change (a trailing clause, or leading and trailing clauses) waits until the
//!   watermark passes the last instant that could change it (at most
//!   `first + maxspan`), or until [`SequenceMatcher::flush`], where the answer is
//!   Elasticsearch's over the same finite data (eql-semantics.md J.4).
//! * **Order**: results come out in completion order (the ordinal of the last positive
//!   event; several keys completed by one event in the order the caller listed them). A
//!   decided candidate waits behind earlier candidates that are still undecided.
//!
//! # State and its bounds
//!
//! Partials live in flat arrays indexed by a per-key *slot*; a compact hash index maps
//! keys to slots. Partials that can no longer advance (the watermark passed
//! `first + maxspan`) are dropped through a time-ordered queue (entries are pushed in
//! timestamp order, so a FIFO is already sorted by deadline; stale entries are detected
//! with a per-slot stamp), never by scanning all partials. The number of open keys is
//! capped by [`SequenceSpec::max_keys`]; when the cap is reached the key created the
//! longest ago is evicted and counted (by creation, not last activity: creation order is
//! what the queue already holds, and a key that keeps restarting without completing is
//! the one to give up on). A freed slot keeps its old key value until the slot is reused,
//! so key memory is bounded by the peak number of open keys. Missing-stage events are
//! kept as timestamps only, per key, and only for `maxspan` behind the watermark (they
//! are recorded even for keys without a partial, since a leading clause needs them).
//!
//! Memory per open key, for a key holding one first-stage partial: the key itself plus
//! about 63 bytes (slot arrays 28, hash index 16, expiry queue 16, growth slack; measured
//! by `tests/sequence_memory.rs` with one million `u64` keys and a 4-byte event handle,
//! whose bound is 64 bytes plus the size of the key). Event data is never copied: a
//! partial holds the caller's handles.

mod index;
#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Keys come from events: a hash map seeded at random (`foldhash`), fast and not
/// predictable from outside.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
use std::fmt;
use std::hash::Hash;

use index::KeyIndex;

/// What a stage of an (already `runs`-expanded) sequence is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum StageKind {
    /// A `[ ... ]` clause: an event must match it.
    Positive,
    /// A `![ ... ]` clause: no event of the candidate's key may match it in its window.
    Missing,
}

/// The shape of a sequence, as the matcher needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceSpec {
    /// The stages in query order, `with runs=N` already expanded to N stages. The
    /// `until` clause is not a stage: its keys are passed to
    /// [`SequenceMatcher::on_event`] directly.
    pub stages: Vec<StageKind>,
    /// `with maxspan`, in milliseconds (inclusive). Mandatory with missing stages.
    pub maxspan_ms: Option<u64>,
    /// The most keys with pending partials kept at once; when a new key would exceed
    /// it, the key created the longest ago is evicted (counted in
    /// [`SequenceStats::evictions`]). `None` means no cap other than the engine's
    /// addressing limit (`u32::MAX - 1` keys). Applies with or without `maxspan`.
    pub max_keys: Option<usize>,
}

/// Why a [`SequenceSpec`] was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// The spec has no stage at all.
    NoStages,
    /// Every stage is a missing-event stage.
    NoPositiveStage,
    /// A missing-event stage without `maxspan` (Elasticsearch rejects this too).
    MissingWithoutMaxspan,
    /// `max_keys` is zero, so no partial could ever be kept.
    ZeroMaxKeys,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpecError::NoStages => "a sequence needs at least one stage",
            SpecError::NoPositiveStage => "a sequence needs at least one positive stage",
            SpecError::MissingWithoutMaxspan => {
                "a sequence with a missing-event stage needs `with maxspan`"
            }
            SpecError::ZeroMaxKeys => "max_keys must be at least 1",
        })
    }
}

impl std::error::Error for SpecError {}

/// One result: the join key and one entry per stage (`None` at a missing stage).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceMatch<K, E> {
    /// The join-key tuple shared by the sequence's events.
    pub key: K,
    /// The matched events in stage order; `None` stands for a missing-event placeholder.
    pub events: Vec<Option<E>>,
}

/// Counters of what the matcher dropped, for reporting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SequenceStats {
    /// Keys evicted because the key cap was reached (their partials are lost).
    pub evictions: u64,
    /// Partials dropped because the watermark passed `first + maxspan`.
    pub expired: u64,
    /// Events ignored because their timestamp was below the watermark or their ordinal
    /// was not above the previous event's (the caller broke the ordering promise).
    pub late_events: u64,
    /// Partials dropped by an `until` event of their key.
    pub until_kills: u64,
    /// Advances rejected because the new event was more than `maxspan` after the first.
    /// Usually zero: such a partial has normally expired (counted in `expired`) when the
    /// watermark reached the event, which is equivalent.
    pub maxspan_rejections: u64,
    /// Completed candidates rejected by a missing-event clause.
    pub missing_rejections: u64,
}

/// Marker of an empty partial cell.
const NO_BLOCK: u32 = u32::MAX;
/// The most slots the u32 addressing allows (`u32::MAX` is the empty marker).
const SLOT_LIMIT: usize = u32::MAX as usize - 1;

/// What stage `i` of the spec is (a missing stage with its rank among missing stages).
#[derive(Clone, Copy, Debug)]
enum Role {
    Positive,
    Missing(usize),
}

/// Where a missing stage sits relative to the positive ones (ranks of the neighbours).
#[derive(Clone, Copy, Debug)]
enum MissingPlace {
    Leading,
    Middle { before: usize, after: usize },
    Trailing,
}

/// Storage of the partials of one positive rank: fixed-width blocks of events (and of
/// timestamps). Rank 0 is indexed by slot directly; the others allocate blocks.
struct Arena<E> {
    width: usize,
    ts_width: usize,
    slot_indexed: bool,
    events: Vec<Option<E>>,
    ts: Vec<i64>,
    free: Vec<u32>,
}

impl<E> Arena<E> {
    fn new(width: usize, ts_width: usize, slot_indexed: bool) -> Self {
        Arena {
            width,
            ts_width,
            slot_indexed,
            events: Vec::new(),
            ts: Vec::new(),
            free: Vec::new(),
        }
    }

    fn blocks(&self) -> usize {
        self.events.len() / self.width
    }

    fn push_block(&mut self) -> u32 {
        let b = self.blocks();
        self.events
            .resize_with(self.events.len() + self.width, || None);
        self.ts.resize(self.ts.len() + self.ts_width, 0);
        b as u32
    }

    /// A free block (not for slot-indexed arenas, whose block is the slot).
    fn alloc(&mut self) -> u32 {
        match self.free.pop() {
            Some(b) => b,
            None => self.push_block(),
        }
    }

    fn is_present(&self, block: u32) -> bool {
        self.events
            .get(block as usize * self.width)
            .is_some_and(Option::is_some)
    }

    fn first_ts(&self, block: u32) -> i64 {
        self.ts[block as usize * self.ts_width]
    }

    /// Drops the block's events and makes it reusable.
    fn release(&mut self, block: u32) {
        let start = block as usize * self.width;
        for e in &mut self.events[start..start + self.width] {
            *e = None;
        }
        if !self.slot_indexed {
            self.free.push(block);
        }
    }
}

/// An entry of the time-ordered queue: at `at` (a deadline with `maxspan`, the creation
/// time without) look at `slot`, if it still has `stamp`.
#[derive(Clone, Copy, Debug)]
struct QueueEntry {
    at: i64,
    slot: u32,
    stamp: u32,
}

/// A completed candidate in the output queue.
enum Outcome<K, E> {
    Ready(SequenceMatch<K, E>),
    Waiting {
        found: SequenceMatch<K, E>,
        /// Trailing missing events with `lo < ts <= hi` reject the candidate.
        lo: i64,
        hi: i64,
    },
    Done,
}

/// The verdict of the missing-event check at completion.
enum Verdict {
    Accept,
    Reject,
    Wait { lo: i64, hi: i64 },
}

/// The streaming sequence matcher of one sequence query.
///
/// `K` is the join-key tuple, `E` a cheap shared event handle (cloned into partials and
/// results, never inspected), `O` the event ordinal (used only to detect input that
/// breaks the ordering promise).
///
/// Memory bound: an open key costs the key plus about 63 bytes when it holds one
/// first-stage partial (see the module documentation and `tests/sequence_memory.rs`);
/// a partial at positive rank `r` adds `r + 1` event handles and 4 to 12 bytes.
pub struct SequenceMatcher<K, E, O> {
    n_stages: usize,
    /// Stage index of each positive rank.
    positive: Vec<usize>,
    roles: Vec<Role>,
    /// Place of each missing rank.
    missing: Vec<MissingPlace>,
    has_leading: bool,
    has_trailing: bool,
    maxspan: Option<u64>,
    max_keys: Option<usize>,
    key_cap: usize,
    /// Whether partials keep every event's timestamp (needed by middle clauses).
    track_ts: bool,

    index: KeyIndex,
    keys: Vec<K>,
    stamps: Vec<u32>,
    /// Block numbers of the partials of ranks `1..P-1`, `cell_stride` per slot.
    cells: Vec<u32>,
    cell_stride: usize,
    free_slots: Vec<u32>,
    live: usize,
    arenas: Vec<Arena<E>>,
    queue: VecDeque<QueueEntry>,

    logs: HashMap<K, Vec<VecDeque<i64>>>,
    log_queue: VecDeque<(i64, K)>,

    outcomes: VecDeque<Outcome<K, E>>,
    outcomes_base: u64,
    deadlines: BinaryHeap<Reverse<(i64, u64)>>,
    waiting: usize,

    watermark: Option<i64>,
    last_ordinal: Option<O>,
    stats: SequenceStats,
}

impl<K, E, O> fmt::Debug for SequenceMatcher<K, E, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SequenceMatcher")
            .field("stages", &self.n_stages)
            .field("maxspan_ms", &self.maxspan)
            .field("open_keys", &self.live)
            .field("pending_candidates", &self.outcomes.len())
            .field("watermark", &self.watermark)
            .field("stats", &self.stats)
            .finish()
    }
}

/// Empty arenas for positive ranks `0..ranks` (rank `r` partials hold `r + 1` events).
fn fresh_arenas<E>(ranks: usize, track_ts: bool) -> Vec<Arena<E>> {
    (0..ranks)
        .map(|r| Arena::new(r + 1, if track_ts { r + 1 } else { 1 }, r == 0))
        .collect()
}

/// `first + maxspan`, saturated to the `i64` range.
fn deadline(first: i64, maxspan: u64) -> i64 {
    let d = i128::from(first) + i128::from(maxspan);
    i64::try_from(d).unwrap_or(i64::MAX)
}

/// Whether `to - from > maxspan` (so `==` passes).
fn exceeds(from: i64, to: i64, maxspan: u64) -> bool {
    i128::from(to) - i128::from(from) > i128::from(maxspan)
}

/// Whether the sorted log holds a timestamp in `(lo, hi)`.
fn any_between_open(log: &VecDeque<i64>, lo: i64, hi: i64) -> bool {
    let i = log.partition_point(|&x| x <= lo);
    log.get(i).is_some_and(|&x| x < hi)
}

/// Whether the sorted log holds a timestamp in `(lo, hi]`.
fn any_between_half_open(log: &VecDeque<i64>, lo: i64, hi: i64) -> bool {
    let i = log.partition_point(|&x| x <= lo);
    log.get(i).is_some_and(|&x| x <= hi)
}

/// The latest timestamp of the sorted log strictly below `bound`.
fn last_before(log: &VecDeque<i64>, bound: i64) -> Option<i64> {
    let i = log.partition_point(|&x| x < bound);
    i.checked_sub(1).and_then(|j| log.get(j).copied())
}

impl<K, E, O> SequenceMatcher<K, E, O>
where
    K: Hash + Eq + Clone,
    E: Clone,
    O: Ord,
{
    /// A matcher for `spec`, or why the spec cannot be matched.
    pub fn new(spec: SequenceSpec) -> Result<Self, SpecError> {
        if spec.stages.is_empty() {
            return Err(SpecError::NoStages);
        }
        if spec.max_keys == Some(0) {
            return Err(SpecError::ZeroMaxKeys);
        }
        let mut positive = Vec::new();
        let mut roles = Vec::with_capacity(spec.stages.len());
        let mut missing_stages = Vec::new();
        for (i, kind) in spec.stages.iter().enumerate() {
            match kind {
                StageKind::Positive => {
                    roles.push(Role::Positive);
                    positive.push(i);
                }
                StageKind::Missing => {
                    roles.push(Role::Missing(missing_stages.len()));
                    missing_stages.push(i);
                }
            }
        }
        if positive.is_empty() {
            return Err(SpecError::NoPositiveStage);
        }
        if !missing_stages.is_empty() && spec.maxspan_ms.is_none() {
            return Err(SpecError::MissingWithoutMaxspan);
        }
        let missing: Vec<MissingPlace> = missing_stages
            .iter()
            .map(|&i| {
                let before = positive.iter().rposition(|&p| p < i);
                let after = positive.iter().position(|&p| p > i);
                match (before, after) {
                    (None, _) => MissingPlace::Leading,
                    (Some(_), None) => MissingPlace::Trailing,
                    (Some(before), Some(after)) => MissingPlace::Middle { before, after },
                }
            })
            .collect();
        let has_leading = missing.iter().any(|m| matches!(m, MissingPlace::Leading));
        let has_trailing = missing.iter().any(|m| matches!(m, MissingPlace::Trailing));
        let track_ts = missing
            .iter()
            .any(|m| matches!(m, MissingPlace::Middle { .. }));
        let ranks = positive.len() - 1;
        let arenas = fresh_arenas(ranks, track_ts);
        Ok(SequenceMatcher {
            n_stages: spec.stages.len(),
            positive,
            roles,
            missing,
            has_leading,
            has_trailing,
            maxspan: spec.maxspan_ms,
            max_keys: spec.max_keys,
            key_cap: spec.max_keys.unwrap_or(SLOT_LIMIT).min(SLOT_LIMIT),
            track_ts,
            index: KeyIndex::new(),
            keys: Vec::new(),
            stamps: Vec::new(),
            cells: Vec::new(),
            cell_stride: ranks.saturating_sub(1),
            free_slots: Vec::new(),
            live: 0,
            arenas,
            queue: VecDeque::new(),
            logs: HashMap::default(),
            log_queue: VecDeque::new(),
            outcomes: VecDeque::new(),
            outcomes_base: 0,
            deadlines: BinaryHeap::new(),
            waiting: 0,
            watermark: None,
            last_ordinal: None,
            stats: SequenceStats::default(),
        })
    }

    /// Feeds one event.
    ///
    /// Events must come in `(timestamp, tiebreaker, arrival)` order: `ordinal` strictly
    /// increasing and `ts_ms` not below the watermark; an event breaking this is ignored
    /// and counted in [`SequenceStats::late_events`]. `matches` lists, for each stage
    /// index (into [`SequenceSpec::stages`]) whose filter the event matched, the event's
    /// join-key tuples for that stage (de-duplicated; an entry for an unknown stage index
    /// is ignored). `until_keys` are the event's key tuples for the `until` clause, if it
    /// matched. Results that become final are appended to `out` in completion order.
    ///
    /// Feeding an event at `ts_ms` first advances the watermark to `ts_ms`.
    pub fn on_event(
        &mut self,
        ordinal: O,
        ts_ms: i64,
        event: &E,
        matches: &[(usize, &[K])],
        until_keys: &[K],
        out: &mut Vec<SequenceMatch<K, E>>,
    ) {
        let late_ts = self.watermark.is_some_and(|w| ts_ms < w);
        let late_ord = self.last_ordinal.as_ref().is_some_and(|o| ordinal <= *o);
        if late_ts || late_ord {
            self.stats.late_events += 1;
            return;
        }
        self.last_ordinal = Some(ordinal);
        self.advance_watermark(ts_ms, out);

        if !self.missing.is_empty() {
            for &(stage, keys) in matches {
                if let Some(&Role::Missing(m)) = self.roles.get(stage) {
                    for key in keys {
                        self.record_missing(m, key, ts_ms);
                    }
                }
            }
        }

        for rank in (0..self.positive.len()).rev() {
            let stage = self.positive[rank];
            for &(s, keys) in matches {
                if s != stage {
                    continue;
                }
                for key in keys {
                    self.positive_match(rank, key, ts_ms, event, out);
                }
            }
        }

        for key in until_keys {
            self.kill(key);
        }
    }

    /// Declares that no later event will have a timestamp below `ts_ms`: drops partials
    /// that can no longer advance, decides waiting candidates whose window has passed,
    /// forgets missing-stage events that can no longer matter, and appends the results
    /// that became final to `out`. A watermark below the current one is ignored.
    pub fn advance_watermark(&mut self, ts_ms: i64, out: &mut Vec<SequenceMatch<K, E>>) {
        if self.watermark.is_some_and(|w| ts_ms <= w) {
            return;
        }
        self.watermark = Some(ts_ms);

        // Decide first: the waiting candidates read the missing-stage logs pruned below.
        while let Some(&Reverse((hi, seq))) = self.deadlines.peek() {
            if hi >= ts_ms {
                break;
            }
            self.deadlines.pop();
            self.resolve(seq);
        }
        self.release(out);

        if let Some(maxspan) = self.maxspan {
            self.expire(ts_ms, maxspan);
            self.prune_logs(ts_ms, maxspan);
        }
    }

    /// The smallest watermark at which [`SequenceMatcher::advance_watermark`] would do
    /// anything: decide a waiting candidate (its window `hi` passed), drop a partial
    /// (`first + maxspan` passed) or forget a missing-stage event (older than
    /// `watermark - maxspan`). `None` when nothing waits on time. Advancing to a smaller
    /// watermark changes nothing a caller can observe (the partials it would keep cannot
    /// be completed by an event below it either), so a caller may skip those calls.
    pub fn next_deadline(&self) -> Option<i64> {
        let after = |t: i64| t.saturating_add(1);
        let mut next: Option<i64> = None;
        let mut consider = |t: i64| next = Some(next.map_or(t, |n: i64| n.min(t)));
        if let Some(Reverse((hi, _))) = self.deadlines.peek() {
            consider(after(*hi));
        }
        if let Some(maxspan) = self.maxspan {
            if let Some(e) = self.queue.front() {
                consider(after(e.at));
            }
            if let Some((ts, _)) = self.log_queue.front() {
                let t = i128::from(*ts) + i128::from(maxspan) + 1;
                consider(i64::try_from(t).unwrap_or(i64::MAX));
            }
        }
        next
    }

    /// Ends the input: decides every waiting candidate as Elasticsearch would over the
    /// data seen, appends all remaining results to `out`, and resets the matcher to an
    /// empty state (counters are kept), ready for an unrelated stream.
    pub fn flush(&mut self, out: &mut Vec<SequenceMatch<K, E>>) {
        while let Some(Reverse((_, seq))) = self.deadlines.pop() {
            self.resolve(seq);
        }
        self.release(out);
        self.index = KeyIndex::new();
        self.keys = Vec::new();
        self.stamps = Vec::new();
        self.cells = Vec::new();
        self.free_slots = Vec::new();
        self.live = 0;
        self.arenas = fresh_arenas(self.arenas.len(), self.track_ts);
        self.queue = VecDeque::new();
        self.logs = HashMap::default();
        self.log_queue = VecDeque::new();
        self.outcomes = VecDeque::new();
        self.deadlines = BinaryHeap::new();
        self.waiting = 0;
        self.watermark = None;
        self.last_ordinal = None;
    }

    /// The number of keys holding at least one pending partial.
    pub fn open_keys(&self) -> usize {
        self.live
    }

    /// The number of completed candidates not yet released: those waiting for their
    /// missing-event window and decided ones queued behind them.
    pub fn pending_candidates(&self) -> usize {
        self.outcomes.len()
    }

    /// The number of completed candidates whose missing-event window is still open.
    pub fn waiting_candidates(&self) -> usize {
        self.waiting
    }

    /// The current watermark (`None` before the first event or watermark).
    pub fn watermark(&self) -> Option<i64> {
        self.watermark
    }

    /// The counters of dropped state and ignored input.
    pub fn stats(&self) -> SequenceStats {
        self.stats
    }

    /// The `max_keys` the matcher was built with.
    pub fn max_keys(&self) -> Option<usize> {
        self.max_keys
    }

    // ----- partial storage -------------------------------------------------------

    fn find_slot(&self, hash: u32, key: &K) -> Option<u32> {
        let keys = &self.keys;
        self.index.find(hash, |s| keys[s as usize] == *key)
    }

    /// The block of the partial at `rank` of `slot`, if any.
    fn cell(&self, slot: u32, rank: usize) -> Option<u32> {
        if rank == 0 {
            return self.arenas[0].is_present(slot).then_some(slot);
        }
        let b = self.cells[slot as usize * self.cell_stride + rank - 1];
        (b != NO_BLOCK).then_some(b)
    }

    /// Detaches the partial at `rank` of `slot`; the caller must release its block.
    fn take_cell(&mut self, slot: u32, rank: usize) -> Option<u32> {
        if rank == 0 {
            return self.cell(slot, 0);
        }
        let i = slot as usize * self.cell_stride + rank - 1;
        let b = std::mem::replace(&mut self.cells[i], NO_BLOCK);
        (b != NO_BLOCK).then_some(b)
    }

    fn slot_is_empty(&self, slot: u32) -> bool {
        (0..self.arenas.len()).all(|r| self.cell(slot, r).is_none())
    }

    /// Frees `slot` if it holds no partial any more.
    fn free_if_empty(&mut self, slot: u32, hash: u32) {
        if self.slot_is_empty(slot) {
            self.free_slot(slot, hash);
        }
    }

    /// Unfiles an empty slot and makes it reusable; queue entries for it go stale.
    fn free_slot(&mut self, slot: u32, hash: u32) {
        if self.index.remove(hash, slot) {
            self.stamps[slot as usize] = self.stamps[slot as usize].wrapping_add(1);
            self.free_slots.push(slot);
            self.live -= 1;
        }
    }

    /// Drops every partial of `slot` and frees it; returns how many partials it held.
    fn drop_slot(&mut self, slot: u32) -> u64 {
        let mut dropped = 0;
        for rank in 0..self.arenas.len() {
            if let Some(b) = self.take_cell(slot, rank) {
                self.arenas[rank].release(b);
                dropped += 1;
            }
        }
        let hash = self.index.hash(&self.keys[slot as usize]);
        self.free_slot(slot, hash);
        dropped
    }

    /// A slot for a new key, evicting the oldest key at the cap.
    fn new_slot(&mut self, key: &K, hash: u32, ts: i64) -> Option<u32> {
        if self.live >= self.key_cap {
            self.evict_oldest();
            if self.live >= self.key_cap {
                // Nothing evictable (no queue without maxspan and max_keys): refuse.
                self.stats.evictions += 1;
                return None;
            }
        }
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.keys[s as usize] = key.clone();
                s
            }
            None => {
                let s = self.keys.len() as u32;
                self.keys.push(key.clone());
                self.stamps.push(0);
                self.cells
                    .extend(std::iter::repeat_n(NO_BLOCK, self.cell_stride));
                if let Some(a) = self.arenas.first_mut() {
                    a.push_block();
                }
                s
            }
        };
        self.index.insert(hash, slot);
        self.live += 1;
        if self.maxspan.is_none() && self.max_keys.is_some() {
            self.queue.push_back(QueueEntry {
                at: ts,
                slot,
                stamp: self.stamps[slot as usize],
            });
            if self.queue.len() > 2 * self.live + 64 {
                let stamps = &self.stamps;
                self.queue.retain(|e| stamps[e.slot as usize] == e.stamp);
            }
        }
        Some(slot)
    }

    /// Evicts the key whose oldest queue entry is the oldest still valid.
    fn evict_oldest(&mut self) {
        while let Some(e) = self.queue.pop_front() {
            if self.stamps[e.slot as usize] == e.stamp && !self.slot_is_empty(e.slot) {
                self.drop_slot(e.slot);
                self.stats.evictions += 1;
                return;
            }
        }
    }

    /// Drops the partials whose `first + maxspan` is below `watermark`.
    fn expire(&mut self, watermark: i64, maxspan: u64) {
        while let Some(&e) = self.queue.front() {
            if e.at >= watermark {
                break;
            }
            self.queue.pop_front();
            if self.stamps[e.slot as usize] != e.stamp {
                continue;
            }
            for rank in 0..self.arenas.len() {
                if let Some(b) = self.cell(e.slot, rank) {
                    if deadline(self.arenas[rank].first_ts(b), maxspan) < watermark {
                        self.take_cell(e.slot, rank);
                        self.arenas[rank].release(b);
                        self.stats.expired += 1;
                    }
                }
            }
            if self.slot_is_empty(e.slot) {
                let hash = self.index.hash(&self.keys[e.slot as usize]);
                self.free_slot(e.slot, hash);
            }
        }
    }

    /// Drops every partial of `key` (an until event of that key).
    fn kill(&mut self, key: &K) {
        if self.arenas.is_empty() {
            return;
        }
        let hash = self.index.hash(key);
        if let Some(slot) = self.find_slot(hash, key) {
            self.stats.until_kills += self.drop_slot(slot);
        }
    }

    /// Starts a partial at the first positive stage (overwriting the pending one).
    fn start(&mut self, key: &K, ts: i64, event: &E) {
        let hash = self.index.hash(key);
        let slot = match self.find_slot(hash, key) {
            Some(s) => s,
            None => match self.new_slot(key, hash, ts) {
                Some(s) => s,
                None => return,
            },
        };
        let arena = &mut self.arenas[0];
        let i = slot as usize;
        arena.events[i] = Some(event.clone());
        arena.ts[i * arena.ts_width] = ts;
        if let Some(maxspan) = self.maxspan {
            self.queue.push_back(QueueEntry {
                at: deadline(ts, maxspan),
                slot,
                stamp: self.stamps[i],
            });
        }
    }

    /// The event matched positive `rank` with `key`.
    fn positive_match(
        &mut self,
        rank: usize,
        key: &K,
        ts: i64,
        event: &E,
        out: &mut Vec<SequenceMatch<K, E>>,
    ) {
        let last = self.positive.len() - 1;
        if rank == 0 {
            if last == 0 {
                self.complete(key.clone(), Vec::new(), Vec::new(), ts, event, out);
            } else {
                self.start(key, ts, event);
            }
            return;
        }
        let hash = self.index.hash(key);
        let Some(slot) = self.find_slot(hash, key) else {
            return;
        };
        let Some(block) = self.take_cell(slot, rank - 1) else {
            return;
        };
        let first = self.arenas[rank - 1].first_ts(block);
        if self.maxspan.is_some_and(|m| exceeds(first, ts, m)) {
            self.arenas[rank - 1].release(block);
            self.stats.maxspan_rejections += 1;
            self.free_if_empty(slot, hash);
            return;
        }
        if rank == last {
            let src = &mut self.arenas[rank - 1];
            let (start, width) = (block as usize * src.width, src.width);
            let events: Vec<E> = src.events[start..start + width]
                .iter_mut()
                .filter_map(Option::take)
                .collect();
            let ts_start = block as usize * src.ts_width;
            let times: Vec<i64> = if self.track_ts {
                src.ts[ts_start..ts_start + src.ts_width].to_vec()
            } else {
                vec![src.ts[ts_start]]
            };
            src.release(block);
            self.free_if_empty(slot, hash);
            self.complete(key.clone(), events, times, ts, event, out);
            return;
        }
        // Advance into `rank`, overwriting its pending partial.
        if let Some(old) = self.take_cell(slot, rank) {
            self.arenas[rank].release(old);
        }
        let (lower, upper) = self.arenas.split_at_mut(rank);
        let (src, dst) = (&mut lower[rank - 1], &mut upper[0]);
        let nb = dst.alloc();
        let (s0, d0) = (block as usize * src.width, nb as usize * dst.width);
        for i in 0..src.width {
            dst.events[d0 + i] = src.events[s0 + i].take();
        }
        dst.events[d0 + src.width] = Some(event.clone());
        let (st0, dt0) = (block as usize * src.ts_width, nb as usize * dst.ts_width);
        if self.track_ts {
            dst.ts[dt0..dt0 + src.ts_width].copy_from_slice(&src.ts[st0..st0 + src.ts_width]);
            dst.ts[dt0 + src.ts_width] = ts;
        } else {
            dst.ts[dt0] = src.ts[st0];
        }
        src.release(block);
        self.cells[slot as usize * self.cell_stride + rank - 1] = nb;
    }

    // ----- completion and missing events -----------------------------------------

    /// A candidate completed: `events`/`times` are the partial's (all timestamps when
    /// tracked, else the first one), `event` at `ts` the completing one.
    fn complete(
        &mut self,
        key: K,
        events: Vec<E>,
        mut times: Vec<i64>,
        ts: i64,
        event: &E,
        out: &mut Vec<SequenceMatch<K, E>>,
    ) {
        let mut slots: Vec<Option<E>> = vec![None; self.n_stages];
        for (rank, e) in events.into_iter().enumerate() {
            slots[self.positive[rank]] = Some(e);
        }
        if let Some(&stage) = self.positive.last() {
            slots[stage] = Some(event.clone());
        }
        let found = SequenceMatch { key, events: slots };
        if self.missing.is_empty() {
            self.emit(found, out);
            return;
        }
        times.push(ts);
        match self.verdict(&found.key, &times) {
            Verdict::Accept => self.emit(found, out),
            Verdict::Reject => self.stats.missing_rejections += 1,
            Verdict::Wait { lo, hi } => {
                let seq = self.outcomes_base + self.outcomes.len() as u64;
                self.outcomes.push_back(Outcome::Waiting { found, lo, hi });
                self.deadlines.push(Reverse((hi, seq)));
                self.waiting += 1;
            }
        }
    }

    fn emit(&mut self, found: SequenceMatch<K, E>, out: &mut Vec<SequenceMatch<K, E>>) {
        if self.outcomes.is_empty() {
            out.push(found);
        } else {
            self.outcomes.push_back(Outcome::Ready(found));
        }
    }

    /// The missing-event verdict at completion. `times` holds the timestamps of all
    /// positive events when middle clauses exist, else the first and the last.
    fn verdict(&self, key: &K, times: &[i64]) -> Verdict {
        let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
            return Verdict::Accept;
        };
        let maxspan = self.maxspan.unwrap_or(u64::MAX);
        let log = self.logs.get(key);
        if let Some(log) = log {
            for (m, place) in self.missing.iter().enumerate() {
                if let MissingPlace::Middle { before, after } = *place {
                    if let (Some(&a), Some(&b)) = (times.get(before), times.get(after)) {
                        if any_between_open(&log[m], a, b) {
                            return Verdict::Reject;
                        }
                    }
                }
            }
        }
        let last_leading = match log {
            Some(log) if self.has_leading => self
                .missing
                .iter()
                .enumerate()
                .filter(|(_, p)| matches!(p, MissingPlace::Leading))
                .filter_map(|(m, _)| last_before(&log[m], first))
                .max(),
            _ => None,
        };
        let wait_or_accept = |lo: i64, hi: i64| {
            if hi <= lo {
                Verdict::Accept
            } else {
                Verdict::Wait { lo, hi }
            }
        };
        match (self.has_leading, self.has_trailing) {
            (false, false) => Verdict::Accept,
            (true, false) => match last_leading {
                Some(l) if !exceeds(l, last, maxspan) => Verdict::Reject,
                _ => Verdict::Accept,
            },
            (false, true) => wait_or_accept(last, deadline(first, maxspan)),
            (true, true) => match last_leading {
                None => Verdict::Accept,
                Some(l) => wait_or_accept(last, deadline(l, maxspan)),
            },
        }
    }

    /// Decides the waiting candidate number `seq` from the trailing events seen.
    fn resolve(&mut self, seq: u64) {
        let Some(idx) = seq
            .checked_sub(self.outcomes_base)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return;
        };
        let Some(slot) = self.outcomes.get_mut(idx) else {
            return;
        };
        let Outcome::Waiting { found, lo, hi } = std::mem::replace(slot, Outcome::Done) else {
            return;
        };
        self.waiting -= 1;
        let rejected = self.logs.get(&found.key).is_some_and(|log| {
            self.missing
                .iter()
                .enumerate()
                .filter(|(_, p)| matches!(p, MissingPlace::Trailing))
                .any(|(m, _)| any_between_half_open(&log[m], lo, hi))
        });
        if rejected {
            self.stats.missing_rejections += 1;
        } else if let Some(slot) = self.outcomes.get_mut(idx) {
            *slot = Outcome::Ready(found);
        }
    }

    /// Appends the decided candidates at the front of the output queue to `out`.
    fn release(&mut self, out: &mut Vec<SequenceMatch<K, E>>) {
        while let Some(front) = self.outcomes.front() {
            if matches!(front, Outcome::Waiting { .. }) {
                break;
            }
            if let Some(Outcome::Ready(found)) = self.outcomes.pop_front() {
                out.push(found);
            }
            self.outcomes_base += 1;
        }
    }

    /// Remembers that a missing-stage event of `key` occurred at `ts` (milliseconds
    /// suffice: every missing-event comparison is on timestamps).
    fn record_missing(&mut self, m: usize, key: &K, ts: i64) {
        if !self.logs.contains_key(key) {
            let n = self.missing.len();
            self.logs.insert(key.clone(), vec![VecDeque::new(); n]);
        }
        let Some(log) = self.logs.get_mut(key).and_then(|l| l.get_mut(m)) else {
            return;
        };
        if log.back() == Some(&ts) {
            return;
        }
        log.push_back(ts);
        self.log_queue.push_back((ts, key.clone()));
    }

    /// Forgets missing-stage events older than `watermark - maxspan`: no candidate that
    /// can still complete or is still waiting can be affected by them.
    fn prune_logs(&mut self, watermark: i64, maxspan: u64) {
        let threshold = i128::from(watermark) - i128::from(maxspan);
        while let Some((ts, _)) = self.log_queue.front() {
            if i128::from(*ts) >= threshold {
                break;
            }
            let Some((_, key)) = self.log_queue.pop_front() else {
                break;
            };
            let mut now_empty = false;
            if let Some(log) = self.logs.get_mut(&key) {
                for d in log.iter_mut() {
                    while d.front().is_some_and(|&x| i128::from(x) < threshold) {
                        d.pop_front();
                    }
                }
                now_empty = log.iter().all(VecDeque::is_empty);
            }
            if now_empty {
                self.logs.remove(&key);
            }
        }
    }
}
