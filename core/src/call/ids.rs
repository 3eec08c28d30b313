//! The distinct ids of a `getProfiles` call, kept compactly, in first-seen order. Ids can
//! arrive over the whole call (an iterable read as requests go out), so repeats are found as
//! they arrive: a hash table of positions into the one buffer the ids are kept in, hashed by
//! the ids themselves — 4 bytes a slot, the ids never stored twice.

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasher, BuildHasherDefault};

use hashbrown::HashTable;

/// The distinct ids in one buffer. A million ids as a million `String`s take about three
/// times the memory (a header and a heap block each), and wasm memory never shrinks back.
#[derive(Default)]
pub struct IdTable {
    text: String,
    /// Where each id ends in `text`; id `i` starts where id `i - 1` ends.
    ends: Vec<u32>,
    /// The position of every id, found by the id's hash.
    index: HashTable<u32>,
    /// SipHash with fixed keys: the ids are the caller's own, and wasm has no randomness at
    /// start-up to key it with.
    hasher: BuildHasherDefault<DefaultHasher>,
}

/// The `i`-th id of `text` as `ends` marks the ids.
fn id_at<'a>(text: &'a str, ends: &[u32], i: usize) -> &'a str {
    let start = match i {
        0 => 0,
        p => ends[p - 1] as usize,
    };
    &text[start..ends[i] as usize]
}

impl IdTable {
    /// Adds `id` unless it is here already; its position when it is new.
    pub fn insert(&mut self, id: &str) -> Option<usize> {
        let IdTable {
            text,
            ends,
            index,
            hasher,
        } = self;
        let hash = hasher.hash_one(id);
        if index
            .find(hash, |&p| id_at(text, ends, p as usize) == id)
            .is_some()
        {
            return None;
        }
        let position = ends.len();
        let rehash = |&p: &u32| hasher.hash_one(id_at(text, ends, p as usize));
        index.insert_unique(hash, position as u32, rehash);
        text.push_str(id);
        ends.push(u32::try_from(text.len()).expect("under 4 GiB of ids"));
        Some(position)
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The `i`-th distinct id.
    pub fn get(&self, i: usize) -> &str {
        id_at(&self.text, &self.ends, i)
    }
}

/// The ids of `joined` (joined by `"\n"`, as js/shell/ids.js joins an array's), one at a time,
/// when there are `count` of them; `None` when there are not (an id held a `"\n"`).
pub fn split_joined(joined: String, count: usize) -> Option<impl Iterator<Item = String>> {
    if joined.split('\n').count() != count {
        return None;
    }
    let mut at = 0;
    Some(std::iter::from_fn(move || {
        let rest = joined.get(at..)?;
        let id = rest.split('\n').next().unwrap_or(rest);
        at += id.len() + 1;
        Some(id.to_owned())
    }))
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
