//! The result of a hosted payment, as the browser return and the IPN carry it (PROTOCOLS.md
//! §3 "Results and notifications", §4; research lyra-form-api §5–§7): what the page decided
//! ([`FormOutcome`]) turned into the platform's `vads_` fields, then signed like the form.
//! Mapping choices are in docs/form-api-choices.md, "Results".

use super::dictionary::CPAY_CARD;
use super::request::PaymentRequest;
use super::signature::{SignatureAlgorithm, sign, signing_string};
use super::types::PageAction;
use crate::objects::status::DetailedStatus;
use crate::objects::{masked_pan, mid};
use caisse_core::card::CardBrand;
use caisse_core::three_ds::{Enrolment, Outcome};
use caisse_core::transaction::{CaptureMode, Transaction, TransactionKind, TransactionStatus};
use chrono::{DateTime, Utc};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// What the page decided, independent of HTTP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormOutcome {
    pub decision: Decision,
    /// What 3-D Secure said, when the card went through it.
    pub three_ds: ThreeDsResult,
    /// `vads_payment_error` (research §6.4), when the page knows why it failed.
    pub payment_error: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A transaction was created: accepted or refused.
    Transaction(Box<Transaction>),
    /// No transaction: the buyer left.
    Abandoned(Abandonment),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abandonment {
    /// "Annuler et retourner à la boutique".
    BuyerCancelled,
    /// The payment session ran out (`vads_payment_error` 149).
    SessionExpired,
}

impl FormOutcome {
    pub fn transaction(transaction: Transaction, three_ds: ThreeDsResult) -> FormOutcome {
        FormOutcome { decision: Decision::Transaction(Box::new(transaction)), three_ds, payment_error: None }
    }

    pub fn abandoned(abandonment: Abandonment) -> FormOutcome {
        let payment_error = (abandonment == Abandonment::SessionExpired).then_some(PAYMENT_ERROR_SESSION_EXPIRED);
        FormOutcome { decision: Decision::Abandoned(abandonment), three_ds: ThreeDsResult::default(), payment_error }
    }

    fn created(&self) -> Option<&Transaction> {
        match &self.decision {
            Decision::Transaction(transaction) => Some(transaction),
            Decision::Abandoned(_) => None,
        }
    }
}

/// `vads_payment_error` of an expired payment session.
pub const PAYMENT_ERROR_SESSION_EXPIRED: u16 = 149;

/// The `vads_threeds_*` values; `None` is sent empty (no 3-D Secure).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreeDsResult {
    /// `Y`, `N`, `U`.
    pub enrolled: Option<String>,
    /// `Y` authenticated, `N` failed, `U` impossible, `A` attempt.
    pub status: Option<String>,
    /// `FRICTIONLESS`, `CHALLENGE`.
    pub auth_type: Option<String>,
    pub eci: Option<String>,
    pub cavv: Option<String>,
    pub xid: Option<String>,
    pub cavv_algorithm: Option<String>,
    pub sign_valid: Option<String>,
    /// `10` authenticated, `7` not enrolled…
    pub exit_status: Option<String>,
}

impl ThreeDsResult {
    /// The fields of caisse's simulated authentication: the card's enrolment and the ACS's
    /// outcome (none yet: the holder left before it decided).
    pub fn of(enrolment: Enrolment, outcome: Option<Outcome>) -> ThreeDsResult {
        let some = |text: &str| Some(text.to_owned());
        let auth_type = match enrolment {
            Enrolment::Frictionless | Enrolment::Failed => some("FRICTIONLESS"),
            Enrolment::Challenge => some("CHALLENGE"),
            Enrolment::NotEnrolled => None,
        };
        let (status, eci, exit_status, sign_valid) = match outcome {
            Some(Outcome::Authenticated) => (some("Y"), some("05"), some("10"), some("1")),
            Some(Outcome::Failed) => (some("N"), some("07"), some("6"), some("1")),
            Some(Outcome::Cancelled) | None => (some("U"), some("07"), some("6"), None),
            Some(Outcome::NotEnrolled) => (None, None, some("7"), None),
        };
        let authenticated = outcome == Some(Outcome::Authenticated);
        ThreeDsResult {
            enrolled: some(if enrolment.is_enrolled() { "Y" } else { "N" }),
            status,
            auth_type: if enrolment.is_enrolled() { auth_type } else { None },
            eci,
            // Fixed simulated values: caisse's ACS does not compute a CAVV.
            cavv: authenticated.then(|| "Q2F2dkNhdnZDYXZ2Q2F2dkNhdnY=".to_owned()),
            xid: None,
            cavv_algorithm: authenticated.then(|| "2".to_owned()),
            sign_valid,
            exit_status,
        }
    }
}

