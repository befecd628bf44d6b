//! The in-memory state model. It is not the storage layout: see `store` for how records are
//! laid out on disk and versioned.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use trellis_types::{Address, Path, Value};

/// What trellis knows of the real world after the last operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub meta: StateMeta,
    /// One entry per resource instance (managed resources only; data sources are read
    /// again on every plan and are not kept).
    pub resources: BTreeMap<Address, ResourceState>,
    /// Creates whose outcome is not yet known: recorded before the create call, removed once
    /// the result is recorded. A non-empty set after a crash is settled by the next run.
    pub intents: BTreeMap<Address, Intent>,
    pub outputs: BTreeMap<String, OutputState>,
}

/// Identity and version of a state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMeta {
    /// A random identifier given when the state is first created; it never changes. A saved
    /// plan applies only to a state of the same lineage.
    pub lineage: String,
    /// Grows with every operation that writes the state. A saved plan applies only to the
    /// serial it was made against.
    pub serial: u64,
    /// The trellis version that last wrote the state.
    pub trellis_version: String,
}

/// One managed resource instance, as last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    pub address: Address,
    pub type_name: String,
    /// The provider configuration that manages it: `aws` or `aws.network`.
    pub provider: String,
    /// The provider's schema version for `value`.
    pub schema_version: u32,
    /// All attributes, without sensitive marks.
    pub value: Value,
    /// Paths in `value` that are sensitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<Path>,
    /// Addresses this instance depended on when last applied: deletes run in the reverse
    /// order even after the configuration that named them is gone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Address>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// The provider's private data for the object (for AWS, its last-modified stamp, which
    /// lets a refresh skip objects that have not changed). Opaque to the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<serde_json::Value>,
}

/// A create that was about to be sent to a provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub address: Address,
    pub type_name: String,
    pub provider: String,
    /// The idempotency token sent with the create (and with every retry of it).
    pub token: String,
    /// The values the create was sent with.
    pub planned: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<Path>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Address>,
    /// Seconds since the Unix epoch.
    pub recorded_at: u64,
}

/// An output value as last applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    pub value: Value,
    pub sensitive: bool,
}
