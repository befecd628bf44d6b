//! `trellis import ADDR ID`, `trellis import -service-network=... -generate-config-out=FILE`
//! and `trellis state migrate -from-terraform=FILE`: bringing existing objects under
//! management.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Context};
use trellis_plan::graph::NodeId;
use trellis_plan::providers::Providers;
use trellis_provider::{DiscoverRequest, DiscoverRoot, ImportRequest, Provider};
use trellis_state::{ResourceState, DEFAULT_BACKUPS_KEPT};
use trellis_types::{Address, Diagnostic, Diagnostics, Mode, SourceMap};

use crate::args::ImportArgs;
use crate::workspace::{configure_providers, registry, Failure, Outcome, StatePaths, Workspace};
use crate::Ui;

pub async fn import_command(ui: &Ui, args: ImportArgs) -> Outcome<i32> {
    match (&args.address, &args.id) {
        (Some(address), Some(id)) => import_one(ui, &args, address, id).await,
        _ => discover(ui, &args).await,
    }
}

/// A diagnostic about the command line (no file position).
fn fail(summary: impl Into<String>, detail: Option<String>) -> Failure {
    let mut d = Diagnostic::error(summary);
    if let Some(detail) = detail {
        d = d.with_detail(detail);
    }
    Failure::Diagnostics(Diagnostics::from(d), Arc::new(SourceMap::new()))
}

/// Each module step of `address` names a declared module call, with an instance key exactly
/// when the call sets `count` or `for_each`.
fn check_module_keys(config: &trellis_config::Config, address: &Address) -> Outcome<()> {
    let mut at = config;
    for (i, step) in address.module.iter().enumerate() {
        let shown = Address {
            module: address.module[..=i].to_vec(),
            ..address.clone()
        }
        .module_path();
        let Some(call) = at.modules.get(&step.name) else {
            return Err(fail(
                format!("module call {shown} is not in the configuration"),
                None,
            ));
        };
        let keyed = call.count.is_some() || call.for_each.is_some();
        if keyed != step.key.is_some() {
            return Err(fail(
                format!(
                    "{shown} {}",
                    if keyed {
                        "needs an instance key"
                    } else {
                        "has an instance key"
                    }
                ),
                Some(if keyed {
                    format!("module.{} sets count or for_each: name one instance, such as module.{}[0] or module.{}[\"key\"]", step.name, step.name, step.name)
                } else {
                    format!("module.{} sets neither count nor for_each", step.name)
                }),
            ));
        }
        let Some(child) = at.children.get(&step.name) else {
            return Err(fail(format!("module {shown} could not be loaded"), None));
        };
        at = child;
    }
    Ok(())
}

