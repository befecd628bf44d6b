//! Type constraints of input variables, as plain data: trellis-config reads them from
//! `variable` blocks and trellis-eval converts values to them, so the one definition lives
//! below both.

use std::collections::BTreeMap;

use crate::Value;

/// A type constraint as HCL writes it: `any`, `string`, `number`, `bool`, `list(T)`,
/// `set(T)`, `map(T)`, `tuple([...])`, `object({a = T, b = optional(T, default)})`.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeConstraint {
    Any,
    String,
    Number,
    Bool,
    List(Box<TypeConstraint>),
    Set(Box<TypeConstraint>),
    Map(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    Object(BTreeMap<String, ObjectAttribute>),
}

/// One attribute of an `object({...})` type constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttribute {
    pub ty: TypeConstraint,
    /// `optional(...)`.
    pub optional: bool,
    /// The default of `optional(type, default)`, already a constant.
    pub default: Option<Value>,
}
