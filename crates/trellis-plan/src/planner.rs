//! The planner: a short sequence of named steps.
//!
//! 1. [`settle_intents`]: creates that an earlier run started but never recorded are looked
//!    up by their idempotency token; found objects are adopted.
//! 2. [`apply_moves`]: `moved` blocks rename addresses in the prior state.
//! 3. [`refresh`]: one batched read per provider; differences are drift.
//! 4. [`walk`]: the graph in dependency order: locals, resources (expanded by `count` and
//!    `for_each`), data sources and outputs are evaluated, and each managed instance is
//!    diffed against its refreshed prior value.
//! 5. [`orphans`]: instances in state that the configuration no longer has are deleted.
//! 6. [`finish`]: `-target` filtering, `prevent_destroy`, ordering.
//!
//! Providers are called only through the [`Provider`] trait; the planner does no other I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use trellis_config::{Config, IgnoreChanges, Resource};
use trellis_eval::{eval_body, eval_expr};
use trellis_provider::{
    Block, PlanResourceRequest, Provider, ReadDataRequest, ReadItem, ReadRequest, ResourceSchema,
    SettleRequest, ValidateRequest,
};
use trellis_state::{ResourceState, State};
use trellis_types::{
    Address, Diagnostic, Diagnostics, InstanceKey, Mode, ModuleStep, Path, PathStep, SourceFile,
    SourceMap, Value,
};

use crate::graph::{Graph, ModPath, NodeId};
use crate::model::{Action, Change, OutputChange, Plan, PlanOptions, Reason, PLAN_FORMAT_VERSION};
use crate::modules::{static_address, static_path};
use crate::providers::Providers;
use crate::scope::{EvalScope, Files, Instances, KeyContext, Values};
use crate::shape::{check_body, shape};

/// Everything a plan is made from.
pub struct PlanInput<'a> {
    pub config: &'a Config,
    pub sources: &'a SourceMap,
    pub graph: &'a Graph,
    pub state: &'a State,
    pub variables: BTreeMap<String, Value>,
    pub options: PlanOptions,
    pub providers: &'a Providers,
    pub files: &'a dyn Files,
    pub config_hash: String,
}

/// Meta-arguments of resource blocks, skipped when evaluating bodies.
pub const META_ARGUMENTS: &[&str] = &["count", "for_each", "provider", "depends_on", "lifecycle"];

/// Makes a plan.
pub async fn plan(input: PlanInput<'_>) -> Result<Plan, Diagnostics> {
    let mut diags = Diagnostics::new();
    check_schemas(&input, &mut diags);
    if diags.has_errors() {
        return Err(diags);
    }
    // Bad input fails before any provider call: settling intents, refreshing and reading data
    // sources all call the remote API, and the walk below validates each resource only when
    // it reaches it. The validating walk calls no provider and reports only errors that hold
    // whatever the variables, the state and the remote objects are. A destroy plan does not
    // need the configuration's resources to be valid.
    if !input.options.destroy {
        let (checked, _) = validate(
            input.config,
            input.sources,
            input.graph,
            &input.providers.registry,
            input.files,
        )
        .await;
        if checked.has_errors() {
            return Err(checked);
        }
    }

    let mut prior: BTreeMap<Address, ResourceState> = input.state.resources.clone();
    let adopted = settle_intents(&input, &mut prior).await?;
    let moved = apply_moves(input.config, &mut prior, &mut diags);
    let refreshed = if input.options.refresh {
        refresh(input.providers, &mut prior, input.options.full_refresh).await?
    } else {
        Refreshed {
            drift: Vec::new(),
            private: BTreeMap::new(),
        }
    };

    let mut planner = Walk::new(&input, &prior, diags);
    if input.options.destroy {
        planner.destroy_all();
    } else {
        planner.walk().await;
        planner.unclaimed_imports();
        planner.orphans();
        planner.checks(crate::checks::CheckPhase::Plan);
    }
    let Walk {
        mut changes,
        outputs,
        mut diags,
        data_values,
        planned_private,
        ..
    } = planner;

    for (address, from) in moved {
        if let Some(change) = changes.get_mut(&address) {
            change.moved_from = Some(from);
        }
    }
    for address in adopted {
        if let Some(change) = changes.get_mut(&address) {
            change.adopted = true;
        }
    }
    let forgotten: Vec<String> = changes
        .values()
        .filter(|c| c.action == Action::Forget)
        .map(|c| format!("  - {}", c.address))
        .collect();
    if !forgotten.is_empty() {
        diags.push(
            Diagnostic::warning("Some objects will no longer be managed by trellis").with_detail(
                format!(
                    "If you apply this plan, trellis will discard its records of these objects, but it will not delete them:\n{}\n\nAfter this apply trellis no longer manages them; to manage them again, import them.",
                    forgotten.join("\n")
                ),
            ),
        );
    }
    finish(&input, &mut changes, &mut diags);
    if diags.has_errors() {
        return Err(diags);
    }
    let mut all: Vec<Change> = changes.into_values().collect();
    all.extend(data_values.into_values());
    all.extend(deposed_changes(&input));
    // Stable: an address's current object comes before its deposed ones (in key order).
    all.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(Plan {
        format_version: PLAN_FORMAT_VERSION,
        trellis_version: env!("CARGO_PKG_VERSION").to_string(),
        lineage: input.state.meta.lineage.clone(),
        serial: input.state.meta.serial,
        config_hash: input.config_hash.clone(),
        options: input.options.clone(),
        variables: input.variables.clone(),
        changes: all,
        drift: refreshed.drift,
        refreshed_private: refreshed.private,
        planned_private,
        outputs,
        warnings: diags.0.into_iter().filter(|d| !d.is_error()).collect(),
    })
}

/// What `trellis validate` checks: everything that holds whatever the input variables, the
/// state and the remote objects are. The configuration is checked against provider schemas,
/// then evaluated as a plan from empty state would be, with every input variable unknown,
/// no provider configured and no provider called except [`ProviderFactory::validate`];
/// `count` and `for_each` that are unknown are checked once with unknown keys.
///
/// [`ProviderFactory::validate`]: trellis_provider::ProviderFactory::validate
///
/// Besides the diagnostics it returns, as creates, every managed instance the configuration
/// declares with the value a create would plan (for checks over the whole configuration,
/// such as the mesh's); instances whose `count` or `for_each` is unknown are left out.
pub async fn validate(
    config: &Config,
    sources: &SourceMap,
    graph: &Graph,
    registry: &trellis_provider::Registry,
    files: &dyn Files,
) -> (Diagnostics, Vec<Change>) {
    let mut diags = Diagnostics::new();
    check_schema_names(config, sources, registry, &mut diags);
    if diags.has_errors() {
        return (diags, Vec::new());
    }
    let variables = match crate::variables::unknown_variables(config, sources, files) {
        Ok(v) => v,
        Err(d) => {
            diags.extend(d);
            return (diags, Vec::new());
        }
    };
    let state = State::default();
    let providers = Providers::unconfigured(registry.clone());
    let input = PlanInput {
        config,
        sources,
        graph,
        state: &state,
        variables,
        options: PlanOptions::default(),
        providers: &providers,
        files,
        config_hash: String::new(),
    };
    let prior = BTreeMap::new();
    let mut walk = Walk::new(&input, &prior, diags);
    walk.validate_only = true;
    walk.walk().await;
    walk.checks(crate::checks::CheckPhase::Validate);
    (walk.diags, walk.changes.into_values().collect())
}

/// Unknown resource types and arguments only, without evaluating anything: reported beside
/// reference errors when no graph can be built.
pub fn schema_diagnostics(
    config: &Config,
    sources: &SourceMap,
    registry: &trellis_provider::Registry,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    check_schema_names(config, sources, registry, &mut diags);
    diags
}

fn check_schemas(input: &PlanInput<'_>, diags: &mut Diagnostics) {
    check_schema_names(
        input.config,
        input.sources,
        &input.providers.registry,
        diags,
    );
}

/// Unknown resource types and arguments, checked before anything is evaluated.
fn check_schema_names(
    config: &Config,
    sources: &SourceMap,
    registry: &trellis_provider::Registry,
    diags: &mut Diagnostics,
) {
    // Provider blocks are checked against the provider's own schema, so that a misspelled
    // setting is an error instead of being silently ignored. Unknown provider names are
    // reported here too, for `validate`, which configures none.
    for p in &config.providers {
        if registry.get(&p.name).is_none() {
            diags.push(crate::providers::unknown_provider(p, registry));
            continue;
        }
        let (Some(factory), Some(file)) = (registry.get(&p.name), sources.get(&p.file)) else {
            continue;
        };
        let what = format!("provider {:?}", p.name);
        check_body(
            &p.body,
            &factory.schema().provider,
            file,
            &["alias", "version"],
            &what,
            diags,
        );
    }
    // Types no provider serves are said once per type, at its first use, with the other uses
    // listed: a configuration written for providers trellis lacks would otherwise bury the
    // reader in one error per block.
    let mut unknown: Vec<(bool, &str, Vec<&trellis_config::Resource>)> = Vec::new();
    for r in config
        .all_modules()
        .into_iter()
        .flat_map(|(_, c)| c.resources.iter())
    {
        let Some(file) = sources.get(&r.file) else {
            continue;
        };
        let data = r.mode == Mode::Data;
        match registry.resource_schema(&r.type_name, data) {
            Some(schema) => {
                let what = format!(
                    "{} \"{}\" \"{}\"",
                    if data { "data" } else { "resource" },
                    r.type_name,
                    r.name
                );
                check_body(&r.body, &schema.block, file, META_ARGUMENTS, &what, diags);
            }
            None => match unknown
                .iter_mut()
                .find(|(d, t, _)| *d == data && *t == r.type_name)
            {
                Some((_, _, uses)) => uses.push(r),
                None => unknown.push((data, &r.type_name, vec![r])),
            },
        }
    }
    for (data, type_name, uses) in unknown {
        diags.push(unknown_type(data, type_name, &uses, registry));
    }
}

