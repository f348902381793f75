//! Transaction/Get: `V4/Transaction`; PSP_010 for a uuid this shop does not have.

use crate::error::WsError;
use crate::fields::Fields;
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{load, transaction_answer};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuid = fields.uuid("uuid")?;
    let transaction = load(context, &uuid).await?;
    transaction_answer(context, &transaction).await
}
