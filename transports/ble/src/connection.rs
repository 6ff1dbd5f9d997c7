//! One side of an 18013-5 GATT link as a sans-IO state machine: the State characteristic
//! protocol, the Ident check, chunking and reassembly (2021 8.3.3.1.1.4–8.3.3.1.1.7).
//!
//! # Run-loop contract
//! A backend owns the radio; a [`GattConnection`] owns the protocol. After every `handle_*`
//! call or command, drain [`poll_output`](GattConnection::poll_output) until it returns `None`
//! and perform each [`GattOutput`] in order: the GATT client *writes* State and chunks (write
//! without response), the GATT server *notifies* them. Wait for the next radio event or
//! [`poll_timeout`](GattConnection::poll_timeout), whichever is first, and feed it back.
//! The machine never reads a clock: `now` is an argument.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use mdl_transport::BleMode;
//! use mdl_transport_ble::connection::{GattConfig, GattConnection, GattOutput};
//! use mdl_transport_ble::profile::Role;
//! use mdl_transport_ble::state::StateValue;
//!
//! let now = Instant::now();
//! // The reader as GATT client in peripheral server mode, once subscribed, MTU 247.
//! let mut reader = GattConnection::new(Role::Reader, BleMode::PeripheralServer, GattConfig::default(), None);
//! reader.handle_connected(now, 247);
//! assert_eq!(reader.poll_output(), Some(GattOutput::SendState(StateValue::START)));
//! assert_eq!(reader.poll_output(), Some(GattOutput::Started));
//! reader.send_message(&[0xA0; 600]).unwrap();
//! let mut chunks = 0;
//! while let Some(GattOutput::SendChunk(chunk)) = reader.poll_output() {
//!     assert!(chunk.len() <= 244);
//!     chunks += 1;
//! }
//! assert_eq!(chunks, 3);
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mdl_transport::BleMode;

use crate::chunk::{self, Reassembler, MIN_ATT_MTU};
use crate::error::BleError;
use crate::profile::{GattSide, ModeProfile, Role};
use crate::state::{check_ident, StateValue};

/// Limits of a [`GattConnection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GattConfig {
    /// Largest message accepted from the peer.
    pub max_message_size: usize,
    /// How long a GATT server waits, from the client's connection, for State `0x01`.
    pub start_timeout: Duration,
}

impl Default for GattConfig {
    fn default() -> Self {
        Self {
            max_message_size: chunk::DEFAULT_MAX_MESSAGE_SIZE,
            // 2021 9.1.1.6 asks ≥ 30 s from engagement to SessionEstablishment; the start of
            // the BLE session comes before that and is a machine's job, not a person's.
            start_timeout: Duration::from_secs(10),
        }
    }
}

/// What the backend must do, or report, next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GattOutput {
    /// GATT client in central client mode: read the reader's Ident characteristic and pass the
    /// value to [`GattConnection::handle_ident`].
    ReadIdent,
    /// Send a State value: the client writes it, the server notifies it.
    SendState(StateValue),
    /// Send a chunk: the client writes Client2Server, the server notifies Server2Client.
    SendChunk(Vec<u8>),
    /// The session started (State `0x01` written or received): messages may flow.
    Started,
    /// A whole message from the peer.
    Received(Vec<u8>),
    /// The peer ended the session with State `0x02` (`Incoming::End`).
    PeerEnded,
    /// The session failed; release the link. Nothing follows.
    Failed(BleErrorKind),
    /// Release the link now (after a failure such as the Ident mismatch).
    Disconnect,
}

/// A [`BleError`] as data ([`BleError`] itself carries backend strings and is not `Clone`);
/// [`GattConnection::take_error`] returns the full error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BleErrorKind {
    /// Malformed chunks.
    Chunk,
    /// Ident mismatch.
    IdentMismatch,
    /// Bad State value.
    State,
    /// Data before State start.
    DataBeforeStart,
    /// No State start within the deadline.
    StartTimeout,
    /// Link lost.
    LinkLost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not connected yet (server: no client subscribed; client: not subscribed yet).
    Idle,
    /// Client: Ident read requested.
    AwaitIdent,
    /// Server: a client is connected; waiting for State `0x01` until the deadline.
    AwaitStart { deadline: Instant },
    /// Messages flow.
    Open,
    /// Ended by either side or failed; nothing more.
    Closed,
}

