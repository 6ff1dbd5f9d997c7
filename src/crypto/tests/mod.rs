//! Tests of the crypto boundary. Deterministic: keys come from a seeded test RNG or vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod annex_d;
mod annex_d_vectors;
mod key_agreement;
mod mac;
mod session;
mod signatures;
pub(crate) mod util;
mod x509;
