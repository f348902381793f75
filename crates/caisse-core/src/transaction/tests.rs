use super::*;
use crate::card::{CardBrand, CardExpiry};
use crate::cpay::CpayOption;
use chrono::TimeZone;
use proptest::prelude::*;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 10, 0, 0).unwrap()
}

fn transaction(status: TransactionStatus, amount: u64) -> Transaction {
    Transaction {
        id: TransactionId::new(),
        shop_id: ShopId("011223344550000".into()),
        reference: "REF1".into(),
        s10_transaction_id: 1,
        kind: TransactionKind::Debit,
        status,
        currency: Currency::EUR,
        origin_amount: Amount(amount),
        amount: Amount(amount),
        refunded_amount: Amount::ZERO,
        capture_mode: CaptureMode::AuthorCapture,
        capture_day: 0,
        capture_date: at(1).date_naive(),
        created_at: at(1),
        last_operation: OperationName::Author,
        last_operation_at: at(1),
        card: Some(CardSummary {
            card_id: "c".into(),
            masked_pan: "4100##########00".into(),
            bin: "410000".into(),
            last_four: "0000".into(),
            expiry: CardExpiry { year: 2030, month: 1 },
            brand: CardBrand::Visa,
            co_brands: vec![],
        }),
        authorisation: AuthorisationDetails::default(),
        order: OrderDetails::default(),
        source_id: None,
        mode: crate::shop::Mode::Test,
        parent_id: None,
        token_id: None,
        subscription_id: None,
        mandate: None,
        cpay_option: None,
    }
}

#[test]
fn partial_then_total_cancel() {
    let tx = transaction(TransactionStatus::ToCapture, 1000);
    let partial = cancel(&tx, Amount(400), Currency::EUR, at(1)).unwrap();
    assert_eq!(partial.updated.amount, Amount(600));
    assert_eq!(partial.updated.status, TransactionStatus::ToCapture);
    assert_eq!(partial.operation.name, OperationName::Cancel);
    let total = cancel(&partial.updated, Amount(600), Currency::EUR, at(1)).unwrap();
    assert_eq!(total.updated.status, TransactionStatus::Cancelled);
    assert_eq!(total.updated.amount, Amount(0));
}

#[test]
fn cancel_over_remaining_or_after_capture_is_refused() {
    let tx = transaction(TransactionStatus::ToCapture, 1000);
    assert_eq!(
        cancel(&tx, Amount(1001), Currency::EUR, at(1)),
        Err(Refusal::ExceedsRemaining { remaining: Amount(1000) })
    );
    let captured = transaction(TransactionStatus::Captured, 1000);
    assert_eq!(
        cancel(&captured, Amount(1), Currency::EUR, at(1)),
        Err(Refusal::WrongStatus(TransactionStatus::Captured))
    );
    assert_eq!(cancel(&tx, Amount(0), Currency::EUR, at(1)), Err(Refusal::ZeroAmount));
    let usd = Currency::from_numeric_code("840").unwrap();
    assert_eq!(cancel(&tx, Amount(1), usd, at(1)), Err(Refusal::CurrencyMismatch));
}

#[test]
fn refund_only_after_capture_and_never_above() {
    let tx = transaction(TransactionStatus::ToCapture, 1000);
    assert_eq!(refund(&tx, Amount(1), Currency::EUR, at(1)), Err(Refusal::WrongStatus(TransactionStatus::ToCapture)));
    let captured = transaction(TransactionStatus::Captured, 1000);
    let first = refund(&captured, Amount(300), Currency::EUR, at(2)).unwrap();
    assert_eq!(first.updated.status, TransactionStatus::Captured);
    assert_eq!(first.updated.refundable(), Amount(700));
    assert_eq!(
        refund(&first.updated, Amount(701), Currency::EUR, at(2)),
        Err(Refusal::ExceedsRemaining { remaining: Amount(700) })
    );
    let (credit, credit_operation) = first.spawned.clone().expect("a refund creates a CREDIT transaction");
    assert_eq!(credit.kind, TransactionKind::Credit);
    assert_eq!(credit.status, TransactionStatus::ToCredit);
    assert_eq!(credit.amount, Amount(300));
    assert_eq!(credit.parent_id.as_ref(), Some(&captured.id));
    assert_eq!(credit.id.as_str(), first.operation.id);
    assert_eq!(credit_operation.transaction_id, credit.id);
    assert!(credit.reference.starts_with(CREDIT_REFERENCE_PREFIX));
    let last = refund(&first.updated, Amount(700), Currency::EUR, at(2)).unwrap();
    assert_eq!(last.updated.status, TransactionStatus::Credited);
    assert!(refund(&last.updated, Amount(1), Currency::EUR, at(2)).is_err());
}

