//! What goes into a session ([`Input`]), what comes out ([`Output`]), the [`Session`] trait
//! both roles implement, and how a session ended ([`CloseReason`]).

use std::time::{Duration, Instant};

use mdl_transport::TransportError;

use crate::msg::SessionStatus;

use super::SessionError;

/// Everything that happens *to* a session; the driver feeds each one to
/// [`Session::handle_input`]. Time is always the driver's reading: sessions never read a clock.
#[derive(Debug)]
#[non_exhaustive]
pub enum Input<'a> {
    /// One whole message from the peer, received at this instant.
    Message(Instant, &'a [u8]),
    /// The peer ended the session by the transport's own means (BLE State `0x02`, a closed
    /// socket: 2021 9.1.1.4).
    TransportEnded(Instant),
    /// The link was lost without an orderly end; the transport's error when there is one.
    TransportLost(Instant, Option<TransportError>),
    /// The instant of [`Session::poll_timeout`] (or later) has come.
    Timeout(Instant),
}

/// The shape both session roles share, so one driver pumps either (the run-loop contract of
/// [`crate::session`]).
pub trait Session {
    /// What the session tells the application.
    type Event;

    /// Feeds one input. Then drain [`poll_output`](Self::poll_output).
    fn handle_input(&mut self, input: Input<'_>);

    /// The next output; [`Output::Timeout`] or [`Output::Done`] when drained.
    fn poll_output(&mut self) -> Output<Self::Event>;

    /// When the session next needs [`Input::Timeout`]; `None` once it is closed.
    fn poll_timeout(&self) -> Option<Instant>;
}

/// What a session asks its driver to do next. Drain [`Output`]s after every input or command
/// until [`Output::Timeout`] or [`Output::Done`].
#[derive(Debug)]
pub enum Output<E> {
    /// Send these bytes to the peer as one message.
    Transmit(Vec<u8>),
    /// Something the application must hear about.
    Event(E),
    /// Nothing more to do: feed [`Input::Timeout`] at this instant unless input arrives first.
    Timeout(Instant),
    /// The session is over; nothing more will come out of it.
    Done,
}

/// Why a session ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer sent a status: 20 (termination) or an error status (10, 11).
    PeerStatus(SessionStatus),
    /// The peer ended by the transport's own means (BLE State End, closed socket).
    TransportEnded,
    /// The link was lost without an orderly end, with the transport's error when the driver had
    /// one.
    TransportLost(Option<TransportError>),
    /// This side terminated (and sent status 20 when a session existed).
    Terminated,
    /// The session failed; the status of [`SessionError::status_to_send`] was sent.
    Failed(SessionError),
}

impl CloseReason {
    /// True for an orderly end (either side's termination), false for failures and lost links.
    pub fn is_orderly(&self) -> bool {
        matches!(
            self,
            Self::PeerStatus(SessionStatus::SESSION_TERMINATION)
                | Self::TransportEnded
                | Self::Terminated
        )
    }
}

/// Deadlines of a session (2021 9.1.1.4 / 2nd ed. 12.2.5: all "should").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From engagement to SessionEstablishment (holder) or to the first response (reader).
    pub establishment: Duration,
    /// Longest silence once the session is established.
    pub inactivity: Duration,
}

impl Timeouts {
    /// The standard's recommended engagement time-out: at least 30 s.
    pub const DEFAULT_ESTABLISHMENT: Duration = Duration::from_secs(30);
    /// The standard's recommended inactivity time-out: at least 300 s.
    pub const DEFAULT_INACTIVITY: Duration = Duration::from_secs(300);
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            establishment: Self::DEFAULT_ESTABLISHMENT,
            inactivity: Self::DEFAULT_INACTIVITY,
        }
    }
}

/// The queue of outputs both session roles fill: one place that encodes statuses.
#[derive(Debug)]
pub(crate) struct Outbox<E> {
    queue: std::collections::VecDeque<Output<E>>,
}

impl<E> Outbox<E> {
    pub(crate) fn new() -> Self {
        Self {
            queue: std::collections::VecDeque::new(),
        }
    }

    pub(crate) fn transmit(&mut self, bytes: Vec<u8>) {
        self.queue.push_back(Output::Transmit(bytes));
    }

    pub(crate) fn event(&mut self, event: E) {
        self.queue.push_back(Output::Event(event));
    }

    /// Queues `SessionData` carrying only `status`.
    pub(crate) fn status(&mut self, status: SessionStatus) {
        self.transmit(crate::cbor::to_vec(&crate::msg::SessionData::with_status(
            status,
        )));
    }

    /// Queues the status an error calls for, if any (see [`SessionError::status_to_send`]).
    pub(crate) fn status_for(&mut self, error: &SessionError) {
        if let Some(status) = error.status_to_send() {
            self.status(status);
        }
    }

    pub(crate) fn pop(&mut self) -> Option<Output<E>> {
        self.queue.pop_front()
    }
}
