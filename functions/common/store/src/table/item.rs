//! Items and attribute values, and the bridge from typed records (serde) to items.

use std::collections::BTreeMap;

use anyhow::Context;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// An attribute value, mirroring DynamoDB's types the system uses. Numbers keep their
/// decimal text, as DynamoDB does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    S(String),
    N(String),
    Bool(bool),
    Null,
    L(Vec<Value>),
    M(BTreeMap<String, Value>),
}

pub type Item = BTreeMap<String, Value>;

/// An item as JSON bytes (cursors, journals).
#[allow(
    clippy::expect_used,
    reason = "an item is string-keyed maps of strings, bools and lists: serde_json cannot fail on it"
)]
pub fn item_json(item: &Item) -> Vec<u8> {
    serde_json::to_vec(item).expect("an item serializes")
}

impl Value {
    pub fn s(s: impl Into<String>) -> Self {
        Value::S(s.into())
    }
    pub fn n(n: i64) -> Self {
        Value::N(n.to_string())
    }
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::N(n) => n.parse().ok(),
            _ => None,
        }
    }

    fn from_json(json: serde_json::Value) -> Option<Self> {
        Some(match json {
            serde_json::Value::Null => return None,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::N(n.to_string()),
            serde_json::Value::String(s) => Value::S(s),
            serde_json::Value::Array(a) => Value::L(
                a.into_iter()
                    .map(|v| Value::from_json(v).unwrap_or(Value::Null))
                    .collect(),
            ),
            serde_json::Value::Object(o) => Value::M(map_from_json(o)),
        })
    }

    fn into_json(self) -> serde_json::Value {
        match self {
            Value::S(s) => serde_json::Value::String(s),
            Value::N(n) => serde_json::from_str(&n).unwrap_or(serde_json::Value::String(n)),
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Null => serde_json::Value::Null,
            Value::L(l) => serde_json::Value::Array(l.into_iter().map(Value::into_json).collect()),
            Value::M(m) => {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k, v.into_json())).collect())
            }
        }
    }
}

/// Null map entries are dropped, as a DynamoDB item has no attribute rather than a null one:
/// that keeps `attribute_not_exists` filters meaningful for optional fields.
fn map_from_json(object: serde_json::Map<String, serde_json::Value>) -> BTreeMap<String, Value> {
    object
        .into_iter()
        .filter_map(|(k, v)| Value::from_json(v).map(|v| (k, v)))
        .collect()
}

/// An item from DynamoDB's JSON form (`{"S": "x"}`, `{"N": "1"}`, `{"BOOL": true}`, ...),
/// as stream records deliver images.
pub fn from_dynamodb_json(json: &serde_json::Value) -> anyhow::Result<Item> {
    let object = json.as_object().context("an image is an object")?;
    object
        .iter()
        .map(|(name, value)| Ok((name.clone(), attribute_from_json(value)?)))
        .collect()
}

fn attribute_from_json(json: &serde_json::Value) -> anyhow::Result<Value> {
    let (kind, inner) = json
        .as_object()
        .and_then(|o| o.iter().next())
        .with_context(|| format!("not an attribute value: {json}"))?;
    Ok(match kind.as_str() {
        "S" => Value::S(inner.as_str().context("S holds a string")?.to_string()),
        "N" => Value::N(inner.as_str().context("N holds a string")?.to_string()),
        "BOOL" => Value::Bool(inner.as_bool().context("BOOL holds a boolean")?),
        "NULL" => Value::Null,
        "L" => Value::L(
            inner
                .as_array()
                .context("L holds a list")?
                .iter()
                .map(attribute_from_json)
                .collect::<anyhow::Result<_>>()?,
        ),
        "M" => Value::M(from_dynamodb_json(inner)?),
        other => anyhow::bail!("unsupported attribute type {other}"),
    })
}

/// A typed record as an item (its serde fields become attributes).
pub fn to_item<T: Serialize>(record: &T) -> anyhow::Result<Item> {
    match serde_json::to_value(record).context("record to item")? {
        serde_json::Value::Object(o) => Ok(map_from_json(o)),
        other => anyhow::bail!("a record must serialize to an object, got {other}"),
    }
}

/// An item as a typed record. Key and index attributes are the table's, never a record's
/// fields, so they are left out (records may deny unknown fields).
pub fn from_item<T: DeserializeOwned>(item: Item) -> anyhow::Result<T> {
    let keys: Vec<&str> = [super::Index::Table]
        .into_iter()
        .chain(super::Index::GSIS)
        .flat_map(|index| {
            let (pk, sk) = index.key_attributes();
            [pk, sk]
        })
        .collect();
    let object = item
        .into_iter()
        .filter(|(k, _)| !keys.contains(&k.as_str()))
        .map(|(k, v)| (k, v.into_json()))
        .collect();
    serde_json::from_value(serde_json::Value::Object(object)).context("item to record")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record {
        name: String,
        count: u32,
        ratio: f64,
        tags: Vec<String>,
        maybe: Option<String>,
    }

    #[test]
    fn stream_images_in_dynamodb_json_become_items() {
        let image = serde_json::json!({"pk": {"S": "CONV#1"}, "n": {"N": "2"}, "ok": {"BOOL": true}, "none": {"NULL": true},
            "tags": {"L": [{"S": "a"}]}, "m": {"M": {"k": {"N": "1"}}}});
        let item = from_dynamodb_json(&image).unwrap();
        assert_eq!(item["pk"], Value::s("CONV#1"));
        assert_eq!(item["n"], Value::n(2));
        assert_eq!(item["ok"], Value::Bool(true));
        assert_eq!(item["none"], Value::Null);
        assert_eq!(item["tags"], Value::L(vec![Value::s("a")]));
        assert_eq!(item["m"], Value::M([("k".to_string(), Value::n(1))].into()));
        assert!(from_dynamodb_json(&serde_json::json!({"b": {"B": "AA=="}})).is_err());
    }

    #[test]
    fn records_round_trip_and_absent_options_have_no_attribute() {
        let record = Record {
            name: "a".into(),
            count: 3,
            ratio: 0.5,
            tags: vec!["x".into()],
            maybe: None,
        };
        let item = to_item(&record).unwrap();
        assert_eq!(item["count"], Value::N("3".into()));
        assert!(!item.contains_key("maybe"));
        assert_eq!(from_item::<Record>(item).unwrap(), record);
    }
}
