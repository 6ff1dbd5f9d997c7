//! One decoding budget per message, shared by every nested decode of embedded CBOR.
//!
//! 18013-5 nests CBOR in byte strings (`#6.24(bstr .cbor T)`, the "XBytes" structures), and a
//! typed decoder only meets those bytes deep inside [`CborCodec::from_cbor`], which takes a value
//! and no context. So the budget of the message being decoded lives in a scope on the current
//! thread, opened by the outermost byte entry point ([`super::from_slice_with`]) or by
//! [`with_budget`], and closed (on return or unwind) when it ends:
//!
//! - every nested decode inside the scope runs under the scope's [`Limits`] (the smaller of the
//!   scope's and its own), and all of them draw their data items from **one** allowance of
//!   `max_items` for the whole message, so a peer cannot multiply the limit by nesting;
//! - the exact encoding of every `#6.24(bstr)` whose tag or byte-string header was not in
//!   preferred serialization is kept until [`Tag24`](super::Tag24) claims it, so digests, MACs
//!   and signatures cover the bytes as received, outer header included (2021 8.1 / 9.1.2.5).
//!
//! The scope is data only (no I/O, clock or randomness) and never outlives the call that opened
//! it.
//!
//! [`CborCodec::from_cbor`]: super::CborCodec::from_cbor

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use super::Limits;

/// The state of the message being decoded on this thread.
#[derive(Debug)]
struct Scope {
    limits: Limits,
    /// Data items left for the rest of the message, nested decodes included.
    items_left: usize,
    /// Received encodings of `#6.24(bstr)` items not in preferred serialization, by content, in
    /// the order met.
    received: HashMap<Vec<u8>, VecDeque<Vec<u8>>>,
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Closes the scope it opened, or restores the limits of the scope it narrowed, also when the
/// decode unwinds.
enum Guard {
    Opened,
    Narrowed {
        limits: Limits,
        items_left: usize,
        narrowed_items: usize,
    },
}

impl Drop for Guard {
    fn drop(&mut self) {
        SCOPE.with(|s| {
            let mut s = s.borrow_mut();
            match *self {
                Self::Opened => *s = None,
                Self::Narrowed {
                    limits,
                    items_left,
                    narrowed_items,
                } => {
                    if let Some(scope) = s.as_mut() {
                        let used = narrowed_items.saturating_sub(scope.items_left);
                        scope.limits = limits;
                        scope.items_left = items_left.saturating_sub(used);
                    }
                }
            }
        });
    }
}

/// Runs `f` with one decoding budget of `limits` shared by every decode inside it (the decodes
/// of [`super::from_slice_with`], [`super::value_from_slice`] and embedded [`super::Tag24`]
/// items). If a budget is already open on this thread, `f` shares it (under the smaller limits
/// while it runs) instead of getting a fresh one.
///
/// ```
/// use mdl_proximity::cbor::{self, Limits};
/// let limits = Limits { max_items: 4, ..Limits::default() };
/// let total = cbor::with_budget(&limits, || {
///     let a = cbor::value_from_slice(&[0x82, 1, 2], &Limits::default()); // 3 items
///     let b = cbor::value_from_slice(&[0x82, 1, 2], &Limits::default()); // 3 more: over 4
///     (a.is_ok(), b.is_err())
/// });
/// assert_eq!(total, (true, true));
/// ```
pub fn with_budget<R>(limits: &Limits, f: impl FnOnce() -> R) -> R {
    let _guard = SCOPE.with(|s| {
        let mut s = s.borrow_mut();
        match s.as_mut() {
            Some(scope) => {
                let guard = Guard::Narrowed {
                    limits: scope.limits,
                    items_left: scope.items_left,
                    narrowed_items: scope.items_left.min(limits.max_items),
                };
                scope.limits = smaller(&scope.limits, limits);
                scope.items_left = scope.items_left.min(limits.max_items);
                guard
            }
            None => {
                *s = Some(Scope {
                    limits: *limits,
                    items_left: limits.max_items,
                    received: HashMap::new(),
                });
                Guard::Opened
            }
        }
    });
    f()
}

fn smaller(a: &Limits, b: &Limits) -> Limits {
    Limits {
        max_message_size: a.max_message_size.min(b.max_message_size),
        max_depth: a.max_depth.min(b.max_depth),
        max_items: a.max_items.min(b.max_items),
    }
}

/// The limits a decode of one item runs under: `own`, narrowed by the open scope (whose
/// remaining item allowance becomes `max_items`).
pub(crate) fn effective(own: &Limits) -> Limits {
    SCOPE.with(|s| match s.borrow().as_ref() {
        Some(scope) => {
            let mut l = smaller(&scope.limits, own);
            l.max_items = l.max_items.min(scope.items_left);
            l
        }
        None => *own,
    })
}

/// Charges `items` decoded items and records received non-preferred `#6.24(bstr)` encodings.
pub(crate) fn charge(items: usize, received: Vec<(Vec<u8>, Vec<u8>)>) {
    SCOPE.with(|s| {
        if let Some(scope) = s.borrow_mut().as_mut() {
            scope.items_left = scope.items_left.saturating_sub(items);
            for (content, raw) in received {
                scope.received.entry(content).or_default().push_back(raw);
            }
        }
    });
}

/// The received encoding of a `#6.24(bstr)` whose content is `content`, if it was not in
/// preferred serialization (the first one not yet claimed, in the order met).
pub(crate) fn claim_received(content: &[u8]) -> Option<Vec<u8>> {
    SCOPE.with(|s| {
        let mut s = s.borrow_mut();
        let scope = s.as_mut()?;
        let list = scope.received.get_mut(content)?;
        let raw = list.pop_front();
        if list.is_empty() {
            scope.received.remove(content);
        }
        raw
    })
}
