//! The holder's (mdoc's) side of data retrieval (2021 9.1.1 / 2nd ed. 12.2).

use std::time::Instant;

use crate::cbor::{self, DecodeError, Limits, Tag24};
use crate::crypto::{CryptoProvider, EphemeralPrivateKey, Role, SessionCipher, SessionKeys};
use crate::msg::{
    DeviceEngagementBytes, DeviceRequest, DeviceResponse, Handover, ResponseStatus, SessionData,
    SessionEstablishment, SessionStatus, SessionTranscript, SessionTranscriptBytes,
};

use crate::session::{
    CloseReason, CommandError, Input, Outbox, Output, Session, SessionError, Timeouts,
};

/// Configuration of a holder session.
#[derive(Debug, Clone, Default)]
pub struct HolderConfig {
    /// Deadlines.
    pub timeouts: Timeouts,
    /// Limits on what the reader may make us decode.
    pub limits: Limits,
    /// Computes the session's HKDF and AES-256-GCM (the ECDH runs on the provider of the
    /// EDeviceKey passed in). Default: [`CryptoProvider::fastest`].
    pub provider: CryptoProvider,
}

/// What a holder session tells the application.
#[derive(Debug)]
#[non_exhaustive]
pub enum HolderEvent {
    /// The session keys are established (the first request arrived and decrypted).
    Established,
    /// A DeviceRequest arrived; answer it with [`HolderSession::respond`].
    Request(Box<RequestReceived>),
    /// A request decrypted but did not decode or validate; the session answered it with
    /// DeviceResponse status 11 or 12 on its own and goes on (2021 8.3.2.1.2.3).
    RequestRejected(DecodeError),
    /// The session ended.
    Closed(CloseReason),
}

/// A decrypted, decoded DeviceRequest.
#[derive(Debug)]
pub struct RequestReceived {
    /// The request.
    pub request: DeviceRequest,
    /// The plaintext bytes as decrypted (for logs and dumps).
    pub bytes: Vec<u8>,
}

/// The holder's session state machine.
///
/// Created at engagement with the holder's ephemeral key (`EDeviceKey`); the
/// reader's SessionEstablishment then fixes the session transcript and keys. Commands:
/// [`respond`](Self::respond), [`terminate`](Self::terminate). Inputs and outputs: the
/// [`Session`] trait.
#[derive(Debug)]
pub struct HolderSession {
    config: HolderConfig,
    engagement: DeviceEngagementBytes,
    handover: Handover,
    state: State,
    out: Outbox<HolderEvent>,
}

#[derive(Debug)]
enum State {
    /// Engagement given out, waiting for SessionEstablishment.
    AwaitingEstablishment {
        e_device_key: EphemeralPrivateKey,
        deadline: Instant,
    },
    /// Keys exist only here.
    Established(Box<Established>),
    Closed,
}

#[derive(Debug)]
struct Established {
    cipher: SessionCipher,
    transcript: SessionTranscriptBytes,
    deadline: Instant,
}

impl HolderSession {
    /// Starts a session for an engagement already made (QR shown, or NFC handover done).
    ///
    /// `engagement` must carry the public key of `e_device_key` (checked), and `handover` is how
    /// it reached the reader (for NFC, set it later with [`set_handover`](Self::set_handover) if
    /// the handover completes after the session is created).
    pub fn new(
        config: HolderConfig,
        e_device_key: EphemeralPrivateKey,
        engagement: DeviceEngagementBytes,
        handover: Handover,
        now: Instant,
    ) -> Result<Self, CommandError> {
        let public = e_device_key.public_key().map_err(CommandError::Crypto)?;
        if engagement.value().security.e_device_key.value() != &public {
            return Err(CommandError::EngagementKeyMismatch);
        }
        let deadline = now + config.timeouts.establishment;
        Ok(Self {
            config,
            engagement,
            handover,
            state: State::AwaitingEstablishment {
                e_device_key,
                deadline,
            },
            out: Outbox::new(),
        })
    }

    /// Starts a session for `engagement` (see [`crate::engagement::Engagement`]).
    pub fn from_engagement(
        config: HolderConfig,
        e_device_key: EphemeralPrivateKey,
        engagement: &crate::engagement::Engagement,
        now: Instant,
    ) -> Result<Self, CommandError> {
        Self::new(
            config,
            e_device_key,
            engagement.device_engagement().clone(),
            engagement.handover().clone(),
            now,
        )
    }

