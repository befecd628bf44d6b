//! The store trait and the local sled store.
//!
//! # Layout of the sled store
//!
//! One sled database per state directory (`.trellis/state` by default), default tree only:
//!
//! | key              | value                                             |
//! |------------------|---------------------------------------------------|
//! | `meta`           | [`StateMeta`] (lineage, serial, trellis version)  |
//! | `outputs`        | all outputs, a map of name to [`OutputState`]     |
//! | `r/<address>`    | one [`ResourceState`] per resource instance       |
//! | `i/<address>`    | one [`Intent`] per create in flight               |
//! | `d/<key>/<address>` | one [`DeposedObject`] per deposed object       |
//! | `seq`            | the number of the last flush, 8 bytes big-endian  |
//!
//! Every value but `seq` is a versioned record (see [`crate::record`]: a version byte, then
//! JSON). The version byte of `meta` is also the version of the layout as a whole. Beside
//! sled's files the directory holds `high-water-mark` (see [`crate::mark`]); a store without
//! `seq` and without that file was made by an older trellis and gets its mark when opened.
//!
//! # Durability and cost
//!
//! Every write method inserts (or removes) its own keys and then flushes sled once, so when it
//! returns the change survives a kill of the process. No write reads or rewrites any other
//! record, so the cost of a write does not grow with the size of the state.
//!
//! Each flush also bumps `seq` (inside the same flush) and, once sled's flush has returned,
//! writes the same number to the high-water mark and syncs it: a second, small sync per
//! flush, shared like the flush by every write it covers. On opening, a `seq` lower than the
//! mark means the log lost writes that were durable once, and the store refuses to open
//! ([`StateError::RolledBack`]) rather than show an older state as the current one.
//!
//! # Secrets
//!
//! Records hold attribute values in the clear, sensitive ones included (only the
//! `sensitive_paths` say which). The state directory and its files are therefore made
//! owner-only (0700 and 0600) whenever the store is opened.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use trellis_types::Address;

use crate::mark::{Found, Mark};
use crate::model::{
    is_deposed_key, DeposedObject, Intent, OutputState, ResourceState, State, StateMeta,
};
use crate::record::{decode_named, encode_record, Record};
use crate::sys;
use crate::StateError;

const META_KEY: &str = "meta";
const OUTPUTS_KEY: &str = "outputs";
const RESOURCE_PREFIX: &str = "r/";
const INTENT_PREFIX: &str = "i/";
/// Deposed objects: `d/<key>/<address>`. The key (fixed length) comes first because an
/// address may itself hold a `/` (in an instance key).
const DEPOSED_PREFIX: &str = "d/";
const SEQ_KEY: &str = "seq";

