//! The small vocabulary every trellis crate speaks: [`Value`] (with unknown and sensitive
//! marks), [`Address`] of resource instances, attribute [`Path`]s, [`Diagnostic`]s with
//! source positions, the [`Location`] (account and region) a change lands in, and the
//! [`TypeConstraint`]s of input variables.
//!
//! This crate is plain data. It does no I/O, knows nothing of HCL syntax, providers, state
//! storage or AWS, and has no opinion on how values are rendered for people.

mod address;
mod constraint;
mod diagnostic;
mod location;
mod path;
mod value;

pub use address::{Address, AddressParseError, InstanceKey, Mode, ModuleStep};
pub use constraint::{ObjectAttribute, TypeConstraint};
pub use diagnostic::{Diagnostic, Diagnostics, Severity, SourceFile, SourceMap, Span};
pub use location::Location;
pub use path::{Path, PathStep};
pub use value::{Number, Value};
