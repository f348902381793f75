use crate::config::Settings;
use crate::state::AppState;
use crate::{app, batch};
use caisse_acquirer::SimulatedAcquirer;
use caisse_core::clock::Clock;
use caisse_core::payments::Payments;
use caisse_core::ports::StoreError;
use caisse_store::VaultKey;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("vault key: {0}")]
    VaultKey(String),
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    #[error("notifier: {0}")]
    Notifier(String),
}

/// Opens (creating and migrating if needed) the store and wires the core to it.
pub async fn build_state(settings: &Settings, clock: Arc<dyn Clock>) -> Result<AppState, ServeError> {
    let vault_key = match &settings.vault_key {
        Some(key) => VaultKey::parse(key),
        None => VaultKey::from_env_or_file(&settings.database_url),
    }
    .map_err(|error| ServeError::VaultKey(error.to_string()))?;
    let store = caisse_store::open(&settings.database_url, vault_key).await?;
    let payments = Payments::new(store, Arc::new(SimulatedAcquirer::new()), clock)
        .with_later_notices(Arc::new(caisse_lyra::form::FormLaterNotices));
    let mail = notify_settings(settings);
    let mailer = caisse_notify::mail::Mailer::new(mail.smtp_url.as_deref(), mail.data_dir, &mail.mail_from)
        .map_err(|error| ServeError::Notifier(error.to_string()))?;
    Ok(AppState::new(payments).with_public_url(settings.public_url.clone()).with_mailer(mailer))
}

/// Serves until `shutdown` completes, then stops accepting and lets in-flight requests finish
/// (at most `settings.shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    settings: &Settings,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let notifier =
        caisse_notify::start(state.payments.store().clone(), state.payments.clock().clone(), notify_settings(settings))
            .map_err(|error| ServeError::Notifier(error.to_string()))?;
    let batch = tokio::spawn(batch::run_daily(state.payments.clone(), settings.batch_cutoff));
    let sweeper = tokio::spawn(crate::hosted_page::sweep_expired_sessions(state.clone()));
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app(state)).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: draining in-flight requests");
        let _ = stopping_tx.send(());
    });
    let grace = settings.shutdown_grace;
    let result = tokio::select! {
        result = server => result.map_err(ServeError::from),
        () = async move {
            let _ = stopping_rx.await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!("in-flight requests still running after the grace period; exiting");
            Ok(())
        }
    };
    batch.abort();
    sweeper.abort();
    notifier.stop(grace).await;
    result
}

/// The notifier's part of the settings.
pub fn notify_settings(settings: &Settings) -> caisse_notify::NotifySettings {
    caisse_notify::NotifySettings {
        replay_delays: settings.ipn_retry_delays.clone(),
        smtp_url: settings.smtp_url.clone(),
        data_dir: settings.data_dir.clone().unwrap_or_else(|| caisse_notify::default_data_dir(&settings.database_url)),
        mail_from: settings.mail_from.clone(),
        ..caisse_notify::NotifySettings::default()
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
