//! `import` blocks: which instances of a resource are to be adopted, and with which ID.
//!
//! The planner calls [`targets`] when it reaches a resource in its walk, so that the `id`,
//! `for_each` and key expressions of the import blocks that target the resource see every
//! value the resource itself could see. The graph gives those expressions' references edges
//! into the target resource (see `graph::build`), which is what makes that true.
//!
//! This module evaluates; it does not call providers. The planner reads each target
//! through `Provider::import` and plans the instance with the imported object as its prior
//! value, so any difference from the configuration shows as an update on top of the import.

use std::collections::BTreeMap;

use trellis_config::{Config, Import, Resource};
use trellis_eval::eval_expr;
use trellis_types::{Address, Diagnostic, Diagnostics, InstanceKey, SourceFile, Span, Value};

use crate::scope::{EvalScope, KeyContext};

/// One instance to import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportTarget {
    pub address: Address,
    pub id: String,
    /// The provider configuration the import goes through (`aws`, `aws.network`).
    pub provider: String,
    /// The import block, for diagnostics.
    pub span: Span,
    /// The `id` expression, for diagnostics.
    pub id_span: Span,
}

/// The resource address (no key) an import block targets, from its `to` text.
pub fn target_resource(import: &Import) -> Option<Address> {
    let text = import.to.text.trim();
    let base = match &import.to_key {
        Some(_) => text.rsplit_once('[').map(|(base, _)| base).unwrap_or(text),
        None => text,
    };
    Address::parse(base)
        .ok()
        .filter(|a| a.mode == trellis_types::Mode::Managed)
        .map(|a| a.resource())
}

/// The import blocks of `config` (the root module: import blocks are only read there) that
/// target the resource with the static address `address` (in any instance of its module).
pub fn blocks_for<'c>(config: &'c Config, address: &Address) -> Vec<&'c Import> {
    config
        .imports
        .iter()
        .filter(|i| {
            target_resource(i).is_some_and(|t| crate::modules::static_address(&t) == *address)
        })
        .collect()
}

/// Every instance that the import blocks of `config` name, evaluated in the root module's
/// `scope` once the walk is done (what each block's `for_each` and keys give), without the
/// checks [`targets`] makes per resource. Blocks that do not evaluate are left out: their
/// problems were reported when their resource was reached, or by the graph.
pub fn all_targets(scope: &EvalScope<'_>) -> Vec<ImportTarget> {
    let mut out = Vec::new();
    for import in &scope.root.imports {
        let Some(file) = scope.sources.get(&import.file) else {
            continue;
        };
        let provider = import
            .provider
            .as_ref()
            .map(|p| p.key())
            .unwrap_or_default();
        if let Ok(instances) = block_targets(scope, import, file, &provider) {
            out.extend(instances.into_iter().filter_map(Result::ok));
        }
    }
    out
}

/// One import block's instances (one, or one per `for_each` element), each evaluated or
/// its problems; `Err` when its `for_each` does not evaluate.
fn block_targets(
    scope: &EvalScope<'_>,
    import: &Import,
    file: &SourceFile,
    provider: &str,
) -> Result<Vec<Result<ImportTarget, Diagnostics>>, Box<Diagnostic>> {
    let contexts: Vec<Option<KeyContext>> = match &import.for_each {
        None => vec![None],
        Some(expr) => for_each_contexts(scope, expr, file, import)?,
    };
    Ok(contexts
        .into_iter()
        .map(|context| one(&scope.with_key(context), import, file, provider))
        .collect())
}

