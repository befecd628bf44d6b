//! Reads trellis configuration (HCL, Terraform's language) into a typed [`Config`].
//!
//! [`parse`] takes the `*.tf` and `*.tf.json` files of one directory, already loaded into a
//! [`trellis_types::SourceMap`], and returns the [`Config`] they describe together with every
//! [`trellis_types::Diagnostic`] found: syntax errors, unknown block types, wrong labels,
//! duplicates, malformed meta-arguments. It goes on after the first problem, and every
//! diagnostic carries a span so that it can be shown as `file:line:col` with a snippet.
//! [`format_source`] rewrites a file in `terraform fmt` style; [`render_plain`] turns
//! diagnostics into plain text lines. [`load_modules_with`] reads the modules that `module`
//! blocks call (through functions the caller gives it for reading a directory and for
//! finding where `trellis init` installed a remote module) into [`Config::children`],
//! checking sources, cycles, nesting depth and module arguments.
//!
//! What this crate is not: it does no I/O (the caller reads the files, also a module's; [`decode_source`] turns
//! their bytes into a [`trellis_types::SourceFile`]), it does not evaluate expressions (they
//! stay hcl-edit syntax trees, evaluated later with the values the planner knows), it knows
//! no provider schema (unknown resource types and attributes are found by the planner), and
//! it does not follow references between items (that is the graph's job).

mod blocks;
mod diag;
mod exprs;
mod fmt;
mod json;
mod lex;
pub mod model;
mod modules;
mod overrides;
mod parse;
mod typeexpr;

pub use blocks::is_local_source;
pub use diag::render_plain;
pub use fmt::format_source;
pub use model::*;
pub use modules::{
    check_removed, join_dir, load_modules, load_modules_with, RemoteCall, Unresolved,
    MAX_MODULE_DEPTH,
};
pub use parse::{parse, MAX_FILE_SIZE};

use trellis_types::{Diagnostic, Diagnostics, SourceFile};

/// Turns the bytes of a file into a [`SourceFile`], or a diagnostic pointing at the first
/// byte that is not UTF-8.
pub fn decode_source(name: &str, bytes: &[u8]) -> Result<SourceFile, Diagnostics> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(e) => {
            let valid = e.valid_up_to();
            // The prefix is valid UTF-8, so positions within it can be computed as usual.
            let prefix = SourceFile::new(name, String::from_utf8_lossy(&bytes[..valid]));
            Err(Diagnostic::error("file is not valid UTF-8")
                .with_detail(format!("invalid byte 0x{:02x}", bytes[valid]))
                .with_span(Some(prefix.span(valid, valid + 1)))
                .into())
        }
    }
}
