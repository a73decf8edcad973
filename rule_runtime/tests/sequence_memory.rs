//! Memory per open key of the sequence matcher, measured with a counting allocator.
//!
//! Bound asserted: opening 1,000,000 keys (`u64` keys, each holding one first-stage
//! partial of a two-stage sequence with `maxspan`, event handle `u32`) costs at most
//! `64 + size_of::<u64>()` = 72 live heap bytes per key. Measured: about 63 bytes per key
//! (slot arrays 28 bytes, hash index 16, expiry queue 16, plus growth slack).
//!
//! This file holds a single test so that no other test allocates while it measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use rule_runtime::sequence::{SequenceMatcher, SequenceSpec, StageKind};

/// Counts live heap bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn one_million_open_keys_cost_at_most_64_bytes_plus_the_key() {
    const KEYS: u64 = 1_000_000;
    let mut out = Vec::new();
    let before = LIVE.load(Ordering::Relaxed);
    let mut matcher = SequenceMatcher::<u64, u32, u64>::new(SequenceSpec {
        stages: vec![StageKind::Positive, StageKind::Positive],
        maxspan_ms: Some(3_600_000),
        max_keys: None,
    })
    .expect("valid spec");
    for k in 0..KEYS {
        let keys = [k];
        // 1,000 events per millisecond: every partial stays inside the one-hour maxspan.
        matcher.on_event(
            k,
            (k / 1000) as i64,
            &(k as u32),
            &[(0, &keys[..])],
            &[],
            &mut out,
        );
    }
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(matcher.open_keys(), KEYS as usize);
    assert!(out.is_empty());
    let per_key = (after - before) as f64 / KEYS as f64;
    println!("sequence matcher: {per_key:.1} bytes per open key (u64 key, u32 handle)");
    let bound = 64.0 + std::mem::size_of::<u64>() as f64;
    assert!(
        per_key <= bound,
        "{per_key:.1} bytes per open key > {bound}"
    );
    drop(matcher);
}
