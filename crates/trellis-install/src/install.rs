//! The module cache (`.trellis/modules/`, one package directory per module call key) and
//! its manifest (`modules.json`, Terraform's format: `Key`, `Source`, `Version`, `Dir`),
//! and the installer that fills a staging copy (`.trellis/modules.new/`) and swaps it in
//! only when every module was installed, so a failed `trellis init` leaves the previous
//! cache as it was.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cliconfig::CliConfig;
use crate::constraint::{Constraints, Version};
use crate::http::Http;
use crate::registry::Registry;
use crate::source::{self, Source};
use crate::InstallError;

/// Where installed modules live, relative to the working directory.
pub const CACHE_DIR: &str = ".trellis/modules";
const STAGING_DIR: &str = ".trellis/modules.new";
const OLD_DIR: &str = ".trellis/modules.old";
const MANIFEST: &str = "modules.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Record {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Source")]
    pub source: String,
    #[serde(rename = "Version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The module's directory relative to the working directory (the package directory,
    /// plus the source's subdirectory).
    #[serde(rename = "Dir")]
    pub dir: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(rename = "Modules")]
    pub modules: Vec<Record>,
}

/// Why a module call has no installed directory: a message for a diagnostic at its
/// `source`, each naming `trellis init`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotInstalled {
    pub summary: String,
    pub detail: String,
}

impl Manifest {
    /// The manifest of the cache in `work_dir`; empty when nothing was installed. A
    /// manifest that cannot be read is an error, never an empty cache.
    pub fn read(work_dir: &Path) -> Result<Manifest, InstallError> {
        Self::read_at(&work_dir.join(CACHE_DIR).join(MANIFEST))
    }

    fn read_at(path: &Path) -> Result<Manifest, InstallError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| InstallError::Cache {
                what: format!(
                    "{} is damaged: {e}; run `trellis init` again",
                    path.display()
                ),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(InstallError::Cache {
                what: format!("cannot read {}: {e}", path.display()),
            }),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Record> {
        self.modules.iter().find(|r| r.key == key)
    }

    /// The installed directory of a module call, checked against the call as it is now
    /// written: the same source, and a version that still meets the constraint. Reads no
    /// network; what is missing or stale says to run `trellis init`.
    pub fn resolve(
        &self,
        key: &str,
        source: &str,
        version: Option<&str>,
    ) -> Result<String, NotInstalled> {
        let Some(record) = self.get(key) else {
            return Err(NotInstalled {
                summary: format!("module \"{key}\" is not installed"),
                detail: format!(
                    "its source {source:?} is not a local path: run `trellis init` to install it"
                ),
            });
        };
        if record.source != source {
            return Err(NotInstalled {
                summary: format!("module \"{key}\" changed since it was installed"),
                detail: format!(
                    "its source is now {source:?}, and {:?} is installed: run `trellis init` to install the new source",
                    record.source
                ),
            });
        }
        if let (Some(constraint), Some(installed)) = (version, &record.version) {
            let ok = match (Constraints::parse(constraint), Version::parse(installed)) {
                (Ok(c), Ok(v)) => c.allows(&v),
                _ => false,
            };
            if !ok {
                return Err(NotInstalled {
                    summary: format!("module \"{key}\" does not meet its version constraint"),
                    detail: format!(
                        "version {installed} is installed and the constraint is now {constraint:?}: run `trellis init -upgrade`"
                    ),
                });
            }
        }
        Ok(record.dir.clone())
    }
}

/// One module installed by [`Installer::install`], for the command's output.
#[derive(Debug, Clone)]
pub struct Installed {
    pub key: String,
    pub source: String,
    pub version: Option<String>,
    /// Kept from the previous cache rather than downloaded.
    pub reused: bool,
}

/// Installs module calls into a staging copy of the cache; [`Installer::commit`] swaps it
/// in, dropping the staging copy (on drop) leaves the cache as it was.
pub struct Installer {
    work_dir: PathBuf,
    upgrade: bool,
    cli: CliConfig,
    http: Option<Http>,
    previous: Manifest,
    records: Vec<Record>,
    pub installed: Vec<Installed>,
    committed: bool,
}

/// A call as the installer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub key: &'a str,
    pub source: &'a str,
    pub version: Option<&'a str>,
}

