//! A seeded, deterministic RNG for tests and Annex D helpers.

/// The tests' deterministic RNG is the public one.
pub(crate) use crate::crypto::SeededRng as TestRng;

pub(crate) fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// The curves this build supports for key agreement.
pub(crate) fn ka_curves() -> Vec<crate::crypto::Curve> {
    use crate::crypto::Curve;
    Curve::KEY_AGREEMENT
        .into_iter()
        .filter(|c| {
            cfg!(feature = "openssl")
                || (*c != Curve::BRAINPOOL_P320R1 && *c != Curve::BRAINPOOL_P512R1)
        })
        .collect()
}
