//! The working directory: its configuration (files, modules, variables) parsed and checked,
//! and the providers configured for it. Where its state lives is [`crate::backend`]'s;
//! failures and file reading are [`crate::files`]'s (both re-exported here for the commands).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use sha2::{Digest, Sha256};
use trellis_config::Config;
use trellis_plan::graph::Graph;
use trellis_plan::providers::{configure, Providers};
use trellis_plan::scope::Files;
use trellis_plan::variables::{parse_tfvars, RawSource, RawText, RawValue};
use trellis_provider::Registry;
use trellis_types::{Diagnostic, Diagnostics, SourceMap, Value};

pub use crate::backend::{set_applying, ForRestore, StatePaths};
use crate::files::{config_file_names, too_large};
pub use crate::files::{read_sources, write_private, Failure, Outcome};

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

/// Configures the configuration's providers plus those named by `keys` (providers of
/// resources known only from state or from a saved plan).
pub async fn configure_providers(
    ws: &Workspace,
    variables: &std::collections::BTreeMap<String, trellis_types::Value>,
    keys: impl Iterator<Item = String>,
) -> Outcome<Providers> {
    let mut extra: Vec<String> = keys.collect();
    extra.sort();
    extra.dedup();
    configure(
        &ws.config,
        &ws.sources,
        variables,
        &workspace_registry(ws)?,
        &DirFiles::new(&ws.dir),
        &extra,
    )
    .await
    .map_err(|d| Failure::Diagnostics(d, ws.sources.clone()))
}

/// The providers this binary has.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    registry.register(Arc::new(trellis_provider::memory::MemoryFactory::new()));
    registry.register(Arc::new(trellis_provider::builtin::TerraformFactory::new()));
    registry.register(Arc::new(trellis_aws::AwsFactory::new()));
    registry
}

/// The providers this binary has, plus a bridged one (its installed plugin, started) for
/// each provider the workspace's configuration uses that is not native.
pub fn workspace_registry(ws: &Workspace) -> Outcome<Registry> {
    let mut registry = registry();
    registry.register(Arc::new(
        trellis_provider::builtin::TerraformFactory::new().with_remote_states(Arc::new(
            crate::remote_state::RemoteStates {
                dir: ws.dir.clone(),
            },
        )),
    ));
    crate::plugins::register_bridged(&mut registry, &ws.config, &ws.dir)
        .map_err(|d| Failure::Diagnostics(d, ws.sources.clone()))?;
    Ok(registry)
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
        if !diags.has_errors() {
            diags.extend(trellis_config::check_removed(&config));
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

    fn exists(&self, path: &str) -> std::result::Result<bool, String> {
        match std::fs::metadata(self.dir.join(path)) {
            Ok(meta) if meta.is_file() => Ok(true),
            Ok(_) => Err(format!("{path} is not a regular file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(format!("cannot check {path}: {e}")),
        }
    }

    fn list(&self, dir: &str) -> std::result::Result<Vec<String>, String> {
        let root = self.dir.join(dir);
        let mut found = Vec::new();
        match std::fs::metadata(&root) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("{dir} is not a directory")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(format!("cannot list {dir}: {e}")),
        }
        list_below(&root, "", 0, &mut found).map_err(|e| format!("cannot list {dir}: {e}"))?;
        Ok(found)
    }

    fn working_dir(&self) -> Option<String> {
        let dir = if self.dir.is_absolute() {
            self.dir.clone()
        } else {
            std::env::current_dir().ok()?.join(&self.dir)
        };
        Some(dir.to_string_lossy().into_owned())
    }

    fn home_dir(&self) -> Option<String> {
        std::env::var("HOME").ok().filter(|h| !h.is_empty())
    }
}

/// How many files `fileset()` may look at, and how deep, so that a pattern over a huge tree
/// fails with a reason instead of running for minutes.
const MAX_LISTED_FILES: usize = 100_000;
const MAX_LISTED_DEPTH: usize = 64;

/// Collects the regular files below `dir` (symbolic links to files count; links to
/// directories are not followed, so a loop cannot trap the walk).
fn list_below(
    dir: &Path,
    prefix: &str,
    depth: usize,
    found: &mut Vec<String>,
) -> std::result::Result<(), String> {
    if depth > MAX_LISTED_DEPTH {
        return Err(format!(
            "directories nest deeper than {MAX_LISTED_DEPTH} levels"
        ));
    }
    let entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        if kind.is_dir() {
            list_below(&entry.path(), &rel, depth + 1, found)?;
        } else if kind.is_file()
            || (kind.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()))
        {
            found.push(rel);
            if found.len() > MAX_LISTED_FILES {
                return Err(format!("more than {MAX_LISTED_FILES} files"));
            }
        }
    }
    Ok(())
}
