//! 3-D Secure by redirection: the enrolment check creates the transaction waiting for its
//! authentication, the ACS decides, and the PaRes comes back to authorise it (at once, or by
//! the cardOrder that follows a validation). See `crate::three_ds` for the rules.

use super::payment_tokens::{PayWithPaymentToken, PaymentTokenError};
use super::wallets::{WalletError, WalletPayment};
use super::{Authorised, PaymentError, Payments, stored_card_input};
use crate::card::CardSummary;
use crate::command::{Authorise, CardInput};
use crate::money::{Amount, Currency};
use crate::operation::{Operation, OperationName};
use crate::payment_token::{PaymentTokenRefusal, SpendError};
use crate::ports::{AuthorisationDecision, ChangeError, NewCard, OwedFn, ThreeDsClaim, nothing_owed};
use crate::shop::{Mode, ShopId};
use crate::three_ds::{self, HolderChoice, MessageError, MessageKind, PaResUse, ThreeDsAuthentication, ThreeDsRefusal};
use crate::transaction::{
    self, AuthorisationDetails, CaptureMode, OrderDetails, Transaction, TransactionId, TransactionKey, TransactionKind,
};
use crate::wallet;

/// The request field a 3-D Secure error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreeDsField {
    PaReq,
    PaRes,
    RedirectionData,
    MessageVersion,
    TransactionReference,
}

#[derive(Debug, thiserror::Error)]
pub enum ThreeDsError {
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error("{field:?}: {error}")]
    Message { field: ThreeDsField, error: MessageError },
    /// A well-signed message, or the transactionReference, of another authentication.
    #[error("{0:?} belongs to another transaction")]
    OtherTransaction(ThreeDsField),
    #[error("messageVersion differs from the one issued")]
    MessageVersion,
    /// An enrolled card's authentication needs its PaRes.
    #[error("PaRes missing")]
    PaResMissing,
    #[error("unknown authentication")]
    UnknownAuthentication,
    #[error(transparent)]
    Refused(ThreeDsRefusal),
}

impl From<ChangeError<ThreeDsRefusal>> for ThreeDsError {
    fn from(error: ChangeError<ThreeDsRefusal>) -> Self {
        match error {
            ChangeError::NotFound => ThreeDsError::UnknownAuthentication,
            ChangeError::Refused(ThreeDsRefusal::Transaction(refusal)) => PaymentError::Refused(refusal).into(),
            ChangeError::Refused(refusal) => ThreeDsError::Refused(refusal),
            ChangeError::Store(error) => PaymentError::Store(error).into(),
        }
    }
}

/// cardCheckEnrollment's result: the waiting transaction and what the merchant needs to
/// redirect the holder.
#[derive(Clone, Debug)]
pub struct Enrollment {
    pub transaction: Transaction,
    pub authentication: ThreeDsAuthentication,
    pub pa_req: String,
    pub redirection_data: String,
}

/// cardValidateAuthentication(AndOrder): the messages the merchant got back.
#[derive(Clone, Debug)]
pub struct ValidateAuthentication {
    pub shop_id: ShopId,
    pub redirection_data: String,
    /// None for a card that is not enrolled (no redirection happened).
    pub pa_res: Option<String>,
    pub message_version: String,
    /// Checked against the authentication's transaction when given.
    pub key: Option<TransactionKey>,
}

/// An authentication whose PaRes was spent, and its transaction as it stands.
#[derive(Clone, Debug)]
pub struct Validated {
    pub authentication: ThreeDsAuthentication,
    pub transaction: Transaction,
    /// The acquirer's answer, when the transaction was authorised.
    pub decision: Option<AuthorisationDecision>,
}

/// What the ACS page shows.
#[derive(Clone, Debug)]
pub struct AcsSession {
    pub authentication: ThreeDsAuthentication,
    pub transaction: Transaction,
    pub shop_name: String,
}

/// A store error of an insert that spent no token.
fn not_spending(error: SpendError) -> PaymentError {
    match error {
        SpendError::DuplicateReference => PaymentError::DuplicateReference,
        SpendError::Store(error) => PaymentError::Store(error),
        SpendError::Used | SpendError::SessionNotOpen => {
            PaymentError::Store(crate::ports::StoreError::Corrupt("nothing was claimed".into()))
        }
    }
}

