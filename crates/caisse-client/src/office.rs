//! Sealed Office Serveur JSON calls.

use crate::seal::{seal_request, verify_answer};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("answer is not a JSON object")]
    NotAnObject,
    /// The answer's seal does not match: its content must not be trusted.
    #[error("answer seal does not match")]
    BadSeal,
}

/// One shop's connection to an Office Serveur (`base_url` without the `/rs-services` part).
#[derive(Clone, Debug)]
pub struct OfficeClient {
    http: reqwest::Client,
    base_url: String,
    merchant_id: String,
    key_version: String,
    secret_key: String,
}

impl OfficeClient {
    pub fn new(base_url: &str, merchant_id: &str, key_version: u32, secret_key: &str) -> OfficeClient {
        OfficeClient {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            merchant_id: merchant_id.to_owned(),
            key_version: key_version.to_string(),
            secret_key: secret_key.to_owned(),
        }
    }

    /// The sealed request body for `family/method`, with merchantId, keyVersion and a default
    /// interfaceVersion filled in.
    pub fn sealed_body(&self, family: &str, fields: Map<String, Value>) -> Map<String, Value> {
        let mut request = fields;
        request.entry("merchantId").or_insert_with(|| Value::from(self.merchant_id.clone()));
        request.entry("keyVersion").or_insert_with(|| Value::from(self.key_version.clone()));
        request.entry("interfaceVersion").or_insert_with(|| Value::from(format!("{}2.53", interface_prefix(family))));
        let seal = seal_request(&request, &self.secret_key);
        request.insert("seal".into(), Value::from(seal));
        request
    }

    /// Calls `family/method` and returns the answer once its seal is verified.
    pub async fn call(
        &self,
        family: &str,
        method: &str,
        fields: Map<String, Value>,
    ) -> Result<Map<String, Value>, ClientError> {
        let body = self.sealed_body(family, fields);
        let response = self
            .http
            .post(format!("{}/rs-services/v2/{family}/{method}", self.base_url))
            .header("Content-Type", "application/json")
            .body(Value::Object(body).to_string())
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(ClientError::Status(response.status().as_u16()));
        }
        let answer: Value = response.json().await?;
        let Value::Object(answer) = answer else {
            return Err(ClientError::NotAnObject);
        };
        if !verify_answer(&answer, &self.secret_key) {
            return Err(ClientError::BadSeal);
        }
        Ok(answer)
    }
}

/// The interfaceVersion prefix of each Office Serveur family.
pub fn interface_prefix(family: &str) -> &'static str {
    match family {
        "checkout" => "IR_WS_",
        "cashManagement" => "CR_WS_",
        "diagnostic" => "DR_WS_",
        "wallet" => "WR_WS_",
        "token" => "TR_WS_",
        "fraud" => "FR_WS_",
        "mandate" => "MR_WS_",
        "paymentMeanInfo" => "PMR_WS_",
        "authentication" => "AUT_WS_",
        _ => "",
    }
}
