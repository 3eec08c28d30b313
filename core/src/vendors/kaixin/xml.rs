//! Kaixin's XML answers, read into the shape its JSON answers have, so that both normalize
//! the same way.
//!
//! The reader is our own, and small: Kaixin's documents are elements and text, nothing else
//! that carries data, and an XML crate (quick-xml) was 12 KB of every build holding Kaixin001
//! (BENCHMARKS.md). It reads what XML 1.0 allows around that data, and keeps none of it: the
//! declaration, processing instructions, comments, a DOCTYPE (internal subset included) and
//! attributes. Text is taken with its references resolved (the five predefined entities and
//! character references; any other entity is refused), CDATA sections as they are, and line
//! ends normalized to `\n` (XML 1.0, section 2.11). End tags must match their start tags.

use std::borrow::Cow;

use super::{User, LIST_FIELDS};
use crate::json::write::{array, object, string, ToJson};
use crate::model::{position_of, sub, RawJson};

/// XML nesting deeper than any Kaixin document is refused rather than followed.
const MAX_XML_DEPTH: usize = 16;

/// What a document holds, piece by piece, in order.
#[derive(Debug, PartialEq)]
enum Token<'a> {
    /// `<name …>`, by its qualified name.
    Open(&'a str),
    /// `<name …/>`
    Empty(&'a str),
    /// `</name>`
    Close(&'a str),
    /// Character data: the text between markup, or a CDATA section's content.
    Text(&'a str),
    /// `&…;`: what stands between the `&` and the `;`.
    Reference(&'a str),
    /// The declaration, a processing instruction, a comment or a DOCTYPE.
    Ignored,
}

/// The document's tokens, read from the front; an error names the byte where the token that
/// could not be read starts.
struct Tokens<'a> {
    xml: &'a str,
    at: usize,
}

impl<'a> Tokens<'a> {
    fn new(xml: &'a str) -> Self {
        Tokens { xml, at: 0 }
    }

    fn next(&mut self) -> Result<Option<Token<'a>>, String> {
        let rest = sub(self.xml, self.at..);
        let read = match rest.as_bytes().first() {
            None => return Ok(None),
            Some(b'<') => markup(rest),
            Some(b'&') => rest
                .find(';')
                .map(|end| (Token::Reference(sub(rest, 1..end)), end + 1))
                .ok_or("a reference without its ';'"),
            Some(_) => {
                let end = rest.find(['<', '&']).unwrap_or(rest.len());
                Ok((Token::Text(sub(rest, ..end)), end))
            }
        };
        let (token, length) =
            read.map_err(|what| format!("malformed XML at byte {}: {what}", self.at))?;
        self.at += length;
        Ok(Some(token))
    }
}

/// The markup at the start of `rest` (which starts with `<`), and its length in bytes.
fn markup(rest: &str) -> Result<(Token<'_>, usize), &'static str> {
    // A construct that ends at the first `close` after `open`.
    let delimited = |open: &str, close: &str| {
        position_of(sub(rest, open.len()..), close)
            .map(|end| (open.len() + end, open.len() + end + close.len()))
    };
    if rest.starts_with("<!--") {
        let (_, length) = delimited("<!--", "-->").ok_or("a comment without its end")?;
        Ok((Token::Ignored, length))
    } else if rest.starts_with("<![CDATA[") {
        let (end, length) =
            delimited("<![CDATA[", "]]>").ok_or("a CDATA section without its end")?;
        Ok((Token::Text(sub(rest, "<![CDATA[".len()..end)), length))
    } else if rest.starts_with("<?") {
        let (_, length) =
            delimited("<?", "?>").ok_or("a processing instruction without its end")?;
        Ok((Token::Ignored, length))
    } else if rest.starts_with("<!") {
        let end = tag_end(rest, true).ok_or("a declaration without its end")?;
        Ok((Token::Ignored, end + 1))
    } else if let Some(tag) = rest.strip_prefix("</") {
        let end = tag.find('>').ok_or("an end tag without its '>'")?;
        Ok((
            Token::Close(sub(tag, ..end).trim_end_matches(is_space)),
            end + 3,
        ))
    } else {
        let end = tag_end(rest, false).ok_or("a start tag without its '>'")?;
        let (inside, empty) = match sub(rest, 1..end).strip_suffix('/') {
            Some(inside) => (inside, true),
            None => (sub(rest, 1..end), false),
        };
        let name = inside.split(is_space).next().unwrap_or_default();
        if name.is_empty() {
            return Err("a start tag without a name");
        }
        Ok((
            if empty {
                Token::Empty(name)
            } else {
                Token::Open(name)
            },
            end + 1,
        ))
    }
}

/// XML's whitespace (section 2.3, `S`).
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Where the tag at the start of `rest` ends: its first `>` outside quoted attribute values
/// (and, for a DOCTYPE, outside its `[…]` internal subset).
fn tag_end(rest: &str, with_subset: bool) -> Option<usize> {
    let mut quote = None;
    let mut depth = 0usize;
    for (at, byte) in rest.bytes().enumerate() {
        match (quote, byte) {
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(byte),
            (None, b'[') if with_subset => depth += 1,
            (None, b']') if with_subset => depth = depth.saturating_sub(1),
            (None, b'>') if depth == 0 => return Some(at),
            _ => {}
        }
    }
    None
}

/// The local part of a qualified name (`k:user` → `user`).
fn local_name(name: &str) -> &str {
    name.split_once(':').map_or(name, |(_, local)| local)
}

/// What a reference stands for: a character reference's character, or one of the five
/// entities XML predefines.
fn resolve(reference: &str) -> Result<char, String> {
    if let Some(number) = reference.strip_prefix('#') {
        let (digits, radix) = match number.strip_prefix('x') {
            Some(hex) => (hex, 16),
            None => (number, 10),
        };
        return digits
            .chars()
            .try_fold(0u32, |code, c| {
                code.checked_mul(radix)?.checked_add(c.to_digit(radix)?)
            })
            .filter(|_| !digits.is_empty())
            .filter(|&code| code != 0)
            .and_then(char::from_u32)
            .ok_or_else(|| "an invalid XML character reference".to_owned());
    }
    match reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(format!(
            "unknown XML entity &{};",
            crate::model::first_chars(other, 32)
        )),
    }
}

/// `text` with its line ends as XML 1.0 reads them: `\r\n` and a lone `\r` become `\n`.
fn push_normalized(out: &mut String, text: &str) {
    let mut lines = text.split('\r');
    out.push_str(lines.next().unwrap_or_default());
    for line in lines {
        out.push('\n');
        out.push_str(line.strip_prefix('\n').unwrap_or(line));
    }
}

/// The concatenated text of an XML document (for error messages only): as far as it reads,
/// every piece of markup a space.
pub(super) fn xml_text(xml: &str) -> String {
    let mut tokens = Tokens::new(xml);
    let mut out = String::new();
    while let Ok(Some(token)) = tokens.next() {
        match token {
            Token::Text(text) => out.push_str(text),
            Token::Reference(reference) => out.push(resolve(reference).unwrap_or(' ')),
            _ => out.push(' '),
        }
    }
    out
}

/// An XML element as a tree: its text and its element children.
struct Element<'a> {
    /// The qualified name, as the start tag has it.
    name: &'a str,
    text: String,
    children: Vec<Element<'a>>,
}

/// A leaf is its trimmed text; a container (`education`, `career`, even when empty) is an
/// array with one object per child element, its fields in document order — the shape the
/// JSON answer has.
impl ToJson for Element<'_> {
    fn write_json(&self, out: &mut String) {
        if self.children.is_empty() && !LIST_FIELDS.contains(&local_name(self.name)) {
            return string(out, self.text.trim());
        }
        array(out, &self.children, |out, entry| {
            object(out, |o| {
                for field in &entry.children {
                    o.add(local_name(field.name), field.text.trim());
                }
            });
        });
    }
}

