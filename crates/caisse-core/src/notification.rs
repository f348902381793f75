//! Instant payment notifications (IPN): the outbox entries a payment writes in its own database
//! transaction, their delivery state, and each shop's notification rules.
//!
//! The body is the form fields the adapter rendered and signed; the core and the notifier only
//! carry it. Every state change is a pure function of the notification and the attempt's
//! outcome, so a restarted or second caisse process picks up where the first stopped.

use crate::shop::{Mode, ShopId};
use crate::transaction::{TransactionId, new_uuid};
use chrono::{DateTime, Duration, Utc};

/// Which rule of the shop produced a notification (Back Office "Règles de notifications").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationRule {
    /// "URL de notification à la fin du paiement": accepted and refused payments.
    EndOfPayment,
    /// "URL de notification sur annulation": the buyer cancelled or the session expired.
    CancelOrAbandon,
    /// An operation made afterwards, by REST or by a batch (`vads_url_check_src` BO, BATCH…).
    LaterOperation,
}

impl NotificationRule {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationRule::EndOfPayment => "END_OF_PAYMENT",
            NotificationRule::CancelOrAbandon => "CANCEL_OR_ABANDON",
            NotificationRule::LaterOperation => "LATER_OPERATION",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationRule> {
        [NotificationRule::EndOfPayment, NotificationRule::CancelOrAbandon, NotificationRule::LaterOperation]
            .into_iter()
            .find(|rule| rule.as_str() == text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationStatus {
    /// To send at `next_attempt_at`.
    Pending,
    /// The shop acknowledged it; never sent again unless resent by hand.
    Delivered,
    /// Every attempt failed (or replay is off); the failure e-mail went out.
    Failed,
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "PENDING",
            NotificationStatus::Delivered => "DELIVERED",
            NotificationStatus::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationStatus> {
        [NotificationStatus::Pending, NotificationStatus::Delivered, NotificationStatus::Failed]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// Why no HTTP status came back, in words fit for a log and the failure e-mail (never the
/// body of the request).
pub const NO_URL: &str = "no URL";

/// What one delivery attempt met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The shop's server answered with this HTTP status.
    Http(u16),
    /// No answer: timeout, refused connection, DNS, TLS…
    Error(String),
    /// The notification has no URL to call (the rule has none for the mode yet).
    NoUrl,
}

impl AttemptOutcome {
    /// Success as the platform counts it: 200–206 and the redirections 301, 302, 303, 307
    /// and 308 (which are not followed: a redirection loses the POST data).
    pub fn is_success(&self) -> bool {
        matches!(self, AttemptOutcome::Http(200..=206 | 301 | 302 | 303 | 307 | 308))
    }
}

/// One notification in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// UUIDv7, simple form (time-ordered, like every other id).
    pub id: String,
    pub shop_id: ShopId,
    pub mode: Mode,
    pub rule: NotificationRule,
    /// Where to POST; empty when the rule had no URL for the mode.
    pub url: String,
    /// The form fields in order, already signed (`signature` among them).
    pub body: Vec<(String, String)>,
    pub transaction_id: Option<TransactionId>,
    /// What the failure e-mail calls "Tr. ref." (`vads_trans_id` for the Form API).
    pub reference: Option<String>,
    pub status: NotificationStatus,
    /// Attempts made, every kind counted.
    pub attempts: u32,
    /// Automatic replays scheduled so far (at most the number of replay delays).
    pub replays: u32,
    /// The pending send was asked by hand: the platform does not replay those.
    pub manual: bool,
    /// When to send next; `None` once delivered or failed.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_http_status: Option<u16>,
    /// What the last failed attempt met, without any body content.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl Notification {
    /// A notification to send now.
    pub fn new(
        shop_id: ShopId,
        mode: Mode,
        rule: NotificationRule,
        url: impl Into<String>,
        body: Vec<(String, String)>,
        now: DateTime<Utc>,
    ) -> Notification {
        Notification {
            id: new_uuid(),
            shop_id,
            mode,
            rule,
            url: url.into(),
            body,
            transaction_id: None,
            reference: None,
            status: NotificationStatus::Pending,
            attempts: 0,
            replays: 0,
            manual: false,
            next_attempt_at: Some(now),
            last_http_status: None,
            last_error: None,
            created_at: now,
            delivered_at: None,
        }
    }

    pub fn with_transaction(self, transaction_id: TransactionId, reference: Option<String>) -> Notification {
        Notification { transaction_id: Some(transaction_id), reference, ..self }
    }

    /// Whether it is waiting to be sent at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status == NotificationStatus::Pending && self.next_attempt_at.is_some_and(|at| at <= now)
    }

    /// The state after an attempt: delivered on success; otherwise the next automatic replay
    /// (`replay_delays[replays]` from now) while replay is on and delays are left, else failed.
    /// A notification with no URL fails at once: replaying it cannot succeed.
    pub fn after_attempt(
        &self,
        outcome: &AttemptOutcome,
        now: DateTime<Utc>,
        replay_delays: &[Duration],
        replay_enabled: bool,
    ) -> Notification {
        let mut next = self.clone();
        next.attempts = self.attempts.saturating_add(1);
        next.last_http_status = match outcome {
            AttemptOutcome::Http(status) => Some(*status),
            _ => None,
        };
        if outcome.is_success() {
            next.status = NotificationStatus::Delivered;
            next.next_attempt_at = None;
            next.delivered_at = Some(now);
            next.last_error = None;
            next.manual = false;
            return next;
        }
        next.last_error = Some(match outcome {
            AttemptOutcome::Http(status) => format!("HTTP {status}"),
            AttemptOutcome::Error(error) => error.clone(),
            AttemptOutcome::NoUrl => NO_URL.to_owned(),
        });
        let replay = (replay_enabled && !self.manual && *outcome != AttemptOutcome::NoUrl)
            .then(|| replay_delays.get(self.replays as usize))
            .flatten();
        match replay {
            Some(delay) => {
                next.status = NotificationStatus::Pending;
                next.replays = self.replays + 1;
                next.next_attempt_at = Some(now + *delay);
            }
            None => {
                next.status = NotificationStatus::Failed;
                next.next_attempt_at = None;
                next.manual = false;
            }
        }
        next
    }

    /// A manual resend: sent again now. A notification still in its automatic replays is
    /// just brought forward (its replays go on if this attempt fails too); a delivered or
    /// failed one gets one attempt, which is not replayed.
    pub fn resend(&self, now: DateTime<Utc>) -> Notification {
        let mut next = self.clone();
        next.manual = self.status != NotificationStatus::Pending || self.manual;
        next.status = NotificationStatus::Pending;
        next.next_attempt_at = Some(now);
        next
    }

    /// Whether this attempt's outcome made it fail for good (the failure e-mail goes out).
    pub fn just_failed(before: &Notification, after: &Notification) -> bool {
        before.status == NotificationStatus::Pending && after.status == NotificationStatus::Failed
    }
}

/// A shop's notification rules (one set per shop: each rule has a URL per mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationRules {
    pub shop_id: ShopId,
    /// "Fin de paiement": accepted and refused payments.
    pub end_of_payment: bool,
    /// "Annulation / abandon": off by default on the platform.
    pub cancel_or_abandon: bool,
    /// Operations made later (REST, batch).
    pub later_operations: bool,
    /// "Rejeu automatique en cas d'échec".
    pub replay: bool,
    pub test_url: Option<String>,
    pub production_url: Option<String>,
    /// Where the failure e-mail goes.
    pub failure_emails: Vec<String>,
}

impl NotificationRules {
    /// Every rule off, no URL: a shop nobody configured.
    pub fn off(shop_id: ShopId) -> NotificationRules {
        NotificationRules {
            shop_id,
            end_of_payment: false,
            cancel_or_abandon: false,
            later_operations: false,
            replay: false,
            test_url: None,
            production_url: None,
            failure_emails: Vec::new(),
        }
    }

