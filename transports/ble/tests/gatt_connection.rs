//! The sans-IO GATT link: both sides of each mode driven against each other, no radio.

use std::time::{Duration, Instant};

use mdl_transport::BleMode;
use mdl_transport_ble::connection::{BleErrorKind, GattConfig, GattConnection, GattOutput};
use mdl_transport_ble::profile::{GattSide, Role};
use mdl_transport_ble::state::StateValue;
use mdl_transport_ble::BleError;

const IDENT: [u8; 16] = [
    0x8d, 0xa0, 0xb7, 0xa8, 0x59, 0x19, 0xf0, 0x56, 0x73, 0x05, 0x4e, 0xa9, 0x96, 0xbb, 0xd1, 0x24,
];

/// What came out of one side, radio actions applied to the other side.
#[derive(Debug, Default)]
struct Seen {
    started: bool,
    received: Vec<Vec<u8>>,
    peer_ended: bool,
    failed: Option<BleErrorKind>,
    disconnected: bool,
    chunks_sent: usize,
    ident_reads: usize,
}

/// A client and a server in one mode on a virtual clock, with the reader's Ident served.
struct Pair {
    now: Instant,
    client: GattConnection,
    server: GattConnection,
    served_ident: Vec<u8>,
    client_seen: Seen,
    server_seen: Seen,
}

impl Pair {
    fn new(mode: BleMode, served_ident: &[u8]) -> Self {
        let (client_role, server_role) = match mode {
            BleMode::PeripheralServer => (Role::Reader, Role::Holder),
            BleMode::CentralClient => (Role::Holder, Role::Reader),
        };
        let expected = (client_role == Role::Holder).then_some(IDENT);
        let client = GattConnection::new(client_role, mode, GattConfig::default(), expected);
        let server = GattConnection::new(server_role, mode, GattConfig::default(), None);
        assert_eq!(client.side(), GattSide::Client);
        assert_eq!(server.side(), GattSide::Server);
        Self {
            now: Instant::now(),
            client,
            server,
            served_ident: served_ident.to_vec(),
            client_seen: Seen::default(),
            server_seen: Seen::default(),
        }
    }

    fn connect(&mut self, mtu: u16) {
        self.server.handle_connected(self.now, mtu);
        self.client.handle_connected(self.now, mtu);
        self.pump();
    }

    /// Moves outputs across until both sides are quiet.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(out) = self.client.poll_output() {
                moved = true;
                match out {
                    GattOutput::ReadIdent => {
                        self.client_seen.ident_reads += 1;
                        let v = self.served_ident.clone();
                        self.client.handle_ident(&v);
                    }
                    GattOutput::SendState(s) => self.server.handle_state(self.now, &s.to_bytes()),
                    GattOutput::SendChunk(c) => {
                        self.client_seen.chunks_sent += 1;
                        self.server.handle_chunk(&c);
                    }
                    other => record(&mut self.client_seen, other),
                }
            }
            while let Some(out) = self.server.poll_output() {
                moved = true;
                match out {
                    GattOutput::SendState(s) => self.client.handle_state(self.now, &s.to_bytes()),
                    GattOutput::SendChunk(c) => {
                        self.server_seen.chunks_sent += 1;
                        self.client.handle_chunk(&c);
                    }
                    other => record(&mut self.server_seen, other),
                }
            }
            if !moved {
                return;
            }
        }
    }
}

fn record(seen: &mut Seen, out: GattOutput) {
    match out {
        GattOutput::Started => seen.started = true,
        GattOutput::Received(m) => seen.received.push(m),
        GattOutput::PeerEnded => seen.peer_ended = true,
        GattOutput::Failed(k) => seen.failed = Some(k),
        GattOutput::Disconnect => seen.disconnected = true,
        other => panic!("unexpected {other:?}"),
    }
}

