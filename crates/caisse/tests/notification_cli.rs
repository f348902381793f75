//! `caisse notification …` and `caisse shop notification-rules` as an operator runs them: a
//! failed notification is shown, resent from the command line, and delivered by the notifier
//! of a `caisse serve` process on the same database.

use caisse_core::notification::{AttemptOutcome, Notification, NotificationRule};
use caisse_core::{Mode, ShopId};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const VAULT_KEY: &str = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";
const SHOP: &str = "69876357";

fn caisse(database: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caisse"));
    command
        .env("CAISSE_DATABASE_URL", format!("sqlite://{}", database.display()))
        .env("CAISSE_VAULT_KEY", VAULT_KEY)
        .env("CAISSE_LOG", "warn");
    command
}

fn run(database: &Path, args: &[&str]) -> Output {
    caisse(database).args(args).output().expect("caisse runs")
}

fn stdout_of(database: &Path, args: &[&str]) -> String {
    let output = run(database, args);
    assert!(output.status.success(), "caisse {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The shop's endpoint: 200 to every POST, bodies kept.
async fn endpoint() -> (String, Arc<Mutex<Vec<String>>>) {
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
    let url = format!("http://{}/ipn", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_from_the_command_line() {
    let directory = tempfile::tempdir().unwrap();
    let database = directory.path().join("caisse.db");
    let (url, received) = endpoint().await;

    // A notification that failed for good, as the notifier leaves it.
    let failed = {
        let key = caisse_store::VaultKey::parse(VAULT_KEY).unwrap();
        let store = caisse_store::open(&format!("sqlite://{}", database.display()), key).await.unwrap();
        let now = chrono::Utc::now();
        let notification = Notification::new(
            ShopId(SHOP.into()),
            Mode::Test,
            NotificationRule::EndOfPayment,
            url.clone(),
            vec![("vads_trans_id".into(), "654321".into()), ("signature".into(), "c2lnbmF0dXJl".into())],
            now,
        );
        store.insert_notification(&notification).await.unwrap();
        let failed = notification.after_attempt(&AttemptOutcome::Http(500), now, &[], false);
        store.record_notification_attempt(&failed).await.unwrap();
        failed
    };

    let shown = stdout_of(&database, &["notification", "show", &failed.id]);
    assert!(shown.contains("status        FAILED"), "{shown}");
    assert!(shown.contains("lastOutcome   HTTP 500"), "{shown}");
    assert!(shown.contains("  vads_trans_id=654321"), "{shown}");

    let unknown = run(&database, &["notification", "resend", "0123456789abcdef0123456789abcdef"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no notification"));

    let resent = stdout_of(&database, &["notification", "resend", &failed.id]);
    assert!(resent.contains("queued"), "{resent}");
    let shown = stdout_of(&database, &["notification", "show", &failed.id]);
    assert!(shown.contains("status        PENDING"), "{shown}");

    // Rules: set from the command line, bad values refused.
    let rules = stdout_of(
        &database,
        &["shop", "notification-rules", SHOP, "--test-url", &url, "--replay", "off", "--emails", "ops@shop.example"],
    );
    assert!(rules.contains(&format!("testUrl         {url}")), "{rules}");
    assert!(rules.contains("replay          off"), "{rules}");
    assert!(rules.contains("endOfPayment    on"), "{rules}");
    assert!(!run(&database, &["shop", "notification-rules", SHOP, "--cancel", "yes"]).status.success());
    assert!(!run(&database, &["shop", "notification-rules", SHOP, "--test-url", "ftp://x"]).status.success());
    assert!(!run(&database, &["shop", "notification-rules", "99999999"]).status.success());

    // A running caisse sends it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = caisse(&database)
        .arg("serve")
        .env("CAISSE_LISTEN", format!("127.0.0.1:{port}"))
        .env("CAISSE_IPN_RETRY_DELAYS", "1s,1s,1s,1s")
        .env("CAISSE_DATA_DIR", directory.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("caisse serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the resent notification never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let listed = stdout_of(&database, &["notification", "list", "--shop", SHOP]);
        if listed.contains(&failed.id) && listed.contains("DELIVERED") {
            assert!(listed.contains("attempts 2"), "{listed}");
            break;
        }
        assert!(Instant::now() < deadline, "not recorded as delivered: {listed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(received.lock().unwrap().as_slice(), ["vads_trans_id=654321&signature=c2lnbmF0dXJl"]);
    let status = Command::new("kill").arg("-TERM").arg(server.id().to_string()).status().unwrap();
    assert!(status.success());
    let exit = server.wait().unwrap();
    assert!(exit.success(), "caisse stops cleanly on SIGTERM: {exit:?}");
    assert!(stdout_of(&database, &["notification", "list", "--shop", "61881992"]).is_empty());
}
