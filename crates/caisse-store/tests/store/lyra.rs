//! The cases of the Sogecommerce (Lyra) contract: new transaction fields, refunds as CREDIT
//! transactions, orders, credentials, tokens, payment forms, subscriptions and installments.
//! Re-exported by `cases`, so that `main.rs` runs each on both backends.

use crate::cases::{EUR, LYRA_SEEDED, OTHER_SHOP, SHOP, UNKNOWN_SHOP, reference};
use crate::harness::{Db, PAN, at, new_subscription, new_token, new_transaction, shop};
use caisse_core::payment_form::{FormPurpose, PaymentForm};
use caisse_core::ports::{
    ApplyError, BatchReport, ChangeError, InsertError, Installment, InstallmentError, StoreError,
};
use caisse_core::subscription::{self, Subscription, SubscriptionChange, SubscriptionRefusal, SubscriptionStatus};
use caisse_core::token::{self, PaymentToken, SepaMandate, TokenMethod, TokenRefusal, TokenStatus};
use caisse_core::transaction::{self, CREDIT_REFERENCE_PREFIX, Refusal, TransactionKey};
use caisse_core::{
    Amount, LyraCredentials, Mode, OperationName, Pan, Transaction, TransactionId, TransactionKind, TransactionStatus,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::task::JoinSet;

fn by_id(id: &TransactionId) -> TransactionKey {
    TransactionKey::Id(id.clone())
}

/// Midnight, 2026-12-01: subscriptions' rules work in whole seconds.
fn day(offset: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::days(offset)
}

pub async fn new_transaction_fields_round_trip(db: &Db) {
    let store = db.open().await;
    let (mut transaction, operation, card) = new_transaction(SHOP, "FIELDS", TransactionStatus::ToCapture, 900, at());
    transaction.mode = Mode::Production;
    transaction.parent_id = Some(TransactionId::new());
    transaction.token_id = Some(transaction::new_uuid());
    transaction.subscription_id = Some("sub-fields".into());
    transaction.authorisation.network_transaction_id = Some("NTI-0123456789".into());
    let stored = store.insert_transaction(transaction.clone(), operation, card).await.unwrap();
    let mut expected = transaction;
    expected.s10_transaction_id = stored.s10_transaction_id;
    assert_eq!(stored, expected);
    let keys = [
        reference("FIELDS"),
        TransactionKey::S10 { id: stored.s10_transaction_id, date: at().date_naive() },
        by_id(&stored.id),
    ];
    for key in &keys {
        assert_eq!(store.transaction(&shop(SHOP), key).await.unwrap().as_ref(), Some(&stored), "{key:?}");
    }
    // A transition keeps them.
    let now = at() + Duration::minutes(1);
    let cancelled = store
        .apply(&shop(SHOP), &reference("FIELDS"), Box::new(move |tx| transaction::cancel(tx, Amount(100), EUR, now)))
        .await
        .unwrap();
    assert_eq!(cancelled.updated.mode, Mode::Production);
    assert_eq!(cancelled.updated.parent_id, stored.parent_id);
    assert_eq!(cancelled.updated.token_id, stored.token_id);
    assert_eq!(cancelled.updated.subscription_id, stored.subscription_id);
    assert_eq!(cancelled.updated.authorisation.network_transaction_id.as_deref(), Some("NTI-0123456789"));
    let read = store.transaction(&shop(SHOP), &reference("FIELDS")).await.unwrap();
    assert_eq!(read, Some(cancelled.updated));
    let by_order = store.transactions_by_order(&shop(SHOP), "order-FIELDS").await.unwrap();
    assert_eq!(by_order.len(), 1);
    assert_eq!(by_order[0].id, stored.id);
}

/// A row as written before the Lyra fields existed reads with their defaults.
pub async fn rows_without_the_new_fields_still_read(db: &Db) {
    let store = db.open().await;
    let id = "0123456789abcdef0123456789abcdef";
    let inserted = db
        .raw_column(&format!(
            "INSERT INTO transactions (row_id, id, shop_id, reference, s10_transaction_id, s10_date, \
             kind, status, currency, origin_amount, amount, refunded_amount, capture_mode, \
             capture_day, capture_date, created_at, last_operation, last_operation_at, details) \
             VALUES (900000, '{id}', '{SHOP}', 'OLD-ROW', 900000, '2026-11-28', 'DEBIT', 'CAPTURED', \
             'EUR', 100, 100, 0, 'AUTHOR_CAPTURE', 0, '2026-11-28', '2026-11-28T10:00:00.000000Z', \
             'AUTHOR', '2026-11-28T10:00:00.000000Z', \
             '{{\"authorisation\":{{\"acquirer_response_code\":\"00\"}},\"order\":{{\"order_id\":\"OLD\"}}}}') \
             RETURNING id"
        ))
        .await;
    assert_eq!(inserted, vec![id.as_bytes().to_vec()]);
    let read = store.transaction(&shop(SHOP), &reference("OLD-ROW")).await.unwrap().unwrap();
    assert_eq!(read.id, TransactionId(id.into()));
    assert_eq!(read.mode, Mode::Test);
    assert_eq!(read.parent_id, None);
    assert_eq!(read.token_id, None);
    assert_eq!(read.subscription_id, None);
    assert_eq!(read.authorisation.network_transaction_id, None);
    assert_eq!(read.order.order_id.as_deref(), Some("OLD"));
    // And it can still be refunded, its credit getting the new fields.
    let refunded = store
        .apply(&shop(SHOP), &reference("OLD-ROW"), Box::new(|tx| transaction::refund(tx, Amount(40), EUR, at())))
        .await
        .unwrap();
    let (credit, _) = refunded.spawned.unwrap();
    assert_eq!(credit.parent_id, Some(read.id));
    assert_eq!(store.transaction(&shop(SHOP), &by_id(&credit.id)).await.unwrap(), Some(credit));
}

pub async fn refund_inserts_its_credit(db: &Db) {
    let store = db.open().await;
    let id = shop(SHOP);
    let (parent, author, card) = new_transaction(SHOP, "REFUNDED", TransactionStatus::Captured, 1000, at());
    let card_id = card.as_ref().unwrap().summary.card_id.clone();
    let parent = store.insert_transaction(parent, author, card).await.unwrap();
    let key = reference("REFUNDED");
    let now = at() + Duration::hours(1) + Duration::nanoseconds(789);
    let refund = |amount: u64| -> caisse_core::ports::TransitionFn {
        Box::new(move |tx| transaction::refund(tx, Amount(amount), EUR, now))
    };

    let first = store.apply(&id, &key, refund(300)).await.unwrap();
    assert_eq!(first.updated.refunded_amount, Amount(300));
    let (credit, credit_operation) = first.spawned.clone().expect("a refund spawns a credit");
    assert_eq!(credit.kind, TransactionKind::Credit);
    assert_eq!(credit.status, TransactionStatus::ToCredit);
    assert_eq!(credit.amount, Amount(300));
    assert_eq!(credit.parent_id, Some(parent.id.clone()));
    assert_eq!(credit.reference, format!("{CREDIT_REFERENCE_PREFIX}{}", credit.id.as_str()));
    assert_eq!(credit.id.as_str(), first.operation.id, "REST V4 shows the refund's id as its credit's uuid");
    assert!((1..=999_999).contains(&credit.s10_transaction_id));
    assert_ne!(credit.s10_transaction_id, parent.s10_transaction_id);
    assert_eq!(credit.created_at, now - Duration::nanoseconds(789), "cut to microseconds as stored");
    assert_eq!(credit.card.as_ref().map(|card| card.card_id.as_str()), Some(card_id.as_str()));
    assert_eq!(credit_operation.name, OperationName::CreditFromTransaction);
    assert_eq!(credit_operation.transaction_id, credit.id);

    // Readable by every key, with its own operation; its card is the parent's vault entry.
    let credit_keys = [
        by_id(&credit.id),
        reference(&credit.reference),
        TransactionKey::S10 { id: credit.s10_transaction_id, date: now.date_naive() },
    ];
    for credit_key in &credit_keys {
        assert_eq!(store.transaction(&id, credit_key).await.unwrap().as_ref(), Some(&credit), "{credit_key:?}");
    }
    assert_eq!(store.operations(&id, &by_id(&credit.id)).await.unwrap(), vec![credit_operation]);
    assert_eq!(store.reveal_pan(&id, &card_id).await.unwrap(), Some(Pan::parse(PAN).unwrap()));
    assert_eq!(store.transaction(&shop(OTHER_SHOP), &by_id(&credit.id)).await.unwrap(), None);

    // A refused refund inserts nothing.
    let refused = store.apply(&id, &key, refund(701)).await;
    assert!(matches!(refused, Err(ApplyError::Refused(Refusal::ExceedsRemaining { remaining: Amount(700) }))));
    let order = store.transactions_by_order(&id, "order-REFUNDED").await.unwrap();
    assert_eq!(order, vec![first.updated.clone(), credit.clone()]);

    let last = store.apply(&id, &key, refund(700)).await.unwrap();
    assert_eq!(last.updated.status, TransactionStatus::Credited);
    let (second, _) = last.spawned.clone().unwrap();
    assert_eq!(second.amount, Amount(700));
    assert_ne!(second.id, credit.id);
    let order = store.transactions_by_order(&id, "order-REFUNDED").await.unwrap();
    assert_eq!(order, vec![last.updated.clone(), credit.clone(), second.clone()]);
    let refused = store.apply(&id, &key, refund(1)).await;
    assert!(matches!(refused, Err(ApplyError::Refused(Refusal::WrongStatus(TransactionStatus::Credited)))));
    assert_eq!(store.transactions_by_order(&id, "order-REFUNDED").await.unwrap().len(), 3);
    let credits = db.raw_column("SELECT CAST(COUNT(*) AS TEXT) FROM transactions WHERE kind = 'CREDIT'").await;
    assert_eq!(credits, vec![b"2".to_vec()]);

    // The batch credits them; the parent, already CREDITED, is left alone.
    let report = store.run_capture_batch(now.date_naive(), now).await.unwrap();
    assert_eq!(report, BatchReport { captured: 0, expired: 0, credited: 2 });
    for credit in [&credit, &second] {
        let settled = store.transaction(&id, &by_id(&credit.id)).await.unwrap().unwrap();
        assert_eq!(settled.status, TransactionStatus::Credited);
        assert_eq!(settled.last_operation, OperationName::CreditCapture);
    }
    assert_eq!(store.transaction(&id, &key).await.unwrap(), Some(last.updated));
}

pub async fn concurrent_refunds_insert_one_credit_each(db: &Db) {
    // Two pools, as two caisse processes on one database would have.
    let stores = [db.open().await, db.open().await];
    let (parent, author, card) = new_transaction(SHOP, "MANY-REFUNDS", TransactionStatus::Captured, 1000, at());
    let parent = stores[0].insert_transaction(parent, author, card).await.unwrap();
    let now = at() + Duration::minutes(5);
    let mut tasks = JoinSet::new();
    // 10 + 11 + … + 59 = 1725: more than the 1000 captured.
    for index in 0..50u64 {
        let store = Arc::clone(&stores[(index % 2) as usize]);
        tasks.spawn(async move {
            let amount = Amount(10 + index);
            store
                .apply(
                    &shop(SHOP),
                    &reference("MANY-REFUNDS"),
                    Box::new(move |tx| transaction::refund(tx, amount, EUR, now)),
                )
                .await
        });
    }
    let mut spawned = Vec::new();
    let mut refused = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(transition) => {
                let (credit, _) = transition.spawned.expect("an accepted refund spawns a credit");
                assert_eq!(credit.amount, transition.operation.amount);
                spawned.push(credit);
            }
            Err(ApplyError::Refused(
                Refusal::ExceedsRemaining { .. } | Refusal::WrongStatus(TransactionStatus::Credited),
            )) => refused += 1,
            Err(other) => panic!("unexpected apply error: {other}"),
        }
    }
    assert!(refused > 0);
    let stored = stores[1].transaction(&shop(SHOP), &by_id(&parent.id)).await.unwrap().unwrap();
    let order = stores[1].transactions_by_order(&shop(SHOP), "order-MANY-REFUNDS").await.unwrap();
    assert_eq!(order[0].id, parent.id, "the parent is the oldest");
    let credits: Vec<&Transaction> = order.iter().filter(|tx| tx.kind == TransactionKind::Credit).collect();
    assert_eq!(credits.len(), spawned.len());
    assert_eq!(order.len(), credits.len() + 1);
    let credited: u64 = credits.iter().map(|credit| credit.amount.0).sum();
    assert_eq!(Amount(credited), stored.refunded_amount);
    assert!(credits.iter().all(|credit| credit.parent_id.as_ref() == Some(&parent.id)));
    let s10s: HashSet<u32> = credits.iter().map(|credit| credit.s10_transaction_id).collect();
    assert_eq!(s10s.len(), credits.len(), "each credit has its own s10 id");
    let mut spawned_ids: Vec<&TransactionId> = spawned.iter().map(|credit| &credit.id).collect();
    let mut listed_ids: Vec<&TransactionId> = credits.iter().map(|credit| &credit.id).collect();
    spawned_ids.sort();
    listed_ids.sort();
    assert_eq!(spawned_ids, listed_ids);
    // One REFUND operation on the parent per credit.
    let refunds = stores[0]
        .operations(&shop(SHOP), &by_id(&parent.id))
        .await
        .unwrap()
        .iter()
        .filter(|operation| operation.name == OperationName::Refund)
        .count();
    assert_eq!(refunds, credits.len());

    let report = stores[0].run_capture_batch(now.date_naive(), now).await.unwrap();
    assert_eq!(report, BatchReport { captured: 0, expired: 0, credited: credits.len() as u64 });
    let order = stores[0].transactions_by_order(&shop(SHOP), "order-MANY-REFUNDS").await.unwrap();
    assert!(
        order.iter().filter(|tx| tx.kind == TransactionKind::Credit).all(|tx| tx.status == TransactionStatus::Credited)
    );
}

