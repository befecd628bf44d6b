//! `trellis state migrate -from-terraform=terraform.tfstate`: moves the resources of a
//! Terraform state (format version 4) that trellis supports into trellis state.
//!
//! Resources inside modules keep their module address (`module.edge["east"].aws_x.y`),
//! which is the address trellis plans them at when the configuration calls the same local
//! module. Terraform records a module resource's dependencies without the module's instance
//! keys; dependencies within the same module get the instance's keys back.
//!
//! Each supported instance is read again through its provider's `import`, with the import
//! ID made from its Terraform attributes, so that the record has trellis's shape (Terraform's
//! attribute set differs in details such as tags and composite IDs) and holds the object as
//! it is now. Everything else (other resource types, data sources, objects that no longer
//! exist, addresses trellis state already holds) is listed as skipped. The Terraform state
//! file is only read.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{anyhow, Context};
use trellis_provider::ImportRequest;
use trellis_state::{DeposedObject, ResourceState, DEFAULT_BACKUPS_KEPT};
use trellis_types::{Address, InstanceKey, Mode, ModuleStep};

use crate::workspace::{configure_providers, registry, Failure, Outcome, StatePaths, Workspace};
use crate::Ui;

/// One resource instance of a Terraform state.
#[derive(Debug, Clone, PartialEq)]
pub struct TfInstance {
    pub address: Address,
    pub type_name: String,
    /// `aws` or `aws.network`.
    pub provider: String,
    pub attributes: serde_json::Value,
    pub dependencies: Vec<Address>,
    /// The deposed key when this is a deposed object of `address` (left by a
    /// create_before_destroy replacement whose delete did not complete): migrated as a
    /// deposed object, which the next apply destroys, as Terraform's would.
    pub deposed: Option<String>,
}

/// What a Terraform state holds: managed instances, and what cannot be migrated at all.
#[derive(Debug, Default)]
pub struct TfState {
    pub instances: Vec<TfInstance>,
    /// (address, why) of data sources and unreadable entries.
    pub ignored: Vec<(String, String)>,
}

/// `provider["registry.terraform.io/hashicorp/aws"].network` is `aws.network`.
fn provider_key(text: &str) -> Option<String> {
    let inner = text.strip_prefix("provider[\"")?;
    let (source, rest) = inner.split_once("\"]")?;
    let name = source.rsplit('/').next()?;
    match rest.strip_prefix('.') {
        Some(alias) if !alias.is_empty() => Some(format!("{name}.{alias}")),
        _ => Some(name.to_string()),
    }
}

/// `module.a["x"].module.b` into module steps.
fn module_steps(text: &str) -> Result<Vec<ModuleStep>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let probe = format!("{text}.x_y.z");
    Address::parse(&probe)
        .map(|a| a.module)
        .map_err(|e| format!("invalid module path {text:?}: {e}"))
}

/// Parses a Terraform state file (format version 4).
pub fn parse_tfstate(text: &str) -> Result<TfState, String> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a Terraform state (JSON): {e}"))?;
    match json.get("version").and_then(serde_json::Value::as_u64) {
        Some(4) => {}
        Some(v) => {
            return Err(format!(
                "Terraform state format version {v} is not supported; trellis reads version 4 (Terraform 0.12 and later)"
            ))
        }
        None => return Err("not a Terraform state: it has no \"version\"".to_string()),
    }
    let mut out = TfState::default();
    let resources = json
        .get("resources")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    for r in resources {
        let field = |k: &str| r.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
        let (mode, type_name, name) = (field("mode"), field("type"), field("name"));
        let module = module_steps(field("module"))?;
        let mut base = match mode {
            "managed" => Address::managed(type_name, name),
            "data" => {
                let shown = if field("module").is_empty() {
                    format!("data.{type_name}.{name}")
                } else {
                    format!("{}.data.{type_name}.{name}", field("module"))
                };
                out.ignored
                    .push((shown, "data sources are read again by plan".to_string()));
                continue;
            }
            other => {
                return Err(format!(
                    "resource {type_name}.{name} has unknown mode {other:?}"
                ))
            }
        };
        base.module = module;
        let provider = provider_key(field("provider"))
            .unwrap_or_else(|| trellis_provider::provider_of(type_name).to_string());
        let instances = r
            .get("instances")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        let module_names: Vec<String> = base.module.iter().map(|m| m.name.clone()).collect();
        for i in instances {
            let key = match i.get("index_key") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::Number(n)) => n.as_i64().map(InstanceKey::Int),
                Some(serde_json::Value::String(s)) => Some(InstanceKey::Str(s.clone())),
                Some(other) => return Err(format!("{base} has an invalid index_key {other}")),
            };
            let deposed = match i.get("deposed") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(k)) if trellis_state::is_deposed_key(k) => {
                    Some(k.clone())
                }
                Some(other) => {
                    return Err(format!(
                        "{} has an invalid deposed key {other}",
                        base.clone().with_key(key)
                    ))
                }
            };
            let dependencies = i
                .get("dependencies")
                .and_then(serde_json::Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(serde_json::Value::as_str)
                        .filter_map(|a| Address::parse(a).ok())
                        .filter(|a| a.mode == Mode::Managed)
                        .map(|mut a: Address| {
                            let same_module = a.module.len() == module_names.len()
                                && a.module
                                    .iter()
                                    .zip(&module_names)
                                    .all(|(s, n)| s.name == *n);
                            if same_module {
                                a.module = base.module.clone();
                            }
                            a
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.instances.push(TfInstance {
                address: base.clone().with_key(key),
                type_name: type_name.to_string(),
                provider: provider.clone(),
                attributes: i.get("attributes").cloned().unwrap_or_default(),
                dependencies,
                deposed,
            });
        }
    }
    Ok(out)
}

