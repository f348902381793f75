//! The shops a fresh database starts with: the Sips test shops of PROTOCOLS.md section 1, so
//! that a merchant's existing test configuration works against caisse unchanged. Applied once,
//! as migration 2 of each backend; a shop deleted afterwards stays deleted.

/// A preloaded shop and its first secret key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedShop {
    pub id: &'static str,
    pub name: &'static str,
    pub key_version: u32,
    pub secret: &'static str,
}

pub const SIPS_TEST_SHOPS: &[SeedShop] = &[
    SeedShop {
        id: "201040040170001",
        name: "Sips test shop (JSON guide, test environment)",
        key_version: 1,
        secret: "rxSP61eeP_oNi5TxCD7Ngy9YcwC8MLw6OlmFGGcsY54",
    },
    SeedShop {
        id: "011223344550000",
        name: "Sips test shop (JSON guide, seal example)",
        key_version: 1,
        secret: "secret123",
    },
    SeedShop { id: "002001000000001", name: "Sips simulation shop 1", key_version: 1, secret: "002001000000001_KEY1" },
    SeedShop { id: "002001000000002", name: "Sips simulation shop 2", key_version: 1, secret: "002001000000002_KEY1" },
    SeedShop { id: "002001000000003", name: "Sips simulation shop 3", key_version: 1, secret: "002001000000003_KEY1" },
    SeedShop { id: "002001000000004", name: "Sips simulation shop 4", key_version: 1, secret: "002001000000004_KEY1" },
];

/// What the seed migration's checksum covers: editing the seed after it was applied is
/// editing an applied migration.
pub(crate) fn fingerprint() -> String {
    let mut text = String::new();
    for shop in SIPS_TEST_SHOPS {
        text.push_str(&format!("{}\t{}\t{}\t{}\n", shop.id, shop.name, shop.key_version, shop.secret));
    }
    text
}
