//! Instant payment notifications (IPN) on their way out: the outbox the payments fill (in the
//! store, in the payment's own database transaction) is read by a notifier that posts each
//! notification's signed fields to the shop, replays failures after growing delays when the
//! shop's rule says so, and e-mails the rule's addresses when one fails for good.
//!
//! # Layout
//! - `settings`: replay delays (`CAISSE_IPN_RETRY_DELAYS`), the data folder, timings.
//! - `sender`: one HTTP attempt (form POST, no redirection followed, nothing of the body logged).
//! - `mail`: the failure e-mail (French and English), over SMTP or into an `.eml` file.
//! - `form_warning`: the warning e-mail of a refused payment form.
//! - `notifier`: the loop: claim (leased), send, record, e-mail.

pub mod form_warning;
pub mod mail;
pub mod notifier;
pub mod sender;
pub mod settings;

pub use notifier::{NotifierHandle, StartError, start};
pub use settings::{NotifySettings, default_data_dir, parse_delays};
