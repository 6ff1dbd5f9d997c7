//! Seeded, reproducible impairment of the in-memory pair: what can go wrong, and when.
//!
//! Faults are decided on the sending side, per direction, by a SplitMix64 stream derived
//! from [`FaultConfig::seeded`]'s seed, so the outcome depends only on the seed and on what each
//! end sends — never on task scheduling, the wall clock or a global RNG.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::rng::SplitMix64;

/// One end of a [`pair`](crate::memory::pair): `A` is the first transport returned, `B` the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// The first transport of the pair.
    A,
    /// The second transport of the pair.
    B,
}

impl Endpoint {
    /// The other end.
    pub fn peer(self) -> Self {
        match self {
            Endpoint::A => Endpoint::B,
            Endpoint::B => Endpoint::A,
        }
    }
}

/// A fault to inflict on one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The message never arrives.
    Drop,
    /// The message arrives twice.
    Duplicate,
    /// The message is swapped with the next one the same end sends (or, if none follows, released
    /// just before the end's [`close`](mdl_transport::Transport::close)).
    Reorder,
    /// The message arrives cut to a random shorter length (seeded). Empty messages are untouched.
    Truncate,
    /// One random byte of the message is XORed with a random non-zero value (seeded).
    /// Empty messages are untouched.
    Corrupt,
    /// The message arrives this much later on tokio's clock. The link stays ordered: messages sent
    /// after it arrive no earlier.
    Delay(Duration),
}

/// Per-message probabilities of each fault, in `[0, 1]` (0 never, 1 always).
///
/// Every message draws once for each fault, in field order, whatever the probabilities: changing
/// one probability changes only that fault's outcomes, not the whole stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Impairments {
    /// Probability of [`Fault::Drop`].
    pub drop: f64,
    /// Probability of [`Fault::Duplicate`].
    pub duplicate: f64,
    /// Probability of [`Fault::Reorder`].
    pub reorder: f64,
    /// Probability of [`Fault::Truncate`].
    pub truncate: f64,
    /// Probability of [`Fault::Corrupt`].
    pub corrupt: f64,
    /// Probability of a [`Fault::Delay`] by [`delay_by`](Self::delay_by).
    pub delay: f64,
    /// How long a randomly delayed message is held back.
    pub delay_by: Duration,
}

impl Default for Impairments {
    /// No impairment.
    fn default() -> Self {
        Self {
            drop: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            truncate: 0.0,
            corrupt: 0.0,
            delay: 0.0,
            delay_by: Duration::ZERO,
        }
    }
}

/// What can go wrong on an in-memory link: random faults from a seed, scripted faults, a cut.
///
/// ```
/// use std::time::Duration;
/// use mdl_transport_mock::{Endpoint, Fault, FaultConfig, Impairments};
///
/// let faults = FaultConfig::seeded(42)
///     .impairments(Impairments { drop: 0.1, ..Impairments::default() })
///     .script(Endpoint::A, 2, Fault::Corrupt) // A's third message (0-based #2) is corrupted
///     .cut_after(Duration::from_secs(30));
/// # let _ = faults;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultConfig {
    pub(crate) seed: u64,
    pub(crate) impairments: Impairments,
    pub(crate) script: Vec<(Endpoint, u64, Fault)>,
    pub(crate) cut_after_messages: Option<u64>,
    pub(crate) cut_after: Option<Duration>,
}

impl FaultConfig {
    /// No faults yet; random choices (which faults, truncation lengths, corrupted bytes) come from
    /// `seed`.
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    /// Random faults with these per-message probabilities, in both directions.
    #[must_use]
    pub fn impairments(mut self, impairments: Impairments) -> Self {
        self.impairments = impairments;
        self
    }

    /// Inflicts `fault` on message number `index` (0-based, counting every `send` call) sent by
    /// `from`, in addition to any random fault. May be repeated to combine faults.
    #[must_use]
    pub fn script(mut self, from: Endpoint, index: u64, fault: Fault) -> Self {
        self.script.push((from, index, fault));
        self
    }

