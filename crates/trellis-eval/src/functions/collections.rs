//! Collection functions.

use std::collections::BTreeMap;

use trellis_types::Value;

use super::{arg_int, arg_list, arg_map, arg_number, arg_str, FnCtx, FnResult, FuncError};
use crate::eval::{to_bool, MAX_ELEMENTS};
use crate::value_ops::{describe, mark_if, normalize_set, primitive_string, unmark, values_equal};

pub(super) fn length(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let n = match &args[0] {
        Value::List(items) => items.len(),
        Value::Map(map) => map.len(),
        Value::String(s) => s.chars().count(),
        Value::Null => return Err(FuncError::arg(0, "argument must not be null")),
        other => {
            return Err(FuncError::arg(
                0,
                format!("a list, map or string is required, got {}", describe(other)),
            ))
        }
    };
    Ok(Value::Number(n as f64))
}

/// `lookup(map, key, default)`.
pub(super) fn lookup(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let map = arg_map(args, 0)?;
    let key = arg_str(args, 1)?;
    match map.get(&key) {
        Some(v) => Ok(v.clone()),
        None => match args.get(2) {
            Some(default) => Ok(default.clone()),
            None => Err(FuncError::arg(
                1,
                format!("key \"{key}\" does not exist and there is no default"),
            )),
        },
    }
}

pub(super) fn merge(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut out = BTreeMap::new();
    for (i, arg) in args.iter().enumerate() {
        match arg {
            Value::Null => {}
            Value::Map(map) => out.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
            other => {
                return Err(FuncError::arg(
                    i,
                    format!("a map or object is required, got {}", describe(other)),
                ))
            }
        }
    }
    Ok(Value::Map(out))
}

pub(super) fn concat(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut out = Vec::new();
    for i in 0..args.len() {
        out.extend(arg_list(args, i)?.iter().cloned());
    }
    Ok(Value::List(out))
}

pub(super) fn flatten(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    fn walk(
        items: &[Value],
        sensitive: bool,
        out: &mut Vec<Value>,
        depth: usize,
    ) -> Result<bool, FuncError> {
        if depth > crate::eval::MAX_DEPTH {
            return Err(FuncError::arg(0, "list is nested too deeply"));
        }
        for item in items {
            let (item, s) = unmark(item.clone());
            match item {
                Value::Unknown => return Ok(false),
                Value::List(inner) => {
                    if !walk(&inner, sensitive || s, out, depth + 1)? {
                        return Ok(false);
                    }
                }
                other => out.push(mark_if(other, sensitive || s)),
            }
        }
        Ok(true)
    }
    let mut out = Vec::new();
    if walk(arg_list(args, 0)?, false, &mut out, 0)? {
        Ok(Value::List(out))
    } else {
        Ok(Value::Unknown)
    }
}

pub(super) fn distinct(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut out: Vec<Value> = Vec::new();
    for item in arg_list(args, 0)? {
        if !out.iter().any(|o| values_equal(o, item)) {
            out.push(item.clone());
        }
    }
    Ok(Value::List(out))
}

pub(super) fn keys(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::List(
        arg_map(args, 0)?
            .keys()
            .map(|k| Value::String(k.clone()))
            .collect(),
    ))
}

pub(super) fn values(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::List(arg_map(args, 0)?.values().cloned().collect()))
}

pub(super) fn contains(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let items = arg_list(args, 0)?;
    Ok(Value::Bool(items.iter().any(|i| values_equal(i, &args[1]))))
}

/// `element(list, index)`: the index wraps around the list.
pub(super) fn element(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let items = arg_list(args, 0)?;
    let index = arg_int(args, 1)?;
    if index < 0 {
        return Err(FuncError::arg(1, "index must not be negative"));
    }
    if items.is_empty() {
        return Err(FuncError::arg(0, "cannot use element() with an empty list"));
    }
    Ok(items[(index as usize) % items.len()].clone())
}

pub(super) fn index(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let items = arg_list(args, 0)?;
    items
        .iter()
        .position(|i| values_equal(i, &args[1]))
        .map(|p| Value::Number(p as f64))
        .ok_or_else(|| FuncError::arg(1, "item not found in the list"))
}

pub(super) fn coalesce(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    for arg in args {
        match arg.unmarked() {
            Value::Unknown => return Ok(mark_if(Value::Unknown, arg.is_sensitive())),
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            _ => return Ok(arg.clone()),
        }
    }
    Err(FuncError::call("no non-null, non-empty argument"))
}

