//! `caisse shop form-settings`: a Sogecommerce shop's Form API settings (the keys that sign
//! its payment forms, the algorithm, the warning e-mail addresses).

use crate::admin::open_store;
use caisse_core::form_settings::FormSignatureAlgorithm;
use caisse_core::shop::ShopId;
use caisse_server::Settings;

#[derive(clap::Args)]
pub struct FormSettingsArgs {
    /// Sogecommerce shopId.
    shop_id: String,
    /// The key of TEST mode forms (empty: none, TEST forms are refused).
    #[arg(long)]
    test_key: Option<String>,
    /// The key of PRODUCTION mode forms (empty: none).
    #[arg(long)]
    production_key: Option<String>,
    /// HMAC-SHA-256 (default) or SHA-1 (legacy).
    #[arg(long, value_parser = algorithm)]
    algorithm: Option<FormSignatureAlgorithm>,
    /// Warning e-mail addresses for refused forms, comma-separated (empty: none, the
    /// operator's CAISSE_MAIL_FROM gets them).
    #[arg(long)]
    warning_emails: Option<String>,
}

fn algorithm(text: &str) -> Result<FormSignatureAlgorithm, String> {
    match text {
        "HMAC-SHA-256" => Ok(FormSignatureAlgorithm::HmacSha256),
        "SHA-1" => Ok(FormSignatureAlgorithm::Sha1),
        _ => Err(format!("expected HMAC-SHA-256 or SHA-1, got {text:?}")),
    }
}

fn key(text: String) -> Option<String> {
    Some(text.trim().to_owned()).filter(|key| !key.is_empty())
}

pub async fn form_settings(settings: &Settings, args: FormSettingsArgs) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let shop_id = ShopId(args.shop_id.clone());
    let current = store.form_settings(&shop_id).await?.ok_or_else(|| anyhow::anyhow!("no shop {}", args.shop_id))?;
    let mut form = current.clone();
    if let Some(text) = args.test_key {
        form.test_key = key(text);
    }
    if let Some(text) = args.production_key {
        form.production_key = key(text);
    }
    form.algorithm = args.algorithm.unwrap_or(current.algorithm);
    if let Some(emails) = args.warning_emails {
        form.warning_emails =
            emails.split([',', ';']).map(str::trim).filter(|email| !email.is_empty()).map(str::to_owned).collect();
        for email in &form.warning_emails {
            anyhow::ensure!(
                email.contains('@') && !email.contains(char::is_whitespace),
                "not an e-mail address: {email}"
            );
        }
    }
    if form != current {
        store.set_form_settings(&form).await?;
    }
    let algorithm = match form.algorithm {
        FormSignatureAlgorithm::HmacSha256 => "HMAC-SHA-256",
        FormSignatureAlgorithm::Sha1 => "SHA-1",
    };
    println!("shopId         {}", form.shop_id);
    println!("testKey        {}", form.test_key.as_deref().unwrap_or("(none)"));
    println!("productionKey  {}", form.production_key.as_deref().unwrap_or("(none)"));
    println!("algorithm      {algorithm}");
    println!("warningEmails  {}", form.warning_emails.join(","));
    Ok(())
}
