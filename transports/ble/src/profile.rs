//! The role × mode matrix of 18013-5 BLE data retrieval, as data (2021 8.3.3.1.1.4, Table 11
//! and Table 12; 2nd ed. adds the L2CAP PSM characteristics).
//!
//! In **mdoc peripheral server mode** the holder advertises the service UUID of its engagement
//! and is the GATT server; the reader scans, connects and is the GATT client. In **mdoc central
//! client mode** the roles of the radio swap: the reader advertises and serves (with the Ident
//! characteristic), the holder scans and is the GATT client. In both modes the GATT client
//! subscribes, writes State `0x01` to start, writes requests into Client2Server and receives
//! the other side's messages as Server2Client notifications.

use mdl_transport::{BleMode, BleUuid};

/// Who is on this end of the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The mdoc (wallet).
    Holder,
    /// The mdoc reader.
    Reader,
}

/// Which GATT side this end of the link plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GattSide {
    /// Advertises, hosts the service, notifies.
    Server,
    /// Scans, connects, subscribes, writes.
    Client,
}

/// The characteristics of the 18013-5 services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharacteristicKind {
    /// State: `0x01` start, `0x02` end; written by the client, notified by the server.
    State,
    /// Client2Server: message chunks written by the GATT client (write without response).
    ClientToServer,
    /// Server2Client: message chunks notified by the GATT server.
    ServerToClient,
    /// Ident (central client mode only): 16 bytes read by the holder to check it found the
    /// reader it engaged with (2021 8.3.3.1.1.4).
    Ident,
    /// L2CAP PSM (2nd ed.): the server's PSM, 4 bytes big-endian, read by the client.
    L2capPsm,
}

/// ATT properties a characteristic declares (Core 5.3 Vol 3 Part G 3.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Properties {
    /// Readable.
    pub read: bool,
    /// Write Command (write without response).
    pub write_without_response: bool,
    /// Handle Value Notification (with a CCCD the client sets to `0x0001`).
    pub notify: bool,
}

/// One characteristic of a mode's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CharacteristicSpec {
    /// What it carries.
    pub kind: CharacteristicKind,
    /// Its UUID.
    pub uuid: BleUuid,
    /// Its properties.
    pub properties: Properties,
}

/// Everything a mode fixes: who serves, what exists, with which UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModeProfile {
    /// The mode.
    pub mode: BleMode,
    /// Who is GATT server and advertises the engagement's service UUID.
    pub gatt_server: Role,
    /// The service's characteristics.
    pub characteristics: &'static [CharacteristicSpec],
}

/// The 18013-5 characteristic UUID `0000000N-A123-48CE-896B-4C76973373E6` (2021 8.3.3.1.1.4).
pub const fn characteristic_uuid(n: u8) -> BleUuid {
    BleUuid([
        0x00, 0x00, 0x00, n, 0xA1, 0x23, 0x48, 0xCE, 0x89, 0x6B, 0x4C, 0x76, 0x97, 0x33, 0x73, 0xE6,
    ])
}

/// mdoc service (peripheral server mode) State, N = 1.
pub const MDOC_STATE: BleUuid = characteristic_uuid(0x01);
/// mdoc service Client2Server, N = 2.
pub const MDOC_CLIENT2SERVER: BleUuid = characteristic_uuid(0x02);
/// mdoc service Server2Client, N = 3.
pub const MDOC_SERVER2CLIENT: BleUuid = characteristic_uuid(0x03);
/// mdoc service L2CAP PSM, N = 0x0A (2nd ed.).
pub const MDOC_L2CAP_PSM: BleUuid = characteristic_uuid(0x0A);
/// Reader service (central client mode) State, N = 5.
pub const READER_STATE: BleUuid = characteristic_uuid(0x05);
/// Reader service Client2Server, N = 6.
pub const READER_CLIENT2SERVER: BleUuid = characteristic_uuid(0x06);
/// Reader service Server2Client, N = 7.
pub const READER_SERVER2CLIENT: BleUuid = characteristic_uuid(0x07);
/// Reader service Ident, N = 8.
pub const READER_IDENT: BleUuid = characteristic_uuid(0x08);
/// Reader service L2CAP PSM, N = 0x0B (2nd ed.).
pub const READER_L2CAP_PSM: BleUuid = characteristic_uuid(0x0B);

const STATE_PROPS: Properties = Properties {
    read: false,
    write_without_response: true,
    notify: true,
};
const C2S_PROPS: Properties = Properties {
    read: false,
    write_without_response: true,
    notify: false,
};
const S2C_PROPS: Properties = Properties {
    read: false,
    write_without_response: false,
    notify: true,
};
const READ_PROPS: Properties = Properties {
    read: true,
    write_without_response: false,
    notify: false,
};

const fn spec(
    kind: CharacteristicKind,
    uuid: BleUuid,
    properties: Properties,
) -> CharacteristicSpec {
    CharacteristicSpec {
        kind,
        uuid,
        properties,
    }
}

