//! Refresh of VPC Lattice objects with as few API calls as the API allows.
//!
//! Most Lattice objects have a list call whose summaries carry `lastUpdatedAt` but not
//! everything the plan compares (a service's `auth_type`, a listener's default action, a
//! rule's match). The provider records each object's `lastUpdatedAt` as its private data
//! (`{"last_updated_at": "SECS.NANOS"}`) when it creates or updates it; a refresh lists each
//! scope once (per account, service, listener or network: [`LatticeType::scope`]), keeps the
//! objects whose stamp and status have not moved, and reads in full only the others.
//! Service-network service associations need no stamp: their summaries hold every
//! attribute. Target attachments are read with one `ListTargets` per target group
//! ([`LatticeType::read_all`]). Auth and resource policies and access log subscriptions have
//! no useful list and are read one by one.
//!
//! The trust placed in `lastUpdatedAt` is the price of the saving: a change that AWS made
//! without moving the stamp would go unseen until a full read (`trellis plan -refresh=full`,
//! or any change to the object). Tags do not rest on the stamp: they are read in bulk, up to
//! 100 objects a call, alongside the lists (see [`super::tagging`], which the provider runs
//! over every Lattice object of a refresh).
//!
//! Lists never make a refresh more expensive than reading each object: a group of one object
//! is read directly, and an account-wide list stops after as many pages as it has objects
//! left to find, reading the rest directly.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aws_sdk_vpclattice::primitives::DateTime;
use tokio::sync::Semaphore;
use trellis_provider::{Private, ProviderError, ReadItem, ReadObject};
use trellis_types::Value;

use super::{carry_over, read_one, LatticeType};
use crate::sdk::clients::Clients;
use crate::sdk::convert::s;

/// A page size that every Lattice list call accepts.
pub(crate) const PAGE: i32 = 100;

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

/// What a list says of one object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listed {
    pub stamp: Option<DateTime>,
    pub status: Option<String>,
    /// The whole value, for kinds whose summary holds every attribute.
    pub value: Option<Value>,
}

/// The entry of a summary that carries a stamp (and a status).
pub(crate) fn stamped(
    id: Option<&str>,
    stamp: Option<&DateTime>,
    status: Option<String>,
) -> (String, Listed) {
    let listed = Listed {
        stamp: stamp.cloned(),
        status,
        value: None,
    };
    (id.unwrap_or_default().to_string(), listed)
}

type Entries = Vec<(String, Listed)>;
type PageFuture = Pin<Box<dyn Future<Output = Option<Result<Entries, ProviderError>>> + Send>>;

/// The pages of one list call, one request per [`Pager::next`]: an SDK paginator (made with
/// `pager!`) whose summaries are mapped to entries. It asks for a page only when called, so
/// a refresh that stops early makes no further call.
pub(crate) struct Pager {
    next: Option<Box<dyn FnMut() -> PageFuture + Send>>,
}

impl Pager {
    pub(crate) fn new(next: impl FnMut() -> PageFuture + Send + 'static) -> Pager {
        Pager {
            next: Some(Box::new(next)),
        }
    }

    /// A list with no pages, for types without one.
    pub(crate) fn empty() -> Pager {
        Pager { next: None }
    }

    async fn next(&mut self) -> Option<Result<Entries, ProviderError>> {
        match &mut self.next {
            Some(next) => next().await,
            None => None,
        }
    }
}

/// Reads `items` (all of type `kind`): the current value of each and its private data, or
/// `None` when it is gone. `full` reads every object in full.
pub(crate) async fn read<T: LatticeType + Copy>(
    c: &Arc<Clients>,
    kind: T,
    items: &[ReadItem],
    full: bool,
    limit: &Arc<Semaphore>,
) -> Result<Vec<Option<ReadObject>>, ProviderError> {
    let mut out: Vec<Option<ReadObject>> = vec![None; items.len()];
    if let Some(values) = kind.read_all(&c.lattice, items, limit).await {
        for (i, value) in values?.into_iter().enumerate() {
            out[i] = value.map(|v| ReadObject::new(carry_over(kind.tagged(), v, &items[i].prior)));
        }
        return Ok(out);
    }
    let mut direct: Vec<(usize, Private)> = Vec::new();
    let mut scopes: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        match kind.scope(&item.prior) {
            Some(scope) => scopes.entry(scope).or_default().push(i),
            None => direct.push((i, None)),
        }
    }

    // Lists, all at once: every scope with more than one object.
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
        let (c, limit) = (c.clone(), limit.clone());
        lists.spawn(async move {
            let found = list(&c, kind, &limit, &scope, &wanted).await;
            (indices, found)
        });
    }
    while let Some(joined) = lists.join_next().await {
        let (indices, found) = joined.map_err(task_failed)?;
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
                Some(l) => match settle(kind.tagged(), item, l, full) {
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
        let (c, item, limit) = (c.clone(), items[i].clone(), limit.clone());
        reads.spawn(async move {
            let _permit = limit.acquire().await;
            // Without a newer stamp the recorded one stays: a stale stamp costs a full read
            // later, never a missed change.
            let value = read_one(&c, &kind, &item.prior).await;
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
fn settle(tagged: bool, item: &ReadItem, listed: &Listed, full: bool) -> Option<ReadObject> {
    if let Some(value) = &listed.value {
        return Some(ReadObject {
            value: carry_over(tagged, value.clone(), &item.prior),
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
/// (one with no parents) has used as many pages as it has objects left to find (reading
/// those directly is then no dearer).
async fn list<T: LatticeType>(
    c: &Clients,
    kind: T,
    limit: &Semaphore,
    scope: &[String],
    wanted: &[String],
) -> Result<HashMap<String, Listed>, ProviderError> {
    let mut found: HashMap<String, Listed> = HashMap::new();
    let mut missing: HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let mut pager = kind.pages(&c.lattice, scope);
    let mut pages = 0usize;
    loop {
        let page = {
            let _permit = limit.acquire().await;
            pager.next().await
        };
        // The paginator ends after the page without a next token, making no call.
        let Some(entries) = page else {
            return Ok(found);
        };
        pages += 1;
        for (id, listed) in entries? {
            missing.remove(id.as_str());
            found.insert(id, listed);
        }
        if missing.is_empty() {
            return Ok(found);
        }
        if scope.is_empty() && pages >= missing.len() {
            return Ok(found);
        }
    }
}

pub(crate) fn task_failed(e: tokio::task::JoinError) -> ProviderError {
    ProviderError::new(
        trellis_provider::ErrorKind::Other,
        format!("read task failed: {e}"),
    )
}
