//! Cpay (`vads_payment_cards=AURORE-MULTI`, Cetelem): which forms go to the Cpay page, the day
//! they capture on, and the financial conditions the buyer accepts before an instalment plan.
//! The form constraints themselves are in `rules` (EUR, France, automatic validation, PAYMENT,
//! SINGLE); choices in docs/form-api-choices.md, "Cpay".

use super::dictionary::CPAY_CARD;
use super::request::PaymentRequest;
use caisse_core::Amount;
use caisse_core::cpay::CpayOption;
use caisse_core::transaction::CaptureMode;

/// Whether the hosted page goes straight to Cpay: the form asks for `AURORE-MULTI` alone. (A
/// list that names it among others gets Cpay's form constraints, `PaymentRequest::is_cpay`,
/// but the page has no means-selection step: it takes a card.)
pub fn is_cpay(request: &PaymentRequest) -> bool {
    matches!(request.payment_cards.as_slice(), [only] if only == CPAY_CARD)
}

/// Days before capture: 0 for Cpay whatever `vads_capture_delay` said ("toute valeur
/// différente de 0 est ignorée"); otherwise the form's delay (none: 0), at most 99.
pub fn capture_day(request: &PaymentRequest) -> u8 {
    if request.is_cpay() {
        return 0;
    }
    let delay = request.capture_delay.unwrap_or(0).min(u16::from(CaptureMode::MAX_CAPTURE_DAY));
    u8::try_from(delay).unwrap_or(CaptureMode::MAX_CAPTURE_DAY)
}

/// What the buyer is shown and accepts: the monthly instalments of `amount` under the option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FinancialConditions {
    pub option: CpayOption,
    /// The amount financed: the payment's.
    pub amount: Amount,
    pub instalments: u8,
    /// The first instalment takes the rounding, so that the instalments add up to `total_due`.
    pub first_instalment: Amount,
    /// Each of the other `instalments - 1`; zero when there is one instalment.
    pub other_instalments: Amount,
    pub total_due: Amount,
    /// Interest: `total_due - amount`.
    pub cost: Amount,
    /// TAEG (taux annuel effectif global), in hundredths of a percent.
    pub annual_rate_basis_points: u32,
    /// Taux débiteur fixe (the nominal annual rate the instalments are computed with).
    pub debit_rate_basis_points: u32,
}

/// The simulated Cetelem's fixed debit rate per option, in basis points per year.
pub fn debit_rate_basis_points(option: CpayOption) -> u32 {
    match option {
        CpayOption::Comptant | CpayOption::Instalments5 => 0,
        CpayOption::Credit => 2_000,
        CpayOption::Instalments10 => 900,
        CpayOption::Instalments20 => 1_500,
    }
}

/// Fixed point of the rate arithmetic: 10^18 is one.
const ONE: u128 = 1_000_000_000_000_000_000;
/// Basis points per year over months: the monthly rate is `bp / MONTHLY_DIVISOR`.
const MONTHLY_DIVISOR: u128 = 12 * 10_000;

/// `(1 + bp / 120000)^months` in fixed point. Integers only: no float rounding differs
/// between machines. At most 20 % a year over 20 months, it stays below 2 × ONE.
fn growth(rate_bp: u32, months: u32) -> u128 {
    (0..months).fold(ONE, |factor, _| factor * (MONTHLY_DIVISOR + u128::from(rate_bp)) / MONTHLY_DIVISOR)
}

/// `numerator / denominator` rounded half up.
fn rounded(numerator: u128, denominator: u128) -> u128 {
    (numerator + denominator / 2) / denominator
}

fn amount(value: u128) -> Amount {
    // Bounded by the amount times 1.5: `vads_amount` is n..12, far below u64.
    Amount(u64::try_from(value).unwrap_or(u64::MAX))
}

/// The conditions of paying `amount` with `option`: an amortised loan repaid in equal monthly
/// instalments at the option's debit rate, in minor units.
pub fn conditions(option: CpayOption, amount_financed: Amount) -> FinancialConditions {
    let rate = debit_rate_basis_points(option);
    let count = option.instalments();
    let months = u32::from(count);
    let principal = u128::from(amount_financed.minor_units());
    // One instalment is P·i·f / (f − 1) with i the monthly rate and f = (1 + i)^n, in
    // fixed point: P·bp·f / (120000·(f − ONE)). At rate 0 it is P / n.
    let (numerator, denominator) = if rate == 0 {
        (principal, u128::from(count))
    } else {
        let factor = growth(rate, months);
        (principal * u128::from(rate) * factor, MONTHLY_DIVISOR * (factor - ONE))
    };
    let total_due = rounded(numerator * u128::from(count), denominator);
    // Rounded down so that the first, which takes the rest, is never below the others.
    let other = if count == 1 { 0 } else { numerator / denominator };
    let first = total_due - other * u128::from(count - 1);
    let total_due = amount(total_due);
    FinancialConditions {
        option,
        amount: amount_financed,
        instalments: count,
        first_instalment: amount(first),
        other_instalments: amount(other),
        total_due,
        cost: total_due.checked_sub(amount_financed).unwrap_or(Amount::ZERO),
        annual_rate_basis_points: annual_rate(rate),
        debit_rate_basis_points: rate,
    }
}