/// `vads_url_check_src`: what made the platform call the notification URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlCheckSrc {
    /// End of payment (and buyer cancellation).
    Pay,
    /// Sent by hand from the back office.
    Bo,
    /// A batch changed the status.
    Batch,
    /// A batch authorised a WAITING_AUTHORISATION payment.
    BatchAuto,
    /// A recurring payment.
    Rec,
    /// An operation made in the back office.
    MerchBo,
    /// An automatic replay.
    Retry,
}

impl UrlCheckSrc {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlCheckSrc::Pay => "PAY",
            UrlCheckSrc::Bo => "BO",
            UrlCheckSrc::Batch => "BATCH",
            UrlCheckSrc::BatchAuto => "BATCH_AUTO",
            UrlCheckSrc::Rec => "REC",
            UrlCheckSrc::MerchBo => "MERCH_BO",
            UrlCheckSrc::Retry => "RETRY",
        }
    }

    pub fn parse(text: &str) -> Option<UrlCheckSrc> {
        [
            UrlCheckSrc::Pay,
            UrlCheckSrc::Bo,
            UrlCheckSrc::Batch,
            UrlCheckSrc::BatchAuto,
            UrlCheckSrc::Rec,
            UrlCheckSrc::MerchBo,
            UrlCheckSrc::Retry,
        ]
        .into_iter()
        .find(|src| src.as_str() == text)
    }
}

/// Where the fields go: the IPN alone carries `vads_url_check_src` and `vads_hash`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultPurpose {
    Return,
    Ipn(UrlCheckSrc),
}

/// `vads_trans_status` of a created transaction: the REST mapping, plus the Form API's
/// WAITING_AUTHORISATION_TO_VALIDATE and NOT_CREATED.
pub fn trans_status(transaction: &Transaction) -> &'static str {
    match (transaction.status, transaction.capture_mode) {
        (TransactionStatus::ToAuthorize | TransactionStatus::ToReplay, CaptureMode::Validation) => {
            "WAITING_AUTHORISATION_TO_VALIDATE"
        }
        (TransactionStatus::Undefined, _) => "NOT_CREATED",
        _ => DetailedStatus::of(transaction).as_str(),
    }
}

/// Whether the acquirer accepted the payment (whatever happened to it since).
fn accepted(transaction: &Transaction) -> bool {
    !matches!(
        transaction.status,
        TransactionStatus::Refused
            | TransactionStatus::RefusedOnChallenge
            | TransactionStatus::CreditRefused
            | TransactionStatus::Aborted
            | TransactionStatus::Undefined
    )
}

/// `vads_result`: 00 accepted, 05 refused, 17 the buyer left (before or during 3-D Secure).
fn result_code(outcome: &FormOutcome) -> &'static str {
    match outcome.created() {
        Some(transaction) if accepted(transaction) => "00",
        // Left during 3-D Secure (the ACS's cancel, or the session's end).
        Some(transaction) if transaction.status == TransactionStatus::Aborted => "17",
        Some(_) => "05",
        None => "17",
    }
}

/// `YYYYMMDDHHMMSS`, UTC: the Form API's dates.
fn date14(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H%M%S").to_string()
}

/// `vads_warranty_result` from the acquirer's guarantee indicator.
fn warranty(transaction: &Transaction) -> &'static str {
    match transaction.authorisation.guarantee_indicator.as_deref() {
        Some("Y") => "YES",
        Some("N") => "NO",
        Some("U") => "UNKNOWN",
        _ if accepted(transaction) && transaction.card.is_some() => "YES",
        _ => "",
    }
}

