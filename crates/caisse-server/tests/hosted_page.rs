//! The Form API hosted payment page end to end, with reqwest only: an accepted form opens a
//! session (303), its card form pays once or cancels, the result page carries the signed
//! result fields back to the shop, and the end-of-payment IPN is written with the payment.
//! Signatures are checked here with hmac/base64 directly, not with caisse's own code.

mod common;

use caisse_core::ShopId;
use caisse_core::clock::Clock;
use chrono::Duration;
use common::form::{Algo, signature, signed};
use common::{Backend, TestServer};
use std::sync::{Arc, Mutex};

const SHOP: &str = "12345678";
const KEY: &str = "1122334455667788";
const ACCEPTED: &str = "4970100000000000";
const REFUSED: &str = "4970100000000002";
const SUCCESS: &str = "https://shop.example/success?from=caisse";
const REFUSED_URL: &str = "https://shop.example/refused";
const CANCEL: &str = "https://shop.example/cancel";

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("{name} in {pairs:?}"))
}

fn assert_signed(pairs: &[(String, String)]) {
    let (fields, signed_by) = pairs.split_at(pairs.len() - 1);
    assert_eq!(signed_by[0].0, "signature");
    assert_eq!(signed_by[0].1, signature(fields, KEY, Algo::Hmac), "result signature");
}

struct Page {
    server: TestServer,
    /// Never follows redirects: the 303 is checked.
    client: reqwest::Client,
    /// The shop's IPN endpoint (`vads_url_check`): the bodies it received.
    ipn_url: String,
    received: Arc<Mutex<Vec<String>>>,
}