pub async fn transactions_by_order_lists_oldest_first(db: &Db) {
    let store = db.open().await;
    let mut inserted = Vec::new();
    // Inserted out of creation order.
    for (name, offset) in [("LATE", 2), ("EARLY", 0), ("MIDDLE", 1)] {
        let (mut transaction, operation, card) =
            new_transaction(SHOP, name, TransactionStatus::Captured, 100, at() + Duration::hours(offset));
        transaction.order.order_id = Some("ORDER-1".into());
        inserted.push(store.insert_transaction(transaction, operation, card).await.unwrap());
    }
    // Same creation instant: insertion order.
    let (mut tie, operation, card) =
        new_transaction(SHOP, "MIDDLE-2", TransactionStatus::Captured, 100, at() + Duration::hours(1));
    tie.order.order_id = Some("ORDER-1".into());
    let tie = store.insert_transaction(tie, operation, card).await.unwrap();
    let (mut other_order, operation, card) =
        new_transaction(SHOP, "OTHER-ORDER", TransactionStatus::Captured, 100, at());
    other_order.order.order_id = Some("ORDER-2".into());
    store.insert_transaction(other_order, operation, card).await.unwrap();
    let (mut no_order, operation, card) = new_transaction(SHOP, "NO-ORDER", TransactionStatus::Captured, 100, at());
    no_order.order.order_id = None;
    store.insert_transaction(no_order, operation, card).await.unwrap();
    let (mut theirs, operation, card) = new_transaction(OTHER_SHOP, "THEIRS", TransactionStatus::Captured, 100, at());
    theirs.order.order_id = Some("ORDER-1".into());
    let theirs = store.insert_transaction(theirs, operation, card).await.unwrap();

    let listed = store.transactions_by_order(&shop(SHOP), "ORDER-1").await.unwrap();
    let references: Vec<&str> = listed.iter().map(|tx| tx.reference.as_str()).collect();
    assert_eq!(references, ["EARLY", "MIDDLE", "MIDDLE-2", "LATE"]);
    assert_eq!(listed[0], inserted[1]);
    assert_eq!(listed[2], tie);
    assert_eq!(store.transactions_by_order(&shop(OTHER_SHOP), "ORDER-1").await.unwrap(), vec![theirs]);
    assert!(store.transactions_by_order(&shop(SHOP), "ORDER-3").await.unwrap().is_empty());
    assert!(store.transactions_by_order(&shop(UNKNOWN_SHOP), "ORDER-1").await.unwrap().is_empty());
    assert!(store.transactions_by_order(&shop(SHOP), "").await.unwrap().is_empty());
}

