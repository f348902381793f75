//! Connection settings (schema, search_path) and migrations of the PostgreSQL backend.

use super::pg_error;
use crate::migrations::{self, Step};
use crate::seed::{LYRA_TEST_SHOPS, SIPS_TEST_SHOPS};
use caisse_core::ports::StoreError;
use sha2::{Digest, Sha256};
use tokio_postgres::{Config, NoTls};

/// The longest identifier PostgreSQL keeps.
const SCHEMA_NAME_MAX: usize = 63;

/// The schema named by the `search_path` of a URL's `options` (`-csearch_path=x`,
/// `-c search_path=x,public`, `--search_path=x`): its first entry.
pub(super) fn schema_of_options(options: &str) -> Option<String> {
    let mut words = options.split_whitespace();
    while let Some(word) = words.next() {
        let setting = if word == "-c" {
            words.next().unwrap_or_default()
        } else if let Some(setting) = word.strip_prefix("-c") {
            setting
        } else if let Some(setting) = word.strip_prefix("--") {
            setting
        } else {
            continue;
        };
        if let Some(path) = setting.strip_prefix("search_path=") {
            let first = path.split(',').next().unwrap_or_default().trim();
            let first = first.trim_matches('"');
            if !first.is_empty() {
                return Some(first.to_owned());
            }
        }
    }
    None
}

/// Schema names are interpolated into SQL and startup options: only plain lowercase
/// identifiers are allowed, so that quoting never matters.
pub(super) fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let valid = !schema.is_empty()
        && schema.len() <= SCHEMA_NAME_MAX
        && schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if valid {
        Ok(())
    } else {
        Err(StoreError::Unavailable(format!(
            "schema name {schema:?} must be a lowercase identifier ([a-z_][a-z0-9_]*)"
        )))
    }
}

/// Every pooled connection gets the schema as its `search_path` from the startup options.
pub(super) fn use_schema(config: &mut Config, schema: &str) {
    let existing = config.get_options().unwrap_or_default().to_owned();
    config.options(format!("{existing} -c search_path={schema}").trim().to_owned());
}

/// Creates the schema if needed and applies pending migrations in one transaction, under an
/// advisory lock so that two processes starting together do not both migrate.
pub(super) async fn migrate(config: &Config, schema: Option<&str>) -> Result<(), StoreError> {
    migrate_with(config, schema, migrations::POSTGRES).await
}

/// [`migrate`] up to the end of `all` (tests build older schemas with a prefix of the list).
pub(crate) async fn migrate_with(
    config: &Config,
    schema: Option<&str>,
    all: &[migrations::Migration],
) -> Result<(), StoreError> {
    let (mut client, connection) = config.connect(NoTls).await.map_err(pg_error)?;
    let driver = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "postgres migration connection closed with an error");
        }
    });
    let result = migrate_on(&mut client, schema, all).await;
    drop(client);
    let _ = driver.await;
    result
}

async fn migrate_on(
    client: &mut tokio_postgres::Client,
    schema: Option<&str>,
    all: &[migrations::Migration],
) -> Result<(), StoreError> {
    let transaction = client.transaction().await.map_err(pg_error)?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(schema)]).await.map_err(pg_error)?;
    if let Some(schema) = schema {
        transaction
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}; SET LOCAL search_path TO {schema}"))
            .await
            .map_err(pg_error)?;
    }
    transaction
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version     BIGINT PRIMARY KEY,
                name        TEXT NOT NULL,
                checksum    TEXT NOT NULL,
                applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(pg_error)?;
    let applied: Vec<(i64, String)> = transaction
        .query("SELECT version, checksum FROM schema_migrations ORDER BY version", &[])
        .await
        .map_err(pg_error)?
        .iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(pg_error)?;
    for migration in migrations::pending(all, &applied)? {
        match migration.step {
            Step::Sql(sql) => transaction.batch_execute(sql).await.map_err(pg_error)?,
            Step::SeedSipsTestShops => {
                for shop in SIPS_TEST_SHOPS {
                    let version =
                        i32::try_from(shop.key_version).map_err(|_| StoreError::Corrupt("seed key version".into()))?;
                    transaction
                        .execute("INSERT INTO shops (id, name) VALUES ($1, $2)", &[&shop.id, &shop.name])
                        .await
                        .map_err(pg_error)?;
                    transaction
                        .execute(
                            "INSERT INTO sips_keys (shop_id, key_version, secret) \
                             VALUES ($1, $2, $3)",
                            &[&shop.id, &version, &shop.secret],
                        )
                        .await
                        .map_err(pg_error)?;
                }
            }
            Step::SeedLyraTestShops => {
                for shop in LYRA_TEST_SHOPS {
                    transaction
                        .execute(
                            "INSERT INTO shops (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                            &[&shop.id, &shop.name],
                        )
                        .await
                        .map_err(pg_error)?;
                    transaction
                        .execute(
                            "INSERT INTO lyra_credentials (shop_id, test_password, production_password, \
                             test_hmac_key, production_hmac_key) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (shop_id) DO NOTHING",
                            &[
                                &shop.id,
                                &shop.test_password,
                                &shop.production_password,
                                &shop.test_hmac_key,
                                &shop.production_hmac_key,
                            ],
                        )
                        .await
                        .map_err(pg_error)?;
                }
            }
        }
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                &[&migration.version, &migration.name, &migration.checksum()],
            )
            .await
            .map_err(pg_error)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            schema = schema.unwrap_or("(search_path)"),
            "applied postgres migration"
        );
    }
    transaction.commit().await.map_err(pg_error)
}

/// One advisory lock per schema: tests migrate their own schemas in parallel.
fn lock_key(schema: Option<&str>) -> i64 {
    let digest = Sha256::digest(format!("caisse-migrations:{}", schema.unwrap_or("")));
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_schema_in_options() {
        assert_eq!(schema_of_options("-csearch_path=myschema").as_deref(), Some("myschema"));
        assert_eq!(schema_of_options("-c search_path=a,public").as_deref(), Some("a"));
        assert_eq!(schema_of_options("--search_path=b -c statement_timeout=5s").as_deref(), Some("b"));
        assert_eq!(schema_of_options("-c statement_timeout=5s"), None);
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(check_schema_name("caisse_test_0a1b").is_ok());
        for bad in ["", "Caisse", "a;drop", "1abc", "a b", &"a".repeat(64)] {
            assert!(check_schema_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn options_keep_what_the_url_said() {
        let mut config: Config = "postgres://u@h/db?options=-c%20statement_timeout%3D5s".parse().unwrap();
        use_schema(&mut config, "s1");
        assert_eq!(config.get_options(), Some("-c statement_timeout=5s -c search_path=s1"));
    }
}