/// The one diagnostic for a resource or data source type that no provider serves, at its
/// first use: what the type's provider is, what to do, and where else the type is used.
fn unknown_type(
    data: bool,
    type_name: &str,
    uses: &[&trellis_config::Resource],
    registry: &trellis_provider::Registry,
) -> Diagnostic {
    let kinds = if data { "data source" } else { "resource type" };
    // As in Terraform, a type's provider is the part of its name before the first `_`.
    let provider = type_name.split('_').next().unwrap_or(type_name);
    let mut detail = Vec::new();
    if registry.get(provider).is_none() {
        let served: Vec<&str> = registry.names().collect();
        detail.push(format!(
            "trellis has no provider {provider:?} (it serves {}); types of other providers \
             cannot be planned until the provider plugin bridge lands",
            served.join(", ")
        ));
    } else {
        // Only a near miss is a typo: `aws_ecs_service` is not a misspelt
        // `aws_vpclattice_service`, though the two read alike to Jaro-Winkler.
        let typo = crate::graph::closest(type_name, registry.type_names(data).into_iter())
            .filter(|best| strsim::levenshtein(type_name, best) <= (type_name.len() / 10).max(2));
        match typo {
            Some(best) => detail.push(format!("did you mean {best:?}?")),
            None => detail.push(format!(
                "trellis's {provider} provider does not serve this {kinds}; docs/resources/ and \
                 docs/data-sources.md list the types it serves"
            )),
        }
    }
    if uses.len() > 1 {
        let others: Vec<String> = uses[1..]
            .iter()
            .map(|r| format!("{}:{}", r.type_span.file, r.type_span.line))
            .collect();
        detail.push(format!(
            "{} more {} of this type: {}",
            others.len(),
            if others.len() == 1 { "block" } else { "blocks" },
            others.join(", ")
        ));
    }
    Diagnostic::error(format!("unknown {kinds} {type_name:?}"))
        .with_span(Some(uses[0].type_span.clone()))
        .with_detail(detail.join("\n"))
}

/// Looks up creates whose outcome an earlier run lost; found objects join the prior state.
async fn settle_intents(
    input: &PlanInput<'_>,
    prior: &mut BTreeMap<Address, ResourceState>,
) -> Result<Vec<Address>, Diagnostics> {
    let mut adopted = Vec::new();
    for intent in input.state.intents.values() {
        if prior.contains_key(&intent.address) {
            continue;
        }
        let Some(provider) = input.providers.get(&intent.provider) else {
            continue;
        };
        let found = provider
            .settle(SettleRequest {
                type_name: intent.type_name.clone(),
                token: intent.token.clone(),
                planned: intent.planned.clone(),
            })
            .await
            .map_err(|e| {
                Diagnostics::from(
                    Diagnostic::error(format!("cannot settle an earlier create: {e}"))
                        .with_address(&intent.address),
                )
            })?;
        if let Some(value) = found {
            prior.insert(
                intent.address.clone(),
                ResourceState {
                    address: intent.address.clone(),
                    type_name: intent.type_name.clone(),
                    provider: intent.provider.clone(),
                    schema_version: 0,
                    value,
                    sensitive_paths: intent.sensitive_paths.clone(),
                    dependencies: intent.dependencies.clone(),
                    create_before_destroy: false,
                    private: None,
                },
            );
            adopted.push(intent.address.clone());
        }
    }
    Ok(adopted)
}

/// Applies `moved` blocks to the prior state. Returns (new address, old address) pairs.
fn apply_moves(
    config: &Config,
    prior: &mut BTreeMap<Address, ResourceState>,
    diags: &mut Diagnostics,
) -> Vec<(Address, Address)> {
    let mut out = Vec::new();
    for m in &config.moved {
        let matching: Vec<Address> = prior
            .keys()
            .filter(|a| {
                if m.from.key.is_some() {
                    **a == m.from
                } else {
                    a.is_within(&m.from)
                }
            })
            .cloned()
            .collect();
        for old in matching {
            let new = if m.from.key.is_some() {
                m.to.clone()
            } else {
                let mut n = m.to.clone();
                n.key = old.key.clone();
                n
            };
            if prior.contains_key(&new) {
                diags.push(
                    Diagnostic::warning(format!(
                        "cannot move {old} to {new}: {new} already exists"
                    ))
                    .with_span(Some(m.span.clone())),
                );
                continue;
            }
            if let Some(mut record) = prior.remove(&old) {
                record.address = new.clone();
                prior.insert(new.clone(), record);
                out.push((new, old));
            }
        }
    }
    out
}

/// What refresh found: the drift, and the private data providers gave anew (`null` when a
/// provider dropped its data).
struct Refreshed {
    drift: Vec<Change>,
    private: BTreeMap<Address, serde_json::Value>,
}

/// Reads every instance in `prior` through its provider, one batch per provider. Objects
/// that are gone leave `prior`; changed objects are updated, with the private data the
/// provider returned.
async fn refresh(
    providers: &Providers,
    prior: &mut BTreeMap<Address, ResourceState>,
    full: bool,
) -> Result<Refreshed, Diagnostics> {
    // Every configured provider is read once, also with no instances: that first call after
    // validation is where a provider may learn where it acts (its account, for the plan's
    // locations), so that bad input still fails before any remote call.
    let mut by_provider: BTreeMap<String, Vec<Address>> = providers
        .keys()
        .map(|k| (k.to_string(), Vec::new()))
        .collect();
    for (address, record) in prior.iter() {
        by_provider
            .entry(record.provider.clone())
            .or_default()
            .push(address.clone());
    }
    let mut out = Refreshed {
        drift: Vec::new(),
        private: BTreeMap::new(),
    };
    for (key, addresses) in by_provider {
        let Some(provider) = providers.get(&key) else {
            continue;
        };
        let items = addresses
            .iter()
            .map(|a| ReadItem {
                type_name: prior[a].type_name.clone(),
                prior: prior[a].value.clone(),
                private: prior[a].private.clone(),
            })
            .collect();
        let response = provider
            .read(ReadRequest { items, full })
            .await
            .map_err(|e| {
                Diagnostics::from(Diagnostic::error(format!(
                    "refresh through provider {key} failed: {e}"
                )))
            })?;
        for (address, current) in addresses.into_iter().zip(response.items) {
            let record = prior.get_mut(&address).expect("listed above");
            match current {
                Some(current) => {
                    if current.private != record.private {
                        let recorded = current.private.clone().unwrap_or_default();
                        out.private.insert(address.clone(), recorded);
                        record.private = current.private;
                    }
                    if current.value != record.value {
                        out.drift.push(drift_change(
                            record,
                            Some(current.value.clone()),
                            Action::Update,
                        ));
                        record.value = current.value;
                    }
                }
                None => {
                    out.drift.push(drift_change(record, None, Action::Delete));
                    prior.remove(&address);
                }
            }
        }
    }
    Ok(out)
}

fn drift_change(record: &ResourceState, after: Option<Value>, action: Action) -> Change {
    Change {
        address: record.address.clone(),
        type_name: record.type_name.clone(),
        provider: record.provider.clone(),
        location: None,
        action,
        before: Some(record.value.clone()),
        after,
        before_sensitive: record.sensitive_paths.clone(),
        after_sensitive: record.sensitive_paths.clone(),
        replace_paths: Vec::new(),
        reason: None,
        dependencies: Vec::new(),
        moved_from: None,
        importing: None,
        adopted: false,
        create_before_destroy: false,
        schema_version: record.schema_version,
    }
}

/// The instances of one module: each instance's path with its `count.index` or `each`.
type ModuleInstances = Vec<(Vec<ModuleStep>, Option<KeyContext>)>;