pub async fn lyra_credentials_are_seeded_and_set(db: &Db) {
    let store = db.open().await;
    // PROTOCOLS.md section 2, written out here so that a wrong seed fails.
    let demo = LyraCredentials {
        shop_id: shop("69876357"),
        test_password: "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M".into(),
        production_password: "prodpassword_DEMOPRIVATEKEY69876357CAISSE".into(),
        test_hmac_key: "38453613e7f44dc58732bad3dca2bca3".into(),
        production_hmac_key: "69876357prodhmackey00000000000000".into(),
    };
    let sogecommerce = LyraCredentials {
        shop_id: shop("61881992"),
        test_password: "testpassword_SOGECOMMERCE61881992".into(),
        production_password: "prodpassword_SOGECOMMERCE61881992".into(),
        test_hmac_key: "61881992hmackey0000000000000000".into(),
        production_hmac_key: "61881992prodhmackey000000000000".into(),
    };
    assert_eq!(store.lyra_credentials(&demo.shop_id).await.unwrap().as_ref(), Some(&demo));
    assert_eq!(store.lyra_credentials(&sogecommerce.shop_id).await.unwrap().as_ref(), Some(&sogecommerce));
    assert_eq!(demo.password(Mode::Production), "prodpassword_DEMOPRIVATEKEY69876357CAISSE");
    let shops = store.list_shops().await.unwrap();
    for (id, name) in [("69876357", "Demo shop"), ("61881992", "Sogecommerce shop")] {
        assert!(LYRA_SEEDED.contains(&id));
        let listed = shops.iter().find(|listed| listed.id == shop(id)).expect(id);
        assert_eq!(listed.name, name);
        assert!(listed.keys.is_empty(), "a Lyra shop has no Sips keys");
        assert_eq!(store.shop(&shop(id)).await.unwrap().as_ref(), Some(listed));
    }
    // A Sips shop has none until they are set; setting again replaces them.
    assert_eq!(store.lyra_credentials(&shop(SHOP)).await.unwrap(), None);
    let mut set = LyraCredentials {
        shop_id: shop(SHOP),
        test_password: "testpassword_ONE".into(),
        production_password: "prodpassword_ONE".into(),
        test_hmac_key: "hmac-test-one".into(),
        production_hmac_key: "hmac-prod-one".into(),
    };
    store.set_lyra_credentials(&set).await.unwrap();
    assert_eq!(store.lyra_credentials(&shop(SHOP)).await.unwrap().as_ref(), Some(&set));
    set.test_password = "testpassword_TWO".into();
    set.production_hmac_key = "hmac-prod-two".into();
    store.set_lyra_credentials(&set).await.unwrap();
    assert_eq!(store.lyra_credentials(&shop(SHOP)).await.unwrap().as_ref(), Some(&set));
    assert_eq!(store.lyra_credentials(&shop(OTHER_SHOP)).await.unwrap(), None);
    assert_eq!(store.lyra_credentials(&demo.shop_id).await.unwrap().as_ref(), Some(&demo));
    // The shop must exist.
    let unknown = LyraCredentials { shop_id: shop(UNKNOWN_SHOP), ..set };
    let refused = store.set_lyra_credentials(&unknown).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    assert_eq!(store.lyra_credentials(&shop(UNKNOWN_SHOP)).await.unwrap(), None);
    // Seeded once: reopening changes nothing.
    drop(store);
    let store = db.open().await;
    assert_eq!(store.lyra_credentials(&demo.shop_id).await.unwrap(), Some(demo));
    assert_eq!(store.list_shops().await.unwrap(), shops);
}

