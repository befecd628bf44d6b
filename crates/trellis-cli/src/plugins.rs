//! Bridged providers: the providers a configuration uses that this binary does not serve
//! natively run through their installed plugin binaries ([`trellis_plugin::PluginFactory`]).
//!
//! Which binary serves a provider comes from `trellis init`'s installation, read through
//! [`trellis_install::providers::installed`]: the lock file's version of each provider, its
//! package under `.trellis/providers/`, checked against the lock's hashes.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use trellis_config::Config;
use trellis_plugin::{PluginFactory, PluginSpec};
use trellis_provider::Registry;
use trellis_types::{Diagnostic, Diagnostics, Span};

pub use trellis_install::providers::{InstalledProvider, ProviderAddr, PROVIDERS_DIR};

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
        if let Ok(source) = ProviderAddr::parse(&source) {
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

/// The installed (locked) binary of `source`.
pub fn find_installed<'a>(
    installed: &'a [InstalledProvider],
    source: &ProviderAddr,
) -> Option<&'a InstalledProvider> {
    installed.iter().find(|p| &p.source == source)
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
    let installed = match trellis_install::providers::installed(work_dir) {
        Ok(installed) => installed,
        Err(e) => {
            let mut diags = Diagnostics::new();
            diags.push(
                Diagnostic::error("the installed providers do not match the lock file")
                    .with_detail(e.to_string())
                    .with_span(bridged[0].span.clone()),
            );
            return Err(diags);
        }
    };
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
