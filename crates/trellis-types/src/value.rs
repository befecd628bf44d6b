//! The dynamic value of the configuration language.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::path::{Path, PathStep};

/// A number of the language. HCL numbers are arbitrary precision; trellis keeps an `f64`,
/// which holds every integer that AWS accepts for ports, priorities and weights exactly.
pub type Number = f64;

/// A value of the configuration language.
///
/// Two marks travel with values through expressions:
/// - [`Value::Unknown`] stands for a value that only apply can know ("known after apply").
///   Any operation on an unknown yields an unknown.
/// - [`Value::Sensitive`] wraps a value that must never be shown. Operations on a sensitive
///   value yield a sensitive result.
///
/// Objects and maps share one representation with sorted keys, so that renderings and
/// hashes are deterministic. Lists, tuples and sets share [`Value::List`]; a set is a list
/// whose order the producer has normalised.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Unknown,
    Sensitive(Box<Value>),
}

impl Value {
    /// Wraps `self` in a sensitive mark unless it already carries one.
    pub fn into_sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            other => Value::Sensitive(Box::new(other)),
        }
    }

    /// The value with its outermost sensitive mark removed.
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(inner) => inner.unmarked(),
            other => other,
        }
    }

    /// Whether the outermost value carries a sensitive mark.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// Whether the value, once unmarked, is unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self.unmarked(), Value::Unknown)
    }

    /// Whether the value, once unmarked, is null.
    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }

    /// Whether any part of the value is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::Sensitive(inner) => inner.contains_unknown(),
            Value::List(items) => items.iter().any(Value::contains_unknown),
            Value::Map(map) => map.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    /// Whether any part of the value carries a sensitive mark.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) => items.iter().any(Value::contains_sensitive),
            Value::Map(map) => map.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// The value with every sensitive mark removed, and the paths at which marks were.
    pub fn split_sensitive(&self) -> (Value, Vec<Path>) {
        let mut paths = Vec::new();
        let plain = split_marks(self, &mut Path::root(), &mut paths);
        (plain, paths)
    }

    /// The value with every sensitive mark removed.
    pub fn strip_marks(&self) -> Value {
        self.split_sensitive().0
    }

    /// Puts sensitive marks back at `paths` (paths that no longer exist are ignored).
    pub fn with_sensitive_paths(mut self, paths: &[Path]) -> Value {
        for path in paths {
            if path.is_root() {
                self = self.into_sensitive();
            } else if let Some(slot) = self.get_path_mut(path) {
                let taken = std::mem::take(slot);
                *slot = taken.into_sensitive();
            }
        }
        self
    }

    /// The paths of every unknown inside the value (the root path when the value itself is
    /// unknown).
    pub fn unknown_paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        collect_unknown(self, &mut Path::root(), &mut out);
        out
    }

    /// Short name of the value's kind, for diagnostics.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "object",
            Value::Unknown => "unknown",
            Value::Sensitive(inner) => inner.type_name(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmarked() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<Number> {
        match self.unmarked() {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self.unmarked() {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unmarked() {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The attribute `key` of an object value (looking through sensitive marks).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// The value at `path`, if it exists.
    pub fn get_path(&self, path: &Path) -> Option<&Value> {
        let mut current = self;
        for step in path.steps() {
            current = match (current.unmarked(), step) {
                (Value::Map(map), PathStep::Key(key)) => map.get(key)?,
                (Value::List(items), PathStep::Index(index)) => items.get(*index)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// A mutable reference to the value at `path`, if it exists.
    pub fn get_path_mut(&mut self, path: &Path) -> Option<&mut Value> {
        let mut current = self;
        for step in path.steps() {
            let unmarked = match current {
                Value::Sensitive(inner) => inner.as_mut(),
                other => other,
            };
            current = match (unmarked, step) {
                (Value::Map(map), PathStep::Key(key)) => map.get_mut(key)?,
                (Value::List(items), PathStep::Index(index)) => items.get_mut(*index)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Sets the value at `path`, creating intermediate objects where keys are missing.
    /// Returns false when the path crosses a value that is neither object nor list.
    pub fn set_path(&mut self, path: &Path, value: Value) -> bool {
        let Some((last, parents)) = path.steps().split_last() else {
            *self = value;
            return true;
        };
        let mut current = self;
        for step in parents {
            if current.is_null() {
                *current = Value::Map(BTreeMap::new());
            }
            current = match (current, step) {
                (Value::Map(map), PathStep::Key(key)) => map.entry(key.clone()).or_default(),
                (Value::List(items), PathStep::Index(index)) if *index < items.len() => {
                    &mut items[*index]
                }
                _ => return false,
            };
        }
        if current.is_null() {
            *current = Value::Map(BTreeMap::new());
        }
        match (current, last) {
            (Value::Map(map), PathStep::Key(key)) => {
                map.insert(key.clone(), value);
                true
            }
            (Value::List(items), PathStep::Index(index)) if *index < items.len() => {
                items[*index] = value;
                true
            }
            _ => false,
        }
    }

    /// Converts from JSON. JSON has no unknown or sensitive values.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts to JSON. Unknown values become `null`; sensitive marks are dropped, so callers
    /// that render for people must redact before calling this.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
            Value::Sensitive(inner) => inner.to_json(),
        }
    }

    /// Builds an object value from pairs.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
}

/// JSON number for an `f64`: integers print without a fraction.
pub fn number_to_json(n: Number) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

fn split_marks(value: &Value, at: &mut Path, paths: &mut Vec<Path>) -> Value {
    match value {
        Value::Sensitive(inner) => {
            paths.push(at.clone());
            split_marks(inner, at, &mut Vec::new())
        }
        Value::List(items) => Value::List(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    at.push(PathStep::Index(i));
                    let v = split_marks(item, at, paths);
                    at.pop();
                    v
                })
                .collect(),
        ),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, item)| {
                    at.push(PathStep::Key(k.clone()));
                    let v = split_marks(item, at, paths);
                    at.pop();
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn collect_unknown(value: &Value, at: &mut Path, out: &mut Vec<Path>) {
    match value {
        Value::Unknown => out.push(at.clone()),
        Value::Sensitive(inner) => collect_unknown(inner, at, out),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                at.push(PathStep::Index(i));
                collect_unknown(item, at, out);
                at.pop();
            }
        }
        Value::Map(map) => {
            for (k, item) in map {
                at.push(PathStep::Key(k.clone()));
                collect_unknown(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

impl fmt::Display for Value {
    /// A compact, HCL-like rendering for diagnostics. Sensitive values are redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{}", number_to_json(*n)),
            Value::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str("(sensitive value)"),
        }
    }
}

/// Values serialize in a tagged JSON form that keeps unknown and sensitive marks, so plans and
/// state round-trip exactly: plain JSON for ordinary values, `{"$unknown": true}` for unknown
/// and `{"$sensitive": <value>}` for a sensitive value. Maps whose only key starts with `$`
/// are escaped as `{"$map": {...}}`.
impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        tagged_json(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        Ok(from_tagged_json(&json))
    }
}

fn tagged_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Unknown => serde_json::json!({ "$unknown": true }),
        Value::Sensitive(inner) => serde_json::json!({ "$sensitive": tagged_json(inner) }),
        Value::List(items) => serde_json::Value::Array(items.iter().map(tagged_json).collect()),
        Value::Map(map) => {
            let object: serde_json::Map<String, serde_json::Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), tagged_json(v)))
                .collect();
            if map.len() == 1 && map.keys().all(|k| k.starts_with('$')) {
                serde_json::json!({ "$map": object })
            } else {
                serde_json::Value::Object(object)
            }
        }
        other => other.to_json(),
    }
}

fn from_tagged_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(from_tagged_json).collect())
        }
        serde_json::Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next().expect("one entry");
            match key.as_str() {
                "$unknown" => Value::Unknown,
                "$sensitive" => Value::Sensitive(Box::new(from_tagged_json(inner))),
                "$map" => match inner {
                    serde_json::Value::Object(escaped) => Value::Map(
                        escaped
                            .iter()
                            .map(|(k, v)| (k.clone(), from_tagged_json(v)))
                            .collect(),
                    ),
                    _ => Value::Null,
                },
                _ => Value::Map(
                    map.iter()
                        .map(|(k, v)| (k.clone(), from_tagged_json(v)))
                        .collect(),
                ),
            }
        }
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), from_tagged_json(v)))
                .collect(),
        ),
        other => Value::from_json(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip_through_serde() {
        let value = Value::object([
            ("a", Value::Unknown),
            ("b", Value::string("x").into_sensitive()),
            ("c", Value::object([("$unknown", Value::Bool(false))])),
            (
                "d",
                Value::List(vec![Value::Number(1.0), Value::Number(2.5)]),
            ),
        ]);
        let text = serde_json::to_string(&value).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn split_and_restore_sensitive_paths() {
        let value = Value::object([
            ("plain", Value::string("p")),
            ("secret", Value::string("s").into_sensitive()),
        ]);
        let (plain, paths) = value.split_sensitive();
        assert_eq!(paths, vec![Path::from_keys(["secret"])]);
        assert!(!plain.contains_sensitive());
        assert_eq!(plain.with_sensitive_paths(&paths), value);
    }

    #[test]
    fn set_path_creates_objects() {
        let mut value = Value::Null;
        assert!(value.set_path(&Path::from_keys(["a", "b"]), Value::Bool(true)));
        assert_eq!(
            value.get_path(&Path::from_keys(["a", "b"])),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn unknown_paths_are_collected() {
        let value = Value::object([("x", Value::List(vec![Value::Null, Value::Unknown]))]);
        assert_eq!(value.unknown_paths().len(), 1);
        assert_eq!(value.unknown_paths()[0].to_string(), "x[1]");
    }

    #[test]
    fn display_redacts_sensitive() {
        let value = Value::object([("k", Value::string("secret").into_sensitive())]);
        assert_eq!(value.to_string(), "{k = (sensitive value)}");
    }
}
