//! Addresses of resource instances: `module.a.aws_x.y["k"]`, `data.aws_x.y[0]`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Whether an address names a managed resource or a data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Managed,
    Data,
}

/// The key of one instance of a resource with `count` (an index) or `for_each` (a string).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InstanceKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

/// One `module.NAME[KEY]` step of a module path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<InstanceKey>,
}

/// The address of a resource or of one of its instances.
///
/// Addresses order by module path, then mode, type, name and key, which is the order that
/// `state list` prints.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub module: Vec<ModuleStep>,
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    pub key: Option<InstanceKey>,
}

impl Address {
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> Address {
        Address {
            module: Vec::new(),
            mode: Mode::Managed,
            type_name: type_name.into(),
            name: name.into(),
            key: None,
        }
    }

    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> Address {
        Address {
            mode: Mode::Data,
            ..Address::managed(type_name, name)
        }
    }

    pub fn with_key(mut self, key: Option<InstanceKey>) -> Address {
        self.key = key;
        self
    }

    /// The address of the resource this instance belongs to (the key removed).
    pub fn resource(&self) -> Address {
        Address {
            key: None,
            ..self.clone()
        }
    }

    /// Whether `self` is `other`, or an instance of the resource `other` names.
    pub fn is_within(&self, other: &Address) -> bool {
        self.module == other.module
            && self.mode == other.mode
            && self.type_name == other.type_name
            && self.name == other.name
            && (other.key.is_none() || self.key == other.key)
    }

    /// The module path as text (`module.a.module.b`), empty for the root module.
    pub fn module_path(&self) -> String {
        self.module
            .iter()
            .map(|m| match &m.key {
                Some(k) => format!("module.{}{k}", m.name),
                None => format!("module.{}", m.name),
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// Parses an address such as `aws_x.y`, `data.aws_x.y[0]` or `module.m.aws_x.y["k"]`.
    pub fn parse(text: &str) -> Result<Address, AddressParseError> {
        let err = |why: &str| AddressParseError {
            text: text.to_string(),
            why: why.to_string(),
        };
        let mut parts = split_address(text).ok_or_else(|| err("unbalanced brackets or quotes"))?;
        let mut module = Vec::new();
        while parts.first().map(|(n, _)| n.as_str()) == Some("module") {
            if parts.len() < 2 {
                return Err(err("module name missing"));
            }
            let (_, first_key) = parts.remove(0);
            if first_key.is_some() {
                return Err(err("key after the word module"));
            }
            let (name, key) = parts.remove(0);
            module.push(ModuleStep { name, key });
        }
        let mode = if parts.first().map(|(n, _)| n.as_str()) == Some("data") {
            parts.remove(0);
            Mode::Data
        } else {
            Mode::Managed
        };
        match parts.as_slice() {
            [(type_name, None), (name, key)] => {
                if !valid_name(type_name) || !valid_name(name) {
                    return Err(err("invalid resource type or name"));
                }
                Ok(Address {
                    module,
                    mode,
                    type_name: type_name.clone(),
                    name: name.clone(),
                    key: key.clone(),
                })
            }
            _ => Err(err("expected TYPE.NAME")),
        }
    }
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Splits `a.b["x.y"].c[0]` into `[(a, None), (b, Some("x.y")), (c, Some(0))]`.
fn split_address(text: &str) -> Option<Vec<(String, Option<InstanceKey>)>> {
    let mut out: Vec<(String, Option<InstanceKey>)> = Vec::new();
    let bytes = text.trim();
    let mut chars = bytes.char_indices().peekable();
    let mut current = String::new();
    while let Some((_, c)) = chars.next() {
        match c {
            '.' => {
                if current.is_empty() && out.last().is_none_or(|(_, k)| k.is_none()) {
                    return None;
                }
                if !current.is_empty() {
                    out.push((std::mem::take(&mut current), None));
                }
            }
            '[' => {
                if current.is_empty() {
                    return None;
                }
                let mut inner = String::new();
                let mut closed = false;
                let mut in_string = false;
                let mut escaped = false;
                for (_, c) in chars.by_ref() {
                    if in_string {
                        inner.push(c);
                        if escaped {
                            escaped = false;
                        } else if c == '\\' {
                            escaped = true;
                        } else if c == '"' {
                            in_string = false;
                        }
                    } else if c == ']' {
                        closed = true;
                        break;
                    } else {
                        if c == '"' {
                            in_string = true;
                        }
                        inner.push(c);
                    }
                }
                if !closed {
                    return None;
                }
                let inner = inner.trim();
                let key = if inner.starts_with('"') {
                    InstanceKey::Str(serde_json::from_str::<String>(inner).ok()?)
                } else {
                    InstanceKey::Int(inner.parse().ok()?)
                };
                out.push((std::mem::take(&mut current), Some(key)));
                if let Some((_, next)) = chars.peek() {
                    if *next != '.' {
                        return None;
                    }
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push((current, None));
    }
    if out.is_empty() {
        return None;
    }
    Some(out)
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let module = self.module_path();
        if !module.is_empty() {
            write!(f, "{module}.")?;
        }
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)?;
        if let Some(key) = &self.key {
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

impl FromStr for Address {
    type Err = AddressParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::parse(s)
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Address::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An address that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address {text:?}: {why}")]
pub struct AddressParseError {
    pub text: String,
    pub why: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_round_trip() {
        for text in [
            "aws_vpclattice_service.orders",
            "data.aws_region.current",
            "aws_x.y[0]",
            "aws_x.y[\"a.b\"]",
            "module.net.aws_x.y",
            "module.net[\"eu\"].module.inner[2].data.aws_x.y[\"k\"]",
        ] {
            let address = Address::parse(text).unwrap();
            assert_eq!(address.to_string(), text);
        }
    }

    #[test]
    fn rejects_malformed() {
        for text in [
            "",
            "aws_x",
            "aws_x.",
            ".y",
            "aws_x.y[",
            "aws_x.y[zz]",
            "a.b.c",
            "module.m",
        ] {
            assert!(Address::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn instance_within_resource() {
        let resource = Address::parse("aws_x.y").unwrap();
        let instance = Address::parse("aws_x.y[\"k\"]").unwrap();
        assert!(instance.is_within(&resource));
        assert!(!resource.is_within(&instance));
    }
}
