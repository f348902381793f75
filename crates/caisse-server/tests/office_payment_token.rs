//! Sips payment tokens (token/paymentTokenGenerate, cardOrder with `paymentToken`) and hosted
//! fields (authentication/hostedFieldsInitialize, the hosted-fields page) over real HTTP, on
//! SQLite and on PostgreSQL.

mod common;

use common::*;
use serde_json::{Map, Value, json};

const VISA_OK: &str = "4100000000000000";
/// Not in a test range, and failing the Luhn check.
const NOT_LUHN: &str = "4111111111111112";
const GENERATE: &str = "token/paymentTokenGenerate";
const INITIALIZE: &str = "authentication/hostedFieldsInitialize";

impl TestServer {
    async fn generate(&self, extra: Value) -> Map<String, Value> {
        let mut fields = json!({ "cardNumber": VISA_OK, "cardExpiryDate": "203012", "cardCSCValue": "123" });
        for (name, value) in extra.as_object().cloned().unwrap_or_default() {
            fields[name] = value;
        }
        self.call(GENERATE, fields).await
    }

    async fn new_token(&self) -> String {
        let answer = self.generate(json!({})).await;
        assert_eq!(text(&answer, "responseCode"), "00", "{answer:?}");
        text(&answer, "paymentToken").to_owned()
    }

    async fn pay_with(&self, merchant: &str, key: &str, reference: &str, token: &str) -> Map<String, Value> {
        let fields = json!({
            "amount": "1500", "currencyCode": "978", "orderChannel": "INTERNET",
            "transactionReference": reference, "paymentToken": token,
        });
        self.call_as(merchant, key, "checkout/cardOrder", fields).await
    }

    async fn pay(&self, reference: &str, token: &str) -> Map<String, Value> {
        self.pay_with(MERCHANT, MERCHANT_KEY, reference, token).await
    }

    async fn initialize(&self, extra: Value) -> Map<String, Value> {
        let mut fields = json!({ "interfaceVersion": "AUT_WS_2.53", "customerIpAddress": "192.0.2.1" });
        for (name, value) in extra.as_object().cloned().unwrap_or_default() {
            fields[name] = value;
        }
        self.call(INITIALIZE, fields).await
    }

    async fn post_card(&self, session: &str, card: &str, json: bool) -> reqwest::Response {
        let mut request =
            self.client.post(format!("{}/paymentprovider/hostedfields/paymentToken", self.base_url)).form(&[
                ("merchantSessionToken", session),
                ("cardNumber", card),
                ("cardExpiryDate", "12/30"),
                ("cardCSCValue", "123"),
            ]);
        if json {
            request = request.header("Accept", "application/json");
        }
        request.send().await.unwrap()
    }
}

fn assert_no_pan(body: &str) {
    for pan in [VISA_OK, NOT_LUHN] {
        assert!(!body.contains(pan), "full PAN in {body}");
    }
}

/// The token's claims, decoded as a merchant (or an attacker) could.
fn claims(token: &str) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

