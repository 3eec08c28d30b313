//! Reading vendor JSON as leniently as `JSON.parse` does. Vendor data is end-user data, and
//! two things `JSON.parse` accepts make serde_json refuse a whole body — and with it every id
//! of the request: a number beyond the range of a double (`1e400`, which JS reads as
//! Infinity) and an escaped lone surrogate (`"Bob\ud83d"`, a string JS can hold and Rust
//! cannot). Only when serde_json refuses a body is it rewritten: such a number becomes `null`
//! (what `JSON.stringify` makes of Infinity) and such an escape `\uFFFD` (the replacement
//! character), and the rewritten body is read instead.
//!
//! Responses are read in one pass into each vendor's own borrowing types, never into a
//! `serde_json::Value` tree (BENCHMARKS.md, "Optimizations made": the tree was most of the
//! cost of a response). Vendor bodies cannot be trusted to have the documented shape, so the
//! types here take any JSON without failing: [`Obj`] is a struct when the value is an
//! object, [`List`] a list when it is an array, and [`Shallow`] any value one level deep,
//! its members kept as the vendor's text ([`RawValue`]) until something reads them. Only
//! broken JSON fails a read.

pub mod write;

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::Number;

/// `text` as a `T`, rewritten as above if serde_json refuses it as it stands.
pub fn parse_lenient<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    from_str_lenient(text, &mut None).map(|(value, _)| value)
}

/// `text` read as a `T` that borrows from it, rewritten as above (into `spare`, which the
/// caller keeps for as long as the `T`) if serde_json refuses it as it stands; with the text
/// that was read, for a second look.
pub fn from_str_lenient<'t, T: Deserialize<'t>>(
    text: &'t str,
    spare: &'t mut Option<String>,
) -> serde_json::Result<(T, &'t str)> {
    match serde_json::from_str(text) {
        Ok(value) => Ok((value, text)),
        Err(error) => {
            let rewritten: &'t str = spare.insert(rewrite(text).ok_or(error)?);
            Ok((serde_json::from_str(rewritten)?, rewritten))
        }
    }
}

/// The object `text` read as a `T` (leniently, as [`from_str_lenient`]), with the text it
/// was read from; `None` when it is not JSON or not an object.
pub fn object_lenient<'t, T: Deserialize<'t>>(
    text: &'t str,
    spare: &'t mut Option<String>,
) -> Option<(T, &'t str)> {
    let (object, read) = from_str_lenient::<Obj<T>>(text, spare).ok()?;
    Some((object.0?, read))
}

/// The elements of the array at `key` of the object `text`, as the vendor wrote them (for
/// `includeRaw`: a second look at a body that was read already).
pub fn raw_items<'t>(text: &'t str, key: &str) -> Option<Vec<&'t RawValue>> {
    let body: Shallow = serde_json::from_str(text).ok()?;
    match body.member(key)? {
        Shallow::List(items) => Some(items),
        _ => None,
    }
}

/// An object's members as [`Shallow`] keeps them: each key with the member's text.
pub type Members<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// The value of the member `key` (the last, if the key repeats: `JSON.parse`'s choice).
pub fn member_named<'m, V>(members: &'m [(Cow<str>, V)], key: &str) -> Option<&'m V> {
    members
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, value)| value)
}

/// The objects of a list read as [`Shallow`]s (anything else is no item), each with its text
/// when `raw` says where the list is (`includeRaw`: the body's text and the list's key, read
/// once more).
pub fn objects<'a>(
    items: Vec<Shallow<'a>>,
    raw: Option<(&'a str, &str)>,
) -> Vec<(Members<'a>, Option<&'a RawValue>)> {
    let raws = raw.and_then(|(text, key)| raw_items(text, key));
    let raw_at = |at: usize| raws.as_ref().and_then(|raws| raws.get(at).copied());
    let objects = items.into_iter().enumerate();
    objects
        .filter_map(|(at, item)| match item {
            Shallow::Object(members) => Some((members, raw_at(at))),
            _ => None,
        })
        .collect()
}