/// One side of an 18013-5 GATT link (see the module's run-loop contract).
#[derive(Debug)]
pub struct GattConnection {
    side: GattSide,
    mode: BleMode,
    config: GattConfig,
    expected_ident: Option<[u8; 16]>,
    att_mtu: u16,
    phase: Phase,
    reassembler: Reassembler,
    out: VecDeque<GattOutput>,
    error: Option<BleError>,
}

impl GattConnection {
    /// A link endpoint for `role` in `mode`. A holder in central client mode must pass the
    /// expected Ident (from `SessionBinding`): it reads the reader's and compares.
    pub fn new(
        role: Role,
        mode: BleMode,
        config: GattConfig,
        expected_ident: Option<[u8; 16]>,
    ) -> Self {
        let side = ModeProfile::of(mode).side_of(role);
        Self {
            side,
            mode,
            config,
            expected_ident,
            att_mtu: MIN_ATT_MTU,
            phase: Phase::Idle,
            reassembler: Reassembler::new(config.max_message_size),
            out: VecDeque::new(),
            error: None,
        }
    }

    /// Which GATT side this endpoint plays.
    pub fn side(&self) -> GattSide {
        self.side
    }

    /// The mode.
    pub fn mode(&self) -> BleMode {
        self.mode
    }

    /// The ATT MTU chunks are cut for.
    pub fn att_mtu(&self) -> u16 {
        self.att_mtu
    }

    /// True once the session started and until it ends.
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    /// True once ended or failed.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Bytes of a partly received message (for progress reports).
    pub fn buffered(&self) -> usize {
        self.reassembler.buffered()
    }

    // ---- input -------------------------------------------------------------------------

    /// The peer is connected (client: after discovery and subscribing to State and
    /// Server2Client; server: when the client subscribes). `att_mtu` is the negotiated MTU.
    pub fn handle_connected(&mut self, now: Instant, att_mtu: u16) {
        self.handle_mtu(att_mtu);
        if self.phase != Phase::Idle {
            return;
        }
        match self.side {
            GattSide::Client => {
                if self.mode == BleMode::CentralClient && self.expected_ident.is_some() {
                    self.phase = Phase::AwaitIdent;
                    self.out.push_back(GattOutput::ReadIdent);
                } else {
                    self.start_as_client();
                }
            }
            GattSide::Server => {
                self.phase = Phase::AwaitStart {
                    deadline: now + self.config.start_timeout,
                };
            }
        }
    }

    fn start_as_client(&mut self) {
        self.phase = Phase::Open;
        self.out.push_back(GattOutput::SendState(StateValue::START));
        self.out.push_back(GattOutput::Started);
    }

    /// The ATT MTU changed (a server learns it from each write request).
    pub fn handle_mtu(&mut self, att_mtu: u16) {
        self.att_mtu = att_mtu.max(MIN_ATT_MTU);
    }

    /// The value read from the reader's Ident characteristic (client in central client mode).
    pub fn handle_ident(&mut self, value: &[u8]) {
        if self.phase != Phase::AwaitIdent {
            return;
        }
        let Some(expected) = self.expected_ident else {
            return;
        };
        match check_ident(&expected, value) {
            Ok(()) => self.start_as_client(),
            Err(e) => self.fail(e, BleErrorKind::IdentMismatch),
        }
    }

