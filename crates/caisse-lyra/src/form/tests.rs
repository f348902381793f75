//! A form from posted pairs to a `PaymentRequest` or its error, as the server will run it.

use super::*;
use caisse_core::{Amount, Currency, Mode, ShopId};
use chrono::{DateTime, Duration, TimeZone, Utc};

const KEY: &str = "1122334455667788";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 14, 2, 17).unwrap()
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%d%H%M%S").to_string()
}

fn base() -> Vec<(String, String)> {
    [
        ("vads_action_mode", "INTERACTIVE".to_owned()),
        ("vads_amount", "1524".to_owned()),
        ("vads_ctx_mode", "TEST".to_owned()),
        ("vads_currency", "978".to_owned()),
        ("vads_page_action", "PAYMENT".to_owned()),
        ("vads_payment_config", "SINGLE".to_owned()),
        ("vads_site_id", "12345678".to_owned()),
        ("vads_trans_date", stamp(now())),
        ("vads_trans_id", "xrT15p".to_owned()),
        ("vads_version", "V2".to_owned()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v))
    .collect()
}

fn with(mut pairs: Vec<(String, String)>, changes: &[(&str, Option<&str>)]) -> Vec<(String, String)> {
    for (name, value) in changes {
        pairs.retain(|(posted, _)| posted != name);
        if let Some(value) = value {
            pairs.push((name.to_string(), value.to_string()));
        }
    }
    pairs
}

