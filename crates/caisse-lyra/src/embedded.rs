//! A REST V4 `formToken` on caisse's hosted page: what the page needs from the stored request
//! (the payment, the order, the buyer's language) and what it sends back — `kr-answer` and
//! `kr-hash` (PROTOCOLS.md §2) — to the browser return URLs the embedded client names
//! (`kr-post-url-success`, `kr-get-url-refused`…) and to the IPN.

use crate::fields::Fields;
use crate::kr::KrReturn;
use crate::objects::View;
use crate::objects::payment::payment;
use crate::services::common::order;
use caisse_core::payment_form::PaymentForm;
use caisse_core::payment_session::SessionPayment;
use caisse_core::transaction::Transaction;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The longest return URL taken (the platform's URL fields are ans..2048 or less).
const URL_CHARS_MAX: usize = 2048;

/// Where the browser goes back after a `formToken` payment, as the embedded client's script
/// attributes say; each must be an http(s) URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KrReturnUrls {
    pub post_success: Option<String>,
    pub get_success: Option<String>,
    pub post_refused: Option<String>,
    pub get_refused: Option<String>,
}

impl KrReturnUrls {
    /// From the page's query (`kr-post-url-success=…`); `Err` names the first bad one.
    pub fn from_query(pairs: &[(String, String)]) -> Result<KrReturnUrls, &'static str> {
        let mut urls = KrReturnUrls::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "kr-post-url-success" => &mut urls.post_success,
                "kr-get-url-success" => &mut urls.get_success,
                "kr-post-url-refused" => &mut urls.post_refused,
                "kr-get-url-refused" => &mut urls.get_refused,
                _ => continue,
            };
            let value = value.trim();
            let well_formed = (value.starts_with("https://") || value.starts_with("http://"))
                && value.len() <= URL_CHARS_MAX
                && !value.chars().any(char::is_whitespace);
            if !well_formed {
                return Err(match name.as_str() {
                    "kr-post-url-success" => "kr-post-url-success",
                    "kr-get-url-success" => "kr-get-url-success",
                    "kr-post-url-refused" => "kr-post-url-refused",
                    _ => "kr-get-url-refused",
                });
            }
            *slot = Some(value.to_owned());
        }
        Ok(urls)
    }

    /// Where an accepted (or refused) payment returns, and whether by POST.
    pub fn target(&self, accepted: bool) -> Option<(&str, bool)> {
        let (post, get) =
            if accepted { (&self.post_success, &self.get_success) } else { (&self.post_refused, &self.get_refused) };
        post.as_deref().map(|url| (url, true)).or_else(|| get.as_deref().map(|url| (url, false)))
    }
}

/// What the core authorises for the form: its amount and currency, the order as the REST
/// request gave it, its capture options. `None` if the stored request no longer reads (it was
/// checked when the token was made).
pub fn session_payment(form: &PaymentForm) -> Option<SessionPayment> {
    let fields = Fields::new(&form.request);
    let order = order(&fields).ok()?;
    let (capture_mode, capture_day) = crate::fields::transaction_card_options(&fields).ok()?.capture();
    Some(SessionPayment { amount: form.amount, currency: form.currency, capture_mode, capture_day, order })
}

/// The Form API fields that show the page for a `formToken` (shop, amount, language): the
/// page is the same whatever brought the buyer. `vads_trans_id` is derived from the token; no
/// `vads_` field of these ever leaves caisse.
pub fn page_pairs(form: &PaymentForm) -> Vec<(String, String)> {
    let digest = Sha256::digest(form.form_token.as_bytes());
    // Six digits, the first below 9: numeric trans ids from 900000 up are the platform's own.
    let trans_id: String = digest
        .iter()
        .take(6)
        .enumerate()
        .map(|(n, byte)| char::from(b'0' + byte % if n == 0 { 9 } else { 10 }))
        .collect();
    let mut pairs = vec![
        ("vads_action_mode", "INTERACTIVE".to_owned()),
        ("vads_amount", form.amount.minor_units().to_string()),
        ("vads_ctx_mode", form.mode.as_str().to_owned()),
        ("vads_currency", form.currency.numeric_code()),
        ("vads_page_action", "PAYMENT".to_owned()),
        ("vads_payment_config", "SINGLE".to_owned()),
        ("vads_site_id", form.shop_id.as_str().to_owned()),
        ("vads_trans_date", form.created_at.format("%Y%m%d%H%M%S").to_string()),
        ("vads_trans_id", trans_id),
        ("vads_version", "V2".to_owned()),
    ];
    if let Some(language) = language(form) {
        pairs.push(("vads_language", language));
    }
    // Never checked (the REST call was authenticated); the request reader wants one.
    pairs.push(("signature", "formToken".to_owned()));
    pairs.into_iter().map(|(name, value)| (name.to_owned(), value)).collect()
}

