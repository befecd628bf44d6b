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