fn round_trip(mode: BleMode) {
    let mut pair = Pair::new(mode, &IDENT);
    pair.connect(247);
    assert!(pair.client_seen.started && pair.server_seen.started);
    let request = vec![0x11; 1000];
    let response = vec![0x22; 60_000];
    pair.client.send_message(&request).expect("open");
    pair.pump();
    assert_eq!(pair.server_seen.received, vec![request]);
    assert_eq!(pair.client_seen.chunks_sent, 1000usize.div_ceil(243));
    pair.server.send_message(&response).expect("open");
    pair.pump();
    assert_eq!(pair.client_seen.received, vec![response]);
    assert_eq!(pair.server_seen.chunks_sent, 60_000usize.div_ceil(243));
    // The reader ends: in peripheral server mode it is the client, in central client the server.
    match mode {
        BleMode::PeripheralServer => pair.client.end(),
        BleMode::CentralClient => pair.server.end(),
    }
    pair.pump();
    let (ender, other) = match mode {
        BleMode::PeripheralServer => (&pair.client_seen, &pair.server_seen),
        BleMode::CentralClient => (&pair.server_seen, &pair.client_seen),
    };
    assert!(!ender.peer_ended && !ender.disconnected);
    assert!(other.peer_ended);
    assert!(pair.client.is_closed() && pair.server.is_closed());
}

#[test]
fn peripheral_server_mode_round_trip() {
    round_trip(BleMode::PeripheralServer);
}

#[test]
fn central_client_mode_round_trip_checks_ident_first() {
    round_trip(BleMode::CentralClient);
}

#[test]
fn holder_reads_ident_only_in_central_client_mode() {
    let mut ps = Pair::new(BleMode::PeripheralServer, &IDENT);
    ps.connect(23);
    assert_eq!(ps.client_seen.ident_reads, 0);
    let mut cc = Pair::new(BleMode::CentralClient, &IDENT);
    cc.connect(23);
    assert_eq!(cc.client_seen.ident_reads, 1);
}

#[test]
fn wrong_ident_ends_the_holders_session_before_start() {
    let mut wrong = IDENT;
    wrong[0] ^= 0xFF;
    let mut pair = Pair::new(BleMode::CentralClient, &wrong);
    pair.connect(247);
    assert_eq!(pair.client_seen.failed, Some(BleErrorKind::IdentMismatch));
    assert!(pair.client_seen.disconnected);
    assert!(!pair.client_seen.started);
    assert!(!pair.server_seen.started, "no State start was written");
    assert!(matches!(
        pair.client.take_error(),
        Some(BleError::IdentMismatch { received, .. }) if received == wrong
    ));
    assert!(matches!(
        pair.client.send_message(b"x"),
        Err(BleError::Ended)
    ));
}

#[test]
fn short_ident_is_a_mismatch() {
    let mut pair = Pair::new(BleMode::CentralClient, &IDENT[..8]);
    pair.connect(247);
    assert_eq!(pair.client_seen.failed, Some(BleErrorKind::IdentMismatch));
}

#[test]
fn server_gives_up_when_the_client_never_writes_state() {
    let mut server = GattConnection::new(
        Role::Holder,
        BleMode::PeripheralServer,
        GattConfig::default(),
        None,
    );
    let t0 = Instant::now();
    assert_eq!(server.poll_timeout(), None);
    server.handle_connected(t0, 185);
    let deadline = server.poll_timeout().expect("waiting for start");
    assert_eq!(deadline, t0 + GattConfig::default().start_timeout);
    server.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(server.poll_output(), None);
    server.handle_timeout(deadline);
    assert_eq!(
        server.poll_output(),
        Some(GattOutput::Failed(BleErrorKind::StartTimeout))
    );
    assert_eq!(server.poll_output(), Some(GattOutput::Disconnect));
    assert!(matches!(server.take_error(), Some(BleError::StartTimeout)));
    assert_eq!(server.poll_timeout(), None);
}

fn open_server() -> GattConnection {
    let mut server = GattConnection::new(
        Role::Holder,
        BleMode::PeripheralServer,
        GattConfig::default(),
        None,
    );
    server.handle_connected(Instant::now(), 515);
    server.handle_state(Instant::now(), &[0x01]);
    assert_eq!(server.poll_output(), Some(GattOutput::Started));
    server
}

#[test]
fn data_before_start_is_rejected() {
    let mut server = GattConnection::new(
        Role::Holder,
        BleMode::PeripheralServer,
        GattConfig::default(),
        None,
    );
    server.handle_connected(Instant::now(), 515);
    server.handle_chunk(&[0x00, 1, 2]);
    assert_eq!(
        server.poll_output(),
        Some(GattOutput::Failed(BleErrorKind::DataBeforeStart))
    );
    assert_eq!(server.poll_output(), Some(GattOutput::Disconnect));
}

