//! Reading vendor JSON as leniently as `JSON.parse` does. Vendor data is end-user data, and
//! two things `JSON.parse` accepts make serde_json refuse a whole body — and with it every id
//! of the request: a number beyond the range of a double (`1e400`, which JS reads as
//! Infinity) and an escaped lone surrogate (`"Bob\ud83d"`, a string JS can hold and Rust
//! cannot). Only when serde_json refuses a body is it rewritten: such a number becomes `null`
//! (what `JSON.stringify` makes of Infinity) and such an escape `\uFFFD` (the replacement
//! character), and the rewritten body is read instead.

use serde::de::DeserializeOwned;

/// `text` as a `T`, rewritten as above if serde_json refuses it as it stands.
pub fn parse_lenient<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    serde_json::from_str(text).or_else(|error| match rewrite(text) {
        Some(rewritten) => serde_json::from_str(&rewritten),
        None => Err(error),
    })
}

/// The four hex digits at `at`, as a UTF-16 code unit.
fn code_unit(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// A `\uXXXX` escape starts at `at`: its code unit.
fn escape_at(bytes: &[u8], at: usize) -> Option<u32> {
    (bytes.get(at) == Some(&b'\\') && bytes.get(at + 1) == Some(&b'u'))
        .then(|| code_unit(bytes, at + 2))
        .flatten()
}

/// The body with out-of-range numbers and lone surrogate escapes replaced, or `None` when it
/// has neither. Every cut falls on an ASCII byte, so the slices are whole characters.
fn rewrite(text: &str) -> Option<String> {
    const HIGH: std::ops::Range<u32> = 0xD800..0xDC00;
    const LOW: std::ops::Range<u32> = 0xDC00..0xE000;
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut i, mut copied, mut in_string) = (0, 0, false);
    let replace = |out: &mut String, from: usize, to: usize, with: &str, copied: &mut usize| {
        out.push_str(&text[*copied..from]);
        out.push_str(with);
        *copied = to;
    };
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (true, b'"') => {
                in_string = false;
                i += 1;
            }
            (true, b'\\') => match escape_at(bytes, i) {
                Some(unit) if HIGH.contains(&unit) => {
                    if escape_at(bytes, i + 6).is_some_and(|next| LOW.contains(&next)) {
                        i += 12;
                    } else {
                        replace(&mut out, i, i + 6, "\\uFFFD", &mut copied);
                        i += 6;
                    }
                }
                Some(unit) if LOW.contains(&unit) => {
                    replace(&mut out, i, i + 6, "\\uFFFD", &mut copied);
                    i += 6;
                }
                Some(_) => i += 6,
                None => i += 2,
            },
            (true, _) => i += 1,
            (false, b'"') => {
                in_string = true;
                i += 1;
            }
            (false, b'-' | b'0'..=b'9') => {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                if text[start..i].parse::<f64>().is_ok_and(f64::is_infinite) {
                    replace(&mut out, start, i, "null", &mut copied);
                }
            }
            (false, _) => i += 1,
        }
    }
    (copied > 0).then(|| {
        out.push_str(&text[copied..]);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn reads_what_json_parse_reads() {
        let body = r#"{"a":1e400,"b":-1E+999,"c":"Bob\ud83d","d":"\udc00x","e":"ok \ud83d\ude00","f":[2.5e3]}"#;
        assert!(serde_json::from_str::<Value>(body).is_err());
        let value: Value = parse_lenient(body).unwrap();
        assert_eq!(
            value,
            json!({"a": null, "b": null, "c": "Bob\u{FFFD}", "d": "\u{FFFD}x", "e": "ok 😀", "f": [2500.0]})
        );
    }

    #[test]
    fn leaves_strings_and_broken_bodies_alone() {
        let value: Value = parse_lenient(r#"{"n":"1e400 \\ud83d","m":"张伟明"}"#).unwrap();
        assert_eq!(value, json!({"n": "1e400 \\ud83d", "m": "张伟明"}));
        assert!(parse_lenient::<Value>(r#"{"a":1e400"#).is_err());
        assert!(parse_lenient::<Value>("not json").is_err());
    }
}
