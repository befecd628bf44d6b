//! Module instances: their keys, their input variables and their outputs.
//!
//! The planner evaluates a module's items once per instance of the module (its call's
//! `count` or `for_each`, and those of the calls above it). What an instance needs from its
//! caller (its input variables) and what a caller needs from it (`module.NAME`) are computed
//! here, both by the walk and on demand by [`crate::scope::EvalScope`] at apply time.

use std::collections::BTreeMap;

use trellis_config::{Config, ModuleCall, Variable};
use trellis_eval::{convert, eval_expr};
use trellis_types::{Address, Diagnostic, Diagnostics, InstanceKey, ModuleStep, Value};

use crate::scope::{EvalScope, KeyContext};

/// The static path (call names, no keys) of a module instance path.
pub fn static_path(module: &[ModuleStep]) -> Vec<String> {
    module.iter().map(|s| s.name.clone()).collect()
}

/// `address` without instance keys, neither its own nor its modules': the address of the
/// resource block it is an instance of.
pub fn static_address(address: &Address) -> Address {
    Address {
        module: address
            .module
            .iter()
            .map(|s| ModuleStep {
                name: s.name.clone(),
                key: None,
            })
            .collect(),
        key: None,
        ..address.clone()
    }
}

/// `count.index` or `each` of the instance `key` of a module call, evaluated in the caller's
/// scope.
pub fn key_context(
    caller: &EvalScope<'_>,
    call: &ModuleCall,
    key: Option<&InstanceKey>,
) -> Option<KeyContext> {
    match key? {
        InstanceKey::Int(i) => Some(KeyContext::Count(*i)),
        InstanceKey::Str(k) => {
            let each_value = call
                .for_each
                .as_ref()
                .zip(caller.sources.get(&call.file))
                .and_then(|(e, file)| eval_expr(e, &caller.with_key(None), file).ok())
                .map(|all| match all.unmarked() {
                    Value::Map(map) => map.get(k).cloned().unwrap_or(Value::Null),
                    _ => Value::string(k),
                })
                .unwrap_or_else(|| Value::string(k));
            Some(KeyContext::Each(Value::string(k), each_value))
        }
    }
}

/// The value of one input variable of a module instance: the call's argument evaluated in
/// `caller` (the calling instance's scope, with the instance's `count.index` or `each`), else
/// the variable's default; converted to the variable's type, checked against null, marked
/// sensitive when the variable is. Problems point at the argument (or the call, for a
/// default).
pub fn module_variable(
    caller: &EvalScope<'_>,
    call: &ModuleCall,
    variable: &Variable,
) -> Result<Value, Diagnostics> {
    let argument = call.arguments.get(&variable.name);
    let at = argument
        .map(|a| a.span.clone())
        .unwrap_or_else(|| call.header.clone());
    let value = match argument {
        Some(argument) => {
            let file = caller.sources.get(&call.file).ok_or_else(|| {
                Diagnostics::from(Diagnostic::error(format!(
                    "source file {} is missing",
                    call.file
                )))
            })?;
            eval_expr(&argument.expr, caller, file)?
        }
        None => match eval_default(caller, variable)? {
            Some(value) => value,
            None => {
                return Err(Diagnostic::error(format!(
                    "missing required argument `{}` for module.{}",
                    variable.name, call.name
                ))
                .with_span(Some(call.header.clone()))
                .into())
            }
        },
    };
    // As Terraform does: a null argument for a variable that may not be null takes the
    // variable's default, when it has one.
    let value = match (value.is_null() && !variable.nullable, &variable.default) {
        (true, Some(_)) => eval_default(caller, variable)?.unwrap_or(value),
        _ => value,
    };
    let invalid = |message: String| {
        Diagnostics::from(
            Diagnostic::error(format!(
                "invalid value for module.{} argument {:?}",
                call.name, variable.name
            ))
            .with_detail(message)
            .with_span(Some(at.clone())),
        )
    };
    if value.is_null() && !variable.nullable {
        return Err(invalid(format!(
            "the module's variable {:?} must not be null",
            variable.name
        )));
    }
    let value = match &variable.ty {
        Some(ty) if !value.is_null() && !value.is_unknown() => {
            let sensitive = value.contains_sensitive();
            let converted = convert(&value, ty).map_err(invalid)?;
            if sensitive && !converted.contains_sensitive() {
                converted.into_sensitive()
            } else {
                converted
            }
        }
        _ => value,
    };
    Ok(if variable.sensitive {
        value.into_sensitive()
    } else {
        value
    })
}

