//! The TCP test transport: `GmDL`-framed messages over a stream socket (DESIGN.md §7).
//!
//! The mdoc side advertises host and port (retrieval method type −10, formerly −18224,
//! `{0: host, 1: port}`, modelled in the core crate) and accepts; the reader connects. The
//! link traits' [`TcpConnector`](crate::TcpConnector) and [`TcpListener`](crate::TcpListener)
//! wrap these calls. An orderly close is a socket
//! shutdown, which the peer sees as [`Incoming::End`].
//!
//! ```no_run
//! use mdl_transport::Transport;
//! use mdl_transport_mock::TcpTransport;
//! use tokio::net::TcpListener;
//!
//! # async fn demo() -> Result<(), mdl_transport::TransportError> {
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let (host, port) = mdl_transport_mock::tcp::host_port(&listener)?;
//! let connecting = tokio::spawn(async move { TcpTransport::connect_host_port(&host, port).await });
//! let mut holder = TcpTransport::accept(&listener).await?;
//! let mut reader = connecting.await.expect("task ran")?;
//! reader.send(b"SessionEstablishment").await?;
//! let _ = holder.receive().await?;
//! # Ok(())
//! # }
//! ```

use std::io;
use std::net::SocketAddr;

use mdl_transport::{Incoming, Transport, TransportError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};

use crate::codec::{self, GmdlCodec, DEFAULT_MAX_MESSAGE_SIZE};

/// Size of one socket read.
const READ_CHUNK: usize = 64 * 1024;

/// Where the receiving side of the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    Open,
    /// The peer shut down between records.
    Ended,
    /// The stream broke (mid-record EOF, reset).
    Lost,
}

/// A [`Transport`] over one TCP connection, each message a `GmDL` record.
///
/// `receive` is cancel-safe; `send` is not (a cancelled send may leave half a record on the wire,
/// which the peer then reports as a framing error or lost link).
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    codec: GmdlCodec,
    read_buf: Vec<u8>,
    read: ReadState,
    closed: bool,
}

/// The host and port to advertise for `listener` (the two fields of the −10 retrieval method).
///
/// # Errors
/// The socket's `local_addr` error.
pub fn host_port(listener: &TcpListener) -> Result<(String, u16), TransportError> {
    let addr = listener.local_addr()?;
    Ok((addr.ip().to_string(), addr.port()))
}

impl TcpTransport {
    /// Wraps a connected stream. Disables Nagle: messages are whole records and latency matters.
    ///
    /// # Errors
    /// [`TransportError::Io`] if the socket option cannot be set.
    pub fn from_stream(stream: TcpStream) -> Result<Self, TransportError> {
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            codec: GmdlCodec::new(DEFAULT_MAX_MESSAGE_SIZE),
            read_buf: vec![0; READ_CHUNK],
            read: ReadState::Open,
            closed: false,
        })
    }

    /// Connects to `addr`.
    ///
    /// # Errors
    /// [`TransportError::Io`] if the connection fails.
    pub async fn connect(addr: impl ToSocketAddrs) -> Result<Self, TransportError> {
        Self::from_stream(TcpStream::connect(addr).await?)
    }

    /// Connects to the host and port of a −10 (or −18224) retrieval method.
    ///
    /// # Errors
    /// [`TransportError::Io`] if the name does not resolve or the connection fails.
    pub async fn connect_host_port(host: &str, port: u16) -> Result<Self, TransportError> {
        Self::connect((host, port)).await
    }

    /// Accepts one connection on `listener`.
    ///
    /// # Errors
    /// [`TransportError::Io`] if accepting fails.
    pub async fn accept(listener: &TcpListener) -> Result<Self, TransportError> {
        let (stream, _peer) = listener.accept().await?;
        Self::from_stream(stream)
    }

    /// Limits the messages sent and accepted to `limit` bytes (default 16 MiB). A peer's record
    /// declaring more fails with [`TransportError::MessageTooLarge`] before anything is allocated
    /// for it. Set it before the first `receive`.
    #[must_use]
    pub fn with_max_message_size(mut self, limit: usize) -> Self {
        self.codec = GmdlCodec::new(limit);
        self
    }

    /// The peer's address.
    ///
    /// # Errors
    /// The socket's error.
    pub fn peer_addr(&self) -> Result<SocketAddr, TransportError> {
        Ok(self.stream.peer_addr()?)
    }

    /// This end's address.
    ///
    /// # Errors
    /// The socket's error.
    pub fn local_addr(&self) -> Result<SocketAddr, TransportError> {
        Ok(self.stream.local_addr()?)
    }

    fn check_open(&self) -> Result<(), TransportError> {
        if self.closed {
            Err(TransportError::Closed)
        } else {
            Ok(())
        }
    }
}

/// A reset or broken connection is a lost link; other I/O errors stay I/O errors.
fn classify(error: io::Error) -> TransportError {
    match error.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::NotConnected => TransportError::LinkLost,
        _ => TransportError::Io(error),
    }
}

impl Transport for TcpTransport {
    async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        self.check_open()?;
        let limit = self.codec.max_message_size();
        if message.len() > limit {
            return Err(TransportError::MessageTooLarge {
                size: message.len(),
                limit,
            });
        }
        let record = codec::encode(message)?;
        self.stream.write_all(&record).await.map_err(classify)
    }

    async fn receive(&mut self) -> Result<Incoming, TransportError> {
        self.check_open()?;
        loop {
            if let Some(message) = self.codec.poll_message()? {
                return Ok(Incoming::Message(message));
            }
            match self.read {
                ReadState::Open => {}
                ReadState::Ended => return Ok(Incoming::End),
                ReadState::Lost => return Err(TransportError::LinkLost),
            }
            // Cancel-safe: a cancelled read consumed nothing.
            let n = match self.stream.read(&mut self.read_buf).await {
                Ok(n) => n,
                Err(error) => {
                    let error = classify(error);
                    if matches!(error, TransportError::LinkLost) {
                        self.read = ReadState::Lost;
                    }
                    return Err(error);
                }
            };
            if n == 0 {
                // EOF between records is the orderly end; inside one, the peer died mid-message.
                self.read = if self.codec.is_mid_record() {
                    ReadState::Lost
                } else {
                    ReadState::Ended
                };
                continue;
            }
            self.codec.handle_bytes(&self.read_buf[..n]);
        }
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        // Shutting down the write half sends FIN: the peer reads EOF between records = End.
        self.stream.shutdown().await.map_err(classify)
    }

    fn max_message_size(&self) -> usize {
        self.codec.max_message_size()
    }
}
