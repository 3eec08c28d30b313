//! OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849 §3.4), for Kaixin001.
//!
//! The signature covers the method, the normalized base URI and every query parameter, each
//! name and value percent-encoded (RFC 3986, only `ALPHA DIGIT - . _ ~` left as is) *before*
//! the parameters are sorted — `c%40` sorts before `c2`.

use super::base64::{self, STANDARD};
use super::sha1;
use crate::model::sub;

use crate::http::{joined_pairs, percent_encode, sort_pairs};

/// The four OAuth 1.0a credentials of a signed request.
pub struct Credentials<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: &'a str,
    pub token_secret: &'a str,
}

/// The per-request protocol values.
pub struct Protocol<'a> {
    pub nonce: &'a str,
    /// Unix seconds.
    pub timestamp: u64,
    /// `Some("1.0")` to send `oauth_version` (optional in RFC 5849, present in Kaixin's example).
    pub version: Option<&'a str>,
}

/// RFC 5849 §3.4.1.2: lowercase scheme and host, no default port, no query or fragment.
pub fn base_string_uri(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let Some(at) = crate::model::position_of(url, "://") else {
        return url.to_owned();
    };
    let (scheme, rest) = (sub(url, ..at), sub(url, at + "://".len()..));
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find('/') {
        Some(i) => (sub(rest, ..i), sub(rest, i..)),
        None => (rest, "/"),
    };
    let authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    let authority = if !default_port.is_empty() && authority.ends_with(default_port) {
        sub(&authority, ..authority.len() - default_port.len())
    } else {
        authority.as_str()
    };
    format!("{scheme}://{authority}{path}")
}

/// RFC 5849 §3.4.1: `METHOD&enc(base URI)&enc(normalized parameters)`. `params` are the
/// decoded request parameters, `oauth_*` ones included and `oauth_signature` not.
pub fn signature_base_string(method: &str, url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    sort_pairs(&mut encoded);
    let normalized = joined_pairs(&encoded);
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&base_string_uri(url)),
        percent_encode(&normalized)
    )
}

/// RFC 5849 §3.4.2: base64 HMAC-SHA1 keyed with `enc(consumer secret)&enc(token secret)`.
pub fn hmac_sha1(base_string: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    let mac = sha1::hmac_sha1(key.as_bytes(), base_string.as_bytes());
    base64::encode(&mac, STANDARD)
}

/// Adds the `oauth_*` parameters, `oauth_signature` last, to a request's query `params`.
pub fn sign(
    method: &str,
    url: &str,
    params: &mut Vec<(String, String)>,
    credentials: &Credentials,
    protocol: &Protocol,
) {
    params.extend([
        ("oauth_consumer_key".into(), credentials.consumer_key.into()),
        ("oauth_nonce".into(), protocol.nonce.into()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        (
            "oauth_timestamp".into(),
            crate::model::digits(protocol.timestamp),
        ),
        ("oauth_token".into(), credentials.token.into()),
    ]);
    if let Some(version) = protocol.version {
        params.push(("oauth_version".into(), version.into()));
    }
    let base = signature_base_string(method, url, params);
    let signature = hmac_sha1(&base, credentials.consumer_secret, credentials.token_secret);
    params.push(("oauth_signature".into(), signature));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photos(timestamp: u64, nonce: &str, version: Option<&str>) -> Vec<(String, String)> {
        let mut params = vec![
            ("file".to_owned(), "vacation.jpg".to_owned()),
            ("size".to_owned(), "original".to_owned()),
        ];
        sign(
            "GET",
            "http://photos.example.net/photos",
            &mut params,
            &Credentials {
                consumer_key: "dpf43f3p2l4k3l03",
                consumer_secret: "kd94hf93k423kf44",
                token: "nnch734d00sl2jdk",
                token_secret: "pfkkdhi9sl3r4s00",
            },
            &Protocol {
                nonce,
                timestamp,
                version,
            },
        );
        params
    }

    fn signature(params: &[(String, String)]) -> &str {
        &params
            .iter()
            .find(|(k, _)| k == "oauth_signature")
            .unwrap()
            .1
    }

    #[test]
    fn rfc_5849_section_1_2_known_answer() {
        let params = photos(137_131_202, "chapoH", None);
        assert_eq!(signature(&params), "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
        assert!(!params.iter().any(|(k, _)| k == "oauth_version"));
    }

    #[test]
    fn oauth_core_1_0_appendix_a_known_answer() {
        let params = photos(1_191_242_096, "kllo9940pd9333jh", Some("1.0"));
        assert_eq!(signature(&params), "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
    }

    #[test]
    fn appendix_a_base_string() {
        // OAuth Core 1.0 Appendix A.5.1, verbatim.
        let params: Vec<(String, String)> = [
            ("file", "vacation.jpg"),
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_nonce", "kllo9940pd9333jh"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1191242096"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_version", "1.0"),
            ("size", "original"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            signature_base_string("GET", "http://photos.example.net/photos", &params),
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
        );
    }

    #[test]
    fn parameters_sort_after_encoding() {
        // RFC 5849 §3.4.1.3.2's example parameters include `c@` and `c2`: encoded, `c%40`
        // sorts first.
        let params = vec![
            ("c2".to_owned(), String::new()),
            ("c@".to_owned(), String::new()),
            ("a3".to_owned(), "2 q".to_owned()),
        ];
        assert_eq!(
            signature_base_string("post", "HTTP://Example.COM:80/request", &params),
            "POST&http%3A%2F%2Fexample.com%2Frequest&a3%3D2%2520q%26c%2540%3D%26c2%3D"
        );
    }

    #[test]
    fn base_uris_are_normalized() {
        assert_eq!(
            base_string_uri("HTTPS://Api.Kaixin001.com:443/users/show.json?uids=1"),
            "https://api.kaixin001.com/users/show.json"
        );
        assert_eq!(
            base_string_uri("http://127.0.0.1:8080/x"),
            "http://127.0.0.1:8080/x"
        );
        assert_eq!(base_string_uri("https://h.com"), "https://h.com/");
    }
}
