//! Settings are environment variables named `CAISSE_*`; each has a default so that a bare
//! `caisse serve` starts a working platform.

use chrono::NaiveTime;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Clone)]
pub struct Settings {
    /// `CAISSE_LISTEN`: the address to listen on.
    pub listen: SocketAddr,
    /// `CAISSE_DATABASE_URL`: `sqlite://file.db` (default) or `postgres://…`.
    pub database_url: String,
    /// `CAISSE_BATCH_CUTOFF`: UTC time of day the capture batch runs (`HH:MM`).
    pub batch_cutoff: NaiveTime,
    /// `CAISSE_PUBLIC_URL`: base URL of the URLs caisse hands out; else the request's Host.
    pub public_url: Option<String>,
    /// `CAISSE_VAULT_KEY`: the card vault's AES-256 key (64 hex digits); else a key file
    /// beside the database, created on first start.
    pub vault_key: Option<String>,
    /// `CAISSE_SHUTDOWN_GRACE_SECONDS`: how long SIGTERM waits for in-flight requests.
    pub shutdown_grace: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("batch_cutoff", &self.batch_cutoff)
            .field("public_url", &self.public_url)
            .field("vault_key", &self.vault_key.as_ref().map(|_| "****"))
            .field("shutdown_grace", &self.shutdown_grace)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct SettingError {
    pub name: &'static str,
    pub reason: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://caisse.db".into(),
            batch_cutoff: NaiveTime::from_hms_opt(22, 0, 0).unwrap_or_default(),
            public_url: None,
            vault_key: None,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Settings, SettingError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingError> {
        let mut settings = Settings::default();
        if let Some(listen) = lookup("CAISSE_LISTEN") {
            settings.listen = listen
                .parse()
                .map_err(|_| SettingError { name: "CAISSE_LISTEN", reason: format!("not an address: {listen}") })?;
        }
        if let Some(url) = lookup("CAISSE_DATABASE_URL") {
            settings.database_url = url;
        }
        if let Some(cutoff) = lookup("CAISSE_BATCH_CUTOFF") {
            settings.batch_cutoff = NaiveTime::parse_from_str(&cutoff, "%H:%M")
                .map_err(|_| SettingError { name: "CAISSE_BATCH_CUTOFF", reason: format!("not HH:MM: {cutoff}") })?;
        }
        settings.public_url = lookup("CAISSE_PUBLIC_URL").map(|url| url.trim_end_matches('/').to_owned());
        settings.vault_key = lookup("CAISSE_VAULT_KEY");
        if let Some(grace) = lookup("CAISSE_SHUTDOWN_GRACE_SECONDS") {
            let seconds: u64 = grace.parse().map_err(|_| SettingError {
                name: "CAISSE_SHUTDOWN_GRACE_SECONDS",
                reason: format!("not a number of seconds: {grace}"),
            })?;
            settings.shutdown_grace = Duration::from_secs(seconds);
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let settings = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.database_url, "sqlite://caisse.db");
        let settings = Settings::from_lookup(|name| match name {
            "CAISSE_LISTEN" => Some("0.0.0.0:9000".into()),
            "CAISSE_BATCH_CUTOFF" => Some("23:30".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(settings.listen.port(), 9000);
        assert_eq!(settings.batch_cutoff, NaiveTime::from_hms_opt(23, 30, 0).unwrap());
        assert!(Settings::from_lookup(|name| (name == "CAISSE_LISTEN").then(|| "nope".into())).is_err());
    }
}