impl Installer {
    /// Starts an installation in `work_dir`; the staging directory next to the cache is made
    /// when the first module is installed, so a configuration without remote modules
    /// leaves no trace.
    pub fn new(work_dir: &Path, upgrade: bool, cli: CliConfig) -> Result<Installer, InstallError> {
        let previous = Manifest::read(work_dir)?;
        // A staging copy left by a killed run is not a cache: start afresh.
        let staging = work_dir.join(STAGING_DIR);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| cache_error(&staging, e))?;
        }
        Ok(Installer {
            work_dir: work_dir.to_path_buf(),
            upgrade,
            cli,
            http: None,
            previous,
            records: Vec::new(),
            installed: Vec::new(),
            committed: false,
        })
    }

    /// Where a directory of the cache (as [`Installer::install`] names it, under
    /// `.trellis/modules/`) is while the installation runs.
    pub fn staged(&self, dir: &str) -> PathBuf {
        match dir.strip_prefix(CACHE_DIR) {
            Some(rest) => self.work_dir.join(format!("{STAGING_DIR}{rest}")),
            None => self.work_dir.join(dir),
        }
    }

    fn http(&mut self) -> Result<&Http, String> {
        if self.http.is_none() {
            self.http = Some(Http::new()?);
        }
        Ok(self.http.as_ref().expect("set above"))
    }

    /// Installs one module call (keys of nested calls come after their parent's) and
    /// returns its directory relative to the working directory, as it will be once
    /// committed.
    pub fn install(&mut self, call: Call) -> Result<String, InstallError> {
        let fail = |why: String| InstallError::Module {
            key: call.key.to_string(),
            source_address: call.source.to_string(),
            why,
        };
        let source = source::parse(call.source).map_err(|e| fail(e.why))?;
        if call.version.is_some() && !source.is_registry() {
            return Err(fail(
                "`version` applies only to registry modules: remove it (a git source pins a version with ?ref=)".to_string(),
            ));
        }
        let constraints = match call.version {
            Some(v) => Some(Constraints::parse(v).map_err(|e| fail(e.to_string()))?),
            None => None,
        };
        let package_rel = format!("{CACHE_DIR}/{}", call.key);
        let staging = self.work_dir.join(STAGING_DIR);
        std::fs::create_dir_all(&staging)
            .map_err(|e| fail(format!("{}: {e}", staging.display())))?;
        let package = self.staged(&package_rel);
        if package.exists() {
            std::fs::remove_dir_all(&package).map_err(|e| fail(e.to_string()))?;
        }

        // Keep what is installed and still fits, unless asked to upgrade.
        if let Some(old) = self.previous.get(call.key).cloned() {
            let fits = old.source == call.source
                && match (&constraints, &old.version) {
                    (Some(c), Some(v)) => Version::parse(v).is_ok_and(|v| c.allows(&v)),
                    (None, _) => true,
                    (Some(_), None) => false,
                };
            let old_package = self.work_dir.join(&package_rel);
            if fits && old_package.is_dir() && !self.upgrade {
                copy_dir(&old_package, &package)
                    .map_err(|e| fail(format!("cannot copy the installed module: {e}")))?;
                self.records.push(old.clone());
                self.installed.push(Installed {
                    key: call.key.to_string(),
                    source: call.source.to_string(),
                    version: old.version.clone(),
                    reused: true,
                });
                return Ok(old.dir);
            }
        }

        let (version, subdirs) = match &source {
            Source::Local(_) => return Err(fail("a local source is not installed".to_string())),
            Source::Registry(address) => {
                let cli = self.cli.clone();
                let http = self.http().map_err(&fail)?;
                let registry = Registry { http, cli: &cli };
                let base = registry.modules_base(&address.host).map_err(&fail)?;
                let versions = registry.versions(&base, address).map_err(&fail)?;
                let constraints = constraints.clone().unwrap_or_default();
                let Some(version) = constraints.best(&versions).cloned() else {
                    let mut listed: Vec<&Version> = versions.iter().collect();
                    listed.sort();
                    let listed: Vec<String> = listed.iter().map(|v| v.to_string()).collect();
                    return Err(fail(format!(
                        "no version matches {}; the registry has {}",
                        call.version
                            .map_or("(any release)".to_string(), |v| format!("{v:?}")),
                        if listed.is_empty() {
                            "none".to_string()
                        } else {
                            listed.join(", ")
                        }
                    )));
                };
                let location = registry.location(&base, address, &version).map_err(&fail)?;
                let located = source::parse(&location).map_err(|e| {
                    fail(format!(
                        "the registry's download location {location:?}: {}",
                        e.why
                    ))
                })?;
                let inner = located.subdir().map(str::to_string);
                self.fetch(&located, &package).map_err(&fail)?;
                (
                    Some(version.to_string()),
                    vec![inner, address.subdir.clone()],
                )
            }
            other => {
                self.fetch(other, &package).map_err(&fail)?;
                (None, vec![other.subdir().map(str::to_string)])
            }
        };
        let subdir: Vec<String> = subdirs.into_iter().flatten().collect();
        let subdir = (!subdir.is_empty()).then(|| subdir.join("/"));
        let module_dir = crate::fetch::subdir(&package, subdir.as_deref()).map_err(&fail)?;
        let relative = module_dir
            .strip_prefix(self.staged(CACHE_DIR))
            .map(|r| format!("{CACHE_DIR}/{}", r.display()))
            .unwrap_or(package_rel);
        self.records.push(Record {
            key: call.key.to_string(),
            source: call.source.to_string(),
            version: version.clone(),
            dir: relative.clone(),
        });
        self.installed.push(Installed {
            key: call.key.to_string(),
            source: call.source.to_string(),
            version,
            reused: false,
        });
        Ok(relative)
    }

    fn fetch(&mut self, source: &Source, package: &Path) -> Result<(), String> {
        match source {
            Source::Git(g) => crate::fetch::git(g, package),
            Source::Archive(a) => {
                let http = self.http()?;
                crate::fetch::archive(http, a, package)
            }
            Source::Registry(r) => Err(format!(
                "the registry's download location is itself a registry address ({r})"
            )),
            Source::Local(l) => Err(format!("the download location {l:?} is a local path")),
        }
    }

    /// Writes the manifest and swaps the staging copy in as the cache.
    pub fn commit(mut self) -> Result<(), InstallError> {
        let staging = self.work_dir.join(STAGING_DIR);
        let cache = self.work_dir.join(CACHE_DIR);
        let old = self.work_dir.join(OLD_DIR);
        let manifest = Manifest {
            modules: std::mem::take(&mut self.records),
        };
        std::fs::create_dir_all(&staging).map_err(|e| cache_error(&staging, e))?;
        let text = serde_json::to_string_pretty(&manifest).expect("a manifest serializes");
        std::fs::write(staging.join(MANIFEST), text).map_err(|e| cache_error(&staging, e))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| cache_error(&old, e))?;
        }
        if cache.exists() {
            std::fs::rename(&cache, &old).map_err(|e| cache_error(&cache, e))?;
        }
        std::fs::rename(&staging, &cache).map_err(|e| cache_error(&cache, e))?;
        if old.exists() {
            // The new cache is in place; a leftover old copy costs only disk.
            let _ = std::fs::remove_dir_all(&old);
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Installer {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(self.work_dir.join(STAGING_DIR));
        }
    }
}

fn cache_error(path: &Path, e: std::io::Error) -> InstallError {
    InstallError::Cache {
        what: format!("{}: {e}", path.display()),
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
