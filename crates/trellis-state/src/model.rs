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
    /// Objects that were the current object of an address until a create_before_destroy
    /// replacement created a new one, and that are not yet deleted: by address, then by
    /// deposed key. The next plan destroys each of them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deposed: BTreeMap<Address, BTreeMap<String, DeposedObject>>,
}

impl State {
    /// Every deposed object, in address then key order.
    pub fn deposed_objects(&self) -> impl Iterator<Item = &DeposedObject> {
        self.deposed.values().flat_map(|by_key| by_key.values())
    }

    /// Records `object` in the model (as a store does on a put).
    pub fn insert_deposed(&mut self, object: DeposedObject) {
        self.deposed
            .entry(object.object.address.clone())
            .or_default()
            .insert(object.key.clone(), object);
    }

    /// Forgets the deposed object `key` of `address`, if there is one.
    pub fn remove_deposed(&mut self, address: &Address, key: &str) {
        if let Some(by_key) = self.deposed.get_mut(address) {
            by_key.remove(key);
            if by_key.is_empty() {
                self.deposed.remove(address);
            }
        }
    }
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

/// An object set aside by a create_before_destroy replacement: it was the current object of
/// `object.address`, a new object is (or is being) created in its place, and it must still
/// be deleted. Recorded, in the same atomic write that forgets it as current, before the
/// replacement is created, so that a kill at any moment leaves the old object either
/// current or deposed, never forgotten.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeposedObject {
    /// Eight hex digits, as Terraform's deposed keys: unique among the deposed objects of
    /// one address.
    pub key: String,
    /// The object as it was last seen when it was current.
    pub object: ResourceState,
}

impl DeposedObject {
    pub fn address(&self) -> &Address {
        &self.object.address
    }
}

/// Whether `key` has the form of a deposed key: eight lowercase hex digits.
pub fn is_deposed_key(key: &str) -> bool {
    key.len() == 8 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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
