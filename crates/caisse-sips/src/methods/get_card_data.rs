//! paymentMeanInfo/getCardData: what the BIN table says about a card number or an IIN.
//!
//! The request field is `cardNumber` (the public pages do not show its name; PROTOCOLS.md
//! §5.1): a whole number (12 to 19 digits) or an IIN (6 to 11 digits). The answer's `cardData`
//! is one object per brand of the card: a single object for a one-brand card, a list (default
//! brand first) for a co-badged one, whose brands share product and issuer but not scheme.
//! Columns the table does not know are left out, never guessed.

use crate::answer::Answer;
use crate::fields::{FieldError, FieldResult, Fields};
use crate::methods::Context;
use crate::response_code::ResponseCode;
use caisse_core::bin_table::{self, BinRange};
use caisse_core::card::{CardBrand, luhn};
use serde_json::{Map, Value};

const FIELD: &str = "cardNumber";
/// An IIN has 6 or 8 digits (ISO/IEC 7812); anything from 6 up to a whole number is looked up.
const IIN_DIGITS_MIN: usize = 6;
const PAN_DIGITS_MIN: usize = 12;
const PAN_DIGITS_MAX: usize = 19;

pub async fn handle(_context: &Context<'_>, fields: &Fields<'_>) -> Result<Answer, Answer> {
    look_up(fields)
}

/// The whole method: it reads no store, so it needs no context.
fn look_up(fields: &Fields<'_>) -> Result<Answer, Answer> {
    let digits = card_number_or_iin(fields)?;
    // The seed: "si le numéro ou l'IIN de la carte n'existe pas, un code de réponse 05".
    let unknown = || Answer::new(ResponseCode::Refused);
    let range = bin_table::lookup(&digits).ok_or_else(unknown)?;
    if digits.len() >= PAN_DIGITS_MIN && !is_possible_number(range, &digits) {
        return Err(unknown());
    }
    let mut entries: Vec<Map<String, Value>> = range.brands().map(|brand| card_data(range, brand)).collect();
    let mut answer = Answer::new(ResponseCode::Accepted);
    if entries.len() == 1 {
        answer.container("cardData", entries.remove(0));
    } else {
        answer.container_list("cardData", entries);
    }
    Ok(answer)
}

/// Mandatory (12 when absent), digits only, 6 to 19 of them (30 otherwise).
fn card_number_or_iin(fields: &Fields<'_>) -> FieldResult<String> {
    let text = fields.required_text(FIELD)?;
    let well_formed =
        (IIN_DIGITS_MIN..=PAN_DIGITS_MAX).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    if well_formed { Ok(text.into_owned()) } else { Err(FieldError::format(FIELD)) }
}

/// A whole number exists only if its length is one the scheme issues and it passes the
/// range's check digit (test ranges have none).
fn is_possible_number(range: &BinRange, digits: &str) -> bool {
    let (min, max) = range.pan_lengths();
    let length_ok = (usize::from(min)..=usize::from(max)).contains(&digits.len());
    length_ok && (range.is_test_range() || luhn(digits))
}

fn card_data(range: &BinRange, brand: CardBrand) -> Map<String, Value> {
    let (pan_min, pan_max) = range.pan_lengths();
    let mut data = Map::new();
    let mut text = |name: &str, value: Option<&str>| {
        if let Some(value) = value {
            data.insert(name.to_owned(), Value::String(value.to_owned()));
        }
    };
    text("cardScheme", Some(bin_table::card_scheme(brand)));
    text("cardBrand", Some(brand.sips_name()));
    text("cardProductCode", range.product_code);
    text("cardProductName", range.product_name);
    text("cardProductProfile", range.card_type.map(|card_type| card_type.profile()));
    text("cardProductUsageLabel", range.card_type.map(|card_type| card_type.usage_label()));
    text("issuerCountryCode", range.issuer_country);
    text("issuerRegionCode", range.issuer_region());
    text("panLengthMin", Some(&pan_min.to_string()));
    text("panLengthMax", Some(&pan_max.to_string()));
    text("panCheckAlgorithm", Some(range.pan_check_algorithm()));
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(number: Option<&str>) -> Value {
        let mut request = Map::new();
        if let Some(number) = number {
            request.insert(FIELD.into(), json!(number));
        }
        let (Ok(answer) | Err(answer)) = look_up(&Fields::new(&request));
        Value::Object(answer.into_map(None))
    }

    #[test]
    fn one_brand_card_is_one_object() {
        assert_eq!(
            answer(Some("4100000000000000")),
            json!({"responseCode": "00", "cardData": {
                "cardScheme": "VISA", "cardBrand": "VISA", "cardProductCode": "F",
                "cardProductName": "VISA CLASSIC", "cardProductProfile": "D", "cardProductUsageLabel": "DEBIT",
                "issuerCountryCode": "FRA", "issuerRegionCode": "D", "panLengthMin": "16", "panLengthMax": "16",
                "panCheckAlgorithm": "N"}})
        );
    }

    #[test]
    fn co_badged_card_is_a_list_default_brand_first() {
        let answer = answer(Some("520000"));
        let list = answer["cardData"].as_array().expect("a list");
        assert_eq!(list.len(), 2);
        assert_eq!((&list[0]["cardBrand"], &list[0]["cardScheme"]), (&json!("CB"), &json!("CB")));
        assert_eq!((&list[1]["cardBrand"], &list[1]["cardScheme"]), (&json!("MASTERCARD"), &json!("MASTERCARD")));
        assert_eq!(list[1]["cardProductCode"], "MDS");
    }

    #[test]
    fn scheme_range_answers_what_it_knows() {
        let answer = answer(Some("4111111111111111"));
        assert_eq!(
            answer["cardData"],
            json!({"cardScheme": "VISA", "cardBrand": "VISA", "panLengthMin": "13", "panLengthMax": "19",
                   "panCheckAlgorithm": "L"})
        );
    }

    #[test]
    fn unknown_numbers_are_05() {
        for number in ["999999", "9999999999999995", "4111111111111112", "37828224631000", "12345678"] {
            assert_eq!(answer(Some(number)), json!({"responseCode": "05"}), "{number}");
        }
    }

    #[test]
    fn field_errors() {
        assert_eq!(answer(None), json!({"responseCode": "12", "errorFieldName": "cardNumber"}));
        for bad in ["41000", "4100 0000", "41000000000000000000", "abcdef"] {
            assert_eq!(answer(Some(bad)), json!({"responseCode": "30", "errorFieldName": "cardNumber"}), "{bad}");
        }
    }
}
