//! The pure parts of `client.loader()`: a cache with a time to live and least-recently-used
//! eviction, and the queue that coalesces `load(id)` calls into full requests. The shell
//! keeps the promises and starts the calls; time comes in as arguments.

use std::collections::VecDeque;

use crate::hash_index::{StrMap, StrSet};
use crate::model::ProfileError;
use crate::reader::ObjectReader;
use crate::vendors::Vendor;

/// The documented defaults (`LoaderOptions` in js/shell/types.d.ts): no expiry, 10,000 entries.
pub const DEFAULT_MAX_CACHE_SIZE: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoaderOptions {
    /// Entries older than this are not served (and are dropped when next asked for).
    pub cache_ttl_ms: Option<f64>,
    /// At most this many entries; 0 turns the cache off.
    pub max_cache_size: usize,
}

impl Default for LoaderOptions {
    fn default() -> Self {
        LoaderOptions {
            cache_ttl_ms: None,
            max_cache_size: DEFAULT_MAX_CACHE_SIZE,
        }
    }
}

impl LoaderOptions {
    /// Checks the two options as the shell read them (`None`: not given).
    pub fn new(
        cache_ttl_ms: Option<f64>,
        max_cache_size: Option<f64>,
    ) -> Result<Self, ProfileError> {
        let mut options = LoaderOptions::default();
        if let Some(ttl) = cache_ttl_ms {
            if !(ttl.is_finite() && ttl > 0.0) {
                return Err(ProfileError::invalid_input(
                    "options.cacheTtlMs must be a number of milliseconds above 0",
                ));
            }
            options.cache_ttl_ms = Some(ttl);
        }
        if let Some(size) = max_cache_size {
            if !(size.fract() == 0.0 && (0.0..=1e9).contains(&size)) {
                return Err(ProfileError::invalid_input(
                    "options.maxCacheSize must be a whole number from 0 to 1e9",
                ));
            }
            options.max_cache_size = size as usize;
        }
        Ok(options)
    }
}

/// The options of `client.loader()`.
pub const LOADER_KEYS: [&str; 4] = ["cacheTtlMs", "maxCacheSize", "cacheMap", "maxBatchSize"];

/// A loader's options, read and checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoaderSettings {
    /// For the loader's own cache; unused with a `cacheMap`.
    pub cache: LoaderOptions,
    /// The caller keeps the profiles in a Map-like object of theirs (`cacheMap`).
    pub cache_map: bool,
    /// At most this many ids in one batch: the vendor's batch size unless told.
    pub batch_size: usize,
}

