//! The cases of the notification outbox and rules: a payment and its notifications written
//! together or not at all, claims with leases, race-free claims across two stores, rules.
//! Re-exported by `cases`, so that `main.rs` runs each on both backends.

use crate::cases::{LYRA_SEEDED, SHOP, UNKNOWN_SHOP, reference};
use crate::harness::{Db, at, new_transaction, shop};
use caisse_core::notification::{
    AttemptOutcome, Notification, NotificationRule, NotificationRules, NotificationStatus,
};
use caisse_core::ports::{InsertError, StoreError};
use caisse_core::{Mode, TransactionStatus};
use chrono::Duration;
use std::collections::HashSet;

const LEASE: i64 = 30;

fn notification(shop_id: &str, seconds: i64) -> Notification {
    Notification::new(
        shop(shop_id),
        Mode::Test,
        NotificationRule::EndOfPayment,
        "https://shop.example/ipn?a=1",
        vec![
            ("vads_site_id".into(), shop_id.into()),
            ("vads_order_info".into(), "D. & Cie + é ✓".into()),
            ("vads_result".into(), "00".into()),
            ("signature".into(), "0123+/=".into()),
        ],
        at() + Duration::seconds(seconds) + Duration::nanoseconds(789),
    )
}

/// An instant as stored (microseconds).
fn micros(at: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    at - Duration::nanoseconds(i64::from(at.timestamp_subsec_nanos() % 1000))
}

/// Instants as stored.
fn stored(mut notification: Notification) -> Notification {
    notification.created_at = micros(notification.created_at);
    notification.next_attempt_at = notification.next_attempt_at.map(micros);
    notification.delivered_at = notification.delivered_at.map(micros);
    notification
}

pub async fn payment_and_notifications_round_trip(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) = new_transaction(SHOP, "IPN-1", TransactionStatus::Captured, 100, at());
    let first = notification(SHOP, 0).with_transaction(transaction.id.clone(), Some("123456".into()));
    let mut second = notification(SHOP, 1);
    second.rule = NotificationRule::CancelOrAbandon;
    second.mode = Mode::Production;
    second.url = String::new();
    let inserted = store
        .insert_transaction_with_notifications(transaction, operation, card, vec![first.clone(), second.clone()])
        .await
        .unwrap();
    assert!(inserted.s10_transaction_id > 0);
    assert!(store.transaction(&shop(SHOP), &reference("IPN-1")).await.unwrap().is_some());
    assert_eq!(store.notification(&first.id).await.unwrap(), Some(stored(first.clone())));
    assert_eq!(store.notification(&second.id).await.unwrap(), Some(stored(second.clone())));
    assert_eq!(store.notification("0000").await.unwrap(), None);
    let alone = notification(LYRA_SEEDED[0], 2);
    store.insert_notification(&alone).await.unwrap();
    assert!(matches!(store.insert_notification(&alone).await, Err(StoreError::AlreadyExists)));
    let ids = |list: Vec<Notification>| list.into_iter().map(|n| n.id).collect::<Vec<_>>();
    assert_eq!(ids(store.notifications(Some(&shop(SHOP)), 10).await.unwrap()), [second.id.clone(), first.id.clone()]);
    assert_eq!(
        ids(store.notifications(None, 10).await.unwrap()),
        [alone.id.clone(), second.id.clone(), first.id.clone()]
    );
    assert_eq!(ids(store.notifications(None, 1).await.unwrap()), std::slice::from_ref(&alone.id));
}

