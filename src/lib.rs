//! improfiles, the npm package: the binding of `improfiles-core` (core/) to JS. Each exported
//! method converts its JS arguments in, calls the core, and converts the result out. Its JS
//! half, js/shell/, is the only code that touches fetch, timers, `AbortSignal` and promises.
//!
//! - `client`: `ProfileClient`, and what the calls of one client share.
//! - `call`: one call in progress, which js/shell/run.js (the run loop) drives.
//! - `loader`: `client.loader()`'s cache, queue and checks; js/shell/loader.js holds the
//!   promises.
//! - `functions`: the vendor list and the signature schemes, as plain functions.
//! - `js`: converting in and out.
#![cfg(target_arch = "wasm32")]

mod call;
mod client;
mod functions;
mod js;
mod loader;

pub use client::ProfileClient;
