//! Results for JS as a tape: the text of every short string and number, one after another,
//! a JSON array of every long string and every piece of vendor JSON, and a list of 32-bit
//! words saying what to build of it all. js/shell/tape.js reads it into the values
//! `JSON.parse` would make of the same result's JSON, at about half the cost: `JSON.parse`
//! scans every byte for the structure and builds every object key by key, where the tape's
//! reader takes the structure from the words, keys and the few values every result repeats
//! (`"vendor"`, `"male"`) from a table of words it holds, short strings out of the text by
//! their length, and the long ones from one `JSON.parse` of an array of strings, with no
//! objects to build (BENCHMARKS.md, "Optimizations made").
//!
//! Why not every string a slice of the text: in V8 a slice of [`SHORT`] units or more is a
//! view that keeps the whole text alive, so one profile kept of a request would keep all of
//! the request's text; copying each out again cost most of what the tape saves. A shorter
//! one is a copy, and so is a key of any length (an object holds its keys interned). And the
//! text is two, what is ASCII and what is not: a JS string with one character past Latin-1
//! is stored two bytes a character, and so would be every string taken out of it, where
//! `JSON.parse` makes each one byte a character when it can.
//!
//! A word is a kind in its low 3 bits and a count above them: the members of an object (each
//! a key, then a value), the items of an array, a whole number itself, the index of a word
//! of the reader's table, or the length of a text: a number's (ASCII), or a short string's,
//! its length times two, plus one when it is in the text that is not ASCII.
//! Lengths are UTF-16 code units, what a JS string is sliced in. A count from [`LONG`] up is
//! [`LONG`] in the word and the count itself in the next.

use crate::write::number;
use crate::{Object, Value};

/// An object: the count is its members.
pub const OBJECT: u32 = 0;
/// An array: the count is its items.
pub const ARRAY: u32 = 1;
/// A string shorter than [`SHORT`], or a key: the count is its length in its text, times
/// two, plus one if that is the text that is not ASCII.
pub const STRING: u32 = 2;
/// A word of the reader's table: the count is its index.
pub const WORD: u32 = 3;
/// A number written as text: the count is the text's length.
pub const NUMBER: u32 = 4;
/// A whole number under [`LONG`]: the count is the number.
pub const WHOLE: u32 = 5;
/// The next item of the JSON array: a long string or a vendor's JSON value.
pub const JSON: u32 = 6;
/// `null`, `false` or `true`: the count is 0, 1 or 2.
pub const LITERAL: u32 = 7;

/// Strings from this many UTF-16 units go to the JSON array (V8's SlicedString::kMinLength).
pub const SHORT: usize = 13;

/// The count that says the count is the next word: the largest a word holds.
pub const LONG: u32 = (1 << 29) - 1;

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
    /// The texts that are ASCII.
    pub text: String,
    /// The texts that are not.
    pub wide: String,
    /// The items of the JSON array, without its brackets.
    pub json: String,
    pub words: Vec<u32>,
}

/// An object whose count is written when its members are ([`Tape::close`]).
#[must_use]
pub struct Open(usize);

