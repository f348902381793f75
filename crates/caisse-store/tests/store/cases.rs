//! The cases every backend must pass (`main.rs` runs each on SQLite and on PostgreSQL).

use crate::harness::{Backend, Db, PAN, at, new_transaction, shop};
use caisse_core::ports::{ApplyError, BatchReport, InsertError, Store, StoreError};
use caisse_core::transaction::{self, Refusal, TransactionKey};
use caisse_core::{Amount, CaptureMode, Currency, OperationName, Pan, SecretKey, Shop, TransactionStatus};
use caisse_store::VaultKey;
use chrono::{Days, Duration};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::task::JoinSet;

/// The Sips test shops of PROTOCOLS.md section 1, written out here rather than taken from the
/// crate, so that a wrong seed fails.
const SEEDED: [(&str, &str); 6] = [
    ("201040040170001", "rxSP61eeP_oNi5TxCD7Ngy9YcwC8MLw6OlmFGGcsY54"),
    ("011223344550000", "secret123"),
    ("002001000000001", "002001000000001_KEY1"),
    ("002001000000002", "002001000000002_KEY1"),
    ("002001000000003", "002001000000003_KEY1"),
    ("002001000000004", "002001000000004_KEY1"),
];
/// The Sogecommerce (Lyra) test shops of PROTOCOLS.md section 2.
pub const LYRA_SEEDED: [&str; 2] = ["61881992", "69876357"];
pub const SHOP: &str = "011223344550000";
pub const OTHER_SHOP: &str = "002001000000001";
pub const UNKNOWN_SHOP: &str = "999999999999999";
pub const EUR: Currency = Currency::EUR;

pub use crate::form::*;
pub use crate::later_notices::*;
pub use crate::lyra::*;
pub use crate::notifications::*;
pub use crate::payment_sessions::*;
pub use crate::payment_tokens::*;
pub use crate::three_ds::*;
pub use crate::wallets::*;

pub fn reference(text: &str) -> TransactionKey {
    TransactionKey::Reference(text.to_owned())
}

pub async fn seeded_shops_and_keys(db: &Db) {
    let store = db.open().await;
    store.ping().await.unwrap();
    for (id, secret) in SEEDED {
        let seeded = store.shop(&shop(id)).await.unwrap().expect(id);
        assert_eq!(seeded.id, shop(id));
        let expected = SecretKey { version: 1, secret: secret.into() };
        assert_eq!(seeded.keys, vec![expected], "{id}");
    }
    let listed = store.list_shops().await.unwrap();
    // The Lyra test shops (REST V4, Form API) are listed too, without Sips keys.
    let mut expected_ids: Vec<&str> = SEEDED.iter().map(|(id, _)| *id).chain(LYRA_SEEDED).chain([FORM_SHOP]).collect();
    expected_ids.sort_unstable();
    let listed_ids: Vec<&str> = listed.iter().map(|shop| shop.id.as_str()).collect();
    assert_eq!(listed_ids, expected_ids);
    for listed in &listed {
        assert_eq!(store.shop(&listed.id).await.unwrap().as_ref(), Some(listed));
    }
    assert!(store.shop(&shop(UNKNOWN_SHOP)).await.unwrap().is_none());
    // Opening again migrates nothing and seeds nothing twice.
    drop(store);
    let store = db.open().await;
    assert_eq!(store.list_shops().await.unwrap(), listed);
}

pub async fn create_shop_once(db: &Db) {
    let store = db.open().await;
    let new = Shop {
        id: shop("123456789012345"),
        name: "Épicerie du coin".into(),
        keys: vec![SecretKey { version: 1, secret: "first-secret".into() }],
    };
    store.create_shop(&new).await.unwrap();
    assert_eq!(store.shop(&new.id).await.unwrap().as_ref(), Some(&new));
    let again = Shop { name: "Another name".into(), keys: vec![], ..new.clone() };
    assert!(matches!(store.create_shop(&again).await, Err(StoreError::AlreadyExists)));
    assert_eq!(store.shop(&new.id).await.unwrap().as_ref(), Some(&new));
    let seeded = store.shop(&shop(SHOP)).await.unwrap().unwrap();
    assert!(matches!(store.create_shop(&seeded).await, Err(StoreError::AlreadyExists)));
    assert_eq!(store.list_shops().await.unwrap().len(), SEEDED.len() + LYRA_SEEDED.len() + 2);
}

