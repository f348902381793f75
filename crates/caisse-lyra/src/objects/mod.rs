//! The platform's objects, built from core values with every declared key, `null` when
//! unknown, in the order recorded on the wire (research §3).
//!
//! - `status`: core status → `detailedStatus` and `status`, the one mapping.
//! - `customer`: `V4/Customer/Customer` from what the merchant sent.
//! - `card`: `cardDetails` and its sub-objects.
//! - `transaction`: `V4/PaymentTransaction`, `V4/Transaction`, `V4/TransactionDetails`.
//! - `payment`: `V4/Payment`, `V4/OrderTransactions`.
//! - `token`, `subscription`: `V4/Token`, `V4/Subscription`.

pub mod card;
pub mod customer;
pub mod payment;
pub mod status;
pub mod subscription;
pub mod token;
pub mod transaction;

use caisse_core::card::CardSummary;
use caisse_core::transaction::Transaction;
use chrono::{DateTime, Utc};

/// A transaction and what its row alone does not say.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub transaction: &'a Transaction,
    /// When the capture batch captured (or credited) it, from its operations.
    pub captured_at: Option<DateTime<Utc>>,
}

impl<'a> View<'a> {
    /// A transaction fresh from an authorisation or a refund: nothing captured yet.
    pub fn fresh(transaction: &'a Transaction) -> View<'a> {
        View { transaction, captured_at: None }
    }
}

/// `2026-11-28T14:02:17+00:00`: seconds, numeric offset (research §1.3). Written by hand:
/// an answer has half a dozen dates and chrono's formatter showed in profiles.
pub fn date_time(at: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    fn two(text: &mut String, value: u32) {
        text.push(char::from(b'0' + (value / 10 % 10) as u8));
        text.push(char::from(b'0' + (value % 10) as u8));
    }
    let year = at.year();
    if !(0..=9999).contains(&year) {
        return at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    }
    let mut text = String::with_capacity(25);
    let year = year as u32;
    two(&mut text, year / 100);
    two(&mut text, year % 100);
    text.push('-');
    two(&mut text, at.month());
    text.push('-');
    two(&mut text, at.day());
    text.push('T');
    two(&mut text, at.hour());
    text.push(':');
    two(&mut text, at.minute());
    text.push(':');
    two(&mut text, at.second());
    text.push_str("+00:00");
    text
}

/// Lyra's mask: first six and last four digits, `X` between (`497010XXXXXX0000`). The core
/// keeps the BIN and the last four in the clear; the Sips mask it keeps has the PAN's length.
pub fn masked_pan(card: &CardSummary) -> String {
    let length = card.masked_pan.chars().count().max(card.bin.len() + card.last_four.len());
    let hidden = length - card.bin.len() - card.last_four.len();
    format!("{}{}{}", card.bin, "X".repeat(hidden), card.last_four)
}

/// `mid`: the acquiring contract number. The platform shows a 7-digit number derived from the
/// shop (demo shop 69876357 → `9876357`); caisse shows the shop id without its first digit.
pub fn mid(shop_id: &str) -> String {
    shop_id.get(1..).unwrap_or(shop_id).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use caisse_core::card::{CardBrand, CardExpiry};
    use chrono::TimeZone;

    #[test]
    fn lyra_mask_from_the_summary() {
        let card = CardSummary {
            card_id: "c".into(),
            masked_pan: "4970##########00".into(),
            bin: "497010".into(),
            last_four: "0000".into(),
            expiry: CardExpiry { year: 2030, month: 11 },
            brand: CardBrand::Cb,
            co_brands: vec![CardBrand::Visa],
        };
        assert_eq!(masked_pan(&card), "497010XXXXXX0000");
        let short = CardSummary { masked_pan: "4970####00".into(), ..card };
        assert_eq!(masked_pan(&short), "4970100000");
    }

    #[test]
    fn formats() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 14, 2, 17).unwrap();
        assert_eq!(date_time(at), "2026-11-25T14:02:17+00:00");
        let early = Utc.with_ymd_and_hms(987, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(date_time(early), early.format("%Y-%m-%dT%H:%M:%S+00:00").to_string());
        assert_eq!(mid("69876357"), "9876357");
    }
}