#[test]
fn unknown_state_value_is_rejected() {
    let mut server = open_server();
    server.handle_state(Instant::now(), &[0x07]);
    assert_eq!(
        server.poll_output(),
        Some(GattOutput::Failed(BleErrorKind::State))
    );
    assert!(matches!(
        server.take_error(),
        Some(BleError::UnknownState(7))
    ));
}

#[test]
fn state_of_wrong_length_is_rejected() {
    for value in [&[][..], &[0x02, 0x00][..]] {
        let mut server = open_server();
        server.handle_state(Instant::now(), value);
        assert_eq!(
            server.poll_output(),
            Some(GattOutput::Failed(BleErrorKind::State))
        );
        assert!(matches!(server.take_error(), Some(BleError::StateLength(n)) if n == value.len()));
    }
}

#[test]
fn garbage_chunk_fails_the_link() {
    let mut server = open_server();
    server.handle_chunk(&[0x01, 9, 9]);
    server.handle_chunk(&[0x42, 9]);
    assert_eq!(
        server.poll_output(),
        Some(GattOutput::Failed(BleErrorKind::Chunk))
    );
    assert_eq!(server.poll_output(), Some(GattOutput::Disconnect));
    assert_eq!(server.buffered(), 0, "session data deleted");
    server.handle_chunk(&[0x00, 1]);
    assert_eq!(server.poll_output(), None, "nothing after a failure");
}

#[test]
fn oversized_message_fails_the_link() {
    let config = GattConfig {
        max_message_size: 100,
        ..GattConfig::default()
    };
    let mut server = GattConnection::new(Role::Reader, BleMode::CentralClient, config, None);
    server.handle_state(Instant::now(), &[0x01]);
    assert_eq!(server.poll_output(), Some(GattOutput::Started));
    let mut chunk = vec![0x01];
    chunk.extend([0u8; 60]);
    server.handle_chunk(&chunk);
    server.handle_chunk(&chunk);
    assert_eq!(
        server.poll_output(),
        Some(GattOutput::Failed(BleErrorKind::Chunk))
    );
}

#[test]
fn disconnect_mid_message_is_link_lost_mid_message() {
    let mut server = open_server();
    server.handle_chunk(&[0x01, 1, 2, 3]);
    server.handle_disconnected();
    assert_eq!(
        server.poll_output(),
        Some(GattOutput::Failed(BleErrorKind::LinkLost))
    );
    assert_eq!(server.poll_output(), None);
    assert!(matches!(
        server.take_error(),
        Some(BleError::LinkLost { mid_message: true })
    ));
}

#[test]
fn disconnect_after_end_is_quiet() {
    let mut server = open_server();
    server.handle_state(Instant::now(), &StateValue::END.to_bytes());
    assert_eq!(server.poll_output(), Some(GattOutput::PeerEnded));
    server.handle_disconnected();
    assert_eq!(server.poll_output(), None);
}

#[test]
fn end_before_start_sends_nothing() {
    let mut client = GattConnection::new(
        Role::Reader,
        BleMode::PeripheralServer,
        GattConfig::default(),
        None,
    );
    client.end();
    // No State 0x02 before a start; releasing the link is the backend's close.
    assert_eq!(client.poll_output(), None);
    assert!(matches!(client.send_message(b"x"), Err(BleError::Ended)));
}

#[test]
fn sending_before_start_is_refused() {
    let mut server = GattConnection::new(
        Role::Holder,
        BleMode::PeripheralServer,
        GattConfig::default(),
        None,
    );
    assert!(matches!(
        server.send_message(b"x"),
        Err(BleError::NotStarted)
    ));
}

#[test]
fn server_follows_the_mtu_the_client_writes_with() {
    let mut server = open_server();
    server.handle_mtu(23);
    server.send_message(&[5; 40]).expect("open");
    let mut lens = Vec::new();
    while let Some(GattOutput::SendChunk(c)) = server.poll_output() {
        lens.push(c.len());
    }
    assert_eq!(lens, vec![20, 20, 3]);
}