/// The waiting transaction's fields.
pub(super) struct Waiting {
    pub(super) shop_id: ShopId,
    pub(super) reference: String,
    pub(super) amount: Amount,
    pub(super) currency: Currency,
    pub(super) capture_mode: CaptureMode,
    pub(super) capture_day: u8,
    pub(super) order: OrderDetails,
    pub(super) mode: Mode,
    pub(super) cpay_option: Option<crate::cpay::CpayOption>,
    /// The token it registers if accepted (a hosted-page `REGISTER_PAY`).
    pub(super) token_id: Option<String>,
}

impl Payments {
    /// Sips cardCheckEnrollment: the transaction, waiting (TO_AUTHORIZE) with its card in the
    /// vault (never its CVV), and its authentication, in one store call.
    pub async fn check_enrollment(&self, command: Authorise) -> Result<Enrollment, PaymentError> {
        self.enrol_card(command, ThreeDsClaim::Nothing).await.map_err(not_spending)
    }

    /// cardCheckEnrollment with a hosted-fields `paymentToken`: the token is spent in the
    /// database transaction that creates the waiting transaction, which gets its own vault
    /// entry of the card (as a payment by token does).
    pub async fn check_enrollment_with_payment_token(
        &self,
        command: PayWithPaymentToken,
    ) -> Result<Enrollment, PaymentTokenError> {
        let (token, card) = self.usable_payment_token(&command.shop_id, &command.payment_token).await?;
        let PayWithPaymentToken {
            shop_id, reference, amount, currency, capture_mode, capture_day, order, mode, ..
        } = command;
        let command = Authorise { shop_id, reference, amount, currency, capture_mode, capture_day, card, order, mode };
        let claim = ThreeDsClaim::PaymentToken(token.id);
        self.enrol_card(command, claim).await.map_err(|error| match error {
            SpendError::Used => PaymentTokenRefusal::Used.into(),
            other => not_spending(other).into(),
        })
    }

    /// A card typed for this payment: its vault entry is new.
    async fn enrol_card(&self, command: Authorise, claim: ThreeDsClaim) -> Result<Enrollment, SpendError> {
        let Authorise { shop_id, reference, amount, currency, capture_mode, capture_day, card, order, mode } = command;
        let summary = self.summary_from_bin(&card);
        // A brand the card does not carry is ignored, as cardOrder's acquirer does.
        let summary = wallet::with_brand_choice(summary.clone(), card.brand_choice).unwrap_or(summary);
        let waiting = Waiting {
            shop_id,
            reference,
            amount,
            currency,
            capture_mode,
            capture_day,
            order,
            mode,
            cpay_option: None,
            token_id: None,
        };
        let new_card = NewCard { pan: card.pan.clone(), summary: summary.clone() };
        self.enrol(waiting, &card, summary, Some(new_card), claim).await
    }

    /// Sips walletCheckEnrollment: as cardCheckEnrollment with a wallet's card, the
    /// transaction on the card's vault entry.
    pub async fn check_wallet_enrollment(&self, command: WalletPayment) -> Result<Enrollment, WalletError> {
        let mean =
            self.wallet_payment_mean(&command.shop_id, &command.merchant_wallet_id, command.payment_mean_id).await?;
        let summary = mean.card().cloned().ok_or(WalletError::NotACard)?;
        let pan = self.store.reveal_pan(&command.shop_id, &summary.card_id).await?.ok_or(PaymentError::NoCard)?;
        let card = stored_card_input(pan, &summary);
        let waiting = Waiting {
            shop_id: command.shop_id,
            reference: command.reference,
            amount: command.amount,
            currency: command.currency,
            capture_mode: command.capture_mode,
            capture_day: command.capture_day,
            order: command.order,
            mode: command.mode,
            cpay_option: None,
            token_id: None,
        };
        Ok(self.enrol(waiting, &card, summary, None, ThreeDsClaim::Nothing).await.map_err(not_spending)?)
    }

