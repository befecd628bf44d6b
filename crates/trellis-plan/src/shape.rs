//! Checks configuration bodies against provider schemas, and gives evaluated bodies the
//! schema's shape.

use std::collections::BTreeMap;

use hcl_edit::structure::{Body, Structure};
use hcl_edit::Span as _;
use trellis_provider::{AttrType, Block, Nesting};
use trellis_types::{Diagnostic, Diagnostics, Path, PathStep, SourceFile, Value};

use crate::graph::closest;

/// Checks names, required attributes and block counts of `body` against `schema`, statically
/// (before evaluation). `skip` names meta-arguments at the top level.
pub fn check_body(
    body: &Body,
    schema: &Block,
    file: &SourceFile,
    skip: &[&str],
    what: &str,
    diags: &mut Diagnostics,
) {
    let span_of = |range: Option<std::ops::Range<usize>>| {
        let r = range.unwrap_or(0..0);
        Some(file.span(r.start, r.end))
    };
    let mut seen_blocks: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen_attributes = Vec::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let name = attr.key.as_str();
                if skip.contains(&name) {
                    continue;
                }
                seen_attributes.push(name.to_string());
                match schema.attributes.get(name) {
                    Some(a) if a.computed && !a.optional && !a.required => diags.push(
                        Diagnostic::error(format!(
                            "{name} cannot be set: it is computed by the provider"
                        ))
                        .with_span(span_of(attr.key.span())),
                    ),
                    Some(_) => {}
                    // Attributes as blocks: `ingress = []` manages an empty set.
                    None if schema.blocks.get(name).is_some_and(|b| b.computed) => {
                        if seen_blocks.contains_key(name) {
                            diags.push(
                                Diagnostic::error(format!(
                                    "{name} is set both as an attribute and as blocks"
                                ))
                                .with_detail("use one form")
                                .with_span(span_of(attr.key.span())),
                            );
                        }
                    }
                    // Terraform's JSON syntax writes nested blocks as objects (or arrays
                    // of objects): only the schema tells them from arguments.
                    None if file.name.ends_with(".tf.json") && schema.blocks.contains_key(name) => {
                        *seen_blocks.entry(name.to_string()).or_default() += 1;
                        check_json_blocks(&attr.value, &schema.blocks[name], file, name, diags);
                    }
                    None if schema.blocks.contains_key(name) => diags.push(
                        Diagnostic::error(format!("{name} is a block, not an attribute"))
                            .with_detail(format!("write it as {name} {{ ... }}"))
                            .with_span(span_of(attr.key.span())),
                    ),
                    None => {
                        let mut d =
                            Diagnostic::error(format!("unsupported argument {name:?} in {what}"))
                                .with_span(span_of(attr.key.span()));
                        if let Some(best) = closest(name, schema.names()) {
                            d = d.with_detail(format!("did you mean {best:?}?"));
                        }
                        diags.push(d);
                    }
                }
            }
            Structure::Block(block) => {
                let ident = block.ident.as_str();
                if skip.contains(&ident) {
                    continue;
                }
                let (name, inner, dynamic) = if ident == "dynamic" {
                    let Some(label) = block.labels.first() else {
                        diags.push(
                            Diagnostic::error("dynamic block needs a label naming the block type")
                                .with_span(span_of(block.span())),
                        );
                        continue;
                    };
                    let label = match label {
                        hcl_edit::structure::BlockLabel::String(s) => s.as_str().to_string(),
                        hcl_edit::structure::BlockLabel::Ident(i) => i.as_str().to_string(),
                    };
                    let content = block.body.iter().find_map(|s| match s {
                        Structure::Block(b) if b.ident.as_str() == "content" => Some(&b.body),
                        _ => None,
                    });
                    (label, content, true)
                } else {
                    (ident.to_string(), Some(&block.body), false)
                };
                match schema.blocks.get(&name) {
                    Some(nested) => {
                        *seen_blocks.entry(name.clone()).or_default() += 1;
                        if nested.computed && seen_attributes.contains(&name) {
                            diags.push(
                                Diagnostic::error(format!(
                                    "{name} is set both as an attribute and as blocks"
                                ))
                                .with_detail("use one form")
                                .with_span(span_of(block.ident.span())),
                            );
                        }
                        if !dynamic && nested.nesting == Nesting::Single && seen_blocks[&name] > 1 {
                            diags.push(
                                Diagnostic::error(format!("too many {name} blocks"))
                                    .with_detail("at most one is allowed")
                                    .with_span(span_of(block.span())),
                            );
                        }
                        if let Some(inner) = inner {
                            check_body(
                                inner,
                                &nested.block,
                                file,
                                &[],
                                &format!("{name} block"),
                                diags,
                            );
                        }
                    }
                    None => {
                        let mut d =
                            Diagnostic::error(format!("unsupported block type {name:?} in {what}"))
                                .with_span(span_of(block.ident.span()));
                        if let Some(best) = closest(&name, schema.names()) {
                            d = d.with_detail(format!("did you mean {best:?}?"));
                        }
                        diags.push(d);
                    }
                }
            }
        }
    }
    // A body read from JSON has no span of its own: its first argument stands for it.
    let body_start = body
        .span()
        .or_else(|| body.attributes().find_map(|a| a.key.span()))
        .map(|r| r.start..r.start);
    for (name, a) in &schema.attributes {
        if a.required && !seen_attributes.contains(name) {
            diags.push(
                Diagnostic::error(format!("missing required argument {name:?} in {what}"))
                    .with_span(span_of(body_start.clone())),
            );
        }
    }
    for (name, nested) in &schema.blocks {
        if nested.required && !seen_blocks.contains_key(name) {
            diags.push(
                Diagnostic::error(format!("missing required block {name:?} in {what}"))
                    .with_span(span_of(body_start.clone())),
            );
        }
    }
}

