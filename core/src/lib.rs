//! improfiles-core: everything improfiles decides, with no I/O. Configs come in as plain
//! values, request descriptions go out, responses come in, results go out; time and
//! randomness are arguments. The wasm crate at the top of the repository is the only code
//! that touches fetch, timers, `AbortSignal` and promises.
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
