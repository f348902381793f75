//! A session's end: 10 minutes after it opened, an unfinished session (open, or paid by a
//! payment still waiting for its 3-D Secure step) is abandoned with the cancel/abandon IPN —
//! when the buyer comes back to the page, or when the sweeper finds it.

use super::{Page, corrupt, ipn, request_of, unavailable, unknown};
use crate::state::AppState;
use axum::response::Response;
use caisse_lyra::form::Abandonment;

/// Abandons the page's session if it is unfinished past its expiry (open, or waiting for a
/// 3-D Secure step that never came back), with the cancel/abandon IPN.
pub(super) async fn settle(page: &mut Page<'_>) -> Result<(), Response> {
    let now = page.state.payments.clock().now();
    if !page.session.is_expired(now) {
        return Ok(());
    }
    match page.state.payments.session_is_unfinished(&page.session).await {
        Ok(true) => {}
        Ok(false) => return Ok(()),
        Err(error) => {
            tracing::warn!(%error, "payment session: store unavailable");
            return Err(unavailable());
        }
    }
    let notifications = ipn::abandonment(page, Abandonment::SessionExpired).await?;
    match page.state.payments.expire_session(&page.session.id, notifications).await {
        Ok(Some(session)) => {
            page.session = session;
            Ok(())
        }
        Ok(None) => Err(unknown()),
        Err(error) => {
            tracing::warn!(%error, "payment session: store unavailable");
            Err(unavailable())
        }
    }
}

/// How many expired sessions one sweep abandons at most.
const SWEEP_BATCH: usize = 100;
/// How often the sweeper looks for expired sessions.
const SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// Abandons the sessions nobody came back to, so that their cancel/abandon IPN goes out at the
/// end of the 10 minutes, as on the platform. Runs forever; several caisse processes may run
/// it at once (a session is abandoned once).
pub async fn sweep_expired_sessions(state: AppState) {
    loop {
        sweep_once(&state).await;
        tokio::time::sleep(SWEEP_INTERVAL).await;
    }
}

/// One sweep: abandons up to [`SWEEP_BATCH`] expired sessions; answers how many it saw.
pub async fn sweep_once(state: &AppState) -> usize {
    let sessions = match state.payments.expired_sessions(SWEEP_BATCH).await {
        Ok(sessions) => sessions,
        Err(error) => {
            tracing::warn!(%error, "expired payment sessions: store unavailable");
            return 0;
        }
    };
    let seen = sessions.len();
    for session in sessions {
        let Some(origin) = request_of(&session) else {
            corrupt(&session);
            continue;
        };
        // No browser: the base URL is not needed for a notification.
        let mut page = Page::new(state, session, origin, String::new());
        let _ = settle(&mut page).await;
    }
    seen
}
