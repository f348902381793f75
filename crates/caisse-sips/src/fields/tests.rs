use super::*;
use serde_json::json;

fn with(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

const MISSING: ResponseCode = ResponseCode::InvalidTransaction;
const FORMAT: ResponseCode = ResponseCode::FormatError;

fn error(code: ResponseCode, field: &'static str) -> FieldError {
    FieldError { code, field: field.into() }
}

#[test]
fn text_accepts_strings_and_numbers_and_treats_empty_as_absent() {
    let map = with(json!({
        "s": "abc", "n": 978, "empty": "", "null": null, "b": true, "o": {"a": "b"}, "l": ["x"],
        "eo": {}, "el": [],
    }));
    let fields = Fields::new(&map);
    assert_eq!(fields.text("s").unwrap().as_deref(), Some("abc"));
    assert_eq!(fields.text("n").unwrap().as_deref(), Some("978"));
    for absent in ["empty", "null", "missing", "eo", "el"] {
        assert_eq!(fields.text(absent).unwrap(), None, "{absent}");
    }
    assert_eq!(fields.required_text("empty"), Err(error(MISSING, "empty")));
    for wrong in ["b", "o", "l"] {
        assert_eq!(fields.text(wrong), Err(error(FORMAT, wrong)), "{wrong}");
    }
}

#[test]
fn amounts() {
    let read = |value: Value| Fields::new(&with(json!({ "amount": value }))).amount("amount");
    assert_eq!(read(json!("2500")), Ok(Amount(2500)));
    assert_eq!(read(json!(2500)), Ok(Amount(2500)));
    assert_eq!(read(json!("999999999999")), Ok(Amount::MAX));
    assert_eq!(read(json!("0100")), Ok(Amount(100)));
    for bad in [
        json!("0"),
        json!(0),
        json!("1000000000000"),
        json!("-5"),
        json!(-5),
        json!("10.5"),
        json!(10.5),
        json!("1e3"),
        json!(" 25"),
        json!("25 "),
        json!("2 5"),
        json!("abc"),
        json!(true),
        json!({"a": "1"}),
    ] {
        assert_eq!(read(bad.clone()), Err(error(FORMAT, "amount")), "{bad}");
    }
    for missing in [json!(null), json!("")] {
        assert_eq!(read(missing), Err(error(MISSING, "amount")));
    }
    assert_eq!(Fields::new(&with(json!({}))).amount("operationAmount"), Err(error(MISSING, "operationAmount")));
}

#[test]
fn currencies() {
    let read = |value: Value| Fields::new(&with(json!({ "currencyCode": value }))).currency();
    assert_eq!(read(json!("978")).unwrap(), Currency::EUR);
    assert_eq!(read(json!(978)).unwrap(), Currency::EUR);
    assert_eq!(read(json!("036")).unwrap().alpha_code(), "AUD");
    assert_eq!(read(json!(36)).unwrap().alpha_code(), "AUD");
    for bad in [json!("EUR"), json!("97"), json!("9780"), json!("000"), json!("959"), json!("36")] {
        assert_eq!(read(bad.clone()), Err(error(FORMAT, "currencyCode")), "{bad}");
    }
    assert_eq!(read(json!(null)), Err(error(MISSING, "currencyCode")));
}

#[test]
fn capture_fields() {
    let read = |value: Value| Fields::new(&with(json!({ "captureDay": value }))).capture_day();
    assert_eq!(read(json!("0")), Ok(Some(0)));
    assert_eq!(read(json!("99")), Ok(Some(99)));
    assert_eq!(read(json!(7)), Ok(Some(7)));
    assert_eq!(read(json!(null)), Ok(None));
    for bad in [json!("100"), json!("-1"), json!("a"), json!(1.5)] {
        assert_eq!(read(bad.clone()), Err(error(FORMAT, "captureDay")), "{bad}");
    }
    let mode = |value: Value| Fields::new(&with(json!({ "captureMode": value }))).capture_mode();
    assert_eq!(mode(json!("VALIDATION")), Ok(Some(CaptureMode::Validation)));
    assert_eq!(mode(json!("AUTHOR_CAPTURE")), Ok(Some(CaptureMode::AuthorCapture)));
    assert_eq!(mode(json!("IMMEDIATE")), Ok(Some(CaptureMode::Immediate)));
    assert_eq!(mode(json!("validation")), Err(error(FORMAT, "captureMode")));
}

#[test]
fn enumerations() {
    let map = with(json!({ "orderChannel": "INTERNET", "paymentPattern": "MONTHLY" }));
    let fields = Fields::new(&map);
    assert_eq!(fields.one_of("orderChannel", &ORDER_CHANNELS), Ok(Some("INTERNET")));
    assert_eq!(fields.one_of("paymentPattern", &PAYMENT_PATTERNS), Err(error(FORMAT, "paymentPattern")));
    assert_eq!(fields.one_of("absent", &PAYMENT_PATTERNS), Ok(None));
}

#[test]
fn card_fields() {
    let map = with(json!({
        "cardNumber": "4100000000000000", "cardExpiryDate": "203012", "cardCSCValue": "123",
        "panType": "PAN", "paymentMeanBrand": "VISA",
    }));
    let fields = Fields::new(&map);
    assert_eq!(fields.pan().unwrap().digits(), "4100000000000000");
    assert_eq!(fields.expiry().unwrap().yyyymm(), "203012");
    assert_eq!(fields.csc(), Ok(Some("123".into())));
    assert_eq!(fields.pan_type_is_pan(), Ok(()));
    assert_eq!(fields.brand(), Ok(Some(CardBrand::Visa)));

    let card = |name: &str, value: Value| {
        let mut map = map.clone();
        map.insert(name.into(), value);
        map
    };
    for (name, bad) in [
        ("cardNumber", json!("41000000000")),
        ("cardNumber", json!("41000000000000000000")),
        ("cardNumber", json!("4100 0000 0000 0000")),
        ("cardExpiryDate", json!("203013")),
        ("cardExpiryDate", json!("203000")),
        ("cardExpiryDate", json!("3012")),
        ("cardExpiryDate", json!("2030-12")),
        ("cardCSCValue", json!("12")),
        ("cardCSCValue", json!("12345")),
        ("cardCSCValue", json!("12a")),
        ("panType", json!("TOKEN_PAN")),
        ("panType", json!("CSE")),
        ("panType", json!("pan")),
        ("paymentMeanBrand", json!("PAYPAL")),
    ] {
        let map = card(name, bad.clone());
        let fields = Fields::new(&map);
        let result = match name {
            "cardNumber" => fields.pan().map(|_| ()),
            "cardExpiryDate" => fields.expiry().map(|_| ()),
            "cardCSCValue" => fields.csc().map(|_| ()),
            "panType" => fields.pan_type_is_pan(),
            _ => fields.brand().map(|_| ()),
        };
        assert_eq!(
            result,
            Err(error(
                FORMAT,
                match name {
                    "cardNumber" => "cardNumber",
                    "cardExpiryDate" => "cardExpiryDate",
                    "cardCSCValue" => "cardCSCValue",
                    "panType" => "panType",
                    _ => "paymentMeanBrand",
                }
            )),
            "{name} {bad}"
        );
    }
    let empty = with(json!({}));
    let fields = Fields::new(&empty);
    assert_eq!(fields.pan().map(|_| ()), Err(error(MISSING, "cardNumber")));
    assert_eq!(fields.expiry().map(|_| ()), Err(error(MISSING, "cardExpiryDate")));
    assert_eq!(fields.csc(), Ok(None));
    assert_eq!(fields.pan_type_is_pan(), Ok(()));
}

#[test]
fn references() {
    let read = |value: Value| {
        Fields::new(&with(json!({ "transactionReference": value }))).required_reference("transactionReference")
    };
    assert_eq!(read(json!("TREFEXA2012")), Ok("TREFEXA2012".into()));
    assert_eq!(read(json!("A".repeat(35))), Ok("A".repeat(35)));
    for bad in [json!("A".repeat(36)), json!("REF-1"), json!("REF 1"), json!("réf")] {
        assert_eq!(read(bad.clone()), Err(error(FORMAT, "transactionReference")), "{bad}");
    }
    assert_eq!(read(json!("")), Err(error(MISSING, "transactionReference")));
}

#[test]
fn transaction_keys() {
    let key = |value: Value| Fields::new(&with(value)).transaction_key(today());
    assert_eq!(key(json!({ "transactionReference": "REF1" })), Ok(TransactionKey::Reference("REF1".into())));
    assert_eq!(
        key(json!({ "s10TransactionReference": {
            "s10TransactionId": "000042", "s10TransactionIdDate": "20261127" } })),
        Ok(TransactionKey::S10 { id: 42, date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap() })
    );
    assert_eq!(
        key(json!({ "s10TransactionReference": { "s10TransactionId": 7 } })),
        Ok(TransactionKey::S10 { id: 7, date: today() })
    );
    assert_eq!(
        key(json!({ "transactionReference": "REF1",
                    "s10TransactionReference": { "s10TransactionId": "1" } })),
        Ok(TransactionKey::Reference("REF1".into())),
        "transactionReference wins"
    );
    assert_eq!(key(json!({})), Err(error(MISSING, "transactionReference")));
    assert_eq!(key(json!({ "s10TransactionReference": {} })), Err(error(MISSING, "transactionReference")));
    assert_eq!(key(json!({ "s10TransactionReference": "000042" })), Err(error(FORMAT, "s10TransactionReference")));
    assert_eq!(
        key(json!({ "s10TransactionReference": { "s10TransactionIdDate": "20261127" } })),
        Err(error(MISSING, "s10TransactionId"))
    );
    for bad in ["1234567", "12a", "-1"] {
        assert_eq!(
            key(json!({ "s10TransactionReference": { "s10TransactionId": bad } })),
            Err(error(FORMAT, "s10TransactionId")),
            "{bad}"
        );
    }
    for bad in ["20261131", "2026113", "202611271", "2026-11-27"] {
        assert_eq!(
            key(json!({ "s10TransactionReference": {
                "s10TransactionId": "1", "s10TransactionIdDate": bad } })),
            Err(error(FORMAT, "s10TransactionIdDate")),
            "{bad}"
        );
    }
    let from = |value: Value| Fields::new(&with(value)).source_transaction_key(today());
    assert_eq!(from(json!({ "fromTransactionReference": "SRC1" })), Ok(TransactionKey::Reference("SRC1".into())));
    assert_eq!(
        from(json!({ "s10FromTransactionReference": { "s10FromTransactionId": "5" } })),
        Ok(TransactionKey::S10 { id: 5, date: today() })
    );
    assert_eq!(from(json!({})), Err(error(MISSING, "fromTransactionReference")));
}

#[test]
fn envelope_fields() {
    let map = with(json!({ "merchantId": "011223344550000", "keyVersion": 1 }));
    let fields = Fields::new(&map);
    assert_eq!(fields.merchant_id("merchantId"), Ok(Some(ShopId("011223344550000".into()))));
    assert_eq!(fields.key_version(), Ok(Some(1)));
    let bad = with(json!({ "merchantId": "0112233445500001", "keyVersion": "v1" }));
    let fields = Fields::new(&bad);
    assert_eq!(fields.merchant_id("merchantId"), Err(error(FORMAT, "merchantId")));
    assert_eq!(fields.key_version(), Err(error(FORMAT, "keyVersion")));
    let huge = with(json!({ "keyVersion": "9999999999" }));
    assert_eq!(Fields::new(&huge).key_version(), Err(error(FORMAT, "keyVersion")));
}

#[test]
fn bounded_text() {
    let map = with(json!({ "orderId": "é".repeat(32), "long": "x".repeat(33) }));
    let fields = Fields::new(&map);
    assert_eq!(fields.bounded_text("orderId", 32), Ok(Some("é".repeat(32))));
    assert_eq!(fields.bounded_text("long", 32), Err(error(FORMAT, "long")));
}