    pub(super) async fn enrol(
        &self,
        waiting: Waiting,
        card: &CardInput,
        summary: CardSummary,
        new_card: Option<NewCard>,
        claim: ThreeDsClaim,
    ) -> Result<Enrollment, SpendError> {
        let now = self.clock.now();
        let enrolment = self.acquirer.three_ds_enrolment(&card.pan);
        let capture_day = if waiting.capture_mode == CaptureMode::Immediate { 0 } else { waiting.capture_day };
        let id = TransactionId::new();
        let operation = Operation::new(id.clone(), OperationName::Author, waiting.amount, now);
        let transaction = Transaction {
            id,
            shop_id: waiting.shop_id,
            reference: waiting.reference,
            s10_transaction_id: 0,
            kind: TransactionKind::Debit,
            status: three_ds::WAITING,
            currency: waiting.currency,
            origin_amount: waiting.amount,
            amount: waiting.amount,
            refunded_amount: Amount::ZERO,
            capture_mode: waiting.capture_mode,
            capture_day,
            capture_date: transaction::capture_date(now, capture_day),
            created_at: now,
            last_operation: OperationName::Author,
            last_operation_at: now,
            card: Some(summary),
            authorisation: AuthorisationDetails::default(),
            order: waiting.order,
            source_id: None,
            mode: waiting.mode,
            parent_id: None,
            token_id: waiting.token_id,
            subscription_id: None,
            mandate: None,
            cpay_option: waiting.cpay_option,
        };
        transaction.assert_invariants();
        let authentication = ThreeDsAuthentication::new(&transaction, enrolment, now);
        let stored =
            self.store.insert_three_ds(transaction, operation, new_card, authentication.clone(), claim).await?;
        let key = self.store.three_ds_message_key();
        Ok(Enrollment {
            pa_req: three_ds::sign(MessageKind::PaReq, &authentication.id, &key),
            redirection_data: three_ds::sign(MessageKind::RedirectionData, &authentication.id, &key),
            transaction: stored,
            authentication,
        })
    }

    /// The ACS page's view of a PaReq.
    pub async fn acs_session(&self, pa_req: &str) -> Result<AcsSession, ThreeDsError> {
        let authentication = self.authentication_of(MessageKind::PaReq, ThreeDsField::PaReq, pa_req).await?;
        let transaction = self
            .store
            .transaction(&authentication.shop_id, &TransactionKey::Id(authentication.transaction_id.clone()))
            .await
            .map_err(PaymentError::from)?
            .ok_or(PaymentError::UnknownTransaction)?;
        let shop_name = self
            .store
            .shop(&authentication.shop_id)
            .await
            .map_err(PaymentError::from)?
            .map(|shop| shop.name)
            .unwrap_or_default();
        Ok(AcsSession { authentication, transaction, shop_name })
    }

    /// The ACS's decision, once; returns the authentication and its PaRes.
    pub async fn acs_decide(
        &self,
        pa_req: &str,
        choice: HolderChoice,
    ) -> Result<(ThreeDsAuthentication, String), ThreeDsError> {
        let key = self.store.three_ds_message_key();
        let id = three_ds::verify(MessageKind::PaReq, pa_req, &key)
            .map_err(|error| ThreeDsError::Message { field: ThreeDsField::PaReq, error })?;
        let now = self.clock.now();
        let decided = self.store.change_three_ds(&id, Box::new(move |current| current.decide(choice, now))).await?;
        Ok((decided, three_ds::sign(MessageKind::PaRes, &id, &key)))
    }

    /// Sips cardValidateAuthentication: spends the PaRes and tells its result; a cardOrder
    /// on the same transactionReference authorises it. A failed or cancelled authentication
    /// ends its transaction here (REFUSED / ABORTED).
    pub async fn validate_authentication(&self, command: ValidateAuthentication) -> Result<Validated, ThreeDsError> {
        let (authentication, _) = self.verified(&command).await?;
        let now = self.clock.now();
        let spend = Box::new(move |current: &ThreeDsAuthentication| current.spend(PaResUse::Validated, now));
        let outcome = authentication.outcome.ok_or(ThreeDsError::Refused(ThreeDsRefusal::NotDecided))?;
        if outcome.allows_authorisation() {
            let spent = self.store.change_three_ds(&authentication.id, spend).await?;
            let transaction = self.waiting_transaction(&spent).await?;
            return Ok(Validated { authentication: spent, transaction, decision: None });
        }
        let end = Box::new(move |tx: &Transaction| three_ds::end_unauthenticated(tx, outcome, now));
        let (spent, transition) = self.store.complete_three_ds(&authentication.id, spend, end, nothing_owed()).await?;
        Ok(Validated { authentication: spent, transaction: transition.updated, decision: None })
    }

