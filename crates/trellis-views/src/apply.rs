//! Apply progress lines, the apply summary and output values.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use trellis_plan::{Action, ApplyEvent, ApplySummary, OutputValue};
use trellis_types::{Diagnostics, SourceMap};

use crate::diagnostics::render_diagnostics;
use crate::style::{Paint, Style};
use crate::value::render_value;

/// One progress line for an apply event, Terraform style, without a trailing newline:
///
/// ```text
/// aws_vpclattice_service.orders: Creating...
/// aws_vpclattice_service.orders: Still creating... [10s elapsed]
/// aws_vpclattice_service.orders: Creation complete after 12s [id=svc-0123]
/// ```
///
/// Returns `None` for events that have nothing to say to a person.
pub fn render_apply_event(e: &ApplyEvent, style: Style) -> Option<String> {
    let bold = |a: &dyn std::fmt::Display| style.paint(Paint::Bold, &format!("{a}:"));
    let line = match e {
        ApplyEvent::Settled { address, id } => format!(
            "{} Adopted the object an earlier interrupted apply created{}",
            bold(address),
            id_suffix(id.as_deref())
        ),
        ApplyEvent::Started { address, action } => {
            format!("{} {}...", bold(address), verbs(*action).progressive)
        }
        ApplyEvent::StillRunning {
            address,
            action,
            elapsed_ms,
        } => format!(
            "{} Still {}... [{} elapsed]",
            bold(address),
            verbs(*action).progressive.to_lowercase(),
            duration(*elapsed_ms)
        ),
        ApplyEvent::Completed {
            address,
            action,
            elapsed_ms,
            id,
        } => format!(
            "{} {} after {}{}",
            bold(address),
            verbs(*action).complete,
            duration(*elapsed_ms),
            id_suffix(id.as_deref())
        ),
        ApplyEvent::Failed {
            address,
            action,
            message,
        } => format!(
            "{} {} {address}: {message}",
            style.paint(Paint::BoldRed, "Error:"),
            verbs(*action).failing
        ),
        ApplyEvent::Skipped {
            address,
            action,
            because,
        } => format!(
            "{} Skipped {}, because {because} did not complete",
            bold(address),
            verbs(*action).noun
        ),
        ApplyEvent::Recorded { address, note } => {
            if note.trim().is_empty() {
                return None;
            }
            format!("{} {note}", bold(address))
        }
    };
    Some(line)
}

struct Verbs {
    progressive: &'static str,
    complete: &'static str,
    failing: &'static str,
    noun: &'static str,
}

fn verbs(action: Action) -> Verbs {
    match action {
        Action::Create | Action::DeleteThenCreate | Action::CreateThenDelete => Verbs {
            progressive: "Creating",
            complete: "Creation complete",
            failing: "creating",
            noun: "create",
        },
        Action::Update => Verbs {
            progressive: "Modifying",
            complete: "Modifications complete",
            failing: "updating",
            noun: "update",
        },
        Action::Delete => Verbs {
            progressive: "Destroying",
            complete: "Destruction complete",
            failing: "destroying",
            noun: "destroy",
        },
        Action::Read => Verbs {
            progressive: "Reading",
            complete: "Read complete",
            failing: "reading",
            noun: "read",
        },
        Action::Forget => Verbs {
            progressive: "Removing from state",
            complete: "Removed from state",
            failing: "removing from state",
            noun: "forget",
        },
        Action::NoOp => Verbs {
            progressive: "Recording",
            complete: "Recorded",
            failing: "recording",
            noun: "record",
        },
    }
}

fn id_suffix(id: Option<&str>) -> String {
    match id {
        Some(id) if !id.is_empty() => format!(" [id={id}]"),
        _ => String::new(),
    }
}

/// `2s`, `1m5s`, `1h2m3s`, as Terraform prints elapsed times.
fn duration(ms: u64) -> String {
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// The end of an apply: errors and warnings (failed `check` assertions), if any, the counts
/// line and the outputs.
///
/// ```text
/// Apply complete! Resources: 2 added, 1 changed, 0 destroyed.
///
/// Outputs:
///
/// service_arn = "arn:aws:vpc-lattice:..."
/// token = <sensitive>
/// ```
///
/// A destroy (a plan made with `-destroy`) says so, as Terraform does:
/// `Destroy complete! Resources: 3 destroyed.`
pub fn render_apply_summary(s: &ApplySummary, destroy: bool, style: Style) -> String {
    let mut out = String::new();
    if !s.errors.is_empty() {
        let diags = Diagnostics(s.errors.clone());
        out.push_str(&render_diagnostics(&diags, &SourceMap::new(), style));
        out.push('\n');
    }
    if !s.warnings.is_empty() {
        let diags = Diagnostics(s.warnings.clone());
        out.push_str(&render_diagnostics(&diags, &SourceMap::new(), style));
        out.push('\n');
    }
    let mut counts = String::new();
    if destroy {
        let _ = write!(counts, "{} destroyed", s.destroyed);
    } else {
        if s.imported > 0 {
            let _ = write!(counts, "{} imported, ", s.imported);
        }
        let _ = write!(
            counts,
            "{} added, {} changed, {} destroyed",
            s.added, s.changed, s.destroyed
        );
        if s.forgotten > 0 {
            let _ = write!(counts, ", {} forgotten", s.forgotten);
        }
    }
    let verb = if destroy { "Destroy" } else { "Apply" };
    let failed = s.failed > 0 || !s.errors.is_empty();
    let headline = if s.interrupted {
        let _ = write!(
            counts,
            ", {} failed, {} skipped, {} not started",
            s.failed, s.skipped, s.not_started
        );
        style.paint(Paint::BoldYellow, &format!("{verb} interrupted!"))
    } else if failed {
        let _ = write!(counts, ", {} failed, {} skipped", s.failed, s.skipped);
        style.paint(Paint::BoldRed, &format!("{verb} failed!"))
    } else {
        style.paint(Paint::BoldGreen, &format!("{verb} complete!"))
    };
    let _ = writeln!(out, "{headline} Resources: {counts}.");
    if !s.outputs.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", style.paint(Paint::BoldGreen, "Outputs:"));
        out.push('\n');
        out.push_str(&render_outputs(&s.outputs, style));
    }
    out
}

/// Output values as `name = value`, one per line (values over several lines when they are
/// collections). Sensitive outputs are shown as `<sensitive>`.
pub fn render_outputs(outputs: &BTreeMap<String, OutputValue>, _style: Style) -> String {
    let mut out = String::new();
    for (name, output) in outputs {
        // `render_value` redacts sensitive parts inside the value itself.
        let value = if output.sensitive || output.value.is_sensitive() {
            "<sensitive>".to_string()
        } else {
            render_value(&output.value)
        };
        let _ = writeln!(out, "{name} = {value}");
    }
    out
}