fn cpay(option: CpayOption, amount: u64) -> Transaction {
    Transaction { cpay_option: Some(option), ..transaction(TransactionStatus::Captured, amount) }
}

#[test]
fn cpay_instalments_refund_in_total_or_in_part_on_the_day_of_payment_only() {
    let end_of_day = Utc.with_ymd_and_hms(2026, 11, 1, 23, 59, 59).unwrap();
    for option in [CpayOption::Instalments5, CpayOption::Instalments10, CpayOption::Instalments20] {
        let tx = cpay(option, 1000);
        let partial = refund(&tx, Amount(400), Currency::EUR, at(1)).unwrap();
        assert_eq!(partial.updated.refundable(), Amount(600));
        let total = refund(&partial.updated, Amount(600), Currency::EUR, end_of_day).unwrap();
        assert_eq!(total.updated.status, TransactionStatus::Credited);
        assert_eq!(refund(&tx, Amount(1000), Currency::EUR, at(2)), Err(Refusal::RefundWindowClosed));
        assert_eq!(refund(&partial.updated, Amount(1), Currency::EUR, at(2)), Err(Refusal::RefundWindowClosed));
    }
}

#[test]
fn cpay_comptant_and_credit_refund_any_day() {
    for option in [CpayOption::Comptant, CpayOption::Credit] {
        let tx = cpay(option, 1000);
        let partial = refund(&tx, Amount(250), Currency::EUR, at(3)).unwrap();
        let total = refund(&partial.updated, Amount(750), Currency::EUR, at(20)).unwrap();
        assert_eq!(total.updated.status, TransactionStatus::Credited);
    }
}

#[test]
fn refund_window_is_checked_after_status_and_amount() {
    let waiting = Transaction { status: TransactionStatus::ToCapture, ..cpay(CpayOption::Instalments5, 1000) };
    assert_eq!(
        refund(&waiting, Amount(1), Currency::EUR, at(2)),
        Err(Refusal::WrongStatus(TransactionStatus::ToCapture))
    );
    assert_eq!(
        refund(&cpay(CpayOption::Instalments5, 1000), Amount::ZERO, Currency::EUR, at(2)),
        Err(Refusal::ZeroAmount)
    );
}

#[test]
fn validate_releases_the_rest_and_batch_captures() {
    let mut tx = transaction(TransactionStatus::ToValidate, 1000);
    tx.capture_mode = CaptureMode::Validation;
    tx.capture_day = 5;
    tx.capture_date = at(6).date_naive();
    assert!(validate(&tx, Amount(1001), Currency::EUR, at(2)).is_err());
    let validated = validate(&tx, Amount(800), Currency::EUR, at(2)).unwrap();
    assert_eq!(validated.updated.status, TransactionStatus::ToCapture);
    assert_eq!(validated.updated.amount, Amount(800));
    let settled = settle(&validated.updated, at(2).date_naive(), at(2)).unwrap();
    assert_eq!(settled.updated.status, TransactionStatus::Captured);
    assert_eq!(settled.operation.name, OperationName::Capture);
}