    /// What the preloaded Sogecommerce shops start with: end of payment on, replayed.
    pub fn preloaded(shop_id: ShopId) -> NotificationRules {
        NotificationRules { end_of_payment: true, replay: true, ..NotificationRules::off(shop_id) }
    }

    pub fn applies(&self, rule: NotificationRule) -> bool {
        match rule {
            NotificationRule::EndOfPayment => self.end_of_payment,
            NotificationRule::CancelOrAbandon => self.cancel_or_abandon,
            NotificationRule::LaterOperation => self.later_operations,
        }
    }

    /// The rule's URL for a mode; empty means none.
    pub fn url(&self, mode: Mode) -> Option<&str> {
        let url = match mode {
            Mode::Test => self.test_url.as_deref(),
            Mode::Production => self.production_url.as_deref(),
        };
        url.filter(|url| !url.is_empty())
    }

    /// The URL a notification of this rule goes to: `vads_url_check` when the form gave one,
    /// else the rule's; `None` when the rule is off.
    pub fn target(&self, rule: NotificationRule, mode: Mode, url_check: Option<&str>) -> Option<String> {
        if !self.applies(rule) {
            return None;
        }
        let url = url_check.filter(|url| !url.is_empty()).or_else(|| self.url(mode));
        Some(url.unwrap_or_default().to_owned())
    }
}

#[cfg(test)]
mod tests;