on_both_backends! {
    async fn generate_then_pay_once(server) {
        let answer = server.generate(json!({"paymentMeanBrand": "VISA"})).await;
        assert_eq!(text(&answer, "responseCode"), "00", "{answer:?}");
        assert_no_pan(&serde_json::to_string(&answer).unwrap());
        let token = text(&answer, "paymentToken").to_owned();
        assert_eq!(token.split('.').count(), 3);
        assert!(token.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9."), "the seed's JWT header");
        let claims = claims(&token);
        assert_eq!(claims["useType"], "PAYMENT");
        assert_eq!(claims["merchantId"], MERCHANT);
        assert_eq!(claims["consumerMerchantId"], MERCHANT);
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 15 * 60);

        let paid = server.pay("PT1", &token).await;
        assert_eq!(text(&paid, "responseCode"), "00", "{paid:?}");
        assert_eq!(text(&paid, "maskedPan"), "4100##########00");
        assert_eq!(text(&paid, "paymentMeanBrand"), "VISA");
        assert_eq!(text(&paid, "panExpiryDate"), "203012");
        assert_no_pan(&serde_json::to_string(&paid).unwrap());
        assert_eq!(text(&server.transaction_data("PT1").await, "transactionStatus"), "TO_CAPTURE");

        let again = server.pay("PT2", &token).await;
        assert_eq!(text(&again, "responseCode"), "24", "a token pays once");
        assert_eq!(text(&server.transaction_data("PT2").await, "responseCode"), "25", "nothing stored");

        // The payment's card is the paying shop's own: a duplicate reads it.
        let duplicate = server
            .call("cashManagement/duplicate", json!({
                "fromTransactionReference": "PT1", "transactionReference": "PT1DUP",
                "amount": "700", "currencyCode": "978",
            }))
            .await;
        assert_eq!(text(&duplicate, "responseCode"), "00", "{duplicate:?}");
    }

    async fn a_reused_reference_leaves_the_token_unspent(server) {
        let token = server.new_token().await;
        assert_eq!(text(&server.card_order("REF", 1000, VISA_OK, json!({})).await, "responseCode"), "00");
        assert_eq!(text(&server.pay("REF", &token).await, "responseCode"), "94");
        assert_eq!(text(&server.pay("REF2", &token).await, "responseCode"), "00");
    }

    async fn expired_token_is_97(server) {
        let token = server.new_token().await;
        server.clock.advance(chrono::Duration::minutes(15));
        let answer = server.pay("EXP1", &token).await;
        assert_eq!(text(&answer, "responseCode"), "97", "{answer:?}");
        assert_eq!(text(&server.transaction_data("EXP1").await, "responseCode"), "25");
    }

    async fn only_the_consumer_merchant_may_pay(server) {
        let answer = server.generate(json!({"paymentTokenConsumerMerchantId": OTHER_MERCHANT})).await;
        assert_eq!(text(&answer, "responseCode"), "00", "{answer:?}");
        let token = text(&answer, "paymentToken").to_owned();
        let by_generator = server.pay("CONS1", &token).await;
        assert_eq!(text(&by_generator, "responseCode"), "12");
        assert_eq!(text(&by_generator, "errorFieldName"), "paymentToken");
        let by_consumer = server.pay_with(OTHER_MERCHANT, OTHER_KEY, "CONS2", &token).await;
        assert_eq!(text(&by_consumer, "responseCode"), "00", "{by_consumer:?}");

        // Without a consumer, only the generating merchant.
        let own = server.new_token().await;
        let foreign = server.pay_with(OTHER_MERCHANT, OTHER_KEY, "CONS3", &own).await;
        assert_eq!(text(&foreign, "responseCode"), "12");
        assert_eq!(text(&foreign, "errorFieldName"), "paymentToken");
    }

    async fn forged_and_garbled_tokens(server) {
        let garbled = server.pay("F1", "not-a-token").await;
        assert_eq!(text(&garbled, "responseCode"), "30");
        assert_eq!(text(&garbled, "errorFieldName"), "paymentToken");

        // Claims rewritten by the holder: the signature no longer matches.
        use base64::Engine;
        let token = server.new_token().await;
        let parts: Vec<&str> = token.split('.').collect();
        let mut rewritten = claims(&token);
        rewritten["consumerMerchantId"] = json!(OTHER_MERCHANT);
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rewritten.to_string()),
            parts[2]
        );
        let answer = server.pay_with(OTHER_MERCHANT, OTHER_KEY, "F2", &forged).await;
        assert_eq!(text(&answer, "responseCode"), "12");
        assert_eq!(text(&answer, "errorFieldName"), "paymentToken");

        // A token with card data is inconsistent.
        let mixed = server
            .call("checkout/cardOrder", json!({
                "amount": "100", "currencyCode": "978", "transactionReference": "F3",
                "paymentToken": token, "cardNumber": VISA_OK,
            }))
            .await;
        assert_eq!(text(&mixed, "responseCode"), "12");
        assert_eq!(text(&mixed, "errorFieldName"), "cardNumber");
        // None of these spent it.
        assert_eq!(text(&server.pay("F4", &token).await, "responseCode"), "00");
    }

    async fn generate_refusals(server) {
        let missing = server.call(GENERATE, json!({"cardExpiryDate": "203012"})).await;
        assert_eq!(text(&missing, "responseCode"), "12");
        assert_eq!(text(&missing, "errorFieldName"), "cardNumber");
        let format = server.generate(json!({"cardExpiryDate": "2030-12"})).await;
        assert_eq!(text(&format, "responseCode"), "30");
        assert_eq!(text(&format, "errorFieldName"), "cardExpiryDate");
        assert_eq!(text(&server.generate(json!({"cardNumber": NOT_LUHN})).await, "responseCode"), "14");
        assert_eq!(text(&server.generate(json!({"cardExpiryDate": "202001"})).await, "responseCode"), "54");
        let brand = server.generate(json!({"paymentMeanBrand": "AMEX"})).await;
        assert_eq!(text(&brand, "responseCode"), "12");
        assert_eq!(text(&brand, "errorFieldName"), "paymentMeanBrand");
        let consumer = server.generate(json!({"paymentTokenConsumerMerchantId": "999999999999999"})).await;
        assert_eq!(text(&consumer, "responseCode"), "12");
        assert_eq!(text(&consumer, "errorFieldName"), "paymentTokenConsumerMerchantId");
        let prefix = server.generate(json!({"interfaceVersion": "IR_WS_2.53"})).await;
        assert_eq!(text(&prefix, "responseCode"), "12");
        assert_eq!(text(&prefix, "errorFieldName"), "interfaceVersion");
    }

    async fn two_payments_racing_for_one_token(server) {
        let token = server.new_token().await;
        let (first, second) = tokio::join!(server.pay("RACE1", &token), server.pay("RACE2", &token));
        let mut codes = [text(&first, "responseCode").to_owned(), text(&second, "responseCode").to_owned()];
        codes.sort();
        assert_eq!(codes, ["00".to_owned(), "24".to_owned()]);
    }

    async fn hosted_fields_session_to_payment(server) {
        let answer = server.initialize(json!({"paymentMeanBrandList": ["VISA", "CB"]})).await;
        assert_eq!(text(&answer, "responseCode"), "00", "{answer:?}");
        let session = text(&answer, "merchantSessionToken").to_owned();
        assert!(session.starts_with("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9."));
        let sdk_url = text(&answer, "sdkUrl").to_owned();
        assert!(sdk_url.starts_with(&server.base_url), "{sdk_url} on caisse's base");
        let sdk = server.client.get(&sdk_url).send().await.unwrap();
        assert_eq!(sdk.status(), 200);
        assert!(sdk.text().await.unwrap().contains("SipsHostedFields"));

        let form = server
            .client
            .get(format!("{}/paymentprovider/hostedfields/form", server.base_url))
            .query(&[("merchantSessionToken", &session)])
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 200);
        let page = form.text().await.unwrap();
        assert!(page.contains(r#"name="cardNumber""#) && page.contains(r#"method="post""#));
        // Attribute values are HTML-escaped ('/' is &#x2f;).
        assert!(page.replace("&#x2f;", "/").contains("/paymentprovider/hostedfields/paymentToken"));

        // Without JavaScript: the post answers a page showing the token.
        let posted = server.post_card(&session, "4100 0000 0000 0000", false).await;
        assert_eq!(posted.status(), 200);
        let page = posted.text().await.unwrap();
        assert_no_pan(&page);
        assert!(page.contains("4100##########00"));
        let start = page.find(r#"<code id="paymentToken">"#).unwrap() + r#"<code id="paymentToken">"#.len();
        let token = &page[start..start + page[start..].find("</code>").unwrap()];
        assert_eq!(text(&server.pay("HF1", token).await, "responseCode"), "00");

        // The SDK's way: JSON.
        let posted = server.post_card(&session, VISA_OK, true).await;
        let body = posted.text().await.unwrap();
        assert_no_pan(&body);
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["responseCode"], "00");
        let token = answer["paymentToken"].as_str().unwrap();
        assert_eq!(claims(token)["processInterface"], "SIPS_HOSTED_FIELDS");
        let paid = server.pay("HF2", token).await;
        assert_eq!(text(&paid, "responseCode"), "00", "{paid:?}");
        assert_eq!(text(&paid, "maskedPan"), "4100##########00");
    }

    async fn hosted_fields_refusals(server) {
        let answer = server.initialize(json!({"paymentMeanBrandList": ["VISA"]})).await;
        let session = text(&answer, "merchantSessionToken").to_owned();

        let bad_card: Value = serde_json::from_str(&server.post_card(&session, NOT_LUHN, true).await.text().await.unwrap()).unwrap();
        assert_eq!(bad_card["responseCode"], "14");
        assert!(bad_card.get("paymentToken").is_none());
        let bad_format: Value = serde_json::from_str(&server.post_card(&session, "41000", true).await.text().await.unwrap()).unwrap();
        assert_eq!(bad_format["responseCode"], "30");
        assert_eq!(bad_format["errorFieldName"], "cardNumber");
        // Not a brand the session offers (MASTERCARD).
        let brand: Value = serde_json::from_str(&server.post_card(&session, "5100000000000000", true).await.text().await.unwrap()).unwrap();
        assert_eq!(brand["responseCode"], "12");
        // Without JavaScript, the form again with the reason.
        let page = server.post_card(&session, NOT_LUHN, false).await.text().await.unwrap();
        assert_no_pan(&page);
        assert!(page.contains("responseCode 14") && page.contains(r#"name="cardNumber""#));

        let forged = server.post_card("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.e30.AAAA", VISA_OK, false).await;
        assert_eq!(forged.status(), 400);
        server.clock.advance(chrono::Duration::minutes(16));
        let expired = server.post_card(&session, VISA_OK, true).await;
        assert_eq!(expired.status(), 400);
        let answer: Value = serde_json::from_str(&expired.text().await.unwrap()).unwrap();
        assert_eq!(answer["responseCode"], "97");

        let bad_list = server.initialize(json!({"paymentMeanBrandList": ["NOPE"]})).await;
        assert_eq!(text(&bad_list, "responseCode"), "30");
        assert_eq!(text(&bad_list, "errorFieldName"), "paymentMeanBrandList");
    }
}
