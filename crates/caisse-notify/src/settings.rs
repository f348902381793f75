//! What the notifier is told: replay delays, where failure e-mails go, timings.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// `CAISSE_IPN_RETRY_DELAYS` when unset: four replays, growing apart.
pub const DEFAULT_REPLAY_DELAYS: &str = "15m,30m,1h,2h";
/// Where e-mails go without SMTP when the database is not a SQLite file.
pub const DEFAULT_DATA_DIR: &str = "caisse-data";
pub const DEFAULT_MAIL_FROM: &str = "caisse@localhost";

#[derive(Clone)]
pub struct NotifySettings {
    /// One automatic replay per delay, each counted from the failed attempt before it.
    pub replay_delays: Vec<Duration>,
    /// `smtp://host:25`, `smtps://user:password@host`…: failure e-mails go there; else to
    /// `.eml` files in `data_dir/mail`.
    pub smtp_url: Option<String>,
    pub data_dir: PathBuf,
    /// The failure e-mail's sender, and its recipient when the rule has no address.
    pub mail_from: String,
    /// How long the shop's server may take to answer (the platform's: 10 s).
    pub timeout: Duration,
    /// How often the outbox is read when nothing wakes the notifier.
    pub poll: Duration,
    /// How long a claim holds: past it, a notification whose sender died is sent again.
    pub lease: Duration,
    /// Notifications claimed (and sent concurrently) at once.
    pub batch: usize,
}

impl std::fmt::Debug for NotifySettings {
    /// The SMTP URL may hold a password: it is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifySettings")
            .field("replay_delays", &self.replay_delays)
            .field("smtp", &self.smtp_url.is_some())
            .field("data_dir", &self.data_dir)
            .field("mail_from", &self.mail_from)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            replay_delays: parse_delays(DEFAULT_REPLAY_DELAYS).unwrap_or_default(),
            smtp_url: None,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            mail_from: DEFAULT_MAIL_FROM.into(),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            batch: 16,
        }
    }
}

/// A comma list of durations (`15m,30m,1h,2h`, `1s,1s,1s,1s`, `90s, 2h 30m`); an empty list
/// means no replay. Each must be more than zero.
pub fn parse_delays(text: &str) -> Result<Vec<Duration>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|item| {
            let item = item.trim();
            match humantime::parse_duration(item) {
                Ok(delay) if !delay.is_zero() => Ok(delay),
                Ok(_) => Err(format!("a replay delay must be more than zero: {item:?}")),
                Err(error) => Err(format!("not a duration: {item:?} ({error})")),
            }
        })
        .collect()
}

/// The data folder when `CAISSE_DATA_DIR` is unset: a SQLite database's folder, else
/// `./caisse-data`.
pub fn default_data_dir(database_url: &str) -> PathBuf {
    let Some(rest) = database_url.strip_prefix("sqlite:") else {
        return PathBuf::from(DEFAULT_DATA_DIR);
    };
    let path = rest.strip_prefix("//").unwrap_or(rest);
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return PathBuf::from(DEFAULT_DATA_DIR);
    }
    match Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse() {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        assert_eq!(parse_delays(DEFAULT_REPLAY_DELAYS).unwrap(), [minutes(15), minutes(30), minutes(60), minutes(120)]);
        assert_eq!(parse_delays("1s,1s,1s,1s").unwrap(), [Duration::from_secs(1); 4]);
        assert_eq!(
            parse_delays(" 90s , 2h 30m,500ms").unwrap(),
            [Duration::from_secs(90), minutes(150), Duration::from_millis(500)]
        );
        assert_eq!(parse_delays("").unwrap(), []);
        assert!(parse_delays("15").is_err());
        assert!(parse_delays("15m,,1h").is_err());
        assert!(parse_delays("0s").is_err());
        assert!(parse_delays("soon").unwrap_err().contains("soon"));
    }

    #[test]
    fn data_dir_follows_the_database() {
        assert_eq!(default_data_dir("sqlite:///var/lib/caisse/caisse.db"), PathBuf::from("/var/lib/caisse"));
        assert_eq!(default_data_dir("sqlite://data/x.db?mode=rwc"), PathBuf::from("data"));
        assert_eq!(default_data_dir("sqlite://caisse.db"), PathBuf::from("."));
        assert_eq!(default_data_dir("sqlite::memory:"), PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(default_data_dir("postgres://postgres@127.0.0.1/test"), PathBuf::from(DEFAULT_DATA_DIR));
    }
}
