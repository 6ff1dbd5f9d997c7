//! `tdate` (tag 0) and `full-date` (tag 1004) (2021 7.2.1 and 9.1.2.4 / RFC 8943).
//!
//! 2021 9.1.2.4: tdate values in the MSO "shall not use fractional seconds" and use UTC (`Z`).
//! We send exactly that; on receipt we accept any RFC 3339 date-time (offsets, fractions) and
//! keep the text as received so a message re-encodes unchanged.

use std::fmt;

use crate::cbor::{untag, CborCodec, DecodeError, Value};

/// CBOR tag of an RFC 3339 date-time text (RFC 8949 3.4.1).
pub const TAG_TDATE: u64 = 0;
/// CBOR tag of an RFC 3339 full-date text (RFC 8943).
pub const TAG_FULL_DATE: u64 = 1004;

/// A `tdate`: an instant, as Unix seconds, with the text it was received as.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TDate {
    text: String,
    unix_seconds: i64,
}

impl TDate {
    /// The instant `unix_seconds` (years 0..=9999), written `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn from_unix(unix_seconds: i64) -> Option<Self> {
        let days = unix_seconds.div_euclid(86_400);
        let secs = unix_seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let text = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        Some(Self { text, unix_seconds })
    }

    /// Parses an RFC 3339 date-time (section 5.6), with any offset and fractional seconds; the
    /// fraction is dropped from the Unix time (truncated toward the past).
    pub fn parse(text: &str) -> Result<Self, DecodeError> {
        let unix_seconds = parse_date_time(text.as_bytes()).ok_or_else(|| {
            DecodeError::invalid(format!("{text:?} is not an RFC 3339 date-time"))
        })?;
        Ok(Self {
            text: text.to_owned(),
            unix_seconds,
        })
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// The text as received (or as built).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for TDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl CborCodec for TDate {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        Self::parse(&String::from_cbor(untag(value, TAG_TDATE)?)?)
    }

    fn to_cbor(&self) -> Value {
        Value::Tag(TAG_TDATE, Box::new(Value::Text(self.text.clone())))
    }
}

/// A `full-date` (`YYYY-MM-DD`), as used for birth, issue and expiry dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FullDate {
    year: u16,
    month: u8,
    day: u8,
}