pub async fn add_key_gives_the_next_version(db: &Db) {
    let store = db.open().await;
    let id = shop(SHOP);
    let second = store.add_key(&id, "second-secret").await.unwrap();
    assert_eq!(second, SecretKey { version: 2, secret: "second-secret".into() });
    let third = store.add_key(&id, "third-secret").await.unwrap();
    assert_eq!(third.version, 3);
    let stored = store.shop(&id).await.unwrap().unwrap();
    let versions: Vec<u32> = stored.keys.iter().map(|key| key.version).collect();
    assert_eq!(versions, [1, 2, 3]);
    assert_eq!(stored.key(1).unwrap().secret, "secret123");
    assert_eq!(stored.latest_key(), Some(&third));
    assert!(matches!(store.add_key(&shop(UNKNOWN_SHOP), "x").await, Err(StoreError::NotFound)));
    // Concurrent additions (two pools) each get their own version.
    let other = db.open().await;
    let mut tasks = JoinSet::new();
    for index in 0..10 {
        let store = if index % 2 == 0 { Arc::clone(&store) } else { Arc::clone(&other) };
        let id = id.clone();
        tasks.spawn(async move { store.add_key(&id, &format!("concurrent-{index}")).await });
    }
    let mut versions = HashSet::new();
    while let Some(joined) = tasks.join_next().await {
        versions.insert(joined.unwrap().unwrap().version);
    }
    assert_eq!(versions, (4..=13).collect::<HashSet<u32>>());
}

pub async fn insert_and_read_back_by_every_key(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) = new_transaction(SHOP, "REF-1", TransactionStatus::ToCapture, 2500, at());
    let stored = store.insert_transaction(transaction.clone(), operation.clone(), card).await.unwrap();
    assert!((1..=999_999).contains(&stored.s10_transaction_id));
    let mut expected = transaction;
    expected.s10_transaction_id = stored.s10_transaction_id;
    assert_eq!(stored, expected);
    let id = shop(SHOP);
    let keys = [
        reference("REF-1"),
        TransactionKey::S10 { id: stored.s10_transaction_id, date: at().date_naive() },
        TransactionKey::Id(stored.id.clone()),
    ];
    for key in &keys {
        let read = store.transaction(&id, key).await.unwrap();
        assert_eq!(read.as_ref(), Some(&stored), "{key:?}");
        let operations = store.operations(&id, key).await.unwrap();
        assert_eq!(operations, vec![operation.clone()], "{key:?}");
    }
    let next_day = TransactionKey::S10 { id: stored.s10_transaction_id, date: at().date_naive() + Days::new(1) };
    assert!(store.transaction(&id, &next_day).await.unwrap().is_none());
    let unknown = reference("REF-UNKNOWN");
    assert!(store.transaction(&id, &unknown).await.unwrap().is_none());
    assert!(store.operations(&id, &unknown).await.unwrap().is_empty());
}

pub async fn s10_ids_are_distinct_within_a_day(db: &Db) {
    let store = db.open().await;
    let mut tasks = JoinSet::new();
    for index in 0..30 {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            let (transaction, operation, card) =
                new_transaction(SHOP, &format!("S10-{index}"), TransactionStatus::Captured, 100, at());
            store.insert_transaction(transaction, operation, card).await
        });
    }
    let mut ids = HashSet::new();
    let mut stored = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let transaction = joined.unwrap().unwrap();
        assert!(ids.insert(transaction.s10_transaction_id), "repeated s10 id");
        stored.push(transaction);
    }
    for transaction in stored {
        let key = TransactionKey::S10 { id: transaction.s10_transaction_id, date: at().date_naive() };
        let read = store.transaction(&shop(SHOP), &key).await.unwrap();
        assert_eq!(read, Some(transaction));
    }
}

