//! The high-water mark of a sled store: a small file beside sled's own, written after every
//! flush, that lets [`crate::SledStore::open`] tell a store whose log lost writes from an
//! intact one.
//!
//! # Why
//!
//! sled recovers its log by reading it up to the first record that is missing or torn, and
//! treats what follows as a crash that happened before those writes. That is right after a
//! crash, and wrong after damage: a log cut short *inside* data that was once durable (a
//! disk or copy that lost the tail of the file) opens without an error, as an older state.
//! A rolled-back state is worse than an unreadable one: the next plan would create again
//! what the lost records described. Detecting it needs a witness outside the log.
//!
//! # How
//!
//! Every flush of the store writes a sequence number into sled (the `seq` key, inserted
//! just before sled's flush, so it is durable together with every write that flush covers)
//! and then, once sled's flush has returned, writes the same number here and syncs it. On
//! opening, the store compares the two: sled's number must not be lower than the mark's.
//!
//! # The file
//!
//! `<state dir>/high-water-mark`, 128 bytes: two slots of 64 bytes, each one line of text,
//!
//! ```text
//! trellis-mark 1 00000000000000000042 9c1f0e2d3b4a5968
//! ```
//!
//! (format version, sequence number, FNV-1a 64 checksum of what precedes it), padded with
//! spaces to 63 bytes and a newline. Number `n` is written over slot `n % 2`, in place, and
//! synced (`fdatasync`); the mark is the highest number of the valid slots. A new file is
//! written whole to a temporary file and renamed into place.
//!
//! # Crash windows
//!
//! - **Killed or powered off after sled's flush and before the mark is written:** sled holds
//!   number `n`, the mark `n - 1`. sled is ahead of the mark, which is not damage; the next
//!   opening moves the mark up to `n`.
//! - **While the mark is written:** only slot `n % 2` can be torn; its checksum fails, and
//!   the other slot still holds `n - 1`, which sled is ahead of. A crash can never leave both
//!   slots invalid, because a slot is only ever overwritten when the other is valid (a new
//!   file appears whole, by rename).
//! - **Power loss before the mark's sync completes:** the mark may lag behind sled, as above;
//!   it never runs ahead, because it is written only after sled's flush (which syncs) has
//!   returned.
//!
//! So the mark is never higher than what sled made durable, and a sled number lower than the
//! mark can only mean that sled lost durable writes.
//!
//! # What it does not catch
//!
//! Damage that sled reads past without losing its last `seq` record (a record in the middle
//! of the log destroyed while the later ones survive) is outside this check; sled's own
//! per-record checksums stop at such a record, so in practice the `seq` record after it is
//! lost too. A store whose `high-water-mark` file is deleted or damaged along with the log is
//! reported as damaged, not trusted. Writes that sled never flushed (the process was killed
//! first) are not damage: no caller was told they were durable.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::sys;
use crate::StateError;

/// The file's name in the state directory.
pub(crate) const MARK_FILE: &str = "high-water-mark";

const SLOT: usize = 64;
const SLOTS: usize = 2;
const FORMAT: &str = "trellis-mark 1";

/// The open mark file of a store.
#[derive(Debug)]
pub(crate) struct Mark {
    path: PathBuf,
    file: File,
}

/// What a mark file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    /// No mark file: a store made before marks existed (or one whose mark was deleted).
    Missing,
    /// The highest valid slot.
    Seq(u64),
    /// A file with no valid slot.
    Damaged,
}

impl Mark {
    /// The mark file of the store in `dir`.
    pub(crate) fn path(dir: &Path) -> PathBuf {
        dir.join(MARK_FILE)
    }

    /// Creates the mark file of a store in `dir` holding `seq` in both slots, atomically
    /// (temporary file, sync, rename, directory sync). Replaces any file there.
    pub(crate) fn create(dir: &Path, seq: u64) -> Result<(), StateError> {
        let mut bytes = Vec::with_capacity(SLOT * SLOTS);
        for _ in 0..SLOTS {
            bytes.extend_from_slice(&slot(seq));
        }
        sys::write_private_atomic(&Mark::path(dir), &bytes)
    }

