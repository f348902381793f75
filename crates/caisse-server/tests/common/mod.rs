//! Test harness: a real caisse server on 127.0.0.1:0 over a fresh database (a SQLite file in a
//! temp dir, or a fresh PostgreSQL schema), a clock the test moves, and a merchant-side client
//! that seals requests with its own, independent seal code.
#![allow(dead_code)]

pub mod browser;
pub mod form;
pub mod ipn;
pub mod page;

use caisse_core::clock::TestClock;
use caisse_server::{AppState, Settings};
use chrono::{TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::Arc;

pub const MERCHANT: &str = "011223344550000";
pub const MERCHANT_KEY: &str = "secret123";
pub const OTHER_MERCHANT: &str = "201040040170001";
/// Every instance of a test shares it, as two caisse processes on one database must.
pub const TEST_VAULT_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const OTHER_KEY: &str = "rxSP61eeP_oNi5TxCD7Ngy9YcwC8MLw6OlmFGGcsY54";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_base_url() -> String {
    std::env::var("CAISSE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh, empty database for one test.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pub sqlite_path: Option<std::path::PathBuf>,
    /// The PostgreSQL schema of this test, dropped with it.
    schema: Option<String>,
}

impl Drop for TestDatabase {
    /// Drops the test's schema so that runs do not pile schemas up in the shared database. On a
    /// thread of its own: `Drop` cannot await, and the test's runtime may be shutting down.
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let dropping = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                let Ok((client, connection)) =
                    tokio_postgres::connect(&postgres_base_url(), tokio_postgres::NoTls).await
                else {
                    return;
                };
                tokio::spawn(connection);
                let sql = format!("SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {schema} CASCADE");
                let _ = client.batch_execute(&sql).await;
            });
        });
        let _ = dropping.join();
    }
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("caisse.db");
                TestDatabase {
                    url: format!("sqlite://{}", path.display()),
                    _dir: Some(dir),
                    sqlite_path: Some(path),
                    schema: None,
                }
            }
            Backend::Postgres => {
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let (client, connection) = tokio_postgres::connect(&postgres_base_url(), tokio_postgres::NoTls)
                    .await
                    .expect("PostgreSQL at CAISSE_TEST_POSTGRES_URL");
                tokio::spawn(connection);
                client.batch_execute(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
                let separator = if postgres_base_url().contains('?') { '&' } else { '?' };
                let url = format!("{}{separator}options=-csearch_path%3D{schema}", postgres_base_url());
                TestDatabase { url, _dir: None, sqlite_path: None, schema: Some(schema) }
            }
        }
    }
}

