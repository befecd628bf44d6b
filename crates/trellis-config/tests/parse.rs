//! `parse` on small inline configurations: what lands in the model, and hostile input.

use trellis_config::*;
use trellis_types::{Diagnostics, Path, SourceFile, SourceMap, Value};

fn parse_one(text: &str) -> (Config, Diagnostics) {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("main.tf", text));
    parse(&sources)
}

fn parse_ok(text: &str) -> Config {
    let (config, diags) = parse_one(text);
    assert!(diags.is_empty(), "{}", render_plain(&diags));
    config
}

#[test]
fn resource_meta_arguments_leave_the_body() {
    let config = parse_ok(
        r#"
resource "aws_vpclattice_service" "a" {
  count      = 2
  provider   = aws.network
  depends_on = [aws_vpclattice_service_network.n, module.m, data.aws_vpc.v]
  name       = "a"
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [tags["team"], dns_entry[0].domain_name]
    replace_triggered_by  = [aws_vpclattice_service_network.n.id]
  }
  dynamic "tag" {
    for_each = {}
    content {}
  }
}
"#,
    );
    let r = &config.resources[0];
    assert_eq!(r.address().to_string(), "aws_vpclattice_service.a");
    assert_eq!(r.provider_key(), "aws.network");
    assert!(r.count.is_some() && r.for_each.is_none());
    let deps: Vec<&str> = r.depends_on.iter().map(|d| d.text.as_str()).collect();
    assert_eq!(
        deps,
        [
            "aws_vpclattice_service_network.n",
            "module.m",
            "data.aws_vpc.v"
        ]
    );
    assert!(r.lifecycle.create_before_destroy && !r.lifecycle.prevent_destroy);
    assert_eq!(
        r.lifecycle.ignore_changes,
        IgnoreChanges::Paths(vec![
            Path::parse("tags[\"team\"]").unwrap(),
            Path::parse("dns_entry[0].domain_name").unwrap(),
        ])
    );
    assert_eq!(r.lifecycle.replace_triggered_by.len(), 1);
    let keys: Vec<String> = r
        .body
        .iter()
        .map(|s| match s {
            hcl_edit::structure::Structure::Attribute(a) => a.key.to_string(),
            hcl_edit::structure::Structure::Block(b) => b.ident.to_string(),
        })
        .collect();
    assert_eq!(keys, ["name", "dynamic"]);
    assert_eq!((r.span.line, r.span.column, r.type_span.column), (2, 1, 10));
}

#[test]
fn provider_alias_is_split_out() {
    let config =
        parse_ok("provider \"aws\" {\n  alias  = \"network\"\n  region = \"eu-west-1\"\n}\n");
    let p = &config.providers[0];
    assert_eq!(p.key(), "aws.network");
    assert!(p.body.get_attribute("alias").is_none());
    assert!(p.body.get_attribute("region").is_some());
}

#[test]
fn variable_defaults_and_type_constraints() {
    let config = parse_ok(
        r#"
variable "plain" {}
variable "typed" {
  type     = object({ port = optional(number, 443), name = string })
  nullable = false
}
"#,
    );
    let plain = &config.variables["plain"];
    assert!(plain.nullable && !plain.sensitive && plain.ty.is_none());
    let typed = &config.variables["typed"];
    assert!(!typed.nullable);
    let Some(TypeConstraint::Object(attrs)) = &typed.ty else {
        panic!("{:?}", typed.ty)
    };
    assert_eq!(
        attrs["port"],
        ObjectAttribute {
            ty: TypeConstraint::Number,
            optional: true,
            default: Some(Value::Number(443.0)),
        }
    );
    assert!(!attrs["name"].optional);
}

#[test]
fn locals_merge_across_blocks_and_files() {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(
        "a.tf",
        "locals {\n  a = 1\n}\nlocals {\n  b = 2\n}\n",
    ));
    sources.add(SourceFile::new("b.tf", "locals {\n  c = 3\n}\n"));
    sources.add(SourceFile::new("notes.txt", "not configuration {"));
    let (config, diags) = parse(&sources);
    assert!(diags.is_empty(), "{diags}");
    assert_eq!(config.locals.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(config.locals["c"].file, "b.tf");
}

#[test]
fn moved_and_import_addresses() {
    let config = parse_ok(
        r#"
moved {
  from = aws_x.a
  to   = aws_x.b["k"]
}
import {
  for_each = var.ids
  to       = aws_x.c[each.key]
  id       = each.value
}
"#,
    );
    assert_eq!(config.moved[0].from.to_string(), "aws_x.a");
    assert_eq!(config.moved[0].to.to_string(), "aws_x.b[\"k\"]");
    assert_eq!(config.imports[0].to.text, "aws_x.c[each.key]");
    assert!(config.imports[0].for_each.is_some());
}

