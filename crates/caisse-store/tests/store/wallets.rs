//! The cases of Sips wallets: means by rank, the same card or account refused twice in a
//! wallet, shops kept apart, race-free ranks. Re-exported by `cases`, so that `main.rs` runs
//! each on both backends.

use crate::cases::{OTHER_SHOP, SHOP, UNKNOWN_SHOP};
use crate::harness::{Db, at, shop};
use caisse_core::Pan;
use caisse_core::card::{CardBrand, CardExpiry, CardSummary};
use caisse_core::ports::{InsertError, NewCard, StoreError};
use caisse_core::token::{SepaMandate, TokenMethod};
use caisse_core::transaction;
use caisse_core::wallet::{Iban, NewWalletMean, WalletSecret};
use chrono::Duration;
use std::collections::HashSet;
use tokio::task::JoinSet;

const IBAN: &str = "FR1420041010050500013M02606";

/// A card mean for `wallet`: a Luhn-free simulation number ending in `tail`.
fn card_mean(shop_id: &str, wallet: &str, tail: u32) -> NewWalletMean {
    let pan = Pan::parse(&format!("4100000000{tail:06}")).unwrap();
    let summary = CardSummary {
        card_id: transaction::new_uuid(),
        masked_pan: pan.masked_sips(),
        bin: pan.bin().to_owned(),
        last_four: pan.last_four().to_owned(),
        expiry: CardExpiry::new(2030, 12).unwrap(),
        brand: CardBrand::Visa,
        co_brands: vec![],
    };
    NewWalletMean {
        shop_id: shop(shop_id),
        merchant_wallet_id: wallet.to_owned(),
        alias: Some(format!("card {tail}")),
        method: TokenMethod::Card { card: summary.clone() },
        secret: WalletSecret::Card(NewCard { pan, summary }),
        at: at() + Duration::nanoseconds(789),
    }
}

fn iban_mean(shop_id: &str, wallet: &str) -> NewWalletMean {
    let iban = Iban::parse(IBAN).unwrap();
    NewWalletMean {
        shop_id: shop(shop_id),
        merchant_wallet_id: wallet.to_owned(),
        alias: None,
        method: TokenMethod::Sdd {
            mandate: SepaMandate { rum: "RUM-1".into(), masked_iban: iban.masked(), bic: None, signed_at: at() },
        },
        secret: WalletSecret::Iban(iban),
        at: at(),
    }
}

fn card_id(mean: &NewWalletMean) -> String {
    match &mean.secret {
        WalletSecret::Card(card) => card.summary.card_id.clone(),
        WalletSecret::Iban(_) => panic!("not a card"),
    }
}

