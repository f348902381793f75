//! The Office Serveur SOAP connector over real HTTP, on SQLite and on PostgreSQL: every method,
//! its error paths, SOAP faults, the WSDL, and the same answers as JSON for the same request.
//! The envelopes and the answer reader here are written from PROTOCOLS.md §1 and the seed's
//! samples, independently of caisse-sips.

mod common;

use common::*;
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::{Map, Value, json};

const VISA_OK: &str = "4100000000000000";
const CB_VISA: &str = "4300000000000000";

/// The family namespace, as the WSDL declares it.
fn namespace(family: &str) -> String {
    format!("urn:sips:cn:contract:office:{family}:v2")
}

/// A request as a merchant's SOAP client writes it: `urn:` prefix, `<urn:METHOD><urn:input>`.
fn envelope(path: &str, fields: &Map<String, Value>) -> String {
    let (family, method) = path.split_once('/').unwrap();
    let mut body = String::new();
    for (name, value) in fields {
        write_element(&mut body, name, value);
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:urn=\"{}\">\n\
         <soapenv:Header/>\n<soapenv:Body>\n<urn:{method}>\n<urn:input>\n{body}</urn:input>\n</urn:{method}>\n\
         </soapenv:Body>\n</soapenv:Envelope>",
        namespace(family)
    )
}

fn write_element(xml: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| write_element(xml, name, item)),
        Value::Object(fields) => {
            xml.push_str(&format!("<urn:{name}>"));
            fields.iter().for_each(|(name, value)| write_element(xml, name, value));
            xml.push_str(&format!("</urn:{name}>\n"));
        }
        Value::String(text) => {
            let text = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            xml.push_str(&format!("<urn:{name}>{text}</urn:{name}>\n"));
        }
        other => xml.push_str(&format!("<urn:{name}>{other}</urn:{name}>\n")),
    }
}

/// The fields of `<output>`: text elements as strings, containers as objects, repeated
/// elements as lists.
fn read_output(xml: &str) -> Map<String, Value> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<(String, Map<String, Value>, String)> = Vec::new();
    let mut inside = false;
    loop {
        match reader.read_event().expect("well-formed answer") {
            Event::Start(element) => {
                let name = local(element.name().0);
                inside |= name == "output";
                if inside {
                    stack.push((name, Map::new(), String::new()));
                }
            }
            Event::Empty(element) if inside => {
                let top = &mut stack.last_mut().unwrap().1;
                add(top, local(element.name().0), Value::String(String::new()));
            }
            Event::Text(text) if inside => stack.last_mut().unwrap().2.push_str(&text.xml10_content()),
            Event::GeneralRef(reference) if inside => {
                let character = match &*reference {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    "apos" => '\'',
                    other => panic!("entity {other}"),
                };
                stack.last_mut().unwrap().2.push(character);
            }
            Event::End(_) if inside => {
                let (name, fields, text) = stack.pop().unwrap();
                if name == "output" {
                    return fields;
                }
                let value = if fields.is_empty() { Value::String(text) } else { Value::Object(fields) };
                add(&mut stack.last_mut().unwrap().1, name, value);
            }
            Event::Eof => panic!("no <output> in {xml}"),
            _ => {}
        }
    }
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap().to_owned()
}

fn add(fields: &mut Map<String, Value>, name: String, value: Value) {
    match fields.get_mut(&name) {
        Some(Value::Array(items)) => items.push(value),
        Some(first) => *first = Value::Array(vec![first.take(), value]),
        None => {
            fields.insert(name, value);
        }
    }
}

/// `fields` with the envelope fields and a correct seal for `MERCHANT`.
fn sealed(path: &str, fields: Value) -> Map<String, Value> {
    let mut request = fields.as_object().cloned().expect("object");
    request.entry("merchantId").or_insert_with(|| json!(MERCHANT));
    request.entry("keyVersion").or_insert_with(|| json!("1"));
    request.entry("interfaceVersion").or_insert_with(|| json!(soap_interface_version(path)));
    let seal = seal(&Value::Object(request.clone()), MERCHANT_KEY);
    request.insert("seal".into(), json!(seal));
    request
}