/// Signs, then runs the steps the server runs.
fn read(pairs: Vec<(String, String)>) -> Result<PaymentRequest, FormError> {
    let mut pairs = pairs;
    let signature = sign(SignatureAlgorithm::HmacSha256, KEY, pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    pairs.push(("signature".into(), signature));
    let post = FormPost::from_pairs(pairs);
    let (shop, mode) = post.shop()?;
    assert_eq!((shop.as_str(), mode), ("12345678", Mode::Test));
    post.verify_signature(SignatureAlgorithm::HmacSha256, KEY)?;
    PaymentRequest::parse(&post, now())
}

fn read_with(changes: &[(&str, Option<&str>)]) -> Result<PaymentRequest, FormError> {
    read(with(base(), changes))
}

fn refused(changes: &[(&str, Option<&str>)]) -> FormError {
    match read_with(changes) {
        Ok(_) => panic!("{changes:?} should be refused"),
        Err(error) => error,
    }
}

#[test]
fn a_plain_payment_form() {
    let request = read(base()).unwrap();
    assert_eq!(request.site_id, ShopId("12345678".into()));
    assert_eq!(request.ctx_mode, Mode::Test);
    assert_eq!(request.trans_id.as_deref(), Some("xrT15p"));
    assert_eq!(request.trans_date, now());
    assert_eq!(request.trans_date_text(), stamp(now()));
    assert_eq!(request.amount, Amount(1524));
    assert_eq!(request.currency, Some(Currency::EUR));
    assert_eq!(request.action_mode, ActionMode::Interactive);
    assert_eq!(request.page_action, PageAction::Payment);
    assert_eq!(request.payment_config, PaymentConfig::Single);
    assert_eq!(request.capture_delay, None);
    assert_eq!(request.validation_mode, None);
    assert!(request.payment_cards.is_empty());
    assert_eq!(request.returns.return_mode, ReturnMode::Get);
    assert!(!request.is_cpay());
    assert_eq!(request.echo.len(), 10);
}

#[test]
fn every_field_back_as_sent_and_foreign_fields_ignored() {
    let request = read_with(&[
        ("vads_cust_first_name", Some("Pïerre")),
        ("vads_cust_state", Some("")),
        ("vads_ship_to_city", Some("Bordeaux")),
        ("vads_order_id", Some("S00036-6")),
        ("vads_order_info", Some("Code interphone 3125")),
        ("vads_ext_info_session", Some("abc")),
        ("vads_unknown_field", Some("kept in the signature only")),
        ("payer", Some("Payer")),
        ("order_note", Some("<not checked>")),
    ])
    .unwrap();
    assert_eq!(
        request.customer,
        vec![("vads_cust_first_name".into(), "Pïerre".into()), ("vads_cust_state".into(), String::new())]
    );
    assert_eq!(request.shipping, vec![("vads_ship_to_city".into(), "Bordeaux".into())]);
    assert_eq!(request.buyer_field("vads_cust_first_name"), Some("Pïerre"));
    assert_eq!(request.buyer_field("vads_cust_state"), None);
    assert_eq!(request.order.order_id.as_deref(), Some("S00036-6"));
    let echoed: Vec<&str> = request.echo.iter().map(|(n, _)| n.as_str()).collect();
    for name in ["vads_cust_state", "vads_ship_to_city", "vads_order_info", "vads_ext_info_session", "vads_trans_id"] {
        assert!(echoed.contains(&name), "{name}");
    }
    assert!(!echoed.contains(&"vads_unknown_field"));
    assert!(!echoed.contains(&"payer"));
}

#[test]
fn empty_optional_fields_are_not_given() {
    let request = read_with(&[
        ("vads_capture_delay", Some("")),
        ("vads_validation_mode", Some("")),
        ("vads_payment_cards", Some("")),
        ("vads_language", Some("")),
        ("vads_return_mode", Some("")),
        ("vads_url_return", Some("")),
    ])
    .unwrap();
    assert_eq!(request.capture_delay, None);
    assert_eq!(request.validation_mode, None);
    assert!(request.payment_cards.is_empty());
    assert_eq!(request.language, None);
    assert_eq!(request.returns.url_return, None);
}

#[test]
fn required_fields() {
    for (name, number) in [
        ("vads_version", 1),
        ("vads_trans_id", 3),
        ("vads_trans_date", 4),
        ("vads_payment_config", 7),
        ("vads_amount", 9),
        ("vads_currency", 10),
        ("vads_page_action", 46),
        ("vads_action_mode", 47),
    ] {
        assert_eq!(refused(&[(name, None)]), FormError::missing(name, number), "{name} absent");
        assert_eq!(refused(&[(name, Some(""))]), FormError::missing(name, number), "{name} empty");
    }
}

/// One failing and one passing value per field the request types.
#[test]
fn field_formats() {
    let cases: &[(&str, &str, &str, u16)] = &[
        ("vads_version", "V1", "V2", 1),
        ("vads_trans_id", "12345", "aS76J3", 3),
        ("vads_trans_id", "900001", "899999", 3),
        ("vads_trans_date", "20261125140217x", "20261125140000", 4),
        ("vads_validation_mode", "2", "1", 5),
        ("vads_capture_delay", "1000", "3", 6),
        ("vads_payment_config", "MULTI:first=100", "MULTI:first=524;count=3;period=30", 7),
        ("vads_payment_cards", "ALL", "CB;VISA;MASTERCARD", 8),
        ("vads_amount", "15.24", "999999999999", 9),
        ("vads_currency", "EUR", "840", 10),
        ("vads_language", "FR", "en", 12),
        ("vads_order_id", "a&b", "order_12-A", 13),
        ("vads_order_info2", "<b>", "Sans ascenseur", 14),
        ("vads_cust_email", &"a".repeat(151), "abc@example.com", 15),
        ("vads_cust_country", "FRA", "FR", 22),
        ("vads_cust_phone", &"1".repeat(33), "(00.571) 638.14.00", 23),
        ("vads_url_success", "javascript:alert(1)", "https://shop.example/ok", 24),
        ("vads_url_return", "shop.example", "http://localhost:8000/return", 28),
        ("vads_identifier", &"t".repeat(51), "my-token-1", 30),
        ("vads_theme_config", "SIMPLIFIED_DISPLAY", "SIMPLIFIED_DISPLAY=true;RESPONSIVE_MODEL=Model_1", 32),
        ("vads_url_check", "ftp://x", "https://shop.example/ipn", 33),
        ("vads_redirect_success_timeout", "301", "5", 34),
        ("vads_redirect_error_timeout", "x", "0", 36),
        ("vads_page_action", "PAY", "ASK_REGISTER_PAY", 46),
        ("vads_action_mode", "interactive", "INTERACTIVE", 47),
        ("vads_return_mode", "PUT", "POST", 48),
        ("vads_threeds_mpi", "6", "2", 50),
        ("vads_payment_src", "WEB", "EC", 60),
        ("vads_cust_status", "PERSON", "COMPANY", 92),
        ("vads_ship_to_country", "F", "FR", 86),
        ("vads_ship_to_type", "HOME", "RELAY_POINT", 94),
        ("vads_ship_to_speed", "SLOW", "EXPRESS", 95),
        ("vads_payment_option_code", "CPT-1", "CPT", 103),
        ("vads_cust_first_name", &"é".repeat(64), &"é".repeat(63), 104),
        ("vads_shipping_amount", "1,5", "150", 109),
        ("vads_ship_to_legal_name", &"x".repeat(101), "D. & Cie", 125),
        ("vads_ext_info_key", "<x>", "any value", 91),
    ];
    for (name, bad, good, number) in cases {
        assert_eq!(refused(&[(name, Some(bad))]), FormError::format(name.to_string(), *number), "{name}={bad}");
        assert!(read_with(&[(name, Some(good))]).is_ok(), "{name}={good}: {:?}", read_with(&[(name, Some(good))]));
    }
}

#[test]
fn the_lowest_numbered_fault_is_reported() {
    let error = refused(&[("vads_currency", Some("EUR")), ("vads_amount", Some("x")), ("vads_language", Some("xx"))]);
    assert_eq!(error, FormError::format("vads_amount", 9));
    let error = refused(&[("vads_currency", None), ("vads_trans_id", Some("bad"))]);
    assert_eq!(error, FormError::format("vads_trans_id", 3));
}

#[test]
fn trans_date_window() {
    let at = |offset: Duration| stamp(now() + offset);
    for ok in [Duration::minutes(-30), Duration::minutes(-29), Duration::minutes(89), Duration::minutes(90)] {
        assert!(read_with(&[("vads_trans_date", Some(&at(ok)))]).is_ok(), "{ok}");
    }
    for late in [Duration::minutes(-31), Duration::minutes(91), Duration::days(-1), Duration::days(365)] {
        assert_eq!(refused(&[("vads_trans_date", Some(&at(late)))]), FormError::format("vads_trans_date", 4), "{late}");
    }
}

#[test]
fn amounts_and_schedules() {
    assert_eq!(refused(&[("vads_amount", Some("0"))]), FormError::format("vads_amount", 9));
    assert_eq!(
        refused(&[("vads_payment_config", Some("MULTI:first=2000;count=3;period=30"))]),
        FormError::format("vads_payment_config", 7)
    );
    let request = read_with(&[("vads_payment_config", Some("MULTI:first=524;count=3;period=30"))]).unwrap();
    assert_eq!(request.payment_config, PaymentConfig::Multi { first: Amount(524), count: 3, period: 30 });
    assert!(read_with(&[("vads_payment_config", Some("MULTI_EXT:20261125=1000;20261225=524"))]).is_ok());
    for bad in [
        "MULTI_EXT:20261125=1000;20261225=500",
        "MULTI_EXT:20261124=1000;20261225=524",
        "MULTI_EXT:20261125=1000;20271226=524",
    ] {
        assert_eq!(
            refused(&[("vads_payment_config", Some(bad))]),
            FormError::format("vads_payment_config", 7),
            "{bad}"
        );
    }
}

#[test]
fn page_actions_decide_what_is_required() {
    let register = read_with(&[
        ("vads_page_action", Some("REGISTER")),
        ("vads_trans_id", None),
        ("vads_amount", None),
        ("vads_currency", None),
        ("vads_payment_config", None),
        ("vads_cust_email", Some("abc@example.com")),
    ])
    .unwrap();
    assert_eq!(register.trans_id, None);
    assert_eq!(register.amount, Amount::ZERO);
    assert_eq!(register.currency, None);

    assert_eq!(refused(&[("vads_page_action", Some("REGISTER_UPDATE"))]), FormError::missing("vads_identifier", 30));
    assert!(read_with(&[("vads_page_action", Some("REGISTER_UPDATE_PAY")), ("vads_identifier", Some("tok1"))]).is_ok());

    let subscribe = [("vads_page_action", Some("REGISTER_SUBSCRIBE")), ("vads_amount", Some("0"))];
    assert_eq!(refused(&subscribe), FormError::missing("vads_sub_desc", 64));
    let full = [
        subscribe[0],
        subscribe[1],
        ("vads_sub_desc", Some("RRULE:FREQ=MONTHLY;COUNT=12;BYMONTHDAY=10")),
        ("vads_sub_amount", Some("1500")),
        ("vads_sub_currency", Some("978")),
        ("vads_sub_effect_date", Some("20261201")),
    ];
    let request = read_with(&full).unwrap();
    let subscription = request.subscription.unwrap();
    assert_eq!(subscription.amount, Amount(1500));
    assert_eq!(subscription.effect_date.to_string(), "2026-12-01");
    let mut past = full;
    past[5] = ("vads_sub_effect_date", Some("20261124"));
    assert_eq!(refused(&past), FormError::format("vads_sub_effect_date", 69));
}

#[test]
fn silent_mode_is_not_offered() {
    assert_eq!(refused(&[("vads_action_mode", Some("SILENT"))]), FormError::format("vads_action_mode", 47));
}

#[test]
fn card_numbers_outside_card_fields_are_refused() {
    assert_eq!(
        refused(&[("vads_order_info", Some("4970 1000 0000 0014"))]),
        FormError::sensitive_data("vads_order_info")
    );
    assert_eq!(
        refused(&[("vads_card_number", Some("4970100000000014"))]),
        FormError::sensitive_data("vads_card_number")
    );
    // A phone number is not a card number.
    assert!(read_with(&[("vads_cust_phone", Some("0033123456789"))]).is_ok());
}

fn line(
    index: usize,
    label: &str,
    amount: &str,
    kind: &str,
    reference: &str,
    qty: &str,
) -> Vec<(String, Option<String>)> {
    [
        ("vads_product_label", label),
        ("vads_product_amount", amount),
        ("vads_product_type", kind),
        ("vads_product_ref", reference),
        ("vads_product_qty", qty),
    ]
    .iter()
    .map(|(base, value)| (format!("{base}{index}"), Some(value.to_string())))
    .collect()
}

fn read_cart(
    count: Option<&str>,
    lines: Vec<Vec<(String, Option<String>)>>,
    extra: &[(&str, Option<&str>)],
) -> Result<PaymentRequest, FormError> {
    let owned: Vec<(String, Option<String>)> = lines.into_iter().flatten().collect();
    let mut changes: Vec<(&str, Option<&str>)> = owned.iter().map(|(n, v)| (n.as_str(), v.as_deref())).collect();
    changes.push(("vads_nb_products", count));
    changes.extend_from_slice(extra);
    read_with(&changes)
}

#[test]
fn cart_lines() {
    let two = || {
        vec![
            line(0, "Séjour 3 jours datés", "32150", "TRAVEL", "1002127784", "1"),
            line(1, "Concert privé", "10700", "ENTERTAINMENT", "1002127693", "2"),
        ]
    };
    let request = read_cart(
        Some("2"),
        two(),
        &[("vads_product_vat1", Some("20.0")), ("vads_product_ext_id0", Some("0123654789123654789"))],
    )
    .unwrap();
    assert_eq!(request.cart.len(), 2);
    assert_eq!(request.cart[0].label, "Séjour 3 jours datés");
    assert_eq!(request.cart[0].amount, Amount(32150));
    assert_eq!(request.cart[0].ext_id.as_deref(), Some("0123654789123654789"));
    assert_eq!(request.cart[1].quantity, 2);
    assert_eq!(request.cart[1].vat, Some(ProductVat::Rate("20.0".into())));
    assert!(request.echo.iter().any(|(n, _)| n == "vads_product_label1"));

    // A missing line field.
    let missing = read_cart(Some("2"), two(), &[("vads_product_label1", None)]).unwrap_err();
    assert_eq!(missing, FormError::missing("vads_product_label1", 97));
    let missing = read_cart(Some("3"), two(), &[]).unwrap_err();
    assert_eq!(missing, FormError::missing("vads_product_label2", 97));
    // Bad values.
    for (name, bad, number) in [
        ("vads_product_type0", "FOOD", 98),
        ("vads_product_ref0", "<ref>", 100),
        ("vads_product_qty0", "0", 101),
        ("vads_product_qty1", "1.5", 101),
        ("vads_product_amount1", "-1", 102),
        ("vads_product_vat0", "100.5", 203),
    ] {
        let error = read_cart(Some("2"), two(), &[(name, Some(bad))]).unwrap_err();
        assert_eq!(error, FormError::format(name, number), "{name}={bad}");
    }
    // Lines beyond vads_nb_products, or without it.
    assert_eq!(read_cart(Some("1"), two(), &[]).unwrap_err(), FormError::format("vads_product_label1", 97));
    assert_eq!(read_cart(None, two(), &[]).unwrap_err().number, 97);
    // Empty beyond-count fields are "not given".
    let empty_extra = read_cart(Some("2"), two(), &[("vads_product_label2", Some(""))]).unwrap();
    assert_eq!(empty_extra.cart.len(), 2);
    // A bad count, or none at all.
    assert_eq!(read_cart(Some("two"), two(), &[]).unwrap_err(), FormError::format("vads_nb_products", 99));
    assert!(read_cart(Some("0"), vec![], &[]).unwrap().cart.is_empty());
    // A huge count stops at the first missing line.
    assert_eq!(read_cart(Some("999999999999"), two(), &[]).unwrap_err(), FormError::missing("vads_product_label2", 97));
}

/// The seed's Cpay form (section 10.1), dated now.
fn cpay() -> Vec<(String, String)> {
    with(
        base(),
        &[
            ("vads_amount", Some("2990")),
            ("vads_capture_delay", Some("0")),
            ("vads_cust_country", Some("FR")),
            ("vads_cust_email", Some("me@example.com")),
            ("vads_cust_first_name", Some("John")),
            ("vads_cust_last_name", Some("Doe")),
            ("vads_cust_phone", Some("+33102030405")),
            ("vads_payment_cards", Some("AURORE-MULTI")),
            ("vads_trans_id", Some("362812")),
            ("vads_validation_mode", Some("0")),
        ],
    )
}

#[test]
fn cpay_form() {
    let request = read(cpay()).unwrap();
    assert!(request.is_cpay());
    assert_eq!(request.capture_delay, Some(0));
    assert_eq!(request.validation_mode, Some(ValidationMode::Automatic));

    // Any other capture delay is ignored; no validation mode means automatic.
    let request = read(with(cpay(), &[("vads_capture_delay", Some("5")), ("vads_validation_mode", None)])).unwrap();
    assert_eq!(request.capture_delay, Some(0));
    assert_eq!(request.validation_mode, Some(ValidationMode::Automatic));

    for (change, name, number) in [
        (("vads_currency", Some("840")), "vads_currency", 10),
        (("vads_validation_mode", Some("1")), "vads_validation_mode", 5),
        (("vads_cust_country", Some("BE")), "vads_cust_country", 22),
        (("vads_ship_to_country", Some("DE")), "vads_ship_to_country", 86),
        (("vads_page_action", Some("REGISTER_PAY")), "vads_page_action", 46),
        (("vads_payment_config", Some("MULTI:first=990;count=2;period=30")), "vads_payment_config", 7),
    ] {
        let error = read(with(cpay(), &[change])).unwrap_err();
        assert_eq!(error, FormError::format(name, number), "{change:?}");
    }
    // The same values are fine without Cpay.
    assert!(read(with(cpay(), &[("vads_payment_cards", Some("CB")), ("vads_currency", Some("840"))])).is_ok());
}

#[test]
fn trans_id_is_kept_as_sent_and_keyed_in_lowercase() {
    let request = read(base()).unwrap();
    let key = trans_id_key(&request.site_id, request.trans_date, request.trans_id.as_deref().unwrap());
    assert_eq!(key.trans_id, "xrt15p");
    assert_eq!(request.trans_id.as_deref(), Some("xrT15p"));
    assert!(request.echo.contains(&("vads_trans_id".into(), "xrT15p".into())));
}

#[test]
fn the_dictionary_names_every_field_the_request_reads() {
    // `typed`/`error` look names up in the table; a renamed entry would fail here, not at run time.
    let source = include_str!("request.rs").to_owned() + include_str!("rules.rs");
    let mut rest = source.as_str();
    while let Some(start) = rest.find("\"vads_") {
        let after = &rest[start + 1..];
        let end = after.find('"').unwrap();
        let name = &after[..end];
        let is_prefix = name.ends_with('_');
        if !is_prefix {
            assert!(lookup(name).is_some() || lookup(&format!("{name}0")).is_some(), "{name}");
        }
        rest = &after[end + 1..];
    }
}
