use super::*;
use proptest::prelude::*;
use serde_json::json;

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

/// The JSON guide's seal example (customerContact container, HMAC-SHA-256, key secret123).
fn guide_first_example() -> Map<String, Value> {
    object(json!({
      "amount": "2500",
      "captureDay": "0",
      "captureMode": "AUTHOR_CAPTURE",
      "cardCSCValue": "000",
      "cardExpiryDate": "201612",
      "cardNumber": "1234123412341234",
      "currencyCode": "978",
      "customerContact": {
        "email": "customer@email.com"
      },
      "interfaceVersion": "IR_WS_2.3",
      "keyVersion": "1",
      "merchantId": "011223344550000",
      "orderChannel": "INTERNET",
      "orderId": "ORD101",
      "returnContext": "ReturnContext",
      "transactionOrigin": "SO_WEBAPPLI",
      "transactionReference": "TREFEXA2012",
      "seal": "f1772faa4b73c0fc5a9810ad7fcaf91458d6174b2178a0a0a2bea2d860b404f5"
    }))
}

/// The JSON guide's second example, field for field (shoppingCartDetail holding a list of
/// objects, `sealAlgorithm: SHA-256`, the test environment's merchant).
fn guide_second_example() -> Map<String, Value> {
    object(json!({
      "amount": "1000",
      "captureDay": "0",
      "captureMode": "AUTHOR_CAPTURE",
      "cardCSCValue": "100",
      "cardExpiryDate": "202305",
      "cardNumber": "5017670000000000",
      "currencyCode": "978",
      "customerId": "customerId1",
      "customerIpAddress": "127.0.0.1",
      "interfaceVersion": "IR_WS_2.49",
      "keyVersion": "1",
      "merchantId": "201040040170001",
      "merchantTransactionDateTime": "2023-04-05T10:01:56.520+02:00",
      "orderChannel": "INTERNET",
      "orderId": "123",
      "panType": "PAN",
      "paymentPattern": "ONE_SHOT",
      "returnContext": "Mon contexte de retour",
      "sealAlgorithm": "SHA-256",
      "shoppingCartDetail": {
        "shoppingCartItemList": [
          {
            "productCategory": "Physical",
            "productCode": "CodeProd1",
            "productDescription": "Prod_Description1",
            "productName": "productName1",
            "productQuantity": "2",
            "productSKU": "productSKU1",
            "productTaxRate": "0",
            "productUnitAmount": "10",
            "productUnitTaxAmount": "240"
          },
          {
            "productCategory": "Physical",
            "productCode": "CodeProd2",
            "productDescription": "Prod_Description2",
            "productName": "productName2",
            "productQuantity": "2",
            "productSKU": "productSKU2",
            "productTaxRate": "0",
            "productUnitAmount": "10",
            "productUnitTaxAmount": "240"
          }
        ],
        "shoppingCartTotalAmount": "40",
        "shoppingCartTotalTaxAmount": "960"
      },
      "transactionOrigin": "SIPS-SIM",
      "transactionReference": "SIM20230405100157",
      "seal": "44bab6daa67af2f6c91b40f08a428c66c151f80627ba2f905376b17a3d4c535c"
    }))
}

#[test]
fn guide_first_example_data_and_seal() {
    let message = guide_first_example();
    assert_eq!(
        data(&message, &UNSEALED_REQUEST_FIELDS).unwrap(),
        "25000AUTHOR_CAPTURE0002016121234123412341234978customer@email.comIR_WS_2.3\
         011223344550000INTERNETORD101ReturnContextSO_WEBAPPLITREFEXA2012"
    );
    assert_eq!(
        seal_request(&message, "secret123", SealAlgorithm::HmacSha256).unwrap(),
        "f1772faa4b73c0fc5a9810ad7fcaf91458d6174b2178a0a0a2bea2d860b404f5"
    );
}

#[test]
fn guide_second_example_sha256_with_list() {
    let message = guide_second_example();
    let algorithm = SealAlgorithm::parse(message["sealAlgorithm"].as_str().unwrap()).unwrap();
    assert_eq!(algorithm, SealAlgorithm::Sha256);
    assert_eq!(
        seal_request(&message, "rxSP61eeP_oNi5TxCD7Ngy9YcwC8MLw6OlmFGGcsY54", algorithm).unwrap(),
        "44bab6daa67af2f6c91b40f08a428c66c151f80627ba2f905376b17a3d4c535c"
    );
}

#[test]
fn plain_hmac_vector() {
    let message = object(json!({ "text": "This is a test!" }));
    assert_eq!(
        seal_request(&message, "superSafeSecretKey", SealAlgorithm::HmacSha256).unwrap(),
        "198e5f278e3f8548e174e84492953c4871732278b7e2aa2cbf20bb1ab85914ea"
    );
}

#[test]
fn hmac_sha512_is_128_hex_digits() {
    let message = object(json!({ "text": "This is a test!" }));
    let seal = seal_request(&message, "superSafeSecretKey", SealAlgorithm::HmacSha512).unwrap();
    assert_eq!(seal.len(), 128);
    assert_ne!(seal, seal_request(&message, "otherKey", SealAlgorithm::HmacSha512).unwrap());
}