    /// Reads the mark file of the store in `dir`.
    pub(crate) fn read(dir: &Path) -> Result<Found, StateError> {
        let path = Mark::path(dir);
        let mut bytes = Vec::new();
        match File::open(&path).and_then(|mut f| {
            f.by_ref()
                .take((SLOT * SLOTS) as u64 + 1)
                .read_to_end(&mut bytes)
        }) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Missing),
            Err(e) => return Err(StateError::io(&path, e)),
        }
        if bytes.len() != SLOT * SLOTS {
            return Ok(Found::Damaged);
        }
        Ok(bytes
            .chunks(SLOT)
            .filter_map(parse_slot)
            .max()
            .map_or(Found::Damaged, Found::Seq))
    }

    /// Opens the mark file of the store in `dir` for writing.
    pub(crate) fn open(dir: &Path) -> Result<Mark, StateError> {
        let path = Mark::path(dir);
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| StateError::io(&path, e))?;
        Ok(Mark { path, file })
    }

    /// The mark opened read-only, so that every write fails.
    #[cfg(test)]
    pub(crate) fn read_only_for_tests(dir: &Path) -> Mark {
        let path = Mark::path(dir);
        let file = File::open(&path).expect("the mark file");
        Mark { path, file }
    }

    /// Records `seq` as written: overwrites slot `seq % 2` in place and syncs it.
    pub(crate) fn write(&self, seq: u64) -> Result<(), StateError> {
        let offset = (seq % SLOTS as u64) * SLOT as u64;
        self.file
            .write_all_at(&slot(seq), offset)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| StateError::io(&self.path, e))
    }
}

/// One slot: the line, padded with spaces to `SLOT - 1` bytes, and a newline.
fn slot(seq: u64) -> [u8; SLOT] {
    let body = format!("{FORMAT} {seq:020}");
    let line = format!("{body} {:016x}", fnv1a(body.as_bytes()));
    let mut out = [b' '; SLOT];
    out[..line.len()].copy_from_slice(line.as_bytes());
    out[SLOT - 1] = b'\n';
    out
}

/// The sequence number of a valid slot: one whose checksum matches and whose bytes are
/// exactly what [`slot`] writes for that number.
fn parse_slot(bytes: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let seq = text.strip_prefix(FORMAT)?.strip_prefix(' ')?.get(..20)?;
    let seq: u64 = seq.parse().ok()?;
    (slot(seq)[..] == *bytes).then_some(seq)
}

/// FNV-1a, 64 bits: enough to tell a torn or overwritten slot from a whole one.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip_and_reject_any_change() {
        for seq in [0, 1, 42, u64::MAX] {
            let s = slot(seq);
            assert_eq!(parse_slot(&s), Some(seq));
            for i in 0..SLOT {
                let mut torn = s;
                torn[i] ^= 0x20;
                assert_eq!(parse_slot(&torn), None, "byte {i} changed, seq {seq}");
            }
            let mut zeroed = s;
            zeroed[20..].fill(0);
            assert_eq!(parse_slot(&zeroed), None);
        }
        let line = String::from_utf8(slot(42).to_vec()).unwrap();
        assert!(
            line.starts_with("trellis-mark 1 00000000000000000042 "),
            "{line}"
        );
    }

    #[test]
    fn the_highest_valid_slot_wins_and_a_torn_one_falls_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        assert_eq!(Mark::read(dir).unwrap(), Found::Missing);
        Mark::create(dir, 0).unwrap();
        assert_eq!(Mark::read(dir).unwrap(), Found::Seq(0));
        let mark = Mark::open(dir).unwrap();
        for seq in 1..=5 {
            mark.write(seq).unwrap();
            assert_eq!(Mark::read(dir).unwrap(), Found::Seq(seq));
        }
        // A write of 6 torn halfway (slot 0): 5 remains.
        let half = &slot(6)[..SLOT / 2];
        mark.file.write_all_at(half, 0).unwrap();
        assert_eq!(Mark::read(dir).unwrap(), Found::Seq(5));
        // Both slots gone: damaged, never "no mark".
        mark.file.write_all_at(&[0u8; SLOT * SLOTS], 0).unwrap();
        assert_eq!(Mark::read(dir).unwrap(), Found::Damaged);
        std::fs::write(Mark::path(dir), b"").unwrap();
        assert_eq!(Mark::read(dir).unwrap(), Found::Damaged);
    }
}
