//! The plan as a pull-request comment (GitHub-flavoured markdown).

use std::fmt::Write as _;

use trellis_plan::{Action, Change, Plan, Reason};

use crate::diff::{write_lines, Layout};
use crate::plan::{change_lines, headings, summary_text};
use crate::style::Style;

/// GitHub rejects comments over 65,536 characters; stay under with room for a wrapper.
pub const MARKDOWN_LIMIT: usize = 65_000;

/// Renders a plan as a pull-request comment: the summary line first, a warning listing every
/// destroy and replace with its reason, then one collapsible section per resource with its
/// diff in a `diff` code block (which GitHub colours), drift and output changes.
///
/// The result never exceeds [`MARKDOWN_LIMIT`] characters: when it would, resource
/// sections are left out from the end (never the summary or the warning) and a note says
/// how many. Sensitive values are redacted as in the human view.
pub fn render_plan_markdown(plan: &Plan) -> String {
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| c.has_work()).collect();
    let mut head = String::new();
    let no_changes = changes.is_empty() && plan.outputs.iter().all(|o| o.action == Action::NoOp);
    if no_changes {
        head.push_str("**No changes.** Your infrastructure matches the configuration.\n");
    } else {
        let _ = writeln!(head, "**{}**", summary_text(plan));
    }

    let destructive: Vec<&&Change> = changes
        .iter()
        .filter(|c| c.action == Action::Delete || c.action.is_replace())
        .collect();
    if !destructive.is_empty() {
        head.push_str("\n> [!WARNING]\n> **This plan destroys or replaces resources:**\n>\n");
        for c in destructive {
            let verb = if c.action == Action::Delete {
                "destroyed"
            } else {
                "replaced"
            };
            let _ = write!(head, "> - `{}` will be {verb}", c.address);
            if let Some(why) = reason_text(c) {
                let _ = write!(head, " ({why})");
            }
            head.push('\n');
        }
    }

    let mut sections: Vec<String> = Vec::new();
    if !plan.drift.is_empty() {
        let mut s = String::from(
            "\n<details><summary>Objects changed outside of trellis</summary>\n\n```diff\n",
        );
        for (i, c) in plan.drift.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            diff_block(&mut s, c, true);
        }
        s.push_str("```\n\n</details>\n");
        sections.push(s);
    }
    for c in &changes {
        let mut s = String::new();
        let title = headings(c, false).join(" ");
        let _ = write!(
            s,
            "\n<details><summary>{}</summary>\n\n```diff\n",
            escape_html(&title)
        );
        diff_block(&mut s, c, false);
        s.push_str("```\n\n</details>\n");
        sections.push(s);
    }
    let outputs: Vec<_> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    let mut tail = String::new();
    if !outputs.is_empty() {
        let text = crate::plan::render_plan(
            &Plan {
                changes: Vec::new(),
                drift: Vec::new(),
                warnings: Vec::new(),
                ..plan.clone()
            },
            Style::PLAIN,
        );
        let body: String = text
            .lines()
            .skip_while(|l| !l.starts_with("Changes to Outputs:"))
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| format!("{}\n", markdown_marker(l)))
            .collect();
        let _ = write!(tail, "\n**Changes to outputs:**\n\n```diff\n{body}```\n");
    }
    for w in &plan.warnings {
        let _ = write!(tail, "\n> [!NOTE]\n> **Warning:** {}", w.summary);
        if let Some(address) = &w.address {
            let _ = write!(tail, " (`{address}`)");
        }
        tail.push('\n');
    }

    let mut out = head;
    let budget = MARKDOWN_LIMIT.saturating_sub(out.len() + tail.len() + 200);
    let mut used = 0;
    let mut left_out = 0;
    for s in &sections {
        if left_out == 0 && used + s.len() <= budget {
            used += s.len();
            out.push_str(s);
        } else {
            left_out += 1;
        }
    }
    if left_out > 0 {
        let _ = write!(
            out,
            "\n_{left_out} resource diff{} left out to stay under GitHub's comment size limit; \
             run `trellis show` on the plan file to see them._\n",
            if left_out == 1 { " was" } else { "s were" }
        );
    }
    out.push_str(&tail);
    out
}

fn diff_block(out: &mut String, c: &Change, drift: bool) {
    for h in headings(c, drift) {
        let _ = writeln!(out, "  # {h}");
    }
    write_lines(out, &change_lines(c), Layout::Markdown, Style::PLAIN);
}

/// A human plan line turned into a markdown diff line (`  + x = 1` to `+ x = 1`).
fn markdown_marker(line: &str) -> String {
    let trimmed = line.trim_start();
    let marker = match trimmed.chars().next() {
        Some('+') => '+',
        Some('-') => '-',
        Some('~') => '!',
        _ => ' ',
    };
    let rest = if marker == ' ' {
        trimmed
    } else {
        trimmed[1..].trim_start()
    };
    format!("{marker} {rest}")
}

fn reason_text(c: &Change) -> Option<String> {
    Some(match c.reason.as_ref()? {
        Reason::ReplaceBecauseCannotUpdate => {
            let paths: Vec<String> = c.replace_paths.iter().map(|p| format!("`{p}`")).collect();
            if paths.is_empty() {
                "an attribute cannot be updated in place".to_string()
            } else {
                format!("cannot update {} in place", paths.join(", "))
            }
        }
        Reason::ReplaceByRequest => "replacement requested with -replace".to_string(),
        Reason::ReplaceByTriggers { triggers } => {
            format!("replace_triggered_by: {}", triggers.join(", "))
        }
        Reason::DeleteBecauseNoResourceConfig => "not in configuration".to_string(),
        Reason::DeleteBecauseCountIndex => "index out of range for count".to_string(),
        Reason::DeleteBecauseEachKey => "key not in for_each".to_string(),
        Reason::DeleteBecauseDestroy => "destroy requested".to_string(),
        Reason::ReadBecauseDependencyPending => return None,
    })
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