    /// Cuts the link once `count` messages have been sent, counting both directions: messages
    /// sent before arrive, then both ends get [`LinkLost`](mdl_transport::TransportError::LinkLost).
    #[must_use]
    pub fn cut_after_messages(mut self, count: u64) -> Self {
        self.cut_after_messages = Some(count);
        self
    }

    /// Cuts the link this long (on tokio's clock) after [`pair`](crate::memory::pair) was called:
    /// messages arriving later are lost, and both ends get
    /// [`LinkLost`](mdl_transport::TransportError::LinkLost).
    #[must_use]
    pub fn cut_after(mut self, after: Duration) -> Self {
        self.cut_after = Some(after);
        self
    }
}

/// A fault as it was actually applied, with the random choices made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliedFault {
    /// Not delivered.
    Dropped,
    /// Delivered twice.
    Duplicated,
    /// Held back and delivered after the next message.
    Reordered,
    /// Cut from `from` bytes to `to` bytes.
    Truncated {
        /// Original length.
        from: usize,
        /// Delivered length.
        to: usize,
    },
    /// The byte at `index` XORed with `xor`.
    Corrupted {
        /// Position of the corrupted byte.
        index: usize,
        /// The non-zero XOR mask applied.
        xor: u8,
    },
    /// Delivered this much later.
    Delayed(Duration),
}

/// One message as sent, and what the link did to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapEntry {
    /// Who sent it.
    pub from: Endpoint,
    /// Its number among `from`'s messages, 0-based (the index [`FaultConfig::script`] uses).
    pub index: u64,
    /// The bytes handed to `send`, before any fault.
    pub message: Vec<u8>,
    /// The faults applied, in the order applied; empty if it went through intact.
    pub faults: Vec<AppliedFault>,
}

/// A shared record of everything sent over a pair, for debugging integrations.
///
/// Clone it into [`MemoryConfig::tap`](crate::memory::MemoryConfig::tap) and read it afterwards.
#[derive(Debug, Clone, Default)]
pub struct Tap {
    entries: Arc<Mutex<Vec<TapEntry>>>,
}

impl Tap {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the entries so far, in send order.
    pub fn entries(&self) -> Vec<TapEntry> {
        self.lock().clone()
    }

