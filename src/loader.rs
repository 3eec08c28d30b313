//! The wasm side of `client.loader()`: its cache (the core's, read as a Map by js/shell/loader.js),
//! its queue, the checks of ids and `prime` arguments, and the batch calls. The promises are
//! js/shell/loader.js's.

use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::call::NotInlined;
use crate::client::Client;
use crate::js::{get, js_object, now, read_id, to_js_error, ReadObject};
use improfiles_core::call::{Batch, BatchOptions};
use improfiles_core::loader::{Enqueued, LoadQueue, LoaderSettings, ProfileCache};
use improfiles_core::model::ProfileError;

#[wasm_bindgen(module = "/js/shell/loader.js")]
extern "C" {
    #[wasm_bindgen(js_name = ProfileLoader)]
    pub type JsProfileLoader;
    #[wasm_bindgen(constructor, js_class = "ProfileLoader")]
    pub fn new(core: LoaderCore, cache_map: JsValue) -> JsProfileLoader;
    #[wasm_bindgen(js_name = profileLoaderClass)]
    fn profile_loader_class() -> JsValue;
}

/// The `ProfileLoader` class, for the package entry points to re-export.
#[wasm_bindgen(js_name = "__profileLoaderClass", skip_typescript)]
pub fn export_profile_loader_class() -> JsValue {
    profile_loader_class()
}

#[wasm_bindgen(skip_typescript)]
pub struct LoaderCore {
    client: Rc<Client>,
    settings: LoaderSettings,
    cache: ProfileCache<JsValue>,
    queue: LoadQueue,
}

impl LoaderCore {
    pub fn new(client: Rc<Client>, settings: LoaderSettings) -> Self {
        LoaderCore {
            client,
            cache: ProfileCache::new(settings.cache),
            queue: LoadQueue::new(settings.batch_size),
            settings,
        }
    }

    fn invalid(&self, message: &str) -> JsValue {
        let error = ProfileError::invalid_input(message).with_vendor(self.client.vendor.key());
        to_js_error(&error)
    }
}

#[wasm_bindgen]
impl LoaderCore {
    /// Throws the `ProfileError` of an id that cannot be loaded.
    pub fn check(&self, id: JsValue) -> Result<(), JsValue> {
        let vendor = self.client.vendor.as_ref();
        let id = read_id(&id, None, vendor.key()).map_err(|e| to_js_error(&e))?;
        vendor
            .validate_id(&id)
            .map_err(|why| self.invalid(&format!("id: {why}")))
    }

    #[wasm_bindgen(js_name = checkMany)]
    pub fn check_many(&self, ids: JsValue) -> Result<(), JsValue> {
        let array = Array::is_array(&ids).then_some(());
        array.ok_or_else(|| self.invalid("ids must be an array of strings"))
    }

    /// `[id, profile]` for `prime(profile)` or `prime(id, profile)`.
    pub fn primed(&self, key_or_profile: JsValue, profile: JsValue) -> Result<Array, JsValue> {
        let (id, profile) = match (key_or_profile.as_string(), profile.is_undefined()) {
            (Some(id), false) => (id, profile),
            (Some(_), true) => return Err(self.invalid("prime(id, profile) needs the profile")),
            (None, true) => {
                let id = get(&key_or_profile, "id")
                    .as_string()
                    .ok_or_else(|| self.invalid("prime needs a profile with a string id"))?;
                (id, key_or_profile)
            }
            (None, false) => return Err(self.invalid("prime(id, profile) takes a string id")),
        };
        if !profile.is_object() {
            return Err(self.invalid("prime takes a profile object (failures are not cached)"));
        }
        Ok(Array::of2(&id.into(), &profile))
    }

    /// `"joined"` (already on its way), `"queued"`, or `"full"` (take the batch now).
    pub fn enqueue(&mut self, id: &str) -> String {
        match self.queue.enqueue(id) {
            Enqueued::Joined => "joined",
            Enqueued::Queued { batch_full: true } => "full",
            Enqueued::Queued { batch_full: false } => "queued",
        }
        .into()
    }

    #[wasm_bindgen(js_name = takeBatch)]
    pub fn take_batch(&mut self) -> Vec<String> {
        self.queue.take_batch()
    }

    #[wasm_bindgen(js_name = hasQueued)]
    pub fn has_queued(&self) -> NotInlined<bool> {
        Ok(self.queue.has_queued())
    }

    pub fn done(&mut self, id: &str) -> NotInlined<()> {
        self.queue.done(id);
        Ok(())
    }

    /// Fetches `ids` as one getProfiles call; resolves with its `BatchResult`.
    pub fn fetch(&self, ids: Vec<String>) -> Result<JsValue, JsValue> {
        let vendor = self.client.vendor.as_ref();
        let work = Batch::new(vendor, ids.into_iter().map(Ok), BatchOptions::default())
            .map_err(|e| to_js_error(&e))?;
        self.client
            .start(work, &ReadObject::default(), None, false)
            .map_err(|e| to_js_error(&e))
    }

    #[wasm_bindgen(getter)]
    pub fn vendor(&self) -> String {
        self.client.vendor.key().as_str().into()
    }

    // The loader's own cache, as a Map; single results as `NotInlined` (src/call.rs) here too.

    pub fn get(&mut self, id: &str) -> NotInlined<JsValue> {
        Ok(self.cache.get(id, now()).unwrap_or(JsValue::UNDEFINED))
    }

    pub fn set(&mut self, id: &str, profile: JsValue) -> NotInlined<()> {
        self.cache.insert(id, profile, now());
        Ok(())
    }

    pub fn delete(&mut self, id: &str) -> NotInlined<()> {
        self.cache.remove(id);
        Ok(())
    }

    pub fn clear(&mut self) -> NotInlined<()> {
        self.cache.clear();
        Ok(())
    }

    #[wasm_bindgen(getter)]
    pub fn size(&self) -> NotInlined<usize> {
        Ok(self.cache.len())
    }

    pub fn describe(&self) -> JsValue {
        js_object(|o| {
            o.add("vendor", &self.client.vendor.key())
                .add("cacheTtlMs", &self.settings.cache.cache_ttl_ms)
                .add("maxCacheSize", &self.settings.cache.max_cache_size);
        })
    }
}
