//! The cases of notices of changes made after the payment (`apply_noticed`, the noticed
//! capture batch): written in the change's database transaction for a transaction a
//! hosted-page session paid (a refund's credit: its parent's session), never for a refused
//! change, a transaction no session paid or a shop whose rule is off, and a failing adapter
//! fails the change with them. Re-exported by `cases`, so that `main.rs` runs each on both
//! backends.

use crate::cases::{EUR, SHOP, reference};
use crate::harness::{Db, at, new_transaction, shop};
use caisse_core::notification::{Notification, NotificationRule, NotificationRules};
use caisse_core::payment_session::{PaymentSession, SessionPayment};
use caisse_core::ports::{
    ApplyError, BatchReport, LaterNotices, LaterSource, NoticeContext, Store, StoreError, TransitionFn,
};
use caisse_core::transaction::{self, OrderDetails, Transaction, TransactionId, TransactionKey, Transition};
use caisse_core::{Amount, CaptureMode, Currency, Mode, TransactionStatus};
use chrono::Duration;
use std::sync::{Arc, Mutex};

const RULE_URL: &str = "https://shop.example/later";

/// What the store handed the adapter for one notice.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Call {
    transaction: TransactionId,
    status: TransactionStatus,
    session: String,
    later_operations: bool,
    source: LaterSource,
}

/// An adapter that owes one notice per call and keeps what it was given; `failing` panics, as
/// a bug in the adapter would.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
    failing: bool,
}

