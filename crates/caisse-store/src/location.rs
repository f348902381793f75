//! Database URLs: which backend, which file.

use caisse_core::ports::StoreError;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// `sqlite://relative.db`, `sqlite:///absolute.db`, `sqlite:relative.db`.
    Sqlite(PathBuf),
    /// `sqlite::memory:`: a database that disappears with the store.
    SqliteMemory,
    /// `postgres://…` or `postgresql://…`, parsed by tokio-postgres.
    Postgres,
}

impl Location {
    pub(crate) fn parse(database_url: &str) -> Result<Location, StoreError> {
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            return Ok(Location::Postgres);
        }
        let Some(rest) = database_url.strip_prefix("sqlite:") else {
            return Err(StoreError::Unavailable("database URL must start with sqlite: or postgres://".into()));
        };
        if rest == ":memory:" || rest == "//:memory:" {
            return Ok(Location::SqliteMemory);
        }
        let path = rest.strip_prefix("//").unwrap_or(rest);
        // SQLx-style URLs may carry `?mode=rwc`: caisse always creates the file.
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(StoreError::Unavailable("sqlite URL names no file (sqlite://caisse.db)".into()));
        }
        Ok(Location::Sqlite(PathBuf::from(path)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(Location::parse("sqlite://caisse.db").unwrap(), Location::Sqlite("caisse.db".into()));
        assert_eq!(
            Location::parse("sqlite:///var/lib/caisse/x.db").unwrap(),
            Location::Sqlite("/var/lib/caisse/x.db".into())
        );
        assert_eq!(Location::parse("sqlite:data/x.db?mode=rwc").unwrap(), Location::Sqlite("data/x.db".into()));
        assert_eq!(Location::parse("sqlite::memory:").unwrap(), Location::SqliteMemory);
        assert_eq!(Location::parse("postgres://postgres@127.0.0.1:5432/test").unwrap(), Location::Postgres);
        assert!(Location::parse("mysql://x").is_err());
        assert!(Location::parse("sqlite://").is_err());
    }
}
