//! The configuration corpus under `testdata/config/`: every case folder is parsed.
//!
//! `valid/*` must parse with no diagnostic at all; a summary of what was read is pinned by
//! a snapshot. `malformed/*` must produce errors, each with a span; the rendered
//! diagnostics are pinned by a snapshot.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use trellis_config::*;
use trellis_types::{Diagnostics, SourceMap};

fn corpus(kind: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/config")
        .join(kind);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// Loads every file of a case, in name order, as the CLI would (bytes, then UTF-8 check).
fn load(case: &Path) -> (SourceMap, Diagnostics) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(case)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        match decode_source(&name, &bytes) {
            Ok(file) => sources.add(file),
            Err(d) => diags.extend(d),
        }
    }
    (sources, diags)
}

fn case_name(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().to_string()
}

#[test]
fn valid_configurations_parse_cleanly() {
    let cases = corpus("valid");
    assert!(cases.len() >= 7);
    for case in cases {
        let name = case_name(&case);
        let (sources, load_diags) = load(&case);
        assert!(load_diags.is_empty(), "{name}: {load_diags}");
        let (config, diags) = parse(&sources);
        assert!(diags.is_empty(), "{name}:\n{}", render_plain(&diags));
        insta::assert_snapshot!(format!("valid-{name}"), summary(&config));
    }
}

#[test]
fn malformed_configurations_report_located_errors() {
    let cases = corpus("malformed");
    assert!(cases.len() >= 30, "only {} malformed cases", cases.len());
    for case in cases {
        let name = case_name(&case);
        let (sources, mut diags) = load(&case);
        let (_, parse_diags) = parse(&sources);
        diags.extend(parse_diags);
        assert!(diags.has_errors(), "{name}: no error reported");
        for d in diags.iter() {
            assert!(d.span.is_some(), "{name}: diagnostic without a span: {d}");
            assert!(
                !d.summary.ends_with('.'),
                "{name}: summary ends with a period: {d}"
            );
        }
        insta::assert_snapshot!(format!("malformed-{name}"), render_plain(&diags));
    }
}

