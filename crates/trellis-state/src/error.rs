//! The one error type of this crate.

use std::path::PathBuf;

use crate::lock::LockInfo;

/// Why a state operation failed.
///
/// A state that cannot be read is always an error ([`StateError::Corrupt`] or
/// [`StateError::Io`]); no function of this crate turns a damaged state into an empty one.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file system refused an operation on `path`.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Stored data that cannot be decoded. `what` names the store and the key or file.
    #[error("state is damaged: {what}: {detail}")]
    Corrupt { what: String, detail: String },

    /// Another process holds the lock; the holder is described.
    #[error("state is locked: {0}")]
    Locked(Box<LockInfo>),

    /// The store's log holds fewer flushes than its high-water mark recorded: writes that were
    /// once durable are gone (a log cut short inside its data), and what sled recovers is an
    /// older state. It is not opened; see [`crate::mark`].
    #[error("state is damaged: {}: its log ends at flush {found}, but its high-water mark ({}) records flush {expected}: the log lost writes that were made durable, and reading it would roll the state back", dir.display(), mark.display())]
    RolledBack {
        dir: PathBuf,
        mark: PathBuf,
        expected: u64,
        found: u64,
    },

    /// A record or snapshot written by a newer trellis (or of a version that never existed).
    #[error("{what} has version {found}, this trellis reads versions 1 to {supported}")]
    UnsupportedVersion {
        what: String,
        found: u64,
        supported: u64,
    },

    /// A plan or snapshot belongs to another state.
    #[error("state lineage is {found}, expected {expected}")]
    LineageMismatch { expected: String, found: String },

    /// A plan was made against another serial of the same state.
    #[error("state serial is {found}, expected {expected}")]
    SerialMismatch { expected: u64, found: u64 },

    /// `force_unlock` found no lock file.
    #[error("no lock at {}", path.display())]
    NotLocked { path: PathBuf },

    /// `force_unlock` was given an id that is not the holder's.
    #[error("lock id {given} does not match the lock held: {holder}")]
    LockIdMismatch {
        given: String,
        holder: Box<LockInfo>,
    },

    /// A remote store (the S3 backend) failed or refused a call. `what` names the object.
    #[error("{what}: {detail}")]
    Remote { what: String, detail: String },

    /// A conditional write was refused because another writer changed the stored object
    /// since this process read it (S3 `If-Match` failed). Nothing was overwritten.
    #[error("{what} was changed by another writer since this process read it; not overwritten: {detail}")]
    Conflict { what: String, detail: String },

    /// `force_unlock` refused because the holder is still running.
    #[error("lock is held by a running process, not removed: {0}")]
    LockHolderAlive(Box<LockInfo>),
}

impl StateError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StateError {
        StateError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>, detail: impl ToString) -> StateError {
        StateError::Corrupt {
            what: what.into(),
            detail: detail.to_string(),
        }
    }
}
