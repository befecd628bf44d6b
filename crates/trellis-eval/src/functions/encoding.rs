//! Encoding and hashing functions.

use base64::Engine as _;
use sha2::Digest as _;
use trellis_types::Value;

use super::{arg_str, FnCtx, FnResult, FuncError};

pub(super) fn jsonencode(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let json = args[0].to_json();
    serde_json::to_string(&json)
        .map(Value::String)
        .map_err(|e| FuncError::arg(0, format!("cannot encode as JSON: {e}")))
}

pub(super) fn jsondecode(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let text = arg_str(args, 0)?;
    // serde_json limits nesting to 128 levels, so hostile input cannot overflow the stack.
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| FuncError::arg(0, format!("invalid JSON: {e}")))?;
    Ok(Value::from_json(&json))
}

pub(super) fn base64encode(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
    ))
}

pub(super) fn base64decode(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|e| FuncError::arg(0, format!("invalid base64: {e}")))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| FuncError::arg(0, "the decoded bytes are not valid UTF-8"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn sha256(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::String(hex(&sha2::Sha256::digest(
        arg_str(args, 0)?.as_bytes(),
    ))))
}

pub(super) fn base64sha256(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let digest = sha2::Sha256::digest(arg_str(args, 0)?.as_bytes());
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(digest),
    ))
}

pub(super) fn sha1(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::String(hex(&sha1::Sha1::digest(
        arg_str(args, 0)?.as_bytes(),
    ))))
}

pub(super) fn md5(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::String(hex(&md5::Md5::digest(
        arg_str(args, 0)?.as_bytes(),
    ))))
}

pub(super) fn sha512(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::String(hex(&sha2::Sha512::digest(
        arg_str(args, 0)?.as_bytes(),
    ))))
}

pub(super) fn base64sha512(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let digest = sha2::Sha512::digest(arg_str(args, 0)?.as_bytes());
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(digest),
    ))
}

/// Digests of a file's bytes, for the `file*` hashing functions.
pub(super) fn digest_hex<D: sha2::Digest>(bytes: &[u8]) -> String {
    hex(&D::digest(bytes))
}

pub(super) fn digest_base64<D: sha2::Digest>(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(D::digest(bytes))
}

/// `urlencode(s)`: Go's `url.QueryEscape` with spaces as `%20`, as Terraform does.
pub(super) fn urlencode(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    super::checked_string(out)
}

/// The character encodings `textencodebase64` and `textdecodebase64` accept. Terraform takes
/// any IANA name; these are the ones real configurations use (UTF-16LE for Windows user data).
#[derive(Clone, Copy)]
enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Latin1,
}

fn text_encoding(args: &[Value], i: usize) -> Result<TextEncoding, FuncError> {
    let name = arg_str(args, i)?;
    match name.to_ascii_uppercase().replace('_', "-").as_str() {
        "UTF-8" | "UTF8" => Ok(TextEncoding::Utf8),
        "UTF-16LE" => Ok(TextEncoding::Utf16Le),
        "UTF-16BE" => Ok(TextEncoding::Utf16Be),
        "ISO-8859-1" | "LATIN1" => Ok(TextEncoding::Latin1),
        _ => Err(FuncError::arg(
            i,
            format!(
                "\"{name}\" is not a supported encoding (UTF-8, UTF-16LE, UTF-16BE, ISO-8859-1)"
            ),
        )),
    }
}

pub(super) fn textencodebase64(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let bytes: Vec<u8> = match text_encoding(args, 1)? {
        TextEncoding::Utf8 => s.into_bytes(),
        TextEncoding::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Latin1 => s
            .chars()
            .map(|c| u8::try_from(u32::from(c)))
            .collect::<Result<_, _>>()
            .map_err(|_| {
                FuncError::arg(0, "the string has characters that ISO-8859-1 cannot encode")
            })?,
    };
    super::checked_string(base64::engine::general_purpose::STANDARD.encode(bytes))
}

pub(super) fn textdecodebase64(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let s = arg_str(args, 0)?;
    let encoding = text_encoding(args, 1)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|e| FuncError::arg(0, format!("invalid base64: {e}")))?;
    let invalid = || FuncError::arg(0, "the decoded bytes are not valid in the given encoding");
    let units = |le: bool| -> Result<Vec<u16>, FuncError> {
        if bytes.len() % 2 != 0 {
            return Err(invalid());
        }
        Ok(bytes
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect())
    };
    let text = match encoding {
        TextEncoding::Utf8 => String::from_utf8(bytes).map_err(|_| invalid())?,
        TextEncoding::Utf16Le => String::from_utf16(&units(true)?).map_err(|_| invalid())?,
        TextEncoding::Utf16Be => String::from_utf16(&units(false)?).map_err(|_| invalid())?,
        TextEncoding::Latin1 => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    Ok(Value::String(text))
}

