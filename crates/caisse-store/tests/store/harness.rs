//! One fresh database per test: a SQLite file in a temporary directory, or a PostgreSQL
//! schema of its own (dropped at the end) so that tests run in parallel.

use caisse_core::card::{CardBrand, CardExpiry, CardSummary};
use caisse_core::operation::{Operation, OperationName};
use caisse_core::ports::{NewCard, Store, StoreError};
use caisse_core::subscription::{self, NewSubscription, Subscription};
use caisse_core::token::{PaymentToken, TokenMethod, TokenStatus};
use caisse_core::transaction::{self, AuthorisationDetails, OrderDetails};
use caisse_core::{
    Amount, CaptureMode, Currency, Mode, Pan, ShopId, Transaction, TransactionId, TransactionKind, TransactionStatus,
};
use caisse_store::{OpenOptions, VaultKey};
use chrono::{DateTime, TimeZone, Utc};
use std::path::PathBuf;
use std::sync::Arc;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn postgres_url() -> String {
    std::env::var("CAISSE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Db {
    pub backend: Backend,
    pub key: VaultKey,
    url: String,
    options: OpenOptions,
    directory: Option<tempfile::TempDir>,
    schema: Option<String>,
}

impl Db {
    pub fn new(backend: Backend) -> Db {
        match backend {
            Backend::Sqlite => {
                let directory = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}/caisse.db", directory.path().display());
                Db {
                    backend,
                    key: VaultKey::generate(),
                    url,
                    options: OpenOptions::default(),
                    directory: Some(directory),
                    schema: None,
                }
            }
            Backend::Postgres => {
                let schema = format!("caisse_test_{}", uuid::Uuid::new_v4().simple());
                Db {
                    backend,
                    key: VaultKey::generate(),
                    url: postgres_url(),
                    options: OpenOptions { schema: Some(schema.clone()), ..OpenOptions::default() },
                    directory: None,
                    schema: Some(schema),
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self.directory.as_ref().map(|directory| directory.path().join("caisse.db"))
    }

    /// A store on this database: each call is another pool (another process, as far as the
    /// database can tell).
    pub async fn open(&self) -> Arc<dyn Store> {
        self.open_with_key(self.key.clone()).await.expect("open the test database")
    }

    pub async fn open_with_key(&self, key: VaultKey) -> Result<Arc<dyn Store>, StoreError> {
        caisse_store::open_with(&self.url, key, &self.options).await
    }

    /// Runs SQL on the raw database and returns every value of the first column, as bytes.
    pub async fn raw_column(&self, sql: &str) -> Vec<Vec<u8>> {
        match self.backend {
            Backend::Sqlite => {
                let connection = rusqlite::Connection::open(self.sqlite_path().unwrap()).expect("raw sqlite");
                let mut statement = connection.prepare(sql).expect("raw sqlite query");
                let rows = statement
                    .query_map([], |row| {
                        let value = row.get_ref(0)?;
                        Ok(match value {
                            rusqlite::types::ValueRef::Blob(bytes) => bytes.to_vec(),
                            rusqlite::types::ValueRef::Text(bytes) => bytes.to_vec(),
                            other => format!("{other:?}").into_bytes(),
                        })
                    })
                    .expect("raw sqlite rows");
                rows.map(|row| row.expect("raw sqlite row")).collect()
            }
            Backend::Postgres => {
                let client = self.raw_postgres().await;
                let rows = client.query(sql, &[]).await.expect("raw postgres query");
                rows.iter()
                    .map(|row| {
                        row.try_get::<_, Vec<u8>>(0)
                            .or_else(|_| row.try_get::<_, String>(0).map(String::into_bytes))
                            .expect("bytea or text column")
                    })
                    .collect()
            }
        }
    }

    async fn raw_postgres(&self) -> tokio_postgres::Client {
        let (client, connection) =
            tokio_postgres::connect(&self.url, tokio_postgres::NoTls).await.expect("raw postgres connection");
        tokio::spawn(connection);
        let schema = self.schema.as_deref().unwrap();
        client.batch_execute(&format!("SET search_path TO {schema}")).await.expect("search_path");
        client
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let Some(schema) = self.schema.take() else {
            return;
        };
        let url = self.url.clone();
        // Drop may run inside the test's runtime (or while a test panics): use a runtime of
        // our own on another thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async move {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.ok()?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("SET lock_timeout = '5s'; DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop a test schema");
        }
    }
}

/// 2026-11-28T10:00:00.123456Z: microseconds, as both databases keep them.
pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap() + chrono::Duration::microseconds(123_456)
}

pub const PAN: &str = "4970101122334406";

pub fn shop(id: &str) -> ShopId {
    ShopId(id.to_owned())
}

/// A transaction as the core builds it, its AUTHOR operation and its card.
pub fn new_transaction(
    shop_id: &str,
    reference: &str,
    status: TransactionStatus,
    amount: u64,
    now: DateTime<Utc>,
) -> (Transaction, Operation, Option<NewCard>) {
    let pan = Pan::parse(PAN).unwrap();
    let summary = CardSummary {
        card_id: transaction::new_uuid(),
        masked_pan: pan.masked_sips(),
        bin: pan.bin().to_owned(),
        last_four: pan.last_four().to_owned(),
        expiry: CardExpiry::new(2030, 12).unwrap(),
        brand: CardBrand::Visa,
        co_brands: vec![CardBrand::Cb],
    };
    let kind = if status == TransactionStatus::ToCredit { TransactionKind::Credit } else { TransactionKind::Debit };
    let id = TransactionId::new();
    let mut operation = Operation::new(id.clone(), OperationName::Author, Amount(amount), now);
    operation.acquirer_response_code = Some("00".into());
    operation.authorisation_id = Some("123456".into());
    let mut order = OrderDetails {
        order_id: Some(format!("order-{reference}")),
        customer_ip_address: Some("127.0.0.1".into()),
        ..OrderDetails::default()
    };
    order.extra.insert("returnContext".into(), serde_json::json!("ctx é ✓"));
    let transaction = Transaction {
        id,
        shop_id: shop(shop_id),
        reference: reference.to_owned(),
        s10_transaction_id: 0,
        kind,
        status,
        currency: Currency::EUR,
        origin_amount: Amount(amount),
        amount: Amount(amount),
        refunded_amount: Amount::ZERO,
        capture_mode: CaptureMode::AuthorCapture,
        capture_day: 0,
        capture_date: now.date_naive(),
        created_at: now,
        last_operation: OperationName::Author,
        last_operation_at: now,
        card: Some(summary.clone()),
        authorisation: AuthorisationDetails {
            acquirer_response_code: "00".into(),
            authorisation_id: Some("123456".into()),
            guarantee_indicator: Some("Y".into()),
            holder_authent_status: None,
            card_csc_result_code: None,
            network_transaction_id: None,
        },
        order,
        source_id: None,
        mode: Mode::Test,
        parent_id: None,
        token_id: None,
        subscription_id: None,
        mandate: None,
        cpay_option: None,
    };
    (transaction, operation, Some(NewCard { pan, summary }))
}

/// A card token of `shop_id` and the zero-amount VERIFICATION that created it, with its card.
pub fn new_token(shop_id: &str, now: DateTime<Utc>) -> (PaymentToken, (Transaction, Operation), NewCard) {
    let token_id = transaction::new_uuid();
    let (mut verification, mut operation, card) =
        new_transaction(shop_id, &token_id, TransactionStatus::Captured, 0, now);
    let card = card.unwrap();
    verification.kind = TransactionKind::Verification;
    verification.capture_mode = CaptureMode::Immediate;
    verification.token_id = Some(token_id.clone());
    verification.mode = Mode::Production;
    verification.authorisation.network_transaction_id = Some(format!("NTI{}", &token_id[..12]));
    operation.amount = Amount::ZERO;
    let mut customer = serde_json::Map::new();
    customer.insert("email".into(), serde_json::json!("client@example.com"));
    customer.insert("reference".into(), serde_json::json!("CUST-1"));
    let token = PaymentToken {
        id: token_id,
        shop_id: shop(shop_id),
        mode: Mode::Production,
        status: TokenStatus::Active,
        method: TokenMethod::Card { card: card.summary.clone() },
        initial_issuer_transaction_identifier: verification.authorisation.network_transaction_id.clone(),
        customer,
        created_at: now,
        cancelled_at: None,
    };
    (token, (verification, operation), card)
}

/// A subscription of `shop_id` on `token_id`, daily from `effect_date` (whole seconds).
pub fn new_subscription(shop_id: &str, id: &str, token_id: &str, effect_date: DateTime<Utc>) -> Subscription {
    let mut metadata = serde_json::Map::new();
    metadata.insert("plan".into(), serde_json::json!("gold ✓"));
    subscription::create(
        NewSubscription {
            id: id.to_owned(),
            shop_id: shop(shop_id),
            mode: Mode::Test,
            token_id: token_id.to_owned(),
            amount: Amount(1500),
            currency: Currency::EUR,
            initial_amount: Some(Amount(500)),
            initial_amount_number: 1,
            effect_date,
            rrule: "RRULE:FREQ=DAILY;COUNT=5".into(),
            order_id: Some(format!("order-{id}")),
            description: Some("Abonnement".into()),
            metadata,
        },
        at(),
    )
    .expect("a valid rule")
}
