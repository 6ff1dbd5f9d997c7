//! Finding the adapter by name on both backends, with typed errors for a missing or
//! powered-off adapter.

use std::sync::OnceLock;

use btleplug::api::{Central, CentralState, Manager as _};
use btleplug::platform::{Adapter as BtleAdapter, Manager};

use crate::BleError;

pub(crate) fn bluer_error(e: bluer::Error) -> BleError {
    BleError::Backend {
        backend: "bluer",
        message: e.to_string(),
    }
}

pub(crate) fn btleplug_error(e: btleplug::Error) -> BleError {
    BleError::Backend {
        backend: "btleplug",
        message: e.to_string(),
    }
}

fn display(name: Option<&str>) -> String {
    name.unwrap_or("(default)").to_owned()
}

/// A bluer session whose D-Bus dispatch runs on one single-threaded runtime of its own.
///
/// bluer hands every incoming D-Bus method call (each Client2Server and State write) to
/// `tokio::spawn`; on a multi-threaded runtime those tasks may run out of order, and chunks of
/// one message would reach the reassembler shuffled (seen on the real stack, where writes
/// arrive back to back). A current-thread runtime runs its spawned tasks first in, first out.
pub(crate) async fn bluer_session() -> Result<bluer::Session, BleError> {
    static DISPATCH: OnceLock<Option<tokio::runtime::Handle>> = OnceLock::new();
    let handle = DISPATCH.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("mdl-ble-bluer".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .ok()?;
        Some(handle)
    });
    let handle = handle.as_ref().ok_or(BleError::Backend {
        backend: "bluer",
        message: "could not start the D-Bus dispatch thread".into(),
    })?;
    handle
        .spawn(bluer::Session::new())
        .await
        .map_err(|e| BleError::Backend {
            backend: "bluer",
            message: e.to_string(),
        })?
        .map_err(bluer_error)
}

/// The bluer session and adapter, checked to exist and be powered.
pub(crate) async fn bluer_adapter(
    name: Option<&str>,
) -> Result<(bluer::Session, bluer::Adapter), BleError> {
    let session = bluer_session().await?;
    let names = session.adapter_names().await.map_err(bluer_error)?;
    let chosen = match name {
        Some(n) if names.iter().any(|a| a == n) => n.to_owned(),
        None if !names.is_empty() => names[0].clone(),
        _ => return Err(BleError::AdapterMissing(display(name))),
    };
    let adapter = session.adapter(&chosen).map_err(bluer_error)?;
    if !adapter.is_powered().await.map_err(bluer_error)? {
        return Err(BleError::AdapterOff(chosen));
    }
    Ok((session, adapter))
}

/// The btleplug adapter whose BlueZ id is `name` (btleplug describes it as `hci0 (modalias)`),
/// checked to be powered.
pub(crate) async fn btleplug_adapter(name: Option<&str>) -> Result<BtleAdapter, BleError> {
    let manager = Manager::new().await.map_err(btleplug_error)?;
    let adapters = manager.adapters().await.map_err(btleplug_error)?;
    let mut chosen = None;
    for adapter in adapters {
        let info = adapter.adapter_info().await.map_err(btleplug_error)?;
        let id = info
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        if name.is_none_or(|n| n == id) {
            chosen = Some((adapter, id));
            break;
        }
    }
    let (adapter, id) = chosen.ok_or_else(|| BleError::AdapterMissing(display(name)))?;
    match adapter.adapter_state().await.map_err(btleplug_error)? {
        CentralState::PoweredOn => Ok(adapter),
        _ => Err(BleError::AdapterOff(id)),
    }
}
