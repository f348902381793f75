//! 3-D Secure by redirection: the authentication a transaction waits on, its pure transitions,
//! and the signed messages (PaReq, PaRes, redirectionData) that name it.
//!
//! The authentication moves once from undecided to decided (the ACS), and its PaRes is spent
//! once (cardValidateAuthentication or cardValidateAuthenticationAndOrder). The store runs
//! each move on the locked row, so a PaRes posted twice at once is spent only once.

use crate::money::Amount;
use crate::operation::{Operation, OperationName};
use crate::shop::ShopId;
use crate::transaction::{
    self, AuthorisationDetails, Refusal, Transaction, TransactionId, TransactionStatus, Transition,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};

/// The 3-D Secure protocol version caisse's ACS speaks (the Sips samples show "0.1").
pub const MESSAGE_VERSION: &str = "0.1";

/// What the directory server says about a card, hence what the ACS does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Enrolment {
    /// Enrolled; the ACS authenticates without asking the holder.
    Frictionless,
    /// Enrolled; the ACS page asks the holder (the tester picks the result).
    Challenge,
    /// Enrolled; authentication fails whatever the holder does.
    Failed,
    /// Not enrolled: no redirection, the payment goes on without authentication.
    NotEnrolled,
}

impl Enrolment {
    pub fn is_enrolled(self) -> bool {
        self != Enrolment::NotEnrolled
    }

    /// The ACS's result when it does not ask the holder.
    pub fn automatic_outcome(self) -> Option<Outcome> {
        match self {
            Enrolment::Frictionless => Some(Outcome::Authenticated),
            Enrolment::Failed => Some(Outcome::Failed),
            Enrolment::NotEnrolled => Some(Outcome::NotEnrolled),
            Enrolment::Challenge => None,
        }
    }
}

/// The result of the authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Authenticated,
    Failed,
    /// The holder left the ACS page.
    Cancelled,
    NotEnrolled,
}

impl Outcome {
    /// Sips `holderAuthentStatus` (current spelling).
    pub fn holder_authent_status(self) -> &'static str {
        match self {
            Outcome::Authenticated => "SUCCESS",
            Outcome::Failed => "FAILURE",
            Outcome::Cancelled => "CANCEL",
            Outcome::NotEnrolled => "NOT_ENROLLED",
        }
    }

    /// Whether the liability for fraud moves to the issuer: only after a real authentication.
    pub fn liability_shift(self) -> bool {
        self == Outcome::Authenticated
    }

    /// Sips `guaranteeIndicator`: Y with the liability shift, N without.
    pub fn guarantee_indicator(self) -> &'static str {
        if self.liability_shift() { "Y" } else { "N" }
    }

    /// Whether the payment may go to the acquirer after this outcome.
    pub fn allows_authorisation(self) -> bool {
        matches!(self, Outcome::Authenticated | Outcome::NotEnrolled)
    }
}

/// What spent the PaRes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaResUse {
    /// cardValidateAuthentication: the result was read; a cardOrder on the transaction follows.
    Validated,
    /// The transaction was authorised (or ended) with this result.
    Ordered,
}

