//! `ProfileClient` (js/shell/types.d.ts): each method converts its arguments in, calls the core,
//! and converts the result out; calls run in js/shell/run.js.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::call::CallHandle;
use crate::js::{
    from_tape, get, in_a_browser, is_stream, js_object, now, random_seed, read_ids, read_object,
    to_js, to_js_error, ReadObject,
};
use crate::loader::{JsProfileLoader, LoaderCore};
use improfiles_core::call::options::batch_keys;
use improfiles_core::call::{
    parse_one, Batch, BatchOptions, Call, Outcome, Pages, Work, LIMITER_WAIT_MS,
};
use improfiles_core::loader::{LoaderSettings, LOADER_KEYS};
use improfiles_core::model::{ErrorCode, ProfileError};
use improfiles_core::session::{limiter_key, Session};
use improfiles_core::vendors::{self, ParseContext, Vendor};
use improfiles_core::{http::HttpResponse, json::tape::to_tape};

// The option objects' TypeScript names, so the generated signatures say `options?: …`.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "GetProfilesOptions")]
    pub type GetProfilesOptionsArg;
    #[wasm_bindgen(typescript_type = "ListProfilesOptions")]
    pub type ListProfilesOptionsArg;
    #[wasm_bindgen(typescript_type = "ListAllProfilesOptions")]
    pub type ListAllProfilesOptionsArg;
    #[wasm_bindgen(typescript_type = "LoaderOptions")]
    pub type LoaderOptionsArg;
    #[wasm_bindgen(typescript_type = "StreamProfilesOptions")]
    pub type StreamProfilesOptionsArg;
    #[wasm_bindgen(typescript_type = "ListPagesOptions")]
    pub type ListPagesOptionsArg;
}

#[wasm_bindgen(module = "/js/shell/run.js")]
extern "C" {
    type ClientIo;
    #[wasm_bindgen(constructor)]
    fn new(fetch: Option<Function>, signer: Option<Function>, limits: JsValue) -> ClientIo;
    /// A promise of the call's outcome, or with `stream`, an async iterable of its results.
    #[wasm_bindgen(js_name = run)]
    fn run_call(call: CallHandle, io: &ClientIo, options: &Object, stream: bool) -> JsValue;
}

/// What the calls of one client share.
pub struct Client {
    pub vendor: Rc<dyn Vendor>,
    pub session: RefCell<Session>,
    /// The caller's fetch, signer and limiter, and the limits a request is held to.
    io: ClientIo,
}

impl Client {
    /// Reads a call's input object `name` (its options, say), with the keys it takes.
    fn read(&self, value: &JsValue, name: &str, keys: &[&str]) -> Result<ReadObject, ProfileError> {
        let vendor = Some(self.vendor.key());
        read_object(value, name, Some(keys), ErrorCode::InvalidInput, vendor)
    }

    /// Runs `work` as a call in js/shell/run.js, with the signal and callbacks of `options`,
    /// reading its ids from `source` if they come as it goes: a promise of its outcome, or
    /// (`stream`) an async iterable of its requests' results.
    pub fn start<W: Work + 'static>(
        self: &Rc<Self>,
        work: W,
        options: &ReadObject,
        source: Option<JsValue>,
        stream: bool,
    ) -> Result<JsValue, ProfileError>
    where
        W::Outcome: Outcome,
    {
        let vendor = self.vendor.key();
        let signal = options.raw("signal").map(|value| value.clone().dyn_into());
        let signal: Option<web_sys::AbortSignal> = signal.transpose().map_err(|_| {
            ProfileError::invalid_input("options.signal must be an AbortSignal").with_vendor(vendor)
        })?;
        if signal.as_ref().is_some_and(|s| s.aborted()) {
            return Err(ProfileError::aborted(vendor));
        }
        let call = Call::new(Rc::clone(&self.vendor), work, random_seed());
        let handle = CallHandle::new(Rc::clone(self), Box::new(call));
        let run = Object::new();
        let set = |key: &str, value: Option<JsValue>| {
            let _ = Reflect::set(&run, &key.into(), &value.unwrap_or_default());
        };
        let function = |key| options.function(key).map(JsValue::from);
        set("signal", signal.map(JsValue::from));
        set("onBatch", function("onBatch"));
        set("onProgress", function("onProgress"));
        set("source", source);
        Ok(run_call(handle, &self.io, &run, stream))
    }
}

/// The promise a call makes, or one that rejects with the error that kept it from starting.
fn promise(started: Result<JsValue, ProfileError>) -> Promise {
    match started {
        Ok(promise) => promise.unchecked_into(),
        Err(error) => Promise::reject(&to_js_error(&error)),
    }
}

/// A client for one vendor account (`ProfileClient` in js/shell/types.d.ts).
#[wasm_bindgen]
pub struct ProfileClient {
    inner: Rc<Client>,
}

