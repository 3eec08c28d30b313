//! The distinct ids of a `getProfiles` call, kept compactly, in first-seen order. Ids can
//! arrive over the whole call (an iterable read as requests go out), so repeats are found as
//! they arrive: a hash of each id points at where the id is kept, and the ids themselves are
//! kept once.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// The distinct ids in one buffer. A million ids as a million `String`s take about three
/// times the memory (a header and a heap block each), and wasm memory never shrinks back.
#[derive(Default)]
pub struct IdTable {
    text: String,
    /// Where each id ends in `text`; id `i` starts where id `i - 1` ends.
    ends: Vec<u32>,
    /// Each id's hash, to the first id with that hash.
    index: HashMap<u64, u32>,
    /// Ids whose hash an earlier, different id has (64-bit hashes: almost never any).
    collided: Vec<u32>,
}

fn hash(id: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

impl IdTable {
    /// Adds `id` unless it is here already; its position when it is new.
    pub fn insert(&mut self, id: &str) -> Option<usize> {
        let key = hash(id);
        let position = self.ends.len();
        match self.index.get(&key) {
            Some(&first) if self.get(first as usize) == id => return None,
            Some(_) => {
                let seen = self.collided.iter().any(|&p| self.get(p as usize) == id);
                if seen {
                    return None;
                }
                self.collided.push(position as u32);
            }
            None => {
                self.index.insert(key, position as u32);
            }
        }
        self.text.push_str(id);
        let end = u32::try_from(self.text.len()).expect("under 4 GiB of ids");
        self.ends.push(end);
        Some(position)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th distinct id.
    pub fn get(&self, i: usize) -> &str {
        let start = match i {
            0 => 0,
            p => self.ends[p - 1] as usize,
        };
        &self.text[start..self.ends[i] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_table_keeps_first_occurrences_in_order() {
        let table = |ids: &[&str]| {
            let mut t = IdTable::default();
            ids.iter().for_each(|id| {
                t.insert(id);
            });
            (0..t.len())
                .map(|i| t.get(i).to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            table(&["b", "a", "b", "é", "a", "b", "c"]),
            ["b", "a", "é", "c"]
        );
        assert_eq!(table(&["x", "y"]), ["x", "y"]);
        assert!(table(&[]).is_empty());
        assert_eq!(table(&["ab", "a", "b", "ab"]), ["ab", "a", "b"]);
    }

    #[test]
    fn ids_with_the_same_hash_are_told_apart() {
        let mut t = IdTable::default();
        assert_eq!(t.insert("first"), Some(0));
        // As if "second" had the hash of "first": it is kept apart, and found again.
        t.index.insert(hash("second"), 0);
        assert_eq!(t.insert("second"), Some(1));
        assert_eq!(t.insert("second"), None);
        assert_eq!(t.insert("first"), None);
        assert_eq!(t.collided, [1]);
    }
}
