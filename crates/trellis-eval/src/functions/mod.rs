//! The built-in functions.
//!
//! Each function is a plain `fn(&FnCtx, &[Value]) -> Result<Value, FuncError>` in a table with
//! its arity and how it treats unknown and sensitive arguments ([`Policy`]), so that the
//! marks are handled in one place instead of in every function.

mod collections;
mod datetime;
mod encoding;
mod files;
mod format;
mod network;
mod numeric;
mod paths;
mod strings;
mod yaml;

use trellis_types::{Diagnostics, Value};

use crate::eval::to_number;
use crate::value_ops::{describe, format_number, mark_if, unmark};
use crate::Scope;

/// The longest string a function may build, so that a configuration cannot exhaust memory
/// with `format("%999999999s")` and the like.
pub(crate) const MAX_STRING: usize = 64 << 20;

/// What a function may reach besides its arguments.
pub(crate) struct FnCtx<'a> {
    pub(crate) scope: &'a dyn Scope,
}

/// Why a function call failed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct FuncError {
    /// The argument at fault, so the diagnostic points at it; the whole call otherwise.
    pub(crate) arg: Option<usize>,
    pub(crate) message: String,
    pub(crate) detail: Option<String>,
    /// Diagnostics from inside a template file rendered by `templatefile`.
    pub(crate) nested: Option<Diagnostics>,
}

impl FuncError {
    pub(crate) fn arg(index: usize, message: impl Into<String>) -> FuncError {
        FuncError {
            arg: Some(index),
            message: message.into(),
            detail: None,
            nested: None,
        }
    }

    pub(crate) fn call(message: impl Into<String>) -> FuncError {
        FuncError {
            arg: None,
            message: message.into(),
            detail: None,
            nested: None,
        }
    }
}

pub(crate) type FnResult = Result<Value, FuncError>;
type Func = fn(&FnCtx<'_>, &[Value]) -> FnResult;

/// How a function treats unknown and sensitive arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// Any unknown anywhere in an argument makes the result unknown; any sensitive mark
    /// anywhere makes the result sensitive, and the function sees the values unmarked.
    Deep,
    /// Only the arguments themselves are checked: an unknown argument makes the result unknown,
    /// a sensitive one makes it sensitive. Elements inside keep their marks and unknowns, and
    /// the function passes them through (e.g. `length` of a list with unknown elements).
    Shallow,
    /// The function sees the arguments exactly as they are.
    Raw,
}

struct Def {
    name: &'static str,
    min: usize,
    /// `None`: variadic.
    max: Option<usize>,
    policy: Policy,
    f: Func,
}

const fn def(name: &'static str, min: usize, max: Option<usize>, policy: Policy, f: Func) -> Def {
    Def {
        name,
        min,
        max,
        policy,
        f,
    }
}

use Policy::{Deep, Raw, Shallow};

/// Special forms handled by the evaluator itself: they see expressions, not values.
fn special(_: &FnCtx<'_>, _: &[Value]) -> FnResult {
    Err(FuncError::call("is evaluated by the evaluator"))
}

