//! Whole-mesh discovery for `trellis import -service-network=... -generate-config-out=FILE`.
//!
//! From each service network it follows what belongs to the mesh: the network's VPC and
//! service associations, auth and resource policies and access log subscriptions; each
//! associated service with its listeners, their non-default rules, policies and
//! subscriptions; the target groups that listeners and rules forward to, and their targets.
//!
//! Enumeration uses list calls (associations, listeners, rules, targets, subscriptions).
//! Service associations are taken from their list summaries, which hold every field a Get
//! returns; every other object is read exactly as
//! [`Provider::import`](trellis_provider::Provider::import) reads it (its list summary lacks
//! fields: auth type, health check, actions, matches), so that the imported value and the
//! discovered one cannot differ. Tags take one call per object: the API has no batch form. Every call goes
//! through one semaphore ([`PARALLEL_CALLS`] at a time) and independent objects are read
//! concurrently.
//!
//! Objects owned by another account (a service associated with a shared network, a target
//! group of another account, an association that another account created, a network shared
//! with this account) are reported as skipped with their owner, not silently left out.
//!
//! This is the Lattice half: the RAM shares that hold the discovered networks and services
//! are found by [`crate::mesh`], which serves the RAM types ([`crate::ram::discover`]).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use trellis_provider::{
    Block, DiscoverRequest, DiscoverResponse, DiscoveredObject, ErrorKind, ProviderError,
    SkippedObject,
};
use trellis_types::Value;

use crate::convert::{block, list, opt_str, s, short_id};
use crate::error::{invalid, sdk};
use crate::resources::*;
use crate::sdkconv::dns_from_sdk;
use crate::Inner;

/// How many API calls discovery keeps in flight.
pub const PARALLEL_CALLS: usize = 32;

struct Ctx {
    inner: Arc<Inner>,
    limit: Semaphore,
    calls: AtomicU64,
    account: String,
}

impl Ctx {
    /// Runs one API call under the semaphore, counting it.
    async fn call<T, F: Future<Output = Result<T, ProviderError>>>(
        &self,
        calls: u64,
        f: F,
    ) -> Result<T, ProviderError> {
        let _permit = self.limit.acquire().await.map_err(|_| invalid("closed"))?;
        self.calls.fetch_add(calls, Ordering::Relaxed);
        f.await
    }

    /// The object as `Provider::import` returns it.
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let calls = if matches!(type_name, AUTH_POLICY | RESOURCE_POLICY | ATTACHMENT) {
            1
        } else {
            2
        };
        self.call(calls, self.inner.import(type_name, id)).await
    }
}

/// The account in an ARN (`arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-1`).
pub(crate) fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    if parts.next() != Some("arn") {
        return None;
    }
    parts.nth(3).filter(|a| !a.is_empty())
}

/// What one discovered object becomes.
struct Found {
    type_name: &'static str,
    import_id: String,
    name: String,
    value: Value,
}

