//! Every impairment happens, reproducibly from the seed, and receivers end cleanly (End or a
//! typed error) on the virtual clock.

use std::time::Duration;

use mdl_transport::{Incoming, Transport, TransportError};
use mdl_transport_mock::{
    pair, AppliedFault, Endpoint, Fault, FaultConfig, Impairments, MemoryConfig, Tap,
};
use tokio::time::{timeout, Instant};

const PATIENCE: Duration = Duration::from_secs(600);
const COUNT: u8 = 20;

/// What the receiving end observed: the messages, then how it ended.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    messages: Vec<Vec<u8>>,
    ending: String,
}

fn message(i: u8) -> Vec<u8> {
    format!("message number {i:02}").into_bytes()
}

/// A sends `COUNT` distinct messages and closes; B receives until End or an error.
async fn run(faults: FaultConfig) -> Outcome {
    let (mut a, mut b) = pair(MemoryConfig::default().faults(faults));
    for i in 0..COUNT {
        a.send(&message(i)).await.expect("send");
    }
    a.close().await.expect("close");
    let mut messages = Vec::new();
    loop {
        let received = timeout(PATIENCE, b.receive())
            .await
            .expect("receiver must not hang");
        match received {
            Ok(Incoming::Message(m)) => messages.push(m),
            Ok(Incoming::End) => {
                return Outcome {
                    messages,
                    ending: "End".into(),
                }
            }
            Err(e) => {
                return Outcome {
                    messages,
                    ending: format!("{e:?}"),
                }
            }
        }
    }
}

fn random(seed: u64, impairments: Impairments) -> FaultConfig {
    FaultConfig::seeded(seed).impairments(impairments)
}

/// Same seed twice gives the same outcome; another seed gives another one here.
async fn assert_reproducible(impairments: Impairments) -> Outcome {
    let first = run(random(1, impairments.clone())).await;
    let again = run(random(1, impairments.clone())).await;
    assert_eq!(first, again, "same seed, same outcome");
    let other = run(random(2, impairments)).await;
    assert_ne!(first, other, "these two seeds happen to differ");
    assert_eq!(first.ending, "End", "an orderly close still ends cleanly");
    first
}

fn all_sent() -> Vec<Vec<u8>> {
    (0..COUNT).map(message).collect()
}

#[tokio::test(start_paused = true)]
async fn drop_is_reproducible() {
    let outcome = assert_reproducible(Impairments {
        drop: 0.3,
        ..Impairments::default()
    })
    .await;
    assert!(outcome.messages.len() < usize::from(COUNT));
    // What arrives is an in-order subsequence of what was sent.
    let mut sent = all_sent().into_iter();
    assert!(outcome.messages.iter().all(|m| sent.any(|s| &s == m)));
}

#[tokio::test(start_paused = true)]
async fn duplicate_is_reproducible() {
    let outcome = assert_reproducible(Impairments {
        duplicate: 0.3,
        ..Impairments::default()
    })
    .await;
    assert!(outcome.messages.len() > usize::from(COUNT));
    let mut deduplicated = outcome.messages.clone();
    deduplicated.dedup();
    assert_eq!(deduplicated, all_sent());
}

#[tokio::test(start_paused = true)]
async fn reorder_is_reproducible() {
    let outcome = assert_reproducible(Impairments {
        reorder: 0.3,
        ..Impairments::default()
    })
    .await;
    assert_ne!(outcome.messages, all_sent());
    let mut sorted = outcome.messages.clone();
    sorted.sort();
    assert_eq!(sorted, all_sent(), "nothing lost, only swapped");
}

#[tokio::test(start_paused = true)]
async fn truncate_is_reproducible() {
    let outcome = assert_reproducible(Impairments {
        truncate: 0.3,
        ..Impairments::default()
    })
    .await;
    assert_eq!(outcome.messages.len(), usize::from(COUNT));
    let sent = all_sent();
    let truncated = outcome
        .messages
        .iter()
        .zip(&sent)
        .filter(|(got, sent)| got != sent)
        .inspect(|(got, sent)| assert!(got.len() < sent.len() && sent.starts_with(got)))
        .count();
    assert!(truncated > 0);
}

