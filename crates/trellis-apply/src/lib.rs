//! The trellis executor: applies an immutable [`Plan`] to the world through providers.
//!
//! Each change becomes one or two operations (a replace is a delete and a create). Creates,
//! updates and reads wait for the creates and updates of what they depend on; deletes wait
//! for the deletes of what depends on them. A pool of at most `parallelism` operations runs
//! every operation whose predecessors are done. A failure skips the operations that depend
//! on it and lets the others finish.
//!
//! State is written through [`StateStore`] one record per operation, as each operation
//! completes ([`writer`] groups the writes of operations that complete together into one
//! durable batch). Before every create an intent (address, idempotency token, planned value) is
//! recorded, so that a run that dies between the call and the record leaves something the
//! next run settles instead of creating a duplicate.
//!
//! This crate does not plan, does not check that a plan is current (the caller does, under
//! the state lock), and never prints: progress goes to an [`ApplyEvent`] callback.

mod writer;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use tokio::sync::watch;
use tokio::task::JoinSet;
use trellis_config::Config;
use trellis_plan::planner::{evaluate_for_apply, values_for_apply};
use trellis_plan::providers::Providers;
use trellis_plan::scope::{EvalScope, Files, Values};
use trellis_plan::{Action, ApplyEvent, ApplySummary, Change, OutputValue, Plan};
use trellis_provider::{
    ApplyChangeRequest, ErrorKind, PlanResourceRequest, Private, Provider, ProviderError,
    ReadDataRequest,
};
use trellis_state::{
    DeposedObject, Intent, OutputState, ResourceState, State, StateStore, StateWrite,
};
use trellis_types::{Address, Diagnostic, Mode, SourceMap, Value};

/// Receives progress. Called from several tasks; must be cheap.
pub type EventSink = Arc<dyn Fn(ApplyEvent) + Send + Sync>;

/// Everything an apply needs.
pub struct ApplyInput {
    pub plan: Arc<Plan>,
    pub config: Arc<Config>,
    pub sources: Arc<SourceMap>,
    /// The state the plan was checked against (loaded under the lock).
    pub state: State,
    pub store: Arc<dyn StateStore>,
    pub providers: Providers,
    pub files: Arc<dyn Files>,
    pub parallelism: usize,
    pub events: EventSink,
    /// Becomes true when the user asks to stop: no new operation starts.
    pub interrupt: watch::Receiver<bool>,
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Create,
    Update,
    Delete,
    Read,
    /// A state-only change: moved, imported or adopted with nothing else to do.
    Record,
    /// The record leaves the state; the object stays, and no provider is called.
    Forget,
}

struct Op {
    change: usize,
    kind: OpKind,
    /// Operations that must finish first.
    waits_for: Vec<usize>,
}

