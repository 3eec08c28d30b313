//! The JS-facing shell: the only code that touches `fetch`, timers, `AbortSignal` and user
//! callbacks. It converts JS values to the core's types, runs a [`Call`]'s outputs, and
//! converts results back. Every decision (what to send, when, what a response means) is the
//! core's.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use improfiles_core::call::{
    Batch, BatchOptions, Call, Input, ListOptions, Outgoing, Output, Pages, TransportError, Work,
};
use improfiles_core::config::ConfigInput;
use improfiles_core::http::HttpResponse;
use improfiles_core::model::{ErrorCode, ProfileError, VendorCode, VendorKey};
use improfiles_core::session::Session;
use improfiles_core::vendors::{self, Vendor};

mod loader;
mod signatures;

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
}

#[wasm_bindgen(module = "/js/profile_error.js")]
extern "C" {
    #[wasm_bindgen(js_name = createProfileError)]
    fn create_profile_error(
        code: &str,
        message: &str,
        vendor: Option<String>,
        status: Option<u16>,
        vendor_code: JsValue,
        retryable: bool,
    ) -> JsValue;

    #[wasm_bindgen(js_name = profileErrorClass)]
    fn profile_error_class() -> JsValue;
}

/// The `ProfileError` class, for the package entry points to re-export.
#[wasm_bindgen(js_name = "__profileErrorClass", skip_typescript)]
pub fn export_profile_error_class() -> JsValue {
    profile_error_class()
}

/// Response headers the vendor parsers read, and the length checked against
/// `maxResponseBytes` before a body is read.
const RESPONSE_HEADERS: [&str; 3] = ["retry-after", "content-type", "content-length"];

fn to_js_error(error: &ProfileError) -> JsValue {
    let vendor_code = match &error.vendor_code {
        Some(VendorCode::Number(n)) => JsValue::from_f64(*n as f64),
        Some(VendorCode::Text(s)) => JsValue::from_str(s),
        None => JsValue::UNDEFINED,
    };
    create_profile_error(
        error.code.as_str(),
        &error.message,
        error.vendor.map(|v| v.as_str().to_owned()),
        error.status,
        vendor_code,
        error.retryable,
    )
}

/// Results cross into JS as one JSON string that `JSON.parse` turns into objects: building
/// them property by property through the boundary (serde-wasm-bindgen) normalized a
/// response's worth of profiles 5-35% slower (BENCHMARKS.md).
fn to_js<T: Serialize>(value: &T) -> JsValue {
    let text = serde_json::to_string(value).expect("result types serialize to JSON");
    js_sys::JSON::parse(&text).expect("serde_json writes valid JSON")
}

fn get(target: &JsValue, key: &str) -> JsValue {
    if target.is_object() || target.is_function() {
        Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// A seed from `crypto.getRandomValues` where there is one (browsers, workers, Node 20).
fn random_seed() -> u64 {
    let crypto = get(&js_sys::global(), "crypto");
    let words = js_sys::Uint32Array::new_with_length(2);
    let filled = get(&crypto, "getRandomValues")
        .dyn_into::<Function>()
        .ok()
        .and_then(|f| f.call1(&crypto, &words).ok())
        .is_some();
    if filled {
        (u64::from(words.get_index(0)) << 32) | u64::from(words.get_index(1))
    } else {
        (js_sys::Math::random() * u64::MAX as f64) as u64 ^ now() as u64
    }
}

/// The longest delay `setTimeout` takes: past it, timers fire at once (a 1 ms spin).
const MAX_TIMER_MS: f64 = 2_147_483_647.0;

fn set_timeout(callback: &Function, ms: f64) -> JsValue {
    let global = js_sys::global();
    let ms = if ms.is_nan() {
        0.0
    } else {
        ms.clamp(0.0, MAX_TIMER_MS)
    };
    get(&global, "setTimeout")
        .dyn_into::<Function>()
        .and_then(|f| f.call2(&global, callback, &JsValue::from_f64(ms)))
        .unwrap_or(JsValue::UNDEFINED)
}

fn clear_timeout(handle: &JsValue) {
    let global = js_sys::global();
    if let Ok(f) = get(&global, "clearTimeout").dyn_into::<Function>() {
        let _ = f.call1(&global, handle);
    }
}

/// Text of a thrown JS value, with every configured secret blanked out: fetch errors can
/// carry request URLs, and user callbacks can say anything.
fn describe_thrown(value: &JsValue, secrets: &[String]) -> String {
    let text = value
        .dyn_ref::<js_sys::Error>()
        .map(|e| {
            let cause = get(value, "cause");
            let cause = cause
                .dyn_ref::<js_sys::Error>()
                .map(|c| format!(" ({})", String::from(c.message())))
                .unwrap_or_default();
            format!("{}{cause}", String::from(e.message()))
        })
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "unknown error".into());
    redact(&text, secrets)
}

fn redact(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |acc, secret| {
            acc.replace(secret.as_str(), "[redacted]")
        })
}

