//! The JSON snapshot of a whole state: what `state pull` prints, what backups hold and what
//! `state restore` / `state push` read.
//!
//! The form is stable: keys in a fixed order, resources and intents as lists sorted by
//! address, outputs sorted by name, pretty-printed, with a `format_version` (1) at the top:
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "lineage": "…",
//!   "serial": 7,
//!   "trellis_version": "0.1.0",
//!   "resources": [ { "address": "aws_x.y", … } ],
//!   "intents": [],
//!   "outputs": { "name": { "value": …, "sensitive": false } },
//!   "deposed": [ { "key": "1a2b3c4d", "object": { "address": "aws_x.y", … } } ]
//! }
//! ```
//!
//! `deposed` is left out when there are none, so a state without deposed objects has the
//! same snapshot as before deposed objects existed.
//!
//! A snapshot holds every value in the clear, sensitive ones included: treat it as a secret
//! (backups are written owner-only).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{
    is_deposed_key, DeposedObject, Intent, OutputState, ResourceState, State, StateMeta,
};
use crate::StateError;

/// The snapshot version this trellis writes, and the newest it reads.
pub const SNAPSHOT_FORMAT_VERSION: u64 = 1;

#[derive(Serialize)]
struct SnapshotOut<'a> {
    format_version: u64,
    lineage: &'a str,
    serial: u64,
    trellis_version: &'a str,
    resources: Vec<&'a ResourceState>,
    intents: Vec<&'a Intent>,
    outputs: &'a BTreeMap<String, OutputState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    deposed: Vec<&'a DeposedObject>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotIn {
    #[allow(dead_code)] // checked before the full decode
    format_version: u64,
    lineage: String,
    serial: u64,
    #[serde(default)]
    trellis_version: String,
    #[serde(default)]
    resources: Vec<ResourceState>,
    #[serde(default)]
    intents: Vec<Intent>,
    #[serde(default)]
    outputs: BTreeMap<String, OutputState>,
    #[serde(default)]
    deposed: Vec<DeposedObject>,
}

#[derive(Deserialize)]
struct Header {
    format_version: Option<u64>,
    terraform_version: Option<serde_json::Value>,
}

/// JSON snapshot form of a whole state: pretty, stable key order, with `format_version`,
/// and a final newline.
pub fn to_json(state: &State) -> String {
    let out = SnapshotOut {
        format_version: SNAPSHOT_FORMAT_VERSION,
        lineage: &state.meta.lineage,
        serial: state.meta.serial,
        trellis_version: &state.meta.trellis_version,
        // The maps are keyed by address, so their values come sorted by address.
        resources: state.resources.values().collect(),
        intents: state.intents.values().collect(),
        outputs: &state.outputs,
        deposed: state.deposed_objects().collect(),
    };
    // Cannot fail: every map is keyed by strings.
    let mut text = serde_json::to_string_pretty(&out).expect("state serializes to JSON");
    text.push('\n');
    text
}

/// Reads a snapshot written by [`to_json`] (of this or an older format version).
pub fn from_json(text: &str) -> Result<State, StateError> {
    let what = "state snapshot";
    let header: Header = serde_json::from_str(text).map_err(|e| StateError::corrupt(what, e))?;
    match header.format_version {
        Some(SNAPSHOT_FORMAT_VERSION) => {}
        Some(found) => {
            return Err(StateError::UnsupportedVersion {
                what: what.to_string(),
                found,
                supported: SNAPSHOT_FORMAT_VERSION,
            })
        }
        None if header.terraform_version.is_some() => {
            return Err(StateError::corrupt(
                what,
                "this is a terraform state file, not a trellis snapshot",
            ))
        }
        None => return Err(StateError::corrupt(what, "no format_version")),
    }
    let snapshot: SnapshotIn =
        serde_json::from_str(text).map_err(|e| StateError::corrupt(what, e))?;
    let mut resources = BTreeMap::new();
    for resource in snapshot.resources {
        let address = resource.address.clone();
        if resources.insert(address.clone(), resource).is_some() {
            return Err(StateError::corrupt(
                what,
                format!("resource {address} twice"),
            ));
        }
    }
    let mut intents = BTreeMap::new();
    for intent in snapshot.intents {
        let address = intent.address.clone();
        if intents.insert(address.clone(), intent).is_some() {
            return Err(StateError::corrupt(what, format!("intent {address} twice")));
        }
    }
    let mut state = State {
        meta: StateMeta {
            lineage: snapshot.lineage,
            serial: snapshot.serial,
            trellis_version: snapshot.trellis_version,
        },
        resources,
        intents,
        outputs: snapshot.outputs,
        deposed: BTreeMap::new(),
    };
    for object in snapshot.deposed {
        let (address, key) = (object.address().clone(), object.key.clone());
        if !is_deposed_key(&key) {
            return Err(StateError::corrupt(
                what,
                format!("{address}: deposed key {key:?} is not 8 hex digits"),
            ));
        }
        if state
            .deposed
            .get(&address)
            .is_some_and(|m| m.contains_key(&key))
        {
            return Err(StateError::corrupt(
                what,
                format!("deposed object {address} {key} twice"),
            ));
        }
        state.insert_deposed(object);
    }
    Ok(state)
}
