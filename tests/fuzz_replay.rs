//! Replays every fuzz corpus and every kept crash input under a normal stable `cargo test`
//! (issue 9 item 6): `fuzz/corpus/<target>/*` and `fuzz/regressions/<target>/*` through the same
//! check the cargo-fuzz target runs (`fuzz/checks.rs`), then a small deterministic mutation
//! pass over each corpus, so a regression is caught in CI without a fuzzer or a nightly
//! toolchain.
#![allow(clippy::disallowed_methods, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

#[path = "../fuzz/checks.rs"]
mod checks;

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file());
    files.sort();
    files
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

#[test]
fn every_target_has_a_corpus() {
    for (target, _) in checks::TARGETS {
        assert!(
            !inputs(&root().join("corpus").join(target)).is_empty(),
            "fuzz/corpus/{target} is empty"
        );
    }
}

#[test]
fn corpora_and_crash_inputs_replay() {
    let mut replayed = 0;
    for (target, check) in checks::TARGETS {
        for dir in ["corpus", "regressions"] {
            for path in inputs(&root().join(dir).join(target)) {
                let data = std::fs::read(&path).unwrap();
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "{target}: {} fails", path.display());
                replayed += 1;
            }
        }
    }
    println!("replayed {replayed} inputs");
}

/// A xorshift generator: the same mutations on every run.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// One of: flip a bit, set a byte, cut, duplicate a slice, delete a slice.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut out = seed.to_vec();
        if out.is_empty() {
            return vec![self.next() as u8];
        }
        for _ in 0..=self.below(3) {
            let len = out.len();
            let at = self.below(len);
            match self.below(5) {
                0 => out[at] ^= 1 << self.below(8),
                1 => out[at] = self.next() as u8,
                2 => out.truncate(at.max(1)),
                3 => {
                    let end = (at + 1 + self.below(16)).min(len);
                    let piece = out[at..end].to_vec();
                    out.splice(at..at, piece);
                }
                _ => {
                    let end = (at + 1 + self.below(16)).min(len);
                    out.drain(at..end);
                }
            }
            if out.is_empty() {
                out.push(0);
            }
        }
        out
    }
}

#[test]
fn bounded_mutation_pass_over_every_corpus() {
    // 150 mutants per target (a few seconds in a debug build): a guard, not a campaign; the
    // campaigns run with cargo-fuzz (fuzz/README.md).
    let mut m = Mutator(0x9e37_79b9_7f4a_7c15);
    for (target, check) in checks::TARGETS {
        let seeds: Vec<Vec<u8>> = inputs(&root().join("corpus").join(target))
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        for i in 0..150 {
            let mutant = m.mutate(&seeds[i % seeds.len()]);
            let outcome = std::panic::catch_unwind(|| check(&mutant));
            assert!(
                outcome.is_ok(),
                "{target}: mutant {i} fails: {}",
                hex::encode(&mutant)
            );
        }
    }
}
