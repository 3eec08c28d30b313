//! What a vendor module tells the rest of the project about itself: its key, how a person
//! names it, its credential modes (which keys, which are secrets, which mode a browser may
//! hold), the environment variables the command line reads them from, and its limits. The
//! package exports the list (`vendors()`), and the command line's vendor list, usage and
//! environment reading, the console's credential forms and the TypeScript `Vendor` union are
//! made from it, so a new vendor module is all they need.

use super::Vendor;
use crate::json::write::{object, ToJson};
use crate::model::{ProfileError, VendorKey};
use crate::reader::ObjectReader;

/// What a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Number,
    /// A credential: never printed, and masked in forms.
    Secret,
    /// A function of the caller's (a signer): a form asks for an endpoint that computes it.
    Function,
}

/// One config key a person fills in.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The config key; a nested one as `oauth1.consumerKey`.
    pub key: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    /// The environment variable the command line reads it from.
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
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    pub id: &'static str,
    pub label: &'static str,
    /// Everything it takes may sit in a browser: no long-lived secret.
    pub browser_safe: bool,
    pub fields: &'static [Field],
}

/// A vendor module's description of itself (`VendorInfo` in js/shell/types.d.ts).
#[derive(Clone, Copy, Debug)]
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
    pub base_url_env: Option<&'static str>,
    pub default_rate_limit: f64,
    pub max_batch_size: usize,
    /// It has a user listing (`listProfiles`, `listAllProfiles`).
    pub lists_users: bool,
    pub build: fn(&ObjectReader) -> Result<Box<dyn Vendor>, ProfileError>,
}

impl ToJson for FieldKind {
    fn write_json(&self, out: &mut String) {
        let kind = match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Secret => "secret",
            FieldKind::Function => "function",
        };
        kind.write_json(out);
    }
}

impl ToJson for Field {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add("key", self.key)
                .add("label", self.label)
                .add("kind", &self.kind)
                .add_some("env", self.env)
                .add("optional", &self.optional);
        });
    }
}

impl ToJson for Mode {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add("id", self.id)
                .add("label", self.label)
                .add("browserSafe", &self.browser_safe)
                .add("fields", self.fields);
        });
    }
}

/// `VendorInfo` (js/shell/types.d.ts): everything but the constructor.
impl ToJson for Descriptor {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add("vendor", &self.vendor)
                .add("title", self.title)
                .add("docs", self.docs)
                .add("account", self.account)
                .add("modes", self.modes)
                .add("defaultBaseUrl", &self.default_base_url)
                .add_some("baseUrlEnv", self.base_url_env)
                .add("defaultRateLimit", &self.default_rate_limit)
                .add("maxBatchSize", &self.max_batch_size)
                .add("listsUsers", &self.lists_users);
        });
    }
}
