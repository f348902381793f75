//! Administration subcommands. They open the same database as `serve` and change it through
//! the store, so a running server sees the result (new keys are picked up on first use).

use caisse_core::clock::SystemClock;
use caisse_core::ports::Store;
use caisse_core::shop::{SecretKey, Shop, ShopId};
use caisse_server::Settings;
use clap::Subcommand;
use rand::Rng;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum ShopCommand {
    /// Create a shop with a first key (version 1).
    Create {
        /// Sips merchantId (15 digits).
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
    /// Show a shop and its keys.
    Show { id: String },
    /// Add the next key version to a shop.
    AddKey {
        id: String,
        /// The secret key; a random one is generated and printed when omitted.
        #[arg(long)]
        key: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum BatchCommand {
    /// Run the capture batch now.
    Run,
}

async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
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

fn valid_merchant_id(id: &str) -> bool {
    id.len() == 15 && id.bytes().all(|b| b.is_ascii_digit())
}

pub async fn shop(settings: &Settings, command: ShopCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    match command {
        ShopCommand::Create { id, name, key } => {
            anyhow::ensure!(valid_merchant_id(&id), "a merchantId has 15 digits");
            let secret = key.unwrap_or_else(random_key);
            let shop = Shop { id: ShopId(id), name, keys: vec![SecretKey { version: 1, secret }] };
            store.create_shop(&shop).await?;
            print_shop(&shop);
        }
        ShopCommand::List => {
            for shop in store.list_shops().await? {
                let versions: Vec<String> = shop.keys.iter().map(|key| key.version.to_string()).collect();
                println!("{}\t{}\tkeyVersions {}", shop.id, shop.name, versions.join(","));
            }
        }
        ShopCommand::Show { id } => match store.shop(&ShopId(id.clone())).await? {
            Some(shop) => print_shop(&shop),
            None => anyhow::bail!("no shop {id}"),
        },
        ShopCommand::AddKey { id, key } => {
            let secret = key.unwrap_or_else(random_key);
            let added = store.add_key(&ShopId(id.clone()), &secret).await?;
            println!("merchantId {id}\nkeyVersion {}\nsecretKey  {}", added.version, added.secret);
        }
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

pub async fn batch(settings: &Settings, command: BatchCommand) -> anyhow::Result<()> {
    match command {
        BatchCommand::Run => {
            let state = caisse_server::build_state(settings, Arc::new(SystemClock)).await?;
            let report = state.payments.run_capture_batch().await?;
            println!("captured {}\nexpired  {}\ncredited {}", report.captured, report.expired, report.credited);
        }
    }
    Ok(())
}