/// The `validation` blocks of a module's variable, for one instance's value. Failures point
/// at the argument (or at the call when the default was used).
pub fn check_validations(
    child: &Config,
    call: &ModuleCall,
    variable: &Variable,
    value: &Value,
    scope: &EvalScope<'_>,
) -> Diagnostics {
    let at = call
        .arguments
        .get(&variable.name)
        .map(|a| a.span.clone())
        .unwrap_or_else(|| call.header.clone());
    let (failed, mut diags) =
        crate::variables::check_validations(child, variable, value, scope.sources, scope.files);
    for (message, validation) in failed {
        diags.push(
            Diagnostic::error(format!(
                "invalid value for module.{} argument {:?}",
                call.name, variable.name
            ))
            .with_detail(format!("{message} (validation at {})", validation.span))
            .with_span(Some(at.clone())),
        );
    }
    diags
}

/// The default of a module's variable, evaluated (it may refer to nothing); `None` when it
/// has none.
fn eval_default(caller: &EvalScope<'_>, variable: &Variable) -> Result<Option<Value>, Diagnostics> {
    if variable.default.is_none() {
        return Ok(None);
    }
    let file = caller.sources.get(&variable.file).ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(format!(
            "source file {} is missing",
            variable.file
        )))
    })?;
    let nothing = Config::default();
    crate::variables::eval_default(&nothing, variable, file, caller.sources, caller.files)
        .transpose()
}

/// The caller's configuration, the call, and the caller's instance path, of the module
/// instance `module` (not the root).
fn caller_of<'c>(
    root: &'c Config,
    module: &'c [ModuleStep],
) -> Option<(&'c Config, &'c ModuleCall, &'c [ModuleStep], &'c ModuleStep)> {
    let (step, parent) = module.split_last()?;
    let caller = root.module(&static_path(parent))?;
    let call = caller.modules.get(&step.name)?;
    Some((caller, call, parent, step))
}

/// `var.NAME` inside a module instance whose inputs were not evaluated yet (at apply): the
/// call's argument evaluated now, in the caller's scope.
pub fn variable_on_demand(scope: &EvalScope<'_>, name: &str) -> Value {
    let Some(variable) = scope.config.variables.get(name) else {
        return Value::Unknown;
    };
    let Some((caller_config, call, parent, step)) = caller_of(scope.root, scope.module) else {
        return Value::Unknown;
    };
    let caller = scope.at(caller_config, parent);
    let key = key_context(&caller, call, step.key.as_ref());
    module_variable(&caller.with_key(key), call, variable).unwrap_or(Value::Unknown)
}

/// The instance keys of a module call from its evaluated `count` or `for_each`; `None`
/// when they are not known.
pub fn call_keys(call: &ModuleCall, scope: &EvalScope<'_>) -> Option<Vec<Option<InstanceKey>>> {
    let file = scope.sources.get(&call.file)?;
    if let Some(count) = &call.count {
        let n = eval_expr(count, &scope.with_key(None), file)
            .ok()?
            .as_number()?;
        if n < 0.0 || n.fract() != 0.0 || n >= 1.0e6 {
            return None;
        }
        return Some((0..n as i64).map(|i| Some(InstanceKey::Int(i))).collect());
    }
    if let Some(for_each) = &call.for_each {
        let value = eval_expr(for_each, &scope.with_key(None), file).ok()?;
        return match value.unmarked() {
            Value::Map(map) => Some(
                map.keys()
                    .map(|k| Some(InstanceKey::Str(k.clone())))
                    .collect(),
            ),
            Value::List(items) => {
                let mut keys: Vec<String> = items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<_>>()?;
                keys.sort();
                keys.dedup();
                Some(
                    keys.into_iter()
                        .map(|k| Some(InstanceKey::Str(k)))
                        .collect(),
                )
            }
            _ => None,
        };
    }
    Some(vec![None])
}

/// `module.NAME` when the walk has not recorded it (at apply): the call's instances and
/// each instance's outputs, evaluated now.
pub fn call_on_demand(scope: &EvalScope<'_>, call: &ModuleCall) -> Value {
    let Some(child) = scope.config.children.get(&call.name) else {
        return Value::Unknown;
    };
    let Some(keys) = call_keys(call, scope) else {
        return Value::Unknown;
    };
    let mut instances = crate::scope::Instances::Unknown;
    if call.count.is_some() {
        instances = crate::scope::Instances::Count(Vec::new());
    } else if call.for_each.is_some() {
        instances = crate::scope::Instances::ForEach(BTreeMap::new());
    }
    for key in keys {
        let mut path = scope.module.to_vec();
        path.push(ModuleStep {
            name: call.name.clone(),
            key: key.clone(),
        });
        let inner = scope.at(child, &path);
        let mut outputs = BTreeMap::new();
        for (name, output) in &child.outputs {
            let value = scope
                .sources
                .get(&output.file)
                .and_then(|file| eval_expr(&output.value, &inner, file).ok())
                .unwrap_or(Value::Unknown);
            let value = if output.sensitive {
                value.into_sensitive()
            } else {
                value
            };
            outputs.insert(name.clone(), value);
        }
        instances.set(key.as_ref(), Value::Map(outputs));
    }
    instances.to_value()
}
