//! Configured providers: one per `provider` block (and one per implied provider).

use std::collections::BTreeMap;
use std::sync::Arc;

use trellis_config::Config;
use trellis_eval::eval_body;
use trellis_provider::{ConfigureRequest, Provider, Registry};
use trellis_types::{Diagnostic, Diagnostics, SourceMap, Value};

use crate::scope::{EvalScope, Files, Values};

/// The providers a command works with, by key (`aws`, `aws.network`).
#[derive(Clone, Default)]
pub struct Providers {
    pub registry: Registry,
    configured: BTreeMap<String, Arc<dyn Provider>>,
}

impl Providers {
    /// No provider configured: what `trellis validate` works with.
    pub fn unconfigured(registry: Registry) -> Providers {
        Providers {
            registry,
            configured: BTreeMap::new(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Arc<dyn Provider>> {
        self.configured.get(key)
    }

    pub fn insert(&mut self, key: String, provider: Arc<dyn Provider>) {
        self.configured.insert(key, provider);
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.configured.keys().map(String::as_str)
    }

    /// Calls `close` on every provider; the first error wins.
    pub async fn close(&self) -> Result<(), trellis_provider::ProviderError> {
        let mut result = Ok(());
        for p in self.configured.values() {
            if let Err(e) = p.close().await {
                if result.is_ok() {
                    result = Err(e);
                }
            }
        }
        result
    }
}

/// The error for a `provider` block whose provider this binary does not have.
pub(crate) fn unknown_provider(
    p: &trellis_config::ProviderConfig,
    registry: &Registry,
) -> Diagnostic {
    let mut d =
        Diagnostic::error(format!("unknown provider {:?}", p.name)).with_span(Some(p.span.clone()));
    if let Some(best) = crate::graph::closest(&p.name, registry.names()) {
        d = d.with_detail(format!("did you mean {best:?}?"));
    }
    d
}

/// Configures every provider the configuration declares or implies, plus the ones that
/// `extra_keys` names (providers of resources that are only in state).
///
/// Provider blocks may refer to variables and locals, not to resources.
pub async fn configure(
    config: &Config,
    sources: &SourceMap,
    variables: &BTreeMap<String, Value>,
    registry: &Registry,
    files: &dyn Files,
    extra_keys: &[String],
) -> Result<Providers, Diagnostics> {
    let mut diags = Diagnostics::new();
    let values = Values {
        variables: variables.clone(),
        ..Values::default()
    };
    let mut wanted: BTreeMap<String, Value> = BTreeMap::new();
    for p in &config.providers {
        if registry.get(&p.name).is_none() {
            diags.push(unknown_provider(p, registry));
            continue;
        }
        let Some(file) = sources.get(&p.file) else {
            continue;
        };
        let scope = EvalScope {
            config,
            root: config,
            module: &[],
            sources,
            values: &values,
            files,
            module_dir: ".",
            key: None,
        };
        match eval_body(&p.body, &[], &scope, file) {
            Ok(v) if v.contains_unknown() => diags.push(
                Diagnostic::error(format!(
                    "provider {} depends on values known only after apply",
                    p.key()
                ))
                .with_span(Some(p.span.clone())),
            ),
            Ok(v) => {
                // Nested blocks (`assume_role`, `default_tags`) take the schema's shape: a
                // single block is an object, as providers read it, not a list of one.
                let schema = &registry
                    .get(&p.name)
                    .expect("checked above")
                    .schema()
                    .provider;
                match crate::shape::shape(&v, schema) {
                    Ok(shaped) => {
                        wanted.insert(p.key(), shaped);
                    }
                    Err(errors) => {
                        for (path, message) in errors {
                            diags.push(
                                Diagnostic::error(format!(
                                    "provider {}: {path}: {message}",
                                    p.key()
                                ))
                                .with_span(Some(p.span.clone())),
                            );
                        }
                    }
                }
            }
            Err(d) => diags.extend(d),
        }
    }
    // Resources imply the root configurations they use: a module's own name resolved through
    // the `providers` of the calls above it (a module's `aws` may be the root's
    // `aws.network`), else inherited from the root (its default configuration).
    let implied = crate::graph::resource_provider_keys(config)
        .into_iter()
        .chain(extra_keys.iter().cloned());
    for key in implied {
        if wanted.contains_key(&key) {
            continue;
        }
        let name = key.split('.').next().unwrap_or(&key);
        if registry.get(name).is_none() {
            // Unknown resource types are reported by schema validation, with their position.
            continue;
        }
        wanted.insert(key.clone(), Value::Map(BTreeMap::new()));
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let mut providers = Providers {
        registry: registry.clone(),
        configured: BTreeMap::new(),
    };
    for (key, config_value) in wanted {
        let name = key.split('.').next().unwrap_or(&key).to_string();
        let factory = registry.get(&name).expect("checked above");
        match factory
            .configure(ConfigureRequest {
                key: key.clone(),
                config: config_value,
            })
            .await
        {
            Ok(p) => {
                providers.configured.insert(key, p);
            }
            Err(e) => diags.push(Diagnostic::error(format!(
                "cannot configure provider {key}: {e}"
            ))),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(providers)
    }
}