/// Discovers every mesh that starts at `request.roots` (kind `service-network`).
pub(crate) async fn discover(
    inner: Arc<Inner>,
    request: DiscoverRequest,
) -> Result<DiscoverResponse, ProviderError> {
    let account = inner.identity().await?.0.clone();
    let ctx = Arc::new(Ctx {
        inner,
        limit: Semaphore::new(PARALLEL_CALLS),
        calls: AtomicU64::new(1),
        account,
    });
    let mut found: Vec<Found> = Vec::new();
    let mut skipped: Vec<SkippedObject> = Vec::new();

    // 1. The networks, and what hangs off each of them.
    let mut networks = JoinSet::new();
    for root in &request.roots {
        if root.kind != "service-network" {
            return Err(invalid(format!(
                "cannot discover from a {:?}; discovery starts at service networks",
                root.kind
            )));
        }
        let ctx = ctx.clone();
        let id = root.id.clone();
        networks.spawn(async move { network(&ctx, &id).await });
    }
    let mut services: BTreeMap<String, String> = BTreeMap::new();
    while let Some(joined) = networks.join_next().await {
        let (f, s, svc) = joined.map_err(|e| invalid(format!("discovery task failed: {e}")))??;
        found.extend(f);
        skipped.extend(s);
        services.extend(svc);
    }

    // 2. Services, their listeners and rules.
    let mut tasks = JoinSet::new();
    for (id, name) in services {
        let ctx = ctx.clone();
        tasks.spawn(async move { service(&ctx, &id, &name).await });
    }
    let mut target_groups: BTreeSet<String> = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (f, s, tgs) = joined.map_err(|e| invalid(format!("discovery task failed: {e}")))??;
        found.extend(f);
        skipped.extend(s);
        target_groups.extend(tgs);
    }

    // 3. Target groups that listeners and rules forward to, and their targets.
    let mut tasks = JoinSet::new();
    for tg in target_groups {
        let ctx = ctx.clone();
        tasks.spawn(async move { target_group(&ctx, &tg).await });
    }
    while let Some(joined) = tasks.join_next().await {
        let (f, s) = joined.map_err(|e| invalid(format!("discovery task failed: {e}")))??;
        found.extend(f);
        skipped.extend(s);
    }

    // A stable order: by type (in dependency order), then name, then import ID.
    let rank = |t: &str| {
        [
            SERVICE_NETWORK,
            SERVICE,
            TARGET_GROUP,
            ATTACHMENT,
            LISTENER,
            RULE,
            SNSA,
            SNVA,
            AUTH_POLICY,
            RESOURCE_POLICY,
            ACCESS_LOG,
        ]
        .iter()
        .position(|x| *x == t)
        .unwrap_or(usize::MAX)
    };
    found.sort_by(|a, b| {
        (rank(a.type_name), &a.name, &a.import_id).cmp(&(rank(b.type_name), &b.name, &b.import_id))
    });
    found.dedup_by(|a, b| a.type_name == b.type_name && a.import_id == b.import_id);
    skipped.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
    skipped.dedup();
    let schema = crate::schema::provider_schema();
    let objects = found
        .into_iter()
        .map(|f| {
            let block = &schema.resources[f.type_name].block;
            DiscoveredObject {
                type_name: f.type_name.to_string(),
                owner: s(&f.value, "arn")
                    .as_deref()
                    .and_then(arn_account)
                    .filter(|a| *a != ctx.account)
                    .map(str::to_string),
                arguments: arguments(f.type_name, &f.value, block),
                import_id: f.import_id,
                name: f.name,
                value: f.value,
            }
        })
        .collect();
    Ok(DiscoverResponse {
        objects,
        skipped,
        calls: Some(ctx.calls.load(Ordering::Relaxed)),
    })
}

type Part = (Vec<Found>, Vec<SkippedObject>);

fn task_failed(e: tokio::task::JoinError) -> ProviderError {
    invalid(format!("discovery task failed: {e}"))
}