pub(super) fn coalescelist(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    for (i, arg) in args.iter().enumerate() {
        match arg.unmarked() {
            Value::Unknown => return Ok(mark_if(Value::Unknown, arg.is_sensitive())),
            Value::Null => continue,
            Value::List(items) if items.is_empty() => continue,
            Value::List(_) => return Ok(arg.clone()),
            other => {
                return Err(FuncError::arg(
                    i,
                    format!("a list is required, got {}", describe(other)),
                ))
            }
        }
    }
    Err(FuncError::call("no non-empty list argument"))
}

pub(super) fn compact(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut out = Vec::new();
    for (j, item) in arg_list(args, 0)?.iter().enumerate() {
        match item {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => match primitive_string(other) {
                Some(s) => out.push(Value::String(s)),
                None => {
                    return Err(FuncError::arg(
                        0,
                        format!("element {j} is a {}, not a string", describe(other)),
                    ))
                }
            },
        }
    }
    Ok(Value::List(out))
}

pub(super) fn zipmap(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let keys = arg_list(args, 0)?;
    let values = arg_list(args, 1)?;
    if keys.len() != values.len() {
        return Err(FuncError::call(format!(
            "there are {} keys but {} values",
            keys.len(),
            values.len()
        )));
    }
    let mut map = BTreeMap::new();
    let mut sensitive = false;
    for (j, (k, v)) in keys.iter().zip(values).enumerate() {
        if k.is_unknown() {
            return Ok(Value::Unknown);
        }
        sensitive |= k.is_sensitive();
        let Some(key) = primitive_string(k) else {
            return Err(FuncError::arg(0, format!("key {j} is not a string")));
        };
        map.insert(key, v.clone());
    }
    Ok(mark_if(Value::Map(map), sensitive))
}

/// `range(limit)`, `range(start, limit)`, `range(start, limit, step)`.
pub(super) fn range(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let (start, limit, step) = match args.len() {
        1 => (0.0, arg_number(args, 0)?, 1.0),
        2 => {
            let s = arg_number(args, 0)?;
            let l = arg_number(args, 1)?;
            (s, l, if l < s { -1.0 } else { 1.0 })
        }
        _ => (
            arg_number(args, 0)?,
            arg_number(args, 1)?,
            arg_number(args, 2)?,
        ),
    };
    if step == 0.0 {
        return Err(FuncError::arg(2, "step must not be zero"));
    }
    if (step > 0.0 && limit < start) || (step < 0.0 && limit > start) {
        return Err(FuncError::call(
            "step goes the wrong way for this start and limit",
        ));
    }
    let count = ((limit - start) / step).ceil();
    if !count.is_finite() || count > MAX_ELEMENTS as f64 {
        return Err(FuncError::call(format!(
            "would produce more than {MAX_ELEMENTS} elements"
        )));
    }
    let out = (0..count as usize)
        .map(|i| Value::Number(start + step * i as f64))
        .collect();
    Ok(Value::List(out))
}

pub(super) fn reverse(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::List(
        arg_list(args, 0)?.iter().rev().cloned().collect(),
    ))
}

pub(super) fn slice(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let items = arg_list(args, 0)?;
    let start = arg_int(args, 1)?;
    let end = arg_int(args, 2)?;
    if start < 0 || start > items.len() as i64 {
        return Err(FuncError::arg(
            1,
            format!(
                "start index {start} is out of range for a list of {} elements",
                items.len()
            ),
        ));
    }
    if end < start || end > items.len() as i64 {
        return Err(FuncError::arg(
            2,
            format!("end index {end} is out of range"),
        ));
    }
    Ok(Value::List(items[start as usize..end as usize].to_vec()))
}

pub(super) fn sort(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut strings = Vec::new();
    for (j, item) in arg_list(args, 0)?.iter().enumerate() {
        match primitive_string(item) {
            Some(s) => strings.push(s),
            None => {
                return Err(FuncError::arg(
                    0,
                    format!("element {j} is a {}, not a string", describe(item)),
                ))
            }
        }
    }
    strings.sort();
    Ok(Value::List(
        strings.into_iter().map(Value::String).collect(),
    ))
}

pub(super) fn one(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    match arg_list(args, 0)? {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        items => Err(FuncError::arg(
            0,
            format!("must have at most one element, got {}", items.len()),
        )),
    }
}

pub(super) fn sum(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let items = arg_list(args, 0)?;
    if items.is_empty() {
        return Err(FuncError::arg(0, "cannot sum an empty list"));
    }
    let mut total = 0.0;
    for (j, item) in items.iter().enumerate() {
        match crate::eval::to_number(item) {
            Some(n) => total += n,
            None => {
                return Err(FuncError::arg(
                    0,
                    format!("element {j} is a {}, not a number", describe(item)),
                ))
            }
        }
    }
    if !total.is_finite() {
        return Err(FuncError::call("sum is out of range"));
    }
    Ok(Value::Number(total))
}

