//! The tokio driver: pumps a sans-IO session over a [`Transport`]. The only code that awaits.
//!
//! It follows the run-loop contract of [`crate::session`]: drain outputs, send transmits in
//! order, wait for the next message or the session's deadline, feed it back. Time comes from
//! tokio's clock, so tests that pause tokio time run on a virtual clock.

use std::time::Instant;

use mdl_transport::{Incoming, Transport};

use crate::msg::{DeviceRequest, DeviceResponse};
use crate::session::{
    CloseReason, CommandError, HolderEvent, HolderSession, Input, Output, ReaderEvent,
    ReaderSession, RequestReceived, ResponseReceived, Session, Termination,
};
use crate::time::UnixTime;

/// Which way a message went, for taps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Sent by this side.
    Sent,
    /// Received from the peer.
    Received,
}

/// Why a driven exchange did not produce what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The session refused a command.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The session closed before the awaited event.
    #[error("session closed: {0:?}")]
    Closed(CloseReason),
}

/// Observes every message sent and received (for `--dump` and logs).
pub type Tap<'a> = &'a mut (dyn FnMut(Direction, &[u8]) + Send);

/// What a holder's application answers to a request.
#[derive(Debug)]
pub enum Reply {
    /// Send this response; the session stays open for more requests.
    Respond(DeviceResponse),
    /// Send this response and terminate in the same message.
    RespondAndTerminate(DeviceResponse),
    /// Terminate without answering.
    Terminate,
}

/// The holder application's part: turns a request into a reply (consent, selective disclosure
/// and device authentication happen here).
pub trait Responder {
    /// Answers one request of `session`; `at` is the current time (for validating reader
    /// certificates), read by the driver.
    fn reply(&mut self, request: &RequestReceived, session: &HolderSession, at: UnixTime) -> Reply;
}

impl<F: FnMut(&RequestReceived, &HolderSession) -> Reply> Responder for F {
    fn reply(
        &mut self,
        request: &RequestReceived,
        session: &HolderSession,
        _at: UnixTime,
    ) -> Reply {
        self(request, session)
    }
}

/// The wall-clock time: the driver, not the engine, reads the clock.
#[allow(clippy::disallowed_methods)] // the driver is where the core's clock is read
fn unix_now() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    UnixTime::from_secs(secs)
}

#[allow(clippy::disallowed_methods)] // the driver is where a session's clock is read
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Runs the session until it emits an event (`Some`) or is done (`None`, transport closed).
async fn next_event<S: Session, T: Transport>(
    session: &mut S,
    transport: &mut T,
    tap: &mut Option<Tap<'_>>,
) -> Option<S::Event> {
    loop {
        match session.poll_output() {
            Output::Transmit(bytes) => {
                if let Some(tap) = tap.as_mut() {
                    tap(Direction::Sent, &bytes);
                }
                if let Err(e) = transport.send(&bytes).await {
                    session.handle_input(Input::TransportLost(now(), Some(e)));
                }
            }
            Output::Event(e) => return Some(e),
            Output::Done => {
                // Best effort: the session is over whatever the transport says, and its close
                // reason is already out.
                let _ = transport.close().await;
                return None;
            }
            Output::Timeout(deadline) => {
                let sleep = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline));
                tokio::select! {
                    incoming = transport.receive() => match incoming {
                        Ok(Incoming::Message(bytes)) => {
                            if let Some(tap) = tap.as_mut() {
                                tap(Direction::Received, &bytes);
                            }
                            session.handle_input(Input::Message(now(), &bytes));
                        }
                        Ok(Incoming::End) => session.handle_input(Input::TransportEnded(now())),
                        Err(e) => session.handle_input(Input::TransportLost(now(), Some(e))),
                    },
                    () = sleep => session.handle_input(Input::Timeout(now())),
                }
            }
        }
    }
}

/// Sends `request` and waits for the response (the reader's one round).
pub async fn reader_exchange<T: Transport>(
    session: &mut ReaderSession,
    transport: &mut T,
    request: &DeviceRequest,
    mut tap: Option<Tap<'_>>,
) -> Result<ResponseReceived, DriverError> {
    session.request(now(), request)?;
    match next_event(session, transport, &mut tap).await {
        Some(ReaderEvent::Response(r)) => Ok(*r),
        Some(ReaderEvent::Closed(reason)) => {
            // Flush what the close produced (a status) before reporting.
            while next_event(session, transport, &mut tap).await.is_some() {}
            Err(DriverError::Closed(reason))
        }
        None => Err(DriverError::Closed(CloseReason::Terminated)),
    }
}

/// Ends a reader session and closes the transport.
pub async fn reader_terminate<T: Transport>(
    session: &mut ReaderSession,
    transport: &mut T,
    how: Termination,
    mut tap: Option<Tap<'_>>,
) {
    session.terminate(now(), how);
    while next_event(session, transport, &mut tap).await.is_some() {}
}

/// Serves a holder session until it closes, answering each request through `responder`.
/// Returns why the session closed.
pub async fn serve_holder<T: Transport, R: Responder + ?Sized>(
    session: &mut HolderSession,
    transport: &mut T,
    responder: &mut R,
    mut tap: Option<Tap<'_>>,
) -> CloseReason {
    let mut reason = None;
    while let Some(event) = next_event(session, transport, &mut tap).await {
        match event {
            HolderEvent::Request(request) => {
                let result = match responder.reply(&request, session, unix_now()) {
                    Reply::Respond(r) => session.respond(now(), &r),
                    Reply::RespondAndTerminate(r) => session.respond_and_terminate(now(), &r),
                    Reply::Terminate => {
                        session.terminate(now());
                        Ok(())
                    }
                };
                // Only a closed or exhausted session refuses a reply; either way it has queued its
                // Closed event, which the next turn of the loop delivers as the close reason.
                if let Err(e) = result {
                    debug_assert!(
                        matches!(e, CommandError::Closed | CommandError::CounterExhausted),
                        "unexpected refusal: {e}"
                    );
                }
            }
            HolderEvent::Closed(r) => reason = Some(r),
            HolderEvent::Established | HolderEvent::RequestRejected(_) => {}
        }
    }
    reason.unwrap_or(CloseReason::Terminated)
}
