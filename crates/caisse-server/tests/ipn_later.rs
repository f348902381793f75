//! The IPN of operations made after a hosted-page payment, end to end with reqwest: a REST V4
//! cancel or refund sends `vads_url_check_src=MERCH_BO`, the capture batch `BATCH`, each with
//! the transaction's new status, signed with the shop's form key (checked here with
//! hmac/base64 directly), to the form's `vads_url_check` or else the rule's URL; nothing when
//! the shop's "later operations" rule is off.

mod common;

use caisse_core::ShopId;
use caisse_core::clock::Clock;
use caisse_core::notification::{NotificationRule, NotificationRules};
use caisse_core::shop::LyraCredentials;
use common::form::{Algo, assert_signed, base_form, signed, trans_date};
use common::ipn::{Fields, IpnEndpoint};
use common::{Backend, TestServer};
use serde_json::{Value, json};

const SHOP: &str = "12345678";
const KEY: &str = "1122334455667788";
const REST_PASSWORD: &str = "testpassword_FORMSHOP12345678";
/// Accepted, not enrolled in 3-D Secure: the page pays it at once.
const CARD: &str = "4970100000000001";

/// The IPN whose `vads_url_check_src` is `src`: its path and fields.
async fn ipn_from(shop: &IpnEndpoint, src: &str) -> (String, Fields) {
    shop.wait_for(|fields| value(fields, "vads_url_check_src") == src).await
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

struct Later {
    server: TestServer,
    shop: IpnEndpoint,
    /// Never follows redirects: the form's 303 is checked.
    client: reqwest::Client,
}

impl Later {
    async fn start(backend: Backend) -> Later {
        let server = TestServer::start(backend).await;
        let shop = IpnEndpoint::start().await;
        let store = server.state.payments.store();
        let credentials = LyraCredentials {
            shop_id: ShopId(SHOP.into()),
            test_password: REST_PASSWORD.into(),
            production_password: "prodpassword_FORMSHOP12345678".into(),
            test_hmac_key: "hmac-test-12345678".into(),
            production_hmac_key: "hmac-prod-12345678".into(),
        };
        store.set_lyra_credentials(&credentials).await.unwrap();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let later = Later { server, shop, client };
        later.set_rules(true).await;
        later
    }

    async fn set_rules(&self, later_operations: bool) {
        let rules = NotificationRules {
            later_operations,
            test_url: Some(self.shop.url("rule")),
            ..NotificationRules::preloaded(ShopId(SHOP.into()))
        };
        self.server.state.payments.store().set_notification_rules(&rules).await.unwrap();
    }

    /// Posts a form, pays its session with `CARD`, and returns the end-of-payment IPN's fields.
    async fn pay(&self, trans_id: &str, extra: &[(&str, &str)]) -> Fields {
        let mut pairs =
            base_form(SHOP, trans_id, &trans_date(self.server.clock.now()), &[("vads_order_id", "order-later")]);
        pairs.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        let pairs = signed(pairs, KEY, Algo::Hmac);
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let response = self.post("/vads-payment/", body).await;
        assert_eq!(response.status().as_u16(), 303);
        let session = response.headers()["location"].to_str().unwrap().to_owned();
        let card =
            [("card_number", CARD), ("expiry_month", "12"), ("expiry_year", "2030"), ("cvv", "123"), ("action", "pay")];
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(card).finish();
        let response = self.post(&session, body).await;
        assert_eq!(response.status().as_u16(), 200);
        let (_, paid) = ipn_from(&self.shop, "PAY").await;
        assert_eq!(value(&paid, "vads_trans_id"), trans_id);
        paid
    }

    async fn post(&self, path: &str, body: String) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.server.base_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn rest(&self, service: &str, body: Value) -> Value {
        let envelope = self.server.rest_as(SHOP, REST_PASSWORD, service, body).await;
        assert_eq!(envelope["status"], "SUCCESS", "{service}: {envelope}");
        envelope["answer"].clone()
    }

    async fn later_rows(&self) -> usize {
        let all = self.server.state.payments.store().notifications(Some(&ShopId(SHOP.into())), 50).await.unwrap();
        all.iter().filter(|notification| notification.rule == NotificationRule::LaterOperation).count()
    }
}

on_both_backends! {
    fixture = Later;

    async fn a_rest_cancel_sends_a_merch_bo_ipn(later) {
        let paid = later.pay("200001", &[]).await;
        assert_eq!(value(&paid, "vads_trans_status"), "AUTHORISED");
        let uuid = value(&paid, "vads_trans_uuid").to_owned();

        let cancelled = later.rest("Transaction/CancelOrRefund", json!({"uuid": uuid})).await;
        assert_eq!(cancelled["detailedStatus"], "CANCELLED", "{cancelled}");
        let (path, ipn) = ipn_from(&later.shop, "MERCH_BO").await;
        assert_eq!(path, "rule", "no vads_url_check: the rule's URL");
        assert_signed(&ipn, KEY);
        assert_eq!(value(&ipn, "vads_trans_status"), "CANCELLED");
        assert_eq!(value(&ipn, "vads_trans_uuid"), uuid);
        assert_eq!(value(&ipn, "vads_trans_id"), "200001");
        assert_eq!(value(&ipn, "vads_site_id"), SHOP);
        assert_eq!(value(&ipn, "vads_amount"), "1524");
        assert_ne!(value(&ipn, "vads_hash"), value(&paid, "vads_hash"), "another event, another hash");
        assert_eq!(later.later_rows().await, 1);
    }

    async fn the_capture_batch_sends_a_batch_ipn_then_a_refund_a_credit(later) {
        let form_url = later.shop.url("form");
        let paid = later.pay("200002", &[("vads_url_check", form_url.as_str())]).await;
        let uuid = value(&paid, "vads_trans_uuid").to_owned();

        let report = later.server.run_batch().await;
        assert_eq!(report.captured, 1);
        let (path, ipn) = ipn_from(&later.shop, "BATCH").await;
        assert_eq!(path, "form", "the form's vads_url_check");
        assert_signed(&ipn, KEY);
        assert_eq!(value(&ipn, "vads_trans_status"), "CAPTURED");
        assert_eq!(value(&ipn, "vads_trans_uuid"), uuid);

        // A refund of the captured payment: the IPN is the refund's CREDIT transaction.
        let refund = later.rest("Transaction/CancelOrRefund", json!({"uuid": uuid, "amount": 500, "currency": "EUR"})).await;
        let (_, ipn) = ipn_from(&later.shop, "MERCH_BO").await;
        assert_signed(&ipn, KEY);
        assert_eq!(value(&ipn, "vads_operation_type"), "CREDIT");
        assert_eq!(value(&ipn, "vads_effective_amount"), "500");
        assert_eq!(value(&ipn, "vads_trans_uuid"), refund["uuid"].as_str().unwrap(), "{refund}");
        assert_eq!(value(&ipn, "vads_trans_id"), "200002");
        assert_eq!(later.later_rows().await, 2);
    }

    async fn no_later_ipn_when_the_rule_is_off(later) {
        later.set_rules(false).await;
        let paid = later.pay("200003", &[]).await;
        let uuid = value(&paid, "vads_trans_uuid").to_owned();
        later.rest("Transaction/CancelOrRefund", json!({"uuid": uuid})).await;
        later.server.run_batch().await;
        // Written in the change's own database transaction: none now means none ever.
        assert_eq!(later.later_rows().await, 0);
        assert_eq!(later.shop.received().len(), 1, "the end-of-payment IPN only");
    }
}
