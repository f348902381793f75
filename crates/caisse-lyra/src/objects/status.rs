//! The one mapping from the core's statuses to `detailedStatus` and `status` (PROTOCOLS.md §2
//! "Card status mapping"). Every core status is listed: a new one forces a decision.

use caisse_core::transaction::{Transaction, TransactionKind, TransactionStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailedStatus {
    Authorised,
    AuthorisedToValidate,
    Captured,
    Accepted,
    Cancelled,
    Refused,
    Expired,
    Abandoned,
    CaptureFailed,
    WaitingAuthorisation,
    Initial,
    Pending,
    Error,
}

/// `status`: what the merchant should make of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentStatus {
    Paid,
    Unpaid,
    Running,
}

impl DetailedStatus {
    pub fn of(transaction: &Transaction) -> DetailedStatus {
        use TransactionStatus as S;
        match (transaction.kind, transaction.status) {
            // A verification (token creation) is accepted or refused, never captured.
            (TransactionKind::Verification, S::Captured) => DetailedStatus::Accepted,
            (_, S::ToAuthorize | S::ToReplay) => DetailedStatus::WaitingAuthorisation,
            (_, S::ToValidate) => DetailedStatus::AuthorisedToValidate,
            // A refund's credit waits for the batch like a debit waits for capture.
            (_, S::ToCapture | S::ToCredit) => DetailedStatus::Authorised,
            (_, S::ToChallenge) => DetailedStatus::Initial,
            // A fully refunded debit stays CAPTURED, with captureResponse.refundAmount.
            (_, S::Captured | S::Credited) => DetailedStatus::Captured,
            (_, S::Cancelled) => DetailedStatus::Cancelled,
            (_, S::Refused | S::CreditRefused | S::RefusedOnChallenge) => DetailedStatus::Refused,
            (_, S::Expired) => DetailedStatus::Expired,
            (_, S::Aborted) => DetailedStatus::Abandoned,
            (_, S::CaptureRefused) => DetailedStatus::CaptureFailed,
            (_, S::Pending) => DetailedStatus::Pending,
            (_, S::Undefined) => DetailedStatus::Error,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DetailedStatus::Authorised => "AUTHORISED",
            DetailedStatus::AuthorisedToValidate => "AUTHORISED_TO_VALIDATE",
            DetailedStatus::Captured => "CAPTURED",
            DetailedStatus::Accepted => "ACCEPTED",
            DetailedStatus::Cancelled => "CANCELLED",
            DetailedStatus::Refused => "REFUSED",
            DetailedStatus::Expired => "EXPIRED",
            DetailedStatus::Abandoned => "ABANDONED",
            DetailedStatus::CaptureFailed => "CAPTURE_FAILED",
            DetailedStatus::WaitingAuthorisation => "WAITING_AUTHORISATION",
            DetailedStatus::Initial => "INITIAL",
            DetailedStatus::Pending => "PENDING",
            DetailedStatus::Error => "ERROR",
        }
    }

    pub fn status(self) -> PaymentStatus {
        match self {
            DetailedStatus::Authorised
            | DetailedStatus::AuthorisedToValidate
            | DetailedStatus::Captured
            | DetailedStatus::Accepted => PaymentStatus::Paid,
            DetailedStatus::Cancelled
            | DetailedStatus::Refused
            | DetailedStatus::Expired
            | DetailedStatus::Abandoned
            | DetailedStatus::CaptureFailed
            | DetailedStatus::Error => PaymentStatus::Unpaid,
            DetailedStatus::WaitingAuthorisation | DetailedStatus::Initial | DetailedStatus::Pending => {
                PaymentStatus::Running
            }
        }
    }
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Paid => "PAID",
            PaymentStatus::Unpaid => "UNPAID",
            PaymentStatus::Running => "RUNNING",
        }
    }

    /// `orderCycle`: a payment still running may change; the others are final (caisse offers
    /// no retry on an answer given straight away).
    pub fn order_cycle(self) -> &'static str {
        match self {
            PaymentStatus::Running => "OPEN",
            PaymentStatus::Paid | PaymentStatus::Unpaid => "CLOSED",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_status_has_a_wire_status() {
        let expected = [
            (TransactionStatus::ToCapture, "AUTHORISED", "PAID"),
            (TransactionStatus::ToValidate, "AUTHORISED_TO_VALIDATE", "PAID"),
            (TransactionStatus::Captured, "CAPTURED", "PAID"),
            (TransactionStatus::Credited, "CAPTURED", "PAID"),
            (TransactionStatus::Cancelled, "CANCELLED", "UNPAID"),
            (TransactionStatus::Refused, "REFUSED", "UNPAID"),
            (TransactionStatus::Expired, "EXPIRED", "UNPAID"),
            (TransactionStatus::ToAuthorize, "WAITING_AUTHORISATION", "RUNNING"),
        ];
        let sample = |status| crate::objects::transaction::tests::sample(TransactionKind::Debit, status);
        for (status, detailed, paid) in expected {
            let wire = DetailedStatus::of(&sample(status));
            assert_eq!((wire.as_str(), wire.status().as_str()), (detailed, paid), "{status:?}");
        }
        for status in TransactionStatus::ALL {
            DetailedStatus::of(&sample(status));
        }
        let credit = |status| crate::objects::transaction::tests::sample(TransactionKind::Credit, status);
        assert_eq!(DetailedStatus::of(&credit(TransactionStatus::ToCredit)), DetailedStatus::Authorised);
        assert_eq!(DetailedStatus::of(&credit(TransactionStatus::Credited)), DetailedStatus::Captured);
        let verification =
            crate::objects::transaction::tests::sample(TransactionKind::Verification, TransactionStatus::Captured);
        assert_eq!(DetailedStatus::of(&verification), DetailedStatus::Accepted);
        assert_eq!(DetailedStatus::Accepted.status(), PaymentStatus::Paid);
    }
}
