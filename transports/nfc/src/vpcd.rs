//! The holder as a vsmartcard **vpcd** virtual card (feature `vpcd`): the card side of
//! vpcd's TCP protocol, so that pcscd's `vpcd` reader driver presents our [`TagEmulator`]
//! to any PC/SC reader application (TESTING.md).
//!
//! Protocol: the card connects to the driver (default `127.0.0.1:35963`); each packet is a
//! 2-byte big-endian length and a payload. A 1-byte payload is a control code (power off, power
//! on, reset, get ATR); anything longer is a C-APDU, answered with an R-APDU. Closing the
//! connection removes the card.
//!
//! [`TagEmulator`]: crate::card::TagEmulator

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use socket2::SockRef;

use crate::envelope::ApduSizes;
use crate::holder::{CardLink, FieldEvent};
use crate::reader::ChannelError;

/// Where pcscd's vpcd driver listens by default (its first reader, `Virtual PCD 00 00`).
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";
/// vpcd control code: power off.
pub const CTRL_POWER_OFF: u8 = 0x00;
/// vpcd control code: power on.
pub const CTRL_POWER_ON: u8 = 0x01;
/// vpcd control code: reset.
pub const CTRL_RESET: u8 = 0x02;
/// vpcd control code: get ATR.
pub const CTRL_GET_ATR: u8 = 0x04;
/// The ATR this card presents: a contactless ISO 14443-4 card without historical bytes, as
/// PC/SC part 3 builds it for a type A card (`3B 80 80 01 01`).
pub const ATR: &[u8] = &[0x3B, 0x80, 0x80, 0x01, 0x01];
/// vpcd's 16-bit packet limit makes the card's own limits: a C-APDU of at most 65 535 bytes
/// (extended case 4: 9 bytes around 65 526 data bytes) and an R-APDU of at most 65 535 bytes
/// (65 533 data bytes and the status word).
pub const LINK_SIZES: ApduSizes = ApduSizes {
    command_data: 65_526,
    response_data: 65_533,
};
/// How long a read waits before reporting [`FieldEvent::Idle`].
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// One vpcd packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// A 1-byte control code.
    Control(u8),
    /// A C-APDU.
    Apdu(Vec<u8>),
}

/// Splits the first whole packet off `buf`: `Some((packet, bytes consumed))`, `None` when more
/// bytes are needed. Sans-IO; a zero-length packet is skipped as an empty APDU would be
/// meaningless.
pub fn parse_packet(buf: &[u8]) -> Option<(Packet, usize)> {
    let (len, rest) = buf.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len));
    let payload = rest.get(..len)?;
    let packet = match payload {
        [code] => Packet::Control(*code),
        other => Packet::Apdu(other.to_vec()),
    };
    Some((packet, 2 + len))
}

/// Frames `payload` (at most 65 535 bytes) as one vpcd packet.
pub fn encode_packet(payload: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(payload.len()).ok()?;
    let mut out = Vec::with_capacity(2 + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Some(out)
}

/// A card's connection to pcscd's vpcd driver.
#[derive(Debug)]
pub struct VpcdLink {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn io_error(e: std::io::Error) -> ChannelError {
    match e.kind() {
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof => {
            ChannelError::Removed
        }
        _ => ChannelError::Backend {
            backend: "vpcd",
            message: e.to_string(),
        },
    }
}

impl VpcdLink {
    /// Connects to the vpcd driver at `addr` (the card is inserted). Sets TCP_NODELAY: vpcd
    /// answers each packet in two writes, and Nagle's algorithm with delayed ACKs would cost
    /// ~44 ms per APDU (TESTING.md).
    pub fn connect(addr: impl ToSocketAddrs) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(POLL_INTERVAL))?;
        Ok(Self {
            stream,
            buf: Vec::new(),
        })
    }

    fn write_packet(&mut self, payload: &[u8]) -> Result<(), ChannelError> {
        let packet = encode_packet(payload).ok_or(ChannelError::Backend {
            backend: "vpcd",
            message: format!("R-APDU of {} bytes exceeds vpcd's 65 535", payload.len()),
        })?;
        // One write: length and payload in the same segment.
        self.stream.write_all(&packet).map_err(io_error)
    }
}

impl CardLink for VpcdLink {
    fn receive(&mut self) -> Result<FieldEvent, ChannelError> {
        loop {
            if let Some((packet, used)) = parse_packet(&self.buf) {
                self.buf.drain(..used);
                match packet {
                    Packet::Apdu(a) => return Ok(FieldEvent::Apdu(a)),
                    Packet::Control(CTRL_GET_ATR) => self.write_packet(ATR)?,
                    Packet::Control(CTRL_POWER_OFF) => return Ok(FieldEvent::PowerOff),
                    Packet::Control(CTRL_RESET) => return Ok(FieldEvent::Reset),
                    // Power on, and codes newer than this driver: nothing to answer.
                    Packet::Control(_) => {}
                }
                continue;
            }
            // Delayed ACKs re-arm after every segment: ask for quick ACKs before each read so
            // the driver's second write is not held back (TESTING.md). Best effort.
            let _ = SockRef::from(&self.stream).set_tcp_quickack(true);
            let mut chunk = [0u8; 16 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(ChannelError::Removed),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(FieldEvent::Idle)
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e)),
            }
        }
    }

    fn send(&mut self, response: &[u8]) -> Result<(), ChannelError> {
        self.write_packet(response)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn packets_split_and_join() {
        let mut wire = encode_packet(&[CTRL_GET_ATR]).unwrap();
        wire.extend(encode_packet(&[0, 0xA4, 4, 0]).unwrap());
        let (p, used) = parse_packet(&wire).unwrap();
        assert_eq!(p, Packet::Control(CTRL_GET_ATR));
        let (p, used2) = parse_packet(&wire[used..]).unwrap();
        assert_eq!(p, Packet::Apdu(vec![0, 0xA4, 4, 0]));
        assert_eq!(used + used2, wire.len());
        for end in 0..wire.len() - used {
            if end < 6 {
                assert!(parse_packet(&wire[used..used + end]).is_none());
            }
        }
        assert!(encode_packet(&vec![0; 65_536]).is_none());
    }
}
