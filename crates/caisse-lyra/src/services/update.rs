//! Transaction/Update (research §2.8): before capture, lower the amount (never raise it), move
//! the expected capture date, or turn manual validation off (YES → NO only), all under
//! `cardUpdate`. `orderId` and `comment` are read and not kept.

use crate::error::{self, ErrorCode, Operation, WsError};
use crate::fields::{Fields, TEXT_CHARS_MAX};
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{key, load, transaction_answer};
use caisse_core::CaptureMode;
use caisse_core::command::UpdateTransaction;

const YES_NO: [&str; 2] = ["YES", "NO"];

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuid = fields.uuid("uuid")?;
    fields.order_id()?;
    fields.text("comment", TEXT_CHARS_MAX, ErrorCode::Int898)?;
    let update = fields.object("cardUpdate", ErrorCode::Int902)?;
    let empty = serde_json::Map::new();
    let update = update.unwrap_or_else(|| Fields::new(&empty));
    let amount = update.positive_amount("amount", ErrorCode::Int009)?;
    let currency = update.currency("currency")?;
    let capture_at = update.date_time("expectedCaptureDate", ErrorCode::Int006)?;
    let manual_validation = update.one_of("manualValidation", &YES_NO, ErrorCode::Int005)?;
    let today = context.now.date_naive();
    let capture_date = capture_at.map(|at| at.date_naive());
    if capture_date.is_some_and(|day| day < today) {
        return Err(WsError::invalid(
            ErrorCode::Int006,
            &update.name("expectedCaptureDate"),
            &crate::fields::raw(update.given("expectedCaptureDate")),
        ));
    }
    let transaction = load(context, &uuid).await?;
    if currency.is_some_and(|currency| currency != transaction.currency) {
        return Err(WsError::detailed(ErrorCode::Int010, "the currency differs from the transaction's"));
    }
    if manual_validation == Some("YES") && transaction.capture_mode != CaptureMode::Validation {
        return Err(WsError::detailed(ErrorCode::Int005, "manual validation can only be turned off"));
    }
    let command = UpdateTransaction {
        shop_id: context.shop_id.clone(),
        key: key(uuid),
        amount,
        capture_date,
        validate_automatically: manual_validation == Some("NO"),
    };
    let transition = context
        .payments
        .update_transaction(command)
        .await
        .map_err(|error| error::of_payment(Operation::Update, error))?;
    transaction_answer(context, &transition.updated).await
}