fn soap_interface_version(path: &str) -> &'static str {
    match path.split('/').next().unwrap() {
        "paymentMeanInfo" => "PMR_WS_2.53",
        "wallet" => "WR_WS_2.53",
        _ => interface_version(path),
    }
}

async fn post_soap(server: &TestServer, family: &str, body: String) -> (u16, String, String) {
    let response = server
        .client
        .post(format!("{}/services/v2/{family}", server.base_url))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"\"")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, response.text().await.expect("body"))
}

/// A sealed SOAP call; asserts HTTP 200, the answer wrapper, and the answer's seal.
async fn soap(server: &TestServer, path: &str, fields: Value) -> Map<String, Value> {
    soap_raw(server, path, sealed(path, fields)).await
}

async fn soap_raw(server: &TestServer, path: &str, request: Map<String, Value>) -> Map<String, Value> {
    let (family, method) = path.split_once('/').unwrap();
    let (status, content_type, xml) = post_soap(server, family, envelope(path, &request)).await;
    assert_eq!(status, 200, "{path}: {xml}");
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    let wrapper = format!("<{method}Response xmlns=\"{}\"><output>", namespace(family));
    assert!(xml.contains(&wrapper), "{xml}");
    let answer = read_output(&xml);
    verify_answer_seal(&answer, MERCHANT_KEY);
    answer
}

