//! improfiles: fetch user profiles in bulk from IM and social platforms, in one shape.
//!
//! The crate is split so that everything with logic in it is pure and testable natively:
//!
//! - [`vendors`]: one module per vendor API. Each validates its config, builds HTTP request
//!   descriptions from (ids, time, nonce) and parses responses into profiles and failures.
//! - [`signing`]: one module per signature scheme the vendors use.
//! - [`pacing`]: the rate limit as the vendor counts it, by arrival, at any latency.
//! - [`scheduler`]: rate limit, concurrency, pauses and backoff, driven by an injected clock.
//! - [`job`]: one `getProfiles` call as a state machine that enforces the accounting rule.
//! - [`list_job`]: one listing call (cursor pages, one after another) as a state machine.
//! - [`loader`]: the cache (TTL, least recently used out first) and batching queue of
//!   `client.loader()`.
//! - `bindings` (wasm32 only): the thin JS-facing shell, the only code that touches fetch,
//!   timers and `AbortSignal`.

pub mod config;
pub mod error;
pub mod flights;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod http;
pub mod job;
pub mod json;
pub mod list_job;
pub mod loader;
pub mod pacing;
pub mod profile;
pub mod scheduler;
pub mod signing;
pub mod vendors;

#[cfg(target_arch = "wasm32")]
mod bindings;

/// The shell's types, for the wasm-bindgen tests in `tests/node.rs` and `tests/browser.rs`.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod bindings_for_tests {
    pub use crate::bindings::ProfileClient;
}
