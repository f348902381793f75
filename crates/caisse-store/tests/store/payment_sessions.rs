//! The cases of hosted payment page sessions: round trip, abandon once, and a session paid at
//! most once with its payment and notifications in one database transaction, race-free across
//! two stores. Re-exported by `cases`, so that `main.rs` runs each on both backends.

use crate::cases::{SHOP, UNKNOWN_SHOP, reference};
use crate::harness::{Db, at, new_transaction, shop};
use caisse_core::notification::{Notification, NotificationRule};
use caisse_core::payment_session::{PaymentSession, SessionPayment, SessionStatus};
use caisse_core::payment_token::SpendError;
use caisse_core::ports::{SessionPayError, StoreError, ThreeDsClaim};
use caisse_core::three_ds::{self, Enrolment, ThreeDsAuthentication};
use caisse_core::transaction::OrderDetails;
use caisse_core::{Amount, CaptureMode, Currency, Mode, TransactionStatus};
use chrono::Duration;
use tokio::task::JoinSet;

fn session(shop_id: &str) -> PaymentSession {
    let payment = SessionPayment {
        amount: Amount(2500),
        currency: Currency::EUR,
        capture_mode: CaptureMode::Validation,
        capture_day: 3,
        order: OrderDetails { order_id: Some("order-1".into()), ..OrderDetails::default() },
    };
    PaymentSession::open(shop(shop_id), Mode::Test, payment, r#"{"pairs":[["vads_amount","2500"]]}"#.into(), at())
}

fn ipn(shop_id: &str) -> Notification {
    Notification::new(
        shop(shop_id),
        Mode::Test,
        NotificationRule::EndOfPayment,
        "https://shop.example/ipn",
        vec![("vads_result".into(), "00".into())],
        at(),
    )
}

/// A captured payment of `reference` with its notifications, paying `session_id`.
async fn pay(
    store: &std::sync::Arc<dyn caisse_core::ports::Store>,
    session_id: &str,
    reference: &str,
    notifications: Vec<Notification>,
) -> Result<caisse_core::Transaction, SessionPayError> {
    let (transaction, operation, card) = new_transaction(SHOP, reference, TransactionStatus::Captured, 2500, at());
    let owed = caisse_core::ports::Owed::notifications(notifications);
    store.pay_payment_session(session_id, transaction, operation, card, owed).await
}

/// Instants as stored (microseconds).
fn stored(mut session: PaymentSession) -> PaymentSession {
    let micros =
        |t: chrono::DateTime<chrono::Utc>| t - Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos() % 1000));
    session.created_at = micros(session.created_at);
    session.expires_at = micros(session.expires_at);
    session
}

pub async fn payment_sessions_round_trip_and_abandon_once(db: &Db) {
    let store = db.open().await;
    let open = session(SHOP);
    store.insert_payment_session(&open).await.unwrap();
    assert_eq!(store.payment_session(&open.id).await.unwrap(), Some(stored(open.clone())));
    assert!(matches!(store.insert_payment_session(&open).await, Err(StoreError::AlreadyExists)));
    assert!(matches!(store.insert_payment_session(&session(UNKNOWN_SHOP)).await, Err(StoreError::NotFound)));
    assert_eq!(store.payment_session("nope").await.unwrap(), None);

    assert!(store.abandon_payment_session(&open.id, at(), vec![]).await.unwrap());
    assert!(!store.abandon_payment_session(&open.id, at(), vec![]).await.unwrap());
    assert!(!store.abandon_payment_session("nope", at(), vec![]).await.unwrap());
    let abandoned = store.payment_session(&open.id).await.unwrap().unwrap();
    assert_eq!(abandoned.status, SessionStatus::Abandoned);
    // An abandoned session is never paid.
    let paid = pay(&store, &open.id, "S-ABANDONED", vec![ipn(SHOP)]).await;
    assert!(matches!(paid, Err(SessionPayError::NotOpen)), "{paid:?}");
    assert!(store.transaction(&shop(SHOP), &reference("S-ABANDONED")).await.unwrap().is_none());
    assert!(store.notifications(Some(&shop(SHOP)), 10).await.unwrap().is_empty());
}

pub async fn a_session_pays_once_with_its_notifications(db: &Db) {
    let store = db.open().await;
    let open = session(SHOP);
    store.insert_payment_session(&open).await.unwrap();
    let (transaction, operation, card) = new_transaction(SHOP, "S-1", TransactionStatus::Captured, 2500, at());
    let notification = ipn(SHOP).with_transaction(transaction.id.clone(), None);
    let paid = store
        .pay_payment_session(
            &open.id,
            transaction,
            operation,
            card,
            caisse_core::ports::Owed::notifications(vec![notification.clone()]),
        )
        .await
        .unwrap();
    let now = store.payment_session(&open.id).await.unwrap().unwrap();
    assert_eq!(now.status, SessionStatus::Paid(paid.id.clone()));
    assert!(store.transaction(&shop(SHOP), &reference("S-1")).await.unwrap().is_some());
    assert!(store.notification(&notification.id).await.unwrap().is_some());
    assert!(!store.abandon_payment_session(&open.id, at(), vec![]).await.unwrap());

    let again = pay(&store, &open.id, "S-2", vec![ipn(SHOP)]).await;
    assert!(matches!(again, Err(SessionPayError::NotOpen)), "{again:?}");
    assert!(store.transaction(&shop(SHOP), &reference("S-2")).await.unwrap().is_none());
    assert_eq!(store.notifications(Some(&shop(SHOP)), 10).await.unwrap().len(), 1);
    let unknown = {
        let (transaction, operation, card) = new_transaction(SHOP, "S-3", TransactionStatus::Captured, 2500, at());
        store
            .pay_payment_session("nope", transaction, operation, card, caisse_core::ports::Owed::notifications(vec![]))
            .await
    };
    assert!(matches!(unknown, Err(SessionPayError::NotOpen)));
}

