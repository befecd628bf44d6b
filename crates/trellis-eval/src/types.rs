//! Type constraints of input variables, and conversion of values to them.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::Span as _;
use trellis_types::{Diagnostics, Mode, SourceFile, Value};

use crate::error_at;
use crate::value_ops::{describe, format_number, mark_if, normalize_set, parse_number, unmark};
use crate::Scope;

pub use trellis_types::{ObjectAttribute, TypeConstraint};

/// Parses a type constraint expression (the `type` argument of a `variable` block).
pub fn parse_type_constraint(
    expr: &Expression,
    file: &SourceFile,
) -> Result<TypeConstraint, Diagnostics> {
    parse(expr, file, 0)
}

fn parse(
    expr: &Expression,
    file: &SourceFile,
    depth: usize,
) -> Result<TypeConstraint, Diagnostics> {
    let fail = |summary: String| -> Diagnostics { error_at(file, expr.span(), summary).into() };
    if depth > crate::eval::MAX_DEPTH {
        return Err(fail("type constraint is nested too deeply".to_string()));
    }
    match expr {
        Expression::Variable(v) => keyword(v.as_str()).ok_or_else(|| {
            fail(format!(
                "unknown type \"{}\"; expected string, number, bool, any, list(...), set(...), map(...), tuple([...]) or object({{...}})",
                v.as_str()
            ))
        }),
        // Terraform 0.11 wrote types as strings; they still read.
        Expression::String(s) => match s.value().as_str() {
            "string" => Ok(TypeConstraint::String),
            "list" => Ok(TypeConstraint::List(Box::new(TypeConstraint::Any))),
            "map" => Ok(TypeConstraint::Map(Box::new(TypeConstraint::Any))),
            other => Err(fail(format!("unknown type \"{other}\""))),
        },
        Expression::Parenthesis(p) => parse(p.inner(), file, depth + 1),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let one = |what: &str| -> Result<&Expression, Diagnostics> {
                match args.as_slice() {
                    [a] => Ok(*a),
                    _ => Err(fail(format!("{name}(...) takes exactly one {what}"))),
                }
            };
            match name {
                "list" => Ok(TypeConstraint::List(Box::new(parse(one("element type")?, file, depth + 1)?))),
                "set" => Ok(TypeConstraint::Set(Box::new(parse(one("element type")?, file, depth + 1)?))),
                "map" => Ok(TypeConstraint::Map(Box::new(parse(one("element type")?, file, depth + 1)?))),
                "tuple" => match one("list of element types")? {
                    Expression::Array(items) => {
                        let mut types = Vec::new();
                        let mut errors = Diagnostics::new();
                        for item in items.iter() {
                            match parse(item, file, depth + 1) {
                                Ok(t) => types.push(t),
                                Err(e) => errors.extend(e),
                            }
                        }
                        if errors.is_empty() {
                            Ok(TypeConstraint::Tuple(types))
                        } else {
                            Err(errors)
                        }
                    }
                    other => Err(error_at(file, other.span(), "tuple(...) takes a list of element types, like tuple([string, number])").into()),
                },
                "object" => match one("object of attribute types")? {
                    Expression::Object(object) => {
                        let mut attrs = BTreeMap::new();
                        let mut errors = Diagnostics::new();
                        for (key, value) in object.iter() {
                            let name = match key {
                                ObjectKey::Ident(i) => i.as_str().to_string(),
                                ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                                ObjectKey::Expression(Expression::Variable(v)) => v.as_str().to_string(),
                                ObjectKey::Expression(other) => {
                                    errors.push(error_at(file, other.span(), "object attribute names must be plain names"));
                                    continue;
                                }
                            };
                            match attribute(value.expr(), file, depth + 1) {
                                Ok(a) => {
                                    attrs.insert(name, a);
                                }
                                Err(e) => errors.extend(e),
                            }
                        }
                        if errors.is_empty() {
                            Ok(TypeConstraint::Object(attrs))
                        } else {
                            Err(errors)
                        }
                    }
                    other => Err(error_at(file, other.span(), "object(...) takes an object of attribute types, like object({ name = string })").into()),
                },
                "optional" => Err(fail("optional(...) is only allowed for an attribute of object(...)".to_string())),
                other => Err(fail(format!("unknown type constructor \"{other}\""))),
            }
        }
        _ => Err(fail("invalid type constraint; expected a type like string, list(string) or object({...})".to_string())),
    }
}

fn keyword(name: &str) -> Option<TypeConstraint> {
    Some(match name {
        "any" => TypeConstraint::Any,
        "string" => TypeConstraint::String,
        "number" => TypeConstraint::Number,
        "bool" => TypeConstraint::Bool,
        // Bare `list` and `map` are Terraform 0.11 shorthands for collections of any type.
        "list" => TypeConstraint::List(Box::new(TypeConstraint::Any)),
        "map" => TypeConstraint::Map(Box::new(TypeConstraint::Any)),
        "set" => TypeConstraint::Set(Box::new(TypeConstraint::Any)),
        _ => return None,
    })
}

fn attribute(
    expr: &Expression,
    file: &SourceFile,
    depth: usize,
) -> Result<ObjectAttribute, Diagnostics> {
    let Expression::FuncCall(call) = expr else {
        return Ok(ObjectAttribute {
            ty: parse(expr, file, depth)?,
            optional: false,
            default: None,
        });
    };
    if call.name.name.as_str() != "optional" {
        return Ok(ObjectAttribute {
            ty: parse(expr, file, depth)?,
            optional: false,
            default: None,
        });
    }
    let args: Vec<&Expression> = call.args.iter().collect();
    let (ty_expr, default_expr) = match args.as_slice() {
        [t] => (*t, None),
        [t, d] => (*t, Some(*d)),
        _ => {
            return Err(error_at(
                file,
                expr.span(),
                "optional(...) takes a type and an optional default",
            )
            .into());
        }
    };
    let ty = parse(ty_expr, file, depth + 1)?;
    let default = match default_expr {
        None => None,
        Some(d) => {
            let value = crate::eval_expr(d, &ConstantScope, file)?;
            let converted = convert(&value, &ty).map_err(|e| -> Diagnostics {
                error_at(file, d.span(), format!("invalid default value: {e}")).into()
            })?;
            Some(converted)
        }
    };
    Ok(ObjectAttribute {
        ty,
        optional: true,
        default,
    })
}

