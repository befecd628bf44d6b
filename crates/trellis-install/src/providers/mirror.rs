//! Installing providers from filesystem mirrors (`-plugin-dir`, the CLI configuration's
//! `filesystem_mirror`): Terraform's unpacked layout
//! `HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/` and packed layout
//! `HOST/NAMESPACE/TYPE/terraform-provider-TYPE_VERSION_OS_ARCH.zip`.
//!
//! The installation is staged in `.trellis/providers.new/` and swapped in, and the lock
//! file written, only when every provider was installed: a failure leaves the previous
//! installation and lock file as they were.

use std::path::{Path, PathBuf};

use super::{
    hash_dir, hash_zip, platform, LockFile, Locked, ProviderAddr, ProviderError, PROVIDERS_DIR,
};
use crate::constraint::{Constraints, Version};

const STAGING_DIR: &str = ".trellis/providers.new";
const OLD_DIR: &str = ".trellis/providers.old";

/// A provider the configuration needs, with its version constraints (from every module,
/// as written; empty for any version).
#[derive(Debug, Clone)]
pub struct Requirement {
    pub source: ProviderAddr,
    pub constraints: Vec<String>,
}

/// What [`install`] did for one provider, for the command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub source: ProviderAddr,
    pub version: String,
    /// The version came from the lock file.
    pub locked: bool,
}

enum Package {
    Unpacked(PathBuf),
    Packed(PathBuf),
}

fn fail(source: &ProviderAddr, why: impl Into<String>) -> ProviderError {
    ProviderError::Install {
        provider: source.to_string(),
        why: why.into(),
    }
}

/// The versions of `source` for this platform in `mirror`, with where each package is.
fn available(mirror: &Path, source: &ProviderAddr) -> Vec<(Version, Package)> {
    let platform = platform();
    let dir = mirror
        .join(&source.hostname)
        .join(&source.namespace)
        .join(&source.r#type);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    let zip_prefix = format!("terraform-provider-{}_", source.r#type);
    let zip_suffix = format!("_{platform}.zip");
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            let package = path.join(&platform);
            if let (Ok(v), true) = (Version::parse(&name), package.is_dir()) {
                out.push((v, Package::Unpacked(package)));
            }
        } else if let Some(v) = name
            .strip_prefix(&zip_prefix)
            .and_then(|r| r.strip_suffix(&zip_suffix))
        {
            if let Ok(v) = Version::parse(v) {
                out.push((v, Package::Packed(path)));
            }
        }
    }
    out
}

/// Installs every requirement from the first of `mirrors` that has the chosen version,
/// honouring the lock file (its version when it meets the constraints, unless `upgrade`;
/// its hashes always), then swaps the installation in and writes the lock file.
pub fn install(
    work_dir: &Path,
    requirements: &[Requirement],
    mirrors: &[PathBuf],
    upgrade: bool,
) -> Result<Vec<Outcome>, ProviderError> {
    let previous = LockFile::read(work_dir)?;
    let staging = work_dir.join(STAGING_DIR);
    let io = |p: &Path, e: std::io::Error| ProviderError::Install {
        provider: "(all)".to_string(),
        why: format!("{}: {e}", p.display()),
    };
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| io(&staging, e))?;
    }
    let result = install_staged(&staging, requirements, mirrors, upgrade, &previous);
    let (outcomes, lock) = match result {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    std::fs::create_dir_all(&staging).map_err(|e| io(&staging, e))?;
    let current = work_dir.join(PROVIDERS_DIR);
    let old = work_dir.join(OLD_DIR);
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| io(&old, e))?;
    }
    if current.exists() {
        std::fs::rename(&current, &old).map_err(|e| io(&current, e))?;
    }
    std::fs::rename(&staging, &current).map_err(|e| io(&current, e))?;
    // The new installation is in place; a leftover old copy costs only disk.
    let _ = std::fs::remove_dir_all(&old);
    lock.write(work_dir)?;
    Ok(outcomes)
}

