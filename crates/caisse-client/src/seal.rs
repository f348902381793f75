//! The merchant's side of the seal: data is every field's value in byte order of the field
//! names (containers folded the same way, lists in order), without `seal`, `keyVersion` and
//! `sealAlgorithm`; the seal is the lowercase hex HMAC-SHA-256 of it under the secret key.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

fn fold(value: &Value, data: &mut String) {
    match value {
        Value::Object(map) => {
            let mut names: Vec<&String> = map.keys().collect();
            names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            for name in names {
                fold(&map[name], data);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| fold(item, data)),
        Value::String(text) => data.push_str(text),
        Value::Number(number) => data.push_str(&number.to_string()),
        Value::Bool(flag) => data.push_str(if *flag { "true" } else { "false" }),
        Value::Null => {}
    }
}

fn hmac_hex(data: &str, key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The data string of a message, without the fields that are not sealed.
pub fn data_string(message: &Map<String, Value>, skip: &[&str]) -> String {
    let kept: Map<String, Value> = message
        .iter()
        .filter(|(name, _)| !skip.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut data = String::new();
    fold(&Value::Object(kept), &mut data);
    data
}

/// The seal of a request.
pub fn seal_request(request: &Map<String, Value>, key: &str) -> String {
    hmac_hex(&data_string(request, &["seal", "keyVersion", "sealAlgorithm"]), key)
}

/// Whether an answer's `seal` matches its other fields (compared in constant time).
pub fn verify_answer(answer: &Map<String, Value>, key: &str) -> bool {
    let Some(Value::String(received)) = answer.get("seal") else {
        return false;
    };
    let expected = hmac_hex(&data_string(answer, &["seal"]), key);
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_guide_example() {
        let request = json!({
            "amount": "2500", "captureDay": "0", "captureMode": "AUTHOR_CAPTURE", "cardCSCValue": "000",
            "cardExpiryDate": "201612", "cardNumber": "1234123412341234", "currencyCode": "978",
            "customerContact": {"email": "customer@email.com"}, "interfaceVersion": "IR_WS_2.3",
            "keyVersion": "1", "merchantId": "011223344550000", "orderChannel": "INTERNET",
            "orderId": "ORD101", "returnContext": "ReturnContext", "transactionOrigin": "SO_WEBAPPLI",
            "transactionReference": "TREFEXA2012",
        });
        let request = request.as_object().unwrap();
        assert_eq!(
            data_string(request, &["seal", "keyVersion", "sealAlgorithm"]),
            "25000AUTHOR_CAPTURE0002016121234123412341234978customer@email.comIR_WS_2.3\
             011223344550000INTERNETORD101ReturnContextSO_WEBAPPLITREFEXA2012"
        );
        assert_eq!(
            seal_request(request, "secret123"),
            "f1772faa4b73c0fc5a9810ad7fcaf91458d6174b2178a0a0a2bea2d860b404f5"
        );
    }
}
