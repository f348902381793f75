//! Transaction/Validate: a transaction waiting for manual validation (AUTHORISED_TO_VALIDATE)
//! becomes AUTHORISED, captured by the next batch (research §2.8). Other statuses: PSP_011.

use crate::error::{self, ErrorCode, Operation, WsError};
use crate::fields::{Fields, TEXT_CHARS_MAX};
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{key, load, transaction_answer};
use caisse_core::command::CashOperation;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuid = fields.uuid("uuid")?;
    fields.text("comment", TEXT_CHARS_MAX, ErrorCode::Int898)?;
    let transaction = load(context, &uuid).await?;
    let command = CashOperation {
        shop_id: context.shop_id.clone(),
        key: key(uuid),
        amount: transaction.amount,
        currency: transaction.currency,
    };
    let transition =
        context.payments.validate(command).await.map_err(|error| error::of_payment(Operation::Validate, error))?;
    transaction_answer(context, &transition.updated).await
}
