//! Provider requirements as one module's files declare them:
//! `terraform { required_providers { NAME = { source = "...", version = "..." } } }` (and
//! the pre-0.13 form `NAME = "VERSION"`), each checked where it is written: a bad source
//! address or version constraint is an error at its byte range in its file, for a
//! diagnostic with file, line and column.
//!
//! Parse errors of the file itself are left to the configuration parser, which reports
//! them; a file that does not parse declares nothing here.

use std::ops::Range;

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Body;
use hcl_edit::Span as _;

use super::ProviderAddr;
use crate::constraint::Constraints;

/// One `required_providers` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The local name (`aws`).
    pub name: String,
    pub source: ProviderAddr,
    /// The version constraint as written, if any.
    pub version: Option<String>,
}

/// A problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub file: String,
    pub range: Range<usize>,
    pub summary: String,
    pub detail: String,
}

fn literal(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        _ => None,
    }
}

/// The requirements `text` (the file `file`) declares, and the problems of those it
/// cannot accept.
pub fn declared(file: &str, text: &str) -> (Vec<Declared>, Vec<Located>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let Ok(body) = hcl_edit::parser::parse_body(text) else {
        return (out, errors);
    };
    let body: Body = body;
    let at = |expr: &Expression, summary: String, detail: String| Located {
        file: file.to_string(),
        range: expr.span().unwrap_or(0..0),
        summary,
        detail,
    };
    for terraform in body.get_blocks("terraform") {
        for rp in terraform.body.get_blocks("required_providers") {
            for attr in rp.body.attributes() {
                let name = attr.key.as_str().to_string();
                let (mut source, mut version) = (None, None);
                match &attr.value {
                    Expression::Object(object) => {
                        for (key, value) in object.iter() {
                            let key = match key {
                                ObjectKey::Ident(i) => i.as_str().to_string(),
                                ObjectKey::Expression(e) => literal(e).unwrap_or_default(),
                            };
                            match key.as_str() {
                                "source" => source = Some(value.expr()),
                                "version" => version = Some(value.expr()),
                                _ => {}
                            }
                        }
                    }
                    // The pre-0.13 form gives only a version.
                    other => version = Some(other),
                }
                let addr = match source {
                    Some(expr) => match literal(expr) {
                        Some(text) => match ProviderAddr::parse(&text) {
                            Ok(a) => a,
                            Err(e) => {
                                errors.push(at(
                                    expr,
                                    format!("invalid provider source address for \"{name}\""),
                                    e.to_string(),
                                ));
                                continue;
                            }
                        },
                        None => {
                            errors.push(at(
                                expr,
                                format!("invalid provider source address for \"{name}\""),
                                "the source must be a literal string".to_string(),
                            ));
                            continue;
                        }
                    },
                    None => ProviderAddr::parse(&name).unwrap_or(ProviderAddr {
                        hostname: super::DEFAULT_HOST.to_string(),
                        namespace: super::DEFAULT_NAMESPACE.to_string(),
                        r#type: name.clone(),
                    }),
                };
                let version = match version {
                    Some(expr) => match literal(expr) {
                        Some(v) => match Constraints::parse(&v) {
                            Ok(_) => Some(v),
                            Err(e) => {
                                errors.push(at(
                                    expr,
                                    format!("invalid version constraint for provider \"{name}\""),
                                    e.to_string(),
                                ));
                                continue;
                            }
                        },
                        None => {
                            errors.push(at(
                                expr,
                                format!("invalid version constraint for provider \"{name}\""),
                                "the version must be a literal string".to_string(),
                            ));
                            continue;
                        }
                    },
                    None => None,
                };
                out.push(Declared {
                    name,
                    source: addr,
                    version,
                });
            }
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sources_and_versions_and_locates_bad_ones() {
        let text = "terraform {\n  required_providers {\n    random = { source = \"hashicorp/random\", version = \"~> 3.0\" }\n    tls = \"> 4\"\n    thing = { source = \"corp.example/ns/thing\" }\n    bad = { source = \"a/b/c/d\" }\n    worse = { version = \"~> not\" }\n  }\n}\n";
        let (found, errors) = declared("main.tf", text);
        let names: Vec<(String, String, Option<String>)> = found
            .iter()
            .map(|d| (d.name.clone(), d.source.to_string(), d.version.clone()))
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    "random".into(),
                    "registry.terraform.io/hashicorp/random".into(),
                    Some("~> 3.0".into())
                ),
                (
                    "tls".into(),
                    "registry.terraform.io/hashicorp/tls".into(),
                    Some("> 4".into())
                ),
                ("thing".into(), "corp.example/ns/thing".into(), None),
            ]
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(&text[errors[0].range.clone()], "\"a/b/c/d\"");
        assert!(errors[0].summary.contains("\"bad\""));
        assert_eq!(&text[errors[1].range.clone()], "\"~> not\"");
        assert!(errors[1].summary.contains("version constraint"));
    }
}
