//! Evaluation of block bodies, with `dynamic` blocks expanded.

use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::Span as _;
use trellis_types::{Diagnostics, Value};

use crate::eval::{EvalResult, Evaluator};
use crate::value_ops::{mark_if, unmark};

/// The blocks of one type collected so far; unknown once a `dynamic` block of that type has
/// an unknown `for_each`.
enum Blocks {
    Known(Vec<Value>),
    Unknown,
}

pub(crate) fn eval_body(ev: &mut Evaluator<'_>, body: &Body, skip: &[&str]) -> EvalResult {
    let mut attributes: BTreeMap<String, Value> = BTreeMap::new();
    let mut blocks: BTreeMap<String, Blocks> = BTreeMap::new();
    let mut errors = Diagnostics::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let key = attr.key.as_str();
                if skip.contains(&key) {
                    continue;
                }
                match ev.eval(&attr.value) {
                    Ok(v) => {
                        if attributes.insert(key.to_string(), v).is_some() {
                            errors.extend(ev.err(
                                attr.key.span(),
                                format!("attribute \"{key}\" is set more than once"),
                            ));
                        }
                    }
                    Err(e) => errors.extend(e),
                }
            }
            Structure::Block(block) => {
                let ident = block.ident.as_str();
                if skip.contains(&ident) {
                    continue;
                }
                if ident == "dynamic" {
                    let Some(label) = block.labels.first() else {
                        errors.extend(ev.err(
                            block.ident.span(),
                            "a dynamic block needs a label naming the block type",
                        ));
                        continue;
                    };
                    let type_name = label.as_str();
                    if skip.contains(&type_name) {
                        continue;
                    }
                    match expand_dynamic(ev, block, type_name) {
                        Ok(Some(values)) => {
                            let entry = blocks
                                .entry(type_name.to_string())
                                .or_insert_with(|| Blocks::Known(Vec::new()));
                            if let Blocks::Known(list) = entry {
                                list.extend(values);
                            }
                        }
                        Ok(None) => {
                            blocks.insert(type_name.to_string(), Blocks::Unknown);
                        }
                        Err(e) => errors.extend(e),
                    }
                } else {
                    match eval_nested(ev, block) {
                        Ok(v) => {
                            let entry = blocks
                                .entry(ident.to_string())
                                .or_insert_with(|| Blocks::Known(Vec::new()));
                            if let Blocks::Known(list) = entry {
                                list.push(v);
                            }
                        }
                        Err(e) => errors.extend(e),
                    }
                }
            }
        }
    }
    for (name, list) in blocks {
        let value = match list {
            Blocks::Known(items) => Value::List(items),
            Blocks::Unknown => Value::Unknown,
        };
        if attributes.contains_key(&name) {
            let span = body
                .iter()
                .find_map(|s| {
                    s.as_block().filter(|b| {
                        b.ident.as_str() == name
                            || b.labels.first().is_some_and(|l| l.as_str() == name)
                    })
                })
                .and_then(|b| b.ident.span());
            errors.extend(ev.err(
                span,
                format!("\"{name}\" is set both as an attribute and as a block"),
            ));
            continue;
        }
        attributes.insert(name, value);
    }
    if errors.is_empty() {
        Ok(Value::Map(attributes))
    } else {
        Err(errors)
    }
}

fn eval_nested(ev: &mut Evaluator<'_>, block: &Block) -> EvalResult {
    ev.enter(block.ident.span())?;
    let result = eval_body(ev, &block.body, &[]);
    ev.leave();
    result
}

/// Expands `dynamic "x" { for_each, iterator, content {} }` into the values of its blocks;
/// `Ok(None)` when `for_each` is unknown.
fn expand_dynamic(
    ev: &mut Evaluator<'_>,
    block: &Block,
    type_name: &str,
) -> Result<Option<Vec<Value>>, Diagnostics> {
    let body = &block.body;
    let mut errors = Diagnostics::new();
    let mut for_each = None;
    let mut iterator = type_name.to_string();
    let mut content = None;
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => match attr.key.as_str() {
                "for_each" => for_each = Some(&attr.value),
                "iterator" => match &attr.value {
                    Expression::Variable(v) => iterator = v.as_str().to_string(),
                    other => errors.extend(ev.err(other.span(), "iterator must be a bare name, like iterator = rule")),
                },
                // Nested blocks of trellis' providers carry no labels, so `labels` has nothing to
                // fill in; it is accepted for compatibility.
                "labels" => {}
                other => errors.extend(ev.err(
                    attr.key.span(),
                    format!("unsupported argument \"{other}\" in a dynamic block; only for_each, iterator, labels and content are allowed"),
                )),
            },
            Structure::Block(b) if b.ident.as_str() == "content" => {
                if content.is_some() {
                    errors.extend(ev.err(b.ident.span(), "a dynamic block has more than one content block"));
                }
                content = Some(b);
            }
            Structure::Block(b) => errors.extend(ev.err(
                b.ident.span(),
                format!("unsupported block \"{}\" in a dynamic block; only content is allowed", b.ident.as_str()),
            )),
        }
    }
    let Some(for_each) = for_each else {
        errors.extend(ev.err(
            block.ident.span(),
            format!("dynamic \"{type_name}\" needs a for_each argument"),
        ));
        return Err(errors);
    };
    let Some(content) = content else {
        errors.extend(ev.err(
            block.ident.span(),
            format!("dynamic \"{type_name}\" needs a content block"),
        ));
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let (collection, sensitive) = unmark(ev.eval(for_each)?);
    let Some(pairs) = ev.iteration_pairs(collection, for_each)? else {
        return Ok(None);
    };
    let mut values = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        ev.push_local(&iterator, Value::object([("key", key), ("value", value)]));
        let result = eval_nested(ev, content);
        ev.pop_local();
        match result {
            Ok(v) => values.push(mark_if(v, sensitive)),
            Err(e) => {
                // The same mistake repeats for every element; report it once.
                errors.extend(e);
                break;
            }
        }
    }
    if errors.is_empty() {
        Ok(Some(values))
    } else {
        Err(errors)
    }
}
