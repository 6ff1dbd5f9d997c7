//! NFC data retrieval costs (issue 6, BENCHMARKS.md "NFC").
//!
//! 1. criterion, sans IO: a ~300-byte request and a 4 KB or 60 KB answer crossing the reader's
//!    `EnvelopeInitiator` and the holder's `TagEmulator` (wire encodings included), at short
//!    (255/256) and at vpcd's extended sizes, beside the baseline P-256 sign + verify; then a
//!    paired pass that interleaves each workload with the baseline and prints median ratios.
//! 2. With the rig up (`MDL_NFC_RIG`, see `.ci/rig-nfc.sh`): whole presentations over pcscd +
//!    vpcd, our holder as the card and our reader over PC/SC, for a ~4 KB and a ~60 KB
//!    DeviceResponse at both sizes: APDUs and bytes on the wire versus the minimum the APDU
//!    sizes allow, the process's CPU time versus wall time per presentation, and the time the
//!    same bytes take at 424 kbit/s.
//!
//! Run: `bash -c 'unshare -m bash -c "source .ci/rig-nfc.sh start && cargo bench -p
//! mdl-transport-nfc --all-features --bench nfc"'` (≈ 2 minutes).
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/rig/mod.rs"]
mod rig;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use mdl_proximity::crypto::{verify_signature, Curve, SeededRng, Signer, SoftwareSigner};
use mdl_proximity::issuer::{Credential, DeviceAuthMethod};
use mdl_proximity::verify::TrustAnchors;
use mdl_transport::{Carrier, NfcCarrier};
use mdl_transport_nfc::apdu::ResponseApdu;
use mdl_transport_nfc::card::{CardConfig, CardEvent, CardReply, HandoverMode, TagEmulator};
use mdl_transport_nfc::envelope::{ApduSizes, EnvelopeInitiator, Progress};
use mdl_transport_nfc::poller::select_mdoc;
use mdl_transport_nfc::vpcd;

fn card(sizes: ApduSizes) -> TagEmulator {
    let mut card = TagEmulator::new(CardConfig {
        device_engagement: vec![0xA0],
        carriers: vec![Carrier::Nfc(NfcCarrier {
            max_command: sizes.command_data as u32,
            max_response: sizes.response_data as u32,
        })],
        mode: HandoverMode::Static,
        link_sizes: ApduSizes::EXTENDED,
    });
    card.handle_apdu(&select_mdoc().to_bytes());
    card
}

/// One request/answer crossing; returns the APDU count.
fn transfer(card: &mut TagEmulator, sizes: ApduSizes, request: &[u8], answer: &[u8]) -> usize {
    let mut reader = EnvelopeInitiator::new(sizes);
    reader.send(request).unwrap();
    let mut n = 0;
    loop {
        let c = reader.poll_command().unwrap().to_bytes();
        n += 1;
        let r = match card.handle_apdu(&c) {
            CardReply::Response(r) => r,
            CardReply::Deferred => {
                let Some(CardEvent::Message(_)) = card.poll_event() else {
                    panic!()
                };
                card.respond(Some(answer)).unwrap()
            }
        };
        match reader
            .handle_response(&ResponseApdu::parse(&r).unwrap())
            .unwrap()
        {
            Progress::Continue => {}
            _ => return n,
        }
    }
}

struct Workload {
    name: String,
    run: Box<dyn FnMut()>,
}

fn workloads() -> Vec<Workload> {
    let mut out = Vec::new();
    for (label, len) in [("4k", 4_100usize), ("60k", 60_000)] {
        for (sname, sizes) in [("short", ApduSizes::SHORT), ("vpcd", vpcd::LINK_SIZES)] {
            let mut c = card(sizes);
            let request = vec![0x11; 300];
            let answer = vec![0x22; len];
            out.push(Workload {
                name: format!("nfc_transfer/{label}_{sname}"),
                run: Box::new(move || {
                    black_box(transfer(&mut c, sizes, &request, &answer));
                }),
            });
        }
    }
    out
}

fn sign_verify() -> Box<dyn FnMut()> {
    let signer = SoftwareSigner::generate(Curve::P256, &mut SeededRng::new(7)).unwrap();
    let (public, alg) = (signer.public_key(), signer.algorithm());
    let msg = [0x5A; 256];
    Box::new(move || {
        let sig = signer.sign(black_box(&msg)).unwrap();
        verify_signature(&public, alg, &msg, &sig).unwrap();
    })
}

fn seconds_per_call(f: &mut dyn FnMut(), calls: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..calls {
        f();
    }
    t.elapsed().as_secs_f64() / calls as f64
}

