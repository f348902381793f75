//! `caisse mandate`: registers a signed recurring SEPA mandate as a Sogecommerce payment method
//! token (its id is the RUM), which `Charge/CreatePayment` with `formAction: SILENT` and
//! subscriptions then debit. On the real platform the mandate comes from the shopper signing
//! it on the payment page; this gives testers and back offices the same token directly.

use anyhow::Context;
use caisse_core::clock::SystemClock;
use caisse_core::shop::{Mode, ShopId};
use caisse_core::wallet::Iban;
use caisse_server::Settings;
use clap::Subcommand;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum MandateCommand {
    /// Register a mandate; prints its RUM (the paymentMethodToken).
    Create {
        /// Sogecommerce shopId (8 digits).
        #[arg(long)]
        shop: String,
        /// The debtor's IBAN (electronic form, or with spaces).
        #[arg(long)]
        iban: String,
        #[arg(long)]
        bic: Option<String>,
        /// The debtor's e-mail, kept as the token's customer.
        #[arg(long)]
        email: Option<String>,
        /// TEST or PRODUCTION: the mode whose payments may use it.
        #[arg(long, default_value = "TEST")]
        mode: String,
    },
}

pub async fn mandate(settings: &Settings, command: MandateCommand) -> anyhow::Result<()> {
    let MandateCommand::Create { shop, iban, bic, email, mode } = command;
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    let iban = Iban::parse(&compact).map_err(|error| anyhow::anyhow!("--iban: {error}"))?;
    let mode = Mode::parse(&mode).context("--mode: TEST or PRODUCTION")?;
    let state = caisse_server::build_state(settings, Arc::new(SystemClock)).await?;
    let shop_id = ShopId(shop);
    if state.payments.store().lyra_credentials(&shop_id).await?.is_none() {
        anyhow::bail!("no Sogecommerce shop {shop_id}");
    }
    let mut customer = serde_json::Map::new();
    if let Some(email) = email {
        customer.insert("email".into(), email.into());
    }
    let token = state.payments.register_sepa_mandate(shop_id, mode, &iban, bic, customer).await?;
    println!("{}", token.id);
    Ok(())
}
