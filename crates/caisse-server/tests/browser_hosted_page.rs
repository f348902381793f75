//! The Form API hosted payment page in headless Chromium, as a buyer meets it: a shop's site
//! (an axum app of this test, on its own port) shows a signed form whose button posts to
//! caisse's `/vads-payment/`; the browser fills the card page, goes through caisse's ACS, and
//! comes back to the shop's return URL (a link for `vads_return_mode=GET`, an auto-posted form
//! for POST). The shop's site keeps the returns and the IPNs posted to its `vads_url_check`;
//! the test checks their signatures with the shop's key itself (tests/common/form.rs) and that
//! each IPN received is the one caisse stored.
//!
//! `CAISSE_SCREENSHOTS=1` writes the page's screenshots to docs/screenshots/hosted-page-*.png.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them): without them the
//! test fails, it does not skip.

mod common;

use axum::extract::{Path, Query, RawQuery, State};
use axum::response::Html;
use axum::routing::{get, post};
use caisse_core::ShopId;
use caisse_core::clock::Clock;
use caisse_core::notification::{NotificationRule, NotificationRules};
use common::browser::{browser, start_driver};
use common::form::{Algo, assert_signed, base_form, signed, trans_date};
use common::{Backend, TestServer};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SHOP: &str = "12345678";
const KEY: &str = "1122334455667788";
/// Enrolled, frictionless: through the ACS without a question, then accepted.
const FRICTIONLESS: &str = "4970100000000000";
/// Enrolled, frictionless, declined by the acquirer.
const DECLINED: &str = "4970100000000002";
/// Enrolled, challenged: the ACS page asks the holder.
const CHALLENGED: &str = "4970100000000009";
/// How long a page or an IPN may take to come.
const WAIT: Duration = Duration::from_secs(20);
/// The screenshots' window, fixed so that docs/ does not change with the machine.
const WINDOW: (u32, u32) = (900, 1100);

type Pairs = Vec<(String, String)>;

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("{name} in {pairs:?}"))
}

fn parse(encoded: &str) -> Pairs {
    form_urlencoded::parse(encoded.as_bytes()).map(|(n, v)| (n.into_owned(), v.into_owned())).collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A buyer's way back to the shop: which return URL, how, and its fields.
#[derive(Clone, Debug)]
struct Return {
    outcome: String,
    method: &'static str,
    pairs: Pairs,
}

/// What the shop's site received.
#[derive(Default)]
struct Received {
    ipns: Vec<String>,
    returns: Vec<Return>,
}

/// The shop's site: where caisse is, its own base URL, and what it received.
#[derive(Clone)]
struct Shop {
    caisse: String,
    base: String,
    trans_date: String,
    received: Arc<Mutex<Received>>,
}

#[derive(serde::Deserialize)]
struct Order {
    trans_id: String,
    return_mode: String,
    language: Option<String>,
    /// `vads_payment_cards`, e.g. `AURORE-MULTI` for Cpay.
    cards: Option<String>,
    /// Minor units; 1524 unless given.
    amount: Option<u64>,
    /// Changes the amount after signing: the form caisse must refuse.
    #[serde(default)]
    tamper: bool,
}

/// The checkout page: the signed form, posted by the buyer's click.
async fn checkout(State(shop): State<Shop>, Query(order): Query<Order>) -> Html<String> {
    let amount = order.amount.unwrap_or(1524).to_string();
    let extra = [
        ("vads_amount", amount.as_str()),
        ("vads_order_id", "order-42"),
        ("vads_return_mode", order.return_mode.as_str()),
    ];
    let mut pairs = base_form(SHOP, &order.trans_id, &shop.trans_date, &extra);
    for (name, outcome) in
        [("vads_url_success", "success"), ("vads_url_refused", "refused"), ("vads_url_cancel", "cancel")]
    {
        pairs.push((name.into(), format!("{}/return/{outcome}", shop.base)));
    }
    pairs.push(("vads_url_check".into(), format!("{}/ipn", shop.base)));
    if let Some(language) = order.language {
        pairs.push(("vads_language".into(), language));
    }
    if let Some(cards) = order.cards {
        pairs.push(("vads_payment_cards".into(), cards));
    }
    let mut pairs = signed(pairs, KEY, Algo::Hmac);
    if order.tamper {
        pairs.iter_mut().filter(|(n, _)| n == "vads_amount").for_each(|(_, v)| *v = "1".into());
    }
    let inputs: String = pairs
        .iter()
        .map(|(n, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">\n", escape(n), escape(v)))
        .collect();
    Html(format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Shop checkout</title></head>
<body><h1>Your basket</h1>
<form method="post" action="{caisse}/vads-payment/">
{inputs}<button type="submit" id="checkout">Pay by card</button>
</form></body></html>"#,
        caisse = shop.caisse,
    ))
}