pub async fn instants_are_kept_to_the_microsecond(db: &Db) {
    let store = db.open().await;
    let precise = at() + Duration::nanoseconds(789);
    let (transaction, operation, card) = new_transaction(SHOP, "NANOS", TransactionStatus::ToCapture, 100, precise);
    let stored = store.insert_transaction(transaction, operation, card).await.unwrap();
    assert_eq!(stored.created_at, at());
    assert_eq!(stored.last_operation_at, at());
    let key = reference("NANOS");
    let read = store.transaction(&shop(SHOP), &key).await.unwrap();
    assert_eq!(read.as_ref(), Some(&stored));
    let operations = store.operations(&shop(SHOP), &key).await.unwrap();
    assert_eq!(operations[0].at, at());
    let later = precise + Duration::hours(1);
    let transition = store
        .apply(&shop(SHOP), &key, Box::new(move |tx| transaction::cancel(tx, Amount(1), EUR, later)))
        .await
        .unwrap();
    let expected_at = at() + Duration::hours(1);
    assert_eq!(transition.updated.last_operation_at, expected_at);
    assert_eq!(transition.operation.at, expected_at);
    let read = store.transaction(&shop(SHOP), &key).await.unwrap();
    assert_eq!(read, Some(transition.updated));
}

pub async fn another_shops_transaction_is_unknown(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) = new_transaction(SHOP, "MINE", TransactionStatus::Captured, 100, at());
    let card_id = card.as_ref().unwrap().summary.card_id.clone();
    let stored = store.insert_transaction(transaction, operation, card).await.unwrap();
    let other = shop(OTHER_SHOP);
    let keys = [
        reference("MINE"),
        TransactionKey::S10 { id: stored.s10_transaction_id, date: at().date_naive() },
        TransactionKey::Id(stored.id.clone()),
    ];
    for key in &keys {
        assert_eq!(store.transaction(&other, key).await.unwrap(), None, "{key:?}");
        assert!(store.operations(&other, key).await.unwrap().is_empty());
        let applied = store.apply(&other, key, Box::new(move |tx| transaction::refund(tx, Amount(1), EUR, at()))).await;
        assert!(matches!(applied, Err(ApplyError::NotFound)), "{key:?}");
    }
    assert_eq!(store.reveal_pan(&other, &card_id).await.unwrap(), None);
    // The other shop may use the same reference for its own transaction.
    let (transaction, operation, card) = new_transaction(OTHER_SHOP, "MINE", TransactionStatus::Captured, 200, at());
    let theirs = store.insert_transaction(transaction, operation, card).await.unwrap();
    let read = store.transaction(&other, &reference("MINE")).await.unwrap();
    assert_eq!(read, Some(theirs));
    let read = store.transaction(&shop(SHOP), &reference("MINE")).await.unwrap();
    assert_eq!(read, Some(stored));
}

pub async fn insert_for_an_unknown_shop_fails(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) =
        new_transaction(UNKNOWN_SHOP, "NOSHOP", TransactionStatus::Captured, 100, at());
    let inserted = store.insert_transaction(transaction, operation, card).await;
    assert!(matches!(inserted, Err(InsertError::Store(StoreError::NotFound))), "{inserted:?}");
    let read = store.transaction(&shop(UNKNOWN_SHOP), &reference("NOSHOP")).await.unwrap();
    assert_eq!(read, None);
}

