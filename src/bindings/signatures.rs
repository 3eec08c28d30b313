//! The signature schemes as plain functions, for the servers behind browser clients: a
//! RongCloud `signer` endpoint, a backend that hands a browser its Tencent UserSig, or any
//! other OAuth 1.0a request. They are the same code the clients sign with.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{get, now, to_js_error};
use improfiles_core::model::ProfileError;
use improfiles_core::signing::{oauth1, rongcloud, tls_sig};

fn invalid(message: &str) -> JsValue {
    to_js_error(&ProfileError::invalid_input(message))
}

fn required_string(options: &JsValue, key: &str) -> Result<String, JsValue> {
    get(options, key)
        .as_string()
        .ok_or_else(|| invalid(&format!("options.{key} must be a string")))
}

/// RongCloud's `Signature` header: lowercase hex SHA1(appSecret + nonce + timestamp).
#[wasm_bindgen(js_name = rongcloudSignature)]
pub fn rongcloud_signature(app_secret: &str, nonce: &str, timestamp: &str) -> String {
    rongcloud::signature(app_secret, nonce, timestamp)
}

/// A Tencent Cloud Chat UserSig (TLSSigAPIv2) for `identifier`, valid from now for
/// `expireSeconds` (default 86400).
#[wasm_bindgen(js_name = tencentUserSig)]
pub fn tencent_user_sig(
    #[wasm_bindgen(
        unchecked_param_type = "{ sdkAppId: number; identifier: string; secretKey: string; expireSeconds?: number }"
    )]
    options: JsValue,
) -> Result<String, JsValue> {
    let sdk_app_id = get(&options, "sdkAppId")
        .as_f64()
        .filter(|n| n.fract() == 0.0 && *n > 0.0 && *n < 4_294_967_296.0)
        .ok_or_else(|| invalid("options.sdkAppId must be a positive whole number"))?;
    let identifier = required_string(&options, "identifier")?;
    let secret_key = required_string(&options, "secretKey")?;
    let expire = match get(&options, "expireSeconds") {
        v if v.is_undefined() => 86_400.0,
        v => v
            .as_f64()
            .filter(|n| n.fract() == 0.0 && *n > 0.0 && *n <= 315_360_000.0)
            .ok_or_else(|| {
                invalid(
                    "options.expireSeconds must be a whole number of seconds, at most ten years",
                )
            })?,
    };
    if identifier.is_empty() || secret_key.is_empty() {
        return Err(invalid(
            "options.identifier and options.secretKey must not be empty",
        ));
    }
    let time = (now() / 1000.0).floor() as u64;
    Ok(tls_sig::user_sig(
        &secret_key,
        &identifier,
        sdk_app_id as u64,
        time,
        expire as u64,
    ))
}

/// The RFC 5849 HMAC-SHA1 `oauth_signature` of a request: `params` holds every request
/// parameter (query, form body and the `oauth_*` ones); `url` carries no query.
#[wasm_bindgen(js_name = oauth1Signature)]
pub fn oauth1_signature(
    #[wasm_bindgen(
        unchecked_param_type = "{ method: string; url: string; params: Record<string, string>; consumerSecret: string; tokenSecret?: string }"
    )]
    options: JsValue,
) -> Result<String, JsValue> {
    let method = required_string(&options, "method")?.to_ascii_uppercase();
    let url = required_string(&options, "url")?;
    if url.contains('?') {
        return Err(invalid(
            "options.url must not carry a query: give its parameters in options.params",
        ));
    }
    let consumer_secret = required_string(&options, "consumerSecret")?;
    let token_secret = match get(&options, "tokenSecret") {
        v if v.is_undefined() => String::new(),
        v => v
            .as_string()
            .ok_or_else(|| invalid("options.tokenSecret must be a string"))?,
    };
    let params = get(&options, "params")
        .dyn_into::<Object>()
        .map_err(|_| invalid("options.params must be an object of strings"))?;
    let mut pairs = Vec::new();
    for key in Object::keys(&params).iter() {
        let value = Reflect::get(&params, &key).unwrap_or(JsValue::UNDEFINED);
        match (key.as_string(), value.as_string()) {
            (Some(k), Some(v)) => pairs.push((k, v)),
            _ => return Err(invalid("options.params must be an object of strings")),
        }
    }
    let base = oauth1::signature_base_string(&method, &url, &pairs);
    Ok(oauth1::hmac_sha1(&base, &consumer_secret, &token_secret))
}