impl LoaderSettings {
    /// `cache_map`: a `cacheMap` was given (the shell holds it and checks that it is one).
    pub fn read(
        options: &ObjectReader,
        vendor: &dyn Vendor,
        cache_map: bool,
    ) -> Result<Self, ProfileError> {
        let (ttl, size) = (
            options.number("cacheTtlMs")?,
            options.number("maxCacheSize")?,
        );
        let cache = LoaderOptions::new(ttl, size).map_err(|e| e.with_vendor(vendor.key()))?;
        if cache_map && (ttl.is_some() || size.is_some()) {
            return Err(options.error(
                "options.cacheTtlMs and options.maxCacheSize apply to the loader's own cache, not to a cacheMap",
            ));
        }
        let batch_size = match options.whole_number("maxBatchSize")? {
            None => vendor.common().batch_size,
            Some(0) => return Err(options.error("options.maxBatchSize must be 1 or more")),
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        Ok(LoaderSettings {
            cache,
            cache_map,
            batch_size,
        })
    }
}

struct Entry<V> {
    value: V,
    stored_at: f64,
    /// Position in the recency order; larger is more recent.
    used: u64,
}

/// A cache keyed by id, with a TTL and least-recently-used eviction (the two features
/// DataLoader's users asked for). Generic so the shell can keep JS objects in it, and so it
/// is tested natively.
pub struct ProfileCache<V> {
    options: LoaderOptions,
    entries: StrMap<Entry<V>>,
    /// Every use, the oldest first: `(used, id)`. A record whose entry has been used again
    /// since, or removed, is stale and skipped; they are swept out once they outnumber the
    /// entries. (A queue, not an ordered map: each ordered map's key type is its own copy of
    /// the B-tree's code in the .wasm.)
    recency: VecDeque<(u64, String)>,
    clock: u64,
}

impl<V: Clone> ProfileCache<V> {
    pub fn new(options: LoaderOptions) -> Self {
        ProfileCache {
            options,
            entries: StrMap::default(),
            recency: VecDeque::new(),
            clock: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The entry for `id` if it is fresh at `now`; a hit makes it the most recently used.
    pub fn get(&mut self, id: &str, now: f64) -> Option<V> {
        let expired = {
            let entry = self.entries.get(id)?;
            self.options
                .cache_ttl_ms
                .is_some_and(|ttl| now - entry.stored_at >= ttl)
        };
        if expired {
            self.remove(id);
            return None;
        }
        let used = self.tick();
        let entry = self.entries.get_mut(id)?;
        entry.used = used;
        let value = entry.value.clone();
        self.used(used, id);
        Some(value)
    }

    /// Records a use of `id`, and sweeps out the stale records once they are most of them.
    fn used(&mut self, used: u64, id: &str) {
        self.recency.push_back((used, id.to_owned()));
        if self.recency.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.recency
                .retain(|(used, id)| entries.get(id).is_some_and(|e| e.used == *used));
        }
    }

    /// Stores `value` for `id` as of `now`, evicting the least recently used entries beyond
    /// the size limit.
    pub fn insert(&mut self, id: &str, value: V, now: f64) {
        if self.options.max_cache_size == 0 {
            return;
        }
        self.remove(id);
        let used = self.tick();
        self.entries.insert(
            id,
            Entry {
                value,
                stored_at: now,
                used,
            },
        );
        self.used(used, id);
        while self.entries.len() > self.options.max_cache_size {
            let Some((used, oldest)) = self.recency.pop_front() else {
                break;
            };
            if self.entries.get(&oldest).is_some_and(|e| e.used == used) {
                self.entries.remove(&oldest);
            }
        }
    }

    /// Whether a fresh entry for `id` is there, without touching its recency.
    pub fn contains(&self, id: &str, now: f64) -> bool {
        self.entries.get(id).is_some_and(|entry| {
            self.options
                .cache_ttl_ms
                .map_or(true, |ttl| now - entry.stored_at < ttl)
        })
    }

    pub fn remove(&mut self, id: &str) {
        self.entries.remove(id);
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.recency.clear();
    }
}

/// What [`LoadQueue::enqueue`] did with an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Already queued or being fetched: the caller waits for that.
    Joined,
    /// Queued; `batch_full` says a full batch is ready to go at once.
    Queued { batch_full: bool },
}

/// Gathers the ids of `load` calls into batches of the vendor's request size, and knows
/// which are being fetched so a second `load` of the same id joins the first.
pub struct LoadQueue {
    batch_size: usize,
    queued: Vec<String>,
    waiting: StrSet,
}

impl LoadQueue {
    pub fn new(batch_size: usize) -> Self {
        LoadQueue {
            batch_size: batch_size.max(1),
            queued: Vec::new(),
            waiting: StrSet::default(),
        }
    }

    pub fn enqueue(&mut self, id: &str) -> Enqueued {
        if !self.waiting.insert(id) {
            return Enqueued::Joined;
        }
        self.queued.push(id.to_owned());
        Enqueued::Queued {
            batch_full: self.queued.len() >= self.batch_size,
        }
    }

    /// The next batch to fetch (at most one request's worth), empty when nothing is queued.
    pub fn take_batch(&mut self) -> Vec<String> {
        let n = self.queued.len().min(self.batch_size);
        self.queued.drain(..n).collect()
    }

    pub fn has_queued(&self) -> bool {
        !self.queued.is_empty()
    }