/// A local shop endpoint that keeps the IPN bodies it receives and answers 200.
async fn shop_endpoint() -> (String, Arc<Mutex<Vec<String>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/ipn",
        axum::routing::post(move |body: String| {
            let kept = Arc::clone(&kept);
            async move {
                kept.lock().unwrap().push(body);
                "OK"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/ipn"), received)
}

impl Page {
    async fn start(backend: Backend) -> Page {
        let server = TestServer::start(backend).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let (ipn_url, received) = shop_endpoint().await;
        Page { server, client, ipn_url, received }
    }

    fn form(&self, trans_id: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let now = self.server.clock.now().format("%Y%m%d%H%M%S").to_string();
        let mut pairs: Vec<(String, String)> = [
            ("vads_action_mode", "INTERACTIVE"),
            ("vads_amount", "1524"),
            ("vads_ctx_mode", "TEST"),
            ("vads_currency", "978"),
            ("vads_page_action", "PAYMENT"),
            ("vads_payment_config", "SINGLE"),
            ("vads_site_id", SHOP),
            ("vads_trans_date", now.as_str()),
            ("vads_trans_id", trans_id),
            ("vads_version", "V2"),
            ("vads_url_success", SUCCESS),
            ("vads_url_refused", REFUSED_URL),
            ("vads_url_cancel", CANCEL),
            ("vads_url_check", self.ipn_url.as_str()),
            ("vads_return_mode", "GET"),
            ("vads_order_id", "order-42"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        for (name, v) in extra {
            pairs.retain(|(n, _)| n != name);
            pairs.push((name.to_string(), v.to_string()));
        }
        signed(pairs, KEY, Algo::Hmac)
    }

    /// Posts the form; answers the session page's path.
    async fn open(&self, trans_id: &str, extra: &[(&str, &str)]) -> String {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(self.form(trans_id, extra)).finish();
        let response = self
            .client
            .post(format!("{}/vads-payment/", self.server.base_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/vads-payment/session/"), "{location}");
        location
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self.client.get(format!("{}{path}", self.server.base_url)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .client
            .post(format!("{}{path}", self.server.base_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn pay(&self, path: &str, pan: &str) -> (u16, String) {
        self.post(
            path,
            &[("card_number", pan), ("expiry_month", "12"), ("expiry_year", "2030"), ("cvv", "123"), ("action", "pay")],
        )
        .await
    }

    async fn notifications(&self) -> Vec<caisse_core::notification::Notification> {
        self.server.state.payments.store().notifications(Some(&ShopId(SHOP.into())), 50).await.unwrap()
    }

    async fn transactions(&self) -> usize {
        self.server.state.payments.store().transactions_by_order(&ShopId(SHOP.into()), "order-42").await.unwrap().len()
    }
}

/// An HTML attribute value as the browser reads it (the escapes minijinja writes).
fn unescape(text: &str) -> String {
    [("&#x2f;", "/"), ("&quot;", "\""), ("&#x27;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")]
        .iter()
        .fold(text.to_owned(), |text, (escaped, plain)| text.replace(escaped, plain))
}

/// The return link's URL and its query pairs.
fn return_link(page: &str) -> (String, Vec<(String, String)>) {
    let start = page.find("id=\"return\" href=\"").unwrap_or_else(|| panic!("a return link: {page}")) + 18;
    let end = start + page[start..].find('"').unwrap();
    let href = unescape(&page[start..end]);
    let (base, query) = href.split_once('?').unwrap_or((&href, ""));
    let pairs = form_urlencoded::parse(query.as_bytes()).map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
    (base.to_owned(), pairs)
}

on_both_backends! {
    fixture = Page;

    async fn an_accepted_card_pays_and_returns_signed_fields(page) {
        let path = page.open("100001", &[]).await;
        let (status, card_page) = page.get(&path).await;
        assert_eq!(status, 200);
        assert!(card_page.contains("<html lang=\"en\">"), "{card_page}");
        assert!(card_page.contains("<label for=\"card_number\">"));
        assert!(card_page.contains("<dd id=\"amount\">15.24 EUR</dd>"));

        let (status, result) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 200, "{result}");
        assert!(!result.contains(ACCEPTED), "the card number never comes back");
        let (base, fields) = return_link(&result);
        assert_eq!(base, "https://shop.example/success");
        assert_eq!(fields[0], ("from".to_owned(), "caisse".to_owned()), "the URL's own query is kept");
        let fields = fields[1..].to_vec();
        assert_signed(&fields);
        assert_eq!(value(&fields, "vads_result"), "00");
        assert_eq!(value(&fields, "vads_trans_status"), "AUTHORISED");
        assert_eq!(value(&fields, "vads_trans_id"), "100001");
        assert_eq!(value(&fields, "vads_amount"), "1524");
        assert_eq!(page.transactions().await, 1);

        let ipns = page.notifications().await;
        assert_eq!(ipns.len(), 1);
        assert_eq!(ipns[0].url, page.ipn_url);
        assert_signed(&ipns[0].body);
        assert_eq!(value(&ipns[0].body, "vads_url_check_src"), "PAY");
        assert_eq!(value(&ipns[0].body, "vads_trans_uuid"), value(&fields, "vads_trans_uuid"));

        // The notifier running with caisse delivers it, form-encoded.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let delivered = loop {
            if let Some(body) = page.received.lock().unwrap().first().cloned() {
                break body;
            }
            assert!(std::time::Instant::now() < deadline, "the IPN was not delivered");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let delivered: Vec<(String, String)> =
            form_urlencoded::parse(delivered.as_bytes()).map(|(n, v)| (n.into_owned(), v.into_owned())).collect();
        assert_signed(&delivered);
        assert_eq!(delivered, ipns[0].body);

        // A second payment of the same session: refused, nothing new stored.
        let (status, again) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 409, "{again}");
        assert_eq!(page.transactions().await, 1);
        assert_eq!(page.notifications().await.len(), 1);
        // The page now shows the result.
        let (_, shown) = page.get(&path).await;
        assert!(shown.contains("data-result=\"00\""), "{shown}");
    }

    async fn a_refused_card_is_stored_and_notified(page) {
        let path = page.open("100002", &[("vads_language", "fr")]).await;
        let (_, card_page) = page.get(&path).await;
        assert!(card_page.contains("<html lang=\"fr\">"), "{card_page}");
        assert!(card_page.contains("Annuler et retourner à la boutique"));
        let (status, result) = page.pay(&path, REFUSED).await;
        assert_eq!(status, 200, "{result}");
        let (base, fields) = return_link(&result);
        assert_eq!(base, REFUSED_URL);
        assert_signed(&fields);
        assert_eq!(value(&fields, "vads_result"), "05");
        assert_eq!(value(&fields, "vads_trans_status"), "REFUSED");
        assert_eq!(page.transactions().await, 1);
        let ipns = page.notifications().await;
        assert_eq!(ipns.len(), 1);
        assert_eq!(value(&ipns[0].body, "vads_result"), "05");
    }

    async fn cancel_abandons_the_session(page) {
        let path = page.open("100003", &[]).await;
        let (status, result) = page.post(&path, &[("action", "cancel")]).await;
        assert_eq!(status, 200, "{result}");
        let (base, fields) = return_link(&result);
        assert_eq!(base, CANCEL);
        assert_signed(&fields);
        assert_eq!(value(&fields, "vads_result"), "17");
        assert_eq!(value(&fields, "vads_trans_status"), "ABANDONED");
        // Cancelled: it pays no more.
        let (status, _) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 409);
        assert_eq!(page.transactions().await, 0);
        assert!(page.notifications().await.is_empty());
    }

    async fn an_expired_session_is_abandoned(page) {
        let path = page.open("100004", &[]).await;
        page.server.clock.advance(Duration::minutes(11));
        let (status, shown) = page.get(&path).await;
        assert_eq!(status, 200);
        assert!(shown.contains("data-result=\"17\""), "{shown}");
        let (_, fields) = return_link(&shown);
        assert_eq!(value(&fields, "vads_payment_error"), "149");
        let (status, _) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 409);
        assert_eq!(page.transactions().await, 0);
    }

    async fn a_bad_card_number_shows_the_page_again(page) {
        let path = page.open("100005", &[]).await;
        let (status, again) = page.pay(&path, "4111111111111112").await;
        assert_eq!(status, 422);
        assert!(again.contains("id=\"error\""), "{again}");
        assert!(again.contains("<label for=\"card_number\">"));
        let (status, expired) = page
            .post(&path, &[("card_number", ACCEPTED), ("expiry_month", "01"), ("expiry_year", "2020"), ("action", "pay")])
            .await;
        assert_eq!(status, 422, "{expired}");
        assert_eq!(page.transactions().await, 0);
        assert!(page.notifications().await.is_empty());
        // Still open: a good card pays.
        let (status, result) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 200);
        assert!(result.contains("data-result=\"00\""));
    }

    async fn return_mode_post_is_an_auto_submitting_form(page) {
        let path = page.open("100006", &[("vads_return_mode", "POST")]).await;
        let (status, result) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 200, "{result}");
        assert!(!result.contains("id=\"return\""), "no link: {result}");
        let form = &result[result.find("<form method=\"post\"").expect("a return form")..];
        assert!(form.contains("action=\"https:&#x2f;&#x2f;shop.example&#x2f;success?from=caisse\""), "{form}");
        assert!(form.contains("<button type=\"submit\">"), "a visible button");
        let mut fields = Vec::new();
        for input in form.split("<input type=\"hidden\" ").skip(1) {
            let name = &input[6..6 + input[6..].find('"').unwrap()];
            let start = input.find("value=\"").unwrap() + 7;
            let value = &input[start..start + input[start..].find('"').unwrap()];
            fields.push((unescape(name), unescape(value)));
        }
        assert_signed(&fields);
        assert_eq!(value(&fields, "vads_result"), "00");
    }

    async fn return_mode_none_links_without_fields(page) {
        let path = page.open("100007", &[("vads_return_mode", "NONE")]).await;
        let (_, result) = page.pay(&path, ACCEPTED).await;
        let (base, fields) = return_link(&result);
        assert_eq!(base, "https://shop.example/success");
        assert_eq!(fields, [("from".to_owned(), "caisse".to_owned())]);
    }

    async fn an_unknown_session_is_not_found(page) {
        let (status, _) = page.get("/vads-payment/session/unknown").await;
        assert_eq!(status, 404);
        let (status, _) = page.pay("/vads-payment/session/unknown", ACCEPTED).await;
        assert_eq!(status, 404);
    }
}
