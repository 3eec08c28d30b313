//! Results for JS as a tape: the text of every string, number and piece of vendor JSON in
//! one string, and a list of 32-bit words saying what to build of it. js/shell/tape.js reads
//! it into the values `JSON.parse` would make of the same result's JSON, at under half the
//! cost: `JSON.parse` scans every byte of the text for its structure and copies each string
//! out of it, where the tape's reader takes its structure from the words and each string as
//! a slice of the one text, and takes keys and the few values every result repeats
//! (`"vendor"`, `"male"`) from a table of words it holds, never from the text
//! (BENCHMARKS.md, "Optimizations made").
//!
//! A word is a kind in its low 3 bits and a count above them: the members of an object (each
//! a key, then a value), the items of an array, the UTF-16 length of a string or of a
//! number's or a JSON value's text (each in the text, in the order of the words), a whole
//! number itself, or the index of a word of the reader's table. Lengths are UTF-16 code units
//! because those are what a JS string is sliced in. A count is under 2^29: a JS string is
//! shorter than that (V8's limit is 2^29 − 24 units), so no string of a result is longer.

use crate::write::number;
use crate::{Object, Value};

/// An object: the count is its members.
pub const OBJECT: u32 = 0;
/// An array: the count is its items.
pub const ARRAY: u32 = 1;
/// A string: the count is its length in the text.
pub const STRING: u32 = 2;
/// A word of the reader's table: the count is its index.
pub const WORD: u32 = 3;
/// A number written as text: the count is the text's length.
pub const NUMBER: u32 = 4;
/// A whole number from 0 to [`MAX_COUNT`]: the count is the number.
pub const WHOLE: u32 = 5;
/// A JSON value's text, for `JSON.parse`: the count is the text's length.
pub const JSON: u32 = 6;
/// `null`, `false` or `true`: the count is 0, 1 or 2.
pub const LITERAL: u32 = 7;

/// The largest count a word holds.
pub const MAX_COUNT: u32 = (1 << 29) - 1;

/// A value to be read as JS values from a tape.
pub trait ToTape {
    fn write_tape(&self, tape: &mut Tape);
}

/// `value` on a tape of its own. Not a provided method of [`ToTape`]: that would be a copy
/// for each type, in every build.
pub fn to_tape(value: &dyn ToTape) -> Tape {
    let mut tape = Tape::default();
    value.write_tape(&mut tape);
    tape
}

/// What one result hands to JS (see the module's comment).
#[derive(Debug, Default)]
pub struct Tape {
    pub text: String,
    pub words: Vec<u32>,
}

/// An object or array whose count is written when it is complete ([`Tape::close`]).
#[must_use]
pub struct Open(usize);

impl Tape {
    fn word(&mut self, kind: u32, count: usize) {
        debug_assert!(count <= MAX_COUNT as usize, "a tape's count is under 2^29");
        self.words.push(kind | (count as u32) << 3);
    }

    pub fn object(&mut self, members: usize) {
        self.word(OBJECT, members);
    }

    pub fn array(&mut self, items: usize) {
        self.word(ARRAY, items);
    }

    /// An object whose members are counted as they are written.
    pub fn open_object(&mut self) -> Open {
        self.words.push(OBJECT);
        Open(self.words.len() - 1)
    }

    /// Its count, now that its members (or items) are written.
    pub fn close(&mut self, open: Open, count: usize) {
        debug_assert!(count <= MAX_COUNT as usize, "a tape's count is under 2^29");
        self.words[open.0] |= (count as u32) << 3;
    }

    pub fn string(&mut self, text: &str) {
        self.word(STRING, utf16_len(text));
        self.text.push_str(text);
    }

    /// The reader's word `index` (a key or a value every result repeats).
    pub fn known(&mut self, index: u32) {
        self.word(WORD, index as usize);
    }

    pub fn number(&mut self, n: f64) {
        // `as` saturates (and takes NaN to 0), so only a whole number in range is the same
        // after the round trip; -0 is 0, as JSON writes it.
        let whole = n as u32;
        if whole <= MAX_COUNT && f64::from(whole) == n {
            self.word(WHOLE, whole as usize);
        } else {
            let start = self.text.len();
            number(&mut self.text, n);
            // The text of a number is ASCII: its length in bytes is its UTF-16 length.
            self.word(NUMBER, self.text.len() - start);
        }
    }

    pub fn boolean(&mut self, b: bool) {
        self.word(LITERAL, 1 + usize::from(b));
    }

    pub fn null(&mut self) {
        self.word(LITERAL, 0);
    }

