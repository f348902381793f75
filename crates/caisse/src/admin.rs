//! Administration subcommands. They open the same database as `serve` and change it through
//! the store, so a running server sees the result (new keys are picked up on first use).

use caisse_core::clock::SystemClock;
use caisse_core::ports::Store;
use caisse_core::shop::{LyraCredentials, SecretKey, Shop, ShopId};
use caisse_server::Settings;
use clap::Subcommand;
use rand::Rng;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum ShopCommand {
    /// Create a shop with a first key (version 1); a Sogecommerce shop (8-digit shopId) also
    /// gets generated REST V4 credentials.
    Create {
        /// Sips merchantId (15 digits) or Sogecommerce shopId (8 digits).
        #[arg(long)]
        id: String,
        #[arg(long, default_value = "")]
        name: String,
        /// The secret key; a random one is generated and printed when omitted.
        #[arg(long)]
        key: Option<String>,
    },
    /// List the shops.
    List,
    /// Show a shop, its keys and its Sogecommerce REST V4 credentials.
    Show { id: String },
    /// Add the next key version to a shop.
    AddKey {
        id: String,
        /// The secret key; a random one is generated and printed when omitted.
        #[arg(long)]
        key: Option<String>,
    },
    /// Show or set a Sogecommerce shop's instant payment notification (IPN) rules.
    NotificationRules(crate::notification::RulesArgs),
    /// Show or set a Sogecommerce shop's Form API settings (keys, signature algorithm,
    /// warning e-mail addresses).
    FormSettings(crate::form_settings::FormSettingsArgs),
    /// Set a shop's Sogecommerce REST V4 credentials: what is given replaces, what is not
    /// keeps its current value (or gets a generated one if the shop has none yet).
    LyraCredentials {
        id: String,
        /// Password for TEST mode (`testpassword_…`).
        #[arg(long)]
        test_password: Option<String>,
        /// Password for PRODUCTION mode (`prodpassword_…`).
        #[arg(long)]
        production_password: Option<String>,
        /// HMAC-SHA-256 key of TEST mode (browser returns, `kr-hash`).
        #[arg(long)]
        test_hmac_key: Option<String>,
        /// HMAC-SHA-256 key of PRODUCTION mode.
        #[arg(long)]
        production_hmac_key: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum BatchCommand {
    /// Run the capture batch and charge the subscription installments due now.
    Run,
}

pub(crate) async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let vault_key = match &settings.vault_key {
        Some(key) => caisse_store::VaultKey::parse(key)?,
        None => caisse_store::VaultKey::from_env_or_file(&settings.database_url)?,
    };
    Ok(caisse_store::open(&settings.database_url, vault_key).await?)
}

fn random_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..43).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

fn valid_merchant_id(id: &str) -> bool {
    id.len() == 15 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A Sogecommerce shopId: 8 digits.
fn valid_lyra_shop_id(id: &str) -> bool {
    id.len() == 8 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Credentials with generated passwords and keys, in the platforms' formats.
fn generated_credentials(shop_id: &ShopId) -> LyraCredentials {
    LyraCredentials {
        shop_id: shop_id.clone(),
        test_password: format!("testpassword_{}", random_key()),
        production_password: format!("prodpassword_{}", random_key()),
        test_hmac_key: random_hex(16),
        production_hmac_key: random_hex(16),
    }
}

pub async fn shop(settings: &Settings, command: ShopCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    match command {
        ShopCommand::Create { id, name, key } => {
            let lyra = valid_lyra_shop_id(&id);
            anyhow::ensure!(valid_merchant_id(&id) || lyra, "a merchantId has 15 digits, a shopId 8");
            let secret = key.unwrap_or_else(random_key);
            let shop = Shop { id: ShopId(id), name, keys: vec![SecretKey { version: 1, secret }] };
            store.create_shop(&shop).await?;
            print_shop(&shop);
            if lyra {
                let credentials = generated_credentials(&shop.id);
                store.set_lyra_credentials(&credentials).await?;
                print_lyra_credentials(&credentials);
            }
        }
        ShopCommand::List => {
            for shop in store.list_shops().await? {
                let versions: Vec<String> = shop.keys.iter().map(|key| key.version.to_string()).collect();
                println!("{}\t{}\tkeyVersions {}", shop.id, shop.name, versions.join(","));
            }
        }
        ShopCommand::Show { id } => match store.shop(&ShopId(id.clone())).await? {
            Some(shop) => {
                print_shop(&shop);
                if let Some(credentials) = store.lyra_credentials(&shop.id).await? {
                    print_lyra_credentials(&credentials);
                }
            }
            None => anyhow::bail!("no shop {id}"),
        },
        ShopCommand::LyraCredentials { id, test_password, production_password, test_hmac_key, production_hmac_key } => {
            let shop_id = ShopId(id.clone());
            anyhow::ensure!(store.shop(&shop_id).await?.is_some(), "no shop {id}");
            let current = store.lyra_credentials(&shop_id).await?.unwrap_or_else(|| generated_credentials(&shop_id));
            let credentials = LyraCredentials {
                shop_id,
                test_password: test_password.unwrap_or(current.test_password),
                production_password: production_password.unwrap_or(current.production_password),
                test_hmac_key: test_hmac_key.unwrap_or(current.test_hmac_key),
                production_hmac_key: production_hmac_key.unwrap_or(current.production_hmac_key),
            };
            anyhow::ensure!(
                !credentials.test_password.is_empty() && !credentials.production_password.is_empty(),
                "a password cannot be empty"
            );
            anyhow::ensure!(
                credentials.test_password != credentials.production_password,
                "the two passwords must differ"
            );
            store.set_lyra_credentials(&credentials).await?;
            print_lyra_credentials(&credentials);
        }
        ShopCommand::AddKey { id, key } => {
            let secret = key.unwrap_or_else(random_key);
            let added = store.add_key(&ShopId(id.clone()), &secret).await?;
            println!("merchantId {id}\nkeyVersion {}\nsecretKey  {}", added.version, added.secret);
        }
        ShopCommand::NotificationRules(args) => crate::notification::rules(settings, args).await?,
        ShopCommand::FormSettings(args) => crate::form_settings::form_settings(settings, args).await?,
    }
    Ok(())
}

fn print_shop(shop: &Shop) {
    println!("merchantId {}", shop.id);
    println!("name       {}", shop.name);
    for key in &shop.keys {
        println!("keyVersion {}  secretKey {}", key.version, key.secret);
    }
}

/// REST V4 credentials, as the merchant back office shows them (a running server honours a
/// change within 30 s).
fn print_lyra_credentials(credentials: &LyraCredentials) {
    println!("shopId             {}", credentials.shop_id);
    println!("testPassword       {}", credentials.test_password);
    println!("productionPassword {}", credentials.production_password);
    println!("testHmacKey        {}", credentials.test_hmac_key);
    println!("productionHmacKey  {}", credentials.production_hmac_key);
}

pub async fn batch(settings: &Settings, command: BatchCommand) -> anyhow::Result<()> {
    match command {
        BatchCommand::Run => {
            let state = caisse_server::build_state(settings, Arc::new(SystemClock)).await?;
            let report = state.payments.run_capture_batch().await?;
            println!("captured {}\nexpired  {}\ncredited {}", report.captured, report.expired, report.credited);
            let installments = state.payments.run_due_installments().await?;
            println!("installments accepted {}\ninstallments refused  {}", installments.accepted, installments.refused);
        }
    }
    Ok(())
}
