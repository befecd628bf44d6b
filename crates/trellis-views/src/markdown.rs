//! The plan as a pull-request comment (GitHub-flavoured markdown).

use std::fmt::Write as _;

use trellis_mesh::Analysis;
use trellis_plan::{Action, Change, Plan, Reason};

use crate::diff::{write_lines, Layout};
use crate::plan::{change_lines, headings, summary_text};
use crate::style::Style;

/// GitHub rejects comments over 65,536 characters; stay under with room for a wrapper.
pub const MARKDOWN_LIMIT: usize = 65_000;

/// The most the destroy and replace warning may take; past it, the rest is counted.
const DESTRUCTIVE_BUDGET: usize = 20_000;
/// The most the table of changes per account and region may take.
const LOCATIONS_BUDGET: usize = 5_000;
/// The most the import and move lists may take.
const IMPORTS_MOVES_BUDGET: usize = 5_000;
/// The most the mesh checks' warning may take.
const FINDINGS_BUDGET: usize = 10_000;
/// The most the connectivity changes may take.
const CONNECTIVITY_BUDGET: usize = 15_000;
/// The most the planner's warnings may take.
const NOTES_BUDGET: usize = 4_000;
/// Room kept for the notes that say what was left out.
const NOTE_RESERVE: usize = 3_000;

/// Renders a plan as a pull-request comment, in this order:
///
/// 1. the summary line (`Plan: 2 to add, 1 to change, 1 to destroy, 1 to import.`), then,
///    when the providers say where their changes land, the same counts per account and
///    region in a table (a reviewer of a mesh across accounts sees at once which accounts
///    a pull request touches);
/// 2. the imports and moves, one line each, with their account and region;
/// 3. a `[!WARNING]` block listing every destroy and replace with its account and region
///    and its reason;
/// 4. a `[!CAUTION]` block with the mesh checks' findings (see `trellis-mesh`);
/// 5. the connectivity changes: client VPC → service pairs that appear, disappear or change
///    their IAM gate, per service network, in `diff` blocks;
/// 6. one collapsible `<details>` section per resource (its title says the account and
///    region) with its attribute diff in a `diff` code block (GitHub colours `+` green, `-` red and `!` for in-place changes; policy
///    JSON is shown as a line diff), drift first and output changes last;
/// 7. the planner's warnings.
///
/// The result never exceeds [`MARKDOWN_LIMIT`] bytes (so never that many characters):
/// when it would, the resource sections are shortened from the end, and the left-out
/// resources are listed by their one-line heading (as many as fit, the rest counted). Parts
/// 1 to 5 are never dropped; each has a generous budget (a plan with thousands of destroys
/// would otherwise fill the comment) past which its remaining entries are counted with a
/// pointer to `trellis show`. Sensitive values are redacted as in the human view.
pub fn render_plan_markdown(plan: &Plan) -> String {
    let analysis = trellis_mesh::analyze(plan);
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| c.has_work()).collect();
    let mut head = String::new();
    let no_changes = changes.is_empty() && plan.outputs.iter().all(|o| o.action == Action::NoOp);
    if no_changes {
        head.push_str("**No changes.** Your infrastructure matches the configuration.\n");
    } else {
        let _ = writeln!(head, "**{}**", summary_text(plan));
        head.push_str(&locations_table(plan));
    }
    head.push_str(&imports_and_moves(&changes));
    head.push_str(&destructive_warning(&changes));
    head.push_str(&capped(
        crate::connectivity::markdown_findings(&analysis),
        FINDINGS_BUDGET,
    ));
    head.push_str(&crate::connectivity::markdown_changes(
        &analysis,
        CONNECTIVITY_BUDGET,
    ));

    // Each section is rendered only when it is reached while the comment still has room:
    // past the first section that does not fit, only the names of the rest are needed (for
    // the left-out note), and a plan of thousands of resources keeps a few dozen.
    let mut sections: Vec<(String, Section)> = Vec::new();
    if !plan.drift.is_empty() {
        let mut body = String::new();
        for (i, c) in plan.drift.iter().enumerate() {
            if i > 0 {
                body.push('\n');
            }
            diff_block(&mut body, c, true);
        }
        sections.push((
            "Objects changed outside of trellis".to_string(),
            Section::Text(details("Objects changed outside of trellis", &body)),
        ));
    }
    if !changes.is_empty() {
        sections.push((
            String::new(),
            Section::Text("\n### Resource changes\n".to_string()),
        ));
    }
    for c in &changes {
        let mut lines = headings(c, false);
        lines.truncate(1);
        let name = lines.pop().unwrap_or_default();
        sections.push((name, Section::Change(c)));
    }
    let outputs = output_changes(plan, &analysis);
    if !outputs.is_empty() {
        sections.push(("Changes to outputs".to_string(), Section::Text(outputs)));
    }

    let mut tail = String::new();
    for w in &plan.warnings {
        let mut note = format!("\n> [!NOTE]\n> **Warning:** {}", escape_html(&w.summary));
        if let Some(address) = &w.address {
            let _ = write!(note, " (`{address}`)");
        }
        note.push('\n');
        if tail.len() + note.len() > NOTES_BUDGET {
            tail.push_str("\n_More warnings were left out; `trellis plan` shows them all._\n");
            break;
        }
        tail.push_str(&note);
    }

    let mut out = head;
    let budget = MARKDOWN_LIMIT.saturating_sub(out.len() + tail.len() + NOTE_RESERVE);
    let mut used = 0;
    let mut left_out: Vec<&str> = Vec::new();
    for (name, section) in &sections {
        if left_out.is_empty() {
            let text = section.render();
            if used + text.len() <= budget {
                used += text.len();
                out.push_str(&text);
                continue;
            }
        }
        if !name.is_empty() {
            left_out.push(name);
        }
    }
    if !left_out.is_empty() {
        out.push_str(&left_out_note(&left_out));
    }
    out.push_str(&tail);
    debug_assert!(out.len() <= MARKDOWN_LIMIT, "{}", out.len());
    out
}

