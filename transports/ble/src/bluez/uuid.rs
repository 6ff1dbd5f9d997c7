//! Conversions between the engagement's UUID bytes and the backends' `uuid::Uuid`.

use mdl_transport::{BleAddress, BleUuid};
use uuid::Uuid;

use crate::BleError;

pub(crate) fn to_uuid(u: &BleUuid) -> Uuid {
    Uuid::from_bytes(u.0)
}

pub(crate) fn to_bluer_address(a: &BleAddress) -> bluer::Address {
    bluer::Address(a.0)
}

/// A fresh random (version 4) service UUID from the operating system's RNG: each engagement
/// gets its own, so a reader cannot reach a previous session's service.
///
/// # Errors
/// [`BleError::Backend`] if the operating system's RNG fails.
pub fn random_service_uuid() -> Result<BleUuid, BleError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| BleError::Backend {
        backend: "getrandom",
        message: e.to_string(),
    })?;
    Ok(BleUuid(
        *uuid::Builder::from_random_bytes(bytes).as_uuid().as_bytes(),
    ))
}
