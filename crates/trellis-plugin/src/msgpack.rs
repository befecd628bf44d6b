//! Values on the wire: cty's msgpack encoding of a `DynamicValue`, read and written against
//! a [`CtyType`].
//!
//! - Null is msgpack nil; an unknown value is extension type 0 (or 12, cty's unknown with
//!   refinements, whose refinements trellis does not keep).
//! - Objects are maps with every attribute of the type present (absent keys of a trellis
//!   value are written as null), keys sorted.
//! - A value of the dynamic pseudo-type is a two-element array: the JSON of its real type (as
//!   bytes) and the value encoded against that type.
//! - Numbers: integers that fit 64 bits as msgpack integers, others as float64, and cty's
//!   arbitrary-precision numbers as a decimal string. trellis holds numbers as `f64`
//!   (see `trellis_types::Number`), so a number beyond an `f64`'s 53 bits of precision is
//!   rounded on the way in; every integer up to 2^53 and every `f64` round-trips exactly.
//!
//! Sensitive marks never travel: [`encode`] drops them, and [`mark_sensitive`] puts them
//! back where the schema says an attribute is sensitive.

use std::collections::BTreeMap;

use rmpv::Value as Mp;
use trellis_provider::Block;
use trellis_types::{Path, PathStep, Value};

use crate::cty::CtyType;

/// The extension type of a wholly unknown value.
const UNKNOWN_EXT: i8 = 0;
/// The extension type of an unknown value with refinements (cty 1.13 and later).
const UNKNOWN_REFINED_EXT: i8 = 12;

/// A value that does not fit its type, or bytes that are not msgpack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("invalid msgpack: {0}")]
    Syntax(String),
    #[error("at {path}: expected {expected}, found {found}")]
    Mismatch {
        path: String,
        expected: String,
        found: String,
    },
}

fn mismatch(path: &Path, expected: &CtyType, found: &str) -> CodecError {
    CodecError::Mismatch {
        path: if path.is_root() {
            "the root".to_string()
        } else {
            path.to_string()
        },
        expected: expected.to_json().to_string(),
        found: found.to_string(),
    }
}

/// Encodes `value` as msgpack against `ty`.
pub fn encode(value: &Value, ty: &CtyType) -> Result<Vec<u8>, CodecError> {
    let mp = to_msgpack(value, ty, &mut Path::root())?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp).map_err(|e| CodecError::Syntax(e.to_string()))?;
    Ok(out)
}

/// Decodes msgpack bytes against `ty`. Empty bytes are a null value (what a provider sends
/// for "no object", such as the new state of a delete).
pub fn decode(bytes: &[u8], ty: &CtyType) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut reader = bytes;
    let mp =
        rmpv::decode::read_value(&mut reader).map_err(|e| CodecError::Syntax(e.to_string()))?;
    if !reader.is_empty() {
        return Err(CodecError::Syntax(format!(
            "{} bytes after the value",
            reader.len()
        )));
    }
    from_msgpack(&mp, ty, &mut Path::root())
}

/// Marks every attribute the schema declares sensitive (through nested blocks).
pub fn mark_sensitive(value: Value, block: &Block) -> Value {
    let paths = block.sensitive_paths(&value);
    value.with_sensitive_paths(&paths)
}

fn unknown() -> Mp {
    Mp::Ext(UNKNOWN_EXT, vec![0])
}

