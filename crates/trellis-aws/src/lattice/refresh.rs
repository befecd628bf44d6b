//! Refresh of VPC Lattice objects with as few API calls as the API allows.
//!
//! Most Lattice objects have a list call whose summaries carry `lastUpdatedAt` but not
//! everything the plan compares (a service's `auth_type`, a listener's default action, a
//! rule's match). The provider records each object's `lastUpdatedAt` as its private data
//! (`{"last_updated_at": "SECS.NANOS"}`) when it creates or updates it; a refresh lists each
//! kind once (per account, service, listener or network), keeps the objects whose stamp and
//! status have not moved, and reads in full only the others. Service-network service
//! associations need no stamp: their summaries hold every attribute. Target attachments are
//! read with one `ListTargets` per target group. Auth and resource policies and access log
//! subscriptions have no useful list and are read one by one.
//!
//! The trust placed in `lastUpdatedAt` is the price of the saving: a change that AWS made
//! without moving the stamp would go unseen until a full read (`trellis plan -refresh=full`,
//! or any change to the object). Tags are not read by refresh at all (see `carry_over`).
//!
//! Lists never make a refresh more expensive than reading each object: a group of one object
//! is read directly, and an account-wide list stops after as many pages as it has objects
//! left to find, reading the rest directly.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_vpclattice::primitives::DateTime;
use aws_sdk_vpclattice::Client;
use trellis_provider::{Private, ProviderError, ReadItem, ReadObject};
use trellis_types::Value;

use crate::convert::{block, s, short_id};
use crate::error::{is_not_found, sdk};
use crate::resources::*;
use crate::sdkconv::dns_from_sdk;
use crate::{carry_over, convert, Inner};

/// Concurrent calls of one refresh.
const CONCURRENCY: usize = 16;

/// A page size that every Lattice list call accepts.
const PAGE: i32 = 100;

/// The private data for an object last modified at `stamp`.
pub(crate) fn private_of(stamp: Option<&DateTime>) -> Private {
    private_of_text(stamp.map(stamp_text))
}

/// The private data that records a stamp [`stamp_text`] wrote.
pub(crate) fn private_of_text(stamp: Option<String>) -> Private {
    stamp.map(|t| serde_json::json!({ "last_updated_at": t }))
}

pub(crate) fn stamp_text(d: &DateTime) -> String {
    format!("{}.{:09}", d.secs(), d.subsec_nanos())
}

fn recorded_stamp(private: &Private) -> Option<&str> {
    private.as_ref()?.get("last_updated_at")?.as_str()
}

/// The list call that covers an object, when there is one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Scope {
    ServiceNetworks,
    Services,
    TargetGroups,
    /// The listeners of a service.
    Listeners(String),
    /// The rules of a listener: (service, listener).
    Rules(String, String),
    /// The service associations of a service network.
    ServiceAssociations(String),
    /// The VPC associations of a service network.
    VpcAssociations(String),
}

impl Scope {
    fn of(item: &ReadItem) -> Option<Scope> {
        let p = &item.prior;
        let id = |key: &str| s(p, key).map(|v| short_id(&v).to_string());
        Some(match item.type_name.as_str() {
            SERVICE_NETWORK => Scope::ServiceNetworks,
            SERVICE => Scope::Services,
            TARGET_GROUP => Scope::TargetGroups,
            LISTENER => Scope::Listeners(id("service_arn").or_else(|| id("service_identifier"))?),
            RULE => Scope::Rules(id("service_identifier")?, id("listener_identifier")?),
            SNSA => Scope::ServiceAssociations(id("service_network_identifier")?),
            SNVA => Scope::VpcAssociations(id("service_network_identifier")?),
            _ => return None,
        })
    }

    /// Whether the list covers the whole account (and may hold many unrelated objects).
    fn account_wide(&self) -> bool {
        matches!(
            self,
            Scope::ServiceNetworks | Scope::Services | Scope::TargetGroups
        )
    }
}

/// What a list says of one object.
#[derive(Debug, Clone, Default)]
struct Listed {
    stamp: Option<DateTime>,
    status: Option<String>,
    /// The whole value, for kinds whose summary holds every attribute.
    value: Option<Value>,
}

/// One page of a list: the objects on it and the token of the next page.
type Page = (Vec<(String, Listed)>, Option<String>);

