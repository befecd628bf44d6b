//! Finding the references an expression or body makes, without evaluating anything.

use std::ops::Range;

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::{Decorated, Ident, Span as _};
use trellis_types::{Mode, SourceFile};

use crate::eval::MAX_DEPTH;
use crate::{RefKind, Reference};

pub(crate) struct RefWalker<'a> {
    file: &'a SourceFile,
    refs: Vec<Reference>,
    /// Names bound by `for` expressions and directives: not references.
    bound: Vec<String>,
    /// Iterators of enclosing `dynamic` blocks.
    iterators: Vec<String>,
    depth: usize,
}

impl<'a> RefWalker<'a> {
    pub(crate) fn new(file: &'a SourceFile) -> RefWalker<'a> {
        RefWalker {
            file,
            refs: Vec::new(),
            bound: Vec::new(),
            iterators: Vec::new(),
            depth: 0,
        }
    }

    pub(crate) fn into_refs(self) -> Vec<Reference> {
        self.refs
    }

    fn push(&mut self, kind: RefKind, range: Option<Range<usize>>) {
        let range = range.unwrap_or(0..0);
        self.refs.push(Reference {
            kind,
            span: self.file.span(range.start, range.end),
        });
    }

    pub(crate) fn body(&mut self, body: &Body, skip: &[&str]) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        self.depth += 1;
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    if !skip.contains(&attr.key.as_str()) {
                        self.expr(&attr.value);
                    }
                }
                Structure::Block(block) => {
                    let ident = block.ident.as_str();
                    if skip.contains(&ident) {
                        continue;
                    }
                    if ident == "dynamic" {
                        let label = block.labels.first().map(|l| l.as_str().to_string());
                        if label.as_deref().is_some_and(|l| skip.contains(&l)) {
                            continue;
                        }
                        let mut iterator = label.unwrap_or_default();
                        for s in block.body.iter() {
                            if let Structure::Attribute(attr) = s {
                                match (attr.key.as_str(), &attr.value) {
                                    ("iterator", Expression::Variable(v)) => {
                                        iterator = v.as_str().to_string()
                                    }
                                    ("iterator", _) => {}
                                    _ => self.expr(&attr.value),
                                }
                            }
                        }
                        self.iterators.push(iterator);
                        for content in block.body.get_blocks("content") {
                            self.body(&content.body, &[]);
                        }
                        self.iterators.pop();
                    } else {
                        self.body(&block.body, &[]);
                    }
                }
            }
        }
        self.depth -= 1;
    }

    pub(crate) fn expr(&mut self, expr: &Expression) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        self.depth += 1;
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(array) => array.iter().for_each(|e| self.expr(e)),
            Expression::Object(object) => {
                for (key, value) in object.iter() {
                    if let ObjectKey::Expression(k) = key {
                        self.expr(k);
                    }
                    self.expr(value.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => self.reference(v, &[]),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(call) => call.args.iter().for_each(|e| self.expr(e)),
            Expression::Traversal(t) => {
                match &t.expr {
                    Expression::Variable(v) => self.reference(v, &t.operators),
                    other => self.expr(other),
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(index) = op.value() {
                        self.expr(index);
                    }
                }
            }
            Expression::UnaryOp(op) => self.expr(&op.expr),
            Expression::BinaryOp(op) => {
                self.expr(&op.lhs_expr);
                self.expr(&op.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let bound = self.bind(f.intro.key_var.as_ref(), &f.intro.value_var);
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(self.bound.len() - bound);
            }
        }
        self.depth -= 1;
    }

    fn bind(&mut self, key: Option<&Decorated<Ident>>, value: &Decorated<Ident>) -> usize {
        let mut n = 1;
        if let Some(k) = key {
            self.bound.push(k.as_str().to_string());
            n += 1;
        }
        self.bound.push(value.as_str().to_string());
        n
    }

    fn template(&mut self, template: &Template) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        self.depth += 1;
        for element in template.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        self.expr(&d.if_expr.cond_expr);
                        self.template(&d.if_expr.template);
                        if let Some(e) = &d.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        self.expr(&f.collection_expr);
                        let bound = self.bind(f.key_var.as_ref(), &f.value_var);
                        self.template(&f.template);
                        self.bound.truncate(self.bound.len() - bound);
                    }
                },
            }
        }
        self.depth -= 1;
    }

    fn reference(&mut self, root: &Decorated<Ident>, ops: &[Decorated<TraversalOperator>]) {
        let name = root.as_str();
        if self.bound.iter().any(|b| b == name) {
            return;
        }
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(id)) => Some(id.as_str().to_string()),
            _ => None,
        };
        let through = |n: usize| -> Option<Range<usize>> {
            let start = root.span()?.start;
            let end = if n == 0 {
                root.span()?.end
            } else {
                ops.get(n - 1).and_then(|o| o.span()).map(|s| s.end)?
            };
            Some(start..end)
        };
        if self.iterators.iter().any(|i| i == name) {
            let n = usize::from(attr(0).is_some());
            self.push(RefKind::Iterator(name.to_string()), through(n));
            return;
        }
        let (kind, n) = match name {
            "var" | "local" => match attr(0) {
                Some(a) if name == "var" => (RefKind::Variable(a), 1),
                Some(a) => (RefKind::Local(a), 1),
                None => (RefKind::Unknown(name.to_string()), 0),
            },
            "count" => match attr(0).as_deref() {
                Some("index") => (RefKind::CountIndex, 1),
                Some(other) => (RefKind::Unknown(format!("count.{other}")), 1),
                None => (RefKind::Unknown("count".to_string()), 0),
            },
            "each" => match attr(0).as_deref() {
                Some("key") => (RefKind::EachKey, 1),
                Some("value") => (RefKind::EachValue, 1),
                Some(other) => (RefKind::Unknown(format!("each.{other}")), 1),
                None => (RefKind::Unknown("each".to_string()), 0),
            },
            "self" => (RefKind::SelfRef, 0),
            "path" => match attr(0) {
                Some(a) => (RefKind::Path(a), 1),
                None => (RefKind::Unknown("path".to_string()), 0),
            },
            "module" => match attr(0) {
                Some(a) => {
                    let (output, used) = attribute_path(&ops[1..]);
                    let output =
                        output.map(|o| o.split('.').next().unwrap_or_default().to_string());
                    let used = if output.is_some() {
                        // The index (if any) and the output name, not what follows.
                        used.min(match ops.get(1).map(|o| o.value()) {
                            Some(TraversalOperator::GetAttr(_)) => 1,
                            _ => 2,
                        })
                    } else {
                        0
                    };
                    (RefKind::Module { name: a, output }, 1 + used)
                }
                None => (RefKind::Unknown("module".to_string()), 0),
            },
            "terraform" => match attr(0) {
                Some(a) => (RefKind::Unknown(format!("terraform.{a}")), 1),
                None => (RefKind::Unknown("terraform".to_string()), 0),
            },
            "data" => match (attr(0), attr(1)) {
                (Some(type_name), Some(n)) => {
                    let (attribute, used) = attribute_path(&ops[2..]);
                    (
                        RefKind::Resource {
                            mode: Mode::Data,
                            type_name,
                            name: n,
                            attribute,
                        },
                        2 + used,
                    )
                }
                _ => (RefKind::Unknown("data".to_string()), 0),
            },
            _ => match attr(0) {
                Some(n) => {
                    let (attribute, used) = attribute_path(&ops[1..]);
                    (
                        RefKind::Resource {
                            mode: Mode::Managed,
                            type_name: name.to_string(),
                            name: n,
                            attribute,
                        },
                        1 + used,
                    )
                }
                None => (RefKind::Unknown(name.to_string()), 0),
            },
        };
        self.push(kind, through(n));
    }
}

/// The attribute path after a resource name: one optional index or splat, then the run of
/// attribute names. Returns the dotted path and how many operators it spans.
fn attribute_path(ops: &[Decorated<TraversalOperator>]) -> (Option<String>, usize) {
    let mut i = 0;
    if matches!(
        ops.first().map(|o| o.value()),
        Some(
            TraversalOperator::Index(_)
                | TraversalOperator::LegacyIndex(_)
                | TraversalOperator::FullSplat(_)
                | TraversalOperator::AttrSplat(_)
        )
    ) {
        i = 1;
    }
    let mut names = Vec::new();
    while let Some(TraversalOperator::GetAttr(id)) = ops.get(i).map(|o| o.value()) {
        names.push(id.as_str());
        i += 1;
    }
    if names.is_empty() {
        (None, 0)
    } else {
        (Some(names.join(".")), i)
    }
}
