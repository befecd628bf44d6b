//! VPC Lattice: one file per resource type (its schema, checks, plan rules, create / get /
//! update / delete, import probe, settle lookup, refresh list and discovery defaults), the
//! [`LatticeType`] trait they implement, and [`Served`], the adapter that gives every Lattice
//! type what they all share: `tags` through Lattice's tag API, `lastUpdatedAt` stamps as
//! private data, carried-over attributes, and batched refresh ([`refresh`]).
//!
//! Service-level parts: [`refresh`] (list calls per scope), [`discover`] (the walk from a
//! service network through its mesh), [`data`] (data sources), [`convert`] (nested blocks to
//! and from the SDK) and [`blocks`] (nested blocks of the schemas).
//!
//! Adding a type: copy the file of a similar one (`access_log_subscription.rs` is a small
//! one), implement [`LatticeType`], add `mod` below and one line to `crate::registry::TYPES`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_vpclattice::Client;
use tokio::sync::Semaphore;
use trellis_provider::{
    AttributeDiagnostic, CreateResponse, ErrorKind, PlanChangeRequest, PlanChangeResponse, Private,
    ProviderError, ReadItem, ReadObject, ResourceSchema, UpdateResponse,
};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::convert::{block, hash_map, map_value, s, short_id};
use crate::sdk::error::{is_not_found, sdk};
use crate::sdk::resource::{ResourceType, Service};
use crate::sdk::values::{follow_prior, keep_spellings, plan_tags_all, TagChange};
use crate::sdk::wait::{wait_for, Poll};

/// Whether any item of a paginated list stream satisfies a condition on `$x` (the settle
/// lookups).
macro_rules! any_item {
    ($stream:expr, $x:ident => $cond:expr) => {{
        let mut stream = $stream;
        let mut found = false;
        while let Some(item) = stream.next().await {
            let $x = item.map_err($crate::sdk::error::sdk)?;
            if $cond {
                found = true;
                break;
            }
        }
        Ok(found)
    }};
}

/// A [`refresh::Pager`] over an SDK paginator's page stream, mapping each page's summaries
/// with `$entry` (summary to `(id, Listed)`).
macro_rules! pager {
    ($request:expr, $entry:expr) => {{
        let stream = std::sync::Arc::new(tokio::sync::Mutex::new(
            $request
                .max_results($crate::lattice::refresh::PAGE)
                .into_paginator()
                .send(),
        ));
        $crate::lattice::refresh::Pager::new(move || {
            let stream = stream.clone();
            Box::pin(async move {
                let page = stream.lock().await.next().await?;
                Some(
                    page.map_err($crate::sdk::error::sdk)
                        .map(|o| o.items().iter().map($entry).collect()),
                )
            })
        })
    }};
}

/// The entry of a summary that carries a stamp, and a status when `status` follows: for
/// [`pager!`].
macro_rules! stamped {
    ($x:expr) => {
        $crate::lattice::refresh::stamped($x.id(), $x.last_updated_at(), None)
    };
    ($x:expr, status) => {
        $crate::lattice::refresh::stamped(
            $x.id(),
            $x.last_updated_at(),
            $x.status().map(|v| v.as_str().to_string()),
        )
    };
}

pub(crate) mod blocks;
pub(crate) mod checks;
pub(crate) mod convert;
pub(crate) mod data;
pub(crate) mod discover;
pub(crate) mod refresh;
pub(crate) mod tagging;

pub(crate) mod access_log_subscription;
pub(crate) mod auth_policy;
pub(crate) mod listener;
pub(crate) mod listener_rule;
pub(crate) mod resource_configuration;
pub(crate) mod resource_gateway;
pub(crate) mod resource_policy;
pub(crate) mod service;
pub(crate) mod service_network;
pub(crate) mod service_network_resource_association;
pub(crate) mod service_network_service_association;
pub(crate) mod service_network_vpc_association;
pub(crate) mod target_group;
pub(crate) mod target_group_attachment;