/// Evaluates the import blocks that target the resource `address` (no instance key; its
/// module instance keys kept) into instances to import. `scope` is the root
/// module's; `provider` the configuration that serves the resource. Problems are
/// diagnostics pointing at the block; the targets found are returned anyway.
pub fn targets(
    scope: &EvalScope<'_>,
    address: &Address,
    provider: &str,
    diags: &mut Diagnostics,
) -> Vec<ImportTarget> {
    let resource_provider = provider.to_string();
    let mut out: Vec<ImportTarget> = Vec::new();
    for import in blocks_for(scope.root, &crate::modules::static_address(address)) {
        let Some(file) = scope.sources.get(&import.file) else {
            continue;
        };
        let provider = import
            .provider
            .as_ref()
            .map(|p| p.key())
            .unwrap_or_else(|| resource_provider.clone());
        if provider != resource_provider {
            diags.push(
                Diagnostic::error("import block names another provider than its resource")
                    .with_detail(format!(
                        "{} uses provider {}, the import block {provider}; they must be the same",
                        address, resource_provider
                    ))
                    .with_span(Some(import.span.clone())),
            );
            continue;
        }
        let instances = match block_targets(scope, import, file, &provider) {
            Ok(instances) => instances,
            Err(d) => {
                diags.push(*d);
                continue;
            }
        };
        for instance in instances {
            match instance {
                Ok(target) => {
                    if let Some(first) = out.iter().find(|t| t.address == target.address) {
                        diags.push(
                            Diagnostic::error(format!("duplicate import of {}", target.address))
                                .with_detail(format!(
                                    "another import block ({}) already imports this instance",
                                    first.span
                                ))
                                .with_span(Some(import.span.clone())),
                        );
                        continue;
                    }
                    out.push(target);
                }
                Err(d) => diags.extend(d),
            }
        }
    }
    out.retain(|t| t.address.resource() == *address);
    out
}

fn span_of(expr: &trellis_config::Expression, file: &SourceFile, fallback: &Span) -> Span {
    hcl_edit::Span::span(expr)
        .map(|r| file.span(r.start, r.end))
        .unwrap_or_else(|| fallback.clone())
}

fn for_each_contexts(
    scope: &EvalScope<'_>,
    expr: &trellis_config::Expression,
    file: &SourceFile,
    import: &Import,
) -> Result<Vec<Option<KeyContext>>, Box<Diagnostic>> {
    let span = span_of(expr, file, &import.span);
    let invalid = |detail: &str| {
        Box::new(
            Diagnostic::error("invalid for_each argument in import block")
                .with_detail(detail.to_string())
                .with_span(Some(span.clone())),
        )
    };
    let value = eval_expr(expr, scope, file).map_err(|d| {
        d.0.into_iter()
            .next()
            .map(Box::new)
            .unwrap_or_else(|| invalid("cannot evaluate for_each"))
    })?;
    if value.contains_unknown() {
        return Err(invalid(
            "the for_each value of an import block must be known at plan time",
        ));
    }
    match value.strip_marks() {
        Value::Map(map) => Ok(map
            .into_iter()
            .map(|(k, v)| Some(KeyContext::Each(Value::string(&k), v)))
            .collect()),
        Value::List(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let key = v
                    .as_str()
                    .map(Value::string)
                    .unwrap_or(Value::Number(i as f64));
                Some(KeyContext::Each(key, v))
            })
            .collect()),
        other => Err(invalid(&format!(
            "for_each needs a map, a set or a list, found {}",
            other.type_name()
        ))),
    }
}

