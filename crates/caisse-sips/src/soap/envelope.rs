//! SOAP 1.1 envelopes ↔ field maps.
//!
//! Request: `Envelope/Body/<method>/<input>/<fields…>`. A field with text is a string; one with
//! child elements is a container (an object); an element repeated under one parent is a list,
//! and so is every element whose name ends in `List` (`shoppingCartItemList`,
//! `paymentMeanBrandList`), even once, so that the map equals the JSON body. Field namespaces
//! are not checked (the values are what the seal covers); the operation's is.
//!
//! Answer: `<methodResponse xmlns="urn:…:<family>:v2"><output>` then the answer's fields in
//! the byte order of their names, at every depth, which is the order of the WSDL's sequences.

use super::SOAP_ENVELOPE_NS;
use super::fault::Fault;
use crate::registry::{Family, Method};
use quick_xml::NsReader;
use quick_xml::escape::escape;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use serde_json::{Map, Value};

/// Elements nest at most this deep inside `<input>`: more than any Office message (and than
/// the seal's own limit), little enough that the recursive reader stays shallow.
const MAX_FIELD_DEPTH: usize = 24;

/// A decoded request: the operation's name (the body's wrapper element) and its fields.
#[derive(Clone, Debug, PartialEq)]
pub struct SoapRequest {
    pub operation: String,
    pub fields: Map<String, Value>,
}

/// Reads a SOAP 1.1 request for `family`'s endpoint.
pub fn decode(body: &[u8], family: &Family) -> Result<SoapRequest, Fault> {
    let text = std::str::from_utf8(body).map_err(|_| Fault::client("Unmarshalling Error: the message is not UTF-8"))?;
    let mut reader = NsReader::from_str(text);
    let envelope = next_element(&mut reader)?.ok_or_else(|| Fault::client("No SOAP envelope"))?;
    expect_soap(&reader, &envelope, "Envelope")?;
    let mut request = None;
    loop {
        match next_child(&mut reader)? {
            Child::End => break,
            Child::Element(element, empty) => {
                let local = local_name(&element);
                if is_soap(&reader, &element) && local == "Header" {
                    // caisse defines no header; a mustUnderstand one is still not refused
                    // (no Office client sends any).
                    skip(&mut reader, &element, empty)?;
                } else if is_soap(&reader, &element) && local == "Body" && request.is_none() {
                    request = Some(read_body(&mut reader, family, empty)?);
                } else if request.is_some() {
                    // SOAP 1.1 §4.1.1 lets other elements follow the Body.
                    skip(&mut reader, &element, empty)?;
                } else {
                    return Err(Fault::client(format!("Unexpected element {local} in the envelope")));
                }
            }
        }
    }
    match reader.read_event() {
        Ok(Event::Eof) => {}
        Ok(_) | Err(_) => return Err(Fault::client("Unmarshalling Error: content after the envelope")),
    }
    request.ok_or_else(|| Fault::client("No SOAP body"))
}

/// `<Body><method><input>…</input></method></Body>`; a missing `input` is an empty request
/// (the method then answers 12 on merchantId, as JSON does for `{}`).
fn read_body(reader: &mut NsReader<&[u8]>, family: &Family, empty: bool) -> Result<SoapRequest, Fault> {
    if empty {
        return Err(Fault::client("No operation in the SOAP body"));
    }
    let (operation, operation_empty) = match next_child(reader)? {
        Child::End => return Err(Fault::client("No operation in the SOAP body")),
        Child::Element(element, empty) => (element, empty),
    };
    let name = local_name(&operation).to_owned();
    let expected = super::namespace(family);
    let namespace = match reader.resolver().resolve_element(operation.name()).0 {
        ResolveResult::Bound(namespace) => namespace.0.to_owned(),
        ResolveResult::Unbound | ResolveResult::Unknown(_) => String::new(),
    };
    if !namespace.eq_ignore_ascii_case(&expected) {
        return Err(Fault::client(format!(
            "Unexpected wrapper element {{{namespace}}}{name} found. Expected {{{expected}}}"
        )));
    }
    let mut fields = Map::new();
    if !operation_empty {
        let mut seen_input = false;
        loop {
            match next_child(reader)? {
                Child::End => break,
                Child::Element(element, empty) => {
                    if local_name(&element) != "input" || seen_input {
                        let local = local_name(&element).to_owned();
                        return Err(Fault::client(format!("Unexpected element {local} in {name}")));
                    }
                    seen_input = true;
                    if !empty {
                        match read_value(reader, 1)? {
                            Value::Object(map) => fields = map,
                            Value::String(text) if is_blank(&text) => {}
                            // Text directly in <input>: not a message.
                            _ => return Err(Fault::client("Unmarshalling Error: input holds text")),
                        }
                    }
                }
            }
        }
    }
    // Nothing but whitespace may follow the operation in the body.
    match next_child(reader)? {
        Child::End => Ok(SoapRequest { operation: name, fields }),
        Child::Element(..) => Err(Fault::client("More than one operation in the SOAP body")),
    }
}

