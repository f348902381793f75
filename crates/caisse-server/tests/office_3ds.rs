//! Office Serveur 3-D Secure over real HTTP, on SQLite and on PostgreSQL, without a browser:
//! cardCheckEnrollment, the ACS page (its forms posted as a browser would), then
//! cardValidateAuthenticationAndOrder or cardValidateAuthentication + cardOrder, and every
//! way the messages can be wrong.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::*;
use serde_json::{Map, Value, json};

/// Sips simulation card: enrolled, the ACS asks.
const CHALLENGED: &str = "4100000000000000";
/// Sips simulation card refused by the acquirer (still enrolled).
const CHALLENGED_REFUSED: &str = "4100000000000005";
/// Lyra test cards: authenticated without a challenge, not enrolled.
const FRICTIONLESS: &str = "4970100000000000";
const NOT_ENROLLED: &str = "4970100000000001";
const TERM_URL: &str = "https://merchant.example/3ds/return";

impl TestServer {
    async fn enrol(&self, reference: &str, card: &str, extra: Value) -> Map<String, Value> {
        let mut fields = json!({
            "amount": "1000", "currencyCode": "978", "cardNumber": card, "cardExpiryDate": "203012",
            "cardCSCValue": "123", "orderChannel": "INTERNET", "transactionReference": reference,
        });
        for (name, value) in extra.as_object().cloned().unwrap_or_default() {
            fields[name] = value;
        }
        self.call("checkout/cardCheckEnrollment", fields).await
    }

    /// The browser's POST to redirectionUrl: (HTTP status, page).
    async fn acs(&self, url: &str, form: &[(&str, &str)]) -> (u16, String) {
        let response = self.client.post(url).form(form).send().await.expect("ACS request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("ACS page"))
    }

    /// Enrols a challenged card and has the ACS decide `choice`: (enrolment answer, PaRes).
    async fn authenticated(&self, reference: &str, card: &str, choice: &str) -> (Map<String, Value>, String) {
        let enrolment = self.enrol(reference, card, json!({})).await;
        assert_eq!(text(&enrolment, "redirectionStatusCode"), "00", "{enrolment:?}");
        let url = text(&enrolment, "redirectionUrl").to_owned();
        let pa_req = text(&enrolment, "paReqMessage").to_owned();
        let (status, page) = self.acs(&url, &[("PaReq", &pa_req), ("TermUrl", TERM_URL), ("MD", "session 42")]).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"authenticate\""), "challenge page: {page}");
        let decide = format!("{}/acs/decide", self.base_url);
        let form = [("PaReq", pa_req.as_str()), ("TermUrl", TERM_URL), ("MD", "session 42"), ("choice", choice)];
        let (status, page) = self.acs(&decide, &form).await;
        assert_eq!(status, 200, "{page}");
        (enrolment, return_form(&page))
    }

    async fn validate_and_order(
        &self,
        enrolment: &Map<String, Value>,
        pa_res: Option<&str>,
        extra: Value,
    ) -> Map<String, Value> {
        self.validation("checkout/cardValidateAuthenticationAndOrder", enrolment, pa_res, extra).await
    }

    async fn validation(
        &self,
        path: &str,
        enrolment: &Map<String, Value>,
        pa_res: Option<&str>,
        extra: Value,
    ) -> Map<String, Value> {
        let mut fields = json!({
            "messageVersion": text(enrolment, "messageVersion"),
            "redirectionData": text(enrolment, "redirectionData"),
            "transactionReference": text(enrolment, "transactionReference"),
        });
        if let Some(pa_res) = pa_res {
            fields["paResMessage"] = json!(pa_res);
        }
        for (name, value) in extra.as_object().cloned().unwrap_or_default() {
            if value.is_null() {
                fields.as_object_mut().unwrap().remove(&name);
            } else {
                fields[name] = value;
            }
        }
        self.call(path, fields).await
    }
}

/// The PaRes of the ACS's return page, after checking that the page posts it with the MD to
/// TermUrl.
fn return_form(page: &str) -> String {
    assert!(page.contains(&format!("action=\"{}\"", escaped(TERM_URL))), "return page: {page}");
    assert!(page.contains("name=\"MD\" value=\"session 42\""), "return page: {page}");
    assert!(page.contains("type=\"submit\""), "a button for browsers without JavaScript: {page}");
    let start = page.find("name=\"PaRes\" value=\"").expect("PaRes field") + "name=\"PaRes\" value=\"".len();
    let end = start + page[start..].find('"').expect("end of PaRes");
    unescaped(&page[start..end])
}

