//! The typed values of a payment form, each with its wire spelling.

use caisse_core::Amount;
use chrono::NaiveDate;

/// `vads_action_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionMode {
    /// The buyer enters the card on the payment page.
    Interactive,
    /// The merchant posts the card data (an option caisse's shops do not have).
    Silent,
}

impl ActionMode {
    pub fn parse(text: &str) -> Option<ActionMode> {
        match text {
            "INTERACTIVE" => Some(ActionMode::Interactive),
            "SILENT" => Some(ActionMode::Silent),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ActionMode::Interactive => "INTERACTIVE",
            ActionMode::Silent => "SILENT",
        }
    }
}

/// `vads_page_action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageAction {
    Payment,
    Register,
    RegisterUpdate,
    RegisterPay,
    RegisterSubscribe,
    RegisterPaySubscribe,
    Subscribe,
    RegisterUpdatePay,
    AskRegisterPay,
}

impl PageAction {
    const ALL: [(PageAction, &'static str); 9] = [
        (PageAction::Payment, "PAYMENT"),
        (PageAction::Register, "REGISTER"),
        (PageAction::RegisterUpdate, "REGISTER_UPDATE"),
        (PageAction::RegisterPay, "REGISTER_PAY"),
        (PageAction::RegisterSubscribe, "REGISTER_SUBSCRIBE"),
        (PageAction::RegisterPaySubscribe, "REGISTER_PAY_SUBSCRIBE"),
        (PageAction::Subscribe, "SUBSCRIBE"),
        (PageAction::RegisterUpdatePay, "REGISTER_UPDATE_PAY"),
        (PageAction::AskRegisterPay, "ASK_REGISTER_PAY"),
    ];

    pub fn parse(text: &str) -> Option<PageAction> {
        PageAction::ALL.iter().find(|(_, name)| *name == text).map(|(action, _)| *action)
    }

    pub fn as_str(self) -> &'static str {
        PageAction::ALL.iter().find(|(action, _)| *action == self).map_or("PAYMENT", |(_, name)| name)
    }

    /// Whether the form needs a transaction (trans id, amount, currency, payment config):
    /// every action but the two that only create or update a token.
    pub fn needs_transaction(self) -> bool {
        !matches!(self, PageAction::Register | PageAction::RegisterUpdate)
    }

    /// Whether the buyer pays now (the amount must not be zero).
    pub fn pays(self) -> bool {
        matches!(
            self,
            PageAction::Payment
                | PageAction::RegisterPay
                | PageAction::RegisterPaySubscribe
                | PageAction::RegisterUpdatePay
                | PageAction::AskRegisterPay
        )
    }

    /// Whether the form creates a subscription (`vads_sub_*` required).
    pub fn subscribes(self) -> bool {
        matches!(self, PageAction::RegisterSubscribe | PageAction::RegisterPaySubscribe | PageAction::Subscribe)
    }

    /// Whether the form works on an existing token (`vads_identifier` required).
    pub fn uses_existing_token(self) -> bool {
        matches!(self, PageAction::RegisterUpdate | PageAction::RegisterUpdatePay | PageAction::Subscribe)
    }
}

/// `vads_payment_config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentConfig {
    Single,
    /// `MULTI:first=<amount>;count=<n>;period=<days>`: `first` now, the rest split over
    /// `count - 1` installments `period` days apart.
    Multi {
        first: Amount,
        count: u32,
        period: u32,
    },
    /// `MULTI_EXT:<YYYYMMDD>=<amount>;…`: explicit schedule, dates in order.
    MultiExt(Vec<(NaiveDate, Amount)>),
}

impl PaymentConfig {
    pub fn parse(text: &str) -> Option<PaymentConfig> {
        if text == "SINGLE" {
            return Some(PaymentConfig::Single);
        }
        if let Some(rest) = text.strip_prefix("MULTI:") {
            let mut parts = rest.split(';');
            let first = parts.next()?.strip_prefix("first=").and_then(amount)?;
            let count = parts.next()?.strip_prefix("count=").and_then(|c| small_number(c, 3))?;
            let period = parts.next()?.strip_prefix("period=").and_then(|p| small_number(p, 3))?;
            if parts.next().is_some() || count < 2 || period == 0 {
                return None;
            }
            return Some(PaymentConfig::Multi { first, count, period });
        }
        let rest = text.strip_prefix("MULTI_EXT:")?;
        let mut schedule = Vec::new();
        for part in rest.split(';') {
            let (date, value) = part.split_once('=')?;
            let date = date8(date)?;
            if schedule.last().is_some_and(|(last, _): &(NaiveDate, Amount)| *last >= date) {
                return None;
            }
            schedule.push((date, amount(value)?));
        }
        (schedule.len() >= 2).then_some(PaymentConfig::MultiExt(schedule))
    }
}

