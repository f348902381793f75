//! checkout/walletCheckEnrollment: cardCheckEnrollment with a wallet's card (merchantWalletId,
//! paymentMeanId); the continuation is cardValidateAuthenticationAndOrder.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::card_check_enrollment::enrollment_answer;
use crate::methods::wallet::{payment_failure, wallet_payment};
use caisse_core::payments::wallets::WalletPayment;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    // The CVV is read for its format only: it would be lost before the authorisation anyway,
    // as caisse never stores one.
    let payment = WalletPayment { csc: None, ..wallet_payment(context, fields)? };
    let enrollment = context.payments.check_wallet_enrollment(payment).await.map_err(payment_failure)?;
    Ok(enrollment_answer(context, &enrollment))
}
