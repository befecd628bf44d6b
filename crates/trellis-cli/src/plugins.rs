//! Bridged providers: the providers a configuration uses that this binary does not serve
//! natively run through their installed plugin binaries ([`trellis_plugin::PluginFactory`]).
//!
//! [`installed_providers`] reads the installation layout `trellis init` writes
//! (`.trellis/providers/<hostname>/<namespace>/<type>/<version>/<os>_<arch>/`); it stands in
//! for the installer's own listing until that is merged.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use trellis_config::Config;
use trellis_plugin::{PluginFactory, PluginSpec};
use trellis_provider::Registry;
use trellis_types::{Diagnostic, Diagnostics, Span};

/// Where `trellis init` installs providers, under the working directory.
pub const PROVIDERS_DIR: &str = ".trellis/providers";

/// A provider's source address (`registry.terraform.io/hashicorp/random`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProviderAddr {
    pub hostname: String,
    pub namespace: String,
    pub type_: String,
}

impl ProviderAddr {
    /// Parses `[hostname/]namespace/type`, as `required_providers` spells sources.
    pub fn parse(source: &str) -> Option<ProviderAddr> {
        let parts: Vec<&str> = source.split('/').collect();
        let (hostname, namespace, type_) = match parts.as_slice() {
            [n, t] => ("registry.terraform.io", *n, *t),
            [h, n, t] => (*h, *n, *t),
            _ => return None,
        };
        if [hostname, namespace, type_].iter().any(|s| s.is_empty()) {
            return None;
        }
        Some(ProviderAddr {
            hostname: hostname.to_lowercase(),
            namespace: namespace.to_lowercase(),
            type_: type_.to_lowercase(),
        })
    }
}

impl std::fmt::Display for ProviderAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.hostname, self.namespace, self.type_)
    }
}

/// One installed provider binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledProvider {
    pub source: ProviderAddr,
    pub version: String,
    pub executable: PathBuf,
}

/// This machine's platform as provider packages name it (`linux_amd64`).
pub fn platform() -> String {
    let os = std::env::consts::OS;
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{os}_{arch}")
}

fn dirs(path: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .collect();
    out.sort();
    out
}

