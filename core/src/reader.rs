//! The one reader of the plain JS objects a caller hands in — a client's config, a call's
//! options, a loader's options, a response given to `parseResponse`, a signing helper's
//! arguments. The shell converts the object once ([`PlainObject`]: its data-valued keys as
//! JSON values, the names of its function-valued keys); every rule about what a key may
//! hold, and every message about it, is here, tested natively.
//!
//! Messages name the key (`config.appSecret`, `options.pageSize`), never its value: values
//! can be secrets.

use crate::json::{Object, Value};

use crate::model::{ProfileError, Secret, VendorKey};

/// An object as the shell read it. Functions are kept by the shell, never by the core.
#[derive(Debug, Default)]
pub struct PlainObject {
    pub values: Object,
    /// The keys whose values are functions (a handful at most).
    pub functions: Vec<String>,
}

impl PlainObject {
    /// A client's config: refusals are `invalid_config`.
    pub fn config(&self) -> ObjectReader<'_> {
        ObjectReader::config(&self.values, &self.functions)
    }

    /// A call's input named `path` (`options`, `response`): refusals are `invalid_input`.
    pub fn input(&self, path: &str, vendor: Option<VendorKey>) -> ObjectReader<'_> {
        ObjectReader {
            values: &self.values,
            functions: &self.functions,
            path: format!("{path}."),
            refusal: Refusal::Input(vendor),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Refusal {
    Config,
    Input(Option<VendorKey>),
}

/// Typed reads of one object, every refusal naming the key.
pub struct ObjectReader<'a> {
    values: &'a Object,
    functions: &'a [String],
    /// How messages name this object's keys: `config.`, nested `config.oauth1.`, `options.`.
    path: String,
    refusal: Refusal,
}

/// The largest whole number a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl<'a> ObjectReader<'a> {
    pub fn config(values: &'a Object, functions: &'a [String]) -> Self {
        ObjectReader {
            values,
            functions,
            path: "config.".into(),
            refusal: Refusal::Config,
        }
    }

    /// The error this object's refusals are: `invalid_config` for a config, `invalid_input`
    /// (with the vendor, when known) for a call's input.
    pub fn error(&self, message: impl Into<String>) -> ProfileError {
        match self.refusal {
            Refusal::Config => ProfileError::invalid_config(message),
            Refusal::Input(None) => ProfileError::invalid_input(message),
            Refusal::Input(Some(vendor)) => {
                ProfileError::invalid_input(message).with_vendor(vendor)
            }
        }
    }

    /// The name messages use for `key`.
    pub fn name(&self, key: &str) -> String {
        format!("{}{key}", self.path)
    }

    fn wrong_type(&self, key: &str, expected: &str) -> ProfileError {
        self.error(format!("{} must be {expected}", self.name(key)))
    }

    fn present(&self, key: &str) -> Option<&'a Value> {
        self.values.get(key).filter(|v| !v.is_null())
    }

    /// Whether `key` holds anything (data or a function).
    pub fn has(&self, key: &str) -> bool {
        self.present(key).is_some() || self.functions.iter().any(|f| f == key)
    }

    /// The object under `key`, read with the same rules.
    pub fn object(&self, key: &str) -> Result<Option<ObjectReader<'a>>, ProfileError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Object(values)) => Ok(Some(ObjectReader {
                values,
                // Nested objects hold data only: functions are looked for at the top level.
                functions: &[],
                path: format!("{}{key}.", self.path),
                refusal: self.refusal,
            })),
            Some(_) => Err(self.wrong_type(key, "an object")),
        }
    }

    /// Every key and value of the object.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        self.values.iter()
    }

    /// A string value; empty strings count as missing. Messages name the key, never the value.
    pub fn string(&self, key: &str) -> Result<Option<String>, ProfileError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => {
                Err(self.error(format!("{} must not be empty", self.name(key))))
            }
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong_type(key, "a string")),
        }
    }

    /// Any string, the empty one included.
    pub fn text(&self, key: &str) -> Result<Option<String>, ProfileError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong_type(key, "a string")),
        }
    }

    pub fn required_string(&self, key: &str) -> Result<String, ProfileError> {
        self.string(key)?
            .ok_or_else(|| self.error(format!("{} is required", self.name(key))))
    }

    pub fn secret(&self, key: &str) -> Result<Option<Secret>, ProfileError> {
        Ok(self.string(key)?.map(Secret::new))
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>, ProfileError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_finite() => Ok(Some(*n)),
            Some(_) => Err(self.wrong_type(key, "a finite number")),
        }
    }

    /// A whole number within `min..=max`, or `default` when absent.
    pub fn integer_in(
        &self,
        key: &str,
        min: u64,
        max: u64,
        default: u64,
    ) -> Result<u64, ProfileError> {
        Ok(self.optional_integer_in(key, min, max)?.unwrap_or(default))
    }

    /// A whole number within `min..=max`, or `None` when absent.
    pub fn optional_integer_in(
        &self,
        key: &str,
        min: u64,
        max: u64,
    ) -> Result<Option<u64>, ProfileError> {
        match self.number(key)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && n >= min as f64 && n <= max as f64 => Ok(Some(n as u64)),
            Some(_) => Err(self.wrong_type(
                key,
                &format!(
                    "a whole number from {} to {}",
                    crate::model::digits(min),
                    crate::model::digits(max)
                ),
            )),
        }
    }

    /// A whole number, 0 or more.
    pub fn whole_number(&self, key: &str) -> Result<Option<u64>, ProfileError> {
        match self.number(key) {
            Ok(None) => Ok(None),
            Ok(Some(n)) if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&n) => {
                Ok(Some(n as u64))
            }
            _ => Err(self.wrong_type(key, "a whole number, 0 or more")),
        }
    }

    pub fn flag(&self, key: &str, default: bool) -> Result<bool, ProfileError> {
        match self.present(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.wrong_type(key, "a boolean")),
        }
    }

    /// A non-empty array of non-empty strings.
    pub fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, ProfileError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) if !s.is_empty() => list.push(s.clone()),
                        _ => return Err(self.wrong_type(key, "an array of non-empty strings")),
                    }
                }
                Ok(Some(list))
            }
            Some(_) => Err(self.wrong_type(key, "a non-empty array of strings")),
        }
    }

    /// Any array of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ProfileError> {
        let wrong = || self.wrong_type(key, "an array of strings");
        match self.present(key) {
            None => Ok(None),
            Some(Value::Array(items)) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    list.push(item.as_str().ok_or_else(wrong)?.to_owned());
                }
                Ok(Some(list))
            }
            Some(_) => Err(wrong()),
        }
    }

    pub fn has_function(&self, key: &str) -> bool {
        self.functions.iter().any(|f| f == key)
    }

    /// A key that must be a function when given (the shell keeps the function itself).
    pub fn function(&self, key: &str) -> Result<bool, ProfileError> {
        if self.has_function(key) {
            Ok(true)
        } else if self.present(key).is_some() {
            Err(self.wrong_type(key, "a function"))
        } else {
            Ok(false)
        }
    }
}

