//! The Office field names the WSDL declares: every request field and every answer field of the
//! methods caisse builds or is about to (Sips data dictionary; docs/research/
//! sips-office-wallet-3ds-soap.md §2–§7), and the containers' own fields.
//!
//! One `input` type and one `output` type serve every operation: the WSDL says which names
//! exist, the method says which it needs (12/30, as in JSON). A method that answers a new field
//! needs a line here, or strict SOAP clients refuse the answer; a test reads the method
//! modules and fails until it is added.

/// What an element holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A container of the named complex type (one of [`CONTAINER_TYPES`]).
    Container(&'static str),
    /// A container whose fields caisse does not list: any content.
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element {
    pub name: &'static str,
    pub kind: Kind,
    /// Repeated elements (`maxOccurs="unbounded"`): lists.
    pub repeated: bool,
}

const fn text(name: &'static str) -> Element {
    Element { name, kind: Kind::Text, repeated: name_is_list(name) }
}

const fn container(name: &'static str, type_name: &'static str) -> Element {
    Element { name, kind: Kind::Container(type_name), repeated: name_is_list(name) }
}

const fn any(name: &'static str) -> Element {
    Element { name, kind: Kind::Any, repeated: name_is_list(name) }
}

/// The decoder's rule: a `…List` element is a list even when it occurs once.
const fn name_is_list(name: &str) -> bool {
    let bytes = name.as_bytes();
    let n = bytes.len();
    n > 4 && bytes[n - 4] == b'L' && bytes[n - 3] == b'i' && bytes[n - 2] == b's' && bytes[n - 1] == b't'
}

pub struct ContainerType {
    pub name: &'static str,
    pub fields: &'static [Element],
}

pub const REQUEST_FIELDS: &[Element] = &[
    // Every request.
    text("merchantId"),
    text("interfaceVersion"),
    text("keyVersion"),
    text("seal"),
    text("sealAlgorithm"),
    text("intermediateServiceProviderId"),
    // Payments.
    text("amount"),
    text("currencyCode"),
    text("cardNumber"),
    text("cardExpiryDate"),
    text("cardCSCValue"),
    text("cscType"),
    text("panType"),
    text("paymentToken"),
    text("paymentMeanBrand"),
    text("paymentMeanBrandSelectionStatus"),
    text("paymentMeanBrandList"),
    text("paymentTokenConsumerMerchantId"),
    text("transactionReference"),
    container("s10TransactionReference", "s10TransactionReference"),
    text("orderId"),
    text("orderChannel"),
    text("captureDay"),
    text("captureMode"),
    text("paymentPattern"),
    text("customerId"),
    text("customerIpAddress"),
    text("customerEmail"),
    text("customerLanguage"),
    text("returnContext"),
    text("invoiceReference"),
    text("merchantTransactionDateTime"),
    text("transactionOrigin"),
    text("statementReference"),
    text("subMerchantCategoryCode"),
    text("subMerchantId"),
    text("subMerchantLegalId"),
    text("subMerchantShortName"),
    container("subMerchantAddress", "address"),
    container("billingAddress", "address"),
    container("customerAddress", "address"),
    container("deliveryAddress", "address"),
    container("holderAddress", "address"),
    container("billingContact", "contact"),
    container("customerContact", "contact"),
    container("deliveryContact", "contact"),
    container("holderContact", "contact"),
    container("customerData", "personData"),
    container("holderData", "personData"),
    container("deliveryData", "deliveryData"),
    container("fraudData", "fraudData"),
    container("shoppingCartDetail", "shoppingCartDetail"),
    any("orderContext"),
    any("travelContext"),
    any("customerAccountHistoric"),
    any("riskManagementCustomDataList"),
    any("paymentMeanData"),
    any("authenticationData"),
    any("instalmentData"),
    // Cash management and duplicate.
    text("operationAmount"),
    text("operationOrigin"),
    text("fromTransactionReference"),
    text("fromMerchantId"),
    container("s10FromTransactionReference", "s10FromTransactionReference"),
    // Wallet.
    text("merchantWalletId"),
    text("paymentMeanId"),
    text("paymentMeanAlias"),
    // 3-D Secure.
    text("merchantReturnUrl"),
    text("messageVersion"),
    text("redirectionData"),
    text("paResMessage"),
];

pub const ANSWER_FIELDS: &[Element] = &[
    text("responseCode"),
    text("errorFieldName"),
    text("seal"),
    // Authorisations.
    text("acquirerResponseCode"),
    text("acquirerResponseMessage"),
    text("authorisationId"),
    text("transactionDateTime"),
    text("transactionReference"),
    container("s10TransactionReference", "s10TransactionReference"),
    text("fromTransactionReference"),
    text("maskedPan"),
    text("panExpiryDate"),
    text("tokenPan"),
    text("paymentMeanBrand"),
    text("paymentMeanType"),
    text("cardScheme"),
    // One per brand; a list for a co-badged card (getCardData).
    Element { name: "cardData", kind: Kind::Container("cardData"), repeated: true },
    text("cardCSCResultCode"),
    text("guaranteeIndicator"),
    text("holderAuthentStatus"),
    text("holderAuthentMethod"),
    text("holderAuthentProgram"),
    text("holderAuthentResponseCode"),
    text("holderAuthentType"),
    text("holderAuthentRelegation"),
    text("scoreColor"),
    text("scoreValue"),
    text("scoreInfo"),
    text("scoreProfile"),
    text("scoreThreshold"),
    text("captureDay"),
    text("captureMode"),
    text("captureLimitDate"),
    text("returnContext"),
    text("orderId"),
    text("orderChannel"),
    text("customerId"),
    text("customerIpAddress"),
    text("paymentPattern"),
    // Amounts and status.
    text("amount"),
    text("currencyCode"),
    text("originAmount"),
    text("currentAmount"),
    text("remainingAmount"),
    text("newAmount"),
    text("newStatus"),
    text("operationDateTime"),
    text("transactionStatus"),
    text("lastOperationName"),
    text("lastOperationDateTime"),
    // Tokens and 3-D Secure.
    text("paymentToken"),
    text("merchantSessionToken"),
    text("sdkUrl"),
    text("redirectionUrl"),
    text("redirectionData"),
    text("redirectionStatusCode"),
    text("redirectionStatusMessage"),
    text("paReqMessage"),
    text("messageVersion"),
    // Wallet.
    text("walletResponseCode"),
    text("walletActionDateTime"),
    text("walletCreationDateTime"),
    text("walletLastActionDateTime"),
    text("merchantWalletId"),
    text("paymentMeanId"),
    text("paymentMeanAlias"),
    text("mandateId"),
    container("walletPaymentMeanData", "walletPaymentMeanData"),
    container("walletPaymentMeanDataList", "walletPaymentMeanData"),
];

pub const CONTAINER_TYPES: &[ContainerType] = &[
    ContainerType {
        name: "s10TransactionReference",
        fields: &[text("s10TransactionId"), text("s10TransactionIdDate")],
    },
    ContainerType {
        name: "s10FromTransactionReference",
        fields: &[text("s10FromTransactionId"), text("s10FromTransactionIdDate")],
    },
    ContainerType {
        name: "address",
        fields: &[
            text("addressAdditional1"),
            text("addressAdditional2"),
            text("addressAdditional3"),
            text("businessName"),
            text("city"),
            text("company"),
            text("country"),
            text("postBox"),
            text("state"),
            text("street"),
            text("streetNumber"),
            text("zipCode"),
        ],
    },
    ContainerType {
        name: "contact",
        fields: &[
            text("email"),
            text("firstname"),
            text("gender"),
            text("initials"),
            text("lastname"),
            text("legalId"),
            text("mobile"),
            text("phone"),
            text("positionOccupied"),
            text("title"),
            text("workPhone"),
        ],
    },
    ContainerType {
        name: "personData",
        fields: &[
            text("birthCity"),
            text("birthCountry"),
            text("birthDate"),
            text("birthZipCode"),
            text("maidenName"),
            text("nationalityCountry"),
            text("newPassword"),
            text("newPwd"),
            text("password"),
            text("pwd"),
        ],
    },
    ContainerType {
        name: "deliveryData",
        fields: &[
            text("deliveryAddressCreationDate"),
            text("deliveryChargeAmount"),
            text("deliveryMethod"),
            text("deliveryMode"),
            text("deliveryOperator"),
            text("electronicDeliveryIndicator"),
            text("estimatedDeliveryDate"),
            text("estimatedDeliveryDelay"),
        ],
    },
    ContainerType {
        name: "fraudData",
        fields: &[
            text("allowedCardArea"),
            text("allowedCardCountryList"),
            text("allowedIpArea"),
            text("allowedIpCountryList"),
            text("bypass3DS"),
            text("bypassCtrlList"),
            text("bypassInfoList"),
            text("deniedCardArea"),
            text("deniedCardCountryList"),
            text("deniedIpArea"),
            text("deniedIpCountryList"),
        ],
    },
    ContainerType {
        name: "shoppingCartDetail",
        fields: &[
            text("discountAmount"),
            text("mainProduct"),
            text("mainProductCategoryList"),
            container("shoppingCartItemList", "shoppingCartItem"),
            text("shoppingCartTotalAmount"),
            text("shoppingCartTotalQuantity"),
            text("shoppingCartTotalTaxAmount"),
        ],
    },
    ContainerType {
        name: "shoppingCartItem",
        fields: &[
            text("productCategory"),
            text("productCode"),
            text("productDescription"),
            text("productName"),
            text("productQuantity"),
            text("productSKU"),
            text("productTaxCategory"),
            text("productTaxRate"),
            text("productUnitAmount"),
            text("productUnitTaxAmount"),
        ],
    },
    ContainerType {
        name: "cardData",
        fields: &[
            text("cardBrand"),
            text("cardCorporateIndicator"),
            text("cardEffectiveDateIndicator"),
            text("cardProductCode"),
            text("cardProductName"),
            text("cardProductProfile"),
            text("cardProductUsageLabel"),
            text("cardScheme"),
            text("cardSeqNumberIndicator"),
            text("issuerCode"),
            text("issuerCountryCode"),
            text("issuerName"),
            text("issuerRegionCode"),
            text("panCheckAlgorithm"),
            text("panLengthMax"),
            text("panLengthMin"),
            text("virtualCardIndicator"),
        ],
    },
    ContainerType {
        name: "walletPaymentMeanData",
        fields: &[
            text("mandateId"),
            text("maskedPan"),
            text("panExpiryDate"),
            text("paymentMeanAlias"),
            text("paymentMeanBrand"),
            text("paymentMeanBrandSelectionStatus"),
            text("paymentMeanId"),
        ],
    },
];

#[cfg(test)]
fn container_type(name: &str) -> Option<&'static ContainerType> {
    CONTAINER_TYPES.iter().find(|container| container.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_types_exist() {
        let lists: [&[Element]; 2] = [REQUEST_FIELDS, ANSWER_FIELDS];
        let all = lists.into_iter().chain(CONTAINER_TYPES.iter().map(|container| container.fields));
        for fields in all {
            let mut seen = HashSet::new();
            for element in fields {
                assert!(seen.insert(element.name), "{} twice", element.name);
                assert!(element.name.bytes().all(|b| b.is_ascii_alphanumeric()), "{}", element.name);
                if let Kind::Container(type_name) = element.kind {
                    assert!(container_type(type_name).is_some(), "{type_name}");
                }
            }
        }
        assert!(name_is_list("shoppingCartItemList") && !name_is_list("List") && !name_is_list("seal"));
        let names: HashSet<_> = CONTAINER_TYPES.iter().map(|container| container.name).collect();
        assert_eq!(names.len(), CONTAINER_TYPES.len());
        assert!(!names.contains("input") && !names.contains("output"));
    }

    /// Every field a method module writes into an answer is declared, or zeep (strict by
    /// default) refuses the answer. Reads the modules' source: `.text("…"`, `.number("…"`,
    /// `insert("…"` and the like.
    #[test]
    fn every_answer_field_of_every_method_is_declared() {
        let mut declared: HashSet<&str> = ANSWER_FIELDS.iter().map(|element| element.name).collect();
        for element in ANSWER_FIELDS {
            if let Kind::Container(type_name) = element.kind {
                declared.extend(container_type(type_name).unwrap().fields.iter().map(|field| field.name));
            }
        }
        let mut files = Vec::new();
        let mut directories = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/methods"))];
        while let Some(directory) = directories.pop() {
            for entry in std::fs::read_dir(directory).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    directories.push(path);
                } else if path.extension().is_some_and(|extension| extension == "rs") {
                    files.push(path);
                }
            }
        }
        let writers = [
            ".text(\"",
            ".maybe_text(\"",
            ".number(\"",
            ".date(\"",
            ".date_time(\"",
            ".container(\"",
            ".container_list(\"",
            "insert(\"",
            " text(\"",
            " put(\"",
        ];
        let mut checked = 0;
        for path in files {
            let source = std::fs::read_to_string(&path).unwrap();
            for writer in writers {
                for (at, _) in source.match_indices(writer) {
                    // `fields.text("…")` reads a request field.
                    if source[..at].ends_with("fields") {
                        continue;
                    }
                    let rest = &source[at + writer.len()..];
                    let name = &rest[..rest.find('"').unwrap()];
                    // Writers take a name and a value; `text("…")?` reads a request field.
                    if rest[name.len() + 1..].starts_with(')') {
                        continue;
                    }
                    checked += 1;
                    assert!(
                        declared.contains(name),
                        "{}: answer field {name} is not in soap/dictionary.rs",
                        path.display()
                    );
                }
            }
        }
        assert!(checked > 30, "the scan found the answer fields ({checked})");
    }
}
