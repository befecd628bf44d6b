//! The tree-walking evaluator.

use std::collections::BTreeMap;
use std::ops::Range;

use hcl_edit::expr::{
    BinaryOp, BinaryOperator, Conditional, Expression, ForExpr, FuncCall, Object, ObjectKey,
    Traversal, TraversalOperator, UnaryOp, UnaryOperator,
};
use hcl_edit::template::{Directive, Element, Strip, Template};
use hcl_edit::{Decorated, Ident, Span as _};
use trellis_types::{Diagnostics, Mode, SourceFile, Value};

use crate::functions::{self, FnCtx};
use crate::value_ops::{
    closest, describe, format_number, mark_if, parse_number, unmark, values_equal,
};
use crate::{error_at, Scope};

/// How deep expressions (and templates rendered by `templatefile`) may nest before evaluation
/// gives up with a diagnostic instead of risking the stack.
pub(crate) const MAX_DEPTH: usize = 256;

/// The most elements a `for` expression or splat may produce, so that a hostile configuration
/// cannot exhaust memory.
pub(crate) const MAX_ELEMENTS: usize = 1 << 20;

pub(crate) type EvalResult = Result<Value, Diagnostics>;

/// Names a reference may start with besides resource types.
const ROOTS: &[&str] = &[
    "var",
    "local",
    "count",
    "each",
    "self",
    "path",
    "data",
    "module",
    "terraform",
];