/// `vads_identifier`: the token a `REGISTER_PAY` created (or was to create).
const IDENTIFIER: &str = "vads_identifier";

/// `vads_identifier` and `vads_identifier_status` of a form that registers the card (alone,
/// or while paying): `CREATED` with the token of an accepted payment, `NOT_CREATED` for a refused one,
/// `ABANDONED` when the buyer left. `ASK_REGISTER_PAY` reports only a token the buyer asked
/// for and got.
fn identifier(request: &PaymentRequest, outcome: &FormOutcome) -> Option<(String, &'static str)> {
    let asked = request.identifier.clone().unwrap_or_default();
    let token = outcome.created().and_then(|tx| tx.token_id.clone());
    match (request.page_action, token, &outcome.decision) {
        (PageAction::Register | PageAction::RegisterPay | PageAction::AskRegisterPay, Some(token), _) => {
            Some((token, "CREATED"))
        }
        (PageAction::Register | PageAction::RegisterPay, None, Decision::Transaction(_)) => {
            Some((asked, "NOT_CREATED"))
        }
        (PageAction::Register | PageAction::RegisterPay, None, Decision::Abandoned(_)) => Some((asked, "ABANDONED")),
        _ => None,
    }
}

/// `vads_payment_option_code`: the Cpay option the buyer chose.
const OPTION_CODE: &str = "vads_payment_option_code";

/// `vads_acquirer_network`: the network the payment went through (the platform's network
/// codes, as in `vads_contracts`). Cpay goes through Cetelem's Aurore network.
fn acquirer_network(transaction: &Transaction, brand: CardBrand) -> &'static str {
    if transaction.cpay_option.is_some() {
        return "AURORE";
    }
    match brand {
        CardBrand::Cb
        | CardBrand::Visa
        | CardBrand::Mastercard
        | CardBrand::Maestro
        | CardBrand::Vpay
        | CardBrand::VisaElectron => "CB",
        CardBrand::Amex => "AMEXGLOBAL",
        CardBrand::Jcb => "JCB",
        CardBrand::Diners => "GICC_DINERS",
        CardBrand::Aurore => "AURORE",
        // No network code for them in the platform's public list.
        CardBrand::Cup | CardBrand::Bcmc => "",
    }
}

