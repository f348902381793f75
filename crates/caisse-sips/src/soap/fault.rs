//! SOAP 1.1 faults: what the framework answers when a request is not an Office call at all
//! (malformed XML, not a SOAP 1.1 envelope, an operation the family does not have). Business
//! errors (12, 30, 34…) are ordinary `<output>` answers, as in JSON.
//!
//! SOAP 1.1 §6.2 makes a fault travel with HTTP 500 Internal Server Error: the one 500 caisse
//! answers on purpose.

use quick_xml::escape::escape;

/// Why a request was refused. The reason names elements at most, never a value: a value may
/// be card data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub reason: String,
}

impl Fault {
    /// `soap:Client`: the request is at fault; sending it again unchanged fails again.
    pub fn client(reason: impl Into<String>) -> Fault {
        Fault { reason: reason.into() }
    }

    /// The fault envelope, as CXF writes one.
    pub fn to_xml(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{}\"><soap:Body><soap:Fault>\
             <faultcode>soap:Client</faultcode><faultstring>{}</faultstring></soap:Fault></soap:Body></soap:Envelope>",
            super::SOAP_ENVELOPE_NS,
            escape(self.reason.as_str())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_reason() {
        let xml = Fault::client("Unexpected wrapper element {urn:x}a<b").to_xml();
        assert!(xml.contains("<faultcode>soap:Client</faultcode>"), "{xml}");
        assert!(xml.contains("<faultstring>Unexpected wrapper element {urn:x}a&lt;b</faultstring>"), "{xml}");
        assert!(xml.starts_with("<?xml"));
    }
}