/// Objects written as JSON, for tests.
#[cfg(test)]
impl PlainObject {
    /// `json`'s keys, and the names of `functions` as function-valued keys.
    pub fn from_json(json: &str, functions: &[&str]) -> Self {
        PlainObject {
            values: match crate::json::parse(json) {
                Ok(Value::Object(values)) => values,
                _ => panic!("a JSON object"),
            },
            functions: functions.iter().map(|f| (*f).to_owned()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(json: &str) -> PlainObject {
        PlainObject::from_json(json, &["onBatch"])
    }

    #[test]
    fn typed_reads_name_the_key_not_the_value() {
        let object = plain(r#"{"appSecret": 12345, "batchSize": 101, "appKey": ""}"#);
        let input = object.config();
        let err = input.secret("appSecret").unwrap_err();
        assert!(err.message.contains("config.appSecret") && !err.message.contains("12345"));
        assert!(input.integer_in("batchSize", 1, 100, 100).is_err());
        assert!(input.string("appKey").is_err());
    }

    #[test]
    fn call_inputs_are_refused_as_invalid_input_of_their_vendor() {
        let object = plain(
            r#"{"includeRaw": "yes", "pageSize": 2.5, "fields": ["a", 1], "cursor": "", "max": 3}"#,
        );
        let options = object.input("options", Some(VendorKey::Easemob));
        let err = options.flag("includeRaw", false).unwrap_err();
        assert_eq!(err.code, crate::model::ErrorCode::InvalidInput);
        assert_eq!(err.vendor, Some(VendorKey::Easemob));
        assert_eq!(err.message, "options.includeRaw must be a boolean");
        assert!(options.whole_number("pageSize").is_err());
        assert!(options.strings("fields").is_err());
        assert_eq!(options.text("cursor").unwrap().as_deref(), Some(""));
        assert_eq!(options.whole_number("max").unwrap(), Some(3));
        assert!(options.flag("collect", true).unwrap());
        assert!(options.function("onBatch").unwrap() && options.has("onBatch"));
        assert!(options.function("pageSize").is_err());
    }
}
