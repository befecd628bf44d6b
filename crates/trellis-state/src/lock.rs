//! The exclusive lock on a working directory's state.
//!
//! The lock is an advisory `flock` on a lock file (`.trellis/state.lock` by default), and the
//! file holds a [`LockInfo`] in JSON that describes the holder for other processes' error
//! messages. The kernel releases a `flock` when its holder dies, however it dies, so:
//!
//! - a lock file whose `flock` can be taken is stale (its writer is gone): [`acquire_lock`]
//!   takes it over and reports the old holder in [`LockGuard::replaced_stale`];
//! - [`force_unlock`] is only needed when the lock is still held by a live descriptor, for
//!   example one inherited by a child of a dead holder.
//!
//! The guard removes the file while it still holds the lock, then closes it. Because a
//! waiter may have opened the file just before it was removed, whoever takes a `flock`
//! checks that the file at the path is still the one it locked, and starts again if not.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::sys;
use crate::StateError;

/// How often a waiting [`acquire_lock`] tries again.
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// Who holds a lock, as written into the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Random; the id that `force-unlock` asks for.
    pub id: String,
    pub pid: u32,
    pub host: String,
    /// The command that holds the lock: `apply`, `plan`, ...
    pub operation: String,
    /// `user@host`.
    pub who: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
    /// The trellis version of the holder.
    pub version: String,
}

impl fmt::Display for LockInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} by {} (pid {} on {}) since {}, lock id {}",
            self.operation,
            self.who,
            self.pid,
            self.host,
            sys::format_utc(self.created_at),
            self.id
        )
    }
}

impl LockInfo {
    /// A description of this process holding the lock for `operation`, with a fresh random
    /// id. Other stores (the S3 backend) write the same description into their lock object.
    pub fn for_this_process(operation: &str) -> Result<LockInfo, StateError> {
        let host = this_host();
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".to_string());
        Ok(LockInfo {
            id: sys::random_hex(16)?,
            pid: std::process::id(),
            who: format!("{user}@{host}"),
            host,
            operation: operation.to_string(),
            created_at: sys::now_secs(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        })
    }

    /// Stands in for a holder whose lock file could not be read.
    fn unknown() -> LockInfo {
        LockInfo {
            id: "unknown".to_string(),
            pid: 0,
            host: "unknown".to_string(),
            operation: "unknown".to_string(),
            who: "unknown".to_string(),
            created_at: 0,
            version: "unknown".to_string(),
        }
    }
}

impl LockInfo {
    /// Whether the holder is known to be gone: it ran on this host and its process no
    /// longer exists. A holder on another host cannot be checked from here.
    pub fn holder_is_gone(&self) -> bool {
        self.pid != 0 && self.host == this_host() && !sys::process_alive(self.pid)
    }
}

fn this_host() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// Exclusive lock on a working directory's state, held for the life of the guard.
/// Dropping the guard removes the lock file and releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    path: PathBuf,
    info: LockInfo,
    replaced: Option<LockInfo>,
}

impl LockGuard {
    /// What this process wrote into the lock file.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The holder of a stale lock file that this guard took over (a process that died
    /// without releasing it), for a warning.
    pub fn replaced_stale(&self) -> Option<&LockInfo> {
        self.replaced.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Remove the file only while it is still ours: after a force-unlock another process
        // may have created a new one. The flock itself goes with the descriptor.
        if same_file(&self.file, &self.path).unwrap_or(false) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Acquires the lock: `flock(LOCK_EX|LOCK_NB)` on `path` (e.g. `.trellis/state.lock`),
/// then writes [`LockInfo`] JSON into it.
///
/// When another process holds it, tries again every 100 ms until `timeout` has passed, then
/// fails with [`StateError::Locked`] describing the holder. A zero timeout tries once.
pub fn acquire_lock(
    path: &Path,
    operation: &str,
    timeout: Duration,
) -> Result<LockGuard, StateError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            sys::create_private_dir(parent)?;
        }
    }
    let deadline = Instant::now() + timeout;
    let io_err = |e| StateError::io(path, e);
    loop {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(sys::FILE_MODE)
            .open(path)
            .map_err(io_err)?;
        if sys::try_flock_exclusive(&file).map_err(io_err)? {
            if !same_file(&file, path).map_err(io_err)? {
                // The holder removed the file between our open and our flock.
                continue;
            }
            let replaced = parse_info(&read_all(&mut file).map_err(io_err)?);
            let info = LockInfo::for_this_process(operation)?;
            write_info(&mut file, &info).map_err(io_err)?;
            sys::set_mode(path, sys::FILE_MODE)?;
            return Ok(LockGuard {
                file,
                path: path.to_path_buf(),
                info,
                replaced,
            });
        }
        drop(file);
        let now = Instant::now();
        if now >= deadline {
            let holder = read_holder(path).unwrap_or_else(LockInfo::unknown);
            return Err(StateError::Locked(Box::new(holder)));
        }
        std::thread::sleep(RETRY_EVERY.min(deadline - now));
    }
}

/// Reads the lock file: the current holder, or the last holder of a stale file. `None`
/// when there is no lock file or it is empty.
pub fn read_lock(path: &Path) -> Result<Option<LockInfo>, StateError> {
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StateError::io(path, e)),
    };
    if text.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| StateError::corrupt(format!("lock file {}", path.display()), e))
}

/// `force-unlock LOCK_ID`: removes the lock file when `id` is its id and no live process
/// holds it. A lock whose holder is still running on this host (or on another host, which
/// cannot be checked) is refused with [`StateError::LockHolderAlive`].
pub fn force_unlock(path: &Path, id: &str) -> Result<(), StateError> {
    let io_err = |e| StateError::io(path, e);
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(StateError::NotLocked {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(io_err(e)),
    };
    let Some(info) = parse_info(&read_all(&mut file).map_err(io_err)?) else {
        return Err(StateError::NotLocked {
            path: path.to_path_buf(),
        });
    };
    if info.id != id {
        return Err(StateError::LockIdMismatch {
            given: id.to_string(),
            holder: Box::new(info),
        });
    }
    let free = sys::try_flock_exclusive(&file).map_err(io_err)?;
    // Still held: only a descriptor outliving its process (inherited by a child) may be
    // broken, and only when we can see that the process is gone.
    if !free && (info.host != this_host() || sys::process_alive(info.pid)) {
        return Err(StateError::LockHolderAlive(Box::new(info)));
    }
    if same_file(&file, path).map_err(io_err)? {
        fs::remove_file(path).map_err(io_err)?;
    }
    Ok(())
}

/// Reads the holder's info, retrying briefly: a holder that has just taken the lock may not
/// have written it yet.
fn read_holder(path: &Path) -> Option<LockInfo> {
    for _ in 0..20 {
        if let Ok(Some(info)) = read_lock(path) {
            return Some(info);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn parse_info(bytes: &[u8]) -> Option<LockInfo> {
    serde_json::from_slice(bytes).ok()
}

fn read_all(file: &mut File) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.seek(io::SeekFrom::Start(0))?;
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn write_info(file: &mut File, info: &LockInfo) -> io::Result<()> {
    let mut text = serde_json::to_vec_pretty(info).map_err(io::Error::other)?;
    text.push(b'\n');
    file.set_len(0)?;
    file.seek(io::SeekFrom::Start(0))?;
    file.write_all(&text)?;
    file.sync_data()
}

/// Whether `path` names the same inode as the open `file`.
fn same_file(file: &File, path: &Path) -> io::Result<bool> {
    let open = file.metadata()?;
    match fs::metadata(path) {
        Ok(named) => Ok(open.dev() == named.dev() && open.ino() == named.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}
