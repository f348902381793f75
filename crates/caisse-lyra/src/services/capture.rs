//! Transaction/Capture (`uuids[]`, research §2.9). On the CB network capture is the nightly
//! batch's job; caisse reads this call as "capture at the next batch": a transaction waiting
//! for validation is validated, an authorised one has its capture date brought to the given
//! `expectedCaptureDate` (today by default). An already captured one is left as it is.
//! Every uuid is checked before any is changed.

use crate::error::{self, ErrorCode, Operation, WsError};
use crate::fields::Fields;
use crate::json::Object;
use crate::services::Context;
use crate::services::common::{key, load, response_code_answer};
use caisse_core::TransactionStatus;
use caisse_core::command::{CashOperation, UpdateTransaction};
use serde_json::Value;

/// uuids per call at most.
pub const UUIDS_MAX: usize = 100;

pub async fn handle(context: &Context<'_>, fields: &Fields<'_>) -> Result<Object, WsError> {
    let uuids = match fields.given("uuids") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= UUIDS_MAX => items,
        other => return Err(WsError::invalid(ErrorCode::Int902, "uuids", &crate::fields::raw(other))),
    };
    let today = context.now.date_naive();
    let day = fields.date_time("expectedCaptureDate", ErrorCode::Int006)?.map_or(today, |at| at.date_naive());
    if day < today {
        return Err(WsError::invalid(ErrorCode::Int006, "expectedCaptureDate", &day.to_string()));
    }
    let mut transactions = Vec::with_capacity(uuids.len());
    for (index, uuid) in uuids.iter().enumerate() {
        let uuid = match uuid {
            Value::String(text) if text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()) => {
                text.to_ascii_lowercase()
            }
            other => {
                return Err(WsError::invalid(
                    ErrorCode::Int902,
                    &format!("uuids[{index}]"),
                    &crate::fields::raw(Some(other)),
                ));
            }
        };
        let transaction = load(context, &uuid).await?;
        match transaction.status {
            TransactionStatus::ToCapture | TransactionStatus::ToValidate | TransactionStatus::Captured => {}
            status => return Err(error::wrong_status(Operation::Capture, status)),
        }
        transactions.push(transaction);
    }
    for transaction in transactions {
        let key = key(transaction.id.0.clone());
        let outcome = match transaction.status {
            TransactionStatus::ToValidate => {
                let command = CashOperation {
                    shop_id: context.shop_id.clone(),
                    key,
                    amount: transaction.amount,
                    currency: transaction.currency,
                };
                context.payments.validate(command).await.map(|_| ())
            }
            TransactionStatus::ToCapture if transaction.capture_date > day => {
                let command = UpdateTransaction {
                    shop_id: context.shop_id.clone(),
                    key,
                    amount: None,
                    capture_date: Some(day),
                    validate_automatically: false,
                };
                context.payments.update_transaction(command).await.map(|_| ())
            }
            _ => Ok(()),
        };
        outcome.map_err(|error| error::of_payment(Operation::Capture, error))?;
    }
    Ok(response_code_answer())
}
