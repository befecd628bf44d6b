//! The working directory: configuration files, variables, state paths and the lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use trellis_config::Config;
use trellis_plan::graph::Graph;
use trellis_plan::scope::Files;
use trellis_plan::variables::{parse_tfvars, RawSource, RawText, RawValue};
use trellis_provider::Registry;
use trellis_state::{acquire_lock, LockGuard, SledStore, State, StateError, StateStore};
use trellis_types::{Diagnostic, Diagnostics, SourceMap, Value};

/// A failure the binary reports: diagnostics (rendered with source snippets) or an error.
pub enum Failure {
    Diagnostics(Diagnostics, Arc<SourceMap>),
    Error(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Error(e)
    }
}

impl From<StateError> for Failure {
    fn from(e: StateError) -> Self {
        Failure::Error(e.into())
    }
}

pub type Outcome<T> = std::result::Result<T, Failure>;

/// The configuration of a working directory, parsed and checked.
pub struct Workspace {
    pub dir: PathBuf,
    pub sources: Arc<SourceMap>,
    pub config: Arc<Config>,
    pub graph: Graph,
    /// A hash of every configuration file, for saved-plan staleness.
    pub config_hash: String,
    /// Warnings from parsing.
    pub warnings: Diagnostics,
}

/// The providers this binary has.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    registry.register(Arc::new(trellis_provider::memory::MemoryFactory::new()));
    registry.register(Arc::new(trellis_aws::AwsFactory::new()));
    registry
}

/// The configuration files of `dir`, sorted by name: `*.tf` and `*.tf.json` (Terraform's
/// JSON syntax).
fn config_file_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tf") || n.ends_with(".tf.json"))
        .collect();
    names.sort();
    Ok(names)
}

/// Why the file `name` of `len` bytes is not read, when it is over the size limit.
fn too_large(name: &str, len: u64) -> Option<String> {
    (len > trellis_config::MAX_FILE_SIZE as u64).then(|| {
        format!(
            "{name} is too large ({len} bytes; the limit is {})",
            trellis_config::MAX_FILE_SIZE
        )
    })
}