/// The providers installed for this platform under `work_dir`, sorted by source and version.
/// A missing installation directory is no provider.
pub fn installed_providers(work_dir: &Path) -> Vec<InstalledProvider> {
    let platform = platform();
    let mut out = Vec::new();
    for (hostname, host_dir) in dirs(&work_dir.join(PROVIDERS_DIR)) {
        for (namespace, ns_dir) in dirs(&host_dir) {
            for (type_, type_dir) in dirs(&ns_dir) {
                for (version, version_dir) in dirs(&type_dir) {
                    let package = version_dir.join(&platform);
                    let prefix = format!("terraform-provider-{type_}");
                    let Ok(entries) = std::fs::read_dir(&package) else {
                        continue;
                    };
                    let mut executables: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                        .map(|e| e.path())
                        .filter(|p| p.is_file())
                        .collect();
                    executables.sort();
                    if let Some(executable) = executables.into_iter().next() {
                        out.push(InstalledProvider {
                            source: ProviderAddr {
                                hostname: hostname.clone(),
                                namespace: namespace.clone(),
                                type_: type_.clone(),
                            },
                            version: version.clone(),
                            executable,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Orders versions numerically where they are numbers (`5.10.0` after `5.9.1`).
fn version_key(version: &str) -> Vec<(u64, String)> {
    version
        .split(['.', '-', '+'])
        .map(|p| (p.parse().unwrap_or(0), p.to_string()))
        .collect()
}

/// A provider the configuration uses that the binary does not serve natively.
#[derive(Debug, Clone)]
pub struct Bridged {
    /// The local name, which is the prefix of its resource types (`tptest`).
    pub name: String,
    pub source: ProviderAddr,
    /// The first place the configuration uses it, for diagnostics.
    pub span: Option<Span>,
}

/// The providers `config` uses (resource types, `provider` blocks, `required_providers`)
/// that `native` does not have, with their sources.
pub fn bridged_providers(config: &Config, native: &Registry) -> Vec<Bridged> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let required = &config.terraform.required_providers;
    let mut consider = |name: &str, span: Option<Span>, out: &mut Vec<Bridged>| {
        if native.get(name).is_some() || !seen.insert(name.to_string()) {
            return;
        }
        let source = required
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("hashicorp/{name}"));
        if let Some(source) = ProviderAddr::parse(&source) {
            out.push(Bridged {
                name: name.to_string(),
                source,
                span,
            });
        }
    };
    for (_, module) in config.all_modules() {
        for resource in &module.resources {
            let name = trellis_provider::provider_of(&resource.type_name);
            consider(name, Some(resource.type_span.clone()), &mut out);
        }
    }
    for name in required.keys() {
        consider(name, None, &mut out);
    }
    out
}

/// The newest installed binary of `source`.
pub fn find_installed<'a>(
    installed: &'a [InstalledProvider],
    source: &ProviderAddr,
) -> Option<&'a InstalledProvider> {
    installed
        .iter()
        .filter(|p| &p.source == source)
        .max_by_key(|p| version_key(&p.version))
}

/// Registers a [`PluginFactory`] in `registry` for each provider `config` uses that is not
/// native, started from its installed binary. A provider that is not installed, or whose
/// binary does not start, is an error naming it (and `trellis init`); nothing is called.
pub fn register_bridged(
    registry: &mut Registry,
    config: &Config,
    work_dir: &Path,
) -> Result<(), Diagnostics> {
    let bridged = bridged_providers(config, registry);
    if bridged.is_empty() {
        return Ok(());
    }
    let installed = installed_providers(work_dir);
    let mut diags = Diagnostics::new();
    for provider in bridged {
        let Some(found) = find_installed(&installed, &provider.source) else {
            diags.push(
                Diagnostic::error(format!(
                    "provider {} is not installed",
                    provider.source
                ))
                .with_detail(format!(
                    "trellis does not serve {:?} natively; run `trellis init` to install it under {}",
                    provider.name, PROVIDERS_DIR
                ))
                .with_span(provider.span.clone()),
            );
            continue;
        };
        let spec = PluginSpec::new(provider.source.to_string(), &found.executable);
        match PluginFactory::start(provider.name.clone(), spec) {
            Ok(factory) => registry.register(Arc::new(factory)),
            Err(e) => diags.push(
                Diagnostic::error(format!("cannot start provider {}", provider.source))
                    .with_detail(e.to_string())
                    .with_span(provider.span.clone()),
            ),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_with_the_default_registry() {
        let a = ProviderAddr::parse("hashicorp/Random").unwrap();
        assert_eq!(a.to_string(), "registry.terraform.io/hashicorp/random");
        let b = ProviderAddr::parse("example.com/acme/thing").unwrap();
        assert_eq!(b.hostname, "example.com");
        assert!(ProviderAddr::parse("nope").is_none());
        assert!(ProviderAddr::parse("a//b").is_none());
    }

    #[test]
    fn the_layout_is_scanned_and_the_newest_version_wins() {
        let dir = tempfile::tempdir().unwrap();
        for version in ["1.9.0", "1.10.0"] {
            let package = dir
                .path()
                .join(PROVIDERS_DIR)
                .join("registry.terraform.io/trellis/tptest")
                .join(version)
                .join(platform());
            std::fs::create_dir_all(&package).unwrap();
            std::fs::write(
                package.join(format!("terraform-provider-tptest_v{version}")),
                "",
            )
            .unwrap();
            // Other files of the package are not the executable.
            std::fs::write(package.join("README.md"), "").unwrap();
        }
        let installed = installed_providers(dir.path());
        assert_eq!(installed.len(), 2);
        let source = ProviderAddr::parse("trellis/tptest").unwrap();
        let newest = find_installed(&installed, &source).unwrap();
        assert_eq!(newest.version, "1.10.0");
        assert!(newest
            .executable
            .ends_with("terraform-provider-tptest_v1.10.0"));
        assert!(installed_providers(&dir.path().join("none")).is_empty());
    }
}