/// Reads `items` (Lattice types only): the current value of each and its private data, or
/// `None` when it is gone. `full` reads every object in full.
pub(crate) async fn read(
    inner: &Arc<Inner>,
    items: &[ReadItem],
    full: bool,
) -> Result<Vec<Option<ReadObject>>, ProviderError> {
    let mut out: Vec<Option<ReadObject>> = vec![None; items.len()];
    let mut direct: Vec<(usize, Private)> = Vec::new();
    let mut scopes: BTreeMap<Scope, Vec<usize>> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.type_name == ATTACHMENT {
            let tg = s(&item.prior, "target_group_identifier").unwrap_or_default();
            groups.entry(short_id(&tg).to_string()).or_default().push(i);
        } else if let Some(scope) = Scope::of(item) {
            scopes.entry(scope).or_default().push(i);
        } else {
            direct.push((i, None));
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));

    // Lists, all at once: every scope with more than one object, and each target group.
    let mut lists = tokio::task::JoinSet::new();
    for (scope, indices) in scopes {
        if indices.len() < 2 {
            direct.extend(indices.into_iter().map(|i| (i, None)));
            continue;
        }
        let wanted: Vec<String> = indices
            .iter()
            .filter_map(|i| s(&items[*i].prior, "id"))
            .collect();
        let (c, limit) = (inner.lattice.clone(), limit.clone());
        lists.spawn(async move {
            let found = list(&c, &limit, &scope, &wanted).await;
            (Some((scope, indices)), found, Vec::new())
        });
    }
    for (tg, indices) in groups {
        let (c, limit) = (inner.lattice.clone(), limit.clone());
        lists.spawn(async move {
            let _permit = limit.acquire().await;
            let targets = match list_targets(&c, &tg).await {
                Ok(t) => Ok(t),
                Err(e) if is_not_found(&e) => Ok(Vec::new()),
                Err(e) => Err(e),
            };
            (None, Ok(HashMap::new()), vec![(indices, targets)])
        });
    }
    while let Some(joined) = lists.join_next().await {
        let (scope, found, targets) = joined.map_err(task_failed)?;
        for (indices, listed) in targets {
            let listed = listed?;
            for i in indices {
                let prior = &items[i].prior;
                let target = block(prior, "target").cloned().unwrap_or(Value::Null);
                out[i] = find_target(
                    &listed,
                    &s(prior, "target_group_identifier").unwrap_or_default(),
                    &s(&target, "id").unwrap_or_default(),
                    convert::n(&target, "port"),
                )
                .map(|v| ReadObject::new(carry_over(ATTACHMENT, v, prior)));
            }
        }
        let Some((_, indices)) = scope else {
            continue;
        };
        // A list that fails (another account's network, say) leaves its objects to be read
        // one by one, which reports the real error if there is one.
        let Ok(found) = found else {
            direct.extend(indices.into_iter().map(|i| (i, None)));
            continue;
        };
        for i in indices {
            let item = &items[i];
            let listed = s(&item.prior, "id").and_then(|id| found.get(&id));
            match listed {
                Some(l) => match settle(item, l, full) {
                    Some(object) => out[i] = Some(object),
                    None => direct.push((i, private_of(l.stamp.as_ref()))),
                },
                None => direct.push((i, None)),
            }
        }
    }

    // Full reads of everything else.
    let mut reads = tokio::task::JoinSet::new();
    for (i, private) in direct {
        let (inner, item, limit) = (inner.clone(), items[i].clone(), limit.clone());
        reads.spawn(async move {
            let _permit = limit.acquire().await;
            // Without a newer stamp the recorded one stays: a stale stamp costs a full read
            // later, never a missed change.
            let value = inner.read_one(&item.type_name, &item.prior).await;
            (
                i,
                value.map(|v| {
                    v.map(|(value, read)| ReadObject {
                        value,
                        // The stamp of the read itself, else the list's.
                        private: read.or(private).or(item.private),
                    })
                }),
            )
        });
    }
    while let Some(joined) = reads.join_next().await {
        let (i, result) = joined.map_err(task_failed)?;
        out[i] = result?;
    }
    Ok(out)
}

/// The object as the list shows it, when the list says enough: its whole value, or its
/// recorded value when neither its stamp nor its status has moved. `None` asks for a full
/// read.
fn settle(item: &ReadItem, listed: &Listed, full: bool) -> Option<ReadObject> {
    if let Some(value) = &listed.value {
        return Some(ReadObject {
            value: carry_over(&item.type_name, value.clone(), &item.prior),
            private: item.private.clone(),
        });
    }
    if full {
        return None;
    }
    let stamp = listed.stamp.as_ref().map(stamp_text)?;
    let same_stamp = recorded_stamp(&item.private) == Some(stamp.as_str());
    let same_status = match (s(&item.prior, "status"), &listed.status) {
        (Some(before), Some(now)) => &before == now,
        _ => true,
    };
    (same_stamp && same_status).then(|| ReadObject {
        value: item.prior.clone(),
        private: item.private.clone(),
    })
}

