//! Tokens: register a card (zero-amount VERIFICATION), pay with it, cancel and reactivate it.

use super::{Authorised, NewTransaction, PaymentError, Payments, stored_card_input, summary_of};
use crate::command::{Authorise, CreateToken, PayWithToken};
use crate::money::Amount;
use crate::operation::OperationName;
use crate::ports::{ChangeError, InsertError, NewCard};
use crate::shop::ShopId;
use crate::token::{self, PaymentToken, TokenMethod, TokenRefusal, TokenStatus};
use crate::transaction::{self, CaptureMode, Transaction, TransactionKey, TransactionKind, TransactionStatus};

/// Why a token cannot be used or changed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token not found")]
    NotFound,
    /// Cancelled, or of a kind this operation cannot use.
    #[error("token not usable")]
    NotUsable,
    #[error(transparent)]
    Refused(#[from] TokenRefusal),
    /// The verification authorisation was refused: no token was created.
    #[error("verification refused ({0})")]
    VerificationRefused(String),
    #[error(transparent)]
    Payment(#[from] PaymentError),
}

impl From<ChangeError<TokenRefusal>> for TokenError {
    fn from(error: ChangeError<TokenRefusal>) -> Self {
        match error {
            ChangeError::NotFound => TokenError::NotFound,
            ChangeError::Refused(refusal) => TokenError::Refused(refusal),
            ChangeError::Store(error) => TokenError::Payment(error.into()),
        }
    }
}

/// The zero-amount VERIFICATION that checks a card before a token holds it.
fn verification(command: &CreateToken, reference: String, token_id: &str) -> NewTransaction {
    NewTransaction {
        reference,
        shop_id: command.shop_id.clone(),
        kind: TransactionKind::Verification,
        amount: Amount::ZERO,
        currency: command.currency,
        capture_mode: CaptureMode::Immediate,
        capture_day: 0,
        order: command.order.clone(),
        source_id: None,
        first_operation: OperationName::Author,
        mode: command.mode,
        token_id: Some(token_id.to_owned()),
        subscription_id: None,
        cpay_option: None,
    }
}

/// A new token and the VERIFICATION transaction that created it.
#[derive(Clone, Debug)]
pub struct Registered {
    pub token: PaymentToken,
    pub verification: Authorised,
}

impl Payments {
    /// Checks the card with a zero-amount verification and, if the issuer accepts, stores the
    /// token, the verification and the vault entry in one database transaction.
    pub async fn create_token(&self, command: CreateToken) -> Result<Registered, TokenError> {
        let now = self.clock.now();
        let token_id = transaction::new_uuid();
        let new = verification(&command, token_id.clone(), &token_id);
        let decision = self.ask_acquirer(&new, &command.card, now).await?;
        if !decision.is_accepted() {
            return Err(TokenError::VerificationRefused(decision.acquirer_response_code));
        }
        let summary = summary_of(&command.card, &decision);
        let (verification, operation) = new.into_transaction(&decision, summary.clone(), now);
        let token = PaymentToken {
            id: token_id,
            shop_id: command.shop_id,
            mode: command.mode,
            status: TokenStatus::Active,
            method: TokenMethod::Card { card: summary.clone() },
            initial_issuer_transaction_identifier: decision.network_transaction_id.clone(),
            customer: command.customer,
            created_at: now,
            cancelled_at: None,
        };
        let card = NewCard { pan: command.card.pan.clone(), summary };
        let stored = self
            .store
            .insert_token(token, Some((verification.clone(), operation)), Some(card))
            .await
            .map_err(|error| TokenError::Payment(error.into()))?;
        let verification = self.transaction(&stored.shop_id, &TransactionKey::Id(verification.id)).await?;
        Ok(Registered { token: stored, verification: Authorised { transaction: verification, decision } })
    }

    /// A card payment that also registers the card as a token when the issuer accepts it
    /// (REST V4 `formAction: REGISTER_PAY` with card data): payment, token and vault entry in
    /// one database transaction. A refused payment is stored like any other, with no token.
    pub async fn authorise_and_register(
        &self,
        command: Authorise,
        customer: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(Authorised, Option<PaymentToken>), TokenError> {
        let now = self.clock.now();
        let token_id = transaction::new_uuid();
        let Authorise { shop_id, reference, amount, currency, capture_mode, capture_day, card, order, mode } = command;
        let new = NewTransaction {
            reference,
            shop_id: shop_id.clone(),
            kind: TransactionKind::Debit,
            amount,
            currency,
            capture_mode,
            capture_day,
            order,
            source_id: None,
            first_operation: OperationName::Author,
            mode,
            token_id: Some(token_id.clone()),
            subscription_id: None,
            cpay_option: None,
        };
        let decision = self.ask_acquirer(&new, &card, now).await?;
        if !decision.is_accepted() {
            let refused = NewTransaction { token_id: None, ..new };
            let summary = summary_of(&card, &decision);
            let (transaction, operation) = refused.into_transaction(&decision, summary.clone(), now);
            let stored = self
                .store
                .insert_transaction(transaction, operation, Some(NewCard { pan: card.pan.clone(), summary }))
                .await
                .map_err(|error| TokenError::Payment(error.into()))?;
            return Ok((Authorised { transaction: stored, decision }, None));
        }
        let summary = summary_of(&card, &decision);
        let (payment, operation) = new.into_transaction(&decision, summary.clone(), now);
        let token = PaymentToken {
            id: token_id,
            shop_id: shop_id.clone(),
            mode,
            status: TokenStatus::Active,
            method: TokenMethod::Card { card: summary.clone() },
            initial_issuer_transaction_identifier: decision.network_transaction_id.clone(),
            customer,
            created_at: now,
            cancelled_at: None,
        };
        let new_card = NewCard { pan: card.pan.clone(), summary };
        let inserted = self.store.insert_token(token, Some((payment.clone(), operation)), Some(new_card)).await;
        let token = match inserted {
            Ok(token) => token,
            Err(error) => {
                self.acquirer.reverse(&decision).await;
                return Err(TokenError::Payment(error.into()));
            }
        };
        let payment = self.transaction(&shop_id, &TransactionKey::Id(payment.id)).await?;
        Ok((Authorised { transaction: payment, decision }, Some(token)))
    }

    /// Registers the card of an accepted, non-verification transaction as a token.
    pub async fn token_from_transaction(
        &self,
        shop_id: &ShopId,
        key: &TransactionKey,
        customer: serde_json::Map<String, serde_json::Value>,
    ) -> Result<PaymentToken, TokenError> {
        let source = self.transaction(shop_id, key).await?;
        let refused = matches!(source.status, TransactionStatus::Refused);
        let card = match (&source.card, source.kind) {
            (Some(card), TransactionKind::Debit) if !refused => card.clone(),
            _ => return Err(TokenError::NotUsable),
        };
        let token = PaymentToken {
            id: transaction::new_uuid(),
            shop_id: shop_id.clone(),
            mode: source.mode,
            status: TokenStatus::Active,
            method: TokenMethod::Card { card },
            initial_issuer_transaction_identifier: source.authorisation.network_transaction_id.clone(),
            customer,
            created_at: self.clock.now(),
            cancelled_at: None,
        };
        self.store.insert_token(token, None, None).await.map_err(|error| match error {
            InsertError::DuplicateReference => TokenError::NotUsable,
            InsertError::Store(error) => TokenError::Payment(error.into()),
        })
    }

    /// Replaces a token's card (REST V4 Token/Update with card data): the new card is checked
    /// by a zero-amount verification; if the issuer accepts, the token points at it and the
    /// verification and vault entry are stored with that change, in one database transaction.
    /// The old card stays in the vault for the transactions made with it.
    pub async fn update_token_card(&self, token_id: &str, command: CreateToken) -> Result<Registered, TokenError> {
        // Checked before asking the issuer, and again on the locked token when storing.
        let current = self.token(&command.shop_id, token_id).await?;
        if !current.is_active() {
            return Err(TokenRefusal::AlreadyCancelled.into());
        }
        if current.card().is_none() {
            return Err(TokenRefusal::NotACard.into());
        }
        let now = self.clock.now();
        let new = verification(&command, transaction::new_uuid(), token_id);
        let decision = self.ask_acquirer(&new, &command.card, now).await?;
        if !decision.is_accepted() {
            return Err(TokenError::VerificationRefused(decision.acquirer_response_code));
        }
        let summary = summary_of(&command.card, &decision);
        let (verification, operation) = new.into_transaction(&decision, summary.clone(), now);
        let chaining = decision.network_transaction_id.clone();
        let renewed_card = summary.clone();
        let customer = command.customer;
        let change = Box::new(move |token: &PaymentToken| token::renew_card(token, renewed_card, chaining, customer));
        let card = NewCard { pan: command.card.pan.clone(), summary };
        let token = self
            .store
            .renew_token_card(&command.shop_id, token_id, change, (verification.clone(), operation), card)
            .await?;
        let verification = self.transaction(&token.shop_id, &TransactionKey::Id(verification.id)).await?;
        Ok(Registered { token, verification: Authorised { transaction: verification, decision } })
    }

    pub async fn token(&self, shop_id: &ShopId, token_id: &str) -> Result<PaymentToken, TokenError> {
        self.store
            .token(shop_id, token_id)
            .await
            .map_err(|error| TokenError::Payment(error.into()))?
            .ok_or(TokenError::NotFound)
    }

    pub async fn cancel_token(&self, shop_id: &ShopId, token_id: &str) -> Result<PaymentToken, TokenError> {
        let now = self.clock.now();
        Ok(self.store.change_token(shop_id, token_id, Box::new(move |token| token::cancel(token, now))).await?)
    }

    pub async fn reactivate_token(&self, shop_id: &ShopId, token_id: &str) -> Result<PaymentToken, TokenError> {
        Ok(self.store.change_token(shop_id, token_id, Box::new(token::reactivate)).await?)
    }

    /// A payment by token, without the cardholder (zero-click): a card token's card comes
    /// from the vault; a SEPA token's payment is a direct debit on its mandate.
    pub async fn pay_with_token(&self, command: PayWithToken) -> Result<Transaction, TokenError> {
        let (token, pan) = self
            .store
            .token_card(&command.shop_id, &command.token_id)
            .await
            .map_err(|error| TokenError::Payment(error.into()))?
            .ok_or(TokenError::NotFound)?;
        // TEST and PRODUCTION are separate worlds: a test token never pays for real.
        if token.mode != command.mode {
            return Err(TokenError::NotFound);
        }
        if !token.is_active() {
            return Err(TokenError::NotUsable);
        }
        let mut order = command.order;
        if let Some(chaining) = command.initial_issuer_transaction_identifier {
            order.extra.insert("initialIssuerTransactionIdentifier".into(), chaining.into());
        }
        let new = NewTransaction {
            reference: transaction::new_uuid(),
            shop_id: command.shop_id,
            kind: TransactionKind::Debit,
            amount: command.amount,
            currency: command.currency,
            capture_mode: command.capture_mode,
            capture_day: command.capture_day,
            order,
            source_id: None,
            first_operation: OperationName::Author,
            mode: command.mode,
            token_id: Some(token.id.clone()),
            subscription_id: None,
            cpay_option: None,
        };
        match token.method {
            TokenMethod::Card { card: summary } => {
                let pan = pan.ok_or(TokenError::Payment(PaymentError::NoCard))?;
                let card = stored_card_input(pan, &summary);
                Ok(self.authorise_with(new, &card, Some(summary)).await?.transaction)
            }
            TokenMethod::Sdd { mandate } => Ok(self.debit_mandate(new, mandate).await?),
        }
    }
}
