//! Establishing links: the reader's [`Connect`] and the holder's [`Listen`] (DESIGN.md §7b).
//!
//! Engagement (QR or NFC) decides *which* [`Carrier`] carries the session; these traits turn a
//! carrier into a [`Transport`]. A holder's listener is asked what it will offer *before* the
//! engagement is written, because the engagement must carry the real UUID, PSM, address or port.

use std::future::Future;

use crate::{Carrier, SessionBinding, Transport, TransportError};

/// The reader side: opens a link to a holder over a carrier the holder offered.
pub trait Connect: Send {
    /// The link this connector produces.
    type Link: Transport;

    /// Whether this connector can use `carrier` at all (kind, mode, limits).
    fn supports(&self, carrier: &Carrier) -> bool;

    /// Connects over `carrier`; `binding` carries what the link must serve or check (BLE Ident
    /// in central client mode).
    fn connect(
        &mut self,
        carrier: &Carrier,
        binding: &SessionBinding,
    ) -> impl Future<Output = Result<Self::Link, TransportError>> + Send;
}

/// The holder side: offers carriers, then accepts the reader's link on one of them.
pub trait Listen: Send {
    /// The link this listener produces.
    type Link: Transport;

    /// The carriers this listener will serve, with their real parameters (UUID, PSM, address,
    /// host and port), known before the engagement is written. Call once per engagement: a
    /// BLE listener draws a fresh service UUID each time.
    fn offer(&mut self) -> impl Future<Output = Result<Vec<Carrier>, TransportError>> + Send;

    /// Waits for the reader on `carrier` (one of [`Listen::offer`]'s, possibly completed by the
    /// reader's negotiated handover, e.g. the reader's UUID in central client mode).
    fn accept(
        &mut self,
        carrier: &Carrier,
        binding: &SessionBinding,
    ) -> impl Future<Output = Result<Self::Link, TransportError>> + Send;
}