/// A store the executor writes through as each change completes.
///
/// # Protocol
///
/// A command that writes holds the state lock ([`crate::acquire_lock`]) for its whole run
/// and then:
/// 1. calls [`StateStore::load`] (or [`StateStore::meta`] to check a saved plan's lineage and
///    serial);
/// 2. calls [`StateStore::begin_write`] once, before its first write, to bump the serial;
/// 3. writes one record per completed change (`put_*` / `remove_*`), from any number of
///    tasks at once;
/// 4. calls [`StateStore::finish`] once at the end, also after a failed apply (a store that
///    journals its writes compacts them there; sled has nothing to do).
///
/// Every write is durable against a process kill when the call returns (flushed), and costs
/// the same however many records the state holds (never rewrite the whole state per
/// resource).
pub trait StateStore: Send + Sync {
    /// The whole state. A store that cannot be read is an error, never an empty state.
    fn load(&self) -> Result<State, StateError>;
    /// Lineage and serial only (cheap: one record).
    fn meta(&self) -> Result<StateMeta, StateError>;
    /// Starts a write operation: bumps the serial by one and returns the new meta.
    fn begin_write(&self) -> Result<StateMeta, StateError>;
    /// Records one resource instance, replacing any record at the same address.
    /// It also settles the create intent of the same address, if there is one, in the
    /// same atomic write.
    fn put_resource(&self, resource: &ResourceState) -> Result<(), StateError>;
    /// Forgets one resource instance; absent addresses are not an error.
    fn remove_resource(&self, address: &Address) -> Result<(), StateError>;
    /// Records a create about to be sent, replacing any intent at the same address.
    fn put_intent(&self, intent: &Intent) -> Result<(), StateError>;
    /// Forgets an intent once its outcome is recorded; absent addresses are not an error.
    fn remove_intent(&self, address: &Address) -> Result<(), StateError>;
    /// Records a deposed object, replacing any at the same address and key. Deposing the
    /// current object is `[PutDeposed, RemoveResource]` in one [`StateStore::write_batch`].
    fn put_deposed(&self, object: &DeposedObject) -> Result<(), StateError>;
    /// Forgets a deposed object once it is deleted; absent ones are not an error.
    fn remove_deposed(&self, address: &Address, key: &str) -> Result<(), StateError>;
    /// Applies several writes, in order, as one atomic write that is durable when the call
    /// returns. The executor sends every write through here, grouping the writes of
    /// operations that complete together, so a store should make a batch cost one flush;
    /// the default applies the writes one by one.
    fn write_batch(&self, writes: &[StateWrite]) -> Result<(), StateError> {
        for write in writes {
            match write {
                StateWrite::PutResource(r) => self.put_resource(r)?,
                StateWrite::RemoveResource(a) => self.remove_resource(a)?,
                StateWrite::PutIntent(i) => self.put_intent(i)?,
                StateWrite::RemoveIntent(a) => self.remove_intent(a)?,
                StateWrite::PutDeposed(d) => self.put_deposed(d)?,
                StateWrite::RemoveDeposed { address, key } => self.remove_deposed(address, key)?,
            }
        }
        Ok(())
    }
    /// Replaces all outputs (few and small).
    fn put_outputs(&self, outputs: &BTreeMap<String, OutputState>) -> Result<(), StateError>;
    /// Replaces the whole state in one atomic batch (state mv / rm / restore / push), keeping
    /// the given meta as it is.
    fn replace_all(&self, state: &State) -> Result<(), StateError>;
    /// Ends a write operation. Every write was already durable when it returned; a store
    /// that keeps per-change journal records (the S3 backend) folds them into its snapshot
    /// here, so that the next reader does not have to. Calling it when nothing was written
    /// does nothing. A store must stay correct when it is never called (a killed process):
    /// the next opening recovers what was written.
    fn finish(&self) -> Result<(), StateError> {
        Ok(())
    }
}

/// One write of a [`StateStore::write_batch`].
#[derive(Debug, Clone, PartialEq)]
pub enum StateWrite {
    /// As [`StateStore::put_resource`]: also settles the intent at the same address.
    PutResource(ResourceState),
    RemoveResource(Address),
    PutIntent(Intent),
    RemoveIntent(Address),
    /// As [`StateStore::put_deposed`].
    PutDeposed(DeposedObject),
    RemoveDeposed {
        address: Address,
        key: String,
    },
}

impl StateWrite {
    /// The instance the write is about.
    pub fn address(&self) -> &Address {
        match self {
            StateWrite::PutResource(r) => &r.address,
            StateWrite::PutIntent(i) => &i.address,
            StateWrite::PutDeposed(d) => d.address(),
            StateWrite::RemoveResource(a)
            | StateWrite::RemoveIntent(a)
            | StateWrite::RemoveDeposed { address: a, .. } => a,
        }
    }
}

/// The local store: a sled database in a directory. See the module docs for its layout.
pub struct SledStore {
    db: sled::Db,
    dir: PathBuf,
    /// Serialises read-modify-write of the `meta` record within this process (other
    /// processes are kept out by the state lock).
    meta_lock: Mutex<()>,
    /// Group commit: the number of writes inserted so far, and (under the mutex) the number
    /// that a completed flush covers and the number of that flush. See [`SledStore::flush`].
    written: AtomicU64,
    flushed: Mutex<Flushed>,
    /// The high-water mark, written after every flush.
    mark: Mark,
}

/// What the last completed flush covered.
#[derive(Debug)]
struct Flushed {
    /// Writes counted in `written` that it made durable.
    covered: u64,
    /// Its number, the `seq` key's value.
    seq: u64,
    /// Why the high-water mark could not be written, once that happened. A failed write may
    /// have torn its slot; writing on would overwrite the other slot, the only valid one,
    /// and a crash then would leave no valid slot at all. So this handle writes no more:
    /// the next open finds sled ahead of the valid slot and moves the mark up.
    mark_failed: Option<String>,
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore").field("dir", &self.dir).finish()
    }
}

