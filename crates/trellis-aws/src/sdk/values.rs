//! What every service does to values on their way between the engine and AWS: keeping the
//! caller's spelling of identifiers and JSON documents, filling unknowns the API filled in,
//! carrying over what the API does not return, sets in canonical order, and tag changes.

use std::collections::BTreeMap;

use trellis_types::{Path, PathStep, Value};

use crate::sdk::convert::{map_value, s, same_json, same_object};

/// Where `value` and `reference` hold identifiers of the same object (ID versus ARN) or equal
/// JSON documents in other spellings, takes `reference`'s spelling. Walks nested blocks.
pub fn keep_spellings(value: &mut Value, reference: &Value) {
    match (value, reference.unmarked()) {
        (Value::Map(map), Value::Map(refs)) => {
            for (k, v) in map.iter_mut() {
                if let Some(r) = refs.get(k) {
                    keep_spellings_leaf(k, v, r);
                }
            }
        }
        (Value::List(items), Value::List(refs)) if items.len() == refs.len() => {
            for (v, r) in items.iter_mut().zip(refs) {
                keep_spellings(v, r);
            }
        }
        _ => {}
    }
}

fn keep_spellings_leaf(key: &str, v: &mut Value, r: &Value) {
    match (v.as_str(), r.as_str()) {
        (Some(a), Some(b)) if a != b => {
            let identifier = key.ends_with("_identifier") || key.ends_with("_arn") || key == "id";
            if (identifier && same_object(a, b)) || (key == "policy" && same_json(a, b)) {
                *v = r.clone();
            }
        }
        _ => keep_spellings(v, r),
    }
}

/// Replaces unknowns in `planned` that the configuration did not make unknown with the prior
/// value at the same place: optional and computed attributes the API filled in.
pub fn resolve_unknowns(
    planned: &mut Value,
    config: Option<&Value>,
    prior: Option<&Value>,
    at: &mut Path,
) {
    match planned {
        Value::Unknown => {
            let from_config = config.is_some_and(Value::is_unknown);
            if let (false, Some(p)) = (from_config, prior) {
                *planned = p.clone();
            }
        }
        Value::Map(map) => {
            for (k, v) in map.iter_mut() {
                at.push(PathStep::Key(k.clone()));
                resolve_unknowns(
                    v,
                    config.and_then(|c| c.get(k)),
                    prior.and_then(|p| p.get(k)),
                    at,
                );
                at.pop();
            }
        }
        Value::List(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                at.push(PathStep::Index(i));
                resolve_unknowns(
                    v,
                    config.and_then(|c| c.as_list()).and_then(|l| l.get(i)),
                    prior.and_then(|p| p.as_list()).and_then(|l| l.get(i)),
                    at,
                );
                at.pop();
            }
        }
        _ => {}
    }
}

/// What every type does first to a planned value against its prior state: the prior's
/// spellings, and the prior's values for unknowns the configuration did not make unknown.
pub fn follow_prior(planned: &mut Value, config: &Value, prior: Option<&Value>) {
    if let Some(prior) = prior {
        keep_spellings(planned, prior);
        resolve_unknowns(planned, Some(config), Some(prior), &mut Path::root());
    }
}

/// `tags` of `value` merged over `default_tags`.
pub fn merged_tags(
    default_tags: &BTreeMap<String, String>,
    value: &Value,
) -> BTreeMap<String, String> {
    let mut all = default_tags.clone();
    all.extend(crate::sdk::convert::string_map(value.get("tags")));
    all
}

/// Sets `tags_all` of a planned value: `tags` over `default_tags`, unknown while `tags` is.
pub fn plan_tags_all(planned: &mut Value, default_tags: &BTreeMap<String, String>) {
    let tags_all = if planned.get("tags").is_some_and(Value::contains_unknown) {
        Value::Unknown
    } else {
        map_value(&merged_tags(default_tags, planned))
    };
    planned.set_path(&Path::from_keys(["tags_all"]), tags_all);
}