enum Child<'i> {
    /// A child element; `true` when it is empty (`<a/>`).
    Element(BytesStart<'i>, bool),
    /// The parent's end tag.
    End,
}

/// The next child element of the current element, skipping whitespace, comments and
/// processing instructions. Text that is not whitespace is not allowed between envelope
/// elements.
fn next_child<'i>(reader: &mut NsReader<&'i [u8]>) -> Result<Child<'i>, Fault> {
    loop {
        match read(reader)? {
            Event::Start(element) => return Ok(Child::Element(element, false)),
            Event::Empty(element) => return Ok(Child::Element(element, true)),
            Event::End(_) => return Ok(Child::End),
            Event::Text(text) if is_blank(&text.xml10_content()) => {}
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => return Err(Fault::client("Unmarshalling Error: unexpected end of the message")),
            _ => return Err(Fault::client("Unmarshalling Error: unexpected content in the envelope")),
        }
    }
}

/// The document element (after the XML declaration, comments, whitespace).
fn next_element<'i>(reader: &mut NsReader<&'i [u8]>) -> Result<Option<BytesStart<'i>>, Fault> {
    loop {
        match read(reader)? {
            Event::Start(element) => return Ok(Some(element)),
            Event::Empty(_) => return Err(Fault::client("Empty SOAP envelope")),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Text(text) if is_blank(&text.xml10_content()) => {}
            Event::Eof => return Ok(None),
            _ => return Err(Fault::client("Unmarshalling Error: unexpected content before the envelope")),
        }
    }
}

/// One event; a DTD is refused (no entity of any kind is expanded) as SOAP 1.1 §3 requires.
fn read<'i>(reader: &mut NsReader<&'i [u8]>) -> Result<Event<'i>, Fault> {
    match reader.read_event() {
        Ok(Event::DocType(_)) => Err(Fault::client("A SOAP message must not contain a Document Type Declaration")),
        Ok(event) => Ok(event),
        // quick-xml's message may quote the document; only the position is reported.
        Err(_) => {
            Err(Fault::client(format!("Unmarshalling Error: malformed XML near byte {}", reader.buffer_position())))
        }
    }
}

/// The content of the element just opened, up to its end tag: text, or an object of its
/// children.
fn read_value(reader: &mut NsReader<&[u8]>, depth: usize) -> Result<Value, Fault> {
    if depth > MAX_FIELD_DEPTH {
        return Err(Fault::client("Unmarshalling Error: elements nested too deep"));
    }
    let mut text = String::new();
    let mut children = Map::new();
    loop {
        match read(reader)? {
            Event::Start(element) => {
                let value = if is_nil(&element) {
                    skip(reader, &element, false)?;
                    Value::Null
                } else {
                    read_value(reader, depth + 1)?
                };
                add(&mut children, local_name(&element), value);
            }
            Event::Empty(element) => {
                let value = if is_nil(&element) { Value::Null } else { Value::String(String::new()) };
                add(&mut children, local_name(&element), value);
            }
            Event::Text(content) => text.push_str(&content.xml10_content()),
            Event::CData(content) => text.push_str(&content.xml10_content()),
            Event::GeneralRef(reference) => text.push(resolve(&reference)?),
            Event::Comment(_) | Event::PI(_) => {}
            Event::End(_) => break,
            Event::Eof => return Err(Fault::client("Unmarshalling Error: unexpected end of the message")),
            Event::Decl(_) | Event::DocType(_) => {
                return Err(Fault::client("Unmarshalling Error: unexpected declaration"));
            }
        }
    }
    if children.is_empty() {
        Ok(Value::String(text))
    } else if is_blank(&text) {
        Ok(Value::Object(children))
    } else {
        Err(Fault::client("Unmarshalling Error: an element holds both text and elements"))
    }
}

