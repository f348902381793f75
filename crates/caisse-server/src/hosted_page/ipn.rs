//! The notifications a session owes the shop, made before the change so that the store writes
//! them in the change's own database transaction.

use super::{Page, unavailable};
use axum::response::Response;
use caisse_core::notification::{Notification, NotificationRule};
use caisse_core::ports::StoreError;
use caisse_core::shop::{Mode, ShopId};
use caisse_core::transaction::Transaction;
use caisse_lyra::form::{
    Abandonment, Decision, FormOutcome, PaymentRequest, ResultPurpose, SignatureAlgorithm, ThreeDsResult, UrlCheckSrc,
    algorithm_of, result_fields, sign_result,
};

/// The end-of-payment IPN of the transaction as stored, with its 3-D Secure result.
pub(super) type IpnMaker = Box<dyn FnOnce(&Transaction, ThreeDsResult) -> Vec<Notification> + Send>;

/// Everything a notification of one rule needs: where it goes and how it is signed.
struct Signer {
    rule: NotificationRule,
    url: String,
    algorithm: SignatureAlgorithm,
    key: String,
    request: PaymentRequest,
    shop: ShopId,
    mode: Mode,
    now: chrono::DateTime<chrono::Utc>,
}

impl Signer {
    fn notification(self, outcome: &FormOutcome) -> Notification {
        let fields = result_fields(&self.request, outcome, ResultPurpose::Ipn(UrlCheckSrc::Pay));
        let body = sign_result(fields, self.algorithm, &self.key);
        let notification = Notification::new(self.shop, self.mode, self.rule, self.url, body, self.now);
        match &outcome.decision {
            Decision::Transaction(transaction) => {
                notification.with_transaction(transaction.id.clone(), self.request.trans_id.clone())
            }
            Decision::Abandoned(_) => Notification { reference: self.request.trans_id.clone(), ..notification },
        }
    }
}

/// A store read, or the answer that ends the request (a handler's answer is a `Response`).
#[allow(clippy::result_large_err)]
fn available<T>(read: Result<T, StoreError>) -> Result<T, Response> {
    read.map_err(|error| {
        tracing::warn!(%error, "hosted page: store unavailable");
        unavailable()
    })
}

/// The shop's rule `rule` for this session, when it is on and the shop has a key to sign with.
async fn signer(page: &Page<'_>, rule: NotificationRule) -> Result<Option<Signer>, Response> {
    let (session, store) = (&page.session, page.state.payments.store());
    let rules = available(store.notification_rules(&session.shop_id).await)?;
    let settings = available(page.form_settings().await)?;
    let target = rules.and_then(|rules| rules.target(rule, session.mode, page.request.returns.url_check.as_deref()));
    let signing = settings
        .and_then(|settings| settings.key(session.mode).map(|key| (algorithm_of(settings.algorithm), key.to_owned())));
    let (Some(url), Some((algorithm, key))) = (target, signing) else {
        return Ok(None);
    };
    Ok(Some(Signer {
        rule,
        url,
        algorithm,
        key,
        request: page.request.clone(),
        shop: session.shop_id.clone(),
        mode: session.mode,
        now: page.state.payments.clock().now(),
    }))
}

/// What the payment owes the shop: the end-of-payment IPN when its rule is on (`kr-*` for a
/// REST `formToken`).
pub(super) async fn end_of_payment(page: &Page<'_>) -> Result<IpnMaker, Response> {
    if page.rest.is_some() {
        return kr_end_of_payment(page).await;
    }
    let signer = signer(page, NotificationRule::EndOfPayment).await?;
    Ok(Box::new(move |transaction: &Transaction, three_ds: ThreeDsResult| match signer {
        Some(signer) => vec![signer.notification(&FormOutcome::transaction(transaction.clone(), three_ds))],
        None => Vec::new(),
    }))
}

/// The IPN of a REST `formToken` payment: `kr-answer` hashed with the shop's password, to the
/// request's `ipnTargetUrl` or the rule's URL.
async fn kr_end_of_payment(page: &Page<'_>) -> Result<IpnMaker, Response> {
    let (session, store) = (&page.session, page.state.payments.store());
    let rules = available(store.notification_rules(&session.shop_id).await)?;
    let credentials = available(store.lyra_credentials(&session.shop_id).await)?;
    let ipn_target = page.rest.as_ref().and_then(|rest| rest.ipn_target_url.as_deref());
    let target = rules.and_then(|rules| rules.target(NotificationRule::EndOfPayment, session.mode, ipn_target));
    let (Some(url), Some(credentials)) = (target, credentials) else {
        return Ok(Box::new(|_, _| Vec::new()));
    };
    let password = credentials.password(session.mode).to_owned();
    let (shop, mode, now) = (session.shop_id.clone(), session.mode, page.state.payments.clock().now());
    Ok(Box::new(move |transaction: &Transaction, _| {
        let body = caisse_lyra::embedded::ipn(transaction, now, &password);
        let notification = Notification::new(shop, mode, NotificationRule::EndOfPayment, url, body, now);
        vec![notification.with_transaction(transaction.id.clone(), Some(transaction.reference.clone()))]
    }))
}

/// What an abandonment owes the shop: the cancel/abandon IPN when its rule is on (it is off
/// unless the shop turned it on). A REST `formToken`'s abandonment notifies nothing.
pub(super) async fn abandonment(page: &Page<'_>, abandonment: Abandonment) -> Result<Vec<Notification>, Response> {
    if page.rest.is_some() {
        return Ok(Vec::new());
    }
    let signer = signer(page, NotificationRule::CancelOrAbandon).await?;
    Ok(signer.map(|signer| signer.notification(&FormOutcome::abandoned(abandonment))).into_iter().collect())
}
