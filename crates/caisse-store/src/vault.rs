//! The card vault. A full PAN is stored only encrypted with AES-256-GCM, under a key that never
//! comes from the database: stealing the database alone reveals no card number.

use crate::location::Location;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use caisse_core::Pan;
use caisse_core::ports::StoreError;
use std::fmt;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// AES-256-GCM nonces are 96 bits; a random one per entry (2^32 entries before the birthday
/// bound matters, far beyond one caisse).
pub(crate) const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

/// The 32-byte key of the vault. Its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct VaultKey([u8; KEY_LEN]);

impl fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKey(****)")
    }
}

impl VaultKey {
    /// The setting that gives the key: 64 hex digits or base64 of 32 bytes.
    pub const ENV: &'static str = "CAISSE_VAULT_KEY";
    /// Where a PostgreSQL deployment keeps its key file (else the current directory).
    pub const DATA_DIR_ENV: &'static str = "CAISSE_DATA_DIR";
    /// The key file's name beside a PostgreSQL deployment.
    pub const FILE_NAME: &'static str = "caisse.vault-key";

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> VaultKey {
        VaultKey(bytes)
    }

    pub fn generate() -> VaultKey {
        VaultKey(rand::random())
    }

    /// 64 hex digits or base64 (standard, padded or not) of 32 bytes. The error never
    /// repeats the text.
    pub fn parse(text: &str) -> Result<VaultKey, StoreError> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_LEN {
            hex::decode(text).ok()
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .ok()
        };
        bytes
            .and_then(|bytes| <[u8; KEY_LEN]>::try_from(bytes).ok())
            .map(VaultKey)
            .ok_or_else(|| StoreError::Unavailable("vault key is neither 64 hex digits nor base64 of 32 bytes".into()))
    }

    /// `CAISSE_VAULT_KEY` if set, else the key file of this database (see [`Self::file_for`]),
    /// created with a new random key on first start. An in-memory database gets a key that
    /// lives as long as it does.
    pub fn from_env_or_file(database_url: &str) -> Result<VaultKey, StoreError> {
        if let Ok(text) = std::env::var(Self::ENV)
            && !text.trim().is_empty()
        {
            return VaultKey::parse(&text);
        }
        match VaultKey::file_for(database_url)? {
            Some(path) => VaultKey::load_or_create(&path),
            None => Ok(VaultKey::generate()),
        }
    }

    /// The key file of a database: `path/x.db.vault-key` beside `sqlite://path/x.db`;
    /// `caisse.vault-key` in `$CAISSE_DATA_DIR` or the current directory for PostgreSQL;
    /// none for `sqlite::memory:`.
    pub fn file_for(database_url: &str) -> Result<Option<PathBuf>, StoreError> {
        Ok(match Location::parse(database_url)? {
            Location::Sqlite(path) => {
                let mut name = path.into_os_string();
                name.push(".vault-key");
                Some(PathBuf::from(name))
            }
            Location::SqliteMemory => None,
            Location::Postgres => {
                let dir = std::env::var_os(Self::DATA_DIR_ENV).map(PathBuf::from).unwrap_or_default();
                Some(dir.join(Self::FILE_NAME))
            }
        })
    }

    /// Reads the key file, or creates it (mode 0600, never world-readable) with a new key.
    pub fn load_or_create(path: &Path) -> Result<VaultKey, StoreError> {
        match VaultKey::load(path) {
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(error) => return Err(key_file_error(path, &error)),
            Ok(key) => return key,
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|error| key_file_error(path, &error))?;
        }
        let key = VaultKey::generate();
        let created = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path);
        let mut file = match created {
            Ok(file) => file,
            // Another process created it first: use its key.
            Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                return VaultKey::load(path).map_err(|error| key_file_error(path, &error))?;
            }
            Err(error) => return Err(key_file_error(path, &error)),
        };
        let text = format!("{}\n", hex::encode(key.0));
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|error| key_file_error(path, &error))?;
        tracing::info!(path = %path.display(), "created a new vault key file");
        Ok(key)
    }

    fn load(path: &Path) -> std::io::Result<Result<VaultKey, StoreError>> {
        let text = std::fs::read_to_string(path)?;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", mode & 0o777),
                "vault key file is readable by other users; chmod 600 it"
            );
        }
        Ok(VaultKey::parse(&text).map_err(|_| {
            StoreError::Unavailable(format!(
                "vault key file {} is neither 64 hex digits nor base64 of 32 bytes",
                path.display()
            ))
        }))
    }
}

fn key_file_error(path: &Path, error: &std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("vault key file {}: {error}", path.display()))
}

/// A PAN as the database keeps it.
pub(crate) struct SealedPan {
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) ciphertext: Vec<u8>,
}