/// Checks nested blocks written as JSON values (an object, or an array of objects) against
/// their schema, as [`check_body`] checks blocks. Values that are not objects (a template
/// that evaluates to one) are left to the evaluated shape check.
fn check_json_blocks(
    value: &hcl_edit::expr::Expression,
    nested: &trellis_provider::NestedBlock,
    file: &SourceFile,
    name: &str,
    diags: &mut Diagnostics,
) {
    use hcl_edit::expr::{Expression, ObjectKey};
    let span_of = |range: Option<std::ops::Range<usize>>| {
        let r = range.unwrap_or(0..0);
        Some(file.span(r.start, r.end))
    };
    match value {
        Expression::Array(items) => {
            if nested.nesting == Nesting::Single && items.len() > 1 {
                diags.push(
                    Diagnostic::error(format!("too many {name} blocks"))
                        .with_detail("at most one is allowed")
                        .with_span(span_of(value.span())),
                );
            }
            for item in items.iter() {
                check_json_blocks(item, nested, file, name, diags);
            }
        }
        Expression::Object(object) => {
            let schema = &nested.block;
            let mut seen = Vec::new();
            for (key, v) in object.iter() {
                let (key_name, key_span) = match key {
                    ObjectKey::Ident(i) => (i.as_str().to_string(), i.span()),
                    ObjectKey::Expression(Expression::String(s)) => (s.value().clone(), s.span()),
                    ObjectKey::Expression(e) => (e.to_string(), e.span()),
                };
                seen.push(key_name.clone());
                if let Some(inner) = schema.blocks.get(&key_name) {
                    check_json_blocks(v.expr(), inner, file, &key_name, diags);
                } else if !schema.attributes.contains_key(&key_name) {
                    let mut d = Diagnostic::error(format!(
                        "unsupported argument {key_name:?} in {name} block"
                    ))
                    .with_span(span_of(key_span));
                    if let Some(best) = closest(&key_name, schema.names()) {
                        d = d.with_detail(format!("did you mean {best:?}?"));
                    }
                    diags.push(d);
                }
            }
            for (attr, a) in &schema.attributes {
                if a.required && !seen.contains(attr) {
                    diags.push(
                        Diagnostic::error(format!(
                            "missing required argument {attr:?} in {name} block"
                        ))
                        .with_span(span_of(value.span().map(|r| r.start..r.start + 1))),
                    );
                }
            }
        }
        _ => {}
    }
}

/// Gives an evaluated body (attributes, and each block type as a list of objects) the shape
/// of `schema`: attributes converted to their types, absent ones null, `Single` blocks as an
/// object or null, `List`/`Set` blocks as lists. Type errors are returned with the path.
pub fn shape(value: &Value, schema: &Block) -> Result<Value, Vec<(Path, String)>> {
    let mut errors = Vec::new();
    let shaped = shape_block(value, schema, &mut Path::root(), &mut errors);
    if errors.is_empty() {
        Ok(shaped)
    } else {
        Err(errors)
    }
}