    /// Sips cardValidateAuthenticationAndOrder: spends the PaRes and authorises the
    /// transaction with its vault card at once (or ends it after a failed or cancelled
    /// authentication), in one store call.
    pub async fn validate_authentication_and_order(
        &self,
        command: ValidateAuthentication,
    ) -> Result<Validated, ThreeDsError> {
        let (authentication, current) = self.verified(&command).await?;
        let now = self.clock.now();
        // Refused here too, so that the acquirer is not asked for a PaRes already spent.
        authentication.spend(PaResUse::Ordered, now).map_err(ThreeDsError::Refused)?;
        let spend = Box::new(move |current: &ThreeDsAuthentication| current.spend(PaResUse::Ordered, now));
        self.finish(&authentication, &current, spend, nothing_owed()).await
    }

    /// The cardOrder that follows cardValidateAuthentication on the same reference. `None`
    /// when the reference is not such a transaction: a plain duplicate (94).
    pub(super) async fn order_after_validation(
        &self,
        shop_id: &ShopId,
        reference: &str,
        card: &CardInput,
        amount: Amount,
        currency: Currency,
    ) -> Result<Option<Authorised>, PaymentError> {
        let key = TransactionKey::Reference(reference.to_owned());
        let Some(current) = self.store.transaction(shop_id, &key).await? else {
            return Ok(None);
        };
        let Some(authentication) = self.store.three_ds_of_transaction(&current.id).await? else {
            return Ok(None);
        };
        if authentication.pares_use != Some(PaResUse::Validated)
            || current.amount != amount
            || current.currency != currency
            || !self.same_card(&current, card).await?
        {
            return Ok(None);
        }
        let now = self.clock.now();
        let order = Box::new(move |current: &ThreeDsAuthentication| current.order_after_validation(now));
        match self.finish(&authentication, &current, order, nothing_owed()).await {
            Ok(Validated { transaction, decision: Some(decision), .. }) => {
                Ok(Some(Authorised { transaction, decision }))
            }
            Ok(Validated { transaction, decision: None, .. }) => {
                Err(PaymentError::Refused(transaction::Refusal::WrongStatus(transaction.status)))
            }
            Err(ThreeDsError::Payment(error)) => Err(error),
            Err(ThreeDsError::Refused(ThreeDsRefusal::Transaction(refusal))) => Err(PaymentError::Refused(refusal)),
            // Spent meanwhile by another call: the reference is used.
            Err(_) => Err(PaymentError::DuplicateReference),
        }
    }

    /// Authorises (or ends) a waiting transaction as its authentication says, spending the
    /// authentication with `spend` and writing `notifications` in the same store call.
    pub(super) async fn finish(
        &self,
        authentication: &ThreeDsAuthentication,
        current: &Transaction,
        spend: crate::ports::ChangeFn<ThreeDsAuthentication, ThreeDsRefusal>,
        notifications: OwedFn,
    ) -> Result<Validated, ThreeDsError> {
        let now = self.clock.now();
        let outcome = authentication.outcome.ok_or(ThreeDsError::Refused(ThreeDsRefusal::NotDecided))?;
        if current.status != three_ds::WAITING {
            return Err(PaymentError::Refused(transaction::Refusal::WrongStatus(current.status)).into());
        }
        if !outcome.allows_authorisation() {
            let end = Box::new(move |tx: &Transaction| three_ds::end_unauthenticated(tx, outcome, now));
            let (spent, transition) =
                self.store.complete_three_ds(&authentication.id, spend, end, notifications).await?;
            return Ok(Validated { authentication: spent, transaction: transition.updated, decision: None });
        }
        let summary = current.card.clone().ok_or(PaymentError::NoCard)?;
        let card = self.card_of(&current.shop_id, &summary).await?;
        let decision = self.authorise_waiting_card(current, &card, now).await?;
        let details = AuthorisationDetails {
            acquirer_response_code: decision.acquirer_response_code.clone(),
            authorisation_id: decision.authorisation_id.clone(),
            guarantee_indicator: None,
            holder_authent_status: None,
            card_csc_result_code: decision.card_csc_result_code.clone(),
            network_transaction_id: decision.network_transaction_id.clone(),
        };
        let authorise = Box::new(move |tx: &Transaction| three_ds::authorise_waiting(tx, details, outcome, now));
        match self.store.complete_three_ds(&authentication.id, spend, authorise, notifications).await {
            Ok((spent, transition)) => {
                transition.updated.assert_invariants();
                Ok(Validated { authentication: spent, transaction: transition.updated, decision: Some(decision) })
            }
            Err(error) => {
                if decision.is_accepted() {
                    self.acquirer.reverse(&decision).await;
                }
                Err(error.into())
            }
        }
    }