/// `customer.billingDetails.language` when it is a two-letter code.
fn language(form: &PaymentForm) -> Option<String> {
    let language = form.request.get("customer")?.get("billingDetails")?.get("language")?.as_str()?;
    (language.len() == 2 && language.bytes().all(|b| b.is_ascii_alphabetic())).then(|| language.to_ascii_lowercase())
}

/// `ipnTargetUrl` of the REST request: it overrides the shop's notification URL.
pub fn ipn_target_url(form: &PaymentForm) -> Option<String> {
    form.request.get("ipnTargetUrl").and_then(Value::as_str).filter(|url| !url.is_empty()).map(str::to_owned)
}

/// The browser return of a payment: `kr-answer` hashed with the shop's HMAC-SHA-256 key.
pub fn browser_return(transaction: &Transaction, now: DateTime<Utc>, hmac_key: &str) -> Vec<(String, String)> {
    KrReturn::browser(&payment(&View::fresh(transaction), now), hmac_key).fields()
}

/// The IPN of a payment: `kr-answer` hashed with the shop's password for the mode.
pub fn ipn(transaction: &Transaction, now: DateTime<Utc>, password: &str) -> Vec<(String, String)> {
    KrReturn::ipn(&payment(&View::fresh(transaction), now), password).fields()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    #[test]
    fn return_urls_from_the_query() {
        let urls = KrReturnUrls::from_query(&pairs(&[
            ("kr-post-url-success", "https://shop.example/paid"),
            ("kr-get-url-refused", "https://shop.example/refused?x=1"),
            ("other", "ignored"),
        ]))
        .unwrap();
        assert_eq!(urls.target(true), Some(("https://shop.example/paid", true)));
        assert_eq!(urls.target(false), Some(("https://shop.example/refused?x=1", false)));
        assert_eq!(KrReturnUrls::default().target(true), None);
        let bad = KrReturnUrls::from_query(&pairs(&[("kr-get-url-success", "javascript:alert(1)")]));
        assert_eq!(bad, Err("kr-get-url-success"));
    }
}

#[cfg(test)]
mod page_tests {
    use super::*;
    use crate::form::FormPost;
    use crate::form::PaymentRequest;
    use caisse_core::payment_form::FormPurpose;
    use caisse_core::{Amount, Currency, Mode, ShopId};

    #[test]
    fn the_page_pairs_parse_as_a_form() {
        let now = Utc::now();
        let mut request = serde_json::Map::new();
        request.insert("orderId".into(), "FT-1".into());
        request.insert("customer".into(), serde_json::json!({"billingDetails": {"language": "FR"}}));
        let form = PaymentForm {
            form_token: "token".into(),
            shop_id: ShopId("69876357".into()),
            mode: Mode::Test,
            purpose: FormPurpose::Payment,
            amount: Amount(990),
            currency: Currency::EUR,
            request,
            created_at: now,
            expires_at: now,
            consumed_at: None,
        };
        let parsed =
            PaymentRequest::parse(&FormPost::from_pairs(page_pairs(&form)), now + chrono::Duration::seconds(3));
        let parsed = parsed.unwrap();
        assert_eq!(parsed.language.as_deref(), Some("fr"));
        assert_eq!(parsed.amount, Amount(990));
        assert_eq!(session_payment(&form).unwrap().order.order_id.as_deref(), Some("FT-1"));
    }
}
