//! The e-mail that reports a notification the shop never acknowledged: the HTTP code met, what
//! it suggests, what follows for the shop, how to send it again. French, then English, like
//! the platform's Back Office messages. Sent over SMTP when configured, else written as an
//! `.eml` file (RFC 5322, ready for any mail client) into the data folder's `mail/`.

use crate::sender::{CONNECTION_FAILED, CONNECTION_REFUSED, TIMEOUT};
use caisse_core::notification::{Notification, NotificationRule};
use caisse_core::shop::Mode;
use lettre::message::Mailbox;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP URL: {0}")]
    SmtpUrl(String),
    #[error("sender address {0:?} is not an e-mail address")]
    From(String),
    #[error("e-mail: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
    #[error("writing {path}: {error}")]
    File { path: PathBuf, error: std::io::Error },
}

/// A failure e-mail's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureMail {
    pub subject: String,
    pub text: String,
}

/// Where a failure e-mail went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Smtp,
    File(PathBuf),
}

pub struct Mailer {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    directory: PathBuf,
    from: Mailbox,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, data_dir: PathBuf, from: &str) -> Result<Mailer, MailError> {
        let smtp = match smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    // The URL may hold a password: only the error's kind is kept.
                    .map_err(|error| MailError::SmtpUrl(error.to_string().replace(url, "…")))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
            None => None,
        };
        let from = from.parse().map_err(|_| MailError::From(from.to_owned()))?;
        Ok(Mailer { smtp, directory: data_dir.join("mail"), from })
    }

    /// Sends `mail` to `recipients`; with none, to the sender (the platform's operator), so
    /// that a failure is never silent.
    pub async fn send(
        &self,
        notification: &Notification,
        recipients: &[String],
        mail: &FailureMail,
    ) -> Result<Sent, MailError> {
        let name = format!("ipn-failure-{}-{}", notification.id, notification.attempts);
        self.send_mail(&name, notification.shop_id.as_str(), recipients, mail).await
    }

    /// Sends another e-mail (a refused form's warning…) the same way: `name` ends its `.eml`
    /// file's name.
    pub async fn send_mail(
        &self,
        name: &str,
        shop: &str,
        recipients: &[String],
        mail: &FailureMail,
    ) -> Result<Sent, MailError> {
        let mut builder = Message::builder().from(self.from.clone());
        let mut any = false;
        for recipient in recipients {
            match recipient.trim().parse::<Mailbox>() {
                Ok(mailbox) => {
                    builder = builder.to(mailbox);
                    any = true;
                }
                Err(_) => tracing::warn!(mail = %name, %shop, "e-mail: skipping an address that is not one"),
            }
        }
        if !any {
            builder = builder.to(self.from.clone());
        }
        // 8bit (CRLF lines wrapped at `WRAP_AT` bytes): the `.eml` file reads as plain text.
        // Should the text not fit it, lettre picks an encoding that does.
        let text = wrap(&mail.text, WRAP_AT).replace('\n', "\r\n");
        let body = Body::new_with_encoding(text, ContentTransferEncoding::EightBit).unwrap_or_else(Body::new);
        let part = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(body);
        let message = builder
            .subject(mail.subject.clone())
            .singlepart(part)
            .map_err(|error| MailError::Build(error.to_string()))?;
        match &self.smtp {
            Some(smtp) => {
                smtp.send(message).await.map_err(|error| MailError::Smtp(error.to_string()))?;
                Ok(Sent::Smtp)
            }
            None => self.write(name, &message.formatted()).await.map(Sent::File),
        }
    }

    /// `mail/<UTC time>-<name>.eml` (`ipn-failure-<id>-<attempts>`…), written whole or not
    /// at all.
    async fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, MailError> {
        let name = format!("{}-{name}.eml", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"));
        let path = self.directory.join(&name);
        let partial = self.directory.join(format!(".{name}.partial"));
        let file_error = |error| MailError::File { path: path.clone(), error };
        tokio::fs::create_dir_all(&self.directory).await.map_err(file_error)?;
        tokio::fs::write(&partial, bytes).await.map_err(file_error)?;
        tokio::fs::rename(&partial, &path).await.map_err(file_error)?;
        Ok(path)
    }
}