pub async fn duplicate_reference_is_refused(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) = new_transaction(SHOP, "TWICE", TransactionStatus::ToCapture, 100, at());
    let first = store.insert_transaction(transaction, operation.clone(), card).await.unwrap();
    let (transaction, second_operation, card) = new_transaction(SHOP, "TWICE", TransactionStatus::ToCapture, 999, at());
    let second_card = card.as_ref().unwrap().summary.card_id.clone();
    let second_id = transaction.id.clone();
    let again = store.insert_transaction(transaction, second_operation, card).await;
    assert!(matches!(again, Err(InsertError::DuplicateReference)), "{again:?}");
    // Nothing of the refused insert was kept: not its row, operation nor card.
    let key = reference("TWICE");
    assert_eq!(store.transaction(&shop(SHOP), &key).await.unwrap(), Some(first));
    assert_eq!(store.operations(&shop(SHOP), &key).await.unwrap(), vec![operation]);
    let by_id = TransactionKey::Id(second_id);
    assert_eq!(store.transaction(&shop(SHOP), &by_id).await.unwrap(), None);
    assert_eq!(store.reveal_pan(&shop(SHOP), &second_card).await.unwrap(), None);
}

pub async fn concurrent_inserts_of_one_reference_one_wins(db: &Db) {
    let stores = [db.open().await, db.open().await];
    let mut tasks = JoinSet::new();
    for index in 0..20 {
        let store = Arc::clone(&stores[index % 2]);
        tasks.spawn(async move {
            let (transaction, operation, card) = new_transaction(SHOP, "RACE", TransactionStatus::ToCapture, 100, at());
            store.insert_transaction(transaction, operation, card).await
        });
    }
    let mut winners = Vec::new();
    let mut duplicates = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(transaction) => winners.push(transaction),
            Err(InsertError::DuplicateReference) => duplicates += 1,
            Err(other) => panic!("unexpected insert error: {other}"),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(duplicates, 19);
    let read = stores[0].transaction(&shop(SHOP), &reference("RACE")).await.unwrap();
    assert_eq!(read.as_ref(), winners.first());
}

pub async fn apply_cancel_and_refund(db: &Db) {
    let store = db.open().await;
    let id = shop(SHOP);
    let now = at() + Duration::hours(1);

    let (transaction, author, card) = new_transaction(SHOP, "CANCEL", TransactionStatus::ToCapture, 1000, at());
    store.insert_transaction(transaction, author.clone(), card).await.unwrap();
    let key = reference("CANCEL");
    let partial =
        store.apply(&id, &key, Box::new(move |tx| transaction::cancel(tx, Amount(400), EUR, now))).await.unwrap();
    assert_eq!(partial.updated.amount, Amount(600));
    assert_eq!(partial.updated.status, TransactionStatus::ToCapture);
    assert_eq!(partial.updated.last_operation, OperationName::Cancel);
    assert_eq!(partial.updated.last_operation_at, now);
    assert_eq!(store.transaction(&id, &key).await.unwrap().as_ref(), Some(&partial.updated));
    let total =
        store.apply(&id, &key, Box::new(move |tx| transaction::cancel(tx, Amount(600), EUR, now))).await.unwrap();
    assert_eq!(total.updated.status, TransactionStatus::Cancelled);
    assert_eq!(total.updated.amount, Amount::ZERO);
    assert_eq!(total.updated.origin_amount, Amount(1000));
    assert_eq!(store.transaction(&id, &key).await.unwrap().as_ref(), Some(&total.updated));
    assert_eq!(store.operations(&id, &key).await.unwrap(), vec![author, partial.operation, total.operation]);

    let (transaction, author, card) = new_transaction(SHOP, "REFUND", TransactionStatus::Captured, 1000, at());
    let stored = store.insert_transaction(transaction, author.clone(), card).await.unwrap();
    let key = TransactionKey::Id(stored.id.clone());
    let refund = |amount: u64| -> caisse_core::ports::TransitionFn {
        Box::new(move |tx| {
            let mut transition = transaction::refund(tx, Amount(amount), EUR, now)?;
            transition.operation.acquirer_response_code = Some("00".into());
            transition.operation.authorisation_id = Some(format!("R{amount}"));
            Ok(transition)
        })
    };
    let first = store.apply(&id, &key, refund(300)).await.unwrap();
    assert_eq!(first.updated.refunded_amount, Amount(300));
    assert_eq!(first.updated.status, TransactionStatus::Captured);
    let last = store.apply(&id, &key, refund(700)).await.unwrap();
    assert_eq!(last.updated.refunded_amount, Amount(1000));
    assert_eq!(last.updated.status, TransactionStatus::Credited);
    assert_eq!(store.transaction(&id, &key).await.unwrap().as_ref(), Some(&last.updated));
    let operations = store.operations(&id, &key).await.unwrap();
    assert_eq!(operations, vec![author, first.operation, last.operation]);
    assert_eq!(operations[2].authorisation_id.as_deref(), Some("R700"));
}

