//! Randomness for the CLI: the operating system's RNG, or a seeded one for reproducible runs.
//!
//! The engine takes randomness as an argument; this is where the binary picks it.

use std::convert::Infallible;

use mdl_proximity::crypto::SeededRng;
use rand_core::{TryCryptoRng, TryRng, UnwrapErr};

/// The RNG of one `mdl` run.
#[derive(Debug)]
pub(crate) enum CliRng {
    /// `getrandom`'s system RNG (`getrandom(2)` on Linux). A failing OS RNG is fatal: there is
    /// no safe fallback for key generation, so `UnwrapErr` panics with the OS error.
    Os(UnwrapErr<getrandom::SysRng>),
    /// `--seed N`: every key and salt is a function of N (demos and tests only; such keys
    /// protect nothing).
    Seeded(SeededRng),
}

impl CliRng {
    /// The seeded RNG if `seed` is given, the OS RNG otherwise.
    pub(crate) fn new(seed: Option<u64>) -> Self {
        match seed {
            Some(seed) => Self::Seeded(SeededRng::new(seed)),
            None => Self::Os(UnwrapErr(getrandom::SysRng)),
        }
    }
}

impl TryRng for CliRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        match self {
            Self::Os(r) => r.try_next_u32(),
            Self::Seeded(r) => r.try_next_u32(),
        }
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        match self {
            Self::Os(r) => r.try_next_u64(),
            Self::Seeded(r) => r.try_next_u64(),
        }
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        match self {
            Self::Os(r) => r.try_fill_bytes(dst),
            Self::Seeded(r) => r.try_fill_bytes(dst),
        }
    }
}

impl TryCryptoRng for CliRng {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng as _;

    #[test]
    fn seeded_runs_repeat_and_os_runs_differ() {
        let draw = |seed| {
            let mut rng = CliRng::new(seed);
            [rng.next_u64(), rng.next_u64()]
        };
        assert_eq!(draw(Some(7)), draw(Some(7)));
        assert_ne!(draw(Some(7)), draw(Some(8)));
        assert_ne!(draw(None), draw(None));
    }
}