#[test]
fn errors_in_one_file_do_not_hide_the_others() {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("a.tf", "locals {\n  a = \n}\n"));
    sources.add(SourceFile::new("b.tf", "resorce \"x\" \"y\" {}\n"));
    let (_, diags) = parse(&sources);
    let rendered = render_plain(&diags);
    assert!(rendered.contains("a.tf:"), "{rendered}");
    assert!(
        rendered.contains("b.tf:1:1: error: unsupported block type `resorce`"),
        "{rendered}"
    );
}

#[test]
fn hostile_nesting_is_refused_without_overflowing_the_stack() {
    for (open, close) in [
        ("(", ")"),
        ("[", "]"),
        ("{a = ", "}"),
        ("\"${", "}\""),
        ("f(", ")"),
    ] {
        let n = 100_000;
        let text = format!(
            "locals {{\n  x = {}1{}\n}}\n",
            open.repeat(n),
            close.repeat(n)
        );
        let (_, diags) = parse_one(&text);
        assert!(diags.has_errors(), "{open}");
    }
    let blocks = format!("{}{}", "a {\n".repeat(100_000), "}\n".repeat(100_000));
    assert!(parse_one(&blocks).1.has_errors());
    let chain = format!("locals {{\n  x = {}1\n}}\n", "1 + ".repeat(100_000));
    assert!(parse_one(&chain).1.has_errors());
    assert!(format_source(&blocks).is_err());
}

#[test]
fn garbage_never_panics() {
    // A deterministic sweep of prefixes and byte soup built from HCL's punctuation.
    let alphabet: Vec<char> = "ab\"{}[]()$%~<-=#/*\\\n .,:?!é\r\t0EOT".chars().collect();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..1500 {
        let len = (seed % 40) as usize;
        let mut text = String::new();
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            text.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        let (_, _) = parse_one(&text);
        let _ = format_source(&text);
    }
    let valid = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/config/valid/01-lattice-mesh/main.tf"),
    )
    .unwrap();
    // Every fifth prefix: cut inside strings, heredocs, blocks and templates.
    for end in (0..valid.len())
        .step_by(5)
        .filter(|&i| valid.is_char_boundary(i))
    {
        let _ = parse_one(&valid[..end]);
    }
}

#[test]
fn oversized_files_are_refused() {
    let text = "#".repeat(MAX_FILE_SIZE + 1);
    let (_, diags) = parse_one(&text);
    assert_eq!(diags.0.len(), 1);
    assert_eq!(diags.0[0].summary, "file is too large");
}

#[test]
fn invalid_utf8_is_located() {
    let err = decode_source("main.tf", b"a = 1\nb = \"\xff\"\n").unwrap_err();
    assert_eq!(
        render_plain(&err),
        "main.tf:2:6: error: file is not valid UTF-8\n  invalid byte 0xff\n"
    );
}

