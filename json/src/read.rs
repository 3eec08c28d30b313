//! The JSON reader: one pass over the text, strings borrowed from it unless they hold an
//! escape, every value checked as `JSON.parse` checks it. It is a cursor the typed reads of
//! [`super`] drive ([`super::Read`], [`super::Fields`]), in place of serde's deserializer:
//! each serde struct was its own copy of the deserializer's code, and serde's error messages
//! brought float formatting into every `.wasm` (BENCHMARKS.md, "Size").
//!
//! An escaped lone surrogate, which `JSON.parse` takes, is read as U+FFFD.

use std::borrow::Cow;

use crate::sub;

/// The text is not JSON (or nests deeper than [`MAX_DEPTH`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotJson;

/// How deep arrays and objects may nest: serde_json's limit, which keeps the reader's
/// recursion well inside wasm's stack whatever a body holds.
pub const MAX_DEPTH: u32 = 128;

/// One JSON value's text, checked by the read that found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Raw<'a>(&'a str);

impl<'a> Raw<'a> {
    #[inline(always)]
    pub fn get(self) -> &'a str {
        self.0
    }

    /// Text known to be one JSON value (a read checked it before, or this crate wrote it),
    /// taken without another read (Kaixin001's users, read from JSON or written from XML).
    pub fn checked(text: &'a str) -> Self {
        Raw(text)
    }
}

/// A cursor over JSON text.
pub struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

impl<'a> Reader<'a> {
    pub fn new(text: &'a str) -> Self {
        Reader {
            text,
            at: 0,
            depth: 0,
        }
    }

