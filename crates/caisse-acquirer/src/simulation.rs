//! The simulated acquirer's and issuer's rules: PROTOCOLS.md §1 "Simulated acquirer", §2 "Test
//! cards", §4 "Test card numbers".
//!
//! The checks run in this order; the first one that applies decides:
//! 1. **Luhn**: a number outside the test ranges that fails Luhn is refused `14` (invalid card).
//!    Test ranges (the Sips simulation BINs and Lyra's 4970 10) are exempt: their numbers are
//!    chosen by their last two digits, which breaks the checksum.
//! 2. **Expiry**: a card that expired before the month of `request.today` is refused `54`.
//! 3. **Lyra test cards**: the exact numbers 4970 1000 0000 00xx of §2 answer as listed there.
//!    They come before rule 4 because their endings mean something else there (…03 is accepted
//!    here, "invalid merchant" by rule 4).
//! 4. **Last two digits** (the Sips simulation rule): they are the answer when they are a code of
//!    [`SIMULATION_CODES`], else the card is accepted `00`.
//!
//! Rules 1 and 2 are the acquirer refusing before the issuer sees the card; rules 3 and 4 are the
//! issuer's answer. Only the issuer reports on the CSC, and only when it was reachable.

use crate::bin_table;
use caisse_core::card::Pan;
use caisse_core::ports::AuthorisationRequest;

pub const ACCEPTED: &str = "00";
/// Refused (do not honour).
pub const REFUSED: &str = "05";
pub const INVALID_CARD: &str = "14";
pub const LIMIT_EXCEEDED: &str = "51";
pub const EXPIRED_CARD: &str = "54";

/// Codes the last two digits of a card number may pick (PROTOCOLS.md §1 "Response codes": the
/// Sips list without 00, which is the default anyway, and 01, "refer to the issuer": caisse has
/// no voice-authorisation flow to refer to, so a …01 card is accepted).
pub const SIMULATION_CODES: [&str; 24] = [
    "02", "03", "05", "11", "12", "14", "17", "24", "25", "30", "34", "40", "51", "54", "55", "57", "60", "62", "63",
    "75", "90", "94", "97", "99",
];

/// cardCSCResultCode: the issuer found the CSC correct.
pub const CSC_CORRECT: &str = "4D";
/// cardCSCResultCode: the issuer found the CSC wrong.
pub const CSC_WRONG: &str = "4E";
/// guaranteeIndicator: the merchant is not guaranteed against a chargeback.
pub const NO_GUARANTEE: &str = "N";

/// The Lyra test cards are these 14 digits and a 2-digit ending (PROTOCOLS.md §2).
const LYRA_TEST_CARD_HEAD: &str = "49701000000000";

/// The deterministic part of an authorisation answer: everything but the authorisation number
/// and the brands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub acquirer_response_code: &'static str,
    /// `None`: 3-D Secure decides it later.
    pub guarantee_indicator: Option<&'static str>,
    /// `None` when no CSC was given or the issuer never saw it.
    pub card_csc_result_code: Option<&'static str>,
}

impl Answer {
    pub fn is_accepted(&self) -> bool {
        self.acquirer_response_code == ACCEPTED
    }

    /// 90 and 99: the acquirer could not be reached (see `AuthorisationDecision::is_unavailable`).
    pub fn is_unavailable(&self) -> bool {
        matches!(self.acquirer_response_code, "90" | "99")
    }
}

/// What the simulated issuer says about a card (rules 3 and 4).
struct IssuerAnswer {
    code: &'static str,
    guarantee_indicator: Option<&'static str>,
    csc_correct: bool,
}

impl IssuerAnswer {
    fn new(code: &'static str) -> IssuerAnswer {
        IssuerAnswer { code, guarantee_indicator: None, csc_correct: true }
    }
}

/// Runs the rules, in the order of the module documentation, on one request.
pub fn answer(request: &AuthorisationRequest<'_>) -> Answer {
    let pan = request.pan;
    if !is_luhn_exempt(pan) && !pan.passes_luhn() {
        return refused_by_acquirer(INVALID_CARD);
    }
    if request.expiry.is_expired_at(request.today) {
        return refused_by_acquirer(EXPIRED_CARD);
    }
    let issuer = lyra_test_card(pan).unwrap_or_else(|| last_two_digits(pan));
    let mut answer = Answer {
        acquirer_response_code: issuer.code,
        guarantee_indicator: issuer.guarantee_indicator,
        card_csc_result_code: None,
    };
    if request.csc.is_some() && !answer.is_unavailable() {
        let result = if issuer.csc_correct { CSC_CORRECT } else { CSC_WRONG };
        answer.card_csc_result_code = Some(result);
    }
    answer
}

/// Whether a number is spared the Luhn check: it lies in a test range (PROTOCOLS.md §4).
pub fn is_luhn_exempt(pan: &Pan) -> bool {
    bin_table::lookup(pan.digits()).is_some_and(bin_table::BinRange::is_test_range)
}

