//! Whether a non-empty value fits a dictionary format. Lengths count characters, not bytes
//! (values are UTF-8).

use super::dictionary::Format;
use super::types::{PaymentConfig, ProductVat, date8};
use caisse_core::Currency;
use chrono::NaiveDateTime;

pub fn conforms(format: Format, value: &str) -> bool {
    let chars = value.chars().count();
    match format {
        Format::Digits { min, max } => (min..=max).contains(&chars) && value.bytes().all(|b| b.is_ascii_digit()),
        Format::Letters { min, max } => (min..=max).contains(&chars) && value.bytes().all(|b| b.is_ascii_alphabetic()),
        Format::AlphaNum { min, max } => {
            (min..=max).contains(&chars) && value.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        Format::Text { max } => chars <= max && is_ans(value),
        Format::Enum(values) => values.contains(&value),
        Format::EnumList(values) => value.split(';').all(|item| values.contains(&item)),
        Format::Map { max } => chars <= max && is_ans(value) && value.split(';').all(is_map_entry),
        Format::Seconds { max } => {
            chars <= 3 && value.bytes().all(|b| b.is_ascii_digit()) && value.parse::<u16>().is_ok_and(|s| s <= max)
        }
        Format::TransId => is_trans_id(value),
        Format::DateTime14 => datetime14(value).is_some(),
        Format::Date8 => date8(value).is_some(),
        Format::Currency => Currency::from_numeric_code(value).is_some(),
        Format::PaymentConfig => PaymentConfig::parse(value).is_some(),
        Format::OrderId => chars <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        Format::Url { max } => chars <= max && is_url(value),
        Format::Vat => ProductVat::parse(value).is_some(),
        Format::Rrule => chars <= 255 && is_ans(value) && value.starts_with("RRULE:") && value.len() > 6,
    }
}

/// `ans`: anything but `<` and `>` (and control characters, which forms cannot carry intact).
fn is_ans(value: &str) -> bool {
    !value.chars().any(|c| c == '<' || c == '>' || (c.is_control() && c != '\t'))
}

fn is_map_entry(entry: &str) -> bool {
    matches!(entry.split_once('='), Some((key, _)) if !key.is_empty())
}

/// an6 of `0-9a-zA-Z`; six digits from 900000 up are the platform's own (back office
/// refunds, manual payments).
fn is_trans_id(value: &str) -> bool {
    value.len() == 6
        && value.bytes().all(|b| b.is_ascii_alphanumeric())
        && !(value.bytes().all(|b| b.is_ascii_digit()) && value.as_bytes()[0] == b'9')
}

/// `YYYYMMDDHHMMSS`, a real UTC date and time on 24 hours.
pub fn datetime14(value: &str) -> Option<NaiveDateTime> {
    if value.len() != 14 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDateTime::parse_from_str(value, "%Y%m%d%H%M%S").ok()
}

/// Later steps redirect the buyer's browser there: only web URLs, nothing that a browser
/// would run (`javascript:`), no blanks.
fn is_url(value: &str) -> bool {
    let lower = value.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &value[8..]
    } else if lower.starts_with("http://") {
        &value[7..]
    } else {
        return false;
    };
    !rest.is_empty() && is_ans(value) && !value.chars().any(char::is_whitespace)
}

/// A value that looks like a card number: 13 to 19 digits (spaces and dashes between them
/// allowed) that start with 2 to 6 and pass the Luhn check. The platform refuses such values
/// in any field it does not expect a card in (code 999).
pub fn looks_like_pan(value: &str) -> bool {
    let mut digits = String::with_capacity(19);
    for c in value.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' => {}
            _ => return false,
        }
    }
    (13..=19).contains(&digits.len()) && matches!(digits.as_bytes()[0], b'2'..=b'6') && caisse_core::card::luhn(&digits)
}

#[cfg(test)]
mod tests {
    use super::super::dictionary::{LANGUAGES, PAYMENT_CARDS};
    use super::*;

    fn check(format: Format, good: &[&str], bad: &[&str]) {
        for value in good {
            assert!(conforms(format, value), "{format:?} should accept {value:?}");
        }
        for value in bad {
            assert!(!conforms(format, value), "{format:?} should refuse {value:?}");
        }
    }