#[test]
fn backend_settings_are_read_with_dotted_names_for_nested_blocks() {
    let config = parse_ok(
        r#"
terraform {
  backend "s3" {
    bucket       = "acme-trellis-state"
    key          = "mesh/prod.state"
    use_lockfile = true
    max_retries  = 5
    shared_config_files = ["a", "b"]
    assume_role {
      role_arn = "arn:aws:iam::111122223333:role/state"
    }
    endpoints {
      s3 = "http://127.0.0.1:9000"
    }
  }
}
"#,
    );
    let backend = config.terraform.backend.expect("a backend");
    assert_eq!(backend.kind, "s3");
    let settings: Vec<(String, String)> = backend
        .settings
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    let expected = [
        (
            "assume_role.role_arn",
            "arn:aws:iam::111122223333:role/state",
        ),
        ("bucket", "acme-trellis-state"),
        ("endpoints.s3", "http://127.0.0.1:9000"),
        ("key", "mesh/prod.state"),
        ("max_retries", "5"),
        ("shared_config_files", "a,b"),
        ("use_lockfile", "true"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(settings, expected);
    assert_eq!(backend.settings["bucket"].span.line, 4);
}

fn parse_json(text: &str) -> (Config, Diagnostics) {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("main.tf.json", text));
    parse(&sources)
}

/// Whitespace or a byte-order mark before the root object, escapes in expressions written
/// as strings, and a JSON file that is not an object: positions stay those of the file.
#[test]
fn json_positions_survive_leading_whitespace_and_escapes() {
    for prefix in ["\n\n  ", "\u{feff}"] {
        let text = format!(
            "{prefix}{{\"resource\": {{\"aws_x\": {{\"a\": {{\n  \"count\": 2,\n  \"provider\": \"aws.west\",\n  \"depends_on\": [\"aws_y.b\"],\n  \"name\": \"${{lookup(var.m, \\\"k\\\", \\\"d\\\")}}\"\n}}}}}}}}\n"
        );
        let (config, diags) = parse_json(&text);
        assert!(diags.is_empty(), "{}", render_plain(&diags));
        let r = &config.resources[0];
        assert_eq!(r.address().to_string(), "aws_x.a");
        assert_eq!(r.provider_key(), "aws.west");
        assert_eq!(r.depends_on[0].text, "aws_y.b");
        let line = r.depends_on[0].span.line;
        assert_eq!(
            text.lines().nth(line - 1).unwrap().trim(),
            "\"depends_on\": [\"aws_y.b\"],"
        );
        assert_eq!(r.depends_on[0].span.column, 19);
    }
    let (_, diags) = parse_json("  [1, 2]\n");
    assert_eq!(
        render_plain(&diags).lines().next().unwrap(),
        "main.tf.json:1:3: error: a JSON configuration file must hold an object"
    );
    let (_, diags) = parse_json("{\"locals\": {\"a\": 1}} trailing");
    assert!(
        render_plain(&diags).starts_with("main.tf.json:1:22: error: invalid JSON"),
        "{}",
        render_plain(&diags)
    );
}

fn parse_files(files: &[(&str, &str)]) -> (Config, Diagnostics) {
    let mut sources = SourceMap::new();
    for (name, text) in files {
        sources.add(SourceFile::new(*name, *text));
    }
    parse(&sources)
}

fn attr_text(body: &Body, name: &str) -> String {
    body.get_attribute(name)
        .map(|a| a.value.to_string().trim().to_string())
        .unwrap_or_default()
}

#[test]
fn override_files_replace_arguments_not_whole_blocks() {
    let (config, diags) = parse_files(&[
        (
            "main.tf",
            r#"
provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
resource "aws_vpclattice_service" "a" {
  name      = "a"
  auth_type = "NONE"
  dns_entry { domain_name = "one" }
  dns_entry { domain_name = "two" }
}
module "m" {
  source = "./m"
  size   = 1
}
"#,
        ),
        (
            "b_override.tf",
            r#"
provider "aws" {
  alias  = "west"
  region = "us-west-1"
}
resource "aws_vpclattice_service" "a" {
  auth_type = "AWS_IAM"
  dns_entry { domain_name = "three" }
}
module "m" {
  size = 2
}
"#,
        ),
        (
            "override.tf.json",
            r#"{"resource": {"aws_vpclattice_service": {"a": {"auth_type": "AWS_IAM_2"}}}}"#,
        ),
    ]);
    assert!(diags.is_empty(), "{}", render_plain(&diags));
    let r = &config.resources[0];
    assert_eq!(attr_text(&r.body, "name"), "\"a\"");
    // Override files apply in name order: the JSON one last.
    assert_eq!(attr_text(&r.body, "auth_type"), "\"AWS_IAM_2\"");
    let dns: Vec<String> = r
        .body
        .get_blocks("dns_entry")
        .map(|b| attr_text(&b.body, "domain_name"))
        .collect();
    assert_eq!(dns, ["\"three\""]);
    assert_eq!(r.file, "main.tf");
    let regions: Vec<(String, String)> = config
        .providers
        .iter()
        .map(|p| (p.key(), attr_text(&p.body, "region")))
        .collect();
    assert_eq!(
        regions,
        [
            ("aws".to_string(), "\"eu-west-1\"".to_string()),
            ("aws.west".to_string(), "\"us-west-1\"".to_string())
        ]
    );
    let m = &config.modules["m"];
    assert_eq!(m.source, "./m");
    assert_eq!(attr_text_expr(&m.arguments["size"].expr), "2");
}

fn attr_text_expr(e: &Expression) -> String {
    e.to_string().trim().to_string()
}

#[test]
fn override_problems_are_located_in_the_override_file() {
    let (_, diags) = parse_files(&[
        ("main.tf", "variable \"v\" {\n  default = 1\n}\n"),
        (
            "override.tf",
            "variable \"v\" {\n  bogus = 1\n}\noutput \"o\" {\n  value = 1\n}\n",
        ),
    ]);
    let text = render_plain(&diags);
    assert!(
        text.contains("override.tf:2:3: error: unsupported argument `bogus`"),
        "{text}"
    );
    assert!(
        text.contains("override.tf:4:1: error: nothing to override for output \"o\""),
        "{text}"
    );
    assert_eq!(diags.iter().count(), 2, "{text}");
}

#[test]
fn without_override_names_a_second_definition_is_a_duplicate() {
    let (_, diags) = parse_files(&[
        ("main.tf", "locals {\n  a = 1\n}\n"),
        ("overrides.tf", "locals {\n  a = 2\n}\n"),
    ]);
    assert!(render_plain(&diags).contains("duplicate local `a`"));
}

#[test]
fn check_blocks_read_from_json() {
    let (config, diags) = parse_files(&[(
        "main.tf.json",
        r#"{"check": {"health": {"assert": [
            {"condition": "${var.n > 1}", "error_message": "n is too small"},
            {"condition": "${true}", "error_message": "never"}
        ]}}}"#,
    )]);
    assert!(diags.is_empty(), "{}", render_plain(&diags));
    let check = &config.checks["health"];
    assert_eq!(check.asserts.len(), 2);
    assert_eq!(check.file, "main.tf.json");
    // A JSON string is a template; a lone interpolation evaluates to its value.
    assert_eq!(
        attr_text_expr(&check.asserts[0].condition),
        "\"${var.n > 1}\""
    );
}

