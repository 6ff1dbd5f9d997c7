//! Validation time: the instant at which certificates, MSO validity and reader certificates
//! are checked. Always an argument, never read from a clock by the core.

/// A point in time as seconds since the Unix epoch (UTC), the unit of X.509 validity and of the
/// MSO's `validityInfo` (2021 9.1.2.4).
///
/// The core never reads the clock: drivers, the CLI and tests pass the time in. Plain `i64`
/// seconds convert with `From`, so `verify::response(.., 1_700_000_000)` still reads naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const EPOCH: Self = Self(0);

    /// `secs` seconds after the epoch (negative: before it).
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn secs(self) -> i64 {
        self.0
    }
}

impl From<i64> for UnixTime {
    fn from(secs: i64) -> Self {
        Self(secs)
    }
}

impl From<UnixTime> for i64 {
    fn from(t: UnixTime) -> Self {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways_and_orders() {
        let t = UnixTime::from(1_700_000_000);
        assert_eq!(t.secs(), 1_700_000_000);
        assert_eq!(i64::from(t), 1_700_000_000);
        assert!(UnixTime::EPOCH < t);
        assert_eq!(UnixTime::from_secs(-1).secs(), -1);
    }
}