/// The longest a request waits for a shared limiter's permit: well past any queue a working
/// limiter builds, so only one that hangs meets it.
const LIMITER_WAIT_MS: f64 = 60_000.0;

/// `config.limiter`: a rate budget shared with other processes (e.g. through Redis). Every
/// send first takes a permit from it, under a key naming the vendor and the account.
struct SharedLimiter {
    object: JsValue,
    acquire: Function,
    key: String,
}

impl SharedLimiter {
    fn from_config(
        object: Option<JsValue>,
        key: Option<JsValue>,
        vendor: &dyn Vendor,
    ) -> Result<Option<Self>, ProfileError> {
        let Some(object) = object else {
            return Ok(None);
        };
        let acquire = get(&object, "acquire")
            .dyn_into::<Function>()
            .map_err(|_| {
                ProfileError::invalid_config(
                    "config.limiter must be an object with an acquire(key, permits) method",
                )
            })?;
        let key = match key {
            None => format!(
                "improfiles:{}:{}",
                vendor.key().as_str(),
                vendor.rate_account()
            ),
            Some(k) => k.as_string().filter(|k| !k.is_empty()).ok_or_else(|| {
                ProfileError::invalid_config("config.limiterKey must be a non-empty string")
            })?,
        };
        Ok(Some(SharedLimiter {
            object,
            acquire,
            key,
        }))
    }

    /// Waits for one permit. `acquire(key, permits, { rate })` resolves once it is granted;
    /// the client's `rateLimit` is passed along for limiters that take the rate per key.
    /// What it resolves with is the permit: if it has a `release()` method, that is called
    /// when the request has ended (limiters that pace by completions need to know). A limiter
    /// that throws, rejects, or grants nothing within [`LIMITER_WAIT_MS`] fails this attempt
    /// as a retryable `network` failure: nothing is sent without a permit, and the call goes on.
    async fn acquire(&self, rate: f64, redact: &[String]) -> Result<JsValue, String> {
        let details = Object::new();
        let _ = Reflect::set(&details, &"rate".into(), &rate.into());
        let granted = self
            .acquire
            .call3(&self.object, &self.key.as_str().into(), &1.into(), &details)
            .map(|value| Promise::resolve(&value));
        let deadline = Deadline::start(LIMITER_WAIT_MS, None);
        let outcome = match granted {
            Ok(promise) => deadline.race(promise).await,
            Err(thrown) => Err(thrown),
        };
        outcome.map_err(|thrown| {
            if deadline.passed() {
                format!("config.limiter granted no permit within {LIMITER_WAIT_MS} ms")
            } else {
                format!(
                    "config.limiter.acquire failed: {}",
                    describe_thrown(&thrown, redact)
                )
            }
        })
    }

    /// Hands the permit back: `release({ answered })`, where `answered` says a response came
    /// back (limiters that pace by arrival credit only answered requests' round trips).
    fn release(permit: &JsValue, answered: bool) {
        if let Ok(release) = get(permit, "release").dyn_into::<Function>() {
            let outcome = Object::new();
            let _ = Reflect::set(&outcome, &"answered".into(), &answered.into());
            let _ = release.call1(permit, &outcome);
        }
    }
}

struct Client {
    vendor: Rc<dyn Vendor>,
    limiter: Option<SharedLimiter>,
    session: RefCell<Session>,
    fetch: Option<Function>,
    signer: Option<Function>,
    secrets: Vec<String>,
    /// Resolvers of every call of this client that is waiting; any completion wakes them all,
    /// since a freed concurrency slot may be what another call waits for.
    waiters: RefCell<Vec<Function>>,
}

