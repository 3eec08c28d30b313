//! The one hash table of the crate: an index of 4-byte positions into storage its user keeps
//! (a call's ids, `call::ids::IdTable`), found by hash. It replaces hashbrown, whose
//! `HashMap`, `HashSet` and `HashTable` were each a copy of its code per key type, and its
//! seeded hasher, 9 KB of every .wasm between them (BENCHMARKS.md).
//!
//! Open addressing with linear probing. Each slot holds a position and a byte of its hash (the
//! tag), so a probe compares a stored key only when the tags match: about one in 256 of the
//! others. At most three slots in four are used. Nothing is ever removed (a call's ids and a
//! list of tags only grow), so there are no tombstones. The code that reads keys comes in as
//! `dyn` closures: one copy of the table's code serves every user.

/// A position no slot holds: the slot is empty.
const EMPTY: u32 = u32::MAX;
/// The fewest slots a table that holds anything has.
const MIN_SLOTS: usize = 8;

/// A hash of `text`, the same on every run and every platform: 8 bytes at a time, each
/// word mixed in with SplitMix64's finalizer, whose output bits each depend on every input
/// bit. Not keyed: every key is the caller's own (ids, cache keys), as with the fixed-key
/// SipHash this replaced.
pub fn hash_str(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut hash = mix(bytes.len() as u64);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        hash = mix(hash ^ little_endian(word));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        hash = mix(hash ^ little_endian(tail));
    }
    hash
}

/// Up to 8 bytes as a little-endian word.
fn little_endian(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |word, &byte| (word << 8) | u64::from(byte))
}

/// SplitMix64's output function (also the call's random numbers, `call::Rng`).
pub(crate) fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The byte of a hash a slot keeps: its top bits, which no slot number uses.
fn tag(hash: u64) -> u8 {
    (hash >> 56) as u8
}

/// Whether the key at a position is the one looked for. This and [`HashOf`] are traits of
/// their own, not `dyn FnMut` and `dyn Fn`: those vtables also hold `call_once` (and
/// `call_mut`), copies of each closure's body that nothing calls but the .wasm keeps.
pub trait Is {
    fn is(&mut self, position: u32) -> bool;
}

impl<F: FnMut(u32) -> bool> Is for F {
    fn is(&mut self, position: u32) -> bool {
        self(position)
    }
}

/// The hash of the key at a position.
pub trait HashOf {
    fn hash_of(&self, position: u32) -> u64;
}

impl<F: Fn(u32) -> u64> HashOf for F {
    fn hash_of(&self, position: u32) -> u64 {
        self(position)
    }
}

/// Positions found by hash (see the module documentation).
#[derive(Default)]
pub struct HashIndex {
    positions: Vec<u32>,
    tags: Vec<u8>,
    len: usize,
}

impl HashIndex {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn mask(&self) -> usize {
        self.positions.len() - 1
    }

    /// The slot of the position whose key `is` names, probing from `hash`'s home slot.
    fn slot(&self, hash: u64, is: &mut dyn Is) -> Option<usize> {
        if self.positions.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut at = hash as usize & mask;
        loop {
            let position = self.positions[at];
            if position == EMPTY {
                return None;
            }
            if self.tags[at] == tag(hash) && is.is(position) {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
    }

    /// The position, among those with this `hash`, for which `is` holds.
    pub fn find(&self, hash: u64, is: &mut dyn Is) -> Option<u32> {
        self.slot(hash, is).map(|at| self.positions[at])
    }

    /// Adds `position`, whose key hashes to `hash` and is not here yet; `hash_of` gives the
    /// hash of any position already here, for when the table grows.
    pub fn insert(&mut self, hash: u64, position: u32, hash_of: &dyn HashOf) {
        debug_assert_ne!(position, EMPTY);
        if 4 * (self.len + 1) > 3 * self.positions.len() {
            self.grow(hash_of);
        }
        self.place(hash, position);
        self.len += 1;
    }

    fn place(&mut self, hash: u64, position: u32) {
        let mask = self.mask();
        let mut at = hash as usize & mask;
        while self.positions[at] != EMPTY {
            at = (at + 1) & mask;
        }
        self.positions[at] = position;
        self.tags[at] = tag(hash);
    }

    fn grow(&mut self, hash_of: &dyn HashOf) {
        let slots = (2 * self.positions.len()).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.positions, vec![EMPTY; slots]);
        self.tags = vec![0; slots];
        for position in old.into_iter().filter(|&p| p != EMPTY) {
            self.place(hash_of.hash_of(position), position);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    /// Keys from a small alphabet, so that a list meets the same keys again.
    fn key() -> impl Strategy<Value = String> {
        "[ab\u{e9}\u{4e2d}]{0,10}"
    }

    proptest! {
        /// Any list of keys, kept once each in first-seen order as a call keeps its ids,
        /// leaves the index finding what std's `HashSet` holds, and only that.
        #[test]
        fn an_index_finds_what_std_hash_set_holds(keys in prop::collection::vec(key(), 0..400)) {
            let mut stored: Vec<String> = Vec::new();
            let mut index = HashIndex::default();
            let mut std_set = HashSet::new();
            for key in &keys {
                let hash = hash_str(key);
                let found = index.find(hash, &mut |p| stored[p as usize] == *key);
                prop_assert_eq!(found.is_none(), std_set.insert(key.clone()));
                if found.is_none() {
                    stored.push(key.clone());
                    let position = u32::try_from(stored.len() - 1).unwrap();
                    index.insert(hash, position, &|p| hash_str(&stored[p as usize]));
                }
            }
            prop_assert_eq!(index.len(), std_set.len());
            for (p, key) in stored.iter().enumerate() {
                let found = index.find(hash_str(key), &mut |q| stored[q as usize] == *key);
                prop_assert_eq!(found, Some(p as u32));
            }
        }
    }

    /// Every key hashing to one home slot: probing and growing meet long runs, and wrap around
    /// the end of the table.
    #[test]
    fn colliding_hashes_are_told_apart() {
        let hash = |_p: u32| (7u64 << 56) | 7;
        let mut index = HashIndex::default();
        for p in (0..50).step_by(3) {
            index.insert(hash(p), p, &hash);
        }
        for p in 0..50 {
            let found = index.find(hash(p), &mut |q| q == p);
            assert_eq!(found.is_some(), p % 3 == 0, "{p}");
        }
        assert_eq!(index.len(), 17);
    }

    #[test]
    fn hashes_are_splitmix64_over_little_endian_words() {
        // SplitMix64's first output from a seed of 0, as its reference implementation
        // (https://prng.di.unimi.it/splitmix64.c) prints it.
        assert_eq!(mix(0x9E37_79B9_7F4A_7C15), 0xE220_A839_7B1D_CDAF);
        assert_eq!(little_endian(b"abcdefgh"), u64::from_le_bytes(*b"abcdefgh"));
        assert_eq!(little_endian(b"i"), 0x69);
        assert_eq!(
            hash_str("abcdefghi"),
            mix(mix(mix(9) ^ u64::from_le_bytes(*b"abcdefgh")) ^ 0x69)
        );
        // Ids that differ in one character land in different home slots of a small table.
        let homes: std::collections::HashSet<u64> =
            (0..64).map(|i| hash_str(&format!("u{i}")) & 1023).collect();
        assert!(homes.len() > 56, "{} distinct homes of 64", homes.len());
    }
}
