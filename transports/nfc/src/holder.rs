//! The holder's driver: serves a [`TagEmulator`] over any blocking [`CardLink`] (vpcd, a
//! test double) on its own thread, and is the holder's NFC [`Transport`] for data retrieval.
//!
//! [`NfcCard::engaged`] waits for the reader to finish reading the Hs; afterwards the card is
//! the transport: each message the reader sends by ENVELOPE is [`Transport::receive`]d, and
//! [`Transport::send`] answers it through the withheld R-APDU (DESIGN §6).

use std::collections::VecDeque;
use std::sync::mpsc;

use mdl_transport::{Incoming, Transport, TransportError};
use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::card::{CardEngagement, CardEvent, CardReply, TagEmulator};
use crate::reader::ChannelError;

/// What a card's link delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldEvent {
    /// A C-APDU to answer with [`CardLink::send`].
    Apdu(Vec<u8>),
    /// The reader reset the card (warm reset).
    Reset,
    /// The reader powered the card off (field off, or a disconnect with power down).
    PowerOff,
    /// Nothing arrived within the link's poll interval (lets the driver check for commands).
    Idle,
}

/// A card's blocking link to the reader.
pub trait CardLink: Send + 'static {
    /// The next event; [`FieldEvent::Idle`] after a short poll interval without one.
    fn receive(&mut self) -> Result<FieldEvent, ChannelError>;
    /// Sends an R-APDU.
    fn send(&mut self, response: &[u8]) -> Result<(), ChannelError>;
}

enum Signal {
    Event(CardEvent),
    PowerOff,
    Lost(ChannelError),
}

enum Command {
    Respond(Vec<u8>),
    Close(oneshot::Sender<()>),
}

/// How many idle polls a closing card waits for the reader to collect its last answer.
const CLOSING_IDLE_POLLS: u32 = 50;

/// The holder's card: engagement first, then NFC data retrieval as a [`Transport`].
///
/// Dropping it without [`Transport::close`] takes the card out of the field at once (the link
/// is closed, a reader sees the card removed).
#[derive(Debug)]
pub struct NfcCard {
    signals: tmpsc::UnboundedReceiver<Signal>,
    commands: Option<mpsc::Sender<Command>>,
    messages: VecDeque<Vec<u8>>,
    engagement: Option<CardEngagement>,
    powered_off: bool,
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Event(e) => write!(f, "Event({e:?})"),
            Self::PowerOff => f.write_str("PowerOff"),
            Self::Lost(e) => write!(f, "Lost({e})"),
        }
    }
}

fn serve<L: CardLink>(
    mut link: L,
    mut card: TagEmulator,
    signals: tmpsc::UnboundedSender<Signal>,
    commands: mpsc::Receiver<Command>,
) {
    let mut closing: Option<oneshot::Sender<()>> = None;
    let mut idle = 0u32;
    let finish = |closing: Option<oneshot::Sender<()>>| {
        if let Some(done) = closing {
            let _ = done.send(());
        }
    };
    loop {
        // A withheld answer: wait for the application (or close).
        if card.is_deferred() {
            let answer = match commands.recv() {
                Ok(Command::Respond(m)) => card.respond(Some(&m)),
                Ok(Command::Close(done)) => {
                    closing = Some(done);
                    card.respond(None)
                }
                // The NfcCard was dropped: the card leaves the field (the link closes).
                Err(_) => return,
            };
            if let Ok(r) = answer {
                if let Err(e) = link.send(&r) {
                    let _ = signals.send(Signal::Lost(e));
                    return finish(closing);
                }
            }
            continue;
        }
        match commands.try_recv() {
            Ok(Command::Close(done)) => closing = Some(done),
            Ok(Command::Respond(_)) => {} // nothing pending: the application's mistake, dropped
            Err(mpsc::TryRecvError::Disconnected) if closing.is_none() => return,
            Err(_) => {}
        }
        if closing.is_some() && (!card.has_answer_pending() || idle > CLOSING_IDLE_POLLS) {
            return finish(closing);
        }
        match link.receive() {
            Ok(FieldEvent::Apdu(bytes)) => {
                idle = 0;
                let reply = card.handle_apdu(&bytes);
                while let Some(e) = card.poll_event() {
                    let _ = signals.send(Signal::Event(e));
                }
                if let CardReply::Response(r) = reply {
                    if let Err(e) = link.send(&r) {
                        let _ = signals.send(Signal::Lost(e));
                        return finish(closing);
                    }
                }
            }
            Ok(FieldEvent::Reset) => card.handle_reset(),
            Ok(FieldEvent::PowerOff) => {
                card.handle_reset();
                let _ = signals.send(Signal::PowerOff);
            }
            Ok(FieldEvent::Idle) => idle = idle.saturating_add(1),
            Err(e) => {
                let _ = signals.send(Signal::Lost(e));
                return finish(closing);
            }
        }
    }
}

