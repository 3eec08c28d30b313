//! What a vendor module tells the rest of the project about itself: its key, how a person
//! names it, its credential modes (which keys, which are secrets, which mode a browser may
//! hold), the environment variables the command line reads them from, and its limits. The
//! package exports the list (`vendors()`), and the command line's vendor list, usage and
//! environment reading, the console's credential forms and the TypeScript `Vendor` union are
//! made from it, so a new vendor module is all they need.

use serde::Serialize;

use super::Vendor;
use crate::model::{ProfileError, VendorKey};
use crate::reader::ObjectReader;

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldKind {
    Text,
    Number,
    /// A credential: never printed, and masked in forms.
    Secret,
    /// A function of the caller's (a signer): a form asks for an endpoint that computes it.
    Function,
}

/// One config key a person fills in.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// The config key; a nested one as `oauth1.consumerKey`.
    pub key: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    /// The environment variable the command line reads it from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<&'static str>,
    /// Not needed (a region with a default).
    pub optional: bool,
}

impl Field {
    pub const fn text(key: &'static str, label: &'static str, env: &'static str) -> Self {
        Field {
            key,
            label,
            kind: FieldKind::Text,
            env: Some(env),
            optional: false,
        }
    }

    pub const fn secret(key: &'static str, label: &'static str, env: &'static str) -> Self {
        Field {
            kind: FieldKind::Secret,
            ..Field::text(key, label, env)
        }
    }

    pub const fn number(key: &'static str, label: &'static str, env: &'static str) -> Self {
        Field {
            kind: FieldKind::Number,
            ..Field::text(key, label, env)
        }
    }

    pub const fn optional(self) -> Self {
        Field {
            optional: true,
            ..self
        }
    }
}

/// One way to authenticate: the keys it takes together.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mode {
    pub id: &'static str,
    pub label: &'static str,
    /// Everything it takes may sit in a browser: no long-lived secret.
    pub browser_safe: bool,
    pub fields: &'static [Field],
}

/// A vendor module's description of itself (`VendorInfo` in js/shell/types.d.ts).
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub vendor: VendorKey,
    pub title: &'static str,
    /// The page of docs/vendors/ that describes the API.
    pub docs: &'static str,
    /// The keys every mode takes (the account: an app key, org and app names…).
    pub account: &'static [Field],
    /// The ways to authenticate, the browser-safe one first.
    pub modes: &'static [Mode],
    /// The host when none is given; `None`: `baseUrl` is required (Easemob's clusters).
    pub default_base_url: Option<&'static str>,
    /// The environment variable the command line reads `baseUrl` from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url_env: Option<&'static str>,
    pub default_rate_limit: f64,
    pub max_batch_size: usize,
    /// It has a user listing (`listProfiles`, `listAllProfiles`).
    pub lists_users: bool,
    #[serde(skip)]
    pub build: fn(&ObjectReader) -> Result<Box<dyn Vendor>, ProfileError>,
}
