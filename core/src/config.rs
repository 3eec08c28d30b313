//! Config validation shared by every vendor: the common keys (`CommonConfig` in
//! js/shell/types.d.ts) and base-URL rules. Values are read through [`ObjectReader`].

use crate::model::ProfileError;
use crate::reader::ObjectReader;

/// The largest body read by default: a full response of any vendor here is well under 1 MiB,
/// and wasm memory that grows for one huge body never shrinks again.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 << 20;

/// The keys every vendor takes (`CommonConfig` in js/shell/types.d.ts), validated.
#[derive(Clone, Debug, PartialEq)]
pub struct CommonConfig {
    pub base_url: String,
    pub rate_limit: f64,
    /// A cap on requests in flight; `None`: what the rate needs at the measured latency.
    pub concurrency: Option<u32>,
    pub retries: u32,
    pub timeout_ms: u32,
    /// A vendor's pause (`Retry-After`) longer than this is not waited out.
    pub max_retry_after_ms: u32,
    /// A response body larger than this is not read: its request fails as `invalid_response`.
    pub max_response_bytes: u32,
    pub batch_size: usize,
}

/// What a vendor tells the common validation about itself.
pub struct VendorLimits<'a> {
    pub default_base_url: Option<&'a str>,
    pub max_batch_size: usize,
    pub default_rate_limit: f64,
}

impl CommonConfig {
    pub fn parse(input: &ObjectReader, limits: &VendorLimits) -> Result<Self, ProfileError> {
        let base_url = match (input.string("baseUrl")?, limits.default_base_url) {
            (Some(url), _) => validate_base_url("baseUrl", &url)?,
            (None, Some(default)) => default.to_owned(),
            (None, None) => return Err(ProfileError::invalid_config("config.baseUrl is required")),
        };
        let rate_limit = match input.number("rateLimit")? {
            None => limits.default_rate_limit,
            Some(r) if r > 0.0 => r,
            Some(_) => {
                return Err(ProfileError::invalid_config(
                    "config.rateLimit must be a number above 0 (requests per second)",
                ))
            }
        };
        let max = limits.max_batch_size as u64;
        Ok(CommonConfig {
            base_url,
            rate_limit,
            concurrency: input
                .optional_integer_in("concurrency", 1, 256)?
                .map(|c| c as u32),
            retries: input.integer_in("retries", 0, 20, 3)? as u32,
            timeout_ms: input.integer_in("timeoutMs", 1, 600_000, 10_000)? as u32,
            max_retry_after_ms: input.integer_in("maxRetryAfterMs", 0, 86_400_000, 60_000)? as u32,
            max_response_bytes: input.integer_in(
                "maxResponseBytes",
                1024,
                1 << 30,
                DEFAULT_MAX_RESPONSE_BYTES,
            )? as u32,
            batch_size: input.integer_in("batchSize", 1, max, max)? as usize,
        })
    }
}

/// Checks a base URL: `https://`, or `http://` only to a loopback host; no credentials, query
/// or fragment. Returns it without a trailing slash so paths can be appended.
pub fn validate_base_url(key: &str, url: &str) -> Result<String, ProfileError> {
    let bad = |why: &str| ProfileError::invalid_config(format!("config.{key} {why}"));
    // Cut at bytes, not by `split` and `contains` with a pattern: each pattern type is its
    // own searcher in the .wasm, and a scheme, a host and a port end at ASCII marks.
    let (scheme, rest) = cut(url, b':');
    let rest = rest
        .and_then(|rest| rest.strip_prefix("//"))
        .ok_or_else(|| bad("must be an absolute https:// URL"))?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain spaces or control characters"));
    }
    if rest.bytes().any(|b| b == b'?' || b == b'#') {
        return Err(bad("must not have a query or fragment"));
    }
    let authority = cut(rest, b'/').0;
    if authority.bytes().any(|b| b == b'@') {
        return Err(bad(
            "must not carry credentials; use the credential keys of the config",
        ));
    }
    let host = host_of(authority).ok_or_else(|| bad("has no host"))?;
    if scheme.eq_ignore_ascii_case("http") {
        if !is_loopback(host) {
            return Err(bad("must use https:// unless the host is loopback"));
        }
    } else if !scheme.eq_ignore_ascii_case("https") {
        return Err(bad("must be an https:// URL"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// `text` before the first `byte` (ASCII), and what follows it when it is there.
fn cut(text: &str, byte: u8) -> (&str, Option<&str>) {
    match text.bytes().position(|b| b == byte) {
        Some(at) => (text.get(..at).unwrap_or_default(), text.get(at + 1..)),
        None => (text, None),
    }
}

/// The host of `authority` (`host`, `host:port`, `[v6]:port`), an IPv6 literal with its
/// brackets.
fn host_of(authority: &str) -> Option<&str> {
    let host = match authority.strip_prefix('[') {
        // `[` and the literal up to its `]`, both brackets kept.
        Some(v6) => authority.get(..v6.bytes().position(|b| b == b']')? + 2)?,
        None => cut(authority, b':').0,
    };
    (!host.is_empty()).then_some(host)
}

/// Loopback is `localhost`, `127.0.0.0/8` and `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "[::1]" {
        return true;
    }
    let (mut octets, mut rest) = (0, Some(host));
    while let Some(text) = rest {
        let (octet, after) = cut(text, b'.');
        let value = octet.bytes().try_fold(0u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        });
        let first_is_127 = octets > 0 || octet == "127";
        if !(1..=3).contains(&octet.len()) || value.map_or(true, |v| v > 255) || !first_is_127 {
            return false;
        }
        octets += 1;
        rest = after;
    }
    octets == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            validate_base_url("baseUrl", "https://api.rong-api.com/").unwrap(),
            "https://api.rong-api.com"
        );
        assert_eq!(
            validate_base_url("baseUrl", "http://127.0.0.1:8080/x").unwrap(),
            "http://127.0.0.1:8080/x"
        );
        assert!(validate_base_url("baseUrl", "http://localhost:1").is_ok());
        assert!(validate_base_url("baseUrl", "http://[::1]:9/").is_ok());
        assert!(validate_base_url("baseUrl", "HTTP://LocalHost:1").is_ok());
        assert!(validate_base_url("baseUrl", "http://127.255.0.9").is_ok());
        assert!(validate_base_url("baseUrl", "HTTPS://api.example.com").is_ok());
        for bad in [
            "http://example.com",
            "http://127.0.0.1.evil.com",
            "http://128.0.0.1",
            "ftp://127.0.0.1",
            "api.rong-api.com",
            "https://user:pw@host.com",
            "https://host.com/?a=1",
            "https://",
            "http://127.0.0.256",
            "http://127.0.0",
            "http://127..0.1",
            "http://[::2]:9",
            "http://[::1",
            "HTTP://example.com",
        ] {
            let err = validate_base_url("baseUrl", bad).unwrap_err();
            assert_eq!(err.code, crate::model::ErrorCode::InvalidConfig, "{bad}");
        }
    }
}
