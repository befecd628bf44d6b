//! Numeric functions.

use trellis_types::Value;

use super::{arg_int, arg_number, arg_str, FnCtx, FnResult, FuncError};

fn finite(n: f64) -> FnResult {
    if n.is_finite() {
        Ok(Value::Number(n))
    } else {
        Err(FuncError::call("result is out of range"))
    }
}

pub(super) fn abs(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    finite(arg_number(args, 0)?.abs())
}

pub(super) fn ceil(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    finite(arg_number(args, 0)?.ceil())
}

pub(super) fn floor(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    finite(arg_number(args, 0)?.floor())
}

pub(super) fn signum(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let n = arg_number(args, 0)?;
    finite(if n == 0.0 { 0.0 } else { n.signum() })
}

pub(super) fn pow(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    finite(arg_number(args, 0)?.powf(arg_number(args, 1)?))
}

pub(super) fn max(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut best = arg_number(args, 0)?;
    for i in 1..args.len() {
        best = best.max(arg_number(args, i)?);
    }
    finite(best)
}

pub(super) fn min(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let mut best = arg_number(args, 0)?;
    for i in 1..args.len() {
        best = best.min(arg_number(args, i)?);
    }
    finite(best)
}

/// `parseint(string, base)` for bases 2 to 62.
pub(super) fn parseint(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let base = arg_int(args, 1)?;
    if !(2..=62).contains(&base) {
        return Err(FuncError::arg(1, "base must be between 2 and 62"));
    }
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(FuncError::arg(
            0,
            format!("cannot parse \"{s}\" as a base {base} integer"),
        ));
    }
    let mut n: f64 = 0.0;
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as i64 - '0' as i64,
            'a'..='z' => c as i64 - 'a' as i64 + 10,
            'A'..='Z' if base <= 36 => c as i64 - 'A' as i64 + 10,
            'A'..='Z' => c as i64 - 'A' as i64 + 36,
            _ => -1,
        };
        if d < 0 || d >= base {
            return Err(FuncError::arg(
                0,
                format!("cannot parse \"{s}\" as a base {base} integer"),
            ));
        }
        n = n * base as f64 + d as f64;
    }
    finite(if negative { -n } else { n })
}

/// `log(number, base)`.
pub(super) fn log(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let n = arg_number(args, 0)?;
    let base = arg_number(args, 1)?;
    finite(n.ln() / base.ln())
}
