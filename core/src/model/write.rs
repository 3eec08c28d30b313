//! A profile and a failure on a tape (json/src/tape.rs), as js/shell/tape.js reads them: the
//! many of a call's results are most of what the core writes, so each is written member by
//! member, its keys and its vendor and gender from the reader's table of words.

use super::{Failure, Gender, Profile, VendorCode, VendorKey};
use crate::json::tape::{Tape, ToTape};

/// The words js/shell/tape.js's table holds, in its order (a test below checks that file):
/// every key of a result's shapes and the values every profile repeats, which the reader
/// then takes from its table instead of slicing them out of the tape's text.
macro_rules! words {
    ($($name:ident = $text:literal,)*) => {
        /// A word of [`WORDS`].
        #[derive(Clone, Copy)]
        pub enum Word {
            $($name,)*
        }

        pub const WORDS: &[&str] = &[$($text,)*];
    };
}

words! {
    Vendor = "vendor",
    Id = "id",
    Name = "name",
    AvatarUrl = "avatarUrl",
    Gender = "gender",
    Birthday = "birthday",
    Location = "location",
    Email = "email",
    Level = "level",
    Role = "role",
    Signature = "signature",
    CreatedAt = "createdAt",
    UpdatedAt = "updatedAt",
    Active = "active",
    Version = "version",
    Custom = "custom",
    Raw = "raw",
    Code = "code",
    Message = "message",
    VendorCode = "vendorCode",
    Retryable = "retryable",
    Profiles = "profiles",
    ProfileAt = "profileAt",
    Failures = "failures",
    FailureAt = "failureAt",
    Requested = "requested",
    Requests = "requests",
    Retries = "retries",
    ElapsedMs = "elapsedMs",
    Done = "done",
    Total = "total",
    Failed = "failed",
    Cursor = "cursor",
    Stats = "stats",
    Batches = "batches",
    Progress = "progress",
    Male = "male",
    Female = "female",
    Unknown = "unknown",
    RongCloud = "rongcloud",
    Tencent = "tencent",
    TencentAttrs = "tencent-attrs",
    Easemob = "easemob",
    Kaixin = "kaixin",
}

/// Writes the word `word` of the table.
pub fn known(tape: &mut Tape, word: Word) {
    tape.known(word as u32);
}

impl Gender {
    fn word(self) -> Word {
        match self {
            Gender::Male => Word::Male,
            Gender::Female => Word::Female,
            Gender::Unknown => Word::Unknown,
        }
    }
}

impl VendorKey {
    fn word(self) -> Word {
        match self {
            VendorKey::RongCloud => Word::RongCloud,
            VendorKey::Tencent => Word::Tencent,
            VendorKey::TencentAttrs => Word::TencentAttrs,
            VendorKey::Easemob => Word::Easemob,
            VendorKey::Kaixin => Word::Kaixin,
        }
    }
}

fn member_string(tape: &mut Tape, members: &mut usize, key: Word, value: &Option<String>) {
    if let Some(value) = value {
        known(tape, key);
        tape.string(value);
        *members += 1;
    }
}

fn member_number(tape: &mut Tape, members: &mut usize, key: Word, value: Option<f64>) {
    if let Some(value) = value {
        known(tape, key);
        tape.number(value);
        *members += 1;
    }
}

/// `Profile` of js/shell/types.d.ts: the fields it has, in that order.
impl ToTape for Profile {
    fn write_tape(&self, tape: &mut Tape) {
        let open = tape.open_object();
        let mut members = 4;
        known(tape, Word::Vendor);
        known(tape, self.vendor.word());
        known(tape, Word::Id);
        tape.string(&self.id);
        member_string(tape, &mut members, Word::Name, &self.name);
        member_string(tape, &mut members, Word::AvatarUrl, &self.avatar_url);
        known(tape, Word::Gender);
        known(tape, self.gender.word());
        member_string(tape, &mut members, Word::Birthday, &self.birthday);
        member_string(tape, &mut members, Word::Location, &self.location);
        member_string(tape, &mut members, Word::Email, &self.email);
        member_number(tape, &mut members, Word::Level, self.level);
        member_number(tape, &mut members, Word::Role, self.role);
        member_string(tape, &mut members, Word::Signature, &self.signature);
        member_number(tape, &mut members, Word::CreatedAt, self.created_at);
        member_number(tape, &mut members, Word::UpdatedAt, self.updated_at);
        if let Some(active) = self.active {
            known(tape, Word::Active);
            tape.boolean(active);
            members += 1;
        }
        member_number(tape, &mut members, Word::Version, self.version);
        known(tape, Word::Custom);
        tape.object(self.custom.len());
        for (name, value) in self.custom.entries() {
            tape.key(name);
            tape.json(value.get());
        }
        if let Some(raw) = &self.raw {
            known(tape, Word::Raw);
            tape.json(raw.get());
            members += 1;
        }
        tape.close(open, members);
    }
}