pub async fn token_with_verification_and_card(db: &Db) {
    let store = db.open().await;
    let (token, (verification, operation), card) = new_token(SHOP, at() + Duration::nanoseconds(321));
    let card_id = card.summary.card_id.clone();
    let stored =
        store.insert_token(token.clone(), Some((verification.clone(), operation.clone())), Some(card)).await.unwrap();
    let mut expected = token.clone();
    expected.created_at = at();
    assert_eq!(stored, expected);
    assert_eq!(store.token(&shop(SHOP), &token.id).await.unwrap().as_ref(), Some(&stored));
    assert_eq!(store.token(&shop(OTHER_SHOP), &token.id).await.unwrap(), None);
    assert_eq!(store.token(&shop(SHOP), "00000000000000000000000000000000").await.unwrap(), None);
    assert_eq!(store.reveal_pan(&shop(SHOP), &card_id).await.unwrap(), Some(Pan::parse(PAN).unwrap()));
    assert_eq!(stored.card().map(|card| card.card_id.as_str()), Some(card_id.as_str()));
    // The payment-by-token read: the token and its clear PAN together, never another shop's.
    let (with_card, pan) = store.token_card(&shop(SHOP), &token.id).await.unwrap().unwrap();
    assert_eq!(with_card, stored);
    assert_eq!(pan, Some(Pan::parse(PAN).unwrap()));
    assert!(store.token_card(&shop(OTHER_SHOP), &token.id).await.unwrap().is_none());
    // The verification is a transaction like any other, with its s10 id.
    let read = store.transaction(&shop(SHOP), &reference(&token.id)).await.unwrap().unwrap();
    assert_eq!(read.id, verification.id);
    assert_eq!(read.kind, TransactionKind::Verification);
    assert_eq!(read.token_id.as_deref(), Some(token.id.as_str()));
    assert_eq!(read.mode, Mode::Production);
    assert_eq!(read.authorisation.network_transaction_id, token.initial_issuer_transaction_identifier);
    assert!((1..=999_999).contains(&read.s10_transaction_id));
    let s10 = TransactionKey::S10 { id: read.s10_transaction_id, date: at().date_naive() };
    assert_eq!(store.transaction(&shop(SHOP), &s10).await.unwrap().as_ref(), Some(&read));
    let mut expected_operation = operation;
    expected_operation.at = at();
    assert_eq!(store.operations(&shop(SHOP), &by_id(&read.id)).await.unwrap(), vec![expected_operation]);

    // The same token id again: refused, with or without a verification, and nothing of it kept.
    let (mut again, (mut again_verification, mut again_operation), again_card) = new_token(SHOP, at());
    let again_card_id = again_card.summary.card_id.clone();
    again.id = token.id.clone();
    let without = store.insert_token(again.clone(), None, None).await;
    assert!(matches!(without, Err(InsertError::DuplicateReference)), "{without:?}");
    again_verification.reference = transaction::new_uuid();
    again_operation.transaction_id = again_verification.id.clone();
    let again_id = again_verification.id.clone();
    let with = store.insert_token(again, Some((again_verification, again_operation)), Some(again_card)).await;
    assert!(matches!(with, Err(InsertError::DuplicateReference)), "{with:?}");
    assert_eq!(store.transaction(&shop(SHOP), &by_id(&again_id)).await.unwrap(), None);
    assert_eq!(store.reveal_pan(&shop(SHOP), &again_card_id).await.unwrap(), None);
    assert_eq!(store.token(&shop(SHOP), &token.id).await.unwrap(), Some(stored));

    // A token of an unknown shop.
    let (unknown, (unknown_verification, unknown_operation), _) = new_token(UNKNOWN_SHOP, at());
    let refused = store.insert_token(unknown.clone(), Some((unknown_verification, unknown_operation)), None).await;
    assert!(matches!(refused, Err(InsertError::Store(StoreError::NotFound))), "{refused:?}");
    assert_eq!(store.token(&shop(UNKNOWN_SHOP), &unknown.id).await.unwrap(), None);

    // A vault entry that clashes: the token and its verification go too.
    let (clash, (clash_verification, clash_operation), mut clash_card) = new_token(SHOP, at());
    clash_card.summary.card_id = card_id;
    let clash_id = clash_verification.id.clone();
    let refused =
        store.insert_token(clash.clone(), Some((clash_verification, clash_operation)), Some(clash_card)).await;
    assert!(matches!(refused, Err(InsertError::Store(StoreError::AlreadyExists))), "{refused:?}");
    assert_eq!(store.token(&shop(SHOP), &clash.id).await.unwrap(), None);
    assert_eq!(store.transaction(&shop(SHOP), &by_id(&clash_id)).await.unwrap(), None);

    // A token from an existing transaction: no verification, no new vault entry. And a SEPA
    // mandate token, without a card.
    let (mut reused, _, _) = new_token(SHOP, at());
    reused.method = token.method.clone();
    reused.customer = serde_json::Map::new();
    reused.initial_issuer_transaction_identifier = None;
    reused.mode = Mode::Test;
    assert_eq!(store.insert_token(reused.clone(), None, None).await.unwrap(), reused);
    assert_eq!(store.token(&shop(SHOP), &reused.id).await.unwrap(), Some(reused));
    let (mut sepa, _, _) = new_token(SHOP, at());
    sepa.method = TokenMethod::Sdd {
        mandate: SepaMandate {
            rum: "RUM-0001".into(),
            masked_iban: "FR76XXXXXXXXXXXXXXXXXXX0189".into(),
            bic: Some("SOGEFRPP".into()),
            signed_at: at(),
        },
    };
    assert_eq!(store.insert_token(sepa.clone(), None, None).await.unwrap(), sepa);
    let read = store.token(&shop(SHOP), &sepa.id).await.unwrap().unwrap();
    assert_eq!(read, sepa);
    assert!(read.card().is_none());
}

