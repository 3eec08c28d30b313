//! The vocabulary every other module speaks: vendor keys, profiles, errors and per-id
//! failures, and secrets that never print. A leaf: it depends on nothing else in the crate.

mod error;
mod profile;
pub mod write;

use std::fmt;

pub use error::{ErrorCode, Failure, ProfileError, VendorCode};
pub use profile::{Custom, Gender, Profile, RawJson};

/// The vendor keys (`Vendor` in js/shell/types.d.ts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VendorKey {
    RongCloud,
    Tencent,
    TencentAttrs,
    Easemob,
    Kaixin,
}

impl crate::json::write::ToJson for VendorKey {
    fn write_json(&self, out: &mut String) {
        crate::json::write::string(out, self.as_str());
    }
}

impl VendorKey {
    pub const ALL: [VendorKey; 5] = [
        VendorKey::RongCloud,
        VendorKey::Tencent,
        VendorKey::TencentAttrs,
        VendorKey::Easemob,
        VendorKey::Kaixin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VendorKey::RongCloud => "rongcloud",
            VendorKey::Tencent => "tencent",
            VendorKey::TencentAttrs => "tencent-attrs",
            VendorKey::Easemob => "easemob",
            VendorKey::Kaixin => "kaixin",
        }
    }

    pub fn parse(key: &str) -> Option<VendorKey> {
        VendorKey::ALL.into_iter().find(|v| v.as_str() == key)
    }

    /// The package entry point whose build holds this vendor (besides `improfiles` itself).
    pub fn entry(self) -> &'static str {
        match self {
            VendorKey::RongCloud => "improfiles/rongcloud",
            VendorKey::Tencent | VendorKey::TencentAttrs => "improfiles/tencent",
            VendorKey::Easemob => "improfiles/easemob",
            VendorKey::Kaixin => "improfiles/kaixin",
        }
    }
}

/// A credential. It has no `ToJson`, and `Debug` prints a placeholder, so a secret cannot
/// leak through logging or serialization by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// `text` with every one of `secrets` blanked out: what user callbacks and fetch throw can
/// carry request URLs, and so credentials.
pub fn redact<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |acc, secret| blank_out(&acc, secret))
}

/// `text` with each occurrence of non-empty `secret` replaced, left to right. A plain scan:
/// error messages are short, and std's substring search (Two-Way) was 3.5 KB of code in
/// every build for this one use.
fn blank_out(text: &str, secret: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with(secret) {
            out.push_str("[redacted]");
            rest = sub(rest, secret.len()..);
        } else {
            out.push(c);
            rest = sub(rest, c.len_utf8()..);
        }
    }
    out
}

/// A name a caller gave (an unknown field or tag), as an error message shows it: its first 64
/// characters, quoted and escaped as JSON, so that no control character reaches a log.
pub fn quoted_name(name: &str) -> String {
    use crate::json::write::ToJson;
    first_chars(name, 64).to_json()
}

/// The first `count` characters of `text` (all of it when it has fewer), as messages cut
/// vendor text and names short. A slice rather than the characters collected one by one: a
/// Tencent call whose accounts all fail clips every account's `ResultInfo`, and collecting
/// was a tenth of its wasm time.
pub fn first_chars(text: &str, count: usize) -> &str {
    let mut seen = 0;
    for (at, byte) in text.bytes().enumerate() {
        // Every byte but a continuation byte (0b10xxxxxx) starts a character.
        if byte & 0xC0 != 0x80 {
            if seen == count {
                return sub(text, ..at);
            }
            seen += 1;
        }
    }
    text
}

pub use improfiles_json::sub;

/// `n` in decimal, as itoa writes it for JSON: every integer a message or request shows goes
/// through here (or is a `u32`, which panic messages format anyway), so that `Display` of
/// each integer type (`u64`, `i64`, `u16`: 0.2-0.3 KB each) is in no build.
pub fn digits(n: impl itoa::Integer) -> String {
    itoa::Buffer::new().format(n).to_owned()
}

/// The items one after another, `separator` between them: what `[T]::join` makes, without
/// its copy per element type (1 KB of a build each).
pub fn joined<S: AsRef<str>>(items: impl IntoIterator<Item = S>, separator: &str) -> String {
    let mut out = String::new();
    for (at, item) in items.into_iter().enumerate() {
        if at > 0 {
            out.push_str(separator);
        }
        out.push_str(item.as_ref());
    }
    out
}

/// Where `needle` first occurs in `text`: a plain scan, for the same reason as
/// [`blank_out`]'s (what is searched for: a URL's `://`, an XML construct's end, a word in
/// an error message). Only Kaixin001's code searches so.
#[cfg(any(test, feature = "kaixin"))]
pub(crate) fn position_of(text: &str, needle: &str) -> Option<usize> {
    text.char_indices()
        .map(|(at, _)| at)
        .find(|&at| sub(text, at..).starts_with(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_slices_at_char_boundaries_and_panics_elsewhere() {
        assert_eq!(sub("aéb", 1..3), "é");
        assert_eq!(sub("aéb", 3..), "b");
        let inside = std::panic::catch_unwind(|| sub("aéb", 2..)).unwrap_err();
        let message = inside.downcast_ref::<String>().map(String::as_str);
        assert_eq!(message, Some("a slice of a str at char boundaries"));
    }

    #[test]
    fn position_of_finds_as_str_find_does() {
        for (text, needle) in [
            ("https://x", "://"),
            ("a-->b-->", "-->"),
            ("张伟]]>🧪", "]]>"),
            ("--", "-->"),
            ("", "?>"),
            ("abc", ""),
        ] {
            assert_eq!(
                position_of(text, needle),
                text.find(needle),
                "{text} {needle}"
            );
        }
    }

    #[test]
    fn redaction_scans_left_to_right_through_any_text() {
        // As str::replace does: repeated, overlapping and multi-byte neighbours.
        for (text, secret) in [
            ("aaaa", "aa"),
            ("aaa", "aa"),
            ("张伟s3cr3t🧪s3cr3ts3cr3t", "s3cr3t"),
            ("=SUM(A1)", "=SUM("),
            ("no secret here", "xyz"),
            ("", "k"),
        ] {
            assert_eq!(redact(text, &[secret]), text.replace(secret, "[redacted]"));
        }
    }

    #[test]
    fn first_chars_counts_characters_not_bytes() {
        assert_eq!(first_chars("", 3), "");
        assert_eq!(first_chars("ab", 3), "ab");
        assert_eq!(first_chars("abc", 3), "abc");
        assert_eq!(first_chars("中文名字", 3), "中文名");
        assert_eq!(first_chars("😀a😀b", 3), "😀a😀");
        assert_eq!(first_chars("e\u{301}x", 2), "e\u{301}");
        assert_eq!(first_chars("abc", 0), "");
    }

    #[test]
    fn redaction_blanks_every_secret_and_ignores_empty_ones() {
        let secrets = ["s3cr3t".to_owned(), String::new(), "tok".to_owned()];
        assert_eq!(
            redact("GET /x?sig=s3cr3t&t=tok failed", &secrets),
            "GET /x?sig=[redacted]&t=[redacted] failed"
        );
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