pub async fn refusal_leaves_the_row_unchanged(db: &Db) {
    let store = db.open().await;
    let id = shop(SHOP);
    let (transaction, operation, card) = new_transaction(SHOP, "REFUSE", TransactionStatus::ToCapture, 1000, at());
    store.insert_transaction(transaction, operation, card).await.unwrap();
    let key = reference("REFUSE");
    let before = store.transaction(&id, &key).await.unwrap().unwrap();
    let over = store.apply(&id, &key, Box::new(|tx| transaction::cancel(tx, Amount(1001), EUR, at()))).await;
    assert!(matches!(over, Err(ApplyError::Refused(Refusal::ExceedsRemaining { remaining: Amount(1000) }))));
    let wrong_status = store.apply(&id, &key, Box::new(|tx| transaction::refund(tx, Amount(10), EUR, at()))).await;
    assert!(matches!(wrong_status, Err(ApplyError::Refused(Refusal::WrongStatus(TransactionStatus::ToCapture)))));
    assert_eq!(store.transaction(&id, &key).await.unwrap(), Some(before));
    assert_eq!(store.operations(&id, &key).await.unwrap().len(), 1);
    let unknown =
        store.apply(&id, &reference("NOPE"), Box::new(|tx| transaction::cancel(tx, Amount(1), EUR, at()))).await;
    assert!(matches!(unknown, Err(ApplyError::NotFound)));
}

pub async fn panicking_or_renaming_transition_is_an_error(db: &Db) {
    let store = db.open().await;
    let id = shop(SHOP);
    let (transaction, operation, card) = new_transaction(SHOP, "BUGGY", TransactionStatus::ToCapture, 1000, at());
    store.insert_transaction(transaction, operation, card).await.unwrap();
    let key = reference("BUGGY");
    let before = store.transaction(&id, &key).await.unwrap();
    let panicked = store.apply(&id, &key, Box::new(|_| panic!("a bug in a transition"))).await;
    assert!(matches!(panicked, Err(ApplyError::Store(StoreError::Corrupt(_)))), "{panicked:?}");
    let renamed = store
        .apply(
            &id,
            &key,
            Box::new(|tx| {
                let mut transition = transaction::cancel(tx, Amount(1), EUR, at())?;
                transition.updated.shop_id = shop(OTHER_SHOP);
                Ok(transition)
            }),
        )
        .await;
    assert!(matches!(renamed, Err(ApplyError::Store(StoreError::Corrupt(_)))), "{renamed:?}");
    assert_eq!(store.transaction(&id, &key).await.unwrap(), before);
    assert_eq!(store.operations(&id, &key).await.unwrap().len(), 1);
    // The store still works after a panic.
    let applied = store.apply(&id, &key, Box::new(|tx| transaction::cancel(tx, Amount(1), EUR, at()))).await.unwrap();
    assert_eq!(applied.updated.amount, Amount(999));
}