pub struct TestServer {
    pub base_url: String,
    pub address: SocketAddr,
    pub clock: TestClock,
    pub state: AppState,
    pub client: reqwest::Client,
    pub database: Arc<TestDatabase>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        let database = Arc::new(TestDatabase::new(backend).await);
        let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap());
        TestServer::start_on(database, clock).await
    }

    /// Another server on the same database: a second caisse instance.
    pub async fn start_on(database: Arc<TestDatabase>, clock: TestClock) -> TestServer {
        TestServer::start_with(database, clock, |_| {}).await
    }

    /// A server whose settings `adjust` changes (e.g. `public_url`).
    pub async fn start_with(
        database: Arc<TestDatabase>,
        clock: TestClock,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let mut settings = Settings {
            database_url: database.url.clone(),
            vault_key: Some(TEST_VAULT_KEY.into()),
            ..Settings::default()
        };
        adjust(&mut settings);
        let state = caisse_server::build_state(&settings, Arc::new(clock.clone())).await.expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            let _ = caisse_server::serve(listener, &settings, served, shutdown).await;
        });
        TestServer {
            base_url: format!("http://{address}"),
            address,
            clock,
            state,
            client: reqwest::Client::new(),
            database,
            stop: Some(stop),
        }
    }

    /// Sends a sealed Office Serveur request for `MERCHANT` and checks the answer's seal.
    pub async fn call(&self, path: &str, fields: Value) -> Map<String, Value> {
        self.call_as(MERCHANT, MERCHANT_KEY, path, fields).await
    }

    pub async fn call_as(&self, merchant: &str, key: &str, path: &str, fields: Value) -> Map<String, Value> {
        let mut request = fields.as_object().cloned().expect("object");
        request.entry("merchantId").or_insert_with(|| json!(merchant));
        request.entry("keyVersion").or_insert_with(|| json!("1"));
        request.entry("interfaceVersion").or_insert_with(|| json!(interface_version(path)));
        let seal = seal(&Value::Object(request.clone()), key);
        request.insert("seal".into(), json!(seal));
        let answer = self.post_raw(path, &Value::Object(request)).await;
        assert_eq!(answer.0, 200, "HTTP status for {path}: {}", answer.1);
        let answer: Map<String, Value> = serde_json::from_str(&answer.1).expect("JSON answer");
        verify_answer_seal(&answer, key);
        answer
    }

    pub async fn post_raw(&self, path: &str, body: &Value) -> (u16, String) {
        let response = self
            .client
            .post(format!("{}/rs-services/v2/{path}", self.base_url))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn card_order(&self, reference: &str, amount: u64, card: &str, extra: Value) -> Map<String, Value> {
        let mut fields = json!({
            "amount": amount.to_string(),
            "currencyCode": "978",
            "cardNumber": card,
            "cardExpiryDate": "203012",
            "cardCSCValue": "123",
            "captureMode": "AUTHOR_CAPTURE",
            "captureDay": "0",
            "orderChannel": "INTERNET",
            "transactionReference": reference,
            "orderId": "ORD1",
        });
        for (name, value) in extra.as_object().cloned().unwrap_or_default() {
            fields[name] = value;
        }
        self.call("checkout/cardOrder", fields).await
    }

    pub async fn transaction_data(&self, reference: &str) -> Map<String, Value> {
        self.call("diagnostic/getTransactionData", json!({ "transactionReference": reference })).await
    }

    pub async fn operation(&self, method: &str, reference: &str, amount: u64) -> Map<String, Value> {
        self.call(
            &format!("cashManagement/{method}"),
            json!({ "transactionReference": reference, "operationAmount": amount.to_string(), "currencyCode": "978" }),
        )
        .await
    }

    pub fn advance_days(&self, days: i64) {
        self.clock.advance(chrono::Duration::days(days));
    }

    pub async fn run_batch(&self) -> caisse_core::ports::BatchReport {
        self.state.payments.run_capture_batch().await.expect("batch")
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

// --- Sogecommerce REST API V4 -------------------------------------------------------------

/// The preloaded demo shop of Lyra's SDK examples (PROTOCOLS.md §2).
pub const LYRA_SHOP: &str = "69876357";
pub const LYRA_PASSWORD: &str = "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M";
/// The seed's shop.
pub const LYRA_SEED_SHOP: &str = "61881992";
pub const LYRA_SEED_PASSWORD: &str = "testpassword_SOGECOMMERCE61881992";

/// `Basic base64(shopId:password)`, written independently of caisse-lyra.
pub fn basic(shop: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{shop}:{password}")))
}

impl TestServer {
    /// A REST V4 call as the demo shop; asserts HTTP 200 and returns the whole envelope.
    pub async fn rest(&self, service: &str, body: Value) -> Value {
        self.rest_as(LYRA_SHOP, LYRA_PASSWORD, service, body).await
    }

    pub async fn rest_as(&self, shop: &str, password: &str, service: &str, body: Value) -> Value {
        let (status, envelope) = self.rest_raw(service, Some(&basic(shop, password)), &body.to_string()).await;
        assert_eq!(status, 200, "HTTP status for {service}: {envelope}");
        envelope
    }

    /// Any Authorization header and body; returns the status and the parsed answer.
    pub async fn rest_raw(&self, service: &str, authorization: Option<&str>, body: &str) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}/api-payment/V4/{service}", self.base_url))
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.to_owned());
        if let Some(authorization) = authorization {
            request = request.header("Authorization", authorization);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let envelope: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON answer, got {text}"));
        (status, envelope)
    }

    /// The answer of a call that must succeed.
    pub async fn rest_ok(&self, service: &str, body: Value) -> Value {
        let envelope = self.rest(service, body).await;
        assert_eq!(envelope["status"], "SUCCESS", "{service}: {envelope}");
        envelope["answer"].clone()
    }

    /// The answer of a call that must fail, with its errorCode checked.
    pub async fn rest_error(&self, service: &str, body: Value, code: &str) -> Value {
        let envelope = self.rest(service, body).await;
        assert_eq!(envelope["status"], "ERROR", "{service}: {envelope}");
        assert_eq!(envelope["answer"]["errorCode"], code, "{service}: {envelope}");
        envelope["answer"].clone()
    }

    /// Charge/CreateToken with card data (PCI): the token and the chaining reference.
    pub async fn create_token(&self, pan: &str) -> (String, String) {
        let answer = self
            .rest_ok(
                "Charge/CreateToken",
                json!({
                    "orderId": "TOKEN-ORDER",
                    "customer": {"email": "buyer@example.com", "reference": "C-1"},
                    "paymentForms": [{"paymentMethodType": "CARD", "pan": pan, "expiryMonth": "12",
                                      "expiryYear": "30", "securityCode": "123"}],
                }),
            )
            .await;
        let transaction = &answer["transactions"][0];
        let token = transaction["paymentMethodToken"].as_str().expect("token").to_owned();
        let chaining = transaction["transactionDetails"]["cardDetails"]["initialIssuerTransactionIdentifier"]
            .as_str()
            .expect("chaining reference")
            .to_owned();
        (token, chaining)
    }

    /// A zero-click payment by token (SILENT); returns the V4/Payment answer.
    pub async fn pay_with_token(&self, token: &str, amount: u64, order_id: &str) -> Value {
        self.rest_ok(
            "Charge/CreatePayment",
            json!({"amount": amount, "currency": "EUR", "orderId": order_id, "formAction": "SILENT",
                   "paymentMethodToken": token}),
        )
        .await
    }
}

