//! The cases of the Form API's storage: the preloaded settings, setting them, and the
//! `vads_trans_id` reservation (case-insensitive, per shop and UTC day, race-free across two
//! stores). Re-exported by `cases`, so that `main.rs` runs each on both backends.

use crate::cases::{LYRA_SEEDED, SHOP, UNKNOWN_SHOP};
use crate::harness::{Db, at, shop};
use caisse_core::Mode;
use caisse_core::form_settings::{FormSettings, FormSignatureAlgorithm, FormTransIdKey, Reservation};
use caisse_core::ports::StoreError;
use chrono::NaiveDate;

/// PROTOCOLS.md §3's example shop (migration 9).
pub const FORM_SHOP: &str = "12345678";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

pub async fn form_settings_are_seeded_and_set(db: &Db) {
    let store = db.open().await;
    let seeded = store.form_settings(&shop(FORM_SHOP)).await.unwrap().expect("12345678 preloaded");
    assert_eq!(seeded.key(Mode::Test), Some("1122334455667788"));
    assert_eq!(seeded.key(Mode::Production), None);
    assert_eq!(seeded.algorithm, FormSignatureAlgorithm::HmacSha256);
    assert!(store.shop(&shop(FORM_SHOP)).await.unwrap().is_some());
    for id in LYRA_SEEDED {
        let settings = store.form_settings(&shop(id)).await.unwrap().unwrap();
        let credentials = store.lyra_credentials(&shop(id)).await.unwrap().unwrap();
        assert_eq!(settings.test_key.as_deref(), Some(credentials.test_hmac_key.as_str()), "{id}");
        assert_eq!(settings.production_key.as_deref(), Some(credentials.production_hmac_key.as_str()), "{id}");
    }
    // A shop never set: no key; an unknown shop: none.
    assert_eq!(store.form_settings(&shop(SHOP)).await.unwrap(), Some(FormSettings::unset(shop(SHOP))));
    assert!(store.form_settings(&shop(UNKNOWN_SHOP)).await.unwrap().is_none());

    let settings = FormSettings {
        shop_id: shop(SHOP),
        test_key: Some("test-key".into()),
        production_key: Some("prod-key".into()),
        algorithm: FormSignatureAlgorithm::Sha1,
        warning_emails: vec!["a@shop.example".into(), "b@shop.example".into()],
    };
    store.set_form_settings(&settings).await.unwrap();
    assert_eq!(store.form_settings(&shop(SHOP)).await.unwrap(), Some(settings.clone()));
    let changed = FormSettings { algorithm: FormSignatureAlgorithm::HmacSha256, warning_emails: vec![], ..settings };
    store.set_form_settings(&changed).await.unwrap();
    assert_eq!(db.open().await.form_settings(&shop(SHOP)).await.unwrap(), Some(changed));
    let unknown = FormSettings::unset(shop(UNKNOWN_SHOP));
    assert!(matches!(store.set_form_settings(&unknown).await, Err(StoreError::NotFound)));
}

pub async fn trans_ids_are_reserved_once_per_day_whatever_the_case(db: &Db) {
    let store = db.open().await;
    let key = |id: &str, d: u32, shop_id: &str| FormTransIdKey::new(shop(shop_id), day(d), id);
    assert_eq!(store.reserve_form_trans_id(&key("AbC123", 28, FORM_SHOP), at()).await.unwrap(), Reservation::Reserved);
    assert_eq!(
        store.reserve_form_trans_id(&key("abc123", 28, FORM_SHOP), at()).await.unwrap(),
        Reservation::AlreadyUsed
    );
    assert_eq!(
        store.reserve_form_trans_id(&key("ABC123", 28, FORM_SHOP), at()).await.unwrap(),
        Reservation::AlreadyUsed
    );
    // Another day, another shop, another id: free.
    assert_eq!(store.reserve_form_trans_id(&key("abc123", 29, FORM_SHOP), at()).await.unwrap(), Reservation::Reserved);
    assert_eq!(store.reserve_form_trans_id(&key("abc123", 28, SHOP), at()).await.unwrap(), Reservation::Reserved);
    assert_eq!(store.reserve_form_trans_id(&key("abc124", 28, FORM_SHOP), at()).await.unwrap(), Reservation::Reserved);
    assert!(matches!(
        store.reserve_form_trans_id(&key("abc123", 28, UNKNOWN_SHOP), at()).await,
        Err(StoreError::NotFound)
    ));
    // Kept across a reopening.
    let reopened = db.open().await;
    assert_eq!(
        reopened.reserve_form_trans_id(&key("aBc123", 28, FORM_SHOP), at()).await.unwrap(),
        Reservation::AlreadyUsed
    );
}

pub async fn concurrent_reservations_of_one_trans_id_one_wins(db: &Db) {
    // Two stores: two caisse processes on one database.
    let stores = [db.open().await, db.open().await];
    let mut tasks = Vec::new();
    for index in 0..16 {
        let store = stores[index % 2].clone();
        let id = if index % 2 == 0 { "race01" } else { "RACE01" };
        let key = FormTransIdKey::new(shop(FORM_SHOP), day(28), id);
        tasks.push(tokio::spawn(async move { store.reserve_form_trans_id(&key, at()).await.unwrap() }));
    }
    let mut reserved = 0;
    for task in tasks {
        if task.await.unwrap() == Reservation::Reserved {
            reserved += 1;
        }
    }
    assert_eq!(reserved, 1);
}
