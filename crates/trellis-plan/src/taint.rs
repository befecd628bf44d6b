//! Sensitive values echoed by a provider.
//!
//! A provider sees plain values: the marks stay with the engine. When it computes an
//! attribute from a sensitive input (`tags_all` from `tags`, a name derived from a secret),
//! the result would be shown in the clear. [`echo_paths`] finds every string of a value that
//! contains one of the sensitive strings of the same change, so that the planner and the
//! executor mark those paths sensitive too.

use trellis_types::{Path, PathStep, Value};

/// Strings shorter than this are not looked for: one- or two-character values would mark
/// ordinary attributes, and are too short to be a secret worth the name.
const MIN_SECRET_CHARS: usize = 3;

/// The sensitive strings of `value` at `paths` (and under inline marks).
pub fn secrets(value: &Value, paths: &[Path]) -> Vec<String> {
    let mut out = Vec::new();
    for path in paths {
        if let Some(v) = value.get_path(path) {
            strings(v, &mut out);
        }
    }
    marked(value, false, &mut out);
    out.retain(|s| s.chars().count() >= MIN_SECRET_CHARS);
    out.sort();
    out.dedup();
    out
}

/// The paths of `value` whose strings contain one of `secrets`.
pub fn echo_paths(value: &Value, secrets: &[String]) -> Vec<Path> {
    let mut out = Vec::new();
    if !secrets.is_empty() {
        walk(value, &mut Path::root(), secrets, &mut out);
    }
    out
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::List(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Map(map) => map.values().for_each(|v| strings(v, out)),
        Value::Sensitive(inner) => strings(inner, out),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::Unknown => {}
    }
}

fn marked(value: &Value, inside: bool, out: &mut Vec<String>) {
    match value {
        Value::Sensitive(inner) => marked(inner, true, out),
        Value::String(s) if inside => out.push(s.clone()),
        Value::List(items) => items.iter().for_each(|v| marked(v, inside, out)),
        Value::Map(map) => map.values().for_each(|v| marked(v, inside, out)),
        _ => {}
    }
}

fn walk(value: &Value, at: &mut Path, secrets: &[String], out: &mut Vec<Path>) {
    match value {
        Value::String(s) if secrets.iter().any(|secret| s.contains(secret.as_str())) => {
            out.push(at.clone())
        }
        Value::List(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(PathStep::Index(i));
                walk(v, at, secrets, out);
                at.pop();
            }
        }
        Value::Map(map) => {
            for (k, v) in map {
                at.push(PathStep::Key(k.clone()));
                walk(v, at, secrets, out);
                at.pop();
            }
        }
        Value::Sensitive(inner) => walk(inner, at, secrets, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computed_echoes_of_a_secret_are_found() {
        let config = Value::object([
            ("tags", Value::object([("token", Value::string("s3cret"))])),
            ("name", Value::string("n")),
        ]);
        let secrets = secrets(&config, &[Path::from_keys(["tags", "token"])]);
        assert_eq!(secrets, vec!["s3cret".to_string()]);
        let planned = Value::object([
            ("tags", Value::object([("token", Value::string("s3cret"))])),
            (
                "tags_all",
                Value::object([
                    ("token", Value::string("s3cret")),
                    ("team", Value::string("x")),
                ]),
            ),
            ("derived", Value::string("prefix-s3cret-suffix")),
            ("name", Value::string("n")),
        ]);
        let paths = echo_paths(&planned, &secrets);
        assert_eq!(
            paths,
            vec![
                Path::from_keys(["derived"]),
                Path::from_keys(["tags", "token"]),
                Path::from_keys(["tags_all", "token"]),
            ]
        );
    }

    #[test]
    fn short_and_absent_secrets_mark_nothing() {
        let config = Value::object([("a", Value::string("ab").into_sensitive())]);
        assert!(secrets(&config, &[]).is_empty());
        assert!(echo_paths(&Value::string("abc"), &[]).is_empty());
    }
}
