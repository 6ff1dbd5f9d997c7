//! A message link over an L2CAP LE credit-based channel (2nd ed. 11.1.3.3): bluer's stream
//! socket and the sans-IO [`L2capCodec`](crate::l2cap::L2capCodec).

use bluer::l2cap::Stream;
use mdl_transport::Incoming;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::ProgressFn;
use crate::l2cap::{encode, L2capCodec};
use crate::BleError;

/// Read buffer size: a few LE SDUs.
const READ_CHUNK: usize = 16 * 1024;

pub(crate) struct L2capLink {
    stream: Stream,
    codec: L2capCodec,
    closed: bool,
}

impl std::fmt::Debug for L2capLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L2capLink")
            .field("peer", &self.stream.peer_addr().ok())
            .finish_non_exhaustive()
    }
}

fn io_error(e: std::io::Error) -> BleError {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, NotConnected};
    match e.kind() {
        BrokenPipe | ConnectionReset | ConnectionAborted | NotConnected => {
            BleError::LinkLost { mid_message: false }
        }
        _ => BleError::Backend {
            backend: "l2cap",
            message: e.to_string(),
        },
    }
}

impl L2capLink {
    pub(crate) fn new(stream: Stream, max_message_size: usize) -> Self {
        Self {
            stream,
            codec: L2capCodec::new(max_message_size),
            closed: false,
        }
    }

    /// The channel's send MTU (for reports).
    pub(crate) fn send_mtu(&self) -> Option<u16> {
        self.stream.as_ref().send_mtu().ok()
    }

    pub(crate) async fn send(&mut self, message: &[u8]) -> Result<(), BleError> {
        if self.closed {
            return Err(BleError::Ended);
        }
        let framed = encode(message)?;
        self.stream.write_all(&framed).await.map_err(io_error)?;
        self.stream.flush().await.map_err(io_error)
    }

    pub(crate) async fn receive(
        &mut self,
        progress: Option<&ProgressFn>,
    ) -> Result<Incoming, BleError> {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            if let Some(m) = self.codec.poll_message()? {
                return Ok(Incoming::Message(m));
            }
            if self.closed {
                return Err(BleError::Ended);
            }
            let n = self
                .stream
                .read(&mut buf)
                .await
                .map_err(|e| match io_error(e) {
                    BleError::LinkLost { .. } => BleError::LinkLost {
                        mid_message: self.codec.is_mid_message(),
                    },
                    other => other,
                })?;
            if n == 0 {
                self.closed = true;
                // The peer closed the channel: between messages that is its end of the
                // session (after SessionData status 20); inside one it is a loss.
                return if self.codec.is_mid_message() {
                    Err(BleError::LinkLost { mid_message: true })
                } else {
                    Ok(Incoming::End)
                };
            }
            self.codec.handle_bytes(&buf[..n]);
            if let (Some(report), Some((got, total))) = (progress, self.codec.progress()) {
                report(got, Some(total));
            }
        }
    }

    pub(crate) async fn close(&mut self) {
        self.closed = true;
        let _ = self.stream.shutdown().await;
    }
}
