//! The JSON text of a profile and of a failure, written by hand: the many of a call's results
//! are most of what the core writes, and serde's field-by-field serializer, one small write
//! through `io::Write` per token, was a fifth of the time it took to map a RongCloud response
//! (BENCHMARKS.md, "normalize only"). Every container (a call's outcome, `onBatch`'s
//! batches, `parseResponse`) still serializes with serde: it takes each of these as text
//! already written, through `Written` (below).

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::{Failure, Gender, Profile, VendorCode};

/// JSON text already written, which serde_json's serializer copies as it is: the way its
/// own `RawValue` serializes (a struct of one field under serde_json's marker name, which
/// serde_json has kept since 1.0.29). Any other serializer sees a struct of one string.
struct Written(String);

/// serde_json's marker for text to be copied as it is (`serde_json::raw::TOKEN`).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

impl Serialize for Written {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut raw = serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        raw.serialize_field(RAW_VALUE_TOKEN, &self.0)?;
        raw.end()
    }
}

/// `"text"`, escaped as serde_json escapes it (JSON.parse reads any escape the same).
pub fn string(out: &mut String, text: &str) {
    out.push('"');
    if !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[start..at]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = at + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}

/// A number as JSON: whole numbers a double holds exactly (the timestamps, levels and
/// versions of a profile) through the integer formatter, anything else as serde_json writes
/// it (the shortest text that reads back the same; `null` for what JSON cannot hold).
pub fn number(out: &mut String, n: f64) {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() < EXACT {
        integer(out, n as i64);
    } else {
        out.push_str(&serde_json::to_string(&n).unwrap_or_else(|_| "null".to_owned()));
    }
}

/// A whole number (a position in a call's results, a vendor's code).
pub fn integer(out: &mut String, n: i64) {
    use std::fmt::Write;
    let _ = write!(out, "{n}");
}

/// `[…]`: each of `items` as `write` writes it.
pub fn array<T>(out: &mut String, items: &[T], write: impl Fn(&mut String, &T)) {
    out.push('[');
    for (at, item) in items.iter().enumerate() {
        if at > 0 {
            out.push(',');
        }
        write(out, item);
    }
    out.push(']');
}

/// `,"name":` (every member but an object's first, which is written with its brace), as
/// one literal.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":")
    };
}

fn optional_string(out: &mut String, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        out.push_str(key);
        string(out, value);
    }
}

fn optional_number(out: &mut String, key: &str, value: Option<f64>) {
    if let Some(value) = value {
        out.push_str(key);
        number(out, value);
    }
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Unknown => "unknown",
        }
    }
}

impl Profile {
    /// Its JSON object (`Profile` in js/shell/types.d.ts): the fields it has, in that order.
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"vendor\":");
        string(out, self.vendor.as_str());
        out.push_str(key!("id"));
        string(out, &self.id);
        optional_string(out, key!("name"), &self.name);
        optional_string(out, key!("avatarUrl"), &self.avatar_url);
        out.push_str(key!("gender"));
        string(out, self.gender.as_str());
        optional_string(out, key!("birthday"), &self.birthday);
        optional_string(out, key!("location"), &self.location);
        optional_string(out, key!("email"), &self.email);
        optional_number(out, key!("level"), self.level);
        optional_number(out, key!("role"), self.role);
        optional_string(out, key!("signature"), &self.signature);
        optional_number(out, key!("createdAt"), self.created_at);
        optional_number(out, key!("updatedAt"), self.updated_at);
        if let Some(active) = self.active {
            out.push_str(key!("active"));
            out.push_str(if active { "true" } else { "false" });
        }
        optional_number(out, key!("version"), self.version);
        out.push_str(key!("custom"));
        out.push('{');
        for (at, (name, value)) in self.custom.entries().enumerate() {
            if at > 0 {
                out.push(',');
            }
            string(out, name);
            out.push(':');
            out.push_str(value.get());
        }
        out.push('}');
        if let Some(raw) = &self.raw {
            out.push_str(key!("raw"));
            out.push_str(raw.get());
        }
        out.push('}');
    }
}

impl Failure {
    /// Its JSON object (`Failure` in js/shell/types.d.ts).
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"id\":");
        string(out, &self.id);
        out.push_str(key!("code"));
        string(out, self.code.as_str());
        out.push_str(key!("message"));
        string(out, &self.message);
        match &self.vendor_code {
            Some(VendorCode::Number(n)) => {
                out.push_str(key!("vendorCode"));
                integer(out, *n);
            }
            Some(VendorCode::Text(text)) => {
                out.push_str(key!("vendorCode"));
                string(out, text);
            }
            None => {}
        }
        out.push_str(key!("retryable"));
        out.push_str(if self.retryable { "true" } else { "false" });
        out.push('}');
    }
}

/// Writes `value` through `write` as [`Written`] text.
fn written<S: Serializer>(
    serializer: S,
    write: impl FnOnce(&mut String),
) -> Result<S::Ok, S::Error> {
    let mut out = String::with_capacity(256);
    write(&mut out);
    Written(out).serialize(serializer)
}

