//! The reader's driver: runs a [`TagPoller`] and then NFC data retrieval over any blocking
//! [`ApduChannel`] (PC/SC, libnfc, a test double).
//!
//! Engagement is a blocking call ([`engage`]; run it on a blocking thread). Data retrieval is a
//! [`Transport`] ([`NfcReaderLink`]) whose APDU exchanges run on a thread of their own, so an
//! awaiting session keeps its deadlines while a card withholds its answer (DESIGN §6).

use std::sync::mpsc;
use std::thread::JoinHandle;

use mdl_transport::{
    Carrier, Connect, Incoming, NfcCarrier, SessionBinding, Transport, TransportError,
};
use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::apdu::{ApduError, ResponseApdu, StatusWord};
use crate::envelope::{ApduSizes, EnvelopeError, EnvelopeInitiator, Progress};
use crate::poller::{
    select_mdoc, EngageError, NfcEngagement, PollerAction, PollerConfig, TagPoller,
};

/// Why a channel to a card failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The card left the field (or the reader went away): the transaction is over.
    #[error("card removed")]
    Removed,
    /// Any other backend failure, with the backend's message.
    #[error("{backend}: {message}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// Its description.
        message: String,
    },
}

impl From<ChannelError> for TransportError {
    fn from(e: ChannelError) -> Self {
        match e {
            ChannelError::Removed => TransportError::LinkLost,
            ChannelError::Backend { backend, message } => {
                TransportError::Backend { backend, message }
            }
        }
    }
}

/// A reader's blocking link to a card in the field: one C-APDU out, its R-APDU back.
pub trait ApduChannel: Send + 'static {
    /// Transmits a C-APDU and returns the R-APDU (data ‖ SW1 SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, ChannelError>;

    /// The largest data fields this backend carries (its own limit, before the mdoc's).
    fn link_sizes(&self) -> ApduSizes;

    /// Releases the card (end of the transaction). The default does nothing.
    fn release(&mut self) {}
}

impl<C: ApduChannel + ?Sized> ApduChannel for Box<C> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, ChannelError> {
        (**self).transmit(command)
    }
    fn link_sizes(&self) -> ApduSizes {
        (**self).link_sizes()
    }
    fn release(&mut self) {
        (**self).release()
    }
}

