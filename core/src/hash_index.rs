//! The one hash table of the crate: an index of 4-byte positions into storage its user keeps
//! (a call's ids, Tencent's tags), found by hash. It replaces hashbrown, whose
//! `HashMap`, `HashSet` and `HashTable` were each a copy of its code per key type, and its
//! seeded hasher, 9 KB of every .wasm between them (BENCHMARKS.md).
//!
//! Open addressing with linear probing. Each slot holds a position and a byte of its hash (the
//! tag), so a probe compares a stored key only when the tags match: about one in 256 of the
//! others. At most three slots in four are used; a removal shifts the slots after it back
//! rather than leaving a tombstone, so lookups never slow down with use. The code that reads
//! keys comes in as `dyn` closures: one copy of the table's code serves every user.
//!
//! [`StrMap`] and [`StrSet`] are the string-keyed map and set built on it.

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

    /// Removes the position whose key `is` names and hashes to `hash`; the position, if it
    /// was here. The slots after it that belong before it move back into its place.
    pub fn remove(&mut self, hash: u64, is: &mut dyn Is, hash_of: &dyn HashOf) -> Option<u32> {
        let mut hole = self.slot(hash, is)?;
        let removed = self.positions[hole];
        let mask = self.mask();
        let mut at = hole;
        loop {
            at = (at + 1) & mask;
            let position = self.positions[at];
            if position == EMPTY {
                break;
            }
            // It may fill the hole when the hole lies between its home slot and where it is.
            let home = hash_of.hash_of(position) as usize & mask;
            if at.wrapping_sub(home) & mask >= at.wrapping_sub(hole) & mask {
                self.positions[hole] = position;
                self.tags[hole] = self.tags[at];
                hole = at;
            }
        }
        self.positions[hole] = EMPTY;
        self.len -= 1;
        Some(removed)
    }

    pub fn clear(&mut self) {
        *self = HashIndex::default();
    }
}

/// A map from strings: its entries in a list (a removed one's place is reused), indexed by a
/// [`HashIndex`].
pub struct StrMap<V> {
    entries: Vec<Option<(String, V)>>,
    /// Places in `entries` a removal left empty.
    free: Vec<u32>,
    index: HashIndex,
}

impl<V> Default for StrMap<V> {
    fn default() -> Self {
        StrMap {
            entries: Vec::new(),
            free: Vec::new(),
            index: HashIndex::default(),
        }
    }
}

/// The key at `position` of `entries`.
fn key_at<V>(entries: &[Option<(String, V)>], position: u32) -> &str {
    entries[position as usize]
        .as_ref()
        .map_or("", |(key, _)| key.as_str())
}

impl<V> StrMap<V> {
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn position(&self, key: &str) -> Option<u32> {
        self.position_hashed(key, hash_str(key))
    }

    /// [`StrMap::position`] of a key whose hash is known already.
    fn position_hashed(&self, key: &str, hash: u64) -> Option<u32> {
        let entries = &self.entries;
        self.index.find(hash, &mut |p| key_at(entries, p) == key)
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        let position = self.position(key)?;
        self.entries[position as usize].as_ref().map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let position = self.position(key)?;
        self.entries[position as usize].as_mut().map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Sets `key` to `value`; the value it had, if any.
    pub fn insert(&mut self, key: &str, value: V) -> Option<V> {
        let hash = hash_str(key);
        if let Some(position) = self.position_hashed(key, hash) {
            let entry = self.entries[position as usize].as_mut();
            let (_, old) = entry.expect("an indexed position holds an entry");
            return Some(std::mem::replace(old, value));
        }
        let entry = Some((key.to_owned(), value));
        let position = match self.free.pop() {
            Some(position) => {
                self.entries[position as usize] = entry;
                position
            }
            None => {
                self.entries.push(entry);
                u32::try_from(self.entries.len() - 1).expect("under 4 billion entries")
            }
        };
        let entries = &self.entries;
        let hash_of = |p| hash_str(key_at(entries, p));
        self.index.insert(hash, position, &hash_of);
        None
    }

    /// Removes `key`; its value, if it had one.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let entries = &self.entries;
        let hash_of = |p| hash_str(key_at(entries, p));
        let mut is = |p| key_at(entries, p) == key;
        let position = self.index.remove(hash_str(key), &mut is, &hash_of)?;
        self.free.push(position);
        self.entries[position as usize].take().map(|(_, v)| v)
    }

    pub fn clear(&mut self) {
        *self = StrMap::default();
    }
}

/// A set of strings.
#[derive(Default)]
pub struct StrSet(StrMap<()>);

impl StrSet {
    /// Adds `key`; whether it was not here yet.
    pub fn insert(&mut self, key: &str) -> bool {
        self.0.insert(key, ()).is_none()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn remove(&mut self, key: &str) -> bool {
        self.0.remove(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(String, u16),
        Remove(String),
        Get(String),
        Clear,
    }

    /// Keys from a small alphabet, so that operations meet the same keys again.
    fn key() -> impl Strategy<Value = String> {
        "[ab\u{e9}\u{4e2d}]{0,10}"
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (key(), any::<u16>()).prop_map(|(k, v)| Op::Insert(k, v)),
            3 => key().prop_map(Op::Remove),
            3 => key().prop_map(Op::Get),
            1 => Just(Op::Clear),
        ]
    }

    proptest! {
        /// Any run of operations leaves the map holding what std's `HashMap` holds.
        #[test]
        fn a_str_map_does_what_std_hash_map_does(ops in prop::collection::vec(op(), 0..400)) {
            let mut ours = StrMap::default();
            let mut std_map = HashMap::new();
            for op in ops {
                match op {
                    Op::Insert(k, v) => prop_assert_eq!(ours.insert(&k, v), std_map.insert(k, v)),
                    Op::Remove(k) => prop_assert_eq!(ours.remove(&k), std_map.remove(&k)),
                    Op::Get(k) => prop_assert_eq!(ours.get(&k), std_map.get(&k)),
                    Op::Clear => {
                        ours.clear();
                        std_map.clear();
                    }
                }
                prop_assert_eq!(ours.len(), std_map.len());
            }
            for (k, v) in &std_map {
                prop_assert_eq!(ours.get(k), Some(v));
            }
        }
    }

    /// Every key hashing to one home slot: probing, growing and removal's back-shifts all
    /// meet long runs, and wrap around the end of the table.
    #[test]
    fn colliding_hashes_are_told_apart_and_removed_cleanly() {
        let keys: Vec<String> = (0..50).map(|i| format!("k{i}")).collect();
        let hash = |_p: u32| (7u64 << 56) | 7;
        let mut index = HashIndex::default();
        for p in 0..50 {
            index.insert(hash(p), p, &hash);
        }
        for p in (0..50).step_by(3) {
            let removed = index.remove(hash(p), &mut |q| q == p, &hash);
            assert_eq!(removed, Some(p), "{}", keys[p as usize]);
        }
        for p in 0..50 {
            let found = index.find(hash(p), &mut |q| q == p);
            assert_eq!(found.is_some(), p % 3 != 0, "{}", keys[p as usize]);
        }
        assert_eq!(index.len(), 50 - 17);
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

    #[test]
    fn a_str_set_keeps_each_key_once() {
        let mut set = StrSet::default();
        assert!(set.insert("a"));
        assert!(!set.insert("a"));
        assert!(set.contains("a") && !set.contains("b"));
        assert!(set.remove("a") && !set.remove("a"));
        assert!(set.is_empty());
    }
}
