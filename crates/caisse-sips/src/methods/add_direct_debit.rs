//! wallet/addDirectDebit: stores a SEPA mandate in a wallet (created with it if new). The
//! account twice in a wallet is 94. Field names are caisse's (docs/sips-choices.md).

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::wallet::wallet_failure;
use crate::response_code::ResponseCode;
use caisse_core::payments::wallets::AddDirectDebit;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    let iban = fields.iban()?;
    let bic = fields.bic()?;
    let mandate_id = fields.mandate_id()?;
    let alias = fields.payment_mean_alias()?;
    let command = AddDirectDebit { shop_id: context.shop_id.clone(), merchant_wallet_id, iban, bic, mandate_id, alias };
    let (_, mean) = context.payments.add_direct_debit(command).await.map_err(wallet_failure)?;
    let mut answer = Answer::new(ResponseCode::Accepted);
    answer
        .date_time("walletActionDateTime", mean.created_at)
        .text("paymentMeanId", mean.payment_mean_id.to_string())
        .text("maskedPan", mean.masked_number())
        .maybe_text("mandateId", mean.mandate().map(|mandate| mandate.rum.clone()));
    Ok(answer)
}