static FUNCTIONS: &[Def] = &[
    // Strings.
    def("chomp", 1, Some(1), Deep, strings::chomp),
    def("endswith", 2, Some(2), Deep, strings::endswith),
    def("format", 1, None, Deep, format::format),
    def("formatlist", 1, None, Deep, format::formatlist),
    def("indent", 2, Some(2), Deep, strings::indent),
    def("join", 2, None, Deep, strings::join),
    def("lower", 1, Some(1), Deep, strings::lower),
    def("regex", 2, Some(2), Deep, strings::regex),
    def("regexall", 2, Some(2), Deep, strings::regexall),
    def("replace", 3, Some(3), Deep, strings::replace),
    def("split", 2, Some(2), Deep, strings::split),
    def("startswith", 2, Some(2), Deep, strings::startswith),
    def("strcontains", 2, Some(2), Deep, strings::strcontains),
    def("strrev", 1, Some(1), Deep, strings::strrev),
    def("substr", 3, Some(3), Deep, strings::substr),
    def("title", 1, Some(1), Deep, strings::title),
    def("trim", 2, Some(2), Deep, strings::trim),
    def("trimprefix", 2, Some(2), Deep, strings::trimprefix),
    def("trimspace", 1, Some(1), Deep, strings::trimspace),
    def("trimsuffix", 2, Some(2), Deep, strings::trimsuffix),
    def("upper", 1, Some(1), Deep, strings::upper),
    // Collections.
    def("alltrue", 1, Some(1), Deep, collections::alltrue),
    def("anytrue", 1, Some(1), Deep, collections::anytrue),
    def("chunklist", 2, Some(2), Shallow, collections::chunklist),
    def("coalesce", 1, None, Raw, collections::coalesce),
    def("coalescelist", 1, None, Raw, collections::coalescelist),
    def("compact", 1, Some(1), Deep, collections::compact),
    def("concat", 0, None, Shallow, collections::concat),
    def("contains", 2, Some(2), Deep, collections::contains),
    def("distinct", 1, Some(1), Deep, collections::distinct),
    def("element", 2, Some(2), Shallow, collections::element),
    def("flatten", 1, Some(1), Shallow, collections::flatten),
    def("index", 2, Some(2), Deep, collections::index),
    def("keys", 1, Some(1), Shallow, collections::keys),
    def("length", 1, Some(1), Shallow, collections::length),
    def("lookup", 2, Some(3), Shallow, collections::lookup),
    def("matchkeys", 3, Some(3), Deep, collections::matchkeys),
    def("merge", 0, None, Shallow, collections::merge),
    def("one", 1, Some(1), Shallow, collections::one),
    def("range", 1, Some(3), Deep, collections::range),
    def("reverse", 1, Some(1), Shallow, collections::reverse),
    def(
        "setintersection",
        1,
        None,
        Deep,
        collections::setintersection,
    ),
    def("setproduct", 1, None, Deep, collections::setproduct),
    def("setsubtract", 2, Some(2), Deep, collections::setsubtract),
    def("setunion", 1, None, Deep, collections::setunion),
    def("slice", 3, Some(3), Shallow, collections::slice),
    def("sort", 1, Some(1), Deep, collections::sort),
    def("sum", 1, Some(1), Deep, collections::sum),
    def("transpose", 1, Some(1), Deep, collections::transpose),
    def("values", 1, Some(1), Shallow, collections::values),
    def("zipmap", 2, Some(2), Shallow, collections::zipmap),
    // Numbers.
    def("abs", 1, Some(1), Deep, numeric::abs),
    def("ceil", 1, Some(1), Deep, numeric::ceil),
    def("floor", 1, Some(1), Deep, numeric::floor),
    def("max", 1, None, Deep, numeric::max),
    def("log", 2, Some(2), Deep, numeric::log),
    def("min", 1, None, Deep, numeric::min),
    def("parseint", 2, Some(2), Deep, numeric::parseint),
    def("pow", 2, Some(2), Deep, numeric::pow),
    def("signum", 1, Some(1), Deep, numeric::signum),
    // Encoding and hashing.
    def("base64decode", 1, Some(1), Deep, encoding::base64decode),
    def("base64encode", 1, Some(1), Deep, encoding::base64encode),
    def("base64sha256", 1, Some(1), Deep, encoding::base64sha256),
    def("base64sha512", 1, Some(1), Deep, encoding::base64sha512),
    def("csvdecode", 1, Some(1), Deep, encoding::csvdecode),
    def("jsondecode", 1, Some(1), Deep, encoding::jsondecode),
    def("jsonencode", 1, Some(1), Deep, encoding::jsonencode),
    def("md5", 1, Some(1), Deep, encoding::md5),
    def("sha1", 1, Some(1), Deep, encoding::sha1),
    def("sha256", 1, Some(1), Deep, encoding::sha256),
    def("sha512", 1, Some(1), Deep, encoding::sha512),
    def(
        "textdecodebase64",
        2,
        Some(2),
        Deep,
        encoding::textdecodebase64,
    ),
    def(
        "textencodebase64",
        2,
        Some(2),
        Deep,
        encoding::textencodebase64,
    ),
    def("base64gzip", 1, Some(1), Deep, encoding::base64gzip),
    def("urlencode", 1, Some(1), Deep, encoding::urlencode),
    def("uuidv5", 2, Some(2), Deep, encoding::uuidv5),
    def("yamldecode", 1, Some(1), Deep, yaml::yamldecode),
    def("yamlencode", 1, Some(1), Deep, yaml::yamlencode),
    // Dates and times.
    def("formatdate", 2, Some(2), Deep, datetime::formatdate),
    def("timeadd", 2, Some(2), Deep, datetime::timeadd),
    def("timecmp", 2, Some(2), Deep, datetime::timecmp),
    // Paths.
    def("abspath", 1, Some(1), Deep, paths::abspath),
    def("basename", 1, Some(1), Deep, paths::basename),
    def("dirname", 1, Some(1), Deep, paths::dirname),
    def("pathexpand", 1, Some(1), Deep, paths::pathexpand),
    // Type conversion and marks.
    def("ephemeralasnull", 1, Some(1), Raw, ephemeralasnull),
    def("issensitive", 1, Some(1), Raw, issensitive),
    def("nonsensitive", 1, Some(1), Raw, conversion_nonsensitive),
    def("sensitive", 1, Some(1), Raw, conversion_sensitive),
    def("tobool", 1, Some(1), Raw, conversion_tobool),
    def("tolist", 1, Some(1), Raw, conversion_tolist),
    def("tomap", 1, Some(1), Raw, conversion_tomap),
    def("tonumber", 1, Some(1), Raw, conversion_tonumber),
    def("toset", 1, Some(1), Raw, conversion_toset),
    def("tostring", 1, Some(1), Raw, conversion_tostring),
    def("type", 1, Some(1), Raw, console_only),
    // Network.
    def("cidrhost", 2, Some(2), Deep, network::cidrhost),
    def("cidrnetmask", 1, Some(1), Deep, network::cidrnetmask),
    def("cidrsubnet", 3, Some(3), Deep, network::cidrsubnet),
    def("cidrsubnets", 1, None, Deep, network::cidrsubnets),
    // Files (through the scope).
    def("file", 1, Some(1), Deep, file),
    def("filebase64", 1, Some(1), Deep, filebase64),
    def("fileexists", 1, Some(1), Deep, files::fileexists),
    def("fileset", 2, Some(2), Deep, files::fileset),
    def("filebase64sha256", 1, Some(1), Deep, filebase64sha256),
    def("filebase64sha512", 1, Some(1), Deep, filebase64sha512),
    def("filemd5", 1, Some(1), Deep, filemd5),
    def("filesha1", 1, Some(1), Deep, filesha1),
    def("filesha256", 1, Some(1), Deep, filesha256),
    def("filesha512", 1, Some(1), Deep, filesha512),
    def("templatefile", 2, Some(2), Raw, special),
    def("templatestring", 2, Some(2), Raw, special),
    // Special forms.
    def("can", 1, Some(1), Raw, special),
    def("try", 1, None, Raw, special),
];