impl Serialize for Profile {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        written(serializer, |out| self.write_json(out))
    }
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        written(serializer, |out| self.write_json(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Custom, ErrorCode, RawJson, VendorKey};
    use serde_json::json;

    fn written(write: impl FnOnce(&mut String)) -> String {
        let mut out = String::new();
        write(&mut out);
        out
    }

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        let controls: String = (0u8..0x20).map(char::from).collect();
        for text in [
            "",
            "plain",
            "say \"hi\" \\ bye",
            &controls,
            "\u{7f}\u{2028}\u{2029}",
            "张伟 🧪 =SUM(A1)",
            "tail\n",
        ] {
            let ours = written(|out| string(out, text));
            assert_eq!(ours, serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn numbers_read_back_as_the_same_double() {
        for n in [
            0.0,
            -0.0,
            1.0,
            -42.0,
            1.5,
            0.1,
            1e-7,
            1e21,
            1_700_000_000_123.0,
            2f64.powi(53),
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let text = written(|out| number(out, n));
            assert_eq!(serde_json::from_str::<f64>(&text).unwrap(), n, "{text}");
        }
        assert_eq!(
            written(|out| number(out, 1_700_000_000_123.0)),
            "1700000000123"
        );
        for n in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(written(|out| number(out, n)), "null");
        }
        for n in [1.5, 0.1, 1e-7, 1e21, f64::MAX, -2.5e-300] {
            let text = written(|out| number(out, n));
            assert_eq!(text, serde_json::to_string(&n).unwrap());
        }
    }

    #[test]
    fn a_profile_has_the_fields_it_has_in_the_contract_order() {
        let mut custom = Custom::default();
        custom.insert(
            "b",
            RawJson::from(serde_json::value::to_raw_value(&[1, 2]).unwrap()),
        );
        custom.insert("a\"", RawJson::null());
        let full = Profile {
            name: Some("Ann \"A\"".into()),
            avatar_url: Some("https://x/a.png".into()),
            gender: Gender::Female,
            birthday: Some("1990-01-02".into()),
            location: Some("上海".into()),
            email: Some("a@x".into()),
            level: Some(3.0),
            role: Some(1.5),
            signature: Some("hi\n".into()),
            created_at: Some(1_700_000_000_000.0),
            updated_at: Some(1_700_000_000_001.0),
            active: Some(false),
            version: Some(7.0),
            custom,
            raw: Some(RawJson::from(
                serde_json::value::to_raw_value(&json!({"k": [true]})).unwrap(),
            )),
            ..Profile::new(VendorKey::TencentAttrs, "u1")
        };
        let text = written(|out| full.write_json(out));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            json!({
                "vendor": "tencent-attrs", "id": "u1", "name": "Ann \"A\"",
                "avatarUrl": "https://x/a.png", "gender": "female", "birthday": "1990-01-02",
                "location": "上海", "email": "a@x", "level": 3, "role": 1.5, "signature": "hi\n",
                "createdAt": 1_700_000_000_000u64, "updatedAt": 1_700_000_000_001u64,
                "active": false, "version": 7, "custom": {"b": [1, 2], "a\"": null},
                "raw": {"k": [true]}
            })
        );
        assert!(text
            .starts_with(r#"{"vendor":"tencent-attrs","id":"u1","name":"Ann \"A\"","avatarUrl""#));
        assert!(
            text.contains(r#""custom":{"b":[1,2],"a\"":null},"raw":{"k":[true]}}"#),
            "{text}"
        );
        let bare = Profile::new(VendorKey::RongCloud, "x");
        assert_eq!(
            written(|out| bare.write_json(out)),
            r#"{"vendor":"rongcloud","id":"x","gender":"unknown","custom":{}}"#
        );
    }

    #[test]
    fn serde_json_copies_the_written_text_as_it_is() {
        // If serde_json ever renamed its marker, this would come out as a one-field struct.
        let profile = Profile::new(VendorKey::Easemob, "e1");
        let failure = Failure::new("e2", ErrorCode::NotFound, "gone");
        let both = serde_json::to_string(&(vec![&profile], vec![&failure])).unwrap();
        let expected = format!(
            "[[{}],[{}]]",
            written(|out| profile.write_json(out)),
            written(|out| failure.write_json(out))
        );
        assert_eq!(both, expected);
    }

    #[test]
    fn a_failure_has_its_vendor_code_only_when_it_has_one() {
        let plain = Failure::new("u\u{1}", ErrorCode::NotFound, "no such user");
        assert_eq!(
            written(|out| plain.write_json(out)),
            r#"{"id":"u\u0001","code":"not_found","message":"no such user","retryable":false}"#
        );
        for (code, expected) in [
            (VendorCode::Number(-3), json!(-3)),
            (VendorCode::Text("E1".into()), json!("E1")),
        ] {
            let failure = Failure {
                vendor_code: Some(code),
                retryable: true,
                ..plain.clone()
            };
            let value = serde_json::to_value(&failure).unwrap();
            assert_eq!(value["vendorCode"], expected);
            assert_eq!(value["retryable"], json!(true));
        }
    }
}