/// A network, its associations, policies and subscriptions. Also returns the services
/// (ID to name) of this account that are associated with it.
///
/// A network of another account (shared with this one through RAM, and so given by its ARN)
/// is listed as skipped with its owner, and only the associations this account can see are
/// followed: its policies and subscriptions are the owner's.
async fn network(
    ctx: &Arc<Ctx>,
    id: &str,
) -> Result<(Vec<Found>, Vec<SkippedObject>, BTreeMap<String, String>), ProviderError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut services = BTreeMap::new();
    let foreign = arn_account(id).filter(|a| *a != ctx.account);
    let (network_id, name) = if let Some(owner) = foreign {
        let o = ctx
            .call(1, async {
                ctx.inner
                    .lattice
                    .get_service_network()
                    .service_network_identifier(id)
                    .send()
                    .await
                    .map_err(sdk)
            })
            .await
            .map_err(|e| {
                ProviderError::new(
                    e.kind,
                    format!(
                        "cannot read service network {id} of account {owner}: {e} (it must be \
                         shared with this account through RAM, and the share accepted)"
                    ),
                )
            })?;
        skipped.push(SkippedObject {
            kind: SERVICE_NETWORK.to_string(),
            id: id.to_string(),
            owner: Some(owner.to_string()),
            reason: "owned by another account, which shares it with this one; import it, its \
                     policies and its RAM share with that account's credentials"
                .to_string(),
        });
        let network_id = o.id().unwrap_or_else(|| short_id(id)).to_string();
        (id.to_string(), o.name().unwrap_or(&network_id).to_string())
    } else {
        let value = ctx
            .import(SERVICE_NETWORK, id)
            .await
            .map_err(|e| {
                ProviderError::new(e.kind, format!("cannot read service network {id}: {e}"))
            })?
            .ok_or_else(|| {
                let hint = if id.starts_with("arn:") {
                    ""
                } else {
                    " (a network shared with this account by another one is found by its ARN, \
                     not its ID)"
                };
                ProviderError::new(
                    ErrorKind::NotFound,
                    format!("service network {id} does not exist in this account{hint}"),
                )
            })?;
        let network_id = s(&value, "id").unwrap_or_else(|| short_id(id).to_string());
        let network_arn = s(&value, "arn").unwrap_or_default();
        let name = s(&value, "name").unwrap_or_else(|| network_id.clone());
        found.push(Found {
            type_name: SERVICE_NETWORK,
            import_id: network_id.clone(),
            name: name.clone(),
            value,
        });
        let (logs, policies) = tokio::join!(
            access_logs(ctx, &network_id, &name),
            policies(ctx, &network_id, &network_arn, &name),
        );
        let (f, skip) = policies?;
        found.extend(f);
        skipped.extend(skip);
        found.extend(logs?);
        (network_id, name)
    };

    let (snsas, snvas) = tokio::join!(list_snsas(ctx, &network_id), list_snvas(ctx, &network_id));

    let mut reads = JoinSet::new();
    for snsa in snsas? {
        let Snsa {
            service_id,
            service_arn,
            service_name,
            value,
        } = snsa;
        let owner = arn_account(&service_arn).map(str::to_string);
        if owner.as_deref().is_some_and(|o| o != ctx.account) {
            skipped.push(SkippedObject {
                kind: SERVICE.to_string(),
                id: service_arn.clone(),
                owner: owner.clone(),
                reason: "owned by another account; import it with that account's credentials"
                    .to_string(),
            });
        } else {
            services.insert(service_id.clone(), service_name.clone());
        }
        let import_id = s(&value, "id").unwrap_or_default();
        // An association belongs to the account that created it (AWS gives it an ARN in
        // that account and one in the network owner's, and either may delete it): the
        // creator's configuration manages it, so another account's is listed, not imported.
        if let Some(creator) = foreign_creator(ctx, &value) {
            skipped.push(SkippedObject {
                kind: SNSA.to_string(),
                id: import_id,
                owner: Some(creator),
                reason: format!("{CREATED_ELSEWHERE} (service {service_arn})"),
            });
            continue;
        }
        let ctx = ctx.clone();
        let assoc_name = format!("{service_name}-{name}");
        reads.spawn(async move {
            match ctx.call(1, ctx.inner.with_tags(SNSA, value)).await {
                Ok(value) => Ok(Some(Found {
                    type_name: SNSA,
                    import_id,
                    name: assoc_name,
                    value,
                })),
                Err(e) => Err(SkippedObject {
                    kind: SNSA.to_string(),
                    owner: None,
                    id: import_id,
                    reason: format!("cannot be read with the current credentials: {e}"),
                }),
            }
        });
    }
    for snva in snvas? {
        if !snva.created_by.is_empty() && snva.created_by != ctx.account {
            skipped.push(SkippedObject {
                kind: SNVA.to_string(),
                id: snva.id,
                owner: Some(snva.created_by),
                reason: format!("{CREATED_ELSEWHERE} (VPC {})", snva.vpc_id),
            });
            continue;
        }
        reads.spawn(read_one(
            ctx.clone(),
            SNVA,
            snva.id,
            format!("{name}-{}", snva.vpc_id),
        ));
    }
    while let Some(joined) = reads.join_next().await {
        match joined.map_err(task_failed)? {
            Ok(Some(f)) => found.push(f),
            Ok(None) => {}
            Err(skip) => skipped.push(skip),
        }
    }
    Ok((found, skipped, services))
}