pub(crate) struct Evaluator<'a> {
    pub(crate) scope: &'a dyn Scope,
    pub(crate) file: &'a SourceFile,
    /// Names bound by `for` expressions, template `for` directives, dynamic block iterators and
    /// `templatefile` variables; innermost last.
    locals: Vec<(String, Value)>,
    depth: usize,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(scope: &'a dyn Scope, file: &'a SourceFile) -> Evaluator<'a> {
        Evaluator {
            scope,
            file,
            locals: Vec::new(),
            depth: 0,
        }
    }

    /// An evaluator for a template file: only `vars` are in scope, as bare names.
    pub(crate) fn for_template(
        scope: &'a dyn Scope,
        file: &'a SourceFile,
        vars: Vec<(String, Value)>,
        depth: usize,
    ) -> Evaluator<'a> {
        Evaluator {
            scope,
            file,
            locals: vars,
            depth,
        }
    }

    /// Enters one level of nesting (a nested block), failing past [`MAX_DEPTH`].
    pub(crate) fn enter(&mut self, range: Option<Range<usize>>) -> Result<(), Diagnostics> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(range, "blocks are nested too deeply"));
        }
        self.depth += 1;
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn err(
        &self,
        range: Option<Range<usize>>,
        summary: impl Into<String>,
    ) -> Diagnostics {
        error_at(self.file, range, summary).into()
    }

    pub(crate) fn err_detail(
        &self,
        range: Option<Range<usize>>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Diagnostics {
        error_at(self.file, range, summary)
            .with_detail(detail)
            .into()
    }

    pub(crate) fn push_local(&mut self, name: &str, value: Value) {
        self.locals.push((name.to_string(), value));
    }

    pub(crate) fn pop_local(&mut self) {
        self.locals.pop();
    }

    fn lookup_local(&self, name: &str) -> Option<&Value> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    pub(crate) fn eval(&mut self, expr: &Expression) -> EvalResult {
        if self.depth >= MAX_DEPTH {
            return Err(self.err_detail(
                expr.span(),
                "expression is nested too deeply",
                format!("expressions may nest at most {MAX_DEPTH} levels"),
            ));
        }
        self.depth += 1;
        let result = self.eval_inner(expr);
        self.depth -= 1;
        result
    }

    fn eval_inner(&mut self, expr: &Expression) -> EvalResult {
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => match n.value().as_f64() {
                Some(f) if f.is_finite() => Ok(Value::Number(f)),
                _ => Err(self.err(expr.span(), "number is out of range")),
            },
            Expression::String(s) => Ok(Value::String(s.value().clone())),
            Expression::Array(array) => Ok(Value::List(self.eval_all(array.iter())?)),
            Expression::Object(object) => self.eval_object(object),
            Expression::StringTemplate(t) => self.eval_template(t),
            Expression::HeredocTemplate(h) => self.eval_template(&h.template),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => self.eval_variable(v),
            Expression::Conditional(c) => self.eval_conditional(c),
            Expression::FuncCall(call) => self.eval_call(call),
            Expression::Traversal(t) => self.eval_traversal(t),
            Expression::UnaryOp(op) => self.eval_unary(op),
            Expression::BinaryOp(op) => self.eval_binary(op),
            Expression::ForExpr(f) => self.eval_for(f),
        }
    }

    /// Evaluates every expression, collecting the diagnostics of all of them.
    fn eval_all<'e>(
        &mut self,
        exprs: impl Iterator<Item = &'e Expression>,
    ) -> Result<Vec<Value>, Diagnostics> {
        let mut values = Vec::new();
        let mut errors = Diagnostics::new();
        for expr in exprs {
            match self.eval(expr) {
                Ok(v) => values.push(v),
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(errors)
        }
    }

    fn eval_object(&mut self, object: &Object) -> EvalResult {
        let mut map = BTreeMap::new();
        let mut errors = Diagnostics::new();
        let mut unknown = false;
        let mut sensitive = false;
        for (key, value) in object.iter() {
            let key_text = match key {
                ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
                ObjectKey::Expression(key_expr) => match self.object_key(key_expr) {
                    Ok(Some((k, s))) => {
                        sensitive |= s;
                        Some(k)
                    }
                    Ok(None) => {
                        unknown = true;
                        None
                    }
                    Err(e) => {
                        errors.extend(e);
                        None
                    }
                },
            };
            match self.eval(value.expr()) {
                Ok(v) => {
                    if let Some(k) = key_text {
                        map.insert(k, v);
                    }
                }
                Err(e) => errors.extend(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if unknown {
            return Ok(mark_if(Value::Unknown, sensitive));
        }
        Ok(mark_if(Value::Map(map), sensitive))
    }

    /// An object key expression as a string: `Ok(None)` when it is unknown; the flag says
    /// whether it was sensitive.
    fn object_key(&mut self, expr: &Expression) -> Result<Option<(String, bool)>, Diagnostics> {
        // A bare identifier in parentheses-free key position is a literal key in HCL, but
        // hcl-edit already gives those as `ObjectKey::Ident`; a lone variable here came from
        // parentheses, so it is evaluated.
        let (value, sensitive) = unmark(self.eval(expr)?);
        match value {
            Value::Unknown => Ok(None),
            Value::Null => Err(self.err(expr.span(), "object key is null")),
            other => match crate::value_ops::primitive_string(&other) {
                Some(s) => Ok(Some((s, sensitive))),
                None => Err(self.err(
                    expr.span(),
                    format!("object key must be a string, got {}", describe(&other)),
                )),
            },
        }
    }

    fn eval_variable(&mut self, ident: &Decorated<Ident>) -> EvalResult {
        let name = ident.as_str();
        if let Some(v) = self.lookup_local(name) {
            return Ok(v.clone());
        }
        if name == "self" {
            return self
                .scope
                .self_value()
                .ok_or_else(|| self.err(ident.span(), "\"self\" is not available here"));
        }
        if ROOTS.contains(&name) {
            return Err(self.err_detail(
                ident.span(),
                "invalid reference",
                format!("\"{name}\" must be followed by an attribute name, like {name}.name"),
            ));
        }
        let mut message = format!("unknown variable \"{name}\"");
        let locals: Vec<&str> = self.locals.iter().map(|(n, _)| n.as_str()).collect();
        if let Some(s) = closest(name, locals) {
            message = format!("{message}; did you mean \"{s}\"?");
        }
        Err(self.err_detail(
            ident.span(),
            message,
            "a reference to a resource type must be followed by the resource name, like aws_x.name",
        ))
    }

    fn eval_conditional(&mut self, c: &Conditional) -> EvalResult {
        let (cond, sensitive) = unmark(self.eval(&c.cond_expr)?);
        let chosen = match cond {
            Value::Unknown => return Ok(mark_if(Value::Unknown, sensitive)),
            Value::Bool(b) => b,
            Value::String(ref s) if s == "true" || s == "false" => s == "true",
            Value::Null => return Err(self.err(c.cond_expr.span(), "condition is null")),
            other => {
                return Err(self.err(
                    c.cond_expr.span(),
                    format!("condition must be a bool, got {}", describe(&other)),
                ))
            }
        };
        let value = if chosen {
            self.eval(&c.true_expr)?
        } else {
            self.eval(&c.false_expr)?
        };
        Ok(mark_if(value, sensitive))
    }

    fn eval_unary(&mut self, op: &UnaryOp) -> EvalResult {
        let (value, sensitive) = unmark(self.eval(&op.expr)?);
        let result = match (op.operator.value(), value) {
            (_, Value::Unknown) => Value::Unknown,
            (UnaryOperator::Neg, v) => match to_number(&v) {
                Some(n) => Value::Number(-n),
                None => {
                    return Err(self.err(
                        op.expr.span(),
                        format!("unary minus needs a number, got {}", describe(&v)),
                    ))
                }
            },
            (UnaryOperator::Not, v) => match to_bool(&v) {
                Some(b) => Value::Bool(!b),
                None => {
                    return Err(self.err(
                        op.expr.span(),
                        format!("\"!\" needs a bool, got {}", describe(&v)),
                    ))
                }
            },
        };
        Ok(mark_if(result, sensitive))
    }

    fn eval_binary(&mut self, op: &BinaryOp) -> EvalResult {
        let operator = *op.operator.value();
        let lhs = self.eval(&op.lhs_expr);
        if matches!(operator, BinaryOperator::And | BinaryOperator::Or) {
            let (l, ls) = unmark(lhs?);
            let short = matches!(operator, BinaryOperator::Or);
            let lb = match l {
                Value::Unknown => None,
                ref v => Some(to_bool(v).ok_or_else(|| {
                    self.err(
                        op.lhs_expr.span(),
                        format!("logical operator needs a bool, got {}", describe(v)),
                    )
                })?),
            };
            // Short-circuit: `false && x` is false and `true || x` is true whatever x is, so
            // guards like `var.x != null && var.x.enabled` work.
            if lb == Some(short) {
                return Ok(mark_if(Value::Bool(short), ls));
            }
            let (r, rs) = unmark(self.eval(&op.rhs_expr)?);
            let rb = match r {
                Value::Unknown => None,
                ref v => Some(to_bool(v).ok_or_else(|| {
                    self.err(
                        op.rhs_expr.span(),
                        format!("logical operator needs a bool, got {}", describe(v)),
                    )
                })?),
            };
            let result = match (lb, rb) {
                (Some(a), Some(b)) => Value::Bool(if short { a || b } else { a && b }),
                (_, Some(b)) if b == short => Value::Bool(short),
                _ => Value::Unknown,
            };
            return Ok(mark_if(result, ls || rs));
        }
        let rhs = self.eval(&op.rhs_expr);
        let (lhs, rhs) = match (lhs, rhs) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(mut a), Err(b)) => {
                a.extend(b);
                return Err(a);
            }
            (Err(a), _) | (_, Err(a)) => return Err(a),
        };
        match operator {
            BinaryOperator::Eq | BinaryOperator::NotEq => {
                let sensitive = lhs.contains_sensitive() || rhs.contains_sensitive();
                if lhs.contains_unknown() || rhs.contains_unknown() {
                    return Ok(mark_if(Value::Unknown, sensitive));
                }
                let eq = values_equal(&lhs, &rhs);
                let result = if operator == BinaryOperator::Eq {
                    eq
                } else {
                    !eq
                };
                Ok(mark_if(Value::Bool(result), sensitive))
            }
            _ => {
                let (l, ls) = unmark(lhs);
                let (r, rs) = unmark(rhs);
                let sensitive = ls || rs;
                let symbol = operator.as_str();
                let ln = self.operand(&l, &op.lhs_expr, symbol)?;
                let rn = self.operand(&r, &op.rhs_expr, symbol)?;
                let (Some(a), Some(b)) = (ln, rn) else {
                    return Ok(mark_if(Value::Unknown, sensitive));
                };
                let result = match operator {
                    BinaryOperator::Plus => Value::Number(a + b),
                    BinaryOperator::Minus => Value::Number(a - b),
                    BinaryOperator::Mul => Value::Number(a * b),
                    BinaryOperator::Div => {
                        if b == 0.0 {
                            return Err(self.err(op.rhs_expr.span(), "division by zero"));
                        }
                        Value::Number(a / b)
                    }
                    BinaryOperator::Mod => {
                        if b == 0.0 {
                            return Err(self.err(op.rhs_expr.span(), "modulo by zero"));
                        }
                        Value::Number(a % b)
                    }
                    BinaryOperator::Less => Value::Bool(a < b),
                    BinaryOperator::LessEq => Value::Bool(a <= b),
                    BinaryOperator::Greater => Value::Bool(a > b),
                    BinaryOperator::GreaterEq => Value::Bool(a >= b),
                    _ => Value::Null,
                };
                if let Value::Number(n) = result {
                    if !n.is_finite() {
                        return Err(self.err(op.span(), "arithmetic result is out of range"));
                    }
                }
                Ok(mark_if(result, sensitive))
            }
        }
    }

    /// A number operand of an arithmetic or comparison operator; `None` when unknown.
    fn operand(
        &self,
        value: &Value,
        expr: &Expression,
        symbol: &str,
    ) -> Result<Option<f64>, Diagnostics> {
        if matches!(value, Value::Unknown) {
            return Ok(None);
        }
        to_number(value).map(Some).ok_or_else(|| {
            self.err(
                expr.span(),
                format!(
                    "operator \"{symbol}\" needs a number, got {}",
                    describe(value)
                ),
            )
        })
    }

    fn eval_template(&mut self, template: &Template) -> EvalResult {
        // A template that is a single interpolation yields the interpolated value as it is,
        // so `"${var.list}"` is still a list.
        let elements: Vec<&Element> = template.iter().collect();
        if let [Element::Interpolation(interp)] = elements.as_slice() {
            return self.eval(&interp.expr);
        }
        let mut out = TemplateOut::default();
        let mut errors = Diagnostics::new();
        self.render(template, Strip::None, Strip::None, &mut out, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        if out.unknown {
            return Ok(mark_if(Value::Unknown, out.sensitive));
        }
        Ok(mark_if(Value::String(out.text), out.sensitive))
    }

    /// Renders a template into `out`; `prev` and `next` are the strip markers of the directive
    /// tags around it.
    pub(crate) fn render(
        &mut self,
        template: &Template,
        prev: Strip,
        next: Strip,
        out: &mut TemplateOut,
        errors: &mut Diagnostics,
    ) {
        if self.depth >= MAX_DEPTH {
            errors.extend(self.err(template.span(), "template is nested too deeply"));
            return;
        }
        self.depth += 1;
        let elements: Vec<&Element> = template.iter().collect();
        for (i, element) in elements.iter().enumerate() {
            let before = if i == 0 {
                prev
            } else {
                element_strip(elements[i - 1])
            };
            let after = if i + 1 == elements.len() {
                next
            } else {
                element_strip(elements[i + 1])
            };
            match element {
                Element::Literal(lit) => {
                    out.text.push_str(strip_literal(lit.value(), before, after))
                }
                Element::Interpolation(interp) => match self.eval(&interp.expr) {
                    Ok(v) => self.append(v, &interp.expr, out, errors),
                    Err(e) => errors.extend(e),
                },
                Element::Directive(directive) => self.render_directive(directive, out, errors),
            }
            if out.text.len() > crate::functions::MAX_STRING {
                errors.extend(self.err(template.span(), "template result is too large"));
                break;
            }
        }
        self.depth -= 1;
    }

    fn append(
        &mut self,
        value: Value,
        expr: &Expression,
        out: &mut TemplateOut,
        errors: &mut Diagnostics,
    ) {
        let (value, sensitive) = unmark(value);
        out.sensitive |= sensitive;
        match value {
            Value::Unknown => out.unknown = true,
            Value::String(s) => out.text.push_str(&s),
            Value::Number(n) => out.text.push_str(&format_number(n)),
            Value::Bool(b) => out.text.push_str(if b { "true" } else { "false" }),
            Value::Null => errors.extend(self.err_detail(
                expr.span(),
                "cannot include null in a template",
                "the interpolated expression has no value; use coalesce() or a conditional to give it one",
            )),
            other => errors.extend(self.err(
                expr.span(),
                format!("cannot include a {} in a template; a string is required", describe(&other)),
            )),
        }
    }

    fn render_directive(
        &mut self,
        directive: &Directive,
        out: &mut TemplateOut,
        errors: &mut Diagnostics,
    ) {
        match directive {
            Directive::If(d) => {
                let cond = match self.eval(&d.if_expr.cond_expr) {
                    Ok(v) => v,
                    Err(e) => {
                        errors.extend(e);
                        return;
                    }
                };
                let (cond, sensitive) = unmark(cond);
                out.sensitive |= sensitive;
                let chosen = match cond {
                    Value::Unknown => {
                        out.unknown = true;
                        return;
                    }
                    ref v => match to_bool(v) {
                        Some(b) => b,
                        None => {
                            errors.extend(self.err(
                                d.if_expr.cond_expr.span(),
                                format!("condition must be a bool, got {}", describe(v)),
                            ));
                            return;
                        }
                    },
                };
                if chosen {
                    let next = d.else_expr.as_ref().map_or(d.endif_expr.strip, |e| e.strip);
                    self.render(&d.if_expr.template, d.if_expr.strip, next, out, errors);
                } else if let Some(else_expr) = &d.else_expr {
                    self.render(
                        &else_expr.template,
                        else_expr.strip,
                        d.endif_expr.strip,
                        out,
                        errors,
                    );
                }
            }
            Directive::For(d) => {
                let f = &d.for_expr;
                let collection = match self.eval(&f.collection_expr) {
                    Ok(v) => v,
                    Err(e) => {
                        errors.extend(e);
                        return;
                    }
                };
                let (collection, sensitive) = unmark(collection);
                out.sensitive |= sensitive;
                let pairs = match self.iteration_pairs(collection, &f.collection_expr) {
                    Ok(Some(p)) => p,
                    Ok(None) => {
                        out.unknown = true;
                        return;
                    }
                    Err(e) => {
                        errors.extend(e);
                        return;
                    }
                };
                for (k, v) in pairs {
                    let bound = self.bind(f.key_var.as_ref(), &f.value_var, k, v);
                    self.render(&f.template, f.strip, d.endfor_expr.strip, out, errors);
                    for _ in 0..bound {
                        self.pop_local();
                    }
                    if !errors.is_empty() || out.text.len() > crate::functions::MAX_STRING {
                        break;
                    }
                }
            }
        }
    }

    /// Binds the key and value variables of a `for`; returns how many names were pushed.
    fn bind(
        &mut self,
        key_var: Option<&Decorated<Ident>>,
        value_var: &Decorated<Ident>,
        k: Value,
        v: Value,
    ) -> usize {
        let mut n = 0;
        if let Some(key_var) = key_var {
            self.push_local(key_var.as_str(), k);
            n += 1;
        }
        self.push_local(value_var.as_str(), v);
        n + 1
    }

    /// The (key, value) pairs a `for` iterates over: index and element for a list, key and
    /// value for a map. `Ok(None)` when the collection is unknown.
    pub(crate) fn iteration_pairs(
        &self,
        collection: Value,
        expr: &Expression,
    ) -> Result<Option<Vec<(Value, Value)>>, Diagnostics> {
        match collection {
            Value::Unknown => Ok(None),
            Value::List(items) => Ok(Some(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Value::Number(i as f64), v))
                    .collect(),
            )),
            Value::Map(map) => Ok(Some(
                map.into_iter()
                    .map(|(k, v)| (Value::String(k), v))
                    .collect(),
            )),
            Value::Null => Err(self.err(expr.span(), "cannot iterate over a null value")),
            other => Err(self.err(
                expr.span(),
                format!(
                    "cannot iterate over a {}; a list, set or map is required",
                    describe(&other)
                ),
            )),
        }
    }

    fn eval_for(&mut self, f: &ForExpr) -> EvalResult {
        let (collection, sensitive) = unmark(self.eval(&f.intro.collection_expr)?);
        let Some(pairs) = self.iteration_pairs(collection, &f.intro.collection_expr)? else {
            return Ok(mark_if(Value::Unknown, sensitive));
        };
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        let mut errors = Diagnostics::new();
        for (k, v) in pairs {
            let bound = self.bind(f.intro.key_var.as_ref(), &f.intro.value_var, k, v);
            let step = self.for_step(f);
            for _ in 0..bound {
                self.pop_local();
            }
            match step {
                Ok(ForStep::Skip) => {}
                Ok(ForStep::Unknown) => unknown = true,
                Ok(ForStep::Item(key, value)) => match key {
                    None => list.push(value),
                    Some(key) if f.grouping => groups.entry(key).or_default().push(value),
                    Some(key) => match map.entry(key) {
                        std::collections::btree_map::Entry::Occupied(o) => {
                            errors.extend(self.err_detail(
                                    f.key_expr.as_ref().and_then(|e| e.span()),
                                    format!("duplicate object key \"{}\"", o.key()),
                                    "two elements produce the same key; add \"...\" after the value to group them",
                                ));
                        }
                        std::collections::btree_map::Entry::Vacant(v) => {
                            v.insert(value);
                        }
                    },
                },
                Err(e) => {
                    errors.extend(e);
                    break;
                }
            }
            if list.len() + map.len() > MAX_ELEMENTS {
                return Err(self.err(f.span(), "for expression produces too many elements"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if unknown {
            return Ok(mark_if(Value::Unknown, sensitive));
        }
        let result = if f.key_expr.is_none() {
            Value::List(list)
        } else if f.grouping {
            Value::Map(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            )
        } else {
            Value::Map(map)
        };
        Ok(mark_if(result, sensitive))
    }

    fn for_step(&mut self, f: &ForExpr) -> Result<ForStep, Diagnostics> {
        let mut sensitive = false;
        if let Some(cond) = &f.cond {
            let (c, s) = unmark(self.eval(&cond.expr)?);
            sensitive = s;
            match c {
                Value::Unknown => return Ok(ForStep::Unknown),
                ref v => match to_bool(v) {
                    Some(true) => {}
                    Some(false) => return Ok(ForStep::Skip),
                    None => {
                        return Err(self.err(
                            cond.expr.span(),
                            format!("for condition must be a bool, got {}", describe(v)),
                        ))
                    }
                },
            }
        }
        let key = match &f.key_expr {
            None => None,
            Some(key_expr) => {
                let (k, s) = unmark(self.eval(key_expr)?);
                sensitive |= s;
                match k {
                    Value::Unknown => return Ok(ForStep::Unknown),
                    Value::Null => return Err(self.err(key_expr.span(), "object key is null")),
                    other => match crate::value_ops::primitive_string(&other) {
                        Some(s) => Some(s),
                        None => {
                            return Err(self.err(
                                key_expr.span(),
                                format!("object key must be a string, got {}", describe(&other)),
                            ))
                        }
                    },
                }
            }
        };
        let value = self.eval(&f.value_expr)?;
        Ok(ForStep::Item(key, mark_if(value, sensitive)))
    }

    fn eval_traversal(&mut self, t: &Traversal) -> EvalResult {
        let (value, consumed) = match &t.expr {
            Expression::Variable(v) if self.lookup_local(v.as_str()).is_none() => {
                self.resolve_root(v, &t.operators)?
            }
            other => (self.eval(other)?, 0),
        };
        self.apply_operators(value, &t.operators[consumed..])
    }

    /// Resolves a reference rooted at a name the evaluator does not bind itself: returns the
    /// referenced value and how many operators the reference consumed.
    fn resolve_root(
        &mut self,
        root: &Decorated<Ident>,
        ops: &[Decorated<TraversalOperator>],
    ) -> Result<(Value, usize), Diagnostics> {
        let name = root.as_str();
        let attr = |i: usize| match ops.get(i).map(|o| o.value()) {
            Some(TraversalOperator::GetAttr(id)) => Some(id.as_str()),
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
        let missing = |what: &str, example: &str| {
            self.err_detail(
                through(0),
                "invalid reference",
                format!("\"{name}\" must be followed by {what}, like {example}"),
            )
        };
        match name {
            "var" => {
                let Some(n) = attr(0) else {
                    return Err(missing("a variable name", "var.name"));
                };
                let v = self.scope.variable(n).ok_or_else(|| {
                    self.err(through(1), format!("reference to undeclared input variable \"{n}\""))
                })?;
                Ok((v, 1))
            }
            "local" => {
                let Some(n) = attr(0) else {
                    return Err(missing("a local value name", "local.name"));
                };
                let v = self.scope.local(n).ok_or_else(|| {
                    self.err(through(1), format!("reference to undeclared local value \"{n}\""))
                })?;
                Ok((v, 1))
            }
            "count" => match attr(0) {
                Some("index") => {
                    let v = self.scope.count_index().ok_or_else(|| {
                        self.err_detail(
                            through(1),
                            "reference to \"count\" in a non-counted context",
                            "count.index is only available in a resource or data block that sets count",
                        )
                    })?;
                    Ok((v, 1))
                }
                Some(other) => Err(self.err(
                    through(1),
                    format!("invalid \"count\" attribute \"{other}\"; only count.index exists"),
                )),
                None => Err(missing("an attribute name", "count.index")),
            },
            "each" => match attr(0) {
                Some(which @ ("key" | "value")) => {
                    let (k, v) = self.scope.each().ok_or_else(|| {
                        self.err_detail(
                            through(1),
                            "reference to \"each\" in a context without for_each",
                            "each.key and each.value are only available in a block that sets for_each",
                        )
                    })?;
                    Ok((if which == "key" { k } else { v }, 1))
                }
                Some(other) => Err(self.err(
                    through(1),
                    format!("invalid \"each\" attribute \"{other}\"; only each.key and each.value exist"),
                )),
                None => Err(missing("an attribute name", "each.key")),
            },
            "self" => {
                let v = self
                    .scope
                    .self_value()
                    .ok_or_else(|| self.err(through(0), "\"self\" is not available here"))?;
                Ok((v, 0))
            }
            "path" => {
                let Some(which) = attr(0) else {
                    return Err(missing("an attribute name", "path.module"));
                };
                match self.scope.path(which) {
                    Some(p) => Ok((Value::String(p), 1)),
                    None => Err(self.err(
                        through(1),
                        format!("unsupported path \"path.{which}\"; use path.module, path.root or path.cwd"),
                    )),
                }
            }
            "terraform" => match attr(0) {
                // Workspaces are a Terraform notion trellis does not have; configurations that
                // mention the current workspace get the name Terraform uses by default.
                Some("workspace") => Ok((Value::string("default"), 1)),
                _ => Err(self.err(through(1), "unsupported \"terraform\" attribute; only terraform.workspace exists")),
            },
            "module" => {
                let Some(n) = attr(0) else {
                    return Err(missing("a module name", "module.network.arn"));
                };
                let v = self.scope.module(n).ok_or_else(|| {
                    self.err(through(1), format!("reference to undeclared module \"module.{n}\""))
                })?;
                Ok((v, 1))
            }
            "data" => {
                let (Some(type_name), Some(n)) = (attr(0), attr(1)) else {
                    return Err(missing("a data source type and name", "data.aws_x.name"));
                };
                let v = self.scope.resource(Mode::Data, type_name, n).ok_or_else(|| {
                    self.err(
                        through(2),
                        format!("reference to undeclared data source \"data.{type_name}.{n}\""),
                    )
                })?;
                Ok((v, 2))
            }
            _ => {
                let Some(n) = attr(0) else {
                    return Err(self.err_detail(
                        through(0),
                        format!("unknown variable \"{name}\""),
                        "a reference to a resource type must be followed by the resource name, like aws_x.name",
                    ));
                };
                let v = self.scope.resource(Mode::Managed, name, n).ok_or_else(|| {
                    self.err(through(1), format!("reference to undeclared resource \"{name}.{n}\""))
                })?;
                Ok((v, 1))
            }
        }
    }

    fn apply_operators(
        &mut self,
        mut value: Value,
        ops: &[Decorated<TraversalOperator>],
    ) -> EvalResult {
        let mut i = 0;
        while i < ops.len() {
            let op = &ops[i];
            match op.value() {
                TraversalOperator::GetAttr(name) => {
                    value = self.get_attr(value, name.as_str(), op.span())?;
                }
                TraversalOperator::Index(key_expr) => {
                    let key = self.eval(key_expr)?;
                    value = self.index(value, key, op.span().or(key_expr.span()))?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    value = self.index(value, Value::Number(*n.value() as f64), op.span())?;
                }
                TraversalOperator::FullSplat(_) => {
                    return self.splat(value, &ops[i + 1..], op.span());
                }
                TraversalOperator::AttrSplat(_) => {
                    // An attribute splat applies only the attribute accesses right after it;
                    // the operators after those apply to the resulting list.
                    let mut end = i + 1;
                    while end < ops.len()
                        && matches!(
                            ops[end].value(),
                            TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)
                        )
                    {
                        end += 1;
                    }
                    value = self.splat(value, &ops[i + 1..end], op.span())?;
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
        Ok(value)
    }

    fn splat(
        &mut self,
        value: Value,
        rest: &[Decorated<TraversalOperator>],
        span: Option<Range<usize>>,
    ) -> EvalResult {
        let (value, sensitive) = unmark(value);
        let items = match value {
            Value::Unknown => return Ok(mark_if(Value::Unknown, sensitive)),
            Value::Null => Vec::new(),
            Value::List(items) => items,
            other => vec![other],
        };
        if items.len() > MAX_ELEMENTS {
            return Err(self.err(span, "splat produces too many elements"));
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.apply_operators(item, rest)?);
        }
        Ok(mark_if(Value::List(out), sensitive))
    }

    fn get_attr(&self, value: Value, name: &str, span: Option<Range<usize>>) -> EvalResult {
        let (value, sensitive) = unmark(value);
        let result = match value {
            Value::Unknown => Value::Unknown,
            Value::Map(mut map) => match map.remove(name) {
                Some(v) => v,
                None => {
                    let mut summary = format!("unsupported attribute \"{name}\"");
                    if let Some(s) = closest(name, map.keys().map(String::as_str)) {
                        summary = format!("{summary}; did you mean \"{s}\"?");
                    }
                    return Err(self.err(span, summary));
                }
            },
            Value::Null => {
                return Err(self.err_detail(
                    span,
                    format!("cannot get attribute \"{name}\" of a null value"),
                    "check the value for null first, e.g. with a conditional or try()",
                ))
            }
            Value::List(_) => {
                return Err(self.err_detail(
                    span,
                    format!("cannot get attribute \"{name}\" of a list"),
                    format!(
                    "use an index like [0].{name} for one element or [*].{name} for all of them"
                ),
                ))
            }
            other => {
                return Err(self.err(
                    span,
                    format!("cannot get attribute \"{name}\" of a {}", describe(&other)),
                ))
            }
        };
        Ok(mark_if(result, sensitive))
    }

    pub(crate) fn index(&self, value: Value, key: Value, span: Option<Range<usize>>) -> EvalResult {
        let (value, vs) = unmark(value);
        let (key, ks) = unmark(key);
        let sensitive = vs || ks;
        if matches!(value, Value::Unknown) || matches!(key, Value::Unknown) {
            return Ok(mark_if(Value::Unknown, sensitive));
        }
        let result = match value {
            Value::List(mut items) => {
                let n = match to_number(&key) {
                    Some(n) if n.fract() == 0.0 => n,
                    _ => {
                        return Err(self.err(
                            span,
                            format!(
                                "a list index must be a whole number, got {}",
                                render_key(&key)
                            ),
                        ))
                    }
                };
                if n < 0.0 || n >= items.len() as f64 {
                    return Err(self.err(
                        span,
                        format!(
                            "index {} is out of range for a list of {} elements",
                            format_number(n),
                            items.len()
                        ),
                    ));
                }
                items.swap_remove(n as usize)
            }
            Value::Map(mut map) => {
                let Some(k) = crate::value_ops::primitive_string(&key) else {
                    return Err(self.err(
                        span,
                        format!("a map key must be a string, got {}", describe(&key)),
                    ));
                };
                match map.remove(&k) {
                    Some(v) => v,
                    None => {
                        let mut summary = format!("key \"{k}\" does not exist");
                        if let Some(s) = closest(&k, map.keys().map(String::as_str)) {
                            summary = format!("{summary}; did you mean \"{s}\"?");
                        }
                        return Err(self.err(span, summary));
                    }
                }
            }
            Value::Null => return Err(self.err(span, "cannot index a null value")),
            other => return Err(self.err(span, format!("cannot index a {}", describe(&other)))),
        };
        Ok(mark_if(result, sensitive))
    }

    fn eval_call(&mut self, call: &FuncCall) -> EvalResult {
        let name = call.name.name.as_str();
        let span = call.span();
        if call.name.is_namespaced() {
            let full: Vec<&str> = call
                .name
                .namespace
                .iter()
                .map(|n| n.as_str())
                .chain([name])
                .collect();
            return Err(self.err(
                span,
                format!(
                    "provider functions are not supported: \"{}\"",
                    full.join("::")
                ),
            ));
        }
        if let Some(reason) = functions::refused(name) {
            return Err(self.err(
                call.name.name.span().or(span),
                format!("function \"{name}\" is not supported: {reason}"),
            ));
        }
        if !functions::is_known_function(name) {
            let mut summary = format!("call to unknown function \"{name}\"");
            if let Some(s) = closest(name, functions::function_names().iter().copied()) {
                summary = format!("{summary}; did you mean \"{s}\"?");
            }
            return Err(self.err(call.name.name.span().or(span), summary));
        }
        let arg_exprs: Vec<&Expression> = call.args.iter().collect();
        match name {
            "try" => return self.eval_try(&arg_exprs, span),
            "can" => return self.eval_can(&arg_exprs, span),
            "templatestring" => return self.eval_templatestring(&arg_exprs, span),
            _ => {}
        }
        let mut args = self.eval_all(arg_exprs.iter().copied())?;
        let mut spans: Vec<Option<Range<usize>>> = arg_exprs.iter().map(|e| e.span()).collect();
        if call.args.expand_final() {
            let last = args.pop();
            let last_span = spans.pop().flatten();
            let (last, sensitive) = unmark(last.unwrap_or_default());
            match last {
                Value::Unknown => return Ok(mark_if(Value::Unknown, sensitive)),
                Value::List(items) => {
                    for item in items {
                        args.push(mark_if(item, sensitive));
                        spans.push(last_span.clone());
                    }
                }
                other => {
                    return Err(self.err(
                        last_span,
                        format!(
                            "cannot expand a {} into arguments; a list is required",
                            describe(&other)
                        ),
                    ))
                }
            }
        }
        let ctx = FnCtx { scope: self.scope };
        let result = if name == "templatefile" {
            self.call_templatefile(args)
        } else {
            functions::call(name, &ctx, args)
        };
        result.map_err(|e| {
            let at = e.arg.and_then(|i| spans.get(i).cloned().flatten()).or(span);
            let mut d = error_at(self.file, at, format!("{name}(): {}", e.message));
            if let Some(detail) = e.detail {
                d = d.with_detail(detail);
            }
            let mut all: Diagnostics = d.into();
            if let Some(nested) = e.nested {
                all.extend(nested);
            }
            all
        })
    }

    fn eval_try(&mut self, args: &[&Expression], span: Option<Range<usize>>) -> EvalResult {
        if args.is_empty() {
            return Err(self.err(span, "try(): at least one argument is required"));
        }
        let mut last_errors = Diagnostics::new();
        for arg in args {
            match self.eval(arg) {
                Ok(v) if v.contains_unknown() => {
                    return Ok(mark_if(Value::Unknown, v.contains_sensitive()))
                }
                Ok(v) => return Ok(v),
                Err(e) => last_errors = e,
            }
        }
        let detail = last_errors
            .iter()
            .map(|d| d.summary.clone())
            .collect::<Vec<_>>()
            .join("; ");
        Err(self.err_detail(
            span,
            "try(): no expression succeeded",
            format!("the last one failed with: {detail}"),
        ))
    }

    fn eval_can(&mut self, args: &[&Expression], span: Option<Range<usize>>) -> EvalResult {
        if args.len() != 1 {
            return Err(self.err(
                span,
                format!("can(): expects 1 argument, got {}", args.len()),
            ));
        }
        match self.eval(args[0]) {
            Ok(v) if v.contains_unknown() => Ok(Value::Unknown),
            Ok(_) => Ok(Value::Bool(true)),
            Err(_) => Ok(Value::Bool(false)),
        }
    }

    /// `templatefile(path, vars)`: renders the file as a template in which only `vars` are in
    /// scope. Diagnostics inside the template point into the template file.
    fn call_templatefile(&mut self, args: Vec<Value>) -> Result<Value, functions::FuncError> {
        use functions::FuncError;
        let sensitive = args.iter().any(Value::contains_sensitive);
        if args.iter().any(Value::contains_unknown) {
            return Ok(mark_if(Value::Unknown, sensitive));
        }
        let path = functions::arg_str(&args, 0)?;
        let vars: Vec<(String, Value)> = match args[1].unmarked() {
            Value::Map(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Null => Vec::new(),
            other => {
                return Err(FuncError::arg(
                    1,
                    format!(
                        "template variables must be a map or object, got {}",
                        describe(other)
                    ),
                ))
            }
        };
        let text = self
            .scope
            .read_file(&path)
            .map_err(|e| FuncError::arg(0, format!("cannot read \"{path}\": {e}")))?;
        self.render_template_text(&path, &text, vars, sensitive)
    }

    /// `templatestring(ref, vars)`: renders a string value as a template in which only `vars`
    /// are in scope. As in Terraform, the template must come from a reference (`local.tmpl`,
    /// `data.x.y.body`), not a literal: a literal would already have been rendered once.
    fn eval_templatestring(
        &mut self,
        args: &[&Expression],
        span: Option<Range<usize>>,
    ) -> EvalResult {
        if args.len() != 2 {
            return Err(self.err(
                span,
                format!("templatestring(): expects 2 arguments, got {}", args.len()),
            ));
        }
        if !matches!(args[0], Expression::Variable(_) | Expression::Traversal(_)) {
            return Err(self.err_detail(
                args[0].span().or(span),
                "templatestring(): the template must be a reference to a string, not a literal or an expression",
                "give the template as a reference such as local.template or data.http.x.response_body; a quoted string here would be rendered as a template before the call",
            ));
        }
        let template_span = args[0].span();
        let template = self.eval(args[0])?;
        let vars_value = self.eval(args[1])?;
        let sensitive = template.contains_sensitive() || vars_value.contains_sensitive();
        if template.contains_unknown() || vars_value.contains_unknown() {
            return Ok(mark_if(Value::Unknown, sensitive));
        }
        let at =
            |ev: &Self, message: String| ev.err(template_span.clone().or(span.clone()), message);
        let text = match template.unmarked() {
            Value::String(s) => s.clone(),
            other => {
                return Err(at(
                    self,
                    format!(
                        "templatestring(): the template must be a string, got {}",
                        describe(other)
                    ),
                ))
            }
        };
        let vars: Vec<(String, Value)> = match vars_value.unmarked() {
            Value::Map(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Null => Vec::new(),
            other => {
                return Err(self.err(
                    args[1].span().or(span),
                    format!(
                        "templatestring(): template variables must be a map or object, got {}",
                        describe(other)
                    ),
                ))
            }
        };
        self.render_template_text("<templatestring>", &text, vars, sensitive)
            .map_err(|e| {
                // The template has no file of its own: what went wrong inside it is told at
                // the reference, in the summary.
                let mut why: Vec<String> = e.detail.into_iter().collect();
                if let Some(nested) = e.nested {
                    why.extend(nested.iter().map(|d| d.summary.clone()));
                }
                let what = if e.message.starts_with("cannot parse") {
                    "cannot parse the template"
                } else {
                    "cannot render the template"
                };
                at(
                    self,
                    format!("templatestring(): {what}: {}", why.join("; ")),
                )
            })
    }

    /// Renders `text` as a template with only `vars` in scope; `name` names it in diagnostics.
    fn render_template_text(
        &mut self,
        name: &str,
        text: &str,
        vars: Vec<(String, Value)>,
        sensitive: bool,
    ) -> Result<Value, functions::FuncError> {
        use functions::FuncError;
        let path = name.to_string();
        let template = hcl_edit::parser::parse_template(text).map_err(|e| FuncError {
            arg: Some(0),
            message: format!("cannot parse template \"{path}\""),
            detail: Some(e.to_string()),
            nested: None,
        })?;
        let file = SourceFile::new(path.clone(), text);
        let scope = TemplateScope { inner: self.scope };
        let mut ev = Evaluator::for_template(&scope, &file, vars, self.depth + 1);
        let mut out = TemplateOut::default();
        let mut errors = Diagnostics::new();
        ev.render(&template, Strip::None, Strip::None, &mut out, &mut errors);
        if !errors.is_empty() {
            return Err(FuncError {
                arg: Some(0),
                message: format!("cannot render template \"{path}\""),
                detail: None,
                nested: Some(errors),
            });
        }
        if out.unknown {
            return Ok(mark_if(Value::Unknown, sensitive || out.sensitive));
        }
        Ok(mark_if(Value::String(out.text), sensitive || out.sensitive))
    }

    pub(crate) fn eval_body(
        &mut self,
        body: &hcl_edit::structure::Body,
        skip: &[&str],
    ) -> EvalResult {
        crate::body::eval_body(self, body, skip)
    }
}

/// What a template file may refer to: only its variables (bound as names by the evaluator);
/// files and paths still go through the caller's scope.
struct TemplateScope<'a> {
    inner: &'a dyn Scope,
}

impl Scope for TemplateScope<'_> {
    fn variable(&self, _: &str) -> Option<Value> {
        None
    }
    fn local(&self, _: &str) -> Option<Value> {
        None
    }
    fn resource(&self, _: Mode, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn path(&self, which: &str) -> Option<String> {
        self.inner.path(which)
    }
    fn read_file(&self, path: &str) -> Result<String, String> {
        self.inner.read_file(path)
    }
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        self.inner.file_exists(path)
    }
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        self.inner.list_files(dir)
    }
    fn working_dir(&self) -> Option<String> {
        self.inner.working_dir()
    }
    fn home_dir(&self) -> Option<String> {
        self.inner.home_dir()
    }
}

#[derive(Default)]
pub(crate) struct TemplateOut {
    pub(crate) text: String,
    pub(crate) unknown: bool,
    pub(crate) sensitive: bool,
}

enum ForStep {
    Skip,
    Unknown,
    Item(Option<String>, Value),
}

fn element_strip(element: &Element) -> Strip {
    match element {
        Element::Literal(_) => Strip::None,
        Element::Interpolation(i) => i.strip,
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => Strip::from((
                d.if_expr.strip.strip_start(),
                d.endif_expr.strip.strip_end(),
            )),
            Directive::For(d) => Strip::from((
                d.for_expr.strip.strip_start(),
                d.endfor_expr.strip.strip_end(),
            )),
        },
    }
}

/// Strips the whitespace a `~` marker asks for: all of it (newlines included) after a marker
/// that strips its end, and before one that strips its start, as HashiCorp's HCL does.
fn strip_literal(mut literal: &str, before: Strip, after: Strip) -> &str {
    if before.strip_end() {
        literal = literal.trim_start();
    }
    if after.strip_start() {
        literal = literal.trim_end();
    }
    literal
}

/// A value as a number, converting numeric strings as HCL does.
pub(crate) fn to_number(value: &Value) -> Option<f64> {
    match value.unmarked() {
        Value::Number(n) => Some(*n),
        Value::String(s) => parse_number(s),
        _ => None,
    }
}

/// A value as a bool, converting "true" and "false" as HCL does.
pub(crate) fn to_bool(value: &Value) -> Option<bool> {
    match value.unmarked() {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

fn render_key(key: &Value) -> String {
    match key {
        Value::String(s) => format!("\"{s}\""),
        Value::Number(n) => format_number(*n),
        other => describe(other).to_string(),
    }
}
