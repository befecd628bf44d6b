//! Which state backend a working directory uses, and `trellis init`, which records it and
//! moves state between backends.
//!
//! The backend comes from `terraform { backend "KIND" { ... } }` (none means local sled
//! state in `.trellis/state`). `trellis init -backend-config=KEY=VALUE` adds values that CI
//! injects and records the result in `.trellis/backend.json`, as Terraform keeps its backend
//! in `.terraform/terraform.tfstate`; later commands use the block plus those recorded
//! values. A command refuses to run when the configured backend no longer matches the
//! recorded one (state would silently be read from somewhere else): `trellis init
//! -migrate-state` moves it, `-reconfigure` switches without moving.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};
use trellis_backend_s3::{S3Backend, S3Settings};
use trellis_state::{acquire_lock, LockGuard, SledStore, State, StateError, StateStore};
use trellis_types::Diagnostics;

use crate::files::{read_sources, write_private, Failure, Outcome};

/// The file `trellis init` records the backend in.
const RECORD: &str = ".trellis/backend.json";

/// A backend as configured: its kind and its arguments (dotted names, text values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendSpec {
    pub kind: String,
    pub settings: BTreeMap<String, String>,
}

impl BackendSpec {
    pub fn local() -> BackendSpec {
        BackendSpec {
            kind: "local".to_string(),
            settings: BTreeMap::new(),
        }
    }

    pub fn describe(&self) -> String {
        match self.kind.as_str() {
            "s3" => format!(
                "s3://{}/{}",
                self.settings
                    .get("bucket")
                    .map(String::as_str)
                    .unwrap_or("?"),
                self.settings.get("key").map(String::as_str).unwrap_or("?")
            ),
            _ => match self.settings.get("path") {
                Some(p) => format!("local state {p}"),
                None => "local state .trellis/state".to_string(),
            },
        }
    }

    /// The S3 settings, when this is an S3 backend.
    pub fn s3_settings(&self) -> Result<Option<S3Settings>, String> {
        if self.kind != "s3" {
            return Ok(None);
        }
        S3Settings::from_map(&self.settings).map(Some)
    }
}

/// What `trellis init` recorded.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    /// The backend in effect: block plus overrides.
    backend: BackendSpec,
    /// The `-backend-config` values given to init, applied over the block by every command.
    overrides: BTreeMap<String, String>,
}

fn read_record(dir: &Path) -> Outcome<Option<Record>> {
    let path = dir.join(RECORD);
    match std::fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::Error(anyhow!(
            "cannot read {}: {e}",
            path.display()
        ))),
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Failure::Error(anyhow!(
                "{} is damaged: {e}; run trellis init -reconfigure",
                path.display()
            ))
        }),
    }
}

fn write_record(dir: &Path, record: Option<&Record>) -> Outcome<()> {
    let path = dir.join(RECORD);
    match record {
        None => {
            let _ = std::fs::remove_file(&path);
            Ok(())
        }
        Some(record) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let text =
                serde_json::to_vec_pretty(record).context("cannot encode the backend record")?;
            // The record can name a KMS key or role; keep it with the state's permissions.
            write_private(&path, &text)?;
            Ok(())
        }
    }
}

/// The backend block of the configuration in `dir` (local when there is none, or no
/// configuration at all). Errors inside the block stop here: running against a backend
/// whose settings were half read could write state to the wrong place, or unencrypted.
fn configured(dir: &Path) -> Outcome<BackendSpec> {
    let sources = read_sources(dir)?;
    if sources.files().is_empty() {
        return Ok(BackendSpec::local());
    }
    let (config, diags) = trellis_config::parse(&sources);
    let Some(backend) = &config.terraform.backend else {
        return Ok(BackendSpec::local());
    };
    let inside: Vec<_> = diags
        .0
        .iter()
        .filter(|d| d.severity == trellis_types::Severity::Error)
        .filter(|d| {
            d.span.as_ref().is_some_and(|s| {
                s.file == backend.file && s.start >= backend.span.start && s.end <= backend.span.end
            })
        })
        .cloned()
        .collect();
    if !inside.is_empty() {
        return Err(Failure::Diagnostics(Diagnostics(inside), Arc::new(sources)));
    }
    Ok(spec_of(&config))
}

/// The backend block of a configuration already parsed without errors (local when it has
/// none).
fn spec_of(config: &trellis_config::Config) -> BackendSpec {
    let Some(backend) = &config.terraform.backend else {
        return BackendSpec::local();
    };
    BackendSpec {
        kind: backend.kind.clone(),
        settings: backend
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect(),
    }
}

fn merged(mut spec: BackendSpec, overrides: &BTreeMap<String, String>) -> BackendSpec {
    for (k, v) in overrides {
        spec.settings.insert(k.clone(), v.clone());
    }
    spec
}

