//! The parts of Terraform's CLI configuration that module installation uses:
//! `credentials "HOST" { token = "..." }` (a bearer token for a private registry),
//! `host "HOST" { services = { "modules.v1" = "URL" } }` (service discovery answered
//! locally), and `TF_TOKEN_<host>` environment variables (dots as `_`, dashes as `__`),
//! which take precedence over the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::Body;

#[derive(Debug, Clone, Default)]
pub struct CliConfig {
    tokens: BTreeMap<String, String>,
    services: BTreeMap<String, BTreeMap<String, String>>,
    env_tokens: BTreeMap<String, String>,
}

fn literal(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for e in t.iter() {
                match e {
                    hcl_edit::template::Element::Literal(l) => out.push_str(l.value()),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

impl CliConfig {
    /// Reads `TF_CLI_CONFIG_FILE` (or `~/.terraformrc` when it is not set and exists) and
    /// the `TF_TOKEN_*` variables of `env`.
    pub fn load(env: &[(String, String)]) -> Result<CliConfig, String> {
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let path: Option<PathBuf> = match get("TF_CLI_CONFIG_FILE") {
            Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
            _ => get("HOME")
                .map(|h| Path::new(&h).join(".terraformrc"))
                .filter(|p| p.is_file()),
        };
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    format!("cannot read the CLI configuration {}: {e}", path.display())
                })?;
                CliConfig::parse(&text)
                    .map_err(|e| format!("CLI configuration {}: {e}", path.display()))?
            }
            None => CliConfig::default(),
        };
        for (name, value) in env {
            if let Some(host) = name.strip_prefix("TF_TOKEN_") {
                // `__` stands for a dash, `_` for a dot.
                let host = host
                    .replace("__", "\u{0}")
                    .replace('_', ".")
                    .replace('\u{0}', "-");
                config
                    .env_tokens
                    .insert(host.to_ascii_lowercase(), value.clone());
            }
        }
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<CliConfig, String> {
        let body: Body = hcl_edit::parser::parse_body(text).map_err(|e| e.to_string())?;
        let mut config = CliConfig::default();
        for block in body.blocks() {
            let label = block
                .labels
                .first()
                .map(|l| l.as_str().to_ascii_lowercase());
            match (block.ident.as_str(), label) {
                ("credentials", Some(host)) => {
                    if let Some(token) = block
                        .body
                        .get_attribute("token")
                        .and_then(|a| literal(&a.value))
                    {
                        config.tokens.insert(host, token);
                    }
                }
                ("host", Some(host)) => {
                    if let Some(Expression::Object(object)) =
                        block.body.get_attribute("services").map(|a| &a.value)
                    {
                        let mut services = BTreeMap::new();
                        for (k, v) in object.iter() {
                            let key = match k {
                                ObjectKey::Ident(i) => Some(i.as_str().to_string()),
                                ObjectKey::Expression(e) => literal(e),
                            };
                            if let (Some(key), Some(value)) = (key, literal(v.expr())) {
                                services.insert(key, value);
                            }
                        }
                        config.services.insert(host, services);
                    }
                }
                // Provider installation settings and the rest do not concern modules.
                _ => {}
            }
        }
        Ok(config)
    }

    /// The token for `host`: the environment first, then the file; for a host with a port,
    /// a token for the host's name alone applies too (an environment variable name cannot
    /// hold the colon).
    pub fn token(&self, host: &str) -> Option<&str> {
        let host = host.to_ascii_lowercase();
        let name = host.split(':').next().unwrap_or(&host).to_string();
        self.env_tokens
            .get(&host)
            .or_else(|| self.tokens.get(&host))
            .or_else(|| self.env_tokens.get(&name))
            .or_else(|| self.tokens.get(&name))
            .map(String::as_str)
    }

    /// A `host` block's answer for `service` (`modules.v1`), instead of discovery.
    pub fn service(&self, host: &str, service: &str) -> Option<&str> {
        self.services
            .get(&host.to_ascii_lowercase())
            .and_then(|s| s.get(service))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_credentials_hosts_and_env_tokens() {
        let config = CliConfig::parse(
            "credentials \"Registry.Example.com\" {\n  token = \"file-token\"\n}\nhost \"registry.test\" {\n  services = {\n    \"modules.v1\" = \"http://127.0.0.1:1/v1/modules/\"\n  }\n}\nprovider_installation {\n}\n",
        )
        .unwrap();
        assert_eq!(config.token("registry.example.com"), Some("file-token"));
        assert_eq!(
            config.service("REGISTRY.test", "modules.v1"),
            Some("http://127.0.0.1:1/v1/modules/")
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rc");
        std::fs::write(
            &file,
            "credentials \"registry.example.com\" {\n  token = \"file-token\"\n}\n",
        )
        .unwrap();
        let env = vec![
            ("TF_CLI_CONFIG_FILE".to_string(), file.display().to_string()),
            (
                "TF_TOKEN_registry_example_com".to_string(),
                "env-token".to_string(),
            ),
            ("TF_TOKEN_my__reg_test".to_string(), "dashed".to_string()),
        ];
        let config = CliConfig::load(&env).unwrap();
        assert_eq!(config.token("registry.example.com"), Some("env-token"));
        assert_eq!(config.token("my-reg.test"), Some("dashed"));
    }
}
