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
use trellis_state::{acquire_lock, LockGuard, SledStore, State, StateError};
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

/// Reads the `*.tf` files of `dir` (sorted by name) into a source map.
pub fn read_sources(dir: &Path) -> Outcome<SourceMap> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".tf") || n.ends_with(".tf.json"))
        .collect();
    names.sort();
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    for name in names {
        let path = dir.join(&name);
        let metadata = std::fs::metadata(&path).with_context(|| format!("cannot read {name}"))?;
        if metadata.len() > trellis_config::MAX_FILE_SIZE as u64 {
            diags.push(Diagnostic::error(format!(
                "{name} is too large ({} bytes; the limit is {})",
                metadata.len(),
                trellis_config::MAX_FILE_SIZE
            )));
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

impl Workspace {
    /// Loads, parses and builds the graph; every problem is a diagnostic.
    pub fn load(dir: &Path) -> Outcome<Workspace> {
        let sources = read_sources(dir)?;
        if sources.files().is_empty() {
            return Err(Failure::Error(anyhow::anyhow!(
                "no configuration files (*.tf) in {}",
                display_dir(dir)
            )));
        }
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
        let (config, diags) = trellis_config::parse(&sources);
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

/// Where a working directory keeps its state.
pub struct StatePaths {
    pub store: PathBuf,
    pub lock: PathBuf,
    pub backups: PathBuf,
}

impl StatePaths {
    pub fn new(dir: &Path, state: Option<&str>) -> StatePaths {
        match state {
            Some(path) => {
                let store = dir.join(path);
                let mut lock = store.clone().into_os_string();
                lock.push(".lock");
                let mut backups = store.clone().into_os_string();
                backups.push(".backups");
                StatePaths {
                    store,
                    lock: lock.into(),
                    backups: backups.into(),
                }
            }
            None => {
                let base = dir.join(".trellis");
                StatePaths {
                    store: base.join("state"),
                    lock: base.join("state.lock"),
                    backups: base.join("backups"),
                }
            }
        }
    }

    fn ensure_parent(&self) -> Result<()> {
        if let Some(parent) = self.lock.parent() {
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

    /// Takes the lock (waiting up to `timeout`).
    pub fn lock(&self, operation: &str, timeout: Duration) -> Outcome<LockGuard> {
        self.ensure_parent()?;
        let guard = acquire_lock(&self.lock, operation, timeout).map_err(|e| match e {
            // The holder died but its lock is still held (by a descriptor a child process
            // inherited): say that it is stale, and how to release it.
            StateError::Locked(info) if info.holder_gone() => Failure::Error(anyhow::anyhow!(
                "the state is locked by a process that is no longer running: the lock is stale\n\n  lock id:   {}\n  holder:    {} (pid {} on {}, not running)\n  operation: {}\n  since:     {}\n\nif no other trellis is running here, release it with: trellis force-unlock {}",
                info.id,
                info.who,
                info.pid,
                info.host,
                info.operation,
                format_time(info.created_at),
                info.id
            )),
            StateError::Locked(info) => Failure::Error(anyhow::anyhow!(
                "the state is locked by another trellis process\n\n  lock id:   {}\n  holder:    {} (pid {} on {})\n  operation: {}\n  since:     {}\n\nwait for it to finish, retry with -lock-timeout=DURATION, or if it is gone run: trellis force-unlock {}",
                info.id,
                info.who,
                info.pid,
                info.host,
                info.operation,
                format_time(info.created_at),
                info.id
            )),
            other => Failure::Error(other.into()),
        })?;
        if let Some(stale) = guard.replaced_stale() {
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

    /// Opens the store, creating it if needed.
    pub fn open(&self) -> Outcome<SledStore> {
        self.ensure_parent()?;
        Ok(SledStore::open(&self.store)?)
    }

    /// Loads the state, or an empty one when there is none yet.
    pub fn load_or_empty(&self) -> Outcome<State> {
        match SledStore::open_existing(&self.store)? {
            Some(store) => Ok(trellis_state::StateStore::load(&store)?),
            None => Ok(State::default()),
        }
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