impl Shop {
    fn returned(&self, outcome: String, method: &'static str, pairs: Pairs) -> Html<String> {
        self.received.lock().unwrap().returns.push(Return { outcome, method, pairs });
        Html(r#"<!DOCTYPE html><html><head><title>Shop</title></head><body><h1 id="returned">Back at the shop</h1></body></html>"#.into())
    }
}

async fn return_get(State(shop): State<Shop>, Path(outcome): Path<String>, RawQuery(query): RawQuery) -> Html<String> {
    shop.returned(outcome, "GET", parse(&query.unwrap_or_default()))
}

async fn return_post(State(shop): State<Shop>, Path(outcome): Path<String>, body: String) -> Html<String> {
    shop.returned(outcome, "POST", parse(&body))
}

async fn ipn(State(shop): State<Shop>, body: String) -> &'static str {
    shop.received.lock().unwrap().ipns.push(body);
    "OK"
}

async fn start_shop(caisse: &str, trans_date: String) -> Shop {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let shop = Shop {
        caisse: caisse.to_owned(),
        base: format!("http://{}", listener.local_addr().expect("address")),
        trans_date,
        received: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/checkout", get(checkout))
        .route("/return/{outcome}", get(return_get).post(return_post))
        .route("/ipn", post(ipn))
        .with_state(shop.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    shop
}

/// A PNG of the page; with `CAISSE_SCREENSHOTS=1`, also docs/screenshots/hosted-page-`name`.png.
async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    if std::env::var("CAISSE_SCREENSHOTS").as_deref() == Ok("1") {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&docs).expect("docs/screenshots");
        std::fs::write(docs.join(format!("hosted-page-{name}.png")), png).expect("screenshot written");
    }
}

/// One browser, one caisse, one shop's site, for every case in turn.
struct Buyer {
    server: TestServer,
    shop: Shop,
    client: Client,
}

