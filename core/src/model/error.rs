//! The error vocabulary shared by every vendor: codes, request-level errors and per-id failures.

use super::VendorKey;
use crate::json::write::{object, ToJson};

/// The codes of `ErrorCode` (js/shell/types.d.ts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidConfig,
    InvalidInput,
    AuthFailed,
    PermissionDenied,
    NotFound,
    RateLimited,
    VendorError,
    InvalidResponse,
    Network,
    Timeout,
    Aborted,
    Unsupported,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::AuthFailed => "auth_failed",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::VendorError => "vendor_error",
            ErrorCode::InvalidResponse => "invalid_response",
            ErrorCode::Network => "network",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Aborted => "aborted",
            ErrorCode::Unsupported => "unsupported",
        }
    }
}

/// A vendor's own error code: numeric for most vendors, a string for OAuth-style APIs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendorCode {
    Number(i64),
    Text(String),
}

impl ToJson for ErrorCode {
    fn write_json(&self, out: &mut String) {
        self.as_str().write_json(out);
    }
}

/// A number or a string, as it is.
impl ToJson for VendorCode {
    fn write_json(&self, out: &mut String) {
        match self {
            VendorCode::Number(n) => n.write_json(out),
            VendorCode::Text(text) => text.write_json(out),
        }
    }
}

/// The fields a `ProfileError` has (js/shell/types.d.ts); those it lacks are left out.
impl ToJson for ProfileError {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add("code", &self.code)
                .add("message", &self.message)
                .add_some("vendor", self.vendor.as_ref())
                .add_some("status", self.status.as_ref())
                .add_some("vendorCode", self.vendor_code.as_ref())
                .add("retryable", &self.retryable);
        });
    }
}

/// An error that stops a whole call or a whole request (the JS `ProfileError`).
///
/// Messages are written by this crate and never include a configured secret: config errors
/// name the key, never its value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProfileError {
    pub code: ErrorCode,
    pub message: String,
    pub vendor: Option<VendorKey>,
    pub status: Option<u16>,
    pub vendor_code: Option<VendorCode>,
    pub retryable: bool,
}

impl ProfileError {
    /// The call was aborted through the caller's `AbortSignal`.
    pub fn aborted(vendor: VendorKey) -> Self {
        ProfileError::new(
            ErrorCode::Aborted,
            "the call was aborted through its AbortSignal",
        )
        .with_vendor(vendor)
    }

    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ProfileError {
            code,
            message: message.into(),
            vendor: None,
            status: None,
            vendor_code: None,
            retryable: false,
        }
    }

    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidConfig, message)
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// A response that came but cannot be read (not JSON, a list missing…): garbled by the
    /// vendor or a proxy in front of it, so worth another attempt, and the breaker counts it.
    pub fn unreadable_response(vendor: VendorKey, status: u16, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidResponse, message)
            .with_vendor(vendor)
            .with_status(status)
            .retryable(true)
    }

    pub fn with_vendor(mut self, vendor: VendorKey) -> Self {
        self.vendor = Some(vendor);
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_vendor_code(mut self, code: VendorCode) -> Self {
        self.vendor_code = Some(code);
        self
    }

    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// The per-id failure this error becomes when it ends a request for good.
    pub fn to_failure(&self, id: &str) -> Failure {
        Failure {
            id: id.to_owned(),
            code: self.code,
            message: self.message.clone(),
            vendor_code: self.vendor_code.clone(),
            retryable: self.retryable,
        }
    }
}

/// One id that did not become a profile (`Failure` in js/shell/types.d.ts), written as JSON by
/// core/src/model/write.rs.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub id: String,
    pub code: ErrorCode,
    pub message: String,
    pub vendor_code: Option<VendorCode>,
    pub retryable: bool,
}

impl Failure {
    /// A final failure (not worth retrying) without a vendor code.
    pub fn new(id: &str, code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            id: id.to_owned(),
            code,
            message: message.into(),
            vendor_code: None,
            retryable: false,
        }
    }

    /// The error a single-id caller (`loader.load`) rejects with.
    pub fn to_error(&self, vendor: VendorKey) -> ProfileError {
        ProfileError {
            code: self.code,
            message: self.message.clone(),
            vendor: Some(vendor),
            status: None,
            vendor_code: self.vendor_code.clone(),
            retryable: self.retryable,
        }
    }
}
