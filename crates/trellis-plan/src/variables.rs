//! Input variables: raw values from the command line, files and the environment, converted
//! to their declared types, defaulted, validated and marked sensitive.

use std::collections::BTreeMap;

use trellis_config::Config;
use trellis_eval::{convert, eval_expr};
use trellis_types::{Diagnostic, Diagnostics, SourceFile, SourceMap, Value};

use crate::scope::{EvalScope, Files, Values};

/// Where a raw variable value came from; later sources override earlier ones in the order
/// Terraform uses: environment, `*.auto.tfvars` files, `-var-file`, `-var`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSource {
    /// `TRELLIS_VAR_name` or `TF_VAR_name`.
    Environment,
    /// A `.tfvars` file (auto-loaded or named by `-var-file`).
    File,
    /// `-var NAME=VALUE`.
    CommandLine,
}

/// A variable value as given, before conversion.
#[derive(Debug, Clone)]
pub struct RawValue {
    pub name: String,
    /// For environment and command line: the text. For files: the evaluated constant.
    pub value: RawText,
    pub source: RawSource,
}

#[derive(Debug, Clone)]
pub enum RawText {
    /// Text that is taken as a string for string variables and parsed as an HCL expression
    /// otherwise.
    Text(String),
    Value(Value),
}

/// Parses a `.tfvars` file into raw values. Every problem is a diagnostic with its position.
pub fn parse_tfvars(file: &SourceFile) -> (Vec<RawValue>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out = Vec::new();
    let body = match hcl_edit::parser::parse_body(&file.text) {
        Ok(body) => body,
        Err(e) => {
            let loc = e.location();
            let offset = line_col_offset(file, loc.line(), loc.column());
            diags.push(
                Diagnostic::error("invalid variables file")
                    .with_detail(e.message().to_string())
                    .with_span(Some(file.span(offset, offset))),
            );
            return (out, diags);
        }
    };
    let empty = Values::default();
    let config = Config::default();
    let sources = SourceMap::new();
    let scope = EvalScope {
        config: &config,
        root: &config,
        module: &[],
        sources: &sources,
        values: &empty,
        files: &crate::scope::NoFiles,
        module_dir: ".",
        key: None,
    };
    for structure in body.iter() {
        match structure {
            hcl_edit::structure::Structure::Attribute(attr) => {
                match eval_expr(&attr.value, &scope, file) {
                    Ok(value) => out.push(RawValue {
                        name: attr.key.as_str().to_string(),
                        value: RawText::Value(value),
                        source: RawSource::File,
                    }),
                    Err(d) => diags.extend(d),
                }
            }
            hcl_edit::structure::Structure::Block(block) => {
                let range = hcl_edit::Span::span(block).unwrap_or(0..0);
                diags.push(
                    Diagnostic::error("blocks are not allowed in a variables file")
                        .with_span(Some(file.span(range.start, range.end))),
                );
            }
        }
    }
    (out, diags)
}

fn line_col_offset(file: &SourceFile, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in file.text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset
                + l.char_indices()
                    .nth(column.saturating_sub(1))
                    .map(|(b, _)| b)
                    .unwrap_or(0);
        }
        offset += l.len();
    }
    offset
}

/// Converts, defaults and validates every declared variable.
pub fn evaluate_variables(
    config: &Config,
    sources: &SourceMap,
    raw: &[RawValue],
    files: &dyn Files,
) -> Result<BTreeMap<String, Value>, Diagnostics> {
    resolve(config, sources, raw, files, false)
}

/// Every declared variable as an unknown value (sensitive where declared so), for
/// `trellis validate`: what holds for any input. Defaults are still checked against their
/// variable's type.
pub fn unknown_variables(
    config: &Config,
    sources: &SourceMap,
    files: &dyn Files,
) -> Result<BTreeMap<String, Value>, Diagnostics> {
    resolve(config, sources, &[], files, true)
}

