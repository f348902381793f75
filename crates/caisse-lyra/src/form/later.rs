//! The IPN of an operation made after a hosted-page payment (docs/form-api-choices.md, "Later
//! operations"): a cancel, validation, refund or update by web service (`MERCH_BO`), or the
//! capture batch (`BATCH`). The store calls [`FormLaterNotices`] in the change's own database
//! transaction with the paid session's record of the form; the body is the result fields of
//! the transaction after the change, signed as the end-of-payment IPN is.

use super::check::algorithm_of;
use super::record::SessionRecord;
use super::request::PaymentRequest;
use super::result::{FormOutcome, ResultPurpose, ThreeDsResult, UrlCheckSrc, result_fields, sign_result};
use caisse_core::notification::{Notification, NotificationRule};
use caisse_core::ports::{LaterNotices, LaterSource, NoticeContext};
use caisse_core::transaction::Transaction;
use chrono::{DateTime, Utc};

/// The Form API's notices of later operations, for `Payments::with_later_notices`.
#[derive(Clone, Copy, Debug, Default)]
pub struct FormLaterNotices;

impl LaterNotices for FormLaterNotices {
    fn notices(&self, transaction: &Transaction, context: &NoticeContext, source: LaterSource) -> Vec<Notification> {
        let NoticeContext { rules, settings, session } = context;
        let Some(request) = recorded_request(&session.request, session.created_at) else {
            // The page accepted this record: one that no longer parses is a bug, not the shop's.
            tracing::error!(session = %session.id, "later notice: the session's form does not parse again");
            return Vec::new();
        };
        let target = rules.target(NotificationRule::LaterOperation, session.mode, request.returns.url_check.as_deref());
        let (Some(url), Some(key)) = (target, settings.key(session.mode)) else {
            return Vec::new();
        };
        let outcome = FormOutcome::transaction(transaction.clone(), ThreeDsResult::default());
        let fields = result_fields(&request, &outcome, ResultPurpose::Ipn(url_check_src(source)));
        let body = sign_result(fields, algorithm_of(settings.algorithm), key);
        // Made at the change's instant: the notice is as old as the operation it reports.
        let made_at = transaction.last_operation_at;
        vec![
            Notification::new(
                session.shop_id.clone(),
                session.mode,
                NotificationRule::LaterOperation,
                url,
                body,
                made_at,
            )
            .with_transaction(transaction.id.clone(), request.trans_id.clone()),
        ]
    }
}

/// `vads_url_check_src` of a later change.
pub fn url_check_src(source: LaterSource) -> UrlCheckSrc {
    match source {
        LaterSource::Merchant => UrlCheckSrc::MerchBo,
        LaterSource::Batch => UrlCheckSrc::Batch,
    }
}

/// The Form API request of a session's record, parsed again with the session's creation
/// instant. `None` if it is not a Form API record: a REST `formToken`'s answers are `kr-*`.
pub fn recorded_request(record: &str, created_at: DateTime<Utc>) -> Option<PaymentRequest> {
    let record = SessionRecord::from_json(record)?;
    if record.rest.is_some() {
        return None;
    }
    record.request(created_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::signature::{SignatureAlgorithm, verify};
    use crate::form::test_support::{KEY, signed_pairs};
    use crate::objects::transaction::tests::sample;
    use caisse_core::form_settings::FormSettings;
    use caisse_core::notification::NotificationRules;
    use caisse_core::payment_session::{PaymentSession, SessionPayment};
    use caisse_core::transaction::{CaptureMode, OrderDetails, TransactionKind, TransactionStatus};
    use caisse_core::{Amount, Currency, Mode, ShopId};
    use chrono::TimeZone;

    const RULE_URL: &str = "https://shop.example/ipn";

    fn record(extra: &[(&str, &str)]) -> String {
        serde_json::json!({ "pairs": signed_pairs(extra) }).to_string()
    }

    fn context(record: String, later_operations: bool) -> NoticeContext {
        let shop = ShopId("12345678".into());
        let payment = SessionPayment {
            amount: Amount(990),
            currency: Currency::EUR,
            capture_mode: CaptureMode::AuthorCapture,
            capture_day: 0,
            order: OrderDetails::default(),
        };
        let created_at = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
        NoticeContext {
            rules: NotificationRules {
                later_operations,
                test_url: Some(RULE_URL.into()),
                ..NotificationRules::off(shop.clone())
            },
            settings: FormSettings { test_key: Some(KEY.into()), ..FormSettings::unset(shop.clone()) },
            session: PaymentSession::open(shop, Mode::Test, payment, record, created_at),
        }
    }

    fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
        fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("{name}"))
    }

    fn signed_with_key(body: &[(String, String)]) -> bool {
        let (fields, signature) = body.split_at(body.len() - 1);
        assert_eq!(signature[0].0, "signature");
        verify(
            SignatureAlgorithm::HmacSha256,
            KEY,
            fields.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            &signature[0].1,
        )
    }

    #[test]
    fn a_merchant_cancel_is_notified_merch_bo_to_the_rule_url() {
        let mut cancelled = sample(TransactionKind::Debit, TransactionStatus::Cancelled);
        cancelled.last_operation_at = Utc.with_ymd_and_hms(2026, 11, 28, 11, 0, 0).unwrap();
        let notices = FormLaterNotices.notices(&cancelled, &context(record(&[]), true), LaterSource::Merchant);
        assert_eq!(notices.len(), 1);
        let notice = &notices[0];
        assert_eq!(notice.rule, NotificationRule::LaterOperation);
        assert_eq!(notice.url, RULE_URL);
        assert_eq!(notice.created_at, cancelled.last_operation_at);
        assert_eq!(notice.transaction_id.as_ref(), Some(&cancelled.id));
        assert_eq!(notice.reference.as_deref(), Some("xrT15p"));
        assert_eq!(value(&notice.body, "vads_url_check_src"), "MERCH_BO");
        assert_eq!(value(&notice.body, "vads_trans_status"), "CANCELLED");
        assert_eq!(value(&notice.body, "vads_trans_id"), "xrT15p");
        assert!(signed_with_key(&notice.body));
    }

    #[test]
    fn the_batch_is_notified_batch_to_the_forms_url_check() {
        let captured = sample(TransactionKind::Debit, TransactionStatus::Captured);
        let record = record(&[("vads_url_check", "https://shop.example/form-ipn")]);
        let notices = FormLaterNotices.notices(&captured, &context(record, true), LaterSource::Batch);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].url, "https://shop.example/form-ipn");
        assert_eq!(value(&notices[0].body, "vads_url_check_src"), "BATCH");
        assert_eq!(value(&notices[0].body, "vads_trans_status"), "CAPTURED");
    }

    #[test]
    fn nothing_when_the_rule_is_off_the_key_missing_or_the_record_unreadable() {
        let captured = sample(TransactionKind::Debit, TransactionStatus::Captured);
        let off = context(record(&[]), false);
        assert!(FormLaterNotices.notices(&captured, &off, LaterSource::Batch).is_empty());
        let mut keyless = context(record(&[]), true);
        keyless.settings.test_key = None;
        assert!(FormLaterNotices.notices(&captured, &keyless, LaterSource::Batch).is_empty());
        let unreadable = context(r#"{"pairs":[["vads_amount","990"]]}"#.into(), true);
        assert!(FormLaterNotices.notices(&captured, &unreadable, LaterSource::Batch).is_empty());
    }
}
