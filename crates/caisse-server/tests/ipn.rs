//! Instant payment notifications end to end: a notification put in the outbox (as the hosted
//! payment page does, through the store) is posted to a test shop server by the notifier that
//! runs with caisse, replayed after failures, survives a restart, is sent no more once
//! acknowledged, fails for good with its e-mail written, and can be resent.

mod common;

use caisse_core::clock::{Clock, TestClock};
use caisse_core::notification::{Notification, NotificationRule, NotificationRules, NotificationStatus};
use caisse_core::ports::Store;
use caisse_core::{Mode, ShopId};
use caisse_lyra::form::{SignatureAlgorithm, sign};
use caisse_server::serve::ServeError;
use caisse_server::{AppState, Settings};
use chrono::{TimeZone, Utc};
use common::{Backend, LYRA_SEED_SHOP, LYRA_SHOP, TEST_VAULT_KEY, TestDatabase, eml_files};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The shop's notification endpoint: answers the statuses it was given in turn, then 200, and
/// keeps what it received.
#[derive(Clone)]
struct ShopEndpoint {
    address: SocketAddr,
    received: Arc<Mutex<Vec<(String, String)>>>,
}

impl ShopEndpoint {
    async fn start(statuses: Vec<u16>, otherwise: u16) -> ShopEndpoint {
        let received = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(VecDeque::from(statuses)));
        let kept = Arc::clone(&received);
        let app = axum::Router::new().route(
            "/ipn",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let kept = Arc::clone(&kept);
                let answers = Arc::clone(&answers);
                async move {
                    let content_type =
                        headers.get("content-type").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
                    kept.lock().unwrap().push((content_type, body));
                    let status = answers.lock().unwrap().pop_front().unwrap_or(otherwise);
                    (axum::http::StatusCode::from_u16(status).unwrap(), "OK")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        ShopEndpoint { address, received }
    }

    fn url(&self) -> String {
        format!("http://{}/ipn", self.address)
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    fn received(&self) -> Vec<(String, String)> {
        self.received.lock().unwrap().clone()
    }
}

/// A caisse server whose stop is awaited: the next one starts once this one has stopped.
struct Running {
    state: AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Running {
    async fn start(database: &TestDatabase, clock: &TestClock, data_dir: &Path) -> Running {
        let settings = Settings {
            database_url: database.url.clone(),
            vault_key: Some(TEST_VAULT_KEY.into()),
            ipn_retry_delays: caisse_notify::parse_delays("1s,1s,1s,1s").unwrap(),
            data_dir: Some(data_dir.to_owned()),
            shutdown_grace: Duration::from_secs(5),
            ..Settings::default()
        };
        let state = caisse_server::build_state(&settings, Arc::new(clock.clone())).await.expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            caisse_server::serve(listener, &settings, served, shutdown).await
        });
        Running { state, stop, task }
    }

    fn store(&self) -> &Arc<dyn Store> {
        self.state.payments.store()
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("server task").expect("server stopped cleanly");
    }
}

fn start_clock() -> TestClock {
    TestClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap())
}