struct Walk<'a> {
    input: &'a PlanInput<'a>,
    prior: &'a BTreeMap<Address, ResourceState>,
    values: Values,
    changes: BTreeMap<Address, Change>,
    /// Data sources: recorded as no-op changes (read during plan) or reads (at apply).
    data_values: BTreeMap<Address, Change>,
    outputs: Vec<OutputChange>,
    diags: Diagnostics,
    /// Resources (no key; module instance keys kept) the walk reached.
    visited: BTreeSet<Address>,
    /// Where each resource block is, by static address.
    index: ResourceIndex,
    /// The instances of each module (by static path) the walk expanded so far, each with
    /// its `count.index` or `each`; the root module has one, with none.
    module_instances: HashMap<ModPath, ModuleInstances>,
    /// Every module instance path in `module_instances`.
    known_instances: HashSet<Vec<ModuleStep>>,
    /// Module calls (caller's instance path, name) whose expansion the walk reached.
    expanded_calls: HashSet<(Vec<ModuleStep>, String)>,
    /// `trellis validate`: no provider is configured, nothing is read, no change is
    /// recorded; resources take the values a create would plan.
    validate_only: bool,
    /// Instances that `import` blocks adopt in this plan: (import ID, the object read).
    imported: BTreeMap<Address, (String, Value)>,
    /// Resource and module instances that `count` and `for_each` made so far, against
    /// [`MAX_INSTANCES`].
    instances: usize,
    /// Import targets that a resource instance of the walk took (whether imported now or
    /// already in state); the others are reported after the walk.
    imports_taken: HashSet<Address>,
    /// Import block diagnostics already reported: a block is evaluated once per instance
    /// of its resource's module, and says each problem once.
    import_diags_seen: HashSet<String>,
    /// The private data providers returned with planned changes, for apply.
    planned_private: BTreeMap<Address, serde_json::Value>,
}

/// The most resource and module instances one plan may expand to. `count` alone is capped
/// per block; nested module calls multiply, so the whole is capped too (a configuration
/// that expands further stops with a diagnostic instead of exhausting memory).
pub const MAX_INSTANCES: usize = 1_000_000;