/// Reads one object; an object this account may not read is skipped with its owner.
async fn read_one(
    ctx: Arc<Ctx>,
    type_name: &'static str,
    id: String,
    name: String,
) -> Result<Option<Found>, SkippedObject> {
    match ctx.import(type_name, &id).await {
        Ok(Some(value)) => Ok(Some(Found {
            type_name,
            import_id: id,
            name,
            value,
        })),
        Ok(None) => Ok(None),
        Err(e) => Err(SkippedObject {
            kind: type_name.to_string(),
            owner: arn_account(&id).map(str::to_string),
            id,
            reason: format!("cannot be read with the current credentials: {e}"),
        }),
    }
}

/// The auth and resource policies of a network or service, when it has them.
async fn policies(ctx: &Arc<Ctx>, id: &str, arn: &str, name: &str) -> Result<Part, ProviderError> {
    let (auth, resource) = tokio::join!(
        read_one(ctx.clone(), AUTH_POLICY, id.to_string(), name.to_string()),
        read_one(
            ctx.clone(),
            RESOURCE_POLICY,
            arn.to_string(),
            name.to_string()
        ),
    );
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for r in [auth, resource] {
        match r {
            Ok(Some(f)) => found.push(f),
            Ok(None) => {}
            Err(s) => skipped.push(s),
        }
    }
    Ok((found, skipped))
}

/// Access log subscriptions of a network or service.
async fn access_logs(ctx: &Arc<Ctx>, id: &str, name: &str) -> Result<Vec<Found>, ProviderError> {
    let mut ids = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let o = ctx
            .call(1, async {
                ctx.inner
                    .lattice
                    .list_access_log_subscriptions()
                    .resource_identifier(id)
                    .set_next_token(next.clone())
                    .max_results(100)
                    .send()
                    .await
                    .map_err(sdk)
            })
            .await?;
        ids.extend(o.items().iter().map(|i| i.id().to_string()));
        next = o.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let mut out = Vec::new();
    for (i, log_id) in ids.into_iter().enumerate() {
        let suffix = if i == 0 {
            String::new()
        } else {
            format!("-{}", i + 1)
        };
        if let Ok(Some(f)) =
            read_one(ctx.clone(), ACCESS_LOG, log_id, format!("{name}{suffix}")).await
        {
            out.push(f);
        }
    }
    Ok(out)
}

/// One service association from its list summary, which holds everything a Get returns.
struct Snsa {
    service_id: String,
    service_arn: String,
    service_name: String,
    value: Value,
}

/// Every service association of a network, with the value `import` would return (the list
/// summary has every field of a Get; only the tags are read per association).
async fn list_snsas(ctx: &Arc<Ctx>, network: &str) -> Result<Vec<Snsa>, ProviderError> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let o = ctx
            .call(1, async {
                ctx.inner
                    .lattice
                    .list_service_network_service_associations()
                    .service_network_identifier(network)
                    .set_next_token(next.clone())
                    .max_results(100)
                    .send()
                    .await
                    .map_err(sdk)
            })
            .await?;
        for i in o.items() {
            let service_id = i.service_id().unwrap_or_default().to_string();
            let value = Value::object([
                ("id", opt_str(i.id())),
                ("arn", opt_str(i.arn())),
                ("status", opt_str(i.status().map(|x| x.as_str()))),
                ("created_by", opt_str(i.created_by())),
                ("service_identifier", opt_str(i.service_id())),
                (
                    "service_network_identifier",
                    opt_str(i.service_network_id()),
                ),
                ("custom_domain_name", opt_str(i.custom_domain_name())),
                ("dns_entry", dns_from_sdk(i.dns_entry())),
            ]);
            out.push(Snsa {
                service_arn: i.service_arn().unwrap_or_default().to_string(),
                service_name: i
                    .service_name()
                    .map(str::to_string)
                    .unwrap_or(service_id.clone()),
                service_id,
                value,
            });
        }
        next = o.next_token().map(str::to_string);
        if next.is_none() {
            return Ok(out);
        }
    }
}

/// A VPC association from its list summary.
struct Snva {
    id: String,
    vpc_id: String,
    /// The account that created the association (empty when the API does not say).
    created_by: String,
}

