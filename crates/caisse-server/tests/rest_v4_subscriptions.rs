//! REST V4 subscriptions over real HTTP, on SQLite and on PostgreSQL: installments driven by
//! the test clock, Subscription/Get|Update|Cancel and their errors; and `serverUrl` from
//! `CAISSE_PUBLIC_URL`.

mod common;

use common::*;
use serde_json::{Value, json};
use std::sync::Arc;

const CARD_OK: &str = "4970100000000000";
const UNKNOWN: &str = "0123456789abcdef0123456789abcdef";

fn subscription(token: &str, extra: Value) -> Value {
    let mut body = json!({
        "amount": 1000,
        "currency": "EUR",
        "effectDate": "2026-12-01T00:00:00+00:00",
        "rrule": "RRULE:FREQ=MONTHLY;COUNT=3",
        "paymentMethodToken": token,
        "orderId": "SUB-ORDER",
        "description": "monthly box",
        "initialAmount": 500,
        "initialAmountNumber": 1,
        "metadata": {"plan": "box"},
    });
    for (name, value) in extra.as_object().cloned().unwrap_or_default() {
        body[name] = value;
    }
    body
}

async fn get(server: &TestServer, id: &str, token: &str) -> Value {
    server.rest_ok("Subscription/Get", json!({"subscriptionId": id, "paymentMethodToken": token})).await
}

/// Moves the clock to `at` and charges what is due, as the server's scheduler does.
async fn run_installments_at(server: &TestServer, at: &str) {
    let at: chrono::DateTime<chrono::Utc> = at.parse().unwrap();
    server.clock.set(at);
    server.state.payments.run_due_installments().await.expect("installments");
}