impl NfcCard {
    /// Starts serving `card` on `link`, on a thread of its own.
    pub fn start<L: CardLink>(link: L, card: TagEmulator) -> Self {
        let (signal_tx, signals) = tmpsc::unbounded_channel();
        let (commands, command_rx) = mpsc::channel();
        std::thread::spawn(move || serve(link, card, signal_tx, command_rx));
        Self {
            signals,
            commands: Some(commands),
            messages: VecDeque::new(),
            engagement: None,
            powered_off: false,
        }
    }

    /// Waits until the reader has read the Hs, and returns the engagement (the transcript's
    /// Handover, the carriers the Hs offered, the reader's ReaderEngagement).
    pub async fn engaged(&mut self) -> Result<CardEngagement, TransportError> {
        loop {
            if let Some(e) = &self.engagement {
                // pcscd powers an idle card down and up again before a reader connects: power
                // cycles before the end of engagement are part of a normal tap.
                self.powered_off = false;
                return Ok(e.clone());
            }
            self.next_signal().await?;
        }
    }

    /// Waits until the reader has sent a whole message by ENVELOPE, without taking it (the
    /// next [`Transport::receive`] returns it): a holder that offered NFC and another carrier
    /// learns this way that the reader chose NFC.
    pub async fn message_ready(&mut self) -> Result<(), TransportError> {
        while self.messages.is_empty() {
            if self.powered_off {
                return Err(TransportError::LinkLost);
            }
            self.next_signal().await?;
        }
        Ok(())
    }

    async fn next_signal(&mut self) -> Result<(), TransportError> {
        match self.signals.recv().await {
            Some(Signal::Event(CardEvent::Engaged(e))) => self.engagement = Some(e),
            Some(Signal::Event(CardEvent::Message(m))) => self.messages.push_back(m),
            Some(Signal::Event(CardEvent::PeerError(_))) => {}
            Some(Signal::PowerOff) => self.powered_off = true,
            Some(Signal::Lost(e)) => return Err(e.into()),
            None => return Err(TransportError::Closed),
        }
        Ok(())
    }
}

impl Transport for NfcCard {
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        let commands = self.commands.as_ref().ok_or(TransportError::Closed)?;
        commands
            .send(Command::Respond(message.to_vec()))
            .map_err(|_| TransportError::LinkLost)
    }

    async fn receive(&mut self) -> Result<Incoming, TransportError> {
        loop {
            if let Some(m) = self.messages.pop_front() {
                return Ok(Incoming::Message(m));
            }
            if self.powered_off {
                // The reader turned the field off: with the session under way that is a lost
                // link; the session decides whether it had ended already.
                self.powered_off = false;
                return Err(TransportError::LinkLost);
            }
            self.next_signal().await?;
        }
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        let Some(commands) = self.commands.take() else {
            return Ok(());
        };
        let (done, wait) = oneshot::channel();
        if commands.send(Command::Close(done)).is_ok() {
            let _ = wait.await;
        }
        Ok(())
    }
}
