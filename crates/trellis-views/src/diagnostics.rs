//! Diagnostics for people: the summary, where it is, the source with the span underlined,
//! and the detail.

use std::fmt::Write as _;

use trellis_types::{Diagnostic, Diagnostics, Severity, SourceFile, SourceMap};

use crate::style::{Paint, Style};

/// The most lines of a multi-line span that a snippet shows.
const MAX_SNIPPET_LINES: usize = 3;

/// Renders every diagnostic, in order, separated by blank lines:
///
/// ```text
/// Error: unsupported argument
///
///   on main.tf line 3, in resource "aws_vpclattice_service" "orders":
///    3:   nmae = "orders"
///         ^^^^
///
/// An argument named "nmae" is not expected here. Did you mean "name"?
/// ```
///
/// A diagnostic whose file is not in `sources` is shown without the snippet.
pub fn render_diagnostics(diags: &Diagnostics, sources: &SourceMap, style: Style) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&render_diagnostic(d, sources, style));
    }
    out
}

/// Renders one diagnostic (see [`render_diagnostics`]). The text ends with a newline.
pub fn render_diagnostic(d: &Diagnostic, sources: &SourceMap, style: Style) -> String {
    let mut out = String::new();
    let (label, paint) = match d.severity {
        Severity::Error => ("Error:", Paint::BoldRed),
        Severity::Warning => ("Warning:", Paint::BoldYellow),
    };
    let _ = writeln!(
        out,
        "{} {}",
        style.paint(paint, label),
        style.paint(Paint::Bold, &d.summary)
    );
    let mut context = String::new();
    if let Some(address) = &d.address {
        let _ = writeln!(context, "  with {address},");
    }
    if let Some(span) = &d.span {
        let file = sources.get(&span.file);
        let snippet = file.map(|f| Snippet::new(f, span.start, span.end, span.line, span.column));
        let _ = write!(
            context,
            "  on {} line {}, column {}",
            span.file, span.line, span.column
        );
        if let Some(block) = snippet.as_ref().and_then(|s| s.enclosing_block(file?)) {
            let _ = write!(context, ", in {block}");
        }
        context.push_str(":\n");
        if let (Some(snippet), Some(file)) = (snippet, file) {
            snippet.write(&mut context, file, d.severity, style);
        }
    }
    if !context.is_empty() {
        out.push('\n');
        out.push_str(&context);
    }
    if let Some(detail) = d.detail.as_deref().filter(|t| !t.trim().is_empty()) {
        out.push('\n');
        out.push_str(detail.trim_end());
        out.push('\n');
    }
    out
}

/// One line, compiler style: `main.tf:3:10: error: summary` (no position when there is no
/// span; the address in parentheses when there is one).
pub fn render_diagnostic_short(d: &Diagnostic) -> String {
    d.to_string()
}

/// The part of a source file that a span covers.
struct Snippet {
    start_line: usize,
    start_col: usize,
    end_line: usize,
    end_col: usize,
}

impl Snippet {
    fn new(file: &SourceFile, start: usize, end: usize, line: usize, column: usize) -> Snippet {
        let len = file.text.len();
        if start > len || !file.text.is_char_boundary(start) {
            // The span does not fit this text: trust its line and column.
            return Snippet {
                start_line: line,
                start_col: column,
                end_line: line,
                end_col: column + 1,
            };
        }
        let end = end.clamp(start, len);
        let (start_line, start_col) = file.line_column(start);
        let (mut end_line, mut end_col) = file.line_column(end);
        // A span that ends just after a newline ends on the line before.
        if end_line > start_line && end_col == 1 {
            end_line -= 1;
            end_col = file
                .line_text(end_line)
                .map_or(1, |t| t.chars().count() + 1);
        }
        Snippet {
            start_line,
            start_col,
            end_line,
            end_col,
        }
    }

    /// The heading of the top-level block the span is in (`resource "aws_x" "y"`).
    fn enclosing_block(&self, file: &SourceFile) -> Option<String> {
        const KEYWORDS: [&str; 11] = [
            "resource",
            "data",
            "module",
            "provider",
            "variable",
            "output",
            "locals",
            "terraform",
            "moved",
            "import",
            "check",
        ];
        for line in (1..=self.start_line).rev() {
            let text = file.line_text(line)?;
            if text.starts_with(char::is_whitespace) || text.is_empty() {
                continue;
            }
            let word = text
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .next()?;
            if KEYWORDS.contains(&word) {
                let head = text.split('{').next().unwrap_or(text).trim();
                return Some(head.to_string());
            }
            if line < self.start_line && text.starts_with('}') {
                return None;
            }
        }
        None
    }

    fn write(&self, out: &mut String, file: &SourceFile, severity: Severity, style: Style) {
        let last = self.end_line.min(self.start_line + MAX_SNIPPET_LINES - 1);
        let width = last.to_string().len().max(4);
        let caret_paint = match severity {
            Severity::Error => Paint::Red,
            Severity::Warning => Paint::Yellow,
        };
        for line in self.start_line..=last {
            let Some(text) = file.line_text(line) else {
                break;
            };
            let _ = writeln!(out, "{line:>width$}: {text}");
            if line == self.start_line {
                // Pad with what the terminal shows before the span: tabs stay tabs, wide
                // characters take two columns.
                let skip = self.start_col.saturating_sub(1);
                let before: String = text
                    .chars()
                    .take(skip)
                    .map(|c| match c {
                        '\t' => "\t",
                        c if is_wide(c) => "  ",
                        _ => " ",
                    })
                    .collect();
                let take = if self.end_line == self.start_line {
                    self.end_col.saturating_sub(self.start_col)
                } else {
                    usize::MAX
                };
                let carets = text
                    .chars()
                    .skip(skip)
                    .take(take)
                    .map(|c| if is_wide(c) { 2 } else { 1 })
                    .sum::<usize>()
                    .max(1);
                let _ = writeln!(
                    out,
                    "{}  {before}{}",
                    " ".repeat(width),
                    style.paint(caret_paint, &"^".repeat(carets))
                );
            }
        }
        if self.end_line > last {
            let _ = writeln!(out, "{}  ...", " ".repeat(width));
        }
        // Trailing whitespace would make snapshots fragile.
        let trimmed: Vec<&str> = out.lines().map(str::trim_end).collect();
        let mut joined = trimmed.join("\n");
        joined.push('\n');
        *out = joined;
    }
}

/// Whether a character takes two terminal columns (CJK, Hangul, full-width forms, emoji).
fn is_wide(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD
    )
}
