//! The wasm side of `client.loader()`: the check of an id and the batch calls. The queue, the
//! cache and the promises are js/shell/loader.js's (its header says why).

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::client::Client;
use crate::js::{js_object, read_id, to_js_error, ReadObject};
use improfiles_core::call::{Batch, BatchOptions};
use improfiles_core::loader::LoaderSettings;
use improfiles_core::model::ProfileError;

#[wasm_bindgen(module = "/js/shell/loader.js")]
extern "C" {
    #[wasm_bindgen(js_name = ProfileLoader)]
    pub type JsProfileLoader;
    #[wasm_bindgen(constructor, js_class = "ProfileLoader")]
    pub fn new(core: LoaderCore, settings: JsValue, cache_map: JsValue) -> JsProfileLoader;
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
}

impl LoaderCore {
    /// The loader over `client`, and the settings js/shell/loader.js keeps its queue and cache
    /// to: `{ vendor, batchSize, cacheTtlMs, maxCacheSize }`.
    pub fn new(client: Rc<Client>, settings: &LoaderSettings) -> (Self, JsValue) {
        let settings = js_object(|o| {
            o.add("vendor", &client.vendor.key())
                .add("batchSize", &settings.batch_size)
                .add("cacheTtlMs", &settings.cache.cache_ttl_ms)
                .add("maxCacheSize", &settings.cache.max_cache_size);
        });
        (LoaderCore { client }, settings)
    }
}

#[wasm_bindgen]
impl LoaderCore {
    /// Throws the `ProfileError` of an id that cannot be loaded.
    pub fn check(&self, id: JsValue) -> Result<(), JsValue> {
        let vendor = self.client.vendor.as_ref();
        let refuse =
            |why| ProfileError::invalid_input(format!("id: {why}")).with_vendor(vendor.key());
        let checked =
            read_id(&id, None, vendor.key()).and_then(|id| vendor.validate_id(&id).map_err(refuse));
        checked.map_err(|e| to_js_error(&e))
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
}