impl<'a> Element<'a> {
    fn new(name: &'a str) -> Self {
        Element {
            name,
            text: String::new(),
            children: Vec::new(),
        }
    }

    /// A user's fields in document order, each as JSON.
    fn into_user(self) -> Vec<(&'a str, String)> {
        self.children
            .into_iter()
            .map(|child| (local_name(child.name), child.to_json()))
            .collect()
    }
}

/// A finished element goes into its parent, or is the root: a second root would silently
/// replace the first, so it is refused (a well-formed document has exactly one).
fn place<'a>(
    stack: &mut [Element<'a>],
    root: &mut Option<Element<'a>>,
    element: Element<'a>,
) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_some() => {
            return Err("the XML document has more than one root element".into())
        }
        None => *root = Some(element),
    }
    Ok(())
}

fn parse_xml_tree(xml: &str) -> Result<Element<'_>, String> {
    let mut tokens = Tokens::new(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    while let Some(token) = tokens.next()? {
        match token {
            Token::Open(name) => {
                if stack.len() >= MAX_XML_DEPTH {
                    return Err("XML nested too deeply".into());
                }
                stack.push(Element::new(name));
            }
            Token::Empty(name) => place(&mut stack, &mut root, Element::new(name))?,
            Token::Close(name) => {
                let element = stack.pop().ok_or("unbalanced XML")?;
                if element.name != name {
                    return Err("unbalanced XML: an end tag does not match its start tag".into());
                }
                place(&mut stack, &mut root, element)?;
            }
            // Text outside the root element is whitespace in a well-formed document.
            Token::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    push_normalized(&mut current.text, text);
                }
            }
            Token::Reference(reference) => {
                let resolved = resolve(reference)?;
                if let Some(current) = stack.last_mut() {
                    current.text.push(resolved);
                }
            }
            Token::Ignored => {}
        }
    }
    if !stack.is_empty() {
        return Err("the XML document ends inside an element".into());
    }
    root.ok_or_else(|| "the XML document has no root element".into())
}

/// The users of an XML answer: one `<user>` document, or `<users><user>…</user></users>`.
pub(super) fn xml_users<'a>(body: &'a str, include_raw: bool) -> Result<Vec<User<'a>>, String> {
    let root = parse_xml_tree(body)?;
    let user = |element: Element<'a>| {
        let members = element.into_user();
        // includeRaw: the user as one JSON object, its fields in document order.
        let raw = include_raw.then(|| {
            let mut text = String::new();
            object(&mut text, |o| {
                for (key, value) in &members {
                    o.add_raw(key, value);
                }
            });
            RawJson::written(text)
        });
        User {
            members: members
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), Cow::Owned(v)))
                .collect(),
            raw,
        }
    };
    match local_name(root.name) {
        "user" => Ok(vec![user(root)]),
        "users" => Ok(root
            .children
            .into_iter()
            .filter(|c| local_name(c.name) == "user")
            .map(user)
            .collect()),
        other => Err(format!(
            "unexpected XML root element <{}>",
            crate::model::first_chars(other, 32)
        )),
    }
}

#[cfg(test)]
mod tests;
