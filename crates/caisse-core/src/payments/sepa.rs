//! SEPA direct debits on a recurring mandate (a REST V4 SDD token, whose id is the mandate's
//! RUM). There is no card and no issuer to ask: the creditor's bank takes the debit when it is
//! created, and it is presented on its capture date by the same batch as card payments. On the
//! real scheme a debtor's bank may still reject it days later (an R-transaction); caisse does
//! not simulate those (docs/lyra-choices.md).

use super::{NewTransaction, PaidWith, PaymentError, Payments};
use crate::ports::StoreError;
use crate::token::{PaymentToken, SepaMandate, TokenMethod, TokenStatus};
use crate::transaction::{AuthorisationDetails, Transaction};
use crate::wallet::Iban;
use crate::{Mode, ShopId, transaction};

/// The answer a SEPA debit gets when it is created: accepted, with no authorisation number.
fn accepted() -> AuthorisationDetails {
    AuthorisationDetails { acquirer_response_code: "00".into(), ..AuthorisationDetails::default() }
}

/// An IBAN as Sogecommerce shows it: the country, the check digits and the last four
/// characters, `X` for the rest (`FR76XXXXXXXXXXXXXXXXXXX0158`).
fn masked_iban(iban: &Iban) -> String {
    let clear = iban.as_str();
    let hidden = clear.len() - 8;
    format!("{}{}{}", &clear[..4], "X".repeat(hidden), &clear[clear.len() - 4..])
}

impl NewTransaction {
    pub(super) fn into_sepa_debit(
        self,
        mandate: SepaMandate,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (Transaction, crate::operation::Operation) {
        self.into_paid_with(accepted(), PaidWith::Mandate(mandate), now)
    }
}

impl Payments {
    /// Creates and stores a direct debit on `mandate`.
    pub(super) async fn debit_mandate(
        &self,
        new: NewTransaction,
        mandate: SepaMandate,
    ) -> Result<Transaction, PaymentError> {
        let (transaction, operation) = new.into_sepa_debit(mandate, self.clock.now());
        let stored = self.store.insert_transaction(transaction, operation, None).await?;
        stored.assert_invariants();
        Ok(stored)
    }

    /// Registers a recurring SEPA mandate signed by the holder of `iban` as a payment method
    /// token: its id is the mandate's unique reference (RUM). Payments by it are SEPA direct
    /// debits. The IBAN itself is not kept, only its masked form.
    pub async fn register_sepa_mandate(
        &self,
        shop_id: ShopId,
        mode: Mode,
        iban: &Iban,
        bic: Option<String>,
        customer: serde_json::Map<String, serde_json::Value>,
    ) -> Result<PaymentToken, PaymentError> {
        let now = self.clock.now();
        let rum = transaction::new_uuid();
        let token = PaymentToken {
            id: rum.clone(),
            shop_id,
            mode,
            status: TokenStatus::Active,
            method: TokenMethod::Sdd {
                mandate: SepaMandate { rum, masked_iban: masked_iban(iban), bic, signed_at: now },
            },
            initial_issuer_transaction_identifier: None,
            customer,
            created_at: now,
            cancelled_at: None,
        };
        self.store.insert_token(token, None, None).await.map_err(|error| match error {
            crate::ports::InsertError::DuplicateReference => PaymentError::Store(StoreError::AlreadyExists),
            crate::ports::InsertError::Store(error) => error.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_iban_keeps_country_check_digits_and_last_four() {
        let iban = Iban::parse("FR1420041010050500013M02606").unwrap();
        assert_eq!(masked_iban(&iban), "FR14XXXXXXXXXXXXXXXXXXX2606");
    }
}
