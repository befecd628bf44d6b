//! The S3 state store: a snapshot object plus one small journal object per completed
//! change, folded into the snapshot at the end of each command.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use trellis_state::{
    from_json, new_state, to_json, DeposedObject, Intent, OutputState, ResourceState, State,
    StateError, StateMeta, StateStore,
};
use trellis_types::Address;

use crate::backend::{Condition, S3Backend};
use crate::client::{remote, Failure};

/// How often a read starts again when the journal changes under it.
const READ_ATTEMPTS: usize = 5;

/// `SERIAL-SEQ-WRITER` (serial and sequence zero-padded, so names sort in write order).
fn parse_entry_name(name: &str) -> Option<(u64, &str)> {
    let mut parts = name.splitn(3, '-');
    let serial = parts.next()?.parse().ok()?;
    let _seq: u64 = parts.next()?.parse().ok()?;
    let writer = parts.next().filter(|w| !w.is_empty())?;
    Some((serial, writer))
}

/// The journal entry format this trellis writes and reads.
const JOURNAL_FORMAT_VERSION: u64 = 1;

/// One change, as one journal object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Change {
    /// `begin_write`: the new serial, written first by each writing command.
    Meta {
        meta: StateMeta,
    },
    /// A resource recorded (also settles the intent at its address).
    PutResource {
        resource: ResourceState,
    },
    RemoveResource {
        address: Address,
    },
    PutIntent {
        intent: Intent,
    },
    RemoveIntent {
        address: Address,
    },
    PutOutputs {
        outputs: BTreeMap<String, OutputState>,
    },
    PutDeposed {
        deposed: DeposedObject,
    },
    RemoveDeposed {
        address: Address,
        key: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    format_version: u64,
    /// The serial of the command that wrote it; entries at or below the snapshot's serial
    /// are already in the snapshot and are skipped.
    serial: u64,
    /// A random id of the writing process: of two writers of one serial (possible only
    /// after a lock was forced away), only the first one's entries count.
    writer: String,
    #[serde(flatten)]
    change: Change,
}

impl Change {
    fn apply(self, state: &mut State) {
        match self {
            Change::Meta { meta } => state.meta = meta,
            Change::PutResource { resource } => {
                state.intents.remove(&resource.address);
                state.resources.insert(resource.address.clone(), resource);
            }
            Change::RemoveResource { address } => {
                state.resources.remove(&address);
            }
            Change::PutIntent { intent } => {
                state.intents.insert(intent.address.clone(), intent);
            }
            Change::RemoveIntent { address } => {
                state.intents.remove(&address);
            }
            Change::PutOutputs { outputs } => state.outputs = outputs,
            Change::PutDeposed { deposed } => state.insert_deposed(deposed),
            Change::RemoveDeposed { address, key } => state.remove_deposed(&address, &key),
        }
    }
}

/// What a store opened: how many journal entries of an interrupted run it found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Journal entries newer than the snapshot, folded into the state that was read.
    pub entries: usize,
    /// Stale entries (already in the snapshot, or of a writer that lost its lock) skipped.
    pub skipped: usize,
}

struct Inner {
    state: State,
    /// ETag of the snapshot this process read or last wrote; every snapshot write is
    /// conditional on it.
    etag: String,
    /// Journal objects that are not yet folded into the snapshot.
    journal: Vec<String>,
}

/// The S3 store. See the crate docs for the layout and the promises.
///
/// Loads keep the whole state in memory: while the lock is held no one else writes, so
/// `load` and `meta` answer from memory, and each write is one small PUT.
pub struct S3Store {
    backend: Arc<S3Backend>,
    inner: Mutex<Inner>,
    seq: AtomicU64,
    writer: String,
    recovery: Recovery,
    /// Opened with [`S3Store::open`] under the lock: may fold the journal when dropped.
    writes: bool,
}

impl Drop for S3Store {
    /// A writer that ends without [`StateStore::finish`] (an error path) still folds its
    /// journal, best effort: every entry is durable already, and a failure here leaves the
    /// journal for the next opening to recover.
    fn drop(&mut self) {
        if self.writes {
            let _ = self.finish();
        }
    }
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("url", &self.backend.settings.url())
            .finish()
    }
}

impl S3Store {
    /// Opens the state for a writing command (the caller holds the lock): creates it with a
    /// fresh lineage if there is none (`If-None-Match: *`), and folds the journal of an
    /// interrupted run into the snapshot at once.
    pub fn open(backend: &Arc<S3Backend>) -> Result<S3Store, StateError> {
        let store = match S3Store::read(backend)? {
            Some(store) => store,
            None => {
                let state = new_state()?;
                let key = &backend.settings.key;
                match backend.put(key, to_json(&state).into_bytes(), Some(Condition::Absent))? {
                    Ok(etag) => {
                        S3Store::new(backend, state, etag, Vec::new(), Recovery::default())?
                    }
                    // Created by another process between our read and our write.
                    Err(Failure::Precondition) | Err(Failure::Conflict) => S3Store::read(backend)?
                        .ok_or_else(|| StateError::Remote {
                            what: backend.settings.url(),
                            detail: "created and deleted by another process".to_string(),
                        })?,
                    Err(other) => return Err(remote(backend.settings.url(), other)),
                }
            }
        };
        let mut store = store;
        store.writes = true;
        store.finish()?;
        Ok(store)
    }