/// mdoc peripheral server mode: the holder serves the mdoc service.
pub const PERIPHERAL_SERVER: ModeProfile = ModeProfile {
    mode: BleMode::PeripheralServer,
    gatt_server: Role::Holder,
    characteristics: &[
        spec(CharacteristicKind::State, MDOC_STATE, STATE_PROPS),
        spec(
            CharacteristicKind::ClientToServer,
            MDOC_CLIENT2SERVER,
            C2S_PROPS,
        ),
        spec(
            CharacteristicKind::ServerToClient,
            MDOC_SERVER2CLIENT,
            S2C_PROPS,
        ),
        spec(CharacteristicKind::L2capPsm, MDOC_L2CAP_PSM, READ_PROPS),
    ],
};

/// mdoc central client mode: the reader serves the reader service, with Ident.
pub const CENTRAL_CLIENT: ModeProfile = ModeProfile {
    mode: BleMode::CentralClient,
    gatt_server: Role::Reader,
    characteristics: &[
        spec(CharacteristicKind::State, READER_STATE, STATE_PROPS),
        spec(
            CharacteristicKind::ClientToServer,
            READER_CLIENT2SERVER,
            C2S_PROPS,
        ),
        spec(
            CharacteristicKind::ServerToClient,
            READER_SERVER2CLIENT,
            S2C_PROPS,
        ),
        spec(CharacteristicKind::Ident, READER_IDENT, READ_PROPS),
        spec(CharacteristicKind::L2capPsm, READER_L2CAP_PSM, READ_PROPS),
    ],
};

impl ModeProfile {
    /// The profile of `mode`.
    pub const fn of(mode: BleMode) -> &'static ModeProfile {
        match mode {
            BleMode::PeripheralServer => &PERIPHERAL_SERVER,
            BleMode::CentralClient => &CENTRAL_CLIENT,
        }
    }

    /// Which GATT side `role` plays in this mode.
    pub fn side_of(&self, role: Role) -> GattSide {
        if role == self.gatt_server {
            GattSide::Server
        } else {
            GattSide::Client
        }
    }

    /// The role that advertises the service UUID: always the GATT server.
    pub fn advertiser(&self) -> Role {
        self.gatt_server
    }

    /// The characteristic of `kind`, if this mode has one.
    pub fn characteristic(&self, kind: CharacteristicKind) -> Option<&'static CharacteristicSpec> {
        self.characteristics.iter().find(|c| c.kind == kind)
    }

    /// The UUID of the characteristic of `kind`, if this mode has one.
    pub fn uuid(&self, kind: CharacteristicKind) -> Option<BleUuid> {
        self.characteristic(kind).map(|c| c.uuid)
    }
}

/// Formats a UUID in the canonical 8-4-4-4-12 lower-case form.
pub fn uuid_string(uuid: &BleUuid) -> String {
    let b = &uuid.0;
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characteristic_uuids_are_the_standards() {
        assert_eq!(
            uuid_string(&MDOC_STATE),
            "00000001-a123-48ce-896b-4c76973373e6"
        );
        assert_eq!(
            uuid_string(&READER_IDENT),
            "00000008-a123-48ce-896b-4c76973373e6"
        );
        assert_eq!(
            uuid_string(&MDOC_L2CAP_PSM),
            "0000000a-a123-48ce-896b-4c76973373e6"
        );
        assert_eq!(
            uuid_string(&READER_L2CAP_PSM),
            "0000000b-a123-48ce-896b-4c76973373e6"
        );
    }

    #[test]
    fn holder_serves_in_peripheral_server_mode_reader_in_central_client_mode() {
        let ps = ModeProfile::of(BleMode::PeripheralServer);
        assert_eq!(ps.side_of(Role::Holder), GattSide::Server);
        assert_eq!(ps.side_of(Role::Reader), GattSide::Client);
        assert_eq!(ps.advertiser(), Role::Holder);
        let cc = ModeProfile::of(BleMode::CentralClient);
        assert_eq!(cc.side_of(Role::Holder), GattSide::Client);
        assert_eq!(cc.side_of(Role::Reader), GattSide::Server);
        assert_eq!(cc.advertiser(), Role::Reader);
    }

    #[test]
    fn only_central_client_mode_has_ident() {
        assert!(PERIPHERAL_SERVER
            .characteristic(CharacteristicKind::Ident)
            .is_none());
        let ident = CENTRAL_CLIENT
            .characteristic(CharacteristicKind::Ident)
            .map(|c| (c.uuid, c.properties));
        assert_eq!(ident, Some((READER_IDENT, READ_PROPS)));
    }

    #[test]
    fn state_is_written_and_notified_data_one_way_each() {
        for profile in [&PERIPHERAL_SERVER, &CENTRAL_CLIENT] {
            let props = |k| profile.characteristic(k).map(|c| c.properties);
            assert_eq!(props(CharacteristicKind::State), Some(STATE_PROPS));
            assert_eq!(props(CharacteristicKind::ClientToServer), Some(C2S_PROPS));
            assert_eq!(props(CharacteristicKind::ServerToClient), Some(S2C_PROPS));
            assert_eq!(props(CharacteristicKind::L2capPsm), Some(READ_PROPS));
        }
    }
}