/// The same request over JSON, sealed the same way.
async fn json_call(server: &TestServer, path: &str, request: &Map<String, Value>) -> Map<String, Value> {
    let (status, body) = server.post_raw(path, &Value::Object(request.clone())).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn card_order_fields(reference: &str, card: &str, extra: Value) -> Value {
    let mut fields = json!({
        "amount": "2500", "currencyCode": "978", "cardNumber": card, "cardExpiryDate": "203012",
        "cardCSCValue": "123", "captureMode": "AUTHOR_CAPTURE", "captureDay": "0", "orderChannel": "INTERNET",
        "transactionReference": reference, "orderId": "ORD1", "returnContext": "a <b> & 'c'",
        "customerContact": {"email": "buyer@example.com", "firstname": "Ana"},
        "shoppingCartDetail": {"shoppingCartItemList": [{"productName": "A", "productQuantity": "1"}]},
    });
    for (name, value) in extra.as_object().cloned().unwrap_or_default() {
        fields[name] = value;
    }
    fields
}

fn without(mut answer: Map<String, Value>, names: &[&str]) -> Map<String, Value> {
    for name in names {
        answer.remove(*name);
    }
    answer
}

fn fault_string(xml: &str) -> &str {
    assert!(xml.contains("<faultcode>soap:Client</faultcode>"), "{xml}");
    let start = xml.find("<faultstring>").unwrap() + "<faultstring>".len();
    &xml[start..xml.find("</faultstring>").unwrap()]
}

on_both_backends! {
    async fn card_order_and_every_cash_method(server) {
        let order = soap(&server, "checkout/cardOrder", card_order_fields("S1", VISA_OK, json!({}))).await;
        assert_eq!(text(&order, "responseCode"), "00", "{order:?}");
        assert_eq!(text(&order, "maskedPan"), "4100##########00");
        assert_eq!(text(&order, "returnContext"), "a <b> & 'c'");
        assert_eq!(text(&order, "authorisationId").len(), 6);
        assert!(!serde_json::to_string(&order).unwrap().contains(VISA_OK));

        // The same order over JSON answers the same fields but for the authorisation number.
        let json_order = json_call(&server, "checkout/cardOrder",
            &sealed("checkout/cardOrder", card_order_fields("J1", VISA_OK, json!({})))).await;
        let differing = ["authorisationId", "seal", "transactionReference", "s10TransactionReference"];
        assert_eq!(without(order.clone(), &differing), without(json_order, &differing));

        let data = soap(&server, "diagnostic/getTransactionData", json!({"transactionReference": "S1"})).await;
        assert_eq!(text(&data, "transactionStatus"), "TO_CAPTURE");
        assert_eq!(text(&data, "currentAmount"), "2500");
        // Same request, same answer, seal included.
        let request = sealed("diagnostic/getTransactionData", json!({"transactionReference": "S1"}));
        assert_eq!(json_call(&server, "diagnostic/getTransactionData", &request).await, data);
        // The s10 container reads as in JSON.
        let s10 = order["s10TransactionReference"].clone();
        let by_s10 = soap(&server, "diagnostic/getTransactionData", json!({"s10TransactionReference": s10})).await;
        assert_eq!(text(&by_s10, "transactionReference"), "S1");

        let operation = |reference: &str, amount: &str| {
            json!({"transactionReference": reference, "operationAmount": amount, "currencyCode": "978"})
        };
        let cancel = soap(&server, "cashManagement/cancel", operation("S1", "500")).await;
        assert_eq!((text(&cancel, "responseCode"), text(&cancel, "newAmount")), ("00", "2000"), "{cancel:?}");
        assert_eq!(text(&soap(&server, "cashManagement/cancel", operation("S1", "2001")).await, "responseCode"), "24");

        soap(&server, "checkout/cardOrder",
             card_order_fields("S2", VISA_OK, json!({"captureMode": "VALIDATION", "captureDay": "3"}))).await;
        let validate = soap(&server, "cashManagement/validate", operation("S2", "2000")).await;
        assert_eq!((text(&validate, "responseCode"), text(&validate, "newStatus")), ("00", "TO_CAPTURE"));

        server.run_batch().await;
        let refund = soap(&server, "cashManagement/refund", operation("S2", "700")).await;
        assert_eq!(text(&refund, "responseCode"), "00", "{refund:?}");
        assert!(!text(&refund, "authorisationId").is_empty());
        assert_eq!(text(&soap(&server, "cashManagement/refund", operation("S2", "1301")).await, "responseCode"), "24");

        let duplicate = soap(&server, "cashManagement/duplicate", json!({
            "fromTransactionReference": "S1", "transactionReference": "S3", "amount": "900", "currencyCode": "978",
        })).await;
        assert_eq!(text(&duplicate, "responseCode"), "00", "{duplicate:?}");
        let copy = soap(&server, "diagnostic/getTransactionData", json!({"transactionReference": "S3"})).await;
        assert_eq!(text(&copy, "fromTransactionReference"), "S1");

        let credit = soap(&server, "cashManagement/creditHolder", json!({
            "amount": "300", "currencyCode": "978", "cardNumber": VISA_OK, "cardExpiryDate": "203012",
            "transactionReference": "S4",
        })).await;
        assert_eq!(text(&credit, "responseCode"), "00", "{credit:?}");
    }

    async fn error_paths_answer_as_json_does(server) {
        // Missing field: 12 with errorFieldName, the same answer (seal included) over JSON.
        let missing = sealed("checkout/cardOrder", without(
            card_order_fields("E1", VISA_OK, json!({})).as_object().cloned().unwrap(), &["amount"]).into());
        let answer = soap_raw(&server, "checkout/cardOrder", missing.clone()).await;
        assert_eq!((text(&answer, "responseCode"), text(&answer, "errorFieldName")), ("12", "amount"));
        assert!(answer.contains_key("seal"));
        assert_eq!(json_call(&server, "checkout/cardOrder", &missing).await, answer);

        // Format error: 30.
        let format = soap(&server, "checkout/cardOrder",
            card_order_fields("E2", VISA_OK, json!({"captureDay": "100"}))).await;
        assert_eq!((text(&format, "responseCode"), text(&format, "errorFieldName")), ("30", "captureDay"));

        // Wrong seal: 34, nothing stored.
        let mut forged = sealed("checkout/cardOrder", card_order_fields("E3", VISA_OK, json!({})));
        forged.insert("seal".into(), json!(seal(&Value::Object(forged.clone()), "not-the-key")));
        let (_, _, xml) = post_soap(&server, "checkout", envelope("checkout/cardOrder", &forged)).await;
        let answer = read_output(&xml);
        assert_eq!(text(&answer, "responseCode"), "34");
        assert_eq!(json_call(&server, "checkout/cardOrder", &forged).await, answer);
        let lookup = soap(&server, "diagnostic/getTransactionData", json!({"transactionReference": "E3"})).await;
        assert_eq!(text(&lookup, "responseCode"), "25");

        // Another family's prefix: 12 on interfaceVersion.
        let prefix = soap(&server, "cashManagement/cancel", json!({
            "interfaceVersion": "IR_WS_2.53", "transactionReference": "E1", "operationAmount": "1",
            "currencyCode": "978",
        })).await;
        assert_eq!((text(&prefix, "responseCode"), text(&prefix, "errorFieldName")), ("12", "interfaceVersion"));

        // An empty input: 12 on merchantId, unsealed (no identity), as `{}` over JSON.
        let (status, _, xml) = post_soap(&server, "diagnostic", envelope("diagnostic/getTransactionData", &Map::new())).await;
        assert_eq!(status, 200);
        assert_eq!(Value::Object(read_output(&xml)), json!({"responseCode": "12", "errorFieldName": "merchantId"}));
    }

    async fn wallet_methods_over_soap(server) {
        let wallet = |extra: Value| {
            let mut fields = json!({"merchantWalletId": "SOAPW"});
            for (name, value) in extra.as_object().cloned().unwrap_or_default() {
                fields[name] = value;
            }
            fields
        };
        let added = soap(&server, "wallet/addCard", wallet(json!({"cardNumber": VISA_OK, "cardExpiryDate": "203012",
            "paymentMeanAlias": "visa"}))).await;
        assert_eq!((text(&added, "walletResponseCode"), text(&added, "paymentMeanId")), ("00", "1"), "{added:?}");
        assert_eq!(text(&added, "maskedPan"), "4100##########00");
        let twice = soap(&server, "wallet/addCard", wallet(json!({"cardNumber": VISA_OK, "cardExpiryDate": "203012"}))).await;
        assert_eq!(text(&twice, "walletResponseCode"), "94");
        let debit = soap(&server, "wallet/addDirectDebit", wallet(json!({"iban": "FR1420041010050500013M02606"}))).await;
        assert_eq!((text(&debit, "walletResponseCode"), text(&debit, "paymentMeanId")), ("00", "2"), "{debit:?}");

        // A list of containers: the same answer as JSON, seal included.
        let path = "wallet/getWalletData";
        let (_, _, xml) = post_soap(&server, "wallet", envelope(path, &sealed(path, wallet(json!({}))))).await;
        assert_eq!(xml.matches("<paymentMeanId>").count(), 2, "{xml}");
        assert!(xml.contains("<paymentMeanAlias>visa</paymentMeanAlias>"), "{xml}");
        assert!(!xml.contains(VISA_OK) && !xml.contains("FR1420041010050500013M02606"));
        let json_data = json_call(&server, path, &sealed(path, wallet(json!({})))).await;
        assert_eq!(json_data["walletPaymentMeanDataList"].as_array().map(Vec::len), Some(2));
        let seal_of = |xml: &str| xml.split("<seal>").nth(1).and_then(|rest| rest.split("</seal>").next()).unwrap().to_owned();
        assert_eq!(seal_of(&xml), text(&json_data, "seal"), "one answer, two encodings");

        let order = soap(&server, "checkout/walletOrder", wallet(json!({"paymentMeanId": "1", "amount": "1200",
            "currencyCode": "978", "transactionReference": "SW1", "captureMode": "AUTHOR_CAPTURE", "captureDay": "0",
            "orderChannel": "INTERNET"}))).await;
        assert_eq!(text(&order, "responseCode"), "00", "{order:?}");
        let unknown = soap(&server, "wallet/getPaymentMeanData", wallet(json!({"paymentMeanId": "9"}))).await;
        assert_eq!(text(&unknown, "walletResponseCode"), "01");
        let missing = soap(&server, "wallet/deletePaymentMean", json!({"paymentMeanId": "1"})).await;
        assert_eq!((text(&missing, "walletResponseCode"), text(&missing, "errorFieldName")), ("12", "merchantWalletId"));
        let signed_off = soap(&server, "wallet/signOff", wallet(json!({}))).await;
        assert_eq!(text(&signed_off, "walletResponseCode"), "00");
        assert_eq!(text(&soap(&server, "wallet/signOff", wallet(json!({}))).await, "walletResponseCode"), "01");
    }

    async fn three_d_secure_over_soap(server) {
        let enrolment = soap(&server, "checkout/cardCheckEnrollment", json!({"amount": "1000", "currencyCode": "978",
            "cardNumber": VISA_OK, "cardExpiryDate": "203012", "orderChannel": "INTERNET",
            "transactionReference": "S3DS"})).await;
        assert_eq!((text(&enrolment, "responseCode"), text(&enrolment, "redirectionStatusCode")), ("00", "00"), "{enrolment:?}");
        let url = text(&enrolment, "redirectionUrl").to_owned();
        assert_eq!(url, format!("{}/acs/authenticate", server.base_url), "the public base URL over SOAP too");
        let pa_req = text(&enrolment, "paReqMessage").to_owned();
        let term_url = "https://merchant.example/3ds";
        let page = server.client.post(&url).form(&[("PaReq", pa_req.as_str()), ("TermUrl", term_url), ("MD", "m")])
            .send().await.unwrap().text().await.unwrap();
        assert!(page.contains("authenticate"), "{page}");
        let returned = server.client.post(format!("{}/acs/decide", server.base_url))
            .form(&[("PaReq", pa_req.as_str()), ("TermUrl", term_url), ("MD", "m"), ("choice", "authenticate")])
            .send().await.unwrap().text().await.unwrap();
        let start = returned.find("name=\"PaRes\" value=\"").unwrap() + "name=\"PaRes\" value=\"".len();
        let pa_res = returned[start..start + returned[start..].find('"').unwrap()].replace("&#x2f;", "/").replace("&amp;", "&");
        let order = soap(&server, "checkout/cardValidateAuthenticationAndOrder", json!({
            "transactionReference": "S3DS", "messageVersion": text(&enrolment, "messageVersion"),
            "redirectionData": text(&enrolment, "redirectionData"), "paResMessage": pa_res})).await;
        assert_eq!((text(&order, "responseCode"), text(&order, "holderAuthentStatus")), ("00", "SUCCESS"), "{order:?}");
        let again = soap(&server, "checkout/cardValidateAuthenticationAndOrder", json!({
            "transactionReference": "S3DS", "messageVersion": text(&enrolment, "messageVersion"),
            "redirectionData": text(&enrolment, "redirectionData"), "paResMessage": pa_res})).await;
        assert_eq!(text(&again, "responseCode"), "24");
    }

    async fn every_method_answers_the_same_over_soap_and_json(server) {
        // Each method with nothing but the envelope: its first refusal (12 or 30 with
        // errorFieldName, or its walletResponseCode), sealed, identical in both encodings.
        for method in caisse_sips::registry::METHODS.iter() {
            let path = format!("{}/{}", method.family.name, method.name);
            let mut request = Map::new();
            request.insert("merchantId".into(), json!(MERCHANT));
            request.insert("keyVersion".into(), json!("1"));
            request.insert("interfaceVersion".into(), json!(format!("{}2.53", method.family.prefix)));
            let seal = seal(&Value::Object(request.clone()), MERCHANT_KEY);
            request.insert("seal".into(), json!(seal));
            let over_json = json_call(&server, &path, &request).await;
            let (status, _, xml) = post_soap(&server, method.family.name, envelope(&path, &request)).await;
            assert_eq!(status, 200, "{path}: {xml}");
            let over_soap = read_output(&xml);
            let code = |answer: &Map<String, Value>| {
                answer.get("responseCode").or_else(|| answer.get("walletResponseCode")).cloned()
            };
            if code(&over_json) == Some(json!("00")) {
                // A method with no required field (hostedFieldsInitialize) answers a fresh session.
                assert_eq!(code(&over_soap), Some(json!("00")), "{path}: {over_soap:?}");
            } else {
                assert!(code(&over_json).is_some(), "{path}: {over_json:?}");
                assert_eq!(over_soap, over_json, "{path}");
            }
        }
    }

    async fn card_data_over_soap(server) {
        let path = "paymentMeanInfo/getCardData";
        let co_badged = soap(&server, path, json!({"cardNumber": CB_VISA})).await;
        assert_eq!(text(&co_badged, "responseCode"), "00");
        let list = co_badged["cardData"].as_array().expect("co-badged: a list");
        assert_eq!((list[0]["cardBrand"].as_str(), list[1]["cardBrand"].as_str()), (Some("CB"), Some("VISA")));
        let request = sealed(path, json!({"cardNumber": CB_VISA}));
        assert_eq!(json_call(&server, path, &request).await, co_badged);

        let single = soap(&server, path, json!({"cardNumber": "510000"})).await;
        assert_eq!(single["cardData"]["cardScheme"], "MASTERCARD");
        assert_eq!(text(&soap(&server, path, json!({"cardNumber": "999999"})).await, "responseCode"), "05");
        let missing = soap(&server, path, json!({})).await;
        assert_eq!((text(&missing, "responseCode"), text(&missing, "errorFieldName")), ("12", "cardNumber"));
        assert!(!serde_json::to_string(&co_badged).unwrap().contains(CB_VISA));
    }

    async fn payment_token_generate_over_soap(server) {
        let path = "token/paymentTokenGenerate";
        let card = json!({"cardNumber": VISA_OK, "cardExpiryDate": "203012", "cardCSCValue": "123"});
        let answer = soap(&server, path, card).await;
        assert_eq!(text(&answer, "responseCode"), "00", "{answer:?}");
        let token = text(&answer, "paymentToken").to_owned();
        assert_eq!(token.split('.').count(), 3);
        assert!(!serde_json::to_string(&answer).unwrap().contains(VISA_OK));
        // A token made over SOAP pays over JSON, once.
        let order = json!({"amount": "100", "currencyCode": "978", "transactionReference": "SOAPPT", "paymentToken": token});
        assert_eq!(text(&server.call("checkout/cardOrder", order.clone()).await, "responseCode"), "00");
        let mut again = order;
        again["transactionReference"] = json!("SOAPPT2");
        assert_eq!(text(&server.call("checkout/cardOrder", again).await, "responseCode"), "24");
        let missing = soap(&server, path, json!({"cardExpiryDate": "203012"})).await;
        assert_eq!((text(&missing, "responseCode"), text(&missing, "errorFieldName")), ("12", "cardNumber"));
    }

    async fn faults_and_transport(server) {
        // Malformed XML: a SOAP 1.1 fault, HTTP 500, soap:Client.
        let (status, content_type, xml) = post_soap(&server, "checkout",
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><oops".into()).await;
        assert_eq!(status, 500);
        assert!(content_type.starts_with("text/xml"));
        assert!(fault_string(&xml).contains("malformed"), "{xml}");

        // A card number in a broken message never comes back.
        let broken = envelope("checkout/cardOrder", &sealed("checkout/cardOrder",
            card_order_fields("F1", VISA_OK, json!({})))).replace("</urn:cardNumber>", "</urn:cardNumbr>");
        let (status, _, xml) = post_soap(&server, "checkout", broken).await;
        assert_eq!(status, 500);
        assert!(!xml.contains(VISA_OK));

        // Not a SOAP 1.1 envelope; an operation the family does not have; another family's.
        let soap12 = "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body/></e:Envelope>";
        let (status, _, xml) = post_soap(&server, "checkout", soap12.into()).await;
        assert_eq!(status, 500);
        fault_string(&xml);
        let unknown = envelope("checkout/noSuchMethod", &sealed("checkout/noSuchMethod", json!({})));
        let (status, _, xml) = post_soap(&server, "checkout", unknown).await;
        assert_eq!(status, 500);
        assert!(fault_string(&xml).contains("noSuchMethod"), "{xml}");
        let elsewhere = envelope("checkout/cancel", &sealed("checkout/cancel", json!({})));
        let (status, _, _) = post_soap(&server, "checkout", elsewhere).await;
        assert_eq!(status, 500, "cancel is not a checkout operation");
        let wrong_endpoint = envelope("cashManagement/cancel", &sealed("cashManagement/cancel", json!({})));
        let (status, _, xml) = post_soap(&server, "checkout", wrong_endpoint).await;
        assert_eq!(status, 500);
        assert!(fault_string(&xml).contains("Unexpected wrapper element"), "{xml}");

        // Unknown family, or one with no method built: 404, for POST and GET.
        for family in ["nofamily", "mandate"] {
            let (status, _, _) = post_soap(&server, family, envelope("checkout/cardOrder", &Map::new())).await;
            assert_eq!(status, 404, "{family}");
            let get = server.client.get(format!("{}/services/v2/{family}?wsdl", server.base_url)).send().await.unwrap();
            assert_eq!(get.status(), 404, "{family}");
        }

        // The WSDL: every method of the family, the address on the request's host.
        for (family, methods) in [
            ("checkout", &["cardOrder"][..]),
            ("cashManagement", &["cancel", "refund", "validate", "duplicate", "creditHolder"][..]),
            ("diagnostic", &["getTransactionData"][..]),
            ("paymentMeanInfo", &["getCardData"][..]),
        ] {
            let response =
                server.client.get(format!("{}/services/v2/{family}?wsdl", server.base_url)).send().await.unwrap();
            assert_eq!(response.status(), 200);
            let wsdl = response.text().await.unwrap();
            for method in methods {
                assert!(wsdl.contains(&format!("<wsdl:operation name=\"{method}\">")), "{family}/{method}");
            }
            let address = format!("location=\"{}/services/v2/{family}\"", server.base_url);
            assert!(wsdl.contains(&address), "{wsdl}");
        }
        let plain_get = server.client.get(format!("{}/services/v2/checkout", server.base_url)).send().await.unwrap();
        assert_eq!(plain_get.status(), 405);

        let huge = "x".repeat(70 * 1024);
        let (status, _, _) = post_soap(&server, "checkout", huge).await;
        assert_eq!(status, 413);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wsdl_address_uses_the_public_url() {
    let database = std::sync::Arc::new(TestDatabase::new(Backend::Sqlite).await);
    let clock = caisse_core::clock::TestClock::at(chrono::Utc::now());
    let server = TestServer::start_with(database, clock, |settings| {
        settings.public_url = Some("https://pay.example".into());
    })
    .await;
    let wsdl = server
        .client
        .get(format!("{}/services/v2/diagnostic?WSDL", server.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(wsdl.contains("location=\"https://pay.example/services/v2/diagnostic\""), "{wsdl}");
    server.stop().await;
}

/// zeep, a real SOAP client from PyPI, loads the WSDL and pays (tests/soap/zeep_client.py).
/// Fails, never skips, when python3 or zeep is missing: `.ci/run` installs zeep.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeep_loads_the_wsdl_and_pays() {
    let server = TestServer::start(Backend::Sqlite).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/soap/zeep_client.py");
    let output = tokio::process::Command::new("python3")
        .arg(script)
        .arg(&server.base_url)
        .output()
        .await
        .expect("python3 must be installed to run the zeep test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "zeep client failed ({}):\n{stdout}\n{stderr}", output.status);
    assert!(stdout.contains("zeep: all checks passed"), "{stdout}");
    server.stop().await;
}