/// `vads_payment_certificate`: 40 lowercase hex, derived from the transaction and its
/// authorisation so that it is stable across the return, the IPN and its replays.
fn payment_certificate(transaction: &Transaction) -> String {
    let mut hasher = Sha1::new();
    hasher.update(transaction.id.as_str().as_bytes());
    hasher.update(b"+");
    hasher.update(transaction.authorisation.authorisation_id.as_deref().unwrap_or_default().as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn operation_type(kind: TransactionKind) -> &'static str {
    match kind {
        TransactionKind::Debit => "DEBIT",
        TransactionKind::Credit => "CREDIT",
        TransactionKind::Verification => "VERIFICATION",
    }
}

/// The result fields, in this order: what happened, the transaction, the card, 3-D Secure,
/// the echoed form fields as posted, the value used for an unsent capture delay and
/// validation mode, then (IPN) `vads_url_check_src` and `vads_hash`. Unsigned: see
/// [`sign_result`].
pub fn result_fields(request: &PaymentRequest, outcome: &FormOutcome, purpose: ResultPurpose) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::with_capacity(64);
    let mut push = |name: &str, value: String| fields.push((name.to_owned(), value));
    let transaction = outcome.created();

    push("vads_result", result_code(outcome).to_owned());
    // No risk controls in caisse: empty, as the platform sends when none ran.
    push("vads_extra_result", String::new());
    push("vads_trans_status", transaction.map_or("ABANDONED", trans_status).to_owned());
    push("vads_auth_result", transaction.map(|tx| tx.authorisation.acquirer_response_code.clone()).unwrap_or_default());
    if let Some(error) = outcome.payment_error {
        push("vads_payment_error", error.to_string());
    }
    if let Some(tx) = transaction {
        let accepted = accepted(tx);
        let waiting = matches!(tx.status, TransactionStatus::ToAuthorize | TransactionStatus::ToReplay);
        push("vads_auth_mode", if waiting { "MARK" } else { "FULL" }.to_owned());
        push(
            "vads_auth_number",
            if accepted { tx.authorisation.authorisation_id.clone().unwrap_or_default() } else { String::new() },
        );
        push("vads_warranty_result", warranty(tx).to_owned());
        if accepted && tx.authorisation.acquirer_response_code == "00" {
            push("vads_payment_certificate", payment_certificate(tx));
        }
        push("vads_trans_uuid", tx.id.as_str().to_owned());
        push("vads_operation_type", operation_type(tx.kind).to_owned());
        push("vads_sequence_number", "1".to_owned());
        push("vads_effective_creation_date", date14(tx.created_at));
        push("vads_presentation_date", date14(tx.capture_date.and_time(tx.created_at.time()).and_utc()));
        push("vads_effective_amount", tx.origin_amount.minor_units().to_string());
        push("vads_effective_currency", tx.currency.numeric_code());
        push("vads_contract_used", mid(tx.shop_id.as_str()));
        if let Some(card) = &tx.card {
            let brand = if tx.cpay_option.is_some() { CPAY_CARD } else { card.brand.sips_name() };
            push("vads_card_brand", brand.to_owned());
            push("vads_acquirer_network", acquirer_network(tx, card.brand).to_owned());
            push("vads_card_number", masked_pan(card));
            push("vads_expiry_month", card.expiry.month.to_string());
            push("vads_expiry_year", card.expiry.year.to_string());
        }
        if let Some(option) = tx.cpay_option {
            push(OPTION_CODE, option.code().to_owned());
        }
    }
    if let Some((identifier, status)) = identifier(request, outcome) {
        push(IDENTIFIER, identifier);
        push("vads_identifier_status", status.to_owned());
    }
    let three_ds = &outcome.three_ds;
    for (name, value) in [
        ("vads_threeds_enrolled", &three_ds.enrolled),
        ("vads_threeds_status", &three_ds.status),
        ("vads_threeds_auth_type", &three_ds.auth_type),
        ("vads_threeds_eci", &three_ds.eci),
        ("vads_threeds_cavv", &three_ds.cavv),
        ("vads_threeds_xid", &three_ds.xid),
        ("vads_threeds_cavvAlgorithm", &three_ds.cavv_algorithm),
        ("vads_threeds_sign_valid", &three_ds.sign_valid),
        ("vads_threeds_exit_status", &three_ds.exit_status),
        ("vads_threeds_error_code", &three_ds.exit_status.as_ref().filter(|_| three_ds.status.is_none()).cloned()),
    ] {
        push(name, value.clone().unwrap_or_default());
    }

    let echoed = |name: &str| request.echo.iter().any(|(sent, _)| sent == name);
    let used = transaction.map(|tx| {
        let validation = if tx.capture_mode == CaptureMode::Validation { "1" } else { "0" };
        (tx.capture_day.to_string(), validation)
    });
    // The option the buyer chose replaces one the form may have posted.
    let chosen_option = transaction.is_some_and(|tx| tx.cpay_option.is_some());
    let identified = fields.iter().any(|(name, _)| name == IDENTIFIER);
    fields.extend(
        request
            .echo
            .iter()
            .filter(|(name, _)| !((chosen_option && name == OPTION_CODE) || (identified && name == IDENTIFIER)))
            .cloned(),
    );
    if let Some((delay, validation)) = used {
        if !echoed("vads_capture_delay") {
            fields.push(("vads_capture_delay".to_owned(), delay));
        }
        if !echoed("vads_validation_mode") {
            fields.push(("vads_validation_mode".to_owned(), validation.to_owned()));
        }
    }

    if let ResultPurpose::Ipn(src) = purpose {
        fields.push(("vads_url_check_src".to_owned(), src.as_str().to_owned()));
        let hash = vads_hash(&fields);
        fields.push(("vads_hash".to_owned(), hash));
    }
    fields
}

/// `vads_hash` (IPN only): 64 lowercase hex naming the notification. A digest of its fields,
/// so the same notification sent again (BO resend) keeps its hash and a replay (RETRY) or
/// another event gets another.
fn vads_hash(fields: &[(String, String)]) -> String {
    let string = signing_string(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())), "");
    hex(&Sha256::digest(string.as_bytes()))
}

