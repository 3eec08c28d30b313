//! The package's plain functions: the vendor list, and the signature schemes for the servers
//! behind browser clients (a RongCloud `signer` endpoint, a backend that hands a browser its
//! Tencent UserSig, any other OAuth 1.0a request), the same code the clients sign with. A
//! build exports those of the vendors it holds (and may leave helpers here unused).
#![cfg_attr(not(all(feature = "tencent", feature = "kaixin")), allow(unused))]

use wasm_bindgen::prelude::*;

use crate::js::{now, read_object, to_js, to_js_error, use_engine_decimals};
use improfiles_core::model::{ErrorCode, ProfileError};
use improfiles_core::reader::PlainObject;
use improfiles_core::signing;
use improfiles_core::vendors::DESCRIPTORS;

/// Every vendor of this build, as its module describes itself: credential modes, environment
/// variables, limits.
#[wasm_bindgen(unchecked_return_type = "VendorInfo[]")]
pub fn vendors() -> JsValue {
    use_engine_decimals();
    to_js(DESCRIPTORS)
}

/// Reads `options` and signs with `sign`; a refusal throws a `ProfileError`.
fn with_options(
    options: &JsValue,
    sign: impl FnOnce(&PlainObject) -> Result<String, ProfileError>,
) -> Result<String, JsValue> {
    read_object(options, "options", None, ErrorCode::InvalidInput, None)
        .and_then(|read| sign(&read.plain))
        .map_err(|e| to_js_error(&e))
}

#[cfg(feature = "rongcloud")]
/// RongCloud's `Signature` header: lowercase hex SHA1(appSecret + nonce + timestamp).
#[wasm_bindgen(js_name = rongcloudSignature)]
pub fn rongcloud_signature(app_secret: &str, nonce: &str, timestamp: &str) -> String {
    signing::rongcloud::signature(app_secret, nonce, timestamp)
}

#[cfg(feature = "tencent")]
/// A Tencent Cloud Chat UserSig (TLSSigAPIv2) for `identifier`, valid from now for
/// `expireSeconds` (default 86400).
#[wasm_bindgen(js_name = tencentUserSig)]
pub fn tencent_user_sig(
    #[wasm_bindgen(
        unchecked_param_type = "{ sdkAppId: number; identifier: string; secretKey: string; expireSeconds?: number }"
    )]
    options: JsValue,
) -> Result<String, JsValue> {
    with_options(&options, |o| {
        signing::tencent_user_sig(&o.input("options", None), now())
    })
}

#[cfg(feature = "kaixin")]
/// The RFC 5849 HMAC-SHA1 `oauth_signature` of a request: `params` holds every request
/// parameter (query, form body and the `oauth_*` ones); `url` carries no query.
#[wasm_bindgen(js_name = oauth1Signature)]
pub fn oauth1_signature(
    #[wasm_bindgen(
        unchecked_param_type = "{ method: string; url: string; params: Record<string, string>; consumerSecret: string; tokenSecret?: string }"
    )]
    options: JsValue,
) -> Result<String, JsValue> {
    with_options(&options, |o| {
        signing::oauth1_signature(&o.input("options", None))
    })
}
