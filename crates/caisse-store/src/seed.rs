//! The shops a fresh database starts with: the Sips test shops of PROTOCOLS.md section 1 and
//! the Sogecommerce (Lyra) test shops of section 2, so that a merchant's existing test
//! configuration works against caisse unchanged. Each list is applied once, as a migration of
//! each backend (2: Sips, 4: Lyra); a shop deleted afterwards stays deleted.

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

/// A preloaded Sogecommerce (Lyra) shop and its REST V4 credentials.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LyraSeedShop {
    pub id: &'static str,
    pub name: &'static str,
    pub test_password: &'static str,
    pub production_password: &'static str,
    pub test_hmac_key: &'static str,
    pub production_hmac_key: &'static str,
}

impl std::fmt::Debug for LyraSeedShop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LyraSeedShop({}, {:?}, ****)", self.id, self.name)
    }
}

pub const LYRA_TEST_SHOPS: &[LyraSeedShop] = &[
    LyraSeedShop {
        id: "69876357",
        name: "Demo shop",
        test_password: "testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M",
        production_password: "prodpassword_DEMOPRIVATEKEY69876357CAISSE",
        test_hmac_key: "38453613e7f44dc58732bad3dca2bca3",
        production_hmac_key: "69876357prodhmackey00000000000000",
    },
    LyraSeedShop {
        id: "61881992",
        name: "Sogecommerce shop",
        test_password: "testpassword_SOGECOMMERCE61881992",
        production_password: "prodpassword_SOGECOMMERCE61881992",
        test_hmac_key: "61881992hmackey0000000000000000",
        production_hmac_key: "61881992prodhmackey000000000000",
    },
];

/// The checksum text of the Lyra seed migration.
pub(crate) fn lyra_fingerprint() -> String {
    let mut text = String::new();
    for shop in LYRA_TEST_SHOPS {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            shop.id,
            shop.name,
            shop.test_password,
            shop.production_password,
            shop.test_hmac_key,
            shop.production_hmac_key
        ));
    }
    text
}
