//! Form API payment forms as a shop's site builds them (PROTOCOLS.md §3), signed with the
//! preloaded shop's TEST key. The card form is what the buyer's browser then posts on the
//! hosted page.

use bytes::Bytes;
use caisse_lyra::form::{SignatureAlgorithm, sign};
use chrono::{DateTime, Utc};
use std::ops::Range;

/// PROTOCOLS.md §3's example shop and its TEST key (migration 0009 preloads both).
pub const SHOP: &str = "12345678";
const TEST_KEY: &str = "1122334455667788";

/// A card the simulated directory server reports as not enrolled in 3-D Secure: the hosted
/// page pays it at once and answers the result page.
pub const CARD_FORM: &[u8] = b"card_number=4970100000000001&expiry_month=12&expiry_year=2030&cvv=123&action=pay";

/// The `index`-th `vads_trans_id`: `b` and five base-36 digits, 36^5 (60 million) distinct
/// ids, lower case (uniqueness is case-insensitive), never the platform's 900000–999999.
pub fn trans_id(index: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut id = *b"b00000";
    let mut rest = index;
    for slot in id[1..].iter_mut().rev() {
        *slot = DIGITS[rest % 36];
        rest /= 36;
    }
    assert!(rest == 0, "more than 36^5 forms in one run");
    String::from_utf8(id.to_vec()).expect("ASCII digits")
}

/// The forms whose `vads_trans_id` are the ones at `indexes`, all dated `now` (the platform
/// accepts a `vads_trans_date` up to 30 minutes old). No `vads_url_check`: the shop's rule,
/// which has no URL, decides where the IPN goes.
pub fn signed_forms(indexes: Range<usize>, now: DateTime<Utc>) -> Vec<Bytes> {
    let date = now.format("%Y%m%d%H%M%S").to_string();
    indexes
        .map(|index| {
            let amount = (100 + index % 9000).to_string();
            let trans_id = trans_id(index);
            let order_id = format!("BENCH-{trans_id}");
            signed(&[
                ("vads_action_mode", "INTERACTIVE"),
                ("vads_amount", &amount),
                ("vads_ctx_mode", "TEST"),
                ("vads_currency", "978"),
                ("vads_order_id", &order_id),
                ("vads_page_action", "PAYMENT"),
                ("vads_payment_config", "SINGLE"),
                ("vads_site_id", SHOP),
                ("vads_trans_date", &date),
                ("vads_trans_id", &trans_id),
                ("vads_version", "V2"),
            ])
        })
        .collect()
}

/// The urlencoded body of `fields` and their signature (HMAC-SHA-256, the shop's TEST key).
fn signed(fields: &[(&str, &str)]) -> Bytes {
    let signature = sign(SignatureAlgorithm::HmacSha256, TEST_KEY, fields.iter().copied());
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.extend_pairs(fields.iter().copied());
    body.append_pair("signature", &signature);
    Bytes::from(body.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trans_ids_count_in_base_36() {
        assert_eq!(trans_id(0), "b00000");
        assert_eq!(trans_id(35), "b0000z");
        assert_eq!(trans_id(36), "b00010");
        assert_eq!(trans_id(36usize.pow(5) - 1), "bzzzzz");
    }

    #[test]
    fn signature_is_protocols_vector() {
        // PROTOCOLS.md §3's vector.
        let body = signed(&[
            ("vads_action_mode", "INTERACTIVE"),
            ("vads_amount", "1524"),
            ("vads_ctx_mode", "TEST"),
            ("vads_currency", "978"),
            ("vads_page_action", "PAYMENT"),
            ("vads_payment_config", "SINGLE"),
            ("vads_site_id", "12345678"),
            ("vads_trans_date", "20090501193530"),
            ("vads_trans_id", "654321"),
            ("vads_version", "V2"),
        ]);
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let signature = &pairs.last().expect("a signature").1;
        assert_eq!(signature, "O1ycab+xOkAmToSWeEE2hj39aAKCQ2IxGK+JxKv8iUI=");
    }
}
