//! paymentMeanInfo/getCardData over JSON, on SQLite and on PostgreSQL: the BIN table's
//! answers, 05 for a number or IIN no range claims, 12/30 on cardNumber.

mod common;

use common::*;
use serde_json::{Map, Value, json};

const PATH: &str = "paymentMeanInfo/getCardData";

async fn card_data(server: &TestServer, fields: Value) -> Map<String, Value> {
    let mut fields = fields;
    fields["interfaceVersion"] = json!("PMR_WS_2.53");
    server.call(PATH, fields).await
}

on_both_backends! {
    async fn simulation_cards(server) {
        let visa = card_data(&server, json!({"cardNumber": "4100000000000000"})).await;
        assert_eq!(text(&visa, "responseCode"), "00");
        assert_eq!(
            visa["cardData"],
            json!({"cardScheme": "VISA", "cardBrand": "VISA", "cardProductCode": "F",
                   "cardProductName": "VISA CLASSIC", "cardProductProfile": "D",
                   "cardProductUsageLabel": "DEBIT", "issuerCountryCode": "FRA", "issuerRegionCode": "D",
                   "panLengthMin": "16", "panLengthMax": "16", "panCheckAlgorithm": "N"})
        );
        assert!(!serde_json::to_string(&visa).unwrap().contains("4100000000000000"));

        // Co-badged: one entry per brand, the default brand first.
        let co_badged = card_data(&server, json!({"cardNumber": "5200000000000005"})).await;
        let entries = co_badged["cardData"].as_array().expect("a list for a co-badged card");
        let brands: Vec<_> = entries.iter().map(|entry| (entry["cardBrand"].clone(), entry["cardScheme"].clone())).collect();
        assert_eq!(brands, vec![(json!("CB"), json!("CB")), (json!("MASTERCARD"), json!("MASTERCARD"))]);
        assert!(entries.iter().all(|entry| entry["cardProductCode"] == "MDS"));

        for (bin, scheme, profile) in [("340000", "AMEX", "C"), ("500000", "MASTERCARD", "D"), ("420000", "CB", "D")] {
            let answer = card_data(&server, json!({"cardNumber": bin})).await;
            assert_eq!(answer["cardData"]["cardScheme"], scheme, "{bin}");
            assert_eq!(answer["cardData"]["cardProductProfile"], profile, "{bin}");
        }
    }

    async fn real_ranges_and_iins(server) {
        let amex = card_data(&server, json!({"cardNumber": "378282246310005"})).await;
        assert_eq!(amex["cardData"]["cardScheme"], "AMEX");
        assert_eq!((amex["cardData"]["panLengthMin"].clone(), amex["cardData"]["panLengthMax"].clone()),
                   (json!("15"), json!("15")));
        let french = card_data(&server, json!({"cardNumber": "497400"})).await;
        let entries = french["cardData"].as_array().expect("CB + VISA");
        assert_eq!(entries[0]["cardBrand"], "CB");
        assert_eq!(entries[1]["cardBrand"], "VISA");
        assert_eq!(entries[0]["issuerCountryCode"], "FRA");
        let electron = card_data(&server, json!({"cardNumber": "49173000"})).await;
        assert_eq!(electron["cardData"]["cardBrand"], "VISA_ELECTRON");
        assert_eq!(electron["cardData"]["cardProductUsageLabel"], "DEBIT");
    }

    async fn unknown_numbers_are_05(server) {
        for number in ["999999", "9999999999999995", "4111111111111112", "41111111111"] {
            let answer = card_data(&server, json!({"cardNumber": number})).await;
            if number == "41111111111" {
                // An 11-digit IIN of a known range is found.
                assert_eq!(text(&answer, "responseCode"), "00");
                continue;
            }
            assert_eq!(text(&answer, "responseCode"), "05", "{number}: {answer:?}");
            assert!(!answer.contains_key("cardData"));
            assert!(answer.contains_key("seal"), "a sealed answer");
        }
    }

    async fn field_errors(server) {
        let missing = card_data(&server, json!({})).await;
        assert_eq!((text(&missing, "responseCode"), text(&missing, "errorFieldName")), ("12", "cardNumber"));
        for bad in ["12345", "4100-0000", "41000000000000000000", "VISA"] {
            let answer = card_data(&server, json!({"cardNumber": bad})).await;
            assert_eq!((text(&answer, "responseCode"), text(&answer, "errorFieldName")), ("30", "cardNumber"), "{bad}");
        }
        let wrong_family = server.call(PATH, json!({"cardNumber": "410000", "interfaceVersion": "IR_WS_2.53"})).await;
        assert_eq!((text(&wrong_family, "responseCode"), text(&wrong_family, "errorFieldName")),
                   ("12", "interfaceVersion"));
    }
}
