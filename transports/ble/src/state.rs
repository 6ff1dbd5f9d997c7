//! The State characteristic's values and the Ident check (2021 8.3.3.1.1.4, 8.3.3.1.1.5).
//!
//! The GATT client writes State `0x01` once subscribed, to start; either side ends the session
//! with `0x02` (the client by writing it, the server by notifying it). In central client mode
//! the holder first reads the reader's Ident and compares it with the value derived from its
//! own EDeviceKey (`SessionBinding::ble_ident`, computed by the core); on a mismatch it is not
//! the reader that scanned the engagement, and the holder terminates.

use crate::error::BleError;

/// A State characteristic value (2021 8.3.3.1.1.5). Unknown values survive as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateValue(pub u8);

impl StateValue {
    /// `0x01`: start of data transfer, written by the GATT client.
    pub const START: Self = Self(0x01);
    /// `0x02`: end of data transfer, from either side.
    pub const END: Self = Self(0x02);

    /// The one-byte characteristic value.
    pub fn to_bytes(self) -> [u8; 1] {
        [self.0]
    }
}

/// Length of the Ident value (2021 8.3.3.1.1.4: 16 bytes of HKDF output).
pub const IDENT_LEN: usize = 16;

/// Compares the reader's Ident characteristic value with the expected one.
///
/// # Errors
/// [`BleError::IdentMismatch`] on any difference, including a value of the wrong length.
pub fn check_ident(expected: &[u8; IDENT_LEN], received: &[u8]) -> Result<(), BleError> {
    if received == expected {
        Ok(())
    } else {
        Err(BleError::IdentMismatch {
            expected: *expected,
            received: received.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_values_are_the_standards() {
        assert_eq!(StateValue::START.to_bytes(), [0x01]);
        assert_eq!(StateValue::END.to_bytes(), [0x02]);
    }

    #[test]
    fn ident_must_match_exactly() {
        let ident = [0x8d; 16];
        assert!(check_ident(&ident, &ident).is_ok());
        assert!(matches!(
            check_ident(&ident, &[0x8d; 15]),
            Err(BleError::IdentMismatch { .. })
        ));
        let mut other = ident;
        other[15] ^= 1;
        assert!(matches!(
            check_ident(&ident, &other),
            Err(BleError::IdentMismatch { .. })
        ));
    }
}
