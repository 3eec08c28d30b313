//! Kaixin's XML answers, read into the shape its JSON answers have, so that both normalize
//! the same way.

use quick_xml::events::Event;
use quick_xml::Reader;

use std::borrow::Cow;

use super::{User, LIST_FIELDS};
use crate::json::write::{array, object, string, ToJson};
use crate::model::RawJson;

/// XML nesting deeper than any Kaixin document is refused rather than followed.
const MAX_XML_DEPTH: usize = 16;

/// The concatenated text of an XML document (for error messages only).
pub(super) fn xml_text(xml: &str) -> String {
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Text(t) => out.push_str(&t.decode().unwrap_or_default()),
            Event::Eof => break,
            _ => out.push(' '),
        }
    }
    out
}

/// An XML element as a tree: its text and its element children.
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

/// A leaf is its trimmed text; a container (`education`, `career`, even when empty) is an
/// array with one object per child element, its fields in document order — the shape the
/// JSON answer has.
impl ToJson for Element {
    fn write_json(&self, out: &mut String) {
        if self.children.is_empty() && !LIST_FIELDS.contains(&self.name.as_str()) {
            return string(out, self.text.trim());
        }
        array(out, &self.children, |out, entry| {
            object(out, |o| {
                for field in &entry.children {
                    o.add(&field.name, field.text.trim());
                }
            });
        });
    }
}

impl Element {
    /// A user's fields in document order, each as JSON.
    fn into_user(self) -> Vec<(String, String)> {
        self.children
            .into_iter()
            .map(|child| (child.name.clone(), child.to_json()))
            .collect()
    }
}

/// A finished element goes into its parent, or is the root: a second root would silently
/// replace the first, so it is refused (a well-formed document has exactly one).
fn place(
    stack: &mut [Element],
    root: &mut Option<Element>,
    element: Element,
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

fn parse_xml_tree(xml: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let open = |name: &[u8]| Element {
        name: String::from_utf8_lossy(name).into_owned(),
        text: String::new(),
        children: Vec::new(),
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_XML_DEPTH {
                    return Err("XML nested too deeply".into());
                }
                stack.push(open(start.local_name().as_ref()));
            }
            Event::Empty(empty) => {
                let element = open(empty.local_name().as_ref());
                place(&mut stack, &mut root, element)?;
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unbalanced XML")?;
                place(&mut stack, &mut root, element)?;
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    let text = text.xml_content().map_err(|e| e.to_string())?;
                    current.text.push_str(&text);
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&data.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(reference) => {
                let Some(current) = stack.last_mut() else {
                    continue;
                };
                let resolved = match reference.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference.decode().map_err(|e| e.to_string())?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown XML entity &{name};"))?
                            .to_owned()
                    }
                };
                current.text.push_str(&resolved);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err("the XML document ends inside an element".into());
    }
    root.ok_or_else(|| "the XML document has no root element".into())
}

/// The users of an XML answer: one `<user>` document, or `<users><user>…</user></users>`.
pub(super) fn xml_users(body: &str, include_raw: bool) -> Result<Vec<User<'static>>, String> {
    let root = parse_xml_tree(body)?;
    let user = |element: Element| {
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
        let members = members.into_iter();
        User {
            members: members
                .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
                .collect(),
            raw,
        }
    };
    match root.name.as_str() {
        "user" => Ok(vec![user(root)]),
        "users" => Ok(root
            .children
            .into_iter()
            .filter(|c| c.name == "user")
            .map(user)
            .collect()),
        other => Err(format!(
            "unexpected XML root element <{}>",
            other.chars().take(32).collect::<String>()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_root_element_is_refused_not_taken() {
        let two =
            "<users><user><uid>1</uid></user></users><users><user><uid>2</uid></user></users>";
        let Err(error) = parse_xml_tree(two) else {
            panic!("two roots were read")
        };
        assert!(error.contains("more than one root"), "{error}");
        assert!(parse_xml_tree("<user/><user/>").is_err());
        assert!(parse_xml_tree("<?xml version=\"1.0\"?><users/>").is_ok());
        let deep = "<a>".repeat(100);
        assert!(parse_xml_tree(&deep).is_err(), "nested too deeply");
    }
}