/// The ACS choice on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolderChoice {
    Authenticate,
    Fail,
    Cancel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ThreeDsRefusal {
    #[error("the ACS has already decided")]
    AlreadyDecided,
    #[error("the ACS has not decided yet")]
    NotDecided,
    #[error("the PaRes was already used")]
    PaResUsed,
    #[error("the authentication was not validated")]
    NotValidated,
    #[error(transparent)]
    Transaction(#[from] Refusal),
}

/// A transaction's 3-D Secure authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreeDsAuthentication {
    /// 32 hex digits; the signed messages name it.
    pub id: String,
    pub shop_id: ShopId,
    pub transaction_id: TransactionId,
    pub enrolment: Enrolment,
    pub message_version: String,
    pub outcome: Option<Outcome>,
    pub decided_at: Option<DateTime<Utc>>,
    pub pares_use: Option<PaResUse>,
    pub pares_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl ThreeDsAuthentication {
    /// A new authentication; a card that is not enrolled is decided at once.
    pub fn new(transaction: &Transaction, enrolment: Enrolment, now: DateTime<Utc>) -> ThreeDsAuthentication {
        let outcome = (enrolment == Enrolment::NotEnrolled).then_some(Outcome::NotEnrolled);
        ThreeDsAuthentication {
            id: transaction::new_uuid(),
            shop_id: transaction.shop_id.clone(),
            transaction_id: transaction.id.clone(),
            enrolment,
            message_version: MESSAGE_VERSION.to_owned(),
            outcome,
            decided_at: outcome.map(|_| now),
            pares_use: None,
            pares_used_at: None,
            created_at: now,
        }
    }

    /// The ACS's decision: the holder's choice on a challenge, the card's own result
    /// otherwise. Once only.
    pub fn decide(&self, choice: HolderChoice, now: DateTime<Utc>) -> Result<ThreeDsAuthentication, ThreeDsRefusal> {
        if self.outcome.is_some() {
            return Err(ThreeDsRefusal::AlreadyDecided);
        }
        let outcome = self.enrolment.automatic_outcome().unwrap_or(match choice {
            HolderChoice::Authenticate => Outcome::Authenticated,
            HolderChoice::Fail => Outcome::Failed,
            HolderChoice::Cancel => Outcome::Cancelled,
        });
        Ok(ThreeDsAuthentication { outcome: Some(outcome), decided_at: Some(now), ..self.clone() })
    }

    /// Spends the PaRes (or, for a card that is not enrolled, the authentication). Once only.
    pub fn spend(&self, usage: PaResUse, now: DateTime<Utc>) -> Result<ThreeDsAuthentication, ThreeDsRefusal> {
        if self.outcome.is_none() {
            return Err(ThreeDsRefusal::NotDecided);
        }
        if self.pares_use.is_some() {
            return Err(ThreeDsRefusal::PaResUsed);
        }
        Ok(ThreeDsAuthentication { pares_use: Some(usage), pares_used_at: Some(now), ..self.clone() })
    }

    /// The cardOrder that follows cardValidateAuthentication. Once only.
    pub fn order_after_validation(&self, now: DateTime<Utc>) -> Result<ThreeDsAuthentication, ThreeDsRefusal> {
        match self.pares_use {
            Some(PaResUse::Validated) => Ok(ThreeDsAuthentication {
                pares_use: Some(PaResUse::Ordered),
                pares_used_at: Some(now),
                ..self.clone()
            }),
            Some(PaResUse::Ordered) => Err(ThreeDsRefusal::PaResUsed),
            None => Err(ThreeDsRefusal::NotValidated),
        }
    }
}

/// The transaction a card enters 3-D Secure with: TO_AUTHORIZE until its authentication ends.
pub const WAITING: TransactionStatus = TransactionStatus::ToAuthorize;

/// Authorises a transaction that waited for its authentication, with the acquirer's answer
/// and the authentication's result.
pub fn authorise_waiting(
    tx: &Transaction,
    mut details: AuthorisationDetails,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<Transition, Refusal> {
    tx.assert_invariants();
    if tx.status != WAITING {
        return Err(Refusal::WrongStatus(tx.status));
    }
    let accepted = details.acquirer_response_code == "00";
    details.holder_authent_status = Some(outcome.holder_authent_status().to_owned());
    details.guarantee_indicator = accepted.then(|| outcome.guarantee_indicator().to_owned());
    let mut next = tx.clone();
    next.status = if accepted {
        transaction::status_after_authorisation(tx.kind, tx.capture_mode)
    } else {
        TransactionStatus::Refused
    };
    next.capture_date = transaction::capture_date(now, tx.capture_day);
    if !accepted {
        // A refused payment registers no token.
        next.token_id = None;
    }
    let mut operation = finish(&mut next, tx.amount, now);
    operation.acquirer_response_code = Some(details.acquirer_response_code.clone());
    operation.authorisation_id = details.authorisation_id.clone();
    next.authorisation = details;
    next.assert_invariants();
    Ok(Transition { updated: next, operation, spawned: None })
}

/// Ends a transaction whose holder failed (REFUSED) or left (ABORTED) the authentication:
/// the acquirer is never asked.
pub fn end_unauthenticated(tx: &Transaction, outcome: Outcome, now: DateTime<Utc>) -> Result<Transition, Refusal> {
    tx.assert_invariants();
    if tx.status != WAITING {
        return Err(Refusal::WrongStatus(tx.status));
    }
    let mut next = tx.clone();
    next.status = if outcome == Outcome::Cancelled { TransactionStatus::Aborted } else { TransactionStatus::Refused };
    next.authorisation.holder_authent_status = Some(outcome.holder_authent_status().to_owned());
    next.authorisation.guarantee_indicator = None;
    next.token_id = None;
    let operation = finish(&mut next, tx.amount, now);
    next.assert_invariants();
    Ok(Transition { updated: next, operation, spawned: None })
}

fn finish(next: &mut Transaction, amount: Amount, now: DateTime<Utc>) -> Operation {
    next.last_operation = OperationName::Author;
    next.last_operation_at = now;
    Operation::new(next.id.clone(), OperationName::Author, amount, now)
}

// --- Signed messages -----------------------------------------------------------------------

/// The three messages caisse hands out; each is signed for its own purpose, so one cannot
/// stand for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    PaReq,
    PaRes,
    RedirectionData,
}

impl MessageKind {
    fn tag(self) -> &'static str {
        match self {
            MessageKind::PaReq => "caisse-pareq-1",
            MessageKind::PaRes => "caisse-pares-1",
            MessageKind::RedirectionData => "caisse-rdata-1",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Not base64, or not a message of this kind.
    #[error("malformed message")]
    Malformed,
    /// Shaped like caisse's, but its signature is not caisse's.
    #[error("forged message")]
    Forged,
}

/// `base64("<tag>:<authentication id>.<hex HMAC-SHA-256 of what precedes the dot>")`, keyed by
/// the platform's 3-D Secure key (never a merchant's key).
pub fn sign(kind: MessageKind, authentication_id: &str, key: &[u8]) -> String {
    let text = format!("{}:{authentication_id}", kind.tag());
    let signature = hex::encode(mac(key, &text).finalize().into_bytes());
    BASE64.encode(format!("{text}.{signature}"))
}

/// The authentication id a message names, once its signature is checked.
pub fn verify(kind: MessageKind, message: &str, key: &[u8]) -> Result<String, MessageError> {
    let bytes = BASE64.decode(message.trim()).map_err(|_| MessageError::Malformed)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| MessageError::Malformed)?;
    let (signed, signature) = text.rsplit_once('.').ok_or(MessageError::Malformed)?;
    let id = signed.strip_prefix(kind.tag()).and_then(|rest| rest.strip_prefix(':')).ok_or(MessageError::Malformed)?;
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(MessageError::Malformed);
    }
    let signature = hex::decode(signature).map_err(|_| MessageError::Forged)?;
    mac(key, signed).verify_slice(&signature).map_err(|_| MessageError::Forged)?;
    Ok(id.to_owned())
}

