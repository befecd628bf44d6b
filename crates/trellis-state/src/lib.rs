//! The state of a trellis working directory: the model ([`State`]), the store trait that
//! the executor writes through one record at a time ([`StateStore`]), the local sled store
//! ([`SledStore`]), the exclusive lock ([`acquire_lock`]), and JSON snapshots for
//! `state pull`, backups and restore ([`to_json`], [`write_backup`]).
//!
//! The model, the stored record format and the storage are kept apart: [`model`] is the
//! in-memory form, [`record`] the versioned byte form of one record (with
//! [`upgrade_record`]), [`store`] the sled layout, [`snapshot`] the whole-state JSON form.
//!
//! **State holds secrets.** Attribute values are stored in the clear, sensitive ones
//! included; the store, lock and backup files are created owner-only (0700 directories,
//! 0600 files), and a snapshot printed by `state pull` must be handled as a secret.
//!
//! A state that cannot be read is an error ([`StateError::Corrupt`]), never an empty state,
//! and a sled store whose log lost durable writes is an error too
//! ([`StateError::RolledBack`], found by the high-water mark of [`mark`]), never an older
//! state.
//!
//! This crate does not plan, does not call providers and does not print.

pub mod backup;
pub mod error;
pub mod lock;
pub mod mark;
pub mod model;
pub mod record;
pub mod snapshot;
pub mod store;
mod sys;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

pub use backup::{list_backups, read_backup, write_backup, BackupInfo, DEFAULT_BACKUPS_KEPT};
pub use error::StateError;
pub use lock::{acquire_lock, force_unlock, read_lock, LockGuard, LockInfo};
pub use model::*;
pub use record::{
    decode_record, encode_record, upgrade_record, Record, RecordKind, RECORD_VERSION,
};
pub use snapshot::{from_json, to_json, SNAPSHOT_FORMAT_VERSION};
pub use store::{SledStore, StateStore, StateWrite};

/// A fresh random lineage for a new state (32 hex digits).
pub fn new_lineage() -> Result<String, StateError> {
    sys::random_hex(16)
}

/// A fresh deposed key (8 hex digits, as Terraform's). The caller picks another when the
/// address already has a deposed object of that key.
pub fn new_deposed_key() -> Result<String, StateError> {
    sys::random_hex(4)
}

/// A fresh, empty state: new lineage, serial 0, this trellis version.
pub fn new_state() -> Result<State, StateError> {
    Ok(State {
        meta: StateMeta {
            lineage: new_lineage()?,
            serial: 0,
            trellis_version: env!("CARGO_PKG_VERSION").to_string(),
        },
        ..State::default()
    })
}

/// Checks that a state is the one a saved plan was made against.
pub fn check_meta(expected: &StateMeta, actual: &StateMeta) -> Result<(), StateError> {
    if expected.lineage != actual.lineage {
        return Err(StateError::LineageMismatch {
            expected: expected.lineage.clone(),
            found: actual.lineage.clone(),
        });
    }
    if expected.serial != actual.serial {
        return Err(StateError::SerialMismatch {
            expected: expected.serial,
            found: actual.serial,
        });
    }
    Ok(())
}