fn shape_block(
    value: &Value,
    schema: &Block,
    at: &mut Path,
    errors: &mut Vec<(Path, String)>,
) -> Value {
    if value.is_unknown() {
        return Value::Unknown;
    }
    let empty = BTreeMap::new();
    let map = value.as_map().unwrap_or(&empty);
    let mut out = BTreeMap::new();
    for (name, attribute) in &schema.attributes {
        let v = map.get(name).cloned().unwrap_or(Value::Null);
        at.push(PathStep::Key(name.clone()));
        let converted = match convert_attr(&v, &attribute.ty) {
            Ok(c) => c,
            Err(message) => {
                errors.push((at.clone(), message));
                Value::Null
            }
        };
        at.pop();
        out.insert(name.clone(), converted);
    }
    for (name, nested) in &schema.blocks {
        // A computed block that the configuration leaves out stays null: not managed.
        let absent = if nested.computed {
            Value::Null
        } else {
            Value::List(Vec::new())
        };
        let blocks = map.get(name).cloned().unwrap_or(absent);
        at.push(PathStep::Key(name.clone()));
        let shaped = match blocks.unmarked() {
            Value::Unknown => Value::Unknown,
            Value::List(items) => {
                let shaped: Vec<Value> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        at.push(PathStep::Index(i));
                        let s = shape_block(item, &nested.block, at, errors);
                        at.pop();
                        s
                    })
                    .collect();
                match nested.nesting {
                    Nesting::Single => shaped.into_iter().next().unwrap_or(Value::Null),
                    Nesting::List => Value::List(shaped),
                    Nesting::Set => {
                        let mut shaped = shaped;
                        shaped.sort_by_key(|v| v.to_string());
                        Value::List(shaped)
                    }
                }
            }
            // A block given as an object (JSON syntax, or a provider's own value).
            Value::Map(_) => {
                let s = shape_block(&blocks, &nested.block, at, errors);
                match nested.nesting {
                    Nesting::Single => s,
                    _ => Value::List(vec![s]),
                }
            }
            Value::Null => match nested.nesting {
                Nesting::Single => Value::Null,
                _ if nested.computed => Value::Null,
                _ => Value::List(Vec::new()),
            },
            other => {
                errors.push((
                    at.clone(),
                    format!("expected a block, found {}", other.type_name()),
                ));
                Value::Null
            }
        };
        at.pop();
        out.insert(name.clone(), shaped);
    }
    Value::Map(out)
}

/// Converts a value to an attribute type with HCL's conversion rules. Marks are kept.
pub fn convert_attr(value: &Value, ty: &AttrType) -> Result<Value, String> {
    if let Value::Sensitive(inner) = value {
        return convert_attr(inner, ty).map(Value::into_sensitive);
    }
    match (value, ty) {
        (Value::Null | Value::Unknown, _) | (_, AttrType::Any) => Ok(value.clone()),
        (Value::String(_), AttrType::String | AttrType::Json) => Ok(value.clone()),
        (Value::Number(n), AttrType::String) => {
            Ok(Value::String(trellis_types::Value::Number(*n).to_string()))
        }
        (Value::Bool(b), AttrType::String) => Ok(Value::String(b.to_string())),
        (Value::Number(_), AttrType::Number) | (Value::Bool(_), AttrType::Bool) => {
            Ok(value.clone())
        }
        (Value::String(s), AttrType::Number) => s
            .trim()
            .parse::<f64>()
            .map(Value::Number)
            .map_err(|_| format!("a number is required, found string {s:?}")),
        (Value::String(s), AttrType::Bool) => match s.as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("a bool is required, found string {s:?}")),
        },
        (Value::List(items), AttrType::List(inner) | AttrType::Set(inner)) => {
            let mut out = items
                .iter()
                .map(|i| convert_attr(i, inner))
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, AttrType::Set(_)) {
                out.sort_by_key(|v| v.to_string());
                out.dedup();
            }
            Ok(Value::List(out))
        }
        (Value::Map(map), AttrType::Map(inner)) => Ok(Value::Map(
            map.iter()
                .map(|(k, v)| convert_attr(v, inner).map(|c| (k.clone(), c)))
                .collect::<Result<_, _>>()?,
        )),
        (Value::Map(map), AttrType::Object(attrs)) => {
            let mut out = BTreeMap::new();
            for (k, v) in map {
                let Some(t) = attrs.get(k) else {
                    return Err(format!("unexpected attribute {k:?}"));
                };
                out.insert(k.clone(), convert_attr(v, t)?);
            }
            Ok(Value::Map(out))
        }
        (Value::Map(_) | Value::List(_), AttrType::Json) => {
            Ok(Value::String(value.to_json().to_string()))
        }
        (v, t) => Err(format!(
            "{} required, found {}",
            type_label(t),
            v.type_name()
        )),
    }
}

fn type_label(ty: &AttrType) -> &'static str {
    match ty {
        AttrType::String | AttrType::Json => "a string is",
        AttrType::Number => "a number is",
        AttrType::Bool => "a bool is",
        AttrType::List(_) | AttrType::Set(_) => "a list is",
        AttrType::Map(_) | AttrType::Object(_) => "a map is",
        AttrType::Any => "a value is",
    }
}