/// The names of every built-in function, sorted.
pub fn function_names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<&'static str> = FUNCTIONS.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names
    })
}

/// Whether `name` is a built-in function.
/// Why a function of Terraform's that trellis does not serve is refused, for the diagnostic;
/// `None` for names that are not Terraform functions at all.
pub fn refused(name: &str) -> Option<&'static str> {
    Some(match name {
        "uuid" => "it returns a new value at every evaluation, so the plan and the apply would disagree; use the random_uuid resource of hashicorp/random",
        "timestamp" => "it returns the time of each evaluation, so the plan and the apply would disagree; use the time_static resource of hashicorp/time",
        "plantimestamp" => "it is not served yet; the time_static resource of hashicorp/time gives a time fixed at its creation",
        "bcrypt" => "its random salt makes a new value at every evaluation, so the plan and the apply would disagree (a perpetual diff in Terraform too); hash the value outside the configuration",
        "rsadecrypt" => "it is not served yet",
        _ => return None,
    })
}

pub fn is_known_function(name: &str) -> bool {
    FUNCTIONS.iter().any(|d| d.name == name)
}

/// Calls the function `name` with evaluated arguments, applying its arity and mark policy.
pub(crate) fn call(name: &str, ctx: &FnCtx<'_>, args: Vec<Value>) -> FnResult {
    let Some(def) = FUNCTIONS.iter().find(|d| d.name == name) else {
        return Err(FuncError::call("unknown function"));
    };
    check_arity(def, args.len())?;
    match def.policy {
        Policy::Raw => (def.f)(ctx, &args),
        Policy::Deep => {
            let sensitive = args.iter().any(Value::contains_sensitive);
            if args.iter().any(Value::contains_unknown) {
                return Ok(mark_if(Value::Unknown, sensitive));
            }
            let args: Vec<Value> = if sensitive {
                args.iter().map(Value::strip_marks).collect()
            } else {
                args
            };
            Ok(mark_if((def.f)(ctx, &args)?, sensitive))
        }
        Policy::Shallow => {
            let mut sensitive = false;
            let mut unknown = false;
            let args: Vec<Value> = args
                .into_iter()
                .map(|a| {
                    let (a, s) = unmark(a);
                    sensitive |= s;
                    unknown |= matches!(a, Value::Unknown);
                    a
                })
                .collect();
            if unknown {
                return Ok(mark_if(Value::Unknown, sensitive));
            }
            Ok(mark_if((def.f)(ctx, &args)?, sensitive))
        }
    }
}

