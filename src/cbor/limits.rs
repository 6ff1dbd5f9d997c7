//! Limits on what a peer may make the decoder hold.

/// Resource limits applied before any allocation that a peer's bytes could size.
///
/// Every length or count in the input is checked against the bytes that actually remain and
/// against these limits *before* anything is allocated for it, so a forged length costs the
/// receiver nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted message, in bytes.
    pub max_message_size: usize,
    /// Deepest accepted nesting of arrays, maps and tags.
    pub max_depth: usize,
    /// Most data items accepted in one message (bounds the decoded tree's memory).
    pub max_items: usize,
}

impl Limits {
    /// Default largest message: 8 MiB, far above any realistic DeviceResponse (a portrait
    /// is tens of KiB) yet small enough for a terminal to hold several in memory.
    pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 8 * 1024 * 1024;
    /// Default deepest nesting: 18013-5 messages nest fewer than 16 levels.
    pub const DEFAULT_MAX_DEPTH: usize = 32;
    /// Default most data items per message, embedded (tag 24) items included: 131 072. A decoded
    /// item costs about 100 bytes of heap (value tree, typed structure, report), so this keeps
    /// the peak heap of any one message under 32 MiB (issue 9; `tests/hostile_heap.rs`), while an
    /// honest DeviceResponse or DeviceRequest holds a few hundred items.
    pub const DEFAULT_MAX_ITEMS: usize = 1 << 17;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_items: Self::DEFAULT_MAX_ITEMS,
        }
    }
}
