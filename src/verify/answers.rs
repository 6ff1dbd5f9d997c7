//! Which requested elements a verified document answers, for the reader's report. An
//! `age_over_NN` is answered by the element itself or by another returned age_over_NN that
//! implies it (2021 7.2.5; see [`crate::holder::age_over`]): a holder that lacks age_over_21
//! returns age_over_25 = true, and the question "over 21?" has its answer.

use crate::cbor::Value;
use crate::holder::age_over::{age_over_nn, implied_answer};
use crate::msg::ItemsRequest;

use super::report::DocumentReport;

/// How one requested element was answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The element itself was returned and verified.
    Returned(Value),
    /// A different age_over_NN was returned and verified, which implies this one's value.
    ImpliedBy {
        /// The element identifier returned (for example `age_over_25`).
        element: String,
        /// The value it implies for the requested element.
        value: bool,
    },
    /// Not answered by anything verified.
    NotReturned,
}

impl Answer {
    /// Whether the request for this element is answered.
    pub fn is_answered(&self) -> bool {
        !matches!(self, Self::NotReturned)
    }
}

/// One requested element and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestedElement {
    /// Namespace.
    pub name_space: String,
    /// Element identifier as requested.
    pub element: String,
    /// The answer.
    pub answer: Answer,
}

/// Every element `request` asked for, in request order, with how `report` (the verified
/// document) answers it. Only verified elements count (issuer- or device-signed).
pub fn answers(request: &ItemsRequest, report: &DocumentReport) -> Vec<RequestedElement> {
    let mut out = Vec::new();
    for (ns, elements) in &request.name_spaces {
        let verified: Vec<(&String, &Value)> = [report.issuer_elements(), report.device_elements()]
            .into_iter()
            .filter_map(|e| e.get(ns))
            .flat_map(|els| els.iter())
            .collect();
        for element in elements.keys() {
            let direct = verified.iter().find(|(id, _)| *id == element);
            let answer = match direct {
                Some((_, value)) => Answer::Returned((*value).clone()),
                None => implied(element, &verified).unwrap_or(Answer::NotReturned),
            };
            out.push(RequestedElement {
                name_space: ns.clone(),
                element: element.clone(),
                answer,
            });
        }
    }
    out
}

fn implied(element: &str, verified: &[(&String, &Value)]) -> Option<Answer> {
    let requested = age_over_nn(element)?;
    verified.iter().find_map(|(id, value)| {
        let (Some(nn), Value::Bool(v)) = (age_over_nn(id), value) else {
            return None;
        };
        implied_answer(requested, (nn, *v)).map(|value| Answer::ImpliedBy {
            element: (*id).clone(),
            value,
        })
    })
}
