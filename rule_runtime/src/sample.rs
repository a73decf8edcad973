//! The sample state machine of eql-semantics.md D and J.5.
//!
//! ```text
//! sample by k1[, k2]
//!   [ cat where cond ] [by f]
//!   [ cat where cond ] [by g]      # 1..=5 filters here, 2..=5 in EQL
//! ```
//!
//! A sample is one event per filter, all sharing one join-key tuple, listed in filter
//! order, and **no document fills two filters of one sample**. Samples have no time
//! order, no `maxspan` and no end condition.
//!
//! # Division of labour
//!
//! The engine is generic and knows nothing about events or values. For every event the
//! caller:
//!
//! * evaluates each filter;
//! * computes, for each filter the event matched, the event's join-key tuple(s) `K`
//!   (multi-valued keys expanded into their cartesian product and de-duplicated, an
//!   optional `?k` with no value contributing its null, an event with a null
//!   non-optional key contributing no tuple at all: eql-semantics.md C.3);
//! * calls [`SampleMatcher::on_event`] once, with a cheap shared handle `E` (an `Arc`,
//!   an index into the caller's buffer: never a copy of the event) and an identity `id`
//!   that is unique per event (an arrival number), which is what "the same document"
//!   means.
//!
//! # Two modes, chosen at construction
//!
//! * [`SampleMode::Stream`] (eql-semantics.md J.5, the online answer): the first time the
//!   events seen so far contain a complete sample for a key tuple, that sample is
//!   returned from [`SampleMatcher::on_event`], once; the key tuple then never emits
//!   again. [`SampleMatcher::flush`] returns nothing (everything was already emitted).
//! * [`SampleMode::Batch`] (Elasticsearch's answer over a finite input): nothing is
//!   emitted while events arrive; [`SampleMatcher::flush`] returns the samples ordered by
//!   key tuple ascending, at most `max_samples_per_key` per key tuple and at most `size`
//!   in all, chosen exactly as Elasticsearch's `SampleIterator` chooses them when its
//!   search hits come back in arrival order (see below).
//!
//! The two are separate modes rather than one matcher doing both, because the batch
//! answer is only known at the end (key order and `size` depend on every key), and a
//! streamed sample reported again at flush would be a duplicate alert.
//!
//! # How documents are chosen
//!
//! Elasticsearch finds the key tuples with composite aggregations, then, per key tuple
//! and per filter, fetches at most `filters + max_samples_per_key - 1` matching documents
//! (a search with `size` and `terminate_after` both set to that number), then walks the
//! filters depth-first in filter order, trying each filter's documents in hit order and
//! skipping documents already used by an earlier filter of the same sample; the first
//! `max_samples_per_key` complete assignments are the key's samples. Several samples of
//! one key may therefore share documents (`[1,3],[2,3]` in
//! `test_sample_multi.toml#twoSamplesPerKeyOutOfThree`). The hit order is not
//! deterministic in Elasticsearch (the suite lists alternatives); here it is arrival
//! order, so each key keeps the **first** `filters + max_samples_per_key - 1` events per
//! filter, and the depth-first walk is reproduced exactly (with a pruning step that only
//! skips branches that cannot complete, so the order of results is unchanged).
//!
//! In stream mode each key keeps the first `filters` events per filter. That loses no
//! sample: if a complete assignment exists among all events seen, one exists among the
//! kept ones (a filter with `filters` kept candidates always has one left over after the
//! other `filters - 1` filters took theirs). The sample emitted is the first assignment of
//! the same depth-first walk over the kept events at the moment of completion, so a stream
//! and a batch run over the same events may pick different (equally valid) documents.
//!
//! # Key order
//!
//! [`SampleMode::Batch`] sorts key tuples with `K: Ord`. The caller must make that order
//! equal to Elasticsearch's composite-aggregation order, field by field, left to right:
//! `false < true`; numbers numerically; keyword strings by their UTF-8 bytes (`"GTA" <
//! "doom"`); IP addresses by their 16-byte (IPv4-mapped) form; dates by instant; and a
//! null optional key **first**, before every value (the suite's `allKeysOptional` returns
//! `("doom", null)` before `("doom", "win10")`, and `oneSamplePerKey_optional` returns the
//! null key first). `Option<T>`'s derived order (`None < Some`) gives the null-first rule.
//!
//! # Memory
//!
//! Per key tuple at most `filters × per_filter_capacity` candidates (a handle `E` and a
//! `u64` each), where the capacity is `filters` in stream mode and
//! `filters + max_samples_per_key - 1` in batch mode; a key that has emitted in stream mode
//! keeps only the key itself, as a marker. At most [`SampleConfig::max_keys`] key tuples
//! are tracked: beyond that the oldest key tuple (by first appearance) is evicted and
//! counted in [`SampleStats::keys_evicted`]; an evicted stream key may emit again later.
//! Candidates beyond a list's capacity are counted in [`SampleStats::candidates_dropped`]
//! (by the argument above they never cost a stream sample, and Elasticsearch never fetches
//! them either).

