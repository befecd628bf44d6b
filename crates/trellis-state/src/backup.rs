//! Backups: JSON snapshots of a whole state in a directory (`.trellis/backups/` by default),
//! taken before each apply, the last few kept.
//!
//! A backup is named `state-<UTC time with milliseconds>-<serial>.json`, for example
//! `state-20240501T120000.123Z-7.json`, so that names sort in time order. Backups hold
//! secrets (see [`crate::snapshot`]): the directory is 0700 and each file 0600.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::model::State;
use crate::snapshot::{from_json, to_json};
use crate::sys;
use crate::StateError;

/// How many backups a caller keeps unless told otherwise.
pub const DEFAULT_BACKUPS_KEPT: usize = 10;

/// One backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub path: PathBuf,
    /// Milliseconds since the Unix epoch, from the name.
    pub created_at_ms: u64,
    /// The state serial it holds, from the name.
    pub serial: u64,
}

/// Writes a JSON snapshot of `state` into `dir` and deletes the oldest backups beyond the
/// last `keep` (at least the new one is always kept). Returns the new file.
pub fn write_backup(dir: &Path, state: &State, keep: usize) -> Result<PathBuf, StateError> {
    sys::create_private_dir(dir)?;
    let mut millis = sys::now_millis();
    // Names must be unique and keep their order: move past any backup of the same instant.
    if let Some(last) = list_backups(dir)?.last() {
        millis = millis.max(last.created_at_ms + 1);
    }
    let path = dir.join(backup_name(millis, state.meta.serial));
    sys::write_private_atomic(&path, to_json(state).as_bytes())?;
    let backups = list_backups(dir)?;
    let excess = backups.len().saturating_sub(keep.max(1));
    for old in &backups[..excess] {
        fs::remove_file(&old.path).map_err(|e| StateError::io(&old.path, e))?;
    }
    Ok(path)
}

/// The backups in `dir`, oldest first. Files of other names are ignored; a missing
/// directory has none.
pub fn list_backups(dir: &Path) -> Result<Vec<BackupInfo>, StateError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StateError::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StateError::io(dir, e))?;
        let name = entry.file_name();
        if let Some((created_at_ms, serial)) = parse_name(&name.to_string_lossy()) {
            out.push(BackupInfo {
                path: entry.path(),
                created_at_ms,
                serial,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.created_at_ms, a.serial, &a.path).cmp(&(b.created_at_ms, b.serial, &b.path))
    });
    Ok(out)
}

/// Reads one backup back (for `state restore`).
pub fn read_backup(path: &Path) -> Result<State, StateError> {
    let text = fs::read_to_string(path).map_err(|e| StateError::io(path, e))?;
    from_json(&text).map_err(|e| match e {
        StateError::Corrupt { detail, .. } => StateError::Corrupt {
            what: format!("backup {}", path.display()),
            detail,
        },
        other => other,
    })
}

fn backup_name(millis: u64, serial: u64) -> String {
    format!(
        "state-{}-{serial}.json",
        sys::format_utc_compact_millis(millis)
    )
}

fn parse_name(name: &str) -> Option<(u64, u64)> {
    let rest = name.strip_prefix("state-")?.strip_suffix(".json")?;
    let (time, serial) = rest.split_once('-')?;
    Some((sys::parse_utc_compact_millis(time)?, serial.parse().ok()?))
}
