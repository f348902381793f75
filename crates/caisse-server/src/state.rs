use caisse_core::payments::Payments;
use caisse_sips::Office;
use std::sync::Arc;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub payments: Payments,
    pub office: Arc<Office>,
}

impl AppState {
    pub fn new(payments: Payments) -> AppState {
        let office = Arc::new(Office::new(payments.clone()));
        AppState { payments, office }
    }
}