/// Imports one object into one address: reads it through the provider and writes one
/// state record, under the state lock. Nothing is written when anything is wrong.
async fn import_one(ui: &Ui, args: &ImportArgs, address: &str, id: &str) -> Outcome<i32> {
    let ws = Workspace::load(&ui.dir)?;
    let address =
        Address::parse(address).map_err(|e| fail(format!("invalid address: {e}"), None))?;
    if address.mode != Mode::Managed {
        return Err(fail(
            format!("cannot import into {address}"),
            Some("import targets a managed resource, such as aws_vpclattice_service.orders or module.network.aws_vpclattice_service.orders".into()),
        ));
    }
    check_module_keys(&ws.config, &address)?;
    let index = trellis_plan::planner::resource_index(&ws.config);
    let Some((_, resource)) = trellis_plan::planner::lookup_resource(&ws.config, &index, &address)
        .filter(|(_, r)| r.mode == Mode::Managed)
    else {
        let mut known: Vec<String> = index
            .keys()
            .filter(|a| a.mode == Mode::Managed)
            .map(ToString::to_string)
            .collect();
        known.sort();
        let hint = trellis_plan::graph::closest(
            &address.resource().to_string(),
            known.iter().map(String::as_str),
        )
        .map(|b| format!("did you mean {b:?}? "))
        .unwrap_or_default();
        return Err(fail(
            format!("resource {} is not in the configuration", address.resource()),
            Some(format!(
                "{hint}import needs a resource block to import into; write one (or generate it with an import block and trellis plan), then run the import again"
            )),
        ));
    };
    let keyed = resource.count.is_some() || resource.for_each.is_some();
    if keyed && address.key.is_none() {
        return Err(fail(
            format!("{address} needs an instance key"),
            Some(format!(
                "{address} sets count or for_each: import into one instance, such as {address}[0] or {address}[\"key\"]"
            )),
        ));
    }
    if !keyed && address.key.is_some() {
        return Err(fail(
            format!("{address} has an instance key"),
            Some(format!(
                "{} sets neither count nor for_each: import into {}",
                address.resource(),
                address.resource()
            )),
        ));
    }
    let schema = registry()
        .resource_schema(&resource.type_name, false)
        .cloned()
        .ok_or_else(|| anyhow!("unknown resource type {}", resource.type_name))?;
    let paths = StatePaths::new(&ui.dir, args.state.as_deref());
    let _lock = paths.lock("import", args.lock_timeout)?;
    let store = paths.open()?;
    let state = store.load()?;
    if state.resources.contains_key(&address) {
        return Err(fail(
            format!("{address} is already managed by trellis"),
            Some(format!(
                "the state already holds an object at this address; to import another object here, remove it first with trellis state rm {address}"
            )),
        ));
    }
    let variables = ws.variables(&args.var_files, &args.vars)?;
    let static_path = trellis_plan::modules::static_path(&address.module);
    let provider_key = ws.graph.provider_key(&static_path, resource);
    let providers =
        configure_providers(&ws, &variables, std::iter::once(provider_key.clone())).await?;
    let provider = providers
        .get(&provider_key)
        .cloned()
        .ok_or_else(|| anyhow!("provider {provider_key} is not configured"))?;
    let format = schema
        .import_id
        .as_deref()
        .map(|f| format!("import ID format for {}: {f}", resource.type_name))
        .unwrap_or_else(|| format!("{} cannot be imported", resource.type_name));
    let found = provider
        .import(ImportRequest {
            type_name: resource.type_name.clone(),
            id: id.to_string(),
        })
        .await;
    let _ = providers.close().await;
    let value = match found {
        Ok(Some(value)) => value,
        Ok(None) => {
            return Err(fail(
                format!(
                    "cannot import {address}: no {} with ID {id:?} exists",
                    resource.type_name
                ),
                Some(format),
            ))
        }
        Err(e) => return Err(fail(format!("cannot import {address}: {e}"), Some(format))),
    };
    // The graph is static; resources of the same module instance get its keys.
    let dependencies: Vec<Address> = ws
        .graph
        .resource_dependencies(&NodeId::Resource(trellis_plan::modules::static_address(
            &address,
        )))
        .into_iter()
        .map(|mut a| {
            if trellis_plan::modules::static_path(&a.module) == static_path {
                a.module = address.module.clone();
            }
            a
        })
        .collect();
    let record = ResourceState {
        address: address.clone(),
        type_name: resource.type_name.clone(),
        provider: provider_key,
        schema_version: schema.version,
        sensitive_paths: schema.block.sensitive_paths(&value),
        value,
        dependencies,
        create_before_destroy: resource.lifecycle.create_before_destroy,
        private: None,
    };
    trellis_state::write_backup(&paths.backups, &state, DEFAULT_BACKUPS_KEPT)?;
    store.begin_write()?;
    store.put_resource(&record)?;
    store.finish()?;
    println!("{address}: Importing from ID {id:?}...");
    println!("{address}: Import prepared!");
    println!("  Prepared {} for import", resource.type_name);
    println!("\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour trellis state and will henceforth be managed by trellis.");
    Ok(0)
}

/// The working directory's configuration, or an empty one when it has no `*.tf` files
/// (discovery may run in a new directory).
fn workspace_or_empty(ui: &Ui) -> Outcome<Workspace> {
    let sources = crate::workspace::read_sources(&ui.dir)?;
    if !sources.files().is_empty() {
        return Workspace::load(&ui.dir);
    }
    let config = trellis_config::Config::default();
    let graph = trellis_plan::graph::build(&config, &sources)
        .map_err(|d| Failure::Diagnostics(d, Arc::new(SourceMap::new())))?;
    Ok(Workspace {
        dir: ui.dir.clone(),
        sources: Arc::new(sources),
        config: Arc::new(config),
        graph,
        config_hash: String::new(),
        warnings: Diagnostics::new(),
    })
}

