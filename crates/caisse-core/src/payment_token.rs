//! Sips hosted-fields payment tokens (`paymentToken`): a single-use, short-lived stand-in for
//! a card, handed out by `token/paymentTokenGenerate` or the hosted-fields page and spent by
//! one `cardOrder`. The text is a JWS (`header.claims.signature`, base64url, HS512 as in the
//! platform's sample) signed with a key derived from the vault key; the store's row is what
//! counts (its card, its consumer, whether it was spent), the signature only spares the
//! database a lookup for a forged or garbled token.

use crate::card::{CardBrand, CardSummary};
use crate::shop::ShopId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};

use crate::ports::StoreError;

/// Why a payment that uses something up (a payment token, a hosted-page session) could not
/// be recorded.
#[derive(Debug, thiserror::Error)]
pub enum SpendError {
    /// Another payment spent the token first (another request, another caisse instance).
    #[error("payment token already used")]
    Used,
    /// The hosted-page session is no longer open (paid or abandoned meanwhile).
    #[error("payment session not open")]
    SessionNotOpen,
    #[error("transactionReference already used")]
    DuplicateReference,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long a payment token or a hosted-fields session can be used: the platform's session
/// length (responseCode 97, "no action from the user during 15 minutes").
pub const LIFETIME: Duration = Duration::minutes(15);

/// The JWS header of the platform's sample token.
const HEADER: &str = r#"{"typ":"JWT","alg":"HS512"}"#;

/// Who asked for the token: the merchant's server (paymentTokenGenerate) or the cardholder's
/// browser on the hosted-fields page. The claim `processInterface` says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenOrigin {
    MachineToMachine,
    HostedFields,
}

impl TokenOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenOrigin::MachineToMachine => "SIPS_MACHINE_TO_MACHINE",
            TokenOrigin::HostedFields => "SIPS_HOSTED_FIELDS",
        }
    }

    pub fn parse(text: &str) -> Option<TokenOrigin> {
        [TokenOrigin::MachineToMachine, TokenOrigin::HostedFields].into_iter().find(|origin| origin.as_str() == text)
    }
}

/// A payment token as stored: its card's vault entry (the generating shop's), who may spend
/// it, until when, and whether it was spent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardPaymentToken {
    /// 32 hex digits; the claim `jti`.
    pub id: String,
    /// The merchant that generated it.
    pub shop_id: ShopId,
    /// `paymentTokenConsumerMerchantId`, else the generating merchant.
    pub consumer_id: ShopId,
    pub card: CardSummary,
    pub origin: TokenOrigin,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub consumed_at: Option<DateTime<Utc>>,
}

/// Why a payment token cannot pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentTokenRefusal {
    /// Not a token caisse signed.
    #[error("garbled payment token")]
    Garbled,
    /// Well formed but its signature is wrong, it is unknown, or it is for another merchant:
    /// one answer for the three, so that a merchant learns nothing of others' tokens.
    #[error("payment token not valid for this merchant")]
    NotValid,
    #[error("payment token expired")]
    Expired,
    #[error("payment token already used")]
    Used,
}

impl CardPaymentToken {
    /// Whether `consumer` may spend this token at `now`. The store checks "not spent" again,
    /// atomically, when it records the payment.
    pub fn check_use(&self, consumer: &ShopId, now: DateTime<Utc>) -> Result<(), PaymentTokenRefusal> {
        if &self.consumer_id != consumer {
            return Err(PaymentTokenRefusal::NotValid);
        }
        if self.consumed_at.is_some() {
            return Err(PaymentTokenRefusal::Used);
        }
        if now >= self.expires_at {
            return Err(PaymentTokenRefusal::Expired);
        }
        Ok(())
    }

    /// The token's text: the platform sample's claims (`data` = base64 of the id, a
    /// `processId`, `useType`, `processInterface`) plus the standard ones that bind it.
    pub fn sign(&self, key: &[u8]) -> String {
        let claims = json!({
            "data": base64::engine::general_purpose::STANDARD.encode(&self.id),
            "processId": crate::transaction::new_uuid(),
            "useType": "PAYMENT",
            "processInterface": self.origin.as_str(),
            "jti": self.id,
            "merchantId": self.shop_id.as_str(),
            "consumerMerchantId": self.consumer_id.as_str(),
            "iat": self.created_at.timestamp(),
            "exp": self.expires_at.timestamp(),
        });
        sign(&claims, key)
    }
}

