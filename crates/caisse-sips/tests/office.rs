//! `Office::json` end to end, over an in-memory store and a simulated acquirer.

mod support;

use caisse_core::clock::TestClock;
use caisse_core::payments::Payments;
use caisse_core::ports::Store;
use caisse_core::{ShopId, TransactionStatus};
use caisse_sips::seal::{self, SealAlgorithm};
use caisse_sips::{Office, OfficeReply, UNSUPPORTED_MEDIA_TYPE_HTML};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use support::{MemoryStore, SimulatedAcquirer};

const MERCHANT: &str = "011223344550000";
const SECRET: &str = "secret123";
const TEST_MERCHANT: &str = "201040040170001";
const TEST_SECRET: &str = "rxSP61eeP_oNi5TxCD7Ngy9YcwC8MLw6OlmFGGcsY54";
const OTHER_MERCHANT: &str = "002001000000001";
const OTHER_SECRET: &str = "002001000000001_KEY1";

const ACCEPTED_CARD: &str = "4100000000000000";
const CSC: &str = "987";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 14, 2, 17).unwrap()
}

struct Harness {
    office: Office,
    store: Arc<MemoryStore>,
    payments: Payments,
    clock: TestClock,
}

fn harness() -> Harness {
    let store = Arc::new(MemoryStore::with_shops(&[
        (MERCHANT, SECRET),
        (TEST_MERCHANT, TEST_SECRET),
        (OTHER_MERCHANT, OTHER_SECRET),
    ]));
    let clock = TestClock::at(start());
    let payments = Payments::new(store.clone(), Arc::new(SimulatedAcquirer), Arc::new(clock.clone()));
    Harness { office: Office::new(payments.clone()), store, payments, clock }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// `base` with `changes` applied; a null in `changes` removes the field.
fn with(base: &Value, changes: Value) -> Value {
    let mut map = object(base.clone());
    for (name, value) in object(changes) {
        if value.is_null() {
            map.remove(&name);
        } else {
            map.insert(name, value);
        }
    }
    Value::Object(map)
}

fn algorithm_of(message: &Map<String, Value>) -> SealAlgorithm {
    message
        .get("sealAlgorithm")
        .and_then(Value::as_str)
        .and_then(SealAlgorithm::parse)
        .unwrap_or(SealAlgorithm::HmacSha256)
}

/// The request with its seal computed as a merchant's client would.
fn sealed(request: &Value, secret: &str) -> Value {
    let mut map = object(request.clone());
    let seal = seal::seal_request(&map, secret, algorithm_of(&map)).unwrap();
    map.insert("seal".into(), Value::String(seal));
    Value::Object(map)
}

fn assert_sealed_with(answer: &Map<String, Value>, secret: &str, algorithm: SealAlgorithm) {
    let seal = answer["seal"].as_str().expect("the answer is sealed");
    assert_eq!(
        seal,
        seal::seal_answer(answer, secret, algorithm).unwrap(),
        "answer seal verifies with the request's key"
    );
}

fn assert_no_nulls(value: &Value) {
    match value {
        Value::Null => panic!("an answer never carries null"),
        Value::String(text) => assert!(!text.is_empty(), "an answer never carries \"\""),
        Value::Array(items) => items.iter().for_each(assert_no_nulls),
        Value::Object(fields) => fields.values().for_each(assert_no_nulls),
        Value::Bool(_) | Value::Number(_) => panic!("answers are strings: {value}"),
    }
}

impl Harness {
    /// Sends `request` as it is.
    async fn raw(&self, family: &str, method: &str, body: &[u8]) -> OfficeReply {
        self.office.json(family, method, body).await
    }

    async fn send(&self, family: &str, method: &str, request: &Value) -> Map<String, Value> {
        let body = serde_json::to_vec(request).unwrap();
        match self.raw(family, method, &body).await {
            OfficeReply::Answer(text) => {
                let answer: Value = serde_json::from_str(&text).unwrap();
                assert_no_nulls(&answer);
                for pan in [ACCEPTED_CARD, "4100000000000051", "4100000000000005"] {
                    assert!(!text.contains(pan), "an answer never carries the PAN");
                }
                object(answer)
            }
            other => panic!("expected an answer, got {other:?}"),
        }
    }

    /// Seals `request` with `secret`, sends it, and checks the answer's seal.
    async fn call_as(&self, family: &str, method: &str, request: &Value, secret: &str) -> Map<String, Value> {
        let request = sealed(request, secret);
        let answer = self.send(family, method, &request).await;
        assert_sealed_with(&answer, secret, algorithm_of(request.as_object().unwrap()));
        answer
    }

    async fn call(&self, family: &str, method: &str, request: &Value) -> Map<String, Value> {
        self.call_as(family, method, request, SECRET).await
    }

    async fn card_order(&self, request: &Value) -> Map<String, Value> {
        self.call("checkout", "cardOrder", request).await
    }

    async fn cash(&self, method: &str, request: &Value) -> Map<String, Value> {
        self.call("cashManagement", method, request).await
    }

    async fn transaction_data(&self, reference: &str) -> Map<String, Value> {
        self.call("diagnostic", "getTransactionData", &get(reference)).await
    }
}

fn card_order(reference: &str) -> Value {
    json!({
        "amount": "1000",
        "captureDay": "0",
        "captureMode": "AUTHOR_CAPTURE",
        "cardCSCValue": CSC,
        "cardExpiryDate": "203012",
        "cardNumber": ACCEPTED_CARD,
        "currencyCode": "978",
        "customerContact": { "email": "customer@email.com", "phone": null },
        "customerId": "customer1",
        "customerIpAddress": "127.0.0.1",
        "interfaceVersion": "IR_WS_2.53",
        "keyVersion": "1",
        "merchantId": MERCHANT,
        "orderChannel": "INTERNET",
        "orderId": "ORD101",
        "panType": "PAN",
        "paymentPattern": "ONE_SHOT",
        "returnContext": "my context",
        "shoppingCartDetail": { "shoppingCartTotalAmount": "1000" },
        "transactionOrigin": "SO_WEBAPPLI",
        "transactionReference": reference,
    })
}

fn cash(reference: &str, amount: &str) -> Value {
    json!({
        "currencyCode": "978",
        "interfaceVersion": "CR_WS_2.53",
        "keyVersion": "1",
        "merchantId": MERCHANT,
        "operationAmount": amount,
        "operationOrigin": "BATCH",
        "transactionReference": reference,
    })
}

fn get(reference: &str) -> Value {
    json!({
        "interfaceVersion": "DR_WS_2.53",
        "keyVersion": "1",
        "merchantId": MERCHANT,
        "transactionReference": reference,
    })
}

fn text<'a>(answer: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    answer.get(name).map(|value| value.as_str().expect("string"))
}

