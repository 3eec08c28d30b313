//! The options of `client.loader()`, checked once when a loader is made. Its queue, cache and
//! promises are the shell's (js/shell/loader.js says why); its batches are getProfiles calls.

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
        Ok(LoaderSettings { cache, batch_size })
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