/// Discovers whole meshes from their service networks and writes the configuration and
/// import blocks that describe them. Writes no state: the next apply imports.
async fn discover(ui: &Ui, args: &ImportArgs) -> Outcome<i32> {
    let out = args
        .generate_config_out
        .as_deref()
        .ok_or_else(|| anyhow!("-generate-config-out=FILE is required"))?;
    let out_path = ui.dir.join(out);
    if out_path.exists() {
        return Err(fail(
            format!("{out} already exists"),
            Some("trellis does not overwrite configuration: choose a new file name, or remove the file first".into()),
        ));
    }
    if !out.ends_with(".tf") {
        return Err(fail(
            format!("{out} does not end in .tf"),
            Some("trellis reads only *.tf files; name the output so that plan sees it".into()),
        ));
    }
    let ws = workspace_or_empty(ui)?;
    let variables = ws.variables(&args.var_files, &args.vars)?;
    let provider_key = args.provider.clone().unwrap_or_else(|| "aws".to_string());
    let providers: Providers =
        configure_providers(&ws, &variables, std::iter::once(provider_key.clone())).await?;
    let provider: Arc<dyn Provider> = providers
        .get(&provider_key)
        .cloned()
        .ok_or_else(|| anyhow!("provider {provider_key} is not configured"))?;
    let started = Instant::now();
    let response = provider
        .discover(DiscoverRequest {
            roots: args
                .service_networks
                .iter()
                .map(|id| DiscoverRoot {
                    kind: "service-network".to_string(),
                    id: id.clone(),
                })
                .collect(),
        })
        .await;
    let _ = providers.close().await;
    let mut response = response.map_err(|e| fail(format!("discovery failed: {e}"), None))?;
    let elapsed = started.elapsed();
    // Objects the state already manages, current or deposed (a deposed object is deleted
    // by the next apply), are not offered for import again.
    let state = StatePaths::new(&ui.dir, args.state.as_deref()).load_or_empty()?;
    let managed = managed_ids(&state);
    let before = response.objects.len();
    response.objects.retain(|o| {
        !id_of(&o.value).is_some_and(|id| managed.contains(&(o.type_name.as_str(), id)))
    });
    let already = before - response.objects.len();
    let factory_name = trellis_provider::provider_of(&provider_key).to_string();
    let registry = registry();
    let schema = registry
        .get(&factory_name)
        .map(|f| f.schema().clone())
        .ok_or_else(|| anyhow!("unknown provider {factory_name}"))?;
    // Names already used by the configuration stay taken, so generated blocks never clash.
    let taken: Vec<Address> = ws.config.resources.iter().map(|r| r.address()).collect();
    let generated = trellis_generate::generate(&trellis_generate::GenerateInput {
        objects: &response.objects,
        skipped: &response.skipped,
        schema: &schema,
        provider: (provider_key != factory_name).then_some(provider_key.as_str()),
        taken: &taken,
    });
    crate::workspace::write_private(&out_path, generated.text.as_bytes())
        .with_context(|| format!("cannot write {out}"))?;
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &response.objects {
        *by_type.entry(o.type_name.as_str()).or_default() += 1;
    }
    println!(
        "Discovered {} objects in {:.1}s{}:",
        response.objects.len(),
        elapsed.as_secs_f64(),
        response
            .calls
            .map(|c| format!(" ({c} API calls)"))
            .unwrap_or_default()
    );
    for (type_name, n) in &by_type {
        println!("  {n:>5}  {type_name}");
    }
    if already > 0 {
        println!("\nAlready in the state, left out: {already}");
    }
    if !response.skipped.is_empty() {
        println!("\nFound but not imported ({}):", response.skipped.len());
        for s in &response.skipped {
            println!(
                "  {} {}{}: {}",
                s.kind,
                s.id,
                s.owner
                    .as_deref()
                    .map(|o| format!(" (owned by account {o})"))
                    .unwrap_or_default(),
                s.reason
            );
        }
    }
    println!(
        "\nWrote {out}: {} resource blocks and {} import blocks.\n\nRun trellis plan to review the imports, then trellis apply to record them in the state.",
        generated.resources, generated.imports
    );
    Ok(0)
}

fn id_of(value: &trellis_types::Value) -> Option<&str> {
    value.get("id").and_then(trellis_types::Value::as_str)
}

/// (type, ID) of every object the state manages: current objects and deposed ones.
fn managed_ids(state: &trellis_state::State) -> std::collections::HashSet<(&str, &str)> {
    let current = state.resources.values();
    let deposed = state.deposed_objects().map(|d| &d.object);
    current
        .chain(deposed)
        .filter_map(|r| Some((r.type_name.as_str(), id_of(&r.value)?)))
        .collect()
}

#[cfg(test)]
mod managed_tests {
    use super::*;
    use trellis_state::{DeposedObject, ResourceState, State};
    use trellis_types::{Address, Value};

    fn record(name: &str, id: &str) -> ResourceState {
        ResourceState {
            address: Address::managed("aws_vpclattice_target_group", name),
            type_name: "aws_vpclattice_target_group".to_string(),
            provider: "aws".to_string(),
            schema_version: 0,
            value: Value::Map([("id".to_string(), Value::String(id.to_string()))].into()),
            sensitive_paths: Vec::new(),
            dependencies: Vec::new(),
            create_before_destroy: true,
            private: None,
        }
    }

    #[test]
    fn deposed_objects_count_as_managed_for_discovery() {
        let mut state = State::default();
        let current = record("tg", "tg-new");
        state.resources.insert(current.address.clone(), current);
        state.insert_deposed(DeposedObject {
            key: "1a2b3c4d".to_string(),
            object: record("tg", "tg-old"),
        });
        let ids = managed_ids(&state);
        assert!(ids.contains(&("aws_vpclattice_target_group", "tg-new")));
        assert!(ids.contains(&("aws_vpclattice_target_group", "tg-old")));
        assert!(!ids.contains(&("aws_vpclattice_target_group", "tg-other")));
        assert!(!ids.contains(&("aws_vpclattice_service", "tg-old")));
    }
}