/// Splits CSV text into records as Go's `encoding/csv` reads it for Terraform: RFC 4180
/// quoting, `""` for a quote inside quotes, CRLF or LF line ends, blank lines skipped, and a
/// bare `"` inside an unquoted field refused.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start_line = line;
        if matches!(chars.peek(), Some('\n')) {
            chars.next();
            line += 1;
            continue;
        }
        if chars.peek() == Some(&'\r') {
            let mut look = chars.clone();
            look.next();
            if look.peek() == Some(&'\n') {
                chars.next();
                chars.next();
                line += 1;
                continue;
            }
        }
        let mut fields = Vec::new();
        loop {
            let mut field = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        None => {
                            return Err(format!("line {start_line}: unterminated quoted field"))
                        }
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                match chars.peek() {
                    None | Some(',') | Some('\n') | Some('\r') => {}
                    Some(_) => {
                        return Err(format!("line {line}: extraneous \" in field"));
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' || c == '\n' || c == '\r' {
                        break;
                    }
                    if c == '"' {
                        return Err(format!("line {line}: bare \" in non-quoted field"));
                    }
                    field.push(c);
                    chars.next();
                }
            }
            fields.push(field);
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                None => break,
                Some(_) => unreachable!("fields end at a separator or line end"),
            }
        }
        records.push((start_line, fields));
    }
    Ok(records)
}

/// `csvdecode(text)`: a list of objects keyed by the header line's field names.
pub(super) fn csvdecode(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let text = arg_str(args, 0)?;
    let records = csv_records(&text).map_err(|e| FuncError::arg(0, format!("invalid CSV: {e}")))?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(FuncError::arg(0, "missing header line"));
    };
    let mut out = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            return Err(FuncError::arg(
                0,
                format!(
                    "invalid CSV: line {line}: wrong number of fields ({} where the header has {})",
                    fields.len(),
                    header.len()
                ),
            ));
        }
        out.push(Value::Map(
            header
                .iter()
                .cloned()
                .zip(fields.into_iter().map(Value::String))
                .collect(),
        ));
    }
    Ok(Value::List(out))
}

/// Parses a UUID in its canonical hyphenated form (case-insensitive), or with braces or a
/// `urn:uuid:` prefix as Go's uuid parser accepts.
fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let s = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(s);
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let digits: String = s.chars().filter(|&c| c != '-').collect();
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(digits.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// `uuidv5(namespace, name)`: the name-based (SHA-1) UUID of RFC 4122, deterministic.
pub(super) fn uuidv5(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let namespace = arg_str(args, 0)?;
    let name = arg_str(args, 1)?;
    // RFC 4122 appendix C's predefined namespaces, by the names Terraform gives them.
    let ns = match namespace.as_str() {
        "dns" => parse_uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        "url" => parse_uuid("6ba7b811-9dad-11d1-80b4-00c04fd430c8"),
        "oid" => parse_uuid("6ba7b812-9dad-11d1-80b4-00c04fd430c8"),
        "x500" => parse_uuid("6ba7b814-9dad-11d1-80b4-00c04fd430c8"),
        other => parse_uuid(other),
    }
    .ok_or_else(|| {
        FuncError::arg(
            0,
            format!("uuidv5() doesn't support namespace \"{namespace}\": use dns, url, oid, x500 or a UUID"),
        )
    })?;
    let mut hasher = sha1::Sha1::new();
    hasher.update(ns);
    hasher.update(name.as_bytes());
    let digest = hasher.finalize();
    let mut u = [0u8; 16];
    u.copy_from_slice(&digest[..16]);
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    let h = hex(&u);
    Ok(Value::String(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )))
}

/// `base64gzip(string)`: the string gzip-compressed, then base64-encoded. The header is the
/// one Go writes (no name, no time, operating system "unknown"); the compressed bytes come
/// from a different deflate implementation than Terraform's, so they can differ from
/// Terraform's output while decompressing to the same text.
pub(super) fn base64gzip(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    use std::io::Write as _;
    let s = arg_str(args, 0)?;
    let mut gz = flate2::GzBuilder::new()
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::default());
    gz.write_all(s.as_bytes())
        .and_then(|()| gz.try_finish())
        .map_err(|e| FuncError::call(format!("cannot compress: {e}")))?;
    let bytes = gz
        .finish()
        .map_err(|e| FuncError::call(format!("cannot compress: {e}")))?;
    super::checked_string(base64::engine::general_purpose::STANDARD.encode(bytes))
}
