//! `trellis init`'s provider installation: the root module's `required_providers`
//! (sources and version constraints, each checked where it is written), installed from
//! filesystem mirrors into `.trellis/providers/`, with `.terraform.lock.hcl` written and
//! honoured (see `trellis_install::providers`). Providers trellis serves natively
//! (`hashicorp/aws`) are not installed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use trellis_install::providers::{self, mirror, requirements};
use trellis_types::{Diagnostic, Diagnostics};

use crate::files::{read_sources, Failure, Outcome};

/// The mirrors searched: `-plugin-dir` values when given (only those, as in Terraform),
/// otherwise Terraform's implied local mirrors.
fn mirrors(dir: &Path, plugin_dirs: &[String]) -> Vec<PathBuf> {
    if !plugin_dirs.is_empty() {
        return plugin_dirs.iter().map(|d| dir.join(d)).collect();
    }
    let mut out = vec![dir.join("terraform.d").join("plugins")];
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        out.push(home.join(".terraform.d").join("plugins"));
        out.push(home.join(".local/share/terraform/plugins"));
    }
    out
}

/// Installs the providers the root module requires; returns the lines to print. A bad
/// source address or constraint is a diagnostic at it; a provider that cannot be installed
/// leaves the previous installation and lock file as they were.
pub fn install_providers(
    dir: &Path,
    upgrade: bool,
    plugin_dirs: &[String],
) -> Outcome<Vec<String>> {
    let sources = read_sources(dir)?;
    let mut wanted: BTreeMap<providers::ProviderAddr, Vec<String>> = BTreeMap::new();
    let mut diags = Diagnostics::new();
    for file in sources.files() {
        if !file.name.ends_with(".tf") {
            continue;
        }
        let (found, errors) = requirements::declared(&file.name, &file.text);
        for e in errors {
            diags.push(
                Diagnostic::error(e.summary)
                    .with_detail(e.detail)
                    .with_span(Some(file.span(e.range.start, e.range.end))),
            );
        }
        for d in found {
            let constraints = wanted.entry(d.source).or_default();
            if let Some(v) = d.version {
                if !constraints.contains(&v) {
                    constraints.push(v);
                }
            }
        }
    }
    if diags.has_errors() {
        return Err(Failure::Diagnostics(diags, Arc::new(sources)));
    }
    let reqs: Vec<mirror::Requirement> = wanted
        .into_iter()
        .filter(|(source, _)| !providers::is_native(source))
        .map(|(source, constraints)| mirror::Requirement {
            source,
            constraints,
        })
        .collect();
    if reqs.is_empty() && !dir.join(providers::LOCK_FILE).exists() {
        return Ok(Vec::new());
    }
    let done = mirror::install(dir, &reqs, &mirrors(dir, plugin_dirs), upgrade)
        .map_err(|e| Failure::Error(e.into()))?;
    let mut out = vec!["Installing providers...".to_string()];
    for o in &done {
        let how = if o.locked { " (locked)" } else { "" };
        out.push(format!("- {} {}{how}", o.source, o.version));
    }
    Ok(out)
}
