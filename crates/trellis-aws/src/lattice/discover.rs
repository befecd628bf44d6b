//! Whole-mesh discovery for `trellis import -service-network=... -generate-config-out=FILE`.
//!
//! From each service network it follows what belongs to the mesh: the network's VPC and
//! service associations, auth and resource policies and access log subscriptions; each
//! associated service with its listeners, their non-default rules, policies and
//! subscriptions; the target groups that listeners and rules forward to, and their targets;
//! the network's resource associations, their resource configurations (a group's children
//! too) and the resource gateways those use.
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
//! are found by the provider after it ([`crate::ram::discover`]), which also fills in each
//! object's generated arguments from the table of types.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use trellis_provider::{
    DiscoverRequest, DiscoverResponse, DiscoveredObject, ErrorKind, ProviderError, SkippedObject,
};
use trellis_types::Value;

use super::access_log_subscription::AccessLogSubscription;
use super::auth_policy::AuthPolicy;
use super::listener::Listener;
use super::listener_rule::ListenerRule;
use super::resource_configuration::ResourceConfiguration;
use super::resource_gateway::ResourceGateway;
use super::resource_policy::ResourcePolicy;
use super::service::Service;
use super::service_network::ServiceNetwork;
use super::service_network_resource_association::ResourceAssociation;
use super::service_network_service_association::{summary_value, ServiceAssociation};
use super::service_network_vpc_association::VpcAssociation;
use super::target_group::TargetGroup;
use super::target_group_attachment::{find_target, list_targets, TargetGroupAttachment};
use super::LatticeType;
use crate::sdk::clients::Clients;
use crate::sdk::convert::{arn_account, block, list, s, short_id};
use crate::sdk::error::{invalid, sdk};

/// How many API calls discovery keeps in flight.
pub const PARALLEL_CALLS: usize = 32;

struct Ctx {
    c: Arc<Clients>,
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

    /// The next page of a paginator, as one call under the semaphore (the end of the
    /// stream makes no call and counts none).
    async fn page<T>(&self, next: impl Future<Output = Option<T>>) -> Option<T> {
        let _permit = self.limit.acquire().await;
        let page = next.await;
        if page.is_some() {
            self.calls.fetch_add(1, Ordering::Relaxed);
        }
        page
    }

    /// The object as `Provider::import` returns it (a Get, and a tag read for tagged types).
    async fn import(
        &self,
        kind: &'static dyn LatticeType,
        id: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let calls = if kind.tagged() { 2 } else { 1 };
        self.call(calls, super::import(&self.c, kind, id)).await
    }
}

/// A paginator over a list request with Lattice's page size.
macro_rules! pages {
    ($request:expr) => {
        $request.max_results(100).into_paginator().send()
    };
}

/// What one discovered object becomes.
struct Found {
    type_name: &'static str,
    import_id: String,
    name: String,
    value: Value,
}

