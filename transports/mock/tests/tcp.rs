//! The `GmDL` TCP transport over 127.0.0.1 (port 0). Loopback only.

use std::time::Duration;

use mdl_transport::{Incoming, Transport, TransportError};
use mdl_transport_mock::{tcp, TcpTransport};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

/// Real time here (sockets): generous, only to turn a hang into a failure.
const PATIENCE: Duration = Duration::from_secs(20);

async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback")
}

/// A connected (holder, reader) pair over loopback.
async fn connected() -> (TcpTransport, TcpTransport) {
    let listener = listener().await;
    let (host, port) = tcp::host_port(&listener).expect("local address");
    let (holder, reader) = tokio::join!(
        TcpTransport::accept(&listener),
        TcpTransport::connect_host_port(&host, port)
    );
    (holder.expect("accept"), reader.expect("connect"))
}

/// A transport accepting a raw socket the test writes arbitrary bytes into.
async fn with_raw_peer() -> (TcpTransport, TcpStream) {
    let listener = listener().await;
    let addr = listener.local_addr().expect("local address");
    let (transport, raw) = tokio::join!(TcpTransport::accept(&listener), TcpStream::connect(addr));
    (transport.expect("accept"), raw.expect("connect"))
}

async fn recv(t: &mut TcpTransport) -> Result<Incoming, TransportError> {
    timeout(PATIENCE, t.receive())
        .await
        .expect("receive must not hang")
}

#[tokio::test]
async fn messages_round_trip_both_ways() {
    let (mut holder, mut reader) = connected().await;
    assert_eq!(
        holder.peer_addr().expect("peer"),
        reader.local_addr().expect("local")
    );
    for i in 0..5u8 {
        reader.send(&[i; 100]).await.expect("send");
        holder.send(&[]).await.expect("empty message");
    }
    for i in 0..5u8 {
        assert_eq!(
            recv(&mut holder).await.expect("msg"),
            Incoming::Message(vec![i; 100])
        );
        assert_eq!(
            recv(&mut reader).await.expect("msg"),
            Incoming::Message(vec![])
        );
    }
}

#[tokio::test]
async fn one_mebibyte_message_arrives_whole() {
    let (mut holder, mut reader) = connected().await;
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    // Send concurrently: 1 MiB exceeds the socket buffers.
    let sending = tokio::spawn(async move {
        holder.send(&[0xA5; 1]).await?;
        holder.send(&big).await?;
        Ok::<_, TransportError>((holder, big))
    });
    assert_eq!(
        recv(&mut reader).await.expect("msg"),
        Incoming::Message(vec![0xA5])
    );
    let received = recv(&mut reader).await.expect("msg");
    let (_holder, big) = sending.await.expect("task").expect("send");
    assert_eq!(received, Incoming::Message(big));
}

#[tokio::test]
async fn orderly_close_is_end() {
    let (mut holder, mut reader) = connected().await;
    reader.send(b"request").await.expect("send");
    reader.close().await.expect("close");
    assert!(matches!(
        reader.send(b"x").await,
        Err(TransportError::Closed)
    ));
    assert_eq!(
        recv(&mut holder).await.expect("msg"),
        Incoming::Message(b"request".to_vec())
    );
    assert_eq!(recv(&mut holder).await.expect("end"), Incoming::End);
    assert_eq!(recv(&mut holder).await.expect("end again"), Incoming::End);
}

#[tokio::test]
async fn oversized_message_is_refused_on_send() {
    let (holder, _reader) = connected().await;
    let mut holder = holder.with_max_message_size(8);
    assert_eq!(holder.max_message_size(), 8);
    assert!(matches!(
        holder.send(&[0; 9]).await,
        Err(TransportError::MessageTooLarge { size: 9, limit: 8 })
    ));
}

