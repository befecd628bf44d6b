//! The lowest layer of the binary: how a command fails ([`Failure`], [`Outcome`]), reading a
//! directory's configuration files, and writing owner-only files. Everything above (the
//! backend and state paths, the workspace, the commands) uses it; it uses none of them.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use trellis_state::StateError;
use trellis_types::{Diagnostic, Diagnostics, SourceMap};

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

/// The configuration files of `dir`, sorted by name: `*.tf` and `*.tf.json` (Terraform's
/// JSON syntax).
pub(crate) fn config_file_names(dir: &Path) -> std::io::Result<Vec<String>> {
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
pub(crate) fn too_large(name: &str, len: u64) -> Option<String> {
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