/// What a payment token's signed claims say; the store's row must agree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenClaims {
    pub id: String,
    pub shop_id: String,
    pub consumer_id: String,
}

/// Reads a payment token's claims once its signature is checked.
pub fn verify_payment_token(text: &str, key: &[u8]) -> Result<TokenClaims, PaymentTokenRefusal> {
    let claims = verify(text, key)?;
    let field = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    if claims.get("useType").and_then(Value::as_str) != Some("PAYMENT") {
        return Err(PaymentTokenRefusal::NotValid);
    }
    match (field("jti"), field("merchantId"), field("consumerMerchantId")) {
        (Some(id), Some(shop_id), Some(consumer_id)) => Ok(TokenClaims { id, shop_id, consumer_id }),
        _ => Err(PaymentTokenRefusal::NotValid),
    }
}

/// A hosted-fields session (`merchantSessionToken` of hostedFieldsInitialize): lets the
/// cardholder's browser turn card data into a payment token for `shop_id`. Not stored: its
/// signed claims are all there is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostedFieldsSession {
    pub shop_id: ShopId,
    /// The brands the page offers; empty: every brand.
    pub brands: Vec<CardBrand>,
    pub expires_at: DateTime<Utc>,
}

impl HostedFieldsSession {
    pub fn sign(&self, key: &[u8]) -> String {
        let brands: Vec<&str> = self.brands.iter().map(|brand| brand.sips_name()).collect();
        let claims = json!({
            "data": base64::engine::general_purpose::STANDARD.encode(self.shop_id.as_str()),
            "processId": crate::transaction::new_uuid(),
            "useType": "HOSTED_FIELDS_SESSION",
            "processInterface": TokenOrigin::HostedFields.as_str(),
            "jti": crate::transaction::new_uuid(),
            "merchantId": self.shop_id.as_str(),
            "paymentMeanBrandList": brands,
            "exp": self.expires_at.timestamp(),
        });
        sign(&claims, key)
    }

    /// The session a `merchantSessionToken` stands for, if caisse signed it and it is still
    /// valid at `now`.
    pub fn verify(text: &str, key: &[u8], now: DateTime<Utc>) -> Result<HostedFieldsSession, PaymentTokenRefusal> {
        let claims = verify(text, key)?;
        if claims.get("useType").and_then(Value::as_str) != Some("HOSTED_FIELDS_SESSION") {
            return Err(PaymentTokenRefusal::NotValid);
        }
        let shop_id = claims
            .get("merchantId")
            .and_then(Value::as_str)
            .map(|id| ShopId(id.to_owned()))
            .ok_or(PaymentTokenRefusal::NotValid)?;
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_i64)
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .ok_or(PaymentTokenRefusal::NotValid)?;
        if now >= expires_at {
            return Err(PaymentTokenRefusal::Expired);
        }
        let brands = claims
            .get("paymentMeanBrandList")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).filter_map(CardBrand::from_sips_name).collect())
            .unwrap_or_default();
        Ok(HostedFieldsSession { shop_id, brands, expires_at })
    }
}

fn signature(signed_part: &str, key: &[u8]) -> Hmac<sha2::Sha512> {
    let mut mac = <Hmac<sha2::Sha512> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(signed_part.as_bytes());
    mac
}

fn sign(claims: &Value, key: &[u8]) -> String {
    let signed_part = format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let tag = signature(&signed_part, key).finalize().into_bytes();
    format!("{signed_part}.{}", URL_SAFE_NO_PAD.encode(tag))
}

