//! Keeping the card (`vads_page_action` `REGISTER`: a zero-amount verification; `REGISTER_PAY`;
//! `ASK_REGISTER_PAY` when the buyer ticks "save my card"): the payment or verification
//! registers a token if it is accepted, in its own database transaction. The token's id is the form's `vads_identifier` when given (32 hex
//! digits, as every caisse token, so that the REST API can use it), else a new one.

use super::Page;
use caisse_core::ShopId;
use caisse_core::payments::TokenRegistration;
use caisse_core::ports::StoreError;
use caisse_core::transaction::new_uuid;
use caisse_lyra::form::{FormError, FormErrorCode, PageAction, PaymentRequest};
use serde_json::{Map, Value};

/// `vads_identifier`'s number in the field dictionary (error code 30's field).
const IDENTIFIER_NUMBER: u16 = 30;

pub(super) fn registers(request: &PaymentRequest) -> bool {
    matches!(request.page_action, PageAction::Register | PageAction::RegisterPay | PageAction::AskRegisterPay)
}

/// The form's `vads_identifier` checked for a token: 32 hex digits not used by the shop yet.
/// `Ok(Err(_))`: the form error the page shows; `Err(_)`: the store did not answer.
pub(super) async fn check_identifier(
    state: &crate::state::AppState,
    shop: &ShopId,
    request: &PaymentRequest,
) -> Result<Result<(), FormError>, StoreError> {
    let Some(identifier) = request.identifier.as_deref().filter(|_| registers(request)) else {
        return Ok(Ok(()));
    };
    let refused = || FormError::new(FormErrorCode::FieldFormat, "vads_identifier", IDENTIFIER_NUMBER);
    if identifier.len() != 32 || !identifier.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Err(refused()));
    }
    let existing = state.payments.store().token(shop, &identifier.to_ascii_lowercase()).await?;
    Ok(if existing.is_some() { Err(refused()) } else { Ok(()) })
}

/// The token this payment registers, if it registers one: `asked` is the buyer's "save my
/// card" box (`ASK_REGISTER_PAY`).
pub(super) fn registration(page: &Page<'_>, asked: bool) -> Option<TokenRegistration> {
    let request = &page.request;
    let wanted = match request.page_action {
        PageAction::Register | PageAction::RegisterPay => true,
        PageAction::AskRegisterPay => asked,
        _ => false,
    };
    if !wanted || page.rest.is_some() {
        return None;
    }
    let token_id = request.identifier.as_deref().map(str::to_ascii_lowercase).unwrap_or_else(new_uuid);
    Some(TokenRegistration { token_id, customer: customer(request) })
}

/// The token's customer, in the REST API's words (it shows the token): e-mail and reference.
pub(super) fn customer(request: &PaymentRequest) -> Map<String, Value> {
    let mut customer = Map::new();
    for (field, key) in [("vads_cust_email", "email"), ("vads_cust_id", "reference")] {
        if let Some(value) = request.buyer_field(field).filter(|value| !value.is_empty()) {
            customer.insert(key.to_owned(), Value::String(value.to_owned()));
        }
    }
    customer
}
