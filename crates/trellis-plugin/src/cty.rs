//! The cty type system as the plugin protocol describes it: each attribute's type travels as
//! cty's JSON type notation (`"string"`, `["list","string"]`, `["object",{"a":"number"}]`,
//! `"dynamic"`), and a value's msgpack encoding is read against such a type.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use trellis_provider::AttrType;

/// A cty type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtyType {
    Bool,
    Number,
    String,
    /// `cty.DynamicPseudoType`: the value carries its own type on the wire.
    Dynamic,
    List(Box<CtyType>),
    Set(Box<CtyType>),
    Map(Box<CtyType>),
    Object {
        attributes: BTreeMap<String, CtyType>,
        /// Attributes declared optional (`["object", {...}, ["name"]]`).
        optional: BTreeSet<String>,
    },
    Tuple(Vec<CtyType>),
}

/// A type description that is not cty's JSON type notation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cty type {0}")]
pub struct TypeError(pub String);

impl CtyType {
    /// An object type with the given attributes, none optional.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, CtyType)>) -> CtyType {
        CtyType::Object {
            attributes: attributes.into_iter().map(|(k, t)| (k.into(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }

    /// Parses the JSON bytes of a schema attribute's `type` field.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<CtyType, TypeError> {
        let json: Json = serde_json::from_slice(bytes)
            .map_err(|_| TypeError(String::from_utf8_lossy(bytes).into_owned()))?;
        CtyType::from_json(&json)
    }

    pub fn from_json(json: &Json) -> Result<CtyType, TypeError> {
        let bad = || TypeError(json.to_string());
        match json {
            Json::String(name) => match name.as_str() {
                "bool" => Ok(CtyType::Bool),
                "number" => Ok(CtyType::Number),
                "string" => Ok(CtyType::String),
                "dynamic" => Ok(CtyType::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => {
                let kind = parts.first().and_then(Json::as_str).ok_or_else(bad)?;
                let arg = parts.get(1).ok_or_else(bad)?;
                match kind {
                    "list" => Ok(CtyType::List(Box::new(CtyType::from_json(arg)?))),
                    "set" => Ok(CtyType::Set(Box::new(CtyType::from_json(arg)?))),
                    "map" => Ok(CtyType::Map(Box::new(CtyType::from_json(arg)?))),
                    "object" => {
                        let attrs = arg.as_object().ok_or_else(bad)?;
                        let attributes = attrs
                            .iter()
                            .map(|(k, v)| Ok((k.clone(), CtyType::from_json(v)?)))
                            .collect::<Result<_, TypeError>>()?;
                        let optional = match parts.get(2) {
                            Some(Json::Array(names)) => names
                                .iter()
                                .map(|n| n.as_str().map(str::to_string).ok_or_else(bad))
                                .collect::<Result<_, _>>()?,
                            Some(_) => return Err(bad()),
                            None => BTreeSet::new(),
                        };
                        Ok(CtyType::Object {
                            attributes,
                            optional,
                        })
                    }
                    "tuple" => Ok(CtyType::Tuple(
                        arg.as_array()
                            .ok_or_else(bad)?
                            .iter()
                            .map(CtyType::from_json)
                            .collect::<Result<_, _>>()?,
                    )),
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    /// cty's JSON type notation.
    pub fn to_json(&self) -> Json {
        match self {
            CtyType::Bool => Json::from("bool"),
            CtyType::Number => Json::from("number"),
            CtyType::String => Json::from("string"),
            CtyType::Dynamic => Json::from("dynamic"),
            CtyType::List(t) => serde_json::json!(["list", t.to_json()]),
            CtyType::Set(t) => serde_json::json!(["set", t.to_json()]),
            CtyType::Map(t) => serde_json::json!(["map", t.to_json()]),
            CtyType::Object {
                attributes,
                optional,
            } => {
                let attrs: serde_json::Map<String, Json> = attributes
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                if optional.is_empty() {
                    serde_json::json!(["object", attrs])
                } else {
                    serde_json::json!(["object", attrs, optional.iter().collect::<Vec<_>>()])
                }
            }
            CtyType::Tuple(items) => {
                serde_json::json!([
                    "tuple",
                    items.iter().map(CtyType::to_json).collect::<Vec<_>>()
                ])
            }
        }
    }

    /// The trellis attribute type closest to this type. Tuples and dynamic values have no
    /// trellis counterpart and become [`AttrType::Any`].
    pub fn to_attr_type(&self) -> AttrType {
        match self {
            CtyType::Bool => AttrType::Bool,
            CtyType::Number => AttrType::Number,
            CtyType::String => AttrType::String,
            CtyType::Dynamic | CtyType::Tuple(_) => AttrType::Any,
            CtyType::List(t) => AttrType::List(Box::new(t.to_attr_type())),
            CtyType::Set(t) => AttrType::Set(Box::new(t.to_attr_type())),
            CtyType::Map(t) => AttrType::Map(Box::new(t.to_attr_type())),
            CtyType::Object { attributes, .. } => AttrType::Object(
                attributes
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_attr_type()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_kind() {
        for text in [
            r#""string""#,
            r#""number""#,
            r#""bool""#,
            r#""dynamic""#,
            r#"["list","string"]"#,
            r#"["set",["map","number"]]"#,
            r#"["object",{"a":"string","b":["list","bool"]}]"#,
            r#"["object",{"a":"string","b":"number"},["b"]]"#,
            r#"["tuple",["string","number"]]"#,
        ] {
            let ty = CtyType::from_json_bytes(text.as_bytes()).unwrap();
            assert_eq!(serde_json::to_string(&ty.to_json()).unwrap(), text);
        }
    }

    #[test]
    fn rejects_what_is_not_a_type() {
        for text in [r#""int""#, r#"["list"]"#, r#"["object",[]]"#, "3", "{"] {
            assert!(CtyType::from_json_bytes(text.as_bytes()).is_err(), "{text}");
        }
    }
}
