//! The ids of a `getProfiles` call, kept compactly.

/// The ids of a call in one buffer. A million ids as a million `String`s take about three
/// times the memory (a header and a heap block each), and wasm memory never shrinks back.
#[derive(Default)]
pub struct IdTable {
    text: String,
    /// Where each id ends in `text`; id `i` starts where id `i - 1` ends.
    ends: Vec<u32>,
    /// After deduplication: the table positions of the distinct ids, in first-seen order.
    order: Option<Vec<u32>>,
}

impl IdTable {
    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends
            .push(u32::try_from(self.text.len()).expect("under 4 GiB of ids"));
    }

    fn raw(&self, position: usize) -> &str {
        let start = match position {
            0 => 0,
            p => self.ends[p - 1] as usize,
        };
        &self.text[start..self.ends[position] as usize]
    }

    pub fn len(&self) -> usize {
        self.order.as_ref().map_or(self.ends.len(), Vec::len)
    }

    /// The `i`-th distinct id.
    pub fn get(&self, i: usize) -> &str {
        match &self.order {
            Some(order) => self.raw(order[i] as usize),
            None => self.raw(i),
        }
    }

    /// Keeps the first occurrence of each id. Sorting positions by id finds the repeats with
    /// 4 bytes an id, where a hash set of the ids would take 16 or more.
    pub fn deduplicated(mut self) -> Self {
        let mut positions: Vec<u32> = (0..self.ends.len() as u32).collect();
        positions.sort_unstable_by(|&a, &b| {
            self.raw(a as usize)
                .cmp(self.raw(b as usize))
                .then(a.cmp(&b))
        });
        let mut keep = vec![true; self.ends.len()];
        for pair in positions.windows(2) {
            if self.raw(pair[0] as usize) == self.raw(pair[1] as usize) {
                keep[pair[1] as usize] = false;
            }
        }
        drop(positions);
        if keep.iter().all(|&k| k) {
            return self;
        }
        self.order = Some(
            keep.iter()
                .enumerate()
                .filter(|(_, &k)| k)
                .map(|(p, _)| p as u32)
                .collect(),
        );
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_table_keeps_first_occurrences_in_order() {
        let table = |ids: &[&str]| {
            let mut t = IdTable::default();
            ids.iter().for_each(|id| t.push(id));
            let t = t.deduplicated();
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
}
