//! Views: every way a trellis command result is shown, as text.
//!
//! The core never prints. Planning, applying and validating produce values ([`Plan`],
//! [`ApplyEvent`], [`ApplySummary`], [`Diagnostics`]); the functions here turn those values
//! into strings, and the binary decides where the strings go.
//!
//! - Human: [`render_plan`], [`render_diagnostics`], [`render_apply_event`],
//!   [`render_apply_summary`], [`render_outputs`], [`render_value`] and
//!   [`render_state_resource`]. They follow Terraform's layout (`+ ~ -/+ -` symbols,
//!   attribute diffs, "(known after apply)") so that people who read Terraform plans read
//!   these without a legend. [`Style`] switches ANSI colours on or off.
//! - Machine: [`plan_json`], in the shape of Terraform's JSON plan format, plus a
//!   `connectivity` section.
//! - Pull requests: [`render_plan_markdown`], a comment that fits GitHub's size limit.
//!
//! Every plan view also shows what `trellis-mesh` derives from the plan: the connectivity
//! changes of a VPC Lattice mesh (client VPC to service pairs that appear, disappear or
//! change their IAM gate) and the mesh checks' findings, as warnings.
//!
//! What this crate is not: it does no I/O, never writes to stdout or stderr, and holds no
//! state between calls. It never shows a value that the plan marks sensitive: values in a
//! [`Change`] carry no sensitive marks, so every rendering consults the change's
//! `before_sensitive` and `after_sensitive` paths (and, defensively, any
//! [`Value::Sensitive`] mark that slipped through) before it prints a value.
//!
//! [`Plan`]: trellis_plan::Plan
//! [`Change`]: trellis_plan::Change
//! [`ApplyEvent`]: trellis_plan::ApplyEvent
//! [`ApplySummary`]: trellis_plan::ApplySummary
//! [`Diagnostics`]: trellis_types::Diagnostics
//! [`Value::Sensitive`]: trellis_types::Value::Sensitive

mod apply;
mod connectivity;
mod diagnostics;
mod diff;
mod json;
mod markdown;
mod plan;
mod style;
mod value;

pub use apply::{render_apply_event, render_apply_summary, render_outputs};
pub use connectivity::mesh_warnings;
pub use diagnostics::{render_diagnostic, render_diagnostic_short, render_diagnostics};
pub use json::{plan_json, FORMAT_VERSION as PLAN_JSON_FORMAT_VERSION};
pub use markdown::{render_plan_markdown, MARKDOWN_LIMIT};
pub use plan::render_plan;
pub use style::Style;
pub use value::{render_state_resource, render_value};
