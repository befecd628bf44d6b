//! Collecting diagnostics while walking one file, and rendering them as plain text.

use std::ops::Range;

use trellis_types::{Diagnostic, Diagnostics, Severity, SourceFile, Span};

/// The file being read and the diagnostics found so far.
pub(crate) struct FileCx<'a> {
    pub file: &'a SourceFile,
    pub diags: &'a mut Diagnostics,
}

impl FileCx<'_> {
    /// The span of a byte range; a missing range (an item built without a parser) points at
    /// the start of the file rather than nowhere.
    pub fn span(&self, range: Option<Range<usize>>) -> Span {
        let range = range.unwrap_or(0..0);
        self.file.span(range.start, range.end)
    }

    /// The span of anything hcl-edit gives a byte range for.
    pub fn span_of(&self, item: &impl hcl_edit::Span) -> Span {
        self.span(item.span())
    }

    pub fn error(&mut self, summary: impl Into<String>, span: Span) {
        self.diags
            .push(Diagnostic::error(summary).with_span(Some(span)));
    }

    pub fn error_with(
        &mut self,
        summary: impl Into<String>,
        detail: impl Into<String>,
        span: Span,
    ) {
        self.diags.push(
            Diagnostic::error(summary)
                .with_detail(detail)
                .with_span(Some(span)),
        );
    }

    pub fn warning_with(
        &mut self,
        summary: impl Into<String>,
        detail: impl Into<String>,
        span: Span,
    ) {
        self.diags.push(
            Diagnostic::warning(summary)
                .with_detail(detail)
                .with_span(Some(span)),
        );
    }
}

/// The closest of `candidates` to `name`, when it is close enough to be a plausible typo.
pub(crate) fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// "did you mean `x`?" for [`suggest`], as a detail line.
pub(crate) fn did_you_mean(name: &str, candidates: &[&str]) -> Option<String> {
    suggest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Renders diagnostics one per line as `file:line:col: error: summary`, each followed by
/// its detail lines indented by two spaces.
///
/// This is the plain form used by tests and logs; the views crate renders source snippets.
pub fn render_plain(diags: &Diagnostics) -> String {
    let mut out = String::new();
    for d in diags.iter() {
        if let Some(span) = &d.span {
            out.push_str(&format!("{span}: "));
        }
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!("{level}: {}\n", d.summary));
        if let Some(detail) = &d.detail {
            for line in detail.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    out
}