fn bools(args: &[Value]) -> Result<Vec<bool>, FuncError> {
    let mut out = Vec::new();
    for (j, item) in arg_list(args, 0)?.iter().enumerate() {
        match to_bool(item) {
            Some(b) => out.push(b),
            None if item.is_null() => out.push(false),
            None => {
                return Err(FuncError::arg(
                    0,
                    format!("element {j} is a {}, not a bool", describe(item)),
                ))
            }
        }
    }
    Ok(out)
}

pub(super) fn alltrue(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::Bool(bools(args)?.into_iter().all(|b| b)))
}

pub(super) fn anytrue(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::Bool(bools(args)?.into_iter().any(|b| b)))
}

pub(super) fn chunklist(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let items = arg_list(args, 0)?;
    let size = arg_int(args, 1)?;
    if size < 0 {
        return Err(FuncError::arg(1, "chunk size must not be negative"));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(items.to_vec())]));
    }
    Ok(Value::List(
        items
            .chunks(size as usize)
            .map(|c| Value::List(c.to_vec()))
            .collect(),
    ))
}

fn sets(args: &[Value]) -> Result<Vec<Vec<Value>>, FuncError> {
    (0..args.len())
        .map(|i| arg_list(args, i).map(|items| normalize_set(items.to_vec())))
        .collect()
}

pub(super) fn setunion(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::List(normalize_set(
        sets(args)?.into_iter().flatten().collect(),
    )))
}

pub(super) fn setintersection(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut all = sets(args)?.into_iter();
    let first = all.next().unwrap_or_default();
    let rest: Vec<Vec<Value>> = all.collect();
    Ok(Value::List(
        first
            .into_iter()
            .filter(|v| rest.iter().all(|s| s.iter().any(|o| values_equal(o, v))))
            .collect(),
    ))
}

pub(super) fn setsubtract(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let all = sets(args)?;
    Ok(Value::List(
        all[0]
            .iter()
            .filter(|v| !all[1].iter().any(|o| values_equal(o, v)))
            .cloned()
            .collect(),
    ))
}

/// `setproduct(a, b, ...)`: every combination of one element from each argument, in order.
pub(super) fn setproduct(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    if args.len() < 2 {
        return Err(FuncError::call("at least two arguments are required"));
    }
    let mut out: Vec<Vec<Value>> = vec![Vec::new()];
    for i in 0..args.len() {
        let items = arg_list(args, i)?;
        if items.is_empty() {
            return Ok(Value::List(Vec::new()));
        }
        let total = out.len().saturating_mul(items.len());
        if total > MAX_ELEMENTS {
            return Err(FuncError::call("result has too many elements"));
        }
        out = out
            .iter()
            .flat_map(|prefix| {
                items.iter().map(move |item| {
                    let mut row = prefix.clone();
                    row.push(item.clone());
                    row
                })
            })
            .collect();
    }
    Ok(Value::List(out.into_iter().map(Value::List).collect()))
}

/// `matchkeys(values, keys, searchset)`: the elements of `values` whose counterpart in
/// `keys` is in `searchset`.
pub(super) fn matchkeys(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let values = arg_list(args, 0)?;
    let keys = arg_list(args, 1)?;
    let search = arg_list(args, 2)?;
    if values.len() != keys.len() {
        return Err(FuncError::arg(
            1,
            "length of keys and values should be equal",
        ));
    }
    Ok(Value::List(
        values
            .iter()
            .zip(keys)
            .filter(|(_, k)| search.iter().any(|s| values_equal(s, k)))
            .map(|(v, _)| v.clone())
            .collect(),
    ))
}

/// `transpose(map)`: a map of lists of strings with keys and values swapped.
pub(super) fn transpose(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (key, items) in arg_map(args, 0)? {
        let Value::List(items) = items else {
            return Err(FuncError::arg(
                0,
                format!(
                    "the value of \"{key}\" must be a list of strings, got {}",
                    describe(items)
                ),
            ));
        };
        for item in items {
            let Some(name) = primitive_string(item) else {
                return Err(FuncError::arg(
                    0,
                    format!(
                        "the elements of \"{key}\" must be strings, got {}",
                        describe(item)
                    ),
                ));
            };
            out.entry(name)
                .or_default()
                .push(Value::String(key.clone()));
        }
    }
    Ok(Value::Map(
        out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
    ))
}
