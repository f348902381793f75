//! The loop: every `poll` (or when woken), claim the due notifications, post each, record the
//! outcome, and e-mail the rule's addresses when one fails for good. Claims are leased, so
//! several caisse processes can run a notifier on one database; a notification whose sender
//! died is sent again once its lease ends (at least once, never lost).

use crate::mail::{self, Mailer, Sent};
use crate::sender;
use crate::settings::NotifySettings;
use caisse_core::clock::Clock;
use caisse_core::notification::{Notification, NotificationRules};
use caisse_core::ports::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::{JoinHandle, JoinSet};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("HTTP client: {0}")]
    Client(String),
    #[error(transparent)]
    Mail(#[from] mail::MailError),
    #[error("replay delay too long: {0:?}")]
    Delay(Duration),
}

/// The running notifier: wake it, stop it.
pub struct NotifierHandle {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl NotifierHandle {
    /// Reads the outbox now instead of at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops claiming, lets the attempts under way finish (at most `grace`), then returns.
    /// An attempt cut short is sent again once its lease ends.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            tracing::warn!("notifier: attempts still under way after the grace period; stopping them");
            task.abort();
            let _ = task.await;
        }
    }
}

struct Notifier {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
    mailer: Mailer,
    delays: Vec<chrono::Duration>,
    settings: NotifySettings,
}

/// Starts the notifier on its own task.
pub fn start(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: NotifySettings,
) -> Result<NotifierHandle, StartError> {
    let client = sender::client(settings.timeout).map_err(|error| StartError::Client(error.to_string()))?;
    let mailer = Mailer::new(settings.smtp_url.as_deref(), settings.data_dir.clone(), &settings.mail_from)?;
    let delays = settings
        .replay_delays
        .iter()
        .map(|delay| chrono::Duration::from_std(*delay).map_err(|_| StartError::Delay(*delay)))
        .collect::<Result<Vec<_>, _>>()?;
    let notifier = Arc::new(Notifier { store, clock, client, mailer, delays, settings });
    let wake = Arc::new(Notify::new());
    let (stop, stopping) = watch::channel(false);
    let task = tokio::spawn(run(notifier, Arc::clone(&wake), stopping));
    Ok(NotifierHandle { wake, stop, task })
}

async fn run(notifier: Arc<Notifier>, wake: Arc<Notify>, mut stopping: watch::Receiver<bool>) {
    tracing::debug!(settings = ?notifier.settings, "notifier started");
    loop {
        // Drain what is due, a batch at a time, unless asked to stop.
        while !*stopping.borrow() {
            if notifier.send_due().await == 0 {
                break;
            }
        }
        if *stopping.borrow() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(notifier.settings.poll) => {}
            () = wake.notified() => {}
            _ = stopping.changed() => {}
        }
    }
    tracing::debug!("notifier stopped");
}

impl Notifier {
    /// Claims and sends one batch; returns how many were claimed.
    async fn send_due(self: &Arc<Self>) -> usize {
        let lease = chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::minutes(1));
        let claimed = match self.store.claim_due_notifications(self.clock.now(), self.settings.batch, lease).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "notifier: cannot read the outbox");
                return 0;
            }
        };
        let count = claimed.len();
        let mut attempts = JoinSet::new();
        for notification in claimed {
            let notifier = Arc::clone(self);
            attempts.spawn(async move { notifier.attempt(notification).await });
        }
        while attempts.join_next().await.is_some() {}
        count
    }

    async fn attempt(&self, notification: Notification) {
        let rules = match self.store.notification_rules(&notification.shop_id).await {
            Ok(Some(rules)) => rules,
            Ok(None) => NotificationRules::off(notification.shop_id.clone()),
            Err(error) => {
                // Its lease will end and it will be tried again.
                tracing::warn!(%error, notification = %notification.id, "notifier: cannot read the shop's rules");
                return;
            }
        };
        let outcome = sender::post(&self.client, &notification.url, &notification.body).await;
        let after = notification.after_attempt(&outcome, self.clock.now(), &self.delays, rules.replay);
        tracing::info!(
            notification = %after.id,
            shop = %after.shop_id.as_str(),
            rule = after.rule.as_str(),
            attempt = after.attempts,
            http_status = after.last_http_status,
            error = after.last_error.as_deref(),
            status = after.status.as_str(),
            "IPN attempt"
        );
        if !self.record(&after).await {
            return;
        }
        if Notification::just_failed(&notification, &after) {
            self.mail_failure(&after, &rules).await;
        }
    }

    /// Writes the outcome, trying a few times: an unrecorded 2xx would be sent again.
    async fn record(&self, notification: &Notification) -> bool {
        for wait in [0, 200, 1000] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            match self.store.record_notification_attempt(notification).await {
                Ok(()) => return true,
                Err(error) => {
                    tracing::warn!(%error, notification = %notification.id, "notifier: cannot record an attempt")
                }
            }
        }
        false
    }

    async fn mail_failure(&self, notification: &Notification, rules: &NotificationRules) {
        let shop_name = match self.store.shop(&notification.shop_id).await {
            Ok(Some(shop)) => shop.name,
            _ => String::new(),
        };
        let mail = mail::compose(notification, &shop_name);
        match self.mailer.send(notification, &rules.failure_emails, &mail).await {
            Ok(Sent::Smtp) => tracing::info!(notification = %notification.id, "IPN failure e-mail sent"),
            Ok(Sent::File(path)) => {
                tracing::info!(notification = %notification.id, path = %path.display(), "IPN failure e-mail written")
            }
            Err(error) => tracing::error!(%error, notification = %notification.id, "IPN failure e-mail not sent"),
        }
    }
}
