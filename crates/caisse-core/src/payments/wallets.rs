//! Wallets: add a card or a SEPA mandate, read, rename and remove them, and pay or credit with
//! a wallet's card. Each change is one store call (one database transaction).

use super::{Authorised, NewTransaction, PaymentError, Payments, stored_card_input};
use crate::command::CardInput;
use crate::money::{Amount, Currency};
use crate::operation::OperationName;
use crate::ports::{InsertError, NewCard, StoreError};
use crate::shop::{Mode, ShopId};
use crate::token::{SepaMandate, TokenMethod};
use crate::transaction::{self, CaptureMode, OrderDetails, TransactionKind};
use crate::wallet::{self, Iban, NewWalletMean, Wallet, WalletPaymentMean, WalletSecret};

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("unknown wallet")]
    UnknownWallet,
    /// The wallet, or the mean in it, is unknown.
    #[error("unknown payment mean")]
    UnknownPaymentMean,
    #[error("payment mean already in the wallet")]
    AlreadyInWallet,
    /// The brand chosen for the card is not one of the card's.
    #[error("brand not on the card")]
    BrandNotOnCard,
    /// A payment or credit by a mean that is not a card.
    #[error("payment mean is not a card")]
    NotACard,
    #[error(transparent)]
    Payment(#[from] PaymentError),
}

impl From<StoreError> for WalletError {
    fn from(error: StoreError) -> Self {
        WalletError::Payment(PaymentError::Store(error))
    }
}

fn added(error: InsertError) -> WalletError {
    match error {
        InsertError::DuplicateReference => WalletError::AlreadyInWallet,
        InsertError::Store(error) => error.into(),
    }
}

/// Sips addCard: no authorisation, the card is only stored (its CVV, if any, is dropped).
#[derive(Clone, Debug)]
pub struct AddCard {
    pub shop_id: ShopId,
    pub merchant_wallet_id: String,
    pub card: CardInput,
    pub alias: Option<String>,
}

/// Sips addDirectDebit: a SEPA mandate on the debtor's account.
#[derive(Clone, Debug)]
pub struct AddDirectDebit {
    pub shop_id: ShopId,
    pub merchant_wallet_id: String,
    pub iban: Iban,
    pub bic: Option<String>,
    /// The mandate's reference (RUM); caisse makes one when the merchant gives none.
    pub mandate_id: Option<String>,
    pub alias: Option<String>,
}

/// A payment (walletOrder) or a credit (walletCreditHolder) with a wallet's card.
#[derive(Clone, Debug)]
pub struct WalletPayment {
    pub shop_id: ShopId,
    pub merchant_wallet_id: String,
    pub payment_mean_id: u32,
    pub reference: String,
    pub amount: Amount,
    pub currency: Currency,
    pub capture_mode: CaptureMode,
    pub capture_day: u8,
    /// Typed by the cardholder for this payment; never stored.
    pub csc: Option<String>,
    pub order: OrderDetails,
    pub mode: Mode,
}

impl Payments {
    pub async fn add_card(&self, command: AddCard) -> Result<(Wallet, WalletPaymentMean), WalletError> {
        let AddCard { shop_id, merchant_wallet_id, card, alias } = command;
        let summary = self.summary_from_bin(&card);
        let summary = wallet::with_brand_choice(summary, card.brand_choice).ok_or(WalletError::BrandNotOnCard)?;
        let mean = NewWalletMean {
            shop_id,
            merchant_wallet_id,
            alias,
            method: TokenMethod::Card { card: summary.clone() },
            secret: WalletSecret::Card(NewCard { pan: card.pan, summary }),
            at: self.clock.now(),
        };
        self.store.add_wallet_payment_mean(mean).await.map_err(added)
    }

    pub async fn add_direct_debit(&self, command: AddDirectDebit) -> Result<(Wallet, WalletPaymentMean), WalletError> {
        let AddDirectDebit { shop_id, merchant_wallet_id, iban, bic, mandate_id, alias } = command;
        let now = self.clock.now();
        let mandate = SepaMandate {
            // RUM: at most 35 characters.
            rum: mandate_id.unwrap_or_else(|| format!("RUM{}", transaction::new_uuid().to_uppercase())),
            masked_iban: iban.masked(),
            bic,
            signed_at: now,
        };
        let mean = NewWalletMean {
            shop_id,
            merchant_wallet_id,
            alias,
            method: TokenMethod::Sdd { mandate },
            secret: WalletSecret::Iban(iban),
            at: now,
        };
        self.store.add_wallet_payment_mean(mean).await.map_err(added)
    }

