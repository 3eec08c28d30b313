//! The shell's tests in a browser (`wasm-pack test --headless --chrome`): cross-origin
//! requests to the emulator, with CORS preflights.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;