impl Recorder {
    fn failing() -> Recorder {
        Recorder { failing: true, ..Recorder::default() }
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl LaterNotices for Recorder {
    fn notices(&self, transaction: &Transaction, context: &NoticeContext, source: LaterSource) -> Vec<Notification> {
        assert!(!self.failing, "the adapter failed");
        self.calls.lock().unwrap().push(Call {
            transaction: transaction.id.clone(),
            status: transaction.status,
            session: context.session.id.clone(),
            later_operations: context.rules.later_operations,
            source,
        });
        let body = vec![
            ("vads_trans_status".to_owned(), transaction.status.as_str().to_owned()),
            ("vads_url_check_src".to_owned(), format!("{source:?}")),
        ];
        let url = context.rules.url(context.session.mode).unwrap_or_default();
        vec![
            Notification::new(
                transaction.shop_id.clone(),
                transaction.mode,
                NotificationRule::LaterOperation,
                url,
                body,
                transaction.last_operation_at,
            )
            .with_transaction(transaction.id.clone(), Some(context.session.id.clone())),
        ]
    }
}

fn session() -> PaymentSession {
    let payment = SessionPayment {
        amount: Amount(1000),
        currency: Currency::EUR,
        capture_mode: CaptureMode::AuthorCapture,
        capture_day: 0,
        order: OrderDetails::default(),
    };
    PaymentSession::open(shop(SHOP), Mode::Test, payment, r#"{"pairs":[]}"#.into(), at())
}

async fn later_operations_on(store: &Arc<dyn Store>) -> NotificationRules {
    let rules = NotificationRules {
        later_operations: true,
        test_url: Some(RULE_URL.into()),
        ..NotificationRules::preloaded(shop(SHOP))
    };
    store.set_notification_rules(&rules).await.unwrap();
    rules
}

/// A transaction of `SHOP` paid by a new session; returns it and the session's id.
async fn paid_by_session(store: &Arc<dyn Store>, name: &str, status: TransactionStatus) -> (Transaction, String) {
    let open = session();
    store.insert_payment_session(&open).await.unwrap();
    let (transaction, operation, card) = new_transaction(SHOP, name, status, 1000, at());
    let paid = store
        .pay_payment_session(
            &open.id,
            transaction,
            operation,
            card,
            caisse_core::ports::Owed::notifications(Vec::new()),
        )
        .await
        .unwrap();
    (paid, open.id)
}

async fn later(store: &Arc<dyn Store>) -> Vec<Notification> {
    let mut found = store.notifications(Some(&shop(SHOP)), 50).await.unwrap();
    found.retain(|notification| notification.rule == NotificationRule::LaterOperation);
    found.reverse();
    found
}

fn cancel(amount: u64) -> TransitionFn {
    let now = at() + Duration::hours(1);
    Box::new(move |tx| transaction::cancel(tx, Amount(amount), EUR, now))
}

fn refund(amount: u64) -> TransitionFn {
    let now = at() + Duration::hours(1);
    Box::new(move |tx| transaction::refund(tx, Amount(amount), EUR, now))
}

fn by_id(transaction: &Transaction) -> TransactionKey {
    TransactionKey::Id(transaction.id.clone())
}

/// `transaction` of `SHOP` changed by the merchant, with the notices `notices` owes.
async fn by_merchant(
    store: &Arc<dyn Store>,
    transaction: &Transaction,
    change: TransitionFn,
    notices: Arc<Recorder>,
) -> Result<Transition, ApplyError> {
    store.apply_noticed(&shop(SHOP), &by_id(transaction), change, notices, LaterSource::Merchant).await
}

pub async fn a_later_change_commits_with_its_notice(db: &Db) {
    let store = db.open().await;
    later_operations_on(&store).await;
    let recorder = Arc::new(Recorder::default());
    let (paid, session_id) = paid_by_session(&store, "LATER-1", TransactionStatus::ToCapture).await;

    let changed = by_merchant(&store, &paid, cancel(400), recorder.clone()).await.unwrap();
    assert_eq!(changed.updated.amount, Amount(600));
    let call = Call {
        transaction: paid.id.clone(),
        status: TransactionStatus::ToCapture,
        session: session_id.clone(),
        later_operations: true,
        source: LaterSource::Merchant,
    };
    assert_eq!(recorder.calls(), [call]);
    let notices = later(&store).await;
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].url, RULE_URL);
    assert_eq!(notices[0].transaction_id.as_ref(), Some(&paid.id));
    assert_eq!(notices[0].created_at, changed.updated.last_operation_at);
    assert_eq!(store.notification(&notices[0].id).await.unwrap().as_ref(), Some(&notices[0]));

    // A refused change writes nothing, and the adapter is not even asked.
    let refused = by_merchant(&store, &paid, cancel(5000), recorder.clone()).await;
    assert!(matches!(refused, Err(ApplyError::Refused(_))), "{refused:?}");
    assert_eq!(recorder.calls().len(), 1);
    assert_eq!(later(&store).await.len(), 1);

    // A refund's notice is about the credit it spawned, made from its parent's session.
    let (captured, captured_session) = paid_by_session(&store, "LATER-2", TransactionStatus::Captured).await;
    let refunded = by_merchant(&store, &captured, refund(300), recorder.clone()).await.unwrap();
    let (credit, _) = refunded.spawned.expect("a refund spawns a credit");
    assert_eq!(recorder.calls()[1].transaction, credit.id);
    assert_eq!(recorder.calls()[1].session, captured_session);
    let notices = later(&store).await;
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[1].transaction_id.as_ref(), Some(&credit.id));
}

pub async fn no_notice_without_a_session_or_with_the_rule_off(db: &Db) {
    let store = db.open().await;
    let recorder = Arc::new(Recorder::default());
    let merchant = LaterSource::Merchant;

    // The shop never turned the rule on.
    let (paid, _) = paid_by_session(&store, "RULE-OFF", TransactionStatus::ToCapture).await;
    by_merchant(&store, &paid, cancel(100), recorder.clone()).await.unwrap();
    assert!(recorder.calls().is_empty());

    // No session paid it (a Sips or REST payment).
    later_operations_on(&store).await;
    let (transaction, operation, card) = new_transaction(SHOP, "NO-SESSION", TransactionStatus::ToCapture, 1000, at());
    store.insert_transaction(transaction, operation, card).await.unwrap();
    let key = reference("NO-SESSION");
    let changed = store.apply_noticed(&shop(SHOP), &key, cancel(1000), recorder.clone(), merchant).await.unwrap();
    assert_eq!(changed.updated.status, TransactionStatus::Cancelled);
    assert!(recorder.calls().is_empty());
    assert!(later(&store).await.is_empty());

    // Plain `apply` owes no notice either, session or not.
    store.apply(&shop(SHOP), &by_id(&paid), cancel(100)).await.unwrap();
    assert!(later(&store).await.is_empty());
}