/// Why a reader-side NFC operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReaderError {
    /// The channel failed (card removed, backend error).
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// Engagement failed (the tag's fault).
    #[error("engagement: {0}")]
    Engage(#[from] EngageError),
    /// The card's R-APDU is malformed.
    #[error("R-APDU: {0}")]
    Apdu(#[from] ApduError),
    /// Data retrieval failed.
    #[error("data retrieval: {0}")]
    Envelope(#[from] EnvelopeError),
    /// The mdoc application is absent.
    #[error("SELECT mdoc application: {0}")]
    SelectMdoc(StatusWord),
}

fn exchange<C: ApduChannel + ?Sized>(
    channel: &mut C,
    command: &[u8],
) -> Result<ResponseApdu, ReaderError> {
    let r = channel.transmit(command)?;
    Ok(ResponseApdu::parse(&r)?)
}

/// Runs NFC engagement on the card in the field, sleeping the TNEP waiting times. Blocking.
pub fn engage<C: ApduChannel + ?Sized>(
    channel: &mut C,
    mut config: PollerConfig,
) -> Result<NfcEngagement, ReaderError> {
    config.link_sizes = config.link_sizes.min(channel.link_sizes());
    let mut poller = TagPoller::new(config);
    loop {
        match poller.poll_action()? {
            Some(PollerAction::Transmit(c)) => {
                let r = exchange(channel, &c.to_bytes())?;
                poller.handle_response(&r)?;
            }
            Some(PollerAction::Wait(d)) => std::thread::sleep(d),
            Some(PollerAction::Engaged(e)) => return Ok(*e),
            None => return Err(EngageError::OutOfSequence.into()),
        }
    }
}

/// Selects the mdoc application and moves one message each way. Blocking; for callers that
/// drive the channel themselves.
pub fn exchange_message<C: ApduChannel + ?Sized>(
    channel: &mut C,
    initiator: &mut EnvelopeInitiator,
    message: &[u8],
) -> Result<Option<Vec<u8>>, ReaderError> {
    initiator.send(message)?;
    loop {
        let Some(command) = initiator.poll_command() else {
            return Err(EnvelopeError::OutOfSequence.into());
        };
        let r = exchange(channel, &command.to_bytes())?;
        match initiator.handle_response(&r)? {
            Progress::Continue => {}
            Progress::Message(m) => return Ok(Some(m)),
            Progress::NoMessage => return Ok(None),
        }
    }
}

/// Selects the mdoc application (2021 8.3.3.1.2).
pub fn select_mdoc_application<C: ApduChannel + ?Sized>(
    channel: &mut C,
) -> Result<(), ReaderError> {
    let r = exchange(channel, &select_mdoc().to_bytes())?;
    if r.sw != StatusWord::OK {
        return Err(ReaderError::SelectMdoc(r.sw));
    }
    Ok(())
}

enum Job {
    Send(Vec<u8>),
    Close(oneshot::Sender<()>),
}

/// NFC data retrieval as a [`Transport`] (reader side): each message goes out as ENVELOPEs,
/// the card's answer comes back through GET RESPONSE, on a thread that owns the channel.
#[derive(Debug)]
pub struct NfcReaderLink {
    jobs: Option<mpsc::Sender<Job>>,
    incoming: tmpsc::UnboundedReceiver<Result<Incoming, TransportError>>,
    thread: Option<JoinHandle<()>>,
    sizes: ApduSizes,
}

impl NfcReaderLink {
    /// Starts data retrieval with the mdoc whose NFC carrier is `mdoc` on `channel` (the field
    /// that did the engagement): SELECT of the mdoc application, then one ENVELOPE exchange per
    /// [`Transport::send`]. APDU sizes are the lower of the mdoc's and the channel's.
    pub fn start<C: ApduChannel>(mut channel: C, mdoc: &NfcCarrier) -> Self {
        let sizes = ApduSizes::from_carrier(mdoc).min(channel.link_sizes());
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (tx, incoming) = tmpsc::unbounded_channel();
        let thread = std::thread::spawn(move || {
            let mut initiator = EnvelopeInitiator::new(sizes);
            let mut selected = false;
            while let Ok(job) = job_rx.recv() {
                match job {
                    Job::Send(message) => {
                        let result = if selected {
                            Ok(())
                        } else {
                            select_mdoc_application(&mut channel)
                        }
                        .and_then(|()| {
                            selected = true;
                            exchange_message(&mut channel, &mut initiator, &message)
                        });
                        match result {
                            Ok(Some(m)) => {
                                let _ = tx.send(Ok(Incoming::Message(m)));
                            }
                            Ok(None) => {}
                            Err(e) => {
                                let _ = tx.send(Err(to_transport_error(e)));
                                break;
                            }
                        }
                    }
                    Job::Close(done) => {
                        channel.release();
                        let _ = done.send(());
                        return;
                    }
                }
            }
            channel.release();
        });
        Self {
            jobs: Some(jobs),
            incoming,
            thread: Some(thread),
            sizes,
        }
    }

    /// The APDU sizes in use.
    pub fn sizes(&self) -> ApduSizes {
        self.sizes
    }
}

fn to_transport_error(e: ReaderError) -> TransportError {
    match e {
        ReaderError::Channel(c) => c.into(),
        other => TransportError::Framing(other.to_string()),
    }
}

impl Drop for NfcReaderLink {
    fn drop(&mut self) {
        // Ends the worker after its current exchange; it releases the card itself.
        self.jobs.take();
        self.thread.take();
    }
}

impl Transport for NfcReaderLink {
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        let jobs = self.jobs.as_ref().ok_or(TransportError::Closed)?;
        jobs.send(Job::Send(message.to_vec()))
            .map_err(|_| TransportError::LinkLost)
    }

    async fn receive(&mut self) -> Result<Incoming, TransportError> {
        match self.incoming.recv().await {
            Some(r) => r,
            None if self.jobs.is_none() => Err(TransportError::Closed),
            None => Err(TransportError::LinkLost),
        }
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        let Some(jobs) = self.jobs.take() else {
            return Ok(());
        };
        let (done, wait) = oneshot::channel();
        if jobs.send(Job::Close(done)).is_ok() {
            // Waits for queued messages (a termination) to go out before the card is released.
            let _ = wait.await;
        }
        Ok(())
    }
}

/// The reader's [`Connect`] for NFC data retrieval on the field that did the engagement
/// (DESIGN §7b): it hands its channel to the link once.
#[derive(Debug)]
pub struct NfcConnector<C> {
    channel: Option<C>,
}

impl<C: ApduChannel> NfcConnector<C> {
    /// A connector over the engaged field.
    pub fn new(channel: C) -> Self {
        Self {
            channel: Some(channel),
        }
    }
}

impl<C: ApduChannel> Connect for NfcConnector<C> {
    type Link = NfcReaderLink;

    fn supports(&self, carrier: &Carrier) -> bool {
        matches!(carrier, Carrier::Nfc(_)) && self.channel.is_some()
    }

    async fn connect(
        &mut self,
        carrier: &Carrier,
        _binding: &SessionBinding,
    ) -> Result<NfcReaderLink, TransportError> {
        let Carrier::Nfc(nfc) = carrier else {
            return Err(TransportError::Framing("not an NFC carrier".into()));
        };
        let channel = self.channel.take().ok_or(TransportError::Closed)?;
        Ok(NfcReaderLink::start(channel, nfc))
    }
}
