//! `data "terraform_remote_state"`: the outputs of another configuration's state, read for
//! the built-in `terraform` provider ([`trellis_provider::builtin::RemoteStates`]).
//!
//! Backends: `local` (`config.path`, default `terraform.tfstate`, relative to the working
//! directory) and `s3` (the S3 backend's arguments: `bucket`, `key`, `region`, `profile`,
//! `assume_role`, `endpoints`, ...). The state may be Terraform's (format version 4, as
//! `terraform.tfstate` or an S3 backend object) or trellis's (a `state pull` snapshot, or a
//! trellis S3 backend, whose journal of an interrupted run is folded in). Workspaces other
//! than `default` are refused: trellis has none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use trellis_backend_s3::{S3Backend, S3Settings, S3Store};
use trellis_state::StateStore;
use trellis_types::Value;

/// Outputs by name: value and whether it is sensitive.
type Outputs = BTreeMap<String, (Value, bool)>;

/// Reads remote states for the working directory `dir`.
pub struct RemoteStates {
    pub dir: PathBuf,
}

#[async_trait]
impl trellis_provider::builtin::RemoteStates for RemoteStates {
    async fn outputs(
        &self,
        backend: &str,
        config: &Value,
        workspace: &str,
    ) -> Result<Outputs, String> {
        if workspace != "default" {
            return Err(format!(
                "workspace {workspace:?}: trellis has no workspaces, and reads only the default one; name the state itself (path or key)"
            ));
        }
        let settings = flatten(config)?;
        match backend {
            "local" => {
                let path = settings
                    .get("path")
                    .cloned()
                    .unwrap_or_else(|| "terraform.tfstate".to_string());
                let mut unknown: Vec<&String> = settings.keys().filter(|k| *k != "path").collect();
                if let Some(k) = unknown.pop() {
                    return Err(format!("the local backend takes only path, not {k}"));
                }
                let full = self.dir.join(&path);
                read_local(&full, &path)
            }
            "s3" => {
                let settings = S3Settings::from_map(&settings)?;
                tokio::task::spawn_blocking(move || read_s3(settings))
                    .await
                    .map_err(|e| format!("reading the S3 state failed: {e}"))?
            }
            other => Err(format!(
                "backend {other:?} is not supported by terraform_remote_state here: trellis reads local and s3 states"
            )),
        }
    }
}

/// The `config` object as the backends take it: text values, nested blocks as dotted names.
fn flatten(config: &Value) -> Result<BTreeMap<String, String>, String> {
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) -> Result<(), String> {
        match v.unmarked() {
            Value::Null => Ok(()),
            Value::Map(m) => {
                for (k, x) in m {
                    let name = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&name, x, out)?;
                }
                Ok(())
            }
            Value::List(items) => {
                let texts: Option<Vec<String>> = items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect();
                match texts {
                    Some(t) => {
                        out.insert(prefix.to_string(), t.join(","));
                        Ok(())
                    }
                    None => Err(format!("config.{prefix}: expected a list of strings")),
                }
            }
            Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
                Ok(())
            }
            Value::Bool(b) => {
                out.insert(prefix.to_string(), b.to_string());
                Ok(())
            }
            Value::Number(n) => {
                out.insert(prefix.to_string(), n.to_string());
                Ok(())
            }
            _ => Err(format!("config.{prefix}: not a value a backend takes")),
        }
    }
    let mut out = BTreeMap::new();
    walk("", config, &mut out)?;
    Ok(out)
}

fn read_local(full: &Path, shown: &str) -> Result<Outputs, String> {
    if full.is_dir() {
        return Err(format!(
            "{shown} is a directory: point path at a state file (Terraform's terraform.tfstate, or `trellis state pull` output)"
        ));
    }
    let text =
        std::fs::read_to_string(full).map_err(|e| format!("cannot read the state {shown}: {e}"))?;
    parse(&text).map_err(|e| format!("{shown}: {e}"))
}

fn read_s3(settings: S3Settings) -> Result<Outputs, String> {
    let url = settings.url();
    let key = settings.key.clone();
    let backend = S3Backend::connect(settings).map_err(|e| e.to_string())?;
    let bytes = backend
        .read_object(&key)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("there is no state at {url}"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{url}: the state is not UTF-8 text"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{url}: not a state: {e}"))?;
    if json.get("format_version").is_some() {
        // trellis's: the snapshot plus the journal of a run that did not finish.
        let store = S3Store::open_existing(&backend)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("there is no state at {url}"))?;
        return Ok(outputs_of(store.load().map_err(|e| e.to_string())?));
    }
    terraform_outputs(&json).map_err(|e| format!("{url}: {e}"))
}

/// The outputs of a state file: Terraform's (version 4) or a trellis snapshot.
fn parse(text: &str) -> Result<Outputs, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a state: {e}"))?;
    if json.get("format_version").is_some() {
        return Ok(outputs_of(
            trellis_state::from_json(text).map_err(|e| e.to_string())?,
        ));
    }
    terraform_outputs(&json)
}

fn outputs_of(state: trellis_state::State) -> Outputs {
    state
        .outputs
        .into_iter()
        .map(|(k, o)| (k, (o.value, o.sensitive)))
        .collect()
}

/// The outputs of a Terraform state (version 4).
fn terraform_outputs(json: &serde_json::Value) -> Result<Outputs, String> {
    match json.get("version").and_then(serde_json::Value::as_u64) {
        Some(4) => {}
        Some(v) => {
            return Err(format!(
            "a Terraform state of version {v}; trellis reads version 4 (Terraform 0.12 and later)"
        ))
        }
        None => return Err("neither a Terraform state (version 4) nor a trellis state".into()),
    }
    let mut out = Outputs::new();
    if let Some(outputs) = json.get("outputs").and_then(serde_json::Value::as_object) {
        for (name, o) in outputs {
            let value = o.get("value").map(Value::from_json).unwrap_or(Value::Null);
            let sensitive = o
                .get("sensitive")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            out.insert(name.clone(), (value, sensitive));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_v4_states_give_their_outputs() {
        let text = r#"{"version":4,"terraform_version":"1.9.5","serial":3,"lineage":"x",
            "outputs":{"vpc_id":{"value":"vpc-1","type":"string"},
                       "token":{"value":"s3cr3t","type":"string","sensitive":true},
                       "subnets":{"value":["a","b"],"type":["list","string"]}},
            "resources":[]}"#;
        let out = parse(text).unwrap();
        assert_eq!(out["vpc_id"], (Value::string("vpc-1"), false));
        assert!(out["token"].1);
        assert_eq!(
            out["subnets"].0,
            Value::List(vec![Value::string("a"), Value::string("b")])
        );
        assert!(parse(r#"{"version":3,"modules":[]}"#)
            .unwrap_err()
            .contains("version 3"));
        assert!(parse("{}").unwrap_err().contains("neither"));
    }

    #[test]
    fn config_objects_flatten_to_backend_arguments() {
        let config = Value::object([
            ("bucket", Value::string("b")),
            (
                "assume_role",
                Value::object([("role_arn", Value::string("arn:r"))]),
            ),
            ("use_path_style", Value::Bool(true)),
        ]);
        let flat = flatten(&config).unwrap();
        assert_eq!(flat["assume_role.role_arn"], "arn:r");
        assert_eq!(flat["use_path_style"], "true");
    }
}
