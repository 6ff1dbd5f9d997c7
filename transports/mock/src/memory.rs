//! An in-process pair of transports carrying whole messages, with optional seeded impairment.
//!
//! Time is tokio's clock: under `#[tokio::test(start_paused = true)]` delays and timed cuts
//! advance a virtual clock, so impaired sessions run in microseconds and never sleep for real.
//!
//! ```
//! use mdl_transport::{Incoming, Transport};
//! use mdl_transport_mock::{pair, MemoryConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), mdl_transport::TransportError> {
//! let (mut holder, mut reader) = pair(MemoryConfig::default());
//! reader.send(b"SessionEstablishment").await?;
//! assert_eq!(holder.receive().await?, Incoming::Message(b"SessionEstablishment".to_vec()));
//! holder.close().await?;
//! assert_eq!(reader.receive().await?, Incoming::End);
//! # Ok(())
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mdl_transport::{Incoming, Transport, TransportError};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, Instant};

use crate::fault::{Endpoint, FaultConfig, Impairer, Plan, Tap, TapEntry};

/// How to build a [`pair`].
#[derive(Debug, Clone)]
pub struct MemoryConfig {
    max_message_size: usize,
    faults: FaultConfig,
    tap: Option<Tap>,
}

impl Default for MemoryConfig {
    /// No size limit, no faults, no tap.
    fn default() -> Self {
        Self {
            max_message_size: usize::MAX,
            faults: FaultConfig::default(),
            tap: None,
        }
    }
}

impl MemoryConfig {
    /// The largest message either end may send; larger ones fail with
    /// [`TransportError::MessageTooLarge`].
    #[must_use]
    pub fn max_message_size(mut self, limit: usize) -> Self {
        self.max_message_size = limit;
        self
    }

    /// Impairs the link.
    #[must_use]
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    /// Records every message sent, and what the link did to it, into `tap`.
    #[must_use]
    pub fn tap(mut self, tap: Tap) -> Self {
        self.tap = Some(tap);
        self
    }
}

/// One message or end marker in flight, with the instant it reaches the receiver.
#[derive(Debug)]
struct Frame {
    arrives: Instant,
    kind: FrameKind,
}

#[derive(Debug)]
enum FrameKind {
    Message(Vec<u8>),
    End,
}

/// State shared by both ends: when the link is (or will be) cut, and the message count.
#[derive(Debug)]
struct Link {
    /// `Some(t)`: the link dies at `t`; frames arriving after `t` are lost.
    cut: watch::Sender<Option<Instant>>,
    sent: AtomicU64,
    cut_after_messages: Option<u64>,
}

impl Link {
    fn is_cut(&self, now: Instant) -> bool {
        self.cut.borrow().is_some_and(|cut| now >= cut)
    }

    /// Cuts the link at `now`, unless it is already cut earlier.
    fn cut_at(&self, now: Instant) {
        self.cut.send_if_modified(|cut| match cut {
            Some(existing) if *existing <= now => false,
            _ => {
                *cut = Some(now);
                true
            }
        });
    }
}

/// A message held back by [`Fault::Reorder`](crate::Fault::Reorder).
#[derive(Debug)]
struct Held {
    sent: Instant,
    delay: Duration,
    copies: Vec<Vec<u8>>,
}

/// One end of an in-memory link, made by [`pair`].
///
/// Delivers whole messages in order, unless the [`FaultConfig`] says otherwise.
/// - [`close`](Transport::close) delivers [`Incoming::End`] to the peer after everything sent
///   before it; later calls on this end fail with [`TransportError::Closed`] (`close` itself is
///   idempotent). Messages the peer sends after that are discarded.
/// - If the peer is dropped without `close`, this end gets [`TransportError::LinkLost`] once it
///   has received what was already sent.
/// - After the peer's end, `receive` keeps returning [`Incoming::End`].
/// - `receive` is cancel-safe (e.g. under `tokio::time::timeout`): nothing is lost.
#[derive(Debug)]
pub struct MemoryTransport {
    endpoint: Endpoint,
    tx: mpsc::UnboundedSender<Frame>,
    rx: mpsc::UnboundedReceiver<Frame>,
    cut: watch::Receiver<Option<Instant>>,
    link: Arc<Link>,
    impairer: Impairer,
    tap: Option<Tap>,
    max_message_size: usize,
    /// Arrival of the last frame sent: the link is ordered, nothing overtakes it.
    last_arrival: Option<Instant>,
    held: Option<Held>,
    /// A received frame not yet due (delayed); kept here so `receive` is cancel-safe.
    head: Option<Frame>,
    closed: bool,
    peer_ended: bool,
}

/// Two connected transports: what one sends, the other receives.
///
/// The first is [`Endpoint::A`], the second [`Endpoint::B`] (as named in
/// [`FaultConfig::script`]). A timed cut ([`FaultConfig::cut_after`]) counts from this call, on
/// tokio's clock.
pub fn pair(config: MemoryConfig) -> (MemoryTransport, MemoryTransport) {
    let cut_at = config.faults.cut_after.map(|after| Instant::now() + after);
    let (cut, cut_rx) = watch::channel(cut_at);
    let link = Arc::new(Link {
        cut,
        sent: AtomicU64::new(0),
        cut_after_messages: config.faults.cut_after_messages,
    });
    if config.faults.cut_after_messages == Some(0) {
        link.cut_at(Instant::now());
    }
    let (a_tx, b_rx) = mpsc::unbounded_channel();
    let (b_tx, a_rx) = mpsc::unbounded_channel();
    let end = |endpoint, tx, rx, cut| MemoryTransport {
        endpoint,
        tx,
        rx,
        cut,
        link: Arc::clone(&link),
        impairer: Impairer::new(&config.faults, endpoint),
        tap: config.tap.clone(),
        max_message_size: config.max_message_size,
        last_arrival: None,
        held: None,
        head: None,
        closed: false,
        peer_ended: false,
    };
    let a = end(Endpoint::A, a_tx, a_rx, cut_rx.clone());
    let b = end(Endpoint::B, b_tx, b_rx, cut_rx);
    (a, b)
}