impl Tape {
    fn word(&mut self, kind: u32, count: usize) {
        if count < LONG as usize {
            self.words.push(kind | (count as u32) << 3);
        } else {
            // Wasm memory is 4 GiB at most, so no count is past a u32.
            self.words.extend([kind | LONG << 3, count as u32]);
        }
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

    /// Its count, now that its members are written: fewer than [`LONG`] (an object's
    /// members are a profile's fields, or a result's few lists).
    pub fn close(&mut self, open: Open, count: usize) {
        self.words[open.0] |= (count as u32) << 3;
    }

    pub fn string(&mut self, text: &str) {
        if !self.short(text) {
            self.item();
            crate::write::string(&mut self.json, text);
        }
    }

    /// An object's key, however long, in the text it belongs to: the engine keeps a key as
    /// its own interned string, never the text it was sliced from.
    pub fn key(&mut self, key: &str) {
        self.piece(key, utf16_len(key));
    }

    /// `text` in the text it belongs to, and its word, if it is shorter than [`SHORT`].
    fn short(&mut self, text: &str) -> bool {
        let units = utf16_len(text);
        if units >= SHORT {
            return false;
        }
        self.piece(text, units);
        true
    }

    /// `text`, `units` long in UTF-16, in the text it belongs to, and its word.
    fn piece(&mut self, text: &str, units: usize) {
        // A char past ASCII is more bytes in UTF-8 than units in UTF-16.
        let wide = units != text.len();
        self.word(STRING, units << 1 | usize::from(wide));
        if wide {
            self.wide.push_str(text);
        } else {
            self.text.push_str(text);
        }
    }

    /// The word of the JSON array's next item, and the comma before it.
    fn item(&mut self) {
        self.word(JSON, 0);
        if !self.json.is_empty() {
            self.json.push(',');
        }
    }

    /// The reader's word `index` (a key or a value every result repeats).
    pub fn known(&mut self, index: u32) {
        self.word(WORD, index as usize);
    }

    pub fn number(&mut self, n: f64) {
        // `as` saturates (and takes NaN to 0), so only a whole number in range is the same
        // after the round trip; -0 is 0, as JSON writes it.
        let whole = n as u32;
        if whole < LONG && f64::from(whole) == n {
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

    /// One JSON value's text (checked JSON: a vendor's, or this crate's writer's): a string
    /// without escapes, what most vendor fields are, is read as a string, anything else by
    /// `JSON.parse`.
    pub fn json(&mut self, json: &str) {
        match json.as_bytes() {
            // Between its quotes, an unescaped JSON string holds its text as it is.
            [b'"', inner @ .., b'"']
                if !inner.contains(&b'\\') && self.short(crate::sub(json, 1..json.len() - 1)) => {}
            _ => {
                self.item();
                self.json.push_str(json);
            }
        }
    }
}

/// The length of `text` in UTF-16 code units: a unit for each char, two for those past the
/// Basic Multilingual Plane (4 bytes in UTF-8).
pub fn utf16_len(text: &str) -> usize {
    text.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

/// What js/shell/tape.js builds of a tape, as a [`Value`] (`words`: its table), for tests
/// and tools in Rust; the package reads tapes only in JS.
pub fn read(tape: &Tape, words: &[&str]) -> Value {
    let mut reading = Reading {
        tape,
        words,
        texts: [&tape.text, &tape.wide].map(|text| text.encode_utf16().collect()),
        items: match crate::parse::<Value>(&format!("[{}]", tape.json)) {
            Ok(Value::Array(items)) => items.into_iter(),
            _ => Vec::new().into_iter(),
        },
        at: 0,
        pos: [0, 0],
    };
    reading.value()
}

struct Reading<'t> {
    tape: &'t Tape,
    words: &'t [&'t str],
    /// The two texts, ASCII and not, and where the next piece of each starts.
    texts: [Vec<u16>; 2],
    /// The JSON array's items, in order.
    items: std::vec::IntoIter<Value>,
    at: usize,
    pos: [usize; 2],
}

impl Reading<'_> {
    fn value(&mut self) -> Value {
        let word = self.tape.words[self.at];
        self.at += 1;
        let mut count = (word >> 3) as usize;
        if count == LONG as usize {
            count = self.tape.words[self.at] as usize;
            self.at += 1;
        }
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
            STRING => Value::String(self.slice(count >> 1, count & 1)),
            WORD => Value::from(self.words[count]),
            NUMBER => crate::parse::<Value>(&self.slice(count, 0)).unwrap_or(Value::Null),
            JSON => self.items.next().unwrap_or(Value::Null),
            WHOLE => Value::Number(count as f64),
            _ => [Value::Null, Value::Bool(false), Value::Bool(true)][count].clone(),
        }
    }

    fn slice(&mut self, length: usize, wide: usize) -> String {
        let start = self.pos[wide];
        self.pos[wide] += length;
        String::from_utf16_lossy(&self.texts[wide][start..start + length])
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
    fn short_strings_go_to_their_text_and_long_ones_to_the_json_array() {
        let texts = [
            "ascii",
            "上海",
            "12 chars 😀",
            "emoji 😀 and \u{7}",
            "",
            "twelve chars",
            "thirteen char",
            "\"quoted\" \\ back",
        ];
        let mut tape = Tape::default();
        tape.array(texts.len());
        for text in texts {
            tape.string(text);
        }
        assert_eq!(utf16_len("😀"), 2);
        assert_eq!(utf16_len("上海"), 2);
        assert_eq!(
            (tape.text.as_str(), tape.wide.as_str()),
            ("asciitwelve chars", "上海12 chars 😀")
        );
        let long = r#""emoji 😀 and \u0007","thirteen char","\"quoted\" \\ back""#;
        assert_eq!(tape.json, long);
        assert_eq!(read(&tape, &[]), json!(texts));
    }

    #[test]
    fn numbers_whole_or_not_read_back_exactly() {
        let mut tape = Tape::default();
        let numbers = [
            0.0,
            7.0,
            f64::from(LONG - 1),
            f64::from(LONG),
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
            &json!([0, 7, LONG - 1, LONG, -3, 1.5]).as_array().unwrap()[..]
        );
    }

    #[test]
    fn a_count_past_a_word_takes_the_next_word() {
        let mut tape = Tape::default();
        tape.array(LONG as usize - 1);
        tape.array(LONG as usize);
        tape.word(STRING, 1 << 31);
        let long = ARRAY | LONG << 3;
        assert_eq!(
            tape.words,
            [
                ARRAY | (LONG - 1) << 3,
                long,
                LONG,
                STRING | LONG << 3,
                1 << 31
            ]
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
        tape.key("ключ");
        tape.boolean(true);
        tape.key("a key of more than 13 units");
        tape.boolean(false);
        tape.close(open, 3);
        assert_eq!(tape.text, "a key of more than 13 units");
        assert_eq!(
            read(&tape, &["male", "gender"]),
            json!({"gender": "male", "ключ": true, "a key of more than 13 units": false})
        );
    }
}
