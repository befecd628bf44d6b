//! Path functions with Go's `path/filepath` semantics on Unix, as Terraform has them.

use trellis_types::Value;

use super::{arg_str, FnCtx, FnResult};

/// Go's `filepath.Clean`: the shortest equivalent path, lexically.
pub(super) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

pub(super) fn basename(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let path = arg_str(args, 0)?;
    let trimmed = path.trim_end_matches('/');
    Ok(Value::String(if path.is_empty() {
        ".".to_string()
    } else if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
    }))
}

pub(super) fn dirname(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let path = arg_str(args, 0)?;
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    };
    Ok(Value::String(clean(dir)))
}