fn mac(key: &[u8], text: &str) -> Hmac<sha2::Sha256> {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(text.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";
    const ID: &str = "0192f0c3a1b27c4d8e9f00112233aabb";

    #[test]
    fn messages_round_trip_and_refuse_forgeries() {
        let pares = sign(MessageKind::PaRes, ID, KEY);
        assert_eq!(verify(MessageKind::PaRes, &pares, KEY), Ok(ID.to_owned()));
        // One kind cannot stand for another.
        assert_eq!(verify(MessageKind::PaReq, &pares, KEY), Err(MessageError::Malformed));
        // Another key (another platform, or a merchant's key) does not verify.
        assert_eq!(verify(MessageKind::PaRes, &pares, b"another key"), Err(MessageError::Forged));
        // The id swapped under an unchanged signature.
        let text = String::from_utf8(BASE64.decode(&pares).unwrap()).unwrap();
        let forged = BASE64.encode(text.replace(ID, "ffffffffffffffffffffffffffffffff"));
        assert_eq!(verify(MessageKind::PaRes, &forged, KEY), Err(MessageError::Forged));
        assert_eq!(verify(MessageKind::PaRes, "%%%", KEY), Err(MessageError::Malformed));
        assert_eq!(verify(MessageKind::PaRes, &BASE64.encode("hello"), KEY), Err(MessageError::Malformed));
    }

    fn authentication(enrolment: Enrolment) -> ThreeDsAuthentication {
        let now = Utc::now();
        ThreeDsAuthentication {
            id: ID.into(),
            shop_id: ShopId("s".into()),
            transaction_id: TransactionId::new(),
            enrolment,
            message_version: MESSAGE_VERSION.into(),
            outcome: (enrolment == Enrolment::NotEnrolled).then_some(Outcome::NotEnrolled),
            decided_at: None,
            pares_use: None,
            pares_used_at: None,
            created_at: now,
        }
    }

    #[test]
    fn the_acs_decides_once_and_the_pares_is_spent_once() {
        let now = Utc::now();
        let pending = authentication(Enrolment::Challenge);
        assert_eq!(pending.spend(PaResUse::Ordered, now), Err(ThreeDsRefusal::NotDecided));
        let decided = pending.decide(HolderChoice::Cancel, now).unwrap();
        assert_eq!(decided.outcome, Some(Outcome::Cancelled));
        assert_eq!(decided.decide(HolderChoice::Authenticate, now), Err(ThreeDsRefusal::AlreadyDecided));
        let spent = decided.spend(PaResUse::Ordered, now).unwrap();
        assert_eq!(spent.spend(PaResUse::Ordered, now), Err(ThreeDsRefusal::PaResUsed));
        assert_eq!(spent.order_after_validation(now), Err(ThreeDsRefusal::PaResUsed));
        assert_eq!(decided.order_after_validation(now), Err(ThreeDsRefusal::NotValidated));
        let validated = decided.spend(PaResUse::Validated, now).unwrap();
        let ordered = validated.order_after_validation(now).unwrap();
        assert_eq!(ordered.pares_use, Some(PaResUse::Ordered));
    }

    #[test]
    fn cards_that_are_not_challenged_decide_themselves() {
        let now = Utc::now();
        let frictionless = authentication(Enrolment::Frictionless).decide(HolderChoice::Fail, now).unwrap();
        assert_eq!(frictionless.outcome, Some(Outcome::Authenticated));
        let failed = authentication(Enrolment::Failed).decide(HolderChoice::Authenticate, now).unwrap();
        assert_eq!(failed.outcome, Some(Outcome::Failed));
        let not_enrolled = authentication(Enrolment::NotEnrolled);
        assert_eq!(not_enrolled.decide(HolderChoice::Authenticate, now), Err(ThreeDsRefusal::AlreadyDecided));
        assert!(not_enrolled.spend(PaResUse::Ordered, now).is_ok());
    }

    #[test]
    fn outcomes_in_sips_words() {
        assert_eq!(Outcome::Authenticated.holder_authent_status(), "SUCCESS");
        assert_eq!(Outcome::Authenticated.guarantee_indicator(), "Y");
        assert_eq!(Outcome::NotEnrolled.guarantee_indicator(), "N");
        assert!(!Outcome::Failed.allows_authorisation());
        assert!(!Outcome::Cancelled.allows_authorisation());
        assert!(Outcome::NotEnrolled.allows_authorisation());
    }
}
