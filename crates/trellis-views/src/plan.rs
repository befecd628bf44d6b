//! The human plan view: what `trellis plan` prints.

use std::fmt::Write as _;

use trellis_mesh::Analysis;
use trellis_plan::{Action, Change, OutputChange, Plan, Reason};
use trellis_types::{InstanceKey, Mode, Path, SourceMap, Value};

use crate::diagnostics::render_diagnostic;
use crate::diff::{write_lines, At, Differ, Layout, Sym};
use crate::style::{Paint, Style};

const RULE_WIDTH: usize = 77;

/// Renders a plan the way Terraform does: the drift found by refresh (if any), a legend of
/// the symbols in use, one block per resource instance with work to do, the closing
/// `Plan: X to add, Y to change, Z to destroy.` line, output changes, the mesh's
/// connectivity changes (pairs of client VPC and service that appear, disappear or change
/// their IAM gate) and warnings, the mesh checks' findings among them.
///
/// Unchanged attributes of updated resources are hidden behind a count; values at the
/// change's sensitive paths are shown as `(sensitive value)`.
pub fn render_plan(plan: &Plan, style: Style) -> String {
    // The mesh analysis is needed only after the resource blocks, so it runs on a second
    // thread while they are rendered (a few percent of a 10,000-resource plan's time).
    std::thread::scope(|scope| {
        let analysis = scope.spawn(|| trellis_mesh::analyze(plan));
        render_plan_lazy(plan, style, || match analysis.join() {
            Ok(analysis) => analysis,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    })
}

/// [`render_plan`] with the mesh analysis already made (the markdown view reuses it).
pub(crate) fn render_plan_with(plan: &Plan, analysis: &Analysis, style: Style) -> String {
    render_plan_lazy(plan, style, || analysis)
}

/// [`render_plan`], taking the mesh analysis from `analysis` once the resource blocks are
/// written.
fn render_plan_lazy<A: std::borrow::Borrow<Analysis>>(
    plan: &Plan,
    style: Style,
    analysis: impl FnOnce() -> A,
) -> String {
    let mut out = String::new();
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| c.has_work()).collect();
    let outputs: Vec<&OutputChange> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();

    if !plan.drift.is_empty() {
        render_drift(&mut out, &plan.drift, style);
    }

    if changes.is_empty() && outputs.is_empty() {
        out.push_str(&style.paint(
            Paint::BoldGreen,
            "No changes. Your infrastructure matches the configuration.",
        ));
        out.push_str("\n\n");
        out.push_str(
            "trellis has compared your real infrastructure against your configuration and found\n\
             no differences, so no changes are needed.\n",
        );
        render_warnings(&mut out, plan, analysis().borrow(), style);
        return out;
    }

    if !changes.is_empty() {
        render_legend(&mut out, &changes, style);
        out.push_str("trellis will perform the following actions:\n");
        for change in &changes {
            out.push('\n');
            render_change(&mut out, change, false, style);
        }
        out.push('\n');
        out.push_str(&summary_line(plan, style));
        out.push('\n');
    }

    if !outputs.is_empty() {
        if !changes.is_empty() {
            out.push('\n');
        }
        out.push_str("Changes to Outputs:\n");
        render_output_changes(&mut out, &outputs, style);
        if changes.is_empty() {
            out.push_str(
                "\nYou can apply this plan to save these new output values to the trellis state,\n\
                 without changing any real infrastructure.\n",
            );
        }
    }

    let analysis = analysis();
    let analysis = analysis.borrow();
    crate::connectivity::render_human(&mut out, analysis, style);
    render_warnings(&mut out, plan, analysis, style);
    out
}

/// `Plan: 1 to add, 2 to change, 0 to destroy.`, with imports first (as Terraform writes
/// them: `Plan: 1 to import, 2 to add, ...`) and moves last when there are any.
pub(crate) fn summary_text(plan: &Plan) -> String {
    let s = plan.summary();
    let mut text = String::from("Plan: ");
    if s.import > 0 {
        let _ = write!(text, "{} to import, ", s.import);
    }
    let _ = write!(
        text,
        "{} to add, {} to change, {} to destroy",
        s.add, s.change, s.destroy
    );
    if s.forget > 0 {
        let _ = write!(text, ", {} to forget", s.forget);
    }
    if s.moved > 0 {
        let _ = write!(text, ", {} to move", s.moved);
    }
    text.push('.');
    text
}

fn summary_line(plan: &Plan, style: Style) -> String {
    let text = summary_text(plan);
    match text.split_once(':') {
        Some((head, rest)) => format!("{}{rest}", style.paint(Paint::Bold, &format!("{head}:"))),
        None => text,
    }
}

fn render_drift(out: &mut String, drift: &[Change], style: Style) {
    out.push_str(&style.paint(Paint::Bold, "Note: Objects have changed outside of trellis"));
    out.push_str("\n\n");
    out.push_str(
        "trellis detected the following changes made outside of trellis since the last\n\
         \"trellis apply\" which may have affected this plan:\n",
    );
    for change in drift {
        out.push('\n');
        render_change(out, change, true, style);
    }
    out.push('\n');
    out.push_str(
        "Unless you have made equivalent changes to your configuration, or ignored the\n\
         relevant attributes using ignore_changes, the following plan may include actions\n\
         to undo or respond to these changes.\n",
    );
    out.push('\n');
    out.push_str(&"─".repeat(RULE_WIDTH));
    out.push_str("\n\n");
}

fn render_legend(out: &mut String, changes: &[&Change], style: Style) {
    let used = |a: Action| changes.iter().any(|c| c.action == a);
    let legend = [
        (Action::Create, Sym::Add, "create"),
        (Action::Update, Sym::Change, "update in-place"),
        (Action::Delete, Sym::Remove, "destroy"),
        (
            Action::DeleteThenCreate,
            Sym::DeleteThenCreate,
            "destroy and then create replacement",
        ),
        (
            Action::CreateThenDelete,
            Sym::CreateThenDelete,
            "create replacement and then destroy",
        ),
        (Action::Read, Sym::Read, "read (data resources)"),
    ];
    let entries: Vec<_> = legend.iter().filter(|(a, ..)| used(*a)).collect();
    if entries.is_empty() {
        return;
    }
    out.push_str(
        "trellis used the selected providers to generate the following execution plan.\n\
         Resource actions are indicated with the following symbols:\n",
    );
    for (_, sym, text) in entries {
        let plain = sym_width(*sym);
        let _ = writeln!(
            out,
            "{}{} {text}",
            " ".repeat(3 - plain),
            sym.painted(style)
        );
    }
    out.push('\n');
}

fn sym_width(sym: Sym) -> usize {
    match sym {
        Sym::DeleteThenCreate | Sym::CreateThenDelete => 3,
        Sym::Read => 2,
        _ => 1,
    }
}

/// The comment lines above a resource block, without the leading `  # `.
pub(crate) fn headings(change: &Change, drift: bool) -> Vec<String> {
    let addr = match change.deposed() {
        Some(key) => format!("{} (deposed object {key})", change.address),
        None => change.address.to_string(),
    };
    let mut lines = Vec::new();
    if drift {
        lines.push(match change.action {
            Action::Delete => format!("{addr} has been deleted"),
            Action::Create => format!("{addr} has been created"),
            _ => format!("{addr} has changed"),
        });
        return lines;
    }
    let main = match change.action {
        Action::Create => format!("{addr} will be created"),
        Action::Read => format!("{addr} will be read during apply"),
        Action::Update => format!("{addr} will be updated in-place"),
        Action::DeleteThenCreate | Action::CreateThenDelete => match &change.reason {
            Some(Reason::ReplaceByRequest) => format!("{addr} will be replaced, as requested"),
            Some(Reason::ReplaceByTriggers { .. }) => {
                format!("{addr} will be replaced due to changes in replace_triggered_by")
            }
            _ => format!("{addr} must be replaced"),
        },
        Action::Delete => format!("{addr} will be destroyed"),
        Action::Forget => format!("{addr} will no longer be managed by trellis"),
        Action::NoOp => match (&change.moved_from, &change.importing) {
            (_, Some(_)) => format!("{addr} will be imported"),
            (Some(from), None) => format!("{from} has moved to {addr}"),
            (None, None) if change.adopted => format!("{addr} will be adopted"),
            (None, None) => format!("{addr} is unchanged"),
        },
    };
    lines.push(main);
    if let Some(from) = &change.moved_from {
        if change.action != Action::NoOp || change.importing.is_some() {
            lines.push(format!("(moved from {from})"));
        }
    }
    if let Some(id) = &change.importing {
        if change.action != Action::NoOp {
            lines.push(format!("(imported from {})", crate::diff::quote(id)));
        } else {
            lines.push(format!("(import ID {})", crate::diff::quote(id)));
        }
    }
    if change.adopted {
        lines.push("(created by an earlier apply that did not finish; it will be recorded)".into());
    }
    if change.action == Action::Forget {
        lines.push(
            "(a removed block says destroy = false: the object stays, only its record goes)".into(),
        );
    }
    if let Some(reason) = &change.reason {
        match reason {
            Reason::DeleteBecauseNoResourceConfig => {
                lines.push(format!("(because {addr} is not in configuration)"));
            }
            Reason::DeleteBecauseCountIndex => {
                let key = change.address.key.as_ref().map(ToString::to_string);
                lines.push(format!(
                    "(because index {} is out of range for count)",
                    key.unwrap_or_default()
                ));
            }
            Reason::DeleteBecauseEachKey => {
                let key = match &change.address.key {
                    Some(k @ InstanceKey::Str(_)) => k.to_string(),
                    Some(k) => k.to_string(),
                    None => String::new(),
                };
                lines.push(format!("(because key {key} is not in for_each map)"));
            }
            Reason::DeleteBecauseNoModule => {
                lines.push(format!(
                    "(because {} is not in configuration)",
                    change.address.module_path()
                ));
            }
            Reason::ReadBecauseDependencyPending => {
                lines.push("(depends on a resource or a module with changes pending)".into());
            }
            Reason::DeleteBecauseDeposed { .. } => {
                lines.push(
                    "(left over from a partially-failed replacement of this instance)".into(),
                );
            }
            Reason::ReplaceByTriggers { triggers } if !triggers.is_empty() => {
                lines.push(format!("(triggered by {})", triggers.join(", ")));
            }
            _ => {}
        }
    }
    if let Some(location) = &change.location {
        lines.push(format!("(in {location})"));
    }
    lines
}

/// One resource instance: its headings and its attribute diff.
pub(crate) fn render_change(out: &mut String, change: &Change, drift: bool, style: Style) {
    for (i, heading) in headings(change, drift).iter().enumerate() {
        let text = format!("# {heading}");
        if i == 0 {
            let _ = writeln!(out, "  {}", style.paint(Paint::Bold, &text));
        } else {
            let _ = writeln!(out, "  {text}");
        }
    }
    let lines = change_lines(change);
    write_lines(out, &lines, Layout::Diff, style);
}

/// The attribute diff of one change, as lines.
pub(crate) fn change_lines(change: &Change) -> Vec<crate::diff::Line> {
    let sym = match change.action {
        Action::Create => Sym::Add,
        Action::Read => Sym::Read,
        Action::Update => Sym::Change,
        Action::DeleteThenCreate => Sym::DeleteThenCreate,
        Action::CreateThenDelete => Sym::CreateThenDelete,
        Action::Delete => Sym::Remove,
        Action::NoOp | Action::Forget => Sym::Keep,
    };
    let null = Value::Null;
    let before = match change.action {
        Action::Create | Action::Read => &null,
        _ => change.before.as_ref().unwrap_or(&null),
    };
    let after = match change.action {
        Action::Delete => &null,
        // The object is left as it is: shown unchanged.
        Action::Forget => before,
        _ => change.after.as_ref().unwrap_or(&null),
    };
    let mut differ = Differ::new(
        &change.before_sensitive,
        &change.after_sensitive,
        &change.replace_paths,
    );
    let keyword = match change.address.mode {
        Mode::Managed => "resource",
        Mode::Data => "data",
    };
    differ.open(
        0,
        sym,
        format!(
            "{keyword} {} {} {{",
            crate::diff::quote(&change.type_name),
            crate::diff::quote(&change.address.name)
        ),
    );
    differ.object_body(1, &At::root(), before, after, "attribute", &["id", "name"]);
    differ.push(0, Sym::Keep, "}");
    differ.lines
}

fn render_output_changes(out: &mut String, outputs: &[&OutputChange], style: Style) {
    let width = outputs
        .iter()
        .map(|o| crate::diff::key_text(&o.name).chars().count())
        .max()
        .unwrap_or(0);
    let sensitive: Vec<Path> = outputs
        .iter()
        .filter(|o| o.sensitive)
        .map(|o| Path::from_keys([o.name.as_str()]))
        .collect();
    let mut differ = Differ::new(&sensitive, &sensitive, &[]);
    differ.blocks = false;
    let null = Value::Null;
    for o in outputs {
        let before = match o.action {
            Action::Create => &null,
            _ => o.before.as_ref().unwrap_or(&null),
        };
        let after = match o.action {
            Action::Delete => &null,
            _ => o.after.as_ref().unwrap_or(&null),
        };
        let head = format!("{:<width$} = ", crate::diff::key_text(&o.name));
        differ.attribute(0, &At::root().key(&o.name), head, before, after);
    }
    write_lines(out, &differ.lines, Layout::Diff, style);
}

/// The planner's warnings, then the mesh checks' findings.
fn render_warnings(out: &mut String, plan: &Plan, analysis: &Analysis, style: Style) {
    for warning in &plan.warnings {
        out.push('\n');
        out.push_str(&render_diagnostic(warning, &SourceMap::new(), style));
    }
    crate::connectivity::render_human_findings(out, analysis, style);
}
