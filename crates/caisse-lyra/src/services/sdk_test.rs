//! Charge/SDKTest: echoes `value` (research §2.11); clients probe their credentials with it.

use crate::error::{ErrorCode, WsError};
use crate::fields::{Fields, SDK_TEST_VALUE_CHARS_MAX};
use crate::json::Object;

pub fn handle(fields: &Fields<'_>) -> Result<Object, WsError> {
    let value = fields.required_text("value", SDK_TEST_VALUE_CHARS_MAX, ErrorCode::Int902)?;
    Ok(Object::new().with("value", value.to_owned()).typed("V4/Type/String"))
}
