use super::*;
use crate::registry::{self, family, lookup};
use serde_json::json;

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:urn=\"urn:sips:cn:contract:office:checkout:v2\">\n  <soapenv:Header/>\n  <soapenv:Body>{body}</soapenv:Body>\n</soapenv:Envelope>"
    )
}

fn checkout(body: &str) -> Result<SoapRequest, Fault> {
    decode(envelope(body).as_bytes(), family("checkout").unwrap())
}

#[test]
fn the_seed_sample_reads_as_its_json_body() {
    let request = checkout(
        "<urn:cardOrder>
           <urn:input>
              <urn:merchantId>001112233440000</urn:merchantId>
              <urn:interfaceVersion>IR_WS_2.41</urn:interfaceVersion>
              <urn:cardNumber>1234123412341234</urn:cardNumber>
              <urn:s10TransactionReference><urn:s10TransactionId>12</urn:s10TransactionId></urn:s10TransactionReference>
              <urn:returnContext>a &amp; b &#x3C; c<![CDATA[ <d> ]]></urn:returnContext>
              <urn:customerId/>
           </urn:input>
        </urn:cardOrder>",
    )
    .unwrap();
    assert_eq!(request.operation, "cardOrder");
    assert_eq!(
        Value::Object(request.fields),
        json!({
            "merchantId": "001112233440000", "interfaceVersion": "IR_WS_2.41", "cardNumber": "1234123412341234",
            "s10TransactionReference": {"s10TransactionId": "12"}, "returnContext": "a & b < c <d> ",
            "customerId": "",
        })
    );
}

#[test]
fn repeated_elements_and_list_names_are_lists() {
    let request = checkout(
        "<urn:cardOrder><urn:input>
           <urn:shoppingCartDetail>
             <urn:shoppingCartItemList><urn:productName>A</urn:productName></urn:shoppingCartItemList>
           </urn:shoppingCartDetail>
           <urn:paymentMeanBrandList>VISA</urn:paymentMeanBrandList>
           <urn:orderId>1</urn:orderId><urn:orderId>2</urn:orderId>
           <urn:customerContact><urn:email xsi:nil=\"true\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/></urn:customerContact>
         </urn:input></urn:cardOrder>",
    )
    .unwrap();
    assert_eq!(
        Value::Object(request.fields),
        json!({
            "shoppingCartDetail": {"shoppingCartItemList": [{"productName": "A"}]},
            "paymentMeanBrandList": ["VISA"],
            "orderId": ["1", "2"],
            "customerContact": {"email": null},
        })
    );
}

#[test]
fn any_prefix_and_the_default_namespace_are_the_same_message() {
    let default = "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>\
        <cardOrder xmlns=\"urn:sips:cn:contract:office:checkout:v2\"><input><amount>10</amount></input></cardOrder>\
        </soap:Body></soap:Envelope>";
    let request = decode(default.as_bytes(), family("checkout").unwrap()).unwrap();
    assert_eq!(Value::Object(request.fields), json!({"amount": "10"}));
    // Worldline's simulator writes the family in lower case.
    let lower = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
        <c:cancel xmlns:c=\"urn:sips:cn:contract:office:cashmanagement:v2\"/></s:Body></s:Envelope>";
    let request = decode(lower.as_bytes(), family("cashManagement").unwrap()).unwrap();
    assert_eq!((request.operation.as_str(), request.fields.len()), ("cancel", 0));
}