impl Client {
    fn wake_all(&self) {
        for resolve in self.waiters.borrow_mut().drain(..) {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }

    fn fetch_function(&self) -> Result<Function, ProfileError> {
        match &self.fetch {
            Some(f) => Ok(f.clone()),
            None => get(&js_sys::global(), "fetch")
                .dyn_into::<Function>()
                .map_err(|_| {
                    ProfileError::invalid_config(
                        "there is no global fetch here; pass one as config.fetch",
                    )
                }),
        }
    }
}

/// A client for one vendor account (`ProfileClient` in js/types.d.ts).
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
        // Every key is read once, here: a getter that throws is a config error naming the key
        // (not an absent key, nor a silent fallback to the global fetch).
        let mut values = Map::new();
        let mut functions = BTreeSet::new();
        let mut raw = HashMap::new();
        for key in Object::keys(config.unchecked_ref::<Object>()).iter() {
            let Some(name) = key.as_string() else {
                continue;
            };
            let value = Reflect::get(config, &key).map_err(|_| {
                ProfileError::invalid_config(format!(
                    "config.{name} could not be read: its getter threw"
                ))
            })?;
            if value.as_f64().is_some_and(|n| !n.is_finite()) {
                return Err(ProfileError::invalid_config(format!(
                    "config.{name} must be a finite number"
                )));
            }
            if name != "limiter" {
                if value.is_function() {
                    functions.insert(name.clone());
                } else if !value.is_undefined() {
                    let json: Value =
                        serde_wasm_bindgen::from_value(value.clone()).map_err(|_| {
                            ProfileError::invalid_config(format!(
                                "config.{name} has a value of an unsupported type"
                            ))
                        })?;
                    values.insert(name.clone(), json);
                }
            }
            raw.insert(name, value);
        }
        let vendor: Rc<dyn Vendor> = Rc::from(vendors::from_config(&ConfigInput::new(
            &values, &functions,
        ))?);
        let given = |key: &str| {
            raw.get(key)
                .filter(|v| !v.is_undefined() && !v.is_null())
                .cloned()
        };
        let fetch = given("fetch")
            .map(|f| {
                f.dyn_into::<Function>()
                    .map_err(|_| ProfileError::invalid_config("config.fetch must be a function"))
            })
            .transpose()?;
        let signer = given("signer").and_then(|f| f.dyn_into::<Function>().ok());
        let limiter =
            SharedLimiter::from_config(given("limiter"), given("limiterKey"), vendor.as_ref())?;
        let session = Session::new(vendor.as_ref(), limiter.is_some());
        let secrets = vendor.secrets().into_iter().map(str::to_owned).collect();
        Ok(ProfileClient {
            inner: Rc::new(Client {
                vendor,
                limiter,
                session: RefCell::new(session),
                fetch,
                signer,
                secrets,
                waiters: RefCell::new(Vec::new()),
            }),
        })
    }

    /// Fetches the profiles of `ids`; resolves a `BatchResult` that accounts for every id.
    #[wasm_bindgen(js_name = getProfiles, unchecked_return_type = "Promise<BatchResult>")]
    pub fn get_profiles(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly string[]")] ids: JsValue,
        options: Option<GetProfilesOptionsArg>,
    ) -> Promise {
        let client = Rc::clone(&self.inner);
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        future_to_promise(async move {
            let run = Run::start(client, &ids, &options).map_err(|e| to_js_error(&e))?;
            run.drive().await
        })
    }

    /// One page of the vendor's user listing (Easemob). Other vendors reject `unsupported`.
    #[wasm_bindgen(js_name = listProfiles, unchecked_return_type = "Promise<ProfilePage>")]
    pub fn list_profiles(&self, options: Option<ListProfilesOptionsArg>) -> Promise {
        self.listing(options.map(JsValue::from), true)
    }

    /// Every page of the vendor's user listing (Easemob). Other vendors reject `unsupported`.
    #[wasm_bindgen(js_name = listAllProfiles, unchecked_return_type = "Promise<BatchResult>")]
    pub fn list_all_profiles(&self, options: Option<ListAllProfilesOptionsArg>) -> Promise {
        self.listing(options.map(JsValue::from), false)
    }

    fn listing(&self, options: Option<JsValue>, single_page: bool) -> Promise {
        let client = Rc::clone(&self.inner);
        let options: JsValue = options.unwrap_or(JsValue::UNDEFINED);
        future_to_promise(async move {
            let run =
                Run::start_listing(client, &options, single_page).map_err(|e| to_js_error(&e))?;
            run.drive().await
        })
    }

    /// A DataLoader-style loader over this client: coalesced `load(id)` calls and a cache.
    #[wasm_bindgen(js_name = loader)]
    pub fn loader(
        &self,
        options: Option<LoaderOptionsArg>,
    ) -> Result<loader::ProfileLoader, JsValue> {
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        loader::ProfileLoader::new(Rc::clone(&self.inner), &options).map_err(|e| to_js_error(&e))
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
        let vendor = &self.inner.vendor;
        let options: JsValue = options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        let reader = call_options(&options, vendor.key()).map_err(|e| to_js_error(&e))?;
        let include_raw = reader
            .flag("includeRaw", false)
            .map_err(|e| to_js_error(&e))?;
        let invalid = |message: &str| to_js_error(&reader.invalid(message.into()));
        let ids: Vec<String> = reader
            .ids(&ids)
            .and_then(Iterator::collect)
            .map_err(|e| to_js_error(&e))?;
        let status = get(&response, "status")
            .as_f64()
            .filter(|s| s.fract() == 0.0 && (100.0..=599.0).contains(s))
            .ok_or_else(|| invalid("response.status must be an HTTP status code"))?;
        let body = get(&response, "body")
            .as_string()
            .ok_or_else(|| invalid("response.body must be a string"))?;
        let mut http = HttpResponse::new(status as u16, body);
        let headers = get(&response, "headers");
        if headers.is_object() {
            for key in Object::keys(headers.unchecked_ref::<Object>()).iter() {
                let Some(name) = key.as_string() else {
                    continue;
                };
                if let Some(value) = get(&headers, &name).as_string() {
                    http = http.with_header(&name, &value);
                }
            }
        }
        let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
        let ctx = vendors::ParseContext {
            now_ms: now(),
            include_raw,
        };
        let (profiles, failures) = vendor
            .parse_response(&asked, &http, &ctx)
            .settle_all(&asked)
            .map_err(|e| to_js_error(&e))?;
        Ok(to_js(&improfiles_core::call::BatchEvent {
            profiles,
            failures,
        }))
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

/// A call's `abort` listener on the caller's signal, removed when the call settles: callers
/// share one signal between many calls (`AbortSignal.timeout(60_000)` for a whole sync), and
/// an abort after a call ended must find nothing of it — its closure is gone by then, and
/// calling a dropped closure throws in the caller's event loop.
struct AbortListener {
    signal: web_sys::AbortSignal,
    closure: Closure<dyn FnMut()>,
}

impl Drop for AbortListener {
    fn drop(&mut self) {
        let _ = self
            .signal
            .remove_event_listener_with_callback("abort", self.closure.as_ref().unchecked_ref());
    }
}

/// How a request ended, as the shell saw it.
enum Completion {
    Response(HttpResponse),
    Transport(TransportError, String),
    Fatal(ProfileError),
}

/// One call (`getProfiles` or a listing) in progress.
struct Run<W: Work> {
    client: Rc<Client>,
    call: RefCell<Call<W>>,
    /// What happened to requests, not yet handed to the call: request id, what, and when.
    completions: RefCell<VecDeque<(u64, Completion, f64)>>,
    controllers: RefCell<HashMap<u64, web_sys::AbortController>>,
    signal: Option<web_sys::AbortSignal>,
    on_progress: Option<Function>,
    on_batch: Option<Function>,
    aborted: Cell<bool>,
    /// When the run loop last let timers and I/O run (see [`yield_to_event_loop`]).
    last_yield: Cell<f64>,
}

/// Reads a call's options object; messages name the option, never its value.
#[derive(Clone, Copy)]
struct CallOptions<'a> {
    options: &'a JsValue,
    vendor: VendorKey,
}