pub async fn a_failing_notice_fails_its_change(db: &Db) {
    let store = db.open().await;
    later_operations_on(&store).await;
    let failing = Arc::new(Recorder::failing());
    let (paid, _) = paid_by_session(&store, "FAILING", TransactionStatus::ToCapture).await;

    let changed = by_merchant(&store, &paid, cancel(400), failing.clone()).await;
    assert!(matches!(changed, Err(ApplyError::Store(StoreError::Corrupt(_)))), "{changed:?}");
    assert_eq!(store.transaction(&shop(SHOP), &by_id(&paid)).await.unwrap().as_ref(), Some(&paid));
    assert_eq!(store.operations(&shop(SHOP), &by_id(&paid)).await.unwrap().len(), 1);

    let batch = store.run_capture_batch_noticed(at().date_naive(), at() + Duration::hours(12), failing).await;
    assert!(matches!(batch, Err(StoreError::Corrupt(_))), "{batch:?}");
    assert_eq!(store.transaction(&shop(SHOP), &by_id(&paid)).await.unwrap().as_ref(), Some(&paid));
    assert!(later(&store).await.is_empty());
}

pub async fn the_noticed_batch_notices_what_it_settles(db: &Db) {
    let store = db.open().await;
    later_operations_on(&store).await;
    let recorder = Arc::new(Recorder::default());
    let (due, due_session) = paid_by_session(&store, "BATCH-DUE", TransactionStatus::ToCapture).await;
    let (transaction, operation, card) = new_transaction(SHOP, "BATCH-PLAIN", TransactionStatus::ToCapture, 1000, at());
    let plain = store.insert_transaction(transaction, operation, card).await.unwrap();
    let (captured, captured_session) = paid_by_session(&store, "BATCH-REFUNDED", TransactionStatus::Captured).await;
    let refunded = store.apply(&shop(SHOP), &by_id(&captured), refund(250)).await.unwrap();
    let (credit, _) = refunded.spawned.expect("a refund spawns a credit");

    let now = at() + Duration::hours(12);
    let report = store.run_capture_batch_noticed(at().date_naive(), now, recorder.clone()).await.unwrap();
    assert_eq!(report, BatchReport { captured: 2, expired: 0, credited: 1 });
    let mut calls = recorder.calls();
    calls.sort_by(|a, b| a.transaction.as_str().cmp(b.transaction.as_str()));
    let batch = |transaction: &Transaction, status, session: &str| Call {
        transaction: transaction.id.clone(),
        status,
        session: session.to_owned(),
        later_operations: true,
        source: LaterSource::Batch,
    };
    let mut expected = vec![
        batch(&due, TransactionStatus::Captured, &due_session),
        batch(&credit, TransactionStatus::Credited, &captured_session),
    ];
    expected.sort_by(|a, b| a.transaction.as_str().cmp(b.transaction.as_str()));
    assert_eq!(calls, expected);
    let notices = later(&store).await;
    assert_eq!(notices.len(), 2);
    assert!(notices.iter().all(|notice| notice.created_at == now && notice.transaction_id.as_ref() != Some(&plain.id)));
    assert_eq!(
        store.transaction(&shop(SHOP), &by_id(&plain)).await.unwrap().unwrap().status,
        TransactionStatus::Captured
    );

    // Nothing left to settle: nothing more to notice.
    store.run_capture_batch_noticed(at().date_naive(), now, recorder.clone()).await.unwrap();
    assert_eq!(recorder.calls().len(), 2);
}
