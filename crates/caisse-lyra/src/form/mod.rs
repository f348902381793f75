//! Sogecommerce Form API V2, request side: the hosted payment page's signed form
//! (`POST /vads-payment/`), checked the platform's way. Pure: no HTTP, no database, no clock
//! of its own.
//!
//! - `signature`: the `vads_` signature (HMAC-SHA-256 base64, legacy SHA-1 hex); [`sign`]
//!   also signs results and IPNs.
//! - `dictionary`: the fields caisse reads, their numbers, formats and presence (data).
//! - `format`: whether a value fits a dictionary format.
//! - `post`: the posted pairs, the shop they name and the signature check ([`FormPost`]).
//! - `request`, `rules`, `types`: the checked, typed [`PaymentRequest`].
//! - `result`: what the page decided ([`FormOutcome`]) as the signed result fields of the
//!   return and the IPN.
//! - `trans_id`: the key that keeps `vads_trans_id` unique per shop per UTC day.
//! - `check`: the whole check of a posted form against the shop's settings and the store.
//! - `later`: the IPN of operations made after the payment (REST, the capture batch).
//! - `cpay`: Cpay (`AURORE-MULTI`): the page it goes to, its capture day, the financial
//!   conditions of each option.
//! - `error`, `error_page`: [`FormError`] and the page a refused form shows.
//!
//! The order of the steps is in `post`'s documentation.

mod check;
pub mod cpay;
mod dictionary;
mod error;
mod error_page;
mod format;
mod later;
mod post;
pub mod record;
mod request;
mod result;
mod rules;
mod signature;
mod trans_id;
mod types;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use check::{CheckError, Refused, algorithm_of, check_form};
pub use cpay::{FinancialConditions, conditions};
pub use dictionary::{CPAY_CARD, FIELDS, Family, FieldSpec, Format, Presence, lookup};
pub use error::{FormError, FormErrorCode};
pub use error_page::{page_language, render_error_page};
pub use later::{FormLaterNotices, recorded_request, url_check_src};
pub use post::{FormPost, SIGNATURE};
pub use request::{OrderDetails, PaymentRequest, ReturnSettings, SubscriptionRequest};
pub use result::{
    Abandonment, Decision, FormOutcome, PAYMENT_ERROR_SESSION_EXPIRED, ResultPurpose, ThreeDsResult, UrlCheckSrc,
    result_fields, sign_result, trans_status,
};
pub use rules::{TRANS_DATE_MAX_AGE, TRANS_DATE_MAX_AHEAD};
pub use signature::{SignatureAlgorithm, sign, signing_string, verify};
pub use trans_id::{TransIdKey, trans_id_key};
pub use types::{ActionMode, CartLine, PageAction, PaymentConfig, ProductVat, ReturnMode, ValidationMode};
