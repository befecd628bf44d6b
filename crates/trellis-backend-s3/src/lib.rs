//! The S3 state backend: shared state for teams, beside the local sled store.
//!
//! # Layout
//!
//! For `backend "s3" { bucket = B, key = K }`:
//!
//! | object              | what                                                         |
//! |---------------------|--------------------------------------------------------------|
//! | `K`                 | the snapshot: the whole state as `state pull` prints it      |
//! | `K.tflock`          | the lock: a [`trellis_state::LockInfo`] in JSON, while held   |
//! | `K.journal/S-N-W`   | one completed change of the command of serial `S` (writer `W`)|
//!
//! # Promises
//!
//! - **Durable per change, at constant cost.** Each write of the [`StateStore`] protocol
//!   is one `PutObject` of a small journal object holding only that change; when it returns
//!   the change is in S3. Nothing rewrites the snapshot while a command runs, so the cost per
//!   change does not grow with the state. At the end of the command ([`StateStore::finish`])
//!   the journal is folded into the snapshot and deleted.
//! - **Recovery.** A command killed mid-apply leaves its journal in S3; the next opening
//!   reads the snapshot plus every journal entry newer than it (a writer folds and deletes
//!   them at once; a reader folds them in memory only).
//! - **Locking.** The lock object is created with `If-None-Match: *`, so exactly one process
//!   holds it. It is deleted with `If-Match` on its own ETag when the command ends, on
//!   interrupt, and by `force-unlock`.
//! - **No lost update.** Every snapshot write carries `If-Match` with the ETag this process
//!   read, so a process that lost its lock can never overwrite another's state; journal
//!   entries of a stale writer are recognised by serial and writer and skipped.
//!
//! This crate and trellis-aws are the only ones that see `aws-sdk-*` types. It does not plan,
//! does not print, and knows nothing of providers.

mod backend;
mod client;
mod settings;
mod store;

pub use backend::{release_held_locks, S3Backend, S3Lock};
pub use settings::{AssumeRole, S3Settings};
pub use store::{Recovery, S3Store};

pub use trellis_state::StateStore;