use std::collections::VecDeque;

/// Keys come from events: a hash map seeded at random (`foldhash`), fast and not
/// predictable from outside.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
use std::fmt;
use std::hash::Hash;

/// The largest number of filters a sample may have (Elasticsearch allows two to five).
pub const MAX_FILTERS: usize = 5;

/// Elasticsearch's default `size` for an EQL search.
pub const DEFAULT_SIZE: usize = 10;

/// Elasticsearch's default `max_samples_per_key`.
pub const DEFAULT_MAX_SAMPLES_PER_KEY: usize = 1;

/// The default bound on the number of key tuples a matcher tracks.
pub const DEFAULT_MAX_KEYS: usize = 1 << 20;

/// When samples are emitted: on completion (a stream) or at flush (a finite run).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleMode {
    /// Emit the first complete sample of each key tuple from `on_event`, once.
    Stream,
    /// Emit nothing until `flush`, which returns Elasticsearch's answer.
    Batch {
        /// The request's `size`: at most this many samples in all (0 returns none).
        size: usize,
        /// The request's `max_samples_per_key`: at most this many samples per key tuple
        /// (must be at least 1).
        max_samples_per_key: usize,
    },
}

impl SampleMode {
    /// Batch mode with Elasticsearch's defaults (`size` 10, one sample per key tuple).
    pub const fn batch_default() -> Self {
        SampleMode::Batch {
            size: DEFAULT_SIZE,
            max_samples_per_key: DEFAULT_MAX_SAMPLES_PER_KEY,
        }
    }
}

/// How a [`SampleMatcher`] is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleConfig {
    /// When samples are emitted.
    pub mode: SampleMode,
    /// The most key tuples tracked at once (at least 1); the oldest is evicted beyond it.
    pub max_keys: usize,
}

impl SampleConfig {
    /// Stream mode with the default key bound.
    pub const fn stream() -> Self {
        SampleConfig {
            mode: SampleMode::Stream,
            max_keys: DEFAULT_MAX_KEYS,
        }
    }

    /// Batch mode with the given `size` and `max_samples_per_key`, default key bound.
    pub const fn batch(size: usize, max_samples_per_key: usize) -> Self {
        SampleConfig {
            mode: SampleMode::Batch {
                size,
                max_samples_per_key,
            },
            max_keys: DEFAULT_MAX_KEYS,
        }
    }

    /// The same configuration with another bound on tracked key tuples.
    pub const fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }
}

impl Default for SampleConfig {
    /// Stream mode, as a detection engine runs.
    fn default() -> Self {
        SampleConfig::stream()
    }
}

/// Why a [`SampleMatcher`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SampleError {
    /// The number of filters is not within `1..=MAX_FILTERS`.
    FilterCount(usize),
    /// `max_samples_per_key` is 0 (Elasticsearch rejects it too).
    ZeroMaxSamplesPerKey,
    /// `max_keys` is 0.
    ZeroMaxKeys,
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleError::FilterCount(n) => write!(
                f,
                "a sample needs between 1 and {MAX_FILTERS} filters, got {n}"
            ),
            SampleError::ZeroMaxSamplesPerKey => {
                f.write_str("max_samples_per_key must be greater than 0")
            }
            SampleError::ZeroMaxKeys => f.write_str("max_keys must be greater than 0"),
        }
    }
}

impl std::error::Error for SampleError {}

/// One sample: a key tuple and one event per filter, in filter order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample<K, E> {
    /// The join-key tuple all events share.
    pub key: K,
    /// The events, one per filter, in filter order.
    pub events: Vec<E>,
    /// The identities of `events`, in the same order (all distinct).
    pub ids: Vec<u64>,
}