fn install_staged(
    staging: &Path,
    requirements: &[Requirement],
    mirrors: &[PathBuf],
    upgrade: bool,
    previous: &LockFile,
) -> Result<(Vec<Outcome>, LockFile), ProviderError> {
    let platform = platform();
    // Entries of providers not installed here (those served natively) are kept as they
    // are, so a lock file shared with Terraform users does not churn.
    let mut lock = LockFile {
        providers: previous
            .providers
            .iter()
            .filter(|(a, _)| super::is_native(a))
            .map(|(a, l)| (a.clone(), l.clone()))
            .collect(),
    };
    let mut outcomes = Vec::new();
    for req in requirements {
        let source = &req.source;
        let text = req.constraints.join(", ");
        let constraints = if text.is_empty() {
            Constraints::default()
        } else {
            Constraints::parse(&text).map_err(|e| fail(source, e.to_string()))?
        };
        let mut found: Vec<(Version, Package)> = Vec::new();
        for mirror in mirrors {
            found.extend(available(mirror, source));
        }
        let versions: Vec<Version> = found.iter().map(|(v, _)| v.clone()).collect();
        let locked = previous.providers.get(source).filter(|_| !upgrade);
        let version = match locked {
            Some(l) => {
                let v = Version::parse(&l.version).map_err(|e| fail(source, e.to_string()))?;
                if !constraints.allows(&v) {
                    return Err(fail(
                        source,
                        format!(
                            "the locked version {} does not meet the constraints {text:?}: run `trellis init -upgrade`",
                            l.version
                        ),
                    ));
                }
                v
            }
            None => constraints.best(&versions).cloned().ok_or_else(|| {
                let mut listed: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
                listed.sort();
                fail(
                    source,
                    format!(
                        "no version for {platform} matches {}; the mirrors have {}",
                        if text.is_empty() {
                            "(any version)".to_string()
                        } else {
                            format!("{text:?}")
                        },
                        if listed.is_empty() {
                            "none".to_string()
                        } else {
                            listed.join(", ")
                        }
                    ),
                )
            })?,
        };
        let Some((_, package)) = found.iter().find(|(v, _)| *v == version) else {
            return Err(fail(
                source,
                format!("the locked version {version} is in none of the mirrors for {platform}"),
            ));
        };
        let dest = source.package_dir(staging, &version.to_string(), &platform);
        std::fs::create_dir_all(&dest).map_err(|e| fail(source, e.to_string()))?;
        let mut hashes = Vec::new();
        match package {
            Package::Unpacked(dir) => copy_dir(dir, &dest)
                .map_err(|e| fail(source, format!("cannot copy {}: {e}", dir.display())))?,
            Package::Packed(zip) => {
                let bytes = std::fs::read(zip)
                    .map_err(|e| fail(source, format!("cannot read {}: {e}", zip.display())))?;
                hashes.push(hash_zip(&bytes));
                crate::fetch::unzip(&bytes, &dest)
                    .map_err(|e| fail(source, format!("{}: {e}", zip.display())))?;
            }
        }
        make_executable(&dest, &source.r#type);
        let h1 = hash_dir(&dest).map_err(|e| fail(source, e.to_string()))?;
        hashes.push(h1.clone());
        let where_from = match package {
            Package::Unpacked(p) | Package::Packed(p) => p.display().to_string(),
        };
        // A package the lock file already vouches for must match one of its hashes.
        if let Some(l) = previous
            .providers
            .get(source)
            .filter(|l| l.version == version.to_string())
        {
            if !hashes.iter().any(|h| l.hashes.contains(h)) {
                return Err(fail(
                    source,
                    format!(
                        "the package {where_from} of version {version} does not match the checksums in .terraform.lock.hcl (got {h1}): someone may have tampered with it"
                    ),
                ));
            }
            hashes.extend(l.hashes.iter().cloned());
        }
        hashes.sort();
        hashes.dedup();
        lock.providers.insert(
            source.clone(),
            Locked {
                version: version.to_string(),
                constraints: (!text.is_empty()).then(|| text.clone()),
                hashes,
            },
        );
        outcomes.push(Outcome {
            source: source.clone(),
            version: version.to_string(),
            locked: locked.is_some(),
        });
    }
    Ok((outcomes, lock))
}

/// Zip archives do not carry the executable bit through `fetch::unzip`: set it on the
/// provider's executable.
fn make_executable(dir: &Path, type_name: &str) {
    #[cfg(unix)]
    if let Some(exe) = super::executable_in(dir, type_name) {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755));
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if std::fs::metadata(entry.path())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::super::{installed, LOCK_FILE};
    use super::*;

    fn addr() -> ProviderAddr {
        ProviderAddr::parse("example/thing").unwrap()
    }

    fn unpacked(mirror: &Path, version: &str, body: &str) -> PathBuf {
        let dir = addr().package_dir(mirror, version, &platform());
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join(format!("terraform-provider-thing_v{version}"));
        std::fs::write(&exe, body).unwrap();
        exe
    }

    fn packed(mirror: &Path, version: &str, body: &str) {
        let dir = mirror.join("registry.terraform.io/example/thing");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!(
            "terraform-provider-thing_{version}_{}.zip",
            platform()
        ));
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        zip.start_file(
            format!("terraform-provider-thing_v{version}"),
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
        zip.finish().unwrap();
    }

    fn req(c: &[&str]) -> Vec<Requirement> {
        vec![Requirement {
            source: addr(),
            constraints: c.iter().map(|s| s.to_string()).collect(),
        }]
    }

    #[test]
    fn installs_locks_honours_the_lock_and_upgrades() {
        let mirror = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        unpacked(mirror.path(), "1.0.0", "v1");
        packed(mirror.path(), "1.1.0", "v1.1");
        packed(mirror.path(), "2.0.0", "v2");
        let mirrors = vec![mirror.path().to_path_buf()];

        let done = install(work.path(), &req(&["~> 1.0"]), &mirrors, false).unwrap();
        assert_eq!(
            done[0].version, "1.1.0",
            "the newest matching, from the zip"
        );
        let found = installed(work.path()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            std::fs::read_to_string(&found[0].executable).unwrap(),
            "v1.1"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&found[0].executable)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "executable");
        }
        let lock = std::fs::read_to_string(work.path().join(LOCK_FILE)).unwrap();
        assert!(lock.contains("provider \"registry.terraform.io/example/thing\" {\n  version     = \"1.1.0\"\n  constraints = \"~> 1.0\"\n"), "{lock}");
        assert!(lock.contains("\"h1:") && lock.contains("\"zh:"), "{lock}");

        // The locked version is kept though a newer one now matches.
        let done = install(work.path(), &req(&[">= 1.0"]), &mirrors, false).unwrap();
        assert_eq!(done[0].version, "1.1.0");
        assert!(done[0].locked);
        // -upgrade re-resolves.
        let done = install(work.path(), &req(&[">= 1.0"]), &mirrors, true).unwrap();
        assert_eq!(done[0].version, "2.0.0");
        let lock = LockFile::read(work.path()).unwrap();
        assert_eq!(lock.providers[&addr()].version, "2.0.0");

        // A lock that no longer meets the constraints says to upgrade.
        let err = install(work.path(), &req(&["< 2.0"]), &mirrors, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("trellis init -upgrade"), "{err}");

        // A version no mirror has, and the previous installation left as it was.
        let err = install(work.path(), &req(&["~> 3.0"]), &mirrors, true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("example/thing") && err.contains("1.0.0, 1.1.0, 2.0.0"),
            "{err}"
        );
        assert_eq!(installed(work.path()).unwrap()[0].version, "2.0.0");
        assert_eq!(LockFile::read(work.path()).unwrap(), lock);
    }

    #[test]
    fn a_tampered_mirror_package_is_refused() {
        let mirror = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let exe = unpacked(mirror.path(), "1.0.0", "good");
        let mirrors = vec![mirror.path().to_path_buf()];
        install(work.path(), &req(&[]), &mirrors, false).unwrap();
        let lock = std::fs::read_to_string(work.path().join(LOCK_FILE)).unwrap();
        std::fs::write(&exe, "evil").unwrap();
        // Reinstalling from the mirror (the installation removed) is refused.
        std::fs::remove_dir_all(work.path().join(PROVIDERS_DIR)).unwrap();
        let err = install(work.path(), &req(&[]), &mirrors, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("registry.terraform.io/example/thing")
                && err.contains(&exe.parent().unwrap().display().to_string())
                && err.contains("does not match the checksums"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(work.path().join(LOCK_FILE)).unwrap(),
            lock,
            "lock file unchanged"
        );
    }
}
