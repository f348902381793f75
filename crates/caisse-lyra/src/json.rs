//! Answers as an ordered JSON tree. The platform writes every object's keys in a fixed order
//! and every declared key even when it is `null` (research §3); `serde_json::Map` sorts keys
//! unless a workspace-wide feature is turned on, so answers are built here and serialised in
//! the order they were pushed.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::borrow::Cow;

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(Cow<'static, str>),
    Array(Vec<Json>),
    Object(Object),
    /// A value the merchant sent (customer, metadata), echoed as it came.
    Raw(serde_json::Value),
}

/// A JSON object whose keys keep their insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object(Vec<(&'static str, Json)>);

impl Object {
    pub fn new() -> Object {
        // Most platform objects have 5 to 20 keys: one allocation for most of them.
        Object(Vec::with_capacity(16))
    }

    /// An object that ends with `_type`, as every platform object does; push the fields, then
    /// call [`Object::typed`].
    pub fn with(&mut self, key: &'static str, value: impl Into<Json>) -> &mut Object {
        debug_assert!(self.0.iter().all(|(existing, _)| *existing != key), "duplicate key {key}");
        self.0.push((key, value.into()));
        self
    }

    /// Appends `_type` and hands the object over.
    pub fn typed(&mut self, type_name: &'static str) -> Object {
        self.with("_type", type_name);
        std::mem::take(self)
    }

    /// The object as it is, without `_type` (the envelope's `answer` already has one).
    pub fn take(&mut self) -> Object {
        std::mem::take(self)
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(existing, _)| *existing == key).map(|(_, value)| value)
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(key, _)| *key)
    }
}

impl From<&'static str> for Json {
    fn from(value: &'static str) -> Json {
        Json::Str(Cow::Borrowed(value))
    }
}

impl From<String> for Json {
    fn from(value: String) -> Json {
        Json::Str(Cow::Owned(value))
    }
}

impl From<&String> for Json {
    fn from(value: &String) -> Json {
        Json::Str(Cow::Owned(value.clone()))
    }
}

impl From<u64> for Json {
    fn from(value: u64) -> Json {
        // Amounts are at most 999 999 999 999 (N12): far below i64::MAX.
        Json::Int(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<u32> for Json {
    fn from(value: u32) -> Json {
        Json::Int(i64::from(value))
    }
}

impl From<i64> for Json {
    fn from(value: i64) -> Json {
        Json::Int(value)
    }
}

impl From<bool> for Json {
    fn from(value: bool) -> Json {
        Json::Bool(value)
    }
}

impl From<Object> for Json {
    fn from(value: Object) -> Json {
        Json::Object(value)
    }
}

impl From<Vec<Json>> for Json {
    fn from(value: Vec<Json>) -> Json {
        Json::Array(value)
    }
}

impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(value: Option<T>) -> Json {
        value.map_or(Json::Null, Into::into)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(value) => serializer.serialize_bool(*value),
            Json::Int(value) => serializer.serialize_i64(*value),
            Json::Str(value) => serializer.serialize_str(value),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(object) => object.serialize(serializer),
            Json::Raw(value) => value.serialize(serializer),
        }
    }
}

impl Serialize for Object {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// The text of an answer: compact, keys in order, `/` not escaped (clients hash kr-answer
/// after un-escaping it); the same text serde_json writes for the tree, written directly: the
/// keys are the platform's field names and need no escaping, which on a 6 KB `V4/Payment`
/// was most of serde_json's time.
pub fn to_text(object: &Object) -> String {
    // A V4/Payment answer is about 6 KB: one allocation instead of a dozen regrowths.
    let mut text = String::with_capacity(ANSWER_BYTES_HINT);
    object.write(&mut text);
    text
}

impl Object {
    fn write(&self, text: &mut String) {
        text.push('{');
        for (index, (key, value)) in self.0.iter().enumerate() {
            if index > 0 {
                text.push(',');
            }
            debug_assert!(is_plain(key), "key {key} needs escaping");
            text.push('"');
            text.push_str(key);
            text.push_str("\":");
            value.write(text);
        }
        text.push('}');
    }
}

impl Json {
    fn write(&self, text: &mut String) {
        match self {
            Json::Null => text.push_str("null"),
            Json::Bool(value) => text.push_str(if *value { "true" } else { "false" }),
            Json::Int(value) => text.push_str(itoa::Buffer::new().format(*value)),
            Json::Str(value) if is_plain(value) => {
                text.push('"');
                text.push_str(value);
                text.push('"');
            }
            Json::Str(value) => text.push_str(&serde_json::to_string(value.as_ref()).expect("a string serialises")),
            Json::Array(items) => {
                text.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        text.push(',');
                    }
                    item.write(text);
                }
                text.push(']');
            }
            Json::Object(object) => object.write(text),
            Json::Raw(value) => text.push_str(&serde_json::to_string(value).expect("a JSON value serialises")),
        }
    }
}

/// Whether serde_json would write the text as it is: no quote, backslash or control character.
fn is_plain(text: &str) -> bool {
    text.bytes().all(|byte| byte >= 0x20 && byte != b'"' && byte != b'\\')
}

/// The usual size of the largest answers.
const ANSWER_BYTES_HINT: usize = 8 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_insertion_order_and_nulls() {
        let mut inner = Object::new();
        let inner = inner.with("b", 2u64).with("a", Json::Null).typed("V4/Inner");
        let mut outer = Object::new();
        let outer = outer
            .with("zeta", "z/1")
            .with("alpha", Some(true))
            .with("none", None::<String>)
            .with("inner", inner)
            .with("list", vec![Json::from(1u64)])
            .with("raw", Json::Raw(serde_json::json!({"y": 1, "x": [null]})))
            .take();
        assert_eq!(
            to_text(&outer),
            r#"{"zeta":"z/1","alpha":true,"none":null,"inner":{"b":2,"a":null,"_type":"V4/Inner"},"list":[1],"raw":{"x":[null],"y":1}}"#
        );
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let mut inner = Object::new();
        let inner = inner.with("quote", "a \"b\" \\ c\n\u{1}").with("n", -42i64).typed("V4/Inner");
        let mut outer = Object::new();
        let outer = outer
            .with("text", String::from("é/ü ✓"))
            .with("inner", inner)
            .with("list", vec![Json::Null, Json::from(true), Json::from("x")])
            .with("raw", Json::Raw(serde_json::json!({"k": "v\"", "n": [1.5, null]})))
            .take();
        let mut bytes = Vec::new();
        serde_json::to_writer(&mut bytes, &outer).unwrap();
        assert_eq!(to_text(&outer), String::from_utf8(bytes).unwrap());
    }
}