impl<'a> CallOptions<'a> {
    fn invalid(&self, message: String) -> ProfileError {
        ProfileError::invalid_input(message).with_vendor(self.vendor)
    }

    /// The option `key` unless absent (undefined or null); a getter that throws is an error
    /// naming the key, not an absent option.
    fn present(&self, key: &str) -> Result<Option<JsValue>, ProfileError> {
        if !(self.options.is_object() || self.options.is_function()) {
            return Ok(None);
        }
        let value = Reflect::get(self.options, &JsValue::from_str(key)).map_err(|_| {
            self.invalid(format!("options.{key} could not be read: its getter threw"))
        })?;
        Ok((!value.is_undefined() && !value.is_null()).then_some(value))
    }

    fn callback(&self, key: &str) -> Result<Option<Function>, ProfileError> {
        self.present(key)?
            .map(|value| {
                value
                    .dyn_into::<Function>()
                    .map_err(|_| self.invalid(format!("options.{key} must be a function")))
            })
            .transpose()
    }

    fn flag(&self, key: &str, default: bool) -> Result<bool, ProfileError> {
        match self.present(key)? {
            None => Ok(default),
            Some(value) => value
                .as_bool()
                .ok_or_else(|| self.invalid(format!("options.{key} must be a boolean"))),
        }
    }

    /// A call's `ids`: an array, read one string at a time as the job takes them. Every read
    /// can throw (a getter, a Proxy): that, like a value that is not a string or a string
    /// that is not well-formed UTF-16 (a lone surrogate would reach the vendor as U+FFFD, and
    /// two such ids as one), is `invalid_input` before anything is sent.
    fn ids(
        self,
        ids: &JsValue,
    ) -> Result<impl Iterator<Item = Result<String, ProfileError>> + 'a, ProfileError> {
        if !Array::is_array(ids) {
            return Err(self.invalid("ids must be an array of strings".into()));
        }
        let array = ids.clone();
        let length = Reflect::get(&array, &"length".into())
            .ok()
            .and_then(|n| n.as_f64())
            .ok_or_else(|| self.invalid("ids could not be read: its length threw".into()))?;
        Ok((0..length as u32).map(move |i| {
            let id = Reflect::get_u32(&array, i).map_err(|_| {
                self.invalid(format!("ids[{i}] could not be read: reading it threw"))
            })?;
            let text = id
                .dyn_ref::<js_sys::JsString>()
                .ok_or_else(|| self.invalid(format!("ids[{i}] must be a string")))?;
            if !text.is_valid_utf16() {
                return Err(self.invalid(format!(
                    "ids[{i}] is not well-formed UTF-16 (it holds a lone surrogate)"
                )));
            }
            Ok(String::from(text))
        }))
    }

    fn number(&self, key: &str) -> Result<Option<f64>, ProfileError> {
        self.present(key)?
            .map(|value| {
                value
                    .as_f64()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| self.invalid(format!("options.{key} must be a finite number")))
            })
            .transpose()
    }

    fn whole_number(&self, key: &str) -> Result<Option<u64>, ProfileError> {
        match self.present(key)? {
            None => Ok(None),
            Some(value) => value
                .as_f64()
                .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= 9_007_199_254_740_991.0)
                .map(|n| Some(n as u64))
                .ok_or_else(|| {
                    self.invalid(format!("options.{key} must be a whole number, 0 or more"))
                }),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, ProfileError> {
        self.present(key)?
            .map(|value| {
                value
                    .as_string()
                    .ok_or_else(|| self.invalid(format!("options.{key} must be a string")))
            })
            .transpose()
    }

    /// An object with `get`, `set`, `delete` and `clear` methods (a `Map`, an LRU cache…).
    fn map_like(&self, key: &str) -> Result<Option<JsValue>, ProfileError> {
        let Some(value) = self.present(key)? else {
            return Ok(None);
        };
        let methods = ["get", "set", "delete", "clear"];
        if value.is_object() && methods.iter().all(|m| get(&value, m).is_function()) {
            Ok(Some(value))
        } else {
            Err(self.invalid(format!(
                "options.{key} must be a Map-like object with get, set, delete and clear"
            )))
        }
    }

    fn signal(&self) -> Result<Option<web_sys::AbortSignal>, ProfileError> {
        self.present("signal")?
            .map(|value| {
                value
                    .dyn_into::<web_sys::AbortSignal>()
                    .map_err(|_| self.invalid("options.signal must be an AbortSignal".into()))
            })
            .transpose()
    }

    fn fields(&self, vendor: &dyn Vendor) -> Result<Option<Vec<String>>, ProfileError> {
        let Some(fields) = self.present("fields")? else {
            return Ok(None);
        };
        let names: Option<Vec<String>> = Array::is_array(&fields)
            .then(|| Array::from(&fields).iter().map(|f| f.as_string()).collect())
            .flatten();
        let names = names
            .ok_or_else(|| self.invalid("options.fields must be an array of strings".into()))?;
        vendor
            .check_fields(&names)
            .map(Some)
            .map_err(|why| self.invalid(why))
    }
}