/// The scope of constant expressions: nothing to refer to.
struct ConstantScope;

impl Scope for ConstantScope {
    fn variable(&self, _: &str) -> Option<Value> {
        None
    }
    fn local(&self, _: &str) -> Option<Value> {
        None
    }
    fn resource(&self, _: Mode, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn path(&self, _: &str) -> Option<String> {
        None
    }
    fn read_file(&self, _: &str) -> Result<String, String> {
        Err("files cannot be read in a type default".to_string())
    }
}

/// Converts a value to a type constraint with HCL's rules: number and bool to and from
/// string, tuple to list or set, object to map, optional attributes filled with their default
/// or null, extra object attributes dropped. Null converts to null of any type; unknown
/// passes; sensitive marks are kept. The error names the path where conversion failed.
///
/// Elements of `list(any)` and `map(any)` are not unified to one type as Terraform does.
pub fn convert(value: &Value, ty: &TypeConstraint) -> Result<Value, String> {
    convert_at(value, ty, 0)
}

fn convert_at(value: &Value, ty: &TypeConstraint, depth: usize) -> Result<Value, String> {
    if depth > crate::eval::MAX_DEPTH {
        return Err("value is nested too deeply".to_string());
    }
    let (value, sensitive) = unmark(value.clone());
    let converted = match (&value, ty) {
        (Value::Unknown, _) | (Value::Null, _) => value,
        (_, TypeConstraint::Any) => value,
        (Value::String(_), TypeConstraint::String) => value,
        (Value::Number(n), TypeConstraint::String) => Value::String(format_number(*n)),
        (Value::Bool(b), TypeConstraint::String) => Value::String(b.to_string()),
        (_, TypeConstraint::String) => {
            return Err(format!("a string is required, got {}", describe(&value)))
        }
        (Value::Number(_), TypeConstraint::Number) => value,
        (Value::String(s), TypeConstraint::Number) => match parse_number(s) {
            Some(n) => Value::Number(n),
            None => return Err(format!("a number is required, got \"{s}\"")),
        },
        (_, TypeConstraint::Number) => {
            return Err(format!("a number is required, got {}", describe(&value)))
        }
        (Value::Bool(_), TypeConstraint::Bool) => value,
        (Value::String(s), TypeConstraint::Bool) if s == "true" || s == "false" => {
            Value::Bool(s == "true")
        }
        (Value::String(s), TypeConstraint::Bool) => {
            return Err(format!("a bool is required, got \"{s}\""))
        }
        (_, TypeConstraint::Bool) => {
            return Err(format!("a bool is required, got {}", describe(&value)))
        }
        (Value::List(items), TypeConstraint::List(elem) | TypeConstraint::Set(elem)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(
                    convert_at(item, elem, depth + 1).map_err(|e| format!("element {i}: {e}"))?,
                );
            }
            if matches!(ty, TypeConstraint::Set(_)) {
                Value::List(normalize_set(out))
            } else {
                Value::List(out)
            }
        }
        (_, TypeConstraint::List(_)) => {
            return Err(format!("a list is required, got {}", describe(&value)))
        }
        (_, TypeConstraint::Set(_)) => {
            return Err(format!("a set is required, got {}", describe(&value)))
        }
        (Value::Map(map), TypeConstraint::Map(elem)) => {
            let mut out = BTreeMap::new();
            for (k, v) in map {
                out.insert(
                    k.clone(),
                    convert_at(v, elem, depth + 1).map_err(|e| format!("element \"{k}\": {e}"))?,
                );
            }
            Value::Map(out)
        }
        (_, TypeConstraint::Map(_)) => {
            return Err(format!("a map is required, got {}", describe(&value)))
        }
        (Value::List(items), TypeConstraint::Tuple(types)) => {
            if items.len() != types.len() {
                return Err(format!(
                    "a tuple of {} elements is required, got {}",
                    types.len(),
                    items.len()
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, t)) in items.iter().zip(types).enumerate() {
                out.push(convert_at(item, t, depth + 1).map_err(|e| format!("element {i}: {e}"))?);
            }
            Value::List(out)
        }
        (_, TypeConstraint::Tuple(_)) => {
            return Err(format!("a tuple is required, got {}", describe(&value)))
        }
        (Value::Map(map), TypeConstraint::Object(attrs)) => {
            let mut out = BTreeMap::new();
            for (name, attr) in attrs {
                let v = match map.get(name) {
                    Some(v) if !v.is_null() => convert_at(v, &attr.ty, depth + 1)
                        .map_err(|e| format!("attribute \"{name}\": {e}"))?,
                    Some(_) if attr.optional => attr.default.clone().unwrap_or(Value::Null),
                    Some(null) => null.clone(),
                    None if attr.optional => attr.default.clone().unwrap_or(Value::Null),
                    None => return Err(format!("attribute \"{name}\" is required")),
                };
                out.insert(name.clone(), v);
            }
            Value::Map(out)
        }
        (_, TypeConstraint::Object(_)) => {
            return Err(format!("an object is required, got {}", describe(&value)))
        }
    };
    Ok(mark_if(converted, sensitive))
}
