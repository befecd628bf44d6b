//! Plan-time checks of resource configurations, before any API call: names, ports, protocols,
//! priorities, security group counts, JSON policies. Unknown values are skipped.

use trellis_provider::AttributeDiagnostic;
use trellis_types::{Path, Value};

use crate::convert::block;
use crate::resources::*;

/// Every diagnostic for one resource configuration.
pub fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic> {
    let mut out = Vec::new();
    let name_limits = match type_name {
        SERVICE => Some((3, 40)),
        SERVICE_NETWORK => Some((3, 63)),
        TARGET_GROUP => Some((3, 128)),
        LISTENER | RULE => Some((3, 63)),
        _ => None,
    };
    if let (Some((min, max)), Some(name)) =
        (name_limits, config.get("name").and_then(Value::as_str))
    {
        if let Some(problem) = name_problem(type_name, name, min, max) {
            out.push(AttributeDiagnostic::error(
                Path::from_keys(["name"]),
                format!("invalid name {name:?}: {problem}"),
            ));
        }
    }
    match type_name {
        LISTENER => {
            check_port(config.get("port"), Path::from_keys(["port"]), &mut out);
            check_enum(
                config.get("protocol"),
                Path::from_keys(["protocol"]),
                &["HTTP", "HTTPS", "TLS_PASSTHROUGH"],
                &mut out,
            );
            check_action(config.get("default_action"), "default_action", &mut out);
        }
        RULE => {
            if let Some(p) = config.get("priority").and_then(Value::as_number) {
                if !(1.0..=100.0).contains(&p) || p.fract() != 0.0 {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(["priority"]),
                        format!("priority {p} is out of range 1 to 100"),
                    ));
                }
            }
            check_action(config.get("action"), "action", &mut out);
        }
        TARGET_GROUP => {
            check_enum(
                config.get("type"),
                Path::from_keys(["type"]),
                &["IP", "LAMBDA", "INSTANCE", "ALB"],
                &mut out,
            );
            if let Some(cfg) = block(config, "config") {
                check_port(
                    cfg.get("port"),
                    Path::from_keys(["config", "port"]),
                    &mut out,
                );
                check_enum(
                    cfg.get("protocol"),
                    Path::from_keys(["config", "protocol"]),
                    &["HTTP", "HTTPS", "TCP"],
                    &mut out,
                );
                check_enum(
                    cfg.get("protocol_version"),
                    Path::from_keys(["config", "protocol_version"]),
                    &["HTTP1", "HTTP2", "GRPC"],
                    &mut out,
                );
                if let Some(hc) = block(cfg, "health_check") {
                    check_port(
                        hc.get("port"),
                        Path::from_keys(["config", "health_check", "port"]),
                        &mut out,
                    );
                }
            }
        }
        ATTACHMENT => {
            if let Some(t) = block(config, "target") {
                check_port(t.get("port"), Path::from_keys(["target", "port"]), &mut out);
            }
        }
        SERVICE | SERVICE_NETWORK => {
            check_enum(
                config.get("auth_type"),
                Path::from_keys(["auth_type"]),
                &["NONE", "AWS_IAM"],
                &mut out,
            );
        }
        SNVA => {
            if let Some(groups) = config.get("security_group_ids").and_then(Value::as_list) {
                if groups.len() > 5 {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(["security_group_ids"]),
                        format!(
                            "{} security groups given; a vpc association takes at most 5",
                            groups.len()
                        ),
                    ));
                }
            }
        }
        AUTH_POLICY | RESOURCE_POLICY => {
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
        _ => {}
    }
    out
}

/// What is wrong with a Lattice name, if anything.
pub fn name_problem(type_name: &str, name: &str, min: usize, max: usize) -> Option<String> {
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
    let reserved = match type_name {
        LISTENER => Some("listener-"),
        RULE => Some("rule-"),
        SERVICE => Some("svc-"),
        TARGET_GROUP => Some("tg-"),
        _ => None,
    };
    if let Some(prefix) = reserved.filter(|p| name.starts_with(*p)) {
        return Some(format!("it may not start with {prefix:?}"));
    }
    None
}

fn check_port(value: Option<&Value>, path: Path, out: &mut Vec<AttributeDiagnostic>) {
    if let Some(port) = value.and_then(Value::as_number) {
        if !(1.0..=65535.0).contains(&port) || port.fract() != 0.0 {
            out.push(AttributeDiagnostic::error(
                path,
                format!("port {port} is out of range 1 to 65535"),
            ));
        }
    }
}

fn check_enum(
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

fn check_action(value: Option<&Value>, key: &str, out: &mut Vec<AttributeDiagnostic>) {
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
        assert_eq!(name_problem(SERVICE, "billing", 3, 40), None);
        assert!(name_problem(SERVICE, "Billing", 3, 40).is_some());
        assert!(name_problem(SERVICE, "-billing", 3, 40).is_some());
        assert!(name_problem(SERVICE, "bil--ling", 3, 40).is_some());
        assert!(name_problem(SERVICE, "ab", 3, 40).is_some());
        assert!(name_problem(LISTENER, "listener-a", 3, 63).is_some());
    }

    #[test]
    fn ports_and_priorities() {
        let config = Value::object([
            ("name", Value::string("http")),
            ("protocol", Value::string("HTTP")),
            ("port", Value::Number(70000.0)),
        ]);
        let d = validate(LISTENER, &config);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, Path::from_keys(["port"]));
        let rule = Value::object([("priority", Value::Number(0.0))]);
        assert_eq!(validate(RULE, &rule).len(), 1);
    }
}