fn call_options(options: &JsValue, vendor: VendorKey) -> Result<CallOptions<'_>, ProfileError> {
    let reader = CallOptions { options, vendor };
    if !(options.is_undefined() || options.is_null() || options.is_object()) {
        return Err(reader.invalid("options must be an object".into()));
    }
    Ok(reader)
}

impl Run<Batch> {
    fn start(
        client: Rc<Client>,
        ids: &JsValue,
        options: &JsValue,
    ) -> Result<Rc<Self>, ProfileError> {
        let options = call_options(options, client.vendor.key())?;
        Self::start_with_ids(client, options.ids(ids)?, options)
    }

    fn start_with_ids(
        client: Rc<Client>,
        ids: impl IntoIterator<Item = Result<String, ProfileError>>,
        options: CallOptions,
    ) -> Result<Rc<Self>, ProfileError> {
        let on_batch = options.callback("onBatch")?;
        let batch_options = BatchOptions {
            fields: options.fields(client.vendor.as_ref())?,
            include_raw: options.flag("includeRaw", false)?,
            collect: options.flag("collect", true)?,
            emit_batches: on_batch.is_some(),
        };
        let work = Batch::new(client.vendor.as_ref(), ids, batch_options)?;
        Run::new(client, work, &options, on_batch)
    }
}

impl Run<Pages> {
    /// `listProfiles` (one page, default 10) or `listAllProfiles` (every page, default 100).
    fn start_listing(
        client: Rc<Client>,
        options: &JsValue,
        single_page: bool,
    ) -> Result<Rc<Self>, ProfileError> {
        let options = call_options(options, client.vendor.key())?;
        let default_page_size = if single_page { 10 } else { 100 };
        let page_size = options
            .whole_number("pageSize")?
            .unwrap_or(default_page_size);
        let on_batch = options.callback("onBatch")?;
        let list_options = ListOptions {
            page_size: u32::try_from(page_size).unwrap_or(u32::MAX),
            cursor: if single_page {
                options.string("cursor")?
            } else {
                None
            },
            single_page,
            max: if single_page {
                None
            } else {
                options
                    .whole_number("max")?
                    .map(|m| usize::try_from(m).unwrap_or(usize::MAX))
            },
            include_raw: options.flag("includeRaw", false)?,
            collect: options.flag("collect", true)?,
            emit_batches: on_batch.is_some(),
        };
        let work = Pages::new(client.vendor.as_ref(), list_options)?;
        Run::new(client, work, &options, on_batch)
    }
}

