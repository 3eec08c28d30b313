//! Converting in and out: the one reader of the plain objects callers pass (every rule about
//! their values is the core's, in `improfiles_core::reader`), ids, errors and results, and
//! the few globals the shell uses.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use improfiles_core::call::options::HANDLE_KEYS;
use improfiles_core::call::{split_joined, Joined};
use improfiles_core::decimal::{self, HostConverters};
use improfiles_core::json::tape::Tape;
use improfiles_core::json::write::{object, Members, ToJson};
use improfiles_core::json::Value;
use improfiles_core::model::{digits, ErrorCode, ProfileError, VendorKey};
use improfiles_core::reader::PlainObject;

#[wasm_bindgen(module = "/js/shell/profile_error.js")]
extern "C" {
    #[wasm_bindgen(js_name = createProfileError)]
    fn create_profile_error(error: JsValue) -> JsValue;

    #[wasm_bindgen(js_name = profileErrorClass)]
    fn profile_error_class() -> JsValue;
}

/// The `ProfileError` class, for the package entry points to re-export.
#[wasm_bindgen(js_name = "__profileErrorClass", skip_typescript)]
pub fn export_profile_error_class() -> JsValue {
    profile_error_class()
}

pub fn to_js_error(error: &ProfileError) -> JsValue {
    create_profile_error(to_js(error))
}

/// Small values that are not results (an error, a description) cross as JSON; results, on
/// tapes ([`from_tape`]). Built property by property, they were slower (BENCHMARKS.md).
pub fn to_js(value: &(impl ToJson + ?Sized)) -> JsValue {
    from_json(&value.to_json())
}

/// An object of the members `write` adds, as a JS value.
pub fn js_object(write: impl FnOnce(&mut Members)) -> JsValue {
    let mut out = String::new();
    object(&mut out, write);
    from_json(&out)
}

/// JSON the core wrote, as JS values.
pub fn from_json(json: &str) -> JsValue {
    js_sys::JSON::parse(json).expect("the core writes valid JSON")
}

#[wasm_bindgen(module = "/js/shell/tape.js")]
extern "C" {
    #[wasm_bindgen(js_name = readTape)]
    fn read_tape(text: &str, wide: &str, json: &str, words: &[u32]) -> JsValue;
}

/// What a tape holds (json/src/tape.rs), read in JS in one call from its texts and a view of
/// its words: about half the cost of its JSON and `JSON.parse` (BENCHMARKS.md).
pub fn from_tape(tape: &Tape) -> JsValue {
    read_tape(&tape.text, &tape.wide, &tape.json, &tape.words)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = Number)]
    fn js_number(text: &str) -> f64;
    #[wasm_bindgen(js_name = String)]
    fn js_string(x: f64) -> String;
}

/// Numbers past the core's fast path converted by the JS engine, exactly (ECMA-262's
/// StringToNumber and Number::toString), instead of by 3 KB gzip of the core's own
/// (json/src/decimal.rs). Called wherever JS input is read, before anything converts.
pub fn use_engine_decimals() {
    decimal::use_host(HostConverters {
        parse: js_number,
        write: |x, out| out.push_str(&js_string(x)),
    });
}

pub fn get(target: &JsValue, key: &str) -> JsValue {
    let readable = target.is_object() || target.is_function();
    let value = readable.then(|| Reflect::get(target, &JsValue::from_str(key)));
    value.and_then(Result::ok).unwrap_or_default()
}

pub fn now() -> f64 {
    js_sys::Date::now()
}

/// A page or a worker, whose fetch is a browser's (the core's `Scheduler::behind_a_browser`).
pub fn in_a_browser() -> bool {
    let defined = |name| !get(&js_sys::global(), name).is_undefined();
    defined("document") || defined("WorkerGlobalScope")
}

