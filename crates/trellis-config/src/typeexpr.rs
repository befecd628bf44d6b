//! Type constraints of variables: `string`, `list(object({ a = optional(number, 1) }))`.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey};

use crate::diag::{did_you_mean, FileCx};
use crate::exprs::{constant, literal_string};
use crate::model::{ObjectAttribute, TypeConstraint};

const PRIMITIVES: &[&str] = &["string", "number", "bool", "any"];
const CONSTRUCTORS: &[&str] = &["list", "set", "map", "tuple", "object"];

/// Reads a type constraint; reports what is wrong and returns `None` when it is malformed.
pub(crate) fn type_constraint(cx: &mut FileCx, expr: &Expression) -> Option<TypeConstraint> {
    let mut ok = true;
    let ty = read(cx, expr, false, &mut ok).map(|(ty, _)| ty);
    if ok {
        ty
    } else {
        None
    }
}

/// An attribute's type and, when it was written with `optional(...)`, its default.
type Read = (TypeConstraint, Option<Optional>);
struct Optional {
    default: Option<trellis_types::Value>,
}

fn read(cx: &mut FileCx, expr: &Expression, in_object: bool, ok: &mut bool) -> Option<Read> {
    let mut fail = |cx: &mut FileCx, summary: &str, detail: Option<String>| {
        *ok = false;
        let span = cx.span_of(expr);
        match detail {
            Some(detail) => cx.error_with(summary.to_string(), detail, span),
            None => cx.error(summary.to_string(), span),
        }
        None
    };
    match expr {
        Expression::Variable(name) => match name.as_str() {
            "string" => Some((TypeConstraint::String, None)),
            "number" => Some((TypeConstraint::Number, None)),
            "bool" => Some((TypeConstraint::Bool, None)),
            "any" => Some((TypeConstraint::Any, None)),
            ctor @ ("list" | "set" | "map" | "tuple" | "object") => fail(
                cx,
                &format!("the {ctor} type constraint requires an argument"),
                Some(format!("write e.g. `{ctor}({})`", example_arg(ctor))),
            ),
            other => {
                let all: Vec<&str> = PRIMITIVES.iter().chain(CONSTRUCTORS).copied().collect();
                fail(
                    cx,
                    &format!("unknown type `{other}`"),
                    did_you_mean(other, &all),
                )
            }
        },
        Expression::String(_) | Expression::StringTemplate(_) => {
            let text = literal_string(expr).unwrap_or_default();
            fail(
                cx,
                "type constraints are not quoted",
                Some(format!("remove the quotes: `type = {text}`")),
            )
        }
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            match name {
                "list" | "set" | "map" => {
                    let [arg] = args.as_slice() else {
                        return fail(
                            cx,
                            &format!("{name}(...) takes exactly one element type"),
                            None,
                        );
                    };
                    let (inner, opt) = read(cx, arg, false, ok)?;
                    debug_assert!(opt.is_none());
                    let inner = Box::new(inner);
                    Some((
                        match name {
                            "list" => TypeConstraint::List(inner),
                            "set" => TypeConstraint::Set(inner),
                            _ => TypeConstraint::Map(inner),
                        },
                        None,
                    ))
                }
                "tuple" => {
                    let [Expression::Array(items)] = args.as_slice() else {
                        return fail(
                            cx,
                            "tuple(...) takes a list of element types",
                            Some("write e.g. `tuple([string, number])`".into()),
                        );
                    };
                    let mut elements = Vec::new();
                    for item in items.iter() {
                        if let Some((ty, _)) = read(cx, item, false, ok) {
                            elements.push(ty);
                        }
                    }
                    Some((TypeConstraint::Tuple(elements), None))
                }
                "object" => {
                    let [Expression::Object(object)] = args.as_slice() else {
                        return fail(
                            cx,
                            "object(...) takes an object of attribute types",
                            Some("write e.g. `object({ name = string })`".into()),
                        );
                    };
                    let mut attrs = BTreeMap::new();
                    for (key, value) in object.iter() {
                        let name = match key {
                            ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
                            ObjectKey::Expression(e) => literal_string(e),
                        };
                        let Some(name) = name else {
                            *ok = false;
                            let span = cx.span_of(key);
                            cx.error("object type attribute names must be literal", span);
                            continue;
                        };
                        if let Some((ty, optional)) = read(cx, value.expr(), true, ok) {
                            attrs.insert(
                                name,
                                ObjectAttribute {
                                    ty,
                                    optional: optional.is_some(),
                                    default: optional.and_then(|o| o.default),
                                },
                            );
                        }
                    }
                    Some((TypeConstraint::Object(attrs), None))
                }
                "optional" => {
                    if !in_object {
                        return fail(
                            cx,
                            "optional(...) is only allowed for object attributes",
                            None,
                        );
                    }
                    let (ty_expr, default_expr) = match args.as_slice() {
                        [ty] => (*ty, None),
                        [ty, default] => (*ty, Some(*default)),
                        _ => {
                            return fail(
                                cx,
                                "optional(...) takes a type and an optional default",
                                None,
                            )
                        }
                    };
                    let (ty, _) = read(cx, ty_expr, false, ok)?;
                    let default = match default_expr {
                        None => None,
                        Some(e) => match constant(e) {
                            Some(v) => Some(v),
                            None => {
                                *ok = false;
                                let span = cx.span_of(e);
                                cx.error("the default of optional(...) must be a constant", span);
                                None
                            }
                        },
                    };
                    Some((ty, Some(Optional { default })))
                }
                other => fail(
                    cx,
                    &format!("unknown type constructor `{other}`"),
                    did_you_mean(other, &[CONSTRUCTORS, &["optional"]].concat()),
                ),
            }
        }
        _ => fail(
            cx,
            "invalid type constraint",
            Some("expected a type such as `string`, `list(string)` or `object({ ... })`".into()),
        ),
    }
}

fn example_arg(ctor: &str) -> &'static str {
    match ctor {
        "tuple" => "[string, number]",
        "object" => "{ name = string }",
        _ => "string",
    }
}