#[tokio::test]
async fn oversized_declared_length_is_rejected() {
    let (transport, mut raw) = with_raw_peer().await;
    let mut transport = transport.with_max_message_size(1024);
    // Declares 1025 bytes and sends none of them: rejected on the header alone.
    raw.write_all(b"GmDL\x00\x00\x04\x01").await.expect("write");
    assert!(matches!(
        recv(&mut transport).await,
        Err(TransportError::MessageTooLarge {
            size: 1025,
            limit: 1024
        })
    ));
}

#[tokio::test]
async fn bad_magic_is_a_framing_error() {
    let (mut transport, mut raw) = with_raw_peer().await;
    raw.write_all(b"GET / HTTP/1.1\r\n\r\n")
        .await
        .expect("write");
    assert!(matches!(
        recv(&mut transport).await,
        Err(TransportError::Framing(_))
    ));
}

#[tokio::test]
async fn peer_dying_mid_record_is_a_lost_link() {
    let (mut transport, mut raw) = with_raw_peer().await;
    raw.write_all(b"GmDL\x00\x00\x00\x10only half")
        .await
        .expect("write");
    drop(raw);
    assert!(matches!(
        recv(&mut transport).await,
        Err(TransportError::LinkLost)
    ));
    assert!(matches!(
        recv(&mut transport).await,
        Err(TransportError::LinkLost)
    ));
}

#[tokio::test]
async fn peer_reset_is_a_lost_link() {
    let (mut transport, mut raw) = with_raw_peer().await;
    raw.write_all(b"GmDL\x00\x00\x00\x02ok")
        .await
        .expect("write");
    // Zero linger: closing sends RST instead of FIN.
    raw.set_zero_linger().expect("linger");
    drop(raw);
    let first = recv(&mut transport).await;
    // The record may or may not be read before the reset is seen; either way the end is LinkLost.
    let last = match first {
        Ok(Incoming::Message(m)) => {
            assert_eq!(m, b"ok");
            recv(&mut transport).await
        }
        other => other,
    };
    assert!(matches!(last, Err(TransportError::LinkLost)), "{last:?}");
}

/// The seam of DESIGN §7b over TCP: the listener offers its bound address before any engagement
/// exists, the connector accepts that carrier and nothing else, and the link carries messages.
#[tokio::test]
#[allow(clippy::unwrap_used)]
async fn connector_and_listener_meet_on_the_offered_carrier() {
    use mdl_transport::{Carrier, CarrierKind, Connect, Listen, NfcCarrier, SessionBinding};
    use mdl_transport_mock::{TcpConnector, TcpListener};

    let mut listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let offered = listener.offer().await.unwrap();
    assert_eq!(offered.len(), 1);
    let Carrier::Tcp(tcp) = &offered[0] else {
        panic!("{offered:?}")
    };
    assert_eq!(tcp.host, "127.0.0.1");
    assert_ne!(tcp.port, 0, "the bound port, not the requested 0");

    let binding = SessionBinding { ble_ident: [0; 16] };
    let mut connector = TcpConnector;
    let nfc = Carrier::Nfc(NfcCarrier {
        max_command: 255,
        max_response: 256,
    });
    assert!(!connector.supports(&nfc));
    assert!(connector.connect(&nfc, &binding).await.is_err());
    assert!(connector.supports(&offered[0]));
    assert_eq!(offered[0].kind(), CarrierKind::Tcp);

    let carrier = offered[0].clone();
    let reader = tokio::spawn(async move {
        let mut link = TcpConnector.connect(&carrier, &binding).await.unwrap();
        link.send(b"hello").await.unwrap();
        link.close().await.unwrap();
    });
    let mut holder = listener.accept(&offered[0], &binding).await.unwrap();
    assert_eq!(
        holder.receive().await.unwrap(),
        Incoming::Message(b"hello".to_vec())
    );
    assert_eq!(holder.receive().await.unwrap(), Incoming::End);
    reader.await.unwrap();
    // A carrier it did not offer is refused.
    assert!(listener.accept(&nfc, &binding).await.is_err());
}