    // Here and on a few other small functions: always inlined, since the core, built for
    // size (Cargo.toml), calls them per member read and would not inline them itself.
    #[inline(always)]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The first byte of the next value, after any whitespace.
    #[inline(always)]
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes().get(self.at) {
            self.at += 1;
        }
        self.bytes().get(self.at).copied()
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8) -> Result<(), NotJson> {
        if self.peek() != Some(byte) {
            return Err(NotJson);
        }
        self.at += 1;
        Ok(())
    }

    /// Nothing but whitespace is left.
    pub fn end(&mut self) -> Result<(), NotJson> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(NotJson),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), NotJson> {
        if !sub(self.text, self.at..).starts_with(word) {
            return Err(NotJson);
        }
        self.at += word.len();
        Ok(())
    }

    /// `null`, taken when it is next.
    pub fn null(&mut self) -> Result<bool, NotJson> {
        if self.peek() != Some(b'n') {
            return Ok(false);
        }
        self.literal("null")?;
        Ok(true)
    }

    /// `true` or `false`.
    pub fn boolean(&mut self) -> Result<bool, NotJson> {
        match self.peek() {
            Some(b't') => self.literal("true").map(|_| true),
            Some(b'f') => self.literal("false").map(|_| false),
            _ => Err(NotJson),
        }
    }

    /// A number's text: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    pub fn number(&mut self) -> Result<&'a str, NotJson> {
        self.peek();
        let bytes = self.bytes();
        let start = self.at;
        let mut at = start;
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at > from
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => {
                digits(&mut at);
            }
            _ => return Err(NotJson),
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                return Err(NotJson);
            }
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            if !digits(&mut at) {
                return Err(NotJson);
            }
        }
        self.at = at;
        Ok(sub(self.text, start..at))
    }

    /// A string, borrowed from the text unless it holds an escape.
    pub fn string(&mut self) -> Result<Cow<'a, str>, NotJson> {
        self.expect(b'"')?;
        let bytes = self.bytes();
        let start = self.at;
        let mut at = start;
        loop {
            match bytes.get(at) {
                Some(b'"') => {
                    self.at = at + 1;
                    return Ok(Cow::Borrowed(sub(self.text, start..at)));
                }
                Some(b'\\') => break,
                Some(0..=0x1f) | None => return Err(NotJson),
                Some(_) => at += 1,
            }
        }
        let mut owned = String::with_capacity(at - start + 16);
        owned.push_str(sub(self.text, start..at));
        self.at = at;
        loop {
            match bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Cow::Owned(owned));
                }
                Some(b'\\') => {
                    self.at += 1;
                    owned.push(self.escape()?);
                }
                Some(0..=0x1f) | None => return Err(NotJson),
                Some(_) => {
                    let from = self.at;
                    while !matches!(bytes.get(self.at), Some(b'"' | b'\\' | 0..=0x1f) | None) {
                        self.at += 1;
                    }
                    owned.push_str(sub(self.text, from..self.at));
                }
            }
        }
    }

    /// A string checked and passed over, nothing built.
    fn skip_string(&mut self) -> Result<(), NotJson> {
        self.expect(b'"')?;
        let bytes = self.bytes();
        loop {
            match bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.at += 1;
                    self.escape()?;
                }
                Some(0..=0x1f) | None => return Err(NotJson),
                Some(_) => self.at += 1,
            }
        }
    }

    /// The character of the escape after a backslash.
    fn escape(&mut self) -> Result<char, NotJson> {
        let byte = *self.bytes().get(self.at).ok_or(NotJson)?;
        self.at += 1;
        let plain = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.code_unit()?;
                let character = match unit {
                    0xD800..=0xDBFF if sub(self.text, self.at..).starts_with("\\u") => {
                        let at = self.at;
                        self.at += 2;
                        let low = self.code_unit()?;
                        if (0xDC00..=0xDFFF).contains(&low) {
                            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                            char::from_u32(code)
                        } else {
                            // A lone high surrogate: the escape after it is read on its own.
                            self.at = at;
                            None
                        }
                    }
                    unit => char::from_u32(unit),
                };
                character.unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            _ => return Err(NotJson),
        };
        Ok(plain)
    }

    /// The four hex digits of a `\u` escape.
    fn code_unit(&mut self) -> Result<u32, NotJson> {
        let digits = self.text.get(self.at..self.at + 4).ok_or(NotJson)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NotJson);
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| NotJson)
    }

    /// An object: `member` reads the value of each key (every value must be read).
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), NotJson>,
    ) -> Result<(), NotJson> {
        self.container(b'{', b'}', &mut |reader: &mut Self| {
            let key = reader.string()?;
            reader.expect(b':')?;
            member(reader, key)
        })
    }

    /// An array: `item` reads each element.
    pub fn array(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<(), NotJson>,
    ) -> Result<(), NotJson> {
        self.container(b'[', b']', &mut item)
    }

    /// `open`, what `each` reads, separated by commas, then `close`; one level deeper while
    /// it reads.
    fn container(&mut self, open: u8, close: u8, each: &mut dyn Each<'a>) -> Result<(), NotJson> {
        self.expect(open)?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(NotJson);
        }
        if self.peek() == Some(close) {
            self.at += 1;
        } else {
            loop {
                each.read(self)?;
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(byte) if byte == close => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(NotJson),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Any value, checked and passed over: its text.
    pub fn skip(&mut self) -> Result<Raw<'a>, NotJson> {
        let first = self.peek().ok_or(NotJson)?;
        let start = self.at;
        match first {
            b'{' => self.object(|reader, _| reader.skip().map(drop))?,
            b'[' => self.array(|reader| reader.skip().map(drop))?,
            b'"' => self.skip_string()?,
            b't' | b'f' => drop(self.boolean()?),
            b'n' => self.literal("null")?,
            _ => drop(self.number()?),
        }
        Ok(Raw(sub(self.text, start..self.at)))
    }
}

/// What a container's loop calls for each member or element. A trait of its own, not
/// `dyn FnMut`: that vtable also holds a `call_once`, a second copy of each closure's body
/// that nothing calls, but that the .wasm keeps (its function table holds it).
trait Each<'a> {
    fn read(&mut self, reader: &mut Reader<'a>) -> Result<(), NotJson>;
}

impl<'a, F: FnMut(&mut Reader<'a>) -> Result<(), NotJson>> Each<'a> for F {
    fn read(&mut self, reader: &mut Reader<'a>) -> Result<(), NotJson> {
        self(reader)
    }
}
