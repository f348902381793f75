//! Answers as field maps: built field by field, leaving out what has no value (never `null`:
//! some clients seal a null as "None" or "null"), then sealed with the request's key.
//!
//! Every value is a JSON string, numbers included (PROTOCOLS.md 1: "answers use strings as
//! well"); [`Answer::number`] is the one place that decides it.

use crate::fields::{FieldError, is_empty};
use crate::response_code::{Failure, ResponseCode};
use crate::seal::{self, SealAlgorithm};
use caisse_core::SecretKey;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

/// The key and algorithm an answer is sealed with: the request's.
#[derive(Clone, Debug)]
pub struct Signer {
    pub key: SecretKey,
    pub algorithm: SealAlgorithm,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    code: ResponseCode,
    fields: Map<String, Value>,
}

impl Answer {
    pub fn new(code: ResponseCode) -> Answer {
        let mut answer = Answer { code, fields: Map::new() };
        answer.text("responseCode", code.as_str());
        answer
    }

    pub fn code(&self) -> ResponseCode {
        self.code
    }

    #[cfg(test)]
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// A text field; an empty one is left out.
    pub fn text(&mut self, name: &'static str, value: impl Into<String>) -> &mut Answer {
        let value = value.into();
        if !value.is_empty() {
            self.fields.insert(name.to_owned(), Value::String(value));
        }
        self
    }

    pub fn maybe_text<T: Into<String>>(&mut self, name: &'static str, value: Option<T>) -> &mut Answer {
        if let Some(value) = value {
            self.text(name, value);
        }
        self
    }

    /// A numeric field (amounts, days): its decimal text.
    pub fn number(&mut self, name: &'static str, value: u64) -> &mut Answer {
        self.text(name, value.to_string())
    }

    /// ISO 8601 in UTC with a numeric offset, as the platform writes them
    /// (`2026-11-28T14:02:17+00:00`).
    pub fn date_time(&mut self, name: &'static str, at: DateTime<Utc>) -> &mut Answer {
        self.text(name, date_time_text(at))
    }

    /// `YYYYMMDD`.
    pub fn date(&mut self, name: &'static str, day: NaiveDate) -> &mut Answer {
        self.text(name, day.format("%Y%m%d").to_string())
    }

    /// A container; its empty members are left out, and so is the container if nothing is
    /// left.
    pub fn container(&mut self, name: &'static str, fields: Map<String, Value>) -> &mut Answer {
        let value = prune(Value::Object(fields));
        if !is_empty(&value) {
            self.fields.insert(name.to_owned(), value);
        }
        self
    }

    /// A list of containers, pruned like [`Answer::container`]; left out when nothing is left.
    pub fn container_list(&mut self, name: &'static str, items: Vec<Map<String, Value>>) -> &mut Answer {
        let value = prune(Value::Array(items.into_iter().map(Value::Object).collect()));
        if !is_empty(&value) {
            self.fields.insert(name.to_owned(), value);
        }
        self
    }

    /// The code under another field name (`walletResponseCode` for the wallet family).
    pub fn with_code_field(mut self, name: &'static str) -> Answer {
        if let Some(code) = self.fields.remove("responseCode") {
            self.fields.insert(name.to_owned(), code);
        }
        self
    }

    /// The answer as sent: sealed when a key is known for the request. Without one (unknown
    /// merchant or key version, malformed identity) there is nothing the merchant could
    /// verify a seal with, so none is sent.
    pub fn into_map(self, signer: Option<&Signer>) -> Map<String, Value> {
        let mut fields = self.fields;
        if let Some(signer) = signer {
            let seal = seal::seal_answer(&fields, &signer.key.secret, signer.algorithm)
                .expect("answers nest less deep than requests may");
            fields.insert("seal".to_owned(), Value::String(seal));
        }
        fields
    }
}

impl From<Failure> for Answer {
    fn from(failure: Failure) -> Answer {
        let mut answer = Answer::new(failure.code);
        // errorFieldName comes only with 12 and 30 (data dictionary).
        if matches!(failure.code, ResponseCode::InvalidTransaction | ResponseCode::FormatError) {
            answer.maybe_text("errorFieldName", failure.error_field);
        }
        answer
    }
}

impl From<FieldError> for Answer {
    fn from(error: FieldError) -> Answer {
        let mut answer = Answer::new(error.code);
        answer.text("errorFieldName", error.field);
        answer
    }
}

pub fn date_time_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Removes null, `""`, `{}` and `[]` at every depth.
fn prune(value: Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| (name, prune(value)))
                .filter(|(_, value)| !is_empty(value))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prune).filter(|value| !is_empty(value)).collect()),
        scalar => scalar,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn leaves_out_empty_values() {
        let mut answer = Answer::new(ResponseCode::Accepted);
        answer
            .text("empty", "")
            .maybe_text::<String>("none", None)
            .text("kept", "x")
            .number("zero", 0)
            .container("nothing", json!({ "a": null, "b": [""], "c": {} }).as_object().unwrap().clone())
            .container("some", json!({ "a": null, "b": ["", "y"] }).as_object().unwrap().clone());
        assert_eq!(
            Value::Object(answer.into_map(None)),
            json!({ "responseCode": "00", "kept": "x", "zero": "0", "some": { "b": ["y"] } })
        );
    }

    #[test]
    fn error_field_only_with_12_and_30() {
        let with_field = |code| Answer::from(Failure { code, error_field: Some("amount") }).into_map(None);
        assert_eq!(
            Value::Object(with_field(ResponseCode::FormatError)),
            json!({ "responseCode": "30", "errorFieldName": "amount" })
        );
        assert_eq!(
            Value::Object(with_field(ResponseCode::InvalidTransaction)),
            json!({ "responseCode": "12", "errorFieldName": "amount" })
        );
        assert_eq!(Value::Object(with_field(ResponseCode::NotAllowed)), json!({ "responseCode": "24" }));
    }

    #[test]
    fn sealed_over_every_field_with_the_request_key_and_algorithm() {
        let signer =
            Signer { key: SecretKey { version: 1, secret: "secret123".into() }, algorithm: SealAlgorithm::Sha256 };
        let mut answer = Answer::new(ResponseCode::Accepted);
        answer.text("transactionReference", "REF1");
        let map = answer.into_map(Some(&signer));
        let seal = map["seal"].as_str().unwrap();
        assert_eq!(seal, seal::seal_answer(&map, "secret123", SealAlgorithm::Sha256).unwrap());
        // responseCode "00" then "REF1": the data is "00REF1".
        assert_eq!(seal::data(&map, &["seal"]).unwrap(), "00REF1");
    }

    #[test]
    fn formats() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 14, 2, 17).unwrap();
        assert_eq!(date_time_text(at), "2026-11-28T14:02:17+00:00");
        let mut answer = Answer::new(ResponseCode::Accepted);
        answer.date("captureLimitDate", at.date_naive());
        assert_eq!(answer.fields()["captureLimitDate"], "20261128");
    }
}