/// `vads_validation_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValidationMode {
    Automatic,
    Manual,
}

impl ValidationMode {
    pub fn parse(text: &str) -> Option<ValidationMode> {
        match text {
            "0" => Some(ValidationMode::Automatic),
            "1" => Some(ValidationMode::Manual),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ValidationMode::Automatic => "0",
            ValidationMode::Manual => "1",
        }
    }
}

/// `vads_return_mode`: how results go back with the buyer. Absent means `Get` (PROTOCOLS.md §4:
/// the fields in a percent-encoded query string); `None`: the return URL with no parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReturnMode {
    #[default]
    Get,
    Post,
    None,
}

impl ReturnMode {
    pub fn parse(text: &str) -> Option<ReturnMode> {
        match text {
            "GET" => Some(ReturnMode::Get),
            "POST" => Some(ReturnMode::Post),
            "NONE" => Some(ReturnMode::None),
            _ => None,
        }
    }
}

/// `vads_product_vatN`: a tax amount in minor units, or a rate in percent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProductVat {
    Amount(Amount),
    /// The rate as sent (`20.0`, `19.6532`).
    Rate(String),
}

impl ProductVat {
    pub fn parse(text: &str) -> Option<ProductVat> {
        match text.split_once('.') {
            None => amount(text).map(ProductVat::Amount),
            Some((units, decimals)) => {
                let units_ok = !units.is_empty() && units.len() <= 2 && units.bytes().all(|b| b.is_ascii_digit());
                let decimals_ok = (1..=4).contains(&decimals.len()) && decimals.bytes().all(|b| b.is_ascii_digit());
                (units_ok && decimals_ok).then(|| ProductVat::Rate(text.to_owned()))
            }
        }
    }
}

/// One cart line (`vads_product_*N`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CartLine {
    pub label: String,
    /// Unit amount, VAT included.
    pub amount: Amount,
    pub product_type: String,
    pub reference: String,
    pub quantity: u64,
    pub vat: Option<ProductVat>,
    pub ext_id: Option<String>,
}

/// An n..12 amount.
pub(crate) fn amount(text: &str) -> Option<Amount> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().map(Amount)
}

fn small_number(text: &str, digits: usize) -> Option<u32> {
    if text.is_empty() || text.len() > digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `YYYYMMDD`, a real date.
pub(crate) fn date8(text: &str) -> Option<NaiveDate> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y%m%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_configs() {
        assert_eq!(PaymentConfig::parse("SINGLE"), Some(PaymentConfig::Single));
        assert_eq!(
            PaymentConfig::parse("MULTI:first=10000;count=4;period=30"),
            Some(PaymentConfig::Multi { first: Amount(10000), count: 4, period: 30 })
        );
        let day = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        assert_eq!(
            PaymentConfig::parse("MULTI_EXT:20261201=5000;20261215=2500"),
            Some(PaymentConfig::MultiExt(vec![(day(1), Amount(5000)), (day(15), Amount(2500))]))
        );
        for bad in [
            "single",
            "MULTI",
            "MULTI:",
            "MULTI:count=4;first=100;period=30",
            "MULTI:first=100;count=1;period=30",
            "MULTI:first=100;count=4;period=0",
            "MULTI:first=100;count=4;period=30;",
            "MULTI:first=1.5;count=4;period=30",
            "MULTI_EXT:20261201=5000",
            "MULTI_EXT:20261215=5000;20261201=2500",
            "MULTI_EXT:20261301=5000;20261401=2500",
            "MULTI_EXT:20261201=50x0;20261215=2500",
            "",
        ] {
            assert_eq!(PaymentConfig::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn product_vat() {
        assert_eq!(ProductVat::parse("2000"), Some(ProductVat::Amount(Amount(2000))));
        assert_eq!(ProductVat::parse("20.0"), Some(ProductVat::Rate("20.0".into())));
        assert_eq!(ProductVat::parse("19.6532"), Some(ProductVat::Rate("19.6532".into())));
        for bad in ["100.0", "20.", ".5", "19.65321", "20,0", "-1", "abc"] {
            assert_eq!(ProductVat::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn page_actions_round_trip() {
        for name in super::super::dictionary::PAGE_ACTIONS {
            assert_eq!(PageAction::parse(name).map(PageAction::as_str), Some(*name));
        }
        assert!(!PageAction::Register.needs_transaction());
        assert!(PageAction::RegisterSubscribe.needs_transaction());
        assert!(!PageAction::RegisterSubscribe.pays());
        assert!(PageAction::AskRegisterPay.pays());
    }
}