/// Counters of what a matcher saw, bounded away or cut.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SampleStats {
    /// Calls to `on_event`.
    pub events: u64,
    /// Filter matches naming a filter index beyond the matcher's filters (ignored).
    pub unknown_filter: u64,
    /// Candidates not kept because their (key tuple, filter) list was full.
    pub candidates_dropped: u64,
    /// Key tuples evicted because `max_keys` were tracked.
    pub keys_evicted: u64,
    /// Samples returned (by `on_event` and `flush`).
    pub samples_emitted: u64,
    /// Batch mode: key tuples with candidates for every filter that were not examined
    /// because `size` samples had already been returned.
    pub keys_cut_by_size: u64,
}

/// A candidate event for one filter of one key tuple.
struct Candidate<E> {
    id: u64,
    event: E,
}

/// What is kept for one key tuple.
struct KeyState<E> {
    /// One candidate list per filter, in arrival order (empty once `done`).
    lists: Vec<Vec<Candidate<E>>>,
    /// Stream mode: the key tuple already emitted its sample.
    done: bool,
}

impl<E> KeyState<E> {
    fn new(filters: usize) -> Self {
        KeyState {
            lists: (0..filters).map(|_| Vec::new()).collect(),
            done: false,
        }
    }

    fn complete_candidates(&self) -> bool {
        !self.done && !self.lists.is_empty() && self.lists.iter().all(|l| !l.is_empty())
    }

    fn ids(&self) -> Vec<Vec<u64>> {
        self.lists
            .iter()
            .map(|l| l.iter().map(|c| c.id).collect())
            .collect()
    }
}

/// The sample state machine for one `sample` query (see the module documentation).
///
/// `K` is the join-key tuple (its `Ord` must be Elasticsearch's key order), `E` a cheap
/// shared handle to an event.
pub struct SampleMatcher<K, E> {
    filters: usize,
    mode: SampleMode,
    per_filter: usize,
    max_keys: usize,
    keys: HashMap<K, KeyState<E>>,
    order: VecDeque<K>,
    stats: SampleStats,
}

