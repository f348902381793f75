//! Reading orders, changing a transaction before capture, and hosted-page sessions.

use super::{PaymentError, Payments};
use crate::command::UpdateTransaction;
use crate::money::{Amount, Currency};
use crate::payment_form::{FORM_TOKEN_LIFETIME, FormPurpose, PaymentForm};
use crate::ports::{ApplyError, LaterSource, TransitionFn};
use crate::shop::{Mode, ShopId};
use crate::transaction::{self, Transaction, TransactionKey, Transition};
use std::sync::Arc;

impl Payments {
    /// REST V4 `Transaction/Update`: lower the amount, move the capture date, or drop manual
    /// validation, before capture.
    pub async fn update_transaction(&self, command: UpdateTransaction) -> Result<Transition, PaymentError> {
        let now = self.clock.now();
        let UpdateTransaction { shop_id, key, amount, capture_date, validate_automatically } = command;
        let change = Box::new(move |tx: &Transaction| {
            transaction::update(tx, amount, capture_date, validate_automatically, now)
        });
        Ok(self.apply_later(&shop_id, &key, change).await?)
    }

    /// A merchant's change of a transaction, with the notices it owes when some are wired.
    pub(super) async fn apply_later(
        &self,
        shop_id: &ShopId,
        key: &TransactionKey,
        change: TransitionFn,
    ) -> Result<Transition, ApplyError> {
        match &self.later_notices {
            Some(notices) => {
                self.store.apply_noticed(shop_id, key, change, Arc::clone(notices), LaterSource::Merchant).await
            }
            None => self.store.apply(shop_id, key, change).await,
        }
    }

    /// A shop's transactions of one order, oldest first (refund credits included).
    pub async fn order_transactions(&self, shop_id: &ShopId, order_id: &str) -> Result<Vec<Transaction>, PaymentError> {
        Ok(self.store.transactions_by_order(shop_id, order_id).await?)
    }

    /// Opens a hosted-page session and returns it; its `form_token` is what the merchant gets.
    pub async fn create_payment_form(
        &self,
        shop_id: ShopId,
        mode: Mode,
        purpose: FormPurpose,
        amount: Amount,
        currency: Currency,
        request: serde_json::Map<String, serde_json::Value>,
    ) -> Result<PaymentForm, PaymentError> {
        let now = self.clock.now();
        let form = PaymentForm {
            form_token: new_form_token(),
            shop_id,
            mode,
            purpose,
            amount,
            currency,
            request,
            created_at: now,
            expires_at: now + FORM_TOKEN_LIFETIME,
            consumed_at: None,
        };
        self.store.insert_payment_form(&form).await?;
        Ok(form)
    }

    /// A session the page can still use (unknown, expired and consumed ones are `None`).
    pub async fn usable_payment_form(&self, form_token: &str) -> Result<Option<PaymentForm>, PaymentError> {
        let now = self.clock.now();
        Ok(self.store.payment_form(form_token).await?.filter(|form| form.is_usable_at(now)))
    }
}

/// An opaque, unguessable token: 32 random bytes, URL-safe.
fn new_form_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..48).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}
