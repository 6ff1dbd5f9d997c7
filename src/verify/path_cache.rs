//! A bounded cache of verified certificate paths, for reader terminals (which see the same few
//! Document Signers all day) and holders (which see the same few reader certificates).
//!
//! An entry records that an x5chain, exactly these bytes, was validated for one [`Profile`]
//! against one set of trust anchors, to which anchor, and the window of inspection times in which
//! every certificate of the path (the anchor included) is valid. A later validation of the same
//! bytes, for the same profile, against the same anchors, at a time inside that window, returns
//! the stored outcome without verifying a signature: one SHA-256 of the chain and a map lookup.
//!
//! The cache can only skip work, never change an answer:
//! - only trusted outcomes are stored (a failing chain is validated in full every time);
//! - the key is the SHA-256 of the anchors' [fingerprint](TrustAnchors::fingerprint), the profile
//!   and every certificate's bytes, and a hit also compares the stored chain byte for byte, so
//!   other bytes (another Document Signer, another intermediate) or another profile miss;
//! - any change of the trust anchors (added, removed, reordered, other docType restrictions)
//!   changes their fingerprint, so every entry made with the old set misses;
//! - a time outside the stored window misses and is validated in full, which reports it expired
//!   or not yet valid. Time is an argument as everywhere in the core: the cache reads no clock.
//!
//! Everything that [`x5chain::validate`] checks is a function of those inputs (signatures, names,
//! profiles, countryName, validity at `at`), which is why a stored outcome may stand in for it.
//! The cache is shared through `&self` (a mutex inside), e.g. in an `Arc` across sessions.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use der::Decode;
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use crate::crypto::CoseKey;

use super::trust::TrustAnchors;
use super::x5chain::{self, ChainReport, Profile};
use super::VerifyOptions;

/// A bounded cache of verified certificate paths; see the [module documentation](self).
pub struct PathCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<[u8; 32], Entry>,
    /// Advances on every hit and insertion; the entry with the oldest `last_used` is evicted.
    tick: u64,
    stats: PathCacheStats,
}

struct Entry {
    chain: Vec<Vec<u8>>,
    anchor_der: Vec<u8>,
    leaf: Certificate,
    leaf_key: CoseKey,
    /// The latest notBefore of the path, anchor included (Unix seconds).
    not_before: i64,
    /// The earliest notAfter of the path, anchor included (Unix seconds).
    not_after: i64,
    last_used: u64,
}

/// Counters of a [`PathCache`] since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathCacheStats {
    /// Validations answered from the cache.
    pub hits: u64,
    /// Validations done in full (not stored, other bytes, other anchors, or out of the window).
    pub misses: u64,
    /// Entries dropped to make room.
    pub evictions: u64,
}

impl PathCache {
    /// The capacity of [`PathCache::default`]: far more Document Signers and reader
    /// certificates than a terminal sees in a day, at about 3 KB per entry.
    pub const DEFAULT_CAPACITY: usize = 256;

    /// A cache of at most `capacity` paths (0 stores nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The most paths it holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many paths it holds.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every path (the counters stay).
    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    /// Hits, misses and evictions so far.
    pub fn stats(&self) -> PathCacheStats {
        self.lock().stats
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Nothing panics while the lock is held, and every update leaves the map consistent, so
        // a poisoned lock (a panic elsewhere in the holding thread) still guards valid data.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stored outcome for `chain`, if any is valid at `at`.
    fn lookup<'a>(
        &self,
        key: &[u8; 32],
        chain: &[Vec<u8>],
        anchors: &'a TrustAnchors,
        at: i64,
    ) -> Option<ChainReport<'a>> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let found = inner.entries.get_mut(key).and_then(|e| {
            let usable = e.chain.as_slice() == chain && e.not_before <= at && at <= e.not_after;
            let anchor = anchors.by_der(&e.anchor_der).filter(|_| usable)?;
            e.last_used = tick;
            Some(ChainReport {
                leaf: Some(e.leaf.clone()),
                leaf_key: Some(e.leaf_key.clone()),
                anchor: Some(anchor),
                failures: Vec::new(),
            })
        });
        match found {
            Some(_) => inner.stats.hits += 1,
            None => inner.stats.misses += 1,
        }
        found
    }

    /// Stores a trusted outcome.
    fn insert(&self, key: [u8; 32], chain: &[Vec<u8>], report: &ChainReport<'_>) {
        if self.capacity == 0 || !report.is_trusted() {
            return;
        }
        let (Some(leaf), Some(leaf_key), Some(anchor)) =
            (&report.leaf, &report.leaf_key, report.anchor)
        else {
            return;
        };
        // The window in which every certificate of the path is valid. The chain decoded a
        // moment ago in `x5chain::validate`; should it not, nothing is stored.
        let mut window = validity(anchor.certificate());
        for der in chain {
            let Ok(cert) = Certificate::from_der(der) else {
                return;
            };
            let (nb, na) = validity(&cert);
            window = (window.0.max(nb), window.1.min(na));
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        if !inner.entries.contains_key(&key) && inner.entries.len() >= self.capacity {
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| *k);
            if let Some(oldest) = oldest {
                inner.entries.remove(&oldest);
                inner.stats.evictions += 1;
            }
        }
        inner.entries.insert(
            key,
            Entry {
                chain: chain.to_vec(),
                anchor_der: anchor.der().to_vec(),
                leaf: leaf.clone(),
                leaf_key: leaf_key.clone(),
                not_before: window.0,
                not_after: window.1,
                last_used: tick,
            },
        );
    }
}

impl Default for PathCache {
    /// A cache of [`PathCache::DEFAULT_CAPACITY`] paths.
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for PathCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PathCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .field("stats", &self.stats())
            .finish()
    }
}

/// notBefore and notAfter of a certificate in Unix seconds (times after 2^63 s saturate).
fn validity(cert: &Certificate) -> (i64, i64) {
    let v = cert.tbs_certificate().validity();
    let secs = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    (secs(v.not_before), secs(v.not_after))
}

/// The cache key: SHA-256 over the anchors' fingerprint, the profile and the chain, each
/// certificate length-prefixed so that no two chains share an input.
fn key(anchors: &TrustAnchors, profile: Profile, chain: &[Vec<u8>]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(anchors.fingerprint());
    h.update([match profile {
        Profile::DocumentSigner => 1u8,
        Profile::ReaderAuth => 2,
        Profile::VicalSigner => 3,
    }]);
    h.update((chain.len() as u64).to_be_bytes());
    for cert in chain {
        h.update((cert.len() as u64).to_be_bytes());
        h.update(cert);
    }
    h.finalize().into()
}

/// [`x5chain::validate`] through `options`' path cache, if any, on `options`' provider.
pub(crate) fn validate<'a>(
    chain: &[Vec<u8>],
    anchors: &'a TrustAnchors,
    profile: Profile,
    at: i64,
    options: &VerifyOptions<'_>,
) -> ChainReport<'a> {
    let Some(cache) = options.path_cache else {
        return x5chain::validate_with(chain, anchors, profile, at, options.provider);
    };
    let key = key(anchors, profile, chain);
    if let Some(report) = cache.lookup(&key, chain, anchors, at) {
        return report;
    }
    let report = x5chain::validate_with(chain, anchors, profile, at, options.provider);
    cache.insert(key, chain, &report);
    report
}
