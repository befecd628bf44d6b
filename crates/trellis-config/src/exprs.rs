//! Small readers over hcl-edit expressions: references written as bare traversals, and
//! constant values.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::Element;
use hcl_edit::Span as _;
use trellis_types::{Path, PathStep, Value};

/// One step after the root name of a reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    /// `.name`
    Attr(String),
    /// `["key"]`
    Key(String),
    /// `[0]` or `.0`
    Index(u64),
    /// `[*]` or `.*`
    Splat,
    /// `[each.key]`: an index that is not a literal; holds its source text.
    Dynamic(String),
}

/// A reference such as `aws_vpclattice_service.orders["a"].arn`: a root name and its steps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reference {
    pub root: String,
    pub steps: Vec<Step>,
}

impl Reference {
    /// The reference as it would be written, normalised (`a.b["k"][0]`).
    pub fn text(&self) -> String {
        let mut out = self.root.clone();
        for step in &self.steps {
            match step {
                Step::Attr(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                Step::Key(key) => out.push_str(&format!("[{}]", quote(key))),
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::Splat => out.push_str("[*]"),
                Step::Dynamic(text) => out.push_str(&format!("[{text}]")),
            }
        }
        out
    }

    /// The attribute path this reference names, when every step is static.
    pub fn to_path(&self) -> Option<Path> {
        let mut path = Path::from_keys([self.root.as_str()]);
        for step in &self.steps {
            match step {
                Step::Attr(name) | Step::Key(name) => path.push(PathStep::Key(name.clone())),
                Step::Index(i) => path.push(PathStep::Index(usize::try_from(*i).ok()?)),
                Step::Splat | Step::Dynamic(_) => return None,
            }
        }
        Some(path)
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Reads a bare reference (`a`, `a.b[0]`); anything else (a call, a string, an operation)
/// is `None`. `source` is the file text, used for the text of non-literal indexes.
pub(crate) fn reference(expr: &Expression, source: &str) -> Option<Reference> {
    match expr {
        Expression::Variable(name) => Some(Reference {
            root: name.as_str().to_string(),
            steps: Vec::new(),
        }),
        Expression::Traversal(traversal) => {
            let Expression::Variable(root) = &traversal.expr else {
                return None;
            };
            let mut steps = Vec::with_capacity(traversal.operators.len());
            for op in &traversal.operators {
                steps.push(match op.value() {
                    TraversalOperator::GetAttr(name) => Step::Attr(name.as_str().to_string()),
                    TraversalOperator::LegacyIndex(i) => Step::Index(*i.value()),
                    TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                        Step::Splat
                    }
                    TraversalOperator::Index(index) => match index {
                        Expression::String(s) => Step::Key(s.value().clone()),
                        Expression::Number(n) => match n.value().as_u64() {
                            Some(i) => Step::Index(i),
                            None => Step::Dynamic(source_text(index, source)),
                        },
                        other => match literal_string(other) {
                            Some(s) => Step::Key(s),
                            None => Step::Dynamic(source_text(other, source)),
                        },
                    },
                });
            }
            Some(Reference {
                root: root.as_str().to_string(),
                steps,
            })
        }
        _ => None,
    }
}

/// The source text an expression was parsed from, trimmed.
pub(crate) fn source_text(expr: &Expression, source: &str) -> String {
    expr.span()
        .and_then(|r| source.get(r))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A string literal, also when written as a template or a heredoc (`<<EOF`, `<<-EOF`)
/// without interpolations or directives, as Terraform accepts wherever it wants a literal.
/// A heredoc's value keeps its final newline; `<<-` indentation is already stripped by
/// the parser (hcl-edit dedents by the least indented line, as HCL does).
pub(crate) fn literal_string(expr: &Expression) -> Option<String> {
    fn template_literal<'a>(elements: impl Iterator<Item = &'a Element>) -> Option<String> {
        let mut out = String::new();
        for element in elements {
            match element {
                Element::Literal(lit) => out.push_str(lit.value()),
                _ => return None,
            }
        }
        Some(out)
    }
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        Expression::StringTemplate(t) => template_literal(t.iter()),
        Expression::HeredocTemplate(h) => template_literal(h.template.iter()),
        _ => None,
    }
}

/// The value of a constant expression (literals, arrays and objects of literals); `None`
/// when the expression refers to anything or calls a function.
pub(crate) fn constant(expr: &Expression) -> Option<Value> {
    Some(match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => Value::Number(n.value().as_f64()?),
        Expression::String(_) | Expression::StringTemplate(_) | Expression::HeredocTemplate(_) => {
            Value::String(literal_string(expr)?)
        }
        Expression::Parenthesis(p) => constant(p.inner())?,
        Expression::UnaryOp(op) if op.operator.value() == &UnaryOperator::Neg => {
            match constant(&op.expr)? {
                Value::Number(n) => Value::Number(-n),
                _ => return None,
            }
        }
        Expression::Array(items) => {
            Value::List(items.iter().map(constant).collect::<Option<Vec<_>>>()?)
        }
        Expression::Object(object) => {
            let mut map = BTreeMap::new();
            for (key, value) in object.iter() {
                let key = match key {
                    ObjectKey::Ident(ident) => ident.as_str().to_string(),
                    ObjectKey::Expression(e) => literal_string(e)?,
                };
                map.insert(key, constant(value.expr())?);
            }
            Value::Map(map)
        }
        _ => return None,
    })
}

/// Whether `name` is a valid identifier: a letter or underscore, then letters, digits,
/// underscores and dashes.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
