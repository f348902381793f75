//! `caisse`: a thin binary. `serve` runs the platform; the other subcommands administer the
//! same database (shops, keys, the capture batch, SEPA mandates) while it runs or not.

mod admin;
mod form_settings;
mod mandate;
mod notification;

/// glibc's allocator showed up at several percent of a cardOrder's CPU time; mimalloc's
/// thread-local free lists make the many small JSON allocations cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use caisse_core::clock::SystemClock;
use caisse_server::Settings;
use clap::{Parser, Subcommand};
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "caisse", version, about = "A self-hosted Sogenactif / Sogecommerce payment platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the platform on CAISSE_LISTEN with the database at CAISSE_DATABASE_URL.
    Serve,
    /// Create, list and show shops, and give them new keys.
    #[command(subcommand)]
    Shop(admin::ShopCommand),
    /// The capture batch.
    #[command(subcommand)]
    Batch(admin::BatchCommand),
    /// Register recurring SEPA mandates as Sogecommerce payment method tokens.
    #[command(subcommand)]
    Mandate(mandate::MandateCommand),
    /// Instant payment notifications (IPN): list, show, resend.
    #[command(subcommand)]
    Notification(notification::NotificationCommand),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAISSE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Shop(command) => admin::shop(&settings, command).await,
        Command::Batch(command) => admin::batch(&settings, command).await,
        Command::Mandate(command) => mandate::mandate(&settings, command).await,
        Command::Notification(command) => notification::notification(&settings, command).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let state = caisse_server::build_state(&settings, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    tracing::info!(address = %listener.local_addr()?, database = %redact(&settings.database_url), "caisse listening");
    caisse_server::serve(listener, &settings, state, caisse_server::shutdown_signal()).await?;
    tracing::info!("caisse stopped");
    Ok(())
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..scheme_end + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