impl MemoryTransport {
    /// Which end of the pair this is.
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint
    }

    /// Queues a frame sent at `sent`, keeping the link ordered. A gone peer is not an error here:
    /// its receiver sees the loss itself, and a closed peer discards.
    fn push(&mut self, sent: Instant, delay: Duration, kind: FrameKind) {
        let mut arrives = sent + delay;
        if let Some(last) = self.last_arrival {
            arrives = arrives.max(last);
        }
        self.last_arrival = Some(arrives);
        // The peer may have been dropped; its loss is reported on our receive side.
        let _ = self.tx.send(Frame { arrives, kind });
    }

    fn push_copies(&mut self, sent: Instant, delay: Duration, copies: Vec<Vec<u8>>) {
        for copy in copies {
            self.push(sent, delay, FrameKind::Message(copy));
        }
    }

    fn release_held(&mut self) {
        if let Some(held) = self.held.take() {
            self.push_copies(held.sent, held.delay, held.copies);
        }
    }

    fn deliver(&mut self, now: Instant, plan: Plan) {
        if plan.reorder && self.held.is_none() {
            self.held = Some(Held {
                sent: now,
                delay: plan.delay,
                copies: plan.copies,
            });
        } else {
            // A second reorder while one is held just goes through: "swap with the next" only.
            self.push_copies(now, plan.delay, plan.copies);
            self.release_held();
        }
    }

    fn check_open(&self) -> Result<(), TransportError> {
        if self.closed {
            Err(TransportError::Closed)
        } else {
            Ok(())
        }
    }

    /// The cut instant, marking the current value seen.
    fn cut_instant(&mut self) -> Option<Instant> {
        *self.cut.borrow_and_update()
    }
}

/// Resolves once the link is cut (now or at a scheduled instant); never if it is not.
async fn cut_reached(cut: &mut watch::Receiver<Option<Instant>>) {
    loop {
        let at = *cut.borrow_and_update();
        match at {
            Some(at) => {
                tokio::select! {
                    () = sleep_until(at) => return,
                    // An earlier cut may replace a scheduled one: look again.
                    changed = cut.changed() => if changed.is_err() {
                        sleep_until(at).await;
                        return;
                    },
                }
            }
            None => {
                if cut.changed().await.is_err() {
                    // Both ends' senders are gone, so no cut can come.
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

impl Transport for MemoryTransport {
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        self.check_open()?;
        if message.len() > self.max_message_size {
            return Err(TransportError::MessageTooLarge {
                size: message.len(),
                limit: self.max_message_size,
            });
        }
        let now = Instant::now();
        if self.link.is_cut(now) {
            return Err(TransportError::LinkLost);
        }
        let plan = self.impairer.plan(message);
        if let Some(tap) = &self.tap {
            tap.record(TapEntry {
                from: self.endpoint,
                index: plan.index,
                message: message.to_vec(),
                faults: plan.applied.clone(),
            });
        }
        self.deliver(now, plan);
        let sent = self.link.sent.fetch_add(1, Ordering::Relaxed) + 1;
        if self
            .link
            .cut_after_messages
            .is_some_and(|limit| sent >= limit)
        {
            self.link.cut_at(now);
        }
        Ok(())
    }

    async fn receive(&mut self) -> Result<Incoming, TransportError> {
        self.check_open()?;
        if self.peer_ended {
            return Ok(Incoming::End);
        }
        loop {
            if self.head.is_none() {
                // Biased: frames already queued arrived before the cut was noticed.
                let frame = tokio::select! {
                    biased;
                    frame = self.rx.recv() => frame,
                    () = cut_reached(&mut self.cut) => self.rx.try_recv().ok(),
                };
                match frame {
                    Some(frame) => self.head = Some(frame),
                    None => return Err(TransportError::LinkLost),
                }
            }
            let Some(arrives) = self.head.as_ref().map(|frame| frame.arrives) else {
                continue;
            };
            if self.cut_instant().is_some_and(|cut| arrives > cut) {
                // Arrival times only grow, so everything behind this frame is lost too.
                self.head = None;
                return Err(TransportError::LinkLost);
            }
            if arrives > Instant::now() {
                tokio::select! {
                    () = sleep_until(arrives) => {}
                    // A cut before the arrival loses the frame: check again.
                    _ = self.cut.changed() => {}
                }
                continue;
            }
            match self.head.take().map(|frame| frame.kind) {
                Some(FrameKind::Message(message)) => return Ok(Incoming::Message(message)),
                Some(FrameKind::End) => {
                    self.peer_ended = true;
                    return Ok(Incoming::End);
                }
                None => continue,
            }
        }
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        if self.closed {
            return Ok(());
        }
        let now = Instant::now();
        self.closed = true;
        if self.link.is_cut(now) {
            return Err(TransportError::LinkLost);
        }
        self.release_held();
        self.push(now, Duration::ZERO, FrameKind::End);
        Ok(())
    }

    fn max_message_size(&self) -> usize {
        self.max_message_size
    }
}
