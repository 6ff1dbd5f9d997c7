//! The in-memory pair without faults: delivery, close, limits, loss of the peer.

use std::time::Duration;

use mdl_transport::{Incoming, Transport, TransportError};
use mdl_transport_mock::{pair, Endpoint, MemoryConfig, Tap};
use tokio::time::timeout;

const PATIENCE: Duration = Duration::from_secs(60);

async fn recv(t: &mut impl Transport) -> Result<Incoming, TransportError> {
    timeout(PATIENCE, t.receive())
        .await
        .expect("receive must not hang")
}

#[tokio::test(start_paused = true)]
async fn messages_cross_both_ways_in_order() {
    let (mut a, mut b) = pair(MemoryConfig::default());
    assert_eq!(a.endpoint(), Endpoint::A);
    assert_eq!(b.endpoint(), Endpoint::B);
    for i in 0..5u8 {
        a.send(&[i; 3]).await.expect("send");
    }
    b.send(b"back").await.expect("send");
    for i in 0..5u8 {
        assert_eq!(
            recv(&mut b).await.expect("msg"),
            Incoming::Message(vec![i; 3])
        );
    }
    assert_eq!(
        recv(&mut a).await.expect("msg"),
        Incoming::Message(b"back".to_vec())
    );
}

#[tokio::test(start_paused = true)]
async fn close_delivers_end_after_pending_messages() {
    let (mut a, mut b) = pair(MemoryConfig::default());
    a.send(b"last words").await.expect("send");
    a.close().await.expect("close");
    assert_eq!(
        recv(&mut b).await.expect("msg"),
        Incoming::Message(b"last words".to_vec())
    );
    assert_eq!(recv(&mut b).await.expect("end"), Incoming::End);
    assert_eq!(recv(&mut b).await.expect("end again"), Incoming::End);
}

#[tokio::test(start_paused = true)]
async fn closed_end_refuses_further_use() {
    let (mut a, _b) = pair(MemoryConfig::default());
    a.close().await.expect("close");
    a.close().await.expect("close is idempotent");
    assert!(matches!(a.send(b"x").await, Err(TransportError::Closed)));
    assert!(matches!(a.receive().await, Err(TransportError::Closed)));
}

#[tokio::test(start_paused = true)]
async fn oversized_message_is_refused_on_send() {
    let (mut a, mut b) = pair(MemoryConfig::default().max_message_size(4));
    assert_eq!(a.max_message_size(), 4);
    a.send(b"1234").await.expect("at the limit");
    assert!(matches!(
        a.send(b"12345").await,
        Err(TransportError::MessageTooLarge { size: 5, limit: 4 })
    ));
    assert_eq!(
        recv(&mut b).await.expect("msg"),
        Incoming::Message(b"1234".to_vec())
    );
}

#[tokio::test(start_paused = true)]
async fn dropped_peer_is_a_lost_link_after_pending_messages() {
    let (mut a, mut b) = pair(MemoryConfig::default());
    a.send(b"before").await.expect("send");
    drop(a);
    assert_eq!(
        recv(&mut b).await.expect("msg"),
        Incoming::Message(b"before".to_vec())
    );
    assert!(matches!(recv(&mut b).await, Err(TransportError::LinkLost)));
}

#[tokio::test(start_paused = true)]
async fn receive_is_cancel_safe() {
    let (mut a, mut b) = pair(MemoryConfig::default());
    // Nothing sent: the virtual clock runs out the timeout without a real wait.
    assert!(timeout(Duration::from_secs(5), b.receive()).await.is_err());
    a.send(b"later").await.expect("send");
    assert_eq!(
        recv(&mut b).await.expect("msg"),
        Incoming::Message(b"later".to_vec())
    );
}

#[tokio::test(start_paused = true)]
async fn tap_records_what_was_sent() {
    let tap = Tap::new();
    let (mut a, mut b) = pair(MemoryConfig::default().tap(tap.clone()));
    a.send(b"one").await.expect("send");
    b.send(b"two").await.expect("send");
    let entries = tap.entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (
            entries[0].from,
            entries[0].index,
            entries[0].message.as_slice()
        ),
        (Endpoint::A, 0, &b"one"[..])
    );
    assert_eq!(
        (
            entries[1].from,
            entries[1].index,
            entries[1].message.as_slice()
        ),
        (Endpoint::B, 0, &b"two"[..])
    );
    assert!(entries.iter().all(|e| e.faults.is_empty()));
}
