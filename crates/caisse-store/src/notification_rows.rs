//! Notification rows ↔ core structs, shared by both backends.

use crate::rows::stored_instant;
use caisse_core::notification::{Notification, NotificationRule, NotificationRules, NotificationStatus};
use caisse_core::ports::StoreError;
use caisse_core::shop::{Mode, ShopId};
use caisse_core::transaction::TransactionId;
use chrono::{DateTime, Utc};

/// The columns every notification query selects, in `NotificationRow` order.
pub(crate) const COLUMNS: &str = "id, shop_id, mode, rule, url, body, transaction_id, reference, status, attempts, \
     replays, manual, next_attempt_at, last_http_status, last_error, created_at, delivered_at";

/// Most notifications a listing returns.
pub(crate) const LIST_MAX: usize = 10_000;

/// A notification as it will read back: instants cut to microseconds.
pub(crate) fn as_stored(notification: &Notification) -> Notification {
    let mut stored = notification.clone();
    stored.created_at = stored_instant(stored.created_at);
    stored.next_attempt_at = stored.next_attempt_at.map(stored_instant);
    stored.delivered_at = stored.delivered_at.map(stored_instant);
    stored
}

pub(crate) fn body_json(body: &[(String, String)]) -> Result<String, StoreError> {
    serde_json::to_string(body).map_err(|error| StoreError::Corrupt(format!("notification body: {error}")))
}

pub(crate) fn count(value: u32) -> i64 {
    i64::from(value)
}

/// A notification's columns as a backend read them.
pub(crate) struct NotificationRow {
    pub(crate) id: String,
    pub(crate) shop_id: String,
    pub(crate) mode: String,
    pub(crate) rule: String,
    pub(crate) url: String,
    pub(crate) body: String,
    pub(crate) transaction_id: Option<String>,
    pub(crate) reference: Option<String>,
    pub(crate) status: String,
    pub(crate) attempts: i64,
    pub(crate) replays: i64,
    pub(crate) manual: bool,
    pub(crate) next_attempt_at: Option<DateTime<Utc>>,
    pub(crate) last_http_status: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) delivered_at: Option<DateTime<Utc>>,
}

impl NotificationRow {
    pub(crate) fn decode(self) -> Result<Notification, StoreError> {
        let corrupt =
            |what: &str, value: &str| StoreError::Corrupt(format!("notification {}: {what} {value:?}", self.id));
        let mode = Mode::parse(&self.mode).ok_or_else(|| corrupt("mode", &self.mode))?;
        let rule = NotificationRule::parse(&self.rule).ok_or_else(|| corrupt("rule", &self.rule))?;
        let status = NotificationStatus::parse(&self.status).ok_or_else(|| corrupt("status", &self.status))?;
        let body: Vec<(String, String)> =
            serde_json::from_str(&self.body).map_err(|_| corrupt("body", "(not shown)"))?;
        let attempts = u32::try_from(self.attempts).map_err(|_| corrupt("attempts", &self.attempts.to_string()))?;
        let replays = u32::try_from(self.replays).map_err(|_| corrupt("replays", &self.replays.to_string()))?;
        let last_http_status = match self.last_http_status {
            Some(status) => Some(u16::try_from(status).map_err(|_| corrupt("last_http_status", &status.to_string()))?),
            None => None,
        };
        Ok(Notification {
            id: self.id,
            shop_id: ShopId(self.shop_id),
            mode,
            rule,
            url: self.url,
            body,
            transaction_id: self.transaction_id.map(TransactionId),
            reference: self.reference,
            status,
            attempts,
            replays,
            manual: self.manual,
            next_attempt_at: self.next_attempt_at,
            last_http_status,
            last_error: self.last_error,
            created_at: self.created_at,
            delivered_at: self.delivered_at,
        })
    }
}

/// Failure e-mail addresses as one column.
pub(crate) fn emails_text(emails: &[String]) -> String {
    emails.iter().map(|email| email.trim()).filter(|email| !email.is_empty()).collect::<Vec<_>>().join(";")
}

/// The rules a row holds.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rules(
    shop_id: &ShopId,
    end_of_payment: bool,
    cancel_or_abandon: bool,
    later_operations: bool,
    replay: bool,
    test_url: Option<String>,
    production_url: Option<String>,
    emails: &str,
) -> NotificationRules {
    NotificationRules {
        shop_id: shop_id.clone(),
        end_of_payment,
        cancel_or_abandon,
        later_operations,
        replay,
        test_url,
        production_url,
        failure_emails: emails.split(';').filter(|email| !email.is_empty()).map(str::to_owned).collect(),
    }
}
