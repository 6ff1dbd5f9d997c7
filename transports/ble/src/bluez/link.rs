//! [`BleLink`]: the [`Transport`] of a BLE session, pumping a sans-IO
//! [`GattConnection`] over a bluer GATT server or a btleplug GATT client, or framing messages
//! over an L2CAP channel.

use std::collections::VecDeque;
use std::time::Duration;

use mdl_transport::{BleMode, Incoming, Transport, TransportError};

use super::client::{ClientEvent, GattClient};
use super::l2cap_link::L2capLink;
use super::server::{GattServer, ServerEvent};
use super::ProgressFn;
use crate::connection::{GattConnection, GattOutput};
use crate::profile::{CharacteristicKind, GattSide};
use crate::BleError;

pub(crate) enum GattIo {
    Server(GattServer),
    Client(GattClient),
}

// One per link, created once per session and never moved in a loop: boxing the GATT side
// would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Kind {
    Gatt {
        conn: GattConnection,
        io: GattIo,
        started: bool,
    },
    L2cap(L2capLink),
}

/// What went over a link so far (for reports and BENCHMARKS.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// GATT chunks written or notified by this side (one ATT PDU each).
    pub chunks_sent: u64,
    /// GATT chunks received from the peer.
    pub chunks_received: u64,
    /// Messages sent.
    pub messages_sent: u64,
    /// Messages received.
    pub messages_received: u64,
}

/// A BLE data-retrieval link (GATT in either mode, or L2CAP), ready for messages.
///
/// [`Transport::end`] sends State `0x02` (GATT; nothing on L2CAP, whose end is SessionData
/// status 20), [`Transport::close`] also releases the link (disconnect, stop advertising).
/// Session data (buffers, keys of the link) is dropped with it: each transaction gets a new link.
pub struct BleLink {
    kind: Kind,
    stats: LinkStats,
    mode: BleMode,
    pending: VecDeque<Result<Incoming, BleError>>,
    progress: Option<ProgressFn>,
    notify_timeout: Duration,
    last_error: Option<BleError>,
}

impl std::fmt::Debug for BleLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BleLink")
            .field("mode", &self.mode)
            .field("l2cap", &self.is_l2cap())
            .field("att_mtu", &self.att_mtu())
            .finish_non_exhaustive()
    }
}

/// How long a GATT server that notified State `0x02` waits for the client to disconnect
/// before it drops the service itself.
const END_GRACE: Duration = Duration::from_secs(2);

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

impl BleLink {
    pub(crate) fn gatt(
        conn: GattConnection,
        io: GattIo,
        progress: Option<ProgressFn>,
        notify_timeout: Duration,
    ) -> Self {
        Self {
            mode: conn.mode(),
            kind: Kind::Gatt {
                conn,
                io,
                started: false,
            },
            stats: LinkStats::default(),
            pending: VecDeque::new(),
            progress,
            notify_timeout,
            last_error: None,
        }
    }

    pub(crate) fn l2cap(link: L2capLink, mode: BleMode, progress: Option<ProgressFn>) -> Self {
        Self {
            kind: Kind::L2cap(link),
            stats: LinkStats::default(),
            mode,
            pending: VecDeque::new(),
            progress,
            notify_timeout: Duration::from_secs(5),
            last_error: None,
        }
    }

    /// The mode this link was set up in.
    pub fn mode(&self) -> BleMode {
        self.mode
    }

    /// True when messages travel over an L2CAP channel rather than GATT.
    pub fn is_l2cap(&self) -> bool {
        matches!(self.kind, Kind::L2cap(_))
    }

    /// The ATT MTU chunks are cut for (GATT), or the L2CAP channel's send MTU.
    pub fn att_mtu(&self) -> Option<u16> {
        match &self.kind {
            Kind::Gatt { conn, .. } => Some(conn.att_mtu()),
            Kind::L2cap(l) => l.send_mtu(),
        }
    }

    /// Counters of what went over this link.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// The typed cause of the last failure this link reported as a [`TransportError`].
    pub fn last_error(&self) -> Option<&BleError> {
        self.last_error.as_ref()
    }

    /// Releases the link at once, without the transport's end (no State `0x02`): for an
    /// abandoned session (the user cancelled). The peer sees a lost link.
    pub async fn abort(&mut self) {
        match &mut self.kind {
            Kind::Gatt { conn, io, .. } => {
                conn.handle_disconnected();
                let _ = conn.take_error();
                while conn.poll_output().is_some() {}
                release(io).await;
            }
            Kind::L2cap(l) => l.close().await,
        }
    }