impl SledStore {
    /// Opens the store in `dir` (e.g. `.trellis/state`), creating it with a fresh random
    /// lineage (serial 0) when it does not exist. A directory that exists but is damaged is
    /// an error.
    ///
    /// A new store is built in a temporary sibling directory and renamed into place, so a
    /// crash during creation never leaves a half-made store behind at `dir`.
    pub fn open(dir: &Path) -> Result<SledStore, StateError> {
        if let Some(store) = SledStore::open_existing(dir)? {
            return Ok(store);
        }
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        sys::create_private_dir(&parent)?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".to_string());
        let tmp = parent.join(format!(".{name}.new-{}", sys::random_hex(6)?));
        let created = create_store(&tmp);
        let created = created.and_then(|()| match fs::rename(&tmp, dir) {
            Ok(()) => fs::File::open(&parent)
                .and_then(|d| d.sync_all())
                .map_err(|e| StateError::io(&parent, e)),
            // Another process created the store first: use theirs.
            Err(_) if dir.is_dir() => Ok(()),
            Err(e) => Err(StateError::io(dir, e)),
        });
        if tmp.exists() {
            let _ = fs::remove_dir_all(&tmp);
        }
        created?;
        SledStore::open_dir(dir)
    }

    /// Opens only if it exists (for read-only commands): `Ok(None)` when there is no state
    /// yet.
    pub fn open_existing(dir: &Path) -> Result<Option<SledStore>, StateError> {
        match fs::metadata(dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::io(dir, e)),
            Ok(m) if !m.is_dir() => Err(StateError::corrupt(
                dir.display().to_string(),
                "not a directory",
            )),
            Ok(_) => SledStore::open_dir(dir).map(Some),
        }
    }

    /// The directory of the store.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn open_dir(dir: &Path) -> Result<SledStore, StateError> {
        // sled creates whatever files are missing; a state directory without them is
        // damaged, and must not be quietly turned into an empty store.
        for file in ["conf", "db"] {
            if !dir.join(file).is_file() {
                return Err(StateError::corrupt(
                    dir.display().to_string(),
                    format!("missing file {file}"),
                ));
            }
        }
        let db = open_sled(dir).map_err(|e| open_error(dir, e))?;
        sys::restrict_tree(dir)?;
        let corrupt = |detail: String| StateError::corrupt(dir.display().to_string(), detail);
        // Reading meta checks that this is a trellis store that this trellis can read.
        let meta = db.get(META_KEY).map_err(|e| open_error(dir, e))?;
        let what = format!("{} key {META_KEY}", dir.display());
        match meta {
            None => return Err(StateError::corrupt(what, "missing")),
            Some(bytes) => decode_named::<StateMeta>(&what, &bytes).map(drop)?,
        }
        let seq = match db.get(SEQ_KEY).map_err(|e| open_error(dir, e))? {
            None => 0,
            Some(bytes) => match <[u8; 8]>::try_from(bytes.as_ref()) {
                Ok(b) => u64::from_be_bytes(b),
                Err(_) => {
                    return Err(StateError::corrupt(
                        format!("{} key {SEQ_KEY}", dir.display()),
                        format!("{} bytes, not 8", bytes.len()),
                    ))
                }
            },
        };
        let mark = match Mark::read(dir)? {
            Found::Seq(mark) if seq < mark => {
                return Err(StateError::RolledBack {
                    dir: dir.to_path_buf(),
                    mark: Mark::path(dir),
                    expected: mark,
                    found: seq,
                })
            }
            Found::Seq(mark) => {
                let file = Mark::open(dir)?;
                // sled is ahead when the last run stopped between its flush and the mark.
                if seq > mark {
                    file.write(seq)?;
                }
                file
            }
            // A store of a trellis from before the mark: it gets one now.
            Found::Missing if seq == 0 => {
                Mark::create(dir, 0)?;
                Mark::open(dir)?
            }
            Found::Missing => {
                return Err(corrupt(format!(
                    "its high-water mark file {} is missing, and the store has made {seq} flushes",
                    Mark::path(dir).display()
                )))
            }
            Found::Damaged => {
                return Err(corrupt(format!(
                    "its high-water mark file {} is damaged",
                    Mark::path(dir).display()
                )))
            }
        };
        Ok(SledStore {
            db,
            dir: dir.to_path_buf(),
            meta_lock: Mutex::new(()),
            written: AtomicU64::new(0),
            flushed: Mutex::new(Flushed {
                covered: 0,
                seq,
                mark_failed: None,
            }),
            mark,
        })
    }

    #[cfg(test)]
    pub(crate) fn db_for_tests(&self) -> &sled::Db {
        &self.db
    }

    /// Makes every later write of the high-water mark fail, as a disk error would.
    #[cfg(test)]
    pub(crate) fn break_mark_for_tests(&mut self) {
        self.mark = Mark::read_only_for_tests(&self.dir);
    }

    fn what(&self, key: &str) -> String {
        format!("{} key {key}", self.dir.display())
    }

    fn sled_err(&self, err: sled::Error) -> StateError {
        match err {
            sled::Error::Io(e) => StateError::io(&self.dir, e),
            other => StateError::corrupt(self.dir.display().to_string(), other),
        }
    }

    fn get<T: Record>(&self, key: &str) -> Result<Option<T>, StateError> {
        match self.db.get(key).map_err(|e| self.sled_err(e))? {
            None => Ok(None),
            Some(bytes) => decode_named(&self.what(key), &bytes).map(Some),
        }
    }

    /// Inserts one record and flushes: the whole cost of a put.
    fn put<T: Record>(&self, key: &str, value: &T) -> Result<(), StateError> {
        self.db
            .insert(key, encode_record(value))
            .map_err(|e| self.sled_err(e))?;
        self.flush()
    }

    fn remove(&self, key: &str) -> Result<(), StateError> {
        let old = self.db.remove(key).map_err(|e| self.sled_err(e))?;
        if old.is_some() {
            self.flush()?;
        }
        Ok(())
    }

    /// Makes every write inserted so far durable (group commit), then records the flush in
    /// the high-water mark.
    ///
    /// Each write counts itself in `written` after its insert. A writer that finds a
    /// completed flush covering its count returns at once; otherwise it flushes everything
    /// inserted up to now, on behalf of every writer waiting behind it. Concurrent writers
    /// thus share one flush, and each still returns only once its own write is durable.
    ///
    /// The flush's number goes into sled (`seq`) after every write it covers and before
    /// sled's flush, so it is durable with them; the mark is written only once sled's flush
    /// has returned, so it never claims more than sled holds (see [`crate::mark`]).
    fn flush(&self) -> Result<(), StateError> {
        let mine = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        let mut flushed = self.flushed.lock().unwrap_or_else(|p| p.into_inner());
        if flushed.covered >= mine {
            return Ok(());
        }
        if let Some(why) = &flushed.mark_failed {
            return Err(StateError::io(
                Mark::path(&self.dir),
                std::io::Error::other(format!(
                    "the state's high-water mark could not be written ({why}); \
                     no further write is made through this handle"
                )),
            ));
        }
        let upto = self.written.load(Ordering::SeqCst);
        let seq = flushed.seq + 1;
        self.db
            .insert(SEQ_KEY, &seq.to_be_bytes())
            .map_err(|e| self.sled_err(e))?;
        self.db.flush().map_err(|e| self.sled_err(e))?;
        flushed.seq = seq;
        if let Err(e) = self.mark.write(seq) {
            flushed.mark_failed = Some(e.to_string());
            return Err(e);
        }
        flushed.covered = upto;
        Ok(())
    }

    fn scan<T: Record>(
        &self,
        prefix: &str,
        address_of: impl Fn(&T) -> &Address,
    ) -> Result<BTreeMap<Address, T>, StateError> {
        let mut out = BTreeMap::new();
        for item in self.db.scan_prefix(prefix) {
            let (key, bytes) = item.map_err(|e| self.sled_err(e))?;
            let key = String::from_utf8_lossy(&key).into_owned();
            let what = self.what(&key);
            let record: T = decode_named(&what, &bytes)?;
            let address = address_of(&record).clone();
            if key[prefix.len()..] != address.to_string() {
                return Err(StateError::corrupt(
                    what,
                    format!("record is for {address}"),
                ));
            }
            out.insert(address, record);
        }
        Ok(out)
    }
}

