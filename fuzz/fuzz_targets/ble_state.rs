//! One side of a GATT link (State protocol, Ident, chunks, deadlines) driven by arbitrary
//! events: each op byte picks an event, the following bytes its argument.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mdl_transport::BleMode;
use mdl_transport_ble::connection::{GattConfig, GattConnection};
use mdl_transport_ble::profile::Role;

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut ops)) = data.split_first() else { return };
    let role = if setup & 1 == 0 { Role::Holder } else { Role::Reader };
    let mode = if setup & 2 == 0 { BleMode::PeripheralServer } else { BleMode::CentralClient };
    let config = GattConfig { max_message_size: 4096, start_timeout: Duration::from_secs(1) };
    let mut link = GattConnection::new(role, mode, config, Some([0x8d; 16]));
    let t0 = Instant::now();
    let mut ms = 0u64;
    while let Some((&op, tail)) = ops.split_first() {
        let len = usize::from(op >> 3).min(tail.len());
        let (arg, tail) = tail.split_at(len);
        let now = t0 + Duration::from_millis(ms);
        match op & 7 {
            0 => link.handle_connected(now, u16::from_be_bytes([arg.first().copied().unwrap_or(0), arg.get(1).copied().unwrap_or(23)])),
            1 => link.handle_state(now, arg),
            2 => link.handle_chunk(arg),
            3 => link.handle_ident(arg),
            4 => { ms += 50 * len as u64; link.handle_timeout(t0 + Duration::from_millis(ms)) }
            5 => { let _ = link.send_message(arg); }
            6 => link.end(),
            _ => link.handle_disconnected(),
        }
        while link.poll_output().is_some() {}
        let _ = link.take_error();
        ops = tail;
    }
});