/// Encrypts and decrypts vault entries. The entry's `card_id` is the associated data, so a
/// ciphertext moved to another entry no longer decrypts.
pub(crate) struct Vault {
    cipher: Aes256Gcm,
    /// Keys `fingerprint`; derived from the vault key, so the database alone gives no way to
    /// test a guessed card number against a fingerprint.
    fingerprint_key: [u8; 32],
}

impl Vault {
    pub(crate) fn new(key: &VaultKey) -> Vault {
        use sha2::Digest;
        let fingerprint_key =
            sha2::Sha256::new().chain_update(b"caisse fingerprint key\0").chain_update(key.0).finalize();
        Vault { cipher: Aes256Gcm::new(&key.0.into()), fingerprint_key: fingerprint_key.into() }
    }

    /// A keyed hash (HMAC-SHA-256) of a secret in its `scope`: equal secrets, equal
    /// fingerprints, so that a unique index can refuse the same card twice without the
    /// database holding anything that reveals it.
    pub(crate) fn fingerprint(&self, scope: &[&str], secret: &str) -> String {
        use hmac::{Hmac, Mac};
        let mut mac =
            <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.fingerprint_key).expect("HMAC takes any key length");
        for part in scope {
            // Length-prefixed: ("ab", "c") and ("a", "bc") differ.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A new vault entry's PAN, sealed under its card id.
    pub(crate) fn seal_card(&self, card: &caisse_core::ports::NewCard) -> Result<SealedPan, StoreError> {
        self.seal(&card.summary.card_id, &card.pan)
    }

    pub(crate) fn seal(&self, card_id: &str, pan: &Pan) -> Result<SealedPan, StoreError> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let payload = Payload { msg: pan.digits().as_bytes(), aad: card_id.as_bytes() };
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| StoreError::Unavailable("vault encryption failed".into()))?;
        Ok(SealedPan { nonce, ciphertext })
    }

    pub(crate) fn open(&self, card_id: &str, nonce: &[u8], ciphertext: &[u8]) -> Result<Pan, StoreError> {
        if nonce.len() != NONCE_LEN {
            return Err(StoreError::Corrupt("vault entry has a malformed nonce".into()));
        }
        let payload = Payload { msg: ciphertext, aad: card_id.as_bytes() };
        let clear = self.cipher.decrypt(Nonce::from_slice(nonce), payload).map_err(|_| {
            StoreError::Corrupt("vault entry does not decrypt: wrong vault key or altered entry".into())
        })?;
        let digits =
            std::str::from_utf8(&clear).map_err(|_| StoreError::Corrupt("vault entry is not a card number".into()))?;
        Pan::parse(digits).map_err(|_| StoreError::Corrupt("vault entry is not a card number".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_and_base64() {
        let bytes = [7u8; KEY_LEN];
        let hex_key = VaultKey::parse(&hex::encode(bytes)).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert_eq!(hex_key, VaultKey::parse(&b64).unwrap());
        assert_eq!(hex_key, VaultKey::parse(b64.trim_end_matches('=')).unwrap());
        assert!(VaultKey::parse("00").is_err());
        assert!(VaultKey::parse(&"zz".repeat(KEY_LEN)).is_err());
        let message = VaultKey::parse("c2VjcmV0").unwrap_err().to_string();
        assert!(!message.contains("c2VjcmV0"));
        assert_eq!(format!("{hex_key:?}"), "VaultKey(****)");
    }

    #[test]
    fn seals_and_opens_under_its_card_id_only() {
        let vault = Vault::new(&VaultKey::generate());
        let pan = Pan::parse("4100000000000000").unwrap();
        let sealed = vault.seal("card-a", &pan).unwrap();
        assert_eq!(sealed.ciphertext.len(), pan.digits().len() + 16);
        let opened = vault.open("card-a", &sealed.nonce, &sealed.ciphertext).unwrap();
        assert_eq!(opened, pan);
        assert!(vault.open("card-b", &sealed.nonce, &sealed.ciphertext).is_err());
        let other = Vault::new(&VaultKey::generate());
        assert!(other.open("card-a", &sealed.nonce, &sealed.ciphertext).is_err());
        // Same PAN twice: different nonces, different ciphertexts.
        let again = vault.seal("card-a", &pan).unwrap();
        assert_ne!(again.nonce, sealed.nonce);
        assert_ne!(again.ciphertext, sealed.ciphertext);
    }

    #[test]
    fn key_file_paths() {
        assert_eq!(VaultKey::file_for("sqlite://data/x.db").unwrap(), Some(PathBuf::from("data/x.db.vault-key")));
        assert_eq!(VaultKey::file_for("sqlite:///abs/x.db").unwrap(), Some(PathBuf::from("/abs/x.db.vault-key")));
        assert_eq!(VaultKey::file_for("sqlite::memory:").unwrap(), None);
    }
}
