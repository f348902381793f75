//! caisse's durable storage behind [`caisse_core::ports::Store`], on SQLite (embedded, the
//! default) or PostgreSQL, with the card vault.
//!
//! # Layout
//! - `location`: which backend a database URL names, and where its vault key lives.
//! - `migrations`: the embedded schema migrations of both backends (`migrations/<backend>/`).
//! - `seed`: the Sips and Sogecommerce (Lyra) test shops every fresh database starts with.
//! - `rows`: database values ↔ core structs, shared by both backends.
//! - `vault`: the vault key and AES-256-GCM encryption of PANs.
//! - `sqlite`: one writer thread that group-commits every write, a pool of read connections.
//! - `postgres`: a connection pool; row locks make several caisse processes safe on one database.
//!
//! Both backends keep the same schema semantics and run the same test suite (`tests/`).

mod later_notice_rows;
mod location;
mod migrations;
mod notification_rows;
mod payment_session_rows;
mod payment_token_rows;
mod postgres;
mod rows;
mod seed;
mod sqlite;
mod three_ds_rows;
#[cfg(test)]
mod upgrade_tests;
mod vault;
mod wallet_rows;

use caisse_core::ports::{Store, StoreError};
use location::Location;
use std::sync::Arc;

pub use postgres::PostgresStore;
pub use seed::{LYRA_TEST_SHOPS, LyraSeedShop, SIPS_TEST_SHOPS, SeedShop};
pub use sqlite::SqliteStore;
pub use vault::VaultKey;

/// How many PostgreSQL connections one caisse process keeps at most.
pub const POSTGRES_CONNECTIONS_DEFAULT: usize = 16;
/// How many SQLite read connections serve reads at once (writes all go through one writer).
pub const SQLITE_READERS_DEFAULT: usize = 4;

/// What `open_with` may be told besides the URL.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// PostgreSQL schema to keep caisse's tables in, created if missing. Overrides a
    /// `search_path` given in the URL (`?options=-csearch_path%3Dmyschema`).
    pub schema: Option<String>,
    /// PostgreSQL pool size.
    pub postgres_connections: usize,
    /// SQLite read connections.
    pub sqlite_readers: usize,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            schema: None,
            postgres_connections: POSTGRES_CONNECTIONS_DEFAULT,
            sqlite_readers: SQLITE_READERS_DEFAULT,
        }
    }
}

/// Opens (creating and migrating it if needed) the database `database_url` names:
/// `sqlite://caisse.db`, `sqlite:///abs/path.db`, `sqlite::memory:` or
/// `postgres://user@host:port/db`.
pub async fn open(database_url: &str, vault_key: VaultKey) -> Result<Arc<dyn Store>, StoreError> {
    open_with(database_url, vault_key, &OpenOptions::default()).await
}

/// [`open`] with options: a PostgreSQL schema of its own (tests, several tenants on one
/// database), pool sizes.
pub async fn open_with(
    database_url: &str,
    vault_key: VaultKey,
    options: &OpenOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    match Location::parse(database_url)? {
        Location::Sqlite(path) => {
            let store = SqliteStore::open(&path, vault_key, options.sqlite_readers).await?;
            Ok(Arc::new(store))
        }
        Location::SqliteMemory => {
            let store = SqliteStore::open_temporary(vault_key, options.sqlite_readers).await?;
            Ok(Arc::new(store))
        }
        Location::Postgres => {
            let store = PostgresStore::open(database_url, vault_key, options).await?;
            Ok(Arc::new(store))
        }
    }
}
