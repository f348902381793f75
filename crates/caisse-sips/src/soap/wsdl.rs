//! The WSDL 1.1 of a family's endpoint, generated from the registry: one document/literal
//! operation per implemented method, in Worldline's CXF naming (research §8.2:
//! `CheckoutService`, `CheckoutServiceImplServiceSoapBinding`, `cnv2CheckoutServiceImplPort`).
//!
//! Every operation takes `<method><input>` and answers `<methodResponse><output>`; `input` and
//! `output` are sequences of every field the dictionary knows, all optional, in the byte order
//! of their names (the order answers are written in; requests may use any order).

use super::dictionary::{ANSWER_FIELDS, CONTAINER_TYPES, Element, Kind, REQUEST_FIELDS};
use super::{namespace, served_family};
use crate::registry::METHODS;
use quick_xml::escape::escape;
use std::fmt::Write;

/// The WSDL of `family`, its `soap:address` on `base_url` (caisse's public base URL, no
/// trailing slash); `None` for a family without an endpoint.
pub fn wsdl(family: &str, base_url: &str) -> Option<String> {
    let family = served_family(family)?;
    let ns = namespace(family);
    let service = capitalised(family.name);
    let methods: Vec<&str> =
        METHODS.iter().filter(|method| method.family == family).map(|method| method.name).collect();
    let address = format!("{}/services/v2/{}", base_url.trim_end_matches('/'), family.name);

    let mut xml = String::with_capacity(16 * 1024);
    let w = &mut xml;
    w.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    line(
        w,
        format_args!(
            "<wsdl:definitions name=\"{service}ServiceImplService\" targetNamespace=\"{ns}\" \
             xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\" \
             xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:tns=\"{ns}\">"
        ),
    );
    line(w, format_args!("<wsdl:types>"));
    line(
        w,
        format_args!(
            "<xs:schema targetNamespace=\"{ns}\" elementFormDefault=\"qualified\" \
             attributeFormDefault=\"unqualified\" version=\"1.0\">"
        ),
    );
    for method in &methods {
        line(w, format_args!("<xs:element name=\"{method}\" type=\"tns:{method}\"/>"));
        line(w, format_args!("<xs:element name=\"{method}Response\" type=\"tns:{method}Response\"/>"));
    }
    for method in &methods {
        wrapper(w, method, "input");
        wrapper(w, &format!("{method}Response"), "output");
    }
    complex_type(w, "input", REQUEST_FIELDS);
    complex_type(w, "output", ANSWER_FIELDS);
    for container in CONTAINER_TYPES {
        complex_type(w, container.name, container.fields);
    }
    line(w, format_args!("</xs:schema>"));
    line(w, format_args!("</wsdl:types>"));
    for method in &methods {
        for message in [method.to_string(), format!("{method}Response")] {
            line(
                w,
                format_args!(
                    "<wsdl:message name=\"{message}\"><wsdl:part name=\"parameters\" element=\"tns:{message}\"/></wsdl:message>"
                ),
            );
        }
    }
    line(w, format_args!("<wsdl:portType name=\"{service}Service\">"));
    for method in &methods {
        line(
            w,
            format_args!(
                "<wsdl:operation name=\"{method}\"><wsdl:input name=\"{method}\" message=\"tns:{method}\"/>\
                 <wsdl:output name=\"{method}Response\" message=\"tns:{method}Response\"/></wsdl:operation>"
            ),
        );
    }
    line(w, format_args!("</wsdl:portType>"));
    line(
        w,
        format_args!("<wsdl:binding name=\"{service}ServiceImplServiceSoapBinding\" type=\"tns:{service}Service\">"),
    );
    line(w, format_args!("<soap:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>"));
    for method in &methods {
        line(
            w,
            format_args!(
                "<wsdl:operation name=\"{method}\"><soap:operation soapAction=\"\" style=\"document\"/>\
                 <wsdl:input name=\"{method}\"><soap:body use=\"literal\"/></wsdl:input>\
                 <wsdl:output name=\"{method}Response\"><soap:body use=\"literal\"/></wsdl:output></wsdl:operation>"
            ),
        );
    }
    line(w, format_args!("</wsdl:binding>"));
    line(w, format_args!("<wsdl:service name=\"{service}ServiceImplService\">"));
    line(
        w,
        format_args!(
            "<wsdl:port name=\"cnv2{service}ServiceImplPort\" binding=\"tns:{service}ServiceImplServiceSoapBinding\">\
             <soap:address location=\"{}\"/></wsdl:port>",
            escape(address.as_str())
        ),
    );
    line(w, format_args!("</wsdl:service>"));
    line(w, format_args!("</wsdl:definitions>"));
    Some(xml)
}