pub async fn concurrent_partial_refunds_never_exceed_the_amount(db: &Db) {
    // Two pools, as two caisse processes on one database would have.
    let stores = [db.open().await, db.open().await];
    let (transaction, operation, card) = new_transaction(SHOP, "CONCURRENT", TransactionStatus::Captured, 1000, at());
    stores[0].insert_transaction(transaction, operation, card).await.unwrap();
    let now = at() + Duration::minutes(5);
    let mut tasks = JoinSet::new();
    // 10 + 11 + … + 59 = 1725: more than the 1000 captured.
    for index in 0..50u64 {
        let store = Arc::clone(&stores[(index % 2) as usize]);
        let amount = Amount(10 + index);
        tasks.spawn(async move {
            let result = store
                .apply(
                    &shop(SHOP),
                    &reference("CONCURRENT"),
                    Box::new(move |tx| transaction::refund(tx, amount, EUR, now)),
                )
                .await;
            (amount, result)
        });
    }
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            (amount, Ok(transition)) => {
                assert_eq!(transition.operation.amount, amount);
                accepted.push(amount.0);
            }
            (
                amount,
                Err(ApplyError::Refused(
                    Refusal::ExceedsRemaining { .. } | Refusal::WrongStatus(TransactionStatus::Credited),
                )),
            ) => refused.push(amount.0),
            (_, Err(other)) => panic!("unexpected apply error: {other}"),
        }
    }
    let accepted_sum: u64 = accepted.iter().sum();
    let stored = stores[1].transaction(&shop(SHOP), &reference("CONCURRENT")).await.unwrap().unwrap();
    assert_eq!(stored.refunded_amount, Amount(accepted_sum));
    assert!(accepted_sum <= 1000);
    assert!(!refused.is_empty());
    // Each refusal was right: what remained was below its amount, and remains only shrink.
    let remaining = 1000 - accepted_sum;
    assert!(refused.iter().all(|amount| *amount > remaining), "{refused:?}");
    let expected_status = if remaining == 0 { TransactionStatus::Credited } else { TransactionStatus::Captured };
    assert_eq!(stored.status, expected_status);
    let refunds: Vec<u64> = stores[0]
        .operations(&shop(SHOP), &reference("CONCURRENT"))
        .await
        .unwrap()
        .iter()
        .filter(|operation| operation.name == OperationName::Refund)
        .map(|operation| operation.amount.0)
        .collect();
    assert_eq!(refunds.len(), accepted.len());
    assert_eq!(refunds.iter().sum::<u64>(), accepted_sum);
}

pub async fn batch_settles_the_right_transactions(db: &Db) {
    let store = db.open().await;
    let today = at().date_naive();
    let yesterday = today - Days::new(1);
    let tomorrow = today + Days::new(1);
    use TransactionStatus::{Captured, Credited, Expired, Refused, ToCapture, ToCredit, ToValidate};
    let cases = [
        ("DUE-YESTERDAY", ToCapture, yesterday, Some((Captured, OperationName::Capture))),
        ("DUE-TODAY", ToCapture, today, Some((Captured, OperationName::Capture))),
        ("DUE-TOMORROW", ToCapture, tomorrow, None),
        ("VALIDATE-LATE", ToValidate, yesterday, Some((Expired, OperationName::Expire))),
        ("VALIDATE-TODAY", ToValidate, today, None),
        ("CREDIT", ToCredit, tomorrow, Some((Credited, OperationName::CreditCapture))),
        ("ALREADY-CAPTURED", Captured, yesterday, None),
        ("REFUSED", Refused, yesterday, None),
    ];
    let mut stored = Vec::new();
    for (name, status, capture_date, _) in cases {
        let (mut transaction, operation, card) = new_transaction(SHOP, name, status, 500, at());
        transaction.capture_date = capture_date;
        if status == ToValidate {
            transaction.capture_mode = CaptureMode::Validation;
        }
        stored.push(store.insert_transaction(transaction, operation, card).await.unwrap());
    }
    let now = at() + Duration::hours(12);
    let report = store.run_capture_batch(today, now).await.unwrap();
    assert_eq!(report, BatchReport { captured: 2, expired: 1, credited: 1 });
    for ((name, _, _, outcome), before) in cases.into_iter().zip(stored) {
        let key = reference(name);
        let after = store.transaction(&shop(SHOP), &key).await.unwrap().unwrap();
        let operations = store.operations(&shop(SHOP), &key).await.unwrap();
        match outcome {
            Some((status, operation)) => {
                assert_eq!(after.status, status, "{name}");
                assert_eq!(after.last_operation, operation, "{name}");
                assert_eq!(after.last_operation_at, now, "{name}");
                assert_eq!(after.amount, before.amount, "{name}");
                assert_eq!(operations.len(), 2, "{name}");
                assert_eq!(operations[1].name, operation, "{name}");
                assert_eq!(operations[1].amount, Amount(500), "{name}");
            }
            None => {
                assert_eq!(after, before, "{name}");
                assert_eq!(operations.len(), 1, "{name}");
            }
        }
    }
    let again = store.run_capture_batch(today, now).await.unwrap();
    assert_eq!(again, BatchReport::default());
}