/// The end-of-payment IPN of a payment, signed as the Form API signs it.
fn notification(shop: &str, url: &str, trans_id: &str, clock: &TestClock) -> Notification {
    let mut body: Vec<(String, String)> = [
        ("vads_amount", "1524"),
        ("vads_auth_result", "00"),
        ("vads_ctx_mode", "TEST"),
        ("vads_currency", "978"),
        ("vads_order_info", "D. & Cie + é"),
        ("vads_result", "00"),
        ("vads_site_id", shop),
        ("vads_trans_id", trans_id),
        ("vads_trans_status", "AUTHORISED"),
        ("vads_url_check_src", "PAY"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect();
    let signature =
        sign(SignatureAlgorithm::HmacSha256, "1122334455667788", body.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    body.push(("signature".into(), signature));
    Notification::new(ShopId(shop.into()), Mode::Test, NotificationRule::EndOfPayment, url, body, clock.now())
        .with_transaction(caisse_core::TransactionId::new(), Some(trans_id.into()))
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the notification has `attempts` attempts recorded, and returns it.
async fn recorded(store: &Arc<dyn Store>, id: &str, attempts: u32) -> Notification {
    let mut found = None;
    eventually(&format!("attempt {attempts} of {id}"), async || {
        found = store.notification(id).await.unwrap().filter(|n| n.attempts >= attempts);
        found.is_some()
    })
    .await;
    let found = found.unwrap();
    assert_eq!(found.attempts, attempts, "one attempt at a time");
    found
}

async fn set_rules(store: &Arc<dyn Store>, shop: &str, url: &str, replay: bool, emails: &[&str]) {
    let rules = NotificationRules {
        test_url: Some(url.into()),
        replay,
        failure_emails: emails.iter().map(|email| (*email).to_owned()).collect(),
        ..NotificationRules::preloaded(ShopId(shop.into()))
    };
    store.set_notification_rules(&rules).await.unwrap();
}

async fn fails_three_times_then_succeeds_across_a_restart(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let data_dir = tempfile::tempdir().unwrap();
    let clock = start_clock();
    let shop = ShopEndpoint::start(vec![500, 500, 500], 200).await;
    let first = Running::start(&database, &clock, data_dir.path()).await;
    set_rules(first.store(), LYRA_SHOP, &shop.url(), true, &["ops@shop.example"]).await;
    let sent = notification(LYRA_SHOP, &shop.url(), "067925", &clock);
    first.store().insert_notification(&sent).await.unwrap();

    let after = recorded(first.store(), &sent.id, 1).await;
    assert_eq!((after.status, after.last_http_status), (NotificationStatus::Pending, Some(500)));
    assert_eq!(after.next_attempt_at, Some(clock.now() + chrono::Duration::seconds(1)));
    clock.advance(chrono::Duration::seconds(1));
    recorded(first.store(), &sent.id, 2).await;
    first.stop().await;
    assert_eq!(shop.count(), 2);

    // caisse is down when the next replay falls due; the new instance sends it.
    clock.advance(chrono::Duration::seconds(1));
    let second = Running::start(&database, &clock, data_dir.path()).await;
    recorded(second.store(), &sent.id, 3).await;
    clock.advance(chrono::Duration::seconds(1));
    let delivered = recorded(second.store(), &sent.id, 4).await;
    assert_eq!(delivered.status, NotificationStatus::Delivered);
    assert_eq!(delivered.last_http_status, Some(200));
    assert_eq!(delivered.replays, 3);
    assert_eq!(delivered.delivered_at, Some(clock.now()));

    // Acknowledged: never sent again, however long caisse runs.
    clock.advance(chrono::Duration::hours(3));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let received = shop.received();
    assert_eq!(received.len(), 4);
    let expected = caisse_notify::sender::encode(&sent.body);
    for (content_type, body) in &received {
        assert_eq!(content_type, "application/x-www-form-urlencoded; charset=UTF-8");
        assert_eq!(body, &expected, "the same signed fields every time");
    }
    assert!(expected.contains("vads_order_info=D.+%26+Cie+%2B+%C3%A9"), "{expected}");
    assert!(eml_files(&data_dir.path().join("mail")).is_empty(), "no failure e-mail for a delivered notification");
    second.stop().await;
}

async fn always_failing_ends_failed_with_its_email(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let data_dir = tempfile::tempdir().unwrap();
    let clock = start_clock();
    let shop = ShopEndpoint::start(vec![], 503).await;
    let running = Running::start(&database, &clock, data_dir.path()).await;
    let store = running.store().clone();
    set_rules(&store, LYRA_SHOP, &shop.url(), true, &["ops@shop.example", "dev@shop.example"]).await;
    let sent = notification(LYRA_SHOP, &shop.url(), "xrT15p", &clock);
    store.insert_notification(&sent).await.unwrap();
    // A preloaded shop whose URL was never set: failed at once, e-mailed to the operator.
    let nowhere = notification(LYRA_SEED_SHOP, "", "000001", &clock);
    store.insert_notification(&nowhere).await.unwrap();

    for attempt in 1..=4 {
        let pending = recorded(&store, &sent.id, attempt).await;
        assert_eq!(pending.status, NotificationStatus::Pending);
        clock.advance(chrono::Duration::seconds(1));
    }
    let failed = recorded(&store, &sent.id, 5).await;
    assert_eq!(failed.status, NotificationStatus::Failed);
    assert_eq!(failed.last_http_status, Some(503));
    assert_eq!(failed.next_attempt_at, None);
    let unset = recorded(&store, &nowhere.id, 1).await;
    assert_eq!(unset.status, NotificationStatus::Failed);
    assert_eq!(unset.last_error.as_deref(), Some("no URL"));

    let mut files = Vec::new();
    eventually("two failure e-mails", async || {
        files = eml_files(&data_dir.path().join("mail"));
        files.len() == 2
    })
    .await;
    let texts: Vec<String> = files.iter().map(|path| std::fs::read_to_string(path).unwrap()).collect();
    // Headers unfolded, line ends as written.
    let texts: Vec<String> = texts.iter().map(|text| text.replace("\r\n ", " ").replace("\r\n", "\n")).collect();
    let mail = texts.iter().find(|text| text.contains(&sent.id)).expect("the 503 notification's e-mail");
    assert!(mail.contains("To: ops@shop.example, dev@shop.example"), "{mail}");
    assert!(
        mail.contains(
            "Subject: [MODE TEST] Demo shop - Tr. ref. xrT15p / FAILURE during the call to your IPN URL \
             [unsuccessful attempt #last]"
        ),
        "{mail}"
    );
    let unfolded = mail;
    assert!(unfolded.contains("HTTP code received: 503"), "{unfolded}");
    assert!(unfolded.contains(&format!("caisse notification resend {}", sent.id)), "{unfolded}");
    assert!(unfolded.contains(&shop.url()), "{unfolded}");
    assert!(!unfolded.contains("vads_trans_id"), "the posted fields stay out of the e-mail");
    let unset_mail = texts.iter().find(|text| text.contains(&nowhere.id)).expect("the no-URL e-mail");
    assert!(unset_mail.contains("To: caisse@localhost"), "{unset_mail}");
    assert!(unset_mail.contains("--test-url"), "{unset_mail}");

    clock.advance(chrono::Duration::hours(3));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(shop.count(), 5, "four replays after the first attempt, then nothing");
    running.stop().await;
}

async fn resend_after_failure_delivers(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let data_dir = tempfile::tempdir().unwrap();
    let clock = start_clock();
    let shop = ShopEndpoint::start(vec![404], 200).await;
    let running = Running::start(&database, &clock, data_dir.path()).await;
    let store = running.store().clone();
    // Replay off: the first failure is final.
    set_rules(&store, LYRA_SHOP, &shop.url(), false, &["ops@shop.example"]).await;
    let sent = notification(LYRA_SHOP, &shop.url(), "123456", &clock);
    store.insert_notification(&sent).await.unwrap();
    let failed = recorded(&store, &sent.id, 1).await;
    assert_eq!((failed.status, failed.last_http_status), (NotificationStatus::Failed, Some(404)));

    // The merchant fixed the endpoint; the operator resends it.
    clock.advance(chrono::Duration::minutes(5));
    store.record_notification_attempt(&failed.resend(clock.now())).await.unwrap();
    let delivered = recorded(&store, &sent.id, 2).await;
    assert_eq!(delivered.status, NotificationStatus::Delivered);
    assert_eq!(shop.count(), 2);
    running.stop().await;
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(super::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(super::Backend::Postgres).await;
                }
            }
        )*
    };
}

on_both_backends!(
    fails_three_times_then_succeeds_across_a_restart,
    always_failing_ends_failed_with_its_email,
    resend_after_failure_delivers,
);
