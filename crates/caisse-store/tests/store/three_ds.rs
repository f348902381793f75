//! The cases of 3-D Secure: the waiting transaction and its authentication written together,
//! the ACS's decision once, the PaRes spent once with the transaction's move (never one
//! without the other), even when calls race. Re-exported by `cases`, so that `main.rs` runs
//! each on both backends.

use crate::cases::{SHOP, UNKNOWN_SHOP};
use crate::harness::{Db, at, new_transaction, shop};
use caisse_core::TransactionStatus;
use caisse_core::payment_token::SpendError;
use caisse_core::ports::{ChangeError, Store, ThreeDsClaim};
use caisse_core::three_ds::{self, Enrolment, HolderChoice, Outcome, PaResUse, ThreeDsAuthentication, ThreeDsRefusal};
use caisse_core::transaction::{AuthorisationDetails, Refusal, TransactionKey};
use chrono::Duration;
use std::sync::Arc;
use tokio::task::JoinSet;

/// The end-of-payment notification a completion owes, made from the transaction as changed.
fn owed() -> caisse_core::ports::OwedFn {
    Box::new(|tx: &caisse_core::Transaction| {
        let body = vec![("vads_trans_status".to_owned(), tx.status.as_str().to_owned())];
        let notification = caisse_core::notification::Notification::new(
            tx.shop_id.clone(),
            caisse_core::Mode::Test,
            caisse_core::notification::NotificationRule::EndOfPayment,
            "https://shop.example/ipn",
            body,
            at(),
        );
        caisse_core::ports::Owed::notifications(vec![
            notification.with_transaction(tx.id.clone(), Some(tx.reference.clone())),
        ])
    })
}

/// A waiting transaction and its authentication, inserted.
async fn waiting(store: &Arc<dyn Store>, reference: &str, enrolment: Enrolment) -> ThreeDsAuthentication {
    let (transaction, operation, card) = new_transaction(SHOP, reference, three_ds::WAITING, 1000, at());
    let authentication = ThreeDsAuthentication::new(&transaction, enrolment, at() + Duration::nanoseconds(321));
    let stored = store
        .insert_three_ds(transaction, operation, card, authentication.clone(), ThreeDsClaim::Nothing)
        .await
        .unwrap();
    assert_eq!(stored.status, TransactionStatus::ToAuthorize);
    authentication
}

fn authorised_details() -> AuthorisationDetails {
    AuthorisationDetails {
        acquirer_response_code: "00".into(),
        authorisation_id: Some("654321".into()),
        ..AuthorisationDetails::default()
    }
}

pub async fn three_ds_insert_and_read_back(db: &Db) {
    let store = db.open().await;
    let authentication = waiting(&store, "TDS1", Enrolment::Challenge).await;
    let read = store.three_ds_authentication(&authentication.id).await.unwrap().expect("stored");
    // Kept to the microsecond, as every instant.
    assert_eq!(read.created_at, at());
    assert_eq!(read.id, authentication.id);
    assert_eq!(read.enrolment, Enrolment::Challenge);
    assert_eq!(read.outcome, None);
    let by_transaction = store.three_ds_of_transaction(&authentication.transaction_id).await.unwrap();
    assert_eq!(by_transaction, Some(read));
    assert_eq!(store.three_ds_authentication("0123456789abcdef0123456789abcdef").await.unwrap(), None);
    // The key is derived from the vault key: stable, 64 hex digits' worth.
    assert_eq!(store.three_ds_message_key(), db.open().await.three_ds_message_key());
    assert!(store.three_ds_message_key().len() >= 32);
}

pub async fn three_ds_insert_is_atomic(db: &Db) {
    let store = db.open().await;
    waiting(&store, "TDS2", Enrolment::Challenge).await;
    // The same reference again: nothing of the second insert is kept.
    let (transaction, operation, card) = new_transaction(SHOP, "TDS2", three_ds::WAITING, 1000, at());
    let authentication = ThreeDsAuthentication::new(&transaction, Enrolment::Challenge, at());
    let error = store
        .insert_three_ds(transaction, operation, card, authentication.clone(), ThreeDsClaim::Nothing)
        .await
        .unwrap_err();
    assert!(matches!(error, SpendError::DuplicateReference), "{error:?}");
    assert_eq!(store.three_ds_authentication(&authentication.id).await.unwrap(), None);
    // An unknown shop: neither the transaction nor the authentication.
    let (transaction, operation, card) = new_transaction(UNKNOWN_SHOP, "TDS3", three_ds::WAITING, 1000, at());
    let authentication = ThreeDsAuthentication::new(&transaction, Enrolment::Challenge, at());
    assert!(
        store
            .insert_three_ds(transaction, operation, card, authentication.clone(), ThreeDsClaim::Nothing)
            .await
            .is_err()
    );
    assert_eq!(store.three_ds_authentication(&authentication.id).await.unwrap(), None);
}

