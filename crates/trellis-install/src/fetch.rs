//! Getting a package into a directory: a git repository through the `git` program, an
//! archive over HTTP(S) (checked against its `checksum` when the source gives one, then
//! unpacked; entries that would land outside the directory are refused).

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest as _;

use crate::http::Http;
use crate::source::{ArchiveKind, ArchiveSource, GitSource};

/// Clones the repository into `dest` (which must not exist) and checks out the `ref`.
pub fn git(source: &GitSource, dest: &Path) -> Result<(), String> {
    let mut clone = Command::new("git");
    clone.arg("clone").arg("--quiet");
    if let Some(depth) = source.depth {
        clone.arg("--depth").arg(depth.to_string());
        // A shallow clone has only what it fetched: fetch the ref itself.
        if let Some(r) = &source.reference {
            clone.arg("--branch").arg(r);
        }
    }
    clone.arg("--").arg(&source.url).arg(dest);
    run_git(clone, &format!("git clone {}", source.url))?;
    if let (Some(r), None) = (&source.reference, source.depth) {
        let mut checkout = Command::new("git");
        checkout
            .arg("-C")
            .arg(dest)
            .args(["-c", "advice.detachedHead=false", "checkout", "--quiet"])
            .arg(r)
            .arg("--");
        run_git(checkout, &format!("git checkout {r}"))?;
    }
    Ok(())
}

fn run_git(mut command: Command, what: &str) -> Result<(), String> {
    // Never wait for a password prompt: a private repository needs credentials set up
    // for git (an SSH agent, a credential helper).
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .stdin(std::process::Stdio::null());
    let output = command.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            "git sources need the git program, which is not on PATH".to_string()
        }
        _ => format!("cannot run git: {e}"),
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message");
    Err(format!("{what} failed: {first}"))
}

/// Downloads the archive and unpacks it into `dest` (created).
pub fn archive(http: &Http, source: &ArchiveSource, dest: &Path) -> Result<(), String> {
    let url =
        url::Url::parse(&source.url).map_err(|e| format!("invalid URL {}: {e}", source.url))?;
    let response = http.get(&url, None)?;
    if response.status != 200 {
        return Err(format!("{} answered {}", source.url, response.status));
    }
    if let Some((algo, want)) = &source.checksum {
        let got = match algo.as_str() {
            "sha512" => hex(&sha2::Sha512::digest(&response.body)),
            _ => hex(&sha2::Sha256::digest(&response.body)),
        };
        if &got != want {
            return Err(format!(
                "checksum mismatch for {}: expected {algo}:{want}, got {algo}:{got}",
                source.url
            ));
        }
    }
    std::fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    match source.kind {
        ArchiveKind::TarGz => untar(&response.body, dest),
        ArchiveKind::Zip => unzip(&response.body, dest),
    }
    .map_err(|e| format!("cannot unpack {}: {e}", source.url))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn untar(bytes: &[u8], dest: &Path) -> Result<(), String> {
    let mut gz = flate2::read::GzDecoder::new(bytes);
    // Decompress fully first, so that a damaged stream fails before anything is written.
    let mut tar_bytes = Vec::new();
    gz.by_ref()
        .take(crate::http::MAX_BODY as u64 * 4)
        .read_to_end(&mut tar_bytes)
        .map_err(|e| format!("not a valid gzip stream: {e}"))?;
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    archive.set_preserve_permissions(false);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a valid tar archive: {e}"))?;
    let mut any = false;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a valid tar archive: {e}"))?;
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            // Links could point outside the module; modules have no need of them.
            continue;
        }
        // unpack_in refuses entries whose path leaves `dest`.
        let inside = entry
            .unpack_in(dest)
            .map_err(|e| format!("not a valid tar archive: {e}"))?;
        if !inside {
            return Err("an entry's path leaves the archive's directory".to_string());
        }
        any = true;
    }
    if !any {
        return Err("the archive is empty".to_string());
    }
    Ok(())
}

pub(crate) fn unzip(bytes: &[u8], dest: &Path) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a valid zip archive: {e}"))?;
    if archive.is_empty() {
        return Err("the archive is empty".to_string());
    }
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .map_err(|e| format!("not a valid zip archive: {e}"))?;
        let Some(relative) = file.enclosed_name() else {
            return Err(format!(
                "entry {:?} leaves the archive's directory",
                file.name()
            ));
        };
        let path = dest.join(relative);
        if file.is_dir() {
            std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut out = Vec::new();
        file.read_to_end(&mut out)
            .map_err(|e| format!("not a valid zip archive: {}: {e}", file.name()))?;
        std::fs::write(&path, out).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The directory `subdir` of a package, with go-getter's `*` (the one directory there is)
/// resolved; `None` when it does not exist.
pub fn subdir(package: &Path, subdir: Option<&str>) -> Result<PathBuf, String> {
    let mut dir = package.to_path_buf();
    let mut shown = PathBuf::new();
    for part in subdir
        .unwrap_or("")
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
    {
        if part == "*" {
            let entries: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| e.to_string())?
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != ".git"))
                .collect();
            match entries.as_slice() {
                [one] => {
                    shown.push(one.file_name().unwrap_or_default());
                    dir = one.clone();
                }
                _ => {
                    return Err(format!(
                        "`*` in the subdirectory needs exactly one directory in {}",
                        shown.display()
                    ))
                }
            }
        } else {
            dir.push(part);
            shown.push(part);
        }
    }
    if !dir.is_dir() {
        return Err(format!(
            "the package has no directory {:?}",
            shown.display().to_string()
        ));
    }
    Ok(dir)
}
