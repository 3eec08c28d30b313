//! `client.loader()` (`ProfileLoader` in js/types.d.ts): `load` calls made in the same tick, or until a
//! request's worth is queued, become one `getProfiles` batch; profiles are cached with a TTL
//! and least-recently-used eviction. The cache and queue are the core's
//! ([`improfiles_core::loader`]); this file holds the promises and starts the calls.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{call_options, get, now, set_timeout, to_js, to_js_error, CallOptions, Client, Run};
use improfiles_core::loader::{Enqueued, LoadQueue, LoaderOptions, ProfileCache};
use improfiles_core::model::ProfileError;

/// Where a loader keeps profiles: its own cache (TTL, least recently used out), or a Map-like
/// object the caller owns (`cacheMap`), whose size and eviction are then the caller's.
enum LoaderCache {
    Own(ProfileCache<JsValue>),
    Map(JsValue),
}

impl LoaderCache {
    /// A method of the caller's map; a map that throws is a miss, not an error of the load.
    fn call(map: &JsValue, method: &str, args: &[&JsValue]) -> JsValue {
        let Ok(f) = get(map, method).dyn_into::<Function>() else {
            return JsValue::UNDEFINED;
        };
        let result = match args {
            [] => f.call0(map),
            [a] => f.call1(map, a),
            [a, b, ..] => f.call2(map, a, b),
        };
        result.unwrap_or(JsValue::UNDEFINED)
    }

    fn get(&mut self, id: &str, now: f64) -> Option<JsValue> {
        match self {
            LoaderCache::Own(cache) => cache.get(id, now),
            LoaderCache::Map(map) => {
                let value = Self::call(map, "get", &[&id.into()]);
                (!value.is_undefined()).then_some(value)
            }
        }
    }

    fn contains(&self, id: &str, now: f64) -> bool {
        match self {
            LoaderCache::Own(cache) => cache.contains(id, now),
            LoaderCache::Map(map) => !Self::call(map, "get", &[&id.into()]).is_undefined(),
        }
    }

    fn insert(&mut self, id: &str, value: JsValue, now: f64) {
        match self {
            LoaderCache::Own(cache) => cache.insert(id, value, now),
            LoaderCache::Map(map) => {
                Self::call(map, "set", &[&id.into(), &value]);
            }
        }
    }

    fn remove(&mut self, id: &str) {
        match self {
            LoaderCache::Own(cache) => cache.remove(id),
            LoaderCache::Map(map) => {
                Self::call(map, "delete", &[&id.into()]);
            }
        }
    }

    fn clear(&mut self) {
        match self {
            LoaderCache::Own(cache) => cache.clear(),
            LoaderCache::Map(map) => {
                Self::call(map, "clear", &[]);
            }
        }
    }

    /// How many profiles are cached, where that is known.
    fn size(&self) -> JsValue {
        match self {
            LoaderCache::Own(cache) => JsValue::from(cache.len() as f64),
            LoaderCache::Map(map) => get(map, "size"),
        }
    }
}

struct LoaderState {
    client: Rc<Client>,
    options: LoaderOptions,
    cache: LoaderCache,
    queue: LoadQueue,
    /// The `(resolve, reject)` pairs of every `load` waiting for an id.
    waiters: HashMap<String, Vec<(Function, Function)>>,
    flush_scheduled: bool,
}

/// Batches and caches single-id lookups (`ProfileLoader` in js/types.d.ts).
#[wasm_bindgen]
pub struct ProfileLoader {
    state: Rc<RefCell<LoaderState>>,
}

thread_local! {
    /// `e => e`, for `loadMany`'s `promise.catch`: one closure for the module's life. One made
    /// per call would be kept for ever by every promise that never rejects, and one owned by
    /// a loader could be dropped with it while its promises are still pending.
    static KEEP_ERROR: Closure<dyn FnMut(JsValue) -> JsValue> = Closure::new(|error: JsValue| error);
}

impl ProfileLoader {
    /// Another handle on the same loader, for the methods that return it (chaining, as in
    /// DataLoader); both share one cache and queue.
    fn handle(&self) -> ProfileLoader {
        ProfileLoader {
            state: Rc::clone(&self.state),
        }
    }