#[wasm_bindgen]
impl ProfileClient {
    /// Validates the whole config at once; throws `ProfileError` (`invalid_config`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ProfileClientConfig")] config: JsValue,
    ) -> Result<ProfileClient, JsValue> {
        Self::build(&config).map_err(|e| to_js_error(&e))
    }

    fn build(config: &JsValue) -> Result<ProfileClient, ProfileError> {
        if !config.is_object() {
            return Err(ProfileError::invalid_config("config must be an object"));
        }
        let read = read_object(config, "config", None, ErrorCode::InvalidConfig, None)?;
        let input = read.plain.config();
        let vendor: Rc<dyn Vendor> = Rc::from(vendors::from_config(&input)?);
        input.function("fetch")?;
        let limiter = read.raw("limiter");
        if limiter.is_some_and(|l| !get(l, "acquire").is_function()) {
            return Err(ProfileError::invalid_config(
                "config.limiter must be an object with an acquire(key, permits) method",
            ));
        }
        let common = vendor.common();
        let limiter_key = limiter
            .map(|_| limiter_key(&input, vendor.as_ref()))
            .transpose()?;
        // What js/shell/run.js holds the client's requests to, and its shared limiter.
        let limits = js_object(|o| {
            o.add("rate", &common.rate_limit)
                .add("timeoutMs", &common.timeout_ms)
                .add("maxResponseBytes", &common.max_response_bytes)
                .add("limiterKey", &limiter_key)
                .add("limiterWaitMs", &LIMITER_WAIT_MS);
        });
        let limiter_js = limiter.cloned().unwrap_or_default();
        let _ = Reflect::set(&limits, &"limiter".into(), &limiter_js);
        let io = ClientIo::new(read.function("fetch"), read.function("signer"), limits);
        let session = Session::new(vendor.as_ref(), limiter.is_some(), in_a_browser());
        Ok(ProfileClient {
            inner: Rc::new(Client {
                session: RefCell::new(session),
                io,
                vendor,
            }),
        })
    }

    /// Fetches the profiles of `ids`; resolves a `BatchResult` that accounts for every id.
    /// `ids` may be an iterable or async iterable, read only as fast as requests go out.
    #[wasm_bindgen(js_name = getProfiles, unchecked_return_type = "Promise<BatchResult>")]
    pub fn get_profiles(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Ids")] ids: JsValue,
        options: Option<GetProfilesOptionsArg>,
    ) -> Promise {
        promise(self.batch(&ids, options.map(JsValue::from), false))
    }

    /// Each finished request's results as they come: `getProfiles` as an async iterable, which
    /// sends nothing new while its consumer does not ask, and stops when the loop is left.
    #[wasm_bindgen(js_name = streamProfiles, unchecked_return_type = "AsyncIterable<BatchResult>")]
    pub fn stream_profiles(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Ids")] ids: JsValue,
        options: Option<StreamProfilesOptionsArg>,
    ) -> Result<JsValue, JsValue> {
        self.batch(&ids, options.map(JsValue::from), true)
            .map_err(|e| to_js_error(&e))
    }

    fn batch(
        &self,
        ids: &JsValue,
        options: Option<JsValue>,
        stream: bool,
    ) -> Result<JsValue, ProfileError> {
        let client = &self.inner;
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let read = client.read(&options, "options", batch_keys(stream))?;
        let reader = read.plain.input("options", Some(client.vendor.key()));
        let vendor = client.vendor.as_ref();
        let mut options = BatchOptions::read(&reader, vendor)?;
        options.collect &= !stream;
        options.emit_batches |= stream;
        if is_stream(ids) {
            let work = Batch::streaming(vendor, options);
            return client.start(work, &read, Some(ids.clone()), stream);
        }
        let work = Batch::new(vendor, read_ids(ids, client.vendor.key())?, options)?;
        client.start(work, &read, None, stream)
    }

    /// One page of the vendor's user listing (Easemob). Other vendors reject `unsupported`.
    #[wasm_bindgen(js_name = listProfiles, unchecked_return_type = "Promise<ProfilePage>")]
    pub fn list_profiles(&self, options: Option<ListProfilesOptionsArg>) -> Promise {
        promise(self.listing(options.map(JsValue::from), true, false))
    }

    /// Every page of the vendor's user listing (Easemob). Other vendors reject `unsupported`.
    #[wasm_bindgen(js_name = listAllProfiles, unchecked_return_type = "Promise<BatchResult>")]
    pub fn list_all_profiles(&self, options: Option<ListAllProfilesOptionsArg>) -> Promise {
        promise(self.listing(options.map(JsValue::from), false, false))
    }

    /// Every page of the vendor's user listing as it comes (Easemob): an async iterable.
    #[wasm_bindgen(js_name = listPages, unchecked_return_type = "AsyncIterable<ProfilePage & { failures: Failure[] }>")]
    pub fn list_pages(&self, options: Option<ListPagesOptionsArg>) -> Result<JsValue, JsValue> {
        self.listing(options.map(JsValue::from), false, true)
            .map_err(|e| to_js_error(&e))
    }

    /// `listProfiles` (`one_page`), `listAllProfiles`, or `listPages` (`stream`). A vendor with
    /// no listing is refused before its options are read.
    #[cfg(feature = "easemob")]
    fn listing(
        &self,
        options: Option<JsValue>,
        one_page: bool,
        stream: bool,
    ) -> Result<JsValue, ProfileError> {
        use improfiles_core::call::{options::list_keys, ListOptions};
        let client = &self.inner;
        if client.vendor.listing().is_none() {
            return Err(Pages::unsupported(client.vendor.key()));
        }
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let read = client.read(&options, "options", list_keys(stream))?;
        let reader = read.plain.input("options", Some(client.vendor.key()));
        let mut options = ListOptions::read(&reader, one_page)?;
        options.collect &= !stream;
        options.emit_batches |= stream;
        let work = Pages::new(client.vendor.as_ref(), options)?;
        client.start(work, &read, None, stream)
    }

    /// Only Easemob lists users: a build without it leaves out the listing's call and the
    /// reading of its options (5 KB gzip).
    #[cfg(not(feature = "easemob"))]
    fn listing(&self, _: Option<JsValue>, _: bool, _: bool) -> Result<JsValue, ProfileError> {
        Err(Pages::unsupported(self.inner.vendor.key()))
    }

    /// A DataLoader-style loader over this client: coalesced `load(id)` calls and a cache.
    #[wasm_bindgen(unchecked_return_type = "ProfileLoader")]
    pub fn loader(&self, options: Option<LoaderOptionsArg>) -> Result<JsValue, JsValue> {
        let client = &self.inner;
        let options = options.map_or(JsValue::UNDEFINED, JsValue::from);
        let build = || {
            let read = client.read(&options, "options", &LOADER_KEYS)?;
            let reader = read.plain.input("options", Some(client.vendor.key()));
            let cache_map = read.raw("cacheMap").cloned();
            let settings =
                LoaderSettings::read(&reader, client.vendor.as_ref(), cache_map.is_some())?;
            let map_like = |map: &JsValue| {
                ["get", "set", "delete", "clear"]
                    .iter()
                    .all(|m| get(map, m).is_function())
            };
            if cache_map.as_ref().is_some_and(|map| !map_like(map)) {
                return Err(reader.error(
                    "options.cacheMap must be a Map-like object with get, set, delete and clear",
                ));
            }
            let (core, settings) = LoaderCore::new(Rc::clone(client), &settings);
            let cache_map = cache_map.unwrap_or(JsValue::UNDEFINED);
            Ok(JsProfileLoader::new(core, settings, cache_map).into())
        };
        build().map_err(|e| to_js_error(&e))
    }

    /// What one vendor response (`{ status, body, headers? }`) means for the `ids` its request
    /// asked for: every id once, as a profile or a failure, nothing sent and nothing retried.
    /// For responses that came another way: a proxy, a queue, recorded fixtures in tests.
    #[wasm_bindgen(js_name = parseResponse, unchecked_return_type = "{ profiles: Profile[]; failures: Failure[] }")]
    pub fn parse_response(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly string[]")] ids: JsValue,
        #[wasm_bindgen(
            unchecked_param_type = "{ status: number; body: string; headers?: Record<string, string> }"
        )]
        response: JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ includeRaw?: boolean }")] options: Option<Object>,
    ) -> Result<JsValue, JsValue> {
        let client = &self.inner;
        let key = client.vendor.key();
        let parse = || {
            let options = options.map_or(JsValue::UNDEFINED, JsValue::from);
            let options = client.read(&options, "options", &["includeRaw"])?;
            let include_raw = options
                .plain
                .input("options", Some(key))
                .flag("includeRaw", false)?;
            let mut list = Vec::new();
            for id in read_ids(&ids, key)? {
                list.push(id?);
            }
            let response = client.read(&response, "response", &HttpResponse::KEYS)?;
            let http = HttpResponse::read(&response.plain.input("response", Some(key)))?;
            let ctx = ParseContext {
                now_ms: now(),
                include_raw,
            };
            parse_one(client.vendor.as_ref(), &list, &http, &ctx).map(|e| from_tape(&to_tape(&e)))
        };
        parse().map_err(|e| to_js_error(&e))
    }

    /// What `JSON.stringify` prints: the config without any secret.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Record<string, unknown>")]
    pub fn to_json(&self) -> JsValue {
        to_js(&self.inner.vendor.describe())
    }

    /// The vendor key this client talks to.
    #[wasm_bindgen(getter, unchecked_return_type = "Vendor")]
    pub fn vendor(&self) -> JsValue {
        JsValue::from_str(self.inner.vendor.key().as_str())
    }
}

#[wasm_bindgen(typescript_custom_section)]
const PUBLIC_TYPES: &str = include_str!("../js/shell/types.d.ts");