#[tokio::test(start_paused = true)]
async fn corrupt_is_reproducible() {
    let outcome = assert_reproducible(Impairments {
        corrupt: 0.3,
        ..Impairments::default()
    })
    .await;
    let sent = all_sent();
    let corrupted = outcome
        .messages
        .iter()
        .zip(&sent)
        .filter(|(got, sent)| got != sent)
        .inspect(|(got, sent)| {
            assert_eq!(got.len(), sent.len());
            assert_eq!(
                got.iter().zip(sent.iter()).filter(|(g, s)| g != s).count(),
                1
            );
        })
        .count();
    assert!(corrupted > 0);
}

/// A sends `COUNT` messages at once and closes; B notes when (virtual time) each one arrived.
async fn arrival_times(seed: u64, impairments: Impairments) -> Vec<(Vec<u8>, Duration)> {
    let (mut a, mut b) = pair(MemoryConfig::default().faults(random(seed, impairments)));
    let start = Instant::now();
    for i in 0..COUNT {
        a.send(&message(i)).await.expect("send");
    }
    a.close().await.expect("close");
    let mut arrivals = Vec::new();
    while let Incoming::Message(m) = timeout(PATIENCE, b.receive())
        .await
        .expect("no hang")
        .expect("delay loses nothing")
    {
        arrivals.push((m, start.elapsed()));
    }
    arrivals
}

#[tokio::test(start_paused = true)]
async fn delay_is_reproducible_and_virtual() {
    let impairments = Impairments {
        delay: 0.3,
        delay_by: Duration::from_secs(10),
        ..Impairments::default()
    };
    let first = arrival_times(1, impairments.clone()).await;
    assert_eq!(first, arrival_times(1, impairments.clone()).await);
    assert_ne!(first, arrival_times(2, impairments).await);
    // Delays never reorder or lose anything; the link stays ordered, so everything from the
    // first delayed message on arrives 10 virtual seconds late.
    let messages: Vec<_> = first.iter().map(|(m, _)| m.clone()).collect();
    assert_eq!(messages, all_sent());
    assert!(first.iter().any(|(_, at)| at.is_zero()));
    assert!(first.iter().any(|(_, at)| *at == Duration::from_secs(10)));
}

#[tokio::test(start_paused = true)]
async fn scripted_faults_hit_exactly_their_messages() {
    let tap = Tap::new();
    let faults = FaultConfig::seeded(7)
        .script(Endpoint::A, 1, Fault::Drop)
        .script(Endpoint::A, 3, Fault::Duplicate)
        .script(Endpoint::A, 5, Fault::Reorder)
        .script(Endpoint::A, 8, Fault::Truncate)
        .script(Endpoint::A, 9, Fault::Corrupt);
    let (mut a, mut b) = pair(MemoryConfig::default().faults(faults).tap(tap.clone()));
    for i in 0..10 {
        a.send(&message(i)).await.expect("send");
    }
    a.close().await.expect("close");
    let mut got = Vec::new();
    while let Incoming::Message(m) = timeout(PATIENCE, b.receive())
        .await
        .expect("no hang")
        .expect("clean")
    {
        got.push(m);
    }
    let entries = tap.entries();
    let Some(AppliedFault::Truncated { to, .. }) = entries[8].faults.first().copied() else {
        panic!("message 8 truncated: {:?}", entries[8]);
    };
    let Some(AppliedFault::Corrupted { index, xor }) = entries[9].faults.first().copied() else {
        panic!("message 9 corrupted: {:?}", entries[9]);
    };
    let mut corrupted = message(9);
    corrupted[index] ^= xor;
    let expected = vec![
        message(0),
        message(2),
        message(3),
        message(3),
        message(4),
        message(6),
        message(5),
        message(7),
        message(8)[..to].to_vec(),
        corrupted,
    ];
    assert_eq!(got, expected);
}