/// Reads the configuration files of `dir` (sorted by name) into a source map.
pub fn read_sources(dir: &Path) -> Outcome<SourceMap> {
    let names = config_file_names(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?;
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    for name in names {
        let path = dir.join(&name);
        let metadata = std::fs::metadata(&path).with_context(|| format!("cannot read {name}"))?;
        if let Some(why) = too_large(&name, metadata.len()) {
            diags.push(Diagnostic::error(why));
            continue;
        }
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {name}"))?;
        match trellis_config::decode_source(&name, &bytes) {
            Ok(file) => sources.add(file),
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        return Err(Failure::Diagnostics(diags, Arc::new(sources)));
    }
    Ok(sources)
}

/// The configuration files of a module directory (`module_dir` relative to the working
/// directory `dir`), named by their path relative to `dir`, for
/// `trellis_config::load_modules`.
fn read_module_dir(
    dir: &Path,
    module_dir: &str,
) -> std::result::Result<Vec<trellis_types::SourceFile>, String> {
    read_module_files(&dir.join(module_dir), module_dir)
}

/// The configuration files of the directory `full`, named as if in `module_dir` (relative
/// to the working directory): while `trellis init` runs, an installed module is read from
/// the staging copy under the name it will have in the cache.
fn read_module_files(
    full: &Path,
    module_dir: &str,
) -> std::result::Result<Vec<trellis_types::SourceFile>, String> {
    let full = full.to_path_buf();
    let names =
        config_file_names(&full).map_err(|e| format!("cannot read {}: {e}", full.display()))?;
    let mut out = Vec::new();
    for name in names {
        let path = full.join(&name);
        let shown = if module_dir.is_empty() {
            name.clone()
        } else {
            format!("{module_dir}/{name}")
        };
        let metadata = std::fs::metadata(&path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        if let Some(why) = too_large(&shown, metadata.len()) {
            return Err(why);
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {shown}: {e}"))?;
        match trellis_config::decode_source(&shown, &bytes) {
            Ok(file) => out.push(file),
            Err(d) => {
                return Err(d
                    .iter()
                    .map(|d| match &d.span {
                        Some(span) => format!("{span}: {}", d.summary),
                        None => d.summary.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "))
            }
        }
    }
    Ok(out)
}

/// `trellis init`'s module installation: every remote module the configuration calls
/// (and those its modules call) installed into a staging copy of `.trellis/modules/`,
/// which replaces the cache only when all of them were installed. Returns the lines to
/// print. A module that cannot be installed is a diagnostic at its call's `source` naming
/// the module and the reason, and leaves the previous cache as it was.
pub fn install_modules(dir: &Path, upgrade: bool) -> Outcome<Vec<String>> {
    let sources = read_sources(dir)?;
    let (mut config, diags) = trellis_config::parse(&sources);
    if diags.has_errors() {
        return Err(Failure::Diagnostics(diags, Arc::new(sources)));
    }
    if !config.has_modules() {
        return Ok(Vec::new());
    }
    let env: Vec<(String, String)> = std::env::vars().collect();
    let cli = trellis_install::cliconfig::CliConfig::load(&env).map_err(anyhow::Error::msg)?;
    let installer = std::cell::RefCell::new(
        trellis_install::Installer::new(dir, upgrade, cli).map_err(|e| Failure::Error(e.into()))?,
    );
    let mut sources = sources;
    let failures = std::cell::RefCell::new(Vec::new());
    let mut resolve = |call: &trellis_config::RemoteCall| {
        let result = installer.borrow_mut().install(trellis_install::Call {
            key: call.key,
            source: call.source,
            version: call.version,
        });
        result.map_err(|e| {
            failures.borrow_mut().push(call.key.to_string());
            let (summary, detail) = match &e {
                trellis_install::InstallError::Module { key, why, .. } => {
                    (format!("cannot install module \"{key}\""), why.clone())
                }
                other => ("cannot install modules".to_string(), other.to_string()),
            };
            trellis_config::Unresolved {
                summary,
                detail: format!("source {:?}: {detail}", call.source),
            }
        })
    };
    let mut read = |module_dir: &str| {
        let full = installer.borrow().staged(module_dir);
        read_module_files(&full, module_dir)
    };
    let load =
        trellis_config::load_modules_with(&mut config, &mut sources, &mut read, &mut resolve);
    if !failures.borrow().is_empty() {
        // Only the installation's own diagnostics: the others (arguments, parse errors in
        // a module) are for validate and plan, once the modules are there.
        let installs: Diagnostics = Diagnostics(
            load.0
                .into_iter()
                .filter(|d| d.summary.starts_with("cannot install module"))
                .collect(),
        );
        return Err(Failure::Diagnostics(installs, Arc::new(sources)));
    }
    let installer = installer.into_inner();
    if installer.installed.is_empty() && !dir.join(trellis_install::CACHE_DIR).exists() {
        // Only local modules, and no cache to clear.
        return Ok(Vec::new());
    }
    let mut out = vec!["Installing modules...".to_string()];
    for m in &installer.installed {
        let version = m
            .version
            .as_ref()
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let how = if m.reused { "kept" } else { "installed" };
        out.push(format!("- {} {how}: {}{version}", m.key, m.source));
    }
    installer.commit().map_err(|e| Failure::Error(e.into()))?;
    Ok(out)
}

impl Workspace {
    /// Loads, parses (the modules it calls too) and builds the graph; every problem is a
    /// diagnostic.
    pub fn load(dir: &Path) -> Outcome<Workspace> {
        let sources = read_sources(dir)?;
        if sources.files().is_empty() {
            return Err(Failure::Error(anyhow::anyhow!(
                "no configuration files (*.tf) in {}",
                display_dir(dir)
            )));
        }
        let (mut config, mut diags) = trellis_config::parse(&sources);
        let mut sources = sources;
        if config.has_modules() && !diags.has_errors() {
            // Remote modules come from the cache `trellis init` filled; no network here.
            let manifest =
                trellis_install::Manifest::read(dir).map_err(|e| Failure::Error(e.into()))?;
            let mut resolve = |call: &trellis_config::RemoteCall| {
                manifest
                    .resolve(call.key, call.source, call.version)
                    .map_err(|n| trellis_config::Unresolved {
                        summary: n.summary,
                        detail: n.detail,
                    })
            };
            let mut read = |module_dir: &str| read_module_dir(dir, module_dir);
            diags.extend(trellis_config::load_modules_with(
                &mut config,
                &mut sources,
                &mut read,
                &mut resolve,
            ));
        }
        // The hash covers the files of every module, so that a saved plan is stale when a
        // module changed.
        let mut hasher = Sha256::new();
        for f in sources.files() {
            hasher.update(f.name.as_bytes());
            hasher.update([0]);
            hasher.update(f.text.as_bytes());
            hasher.update([0]);
        }
        let config_hash = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        let sources = Arc::new(sources);
        if diags.has_errors() {
            return Err(Failure::Diagnostics(diags, sources));
        }
        let graph = match trellis_plan::graph::build(&config, &sources) {
            Ok(g) => g,
            Err(mut d) => {
                // Report the schema errors too (unknown types and arguments), so that one
                // run shows every problem rather than only the reference errors.
                d.0.extend(
                    trellis_plan::planner::schema_diagnostics(&config, &sources, &registry()).0,
                );
                d.0.sort_by(|a, b| {
                    let key = |x: &trellis_types::Diagnostic| {
                        x.span.as_ref().map(|s| (s.file.clone(), s.line, s.column))
                    };
                    // Diagnostics without a position keep their place at the end.
                    match (key(a), key(b)) {
                        (Some(x), Some(y)) => x.cmp(&y),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    }
                });
                return Err(Failure::Diagnostics(d, sources));
            }
        };
        Ok(Workspace {
            dir: dir.to_path_buf(),
            sources,
            config: Arc::new(config),
            graph,
            config_hash,
            warnings: diags,
        })
    }

    /// Raw variable values: environment, `terraform.tfvars`, `*.auto.tfvars`, `-var-file`
    /// and `-var`, later ones overriding earlier ones.
    pub fn raw_variables(&self, var_files: &[String], vars: &[String]) -> Outcome<Vec<RawValue>> {
        let mut raw = Vec::new();
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in std::env::vars() {
            if let Some(name) = k.strip_prefix("TF_VAR_") {
                env.entry(name.to_string()).or_insert(v);
            }
        }
        for (k, v) in std::env::vars() {
            if let Some(name) = k.strip_prefix("TRELLIS_VAR_") {
                env.insert(name.to_string(), v);
            }
        }
        for (name, value) in env {
            raw.push(RawValue {
                name,
                value: RawText::Text(value),
                source: RawSource::Environment,
            });
        }
        let mut files: Vec<PathBuf> = Vec::new();
        let default = self.dir.join("terraform.tfvars");
        if default.is_file() {
            files.push(default);
        }
        let mut auto: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.ends_with(".auto.tfvars"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        auto.sort();
        files.extend(auto);
        files.extend(var_files.iter().map(|f| self.dir.join(f)));
        let mut diags = Diagnostics::new();
        let mut var_sources = SourceMap::new();
        for path in files {
            let name = path
                .strip_prefix(&self.dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .to_string();
            let size = std::fs::metadata(&path)
                .with_context(|| format!("cannot read variables file {name}"))?
                .len();
            if size > trellis_config::MAX_FILE_SIZE as u64 {
                diags.push(Diagnostic::error(format!(
                    "{name} is too large ({size} bytes; the limit is {})",
                    trellis_config::MAX_FILE_SIZE
                )));
                continue;
            }
            let bytes = std::fs::read(&path)
                .with_context(|| format!("cannot read variables file {name}"))?;
            let file = match trellis_config::decode_source(&name, &bytes) {
                Ok(f) => f,
                Err(d) => {
                    diags.extend(d);
                    continue;
                }
            };
            let (values, d) = parse_tfvars(&file);
            diags.extend(d);
            raw.extend(values);
            var_sources.add(file);
        }
        for v in vars {
            let (name, value) = v
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("-var needs NAME=VALUE, not {v:?}"))?;
            raw.push(RawValue {
                name: name.trim().to_string(),
                value: RawText::Text(value.to_string()),
                source: RawSource::CommandLine,
            });
        }
        if diags.has_errors() {
            return Err(Failure::Diagnostics(diags, Arc::new(var_sources)));
        }
        Ok(raw)
    }

    /// Converts and validates variables.
    pub fn variables(
        &self,
        var_files: &[String],
        vars: &[String],
    ) -> Outcome<BTreeMap<String, Value>> {
        let raw = self.raw_variables(var_files, vars)?;
        trellis_plan::variables::evaluate_variables(
            &self.config,
            &self.sources,
            &raw,
            &DirFiles::new(&self.dir),
        )
        .map_err(|d| Failure::Diagnostics(d, self.sources.clone()))
    }
}

fn display_dir(dir: &Path) -> String {
    if dir.as_os_str().is_empty() || dir == Path::new(".") {
        "the current directory".to_string()
    } else {
        dir.display().to_string()
    }
}

/// `file()` and `templatefile()` read relative to the working directory.
pub struct DirFiles {
    dir: PathBuf,
}

impl DirFiles {
    pub fn new(dir: &Path) -> DirFiles {
        DirFiles {
            dir: dir.to_path_buf(),
        }
    }
}

impl Files for DirFiles {
    fn read(&self, path: &str) -> std::result::Result<String, String> {
        let full = self.dir.join(path);
        let meta = std::fs::metadata(&full).map_err(|e| format!("cannot read {path}: {e}"))?;
        if meta.len() > 16 * 1024 * 1024 {
            return Err(format!("{path} is larger than 16 MiB"));
        }
        std::fs::read_to_string(&full).map_err(|e| format!("cannot read {path}: {e}"))
    }
}

/// Where a working directory keeps its state: local sled state (the default, or
/// `backend "local"`, or `-state=PATH`) or S3 (`backend "s3"`). Every command reaches the
/// state through this, so each works the same on either backend.
pub struct StatePaths {
    /// Backups before each apply and state change; local for both backends (a copy on the
    /// machine that ran the command; S3 users should also turn on bucket versioning).
    pub backups: PathBuf,
    location: Location,
}

enum Location {
    Local {
        store: PathBuf,
        lock: PathBuf,
    },
    S3(Arc<trellis_backend_s3::S3Backend>),
    /// The backend could not be resolved; the error is reported on first use, so that
    /// commands that never touch state (and their own diagnostics) come first.
    Unresolved(String),
}

/// A held state lock, released when dropped.
pub enum StateLock {
    Local(#[allow(dead_code)] LockGuard),
    S3(#[allow(dead_code)] trellis_backend_s3::S3Lock),
    /// `backend "s3" { use_lockfile = false }`: the operator chose to run unlocked.
    Unlocked,
}

/// A state opened for `state restore` ([`StatePaths::open_for_restore`]).
pub struct ForRestore {
    pub store: Arc<dyn StateStore>,
    /// What the store held; `None` when it was damaged and moved aside.
    pub state: Option<State>,
    /// Where a damaged local state went.
    pub aside: Option<PathBuf>,
}

impl StatePaths {
    /// The state of `dir`: `-state=PATH` (always local), else the configured backend.
    pub fn new(dir: &Path, state: Option<&str>) -> StatePaths {
        StatePaths::resolved(dir, state, || crate::backend::resolve(dir))
    }

    /// [`StatePaths::new`] for the workspace already loaded from `dir`: the same paths,
    /// from its parsed configuration rather than from parsing every file again (a tenth of
    /// a 10,000-resource plan's time).
    pub fn for_workspace(ws: &Workspace, state: Option<&str>) -> StatePaths {
        StatePaths::resolved(&ws.dir, state, || {
            crate::backend::resolve_loaded(&ws.dir, &ws.config)
        })
    }

    fn resolved(
        dir: &Path,
        state: Option<&str>,
        spec: impl FnOnce() -> Outcome<crate::backend::BackendSpec>,
    ) -> StatePaths {
        if state.is_some() {
            return StatePaths::local(dir, state);
        }
        match spec().and_then(|spec| crate::backend::paths_for(dir, &spec)) {
            Ok(paths) => paths,
            Err(failure) => StatePaths {
                backups: dir.join(".trellis").join("backups"),
                location: Location::Unresolved(match failure {
                    Failure::Error(e) => format!("{e:#}"),
                    Failure::Diagnostics(d, sources) => format!(
                        "the backend block has errors:\n{}",
                        trellis_views::render_diagnostics(
                            &d,
                            &sources,
                            trellis_views::Style::plain()
                        )
                    ),
                }),
            },
        }
    }

    /// Local sled state at `state` (relative to `dir`) or `.trellis/state`.
    pub fn local(dir: &Path, state: Option<&str>) -> StatePaths {
        match state {
            Some(path) => {
                let store = dir.join(path);
                let mut lock = store.clone().into_os_string();
                lock.push(".lock");
                let mut backups = store.clone().into_os_string();
                backups.push(".backups");
                StatePaths {
                    location: Location::Local {
                        store,
                        lock: lock.into(),
                    },
                    backups: backups.into(),
                }
            }
            None => {
                let base = dir.join(".trellis");
                StatePaths {
                    location: Location::Local {
                        store: base.join("state"),
                        lock: base.join("state.lock"),
                    },
                    backups: base.join("backups"),
                }
            }
        }
    }

    /// S3 state; backups stay in `dir/.trellis/backups`.
    pub fn s3(dir: &Path, backend: Arc<trellis_backend_s3::S3Backend>) -> StatePaths {
        StatePaths {
            backups: dir.join(".trellis").join("backups"),
            location: Location::S3(backend),
        }
    }

    fn unresolved(&self) -> Outcome<()> {
        match &self.location {
            Location::Unresolved(e) => Err(Failure::Error(anyhow::anyhow!("{e}"))),
            _ => Ok(()),
        }
    }

    fn ensure_parent(&self) -> Result<()> {
        let Location::Local { lock, .. } = &self.location else {
            return Ok(());
        };
        if let Some(parent) = lock.parent() {
            if !parent.as_os_str().is_empty() && !parent.exists() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ =
                        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o700));
                }
            }
        }
        Ok(())
    }

    /// Whether a state exists yet (commands that only read do not create one).
    pub fn exists(&self) -> Outcome<bool> {
        self.unresolved()?;
        match &self.location {
            Location::Local { store, .. } => Ok(store.exists()),
            Location::S3(backend) => Ok(backend.state_exists()?),
            Location::Unresolved(_) => Ok(false),
        }
    }

    /// Takes the lock (waiting up to `timeout`).
    pub fn lock(&self, operation: &str, timeout: Duration) -> Outcome<StateLock> {
        self.unresolved()?;
        self.ensure_parent()?;
        let result = match &self.location {
            Location::Local { lock, .. } => {
                acquire_lock(lock, operation, timeout).map(StateLock::Local)
            }
            Location::S3(backend) if !backend.settings().use_lockfile => Ok(StateLock::Unlocked),
            Location::S3(backend) => {
                let lock = backend.lock(operation, timeout);
                if lock.is_ok() {
                    release_on_interrupt();
                }
                lock.map(StateLock::S3)
            }
            Location::Unresolved(_) => unreachable!("checked above"),
        };
        let result = result.map_err(|e| match e {
            StateError::Locked(info) => {
                let stale = if info.holder_is_gone() {
                    "\n\nthe holder is no longer running on this host: the lock is stale"
                } else {
                    ""
                };
                Failure::Error(anyhow::anyhow!(
                "the state is locked by another trellis process\n\n  lock id:   {}\n  holder:    {} (pid {} on {})\n  operation: {}\n  since:     {} ({} ago)\n  state:     {}{stale}\n\nwait for it to finish, retry with -lock-timeout=DURATION, or if it is gone run: trellis force-unlock {}",
                info.id,
                info.who,
                info.pid,
                info.host,
                info.operation,
                format_time(info.created_at),
                format_age(info.created_at),
                self.describe(),
                info.id
            ))
            }
            other => Failure::Error(other.into()),
        });
        let guard = result?;
        if let Some(stale) = match &guard {
            StateLock::Local(g) => g.replaced_stale(),
            _ => None,
        } {
            tracing::warn!(pid = stale.pid, host = %stale.host, "took over a stale lock");
            eprintln!(
                "Warning: the state lock was stale: {} (pid {} on {}, since {}) ended without releasing it; this {operation} took it over.",
                stale.operation,
                stale.pid,
                stale.host,
                format_time(stale.created_at)
            );
        }
        Ok(guard)
    }

    /// Removes a lock left behind, if `id` is its id.
    pub fn force_unlock(&self, id: &str) -> Outcome<()> {
        self.unresolved()?;
        match &self.location {
            Location::Local { lock, .. } => trellis_state::force_unlock(lock, id)?,
            Location::S3(backend) => {
                backend.force_unlock(id)?;
            }
            Location::Unresolved(_) => {}
        }
        Ok(())
    }

    /// Where the state is, for messages.
    pub fn describe(&self) -> String {
        match &self.location {
            Location::Local { store, .. } => store.display().to_string(),
            Location::S3(backend) => backend.settings().url(),
            Location::Unresolved(_) => "(unresolved backend)".to_string(),
        }
    }

    /// Opens the store for writing (under the lock), creating it if needed. An S3 store
    /// recovers the journal of an interrupted run here.
    pub fn open(&self) -> Outcome<Arc<dyn StateStore>> {
        self.unresolved()?;
        self.ensure_parent()?;
        match &self.location {
            Location::Local { store, .. } => Ok(Arc::new(
                SledStore::open(store).map_err(|e| self.damaged(e))?,
            )),
            Location::S3(backend) => {
                let store = trellis_backend_s3::S3Store::open(backend)?;
                let recovered = store.recovery().entries;
                if recovered > 0 {
                    eprintln!(
                        "Recovered {recovered} change(s) that an interrupted run had written to {} and folded them into the state.",
                        backend.settings().url()
                    );
                }
                Ok(Arc::new(store))
            }
            Location::Unresolved(_) => unreachable!("checked above"),
        }
    }

    /// Opens an existing store for reading only (plan): an S3 store folds the journal of an
    /// interrupted run in memory and writes nothing, so a plan without the lock can never
    /// disturb a running apply.
    pub fn open_read(&self) -> Outcome<Arc<dyn StateStore>> {
        self.unresolved()?;
        match &self.location {
            Location::Local { store, .. } => Ok(Arc::new(
                SledStore::open(store).map_err(|e| self.damaged(e))?,
            )),
            Location::S3(backend) => match trellis_backend_s3::S3Store::open_existing(backend)? {
                Some(store) => Ok(Arc::new(store)),
                None => Err(Failure::Error(anyhow::anyhow!(
                    "no state at {}",
                    backend.settings().url()
                ))),
            },
            Location::Unresolved(_) => unreachable!("checked above"),
        }
    }

    /// Loads a local state for `state restore`, which must work when that state is damaged:
    /// a store that cannot be opened or read is moved aside (never deleted) to a sibling
    /// `<state>.damaged-<unix seconds>`, and a new, empty store is made in its place. Returns
    /// the store, the state it held (`None` when it was damaged) and where the damaged
    /// directory went. Other stores open and load as usual.
    pub fn open_for_restore(&self) -> Outcome<ForRestore> {
        let Location::Local { store: dir, .. } = &self.location else {
            let store = self.open()?;
            let state = store.load()?;
            return Ok(ForRestore {
                store,
                state: Some(state),
                aside: None,
            });
        };
        self.ensure_parent()?;
        let opened = SledStore::open(dir).and_then(|store| {
            let state = store.load()?;
            Ok((store, state))
        });
        match opened {
            Ok((store, state)) => Ok(ForRestore {
                store: Arc::new(store),
                state: Some(state),
                aside: None,
            }),
            Err(e @ (StateError::Corrupt { .. } | StateError::RolledBack { .. })) => {
                let secs = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let mut aside = dir.clone().into_os_string();
                aside.push(format!(".damaged-{secs}"));
                let aside = PathBuf::from(aside);
                std::fs::rename(dir, &aside).with_context(|| {
                    format!(
                        "the state is damaged ({e}) and cannot be moved aside to {}",
                        aside.display()
                    )
                })?;
                tracing::warn!(from = %dir.display(), to = %aside.display(), "moved a damaged state aside");
                let store = SledStore::open(dir)?;
                Ok(ForRestore {
                    store: Arc::new(store),
                    state: None,
                    aside: Some(aside),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Adds to a damaged local state's error what to do about it.
    fn damaged(&self, e: StateError) -> Failure {
        match e {
            StateError::Corrupt { .. } | StateError::RolledBack { .. } => {
                Failure::Error(anyhow::anyhow!(
                    "{e}\n\ntrellis never reads a damaged state as empty or as an older state. Restore a backup: trellis state restore lists the backups in {}, and trellis state restore NAME installs one (the damaged directory is kept beside the new one)",
                    self.backups.display()
                ))
            }
            other => Failure::Error(other.into()),
        }
    }

    /// Loads the state, or an empty one when there is none yet.
    pub fn load_or_empty(&self) -> Outcome<State> {
        self.unresolved()?;
        match &self.location {
            Location::Local { store, .. } => {
                match SledStore::open_existing(store).map_err(|e| self.damaged(e))? {
                    Some(store) => Ok(store.load().map_err(|e| self.damaged(e))?),
                    None => Ok(State::default()),
                }
            }
            Location::S3(backend) => match trellis_backend_s3::S3Store::open_existing(backend)? {
                Some(store) => Ok(store.load()?),
                None => Ok(State::default()),
            },
            Location::Unresolved(_) => unreachable!("checked above"),
        }
    }
}

/// Set while apply runs its changes: its own interrupt handling then decides (finish
/// running changes and release at the end, or release and exit at the second interrupt).
static APPLYING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks the stretch in which apply handles interrupts itself.
pub fn set_applying(on: bool) {
    APPLYING.store(on, std::sync::atomic::Ordering::SeqCst);
}

/// Outside the changes of an apply, the first SIGINT or SIGTERM releases every S3 lock
/// object this process holds and exits 130, as the OS releases a local lock with its process.
fn release_on_interrupt() {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    handle.spawn(async {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        loop {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            if APPLYING.load(std::sync::atomic::Ordering::SeqCst) {
                continue;
            }
            eprintln!("\nInterrupt received: releasing the state lock.");
            let _ = tokio::task::spawn_blocking(trellis_backend_s3::release_held_locks).await;
            std::process::exit(130);
        }
    });
}

/// How long ago a time (seconds since the epoch) was: `42s`, `7m`, `3h12m`, `2d3h`. A lock
/// from hours ago on another host is the usual sign of a runner that vanished.
pub fn format_age(secs: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let age = now.saturating_sub(secs);
    match age {
        0..=59 => format!("{age}s"),
        60..=3599 => format!("{}m", age / 60),
        3600..=86_399 => format!("{}h{}m", age / 3600, (age % 3600) / 60),
        _ => format!("{}d{}h", age / 86_400, (age % 86_400) / 3600),
    }
}

/// Seconds since the epoch as UTC `YYYY-MM-DD HH:MM:SS`.
pub fn format_time(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Writes a file readable by the owner only (plans hold secrets).
pub fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(contents)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}