#[test]
fn unvalidated_transaction_expires_after_its_day() {
    let mut tx = transaction(TransactionStatus::ToValidate, 1000);
    tx.capture_date = at(3).date_naive();
    assert!(settle(&tx, at(3).date_naive(), at(3)).is_none());
    let expired = settle(&tx, at(4).date_naive(), at(4)).unwrap();
    assert_eq!(expired.updated.status, TransactionStatus::Expired);
}

#[test]
fn author_capture_waits_for_its_day() {
    let mut tx = transaction(TransactionStatus::ToCapture, 1000);
    tx.capture_date = at(4).date_naive();
    assert!(settle(&tx, at(3).date_naive(), at(3)).is_none());
    assert_eq!(settle(&tx, at(4).date_naive(), at(4)).unwrap().updated.status, TransactionStatus::Captured);
}

#[test]
fn update_lowers_amount_and_moves_capture() {
    let tx = transaction(TransactionStatus::ToCapture, 1000);
    let day = at(5).date_naive();
    let updated = update(&tx, Some(Amount(700)), Some(day), false, at(2)).unwrap();
    assert_eq!(updated.updated.amount, Amount(700));
    assert_eq!(updated.updated.capture_date, day);
    assert_eq!(updated.operation.amount, Amount(300));
    assert!(update(&tx, Some(Amount(1001)), None, false, at(2)).is_err());
    assert!(update(&tx, Some(Amount(0)), None, false, at(2)).is_err());
    let mut waiting = transaction(TransactionStatus::ToValidate, 1000);
    waiting.capture_mode = CaptureMode::Validation;
    let automatic = update(&waiting, None, None, true, at(2)).unwrap();
    assert_eq!(automatic.updated.status, TransactionStatus::ToCapture);
    let captured = transaction(TransactionStatus::Captured, 1000);
    assert_eq!(
        update(&captured, Some(Amount(1)), None, false, at(2)),
        Err(Refusal::WrongStatus(TransactionStatus::Captured))
    );
}

#[derive(Clone, Debug)]
enum Step {
    Cancel(u64),
    Validate(u64),
    Refund(u64),
    Batch(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u64..1500).prop_map(Step::Cancel),
        (0u64..1500).prop_map(Step::Validate),
        (0u64..1500).prop_map(Step::Refund),
        (1u32..28).prop_map(Step::Batch),
    ]
}

proptest! {
    /// Whatever the merchant tries, in any order: amounts only go down, refunds never pass
    /// the captured amount, and refused operations change nothing.
    #[test]
    fn random_operations_keep_invariants(
        validation in any::<bool>(),
        amount in 1u64..1200,
        steps in proptest::collection::vec(step(), 0..30),
    ) {
        let mut tx = transaction(
            if validation { TransactionStatus::ToValidate } else { TransactionStatus::ToCapture },
            amount,
        );
        tx.capture_date = at(3).date_naive();
        let mut cancelled = 0u64;
        let mut refunded = 0u64;
        for step in steps {
            let before = tx.clone();
            let result = match step {
                Step::Cancel(a) => cancel(&tx, Amount(a), Currency::EUR, at(2)).inspect(|_| cancelled += a),
                Step::Validate(a) => validate(&tx, Amount(a), Currency::EUR, at(2)),
                Step::Refund(a) => refund(&tx, Amount(a), Currency::EUR, at(2)).inspect(|_| refunded += a),
                Step::Batch(day) => settle(&tx, at(day).date_naive(), at(day)).ok_or(Refusal::ZeroAmount),
            };
            match result {
                Ok(transition) => {
                    transition.updated.assert_invariants();
                    prop_assert!(transition.updated.amount <= before.amount);
                    prop_assert!(transition.updated.refunded_amount >= before.refunded_amount);
                    tx = transition.updated;
                }
                Err(_) => prop_assert_eq!(&tx, &before),
            }
            prop_assert!(tx.refunded_amount <= tx.amount);
            prop_assert!(tx.amount <= tx.origin_amount);
            prop_assert_eq!(tx.refunded_amount.0, refunded);
            prop_assert!(cancelled <= amount);
        }
    }
}