/// A readable account of what a configuration holds: names, addresses and meta-arguments,
/// not the syntax trees.
fn summary(config: &Config) -> String {
    let mut out = String::new();
    let t = &config.terraform;
    if t.span.is_some() {
        writeln!(
            out,
            "terraform required_version={:?} providers={:?} backend={:?}",
            t.required_version,
            t.required_providers,
            t.backend.as_ref().map(|b| (&b.kind, attr_names(&b.body)))
        )
        .unwrap();
    }
    for p in &config.providers {
        writeln!(
            out,
            "provider {} body={:?} at {}",
            p.key(),
            attr_names(&p.body),
            p.span
        )
        .unwrap();
    }
    for v in config.variables.values() {
        write!(out, "variable {}", v.name).unwrap();
        if let Some(ty) = &v.ty {
            write!(out, " type={}", type_text(ty)).unwrap();
        }
        if let Some(d) = &v.default {
            write!(out, " default={}", expr(d)).unwrap();
        }
        if let Some(d) = &v.description {
            write!(out, " description={d:?}").unwrap();
        }
        if v.sensitive {
            write!(out, " sensitive").unwrap();
        }
        if !v.nullable {
            write!(out, " not-nullable").unwrap();
        }
        for val in &v.validations {
            write!(out, " validation({})", expr(&val.condition)).unwrap();
        }
        writeln!(out).unwrap();
    }
    for l in config.locals.values() {
        writeln!(out, "local {} = {} at {}", l.name, expr(&l.expr), l.span).unwrap();
    }
    for r in &config.resources {
        write!(out, "{} at {}", r.address(), r.span).unwrap();
        write!(out, " provider={}", r.provider_key()).unwrap();
        if let Some(c) = &r.count {
            write!(out, " count={}", expr(c)).unwrap();
        }
        if let Some(f) = &r.for_each {
            write!(out, " for_each={}", expr(f)).unwrap();
        }
        if !r.depends_on.is_empty() {
            let deps: Vec<&str> = r.depends_on.iter().map(|d| d.text.as_str()).collect();
            write!(out, " depends_on={deps:?}").unwrap();
        }
        let lc = &r.lifecycle;
        if lc.create_before_destroy {
            write!(out, " create_before_destroy").unwrap();
        }
        if lc.prevent_destroy {
            write!(out, " prevent_destroy").unwrap();
        }
        match &lc.ignore_changes {
            IgnoreChanges::None => {}
            IgnoreChanges::All => write!(out, " ignore_changes=all").unwrap(),
            IgnoreChanges::Paths(paths) => {
                let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
                write!(out, " ignore_changes={paths:?}").unwrap();
            }
        }
        if !lc.replace_triggered_by.is_empty() {
            let refs: Vec<String> = lc.replace_triggered_by.iter().map(expr).collect();
            write!(out, " replace_triggered_by={refs:?}").unwrap();
        }
        writeln!(out, " body={:?}", attr_names(&r.body)).unwrap();
    }
    for o in config.outputs.values() {
        write!(out, "output {} = {}", o.name, expr(&o.value)).unwrap();
        if o.sensitive {
            write!(out, " sensitive").unwrap();
        }
        if !o.depends_on.is_empty() {
            let deps: Vec<&str> = o.depends_on.iter().map(|d| d.text.as_str()).collect();
            write!(out, " depends_on={deps:?}").unwrap();
        }
        writeln!(out).unwrap();
    }
    for c in config.checks.values() {
        let asserts: Vec<String> = c
            .asserts
            .iter()
            .map(|a| format!("{} at {}", expr(&a.condition), a.span))
            .collect();
        writeln!(out, "check {} at {} asserts={asserts:?}", c.name, c.header).unwrap();
    }
    for m in &config.moved {
        writeln!(out, "moved {} -> {}", m.from, m.to).unwrap();
    }
    for i in &config.imports {
        write!(out, "import to={} id={}", i.to.text, expr(&i.id)).unwrap();
        if let Some(p) = &i.provider {
            write!(out, " provider={}", p.key()).unwrap();
        }
        if let Some(f) = &i.for_each {
            write!(out, " for_each={}", expr(f)).unwrap();
        }
        writeln!(out).unwrap();
    }
    out
}

/// Attribute names and block types (with labels) of a body, nested blocks recursively.
fn attr_names(body: &Body) -> Vec<String> {
    body.iter()
        .map(|s| match s {
            hcl_edit::structure::Structure::Attribute(a) => a.key.as_str().to_string(),
            hcl_edit::structure::Structure::Block(b) => {
                let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
                let inner = attr_names(&b.body).join(" ");
                if labels.is_empty() {
                    format!("{}{{{inner}}}", b.ident.as_str())
                } else {
                    format!("{} {}{{{inner}}}", b.ident.as_str(), labels.join(" "))
                }
            }
        })
        .collect()
}

/// An expression as source text, on one line.
fn expr(e: &Expression) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text.trim().lines().map(str::trim).collect();
    lines.join(" ")
}

fn type_text(ty: &TypeConstraint) -> String {
    match ty {
        TypeConstraint::Any => "any".into(),
        TypeConstraint::String => "string".into(),
        TypeConstraint::Number => "number".into(),
        TypeConstraint::Bool => "bool".into(),
        TypeConstraint::List(t) => format!("list({})", type_text(t)),
        TypeConstraint::Set(t) => format!("set({})", type_text(t)),
        TypeConstraint::Map(t) => format!("map({})", type_text(t)),
        TypeConstraint::Tuple(ts) => {
            let ts: Vec<String> = ts.iter().map(type_text).collect();
            format!("tuple([{}])", ts.join(", "))
        }
        TypeConstraint::Object(attrs) => {
            let attrs: Vec<String> = attrs
                .iter()
                .map(|(k, a)| match (a.optional, &a.default) {
                    (false, _) => format!("{k}={}", type_text(&a.ty)),
                    (true, None) => format!("{k}=optional({})", type_text(&a.ty)),
                    (true, Some(d)) => format!("{k}=optional({}, {d})", type_text(&a.ty)),
                })
                .collect();
            format!("object({{{}}})", attrs.join(", "))
        }
    }
}