/// Every place Terraform takes a literal string: a quoted string, a template without
/// interpolation (escapes included) and a heredoc are literals there; an interpolation is a
/// located error naming the argument.
#[test]
fn every_literal_place_takes_heredocs_and_plain_templates_and_refuses_interpolation() {
    // (configuration with VALUE where the literal goes, argument named in the error)
    let places: &[(&str, &str)] = &[
        ("variable \"v\" {\n  description = VALUE\n}\n", "description"),
        ("output \"o\" {\n  value = 1\n  description = VALUE\n}\n", "description"),
        ("provider \"aws\" {\n  alias = VALUE\n}\n", "alias"),
        ("terraform {\n  required_version = VALUE\n}\n", "required_version"),
        (
            "terraform {\n  required_providers {\n    aws = { source = VALUE }\n  }\n}\n",
            "source",
        ),
        (
            "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\", version = VALUE }\n  }\n}\n",
            "version",
        ),
        ("module \"m\" {\n  source = VALUE\n}\n", "source"),
        (
            "module \"m\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n  version = VALUE\n}\n",
            "version",
        ),
    ];
    // A value each place accepts (module sources must look like one).
    let accepted = |key: &str, place: &str| -> Vec<(String, String)> {
        let word = match (key, place.contains("module")) {
            ("source", true) => "./net",
            ("source", false) => "hashicorp/aws",
            ("version" | "required_version", _) => ">= 1.0",
            _ => "net",
        };
        vec![
            (format!("\"{word}\""), word.to_string()),
            (format!("<<-EOT\n    {word}\n    EOT"), format!("{word}\n")),
            (format!("<<EOT\n{word}\nEOT"), format!("{word}\n")),
        ]
    };
    for (place, key) in places {
        for (i, (value, _)) in accepted(key, place).into_iter().enumerate() {
            let text = place.replace("VALUE", &value);
            let (_, diags) = parse_one(&text);
            let shown = render_plain(&diags);
            // A heredoc's final newline makes a bad alias or module source: read as a
            // literal, then judged on its text, as in Terraform.
            let judged_on_text =
                i > 0 && (*key == "alias" || place.starts_with("module") && *key == "source");
            if judged_on_text {
                assert!(
                    !shown.contains("must be a literal"),
                    "{key} = {value}: {shown}"
                );
            } else {
                assert!(!diags.has_errors(), "{key} = {value} in\n{text}\n{shown}");
            }
        }
        let text = place.replace("VALUE", "\"${var.x}\"");
        let (_, diags) = parse_one(&text);
        let shown = render_plain(&diags);
        assert!(
            shown.contains(&format!("`{key}` must be a literal string")),
            "{key} in\n{text}\n{shown}"
        );
        let line = text.lines().position(|l| l.contains("${var.x}")).unwrap() + 1;
        assert!(shown.contains(&format!("main.tf:{line}:")), "{shown}");
    }
    // The parsed literal is the text itself: a heredoc keeps its final newline, escapes
    // are unescaped.
    let config = parse_ok("variable \"v\" {\n  description = <<-EOT\n    Two\n      lines\n    EOT\n}\nvariable \"w\" {\n  description = \"costs $${price} and %%{ none }\"\n}\n");
    assert_eq!(
        config.variables["v"].description.as_deref(),
        Some("Two\n  lines\n")
    );
    assert_eq!(
        config.variables["w"].description.as_deref(),
        Some("costs ${price} and %{ none }")
    );
}