/// sled settings of every state store.
///
/// `flush_every_ms(None)`: every write method of the store flushes itself before it returns,
/// which is what makes a write survive a kill. sled's default background flusher (every
/// 500 ms) would add no durability on top of that, only a thread per open store and fsyncs
/// that run concurrently with ours, so it is switched off.
fn sled_config(dir: &Path) -> sled::Config {
    sled::Config::new().path(dir).flush_every_ms(None)
}

/// Opens sled in `dir`, waiting briefly while sled's own file lock is still held.
///
/// Dropping a `sled::Db` does not release its lock at once: sled's I/O threads hold the
/// database for a moment after the last handle is gone. So a reopen within the same process
/// (the create path does one) can find it still locked. Other processes are kept out by the
/// state lock, so a sled lock that outlasts the wait means a process that ignored it.
pub(crate) fn open_sled(dir: &Path) -> sled::Result<sled::Db> {
    let deadline = Instant::now() + SLED_LOCK_WAIT;
    loop {
        match sled_config(dir).open() {
            Err(sled::Error::Io(e)) if is_sled_lock_error(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

/// How long [`open_sled`] waits for sled's own lock.
const SLED_LOCK_WAIT: Duration = Duration::from_secs(3);

fn is_sled_lock_error(e: &io::Error) -> bool {
    e.to_string().contains("could not acquire lock")
}

/// Builds a new store with a fresh lineage in `dir` (which must not exist yet).
fn create_store(dir: &Path) -> Result<(), StateError> {
    sys::create_private_dir(dir)?;
    let db = open_sled(dir).map_err(|e| match e {
        sled::Error::Io(io) => StateError::io(dir, io),
        other => StateError::corrupt(dir.display().to_string(), other),
    })?;
    let meta = StateMeta {
        lineage: sys::random_hex(16)?,
        serial: 0,
        trellis_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let result = db
        .insert(META_KEY, encode_record(&meta))
        .and_then(|_| {
            db.insert(
                OUTPUTS_KEY,
                encode_record(&BTreeMap::<String, OutputState>::new()),
            )
        })
        .and_then(|_| db.flush());
    drop(db);
    result.map_err(|e| StateError::corrupt(dir.display().to_string(), e))?;
    // The mark is made before the directory is renamed into place, so every store made by
    // this trellis has one.
    Mark::create(dir, 0)?;
    sys::restrict_tree(dir)
}

/// Classifies a failure to open an existing store: permissions and "in use" are I/O
/// errors; anything else means the files are not a store sled can read.
fn open_error(dir: &Path, err: sled::Error) -> StateError {
    match err {
        sled::Error::Io(e)
            if matches!(
                e.kind(),
                io::ErrorKind::PermissionDenied | io::ErrorKind::NotFound
            ) =>
        {
            StateError::io(dir, e)
        }
        sled::Error::Io(e) if is_sled_lock_error(&e) => StateError::io(
            dir,
            io::Error::new(
                io::ErrorKind::WouldBlock,
                "state store is open in another process",
            ),
        ),
        other => StateError::corrupt(dir.display().to_string(), other),
    }
}

fn resource_key(address: &Address) -> String {
    format!("{RESOURCE_PREFIX}{address}")
}

fn intent_key(address: &Address) -> String {
    format!("{INTENT_PREFIX}{address}")
}

fn deposed_key(address: &Address, key: &str) -> String {
    format!("{DEPOSED_PREFIX}{key}/{address}")
}

impl StateStore for SledStore {
    fn load(&self) -> Result<State, StateError> {
        let meta = self.meta()?;
        let resources = self.scan(RESOURCE_PREFIX, |r: &ResourceState| &r.address)?;
        let intents = self.scan(INTENT_PREFIX, |i: &Intent| &i.address)?;
        let outputs = self.get(OUTPUTS_KEY)?.unwrap_or_default();
        let mut state = State {
            meta,
            resources,
            intents,
            outputs,
            deposed: BTreeMap::new(),
        };
        for item in self.db.scan_prefix(DEPOSED_PREFIX) {
            let (key, bytes) = item.map_err(|e| self.sled_err(e))?;
            let key = String::from_utf8_lossy(&key).into_owned();
            let what = self.what(&key);
            let object: DeposedObject = decode_named(&what, &bytes)?;
            if key != deposed_key(object.address(), &object.key) || !is_deposed_key(&object.key) {
                return Err(StateError::corrupt(
                    what,
                    format!("record is for {} deposed {}", object.address(), object.key),
                ));
            }
            state.insert_deposed(object);
        }
        Ok(state)
    }

    fn meta(&self) -> Result<StateMeta, StateError> {
        self.get(META_KEY)?
            .ok_or_else(|| StateError::corrupt(self.what(META_KEY), "missing"))
    }

    fn begin_write(&self) -> Result<StateMeta, StateError> {
        let _guard = self.meta_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut meta = self.meta()?;
        meta.serial += 1;
        meta.trellis_version = env!("CARGO_PKG_VERSION").to_string();
        self.put(META_KEY, &meta)?;
        Ok(meta)
    }

    fn put_resource(&self, resource: &ResourceState) -> Result<(), StateError> {
        // The record and the removal of the intent it settles go in one batch: one flush.
        let mut batch = sled::Batch::default();
        batch.insert(
            resource_key(&resource.address).as_bytes(),
            encode_record(resource),
        );
        batch.remove(intent_key(&resource.address).as_bytes());
        self.db.apply_batch(batch).map_err(|e| self.sled_err(e))?;
        self.flush()
    }

    fn remove_resource(&self, address: &Address) -> Result<(), StateError> {
        self.remove(&resource_key(address))
    }

    fn put_intent(&self, intent: &Intent) -> Result<(), StateError> {
        self.put(&intent_key(&intent.address), intent)
    }

    fn remove_intent(&self, address: &Address) -> Result<(), StateError> {
        self.remove(&intent_key(address))
    }

    fn put_outputs(&self, outputs: &BTreeMap<String, OutputState>) -> Result<(), StateError> {
        self.put(OUTPUTS_KEY, outputs)
    }

    fn put_deposed(&self, object: &DeposedObject) -> Result<(), StateError> {
        self.put(&deposed_key(object.address(), &object.key), object)
    }

    fn remove_deposed(&self, address: &Address, key: &str) -> Result<(), StateError> {
        self.remove(&deposed_key(address, key))
    }

    fn write_batch(&self, writes: &[StateWrite]) -> Result<(), StateError> {
        let mut batch = sled::Batch::default();
        for write in writes {
            match write {
                StateWrite::PutResource(r) => {
                    batch.insert(resource_key(&r.address).as_bytes(), encode_record(r));
                    batch.remove(intent_key(&r.address).as_bytes());
                }
                StateWrite::RemoveResource(a) => batch.remove(resource_key(a).as_bytes()),
                StateWrite::PutIntent(i) => {
                    batch.insert(intent_key(&i.address).as_bytes(), encode_record(i));
                }
                StateWrite::RemoveIntent(a) => batch.remove(intent_key(a).as_bytes()),
                StateWrite::PutDeposed(d) => {
                    batch.insert(
                        deposed_key(d.address(), &d.key).as_bytes(),
                        encode_record(d),
                    );
                }
                StateWrite::RemoveDeposed { address, key } => {
                    batch.remove(deposed_key(address, key).as_bytes());
                }
            }
        }
        self.db.apply_batch(batch).map_err(|e| self.sled_err(e))?;
        self.flush()
    }

    fn replace_all(&self, state: &State) -> Result<(), StateError> {
        let _guard = self.meta_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut batch = sled::Batch::default();
        let mut keep = std::collections::HashSet::new();
        // Keys come from the records themselves, which is what `load` checks them against.
        for resource in state.resources.values() {
            let key = resource_key(&resource.address);
            batch.insert(key.as_bytes(), encode_record(resource));
            keep.insert(key);
        }
        for intent in state.intents.values() {
            let key = intent_key(&intent.address);
            batch.insert(key.as_bytes(), encode_record(intent));
            keep.insert(key);
        }
        for object in state.deposed_objects() {
            let key = deposed_key(object.address(), &object.key);
            batch.insert(key.as_bytes(), encode_record(object));
            keep.insert(key);
        }
        for prefix in [RESOURCE_PREFIX, INTENT_PREFIX, DEPOSED_PREFIX] {
            for key in self.db.scan_prefix(prefix).keys() {
                let key = key.map_err(|e| self.sled_err(e))?;
                if !keep.contains(String::from_utf8_lossy(&key).as_ref()) {
                    batch.remove(key);
                }
            }
        }
        batch.insert(OUTPUTS_KEY, encode_record(&state.outputs));
        batch.insert(META_KEY, encode_record(&state.meta));
        self.db.apply_batch(batch).map_err(|e| self.sled_err(e))?;
        self.flush()
    }
}