pub(crate) const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
pub(crate) const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// One VPC Lattice resource type. The calls take the Lattice client; tags, stamps and
/// carried-over attributes are [`Served`]'s.
#[async_trait]
pub(crate) trait LatticeType: Send + Sync + 'static {
    fn name(&self) -> &'static str;

    fn schema(&self) -> ResourceSchema;

    /// Whether objects carry `tags` and `tags_all` (through Lattice's tag API, by ARN).
    fn tagged(&self) -> bool {
        true
    }

    fn validate(&self, _config: &Value, _out: &mut Vec<AttributeDiagnostic>) {}

    /// This type's plan rules against the prior state, after those every type has.
    fn plan_rules(&self, _prior: &Value, _planned: &mut Value) {}

    /// The full current value of the object `prior` identifies (no tags, no timeouts), with
    /// its stamp under [`STAMP`] where the Get gives one.
    async fn get(&self, c: &Client, prior: &Value) -> Result<Value, ProviderError>;

    /// Creates the object with `token` as client token, waits until it is usable, and
    /// returns its full value as [`LatticeType::get`] does.
    async fn create(
        &self,
        c: &Client,
        planned: &Value,
        token: &str,
        tags: Option<HashMap<String, String>>,
    ) -> Result<Value, ProviderError>;

    /// Updates what can change in place (tags are [`Served`]'s) and returns the full value.
    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError>;

    /// Deletes the object (retrying in-progress conflicts) and waits until it is gone.
    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError>;

    /// Settle: whether an object that this create may have made exists (by unique name or
    /// unique parent pair). Types without such a key answer no.
    async fn exists_like(&self, _c: &Client, _planned: &Value) -> Result<bool, ProviderError> {
        Ok(false)
    }

    /// What [`LatticeType::get`] needs, from an import ID.
    fn probe(&self, id: &str) -> Result<Value, ProviderError> {
        Ok(Value::object([("id", Value::string(short_id(id)))]))
    }

    /// Refresh: the parents (none for an account-wide list) of the list call that covers the
    /// object, when the type has one whose summaries carry a stamp or the whole value.
    fn scope(&self, _prior: &Value) -> Option<Vec<String>> {
        None
    }

    /// Refresh: the pages of the list call of `scope` (only called when `scope` answers).
    fn pages(&self, _c: &Client, _scope: &[String]) -> refresh::Pager {
        refresh::Pager::empty()
    }

    /// Refresh: reads every item itself, when the type has a cheaper way than lists and Gets
    /// (target attachments: one ListTargets per target group).
    async fn read_all(
        &self,
        _c: &Client,
        _items: &[ReadItem],
        _limit: &Arc<Semaphore>,
    ) -> Option<Result<Vec<Option<Value>>, ProviderError>> {
        None
    }

    /// Discovery: removes arguments equal to the server's defaults.
    fn drop_defaults(&self, _arguments: &mut BTreeMap<String, Value>) {}

    /// The import ID from the attributes of Terraform's state.
    fn terraform_import_id(&self, attributes: &serde_json::Value) -> Option<String> {
        tf_attr(attributes, "id")
    }
}

/// The error for an import ID that is not of the form the schema gives.
pub(crate) fn bad_import_id(id: &str, schema: &ResourceSchema) -> ProviderError {
    crate::sdk::error::invalid(format!(
        "import id {id:?} does not have the form {}",
        schema.import_id.clone().unwrap_or_default()
    ))
}

