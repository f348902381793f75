//! checkout/walletOrder: a card payment with a card of a wallet; answers as cardOrder.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::{SIPS_MODE, authorisation_answer, order_details};
use crate::methods::wallet::payment_failure;
use caisse_core::CaptureMode;
use caisse_core::payments::wallets::WalletPayment;

/// As cardOrder: a shop's defaults on the platform.
const DEFAULT_CAPTURE_MODE: CaptureMode = CaptureMode::AuthorCapture;
const DEFAULT_CAPTURE_DAY: u8 = 0;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let reference = fields.required_reference("transactionReference")?;
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let payment_mean_id = fields.payment_mean_id()?;
    let csc = fields.csc()?;
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
        csc,
        order,
        mode: SIPS_MODE,
    };
    let authorised = context.payments.wallet_order(payment).await.map_err(payment_failure)?;
    Ok(authorisation_answer(&authorised))
}