pub async fn three_ds_decides_once(db: &Db) {
    let store = db.open().await;
    let authentication = waiting(&store, "TDS4", Enrolment::Challenge).await;
    let now = at();
    let decided = store
        .change_three_ds(&authentication.id, Box::new(move |current| current.decide(HolderChoice::Fail, now)))
        .await
        .unwrap();
    assert_eq!(decided.outcome, Some(Outcome::Failed));
    let again = store
        .change_three_ds(&authentication.id, Box::new(move |current| current.decide(HolderChoice::Authenticate, now)))
        .await
        .unwrap_err();
    assert!(matches!(again, ChangeError::Refused(ThreeDsRefusal::AlreadyDecided)), "{again:?}");
    let read = store.three_ds_authentication(&authentication.id).await.unwrap().unwrap();
    assert_eq!(read.outcome, Some(Outcome::Failed));
    let unknown = store
        .change_three_ds(
            "0123456789abcdef0123456789abcdef",
            Box::new(move |current| current.decide(HolderChoice::Fail, now)),
        )
        .await
        .unwrap_err();
    assert!(matches!(unknown, ChangeError::NotFound));
}

pub async fn three_ds_completes_both_or_neither(db: &Db) {
    let store = db.open().await;
    let authentication = waiting(&store, "TDS5", Enrolment::Frictionless).await;
    let now = at();
    store
        .change_three_ds(&authentication.id, Box::new(move |current| current.decide(HolderChoice::Cancel, now)))
        .await
        .unwrap();
    // The transaction was cancelled meanwhile: the PaRes stays unspent.
    let key = TransactionKey::Reference("TDS5".into());
    let currency = caisse_core::Currency::EUR;
    store
        .apply(&shop(SHOP), &key, Box::new(move |tx| caisse_core::transaction::cancel(tx, tx.amount, currency, now)))
        .await
        .unwrap();
    let spend = Box::new(move |current: &ThreeDsAuthentication| current.spend(PaResUse::Ordered, now));
    let authorise = Box::new(move |tx: &caisse_core::Transaction| {
        three_ds::authorise_waiting(tx, authorised_details(), Outcome::Authenticated, now)
    });
    let refused = store.complete_three_ds(&authentication.id, spend, authorise, owed()).await.unwrap_err();
    assert!(
        matches!(
            refused,
            ChangeError::Refused(ThreeDsRefusal::Transaction(Refusal::WrongStatus(TransactionStatus::Cancelled)))
        ),
        "{refused:?}"
    );
    let read = store.three_ds_authentication(&authentication.id).await.unwrap().unwrap();
    assert_eq!(read.pares_use, None, "spent without its transaction");
    assert!(store.notifications(Some(&shop(SHOP)), 10).await.unwrap().is_empty(), "notified without a change");
}

pub async fn three_ds_authorises_with_the_pares(db: &Db) {
    let store = db.open().await;
    let authentication = waiting(&store, "TDS6", Enrolment::Frictionless).await;
    let now = at() + Duration::seconds(5);
    store
        .change_three_ds(&authentication.id, Box::new(move |current| current.decide(HolderChoice::Authenticate, now)))
        .await
        .unwrap();
    let spend = Box::new(move |current: &ThreeDsAuthentication| current.spend(PaResUse::Ordered, now));
    let authorise = Box::new(move |tx: &caisse_core::Transaction| {
        three_ds::authorise_waiting(tx, authorised_details(), Outcome::Authenticated, now)
    });
    let (spent, transition) = store.complete_three_ds(&authentication.id, spend, authorise, owed()).await.unwrap();
    assert_eq!(spent.pares_use, Some(PaResUse::Ordered));
    let notifications = store.notifications(Some(&shop(SHOP)), 10).await.unwrap();
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0].transaction_id.as_ref(), Some(&transition.updated.id));
    assert_eq!(notifications[0].body, [("vads_trans_status".to_owned(), "TO_CAPTURE".to_owned())]);
    assert_eq!(transition.updated.status, TransactionStatus::ToCapture);
    let stored = store.transaction(&shop(SHOP), &TransactionKey::Reference("TDS6".into())).await.unwrap().unwrap();
    assert_eq!(stored.status, TransactionStatus::ToCapture);
    assert_eq!(stored.authorisation.holder_authent_status.as_deref(), Some("SUCCESS"));
    assert_eq!(stored.authorisation.guarantee_indicator.as_deref(), Some("Y"));
    assert_eq!(store.operations(&shop(SHOP), &TransactionKey::Reference("TDS6".into())).await.unwrap().len(), 2);
}

pub async fn concurrent_pares_spends_one_wins(db: &Db) {
    let store = db.open().await;
    let authentication = waiting(&store, "TDS7", Enrolment::Challenge).await;
    let now = at();
    store
        .change_three_ds(&authentication.id, Box::new(move |current| current.decide(HolderChoice::Authenticate, now)))
        .await
        .unwrap();
    let mut calls = JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        let id = authentication.id.clone();
        calls.spawn(async move {
            let spend = Box::new(move |current: &ThreeDsAuthentication| current.spend(PaResUse::Ordered, now));
            let authorise = Box::new(move |tx: &caisse_core::Transaction| {
                three_ds::authorise_waiting(tx, authorised_details(), Outcome::Authenticated, now)
            });
            store.complete_three_ds(&id, spend, authorise, owed()).await
        });
    }
    let mut won = 0;
    while let Some(result) = calls.join_next().await {
        match result.unwrap() {
            Ok(_) => won += 1,
            Err(ChangeError::Refused(ThreeDsRefusal::PaResUsed)) => {}
            Err(error) => panic!("unexpected {error:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.notifications(Some(&shop(SHOP)), 10).await.unwrap().len(), 1, "notified once");
    let operations = store.operations(&shop(SHOP), &TransactionKey::Reference("TDS7".into())).await.unwrap();
    assert_eq!(operations.len(), 2, "one AUTHOR at enrolment, one authorisation");
}
