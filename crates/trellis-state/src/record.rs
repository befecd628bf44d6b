//! The stored form of one state record, apart from the model.
//!
//! # Encoding
//!
//! Every value the store writes is **one version byte followed by compact JSON**:
//!
//! ```text
//! 0x01 {"address":"aws_x.y","type_name":"aws_x",...}
//! ```
//!
//! The version byte comes first so that a reader knows how to decode the body before it
//! parses it, and so that the current version is parsed straight into the model without an
//! intermediate JSON tree. Version 1 bodies are the serde JSON form of the model types
//! ([`StateMeta`], [`ResourceState`], [`Intent`], [`DeposedObject`], and a map of [`OutputState`] for the
//! outputs record). The fixtures under `testdata/state/` pin that form: a change to the
//! model that changes the bytes fails their round-trip test.
//!
//! # Adding a version
//!
//! When the stored form must change: raise [`RECORD_VERSION`], add a step in
//! [`upgrade_record`] that turns a body of the previous version into the new one (per
//! [`RecordKind`]), keep the old fixtures (they must now decode through the upgrade) and add
//! fixtures of the new version. Records are upgraded as they are read and written back in the
//! new version the next time they are put; nothing rewrites a whole store at once.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::model::{DeposedObject, Intent, OutputState, ResourceState, StateMeta};
use crate::StateError;

/// The version this trellis writes, and the newest it reads.
pub const RECORD_VERSION: u8 = 1;

/// What a record holds; upgrades may differ per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// The `meta` key: lineage, serial, trellis version. Its version byte is also the
    /// version of the store layout as a whole.
    Meta,
    /// An `r/<address>` key.
    Resource,
    /// An `i/<address>` key.
    Intent,
    /// The `outputs` key.
    Outputs,
    /// A `d/<deposed key>/<address>` key.
    Deposed,
}

impl RecordKind {
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Meta => "meta record",
            RecordKind::Resource => "resource record",
            RecordKind::Intent => "intent record",
            RecordKind::Outputs => "outputs record",
            RecordKind::Deposed => "deposed record",
        }
    }
}

/// A model type that is stored as one record.
pub trait Record: Serialize + DeserializeOwned {
    const KIND: RecordKind;
}

impl Record for StateMeta {
    const KIND: RecordKind = RecordKind::Meta;
}
impl Record for ResourceState {
    const KIND: RecordKind = RecordKind::Resource;
}
impl Record for Intent {
    const KIND: RecordKind = RecordKind::Intent;
}
impl Record for DeposedObject {
    const KIND: RecordKind = RecordKind::Deposed;
}
impl Record for BTreeMap<String, OutputState> {
    const KIND: RecordKind = RecordKind::Outputs;
}

/// Encodes `value` in the current record version.
pub fn encode_record<T: Record>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(RECORD_VERSION);
    // Serializing the model to JSON cannot fail: every map is keyed by strings and the
    // writer is a Vec.
    serde_json::to_writer(&mut out, value).expect("state records serialize to JSON");
    out
}

/// Decodes a record of any supported version, upgrading older ones.
pub fn decode_record<T: Record>(bytes: &[u8]) -> Result<T, StateError> {
    decode_named(T::KIND.name(), bytes)
}

/// Like [`decode_record`], with `what` (the key) named in errors.
pub(crate) fn decode_named<T: Record>(what: &str, bytes: &[u8]) -> Result<T, StateError> {
    let Some((&version, body)) = bytes.split_first() else {
        return Err(StateError::corrupt(what, "empty record"));
    };
    if version == RECORD_VERSION {
        return serde_json::from_slice(body).map_err(|e| StateError::corrupt(what, e));
    }
    check_version(what, version)?;
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| StateError::corrupt(what, e))?;
    let upgraded = upgrade_record(T::KIND, version, json).map_err(|e| rename(e, what))?;
    serde_json::from_value(upgraded).map_err(|e| StateError::corrupt(what, e))
}

/// Turns the JSON body of a record of `version` into a body of [`RECORD_VERSION`], one
/// version step at a time.
///
/// Version 1 is the first version, so today this only accepts version 1 (and returns the
/// body unchanged); versions 0 and above [`RECORD_VERSION`] are refused.
pub fn upgrade_record(
    kind: RecordKind,
    version: u8,
    body: serde_json::Value,
) -> Result<serde_json::Value, StateError> {
    check_version(kind.name(), version)?;
    // Steps are added here in order, each one version forward:
    // if version < 2 { body = v1_to_v2(kind, body)?; }
    Ok(body)
}

fn check_version(what: &str, version: u8) -> Result<(), StateError> {
    if version == 0 || version > RECORD_VERSION {
        return Err(StateError::UnsupportedVersion {
            what: what.to_string(),
            found: u64::from(version),
            supported: u64::from(RECORD_VERSION),
        });
    }
    Ok(())
}

fn rename(err: StateError, what: &str) -> StateError {
    match err {
        StateError::Corrupt { detail, .. } => StateError::Corrupt {
            what: what.to_string(),
            detail,
        },
        StateError::UnsupportedVersion {
            found, supported, ..
        } => StateError::UnsupportedVersion {
            what: what.to_string(),
            found,
            supported,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{sample_intent, sample_outputs, sample_resource};

    #[test]
    fn encodes_with_a_version_byte_and_round_trips() {
        let resource = sample_resource("aws_vpclattice_service.orders");
        let bytes = encode_record(&resource);
        assert_eq!(bytes[0], RECORD_VERSION);
        assert_eq!(bytes[1], b'{');
        let back: ResourceState = decode_record(&bytes).unwrap();
        assert_eq!(back, resource);
    }

    #[test]
    fn refuses_unknown_versions_and_garbage() {
        let mut bytes = encode_record(&sample_intent("aws_x.y"));
        bytes[0] = 2;
        let err = decode_record::<Intent>(&bytes).unwrap_err();
        assert!(
            matches!(
                err,
                StateError::UnsupportedVersion {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{err}"
        );
        bytes[0] = 0;
        assert!(matches!(
            decode_record::<Intent>(&bytes).unwrap_err(),
            StateError::UnsupportedVersion { found: 0, .. }
        ));
        assert!(matches!(
            decode_record::<Intent>(&[]).unwrap_err(),
            StateError::Corrupt { .. }
        ));
        assert!(matches!(
            decode_record::<Intent>(b"\x01{\"address\":").unwrap_err(),
            StateError::Corrupt { .. }
        ));
        // A record of the wrong kind does not decode either.
        let outputs = encode_record(&sample_outputs());
        assert!(decode_record::<ResourceState>(&outputs).is_err());
    }

    #[test]
    fn upgrade_of_current_version_is_identity() {
        let body = serde_json::json!({"lineage": "l", "serial": 3, "trellis_version": "0.1.0"});
        let out = upgrade_record(RecordKind::Meta, RECORD_VERSION, body.clone()).unwrap();
        assert_eq!(out, body);
        assert!(upgrade_record(RecordKind::Meta, 9, body).is_err());
    }
}