/// The backend every command of `dir` uses: the block plus what init recorded, checked
/// against the record.
pub fn resolve(dir: &Path) -> Outcome<BackendSpec> {
    resolve_spec(dir, configured(dir)?)
}

/// [`resolve`] for the configuration of `dir` already loaded without errors (a
/// `Workspace`'s), which spares parsing every file a second time.
pub fn resolve_loaded(dir: &Path, config: &trellis_config::Config) -> Outcome<BackendSpec> {
    resolve_spec(dir, spec_of(config))
}

fn resolve_spec(dir: &Path, config: BackendSpec) -> Outcome<BackendSpec> {
    match read_record(dir)? {
        Some(record) => {
            let effective = merged(config, &record.overrides);
            if effective != record.backend {
                return Err(Failure::Error(anyhow!(
                    "the backend configuration changed since trellis init\n\n  recorded:   {}\n  configured: {}\n\nrun trellis init -migrate-state to move the state to the configured backend, or trellis init -reconfigure to use it without moving the state",
                    record.backend.describe(),
                    effective.describe()
                )));
            }
            Ok(effective)
        }
        None => {
            if config.kind == "s3" && local_state_has_data(dir)? {
                return Err(Failure::Error(anyhow!(
                    "this directory has local state in .trellis/state, and the configuration keeps state in {}\n\nrun trellis init -migrate-state to copy the local state there (or remove .trellis/state if it is not wanted)",
                    config.describe()
                )));
            }
            Ok(config)
        }
    }
}

fn local_state_has_data(dir: &Path) -> Outcome<bool> {
    let paths = StatePaths::local(dir, None);
    let state = paths.load_or_empty()?;
    Ok(!state.resources.is_empty() || !state.intents.is_empty() || !state.outputs.is_empty())
}

/// Connects to an S3 backend from its spec.
pub fn connect(spec: &BackendSpec) -> Outcome<Option<Arc<S3Backend>>> {
    let settings = spec
        .s3_settings()
        .map_err(|e| Failure::Error(anyhow!("backend \"s3\": {e}")))?;
    match settings {
        None => Ok(None),
        Some(settings) => Ok(Some(S3Backend::connect(settings)?)),
    }
}

/// The state location of a spec.
pub fn paths_for(dir: &Path, spec: &BackendSpec) -> Outcome<StatePaths> {
    match connect(spec)? {
        Some(backend) => Ok(StatePaths::s3(dir, backend)),
        None => Ok(StatePaths::local(
            dir,
            spec.settings.get("path").map(String::as_str),
        )),
    }
}

/// Arguments of `trellis init`.
#[derive(Debug, Clone, Default)]
pub struct InitArgs {
    /// `-backend-config=KEY=VALUE` or `-backend-config=FILE` (lines of `key = "value"`).
    pub backend_config: Vec<String>,
    pub migrate_state: bool,
    pub reconfigure: bool,
    /// Overwrite a destination state of another lineage (or a newer one).
    pub force: bool,
    pub lock: bool,
    pub lock_timeout: Duration,
    /// `-upgrade`: resolve every remote module again instead of keeping installed ones.
    pub upgrade: bool,
    /// `-plugin-dir=DIR` (repeatable): install providers from these filesystem mirrors only.
    pub plugin_dirs: Vec<String>,
}

