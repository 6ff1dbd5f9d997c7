//! The reader over PC/SC (feature `pcsc`): any CCID contactless reader (an ACR122U, a
//! vpcd virtual reader) through pcscd and the `pcsc` crate. List readers, wait for a tap,
//! transmit, notice removal.

use std::ffi::{CStr, CString};
use std::time::Duration;

use pcsc::{Context, Disposition, Error, Protocols, ReaderState, Scope, ShareMode, State};

use crate::envelope::ApduSizes;
use crate::reader::{ApduChannel, ChannelError};

fn backend(e: Error) -> ChannelError {
    match e {
        // The card left the field, or the link to it broke (a vpcd card whose socket closed
        // surfaces as "not transacted"): either way the transaction is over.
        Error::RemovedCard
        | Error::ResetCard
        | Error::NoSmartcard
        | Error::ReaderUnavailable
        | Error::UnknownReader
        | Error::NotTransacted
        | Error::CommError
        | Error::UnresponsiveCard
        | Error::UnpoweredCard => ChannelError::Removed,
        other => ChannelError::Backend {
            backend: "pcsc",
            message: other.to_string(),
        },
    }
}

/// The names of the PC/SC readers present (empty when pcscd has none).
pub fn list_readers() -> Result<Vec<String>, ChannelError> {
    let ctx = Context::establish(Scope::User).map_err(backend_context)?;
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(backend_context(e)),
    }
}

fn backend_context(e: Error) -> ChannelError {
    ChannelError::Backend {
        backend: "pcsc",
        message: e.to_string(),
    }
}

/// Waits up to `timeout` until `reader` reports no card: between two taps, so that the next
/// wait does not see the previous card (TESTING.md: wait for EMPTY before the next vpcd card).
pub fn wait_for_empty(reader: &str, timeout: Option<Duration>) -> Result<(), ChannelError> {
    let ctx = Context::establish(Scope::User).map_err(backend_context)?;
    let name = CString::new(reader).map_err(|_| ChannelError::Backend {
        backend: "pcsc",
        message: "reader name contains NUL".into(),
    })?;
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    loop {
        ctx.get_status_change(timeout, &mut states)
            .map_err(backend_context)?;
        if states[0].event_state().contains(State::EMPTY) {
            return Ok(());
        }
        states[0].sync_current_state();
    }
}

/// A card in a PC/SC reader's field.
pub struct PcscChannel {
    // The card keeps its context alive (pcsc::Card holds a reference to it).
    card: Option<pcsc::Card>,
    reader: String,
    sizes: ApduSizes,
    buf: Vec<u8>,
}

impl std::fmt::Debug for PcscChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscChannel")
            .field("reader", &self.reader)
            .field("sizes", &self.sizes)
            .finish_non_exhaustive()
    }
}

impl PcscChannel {
    /// Waits up to `timeout` (`None`: forever) for a card in `reader` (`None`: the first reader
    /// that has one) and connects to it. `sizes` is what the reader hardware carries: use
    /// [`ApduSizes::SHORT`] for readers without extended length (PN53x-based, such as the
    /// ACR122U), [`ApduSizes::EXTENDED`] (or vpcd's limit) otherwise.
    pub fn wait_for_card(
        reader: Option<&str>,
        timeout: Option<Duration>,
        sizes: ApduSizes,
    ) -> Result<Self, ChannelError> {
        let ctx = Context::establish(Scope::User).map_err(backend_context)?;
        let names: Vec<CString> = match reader {
            Some(r) => vec![CString::new(r).map_err(|_| ChannelError::Backend {
                backend: "pcsc",
                message: "reader name contains NUL".into(),
            })?],
            None => ctx.list_readers_owned().map_err(backend_context)?,
        };
        if names.is_empty() {
            return Err(backend_context(Error::NoReadersAvailable));
        }
        let mut states: Vec<ReaderState> = names
            .iter()
            .map(|n| ReaderState::new(n.clone(), State::UNAWARE))
            .collect();
        loop {
            ctx.get_status_change(timeout, &mut states)
                .map_err(|e| match e {
                    Error::Timeout => ChannelError::Backend {
                        backend: "pcsc",
                        message: "no card presented in time".into(),
                    },
                    other => backend_context(other),
                })?;
            if let Some(s) = states.iter().find(|s| {
                s.event_state().contains(State::PRESENT) && !s.event_state().contains(State::MUTE)
            }) {
                let name: &CStr = s.name();
                let reader = name.to_string_lossy().into_owned();
                let card = ctx
                    .connect(name, ShareMode::Shared, Protocols::ANY)
                    .map_err(backend)?;
                return Ok(Self {
                    card: Some(card),
                    reader,
                    sizes: sizes.clamped(),
                    buf: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
                });
            }
            for s in &mut states {
                s.sync_current_state();
            }
        }
    }

    /// The reader the card is in.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Waits up to `timeout` until the reader reports no card (the holder walked away).
    pub fn wait_for_removal(&self, timeout: Option<Duration>) -> Result<(), ChannelError> {
        wait_for_empty(&self.reader, timeout)
    }
}

impl ApduChannel for PcscChannel {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, ChannelError> {
        let card = self.card.as_ref().ok_or(ChannelError::Removed)?;
        let r = card.transmit(command, &mut self.buf).map_err(backend)?;
        // No status word at all: the card did not answer (vpcd reports a card that vanished
        // mid-command this way).
        if r.len() < 2 {
            return Err(ChannelError::Removed);
        }
        Ok(r.to_vec())
    }

    fn link_sizes(&self) -> ApduSizes {
        self.sizes
    }

    fn release(&mut self) {
        if let Some(card) = self.card.take() {
            // Unpower: the card sees the field go off (vpcd: power-off), as after a real tap.
            let _ = card.disconnect(Disposition::UnpowerCard);
        }
    }
}