fn to_msgpack(value: &Value, ty: &CtyType, at: &mut Path) -> Result<Mp, CodecError> {
    let value = value.unmarked();
    match value {
        Value::Unknown => return Ok(unknown()),
        Value::Null => return Ok(Mp::Nil),
        _ => {}
    }
    match (ty, value) {
        (CtyType::Dynamic, v) => {
            let real = infer_type(v);
            let type_json = serde_json::to_vec(&real.to_json()).expect("json of a type");
            Ok(Mp::Array(vec![
                Mp::Binary(type_json),
                to_msgpack(v, &real, at)?,
            ]))
        }
        (CtyType::String, Value::String(s)) => Ok(Mp::from(s.as_str())),
        // Terraform converts primitives to the attribute's type; so does trellis, in the
        // direction the language allows.
        (CtyType::String, Value::Number(n)) => Ok(Mp::from(Value::Number(*n).to_string())),
        (CtyType::String, Value::Bool(b)) => Ok(Mp::from(b.to_string())),
        (CtyType::Number, Value::Number(n)) => Ok(number(*n)),
        (CtyType::Number, Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(n) => Ok(number(n)),
            Err(_) => Err(mismatch(at, ty, "a string that is not a number")),
        },
        (CtyType::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (CtyType::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Ok(Mp::Boolean(s == "true"))
        }
        (CtyType::List(elem) | CtyType::Set(elem), Value::List(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                at.push(PathStep::Index(i));
                let out = to_msgpack(item, elem, at);
                at.pop();
                out
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Mp::Array),
        (CtyType::Tuple(elems), Value::List(items)) => {
            if elems.len() != items.len() {
                return Err(mismatch(at, ty, &format!("{} elements", items.len())));
            }
            elems
                .iter()
                .zip(items)
                .enumerate()
                .map(|(i, (elem, item))| {
                    at.push(PathStep::Index(i));
                    let out = to_msgpack(item, elem, at);
                    at.pop();
                    out
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Mp::Array)
        }
        (CtyType::Map(elem), Value::Map(map)) => map
            .iter()
            .map(|(k, v)| {
                at.push(PathStep::Key(k.clone()));
                let out = to_msgpack(v, elem, at).map(|v| (Mp::from(k.as_str()), v));
                at.pop();
                out
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Mp::Map),
        (CtyType::Object { attributes, .. }, Value::Map(map)) => {
            if let Some(extra) = map.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(mismatch(at, ty, &format!("an attribute {extra:?}")));
            }
            attributes
                .iter()
                .map(|(k, t)| {
                    at.push(PathStep::Key(k.clone()));
                    let out = to_msgpack(map.get(k).unwrap_or(&Value::Null), t, at)
                        .map(|v| (Mp::from(k.as_str()), v));
                    at.pop();
                    out
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Mp::Map)
        }
        (_, v) => Err(mismatch(at, ty, kind(v))),
    }
}

/// 2^63: the integers below it in magnitude fit an i64.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// cty writes integers that fit 64 bits as integers and other numbers as float64.
fn number(n: f64) -> Mp {
    if n.fract() == 0.0 && (-TWO_63..TWO_63).contains(&n) {
        Mp::from(n as i64)
    } else {
        Mp::F64(n)
    }
}

fn kind(v: &Value) -> &'static str {
    match v.unmarked() {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Unknown => "an unknown value",
        Value::Sensitive(_) => "a sensitive value",
    }
}

/// The cty type of a known trellis value, for writing it where the schema says `dynamic`.
/// Lists become tuples and maps objects, as the language's literals do.
pub fn infer_type(value: &Value) -> CtyType {
    match value.unmarked() {
        Value::Bool(_) => CtyType::Bool,
        Value::Number(_) => CtyType::Number,
        Value::String(_) => CtyType::String,
        Value::List(items) => CtyType::Tuple(items.iter().map(infer_type).collect()),
        Value::Map(map) => CtyType::object(map.iter().map(|(k, v)| (k.clone(), infer_type(v)))),
        Value::Null | Value::Unknown | Value::Sensitive(_) => CtyType::Dynamic,
    }
}

fn mp_kind(mp: &Mp) -> String {
    match mp {
        Mp::Nil => "nil".into(),
        Mp::Boolean(_) => "a bool".into(),
        Mp::Integer(_) | Mp::F32(_) | Mp::F64(_) => "a number".into(),
        Mp::String(_) => "a string".into(),
        Mp::Binary(_) => "bytes".into(),
        Mp::Array(_) => "an array".into(),
        Mp::Map(_) => "a map".into(),
        Mp::Ext(t, _) => format!("extension type {t}"),
    }
}

fn from_msgpack(mp: &Mp, ty: &CtyType, at: &mut Path) -> Result<Value, CodecError> {
    match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(UNKNOWN_EXT | UNKNOWN_REFINED_EXT, _) => return Ok(Value::Unknown),
        _ => {}
    }
    let found = |at: &Path| mismatch(at, ty, &mp_kind(mp));
    match (ty, mp) {
        (CtyType::Dynamic, Mp::Array(parts)) if parts.len() == 2 => {
            let type_bytes: &[u8] = match &parts[0] {
                Mp::Binary(b) => b,
                Mp::String(s) => s.as_bytes(),
                _ => return Err(found(at)),
            };
            let real = CtyType::from_json_bytes(type_bytes)
                .map_err(|e| CodecError::Syntax(e.to_string()))?;
            from_msgpack(&parts[1], &real, at)
        }
        (CtyType::String, Mp::String(s)) => s
            .as_str()
            .map(Value::string)
            .ok_or_else(|| CodecError::Syntax("a string that is not utf-8".into())),
        (CtyType::Number, Mp::Integer(i)) => Ok(Value::Number(
            i.as_i64()
                .map(|v| v as f64)
                .or_else(|| i.as_u64().map(|v| v as f64))
                .unwrap_or_default(),
        )),
        (CtyType::Number, Mp::F64(f)) => Ok(Value::Number(*f)),
        (CtyType::Number, Mp::F32(f)) => Ok(Value::Number(f64::from(*f))),
        // cty's arbitrary-precision numbers that neither int64 nor float64 holds exactly.
        (CtyType::Number, Mp::String(s)) => s
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .map(Value::Number)
            .ok_or_else(|| found(at)),
        (CtyType::Bool, Mp::Boolean(b)) => Ok(Value::Bool(*b)),
        (CtyType::List(elem) | CtyType::Set(elem), Mp::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                at.push(PathStep::Index(i));
                let out = from_msgpack(item, elem, at);
                at.pop();
                out
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        (CtyType::Tuple(elems), Mp::Array(items)) if elems.len() == items.len() => elems
            .iter()
            .zip(items)
            .enumerate()
            .map(|(i, (elem, item))| {
                at.push(PathStep::Index(i));
                let out = from_msgpack(item, elem, at);
                at.pop();
                out
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        (CtyType::Map(elem), Mp::Map(entries)) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = k.as_str().ok_or_else(|| found(at))?.to_string();
                at.push(PathStep::Key(key.clone()));
                let value = from_msgpack(v, elem, at);
                at.pop();
                out.insert(key, value?);
            }
            Ok(Value::Map(out))
        }
        (CtyType::Object { attributes, .. }, Mp::Map(entries)) => {
            let mut out: BTreeMap<String, Value> = attributes
                .keys()
                .map(|k| (k.clone(), Value::Null))
                .collect();
            for (k, v) in entries {
                let key = k.as_str().ok_or_else(|| found(at))?;
                let Some(attr_ty) = attributes.get(key) else {
                    return Err(mismatch(at, ty, &format!("an attribute {key:?}")));
                };
                at.push(PathStep::Key(key.to_string()));
                let value = from_msgpack(v, attr_ty, at);
                at.pop();
                out.insert(key.to_string(), value?);
            }
            Ok(Value::Map(out))
        }
        _ => Err(found(at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trellis_provider::{AttrType, Attribute, Nesting};

    fn obj(pairs: &[(&str, CtyType)]) -> CtyType {
        CtyType::object(pairs.iter().cloned())
    }

    fn round_trip(value: Value, ty: &CtyType) -> Value {
        decode(&encode(&value, ty).unwrap(), ty).unwrap()
    }

    #[test]
    fn unknown_is_extension_zero() {
        // The exact bytes cty writes for a wholly unknown value: fixext1, type 0, one zero.
        assert_eq!(
            encode(&Value::Unknown, &CtyType::String).unwrap(),
            [0xd4, 0, 0]
        );
        assert_eq!(
            decode(&[0xd4, 0, 0], &CtyType::Number).unwrap(),
            Value::Unknown
        );
        // A refined unknown (cty 1.13+): extension 12 with a map of refinements.
        assert_eq!(
            decode(&[0xc7, 3, 12, 0x81, 0x01, 0xc2], &CtyType::String).unwrap(),
            Value::Unknown
        );
        // Null is nil.
        assert_eq!(encode(&Value::Null, &CtyType::String).unwrap(), [0xc0]);
    }

    #[test]
    fn objects_have_every_attribute_in_key_order() {
        let ty = obj(&[("b", CtyType::String), ("a", CtyType::Number)]);
        let bytes = encode(&Value::object([("b", Value::string("x"))]), &ty).unwrap();
        // fixmap of 2: "a" => nil, "b" => "x".
        assert_eq!(bytes, [0x82, 0xa1, b'a', 0xc0, 0xa1, b'b', 0xa1, b'x']);
        assert_eq!(
            decode(&bytes, &ty).unwrap(),
            Value::object([("a", Value::Null), ("b", Value::string("x"))])
        );
    }

    #[test]
    fn nested_objects_lists_sets_maps_keep_unknowns_and_nulls() {
        let ty = obj(&[
            ("name", CtyType::String),
            (
                "rules",
                CtyType::List(Box::new(obj(&[
                    ("port", CtyType::Number),
                    ("tags", CtyType::Map(Box::new(CtyType::String))),
                ]))),
            ),
            ("ids", CtyType::Set(Box::new(CtyType::String))),
            ("flag", CtyType::Bool),
        ]);
        let value = Value::object([
            ("name", Value::Unknown),
            (
                "rules",
                Value::List(vec![
                    Value::object([
                        ("port", Value::Number(443.0)),
                        (
                            "tags",
                            Value::object([("k", Value::Unknown), ("n", Value::Null)]),
                        ),
                    ]),
                    Value::object([("port", Value::Null), ("tags", Value::Unknown)]),
                ]),
            ),
            (
                "ids",
                Value::List(vec![Value::string("a"), Value::string("b")]),
            ),
            ("flag", Value::Null),
        ]);
        assert_eq!(round_trip(value.clone(), &ty), value);
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let value = Value::object([
            (
                "a",
                Value::List(vec![Value::string("x"), Value::Number(1.0)]),
            ),
            ("b", Value::Bool(true)),
        ]);
        let bytes = encode(&value, &CtyType::Dynamic).unwrap();
        // A two-element array whose first element is the type's JSON.
        let mp = rmpv::decode::read_value(&mut &bytes[..]).unwrap();
        let Mp::Array(parts) = &mp else {
            panic!("{mp:?}")
        };
        assert_eq!(
            parts[0],
            Mp::Binary(br#"["object",{"a":["tuple",["string","number"]],"b":"bool"}]"#.to_vec())
        );
        assert_eq!(decode(&bytes, &CtyType::Dynamic).unwrap(), value);
        // Unknown and null dynamic values are bare.
        assert_eq!(
            round_trip(Value::Unknown, &CtyType::Dynamic),
            Value::Unknown
        );
        assert_eq!(round_trip(Value::Null, &CtyType::Dynamic), Value::Null);
        // A dynamic value as Go writes it with the type JSON as a string works too.
        let go = [
            0x92, 0xa8, b'"', b's', b't', b'r', b'i', b'n', b'g', b'"', 0xa2, b'h', b'i',
        ];
        assert_eq!(decode(&go, &CtyType::Dynamic).unwrap(), Value::string("hi"));
    }

    #[test]
    fn numbers_beyond_i64_and_big_decimals() {
        // Integers go as integers, fractions as float64.
        assert_eq!(
            encode(&Value::Number(5.0), &CtyType::Number).unwrap(),
            [0x05]
        );
        assert_eq!(
            encode(&Value::Number(-1.0), &CtyType::Number).unwrap(),
            [0xff]
        );
        let half = encode(&Value::Number(0.5), &CtyType::Number).unwrap();
        assert_eq!(half[0], 0xcb);
        // u64 beyond i64 (0xcf: uint 64).
        let mut big = vec![0xcf];
        big.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(
            decode(&big, &CtyType::Number).unwrap(),
            Value::Number(u64::MAX as f64)
        );
        // A number beyond i64 is written as float64, which holds it exactly.
        let bytes = encode(&Value::Number(1e20), &CtyType::Number).unwrap();
        assert_eq!(bytes[0], 0xcb);
        assert_eq!(
            decode(&bytes, &CtyType::Number).unwrap(),
            Value::Number(1e20)
        );
        // cty's decimal strings for numbers neither int64 nor float64 holds.
        let text = "123456789012345678901234567890.5";
        let mut s = vec![0xd9, text.len() as u8];
        s.extend_from_slice(text.as_bytes());
        assert_eq!(
            decode(&s, &CtyType::Number).unwrap(),
            Value::Number(text.parse::<f64>().unwrap())
        );
        // The largest integer an f64 holds exactly round-trips as an integer.
        let n = 2f64.powi(53);
        assert_eq!(
            round_trip(Value::Number(n), &CtyType::Number),
            Value::Number(n)
        );
    }

    #[test]
    fn marks_are_dropped_on_the_wire_and_restored_from_the_schema() {
        let block = trellis_provider::Block::new()
            .attr(
                "password",
                Attribute::optional(AttrType::String).sensitive(),
            )
            .attr("name", Attribute::optional(AttrType::String))
            .block(
                "inner",
                Nesting::Single,
                trellis_provider::Block::new()
                    .attr("token", Attribute::computed(AttrType::String).sensitive()),
            );
        let ty = obj(&[
            ("password", CtyType::String),
            ("name", CtyType::String),
            ("inner", obj(&[("token", CtyType::String)])),
        ]);
        let value = Value::object([
            ("password", Value::string("p").into_sensitive()),
            ("name", Value::string("n")),
            ("inner", Value::object([("token", Value::string("t"))])),
        ]);
        let plain = decode(&encode(&value, &ty).unwrap(), &ty).unwrap();
        assert!(!plain.contains_sensitive());
        let marked = mark_sensitive(plain, &block);
        assert!(marked
            .get_path(&Path::from_keys(["password"]))
            .unwrap()
            .is_sensitive());
        assert!(marked
            .get_path(&Path::from_keys(["inner", "token"]))
            .unwrap()
            .is_sensitive());
        assert!(!marked
            .get_path(&Path::from_keys(["name"]))
            .unwrap()
            .is_sensitive());
    }

    #[test]
    fn mismatches_name_the_path() {
        let ty = obj(&[(
            "rules",
            CtyType::List(Box::new(obj(&[("port", CtyType::Number)]))),
        )]);
        let value = Value::object([(
            "rules",
            Value::List(vec![Value::object([("port", Value::List(vec![]))])]),
        )]);
        let err = encode(&value, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "at rules[0].port: expected \"number\", found a list"
        );
        let err = decode(&[0x81, 0xa1, b'z', 0xc0], &ty).unwrap_err();
        assert!(err.to_string().contains("attribute \"z\""), "{err}");
        assert!(decode(&[0x92, 0xc0], &ty).is_err());
        assert!(decode(&[0xc0, 0xc0], &ty).is_err());
    }
}