/// The 2-digit ending of an exact Lyra test card number, `None` for any other number.
pub(crate) fn lyra_test_card_ending(pan: &Pan) -> Option<&str> {
    let digits = pan.digits();
    (digits.len() == 16 && digits.starts_with(LYRA_TEST_CARD_HEAD)).then(|| pan.last_two())
}

fn refused_by_acquirer(code: &'static str) -> Answer {
    Answer { acquirer_response_code: code, guarantee_indicator: None, card_csc_result_code: None }
}

/// Rule 3. Test cards not listed here (…05, …42) fall through to rule 4, as §2 says.
fn lyra_test_card(pan: &Pan) -> Option<IssuerAnswer> {
    let answer = match lyra_test_card_ending(pan)? {
        "00" | "01" | "03" | "09" | "55" => IssuerAnswer::new(ACCEPTED),
        "07" => IssuerAnswer { guarantee_indicator: Some(NO_GUARANTEE), ..IssuerAnswer::new(ACCEPTED) },
        "02" => IssuerAnswer::new(REFUSED),
        // "3-D Secure failed": authentication fails in the 3-D Secure step
        // (`three_ds_profile` gives `Failed`); the issuer itself would accept.
        "97" => IssuerAnswer::new(ACCEPTED),
        "98" => IssuerAnswer::new(LIMIT_EXCEEDED),
        "99" => IssuerAnswer { csc_correct: false, ..IssuerAnswer::new(REFUSED) },
        _ => return None,
    };
    Some(answer)
}