pub async fn wallet_means_by_rank(db: &Db) {
    let store = db.open().await;
    let first = card_mean(SHOP, "W1", 1);
    let (wallet, mean) = store.add_wallet_payment_mean(first.clone()).await.unwrap();
    assert_eq!((wallet.merchant_wallet_id.as_str(), wallet.created_at, wallet.last_action_at), ("W1", at(), at()));
    assert_eq!(mean.payment_mean_id, 1);
    assert_eq!(mean.created_at, at(), "cut to the microsecond");
    assert_eq!(mean.alias.as_deref(), Some("card 1"));
    // The card is in the vault, under its summary's id.
    let pan = store.reveal_pan(&shop(SHOP), &card_id(&first)).await.unwrap();
    assert_eq!(pan, Some(Pan::parse("4100000000000001").unwrap()));

    let later = at() + Duration::hours(1);
    let mut sdd = iban_mean(SHOP, "W1");
    sdd.at = later;
    let (wallet, mandate) = store.add_wallet_payment_mean(sdd).await.unwrap();
    assert_eq!((mandate.payment_mean_id, wallet.created_at, wallet.last_action_at), (2, at(), later));
    assert_eq!(mandate.masked_number(), "FR14#####################06");

    let (read, means) = store.wallet(&shop(SHOP), "W1").await.unwrap().unwrap();
    assert_eq!(read, wallet);
    assert_eq!(means, vec![mean.clone(), mandate.clone()]);
    assert_eq!(store.wallet_payment_mean(&shop(SHOP), "W1", 1).await.unwrap(), Some(mean.clone()));
    assert_eq!(store.wallet_payment_mean(&shop(SHOP), "W1", 3).await.unwrap(), None);
    assert_eq!(store.wallet_payment_mean(&shop(SHOP), "W2", 1).await.unwrap(), None);
    assert_eq!(store.wallet_payment_mean(&shop(SHOP), "W1", u32::MAX).await.unwrap(), None);

    // Renaming: the alias and the wallet's last action change, nothing else.
    let renamed_at = at() + Duration::hours(2);
    let renamed = store.update_wallet_payment_mean(&shop(SHOP), "W1", 1, Some("mine".into()), renamed_at).await;
    let renamed = renamed.unwrap().unwrap();
    assert_eq!(renamed.alias.as_deref(), Some("mine"));
    assert_eq!((renamed.payment_mean_id, &renamed.method), (1, &mean.method));
    let cleared = store.update_wallet_payment_mean(&shop(SHOP), "W1", 2, None, renamed_at).await.unwrap().unwrap();
    assert_eq!(cleared.alias, None);
    assert_eq!(store.update_wallet_payment_mean(&shop(SHOP), "W1", 9, None, renamed_at).await.unwrap(), None);
    let (wallet, _) = store.wallet(&shop(SHOP), "W1").await.unwrap().unwrap();
    assert_eq!(wallet.last_action_at, renamed_at);

    // A deleted rank is never given again.
    let deleted_at = at() + Duration::hours(3);
    assert!(store.delete_wallet_payment_mean(&shop(SHOP), "W1", 1, deleted_at).await.unwrap());
    assert!(!store.delete_wallet_payment_mean(&shop(SHOP), "W1", 1, deleted_at).await.unwrap());
    let (_, third) = store.add_wallet_payment_mean(card_mean(SHOP, "W1", 1)).await.unwrap();
    assert_eq!(third.payment_mean_id, 3, "the same card may come back once deleted, under a new rank");
    let (_, means) = store.wallet(&shop(SHOP), "W1").await.unwrap().unwrap();
    assert_eq!(means.iter().map(|mean| mean.payment_mean_id).collect::<Vec<_>>(), vec![2, 3]);

    // Signing off removes the wallet and its means; the name can start again from 1.
    assert!(store.delete_wallet(&shop(SHOP), "W1").await.unwrap());
    assert!(!store.delete_wallet(&shop(SHOP), "W1").await.unwrap());
    assert_eq!(store.wallet(&shop(SHOP), "W1").await.unwrap(), None);
    assert_eq!(store.wallet_payment_mean(&shop(SHOP), "W1", 2).await.unwrap(), None);
    let (_, again) = store.add_wallet_payment_mean(card_mean(SHOP, "W1", 1)).await.unwrap();
    assert_eq!(again.payment_mean_id, 1);

    // A wallet of an unknown shop.
    let refused = store.add_wallet_payment_mean(card_mean(UNKNOWN_SHOP, "W1", 1)).await;
    assert!(matches!(refused, Err(InsertError::Store(StoreError::NotFound))), "{refused:?}");
}

