//! Tests of the JS-facing shell, shared by `tests/node.rs` and `tests/browser.rs` so the
//! same tests run under `wasm-pack test --node` and `--headless --chrome`, against the vendor
//! emulator whose URL `make` passes in `IMPROFILES_EMULATOR_URL`, and its demo accounts in
//! `IMPROFILES_DEMO_ACCOUNTS` (scripts/with-emulator.mjs).

use improfiles::ProfileClient;
use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const EMULATOR: Option<&str> = option_env!("IMPROFILES_EMULATOR_URL");
const ACCOUNTS: Option<&str> = option_env!("IMPROFILES_DEMO_ACCOUNTS");

fn emulator() -> &'static str {
    EMULATOR.expect("IMPROFILES_EMULATOR_URL must be set at build time (run through `make`)")
}

/// `key` of the emulator's demo account of `vendor`.
fn account(vendor: &str, key: &str) -> JsValue {
    let accounts = ACCOUNTS.expect("IMPROFILES_DEMO_ACCOUNTS must be set at build time");
    let accounts = js_sys::JSON::parse(accounts).unwrap();
    field(&field(&accounts, vendor), key)
}

/// A config of `vendor` on the emulator with `keys` of its demo account, then `entries`.
fn vendor_config(vendor: &str, keys: &[&str], entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    let set = |key: &str, value: &JsValue| Reflect::set(&object, &key.into(), value).unwrap();
    set("vendor", &vendor.into());
    set("baseUrl", &emulator().into());
    for key in keys {
        set(key, &account(vendor, key));
    }
    for (key, value) in entries {
        set(key, value);
    }
    object.into()
}

fn config(entries: &[(&str, JsValue)]) -> JsValue {
    vendor_config("rongcloud", &["appKey", "appSecret"], entries)
}

fn ids(list: &[&str]) -> JsValue {
    list.iter()
        .map(|s| JsValue::from(*s))
        .collect::<Array>()
        .into()
}

fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap()
}

fn array(value: &JsValue, key: &str) -> Array {
    field(value, key).unchecked_into()
}

#[wasm_bindgen_test]
fn bad_config_throws_a_profile_error_that_is_a_js_error() {
    let error = ProfileClient::new(config(&[("batchSize", 101.into())]))
        .err()
        .expect("must throw");
    assert!(error.is_instance_of::<js_sys::Error>());
    assert_eq!(field(&error, "name"), "ProfileError");
    assert_eq!(field(&error, "code"), "invalid_config");
    assert_eq!(field(&error, "retryable"), false);
}

#[wasm_bindgen_test]
async fn fetches_and_normalizes_profiles_from_the_emulator() {
    let client = ProfileClient::new(config(&[])).unwrap();
    let result = JsFuture::from(client.get_profiles(ids(&["u1", "ghost", "u2", "u1"]), None))
        .await
        .unwrap();
    let profiles = array(&result, "profiles");
    let failures = array(&result, "failures");
    assert_eq!(profiles.length(), 2);
    assert_eq!(field(&profiles.get(0), "id"), "u1");
    assert_eq!(field(&profiles.get(0), "vendor"), "rongcloud");
    assert!(field(&profiles.get(0), "name").is_string());
    assert!(field(&profiles.get(0), "custom").is_object());
    assert_eq!(failures.length(), 1);
    assert_eq!(field(&failures.get(0), "code"), "not_found");
    let stats = field(&result, "stats");
    assert_eq!(field(&stats, "requested"), 3);
    assert_eq!(field(&stats, "requests"), 1);
}

#[wasm_bindgen_test]
async fn a_js_signer_signs_requests() {
    // The known-answer algorithm, in JS: what a browser console's backend endpoint would do.
    let secret = account("rongcloud", "appSecret").as_string().unwrap();
    let sign = Function::new_with_args(
        "nonce, timestamp",
        &format!("return globalThis.crypto.subtle.digest('SHA-1', new TextEncoder().encode({secret:?} + nonce + timestamp))\
           .then(b => Array.from(new Uint8Array(b), x => x.toString(16).padStart(2, '0')).join(''));"),
    );
    let client = ProfileClient::new(config(&[
        ("appSecret", JsValue::UNDEFINED),
        ("signer", sign.into()),
    ]))
    .unwrap();
    let result = JsFuture::from(client.get_profiles(ids(&["u3"]), None))
        .await
        .unwrap();
    assert_eq!(array(&result, "profiles").length(), 1);
}

#[wasm_bindgen_test]
async fn a_refused_credential_rejects_auth_failed() {
    let client = ProfileClient::new(config(&[("appSecret", "wrong".into())])).unwrap();
    let error = JsFuture::from(client.get_profiles(ids(&["u1"]), None))
        .await
        .unwrap_err();
    assert_eq!(field(&error, "code"), "auth_failed");
    assert_eq!(field(&error, "status"), 401);
}

#[wasm_bindgen_test]
async fn invalid_ids_reject_before_any_request() {
    let client = ProfileClient::new(config(&[("baseUrl", "http://127.0.0.1:9".into())])).unwrap();
    let error = JsFuture::from(client.get_profiles(ids(&["ok", ""]), None))
        .await
        .unwrap_err();
    assert_eq!(field(&error, "code"), "invalid_input");
}

#[wasm_bindgen_test]
async fn tencent_user_sigs_made_in_wasm_are_accepted_by_the_emulator() {
    let config = vendor_config("tencent", &["sdkAppId", "identifier", "secretKey"], &[]);
    let client = ProfileClient::new(config).unwrap();
    let result = JsFuture::from(client.get_profiles(ids(&["t1", "t2", "nobody"]), None))
        .await
        .unwrap();
    let profiles = array(&result, "profiles");
    assert_eq!(profiles.length(), 2);
    assert_eq!(field(&profiles.get(0), "vendor"), "tencent");
    assert!(field(&profiles.get(0), "name").is_string());
    let failures = array(&result, "failures");
    assert_eq!(field(&failures.get(0), "code"), "not_found");
}

#[wasm_bindgen_test]
async fn easemob_pages_are_listed_through_the_shell() {
    let config = vendor_config("easemob", &["orgName", "appName", "token"], &[]);
    let client = ProfileClient::new(config).unwrap();
    let options = Object::new();
    Reflect::set(&options, &"pageSize".into(), &3.into()).unwrap();
    let page = JsFuture::from(client.list_profiles(Some(options.unchecked_into())))
        .await
        .unwrap();
    let profiles = array(&page, "profiles");
    assert_eq!(profiles.length(), 3);
    assert_eq!(field(&profiles.get(0), "id"), "user1");
    assert!(field(&page, "cursor").is_string());
}