    async fn authorise_waiting_card(
        &self,
        current: &Transaction,
        card: &CardInput,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<AuthorisationDecision, PaymentError> {
        // 90/99: nothing spent, the merchant may send the same PaRes again.
        self.ask_acquirer_for(card, (current.amount, current.currency, current.kind), now).await
    }

    /// The authentication the messages name, checked: caisse's signatures, one
    /// authentication, this shop's, the version issued, the transaction named.
    async fn verified(
        &self,
        command: &ValidateAuthentication,
    ) -> Result<(ThreeDsAuthentication, Transaction), ThreeDsError> {
        let authentication = self
            .authentication_of(MessageKind::RedirectionData, ThreeDsField::RedirectionData, &command.redirection_data)
            .await?;
        if authentication.shop_id != command.shop_id {
            return Err(ThreeDsError::UnknownAuthentication);
        }
        let key = self.store.three_ds_message_key();
        match &command.pa_res {
            Some(pa_res) => {
                let id = three_ds::verify(MessageKind::PaRes, pa_res, &key)
                    .map_err(|error| ThreeDsError::Message { field: ThreeDsField::PaRes, error })?;
                if id != authentication.id {
                    return Err(ThreeDsError::OtherTransaction(ThreeDsField::PaRes));
                }
            }
            None if authentication.enrolment.is_enrolled() => return Err(ThreeDsError::PaResMissing),
            None => {}
        }
        if command.message_version != authentication.message_version {
            return Err(ThreeDsError::MessageVersion);
        }
        let transaction = self.waiting_transaction(&authentication).await?;
        if let Some(key) = &command.key
            && !names(key, &transaction)
        {
            return Err(ThreeDsError::OtherTransaction(ThreeDsField::TransactionReference));
        }
        Ok((authentication, transaction))
    }

    async fn authentication_of(
        &self,
        kind: MessageKind,
        field: ThreeDsField,
        message: &str,
    ) -> Result<ThreeDsAuthentication, ThreeDsError> {
        let key = self.store.three_ds_message_key();
        let id = three_ds::verify(kind, message, &key).map_err(|error| ThreeDsError::Message { field, error })?;
        self.store
            .three_ds_authentication(&id)
            .await
            .map_err(PaymentError::from)?
            .ok_or(ThreeDsError::UnknownAuthentication)
    }

    async fn waiting_transaction(&self, authentication: &ThreeDsAuthentication) -> Result<Transaction, ThreeDsError> {
        let key = TransactionKey::Id(authentication.transaction_id.clone());
        Ok(self.transaction(&authentication.shop_id, &key).await?)
    }

    async fn same_card(&self, current: &Transaction, card: &CardInput) -> Result<bool, PaymentError> {
        let Some(summary) = &current.card else {
            return Ok(false);
        };
        let stored = self.store.reveal_pan(&current.shop_id, &summary.card_id).await?;
        Ok(stored.is_some_and(|pan| pan.digits() == card.pan.digits()) && summary.expiry == card.expiry)
    }
}

/// Whether `key` names `transaction`.
fn names(key: &TransactionKey, transaction: &Transaction) -> bool {
    match key {
        TransactionKey::Reference(reference) => *reference == transaction.reference,
        TransactionKey::S10 { id, date } => {
            *id == transaction.s10_transaction_id && *date == transaction.created_at.date_naive()
        }
        TransactionKey::Id(id) => *id == transaction.id,
    }
}