    /// The fetch of `id` ended (its waiters are settled by the caller).
    pub fn done(&mut self, id: &str) {
        self.waiting.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::PlainObject;
    use crate::vendors::rongcloud::RongCloud;
    use crate::vendors::test_support::from_json;

    #[test]
    fn loader_options_are_checked_once_with_their_defaults() {
        let vendor =
            from_json(r#"{"appKey":"k","appSecret":"s"}"#, RongCloud::from_config).unwrap();
        let read = |json: &str, cache_map: bool| {
            let object = PlainObject::from_json(json, &[]);
            LoaderSettings::read(&object.input("options", None), &vendor, cache_map)
        };
        let defaults = read("{}", false).unwrap();
        assert_eq!(defaults.batch_size, vendor.common().batch_size);
        assert_eq!(defaults.cache, LoaderOptions::default());
        assert_eq!(
            read(r#"{"maxBatchSize": 25}"#, true).unwrap().batch_size,
            25
        );
        for (json, cache_map) in [
            (r#"{"maxBatchSize": 0}"#, false),
            (r#"{"cacheTtlMs": 5}"#, true),
            (r#"{"maxCacheSize": -1}"#, false),
        ] {
            assert!(read(json, cache_map).is_err(), "{json}");
        }
    }

    fn cache(ttl: Option<f64>, size: usize) -> ProfileCache<u32> {
        ProfileCache::new(LoaderOptions {
            cache_ttl_ms: ttl,
            max_cache_size: size,
        })
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let mut c = cache(Some(1000.0), 10);
        c.insert("a", 1, 0.0);
        assert_eq!(c.get("a", 999.0), Some(1));
        assert!(c.contains("a", 999.0));
        assert!(!c.contains("a", 1000.0));
        assert_eq!(c.get("a", 1000.0), None, "expired at exactly the TTL");
        assert!(c.is_empty(), "an expired entry is dropped when asked for");
        c.insert("a", 2, 5000.0);
        assert_eq!(
            c.get("a", 5500.0),
            Some(2),
            "a fresh insert restarts the clock"
        );
    }

    /// A cache of 3 holding a, b and c (1, 2, 3), inserted in that order.
    fn full_of_abc() -> ProfileCache<u32> {
        let mut c = cache(None, 3);
        c.insert("a", 1, 0.0);
        c.insert("b", 2, 0.0);
        c.insert("c", 3, 0.0);
        c
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut c = full_of_abc();
        assert_eq!(c.get("a", 1.0), Some(1), "a is now the most recent");
        c.insert("d", 4, 2.0);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("b", 3.0), None, "b was the least recently used");
        assert_eq!(
            (c.get("a", 3.0), c.get("c", 3.0), c.get("d", 3.0)),
            (Some(1), Some(3), Some(4))
        );
        c.insert("c", 30, 4.0);
        c.insert("e", 5, 5.0);
        assert_eq!(c.get("a", 6.0), None, "re-inserting c made a the oldest");
        assert_eq!(c.get("c", 6.0), Some(30));
    }

    #[test]
    fn many_uses_keep_the_recency_small_and_in_order() {
        let mut c = full_of_abc();
        for i in 0..1000 {
            let id = ["c", "a"][i % 2];
            assert!(c.get(id, 1.0).is_some());
            assert!(c.recency.len() <= 2 * 3 + 65, "{} records", c.recency.len());
        }
        c.remove("c");
        c.insert("d", 4, 2.0);
        c.insert("e", 5, 2.0);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("b", 3.0), None, "b was used least recently");
        assert_eq!(
            (c.get("a", 3.0), c.get("d", 3.0), c.get("e", 3.0)),
            (Some(1), Some(4), Some(5))
        );
        c.insert("f", 6, 4.0);
        assert_eq!(
            c.get("a", 5.0),
            None,
            "a's older uses are skipped: it went first"
        );
        assert_eq!(
            (c.get("d", 5.0), c.get("e", 5.0), c.get("f", 5.0)),
            (Some(4), Some(5), Some(6))
        );
    }

    #[test]
    fn without_ttl_nothing_expires_and_size_zero_caches_nothing() {
        let mut c = cache(None, 10);
        c.insert("a", 1, 0.0);
        assert_eq!(c.get("a", 1e15), Some(1));
        let mut off = cache(None, 0);
        off.insert("a", 1, 0.0);
        assert_eq!(off.get("a", 0.0), None);
        c.remove("a");
        c.insert("b", 2, 0.0);
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn loads_coalesce_into_full_batches_and_repeats_join() {
        let mut q = LoadQueue::new(3);
        assert_eq!(q.enqueue("a"), Enqueued::Queued { batch_full: false });
        assert_eq!(q.enqueue("a"), Enqueued::Joined);
        assert_eq!(q.enqueue("b"), Enqueued::Queued { batch_full: false });
        assert_eq!(q.enqueue("c"), Enqueued::Queued { batch_full: true });
        assert_eq!(q.take_batch(), ["a", "b", "c"]);
        assert_eq!(q.enqueue("b"), Enqueued::Joined, "b is being fetched");
        q.done("b");
        assert_eq!(q.enqueue("b"), Enqueued::Queued { batch_full: false });
        assert!(q.has_queued());
        assert_eq!(q.take_batch(), ["b"]);
        assert!(q.take_batch().is_empty());
    }

    #[test]
    fn options_are_checked() {
        assert_eq!(
            LoaderOptions::new(None, None).unwrap(),
            LoaderOptions::default()
        );
        assert_eq!(
            LoaderOptions::new(Some(60_000.0), Some(0.0)).unwrap(),
            LoaderOptions {
                cache_ttl_ms: Some(60_000.0),
                max_cache_size: 0
            }
        );
        for (ttl, size) in [(Some(0.0), None), (Some(f64::NAN), None), (None, Some(1.5))] {
            assert!(LoaderOptions::new(ttl, size).is_err());
        }
    }
}
