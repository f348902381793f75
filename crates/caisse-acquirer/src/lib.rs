//! caisse's simulated acquirer: answers authorisations the way Sogenactif's simulation and
//! Sogecommerce's test cards do (PROTOCOLS.md §1 "Simulated acquirer", §2 "Test cards"), so that
//! a merchant's integration tests pass against caisse as they do against the real test platforms.
//!
//! # Layout
//! - `bin_table`: the core's BIN table (brand, co-brands, test range or not), re-exported.
//! - `simulation`: the answer rules (Luhn, expiry, Lyra test cards, last two digits), pure.
//! - `three_ds`: how a card behaves in 3-D Secure, from its number.
//! - this file: [`SimulatedAcquirer`], the `Acquirer` port on top of them, with the only
//!   randomness (authorisation numbers).

pub use caisse_core::bin_table;
pub mod simulation;
pub mod three_ds;

pub use simulation::is_luhn_exempt;
pub use three_ds::{ThreeDsProfile, three_ds_profile};

use async_trait::async_trait;
use caisse_core::card::{CardBrand, CardSummary, Pan};
use caisse_core::money::{Amount, Currency};
use caisse_core::ports::{Acquirer, AuthorisationDecision, AuthorisationRequest};
use rand::Rng;

/// Brand of a number no range claims. CB: a Sogenactif contract is a French acquiring contract,
/// and CB is the network it always accepts.
pub const UNKNOWN_BIN_BRAND: CardBrand = CardBrand::Cb;

/// Deterministic from the request, except for the authorisation numbers it hands out.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimulatedAcquirer;

impl SimulatedAcquirer {
    pub fn new() -> SimulatedAcquirer {
        SimulatedAcquirer
    }
}

#[async_trait]
impl Acquirer for SimulatedAcquirer {
    async fn authorise(&self, request: &AuthorisationRequest<'_>) -> AuthorisationDecision {
        let answer = simulation::answer(request);
        let (brand, co_brands) = chosen_brands(request.pan, request.brand_choice);
        AuthorisationDecision {
            acquirer_response_code: answer.acquirer_response_code.to_owned(),
            authorisation_id: answer.is_accepted().then(new_authorisation_id),
            brand,
            co_brands,
            guarantee_indicator: answer.guarantee_indicator.map(str::to_owned),
            card_csc_result_code: answer.card_csc_result_code.map(str::to_owned),
            network_transaction_id: answer.is_accepted().then(new_network_transaction_id),
        }
    }

    /// Always accepted: the simulated issuer has no reason to refuse a credit to a card caisse
    /// authorised; a real connector would ask the acquirer here.
    async fn refund(&self, card: &CardSummary, _amount: Amount, _currency: Currency) -> AuthorisationDecision {
        AuthorisationDecision {
            acquirer_response_code: simulation::ACCEPTED.to_owned(),
            authorisation_id: Some(new_authorisation_id()),
            brand: card.brand,
            co_brands: card.co_brands.clone(),
            guarantee_indicator: None,
            card_csc_result_code: None,
            network_transaction_id: Some(new_network_transaction_id()),
        }
    }

    fn brand_of(&self, pan: &Pan) -> (CardBrand, Vec<CardBrand>) {
        match bin_table::lookup(pan.digits()) {
            Some(range) => (range.brand, range.co_brands.to_vec()),
            None => (UNKNOWN_BIN_BRAND, Vec::new()),
        }
    }

    fn three_ds_enrolment(&self, pan: &Pan) -> caisse_core::three_ds::Enrolment {
        use caisse_core::three_ds::Enrolment;
        match three_ds_profile(pan) {
            ThreeDsProfile::Frictionless => Enrolment::Frictionless,
            ThreeDsProfile::Challenge => Enrolment::Challenge,
            ThreeDsProfile::Failed => Enrolment::Failed,
            ThreeDsProfile::NotEnrolled => Enrolment::NotEnrolled,
        }
    }
}

