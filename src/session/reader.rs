//! The reader's side of data retrieval (2021 9.1.1 / 2nd ed. 12.2).

use std::time::Instant;

use crate::cbor::{self, DecodeError, Limits, Tag24};
use crate::crypto::{
    CoseKey, CryptoProvider, EphemeralPrivateKey, Role, SessionCipher, SessionKeys,
};
use crate::msg::{
    DeviceEngagementBytes, DeviceRequest, DeviceResponse, Handover, SessionData,
    SessionEstablishment, SessionStatus, SessionTranscript, SessionTranscriptBytes,
};

use super::io::Outbox;
use super::{CloseReason, Output, SessionError, Timeouts};

/// Cipher suite 1 (2021 9.1.5.2), the only one defined.
pub const CIPHER_SUITE_1: i64 = 1;

/// Configuration of a reader session.
#[derive(Debug, Clone, Default)]
pub struct ReaderConfig {
    /// Deadlines.
    pub timeouts: Timeouts,
    /// Limits on what the holder may make us decode.
    pub limits: Limits,
    /// Computes the session's HKDF and AES-256-GCM (the ECDH runs on the provider of the
    /// EReaderKey passed in). Default: [`CryptoProvider::fastest`].
    pub provider: CryptoProvider,
}

/// What a reader session tells the application.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReaderEvent {
    /// A DeviceResponse arrived and decrypted. Verify it before trusting it (issuer, device and reader authentication).
    Response(Box<ResponseReceived>),
    /// The session ended.
    Closed(CloseReason),
}

/// A decrypted DeviceResponse.
#[derive(Debug)]
pub struct ResponseReceived {
    /// The decoded response, or why the decrypted bytes are not a DeviceResponse.
    pub response: Result<DeviceResponse, DecodeError>,
    /// The plaintext bytes as decrypted (for logs and dumps).
    pub bytes: Vec<u8>,
}

/// How the reader ends a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// SessionData with status 20.
    Status,
    /// The transport's own end (BLE State `0x02`); the driver performs it, nothing is sent.
    Transport,
}

/// The reader's session state machine.
///
/// Everything is known when it starts — the holder's engagement and the reader's own ephemeral
/// key — so the transcript and keys exist from construction. Commands:
/// [`request`](Self::request), [`terminate`](Self::terminate). Inputs: `handle_*`. Outputs:
/// [`poll_output`](Self::poll_output).
#[derive(Debug)]
pub struct ReaderSession {
    config: ReaderConfig,
    e_reader_key: EphemeralPrivateKey,
    transcript: SessionTranscriptBytes,
    state: State,
    out: Outbox<ReaderEvent>,
}

#[derive(Debug)]
enum State {
    Open {
        cipher: SessionCipher,
        established: bool,
        deadline: Instant,
    },
    Closed,
}

impl ReaderSession {
    /// Starts a session from the holder's engagement with the reader's ephemeral key, which must
    /// be on the curve of the holder's EDeviceKey (see [`ReaderSession::generate_key`]).
    pub fn new(
        config: ReaderConfig,
        e_reader_key: EphemeralPrivateKey,
        engagement: DeviceEngagementBytes,
        handover: Handover,
        now: Instant,
    ) -> Result<Self, SessionError> {
        let security = &engagement.value().security;
        if security.cipher_suite != CIPHER_SUITE_1 {
            return Err(SessionError::Unsupported("cipher suite other than 1"));
        }
        let shared = e_reader_key
            .agree(security.e_device_key.value())
            .map_err(SessionError::KeyAgreement)?;
        let e_reader_key_bytes =
            Tag24::new(e_reader_key.public_key().map_err(SessionError::Crypto)?);
        let transcript = Tag24::new(SessionTranscript {
            device_engagement: engagement,
            e_reader_key: e_reader_key_bytes,
            handover,
        });
        let cipher = SessionKeys::derive_with(
            config.provider,
            &shared,
            &transcript.tagged_bytes(),
            Role::Reader,
        )
        .into_cipher();
        let deadline = now + config.timeouts.establishment;
        Ok(Self {
            config,
            e_reader_key,
            transcript,
            // The reader is expected to send its request promptly after engagement; it gets the
            // same establishment allowance the holder grants it.
            state: State::Open {
                cipher,
                established: false,
                deadline,
            },
            out: Outbox::new(),
        })
    }

    /// Generates the reader's ephemeral key on the curve of the holder's EDeviceKey.
    pub fn generate_key<R: rand_core::CryptoRng + ?Sized>(
        engagement: &DeviceEngagementBytes,
        rng: &mut R,
    ) -> Result<EphemeralPrivateKey, SessionError> {
        Self::generate_key_with(CryptoProvider::default(), engagement, rng)
    }