pub async fn change_token_cancels_and_reactivates(db: &Db) {
    let store = db.open().await;
    let (token, _, card) = new_token(SHOP, at());
    let token = store.insert_token(token, None, Some(card)).await.unwrap();
    let id = shop(SHOP);
    let later = at() + Duration::hours(2) + Duration::nanoseconds(5);

    let cancelled = store.change_token(&id, &token.id, Box::new(move |t| token::cancel(t, later))).await.unwrap();
    assert_eq!(cancelled.status, TokenStatus::Cancelled);
    assert_eq!(cancelled.cancelled_at, Some(at() + Duration::hours(2)), "cut to microseconds as stored");
    assert_eq!(store.token(&id, &token.id).await.unwrap().as_ref(), Some(&cancelled));

    // A refusal leaves it as it was.
    let again = store.change_token(&id, &token.id, Box::new(move |t| token::cancel(t, later))).await;
    assert!(matches!(again, Err(ChangeError::Refused(TokenRefusal::AlreadyCancelled))), "{again:?}");
    assert_eq!(store.token(&id, &token.id).await.unwrap().as_ref(), Some(&cancelled));

    let reactivated = store.change_token(&id, &token.id, Box::new(token::reactivate)).await.unwrap();
    assert_eq!(reactivated, token);
    assert_eq!(store.token(&id, &token.id).await.unwrap().as_ref(), Some(&token));
    let again = store.change_token(&id, &token.id, Box::new(token::reactivate)).await;
    assert!(matches!(again, Err(ChangeError::Refused(TokenRefusal::AlreadyActive))), "{again:?}");

    // Unknown, or another shop's: not found.
    let unknown = store.change_token(&id, "ffffffffffffffffffffffffffffffff", Box::new(token::reactivate)).await;
    assert!(matches!(unknown, Err(ChangeError::NotFound)), "{unknown:?}");
    let theirs = store.change_token(&shop(OTHER_SHOP), &token.id, Box::new(move |t| token::cancel(t, later))).await;
    assert!(matches!(theirs, Err(ChangeError::NotFound)), "{theirs:?}");

    // A change that panics or renames the token is a bug: an error, nothing written.
    let panicked = store.change_token(&id, &token.id, Box::new(|_| panic!("a bug in a change"))).await;
    assert!(matches!(panicked, Err(ChangeError::Store(StoreError::Corrupt(_)))), "{panicked:?}");
    let renamed = store
        .change_token(
            &id,
            &token.id,
            Box::new(|t| Ok(PaymentToken { id: "0".repeat(32), status: TokenStatus::Cancelled, ..t.clone() })),
        )
        .await;
    assert!(matches!(renamed, Err(ChangeError::Store(StoreError::Corrupt(_)))), "{renamed:?}");
    assert_eq!(store.token(&id, &token.id).await.unwrap().as_ref(), Some(&token));

    // Concurrent cancels (two pools): exactly one succeeds.
    let other = db.open().await;
    // Connections ready in both pools, so that the changes below really start together.
    let mut warm_up = JoinSet::new();
    for index in 0..20 {
        let store = if index % 2 == 0 { Arc::clone(&store) } else { Arc::clone(&other) };
        warm_up.spawn(async move { store.ping().await });
    }
    while let Some(joined) = warm_up.join_next().await {
        joined.unwrap().unwrap();
    }
    let mut tasks = JoinSet::new();
    let start = Arc::new(tokio::sync::Barrier::new(20));
    for index in 0..20 {
        let store = if index % 2 == 0 { Arc::clone(&store) } else { Arc::clone(&other) };
        let token_id = token.id.clone();
        let when = later + Duration::seconds(index);
        let start = Arc::clone(&start);
        // All at once, and slow: without the row lock, others would read the token meanwhile.
        let change = Box::new(move |t: &PaymentToken| {
            std::thread::sleep(std::time::Duration::from_millis(5));
            token::cancel(t, when)
        });
        tasks.spawn(async move {
            start.wait().await;
            store.change_token(&shop(SHOP), &token_id, change).await
        });
    }
    let mut winners = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(cancelled) => winners.push(cancelled),
            Err(ChangeError::Refused(TokenRefusal::AlreadyCancelled)) => {}
            Err(other) => panic!("unexpected change error: {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(other.token(&id, &token.id).await.unwrap().as_ref(), winners.first());
}

pub async fn payment_form_round_trips(db: &Db) {
    let store = db.open().await;
    let mut request = serde_json::Map::new();
    request.insert("orderId".into(), serde_json::json!("FORM-1"));
    request.insert("customer".into(), serde_json::json!({"email": "client@example.com", "name": "Zoé ✓"}));
    let form = PaymentForm {
        form_token: "01AbCdEf-_token0123456789abcdefghijklmnopqrstuvwx".into(),
        shop_id: shop(LYRA_SEEDED[1]),
        mode: Mode::Production,
        purpose: FormPurpose::RegisterPay,
        amount: Amount(4250),
        currency: EUR,
        request,
        created_at: at(),
        expires_at: at() + Duration::minutes(15),
        consumed_at: None,
    };
    store.insert_payment_form(&form).await.unwrap();
    assert_eq!(store.payment_form(&form.form_token).await.unwrap().as_ref(), Some(&form));
    assert_eq!(store.payment_form("unknown").await.unwrap(), None);
    for purpose in [FormPurpose::Payment, FormPurpose::Register] {
        let other = PaymentForm {
            form_token: format!("token-{purpose:?}"),
            purpose,
            mode: Mode::Test,
            consumed_at: Some(at() + Duration::minutes(1)),
            request: serde_json::Map::new(),
            ..form.clone()
        };
        store.insert_payment_form(&other).await.unwrap();
        assert_eq!(store.payment_form(&other.form_token).await.unwrap(), Some(other));
    }
    let again = store.insert_payment_form(&PaymentForm { amount: Amount(1), ..form.clone() }).await;
    assert!(matches!(again, Err(StoreError::AlreadyExists)), "{again:?}");
    assert_eq!(store.payment_form(&form.form_token).await.unwrap().as_ref(), Some(&form));
    let unknown =
        store.insert_payment_form(&PaymentForm { form_token: "x".into(), shop_id: shop(UNKNOWN_SHOP), ..form }).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    assert_eq!(store.payment_form("x").await.unwrap(), None);
}

pub async fn subscriptions_insert_read_and_change(db: &Db) {
    let store = db.open().await;
    let id = shop(SHOP);
    let (token, _, card) = new_token(SHOP, at());
    store.insert_token(token.clone(), None, Some(card)).await.unwrap();
    let subscription = new_subscription(SHOP, "SUB-1", &token.id, day(0));
    assert_eq!(subscription.next_due_at, Some(day(0)));
    assert_eq!(subscription.total_payments_number, Some(5));
    store.insert_subscription(&subscription).await.unwrap();
    assert_eq!(store.subscription(&id, "SUB-1").await.unwrap().as_ref(), Some(&subscription));
    assert_eq!(store.subscription(&shop(OTHER_SHOP), "SUB-1").await.unwrap(), None);
    assert_eq!(store.subscription(&id, "SUB-2").await.unwrap(), None);

    // Ids are per shop.
    let again = store.insert_subscription(&Subscription { amount: Amount(1), ..subscription.clone() }).await;
    assert!(matches!(again, Err(InsertError::DuplicateReference)), "{again:?}");
    assert_eq!(store.subscription(&id, "SUB-1").await.unwrap().as_ref(), Some(&subscription));
    let theirs = Subscription { shop_id: shop(OTHER_SHOP), amount: Amount(7), ..subscription.clone() };
    store.insert_subscription(&theirs).await.unwrap();
    assert_eq!(store.subscription(&shop(OTHER_SHOP), "SUB-1").await.unwrap(), Some(theirs));
    let unknown =
        store.insert_subscription(&Subscription { shop_id: shop(UNKNOWN_SHOP), ..subscription.clone() }).await;
    assert!(matches!(unknown, Err(InsertError::Store(StoreError::NotFound))), "{unknown:?}");

    // Update before it starts.
    let update = SubscriptionChange {
        amount: Amount(2500),
        currency: EUR,
        initial_amount: None,
        initial_amount_number: 0,
        effect_date: day(3),
        rrule: "FREQ=WEEKLY;COUNT=3".into(),
    };
    let now = at();
    let changed = store
        .change_subscription(
            &id,
            "SUB-1",
            Box::new(move |current| {
                subscription::change(current, update, now)?.map_err(|_| SubscriptionRefusal::AlreadyStarted)
            }),
        )
        .await
        .unwrap();
    assert_eq!(changed.amount, Amount(2500));
    assert_eq!(changed.next_due_at, Some(day(3)));
    assert_eq!(changed.total_payments_number, Some(3));
    assert_eq!(store.subscription(&id, "SUB-1").await.unwrap().as_ref(), Some(&changed));

    // Cancel; a second cancel is refused and changes nothing.
    let cancelled_at = at() + Duration::hours(1);
    let cancelled = store
        .change_subscription(&id, "SUB-1", Box::new(move |current| subscription::cancel(current, cancelled_at, None)))
        .await
        .unwrap();
    assert_eq!(cancelled.status, SubscriptionStatus::Cancelled);
    assert_eq!(cancelled.next_due_at, None);
    assert_eq!(cancelled.cancelled_at, Some(cancelled_at));
    assert_eq!(store.subscription(&id, "SUB-1").await.unwrap().as_ref(), Some(&cancelled));
    let again = store
        .change_subscription(&id, "SUB-1", Box::new(move |current| subscription::cancel(current, cancelled_at, None)))
        .await;
    assert!(matches!(again, Err(ChangeError::Refused(SubscriptionRefusal::AlreadyCancelled))), "{again:?}");
    assert_eq!(store.subscription(&id, "SUB-1").await.unwrap(), Some(cancelled));
    let unknown = store
        .change_subscription(&id, "SUB-9", Box::new(move |current| subscription::cancel(current, cancelled_at, None)))
        .await;
    assert!(matches!(unknown, Err(ChangeError::NotFound)), "{unknown:?}");
    let renamed = store
        .change_subscription(
            &shop(OTHER_SHOP),
            "SUB-1",
            Box::new(|current| Ok(Subscription { id: "SUB-X".into(), ..current.clone() })),
        )
        .await;
    assert!(matches!(renamed, Err(ChangeError::Store(StoreError::Corrupt(_)))), "{renamed:?}");
    assert_eq!(store.subscription(&shop(OTHER_SHOP), "SUB-X").await.unwrap(), None);
}

pub async fn due_subscriptions_oldest_first(db: &Db) {
    let store = db.open().await;
    let (token, _, card) = new_token(SHOP, at());
    store.insert_token(token.clone(), None, Some(card)).await.unwrap();
    let cases =
        [(SHOP, "DUE-3", 2), (SHOP, "DUE-1", 0), (OTHER_SHOP, "DUE-2", 1), (SHOP, "FUTURE", 10), (SHOP, "STOPPED", -1)];
    for (shop_id, id, offset) in cases {
        store.insert_subscription(&new_subscription(shop_id, id, &token.id, day(offset))).await.unwrap();
    }
    // Cancelled with its due date kept: the status alone must exclude it.
    store
        .change_subscription(
            &shop(SHOP),
            "STOPPED",
            Box::new(|current| Ok(Subscription { status: SubscriptionStatus::Cancelled, ..current.clone() })),
        )
        .await
        .unwrap();
    let ids = |due: Vec<Subscription>| due.into_iter().map(|subscription| subscription.id).collect::<Vec<_>>();
    let now = day(5);
    assert_eq!(ids(store.due_subscriptions(now, 10).await.unwrap()), ["DUE-1", "DUE-2", "DUE-3"]);
    assert_eq!(ids(store.due_subscriptions(now, 2).await.unwrap()), ["DUE-1", "DUE-2"]);
    assert!(store.due_subscriptions(now, 0).await.unwrap().is_empty());
    // Due exactly at `now` is due.
    assert_eq!(ids(store.due_subscriptions(day(1), 10).await.unwrap()), ["DUE-1", "DUE-2"]);
    assert!(store.due_subscriptions(day(-2), 10).await.unwrap().is_empty());
    let due = store.due_subscriptions(now, 1).await.unwrap();
    assert_eq!(due, vec![store.subscription(&shop(SHOP), "DUE-1").await.unwrap().unwrap()]);
}

/// The installment due at the subscription's `next_due_at`, paid by its token's card.
fn installment(subscription: &Subscription, token: &PaymentToken, reference: &str) -> Installment {
    let due = subscription.next_due_at.unwrap();
    let (mut transaction, operation, _) =
        new_transaction(subscription.shop_id.as_str(), reference, TransactionStatus::ToCapture, 500, due);
    transaction.card = token.card().cloned();
    transaction.token_id = Some(token.id.clone());
    transaction.subscription_id = Some(subscription.id.clone());
    transaction.order.order_id = subscription.order_id.clone();
    transaction.order.payment_pattern = Some("RECURRING_N".into());
    Installment {
        transaction,
        operation,
        expected_due_at: due,
        subscription: subscription.after_installment().unwrap(),
    }
}

pub async fn record_installment_once(db: &Db) {
    let store = db.open().await;
    let id = shop(SHOP);
    let (token, _, card) = new_token(SHOP, at());
    let card_id = card.summary.card_id.clone();
    store.insert_token(token.clone(), None, Some(card)).await.unwrap();
    let subscription = new_subscription(SHOP, "MONTHLY", &token.id, day(0));
    store.insert_subscription(&subscription).await.unwrap();

    let first = installment(&subscription, &token, "INST-1");
    let after = first.subscription.clone();
    let stored = store.record_installment(first.clone()).await.unwrap();
    let mut expected = first.transaction.clone();
    expected.s10_transaction_id = stored.s10_transaction_id;
    assert_eq!(stored, expected);
    assert!((1..=999_999).contains(&stored.s10_transaction_id));
    assert_eq!(store.transaction(&id, &by_id(&stored.id)).await.unwrap().as_ref(), Some(&stored));
    assert_eq!(store.operations(&id, &by_id(&stored.id)).await.unwrap(), vec![first.operation.clone()]);
    assert_eq!(store.subscription(&id, "MONTHLY").await.unwrap().as_ref(), Some(&after));
    assert_eq!(after.past_payments_number, 1);
    assert_eq!(after.next_due_at, Some(day(1)));
    // Its card is the token's vault entry: no new one.
    assert_eq!(stored.card.as_ref().map(|card| card.card_id.as_str()), Some(card_id.as_str()));
    assert_eq!(db.raw_column("SELECT CAST(COUNT(*) AS TEXT) FROM cards").await, vec![b"1".to_vec()]);

    // The same installment again (stale expected_due_at): nothing written.
    let mut stale = installment(&subscription, &token, "INST-1-AGAIN");
    stale.subscription.description = Some("must not be written".into());
    let again = store.record_installment(stale.clone()).await;
    assert!(matches!(again, Err(InstallmentError::AlreadyRecorded)), "{again:?}");
    assert_eq!(store.transaction(&id, &by_id(&stale.transaction.id)).await.unwrap(), None);
    assert_eq!(store.subscription(&id, "MONTHLY").await.unwrap().as_ref(), Some(&after));

    // The next one is recorded; a duplicate reference is refused and writes nothing.
    let mut duplicate = installment(&after, &token, "INST-1");
    duplicate.subscription.description = Some("must not be written".into());
    let refused = store.record_installment(duplicate).await;
    assert!(matches!(refused, Err(InstallmentError::Insert(InsertError::DuplicateReference))), "{refused:?}");
    assert_eq!(store.subscription(&id, "MONTHLY").await.unwrap().as_ref(), Some(&after));
    let second = installment(&after, &token, "INST-2");
    store.record_installment(second.clone()).await.unwrap();
    assert_eq!(store.subscription(&id, "MONTHLY").await.unwrap(), Some(second.subscription.clone()));
    let order = store.transactions_by_order(&id, "order-MONTHLY").await.unwrap();
    let references: Vec<&str> = order.iter().map(|tx| tx.reference.as_str()).collect();
    assert_eq!(references, ["INST-1", "INST-2"]);
    assert!(order.iter().all(|tx| tx.subscription_id.as_deref() == Some("MONTHLY")));

    // A cancelled subscription records nothing; an unknown one is not found.
    let cancelled_at = at();
    store
        .change_subscription(&id, "MONTHLY", Box::new(move |current| subscription::cancel(current, cancelled_at, None)))
        .await
        .unwrap();
    let late = installment(&second.subscription, &token, "INST-3");
    let refused = store.record_installment(late).await;
    assert!(matches!(refused, Err(InstallmentError::AlreadyRecorded)), "{refused:?}");
    let mut unknown = installment(&second.subscription, &token, "INST-4");
    unknown.subscription.id = "NOPE".into();
    let refused = store.record_installment(unknown).await;
    assert!(matches!(refused, Err(InstallmentError::Insert(InsertError::Store(StoreError::NotFound)))), "{refused:?}");
    assert_eq!(store.transactions_by_order(&id, "order-MONTHLY").await.unwrap().len(), 2);
}

pub async fn concurrent_installments_record_one(db: &Db) {
    let stores = [db.open().await, db.open().await];
    let (token, _, card) = new_token(SHOP, at());
    stores[0].insert_token(token.clone(), None, Some(card)).await.unwrap();
    let subscription = new_subscription(SHOP, "RACED", &token.id, day(0));
    stores[0].insert_subscription(&subscription).await.unwrap();
    let mut tasks = JoinSet::new();
    for index in 0..10 {
        let store = Arc::clone(&stores[index % 2]);
        // Each instance computed its own installment of the same due date.
        let installment = installment(&subscription, &token, &format!("RACE-{index}"));
        tasks.spawn(async move { store.record_installment(installment).await });
    }
    let mut recorded = Vec::new();
    let mut already = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(transaction) => recorded.push(transaction),
            Err(InstallmentError::AlreadyRecorded) => already += 1,
            Err(other) => panic!("unexpected installment error: {other:?}"),
        }
    }
    assert_eq!(recorded.len(), 1);
    assert_eq!(already, 9);
    let order = stores[1].transactions_by_order(&shop(SHOP), "order-RACED").await.unwrap();
    assert_eq!(order, recorded);
    let stored = stores[1].subscription(&shop(SHOP), "RACED").await.unwrap().unwrap();
    assert_eq!(stored.past_payments_number, 1);
    assert_eq!(stored.next_due_at, Some(day(1)));
}

