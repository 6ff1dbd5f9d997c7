//! The BLE rig's smoke test: a Rust D-Bus client (`bluer`) against the real `bluetoothd` and kernel
//! Bluetooth inside the rig's VM (`.ci/rig-ble-vm.sh`), where `btvirt` provides two LE controllers,
//! hci0 and hci1, on one virtual radio.
//!
//! Each test runs only when `MDL_BLE_RIG=vm` (the rig sets it; `.ci/ble-vm-tests.sh` runs this
//! binary in the rig) and otherwise says so and passes: there is no Bluetooth outside the VM.
//! The tests share the two adapters: run them with `--test-threads=1`.
//!
//! This binary: an L2CAP LE credit-based channel, 64 KiB each way, on a stack no other test
//! binary has used (`.ci/ble-vm-tests.sh` restarts it between binaries).

mod common;

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use bluer::{
    l2cap::{self, SocketAddr},
    AddressType, Session,
};
use common::{adapters, advertise, fresh_uuid, rig_is_vm, run, step, L2CAP_ECHO_LEN, STEP};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    time::{sleep, timeout, Instant},
};

#[test]
fn l2cap_coc_echo_64k_from_hci0_to_hci1() {
    if !rig_is_vm() {
        return;
    }
    run(async {
        let session = Session::new().await.expect("connect to bluetoothd");
        let (central, peripheral) = adapters(&session).await;
        let peer = peripheral.address().await.expect("hci1 address");
        let own = central.address().await.expect("hci0 address");

        // The kernel connects an LE peer it has seen only while that peer advertises.
        let service = fresh_uuid(1);
        let _adv = step("advertise on hci1", STEP, advertise(&peripheral, service)).await;
        // PSM 0: the kernel picks a free one from the LE dynamic range (0x80..=0xff).
        let listener = l2cap::StreamListener::bind(SocketAddr::new(peer, AddressType::LePublic, 0))
            .await
            .expect("bind an L2CAP listener on hci1");
        let psm = listener.as_ref().local_addr().expect("local_addr").psm;
        assert!(
            (l2cap::PSM_LE_DYN_START..=l2cap::PSM_LE_MAX).contains(&psm),
            "PSM {psm:#x}"
        );

        // Half duplex, as an 18013-5 exchange is (request, then response): the server takes the
        // whole message, then sends it back. (Both directions at full rate at once stalled in
        // this rig: the server's echo never reached the client while the client still sent.)
        let progress = std::sync::Arc::new([(); 3].map(|()| AtomicUsize::new(0)));
        let server_progress = progress.clone();
        let server = tokio::spawn(async move {
            let (mut stream, from) = listener.accept().await.expect("accept");
            let mut message = vec![0u8; L2CAP_ECHO_LEN];
            let mut got = 0;
            while got < message.len() {
                let n = stream.read(&mut message[got..]).await.expect("server read");
                assert!(n > 0, "the client closed after {got} bytes");
                got += n;
                server_progress[1].store(got, Ordering::Relaxed);
            }
            stream.write_all(&message).await.expect("server write");
            // Wait for the client's close. It reaches a Linux L2CAP socket as ECONNRESET or EOF.
            let mut rest = [0u8; 16];
            let trailing = match stream.read(&mut rest).await {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
                Err(e) => panic!("server read after the echo: {e}"),
            };
            (from, got, trailing)
        });

        let socket = l2cap::Socket::new_stream().expect("socket");
        socket
            .bind(SocketAddr::new(own, AddressType::LePublic, 0))
            .expect("bind to hci0");
        let t0 = Instant::now();
        let stream = step(
            "L2CAP connect hci0 -> hci1",
            STEP,
            socket.connect(SocketAddr::new(peer, AddressType::LePublic, psm)),
        )
        .await
        .expect("connect to hci1's PSM");
        let returned = t0.elapsed();
        // bluer 0.17's connect can return while the channel is still connecting: a fresh socket
        // polls writable before connect(2) (state BT_OPEN), tokio keeps that readiness, SO_ERROR
        // is 0, so connect() resolves at once. The channel is up when the kernel gives its send
        // MTU (BT_SNDMTU answers ENOTCONN until the state is BT_CONNECTED).
        let send_mtu = step("L2CAP channel connected", STEP, async {
            loop {
                match stream.as_ref().send_mtu() {
                    Ok(mtu) => break mtu,
                    Err(e) if e.kind() == std::io::ErrorKind::NotConnected => {
                        sleep(Duration::from_millis(20)).await
                    }
                    Err(e) => panic!("send MTU: {e}"),
                }
            }
        })
        .await;
        let connected = t0.elapsed();
        let peer_sa = stream.peer_addr().expect("the peer's address");
        assert_eq!((peer_sa.addr, peer_sa.psm), (peer, psm));
        let recv_mtu = stream.as_ref().recv_mtu().expect("recv MTU");

        let message: Vec<u8> = (0..L2CAP_ECHO_LEN)
            .map(|i| (i * 7 + i / 251) as u8)
            .collect();
        let mut stream = stream;
        let sent = timeout(STEP, async {
            for chunk in message.chunks(usize::from(send_mtu)) {
                stream.write_all(chunk).await.expect("client write");
                progress[0].fetch_add(chunk.len(), Ordering::Relaxed);
            }
        })
        .await;
        let mut echo = vec![0u8; L2CAP_ECHO_LEN];
        let mut got = 0;
        let echoed = match sent {
            Err(e) => Err(e),
            Ok(()) => {
                timeout(STEP, async {
                    while got < echo.len() {
                        let n = stream.read(&mut echo[got..]).await.expect("client read");
                        assert!(n > 0, "the channel closed after {got} bytes");
                        got += n;
                        progress[2].store(got, Ordering::Relaxed);
                    }
                })
                .await
            }
        };
        let elapsed = t0.elapsed();
        assert!(
            echoed.is_ok(),
            "64 KiB echo stalled: client sent {}, server got {}, client got back {} bytes",
            progress[0].load(Ordering::Relaxed),
            progress[1].load(Ordering::Relaxed),
            progress[2].load(Ordering::Relaxed)
        );
        drop(stream);
        assert!(echo == message, "the echo differs from what was sent");

        let (from, received, trailing) = step("server sees the close", STEP, server)
            .await
            .expect("server task");
        assert_eq!(from.addr, own, "the server saw hci0");
        assert_eq!((received, trailing), (L2CAP_ECHO_LEN, 0));
        eprintln!(
            "L2CAP CoC PSM {psm:#x}: MTU send {send_mtu} recv {recv_mtu}; connect() returned after \
             {returned:?}, connected after {connected:?}; \
             {L2CAP_ECHO_LEN} bytes echoed in {elapsed:?}"
        );
    });
}
