//! The one profile shape every vendor is normalized into.

use serde::Serialize;
use serde_json::{Map, Value};

use super::VendorKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Male,
    Female,
    Unknown,
}

/// `Profile` (js/shell/types.d.ts). Numbers are `f64` because that is what they become in JS anyway, and a
/// RongCloud `version` (a millisecond-scale long) fits exactly.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub vendor: VendorKey,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    pub gender: Gender,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<f64>,
    pub custom: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
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
            custom: Map::new(),
            raw: None,
        }
    }
}
