//! Every message size 1..=100 000 at every ATT MTU 23..=517 reassembles exactly with the optimal
//! chunk count (issue 7 item 1).
//!
//! At every MTU: all sizes 1..=8, all sizes within ±2 of the first 16 and last 4 multiples of
//! the chunk payload and of 8 multiples between (where an off-by-one would show), and a prime
//! stride over the rest (offset per MTU). The full cross product (~49 M messages of up to 100 KB) is far too
//! slow for every test run and probes no boundary kind these miss.

use mdl_transport_ble::chunk::{
    chunks, max_chunk_len, optimal_chunk_count, payload_per_chunk, Reassembler, LAST, MORE,
};

const MAX_SIZE: usize = 100_000;

/// Deterministic message bytes that differ at every position modulo 251.
fn message(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sizes_for(mtu: u16) -> Vec<usize> {
    let payload = payload_per_chunk(mtu);
    let mut sizes: Vec<usize> = (1..=8).collect();
    // ±2 around the first 16 chunk boundaries, the last 4 up to MAX_SIZE, and 8 spread
    // between.
    let last = MAX_SIZE / payload;
    let spread = (1..=8).map(|i| 16 + (last.saturating_sub(20)) * i / 9);
    let boundaries = (1..=16)
        .chain(spread)
        .chain(last.saturating_sub(3)..=last + 1);
    for k in boundaries {
        let b = k * payload;
        sizes.extend((b.saturating_sub(2)..=b + 2).filter(|&s| (1..=MAX_SIZE).contains(&s)));
    }
    // A stride over the rest, offset per MTU so different MTUs probe different sizes.
    let offset = usize::from(mtu) % 97;
    sizes.extend((1 + offset..=MAX_SIZE).step_by(7919));
    sizes.push(MAX_SIZE);
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

#[test]
fn every_size_at_every_mtu_reassembles_with_the_optimal_chunk_count() {
    let source = message(MAX_SIZE);
    let mut checked = 0usize;
    for mtu in 23u16..=517 {
        let limit = max_chunk_len(mtu);
        let mut reassembler = Reassembler::default();
        for len in sizes_for(mtu) {
            let msg = &source[..len];
            let mut count = 0;
            for (i, chunk) in chunks(msg, mtu).enumerate() {
                assert!(
                    chunk.len() <= limit,
                    "mtu {mtu} len {len}: chunk {i} too long"
                );
                assert!(chunk.len() <= 512);
                let expected_header = if (i + 1) * payload_per_chunk(mtu) >= len {
                    LAST
                } else {
                    MORE
                };
                assert_eq!(chunk[0], expected_header, "mtu {mtu} len {len} chunk {i}");
                reassembler
                    .handle_chunk(&chunk)
                    .expect("our own chunks are valid");
                count += 1;
            }
            assert_eq!(count, optimal_chunk_count(len, mtu), "mtu {mtu} len {len}");
            assert_eq!(count, len.div_ceil(limit - 1), "mtu {mtu} len {len}");
            let got = reassembler
                .poll_message()
                .expect("valid")
                .expect("complete");
            assert!(got == msg, "mtu {mtu} len {len}: reassembled bytes differ");
            assert_eq!(reassembler.poll_message(), Ok(None));
            checked += 1;
        }
    }
    // 495 MTUs; at MTU 517 alone the boundaries give ~5 × 196 sizes.
    assert!(checked > 495 * 100, "only {checked} cases");
}

#[test]
fn every_size_up_to_three_chunks_at_the_extreme_mtus() {
    // Exhaustive near the bottom, where header/last-chunk edge cases live.
    for mtu in [23u16, 24, 185, 247, 514, 515, 517] {
        let limit = max_chunk_len(mtu);
        for len in 1..=3 * limit {
            let msg = message(len);
            let mut r = Reassembler::default();
            let all: Vec<_> = chunks(&msg, mtu).collect();
            assert_eq!(all.len(), optimal_chunk_count(len, mtu));
            for c in &all {
                r.handle_chunk(c).expect("valid");
            }
            assert_eq!(r.poll_message(), Ok(Some(msg)));
        }
    }
}
