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
    /// `CAISSE_IPN_RETRY_DELAYS`: the automatic replays of a failed IPN (`15m,30m,1h,2h`).
    pub ipn_retry_delays: Vec<Duration>,
    /// `CAISSE_SMTP_URL`: where failure e-mails go (`smtp://host:25`); else `.eml` files.
    pub smtp_url: Option<String>,
    /// `CAISSE_DATA_DIR`: the data folder (failure e-mails in `mail/`); else the SQLite
    /// database's folder, or `./caisse-data`.
    pub data_dir: Option<std::path::PathBuf>,
    /// `CAISSE_MAIL_FROM`: the failure e-mails' sender.
    pub mail_from: String,
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
            ipn_retry_delays: caisse_notify::parse_delays(caisse_notify::settings::DEFAULT_REPLAY_DELAYS)
                .unwrap_or_default(),
            smtp_url: None,
            data_dir: None,
            mail_from: caisse_notify::settings::DEFAULT_MAIL_FROM.into(),
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
        if let Some(delays) = lookup("CAISSE_IPN_RETRY_DELAYS") {
            settings.ipn_retry_delays = caisse_notify::parse_delays(&delays)
                .map_err(|reason| SettingError { name: "CAISSE_IPN_RETRY_DELAYS", reason })?;
        }
        settings.smtp_url = lookup("CAISSE_SMTP_URL").filter(|url| !url.trim().is_empty());
        settings.data_dir = lookup("CAISSE_DATA_DIR").filter(|dir| !dir.is_empty()).map(Into::into);
        if let Some(from) = lookup("CAISSE_MAIL_FROM") {
            settings.mail_from = from;
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
        let delays = |text: &'static str| {
            Settings::from_lookup(move |name| (name == "CAISSE_IPN_RETRY_DELAYS").then(|| text.into()))
        };
        assert_eq!(delays("1s,1s,1s,1s").unwrap().ipn_retry_delays, [Duration::from_secs(1); 4]);
        assert_eq!(Settings::default().ipn_retry_delays.len(), 4);
        assert_eq!(delays("10x").unwrap_err().name, "CAISSE_IPN_RETRY_DELAYS");
    }
}