    /// [`generate_key`](Self::generate_key) on `provider`.
    pub fn generate_key_with<R: rand_core::CryptoRng + ?Sized>(
        provider: CryptoProvider,
        engagement: &DeviceEngagementBytes,
        rng: &mut R,
    ) -> Result<EphemeralPrivateKey, SessionError> {
        let curve = engagement.value().security.e_device_key.value().curve;
        EphemeralPrivateKey::generate_with(provider, curve, rng).map_err(SessionError::Crypto)
    }

    // ---- getters ----------------------------------------------------------------------------

    /// The session transcript (fixed from the start on the reader side).
    pub fn transcript(&self) -> &SessionTranscriptBytes {
        &self.transcript
    }

    /// The reader's ephemeral private key: needed to verify a deviceMac (EMacKey is derived from
    /// it and the device key in the MSO).
    pub fn e_reader_key(&self) -> &EphemeralPrivateKey {
        &self.e_reader_key
    }

    /// The holder's EDeviceKey.
    pub fn e_device_key(&self) -> &CoseKey {
        self.transcript
            .value()
            .device_engagement
            .value()
            .security
            .e_device_key
            .value()
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    // ---- commands ---------------------------------------------------------------------------

    /// Encrypts and sends a DeviceRequest: the first goes in SessionEstablishment, later ones in
    /// SessionData.
    pub fn request(&mut self, now: Instant, request: &DeviceRequest) -> Result<(), SessionError> {
        self.request_bytes(now, &cbor::to_vec(request))
    }

    /// Sends an already encoded DeviceRequest (for integrators replaying captured requests).
    pub fn request_bytes(&mut self, now: Instant, plaintext: &[u8]) -> Result<(), SessionError> {
        let State::Open {
            cipher,
            established,
            deadline,
        } = &mut self.state
        else {
            return Err(SessionError::Closed);
        };
        let data = match cipher.encrypt(plaintext) {
            Ok(d) => d,
            Err(e) => {
                self.fail(SessionError::Decrypt(e));
                return Err(SessionError::InvalidState("session counter exhausted"));
            }
        };
        let message = if *established {
            cbor::to_vec(&SessionData::with_data(data))
        } else {
            *established = true;
            cbor::to_vec(&SessionEstablishment {
                e_reader_key: self.transcript.value().e_reader_key.clone(),
                data: cbor::Bstr(data),
            })
        };
        *deadline = now + self.config.timeouts.inactivity;
        self.out.transmit(message);
        Ok(())
    }

    /// Ends the session. With [`Termination::Status`] a SessionData status 20 goes out first.
    pub fn terminate(&mut self, _now: Instant, how: Termination) {
        if self.is_closed() {
            return;
        }
        if how == Termination::Status {
            self.out.status(SessionStatus::SESSION_TERMINATION);
        }
        self.close(CloseReason::Terminated);
    }

    // ---- inputs -----------------------------------------------------------------------------

    /// Handles one message from the holder.
    pub fn handle_message(&mut self, now: Instant, bytes: &[u8]) {
        let State::Open {
            cipher, deadline, ..
        } = &mut self.state
        else {
            return;
        };
        let msg: SessionData = match cbor::from_slice_with(bytes, &self.config.limits) {
            Ok(m) => m,
            Err(e) => return self.fail(SessionError::InvalidMessage(e)),
        };
        *deadline = now + self.config.timeouts.inactivity;
        if let Some(data) = msg.data() {
            let plaintext = match cipher.decrypt(data) {
                Ok(p) => p,
                Err(e) => return self.fail(SessionError::Decrypt(e)),
            };
            let response = cbor::from_slice_with::<DeviceResponse>(&plaintext, &self.config.limits);
            self.out
                .event(ReaderEvent::Response(Box::new(ResponseReceived {
                    response,
                    bytes: plaintext,
                })));
        }
        if let Some(status) = msg.status() {
            self.close(CloseReason::PeerStatus(status));
        }
    }

    /// Handles the holder's transport-specific end of the session.
    pub fn handle_transport_end(&mut self, _now: Instant) {
        if !self.is_closed() {
            self.close(CloseReason::TransportEnded);
        }
    }

    /// Handles a lost link.
    pub fn handle_transport_lost(&mut self, _now: Instant) {
        if !self.is_closed() {
            self.close(CloseReason::TransportLost);
        }
    }

    /// Handles the passage of time: closes the session when its deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if let State::Open { deadline, .. } = self.state {
            if now >= deadline {
                self.fail(SessionError::TimedOut);
            }
        }
    }

    // ---- outputs ----------------------------------------------------------------------------

    /// The next thing to do; see [`Output`].
    pub fn poll_output(&mut self) -> Output<ReaderEvent> {
        if let Some(o) = self.out.pop() {
            return o;
        }
        match &self.state {
            State::Open { deadline, .. } => Output::Timeout(*deadline),
            State::Closed => Output::Done,
        }
    }

    fn fail(&mut self, error: SessionError) {
        self.out.status_for(&error);
        self.close(CloseReason::Failed(error));
    }

    fn close(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        self.out.event(ReaderEvent::Closed(reason));
    }
}