impl<W: Work + 'static> Run<W>
where
    W::Outcome: Serialize,
{
    fn new(
        client: Rc<Client>,
        work: W,
        options: &CallOptions,
        on_batch: Option<Function>,
    ) -> Result<Rc<Self>, ProfileError> {
        let signal = options.signal()?;
        if signal.as_ref().is_some_and(|s| s.aborted()) {
            return Err(aborted_error(options.vendor));
        }
        let call = Call::new(Rc::clone(&client.vendor), work, random_seed());
        Ok(Rc::new(Run {
            client,
            call: RefCell::new(call),
            completions: RefCell::new(VecDeque::new()),
            controllers: RefCell::new(HashMap::new()),
            signal,
            on_progress: options.callback("onProgress")?,
            on_batch,
            aborted: Cell::new(false),
            last_yield: Cell::new(now()),
        }))
    }

    async fn drive(self: Rc<Self>) -> Result<JsValue, JsValue> {
        self.finish().await.map(|outcome| to_js(&outcome))
    }

    /// Runs the call to its end, for callers that want the outcome as Rust values.
    async fn finish(self: Rc<Self>) -> Result<W::Outcome, JsValue> {
        let _abort_listener = self.listen_for_abort();
        let outcome = self.run_loop().await;
        if outcome.is_err() {
            self.abort_in_flight();
        }
        outcome
    }

    async fn run_loop(self: &Rc<Self>) -> Result<W::Outcome, JsValue> {
        let vendor = self.client.vendor.key();
        loop {
            if now() - self.last_yield.get() >= YIELD_EVERY_MS {
                yield_to_event_loop().await;
                self.last_yield.set(now());
            }
            if self.aborted.get() {
                return Err(to_js_error(&aborted_error(vendor)));
            }
            self.feed_completions();
            // Backpressure: while the promise `onBatch` returned is pending, no new request
            // starts, so a slow consumer keeps memory flat instead of queueing results.
            if let Some(pending) = self.report()? {
                JsFuture::from(pending).await?;
                continue;
            }
            let action = {
                let mut session = self.client.session.borrow_mut();
                self.call.borrow_mut().poll(now(), &mut session)
            };
            match action {
                Output::Send(outgoing) => self.start_request(outgoing),
                Output::WaitUntil(at) => self.wait(Some(at - now())).await,
                Output::WaitForResponses | Output::WaitForCapacity => self.wait(None).await,
                Output::Finished => {
                    // Polling can settle ids too (the breaker failing what is queued): they
                    // reach onBatch before the call resolves, like every other id.
                    if let Some(pending) = self.report()? {
                        JsFuture::from(pending).await?;
                    }
                    return Ok(self.call.borrow_mut().outcome(now()));
                }
                Output::Failed(error) => return Err(to_js_error(&error)),
            }
        }
    }

    fn feed_completions(&self) {
        let mut session = self.client.session.borrow_mut();
        let mut call = self.call.borrow_mut();
        // Each at the time it ended, not when this loop got round to it: the pacing counts
        // from the end of a request, and a busy loop would otherwise slow it for nothing.
        while let Some((id, completion, at)) = self.completions.borrow_mut().pop_front() {
            self.controllers.borrow_mut().remove(&id);
            let input = match &completion {
                Completion::Response(response) => Input::Response {
                    request_id: id,
                    response,
                },
                Completion::Transport(error, message) => Input::Transport {
                    request_id: id,
                    error: *error,
                    message,
                },
                Completion::Fatal(error) => Input::Fatal(error.clone()),
            };
            call.handle(input, at, &mut session);
        }
    }

    /// Calls `onBatch` and `onProgress` for every request finished since the last call.
    /// Returns what to wait for when `onBatch` returned promises (all of them).
    fn report(&self) -> Result<Option<Promise>, JsValue> {
        let events = self.call.borrow_mut().take_events();
        if events.is_empty() {
            return Ok(None);
        }
        let pending = Array::new();
        let (progress, stats) = {
            let call = self.call.borrow();
            (call.progress(), call.stats(now()))
        };
        if let Some(on_batch) = &self.on_batch {
            for event in events {
                let batch = to_js(&event);
                let _ = Reflect::set(&batch, &"stats".into(), &to_js(&stats));
                let returned = on_batch.call1(&JsValue::UNDEFINED, &batch)?;
                if get(&returned, "then").is_function() {
                    pending.push(&returned);
                }
            }
        }
        if let Some(on_progress) = &self.on_progress {
            on_progress.call1(&JsValue::UNDEFINED, &to_js(&progress))?;
        }
        Ok((pending.length() > 0).then(|| Promise::all(&pending)))
    }

    fn listen_for_abort(self: &Rc<Self>) -> Option<AbortListener> {
        let signal = self.signal.clone()?;
        let run = Rc::downgrade(self);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(run) = run.upgrade() {
                run.aborted.set(true);
                run.abort_in_flight();
                run.client.wake_all();
            }
        });
        let _ = signal.add_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
        Some(AbortListener { signal, closure })
    }

    fn abort_in_flight(&self) {
        let mut session = self.client.session.borrow_mut();
        self.call
            .borrow_mut()
            .handle(Input::Abandoned, now(), &mut session);
        for (_, controller) in self.controllers.borrow_mut().drain() {
            controller.abort();
        }
    }

    /// Sleeps until a completion of any call of this client, an abort, or `timeout_ms`.
    async fn wait(&self, timeout_ms: Option<f64>) {
        let mut resolver = None;
        let promise = Promise::new(&mut |resolve, _| resolver = Some(resolve));
        let resolve = resolver.expect("Promise::new runs its executor at once");
        self.client.waiters.borrow_mut().push(resolve.clone());
        let timer = timeout_ms.map(|ms| set_timeout(&resolve, ms));
        let _ = JsFuture::from(promise).await;
        if let Some(timer) = timer {
            clear_timeout(&timer);
        }
    }

    fn start_request(self: &Rc<Self>, outgoing: Outgoing) {
        let controller = web_sys::AbortController::new()
            .expect("AbortController exists in every supported runtime");
        self.controllers
            .borrow_mut()
            .insert(outgoing.request_id, controller.clone());
        let run = Rc::clone(self);
        wasm_bindgen_futures::spawn_local(async move {
            let id = outgoing.request_id;
            let completion = run.perform(outgoing, controller).await;
            run.completions
                .borrow_mut()
                .push_back((id, completion, now()));
            run.client.wake_all();
        });
    }

    /// Takes a permit from the shared limiter (if any), sends, and hands the permit back
    /// once the request has ended, whatever the outcome.
    async fn perform(
        &self,
        outgoing: Outgoing,
        controller: web_sys::AbortController,
    ) -> Completion {
        let client = &self.client;
        let redact: Vec<String> = client
            .secrets
            .iter()
            .chain(&outgoing.prepared.redact)
            .cloned()
            .collect();
        let Some(limiter) = &client.limiter else {
            return self.send(outgoing, controller, &redact).await;
        };
        match limiter
            .acquire(client.vendor.common().rate_limit, &redact)
            .await
        {
            Ok(permit) => {
                // Its round trip counts from now, not from the wait for the permit.
                {
                    let mut session = client.session.borrow_mut();
                    let departed = Input::Departed {
                        request_id: outgoing.request_id,
                    };
                    self.call.borrow_mut().handle(departed, now(), &mut session);
                }
                let completion = self.send(outgoing, controller, &redact).await;
                SharedLimiter::release(&permit, matches!(completion, Completion::Response(_)));
                completion
            }
            Err(message) => Completion::Transport(TransportError::NoPermit, message),
        }
    }

    async fn send(
        &self,
        outgoing: Outgoing,
        controller: web_sys::AbortController,
        redact: &[String],
    ) -> Completion {
        let client = &self.client;
        let mut http = outgoing.prepared.http;
        let timeout_ms = f64::from(client.vendor.common().timeout_ms);
        let deadline = Deadline::start(timeout_ms, Some(&controller));
        let timed_out = || {
            Completion::Transport(
                TransportError::Timeout,
                format!("no complete response within timeoutMs ({timeout_ms} ms)"),
            )
        };
        if let (Some(request), Some(signer)) =
            (outgoing.prepared.external_signature, &client.signer)
        {
            let signed = signer
                .call2(
                    &JsValue::UNDEFINED,
                    &request.nonce.into(),
                    &request.timestamp.into(),
                )
                .map(|value| Promise::resolve(&value));
            let signature = match signed {
                Ok(promise) => deadline.race(promise).await,
                Err(thrown) => Err(thrown),
            };
            let signature = match signature {
                Ok(value) => value,
                Err(_) if deadline.passed() => return timed_out(),
                Err(thrown) => {
                    // Only the error's type: the signer may hold secrets this client never saw.
                    let kind = get(&thrown, "name")
                        .as_string()
                        .unwrap_or_else(|| "a non-Error value".into());
                    return Completion::Transport(
                        TransportError::Network,
                        format!("config.signer threw {kind}"),
                    );
                }
            };
            let Some(signature) = signature.as_string() else {
                return Completion::Fatal(ProfileError::invalid_config(
                    "config.signer must return a string",
                ));
            };
            if let Err(error) = client
                .vendor
                .apply_external_signature(&mut http, &signature)
            {
                return Completion::Fatal(error);
            }
        }
        let fetch = match client.fetch_function() {
            Ok(f) => f,
            Err(error) => return Completion::Fatal(error),
        };
        let headers = Object::new();
        for (name, value) in &http.headers {
            let _ = Reflect::set(&headers, &name.into(), &value.into());
        }
        let init = Object::new();
        let _ = Reflect::set(&init, &"method".into(), &http.method.into());
        let _ = Reflect::set(&init, &"headers".into(), &headers);
        if let Some(body) = &http.body {
            let _ = Reflect::set(&init, &"body".into(), &body.into());
        }
        let _ = Reflect::set(&init, &"signal".into(), &controller.signal());
        let max_bytes = f64::from(client.vendor.common().max_response_bytes);
        match read_response(&fetch, &http.url, &init, &deadline, max_bytes).await {
            Ok(Some(response)) => Completion::Response(response),
            Ok(None) => {
                controller.abort();
                Completion::Transport(
                    TransportError::TooLarge,
                    format!("the response is larger than maxResponseBytes ({max_bytes} bytes)"),
                )
            }
            Err(_) if deadline.passed() => timed_out(),
            Err(thrown) => Completion::Transport(
                TransportError::Network,
                format!("network error: {}", describe_thrown(&thrown, redact)),
            ),
        }
    }
}

