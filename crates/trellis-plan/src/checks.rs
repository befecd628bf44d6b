//! `check` blocks: assertions about the infrastructure evaluated once the plan (or the
//! apply) knows the values they refer to. As in Terraform, a failed assertion is a warning
//! naming the check, never an error, and a condition that is not known yet is skipped with a
//! warning saying it is checked after apply.

use trellis_config::{Check, Config};
use trellis_eval::{eval_expr, Scope};
use trellis_types::{Diagnostic, Diagnostics, SourceMap};

/// When checks are evaluated: decides what an unknown condition means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckPhase {
    /// `trellis validate`: values are unknown by design; only errors are reported.
    Validate,
    /// `trellis plan`: an unknown condition is checked after apply.
    Plan,
    /// After `trellis apply`: an unknown condition (an apply that stopped early) is skipped.
    Apply,
}

/// Evaluates every assertion of the root module's `check` blocks in `scope`. Errors in the
/// expressions (an undeclared reference, a condition that is not a bool) are errors; a false
/// condition is a warning with the `error_message`.
pub fn evaluate_checks(
    config: &Config,
    sources: &SourceMap,
    scope: &dyn Scope,
    phase: CheckPhase,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for check in config.checks.values() {
        let Some(file) = sources.get(&check.file) else {
            continue;
        };
        for assert in &check.asserts {
            let result = match eval_expr(&assert.condition, scope, file) {
                Ok(v) => v,
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            };
            if result.is_unknown() {
                if phase == CheckPhase::Plan {
                    diags.push(
                        Diagnostic::warning(format!(
                            "check {:?}: condition is not known until apply",
                            check.name
                        ))
                        .with_detail("the assertion is checked after apply")
                        .with_span(Some(assert.span.clone())),
                    );
                }
                continue;
            }
            match result.as_bool() {
                Some(true) => {}
                Some(false) if phase == CheckPhase::Validate => {}
                Some(false) => diags.push(failed(check, assert, scope, file)),
                None => diags.push(
                    Diagnostic::error(format!("check {:?}: condition must be a bool", check.name))
                        .with_span(Some(assert.span.clone())),
                ),
            }
        }
    }
    diags
}

fn failed(
    check: &Check,
    assert: &trellis_config::Validation,
    scope: &dyn Scope,
    file: &trellis_types::SourceFile,
) -> Diagnostic {
    let message = eval_expr(&assert.error_message, scope, file)
        .ok()
        .and_then(|m| m.as_str().map(str::to_string))
        .unwrap_or_else(|| "the assertion failed".to_string());
    Diagnostic::warning(format!("check {:?} assertion failed", check.name))
        .with_detail(message)
        .with_span(Some(assert.span.clone()))
}
