//! Why a posted form was refused. The platform shows the error page with a code that is the
//! faulty field's number (Form API dictionary numbering, research §4): 00 wrong signature, 70
//! signature absent, 204 signature algorithm, 03 `vads_trans_id`, 999 sensitive data… The same
//! number is `vads_extra_result` when a result carries `vads_result=30`.

use std::borrow::Cow;
use std::fmt;

/// What went wrong, for the caller to log and the page to word. The number says which field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormErrorCode {
    /// `signature` absent or empty (code 70).
    SignatureMissing,
    /// `signature` does not match the fields and the key (code 00).
    Signature,
    /// Signed with the algorithm the shop is not set to (code 204).
    SignatureAlgorithm,
    /// No such shop, or no key for the mode (code 02); the caller finds out.
    UnknownShop,
    /// A required field is absent or empty (code = the field's number).
    MissingField,
    /// A field breaks its format or a consistency rule (code = the field's number).
    FieldFormat,
    /// `vads_trans_id` already used by the shop that UTC day (code 03); the store finds out.
    TransIdAlreadyUsed,
    /// A value looks like a card number (code 999).
    SensitiveData,
}

/// Numbers of the fields that are not plain dictionary entries.
pub const SIGNATURE_NUMBER: u16 = 0;
pub const SIGNATURE_MISSING_NUMBER: u16 = 70;
pub const SIGNATURE_ALGORITHM_NUMBER: u16 = 204;
pub const SITE_ID_NUMBER: u16 = 2;
pub const TRANS_ID_NUMBER: u16 = 3;
pub const SENSITIVE_DATA_NUMBER: u16 = 999;
/// "Unknown error in the request": fields the public table gives no number of.
pub const OTHER_NUMBER: u16 = 99;

/// A refused form: what, which field (its name, never its value: values may be card data),
/// and the field's number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    pub code: FormErrorCode,
    pub field: Cow<'static, str>,
    pub number: u16,
}

impl FormError {
    pub fn new(code: FormErrorCode, field: impl Into<Cow<'static, str>>, number: u16) -> FormError {
        FormError { code, field: field.into(), number }
    }

    pub fn signature_missing() -> FormError {
        FormError::new(FormErrorCode::SignatureMissing, "signature", SIGNATURE_MISSING_NUMBER)
    }

    pub fn signature() -> FormError {
        FormError::new(FormErrorCode::Signature, "signature", SIGNATURE_NUMBER)
    }

    pub fn signature_algorithm() -> FormError {
        FormError::new(FormErrorCode::SignatureAlgorithm, "signature", SIGNATURE_ALGORITHM_NUMBER)
    }

    pub fn unknown_shop() -> FormError {
        FormError::new(FormErrorCode::UnknownShop, "vads_site_id", SITE_ID_NUMBER)
    }

    pub fn trans_id_already_used() -> FormError {
        FormError::new(FormErrorCode::TransIdAlreadyUsed, "vads_trans_id", TRANS_ID_NUMBER)
    }

    pub fn missing(field: impl Into<Cow<'static, str>>, number: u16) -> FormError {
        FormError::new(FormErrorCode::MissingField, field, number)
    }

    pub fn format(field: impl Into<Cow<'static, str>>, number: u16) -> FormError {
        FormError::new(FormErrorCode::FieldFormat, field, number)
    }

    pub fn sensitive_data(field: impl Into<Cow<'static, str>>) -> FormError {
        FormError::new(FormErrorCode::SensitiveData, field, SENSITIVE_DATA_NUMBER)
    }

    /// The code on the error page: the number on two digits at least ("04", "102", "999").
    pub fn page_code(&self) -> String {
        format!("{:02}", self.number)
    }

    /// Whether the signature was checked and found good: only then may a result go back to
    /// the merchant's URLs (an unsigned form's URLs cannot be trusted).
    pub fn after_signature(&self) -> bool {
        !matches!(
            self.code,
            FormErrorCode::SignatureMissing
                | FormErrorCode::Signature
                | FormErrorCode::SignatureAlgorithm
                | FormErrorCode::UnknownShop
        )
    }

    /// `vads_result` for this refusal: 30, request format error.
    pub fn vads_result(&self) -> &'static str {
        "30"
    }

    /// `vads_extra_result` with `vads_result=30`: the faulty field's number.
    pub fn vads_extra_result(&self) -> String {
        self.page_code()
    }
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "form error {} ({:?}) on {}", self.page_code(), self.code, self.field)
    }
}

impl std::error::Error for FormError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_two_digits_at_least() {
        assert_eq!(FormError::signature().page_code(), "00");
        assert_eq!(FormError::signature_missing().page_code(), "70");
        assert_eq!(FormError::format("vads_trans_date", 4).page_code(), "04");
        assert_eq!(FormError::format("vads_product_amount0", 102).vads_extra_result(), "102");
        assert_eq!(FormError::sensitive_data("vads_order_id").page_code(), "999");
        assert_eq!(FormError::signature_algorithm().page_code(), "204");
    }

    #[test]
    fn only_signed_forms_may_answer() {
        assert!(!FormError::signature().after_signature());
        assert!(!FormError::unknown_shop().after_signature());
        assert!(FormError::missing("vads_amount", 9).after_signature());
        assert!(FormError::trans_id_already_used().after_signature());
    }
}