#[tokio::test(start_paused = true)]
async fn scripted_delay_holds_back_later_messages_too() {
    let faults =
        FaultConfig::seeded(0).script(Endpoint::B, 0, Fault::Delay(Duration::from_secs(3)));
    let (mut a, mut b) = pair(MemoryConfig::default().faults(faults));
    let start = Instant::now();
    b.send(b"slow").await.expect("send");
    b.send(b"fast").await.expect("send");
    let first = timeout(PATIENCE, a.receive()).await.expect("no hang");
    assert_eq!(first.expect("msg"), Incoming::Message(b"slow".to_vec()));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    let second = timeout(PATIENCE, a.receive()).await.expect("no hang");
    assert_eq!(second.expect("msg"), Incoming::Message(b"fast".to_vec()));
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn reorder_of_the_last_message_is_released_by_close() {
    let faults = FaultConfig::seeded(0).script(Endpoint::A, 0, Fault::Reorder);
    let outcome = {
        let (mut a, mut b) = pair(MemoryConfig::default().faults(faults));
        a.send(b"only").await.expect("send");
        a.close().await.expect("close");
        (
            b.receive().await.expect("msg"),
            b.receive().await.expect("end"),
        )
    };
    assert_eq!(
        outcome,
        (Incoming::Message(b"only".to_vec()), Incoming::End)
    );
}

fn is_link_lost(result: &Result<Incoming, TransportError>) -> bool {
    matches!(result, Err(TransportError::LinkLost))
}

#[tokio::test(start_paused = true)]
async fn cut_after_messages_loses_the_link_on_both_sides() {
    let (mut a, mut b) =
        pair(MemoryConfig::default().faults(FaultConfig::seeded(0).cut_after_messages(3)));
    a.send(b"1").await.expect("send");
    b.send(b"2").await.expect("send");
    a.send(b"3").await.expect("third message goes through");
    assert!(matches!(a.send(b"4").await, Err(TransportError::LinkLost)));
    assert!(matches!(b.send(b"4").await, Err(TransportError::LinkLost)));
    // What was sent before the cut arrives, then the loss.
    let b1 = timeout(PATIENCE, b.receive()).await.expect("no hang");
    assert_eq!(b1.expect("msg"), Incoming::Message(b"1".to_vec()));
    let b2 = timeout(PATIENCE, b.receive()).await.expect("no hang");
    assert_eq!(b2.expect("msg"), Incoming::Message(b"3".to_vec()));
    assert!(is_link_lost(
        &timeout(PATIENCE, b.receive()).await.expect("no hang")
    ));
    let a1 = timeout(PATIENCE, a.receive()).await.expect("no hang");
    assert_eq!(a1.expect("msg"), Incoming::Message(b"2".to_vec()));
    assert!(is_link_lost(
        &timeout(PATIENCE, a.receive()).await.expect("no hang")
    ));
    assert!(matches!(a.close().await, Err(TransportError::LinkLost)));
}

#[tokio::test(start_paused = true)]
async fn cut_at_a_time_wakes_both_waiting_receivers() {
    let cut = Duration::from_secs(30);
    let (mut a, mut b) =
        pair(MemoryConfig::default().faults(FaultConfig::seeded(0).cut_after(cut)));
    let start = Instant::now();
    let (ra, rb) = tokio::join!(
        timeout(PATIENCE, a.receive()),
        timeout(PATIENCE, b.receive())
    );
    assert!(is_link_lost(&ra.expect("no hang")));
    assert!(is_link_lost(&rb.expect("no hang")));
    assert_eq!(start.elapsed(), cut);
    assert!(matches!(
        a.send(b"late").await,
        Err(TransportError::LinkLost)
    ));
}

#[tokio::test(start_paused = true)]
async fn message_arriving_after_a_timed_cut_is_lost() {
    let faults = FaultConfig::seeded(0)
        .cut_after(Duration::from_secs(5))
        .script(Endpoint::A, 1, Fault::Delay(Duration::from_secs(10)));
    let (mut a, mut b) = pair(MemoryConfig::default().faults(faults));
    a.send(b"on time").await.expect("send");
    a.send(b"too late").await.expect("send");
    let first = timeout(PATIENCE, b.receive()).await.expect("no hang");
    assert_eq!(first.expect("msg"), Incoming::Message(b"on time".to_vec()));
    let second = timeout(PATIENCE, b.receive()).await.expect("no hang");
    assert!(is_link_lost(&second));
}
