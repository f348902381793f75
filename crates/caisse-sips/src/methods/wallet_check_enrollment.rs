//! checkout/walletCheckEnrollment: cardCheckEnrollment with a wallet's card (merchantWalletId,
//! paymentMeanId); the continuation is cardValidateAuthenticationAndOrder.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::card_check_enrollment::enrollment_answer;
use crate::methods::common::{SIPS_MODE, order_details};
use crate::methods::wallet::payment_failure;
use caisse_core::CaptureMode;
use caisse_core::payments::wallets::WalletPayment;

const DEFAULT_CAPTURE_MODE: CaptureMode = CaptureMode::AuthorCapture;
const DEFAULT_CAPTURE_DAY: u8 = 0;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let reference = fields.required_reference("transactionReference")?;
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let payment_mean_id = fields.payment_mean_id()?;
    // Read for its format only: the CVV would be lost before the authorisation anyway, as
    // caisse never stores one.
    fields.csc()?;
    let capture_day = fields.capture_day()?.unwrap_or(DEFAULT_CAPTURE_DAY);
    let capture_mode = fields.capture_mode()?.unwrap_or(DEFAULT_CAPTURE_MODE);
    let order = order_details(fields)?;
    let payment = WalletPayment {
        shop_id: context.shop_id.clone(),
        merchant_wallet_id,
        payment_mean_id,
        reference,
        amount,
        currency,
        capture_mode,
        capture_day,
        csc: None,
        order,
        mode: SIPS_MODE,
    };
    let enrollment = context.payments.check_wallet_enrollment(payment).await.map_err(payment_failure)?;
    Ok(enrollment_answer(context, &enrollment))
}