/// The import ID of a Terraform instance, by provider.
fn import_id(instance: &TfInstance) -> Option<String> {
    match trellis_provider::provider_of(&instance.type_name) {
        "aws" => trellis_aws::terraform_import_id(&instance.type_name, &instance.attributes),
        _ => instance
            .attributes
            .get("id")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string),
    }
}

pub async fn migrate(
    ui: &Ui,
    paths: &StatePaths,
    from: &str,
    lock_timeout: Duration,
) -> Outcome<i32> {
    let text = std::fs::read_to_string(ui.dir.join(from))
        .with_context(|| format!("cannot read {from}"))?;
    let tf = parse_tfstate(&text).map_err(|e| anyhow!("{from}: {e}"))?;
    let ws = Workspace::load(&ui.dir)?;
    let registry = registry();
    let mut skipped: Vec<(String, String)> = tf.ignored.clone();
    let mut wanted = Vec::new();
    for i in &tf.instances {
        if registry.resource_schema(&i.type_name, false).is_none() {
            skipped.push((
                i.address.to_string(),
                format!("trellis does not support {}", i.type_name),
            ));
            continue;
        }
        match import_id(i) {
            Some(id) => wanted.push((i, id)),
            None => skipped.push((
                i.address.to_string(),
                "its attributes lack the parts of its import ID".to_string(),
            )),
        }
    }
    let _lock = paths.lock("state migrate", lock_timeout)?;
    let store = paths.open()?;
    let state = store.load()?;
    let variables = ws.variables(&[], &[])?;
    let keys = wanted.iter().map(|(i, _)| i.provider.clone());
    let providers = configure_providers(&ws, &variables, keys).await?;
    let mut records = Vec::new();
    let mut deposed = Vec::new();
    for (instance, id) in &wanted {
        let held = match &instance.deposed {
            Some(key) => state
                .deposed
                .get(&instance.address)
                .is_some_and(|by_key| by_key.contains_key(key)),
            None => state.resources.contains_key(&instance.address),
        };
        if held {
            skipped.push((
                instance.address.to_string(),
                "trellis state already holds this address".to_string(),
            ));
            continue;
        }
        let provider = providers.get(&instance.provider).ok_or_else(|| {
            anyhow!(
                "provider {} is not configured; add its provider block",
                instance.provider
            )
        })?;
        let schema = registry
            .resource_schema(&instance.type_name, false)
            .expect("checked above");
        let value = provider
            .import(ImportRequest {
                type_name: instance.type_name.clone(),
                id: id.clone(),
            })
            .await
            .map_err(|e| {
                Failure::Error(anyhow!(
                    "cannot read {} (import ID {id:?}): {e}; nothing was migrated",
                    instance.address
                ))
            })?;
        let Some(value) = value else {
            skipped.push((
                instance.address.to_string(),
                format!("the object (import ID {id:?}) no longer exists"),
            ));
            continue;
        };
        let record = ResourceState {
            address: instance.address.clone(),
            type_name: instance.type_name.clone(),
            provider: instance.provider.clone(),
            schema_version: schema.version,
            sensitive_paths: schema.block.sensitive_paths(&value),
            value,
            dependencies: instance.dependencies.clone(),
            create_before_destroy: false,
            private: None,
        };
        match &instance.deposed {
            Some(key) => deposed.push(DeposedObject {
                key: key.clone(),
                object: record,
            }),
            None => records.push(record),
        }
    }
    let _ = providers.close().await;
    if !records.is_empty() || !deposed.is_empty() {
        trellis_state::write_backup(&paths.backups, &state, DEFAULT_BACKUPS_KEPT)?;
        store.begin_write()?;
        for r in &records {
            store.put_resource(r)?;
        }
        for d in &deposed {
            store.put_deposed(d)?;
        }
    }
    let mut by_address: BTreeSet<String> = records.iter().map(|r| r.address.to_string()).collect();
    for d in &deposed {
        by_address.insert(format!("{} (deposed object {})", d.address(), d.key));
    }
    println!(
        "Migrated {} resource instances from {from}:",
        records.len() + deposed.len()
    );
    for a in &by_address {
        println!("  {a}");
    }
    if !skipped.is_empty() {
        println!("\nSkipped {}:", skipped.len());
        for (a, why) in &skipped {
            println!("  {a}: {why}");
        }
    }
    println!("\n{from} was not changed. Run trellis plan to check that it shows no changes.");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modules_count_for_each_and_providers() {
        let text = r#"{
          "version": 4, "terraform_version": "1.7.0", "serial": 3, "lineage": "x", "outputs": {},
          "resources": [
            {"mode": "managed", "type": "aws_vpclattice_service", "name": "svc",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"index_key": "a", "schema_version": 0, "attributes": {"id": "svc-1"}},
                           {"index_key": "b", "schema_version": 0, "attributes": {"id": "svc-2"},
                            "dependencies": ["aws_vpclattice_service_network.n"]}]},
            {"module": "module.mesh[\"x\"]", "mode": "managed", "type": "aws_vpclattice_listener", "name": "l",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"].network",
             "instances": [{"index_key": 0, "schema_version": 0,
                            "attributes": {"service_identifier": "svc-1", "listener_id": "listener-9"}}]},
            {"mode": "data", "type": "aws_caller_identity", "name": "me",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": []}
          ]
        }"#;
        let tf = parse_tfstate(text).unwrap();
        assert_eq!(tf.instances.len(), 3);
        assert_eq!(
            tf.instances[0].address.to_string(),
            "aws_vpclattice_service.svc[\"a\"]"
        );
        assert_eq!(
            tf.instances[1].dependencies,
            vec![Address::managed("aws_vpclattice_service_network", "n")]
        );
        let l = &tf.instances[2];
        assert_eq!(
            l.address.to_string(),
            "module.mesh[\"x\"].aws_vpclattice_listener.l[0]"
        );
        assert_eq!(l.provider, "aws.network");
        assert_eq!(import_id(l).as_deref(), Some("svc-1/listener-9"));
        assert_eq!(tf.ignored.len(), 1);
        assert!(parse_tfstate(r#"{"version": 3}"#)
            .unwrap_err()
            .contains("version 3"));
        assert!(parse_tfstate("nope").is_err());
    }

    #[test]
    fn keeps_terraforms_deposed_objects_and_refuses_bad_keys() {
        let text = r#"{
          "version": 4, "terraform_version": "1.7.0", "serial": 3, "lineage": "x", "outputs": {},
          "resources": [
            {"mode": "managed", "type": "aws_vpclattice_target_group", "name": "tg",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {"id": "tg-new"}},
                           {"schema_version": 0, "deposed": "1a2b3c4d",
                            "attributes": {"id": "tg-old"}}]}
          ]
        }"#;
        let tf = parse_tfstate(text).unwrap();
        assert!(tf.ignored.is_empty(), "{:?}", tf.ignored);
        assert_eq!(tf.instances.len(), 2);
        assert_eq!(tf.instances[0].deposed, None);
        assert_eq!(tf.instances[1].deposed.as_deref(), Some("1a2b3c4d"));
        assert_eq!(
            tf.instances[1].address,
            Address::managed("aws_vpclattice_target_group", "tg")
        );
        assert_eq!(tf.instances[1].attributes["id"], "tg-old");
        let bad = text.replace("1a2b3c4d", "zz");
        assert!(parse_tfstate(&bad)
            .unwrap_err()
            .contains("invalid deposed key"));
    }
}
