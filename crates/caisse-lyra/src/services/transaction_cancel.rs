//! Transaction/Cancel: cancels the whole of an unsettled transaction (research §2.7). An extra
//! `resolutionMode` (WooCommerce sends one) is tolerated.

use crate::error::{ErrorCode, WsError};
use crate::fields::{Fields, TEXT_CHARS_MAX};
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{cancel_whole, load};

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuid = fields.uuid("uuid")?;
    fields.text("comment", TEXT_CHARS_MAX, ErrorCode::Int898)?;
    let transaction = load(context, &uuid).await?;
    cancel_whole(context, &transaction).await
}
