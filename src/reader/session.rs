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

use crate::session::{
    CloseReason, CommandError, Input, Outbox, Output, PeerMisbehaved, Session, SessionError,
    Timeouts, Unsupported,
};
use crate::time::UnixTime;
use crate::verify::{TrustAnchors, VerificationReport};

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
/// [`request`](Self::request), [`terminate`](Self::terminate). Inputs and outputs: the
/// [`Session`] trait.
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
        /// Requests sent and not yet answered; the first goes in SessionEstablishment.
        requests_sent: u64,
        responses_received: u64,
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
            return Err(SessionError::Unsupported(Unsupported::CipherSuite(
                security.cipher_suite,
            )));
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
                requests_sent: 0,
                responses_received: 0,
                deadline,
            },
            out: Outbox::new(),
        })
    }

    /// Starts a session from the holder's `engagement` (see [`crate::engagement::Engagement`]).
    pub fn from_engagement(
        config: ReaderConfig,
        e_reader_key: EphemeralPrivateKey,
        engagement: &crate::engagement::Engagement,
        now: Instant,
    ) -> Result<Self, SessionError> {
        Self::new(
            config,
            e_reader_key,
            engagement.device_engagement().clone(),
            engagement.handover().clone(),
            now,
        )
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

    /// Verifies a DeviceResponse of this session (2021 9.3): issuer data authentication against
    /// `trust` and mdoc authentication against this session's transcript — deviceSignature, or
    /// deviceMac with this session's EReaderKey — all at `at`.
    pub fn verify(
        &self,
        response: &DeviceResponse,
        trust: &TrustAnchors,
        at: UnixTime,
    ) -> VerificationReport {
        crate::verify::response(
            response,
            &self.transcript,
            trust,
            Some(&self.e_reader_key),
            at,
        )
    }

    // ---- commands ---------------------------------------------------------------------------

    /// Encrypts and sends a DeviceRequest: the first goes in SessionEstablishment, later ones in
    /// SessionData.
    pub fn request(&mut self, now: Instant, request: &DeviceRequest) -> Result<(), CommandError> {
        self.request_bytes(now, &cbor::to_vec(request))
    }

    /// Sends an already encoded DeviceRequest (for integrators replaying captured requests).
    pub fn request_bytes(&mut self, now: Instant, plaintext: &[u8]) -> Result<(), CommandError> {
        let State::Open {
            cipher,
            requests_sent,
            deadline,
            ..
        } = &mut self.state
        else {
            return Err(CommandError::Closed);
        };
        let data = match cipher.encrypt(plaintext) {
            Ok(d) => d,
            Err(_) => {
                // The cipher refuses to encrypt only when this side's counter is exhausted.
                self.fail(SessionError::CounterExhausted);
                return Err(CommandError::CounterExhausted);
            }
        };
        let message = if *requests_sent > 0 {
            cbor::to_vec(&SessionData::with_data(data))
        } else {
            cbor::to_vec(&SessionEstablishment {
                e_reader_key: self.transcript.value().e_reader_key.clone(),
                data: cbor::Bstr(data),
            })
        };
        *requests_sent += 1;
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

    // ---- inputs (see also the `Session` impl) --------------------------------------------

    /// Handles one message from the holder.
    fn handle_message(&mut self, now: Instant, bytes: &[u8]) {
        let State::Open {
            cipher,
            deadline,
            requests_sent,
            responses_received,
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
            // 2021 9.1.1.4: the mdoc sends a DeviceResponse only in answer to a request. One that
            // answers nothing (before our first request, or one too many) ends the session with
            // status 20; its content is not even decrypted.
            if *responses_received >= *requests_sent {
                return self.fail(SessionError::PeerMisbehaved(
                    PeerMisbehaved::UnsolicitedResponse,
                ));
            }
            let plaintext = match cipher.decrypt(data) {
                Ok(p) => p,
                Err(e) => return self.fail(SessionError::Decrypt(e)),
            };
            *responses_received += 1;
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

    fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Open { deadline, .. } => Some(*deadline),
            State::Closed => None,
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

impl Session for ReaderSession {
    type Event = ReaderEvent;

    fn handle_input(&mut self, input: Input<'_>) {
        match input {
            Input::Message(now, bytes) => self.handle_message(now, bytes),
            Input::TransportEnded(_) => {
                if !self.is_closed() {
                    self.close(CloseReason::TransportEnded);
                }
            }
            Input::TransportLost(_, error) => {
                if !self.is_closed() {
                    self.close(CloseReason::TransportLost(error));
                }
            }
            Input::Timeout(now) => {
                if self.deadline().is_some_and(|d| now >= d) {
                    self.fail(SessionError::TimedOut);
                }
            }
        }
    }

    fn poll_output(&mut self) -> Output<ReaderEvent> {
        if let Some(o) = self.out.pop() {
            return o;
        }
        match self.deadline() {
            Some(deadline) => Output::Timeout(deadline),
            None => Output::Done,
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline()
    }
}