/// TAEG of a monthly-compounded debit rate: `(1 + bp / 120000)^12 − 1`, in basis points.
fn annual_rate(rate_bp: u32) -> u32 {
    let yearly = growth(rate_bp, 12) - ONE;
    u32::try_from(rounded(yearly * 10_000, ONE)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::test_support::request;
    use proptest::prelude::*;

    #[test]
    fn cpay_alone_goes_to_the_cpay_page() {
        assert!(is_cpay(&request(&[("vads_payment_cards", "AURORE-MULTI")])));
        assert!(!is_cpay(&request(&[("vads_payment_cards", "CB;AURORE-MULTI")])));
        assert!(!is_cpay(&request(&[("vads_payment_cards", "CB")])));
        assert!(!is_cpay(&request(&[])));
    }

    #[test]
    fn cpay_captures_the_same_day_whatever_the_delay() {
        assert_eq!(capture_day(&request(&[("vads_payment_cards", "AURORE-MULTI"), ("vads_capture_delay", "5")])), 0);
        assert_eq!(capture_day(&request(&[("vads_payment_cards", "CB;AURORE-MULTI"), ("vads_capture_delay", "3")])), 0);
        assert_eq!(capture_day(&request(&[("vads_capture_delay", "5")])), 5);
        assert_eq!(capture_day(&request(&[("vads_capture_delay", "365")])), 99);
        assert_eq!(capture_day(&request(&[])), 0);
    }

    #[test]
    fn comptant_is_one_instalment_of_the_amount() {
        let paid = conditions(CpayOption::Comptant, Amount(2990));
        assert_eq!(paid.instalments, 1);
        assert_eq!(paid.first_instalment, Amount(2990));
        assert_eq!(paid.other_instalments, Amount::ZERO);
        assert_eq!(paid.total_due, Amount(2990));
        assert_eq!((paid.cost, paid.annual_rate_basis_points), (Amount::ZERO, 0));
    }

    #[test]
    fn known_conditions() {
        // 5× without interest: 1000.00 € is 200.00 € five times; 10.01 € puts the cent first.
        let five = conditions(CpayOption::Instalments5, Amount(100_000));
        assert_eq!(
            (five.first_instalment, five.other_instalments, five.cost),
            (Amount(20_000), Amount(20_000), Amount::ZERO)
        );
        let odd = conditions(CpayOption::Instalments5, Amount(1001));
        assert_eq!((odd.first_instalment, odd.other_instalments), (Amount(201), Amount(200)));
        // Crédit: 1000.00 € over 12 months at 20 %: 92.63 € a month (92.6345… exactly),
        // 1111.61 € in all, TAEG 21.94 %.
        let credit = conditions(CpayOption::Credit, Amount(100_000));
        assert_eq!(credit.instalments, 12);
        assert_eq!(credit.other_instalments, Amount(9_263));
        assert_eq!(credit.total_due, Amount(111_161));
        assert_eq!(credit.first_instalment, Amount(111_161 - 11 * 9_263));
        assert_eq!(credit.cost, Amount(11_161));
        assert_eq!((credit.annual_rate_basis_points, credit.debit_rate_basis_points), (2_194, 2_000));
        // 10× at 9 % (TAEG 9.38 %), 20× at 15 % (TAEG 16.08 %).
        let ten = conditions(CpayOption::Instalments10, Amount(100_000));
        assert_eq!((ten.other_instalments, ten.annual_rate_basis_points), (Amount(10_417), 938));
        let twenty = conditions(CpayOption::Instalments20, Amount(100_000));
        assert_eq!((twenty.other_instalments, twenty.annual_rate_basis_points), (Amount(5_682), 1_608));
    }

    proptest! {
        #[test]
        fn instalments_add_up_to_the_total_due(minor in 1u64..=999_999_999_999, index in 0usize..5) {
            let option = CpayOption::ALL[index];
            let paid = conditions(option, Amount(minor));
            prop_assert_eq!(paid.instalments, option.instalments());
            let others = paid.other_instalments.minor_units() * u64::from(paid.instalments - 1);
            prop_assert_eq!(paid.first_instalment.minor_units() + others, paid.total_due.minor_units());
            prop_assert_eq!(paid.cost.minor_units(), paid.total_due.minor_units() - minor);
            prop_assert!(paid.total_due >= paid.amount);
            prop_assert!(paid.first_instalment >= paid.other_instalments);
            // The first takes at most one cent per instalment more than the others.
            let extra = paid.first_instalment.minor_units() - paid.other_instalments.minor_units();
            prop_assert!(paid.instalments == 1 || extra <= u64::from(paid.instalments));
            if debit_rate_basis_points(option) == 0 {
                prop_assert_eq!(paid.total_due, paid.amount);
            }
        }
    }
}