on_both_backends! {
    async fn installments_follow_the_clock(server) {
        let (token, _) = server.create_token(CARD_OK).await;
        let created = server.rest_ok("Charge/CreateSubscription", subscription(&token, json!({}))).await;
        assert_eq!(created["_type"], "V4/SubscriptionCreated");
        assert_eq!(created["paymentMethodToken"], token.as_str());
        let id = created["subscriptionId"].as_str().unwrap().to_owned();
        assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");

        let fresh = get(&server, &id, &token).await;
        assert_eq!(fresh["_type"], "V4/Subscription");
        assert_eq!(fresh["shopId"], LYRA_SHOP);
        assert_eq!(fresh["orderId"], "SUB-ORDER");
        assert_eq!(fresh["effectDate"], "2026-12-01T00:00:00+00:00");
        assert_eq!(fresh["cancelDate"], Value::Null);
        assert_eq!(fresh["amount"], 1000);
        assert_eq!(fresh["initialAmount"], 500);
        assert_eq!(fresh["initialAmountNumber"], 1);
        assert_eq!(fresh["pastPaymentsNumber"], 0);
        assert_eq!(fresh["totalPaymentsNumber"], 3);
        assert_eq!(fresh["rrule"], "RRULE:FREQ=MONTHLY;COUNT=3");
        assert_eq!(fresh["description"], "monthly box");
        assert_eq!(fresh["metadata"], json!({"plan": "box"}));
        server.rest_error("Order/Get", json!({"orderId": "SUB-ORDER"}), "PSP_010").await;

        // Nothing is due before the effect date.
        run_installments_at(&server, "2026-11-30T23:59:00Z").await;
        assert_eq!(get(&server, &id, &token).await["pastPaymentsNumber"], 0);

        run_installments_at(&server, "2026-12-01T00:01:00Z").await;
        assert_eq!(get(&server, &id, &token).await["pastPaymentsNumber"], 1);
        let order = server.rest_ok("Order/Get", json!({"orderId": "SUB-ORDER"})).await;
        let transactions = order["transactions"].as_array().unwrap();
        assert_eq!(transactions.len(), 1);
        assert_eq!(transactions[0]["amount"], 500, "the initial amount first");
        assert_eq!(transactions[0]["paymentMethodToken"], token.as_str());
        assert_eq!(transactions[0]["detailedStatus"], "AUTHORISED");
        assert_eq!(transactions[0]["transactionDetails"]["subscriptionDetails"]["subscriptionId"], id.as_str());

        // Running again at the same time charges nothing more.
        run_installments_at(&server, "2026-12-01T00:02:00Z").await;
        assert_eq!(get(&server, &id, &token).await["pastPaymentsNumber"], 1);

        // A started subscription cannot change.
        server.rest_error("Subscription/Update", subscription(&token, json!({
            "subscriptionId": id, "effectDate": "2027-01-01T00:00:00+00:00"})), "PSP_565").await;

        run_installments_at(&server, "2027-01-01T00:01:00Z").await;
        run_installments_at(&server, "2027-02-01T00:01:00Z").await;
        run_installments_at(&server, "2027-03-01T00:01:00Z").await;
        let done = get(&server, &id, &token).await;
        assert_eq!(done["pastPaymentsNumber"], 3);
        let order = server.rest_ok("Order/Get", json!({"orderId": "SUB-ORDER"})).await;
        let amounts: Vec<u64> =
            order["transactions"].as_array().unwrap().iter().map(|tx| tx["amount"].as_u64().unwrap()).collect();
        assert_eq!(amounts, [500, 1000, 1000], "COUNT=3: no fourth installment");
    }

    async fn update_and_cancel(server) {
        let (token, _) = server.create_token(CARD_OK).await;
        let id = server.rest_ok("Charge/CreateSubscription", subscription(&token, json!({"orderId": "SUB-2"}))).await
            ["subscriptionId"].as_str().unwrap().to_owned();
        let updated = server.rest_ok("Subscription/Update", json!({
            "subscriptionId": id, "paymentMethodToken": token, "amount": 2500, "currency": "EUR",
            "effectDate": "2026-12-15T00:00:00+00:00", "rrule": "RRULE:FREQ=WEEKLY"})).await;
        assert_eq!(updated, json!({"responseCode": 0, "_type": "V4/Common/ResponseCodeAnswer"}));
        let got = get(&server, &id, &token).await;
        assert_eq!(got["amount"], 2500);
        assert_eq!(got["initialAmount"], Value::Null);
        assert_eq!(got["effectDate"], "2026-12-15T00:00:00+00:00");
        assert_eq!(got["totalPaymentsNumber"], Value::Null, "open-ended rule");

        let cancelled = server.rest_ok("Subscription/Cancel",
            json!({"subscriptionId": id, "paymentMethodToken": token})).await;
        assert_eq!(cancelled["responseCode"], 0);
        let got = get(&server, &id, &token).await;
        assert_eq!(got["cancelDate"], "2026-11-28T10:00:00+00:00");
        server.rest_error("Subscription/Cancel", json!({"subscriptionId": id, "paymentMethodToken": token}), "PSP_033").await;
        server.rest_error("Subscription/Update", json!({
            "subscriptionId": id, "paymentMethodToken": token, "amount": 2500, "currency": "EUR",
            "effectDate": "2026-12-15T00:00:00+00:00", "rrule": "RRULE:FREQ=WEEKLY"}), "PSP_033").await;
        run_installments_at(&server, "2027-01-01T00:00:00Z").await;
        assert_eq!(get(&server, &id, &token).await["pastPaymentsNumber"], 0, "no installment after cancel");
        server.rest_error("Order/Get", json!({"orderId": "SUB-2"}), "PSP_010").await;

        // A cancelled token stops future installments: they count, but nothing is charged.
        let live = server.rest_ok("Charge/CreateSubscription",
            subscription(&token, json!({"orderId": "SUB-3", "effectDate": "2027-01-01T00:00:00+00:00"}))).await
            ["subscriptionId"].as_str().unwrap().to_owned();
        server.rest_ok("Token/Cancel", json!({"paymentMethodToken": token})).await;
        run_installments_at(&server, "2027-01-02T00:00:00Z").await;
        assert_eq!(get(&server, &live, &token).await["pastPaymentsNumber"], 1);
        server.rest_error("Order/Get", json!({"orderId": "SUB-3"}), "PSP_010").await;
        server.rest_error("Charge/CreateSubscription",
            subscription(&token, json!({"effectDate": "2027-02-01T00:00:00+00:00"})), "PSP_031").await;
    }

    async fn subscription_errors(server) {
        let (token, _) = server.create_token(CARD_OK).await;
        let cases = [
            (json!({"rrule": "RRULE:FREQ=SOMETIMES"}), "INT_064"),
            (json!({"rrule": "RRULE:FREQ=HOURLY"}), "INT_064"),
            (json!({"rrule": null}), "INT_064"),
            (json!({"effectDate": "2026-11-01T00:00:00+00:00"}), "INT_069"),
            (json!({"effectDate": "tomorrow"}), "INT_069"),
            (json!({"initialAmount": -3}), "INT_066"),
            (json!({"initialAmountNumber": 5000}), "INT_068"),
            (json!({"initialAmountNumber": null}), "INT_880"),
            (json!({"amount": 0}), "INT_009"),
            (json!({"currency": "XYZ"}), "INT_010"),
            (json!({"paymentMethodToken": "short"}), "INT_030"),
            (json!({"paymentMethodToken": UNKNOWN}), "PSP_030"),
            (json!({"orderId": "x".repeat(65)}), "INT_013"),
        ];
        for (extra, code) in cases {
            server.rest_error("Charge/CreateSubscription", subscription(&token, extra.clone()), code).await;
        }
        let id = server.rest_ok("Charge/CreateSubscription", subscription(&token, json!({}))).await
            ["subscriptionId"].as_str().unwrap().to_owned();
        server.rest_error("Subscription/Get", json!({"paymentMethodToken": token}), "INT_897").await;
        server.rest_error("Subscription/Get", json!({"subscriptionId": id}), "INT_030").await;
        server.rest_error("Subscription/Get", json!({"subscriptionId": "nope", "paymentMethodToken": token}), "PSP_032").await;
        let (other, _) = server.create_token(CARD_OK).await;
        server.rest_error("Subscription/Get", json!({"subscriptionId": id, "paymentMethodToken": other}), "PSP_030").await;
        server.rest_error("Subscription/Cancel", json!({"subscriptionId": id, "paymentMethodToken": token,
            "terminationDate": "next june"}), "INT_805").await;
        assert_eq!(get(&server, &id, &token).await["cancelDate"], Value::Null, "nothing changed");
        // Another shop does not see it.
        let envelope = server.rest_as(LYRA_SEED_SHOP, LYRA_SEED_PASSWORD, "Subscription/Get",
            json!({"subscriptionId": id, "paymentMethodToken": token})).await;
        assert_eq!(envelope["answer"]["errorCode"], "PSP_032");
    }
}

