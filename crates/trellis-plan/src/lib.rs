//! Planning: configuration, state and provider schemas in, a [`Plan`] out.
//!
//! The steps are named modules: [`graph`] (references to a dependency graph), [`variables`]
//! (input values), [`providers`] (configuring provider blocks), [`imports`] (`import`
//! blocks), [`modules`] (module instances, their inputs and outputs), [`planner`] (settle, move, refresh, walk, orphans, finish). [`scope`] is the evaluation scope that plan and apply
//! share.
//!
//! This crate does no I/O of its own: files come through [`scope::Files`], remote objects
//! through the provider trait, and state is handed in as a value. It never prints.

pub mod checks;
pub mod graph;
pub mod imports;
pub mod model;
pub mod modules;
pub mod planner;
pub mod providers;
pub mod scope;
pub mod shape;
pub mod taint;
pub mod variables;

pub use model::*;
pub use planner::{plan, PlanInput, META_ARGUMENTS};