fn check_arity(def: &Def, n: usize) -> Result<(), FuncError> {
    let plural = |k: usize| if k == 1 { "argument" } else { "arguments" };
    match def.max {
        Some(max) if def.min == max && n != max => Err(FuncError::call(format!(
            "expects {max} {}, got {n}",
            plural(max)
        ))),
        Some(max) if n > max => Err(FuncError::call(format!(
            "expects at most {max} {}, got {n}",
            plural(max)
        ))),
        _ if n < def.min => Err(FuncError::call(format!(
            "expects at least {} {}, got {n}",
            def.min,
            plural(def.min)
        ))),
        _ => Ok(()),
    }
}

/// Argument `i` as a string; numbers and bools convert as in HCL.
pub(crate) fn arg_str(args: &[Value], i: usize) -> Result<String, FuncError> {
    match args[i].unmarked() {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(format_number(*n)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err(FuncError::arg(i, "argument must not be null")),
        other => Err(FuncError::arg(
            i,
            format!("a string is required, got {}", describe(other)),
        )),
    }
}

/// Argument `i` as a number; numeric strings convert as in HCL.
pub(crate) fn arg_number(args: &[Value], i: usize) -> Result<f64, FuncError> {
    match args[i].unmarked() {
        Value::Null => Err(FuncError::arg(i, "argument must not be null")),
        other => to_number(other).ok_or_else(|| {
            FuncError::arg(i, format!("a number is required, got {}", describe(other)))
        }),
    }
}

/// Argument `i` as a whole number.
pub(crate) fn arg_int(args: &[Value], i: usize) -> Result<i64, FuncError> {
    let n = arg_number(args, i)?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(FuncError::arg(
            i,
            format!("a whole number is required, got {}", format_number(n)),
        ));
    }
    Ok(n as i64)
}

pub(crate) fn arg_list(args: &[Value], i: usize) -> Result<&[Value], FuncError> {
    match args[i].unmarked() {
        Value::List(items) => Ok(items),
        Value::Null => Err(FuncError::arg(i, "argument must not be null")),
        other => Err(FuncError::arg(
            i,
            format!("a list is required, got {}", describe(other)),
        )),
    }
}

pub(crate) fn arg_map(
    args: &[Value],
    i: usize,
) -> Result<&std::collections::BTreeMap<String, Value>, FuncError> {
    match args[i].unmarked() {
        Value::Map(map) => Ok(map),
        Value::Null => Err(FuncError::arg(i, "argument must not be null")),
        other => Err(FuncError::arg(
            i,
            format!("a map or object is required, got {}", describe(other)),
        )),
    }
}

