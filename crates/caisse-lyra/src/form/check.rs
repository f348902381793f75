//! `POST /vads-payment/` checked end to end, in the documented order (see `post`): the shop
//! and mode, the shop's settings, the signature with the shop's algorithm and the mode's key,
//! every field, then the reservation of `vads_trans_id`. The one place the form module meets
//! the store (through the core's use cases).

use super::{FormError, FormPost, PaymentRequest, SignatureAlgorithm, trans_id_key};
use caisse_core::form_settings::{FormSignatureAlgorithm, FormTransIdKey, Reservation};
use caisse_core::payments::Payments;
use caisse_core::ports::StoreError;
use caisse_core::{Mode, ShopId};

/// A refused form and what its page and warning e-mail need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub error: FormError,
    /// The mode the page is shown in (PRODUCTION only when the form says so exactly).
    pub page_mode: Mode,
    pub language: Option<String>,
    /// The shop the form names, when caisse knows it.
    pub shop: Option<ShopId>,
    /// `vads_trans_id` as sent, when it is one (an6).
    pub trans_id: Option<String>,
    /// The shop's warning addresses (none: the platform's operator).
    pub warning_emails: Vec<String>,
}

#[derive(Debug)]
pub enum CheckError {
    Refused(Box<Refused>),
    /// The store could not answer: nothing was decided about the form.
    Store(StoreError),
}

impl From<StoreError> for CheckError {
    fn from(error: StoreError) -> Self {
        CheckError::Store(error)
    }
}

pub fn algorithm_of(algorithm: FormSignatureAlgorithm) -> SignatureAlgorithm {
    match algorithm {
        FormSignatureAlgorithm::HmacSha256 => SignatureAlgorithm::HmacSha256,
        FormSignatureAlgorithm::Sha1 => SignatureAlgorithm::Sha1,
    }
}

/// Checks a posted form (its decoded pairs, in order, duplicates kept).
pub async fn check_form<N, V>(
    payments: &Payments,
    pairs: impl IntoIterator<Item = (N, V)>,
) -> Result<PaymentRequest, CheckError>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let post = FormPost::from_pairs(pairs);
    let mut refused = Refused {
        error: FormError::unknown_shop(),
        page_mode: post.page_mode(),
        language: post.page_language().map(str::to_owned),
        shop: None,
        trans_id: post
            .value("vads_trans_id")
            .filter(|id| id.len() <= 6 && id.bytes().all(|b| b.is_ascii_alphanumeric()))
            .map(str::to_owned),
        warning_emails: Vec::new(),
    };
    let refuse = |mut refused: Refused, error: FormError| {
        refused.error = error;
        CheckError::Refused(Box::new(refused))
    };
    let (shop, mode) = match post.shop() {
        Ok(found) => found,
        Err(error) => {
            // The shop may still be known: its addresses get the warning.
            if let Some(id) = post.value("vads_site_id")
                && let Ok(Some(settings)) = payments.form_settings(&ShopId(id.to_owned())).await
            {
                refused.shop = Some(settings.shop_id);
                refused.warning_emails = settings.warning_emails;
            }
            return Err(refuse(refused, error));
        }
    };
    let Some(settings) = payments.form_settings(&shop).await? else {
        return Err(refuse(refused, FormError::unknown_shop()));
    };
    refused.shop = Some(shop.clone());
    refused.warning_emails = settings.warning_emails.clone();
    let Some(key) = settings.key(mode) else {
        return Err(refuse(refused, FormError::unknown_shop()));
    };
    if let Err(error) = post.verify_signature(algorithm_of(settings.algorithm), key) {
        return Err(refuse(refused, error));
    }
    let request = match PaymentRequest::parse(&post, payments.clock().now()) {
        Ok(request) => request,
        Err(error) => return Err(refuse(refused, error)),
    };
    if let Some(trans_id) = &request.trans_id {
        let key = trans_id_key(&shop, request.trans_date, trans_id);
        let key = FormTransIdKey::new(key.shop_id, key.day, &key.trans_id);
        if payments.reserve_trans_id(&key).await? == Reservation::AlreadyUsed {
            return Err(refuse(refused, FormError::trans_id_already_used()));
        }
    }
    Ok(request)
}
