//! Snapshots of diagnostics rendered with their source.

use trellis_types::{Diagnostic, Diagnostics, SourceFile, SourceMap};
use trellis_views::{render_diagnostic_short, render_diagnostics, Style};

const MAIN_TF: &str = r#"resource "aws_vpclattice_service" "orders" {
  nmae      = "orders"
  auth_type = "AWS_IAM"
}

# Ünïcödé comment — before a span on the same line
resource "aws_vpclattice_target_group" "tg" {
  config { port = "http" }
  tags = { "名前" = bad_ref }
}
"#;

fn sources() -> SourceMap {
    let mut map = SourceMap::new();
    map.add(SourceFile::new("main.tf", MAIN_TF));
    map.add(SourceFile::new("empty.tf", ""));
    map.add(SourceFile::new("eof.tf", "locals {\n  x = 1\n"));
    map
}

fn at(sources: &SourceMap, file: &str, needle: &str, len: usize) -> Diagnostic {
    let f = sources.get(file).unwrap();
    let start = f.text.find(needle).unwrap();
    Diagnostic::error("placeholder").with_span(Some(f.span(start, start + len)))
}

fn diags() -> Diagnostics {
    let map = sources();
    let mut ds = Diagnostics::new();

    let mut d = at(&map, "main.tf", "nmae", 4);
    d.summary = "unsupported argument".into();
    d.detail =
        Some("An argument named \"nmae\" is not expected here. Did you mean \"name\"?".into());
    ds.push(d);

    // Multi-line span: the whole first resource block.
    let f = map.get("main.tf").unwrap();
    let start = 0;
    let end = f.text.find("}\n").unwrap() + 2;
    ds.push(
        Diagnostic::error("missing required argument")
            .with_detail("The argument \"name\" is required, but no definition was found.")
            .with_span(Some(f.span(start, end)))
            .with_address("aws_vpclattice_service.orders"),
    );

    // Unicode before the span on the same line.
    let mut d = at(&map, "main.tf", "bad_ref", 7);
    d.summary = "reference to undeclared resource".into();
    d.severity = trellis_types::Severity::Error;
    ds.push(d);

    // A warning inside a nested block.
    let mut d = at(&map, "main.tf", "\"http\"", 6);
    d.summary = "port should be a number".into();
    d.severity = trellis_types::Severity::Warning;
    d.detail = Some("A string was given; it was converted.".into());
    ds.push(d);

    // A span at the very end of a file.
    let eof = map.get("eof.tf").unwrap();
    ds.push(
        Diagnostic::error("unclosed configuration block")
            .with_detail("There is no closing brace for this block before the end of the file.")
            .with_span(Some(eof.span(eof.text.len(), eof.text.len()))),
    );

    // A file with nothing in it, and a file not in the source map.
    let empty = map.get("empty.tf").unwrap();
    ds.push(Diagnostic::error("empty configuration file").with_span(Some(empty.span(0, 0))));
    ds.push(
        Diagnostic::error("file not loaded").with_span(Some(trellis_types::Span {
            file: "other.tf".into(),
            start: 10,
            end: 12,
            line: 2,
            column: 3,
        })),
    );

    // No span at all.
    ds.push(
        Diagnostic::error("no configuration files").with_detail("The directory has no .tf files."),
    );
    ds
}

#[test]
fn diagnostics_with_source_snippets() {
    let text = render_diagnostics(&diags(), &sources(), Style::PLAIN);
    insta::assert_snapshot!(text);
}

#[test]
fn short_form() {
    let lines: Vec<String> = diags().iter().map(render_diagnostic_short).collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn colour_marks_severity() {
    let text = render_diagnostics(&diags(), &sources(), Style::COLOR);
    assert!(text.contains("\x1b[1;31mError:\x1b[0m"));
    assert!(text.contains("\x1b[1;33mWarning:\x1b[0m"));
}