pub fn interface_version(path: &str) -> &'static str {
    match path.split('/').next().unwrap_or_default() {
        "checkout" => "IR_WS_2.53",
        "cashManagement" => "CR_WS_2.53",
        "diagnostic" => "DR_WS_2.53",
        "wallet" => "WR_WS_2.53",
        "token" => "TR_WS_2.53",
        _ => "XX_WS_2.53",
    }
}

/// The merchant's seal, written from PROTOCOLS.md independently of caisse-sips.
pub fn seal(message: &Value, key: &str) -> String {
    let mut data = String::new();
    fold(message, &mut data, true);
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("key");
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn fold(value: &Value, data: &mut String, top: bool) {
    match value {
        Value::Object(map) => {
            let mut names: Vec<&String> = map.keys().collect();
            names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            for name in names {
                if top && matches!(name.as_str(), "seal" | "keyVersion" | "sealAlgorithm") {
                    continue;
                }
                fold(&map[name], data, false);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| fold(item, data, false)),
        Value::String(text) => data.push_str(text),
        Value::Number(number) => data.push_str(&number.to_string()),
        Value::Bool(flag) => data.push_str(if *flag { "true" } else { "false" }),
        Value::Null => {}
    }
}

pub fn verify_answer_seal(answer: &Map<String, Value>, key: &str) {
    let Some(Value::String(received)) = answer.get("seal") else {
        return;
    };
    let mut unsealed = answer.clone();
    unsealed.remove("seal");
    let mut data = String::new();
    // Answers are sealed over every field but `seal`.
    let mut names: Vec<&String> = unsealed.keys().collect();
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for name in names {
        fold(&unsealed[name], &mut data, false);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("key");
    mac.update(data.as_bytes());
    assert_eq!(&hex::encode(mac.finalize().into_bytes()), received, "answer seal");
}

pub fn text<'a>(answer: &'a Map<String, Value>, field: &str) -> &'a str {
    answer.get(field).and_then(Value::as_str).unwrap_or("")
}

/// Declares `$name` once per backend: `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    // The fixture is a `TestServer` unless named: any type with `async fn start(Backend) -> Self`.
    (fixture = $fixture:ty; $(async fn $name:ident($server:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($server: $fixture) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    run(<$fixture>::start($crate::common::Backend::Sqlite).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    run(<$fixture>::start($crate::common::Backend::Postgres).await).await;
                }
            }
        )*
    };
    ($(async fn $name:ident($server:ident) $body:block)*) => {
        on_both_backends! { fixture = $crate::common::TestServer; $(async fn $name($server) $body)* }
    };
}

/// The `.eml` files caisse wrote in `dir` (a data folder's `mail/`), sorted by name.
pub fn eml_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<std::path::PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    files
}