fn code(answer: &Map<String, Value>) -> &str {
    text(answer, "responseCode").expect("responseCode")
}

fn assert_error(answer: &Map<String, Value>, expected_code: &str, field: Option<&str>) {
    assert_eq!(code(answer), expected_code, "{answer:?}");
    assert_eq!(text(answer, "errorFieldName"), field, "{answer:?}");
}

// ---------------------------------------------------------------------------------------
// checkout/cardOrder

#[tokio::test]
async fn card_order_accepted_answers_every_field_sealed() {
    let h = harness();
    let answer = h.card_order(&card_order("REF1")).await;
    let mut expected = json!({
        "responseCode": "00",
        "acquirerResponseCode": "00",
        "authorisationId": "123456",
        "transactionDateTime": "2026-11-28T14:02:17+00:00",
        "transactionReference": "REF1",
        "s10TransactionReference": {
            "s10TransactionId": "1",
            "s10TransactionIdDate": "20261128",
        },
        "maskedPan": "4100##########00",
        "panExpiryDate": "203012",
        "paymentMeanBrand": "VISA",
        "paymentMeanType": "CARD",
        "cardCSCResultCode": "4D",
        "guaranteeIndicator": "Y",
        "captureDay": "0",
        "captureMode": "AUTHOR_CAPTURE",
        "returnContext": "my context",
        "orderId": "ORD101",
    });
    expected["seal"] = answer["seal"].clone();
    assert_eq!(Value::Object(answer.clone()), expected);
    let mut unsealed = answer.clone();
    unsealed.remove("seal"); // hex digits may spell anything
    assert!(!serde_json::to_string(&unsealed).unwrap().contains(CSC));

    // What the core was handed: order details and containers kept, card data not.
    let stored = h.store.stored(MERCHANT, "REF1").unwrap();
    assert_eq!(stored.status, TransactionStatus::ToCapture);
    assert_eq!(stored.order.order_id.as_deref(), Some("ORD101"));
    assert_eq!(stored.order.customer_id.as_deref(), Some("customer1"));
    assert_eq!(stored.order.customer_ip_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(stored.order.order_channel.as_deref(), Some("INTERNET"));
    assert_eq!(stored.order.payment_pattern.as_deref(), Some("ONE_SHOT"));
    assert_eq!(stored.order.transaction_origin.as_deref(), Some("SO_WEBAPPLI"));
    assert_eq!(stored.order.extra["customerContact"]["email"], "customer@email.com");
    assert_eq!(stored.order.extra["shoppingCartDetail"]["shoppingCartTotalAmount"], "1000");
    let extra = serde_json::to_string(&stored.order.extra).unwrap();
    assert!(!extra.contains(ACCEPTED_CARD) && !extra.contains(CSC));
}

#[tokio::test]
async fn json_guide_examples_are_accepted_verbatim() {
    let h = harness();
    // The guide's own seal example, with its own seal.
    let first = json!({
      "amount": "2500", "captureDay": "0", "captureMode": "AUTHOR_CAPTURE",
      "cardCSCValue": "000", "cardExpiryDate": "201612", "cardNumber": "1234123412341234",
      "currencyCode": "978", "customerContact": { "email": "customer@email.com" },
      "interfaceVersion": "IR_WS_2.3", "keyVersion": "1", "merchantId": "011223344550000",
      "orderChannel": "INTERNET", "orderId": "ORD101", "returnContext": "ReturnContext",
      "transactionOrigin": "SO_WEBAPPLI", "transactionReference": "TREFEXA2012",
      "seal": "f1772faa4b73c0fc5a9810ad7fcaf91458d6174b2178a0a0a2bea2d860b404f5"
    });
    let answer = h.send("checkout", "cardOrder", &first).await;
    assert_eq!(code(&answer), "00", "{answer:?}");
    assert_sealed_with(&answer, SECRET, SealAlgorithm::HmacSha256);

    // The second one: SHA-256, a list inside a container, the test environment's merchant.
    let second = json!({
      "amount": "1000", "captureDay": "0", "captureMode": "AUTHOR_CAPTURE",
      "cardCSCValue": "100", "cardExpiryDate": "202305", "cardNumber": "5017670000000000",
      "currencyCode": "978", "customerId": "customerId1", "customerIpAddress": "127.0.0.1",
      "interfaceVersion": "IR_WS_2.49", "keyVersion": "1", "merchantId": "201040040170001",
      "merchantTransactionDateTime": "2023-04-05T10:01:56.520+02:00",
      "orderChannel": "INTERNET", "orderId": "123", "panType": "PAN",
      "paymentPattern": "ONE_SHOT", "returnContext": "Mon contexte de retour",
      "sealAlgorithm": "SHA-256",
      "shoppingCartDetail": {
        "shoppingCartItemList": [
          { "productCategory": "Physical", "productCode": "CodeProd1",
            "productDescription": "Prod_Description1", "productName": "productName1",
            "productQuantity": "2", "productSKU": "productSKU1", "productTaxRate": "0",
            "productUnitAmount": "10", "productUnitTaxAmount": "240" },
          { "productCategory": "Physical", "productCode": "CodeProd2",
            "productDescription": "Prod_Description2", "productName": "productName2",
            "productQuantity": "2", "productSKU": "productSKU2", "productTaxRate": "0",
            "productUnitAmount": "10", "productUnitTaxAmount": "240" }
        ],
        "shoppingCartTotalAmount": "40", "shoppingCartTotalTaxAmount": "960"
      },
      "transactionOrigin": "SIPS-SIM", "transactionReference": "SIM20230405100157",
      "seal": "44bab6daa67af2f6c91b40f08a428c66c151f80627ba2f905376b17a3d4c535c"
    });
    let answer = h.send("checkout", "cardOrder", &second).await;
    assert_eq!(code(&answer), "00", "{answer:?}");
    assert_eq!(text(&answer, "paymentMeanBrand"), Some("MASTERCARD"));
    assert_sealed_with(&answer, TEST_SECRET, SealAlgorithm::Sha256);
    let stored = h.store.stored(TEST_MERCHANT, "SIM20230405100157").unwrap();
    assert_eq!(stored.order.extra["shoppingCartDetail"]["shoppingCartItemList"][1]["productName"], "productName2");
}

#[tokio::test]
async fn every_seal_algorithm_round_trips() {
    let h = harness();
    for (index, algorithm) in ["HMAC-SHA-256", "HMAC-SHA-512", "SHA-256"].iter().enumerate() {
        let request = with(&card_order(&format!("ALG{index}")), json!({ "sealAlgorithm": algorithm }));
        // `call` checks the answer's seal with the same algorithm.
        let answer = h.card_order(&request).await;
        assert_eq!(code(&answer), "00");
    }
}

#[tokio::test]
async fn numbers_are_accepted_for_numeric_fields() {
    let h = harness();
    let request =
        with(&card_order("NUM1"), json!({ "amount": 1000, "currencyCode": 978, "captureDay": 0, "keyVersion": 1 }));
    let answer = h.card_order(&request).await;
    assert_eq!(code(&answer), "00", "{answer:?}");
}

#[tokio::test]
async fn refused_authorisations_keep_the_acquirer_code_and_are_stored() {
    let h = harness();
    for (card, response, acquirer) in [
        ("4100000000000005", "05", "05"),
        ("4100000000000051", "51", "51"),
        ("4100000000000054", "54", "54"),
        ("4100000000000014", "14", "14"),
        ("4100000000000013", "05", "13"),
    ] {
        let reference = format!("REFUSED{acquirer}");
        let answer = h.card_order(&with(&card_order(&reference), json!({ "cardNumber": card }))).await;
        assert_eq!(code(&answer), response, "{card}");
        assert_eq!(text(&answer, "acquirerResponseCode"), Some(acquirer));
        assert_eq!(text(&answer, "authorisationId"), None);
        assert_eq!(text(&answer, "transactionReference"), Some(reference.as_str()));
        let data = h.transaction_data(&reference).await;
        assert_eq!(text(&data, "transactionStatus"), Some("REFUSED"));
        assert_eq!(text(&data, "acquirerResponseCode"), Some(acquirer));
    }
}

#[tokio::test]
async fn acquirer_down_is_90_or_99_and_stores_nothing() {
    let h = harness();
    for (card, expected) in [("4100000000000090", "90"), ("4100000000000099", "99")] {
        let reference = format!("DOWN{expected}");
        let answer = h.card_order(&with(&card_order(&reference), json!({ "cardNumber": card }))).await;
        assert_error(&answer, expected, None);
        assert_eq!(code(&h.transaction_data(&reference).await), "25");
    }
}

#[tokio::test]
async fn a_reused_reference_is_94() {
    let h = harness();
    assert_eq!(code(&h.card_order(&card_order("TWICE")).await), "00");
    let again = h.card_order(&card_order("TWICE")).await;
    assert_error(&again, "94", None);
}

#[tokio::test]
async fn card_order_field_errors() {
    let h = harness();
    let base = card_order("FIELDS");
    let cases = [
        (json!({ "amount": null }), "12", "amount"),
        (json!({ "amount": "" }), "12", "amount"),
        (json!({ "amount": "0" }), "30", "amount"),
        (json!({ "amount": "12.50" }), "30", "amount"),
        (json!({ "amount": "1234567890123" }), "30", "amount"),
        (json!({ "currencyCode": null }), "12", "currencyCode"),
        (json!({ "currencyCode": "EUR" }), "30", "currencyCode"),
        (json!({ "currencyCode": "999" }), "30", "currencyCode"),
        (json!({ "transactionReference": null }), "12", "transactionReference"),
        (json!({ "transactionReference": "REF-1" }), "30", "transactionReference"),
        (json!({ "transactionReference": "R".repeat(36) }), "30", "transactionReference"),
        (json!({ "panType": "TOKEN_PAN" }), "30", "panType"),
        (json!({ "cardNumber": null }), "12", "cardNumber"),
        (json!({ "cardNumber": "41000000000" }), "30", "cardNumber"),
        (json!({ "cardNumber": "4100-0000-0000-0000" }), "30", "cardNumber"),
        (json!({ "cardExpiryDate": null }), "12", "cardExpiryDate"),
        (json!({ "cardExpiryDate": "203013" }), "30", "cardExpiryDate"),
        (json!({ "cardExpiryDate": "12/30" }), "30", "cardExpiryDate"),
        (json!({ "cardCSCValue": "12" }), "30", "cardCSCValue"),
        (json!({ "cardCSCValue": "12345" }), "30", "cardCSCValue"),
        (json!({ "paymentMeanBrand": "NOPE" }), "30", "paymentMeanBrand"),
        (json!({ "captureDay": "100" }), "30", "captureDay"),
        (json!({ "captureMode": "LATER" }), "30", "captureMode"),
        (json!({ "orderChannel": "WEB" }), "30", "orderChannel"),
        (json!({ "paymentPattern": "TWICE" }), "30", "paymentPattern"),
        (json!({ "orderId": "O".repeat(33) }), "30", "orderId"),
        (json!({ "returnContext": { "a": "b" } }), "30", "returnContext"),
    ];
    for (change, expected_code, field) in cases {
        let answer = h.card_order(&with(&base, change.clone())).await;
        assert_error(&answer, expected_code, Some(field));
        assert!(h.store.stored(MERCHANT, "FIELDS").is_none(), "{change}");
    }
    // Optional fields may be left out entirely.
    let minimal = with(
        &base,
        json!({
            "captureDay": null, "captureMode": null, "cardCSCValue": null, "panType": null,
            "orderChannel": null, "orderId": null, "customerContact": null, "customerId": null,
            "customerIpAddress": null, "paymentPattern": null, "returnContext": null,
            "shoppingCartDetail": null, "transactionOrigin": null,
        }),
    );
    let answer = h.card_order(&minimal).await;
    assert_eq!(code(&answer), "00", "{answer:?}");
    assert_eq!(text(&answer, "captureMode"), Some("AUTHOR_CAPTURE"));
    assert_eq!(text(&answer, "captureDay"), Some("0"));
    assert_eq!(text(&answer, "cardCSCResultCode"), None);
    assert_eq!(text(&answer, "orderId"), None);
}

#[tokio::test]
async fn unknown_fields_are_ignored_but_sealed() {
    let h = harness();
    let request = with(&card_order("EXTRA1"), json!({ "someFutureField": "x" }));
    assert_eq!(code(&h.card_order(&request).await), "00");
    // Added after sealing: the seal no longer matches.
    let mut tampered = object(sealed(&card_order("EXTRA2"), SECRET));
    tampered.insert("someFutureField".into(), json!("x"));
    let answer = h.send("checkout", "cardOrder", &Value::Object(tampered)).await;
    assert_error(&answer, "34", None);
    assert_sealed_with(&answer, SECRET, SealAlgorithm::HmacSha256);
}

// ---------------------------------------------------------------------------------------
// The checks every call goes through

#[tokio::test]
async fn envelope_presence_is_checked_in_order() {
    let h = harness();
    let base = card_order("ENV");
    let everything_missing = with(&base, json!({ "merchantId": null, "interfaceVersion": null, "keyVersion": null }));
    let answer = h.send("checkout", "cardOrder", &everything_missing).await;
    assert_error(&answer, "12", Some("merchantId"));
    assert!(answer.get("seal").is_none(), "no key known: unsealed");

    let cases = [
        (json!({ "interfaceVersion": null }), "interfaceVersion"),
        (json!({ "interfaceVersion": "" }), "interfaceVersion"),
        (json!({ "keyVersion": null }), "keyVersion"),
    ];
    for (change, field) in cases {
        let answer = h.send("checkout", "cardOrder", &sealed(&with(&base, change), SECRET)).await;
        assert_error(&answer, "12", Some(field));
    }
    // A missing seal: merchantId and keyVersion name a key, so the answer is sealed with it.
    let answer = h.send("checkout", "cardOrder", &base).await;
    assert_error(&answer, "12", Some("seal"));
    assert_sealed_with(&answer, SECRET, SealAlgorithm::HmacSha256);
}

#[tokio::test]
async fn envelope_formats() {
    let h = harness();
    let base = card_order("ENVFMT");
    let cases = [
        (json!({ "merchantId": "01122334455000X" }), "30", "merchantId"),
        (json!({ "merchantId": "0112233445500001" }), "30", "merchantId"),
        (json!({ "interfaceVersion": "CR_WS_2.53" }), "12", "interfaceVersion"),
        (json!({ "interfaceVersion": "DR_WS_2.53" }), "12", "interfaceVersion"),
        (json!({ "interfaceVersion": "IR_WS_2.59" }), "30", "interfaceVersion"),
        (json!({ "interfaceVersion": "IR_WS_1.0" }), "30", "interfaceVersion"),
        (json!({ "interfaceVersion": "IR_WS_2.3.1" }), "30", "interfaceVersion"),
        (json!({ "interfaceVersion": "IR_WS2.53" }), "30", "interfaceVersion"),
        (json!({ "keyVersion": "one" }), "30", "keyVersion"),
        (json!({ "sealAlgorithm": "MD5" }), "30", "sealAlgorithm"),
    ];
    for (change, expected_code, field) in cases {
        let answer = h.send("checkout", "cardOrder", &sealed(&with(&base, change.clone()), SECRET)).await;
        assert_error(&answer, expected_code, Some(field));
    }
    // Versions 2.0 to 2.58 are all accepted.
    for (index, version) in ["IR_WS_2.0", "IR_WS_2.9", "IR_WS_2.58"].iter().enumerate() {
        let request = with(&card_order(&format!("VERSION{index}")), json!({ "interfaceVersion": version }));
        assert_eq!(code(&h.card_order(&request).await), "00", "{version}");
    }
    // An unknown algorithm is refused, the answer sealed with the default one.
    let answer =
        h.send("checkout", "cardOrder", &sealed(&with(&base, json!({ "sealAlgorithm": "MD5" })), SECRET)).await;
    assert_sealed_with(&answer, SECRET, SealAlgorithm::HmacSha256);
}

#[tokio::test]
async fn prefixes_follow_the_family() {
    let h = harness();
    let wrong = with(&cash("X", "1"), json!({ "interfaceVersion": "IR_WS_2.53" }));
    let answer = h.cash("cancel", &wrong).await;
    assert_error(&answer, "12", Some("interfaceVersion"));
    let wrong = with(&get("X"), json!({ "interfaceVersion": "CR_WS_2.53" }));
    let answer = h.call("diagnostic", "getTransactionData", &wrong).await;
    assert_error(&answer, "12", Some("interfaceVersion"));
}

#[tokio::test]
async fn unknown_merchant_is_03_unsealed() {
    let h = harness();
    let request = with(&card_order("M03"), json!({ "merchantId": "099999999999999" }));
    let answer = h.send("checkout", "cardOrder", &sealed(&request, SECRET)).await;
    assert_eq!(Value::Object(answer), json!({ "responseCode": "03" }));
}

#[tokio::test]
async fn unknown_key_version_is_34_unsealed() {
    let h = harness();
    let request = with(&card_order("K34"), json!({ "keyVersion": "2" }));
    let answer = h.send("checkout", "cardOrder", &sealed(&request, SECRET)).await;
    assert_eq!(Value::Object(answer), json!({ "responseCode": "34" }));
}

#[tokio::test]
async fn wrong_seal_is_34_sealed_with_the_named_key() {
    let h = harness();
    let request = sealed(&card_order("S34"), "not the key");
    let answer = h.send("checkout", "cardOrder", &request).await;
    assert_error(&answer, "34", None);
    assert_sealed_with(&answer, SECRET, SealAlgorithm::HmacSha256);
    assert!(h.store.stored(MERCHANT, "S34").is_none(), "nothing changed");
    // Another shop's key does not open this shop.
    let answer = h.send("checkout", "cardOrder", &sealed(&card_order("S34"), OTHER_SECRET)).await;
    assert_error(&answer, "34", None);
    // An uppercase seal is the same seal.
    let mut upper = object(sealed(&card_order("UPPER"), SECRET));
    let seal = upper["seal"].as_str().unwrap().to_ascii_uppercase();
    upper.insert("seal".into(), Value::String(seal));
    assert_eq!(code(&h.send("checkout", "cardOrder", &Value::Object(upper)).await), "00");
}

#[tokio::test]
async fn nesting_beyond_the_limit_is_30() {
    let h = harness();
    let mut deep = json!("leaf");
    for _ in 0..seal::MAX_DEPTH {
        deep = json!({ "inner": deep });
    }
    // Sealing it is impossible; any seal will do, the depth is checked before the seal.
    let request = with(&card_order("DEEP"), json!({ "customerData": deep, "seal": "00" }));
    let answer = h.send("checkout", "cardOrder", &request).await;
    assert_error(&answer, "30", Some("customerData"));
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_are_400() {
    let h = harness();
    for body in [&b"[1,2]"[..], b"\"text\"", b"not json", b"", b"{\"a\":"] {
        match h.raw("checkout", "cardOrder", body).await {
            OfficeReply::BadRequest(json) => assert_eq!(json, r#"{"responseCode":"12"}"#),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn unknown_methods_are_404() {
    let h = harness();
    let body = serde_json::to_vec(&sealed(&card_order("X"), SECRET)).unwrap();
    for (family, method) in [
        ("checkout", "directDebitOrder"),
        ("checkout", "paymentProviderInitialize"),
        ("checkout", "cardorder"),
        ("cashManagement", "cardOrder"),
        ("diagnostic", "getFraudData"),
        ("fraud", "addToFraudList"),
        ("nope", "cardOrder"),
        ("", ""),
    ] {
        assert_eq!(h.raw(family, method, &body).await, OfficeReply::UnknownMethod, "{family}/{method}");
    }
    // Even before the body is read.
    assert_eq!(h.raw("nope", "x", b"garbage").await, OfficeReply::UnknownMethod);
}

#[test]
fn the_415_page_is_the_guides() {
    assert!(UNSUPPORTED_MEDIA_TYPE_HTML.starts_with("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">"));
    assert!(UNSUPPORTED_MEDIA_TYPE_HTML.contains("<title>415 Unsupported Media Type</title>"));
    assert!(
        UNSUPPORTED_MEDIA_TYPE_HTML.contains(
            "<p>The supplied request data is not in a format\nacceptable for processing by this resource.</p>"
        )
    );
    assert!(UNSUPPORTED_MEDIA_TYPE_HTML.ends_with("</html>"));
}

#[tokio::test]
async fn store_failures_are_99_never_a_panic() {
    let h = harness();
    // Warm the key cache, then break the store: the call reaches the core and fails there.
    assert_eq!(code(&h.card_order(&card_order("WARM")).await), "00");
    h.store.broken.store(true, Ordering::SeqCst);
    let answer = h.card_order(&card_order("BROKEN")).await;
    assert_error(&answer, "99", None);
    let answer = h.transaction_data("WARM").await;
    assert_error(&answer, "99", None);
    // A shop that is not cached cannot be read: 99, and no key to seal with.
    let request = with(&card_order("BROKEN2"), json!({ "merchantId": OTHER_MERCHANT }));
    let answer = h.send("checkout", "cardOrder", &sealed(&request, OTHER_SECRET)).await;
    assert_eq!(Value::Object(answer), json!({ "responseCode": "99" }));
}

#[tokio::test]
async fn keys_are_cached_and_new_versions_found() {
    let h = harness();
    assert_eq!(code(&h.card_order(&card_order("CACHE1")).await), "00");
    let reads = h.store.shop_reads.load(Ordering::SeqCst);
    assert_eq!(code(&h.card_order(&card_order("CACHE2")).await), "00");
    assert_eq!(h.store.shop_reads.load(Ordering::SeqCst), reads, "served from the cache");

    // `caisse shop add-key` in another process: the cache has no version 2 yet.
    let key = h.store.add_key(&ShopId(MERCHANT.into()), "second secret").await.unwrap();
    assert_eq!(key.version, 2);
    let request = with(&card_order("CACHE3"), json!({ "keyVersion": "2" }));
    let answer = h.call_as("checkout", "cardOrder", &request, "second secret").await;
    assert_eq!(code(&answer), "00");
    // Version 1 still works.
    assert_eq!(code(&h.card_order(&card_order("CACHE4")).await), "00");
}

// ---------------------------------------------------------------------------------------
// cashManagement

#[tokio::test]
async fn partial_then_total_cancel() {
    let h = harness();
    assert_eq!(code(&h.card_order(&card_order("CANCEL1")).await), "00");
    let answer = h.cash("cancel", &cash("CANCEL1", "400")).await;
    let mut expected = json!({
        "responseCode": "00",
        "acquirerResponseCode": "00",
        "newAmount": "600",
        "newStatus": "TO_CAPTURE",
        "operationDateTime": "2026-11-28T14:02:17+00:00",
    });
    expected["seal"] = answer["seal"].clone();
    assert_eq!(Value::Object(answer), expected);

    let over = h.cash("cancel", &cash("CANCEL1", "601")).await;
    assert_error(&over, "24", None);

    h.clock.advance(Duration::minutes(5));
    let total = h.cash("cancel", &cash("CANCEL1", "600")).await;
    assert_eq!(code(&total), "00");
    assert_eq!(text(&total, "newAmount"), Some("0"));
    assert_eq!(text(&total, "newStatus"), Some("CANCELLED"));
    assert_eq!(text(&total, "operationDateTime"), Some("2026-11-28T14:07:17+00:00"));

    let again = h.cash("cancel", &cash("CANCEL1", "1")).await;
    assert_error(&again, "24", None);
    let data = h.transaction_data("CANCEL1").await;
    assert_eq!(text(&data, "transactionStatus"), Some("CANCELLED"));
    assert_eq!(text(&data, "lastOperationName"), Some("CANCEL"));
    assert_eq!(text(&data, "lastOperationDateTime"), Some("2026-11-28T14:07:17+00:00"));
    assert_eq!(text(&data, "currentAmount"), Some("0"));
    assert_eq!(text(&data, "remainingAmount"), Some("0"));
    assert_eq!(text(&data, "originAmount"), Some("1000"));
}

#[tokio::test]
async fn cash_operation_field_errors() {
    let h = harness();
    assert_eq!(code(&h.card_order(&card_order("CASHF")).await), "00");
    let base = cash("CASHF", "100");
    let cases = [
        (json!({ "operationAmount": null }), "12", "operationAmount"),
        (json!({ "operationAmount": "0" }), "30", "operationAmount"),
        (json!({ "operationAmount": "-1" }), "30", "operationAmount"),
        (json!({ "currencyCode": null }), "12", "currencyCode"),
        (json!({ "currencyCode": "97" }), "30", "currencyCode"),
        (json!({ "currencyCode": "840" }), "12", "currencyCode"),
        (json!({ "transactionReference": null }), "12", "transactionReference"),
        (json!({ "transactionReference": "A B" }), "30", "transactionReference"),
        (json!({ "transactionReference": null, "s10TransactionReference": "1" }), "30", "s10TransactionReference"),
        (
            json!({ "transactionReference": null,
                    "s10TransactionReference": { "s10TransactionId": "1234567" } }),
            "30",
            "s10TransactionId",
        ),
    ];
    for method in ["cancel", "refund", "validate"] {
        for (change, expected_code, field) in &cases {
            let answer = h.cash(method, &with(&base, change.clone())).await;
            assert_error(&answer, expected_code, Some(field));
        }
        let unknown = h.cash(method, &cash("NOSUCHREF", "100")).await;
        assert_error(&unknown, "25", None);
    }
    let data = h.transaction_data("CASHF").await;
    assert_eq!(text(&data, "currentAmount"), Some("1000"), "nothing changed");
}

#[tokio::test]
async fn s10_transaction_reference_names_a_transaction() {
    let h = harness();
    let first = h.card_order(&card_order("S10A")).await;
    let second = h.card_order(&card_order("S10B")).await;
    assert_eq!(first["s10TransactionReference"]["s10TransactionId"], "1");
    assert_eq!(second["s10TransactionReference"]["s10TransactionId"], "2");
    let by_s10 = with(
        &cash("S10B", "100"),
        json!({
            "transactionReference": null,
            "s10TransactionReference": second["s10TransactionReference"].clone(),
        }),
    );
    let answer = h.cash("cancel", &by_s10).await;
    assert_eq!(text(&answer, "newAmount"), Some("900"));
    // Without a date: today's.
    let by_id_only = with(
        &cash("S10A", "100"),
        json!({
            "transactionReference": null,
            "s10TransactionReference": { "s10TransactionId": "000001" },
        }),
    );
    assert_eq!(text(&h.cash("cancel", &by_id_only).await, "newAmount"), Some("900"));
    // Another day: unknown.
    let yesterday = with(
        &by_id_only,
        json!({ "s10TransactionReference": {
            "s10TransactionId": "1", "s10TransactionIdDate": "20261127" } }),
    );
    assert_error(&h.cash("cancel", &yesterday).await, "25", None);
    let data = h
        .call(
            "diagnostic",
            "getTransactionData",
            &with(
                &get("x"),
                json!({ "transactionReference": null,
                        "s10TransactionReference": { "s10TransactionId": "2" } }),
            ),
        )
        .await;
    assert_eq!(text(&data, "transactionReference"), Some("S10B"));
}

#[tokio::test]
async fn refund_limits() {
    let h = harness();
    let immediate = with(&card_order("REFUND1"), json!({ "captureMode": "IMMEDIATE" }));
    assert_eq!(code(&h.card_order(&immediate).await), "00");

    assert_error(&h.cash("refund", &cash("REFUND1", "1001")).await, "24", None);
    let partial = h.cash("refund", &cash("REFUND1", "300")).await;
    let mut expected = json!({
        "responseCode": "00",
        "acquirerResponseCode": "00",
        "authorisationId": "654321",
        "newAmount": "700",
        "newStatus": "CAPTURED",
        "operationDateTime": "2026-11-28T14:02:17+00:00",
    });
    expected["seal"] = partial["seal"].clone();
    assert_eq!(Value::Object(partial), expected);

    let data = h.transaction_data("REFUND1").await;
    assert_eq!(text(&data, "currentAmount"), Some("700"));
    assert_eq!(text(&data, "remainingAmount"), Some("700"));
    assert_eq!(text(&data, "lastOperationName"), Some("REFUND"));

    assert_error(&h.cash("refund", &cash("REFUND1", "701")).await, "24", None);
    let total = h.cash("refund", &cash("REFUND1", "700")).await;
    assert_eq!(text(&total, "newStatus"), Some("CREDITED"));
    assert_eq!(text(&total, "newAmount"), Some("0"));
    assert_error(&h.cash("refund", &cash("REFUND1", "1")).await, "24", None);

    // Not captured yet: cancel applies, refund does not.
    assert_eq!(code(&h.card_order(&card_order("REFUND2")).await), "00");
    assert_error(&h.cash("refund", &cash("REFUND2", "100")).await, "24", None);
    // Captured by the batch, then refundable.
    h.clock.advance(Duration::days(1));
    h.payments.run_capture_batch().await.unwrap();
    let answer = h.cash("refund", &cash("REFUND2", "1000")).await;
    assert_eq!(text(&answer, "newStatus"), Some("CREDITED"));
    // A captured transaction can no longer be cancelled.
    assert_eq!(code(&h.card_order(&with(&immediate, json!({"transactionReference": "REFUND3"}))).await), "00");
    assert_error(&h.cash("cancel", &cash("REFUND3", "100")).await, "24", None);
}

#[tokio::test]
async fn validate_up_to_the_authorised_amount() {
    let h = harness();
    let validation = with(&card_order("VALID1"), json!({ "captureMode": "VALIDATION", "captureDay": "5" }));
    let answer = h.card_order(&validation).await;
    assert_eq!(text(&answer, "captureMode"), Some("VALIDATION"));
    assert_eq!(text(&answer, "captureDay"), Some("5"));
    let data = h.transaction_data("VALID1").await;
    assert_eq!(text(&data, "transactionStatus"), Some("TO_VALIDATE"));
    assert_eq!(text(&data, "captureLimitDate"), Some("20261203"));

    assert_error(&h.cash("validate", &cash("VALID1", "1001")).await, "24", None);
    let answer = h.cash("validate", &cash("VALID1", "800")).await;
    let mut expected = json!({
        "responseCode": "00",
        "acquirerResponseCode": "00",
        "authorisationId": "123456",
        "newAmount": "800",
        "newStatus": "TO_CAPTURE",
        "operationDateTime": "2026-11-28T14:02:17+00:00",
        "captureLimitDate": "20261128",
    });
    expected["seal"] = answer["seal"].clone();
    assert_eq!(Value::Object(answer), expected);
    assert_error(&h.cash("validate", &cash("VALID1", "800")).await, "24", None);

    let data = h.transaction_data("VALID1").await;
    assert_eq!(text(&data, "originAmount"), Some("1000"));
    assert_eq!(text(&data, "amount"), Some("1000"));
    assert_eq!(text(&data, "currentAmount"), Some("800"));
    assert_eq!(text(&data, "remainingAmount"), Some("800"));
    assert_eq!(text(&data, "lastOperationName"), Some("VALIDATE"));

    // An AUTHOR_CAPTURE transaction has nothing to validate.
    assert_eq!(code(&h.card_order(&card_order("VALID2")).await), "00");
    assert_error(&h.cash("validate", &cash("VALID2", "100")).await, "24", None);
}

fn duplicate(from: &str, reference: &str) -> Value {
    json!({
        "amount": "500",
        "currencyCode": "978",
        "fromMerchantId": MERCHANT,
        "fromTransactionReference": from,
        "interfaceVersion": "CR_WS_2.53",
        "keyVersion": "1",
        "merchantId": MERCHANT,
        "orderId": "ORD2",
        "transactionReference": reference,
    })
}

#[tokio::test]
async fn duplicate_authorises_the_same_card_again() {
    let h = harness();
    let source = with(&card_order("SOURCE1"), json!({ "captureMode": "VALIDATION" }));
    assert_eq!(code(&h.card_order(&source).await), "00");
    // Expired sources are the usual case.
    h.clock.advance(Duration::days(2));
    h.payments.run_capture_batch().await.unwrap();
    assert_eq!(text(&h.transaction_data("SOURCE1").await, "transactionStatus"), Some("EXPIRED"));

    let answer = h.cash("duplicate", &duplicate("SOURCE1", "DUP1")).await;
    assert_eq!(code(&answer), "00", "{answer:?}");
    assert_eq!(text(&answer, "transactionReference"), Some("DUP1"));
    assert_eq!(text(&answer, "maskedPan"), Some("4100##########00"));
    assert_eq!(text(&answer, "panExpiryDate"), Some("203012"));
    assert_eq!(text(&answer, "orderId"), Some("ORD2"));
    assert_eq!(text(&answer, "captureMode"), Some("VALIDATION"), "from the source");
    assert_eq!(text(&answer, "transactionDateTime"), Some("2026-11-30T14:02:17+00:00"));
    let data = h.transaction_data("DUP1").await;
    assert_eq!(text(&data, "fromTransactionReference"), Some("SOURCE1"));
    assert_eq!(text(&data, "amount"), Some("500"));
    assert_eq!(text(&data, "orderChannel"), Some("INTERNET"), "from the source");

    // Optional overrides.
    let overriding = with(
        &duplicate("SOURCE1", "DUP2"),
        json!({ "captureMode": "IMMEDIATE", "captureDay": "0", "orderChannel": "MOTO" }),
    );
    let answer = h.cash("duplicate", &overriding).await;
    assert_eq!(text(&answer, "captureMode"), Some("IMMEDIATE"));
    let data = h.transaction_data("DUP2").await;
    assert_eq!(text(&data, "transactionStatus"), Some("CAPTURED"));
    assert_eq!(text(&data, "orderChannel"), Some("MOTO"));

    // fromMerchantId may be left out; another merchant's is as if unknown.
    let own = with(&duplicate("SOURCE1", "DUP3"), json!({ "fromMerchantId": null }));
    assert_eq!(code(&h.cash("duplicate", &own).await), "00");
    let foreign = with(&duplicate("SOURCE1", "DUP4"), json!({ "fromMerchantId": OTHER_MERCHANT }));
    assert_error(&h.cash("duplicate", &foreign).await, "25", None);
    assert_error(&h.cash("duplicate", &duplicate("NOSUCH", "DUP5")).await, "25", None);
    assert_error(&h.cash("duplicate", &duplicate("SOURCE1", "DUP1")).await, "94", None);

    for (change, expected_code, field) in [
        (json!({ "fromTransactionReference": null }), "12", "fromTransactionReference"),
        (json!({ "fromMerchantId": "abc" }), "30", "fromMerchantId"),
        (json!({ "transactionReference": null }), "12", "transactionReference"),
        (json!({ "amount": null }), "12", "amount"),
        (json!({ "amount": "0" }), "30", "amount"),
        (json!({ "currencyCode": null }), "12", "currencyCode"),
        (json!({ "captureDay": "x" }), "30", "captureDay"),
        (json!({ "captureMode": "x" }), "30", "captureMode"),
        (json!({ "orderChannel": "x" }), "30", "orderChannel"),
    ] {
        let answer = h.cash("duplicate", &with(&duplicate("SOURCE1", "DUP6"), change)).await;
        assert_error(&answer, expected_code, Some(field));
    }
}

#[tokio::test]
async fn duplicate_of_a_refused_card_is_refused_again() {
    let h = harness();
    let refused = with(&card_order("SRC51"), json!({ "cardNumber": "4100000000000051" }));
    assert_eq!(code(&h.card_order(&refused).await), "51");
    let answer = h.cash("duplicate", &duplicate("SRC51", "DUP51")).await;
    assert_eq!(code(&answer), "51");
    assert_eq!(text(&answer, "acquirerResponseCode"), Some("51"));
}

#[tokio::test]
async fn credit_holder_credits_a_card() {
    let h = harness();
    let request = with(
        &card_order("CREDIT1"),
        json!({ "interfaceVersion": "CR_WS_2.53", "captureMode": null, "captureDay": null }),
    );
    let answer = h.cash("creditHolder", &request).await;
    assert_eq!(code(&answer), "00", "{answer:?}");
    assert_eq!(text(&answer, "maskedPan"), Some("4100##########00"));
    assert_eq!(text(&answer, "paymentMeanType"), Some("CARD"));
    let data = h.transaction_data("CREDIT1").await;
    assert_eq!(text(&data, "transactionStatus"), Some("TO_CREDIT"));
    assert_eq!(text(&data, "lastOperationName"), Some("CREDIT_HOLDER"));
    assert_eq!(text(&data, "remainingAmount"), Some("0"));
    // Its own field checks.
    for (change, expected_code, field) in [
        (json!({ "cardNumber": null }), "12", "cardNumber"),
        (json!({ "amount": "x" }), "30", "amount"),
        (json!({ "transactionReference": null }), "12", "transactionReference"),
        (json!({ "panType": "CSE" }), "30", "panType"),
    ] {
        let answer = h.cash("creditHolder", &with(&request, change.clone())).await;
        assert_error(&answer, expected_code, Some(field));
    }
    assert_error(&h.cash("creditHolder", &request).await, "94", None);
    // The checkout prefix is not cashManagement's.
    let wrong = with(&request, json!({ "interfaceVersion": "IR_WS_2.53", "transactionReference": "CREDIT2" }));
    assert_error(&h.cash("creditHolder", &wrong).await, "12", Some("interfaceVersion"));
}

// ---------------------------------------------------------------------------------------
// diagnostic/getTransactionData

#[tokio::test]
async fn transaction_data_answers_the_transaction_as_it_stands() {
    let h = harness();
    assert_eq!(code(&h.card_order(&card_order("DATA1")).await), "00");
    h.clock.advance(Duration::hours(1));
    let answer = h.transaction_data("DATA1").await;
    let mut expected = json!({
        "responseCode": "00",
        "transactionStatus": "TO_CAPTURE",
        "amount": "1000",
        "originAmount": "1000",
        "currentAmount": "1000",
        "remainingAmount": "1000",
        "currencyCode": "978",
        "captureDay": "0",
        "captureMode": "AUTHOR_CAPTURE",
        "captureLimitDate": "20261128",
        "lastOperationName": "AUTHOR",
        "lastOperationDateTime": "2026-11-28T14:02:17+00:00",
        "transactionDateTime": "2026-11-28T14:02:17+00:00",
        "transactionReference": "DATA1",
        "s10TransactionReference": {
            "s10TransactionId": "1",
            "s10TransactionIdDate": "20261128",
        },
        "acquirerResponseCode": "00",
        "authorisationId": "123456",
        "cardCSCResultCode": "4D",
        "guaranteeIndicator": "Y",
        "maskedPan": "4100##########00",
        "panExpiryDate": "203012",
        "paymentMeanBrand": "VISA",
        "paymentMeanType": "CARD",
        "orderId": "ORD101",
        "orderChannel": "INTERNET",
        "customerId": "customer1",
        "customerIpAddress": "127.0.0.1",
        "paymentPattern": "ONE_SHOT",
        "returnContext": "my context",
    });
    expected["seal"] = answer["seal"].clone();
    assert_eq!(Value::Object(answer), expected);

    assert_error(&h.cash_unknown_reference().await, "25", None);
    // Without any reference.
    let answer =
        h.call("diagnostic", "getTransactionData", &with(&get("x"), json!({ "transactionReference": null }))).await;
    assert_error(&answer, "12", Some("transactionReference"));
}

impl Harness {
    async fn cash_unknown_reference(&self) -> Map<String, Value> {
        self.transaction_data("NOSUCHREF").await
    }
}

#[tokio::test]
async fn another_shops_transaction_is_unknown() {
    let h = harness();
    let theirs = with(&card_order("THEIRS"), json!({ "merchantId": OTHER_MERCHANT }));
    let answer = h.call_as("checkout", "cardOrder", &theirs, OTHER_SECRET).await;
    assert_eq!(code(&answer), "00");
    // The same reference is free in another shop.
    assert_eq!(code(&h.card_order(&card_order("THEIRS2")).await), "00");

    assert_error(&h.transaction_data("THEIRS").await, "25", None);
    assert_error(&h.cash("cancel", &cash("THEIRS", "1")).await, "25", None);
    assert_error(&h.cash("refund", &cash("THEIRS", "1")).await, "25", None);
    assert_error(&h.cash("validate", &cash("THEIRS", "1")).await, "25", None);
    assert_error(&h.cash("duplicate", &duplicate("THEIRS", "MINE")).await, "25", None);
    // Their own view is intact.
    let own = h
        .call_as(
            "diagnostic",
            "getTransactionData",
            &with(&get("THEIRS"), json!({ "merchantId": OTHER_MERCHANT })),
            OTHER_SECRET,
        )
        .await;
    assert_eq!(text(&own, "currentAmount"), Some("1000"));
}
