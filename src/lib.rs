//! improfiles, the npm package: the binding of `improfiles-core` (core/) to JS. Each exported
//! method converts its JS arguments in, calls the core, and converts the result out. Its JS
//! half, js/shell/, is the only code that touches fetch, timers, `AbortSignal` and promises.
//! Modules: `client` (`ProfileClient` and what its calls share); `call` (one call, which
//! js/shell/run.js drives); `loader` (`client.loader()`'s ids and batches; js/shell/loader.js
//! holds its queue, cache and promises); `functions` (the vendor list and signature schemes); `js` (converting in and out).
#![cfg(target_arch = "wasm32")]

mod call;
mod client;
mod functions;
mod js;
mod loader;

pub use client::ProfileClient;

/// Talc, not std's dlmalloc: under a third of its code in the .wasm, and faster (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