pub async fn concurrent_batches_settle_each_transaction_once(db: &Db) {
    // More than two chunks of 500.
    const COUNT: u64 = 1100;
    let stores = [db.open().await, db.open().await];
    let mut tasks = JoinSet::new();
    for index in 0..COUNT {
        let store = Arc::clone(&stores[0]);
        tasks.spawn(async move {
            let (transaction, operation, card) =
                new_transaction(SHOP, &format!("BATCH-{index}"), TransactionStatus::ToCapture, 100, at());
            store.insert_transaction(transaction, operation, card).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap().unwrap();
    }
    let today = at().date_naive();
    let now = at() + Duration::hours(20);
    let (first, second) =
        tokio::join!(stores[0].run_capture_batch(today, now), stores[1].run_capture_batch(today, now));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.captured + second.captured, COUNT);
    assert_eq!(first.expired + second.expired, 0);
    assert_eq!(first.credited + second.credited, 0);
    let captures = db.raw_column("SELECT CAST(COUNT(*) AS TEXT) FROM operations WHERE name = 'CAPTURE'").await;
    assert_eq!(captures, vec![COUNT.to_string().into_bytes()]);
    let captured = db.raw_column("SELECT CAST(COUNT(*) AS TEXT) FROM transactions WHERE status = 'CAPTURED'").await;
    assert_eq!(captured, vec![COUNT.to_string().into_bytes()]);
    let again = stores[1].run_capture_batch(today, now).await.unwrap();
    assert_eq!(again, BatchReport::default());
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

pub async fn reveal_pan_round_trips_and_the_pan_is_stored_encrypted(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) = new_transaction(SHOP, "VAULT", TransactionStatus::Captured, 100, at());
    let card_id = card.as_ref().unwrap().summary.card_id.clone();
    let masked = card.as_ref().unwrap().summary.masked_pan.clone();
    store.insert_transaction(transaction, operation, card).await.unwrap();
    let pan = Pan::parse(PAN).unwrap();
    assert_eq!(store.reveal_pan(&shop(SHOP), &card_id).await.unwrap(), Some(pan));
    assert_eq!(store.reveal_pan(&shop(SHOP), "unknown-card").await.unwrap(), None);

    let ciphertexts = db.raw_column("SELECT ciphertext FROM cards").await;
    assert_eq!(ciphertexts.len(), 1);
    assert_eq!(ciphertexts[0].len(), PAN.len() + 16, "AES-GCM adds a 16-byte tag");
    assert!(!contains(&ciphertexts[0], PAN.as_bytes()));
    // Nowhere else either; the masked PAN is there, which shows the search finds text.
    let everything: Vec<u8> = match db.backend {
        Backend::Sqlite => {
            drop(store);
            let path = db.sqlite_path().unwrap();
            let mut bytes = std::fs::read(&path).unwrap();
            let mut wal = path.into_os_string();
            wal.push("-wal");
            bytes.extend(std::fs::read(wal).unwrap_or_default());
            bytes
        }
        Backend::Postgres => {
            let mut bytes = Vec::new();
            for table in ["transactions", "operations", "cards"] {
                let sql = format!("SELECT CAST(t AS TEXT) FROM {table} t");
                bytes.extend(db.raw_column(&sql).await.concat());
            }
            bytes
        }
    };
    assert!(contains(&everything, masked.as_bytes()));
    assert!(!contains(&everything, PAN.as_bytes()));
}

pub async fn wrong_vault_key_fails_to_decrypt(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) = new_transaction(SHOP, "KEYED", TransactionStatus::Captured, 100, at());
    let card_id = card.as_ref().unwrap().summary.card_id.clone();
    store.insert_transaction(transaction, operation, card).await.unwrap();
    drop(store);
    let wrong = db.open_with_key(VaultKey::generate()).await.unwrap();
    let revealed = wrong.reveal_pan(&shop(SHOP), &card_id).await;
    let error = revealed.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    assert!(!error.to_string().contains(PAN));
    assert!(!format!("{error:?}").contains(PAN));
    drop(wrong);
    let right = db.open().await;
    assert_eq!(right.reveal_pan(&shop(SHOP), &card_id).await.unwrap(), Some(Pan::parse(PAN).unwrap()));
}

