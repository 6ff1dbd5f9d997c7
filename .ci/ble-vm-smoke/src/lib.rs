//! Nothing here: this package only holds the rig's smoke test, `tests/vm_rig_smoke.rs`.
#![forbid(unsafe_code)]