/// Bytes in a line of a plain-text e-mail: short enough for lettre to keep it 8bit (it wants
/// fewer than 76 with the line end).
const WRAP_AT: usize = 70;

/// Breaks lines longer than `width` bytes at spaces (a word longer than that stays whole).
fn wrap(text: &str, width: usize) -> String {
    let mut wrapped = String::with_capacity(text.len() + text.len() / width);
    for line in text.split('\n') {
        let mut length = 0;
        for (index, word) in line.split(' ').enumerate() {
            let size = word.len();
            if index > 0 {
                if length > 0 && length + 1 + size > width {
                    wrapped.push('\n');
                    length = 0;
                } else {
                    wrapped.push(' ');
                    length += 1;
                }
            }
            wrapped.push_str(word);
            length += size;
        }
        wrapped.push('\n');
    }
    wrapped.pop();
    wrapped
}

/// The failure e-mail of a notification that just failed for good.
pub fn compose(notification: &Notification, shop_name: &str) -> FailureMail {
    let reference = notification.reference.as_deref().or(notification.transaction_id.as_ref().map(|id| id.as_str()));
    let mode_tag = match notification.mode {
        Mode::Test => "[MODE TEST] ",
        Mode::Production => "",
    };
    let shop_label = if shop_name.is_empty() { notification.shop_id.as_str() } else { shop_name };
    let subject = format!(
        "{mode_tag}{shop_label} - Tr. ref. {} / FAILURE during the call to your IPN URL [unsuccessful attempt #last]",
        reference.unwrap_or("-")
    );
    let code = notification.last_http_status.map(|status| status.to_string());
    let (analysis_fr, analysis_en) = analysis(notification);
    let (rule_fr, rule_en) = match notification.rule {
        NotificationRule::EndOfPayment => ("fin de paiement", "end of payment"),
        NotificationRule::CancelOrAbandon => ("annulation / abandon", "cancellation / abandonment"),
        NotificationRule::LaterOperation => ("opération ultérieure", "later operation"),
    };
    let url = if notification.url.is_empty() { "-" } else { notification.url.as_str() };
    let id = &notification.id;
    let shop = notification.shop_id.as_str();
    let mode = notification.mode.as_str();
    let attempts = notification.attempts;
    let reference = reference.unwrap_or("-");
    let text = format!(
        "Bonjour,\n\
         \n\
         La notification instantanée (IPN, règle « {rule_fr} ») de la transaction {reference} de la boutique \
         {shop_label} ({shop}, mode {mode}) n'a pas pu être délivrée : {attempts} tentative(s), toutes en échec.\n\
         \n\
         URL appelée : {url}\n\
         Code HTTP reçu : {code_fr}\n\
         Analyse : {analysis_fr}\n\
         \n\
         Conséquences : votre site n'a pas été informé du résultat de ce paiement. La commande correspondante \
         n'est peut-être pas à jour (payée, refusée ou annulée) ; le paiement lui-même n'est pas modifié. Aucun \
         nouvel appel automatique ne sera fait.\n\
         \n\
         Pour la renvoyer, une fois le problème corrigé :\n\
         \x20   caisse notification resend {id}\n\
         Votre site doit accepter de recevoir plusieurs fois la même notification.\n\
         \n\
         ----\n\
         \n\
         Hello,\n\
         \n\
         The instant payment notification (IPN, rule \"{rule_en}\") of transaction {reference} of shop \
         {shop_label} ({shop}, mode {mode}) could not be delivered: {attempts} attempt(s), all failed.\n\
         \n\
         URL called: {url}\n\
         HTTP code received: {code_en}\n\
         Analysis: {analysis_en}\n\
         \n\
         Consequences: your site was not told the result of this payment. The matching order may not be up to \
         date (paid, refused or cancelled); the payment itself is unchanged. No further automatic call will be \
         made.\n\
         \n\
         To send it again, once the problem is fixed:\n\
         \x20   caisse notification resend {id}\n\
         Your site must accept receiving the same notification more than once.\n",
        code_fr = code.as_deref().unwrap_or("aucun (pas de réponse HTTP)"),
        code_en = code.as_deref().unwrap_or("none (no HTTP answer)"),
    );
    FailureMail { subject, text }
}