    /// Sets the progress callback for long incoming messages.
    pub fn set_progress(&mut self, progress: Option<ProgressFn>) {
        self.progress = progress;
    }

    /// Runs the GATT link until the session started (State `0x01` written or received).
    pub(crate) async fn establish(&mut self) -> Result<(), BleError> {
        loop {
            self.flush().await;
            if let Some(Err(_)) = self.pending.front() {
                if let Some(Err(e)) = self.pending.pop_front() {
                    return Err(e);
                }
            }
            match &self.kind {
                Kind::Gatt { started: true, .. } | Kind::L2cap(_) => return Ok(()),
                Kind::Gatt { .. } => {}
            }
            self.step().await;
        }
    }

    /// Performs every queued output of the GATT connection.
    async fn flush(&mut self) {
        let Kind::Gatt { conn, io, started } = &mut self.kind else {
            return;
        };
        let stats = &mut self.stats;
        while let Some(out) = conn.poll_output() {
            let result = match out {
                GattOutput::ReadIdent => match io {
                    GattIo::Client(c) => match c.read_ident().await {
                        Ok(v) => {
                            conn.handle_ident(&v);
                            Ok(())
                        }
                        Err(e) => Err(e),
                    },
                    GattIo::Server(_) => Ok(()),
                },
                GattOutput::SendState(s) => match io {
                    GattIo::Client(c) => c.write_state(&s.to_bytes()).await,
                    GattIo::Server(srv) => {
                        srv.notify(
                            CharacteristicKind::State,
                            s.to_bytes().to_vec(),
                            self.notify_timeout,
                        )
                        .await
                    }
                },
                GattOutput::SendChunk(chunk) => {
                    stats.chunks_sent += 1;
                    match io {
                        GattIo::Client(c) => c.write_chunk(&chunk).await,
                        GattIo::Server(srv) => {
                            srv.notify(
                                CharacteristicKind::ServerToClient,
                                chunk,
                                self.notify_timeout,
                            )
                            .await
                        }
                    }
                }
                GattOutput::Started => {
                    *started = true;
                    Ok(())
                }
                GattOutput::Received(m) => {
                    stats.messages_received += 1;
                    self.pending.push_back(Ok(Incoming::Message(m)));
                    Ok(())
                }
                GattOutput::PeerEnded => {
                    self.pending.push_back(Ok(Incoming::End));
                    Ok(())
                }
                GattOutput::Failed(_) => {
                    let e = conn
                        .take_error()
                        .unwrap_or(BleError::LinkLost { mid_message: false });
                    self.pending.push_back(Err(e));
                    Ok(())
                }
                GattOutput::Disconnect => {
                    release(io).await;
                    Ok(())
                }
            };
            if let Err(e) = result {
                // The radio refused an operation: report what it said, and stop the session.
                match e {
                    BleError::LinkLost { .. } => conn.handle_disconnected(),
                    other => {
                        self.pending.push_back(Err(other));
                        conn.end();
                        release(io).await;
                    }
                }
            }
        }
    }

    /// Waits for one radio event (or the connection's deadline) and feeds it.
    async fn step(&mut self) {
        let Kind::Gatt { conn, io, .. } = &mut self.kind else {
            return;
        };
        let deadline = conn.poll_timeout();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        match io {
            GattIo::Server(srv) => {
                tokio::select! {
                    event = srv.next_event() => match event {
                        Some(ServerEvent::Subscribed) => {
                            let mtu = conn.att_mtu();
                            conn.handle_connected(now(), mtu);
                        }
                        Some(ServerEvent::State { value, mtu }) => {
                            conn.handle_mtu(mtu);
                            conn.handle_state(now(), &value);
                        }
                        Some(ServerEvent::Chunk { value, mtu }) => {
                            self.stats.chunks_received += 1;
                            conn.handle_mtu(mtu);
                            conn.handle_chunk(&value);
                            report(&self.progress, conn);
                        }
                        Some(ServerEvent::Disconnected) | None => conn.handle_disconnected(),
                    },
                    () = sleep => conn.handle_timeout(now()),
                }
            }
            GattIo::Client(c) => match c.next_event().await {
                ClientEvent::State(v) => conn.handle_state(now(), &v),
                ClientEvent::Chunk(v) => {
                    self.stats.chunks_received += 1;
                    conn.handle_chunk(&v);
                    report(&self.progress, conn);
                }
                ClientEvent::Disconnected => conn.handle_disconnected(),
            },
        }
    }

