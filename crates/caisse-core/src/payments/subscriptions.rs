//! Subscriptions: created on an active card token, charged by `run_due_installments` on the
//! core clock (the server's scheduler and `caisse batch run` call it).

use super::{NewTransaction, PaymentError, Payments};
use crate::operation::OperationName;
use crate::ports::{ChangeError, InsertError, Installment, InstallmentError};
use crate::shop::ShopId;
use crate::subscription::{self, NewSubscription, RuleError, Subscription, SubscriptionChange, SubscriptionRefusal};
use crate::token::{TokenMethod, TokenStatus};
use crate::transaction::{self, CaptureMode, OrderDetails, TransactionKind};
use chrono::{DateTime, Utc};

/// Subscriptions charged per scheduler round at most; the next round takes the rest.
pub const INSTALLMENTS_PER_ROUND: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("subscription not found")]
    NotFound,
    #[error("token not found")]
    TokenNotFound,
    #[error("token not usable")]
    TokenNotUsable,
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Refused(#[from] SubscriptionRefusal),
    #[error(transparent)]
    Payment(#[from] PaymentError),
}

impl From<ChangeError<SubscriptionRefusal>> for SubscriptionError {
    fn from(error: ChangeError<SubscriptionRefusal>) -> Self {
        match error {
            ChangeError::NotFound => SubscriptionError::NotFound,
            ChangeError::Refused(refusal) => SubscriptionError::Refused(refusal),
            ChangeError::Store(error) => SubscriptionError::Payment(error.into()),
        }
    }
}

/// What one scheduler round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstallmentReport {
    pub accepted: u64,
    pub refused: u64,
}

impl Payments {
    pub async fn create_subscription(&self, new: NewSubscription) -> Result<Subscription, SubscriptionError> {
        let token = self
            .store
            .token(&new.shop_id, &new.token_id)
            .await
            .map_err(PaymentError::from)?
            .ok_or(SubscriptionError::TokenNotFound)?;
        if token.status != TokenStatus::Active {
            return Err(SubscriptionError::TokenNotUsable);
        }
        let created = subscription::create(new, self.clock.now())?;
        self.store.insert_subscription(&created).await.map_err(|error| match error {
            InsertError::DuplicateReference => SubscriptionError::Refused(SubscriptionRefusal::AlreadyStarted),
            InsertError::Store(error) => SubscriptionError::Payment(error.into()),
        })?;
        Ok(created)
    }

    pub async fn subscription(&self, shop_id: &ShopId, id: &str) -> Result<Subscription, SubscriptionError> {
        self.store.subscription(shop_id, id).await.map_err(PaymentError::from)?.ok_or(SubscriptionError::NotFound)
    }

    /// Ends a subscription now, or on `termination` when that is ahead (`terminationDate`).
    pub async fn cancel_subscription(
        &self,
        shop_id: &ShopId,
        id: &str,
        termination: Option<DateTime<Utc>>,
    ) -> Result<Subscription, SubscriptionError> {
        let now = self.clock.now();
        Ok(self
            .store
            .change_subscription(shop_id, id, Box::new(move |current| subscription::cancel(current, now, termination)))
            .await?)
    }

    pub async fn update_subscription(
        &self,
        shop_id: &ShopId,
        id: &str,
        change: SubscriptionChange,
    ) -> Result<Subscription, SubscriptionError> {
        let now = self.clock.now();
        subscription::validate_rule(&change.rrule, change.effect_date)?;
        let changed = self
            .store
            .change_subscription(
                shop_id,
                id,
                Box::new(move |current| {
                    // The rule was checked above; a rule error here cannot happen.
                    subscription::change(current, change, now)?.map_err(|_| SubscriptionRefusal::AlreadyStarted)
                }),
            )
            .await?;
        Ok(changed)
    }

