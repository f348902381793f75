//! A full 3-D Secure payment in headless Chromium: a merchant (an axum app of this test, on
//! its own port) calls cardCheckEnrollment, its page auto-posts the PaReq to caisse's ACS,
//! the browser clicks a button there, the ACS's page posts the PaRes back to the merchant's
//! TermUrl, and the merchant calls cardValidateAuthenticationAndOrder and shows the result.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them): without them the
//! test fails, it does not skip.

mod common;

use axum::extract::{Form, Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use common::browser::{browser, start_driver};
use common::*;
use fantoccini::{Client, Locator};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Sips simulation card: enrolled, challenged by the ACS, accepted by the acquirer.
const CARD: &str = "4100000000000000";

/// The merchant's side: where caisse is, and each payment's redirectionData and
/// messageVersion, found again by the MD the ACS posts back.
#[derive(Clone)]
struct Merchant {
    caisse: String,
    client: reqwest::Client,
    sessions: Arc<Mutex<HashMap<String, (String, String)>>>,
    base: String,
}

impl Merchant {
    /// A sealed Office Serveur call, its answer's seal checked.
    async fn call(&self, path: &str, fields: Value) -> Map<String, Value> {
        let mut request = fields.as_object().cloned().expect("object");
        request.insert("merchantId".into(), json!(MERCHANT));
        request.insert("keyVersion".into(), json!("1"));
        request.insert("interfaceVersion".into(), json!("IR_WS_2.53"));
        let seal = seal(&Value::Object(request.clone()), MERCHANT_KEY);
        request.insert("seal".into(), json!(seal));
        let answer: Map<String, Value> = self
            .client
            .post(format!("{}/rs-services/v2/{path}", self.caisse))
            .json(&request)
            .send()
            .await
            .expect("caisse answers")
            .json()
            .await
            .expect("JSON answer");
        verify_answer_seal(&answer, MERCHANT_KEY);
        answer
    }
}

#[derive(serde::Deserialize)]
struct PayQuery {
    reference: String,
}

/// The checkout page: enrols the card and sends the browser to the ACS (the Sips guide's
/// auto-post form).
async fn pay(State(merchant): State<Merchant>, Query(query): Query<PayQuery>) -> Html<String> {
    let answer = merchant
        .call(
            "checkout/cardCheckEnrollment",
            json!({
                "amount": "2500", "currencyCode": "978", "cardNumber": CARD, "cardExpiryDate": "203012",
                "cardCSCValue": "123", "orderChannel": "INTERNET", "transactionReference": query.reference,
            }),
        )
        .await;
    assert_eq!(text(&answer, "redirectionStatusCode"), "00", "{answer:?}");
    merchant.sessions.lock().unwrap().insert(
        query.reference.clone(),
        (text(&answer, "redirectionData").to_owned(), text(&answer, "messageVersion").to_owned()),
    );
    Html(format!(
        r#"<html><head><title>Redirecting</title></head><body onload="document.downloadForm.submit()">
<form name="downloadForm" action="{url}" method="POST">
<noscript><input type="submit" value="Submit"></noscript>
<input type="hidden" name="PaReq" value="{pa_req}">
<input type="hidden" name="TermUrl" value="{term}/term">
<input type="hidden" name="MD" value="{md}">
</form></body></html>"#,
        url = text(&answer, "redirectionUrl"),
        pa_req = text(&answer, "paReqMessage"),
        term = merchant.base,
        md = query.reference,
    ))
}

#[derive(serde::Deserialize)]
struct TermPost {
    #[serde(rename = "PaRes")]
    pa_res: String,
    #[serde(rename = "MD")]
    md: String,
}

/// TermUrl: the ACS's POST; the merchant finishes the payment and shows the result.
async fn term(State(merchant): State<Merchant>, Form(posted): Form<TermPost>) -> Html<String> {
    let (redirection_data, message_version) =
        merchant.sessions.lock().unwrap().get(&posted.md).cloned().expect("a session of this merchant");
    let answer = merchant
        .call(
            "checkout/cardValidateAuthenticationAndOrder",
            json!({
                "messageVersion": message_version, "redirectionData": redirection_data,
                "paResMessage": posted.pa_res, "transactionReference": posted.md,
            }),
        )
        .await;
    Html(format!(
        r#"<html><head><title>Result</title></head><body><p id="responseCode">{}</p><p id="holderAuthentStatus">{}</p></body></html>"#,
        text(&answer, "responseCode"),
        text(&answer, "holderAuthentStatus"),
    ))
}

async fn start_merchant(caisse: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let merchant = Merchant {
        caisse: caisse.to_owned(),
        client: reqwest::Client::new(),
        sessions: Arc::default(),
        base: base.clone(),
    };
    let app = axum::Router::new().route("/pay", get(pay)).route("/term", post(term)).with_state(merchant);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

async fn text_of(client: &Client, id: &str) -> String {
    let element = client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id(id)).await.expect(id);
    element.text().await.expect("element text")
}

/// Where the run leaves its screenshot of the ACS page; `CAISSE_UPDATE_SCREENSHOTS=1` also
/// copies it to docs/screenshots/.
fn screenshot(bytes: &[u8]) {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("acs.png");
    std::fs::write(&target, bytes).expect("screenshot written");
    if std::env::var("CAISSE_UPDATE_SCREENSHOTS").as_deref() == Ok("1") {
        let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&docs).expect("docs/screenshots");
        std::fs::write(docs.join("acs.png"), bytes).expect("docs screenshot written");
    }
}

/// Pays `reference` in the browser, clicking `button` on the ACS page: (responseCode,
/// holderAuthentStatus) as the merchant's result page shows them.
async fn pay_in_browser(client: &Client, merchant: &str, reference: &str, button: &str) -> (String, String) {
    client.goto(&format!("{merchant}/pay?reference={reference}")).await.expect("merchant page");
    let choice =
        client.wait().at_most(Duration::from_secs(20)).for_element(Locator::Id(button)).await.expect("ACS page");
    assert_eq!(text_of(client, "masked-pan").await, "4100##########00");
    assert_eq!(text_of(client, "amount").await, "25.00 EUR");
    if button == "authenticate" {
        screenshot(&client.screenshot().await.expect("screenshot"));
    }
    choice.click().await.expect("click");
    (text_of(client, "responseCode").await, text_of(client, "holderAuthentStatus").await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_d_secure_in_headless_chromium() {
    let server = TestServer::start(Backend::Sqlite).await;
    let merchant = start_merchant(&server.base_url).await;
    let driver = start_driver();
    let client = browser(&driver, (800, 700), &[]).await;

    let accepted = pay_in_browser(&client, &merchant, "BROWSER1", "authenticate").await;
    let refused = pay_in_browser(&client, &merchant, "BROWSER2", "fail").await;
    client.close().await.expect("close the browser");

    assert_eq!(accepted, ("00".to_owned(), "SUCCESS".to_owned()));
    assert_eq!(refused, ("05".to_owned(), "FAILURE".to_owned()));
    let data = server.transaction_data("BROWSER1").await;
    assert_eq!(text(&data, "transactionStatus"), "TO_CAPTURE", "{data:?}");
    assert_eq!(text(&server.transaction_data("BROWSER2").await, "transactionStatus"), "REFUSED");
    server.stop().await;
}
