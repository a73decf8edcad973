//! A compact open-addressing index from join keys to slot numbers.
//!
//! The keys themselves live in the matcher's slot arrays, so a bucket holds only the
//! slot number and a 32-bit hash (8 bytes). Linear probing, at most 3/4 full, with
//! backward-shift deletion (no tombstones, so lookups never degrade over time).
//!
//! Keys come from events, that is from whoever writes them: they are hashed with
//! `foldhash`, seeded at random per index (fast, and not predictable from outside, so
//! crafted keys cannot pile up in one probe run the way they could with a fixed hash).

use foldhash::fast::RandomState;
use std::hash::{BuildHasher, Hash};

/// Marker of an empty bucket (slot numbers are always below it).
const EMPTY: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Bucket {
    slot: u32,
    hash: u32,
}

const VACANT: Bucket = Bucket {
    slot: EMPTY,
    hash: 0,
};

/// Hash index of slot numbers; the caller supplies key equality through a closure.
pub(super) struct KeyIndex {
    buckets: Vec<Bucket>,
    len: usize,
    hasher: RandomState,
}

impl KeyIndex {
    /// An empty index (allocates nothing).
    pub(super) fn new() -> Self {
        KeyIndex {
            buckets: Vec::new(),
            len: 0,
            hasher: RandomState::default(),
        }
    }

    /// The 32-bit hash under which `key` is filed.
    pub(super) fn hash<K: Hash + ?Sized>(&self, key: &K) -> u32 {
        let h = self.hasher.hash_one(key);
        (h ^ (h >> 32)) as u32
    }

    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// The slot filed under `hash` for which `is_key` holds.
    pub(super) fn find(&self, hash: u32, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let b = self.buckets[i];
            if b.slot == EMPTY {
                return None;
            }
            if b.hash == hash && is_key(b.slot) {
                return Some(b.slot);
            }
            i = (i + 1) & mask;
        }
    }

    /// Files `slot` under `hash`; the caller guarantees the key is not present yet.
    pub(super) fn insert(&mut self, hash: u32, slot: u32) {
        if (self.len + 1) * 4 > self.buckets.len() * 3 {
            self.grow();
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        while self.buckets[i].slot != EMPTY {
            i = (i + 1) & mask;
        }
        self.buckets[i] = Bucket { slot, hash };
        self.len += 1;
    }

    /// Removes `slot` (filed under `hash`); returns whether it was present.
    pub(super) fn remove(&mut self, hash: u32, slot: u32) -> bool {
        if self.buckets.is_empty() {
            return false;
        }
        let mask = self.mask();
        let mut i = hash as usize & mask;
        loop {
            let b = self.buckets[i];
            if b.slot == EMPTY {
                return false;
            }
            if b.slot == slot {
                break;
            }
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: pull later members of the probe run into the hole
        // whenever their home bucket does not lie cyclically in (hole, position].
        let mut hole = i;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            let b = self.buckets[j];
            if b.slot == EMPTY {
                break;
            }
            let home = b.hash as usize & mask;
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.buckets[hole] = b;
                hole = j;
            }
        }
        self.buckets[hole] = VACANT;
        self.len -= 1;
        true
    }

    fn grow(&mut self) {
        let new_len = (self.buckets.len() * 2).max(16);
        let old = std::mem::replace(&mut self.buckets, vec![VACANT; new_len]);
        let mask = new_len - 1;
        for b in old.into_iter().filter(|b| b.slot != EMPTY) {
            let mut i = b.hash as usize & mask;
            while self.buckets[i].slot != EMPTY {
                i = (i + 1) & mask;
            }
            self.buckets[i] = b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeyIndex;

    #[test]
    fn insert_find_remove_agree_with_a_vector() {
        let mut index = KeyIndex::new();
        let mut keys: Vec<Option<u64>> = Vec::new();
        // Insert 0..2000, remove every third, re-check all.
        for k in 0..2000u64 {
            let h = index.hash(&k);
            assert!(index.find(h, |s| keys[s as usize] == Some(k)).is_none());
            index.insert(h, keys.len() as u32);
            keys.push(Some(k));
        }
        for k in (0..2000u64).step_by(3) {
            let h = index.hash(&k);
            let s = index.find(h, |s| keys[s as usize] == Some(k)).unwrap();
            assert!(index.remove(h, s));
            keys[s as usize] = None;
        }
        for k in 0..2000u64 {
            let h = index.hash(&k);
            let found = index.find(h, |s| keys[s as usize] == Some(k));
            assert_eq!(found.is_some(), k % 3 != 0, "key {k}");
        }
        assert_eq!(index.len, 2000 - 667);
    }

    #[test]
    fn colliding_hashes_survive_deletion() {
        // All entries share one hash: a single long probe run, deleted from the middle.
        let mut index = KeyIndex::new();
        for s in 0..10u32 {
            index.insert(7, s);
        }
        assert!(index.remove(7, 4));
        assert!(!index.remove(7, 4));
        for s in 0..10u32 {
            assert_eq!(index.find(7, |x| x == s).is_some(), s != 4);
        }
    }
}
