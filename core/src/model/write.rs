//! The JSON text of a profile and of a failure: the many of a call's results are most of
//! what the core writes, so each is written member by member with literal keys, not through
//! [`crate::json::write::object`] (serde's field-by-field serializer, one small write per
//! token, was a fifth of the time it took to map a RongCloud response: BENCHMARKS.md,
//! "normalize only").

use super::{Failure, Gender, Profile, VendorCode};
use crate::json::write::{number, string, ToJson};

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

/// Its JSON object (`Profile` in js/shell/types.d.ts): the fields it has, in that order.
impl ToJson for Profile {
    fn write_json(&self, out: &mut String) {
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

/// Its JSON object (`Failure` in js/shell/types.d.ts).
impl ToJson for Failure {
    fn write_json(&self, out: &mut String) {
        out.push_str("{\"id\":");
        string(out, &self.id);
        out.push_str(key!("code"));
        string(out, self.code.as_str());
        out.push_str(key!("message"));
        string(out, &self.message);
        match &self.vendor_code {
            Some(VendorCode::Number(n)) => {
                out.push_str(key!("vendorCode"));
                n.write_json(out);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Custom, ErrorCode, RawJson, VendorKey};
    use serde_json::json;

    #[test]
    fn a_profile_has_the_fields_it_has_in_the_contract_order() {
        let mut custom = Custom::default();
        custom.insert("b", RawJson::parse("[1,2]").unwrap());
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
            raw: RawJson::parse(r#"{"k":[true]}"#),
            ..Profile::new(VendorKey::TencentAttrs, "u1")
        };
        let text = full.to_json();
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
            bare.to_json(),
            r#"{"vendor":"rongcloud","id":"x","gender":"unknown","custom":{}}"#
        );
    }

    #[test]
    fn a_failure_has_its_vendor_code_only_when_it_has_one() {
        let plain = Failure::new("u\u{1}", ErrorCode::NotFound, "no such user");
        assert_eq!(
            plain.to_json(),
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
            let value: serde_json::Value = serde_json::from_str(&failure.to_json()).unwrap();
            assert_eq!(value["vendorCode"], expected);
            assert_eq!(value["retryable"], json!(true));
        }
    }
}
