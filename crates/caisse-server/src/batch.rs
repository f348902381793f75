//! The capture batch: once a day at the cut-off, capture what is due, credit pending credits,
//! expire what was not validated in time. A batch missed while caisse was down catches up at
//! the next run, because it settles everything due up to its day.
//!
//! The same scheduler charges the subscription installments that are due, every
//! [`INSTALLMENT_INTERVAL`] of the core clock. Several caisse instances may run it at once:
//! the core records each installment once.

use caisse_core::payments::Payments;
use chrono::{DateTime, Days, NaiveTime, Utc};
use std::time::Duration;

/// How often the scheduler looks at the clock: small enough to follow a clock that tests move.
const CHECK_INTERVAL: Duration = Duration::from_secs(30);

/// How often (core clock) due installments are charged.
pub const INSTALLMENT_INTERVAL: chrono::Duration = chrono::Duration::seconds(60);

/// The first cut-off strictly after `now`.
pub fn next_cutoff(now: DateTime<Utc>, cutoff: NaiveTime) -> DateTime<Utc> {
    let today = now.date_naive().and_time(cutoff).and_utc();
    if today > now {
        today
    } else {
        let tomorrow = now.date_naive().checked_add_days(Days::new(1)).unwrap_or(now.date_naive());
        tomorrow.and_time(cutoff).and_utc()
    }
}

/// Runs forever; spawn it and drop the handle at shutdown.
pub async fn run_daily(payments: Payments, cutoff: NaiveTime) {
    let mut due = next_cutoff(payments.clock().now(), cutoff);
    let mut installments_due = payments.clock().now();
    loop {
        let now = payments.clock().now();
        if now >= installments_due {
            run_installments(&payments).await;
            installments_due = now + INSTALLMENT_INTERVAL;
        }
        if now >= due {
            match payments.run_capture_batch().await {
                Ok(report) => tracing::info!(?report, "capture batch done"),
                Err(error) => tracing::error!(%error, "capture batch failed; retried at next cut-off"),
            }
            due = next_cutoff(now, cutoff);
            continue;
        }
        let next = due.min(installments_due);
        let wait = (next - now).to_std().unwrap_or(Duration::ZERO).min(CHECK_INTERVAL);
        tokio::time::sleep(wait).await;
    }
}

/// Charges the installments due now; a failure is retried at the next round.
pub async fn run_installments(payments: &Payments) {
    match payments.run_due_installments().await {
        Ok(report) if report.accepted + report.refused > 0 => tracing::info!(?report, "installments charged"),
        Ok(_) => {}
        Err(error) => tracing::error!(%error, "installments failed; retried at the next round"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn next_cutoff_is_today_or_tomorrow() {
        let cutoff = NaiveTime::from_hms_opt(22, 0, 0).unwrap();
        let morning = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
        assert_eq!(next_cutoff(morning, cutoff), Utc.with_ymd_and_hms(2026, 11, 28, 22, 0, 0).unwrap());
        let night = Utc.with_ymd_and_hms(2026, 11, 28, 22, 0, 0).unwrap();
        assert_eq!(next_cutoff(night, cutoff), Utc.with_ymd_and_hms(2026, 11, 29, 22, 0, 0).unwrap());
    }
}
