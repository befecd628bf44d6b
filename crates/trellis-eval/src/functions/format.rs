//! `format` and `formatlist`: a subset of Go's fmt verbs, as HCL's format function offers.

use trellis_types::Value;

use super::{arg_str, checked_string, FnCtx, FnResult, FuncError};
use crate::eval::{to_bool, to_number};
use crate::value_ops::{describe, format_number, primitive_string};

/// The widest padding or precision a verb may ask for.
const MAX_WIDTH: usize = 1 << 20;

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

pub(super) fn format(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let fmt = arg_str(args, 0)?;
    format_values(&fmt, &args[1..]).and_then(checked_string)
}

/// `formatlist(format, args...)`: lists are iterated together, other arguments repeat.
pub(super) fn formatlist(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let fmt = arg_str(args, 0)?;
    let mut n: Option<usize> = None;
    for (i, arg) in args.iter().enumerate().skip(1) {
        if let Value::List(items) = arg.unmarked() {
            match n {
                Some(m) if m != items.len() => {
                    return Err(FuncError::arg(
                        i,
                        format!(
                            "list has {} elements but an earlier one has {m}",
                            items.len()
                        ),
                    ))
                }
                _ => n = Some(items.len()),
            }
        }
    }
    let mut out = Vec::new();
    for j in 0..n.unwrap_or(1) {
        let row: Vec<Value> = args[1..]
            .iter()
            .map(|a| match a.unmarked() {
                Value::List(items) => items[j].clone(),
                _ => a.clone(),
            })
            .collect();
        out.push(Value::String(format_values(&fmt, &row)?));
    }
    Ok(Value::List(out))
}

fn format_values(fmt: &str, values: &[Value]) -> Result<String, FuncError> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut next_arg = 0usize;
    let mut used = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = read_number(&mut chars)?;
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(read_number(&mut chars)?.unwrap_or(0));
        }
        if chars.peek() == Some(&'[') {
            chars.next();
            let n = read_number(&mut chars)?;
            if chars.next() != Some(']') || n.is_none_or_zero() {
                return Err(FuncError::arg(0, "invalid argument index in format string"));
            }
            next_arg = n.unwrap_or(1) - 1;
        }
        let Some(verb) = chars.next() else {
            return Err(FuncError::arg(
                0,
                "format string ends with an incomplete verb",
            ));
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(value) = values.get(next_arg) else {
            return Err(FuncError::call(format!(
                "not enough arguments for the verbs of the format string (verb %{verb} needs argument {})",
                next_arg + 1
            )));
        };
        let arg_index = next_arg + 1;
        next_arg += 1;
        used = used.max(next_arg);
        let text = format_one(verb, &spec, value)
            .map_err(|e| FuncError::arg(arg_index, format!("%{verb}: {e}")))?;
        out.push_str(&pad(
            text,
            &spec,
            matches!(verb, 'd' | 'f' | 'e' | 'g' | 'b' | 'o' | 'x' | 'X'),
        ));
        if out.len() > super::MAX_STRING {
            return Err(FuncError::call("result is too large"));
        }
    }
    if used < values.len() {
        return Err(FuncError::call(format!(
            "too many arguments: the format string uses {used} but {} were given",
            values.len()
        )));
    }
    Ok(out)
}

trait ZeroCheck {
    fn is_none_or_zero(&self) -> bool;
}

impl ZeroCheck for Option<usize> {
    fn is_none_or_zero(&self) -> bool {
        matches!(self, None | Some(0))
    }
}

fn read_number(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<Option<usize>, FuncError> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        let v = n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize);
        if v > MAX_WIDTH {
            return Err(FuncError::arg(
                0,
                "width or precision in the format string is too large",
            ));
        }
        n = Some(v);
    }
    Ok(n)
}

fn pad(text: String, spec: &Spec, numeric: bool) -> String {
    let Some(width) = spec.width else {
        return text;
    };
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = width - len;
    if spec.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, digits) = match text.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), text[1..].to_string()),
            _ => (String::new(), text),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

fn sign(n: f64, spec: &Spec) -> &'static str {
    if n < 0.0 {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn number(value: &Value) -> Result<f64, String> {
    to_number(value).ok_or_else(|| format!("a number is required, got {}", describe(value)))
}

fn integer(value: &Value) -> Result<i128, String> {
    let n = number(value)?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(format!(
            "a whole number is required, got {}",
            format_number(n)
        ));
    }
    Ok(n as i128)
}

fn format_one(verb: char, spec: &Spec, value: &Value) -> Result<String, String> {
    let value = value.unmarked();
    Ok(match verb {
        'v' if spec.sharp => value.to_json().to_string(),
        'v' => match value {
            Value::Null => "null".to_string(),
            Value::List(_) | Value::Map(_) => value.to_json().to_string(),
            other => primitive_string(other).unwrap_or_default(),
        },
        's' => {
            let s = match value {
                Value::Null => return Err("a null value cannot be formatted".to_string()),
                other => primitive_string(other)
                    .ok_or_else(|| format!("a string is required, got {}", describe(other)))?,
            };
            match spec.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'q' => {
            let s = primitive_string(value)
                .ok_or_else(|| format!("a string is required, got {}", describe(value)))?;
            serde_json::Value::String(s).to_string()
        }
        't' => to_bool(value)
            .ok_or_else(|| format!("a bool is required, got {}", describe(value)))?
            .to_string(),
        'd' => {
            let n = integer(value)?;
            format!("{}{}", sign(n as f64, spec), n.unsigned_abs())
        }
        'b' | 'o' | 'x' | 'X' => {
            let n = integer(value)?;
            let abs = n.unsigned_abs();
            let digits = match verb {
                'b' => format!("{abs:b}"),
                'o' => format!("{abs:o}"),
                'x' => format!("{abs:x}"),
                _ => format!("{abs:X}"),
            };
            format!("{}{digits}", sign(n as f64, spec))
        }
        'f' | 'F' => {
            let n = number(value)?;
            let p = spec.precision.unwrap_or(6);
            format!("{}{:.*}", sign(n, spec), p, n.abs())
        }
        'e' | 'E' => {
            let n = number(value)?;
            let p = spec.precision.unwrap_or(6);
            let raw = format!("{:.*e}", p, n.abs());
            let (mantissa, exp) = raw.split_once('e').unwrap_or((&raw, "0"));
            let exp: i32 = exp.parse().unwrap_or(0);
            let e = if verb == 'e' { 'e' } else { 'E' };
            format!(
                "{}{mantissa}{e}{}{:02}",
                sign(n, spec),
                if exp < 0 { '-' } else { '+' },
                exp.abs()
            )
        }
        'g' | 'G' => {
            let n = number(value)?;
            format!("{}{}", sign(n, spec), format_number(n.abs()))
        }
        other => return Err(format!("unsupported verb %{other}")),
    })
}
