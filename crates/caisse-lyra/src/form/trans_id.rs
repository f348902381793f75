//! `vads_trans_id` is unique per shop per UTC day, whatever its case ("ABC123" and "abc123"
//! are the same), and echoed exactly as sent. The store keeps the key below; the request keeps
//! the id as sent.

use caisse_core::ShopId;
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

/// What makes a `vads_trans_id` unique: the shop, the UTC day of `vads_trans_date`, and the
/// id in lowercase.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransIdKey {
    pub shop_id: ShopId,
    pub day: NaiveDate,
    pub trans_id: String,
}

/// The key the store reserves a form's `vads_trans_id` under. The day is that of
/// `vads_trans_date` (UTC), which the merchant chose the id for and which the platform only
/// accepts close to its own clock.
pub fn trans_id_key(shop_id: &ShopId, trans_date: DateTime<Utc>, trans_id: &str) -> TransIdKey {
    TransIdKey { shop_id: shop_id.clone(), day: trans_date.date_naive(), trans_id: trans_id.to_ascii_lowercase() }
}

impl fmt::Display for TransIdKey {
    /// `<shop>:<YYYYMMDD>:<id>`, one text column for stores that want one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.shop_id, self.day.format("%Y%m%d"), self.trans_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, h, m, s).unwrap()
    }

    #[test]
    fn case_does_not_matter_and_the_day_is_utc() {
        let shop = ShopId("12345678".into());
        let key = trans_id_key(&shop, at(10, 0, 0, 25), "xrT15p");
        assert_eq!(key, trans_id_key(&shop, at(23, 59, 59, 25), "XRT15P"));
        assert_eq!(key.to_string(), "12345678:20261125:xrt15p");
        assert_ne!(key, trans_id_key(&shop, at(0, 0, 0, 26), "xrT15p"));
        assert_ne!(key, trans_id_key(&ShopId("87654321".into()), at(10, 0, 0, 25), "xrT15p"));
        assert_ne!(key, trans_id_key(&shop, at(10, 0, 0, 25), "xrT15q"));
    }
}