/// Splits changes into operations and orders them.
fn operations(changes: &[Change]) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::new();
    // Per resource (no key): the operations that create/update/read it, and that delete it.
    let mut forward: HashMap<Address, Vec<usize>> = HashMap::new();
    let mut deletes: HashMap<usize, usize> = HashMap::new();
    let mut creates: HashMap<usize, usize> = HashMap::new();
    for (i, change) in changes.iter().enumerate() {
        if !change.has_work() {
            continue;
        }
        let push = |kind: OpKind, ops: &mut Vec<Op>| {
            ops.push(Op {
                change: i,
                kind,
                waits_for: Vec::new(),
            });
            ops.len() - 1
        };
        match change.action {
            Action::NoOp => {
                let op = push(OpKind::Record, &mut ops);
                forward
                    .entry(change.address.resource())
                    .or_default()
                    .push(op);
            }
            Action::Create | Action::Update | Action::Read => {
                let kind = match change.action {
                    Action::Create => OpKind::Create,
                    Action::Update => OpKind::Update,
                    _ => OpKind::Read,
                };
                let op = push(kind, &mut ops);
                forward
                    .entry(change.address.resource())
                    .or_default()
                    .push(op);
                if kind == OpKind::Create {
                    creates.insert(i, op);
                }
            }
            Action::Delete => {
                let op = push(OpKind::Delete, &mut ops);
                deletes.insert(i, op);
            }
            Action::Forget => {
                push(OpKind::Forget, &mut ops);
            }
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                let d = push(OpKind::Delete, &mut ops);
                let c = push(OpKind::Create, &mut ops);
                deletes.insert(i, d);
                creates.insert(i, c);
                forward
                    .entry(change.address.resource())
                    .or_default()
                    .push(c);
                if change.action == Action::DeleteThenCreate {
                    ops[c].waits_for.push(d);
                } else {
                    ops[d].waits_for.push(c);
                }
            }
        }
    }
    // Forward operations wait for the forward operations of their dependencies.
    for op in 0..ops.len() {
        if ops[op].kind == OpKind::Delete {
            continue;
        }
        let change = &changes[ops[op].change];
        let mut waits = Vec::new();
        for dep in &change.dependencies {
            if let Some(list) = forward.get(&dep.resource()) {
                waits.extend(list.iter().copied().filter(|o| *o != op));
            }
        }
        ops[op].waits_for.extend(waits);
    }
    // Deletes wait for the deletes of what depends on them; the delete half of a
    // create-before-destroy also waits for the forward operations of its dependents, which
    // move off the old object first.
    let mut dependents: HashMap<Address, Vec<usize>> = HashMap::new();
    for (i, change) in changes.iter().enumerate() {
        for dep in &change.dependencies {
            dependents.entry(dep.resource()).or_default().push(i);
        }
    }
    for (&change_index, &op) in &deletes {
        let change = &changes[change_index];
        let Some(users) = dependents.get(&change.address.resource()) else {
            continue;
        };
        for &user in users {
            if user == change_index {
                continue;
            }
            if let Some(&d) = deletes.get(&user) {
                ops[op].waits_for.push(d);
            }
            if change.action == Action::CreateThenDelete || change.deposed().is_some() {
                if let Some(list) = forward.get(&changes[user].address.resource()) {
                    ops[op].waits_for.extend(list.iter().copied());
                }
            }
        }
    }
    // A deposed object is deleted after the forward operations of its own resource too (a
    // replacement created in this run, as for the delete half of a create-before-destroy).
    for (&change_index, &op) in &deletes {
        let change = &changes[change_index];
        if change.deposed().is_none() {
            continue;
        }
        if let Some(list) = forward.get(&change.address.resource()) {
            ops[op].waits_for.extend(list.iter().copied());
        }
    }
    let _ = creates;
    for op in &mut ops {
        op.waits_for.sort_unstable();
        op.waits_for.dedup();
    }
    ops
}

/// Resources with `count` or `for_each` that have no instance in the plan or in state have
/// none at all: expressions see an empty list or map, not an unknown value (which would make
/// a `for_each` over them unknown at apply time although the plan knew it).
fn with_empty_expansions(mut values: Values, config: &Config, plan: &Plan) -> Values {
    use trellis_plan::scope::Instances;
    // The root module, and every module instance the plan touches.
    let mut instances: Vec<(Vec<trellis_types::ModuleStep>, &Config)> = vec![(Vec::new(), config)];
    let mut seen = std::collections::HashSet::new();
    for change in &plan.changes {
        let module = &change.address.module;
        if module.is_empty() || !seen.insert(module.clone()) {
            continue;
        }
        if let Some(c) = config.module(&trellis_plan::modules::static_path(module)) {
            instances.push((module.clone(), c));
        }
    }
    // The resources (instance keys dropped) that the plan has a change for, found once: a
    // scan of the changes per resource would make this quadratic in the size of the plan.
    let planned: std::collections::HashSet<Address> =
        plan.changes.iter().map(|c| c.address.resource()).collect();
    for (module, module_config) in instances {
        for resource in &module_config.resources {
            let empty = if resource.count.is_some() {
                Instances::Count(Vec::new())
            } else if resource.for_each.is_some() {
                Instances::ForEach(BTreeMap::new())
            } else {
                continue;
            };
            let mut address = resource.address();
            address.module = module.clone();
            if values.resources.contains_key(&address) || planned.contains(&address) {
                continue;
            }
            values.resources.insert(address, empty);
        }
    }
    values
}

