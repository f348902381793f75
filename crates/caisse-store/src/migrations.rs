//! Schema migrations, embedded in the binary and applied on open, in order, each in its own
//! database transaction. An applied migration is never edited: its checksum is recorded in
//! `schema_migrations` and checked on every open, so an edit is caught instead of silently
//! leaving databases with different schemas. Change the schema with a new file.

use crate::seed;
use caisse_core::ports::StoreError;
use sha2::{Digest, Sha256};

pub(crate) enum Step {
    Sql(&'static str),
    /// Inserts `seed::SIPS_TEST_SHOPS`; each backend runs it with its own statements.
    SeedSipsTestShops,
    /// Inserts `seed::LYRA_TEST_SHOPS` and their credentials (a shop id already taken keeps
    /// its name and credentials).
    SeedLyraTestShops,
}

pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) name: &'static str,
    pub(crate) step: Step,
}

pub(crate) const SQLITE: &[Migration] = &[
    Migration { version: 1, name: "init", step: Step::Sql(include_str!("../migrations/sqlite/0001_init.sql")) },
    Migration { version: 2, name: "seed_sips_test_shops", step: Step::SeedSipsTestShops },
    Migration { version: 3, name: "lyra", step: Step::Sql(include_str!("../migrations/sqlite/0003_lyra.sql")) },
    Migration { version: 4, name: "seed_lyra_test_shops", step: Step::SeedLyraTestShops },
    Migration { version: 5, name: "wallets", step: Step::Sql(include_str!("../migrations/sqlite/0005_wallets.sql")) },
    Migration {
        version: 6,
        name: "payment_tokens",
        step: Step::Sql(include_str!("../migrations/sqlite/0006_payment_tokens.sql")),
    },
    Migration { version: 7, name: "three_ds", step: Step::Sql(include_str!("../migrations/sqlite/0007_three_ds.sql")) },
    Migration {
        version: 8,
        name: "notifications",
        step: Step::Sql(include_str!("../migrations/sqlite/0008_notifications.sql")),
    },
    Migration { version: 9, name: "form_api", step: Step::Sql(include_str!("../migrations/sqlite/0009_form_api.sql")) },
    Migration {
        version: 10,
        name: "payment_sessions",
        step: Step::Sql(include_str!("../migrations/sqlite/0010_payment_sessions.sql")),
    },
    Migration {
        version: 11,
        name: "payment_session_indexes",
        step: Step::Sql(include_str!("../migrations/sqlite/0011_payment_session_indexes.sql")),
    },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration { version: 1, name: "init", step: Step::Sql(include_str!("../migrations/postgres/0001_init.sql")) },
    Migration { version: 2, name: "seed_sips_test_shops", step: Step::SeedSipsTestShops },
    Migration { version: 3, name: "lyra", step: Step::Sql(include_str!("../migrations/postgres/0003_lyra.sql")) },
    Migration { version: 4, name: "seed_lyra_test_shops", step: Step::SeedLyraTestShops },
    Migration { version: 5, name: "wallets", step: Step::Sql(include_str!("../migrations/postgres/0005_wallets.sql")) },
    Migration {
        version: 6,
        name: "payment_tokens",
        step: Step::Sql(include_str!("../migrations/postgres/0006_payment_tokens.sql")),
    },
    Migration {
        version: 7,
        name: "three_ds",
        step: Step::Sql(include_str!("../migrations/postgres/0007_three_ds.sql")),
    },
    Migration {
        version: 8,
        name: "notifications",
        step: Step::Sql(include_str!("../migrations/postgres/0008_notifications.sql")),
    },
    Migration {
        version: 9,
        name: "form_api",
        step: Step::Sql(include_str!("../migrations/postgres/0009_form_api.sql")),
    },
    Migration {
        version: 10,
        name: "payment_sessions",
        step: Step::Sql(include_str!("../migrations/postgres/0010_payment_sessions.sql")),
    },
    Migration {
        version: 11,
        name: "payment_session_indexes",
        step: Step::Sql(include_str!("../migrations/postgres/0011_payment_session_indexes.sql")),
    },
];

impl Migration {
    pub(crate) fn checksum(&self) -> String {
        let text = match self.step {
            Step::Sql(sql) => sql.to_owned(),
            Step::SeedSipsTestShops => seed::fingerprint(),
            Step::SeedLyraTestShops => seed::lyra_fingerprint(),
        };
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

/// The migrations still to apply, once the applied ones (`(version, checksum)`, by version)
/// are checked to be this binary's first ones, unedited.
pub(crate) fn pending<'a>(all: &'a [Migration], applied: &[(i64, String)]) -> Result<&'a [Migration], StoreError> {
    for (index, (version, checksum)) in applied.iter().enumerate() {
        let Some(known) = all.get(index) else {
            return Err(StoreError::Unavailable(format!(
                "database schema version {version} is newer than this caisse knows ({})",
                all.len()
            )));
        };
        if known.version != *version {
            return Err(StoreError::Corrupt(format!(
                "schema_migrations has version {version} where {} was expected",
                known.version
            )));
        }
        if known.checksum() != *checksum {
            return Err(StoreError::Corrupt(format!(
                "migration {version} ({}) was edited after it was applied",
                known.name
            )));
        }
    }
    Ok(&all[applied.len().min(all.len())..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive() {
        for list in [SQLITE, POSTGRES] {
            for (index, migration) in list.iter().enumerate() {
                assert_eq!(migration.version, index as i64 + 1);
            }
        }
    }

    #[test]
    fn pending_checks_what_was_applied() {
        let first = (1, SQLITE[0].checksum());
        assert_eq!(pending(SQLITE, &[]).unwrap().len(), SQLITE.len());
        assert_eq!(pending(SQLITE, std::slice::from_ref(&first)).unwrap().len(), SQLITE.len() - 1);
        let edited = [(1, "0".repeat(64))];
        assert!(matches!(pending(SQLITE, &edited), Err(StoreError::Corrupt(_))));
        let newer: Vec<(i64, String)> =
            SQLITE.iter().map(|m| (m.version, m.checksum())).chain([(99, String::new())]).collect();
        assert!(matches!(pending(SQLITE, &newer), Err(StoreError::Unavailable(_))));
    }
}
