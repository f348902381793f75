//! The `caisse` binary as an operator runs it: admin subcommands, SIGTERM, and kill -9 in the
//! middle of a load.

use caisse_client::OfficeClient;
use serde_json::{Map, Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const VAULT_KEY: &str = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

fn caisse(database: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caisse"));
    command
        .env("CAISSE_DATABASE_URL", format!("sqlite://{}", database.display()))
        .env("CAISSE_VAULT_KEY", VAULT_KEY)
        .env("CAISSE_LOG", "warn");
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server {
    child: Child,
    base_url: String,
}

fn postgres_url(schema: &str) -> String {
    let base =
        std::env::var("CAISSE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-csearch_path%3D{schema}")
}

impl Server {
    async fn start(database: &Path) -> Server {
        Server::start_with(caisse(database)).await
    }

    /// A caisse process on a PostgreSQL schema of its own (created by caisse if missing).
    async fn start_postgres(schema: &str) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_caisse"));
        command
            .env("CAISSE_DATABASE_URL", postgres_url(schema))
            .env("CAISSE_VAULT_KEY", VAULT_KEY)
            .env("CAISSE_LOG", "warn");
        Server::start_with(command).await
    }

    async fn start_with(mut command: Command) -> Server {
        let port = free_port();
        let child = command
            .arg("serve")
            .env("CAISSE_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .spawn()
            .expect("caisse serve");
        let base_url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(format!("{base_url}/healthz")).await
                && response.status() == 200
            {
                break;
            }
            assert!(Instant::now() < deadline, "caisse did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server { child, base_url }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn order(reference: &str, amount: u64) -> Map<String, Value> {
    json!({
        "amount": amount.to_string(), "currencyCode": "978", "cardNumber": "4100000000000000",
        "cardExpiryDate": "203012", "cardCSCValue": "123", "captureMode": "AUTHOR_CAPTURE",
        "captureDay": "0", "orderChannel": "INTERNET", "transactionReference": reference,
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn client(base_url: &str) -> OfficeClient {
    OfficeClient::new(base_url, "011223344550000", 1, "secret123")
}

#[test]
fn shop_admin_commands() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("caisse.db");
    let run = |args: &[&str]| {
        let output = caisse(&database).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let created = run(&["shop", "create", "--id", "123456789012345", "--name", "Boutique", "--key", "k-one"]);
    assert!(created.contains("keyVersion 1"), "{created}");
    let listed = run(&["shop", "list"]);
    assert!(listed.contains("123456789012345"), "{listed}");
    assert!(listed.contains("011223344550000"), "the guide's test shops are preloaded: {listed}");
    let added = run(&["shop", "add-key", "123456789012345", "--key", "k-two"]);
    assert!(added.contains("keyVersion 2"), "{added}");
    let shown = run(&["shop", "show", "123456789012345"]);
    assert!(shown.contains("k-one") && shown.contains("k-two"), "{shown}");
    let batch = run(&["batch", "run"]);
    assert!(batch.contains("captured 0"), "{batch}");
    let duplicate = caisse(&database).args(["shop", "create", "--id", "123456789012345"]).output().unwrap();
    assert!(!duplicate.status.success());
    let rum = run(&["mandate", "create", "--shop", "69876357", "--iban", "FR14 2004 1010 0505 0001 3M02 606"]);
    assert!(rum.trim().len() == 32 && rum.trim().bytes().all(|b| b.is_ascii_hexdigit()), "{rum}");
    for bad in [
        ["--shop", "69876357", "--iban", "FR1420041010050500013M02607"],
        ["--shop", "12345678", "--iban", "FR1420041010050500013M02606"],
    ] {
        let refused = caisse(&database).args(["mandate", "create"]).args(bad).output().unwrap();
        assert!(!refused.status.success(), "{bad:?}");
    }
    let vault_key_file = dir.path().join("caisse.db.vault-key");
    assert!(!vault_key_file.exists(), "CAISSE_VAULT_KEY given: no key file expected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_requests_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("caisse.db");
    let mut server = Server::start(&database).await;
    let office = client(&server.base_url);
    let mut tasks = Vec::new();
    for index in 0..20 {
        let office = office.clone();
        tasks.push(tokio::spawn(async move {
            office.call("checkout", "cardOrder", order(&format!("T{index}"), 100)).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    server.signal("TERM");
    for task in tasks {
        // A request either completed with 00 or was never accepted; none is cut in half.
        if let Ok(answer) = task.await.unwrap() {
            assert_eq!(answer["responseCode"], "00");
        }
    }
    let status = tokio::task::spawn_blocking(move || {
        let status = server.child.wait().unwrap();
        (status, server)
    })
    .await
    .unwrap()
    .0;
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_payment() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("caisse.db");
    let server = Server::start(&database).await;
    let office = client(&server.base_url);
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..8 {
        let office = office.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for index in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let reference = format!("K{worker}x{index}");
                let amount = 100 + index;
                match office.call("checkout", "cardOrder", order(&reference, amount)).await {
                    Ok(answer) if answer["responseCode"] == "00" => acknowledged.push((reference, amount)),
                    Ok(answer) => panic!("unexpected answer {answer:?}"),
                    Err(_) => break,
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.signal("KILL");
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for worker in workers {
        acknowledged.extend(worker.await.unwrap());
    }
    drop(server);
    assert!(acknowledged.len() > 50, "too little load before the kill: {}", acknowledged.len());

    let restarted = Server::start(&database).await;
    let office = client(&restarted.base_url);
    for (reference, amount) in &acknowledged {
        let fields = json!({ "transactionReference": reference }).as_object().cloned().unwrap();
        let answer = office.call("diagnostic", "getTransactionData", fields).await.unwrap();
        assert_eq!(answer["responseCode"], "00", "{reference} lost after kill -9");
        assert_eq!(answer["currentAmount"], amount.to_string(), "{reference} changed");
        assert_eq!(answer["transactionStatus"], "TO_CAPTURE");
    }
}

/// Two caisse processes on one PostgreSQL database: 50 concurrent partial refunds of one
/// transaction, half through each, never exceed its amount.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_never_refund_twice() {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let schema = format!("p_{}_{nanos}", std::process::id());
    let first = Server::start_postgres(&schema).await;
    let second = Server::start_postgres(&schema).await;
    let clients = [client(&first.base_url), client(&second.base_url)];
    let mut fields = order("HOT", 1000);
    fields.insert("captureMode".into(), json!("IMMEDIATE"));
    let answer = clients[0].call("checkout", "cardOrder", fields).await.unwrap();
    assert_eq!(answer["responseCode"], "00");
    let mut tasks = Vec::new();
    for index in 0..50 {
        let office = clients[index % 2].clone();
        tasks.push(tokio::spawn(async move {
            let fields = json!({"transactionReference": "HOT", "operationAmount": "30", "currencyCode": "978"});
            office.call("cashManagement", "refund", fields.as_object().cloned().unwrap()).await.unwrap()
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        let answer = task.await.unwrap();
        match answer["responseCode"].as_str() {
            Some("00") => accepted += 30,
            Some("24") => {}
            other => panic!("unexpected {other:?}: {answer:?}"),
        }
    }
    assert_eq!(accepted, 990, "33 refunds of 30 fit in 1000, no more");
    let fields = json!({ "transactionReference": "HOT" }).as_object().cloned().unwrap();
    let data = clients[1].call("diagnostic", "getTransactionData", fields).await.unwrap();
    assert_eq!(data["transactionStatus"], "CAPTURED");
    assert_eq!(data["remainingAmount"], "10", "{data:?}");
    drop((first, second));
    drop_schema(&schema).await;
}

/// Leaves the shared test database as it was.
async fn drop_schema(schema: &str) {
    let base =
        std::env::var("CAISSE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls).await.expect("PostgreSQL");
    tokio::spawn(connection);
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.expect("drop schema");
}
