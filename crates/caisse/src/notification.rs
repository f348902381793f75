//! `caisse notification list|show|resend` and `caisse shop notification-rules`: the outbox
//! and the shops' notification rules, on the same database as a running server (whose
//! notifier picks a resent notification up within a second).

use crate::admin::open_store;
use caisse_core::notification::{Notification, NotificationRules, NotificationStatus};
use caisse_core::shop::ShopId;
use caisse_server::Settings;
use chrono::Utc;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum NotificationCommand {
    /// List notifications, newest first.
    List {
        /// Only this shop's.
        #[arg(long)]
        shop: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show a notification: its state, its URL and the fields it posts.
    Show { id: String },
    /// Send a notification again now (one attempt; a notification still being replayed is
    /// just brought forward).
    Resend { id: String },
}

/// `caisse shop notification-rules`: what is given replaces, the rest is kept.
#[derive(clap::Args)]
pub struct RulesArgs {
    /// Sogecommerce shopId.
    shop_id: String,
    /// Notification URL in TEST mode (empty: none).
    #[arg(long)]
    test_url: Option<String>,
    /// Notification URL in PRODUCTION mode (empty: none).
    #[arg(long)]
    production_url: Option<String>,
    /// "End of payment" rule: accepted and refused payments.
    #[arg(long, value_parser = on_off)]
    end_of_payment: Option<bool>,
    /// "Cancel / abandon" rule.
    #[arg(long, value_parser = on_off)]
    cancel: Option<bool>,
    /// Operations made later (REST, batch).
    #[arg(long, value_parser = on_off)]
    later_operations: Option<bool>,
    /// Automatic replay of failed notifications (CAISSE_IPN_RETRY_DELAYS).
    #[arg(long, value_parser = on_off)]
    replay: Option<bool>,
    /// Failure e-mail addresses, comma-separated (empty: none).
    #[arg(long)]
    emails: Option<String>,
}

fn on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("expected on or off, got {text:?}")),
    }
}

fn checked_url(url: String) -> anyhow::Result<Option<String>> {
    let url = url.trim().to_owned();
    if url.is_empty() {
        return Ok(None);
    }
    anyhow::ensure!(
        (url.starts_with("http://") || url.starts_with("https://")) && !url.contains(char::is_whitespace),
        "a notification URL starts with http:// or https://: {url}"
    );
    Ok(Some(url))
}

pub async fn notification(settings: &Settings, command: NotificationCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    match command {
        NotificationCommand::List { shop, limit } => {
            let shop = shop.map(ShopId);
            for notification in store.notifications(shop.as_ref(), limit).await? {
                println!("{}", summary(&notification));
            }
        }
        NotificationCommand::Show { id } => {
            let notification = store.notification(&id).await?.ok_or_else(|| anyhow::anyhow!("no notification {id}"))?;
            print_notification(&notification);
        }
        NotificationCommand::Resend { id } => {
            let current = store.notification(&id).await?.ok_or_else(|| anyhow::anyhow!("no notification {id}"))?;
            let mut resent = current.resend(Utc::now());
            // A notification made before its shop had a URL goes to the URL set since.
            if resent.url.is_empty()
                && let Some(rules) = store.notification_rules(&resent.shop_id).await?
                && let Some(url) = rules.url(resent.mode)
            {
                resent.url = url.to_owned();
            }
            anyhow::ensure!(
                !resent.url.is_empty(),
                "notification {id} has no URL and shop {} has none for mode {}: set one with \
                 `caisse shop notification-rules {} --{}-url <URL>`",
                resent.shop_id,
                resent.mode.as_str(),
                resent.shop_id,
                resent.mode.as_str().to_ascii_lowercase()
            );
            store.record_notification_attempt(&resent).await?;
            println!("notification {id} queued for {}: a running caisse sends it within a second", resent.url);
        }
    }
    Ok(())
}

pub async fn rules(settings: &Settings, args: RulesArgs) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let shop_id = ShopId(args.shop_id.clone());
    let current =
        store.notification_rules(&shop_id).await?.ok_or_else(|| anyhow::anyhow!("no shop {}", args.shop_id))?;
    let mut rules = current.clone();
    if let Some(url) = args.test_url {
        rules.test_url = checked_url(url)?;
    }
    if let Some(url) = args.production_url {
        rules.production_url = checked_url(url)?;
    }
    rules.end_of_payment = args.end_of_payment.unwrap_or(current.end_of_payment);
    rules.cancel_or_abandon = args.cancel.unwrap_or(current.cancel_or_abandon);
    rules.later_operations = args.later_operations.unwrap_or(current.later_operations);
    rules.replay = args.replay.unwrap_or(current.replay);
    if let Some(emails) = args.emails {
        rules.failure_emails =
            emails.split([',', ';']).map(str::trim).filter(|email| !email.is_empty()).map(str::to_owned).collect();
        for email in &rules.failure_emails {
            anyhow::ensure!(
                email.contains('@') && !email.contains(char::is_whitespace),
                "not an e-mail address: {email}"
            );
        }
    }
    if rules != current {
        store.set_notification_rules(&rules).await?;
    }
    print_rules(&rules);
    Ok(())
}

fn on(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

fn print_rules(rules: &NotificationRules) {
    println!("shopId          {}", rules.shop_id);
    println!("endOfPayment    {}", on(rules.end_of_payment));
    println!("cancelOrAbandon {}", on(rules.cancel_or_abandon));
    println!("laterOperations {}", on(rules.later_operations));
    println!("replay          {}", on(rules.replay));
    println!("testUrl         {}", rules.test_url.as_deref().unwrap_or(""));
    println!("productionUrl   {}", rules.production_url.as_deref().unwrap_or(""));
    println!("failureEmails   {}", rules.failure_emails.join(","));
}

fn outcome(notification: &Notification) -> String {
    match (notification.last_http_status, &notification.last_error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "-".into(),
    }
}

fn summary(notification: &Notification) -> String {
    let next = match (notification.status, notification.next_attempt_at) {
        (NotificationStatus::Pending, Some(at)) => format!("next {}", at.to_rfc3339()),
        _ => String::new(),
    };
    format!(
        "{}\t{}\t{}\t{}\t{}\tattempts {}\t{}\t{}\t{}",
        notification.id,
        notification.shop_id,
        notification.mode.as_str(),
        notification.rule.as_str(),
        notification.status.as_str(),
        notification.attempts,
        outcome(notification),
        notification.created_at.to_rfc3339(),
        next
    )
    .trim_end()
    .to_owned()
}

fn print_notification(notification: &Notification) {
    let optional = |at: Option<chrono::DateTime<Utc>>| at.map(|at| at.to_rfc3339()).unwrap_or_default();
    println!("id            {}", notification.id);
    println!("shopId        {}", notification.shop_id);
    println!("mode          {}", notification.mode.as_str());
    println!("rule          {}", notification.rule.as_str());
    println!("status        {}", notification.status.as_str());
    println!("url           {}", notification.url);
    println!("transaction   {}", notification.transaction_id.as_ref().map(|id| id.as_str()).unwrap_or(""));
    println!("reference     {}", notification.reference.as_deref().unwrap_or(""));
    println!("attempts      {}", notification.attempts);
    println!("lastOutcome   {}", outcome(notification));
    println!("createdAt     {}", notification.created_at.to_rfc3339());
    println!("nextAttemptAt {}", optional(notification.next_attempt_at));
    println!("deliveredAt   {}", optional(notification.delivered_at));
    println!("fields");
    for (name, value) in &notification.body {
        println!("  {name}={value}");
    }
}