impl<K, E> fmt::Debug for SampleMatcher<K, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SampleMatcher")
            .field("filters", &self.filters)
            .field("mode", &self.mode)
            .field("per_filter", &self.per_filter)
            .field("max_keys", &self.max_keys)
            .field("tracked_keys", &self.keys.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl<K, E> SampleMatcher<K, E>
where
    K: Hash + Eq + Clone + Ord,
    E: Clone,
{
    /// A matcher for a sample with `filters` filters.
    pub fn new(filters: usize, config: SampleConfig) -> Result<Self, SampleError> {
        if filters == 0 || filters > MAX_FILTERS {
            return Err(SampleError::FilterCount(filters));
        }
        if config.max_keys == 0 {
            return Err(SampleError::ZeroMaxKeys);
        }
        let per_filter = match config.mode {
            SampleMode::Stream => filters,
            SampleMode::Batch {
                max_samples_per_key,
                ..
            } => {
                if max_samples_per_key == 0 {
                    return Err(SampleError::ZeroMaxSamplesPerKey);
                }
                filters.saturating_add(max_samples_per_key - 1)
            }
        };
        Ok(SampleMatcher {
            filters,
            mode: config.mode,
            per_filter,
            max_keys: config.max_keys,
            keys: HashMap::default(),
            order: VecDeque::new(),
            stats: SampleStats::default(),
        })
    }

    /// The number of filters.
    pub fn filters(&self) -> usize {
        self.filters
    }

    /// The mode chosen at construction.
    pub fn mode(&self) -> SampleMode {
        self.mode
    }

    /// How many candidates are kept per (key tuple, filter).
    pub fn per_filter_capacity(&self) -> usize {
        self.per_filter
    }

    /// The number of key tuples currently tracked (stream markers included).
    pub fn tracked_keys(&self) -> usize {
        self.keys.len()
    }

    /// The counters so far.
    pub fn stats(&self) -> SampleStats {
        self.stats
    }

    /// Offers one event. `matches` yields, for each filter the event matched, the filter's
    /// index and the event's key tuples for that filter (an empty slice: the event cannot
    /// join, e.g. a null non-optional key). Call once per event, with an `id` no other
    /// event has. In stream mode the samples this event completes are appended to `out`;
    /// returns how many were appended (always 0 in batch mode).
    pub fn on_event<'k, I>(
        &mut self,
        event: &E,
        id: u64,
        matches: I,
        out: &mut Vec<Sample<K, E>>,
    ) -> usize
    where
        I: IntoIterator<Item = (usize, &'k [K])>,
        K: 'k,
    {
        self.stats.events += 1;
        let streaming = match self.mode {
            SampleMode::Stream => true,
            // Elasticsearch answers `size: 0` with no samples: keep nothing.
            SampleMode::Batch { size: 0, .. } => return 0,
            SampleMode::Batch { .. } => false,
        };
        let mut touched: Vec<&'k K> = Vec::new();
        for (filter, keys) in matches {
            if filter >= self.filters {
                self.stats.unknown_filter += 1;
                continue;
            }
            for key in keys {
                if self.add_candidate(key, filter, id, event)
                    && streaming
                    && !touched.contains(&key)
                {
                    touched.push(key);
                }
            }
        }
        let before = out.len();
        for key in touched {
            if let Some(sample) = self.try_complete(key) {
                out.push(sample);
            }
        }
        let emitted = out.len() - before;
        self.stats.samples_emitted += emitted as u64;
        emitted
    }

    /// Ends the input. Batch mode returns Elasticsearch's answer (key tuples ascending, at
    /// most `max_samples_per_key` each, at most `size` in all); stream mode returns nothing.
    /// Either way the matcher is empty afterwards (counters are kept).
    pub fn flush(&mut self) -> Vec<Sample<K, E>> {
        self.order.clear();
        let (size, per_key) = match self.mode {
            SampleMode::Stream => {
                self.keys.clear();
                return Vec::new();
            }
            SampleMode::Batch {
                size,
                max_samples_per_key,
            } => (size, max_samples_per_key),
        };
        let mut entries: Vec<(K, KeyState<E>)> = self
            .keys
            .drain()
            .filter(|(_, state)| state.complete_candidates())
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let total = entries.len();
        let mut out: Vec<Sample<K, E>> = Vec::new();
        for (index, (key, state)) in entries.into_iter().enumerate() {
            if out.len() >= size {
                self.stats.keys_cut_by_size += (total - index) as u64;
                break;
            }
            let limit = per_key.min(size - out.len());
            for positions in assignments(&state.ids(), limit) {
                out.push(build_sample(&key, &state, &positions));
            }
        }
        self.stats.samples_emitted += out.len() as u64;
        out
    }

    /// Adds `event` as a candidate of `filter` for `key`; true if it was kept.
    fn add_candidate(&mut self, key: &K, filter: usize, id: u64, event: &E) -> bool {
        if !self.keys.contains_key(key) {
            while self.keys.len() >= self.max_keys {
                match self.order.pop_front() {
                    Some(old) => {
                        if self.keys.remove(&old).is_some() {
                            self.stats.keys_evicted += 1;
                        }
                    }
                    None => break,
                }
            }
            self.keys.insert(key.clone(), KeyState::new(self.filters));
            self.order.push_back(key.clone());
        }
        let Some(state) = self.keys.get_mut(key) else {
            return false;
        };
        if state.done {
            return false;
        }
        let Some(list) = state.lists.get_mut(filter) else {
            return false;
        };
        // The same event offered twice for one (key, filter), e.g. a repeated key tuple.
        if list.last().is_some_and(|c| c.id == id) {
            return false;
        }
        if list.len() >= self.per_filter {
            self.stats.candidates_dropped += 1;
            return false;
        }
        list.push(Candidate {
            id,
            event: event.clone(),
        });
        true
    }

    /// Stream mode: emits `key`'s first sample if its candidates now complete one.
    fn try_complete(&mut self, key: &K) -> Option<Sample<K, E>> {
        let state = self.keys.get_mut(key)?;
        if !state.complete_candidates() {
            return None;
        }
        let positions = assignments(&state.ids(), 1).into_iter().next()?;
        let sample = build_sample(key, state, &positions);
        state.done = true;
        state.lists = Vec::new();
        Some(sample)
    }
}

/// Builds the sample that takes candidate `positions[f]` of filter `f`.
fn build_sample<K: Clone, E: Clone>(
    key: &K,
    state: &KeyState<E>,
    positions: &[usize],
) -> Sample<K, E> {
    let mut events = Vec::with_capacity(positions.len());
    let mut ids = Vec::with_capacity(positions.len());
    for (list, &pos) in state.lists.iter().zip(positions) {
        if let Some(c) = list.get(pos) {
            events.push(c.event.clone());
            ids.push(c.id);
        }
    }
    Sample {
        key: key.clone(),
        events,
        ids,
    }
}

/// The first `limit` injective assignments of filters to candidates, as positions into
/// each filter's list, in Elasticsearch's depth-first order: filter 0's candidates in
/// list order, for each of them filter 1's, and so on, never reusing an id.
fn assignments(lists: &[Vec<u64>], limit: usize) -> Vec<Vec<usize>> {
    let mut results = Vec::new();
    if limit == 0 || lists.is_empty() || lists.iter().any(|l| l.is_empty()) {
        return results;
    }
    if !feasible(lists, &[]) {
        return results;
    }
    let mut chosen = Vec::with_capacity(lists.len());
    let mut used = Vec::with_capacity(lists.len());
    walk(lists, &mut chosen, &mut used, limit, &mut results);
    results
}

/// One level of the depth-first walk; true once `limit` results were found.
fn walk(
    lists: &[Vec<u64>],
    chosen: &mut Vec<usize>,
    used: &mut Vec<u64>,
    limit: usize,
    results: &mut Vec<Vec<usize>>,
) -> bool {
    let level = chosen.len();
    let Some(list) = lists.get(level) else {
        return false;
    };
    for (pos, &id) in list.iter().enumerate() {
        if used.contains(&id) {
            continue;
        }
        used.push(id);
        chosen.push(pos);
        if level + 1 == lists.len() {
            results.push(chosen.clone());
            if results.len() >= limit {
                return true;
            }
        } else if feasible(&lists[level + 1..], used) && walk(lists, chosen, used, limit, results) {
            return true;
        }
        used.pop();
        chosen.pop();
    }
    false
}

/// Whether the filters of `rest` can still take distinct ids outside `used`. Pruning with
/// it skips only branches that yield nothing, so the walk's output order is unchanged.
fn feasible(rest: &[Vec<u64>], used: &[u64]) -> bool {
    // A list with at least `rest.len() + used.len()` (distinct) ids always has one left
    // after the other filters and `used` took theirs: only the short lists can fail.
    let bound = rest.len() + used.len();
    let short: Vec<&[u64]> = rest
        .iter()
        .filter(|l| l.len() < bound)
        .map(|l| l.as_slice())
        .collect();
    let mut owner: Vec<(u64, usize)> = Vec::new();
    for i in 0..short.len() {
        let mut visited = Vec::new();
        if !augment(i, &short, used, &mut owner, &mut visited) {
            return false;
        }
    }
    true
}

/// Kuhn's augmenting path for list `i` of a bipartite matching lists → ids.
fn augment(
    i: usize,
    lists: &[&[u64]],
    used: &[u64],
    owner: &mut Vec<(u64, usize)>,
    visited: &mut Vec<u64>,
) -> bool {
    let Some(list) = lists.get(i) else {
        return false;
    };
    for &id in *list {
        if used.contains(&id) || visited.contains(&id) {
            continue;
        }
        visited.push(id);
        match owner.iter().position(|&(o, _)| o == id) {
            None => {
                owner.push((id, i));
                return true;
            }
            Some(p) => {
                let holder = owner[p].1;
                if augment(holder, lists, used, owner, visited) {
                    owner[p].1 = i;
                    return true;
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Matcher = SampleMatcher<&'static str, u64>;

    /// Offers event `id` (the handle is the id) matching `filters`, each with one key.
    fn offer(m: &mut Matcher, id: u64, filters: &[(usize, &'static str)]) -> Vec<Vec<u64>> {
        let keys: Vec<[&'static str; 1]> = filters.iter().map(|&(_, k)| [k]).collect();
        let matches: Vec<(usize, &[&'static str])> = filters
            .iter()
            .zip(&keys)
            .map(|(&(f, _), k)| (f, &k[..]))
            .collect();
        let mut out = Vec::new();
        m.on_event(&id, id, matches, &mut out);
        out.into_iter().map(|s| s.ids).collect()
    }

    #[test]
    fn rejects_bad_configurations() {
        assert_eq!(
            Matcher::new(0, SampleConfig::stream()).err(),
            Some(SampleError::FilterCount(0))
        );
        assert_eq!(
            Matcher::new(6, SampleConfig::stream()).err(),
            Some(SampleError::FilterCount(6))
        );
        assert_eq!(
            Matcher::new(2, SampleConfig::batch(10, 0)).err(),
            Some(SampleError::ZeroMaxSamplesPerKey)
        );
        assert_eq!(
            Matcher::new(2, SampleConfig::stream().with_max_keys(0)).err(),
            Some(SampleError::ZeroMaxKeys)
        );
        let m = Matcher::new(3, SampleConfig::batch(10, 4)).unwrap();
        assert_eq!(m.per_filter_capacity(), 6);
        assert_eq!(m.filters(), 3);
        assert_eq!(
            m.mode(),
            SampleMode::Batch {
                size: 10,
                max_samples_per_key: 4
            }
        );
        let m = Matcher::new(3, SampleConfig::default()).unwrap();
        assert_eq!(m.per_filter_capacity(), 3);
        assert_eq!(SampleMode::batch_default(), SampleConfig::batch(10, 1).mode);
    }

    #[test]
    fn stream_emits_first_complete_sample_once_per_key() {
        let mut m = Matcher::new(2, SampleConfig::stream()).unwrap();
        assert!(offer(&mut m, 1, &[(0, "a")]).is_empty());
        assert!(offer(&mut m, 2, &[(0, "b")]).is_empty());
        assert_eq!(offer(&mut m, 3, &[(1, "a")]), vec![vec![1, 3]]);
        // Key "a" is done: more events for it emit nothing.
        assert!(offer(&mut m, 4, &[(0, "a"), (1, "a")]).is_empty());
        assert!(offer(&mut m, 5, &[(1, "a")]).is_empty());
        assert_eq!(offer(&mut m, 6, &[(1, "b")]), vec![vec![2, 6]]);
        assert!(m.flush().is_empty());
        assert_eq!(m.stats().samples_emitted, 2);
        assert_eq!(m.stats().events, 6);
        assert_eq!(m.tracked_keys(), 0);
    }

    #[test]
    fn stream_one_document_cannot_fill_two_filters() {
        let mut m = Matcher::new(2, SampleConfig::stream()).unwrap();
        assert!(offer(&mut m, 1, &[(0, "k"), (1, "k")]).is_empty());
        // Event 2 fits filter 0 only: the assignment must move event 1 to filter 1.
        assert_eq!(offer(&mut m, 2, &[(0, "k")]), vec![vec![2, 1]]);

        let mut m = Matcher::new(2, SampleConfig::stream()).unwrap();
        assert!(offer(&mut m, 1, &[(0, "k"), (1, "k")]).is_empty());
        assert_eq!(offer(&mut m, 2, &[(1, "k")]), vec![vec![1, 2]]);
    }

    #[test]
    fn stream_one_event_completes_several_keys() {
        let mut m = Matcher::new(2, SampleConfig::stream()).unwrap();
        let mut out = Vec::new();
        m.on_event(&1, 1, [(0, &["x", "y"][..])], &mut out);
        assert!(out.is_empty());
        // A multi-valued key: the caller passes both tuples, the event joins both.
        assert_eq!(m.on_event(&2, 2, [(1, &["y", "x", "y"][..])], &mut out), 2);
        let mut got: Vec<(&str, Vec<u64>)> = out.into_iter().map(|s| (s.key, s.ids)).collect();
        got.sort();
        assert_eq!(got, vec![("x", vec![1, 2]), ("y", vec![1, 2])]);
    }

    #[test]
    fn stream_three_filters_need_backtracking() {
        let mut m = Matcher::new(3, SampleConfig::stream()).unwrap();
        // 1 fits every filter, 2 fits filters 0 and 1, 3 fits filter 0 only.
        assert!(offer(&mut m, 1, &[(0, "k"), (1, "k"), (2, "k")]).is_empty());
        assert!(offer(&mut m, 2, &[(0, "k"), (1, "k")]).is_empty());
        assert_eq!(offer(&mut m, 3, &[(0, "k")]), vec![vec![3, 2, 1]]);
    }

    #[test]
    fn unknown_filter_index_is_counted_not_fatal() {
        let mut m = Matcher::new(2, SampleConfig::stream()).unwrap();
        assert!(offer(&mut m, 1, &[(7, "k"), (0, "k")]).is_empty());
        assert_eq!(m.stats().unknown_filter, 1);
        assert_eq!(offer(&mut m, 2, &[(1, "k")]), vec![vec![1, 2]]);
    }

    #[test]
    fn empty_key_list_means_no_participation() {
        let mut m = Matcher::new(2, SampleConfig::stream()).unwrap();
        let mut out = Vec::new();
        m.on_event(&1, 1, [(0, &[][..]), (1, &[][..])], &mut out);
        assert!(out.is_empty());
        assert_eq!(m.tracked_keys(), 0);
    }

    #[test]
    fn per_filter_lists_are_bounded_and_counted() {
        let mut m = Matcher::new(2, SampleConfig::stream()).unwrap();
        for id in 1..=5 {
            assert!(offer(&mut m, id, &[(0, "k")]).is_empty());
        }
        assert_eq!(m.stats().candidates_dropped, 3);
        assert_eq!(offer(&mut m, 6, &[(1, "k")]), vec![vec![1, 6]]);
    }

    #[test]
    fn oldest_key_is_evicted_beyond_max_keys() {
        let mut m = Matcher::new(2, SampleConfig::stream().with_max_keys(2)).unwrap();
        offer(&mut m, 1, &[(0, "a")]);
        offer(&mut m, 2, &[(0, "b")]);
        offer(&mut m, 3, &[(0, "c")]);
        assert_eq!(m.tracked_keys(), 2);
        assert_eq!(m.stats().keys_evicted, 1);
        // "a" was forgotten, "b" was not.
        assert!(offer(&mut m, 4, &[(1, "a")]).is_empty());
        assert_eq!(m.stats().keys_evicted, 2);
        assert_eq!(offer(&mut m, 5, &[(1, "c")]), vec![vec![3, 5]]);
    }

    #[test]
    fn batch_orders_keys_and_honours_size() {
        let mut m = Matcher::new(2, SampleConfig::batch(2, 1)).unwrap();
        assert!(offer(&mut m, 1, &[(0, "c")]).is_empty());
        offer(&mut m, 2, &[(1, "c")]);
        offer(&mut m, 3, &[(0, "a")]);
        offer(&mut m, 4, &[(1, "a")]);
        offer(&mut m, 5, &[(0, "b"), (1, "b")]); // one document only: no sample
        offer(&mut m, 6, &[(0, "d")]);
        offer(&mut m, 7, &[(1, "d")]);
        let got: Vec<(&str, Vec<u64>)> = m.flush().into_iter().map(|s| (s.key, s.ids)).collect();
        assert_eq!(got, vec![("a", vec![3, 4]), ("c", vec![1, 2])]);
        assert_eq!(m.stats().keys_cut_by_size, 1);
        assert_eq!(m.stats().samples_emitted, 2);
        assert_eq!(m.tracked_keys(), 0);
    }

    #[test]
    fn batch_size_zero_returns_nothing() {
        let mut m = Matcher::new(2, SampleConfig::batch(0, 1)).unwrap();
        offer(&mut m, 1, &[(0, "a")]);
        offer(&mut m, 2, &[(1, "a")]);
        assert!(m.flush().is_empty());
        assert_eq!(m.tracked_keys(), 0);
    }

    #[test]
    fn batch_several_samples_per_key_share_documents() {
        // test_sample_multi.toml#twoSamplesPerKeyOutOfThree, key win10.
        let mut m = Matcher::new(2, SampleConfig::batch(50, 2)).unwrap();
        offer(&mut m, 1, &[(0, "win10")]);
        offer(&mut m, 2, &[(0, "win10")]);
        offer(&mut m, 3, &[(1, "win10")]);
        offer(&mut m, 4, &[(0, "win10")]);
        let got: Vec<Vec<u64>> = m.flush().into_iter().map(|s| s.ids).collect();
        assert_eq!(got, vec![vec![1, 3], vec![2, 3]]);
    }

    #[test]
    fn batch_null_optional_key_sorts_first_with_option() {
        let mut m: SampleMatcher<(&str, Option<&str>), u64> =
            SampleMatcher::new(2, SampleConfig::batch(10, 1)).unwrap();
        let keys = [("doom", Some("win10")), ("doom", None), ("GTA", None)];
        let mut out = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            let id = 2 * i as u64;
            m.on_event(&id, id, [(0, std::slice::from_ref(k))], &mut out);
            m.on_event(&(id + 1), id + 1, [(1, std::slice::from_ref(k))], &mut out);
        }
        assert!(out.is_empty());
        let got: Vec<_> = m.flush().into_iter().map(|s| s.key).collect();
        assert_eq!(
            got,
            vec![("GTA", None), ("doom", None), ("doom", Some("win10"))]
        );
    }

    #[test]
    fn assignments_follow_depth_first_order() {
        // The example of Elasticsearch's SampleIterator comment.
        let lists = vec![vec![1, 2, 3], vec![4, 5], vec![4, 5, 3]];
        assert_eq!(assignments(&lists, 1), vec![vec![0, 0, 1]]);
        let lists = vec![vec![1, 1], vec![1, 1, 1], vec![1, 1, 3]];
        assert!(assignments(&lists, 1).is_empty());
        assert!(assignments(&[vec![1], vec![]], 3).is_empty());
        assert!(assignments(&[vec![1], vec![2]], 0).is_empty());
    }

    /// All injective assignments in lexicographic position order, by brute force.
    fn brute_force(lists: &[Vec<u64>]) -> Vec<Vec<usize>> {
        let mut all: Vec<Vec<usize>> = vec![vec![]];
        for list in lists {
            let mut next = Vec::new();
            for partial in &all {
                for (pos, id) in list.iter().enumerate() {
                    let taken = partial.iter().enumerate().any(|(f, &p)| lists[f][p] == *id);
                    if !taken {
                        let mut p = partial.clone();
                        p.push(pos);
                        next.push(p);
                    }
                }
            }
            all = next;
        }
        all
    }

    /// Per-filter lists of distinct ids drawn from a small universe, in random order.
    fn lists_strategy() -> impl Strategy<Value = Vec<Vec<u64>>> {
        let list = prop::collection::btree_set(0u64..8, 0..6)
            .prop_map(|s| s.into_iter().collect::<Vec<u64>>())
            .prop_shuffle();
        prop::collection::vec(list, 1..=MAX_FILTERS)
    }

    proptest! {
        #[test]
        fn assignments_match_brute_force(lists in lists_strategy(), limit in 0usize..12) {
            let mut expected = brute_force(&lists);
            expected.truncate(limit);
            prop_assert_eq!(assignments(&lists, limit), expected);
        }

        /// Stream mode emits exactly when a complete sample first exists among all events
        /// seen (despite keeping only `filters` candidates per filter), and once.
        #[test]
        fn stream_emits_as_soon_as_a_sample_exists(
            filters in 1usize..=MAX_FILTERS,
            events in prop::collection::vec(prop::collection::btree_set(0usize..MAX_FILTERS, 0..4), 0..25),
        ) {
            let mut m = Matcher::new(filters, SampleConfig::stream()).unwrap();
            let mut seen: Vec<Vec<u64>> = vec![Vec::new(); filters];
            let mut emitted = false;
            for (i, fs) in events.iter().enumerate() {
                let id = i as u64;
                let fs: Vec<usize> = fs.iter().copied().filter(|&f| f < filters).collect();
                for &f in &fs {
                    seen[f].push(id);
                }
                let got = offer(&mut m, id, &fs.iter().map(|&f| (f, "k")).collect::<Vec<_>>());
                let exists = !assignments(&seen, 1).is_empty();
                if emitted {
                    prop_assert!(got.is_empty());
                } else if exists {
                    prop_assert_eq!(got.len(), 1);
                    let ids = &got[0];
                    prop_assert_eq!(ids.len(), filters);
                    for (f, id) in ids.iter().enumerate() {
                        prop_assert!(seen[f].contains(id));
                    }
                    let mut distinct = ids.clone();
                    distinct.sort_unstable();
                    distinct.dedup();
                    prop_assert_eq!(distinct.len(), filters);
                    emitted = true;
                } else {
                    prop_assert!(got.is_empty());
                }
            }
        }
    }
}