/// `<method>` holds `input`; `<method>Response` holds `output`.
fn wrapper(w: &mut String, type_name: &str, member: &str) {
    line(
        w,
        format_args!(
            "<xs:complexType name=\"{type_name}\"><xs:sequence><xs:element minOccurs=\"0\" name=\"{member}\" \
             type=\"tns:{member}\"/></xs:sequence></xs:complexType>"
        ),
    );
}

fn complex_type(w: &mut String, name: &str, fields: &[Element]) {
    let mut fields = fields.to_vec();
    fields.sort_unstable_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    line(w, format_args!("<xs:complexType name=\"{name}\"><xs:sequence>"));
    for field in fields {
        let type_name = match field.kind {
            Kind::Text => "xs:string".to_owned(),
            Kind::Container(type_name) => format!("tns:{type_name}"),
            Kind::Any => "xs:anyType".to_owned(),
        };
        let max = if field.repeated { " maxOccurs=\"unbounded\"" } else { "" };
        line(w, format_args!("<xs:element minOccurs=\"0\"{max} name=\"{}\" type=\"{type_name}\"/>", field.name));
    }
    line(w, format_args!("</xs:sequence></xs:complexType>"));
}

fn line(w: &mut String, text: std::fmt::Arguments<'_>) {
    w.write_fmt(text).expect("writing to a String cannot fail");
    w.push('\n');
}

/// `cashManagement` → `CashManagement`.
fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::served_families;

    #[test]
    fn one_operation_per_registered_method() {
        for family in served_families() {
            let xml = wsdl(family.name, "http://caisse.test:8080/").unwrap();
            for method in METHODS.iter().filter(|method| method.family == family) {
                let operation = format!("<wsdl:operation name=\"{}\">", method.name);
                assert_eq!(xml.matches(&operation).count(), 2, "{method} in portType and binding");
            }
            let others = METHODS.iter().filter(|method| method.family != family);
            for method in others {
                assert!(!xml.contains(&format!("<xs:element name=\"{}\"", method.name)), "{method} in {}", family.name);
            }
            let address = format!("location=\"http://caisse.test:8080/services/v2/{}\"", family.name);
            assert!(xml.contains(&address), "{xml}");
            assert!(xml.contains(&format!("targetNamespace=\"urn:sips:cn:contract:office:{}:v2\"", family.name)));
            // Well-formed: quick-xml reads it to the end.
            let mut reader = quick_xml::Reader::from_str(&xml);
            loop {
                match reader.read_event().expect("well-formed WSDL") {
                    quick_xml::events::Event::Eof => break,
                    _ => continue,
                }
            }
        }
    }

    #[test]
    fn names_and_unknown_families() {
        let xml = wsdl("cashManagement", "https://pay.example").unwrap();
        assert!(xml.contains("<wsdl:portType name=\"CashManagementService\">"));
        assert!(xml.contains("<wsdl:port name=\"cnv2CashManagementServiceImplPort\""));
        assert!(xml.contains("name=\"cardData\" type=\"tns:cardData\""));
        assert!(wsdl("nope", "https://pay.example").is_none());
        assert!(wsdl("mandate", "https://pay.example").is_none(), "no method built: no endpoint");
        let escaped = wsdl("checkout", "http://a\"b").unwrap();
        assert!(escaped.contains("location=\"http://a&quot;b/services/v2/checkout\""));
    }

    #[test]
    fn type_names_never_clash_with_operations() {
        for method in &METHODS {
            for container in CONTAINER_TYPES {
                assert_ne!(container.name, method.name);
                assert_ne!(container.name, format!("{}Response", method.name));
            }
            assert!(!matches!(method.name, "input" | "output"));
        }
    }
}