/// Discovers every mesh that starts at `request.roots` (kind `service-network`).
///
/// The objects' `arguments` are left null: the provider fills them in from the table.
pub(crate) async fn discover(
    c: Arc<Clients>,
    request: DiscoverRequest,
) -> Result<DiscoverResponse, ProviderError> {
    let account = c.identity().await?.0.clone();
    let ctx = Arc::new(Ctx {
        c,
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
    let mut configurations: BTreeSet<String> = BTreeSet::new();
    while let Some(joined) = networks.join_next().await {
        let (f, s, svc, rc) =
            joined.map_err(|e| invalid(format!("discovery task failed: {e}")))??;
        found.extend(f);
        skipped.extend(s);
        services.extend(svc);
        configurations.extend(rc);
    }

    // 1b. The resource configurations associated with the networks (a group with its
    // children), and the resource gateways they go through.
    let (f, skip) = resources(&ctx, configurations).await?;
    found.extend(f);
    skipped.extend(skip);

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
            ServiceNetwork.name(),
            Service.name(),
            TargetGroup.name(),
            TargetGroupAttachment.name(),
            Listener.name(),
            ListenerRule.name(),
            ServiceAssociation.name(),
            VpcAssociation.name(),
            AuthPolicy.name(),
            ResourcePolicy.name(),
            AccessLogSubscription.name(),
            ResourceGateway.name(),
            ResourceConfiguration.name(),
            ResourceAssociation.name(),
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
    let objects = found
        .into_iter()
        .map(|f| DiscoveredObject {
            type_name: f.type_name.to_string(),
            owner: s(&f.value, "arn")
                .as_deref()
                .and_then(arn_account)
                .filter(|a| *a != ctx.account)
                .map(str::to_string),
            arguments: Value::Null,
            import_id: f.import_id,
            name: f.name,
            value: f.value,
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
async fn network(ctx: &Arc<Ctx>, id: &str) -> Result<NetworkPart, ProviderError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut services = BTreeMap::new();
    let mut configurations = BTreeSet::new();
    let foreign = arn_account(id).filter(|a| *a != ctx.account);
    let (network_id, name) = if let Some(owner) = foreign {
        let o = ctx
            .call(1, async {
                ctx.c
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
            kind: ServiceNetwork.name().to_string(),
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
            .import(&ServiceNetwork, id)
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
            type_name: ServiceNetwork.name(),
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

    let (snsas, snvas, snras) = tokio::join!(
        list_snsas(ctx, &network_id),
        list_snvas(ctx, &network_id),
        list_snras(ctx, &network_id)
    );

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
                kind: Service.name().to_string(),
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
                kind: ServiceAssociation.name().to_string(),
                id: import_id,
                owner: Some(creator),
                reason: format!("{CREATED_ELSEWHERE} (service {service_arn})"),
            });
            continue;
        }
        let ctx = ctx.clone();
        let assoc_name = format!("{service_name}-{name}");
        reads.spawn(async move {
            match ctx
                .call(1, super::with_tags(&ctx.c, &ServiceAssociation, value))
                .await
            {
                Ok(value) => Ok(Some(Found {
                    type_name: ServiceAssociation.name(),
                    import_id,
                    name: assoc_name,
                    value,
                })),
                Err(e) => Err(SkippedObject {
                    kind: ServiceAssociation.name().to_string(),
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
                kind: VpcAssociation.name().to_string(),
                id: snva.id,
                owner: Some(snva.created_by),
                reason: format!("{CREATED_ELSEWHERE} (VPC {})", snva.vpc_id),
            });
            continue;
        }
        reads.spawn(read_one(
            ctx.clone(),
            &VpcAssociation,
            snva.id,
            format!("{name}-{}", snva.vpc_id),
        ));
    }
    for snra in snras? {
        if !snra.created_by.is_empty() && snra.created_by != ctx.account {
            skipped.push(SkippedObject {
                kind: ResourceAssociation.name().to_string(),
                id: snra.id,
                owner: Some(snra.created_by),
                reason: format!(
                    "{CREATED_ELSEWHERE} (resource configuration {})",
                    snra.configuration_id
                ),
            });
            continue;
        }
        reads.spawn(read_one(
            ctx.clone(),
            &ResourceAssociation,
            snra.id,
            format!("{}-{name}", snra.configuration_name),
        ));
        configurations.insert(snra.configuration_id);
    }
    while let Some(joined) = reads.join_next().await {
        match joined.map_err(task_failed)? {
            Ok(Some(f)) => found.push(f),
            Ok(None) => {}
            Err(skip) => skipped.push(skip),
        }
    }
    Ok((found, skipped, services, configurations))
}

/// What one network gives: its objects, what was skipped, the services (ID to name) and
/// the resource configurations (IDs) associated with it.
type NetworkPart = (
    Vec<Found>,
    Vec<SkippedObject>,
    BTreeMap<String, String>,
    BTreeSet<String>,
);

/// The resource configurations `ids`, the children of those that are groups, and the
/// resource gateways of them all, each read as import reads it.
async fn resources(ctx: &Arc<Ctx>, ids: BTreeSet<String>) -> Result<Part, ProviderError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut configurations = ids.clone();
    // Children of groups: associated through their group, managed beside it.
    for id in &ids {
        let mut stream = pages!(ctx
            .c
            .lattice
            .list_resource_configurations()
            .resource_configuration_group_identifier(id));
        while let Some(o) = ctx.page(stream.next()).await {
            match o.map_err(sdk) {
                Ok(o) => configurations
                    .extend(o.items().iter().filter_map(|i| i.id().map(str::to_string))),
                // Not a group of this account: the configuration's own read says why.
                Err(_) => break,
            }
        }
    }
    let mut reads = JoinSet::new();
    for id in configurations {
        let ctx = ctx.clone();
        reads.spawn(async move {
            let name = id.clone();
            read_one(ctx, &ResourceConfiguration, id, name).await
        });
    }
    let mut gateways = BTreeSet::new();
    while let Some(joined) = reads.join_next().await {
        match joined.map_err(task_failed)? {
            Ok(Some(mut f)) => {
                if let Some(name) = s(&f.value, "name") {
                    f.name = name;
                }
                if let Some(gw) = s(&f.value, "resource_gateway_identifier") {
                    gateways.insert(gw);
                }
                found.push(f);
            }
            Ok(None) => {}
            Err(skip) => skipped.push(skip),
        }
    }
    let mut reads = JoinSet::new();
    for id in gateways {
        let ctx = ctx.clone();
        reads.spawn(async move {
            let name = id.clone();
            read_one(ctx, &ResourceGateway, id, name).await
        });
    }
    while let Some(joined) = reads.join_next().await {
        match joined.map_err(task_failed)? {
            Ok(Some(mut f)) => {
                if let Some(name) = s(&f.value, "name") {
                    f.name = name;
                }
                found.push(f);
            }
            Ok(None) => {}
            Err(skip) => skipped.push(skip),
        }
    }
    Ok((found, skipped))
}

/// A resource association from its list summary.
struct Snra {
    id: String,
    configuration_id: String,
    configuration_name: String,
    created_by: String,
}

/// Every resource association of a network.
async fn list_snras(ctx: &Arc<Ctx>, network: &str) -> Result<Vec<Snra>, ProviderError> {
    let mut out = Vec::new();
    let mut stream = pages!(ctx
        .c
        .lattice
        .list_service_network_resource_associations()
        .service_network_identifier(network));
    while let Some(o) = ctx.page(stream.next()).await {
        let o = o.map_err(sdk)?;
        for i in o.items() {
            out.push(Snra {
                id: i.id().unwrap_or_default().to_string(),
                configuration_id: i
                    .resource_configuration_id()
                    .unwrap_or_default()
                    .to_string(),
                configuration_name: i
                    .resource_configuration_name()
                    .unwrap_or_default()
                    .to_string(),
                created_by: i.created_by().unwrap_or_default().to_string(),
            });
        }
    }
    Ok(out)
}

/// Reads one object; an object this account may not read is skipped with its owner.
async fn read_one(
    ctx: Arc<Ctx>,
    kind: &'static dyn LatticeType,
    id: String,
    name: String,
) -> Result<Option<Found>, SkippedObject> {
    let type_name = kind.name();
    match ctx.import(kind, &id).await {
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
        read_one(ctx.clone(), &AuthPolicy, id.to_string(), name.to_string()),
        read_one(
            ctx.clone(),
            &ResourcePolicy,
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
    let mut stream = pages!(ctx
        .c
        .lattice
        .list_access_log_subscriptions()
        .resource_identifier(id));
    while let Some(o) = ctx.page(stream.next()).await {
        let o = o.map_err(sdk)?;
        ids.extend(o.items().iter().map(|i| i.id().to_string()));
    }
    let mut out = Vec::new();
    for (i, log_id) in ids.into_iter().enumerate() {
        let suffix = if i == 0 {
            String::new()
        } else {
            format!("-{}", i + 1)
        };
        if let Ok(Some(f)) = read_one(
            ctx.clone(),
            &AccessLogSubscription,
            log_id,
            format!("{name}{suffix}"),
        )
        .await
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
    let mut stream = pages!(ctx
        .c
        .lattice
        .list_service_network_service_associations()
        .service_network_identifier(network));
    while let Some(o) = ctx.page(stream.next()).await {
        let o = o.map_err(sdk)?;
        for i in o.items() {
            let service_id = i.service_id().unwrap_or_default().to_string();
            let value = summary_value(i);
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
    }
    Ok(out)
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
    let mut stream = pages!(ctx
        .c
        .lattice
        .list_service_network_vpc_associations()
        .service_network_identifier(network));
    while let Some(o) = ctx.page(stream.next()).await {
        let o = o.map_err(sdk)?;
        for i in o.items() {
            out.push(Snva {
                id: i.id().unwrap_or_default().to_string(),
                vpc_id: i.vpc_id().unwrap_or_default().to_string(),
                created_by: i.created_by().unwrap_or_default().to_string(),
            });
        }
    }
    Ok(out)
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
    let Some(value) = ctx.import(&Service, id).await? else {
        return Ok((Vec::new(), Vec::new(), BTreeSet::new()));
    };
    let arn = s(&value, "arn").unwrap_or_default();
    let mut found = vec![Found {
        type_name: Service.name(),
        import_id: id.to_string(),
        name: name.to_string(),
        value,
    }];
    let mut skipped = Vec::new();
    let mut tgs = BTreeSet::new();

    let listeners = async {
        let mut out = Vec::new();
        let mut stream = pages!(ctx.c.lattice.list_listeners().service_identifier(id));
        while let Some(o) = ctx.page(stream.next()).await {
            let o = o.map_err(sdk)?;
            for l in o.items() {
                out.push((
                    l.id().unwrap_or_default().to_string(),
                    l.name().unwrap_or_default().to_string(),
                ));
            }
        }
        Ok::<_, ProviderError>(out)
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
        let mut stream = pages!(ctx
            .c
            .lattice
            .list_rules()
            .service_identifier(service)
            .listener_identifier(id));
        while let Some(o) = ctx.page(stream.next()).await {
            let o = o.map_err(sdk)?;
            for r in o.items() {
                if r.is_default() != Some(true) {
                    out.push((
                        r.id().unwrap_or_default().to_string(),
                        r.name().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
        Ok::<_, ProviderError>(out)
    };
    let (value, rules) = tokio::join!(ctx.import(&Listener, &import_id), rules);
    let Some(value) = value? else {
        return Ok((Vec::new(), BTreeSet::new()));
    };
    let mut tgs: BTreeSet<String> = block(&value, "default_action")
        .map(forwards_to)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut found = vec![Found {
        type_name: Listener.name(),
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
            let value = ctx.import(&ListenerRule, &rule_import).await?;
            Ok::<_, ProviderError>(value.map(|value| Found {
                type_name: ListenerRule.name(),
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
                kind: TargetGroup.name().to_string(),
                id: identifier.to_string(),
                owner,
                reason: "owned by another account; import it with that account's credentials"
                    .to_string(),
            }],
        ));
    }
    let id = short_id(identifier).to_string();
    let (value, targets) = tokio::join!(
        ctx.import(&TargetGroup, &id),
        ctx.call(1, list_targets(&ctx.c.lattice, &id))
    );
    let Some(value) = value? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let name = s(&value, "name").unwrap_or_else(|| id.clone());
    let mut found = vec![Found {
        type_name: TargetGroup.name(),
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
            type_name: TargetGroupAttachment.name(),
            import_id: format!("{id}/{target}/{port_text}"),
            name: format!("{name}-{target}-{port_text}"),
            value,
        });
    }
    Ok((found, Vec::new()))
}
