//! Which methods exist: families (the path's first segment) with their `interfaceVersion`
//! prefix, and the methods caisse implements. A method documented by Sips but not in
//! [`METHODS`] answers "unknown method" (HTTP 404) until an issue builds it: adding one is a
//! row here, a [`MethodId`] variant and a module in `methods/`.

use std::fmt;

#[derive(Debug, PartialEq, Eq)]
pub struct Family {
    /// As in the path: `/rs-services/v2/<name>/<method>` (JSON), `/services/v2/<name>` (SOAP).
    pub name: &'static str,
    /// `interfaceVersion` starts with this, then `<major>.<minor>`.
    pub prefix: &'static str,
}

/// PROTOCOLS.md 1, "Families, interfaceVersion prefixes, methods".
pub const FAMILIES: [Family; 9] = [
    Family { name: "checkout", prefix: "IR_WS_" },
    Family { name: "cashManagement", prefix: "CR_WS_" },
    Family { name: "diagnostic", prefix: "DR_WS_" },
    Family { name: "wallet", prefix: "WR_WS_" },
    Family { name: "token", prefix: "TR_WS_" },
    Family { name: "fraud", prefix: "FR_WS_" },
    Family { name: "mandate", prefix: "MR_WS_" },
    Family { name: "paymentMeanInfo", prefix: "PMR_WS_" },
    Family { name: "authentication", prefix: "AUT_WS_" },
];

/// The methods caisse implements, one variant each; `methods::run` is the only dispatch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MethodId {
    CardOrder,
    Cancel,
    Refund,
    Validate,
    Duplicate,
    CreditHolder,
    GetTransactionData,
    GetCardData,
    AddCard,
    AddDirectDebit,
    GetWalletData,
    GetPaymentMeanData,
    UpdatePaymentMean,
    DeletePaymentMean,
    SignOff,
    WalletOrder,
    WalletCreditHolder,
    CardCheckEnrollment,
    WalletCheckEnrollment,
    CardValidateAuthentication,
    CardValidateAuthenticationAndOrder,
    PaymentTokenGenerate,
    HostedFieldsInitialize,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Method {
    pub family: &'static Family,
    /// As in the path and as the SOAP operation name.
    pub name: &'static str,
    pub id: MethodId,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.family.name, self.name)
    }
}

const CHECKOUT: &Family = &FAMILIES[0];
const CASH_MANAGEMENT: &Family = &FAMILIES[1];
const DIAGNOSTIC: &Family = &FAMILIES[2];
const PAYMENT_MEAN_INFO: &Family = &FAMILIES[7];
pub const WALLET: &Family = &FAMILIES[3];
const TOKEN: &Family = &FAMILIES[4];
const AUTHENTICATION: &Family = &FAMILIES[8];

pub const METHODS: [Method; 23] = [
    Method { family: CHECKOUT, name: "cardOrder", id: MethodId::CardOrder },
    Method { family: CASH_MANAGEMENT, name: "cancel", id: MethodId::Cancel },
    Method { family: CASH_MANAGEMENT, name: "refund", id: MethodId::Refund },
    Method { family: CASH_MANAGEMENT, name: "validate", id: MethodId::Validate },
    Method { family: CASH_MANAGEMENT, name: "duplicate", id: MethodId::Duplicate },
    Method { family: CASH_MANAGEMENT, name: "creditHolder", id: MethodId::CreditHolder },
    Method { family: DIAGNOSTIC, name: "getTransactionData", id: MethodId::GetTransactionData },
    Method { family: PAYMENT_MEAN_INFO, name: "getCardData", id: MethodId::GetCardData },
    Method { family: WALLET, name: "addCard", id: MethodId::AddCard },
    Method { family: WALLET, name: "addDirectDebit", id: MethodId::AddDirectDebit },
    Method { family: WALLET, name: "getWalletData", id: MethodId::GetWalletData },
    Method { family: WALLET, name: "getPaymentMeanData", id: MethodId::GetPaymentMeanData },
    Method { family: WALLET, name: "updatePaymentMean", id: MethodId::UpdatePaymentMean },
    Method { family: WALLET, name: "deletePaymentMean", id: MethodId::DeletePaymentMean },
    Method { family: WALLET, name: "signOff", id: MethodId::SignOff },
    Method { family: CHECKOUT, name: "walletOrder", id: MethodId::WalletOrder },
    Method { family: CASH_MANAGEMENT, name: "walletCreditHolder", id: MethodId::WalletCreditHolder },
    Method { family: CHECKOUT, name: "cardCheckEnrollment", id: MethodId::CardCheckEnrollment },
    Method { family: CHECKOUT, name: "walletCheckEnrollment", id: MethodId::WalletCheckEnrollment },
    Method { family: CHECKOUT, name: "cardValidateAuthentication", id: MethodId::CardValidateAuthentication },
    Method {
        family: CHECKOUT,
        name: "cardValidateAuthenticationAndOrder",
        id: MethodId::CardValidateAuthenticationAndOrder,
    },
    Method { family: TOKEN, name: "paymentTokenGenerate", id: MethodId::PaymentTokenGenerate },
    Method { family: AUTHENTICATION, name: "hostedFieldsInitialize", id: MethodId::HostedFieldsInitialize },
];

