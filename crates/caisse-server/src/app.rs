use crate::state::AppState;
use crate::{lyra, sips, soap};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(sips::router())
        .merge(crate::hosted_fields::router())
        .merge(crate::acs::router())
        .merge(soap::router())
        .merge(lyra::router())
        .merge(crate::form::router())
        .merge(crate::hosted_page::router())
        .with_state(state)
}

/// 200 when the store answers, 503 otherwise: a load balancer can drain an instance whose
/// database is gone.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.payments.store().ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}