pub async fn renew_token_card_is_one_transaction(db: &Db) {
    let store = db.open().await;
    let id = shop(SHOP);
    let (token, (verification, operation), card) = new_token(SHOP, at());
    let token = store.insert_token(token, Some((verification, operation)), Some(card)).await.unwrap();
    let old_card = token.card().unwrap().clone();

    // The new card's verification, as Token/Update makes it.
    let (_, (mut renewal, renewal_operation), new_card) = new_token(SHOP, at());
    renewal.token_id = Some(token.id.clone());
    let renewal_id = renewal.id.clone();
    let summary = new_card.summary.clone();
    let pan = new_card.pan.clone();
    let change_summary = summary.clone();
    let renewed = store
        .renew_token_card(
            &id,
            &token.id,
            Box::new(move |t| token::renew_card(t, change_summary, Some("NTI-NEW".into()), serde_json::Map::new())),
            (renewal, renewal_operation),
            new_card,
        )
        .await
        .unwrap();
    assert_eq!(renewed.card(), Some(&summary));
    assert_eq!(renewed.initial_issuer_transaction_identifier.as_deref(), Some("NTI-NEW"));
    assert_eq!(renewed.customer, token.customer, "no customer given: kept");
    assert_eq!(store.token(&id, &token.id).await.unwrap().as_ref(), Some(&renewed));
    assert_eq!(store.reveal_pan(&id, &summary.card_id).await.unwrap(), Some(pan));
    assert!(store.transaction(&id, &by_id(&renewal_id)).await.unwrap().is_some());
    assert!(store.reveal_pan(&id, &old_card.card_id).await.unwrap().is_some(), "the old card stays for its payments");

    // Refused on the locked token (cancelled meanwhile): no verification, no vault entry.
    let later = at() + Duration::hours(1);
    store.change_token(&id, &token.id, Box::new(move |t| token::cancel(t, later))).await.unwrap();
    let (_, (mut refused, refused_operation), refused_card) = new_token(SHOP, at());
    refused.token_id = Some(token.id.clone());
    let (refused_id, refused_card_id) = (refused.id.clone(), refused_card.summary.card_id.clone());
    let refused_summary = refused_card.summary.clone();
    let result = store
        .renew_token_card(
            &id,
            &token.id,
            Box::new(move |t| token::renew_card(t, refused_summary, None, serde_json::Map::new())),
            (refused, refused_operation),
            refused_card,
        )
        .await;
    assert!(matches!(result, Err(ChangeError::Refused(TokenRefusal::AlreadyCancelled))), "{result:?}");
    assert_eq!(store.transaction(&id, &by_id(&refused_id)).await.unwrap(), None);
    assert_eq!(store.reveal_pan(&id, &refused_card_id).await.unwrap(), None);

    // Another shop's token: not found, nothing written.
    let (_, (theirs, theirs_operation), theirs_card) = new_token(OTHER_SHOP, at());
    let theirs_id = theirs.id.clone();
    let summary = theirs_card.summary.clone();
    let result = store
        .renew_token_card(
            &shop(OTHER_SHOP),
            &token.id,
            Box::new(move |t| token::renew_card(t, summary, None, serde_json::Map::new())),
            (theirs, theirs_operation),
            theirs_card,
        )
        .await;
    assert!(matches!(result, Err(ChangeError::NotFound)), "{result:?}");
    assert_eq!(store.transaction(&shop(OTHER_SHOP), &by_id(&theirs_id)).await.unwrap(), None);
}