/// A part of the comment after the head: ready text, or one resource's section, rendered
/// when [`render_plan_markdown`] reaches it.
enum Section<'a> {
    Text(String),
    Change(&'a Change),
}

impl Section<'_> {
    fn render(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Section::Text(text) => std::borrow::Cow::Borrowed(text),
            Section::Change(c) => {
                let title = headings(c, false).join(" ");
                let mut body = String::new();
                diff_block(&mut body, c, false);
                std::borrow::Cow::Owned(details(&title, &body))
            }
        }
    }
}

/// `text`, or its first lines within `budget` and a note saying how much was left out.
fn capped(text: String, budget: usize) -> String {
    if text.len() <= budget {
        return text;
    }
    let mut out = String::new();
    let mut dropped = 0;
    for line in text.split_inclusive('\n') {
        if dropped == 0 && out.len() + line.len() <= budget {
            out.push_str(line);
        } else {
            dropped += 1;
        }
    }
    let _ = writeln!(
        out,
        ">\n> _… {dropped} more line{} left out; `trellis show PLANFILE` has them all._",
        if dropped == 1 { "" } else { "s" }
    );
    out
}

/// The plan's counts per account and region, as a table; nothing when no provider said
/// where its changes land.
fn locations_table(plan: &Plan) -> String {
    let by = plan.summary_by_location();
    if by.iter().all(|(location, _)| location.is_none()) {
        return String::new();
    }
    let imports = by.iter().any(|(_, s)| s.import > 0);
    let moves = by.iter().any(|(_, s)| s.moved > 0);
    let mut s = String::from("\n| account | region | to add | to change | to destroy |");
    let mut rule = String::from("| --- | --- | ---: | ---: | ---: |");
    if imports {
        s.push_str(" to import |");
        rule.push_str(" ---: |");
    }
    if moves {
        s.push_str(" to move |");
        rule.push_str(" ---: |");
    }
    let _ = writeln!(s, "\n{rule}");
    let unknown = "(not known)";
    let mut dropped = 0;
    for (location, counts) in &by {
        let account = location.as_ref().and_then(|l| l.account.as_deref());
        let region = location.as_ref().and_then(|l| l.region.as_deref());
        let mut row = format!(
            "| {} | {} | {} | {} | {} |",
            account.map_or(unknown.to_string(), |a| format!(
                "`{}`",
                a.replace('`', "'")
            )),
            region.map_or(unknown.to_string(), escape_table),
            counts.add,
            counts.change,
            counts.destroy
        );
        if imports {
            let _ = write!(row, " {} |", counts.import);
        }
        if moves {
            let _ = write!(row, " {} |", counts.moved);
        }
        row.push('\n');
        if dropped == 0 && s.len() + row.len() <= LOCATIONS_BUDGET {
            s.push_str(&row);
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 {
        let _ = writeln!(
            s,
            "\n_… and {dropped} more account{} and regions; `trellis show PLANFILE` has them all._",
            if dropped == 1 { "" } else { "s" }
        );
    }
    s
}

/// A table cell's text: pipes escaped, no line breaks, HTML escaped.
fn escape_table(text: &str) -> String {
    escape_html(text).replace('|', "\\|").replace('\n', " ")
}

/// ` in account 1111, us-east-1`, or nothing when the change's provider did not say.
fn location_suffix(c: &Change) -> String {
    match &c.location {
        Some(location) if !location.is_empty() => {
            format!(" in {}", escape_html(&location.to_string()))
        }
        _ => String::new(),
    }
}

fn imports_and_moves(changes: &[&Change]) -> String {
    let mut lines = Vec::new();
    for c in changes {
        if let Some(id) = &c.importing {
            lines.push(format!(
                "- `{}` will be imported (import ID `{}`){}\n",
                c.address,
                id.replace('`', "'"),
                location_suffix(c)
            ));
        }
        if let Some(from) = &c.moved_from {
            lines.push(format!(
                "- `{from}` has moved to `{}`{}\n",
                c.address,
                location_suffix(c)
            ));
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n");
    let mut dropped = 0;
    for line in &lines {
        if dropped == 0 && s.len() + line.len() <= IMPORTS_MOVES_BUDGET {
            s.push_str(line);
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 {
        let _ = writeln!(s, "- … and {dropped} more imports or moves");
    }
    s
}

fn destructive_warning(changes: &[&Change]) -> String {
    let destructive: Vec<&&Change> = changes
        .iter()
        .filter(|c| c.action == Action::Delete || c.action.is_replace())
        .collect();
    if destructive.is_empty() {
        return String::new();
    }
    let (destroys, replaces) = destructive.iter().fold((0, 0), |(d, r), c| {
        if c.action == Action::Delete {
            (d + 1, r)
        } else {
            (d, r + 1)
        }
    });
    let mut what = Vec::new();
    if destroys > 0 {
        what.push(format!(
            "destroys {destroys} resource{}",
            if destroys == 1 { "" } else { "s" }
        ));
    }
    if replaces > 0 {
        what.push(format!("replaces {replaces}"));
    }
    let mut s = format!(
        "\n> [!WARNING]\n> **This plan {}:**\n>\n",
        what.join(" and ")
    );
    let mut dropped = 0;
    for c in destructive {
        let verb = if c.action == Action::Delete {
            "destroyed"
        } else {
            "replaced"
        };
        let mut line = format!("> - `{}` will be {verb}{}", c.address, location_suffix(c));
        if let Some(why) = reason_text(c) {
            let _ = write!(line, " ({why})");
        }
        line.push('\n');
        if dropped == 0 && s.len() + line.len() <= DESTRUCTIVE_BUDGET {
            s.push_str(&line);
        } else {
            dropped += 1;
        }
    }
    if dropped > 0 {
        let _ = writeln!(
            s,
            "> - … and {dropped} more; `trellis show PLANFILE` lists them all"
        );
    }
    s
}

/// One collapsible section with a `diff` code block.
fn details(title: &str, body: &str) -> String {
    let fence = fence_for(body);
    format!(
        "\n<details><summary>{}</summary>\n\n{fence}diff\n{body}{fence}\n\n</details>\n",
        escape_html(title)
    )
}

/// A code fence longer than any run of backticks in `body`, so that a value holding
/// backticks cannot end the block early.
fn fence_for(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        if ch == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Lists the left-out resources by heading, as many as fit in the reserve.
fn left_out_note(left_out: &[&str]) -> String {
    let n = left_out.len();
    let mut s = format!(
        "\n<details><summary>{n} section{} left out to stay under GitHub's comment size \
         limit</summary>\n\nRun `trellis show PLANFILE` to see {}.\n\n",
        if n == 1 { " was" } else { "s were" },
        if n == 1 { "it" } else { "them" }
    );
    let mut listed = 0;
    for name in left_out {
        let line = format!("- {}\n", escape_html(name));
        if s.len() + line.len() > NOTE_RESERVE - 200 {
            break;
        }
        s.push_str(&line);
        listed += 1;
    }
    if listed < n {
        let _ = writeln!(s, "- … and {} more", n - listed);
    }
    s.push_str("\n</details>\n");
    s
}

fn output_changes(plan: &Plan, analysis: &Analysis) -> String {
    if plan.outputs.iter().all(|o| o.action == Action::NoOp) {
        return String::new();
    }
    let text = crate::plan::render_plan_with(
        &Plan {
            changes: Vec::new(),
            drift: Vec::new(),
            warnings: Vec::new(),
            ..plan.clone()
        },
        &Analysis {
            findings: Vec::new(),
            changes: Vec::new(),
            ..analysis.clone()
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
    let fence = fence_for(&body);
    format!("\n**Changes to outputs:**\n\n{fence}diff\n{body}{fence}\n")
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
        Reason::DeleteBecauseNoModule => "module instance not in configuration".to_string(),
        Reason::DeleteBecauseDestroy => "destroy requested".to_string(),
        Reason::DeleteBecauseDeposed { key } => {
            format!("deposed object `{key}`, left over from a partially-failed replacement")
        }
        Reason::ReadBecauseDependencyPending => return None,
    })
}

pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
