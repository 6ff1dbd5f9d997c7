//! Age attestations (2021 7.2.5; 2nd ed. 13.4.6): when the reader asks for an `age_over_NN`
//! the mDL does not hold, the mdoc returns the held `age_over_NN` nearest to it that still
//! answers the question — the nearest higher NN whose value is `true` (over 25 implies over
//! 21), else the nearest lower NN whose value is `false` (not over 18 implies not over 21).
//! Any other held attestation would not answer it; the nearest one reveals the least.

use crate::cbor::{Tag24, Value};
use crate::msg::response::IssuerSignedItem;

/// The mDL namespace, where the age_over_NN elements live (2021 7.2.1 Table 5).
pub const MDL_NAMESPACE: &str = "org.iso.18013.5.1";

/// `NN` of an element identifier `age_over_NN` (two decimal digits, 2021 7.2.5), else `None`.
pub fn age_over_nn(element: &str) -> Option<u8> {
    let digits = element.strip_prefix("age_over_")?;
    match digits.as_bytes() {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

/// Which held attestation answers a request for `age_over_{requested}`: among `held` (NN and
/// value), the nearest higher NN with `true`, else the nearest lower NN with `false`. `None`
/// when nothing held implies the answer. An exact match is not a substitution and is not
/// looked for here.
pub fn nearest_implying(requested: u8, held: impl IntoIterator<Item = (u8, bool)>) -> Option<u8> {
    let mut higher_true: Option<u8> = None;
    let mut lower_false: Option<u8> = None;
    for (nn, value) in held {
        if value && nn > requested && higher_true.is_none_or(|h| nn < h) {
            higher_true = Some(nn);
        }
        if !value && nn < requested && lower_false.is_none_or(|l| nn > l) {
            lower_false = Some(nn);
        }
    }
    higher_true.or(lower_false)
}

/// The answer a returned attestation gives to a request for `age_over_{requested}`: `Some` when
/// `returned` (NN, value) implies it, by the rule above or by being the same NN.
pub fn implied_answer(requested: u8, returned: (u8, bool)) -> Option<bool> {
    match returned {
        (nn, value) if nn == requested => Some(value),
        (nn, true) if nn > requested => Some(true),
        (nn, false) if nn < requested => Some(false),
        _ => None,
    }
}

/// The held IssuerSignedItem to return for a requested `element` of `name_space` that the
/// mDL does not hold, when it is an age_over_NN that another held age_over_NN answers.
pub(crate) fn substitute<'a>(
    name_space: &str,
    element: &str,
    held: &'a [Tag24<IssuerSignedItem>],
) -> Option<&'a Tag24<IssuerSignedItem>> {
    if name_space != MDL_NAMESPACE {
        return None;
    }
    let requested = age_over_nn(element)?;
    let attestation = |item: &Tag24<IssuerSignedItem>| {
        let item = item.value();
        match (age_over_nn(&item.element_identifier), &item.element_value) {
            (Some(nn), Value::Bool(v)) => Some((nn, *v)),
            _ => None,
        }
    };
    let nn = nearest_implying(requested, held.iter().filter_map(attestation))?;
    held.iter()
        .find(|item| attestation(item).is_some_and(|(held_nn, _)| held_nn == nn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_names_parse_only_with_two_digits() {
        assert_eq!(age_over_nn("age_over_21"), Some(21));
        assert_eq!(age_over_nn("age_over_00"), Some(0));
        assert_eq!(age_over_nn("age_over_99"), Some(99));
        for bad in [
            "age_over_1",
            "age_over_100",
            "age_over_2a",
            "age_over_",
            "age_in_years",
        ] {
            assert_eq!(age_over_nn(bad), None, "{bad}");
        }
    }

    #[test]
    fn nearest_higher_true_else_nearest_lower_false() {
        let held = [(18, true), (21, true), (25, true), (65, false), (30, true)];
        assert_eq!(nearest_implying(20, held), Some(21));
        assert_eq!(nearest_implying(23, held), Some(25));
        assert_eq!(nearest_implying(26, held), Some(30));
        // Over 30 but not over 65: 40 is answered by the nearest lower false, none of the trues.
        assert_eq!(nearest_implying(40, held), None);
        let young = [(16, true), (18, false), (21, false)];
        assert_eq!(nearest_implying(25, young), Some(21));
        assert_eq!(nearest_implying(19, young), Some(18));
        assert_eq!(
            nearest_implying(17, young),
            None,
            "16 true and 18 false say nothing of 17"
        );
        assert_eq!(nearest_implying(15, young), Some(16));
    }

    #[test]
    fn implied_answers() {
        assert_eq!(implied_answer(21, (25, true)), Some(true));
        assert_eq!(implied_answer(21, (18, false)), Some(false));
        assert_eq!(implied_answer(21, (21, false)), Some(false));
        assert_eq!(implied_answer(21, (18, true)), None);
        assert_eq!(implied_answer(21, (25, false)), None);
    }
}
