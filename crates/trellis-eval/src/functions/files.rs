//! `fileexists` and `fileset`, which reach the file system through the [`crate::Scope`].
//!
//! `fileset` matches with the glob syntax Terraform takes (the doublestar package's): `*` and
//! `?` within one path component, `**` as a whole component for any number of directories,
//! `[abc]`, `[a-z]`, `[!a]` / `[^a]` classes, `{a,b}` alternatives and `\` escapes. The
//! pattern is matched against the paths of regular files below the directory, which are
//! listed once by the scope.

use trellis_types::Value;

use super::paths::clean;
use super::{arg_str, FnCtx, FnResult, FuncError};

pub(super) fn fileexists(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let path = arg_str(args, 0)?;
    ctx.scope
        .file_exists(&path)
        .map(Value::Bool)
        .map_err(|e| FuncError::arg(0, e))
}

pub(super) fn fileset(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let dir = arg_str(args, 0)?;
    let pattern = arg_str(args, 1)?;
    let cleaned = clean(&pattern);
    if cleaned.starts_with('/') || cleaned == ".." || cleaned.starts_with("../") {
        return Err(FuncError::arg(
            1,
            format!("the pattern {pattern:?} must stay inside the directory {dir:?}"),
        ));
    }
    let matcher = glob_regex(&cleaned).map_err(|e| FuncError::arg(1, e))?;
    let files = ctx
        .scope
        .list_files(&dir)
        .map_err(|e| FuncError::arg(0, e))?;
    let mut found: Vec<String> = files.into_iter().filter(|f| matcher.is_match(f)).collect();
    found.sort();
    found.dedup();
    Ok(Value::List(found.into_iter().map(Value::String).collect()))
}

/// Compiles a glob pattern to an anchored regular expression over `/`-separated paths.
pub(crate) fn glob_regex(pattern: &str) -> Result<regex::Regex, String> {
    let bad = |why: &str| format!("invalid pattern {pattern:?}: {why}");
    let chars: Vec<char> = pattern.chars().collect();
    let mut re = String::from("^");
    let mut braces = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' if chars.get(i + 1) == Some(&'*') => {
                let at_start = i == 0 || chars[i - 1] == '/';
                let mut j = i;
                while chars.get(j) == Some(&'*') {
                    j += 1;
                }
                let at_end = j == chars.len() || chars[j] == '/';
                if at_start && at_end {
                    if j == chars.len() {
                        re.push_str(".*");
                    } else {
                        // `**/`: zero or more whole directories.
                        re.push_str("(?:[^/]*/)*");
                        j += 1;
                    }
                } else {
                    re.push_str("[^/]*");
                }
                i = j;
                continue;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' => {
                let mut j = i + 1;
                let negated = matches!(chars.get(j), Some('!') | Some('^'));
                if negated {
                    j += 1;
                }
                let mut class = String::new();
                let mut closed = false;
                let mut first = true;
                while j < chars.len() {
                    let ch = chars[j];
                    if ch == ']' && !first {
                        closed = true;
                        break;
                    }
                    first = false;
                    match ch {
                        '\\' => {
                            j += 1;
                            let Some(&lit) = chars.get(j) else {
                                return Err(bad("a `\\` ends the pattern"));
                            };
                            class.push_str(&regex::escape(&lit.to_string()));
                        }
                        '-' => class.push('-'),
                        other => class.push_str(&escape_class(other)),
                    }
                    j += 1;
                }
                if !closed || class.is_empty() {
                    return Err(bad("a `[` has no matching `]`"));
                }
                if negated {
                    re.push_str(&format!("[^/{class}]"));
                } else {
                    re.push_str(&format!("[{class}]"));
                }
                i = j + 1;
                continue;
            }
            '{' => {
                braces += 1;
                re.push_str("(?:");
            }
            ',' if braces > 0 => re.push('|'),
            '}' if braces > 0 => {
                braces -= 1;
                re.push(')');
            }
            '\\' => {
                i += 1;
                let Some(&lit) = chars.get(i) else {
                    return Err(bad("a `\\` ends the pattern"));
                };
                re.push_str(&regex::escape(&lit.to_string()));
            }
            other => re.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    if braces > 0 {
        return Err(bad("a `{` has no matching `}`"));
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| bad(&e.to_string()))
}

/// A character inside a regex class: the ones special there are escaped.
fn escape_class(c: char) -> String {
    match c {
        '[' | ']' | '^' | '&' | '~' | '\\' => format!("\\{c}"),
        other => other.to_string(),
    }
}
