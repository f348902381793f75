//! The web services caisse implements: `<Group>/<Service>` → one variant each. A documented
//! service not listed here answers INT_901 ("web-service not found") until it is built.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServiceId {
    CreatePayment,
    CreateToken,
    CreateTokenFromTransaction,
    CreateSubscription,
    SdkTest,
    OrderGet,
    TokenGet,
    TokenUpdate,
    TokenCancel,
    TokenReactivate,
    TransactionGet,
    TransactionCancelOrRefund,
    TransactionCancel,
    TransactionRefund,
    TransactionValidate,
    TransactionUpdate,
    TransactionDuplicate,
    TransactionCapture,
    SubscriptionGet,
    SubscriptionUpdate,
    SubscriptionCancel,
}

/// Names are case-sensitive, as on the platform.
pub const SERVICES: [(&str, ServiceId); 21] = [
    ("Charge/CreatePayment", ServiceId::CreatePayment),
    ("Charge/CreateToken", ServiceId::CreateToken),
    ("Charge/CreateTokenFromTransaction", ServiceId::CreateTokenFromTransaction),
    ("Charge/CreateSubscription", ServiceId::CreateSubscription),
    ("Charge/SDKTest", ServiceId::SdkTest),
    ("Order/Get", ServiceId::OrderGet),
    ("Token/Get", ServiceId::TokenGet),
    ("Token/Update", ServiceId::TokenUpdate),
    ("Token/Cancel", ServiceId::TokenCancel),
    ("Token/Reactivate", ServiceId::TokenReactivate),
    ("Transaction/Get", ServiceId::TransactionGet),
    ("Transaction/CancelOrRefund", ServiceId::TransactionCancelOrRefund),
    ("Transaction/Cancel", ServiceId::TransactionCancel),
    ("Transaction/Refund", ServiceId::TransactionRefund),
    ("Transaction/Validate", ServiceId::TransactionValidate),
    ("Transaction/Update", ServiceId::TransactionUpdate),
    ("Transaction/Duplicate", ServiceId::TransactionDuplicate),
    ("Transaction/Capture", ServiceId::TransactionCapture),
    ("Subscription/Get", ServiceId::SubscriptionGet),
    ("Subscription/Update", ServiceId::SubscriptionUpdate),
    ("Subscription/Cancel", ServiceId::SubscriptionCancel),
];

/// The service at `path` (`Charge/CreatePayment`; a leading `V4/` or `/` is tolerated).
pub fn lookup(path: &str) -> Option<ServiceId> {
    let path = path.trim_start_matches('/');
    let path = path.strip_prefix("V4/").unwrap_or(path);
    SERVICES.iter().find(|(name, _)| *name == path).map(|(_, id)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        for (name, id) in SERVICES {
            assert_eq!(lookup(name), Some(id));
            assert_eq!(lookup(&format!("V4/{name}")), Some(id));
        }
        assert_eq!(lookup("charge/createPayment"), None);
        assert_eq!(lookup("Charge/CreatePaymentOrder"), None, "not built");
        assert_eq!(lookup("Charge/Nope"), None);
    }
}