/// One attempt's `timeoutMs`, from before its signature to the end of its body. When it
/// passes, the request's controller is aborted and every await of the attempt raced against
/// it gives up — whether or not the caller's `fetch`, body or `signer` honours the signal, so
/// a promise that never settles cannot hold the call or its concurrency slot.
struct Deadline {
    passed: Rc<Cell<bool>>,
    expired: Promise,
    timer: JsValue,
    /// Owned here, not leaked: dropped (after the timer is cleared) when the attempt ends.
    _on_timeout: Closure<dyn FnMut()>,
}

impl Deadline {
    /// `controller`, if any, is aborted when the deadline passes.
    fn start(ms: f64, controller: Option<&web_sys::AbortController>) -> Self {
        let passed = Rc::new(Cell::new(false));
        let mut resolver = None;
        let expired = Promise::new(&mut |resolve, _| resolver = Some(resolve));
        let resolve = resolver.expect("Promise::new runs its executor at once");
        let on_timeout = {
            let (passed, controller) = (Rc::clone(&passed), controller.cloned());
            Closure::<dyn FnMut()>::new(move || {
                passed.set(true);
                if let Some(controller) = &controller {
                    controller.abort();
                }
                let _ = resolve.call0(&JsValue::UNDEFINED);
            })
        };
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), ms);
        Deadline {
            passed,
            expired,
            timer,
            _on_timeout: on_timeout,
        }
    }

    fn passed(&self) -> bool {
        self.passed.get()
    }

    /// What `work` settles with, or `Err(undefined)` once the deadline has passed.
    async fn race(&self, work: Promise) -> Result<JsValue, JsValue> {
        let outcome = JsFuture::from(Promise::race(&Array::of2(&work, &self.expired))).await;
        if self.passed() {
            Err(JsValue::UNDEFINED)
        } else {
            outcome
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
    }
}

