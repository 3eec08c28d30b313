//! The distinct ids of a `getProfiles` call (and the distinct tags of a Tencent `fields`
//! list, `vendors/tencent/portrait_get.rs`), kept compactly, in first-seen order. Ids can
//! arrive over the whole call (an iterable read as requests go out), so repeats are found as
//! they arrive: a hash table of positions into the blocks the ids are kept in, hashed by the
//! ids themselves (`crate::hash_index`) — 5 bytes a slot, the ids never stored twice. The
//! table is split by hash into [`SHARDS`] tables that grow one at a time: a single table
//! holds its old and new slots at once while it doubles (5 MB and 10 MB at a million ids),
//! a shard a 64th of that.

use crate::hash_index::{hash_str, HashIndex};

/// The text of the ids is kept in blocks of this many bytes, and their ends in blocks of
/// this many entries: wasm memory never shrinks back, and one buffer doubling as it grows
/// holds its old and new copies at once and leaves the old one behind as a hole.
const TEXT_BLOCK: usize = 64 * 1024;
const ENDS_BLOCK: usize = 16 * 1024;
/// How many tables the index is split into, by bits of an id's hash (see `insert`).
const SHARDS: usize = 64;

/// The distinct ids in blocks of text. A million ids as a million `String`s take about three
/// times the memory (a header and a heap block each).
#[derive(Default)]
pub struct IdTable {
    /// Whole ids, one after another: a block holds `TEXT_BLOCK` bytes, or one longer id.
    text: Vec<String>,
    /// The position of the first id of each block of `text`.
    firsts: Vec<u32>,
    /// Where each id ends in its block of `text`, in blocks of `ENDS_BLOCK`.
    ends: Vec<Vec<u32>>,
    len: usize,
    /// The position of every id, found by the id's hash, in the shard its hash names.
    index: Vec<HashIndex>,
}

/// The ids' text and where each ends: all a lookup reads, apart from the hash table that is
/// being changed.
struct Stored<'a> {
    text: &'a [String],
    firsts: &'a [u32],
    ends: &'a [Vec<u32>],
}

impl<'a> Stored<'a> {
    fn end(&self, i: usize) -> usize {
        self.ends[i / ENDS_BLOCK][i % ENDS_BLOCK] as usize
    }

    /// The `i`-th id.
    fn get(&self, i: usize) -> &'a str {
        let block = self.firsts.partition_point(|&first| first as usize <= i) - 1;
        let start = match i == self.firsts[block] as usize {
            true => 0,
            false => self.end(i - 1),
        };
        crate::model::sub(&self.text[block], start..self.end(i))
    }
}

impl IdTable {
    fn stored(&self) -> Stored<'_> {
        Stored {
            text: &self.text,
            firsts: &self.firsts,
            ends: &self.ends,
        }
    }

    /// Adds `id` unless it is here already; its position when it is new.
    pub fn insert(&mut self, id: &str) -> Option<usize> {
        let IdTable {
            text,
            firsts,
            ends,
            index,
            ..
        } = self;
        let stored = Stored { text, firsts, ends };
        let hash = hash_str(id);
        if index.is_empty() {
            index.resize_with(SHARDS, HashIndex::default);
        }
        // Bits that pick neither a slot (the low ones) nor a slot's tag (the top eight).
        let shard = &mut index[(hash >> 40) as usize % SHARDS];
        if shard
            .find(hash, &mut |p| stored.get(p as usize) == id)
            .is_some()
        {
            return None;
        }
        let position = self.len;
        let position_u32 = u32::try_from(position).expect("under 4 billion ids");
        let rehash = |p: u32| hash_str(stored.get(p as usize));
        shard.insert(hash, position_u32, &rehash);
        let full = self
            .text
            .last()
            .map_or(true, |block| block.len() + id.len() > block.capacity());
        if full {
            self.text
                .push(String::with_capacity(TEXT_BLOCK.max(id.len())));
            self.firsts.push(position_u32);
        }
        let block = self.text.last_mut().expect("a block with room");
        block.push_str(id);
        if position % ENDS_BLOCK == 0 {
            self.ends.push(Vec::with_capacity(ENDS_BLOCK));
        }
        let end = u32::try_from(block.len()).expect("a block under 4 GiB");
        self.ends.last_mut().expect("a block of ends").push(end);
        self.len += 1;
        Some(position)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The `i`-th distinct id.
    pub fn get(&self, i: usize) -> &str {
        self.stored().get(i)
    }
}

/// The ids of `joined` (joined by `"\n"`, as js/shell/ids.js joins an array's), one at a time,
/// when there are `count` of them; `None` when there are not (an id held a `"\n"`).
pub fn split_joined(joined: String, count: usize) -> Option<Joined> {
    if joined.split('\n').count() != count {
        return None;
    }
    Some(Joined { joined, at: 0 })
}

/// The ids of a joined string, as [`split_joined`] takes them.
pub struct Joined {
    joined: String,
    /// Where the next id starts; past the end once the last is taken.
    at: usize,
}

impl Iterator for Joined {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let rest = self.joined.get(self.at..)?;
        let id = rest
            .find('\n')
            .map_or(rest, |end| crate::model::sub(rest, ..end));
        self.at += id.len() + 1;
        Some(id.to_owned())
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
    fn ids_span_many_blocks_and_a_long_id_has_its_own() {
        let long = "x".repeat(TEXT_BLOCK + 1);
        let mut ids: Vec<String> = (0..3 * ENDS_BLOCK).map(|i| format!("id-{i}")).collect();
        ids.insert(ENDS_BLOCK, long.clone());
        let mut t = IdTable::default();
        for id in ids.iter().chain(&ids) {
            t.insert(id);
        }
        assert_eq!(t.len(), ids.len());
        assert!(t.text.len() > 2, "the text spans blocks");
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(t.get(i), id);
        }
        assert_eq!(t.insert(&long), None);
        assert_eq!(t.insert("new"), Some(ids.len()));
    }

    #[test]
    fn joined_ids_split_only_when_the_count_is_right() {
        let split = |joined: &str, count| {
            split_joined(joined.to_owned(), count).map(|ids| ids.collect::<Vec<_>>())
        };
        assert_eq!(split("a\nb\nc", 3).unwrap(), ["a", "b", "c"]);
        assert_eq!(split("a\n\nb\n", 4).unwrap(), ["a", "", "b", ""]);
        assert_eq!(split("é", 1).unwrap(), ["é"]);
        assert!(split("a\nb", 3).is_none(), "an id held a newline");
        assert!(
            split("", 0).is_none(),
            "an empty array is read the slow way"
        );
    }
}