    pub(super) fn new(client: Rc<Client>, options: &JsValue) -> Result<Self, ProfileError> {
        let vendor = client.vendor.key();
        let reader = call_options(options, vendor)?;
        let (ttl, size) = (reader.number("cacheTtlMs")?, reader.number("maxCacheSize")?);
        let options = LoaderOptions::new(ttl, size).map_err(|e| e.with_vendor(vendor))?;
        let cache = match reader.map_like("cacheMap")? {
            None => LoaderCache::Own(ProfileCache::new(options)),
            Some(_) if ttl.is_some() || size.is_some() => {
                return Err(reader.invalid(
                    "options.cacheTtlMs and options.maxCacheSize apply to the loader's own cache, not to a cacheMap"
                        .into(),
                ))
            }
            Some(map) => LoaderCache::Map(map),
        };
        let batch_size = match reader.whole_number("maxBatchSize")? {
            None => client.vendor.common().batch_size,
            Some(0) => return Err(reader.invalid("options.maxBatchSize must be 1 or more".into())),
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        Ok(ProfileLoader {
            state: Rc::new(RefCell::new(LoaderState {
                client,
                options,
                cache,
                queue: LoadQueue::new(batch_size),
                waiters: HashMap::new(),
                flush_scheduled: false,
            })),
        })
    }
}

#[wasm_bindgen]
impl ProfileLoader {
    /// The profile of `id`, from the cache or from the next batch; rejects with the id's
    /// `ProfileError` (e.g. `not_found`) if it has none.
    #[wasm_bindgen(unchecked_return_type = "Promise<Profile>")]
    pub fn load(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> Promise {
        let vendor = self.state.borrow().client.vendor.clone();
        let id = match id.dyn_ref::<js_sys::JsString>() {
            Some(text) if text.is_valid_utf16() => String::from(text),
            Some(_) => {
                let error = ProfileError::invalid_input(
                    "id is not well-formed UTF-16 (it holds a lone surrogate)",
                )
                .with_vendor(vendor.key());
                return Promise::reject(&to_js_error(&error));
            }
            None => {
                let error =
                    ProfileError::invalid_input("id must be a string").with_vendor(vendor.key());
                return Promise::reject(&to_js_error(&error));
            }
        };
        if let Err(why) = vendor.validate_id(&id) {
            let error = ProfileError::invalid_input(format!("id: {why}")).with_vendor(vendor.key());
            return Promise::reject(&to_js_error(&error));
        }
        let mut state = self.state.borrow_mut();
        if let Some(profile) = state.cache.get(&id, now()) {
            return Promise::resolve(&profile);
        }
        let mut settle = None;
        let promise = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        state
            .waiters
            .entry(id.clone())
            .or_default()
            .push(settle.expect("Promise::new runs its executor at once"));
        match state.queue.enqueue(&id) {
            Enqueued::Joined => {}
            Enqueued::Queued { batch_full: true } => {
                let batch = state.queue.take_batch();
                drop(state);
                dispatch(&self.state, batch);
            }
            Enqueued::Queued { batch_full: false } if !state.flush_scheduled => {
                state.flush_scheduled = true;
                drop(state);
                schedule_flush(&self.state);
            }
            Enqueued::Queued { .. } => {}
        }
        promise
    }

    /// Every id's profile, or its `ProfileError` in its place; never rejects for one id.
    #[wasm_bindgen(js_name = loadMany, unchecked_return_type = "Promise<(Profile | ProfileError)[]>")]
    pub fn load_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly string[]")] ids: JsValue,
    ) -> Promise {
        if !Array::is_array(&ids) {
            let vendor = self.state.borrow().client.vendor.key();
            let error =
                ProfileError::invalid_input("ids must be an array of strings").with_vendor(vendor);
            return Promise::reject(&to_js_error(&error));
        }
        // Each rejection becomes the value in its place (`promise.catch(e => e)`).
        let each: Array = Array::from(&ids)
            .iter()
            .map(|id| {
                let promise = self.load(id);
                let catch = get(&promise, "catch").unchecked_into::<Function>();
                KEEP_ERROR
                    .with(|keep_error| catch.call1(&promise, keep_error.as_ref()))
                    .unwrap_or_else(|error| error)
            })
            .collect();
        Promise::all(&each)
    }