#[test]
fn algorithm_names() {
    for algorithm in [SealAlgorithm::HmacSha256, SealAlgorithm::HmacSha512, SealAlgorithm::Sha256] {
        assert_eq!(SealAlgorithm::parse(algorithm.name()), Some(algorithm));
    }
    assert_eq!(SealAlgorithm::parse("HMAC-SHA256"), None);
    assert_eq!(SealAlgorithm::parse("hmac-sha-256"), None);
}

#[test]
fn empty_values_contribute_nothing_and_scalars_their_text() {
    let message = object(json!({
        "b": null, "c": "", "d": {}, "e": [], "f": [null, "", {}],
        "g": true, "h": false, "i": 42, "j": -7, "k": 1.5,
        "a": { "z": "last", "y": ["x", { "w": "v" }] },
    }));
    assert_eq!(data(&message, &[]).unwrap(), "xvlasttruefalse42-71.5");
}

#[test]
fn names_sort_by_bytes_not_case_insensitively() {
    // `authorResponseMessage` before `authorisationId`: 'R' (0x52) < 'i' (0x69).
    let message = object(json!({ "authorisationId": "2", "authorResponseMessage": "1", "Z": "0" }));
    assert_eq!(data(&message, &[]).unwrap(), "012");
}

#[test]
fn only_top_level_seal_fields_are_excluded() {
    let message = object(json!({
        "seal": "s", "keyVersion": "1", "sealAlgorithm": "SHA-256",
        "inner": { "seal": "kept", "keyVersion": "kept" },
    }));
    assert_eq!(data(&message, &UNSEALED_REQUEST_FIELDS).unwrap(), "keptkept");
    assert_eq!(data(&message, &UNSEALED_ANSWER_FIELDS).unwrap(), "keptkept1SHA-256");
}

#[test]
fn nesting_is_bounded() {
    let mut value = json!("leaf");
    // MAX_DEPTH - 1 containers under the message: allowed.
    for _ in 0..MAX_DEPTH - 1 {
        value = json!([value]);
    }
    let ok = object(json!({ "deep": value.clone() }));
    assert!(check_depth(&ok).is_ok());
    assert_eq!(data(&ok, &[]).unwrap(), "leaf");
    let too_deep = object(json!({ "a": "x", "deep": [value] }));
    assert_eq!(check_depth(&too_deep), Err(TooDeep { field: "deep".into() }));
    assert!(seal_request(&too_deep, "k", SealAlgorithm::HmacSha256).is_err());
}

#[test]
fn comparison_ignores_hex_case_only() {
    let seal = "f1772faa4b73c0fc5a9810ad7fcaf91458d6174b2178a0a0a2bea2d860b404f5";
    assert!(matches(seal, seal));
    assert!(matches(seal, &seal.to_ascii_uppercase()));
    assert!(!matches(seal, &seal[..63]));
    assert!(!matches(seal, ""));
    assert!(!matches(seal, "f1772faa4b73c0fc5a9810ad7fcaf91458d6174b2178a0a0a2bea2d860b404f6"));
}

/// An independent fold: builds the data string recursively with an explicit sort of the
/// names' UTF-8 bytes, then hashes the whole string at once.
mod reference {
    use super::*;

    pub fn data(value: &Value) -> String {
        match value {
            Value::Null => String::new(),
            Value::Bool(true) => "true".to_owned(),
            Value::Bool(false) => "false".to_owned(),
            Value::Number(number) => format!("{number}"),
            Value::String(text) => text.clone(),
            Value::Array(items) => items.iter().map(data).collect::<Vec<_>>().concat(),
            Value::Object(fields) => {
                let mut names: Vec<Vec<u8>> = fields.keys().map(|k| k.clone().into_bytes()).collect();
                names.sort();
                names
                    .into_iter()
                    .map(|name| data(&fields[&String::from_utf8(name).unwrap()]))
                    .collect::<Vec<_>>()
                    .concat()
            }
        }
    }

    pub fn seal(message: &Map<String, Value>, secret: &str, algorithm: SealAlgorithm) -> String {
        let mut kept = message.clone();
        for name in ["seal", "keyVersion", "sealAlgorithm"] {
            kept.remove(name);
        }
        let text = data(&Value::Object(kept));
        match algorithm {
            SealAlgorithm::HmacSha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
                mac.update(text.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            SealAlgorithm::HmacSha512 => {
                let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).unwrap();
                mac.update(text.as_bytes());
                hex::encode(mac.finalize().into_bytes())
            }
            SealAlgorithm::Sha256 => hex::encode(Sha256::digest(format!("{text}{secret}"))),
        }
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1.0e9f64..1.0e9).prop_map(|n| json!(n)),
        "\\PC{0,12}".prop_map(Value::String),
        Just(Value::String(String::new())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z0-9_é€]{0,8}", inner, 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn arbitrary_message() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("[a-zA-Z][a-zA-Z0-9]{0,10}|seal|keyVersion|sealAlgorithm", arbitrary_json(), 0..10)
        .prop_map(|fields| fields.into_iter().collect())
}

proptest! {
    #[test]
    fn streaming_fold_equals_reference(
        message in arbitrary_message(),
        secret in "\\PC{0,20}",
        algorithm in prop_oneof![
            Just(SealAlgorithm::HmacSha256),
            Just(SealAlgorithm::HmacSha512),
            Just(SealAlgorithm::Sha256),
        ],
    ) {
        prop_assert_eq!(
            seal_request(&message, &secret, algorithm).unwrap(),
            reference::seal(&message, &secret, algorithm)
        );
    }
}