/// Every VPC association of a network.
async fn list_snvas(ctx: &Arc<Ctx>, network: &str) -> Result<Vec<Snva>, ProviderError> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let o = ctx
            .call(1, async {
                ctx.inner
                    .lattice
                    .list_service_network_vpc_associations()
                    .service_network_identifier(network)
                    .set_next_token(next.clone())
                    .max_results(100)
                    .send()
                    .await
                    .map_err(sdk)
            })
            .await?;
        for i in o.items() {
            out.push(Snva {
                id: i.id().unwrap_or_default().to_string(),
                vpc_id: i.vpc_id().unwrap_or_default().to_string(),
                created_by: i.created_by().unwrap_or_default().to_string(),
            });
        }
        next = o.next_token().map(str::to_string);
        if next.is_none() {
            return Ok(out);
        }
    }
}

/// Why an association of another account is not imported.
const CREATED_ELSEWHERE: &str = "created by another account, whose configuration manages it; \
     import it with that account's credentials";

/// The account that created an association, when it is not this one.
fn foreign_creator(ctx: &Ctx, value: &Value) -> Option<String> {
    s(value, "created_by").filter(|c| !c.is_empty() && *c != ctx.account)
}

/// The target groups an action forwards to.
fn forwards_to(action: &Value) -> Vec<String> {
    block(action, "forward")
        .map(|f| {
            list(f, "target_groups")
                .iter()
                .filter_map(|tg| s(tg, "target_group_identifier"))
                .collect()
        })
        .unwrap_or_default()
}

/// A service, its policies, subscriptions, listeners and their rules. Also returns the
/// target groups they forward to.
async fn service(
    ctx: &Arc<Ctx>,
    id: &str,
    name: &str,
) -> Result<(Vec<Found>, Vec<SkippedObject>, BTreeSet<String>), ProviderError> {
    let Some(value) = ctx.import(SERVICE, id).await? else {
        return Ok((Vec::new(), Vec::new(), BTreeSet::new()));
    };
    let arn = s(&value, "arn").unwrap_or_default();
    let mut found = vec![Found {
        type_name: SERVICE,
        import_id: id.to_string(),
        name: name.to_string(),
        value,
    }];
    let mut skipped = Vec::new();
    let mut tgs = BTreeSet::new();

    let listeners = async {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let o = ctx
                .call(1, async {
                    ctx.inner
                        .lattice
                        .list_listeners()
                        .service_identifier(id)
                        .set_next_token(next.clone())
                        .max_results(100)
                        .send()
                        .await
                        .map_err(sdk)
                })
                .await?;
            for l in o.items() {
                out.push((
                    l.id().unwrap_or_default().to_string(),
                    l.name().unwrap_or_default().to_string(),
                ));
            }
            next = o.next_token().map(str::to_string);
            if next.is_none() {
                return Ok::<_, ProviderError>(out);
            }
        }
    };
    let (listeners, logs, policies) = tokio::join!(
        listeners,
        access_logs(ctx, id, name),
        policies(ctx, id, &arn, name),
    );
    let (f, s) = policies?;
    found.extend(f);
    skipped.extend(s);
    found.extend(logs?);

    let mut tasks = JoinSet::new();
    for (listener_id, listener_name) in listeners? {
        let ctx = ctx.clone();
        let service_id = id.to_string();
        let base = format!("{name}-{listener_name}");
        tasks.spawn(async move { listener(&ctx, &service_id, &listener_id, &base).await });
    }
    while let Some(joined) = tasks.join_next().await {
        let (f, t) = joined.map_err(task_failed)??;
        found.extend(f);
        tgs.extend(t);
    }
    Ok((found, skipped, tgs))
}