    /// Opens the state for reading only: `None` when there is no state object. A journal
    /// left by an interrupted run is read and folded into the state in memory, not written.
    pub fn open_existing(backend: &Arc<S3Backend>) -> Result<Option<S3Store>, StateError> {
        S3Store::read(backend)
    }

    /// What opening found of an interrupted run.
    pub fn recovery(&self) -> Recovery {
        self.recovery
    }

    fn new(
        backend: &Arc<S3Backend>,
        state: State,
        etag: String,
        journal: Vec<String>,
        recovery: Recovery,
    ) -> Result<S3Store, StateError> {
        Ok(S3Store {
            backend: backend.clone(),
            inner: Mutex::new(Inner {
                state,
                etag,
                journal,
            }),
            seq: AtomicU64::new(0),
            writer: trellis_state::new_lineage()?[..12].to_string(),
            recovery,
            writes: false,
        })
    }

    /// Reads the snapshot and the journal entries newer than it. A reader may race the
    /// writer's fold (entries listed, then deleted): it then reads again.
    fn read(backend: &Arc<S3Backend>) -> Result<Option<S3Store>, StateError> {
        for _ in 0..READ_ATTEMPTS {
            if let Some(read) = S3Store::read_once(backend)? {
                return Ok(read);
            }
        }
        Err(StateError::Remote {
            what: backend.settings.url(),
            detail: format!(
                "the journal kept changing under {READ_ATTEMPTS} reads in a row; try again"
            ),
        })
    }

    /// `None` when a listed journal entry vanished before it was read (folded meanwhile).
    #[allow(clippy::type_complexity)]
    fn read_once(backend: &Arc<S3Backend>) -> Result<Option<Option<S3Store>>, StateError> {
        let settings = &backend.settings;
        let url = settings.url();
        // The journal first: entries listed before a fold are then either in the snapshot
        // read after it (and skipped by serial, from their names, without a GET) or still
        // there to read.
        let journal = backend.list(&settings.journal_prefix())?;
        let snapshot = backend.get(&settings.key)?;
        let Some(snapshot) = snapshot else {
            if journal.is_empty() {
                return Ok(Some(None));
            }
            return Err(StateError::Corrupt {
                what: url,
                detail: format!("{} journal objects but no state object", journal.len()),
            });
        };
        let text = String::from_utf8(snapshot.bytes).map_err(|e| StateError::Corrupt {
            what: url.clone(),
            detail: e.to_string(),
        })?;
        let mut state = from_json(&text).map_err(|e| match e {
            StateError::Corrupt { detail, .. } => StateError::Corrupt {
                what: url.clone(),
                detail,
            },
            other => other,
        })?;
        let base = state.meta.serial;
        let mut recovery = Recovery::default();
        let mut writers: BTreeMap<u64, String> = BTreeMap::new();
        for key in &journal {
            let what = backend.url_of(key);
            let name = &key[settings.journal_prefix().len()..];
            let (serial, writer) = parse_entry_name(name).ok_or_else(|| StateError::Corrupt {
                what: what.clone(),
                detail: "not a journal entry name (SERIAL-SEQ-WRITER)".to_string(),
            })?;
            // Of two writers of one serial (a lock forced away), the first in order counts.
            let first_writer = writers.entry(serial).or_insert_with(|| writer.to_string());
            if serial <= base || first_writer != writer {
                recovery.skipped += 1;
                continue;
            }
            let Some(object) = backend.get(key)? else {
                return Ok(None);
            };
            let entry: Entry =
                serde_json::from_slice(&object.bytes).map_err(|e| StateError::Corrupt {
                    what: what.clone(),
                    detail: e.to_string(),
                })?;
            if entry.format_version > JOURNAL_FORMAT_VERSION {
                return Err(StateError::UnsupportedVersion {
                    what,
                    found: entry.format_version,
                    supported: JOURNAL_FORMAT_VERSION,
                });
            }
            if entry.serial != serial || entry.writer != writer {
                return Err(StateError::Corrupt {
                    what,
                    detail: "the entry's serial or writer differs from its name".to_string(),
                });
            }
            recovery.entries += 1;
            entry.change.apply(&mut state);
        }
        S3Store::new(backend, state, snapshot.etag, journal, recovery).map(|s| Some(Some(s)))
    }