/// Guards a string a function is about to return against [`MAX_STRING`].
pub(crate) fn checked_string(s: String) -> FnResult {
    if s.len() > MAX_STRING {
        return Err(FuncError::call("result is too large"));
    }
    Ok(Value::String(s))
}

fn read_arg_file(ctx: &FnCtx<'_>, args: &[Value]) -> Result<String, FuncError> {
    let path = arg_str(args, 0)?;
    ctx.scope
        .read_file(&path)
        .map_err(|e| FuncError::arg(0, format!("cannot read \"{path}\": {e}")))
}

fn file(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    read_arg_file(ctx, args).map(Value::String)
}

// The file hashing functions hash the file's bytes. The scope reads files as UTF-8 text, so a
// binary file is refused with the scope's reason rather than hashed wrongly.
fn filebase64(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    use base64::Engine as _;
    let text = read_arg_file(ctx, args)?;
    checked_string(base64::engine::general_purpose::STANDARD.encode(text.as_bytes()))
}

fn filebase64sha256(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let text = read_arg_file(ctx, args)?;
    Ok(Value::String(encoding::digest_base64::<sha2::Sha256>(
        text.as_bytes(),
    )))
}

fn filebase64sha512(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let text = read_arg_file(ctx, args)?;
    Ok(Value::String(encoding::digest_base64::<sha2::Sha512>(
        text.as_bytes(),
    )))
}

fn filemd5(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let text = read_arg_file(ctx, args)?;
    Ok(Value::String(encoding::digest_hex::<md5::Md5>(
        text.as_bytes(),
    )))
}

fn filesha1(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let text = read_arg_file(ctx, args)?;
    Ok(Value::String(encoding::digest_hex::<sha1::Sha1>(
        text.as_bytes(),
    )))
}

fn filesha256(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let text = read_arg_file(ctx, args)?;
    Ok(Value::String(encoding::digest_hex::<sha2::Sha256>(
        text.as_bytes(),
    )))
}

fn filesha512(ctx: &FnCtx<'_>, args: &[Value]) -> FnResult {
    let text = read_arg_file(ctx, args)?;
    Ok(Value::String(encoding::digest_hex::<sha2::Sha512>(
        text.as_bytes(),
    )))
}

/// `issensitive(value)`: whether the value itself carries a sensitive mark. Known even when
/// the value is unknown, since marks survive unknowns.
fn issensitive(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(Value::Bool(matches!(args[0], Value::Sensitive(_))))
}

/// `ephemeralasnull(value)`: trellis has no ephemeral values, so every value passes through
/// unchanged, as Terraform does for non-ephemeral values.
fn ephemeralasnull(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(args[0].clone())
}

/// `type()` exists in Terraform only in `terraform console`; a configuration that calls it is
/// refused there too.
fn console_only(_: &FnCtx<'_>, _: &[Value]) -> FnResult {
    Err(FuncError::call(
        "is only available in the console (terraform console), not in configuration files",
    ))
}

fn convert_to(args: &[Value], ty: &crate::TypeConstraint) -> FnResult {
    crate::types::convert(&args[0], ty).map_err(|e| FuncError::arg(0, e))
}

fn conversion_tostring(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    convert_to(args, &crate::TypeConstraint::String)
}

fn conversion_tonumber(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    convert_to(args, &crate::TypeConstraint::Number)
}

fn conversion_tobool(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    convert_to(args, &crate::TypeConstraint::Bool)
}

fn conversion_tolist(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    convert_to(
        args,
        &crate::TypeConstraint::List(Box::new(crate::TypeConstraint::Any)),
    )
}

fn conversion_toset(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    convert_to(
        args,
        &crate::TypeConstraint::Set(Box::new(crate::TypeConstraint::Any)),
    )
}

fn conversion_tomap(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    convert_to(
        args,
        &crate::TypeConstraint::Map(Box::new(crate::TypeConstraint::Any)),
    )
}

fn conversion_sensitive(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(args[0].clone().into_sensitive())
}

fn conversion_nonsensitive(_: &FnCtx<'_>, args: &[Value]) -> FnResult {
    Ok(unmark(args[0].clone()).0)
}