    /// One JSON value's text (checked JSON: a vendor's, or this crate's writer's): a string
    /// without escapes, what most vendor fields are, is read as a string, anything else by
    /// `JSON.parse`.
    pub fn json(&mut self, json: &str) {
        match json.as_bytes() {
            [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => {
                // Between its quotes, where an unescaped JSON string holds its text as it is.
                self.string(crate::sub(json, 1..json.len() - 1));
            }
            _ => {
                self.word(JSON, utf16_len(json));
                self.text.push_str(json);
            }
        }
    }
}

/// The length of `text` in UTF-16 code units: a unit for each char, two for those past the
/// Basic Multilingual Plane (4 bytes in UTF-8).
pub fn utf16_len(text: &str) -> usize {
    if text.is_ascii() {
        return text.len();
    }
    text.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// What js/shell/tape.js builds of a tape, as a [`Value`] (`words`: its table), for tests
/// and tools in Rust; the package reads tapes only in JS.
pub fn read(tape: &Tape, words: &[&str]) -> Value {
    let units: Vec<u16> = tape.text.encode_utf16().collect();
    let mut reading = Reading {
        tape,
        words,
        units: &units,
        at: 0,
        pos: 0,
    };
    reading.value()
}

struct Reading<'t> {
    tape: &'t Tape,
    words: &'t [&'t str],
    units: &'t [u16],
    at: usize,
    pos: usize,
}

impl Reading<'_> {
    fn value(&mut self) -> Value {
        let word = self.tape.words[self.at];
        self.at += 1;
        let count = (word >> 3) as usize;
        match word & 7 {
            OBJECT => {
                let mut members = Object::new();
                for _ in 0..count {
                    let key = self.value();
                    members.insert(key.as_str().unwrap_or_default(), self.value());
                }
                Value::Object(members)
            }
            ARRAY => Value::Array((0..count).map(|_| self.value()).collect()),
            STRING => Value::String(self.slice(count)),
            WORD => Value::from(self.words[count]),
            NUMBER | JSON => crate::parse::<Value>(&self.slice(count)).unwrap_or(Value::Null),
            WHOLE => Value::Number(count as f64),
            _ => [Value::Null, Value::Bool(false), Value::Bool(true)][count].clone(),
        }
    }

    fn slice(&mut self, count: usize) -> String {
        let text = String::from_utf16_lossy(&self.units[self.pos..self.pos + count]);
        self.pos += count;
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::ToJson;
    use serde_json::{json, Value};

    /// [`super::read`], as serde_json reads its JSON.
    fn read(tape: &Tape, words: &[&str]) -> Value {
        serde_json::from_str(&super::read(tape, words).to_json()).unwrap()
    }

    #[test]
    fn strings_are_sliced_in_utf16_units() {
        let mut tape = Tape::default();
        tape.array(4);
        for text in ["ascii", "上海", "emoji 😀 and \u{7}", ""] {
            tape.string(text);
        }
        assert_eq!(utf16_len("😀"), 2);
        assert_eq!(utf16_len("上海"), 2);
        assert_eq!(
            read(&tape, &[]),
            json!(["ascii", "上海", "emoji 😀 and \u{7}", ""])
        );
    }

    #[test]
    fn numbers_whole_or_not_read_back_exactly() {
        let mut tape = Tape::default();
        let numbers = [
            0.0,
            7.0,
            f64::from(MAX_COUNT),
            f64::from(MAX_COUNT) + 1.0,
            -3.0,
            1.5,
            1_700_000_000_000.0,
        ];
        tape.array(numbers.len() + 2);
        for n in numbers {
            tape.number(n);
        }
        tape.number(-0.0);
        tape.number((usize::MAX >> 12) as f64);
        let words: Vec<u32> = tape.words[1..].iter().map(|w| w & 7).collect();
        assert_eq!(
            words,
            [WHOLE, WHOLE, WHOLE, NUMBER, NUMBER, NUMBER, NUMBER, WHOLE, NUMBER]
        );
        let read = read(&tape, &[]);
        assert_eq!(read[6], json!(1_700_000_000_000u64));
        // As `JSON.stringify` writes it, and so as a result's JSON carried it.
        assert_eq!(read[7], json!(0));
        assert_eq!(read[8].as_f64(), Some((usize::MAX >> 12) as f64));
        assert_eq!(
            &read.as_array().unwrap()[..6],
            &json!([0, 7, MAX_COUNT, MAX_COUNT + 1, -3, 1.5])
                .as_array()
                .unwrap()[..]
        );
    }

    #[test]
    fn vendor_json_is_read_as_json_parse_reads_it() {
        let texts = [
            r#""plain""#,
            r#""with \"escapes\" \u00e9""#,
            r#""""#,
            "null",
            "true",
            "false",
            "-12.5e-3",
            "0",
            r#"{"a":[1,"x",{"b":null}]}"#,
            "[]",
        ];
        let mut tape = Tape::default();
        tape.array(texts.len());
        for text in texts {
            tape.json(text);
        }
        let kinds: Vec<u32> = tape.words[1..].iter().map(|w| w & 7).collect();
        assert_eq!(
            kinds,
            [STRING, JSON, STRING, JSON, JSON, JSON, JSON, JSON, JSON, JSON]
        );
        let expected: Vec<Value> = texts
            .iter()
            .map(|t| serde_json::from_str(t).unwrap())
            .collect();
        assert_eq!(read(&tape, &[]), Value::Array(expected));
    }

    #[test]
    fn objects_take_keys_from_the_text_or_the_table_and_counts_written_late() {
        let mut tape = Tape::default();
        let open = tape.open_object();
        tape.known(1);
        tape.known(0);
        tape.string("ключ");
        tape.boolean(true);
        tape.close(open, 2);
        assert_eq!(
            read(&tape, &["male", "gender"]),
            json!({"gender": "male", "ключ": true})
        );
    }
}
