//! The Office Serveur JSON connector over real HTTP, on SQLite and on PostgreSQL.

mod common;

use common::*;
use serde_json::{Value, json};

const VISA_OK: &str = "4100000000000000";
const VISA_REFUSED: &str = "4100000000000005";

on_both_backends! {
    async fn health_and_card_order(server) {
        let health = server.client.get(format!("{}/healthz", server.base_url)).send().await.unwrap();
        assert_eq!(health.status(), 200);

        let answer = server.card_order("REF1", 2500, VISA_OK, json!({"returnContext": "ctx-1"})).await;
        assert_eq!(text(&answer, "responseCode"), "00", "{answer:?}");
        assert_eq!(text(&answer, "acquirerResponseCode"), "00");
        assert_eq!(text(&answer, "maskedPan"), "4100##########00");
        assert_eq!(text(&answer, "paymentMeanBrand"), "VISA");
        assert_eq!(text(&answer, "authorisationId").len(), 6);
        let body = serde_json::to_string(&answer).unwrap();
        assert!(!body.contains(VISA_OK), "full PAN in an answer");
        assert!(!answer.values().any(Value::is_null), "null in an answer");

        let data = server.transaction_data("REF1").await;
        assert_eq!(text(&data, "responseCode"), "00");
        assert_eq!(text(&data, "transactionStatus"), "TO_CAPTURE");
        assert_eq!(text(&data, "currentAmount"), "2500");
        assert_eq!(text(&data, "maskedPan"), "4100##########00");
        assert_eq!(text(&data, "orderId"), "ORD1");
    }

    async fn refused_card_is_stored_refused(server) {
        let answer = server.card_order("REF2", 1000, VISA_REFUSED, json!({})).await;
        assert_eq!(text(&answer, "responseCode"), "05");
        assert_eq!(text(&answer, "acquirerResponseCode"), "05");
        let data = server.transaction_data("REF2").await;
        assert_eq!(text(&data, "transactionStatus"), "REFUSED");
        assert_eq!(text(&data, "acquirerResponseCode"), "05");
    }

    async fn reused_reference_is_94_and_changes_nothing(server) {
        assert_eq!(text(&server.card_order("DUP", 1000, VISA_OK, json!({})).await, "responseCode"), "00");
        let again = server.card_order("DUP", 7000, VISA_OK, json!({})).await;
        assert_eq!(text(&again, "responseCode"), "94");
        assert_eq!(text(&server.transaction_data("DUP").await, "currentAmount"), "1000");
    }

    async fn wrong_seal_is_34_and_stores_nothing(server) {
        let mut request = json!({
            "amount": "1000", "currencyCode": "978", "cardNumber": VISA_OK, "cardExpiryDate": "203012",
            "captureMode": "AUTHOR_CAPTURE", "captureDay": "0", "orderChannel": "INTERNET",
            "transactionReference": "SEAL1", "merchantId": MERCHANT, "keyVersion": "1",
            "interfaceVersion": "IR_WS_2.53",
        });
        request["seal"] = json!(seal(&request, "not-the-key"));
        let (status, body) = server.post_raw("checkout/cardOrder", &request).await;
        assert_eq!(status, 200);
        let answer: serde_json::Map<String, Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(text(&answer, "responseCode"), "34");
        assert_eq!(text(&server.transaction_data("SEAL1").await, "responseCode"), "25");
    }

    async fn key_versions(server) {
        let unknown = server
            .call("diagnostic/getTransactionData", json!({"transactionReference": "X", "keyVersion": "9"}))
            .await;
        assert_eq!(text(&unknown, "responseCode"), "34");
        let shop = caisse_core::shop::ShopId(MERCHANT.into());
        let added = server.state.payments.store().add_key(&shop, "second-key").await.unwrap();
        assert_eq!(added.version, 2);
        let answer = server
            .call_as(MERCHANT, "second-key", "checkout/cardOrder", json!({
                "keyVersion": "2", "amount": "100", "currencyCode": "978", "cardNumber": VISA_OK,
                "cardExpiryDate": "203012", "orderChannel": "INTERNET", "transactionReference": "KV2",
            }))
            .await;
        assert_eq!(text(&answer, "responseCode"), "00", "{answer:?}");
    }

    async fn transport_rules(server) {
        let wrong_type = server
            .client
            .post(format!("{}/rs-services/v2/checkout/cardOrder", server.base_url))
            .header("Content-Type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong_type.status(), 415);
        assert!(wrong_type.text().await.unwrap().contains("Unsupported Media Type"));

        let (status, _) = server.post_raw("checkout/noSuchMethod", &json!({})).await;
        assert_eq!(status, 404);
        let (status, _) = server.post_raw("nofamily/cardOrder", &json!({})).await;
        assert_eq!(status, 404);

        let (status, _) = server.post_raw("checkout/cardOrder", &json!(["not", "an", "object"])).await;
        assert_eq!(status, 400);
        let garbage = server
            .client
            .post(format!("{}/rs-services/v2/checkout/cardOrder", server.base_url))
            .header("Content-Type", "application/json")
            .body("{\"amount\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(garbage.status(), 400);

        let huge = json!({ "returnContext": "x".repeat(70 * 1024) });
        let (status, _) = server.post_raw("checkout/cardOrder", &huge).await;
        assert_eq!(status, 413);

        let wrong_prefix = server
            .call("checkout/cardOrder", json!({"interfaceVersion": "CR_WS_2.53", "transactionReference": "P1"}))
            .await;
        assert_eq!(text(&wrong_prefix, "responseCode"), "12");
        assert_eq!(text(&wrong_prefix, "errorFieldName"), "interfaceVersion");
    }

    async fn field_errors(server) {
        let base = json!({
            "amount": "1000", "currencyCode": "978", "cardNumber": VISA_OK, "cardExpiryDate": "203012",
            "captureMode": "AUTHOR_CAPTURE", "captureDay": "0", "orderChannel": "INTERNET",
            "transactionReference": "F1",
        });
        let cases: [(&str, Option<&str>, &str); 7] = [
            ("amount", None, "12"),
            ("amount", Some("12a"), "30"),
            ("currencyCode", Some("999"), "30"),
            ("cardExpiryDate", Some("2030-12"), "30"),
            ("captureMode", Some("LATER"), "30"),
            ("captureDay", Some("100"), "30"),
            ("cardNumber", None, "12"),
        ];
        for (field, value, code) in cases {
            let mut request = base.clone();
            match value {
                Some(value) => request[field] = json!(value),
                None => {
                    request.as_object_mut().unwrap().remove(field);
                }
            }
            let answer = server.call("checkout/cardOrder", request).await;
            assert_eq!(text(&answer, "responseCode"), code, "{field}={value:?}: {answer:?}");
            assert_eq!(text(&answer, "errorFieldName"), field, "{field}={value:?}");
        }
        assert_eq!(text(&server.transaction_data("F1").await, "responseCode"), "25");
    }

    async fn partial_and_total_cancel(server) {
        server.card_order("C1", 1000, VISA_OK, json!({})).await;
        let partial = server.operation("cancel", "C1", 400).await;
        assert_eq!(text(&partial, "responseCode"), "00", "{partial:?}");
        assert_eq!(text(&partial, "newAmount"), "600");
        assert_eq!(text(&partial, "newStatus"), "TO_CAPTURE");
        let over = server.operation("cancel", "C1", 601).await;
        assert_eq!(text(&over, "responseCode"), "24");
        let total = server.operation("cancel", "C1", 600).await;
        assert_eq!(text(&total, "newStatus"), "CANCELLED");
        assert_eq!(text(&server.transaction_data("C1").await, "transactionStatus"), "CANCELLED");
        assert_eq!(text(&server.operation("cancel", "UNKNOWN", 1).await, "responseCode"), "25");
    }

    async fn refund_only_after_capture(server) {
        server.card_order("R1", 1000, VISA_OK, json!({})).await;
        assert_eq!(text(&server.operation("refund", "R1", 100).await, "responseCode"), "24");
        let report = server.run_batch().await;
        assert_eq!(report.captured, 1);
        assert_eq!(text(&server.transaction_data("R1").await, "transactionStatus"), "CAPTURED");
        assert_eq!(text(&server.operation("cancel", "R1", 100).await, "responseCode"), "24");
        let partial = server.operation("refund", "R1", 300).await;
        assert_eq!(text(&partial, "responseCode"), "00", "{partial:?}");
        assert!(!text(&partial, "authorisationId").is_empty());
        assert_eq!(text(&server.operation("refund", "R1", 701).await, "responseCode"), "24");
        let last = server.operation("refund", "R1", 700).await;
        assert_eq!(text(&last, "newStatus"), "CREDITED");
        assert_eq!(text(&server.operation("refund", "R1", 1).await, "responseCode"), "24");
    }

    async fn immediate_capture(server) {
        let answer = server.card_order("I1", 500, VISA_OK, json!({"captureMode": "IMMEDIATE"})).await;
        assert_eq!(text(&answer, "responseCode"), "00");
        assert_eq!(text(&server.transaction_data("I1").await, "transactionStatus"), "CAPTURED");
        assert_eq!(text(&server.operation("refund", "I1", 500).await, "newStatus"), "CREDITED");
    }

    async fn validation_mode(server) {
        server.card_order("V1", 1000, VISA_OK, json!({"captureMode": "VALIDATION", "captureDay": "3"})).await;
        assert_eq!(text(&server.transaction_data("V1").await, "transactionStatus"), "TO_VALIDATE");
        assert_eq!(text(&server.operation("validate", "V1", 1001).await, "responseCode"), "24");
        let validated = server.operation("validate", "V1", 800).await;
        assert_eq!(text(&validated, "responseCode"), "00", "{validated:?}");
        assert_eq!(text(&validated, "newStatus"), "TO_CAPTURE");
        assert_eq!(text(&validated, "newAmount"), "800");
        assert_eq!(text(&server.operation("validate", "V1", 800).await, "responseCode"), "24");
        server.run_batch().await;
        let data = server.transaction_data("V1").await;
        assert_eq!(text(&data, "transactionStatus"), "CAPTURED");
        assert_eq!(text(&data, "currentAmount"), "800");
    }

    async fn batch_follows_capture_days_and_expiry(server) {
        server.card_order("D2", 1000, VISA_OK, json!({"captureDay": "2"})).await;
        server.card_order("E1", 1000, VISA_OK, json!({"captureMode": "VALIDATION", "captureDay": "1"})).await;
        server.run_batch().await;
        assert_eq!(text(&server.transaction_data("D2").await, "transactionStatus"), "TO_CAPTURE");
        assert_eq!(text(&server.transaction_data("E1").await, "transactionStatus"), "TO_VALIDATE");
        server.advance_days(1);
        server.run_batch().await;
        assert_eq!(text(&server.transaction_data("E1").await, "transactionStatus"), "TO_VALIDATE");
        server.advance_days(1);
        let report = server.run_batch().await;
        assert_eq!((report.captured, report.expired), (1, 1));
        assert_eq!(text(&server.transaction_data("D2").await, "transactionStatus"), "CAPTURED");
        assert_eq!(text(&server.transaction_data("E1").await, "transactionStatus"), "EXPIRED");
        assert_eq!(text(&server.operation("validate", "E1", 1000).await, "responseCode"), "24");

        let duplicate = server
            .call("cashManagement/duplicate", json!({
                "fromTransactionReference": "E1", "transactionReference": "E1BIS",
                "amount": "900", "currencyCode": "978", "captureMode": "AUTHOR_CAPTURE", "captureDay": "0",
            }))
            .await;
        assert_eq!(text(&duplicate, "responseCode"), "00", "{duplicate:?}");
        let data = server.transaction_data("E1BIS").await;
        assert_eq!(text(&data, "transactionStatus"), "TO_CAPTURE");
        assert_eq!(text(&data, "maskedPan"), "4100##########00");
    }

    async fn credit_holder(server) {
        let answer = server
            .call("cashManagement/creditHolder", json!({
                "amount": "1500", "currencyCode": "978", "cardNumber": VISA_OK, "cardExpiryDate": "203012",
                "transactionReference": "CH1", "orderChannel": "INTERNET",
            }))
            .await;
        assert_eq!(text(&answer, "responseCode"), "00", "{answer:?}");
        assert_eq!(text(&server.transaction_data("CH1").await, "transactionStatus"), "TO_CREDIT");
        server.run_batch().await;
        assert_eq!(text(&server.transaction_data("CH1").await, "transactionStatus"), "CREDITED");
    }

    async fn s10_reference_and_shop_isolation(server) {
        server.card_order("S1", 1000, VISA_OK, json!({})).await;
        let data = server.transaction_data("S1").await;
        let s10 = data.get("s10TransactionReference").cloned();
        if let Some(s10) = s10 {
            let by_s10 = server
                .call("diagnostic/getTransactionData", json!({ "s10TransactionReference": s10 }))
                .await;
            assert_eq!(text(&by_s10, "transactionReference"), "S1", "{by_s10:?}");
        }
        let other = server
            .call_as(OTHER_MERCHANT, OTHER_KEY, "diagnostic/getTransactionData", json!({"transactionReference": "S1"}))
            .await;
        assert_eq!(text(&other, "responseCode"), "25");
        let other_cancel = server
            .call_as(OTHER_MERCHANT, OTHER_KEY, "cashManagement/cancel", json!({
                "transactionReference": "S1", "operationAmount": "1000", "currencyCode": "978",
            }))
            .await;
        assert_eq!(text(&other_cancel, "responseCode"), "25");
        assert_eq!(text(&server.transaction_data("S1").await, "transactionStatus"), "TO_CAPTURE");
    }
}
