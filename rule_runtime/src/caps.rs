//! The caps on work per event that keep a hostile event from costing unbounded time or
//! memory (DESIGN.md, "Limits"), and how often each cut something on this thread.
//!
//! * [`MAX_ASSIGNMENTS`](crate::assign::MAX_ASSIGNMENTS): assignments of field values
//!   tried per leaf and event (functions, arithmetic, comparisons of two fields over
//!   multi-valued fields);
//! * [`MAX_KEY_TUPLES`]: join-key tuples per event and stage (the product of the key
//!   fields' distinct values).
//!
//! What a cap cuts is not evaluated: a leaf is false unless an assignment before the cap
//! made it true; an event joins under the first [`MAX_KEY_TUPLES`] tuples in key order.

use std::cell::Cell;

/// The most join-key tuples one event makes for one stage.
pub const MAX_KEY_TUPLES: usize = 1024;

/// A cap that can cut work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// A leaf stopped at `MAX_ASSIGNMENTS` assignments.
    Assignments,
    /// An event's key tuples for a stage stopped at [`MAX_KEY_TUPLES`].
    KeyTuples,
}

thread_local! {
    static CUT: [Cell<u64>; 2] = const { [Cell::new(0), Cell::new(0)] };
}

/// Counts one cut of `cap` on this thread.
pub fn note(cap: Cap) {
    CUT.with(|c| {
        let cell = &c[cap as usize];
        cell.set(cell.get().saturating_add(1));
    });
}

/// How many times `cap` cut work on this thread so far.
pub fn count(cap: Cap) -> u64 {
    CUT.with(|c| c[cap as usize].get())
}
