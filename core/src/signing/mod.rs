//! One module per signature scheme. Pure functions of their inputs: callers supply the time
//! and nonce, so every scheme is checked against independently computed known answers.
//!
//! A build holds the schemes of its vendors only. The hashes and encodings they use are a
//! crate of their own (digest/), built for speed.

pub use improfiles_digest::{base64, digest, sha1, sha256};

#[cfg(feature = "kaixin")]
pub mod oauth1;
#[cfg(feature = "rongcloud")]
pub mod rongcloud;
#[cfg(feature = "tencent")]
pub mod tls_sig;
#[cfg(feature = "tencent")]
pub mod zlib;

#[cfg(any(feature = "tencent", feature = "kaixin"))]
use crate::{model::ProfileError, reader::ObjectReader};

/// `tencentUserSig(options)`: a UserSig for `identifier`, valid from `now_ms` for
/// `expireSeconds` (default a day, at most ten years).
#[cfg(feature = "tencent")]
pub fn tencent_user_sig(options: &ObjectReader, now_ms: f64) -> Result<String, ProfileError> {
    let sdk_app_id = options
        .optional_integer_in("sdkAppId", 1, u64::from(u32::MAX))?
        .ok_or_else(|| options.error("options.sdkAppId is required"))?;
    let identifier = options.required_string("identifier")?;
    let secret_key = options.required_string("secretKey")?;
    let expire = options.integer_in("expireSeconds", 1, 315_360_000, 86_400)?;
    let time = (now_ms / 1000.0).floor().max(0.0) as u64;
    Ok(tls_sig::user_sig(
        &secret_key,
        &identifier,
        sdk_app_id,
        time,
        expire,
    ))
}

/// `oauth1Signature(options)`: the RFC 5849 HMAC-SHA1 `oauth_signature` of a request whose
/// every parameter (query, form body and the `oauth_*` ones) is in `params`.
#[cfg(feature = "kaixin")]
pub fn oauth1_signature(options: &ObjectReader) -> Result<String, ProfileError> {
    let method = options.required_string("method")?.to_ascii_uppercase();
    let url = options.required_string("url")?;
    if url.contains('?') {
        return Err(options
            .error("options.url must not carry a query: give its parameters in options.params"));
    }
    let consumer_secret = options.required_string("consumerSecret")?;
    let token_secret = options.text("tokenSecret")?.unwrap_or_default();
    let not_strings = || options.error("options.params must be an object of strings");
    let params = options.object("params")?.ok_or_else(not_strings)?;
    let mut pairs = Vec::new();
    for (k, v) in params.entries() {
        pairs.push((k.to_owned(), v.as_str().ok_or_else(not_strings)?.to_owned()));
    }
    let base = oauth1::signature_base_string(&method, &url, &pairs);
    Ok(oauth1::hmac_sha1(&base, &consumer_secret, &token_secret))
}
