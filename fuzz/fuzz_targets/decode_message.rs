//! Every 18013-5 message decoder on arbitrary bytes: a typed error or a value, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdl_proximity::cbor::{from_slice, Tag24};
use mdl_proximity::crypto::CoseKey;
use mdl_proximity::msg::{
    mso::MobileSecurityObject, DeviceEngagement, DeviceRequest, DeviceResponse, IssuerSignedItem,
    SessionData, SessionEstablishment, SessionTranscript,
};

fuzz_target!(|data: &[u8]| {
    let _ = from_slice::<DeviceEngagement>(data);
    let _ = from_slice::<SessionEstablishment>(data);
    let _ = from_slice::<SessionData>(data);
    let _ = from_slice::<DeviceRequest>(data);
    let _ = from_slice::<DeviceResponse>(data);
    let _ = from_slice::<MobileSecurityObject>(data);
    let _ = from_slice::<Tag24<IssuerSignedItem>>(data);
    let _ = from_slice::<SessionTranscript>(data);
    let _ = from_slice::<CoseKey>(data);
    if let Ok(uri) = std::str::from_utf8(data) {
        let _ = mdl_proximity::engagement::qr::from_qr_uri(uri);
    }
});