/// A value read as `T` when it is a JSON object, and as `None` (skipped whole) when it is
/// anything else. `T`'s own fields should be as forgiving (`Option` of these types).
#[derive(Debug)]
pub struct Obj<T>(pub Option<T>);

/// A value read as a list of `T` when it is a JSON array, and as `None` when it is not.
#[derive(Debug)]
pub struct List<T>(pub Option<Vec<T>>);

impl<T> Obj<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T> List<T> {
    pub fn into_inner(self) -> Option<Vec<T>> {
        self.0
    }
}

/// A member that is absent, null, or a value: a `#[serde(default)]` field of this type tells
/// the three apart where `Option` cannot.
#[derive(Debug, Default)]
pub enum Member<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Member<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|v| v.map_or(Member::Null, Member::Value))
    }
}

/// Skips whatever value a visitor was not looking for.
macro_rules! anything_else_is_none {
    ($none:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
    };
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Obj<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| Obj(Some(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Obj<T>, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| Obj(None))
            }
            anything_else_is_none!(Obj(None));
        }
        deserializer.deserialize_any(ObjVisitor(PhantomData))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<List<T>, A::Error> {
                Vec::<T>::deserialize(SeqAccessDeserializer::new(seq)).map(|v| List(Some(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<List<T>, A::Error> {
                IgnoredAny.visit_map(map).map(|_| List(None))
            }
            anything_else_is_none!(List(None));
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// Any JSON value, one level deep: scalars read, an object's members and an array's
/// elements kept as their text, borrowed from the body.
#[derive(Debug)]
pub enum Shallow<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Str(Cow<'a, str>),
    List(Vec<&'a RawValue>),
    Object(Members<'a>),
}

impl<'a> Shallow<'a> {
    /// A member's text read one level deeper. Text kept as a member was not checked the way
    /// a read checks it (a lone surrogate escape, a number past a double): such a scalar is
    /// read as its rewritten form, as a whole body is. (An object's or array's own level
    /// holds nothing that could fail; its members stay text.)
    pub fn of(raw: &'a RawValue) -> Shallow<'a> {
        // Most members read this way are plain strings: taken as they are, without a parse.
        let text = raw.get();
        if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            if !inner.contains('\\') {
                return Shallow::Str(Cow::Borrowed(inner));
            }
        }
        serde_json::from_str(text).unwrap_or_else(|_| {
            match parse_lenient::<serde_json::Value>(text) {
                Ok(serde_json::Value::String(s)) => Shallow::Str(Cow::Owned(s)),
                Ok(serde_json::Value::Number(n)) => Shallow::Number(n),
                Ok(serde_json::Value::Bool(b)) => Shallow::Bool(b),
                _ => Shallow::Null,
            }
        })
    }

    /// A number, or a string holding one (vendors are not consistent about which they send).
    pub fn number(&self) -> Option<f64> {
        match self {
            Shallow::Number(n) => n.as_f64(),
            Shallow::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A string, or a number rendered as one.
    pub fn text(&self) -> Option<String> {
        match self {
            Shallow::Str(s) => Some(s.clone().into_owned()),
            Shallow::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Shallow::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Shallow::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The member `key` of an object, read one level deeper ([`Shallow::of`]).
    pub fn member(&self, key: &str) -> Option<Shallow<'a>> {
        self.get(key).map(Shallow::of)
    }

    /// The member `key` of an object (the last, if the key repeats: `JSON.parse`'s choice).
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        match self {
            Shallow::Object(members) => member_named(members, key).copied(),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Shallow<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ShallowVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for ShallowVisitor<'a> {
            type Value = Shallow<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Shallow<'a>, E> {
                Ok(Shallow::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Shallow<'a>, E> {
                Ok(Shallow::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Shallow<'a>, E> {
                Ok(Shallow::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Shallow<'a>, E> {
                Ok(Shallow::Number(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Shallow<'a>, E> {
                Ok(Number::from_f64(n).map_or(Shallow::Null, Shallow::Number))
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Shallow<'a>, E> {
                Ok(Shallow::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Shallow<'a>, E> {
                Ok(Shallow::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Shallow<'a>, E> {
                Ok(Shallow::Str(Cow::Owned(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shallow<'a>, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Shallow::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shallow<'a>, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<Key<'a>>()? {
                    members.push((key.0, map.next_value()?));
                }
                Ok(Shallow::Object(members))
            }
        }
        deserializer.deserialize_any(ShallowVisitor(PhantomData))
    }
}

/// An object key, borrowed unless it holds an escape.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor(PhantomData))
    }
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

    #[test]
    fn members_are_checked_when_read_and_kept_as_the_vendor_wrote_them() {
        // The members are kept as text: the read of the object succeeds as it stands.
        let body = r#"{"name":"Bob\ud83d","level":1e400,"tags":["\udc00"],"ok":"\u00e9"}"#;
        let object: Shallow = serde_json::from_str(body).unwrap();
        let member = |key| Shallow::of(object.get(key).unwrap());
        assert_eq!(member("name").text().as_deref(), Some("Bob\u{FFFD}"));
        assert!(matches!(member("level"), Shallow::Null));
        assert!(matches!(member("tags"), Shallow::List(items) if items.len() == 1));
        assert_eq!(member("ok").as_str(), Some("é"));
        assert_eq!(object.get("tags").unwrap().get(), r#"["\udc00"]"#);
    }

    #[test]
    fn shapes_other_than_the_expected_are_none_not_errors() {
        #[derive(Deserialize)]
        struct Body<'a> {
            #[serde(borrow)]
            list: Option<List<Obj<Item<'a>>>>,
            #[serde(default)]
            gone: Member<IgnoredAny>,
            #[serde(default)]
            null: Member<IgnoredAny>,
        }
        #[derive(Deserialize)]
        struct Item<'a> {
            #[serde(borrow)]
            id: Option<Shallow<'a>>,
        }
        let body: Obj<Body> =
            serde_json::from_str(r#"{"list":[{"id":1},"x",[2],{"id":"a"}],"null":null}"#).unwrap();
        let body = body.into_inner().unwrap();
        let items = body.list.unwrap().into_inner().unwrap();
        let ids: Vec<Option<String>> = items
            .iter()
            .map(|item| item.0.as_ref().and_then(|i| i.id.as_ref()?.text()))
            .collect();
        assert_eq!(ids, [Some("1".into()), None, None, Some("a".into())]);
        assert!(matches!(body.gone, Member::Absent) && matches!(body.null, Member::Null));
        let not_a_list: Obj<Body> = serde_json::from_str(r#"{"list":{"id":1}}"#).unwrap();
        assert!(not_a_list.0.unwrap().list.unwrap().0.is_none());
        assert!(serde_json::from_str::<Obj<Body>>("[1]")
            .unwrap()
            .0
            .is_none());
        assert!(serde_json::from_str::<Obj<Body>>(r#"{"list":[}"#).is_err());
    }

    #[test]
    fn objects_of_a_list_keep_their_own_text() {
        let body = r#"{"users":[{"uid":"1"},"x",null,{"uid":"2","n":[1]}]}"#;
        let read: Shallow = serde_json::from_str(body).unwrap();
        let Some(Shallow::List(items)) = read.member("users") else {
            panic!("a list")
        };
        let items: Vec<Shallow> = items.into_iter().map(Shallow::of).collect();
        let with_text: Vec<(Option<String>, Option<&str>)> = objects(items, Some((body, "users")))
            .into_iter()
            .map(|(members, raw)| {
                let uid = member_named(&members, "uid").and_then(|v| Shallow::of(v).text());
                (uid, raw.map(RawValue::get))
            })
            .collect();
        assert_eq!(
            with_text,
            [
                (Some("1".into()), Some(r#"{"uid":"1"}"#)),
                (Some("2".into()), Some(r#"{"uid":"2","n":[1]}"#))
            ]
        );
        let members = vec![(Cow::Borrowed("k"), 1), (Cow::Borrowed("k"), 2)];
        assert_eq!(
            member_named(&members, "k"),
            Some(&2),
            "the last, as JSON.parse"
        );
    }
}