    async fn receive_ble(&mut self) -> Result<Incoming, BleError> {
        if let Kind::L2cap(l) = &mut self.kind {
            let got = l.receive(self.progress.as_ref()).await;
            if let Ok(Incoming::Message(_)) = &got {
                self.stats.messages_received += 1;
            }
            return got;
        }
        loop {
            self.flush().await;
            if let Some(next) = self.pending.pop_front() {
                return next;
            }
            if let Kind::Gatt { conn, .. } = &self.kind {
                if conn.is_closed() {
                    return Err(BleError::Ended);
                }
            }
            self.step().await;
        }
    }

    async fn send_ble(&mut self, message: &[u8]) -> Result<(), BleError> {
        self.stats.messages_sent += 1;
        match &mut self.kind {
            Kind::L2cap(l) => l.send(message).await,
            Kind::Gatt { conn, .. } => {
                conn.send_message(message)?;
                self.flush().await;
                // A failure while sending is the answer to this send.
                if let Some(pos) = self.pending.iter().position(Result::is_err) {
                    if let Some(Err(e)) = self.pending.remove(pos) {
                        return Err(e);
                    }
                }
                Ok(())
            }
        }
    }

    async fn end_ble(&mut self) {
        if let Kind::Gatt { conn, .. } = &mut self.kind {
            conn.end();
            self.flush().await;
        }
    }

    async fn close_ble(&mut self) {
        let was_open = matches!(&self.kind, Kind::Gatt { conn, .. } if conn.is_open());
        self.end_ble().await;
        match &mut self.kind {
            Kind::Gatt { io, .. } => {
                if let (GattIo::Server(srv), true) = (&mut *io, was_open) {
                    // The client disconnects on State 0x02; dropping the service at once can
                    // lose the notification still queued. Give it a moment to do so.
                    let _ = tokio::time::timeout(END_GRACE, async {
                        while !matches!(
                            srv.next_event().await,
                            Some(ServerEvent::Disconnected) | None
                        ) {}
                    })
                    .await;
                }
                release(io).await;
            }
            Kind::L2cap(l) => l.close().await,
        }
    }

    fn record(&mut self, e: BleError) -> TransportError {
        let t = TransportError::from(clone_for_transport(&e));
        self.last_error = Some(e);
        t
    }
}

/// The [`TransportError`] of a [`BleError`] without giving the typed error away.
fn clone_for_transport(e: &BleError) -> BleError {
    match e {
        BleError::LinkLost { mid_message } => BleError::LinkLost {
            mid_message: *mid_message,
        },
        BleError::Ended => BleError::Ended,
        BleError::StartTimeout => BleError::StartTimeout,
        BleError::TimedOut(w) => BleError::TimedOut(w),
        BleError::UnknownState(v) => BleError::UnknownState(*v),
        BleError::StateLength(n) => BleError::StateLength(*n),
        BleError::DataBeforeStart => BleError::DataBeforeStart,
        BleError::L2cap(l) => BleError::L2cap(l.clone()),
        BleError::Chunk(c) => BleError::Chunk(c.clone()),
        other => BleError::Backend {
            backend: "ble",
            message: other.to_string(),
        },
    }
}

fn report(progress: &Option<ProgressFn>, conn: &GattConnection) {
    if let Some(p) = progress {
        let buffered = conn.buffered();
        if buffered > 0 {
            p(buffered, None);
        }
    }
}

async fn release(io: &mut GattIo) {
    match io {
        GattIo::Server(s) => s.shutdown().await,
        GattIo::Client(c) => c.disconnect().await,
    }
}

impl Transport for BleLink {
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        self.send_ble(message).await.map_err(|e| self.record(e))
    }

    async fn receive(&mut self) -> Result<Incoming, TransportError> {
        self.receive_ble().await.map_err(|e| self.record(e))
    }

    async fn end(&mut self) -> Result<(), TransportError> {
        self.end_ble().await;
        Ok(())
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        self.close_ble().await;
        Ok(())
    }
}

/// Which GATT side a link plays (for reports).
impl BleLink {
    /// GATT server or client; `None` over L2CAP.
    pub fn gatt_side(&self) -> Option<GattSide> {
        match &self.kind {
            Kind::Gatt { conn, .. } => Some(conn.side()),
            Kind::L2cap(_) => None,
        }
    }
}