pub async fn same_card_or_account_twice_in_a_wallet_is_refused(db: &Db) {
    let store = db.open().await;
    store.add_wallet_payment_mean(card_mean(SHOP, "W1", 7)).await.unwrap();
    let twice = card_mean(SHOP, "W1", 7);
    let refused = store.add_wallet_payment_mean(twice.clone()).await;
    assert!(matches!(refused, Err(InsertError::DuplicateReference)), "{refused:?}");
    // Nothing of it was kept: no vault entry, no rank used.
    assert_eq!(store.reveal_pan(&shop(SHOP), &card_id(&twice)).await.unwrap(), None);
    let (_, next) = store.add_wallet_payment_mean(card_mean(SHOP, "W1", 8)).await.unwrap();
    assert_eq!(next.payment_mean_id, 2);
    store.add_wallet_payment_mean(iban_mean(SHOP, "W1")).await.unwrap();
    let refused = store.add_wallet_payment_mean(iban_mean(SHOP, "W1")).await;
    assert!(matches!(refused, Err(InsertError::DuplicateReference)), "{refused:?}");
    // The same card in another wallet, or another shop's wallet of the same name, is another mean.
    assert_eq!(store.add_wallet_payment_mean(card_mean(SHOP, "W2", 7)).await.unwrap().1.payment_mean_id, 1);
    assert_eq!(store.add_wallet_payment_mean(card_mean(OTHER_SHOP, "W1", 7)).await.unwrap().1.payment_mean_id, 1);

    // Neither the card number nor the IBAN is anywhere in the wallet tables.
    let stored = db.raw_column("SELECT fingerprint || CAST(details AS TEXT) FROM wallet_payment_means").await;
    assert_eq!(stored.len(), 5);
    for row in stored {
        let row = String::from_utf8(row).unwrap();
        assert!(!row.contains("4100000000000007") && !row.contains(IBAN), "clear number stored: {row}");
    }
}

pub async fn another_shops_wallet_is_unknown(db: &Db) {
    let store = db.open().await;
    store.add_wallet_payment_mean(card_mean(SHOP, "SHARED", 1)).await.unwrap();
    let other = shop(OTHER_SHOP);
    assert_eq!(store.wallet(&other, "SHARED").await.unwrap(), None);
    assert_eq!(store.wallet_payment_mean(&other, "SHARED", 1).await.unwrap(), None);
    assert_eq!(store.update_wallet_payment_mean(&other, "SHARED", 1, Some("x".into()), at()).await.unwrap(), None);
    assert!(!store.delete_wallet_payment_mean(&other, "SHARED", 1, at()).await.unwrap());
    assert!(!store.delete_wallet(&other, "SHARED").await.unwrap());
    let (_, means) = store.wallet(&shop(SHOP), "SHARED").await.unwrap().unwrap();
    assert_eq!(means.len(), 1);
    assert_eq!(means[0].alias.as_deref(), Some("card 1"));
}

/// Two stores on one database (two caisse processes) add at once: every rank once, and a
/// card added many times at once is kept once.
pub async fn concurrent_adds_get_distinct_ranks(db: &Db) {
    let stores = [db.open().await, db.open().await];
    let mut adds = JoinSet::new();
    for tail in 0..12u32 {
        let store = stores[tail as usize % 2].clone();
        adds.spawn(async move { store.add_wallet_payment_mean(card_mean(SHOP, "RACE", tail)).await });
    }
    let mut ranks = HashSet::new();
    while let Some(added) = adds.join_next().await {
        ranks.insert(added.unwrap().unwrap().1.payment_mean_id);
    }
    assert_eq!(ranks, (1..=12).collect::<HashSet<u32>>());

    let mut same = JoinSet::new();
    for index in 0..8usize {
        let store = stores[index % 2].clone();
        same.spawn(async move { store.add_wallet_payment_mean(card_mean(SHOP, "ONCE", 42)).await });
    }
    let (mut kept, mut refused) = (0, 0);
    while let Some(added) = same.join_next().await {
        match added.unwrap() {
            Ok(_) => kept += 1,
            Err(InsertError::DuplicateReference) => refused += 1,
            Err(error) => panic!("{error:?}"),
        }
    }
    assert_eq!((kept, refused), (1, 7));
    let (_, means) = stores[0].wallet(&shop(SHOP), "ONCE").await.unwrap().unwrap();
    assert_eq!(means.len(), 1);
}
