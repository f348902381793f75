//! cashManagement/walletCreditHolder: a credit to a card of a wallet with no original
//! transaction; request and answer as creditHolder, the card named by the wallet.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::{SIPS_MODE, authorisation_answer, order_details};
use crate::methods::wallet::payment_failure;
use caisse_core::CaptureMode;
use caisse_core::payments::wallets::WalletPayment;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let amount = fields.amount("amount")?;
    let currency = fields.currency()?;
    let reference = fields.required_reference("transactionReference")?;
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let payment_mean_id = fields.payment_mean_id()?;
    let order = order_details(fields)?;
    let credit = WalletPayment {
        shop_id: context.shop_id.clone(),
        merchant_wallet_id,
        payment_mean_id,
        reference,
        amount,
        currency,
        // A credit is captured by the next batch, like creditHolder's.
        capture_mode: CaptureMode::AuthorCapture,
        capture_day: 0,
        csc: None,
        order,
        mode: SIPS_MODE,
    };
    let credited = context.payments.wallet_credit_holder(credit).await.map_err(payment_failure)?;
    Ok(authorisation_answer(&credited))
}