/// Calls fetch and reads the whole body, through plain property access so that any
/// fetch-compatible implementation works; each step raced against `deadline`. `None` when the
/// body is larger than `max_bytes` (by its Content-Length, or once read, by its length).
async fn read_response(
    fetch: &Function,
    url: &str,
    init: &Object,
    deadline: &Deadline,
    max_bytes: f64,
) -> Result<Option<HttpResponse>, JsValue> {
    let response = deadline
        .race(Promise::resolve(&fetch.call2(
            &JsValue::UNDEFINED,
            &url.into(),
            init,
        )?))
        .await?;
    let status = get(&response, "status").as_f64().unwrap_or(0.0) as u16;
    let header_bag = get(&response, "headers");
    let header_get = get(&header_bag, "get").dyn_into::<Function>().ok();
    let mut headers = Vec::new();
    if let Some(header_get) = header_get {
        for name in RESPONSE_HEADERS {
            if let Some(value) = header_get.call1(&header_bag, &name.into())?.as_string() {
                headers.push((name.to_owned(), value));
            }
        }
    }
    let declared = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.trim().parse::<f64>().ok());
    if declared.is_some_and(|bytes| bytes > max_bytes) {
        return Ok(None);
    }
    // The bytes when the response has them (a fetch Response does): copied into wasm memory
    // as they are, where text() would decode UTF-8 to a JS string and the boundary encode it
    // back. Otherwise text(), the least a fetch-like response must have.
    let body = match get(&response, "arrayBuffer").dyn_into::<Function>() {
        Ok(array_buffer) => {
            let bytes = deadline
                .race(Promise::resolve(&array_buffer.call0(&response)?))
                .await?;
            let bytes = js_sys::Uint8Array::new(&bytes);
            // Checked before the body crosses into wasm memory.
            if f64::from(bytes.length()) > max_bytes {
                return Ok(None);
            }
            // Invalid UTF-8 becomes U+FFFD, as text() would decode it.
            match String::from_utf8(bytes.to_vec()) {
                Ok(text) => text,
                Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
            }
        }
        Err(_) => {
            let text = get(&response, "text").dyn_into::<Function>()?;
            let text = deadline
                .race(Promise::resolve(&text.call0(&response)?))
                .await?;
            // A UTF-16 unit is at least a byte.
            let length = text.dyn_ref::<js_sys::JsString>().map_or(0, |s| s.length());
            if f64::from(length) > max_bytes {
                return Ok(None);
            }
            text.as_string().unwrap_or_default()
        }
    };
    Ok(Some(HttpResponse {
        status,
        headers,
        body,
    }))
}

/// How long the run loop may go on without letting timers and I/O run.
const YIELD_EVERY_MS: f64 = 50.0;

/// Waits for a macrotask: a call whose `fetch` answers at once would otherwise go on in
/// microtasks alone, starving the caller's event loop (not even `AbortSignal.timeout` fires).
async fn yield_to_event_loop() {
    let promise = Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, 0.0);
    });
    let _ = JsFuture::from(promise).await;
}

fn aborted_error(vendor: VendorKey) -> ProfileError {
    ProfileError::new(
        ErrorCode::Aborted,
        "the call was aborted through its AbortSignal",
    )
    .with_vendor(vendor)
}

#[wasm_bindgen(typescript_custom_section)]
const PUBLIC_TYPES: &str = include_str!("../js/types.d.ts");