/// Applies the plan. Never fails as a whole: failures are in the summary.
pub async fn apply(input: ApplyInput) -> ApplySummary {
    let plan = input.plan.clone();
    let ops = operations(&plan.changes);
    let shared = Arc::new(Shared {
        values: RwLock::new(with_empty_expansions(
            values_for_apply(&plan, &input.state),
            &input.config,
            &plan,
        )),
        config: input.config.clone(),
        sources: input.sources.clone(),
        files: input.files.clone(),
        store: input.store.clone(),
        writer: writer::Writer::start(input.store.clone()),
        providers: input.providers.clone(),
        events: input.events.clone(),
        intents: input.state.intents.clone(),
        lineage: input.state.meta.lineage.clone(),
        counter: AtomicU64::new(0),
        index: trellis_plan::planner::resource_index(&input.config),
        private: recorded_private(&plan, &input.state),
        planned_private: plan.planned_private.clone(),
        deposing: deposing(&plan, &input.state),
        deposed_taken: input
            .state
            .deposed
            .iter()
            .map(|(a, by_key)| (a.clone(), by_key.keys().cloned().collect()))
            .collect(),
        deposed_keys: Mutex::new(HashMap::new()),
    });

    let mut summary = ApplySummary::default();
    // Drift that the plan showed on objects it leaves alone: their refreshed values are
    // recorded, so that the next plan starts from what exists (as Terraform's apply does)
    // instead of showing the same drift again.
    let refreshed = refreshed_records(&plan, &input.state);
    if !refreshed.is_empty() {
        if let Err(e) = shared.writer.write(refreshed).await {
            summary.errors.push(Diagnostic::error(format!(
                "cannot record refreshed values: {e}"
            )));
        }
    }

    let mut remaining: Vec<usize> = ops.iter().map(|o| o.waits_for.len()).collect();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
    for (i, op) in ops.iter().enumerate() {
        for &w in &op.waits_for {
            next[w].push(i);
        }
    }
    let mut ready: VecDeque<usize> = (0..ops.len()).filter(|i| remaining[*i] == 0).collect();
    let mut state_of: Vec<OpState> = vec![OpState::Waiting; ops.len()];
    let mut running = JoinSet::new();
    let parallelism = input.parallelism.max(1);
    let interrupt = input.interrupt.clone();

    loop {
        let interrupted = *interrupt.borrow();
        while !interrupted && running.len() < parallelism {
            let Some(op) = ready.pop_front() else { break };
            state_of[op] = OpState::Running;
            let shared = shared.clone();
            let change = plan.changes[ops[op].change].clone();
            let kind = ops[op].kind;
            running.spawn(async move { (op, run(&shared, &change, kind).await) });
        }
        if running.is_empty() {
            break;
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (op, result) = match joined {
            Ok(pair) => pair,
            Err(e) => {
                summary
                    .errors
                    .push(Diagnostic::error(format!("an operation panicked: {e}")));
                summary.failed += 1;
                continue;
            }
        };
        let change = &plan.changes[ops[op].change];
        match result {
            Ok(outcome) => {
                state_of[op] = OpState::Done;
                match outcome {
                    Outcome::Created => summary.added += 1,
                    Outcome::Updated => summary.changed += 1,
                    Outcome::Deleted => summary.destroyed += 1,
                    Outcome::Forgotten => summary.forgotten += 1,
                    Outcome::Imported => summary.imported += 1,
                    Outcome::ImportedAndUpdated => {
                        summary.imported += 1;
                        summary.changed += 1;
                    }
                    Outcome::Other => {}
                }
                for &n in &next[op] {
                    remaining[n] -= 1;
                    if remaining[n] == 0 && state_of[n] == OpState::Waiting {
                        ready.push_back(n);
                    }
                }
            }
            Err(diagnostic) => {
                state_of[op] = OpState::Failed;
                summary.failed += 1;
                summary.errors.push(diagnostic);
                // Skip everything that (transitively) waits for this operation.
                let mut stack = next[op].clone();
                while let Some(n) = stack.pop() {
                    if state_of[n] != OpState::Waiting {
                        continue;
                    }
                    state_of[n] = OpState::Skipped;
                    summary.skipped += 1;
                    let skipped = &plan.changes[ops[n].change];
                    (shared.events)(ApplyEvent::Skipped {
                        address: skipped.address.clone(),
                        action: op_action(ops[n].kind),
                        because: change.address.clone(),
                    });
                    stack.extend(next[n].iter().copied());
                }
            }
        }
    }
    if *interrupt.borrow() {
        tracing::info!("apply interrupted: no new operation was started after the interrupt");
        let not_started = state_of.iter().filter(|s| **s == OpState::Waiting).count();
        if not_started > 0 {
            summary.interrupted = true;
            summary.not_started = not_started;
        }
    }

    let outputs = evaluate_outputs(&shared, &plan, summary.failed == 0 && !summary.interrupted);
    if !plan.options.destroy {
        summary.warnings = evaluate_checks(&shared);
    }
    match shared.store.put_outputs(&outputs) {
        Ok(()) => {}
        Err(e) => summary
            .errors
            .push(Diagnostic::error(format!("cannot record outputs: {e}"))),
    }
    summary.outputs = outputs
        .into_iter()
        .map(|(k, o)| {
            (
                k,
                OutputValue {
                    value: o.value,
                    sensitive: o.sensitive,
                },
            )
        })
        .collect();
    summary
}

/// State records for the objects that the plan does not change but that refresh saw anew:
/// drifted values, and provider private data (for example AWS's last-modified stamps, which
/// let later refreshes skip unchanged objects). Objects that are gone are planned as
/// creates, and changed objects are recorded by their own operation.
fn refreshed_records(plan: &Plan, state: &State) -> Vec<StateWrite> {
    let untouched: HashSet<&Address> = plan
        .changes
        .iter()
        .filter(|c| !c.has_work())
        .map(|c| &c.address)
        .collect();
    let drifted: HashMap<&Address, &Value> = plan
        .drift
        .iter()
        .filter_map(|d| Some((&d.address, d.after.as_ref()?)))
        .collect();
    let addresses: BTreeSet<&Address> = drifted
        .keys()
        .copied()
        .chain(plan.refreshed_private.keys())
        .filter(|a| untouched.contains(a))
        .collect();
    addresses
        .into_iter()
        .filter_map(|address| {
            let mut record = state.resources.get(address)?.clone();
            if let Some(value) = drifted.get(address) {
                record.value = (*value).clone();
            }
            if let Some(private) = plan.refreshed_private.get(address) {
                record.private = (!private.is_null()).then(|| private.clone());
            }
            Some(StateWrite::PutResource(record))
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpState {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

enum Outcome {
    Created,
    Updated,
    Deleted,
    Forgotten,
    Imported,
    /// An import with an update on top.
    ImportedAndUpdated,
    Other,
}

struct Shared {
    values: RwLock<Values>,
    config: Arc<Config>,
    sources: Arc<SourceMap>,
    files: Arc<dyn Files>,
    store: Arc<dyn StateStore>,
    writer: writer::Writer,
    providers: Providers,
    events: EventSink,
    intents: BTreeMap<Address, Intent>,
    lineage: String,
    counter: AtomicU64,
    /// Where each resource block is, by static address.
    index: trellis_plan::planner::ResourceIndex,
    /// Provider private data for the changes recorded without a provider call, by address.
    private: HashMap<Address, serde_json::Value>,
    /// The private data planning returned, handed back to the provider's apply.
    planned_private: BTreeMap<Address, serde_json::Value>,
    /// The current objects that create_before_destroy replacements depose, by address.
    deposing: HashMap<Address, ResourceState>,
    /// The deposed keys already taken, by address (a new one must differ).
    deposed_taken: HashMap<Address, BTreeSet<String>>,
    /// The key each replacement deposed its old object under, once it did.
    deposed_keys: Mutex<HashMap<Address, String>>,
}

/// The records that create_before_destroy replacements will depose: the state record of
/// the old object (under its old address for a move), with the value refresh found and
/// the replacement's address.
fn deposing(plan: &Plan, state: &State) -> HashMap<Address, ResourceState> {
    plan.changes
        .iter()
        .filter(|c| c.action == Action::CreateThenDelete && c.deposed().is_none())
        .filter_map(|c| {
            let at = c.moved_from.as_ref().unwrap_or(&c.address);
            let mut record = state.resources.get(at)?.clone();
            record.address = c.address.clone();
            if let Some(before) = &c.before {
                record.value = before.clone();
            }
            Some((c.address.clone(), record))
        })
        .collect()
}

impl Shared {
    /// Sets the current object of a create_before_destroy replacement aside as deposed,
    /// in one atomic write that also forgets it as current (and its old address, for a
    /// move), before the replacement is created: a kill at any moment leaves the old object
    /// current or deposed, never forgotten.
    async fn depose(&self, change: &Change) -> Result<(), String> {
        let Some(record) = self.deposing.get(&change.address) else {
            return Ok(());
        };
        let taken = self.deposed_taken.get(&change.address);
        let key = loop {
            let key = trellis_state::new_deposed_key()
                .map_err(|e| format!("cannot make a deposed key: {e}"))?;
            if !taken.is_some_and(|t| t.contains(&key)) {
                break key;
            }
        };
        let mut writes = vec![
            StateWrite::PutDeposed(DeposedObject {
                key: key.clone(),
                object: record.clone(),
            }),
            StateWrite::RemoveResource(change.address.clone()),
        ];
        if let Some(old) = &change.moved_from {
            writes.push(StateWrite::RemoveResource(old.clone()));
        }
        self.writer
            .write(writes)
            .await
            .map_err(|e| format!("cannot record state: {e}"))?;
        self.deposed_keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(change.address.clone(), key);
        Ok(())
    }

    /// The key the replacement of `address` deposed its old object under.
    fn deposed_key(&self, address: &Address) -> Option<String> {
        self.deposed_keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(address)
            .cloned()
    }
}

/// The private data to record for the changes that apply records without a create or update
/// call (moved, imported, adopted): what refresh learned, else what state holds for the
/// object (under its old address, for a move). Only those changes are looked up.
fn recorded_private(plan: &Plan, state: &State) -> HashMap<Address, serde_json::Value> {
    plan.changes
        .iter()
        .filter(|c| c.moved_from.is_some() || c.importing.is_some() || c.adopted)
        .filter_map(|c| {
            let refreshed = plan.refreshed_private.get(&c.address).cloned();
            let kept = || {
                let at = c.moved_from.as_ref().unwrap_or(&c.address);
                state.resources.get(at)?.private.clone()
            };
            let private = refreshed.or_else(kept).filter(|p| !p.is_null())?;
            Some((c.address.clone(), private))
        })
        .collect()
}

fn op_action(kind: OpKind) -> Action {
    match kind {
        OpKind::Create => Action::Create,
        OpKind::Update => Action::Update,
        OpKind::Delete => Action::Delete,
        OpKind::Read => Action::Read,
        OpKind::Record => Action::NoOp,
        OpKind::Forget => Action::Forget,
    }
}

impl Shared {
    /// The private data to record for an object that apply records without a create or
    /// update call (moved, imported, adopted).
    fn refreshed_private(&self, change: &Change) -> Option<serde_json::Value> {
        self.private.get(&change.address).cloned()
    }

    /// A token unique to this create: the same for every retry within this run, and reused
    /// from a recorded intent on later runs.
    fn token(&self, address: &Address) -> String {
        if let Some(intent) = self.intents.get(address) {
            return intent.token.clone();
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let digest = Sha256::digest(format!(
            "{}|{address}|{n}|{nanos}|{}",
            self.lineage,
            std::process::id()
        ));
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("trellis-{hex}")
    }

    fn provider(&self, change: &Change) -> Result<Arc<dyn Provider>, String> {
        self.providers
            .get(&change.provider)
            .cloned()
            .ok_or_else(|| format!("provider {} is not configured", change.provider))
    }

    fn error(&self, change: &Change, action: Action, e: impl std::fmt::Display) -> Diagnostic {
        // A remote error may echo what it was sent (AWS validation messages quote the
        // offending value): sensitive values never reach a message.
        let message = redact(&e.to_string(), change);
        tracing::debug!(address = %change.address, ?action, "operation failed");
        (self.events)(ApplyEvent::Failed {
            address: change.address.clone(),
            action,
            message: message.clone(),
        });
        Diagnostic::error(message).with_address(&change.address)
    }

    /// The instance evaluated again now that its dependencies are applied.
    fn evaluate(
        &self,
        change: &Change,
        prior: Option<&Value>,
    ) -> Result<trellis_plan::planner::ApplyValues, String> {
        let (module_config, resource) =
            trellis_plan::planner::lookup_resource(&self.config, &self.index, &change.address)
                .ok_or_else(|| {
                    format!(
                        "{} is no longer in the configuration",
                        change.address.resource()
                    )
                })?;
        let schema = self
            .providers
            .registry
            .resource_schema(&change.type_name, change.address.mode == Mode::Data)
            .ok_or_else(|| format!("unknown resource type {}", change.type_name))?;
        let values = self.values.read().unwrap_or_else(|p| p.into_inner());
        let scope = EvalScope {
            config: module_config,
            root: &self.config,
            module: &change.address.module,
            sources: &self.sources,
            values: &values,
            files: self.files.as_ref(),
            module_dir: ".",
            key: None,
        };
        evaluate_for_apply(&scope, resource, change.address.key.as_ref(), schema, prior).map_err(
            |d| {
                d.iter()
                    .map(|d| d.summary.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        )
    }

    /// What to send for a create or update: the planned value when it is fully known, else
    /// the configuration evaluated again and planned again through the provider; with the
    /// configuration and the planned private data.
    async fn planned(
        &self,
        change: &Change,
        provider: &dyn Provider,
        prior: Option<&Value>,
    ) -> Result<(Value, Value, Private), String> {
        let after = change.after.clone().unwrap_or(Value::Null);
        let private = self.planned_private.get(&change.address).cloned();
        if !after.contains_unknown() {
            // The configuration as the provider's apply takes it; a provider that does not
            // read it (the native ones) is not failed by an evaluation problem here.
            let config = self
                .evaluate(change, prior)
                .map(|v| v.config)
                .unwrap_or_else(|_| after.clone());
            return Ok((after, config, private));
        }
        let evaluated = self.evaluate(change, prior)?;
        let response = provider
            .plan_resource(PlanResourceRequest {
                type_name: change.type_name.clone(),
                prior: prior.cloned(),
                proposed: evaluated.proposed,
                config: evaluated.config.clone(),
                prior_private: private.clone(),
            })
            .await
            .map_err(|e| describe(&e))?;
        if let Some(d) = response.diagnostics.iter().find(|d| !d.warning) {
            return Err(d.summary.clone());
        }
        let value = response.planned;
        // Only computed attributes may still be unknown.
        let schema = self
            .providers
            .registry
            .resource_schema(&change.type_name, false)
            .ok_or_else(|| format!("unknown resource type {}", change.type_name))?;
        for path in value.unknown_paths() {
            let computed = schema
                .block
                .attribute_at(&path)
                .is_some_and(|(a, _)| a.computed);
            if !computed {
                return Err(format!(
                    "{path} is still unknown after everything it depends on was applied"
                ));
            }
        }
        Ok((
            value,
            evaluated.config,
            response.planned_private.or(private),
        ))
    }

    /// The configuration of a data source read at apply time, as plan time hands it to the
    /// provider: attributes the configuration does not set are null (computed ones
    /// included), not unknown.
    fn data_config(&self, change: &Change) -> Result<Value, String> {
        let config = self.evaluate(change, None)?.config;
        if let Some(path) = config.unknown_paths().first() {
            return Err(format!(
                "{path} is still unknown after everything it depends on was applied"
            ));
        }
        Ok(config)
    }

    async fn record(
        &self,
        change: &Change,
        value: Value,
        private: Option<serde_json::Value>,
    ) -> Result<(), String> {
        if let Some(path) = value.unknown_paths().first() {
            return Err(format!(
                "provider returned an unknown value for {path}; this is a bug in the provider"
            ));
        }
        let schema = self
            .providers
            .registry
            .resource_schema(&change.type_name, false);
        let mut sensitive = change.after_sensitive.clone();
        if let Some(schema) = schema {
            sensitive.extend(schema.block.sensitive_paths(&value));
        }
        // What the provider computed from a sensitive input is sensitive too.
        if let Some(after) = &change.after {
            let secrets = trellis_plan::taint::secrets(after, &change.after_sensitive);
            sensitive.extend(trellis_plan::taint::echo_paths(&value, &secrets));
        }
        sensitive.sort();
        sensitive.dedup();
        let record = ResourceState {
            address: change.address.clone(),
            type_name: change.type_name.clone(),
            provider: change.provider.clone(),
            schema_version: change.schema_version,
            value: value.clone(),
            sensitive_paths: sensitive.clone(),
            dependencies: change.dependencies.clone(),
            create_before_destroy: change.create_before_destroy,
            private,
        };
        // A moved resource leaves its old address in the same atomic write.
        let mut writes = vec![StateWrite::PutResource(record)];
        if let Some(old) = &change.moved_from {
            writes.push(StateWrite::RemoveResource(old.clone()));
        }
        self.writer
            .write(writes)
            .await
            .map_err(|e| format!("cannot record state: {e}"))?;
        self.values
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .set_instance(&change.address, value.with_sensitive_paths(&sensitive));
        Ok(())
    }
}

/// `message` with every sensitive string of `change` (planned or prior) replaced.
fn redact(message: &str, change: &Change) -> String {
    let mut secrets: Vec<String> = Vec::new();
    for (value, paths) in [
        (&change.after, &change.after_sensitive),
        (&change.before, &change.before_sensitive),
    ] {
        if let Some(value) = value {
            secrets.extend(trellis_plan::taint::secrets(value, paths));
        }
    }
    replace_secrets(message, secrets)
}

/// `message` with each of `secrets` replaced, longest first, so that a secret containing
/// another is replaced whole.
fn replace_secrets(message: &str, mut secrets: Vec<String>) -> String {
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = message.to_string();
    for secret in &secrets {
        out = out.replace(secret.as_str(), "(sensitive value)");
    }
    out
}

/// Runs one operation, reporting progress. Errors are already reported as events.
async fn run(shared: &Shared, change: &Change, kind: OpKind) -> Result<Outcome, Diagnostic> {
    let action = op_action(kind);
    let started = Instant::now();
    tracing::debug!(address = %change.address, ?action, "operation started");
    let state_only = matches!(kind, OpKind::Record | OpKind::Forget);
    if !state_only {
        (shared.events)(ApplyEvent::Started {
            address: change.address.clone(),
            action,
        });
    }
    let work = run_inner(shared, change, kind);
    tokio::pin!(work);
    let mut ticker = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(10),
        Duration::from_secs(10),
    );
    let result = loop {
        tokio::select! {
            result = &mut work => break result,
            _ = ticker.tick() => (shared.events)(ApplyEvent::StillRunning {
                address: change.address.clone(),
                action,
                elapsed_ms: started.elapsed().as_millis() as u64,
            }),
        }
    };
    match result {
        Ok((outcome, id)) => {
            tracing::debug!(
                address = %change.address,
                ?action,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "operation completed"
            );
            if state_only {
                (shared.events)(ApplyEvent::Recorded {
                    address: change.address.clone(),
                    note: record_note(change),
                });
            } else {
                (shared.events)(ApplyEvent::Completed {
                    address: change.address.clone(),
                    action,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                    id,
                });
            }
            Ok(outcome)
        }
        Err(message) => Err(shared.error(change, action, message)),
    }
}

fn record_note(change: &Change) -> String {
    if change.action == Action::Forget {
        "removed from the state; the object was not destroyed".to_string()
    } else if let Some(from) = &change.moved_from {
        format!("moved from {from}")
    } else if let Some(id) = &change.importing {
        format!("imported [id={id}]")
    } else {
        "adopted an object created by an earlier run".to_string()
    }
}

fn id_of(value: &Value) -> Option<String> {
    value.get("id").and_then(Value::as_str).map(str::to_string)
}

fn describe(e: &ProviderError) -> String {
    e.to_string()
}

async fn run_inner(
    shared: &Shared,
    change: &Change,
    kind: OpKind,
) -> Result<(Outcome, Option<String>), String> {
    if kind == OpKind::Forget {
        // No provider call, and no provider needed: its configuration may be gone too.
        let mut writes = vec![StateWrite::RemoveResource(change.address.clone())];
        if let Some(old) = &change.moved_from {
            writes.push(StateWrite::RemoveResource(old.clone()));
        }
        shared
            .writer
            .write(writes)
            .await
            .map_err(|e| format!("cannot record state: {e}"))?;
        return Ok((Outcome::Forgotten, None));
    }
    let provider = shared.provider(change)?;
    match kind {
        OpKind::Forget => unreachable!("handled above"),
        OpKind::Record => {
            let value = change
                .after
                .clone()
                .or_else(|| change.before.clone())
                .unwrap_or(Value::Null);
            // Recording the resource settles an adopted intent in the same write.
            shared
                .record(change, value, shared.refreshed_private(change))
                .await?;
            let outcome = if change.importing.is_some() {
                Outcome::Imported
            } else {
                Outcome::Other
            };
            Ok((outcome, None))
        }
        OpKind::Create => {
            let (planned, config, planned_private) =
                shared.planned(change, provider.as_ref(), None).await?;
            if change.action == Action::CreateThenDelete {
                shared.depose(change).await?;
            }
            let token = shared.token(&change.address);
            let intent = Intent {
                address: change.address.clone(),
                type_name: change.type_name.clone(),
                provider: change.provider.clone(),
                token: token.clone(),
                planned: planned.clone(),
                sensitive_paths: change.after_sensitive.clone(),
                dependencies: change.dependencies.clone(),
                recorded_at: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or_default(),
            };
            shared
                .writer
                .write(vec![StateWrite::PutIntent(intent)])
                .await
                .map_err(|e| format!("cannot record the intent to create: {e}"))?;
            let response = provider
                .apply_change(ApplyChangeRequest {
                    type_name: change.type_name.clone(),
                    prior: None,
                    planned: Some(planned),
                    config,
                    planned_private,
                    token: Some(token.clone()),
                })
                .await
                .map_err(|e| describe(&e))?;
            let state = response
                .state
                .ok_or_else(|| "the provider returned no object for a create".to_string())?;
            let id = id_of(&state);
            shared.record(change, state, response.private).await?;
            // Recording the resource settled its intent in the same write.
            Ok((Outcome::Created, id))
        }
        OpKind::Update => {
            let prior = change.before.clone().unwrap_or(Value::Null);
            if change.importing.is_some() {
                // The import is recorded first, so that a failed update leaves the object
                // managed (and the next plan shows the update again) rather than forgotten.
                shared
                    .record(change, prior.clone(), shared.refreshed_private(change))
                    .await?;
            }
            let (planned, config, planned_private) = shared
                .planned(change, provider.as_ref(), Some(&prior))
                .await?;
            let response = provider
                .apply_change(ApplyChangeRequest {
                    type_name: change.type_name.clone(),
                    prior: Some(prior),
                    planned: Some(planned),
                    config,
                    planned_private,
                    token: None,
                })
                .await
                .map_err(|e| describe(&e))?;
            let state = response
                .state
                .ok_or_else(|| "the provider returned no object for an update".to_string())?;
            let id = id_of(&state);
            shared.record(change, state, response.private).await?;
            let outcome = if change.importing.is_some() {
                Outcome::ImportedAndUpdated
            } else {
                Outcome::Updated
            };
            Ok((outcome, id))
        }
        OpKind::Delete => {
            let prior = change.before.clone().unwrap_or(Value::Null);
            match provider
                .apply_change(ApplyChangeRequest {
                    type_name: change.type_name.clone(),
                    prior: Some(prior.clone()),
                    planned: None,
                    config: Value::Null,
                    planned_private: shared.planned_private.get(&change.address).cloned(),
                    token: None,
                })
                .await
            {
                Ok(_) => {}
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return Err(describe(&e)),
            }
            // A replace records the new object when its create completes; a plain delete
            // (or the delete half of a delete-then-create replace) removes the old record
            // now. The delete half of a create-before-destroy runs after the create, when the
            // record at the address already holds the new object, so it must keep it.
            // A deposed object (of an earlier run, or deposed by this replacement's create)
            // leaves its deposed record.
            let deposed = match change.deposed() {
                Some(key) => Some(key.to_string()),
                None if change.action == Action::CreateThenDelete => {
                    shared.deposed_key(&change.address)
                }
                None => None,
            };
            if let Some(key) = deposed {
                shared
                    .writer
                    .write(vec![StateWrite::RemoveDeposed {
                        address: change.address.clone(),
                        key,
                    }])
                    .await
                    .map_err(|e| format!("cannot record state: {e}"))?;
                return Ok((Outcome::Deleted, id_of(&prior)));
            }
            if change.action == Action::CreateThenDelete {
                return Ok((Outcome::Deleted, id_of(&prior)));
            }
            let mut writes = vec![StateWrite::RemoveResource(change.address.clone())];
            if let Some(old) = &change.moved_from {
                writes.push(StateWrite::RemoveResource(old.clone()));
            }
            shared
                .writer
                .write(writes)
                .await
                .map_err(|e| format!("cannot record state: {e}"))?;
            Ok((Outcome::Deleted, id_of(&prior)))
        }
        OpKind::Read => {
            let config = shared.data_config(change)?;
            let value = provider
                .read_data(ReadDataRequest {
                    type_name: change.type_name.clone(),
                    config,
                })
                .await
                .map_err(|e| describe(&e))?;
            let id = id_of(&value);
            shared
                .values
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .set_instance(
                    &change.address,
                    value.with_sensitive_paths(&change.after_sensitive),
                );
            Ok((Outcome::Other, id))
        }
    }
}

/// The `check` assertions with the final values. Only their warnings: a problem in their
/// expressions was an error of the plan already.
fn evaluate_checks(shared: &Shared) -> Vec<Diagnostic> {
    let values = shared.values.read().unwrap_or_else(|p| p.into_inner());
    let scope = EvalScope {
        config: &shared.config,
        root: &shared.config,
        module: &[],
        sources: &shared.sources,
        values: &values,
        files: shared.files.as_ref(),
        module_dir: ".",
        key: None,
    };
    trellis_plan::checks::evaluate_checks(
        &shared.config,
        &shared.sources,
        &scope,
        trellis_plan::checks::CheckPhase::Apply,
    )
    .0
    .into_iter()
    .filter(|d| !d.is_error())
    .collect()
}

/// Evaluates outputs with the final values. After a partial apply, outputs that cannot be
/// evaluated keep their previous value.
fn evaluate_outputs(shared: &Shared, plan: &Plan, complete: bool) -> BTreeMap<String, OutputState> {
    let mut out = BTreeMap::new();
    let values = shared.values.read().unwrap_or_else(|p| p.into_inner());
    let scope = EvalScope {
        config: &shared.config,
        root: &shared.config,
        module: &[],
        sources: &shared.sources,
        values: &values,
        files: shared.files.as_ref(),
        module_dir: ".",
        key: None,
    };
    for change in &plan.outputs {
        if change.action == Action::Delete {
            continue;
        }
        let Some(output) = shared.config.outputs.get(&change.name) else {
            continue;
        };
        let Some(file) = shared.sources.get(&output.file) else {
            continue;
        };
        let value = trellis_eval::eval_expr(&output.value, &scope, file)
            .ok()
            .filter(|v| !v.contains_unknown());
        match value {
            Some(v) => {
                out.insert(
                    change.name.clone(),
                    OutputState {
                        value: v.strip_marks(),
                        sensitive: output.sensitive,
                    },
                );
            }
            None if !complete => {
                if let Some(before) = &change.before {
                    out.insert(
                        change.name.clone(),
                        OutputState {
                            value: before.clone(),
                            sensitive: change.sensitive,
                        },
                    );
                }
            }
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