/// Rule 4, the Sips simulation rule.
fn last_two_digits(pan: &Pan) -> IssuerAnswer {
    let ending = pan.last_two();
    let code = SIMULATION_CODES.into_iter().find(|code| *code == ending).unwrap_or(ACCEPTED);
    IssuerAnswer::new(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use caisse_core::card::CardExpiry;
    use caisse_core::money::{Amount, Currency};
    use caisse_core::transaction::TransactionKind;
    use chrono::NaiveDate;

    const VALID: CardExpiry = CardExpiry { year: 2030, month: 12 };

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()
    }

    fn answer_with(digits: &str, expiry: CardExpiry, csc: Option<&str>) -> Answer {
        let pan = Pan::parse(digits).unwrap();
        answer(&AuthorisationRequest {
            pan: &pan,
            expiry,
            csc,
            brand_choice: None,
            amount: Amount(1000),
            currency: Currency::EUR,
            kind: TransactionKind::Debit,
            today: today(),
        })
    }

    fn code(digits: &str) -> &'static str {
        answer_with(digits, VALID, Some("123")).acquirer_response_code
    }

    #[test]
    fn lyra_test_cards_accepted() {
        for ending in ["00", "01", "03", "09", "55"] {
            let digits = format!("49701000000000{ending}");
            let answer = answer_with(&digits, VALID, Some("123"));
            assert_eq!(
                answer,
                Answer { acquirer_response_code: "00", guarantee_indicator: None, card_csc_result_code: Some("4D") },
                "{digits}"
            );
        }
    }

    #[test]
    fn lyra_card_without_warranty() {
        let answer = answer_with("4970100000000007", VALID, Some("123"));
        assert!(answer.is_accepted());
        assert_eq!(answer.guarantee_indicator, Some("N"));
    }

    #[test]
    fn lyra_refused_card() {
        let answer = answer_with("4970100000000002", VALID, Some("123"));
        assert_eq!(answer.acquirer_response_code, "05");
        assert_eq!(answer.guarantee_indicator, None);
        assert_eq!(answer.card_csc_result_code, Some("4D"));
    }

    #[test]
    fn lyra_three_ds_failure_card_is_accepted_by_the_issuer() {
        // Rule 4 would refuse …97 (timeout); the 3-D Secure step is what fails this card.
        assert_eq!(code("4100000000000097"), "97");
        assert_eq!(code("4970100000000097"), "00");
    }

    #[test]
    fn lyra_card_limit_exceeded() {
        assert_eq!(code("4970100000000098"), "51");
    }

    #[test]
    fn lyra_wrong_cvv_card() {
        let answer = answer_with("4970100000000099", VALID, Some("123"));
        assert_eq!(answer.acquirer_response_code, "05");
        assert_eq!(answer.card_csc_result_code, Some("4E"));
        assert!(!answer.is_unavailable(), "…99 here is not the unavailable code");
        // Without a CSC there is nothing to call wrong, but the card stays refused.
        let answer = answer_with("4970100000000099", VALID, None);
        assert_eq!(answer.acquirer_response_code, "05");
        assert_eq!(answer.card_csc_result_code, None);
    }

    #[test]
    fn lyra_test_cards_beat_the_last_two_digits() {
        assert_eq!(code("4100000000000003"), "03");
        assert_eq!(code("4970100000000003"), "00");
        assert_eq!(code("4100000000000055"), "55");
        assert_eq!(code("4970100000000055"), "00");
        assert_eq!(code("4100000000000002"), "02");
        assert_eq!(code("4970100000000002"), "05");
    }

    #[test]
    fn other_lyra_range_numbers_follow_the_last_two_digits() {
        assert_eq!(code("4970100000000005"), "05");
        assert_eq!(code("4970100000000051"), "51");
        assert_eq!(code("4970101122334406"), "00");
        // 17 digits: not the test card …0002 but a number ending in 02.
        assert_eq!(code("49701000000000002"), "02");
    }

    #[test]
    fn each_listed_code_is_the_answer() {
        for listed in SIMULATION_CODES {
            let digits = format!("41000000000000{listed}");
            assert_eq!(code(&digits), listed, "{digits}");
        }
    }

    #[test]
    fn an_unlisted_code_is_accepted() {
        for ending in ["00", "01", "04", "42", "96", "98"] {
            let digits = format!("41000000000000{ending}");
            assert_eq!(code(&digits), "00", "{digits}");
        }
    }

    #[test]
    fn last_two_digits_apply_to_every_brand_and_real_numbers() {
        for bin in ["410000", "420000", "430000", "510000", "520000", "340000", "500000"] {
            assert_eq!(code(&format!("{bin}0000000051")), "51", "{bin}");
        }
        // Luhn-valid ordinary numbers: the check digit picks the answer too.
        assert_eq!(code("4000000000000002"), "02");
        assert_eq!(code("4242424242424242"), "00");
    }

    #[test]
    fn simulation_numbers_are_not_luhn_checked() {
        let pan = Pan::parse("4100000000000005").unwrap();
        assert!(!pan.passes_luhn());
        assert!(is_luhn_exempt(&pan));
        assert_eq!(code("4100000000000005"), "05");
        let pan = Pan::parse("4970100000000000").unwrap();
        assert!(!pan.passes_luhn());
        assert_eq!(code("4970100000000000"), "00");
    }

    #[test]
    fn other_numbers_failing_luhn_are_invalid() {
        let pan = Pan::parse("4111111111111112").unwrap();
        assert!(!pan.passes_luhn());
        assert!(!is_luhn_exempt(&pan));
        let answer = answer_with("4111111111111112", VALID, Some("123"));
        assert_eq!(answer.acquirer_response_code, "14");
        // The issuer never saw the card, so nothing is said about the CSC.
        assert_eq!(answer.card_csc_result_code, None);
        // One digit off a simulation BIN is an ordinary number.
        assert_eq!(code("4100010000000001"), "14");
        assert_eq!(code("4970110000000000"), "14");
    }

    #[test]
    fn expired_card() {
        let last_month = CardExpiry::new(2025, 12).unwrap();
        let answer = answer_with("4100000000000000", last_month, Some("123"));
        assert_eq!(answer.acquirer_response_code, "54");
        assert_eq!(answer.card_csc_result_code, None);
        let this_month = CardExpiry::new(2026, 1).unwrap();
        assert_eq!(answer_with("4100000000000000", this_month, None).acquirer_response_code, "00");
    }

    #[test]
    fn luhn_comes_before_expiry() {
        let expired = CardExpiry::new(2020, 1).unwrap();
        let answer = answer_with("4111111111111112", expired, None);
        assert_eq!(answer.acquirer_response_code, "14");
    }

    #[test]
    fn expiry_comes_before_test_cards_and_last_digits() {
        let expired = CardExpiry::new(2020, 1).unwrap();
        for digits in ["4970100000000000", "4970100000000002", "4100000000000005"] {
            let answer = answer_with(digits, expired, None);
            assert_eq!(answer.acquirer_response_code, "54", "{digits}");
        }
    }

    #[test]
    fn unavailable() {
        for ending in ["90", "99"] {
            let digits = format!("41000000000000{ending}");
            let answer = answer_with(&digits, VALID, Some("123"));
            assert_eq!(answer.acquirer_response_code, ending);
            assert!(answer.is_unavailable());
            assert!(!answer.is_accepted());
            assert_eq!(answer.card_csc_result_code, None);
            assert_eq!(answer.guarantee_indicator, None);
        }
    }

    #[test]
    fn csc_result() {
        let with = answer_with("4100000000000000", VALID, Some("123"));
        assert_eq!(with.card_csc_result_code, Some("4D"));
        let without = answer_with("4100000000000000", VALID, None);
        assert_eq!(without.card_csc_result_code, None);
        // A refusal for another reason still reports the CSC the issuer checked.
        let refused = answer_with("4100000000000005", VALID, Some("123"));
        assert_eq!(refused.card_csc_result_code, Some("4D"));
    }

    #[test]
    fn guarantee_is_left_to_three_d_secure() {
        for digits in ["4100000000000000", "4970100000000000", "4970100000000097"] {
            let answer = answer_with(digits, VALID, None);
            assert_eq!(answer.guarantee_indicator, None, "{digits}");
        }
    }
}
