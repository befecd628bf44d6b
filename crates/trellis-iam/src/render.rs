//! A JSON writer that produces the bytes Go's `encoding/json` produces: `Marshal` (compact)
//! and `MarshalIndent(v, "", "  ")`, with Go's default HTML escaping. serde_json differs
//! (it leaves `<`, `>`, `&`, U+2028 and U+2029 alone), and a policy whose bytes differ from
//! what Terraform wrote shows as a diff, so the escaping is done here.
//!
//! Objects are written in the order their keys were inserted: the caller decides whether an
//! object is a struct (fixed field order) or a Go map (sorted keys).

use serde_json::Value as Json;

/// Go's `json.Marshal`.
pub fn compact(value: &Json) -> String {
    let mut out = String::new();
    write(value, None, &mut out);
    out
}

/// Go's `json.MarshalIndent(value, "", "  ")`.
pub fn pretty(value: &Json) -> String {
    let mut out = String::new();
    write(value, Some(0), &mut out);
    out
}

fn newline(depth: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write(value: &Json, depth: Option<usize>, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&go_float(n.as_f64().unwrap_or(0.0))),
        Json::String(s) => string(s, out),
        Json::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(d) = depth {
                    newline(d + 1, out);
                }
                write(item, depth.map(|d| d + 1), out);
            }
            if let Some(d) = depth {
                newline(d, out);
            }
            out.push(']');
        }
        Json::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if let Some(d) = depth {
                    newline(d + 1, out);
                }
                string(key, out);
                out.push(':');
                if depth.is_some() {
                    out.push(' ');
                }
                write(item, depth.map(|d| d + 1), out);
            }
            if let Some(d) = depth {
                newline(d, out);
            }
            out.push('}');
        }
    }
}

/// A string as Go writes it with HTML escaping on (Go 1.22 and later write `\b` and `\f`
/// in their short forms).
fn string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '<' || c == '>' || c == '&' => {
                let b = c as u32;
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A number as Go writes a float64 (Go decodes every JSON number of a source document into
/// a float64): shortest digits, plain notation for 1e-6 <= |f| < 1e21, otherwise an
/// exponent with a sign and at least two digits (`1e+21`, `1e-7`).
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return format!("{f}");
    }
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    if sign == '+' && digits.len() < 2 {
        format!("{mantissa}e+0{digits}")
    } else {
        format!("{mantissa}e{sign}{digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_like_go() {
        let v = json!("a<b>&c\"\\\n\r\t\u{8}\u{c}\u{1}\u{7f}\u{2028}\u{2029}é");
        assert_eq!(
            compact(&v),
            r#""a\u003cb\u003e\u0026c\"\\\n\r\t\b\f\u0001\u{7f}\u2028\u2029é""#
                .replace("\\u{7f}", "\u{7f}")
        );
    }

    #[test]
    fn indents_like_go() {
        let v = json!({"A": [], "B": {}, "C": ["x", {"D": "y"}]});
        assert_eq!(
            pretty(&v),
            "{\n  \"A\": [],\n  \"B\": {},\n  \"C\": [\n    \"x\",\n    {\n      \"D\": \"y\"\n    }\n  ]\n}"
        );
        assert_eq!(compact(&v), r#"{"A":[],"B":{},"C":["x",{"D":"y"}]}"#);
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(go_float(3600.0), "3600");
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1e-7), "1e-7");
        assert_eq!(go_float(1.25e-10), "1.25e-10");
        assert_eq!(go_float(1e100), "1e+100");
        assert_eq!(go_float(0.000001), "0.000001");
    }
}
