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

/// `abspath(path)`: `path` made absolute against the working directory, then cleaned.
pub(super) fn abspath(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let path = arg_str(args, 0)?;
    if path.starts_with('/') {
        return Ok(Value::String(clean(&path)));
    }
    let Some(cwd) = ctx.scope.working_dir() else {
        return Err(super::FuncError::call(
            "the working directory is not known here",
        ));
    };
    Ok(Value::String(clean(&format!("{cwd}/{path}"))))
}

/// `pathexpand(path)`: a leading `~` or `~/` replaced by the home directory; any other path
/// unchanged, as Terraform's go-homedir does (`~user` is refused).
pub(super) fn pathexpand(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let path = arg_str(args, 0)?;
    let Some(rest) = path.strip_prefix('~') else {
        return Ok(Value::String(path));
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return Err(super::FuncError::arg(
            0,
            "cannot expand user-specific home directories (~user)",
        ));
    }
    let Some(home) = ctx.scope.home_dir() else {
        return Err(super::FuncError::call("the home directory is not known"));
    };
    Ok(Value::String(format!("{home}{rest}")))
}
