//! String functions.

use std::collections::BTreeMap;

use trellis_types::Value;

use super::{arg_int, arg_list, arg_str, checked_string, FnCtx, FnResult, FuncError};
use crate::value_ops::primitive_string;

pub(super) fn lower(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::String(arg_str(args, 0)?.to_lowercase()))
}

pub(super) fn upper(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::String(arg_str(args, 0)?.to_uppercase()))
}

pub(super) fn trimspace(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::String(arg_str(args, 0)?.trim().to_string()))
}

pub(super) fn chomp(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    Ok(Value::String(s.trim_end_matches(['\n', '\r']).to_string()))
}

pub(super) fn strrev(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::String(arg_str(args, 0)?.chars().rev().collect()))
}

pub(super) fn trim(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let cutset: Vec<char> = arg_str(args, 1)?.chars().collect();
    Ok(Value::String(s.trim_matches(cutset.as_slice()).to_string()))
}

pub(super) fn trimprefix(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let prefix = arg_str(args, 1)?;
    Ok(Value::String(
        s.strip_prefix(prefix.as_str()).unwrap_or(&s).to_string(),
    ))
}

pub(super) fn trimsuffix(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let suffix = arg_str(args, 1)?;
    Ok(Value::String(
        s.strip_suffix(suffix.as_str()).unwrap_or(&s).to_string(),
    ))
}

pub(super) fn startswith(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::Bool(
        arg_str(args, 0)?.starts_with(arg_str(args, 1)?.as_str()),
    ))
}

pub(super) fn endswith(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::Bool(
        arg_str(args, 0)?.ends_with(arg_str(args, 1)?.as_str()),
    ))
}

pub(super) fn strcontains(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::Bool(
        arg_str(args, 0)?.contains(arg_str(args, 1)?.as_str()),
    ))
}

/// Uppercases the first letter of each word, as Go's `strings.Title` does.
pub(super) fn title(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.chars() {
        if at_word_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_word_start = !(c.is_alphanumeric() || c == '_' || c == '\'');
    }
    Ok(Value::String(out))
}

pub(super) fn indent(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let n = arg_int(args, 0)?;
    if !(0..=1024).contains(&n) {
        return Err(FuncError::arg(0, "indentation must be between 0 and 1024"));
    }
    let s = arg_str(args, 1)?;
    let pad = " ".repeat(n as usize);
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
        }
        out.push_str(line);
    }
    checked_string(out)
}

/// `join(separator, list...)`.
pub(super) fn join(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let sep = arg_str(args, 0)?;
    let mut parts = Vec::new();
    for i in 1..args.len() {
        for (j, item) in arg_list(args, i)?.iter().enumerate() {
            match primitive_string(item) {
                Some(s) => parts.push(s),
                None if item.is_null() => {
                    return Err(FuncError::arg(i, format!("element {j} is null")));
                }
                None => {
                    return Err(FuncError::arg(
                        i,
                        format!(
                            "element {j} is a {}, not a string",
                            crate::value_ops::describe(item)
                        ),
                    ))
                }
            }
        }
    }
    checked_string(parts.join(&sep))
}

/// `split(separator, string)`.
pub(super) fn split(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let sep = arg_str(args, 0)?;
    let s = arg_str(args, 1)?;
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str())
            .map(|p| Value::String(p.to_string()))
            .collect()
    };
    Ok(Value::List(parts))
}

/// `replace(string, substring, replacement)`; a substring wrapped in slashes is a regular
/// expression, and the replacement may then refer to captures as `$1` or `${name}`.
pub(super) fn replace(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let search = arg_str(args, 1)?;
    let replacement = arg_str(args, 2)?;
    if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
        let re = compile(&search[1..search.len() - 1], 1)?;
        return checked_string(re.replace_all(&s, replacement.as_str()).into_owned());
    }
    if search.is_empty() {
        return Ok(Value::String(s));
    }
    let count = s.matches(search.as_str()).count();
    if s.len()
        .saturating_add(count.saturating_mul(replacement.len()))
        > super::MAX_STRING
    {
        return Err(FuncError::call("result is too large"));
    }
    Ok(Value::String(s.replace(search.as_str(), &replacement)))
}

/// `substr(string, offset, length)`, counting characters; a negative offset counts from the
/// end and a length of -1 means "to the end".
pub(super) fn substr(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let offset = arg_int(args, 1)?;
    let length = arg_int(args, 2)?;
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let start = if offset < 0 {
        (len + offset).max(0)
    } else {
        offset
    };
    if start > len {
        return Err(FuncError::arg(1, "offset is past the end of the string"));
    }
    let end = if length < 0 {
        if length != -1 {
            return Err(FuncError::arg(2, "length must be -1 or at least 0"));
        }
        len
    } else {
        (start + length).min(len)
    };
    Ok(Value::String(
        chars[start as usize..end as usize].iter().collect(),
    ))
}

fn compile(pattern: &str, arg: usize) -> Result<regex::Regex, FuncError> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| FuncError::arg(arg, format!("invalid regular expression: {e}")))
}

/// The result of one match: the matched text when the pattern has no captures, a list of
/// captures when they are unnamed, a map when they are named.
fn match_value(re: &regex::Regex, caps: &regex::Captures<'_>) -> Value {
    let text = |m: Option<regex::Match<'_>>| {
        m.map_or(Value::Null, |m| Value::String(m.as_str().to_string()))
    };
    if re.captures_len() == 1 {
        return text(caps.get(0));
    }
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.iter().any(Option::is_some) {
        let mut map = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(name) = name {
                map.insert((*name).to_string(), text(caps.get(i + 1)));
            }
        }
        Value::Map(map)
    } else {
        Value::List((1..re.captures_len()).map(|i| text(caps.get(i))).collect())
    }
}

pub(super) fn regex(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let re = compile(&arg_str(args, 0)?, 0)?;
    let s = arg_str(args, 1)?;
    match re.captures(&s) {
        Some(caps) => Ok(match_value(&re, &caps)),
        None => Err(FuncError::call("pattern did not match")),
    }
}

pub(super) fn regexall(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let re = compile(&arg_str(args, 0)?, 0)?;
    let s = arg_str(args, 1)?;
    Ok(Value::List(
        re.captures_iter(&s).map(|c| match_value(&re, &c)).collect(),
    ))
}
