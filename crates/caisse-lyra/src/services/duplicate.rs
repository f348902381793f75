//! Transaction/Duplicate: a new DEBIT on the card of an earlier transaction, whatever its
//! status (research §2.9). The answer is the new transaction, accepted or refused.

use crate::error::{self, ErrorCode, Operation, WsError};
use crate::fields::{Fields, card_options};
use crate::json::Object;
use crate::objects::View;
use crate::objects::transaction::transaction;
use crate::services::Context;
use crate::services::common::{key, order};
use caisse_core::command::Duplicate;
use caisse_core::transaction::new_uuid;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuid = fields.uuid("uuid")?;
    let amount = fields
        .positive_amount("amount", ErrorCode::Int009)?
        .ok_or_else(|| WsError::invalid(ErrorCode::Int009, "amount", "null"))?;
    let currency = fields.required_currency("currency")?;
    let order = order(fields)?;
    let options = card_options(fields.object("cardDuplicate", ErrorCode::Int902)?.as_ref())?;
    let (capture_mode, capture_day) = options.capture();
    let given = options.manual_validation.is_some() || options.capture_delay.is_some();
    let command = Duplicate {
        shop_id: context.shop_id.clone(),
        from: key(uuid),
        reference: new_uuid(),
        amount,
        currency,
        // Without options the source's capture mode and day carry over (core rule).
        capture_mode: given.then_some(capture_mode),
        capture_day: given.then_some(capture_day),
        order,
        mode: context.mode,
    };
    let authorised =
        context.payments.duplicate(command).await.map_err(|error| error::of_payment(Operation::Payment, error))?;
    Ok(transaction(&View::fresh(&authorised.transaction)))
}
