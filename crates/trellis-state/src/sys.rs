//! The few operating-system calls that std does not offer, and small file helpers.
//!
//! The two `unsafe` blocks of the crate live here: `flock` and `kill(pid, 0)`. Both take
//! plain integers and no pointers, so their safety rests only on the file descriptor being
//! open, which a borrowed `&File` guarantees.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::StateError;

/// Mode of every directory this crate creates: the state holds secrets.
pub(crate) const DIR_MODE: u32 = 0o700;
/// Mode of every file this crate creates.
pub(crate) const FILE_MODE: u32 = 0o600;

/// Tries to take an exclusive `flock` on `file` without waiting. `Ok(false)` when another
/// open file description holds it.
#[allow(unsafe_code)]
pub(crate) fn try_flock_exclusive(file: &File) -> io::Result<bool> {
    loop {
        // SAFETY: the descriptor is open for as long as `file` is borrowed; flock takes no
        // pointers.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(true);
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(code) if code == libc::EWOULDBLOCK || code == libc::EAGAIN => return Ok(false),
            _ => return Err(err),
        }
    }
}

/// Whether a process with this pid exists on this host. Pid 0 and pids that do not fit a
/// `pid_t` are never alive (`kill(0, 0)` would address our own process group).
#[allow(unsafe_code)]
pub(crate) fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled; no signal
    // is sent and no memory is passed.
    let rc = unsafe { libc::kill(pid, 0) };
    if rc == 0 {
        return true;
    }
    // EPERM: the process exists but belongs to someone else.
    io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// `n` random bytes as lowercase hex, from the kernel's random source.
pub(crate) fn random_hex(n: usize) -> Result<String, StateError> {
    let path = "/dev/urandom";
    let mut bytes = vec![0u8; n];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| StateError::io(path, e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    now_millis() / 1000
}

pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Creates `dir` and any missing parents owner-only. Directories that already exist keep
/// their mode, except `dir` itself, which is set to owner-only.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), StateError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| StateError::io(dir, e))?;
    set_mode(dir, DIR_MODE)
}

pub(crate) fn set_mode(path: &Path, mode: u32) -> Result<(), StateError> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(|e| StateError::io(path, e))
}

/// Sets owner-only modes on `dir` and everything below it.
pub(crate) fn restrict_tree(dir: &Path) -> Result<(), StateError> {
    set_mode(dir, DIR_MODE)?;
    let entries = fs::read_dir(dir).map_err(|e| StateError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| StateError::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| StateError::io(&path, e))?;
        if kind.is_dir() {
            restrict_tree(&path)?;
        } else if kind.is_file() {
            set_mode(&path, FILE_MODE)?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a fresh owner-only temporary file in the same directory,
/// synced and renamed into place, so that readers see the old or the new content, never a
/// part.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", random_hex(6)?));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(FILE_MODE)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // The rename is durable once the directory itself is synced.
        File::open(dir)?.sync_all()
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        StateError::io(path, e)
    })
}

/// A UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn format_utc(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// A UTC time with milliseconds as `YYYYMMDDTHHMMSS.mmmZ`, for file names that sort in time
/// order.
pub(crate) fn format_utc_compact_millis(millis: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(millis / 1000);
    format!(
        "{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}.{:03}Z",
        millis % 1000
    )
}

/// Parses what [`format_utc_compact_millis`] writes back to milliseconds.
pub(crate) fn parse_utc_compact_millis(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20 || b[8] != b'T' || b[15] != b'.' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<u64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s, ms) = (num(9..11)?, num(11..13)?, num(13..15)?, num(16..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y as i64, mo as i64, d as i64);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + mi * 60 + s;
    Some(secs * 1000 + ms)
}

// Howard Hinnant's civil calendar algorithms (public domain), for UTC without a date crate.
fn civil(secs: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_709_251_199), "2024-02-29T23:59:59Z");
        let ms = 1_714_564_800_123;
        let text = format_utc_compact_millis(ms);
        assert_eq!(text, "20240501T120000.123Z");
        assert_eq!(parse_utc_compact_millis(&text), Some(ms));
        assert_eq!(parse_utc_compact_millis("20240501T120000.123"), None);
    }

    #[test]
    fn own_process_is_alive_and_pid_zero_is_not() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(0));
        assert!(!process_alive(u32::MAX));
    }
}
