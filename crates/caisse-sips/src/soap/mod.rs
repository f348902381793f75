//! The SOAP encoding of Office Serveur (PROTOCOLS.md §1): `POST /services/v2/<family>` with a
//! SOAP 1.1 document/literal envelope, the WSDL at `GET /services/v2/<family>?wsdl`.
//!
//! SOAP is a second encoding of the same methods, not a second implementation: the envelope
//! becomes the same field map as a JSON body, [`crate::Office::call`] runs it, and the answer
//! map becomes `<…Response><output>`. Every method of [`crate::registry::METHODS`] is an
//! operation of its family's endpoint and WSDL without further work.
//!
//! - `envelope`: XML → field map (containers as objects, repeated elements as lists) and the
//!   answer map → XML.
//! - `dictionary`: the field names and containers the WSDL declares.
//! - `wsdl`: one WSDL 1.1 document per family, generated from the registry.
//! - `fault`: SOAP 1.1 faults.

mod dictionary;
mod envelope;
mod fault;
mod wsdl;

pub use envelope::{SoapRequest, decode, encode_answer};
pub use fault::Fault;
pub use wsdl::wsdl;

use crate::registry::{self, FAMILIES, Family, METHODS};

pub const SOAP_ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// `urn:sips:cn:contract:office:<family>:v2`, spelt as the path spells the family (the token
/// family's sample in SEED-T). Requests may write it in any case: Worldline's own simulator
/// writes `cashmanagement`.
pub fn namespace(family: &Family) -> String {
    format!("urn:sips:cn:contract:office:{}:v2", family.name)
}

/// A family has a SOAP endpoint once caisse implements one of its methods.
pub fn served_family(name: &str) -> Option<&'static Family> {
    registry::family(name).filter(|family| METHODS.iter().any(|method| method.family == *family))
}

/// The families with an endpoint, for listings and tests.
pub fn served_families() -> impl Iterator<Item = &'static Family> {
    FAMILIES.iter().filter(|family| served_family(family.name).is_some())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SoapReply {
    /// HTTP 200, `text/xml`: the answer envelope, whatever the responseCode.
    Answer(String),
    /// HTTP 500, `text/xml`: a SOAP 1.1 fault (see `fault`).
    Fault(String),
    /// HTTP 404: no such family, or none of its methods built yet.
    UnknownFamily,
}

/// The Content-Type of every SOAP 1.1 message caisse sends.
pub const CONTENT_TYPE: &str = "text/xml; charset=UTF-8";
