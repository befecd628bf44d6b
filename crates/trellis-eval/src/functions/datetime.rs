//! Date and time functions over RFC 3339 timestamps: `formatdate`, `timeadd`, `timecmp`.
//!
//! Only the deterministic ones: `timestamp()` would differ between plan and apply.

use trellis_types::Value;

use super::{arg_str, FnCtx, FnResult, FuncError};

/// An instant with the UTC offset it was written in, which formatting keeps.
#[derive(Clone, Copy)]
struct Time {
    /// Seconds since 1970-01-01T00:00:00Z.
    unix: i64,
    nanos: u32,
    /// Offset east of UTC, in seconds.
    offset: i32,
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn parse_rfc3339(s: &str) -> Option<Time> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || sec > 59
    {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if b[i] == b'.' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &s[start..i];
        if digits.is_empty() || digits.len() > 9 {
            return None;
        }
        nanos = format!("{digits:0<9}").parse().ok()?;
    }
    let offset = match b.get(i..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 && b[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (oh * 3600 + om * 60) as i32;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let local = days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + sec);
    Some(Time {
        unix: local - i64::from(offset),
        nanos,
        offset,
    })
}

fn arg_time(args: &[Value], i: usize) -> Result<Time, FuncError> {
    let s = arg_str(args, i)?;
    parse_rfc3339(&s).ok_or_else(|| {
        FuncError::arg(
            i,
            format!("\"{s}\" is not a valid RFC 3339 timestamp (e.g. \"2017-11-22T00:00:00Z\")"),
        )
    })
}

/// The local calendar fields of a time in its own offset.
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    weekday: usize,
    hour: u32,
    minute: u32,
    second: u32,
}

fn fields(t: Time) -> Fields {
    let local = t.unix + i64::from(t.offset);
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    Fields {
        year,
        month,
        day,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as usize,
        hour: secs / 3600,
        minute: secs % 3600 / 60,
        second: secs % 60,
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

fn offset_string(offset: i32, colon: bool) -> String {
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let (h, m) = (a / 3600, a % 3600 / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

fn rfc3339(t: Time) -> String {
    let f = fields(t);
    let zone = if t.offset == 0 {
        "Z".to_string()
    } else {
        offset_string(t.offset, true)
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{zone}",
        f.year, f.month, f.day, f.hour, f.minute, f.second
    )
}

/// `formatdate(spec, timestamp)` with Terraform's format letters and `'quoted'` literals.
pub(super) fn formatdate(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let spec = arg_str(args, 0)?;
    let t = arg_time(args, 1)?;
    let f = fields(t);
    let h12 = if f.hour.is_multiple_of(12) {
        12
    } else {
        f.hour % 12
    };
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // A quoted literal; '' inside or alone is one quote.
            i += 1;
            if chars.get(i) == Some(&'\'') {
                out.push('\'');
                i += 1;
                continue;
            }
            loop {
                match chars.get(i) {
                    None => return Err(FuncError::arg(0, "unterminated literal '")),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        out.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        out.push(other);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] == c {
            i += 1;
        }
        let seq: String = chars[start..i].iter().collect();
        let piece = match seq.as_str() {
            "YYYY" => format!("{:04}", f.year),
            "YY" => format!("{:02}", f.year.rem_euclid(100)),
            "MMMM" => MONTHS[f.month as usize - 1].to_string(),
            "MMM" => MONTHS[f.month as usize - 1][..3].to_string(),
            "MM" => format!("{:02}", f.month),
            "M" => f.month.to_string(),
            "DD" => format!("{:02}", f.day),
            "D" => f.day.to_string(),
            "EEEE" => WEEKDAYS[f.weekday].to_string(),
            "EEE" => WEEKDAYS[f.weekday][..3].to_string(),
            "hh" => format!("{:02}", f.hour),
            "h" => f.hour.to_string(),
            "HH" => format!("{h12:02}"),
            "H" => h12.to_string(),
            "AA" => if f.hour < 12 { "AM" } else { "PM" }.to_string(),
            "aa" => if f.hour < 12 { "am" } else { "pm" }.to_string(),
            "mm" => format!("{:02}", f.minute),
            "m" => f.minute.to_string(),
            "ss" => format!("{:02}", f.second),
            "s" => f.second.to_string(),
            "ZZZZZ" => offset_string(t.offset, true),
            "ZZZZ" => offset_string(t.offset, false),
            "ZZZ" if t.offset == 0 => "UTC".to_string(),
            "ZZZ" => offset_string(t.offset, false),
            "Z" if t.offset == 0 => "Z".to_string(),
            "Z" => offset_string(t.offset, true),
            _ => {
                return Err(FuncError::arg(
                    0,
                    format!("invalid date format verb \"{seq}\": quote literal letters with '"),
                ))
            }
        };
        out.push_str(&piece);
    }
    Ok(Value::String(out))
}

/// A Go duration string ("1h30m", "-10m", "1.5s") in nanoseconds.
fn parse_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[u..];
        total += number * unit;
    }
    let total = total.round() as i128;
    Some(if neg { -total } else { total })
}

/// `timeadd(timestamp, duration)`.
pub(super) fn timeadd(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let t = arg_time(args, 0)?;
    let d = arg_str(args, 1)?;
    let nanos = parse_duration(&d).ok_or_else(|| {
        FuncError::arg(
            1,
            format!("\"{d}\" is not a valid duration (e.g. \"1h30m\")"),
        )
    })?;
    let total = i128::from(t.unix) * 1_000_000_000 + i128::from(t.nanos) + nanos;
    let unix = i64::try_from(total.div_euclid(1_000_000_000))
        .map_err(|_| FuncError::call("result is out of range"))?;
    let out = Time {
        unix,
        nanos: total.rem_euclid(1_000_000_000) as u32,
        offset: t.offset,
    };
    if !(0..=9999).contains(&fields(out).year) {
        return Err(FuncError::call("result is out of range"));
    }
    Ok(Value::String(rfc3339(out)))
}

/// `timecmp(a, b)`: -1, 0 or 1 as `a` is before, at or after `b`.
pub(super) fn timecmp(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let a = arg_time(args, 0)?;
    let b = arg_time(args, 1)?;
    let ord = (a.unix, a.nanos).cmp(&(b.unix, b.nanos));
    Ok(Value::Number(ord as i8 as f64))
}
