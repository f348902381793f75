use super::*;
use chrono::TimeZone;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn pending() -> Notification {
    Notification::new(
        ShopId("69876357".into()),
        Mode::Test,
        NotificationRule::EndOfPayment,
        "https://shop.example/ipn",
        vec![("vads_result".into(), "00".into()), ("signature".into(), "abc".into())],
        at(0),
    )
}

fn delays() -> Vec<Duration> {
    vec![Duration::minutes(15), Duration::minutes(30), Duration::hours(1), Duration::hours(2)]
}

#[test]
fn new_is_due_at_once_and_ids_are_time_ordered() {
    let first = pending();
    let second = pending();
    assert!(first.is_due(at(0)));
    assert!(!first.is_due(at(-1)));
    assert_eq!(first.id.len(), 32);
    assert!(first.id < second.id);
}

#[test]
fn success_delivers() {
    for status in [200, 204, 206, 301, 302, 303, 307, 308] {
        let delivered = pending().after_attempt(&AttemptOutcome::Http(status), at(3), &delays(), true);
        assert_eq!(delivered.status, NotificationStatus::Delivered, "{status}");
        assert_eq!(delivered.attempts, 1);
        assert_eq!(delivered.delivered_at, Some(at(3)));
        assert_eq!(delivered.next_attempt_at, None);
        assert_eq!(delivered.last_http_status, Some(status));
        assert!(!delivered.is_due(at(100)));
    }
}

#[test]
fn failures_replay_with_the_delays_then_fail() {
    let delays = delays();
    let mut notification = pending();
    let mut now = at(0);
    for (index, delay) in delays.iter().enumerate() {
        notification = notification.after_attempt(&AttemptOutcome::Http(500), now, &delays, true);
        assert_eq!(notification.status, NotificationStatus::Pending);
        assert_eq!(notification.attempts, index as u32 + 1);
        assert_eq!(notification.replays, index as u32 + 1);
        assert_eq!(notification.next_attempt_at, Some(now + *delay));
        assert_eq!(notification.last_error.as_deref(), Some("HTTP 500"));
        now += *delay;
    }
    let before = notification.clone();
    let failed = notification.after_attempt(&AttemptOutcome::Error("timeout".into()), now, &delays, true);
    assert_eq!(failed.status, NotificationStatus::Failed);
    assert_eq!(failed.attempts, 5);
    assert_eq!(failed.next_attempt_at, None);
    assert_eq!(failed.last_http_status, None);
    assert_eq!(failed.last_error.as_deref(), Some("timeout"));
    assert!(Notification::just_failed(&before, &failed));
}

#[test]
fn no_replay_when_off_or_no_delays_or_no_url() {
    let failed = pending().after_attempt(&AttemptOutcome::Http(404), at(1), &delays(), false);
    assert_eq!(failed.status, NotificationStatus::Failed);
    let failed = pending().after_attempt(&AttemptOutcome::Http(404), at(1), &[], true);
    assert_eq!(failed.status, NotificationStatus::Failed);
    let failed = pending().after_attempt(&AttemptOutcome::NoUrl, at(1), &delays(), true);
    assert_eq!(failed.status, NotificationStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some(NO_URL));
    // 2xx only below 207; 4xx/5xx and other 3xx are failures.
    for status in [100, 207, 300, 304, 400, 500, 503] {
        let after = pending().after_attempt(&AttemptOutcome::Http(status), at(1), &delays(), true);
        assert_eq!(after.status, NotificationStatus::Pending, "{status}");
    }
}

#[test]
fn manual_resend_is_one_attempt() {
    let failed = pending().after_attempt(&AttemptOutcome::Http(500), at(1), &delays(), false);
    let resent = failed.resend(at(60));
    assert_eq!(resent.status, NotificationStatus::Pending);
    assert!(resent.manual);
    assert!(resent.is_due(at(60)));
    let again = resent.after_attempt(&AttemptOutcome::Http(500), at(61), &delays(), true);
    assert_eq!(again.status, NotificationStatus::Failed);
    assert!(!again.manual);
    let delivered = resent.after_attempt(&AttemptOutcome::Http(200), at(61), &delays(), true);
    assert_eq!(delivered.status, NotificationStatus::Delivered);
    assert_eq!(delivered.attempts, 2);
}

#[test]
fn resend_of_a_pending_one_brings_it_forward_and_keeps_its_replays() {
    let waiting = pending().after_attempt(&AttemptOutcome::Http(500), at(1), &delays(), true);
    let resent = waiting.resend(at(2));
    assert!(!resent.manual);
    assert_eq!(resent.next_attempt_at, Some(at(2)));
    let after = resent.after_attempt(&AttemptOutcome::Http(500), at(3), &delays(), true);
    assert_eq!(after.status, NotificationStatus::Pending);
    assert_eq!(after.replays, 2);
}

#[test]
fn resend_of_a_delivered_one() {
    let delivered = pending().after_attempt(&AttemptOutcome::Http(200), at(1), &delays(), true);
    let resent = delivered.resend(at(5));
    assert_eq!(resent.status, NotificationStatus::Pending);
    assert!(resent.manual);
}

#[test]
fn rules_choose_the_url() {
    let shop = ShopId("69876357".into());
    let off = NotificationRules::off(shop.clone());
    assert_eq!(off.target(NotificationRule::EndOfPayment, Mode::Test, Some("https://x/ipn")), None);
    let mut rules = NotificationRules::preloaded(shop);
    assert!(rules.applies(NotificationRule::EndOfPayment));
    assert!(!rules.applies(NotificationRule::CancelOrAbandon));
    assert!(!rules.applies(NotificationRule::LaterOperation));
    assert_eq!(rules.target(NotificationRule::EndOfPayment, Mode::Test, None).as_deref(), Some(""));
    rules.test_url = Some("https://shop/test".into());
    rules.production_url = Some(String::new());
    assert_eq!(rules.url(Mode::Test), Some("https://shop/test"));
    assert_eq!(rules.url(Mode::Production), None);
    assert_eq!(rules.target(NotificationRule::EndOfPayment, Mode::Test, None).as_deref(), Some("https://shop/test"));
    assert_eq!(
        rules.target(NotificationRule::EndOfPayment, Mode::Test, Some("https://shop/check")).as_deref(),
        Some("https://shop/check")
    );
    assert_eq!(
        rules.target(NotificationRule::EndOfPayment, Mode::Test, Some("")).as_deref(),
        Some("https://shop/test")
    );
}

#[test]
fn names_round_trip() {
    for rule in [NotificationRule::EndOfPayment, NotificationRule::CancelOrAbandon, NotificationRule::LaterOperation] {
        assert_eq!(NotificationRule::parse(rule.as_str()), Some(rule));
    }
    for status in [NotificationStatus::Pending, NotificationStatus::Delivered, NotificationStatus::Failed] {
        assert_eq!(NotificationStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(NotificationStatus::parse("pending"), None);
}