/// A listener and its rules (the default rule is part of the listener).
async fn listener(
    ctx: &Arc<Ctx>,
    service: &str,
    id: &str,
    name: &str,
) -> Result<(Vec<Found>, BTreeSet<String>), ProviderError> {
    let import_id = format!("{service}/{id}");
    let rules = async {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let o = ctx
                .call(1, async {
                    ctx.inner
                        .lattice
                        .list_rules()
                        .service_identifier(service)
                        .listener_identifier(id)
                        .set_next_token(next.clone())
                        .max_results(100)
                        .send()
                        .await
                        .map_err(sdk)
                })
                .await?;
            for r in o.items() {
                if r.is_default() != Some(true) {
                    out.push((
                        r.id().unwrap_or_default().to_string(),
                        r.name().unwrap_or_default().to_string(),
                    ));
                }
            }
            next = o.next_token().map(str::to_string);
            if next.is_none() {
                return Ok::<_, ProviderError>(out);
            }
        }
    };
    let (value, rules) = tokio::join!(ctx.import(LISTENER, &import_id), rules);
    let Some(value) = value? else {
        return Ok((Vec::new(), BTreeSet::new()));
    };
    let mut tgs: BTreeSet<String> = block(&value, "default_action")
        .map(forwards_to)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut found = vec![Found {
        type_name: LISTENER,
        import_id: import_id.clone(),
        name: name.to_string(),
        value,
    }];
    let mut tasks = JoinSet::new();
    for (rule_id, rule_name) in rules? {
        let ctx = ctx.clone();
        let rule_import = format!("{import_id}/{rule_id}");
        let rule_name = format!("{name}-{rule_name}");
        tasks.spawn(async move {
            let value = ctx.import(RULE, &rule_import).await?;
            Ok::<_, ProviderError>(value.map(|value| Found {
                type_name: RULE,
                import_id: rule_import,
                name: rule_name,
                value,
            }))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Some(f) = joined.map_err(task_failed)?? {
            if let Some(action) = block(&f.value, "action") {
                tgs.extend(forwards_to(action));
            }
            found.push(f);
        }
    }
    Ok((found, tgs))
}

/// A target group and its registered targets.
async fn target_group(ctx: &Arc<Ctx>, identifier: &str) -> Result<Part, ProviderError> {
    let owner = arn_account(identifier).map(str::to_string);
    if owner.as_deref().is_some_and(|o| o != ctx.account) {
        return Ok((
            Vec::new(),
            vec![SkippedObject {
                kind: TARGET_GROUP.to_string(),
                id: identifier.to_string(),
                owner,
                reason: "owned by another account; import it with that account's credentials"
                    .to_string(),
            }],
        ));
    }
    let id = short_id(identifier).to_string();
    let (value, targets) = tokio::join!(
        ctx.import(TARGET_GROUP, &id),
        ctx.call(1, list_targets(&ctx.inner.lattice, &id))
    );
    let Some(value) = value? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let name = s(&value, "name").unwrap_or_else(|| id.clone());
    let mut found = vec![Found {
        type_name: TARGET_GROUP,
        import_id: id.clone(),
        name: name.clone(),
        value,
    }];
    for (target, port, status) in targets? {
        if status == "DRAINING" {
            continue;
        }
        let Some(value) = find_target(&[(target.clone(), port, status)], &id, &target, port) else {
            continue;
        };
        let port_text = port.map(|p| p.to_string()).unwrap_or_default();
        found.push(Found {
            type_name: ATTACHMENT,
            import_id: format!("{id}/{target}/{port_text}"),
            name: format!("{name}-{target}-{port_text}"),
            value,
        });
    }
    Ok((found, Vec::new()))
}

/// The arguments a configuration sets for `value`: no computed-only attributes, no nulls,
/// and no top-level arguments equal to the server's defaults.
pub(crate) fn arguments(type_name: &str, value: &Value, schema: &Block) -> Value {
    let mut out = strip(value, schema);
    let defaults: &[(&str, &str)] = match type_name {
        SERVICE_NETWORK | SERVICE => &[("auth_type", "NONE")],
        AUTH_POLICY => &[("state", "Active")],
        _ => &[],
    };
    if let Value::Map(map) = &mut out {
        for (key, default) in defaults {
            if map.get(*key).and_then(Value::as_str) == Some(default) {
                map.remove(*key);
            }
        }
        // The listener names its service once.
        if type_name == LISTENER {
            map.remove("service_arn");
        }
        if type_name == TARGET_GROUP {
            if let Some(Value::Map(config)) = map.get_mut("config") {
                drop_target_group_defaults(config);
            }
        }
        // RAM's default: a share open to accounts of this organization only.
        if type_name == crate::ram::SHARE
            && map
                .get("allow_external_principals")
                .and_then(Value::as_bool)
                == Some(false)
        {
            map.remove("allow_external_principals");
        }
        if map
            .get("tags")
            .is_some_and(|t| t.as_map().is_some_and(|m| m.is_empty()))
        {
            map.remove("tags");
        }
    }
    out
}

/// Lattice's defaults in a target group's `config`: IPv4, HTTP/1.1, and the default health
/// check (every 30 s with a 5 s timeout, 5 healthy and 2 unhealthy, `GET /` expecting 200 on
/// the group's own port and protocol). Leaving them out keeps the current values: the
/// provider carries over what the configuration does not set.
fn drop_target_group_defaults(config: &mut BTreeMap<String, Value>) {
    let text =
        |m: &BTreeMap<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let number = |m: &BTreeMap<String, Value>, k: &str| m.get(k).and_then(Value::as_number);
    if text(config, "ip_address_type").as_deref() == Some("IPV4") {
        config.remove("ip_address_type");
    }
    let protocol = text(config, "protocol");
    let http = matches!(protocol.as_deref(), Some("HTTP") | Some("HTTPS"));
    if http && text(config, "protocol_version").as_deref() == Some("HTTP1") {
        config.remove("protocol_version");
    }
    let port = number(config, "port");
    let default_check = match config.get("health_check") {
        Some(Value::Map(h)) => {
            let matcher = h
                .get("matcher")
                .and_then(|m| m.get("value"))
                .and_then(Value::as_str);
            h.get("enabled").and_then(Value::as_bool) == Some(true)
                && number(h, "health_check_interval_seconds") == Some(30.0)
                && number(h, "health_check_timeout_seconds") == Some(5.0)
                && number(h, "healthy_threshold_count") == Some(5.0)
                && number(h, "unhealthy_threshold_count") == Some(2.0)
                && text(h, "path").as_deref() == Some("/")
                && matcher == Some("200")
                && number(h, "port") == port
                && text(h, "protocol") == protocol
                && matches!(text(h, "protocol_version").as_deref(), None | Some("HTTP1"))
        }
        _ => false,
    };
    if default_check {
        config.remove("health_check");
    }
}

fn strip(value: &Value, schema: &Block) -> Value {
    let Some(map) = value.as_map() else {
        return value.clone();
    };
    let mut out = BTreeMap::new();
    for (key, v) in map {
        if v.is_null() {
            continue;
        }
        if let Some(a) = schema.attributes.get(key) {
            if a.computed && !a.optional && !a.required {
                continue;
            }
            out.insert(key.clone(), v.clone());
        } else if let Some(nested) = schema.blocks.get(key) {
            let stripped = match v {
                Value::List(items) => {
                    Value::List(items.iter().map(|i| strip(i, &nested.block)).collect())
                }
                other => strip(other, &nested.block),
            };
            out.insert(key.clone(), stripped);
        }
    }
    Value::Map(out)
}

/// The import ID of a resource recorded in Terraform's state, from its attributes there
/// (Terraform's `id` is not always what import takes: a listener rule's import ID is
/// `service/listener/rule`). `None` for types this provider does not have, or when the
/// attributes lack what the ID is made of.
pub fn terraform_import_id(type_name: &str, attributes: &serde_json::Value) -> Option<String> {
    let get = |key: &str| {
        attributes
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match type_name {
        SERVICE_NETWORK | SERVICE | TARGET_GROUP | SNSA | SNVA | ACCESS_LOG => get("id"),
        LISTENER => Some(format!(
            "{}/{}",
            short_id(&get("service_identifier").or_else(|| get("service_arn"))?),
            get("listener_id")?
        )),
        RULE => Some(format!(
            "{}/{}/{}",
            short_id(&get("service_identifier")?),
            short_id(&get("listener_identifier")?),
            get("rule_id")?
        )),
        AUTH_POLICY => get("resource_identifier"),
        RESOURCE_POLICY => get("resource_arn"),
        ATTACHMENT => {
            let target = attributes.get("target").and_then(|t| match t {
                serde_json::Value::Array(items) => items.first(),
                other => Some(other),
            })?;
            let id = target.get("id").and_then(serde_json::Value::as_str)?;
            let port = target
                .get("port")
                .and_then(serde_json::Value::as_i64)
                .map(|p| p.to_string())
                .unwrap_or_default();
            Some(format!(
                "{}/{id}/{port}",
                short_id(&get("target_group_identifier")?)
            ))
        }
        _ => None,
    }
}