/// Lists `scope` until every ID in `wanted` is found, the list ends, or an account-wide list
/// has used as many pages as it has objects left to find (reading those directly is then no
/// dearer).
async fn list(
    c: &Client,
    limit: &tokio::sync::Semaphore,
    scope: &Scope,
    wanted: &[String],
) -> Result<HashMap<String, Listed>, ProviderError> {
    let mut found: HashMap<String, Listed> = HashMap::new();
    let mut missing: std::collections::HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let mut next: Option<String> = None;
    let mut pages = 0usize;
    loop {
        let (entries, token) = {
            let _permit = limit.acquire().await;
            page(c, scope, next.take()).await?
        };
        pages += 1;
        for (id, listed) in entries {
            missing.remove(id.as_str());
            found.insert(id, listed);
        }
        if missing.is_empty() || token.is_none() {
            return Ok(found);
        }
        if scope.account_wide() && pages >= missing.len() {
            return Ok(found);
        }
        next = token;
    }
}

/// Sends one page request of a list call and maps its summaries with `$entry`, which gets
/// each summary and returns its `(id, Listed)`.
macro_rules! list_page {
    ($request:expr, $next:expr, $entry:expr) => {{
        let o = $request
            .set_next_token($next)
            .max_results(PAGE)
            .send()
            .await
            .map_err(sdk)?;
        let items = o.items().iter().map($entry).collect();
        (items, o.next_token().map(str::to_string))
    }};
}

/// The entry of a summary that carries a stamp, and a status when `$status` names its getter.
macro_rules! stamped {
    ($x:expr) => {
        stamped($x.id(), $x.last_updated_at(), None)
    };
    ($x:expr, status) => {
        stamped(
            $x.id(),
            $x.last_updated_at(),
            $x.status().map(|v| v.as_str().to_string()),
        )
    };
}

fn stamped(id: Option<&str>, stamp: Option<&DateTime>, status: Option<String>) -> (String, Listed) {
    let listed = Listed {
        stamp: stamp.cloned(),
        status,
        value: None,
    };
    (id.unwrap_or_default().to_string(), listed)
}

async fn page(c: &Client, scope: &Scope, next: Option<String>) -> Result<Page, ProviderError> {
    Ok(match scope {
        Scope::ServiceNetworks => {
            list_page!(c.list_service_networks(), next, |x| stamped!(x))
        }
        Scope::Services => list_page!(c.list_services(), next, |x| stamped!(x, status)),
        Scope::TargetGroups => {
            list_page!(c.list_target_groups(), next, |x| stamped!(x, status))
        }
        Scope::Listeners(service) => list_page!(
            c.list_listeners().service_identifier(service),
            next,
            |x| stamped!(x)
        ),
        Scope::Rules(service, listener) => list_page!(
            c.list_rules()
                .service_identifier(service)
                .listener_identifier(listener),
            next,
            |x| stamped!(x)
        ),
        Scope::VpcAssociations(network) => list_page!(
            c.list_service_network_vpc_associations()
                .service_network_identifier(network),
            next,
            |x| stamped!(x, status)
        ),
        Scope::ServiceAssociations(network) => list_page!(
            c.list_service_network_service_associations()
                .service_network_identifier(network),
            next,
            |x| {
                // The summary holds every attribute: no stamp needed.
                let value = snsa_value(SnsaFields {
                    id: x.id(),
                    arn: x.arn(),
                    status: x.status().map(|v| v.as_str()),
                    created_by: x.created_by(),
                    service_id: x.service_id(),
                    service_network_id: x.service_network_id(),
                    custom_domain_name: x.custom_domain_name(),
                    dns_entry: dns_from_sdk(x.dns_entry()),
                });
                let listed = Listed {
                    value: Some(value),
                    ..Listed::default()
                };
                (x.id().unwrap_or_default().to_string(), listed)
            }
        ),
    })
}

fn task_failed(e: tokio::task::JoinError) -> ProviderError {
    ProviderError::new(
        trellis_provider::ErrorKind::Other,
        format!("read task failed: {e}"),
    )
}