#[test]
fn faults() {
    let cases = [
        ("<urn:cardOrder><urn:input><urn:amount>1</urn:input></urn:cardOrder>", "malformed"),
        ("<urn:cardOrder><urn:input><urn:amount>1&foo;</urn:amount></urn:input></urn:cardOrder>", "undefined entity"),
        ("<other:cardOrder xmlns:other=\"urn:x\"/>", "Unexpected wrapper element {urn:x}cardOrder"),
        ("<cardOrder/>", "Unexpected wrapper element {}cardOrder"),
        ("<urn:cardOrder/><urn:cardOrder/>", "More than one operation"),
        ("", "No operation"),
        ("<urn:cardOrder><urn:input>text</urn:input></urn:cardOrder>", "input holds text"),
        ("<urn:cardOrder><urn:input><urn:a>x<urn:b/></urn:a></urn:input></urn:cardOrder>", "both text and elements"),
        ("<urn:cardOrder><urn:output/></urn:cardOrder>", "Unexpected element output"),
        ("<urn:cardOrder><urn:input/><urn:input/></urn:cardOrder>", "Unexpected element input"),
    ];
    for (body, reason) in cases {
        let fault = checkout(body).unwrap_err();
        assert!(fault.reason.contains(reason), "{body}: {}", fault.reason);
    }
    let checkout_family = family("checkout").unwrap();
    for (document, reason) in [
        ("not xml at all", "before the envelope"),
        ("<Envelope><Body/></Envelope>", "Not a SOAP 1.1 Envelope"),
        ("<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/></e:Envelope>", "Not a SOAP 1.1"),
        ("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>", "Document Type Declaration"),
        ("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header/></s:Envelope>", "No SOAP body"),
        (
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><c:cardOrder xmlns:c=\"urn:sips:cn:contract:office:checkout:v2\"/></s:Body>",
            "unexpected end",
        ),
        (
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body></s:Bodi></s:Envelope>",
            "malformed XML",
        ),
        (
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><c:cardOrder xmlns:c=\"urn:sips:cn:contract:office:checkout:v2\"/></s:Body></s:Envelope><x/>",
            "after the envelope",
        ),
    ] {
        let fault = decode(document.as_bytes(), checkout_family).unwrap_err();
        assert!(fault.reason.contains(reason), "{document}: {}", fault.reason);
    }
    assert!(decode(b"\xff\xfe", checkout_family).unwrap_err().reason.contains("UTF-8"));
    let deep =
        format!("<urn:cardOrder><urn:input>{}x{}</urn:input></urn:cardOrder>", "<a>".repeat(40), "</a>".repeat(40));
    assert!(checkout(&deep).unwrap_err().reason.contains("too deep"));
}

#[test]
fn card_numbers_never_reach_a_fault() {
    let body = "<urn:cardOrder><urn:input><urn:cardNumber>4100000000000000</urn:cardNumbr></urn:input></urn:cardOrder>";
    let fault = checkout(body).unwrap_err();
    assert!(!fault.reason.contains("4100000000000000") && !fault.to_xml().contains("4100000000000000"));
}

#[test]
fn answers_in_name_order_with_lists_repeated() {
    let method = lookup("paymentMeanInfo", "getCardData").unwrap();
    let answer = json!({
        "responseCode": "00",
        "cardData": [{"cardScheme": "CB", "cardBrand": "CB"}, {"cardScheme": "VISA", "cardBrand": "VISA"}],
        "errorFieldName": "a<b&c",
        "seal": "abc",
    });
    let xml = encode_answer(method, answer.as_object().unwrap());
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soap:Body><getCardDataResponse xmlns=\"urn:sips:cn:contract:office:paymentMeanInfo:v2\"><output>\
         <cardData><cardBrand>CB</cardBrand><cardScheme>CB</cardScheme></cardData>\
         <cardData><cardBrand>VISA</cardBrand><cardScheme>VISA</cardScheme></cardData>\
         <errorFieldName>a&lt;b&amp;c</errorFieldName><responseCode>00</responseCode><seal>abc</seal>\
         </output></getCardDataResponse></soap:Body></soap:Envelope>"
    );
}

/// An answer read back as a request gives the same map: the two directions agree.
#[test]
fn round_trip() {
    let method = registry::lookup("checkout", "cardOrder").unwrap();
    let fields = json!({
        "responseCode": "00",
        "s10TransactionReference": {"s10TransactionId": "1", "s10TransactionIdDate": "20261128"},
        "returnContext": "<&>\"'",
    });
    let answer = encode_answer(method, fields.as_object().unwrap());
    let as_request = answer
        .replace("getCardDataResponse", "cardOrder")
        .replace("cardOrderResponse", "cardOrder")
        .replace("<output>", "<input>")
        .replace("</output>", "</input>");
    let decoded = decode(as_request.as_bytes(), family("checkout").unwrap()).unwrap();
    assert_eq!(Value::Object(decoded.fields), fields);
}