pub async fn a_failed_payment_writes_no_notification(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) = new_transaction(SHOP, "IPN-DUP", TransactionStatus::Captured, 100, at());
    store.insert_transaction(transaction, operation, card).await.unwrap();
    // The payment fails (its reference is taken): its notification must not be written.
    let (transaction, operation, card) = new_transaction(SHOP, "IPN-DUP", TransactionStatus::Captured, 100, at());
    let owed = notification(SHOP, 0);
    let inserted = store.insert_transaction_with_notifications(transaction, operation, card, vec![owed.clone()]).await;
    assert!(matches!(inserted, Err(InsertError::DuplicateReference)), "{inserted:?}");
    assert_eq!(store.notification(&owed.id).await.unwrap(), None);
    // A notification that cannot be written (unknown shop) takes its payment down with it.
    let (transaction, operation, card) = new_transaction(SHOP, "IPN-2", TransactionStatus::Captured, 100, at());
    let good = notification(SHOP, 0);
    let bad = notification(UNKNOWN_SHOP, 0);
    let inserted =
        store.insert_transaction_with_notifications(transaction, operation, card, vec![good.clone(), bad]).await;
    assert!(inserted.is_err(), "{inserted:?}");
    assert_eq!(store.transaction(&shop(SHOP), &reference("IPN-2")).await.unwrap(), None);
    assert_eq!(store.notification(&good.id).await.unwrap(), None);
    assert!(
        store
            .claim_due_notifications(at() + Duration::hours(1), 10, Duration::seconds(LEASE))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn claims_lease_due_notifications(db: &Db) {
    let store = db.open().await;
    let early = notification(SHOP, 0);
    let later = notification(SHOP, 10);
    let mut done = notification(SHOP, 0);
    done.status = NotificationStatus::Delivered;
    done.next_attempt_at = None;
    for item in [&later, &early, &done] {
        store.insert_notification(item).await.unwrap();
    }
    let now = at() + Duration::seconds(5);
    let lease = Duration::seconds(LEASE);
    let claimed = store.claim_due_notifications(now, 10, lease).await.unwrap();
    assert_eq!(claimed, vec![stored(early.clone())]);
    // Leased: nobody gets it again until the lease ends.
    assert!(store.claim_due_notifications(now, 10, lease).await.unwrap().is_empty());
    let after_lease = now + lease + Duration::seconds(1);
    let ids: Vec<String> =
        store.claim_due_notifications(after_lease, 10, lease).await.unwrap().into_iter().map(|n| n.id).collect();
    assert_eq!(ids, [early.id.clone(), later.id.clone()], "oldest due first, the expired lease reclaimed");
    // A recorded failure ends the lease; the replay is due at its time only.
    let failed = claimed[0].after_attempt(&AttemptOutcome::Http(500), after_lease, &[Duration::seconds(60)], true);
    store.record_notification_attempt(&failed).await.unwrap();
    assert_eq!(store.notification(&early.id).await.unwrap(), Some(stored(failed.clone())));
    // `later`'s lease (taken at `after_lease`) is over at +59: it alone is claimed again.
    let claimed = store.claim_due_notifications(after_lease + Duration::seconds(59), 10, lease).await.unwrap();
    assert_eq!(claimed.iter().map(|n| &n.id).collect::<Vec<_>>(), [&later.id]);
    let again = store.claim_due_notifications(after_lease + Duration::seconds(60), 10, lease).await.unwrap();
    assert_eq!(again.iter().map(|n| &n.id).collect::<Vec<_>>(), [&early.id]);
    let delivered = again[0].after_attempt(&AttemptOutcome::Http(200), after_lease + Duration::seconds(61), &[], true);
    store.record_notification_attempt(&delivered).await.unwrap();
    let read = store.notification(&early.id).await.unwrap().unwrap();
    assert_eq!(read.status, NotificationStatus::Delivered);
    assert_eq!(read.attempts, 2);
    assert_eq!(read.last_http_status, Some(200));
    // Delivered: never claimed again (`later`, never recorded, still is).
    let claimed = store.claim_due_notifications(after_lease + Duration::days(1), 10, lease).await.unwrap();
    assert_eq!(claimed.iter().map(|n| &n.id).collect::<Vec<_>>(), [&later.id]);
    let unknown = notification(SHOP, 0);
    assert!(matches!(store.record_notification_attempt(&unknown).await, Err(StoreError::NotFound)));
}

pub async fn concurrent_claims_never_share_a_notification(db: &Db) {
    let first = db.open().await;
    let second = db.open().await;
    const COUNT: usize = 60;
    for index in 0..COUNT {
        first.insert_notification(&notification(SHOP, index as i64 % 7)).await.unwrap();
    }
    let now = at() + Duration::minutes(1);
    let claim_all = |store: std::sync::Arc<dyn caisse_core::ports::Store>| {
        tokio::spawn(async move {
            let mut claimed = Vec::new();
            loop {
                let batch = store.claim_due_notifications(now, 4, Duration::seconds(LEASE)).await.unwrap();
                if batch.is_empty() {
                    return claimed;
                }
                claimed.extend(batch.into_iter().map(|n| n.id));
            }
        })
    };
    let (a, b) = (claim_all(first.clone()), claim_all(second.clone()));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let mut seen = HashSet::new();
    for id in a.iter().chain(&b) {
        assert!(seen.insert(id.clone()), "{id} claimed twice");
    }
    assert_eq!(seen.len(), COUNT);
}

pub async fn notification_rules_are_seeded_and_set(db: &Db) {
    let store = db.open().await;
    for id in LYRA_SEEDED {
        let rules = store.notification_rules(&shop(id)).await.unwrap().unwrap();
        assert_eq!(rules, NotificationRules::preloaded(shop(id)), "{id}");
    }
    assert_eq!(store.notification_rules(&shop(SHOP)).await.unwrap(), Some(NotificationRules::off(shop(SHOP))));
    assert_eq!(store.notification_rules(&shop(UNKNOWN_SHOP)).await.unwrap(), None);
    let rules = NotificationRules {
        cancel_or_abandon: true,
        later_operations: true,
        test_url: Some("https://shop.example/ipn-test".into()),
        production_url: Some("https://shop.example/ipn".into()),
        failure_emails: vec!["ops@shop.example".into(), "dev@shop.example".into()],
        ..NotificationRules::preloaded(shop(SHOP))
    };
    store.set_notification_rules(&rules).await.unwrap();
    assert_eq!(store.notification_rules(&shop(SHOP)).await.unwrap(), Some(rules.clone()));
    let changed = NotificationRules { replay: false, test_url: None, failure_emails: vec![], ..rules };
    store.set_notification_rules(&changed).await.unwrap();
    assert_eq!(store.notification_rules(&shop(SHOP)).await.unwrap(), Some(changed));
    let unknown = NotificationRules::off(shop(UNKNOWN_SHOP));
    assert!(matches!(store.set_notification_rules(&unknown).await, Err(StoreError::NotFound)));
}
