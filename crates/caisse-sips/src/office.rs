//! The Office Serveur entry point: one call is request map → checks → method → answer map.
//! The JSON encoding lives in [`Office::json`], the SOAP one in [`Office::soap`]; both only
//! wrap [`Office::call`].

use crate::answer::{Answer, Signer};
use crate::fields::{FieldError, FieldResult, Fields};
use crate::keys::{KeyCache, KeyLookup};
use crate::methods::{self, Context};
use crate::registry::{self, Family, InterfaceVersionError, Method};
use crate::response_code::{Failure, ResponseCode};
use crate::seal::{self, SealAlgorithm};
use crate::soap::{self, Fault, SoapReply};
use caisse_core::payments::Payments;
use caisse_core::{SecretKey, ShopId};
use serde_json::{Map, Value};
use tracing::Instrument;

/// The page the platform answers with HTTP 415 when Content-Type is not application/json,
/// exactly as the JSON guide quotes it.
pub const UNSUPPORTED_MEDIA_TYPE_HTML: &str = r#"<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html>
    <head>
        <title>415 Unsupported Media Type</title>
    </head>
    <body>
        <h1>Unsupported Media Type</h1>
        <p>The supplied request data is not in a format
acceptable for processing by this resource.</p>
    </body>
</html>"#;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfficeReply {
    /// HTTP 200 with this JSON text: every Sips outcome, errors included.
    Answer(String),
    /// HTTP 404: no such family/method (or not built yet).
    UnknownMethod,
    /// HTTP 400 with this JSON text: the body is not a JSON object. As STYLE.md asks, the
    /// merchant still gets a Sips answer, `{"responseCode":"12"}` (unsealed: no identity can
    /// be read); the reason is logged, never the body.
    BadRequest(String),
}

pub struct Office {
    payments: Payments,
    keys: KeyCache,
}

impl Office {
    pub fn new(payments: Payments) -> Office {
        Office { payments, keys: KeyCache::new() }
    }

    /// `POST /rs-services/v2/{family}/{method}` with a JSON body. The server has checked the
    /// Content-Type and the body size already.
    pub async fn json(&self, family: &str, method: &str, body: &[u8]) -> OfficeReply {
        self.json_at(family, method, body, None).await
    }

    /// [`Office::json`] for a request that reached caisse at `public_url`, its public base
    /// URL (PROTOCOLS.md 4): the URLs a method hands out (`sdkUrl`) are built on it.
    pub async fn json_at(&self, family: &str, method: &str, body: &[u8], public_url: Option<&str>) -> OfficeReply {
        let Some(method) = registry::lookup(family, method) else {
            return OfficeReply::UnknownMethod;
        };
        let request = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(request)) => request,
            Ok(_) => return bad_request(method, "the body is not a JSON object"),
            // serde_json's message names a line and column, never the content.
            Err(error) => return bad_request(method, &format!("the body is not JSON: {error}")),
        };
        let answer = self.call_at(method, &request, public_url).await;
        OfficeReply::Answer(serde_json::to_string(&answer).expect("a map of strings always serialises"))
    }

    /// `POST /services/v2/{family}` with a SOAP 1.1 envelope: the same call as JSON, its
    /// fields read from `<method><input>`, its answer written as `<methodResponse><output>`;
    /// `public_url` as for [`Office::json_at`] (3-D Secure's ACS, hosted fields).
    pub async fn soap(&self, family: &str, body: &[u8], public_url: Option<&str>) -> SoapReply {
        let Some(family) = soap::served_family(family) else {
            return SoapReply::UnknownFamily;
        };
        let request = match soap::decode(body, family) {
            Ok(request) => request,
            Err(fault) => return soap_fault(family.name, &fault),
        };
        let Some(method) = registry::lookup(family.name, &request.operation) else {
            let ns = soap::namespace(family);
            let fault = Fault::client(format!("Unexpected wrapper element {{{ns}}}{} found", request.operation));
            return soap_fault(family.name, &fault);
        };
        let answer = self.call_at(method, &request.fields, public_url).await;
        SoapReply::Answer(soap::encode_answer(method, &answer))
    }

    /// One call, whatever the encoding: the request's fields in, the answer's fields out
    /// (sealed when a key is known for the request).
    pub async fn call(&self, method: &Method, request: &Map<String, Value>) -> Map<String, Value> {
        self.call_at(method, request, None).await
    }

    /// [`Office::call`] with the public base URL the request reached caisse at.
    pub async fn call_at(
        &self,
        method: &Method,
        request: &Map<String, Value>,
        public_url: Option<&str>,
    ) -> Map<String, Value> {
        let span = tracing::info_span!(
            "sips",
            method = %method,
            merchant_id = tracing::field::Empty,
            response_code = tracing::field::Empty,
        );
        async {
            let fields = Fields::new(request);
            let identity = Identity::read(&fields);
            if let Some(shop_id) = &identity.shop_id {
                tracing::Span::current().record("merchant_id", shop_id.as_str());
            }
            let lookup = match (&identity.shop_id, identity.key_version) {
                (Some(shop_id), Some(version)) => {
                    self.keys.lookup(self.payments.store().as_ref(), shop_id, version).await
                }
                // Malformed or missing identity: the envelope check refuses it with 12/30
                // before this value is read; it only means "no key to seal with".
                _ => KeyLookup::UnknownShop,
            };
            let signer = match &lookup {
                KeyLookup::Found(key) => Some(Signer { key: key.clone(), algorithm: identity.algorithm }),
                _ => None,
            };
            let answer = match self.checked(method, &fields, lookup, public_url).await {
                Ok(answer) | Err(answer) => answer,
            };
            let answer = answer.with_code_field(registry::response_code_field(method.family));
            tracing::Span::current().record("response_code", answer.code().as_str());
            tracing::info!("answered");
            answer.into_map(signer.as_ref())
        }
        .instrument(span)
        .await
    }

    /// The checks every call goes through, in order, then the method itself.
    async fn checked(
        &self,
        method: &Method,
        fields: &Fields<'_>,
        lookup: KeyLookup,
        public_url: Option<&str>,
    ) -> Result<Answer, Answer> {
        let envelope = check_envelope(fields, method.family)?;
        let key = match lookup {
            KeyLookup::Found(key) => key,
            // No key known: these go unsealed (see `Answer::into_map`).
            KeyLookup::UnknownShop => return Err(Failure::code(ResponseCode::InvalidMerchant).into()),
            KeyLookup::UnknownVersion => return Err(Failure::code(ResponseCode::SealError).into()),
            KeyLookup::Unavailable => return Err(Failure::code(ResponseCode::ServerProblem).into()),
        };
        verify_seal(fields, &envelope, &key)?;
        let context = Context {
            payments: &self.payments,
            shop_id: &envelope.shop_id,
            now: self.payments.clock().now(),
            public_url,
        };
        Ok(methods::run(method.id, &context, fields).await)
    }
}

