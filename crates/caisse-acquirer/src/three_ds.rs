//! How a test card behaves in 3-D Secure, decided from its number alone so that the
//! enrolment check, the ACS page and the authorisation agree (PROTOCOLS.md §1 "Simulated
//! acquirer", §2 "Test cards").

use crate::bin_table::{self, RangeOrigin};
use crate::simulation::lyra_test_card_ending;
use caisse_core::card::Pan;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreeDsProfile {
    /// Enrolled; authenticated without asking the holder.
    Frictionless,
    /// Enrolled; the ACS page asks, and the tester picks the result there.
    Challenge,
    /// Not enrolled: the payment goes on without authentication.
    NotEnrolled,
    /// Enrolled; authentication fails.
    Failed,
}

/// The 3-D Secure behaviour of a card number.
pub fn three_ds_profile(pan: &Pan) -> ThreeDsProfile {
    if let Some(ending) = lyra_test_card_ending(pan) {
        return match ending {
            "09" => ThreeDsProfile::Challenge,
            "01" | "03" => ThreeDsProfile::NotEnrolled,
            "97" => ThreeDsProfile::Failed,
            // 00 and 55, and the cards whose point is the authorisation (02, 07, 98, 99).
            _ => ThreeDsProfile::Frictionless,
        };
    }
    // "Every simulated card is 3-D Secure enrolled; the ACS page lets the tester pick."
    match bin_table::lookup(pan.digits()).map(|range| range.origin) {
        Some(RangeOrigin::SipsSimulation) => ThreeDsProfile::Challenge,
        Some(RangeOrigin::LyraTest | RangeOrigin::Scheme) | None => ThreeDsProfile::Frictionless,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(digits: &str) -> ThreeDsProfile {
        three_ds_profile(&Pan::parse(digits).unwrap())
    }

    #[test]
    fn lyra_test_cards() {
        assert_eq!(profile("4970100000000000"), ThreeDsProfile::Frictionless);
        assert_eq!(profile("4970100000000055"), ThreeDsProfile::Frictionless);
        assert_eq!(profile("4970100000000009"), ThreeDsProfile::Challenge);
        assert_eq!(profile("4970100000000001"), ThreeDsProfile::NotEnrolled);
        assert_eq!(profile("4970100000000003"), ThreeDsProfile::NotEnrolled);
        assert_eq!(profile("4970100000000097"), ThreeDsProfile::Failed);
        for ending in ["02", "07", "98", "99"] {
            let digits = format!("49701000000000{ending}");
            assert_eq!(profile(&digits), ThreeDsProfile::Frictionless, "{digits}");
        }
    }

    #[test]
    fn other_numbers_of_the_lyra_range_are_frictionless() {
        assert_eq!(profile("4970101122334406"), ThreeDsProfile::Frictionless);
        // Not exactly a test card: 17 digits.
        assert_eq!(profile("49701000000000097"), ThreeDsProfile::Frictionless);
    }

    #[test]
    fn every_simulation_bin_card_is_challenged() {
        for bin in ["410000", "420000", "430000", "510000", "520000", "340000", "500000"] {
            for ending in ["00", "01", "09", "97"] {
                let digits = format!("{bin}00000000{ending}");
                assert_eq!(profile(&digits), ThreeDsProfile::Challenge, "{digits}");
            }
        }
    }

    #[test]
    fn other_cards_are_frictionless() {
        assert_eq!(profile("4111111111111111"), ThreeDsProfile::Frictionless);
        assert_eq!(profile("5555555555554444"), ThreeDsProfile::Frictionless);
        assert_eq!(profile("9999999999999995"), ThreeDsProfile::Frictionless);
    }
}
