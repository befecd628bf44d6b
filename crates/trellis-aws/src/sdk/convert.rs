//! Small helpers between trellis [`Value`]s and the plain Rust values the SDK builders take,
//! plus the semantic comparisons (ID versus ARN, JSON documents) the provider relies on.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use trellis_types::Value;

/// An SDK timestamp (every SDK's `primitives::DateTime` is this one smithy type) as
/// Terraform writes it: RFC 3339.
pub fn date(d: &aws_sdk_vpclattice::primitives::DateTime) -> Value {
    d.fmt(aws_sdk_vpclattice::primitives::DateTimeFormat::DateTime)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

/// The string attribute `key` of an object, when set and known.
pub fn s(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The whole-number attribute `key` of an object, when set and known.
pub fn n(value: &Value, key: &str) -> Option<i32> {
    value.get(key).and_then(Value::as_number).map(|x| x as i32)
}

pub fn b(value: &Value, key: &str) -> Option<bool> {
    value.get(key).and_then(Value::as_bool)
}

/// The nested single block `key`, when present (not null, not unknown).
pub fn block<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value.get(key)? {
        v if v.as_map().is_some() => Some(v),
        // Provider configuration is evaluated without the schema's shape, so its single
        // blocks (`default_tags`, `endpoints`, `assume_role`) arrive as a list of one.
        Value::List(items) => items.first().filter(|v| v.as_map().is_some()),
        _ => None,
    }
}

/// The list attribute or list block `key`; empty when absent.
pub fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value.get(key).and_then(Value::as_list).unwrap_or_default()
}

/// The strings of the list attribute `key` (unknown and non-string items left out).
pub fn string_list(value: &Value, key: &str) -> Vec<String> {
    list(value, key)
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The `filter { name = ..., values = [...] }` blocks of an EC2 or RAM data source, as
/// (name, values) pairs.
pub fn filter_blocks(config: &Value) -> Vec<(Option<String>, Vec<String>)> {
    list(config, "filter")
        .iter()
        .map(|f| (s(f, "name"), string_list(f, "values")))
        .collect()
}

pub fn opt_str(v: Option<&str>) -> Value {
    v.map(Value::string).unwrap_or(Value::Null)
}

pub fn opt_num(v: Option<i32>) -> Value {
    v.map(|x| Value::Number(f64::from(x)))
        .unwrap_or(Value::Null)
}

pub fn opt_bool(v: Option<bool>) -> Value {
    v.map(Value::Bool).unwrap_or(Value::Null)
}

pub fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub fn map_value(map: &BTreeMap<String, String>) -> Value {
    Value::Map(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::string(v)))
            .collect(),
    )
}

pub fn hash_map(map: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    if map.is_empty() {
        None
    } else {
        Some(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

/// The last `/`-separated segment of an ARN, or the identifier itself.
pub fn short_id(identifier: &str) -> &str {
    if identifier.starts_with("arn:") {
        identifier.rsplit('/').next().unwrap_or(identifier)
    } else {
        identifier
    }
}

/// The account in an ARN (`arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-1`).
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    if parts.next() != Some("arn") {
        return None;
    }
    parts.nth(3).filter(|a| !a.is_empty())
}

/// Whether two identifiers name the same object: equal, or an ID and an ARN ending in it, or
/// two ARNs ending in the same ID. Lattice IDs carry a type prefix and 17 hex digits, so the
/// last segment is unique within an account and region.
pub fn same_object(a: &str, b: &str) -> bool {
    a == b || (!a.is_empty() && short_id(a) == short_id(b))
}

/// Whether two strings hold equal JSON documents (key order and whitespace aside, and a single
/// statement equal to a list of one).
pub fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => normalise_json(x) == normalise_json(y),
        _ => a == b,
    }
}

fn normalise_json(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(map) => {
            let mut sorted: Vec<(String, J)> = map
                .into_iter()
                .map(|(k, v)| {
                    let v = normalise_json(v);
                    // IAM treats a single value and a list of one alike.
                    let v = match v {
                        J::Array(items) if items.len() == 1 => {
                            items.into_iter().next().expect("one item")
                        }
                        other => other,
                    };
                    (k, v)
                })
                .collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(sorted.into_iter().collect())
        }
        J::Array(items) => J::Array(items.into_iter().map(normalise_json).collect()),
        other => other,
    }
}

/// Parses a Terraform duration (`30s`, `10m`, `1h30m`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let amount: u64 = digits.parse().ok()?;
        digits.clear();
        total += amount
            * match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                _ => return None,
            };
    }
    if !digits.is_empty() {
        return None;
    }
    Some(Duration::from_secs(total))
}

/// The `timeouts.<which>` of a resource value, or `default`.
pub fn timeout(value: &Value, which: &str, default: Duration) -> Duration {
    block(value, "timeouts")
        .and_then(|t| s(t, which))
        .and_then(|t| parse_duration(&t))
        .unwrap_or(default)
}

/// The tags of an SDK object, from its `(key, value)` pairs (every SDK has its own `Tag`
/// type with the same two getters); a tag without a key is dropped.
pub fn tag_map<'a>(
    tags: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    tags.into_iter()
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_arns_compare_equal() {
        let arn = "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0";
        assert!(same_object(arn, "svc-0123456789abcdef0"));
        assert!(same_object("svc-0123456789abcdef0", arn));
        assert!(!same_object(arn, "svc-0123456789abcdef1"));
    }

    #[test]
    fn json_compares_semantically() {
        assert!(same_json(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}"#,
            r#"{ "Statement": {"Action": "*", "Effect": "Allow"}, "Version": "2012-10-17" }"#
        ));
        assert!(!same_json(r#"{"a":1}"#, r#"{"a":2}"#));
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("5"), None);
    }
}