/// A seed from `crypto.getRandomValues` where there is one (browsers, workers, Node 20).
pub fn random_seed() -> u64 {
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

/// An object read once: its data for the core, and the JS values the shell itself uses
/// (functions, an `AbortSignal`, a limiter, a caller's cache).
#[derive(Default)]
pub struct ReadObject {
    pub plain: PlainObject,
    /// Each key with its value (a few: a list, not a hash map).
    raw: Vec<(String, JsValue)>,
}

impl ReadObject {
    /// The value of `key`, unless absent (undefined or null).
    pub fn raw(&self, key: &str) -> Option<&JsValue> {
        let value = self.raw.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        value.filter(|v| !v.is_undefined() && !v.is_null())
    }

    pub fn function(&self, key: &str) -> Option<Function> {
        self.raw(key).and_then(|v| v.clone().dyn_into().ok())
    }
}

/// Reads the object `value`, named `name` in messages: its own keys (`keys: None`) or the
/// keys a call takes. Every key is read once, here: a getter that throws is an error naming
/// the key (not an absent key, nor a silent default), as is a value no JS object can hold
/// as data, with the caller's `code` and `vendor`. `undefined` and `null` read as empty.
pub fn read_object(
    value: &JsValue,
    name: &str,
    keys: Option<&[&str]>,
    code: ErrorCode,
    vendor: Option<VendorKey>,
) -> Result<ReadObject, ProfileError> {
    let refuse = |why| ProfileError {
        vendor,
        ..ProfileError::new(code, why)
    };
    use_engine_decimals();
    let mut read = ReadObject::default();
    if value.is_undefined() || value.is_null() {
        return Ok(read);
    }
    if !value.is_object() {
        return Err(refuse(format!("{name} must be an object")));
    }
    let keys: Vec<String> = match keys {
        Some(keys) => keys.iter().map(|k| (*k).to_owned()).collect(),
        None => Object::keys(value.unchecked_ref::<Object>())
            .iter()
            .filter_map(|k| text_of(&k))
            .collect(),
    };
    for key in keys {
        let item = Reflect::get(value, &JsValue::from_str(&key))
            .map_err(|_| refuse(format!("{name}.{key} could not be read: its getter threw")))?;
        if item.as_f64().is_some_and(|n| !n.is_finite()) {
            return Err(refuse(format!("{name}.{key} must be a finite number")));
        }
        if item.is_function() {
            read.plain.functions.push(key.clone());
        } else if !item.is_undefined() && !HANDLE_KEYS.contains(&key.as_str()) {
            // A string as it is (a response body: escaped and read back, it cost parseResponse
            // a third of its time); anything else as the data `JSON.stringify` writes of it,
            // so none for a bigint or a cycle.
            let stringified = || text_of(&js_sys::JSON::stringify(&item).ok()?.into());
            let json = match text_of(&item) {
                Some(text) => Some(Value::String(text)),
                None => stringified().and_then(|json| improfiles_core::json::parse(&json).ok()),
            };
            let json = json.ok_or_else(|| {
                refuse(format!("{name}.{key} has a value of an unsupported type"))
            })?;
            read.plain.values.insert(key.clone(), json);
        }
        read.raw.push((key, item));
    }
    Ok(read)
}

/// A string's text, copied in by one call (js/shell/ids.js `utf8`); `None` for anything else.
/// `TextEncoder` writes only UTF-8: the default, smaller code than `ok()`, is never taken.
pub fn text_of(value: &JsValue) -> Option<String> {
    utf8(value).map(|bytes| String::from_utf8(bytes).unwrap_or_default())
}

/// One id from JS: a string of well-formed UTF-16 (a lone surrogate would reach the vendor
/// as U+FFFD, and two such ids as one). Messages name it `ids[position]`, or `id`.
pub fn read_id(
    value: &JsValue,
    position: Option<u64>,
    vendor: VendorKey,
) -> Result<String, ProfileError> {
    let invalid = |why: &str| {
        let what = position.map_or_else(|| "id".into(), |i| format!("ids[{}]", digits(i)));
        ProfileError::invalid_input(format!("{what} {why}")).with_vendor(vendor)
    };
    let text = text_of(value).ok_or_else(|| invalid("must be a string"))?;
    // Of the JS string, whose lone surrogate its UTF-8 holds as U+FFFD. In one call: js-sys's
    // `is_valid_utf16` makes one per UTF-16 unit, and is 0.6 KB.
    if !well_formed(value) {
        return Err(invalid(
            "is not well-formed UTF-16 (it holds a lone surrogate)",
        ));
    }
    Ok(text)
}

/// Whether `ids` is read as it goes: an iterable or async iterable that is not an array.
pub fn is_stream(ids: &JsValue) -> bool {
    let symbols = [js_sys::Symbol::async_iterator(), js_sys::Symbol::iterator()];
    let has = |symbol: &js_sys::Symbol| Reflect::get(ids, symbol).is_ok_and(|f| f.is_function());
    ids.is_object() && !Array::is_array(ids) && symbols.iter().any(has)
}

#[wasm_bindgen(module = "/js/shell/ids.js")]
extern "C" {
    #[wasm_bindgen(js_name = joinedIds)]
    fn joined_ids(ids: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = wellFormed)]
    fn well_formed(id: &JsValue) -> bool;
    fn utf8(value: &JsValue) -> Option<Vec<u8>>;
}

/// A call's `ids` array: in one string when js/shell/ids.js can join it (and the count comes
/// out right), else one string at a time as the call takes them. Every read can throw (a
/// getter, a Proxy): that is `invalid_input` before anything is sent.
pub fn read_ids(ids: &JsValue, vendor: VendorKey) -> Result<Ids, ProfileError> {
    let invalid = move |why: &str| ProfileError::invalid_input(why).with_vendor(vendor);
    if !Array::is_array(ids) {
        return Err(invalid("ids must be an array or an iterable of strings"));
    }
    let length = Reflect::get(ids, &"length".into())
        .ok()
        .and_then(|n| n.as_f64())
        .ok_or_else(|| invalid("ids could not be read: its length threw"))?;
    let joined = text_of(&joined_ids(ids));
    if let Some(ids) = joined.and_then(|ids| split_joined(ids, length as usize)) {
        return Ok(Ids::Joined(ids));
    }
    Ok(Ids::Each {
        array: ids.clone(),
        next: 0,
        length: length as u32,
        vendor,
    })
}

/// A call's ids as [`read_ids`] reads them. An enum, not a `Box<dyn Iterator>`: that vtable
/// brought `nth`, `size_hint` and `advance_by` of both ways into every build.
pub enum Ids {
    /// All of them in one string.
    Joined(Joined),
    /// An element of the array at a time.
    Each {
        array: JsValue,
        next: u32,
        length: u32,
        vendor: VendorKey,
    },
}

impl Iterator for Ids {
    type Item = Result<String, ProfileError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Ids::Joined(ids) => ids.next().map(Ok),
            Ids::Each {
                array,
                next,
                length,
                vendor,
            } => {
                let i = *next;
                if i >= *length {
                    return None;
                }
                *next += 1;
                Some(match Reflect::get_u32(array, i) {
                    Ok(id) => read_id(&id, Some(u64::from(i)), *vendor),
                    Err(_) => Err(ProfileError::invalid_input(format!(
                        "ids[{i}] could not be read: reading it threw"
                    ))
                    .with_vendor(*vendor)),
                })
            }
        }
    }
}
