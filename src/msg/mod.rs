//! The ISO/IEC 18013-5 message model.
