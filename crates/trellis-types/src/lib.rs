//! The small vocabulary every trellis crate speaks: [`Value`] (with unknown and sensitive
//! marks), [`Address`] of resource instances, attribute [`Path`]s, and [`Diagnostic`]s with
//! source positions.
//!
//! This crate is plain data. It does no I/O, knows nothing of HCL syntax, providers, state
//! storage or AWS, and has no opinion on how values are rendered for people.

mod address;
mod diagnostic;
mod path;
mod value;

pub use address::{Address, AddressParseError, InstanceKey, Mode, ModuleStep};
pub use diagnostic::{Diagnostic, Diagnostics, Severity, SourceFile, SourceMap, Span};
pub use path::{Path, PathStep};
pub use value::{Number, Value};
