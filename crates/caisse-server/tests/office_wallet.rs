//! Office Serveur wallets over real HTTP, on SQLite and on PostgreSQL: the wallet family
//! (walletResponseCode), walletOrder and walletCreditHolder, and what a wallet lets through.

mod common;

use common::*;
use serde_json::{Map, Value, json};

const VISA_OK: &str = "4100000000000000";
const VISA_REFUSED: &str = "4100000000000005";
const CB_VISA: &str = "4300000000000000";
const IBAN: &str = "FR1420041010050500013M02606";
const IBAN_MASKED: &str = "FR14#####################06";

/// 2026-11-28T10:00:00Z, the harness's clock.
const START: &str = "2026-11-28T10:00:00+00:00";

impl TestServer {
    async fn add_card(&self, wallet: &str, card: &str, extra: Value) -> Map<String, Value> {
        let mut fields = json!({"merchantWalletId": wallet, "cardNumber": card, "cardExpiryDate": "203012"});
        merge(&mut fields, extra);
        self.call("wallet/addCard", fields).await
    }

    async fn wallet_data(&self, wallet: &str) -> Map<String, Value> {
        self.call("wallet/getWalletData", json!({"merchantWalletId": wallet})).await
    }

    async fn mean_data(&self, wallet: &str, id: &str) -> Map<String, Value> {
        self.call("wallet/getPaymentMeanData", json!({"merchantWalletId": wallet, "paymentMeanId": id})).await
    }

    async fn wallet_order(
        &self,
        wallet: &str,
        id: &str,
        reference: &str,
        amount: u64,
        extra: Value,
    ) -> Map<String, Value> {
        let mut fields = json!({
            "amount": amount.to_string(), "currencyCode": "978", "merchantWalletId": wallet,
            "paymentMeanId": id, "transactionReference": reference, "orderChannel": "INTERNET",
        });
        merge(&mut fields, extra);
        self.call("checkout/walletOrder", fields).await
    }
}

fn merge(fields: &mut Value, extra: Value) {
    for (name, value) in extra.as_object().cloned().unwrap_or_default() {
        fields[name] = value;
    }
}

/// The wallet family answers `walletResponseCode`, never `responseCode`.
fn wallet_code(answer: &Map<String, Value>) -> &str {
    assert!(!answer.contains_key("responseCode"), "responseCode in a wallet answer: {answer:?}");
    text(answer, "walletResponseCode")
}

fn assert_nothing_clear(answer: &Map<String, Value>, secrets: &[&str]) {
    let body = serde_json::to_string(answer).unwrap();
    for secret in secrets {
        assert!(!body.contains(secret), "clear number in an answer: {body}");
    }
    assert!(!answer.values().any(Value::is_null), "null in an answer");
}

