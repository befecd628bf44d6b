//! The module registry protocol: service discovery (`/.well-known/terraform.json`, or a
//! `host` block of the CLI configuration), the version list, and the download location
//! (the `X-Terraform-Get` header of a 204, or the JSON body form `{"location": ...}`),
//! resolved against the download URL when it is relative.

use url::Url;

use crate::cliconfig::CliConfig;
use crate::constraint::Version;
use crate::http::Http;
use crate::source::RegistryAddress;

pub struct Registry<'a> {
    pub http: &'a Http,
    pub cli: &'a CliConfig,
}

/// What a registry said, as an error message naming the URL.
type Result<T> = std::result::Result<T, String>;

impl Registry<'_> {
    /// The base URL of the host's `modules.v1` service, ending in `/`.
    pub fn modules_base(&self, host: &str) -> Result<Url> {
        let token = self.cli.token(host);
        let (base, relative_to) = match self.cli.service(host, "modules.v1") {
            Some(url) => (url.to_string(), None),
            None => {
                let discovery = Url::parse(&format!("https://{host}/.well-known/terraform.json"))
                    .map_err(|e| format!("invalid registry host {host:?}: {e}"))?;
                let response = self.http.get(&discovery, token)?;
                if response.status != 200 {
                    return Err(format!(
                        "service discovery at {discovery} answered {}",
                        response.status
                    ));
                }
                let doc: serde_json::Value = serde_json::from_slice(&response.body)
                    .map_err(|e| format!("service discovery at {discovery}: not JSON: {e}"))?;
                let Some(url) = doc.get("modules.v1").and_then(|v| v.as_str()) else {
                    return Err(format!(
                        "{host} is not a module registry: its service discovery document ({discovery}) has no modules.v1"
                    ));
                };
                (url.to_string(), Some(response.url))
            }
        };
        let mut url = match relative_to {
            Some(doc) => doc.join(&base),
            None => Url::parse(&base),
        }
        .map_err(|e| format!("invalid modules.v1 URL {base:?} for {host}: {e}"))?;
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        Ok(url)
    }

    /// Every version the registry has for the module.
    pub fn versions(&self, base: &Url, module: &RegistryAddress) -> Result<Vec<Version>> {
        let url = base
            .join(&format!("{}/versions", module.path()))
            .map_err(|e| e.to_string())?;
        let response = self.http.get(&url, self.cli.token(&module.host))?;
        match response.status {
            200 => {}
            404 => return Err(format!("module {module} was not found in the registry ({url} answered 404)")),
            401 | 403 => {
                return Err(format!(
                    "{url} answered {}: the registry needs credentials (a credentials block in TF_CLI_CONFIG_FILE, or TF_TOKEN_{})",
                    response.status,
                    module.host.replace('-', "__").replace('.', "_")
                ))
            }
            s => return Err(format!("{url} answered {s}")),
        }
        let doc: serde_json::Value =
            serde_json::from_slice(&response.body).map_err(|e| format!("{url}: not JSON: {e}"))?;
        let versions = doc
            .get("modules")
            .and_then(|m| m.get(0))
            .and_then(|m| m.get("versions"))
            .and_then(|v| v.as_array())
            .ok_or_else(|| format!("{url}: expected {{\"modules\": [{{\"versions\": [...]}}]}}"))?;
        Ok(versions
            .iter()
            .filter_map(|v| v.get("version").and_then(|v| v.as_str()))
            // A version the registry lists that does not parse cannot be asked for.
            .filter_map(|v| Version::parse(v).ok())
            .collect())
    }

    /// Where to get `version` of the module: a source address (git::, https:// archive).
    pub fn location(
        &self,
        base: &Url,
        module: &RegistryAddress,
        version: &Version,
    ) -> Result<String> {
        let url = base
            .join(&format!("{}/{version}/download", module.path()))
            .map_err(|e| e.to_string())?;
        let response = self.http.get(&url, self.cli.token(&module.host))?;
        let location = match response.status {
            200 | 204 => match response.header("x-terraform-get") {
                Some(l) => l.to_string(),
                None => {
                    let doc: serde_json::Value =
                        serde_json::from_slice(&response.body).map_err(|_| {
                            format!("{url}: no X-Terraform-Get header and no JSON location")
                        })?;
                    doc.get("location")
                        .and_then(|l| l.as_str())
                        .ok_or_else(|| {
                            format!("{url}: no X-Terraform-Get header and no location in the body")
                        })?
                        .to_string()
                }
            },
            404 => {
                return Err(format!(
                    "version {version} of {module} has no download ({url} answered 404)"
                ))
            }
            s => return Err(format!("{url} answered {s}")),
        };
        // A location that starts with ./, ../ or / is relative to the download URL; any other
        // is a source address of its own (git::URL, an https:// archive).
        if !(location.starts_with("./") || location.starts_with("../") || location.starts_with('/'))
        {
            return Ok(location);
        }
        response
            .url
            .join(&location)
            .map(|u| u.to_string())
            .map_err(|e| format!("{url}: bad location {location:?}: {e}"))
    }
}