fn resolve(
    config: &Config,
    sources: &SourceMap,
    raw: &[RawValue],
    files: &dyn Files,
    all_unknown: bool,
) -> Result<BTreeMap<String, Value>, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut given: BTreeMap<&str, &RawValue> = BTreeMap::new();
    for r in raw {
        if !config.variables.contains_key(&r.name) {
            if r.source == RawSource::CommandLine {
                let mut d =
                    Diagnostic::error(format!("value for undeclared variable {:?}", r.name));
                if let Some(best) =
                    crate::graph::closest(&r.name, config.variables.keys().map(String::as_str))
                {
                    d = d.with_detail(format!("did you mean {best:?}?"));
                }
                diags.push(d);
            }
            continue;
        }
        given.insert(&r.name, r);
    }

    let mut values = BTreeMap::new();
    for (name, var) in &config.variables {
        let Some(file) = sources.get(&var.file) else {
            continue;
        };
        let constraint = var.ty.as_ref();
        let raw_value = given.get(name.as_str()).map(|r| match &r.value {
            RawText::Value(v) => Ok(v.clone()),
            RawText::Text(text) => {
                if matches!(
                    constraint,
                    None | Some(trellis_eval::TypeConstraint::String)
                ) {
                    Ok(Value::String(text.clone()))
                } else {
                    parse_text_value(text)
                }
            }
        });
        let value = match raw_value {
            Some(Ok(v)) => v,
            Some(Err(message)) => {
                diags.push(
                    Diagnostic::error(format!("invalid value for variable {name:?}"))
                        .with_detail(message)
                        .with_span(Some(var.span.clone())),
                );
                continue;
            }
            None => match eval_default(config, var, file, sources, files) {
                Some(Ok(v)) => v,
                Some(Err(d)) => {
                    diags.extend(d);
                    continue;
                }
                None if all_unknown => Value::Unknown,
                None => {
                    diags.push(
                        Diagnostic::error(format!("no value for required variable {name:?}"))
                            .with_detail(format!(
                                "set it with -var {name}=..., a .tfvars file, or TRELLIS_VAR_{name}"
                            ))
                            .with_span(Some(var.span.clone())),
                    );
                    continue;
                }
            },
        };
        if all_unknown {
            // The default (if any) passed its type check; the value itself is an input.
            let value = match &constraint {
                Some(t) if !value.is_null() && !value.is_unknown() => convert(&value, t),
                _ => Ok(value),
            };
            if let Err(message) = value {
                diags.push(
                    Diagnostic::error(format!("invalid value for variable {name:?}"))
                        .with_detail(message)
                        .with_span(Some(var.span.clone())),
                );
            }
            let unknown = if var.sensitive {
                Value::Unknown.into_sensitive()
            } else {
                Value::Unknown
            };
            values.insert(name.clone(), unknown);
            continue;
        }
        if value.is_null() && !var.nullable {
            diags.push(
                Diagnostic::error(format!("variable {name:?} must not be null"))
                    .with_span(Some(var.span.clone())),
            );
            continue;
        }
        let value = match &constraint {
            Some(t) if !value.is_null() => match convert(&value, t) {
                Ok(v) => v,
                Err(message) => {
                    diags.push(
                        Diagnostic::error(format!("invalid value for variable {name:?}"))
                            .with_detail(message)
                            .with_span(Some(var.span.clone())),
                    );
                    continue;
                }
            },
            _ => value,
        };
        let value = if var.sensitive {
            value.into_sensitive()
        } else {
            value
        };
        values.insert(name.clone(), value);
    }
    if diags.has_errors() {
        return Err(diags);
    }

    // Validation conditions see only their own variable.
    for (name, var) in &config.variables {
        let Some(value) = values.get(name) else {
            continue;
        };
        let (failed, other) = check_validations(config, var, value, sources, files);
        diags.extend(other);
        for (message, validation) in failed {
            diags.push(
                Diagnostic::error(format!("invalid value for variable {name:?}"))
                    .with_detail(message)
                    .with_span(Some(validation.span.clone())),
            );
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(values)
    }
}

/// The default of `variable` (declared in `config`, in `file`), evaluated: it may refer to
/// nothing, so it sees no values. `None` when it has none. Root variables and module
/// arguments share it.
pub(crate) fn eval_default(
    config: &Config,
    variable: &trellis_config::Variable,
    file: &SourceFile,
    sources: &SourceMap,
    files: &dyn Files,
) -> Option<Result<Value, Diagnostics>> {
    let expr = variable.default.as_ref()?;
    let empty = Values::default();
    let scope = EvalScope {
        config,
        root: config,
        module: &[],
        sources,
        values: &empty,
        files,
        module_dir: ".",
        key: None,
    };
    Some(eval_expr(expr, &scope, file))
}

/// Evaluates the `validation` blocks of `variable` (declared in `config`) for `value`, each
/// condition seeing only its own variable: the validations that failed, with their error
/// message, and the diagnostics of conditions that could not be evaluated or are not bools.
/// An unknown result passes (it is checked again when known). Root variables and module
/// arguments share it; each caller words and places its own error.
pub(crate) fn check_validations<'v>(
    config: &Config,
    variable: &'v trellis_config::Variable,
    value: &Value,
    sources: &SourceMap,
    files: &dyn Files,
) -> (Vec<(String, &'v trellis_config::Validation)>, Diagnostics) {
    let mut failed = Vec::new();
    let mut diags = Diagnostics::new();
    let Some(file) = sources.get(&variable.file) else {
        return (failed, diags);
    };
    let only = Values {
        variables: BTreeMap::from([(variable.name.clone(), value.clone())]),
        ..Values::default()
    };
    let scope = EvalScope {
        config,
        root: config,
        module: &[],
        sources,
        values: &only,
        files,
        module_dir: ".",
        key: None,
    };
    for validation in &variable.validations {
        match eval_expr(&validation.condition, &scope, file) {
            Ok(result) if result.is_unknown() => {}
            Ok(result) => match result.as_bool() {
                Some(true) => {}
                Some(false) => {
                    let message = eval_expr(&validation.error_message, &scope, file)
                        .ok()
                        .and_then(|m| m.as_str().map(str::to_string))
                        .unwrap_or_else(|| "validation failed".to_string());
                    failed.push((message, validation));
                }
                None => diags.push(
                    Diagnostic::error("validation condition must be a bool")
                        .with_span(Some(validation.span.clone())),
                ),
            },
            Err(d) => diags.extend(d),
        }
    }
    (failed, diags)
}

/// Parses `-var` text for a non-string variable as an HCL expression of constants.
fn parse_text_value(text: &str) -> Result<Value, String> {
    let expr: hcl_edit::expr::Expression = text
        .parse()
        .map_err(|e: hcl_edit::parser::Error| e.message().to_string())?;
    let file = SourceFile::new("<value>", text);
    let empty = Values::default();
    let config = Config::default();
    let sources = SourceMap::new();
    let scope = EvalScope {
        config: &config,
        root: &config,
        module: &[],
        sources: &sources,
        values: &empty,
        files: &crate::scope::NoFiles,
        module_dir: ".",
        key: None,
    };
    eval_expr(&expr, &scope, &file).map_err(|d| {
        d.iter()
            .map(|d| d.summary.clone())
            .collect::<Vec<_>>()
            .join("; ")
    })
}
