//! caisse's payment domain: what a payment platform is, independent of any wire format.
//!
//! # Layout
//! - `money`: integer minor units and ISO 4217 currencies.
//! - `card`: PANs (masked in `Debug`), expiry dates, brands, Luhn.
//! - `cpay`: the Cpay card's payment options (comptant, crédit, instalments) and refund rule.
//! - `bin_table`: what a card number's first digits say (brands, product, issuer country):
//!   reference data the acquirer routes on and `getCardData` answers from.
//! - `shop`: merchants and their versioned secret keys.
//! - `transaction`: the transaction, its statuses and the one state machine (pure functions).
//! - `operation`: the journal of operations applied to a transaction.
//! - `command`: what adapters ask the core to do.
//! - `ports`: the traits the core needs from the outside (store, acquirer, clock).
//! - `payments`: the use cases: load → transition → acquirer → save.
//! - `token`: payment method tokens (card or SEPA mandate) a shop pays with again.
//! - `wallet`: a shop's named sets of its customers' cards and SEPA mandates (Sips wallets).
//! - `subscription`: recurring payments by token on an RFC 5545 rule.
//! - `three_ds`: 3-D Secure by redirection: the authentication, its transitions, PaReq/PaRes.
//! - `payment_form`: a hosted-page session (REST V4 formToken, Form API post).
//! - `payment_session`: a Form API hosted payment page session, paid at most once.
//! - `payment_token`: Sips hosted-fields payment tokens (single use) and sessions.
//! - `notification`: instant payment notifications (IPN): the outbox and the shops' rules.
//! - `form_settings`: a shop's Form API settings (keys, algorithm, warning e-mails).
//! - `clock`: the system clock and a clock tests can move.

pub mod bin_table;
pub mod card;
pub mod clock;
pub mod command;
pub mod cpay;
pub mod form_settings;
pub mod money;
pub mod notification;
pub mod operation;
pub mod payment_form;
pub mod payment_session;
pub mod payment_token;
pub mod payments;
pub mod ports;
pub mod shop;
pub mod subscription;
pub mod three_ds;
pub mod token;
pub mod transaction;
pub mod wallet;

pub use card::{CardBrand, CardExpiry, Pan};
pub use clock::{Clock, SystemClock, TestClock};
pub use money::{Amount, Currency};
pub use operation::{Operation, OperationName};
pub use shop::{LyraCredentials, Mode, SecretKey, Shop, ShopId};
pub use transaction::{
    CaptureMode, Refusal, Transaction, TransactionId, TransactionKey, TransactionKind, TransactionStatus,
};