on_both_backends! {
    async fn a_future_termination_date_keeps_the_installments_before_it(server) {
        let (token, _) = server.create_token(CARD_OK).await;
        let body = subscription(&token, json!({"rrule": "RRULE:FREQ=MONTHLY", "initialAmount": null,
            "initialAmountNumber": null}));
        let id = server.rest_ok("Charge/CreateSubscription", body).await["subscriptionId"].as_str().unwrap().to_owned();
        let cancelled = server.rest_ok("Subscription/Cancel", json!({"subscriptionId": id, "paymentMethodToken": token,
            "terminationDate": "2027-01-15T00:00:00+00:00"})).await;
        assert_eq!(cancelled["responseCode"], 0);
        assert_eq!(get(&server, &id, &token).await["cancelDate"], "2027-01-15T00:00:00+00:00");
        // 1 December and 1 January are charged; 1 February is after the termination.
        for at in ["2026-12-01T00:00:01Z", "2027-01-01T00:00:01Z", "2027-02-01T00:00:01Z", "2027-03-01T00:00:01Z"] {
            run_installments_at(&server, at).await;
        }
        let after = get(&server, &id, &token).await;
        assert_eq!(after["pastPaymentsNumber"], 2);
        let order = server.rest_ok("Order/Get", json!({"orderId": "SUB-ORDER"})).await;
        assert_eq!(order["transactions"].as_array().unwrap().len(), 2);
        // Ended: cancelling again is refused and changes nothing.
        server.rest_error("Subscription/Cancel", json!({"subscriptionId": id, "paymentMethodToken": token}), "PSP_033").await;
        assert_eq!(get(&server, &id, &token).await["cancelDate"], "2027-01-15T00:00:00+00:00");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_url_is_the_public_url_when_set() {
    let database = Arc::new(TestDatabase::new(Backend::Sqlite).await);
    let clock = caisse_core::TestClock::at("2026-11-28T10:00:00Z".parse().unwrap());
    let server =
        TestServer::start_with(database, clock, |settings| settings.public_url = Some("https://pay.example".into()))
            .await;
    let envelope = server.rest("Charge/SDKTest", json!({"value": "x"})).await;
    assert_eq!(envelope["serverUrl"], "https://pay.example");
    server.stop().await;
}