fn one(
    scope: &EvalScope<'_>,
    import: &Import,
    file: &SourceFile,
    provider: &str,
) -> Result<ImportTarget, Diagnostics> {
    let id_span = span_of(&import.id, file, &import.span);
    let base = target_resource(import).ok_or_else(|| {
        Diagnostics::from(
            Diagnostic::error("invalid import `to` address")
                .with_span(Some(import.to.span.clone())),
        )
    })?;
    let key = match &import.to_key {
        None => {
            Address::parse(import.to.text.trim())
                .map_err(|e| {
                    Diagnostics::from(
                        Diagnostic::error("invalid import `to` address")
                            .with_detail(e.to_string())
                            .with_span(Some(import.to.span.clone())),
                    )
                })?
                .key
        }
        Some(expr) => {
            let value = eval_expr(expr, scope, file)?;
            match value.strip_marks() {
                Value::String(s) => Some(InstanceKey::Str(s)),
                Value::Number(n) if n >= 0.0 && n.fract() == 0.0 => {
                    Some(InstanceKey::Int(n as i64))
                }
                other => {
                    return Err(Diagnostics::from(
                        Diagnostic::error("invalid import `to` address")
                            .with_detail(format!(
                                "the instance key must be a known string or whole number, found {}",
                                if other.is_unknown() {
                                    "an unknown value".to_string()
                                } else {
                                    other.type_name().to_string()
                                }
                            ))
                            .with_span(Some(import.to.span.clone())),
                    ))
                }
            }
        }
    };
    let id = eval_expr(&import.id, scope, file)?;
    let id = match id.strip_marks() {
        Value::String(s) if !s.trim().is_empty() => s,
        Value::String(_) => {
            return Err(Diagnostics::from(
                Diagnostic::error("import ID is empty")
                    .with_detail("set id to the ID of the object to import")
                    .with_span(Some(id_span)),
            ))
        }
        Value::Number(n) => Value::Number(n).to_string(),
        other => {
            return Err(Diagnostics::from(
                Diagnostic::error("invalid import ID")
                    .with_detail(if other.is_unknown() {
                        "the import ID must be known at plan time".to_string()
                    } else {
                        format!(
                            "the import ID must be a string, found {}",
                            other.type_name()
                        )
                    })
                    .with_span(Some(id_span)),
            ))
        }
    };
    Ok(ImportTarget {
        address: base.with_key(key),
        id,
        provider: provider.to_string(),
        span: import.span.clone(),
        id_span,
    })
}

/// The import blocks whose target resource is not declared, as diagnostics. `declared`
/// holds the managed resources of the configuration.
pub fn check_targets(config: &Config, diags: &mut Diagnostics) {
    let declared: BTreeMap<Address, &Resource> = config
        .all_modules()
        .into_iter()
        .flat_map(|(path, module)| {
            module
                .resources
                .iter()
                .filter(|r| r.mode == trellis_types::Mode::Managed)
                .map(move |r| (crate::graph::static_resource_address(&path, r), r))
        })
        .collect();
    for import in &config.imports {
        let Some(target) = target_resource(import) else {
            diags.push(
                Diagnostic::error("invalid import `to` address")
                    .with_detail("expected a managed resource address such as `aws_x.a`")
                    .with_span(Some(import.to.span.clone())),
            );
            continue;
        };
        let Some(resource) = declared.get(&crate::modules::static_address(&target)) else {
            let candidates: Vec<String> = declared.keys().map(ToString::to_string).collect();
            let mut detail = String::from(
                "add a resource block for it, or let trellis write one: trellis import -generate-config-out=FILE",
            );
            if let Some(best) =
                crate::graph::closest(&target.to_string(), candidates.iter().map(String::as_str))
            {
                detail = format!("did you mean {best:?}? Otherwise {detail}");
            }
            diags.push(
                Diagnostic::error(format!(
                    "import target {target} is not in the configuration"
                ))
                .with_detail(detail)
                .with_span(Some(import.to.span.clone())),
            );
            continue;
        };
        let keyed = resource.count.is_some() || resource.for_each.is_some();
        let static_key = if import.to_key.is_none() {
            Address::parse(import.to.text.trim()).ok().map(|a| a.key)
        } else {
            None
        };
        match static_key {
            Some(None) if keyed => diags.push(
                Diagnostic::error(format!("import target {target} needs an instance key"))
                    .with_detail(format!(
                        "{target} sets {}; import into one of its instances, such as {target}[\"key\"] or {target}[0]",
                        if resource.count.is_some() { "count" } else { "for_each" }
                    ))
                    .with_span(Some(import.to.span.clone())),
            ),
            Some(Some(_)) if !keyed => diags.push(
                Diagnostic::error(format!("import target {} has an instance key", import.to.text))
                    .with_detail(format!("{target} sets neither count nor for_each; import into {target}"))
                    .with_span(Some(import.to.span.clone())),
            ),
            _ => {}
        }
    }
}
