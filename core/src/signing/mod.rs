//! One module per signature scheme. Pure functions of their inputs: callers supply the time
//! and nonce, so every scheme is checked against independently computed known answers.

pub mod oauth1;
pub mod rongcloud;
pub mod tls_sig;
