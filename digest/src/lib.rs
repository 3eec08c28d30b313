//! The hashes and encodings improfiles signs and sends with, of its own: SHA-1 and SHA-256
//! with their HMAC (`digest` holds what the two share), hex, base64 in both alphabets, and
//! percent-encoding. The hashes and base64 are checked against the FIPS 180-2, RFC 2202,
//! RFC 4231 and RFC 4648 known answers and, by property tests, against the RustCrypto and
//! base64 crates.
//!
//! A crate of its own so that it is built for speed while the core is built for size: they
//! run per request, over every byte signed or sent, and in the core at its opt-level "z" a
//! UserSig took a third longer and an OAuth 1.0a signature twice as long (Cargo.toml;
//! BENCHMARKS.md, "Optimizations made"). What a build does not call, LTO leaves out.

pub mod base64;
pub mod digest;
pub mod percent;
pub mod sha1;
pub mod sha256;
