//! Cryptography of 18013-5 behind one boundary: curves, COSE keys, key agreement, session
//! encryption, MACs and signatures.

mod cose_key;
mod curve;

pub use cose_key::{label as cose_key_label, CoseKey, EcY, KeyParams};
pub use curve::{Curve, KeyType};