fn calls_for(f: &mut dyn FnMut(), target: Duration) -> usize {
    let one = seconds_per_call(f, 3).max(1e-9);
    ((target.as_secs_f64() / one) as usize).max(1)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn paired(workloads: &mut [Workload]) {
    let mut sv = sign_verify();
    let sv_calls = calls_for(&mut sv, Duration::from_millis(3));
    println!("\npaired ratios, median of 31 rounds\n");
    println!("| workload | median time | ÷ P-256 sign+verify |");
    println!("|---|---:|---:|");
    for w in workloads.iter_mut() {
        let calls = calls_for(&mut w.run, Duration::from_millis(3));
        let (mut t, mut r) = (vec![], vec![]);
        for _ in 0..31 {
            let b = seconds_per_call(&mut sv, sv_calls);
            let x = seconds_per_call(&mut w.run, calls);
            t.push(x);
            r.push(x / b);
        }
        println!(
            "| {} | {:.1} µs | {:.3} |",
            w.name,
            median(t) * 1e6,
            median(r)
        );
    }
}

/// utime + stime of this process (all threads), in seconds (`/proc/self/stat`, 100 Hz ticks).
fn process_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat(5), counted from the state field (3).
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

struct Wire {
    apdus: usize,
    bytes: usize,
}

/// Data-retrieval APDUs (from SELECT mdoc on) and their bytes, both directions.
fn data_retrieval(trace: &str) -> (Wire, Wire) {
    let lines: Vec<Vec<u8>> = trace
        .lines()
        .map(|l| {
            let h = &l[3..];
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect();
    let start = lines
        .iter()
        .position(|c| {
            c.len() > 5 && c[1] == 0xA4 && c[5..].starts_with(&[0xA0, 0, 0, 2, 0x48, 4, 0])
        })
        .unwrap();
    let (engagement, data) = lines.split_at(start);
    let count = |x: &[Vec<u8>]| Wire {
        apdus: x.len() / 2,
        bytes: x.iter().map(Vec::len).sum(),
    };
    (count(engagement), count(data))
}

fn wrapped(n: usize) -> usize {
    n + match n {
        0..=0x7F => 2,
        0x80..=0xFF => 3,
        0x100..=0xFFFF => 4,
        _ => 5,
    }
}

/// The fewest APDUs and bytes (both directions) that move one message of `request` bytes to
/// the card and its answer of `answer` bytes back at `sizes`: ⌈W/Nc⌉ ENVELOPEs (Lc 1 byte when
/// the data fits 255, else 3; Le on the last only, 1 byte short, 2 extended), ⌈A/Ne⌉ − 1
/// GET RESPONSEs (5 bytes short, 7 extended), a status word per response.
fn minimum_exchange(sizes: ApduSizes, request: usize, answer: usize) -> Wire {
    let (w, a) = (
        wrapped(request),
        if answer == 0 { 0 } else { wrapped(answer) },
    );
    let ext_le = sizes.response_data > 256;
    let envelopes = w.div_ceil(sizes.command_data);
    let gets = a.div_ceil(sizes.response_data).max(1) - 1;
    let mut bytes = 0;
    let mut left = w;
    for i in 0..envelopes {
        let n = left.min(sizes.command_data);
        left -= n;
        let last = i + 1 == envelopes;
        let extended = n > 255 || (last && ext_le);
        bytes += 4 + n + if extended { 3 } else { 1 };
        if last {
            bytes += if extended { 2 } else { 1 };
        }
        bytes += 2;
    }
    bytes += gets * (if ext_le { 7 } else { 5 } + 2) + a;
    Wire {
        apdus: envelopes + gets,
        bytes,
    }
}

/// Lengths of the messages each way in the data-retrieval part of a trace: (reader → mdoc,
/// mdoc → reader) per exchange, from the TLV headers.
fn messages(trace: &str) -> Vec<(usize, usize)> {
    let lines: Vec<(bool, Vec<u8>)> = trace
        .lines()
        .map(|l| {
            let h = &l[3..];
            let b = (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect();
            (l.starts_with("C:"), b)
        })
        .collect();
    let mut out = Vec::new();
    let (mut req, mut ans) = (Vec::new(), Vec::new());
    let mut answering = false;
    for pair in lines.chunks(2) {
        let [(true, c), (false, r)] = pair else {
            continue;
        };
        let Ok(c) = mdl_transport_nfc::apdu::CommandApdu::parse(c) else {
            continue;
        };
        if c.ins().0 == 0xC3 {
            req.extend_from_slice(c.data());
            answering = !c.is_chained();
        }
        if answering && (c.ins().0 == 0xC3 || c.ins().0 == 0xC0) {
            ans.extend_from_slice(&r[..r.len() - 2]);
            if r[r.len() - 2..] == [0x90, 0x00] {
                let len = |m: &[u8]| {
                    mdl_transport_nfc::tlv::header(m)
                        .ok()
                        .flatten()
                        .map_or(0, |(_, l)| l)
                };
                out.push((len(&req), len(&ans)));
                req.clear();
                ans.clear();
                answering = false;
            }
        }
    }
    out
}

fn rig_pass() {
    let Some(port) = rig::rig("bench rig pass") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "\nover pcscd + vpcd, {} presentations each (median wall; CPU = process utime+stime / n)\n",
        10
    );
    println!("| response | APDU data fields | engagement APDUs / bytes / wall | data APDUs (min) | data bytes on the wire (min) | data retrieval wall | whole presentation wall | CPU / presentation | CPU ÷ wall | data bytes at 424 kbit/s |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (label, portrait) in [("4 KB", 1_600usize), ("60 KB", 57_500)] {
        let (cred, pki) = rig::credential(portrait, DeviceAuthMethod::Signature);
        for sizes in [ApduSizes::SHORT, vpcd::LINK_SIZES] {
            let (mut walls, mut retrievals, mut engagements) = (vec![], vec![], vec![]);
            let mut last = None;
            let cpu0 = process_cpu();
            let n = 10;
            for _ in 0..n {
                let _field = rig::field();
                let iaca = TrustAnchors::from_pem(&pki.iaca.to_pem().unwrap()).unwrap();
                let cred = Credential::from_bytes(&cred.to_bytes()).unwrap();
                let t = Instant::now();
                let outcome = rt.block_on(async {
                    let holder = tokio::spawn(rig::holder(
                        port,
                        cred,
                        rig::HolderSpec {
                            mode: HandoverMode::Negotiated,
                            carriers: vec![rig::nfc_carrier()],
                            remove_after: None,
                        },
                    ));
                    let o = rig::reader(rig::ReaderSpec {
                        delay: Duration::ZERO,
                        link_sizes: sizes,
                        carriers: vec![rig::nfc_carrier()],
                        iaca,
                    })
                    .await
                    .unwrap();
                    holder.await.unwrap().unwrap();
                    o
                });
                walls.push(t.elapsed().as_secs_f64());
                retrievals.push(outcome.retrieval.as_secs_f64());
                engagements.push(outcome.engagement.as_secs_f64());
                assert!(outcome.report.as_ref().unwrap().is_valid());
                last = Some(outcome);
            }
            let cpu = (process_cpu() - cpu0) / n as f64;
            let o = last.unwrap();
            let (eng, data) = data_retrieval(&o.trace);
            // SELECT mdoc (12 + 2 bytes), then each message exchange at its minimum.
            let mut min = Wire {
                apdus: 1,
                bytes: 14,
            };
            for (req, ans) in messages(&o.trace) {
                let m = minimum_exchange(sizes, req, ans);
                min.apdus += m.apdus;
                min.bytes += m.bytes;
            }
            let wall = median(walls);
            let retrieval = median(retrievals);
            let engagement = median(engagements);
            println!(
                "| {label} ({} B DeviceResponse) | {}/{} | {} / {} / {:.1} ms | {} ({}) | {} ({}) | {:.1} ms | {:.1} ms | {:.1} ms | {:.2} | {:.1} ms |",
                o.response_len,
                sizes.command_data,
                sizes.response_data,
                eng.apdus,
                eng.bytes,
                engagement * 1e3,
                data.apdus,
                min.apdus,
                data.bytes,
                min.bytes,
                retrieval * 1e3,
                wall * 1e3,
                cpu * 1e3,
                cpu / wall,
                data.bytes as f64 * 8.0 / 424_000.0 * 1e3,
            );
        }
    }
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut ws = workloads();
    // Every workload runs once before it is timed (the transfer asserts its own results).
    for w in ws.iter_mut() {
        (w.run)();
    }
    {
        let mut g = c.benchmark_group("nfc");
        for w in ws.iter_mut() {
            g.bench_function(w.name.clone(), |b| b.iter(|| (w.run)()));
        }
        let mut sv = sign_verify();
        g.bench_function("baseline/p256_sign_verify", |b| b.iter(&mut sv));
        g.finish();
    }
    paired(&mut ws);
    rig_pass();
    c.final_summary();
}