pub async fn concurrent_payments_of_one_session_one_wins(db: &Db) {
    let first = db.open().await;
    let second = db.open().await;
    let open = session(SHOP);
    first.insert_payment_session(&open).await.unwrap();
    let mut tasks = JoinSet::new();
    for (n, store) in [first.clone(), second.clone(), first.clone(), second.clone()].into_iter().enumerate() {
        let id = open.id.clone();
        tasks.spawn(async move {
            let (transaction, operation, card) =
                new_transaction(SHOP, &format!("RACE-{n}"), TransactionStatus::Captured, 2500, at());
            store
                .pay_payment_session(
                    &id,
                    transaction,
                    operation,
                    card,
                    caisse_core::ports::Owed::notifications(vec![ipn(SHOP)]),
                )
                .await
        });
    }
    let mut paid = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => paid += 1,
            Err(SessionPayError::NotOpen) => {}
            Err(error) => panic!("{error}"),
        }
    }
    assert_eq!(paid, 1);
    assert_eq!(first.notifications(Some(&shop(SHOP)), 10).await.unwrap().len(), 1);
}

pub async fn an_abandonment_writes_its_notifications_once(db: &Db) {
    let store = db.open().await;
    let open = session(SHOP);
    store.insert_payment_session(&open).await.unwrap();
    let cancel = Notification { rule: NotificationRule::CancelOrAbandon, ..ipn(SHOP) };
    assert!(store.abandon_payment_session(&open.id, at(), vec![cancel.clone()]).await.unwrap());
    assert!(store.notification(&cancel.id).await.unwrap().is_some());
    // Not open any more: nothing written.
    let again = Notification { rule: NotificationRule::CancelOrAbandon, ..ipn(SHOP) };
    assert!(!store.abandon_payment_session(&open.id, at(), vec![again.clone()]).await.unwrap());
    assert!(store.notification(&again.id).await.unwrap().is_none());
}

pub async fn expired_unfinished_sessions_are_listed_oldest_first(db: &Db) {
    let store = db.open().await;
    let older = session(SHOP);
    let newer = PaymentSession::open(
        shop(SHOP),
        Mode::Test,
        older.payment.clone(),
        older.request.clone(),
        at() + Duration::minutes(1),
    );
    let paid = session(SHOP);
    // Paid by a transaction still waiting for 3-D Secure: unfinished too.
    let waiting = PaymentSession::open(
        shop(SHOP),
        Mode::Test,
        older.payment.clone(),
        older.request.clone(),
        at() + Duration::minutes(2),
    );
    for session in [&newer, &older, &paid, &waiting] {
        store.insert_payment_session(session).await.unwrap();
    }
    pay(&store, &paid.id, "S-EXP", vec![]).await.unwrap();
    let (transaction, operation, card) = new_transaction(SHOP, "S-WAIT", three_ds::WAITING, 2500, at());
    let authentication = ThreeDsAuthentication::new(&transaction, Enrolment::Challenge, at());
    let claim = ThreeDsClaim::PaymentSession(waiting.id.clone());
    store.insert_three_ds(transaction, operation, card, authentication, claim).await.unwrap();
    let ids = |sessions: Vec<PaymentSession>| sessions.into_iter().map(|session| session.id).collect::<Vec<_>>();
    assert!(store.expired_payment_sessions(at() + Duration::minutes(9), 10).await.unwrap().is_empty());
    let first = store.expired_payment_sessions(at() + Duration::minutes(10), 10).await.unwrap();
    assert_eq!(ids(first), vec![older.id.clone()]);
    let all = store.expired_payment_sessions(at() + Duration::minutes(20), 10).await.unwrap();
    assert_eq!(ids(all), [older.id.clone(), newer.id.clone(), waiting.id.clone()]);
    assert_eq!(ids(store.expired_payment_sessions(at() + Duration::minutes(20), 1).await.unwrap()), [older.id]);
}

pub async fn a_waiting_three_ds_payment_claims_its_session_once(db: &Db) {
    let store = db.open().await;
    let open = session(SHOP);
    store.insert_payment_session(&open).await.unwrap();
    let waiting = |reference: &str| {
        let (transaction, operation, card) = new_transaction(SHOP, reference, three_ds::WAITING, 2500, at());
        let authentication = ThreeDsAuthentication::new(&transaction, Enrolment::Challenge, at());
        (transaction, operation, card, authentication)
    };
    let (transaction, operation, card, authentication) = waiting("S-3DS-1");
    let claim = ThreeDsClaim::PaymentSession(open.id.clone());
    let stored = store.insert_three_ds(transaction, operation, card, authentication, claim.clone()).await.unwrap();
    let now = store.payment_session(&open.id).await.unwrap().unwrap();
    assert_eq!(now.status, SessionStatus::Paid(stored.id.clone()));

    let (transaction, operation, card, authentication) = waiting("S-3DS-2");
    let authentication_id = authentication.id.clone();
    let again = store.insert_three_ds(transaction, operation, card, authentication, claim).await;
    assert!(matches!(again, Err(SpendError::SessionNotOpen)), "{again:?}");
    assert!(store.transaction(&shop(SHOP), &reference("S-3DS-2")).await.unwrap().is_none());
    assert!(store.three_ds_authentication(&authentication_id).await.unwrap().is_none());
}