pub async fn data_survives_reopening(db: &Db) {
    let store: Arc<dyn Store> = db.open().await;
    let new_shop = Shop {
        id: shop("123450000000001"),
        name: "Durable".into(),
        keys: vec![SecretKey { version: 1, secret: "k1".into() }],
    };
    store.create_shop(&new_shop).await.unwrap();
    store.add_key(&new_shop.id, "k2").await.unwrap();
    let (transaction, operation, card) =
        new_transaction("123450000000001", "DURABLE", TransactionStatus::ToCapture, 1000, at());
    let card_id = card.as_ref().unwrap().summary.card_id.clone();
    store.insert_transaction(transaction, operation, card).await.unwrap();
    let key = reference("DURABLE");
    let cancelled =
        store.apply(&new_shop.id, &key, Box::new(|tx| transaction::cancel(tx, Amount(1), EUR, at()))).await.unwrap();
    let shop_before = store.shop(&new_shop.id).await.unwrap();
    let operations_before = store.operations(&new_shop.id, &key).await.unwrap();
    drop(store);

    let store = db.open().await;
    assert_eq!(store.shop(&new_shop.id).await.unwrap(), shop_before);
    assert_eq!(shop_before.unwrap().keys.len(), 2);
    assert_eq!(store.transaction(&new_shop.id, &key).await.unwrap(), Some(cancelled.updated));
    assert_eq!(store.operations(&new_shop.id, &key).await.unwrap(), operations_before);
    assert_eq!(store.reveal_pan(&new_shop.id, &card_id).await.unwrap(), Some(Pan::parse(PAN).unwrap()));
}

pub async fn a_failed_insert_keeps_nothing(db: &Db) {
    let store = db.open().await;
    let (transaction, operation, card) = new_transaction(SHOP, "CARD-1", TransactionStatus::Captured, 100, at());
    let card_id = card.as_ref().unwrap().summary.card_id.clone();
    store.insert_transaction(transaction, operation, card).await.unwrap();
    // A second transaction whose vault entry clashes with the first: its row and operation,
    // written before the card, must go too.
    let (mut transaction, operation, mut card) =
        new_transaction(SHOP, "CARD-2", TransactionStatus::Captured, 100, at());
    card.as_mut().unwrap().summary.card_id = card_id.clone();
    transaction.card.as_mut().unwrap().card_id = card_id;
    let id = transaction.id.clone();
    let inserted = store.insert_transaction(transaction, operation, card).await;
    assert!(matches!(inserted, Err(InsertError::Store(StoreError::AlreadyExists))), "{inserted:?}");
    let key = reference("CARD-2");
    assert_eq!(store.transaction(&shop(SHOP), &key).await.unwrap(), None);
    assert!(store.operations(&shop(SHOP), &key).await.unwrap().is_empty());
    let by_id = TransactionKey::Id(id);
    assert_eq!(store.transaction(&shop(SHOP), &by_id).await.unwrap(), None);
    // The same reference is free again.
    let (transaction, operation, card) = new_transaction(SHOP, "CARD-2", TransactionStatus::Captured, 100, at());
    store.insert_transaction(transaction, operation, card).await.unwrap();
}