/// `Failure` of js/shell/types.d.ts.
impl ToTape for Failure {
    fn write_tape(&self, tape: &mut Tape) {
        tape.object(4 + usize::from(self.vendor_code.is_some()));
        known(tape, Word::Id);
        tape.string(&self.id);
        known(tape, Word::Code);
        tape.string(self.code.as_str());
        known(tape, Word::Message);
        tape.string(&self.message);
        match &self.vendor_code {
            Some(VendorCode::Number(n)) => {
                known(tape, Word::VendorCode);
                tape.number(*n as f64);
            }
            Some(VendorCode::Text(text)) => {
                known(tape, Word::VendorCode);
                tape.string(text);
            }
            None => {}
        }
        known(tape, Word::Retryable);
        tape.boolean(self.retryable);
    }
}

/// What js/shell/tape.js makes of `tape`, as serde_json values (for tests).
#[cfg(test)]
pub fn read_tape(tape: &Tape) -> serde_json::Value {
    use crate::json::write::ToJson;
    let value = crate::json::tape::read(tape, WORDS);
    serde_json::from_str(&value.to_json()).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::tape::to_tape;
    use crate::model::{Custom, ErrorCode, RawJson, VendorKey};
    use serde_json::json;

    #[test]
    fn the_shell_reads_the_same_table_of_words() {
        let shell = include_str!("../../../js/shell/tape.js");
        let list = shell.split("const WORDS = [").nth(1).unwrap();
        let list = list.split("];").next().unwrap();
        let words: Vec<&str> = list
            .split(',')
            .map(|word| word.trim().trim_matches('"'))
            .filter(|word| !word.is_empty())
            .collect();
        assert_eq!(words, WORDS);
    }

    #[test]
    fn a_profile_has_the_fields_it_has_in_the_contract_order() {
        let mut custom = Custom::default();
        custom.insert("b", RawJson::parse("[1,2]").unwrap());
        custom.insert("a\"", RawJson::null());
        custom.insert("__proto__", RawJson::parse(r#""x\u0041""#).unwrap());
        let full = Profile {
            name: Some("Ann \"A\" 😀".into()),
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
        let read = read_tape(&to_tape(&full));
        assert_eq!(
            read,
            json!({
                "vendor": "tencent-attrs", "id": "u1", "name": "Ann \"A\" 😀",
                "avatarUrl": "https://x/a.png", "gender": "female", "birthday": "1990-01-02",
                "location": "上海", "email": "a@x", "level": 3, "role": 1.5, "signature": "hi\n",
                "createdAt": 1_700_000_000_000u64, "updatedAt": 1_700_000_000_001u64,
                "active": false, "version": 7,
                "custom": {"b": [1, 2], "a\"": null, "__proto__": "xA"},
                "raw": {"k": [true]}
            })
        );
        let crate::json::Value::Object(members) = crate::json::tape::read(&to_tape(&full), WORDS)
        else {
            panic!("a profile is an object")
        };
        let keys: Vec<&str> = members.iter().map(|(key, _)| key).collect();
        // The order of `Profile` in js/shell/types.d.ts.
        let order = "vendor id name avatarUrl gender birthday location email level role \
                     signature createdAt updatedAt active version custom raw";
        let order: Vec<&str> = order.split_whitespace().collect();
        assert_eq!(keys, order);
        let bare = Profile::new(VendorKey::RongCloud, "x");
        assert_eq!(
            read_tape(&to_tape(&bare)),
            json!({"vendor": "rongcloud", "id": "x", "gender": "unknown", "custom": {}})
        );
    }

    #[test]
    fn a_failure_has_its_vendor_code_only_when_it_has_one() {
        let plain = Failure::new("u\u{1}", ErrorCode::NotFound, "no such user");
        assert_eq!(
            read_tape(&to_tape(&plain)),
            json!({"id": "u\u{1}", "code": "not_found", "message": "no such user", "retryable": false})
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
            let value = read_tape(&to_tape(&failure));
            assert_eq!(value["vendorCode"], expected);
            assert_eq!(value["retryable"], json!(true));
        }
    }
}
