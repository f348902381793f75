//! wallet/addCard: stores a card in a wallet (created with it if new). No authorisation:
//! the card is checked when it pays (walletOrder). The same card twice in a wallet is 94.

use crate::answer::Answer;
use crate::fields::Fields;
use crate::methods::Context;
use crate::methods::common::card_input;
use crate::methods::wallet::wallet_failure;
use crate::response_code::ResponseCode;
use caisse_core::payments::wallets::AddCard;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    let merchant_wallet_id = fields.merchant_wallet_id()?;
    // cardCSCValue, if sent, is read for its format and dropped: a CVV is never stored.
    let card = card_input(fields)?;
    let alias = fields.payment_mean_alias()?;
    let command = AddCard { shop_id: context.shop_id.clone(), merchant_wallet_id, card, alias };
    let (_, mean) = context.payments.add_card(command).await.map_err(wallet_failure)?;
    let mut answer = Answer::new(ResponseCode::Accepted);
    answer
        .date_time("walletActionDateTime", mean.created_at)
        .text("paymentMeanId", mean.payment_mean_id.to_string())
        .text("maskedPan", mean.masked_number());
    Ok(answer)
}
