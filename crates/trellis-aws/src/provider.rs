//! The configured provider of one `provider "aws"` block: the dispatcher. It finds each
//! request's type in [`crate::registry::TYPES`] and calls it; it names no type, and of the
//! services only their data sources, discovery and Lattice's bulk tag read (which spans the
//! Lattice types of a refresh).
//!
//! It also learns the block's account on its first read (for the plan's
//! `(in account ..., region)` lines), and turns the error a consumer account gets when it
//! uses a service network or service that is not shared with it into a message that says
//! which RAM share is missing.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Semaphore;
use trellis_provider::{
    CreateRequest, CreateResponse, DeleteRequest, DiscoverRequest, DiscoverResponse,
    DiscoveredObject, ErrorKind, ImportRequest, PlanChangeRequest, PlanChangeResponse, Provider,
    ProviderError, ReadDataRequest, ReadObject, ReadRequest, ReadResponse, SettleRequest,
    UpdateRequest, UpdateResponse,
};
use trellis_types::{Location, Value};

use crate::registry::{self, resource_type};
use crate::sdk::clients::Clients;
use crate::sdk::convert::s;
use crate::sdk::error::invalid;
use crate::sdk::resource::{with_own_tags, NamedService, ResourceType, Service};
use crate::sdk::values::follow_prior;
use crate::{ec2, iam, lattice, logs, meta, ram, route53, s3, ssm};

/// Concurrent calls of one refresh, per service.
const CONCURRENCY: usize = 16;

/// A configured AWS provider (one `provider "aws"` block).
pub struct AwsProvider {
    c: Arc<Clients>,
    location: std::sync::OnceLock<Location>,
}

impl AwsProvider {
    pub(crate) fn new(c: Clients) -> AwsProvider {
        AwsProvider {
            c: Arc::new(c),
            location: std::sync::OnceLock::new(),
        }
    }

    fn served(&self, type_name: &str) -> Result<&'static dyn ResourceType, ProviderError> {
        resource_type(type_name)
            .ok_or_else(|| invalid(format!("unknown resource type {type_name}")))
    }

    /// Rewrites the error of a consumer that uses another account's service network or
    /// service before it is shared with it (AWS answers AccessDenied or NotFound) into one
    /// that says which share is missing.
    async fn explain_unshared(&self, identifier: &str, error: ProviderError) -> ProviderError {
        if !matches!(error.kind, ErrorKind::AccessDenied | ErrorKind::NotFound) {
            return error;
        }
        let Ok(me) = self.c.account().await else {
            return error;
        };
        let Some(owner) = foreign_owner(identifier, &me) else {
            return error;
        };
        let pending = ram::pending_invitation_from(&self.c, &owner)
            .await
            .ok()
            .flatten();
        let advice = match pending {
            Some(share) => format!(
                "a resource share invitation from account {owner} ({share}) is pending: accept it \
                 with an aws_ram_resource_share_accepter in account {me}, and make this resource \
                 depend on the accepter"
            ),
            None => format!(
                "share it from account {owner} with an aws_ram_resource_share, an \
                 aws_ram_resource_association for it and an aws_ram_principal_association for \
                 account {me}, accept the share in account {me} \
                 (aws_ram_resource_share_accepter, unless both accounts are in one organization \
                 with sharing enabled), and make this resource depend on them"
            ),
        };
        // No code: the AWS code stays in the message, after the explanation.
        ProviderError::new(
            ErrorKind::NotFound,
            format!(
                "the resource share is missing: {identifier} belongs to account {owner} and is \
                 not shared with account {me}; {advice} (AWS said: {error})"
            ),
        )
    }

    /// A Lattice failure explained, when it names another account's network or service.
    async fn explained(&self, identifier: Option<String>, e: ProviderError) -> ProviderError {
        match identifier {
            Some(id) => self.explain_unshared(&id, e).await,
            None => e,
        }
    }
}