impl FullDate {
    /// A calendar date, if it exists (years 0..=9999).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        (year <= 9999
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year.into(), month))
        .then_some(Self { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self, DecodeError> {
        let b = text.as_bytes();
        let invalid = || DecodeError::invalid(format!("{text:?} is not a full-date YYYY-MM-DD"));
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(invalid());
        }
        let year = digits(&b[0..4]).ok_or_else(invalid)?;
        let month = digits(&b[5..7]).ok_or_else(invalid)?;
        let day = digits(&b[8..10]).ok_or_else(invalid)?;
        // The digit counts bound the values: year < 10000, month and day < 100.
        Self::new(year as u16, month as u8, day as u8).ok_or_else(invalid)
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(&self) -> u8 {
        self.day
    }
}

impl fmt::Display for FullDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl CborCodec for FullDate {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        Self::parse(&String::from_cbor(untag(value, TAG_FULL_DATE)?)?)
    }

    fn to_cbor(&self) -> Value {
        Value::Tag(TAG_FULL_DATE, Box::new(Value::Text(self.to_string())))
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// RFC 3339 5.6 `date-time` to Unix seconds.
fn parse_date_time(b: &[u8]) -> Option<i64> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&month) || day < 1 || day > i64::from(days_in_month(year, month as u8)) {
        return None;
    }
    // Second 60 is a leap second (RFC 3339 5.7); it counts as :59 in Unix time.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let frac = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if frac == 0 {
            return None;
        }
        rest = &rest[1 + frac..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (oh, om) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let local =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second.min(59);
    Some(local - offset)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tdate_parses_utc_offsets_and_fractions() {
        assert_eq!(
            TDate::parse("1970-01-01T00:00:00Z").unwrap().unix_seconds(),
            0
        );
        assert_eq!(
            TDate::parse("2020-10-01T13:30:02Z").unwrap().unix_seconds(),
            1_601_559_002
        );
        assert_eq!(
            TDate::parse("2020-10-01T15:30:02+02:00")
                .unwrap()
                .unix_seconds(),
            1_601_559_002
        );
        assert_eq!(
            TDate::parse("2020-10-01T13:30:02.999-00:00")
                .unwrap()
                .unix_seconds(),
            1_601_559_002
        );
        assert_eq!(
            TDate::parse("1969-12-31T23:59:59Z").unwrap().unix_seconds(),
            -1
        );
    }

    #[test]
    fn tdate_sends_without_fraction_and_round_trips_text() {
        let t = TDate::from_unix(1_601_559_002).unwrap();
        assert_eq!(t.as_str(), "2020-10-01T13:30:02Z");
        let bytes = crate::cbor::to_vec(&t);
        assert_eq!(&bytes[..2], &[0xc0, 0x74]);
        let back: TDate = crate::cbor::from_slice(&bytes).unwrap();
        assert_eq!(back, t);
        // A received offset form keeps its text.
        let odd = TDate::parse("2020-10-01T15:30:02.5+02:00").unwrap();
        let back: TDate = crate::cbor::from_slice(&crate::cbor::to_vec(&odd)).unwrap();
        assert_eq!(back.as_str(), "2020-10-01T15:30:02.5+02:00");
    }

    #[test]
    fn bad_tdates_are_rejected() {
        for bad in [
            "",
            "2020-10-01",
            "2020-10-01 13:30:02Z",
            "2020-13-01T13:30:02Z",
            "2021-02-29T00:00:00Z",
            "2020-10-01T24:00:00Z",
            "2020-10-01T13:30:02",
            "2020-10-01T13:30:02.Z",
            "2020-10-01T13:30:02+0200",
            "2020-10-01T13:30:02Zjunk",
        ] {
            assert!(
                matches!(TDate::parse(bad), Err(DecodeError::InvalidValue { .. })),
                "{bad}"
            );
        }
        let untagged = Value::Text("2020-10-01T13:30:02Z".into());
        assert!(matches!(
            TDate::from_cbor(untagged),
            Err(DecodeError::WrongTag {
                expected: 0,
                found: None,
                ..
            })
        ));
        let wrong = Value::Tag(1004, Box::new(Value::Text("2020-10-01T13:30:02Z".into())));
        assert!(matches!(
            TDate::from_cbor(wrong),
            Err(DecodeError::WrongTag {
                found: Some(1004),
                ..
            })
        ));
        let not_text = Value::Tag(0, Box::new(Value::Integer(0.into())));
        assert!(matches!(
            TDate::from_cbor(not_text),
            Err(DecodeError::WrongType { .. })
        ));
    }

    #[test]
    fn full_date_round_trips_and_validates() {
        let bytes = hex::decode("d903ec6a323031392d31302d3230").unwrap();
        let d: FullDate = crate::cbor::from_slice(&bytes).unwrap();
        assert_eq!((d.year(), d.month(), d.day()), (2019, 10, 20));
        assert_eq!(crate::cbor::to_vec(&d), bytes);
        assert!(FullDate::parse("2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2019-1-20",
            "2019-10-20T00:00:00Z",
            "2019/10/20",
            "2019-00-10",
            "20a9-10-10",
        ] {
            assert!(
                matches!(FullDate::parse(bad), Err(DecodeError::InvalidValue { .. })),
                "{bad}"
            );
        }
        let wrong_tag = Value::Tag(0, Box::new(Value::Text("2019-10-20".into())));
        assert!(matches!(
            FullDate::from_cbor(wrong_tag),
            Err(DecodeError::WrongTag { expected: 1004, .. })
        ));
    }

    #[test]
    fn civil_conversion_is_consistent() {
        for days in [-800_000i64, -1, 0, 1, 18_536, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
