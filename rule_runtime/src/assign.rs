//! Leaves over expressions (function calls, arithmetic, comparisons used as values), as
//! J.1 reads them: true iff *some assignment* of values to the leaf's field mentions
//! makes the leaf true, each mention ranging over its field's values independently (a
//! field without values is one null).
//!
//! [`any`] enumerates the assignments with an odometer over the mentions' slots, without
//! collecting them: the generated test computes the leaf from one assignment at a time.
//! The number of assignments tried per leaf and event is capped at [`MAX_ASSIGNMENTS`]
//! (DESIGN.md, "Decisions … (IR and runtime)"): a hostile event whose fields hold thousands of values cannot
//! make one leaf cost more than that; assignments past the cap are not tried (the leaf is
//! false unless an earlier one made it true) and are counted.

use crate::caps::{self, Cap};
use crate::fields::Slot;
use crate::value::Value;

/// The most assignments of one leaf tried on one event.
pub const MAX_ASSIGNMENTS: usize = 4096;

/// Mentions bound on the stack; a leaf with more uses a vector.
const STACK: usize = 8;

/// How many leaf evaluations stopped at [`MAX_ASSIGNMENTS`] on this thread so far.
pub fn truncated() -> u64 {
    caps::count(Cap::Assignments)
}

/// Counts a leaf evaluation stopped at [`MAX_ASSIGNMENTS`].
pub fn note_truncated() {
    caps::note(Cap::Assignments);
}

/// The number of values a mention ranges over: its values, or the one null.
#[inline]
fn width(slot: &Slot<'_>) -> usize {
    slot.len().max(1)
}

#[inline]
fn bind<'a>(slot: &Slot<'a>, i: usize) -> Value<'a> {
    slot.get(i).unwrap_or(Value::Null)
}

/// Whether some assignment of values to `mentions` (one slot per field mention, in the
/// order the generated test reads them) satisfies `test`.
pub fn any<'a>(mentions: &[Slot<'a>], mut test: impl FnMut(&[Value<'a>]) -> bool) -> bool {
    let k = mentions.len();
    if k == 0 {
        return test(&[]);
    }
    if k == 1 {
        let s = &mentions[0];
        if s.is_empty() {
            return test(&[Value::Null]);
        }
        for (n, v) in s.iter().enumerate() {
            if n == MAX_ASSIGNMENTS {
                note_truncated();
                return false;
            }
            if test(std::slice::from_ref(&v)) {
                return true;
            }
        }
        return false;
    }
    let mut idx_stack = [0usize; STACK];
    let mut val_stack: [Value<'a>; STACK] = std::array::from_fn(|_| Value::Null);
    let mut idx_heap;
    let mut val_heap;
    let (idx, vals): (&mut [usize], &mut [Value<'a>]) = if k <= STACK {
        (&mut idx_stack[..k], &mut val_stack[..k])
    } else {
        idx_heap = vec![0usize; k];
        val_heap = vec![Value::Null; k];
        (&mut idx_heap[..], &mut val_heap[..])
    };
    for (j, s) in mentions.iter().enumerate() {
        vals[j] = bind(s, 0);
    }
    let mut tried = 0usize;
    loop {
        if tried == MAX_ASSIGNMENTS {
            note_truncated();
            return false;
        }
        tried += 1;
        if test(vals) {
            return true;
        }
        // Advance the odometer: the last mention turns fastest.
        let mut j = k;
        loop {
            if j == 0 {
                return false;
            }
            j -= 1;
            idx[j] += 1;
            if idx[j] < width(&mentions[j]) {
                vals[j] = bind(&mentions[j], idx[j]);
                break;
            }
            idx[j] = 0;
            vals[j] = bind(&mentions[j], 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{FieldTable, Fields};

    #[test]
    fn every_assignment_until_one_holds() {
        let t = FieldTable::new(["a", "b", "c"]);
        let mut f = Fields::new();
        f.clear();
        f.push_int(0, 1);
        f.push_int(0, 2);
        f.push_int(1, 10);
        f.push_int(1, 20);
        f.finish(t.len());
        let e = f.view("");
        let mut seen = Vec::new();
        assert!(!any(&[e.slot(0), e.slot(1), e.slot(2)], |v| {
            seen.push((v[0].clone(), v[1].clone(), v[2].is_null()));
            false
        }));
        assert_eq!(seen.len(), 4);
        assert!(seen.iter().all(|s| s.2));
        assert!(any(&[e.slot(0), e.slot(1)], |v| v[0] == Value::Int(2)
            && v[1] == Value::Int(20)));
        assert!(any(&[e.slot(2)], |v| v[0].is_null()));
        assert!(any(&[], |v| v.is_empty()));
    }

    #[test]
    fn the_cap_bounds_the_work() {
        let t = FieldTable::new(["a"]);
        let mut f = Fields::new();
        f.clear();
        for i in 0..100 {
            f.push_int(0, i);
        }
        f.finish(t.len());
        let e = f.view("");
        let mut n = 0;
        let before = truncated();
        assert!(!any(&[e.slot(0), e.slot(0), e.slot(0)], |_| {
            n += 1;
            false
        }));
        assert_eq!(n, MAX_ASSIGNMENTS);
        assert_eq!(truncated(), before + 1);
    }
}