    pub async fn wallet(
        &self,
        shop_id: &ShopId,
        merchant_wallet_id: &str,
    ) -> Result<(Wallet, Vec<WalletPaymentMean>), WalletError> {
        self.store.wallet(shop_id, merchant_wallet_id).await?.ok_or(WalletError::UnknownWallet)
    }

    pub async fn wallet_payment_mean(
        &self,
        shop_id: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
    ) -> Result<WalletPaymentMean, WalletError> {
        self.store
            .wallet_payment_mean(shop_id, merchant_wallet_id, payment_mean_id)
            .await?
            .ok_or(WalletError::UnknownPaymentMean)
    }

    /// Renames a mean (`paymentMeanAlias`; none removes the alias). Returns the time of the change.
    pub async fn update_payment_mean(
        &self,
        shop_id: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
        alias: Option<String>,
    ) -> Result<chrono::DateTime<chrono::Utc>, WalletError> {
        let now = self.clock.now();
        self.store
            .update_wallet_payment_mean(shop_id, merchant_wallet_id, payment_mean_id, alias, now)
            .await?
            .ok_or(WalletError::UnknownPaymentMean)?;
        Ok(now)
    }

    /// Removes a mean for good. Returns the time of the removal.
    pub async fn delete_payment_mean(
        &self,
        shop_id: &ShopId,
        merchant_wallet_id: &str,
        payment_mean_id: u32,
    ) -> Result<chrono::DateTime<chrono::Utc>, WalletError> {
        let now = self.clock.now();
        let deleted = self.store.delete_wallet_payment_mean(shop_id, merchant_wallet_id, payment_mean_id, now).await?;
        if deleted { Ok(now) } else { Err(WalletError::UnknownPaymentMean) }
    }

    /// Removes a wallet and its means (Sips signOff). Returns the time of the removal.
    pub async fn sign_off(
        &self,
        shop_id: &ShopId,
        merchant_wallet_id: &str,
    ) -> Result<chrono::DateTime<chrono::Utc>, WalletError> {
        let now = self.clock.now();
        let deleted = self.store.delete_wallet(shop_id, merchant_wallet_id).await?;
        if deleted { Ok(now) } else { Err(WalletError::UnknownWallet) }
    }

    /// A payment with a wallet's card (Sips walletOrder): as a card payment, the card from the
    /// vault, the transaction on the card's vault entry.
    pub async fn wallet_order(&self, command: WalletPayment) -> Result<Authorised, WalletError> {
        self.pay_by_wallet(command, TransactionKind::Debit, OperationName::Author).await
    }

    /// A credit to a wallet's card with no original transaction (Sips walletCreditHolder).
    pub async fn wallet_credit_holder(&self, mut command: WalletPayment) -> Result<Authorised, WalletError> {
        command.capture_mode = CaptureMode::AuthorCapture;
        command.capture_day = 0;
        self.pay_by_wallet(command, TransactionKind::Credit, OperationName::CreditHolder).await
    }

    async fn pay_by_wallet(
        &self,
        command: WalletPayment,
        kind: TransactionKind,
        first_operation: OperationName,
    ) -> Result<Authorised, WalletError> {
        let mean =
            self.wallet_payment_mean(&command.shop_id, &command.merchant_wallet_id, command.payment_mean_id).await?;
        let summary = mean.card().cloned().ok_or(WalletError::NotACard)?;
        let pan = self.store.reveal_pan(&command.shop_id, &summary.card_id).await?.ok_or(PaymentError::NoCard)?;
        let card = CardInput { csc: command.csc, ..stored_card_input(pan, &summary) };
        let new = NewTransaction {
            shop_id: command.shop_id,
            reference: command.reference,
            kind,
            amount: command.amount,
            currency: command.currency,
            capture_mode: command.capture_mode,
            capture_day: command.capture_day,
            order: command.order,
            source_id: None,
            first_operation,
            mode: command.mode,
            token_id: None,
            subscription_id: None,
            cpay_option: None,
        };
        Ok(self.authorise_with(new, &card, Some(summary)).await?)
    }
}
