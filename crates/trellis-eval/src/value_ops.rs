//! Small operations on values shared by the evaluator, the functions and type conversion.

use std::cmp::Ordering;

use trellis_types::Value;

/// The value with every outer sensitive mark removed, and whether there was one.
pub(crate) fn unmark(value: Value) -> (Value, bool) {
    match value {
        Value::Sensitive(inner) => (unmark(*inner).0, true),
        other => (other, false),
    }
}

/// Marks `value` sensitive when `sensitive` is true.
pub(crate) fn mark_if(value: Value, sensitive: bool) -> Value {
    if sensitive {
        value.into_sensitive()
    } else {
        value
    }
}

/// The text of a number as HCL prints it: integers without a fraction.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Parses a string as an HCL number (decimal, optional sign, fraction and exponent).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || t != text {
        return None;
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A primitive value (string, number or bool) as a string; `None` for anything else.
pub(crate) fn primitive_string(value: &Value) -> Option<String> {
    match value.unmarked() {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A description of a value's type for messages: "list", "object", "null"...
pub(crate) fn describe(value: &Value) -> &'static str {
    match value.unmarked() {
        Value::List(_) => "list",
        Value::Map(_) => "object",
        other => other.type_name(),
    }
}

/// Deep equality ignoring sensitive marks. Callers handle unknowns first.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.unmarked(), b.unmarked()) {
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && values_equal(v1, v2))
        }
        (x, y) => x == y,
    }
}

fn kind_rank(value: &Value) -> u8 {
    match value.unmarked() {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::List(_) => 4,
        Value::Map(_) => 5,
        Value::Unknown | Value::Sensitive(_) => 6,
    }
}

/// A total order over values, used to normalise sets: by kind, then numbers ascending,
/// strings lexically, collections element by element; unknowns last.
pub(crate) fn total_cmp(a: &Value, b: &Value) -> Ordering {
    let (ra, rb) = (kind_rank(a), kind_rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a.unmarked(), b.unmarked()) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = total_cmp(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Map(x), Value::Map(y)) => {
            for ((k1, v1), (k2, v2)) in x.iter().zip(y) {
                let o = k1.cmp(k2).then_with(|| total_cmp(v1, v2));
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => Ordering::Equal,
    }
}

/// Normalises a list into a set: duplicates removed, elements sorted. Unknown elements cannot
/// be compared, so they are kept (at the end).
pub(crate) fn normalize_set(items: Vec<Value>) -> Vec<Value> {
    let mut known: Vec<Value> = Vec::with_capacity(items.len());
    let mut unknown = Vec::new();
    for item in items {
        if item.contains_unknown() {
            unknown.push(item);
        } else if !known.iter().any(|k| values_equal(k, &item)) {
            known.push(item);
        }
    }
    known.sort_by(total_cmp);
    known.extend(unknown);
    known
}

/// The closest of `candidates` to `name`, when it is close enough to suggest.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
