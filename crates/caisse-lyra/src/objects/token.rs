//! `V4/Token` (Token/Get, Charge/CreateTokenFromTransaction), after the documented example
//! (research §3.7) with `initialIssuerTransactionIdentifier` added to `tokenDetails`.

use crate::json::{Json, Object};
use crate::objects::customer::customer;
use crate::objects::{date_time, masked_pan, mid};
use caisse_core::token::{PaymentToken, TokenMethod};

fn authorization_response(token: &PaymentToken) -> Object {
    Object::new()
        .with("amount", Json::Null)
        .with("currency", Json::Null)
        .with("authorizationDate", date_time(token.created_at))
        .with("authorizationNumber", Json::Null)
        .with("authorizationResult", Json::Null)
        .with("authorizationMode", Json::Null)
        .typed("V4/PaymentMethod/Details/Cards/CardAuthorizationResponse")
}

fn token_details(token: &PaymentToken) -> Object {
    let (pan, expiry_month, expiry_year, brand): (String, Json, Json, &'static str) = match &token.method {
        TokenMethod::Card { card } => (
            masked_pan(card),
            u32::from(card.expiry.month).into(),
            u32::from(card.expiry.year).into(),
            card.brand.sips_name(),
        ),
        // A SEPA mandate shows its masked IBAN where a card shows its PAN (research §7).
        TokenMethod::Sdd { mandate } => (mandate.masked_iban.clone(), Json::Null, Json::Null, "SDD"),
    };
    Object::new()
        .with("authorizationResponse", authorization_response(token))
        .with("paymentSource", Json::Null)
        .with("pan", pan)
        .with("expiryMonth", expiry_month)
        .with("expiryYear", expiry_year)
        .with("effectiveBrand", brand)
        .with("issuerCode", Json::Null)
        .with("issuerName", Json::Null)
        .with("effectiveProductCode", Json::Null)
        .with("country", Json::Null)
        .with("mid", mid(token.shop_id.as_str()))
        .with("initialIssuerTransactionIdentifier", token.initial_issuer_transaction_identifier.clone())
        .typed("V4/PaymentMethod/Details/TokenDetails")
}

pub fn token(token: &PaymentToken) -> Object {
    let method_type = match &token.method {
        TokenMethod::Card { .. } => "CARD",
        TokenMethod::Sdd { .. } => "SDD",
    };
    Object::new()
        .with("status", token.status.as_str())
        .with("paymentMethodToken", token.id.clone())
        .with("paymentMethodType", method_type)
        .with("creationDate", date_time(token.created_at))
        .with("cancellationDate", token.cancelled_at.map(date_time))
        .with("customer", customer(&token.customer, true))
        .with("tokenDetails", token_details(token))
        .typed("V4/Token")
}
