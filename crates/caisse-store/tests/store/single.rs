//! Cases that concern one backend, or none.

use crate::harness::{Backend, Db, at, new_transaction, shop};
use caisse_core::TransactionStatus;
use caisse_core::ports::StoreError;
use caisse_core::transaction::TransactionKey;
use caisse_store::VaultKey;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Instant;
use tokio::task::JoinSet;

#[test]
fn vault_key_file_is_private_and_reused() {
    let directory = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/x.db", directory.path().display());
    let path = VaultKey::file_for(&url).unwrap().unwrap();
    assert_eq!(path, directory.path().join("data/x.db.vault-key"));
    let created = VaultKey::load_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(VaultKey::parse(&text).unwrap(), created);
    let reused = VaultKey::load_or_create(&path).unwrap();
    assert_eq!(reused, created);
    assert_ne!(created, VaultKey::generate());
    // A damaged key file is an error, not a new key.
    std::fs::write(&path, "not a key").unwrap();
    assert!(VaultKey::load_or_create(&path).is_err());
}

#[tokio::test]
async fn sqlite_memory_url_works() {
    let store = caisse_store::open("sqlite::memory:", VaultKey::generate()).await.unwrap();
    let (transaction, operation, card) =
        new_transaction("011223344550000", "MEM", TransactionStatus::Captured, 100, at());
    let stored = store.insert_transaction(transaction, operation, card).await.unwrap();
    let key = TransactionKey::Reference("MEM".into());
    let read = store.transaction(&shop("011223344550000"), &key).await.unwrap();
    assert_eq!(read, Some(stored));
}

#[tokio::test]
async fn sqlite_file_is_in_wal_mode() {
    let db = Db::new(Backend::Sqlite);
    let store = db.open().await;
    store.ping().await.unwrap();
    let connection = rusqlite::Connection::open(db.sqlite_path().unwrap()).unwrap();
    let mode: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    let db = Db::new(Backend::Sqlite);
    drop(db.open().await);
    let connection = rusqlite::Connection::open(db.sqlite_path().unwrap()).unwrap();
    connection.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", []).unwrap();
    let reopened = db.open_with_key(db.key.clone()).await;
    assert!(matches!(reopened, Err(StoreError::Corrupt(_))));
}

#[tokio::test]
async fn postgres_schema_from_the_url() {
    let db = Db::new(Backend::Postgres);
    let schema = db.schema().unwrap().to_owned();
    let url = format!("{}?options=-csearch_path%3D{schema}", db.url());
    let store = caisse_store::open(&url, VaultKey::generate()).await.unwrap();
    assert_eq!(store.list_shops().await.unwrap().len(), 9, "6 Sips, 2 REST V4, the Form API example shop");
    let (transaction, operation, card) =
        new_transaction("011223344550000", "URL", TransactionStatus::Captured, 100, at());
    store.insert_transaction(transaction, operation, card).await.unwrap();
    // The tables are in that schema, not in public.
    let tables = db
        .raw_column(&format!(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = '{schema}' ORDER BY table_name"
        ))
        .await;
    let tables: Vec<String> = tables.into_iter().map(|name| String::from_utf8(name).unwrap()).collect();
    assert_eq!(
        tables,
        [
            "card_payment_tokens",
            "cards",
            "form_settings",
            "form_trans_ids",
            "lyra_credentials",
            "notification_rules",
            "notifications",
            "operations",
            "payment_forms",
            "payment_sessions",
            "schema_migrations",
            "shops",
            "sips_keys",
            "subscriptions",
            "three_ds_authentications",
            "tokens",
            "transactions",
            "wallet_payment_means",
            "wallets"
        ]
    );
}

#[tokio::test]
async fn an_unreachable_postgres_is_unavailable() {
    let url = "postgres://postgres@127.0.0.1:1/test";
    let opened = caisse_store::open(url, VaultKey::generate()).await;
    assert!(matches!(opened, Err(StoreError::Unavailable(_))));
    let opened = caisse_store::open("mysql://x", VaultKey::generate()).await;
    assert!(matches!(opened, Err(StoreError::Unavailable(_))));
}

/// `cargo test -p caisse-store --release -- --ignored --nocapture inserts_per_second`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a test"]
async fn inserts_per_second() {
    const COUNT: usize = 20_000;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = Db::new(backend);
        let store = db.open().await;
        let started = Instant::now();
        let mut tasks = JoinSet::new();
        for index in 0..COUNT {
            let store = Arc::clone(&store);
            tasks.spawn(async move {
                let (transaction, operation, card) = new_transaction(
                    "011223344550000",
                    &format!("BENCH-{index}"),
                    TransactionStatus::ToCapture,
                    100,
                    at(),
                );
                store.insert_transaction(transaction, operation, card).await
            });
        }
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap().unwrap();
        }
        let elapsed = started.elapsed();
        println!("{backend:?}: {COUNT} durable inserts in {elapsed:?}: {:.0}/s", COUNT as f64 / elapsed.as_secs_f64());
    }
}