    /// Writes one journal object; the change is durable in S3 when this returns.
    fn write(&self, change: Change) -> Result<(), StateError> {
        let serial = self.lock().state.meta.serial;
        let seq = self.seq.fetch_add(1, Ordering::SeqCst);
        let key = format!(
            "{}{serial:020}-{seq:010}-{}",
            self.backend.settings.journal_prefix(),
            self.writer
        );
        let entry = Entry {
            format_version: JOURNAL_FORMAT_VERSION,
            serial,
            writer: self.writer.clone(),
            change,
        };
        let body = serde_json::to_vec(&entry).map_err(|e| StateError::Corrupt {
            what: key.clone(),
            detail: e.to_string(),
        })?;
        match self.backend.put(&key, body, Some(Condition::Absent))? {
            Ok(_) => {}
            Err(Failure::Precondition) | Err(Failure::Conflict) => {
                return Err(StateError::Conflict {
                    what: self.backend.url_of(&key),
                    detail: "another writer wrote the same journal entry".to_string(),
                })
            }
            Err(other) => return Err(remote(self.backend.url_of(&key), other)),
        }
        let mut inner = self.lock();
        entry.change.apply(&mut inner.state);
        inner.journal.push(key);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the snapshot over the version this process read (`If-Match`), then deletes
    /// the journal objects it folds in. A lost race is [`StateError::Conflict`] and
    /// overwrites nothing.
    fn write_snapshot(&self, state: Option<&State>) -> Result<(), StateError> {
        let (body, etag, folded) = {
            let inner = self.lock();
            let state = state.unwrap_or(&inner.state);
            (to_json(state), inner.etag.clone(), inner.journal.clone())
        };
        let key = &self.backend.settings.key;
        let etag = match self.backend.put(key, body.into_bytes(), Some(Condition::Matches(etag)))? {
            Ok(etag) => etag,
            Err(Failure::Precondition) | Err(Failure::NotFound) | Err(Failure::Conflict) => {
                return Err(StateError::Conflict {
                    what: self.backend.settings.url(),
                    detail: "the state object is no longer the version this run read (was the lock forced away?); its journal is kept in S3 and the next run folds in what is still valid".to_string(),
                })
            }
            Err(other) => return Err(remote(self.backend.settings.url(), other)),
        };
        {
            let mut inner = self.lock();
            inner.etag = etag;
            if let Some(state) = state {
                inner.state = state.clone();
            }
            inner.journal.retain(|k| !folded.contains(k));
        }
        self.backend.delete_many(&folded)
    }
}

impl StateStore for S3Store {
    fn load(&self) -> Result<State, StateError> {
        Ok(self.lock().state.clone())
    }

    fn meta(&self) -> Result<StateMeta, StateError> {
        Ok(self.lock().state.meta.clone())
    }

    fn begin_write(&self) -> Result<StateMeta, StateError> {
        let mut meta = self.meta()?;
        meta.serial += 1;
        meta.trellis_version = env!("CARGO_PKG_VERSION").to_string();
        // The entry carries the new serial: bump it in memory first so that `write` files
        // the entry under it.
        self.lock().state.meta.serial = meta.serial;
        self.write(Change::Meta { meta: meta.clone() })?;
        Ok(meta)
    }

    fn put_resource(&self, resource: &ResourceState) -> Result<(), StateError> {
        self.write(Change::PutResource {
            resource: resource.clone(),
        })
    }

    fn remove_resource(&self, address: &Address) -> Result<(), StateError> {
        if !self.lock().state.resources.contains_key(address) {
            return Ok(());
        }
        self.write(Change::RemoveResource {
            address: address.clone(),
        })
    }

    fn put_intent(&self, intent: &Intent) -> Result<(), StateError> {
        self.write(Change::PutIntent {
            intent: intent.clone(),
        })
    }

    fn remove_intent(&self, address: &Address) -> Result<(), StateError> {
        if !self.lock().state.intents.contains_key(address) {
            return Ok(());
        }
        self.write(Change::RemoveIntent {
            address: address.clone(),
        })
    }

    fn put_outputs(&self, outputs: &BTreeMap<String, OutputState>) -> Result<(), StateError> {
        self.write(Change::PutOutputs {
            outputs: outputs.clone(),
        })
    }

    fn put_deposed(&self, deposed: &DeposedObject) -> Result<(), StateError> {
        self.write(Change::PutDeposed {
            deposed: deposed.clone(),
        })
    }

    fn remove_deposed(&self, address: &Address, key: &str) -> Result<(), StateError> {
        self.write(Change::RemoveDeposed {
            address: address.clone(),
            key: key.to_string(),
        })
    }

    fn replace_all(&self, state: &State) -> Result<(), StateError> {
        self.write_snapshot(Some(state))
    }

    fn finish(&self) -> Result<(), StateError> {
        if self.lock().journal.is_empty() {
            return Ok(());
        }
        self.write_snapshot(None)
    }
}
