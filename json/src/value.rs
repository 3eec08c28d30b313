//! A JSON value held whole: what a caller's plain object holds (a config, a call's options,
//! as `JSON.stringify` writes them) and what `toJSON()` describes. Small and read once, so
//! a tree is the simple choice here; responses are never read into one.

use super::read::{NotJson, Reader};
use super::write::{object, string, ToJson};
use super::Read;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Object),
}

/// An object's members in their order (a key given twice keeps its place and takes the
/// later value, as in `JSON.parse`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object(Vec<(String, Value)>);

impl Object {
    pub fn new() -> Self {
        Object::default()
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        self.set(key.into(), value.into());
    }

    /// [`Object::insert`]'s work, in one copy for every type it takes.
    fn set(&mut self, key: String, value: Value) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(member) => member.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl<'a> Read<'a> for Value {
    fn read(reader: &mut Reader<'a>) -> Result<Self, NotJson> {
        Ok(match reader.peek().ok_or(NotJson)? {
            b'{' => {
                let mut members = Object::new();
                reader.object(|reader, key| {
                    members.insert(key, Value::read(reader)?);
                    Ok(())
                })?;
                Value::Object(members)
            }
            b'[' => {
                let mut items = Vec::new();
                reader.array(|reader| {
                    items.push(Value::read(reader)?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            b'"' => Value::String(reader.string()?.into_owned()),
            b't' | b'f' => Value::Bool(reader.boolean()?),
            b'n' => {
                reader.null()?;
                Value::Null
            }
            // Past a double: `null`, as `JSON.stringify` writes Infinity.
            _ => crate::decimal::parse(reader.number()?).map_or(Value::Null, Value::Number),
        })
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(n) => n.write_json(out),
            Value::String(s) => string(out, s),
            Value::Array(items) => items.write_json(out),
            Value::Object(members) => members.write_json(out),
        }
    }
}

impl ToJson for Object {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            for (key, value) in self.iter() {
                o.add(key, value);
            }
        });
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

/// Whole numbers of the types configs count in (all within a double's exact range).
macro_rules! from_whole {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Value::Number(n as f64)
            }
        }
    )*};
}
from_whole!(u32, u64, usize);

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Self {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}