/// The current value with what the API does not return carried over from `reference` (the
/// prior state or the planned value): configuration-only attributes, `tags` (the API returns
/// only the merged `tags_all`), timeouts, and the caller's spelling of identifiers. The RAM,
/// Route53 and EC2 types use it; Lattice has its own (`lattice::carry_over`).
pub fn carry_over(mut current: Value, reference: &Value) -> Value {
    if let (Value::Map(map), Some(refs)) = (&mut current, reference.unmarked().as_map()) {
        for (k, v) in refs {
            if !map.contains_key(k) || k == "tags" {
                map.insert(k.clone(), v.clone());
            }
        }
    }
    keep_spellings(&mut current, reference);
    current
}

/// `tags` as the value of a resource.
pub fn tags_value(tags: &BTreeMap<String, String>) -> Value {
    map_value(tags)
}

/// A list of values in the canonical order of a set (the order the engine gives sets).
pub fn set_of(mut items: Vec<Value>) -> Value {
    items.sort_by_key(|v| v.to_string());
    items.dedup();
    Value::List(items)
}

/// What turns the tags `before` into `after`: the keys to remove and the tags to set (new or
/// with another value). Every service's tag API takes these two halves.
pub struct TagChange {
    pub removed: Vec<String>,
    pub changed: BTreeMap<String, String>,
}

impl TagChange {
    pub fn between(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Self {
        TagChange {
            removed: before
                .keys()
                .filter(|k| !after.contains_key(*k))
                .cloned()
                .collect(),
            changed: after
                .iter()
                .filter(|(k, v)| before.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// The length of the suffix Terraform appends to a `name_prefix`.
pub const SUFFIX_LEN: usize = 26;

/// The name of an object: `name`, or `name_prefix` (Terraform's `terraform-` without either)
/// followed by 26 digits derived from the create's token, so that settle can find the object
/// a lost create made under the same name.
pub fn unique_name(planned: &Value, token: &str) -> String {
    if let Some(name) = s(planned, "name") {
        return name;
    }
    let prefix = s(planned, "name_prefix").unwrap_or_else(|| "terraform-".to_string());
    let mut digits = String::new();
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in token.bytes() {
        state = (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    while digits.len() < SUFFIX_LEN {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        digits.push(char::from(b'0' + ((state >> 33) % 10) as u8));
    }
    format!("{prefix}{digits}")
}

/// The prefix of a name that [`unique_name`] made from one (its last 26 characters digits),
/// as the AWS provider reports `name_prefix`; `Null` for a name given whole.
pub fn prefix_of(name: &str) -> Value {
    match name.len().checked_sub(SUFFIX_LEN) {
        Some(at) if name.is_char_boundary(at) && name[at..].bytes().all(|b| b.is_ascii_digit()) => {
            Value::string(&name[..at])
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_the_prior_are_kept() {
        let prior = Value::object([
            (
                "service_identifier",
                Value::string("arn:aws:vpc-lattice:us-east-1:1:service/svc-0abc"),
            ),
            ("policy", Value::string(r#"{"a": 1, "b": 2}"#)),
        ]);
        let mut planned = Value::object([
            ("service_identifier", Value::string("svc-0abc")),
            ("policy", Value::string(r#"{"b":2,"a":1}"#)),
        ]);
        keep_spellings(&mut planned, &prior);
        assert_eq!(planned, prior);
    }

    #[test]
    fn unknowns_from_fill_take_the_prior() {
        let prior = Value::object([("auth_type", Value::Null), ("name", Value::string("a"))]);
        let config = Value::object([("auth_type", Value::Null), ("name", Value::Unknown)]);
        let mut planned = Value::object([("auth_type", Value::Unknown), ("name", Value::Unknown)]);
        resolve_unknowns(&mut planned, Some(&config), Some(&prior), &mut Path::root());
        assert_eq!(planned.get("auth_type"), Some(&Value::Null));
        assert_eq!(planned.get("name"), Some(&Value::Unknown));
    }
}