/// The claims of a token caisse signed: three base64url parts, the header caisse writes, an
/// HS512 signature checked in constant time.
fn verify(text: &str, key: &[u8]) -> Result<Map<String, Value>, PaymentTokenRefusal> {
    let mut parts = text.split('.');
    let (Some(header), Some(claims), Some(tag), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(PaymentTokenRefusal::Garbled);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| PaymentTokenRefusal::Garbled);
    let header_json: Value = serde_json::from_slice(&decode(header)?).map_err(|_| PaymentTokenRefusal::Garbled)?;
    let claims_bytes = decode(claims)?;
    let tag = decode(tag)?;
    if header_json.get("alg").and_then(Value::as_str) != Some("HS512") {
        return Err(PaymentTokenRefusal::Garbled);
    }
    let signed_part = &text[..header.len() + 1 + claims.len()];
    signature(signed_part, key).verify_slice(&tag).map_err(|_| PaymentTokenRefusal::NotValid)?;
    match serde_json::from_slice(&claims_bytes) {
        Ok(Value::Object(claims)) => Ok(claims),
        _ => Err(PaymentTokenRefusal::Garbled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardExpiry;
    use chrono::TimeZone;

    fn token() -> CardPaymentToken {
        let at = Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap();
        CardPaymentToken {
            id: "c7931d30811a4c4683510368963456b5".into(),
            shop_id: ShopId("011223344550000".into()),
            consumer_id: ShopId("201040040170001".into()),
            card: CardSummary {
                card_id: "card".into(),
                masked_pan: "4100##########00".into(),
                bin: "410000".into(),
                last_four: "0000".into(),
                expiry: CardExpiry::new(2031, 12).unwrap(),
                brand: CardBrand::Visa,
                co_brands: vec![],
            },
            origin: TokenOrigin::MachineToMachine,
            created_at: at,
            expires_at: at + LIFETIME,
            consumed_at: None,
        }
    }

    #[test]
    fn signed_tokens_verify_under_their_key_only() {
        let text = token().sign(b"key");
        assert!(text.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9."), "the sample's header");
        let claims = verify_payment_token(&text, b"key").unwrap();
        assert_eq!(claims.id, "c7931d30811a4c4683510368963456b5");
        assert_eq!(claims.consumer_id, "201040040170001");
        assert_eq!(verify_payment_token(&text, b"other"), Err(PaymentTokenRefusal::NotValid));
        let mut tampered = text.clone();
        tampered.insert(text.len() - 3, 'A');
        assert!(verify_payment_token(&tampered, b"key").is_err());
        for garbled in ["", "a.b", "a.b.c.d", "!!.!!.!!", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.e30"] {
            assert_eq!(verify_payment_token(garbled, b"key"), Err(PaymentTokenRefusal::Garbled), "{garbled}");
        }
    }

    #[test]
    fn a_token_is_spent_once_by_its_consumer_before_it_expires() {
        let token = token();
        let consumer = token.consumer_id.clone();
        assert_eq!(token.check_use(&consumer, token.created_at), Ok(()));
        assert_eq!(token.check_use(&token.shop_id, token.created_at), Err(PaymentTokenRefusal::NotValid));
        assert_eq!(token.check_use(&consumer, token.expires_at), Err(PaymentTokenRefusal::Expired));
        let spent = CardPaymentToken { consumed_at: Some(token.created_at), ..token.clone() };
        assert_eq!(spent.check_use(&consumer, token.created_at), Err(PaymentTokenRefusal::Used));
    }

    #[test]
    fn sessions_carry_their_shop_and_brands_until_they_expire() {
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap();
        let session = HostedFieldsSession {
            shop_id: ShopId("011223344550000".into()),
            brands: vec![CardBrand::Visa, CardBrand::Cb],
            expires_at: now + LIFETIME,
        };
        let text = session.sign(b"key");
        assert_eq!(HostedFieldsSession::verify(&text, b"key", now), Ok(session.clone()));
        assert_eq!(HostedFieldsSession::verify(&text, b"key", now + LIFETIME), Err(PaymentTokenRefusal::Expired));
        // A session is not a payment token, nor the reverse.
        assert_eq!(verify_payment_token(&text, b"key"), Err(PaymentTokenRefusal::NotValid));
        assert_eq!(HostedFieldsSession::verify(&token().sign(b"key"), b"key", now), Err(PaymentTokenRefusal::NotValid));
    }
}
