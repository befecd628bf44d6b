//! Plan-time checks that several Lattice types share: names, ports, enumerations, actions
//! and JSON policies. Unknown values are skipped.

use trellis_provider::AttributeDiagnostic;
use trellis_types::{Path, Value};

use crate::sdk::convert::block;

/// Checks `name` against Lattice's rules for a type whose names are `min` to `max`
/// characters and may not start with `reserved` (the prefix of its generated IDs).
pub(crate) fn check_name(
    config: &Value,
    reserved: Option<&str>,
    (min, max): (usize, usize),
    out: &mut Vec<AttributeDiagnostic>,
) {
    if let Some(name) = config.get("name").and_then(Value::as_str) {
        if let Some(problem) = name_problem(reserved, name, min, max) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["name"]),
                format!("invalid name {name:?}: {problem}"),
            ));
        }
    }
}

/// `policy` must be a JSON object.
pub(crate) fn check_policy(config: &Value, out: &mut Vec<AttributeDiagnostic>) {
    if let Some(policy) = config.get("policy").and_then(Value::as_str) {
        match serde_json::from_str::<serde_json::Value>(policy) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(_) => out.push(AttributeDiagnostic::error(
                Path::from_keys(["policy"]),
                "policy must be a json object",
            )),
            Err(e) => out.push(AttributeDiagnostic::error(
                Path::from_keys(["policy"]),
                format!("policy is not valid json: {e}"),
            )),
        }
    }
}

/// What is wrong with a Lattice name, if anything.
pub(crate) fn name_problem(
    reserved: Option<&str>,
    name: &str,
    min: usize,
    max: usize,
) -> Option<String> {
    if name.len() < min || name.len() > max {
        return Some(format!("length must be {min} to {max} characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("only lowercase letters, digits and hyphens are allowed".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("it may not start or end with a hyphen".into());
    }
    if name.contains("--") {
        return Some("it may not contain two hyphens in a row".into());
    }
    if let Some(prefix) = reserved.filter(|p| name.starts_with(*p)) {
        return Some(format!("it may not start with {prefix:?}"));
    }
    None
}

pub(crate) fn check_port(value: Option<&Value>, path: Path, out: &mut Vec<AttributeDiagnostic>) {
    if let Some(port) = value.and_then(Value::as_number) {
        if !(1.0..=65535.0).contains(&port) || port.fract() != 0.0 {
            out.push(AttributeDiagnostic::error(
                path,
                format!("port {port} is out of range 1 to 65535"),
            ));
        }
    }
}

pub(crate) fn check_enum(
    value: Option<&Value>,
    path: Path,
    allowed: &[&str],
    out: &mut Vec<AttributeDiagnostic>,
) {
    if let Some(v) = value.and_then(Value::as_str) {
        if !allowed.contains(&v) {
            out.push(AttributeDiagnostic::error(
                path,
                format!("{v:?} is not one of {}", allowed.join(", ")),
            ));
        }
    }
}

pub(crate) fn check_action(value: Option<&Value>, key: &str, out: &mut Vec<AttributeDiagnostic>) {
    let Some(action) = value.filter(|v| v.as_map().is_some()) else {
        return;
    };
    let fixed = block(action, "fixed_response").is_some();
    let forward = block(action, "forward").is_some();
    if fixed == forward && !action.contains_unknown() {
        out.push(AttributeDiagnostic::error(
            Path::from_keys([key]),
            format!("{key} needs exactly one of fixed_response and forward"),
        ));
    }
    if let Some(code) = block(action, "fixed_response")
        .and_then(|f| f.get("status_code"))
        .and_then(Value::as_number)
    {
        if !(100.0..=599.0).contains(&code) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([key, "fixed_response", "status_code"]),
                format!("status code {code} is out of range 100 to 599"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name_problem(Some("svc-"), "billing", 3, 40), None);
        assert!(name_problem(Some("svc-"), "Billing", 3, 40).is_some());
        assert!(name_problem(Some("svc-"), "-billing", 3, 40).is_some());
        assert!(name_problem(Some("svc-"), "bil--ling", 3, 40).is_some());
        assert!(name_problem(Some("svc-"), "ab", 3, 40).is_some());
        assert!(name_problem(Some("listener-"), "listener-a", 3, 63).is_some());
    }
}