    pub(crate) fn record(&self, entry: TapEntry) {
        self.lock().push(entry);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<TapEntry>> {
        // A panic while pushing cannot leave the Vec inconsistent: keep recording.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What to do with one message, decided by an [`Impairer`].
#[derive(Debug)]
pub(crate) struct Plan {
    /// Message number among this end's messages.
    pub(crate) index: u64,
    /// The copies to deliver: none (dropped), one, or two (duplicated).
    pub(crate) copies: Vec<Vec<u8>>,
    /// Hold the copies back until after the next message.
    pub(crate) reorder: bool,
    /// Extra delivery delay.
    pub(crate) delay: Duration,
    /// What was applied, for the [`Tap`].
    pub(crate) applied: Vec<AppliedFault>,
}

/// The fault decisions of one direction.
#[derive(Debug)]
pub(crate) struct Impairer {
    rng: SplitMix64,
    impairments: Impairments,
    script: HashMap<u64, Vec<Fault>>,
    next_index: u64,
}

impl Impairer {
    /// The impairer of messages sent by `from`. Each direction gets its own stream, so one end's
    /// traffic never shifts the other's faults.
    pub(crate) fn new(config: &FaultConfig, from: Endpoint) -> Self {
        let mut master = SplitMix64::new(config.seed);
        let seed_a = master.next_u64();
        let seed_b = master.next_u64();
        let seed = match from {
            Endpoint::A => seed_a,
            Endpoint::B => seed_b,
        };
        let mut script: HashMap<u64, Vec<Fault>> = HashMap::new();
        for &(end, index, fault) in &config.script {
            if end == from {
                script.entry(index).or_default().push(fault);
            }
        }
        Self {
            rng: SplitMix64::new(seed),
            impairments: config.impairments.clone(),
            script,
            next_index: 0,
        }
    }

    /// Decides the fate of the next message.
    pub(crate) fn plan(&mut self, message: &[u8]) -> Plan {
        let index = self.next_index;
        self.next_index += 1;
        let p = &self.impairments;
        // Fixed draw order, one draw each (see `Impairments`).
        let mut faults = Vec::new();
        let draws = [
            (p.drop, Fault::Drop),
            (p.duplicate, Fault::Duplicate),
            (p.reorder, Fault::Reorder),
            (p.truncate, Fault::Truncate),
            (p.corrupt, Fault::Corrupt),
            (p.delay, Fault::Delay(p.delay_by)),
        ];
        for (probability, fault) in draws {
            if self.rng.chance(probability) {
                faults.push(fault);
            }
        }
        faults.extend(self.script.remove(&index).unwrap_or_default());
        self.apply(index, message, &faults)
    }

    fn apply(&mut self, index: u64, message: &[u8], faults: &[Fault]) -> Plan {
        let mut plan = Plan {
            index,
            copies: Vec::new(),
            reorder: false,
            delay: Duration::ZERO,
            applied: Vec::new(),
        };
        if faults.contains(&Fault::Drop) {
            plan.applied.push(AppliedFault::Dropped);
            return plan;
        }
        let mut bytes = message.to_vec();
        if faults.contains(&Fault::Truncate) && !bytes.is_empty() {
            let to = self.rng.below(bytes.len());
            plan.applied.push(AppliedFault::Truncated {
                from: bytes.len(),
                to,
            });
            bytes.truncate(to);
        }
        if faults.contains(&Fault::Corrupt) && !bytes.is_empty() {
            let index = self.rng.below(bytes.len());
            // 1..=255: a zero mask would be no corruption at all.
            let xor = u8::try_from(1 + self.rng.below(255)).unwrap_or(0xff);
            bytes[index] ^= xor;
            plan.applied.push(AppliedFault::Corrupted { index, xor });
        }
        for fault in faults {
            if let Fault::Delay(by) = fault {
                plan.delay = plan.delay.max(*by);
            }
        }
        if !plan.delay.is_zero() {
            plan.applied.push(AppliedFault::Delayed(plan.delay));
        }
        if faults.contains(&Fault::Reorder) {
            plan.reorder = true;
            plan.applied.push(AppliedFault::Reordered);
        }
        if faults.contains(&Fault::Duplicate) {
            plan.copies.push(bytes.clone());
            plan.applied.push(AppliedFault::Duplicated);
        }
        plan.copies.push(bytes);
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plans(config: &FaultConfig, from: Endpoint, n: usize) -> Vec<Vec<AppliedFault>> {
        let mut impairer = Impairer::new(config, from);
        (0..n)
            .map(|_| impairer.plan(b"0123456789").applied)
            .collect()
    }

    #[test]
    fn same_seed_same_decisions() {
        let config = FaultConfig::seeded(9).impairments(Impairments {
            drop: 0.2,
            truncate: 0.3,
            corrupt: 0.3,
            ..Impairments::default()
        });
        assert_eq!(
            plans(&config, Endpoint::A, 50),
            plans(&config, Endpoint::A, 50)
        );
        assert_ne!(
            plans(&config, Endpoint::A, 50),
            plans(&config, Endpoint::B, 50),
            "directions draw from different streams"
        );
    }

    #[test]
    fn scripted_fault_hits_exactly_its_message() {
        let config = FaultConfig::seeded(0).script(Endpoint::B, 1, Fault::Drop);
        assert_eq!(plans(&config, Endpoint::A, 3), vec![vec![]; 3]);
        assert_eq!(
            plans(&config, Endpoint::B, 3),
            vec![vec![], vec![AppliedFault::Dropped], vec![]]
        );
    }

    #[test]
    fn empty_messages_cannot_be_truncated_or_corrupted() {
        let config = FaultConfig::seeded(1)
            .script(Endpoint::A, 0, Fault::Truncate)
            .script(Endpoint::A, 0, Fault::Corrupt);
        let plan = Impairer::new(&config, Endpoint::A).plan(b"");
        assert!(plan.applied.is_empty());
        assert_eq!(plan.copies, vec![Vec::<u8>::new()]);
    }
}