/// The card's brands with the holder's choice first. A choice the card does not carry is
/// ignored: the acquirer routes on a brand the card has; rejecting the request is the adapter's
/// business.
fn chosen_brands(pan: &Pan, choice: Option<CardBrand>) -> (CardBrand, Vec<CardBrand>) {
    let (brand, co_brands) = SimulatedAcquirer.brand_of(pan);
    match choice {
        Some(chosen) if co_brands.contains(&chosen) => {
            let others = std::iter::once(brand).chain(co_brands.into_iter().filter(|other| *other != chosen)).collect();
            (chosen, others)
        }
        _ => (brand, co_brands),
    }
}

/// Six digits, never "000000", which would read as a placeholder rather than a number.
fn new_authorisation_id() -> String {
    let number = rand::rng().random_range(1..=999_999u32);
    format!("{number:06}")
}

/// A network reference like the schemes' (a 15-digit number), which later payments by a
/// token send back as `initialIssuerTransactionIdentifier`.
fn new_network_transaction_id() -> String {
    let number = rand::rng().random_range(100_000_000_000_000..=999_999_999_999_999u64);
    number.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use CardBrand::{Amex, Cb, Cup, Diners, Jcb, Maestro, Mastercard, Visa};
    use caisse_core::card::CardExpiry;
    use caisse_core::transaction::TransactionKind;
    use chrono::NaiveDate;

    fn pan(digits: &str) -> Pan {
        Pan::parse(digits).unwrap()
    }

    async fn authorise(digits: &str, csc: Option<&str>, brand_choice: Option<CardBrand>) -> AuthorisationDecision {
        let pan = pan(digits);
        let request = AuthorisationRequest {
            pan: &pan,
            expiry: CardExpiry::new(2030, 12).unwrap(),
            csc,
            brand_choice,
            amount: Amount(2500),
            currency: Currency::EUR,
            kind: TransactionKind::Debit,
            today: NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
        };
        SimulatedAcquirer::new().authorise(&request).await
    }

    fn assert_authorisation_id(id: Option<&str>) {
        let id = id.expect("an accepted answer has an authorisation id");
        assert_eq!(id.len(), 6, "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
        assert_ne!(id, "000000");
    }

    #[tokio::test]
    async fn lyra_test_cards() {
        // (ending, code, guarantee, csc result), PROTOCOLS.md §2.
        let cards = [
            ("00", "00", None, Some("4D")),
            ("01", "00", None, Some("4D")),
            ("03", "00", None, Some("4D")),
            ("09", "00", None, Some("4D")),
            ("55", "00", None, Some("4D")),
            ("07", "00", Some("N"), Some("4D")),
            ("97", "00", None, Some("4D")),
            ("02", "05", None, Some("4D")),
            ("98", "51", None, Some("4D")),
            ("99", "05", None, Some("4E")),
        ];
        for (ending, code, guarantee, csc) in cards {
            let digits = format!("49701000000000{ending}");
            let decision = authorise(&digits, Some("123"), None).await;
            assert_eq!(decision.acquirer_response_code, code, "{digits}");
            assert_eq!(decision.guarantee_indicator.as_deref(), guarantee, "{digits}");
            assert_eq!(decision.card_csc_result_code.as_deref(), csc, "{digits}");
            assert_eq!((decision.brand, decision.co_brands.as_slice()), (Cb, &[Visa][..]));
            assert!(!decision.is_unavailable(), "{digits}");
            if decision.is_accepted() {
                assert_authorisation_id(decision.authorisation_id.as_deref());
            } else {
                assert_eq!(decision.authorisation_id, None, "{digits}");
            }
        }
    }

    #[tokio::test]
    async fn accepted_answers_carry_a_fresh_authorisation_id() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let decision = authorise("4100000000000000", None, None).await;
            assert!(decision.is_accepted());
            assert_authorisation_id(decision.authorisation_id.as_deref());
            seen.insert(decision.authorisation_id.unwrap());
        }
        assert!(seen.len() > 1, "authorisation ids are drawn, not fixed");
    }

    #[tokio::test]
    async fn refused_and_unavailable_answers_have_no_authorisation_id() {
        for digits in ["4100000000000005", "4111111111111112", "4100000000000090"] {
            let decision = authorise(digits, None, None).await;
            assert!(!decision.is_accepted(), "{digits}");
            assert_eq!(decision.authorisation_id, None, "{digits}");
        }
    }

    #[tokio::test]
    async fn unavailable() {
        for digits in ["4100000000000090", "4100000000000099", "5100000000000090"] {
            let decision = authorise(digits, Some("123"), None).await;
            assert!(decision.is_unavailable(), "{digits}");
            assert_eq!(decision.card_csc_result_code, None);
        }
    }

    #[tokio::test]
    async fn simulation_bins_brands_and_co_brands() {
        let bins = [
            ("410000", Visa, vec![]),
            ("420000", Cb, vec![]),
            ("430000", Cb, vec![Visa]),
            ("510000", Mastercard, vec![]),
            ("520000", Cb, vec![Mastercard]),
            ("340000", Amex, vec![]),
            ("500000", Maestro, vec![]),
            ("497010", Cb, vec![Visa]),
        ];
        for (bin, brand, co_brands) in bins {
            let digits = format!("{bin}0000000000");
            let expected = (brand, co_brands);
            assert_eq!(SimulatedAcquirer.brand_of(&pan(&digits)), expected, "{bin}");
            let decision = authorise(&digits, None, None).await;
            assert_eq!((decision.brand, decision.co_brands), expected, "{bin}");
        }
    }

    #[test]
    fn ordinary_ranges() {
        let cards = [
            ("4111111111111111", Visa),
            ("4970110000000007", Visa),
            ("5555555555554444", Mastercard),
            ("2221000000000009", Mastercard),
            ("2720990000000007", Mastercard),
            ("378282246310005", Amex),
            ("341111111111111", Amex),
            ("5018000000000009", Maestro),
            ("6759649826438453", Maestro),
            ("3530111333300000", Jcb),
            ("36227206271667", Diners),
            ("30569309025904", Diners),
            ("38520000023237", Diners),
            ("6200000000000005", Cup),
        ];
        for (digits, brand) in cards {
            assert_eq!(SimulatedAcquirer.brand_of(&pan(digits)), (brand, vec![]), "{digits}");
        }
        let unknown = pan("9999999999999995");
        assert_eq!(SimulatedAcquirer.brand_of(&unknown), (UNKNOWN_BIN_BRAND, vec![]));
    }

    #[tokio::test]
    async fn brand_choice_on_a_co_badged_card() {
        let visa = authorise("4300000000000000", None, Some(Visa)).await;
        assert_eq!((visa.brand, visa.co_brands), (Visa, vec![Cb]));
        let cb = authorise("4300000000000000", None, Some(Cb)).await;
        assert_eq!((cb.brand, cb.co_brands), (Cb, vec![Visa]));
        let mastercard = authorise("5200000000000000", None, Some(Mastercard)).await;
        assert_eq!((mastercard.brand, mastercard.co_brands), (Mastercard, vec![Cb]));
        let lyra = authorise("4970100000000000", None, Some(Visa)).await;
        assert_eq!((lyra.brand, lyra.co_brands), (Visa, vec![Cb]));
    }

    #[tokio::test]
    async fn a_brand_the_card_does_not_carry_is_ignored() {
        let other = authorise("4300000000000000", None, Some(Mastercard)).await;
        assert_eq!((other.brand, other.co_brands), (Cb, vec![Visa]));
        let single = authorise("4100000000000000", None, Some(Cb)).await;
        assert_eq!((single.brand, single.co_brands), (Visa, vec![]));
    }

    #[tokio::test]
    async fn refund_is_accepted() {
        let card = CardSummary {
            card_id: "card-1".into(),
            masked_pan: "4300##########05".into(),
            bin: "430000".into(),
            last_four: "0005".into(),
            expiry: CardExpiry::new(2030, 12).unwrap(),
            brand: Visa,
            co_brands: vec![Cb],
        };
        let acquirer = SimulatedAcquirer::new();
        let first = acquirer.refund(&card, Amount(1000), Currency::EUR).await;
        assert!(first.is_accepted());
        assert_authorisation_id(first.authorisation_id.as_deref());
        assert_eq!((first.brand, first.co_brands.as_slice()), (Visa, &[Cb][..]));
        assert_eq!(first.guarantee_indicator, None);
        assert_eq!(first.card_csc_result_code, None);
        let ids: std::collections::HashSet<_> =
            (0..50).map(|_| new_authorisation_id()).chain(first.authorisation_id).collect();
        assert!(ids.len() > 1, "each refund gets its own authorisation id");
    }
}