fn bad_request(method: &Method, reason: &str) -> OfficeReply {
    tracing::info!(%method, reason, response_code = ResponseCode::InvalidTransaction.as_str(), "bad request");
    let answer = Answer::new(ResponseCode::InvalidTransaction).into_map(None);
    OfficeReply::BadRequest(serde_json::to_string(&answer).expect("a map of strings always serialises"))
}

fn soap_fault(family: &str, fault: &Fault) -> SoapReply {
    tracing::info!(family, reason = %fault.reason, "SOAP fault");
    SoapReply::Fault(fault.to_xml())
}

/// Who the request says it comes from, read leniently: enough to seal any answer, even one
/// refusing the request's own format, whenever the merchant could verify it.
struct Identity {
    shop_id: Option<ShopId>,
    key_version: Option<u32>,
    /// The request's algorithm; HMAC-SHA-256 when absent or unknown.
    algorithm: SealAlgorithm,
}

impl Identity {
    fn read(fields: &Fields<'_>) -> Identity {
        Identity {
            shop_id: fields.merchant_id("merchantId").ok().flatten(),
            key_version: fields.key_version().ok().flatten(),
            algorithm: seal_algorithm(fields).unwrap_or(SealAlgorithm::HmacSha256),
        }
    }
}

/// The fields every request carries, checked.
struct Envelope {
    shop_id: ShopId,
    algorithm: SealAlgorithm,
    seal: String,
}

/// Presence of merchantId, interfaceVersion, keyVersion and seal (12), then their formats
/// (30; a wrong family prefix is 12), the seal algorithm and the nesting depth (30).
fn check_envelope(fields: &Fields<'_>, family: &Family) -> FieldResult<Envelope> {
    fields.required_text("merchantId")?;
    let interface_version = fields.required_text("interfaceVersion")?;
    fields.required_text("keyVersion")?;
    let seal = fields.required_text("seal")?.into_owned();
    let shop_id = fields.merchant_id("merchantId")?.expect("merchantId is present");
    registry::parse_interface_version(&interface_version, family).map_err(|error| match error {
        InterfaceVersionError::WrongPrefix => FieldError::missing("interfaceVersion"),
        InterfaceVersionError::Format => FieldError::format("interfaceVersion"),
    })?;
    fields.key_version()?.expect("keyVersion is present");
    let algorithm = seal_algorithm(fields)?;
    seal::check_depth(fields.map()).map_err(|too_deep| FieldError::format(too_deep.field))?;
    Ok(Envelope { shop_id, algorithm, seal })
}

fn seal_algorithm(fields: &Fields<'_>) -> FieldResult<SealAlgorithm> {
    const NAME: &str = "sealAlgorithm";
    match fields.text(NAME)? {
        None => Ok(SealAlgorithm::HmacSha256),
        Some(name) => SealAlgorithm::parse(&name).ok_or_else(|| FieldError::format(NAME)),
    }
}

/// A wrong seal is 34; the answer is sealed with the key version the request named, so that
/// the merchant can tell caisse's answer from a forgery.
fn verify_seal(fields: &Fields<'_>, envelope: &Envelope, key: &SecretKey) -> Result<(), Answer> {
    let expected = seal::seal_request(fields.map(), &key.secret, envelope.algorithm)
        .expect("nesting was checked with the envelope");
    if seal::matches(&expected, &envelope.seal) { Ok(()) } else { Err(Failure::code(ResponseCode::SealError).into()) }
}