    /// Charges every installment due now. A refused installment still counts (the platform
    /// does not retry it); a cancelled token leaves its subscriptions unpaid but counting.
    pub async fn run_due_installments(&self) -> Result<InstallmentReport, PaymentError> {
        let mut report = InstallmentReport::default();
        loop {
            let now = self.clock.now();
            let due = self.store.due_subscriptions(now, INSTALLMENTS_PER_ROUND).await?;
            let round = due.len();
            for subscription in due {
                match self.charge_installment(subscription).await {
                    Ok(Some(true)) => report.accepted += 1,
                    Ok(Some(false)) => report.refused += 1,
                    Ok(None) => {}
                    Err(error) => return Err(error),
                }
            }
            if round < INSTALLMENTS_PER_ROUND {
                return Ok(report);
            }
        }
    }

    /// `Some(accepted)` when an installment was recorded, `None` when another instance did it.
    async fn charge_installment(&self, subscription: Subscription) -> Result<Option<bool>, PaymentError> {
        let Some(expected_due_at) = subscription.next_due_at else {
            return Ok(None);
        };
        let now = self.clock.now();
        let token = self.store.token(&subscription.shop_id, &subscription.token_id).await?;
        let method = token.filter(|token| token.status == TokenStatus::Active).map(|token| token.method);
        let mut order = OrderDetails { order_id: subscription.order_id.clone(), ..OrderDetails::default() };
        order.payment_pattern = Some("RECURRING_N".into());
        let new = NewTransaction {
            reference: transaction::new_uuid(),
            shop_id: subscription.shop_id.clone(),
            kind: TransactionKind::Debit,
            amount: subscription.next_amount(),
            currency: subscription.currency,
            capture_mode: CaptureMode::AuthorCapture,
            capture_day: 0,
            order,
            source_id: None,
            first_operation: OperationName::Author,
            mode: subscription.mode,
            token_id: Some(subscription.token_id.clone()),
            subscription_id: Some(subscription.id.clone()),
            cpay_option: None,
        };
        let (transaction, operation, decision) = match method {
            Some(TokenMethod::Card { card: summary }) => {
                let input = self.card_of(&subscription.shop_id, &summary).await?;
                let decision = self.ask_acquirer(&new, &input, now).await?;
                let (transaction, operation) = new.into_transaction(&decision, summary, now);
                (transaction, operation, Some(decision))
            }
            Some(TokenMethod::Sdd { mandate }) => {
                let (transaction, operation) = new.into_sepa_debit(mandate, now);
                (transaction, operation, None)
            }
            // No usable token: the installment is skipped, not charged.
            None => return self.skip_installment(subscription, expected_due_at).await,
        };
        let accepted = transaction.status != crate::transaction::TransactionStatus::Refused;
        let updated = subscription.after_installment().map_err(|error| {
            PaymentError::Store(crate::ports::StoreError::Corrupt(format!("stored rrule: {error}")))
        })?;
        let installment = Installment { transaction, operation, expected_due_at, subscription: updated };
        match self.store.record_installment(installment).await {
            Ok(_) => Ok(Some(accepted)),
            Err(InstallmentError::AlreadyRecorded) => {
                if let Some(decision) = decision.filter(|decision| decision.is_accepted()) {
                    self.acquirer.reverse(&decision).await;
                }
                Ok(None)
            }
            Err(InstallmentError::Insert(error)) => Err(error.into()),
        }
    }

    async fn skip_installment(
        &self,
        subscription: Subscription,
        due: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<bool>, PaymentError> {
        let id = subscription.id.clone();
        let shop_id = subscription.shop_id.clone();
        let result = self
            .store
            .change_subscription(
                &shop_id,
                &id,
                Box::new(move |current| {
                    if current.next_due_at != Some(due) {
                        return Err(SubscriptionRefusal::AlreadyStarted);
                    }
                    current.after_installment().map_err(|_| SubscriptionRefusal::AlreadyStarted)
                }),
            )
            .await;
        match result {
            Ok(_) => Ok(Some(false)),
            Err(ChangeError::Store(error)) => Err(error.into()),
            Err(_) => Ok(None),
        }
    }
}
