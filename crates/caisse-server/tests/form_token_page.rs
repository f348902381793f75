//! A REST V4 `formToken` on the hosted page: `Charge/CreatePayment` without card data gives the
//! token, `/vads-payment/embedded/<formToken>` opens the same page as a Form API post, and the
//! result goes back as `kr-answer` + `kr-hash` — hashed with the HMAC-SHA-256 key for the
//! browser, with the password for the IPN. Hashes are checked here with hmac directly.

mod common;

use common::page::{follow, return_form, return_link};
use common::*;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const HMAC_KEY: &str = "38453613e7f44dc58732bad3dca2bca3";
/// Not enrolled in 3-D Secure: paid at once.
const NOT_ENROLLED: &str = "4970100000000001";
/// Enrolled (frictionless), refused by the acquirer.
const REFUSED: &str = "4970100000000002";

fn kr_hash(answer: &str, key: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(answer.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("{name} in {pairs:?}"))
}

/// A client that does not follow redirects, so that the 303s are seen.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn form_token(server: &TestServer, order_id: &str) -> String {
    let body = json!({
        "amount": 990,
        "currency": "EUR",
        "orderId": order_id,
        "ipnTargetUrl": "https://shop.example/ipn",
        "customer": {"email": "buyer@example.com", "billingDetails": {"language": "fr"}},
    });
    let form = server.rest_ok("Charge/CreatePayment", body).await;
    form["formToken"].as_str().expect("formToken").to_owned()
}

/// Opens the token's page; answers the session path.
async fn open(server: &TestServer, client: &reqwest::Client, token: &str, query: &str) -> String {
    let url = format!("{}/vads-payment/embedded/{token}?{query}", server.base_url);
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn pay(server: &TestServer, client: &reqwest::Client, path: &str, pan: &str) -> (u16, String) {
    let card = [("card_number", pan), ("expiry_month", "12"), ("expiry_year", "2030"), ("action", "pay")];
    let response = client.post(format!("{}{path}", server.base_url)).form(&card).send().await.unwrap();
    let status = response.status().as_u16();
    follow(client, status, response.text().await.unwrap(), "authenticate").await
}

on_both_backends! {
    async fn a_form_token_pays_on_the_page_and_returns_kr_answer(server) {
        let client = browser();
        let token = form_token(&server, "FT-1").await;
        let query = "kr-post-url-success=https%3A%2F%2Fshop.example%2Fpaid&kr-get-url-refused=https%3A%2F%2Fshop.example%2Frefused";
        let path = open(&server, &client, &token, query).await;
        assert_eq!(open(&server, &client, &token, "").await, path, "one session per token");
        let page = client.get(format!("{}{path}", server.base_url)).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("<html lang=\"fr\">"), "the buyer's language: {page}");
        assert!(page.contains("<dd id=\"amount\">9.90 EUR</dd>"), "{page}");

        let (status, result) = pay(&server, &client, &path, NOT_ENROLLED).await;
        assert_eq!(status, 200, "{result}");
        assert!(result.contains("data-result=\"00\""), "{result}");
        let (action, fields) = return_form(&result).expect("a POST to kr-post-url-success");
        assert_eq!(action, "https://shop.example/paid");
        assert_eq!(value(&fields, "kr-hash-key"), "sha256_hmac");
        assert_eq!(value(&fields, "kr-hash-algorithm"), "sha256_hmac");
        assert_eq!(value(&fields, "kr-answer-type"), "V4/Payment");
        let answer = value(&fields, "kr-answer");
        assert_eq!(value(&fields, "kr-hash"), kr_hash(answer, HMAC_KEY));
        let answer: Value = serde_json::from_str(answer).unwrap();
        assert_eq!(answer["orderStatus"], "PAID", "{answer}");
        assert_eq!(answer["orderDetails"]["orderId"], "FT-1");
        assert_eq!(answer["orderDetails"]["orderTotalAmount"], 990);
        assert!(!fields.iter().any(|(name, _)| name.starts_with("vads_")), "no Form API fields");

        // The IPN went to ipnTargetUrl, hashed with the password.
        let ipns = server.state.payments.store().notifications(Some(&caisse_core::ShopId(LYRA_SHOP.into())), 10).await.unwrap();
        assert_eq!(ipns.len(), 1, "{ipns:?}");
        assert_eq!(ipns[0].url, "https://shop.example/ipn");
        assert_eq!(value(&ipns[0].body, "kr-hash-key"), "password");
        assert_eq!(value(&ipns[0].body, "kr-hash"), kr_hash(value(&ipns[0].body, "kr-answer"), LYRA_PASSWORD));

        // The REST API sees the payment under its order.
        let order = server.rest_ok("Order/Get", json!({"orderId": "FT-1"})).await;
        assert_eq!(order["transactions"].as_array().map(Vec::len), Some(1), "{order}");
    }

    async fn a_refused_form_token_payment_returns_by_get(server) {
        let client = browser();
        let token = form_token(&server, "FT-2").await;
        let path = open(&server, &client, &token, "kr-get-url-refused=https%3A%2F%2Fshop.example%2Frefused%3Fo%3D2").await;
        let (status, result) = pay(&server, &client, &path, REFUSED).await;
        assert_eq!(status, 200, "{result}");
        let (base, fields) = return_link(&result);
        assert_eq!(base, "https://shop.example/refused");
        assert_eq!(value(&fields, "o"), "2");
        let answer = value(&fields, "kr-answer");
        assert_eq!(value(&fields, "kr-hash"), kr_hash(answer, HMAC_KEY));
        let answer: Value = serde_json::from_str(answer).unwrap();
        assert_eq!(answer["orderStatus"], "UNPAID", "{answer}");
    }

    async fn bad_tokens_and_return_urls_are_refused(server) {
        let client = browser();
        let response = client.get(format!("{}/vads-payment/embedded/nope", server.base_url)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 404);
        let token = form_token(&server, "FT-3").await;
        let url = format!("{}/vads-payment/embedded/{token}?kr-post-url-success=javascript:alert(1)", server.base_url);
        assert_eq!(client.get(url).send().await.unwrap().status().as_u16(), 400);
        // A token for registering a card opens no payment page.
        let register = server.rest_ok("Charge/CreateToken", json!({"customer": {"email": "a@b.example"}})).await;
        let url = format!("{}/vads-payment/embedded/{}", server.base_url, register["formToken"].as_str().unwrap());
        assert_eq!(client.get(url).send().await.unwrap().status().as_u16(), 404);
        // Expired.
        server.clock.advance(chrono::Duration::minutes(16));
        let url = format!("{}/vads-payment/embedded/{token}", server.base_url);
        assert_eq!(client.get(url).send().await.unwrap().status().as_u16(), 404);
    }
}
