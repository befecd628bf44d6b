//! `format_source` against `terraform fmt` style, pinned by snapshots, and its stability.

use trellis_config::format_source;

/// Formats `input`, checks that formatting the result changes nothing, and returns it.
fn fmt(input: &str) -> String {
    let once = format_source(input).unwrap_or_else(|e| panic!("{e}\n{input}"));
    let twice = format_source(&once).unwrap();
    assert_eq!(once, twice, "formatting is not idempotent");
    once
}

#[test]
fn aligns_equals_signs_in_attribute_groups() {
    insta::assert_snapshot!(fmt(r#"
resource "aws_vpclattice_service" "a" {
name = "a"
auth_type="AWS_IAM"
  custom_domain_name   =    "a.example.com"

  tags = {
      team = "platform"
      cost_center = "42"
  }
}
"#));
}

#[test]
fn indents_nested_blocks_and_multiline_values() {
    insta::assert_snapshot!(fmt(r#"
resource "aws_vpclattice_listener_rule" "r" {
match {
http_match {
dynamic "path_match" {
for_each = var.paths
content {
match { prefix = path_match.value }
}
}
}
}
action {
forward {
target_groups {
target_group_identifier = aws_vpclattice_target_group.tg.id
}
}
}
list = [
"a",
"b",
]
call = merge(
local.tags,
{ a = 1 },
)
}
"#));
}

#[test]
fn spaces_between_tokens() {
    insta::assert_snapshot!(fmt(r#"
locals {
  a = [ 1,2 , 3 ]
  b = { x=1 , y = 2 }
  c = var.list [ 0 ] . name
  d = ! var.enabled
  e = 1 - -2
  f = ( var.a+var.b ) * 3
  g = var.x==null ? "a":"b"
  h = [ for s in var.list : upper( s ) if s!="" ]
  i = { for k , v in var.map : k=>v... }
  j = "${ var.name }-${ upper( var.env ) }"
  k = max( var.numbers ... )
  l = aws_vpclattice_service.svc [ * ] . arn
  m = {}
  n = -1
  o = [for x in [ 1 , 2 ] : x]
}
"#));
}

#[test]
fn keeps_comments_and_aligns_trailing_ones() {
    insta::assert_snapshot!(fmt(r#"
# Leading comment.
// Another style.
/* A block
   comment */
resource "aws_vpclattice_service" "a" { # opens
  name = "a" # the name
  auth_type = "NONE"   // the auth type
  /* inline */ tags = {}
}
"#));
}

#[test]
fn collapses_blank_lines_and_trims_whitespace() {
    insta::assert_snapshot!(fmt(
        "\n\n\nlocals {   \n  a = 1\t\n\n\n\n  b = 2\n}\n\n\n\nlocals {\n  c = 3\n}\n\n\n"
    ));
}

#[test]
fn keeps_heredocs_as_written() {
    insta::assert_snapshot!(fmt(r#"
resource "aws_vpclattice_auth_policy" "p" {
policy = <<EOT
{
    "Version":   "2012-10-17",   
  "x": "${var.name}"
}
EOT
description = <<-EOT
    indented %{ if var.on }on%{ else }off%{ endif }
    EOT
}
"#));
}

#[test]
fn handles_crlf_and_missing_final_newline() {
    assert_eq!(
        fmt("locals {\r\n  a=1\r\n  bb = 2\r\n}"),
        "locals {\n  a  = 1\n  bb = 2\n}\n"
    );
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n"), "");
}

#[test]
fn refuses_invalid_syntax() {
    let err = format_source("locals {\n  a = \n}\n").unwrap_err();
    assert!(err.starts_with("2:"), "{err}");
}

#[test]
fn formats_the_valid_corpus_stably() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/config/valid");
    let mut count = 0;
    for case in std::fs::read_dir(root).unwrap() {
        for file in std::fs::read_dir(case.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "tf") {
                let text = std::fs::read_to_string(&path).unwrap();
                let text = text.trim_start_matches('\u{feff}');
                let once = fmt(text);
                // Formatting changes only layout: the result parses to the same items.
                let before = trellis_types::SourceFile::new("a.tf", text);
                let after = trellis_types::SourceFile::new("a.tf", once.as_str());
                let mut a = trellis_types::SourceMap::new();
                a.add(before);
                let mut b = trellis_types::SourceMap::new();
                b.add(after);
                let (ca, da) = trellis_config::parse(&a);
                let (cb, db) = trellis_config::parse(&b);
                assert!(da.is_empty() && db.is_empty(), "{}", path.display());
                assert_eq!(ca.resources.len(), cb.resources.len());
                assert_eq!(
                    ca.locals.keys().collect::<Vec<_>>(),
                    cb.locals.keys().collect::<Vec<_>>()
                );
                count += 1;
            }
        }
    }
    assert!(count >= 8);
}
