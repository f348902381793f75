//! Cpay (formerly Aurore): Cetelem's revolving-credit card, `AURORE-MULTI` on the Form API.
//! The buyer picks how to pay on the hosted page; the option decides the refund rule.

use serde::{Deserialize, Serialize};

/// How the buyer chose to pay with a Cpay card: Cetelem's default modalities. Serialised as
/// its `code`, the value stored in the transaction's details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CpayOption {
    /// Paid in full at the next statement, no cost.
    #[serde(rename = "CPT")]
    Comptant,
    /// Drawn on the revolving credit, repaid monthly (see `instalments`).
    #[serde(rename = "CRD")]
    Credit,
    #[serde(rename = "5X")]
    Instalments5,
    #[serde(rename = "10X")]
    Instalments10,
    #[serde(rename = "20X")]
    Instalments20,
}

impl CpayOption {
    pub const ALL: [CpayOption; 5] = [
        CpayOption::Comptant,
        CpayOption::Credit,
        CpayOption::Instalments5,
        CpayOption::Instalments10,
        CpayOption::Instalments20,
    ];

    /// The option's code: stored, and sent in `vads_payment_option_code` (an..5).
    pub fn code(self) -> &'static str {
        match self {
            CpayOption::Comptant => "CPT",
            CpayOption::Credit => "CRD",
            CpayOption::Instalments5 => "5X",
            CpayOption::Instalments10 => "10X",
            CpayOption::Instalments20 => "20X",
        }
    }

    pub fn parse(code: &str) -> Option<CpayOption> {
        CpayOption::ALL.into_iter().find(|option| option.code() == code)
    }

    /// Monthly instalments the buyer repays. A revolving credit has no fixed term; caisse
    /// simulates it as 12 monthly repayments so its cost can be shown up front.
    pub fn instalments(self) -> u8 {
        match self {
            CpayOption::Comptant => 1,
            CpayOption::Credit => 12,
            CpayOption::Instalments5 => 5,
            CpayOption::Instalments10 => 10,
            CpayOption::Instalments20 => 20,
        }
    }

    /// Comptant and crédit refund in total or in part any day; the instalment plans only on
    /// the day of payment (Cetelem has set up the plan by the next day).
    pub fn refundable_any_day(self) -> bool {
        matches!(self, CpayOption::Comptant | CpayOption::Credit)
    }
}

impl std::fmt::Display for CpayOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_back_and_serialise_as_themselves() {
        for option in CpayOption::ALL {
            assert_eq!(CpayOption::parse(option.code()), Some(option));
            assert_eq!(serde_json::to_value(option).unwrap(), serde_json::json!(option.code()));
            assert_eq!(serde_json::from_value::<CpayOption>(serde_json::json!(option.code())).unwrap(), option);
        }
        assert!(CpayOption::ALL.iter().all(|option| option.code().len() <= 5));
        assert_eq!(CpayOption::parse("cpt"), None);
        assert_eq!(CpayOption::parse("3X"), None);
    }

    #[test]
    fn instalments_and_refund_rule() {
        let counts: Vec<u8> = CpayOption::ALL.iter().map(|option| option.instalments()).collect();
        assert_eq!(counts, [1, 12, 5, 10, 20]);
        let any_day: Vec<CpayOption> = CpayOption::ALL.into_iter().filter(|o| o.refundable_any_day()).collect();
        assert_eq!(any_day, [CpayOption::Comptant, CpayOption::Credit]);
    }
}