    // ---- getters ----------------------------------------------------------------------------

    /// The DeviceEngagement as given to the reader.
    pub fn engagement(&self) -> &DeviceEngagementBytes {
        &self.engagement
    }

    /// The session transcript, once established.
    pub fn transcript(&self) -> Option<&SessionTranscriptBytes> {
        match &self.state {
            State::Established(e) => Some(&e.transcript),
            _ => None,
        }
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    // ---- commands ---------------------------------------------------------------------------

    /// Sets the handover once known (NFC negotiated handover completes after engagement).
    /// Refused after SessionEstablishment, when the transcript is fixed.
    pub fn set_handover(&mut self, handover: Handover) -> Result<(), CommandError> {
        match self.state {
            State::AwaitingEstablishment { .. } => {
                self.handover = handover;
                Ok(())
            }
            State::Established(_) => Err(CommandError::TranscriptFixed),
            State::Closed => Err(CommandError::Closed),
        }
    }

    /// Encrypts and sends a DeviceResponse.
    pub fn respond(&mut self, now: Instant, response: &DeviceResponse) -> Result<(), CommandError> {
        self.send_response(now, &cbor::to_vec(response), None)
    }

    /// Sends a DeviceResponse and terminates in the same message (`SessionData` with `data` and
    /// status 20, 2021 9.1.1.4).
    pub fn respond_and_terminate(
        &mut self,
        now: Instant,
        response: &DeviceResponse,
    ) -> Result<(), CommandError> {
        self.send_response(
            now,
            &cbor::to_vec(response),
            Some(SessionStatus::SESSION_TERMINATION),
        )?;
        self.close(CloseReason::Terminated);
        Ok(())
    }

    /// Ends the session: status 20 when established, then closed. Keys are dropped (zeroized).
    pub fn terminate(&mut self, _now: Instant) {
        if matches!(self.state, State::Closed) {
            return;
        }
        if matches!(self.state, State::Established(_)) {
            self.out.status(SessionStatus::SESSION_TERMINATION);
        }
        self.close(CloseReason::Terminated);
    }

    // ---- inputs (see also the `Session` impl) --------------------------------------------

    /// Handles one message from the reader.
    fn handle_message(&mut self, now: Instant, bytes: &[u8]) {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::AwaitingEstablishment {
                e_device_key,
                deadline,
            } => {
                match self.establish(now, &e_device_key, bytes) {
                    Ok(plaintext) => self.process_request(plaintext),
                    Err(e) => {
                        // Before establishment nothing but a status can be sent; put the key back
                        // only to drop it with the state below.
                        self.state = State::AwaitingEstablishment {
                            e_device_key,
                            deadline,
                        };
                        self.fail(e);
                    }
                }
            }
            State::Established(mut est) => {
                let result = Self::open_session_data(&mut est, &self.config.limits, bytes);
                est.deadline = now + self.config.timeouts.inactivity;
                self.state = State::Established(est);
                match result {
                    Ok((data, status)) => {
                        if let Some(plaintext) = data {
                            self.process_request(plaintext);
                        }
                        if let Some(status) = status {
                            self.close(CloseReason::PeerStatus(status));
                        }
                    }
                    Err(e) => self.fail(e),
                }
            }
            State::Closed => {}
        }
    }

    fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::AwaitingEstablishment { deadline, .. } => Some(*deadline),
            State::Established(e) => Some(e.deadline),
            State::Closed => None,
        }
    }

    // ---- internals --------------------------------------------------------------------------

    fn establish(
        &mut self,
        now: Instant,
        e_device_key: &EphemeralPrivateKey,
        bytes: &[u8],
    ) -> Result<Vec<u8>, SessionError> {
        let msg: SessionEstablishment = cbor::from_slice_with(bytes, &self.config.limits)
            .map_err(SessionError::InvalidMessage)?;
        let shared = e_device_key
            .agree(msg.e_reader_key.value())
            .map_err(SessionError::KeyAgreement)?;
        let transcript = Tag24::new(SessionTranscript {
            device_engagement: self.engagement.clone(),
            e_reader_key: msg.e_reader_key,
            handover: self.handover.clone(),
        });
        let keys = SessionKeys::derive_with(
            self.config.provider,
            &shared,
            &transcript.tagged_bytes(),
            Role::Holder,
        );
        let mut cipher = keys.into_cipher();
        let plaintext = cipher.decrypt(&msg.data.0).map_err(SessionError::Decrypt)?;
        self.state = State::Established(Box::new(Established {
            cipher,
            transcript,
            deadline: now + self.config.timeouts.inactivity,
        }));
        self.out.event(HolderEvent::Established);
        Ok(plaintext)
    }

    fn open_session_data(
        est: &mut Established,
        limits: &Limits,
        bytes: &[u8],
    ) -> Result<(Option<Vec<u8>>, Option<SessionStatus>), SessionError> {
        let msg: SessionData =
            cbor::from_slice_with(bytes, limits).map_err(SessionError::InvalidMessage)?;
        let data = match msg.data() {
            Some(data) => Some(est.cipher.decrypt(data).map_err(SessionError::Decrypt)?),
            None => None,
        };
        Ok((data, msg.status()))
    }

    /// A decrypted request: decode it, or answer status 11/12 and go on.
    fn process_request(&mut self, plaintext: Vec<u8>) {
        match cbor::from_slice_with::<DeviceRequest>(&plaintext, &self.config.limits) {
            Ok(request) => self
                .out
                .event(HolderEvent::Request(Box::new(RequestReceived {
                    request,
                    bytes: plaintext,
                }))),
            Err(e) => {
                // 2021 8.3.2.1.2.3: bytes that are not CBOR → 11; CBOR of the wrong shape → 12.
                let status = if e.path().is_some() {
                    ResponseStatus::CBOR_VALIDATION_ERROR
                } else {
                    ResponseStatus::CBOR_DECODING_ERROR
                };
                let response = DeviceResponse::error(status);
                // The session is established here, so sending can only fail on counter
                // exhaustion, which closes the session inside send_response.
                let _ = self.send_response_without_deadline(&cbor::to_vec(&response), None);
                self.out.event(HolderEvent::RequestRejected(e));
            }
        }
    }

    fn send_response(
        &mut self,
        now: Instant,
        plaintext: &[u8],
        status: Option<SessionStatus>,
    ) -> Result<(), CommandError> {
        self.send_response_without_deadline(plaintext, status)?;
        if let State::Established(e) = &mut self.state {
            e.deadline = now + self.config.timeouts.inactivity;
        }
        Ok(())
    }

    fn send_response_without_deadline(
        &mut self,
        plaintext: &[u8],
        status: Option<SessionStatus>,
    ) -> Result<(), CommandError> {
        let est = match &mut self.state {
            State::Established(e) => e,
            State::AwaitingEstablishment { .. } => return Err(CommandError::NotEstablished),
            State::Closed => return Err(CommandError::Closed),
        };
        let data = match est.cipher.encrypt(plaintext) {
            Ok(d) => d,
            Err(_) => {
                // The cipher refuses to encrypt only when this side's counter is exhausted.
                self.fail(SessionError::CounterExhausted);
                return Err(CommandError::CounterExhausted);
            }
        };
        let msg = match status {
            // SessionData::with_data_and_status refuses error statuses; 20 is accepted.
            // Only `respond_and_terminate` passes a status, and it passes 20, which may carry data.
            Some(s) => SessionData::with_data_and_status(data, s)
                .expect("status 20 (termination) is not an error status"),
            None => SessionData::with_data(data),
        };
        self.out.transmit(cbor::to_vec(&msg));
        Ok(())
    }

    /// Sends the status the error calls for, then closes.
    fn fail(&mut self, error: SessionError) {
        self.out.status_for(&error);
        self.close(CloseReason::Failed(error));
    }

    fn close(&mut self, reason: CloseReason) {
        self.state = State::Closed;
        self.out.event(HolderEvent::Closed(reason));
    }
}

impl Session for HolderSession {
    type Event = HolderEvent;

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
                if self.deadline().is_none_or(|d| now < d) {
                    return;
                }
                if matches!(self.state, State::AwaitingEstablishment { .. }) {
                    // No session keys exist yet: SessionData status 20 would be a protocol error
                    // (2021 9.1.1.4), so an establishment time-out sends nothing.
                    self.close(CloseReason::Failed(SessionError::TimedOut));
                } else {
                    self.fail(SessionError::TimedOut);
                }
            }
        }
    }

    fn poll_output(&mut self) -> Output<HolderEvent> {
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
