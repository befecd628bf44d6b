//! The mesh's connectivity changes and safety checks (from `trellis-mesh`) in each form:
//! human, markdown and JSON.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};
use trellis_mesh::{Access, Analysis, Finding, RouteChange, RouteChangeKind};
use trellis_types::{Diagnostic, SourceMap};

use crate::diagnostics::render_diagnostic;
use crate::style::{Paint, Style};

/// A finding as a warning diagnostic, for the human view.
pub(crate) fn finding_diagnostic(f: &Finding) -> Diagnostic {
    Diagnostic::warning(f.summary.clone())
        .with_detail(f.detail.clone())
        .with_address(f.address.clone())
}

/// The mesh safety checks of `plan` as warning diagnostics: what `trellis validate` prints
/// for the plan of everything the configuration declares.
pub fn mesh_warnings(plan: &trellis_plan::Plan) -> Vec<Diagnostic> {
    trellis_mesh::analyze(plan)
        .findings
        .iter()
        .map(finding_diagnostic)
        .collect()
}

/// The human view's section: one heading per network, one line per pair.
pub(crate) fn render_human(out: &mut String, analysis: &Analysis, style: Style) {
    if analysis.changes.is_empty() {
        return;
    }
    out.push('\n');
    out.push_str(&style.paint(Paint::Bold, "Connectivity changes:"));
    out.push('\n');
    for (network, changes) in analysis.changes_by_network() {
        let _ = writeln!(out, "  service network {}", network.display());
        for c in changes {
            let paint = match c.kind {
                RouteChangeKind::Added => Paint::Green,
                RouteChangeKind::Removed => Paint::Red,
                RouteChangeKind::AccessChanged => Paint::Yellow,
            };
            let line = c.line();
            let (sym, rest) = line.split_at(1);
            let _ = writeln!(out, "    {}{rest}", style.paint(paint, sym));
        }
    }
    if analysis.unresolved > 0 {
        let _ = writeln!(out, "  ({})", unresolved_note(analysis.unresolved));
    }
}

pub(crate) fn render_human_findings(out: &mut String, analysis: &Analysis, style: Style) {
    for f in &analysis.findings {
        out.push('\n');
        out.push_str(&render_diagnostic(
            &finding_diagnostic(f),
            &SourceMap::new(),
            style,
        ));
    }
}

fn unresolved_note(n: usize) -> String {
    format!(
        "{n} Lattice reference{} could not be resolved to an object; pairs through {} are not shown",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" }
    )
}

/// The markdown warning block of the findings (a GitHub `[!CAUTION]` alert).
pub(crate) fn markdown_findings(analysis: &Analysis) -> String {
    if analysis.findings.is_empty() {
        return String::new();
    }
    let n = analysis.findings.len();
    let mut s = format!(
        "\n> [!CAUTION]\n> **Mesh checks: {n} problem{} in the planned mesh**\n>\n",
        if n == 1 { "" } else { "s" }
    );
    for f in &analysis.findings {
        let _ = writeln!(
            s,
            "> - **{}** (`{}`): {}",
            crate::markdown::escape_html(&f.summary),
            f.address,
            crate::markdown::escape_html(&f.detail)
        );
    }
    s
}

/// The markdown connectivity section, with at most `budget` bytes of pair lines; pairs past
/// the budget are counted.
pub(crate) fn markdown_changes(analysis: &Analysis, budget: usize) -> String {
    if analysis.changes.is_empty() {
        return String::new();
    }
    let (added, removed, changed) = counts(&analysis.changes);
    let mut parts = Vec::new();
    if added > 0 {
        parts.push(format!("{added} new"));
    }
    if removed > 0 {
        parts.push(format!("{removed} removed"));
    }
    if changed > 0 {
        parts.push(format!("{changed} with changed access"));
    }
    let mut s = format!(
        "\n### Connectivity changes\n\nWho can reach whom through VPC Lattice: {} client → \
         service pair{} ({}).\n",
        analysis.changes.len(),
        if analysis.changes.len() == 1 { "" } else { "s" },
        parts.join(", ")
    );
    let mut used = 0;
    let mut left_out = 0;
    for (network, changes) in analysis.changes_by_network() {
        let mut block = format!(
            "\nService network **{}**\n\n```diff\n",
            crate::markdown::escape_html(&network.display())
        );
        let mut any = false;
        for c in changes {
            let line = markdown_line(c);
            if left_out > 0 || used + block.len() + line.len() + 8 > budget {
                left_out += 1;
                continue;
            }
            used += line.len();
            block.push_str(&line);
            any = true;
        }
        block.push_str("```\n");
        if any {
            used += block.len();
            s.push_str(&block);
        }
    }
    if left_out > 0 {
        let _ = write!(
            s,
            "\n_{left_out} more pair{} left out to stay under GitHub's comment size limit; \
             `trellis show -json PLANFILE` lists them all under `connectivity`._\n",
            if left_out == 1 { " was" } else { "s were" }
        );
    }
    if analysis.unresolved > 0 {
        let _ = writeln!(s, "\n_{}._", unresolved_note(analysis.unresolved));
    }
    s
}

fn counts(changes: &[RouteChange]) -> (usize, usize, usize) {
    let count = |k| changes.iter().filter(|c| c.kind == k).count();
    (
        count(RouteChangeKind::Added),
        count(RouteChangeKind::Removed),
        count(RouteChangeKind::AccessChanged),
    )
}

/// A pair as a diff line GitHub colours: `+` green, `-` red, `!` for a changed gate.
fn markdown_line(c: &RouteChange) -> String {
    let line = c.line();
    match c.kind {
        RouteChangeKind::AccessChanged => format!("!{}\n", &line[1..]),
        _ => format!("{line}\n"),
    }
}

fn access_json(access: &Access) -> Json {
    json!({
        "network": access.network,
        "service": access.service,
        "description": access.describe(),
    })
}

/// The `connectivity` section of the plan JSON.
pub(crate) fn json_section(analysis: &Analysis) -> Json {
    let reachable: Vec<Json> = analysis
        .reachable
        .iter()
        .map(|r| {
            json!({
                "network": r.network,
                "client": r.client,
                "server": r.server,
                "access": access_json(&r.access),
            })
        })
        .collect();
    let changes: Vec<Json> = analysis
        .changes
        .iter()
        .map(|c| {
            let mut obj = json!({
                "change": c.kind,
                "network": c.network,
                "client": c.client,
                "server": c.server,
            });
            if let Some(a) = &c.access_before {
                obj["access_before"] = access_json(a);
            }
            if let Some(a) = &c.access_after {
                obj["access_after"] = access_json(a);
            }
            obj
        })
        .collect();
    let warnings: Vec<Json> = analysis
        .findings
        .iter()
        .map(|f| {
            json!({
                "code": f.kind.code(),
                "severity": "warning",
                "address": f.address,
                "summary": f.summary,
                "detail": f.detail,
            })
        })
        .collect();
    json!({
        "reachable": reachable,
        "changes": changes,
        "warnings": warnings,
        "unresolved_references": analysis.unresolved,
    })
}