/// The non-empty string attribute `key` of Terraform's state.
pub(crate) fn tf_attr(attributes: &serde_json::Value, key: &str) -> Option<String> {
    attributes
        .get(key)
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A Lattice type as the table serves it.
pub(crate) struct Served<T>(pub T);

#[async_trait]
impl<T: LatticeType + Copy> ResourceType for Served<T> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn service(&self) -> Service {
        Service::Lattice
    }

    fn schema(&self) -> ResourceSchema {
        self.0.schema()
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        self.0.validate(config, &mut out);
        out
    }

    fn plan_change(&self, c: &Clients, request: PlanChangeRequest) -> PlanChangeResponse {
        let mut planned = request.planned;
        follow_prior(&mut planned, &request.config, request.prior.as_ref());
        if let Some(prior) = &request.prior {
            self.0.plan_rules(prior, &mut planned);
        }
        if let Some(Value::List(groups)) = planned.get("security_group_ids").cloned() {
            if groups.iter().all(|g| g.as_str().is_some()) {
                let sorted: BTreeSet<String> = groups
                    .iter()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect();
                planned.set_path(
                    &Path::from_keys(["security_group_ids"]),
                    Value::List(sorted.into_iter().map(Value::String).collect()),
                );
            }
        }
        if self.0.tagged() && planned.as_map().is_some() {
            plan_tags_all(&mut planned, &c.default_tags);
        }
        PlanChangeResponse {
            planned,
            diagnostics: Vec::new(),
        }
    }

    async fn read(
        &self,
        c: &Arc<Clients>,
        items: Vec<ReadItem>,
        full: bool,
        limit: Arc<Semaphore>,
    ) -> Result<Vec<Option<ReadObject>>, ProviderError> {
        refresh::read(c, self.0, &items, full, &limit).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<CreateResponse, ProviderError> {
        let tagged = self.0.tagged();
        let tags = if tagged {
            c.tags_all(planned)
        } else {
            BTreeMap::new()
        };
        let mut current = self
            .0
            .create(&c.lattice, planned, token, hash_map(&tags))
            .await?;
        let stamp = take_stamp(&mut current);
        let mut state = carry_over(tagged, current, planned);
        if tagged {
            state.set_path(&Path::from_keys(["tags_all"]), map_value(&tags));
        }
        // The Get that ends every Lattice create and update carries the stamp.
        let private = refresh::private_of_text(stamp);
        Ok(CreateResponse { state, private })
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<UpdateResponse, ProviderError> {
        let mut current = self.0.update(&c.lattice, prior, planned).await?;
        let stamp = take_stamp(&mut current);
        let mut state = carry_over(self.0.tagged(), current, planned);
        if self.0.tagged() {
            update_tags(c, prior, planned).await?;
            state.set_path(
                &Path::from_keys(["tags_all"]),
                map_value(&c.tags_all(planned)),
            );
        }
        let private = refresh::private_of_text(stamp);
        Ok(UpdateResponse { state, private })
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        self.0.delete(&c.lattice, prior).await
    }

    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        // Only objects with a unique name (or parent pair) can have been made by this token.
        // Re-issuing the create with the same token and parameters returns that object, as
        // Lattice documents; another object with the name answers ConflictException, and the
        // engine's create will then report the clash.
        if !self.0.exists_like(&c.lattice, planned).await? {
            return Ok(None);
        }
        match self.create(c, planned, token).await {
            Ok(r) => Ok(Some(r.state)),
            Err(e) if e.kind == ErrorKind::Conflict => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        import(c, &self.0, id).await
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        self.0.drop_defaults(arguments)
    }

    fn terraform_import_id(&self, attributes: &serde_json::Value) -> Option<String> {
        self.0.terraform_import_id(attributes)
    }
}

/// The value of `kind` with import ID `id`, tags included. Import answers no private data:
/// the first refresh reads the object in full and records its stamp then.
pub(crate) async fn import(
    c: &Clients,
    kind: &dyn LatticeType,
    id: &str,
) -> Result<Option<Value>, ProviderError> {
    let probe = kind.probe(id)?;
    let Some((value, _)) = read_one(c, kind, &probe).await? else {
        return Ok(None);
    };
    with_tags(c, kind, value).await.map(Some)
}

/// One object read in full, with the private data the read gives (its stamp).
pub(crate) async fn read_one(
    c: &Clients,
    kind: &dyn LatticeType,
    prior: &Value,
) -> Result<Option<(Value, Private)>, ProviderError> {
    match kind.get(&c.lattice, prior).await {
        Ok(mut current) => {
            let stamp = take_stamp(&mut current);
            Ok(Some((
                carry_over(kind.tagged(), current, prior),
                refresh::private_of_text(stamp),
            )))
        }
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `value` with `tags` (its own) and `tags_all` (with the provider's default tags) read
/// from AWS, for the types that have tags.
pub(crate) async fn with_tags(
    c: &Clients,
    kind: &dyn LatticeType,
    mut value: Value,
) -> Result<Value, ProviderError> {
    if kind.tagged() {
        if let Some(arn) = s(&value, "arn") {
            let all = fetch_tags(c, &arn).await?;
            let own = c.own_tags(&all);
            // No tags of its own reads as no `tags` argument, as the configuration
            // that describes the object would have it.
            let tags = if own.is_empty() {
                Value::Null
            } else {
                map_value(&own)
            };
            value.set_path(&Path::from_keys(["tags"]), tags);
            value.set_path(&Path::from_keys(["tags_all"]), map_value(&all));
        }
    }
    Ok(value)
}

/// The tags of the object with `arn`.
pub(crate) async fn fetch_tags(
    c: &Clients,
    arn: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    let o = c
        .lattice
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk)?;
    Ok(o.tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

async fn update_tags(c: &Clients, prior: &Value, planned: &Value) -> Result<(), ProviderError> {
    let before = crate::sdk::convert::string_map(prior.get("tags_all"));
    let after = c.tags_all(planned);
    if before == after {
        return Ok(());
    }
    let Some(arn) = s(prior, "arn") else {
        return Ok(());
    };
    let TagChange { removed, changed } = TagChange::between(&before, &after);
    if !removed.is_empty() {
        c.lattice
            .untag_resource()
            .resource_arn(&arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(sdk)?;
    }
    if let Some(changed) = hash_map(&changed) {
        c.lattice
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(changed))
            .send()
            .await
            .map_err(sdk)?;
    }
    Ok(())
}

/// The current value with what the API does not return carried over from `reference` (the
/// prior state or the planned value): tags (refresh reads them in bulk afterwards, see
/// [`tagging`]),
/// timeouts, and the caller's spelling of identifiers and JSON documents where they mean the
/// same as what AWS returned.
pub(crate) fn carry_over(tagged: bool, mut current: Value, reference: &Value) -> Value {
    let Value::Map(map) = &mut current else {
        return current;
    };
    if tagged {
        for key in ["tags", "tags_all"] {
            map.insert(
                key.into(),
                reference.get(key).cloned().unwrap_or(Value::Null),
            );
        }
    }
    if let Some(t) = reference.get("timeouts") {
        map.insert("timeouts".into(), t.clone());
    }
    keep_spellings(&mut current, reference);
    current
}

/// Where a Get puts the object's `lastUpdatedAt` (as [`refresh`] writes stamps) in the value
/// it returns, for the provider to keep as private data: the Get that ends a create, an
/// update or a full read thus also gives the stamp that cheap refreshes compare, with no call
/// of its own. Never part of a resource's state: [`take_stamp`] removes it.
pub(crate) const STAMP: &str = "__trellis_last_updated_at";

pub(crate) fn stamp_value(at: Option<&aws_sdk_vpclattice::primitives::DateTime>) -> Value {
    at.map_or(Value::Null, |d| Value::string(refresh::stamp_text(d)))
}

/// Removes the stamp a Get put into `value` and returns it.
pub(crate) fn take_stamp(value: &mut Value) -> Option<String> {
    match value {
        Value::Map(m) => m.remove(STAMP).and_then(|v| v.as_str().map(str::to_string)),
        _ => None,
    }
}

pub(crate) fn id_of(value: &Value) -> Result<String, ProviderError> {
    crate::sdk::error::required(value, "id")
}

/// The value without the `failure_message` of a Get (which state does not keep).
pub(crate) fn drop_failure(mut v: Value) -> Value {
    if let Value::Map(m) = &mut v {
        m.remove("failure_message");
    }
    v
}

/// Waits until `get` reports NotFound.
pub(crate) async fn wait_gone<F, Fut>(
    what: &str,
    limit: Duration,
    mut get: F,
) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value, ProviderError>>,
{
    wait_for(what, limit, || {
        let fut = get();
        async move {
            match fut.await {
                Ok(v) if s(&v, "status").as_deref() == Some("DELETE_FAILED") => {
                    Ok(Poll::Failed("delete failed".to_string()))
                }
                Ok(_) => Ok(Poll::Pending),
                Err(e) if is_not_found(&e) => Ok(Poll::Ready(())),
                Err(e) => Err(e),
            }
        }
    })
    .await
}

/// Waits for `get` to report ACTIVE; fails with the resource's failure message.
pub(crate) async fn wait_active<F, Fut>(
    what: &str,
    limit: Duration,
    mut get: F,
) -> Result<Value, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Value, ProviderError>>,
{
    wait_for(what, limit, || {
        let fut = get();
        async move {
            let v = fut.await?;
            let status = s(&v, "status").unwrap_or_default();
            let failure = s(&v, "failure_message");
            Ok(match status.as_str() {
                "ACTIVE" | "" => Poll::Ready(v),
                s if s.ends_with("_FAILED") => {
                    Poll::Failed(format!("{s}: {}", failure.unwrap_or_default()))
                }
                _ => Poll::Pending,
            })
        }
    })
    .await
}

/// The service a listener belongs to, as its prior state names it.
pub(crate) fn service_of(prior: &Value) -> Option<String> {
    s(prior, "service_arn").or_else(|| s(prior, "service_identifier"))
}

/// `block` or an error that says it is required.
pub(crate) fn required_block<'a>(value: &'a Value, key: &str) -> Result<&'a Value, ProviderError> {
    block(value, key).ok_or_else(|| crate::sdk::error::invalid(format!("{key} is required")))
}