impl Buyer {
    async fn find(&self, css: &str) -> Element {
        match self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => {
                let url = self.client.current_url().await.map(|url| url.to_string()).unwrap_or_default();
                let page = self.client.source().await.unwrap_or_default();
                panic!("{css} on {url}: {error}\n{page}")
            }
        }
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// Clicks what leaves the page (every click here posts a form or follows a link), and waits
    /// until the page is gone: a find after it must not see the old page's elements.
    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        element.click().await.expect("click");
        let deadline = Instant::now() + WAIT;
        while element.tag_name().await.is_ok() {
            assert!(Instant::now() < deadline, "{css} did not leave its page");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The shop's checkout page, and its button to caisse.
    async fn checkout(&self, trans_id: &str, return_mode: &str, extra: &str) {
        let url = format!("{}/checkout?trans_id={trans_id}&return_mode={return_mode}{extra}", self.shop.base);
        self.client.goto(&url).await.expect("the shop's checkout page");
        self.click("#checkout").await;
    }

    /// Fills the card page (the buyer types, the page is not posted yet).
    async fn fill_card(&self, pan: &str) {
        for (id, typed) in [("card_number", pan), ("expiry_month", "12"), ("expiry_year", "2030"), ("cvv", "123")] {
            self.find(&format!("#{id}")).await.send_keys(typed).await.expect("typing");
        }
    }

    async fn pay(&self) {
        self.click("button[name=action][value=pay]").await;
    }

    /// The result page's `vads_result`.
    async fn outcome(&self) -> String {
        self.find("#outcome").await.attr("data-result").await.expect("attribute").expect("data-result")
    }

    /// Follows the result page's return link (GET) and answers what the shop received.
    async fn follow_return_link(&self, trans_id: &str) -> Return {
        self.click("a#return").await;
        self.returned(trans_id).await
    }

    /// The return the shop's site received for `trans_id`, once its page shows; its signature
    /// checked.
    async fn returned(&self, trans_id: &str) -> Return {
        self.find("#returned").await;
        let received = self.shop.received.lock().unwrap();
        let found =
            received.returns.iter().find(|r| r.pairs.iter().any(|(n, v)| n == "vads_trans_id" && v == trans_id));
        let back = found.cloned().unwrap_or_else(|| panic!("no return for {trans_id}: {:?}", received.returns));
        assert_signed(&back.pairs, KEY);
        back
    }

    /// The IPN the shop received for `trans_id`, checked against the one caisse stored.
    async fn ipn(&self, trans_id: &str, rule: NotificationRule) -> Pairs {
        let deadline = Instant::now() + WAIT;
        let received = loop {
            let found = self
                .shop
                .received
                .lock()
                .unwrap()
                .ipns
                .iter()
                .map(|body| parse(body))
                .find(|pairs| pairs.iter().any(|(n, v)| n == "vads_trans_id" && v == trans_id));
            if let Some(pairs) = found {
                break pairs;
            }
            assert!(Instant::now() < deadline, "no IPN for {trans_id}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_signed(&received, KEY);
        let stored = self.server.state.payments.store().notifications(Some(&ShopId(SHOP.into())), 50).await.unwrap();
        let stored: Vec<_> = stored.iter().filter(|n| value(&n.body, "vads_trans_id") == trans_id).collect();
        assert_eq!(stored.len(), 1, "one IPN for {trans_id}: {stored:?}");
        assert_eq!(stored[0].rule, rule);
        assert_eq!(stored[0].url, format!("{}/ipn", self.shop.base));
        assert_eq!(received, stored[0].body, "the IPN received is the one caisse signed and stored");
        received
    }
}

/// (1) A frictionless card: accepted, back by the GET link, the IPN with it.
async fn pays_with_a_frictionless_card(buyer: &Buyer) {
    buyer.checkout("200001", "GET", "").await;
    assert_eq!(buyer.text("#amount").await, "15.24 EUR");
    assert_eq!(buyer.text("label[for=card_number]").await, "Card number");
    buyer.fill_card(FRICTIONLESS).await;
    screenshot(&buyer.client, "card-en").await;
    buyer.pay().await;
    assert_eq!(buyer.outcome().await, "00");
    assert_eq!(buyer.text("#outcome").await, "Payment accepted");
    let shown = buyer.client.source().await.expect("source");
    assert!(!shown.contains(FRICTIONLESS), "the card number never comes back");
    screenshot(&buyer.client, "result").await;

    let back = buyer.follow_return_link("200001").await;
    assert_eq!((back.outcome.as_str(), back.method), ("success", "GET"));
    assert_eq!(value(&back.pairs, "vads_result"), "00");
    assert_eq!(value(&back.pairs, "vads_trans_status"), "AUTHORISED");
    assert_eq!(value(&back.pairs, "vads_threeds_status"), "Y");
    assert_eq!(value(&back.pairs, "vads_amount"), "1524");

    let ipn = buyer.ipn("200001", NotificationRule::EndOfPayment).await;
    assert_eq!(value(&ipn, "vads_url_check_src"), "PAY");
    assert_eq!(value(&ipn, "vads_trans_status"), "AUTHORISED");
    assert_eq!(value(&ipn, "vads_threeds_status"), "Y");
    assert_eq!(value(&ipn, "vads_trans_uuid"), value(&back.pairs, "vads_trans_uuid"));
}

/// (2) A declined card, back by the auto-posted form (`vads_return_mode=POST`).
async fn a_declined_card_is_refused(buyer: &Buyer) {
    buyer.checkout("200002", "POST", "").await;
    buyer.fill_card(DECLINED).await;
    buyer.pay().await;
    let back = buyer.returned("200002").await;
    assert_eq!((back.outcome.as_str(), back.method), ("refused", "POST"));
    assert_eq!(value(&back.pairs, "vads_result"), "05");
    assert_eq!(value(&back.pairs, "vads_trans_status"), "REFUSED");
    let ipn = buyer.ipn("200002", NotificationRule::EndOfPayment).await;
    assert_eq!(value(&ipn, "vads_trans_status"), "REFUSED");
    assert_eq!(value(&ipn, "vads_trans_uuid"), value(&back.pairs, "vads_trans_uuid"));
}

/// (3) The buyer cancels: abandoned, back on the cancel URL; the shop's rule asks for the IPN.
async fn the_buyer_abandons(buyer: &Buyer) {
    let store = buyer.server.state.payments.store();
    let rules = store.notification_rules(&ShopId(SHOP.into())).await.unwrap().expect("the shop's rules");
    store.set_notification_rules(&NotificationRules { cancel_or_abandon: true, ..rules }).await.unwrap();
    buyer.checkout("200003", "GET", "").await;
    buyer.click("button[name=action][value=cancel]").await;
    assert_eq!(buyer.outcome().await, "17");
    assert_eq!(buyer.text("#outcome").await, "Payment cancelled");
    let back = buyer.follow_return_link("200003").await;
    assert_eq!((back.outcome.as_str(), back.method), ("cancel", "GET"));
    assert_eq!(value(&back.pairs, "vads_trans_status"), "ABANDONED");
    let ipn = buyer.ipn("200003", NotificationRule::CancelOrAbandon).await;
    assert_eq!(value(&ipn, "vads_trans_status"), "ABANDONED");
}

/// (4) and (5): a challenged card, the holder authenticates or fails on the ACS page.
async fn pays_after_a_challenge(buyer: &Buyer, trans_id: &str, button: &str) -> (Return, Pairs) {
    buyer.checkout(trans_id, "GET", "").await;
    buyer.fill_card(CHALLENGED).await;
    buyer.pay().await;
    buyer.find(&format!("#{button}")).await;
    assert_eq!(buyer.text("#amount").await, "15.24 EUR");
    assert!(!buyer.text("#masked-pan").await.contains(CHALLENGED), "the ACS shows the card masked");
    if button == "authenticate" {
        screenshot(&buyer.client, "acs-challenge").await;
    }
    buyer.click(&format!("#{button}")).await;
    buyer.outcome().await;
    let back = buyer.follow_return_link(trans_id).await;
    let ipn = buyer.ipn(trans_id, NotificationRule::EndOfPayment).await;
    assert_eq!(value(&ipn, "vads_trans_status"), value(&back.pairs, "vads_trans_status"));
    assert_eq!(value(&ipn, "vads_threeds_status"), value(&back.pairs, "vads_threeds_status"));
    (back, ipn)
}

async fn a_challenge_passed_pays(buyer: &Buyer) {
    let (back, _) = pays_after_a_challenge(buyer, "200004", "authenticate").await;
    assert_eq!(back.outcome, "success");
    assert_eq!(value(&back.pairs, "vads_result"), "00");
    assert_eq!(value(&back.pairs, "vads_trans_status"), "AUTHORISED");
    assert_eq!(value(&back.pairs, "vads_threeds_auth_type"), "CHALLENGE");
    assert_eq!(value(&back.pairs, "vads_threeds_status"), "Y");
}

async fn a_challenge_failed_is_refused(buyer: &Buyer) {
    let (back, _) = pays_after_a_challenge(buyer, "200005", "fail").await;
    assert_eq!(back.outcome, "refused");
    assert_eq!(value(&back.pairs, "vads_trans_status"), "REFUSED");
    assert_eq!(value(&back.pairs, "vads_threeds_status"), "N");
}

/// (6) `vads_language=fr`: the page speaks French, to the end.
async fn the_page_speaks_french(buyer: &Buyer) {
    buyer.checkout("200006", "GET", "&language=fr").await;
    let lang = buyer.find("html").await.attr("lang").await.expect("attribute");
    assert_eq!(lang.as_deref(), Some("fr"));
    assert_eq!(buyer.text("h1").await, "Page de paiement");
    assert_eq!(buyer.text("label[for=card_number]").await, "Numéro de carte");
    assert_eq!(buyer.text("button[name=action][value=pay]").await, "Payer");
    assert_eq!(buyer.text("button[name=action][value=cancel]").await, "Annuler et retourner à la boutique");
    buyer.fill_card(FRICTIONLESS).await;
    screenshot(&buyer.client, "card-fr").await;
    buyer.pay().await;
    assert_eq!(buyer.outcome().await, "00");
    assert_eq!(buyer.text("#outcome").await, "Paiement accepté");
    assert_eq!(buyer.text("a#return").await, "Retourner à la boutique");
    let back = buyer.follow_return_link("200006").await;
    assert_eq!(value(&back.pairs, "vads_language"), "fr");
}

/// A form changed after signing: caisse's error page (TEST mode: the code and the field), no
/// session, no IPN.
async fn a_bad_form_shows_the_error_page(buyer: &Buyer) {
    buyer.checkout("200007", "GET", "&language=en&tamper=true").await;
    assert_eq!(buyer.text("h1").await, "The payment cannot take place");
    assert_eq!(buyer.text(".error").await, "Error 00: signature");
    let url = buyer.client.current_url().await.expect("url");
    assert_eq!(url.path(), "/vads-payment/", "no session page");
    screenshot(&buyer.client, "error").await;
    let stored = buyer.server.state.payments.store().notifications(Some(&ShopId(SHOP.into())), 50).await.unwrap();
    assert!(stored.iter().all(|n| value(&n.body, "vads_trans_id") != "200007"));
}

/// Cpay (`vads_payment_cards=AURORE-MULTI`): the buyer picks 10 instalments, must accept the
/// credit's conditions, then pays by card; captured at once, the option in the result.
async fn pays_with_cpay_in_instalments(buyer: &Buyer) {
    buyer.checkout("200008", "GET", "&cards=AURORE-MULTI&amount=120000").await;
    assert_eq!(buyer.text("h1").await, "Pay with your Cpay card");
    assert_eq!(buyer.text("#amount").await, "1200.00 EUR");
    buyer.find("#conditions-10X").await;
    screenshot(&buyer.client, "cpay-options").await;
    buyer.find("#cpay-10X").await.click().await.expect("choose 10X");
    buyer.click("#cpay-continue").await;
    assert_eq!(buyer.text("#error").await, "Accept the financial conditions to pay on credit.");
    let chosen = buyer.find("#cpay-10X").await.prop("checked").await.expect("property");
    assert_eq!(chosen.as_deref(), Some("true"), "the choice is kept");
    buyer.find("#cpay_accepted").await.click().await.expect("accept the conditions");
    buyer.click("#cpay-continue").await;
    assert!(buyer.text("#cpay-chosen").await.starts_with("In 10 monthly instalments"));
    buyer.fill_card(FRICTIONLESS).await;
    buyer.pay().await;
    assert_eq!(buyer.outcome().await, "00");
    let back = buyer.follow_return_link("200008").await;
    assert_eq!(back.outcome, "success");
    assert_eq!(value(&back.pairs, "vads_amount"), "120000");
    assert_eq!(value(&back.pairs, "vads_trans_status"), "CAPTURED");
    assert_eq!(value(&back.pairs, "vads_card_brand"), "AURORE-MULTI");
    assert_eq!(value(&back.pairs, "vads_payment_option_code"), "10X");
    let ipn = buyer.ipn("200008", NotificationRule::EndOfPayment).await;
    assert_eq!(value(&ipn, "vads_payment_option_code"), "10X");
    assert_eq!(value(&ipn, "vads_trans_uuid"), value(&back.pairs, "vads_trans_uuid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hosted_page_in_headless_chromium() {
    let server = TestServer::start(Backend::Sqlite).await;
    let trans_date = trans_date(server.clock.now());
    let shop = start_shop(&server.base_url, trans_date).await;
    let driver = start_driver();
    let client = browser(&driver, WINDOW, &["--hide-scrollbars", "--lang=en-US"]).await;
    let buyer = Buyer { server, shop, client };

    pays_with_a_frictionless_card(&buyer).await;
    a_declined_card_is_refused(&buyer).await;
    the_buyer_abandons(&buyer).await;
    a_challenge_passed_pays(&buyer).await;
    a_challenge_failed_is_refused(&buyer).await;
    the_page_speaks_french(&buyer).await;
    a_bad_form_shows_the_error_page(&buyer).await;
    pays_with_cpay_in_instalments(&buyer).await;

    let Buyer { server, client, .. } = buyer;
    client.close().await.expect("close the browser");
    server.stop().await;
}
