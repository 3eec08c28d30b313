//! HTTP as data: what a vendor module asks the shell to send, and what the shell hands back.

use crate::json::write::object;
use crate::model::ProfileError;
use crate::reader::ObjectReader;

pub use improfiles_digest::percent::{form_encode, percent_encode};

/// A request description. The shell sends it as is; vendor modules never do I/O.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The request as the shell's run loop takes it (`{ id, method, url, headers, body?,
    /// sign? }`, js/shell/run.js), `sign` being the inputs of the caller's signer when the
    /// request still needs its signature.
    pub fn to_shell_json(&self, id: u64, sign: Option<(&str, &str)>) -> String {
        let mut out = String::with_capacity(self.url.len() + 256);
        object(&mut out, |o| {
            o.add("id", &id)
                .add("method", self.method)
                .add("url", &self.url)
                .add("headers", &self.headers)
                .add_some("body", self.body.as_ref())
                .add_some("sign", sign.as_ref());
        });
        out
    }
}

/// A response as the shell read it.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A response whose body came as bytes: invalid UTF-8 becomes U+FFFD, as `text()` would
    /// decode it.
    pub fn from_bytes(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let body = match String::from_utf8(body) {
            Ok(text) => text,
            Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
        };
        HttpResponse {
            status,
            headers,
            body,
        }
    }

    /// The keys of a response a caller gives `parseResponse`.
    pub const KEYS: [&'static str; 3] = ["status", "body", "headers"];

    /// A response a caller gives (`{ status, body, headers? }`); header values that are not
    /// strings are left out.
    pub fn read(response: &ObjectReader) -> Result<Self, ProfileError> {
        let status = response
            .number("status")
            .ok()
            .flatten()
            .filter(|s| s.fract() == 0.0 && (100.0..=599.0).contains(s))
            .ok_or_else(|| response.error("response.status must be an HTTP status code"))?;
        let body = response
            .text("body")
            .ok()
            .flatten()
            .ok_or_else(|| response.error("response.body must be a string"))?;
        let mut read = HttpResponse::new(status as u16, body);
        if let Ok(Some(headers)) = response.object("headers") {
            for (name, value) in headers.entries() {
                if let Some(value) = value.as_str() {
                    read = read.with_header(name, value);
                }
            }
        }
        Ok(read)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// `Retry-After` as a delay in milliseconds from `now_ms` (epoch ms), in either of its
    /// forms: delta-seconds or an HTTP date.
    pub fn retry_after_ms(&self, now_ms: f64) -> Option<f64> {
        let value = self.header("retry-after")?.trim();
        if let Some(seconds) = crate::decimal::parse(value) {
            return (seconds >= 0.0).then_some(seconds * 1000.0);
        }
        let at = parse_http_date(value)?;
        Some((at - now_ms).max(0.0))
    }
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Parses the IMF-fixdate form of an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), the only
/// form RFC 9110 lets servers send, into epoch milliseconds.
pub fn parse_http_date(value: &str) -> Option<f64> {
    let rest = value.split_once(',')?.1.strip_prefix(' ')?;
    let mut parts = rest.split(' ');
    let number = |part: Option<&str>| i64::try_from(crate::decimal::whole(part?)?).ok();
    let day = number(parts.next())?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year = number(parts.next())?;
    let mut hms = parts.next()?.split(':');
    let hour = number(hms.next())?;
    let minute = number(hms.next())?;
    let second = number(hms.next())?;
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000) as f64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Sorts a request's parameters by name, then value, as OAuth 1.0a signs them and Kaixin001's
/// documentation lists them. By insertion: a request has a dozen, and std's stable sort is
/// some 5 KB of code in a build that has no other use for it (BENCHMARKS.md).
pub fn sort_pairs(pairs: &mut [(String, String)]) {
    for i in 1..pairs.len() {
        let mut j = i;
        while j > 0 && pairs[j - 1] > pairs[j] {
            pairs.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// `name=value&name=value…`, as given (encode them first).
pub fn joined_pairs(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, (name, value)) in pairs.iter().enumerate() {
        if k > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let seconds = HttpResponse::new(429, "").with_header("Retry-After", "2");
        assert_eq!(seconds.retry_after_ms(0.0), Some(2000.0));
        // 784111777 is 1994-11-06T08:49:37Z, RFC 9110's own example date.
        let date =
            HttpResponse::new(503, "").with_header("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(
            date.retry_after_ms(784_111_777_000.0 - 1500.0),
            Some(1500.0)
        );
        assert_eq!(date.retry_after_ms(784_111_777_000.0 + 9.0), Some(0.0));
        let junk = HttpResponse::new(429, "").with_header("Retry-After", "soon");
        assert_eq!(junk.retry_after_ms(0.0), None);
    }

    #[test]
    fn a_request_goes_to_the_shell_as_json() {
        let request = HttpRequest {
            method: "POST",
            url: "https://a.test/x?y=1".into(),
            headers: vec![("Nonce".into(), "n\"1".into())],
            body: Some("userId=u1".into()),
        };
        assert_eq!(
            request.to_shell_json(7, Some(("n", "1700"))),
            r#"{"id":7,"method":"POST","url":"https://a.test/x?y=1","headers":[["Nonce","n\"1"]],"body":"userId=u1","sign":["n","1700"]}"#
        );
        let get = HttpRequest {
            body: None,
            method: "GET",
            ..request
        };
        assert!(!get.to_shell_json(8, None).contains("body"));
    }

    proptest::proptest! {
        /// Repeated names, repeated pairs and non-ASCII among them: the order std's sort gives.
        #[test]
        fn pairs_sort_as_std_sorts_them(
            mut pairs in proptest::collection::vec(("[ab%é]{0,3}", "[xy2]{0,2}"), 0..24)
        ) {
            let mut expected = pairs.clone();
            expected.sort();
            sort_pairs(&mut pairs);
            proptest::prop_assert_eq!(pairs, expected);
        }
    }

    #[test]
    fn pairs_join_as_a_query() {
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(joined_pairs(&[]), "");
        assert_eq!(joined_pairs(&[pair("a", "1")]), "a=1");
        assert_eq!(
            joined_pairs(&[pair("a", ""), pair("b%20", "2")]),
            "a=&b%20=2"
        );
    }
}
