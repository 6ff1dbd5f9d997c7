//! A seeded, deterministic RNG for tests and Annex D helpers.

use std::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

/// SHA-256 in counter mode over a seed. Deterministic; for tests only.
pub(crate) struct TestRng {
    seed: [u8; 32],
    counter: u64,
}

impl TestRng {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed: Sha256::digest(seed.to_be_bytes()).into(),
            counter: 0,
        }
    }
}

impl TryRng for TestRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(self.seed);
            h.update(self.counter.to_be_bytes());
            self.counter += 1;
            let block = h.finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for TestRng {}

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