/// The fields with `signature` appended: the form's rule (every `vads_` field, empty ones
/// included) with the shop's key for the mode and its algorithm.
pub fn sign_result(
    mut fields: Vec<(String, String)>,
    algorithm: SignatureAlgorithm,
    key: &str,
) -> Vec<(String, String)> {
    let signature = sign(algorithm, key, fields.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    fields.push((super::post::SIGNATURE.to_owned(), signature));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::signature::verify;
    use crate::form::test_support::{KEY, request};
    use crate::objects::transaction::tests::sample;
    use caisse_core::cpay::CpayOption;
    use std::collections::HashSet;

    fn value<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn accepted_outcome() -> FormOutcome {
        let transaction = sample(TransactionKind::Debit, TransactionStatus::ToCapture);
        FormOutcome::transaction(transaction, ThreeDsResult::of(Enrolment::Frictionless, Some(Outcome::Authenticated)))
    }

    fn assert_unique(fields: &[(String, String)]) {
        let names: HashSet<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), fields.len(), "duplicate names in {fields:?}");
    }

    #[test]
    fn accepted_payment() {
        let request = request(&[("vads_order_id", "ORD1")]);
        let fields = result_fields(&request, &accepted_outcome(), ResultPurpose::Return);
        assert_unique(&fields);
        for (name, expected) in [
            ("vads_result", "00"),
            ("vads_extra_result", ""),
            ("vads_trans_status", "AUTHORISED"),
            ("vads_auth_result", "00"),
            ("vads_auth_mode", "FULL"),
            ("vads_auth_number", "3fe584"),
            ("vads_trans_uuid", "5b158f084502428499b2d34ad074df05"),
            ("vads_operation_type", "DEBIT"),
            ("vads_effective_creation_date", "20261128100000"),
            ("vads_effective_amount", "990"),
            ("vads_effective_currency", "978"),
            ("vads_card_brand", "CB"),
            ("vads_card_number", "497010XXXXXX0000"),
            ("vads_expiry_month", "11"),
            ("vads_expiry_year", "2030"),
            ("vads_threeds_status", "Y"),
            ("vads_threeds_eci", "05"),
            ("vads_capture_delay", "0"),
            ("vads_validation_mode", "0"),
            ("vads_ctx_mode", "TEST"),
            ("vads_site_id", "12345678"),
            ("vads_trans_id", "xrT15p"),
            ("vads_order_id", "ORD1"),
        ] {
            assert_eq!(value(&fields, name), Some(expected), "{name}");
        }
        let certificate = value(&fields, "vads_payment_certificate").unwrap();
        assert_eq!(certificate.len(), 40);
        assert!(certificate.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(value(&fields, "vads_url_check_src"), None);
        assert_eq!(value(&fields, "vads_hash"), None);
        assert!(fields.iter().all(|(_, v)| !v.contains("4970100000000000")));
    }

    #[test]
    fn refused_payment() {
        let mut transaction = sample(TransactionKind::Debit, TransactionStatus::Refused);
        transaction.authorisation.acquirer_response_code = "05".into();
        transaction.authorisation.authorisation_id = None;
        let outcome = FormOutcome::transaction(transaction, ThreeDsResult::default());
        let fields = result_fields(&request(&[]), &outcome, ResultPurpose::Return);
        assert_unique(&fields);
        assert_eq!(value(&fields, "vads_result"), Some("05"));
        assert_eq!(value(&fields, "vads_auth_result"), Some("05"));
        assert_eq!(value(&fields, "vads_trans_status"), Some("REFUSED"));
        assert_eq!(value(&fields, "vads_auth_number"), Some(""));
        assert_eq!(value(&fields, "vads_payment_certificate"), None);
        assert_eq!(value(&fields, "vads_trans_uuid"), Some("5b158f084502428499b2d34ad074df05"));
        assert_eq!(value(&fields, "vads_threeds_enrolled"), Some(""));
    }

    #[test]
    fn abandoned_payment() {
        let outcome = FormOutcome::abandoned(Abandonment::BuyerCancelled);
        let fields = result_fields(&request(&[]), &outcome, ResultPurpose::Ipn(UrlCheckSrc::Pay));
        assert_unique(&fields);
        assert_eq!(value(&fields, "vads_result"), Some("17"));
        assert_eq!(value(&fields, "vads_trans_status"), Some("ABANDONED"));
        assert_eq!(value(&fields, "vads_auth_result"), Some(""));
        for absent in
            ["vads_trans_uuid", "vads_operation_type", "vads_sequence_number", "vads_card_number", "vads_payment_error"]
        {
            assert_eq!(value(&fields, absent), None, "{absent}");
        }
        assert_eq!(value(&fields, "vads_trans_id"), Some("xrT15p"));
        let expired = FormOutcome::abandoned(Abandonment::SessionExpired);
        let fields = result_fields(&request(&[]), &expired, ResultPurpose::Return);
        assert_eq!(value(&fields, "vads_payment_error"), Some("149"));
        assert_eq!(value(&fields, "vads_result"), Some("17"));
    }

    #[test]
    fn echoes_are_unchanged() {
        let sent = [
            ("vads_cust_first_name", "Sergheï"),
            ("vads_cust_last_name", "MIHAÏ"),
            ("vads_cust_email", "A.B@Example.COM"),
            ("vads_ship_to_city", "Saint-Étienne"),
            ("vads_cust_state", ""),
            ("vads_order_info", "  spaced  "),
            ("vads_capture_delay", "003"),
            ("vads_validation_mode", "1"),
        ];
        let request = request(&sent);
        let fields = result_fields(&request, &accepted_outcome(), ResultPurpose::Return);
        assert_unique(&fields);
        for (name, expected) in sent {
            assert_eq!(value(&fields, name), Some(expected), "{name}");
        }
        for (name, expected) in &request.echo {
            assert_eq!(value(&fields, name), Some(expected.as_str()), "{name}");
        }
        assert_eq!(value(&fields, "vads_trans_date"), Some("20261128095900"));
    }

    #[test]
    fn signature_verifies() {
        let fields = result_fields(&request(&[]), &accepted_outcome(), ResultPurpose::Return);
        for algorithm in [SignatureAlgorithm::HmacSha256, SignatureAlgorithm::Sha1] {
            let signed = sign_result(fields.clone(), algorithm, KEY);
            let (last, signature) = signed.last().unwrap();
            assert_eq!(last, "signature");
            let pairs = signed.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            assert!(verify(algorithm, KEY, pairs.clone(), signature));
            assert!(!verify(algorithm, "other", pairs, signature));
            let mut changed = signed.clone();
            changed[0].1 = "05".into();
            assert!(!verify(algorithm, KEY, changed.iter().map(|(n, v)| (n.as_str(), v.as_str())), signature));
        }
    }

    #[test]
    fn ipn_carries_url_check_src_and_hash() {
        let request = request(&[]);
        let outcome = accepted_outcome();
        let pay = result_fields(&request, &outcome, ResultPurpose::Ipn(UrlCheckSrc::Pay));
        let retry = result_fields(&request, &outcome, ResultPurpose::Ipn(UrlCheckSrc::Retry));
        assert_unique(&pay);
        assert_eq!(value(&pay, "vads_url_check_src"), Some("PAY"));
        assert_eq!(value(&retry, "vads_url_check_src"), Some("RETRY"));
        let hash = value(&pay, "vads_hash").unwrap();
        assert_eq!(hash.len(), 64);
        assert_ne!(Some(hash), value(&retry, "vads_hash"));
        let signed = sign_result(pay.clone(), SignatureAlgorithm::HmacSha256, KEY);
        let signature = value(&signed, "signature").unwrap();
        assert!(verify(
            SignatureAlgorithm::HmacSha256,
            KEY,
            signed.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            signature
        ));
        // The return is the IPN without its two IPN-only fields.
        let back = result_fields(&request, &outcome, ResultPurpose::Return);
        assert_eq!(back[..], pay[..pay.len() - 2]);
        for src in ["PAY", "BO", "BATCH", "BATCH_AUTO", "REC", "MERCH_BO", "RETRY"] {
            assert_eq!(UrlCheckSrc::parse(src).map(UrlCheckSrc::as_str), Some(src));
        }
    }

    #[test]
    fn cpay_payment_names_aurore_and_the_option() {
        let request = request(&[("vads_payment_cards", "AURORE-MULTI"), ("vads_payment_option_code", "CPT")]);
        let mut transaction = sample(TransactionKind::Debit, TransactionStatus::Captured);
        transaction.capture_mode = CaptureMode::Immediate;
        transaction.cpay_option = Some(CpayOption::Instalments10);
        let three_ds = ThreeDsResult::of(Enrolment::Challenge, Some(Outcome::Authenticated));
        let outcome = FormOutcome::transaction(transaction, three_ds);
        for purpose in [ResultPurpose::Return, ResultPurpose::Ipn(UrlCheckSrc::Pay)] {
            let fields = result_fields(&request, &outcome, purpose);
            assert_unique(&fields);
            for (name, expected) in [
                ("vads_result", "00"),
                ("vads_trans_status", "CAPTURED"),
                ("vads_auth_result", "00"),
                ("vads_card_brand", "AURORE-MULTI"),
                ("vads_acquirer_network", "AURORE"),
                ("vads_payment_option_code", "10X"),
                ("vads_warranty_result", "YES"),
                ("vads_threeds_enrolled", "Y"),
                ("vads_threeds_status", "Y"),
                ("vads_threeds_auth_type", "CHALLENGE"),
                ("vads_capture_delay", "0"),
                ("vads_validation_mode", "0"),
            ] {
                assert_eq!(value(&fields, name), Some(expected), "{name}");
            }
            assert!(value(&fields, "vads_threeds_cavv").is_some_and(|cavv| !cavv.is_empty()));
        }
    }

    #[test]
    fn card_payments_name_their_network_and_no_option() {
        let request = request(&[("vads_payment_option_code", "CPT")]);
        let fields = result_fields(&request, &accepted_outcome(), ResultPurpose::Return);
        assert_eq!(value(&fields, "vads_card_brand"), Some("CB"));
        assert_eq!(value(&fields, "vads_acquirer_network"), Some("CB"));
        // Without Cpay the posted option is only echoed.
        assert_eq!(value(&fields, "vads_payment_option_code"), Some("CPT"));
        let card_payment = sample(TransactionKind::Debit, TransactionStatus::ToCapture);
        assert_eq!(acquirer_network(&card_payment, CardBrand::Amex), "AMEXGLOBAL");
        assert_eq!(acquirer_network(&card_payment, CardBrand::Visa), "CB");
        let abandoned =
            result_fields(&request, &FormOutcome::abandoned(Abandonment::BuyerCancelled), ResultPurpose::Return);
        assert_eq!(value(&abandoned, "vads_acquirer_network"), None);
    }

    #[test]
    fn trans_status_mapping() {
        let status = |status, mode| {
            let mut tx = sample(TransactionKind::Debit, status);
            tx.capture_mode = mode;
            trans_status(&tx)
        };
        assert_eq!(status(TransactionStatus::ToValidate, CaptureMode::Validation), "AUTHORISED_TO_VALIDATE");
        assert_eq!(status(TransactionStatus::Captured, CaptureMode::Immediate), "CAPTURED");
        assert_eq!(status(TransactionStatus::ToAuthorize, CaptureMode::AuthorCapture), "WAITING_AUTHORISATION");
        assert_eq!(
            status(TransactionStatus::ToAuthorize, CaptureMode::Validation),
            "WAITING_AUTHORISATION_TO_VALIDATE"
        );
        assert_eq!(status(TransactionStatus::Cancelled, CaptureMode::AuthorCapture), "CANCELLED");
        assert_eq!(status(TransactionStatus::Expired, CaptureMode::Validation), "EXPIRED");
        assert_eq!(status(TransactionStatus::Undefined, CaptureMode::AuthorCapture), "NOT_CREATED");
        let verification = sample(TransactionKind::Verification, TransactionStatus::Captured);
        assert_eq!(trans_status(&verification), "ACCEPTED");
    }
}