/// What the failure suggests, in French and in English.
fn analysis(notification: &Notification) -> (String, String) {
    let shop = notification.shop_id.as_str();
    if notification.url.is_empty() {
        let flag = match notification.mode {
            Mode::Test => "--test-url",
            Mode::Production => "--production-url",
        };
        return (
            format!(
                "aucune URL de notification n'est définie pour ce mode. Définissez-la avec \
                 `caisse shop notification-rules {shop} {flag} <URL>`."
            ),
            format!(
                "no notification URL is set for this mode. Set it with `caisse shop notification-rules {shop} {flag} <URL>`."
            ),
        );
    }
    if let Some(status) = notification.last_http_status {
        let (fr, en) = match status {
            401 | 403 => (
                "l'accès à l'URL est refusé (authentification ou filtrage d'adresses IP) : elle doit être \
                 accessible sans authentification.",
                "access to the URL is denied (authentication or IP filtering): it must be reachable without \
                 authentication.",
            ),
            404 | 410 => (
                "l'URL n'existe pas sur votre serveur : vérifiez-la.",
                "the URL does not exist on your server: check it.",
            ),
            405 => (
                "votre serveur n'accepte pas la méthode POST à cette URL.",
                "your server does not accept POST at this URL.",
            ),
            300..=399 => (
                "votre serveur répond par une redirection que la plateforme ne suit pas (les données POST \
                 seraient perdues) : appelez directement l'URL finale.",
                "your server answers with a redirection the platform does not follow (the POST data would be \
                 lost): use the final URL.",
            ),
            400..=499 => (
                "votre serveur a refusé la requête : consultez ses journaux (contrôle de signature, champs \
                 attendus).",
                "your server rejected the request: check its logs (signature check, expected fields).",
            ),
            500..=599 => (
                "votre serveur a rencontré une erreur en traitant la notification : consultez ses journaux.",
                "your server failed while processing the notification: check its logs.",
            ),
            _ => (
                "votre serveur a répondu par un code que la plateforme ne considère pas comme un succès \
                 (200 à 206, 301, 302, 303, 307, 308).",
                "your server answered with a code the platform does not count as success (200 to 206, 301, 302, \
                 303, 307, 308).",
            ),
        };
        return (fr.to_owned(), en.to_owned());
    }
    let error = notification.last_error.as_deref().unwrap_or_default();
    let (fr, en) = if error == TIMEOUT {
        (
            "votre serveur n'a pas répondu dans le délai imparti : il doit répondre rapidement, avant tout \
             traitement long.",
            "your server did not answer in time: it must answer quickly, before any long processing.",
        )
    } else if error == CONNECTION_REFUSED {
        (
            "la connexion a été refusée : le serveur est arrêté ou le port est fermé.",
            "the connection was refused: the server is down or the port is closed.",
        )
    } else if error == CONNECTION_FAILED {
        (
            "la connexion n'a pas pu être établie (nom d'hôte inconnu, réseau, certificat TLS).",
            "the connection could not be made (unknown host name, network, TLS certificate).",
        )
    } else {
        ("la requête n'a pas abouti.", "the request did not complete.")
    };
    (fr.to_owned(), en.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use caisse_core::ShopId;
    use caisse_core::notification::AttemptOutcome;
    use chrono::Utc;

    fn failed(outcome: AttemptOutcome, url: &str) -> Notification {
        Notification::new(
            ShopId("69876357".into()),
            Mode::Test,
            NotificationRule::EndOfPayment,
            url,
            vec![("vads_trans_id".into(), "067925".into())],
            Utc::now(),
        )
        .with_transaction(caisse_core::TransactionId("ab".repeat(16)), Some("067925".into()))
        .after_attempt(&outcome, Utc::now(), &[], true)
    }

    #[test]
    fn subject_and_body_say_what_happened() {
        let mail = compose(&failed(AttemptOutcome::Http(500), "https://shop.example/ipn"), "Demo shop");
        assert_eq!(
            mail.subject,
            "[MODE TEST] Demo shop - Tr. ref. 067925 / FAILURE during the call to your IPN URL [unsuccessful attempt #last]"
        );
        assert!(mail.text.contains("Code HTTP reçu : 500"), "{}", mail.text);
        assert!(mail.text.contains("HTTP code received: 500"));
        assert!(mail.text.contains("check its logs"));
        assert!(mail.text.contains("https://shop.example/ipn"));
        assert!(mail.text.contains("caisse notification resend "));
        // The body posted to the shop is not in the e-mail.
        assert!(!mail.text.contains("vads_trans_id"));
    }

    #[test]
    fn production_and_errors() {
        let mut notification = failed(AttemptOutcome::Error(CONNECTION_REFUSED.into()), "http://127.0.0.1:9/ipn");
        notification.mode = Mode::Production;
        let mail = compose(&notification, "");
        assert!(mail.subject.starts_with("69876357 - Tr. ref. 067925 / FAILURE"), "{}", mail.subject);
        assert!(mail.text.contains("none (no HTTP answer)"));
        assert!(mail.text.contains("connection was refused"));
        let mail = compose(&failed(AttemptOutcome::NoUrl, ""), "Demo shop");
        assert!(mail.text.contains("caisse shop notification-rules 69876357 --test-url <URL>"), "{}", mail.text);
    }

    #[test]
    fn wraps_long_lines_at_spaces() {
        assert_eq!(wrap("aaa bbb ccc\n    dd ee", 7), "aaa bbb\nccc\n    dd\nee");
        assert_eq!(wrap("short\n\nlines", 72), "short\n\nlines");
        assert_eq!(wrap("averyveryverylongword x", 5), "averyveryverylongword\nx");
        let mail = compose(&failed(AttemptOutcome::Http(500), "https://shop.example/ipn"), "Demo shop");
        assert!(wrap(&mail.text, WRAP_AT).lines().all(|line| line.len() <= WRAP_AT));
    }

    #[tokio::test]
    async fn without_smtp_an_eml_file() {
        let directory = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(None, directory.path().to_owned(), "caisse@localhost").unwrap();
        let notification = failed(AttemptOutcome::Http(404), "https://shop.example/ipn");
        let mail = compose(&notification, "Demo shop");
        let sent = mailer.send(&notification, &["ops@shop.example".into(), "not an address".into()], &mail).await;
        let Ok(Sent::File(path)) = sent else { panic!("{sent:?}") };
        assert!(path.starts_with(directory.path().join("mail")));
        assert_eq!(path.extension().unwrap(), "eml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("To: ops@shop.example"), "{text}");
        assert!(text.contains("From: caisse@localhost"));
        assert!(text.contains("Subject: "));
        assert!(text.contains("Content-Transfer-Encoding: 8bit"), "{text}");
        assert!(text.contains("Code HTTP reçu : 404\r\n"), "{text}");
        assert!(Mailer::new(Some("ftp://nope"), directory.path().to_owned(), "caisse@localhost").is_err());
        assert!(Mailer::new(None, directory.path().to_owned(), "not an address").is_err());
    }
}
