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
use trellis_types::Diagnostics;

use crate::workspace::{read_sources, write_private, Failure, Outcome, StatePaths};

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