impl<'a> Walk<'a> {
    fn new(
        input: &'a PlanInput<'a>,
        prior: &'a BTreeMap<Address, ResourceState>,
        diags: Diagnostics,
    ) -> Walk<'a> {
        Walk {
            input,
            prior,
            values: Values {
                variables: input.variables.clone(),
                ..Values::default()
            },
            changes: BTreeMap::new(),
            data_values: BTreeMap::new(),
            outputs: Vec::new(),
            diags,
            visited: BTreeSet::new(),
            index: resource_index(input.config),
            module_instances: HashMap::from([(Vec::new(), vec![(Vec::new(), None)])]),
            known_instances: HashSet::from([Vec::new()]),
            expanded_calls: HashSet::new(),
            validate_only: false,
            imported: BTreeMap::new(),
            instances: 0,
            imports_taken: HashSet::new(),
            import_diags_seen: HashSet::new(),
            planned_private: BTreeMap::new(),
        }
    }

    fn scope(&self, key: Option<KeyContext>) -> EvalScope<'_> {
        EvalScope {
            config: self.input.config,
            root: self.input.config,
            module: &[],
            sources: self.input.sources,
            values: &self.values,
            files: self.input.files,
            module_dir: ".",
            key,
        }
    }

    /// The scope of the module instance `module`, whose configuration is `config`.
    fn scope_at<'s>(
        &'s self,
        config: &'s Config,
        module: &'s [ModuleStep],
        key: Option<KeyContext>,
    ) -> EvalScope<'s> {
        EvalScope {
            config,
            root: self.input.config,
            module,
            sources: self.input.sources,
            values: &self.values,
            files: self.input.files,
            module_dir: ".",
            key,
        }
    }

    /// The module at a static path (it exists: the graph was built from it).
    fn module(&self, path: &[String]) -> &'a Config {
        self.input
            .config
            .module(path)
            .expect("graph nodes name modules of the configuration")
    }

    /// The instances of the module at `path` that the walk knows.
    fn instances(&self, path: &[String]) -> Vec<(Vec<ModuleStep>, Option<KeyContext>)> {
        if path.is_empty() {
            return vec![(Vec::new(), None)];
        }
        self.module_instances.get(path).cloned().unwrap_or_default()
    }

    fn file(&self, name: &str) -> &'a SourceFile {
        self.input
            .sources
            .get(name)
            .expect("every item's file is in the source map")
    }

    /// Import targets that no instance of the walk took: their module instance does not
    /// exist (`module.svc.aws_x.a` when `svc` has `count`, a wrong module key, a module with
    /// no instances). Silently dropping them would plan a create of the object the user
    /// meant to adopt; Terraform refuses them too. A target whose resource is not in the
    /// configuration at all was reported by the graph.
    fn unclaimed_imports(&mut self) {
        // After an error some resources were not reached, and their targets not taken: the
        // plan fails anyway, and the error that stopped them is the one to read.
        if self.input.config.imports.is_empty() || self.diags.has_errors() {
            return;
        }
        for target in crate::imports::all_targets(&self.scope(None)) {
            if self.imports_taken.contains(&target.address) {
                continue;
            }
            if lookup_resource(self.input.config, &self.index, &target.address).is_none() {
                continue;
            }
            let module = static_path(&target.address.module);
            let instances: Vec<String> = self
                .module_instances
                .get(&module)
                .map(|list| {
                    list.iter()
                        .map(|(p, _)| {
                            let mut a = target.address.resource();
                            a.module = p.clone();
                            a.key = None;
                            a.to_string()
                        })
                        .collect()
                })
                .unwrap_or_default();
            let detail = if instances.is_empty() {
                "its module has no instances".to_string()
            } else {
                format!(
                    "its module instance does not exist; the resource is at: {}",
                    instances.join(", ")
                )
            };
            self.diags.push(
                Diagnostic::error(format!(
                    "import target {} is not an instance of the configuration",
                    target.address
                ))
                .with_detail(detail)
                .with_span(Some(target.span.clone()))
                .with_address(&target.address),
            );
        }
    }

    async fn walk(&mut self) {
        let order: Vec<NodeId> = self.input.graph.order().map(|n| n.id.clone()).collect();
        for id in order {
            match &id {
                NodeId::Local(path, name) => {
                    let config = self.module(path);
                    let local = &config.locals[name];
                    for (instance, _) in self.instances(path) {
                        let result = eval_expr(
                            &local.expr,
                            &self.scope_at(config, &instance, None),
                            self.file(&local.file),
                        );
                        let value = result.unwrap_or_else(|d| {
                            self.diags.extend(d);
                            Value::Unknown
                        });
                        if instance.is_empty() {
                            self.values.locals.insert(name.clone(), value);
                        } else {
                            self.values
                                .modules
                                .entry(instance)
                                .or_default()
                                .locals
                                .insert(name.clone(), value);
                        }
                    }
                }
                NodeId::Resource(address) => {
                    let Some((config, resource)) =
                        lookup_resource(self.input.config, &self.index, address)
                    else {
                        continue;
                    };
                    if address.module.is_empty() {
                        self.visited.insert(address.clone());
                        self.resource(config, resource, &id, &[]).await;
                        continue;
                    }
                    for (instance, _) in self.instances(&static_path(&address.module)) {
                        let mut concrete = address.clone();
                        concrete.module = instance.clone();
                        self.visited.insert(concrete);
                        self.resource(config, resource, &id, &instance).await;
                    }
                }
                NodeId::Output(path, name) if path.is_empty() => self.output(name),
                NodeId::Output(path, name) => self.module_output(path, name),
                NodeId::Variable(path, name) if !path.is_empty() => {
                    self.module_variable(path, name)
                }
                NodeId::Module(path, name) => self.module_call(path, name),
                NodeId::Variable(..) | NodeId::Provider(_) => {}
            }
        }
    }

    /// Expands a module call in every instance of its calling module into the instances of
    /// the called module.
    fn module_call(&mut self, path: &[String], name: &str) {
        let config = self.module(path);
        let call = &config.modules[name];
        let mut child_path = path.to_vec();
        child_path.push(name.to_string());
        for (instance, _) in self.instances(path) {
            let keys = self.expand_meta(
                call.count.as_ref(),
                call.for_each.as_ref(),
                config,
                &instance,
                &call.file,
                &call.header,
            );
            let call_key = (instance.clone(), name.to_string());
            let Some(keys) = keys else {
                // Not expanded (an error, or keys not known): its instances in state are
                // not "removed", so they are not planned as deletes.
                self.values.calls.insert(call_key, Instances::Unknown);
                continue;
            };
            self.expanded_calls.insert(call_key.clone());
            let mut container = if call.count.is_some() {
                Instances::Count(Vec::new())
            } else if call.for_each.is_some() {
                Instances::ForEach(BTreeMap::new())
            } else {
                Instances::Single(Value::Map(BTreeMap::new()))
            };
            for (key, context) in keys {
                if matches!(context, Some(KeyContext::Unknown)) {
                    container = Instances::Unknown;
                } else {
                    container.set(key.as_ref(), Value::Map(BTreeMap::new()));
                }
                let mut child = instance.clone();
                child.push(ModuleStep {
                    name: name.to_string(),
                    key,
                });
                self.known_instances.insert(child.clone());
                self.module_instances
                    .entry(child_path.clone())
                    .or_default()
                    .push((child, context));
            }
            self.values.calls.insert(call_key, container);
        }
    }

    /// Evaluates one input variable of a called module, in every instance of the module.
    fn module_variable(&mut self, path: &[String], name: &str) {
        let child = self.module(path);
        let variable = &child.variables[name];
        let caller_path = &path[..path.len() - 1];
        let caller_config = self.module(caller_path);
        let call = &caller_config.modules[&path[path.len() - 1]];
        for (instance, context) in self.instances(path) {
            let caller = &instance[..instance.len() - 1];
            let result = {
                let scope = self.scope_at(caller_config, caller, context);
                crate::modules::module_variable(&scope, call, variable).map(|value| {
                    let problems =
                        crate::modules::check_validations(child, call, variable, &value, &scope);
                    (value, problems)
                })
            };
            let value = match result {
                Ok((value, problems)) => {
                    self.diags.extend(problems);
                    value
                }
                Err(d) => {
                    self.diags.extend(d);
                    Value::Unknown
                }
            };
            self.values
                .modules
                .entry(instance)
                .or_default()
                .variables
                .insert(name.to_string(), value);
        }
    }

    /// Evaluates an output of a called module in every instance of the module, into the
    /// `module.NAME` value its caller sees.
    fn module_output(&mut self, path: &[String], name: &str) {
        let child = self.module(path);
        let output = &child.outputs[name];
        for (instance, _) in self.instances(path) {
            let result = eval_expr(
                &output.value,
                &self.scope_at(child, &instance, None),
                self.file(&output.file),
            );
            let value = match result {
                Ok(v) if v.contains_sensitive() && !output.sensitive => {
                    self.diags.push(
                        Diagnostic::error(format!("output {name:?} refers to sensitive values"))
                            .with_detail("set sensitive = true in the output block to confirm that it may hold secrets")
                            .with_span(Some(output.span.clone())),
                    );
                    Value::Unknown
                }
                Ok(v) if output.sensitive => v.into_sensitive(),
                Ok(v) => v,
                Err(d) => {
                    self.diags.extend(d);
                    Value::Unknown
                }
            };
            let Some((step, caller)) = instance.split_last() else {
                continue;
            };
            if let Some(instances) = self
                .values
                .calls
                .get_mut(&(caller.to_vec(), step.name.clone()))
            {
                instances.set_field(step.key.as_ref(), name, value);
            }
        }
    }

    /// The resources (no instance key, module instance keys kept) that `id` in the module
    /// instance `instance` depends on, directly or through locals, variables, outputs and
    /// module calls (not through other resources).
    fn dependencies(&self, id: &NodeId, instance: &[ModuleStep]) -> Vec<Address> {
        if !self.input.config.has_modules() {
            return self
                .input
                .graph
                .resource_dependencies(id)
                .into_iter()
                .collect();
        }
        let mut out = BTreeSet::new();
        let mut seen: HashSet<(NodeId, Vec<ModuleStep>)> = HashSet::new();
        let mut stack: Vec<(NodeId, Vec<ModuleStep>)> = vec![(id.clone(), instance.to_vec())];
        while let Some((node, at)) = stack.pop() {
            for dep in self.input.graph.dependencies(&node) {
                let dep_path = dep.module_path();
                // The module instances the dependency is in: those of its module that share
                // the path `at` has in common with it (an ancestor's own instance; every
                // instance of a sibling or descendant module under that common part).
                let common = at
                    .iter()
                    .zip(&dep_path)
                    .take_while(|(step, name)| step.name == **name)
                    .count();
                let base = &at[..common];
                let instances: Vec<Vec<ModuleStep>> = if dep_path.len() == common {
                    vec![base.to_vec()]
                } else {
                    self.module_instances
                        .get(&dep_path)
                        .map(|list| {
                            list.iter()
                                .filter(|(p, _)| p.starts_with(base))
                                .map(|(p, _)| p.clone())
                                .collect()
                        })
                        .unwrap_or_default()
                };
                for inst in instances {
                    match dep {
                        NodeId::Resource(a) => {
                            let mut concrete = a.clone();
                            concrete.module = inst;
                            out.insert(concrete);
                        }
                        NodeId::Provider(_) => {}
                        other => {
                            if seen.insert((other.clone(), inst.clone())) {
                                stack.push((other.clone(), inst));
                            }
                        }
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    /// Expands `count` / `for_each` (of a resource or module block in the module instance
    /// `module`) into instance keys. `None` when they are unknown or invalid, or when the
    /// plan's instances would pass [`MAX_INSTANCES`].
    fn expand_meta(
        &mut self,
        count: Option<&trellis_config::Expression>,
        for_each: Option<&trellis_config::Expression>,
        config: &Config,
        module: &[ModuleStep],
        file_name: &str,
        block_span: &trellis_types::Span,
    ) -> Option<Vec<(Option<InstanceKey>, Option<KeyContext>)>> {
        if self.instances > MAX_INSTANCES {
            // Reported once, where the limit was passed; nothing more is expanded.
            return None;
        }
        let keys = self.expand_keys(count, for_each, config, module, file_name, block_span)?;
        if self.over_instance_limit(keys.len(), block_span) {
            return None;
        }
        Some(keys)
    }

    /// Counts `more` instances against [`MAX_INSTANCES`]; at the first excess, reports it at
    /// `block_span` and says so.
    fn over_instance_limit(&mut self, more: usize, block_span: &trellis_types::Span) -> bool {
        let before = self.instances;
        self.instances = before.saturating_add(more);
        if self.instances <= MAX_INSTANCES {
            return false;
        }
        if before <= MAX_INSTANCES {
            self.diags.push(
                Diagnostic::error("too many instances")
                    .with_detail(format!(
                        "count and for_each (with nested module calls multiplying them) \
                         expand this configuration to more than {MAX_INSTANCES} resource and \
                         module instances; this block is where the limit was passed"
                    ))
                    .with_span(Some(block_span.clone())),
            );
        }
        true
    }

    fn expand_keys(
        &mut self,
        count: Option<&trellis_config::Expression>,
        for_each: Option<&trellis_config::Expression>,
        config: &Config,
        module: &[ModuleStep],
        file_name: &str,
        block_span: &trellis_types::Span,
    ) -> Option<Vec<(Option<InstanceKey>, Option<KeyContext>)>> {
        let file = self.file(file_name);
        if let Some(count) = count {
            let value = match eval_expr(count, &self.scope_at(config, module, None), file) {
                Ok(v) => v,
                Err(d) => {
                    self.diags.extend(d);
                    return None;
                }
            };
            let span = resource_expr_span(count, file).or(Some(block_span.clone()));
            if value.is_unknown() && self.validate_only {
                return Some(vec![(None, Some(KeyContext::Unknown))]);
            }
            if value.is_unknown() {
                self.diags.push(
                    Diagnostic::error("invalid count argument")
                        .with_detail("the count value depends on resource attributes that cannot be determined until apply; use -target to create those resources first, or set count from known values")
                        .with_span(span),
                );
                return None;
            }
            let n = match value.as_number() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n < 1.0e6 => n as i64,
                _ => {
                    self.diags.push(
                        Diagnostic::error("invalid count argument")
                            .with_detail(format!(
                                "count must be a whole number from 0, found {value}"
                            ))
                            .with_span(span),
                    );
                    return None;
                }
            };
            // Checked before the keys are made: `count` alone may ask for a million.
            if self.instances.saturating_add(n as usize) > MAX_INSTANCES {
                self.over_instance_limit(n as usize, block_span);
                return None;
            }
            return Some(
                (0..n)
                    .map(|i| (Some(InstanceKey::Int(i)), Some(KeyContext::Count(i))))
                    .collect(),
            );
        }
        if let Some(for_each) = for_each {
            let value = match eval_expr(for_each, &self.scope_at(config, module, None), file) {
                Ok(v) => v,
                Err(d) => {
                    self.diags.extend(d);
                    return None;
                }
            };
            let span = resource_expr_span(for_each, file).or(Some(block_span.clone()));
            let keys_unknown = match value.unmarked() {
                Value::Map(_) => false,
                Value::List(items) => items.iter().any(Value::contains_unknown),
                other => other.is_unknown(),
            };
            if keys_unknown && self.validate_only {
                return Some(vec![(None, Some(KeyContext::Unknown))]);
            }
            if keys_unknown {
                self.diags.push(
                    Diagnostic::error("invalid for_each argument")
                        .with_detail("the for_each value depends on resource attributes that cannot be determined until apply; the keys must be known at plan time")
                        .with_span(span),
                );
                return None;
            }
            if value.is_sensitive() {
                self.diags.push(
                    Diagnostic::error("invalid for_each argument")
                        .with_detail("sensitive values cannot be used as for_each keys")
                        .with_span(span),
                );
                return None;
            }
            return match value.unmarked() {
                Value::Map(map) => Some(
                    map.iter()
                        .map(|(k, v)| {
                            (
                                Some(InstanceKey::Str(k.clone())),
                                Some(KeyContext::Each(Value::string(k), v.clone())),
                            )
                        })
                        .collect(),
                ),
                Value::List(items) => {
                    let mut keys = Vec::new();
                    for item in items {
                        match item.as_str() {
                            Some(s) => keys.push(s.to_string()),
                            None => {
                                self.diags.push(
                                    Diagnostic::error("invalid for_each argument")
                                        .with_detail("for_each needs a map, or a set of strings; use toset() on a list of strings")
                                        .with_span(span),
                                );
                                return None;
                            }
                        }
                    }
                    keys.sort();
                    keys.dedup();
                    Some(
                        keys.into_iter()
                            .map(|k| {
                                (
                                    Some(InstanceKey::Str(k.clone())),
                                    Some(KeyContext::Each(Value::string(&k), Value::string(&k))),
                                )
                            })
                            .collect(),
                    )
                }
                Value::Null => {
                    self.diags.push(
                        Diagnostic::error("invalid for_each argument")
                            .with_detail("for_each must not be null")
                            .with_span(span),
                    );
                    None
                }
                other => {
                    self.diags.push(
                        Diagnostic::error("invalid for_each argument")
                            .with_detail(format!(
                                "for_each needs a map or a set of strings, found {}",
                                other.type_name()
                            ))
                            .with_span(span),
                    );
                    None
                }
            };
        }
        Some(vec![(None, None)])
    }

    async fn resource(
        &mut self,
        config: &'a Config,
        resource: &'a Resource,
        id: &NodeId,
        module: &[ModuleStep],
    ) {
        let mut address = resource.address();
        address.module = module.to_vec();
        let Some(keys) = self.expand_meta(
            resource.count.as_ref(),
            resource.for_each.as_ref(),
            config,
            module,
            &resource.file,
            &resource.span,
        ) else {
            self.values.resources.insert(address, Instances::Unknown);
            return;
        };
        let container = if resource.count.is_some() {
            Instances::Count(Vec::new())
        } else if resource.for_each.is_some() {
            Instances::ForEach(BTreeMap::new())
        } else {
            Instances::Single(Value::Null)
        };
        self.values.resources.insert(address.clone(), container);
        let dependencies: Vec<Address> = self.dependencies(id, module);
        let provider_key = self
            .input
            .graph
            .provider_key(&static_path(module), resource);
        let data = resource.mode == Mode::Data;
        let Some(schema) = self
            .input
            .providers
            .registry
            .resource_schema(&resource.type_name, data)
            .cloned()
        else {
            return;
        };
        let Some(factory) = self
            .input
            .providers
            .registry
            .get(trellis_provider::provider_of(&resource.type_name))
            .cloned()
        else {
            return;
        };
        let provider = self.input.providers.get(&provider_key).cloned();
        if provider.is_none() && !self.validate_only {
            return;
        }
        if let (false, false, Some(provider)) = (data, self.validate_only, &provider) {
            let keys: Vec<Option<InstanceKey>> = keys.iter().map(|(k, _)| k.clone()).collect();
            self.import_instances(resource, &address, &keys, provider, &schema)
                .await;
        }
        for (key, key_context) in keys {
            let unknown_keys = matches!(key_context, Some(KeyContext::Unknown));
            let instance = address.clone().with_key(key);
            let file = self.file(&resource.file);
            let evaluated = eval_body(
                &resource.body,
                META_ARGUMENTS,
                &self.scope_at(config, module, key_context),
                file,
            );
            let config_value = match evaluated {
                Ok(v) => v,
                Err(d) => {
                    self.diags.extend(d);
                    self.values.set_instance(&instance, Value::Unknown);
                    continue;
                }
            };
            let config_value = match shape(&config_value, &schema.block) {
                Ok(v) => v,
                Err(errors) => {
                    for (path, message) in errors {
                        self.diags.push(
                            Diagnostic::error(format!("invalid value for {path}"))
                                .with_detail(message)
                                .with_span(attribute_span(resource, &path, file))
                                .with_address(&instance),
                        );
                    }
                    self.values.set_instance(&instance, Value::Unknown);
                    continue;
                }
            };
            for d in factory.validate(ValidateRequest {
                type_name: resource.type_name.clone(),
                config: config_value.strip_marks(),
            }) {
                let mut diag = if d.warning {
                    Diagnostic::warning(d.summary)
                } else {
                    Diagnostic::error(d.summary)
                };
                if let Some(detail) = d.detail {
                    diag = diag.with_detail(detail);
                }
                self.diags.push(
                    diag.with_span(attribute_span(resource, &d.path, file))
                        .with_address(&instance),
                );
            }
            let provider = match provider.as_ref() {
                Some(p) if !self.validate_only => p,
                _ => {
                    // Validation: the value a create would plan, so that references to
                    // attributes the type does not have are still found.
                    if unknown_keys {
                        self.values
                            .resources
                            .insert(address.clone(), Instances::Unknown);
                    } else {
                        let (plain, sensitive) = config_value.split_sensitive();
                        let planned = fill_computed(&plain, &schema.block, None);
                        self.values.set_instance(
                            &instance,
                            planned.clone().with_sensitive_paths(&sensitive),
                        );
                        if !data {
                            self.changes.insert(
                                instance.clone(),
                                Change {
                                    address: instance.clone(),
                                    type_name: resource.type_name.clone(),
                                    provider: provider_key.clone(),
                                    location: None,
                                    action: Action::Create,
                                    before: None,
                                    after: Some(planned),
                                    before_sensitive: Vec::new(),
                                    after_sensitive: sensitive,
                                    replace_paths: Vec::new(),
                                    reason: None,
                                    dependencies: dependencies.clone(),
                                    moved_from: None,
                                    importing: None,
                                    adopted: false,
                                    create_before_destroy: resource.lifecycle.create_before_destroy,
                                    schema_version: schema.version,
                                },
                            );
                        }
                    }
                    continue;
                }
            };
            if data {
                self.data_instance(
                    resource,
                    &provider_key,
                    &instance,
                    provider,
                    &schema,
                    config_value,
                    &dependencies,
                )
                .await;
            } else {
                self.managed_instance(
                    resource,
                    &provider_key,
                    &instance,
                    provider,
                    &schema,
                    config_value,
                    &dependencies,
                )
                .await;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn data_instance(
        &mut self,
        resource: &Resource,
        provider_key: &str,
        instance: &Address,
        provider: &Arc<dyn Provider>,
        schema: &ResourceSchema,
        config_value: Value,
        dependencies: &[Address],
    ) {
        let pending = dependencies.iter().any(|d| {
            self.changes
                .iter()
                .any(|(a, c)| a.is_within(d) && c.action != Action::NoOp)
        });
        let mut change = Change {
            address: instance.clone(),
            type_name: resource.type_name.clone(),
            provider: provider_key.to_string(),
            location: provider.location(),
            action: Action::NoOp,
            before: None,
            after: None,
            before_sensitive: Vec::new(),
            after_sensitive: Vec::new(),
            replace_paths: Vec::new(),
            reason: None,
            dependencies: dependencies.to_vec(),
            moved_from: None,
            importing: None,
            adopted: false,
            create_before_destroy: false,
            schema_version: schema.version,
        };
        if pending || config_value.contains_unknown() {
            let (plain, sensitive) = config_value.split_sensitive();
            change.action = Action::Read;
            change.reason = Some(Reason::ReadBecauseDependencyPending);
            change.after = Some(fill_computed(&plain, &schema.block, None));
            change.after_sensitive = sensitive;
            self.values.set_instance(instance, Value::Unknown);
            self.data_values.insert(instance.clone(), change);
            return;
        }
        let (plain, sensitive) = config_value.split_sensitive();
        match provider
            .read_data(ReadDataRequest {
                type_name: resource.type_name.clone(),
                config: plain,
            })
            .await
        {
            Ok(value) => {
                let mut sensitive = sensitive;
                sensitive.extend(schema.block.sensitive_paths(&value));
                let marked = value.clone().with_sensitive_paths(&sensitive);
                self.values.set_instance(instance, marked);
                change.after = Some(value);
                change.after_sensitive = sensitive;
                self.data_values.insert(instance.clone(), change);
            }
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(format!("cannot read data source: {e}"))
                        .with_span(Some(resource.span.clone()))
                        .with_address(instance),
                );
                self.values.set_instance(instance, Value::Unknown);
            }
        }
    }

    /// Reads the objects that `import` blocks adopt into instances of `resource`. An
    /// instance already in state is not imported again (the block is then a no-op); an
    /// instance the configuration does not have, an ID the provider rejects and an object
    /// that does not exist are errors pointing at the import block.
    async fn import_instances(
        &mut self,
        resource: &Resource,
        address: &Address,
        keys: &[Option<InstanceKey>],
        provider: &Arc<dyn Provider>,
        schema: &ResourceSchema,
    ) {
        if self.input.config.imports.is_empty() {
            return;
        }
        let mut diags = Diagnostics::new();
        let provider_key = self
            .input
            .graph
            .provider_key(&static_path(&address.module), resource);
        let targets =
            crate::imports::targets(&self.scope(None), address, &provider_key, &mut diags);
        for d in diags.iter() {
            let seen = format!(
                "{}|{}|{:?}",
                d.summary,
                d.detail.as_deref().unwrap_or(""),
                d.span
            );
            if self.import_diags_seen.insert(seen) {
                self.diags.push(d.clone());
            }
        }
        for target in targets {
            self.imports_taken.insert(target.address.clone());
            if !keys.contains(&target.address.key) {
                let known: Vec<String> = keys
                    .iter()
                    .map(|k| address.clone().with_key(k.clone()).to_string())
                    .collect();
                self.diags.push(
                    Diagnostic::error(format!(
                        "import target {} is not an instance of the configuration",
                        target.address
                    ))
                    .with_detail(format!("the instances are: {}", known.join(", ")))
                    .with_span(Some(target.span.clone()))
                    .with_address(&target.address),
                );
                continue;
            }
            if self.prior.contains_key(&target.address) {
                continue;
            }
            let format = schema
                .import_id
                .as_deref()
                .map(|f| format!("import ID format for {}: {f}", resource.type_name))
                .unwrap_or_else(|| format!("{} cannot be imported", resource.type_name));
            match provider
                .import(trellis_provider::ImportRequest {
                    type_name: resource.type_name.clone(),
                    id: target.id.clone(),
                })
                .await
            {
                Ok(Some(value)) => {
                    self.imported
                        .insert(target.address.clone(), (target.id.clone(), value));
                }
                Ok(None) => self.diags.push(
                    Diagnostic::error(format!(
                        "cannot import {}: no {} with ID {:?} exists",
                        target.address, resource.type_name, target.id
                    ))
                    .with_detail(format)
                    .with_span(Some(target.id_span.clone()))
                    .with_address(&target.address),
                ),
                Err(e) => self.diags.push(
                    Diagnostic::error(format!("cannot import {}: {e}", target.address))
                        .with_detail(format)
                        .with_span(Some(target.id_span.clone()))
                        .with_address(&target.address),
                ),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn managed_instance(
        &mut self,
        resource: &Resource,
        provider_key: &str,
        instance: &Address,
        provider: &Arc<dyn Provider>,
        schema: &ResourceSchema,
        config_value: Value,
        dependencies: &[Address],
    ) {
        let (config_plain, mut after_sensitive) = config_value.split_sensitive();
        let prior = self.prior.get(instance);
        let importing = self.imported.get(instance).cloned();
        let prior_value = prior
            .map(|p| p.value.clone())
            .or_else(|| importing.as_ref().map(|(_, v)| v.clone()));

        let mut planned = fill_computed(&config_plain, &schema.block, prior_value.as_ref());
        if let Some(prior_value) = &prior_value {
            keep_ignored(
                &mut planned,
                prior_value,
                &resource.lifecycle.ignore_changes,
            );
        }
        let prior_private = prior.and_then(|p| p.private.clone());
        let planned_response = self
            .plan_resource(
                provider,
                resource,
                instance,
                PlanResourceRequest {
                    type_name: resource.type_name.clone(),
                    prior: prior_value.clone(),
                    proposed: planned.clone(),
                    config: config_plain.clone(),
                    prior_private,
                },
            )
            .await;
        let (planned, mut planned_private, requires_replace) = match planned_response {
            Some(r) => (r.planned, r.planned_private, r.requires_replace),
            None => (planned, None, None),
        };

        after_sensitive.extend(schema.block.sensitive_paths(&planned));
        // What the provider computed from a sensitive input is sensitive too.
        let secrets = crate::taint::secrets(&planned, &after_sensitive);
        after_sensitive.extend(crate::taint::echo_paths(&planned, &secrets));
        after_sensitive.sort();
        after_sensitive.dedup();

        let mut change = Change {
            address: instance.clone(),
            type_name: resource.type_name.clone(),
            provider: provider_key.to_string(),
            location: provider.location(),
            action: Action::Create,
            before: prior_value.clone(),
            after: Some(planned.clone()),
            before_sensitive: match (prior, &importing) {
                (Some(p), _) => p.sensitive_paths.clone(),
                (None, Some((_, v))) => schema.block.sensitive_paths(v),
                (None, None) => Vec::new(),
            },
            after_sensitive,
            replace_paths: Vec::new(),
            reason: None,
            dependencies: dependencies.to_vec(),
            moved_from: None,
            importing: importing.map(|(id, _)| id),
            adopted: false,
            create_before_destroy: resource.lifecycle.create_before_destroy,
            schema_version: schema.version,
        };

        if let Some(prior_value) = &prior_value {
            let changed = diff_paths(prior_value, &planned);
            // A plugin says which paths force replacement; for the others the schema's
            // force-new attributes do.
            let replace_paths: Vec<Path> = match requires_replace {
                Some(paths) => paths,
                None => changed
                    .iter()
                    .filter(|p| schema.block.is_force_new(p))
                    .cloned()
                    .collect(),
            };
            let by_request = self
                .input
                .options
                .replace
                .iter()
                .any(|r| instance.is_within(r));
            let triggers = self.triggered_by(resource, &instance.module);
            if !replace_paths.is_empty() || by_request || !triggers.is_empty() {
                change.action = if resource.lifecycle.create_before_destroy {
                    Action::CreateThenDelete
                } else {
                    Action::DeleteThenCreate
                };
                change.reason = Some(if by_request {
                    Reason::ReplaceByRequest
                } else if !replace_paths.is_empty() {
                    Reason::ReplaceBecauseCannotUpdate
                } else {
                    Reason::ReplaceByTriggers { triggers }
                });
                change.replace_paths = replace_paths;
                // A new object: computed attributes are known only after apply. The
                // provider plans the create as it would from nothing, as Terraform asks.
                let proposed = fill_computed(&config_plain, &schema.block, None);
                let create = self
                    .plan_resource(
                        provider,
                        resource,
                        instance,
                        PlanResourceRequest {
                            type_name: resource.type_name.clone(),
                            prior: None,
                            proposed: proposed.clone(),
                            config: config_plain.clone(),
                            prior_private: None,
                        },
                    )
                    .await;
                let (after, private) = match create {
                    Some(r) if r.requires_replace.is_some() => (r.planned, r.planned_private),
                    // A native provider plans a replacement's create as before: the
                    // configuration with every computed attribute unknown.
                    _ => (proposed, None),
                };
                change.after = Some(after);
                planned_private = private;
            } else if changed.is_empty() {
                change.action = Action::NoOp;
            } else {
                change.action = Action::Update;
            }
        }

        if let Some(private) = planned_private.filter(|_| change.action != Action::NoOp) {
            self.planned_private.insert(instance.clone(), private);
        }
        let exposed = match change.action {
            Action::NoOp => prior_value.unwrap_or(planned),
            _ => change.after.clone().unwrap_or(Value::Null),
        };
        let exposed = exposed.with_sensitive_paths(&change.after_sensitive);
        self.values.set_instance(instance, exposed);
        self.changes.insert(instance.clone(), change);
    }

    /// Plans one instance through its provider; the provider's diagnostics are reported at
    /// the attributes they name. `None` when the provider failed (reported).
    async fn plan_resource(
        &mut self,
        provider: &Arc<dyn Provider>,
        resource: &Resource,
        instance: &Address,
        request: PlanResourceRequest,
    ) -> Option<trellis_provider::PlanResourceResponse> {
        match provider.plan_resource(request).await {
            Ok(response) => {
                let file = self.file(&resource.file);
                for d in &response.diagnostics {
                    let mut diag = if d.warning {
                        Diagnostic::warning(d.summary.clone())
                    } else {
                        Diagnostic::error(d.summary.clone())
                    };
                    if let Some(detail) = &d.detail {
                        diag = diag.with_detail(detail.clone());
                    }
                    let span = attribute_span(resource, &d.path, file);
                    self.diags.push(diag.with_span(span).with_address(instance));
                }
                Some(response)
            }
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(format!("cannot plan {instance}: {e}"))
                        .with_span(Some(resource.span.clone()))
                        .with_address(instance),
                );
                None
            }
        }
    }

    /// The `replace_triggered_by` references whose resources change in this plan.
    fn triggered_by(&self, resource: &Resource, module: &[ModuleStep]) -> Vec<String> {
        let file = self.file(&resource.file);
        let mut out = Vec::new();
        for expr in &resource.lifecycle.replace_triggered_by {
            for r in trellis_eval::expr_references(expr, file) {
                if let trellis_eval::RefKind::Resource {
                    mode: Mode::Managed,
                    type_name,
                    name,
                    ..
                } = &r.kind
                {
                    let mut target = Address::managed(type_name, name);
                    target.module = module.to_vec();
                    let changes = self.changes.iter().any(|(a, c)| {
                        a.is_within(&target) && !matches!(c.action, Action::NoOp | Action::Read)
                    });
                    if changes {
                        out.push(target.to_string());
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The root module's `check` blocks, once every value they can refer to is planned.
    fn checks(&mut self, phase: crate::checks::CheckPhase) {
        let config = self.input.config;
        let found =
            crate::checks::evaluate_checks(config, self.input.sources, &self.scope(None), phase);
        self.diags.extend(found);
    }

    fn output(&mut self, name: &str) {
        let output = &self.input.config.outputs[name];
        let file = self.file(&output.file);
        let value = match eval_expr(&output.value, &self.scope(None), file) {
            Ok(v) => v,
            Err(d) => {
                self.diags.extend(d);
                return;
            }
        };
        if value.contains_sensitive() && !output.sensitive {
            self.diags.push(
                Diagnostic::error(format!("output {name:?} refers to sensitive values"))
                    .with_detail("set sensitive = true in the output block to confirm that it may hold secrets")
                    .with_span(Some(output.span.clone())),
            );
            return;
        }
        let after = value.strip_marks();
        let before = self.input.state.outputs.get(name).map(|o| o.value.clone());
        let action = match &before {
            None => Action::Create,
            Some(b) if *b == after && !after.contains_unknown() => Action::NoOp,
            Some(_) => Action::Update,
        };
        self.outputs.push(OutputChange {
            name: name.to_string(),
            action,
            before,
            after: Some(after),
            sensitive: output.sensitive,
        });
    }

    /// Instances in state that the walk did not plan: deletes.
    fn orphans(&mut self) {
        let config = self.input.config;
        for (address, record) in self.prior {
            if self.changes.contains_key(address) {
                continue;
            }
            let resource_address = address.resource();
            if !address.module.is_empty() && !self.known_instances.contains(&address.module) {
                // The module instance is gone when the call that would make it was
                // expanded without it (or is no longer declared); otherwise it could not be
                // planned (an error was reported) and is kept.
                if self.module_instance_removed(&address.module) {
                    let change =
                        delete_change(record, Reason::DeleteBecauseNoModule, self.input.providers);
                    self.changes
                        .insert(address.clone(), forget_if_removed(config, change));
                }
                continue;
            }
            let in_config = lookup_resource(config, &self.index, &resource_address).map(|(_, r)| r);
            let reason = match (in_config, &address.key) {
                (None, _) => Reason::DeleteBecauseNoResourceConfig,
                (Some(_), Some(InstanceKey::Int(_))) => Reason::DeleteBecauseCountIndex,
                (Some(_), Some(InstanceKey::Str(_))) => Reason::DeleteBecauseEachKey,
                (Some(r), None) if r.count.is_some() || r.for_each.is_some() => {
                    Reason::DeleteBecauseCountIndex
                }
                (Some(_), None) => {
                    // The resource could not be planned (an error was reported); keep it.
                    continue;
                }
            };
            if in_config.is_some() && !self.visited.contains(&resource_address) {
                continue;
            }
            let change = delete_change(record, reason, self.input.providers);
            self.changes
                .insert(address.clone(), forget_if_removed(config, change));
        }
        for (name, old) in &self.input.state.outputs {
            if !config.outputs.contains_key(name) {
                self.outputs.push(OutputChange {
                    name: name.clone(),
                    action: Action::Delete,
                    before: Some(old.value.clone()),
                    after: None,
                    sensitive: old.sensitive,
                });
            }
        }
    }

    /// Whether the module instance `module` (not known to the walk) no longer exists: the
    /// first of its steps the walk does not know belongs to a call that is not declared, or
    /// that the walk expanded without it.
    fn module_instance_removed(&self, module: &[ModuleStep]) -> bool {
        for i in 0..module.len() {
            if self.known_instances.contains(&module[..=i]) {
                continue;
            }
            let caller = &module[..i];
            let declared = self
                .input
                .config
                .module(&static_path(caller))
                .is_some_and(|c| c.modules.contains_key(&module[i].name));
            return !declared
                || self
                    .expanded_calls
                    .contains(&(caller.to_vec(), module[i].name.clone()));
        }
        false
    }

    /// `plan -destroy`: every instance in state is deleted.
    fn destroy_all(&mut self) {
        for record in self.prior.values() {
            self.changes.insert(
                record.address.clone(),
                delete_change(record, Reason::DeleteBecauseDestroy, self.input.providers),
            );
        }
        for (name, old) in &self.input.state.outputs {
            self.outputs.push(OutputChange {
                name: name.clone(),
                action: Action::Delete,
                before: Some(old.value.clone()),
                after: None,
                sensitive: old.sensitive,
            });
        }
    }
}

/// One delete per deposed object in state, in every plan (a destroy plan too), within the
/// targets when there are targets. A deposed object that is also the current object of its
/// address (same ID) is a depose that a store without atomic batches did not finish (its
/// removal of the current record was lost): it is not deleted, the current record wins.
fn deposed_changes(input: &PlanInput<'_>) -> Vec<Change> {
    let id = |v: &Value| v.get("id").and_then(Value::as_str).map(str::to_string);
    let targets = &input.options.targets;
    let mut out = Vec::new();
    for deposed in input.state.deposed_objects() {
        let object = &deposed.object;
        if !targets.is_empty() && !targets.iter().any(|t| object.address.is_within(t)) {
            continue;
        }
        let current = input.state.resources.get(&object.address);
        if current.is_some_and(|c| id(&c.value).is_some() && id(&c.value) == id(&object.value)) {
            continue;
        }
        let reason = Reason::DeleteBecauseDeposed {
            key: deposed.key.clone(),
        };
        out.push(delete_change(object, reason, input.providers));
    }
    out
}

/// The delete of an instance that the configuration no longer has, turned into a forget
/// when a `removed` block for it says `lifecycle { destroy = false }`.
fn forget_if_removed(config: &Config, mut change: Change) -> Change {
    let address = &change.address;
    let module: Vec<String> = address.module.iter().map(|s| s.name.clone()).collect();
    let keep = config
        .removed
        .iter()
        .find(|r| r.covers(&module, &address.type_name, &address.name))
        .is_some_and(|r| !r.destroy);
    if keep {
        change.action = Action::Forget;
        change.reason = None;
    }
    change
}

fn delete_change(record: &ResourceState, reason: Reason, providers: &Providers) -> Change {
    Change {
        address: record.address.clone(),
        type_name: record.type_name.clone(),
        provider: record.provider.clone(),
        location: providers.get(&record.provider).and_then(|p| p.location()),
        action: Action::Delete,
        before: Some(record.value.clone()),
        after: None,
        before_sensitive: record.sensitive_paths.clone(),
        after_sensitive: Vec::new(),
        replace_paths: Vec::new(),
        reason: Some(reason),
        dependencies: record.dependencies.clone(),
        moved_from: None,
        importing: None,
        adopted: false,
        create_before_destroy: record.create_before_destroy,
        schema_version: record.schema_version,
    }
}

/// Where each resource block of a configuration is: by static address (no instance key,
/// module keys removed), its module's static path and its position in that module's
/// `resources`.
pub type ResourceIndex = HashMap<Address, (ModPath, usize)>;

/// The [`ResourceIndex`] of `config` and the modules it calls.
pub fn resource_index(config: &Config) -> ResourceIndex {
    let mut out = HashMap::new();
    for (path, module) in config.all_modules() {
        for (i, r) in module.resources.iter().enumerate() {
            out.insert(
                crate::graph::static_resource_address(&path, r),
                (path.clone(), i),
            );
        }
    }
    out
}

/// The module configuration and the resource block that `address` (an instance, or a
/// resource in any module instance) belongs to.
pub fn lookup_resource<'c>(
    config: &'c Config,
    index: &ResourceIndex,
    address: &Address,
) -> Option<(&'c Config, &'c Resource)> {
    let found = if address.key.is_none() && address.module.is_empty() {
        index.get(address)
    } else {
        index.get(&static_address(address))
    };
    let (path, i) = found?;
    let module = config.module(path)?;
    Some((module, module.resources.get(*i)?))
}

/// `-target`, `prevent_destroy`, and checks over the whole set of changes.
fn finish(input: &PlanInput<'_>, changes: &mut BTreeMap<Address, Change>, diags: &mut Diagnostics) {
    if !input.options.targets.is_empty() {
        // Targets and everything they depend on, transitively.
        let mut keep: BTreeSet<Address> = BTreeSet::new();
        let mut stack: Vec<Address> = input
            .options
            .targets
            .iter()
            .map(Address::resource)
            .collect();
        // Each resource's dependencies (over its instances), gathered once.
        let mut depends: BTreeMap<Address, Vec<&Address>> = BTreeMap::new();
        for c in changes.values() {
            depends
                .entry(c.address.resource())
                .or_default()
                .extend(c.dependencies.iter());
        }
        while let Some(next) = stack.pop() {
            if !keep.insert(next.clone()) {
                continue;
            }
            if let Some(deps) = depends.get(&next) {
                stack.extend(deps.iter().map(|a| (*a).clone()));
            }
        }
        let targeted = |a: &Address| {
            input.options.targets.iter().any(|t| a.is_within(t)) || keep.contains(&a.resource())
        };
        changes.retain(|a, _| targeted(a));
    }
    let index = resource_index(input.config);
    for change in changes.values() {
        let destroys = matches!(
            change.action,
            Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete
        );
        if !destroys {
            continue;
        }
        if let Some((_, r)) = lookup_resource(input.config, &index, &change.address) {
            if r.lifecycle.prevent_destroy {
                diags.push(
                    Diagnostic::error(format!("instance {} cannot be destroyed", change.address))
                        .with_detail("the resource has lifecycle.prevent_destroy set; remove it, or change the plan so that it does not destroy this object")
                        .with_span(Some(r.span.clone()))
                        .with_address(&change.address),
                );
            }
        }
    }
}

/// `lifecycle { ignore_changes }`: the ignored attributes keep their values from `prior`.
fn keep_ignored(planned: &mut Value, prior: &Value, ignore: &IgnoreChanges) {
    match ignore {
        IgnoreChanges::None => {}
        IgnoreChanges::All => *planned = prior.clone(),
        IgnoreChanges::Paths(paths) => {
            for path in paths {
                planned.set_path(path, prior.get_path(path).cloned().unwrap_or(Value::Null));
            }
        }
    }
}

/// The planned value of a resource: configured attributes, computed ones carried over from
/// `prior` (or unknown when there is none), defaults where the configuration is silent.
pub fn fill_computed(config: &Value, schema: &Block, prior: Option<&Value>) -> Value {
    if config.is_unknown() {
        return Value::Unknown;
    }
    let empty = BTreeMap::new();
    let map = config.as_map().unwrap_or(&empty);
    let mut out = BTreeMap::new();
    for (name, attribute) in &schema.attributes {
        let configured = map.get(name).cloned().unwrap_or(Value::Null);
        let old = prior.and_then(|p| p.get(name));
        let value = if !configured.is_null() {
            configured
        } else if attribute.computed {
            match old {
                Some(v) if !v.is_null() || !attribute.optional => v.clone(),
                Some(_) => Value::Unknown,
                None => match &attribute.default {
                    Some(d) => d.clone(),
                    None => Value::Unknown,
                },
            }
        } else if let Some(default) = &attribute.default {
            default.clone()
        } else {
            Value::Null
        };
        out.insert(name.clone(), value);
    }
    for (name, nested) in &schema.blocks {
        let configured = map.get(name).cloned().unwrap_or(Value::Null);
        let old = prior.and_then(|p| p.get(name));
        let value = match configured.unmarked() {
            Value::Map(_) => fill_computed(&configured, &nested.block, old),
            Value::List(items) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let old_item = old.and_then(|o| o.as_list()).and_then(|l| l.get(i));
                        fill_computed(item, &nested.block, old_item)
                    })
                    .collect(),
            ),
            // A computed block that the configuration leaves out keeps the prior value
            // (null when the prior has none), or is known only after a create.
            Value::Null if nested.computed => match (prior, old) {
                (Some(_), Some(old)) => old.clone(),
                (Some(_), None) => Value::Null,
                (None, _) => Value::Unknown,
            },
            _ => configured,
        };
        out.insert(name.clone(), value);
    }
    Value::Map(out)
}

/// The paths at which `before` and `after` differ: the leaves of maps and objects; lists are
/// compared whole unless they have the same length.
pub fn diff_paths(before: &Value, after: &Value) -> Vec<Path> {
    let mut out = Vec::new();
    diff_into(before, after, &mut Path::root(), &mut out);
    out
}

fn diff_into(before: &Value, after: &Value, at: &mut Path, out: &mut Vec<Path>) {
    match (before.unmarked(), after.unmarked()) {
        (_, Value::Unknown) => out.push(at.clone()),
        (Value::Map(a), Value::Map(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let x = a.get(k).unwrap_or(&Value::Null);
                let y = b.get(k).unwrap_or(&Value::Null);
                at.push(PathStep::Key(k.clone()));
                diff_into(x, y, at, out);
                at.pop();
            }
        }
        (Value::List(a), Value::List(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                at.push(PathStep::Index(i));
                diff_into(x, y, at, out);
                at.pop();
            }
        }
        (a, b) => {
            if !values_equal(a, b) {
                out.push(at.clone());
            }
        }
    }
}

/// Equality where an empty list or map equals null (providers often return one for the other).
fn values_equal(a: &Value, b: &Value) -> bool {
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    };
    a == b || (empty(a) && empty(b))
}

/// The span of an expression, through the file it is in.
fn resource_expr_span(
    expr: &trellis_config::Expression,
    file: &SourceFile,
) -> Option<trellis_types::Span> {
    hcl_edit::Span::span(expr).map(|r| file.span(r.start, r.end))
}

/// The span of the attribute at `path` in a resource body, following nested blocks
/// (`config.health_check.port`, `target[1].id`) as deep as the body spells them out: the
/// attribute's value, else the innermost block on the path, else the resource block.
fn attribute_span(
    resource: &Resource,
    path: &Path,
    file: &SourceFile,
) -> Option<trellis_types::Span> {
    body_span(&resource.body, path.steps(), file).or_else(|| Some(resource.span.clone()))
}

/// The span of `steps` inside `body`, or `None` when its first step is not written there.
fn body_span(
    body: &hcl_edit::structure::Body,
    steps: &[trellis_types::PathStep],
    file: &SourceFile,
) -> Option<trellis_types::Span> {
    use trellis_types::PathStep;
    let (name, rest) = match steps.split_first() {
        Some((PathStep::Key(name), rest)) => (name.as_str(), rest),
        _ => return None,
    };
    // An index right after a block name picks one of the repeated blocks of that name.
    let (index, rest) = match rest.split_first() {
        Some((PathStep::Index(i), rest)) => (*i, rest),
        _ => (0, rest),
    };
    let span = |range: Option<std::ops::Range<usize>>| range.map(|r| file.span(r.start, r.end));
    let mut seen = 0;
    for structure in body.iter() {
        match structure {
            hcl_edit::structure::Structure::Attribute(a) if a.key.as_str() == name => {
                return span(hcl_edit::Span::span(&a.value));
            }
            hcl_edit::structure::Structure::Block(b) if b.ident.as_str() == name => {
                if seen == index {
                    return body_span(&b.body, rest, file)
                        .or_else(|| span(hcl_edit::Span::span(b)));
                }
                seen += 1;
            }
            _ => {}
        }
    }
    None
}

/// Values of a plan's resources for evaluation at apply: state values, plus data sources read
/// during plan.
pub fn values_for_apply(plan: &Plan, state: &State) -> Values {
    let mut values = Values {
        variables: plan.variables.clone(),
        ..Values::default()
    };
    for record in state.resources.values() {
        values.set_instance(
            &record.address,
            record
                .value
                .clone()
                .with_sensitive_paths(&record.sensitive_paths),
        );
    }
    // What the plan's refresh found is what exists now (apply records it too).
    for drift in &plan.drift {
        if let (Some(after), Some(record)) = (&drift.after, state.resources.get(&drift.address)) {
            values.set_instance(
                &drift.address,
                after.clone().with_sensitive_paths(&record.sensitive_paths),
            );
        }
    }
    for change in &plan.changes {
        if change.address.mode == Mode::Data {
            let value = match (&change.action, &change.after) {
                (Action::NoOp, Some(v)) => v.clone().with_sensitive_paths(&change.after_sensitive),
                _ => Value::Unknown,
            };
            values.set_instance(&change.address, value);
        }
    }
    values
}

/// One instance evaluated again at apply time (see [`evaluate_for_apply`]).
#[derive(Debug, Clone)]
pub struct ApplyValues {
    /// The configuration, shaped by the schema, without sensitive marks (what plan time
    /// hands a data source read, and a provider's apply as its configuration).
    pub config: Value,
    /// What the engine proposes before the provider plans: the configuration with computed
    /// attributes unknown or carried over from `prior`, and ignored changes kept.
    pub proposed: Value,
}

/// Evaluates one instance again at apply time, with the values its finished dependencies
/// now know. The provider is not called: the caller plans `proposed` through it.
pub fn evaluate_for_apply(
    scope: &EvalScope<'_>,
    resource: &Resource,
    key: Option<&InstanceKey>,
    schema: &ResourceSchema,
    prior: Option<&Value>,
) -> Result<ApplyValues, Diagnostics> {
    let file = scope.sources.get(&resource.file).ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(format!(
            "source file {} is missing",
            resource.file
        )))
    })?;
    let key_context = match key {
        None => None,
        Some(InstanceKey::Int(i)) => Some(KeyContext::Count(*i)),
        Some(InstanceKey::Str(k)) => {
            let each_value = match &resource.for_each {
                Some(expr) => {
                    let all = eval_expr(expr, scope, file)?;
                    match all.unmarked() {
                        Value::Map(map) => map.get(k).cloned().unwrap_or(Value::Null),
                        _ => Value::string(k),
                    }
                }
                None => Value::string(k),
            };
            Some(KeyContext::Each(Value::string(k), each_value))
        }
    };
    let evaluated = eval_body(
        &resource.body,
        META_ARGUMENTS,
        &scope.with_key(key_context),
        file,
    )?;
    let shaped = shape(&evaluated, &schema.block).map_err(|errors| {
        Diagnostics(
            errors
                .into_iter()
                .map(|(path, message)| {
                    Diagnostic::error(format!("invalid value for {path}")).with_detail(message)
                })
                .collect(),
        )
    })?;
    let config_plain = shaped.strip_marks();
    let mut planned = fill_computed(&config_plain, &schema.block, prior);
    if let Some(prior) = prior {
        keep_ignored(&mut planned, prior, &resource.lifecycle.ignore_changes);
    }
    Ok(ApplyValues {
        config: config_plain,
        proposed: planned,
    })
}
