//! improfiles, the npm package: the thin JS-facing shell over `improfiles-core` (core/).
//! Each exported method converts its JS arguments in, calls the core, and converts the
//! result out; this crate alone touches fetch, timers, `AbortSignal` and promises.
//!
//! - `client`: `ProfileClient`, and what the calls of one client share.
//! - `call`: one call in progress, for js/run.js (the run loop) to drive; js/transport.js
//!   sends its requests.
//! - `loader`: `client.loader()`'s cache, queue and checks; js/loader.js holds the promises.
//! - `signatures`: the signature schemes as exported functions.
//! - `js`: converting in and out.
#![cfg(target_arch = "wasm32")]

mod call;
mod client;
mod js;
mod loader;
mod signatures;

pub use client::ProfileClient;
