//! `V4/Customer/Customer`: the template of research §3.2, filled with what the merchant sent.
//! Keys the platform does not declare are left out, so nothing unexpected is echoed.

use crate::json::{Json, Object};
use serde_json::{Map, Value};

const BILLING: [&str; 17] = [
    "address",
    "category",
    "cellPhoneNumber",
    "city",
    "country",
    "district",
    "firstName",
    "identityCode",
    "identityType",
    "language",
    "lastName",
    "phoneNumber",
    "state",
    "streetNumber",
    "title",
    "zipCode",
    "legalName",
];

const SHIPPING: [&str; 17] = [
    "address",
    "address2",
    "category",
    "city",
    "country",
    "deliveryCompanyName",
    "district",
    "firstName",
    "identityCode",
    "lastName",
    "legalName",
    "phoneNumber",
    "shippingMethod",
    "shippingSpeed",
    "state",
    "streetNumber",
    "zipCode",
];

const EXTRA: [&str; 4] = ["browserAccept", "fingerPrintId", "ipAddress", "browserUserAgent"];

const SHOPPING_CART: [&str; 4] = ["insuranceAmount", "shippingAmount", "taxAmount", "cartItemInfo"];

fn value(from: Option<&Map<String, Value>>, key: &str) -> Json {
    match from.and_then(|map| map.get(key)) {
        None | Some(Value::Null) => Json::Null,
        Some(value) => Json::Raw(value.clone()),
    }
}

fn filled(keys: &[&'static str], from: Option<&Value>, type_name: &'static str) -> Object {
    let from = from.and_then(Value::as_object);
    let mut object = Object::new();
    for key in keys {
        object.with(key, value(from, key));
    }
    object.typed(type_name)
}

/// The customer object. `shopping_cart_null`: `V4/Token` shows `shoppingCart: null`.
pub fn customer(sent: &Map<String, Value>, shopping_cart_null: bool) -> Object {
    let shopping_cart: Json = if shopping_cart_null {
        Json::Null
    } else {
        filled(&SHOPPING_CART, sent.get("shoppingCart"), "V4/Customer/ShoppingCart").into()
    };
    Object::new()
        .with("billingDetails", filled(&BILLING, sent.get("billingDetails"), "V4/Customer/BillingDetails"))
        .with("email", value(Some(sent), "email"))
        .with("reference", value(Some(sent), "reference"))
        .with("shippingDetails", filled(&SHIPPING, sent.get("shippingDetails"), "V4/Customer/ShippingDetails"))
        .with("extraDetails", filled(&EXTRA, sent.get("extraDetails"), "V4/Customer/ExtraDetails"))
        .with("shoppingCart", shopping_cart)
        .typed("V4/Customer/Customer")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::to_text;
    use serde_json::json;

    #[test]
    fn echoes_known_keys_only() {
        let sent = json!({"email": "a@b.example", "reference": "C1", "billingDetails": {"firstName": "Ann", "x": 1},
                          "secret": "dropped"});
        let text = to_text(&customer(sent.as_object().unwrap(), false));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["email"], "a@b.example");
        assert_eq!(value["billingDetails"]["firstName"], "Ann");
        assert_eq!(value["billingDetails"]["lastName"], Value::Null);
        assert!(value["billingDetails"].get("x").is_none());
        assert!(value.get("secret").is_none());
        assert_eq!(value["shoppingCart"]["_type"], "V4/Customer/ShoppingCart");
        assert!(text.starts_with(r#"{"billingDetails":{"address":null,"#));
        assert!(text.ends_with(r#""_type":"V4/Customer/Customer"}"#));
    }
}
