//! The cases of Sips payment tokens: a token and its card round-trip, it is spent once (with
//! its payment, atomically, even when payments race for it), and a refused payment leaves it
//! unspent. Re-exported by `cases`, so that `main.rs` runs each on both backends.

use crate::cases::{OTHER_SHOP, SHOP};
use crate::harness::{Db, PAN, at, new_transaction, shop};
use caisse_core::payment_token::{CardPaymentToken, LIFETIME, SpendError, TokenOrigin};
use caisse_core::ports::NewCard;
use caisse_core::transaction::{self, TransactionKey};
use caisse_core::{Pan, TransactionStatus};
use chrono::Duration;
use tokio::task::JoinSet;

/// A payment token of `SHOP` for `OTHER_SHOP`, and its card.
fn new_payment_token() -> (CardPaymentToken, NewCard) {
    let (_, _, card) = new_transaction(SHOP, "unused", TransactionStatus::ToCapture, 0, at());
    let card = card.unwrap();
    let token = CardPaymentToken {
        id: transaction::new_uuid(),
        shop_id: shop(SHOP),
        consumer_id: shop(OTHER_SHOP),
        card: card.summary.clone(),
        origin: TokenOrigin::MachineToMachine,
        created_at: at() + Duration::nanoseconds(789),
        expires_at: at() + LIFETIME,
        consumed_at: None,
    };
    (token, card)
}

/// A payment of `OTHER_SHOP` with the token's card, on a vault entry of its own.
fn payment(reference: &str) -> (caisse_core::Transaction, caisse_core::Operation, NewCard) {
    let (transaction, operation, card) =
        new_transaction(OTHER_SHOP, reference, TransactionStatus::ToCapture, 900, at());
    (transaction, operation, card.unwrap())
}

pub async fn payment_token_and_card_round_trip(db: &Db) {
    let store = db.open().await;
    let (token, card) = new_payment_token();
    store.insert_card_payment_token(&token, card).await.unwrap();
    let (read, pan) = store.card_payment_token(&token.id).await.unwrap().unwrap();
    assert_eq!(pan, Pan::parse(PAN).unwrap());
    assert_eq!(read.id, token.id);
    assert_eq!(read.consumer_id, shop(OTHER_SHOP));
    assert_eq!(read.card, token.card);
    assert_eq!(read.origin, TokenOrigin::MachineToMachine);
    assert_eq!(read.created_at, at(), "kept to the microsecond");
    assert_eq!(read.expires_at, token.expires_at);
    assert_eq!(read.consumed_at, None);
    assert!(store.card_payment_token("unknown").await.unwrap().is_none());
    // The PAN is in the vault, encrypted; the token's row holds only the masked card.
    let details = db.raw_column("SELECT details FROM card_payment_tokens").await;
    assert!(!String::from_utf8_lossy(&details[0]).contains(PAN));
    // A key of its own, stable across openings of the same vault.
    assert_eq!(store.payment_token_key(), db.open().await.payment_token_key());
    assert!(!store.payment_token_key().is_empty());
}

pub async fn payment_token_is_spent_once_with_its_payment(db: &Db) {
    let store = db.open().await;
    let (token, card) = new_payment_token();
    store.insert_card_payment_token(&token, card).await.unwrap();
    let (transaction, operation, card) = payment("PAID-1");
    let stored = store.insert_transaction_spending_token(&token.id, transaction, operation, card).await.unwrap();
    assert!(stored.s10_transaction_id > 0);
    let (read, _) = store.card_payment_token(&token.id).await.unwrap().unwrap();
    assert!(read.consumed_at.is_some());
    // The payment's card reads back under the paying shop.
    let summary = stored.card.unwrap();
    assert_eq!(store.reveal_pan(&shop(OTHER_SHOP), &summary.card_id).await.unwrap(), Some(Pan::parse(PAN).unwrap()));

    let (transaction, operation, card) = payment("PAID-2");
    let again = store.insert_transaction_spending_token(&token.id, transaction, operation, card).await;
    assert!(matches!(again, Err(SpendError::Used)), "{again:?}");
    let key = TransactionKey::Reference("PAID-2".into());
    assert!(store.transaction(&shop(OTHER_SHOP), &key).await.unwrap().is_none(), "nothing kept");
}

pub async fn a_refused_insert_leaves_the_token_unspent(db: &Db) {
    let store = db.open().await;
    let (token, card) = new_payment_token();
    store.insert_card_payment_token(&token, card).await.unwrap();
    let (transaction, operation, card) = payment("TAKEN");
    store.insert_transaction(transaction, operation, Some(card)).await.unwrap();
    let (transaction, operation, card) = payment("TAKEN");
    let duplicate = store.insert_transaction_spending_token(&token.id, transaction, operation, card).await;
    assert!(matches!(duplicate, Err(SpendError::DuplicateReference)), "{duplicate:?}");
    let (read, _) = store.card_payment_token(&token.id).await.unwrap().unwrap();
    assert_eq!(read.consumed_at, None);
    let (transaction, operation, card) = payment("FREE");
    store.insert_transaction_spending_token(&token.id, transaction, operation, card).await.unwrap();
}

pub async fn concurrent_spends_of_one_token_one_wins(db: &Db) {
    const RACERS: usize = 8;
    // Two stores on one database: two caisse instances.
    let stores = [db.open().await, db.open().await];
    let (token, card) = new_payment_token();
    stores[0].insert_card_payment_token(&token, card).await.unwrap();
    let mut racing = JoinSet::new();
    for index in 0..RACERS {
        let store = stores[index % 2].clone();
        let token_id = token.id.clone();
        racing.spawn(async move {
            let (transaction, operation, card) = payment(&format!("RACE-{index}"));
            store.insert_transaction_spending_token(&token_id, transaction, operation, card).await
        });
    }
    let mut paid = 0;
    while let Some(result) = racing.join_next().await {
        match result.unwrap() {
            Ok(_) => paid += 1,
            Err(SpendError::Used) => {}
            Err(error) => panic!("{error:?}"),
        }
    }
    assert_eq!(paid, 1);
    let count = db.raw_column("SELECT CAST(COUNT(*) AS TEXT) FROM transactions").await;
    assert_eq!(count, vec![b"1".to_vec()]);
}