/// Parses `-backend-config` values: `KEY=VALUE`, or a file of `key = value` lines.
fn overrides(dir: &Path, values: &[String]) -> Outcome<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for value in values {
        match value.split_once('=') {
            Some((k, v)) => {
                out.insert(k.trim().to_string(), v.to_string());
            }
            None => {
                let path: PathBuf = dir.join(value);
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read -backend-config file {value}"))?;
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
                        continue;
                    }
                    let (k, v) = line
                        .split_once('=')
                        .ok_or_else(|| anyhow!("{value}:{}: expected key = \"value\"", n + 1))?;
                    let v = v.trim();
                    let v = v
                        .strip_prefix('"')
                        .and_then(|v| v.strip_suffix('"'))
                        .unwrap_or(v);
                    out.insert(k.trim().to_string(), v.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// `trellis init`: records the backend, and with `-migrate-state` copies the state of the
/// previous backend into it. Returns the lines to print.
pub fn init(dir: &Path, args: &InitArgs) -> Outcome<Vec<String>> {
    let mut out = Vec::new();
    let config = configured(dir)?;
    let overrides = overrides(dir, &args.backend_config)?;
    if config.kind == "local" && overrides.keys().any(|k| k != "path") {
        return Err(Failure::Error(anyhow!(
            "-backend-config is for the backend block of the configuration, and it has none (state is local)"
        )));
    }
    let new = merged(config, &overrides);
    if let Err(e) = new.s3_settings() {
        return Err(Failure::Error(anyhow!("backend \"s3\": {e}")));
    }
    // Reach the new backend now (credentials, bucket, permissions), not in the next command.
    if let Some(backend) = connect(&new)? {
        backend.check_access().map_err(|e| {
            Failure::Error(
                anyhow::Error::from(e).context(format!("cannot reach {}", new.describe())),
            )
        })?;
    }
    let old = match read_record(dir)? {
        Some(record) => record.backend,
        None => BackendSpec::local(),
    };
    let record = (new.kind != "local" || !overrides.is_empty()).then(|| Record {
        backend: new.clone(),
        overrides: overrides.clone(),
    });
    if old == new || args.reconfigure {
        write_record(dir, record.as_ref())?;
        out.push(format!("Using the backend {}.", new.describe()));
        return Ok(out);
    }
    let old_paths = paths_for(dir, &old)?;
    let old_state = old_paths.load_or_empty()?;
    let has_data = !old_state.resources.is_empty()
        || !old_state.outputs.is_empty()
        || !old_state.intents.is_empty();
    if !has_data {
        write_record(dir, record.as_ref())?;
        out.push(format!(
            "The backend changed from {} to {}; the previous state was empty, nothing to move.",
            old.describe(),
            new.describe()
        ));
        return Ok(out);
    }
    if !args.migrate_state {
        return Err(Failure::Error(anyhow!(
            "the backend changed from {} to {}, and the previous one holds state ({} resources)\n\nrun trellis init -migrate-state to copy it, or trellis init -reconfigure to use the new backend without it",
            old.describe(),
            new.describe(),
            old_state.resources.len()
        )));
    }
    let new_paths = paths_for(dir, &new)?;
    let timeout = args.lock_timeout;
    let _old_lock = if args.lock {
        Some(old_paths.lock("init -migrate-state", timeout)?)
    } else {
        None
    };
    let _new_lock = if args.lock {
        Some(new_paths.lock("init -migrate-state", timeout)?)
    } else {
        None
    };
    // Read again under the lock: that is the state we move.
    let moving = old_paths.load_or_empty()?;
    let store = new_paths.open()?;
    let current = store.load()?;
    copy_checked(&moving, &current, args.force)?;
    if !current.resources.is_empty() {
        trellis_state::write_backup(
            &new_paths.backups,
            &current,
            trellis_state::DEFAULT_BACKUPS_KEPT,
        )?;
    }
    let mut migrated = moving.clone();
    migrated.meta.serial = moving.meta.serial.max(current.meta.serial) + 1;
    store.replace_all(&migrated)?;
    store.finish()?;
    write_record(dir, record.as_ref())?;
    out.push(format!(
        "Copied the state ({} resources, lineage {}) from {} to {}.",
        migrated.resources.len(),
        migrated.meta.lineage,
        old.describe(),
        new.describe()
    ));
    out.push(format!(
        "The previous state was left in place at {}.",
        old.describe()
    ));
    Ok(out)
}

/// Refuses to overwrite a destination that holds another state, unless forced.
pub fn copy_checked(
    incoming: &trellis_state::State,
    current: &trellis_state::State,
    force: bool,
) -> Outcome<()> {
    let empty =
        current.resources.is_empty() && current.outputs.is_empty() && current.intents.is_empty();
    if force || empty {
        return Ok(());
    }
    if incoming.meta.lineage != current.meta.lineage {
        return Err(Failure::Error(anyhow!(
            "the destination holds a different state (lineage {}, {} resources) than the one being moved (lineage {}); use -force to overwrite it",
            current.meta.lineage,
            current.resources.len(),
            incoming.meta.lineage
        )));
    }
    if current.meta.serial > incoming.meta.serial {
        return Err(Failure::Error(anyhow!(
            "the destination holds a newer serial of this state ({} there, {} here); use -force to overwrite it",
            current.meta.serial,
            incoming.meta.serial
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Where the state lives, from the backend: paths, opening and locking.

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
        StatePaths::resolved(dir, state, || resolve(dir))
    }

    /// [`StatePaths::new`] for the workspace already loaded from `dir`: the same paths,
    /// from its parsed configuration rather than from parsing every file again (a tenth of
    /// a 10,000-resource plan's time).
    pub fn for_loaded(
        dir: &Path,
        config: &trellis_config::Config,
        state: Option<&str>,
    ) -> StatePaths {
        StatePaths::resolved(dir, state, || resolve_loaded(dir, config))
    }

    fn resolved(
        dir: &Path,
        state: Option<&str>,
        spec: impl FnOnce() -> Outcome<BackendSpec>,
    ) -> StatePaths {
        if state.is_some() {
            return StatePaths::local(dir, state);
        }
        match spec().and_then(|spec| paths_for(dir, &spec)) {
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

    fn ensure_parent(&self) -> anyhow::Result<()> {
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
