//! A database made by an older caisse opens with this one: the Lyra migration (3) backfills
//! `transactions.order_id` from the rows' JSON, and rows written without the new fields read
//! with their defaults. Each backend builds a version-2 database with the first migrations.

use crate::migrations::{self, Migration};
use crate::{OpenOptions, PostgresStore, SqliteStore, VaultKey};
use caisse_core::ports::Store;
use caisse_core::transaction::TransactionKey;
use caisse_core::{Mode, ShopId};

/// The migrations a version-2 caisse had: schema 1 and the Sips seed.
fn version_2(all: &'static [Migration]) -> &'static [Migration] {
    assert_eq!(all[1].name, "seed_sips_test_shops");
    &all[..2]
}

const SHOP: &str = "011223344550000";

/// Two version-2 rows: with an `orderId` in their JSON, and without.
fn old_rows_sql() -> String {
    let row = |row_id: u32, reference: &str, order: &str| {
        format!(
            "INSERT INTO transactions (row_id, id, shop_id, reference, s10_transaction_id, s10_date, \
             kind, status, currency, origin_amount, amount, refunded_amount, capture_mode, \
             capture_day, capture_date, created_at, last_operation, last_operation_at, details) \
             VALUES ({row_id}, '{row_id:032x}', '{SHOP}', '{reference}', {row_id}, '2026-11-28', 'DEBIT', \
             'CAPTURED', 'EUR', 100, 100, 0, 'AUTHOR_CAPTURE', 0, '2026-11-28', \
             '2026-11-28T10:00:0{row_id}.000000Z', 'AUTHOR', '2026-11-28T10:00:00.000000Z', \
             '{{\"card\":null,\"authorisation\":{{\"acquirer_response_code\":\"00\",\"authorisation_id\":\"1\"}},\
             \"order\":{order}}}');\n"
        )
    };
    [
        row(1, "OLD-1", r#"{"order_id":"ORDER-OLD","customer_id":"C1"}"#),
        row(2, "OLD-2", r#"{"customer_id":"C2"}"#),
        row(3, "OLD-3", r#"{"order_id":"ORDER-OLD"}"#),
    ]
    .concat()
}

async fn check_upgraded(store: &dyn Store) {
    let shop = ShopId(SHOP.into());
    let order = store.transactions_by_order(&shop, "ORDER-OLD").await.unwrap();
    let references: Vec<&str> = order.iter().map(|tx| tx.reference.as_str()).collect();
    assert_eq!(references, ["OLD-1", "OLD-3"]);
    let old = store.transaction(&shop, &TransactionKey::Reference("OLD-2".into())).await.unwrap().unwrap();
    assert_eq!(old.order.customer_id.as_deref(), Some("C2"));
    assert_eq!(old.mode, Mode::Test);
    assert_eq!((old.parent_id, old.token_id, old.subscription_id), (None, None, None));
    assert_eq!(old.authorisation.network_transaction_id, None);
    assert!(store.lyra_credentials(&ShopId("69876357".into())).await.unwrap().is_some());
    // 6 Sips, 2 REST V4, and the Form API example shop of migration 9 with its key.
    assert_eq!(store.list_shops().await.unwrap().len(), 9);
    assert!(store.form_settings(&ShopId("12345678".into())).await.unwrap().unwrap().test_key.is_some());
}

#[tokio::test]
async fn sqlite_version_2_database_upgrades() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("caisse.db");
    {
        let mut connection = rusqlite::Connection::open(&path).unwrap();
        crate::sqlite::migrate_with(&mut connection, version_2(migrations::SQLITE)).unwrap();
        connection.execute_batch(&old_rows_sql()).unwrap();
    }
    let store = SqliteStore::open(&path, VaultKey::generate(), 1).await.unwrap();
    check_upgraded(&store).await;
}

#[tokio::test]
async fn postgres_version_2_database_upgrades() {
    let url =
        std::env::var("CAISSE_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("caisse_upgrade_{}", uuid::Uuid::new_v4().simple());
    let config: tokio_postgres::Config = url.parse().unwrap();
    crate::postgres::migrate::migrate_with(&config, Some(&schema), version_2(migrations::POSTGRES)).await.unwrap();
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    let driver = tokio::spawn(connection);
    let sql = format!("SET search_path TO {schema};\n{}", old_rows_sql());
    client.batch_execute(&sql).await.unwrap();
    let options = OpenOptions { schema: Some(schema.clone()), ..OpenOptions::default() };
    // Checked in a task of its own, so that the schema is dropped even when a check fails.
    let checked = tokio::spawn(async move {
        let store = PostgresStore::open(&url, VaultKey::generate(), &options).await.unwrap();
        check_upgraded(&store).await;
    })
    .await;
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    drop(client);
    let _ = driver.await;
    checked.unwrap();
}
