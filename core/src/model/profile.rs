//! The one profile shape every vendor is normalized into.

use crate::json::Raw;

use super::VendorKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    Unknown,
}

/// `Profile` (js/shell/types.d.ts), written as JSON by core/src/model/write.rs. Numbers are `f64` because that is what they become in JS anyway, and a
/// RongCloud `version` (a millisecond-scale long) fits exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    pub vendor: VendorKey,
    pub id: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub gender: Gender,
    pub birthday: Option<String>,
    pub location: Option<String>,
    pub email: Option<String>,
    pub level: Option<f64>,
    pub role: Option<f64>,
    pub signature: Option<String>,
    pub created_at: Option<f64>,
    pub updated_at: Option<f64>,
    pub active: Option<bool>,
    pub version: Option<f64>,
    pub custom: Custom,
    pub raw: Option<RawJson>,
}

impl Profile {
    /// A profile with only its identity: every optional field empty, gender unknown.
    pub fn new(vendor: VendorKey, id: impl Into<String>) -> Self {
        Profile {
            vendor,
            id: id.into(),
            name: None,
            avatar_url: None,
            gender: Gender::Unknown,
            birthday: None,
            location: None,
            email: None,
            level: None,
            role: None,
            signature: None,
            created_at: None,
            updated_at: None,
            active: None,
            version: None,
            custom: Custom::default(),
            raw: None,
        }
    }
}

/// A piece of JSON kept as the vendor's own text: checked once by the read that found it,
/// written out as it came, never built into a value tree (the cost the lean parsers of
/// BENCHMARKS.md removed).
#[derive(Clone, Debug, PartialEq)]
pub struct RawJson(Box<str>);

impl RawJson {
    pub fn new(raw: Raw) -> Self {
        RawJson(raw.get().into())
    }

    pub fn null() -> Self {
        RawJson("null".into())
    }

    /// JSON this crate wrote (crate::json::write), kept without a read (Kaixin001's XML users).
    #[cfg(feature = "kaixin")]
    pub(crate) fn written(json: String) -> Self {
        RawJson(json.into())
    }

    /// `text` when it is one JSON value (for tests).
    #[cfg(test)]
    pub fn parse(text: &str) -> Option<Self> {
        crate::json::parse::<Raw>(text).ok().map(RawJson::new)
    }

    pub fn get(&self) -> &str {
        &self.0
    }

    /// The value, as serde_json reads it (for tests).
    #[cfg(test)]
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.get()).unwrap_or(serde_json::Value::Null)
    }
}

/// A profile's vendor fields beyond the common shape, in the vendor's order; a key given
/// twice keeps its place and takes the later value (what `Object.assign` does in JS).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Custom(Vec<(String, RawJson)>);

impl Custom {
    pub fn insert(&mut self, key: impl Into<String>, value: RawJson) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// The member `key`, as serde_json reads it (for tests).
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<serde_json::Value> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.to_value())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All of it as one JSON object, as serde_json reads it (for tests).
    #[cfg(test)]
    pub fn to_value(&self) -> serde_json::Value {
        let members = self.0.iter().map(|(k, v)| (k.clone(), v.to_value()));
        serde_json::Value::Object(members.collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Its members, in the vendor's order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &RawJson)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}