    #[test]
    fn digits() {
        check(
            Format::Digits { min: 8, max: 8 },
            &["12345678", "00000000"],
            &["1234567", "123456789", "1234567a", "1234 678"],
        );
        check(
            Format::Digits { min: 1, max: 12 },
            &["0", "1524", "999999999999"],
            &["1000000000000", "15.24", "-1", "+1", "١٢"],
        );
    }

    #[test]
    fn letters_and_alphanumerics() {
        check(Format::Letters { min: 2, max: 2 }, &["FR", "fr"], &["F", "FRA", "F1", "É"]);
        check(Format::AlphaNum { min: 1, max: 5 }, &["A1", "CPT12"], &["CPT123", "A-1", "é"]);
    }

    #[test]
    fn text() {
        check(
            Format::Text { max: 10 },
            &["D. & Cie", "Labège", "+33 1 02", "àéèçùûôî€x"],
            &["<b>", "a>b", "11 chars..x", "line\nbreak"],
        );
        check(Format::Text { max: usize::MAX }, &["long ".repeat(1000).as_str()], &["<"]);
    }

    #[test]
    fn enums_and_lists() {
        check(Format::Enum(&["TEST", "PRODUCTION"]), &["TEST", "PRODUCTION"], &["test", "PROD", "TEST "]);
        check(
            Format::EnumList(PAYMENT_CARDS),
            &["CB", "CB;VISA;MASTERCARD", "AURORE-MULTI"],
            &["ALL", "TOUTES", "CB;", "CB;;VISA", "cb"],
        );
        check(Format::EnumList(LANGUAGES), &["fr;en"], &["fr,en", "FR"]);
    }

    #[test]
    fn maps_and_seconds() {
        check(
            Format::Map { max: 100 },
            &["SIMPLIFIED_DISPLAY=true;RESPONSIVE_MODEL=Model_1", "CB=123"],
            &["novalue", "=x", "A=1;", "A=<b>"],
        );
        check(Format::Seconds { max: 300 }, &["0", "300", "15"], &["301", "1000", "-1", "1.5"]);
    }

    #[test]
    fn trans_ids() {
        check(
            Format::TransId,
            &["xrT15p", "654321", "000000", "899999", "9abcde"],
            &["12345", "1234567", "12 456", "xrT-5p", "900000", "999999", "éabcde"],
        );
    }

    #[test]
    fn dates() {
        check(
            Format::DateTime14,
            &["20090501193530", "20240229235959"],
            &["2009050119353", "20090501243000", "20230229120000", "2009-05-01T19", "20091301000000"],
        );
        check(Format::Date8, &["20261017"], &["2026101", "20261032", "2026-10-17"]);
    }

    #[test]
    fn currencies_and_configs() {
        check(Format::Currency, &["978", "840", "392"], &["97", "9780", "EUR", "000", "999"]);
        check(Format::PaymentConfig, &["SINGLE", "MULTI:first=1000;count=3;period=30"], &["MULTI", "SINGLE;"]);
    }

    #[test]
    fn order_ids() {
        check(
            Format::OrderId,
            &["S00036-6", "order_12", &"a".repeat(64)],
            &["a&b", "a;b", "a@b", "a b", &"a".repeat(65)],
        );
    }

    #[test]
    fn urls() {
        check(
            Format::Url { max: 1024 },
            &["https://shop.example/return?x=1", "http://localhost:8080/ok", "HTTPS://EXAMPLE.COM/"],
            &[
                "javascript:alert(1)",
                "ftp://example.com",
                "https://",
                "https://a b",
                "https://a/<x>",
                "//example.com",
                &format!("https://{}", "a".repeat(1020)),
            ],
        );
    }

    #[test]
    fn vat_and_rrule() {
        check(Format::Vat, &["2000", "20.0", "5.5"], &["100.0", "20,0"]);
        check(Format::Rrule, &["RRULE:FREQ=MONTHLY;COUNT=12;BYMONTHDAY=10"], &["FREQ=MONTHLY", "RRULE:"]);
    }

    #[test]
    fn card_numbers_are_spotted() {
        for pan in ["4970100000000014", "4970 1000 0000 0014", "5555-5555-5555-4444", "378282246310005"] {
            assert!(looks_like_pan(pan), "{pan}");
        }
        for not_pan in
            ["4970100000000015", "0033123456789", "S00036-6", "123456", "4970100000000014a", "12345678901234567890"]
        {
            assert!(!looks_like_pan(not_pan), "{not_pan}");
        }
    }
}
