//! JSON written by hand: every result, report, error, description and request description
//! the core hands out is written here, not through serde's serializer. A serializer is one
//! more copy of code per type written, and with float formatting behind it was the largest
//! part of a one-vendor `.wasm` that was not the vendor (BENCHMARKS.md, "Size").
//!
//! Strings are escaped as serde_json escapes them, and the tests check that against
//! serde_json. Numbers are written as JS writes them (crate::decimal): the same as
//! serde_json's but for the exponent's `+` (`1e+21`) and an exact tie between two shortest
//! texts, which JS breaks to the even digit.

use crate::sub;

/// A value that writes itself as JSON text.
pub trait ToJson {
    fn write_json(&self, out: &mut String);

    fn to_json(&self) -> String {
        let mut out = String::with_capacity(64);
        self.write_json(&mut out);
        out
    }
}

/// `{…}`: the members `write` adds.
pub fn object(out: &mut String, write: impl FnOnce(&mut Members)) {
    out.push('{');
    write(&mut Members { out, empty: true });
    out.push('}');
}

/// The members of an object being written.
pub struct Members<'o> {
    out: &'o mut String,
    empty: bool,
}

impl Members<'_> {
    /// `"key":value`.
    pub fn add(&mut self, key: &str, value: &(impl ToJson + ?Sized)) -> &mut Self {
        self.key(key);
        value.write_json(self.out);
        self
    }

    /// `"key":`, after a comma but for the first member: one copy for every type of value,
    /// where the optimizer would otherwise copy it into each `add`.
    #[inline(never)]
    fn key(&mut self, key: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        string(self.out, key);
        self.out.push(':');
    }

    /// `"key":json`, `json` being JSON text already written (a vendor's own, kept as it came).
    pub fn add_raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.add(key, &Raw(json))
    }

    /// `"key":value` when there is a value; nothing at all when there is none.
    pub fn add_some(&mut self, key: &str, value: Option<&(impl ToJson + ?Sized)>) -> &mut Self {
        match value {
            Some(value) => self.add(key, value),
            None => self,
        }
    }
}

/// JSON text already written, written as it is.
struct Raw<'a>(&'a str);

impl ToJson for Raw<'_> {
    fn write_json(&self, out: &mut String) {
        out.push_str(self.0);
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
        out.push_str(sub(text, start..at));
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
    out.push_str(sub(text, start..));
    out.push('"');
}

/// A number as JSON: whole numbers a double holds exactly (timestamps, levels, counts)
/// through the integer formatter, anything else as the shortest text that reads back the
/// same, as JS writes it (crate::decimal); `null` for what JSON cannot hold, as
/// `JSON.stringify` writes it.
pub fn number(out: &mut String, n: f64) {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() < EXACT {
        (n as i64).write_json(out);
    } else if n.is_finite() {
        crate::decimal::write(out, n);
    } else {
        out.push_str("null");
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        string(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        string(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl ToJson for f64 {
    fn write_json(&self, out: &mut String) {
        number(out, *self);
    }
}

/// Whole numbers of the types results count in.
macro_rules! integers {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(*self));
            }
        }
    )*};
}
integers!(u16, u32, u64, usize, i64);

/// `null` when there is none (a member that is written either way).
impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
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

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        array(out, self, |out, item| item.write_json(out));
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

/// A pair as a two-element array (a header: `[name, value]`).
impl<A: ToJson, B: ToJson> ToJson for (A, B) {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        self.0.write_json(out);
        out.push(',');
        self.1.write_json(out);
        out.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(
                text.to_json(),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn numbers_read_back_as_the_same_double() {
        let written = |n: f64| n.to_json();
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
            let text = written(n);
            assert_eq!(serde_json::from_str::<f64>(&text).unwrap(), n, "{text}");
        }
        assert_eq!(written(1_700_000_000_123.0), "1700000000123");
        for n in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(written(n), "null");
        }
        // As JS's JSON.stringify writes them (crate::decimal's tests hold more).
        for (n, js) in [(1.5, "1.5"), (1e21, "1e+21"), (-2.5e-300, "-2.5e-300")] {
            assert_eq!(written(n), js);
        }
        assert_eq!(u64::MAX.to_json(), u64::MAX.to_string());
        assert_eq!(i64::MIN.to_json(), i64::MIN.to_string());
    }

    #[test]
    fn containers_and_members_as_serde_json_writes_them() {
        let headers = vec![("a".to_owned(), "1".to_owned()), ("b\"".into(), "".into())];
        assert_eq!(headers.to_json(), serde_json::to_string(&headers).unwrap());
        let none: Option<&str> = None;
        let mut out = String::new();
        object(&mut out, |o| {
            o.add("n", &1.5)
                .add("s", "x")
                .add("absent", &none)
                .add_some("skipped", none)
                .add_some("kept", Some(&true))
                .add_raw("raw", "[{}]")
                .add("list", &[1u32, 2][..]);
        });
        assert_eq!(
            out,
            r#"{"n":1.5,"s":"x","absent":null,"kept":true,"raw":[{}],"list":[1,2]}"#
        );
        let mut empty = String::new();
        object(&mut empty, |_| {});
        assert_eq!(empty, "{}");
    }
}
