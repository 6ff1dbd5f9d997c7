//! The consent hook: what the holder is asked, and what they allow (2021 6.3.2.4: the mdoc
//! holder approves the release of data).

use indexmap::{IndexMap, IndexSet};

use crate::msg::request::{DataElements, DocRequest, ItemsRequest};
pub use crate::verify::ReaderIdentity;

/// One DocRequest as the holder reviews it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRequest {
    /// Index of the DocRequest in `docRequests`.
    pub index: usize,
    /// The requested document type.
    pub doc_type: String,
    /// Namespace → element → IntentToRetain, as requested.
    pub name_spaces: IndexMap<String, DataElements>,
    /// Who asks: readerAuth (else readerAuthAll) verified against the holder's trusted reader roots
    /// ([`crate::verify::reader_identities()`]).
    pub reader: ReaderIdentity,
    /// Whether the holder has a document of this type (if not, nothing can be released and
    /// the response reports the type in documentErrors whatever the hook says).
    pub holder_has_doc_type: bool,
}

impl ReviewRequest {
    /// A review of `doc_request` at `index`.
    pub fn new(
        index: usize,
        doc_request: &DocRequest,
        reader: ReaderIdentity,
        holder_has_doc_type: bool,
    ) -> Self {
        let ItemsRequest {
            doc_type,
            name_spaces,
            ..
        } = doc_request.items_request.value();
        Self {
            index,
            doc_type: doc_type.clone(),
            name_spaces: name_spaces.clone(),
            reader,
            holder_has_doc_type,
        }
    }

    /// Every requested (namespace, element) pair.
    pub fn requested(&self) -> impl Iterator<Item = (&str, &str)> {
        self.name_spaces
            .iter()
            .flat_map(|(ns, els)| els.keys().map(move |el| (ns.as_str(), el.as_str())))
    }
}

/// The elements the holder allows to be released for one DocRequest. Only elements that were
/// requested are ever released, whatever else a selection contains.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    approved: IndexMap<String, IndexSet<String>>,
}

impl Selection {
    /// Nothing approved: the document is withheld.
    pub fn none() -> Self {
        Self::default()
    }

    /// Everything `request` asks for.
    pub fn all_requested(request: &ReviewRequest) -> Self {
        let mut s = Self::none();
        for (ns, el) in request.requested() {
            s.approve(ns, el);
        }
        s
    }

    /// Approves one element.
    pub fn approve(&mut self, name_space: &str, element: &str) {
        self.approved
            .entry(name_space.to_owned())
            .or_default()
            .insert(element.to_owned());
    }

    /// Whether an element is approved.
    pub fn is_approved(&self, name_space: &str, element: &str) -> bool {
        self.approved
            .get(name_space)
            .is_some_and(|els| els.contains(element))
    }

    /// Whether nothing is approved.
    pub fn is_empty(&self) -> bool {
        self.approved.values().all(IndexSet::is_empty)
    }
}

/// Asks the holder (a UI, a policy, a test) what to release.
pub trait ConsentHook {
    /// Reviews one DocRequest.
    fn review(&mut self, request: &ReviewRequest) -> Selection;
}

/// Releases everything requested (tests and demos only).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApproveAll;

impl ConsentHook for ApproveAll {
    fn review(&mut self, request: &ReviewRequest) -> Selection {
        Selection::all_requested(request)
    }
}

/// Releases nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct DenyAll;

impl ConsentHook for DenyAll {
    fn review(&mut self, _request: &ReviewRequest) -> Selection {
        Selection::none()
    }
}

/// Releases the listed (namespace, element) pairs when requested, in any document type.
#[derive(Debug, Clone, Default)]
pub struct ApproveListed {
    allowed: Selection,
}

impl ApproveListed {
    /// Allows each `(namespace, element)` of `elements`.
    pub fn new<'a>(elements: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut allowed = Selection::none();
        for (ns, el) in elements {
            allowed.approve(ns, el);
        }
        Self { allowed }
    }
}

impl ConsentHook for ApproveListed {
    fn review(&mut self, request: &ReviewRequest) -> Selection {
        let mut s = Selection::none();
        for (ns, el) in request.requested() {
            if self.allowed.is_approved(ns, el) {
                s.approve(ns, el);
            }
        }
        s
    }
}

impl<F: FnMut(&ReviewRequest) -> Selection> ConsentHook for F {
    fn review(&mut self, request: &ReviewRequest) -> Selection {
        self(request)
    }
}