/// The answer field that carries the outcome: `walletResponseCode` in the wallet family
/// (Sips wallet answers), `responseCode` everywhere else.
pub fn response_code_field(family: &Family) -> &'static str {
    if family == WALLET { "walletResponseCode" } else { "responseCode" }
}

/// The implemented method at `<family>/<method>`; names are case-sensitive, as on the platform.
pub fn lookup(family: &str, method: &str) -> Option<&'static Method> {
    METHODS.iter().find(|entry| entry.family.name == family && entry.name == method)
}

pub fn family(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|family| family.name == name)
}

/// A parsed `interfaceVersion` number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct InterfaceVersion {
    pub major: u8,
    pub minor: u8,
}

impl InterfaceVersion {
    pub const OLDEST: InterfaceVersion = InterfaceVersion { major: 2, minor: 0 };
    /// The current version (PROTOCOLS.md 1); 2.53 is the recommended one.
    pub const NEWEST: InterfaceVersion = InterfaceVersion { major: 2, minor: 58 };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterfaceVersionError {
    /// Well formed, but the prefix is another family's (or no family's): responseCode 12.
    WrongPrefix,
    /// Not `<LETTERS>_WS_<major>.<minor>` or a version outside 2.0–2.58: responseCode 30.
    Format,
}

/// Parses `interfaceVersion` for a method of `family`.
pub fn parse_interface_version(text: &str, family: &Family) -> Result<InterfaceVersion, InterfaceVersionError> {
    let split = text.find("_WS_").ok_or(InterfaceVersionError::Format)? + "_WS_".len();
    let (prefix, number) = text.split_at(split);
    let letters = &prefix[..prefix.len() - "_WS_".len()];
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(InterfaceVersionError::Format);
    }
    let version = parse_number(number).ok_or(InterfaceVersionError::Format)?;
    if !(InterfaceVersion::OLDEST..=InterfaceVersion::NEWEST).contains(&version) {
        return Err(InterfaceVersionError::Format);
    }
    if prefix != family.prefix {
        return Err(InterfaceVersionError::WrongPrefix);
    }
    Ok(version)
}

/// `<major>.<minor>`: one or two digits each, no leading zero (`2.3` and `2.30` differ).
fn parse_number(text: &str) -> Option<InterfaceVersion> {
    let (major, minor) = text.split_once('.')?;
    Some(InterfaceVersion { major: parse_part(major)?, minor: parse_part(minor)? })
}

fn parse_part(text: &str) -> Option<u8> {
    let well_formed = (1..=2).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() == 2 && text.starts_with('0'));
    well_formed.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_is_found_under_its_family_only() {
        for method in &METHODS {
            assert_eq!(lookup(method.family.name, method.name), Some(method));
            for family in &FAMILIES {
                if family != method.family {
                    assert_eq!(lookup(family.name, method.name), None);
                }
            }
        }
        assert_eq!(lookup("checkout", "cardorder"), None);
        assert_eq!(lookup("checkout", "directDebitOrder"), None, "not built yet");
        assert_eq!(lookup("nope", "cardOrder"), None);
    }

    #[test]
    fn prefixes_are_distinct() {
        for (i, a) in FAMILIES.iter().enumerate() {
            assert!(a.prefix.ends_with("_WS_"));
            for b in &FAMILIES[i + 1..] {
                assert_ne!(a.prefix, b.prefix);
                assert_ne!(a.name, b.name);
            }
        }
        assert_eq!(family("diagnostic").unwrap().prefix, "DR_WS_");
    }

    #[test]
    fn interface_versions() {
        let checkout = family("checkout").unwrap();
        let ok = |text| parse_interface_version(text, checkout);
        assert_eq!(ok("IR_WS_2.0"), Ok(InterfaceVersion::OLDEST));
        assert_eq!(ok("IR_WS_2.3"), Ok(InterfaceVersion { major: 2, minor: 3 }));
        assert_eq!(ok("IR_WS_2.53"), Ok(InterfaceVersion { major: 2, minor: 53 }));
        assert_eq!(ok("IR_WS_2.58"), Ok(InterfaceVersion::NEWEST));
        for wrong_prefix in ["CR_WS_2.53", "DR_WS_2.0", "PMR_WS_2.53", "XX_WS_2.53"] {
            assert_eq!(ok(wrong_prefix), Err(InterfaceVersionError::WrongPrefix), "{wrong_prefix}");
        }
        for bad in [
            "",
            "IR_WS_",
            "IR_WS_2",
            "IR_WS_2.",
            "IR_WS_.3",
            "IR_WS_2.59",
            "IR_WS_3.0",
            "IR_WS_1.9",
            "IR_WS_2.03",
            "IR_WS_02.3",
            "IR_WS_2.3.1",
            "IR_WS_2.x",
            "ir_ws_2.3",
            "IR-WS-2.3",
            "IR_WS2.3",
            "_WS_2.3",
            "IR_WS_ 2.3",
            "IR_WS_2.100",
        ] {
            assert_eq!(ok(bad), Err(InterfaceVersionError::Format), "{bad:?}");
        }
    }
}
