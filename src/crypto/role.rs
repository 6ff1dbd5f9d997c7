//! Which side of a session we are.

/// The side of an 18013-5 session: names the direction of keys and IVs instead of a `bool`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The mdoc (holder's device): encrypts with SKDevice, decrypts with SKReader.
    Holder,
    /// The mdoc reader: encrypts with SKReader, decrypts with SKDevice.
    Reader,
}

impl Role {
    /// The other side.
    pub fn peer(self) -> Self {
        match self {
            Self::Holder => Self::Reader,
            Self::Reader => Self::Holder,
        }
    }

    /// The 8-byte IV identifier of messages this role sends (2021 9.1.1.5: reader
    /// `0x0000000000000000`, mdoc `0x0000000000000001`).
    pub fn iv_identifier(self) -> [u8; 8] {
        match self {
            Self::Reader => [0, 0, 0, 0, 0, 0, 0, 0],
            Self::Holder => [0, 0, 0, 0, 0, 0, 0, 1],
        }
    }
}
