//! improfiles-core: everything improfiles decides, with no I/O. Configs come in as plain
//! values, request descriptions go out, responses come in, results go out; time and
//! randomness are arguments. The wasm crate at the top of the repository is the only code
//! that touches fetch, timers, `AbortSignal` and promises.
//!
//! - [`model`]: the shared vocabulary (vendor keys, profiles, errors, secrets); a leaf.
//! - [`vendors`]: one module per vendor API. Each validates its config, builds HTTP request
//!   descriptions from (ids, time, nonce) and parses responses into profiles and failures.
//! - [`signing`]: one module per signature scheme the vendors use.
//! - [`pacing`]: the rate limit as the vendor counts it, by arrival, at any latency.
//! - [`scheduler`]: rate limit, concurrency, pauses and backoff, driven by an injected clock.
//! - [`call`]: one call as a state machine (`poll` / `handle`): a `getProfiles` batch, which
//!   enforces the accounting rule, or a listing, cursor page after cursor page.
//! - [`session`]: what the calls of one client share: the scheduler and the credential state
//!   ([`credential`]) of a vendor that obtains or makes its own.
//! - `simulation` (tests, feature `simulation`): the one native driver of a call, on a
//!   virtual clock against a scripted vendor.
//! - [`hash_index`]: the one hash table (a call's ids, Tencent's tags: `call::ids::IdTable`).
//! - [`loader`]: the options of `client.loader()`.

pub mod call;
pub mod config;
pub mod credential;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod hash_index;
pub mod http;
pub mod loader;
pub mod model;
pub mod pacing;
pub mod reader;
pub mod scheduler;
pub mod session;
pub mod signing;
#[cfg(any(test, feature = "simulation"))]
pub mod simulation;
pub mod vendors;

/// JSON and numbers, in their own crate (json/): the hot path, built for speed.
pub use improfiles_json::{self as json, decimal};
