//! Tests of the crypto boundary. Deterministic: keys come from a seeded test RNG or vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod key_agreement;
mod session;
mod util;
