//! improfiles, the npm package: the thin JS-facing shell over `improfiles-core` (core/).
//! Each exported method converts its JS arguments in, calls the core, and converts the
//! result out; this crate alone touches fetch, timers, `AbortSignal` and promises.

#[cfg(target_arch = "wasm32")]
mod bindings;

/// The shell's types, for the wasm-bindgen tests in `tests/node.rs` and `tests/browser.rs`.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod bindings_for_tests {
    pub use crate::bindings::ProfileClient;
}
