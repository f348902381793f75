//! The journal: every change to a transaction is an operation, written in the same database
//! transaction as the change itself.

use crate::money::Amount;
use crate::transaction::TransactionId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Operation names, in Sips' `lastOperationName` vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationName {
    Author,
    Cancel,
    Validate,
    Refund,
    Capture,
    Expire,
    Duplicate,
    CreditHolder,
    CreditCapture,
    CreditFromTransaction,
    Update,
}

impl OperationName {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationName::Author => "AUTHOR",
            OperationName::Cancel => "CANCEL",
            OperationName::Validate => "VALIDATE",
            OperationName::Refund => "REFUND",
            OperationName::Capture => "CAPTURE",
            OperationName::Expire => "EXPIRE",
            OperationName::Duplicate => "DUPLICATE",
            OperationName::CreditHolder => "CREDIT_HOLDER",
            OperationName::CreditCapture => "CREDIT_CAPTURE",
            OperationName::CreditFromTransaction => "CREDIT_FROM_TRANSACTION",
            OperationName::Update => "UPDATE",
        }
    }

    pub fn parse(text: &str) -> Option<OperationName> {
        [
            OperationName::Author,
            OperationName::Cancel,
            OperationName::Validate,
            OperationName::Refund,
            OperationName::Capture,
            OperationName::Expire,
            OperationName::Duplicate,
            OperationName::CreditHolder,
            OperationName::CreditCapture,
            OperationName::CreditFromTransaction,
            OperationName::Update,
        ]
        .into_iter()
        .find(|name| name.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// 32 lowercase hex digits. A refund's id is also the uuid REST V4 shows for its CREDIT.
    pub id: String,
    pub transaction_id: TransactionId,
    pub name: OperationName,
    pub amount: Amount,
    pub at: DateTime<Utc>,
    pub acquirer_response_code: Option<String>,
    pub authorisation_id: Option<String>,
}

impl Operation {
    pub fn new(transaction_id: TransactionId, name: OperationName, amount: Amount, at: DateTime<Utc>) -> Operation {
        Operation {
            id: crate::transaction::new_uuid(),
            transaction_id,
            name,
            amount,
            at,
            acquirer_response_code: None,
            authorisation_id: None,
        }
    }
}
