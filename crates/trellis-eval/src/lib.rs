//! The expression evaluator of the trellis configuration language.
//!
//! It takes expressions and bodies as hcl-edit parsed them (with their byte spans) and turns
//! them into [`Value`]s, which carry two marks that HCL's own values lack: unknown ("known
//! after apply") and sensitive. Everything a configuration can write inside an expression lives
//! here: references, templates and heredocs, operators, conditionals, `for` expressions,
//! splats, the built-in functions, `dynamic` blocks, type constraints and conversion.
//!
//! What it is not: it does not read files, walk directories, build the dependency graph or
//! know about providers. Whatever an expression refers to comes from a [`Scope`] that the
//! caller implements, and `file()` / `templatefile()` read through that scope too, so
//! evaluation itself does no I/O. It never panics on any input: every problem is a
//! [`Diagnostic`] with a span pointing at the offending sub-expression.
//!
//! Unknown and sensitive values propagate: an operation with an unknown operand yields an
//! unknown, and the result of an operation involving a sensitive value is sensitive.

mod body;
mod eval;
mod functions;
mod refs;
mod types;
mod value_ops;

#[cfg(test)]
mod tests;

use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use trellis_types::{Diagnostic, Diagnostics, Mode, SourceFile, Span, Value};

pub use functions::{function_names, is_known_function};
pub use types::{convert, parse_type_constraint, ObjectAttribute, TypeConstraint};

/// What an expression can refer to. Implemented by the planner and the executor.
///
/// The evaluator calls these methods while it walks an expression, once per reference it meets
/// (a reference inside a `for` expression is looked up once per element), in source order.
/// Returning `None` means "this name does not exist here" and becomes a diagnostic at the
/// reference. Implementations should be cheap and must not have side effects.
pub trait Scope {
    /// The value of `var.NAME`.
    fn variable(&self, name: &str) -> Option<Value>;
    /// The value of `local.NAME`.
    fn local(&self, name: &str) -> Option<Value>;
    /// The value of a whole resource: an object for a single instance, a list (count) or a
    /// map (for_each) of objects; [`Value::Unknown`] when the instance set isn't known.
    fn resource(&self, mode: Mode, type_name: &str, name: &str) -> Option<Value>;
    /// The value of `module.NAME`: an object of the module's outputs, or a list (count) or
    /// map (for_each) of such objects; `None` when no such module call is declared.
    fn module(&self, _name: &str) -> Option<Value> {
        None
    }
    /// `count.index`, inside a resource with `count`.
    fn count_index(&self) -> Option<Value> {
        None
    }
    /// `(each.key, each.value)`, inside a resource with `for_each`.
    fn each(&self) -> Option<(Value, Value)> {
        None
    }
    /// `self`, inside provisioners, connections and postconditions.
    fn self_value(&self) -> Option<Value> {
        None
    }
    /// `path.module`, `path.root`, `path.cwd`: `which` is `module`, `root` or `cwd`.
    fn path(&self, which: &str) -> Option<String>;
    /// `file()` and `templatefile()` go through here, so evaluation itself does no I/O. The
    /// error string is shown to the user as the reason the file could not be read.
    fn read_file(&self, path: &str) -> Result<String, String>;
    /// `fileexists()`: whether `path` names a regular file (`Ok(false)` when nothing is
    /// there); an error when it names something else or cannot be checked.
    fn file_exists(&self, path: &str) -> Result<bool, String> {
        Err(format!(
            "cannot check {path:?}: no files are reachable here"
        ))
    }
    /// `fileset()`: every regular file below the directory `dir`, as paths relative to it
    /// with `/` separators, in any order; empty when `dir` does not exist.
    fn list_files(&self, dir: &str) -> Result<Vec<String>, String> {
        Err(format!("cannot list {dir:?}: no files are reachable here"))
    }
    /// `abspath()`: the absolute directory that relative paths are relative to.
    fn working_dir(&self) -> Option<String> {
        None
    }
    /// `pathexpand()`: the user's home directory.
    fn home_dir(&self) -> Option<String> {
        None
    }
}

/// One reference an expression makes, for the dependency graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub kind: RefKind,
    /// From the start of the reference to the end of the last step that names it (for a
    /// resource, through the attribute path when there is one).
    pub span: Span,
}

/// What a [`Reference`] refers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// `var.NAME`.
    Variable(String),
    /// `local.NAME`.
    Local(String),
    /// `TYPE.NAME...` or `data.TYPE.NAME...`.
    Resource {
        mode: Mode,
        type_name: String,
        name: String,
        /// The attribute path after the resource name (after an index or splat, if there is
        /// one), as dot-separated attribute names up to the first index; best effort.
        attribute: Option<String>,
    },
    /// `module.NAME...`, with the output named after it (after an index, if there is one).
    Module {
        name: String,
        output: Option<String>,
    },
    /// `count.index`.
    CountIndex,
    /// `each.key`.
    EachKey,
    /// `each.value`.
    EachValue,
    /// `self...`.
    SelfRef,
    /// `path.module`, `path.root`, `path.cwd`: the part after `path.`.
    Path(String),
    /// The iterator of a `dynamic` block, referred to inside its `content`.
    Iterator(String),
    /// Anything else that looks like a reference (e.g. `terraform.workspace`, a bare `count`),
    /// as written.
    Unknown(String),
}

/// Evaluates one expression.
pub fn eval_expr(
    expr: &Expression,
    scope: &dyn Scope,
    file: &SourceFile,
) -> Result<Value, Diagnostics> {
    eval::Evaluator::new(scope, file).eval(expr)
}

/// Evaluates a block body into an object: each attribute to its value; each nested block type
/// to a List of objects (one per block, in order, recursively evaluated); `dynamic "x" {
/// for_each, iterator, content {} }` expanded into blocks of type x (the iterator name
/// defaults to the block type; `x.key`/`x.value` resolve inside content). Attributes and blocks
/// named in `skip` are ignored (meta-arguments); `skip` applies to the top level only.
///
/// A `dynamic` block whose `for_each` is unknown makes the whole list of its block type
/// unknown. A block type that only appears as a `dynamic` block with an empty `for_each` is
/// present as an empty list. Errors of every attribute and block are collected.
pub fn eval_body(
    body: &Body,
    skip: &[&str],
    scope: &dyn Scope,
    file: &SourceFile,
) -> Result<Value, Diagnostics> {
    eval::Evaluator::new(scope, file).eval_body(body, skip)
}

/// Every reference an expression makes (for the dependency graph), with spans, in source
/// order. Names bound by `for` expressions and template `for` directives are not references.
pub fn expr_references(expr: &Expression, file: &SourceFile) -> Vec<Reference> {
    let mut walker = refs::RefWalker::new(file);
    walker.expr(expr);
    walker.into_refs()
}

/// Every reference in a body's attributes and nested blocks, skipping the top-level
/// attributes and blocks named in `skip`. Inside a `dynamic` block's `content`, references to
/// its iterator are [`RefKind::Iterator`].
pub fn body_references(body: &Body, skip: &[&str], file: &SourceFile) -> Vec<Reference> {
    let mut walker = refs::RefWalker::new(file);
    walker.body(body, skip);
    walker.into_refs()
}

/// A diagnostic at the byte range `range` of `file` (no span when the range is missing).
pub(crate) fn error_at(
    file: &SourceFile,
    range: Option<std::ops::Range<usize>>,
    summary: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(summary).with_span(range.map(|r| file.span(r.start, r.end)))
}
