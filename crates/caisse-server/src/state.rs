use caisse_core::payments::Payments;
use caisse_lyra::RestApi;
use caisse_sips::Office;
use std::sync::Arc;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub payments: Payments,
    pub office: Arc<Office>,
    pub rest: Arc<RestApi>,
    /// `CAISSE_PUBLIC_URL`: the base of the URLs caisse hands out (REST V4 `serverUrl`); the
    /// request's own scheme and Host when `None`.
    pub public_url: Option<String>,
    /// Sends the warning e-mails of refused payment forms; none: they are only logged.
    pub mailer: Option<Arc<caisse_notify::mail::Mailer>>,
}

impl AppState {
    pub fn new(payments: Payments) -> AppState {
        let office = Arc::new(Office::new(payments.clone()));
        let rest = Arc::new(RestApi::new(payments.clone()));
        AppState { payments, office, rest, public_url: None, mailer: None }
    }

    pub fn with_public_url(self, public_url: Option<String>) -> AppState {
        AppState { public_url, ..self }
    }

    pub fn with_mailer(self, mailer: caisse_notify::mail::Mailer) -> AppState {
        AppState { mailer: Some(Arc::new(mailer)), ..self }
    }
}
