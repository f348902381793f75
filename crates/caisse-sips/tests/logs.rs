//! What `Office` logs: one line per call naming the method, the merchant and the
//! responseCode; never a body, a seal, a key or a card number.

mod support;

use caisse_core::clock::TestClock;
use caisse_core::payments::Payments;
use caisse_sips::seal::{self, SealAlgorithm};
use caisse_sips::{Office, OfficeReply};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{MemoryStore, SimulatedAcquirer};

const MERCHANT: &str = "011223344550000";
const SECRET: &str = "secret123";
const PAN: &str = "4100000000000000";
const CSC: &str = "987";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sealed(mut request: serde_json::Map<String, Value>) -> Vec<u8> {
    let seal = seal::seal_request(&request, SECRET, SealAlgorithm::HmacSha256).unwrap();
    request.insert("seal".into(), Value::String(seal));
    serde_json::to_vec(&request).unwrap()
}

#[tokio::test]
async fn logs_name_the_call_but_never_its_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let store = Arc::new(MemoryStore::with_shops(&[(MERCHANT, SECRET)]));
    let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 14, 2, 17).unwrap());
    let office = Office::new(Payments::new(store, Arc::new(SimulatedAcquirer), Arc::new(clock)));
    let request = json!({
        "amount": "1000", "currencyCode": "978", "cardNumber": PAN, "cardExpiryDate": "203012",
        "cardCSCValue": CSC, "interfaceVersion": "IR_WS_2.53", "keyVersion": "1",
        "merchantId": MERCHANT, "transactionReference": "LOG1",
    });
    let request = request.as_object().unwrap().clone();
    let body = sealed(request.clone());
    let OfficeReply::Answer(answer) = office.json("checkout", "cardOrder", &body).await else {
        panic!("no answer");
    };
    let answer_seal = serde_json::from_str::<Value>(&answer).unwrap()["seal"].as_str().unwrap().to_owned();
    // A refused one and a malformed one too.
    let mut wrong_seal: Value = serde_json::from_slice(&body).unwrap();
    wrong_seal["seal"] = json!("0000");
    office.json("checkout", "cardOrder", &serde_json::to_vec(&wrong_seal).unwrap()).await;
    let mut malformed = request.clone();
    malformed.insert("cardExpiryDate".into(), json!("203013"));
    office.json("checkout", "cardOrder", &sealed(malformed)).await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("checkout/cardOrder"), "{logs}");
    assert!(logs.contains(MERCHANT), "{logs}");
    for code in ["response_code=\"00\"", "response_code=\"34\"", "response_code=\"30\""] {
        assert!(logs.contains(code), "{code} in {logs}");
    }
    let request_seal = serde_json::from_slice::<Value>(&body).unwrap()["seal"].as_str().unwrap().to_owned();
    for secret in [PAN, "000000000000", SECRET, &request_seal, &answer_seal, "LOG1"] {
        assert!(!logs.contains(secret), "{secret} leaked into {logs}");
    }
    assert!(!logs.contains(&format!("\"{CSC}\"")) && !logs.contains(&format!("={CSC}")));
}

#[test]
fn office_is_shareable_and_its_futures_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Office>();
    let store = Arc::new(MemoryStore::default());
    let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap());
    let office = Office::new(Payments::new(store, Arc::new(SimulatedAcquirer), Arc::new(clock)));
    let future = office.json("checkout", "cardOrder", b"{}");
    send(&future);
}