/// A second element of one name turns the field into a list; a `…List` field is one from
/// its first element.
fn add(children: &mut Map<String, Value>, name: &str, value: Value) {
    match children.get_mut(name) {
        Some(Value::Array(items)) => items.push(value),
        Some(first) => {
            let first = first.take();
            children.insert(name.to_owned(), Value::Array(vec![first, value]));
        }
        None if name.ends_with("List") => {
            children.insert(name.to_owned(), Value::Array(vec![value]));
        }
        None => {
            children.insert(name.to_owned(), value);
        }
    }
}

/// The five predefined entities and character references; XML has no others without a DTD.
fn resolve(reference: &BytesRef<'_>) -> Result<char, Fault> {
    let undefined = || Fault::client("Unmarshalling Error: undefined entity");
    if reference.is_char_ref() {
        return reference.resolve_char_ref().ok().flatten().ok_or_else(undefined);
    }
    match &**reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(undefined()),
    }
}

/// `xsi:nil="true"`: the field is sent as absent.
fn is_nil(element: &BytesStart<'_>) -> bool {
    element.attributes().flatten().any(|attribute| {
        attribute.key.local_name().as_ref() == "nil" && matches!(attribute.value.as_ref(), "true" | "1")
    })
}

fn skip(reader: &mut NsReader<&[u8]>, element: &BytesStart<'_>, empty: bool) -> Result<(), Fault> {
    if empty {
        return Ok(());
    }
    let end = element.to_end().into_owned();
    reader.read_to_end(end.name()).map(|_| ()).map_err(|_| Fault::client("Unmarshalling Error: malformed XML"))
}

fn expect_soap(reader: &NsReader<&[u8]>, element: &BytesStart<'_>, local: &str) -> Result<(), Fault> {
    if is_soap(reader, element) && local_name(element) == local {
        Ok(())
    } else {
        Err(Fault::client(format!("Not a SOAP 1.1 {local}: expected {{{SOAP_ENVELOPE_NS}}}{local}")))
    }
}

fn is_soap(reader: &NsReader<&[u8]>, element: &BytesStart<'_>) -> bool {
    matches!(reader.resolver().resolve_element(element.name()).0,
             ResolveResult::Bound(namespace) if namespace.0 == SOAP_ENVELOPE_NS)
}

fn local_name<'a>(element: &'a BytesStart<'_>) -> &'a str {
    let name = element.name().0;
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

fn is_blank(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The answer envelope of `method` for the answer `fields`.
pub fn encode_answer(method: &Method, fields: &Map<String, Value>) -> String {
    let mut xml = String::with_capacity(512);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    xml.push_str(&format!("<soap:Envelope xmlns:soap=\"{SOAP_ENVELOPE_NS}\"><soap:Body>"));
    xml.push_str(&format!("<{}Response xmlns=\"{}\"><output>", method.name, super::namespace(method.family)));
    write_fields(&mut xml, fields);
    xml.push_str(&format!("</output></{}Response></soap:Body></soap:Envelope>", method.name));
    xml
}

fn write_fields(xml: &mut String, fields: &Map<String, Value>) {
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    for name in names {
        write_element(xml, name, &fields[name]);
    }
}

fn write_element(xml: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|item| write_element(xml, name, item)),
        Value::Object(fields) => {
            xml.push_str(&format!("<{name}>"));
            write_fields(xml, fields);
            xml.push_str(&format!("</{name}>"));
        }
        Value::String(text) => xml.push_str(&format!("<{name}>{}</{name}>", escape(text.as_str()))),
        Value::Number(number) => xml.push_str(&format!("<{name}>{number}</{name}>")),
        Value::Bool(flag) => xml.push_str(&format!("<{name}>{flag}</{name}>")),
    }
}

#[cfg(test)]
mod tests;
