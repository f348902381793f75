//! Subscriptions (REST V4 `Charge/CreateSubscription`): a token charged on the dates of an
//! RFC 5545 recurrence rule, starting at `effect_date`. The scheduler charges each due
//! installment as a transaction of the subscription, on the core clock.

use crate::money::{Amount, Currency};
use crate::shop::{Mode, ShopId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Occurrences computed at most, to count a finite rule: bounds the work a rule can cost.
pub const MAX_COUNTED_OCCURRENCES: u16 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubscriptionStatus {
    Active,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub shop_id: ShopId,
    pub mode: Mode,
    pub token_id: String,
    pub amount: Amount,
    pub currency: Currency,
    /// The first `initial_amount_number` installments are of `initial_amount` instead.
    pub initial_amount: Option<Amount>,
    pub initial_amount_number: u32,
    pub effect_date: DateTime<Utc>,
    /// The rule as given (`RRULE:FREQ=MONTHLY;BYMONTHDAY=1` or without the prefix).
    pub rrule: String,
    pub order_id: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub status: SubscriptionStatus,
    pub created_at: DateTime<Utc>,
    /// When the subscription ended or will end (`cancelDate`): a date still ahead is a
    /// scheduled termination, the subscription stays active and charges nothing after it.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Installments charged so far (accepted or refused).
    pub past_payments_number: u32,
    /// Installments the rule has in all, when it ends (COUNT or UNTIL).
    pub total_payments_number: Option<u32>,
    /// When the next installment is due; `None` once the rule has no occurrence left.
    pub next_due_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("invalid rrule: {0}")]
    Invalid(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionRefusal {
    #[error("subscription already cancelled")]
    AlreadyCancelled,
    /// Its first installment is past: amounts and rule can no longer change.
    #[error("subscription already started")]
    AlreadyStarted,
}

/// A parsed rule anchored at its effect date.
struct Rule(rrule::RRuleSet);

impl Rule {
    fn parse(text: &str, effect_date: DateTime<Utc>) -> Result<Rule, RuleError> {
        let rule = text.trim();
        let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
        if rule.is_empty() || rule.contains('\n') || rule.contains("DTSTART") {
            return Err(RuleError::Invalid("expected one RRULE".into()));
        }
        let set = format!("DTSTART:{}\nRRULE:{rule}", effect_date.format("%Y%m%dT%H%M%SZ"));
        let parsed: rrule::RRuleSet =
            set.parse().map_err(|error: rrule::RRuleError| RuleError::Invalid(error.to_string()))?;
        let frequency = parsed.get_rrule().first().map(|rule| rule.get_freq());
        // The platforms charge at most once a day.
        if matches!(frequency, Some(rrule::Frequency::Hourly | rrule::Frequency::Minutely | rrule::Frequency::Secondly))
        {
            return Err(RuleError::Invalid("a frequency under a day".into()));
        }
        Ok(Rule(parsed))
    }

    /// The first occurrence at or after `from`.
    fn first_from(&self, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = from.with_timezone(&rrule::Tz::UTC);
        let result = self.0.clone().after(from).all(2);
        result.dates.into_iter().map(|date| date.with_timezone(&Utc)).find(|date| *date >= from)
    }

    /// The first occurrence strictly after `after`.
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = after.with_timezone(&rrule::Tz::UTC);
        let result = self.0.clone().after(from).all(2);
        result.dates.into_iter().map(|date| date.with_timezone(&Utc)).find(|date| *date > after)
    }

    /// How many occurrences a finite rule has (`None`: unbounded or too many to count).
    fn count(&self) -> Option<u32> {
        let has_end = self.0.get_rrule().iter().all(|rule| rule.get_count().is_some() || rule.get_until().is_some());
        if !has_end {
            return None;
        }
        let result = self.0.clone().all(MAX_COUNTED_OCCURRENCES);
        (!result.limited).then_some(result.dates.len() as u32)
    }
}

/// Checks a rule as CreateSubscription/Update do.
pub fn validate_rule(text: &str, effect_date: DateTime<Utc>) -> Result<(), RuleError> {
    Rule::parse(text, effect_date).map(|_| ())
}

/// What a new subscription needs besides its rule.
#[derive(Clone, Debug)]
pub struct NewSubscription {
    pub id: String,
    pub shop_id: ShopId,
    pub mode: Mode,
    pub token_id: String,
    pub amount: Amount,
    pub currency: Currency,
    pub initial_amount: Option<Amount>,
    pub initial_amount_number: u32,
    pub effect_date: DateTime<Utc>,
    pub rrule: String,
    pub order_id: Option<String>,
    pub description: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

pub fn create(new: NewSubscription, now: DateTime<Utc>) -> Result<Subscription, RuleError> {
    let rule = Rule::parse(&new.rrule, new.effect_date)?;
    let next_due_at = rule.first_from(new.effect_date);
    Ok(Subscription {
        id: new.id,
        shop_id: new.shop_id,
        mode: new.mode,
        token_id: new.token_id,
        amount: new.amount,
        currency: new.currency,
        initial_amount: new.initial_amount,
        initial_amount_number: new.initial_amount_number,
        effect_date: new.effect_date,
        rrule: new.rrule,
        order_id: new.order_id,
        description: new.description,
        metadata: new.metadata,
        status: SubscriptionStatus::Active,
        created_at: now,
        cancelled_at: None,
        past_payments_number: 0,
        total_payments_number: rule.count(),
        next_due_at,
    })
}

impl Subscription {
    /// Whether an installment is due at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status == SubscriptionStatus::Active && self.next_due_at.is_some_and(|due| due <= now)
    }

    /// The amount of the next installment.
    pub fn next_amount(&self) -> Amount {
        match self.initial_amount {
            Some(initial) if self.past_payments_number < self.initial_amount_number => initial,
            _ => self.amount,
        }
    }

    /// The subscription once the installment due at `next_due_at` has been charged.
    pub fn after_installment(&self) -> Result<Subscription, RuleError> {
        let due = self.next_due_at.ok_or_else(|| RuleError::Invalid("no installment left".into()))?;
        let rule = Rule::parse(&self.rrule, self.effect_date)?;
        Ok(Subscription {
            past_payments_number: self.past_payments_number + 1,
            next_due_at: self.before_termination(rule.next_after(due)),
            ..self.clone()
        })
    }

    /// An installment date, unless a scheduled termination comes first.
    fn before_termination(&self, due: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        due.filter(|due| self.cancelled_at.is_none_or(|end| *due <= end))
    }
}

/// Ends a subscription: at once when `termination` is absent or not after `now`, else on that
/// date (installments due up to it are still charged). A scheduled termination can be moved
/// by cancelling again; an ended subscription cannot be cancelled twice.
pub fn cancel(
    subscription: &Subscription,
    now: DateTime<Utc>,
    termination: Option<DateTime<Utc>>,
) -> Result<Subscription, SubscriptionRefusal> {
    let ended = subscription.cancelled_at.is_some_and(|end| end <= now);
    if subscription.status == SubscriptionStatus::Cancelled || ended {
        return Err(SubscriptionRefusal::AlreadyCancelled);
    }
    match termination.filter(|at| *at > now) {
        None => Ok(Subscription {
            status: SubscriptionStatus::Cancelled,
            cancelled_at: Some(now),
            next_due_at: None,
            ..subscription.clone()
        }),
        Some(at) => {
            let scheduled = Subscription { cancelled_at: Some(at), ..subscription.clone() };
            let rule = Rule::parse(&scheduled.rrule, scheduled.effect_date).ok();
            // Moving the date later brings back the installments an earlier date had cut: none
            // of them was before `now`, since that date was still ahead.
            let next = match (&rule, subscription.past_payments_number) {
                (Some(rule), 0) => rule.first_from(scheduled.effect_date),
                (Some(rule), _) => subscription.next_due_at.or_else(|| rule.first_from(now)),
                (None, _) => subscription.next_due_at,
            };
            Ok(Subscription { next_due_at: scheduled.before_termination(next), ..scheduled })
        }
    }
}

/// What Subscription/Update may change: the amounts and the rule, until the first installment.
#[derive(Clone, Debug)]
pub struct SubscriptionChange {
    pub amount: Amount,
    pub currency: Currency,
    pub initial_amount: Option<Amount>,
    pub initial_amount_number: u32,
    pub effect_date: DateTime<Utc>,
    pub rrule: String,
}

pub fn change(
    subscription: &Subscription,
    change: SubscriptionChange,
    now: DateTime<Utc>,
) -> Result<Result<Subscription, RuleError>, SubscriptionRefusal> {
    if subscription.status == SubscriptionStatus::Cancelled {
        return Err(SubscriptionRefusal::AlreadyCancelled);
    }
    if subscription.past_payments_number > 0 || subscription.effect_date <= now {
        return Err(SubscriptionRefusal::AlreadyStarted);
    }
    let rule = match Rule::parse(&change.rrule, change.effect_date) {
        Ok(rule) => rule,
        Err(error) => return Ok(Err(error)),
    };
    Ok(Ok(Subscription {
        amount: change.amount,
        currency: change.currency,
        initial_amount: change.initial_amount,
        initial_amount_number: change.initial_amount_number,
        effect_date: change.effect_date,
        next_due_at: subscription.before_termination(rule.first_from(change.effect_date)),
        total_payments_number: rule.count(),
        rrule: change.rrule,
        ..subscription.clone()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn new(rrule: &str) -> NewSubscription {
        NewSubscription {
            id: "sub1".into(),
            shop_id: ShopId("69876357".into()),
            mode: Mode::Test,
            token_id: "t".into(),
            amount: Amount(1000),
            currency: Currency::EUR,
            initial_amount: Some(Amount(500)),
            initial_amount_number: 2,
            effect_date: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            rrule: rrule.into(),
            order_id: None,
            description: None,
            metadata: Default::default(),
        }
    }

    #[test]
    fn monthly_installments_with_initial_amounts() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
        let mut subscription = create(new("RRULE:FREQ=MONTHLY;COUNT=4"), now).unwrap();
        assert_eq!(subscription.total_payments_number, Some(4));
        let mut charged = Vec::new();
        while let Some(due) = subscription.next_due_at {
            charged.push((due, subscription.next_amount()));
            subscription = subscription.after_installment().unwrap();
        }
        let day = |m, y| Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).unwrap();
        assert_eq!(
            charged,
            vec![
                (day(12, 2026), Amount(500)),
                (day(1, 2027), Amount(500)),
                (day(2, 2027), Amount(1000)),
                (day(3, 2027), Amount(1000)),
            ]
        );
        assert_eq!(subscription.past_payments_number, 4);
    }

    #[test]
    fn open_ended_and_invalid_rules() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
        let subscription = create(new("FREQ=WEEKLY"), now).unwrap();
        assert_eq!(subscription.total_payments_number, None);
        assert!(subscription.is_due(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()));
        assert!(!subscription.is_due(now));
        for bad in ["", "FREQ=HOURLY", "FREQ=NEVER", "RRULE:FREQ=DAILY\nRRULE:FREQ=DAILY", "hello"] {
            assert!(create(new(bad), now).is_err(), "{bad}");
        }
    }

    #[test]
    fn cancel_and_change() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
        let subscription = create(new("FREQ=MONTHLY"), now).unwrap();
        let update = SubscriptionChange {
            amount: Amount(2000),
            currency: Currency::EUR,
            initial_amount: None,
            initial_amount_number: 0,
            effect_date: Utc.with_ymd_and_hms(2027, 1, 15, 0, 0, 0).unwrap(),
            rrule: "FREQ=MONTHLY;COUNT=2".into(),
        };
        let changed = change(&subscription, update.clone(), now).unwrap().unwrap();
        assert_eq!(changed.next_due_at, Some(Utc.with_ymd_and_hms(2027, 1, 15, 0, 0, 0).unwrap()));
        assert_eq!(changed.next_amount(), Amount(2000));
        let started = subscription.after_installment().unwrap();
        assert_eq!(change(&started, update, now), Err(SubscriptionRefusal::AlreadyStarted));
        let cancelled = cancel(&subscription, now, None).unwrap();
        assert!(!cancelled.is_due(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()));
        assert_eq!(cancel(&cancelled, now, None), Err(SubscriptionRefusal::AlreadyCancelled));
    }

    #[test]
    fn scheduled_termination_stops_installments_after_it() {
        let day = |m, d, y| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
        let now = day(11, 28, 2026);
        let subscription = create(new("FREQ=MONTHLY"), now).unwrap();
        // Ends on 15 February: the installments of 1 December, 1 January and 1 February remain.
        let mut scheduled = cancel(&subscription, now, Some(day(2, 15, 2027))).unwrap();
        assert_eq!(scheduled.status, SubscriptionStatus::Active);
        assert_eq!(scheduled.cancelled_at, Some(day(2, 15, 2027)));
        let mut charged = Vec::new();
        while let Some(due) = scheduled.next_due_at {
            charged.push(due);
            scheduled = scheduled.after_installment().unwrap();
        }
        assert_eq!(charged, vec![day(12, 1, 2026), day(1, 1, 2027), day(2, 1, 2027)]);
        // Once the date has passed, the subscription has ended.
        assert_eq!(cancel(&scheduled, day(3, 1, 2027), None), Err(SubscriptionRefusal::AlreadyCancelled));

        // Moved earlier, then later again: the cut installment comes back.
        let early = cancel(&subscription, now, Some(day(11, 30, 2026))).unwrap();
        assert_eq!(early.next_due_at, None);
        let later = cancel(&early, now, Some(day(1, 2, 2027))).unwrap();
        assert_eq!(later.next_due_at, Some(day(12, 1, 2026)));
        // A date already past cancels at once.
        let at_once = cancel(&subscription, now, Some(day(11, 1, 2026))).unwrap();
        assert_eq!((at_once.status, at_once.cancelled_at), (SubscriptionStatus::Cancelled, Some(now)));
    }
}