    /// Puts a profile in the cache, unless its id is cached already: `prime(profile)` under the
    /// profile's own id, or `prime(id, profile)` as DataLoader has it. Returns the loader.
    pub fn prime(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Profile")] key_or_profile: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Profile")] profile: Option<Object>,
    ) -> Result<ProfileLoader, JsValue> {
        let mut state = self.state.borrow_mut();
        let vendor = state.client.vendor.key();
        let invalid =
            |why: &str| to_js_error(&ProfileError::invalid_input(why).with_vendor(vendor));
        let (id, profile) = match (key_or_profile.as_string(), profile) {
            (Some(id), Some(profile)) => (id, JsValue::from(profile)),
            (Some(_), None) => return Err(invalid("prime(id, profile) needs the profile")),
            (None, None) => {
                let id = get(&key_or_profile, "id")
                    .as_string()
                    .ok_or_else(|| invalid("prime needs a profile with a string id"))?;
                (id, key_or_profile)
            }
            (None, Some(_)) => return Err(invalid("prime(id, profile) takes a string id")),
        };
        if !profile.is_object() {
            return Err(invalid(
                "prime takes a profile object (failures are not cached)",
            ));
        }
        let at = now();
        if !state.cache.contains(&id, at) {
            state.cache.insert(&id, profile, at);
        }
        Ok(self.handle())
    }

    /// Forgets the cached profile of `id`. Returns the loader.
    pub fn clear(&self, id: &str) -> ProfileLoader {
        self.state.borrow_mut().cache.remove(id);
        self.handle()
    }

    /// Forgets every cached profile. Returns the loader.
    #[wasm_bindgen(js_name = clearAll)]
    pub fn clear_all(&self) -> ProfileLoader {
        self.state.borrow_mut().cache.clear();
        self.handle()
    }

    /// What `JSON.stringify` prints: the options and the cache size, never a credential.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Record<string, unknown>")]
    pub fn to_json(&self) -> JsValue {
        let state = self.state.borrow();
        let out = Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = Reflect::set(&out, &key.into(), &value);
        };
        set("vendor", state.client.vendor.key().as_str().into());
        set(
            "cacheTtlMs",
            state
                .options
                .cache_ttl_ms
                .map_or(JsValue::NULL, JsValue::from),
        );
        set(
            "maxCacheSize",
            JsValue::from(state.options.max_cache_size as f64),
        );
        set("cached", state.cache.size());
        out.into()
    }
}

/// Sends what is queued once the current tick is over, so every `load` made in it joins.
fn schedule_flush(state: &Rc<RefCell<LoaderState>>) {
    let state = Rc::clone(state);
    let flush = Closure::once_into_js(move || {
        let batches: Vec<Vec<String>> = {
            let mut s = state.borrow_mut();
            s.flush_scheduled = false;
            let mut batches = Vec::new();
            while s.queue.has_queued() {
                batches.push(s.queue.take_batch());
            }
            batches
        };
        for batch in batches {
            dispatch(&state, batch);
        }
    });
    set_timeout(flush.unchecked_ref(), 0.0);
}

/// Fetches one batch as a `getProfiles` call and settles its waiters.
fn dispatch(state: &Rc<RefCell<LoaderState>>, ids: Vec<String>) {
    let client = Rc::clone(&state.borrow().client);
    let vendor = client.vendor.key();
    let state = Rc::clone(state);
    wasm_bindgen_futures::spawn_local(async move {
        let no_options = JsValue::UNDEFINED;
        let run = Run::start_with_ids(
            client,
            ids.iter().cloned().map(Ok),
            CallOptions {
                options: &no_options,
                vendor,
            },
        );
        let outcome = match run {
            Ok(run) => run.finish().await,
            Err(error) => Err(to_js_error(&error)),
        };
        let mut s = state.borrow_mut();
        let mut settled: Vec<(Function, JsValue)> = Vec::new();
        let mut take = |s: &mut LoaderState, id: &str, value: &JsValue, ok: bool| {
            s.queue.done(id);
            for (resolve, reject) in s.waiters.remove(id).unwrap_or_default() {
                settled.push((if ok { resolve } else { reject }, value.clone()));
            }
        };
        match outcome {
            Ok(result) => {
                let at = now();
                for profile in &result.profiles {
                    let value = to_js(profile);
                    s.cache.insert(&profile.id, value.clone(), at);
                    take(&mut s, &profile.id, &value, true);
                }
                for failure in &result.failures {
                    take(
                        &mut s,
                        &failure.id,
                        &to_js_error(&failure.to_error(vendor)),
                        false,
                    );
                }
            }
            Err(error) => {
                for id in &ids {
                    take(&mut s, id, &error, false);
                }
            }
        }
        drop(s);
        for (settle, value) in settled {
            let _ = settle.call1(&JsValue::UNDEFINED, &value);
        }
    });
}