on_both_backends! {
    async fn add_cards_and_read_the_wallet(server) {
        let first = server.add_card("WALLET01", VISA_OK, json!({"paymentMeanAlias": "myvisacard", "cardCSCValue": "123"})).await;
        assert_eq!(wallet_code(&first), "00", "{first:?}");
        assert_eq!(text(&first, "paymentMeanId"), "1");
        assert_eq!(text(&first, "maskedPan"), "4100##########00");
        assert_eq!(text(&first, "walletActionDateTime"), START);
        assert!(!first.contains_key("errorFieldName"));

        server.clock.advance(chrono::Duration::minutes(5));
        let second = server.add_card("WALLET01", CB_VISA, json!({"paymentMeanBrand": "VISA"})).await;
        assert_eq!(wallet_code(&second), "00", "{second:?}");
        assert_eq!(text(&second, "paymentMeanId"), "2");
        assert_eq!(text(&second, "walletActionDateTime"), "2026-11-28T10:05:00+00:00");

        let wallet = server.wallet_data("WALLET01").await;
        assert_eq!(wallet_code(&wallet), "00");
        assert_eq!(text(&wallet, "walletCreationDateTime"), START);
        assert_eq!(text(&wallet, "walletLastActionDateTime"), "2026-11-28T10:05:00+00:00");
        assert_eq!(
            wallet["walletPaymentMeanDataList"],
            json!([
                {"paymentMeanId": "1", "paymentMeanAlias": "myvisacard", "maskedPan": "4100##########00",
                 "paymentMeanBrand": "VISA", "panExpiryDate": "203012"},
                {"paymentMeanId": "2", "maskedPan": "4300##########00", "paymentMeanBrand": "VISA",
                 "panExpiryDate": "203012"},
            ])
        );
        let mean = server.mean_data("WALLET01", "2").await;
        assert_eq!(wallet_code(&mean), "00");
        assert_eq!(mean["walletPaymentMeanData"], wallet["walletPaymentMeanDataList"][1]);
        for answer in [&first, &second, &wallet, &mean] {
            assert_nothing_clear(answer, &[VISA_OK, CB_VISA, "123"]);
        }
    }

    async fn the_same_card_twice_is_94(server) {
        assert_eq!(wallet_code(&server.add_card("W94", VISA_OK, json!({})).await), "00");
        let again = server.add_card("W94", VISA_OK, json!({"cardExpiryDate": "203101"})).await;
        assert_eq!(wallet_code(&again), "94", "{again:?}");
        assert!(!again.contains_key("paymentMeanId"));
        let wallet = server.wallet_data("W94").await;
        assert_eq!(wallet["walletPaymentMeanDataList"].as_array().unwrap().len(), 1);
        // Another card takes the next rank: the refused one used none.
        assert_eq!(text(&server.add_card("W94", VISA_REFUSED, json!({})).await, "paymentMeanId"), "2");
        // The same card in another wallet is fine.
        assert_eq!(wallet_code(&server.add_card("W94-OTHER", VISA_OK, json!({})).await), "00");
    }

    async fn unknown_wallet_or_mean_is_01(server) {
        assert_eq!(wallet_code(&server.wallet_data("NOPE").await), "01");
        assert_eq!(wallet_code(&server.mean_data("NOPE", "1").await), "01");
        assert_eq!(wallet_code(&server.add_card("W01", VISA_OK, json!({})).await), "00");
        assert_eq!(wallet_code(&server.mean_data("W01", "2").await), "01");
        let unknown_mean = json!({"merchantWalletId": "W01", "paymentMeanId": "7", "paymentMeanAlias": "x"});
        let unknown_wallet = json!({"merchantWalletId": "NOPE", "paymentMeanId": "1"});
        for method in ["wallet/updatePaymentMean", "wallet/deletePaymentMean"] {
            for fields in [&unknown_mean, &unknown_wallet] {
                let answer = server.call(method, fields.clone()).await;
                assert_eq!(wallet_code(&answer), "01", "{method} {fields}: {answer:?}");
                assert!(!answer.contains_key("walletActionDateTime"));
            }
        }
        let answer = server.call("wallet/signOff", json!({"merchantWalletId": "NOPE"})).await;
        assert_eq!(wallet_code(&answer), "01");
        assert_eq!(wallet_code(&server.mean_data("W01", "1").await), "00", "untouched");
    }

    async fn update_delete_and_sign_off(server) {
        server.add_card("WLIFE", VISA_OK, json!({"paymentMeanAlias": "old"})).await;
        server.add_card("WLIFE", VISA_REFUSED, json!({})).await;
        server.clock.advance(chrono::Duration::hours(1));
        let updated = server
            .call("wallet/updatePaymentMean", json!({"merchantWalletId": "WLIFE", "paymentMeanId": "1", "paymentMeanAlias": "new"}))
            .await;
        assert_eq!(wallet_code(&updated), "00", "{updated:?}");
        assert_eq!(text(&updated, "walletActionDateTime"), "2026-11-28T11:00:00+00:00");
        let mean = server.mean_data("WLIFE", "1").await;
        assert_eq!(mean["walletPaymentMeanData"]["paymentMeanAlias"], "new");
        let wallet = server.wallet_data("WLIFE").await;
        assert_eq!(text(&wallet, "walletLastActionDateTime"), "2026-11-28T11:00:00+00:00");
        assert_eq!(text(&wallet, "walletCreationDateTime"), START);
        // Without an alias, the alias goes.
        let cleared = server.call("wallet/updatePaymentMean", json!({"merchantWalletId": "WLIFE", "paymentMeanId": "1"})).await;
        assert_eq!(wallet_code(&cleared), "00");
        assert!(server.mean_data("WLIFE", "1").await["walletPaymentMeanData"].get("paymentMeanAlias").is_none());

        server.clock.advance(chrono::Duration::hours(1));
        let deleted = server.call("wallet/deletePaymentMean", json!({"merchantWalletId": "WLIFE", "paymentMeanId": "1"})).await;
        assert_eq!(wallet_code(&deleted), "00");
        assert_eq!(text(&deleted, "walletActionDateTime"), "2026-11-28T12:00:00+00:00");
        assert_eq!(wallet_code(&server.mean_data("WLIFE", "1").await), "01");
        let wallet = server.wallet_data("WLIFE").await;
        assert_eq!(wallet["walletPaymentMeanDataList"][0]["paymentMeanId"], "2");
        assert_eq!(wallet["walletPaymentMeanDataList"].as_array().unwrap().len(), 1);
        // The deleted card may come back, under a new rank.
        assert_eq!(text(&server.add_card("WLIFE", VISA_OK, json!({})).await, "paymentMeanId"), "3");

        let signed_off = server.call("wallet/signOff", json!({"merchantWalletId": "WLIFE"})).await;
        assert_eq!(wallet_code(&signed_off), "00");
        assert_eq!(text(&signed_off, "walletActionDateTime"), "2026-11-28T12:00:00+00:00");
        assert_eq!(wallet_code(&server.wallet_data("WLIFE").await), "01");
        assert_eq!(wallet_code(&server.mean_data("WLIFE", "2").await), "01");
        assert_eq!(wallet_code(&server.call("wallet/signOff", json!({"merchantWalletId": "WLIFE"})).await), "01");
    }

    async fn direct_debit_means(server) {
        let added = server
            .call("wallet/addDirectDebit", json!({"merchantWalletId": "WSDD", "iban": IBAN, "bic": "SOGEFRPP",
                                                   "mandateId": "RUM-2026-0001", "paymentMeanAlias": "MySDD"}))
            .await;
        assert_eq!(wallet_code(&added), "00", "{added:?}");
        assert_eq!(text(&added, "paymentMeanId"), "1");
        assert_eq!(text(&added, "maskedPan"), IBAN_MASKED);
        assert_eq!(text(&added, "mandateId"), "RUM-2026-0001");
        assert_eq!(text(&added, "walletActionDateTime"), START);
        let twice = server.call("wallet/addDirectDebit", json!({"merchantWalletId": "WSDD", "iban": IBAN})).await;
        assert_eq!(wallet_code(&twice), "94");
        // Without mandateId, caisse makes the mandate's reference.
        let other = server.call("wallet/addDirectDebit", json!({"merchantWalletId": "WSDD", "iban": "DE89370400440532013000"})).await;
        assert_eq!(wallet_code(&other), "00", "{other:?}");
        assert_eq!(text(&other, "maskedPan"), "DE89################00");
        assert!(text(&other, "mandateId").len() <= 35 && !text(&other, "mandateId").is_empty());

        let mean = server.mean_data("WSDD", "1").await;
        assert_eq!(
            mean["walletPaymentMeanData"],
            json!({"paymentMeanId": "1", "paymentMeanAlias": "MySDD", "maskedPan": IBAN_MASKED,
                   "paymentMeanBrand": "SEPA_DIRECT_DEBIT", "mandateId": "RUM-2026-0001"})
        );
        let wallet = server.wallet_data("WSDD").await;
        for answer in [&added, &twice, &other, &mean, &wallet] {
            assert_nothing_clear(answer, &[IBAN, "DE89370400440532013000"]);
        }
        // A mandate cannot pay a walletOrder (a card payment).
        let order = server.wallet_order("WSDD", "1", "SDDORDER", 1000, json!({})).await;
        assert_eq!(text(&order, "responseCode"), "12");
        assert_eq!(text(&order, "errorFieldName"), "paymentMeanId");

        for (iban, code) in [(Value::Null, "12"), (json!("FR1420041010050500013M02607"), "30"), (json!("US1234"), "30"),
                             (json!("fr1420041010050500013m02606"), "30")] {
            let answer = server.call("wallet/addDirectDebit", json!({"merchantWalletId": "WSDD", "iban": iban})).await;
            assert_eq!((wallet_code(&answer), text(&answer, "errorFieldName")), (code, "iban"), "{iban}");
        }
        let bad_bic = server.call("wallet/addDirectDebit", json!({"merchantWalletId": "WSDD", "iban": IBAN, "bic": "SOGE"})).await;
        assert_eq!((wallet_code(&bad_bic), text(&bad_bic, "errorFieldName")), ("30", "bic"));
    }

    async fn wallet_field_errors_are_12_and_30(server) {
        let cases = [
            ("wallet/addCard", json!({"cardNumber": VISA_OK, "cardExpiryDate": "203012"}), "12", "merchantWalletId"),
            ("wallet/addCard", json!({"merchantWalletId": "W", "cardExpiryDate": "203012"}), "12", "cardNumber"),
            ("wallet/addCard", json!({"merchantWalletId": "W", "cardNumber": "41000", "cardExpiryDate": "203012"}), "30", "cardNumber"),
            ("wallet/addCard", json!({"merchantWalletId": "W", "cardNumber": VISA_OK}), "12", "cardExpiryDate"),
            ("wallet/addCard", json!({"merchantWalletId": "W", "cardNumber": VISA_OK, "cardExpiryDate": "203013"}), "30", "cardExpiryDate"),
            ("wallet/addCard", json!({"merchantWalletId": "W", "cardNumber": VISA_OK, "cardExpiryDate": "203012", "paymentMeanBrand": "AMEX"}), "12", "paymentMeanBrand"),
            ("wallet/addCard", json!({"merchantWalletId": "W", "cardNumber": VISA_OK, "cardExpiryDate": "203012", "paymentMeanBrand": "NOPE"}), "30", "paymentMeanBrand"),
            ("wallet/addCard", json!({"merchantWalletId": "W", "cardNumber": VISA_OK, "cardExpiryDate": "203012", "panType": "CSE"}), "30", "panType"),
            ("wallet/addCard", json!({"merchantWalletId": "W".repeat(22), "cardNumber": VISA_OK, "cardExpiryDate": "203012"}), "30", "merchantWalletId"),
            ("wallet/addCard", json!({"merchantWalletId": "W/1", "cardNumber": VISA_OK, "cardExpiryDate": "203012"}), "30", "merchantWalletId"),
            ("wallet/addCard", json!({"merchantWalletId": "W", "cardNumber": VISA_OK, "cardExpiryDate": "203012", "paymentMeanAlias": "a".repeat(51)}), "30", "paymentMeanAlias"),
            ("wallet/getWalletData", json!({}), "12", "merchantWalletId"),
            ("wallet/getPaymentMeanData", json!({"merchantWalletId": "W"}), "12", "paymentMeanId"),
            ("wallet/getPaymentMeanData", json!({"merchantWalletId": "W", "paymentMeanId": "abc"}), "30", "paymentMeanId"),
            ("wallet/getPaymentMeanData", json!({"merchantWalletId": "W", "paymentMeanId": "1234567"}), "30", "paymentMeanId"),
            ("wallet/updatePaymentMean", json!({"merchantWalletId": "W"}), "12", "paymentMeanId"),
            ("wallet/deletePaymentMean", json!({"paymentMeanId": "1"}), "12", "merchantWalletId"),
            ("wallet/signOff", json!({}), "12", "merchantWalletId"),
            // The wallet family's prefix is WR_WS_.
            ("wallet/signOff", json!({"merchantWalletId": "W", "interfaceVersion": "IR_WS_2.53"}), "12", "interfaceVersion"),
        ];
        for (method, fields, code, field) in cases {
            let answer = server.call(method, fields.clone()).await;
            assert_eq!((wallet_code(&answer), text(&answer, "errorFieldName")), (code, field), "{method} {fields}");
        }
        // Nothing was created by the refused calls.
        assert_eq!(wallet_code(&server.wallet_data("W").await), "01");

        // A wrong seal: 34, as walletResponseCode too.
        let mut request = json!({"merchantWalletId": "W", "merchantId": MERCHANT, "keyVersion": "1",
                                 "interfaceVersion": "WR_WS_2.53"});
        request["seal"] = json!(seal(&request, "not-the-key"));
        let (status, body) = server.post_raw("wallet/getWalletData", &request).await;
        assert_eq!(status, 200);
        let answer: Map<String, Value> = serde_json::from_str(&body).unwrap();
        verify_answer_seal(&answer, MERCHANT_KEY);
        assert_eq!(wallet_code(&answer), "34");
    }

    async fn wallet_order_then_cancel_and_refund(server) {
        server.add_card("WPAY", VISA_OK, json!({})).await;
        server.add_card("WPAY", VISA_REFUSED, json!({})).await;
        let order = server
            .wallet_order("WPAY", "1", "WORDER1", 2500, json!({"cardCSCValue": "123", "orderId": "O-1", "returnContext": "ctx"}))
            .await;
        assert_eq!(text(&order, "responseCode"), "00", "{order:?}");
        assert_eq!(text(&order, "acquirerResponseCode"), "00");
        assert_eq!(text(&order, "maskedPan"), "4100##########00");
        assert_eq!(text(&order, "paymentMeanBrand"), "VISA");
        assert_eq!(text(&order, "transactionReference"), "WORDER1");
        assert_eq!(text(&order, "returnContext"), "ctx");
        assert_eq!(text(&order, "authorisationId").len(), 6);
        assert_nothing_clear(&order, &[VISA_OK]);
        let data = server.transaction_data("WORDER1").await;
        assert_eq!(text(&data, "transactionStatus"), "TO_CAPTURE");
        assert_eq!(text(&data, "currentAmount"), "2500");
        assert_eq!(text(&data, "maskedPan"), "4100##########00");
        assert_eq!(text(&data, "orderId"), "O-1");

        let cancelled = server.operation("cancel", "WORDER1", 1000).await;
        assert_eq!(text(&cancelled, "responseCode"), "00", "{cancelled:?}");
        assert_eq!(text(&cancelled, "newAmount"), "1500");

        let immediate = server.wallet_order("WPAY", "1", "WORDER2", 3000, json!({"captureMode": "IMMEDIATE"})).await;
        assert_eq!(text(&immediate, "responseCode"), "00");
        server.run_batch().await;
        let refunded = server.operation("refund", "WORDER2", 1200).await;
        assert_eq!(text(&refunded, "responseCode"), "00", "{refunded:?}");
        assert_eq!(text(&server.transaction_data("WORDER2").await, "currentAmount"), "1800");

        // The wallet's refused card is refused by the acquirer, like cardOrder.
        let refused = server.wallet_order("WPAY", "2", "WORDER3", 1000, json!({})).await;
        assert_eq!(text(&refused, "responseCode"), "05");
        assert_eq!(text(&server.transaction_data("WORDER3").await, "transactionStatus"), "REFUSED");
        // A reused reference is 94; an unknown mean or wallet is 12 on paymentMeanId.
        assert_eq!(text(&server.wallet_order("WPAY", "1", "WORDER1", 100, json!({})).await, "responseCode"), "94");
        for (wallet, id) in [("WPAY", "9"), ("NOPE", "1")] {
            let answer = server.wallet_order(wallet, id, "WORDER4", 100, json!({})).await;
            assert_eq!((text(&answer, "responseCode"), text(&answer, "errorFieldName")), ("12", "paymentMeanId"));
        }
        let missing = server.call("checkout/walletOrder", json!({"amount": "100", "currencyCode": "978",
            "transactionReference": "WORDER5", "paymentMeanId": "1"})).await;
        assert_eq!((text(&missing, "responseCode"), text(&missing, "errorFieldName")), ("12", "merchantWalletId"));
        assert_eq!(text(&server.transaction_data("WORDER4").await, "responseCode"), "25");
        // A deleted mean no longer pays; transactions made with it stay.
        server.call("wallet/deletePaymentMean", json!({"merchantWalletId": "WPAY", "paymentMeanId": "1"})).await;
        assert_eq!(text(&server.wallet_order("WPAY", "1", "WORDER6", 100, json!({})).await, "responseCode"), "12");
        assert_eq!(text(&server.operation("refund", "WORDER2", 1800).await, "responseCode"), "00");
    }

    async fn wallet_credit_holder(server) {
        server.add_card("WCREDIT", VISA_OK, json!({})).await;
        let credited = server
            .call("cashManagement/walletCreditHolder", json!({"amount": "700", "currencyCode": "978",
                "merchantWalletId": "WCREDIT", "paymentMeanId": "1", "transactionReference": "WCREDIT1"}))
            .await;
        assert_eq!(text(&credited, "responseCode"), "00", "{credited:?}");
        assert_eq!(text(&credited, "maskedPan"), "4100##########00");
        assert_nothing_clear(&credited, &[VISA_OK]);
        let data = server.transaction_data("WCREDIT1").await;
        assert_eq!(text(&data, "transactionStatus"), "TO_CREDIT");
        assert_eq!(text(&data, "lastOperationName"), "CREDIT_HOLDER");
        let unknown = server
            .call("cashManagement/walletCreditHolder", json!({"amount": "700", "currencyCode": "978",
                "merchantWalletId": "WCREDIT", "paymentMeanId": "2", "transactionReference": "WCREDIT2"}))
            .await;
        assert_eq!((text(&unknown, "responseCode"), text(&unknown, "errorFieldName")), ("12", "paymentMeanId"));
    }

    async fn another_merchant_never_sees_a_wallet(server) {
        server.add_card("SHARED", VISA_OK, json!({})).await;
        let other = |path: &'static str, fields: Value| server.call_as(OTHER_MERCHANT, OTHER_KEY, path, fields);
        let by_name = json!({"merchantWalletId": "SHARED"});
        let by_mean = json!({"merchantWalletId": "SHARED", "paymentMeanId": "1"});
        assert_eq!(wallet_code(&other("wallet/getWalletData", by_name.clone()).await), "01");
        assert_eq!(wallet_code(&other("wallet/getPaymentMeanData", by_mean.clone()).await), "01");
        assert_eq!(wallet_code(&other("wallet/updatePaymentMean", by_mean.clone()).await), "01");
        assert_eq!(wallet_code(&other("wallet/deletePaymentMean", by_mean.clone()).await), "01");
        assert_eq!(wallet_code(&other("wallet/signOff", by_name.clone()).await), "01");
        let order = other("checkout/walletOrder", json!({"amount": "100", "currencyCode": "978",
            "merchantWalletId": "SHARED", "paymentMeanId": "1", "transactionReference": "STEAL1"})).await;
        assert_eq!(text(&order, "responseCode"), "12");
        // Its own wallet of the same name is another wallet.
        let own = other("wallet/addCard", json!({"merchantWalletId": "SHARED", "cardNumber": VISA_REFUSED,
            "cardExpiryDate": "203012"})).await;
        assert_eq!((wallet_code(&own), text(&own, "paymentMeanId")), ("00", "1"));
        let mine = server.wallet_data("SHARED").await;
        assert_eq!(mine["walletPaymentMeanDataList"].as_array().unwrap().len(), 1);
        assert_eq!(mine["walletPaymentMeanDataList"][0]["maskedPan"], "4100##########00");
    }
}
