//! A deterministic RNG for tests, benchmarks and reproducible demos.

use std::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};

/// SHA-256 in counter mode over a seed: the same seed always gives the same bytes.
///
/// The engine takes randomness as an argument; this is the argument for tests, benchmarks and
/// `mdl demo --seed`, where reproducibility matters more than secrecy. It is **not** for keys
/// that protect real credentials: use the operating system's RNG (e.g. `getrandom::SysRng`).
#[derive(Debug, Clone)]
pub struct SeededRng {
    seed: [u8; 32],
    counter: u64,
}

impl SeededRng {
    /// An RNG whose output is a function of `seed` alone.
    pub fn new(seed: u64) -> Self {
        Self {
            seed: Sha256::digest(seed.to_be_bytes()).into(),
            counter: 0,
        }
    }
}

impl TryRng for SeededRng {
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
            chunk.copy_from_slice(&h.finalize()[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let fill = |seed| {
            let mut b = [0u8; 80];
            SeededRng::new(seed)
                .try_fill_bytes(&mut b)
                .expect("infallible");
            b
        };
        assert_eq!(fill(1), fill(1));
        assert_ne!(fill(1), fill(2));
        // Chunks of a long fill are not repeats of each other.
        let b = fill(3);
        assert_ne!(b[..32], b[32..64]);
    }
}