fn escaped(text: &str) -> String {
    text.replace('/', "&#x2f;")
}

fn unescaped(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn code(answer: &Map<String, Value>) -> &str {
    text(answer, "responseCode")
}

fn assert_error(answer: &Map<String, Value>, expected_code: &str, field: &str) {
    assert_eq!(code(answer), expected_code, "{answer:?}");
    assert_eq!(text(answer, "errorFieldName"), field, "{answer:?}");
}

on_both_backends! {
    async fn authenticate_and_order(server) {
        let (enrolment, pa_res) = server.authenticated("TDS1", CHALLENGED, "authenticate").await;
        assert_eq!(code(&enrolment), "00");
        assert_eq!(text(&enrolment, "redirectionUrl"), format!("{}/acs/authenticate", server.base_url));
        assert_eq!(text(&enrolment, "messageVersion"), "0.1");
        assert_eq!(text(&enrolment, "maskedPan"), "4100##########00");
        assert!(!enrolment.values().any(|value| value.as_str().is_some_and(|v| v.contains(CHALLENGED))));

        let answer = server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&answer), "00", "{answer:?}");
        assert_eq!(text(&answer, "acquirerResponseCode"), "00");
        assert!(!text(&answer, "authorisationId").is_empty());
        assert_eq!(text(&answer, "holderAuthentStatus"), "SUCCESS");
        assert_eq!(text(&answer, "guaranteeIndicator"), "Y");
        assert_eq!(text(&answer, "holderAuthentRelegation"), "N");
        assert_eq!(text(&answer, "holderAuthentProgram"), "3DS");
        assert_eq!(text(&answer, "amount"), "1000");
        assert_eq!(text(&answer, "currencyCode"), "978");
        assert_eq!(text(&answer, "transactionReference"), "TDS1");

        let data = server.transaction_data("TDS1").await;
        assert_eq!(text(&data, "transactionStatus"), "TO_CAPTURE");
        assert_eq!(text(&data, "holderAuthentStatus"), "SUCCESS");

        // The PaRes is single use.
        let again = server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&again), "24", "{again:?}");
        let validated = server.validation("checkout/cardValidateAuthentication", &enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&validated), "24", "{validated:?}");
    }

    async fn hosted_fields_payment_token_instead_of_card_data(server) {
        let generated = server.call("token/paymentTokenGenerate",
            json!({"cardNumber": CHALLENGED, "cardExpiryDate": "203012", "cardCSCValue": "123"})).await;
        assert_eq!(code(&generated), "00", "{generated:?}");
        let token = text(&generated, "paymentToken").to_owned();
        let enrol = |reference: &'static str| server.call("checkout/cardCheckEnrollment", json!({
            "amount": "1000", "currencyCode": "978", "orderChannel": "INTERNET", "transactionReference": reference,
            "paymentToken": token}));
        let enrolment = enrol("TDSPT").await;
        assert_eq!((code(&enrolment), text(&enrolment, "redirectionStatusCode")), ("00", "00"), "{enrolment:?}");
        assert_eq!(text(&enrolment, "maskedPan"), "4100##########00");
        // Spent by the enrolment: a second one, or a cardOrder, is refused.
        assert_eq!(code(&enrol("TDSPT2").await), "24");
        assert_eq!(code(&server.transaction_data("TDSPT2").await), "25", "nothing stored");

        let url = text(&enrolment, "redirectionUrl").to_owned();
        let pa_req = text(&enrolment, "paReqMessage").to_owned();
        let decide = format!("{}/acs/decide", server.base_url);
        let (status, _) = server.acs(&url, &[("PaReq", &pa_req), ("TermUrl", TERM_URL), ("MD", "session 42")]).await;
        assert_eq!(status, 200);
        let form = [("PaReq", pa_req.as_str()), ("TermUrl", TERM_URL), ("MD", "session 42"), ("choice", "authenticate")];
        let (_, page) = server.acs(&decide, &form).await;
        let answer = server.validate_and_order(&enrolment, Some(&return_form(&page)), json!({})).await;
        assert_eq!((code(&answer), text(&answer, "holderAuthentStatus")), ("00", "SUCCESS"), "{answer:?}");
    }

    async fn waiting_transaction(server) {
        let enrolment = server.enrol("TDSW", CHALLENGED, json!({})).await;
        assert_eq!(code(&enrolment), "00");
        let data = server.transaction_data("TDSW").await;
        assert_eq!(text(&data, "transactionStatus"), "TO_AUTHORIZE", "{data:?}");
        // The reference is taken.
        let again = server.enrol("TDSW", CHALLENGED, json!({})).await;
        assert_eq!(code(&again), "94");
        let order = server.card_order("TDSW", 1000, CHALLENGED, json!({})).await;
        assert_eq!(code(&order), "94", "not validated yet: {order:?}");
    }

    async fn authentication_failed(server) {
        let (enrolment, pa_res) = server.authenticated("TDSF", CHALLENGED, "fail").await;
        let answer = server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&answer), "05", "{answer:?}");
        assert_eq!(text(&answer, "holderAuthentStatus"), "FAILURE");
        assert_eq!(text(&answer, "guaranteeIndicator"), "N");
        assert!(!answer.contains_key("authorisationId"));
        assert!(!answer.contains_key("acquirerResponseCode"), "the acquirer is not asked");
        let data = server.transaction_data("TDSF").await;
        assert_eq!(text(&data, "transactionStatus"), "REFUSED");
    }

    async fn authentication_cancelled(server) {
        let (enrolment, pa_res) = server.authenticated("TDSC", CHALLENGED, "cancel").await;
        let answer = server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&answer), "17", "{answer:?}");
        assert_eq!(text(&answer, "holderAuthentStatus"), "CANCEL");
        let data = server.transaction_data("TDSC").await;
        assert_eq!(text(&data, "transactionStatus"), "ABORTED");
    }

    async fn authenticated_but_refused_by_the_acquirer(server) {
        let (enrolment, pa_res) = server.authenticated("TDSR", CHALLENGED_REFUSED, "authenticate").await;
        let answer = server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&answer), "05", "{answer:?}");
        assert_eq!(text(&answer, "acquirerResponseCode"), "05");
        assert_eq!(text(&answer, "holderAuthentStatus"), "SUCCESS");
        assert!(!answer.contains_key("guaranteeIndicator"));
        assert_eq!(text(&server.transaction_data("TDSR").await, "transactionStatus"), "REFUSED");
    }

    async fn validate_then_card_order(server) {
        let (enrolment, pa_res) = server.authenticated("TDSV", CHALLENGED, "authenticate").await;
        let validated = server.validation("checkout/cardValidateAuthentication", &enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&validated), "00", "{validated:?}");
        assert_eq!(text(&validated, "holderAuthentStatus"), "SUCCESS");
        assert_eq!(text(&validated, "guaranteeIndicator"), "Y");
        assert_eq!(text(&validated, "holderAuthentResponseCode"), "00");
        // Spent by the validation.
        let again = server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&again), "24");
        // Another card on the same reference is not this payment.
        let other_card = server.card_order("TDSV", 1000, "4100000000000100", json!({})).await;
        assert_eq!(code(&other_card), "94", "{other_card:?}");
        let order = server.card_order("TDSV", 1000, CHALLENGED, json!({})).await;
        assert_eq!(code(&order), "00", "{order:?}");
        assert_eq!(text(&order, "holderAuthentStatus"), "SUCCESS");
        assert_eq!(text(&order, "guaranteeIndicator"), "Y");
        assert_eq!(text(&server.transaction_data("TDSV").await, "transactionStatus"), "TO_CAPTURE");
        let twice = server.card_order("TDSV", 1000, CHALLENGED, json!({})).await;
        assert_eq!(code(&twice), "94", "{twice:?}");
    }

    async fn validation_of_a_failed_authentication(server) {
        let (enrolment, pa_res) = server.authenticated("TDSVF", CHALLENGED, "fail").await;
        let validated = server.validation("checkout/cardValidateAuthentication", &enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&validated), "05", "{validated:?}");
        assert_eq!(text(&validated, "holderAuthentStatus"), "FAILURE");
        assert_eq!(text(&server.transaction_data("TDSVF").await, "transactionStatus"), "REFUSED");
        let order = server.card_order("TDSVF", 1000, CHALLENGED, json!({})).await;
        assert_eq!(code(&order), "24", "{order:?}");
    }

    async fn pares_of_another_transaction(server) {
        let (first, first_pa_res) = server.authenticated("TDSA", CHALLENGED, "authenticate").await;
        let (second, second_pa_res) = server.authenticated("TDSB", CHALLENGED, "authenticate").await;
        let crossed = server.validate_and_order(&first, Some(&second_pa_res), json!({})).await;
        assert_error(&crossed, "12", "paResMessage");
        let other_reference = server.validate_and_order(&first, Some(&first_pa_res), json!({"transactionReference": "TDSB"})).await;
        assert_error(&other_reference, "12", "transactionReference");
        // Neither was spent.
        assert_eq!(code(&server.validate_and_order(&first, Some(&first_pa_res), json!({})).await), "00");
        assert_eq!(code(&server.validate_and_order(&second, Some(&second_pa_res), json!({})).await), "00");
    }

    async fn forged_messages(server) {
        let (enrolment, pa_res) = server.authenticated("TDSX", CHALLENGED, "authenticate").await;
        let decoded = String::from_utf8(BASE64.decode(&pa_res).unwrap()).unwrap();
        let (signed, _) = decoded.rsplit_once('.').unwrap();
        let forged = BASE64.encode(format!("{signed}.{}", "0".repeat(64)));
        assert_error(&server.validate_and_order(&enrolment, Some(&forged), json!({})).await, "34", "");
        assert_error(&server.validate_and_order(&enrolment, Some("not base64!"), json!({})).await, "30", "paResMessage");
        // A PaRes cannot stand for redirectionData, nor a PaReq for a PaRes.
        let swapped = server.validate_and_order(&enrolment, Some(&pa_res), json!({"redirectionData": pa_res})).await;
        assert_error(&swapped, "30", "redirectionData");
        let pa_req = text(&enrolment, "paReqMessage").to_owned();
        assert_error(&server.validate_and_order(&enrolment, Some(&pa_req), json!({})).await, "30", "paResMessage");
        let redirection = String::from_utf8(BASE64.decode(text(&enrolment, "redirectionData")).unwrap()).unwrap();
        let (signed, _) = redirection.rsplit_once('.').unwrap();
        let forged_data = BASE64.encode(format!("{signed}.{}", "f".repeat(64)));
        assert_error(&server.validate_and_order(&enrolment, Some(&pa_res), json!({"redirectionData": forged_data})).await, "34", "");
        // Still usable once.
        assert_eq!(code(&server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await), "00");
    }

    async fn field_errors(server) {
        let enrol = |extra: Value| server.enrol("TDSE", CHALLENGED, extra);
        assert_error(&enrol(json!({"amount": null})).await, "12", "amount");
        assert_error(&enrol(json!({"amount": "12a"})).await, "30", "amount");
        assert_error(&enrol(json!({"currencyCode": null})).await, "12", "currencyCode");
        assert_error(&enrol(json!({"currencyCode": "97"})).await, "30", "currencyCode");
        assert_error(&enrol(json!({"transactionReference": null})).await, "12", "transactionReference");
        assert_error(&enrol(json!({"cardNumber": null})).await, "12", "cardNumber");
        assert_error(&enrol(json!({"cardNumber": "41000000abcd"})).await, "30", "cardNumber");
        assert_error(&enrol(json!({"cardExpiryDate": null})).await, "12", "cardExpiryDate");
        assert_error(&enrol(json!({"cardExpiryDate": "2030-12"})).await, "30", "cardExpiryDate");
        assert_error(&enrol(json!({"captureMode": "LATER"})).await, "30", "captureMode");
        assert_error(&enrol(json!({"captureDay": "100"})).await, "30", "captureDay");
        // Nothing was created by the refused requests.
        let data = server.transaction_data("TDSE").await;
        assert_eq!(code(&data), "25");

        let (enrolment, pa_res) = server.authenticated("TDSE", CHALLENGED, "authenticate").await;
        let validate = |extra: Value| server.validate_and_order(&enrolment, Some(&pa_res), extra);
        assert_error(&validate(json!({"messageVersion": null})).await, "12", "messageVersion");
        assert_error(&validate(json!({"messageVersion": "2.1.0"})).await, "12", "messageVersion");
        assert_error(&validate(json!({"redirectionData": null})).await, "12", "redirectionData");
        assert_error(&validate(json!({"paResMessage": null})).await, "12", "paResMessage");
        assert_error(&validate(json!({"transactionReference": "bad ref!"})).await, "30", "transactionReference");
        assert_error(&validate(json!({"transactionReference": "TDSNONE"})).await, "12", "transactionReference");
        for path in ["checkout/cardValidateAuthentication", "checkout/cardValidateAuthenticationAndOrder"] {
            let answer = server.validation(path, &enrolment, None, json!({})).await;
            assert_error(&answer, "12", "paResMessage");
        }
        // The errors spent nothing.
        assert_eq!(code(&validate(json!({})).await), "00");
    }

    async fn not_enrolled_card(server) {
        let enrolment = server.enrol("TDSN", NOT_ENROLLED, json!({})).await;
        assert_eq!(code(&enrolment), "00", "{enrolment:?}");
        assert_eq!(text(&enrolment, "redirectionStatusCode"), "01");
        assert_eq!(text(&enrolment, "holderAuthentStatus"), "NOT_ENROLLED");
        assert!(!enrolment.contains_key("redirectionUrl"));
        assert!(!enrolment.contains_key("paReqMessage"));
        let answer = server.validate_and_order(&enrolment, None, json!({})).await;
        assert_eq!(code(&answer), "00", "{answer:?}");
        assert_eq!(text(&answer, "holderAuthentStatus"), "NOT_ENROLLED");
        assert_eq!(text(&answer, "guaranteeIndicator"), "N");
        assert_eq!(text(&server.transaction_data("TDSN").await, "transactionStatus"), "TO_CAPTURE");
        assert_eq!(code(&server.validate_and_order(&enrolment, None, json!({})).await), "24");
    }

    async fn frictionless_card(server) {
        let enrolment = server.enrol("TDSFR", FRICTIONLESS, json!({})).await;
        assert_eq!(text(&enrolment, "redirectionStatusCode"), "00");
        let form = [("PaReq", text(&enrolment, "paReqMessage")), ("TermUrl", TERM_URL), ("MD", "session 42")];
        let (status, page) = server.acs(text(&enrolment, "redirectionUrl"), &form).await;
        assert_eq!(status, 200);
        assert!(!page.contains("id=\"authenticate\""), "no challenge: {page}");
        let pa_res = return_form(&page);
        let answer = server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&answer), "00", "{answer:?}");
        assert_eq!(text(&answer, "holderAuthentStatus"), "SUCCESS");
        assert_eq!(text(&answer, "holderAuthentMethod"), "NO_AUTHENT_METHOD");
    }

    async fn acs_page(server) {
        let enrolment = server.enrol("TDSP", CHALLENGED, json!({"amount": "1234"})).await;
        let url = text(&enrolment, "redirectionUrl").to_owned();
        let pa_req = text(&enrolment, "paReqMessage").to_owned();
        let (status, page) = server.acs(&url, &[("PaReq", &pa_req), ("TermUrl", TERM_URL), ("MD", "m")]).await;
        assert_eq!(status, 200);
        assert!(page.contains("<html lang=\"en\">"));
        assert!(page.contains("<title>"));
        assert!(page.contains("12.34 EUR"), "{page}");
        assert!(page.contains("4100##########00"));
        assert!(!page.contains(CHALLENGED));
        for choice in ["Authenticate", "Fail", "Cancel"] {
            assert!(page.contains(&format!(">{choice}</button>")), "{choice}: {page}");
        }
        let (status, _) = server.acs(&url, &[("PaReq", &pa_req), ("TermUrl", "javascript:alert(1)"), ("MD", "m")]).await;
        assert_eq!(status, 400);
        let (status, _) = server.acs(&url, &[("PaReq", &pa_req), ("TermUrl", TERM_URL), ("MD", "é")]).await;
        assert_eq!(status, 400);
        let forged = BASE64.encode("caisse-pareq-1:0123456789abcdef0123456789abcdef.00");
        let (status, _) = server.acs(&url, &[("PaReq", &forged), ("TermUrl", TERM_URL), ("MD", "m")]).await;
        assert_eq!(status, 400);
        let decide = format!("{}/acs/decide", server.base_url);
        let (status, _) = server.acs(&decide, &[("PaReq", &pa_req), ("TermUrl", TERM_URL), ("MD", "m"), ("choice", "maybe")]).await;
        assert_eq!(status, 400);
        let form = [("PaReq", pa_req.as_str()), ("TermUrl", TERM_URL), ("MD", "m"), ("choice", "authenticate")];
        assert_eq!(server.acs(&decide, &form).await.0, 200);
        // The ACS decides once.
        assert_eq!(server.acs(&decide, &form).await.0, 409);
        assert_eq!(server.acs(&url, &form[..3]).await.0, 409);
    }

    async fn wallet_card(server) {
        let added = server
            .call("wallet/addCard", json!({"merchantWalletId": "W3DS", "cardNumber": CHALLENGED, "cardExpiryDate": "203012"}))
            .await;
        assert_eq!(text(&added, "walletResponseCode"), "00", "{added:?}");
        let id = text(&added, "paymentMeanId").to_owned();
        let fields = json!({
            "amount": "500", "currencyCode": "978", "merchantWalletId": "W3DS", "paymentMeanId": id,
            "transactionReference": "TDSWAL", "orderChannel": "INTERNET",
        });
        let enrolment = server.call("checkout/walletCheckEnrollment", fields.clone()).await;
        assert_eq!(code(&enrolment), "00", "{enrolment:?}");
        assert_eq!(text(&enrolment, "redirectionStatusCode"), "00");
        assert_eq!(text(&enrolment, "maskedPan"), "4100##########00");
        let pa_req = text(&enrolment, "paReqMessage").to_owned();
        let decide = format!("{}/acs/decide", server.base_url);
        let form = [("PaReq", pa_req.as_str()), ("TermUrl", TERM_URL), ("MD", "session 42"), ("choice", "authenticate")];
        let (_, page) = server.acs(&decide, &form).await;
        let pa_res = return_form(&page);
        let answer = server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await;
        assert_eq!(code(&answer), "00", "{answer:?}");
        assert_eq!(text(&answer, "amount"), "500");
        assert_eq!(text(&answer, "holderAuthentStatus"), "SUCCESS");

        let mut unknown = fields;
        unknown["paymentMeanId"] = json!("99");
        unknown["transactionReference"] = json!("TDSWAL2");
        assert_error(&server.call("checkout/walletCheckEnrollment", unknown.clone()).await, "12", "paymentMeanId");
        unknown["merchantWalletId"] = json!(null);
        assert_error(&server.call("checkout/walletCheckEnrollment", unknown).await, "12", "merchantWalletId");
    }

    async fn another_shop_cannot_use_the_messages(server) {
        let (enrolment, pa_res) = server.authenticated("TDSO", CHALLENGED, "authenticate").await;
        let fields = json!({
            "messageVersion": "0.1", "redirectionData": text(&enrolment, "redirectionData"), "paResMessage": pa_res,
        });
        let answer = server.call_as(OTHER_MERCHANT, OTHER_KEY, "checkout/cardValidateAuthenticationAndOrder", fields).await;
        assert_eq!(code(&answer), "25", "{answer:?}");
        assert_eq!(code(&server.validate_and_order(&enrolment, Some(&pa_res), json!({})).await), "00");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirection_url_on_the_public_url() {
    let database = std::sync::Arc::new(TestDatabase::new(Backend::Sqlite).await);
    let clock =
        caisse_core::TestClock::at(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 28, 10, 0, 0).unwrap());
    let server = TestServer::start_with(database, clock, |settings| {
        settings.public_url = Some("https://pay.example/caisse".into());
    })
    .await;
    let enrolment = server.enrol("TDSU", CHALLENGED, json!({})).await;
    assert_eq!(text(&enrolment, "redirectionUrl"), "https://pay.example/caisse/acs/authenticate");
    server.stop().await;
}
