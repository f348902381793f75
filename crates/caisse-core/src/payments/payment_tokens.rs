//! Sips payment tokens: turn card data into a single-use token (paymentTokenGenerate, the
//! hosted-fields page), then pay with it (cardOrder `paymentToken`) through the same
//! acquirer call as a card payment. The token is spent in the database transaction that
//! records the payment, so two payments racing for one token, even on two caisse instances,
//! get one payment and one refusal.

use super::{Authorised, NewTransaction, PaymentError, Payments, stored_card_input, summary_of};
use crate::bin_table;
use crate::card::CardBrand;
use crate::command::CardInput;
use crate::money::{Amount, Currency};
use crate::operation::OperationName;
use crate::payment_token::{self, CardPaymentToken, HostedFieldsSession, PaymentTokenRefusal, SpendError, TokenOrigin};
use crate::ports::{NewCard, StoreError};
use crate::shop::{Mode, ShopId};
use crate::transaction::{self, CaptureMode, OrderDetails, TransactionKind};
use crate::wallet;

#[derive(Debug, thiserror::Error)]
pub enum PaymentTokenError {
    #[error(transparent)]
    Refused(#[from] PaymentTokenRefusal),
    /// The number fails the Luhn check (test ranges are spared it).
    #[error("invalid card number")]
    InvalidCard,
    #[error("card expired")]
    CardExpired,
    /// The brand chosen is not one of the card's.
    #[error("brand not on the card")]
    BrandNotOnCard,
    /// `paymentTokenConsumerMerchantId` names no shop.
    #[error("unknown consumer merchant")]
    UnknownConsumer,
    #[error(transparent)]
    Payment(#[from] PaymentError),
}

impl From<StoreError> for PaymentTokenError {
    fn from(error: StoreError) -> Self {
        PaymentTokenError::Payment(PaymentError::Store(error))
    }
}

/// paymentTokenGenerate, or the hosted-fields page's post.
#[derive(Clone, Debug)]
pub struct GeneratePaymentToken {
    pub shop_id: ShopId,
    /// `paymentTokenConsumerMerchantId`: the merchant that will pay with it, when not the
    /// generating one.
    pub consumer_id: Option<ShopId>,
    /// Its CVV, if any, is dropped: caisse never stores one (the simulated acquirer does not
    /// check it anyway).
    pub card: CardInput,
    pub origin: TokenOrigin,
}

/// A new token and its text, as handed to the merchant.
#[derive(Clone, Debug)]
pub struct GeneratedPaymentToken {
    pub token: CardPaymentToken,
    pub text: String,
}

/// A card payment whose card is a payment token (cardOrder with `paymentToken`).
#[derive(Clone, Debug)]
pub struct PayWithPaymentToken {
    pub shop_id: ShopId,
    pub reference: String,
    pub amount: Amount,
    pub currency: Currency,
    pub capture_mode: CaptureMode,
    pub capture_day: u8,
    pub payment_token: String,
    pub order: OrderDetails,
    pub mode: Mode,
}

impl Payments {
    pub async fn generate_payment_token(
        &self,
        command: GeneratePaymentToken,
    ) -> Result<GeneratedPaymentToken, PaymentTokenError> {
        let GeneratePaymentToken { shop_id, consumer_id, card, origin } = command;
        let now = self.clock.now();
        let exempt = bin_table::lookup(card.pan.digits()).is_some_and(bin_table::BinRange::is_test_range);
        if !exempt && !card.pan.passes_luhn() {
            return Err(PaymentTokenError::InvalidCard);
        }
        if card.expiry.is_expired_at(now.date_naive()) {
            return Err(PaymentTokenError::CardExpired);
        }
        let consumer_id = match consumer_id {
            Some(consumer) if consumer != shop_id => {
                self.store.shop(&consumer).await?.ok_or(PaymentTokenError::UnknownConsumer)?;
                consumer
            }
            _ => shop_id.clone(),
        };
        let summary = self.summary_from_bin(&card);
        let summary = wallet::with_brand_choice(summary, card.brand_choice).ok_or(PaymentTokenError::BrandNotOnCard)?;
        let token = CardPaymentToken {
            id: transaction::new_uuid(),
            shop_id,
            consumer_id,
            card: summary.clone(),
            origin,
            created_at: now,
            expires_at: now + payment_token::LIFETIME,
            consumed_at: None,
        };
        self.store.insert_card_payment_token(&token, NewCard { pan: card.pan, summary }).await?;
        let text = token.sign(&self.store.payment_token_key());
        Ok(GeneratedPaymentToken { token, text })
    }

    /// The token a `paymentToken` text names, checked (caisse's signature, its record, the
    /// consumer, expiry, not spent yet), with its card ready for the acquirer.
    pub(super) async fn usable_payment_token(
        &self,
        shop_id: &ShopId,
        text: &str,
    ) -> Result<(CardPaymentToken, CardInput), PaymentTokenError> {
        let claims = payment_token::verify_payment_token(text, &self.store.payment_token_key())?;
        let (token, pan) = self.store.card_payment_token(&claims.id).await?.ok_or(PaymentTokenRefusal::NotValid)?;
        if token.shop_id.as_str() != claims.shop_id || token.consumer_id.as_str() != claims.consumer_id {
            return Err(PaymentTokenRefusal::NotValid.into());
        }
        token.check_use(shop_id, self.clock.now())?;
        let card = stored_card_input(pan, &token.card);
        Ok((token, card))
    }

    pub async fn pay_with_payment_token(&self, command: PayWithPaymentToken) -> Result<Authorised, PaymentTokenError> {
        let now = self.clock.now();
        let (token, card) = self.usable_payment_token(&command.shop_id, &command.payment_token).await?;
        let new = NewTransaction {
            shop_id: command.shop_id,
            reference: command.reference,
            kind: TransactionKind::Debit,
            amount: command.amount,
            currency: command.currency,
            capture_mode: command.capture_mode,
            capture_day: command.capture_day,
            order: command.order,
            source_id: None,
            first_operation: OperationName::Author,
            mode: command.mode,
            token_id: None,
            subscription_id: None,
            cpay_option: None,
        };
        let decision = self.ask_acquirer(&new, &card, now).await?;
        // A vault entry of the paying shop's own: later duplicates read the card from it.
        let summary = summary_of(&card, &decision);
        let (transaction, operation) = new.into_transaction(&decision, summary.clone(), now);
        let new_card = NewCard { pan: card.pan, summary };
        match self.store.insert_transaction_spending_token(&token.id, transaction, operation, new_card).await {
            Ok(stored) => {
                stored.assert_invariants();
                Ok(Authorised { transaction: stored, decision })
            }
            Err(error) => {
                if decision.is_accepted() {
                    self.acquirer.reverse(&decision).await;
                }
                Err(match error {
                    SpendError::Used => PaymentTokenRefusal::Used.into(),
                    SpendError::DuplicateReference => PaymentError::DuplicateReference.into(),
                    SpendError::Store(error) => error.into(),
                    SpendError::SessionNotOpen => {
                        PaymentError::Store(crate::ports::StoreError::Corrupt("no session was claimed".into())).into()
                    }
                })
            }
        }
    }

    /// hostedFieldsInitialize: a session the cardholder's browser turns into a payment token.
    pub fn open_hosted_fields_session(&self, shop_id: ShopId, brands: Vec<CardBrand>) -> String {
        let session = HostedFieldsSession { shop_id, brands, expires_at: self.clock.now() + payment_token::LIFETIME };
        session.sign(&self.store.payment_token_key())
    }

    /// The session a `merchantSessionToken` stands for, if still valid.
    pub fn hosted_fields_session(&self, text: &str) -> Result<HostedFieldsSession, PaymentTokenRefusal> {
        HostedFieldsSession::verify(text, &self.store.payment_token_key(), self.clock.now())
    }

    /// The hosted-fields page's post: a payment token for the session's shop, which the shop
    /// itself spends. A brand outside the session's list is refused.
    pub async fn hosted_fields_payment_token(
        &self,
        session: &HostedFieldsSession,
        card: CardInput,
    ) -> Result<GeneratedPaymentToken, PaymentTokenError> {
        let command = GeneratePaymentToken {
            shop_id: session.shop_id.clone(),
            consumer_id: None,
            card,
            origin: TokenOrigin::HostedFields,
        };
        if !session.brands.is_empty() {
            let (brand, co_brands) = self.acquirer.brand_of(&command.card.pan);
            let chosen = command.card.brand_choice.unwrap_or(brand);
            let offered = session.brands.contains(&chosen)
                || (command.card.brand_choice.is_none() && co_brands.iter().any(|b| session.brands.contains(b)));
            if !offered {
                return Err(PaymentTokenError::BrandNotOnCard);
            }
        }
        self.generate_payment_token(command).await
    }
}