    /// A State value from the peer (server: the client's write; client: a notification).
    pub fn handle_state(&mut self, now: Instant, value: &[u8]) {
        if self.phase == Phase::Closed {
            return;
        }
        let state = match value {
            [v] => StateValue(*v),
            other => return self.fail(BleError::StateLength(other.len()), BleErrorKind::State),
        };
        match state {
            StateValue::END => {
                self.phase = Phase::Closed;
                self.reassembler.clear();
                self.out.push_back(GattOutput::PeerEnded);
            }
            StateValue::START if self.side == GattSide::Server => match self.phase {
                Phase::Idle | Phase::AwaitStart { .. } => {
                    // A start without a seen subscription still starts (lenient): the
                    // client subscribed on a path we did not observe.
                    let _ = now;
                    self.phase = Phase::Open;
                    self.out.push_back(GattOutput::Started);
                }
                // A repeated start changes nothing.
                _ => {}
            },
            // A server never sends start; a client ignores one (lenient).
            StateValue::START => {}
            StateValue(other) => self.fail(BleError::UnknownState(other), BleErrorKind::State),
        }
    }

    /// A chunk from the peer (server: a Client2Server write; client: a Server2Client
    /// notification).
    pub fn handle_chunk(&mut self, chunk: &[u8]) {
        match self.phase {
            Phase::Closed => return,
            Phase::Open => {}
            _ => return self.fail(BleError::DataBeforeStart, BleErrorKind::DataBeforeStart),
        }
        if let Err(e) = self.reassembler.handle_chunk(chunk) {
            return self.fail(e.into(), BleErrorKind::Chunk);
        }
        // Only complete messages are queued here; a reassembler error was handled above.
        while let Ok(Some(message)) = self.reassembler.poll_message() {
            self.out.push_back(GattOutput::Received(message));
        }
    }

    /// The link dropped.
    pub fn handle_disconnected(&mut self) {
        if self.phase == Phase::Closed {
            return;
        }
        let mid_message = self.reassembler.buffered() > 0;
        self.fail_without_disconnect(BleError::LinkLost { mid_message }, BleErrorKind::LinkLost);
    }

    /// Time passed: a server whose client never wrote State `0x01` gives up.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let Phase::AwaitStart { deadline } = self.phase {
            if now >= deadline {
                self.fail(BleError::StartTimeout, BleErrorKind::StartTimeout);
            }
        }
    }

    // ---- commands ----------------------------------------------------------------------

    /// Queues `message` as chunks for the current MTU.
    ///
    /// # Errors
    /// [`BleError::NotStarted`] before the session started, [`BleError::Ended`] after.
    pub fn send_message(&mut self, message: &[u8]) -> Result<(), BleError> {
        match self.phase {
            Phase::Open => {}
            Phase::Closed => return Err(BleError::Ended),
            _ => return Err(BleError::NotStarted),
        }
        self.out
            .extend(chunk::chunks(message, self.att_mtu).map(GattOutput::SendChunk));
        Ok(())
    }

    /// Ends the session with State `0x02` (written by a client, notified by a server), without
    /// releasing the link: the backend disconnects when it closes. Session data is deleted.
    /// Does nothing once closed; before the start there is nothing to end.
    pub fn end(&mut self) {
        if self.phase == Phase::Closed {
            return;
        }
        let was_open = self.phase == Phase::Open;
        self.phase = Phase::Closed;
        self.reassembler.clear();
        if was_open {
            self.out.push_back(GattOutput::SendState(StateValue::END));
        }
    }

    // ---- output ------------------------------------------------------------------------

    /// The next thing to do or report.
    pub fn poll_output(&mut self) -> Option<GattOutput> {
        self.out.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::AwaitStart { deadline } => Some(deadline),
            _ => None,
        }
    }

    /// The error behind the last [`GattOutput::Failed`], once.
    pub fn take_error(&mut self) -> Option<BleError> {
        self.error.take()
    }

    fn fail(&mut self, error: BleError, kind: BleErrorKind) {
        self.fail_without_disconnect(error, kind);
        self.out.push_back(GattOutput::Disconnect);
    }

    fn fail_without_disconnect(&mut self, error: BleError, kind: BleErrorKind) {
        self.phase = Phase::Closed;
        self.reassembler.clear();
        self.error = Some(error);
        self.out.push_back(GattOutput::Failed(kind));
    }
}
