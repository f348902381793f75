//! The Sogecommerce REST API V4 over real HTTP, on SQLite and on PostgreSQL: authentication,
//! the envelope, payments (PCI, by token, form tokens), tokens, transactions, orders.

mod common;

use common::*;
use serde_json::{Value, json};

const CARD_OK: &str = "4970100000000000";
const CARD_REFUSED: &str = "4970100000000002";

fn card(pan: &str) -> Value {
    json!([{"paymentMethodType": "CARD", "pan": pan, "expiryMonth": "12", "expiryYear": "30", "securityCode": "123"}])
}

fn is_hex32(value: &Value) -> bool {
    value.as_str().is_some_and(|text| text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A PCI card payment; returns the V4/Payment.
async fn pay_by_card(server: &TestServer, amount: u64, order_id: &str, extra: Value) -> Value {
    let mut body = json!({"amount": amount, "currency": "EUR", "orderId": order_id, "paymentForms": card(CARD_OK)});
    for (name, value) in extra.as_object().cloned().unwrap_or_default() {
        body[name] = value;
    }
    server.rest_ok("Charge/CreatePayment", body).await
}

fn uuid_of(payment: &Value) -> String {
    payment["transactions"][0]["uuid"].as_str().expect("uuid").to_owned()
}

async fn get(server: &TestServer, uuid: &str) -> Value {
    server.rest_ok("Transaction/Get", json!({ "uuid": uuid })).await
}

/// A debit of `amount` captured by the batch.
async fn captured_payment(server: &TestServer, amount: u64, order_id: &str) -> String {
    let uuid = uuid_of(&pay_by_card(server, amount, order_id, json!({})).await);
    server.advance_days(1);
    server.run_batch().await;
    assert_eq!(get(server, &uuid).await["detailedStatus"], "CAPTURED");
    uuid
}

on_both_backends! {
    async fn envelope_and_sdk_test(server) {
        let response = server
            .client
            .post(format!("{}/api-payment/V4/Charge/SDKTest", server.base_url))
            .header("Authorization", basic(LYRA_SHOP, LYRA_PASSWORD))
            .header("Content-Type", "application/json")
            .body(r#"{"value":"my testing value"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let keys = ["webService", "version", "applicationVersion", "status", "answer", "ticket", "serverDate",
                    "applicationProvider", "metadata", "mode", "serverUrl", "_type"];
        // The answer has a `_type` of its own: the envelope's is the last one.
        let positions: Vec<usize> = keys.iter().map(|key| text.rfind(&format!("\"{key}\":")).expect(key)).collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "envelope key order: {text}");
        let envelope: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(envelope["webService"], "Charge/SDKTest");
        assert_eq!(envelope["version"], "V4");
        assert_eq!(envelope["status"], "SUCCESS");
        assert_eq!(envelope["answer"], json!({"value": "my testing value", "_type": "V4/Type/String"}));
        assert!(is_hex32(&envelope["ticket"]));
        assert_eq!(envelope["serverDate"], "2026-11-28T10:00:00+00:00");
        assert_eq!(envelope["applicationProvider"], "SOGECOMMERCE");
        assert_eq!(envelope["metadata"], Value::Null);
        assert_eq!(envelope["mode"], "TEST");
        assert_eq!(envelope["serverUrl"], server.base_url.as_str());
        assert_eq!(envelope["_type"], "V4/WebService/Response");
        let again = server.rest("Charge/SDKTest", json!({"value": "x"})).await;
        assert_ne!(again["ticket"], envelope["ticket"], "a fresh ticket per call");
        server.rest_error("Charge/SDKTest", json!({}), "INT_902").await;
    }

    async fn authentication(server) {
        let body = r#"{"value":"probe"}"#;
        let wrong = [
            None,
            Some("Basic".to_owned()),
            Some("Bearer abc".to_owned()),
            Some("Basic not-base64!".to_owned()),
            Some(basic(LYRA_SHOP, "testpassword_WRONG")),
            Some(basic("12345678", LYRA_PASSWORD)),
            Some(basic(LYRA_SHOP, LYRA_SEED_PASSWORD)),
        ];
        for authorization in wrong {
            let (status, envelope) = server.rest_raw("Charge/SDKTest", authorization.as_deref(), body).await;
            assert_eq!(status, 401, "{authorization:?}");
            assert_eq!(envelope["status"], "ERROR");
            assert_eq!(envelope["answer"]["errorCode"], "INT_905");
            assert_eq!(envelope["answer"]["errorMessage"], "invalid login or private key");
            assert_eq!(envelope["answer"]["shopId"], Value::Null);
            assert_eq!(envelope["answer"]["_type"], "V4/WebService/WebServiceError");
        }
        let lower = basic(LYRA_SHOP, LYRA_PASSWORD).replace("Basic", "basic");
        let (status, envelope) = server.rest_raw("Charge/SDKTest", Some(&lower), body).await;
        assert_eq!((status, envelope["status"].as_str()), (200, Some("SUCCESS")));
        // Both preloaded shops answer with their test passwords.
        let seed = server.rest_as(LYRA_SEED_SHOP, LYRA_SEED_PASSWORD, "Charge/SDKTest", json!({"value": "v"})).await;
        assert_eq!(seed["status"], "SUCCESS");
        // Unknown service and bad credentials: the credentials are checked first.
        let (status, _) = server.rest_raw("Charge/Nope", None, body).await;
        assert_eq!(status, 401);
    }

    async fn production_password_answers_in_production(server) {
        let shop = caisse_core::ShopId(LYRA_SEED_SHOP.into());
        let credentials = caisse_core::LyraCredentials {
            shop_id: shop.clone(),
            test_password: "testpassword_ROTATED".into(),
            production_password: "prodpassword_ROTATED".into(),
            test_hmac_key: "test-hmac".into(),
            production_hmac_key: "prod-hmac".into(),
        };
        server.state.payments.store().set_lyra_credentials(&credentials).await.unwrap();
        let production = server
            .rest_as(LYRA_SEED_SHOP, "prodpassword_ROTATED", "Charge/CreatePayment", json!({
                "amount": 1500, "currency": "EUR", "orderId": "PROD-1", "paymentForms": card(CARD_OK)}))
            .await;
        assert_eq!(production["status"], "SUCCESS", "{production}");
        assert_eq!(production["mode"], "PRODUCTION");
        assert_eq!(production["answer"]["orderDetails"]["mode"], "PRODUCTION");
        let uuid = uuid_of(&production["answer"]);
        let prod = |service: &'static str, body: Value| server.rest_as(LYRA_SEED_SHOP, "prodpassword_ROTATED", service, body);
        let test = |service: &'static str, body: Value| server.rest_as(LYRA_SEED_SHOP, "testpassword_ROTATED", service, body);
        let got = prod("Transaction/Get", json!({"uuid": uuid})).await;
        assert_eq!(got["answer"]["orderDetails"]["mode"], "PRODUCTION");
        // TEST and PRODUCTION see separate data, as the platform's two environments do.
        for (service, body) in [
            ("Transaction/Get", json!({"uuid": uuid})),
            ("Transaction/CancelOrRefund", json!({"uuid": uuid})),
            ("Transaction/Duplicate", json!({"uuid": uuid, "amount": 100, "currency": "EUR"})),
            ("Charge/CreateTokenFromTransaction", json!({"uuid": uuid})),
            ("Order/Get", json!({"orderId": "PROD-1"})),
        ] {
            let envelope = test(service, body).await;
            assert_eq!(envelope["mode"], "TEST");
            assert_eq!(envelope["answer"]["errorCode"], "PSP_010", "{service}: {envelope}");
        }
        let token_body = json!({"orderId": "T", "paymentForms": card(CARD_OK)});
        let test_token = test("Charge/CreateToken", token_body).await["answer"]["transactions"][0]["paymentMethodToken"]
            .as_str().unwrap().to_owned();
        for (service, body) in [
            ("Token/Get", json!({"paymentMethodToken": test_token})),
            ("Token/Cancel", json!({"paymentMethodToken": test_token})),
            ("Charge/CreatePayment", json!({"amount": 100, "currency": "EUR", "formAction": "SILENT",
                "paymentMethodToken": test_token})),
            ("Charge/CreateSubscription", json!({"amount": 100, "currency": "EUR", "paymentMethodToken": test_token,
                "effectDate": "2026-12-01T00:00:00+00:00", "rrule": "RRULE:FREQ=MONTHLY"})),
        ] {
            let envelope = prod(service, body).await;
            assert_eq!(envelope["answer"]["errorCode"], "PSP_030", "{service}: {envelope}");
        }
        assert_eq!(test("Token/Get", json!({"paymentMethodToken": test_token})).await["answer"]["status"], "ACTIVE");
        // Another shop's transaction is unknown to this one.
        server.rest_error("Transaction/Get", json!({"uuid": uuid}), "PSP_010").await;
    }

    async fn malformed_requests(server) {
        let authorization = basic(LYRA_SHOP, LYRA_PASSWORD);
        let (status, envelope) = server.rest_raw("Charge/CreatePayment", Some(&authorization), "{\"amount\": ").await;
        assert_eq!(status, 200);
        assert_eq!(envelope["answer"]["errorCode"], "INT_902");
        assert_eq!(envelope["answer"]["errorMessage"], "web-service input data validation error");
        assert!(envelope["answer"]["detailedErrorMessage"].as_str().unwrap().starts_with("can't decode JSON data : line: 1"));
        assert_eq!(envelope["answer"]["shopId"], LYRA_SHOP);
        assert_eq!(envelope["answer"]["ticket"], "null");
        for body in ["[1,2]", "\"text\"", ""] {
            let (status, envelope) = server.rest_raw("Charge/CreatePayment", Some(&authorization), body).await;
            assert_eq!((status, envelope["answer"]["errorCode"].as_str()), (200, Some("INT_902")), "{body:?}");
        }
        let (status, envelope) = server.rest_raw("Charge/Nope", Some(&authorization), "{}").await;
        assert_eq!((status, envelope["answer"]["errorCode"].as_str()), (200, Some("INT_901")));
        assert_eq!(envelope["webService"], "Charge/Nope");
        let (_, envelope) = server.rest_raw("Foo/Bar/Baz", Some(&authorization), "{}").await;
        assert_eq!(envelope["answer"]["errorCode"], "INT_901");
        // A body over the limit is answered, not dropped.
        let big = format!("{{\"value\":\"{}\"}}", "x".repeat(70 * 1024));
        let (status, envelope) = server.rest_raw("Charge/SDKTest", Some(&authorization), &big).await;
        assert_eq!((status, envelope["answer"]["errorCode"].as_str()), (200, Some("INT_914")));
        // Any Content-Type: the body is read as JSON.
        let response = server
            .client
            .post(format!("{}/api-payment/V4/Charge/SDKTest", server.base_url))
            .header("Authorization", authorization.as_str())
            .header("Content-Type", "text/plain")
            .body(r#"{"value":"plain"}"#)
            .send()
            .await
            .unwrap();
        let envelope: Value = response.json().await.unwrap();
        assert_eq!(envelope["answer"]["value"], "plain");
    }

    async fn zero_click_payment_as_in_the_seed(server) {
        let created = server
            .rest_as(LYRA_SEED_SHOP, LYRA_SEED_PASSWORD, "Charge/CreateToken", json!({
                "orderId": "TOKEN-1", "customer": {"email": "buyer@example.com"}, "paymentForms": card(CARD_OK)}))
            .await;
        assert_eq!(created["status"], "SUCCESS", "{created}");
        let answer = &created["answer"];
        assert_eq!(answer["_type"], "V4/Payment");
        assert_eq!((answer["orderCycle"].as_str(), answer["orderStatus"].as_str()), (Some("CLOSED"), Some("PAID")));
        let verification = &answer["transactions"][0];
        assert_eq!(verification["operationType"], "VERIFICATION");
        assert_eq!(verification["detailedStatus"], "ACCEPTED");
        assert_eq!(verification["status"], "PAID");
        assert_eq!(verification["amount"], 0);
        assert_eq!(verification["transactionDetails"]["creationContext"], "VERIFICATION");
        let card_details = &verification["transactionDetails"]["cardDetails"];
        assert_eq!(card_details["pan"], "497010XXXXXX0000");
        assert_eq!(card_details["authorizationResponse"]["authorizationMode"], "MARK");
        assert_eq!(card_details["markAuthorizationResponse"]["amount"], 0);
        assert!(is_hex32(&verification["paymentMethodToken"]));
        let token = verification["paymentMethodToken"].as_str().unwrap().to_owned();
        let chaining = card_details["initialIssuerTransactionIdentifier"].as_str().expect("chaining").to_owned();
        assert!(!created.to_string().contains(CARD_OK), "full PAN in an answer");

        let envelope = server
            .rest_as(LYRA_SEED_SHOP, LYRA_SEED_PASSWORD, "Charge/CreatePayment", json!({
                "amount": 990,
                "currency": "EUR",
                "paymentMethodToken": token,
                "transactionOptions": {"cardOptions": {"initialIssuerTransactionIdentifier": chaining}},
                "formAction": "SILENT",
            }))
            .await;
        assert_eq!(envelope["status"], "SUCCESS", "{envelope}");
        assert_eq!(envelope["webService"], "Charge/CreatePayment");
        let payment = &envelope["answer"];
        assert_eq!(payment["shopId"], LYRA_SEED_SHOP);
        assert_eq!(payment["orderCycle"], "CLOSED");
        assert_eq!(payment["orderStatus"], "PAID");
        assert_eq!(payment["serverDate"], "2026-11-28T10:00:00+00:00");
        assert_eq!(payment["_type"], "V4/Payment");
        assert_eq!(payment["orderDetails"]["orderTotalAmount"], 990);
        let transaction = &payment["transactions"][0];
        assert_eq!(transaction["_type"], "V4/PaymentTransaction");
        assert_eq!(transaction["shopId"], LYRA_SEED_SHOP);
        assert!(is_hex32(&transaction["uuid"]));
        assert_eq!(transaction["amount"], 990);
        assert_eq!(transaction["currency"], "EUR");
        assert_eq!(transaction["paymentMethodToken"], token.as_str());
        assert_eq!(transaction["detailedStatus"], "AUTHORISED");
        assert_eq!(transaction["operationType"], "DEBIT");
        assert_eq!(transaction["errorCode"], Value::Null);
        let details = &transaction["transactionDetails"];
        assert_eq!(details["cardDetails"]["paymentMethodSource"], "TOKEN");
        assert_eq!(details["cardDetails"]["initialIssuerTransactionIdentifier"], chaining.as_str());
        assert_eq!(details["occurrenceType"], "RECURRENT_INTERMEDIAIRE");
        assert!(!envelope.to_string().contains(CARD_OK));

        let uuid = transaction["uuid"].as_str().unwrap();
        let stored = server.rest_as(LYRA_SEED_SHOP, LYRA_SEED_PASSWORD, "Transaction/Get", json!({"uuid": uuid})).await;
        assert_eq!(stored["answer"]["_type"], "V4/Transaction");
        assert_eq!(stored["answer"]["detailedStatus"], "AUTHORISED");
        assert_eq!(stored["answer"]["paymentMethodToken"], token.as_str());
        // The token belongs to its shop only.
        server.rest_error("Charge/CreatePayment",
            json!({"amount": 100, "currency": "EUR", "formAction": "SILENT", "paymentMethodToken": token}), "PSP_030").await;
    }

    async fn register_pay_keeps_the_card(server) {
        let paid = pay_by_card(&server, 1500, "order-rp", json!({"formAction": "REGISTER_PAY",
            "customer": {"email": "buyer@example.com"}})).await;
        assert_eq!(paid["orderStatus"], "PAID", "{paid}");
        let transaction = &paid["transactions"][0];
        assert!(is_hex32(&transaction["paymentMethodToken"]), "{transaction}");
        let token = transaction["paymentMethodToken"].as_str().unwrap().to_owned();
        let again = server
            .rest_ok("Charge/CreatePayment", json!({"amount": 700, "currency": "EUR", "formAction": "SILENT",
                "paymentMethodToken": token}))
            .await;
        assert_eq!(again["orderStatus"], "PAID", "{again}");
        let got = server.rest_ok("Token/Get", json!({ "paymentMethodToken": token })).await;
        assert_eq!(got["status"], "ACTIVE");

        let mut body = json!({"amount": 1500, "currency": "EUR", "orderId": "order-rp2", "formAction": "REGISTER_PAY",
            "paymentForms": card(CARD_REFUSED)});
        let refused = server.rest_ok("Charge/CreatePayment", body.take()).await;
        assert_eq!(refused["orderStatus"], "UNPAID", "{refused}");
        assert!(refused["transactions"][0]["paymentMethodToken"].is_null(), "a refused card is not kept");
    }

    async fn refused_card(server) {
        let payment = server
            .rest_ok("Charge/CreatePayment", json!({
                "amount": 2500, "currency": "EUR", "orderId": "REFUSED-1", "paymentForms": card(CARD_REFUSED)}))
            .await;
        assert_eq!(payment["orderStatus"], "UNPAID");
        assert_eq!(payment["orderCycle"], "CLOSED");
        let transaction = &payment["transactions"][0];
        assert_eq!(transaction["status"], "UNPAID");
        assert_eq!(transaction["detailedStatus"], "REFUSED");
        assert_eq!(transaction["errorCode"], "ACQ_001");
        assert_eq!(transaction["errorMessage"], "payment refused");
        assert_eq!(transaction["detailedErrorCode"], "05");
        assert_eq!(transaction["transactionDetails"]["cardDetails"]["authorizationResponse"]["authorizationResult"], "5");
        // Refused transactions are stored, and cannot be refunded.
        let uuid = transaction["uuid"].as_str().unwrap();
        assert_eq!(get(&server, uuid).await["detailedStatus"], "REFUSED");
        server.rest_error("Transaction/CancelOrRefund", json!({"uuid": uuid}), "PSP_083").await;
        server.rest_error("Charge/CreateTokenFromTransaction", json!({"uuid": uuid}), "PSP_035").await;
        // A refused card registers no token.
        let refused = server
            .rest_error("Charge/CreateToken", json!({"paymentForms": card(CARD_REFUSED)}), "PSP_035").await;
        assert_eq!(refused["detailedErrorCode"], "05");
    }

    async fn tokens(server) {
        let (token, _) = server.create_token(CARD_OK).await;
        let got = server.rest_ok("Token/Get", json!({"paymentMethodToken": token})).await;
        assert_eq!(got["_type"], "V4/Token");
        assert_eq!(got["status"], "ACTIVE");
        assert_eq!(got["paymentMethodType"], "CARD");
        assert_eq!(got["cancellationDate"], Value::Null);
        assert_eq!(got["customer"]["email"], "buyer@example.com");
        assert_eq!(got["tokenDetails"]["pan"], "497010XXXXXX0000");
        assert_eq!(got["tokenDetails"]["expiryYear"], 2030);

        let cancelled = server.rest_ok("Token/Cancel", json!({"paymentMethodToken": token})).await;
        assert_eq!(cancelled, json!({"responseCode": 0, "_type": "V4/Common/ResponseCodeAnswer"}));
        let got = server.rest_ok("Token/Get", json!({"paymentMethodToken": token})).await;
        assert_eq!(got["status"], "CANCELLED");
        assert_eq!(got["cancellationDate"], "2026-11-28T10:00:00+00:00");
        let silent = json!({"amount": 100, "currency": "EUR", "formAction": "SILENT", "paymentMethodToken": token});
        server.rest_error("Charge/CreatePayment", silent.clone(), "PSP_031").await;
        server.rest_error("Token/Cancel", json!({"paymentMethodToken": token}), "PSP_031").await;
        server.rest_error("Token/Update", json!({"paymentMethodToken": token}), "PSP_031").await;

        let reactivated = server.rest_ok("Token/Reactivate", json!({"paymentMethodToken": token})).await;
        assert_eq!(reactivated["responseCode"], 0);
        assert_eq!(server.rest_ok("Charge/CreatePayment", silent).await["orderStatus"], "PAID");
        assert_eq!(server.rest_ok("Token/Reactivate", json!({"paymentMethodToken": token})).await["responseCode"], 0);

        let update = server.rest_ok("Token/Update", json!({"paymentMethodToken": token})).await;
        assert_eq!(update["_type"], "V4/Charge/PaymentForm");
        // A new card (PCI): verified, then the token pays with it; a refused one changes nothing.
        let refused = server
            .rest_error("Token/Update", json!({"paymentMethodToken": token, "paymentForms": card(CARD_REFUSED)}), "PSP_035")
            .await;
        assert_eq!(refused["detailedErrorCode"], "05");
        assert_eq!(server.rest_ok("Token/Get", json!({"paymentMethodToken": token})).await["tokenDetails"]["pan"],
            "497010XXXXXX0000");
        let renewed = server.rest_ok("Token/Update", json!({"paymentMethodToken": token,
            "customer": {"email": "new@example.com"},
            "paymentForms": [{"paymentMethodType": "CARD", "pan": "4970100000000055", "expiryMonth": "06",
                              "expiryYear": "2031", "securityCode": "456"}]})).await;
        assert_eq!(renewed["_type"], "V4/Payment");
        let verification = &renewed["transactions"][0];
        assert_eq!(verification["operationType"], "VERIFICATION");
        assert_eq!(verification["paymentMethodToken"], token.as_str());
        assert!(!renewed.to_string().contains("4970100000000055"), "no clear PAN in the answer");
        let got = server.rest_ok("Token/Get", json!({"paymentMethodToken": token})).await;
        assert_eq!(got["tokenDetails"]["pan"], "497010XXXXXX0055");
        assert_eq!(got["tokenDetails"]["expiryYear"], 2031);
        assert_eq!(got["customer"]["email"], "new@example.com");
        let paid = server.pay_with_token(&token, 300, "AFTER-UPDATE").await;
        assert_eq!(paid["transactions"][0]["transactionDetails"]["cardDetails"]["pan"], "497010XXXXXX0055");

        let unknown = "0123456789abcdef0123456789abcdef";
        server.rest_error("Token/Get", json!({"paymentMethodToken": unknown}), "PSP_030").await;
        server.rest_error("Token/Cancel", json!({"paymentMethodToken": unknown}), "PSP_030").await;
        let malformed = server.rest_error("Token/Get", json!({"paymentMethodToken": "nope"}), "INT_030").await;
        assert_eq!(malformed["detailedErrorMessage"], "Invalid input value [name=paymentMethodToken, value=nope]");
        server.rest_error("Token/Get", json!({}), "INT_030").await;

        // A token from an accepted payment.
        let payment = pay_by_card(&server, 1200, "FROM-TX", json!({})).await;
        let from = server
            .rest_ok("Charge/CreateTokenFromTransaction", json!({"uuid": uuid_of(&payment), "email": "a@b.example"}))
            .await;
        assert_eq!(from["_type"], "V4/Token");
        assert_eq!(from["customer"]["email"], "a@b.example");
        assert!(is_hex32(&from["paymentMethodToken"]));
        server.rest_error("Charge/CreateTokenFromTransaction", json!({"uuid": unknown}), "PSP_010").await;
    }

    async fn payment_forms_and_input_errors(server) {
        let form = server.rest_ok("Charge/CreatePayment", json!({"amount": 990, "currency": "EUR", "orderId": "F1"})).await;
        assert_eq!(form["_type"], "V4/Charge/PaymentForm");
        let form_token = form["formToken"].as_str().unwrap().to_owned();
        let other = server.rest_ok("Charge/CreatePayment", json!({"amount": 990, "currency": "EUR"})).await;
        assert_ne!(other["formToken"], form["formToken"], "a new formToken on every call");
        let stored = server.state.payments.usable_payment_form(&form_token).await.unwrap().expect("stored form");
        assert_eq!(stored.amount, caisse_core::Amount(990));
        assert_eq!(stored.purpose, caisse_core::payment_form::FormPurpose::Payment);
        server.clock.advance(chrono::Duration::minutes(16));
        assert!(server.state.payments.usable_payment_form(&form_token).await.unwrap().is_none(), "expired");

        let register = server.rest_ok("Charge/CreateToken", json!({"customer": {"email": "a@b.example"}})).await;
        let register_form = server.state.payments.store().payment_form(register["formToken"].as_str().unwrap())
            .await.unwrap().expect("stored");
        assert_eq!(register_form.purpose, caisse_core::payment_form::FormPurpose::Register);
        // Ordering (no orderId) pays nothing: a first step for the page.
        let zero = json!({"amount": 0, "currency": "EUR", "formAction": "REGISTER_PAY"});
        assert_eq!(server.rest_ok("Charge/CreatePayment", zero).await["_type"], "V4/Charge/PaymentForm");

        let cases = [
            (json!({"amount": -1, "currency": "EUR"}), "INT_009", Some("Invalid input value [name=amount, value=-1]")),
            (json!({"currency": "EUR"}), "INT_009", Some("Invalid input value [name=amount, value=null]")),
            (json!({"amount": 9.9, "currency": "EUR"}), "INT_009", None),
            (json!({"amount": 1_000_000_000_000u64, "currency": "EUR"}), "INT_009", None),
            (json!({"amount": 0, "currency": "EUR", "paymentForms": card(CARD_OK)}), "INT_009", None),
            (json!({"amount": 100, "currency": "TTT"}), "INT_010", Some("Invalid input value [name=currency, value=TTT]")),
            (json!({"amount": 100}), "INT_010", None),
            (json!({"amount": 100, "currency": "EUR", "orderId": "x".repeat(65)}), "INT_013", None),
            (json!({"amount": 100, "currency": "EUR", "formAction": "FAST"}), "INT_875", None),
            (json!({"amount": 100, "currency": "EUR", "formAction": "SILENT"}), "INT_030", None),
            (json!({"amount": 100, "currency": "EUR", "formAction": "SILENT", "paymentMethodToken": "x1"}), "INT_030", None),
            (json!({"amount": 100, "currency": "EUR", "customer": {"email": "fake-email"}}), "INT_015",
                Some("Invalid input value [name=customer.email, value=fake-email]")),
            (json!({"amount": 100, "currency": "EUR", "metadata": "x"}), "INT_091", None),
            (json!({"amount": 100, "currency": "EUR", "paymentForms": [{"pan": CARD_OK}]}), "INT_874", None),
            (json!({"amount": 100, "currency": "EUR", "paymentForms": [{"paymentMethodType": "CARD", "pan": "12"}]}), "INT_040", None),
            (json!({"amount": 100, "currency": "EUR",
                    "transactionOptions": {"cardOptions": {"manualValidation": "MAYBE"}}}), "INT_005", None),
            (json!({"amount": 100, "currency": "EUR", "formAction": "SILENT",
                    "paymentMethodToken": "0123456789abcdef0123456789abcdef"}), "PSP_030", None),
        ];
        for (body, code, detail) in cases {
            let answer = server.rest_error("Charge/CreatePayment", body.clone(), code).await;
            if let Some(detail) = detail {
                assert_eq!(answer["detailedErrorMessage"], detail, "{body}");
            }
            assert_eq!(answer["shopId"], LYRA_SHOP);
        }
    }

    async fn capture_options_validate_and_update(server) {
        let manual = json!({"transactionOptions": {"cardOptions": {"manualValidation": "YES", "captureDelay": 2}}});
        let payment = pay_by_card(&server, 3000, "MANUAL-1", manual).await;
        let transaction = &payment["transactions"][0];
        assert_eq!(transaction["detailedStatus"], "AUTHORISED_TO_VALIDATE");
        assert_eq!(transaction["status"], "PAID");
        assert_eq!(transaction["transactionDetails"]["cardDetails"]["manualValidation"], "YES");
        assert_eq!(transaction["transactionDetails"]["cardDetails"]["expectedCaptureDate"], "2026-11-30T10:00:00+00:00");
        let uuid = uuid_of(&payment);
        let validated = server.rest_ok("Transaction/Validate", json!({"uuid": uuid, "comment": "ok"})).await;
        assert_eq!(validated["_type"], "V4/Transaction");
        assert_eq!(validated["detailedStatus"], "AUTHORISED");
        server.rest_error("Transaction/Validate", json!({"uuid": uuid}), "PSP_011").await;

        let delayed = pay_by_card(&server, 2000, "DELAY-1",
            json!({"transactionOptions": {"cardOptions": {"captureDelay": 3}}})).await;
        assert_eq!(delayed["transactions"][0]["transactionDetails"]["cardDetails"]["expectedCaptureDate"],
            "2026-12-01T10:00:00+00:00");
        let uuid = uuid_of(&delayed);
        let lowered = server.rest_ok("Transaction/Update", json!({"uuid": uuid, "cardUpdate": {
            "amount": 1500, "currency": "EUR", "expectedCaptureDate": "2026-11-29T00:00:00+00:00"}})).await;
        assert_eq!(lowered["amount"], 1500);
        assert_eq!(lowered["transactionDetails"]["cardDetails"]["expectedCaptureDate"], "2026-11-29T10:00:00+00:00");
        server.rest_error("Transaction/Update", json!({"uuid": uuid, "cardUpdate": {"amount": 1600}}), "PSP_020").await;
        assert_eq!(get(&server, &uuid).await["amount"], 1500, "a refused update changes nothing");
        server.rest_error("Transaction/Update", json!({"uuid": uuid, "cardUpdate": {"expectedCaptureDate": "2026-11-01"}}),
            "INT_006").await;

        let to_validate = uuid_of(&pay_by_card(&server, 800, "MANUAL-2",
            json!({"transactionOptions": {"cardOptions": {"manualValidation": "YES"}}})).await);
        let automatic = server.rest_ok("Transaction/Update",
            json!({"uuid": to_validate, "cardUpdate": {"manualValidation": "NO"}})).await;
        assert_eq!(automatic["detailedStatus"], "AUTHORISED");
        assert_eq!(automatic["transactionDetails"]["cardDetails"]["manualValidation"], "NO");
        server.rest_error("Transaction/Validate", json!({"uuid": "0123456789abcdef0123456789abcdef"}), "PSP_010").await;
        server.rest_error("Transaction/Get", json!({"uuid": "not-a-uuid"}), "INT_902").await;
    }

    async fn capture_and_duplicate(server) {
        let waiting = uuid_of(&pay_by_card(&server, 700, "CAP-1",
            json!({"transactionOptions": {"cardOptions": {"manualValidation": "YES", "captureDelay": 5}}})).await);
        let delayed = uuid_of(&pay_by_card(&server, 900, "CAP-2",
            json!({"transactionOptions": {"cardOptions": {"captureDelay": 5}}})).await);
        let cancelled = uuid_of(&pay_by_card(&server, 500, "CAP-3", json!({})).await);
        server.rest_ok("Transaction/Cancel", json!({"uuid": cancelled})).await;
        server.rest_error("Transaction/Capture", json!({"uuids": [waiting, cancelled]}), "PSP_105").await;
        assert_eq!(get(&server, &waiting).await["detailedStatus"], "AUTHORISED_TO_VALIDATE", "nothing changed");
        server.rest_error("Transaction/Capture", json!({"uuids": []}), "INT_902").await;
        let captured = server.rest_ok("Transaction/Capture", json!({"uuids": [waiting, delayed]})).await;
        assert_eq!(captured, json!({"responseCode": 0, "_type": "V4/Common/ResponseCodeAnswer"}));
        assert_eq!(get(&server, &waiting).await["detailedStatus"], "AUTHORISED");
        server.run_batch().await;
        for uuid in [&waiting, &delayed] {
            let transaction = get(&server, uuid).await;
            assert_eq!(transaction["detailedStatus"], "CAPTURED", "{transaction}");
            assert_eq!(transaction["transactionDetails"]["cardDetails"]["captureResponse"]["captureDate"],
                "2026-11-28T10:00:00+00:00");
        }

        let duplicate = server.rest_ok("Transaction/Duplicate",
            json!({"uuid": delayed, "amount": 450, "currency": "EUR", "orderId": "DUP-1"})).await;
        assert_eq!(duplicate["_type"], "V4/Transaction");
        assert_ne!(duplicate["uuid"].as_str(), Some(delayed.as_str()));
        assert_eq!(duplicate["amount"], 450);
        assert_eq!(duplicate["detailedStatus"], "AUTHORISED");
        assert_eq!(duplicate["orderDetails"]["orderId"], "DUP-1");
        server.rest_error("Transaction/Duplicate",
            json!({"uuid": "0123456789abcdef0123456789abcdef", "amount": 1, "currency": "EUR"}), "PSP_010").await;
        server.rest_error("Transaction/Duplicate", json!({"uuid": delayed, "currency": "EUR"}), "INT_009").await;
    }

    async fn cancel_or_refund(server) {
        let uncaptured = uuid_of(&pay_by_card(&server, 1000, "COR-1", json!({})).await);
        server.rest_error("Transaction/Refund", json!({"uuid": uncaptured}), "PSP_076").await;
        server.rest_error("Transaction/CancelOrRefund", json!({"uuid": uncaptured, "amount": 500}), "PSP_020").await;
        server.rest_error("Transaction/CancelOrRefund",
            json!({"uuid": uncaptured, "resolutionMode": "REFUND_ONLY"}), "PSP_076").await;
        let cancelled = server.rest_ok("Transaction/CancelOrRefund",
            json!({"uuid": uncaptured, "amount": 1000, "currency": "EUR", "resolutionMode": "AUTO"})).await;
        assert_eq!(cancelled["uuid"], uncaptured.as_str(), "same uuid");
        assert_eq!(cancelled["detailedStatus"], "CANCELLED");
        assert_eq!(cancelled["status"], "UNPAID");
        assert_eq!(cancelled["amount"], 1000);
        assert_eq!(cancelled["operationType"], "DEBIT");
        server.rest_error("Transaction/CancelOrRefund", json!({"uuid": uncaptured}), "PSP_105").await;
        server.rest_error("Transaction/Cancel", json!({"uuid": uncaptured}), "PSP_105").await;
        server.rest_error("Transaction/Refund", json!({"uuid": uncaptured}), "PSP_105").await;

        let captured = captured_payment(&server, 1000, "COR-2").await;
        server.rest_error("Transaction/Cancel", json!({"uuid": captured}), "PSP_075").await;
        server.rest_error("Transaction/CancelOrRefund",
            json!({"uuid": captured, "resolutionMode": "CANCELLATION_ONLY"}), "PSP_075").await;
        let credit = server.rest_ok("Transaction/CancelOrRefund",
            json!({"uuid": captured, "amount": 300, "currency": "EUR"})).await;
        assert!(is_hex32(&credit["uuid"]));
        assert_ne!(credit["uuid"].as_str(), Some(captured.as_str()), "a refund is a new transaction");
        assert_eq!(credit["operationType"], "CREDIT");
        assert_eq!(credit["detailedStatus"], "AUTHORISED");
        assert_eq!(credit["status"], "PAID");
        assert_eq!(credit["amount"], 300);
        assert_eq!(credit["transactionDetails"]["creationContext"], "REFUND");
        assert_eq!(credit["transactionDetails"]["parentTransactionUuid"], captured.as_str());
        assert_eq!(credit["orderDetails"]["orderId"], "COR-2");
        let credit_uuid = credit["uuid"].as_str().unwrap().to_owned();

        // Over what remains: refused, nothing changed.
        let over = server.rest_error("Transaction/Refund", json!({"uuid": captured, "amount": 800}), "PSP_511").await;
        assert_eq!(over["shopId"], LYRA_SHOP);
        let parent = get(&server, &captured).await;
        assert_eq!(parent["detailedStatus"], "CAPTURED");
        assert_eq!(parent["transactionDetails"]["cardDetails"]["captureResponse"]["refundAmount"], 300);

        // Transaction/Refund after CancelOrRefund shares the one limit.
        let rest = server.rest_ok("Transaction/Refund", json!({"uuid": captured})).await;
        assert_eq!(rest["amount"], 700, "all that remains");
        server.rest_error("Transaction/Refund", json!({"uuid": captured, "amount": 1}), "PSP_104").await;
        server.rest_error("Transaction/CancelOrRefund", json!({"uuid": captured}), "PSP_104").await;
        let parent = get(&server, &captured).await;
        assert_eq!(parent["detailedStatus"], "CAPTURED", "a fully refunded debit stays CAPTURED");
        assert_eq!(parent["transactionDetails"]["cardDetails"]["captureResponse"]["refundAmount"], 1000);

        // The credits are settled by the next batch.
        server.advance_days(1);
        server.run_batch().await;
        let settled = get(&server, &credit_uuid).await;
        assert_eq!(settled["detailedStatus"], "CAPTURED");
        assert_eq!(settled["operationType"], "CREDIT");
        server.rest_error("Transaction/Refund", json!({"uuid": credit_uuid}), "PSP_011").await;

        // The order holds the debit and its two credits.
        let order = server.rest_ok("Order/Get", json!({"orderId": "COR-2"})).await;
        assert_eq!(order["_type"], "V4/OrderTransactions");
        assert_eq!(order["orderId"], "COR-2");
        assert_eq!(order["shopId"], LYRA_SHOP);
        let operations: Vec<&str> =
            order["transactions"].as_array().unwrap().iter().map(|tx| tx["operationType"].as_str().unwrap()).collect();
        assert_eq!(operations, ["DEBIT", "CREDIT", "CREDIT"]);
        let credits = server.rest_ok("Order/Get", json!({"orderId": "COR-2", "operationType": "CREDIT"})).await;
        assert_eq!(credits["transactions"].as_array().unwrap().len(), 2);
        server.rest_error("Transaction/CancelOrRefund", json!({"uuid": "0123456789abcdef0123456789abcdef"}), "PSP_010").await;
        server.rest_error("Transaction/CancelOrRefund", json!({"uuid": captured, "amount": -5}), "INT_009").await;
    }

    async fn racing_refunds_share_one_limit(server) {
        let captured = captured_payment(&server, 1000, "RACE-1").await;
        let results = concurrent_refunds(&server, &captured, 600, 2).await;
        let passed: Vec<_> = results.iter().filter(|envelope| envelope["status"] == "SUCCESS").collect();
        assert_eq!(passed.len(), 1, "{results:?}");
        let refused = results.iter().find(|envelope| envelope["status"] == "ERROR").expect("one refused");
        assert_eq!(refused["answer"]["errorCode"], "PSP_511");
        let parent = get(&server, &captured).await;
        assert_eq!(parent["transactionDetails"]["cardDetails"]["captureResponse"]["refundAmount"], 600);

        // Eight refunds of 100 race for the 400 that remain: exactly four pass.
        let results = concurrent_refunds(&server, &captured, 100, 8).await;
        let passed = results.iter().filter(|envelope| envelope["status"] == "SUCCESS").count();
        assert_eq!(passed, 4, "{results:?}");
        let parent = get(&server, &captured).await;
        assert_eq!(parent["transactionDetails"]["cardDetails"]["captureResponse"]["refundAmount"], 1000);
        let order = server.rest_ok("Order/Get", json!({"orderId": "RACE-1", "operationType": "CREDIT"})).await;
        let credited: u64 = order["transactions"].as_array().unwrap().iter().map(|tx| tx["amount"].as_u64().unwrap()).sum();
        assert_eq!(credited, 1000, "credits add up to the captured amount");
    }

    async fn rest_and_office_refunds_share_one_limit(server) {
        // One shop speaking both protocols: the demo shop gets a Sips key, as `caisse shop
        // add-key 69876357` gives it.
        let shop = caisse_core::ShopId(LYRA_SHOP.into());
        let key = server.state.payments.store().add_key(&shop, "both-protocols-key").await.unwrap();
        let office = |path: &'static str, fields: Value| {
            let mut fields = fields;
            fields["keyVersion"] = json!(key.version.to_string());
            server.call_as(LYRA_SHOP, "both-protocols-key", path, fields)
        };
        let order = office("checkout/cardOrder", json!({"amount": "1000", "currencyCode": "978",
            "cardNumber": "4100000000000000", "cardExpiryDate": "203012", "captureMode": "AUTHOR_CAPTURE",
            "captureDay": "0", "orderChannel": "INTERNET", "transactionReference": "BOTH1", "orderId": "BOTH-ORDER"})).await;
        assert_eq!(order["responseCode"], "00", "{order:?}");
        server.advance_days(1);
        server.run_batch().await;
        let found = server.rest_ok("Order/Get", json!({"orderId": "BOTH-ORDER"})).await;
        let uuid = found["transactions"][0]["uuid"].as_str().unwrap().to_owned();
        assert_eq!(found["transactions"][0]["detailedStatus"], "CAPTURED");

        // 600 through REST, then the Office Serveur may refund 400 of the 1000, not 500.
        server.rest_ok("Transaction/Refund", json!({"uuid": uuid, "amount": 600, "currency": "EUR"})).await;
        let refund = |amount: &str| office("cashManagement/refund", json!({"transactionReference": "BOTH1",
            "operationAmount": amount, "currencyCode": "978"}));
        assert_eq!(refund("500").await["responseCode"], "24");
        assert_eq!(refund("400").await["responseCode"], "00");
        // Nothing remains for either protocol.
        server.rest_error("Transaction/Refund", json!({"uuid": uuid, "amount": 1, "currency": "EUR"}), "PSP_104").await;
        assert_eq!(refund("1").await["responseCode"], "24");
        let data = office("diagnostic/getTransactionData", json!({"transactionReference": "BOTH1"})).await;
        assert_eq!(data["transactionStatus"], "CREDITED", "{data:?}");
        let got = server.rest_ok("Transaction/Get", json!({"uuid": uuid})).await;
        assert_eq!(got["transactionDetails"]["cardDetails"]["captureResponse"]["refundAmount"], 1000);
    }

    async fn sepa_token_payments_are_direct_debits(server) {
        let iban = caisse_core::wallet::Iban::parse("FR1420041010050500013M02606").unwrap();
        let mut customer = serde_json::Map::new();
        customer.insert("email".into(), "debtor@example.com".into());
        let token = server.state.payments
            .register_sepa_mandate(caisse_core::ShopId(LYRA_SHOP.into()), caisse_core::Mode::Test, &iban,
                Some("PSSTFRPPXXX".into()), customer)
            .await
            .unwrap();
        let rum = token.id.as_str();
        assert!(is_hex32(&json!(rum)), "the RUM is shaped like a token: {rum}");
        let got = server.rest_ok("Token/Get", json!({"paymentMethodToken": rum})).await;
        assert_eq!(got["paymentMethodType"], "SDD");
        assert_eq!(got["tokenDetails"]["pan"], "FR14XXXXXXXXXXXXXXXXXXX2606");
        assert_eq!(got["tokenDetails"]["effectiveBrand"], "SDD");

        // The seed's SEPA request.
        let paid = server.rest_ok("Charge/CreatePayment",
            json!({"amount": 990, "currency": "EUR", "paymentMethodToken": rum, "formAction": "SILENT",
                   "orderId": "SEPA-1"})).await;
        assert_eq!(paid["_type"], "V4/Payment");
        assert_eq!(paid["orderStatus"], "PAID");
        assert_eq!(paid["orderCycle"], "CLOSED");
        let debit = &paid["transactions"][0];
        assert_eq!(debit["paymentMethodType"], "SDD");
        assert_eq!(debit["paymentMethodToken"], rum);
        assert_eq!(debit["amount"], 990);
        assert_eq!(debit["transactionDetails"]["cardDetails"], Value::Null);
        assert_eq!(debit["transactionDetails"]["paymentMethodDetails"]["id"], "FR14XXXXXXXXXXXXXXXXXXX2606");
        assert_eq!(debit["transactionDetails"]["paymentMethodDetails"]["effectiveBrand"], "SDD");
        assert!(!paid.to_string().contains("FR1420041010050500013M02606"), "no clear IBAN in the answer");

        // Presented by the batch like a card payment, then refunded within what was debited.
        let uuid = debit["uuid"].as_str().unwrap().to_owned();
        server.advance_days(1);
        server.run_batch().await;
        assert_eq!(server.rest_ok("Transaction/Get", json!({"uuid": uuid})).await["detailedStatus"], "CAPTURED");
        let refund = server.rest_ok("Transaction/Refund", json!({"uuid": uuid, "amount": 400, "currency": "EUR"})).await;
        assert_eq!(refund["paymentMethodType"], "SDD");
        server.rest_error("Transaction/Refund", json!({"uuid": uuid, "amount": 600, "currency": "EUR"}), "PSP_511").await;

        // A SEPA token has no card to replace; it can pay installments.
        server.rest_error("Token/Update", json!({"paymentMethodToken": rum, "paymentForms": card(CARD_OK)}), "PSP_001").await;
        let created = server.rest_ok("Charge/CreateSubscription", json!({"amount": 990, "currency": "EUR",
            "paymentMethodToken": rum, "effectDate": "2026-12-10T00:00:00+00:00", "rrule": "RRULE:FREQ=MONTHLY;COUNT=2",
            "orderId": "SEPA-SUB"})).await;
        assert_eq!(created["_type"], "V4/SubscriptionCreated");
        server.clock.set("2026-12-10T00:00:01Z".parse().unwrap());
        server.state.payments.run_due_installments().await.unwrap();
        let order = server.rest_ok("Order/Get", json!({"orderId": "SEPA-SUB"})).await;
        let installments = order["transactions"].as_array().unwrap();
        assert_eq!(installments.len(), 1);
        assert_eq!(installments[0]["paymentMethodType"], "SDD");
        assert_eq!(installments[0]["detailedStatus"], "AUTHORISED");
    }

    async fn order_get_echoes_customer_and_metadata(server) {
        server.rest_error("Order/Get", json!({"orderId": "NOPE"}), "PSP_010").await;
        server.rest_error("Order/Get", json!({}), "INT_013").await;
        let extra = json!({
            "customer": {"email": "ann@example.com", "reference": "CUST-9", "billingDetails": {"firstName": "Ann"}},
            "metadata": {"orderInfo": "gift"},
        });
        let payment = pay_by_card(&server, 4200, "ORDER-9", extra).await;
        assert_eq!(payment["customer"]["email"], "ann@example.com");
        assert_eq!(payment["customer"]["billingDetails"]["firstName"], "Ann");
        assert_eq!(payment["customer"]["billingDetails"]["lastName"], Value::Null);
        assert_eq!(payment["orderDetails"]["metadata"], json!({"orderInfo": "gift"}));
        assert_eq!(payment["transactions"][0]["metadata"], json!({"orderInfo": "gift"}));
        pay_by_card(&server, 100, "ORDER-9", json!({})).await;
        let order = server.rest_ok("Order/Get", json!({"orderId": "ORDER-9"})).await;
        let transactions = order["transactions"].as_array().unwrap();
        assert_eq!(transactions.len(), 2);
        assert_eq!(transactions[0]["_type"], "V4/Transaction");
        assert_eq!(transactions[0]["customer"]["reference"], "CUST-9");
        assert_eq!(transactions[0]["metadata"], json!({"orderInfo": "gift"}));
        assert_eq!(transactions[0]["orderDetails"]["orderId"], "ORDER-9");
        assert_eq!(transactions[1]["amount"], 100);
        assert!(!order.to_string().contains(CARD_OK));
        // Every declared key is present, null when unknown.
        let details = &transactions[0]["transactionDetails"];
        for key in ["liabilityShift", "cardDetails", "parentTransactionUuid", "mid", "sequenceNumber", "occurrenceType"] {
            assert!(details.get(key).is_some(), "{key}");
        }
        assert_eq!(details["parentTransactionUuid"], Value::Null);
    }
}

/// `count` Transaction/Refund calls of `amount` sent at once, each on its own task.
async fn concurrent_refunds(server: &TestServer, uuid: &str, amount: u64, count: usize) -> Vec<Value> {
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let request = server
                .client
                .post(format!("{}/api-payment/V4/Transaction/Refund", server.base_url))
                .header("Authorization", basic(LYRA_SHOP, LYRA_PASSWORD))
                .header("Content-Type", "application/json")
                .body(json!({"uuid": uuid, "amount": amount}).to_string());
            tokio::spawn(async move { request.send().await.unwrap().json::<Value>().await.unwrap() })
        })
        .collect();
    let mut results = Vec::with_capacity(count);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// A store that fails mid-flight (its PostgreSQL schema dropped) answers PSP_999, HTTP 200:
/// never a 500, never the database's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_failure_is_psp_999() {
    let server = TestServer::start(Backend::Postgres).await;
    let payment = pay_by_card(&server, 1000, "BROKEN-1", json!({})).await;
    let uuid = uuid_of(&payment);
    let schema = server.database.url.rsplit("search_path%3D").next().expect("schema").to_owned();
    let (client, connection) =
        tokio_postgres::connect(&postgres_base_url(), tokio_postgres::NoTls).await.expect("PostgreSQL");
    tokio::spawn(connection);
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).await.expect("drop schema");
    // The credentials are cached: the call gets as far as the core.
    let (status, envelope) = server
        .rest_raw("Transaction/Get", Some(&basic(LYRA_SHOP, LYRA_PASSWORD)), &json!({"uuid": uuid}).to_string())
        .await;
    assert_eq!(status, 200);
    assert_eq!(envelope["status"], "ERROR");
    assert_eq!(envelope["answer"]["errorCode"], "PSP_999");
    assert_eq!(envelope["answer"]["errorMessage"], "technical error");
    assert_eq!(envelope["answer"]["detailedErrorMessage"], Value::Null);
    server.stop().await;
}