/// Whether `identifier` is an ARN of another account than `account`; that account if so.
fn foreign_owner(identifier: &str, account: &str) -> Option<String> {
    let parts: Vec<&str> = identifier.split(':').collect();
    match parts.as_slice() {
        ["arn", _, _, _, owner, ..] if !owner.is_empty() && *owner != account => {
            Some(owner.to_string())
        }
        _ => None,
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn location(&self) -> Option<Location> {
        if let Some(l) = self.location.get() {
            return Some(l.clone());
        }
        match self.c.known_identity() {
            Some((account, _, _)) => {
                let l = Location::new(account.clone(), self.c.region.clone());
                let _ = self.location.set(l.clone());
                Some(l)
            }
            None => Some(Location {
                account: None,
                region: Some(self.c.region.clone()),
            }),
        }
    }

    async fn read(&self, request: ReadRequest) -> Result<ReadResponse, ProviderError> {
        // Learn the account once, for `location()` (the engine reads every provider once after
        // validation, also with no instances); a failure here is not fatal to refresh.
        let _ = self.c.identity().await;
        let mut out: Vec<Option<ReadObject>> = vec![None; request.items.len()];
        // Items of each type go to their type together (a type lists what it can).
        let mut by_type: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, item) in request.items.iter().enumerate() {
            by_type.entry(item.type_name.as_str()).or_default().push(i);
        }
        // Tags of the Lattice objects, in bulk across types, while the lists run.
        let tags = lattice::tagging::Bulk::start(&self.c, &request.items, |item| {
            resource_type(&item.type_name).is_some_and(|t| t.service() == Service::Lattice)
                && registry::schema_of(&item.type_name)
                    .is_some_and(|s| s.block.attributes.contains_key("tags_all"))
        })
        .await;
        let mut limits: BTreeMap<Service, Arc<Semaphore>> = BTreeMap::new();
        let mut reads = tokio::task::JoinSet::new();
        for (type_name, indices) in by_type {
            let ty = self.served(type_name)?;
            let limit = limits
                .entry(ty.service())
                .or_insert_with(|| Arc::new(Semaphore::new(CONCURRENCY)))
                .clone();
            let items = indices.iter().map(|i| request.items[*i].clone()).collect();
            let (c, full) = (self.c.clone(), request.full);
            reads.spawn(async move { (indices, ty.read(&c, items, full, limit).await) });
        }
        while let Some(joined) = reads.join_next().await {
            let (indices, read) = joined.map_err(|e| {
                ProviderError::new(ErrorKind::Other, format!("read task failed: {e}"))
            })?;
            for (i, v) in indices.into_iter().zip(read?) {
                out[i] = v;
            }
        }
        tags.finish(&self.c, &request.items, &mut out).await?;
        Ok(ReadResponse { items: out })
    }

    fn plan_change(&self, request: PlanChangeRequest) -> PlanChangeResponse {
        match resource_type(&request.type_name) {
            Some(ty) => ty.plan_change(&self.c, request),
            // A data source read during apply (its type name is no resource type): only what
            // every value gets.
            None => {
                let mut planned = request.planned;
                follow_prior(&mut planned, &request.config, request.prior.as_ref());
                PlanChangeResponse {
                    planned,
                    diagnostics: Vec::new(),
                }
            }
        }
    }

    async fn create(&self, request: CreateRequest) -> Result<CreateResponse, ProviderError> {
        let ty = self.served(&request.type_name)?;
        let created = ty.create(&self.c, &request.planned, &request.token).await;
        match created {
            Err(e) if ty.service() == Service::Lattice => {
                let network = s(&request.planned, "service_network_identifier");
                Err(self.explained(network, e).await)
            }
            other => other,
        }
    }

    async fn update(&self, request: UpdateRequest) -> Result<UpdateResponse, ProviderError> {
        self.served(&request.type_name)?
            .update(&self.c, &request.prior, &request.planned)
            .await
    }

    async fn delete(&self, request: DeleteRequest) -> Result<(), ProviderError> {
        self.served(&request.type_name)?
            .delete(&self.c, &request.prior)
            .await
    }

    async fn settle(&self, request: SettleRequest) -> Result<Option<Value>, ProviderError> {
        self.served(&request.type_name)?
            .settle(&self.c, &request.planned, &request.token)
            .await
    }

    async fn import(&self, request: ImportRequest) -> Result<Option<Value>, ProviderError> {
        self.served(&request.type_name)?
            .import(&self.c, &request.id)
            .await
    }

    async fn discover(&self, request: DiscoverRequest) -> Result<DiscoverResponse, ProviderError> {
        let mut response = lattice::discover::discover(self.c.clone(), request).await?;
        // The RAM shares that hold the networks and services of this account, and the shares
        // through which the networks of other accounts reach this one.
        let mesh: BTreeMap<String, String> = response
            .objects
            .iter()
            .filter(|o| {
                o.owner.is_none()
                    && matches!(
                        o.type_name.as_str(),
                        lattice::service_network::NAME | lattice::service::NAME
                    )
            })
            .filter_map(|o| Some((s(&o.value, "arn")?, o.name.clone())))
            .collect();
        let foreign: Vec<String> = response
            .skipped
            .iter()
            .filter(|s| s.kind == lattice::service_network::NAME && s.id.starts_with("arn:"))
            .map(|s| s.id.clone())
            .collect();
        let ram = ram::discover(&self.c, &mesh, &foreign).await;
        for f in ram.found {
            if registry::schema_of(f.type_name).is_none() {
                continue;
            }
            response.objects.push(DiscoveredObject {
                type_name: f.type_name.to_string(),
                import_id: f.import_id,
                name: f.name,
                arguments: Value::Null,
                value: with_own_tags(&self.c, f.value),
                owner: None,
            });
        }
        for o in &mut response.objects {
            o.arguments = registry::arguments(&o.type_name, &o.value);
        }
        response.skipped.extend(ram.skipped);
        response
            .skipped
            .sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
        response.skipped.dedup();
        response.calls = response.calls.map(|n| n + ram.calls);
        Ok(response)
    }

    async fn read_data(&self, request: ReadDataRequest) -> Result<Value, ProviderError> {
        let (c, t, config) = (&self.c, request.type_name.as_str(), &request.config);
        if t == trellis_iam::TYPE_NAME {
            return trellis_iam::read(config).map_err(|e| invalid(e.to_string()));
        }
        let service = registry::data_source_service(t)
            .ok_or_else(|| invalid(format!("unknown data source {t}")))?;
        match service {
            None => meta::read(c, t).await,
            Some(Service::Ram) => ram::data::read(c, t, config).await,
            Some(Service::Route53) => route53::data::read(c, t, config).await,
            Some(Service::Ec2) => ec2::data::read(c, t, config).await,
            Some(Service::Iam) => iam::Api::read_data(c, t, config).await,
            Some(Service::Logs) => logs::Api::read_data(c, t, config).await,
            Some(Service::S3) => s3::Api::read_data(c, t, config).await,
            Some(Service::Ssm) => ssm::Api::read_data(c, t, config).await,
            Some(Service::Acm) => Err(invalid(format!("unknown data source {t}"))),
            Some(Service::Lattice) => match lattice::data::read(c, t, config).await {
                Ok(v) => Ok(v),
                Err(e) => {
                    let identifier = s(config, "service_network_identifier")
                        .or_else(|| s(config, "service_identifier"));
                    Err(self.explained(identifier, e).await)
                }
            },
        }
    }

    async fn close(&self) -> Result<(), ProviderError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_owners() {
        let arn = "arn:aws:vpc-lattice:us-east-1:111111111111:servicenetwork/sn-0123";
        assert_eq!(
            foreign_owner(arn, "222222222222").as_deref(),
            Some("111111111111")
        );
        assert_eq!(foreign_owner(arn, "111111111111"), None);
        assert_eq!(foreign_owner("sn-0123", "111111111111"), None);
    }
}
