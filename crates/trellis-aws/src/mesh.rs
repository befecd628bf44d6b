//! The parts of a mesh beyond VPC Lattice: RAM shares ([`crate::ram`]), Route53 names
//! ([`crate::route53`]) and EC2 networks and security groups ([`crate::ec2`]).
//!
//! [`MeshProvider`] wraps the Lattice [`AwsProvider`] of one `provider "aws"` block: it serves
//! the RAM, Route53 and EC2 types itself and hands every other call to the Lattice provider,
//! so the two halves share one configuration (credentials, region, `default_tags`) and one
//! account. It also turns the error a consumer account gets when it uses a service network
//! or service that is not shared with it into a message that says so.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_vpclattice::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_vpclattice::operation::RequestId;
use trellis_provider::{
    AttributeDiagnostic, CreateRequest, CreateResponse, DeleteRequest, DiscoverRequest,
    DiscoverResponse, DiscoveredObject, ErrorKind, ImportRequest, PlanChangeRequest,
    PlanChangeResponse, Provider, ProviderError, ProviderSchema, ReadDataRequest, ReadObject,
    ReadRequest, ReadResponse, ResourceSchema, SettleRequest, UpdateRequest, UpdateResponse,
};
use trellis_types::{Path, Value};

use crate::convert::{map_value, s, string_map};
use crate::{ec2, ram, route53, AwsProvider, Inner};

/// The SDK clients of one provider block for the non-Lattice types.
pub(crate) struct Clients {
    pub ec2: aws_sdk_ec2::Client,
    pub ram: aws_sdk_ram::Client,
    pub route53: aws_sdk_route53::Client,
    pub inner: Arc<Inner>,
}

impl Clients {
    /// The account this provider acts as (one GetCallerIdentity per provider).
    pub async fn account(&self) -> Result<String, ProviderError> {
        Ok(self.inner.identity().await?.0.clone())
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// `tags` of `planned` merged over the provider's `default_tags`.
    pub fn tags_all(&self, planned: &Value) -> BTreeMap<String, String> {
        self.inner.tags_all(planned)
    }

    pub fn partition(&self) -> &'static str {
        crate::partition_of(&self.inner.region).0
    }
}

/// Which module serves a resource or data source type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Ram,
    Route53,
    Ec2,
}

fn family(type_name: &str) -> Option<Family> {
    if type_name.starts_with("aws_ram_") {
        Some(Family::Ram)
    } else if type_name.starts_with("aws_route53_") {
        Some(Family::Route53)
    } else if matches!(
        type_name,
        "aws_vpc"
            | "aws_subnet"
            | "aws_subnets"
            | "aws_security_group"
            | "aws_vpc_security_group_ingress_rule"
            | "aws_vpc_security_group_egress_rule"
            | "aws_ec2_managed_prefix_list"
    ) {
        Some(Family::Ec2)
    } else {
        None
    }
}

/// The diagnostics of a RAM, Route53 or EC2 configuration; `None` for other types.
pub(crate) fn validate(type_name: &str, config: &Value) -> Option<Vec<AttributeDiagnostic>> {
    Some(match family(type_name)? {
        Family::Ram => ram::validate(type_name, config),
        Family::Route53 => route53::validate(type_name, config),
        Family::Ec2 => ec2::validate(type_name, config),
    })
}

/// Adds the RAM, Route53 and EC2 types and the `ec2`, `ram` and `route53` endpoints to the
/// provider schema.
pub(crate) fn extend_schema(mut schema: ProviderSchema) -> ProviderSchema {
    ram::schema(&mut schema.resources, &mut schema.data_sources);
    route53::schema(&mut schema.resources, &mut schema.data_sources);
    ec2::schema(&mut schema.resources, &mut schema.data_sources);
    if let Some(endpoints) = schema.provider.blocks.get_mut("endpoints") {
        for service in ["ec2", "ram", "route53"] {
            endpoints.block.attributes.insert(
                service.to_string(),
                trellis_provider::Attribute::optional(trellis_provider::AttrType::String),
            );
        }
    }
    schema
}

/// Wraps a configured Lattice provider with the clients for RAM, Route53 and EC2. Makes no
/// call: the account is learnt on the first `read` (one STS call), which the engine makes for
/// every provider after validation, so bad input still fails before any remote call.
pub(crate) async fn wrap(lattice: AwsProvider, endpoints: &Value) -> Arc<dyn Provider> {
    let inner = lattice.inner.clone();
    let sdk = &inner._sdk;
    let ec2 = {
        let mut b = aws_sdk_ec2::config::Builder::from(sdk);
        if let Some(url) = s(endpoints, "ec2") {
            b = b.endpoint_url(url);
        }
        aws_sdk_ec2::Client::from_conf(b.build())
    };
    let ram = {
        let mut b = aws_sdk_ram::config::Builder::from(sdk);
        if let Some(url) = s(endpoints, "ram") {
            b = b.endpoint_url(url);
        }
        aws_sdk_ram::Client::from_conf(b.build())
    };
    let route53 = {
        let mut b = aws_sdk_route53::config::Builder::from(sdk);
        if let Some(url) = s(endpoints, "route53") {
            b = b.endpoint_url(url);
        }
        aws_sdk_route53::Client::from_conf(b.build())
    };
    Arc::new(MeshProvider {
        lattice,
        c: Arc::new(Clients {
            ec2,
            ram,
            route53,
            inner,
        }),
    })
}

/// A configured `provider "aws"` block: Lattice types through [`AwsProvider`], RAM, Route53
/// and EC2 types here.
pub(crate) struct MeshProvider {
    lattice: AwsProvider,
    c: Arc<Clients>,
}

/// Converts an SDK error of any AWS service, with the error kinds of EC2, RAM and Route53
/// codes.
pub(crate) fn aws<E, R>(err: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let mut e = crate::error::sdk(err);
    if let Some(code) = e.code.clone() {
        if let Some(kind) = kind_of(&code) {
            e.kind = kind;
        }
    }
    e
}

fn kind_of(code: &str) -> Option<ErrorKind> {
    Some(match code {
        c if c.ends_with(".NotFound") || c.ends_with("NotFound") => ErrorKind::NotFound,
        "NoSuchHostedZone"
        | "NoSuchChange"
        | "UnknownResourceException"
        | "ResourceShareInvitationArnNotFoundException" => ErrorKind::NotFound,
        "DependencyViolation"
        | "HostedZoneNotEmpty"
        | "PriorRequestNotComplete"
        | "InvalidStateTransitionException"
        | "ConflictingDomainExists"
        | "LastVPCAssociation"
        | "HostedZoneAlreadyExists"
        | "InvalidGroup.Duplicate"
        | "InvalidPermission.Duplicate" => ErrorKind::Conflict,
        "InvalidParameterValue"
        | "InvalidParameterException"
        | "InvalidParameterCombination"
        | "InvalidInput"
        | "InvalidChangeBatch"
        | "MalformedArnException"
        | "InvalidDomainName"
        | "InvalidVPCId" => ErrorKind::Invalid,
        "AccessDenied"
        | "UnauthorizedOperation"
        | "OperationNotPermittedException"
        | "NotAuthorizedException" => ErrorKind::AccessDenied,
        _ => return None,
    })
}

/// The current value with what the API does not return carried over from `reference` (the
/// prior state or the planned value): configuration-only attributes, `tags` (the API returns
/// only the merged `tags_all`), timeouts, and the caller's spelling of identifiers.
pub(crate) fn carry_over(mut current: Value, reference: &Value) -> Value {
    if let (Value::Map(map), Some(refs)) = (&mut current, reference.unmarked().as_map()) {
        for (k, v) in refs {
            if !map.contains_key(k) || k == "tags" {
                map.insert(k.clone(), v.clone());
            }
        }
    }
    crate::keep_spellings(&mut current, reference);
    current
}

/// `tags` as the value of a resource (null when empty, as an unset optional map).
pub(crate) fn tags_value(tags: &BTreeMap<String, String>) -> Value {
    map_value(tags)
}

/// A list of values in the canonical order of a set (the order the engine gives sets).
pub(crate) fn set_of(mut items: Vec<Value>) -> Value {
    items.sort_by_key(|v| v.to_string());
    items.dedup();
    Value::List(items)
}

pub(crate) fn required(value: &Value, key: &str) -> Result<String, ProviderError> {
    s(value, key).ok_or_else(|| crate::error::invalid(format!("{key} is required")))
}

fn not_found(e: &ProviderError) -> bool {
    e.kind == ErrorKind::NotFound
}

fn has_tags(schema: &ResourceSchema) -> bool {
    schema.block.attributes.contains_key("tags_all")
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

impl MeshProvider {
    /// An imported object's own tags: its tags less the provider's default tags.
    fn own_tags(&self, mut v: Value) -> Value {
        if let Some(all) = v.get("tags_all").cloned() {
            let own: BTreeMap<String, String> = string_map(Some(&all))
                .into_iter()
                .filter(|(k, val)| self.c.inner.default_tags.get(k) != Some(val))
                .collect();
            v.set_path(&Path::from_keys(["tags"]), tags_value(&own));
        }
        v
    }

    fn schema_of(&self, type_name: &str) -> Option<&'static ResourceSchema> {
        static SCHEMA: std::sync::OnceLock<ProviderSchema> = std::sync::OnceLock::new();
        SCHEMA
            .get_or_init(|| extend_schema(crate::schema::provider_schema()))
            .resources
            .get(type_name)
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
}

#[async_trait]
impl Provider for MeshProvider {
    fn location(&self) -> Option<trellis_types::Location> {
        self.lattice.location()
    }

    async fn discover(&self, request: DiscoverRequest) -> Result<DiscoverResponse, ProviderError> {
        let mut response = self.lattice.discover(request).await?;
        // The RAM shares that hold the networks and services of this account, and the shares
        // through which the networks of other accounts reach this one.
        let mesh: BTreeMap<String, String> = response
            .objects
            .iter()
            .filter(|o| {
                o.owner.is_none()
                    && matches!(
                        o.type_name.as_str(),
                        crate::resources::SERVICE_NETWORK | crate::resources::SERVICE
                    )
            })
            .filter_map(|o| Some((s(&o.value, "arn")?, o.name.clone())))
            .collect();
        let foreign: Vec<String> = response
            .skipped
            .iter()
            .filter(|s| s.kind == crate::resources::SERVICE_NETWORK && s.id.starts_with("arn:"))
            .map(|s| s.id.clone())
            .collect();
        let ram = ram::discover(&self.c, &mesh, &foreign).await;
        for f in ram.found {
            let Some(schema) = self.schema_of(f.type_name) else {
                continue;
            };
            let value = self.own_tags(f.value);
            response.objects.push(DiscoveredObject {
                type_name: f.type_name.to_string(),
                import_id: f.import_id,
                name: f.name,
                arguments: crate::discover::arguments(f.type_name, &value, &schema.block),
                value,
                owner: None,
            });
        }
        response.skipped.extend(ram.skipped);
        response
            .skipped
            .sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
        response.skipped.dedup();
        response.calls = response.calls.map(|n| n + ram.calls);
        Ok(response)
    }

    async fn read(&self, request: ReadRequest) -> Result<ReadResponse, ProviderError> {
        // Learn the account once, for `location()` (the engine reads every provider once after
        // validation, also with no instances); a failure here is not fatal to refresh.
        let _ = self.c.inner.identity().await;
        let mut out: Vec<Option<ReadObject>> = vec![None; request.items.len()];
        let (mine, theirs): (Vec<usize>, Vec<usize>) =
            (0..request.items.len()).partition(|i| family(&request.items[*i].type_name).is_some());
        if !theirs.is_empty() {
            let subset = ReadRequest {
                items: theirs.iter().map(|i| request.items[*i].clone()).collect(),
                full: request.full,
            };
            let read = self.lattice.read(subset).await?;
            for (i, v) in theirs.iter().zip(read.items) {
                out[*i] = v;
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        let limit = Arc::new(tokio::sync::Semaphore::new(16));
        for i in mine {
            let item = request.items[i].clone();
            let c = self.c.clone();
            let limit = limit.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire().await;
                let result = match family(&item.type_name) {
                    Some(Family::Ram) => ram::read(&c, &item.type_name, &item.prior).await,
                    Some(Family::Route53) => route53::read(&c, &item.type_name, &item.prior).await,
                    _ => ec2::read(&c, &item.type_name, &item.prior).await,
                };
                let result = match result {
                    Ok(v) => Ok(v.map(|v| ReadObject::new(carry_over(v, &item.prior)))),
                    Err(e) if not_found(&e) => Ok(None),
                    Err(e) => Err(e),
                };
                (i, result)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (i, result) = joined.map_err(|e| {
                ProviderError::new(ErrorKind::Other, format!("read task failed: {e}"))
            })?;
            out[i] = result?;
        }
        Ok(ReadResponse { items: out })
    }

    fn plan_change(&self, request: PlanChangeRequest) -> PlanChangeResponse {
        let Some(fam) = family(&request.type_name) else {
            return self.lattice.plan_change(request);
        };
        let type_name = request.type_name.as_str();
        let mut planned = request.planned;
        if let Some(prior) = &request.prior {
            crate::keep_spellings(&mut planned, prior);
            crate::resolve_unknowns(
                &mut planned,
                Some(&request.config),
                Some(prior),
                &mut Path::root(),
            );
        }
        let diagnostics = match fam {
            Family::Ram => Vec::new(),
            Family::Route53 => route53::plan_change(
                type_name,
                self.c.region(),
                request.prior.as_ref(),
                &mut planned,
            ),
            Family::Ec2 => ec2::plan_change(
                type_name,
                &request.config,
                request.prior.as_ref(),
                &mut planned,
            ),
        };
        // Only managed resources carry `tags_all` (data sources of the same type name do not;
        // they come here too when read during apply).
        if self.schema_of(type_name).is_some_and(has_tags) && planned.get("tags_all").is_some() {
            let tags_all = if planned.get("tags").is_some_and(Value::contains_unknown) {
                Value::Unknown
            } else {
                tags_value(&self.c.tags_all(&planned))
            };
            planned.set_path(&Path::from_keys(["tags_all"]), tags_all);
        }
        PlanChangeResponse {
            planned,
            diagnostics,
        }
    }

    async fn create(&self, request: CreateRequest) -> Result<CreateResponse, ProviderError> {
        let c = &self.c;
        let t = request.type_name.as_str();
        let planned = &request.planned;
        let current = match family(t) {
            Some(Family::Ram) => ram::create(c, t, planned, &request.token).await?,
            Some(Family::Route53) => route53::create(c, t, planned, &request.token).await?,
            Some(Family::Ec2) => ec2::create(c, t, planned, &request.token).await?,
            None => {
                let network = s(planned, "service_network_identifier");
                return match self.lattice.create(request.clone()).await {
                    Ok(r) => Ok(r),
                    Err(e) => match network {
                        Some(id) => Err(self.explain_unshared(&id, e).await),
                        None => Err(e),
                    },
                };
            }
        };
        Ok(CreateResponse {
            state: carry_over(current, planned),
            private: None,
        })
    }

    async fn update(&self, request: UpdateRequest) -> Result<UpdateResponse, ProviderError> {
        let c = &self.c;
        let t = request.type_name.as_str();
        let (prior, planned) = (&request.prior, &request.planned);
        let current = match family(t) {
            Some(Family::Ram) => ram::update(c, t, prior, planned).await?,
            Some(Family::Route53) => route53::update(c, t, prior, planned).await?,
            Some(Family::Ec2) => ec2::update(c, t, prior, planned).await?,
            None => return self.lattice.update(request.clone()).await,
        };
        Ok(UpdateResponse {
            state: carry_over(current, planned),
            private: None,
        })
    }

    async fn delete(&self, request: DeleteRequest) -> Result<(), ProviderError> {
        let c = &self.c;
        let t = request.type_name.as_str();
        let result = match family(t) {
            Some(Family::Ram) => ram::delete(c, t, &request.prior).await,
            Some(Family::Route53) => route53::delete(c, t, &request.prior).await,
            Some(Family::Ec2) => ec2::delete(c, t, &request.prior).await,
            None => return self.lattice.delete(request).await,
        };
        match result {
            Err(e) if not_found(&e) => Ok(()),
            other => other,
        }
    }

    async fn settle(&self, request: SettleRequest) -> Result<Option<Value>, ProviderError> {
        let c = &self.c;
        let t = request.type_name.as_str();
        let found = match family(t) {
            Some(Family::Ram) => ram::settle(c, t, &request.planned, &request.token).await?,
            Some(Family::Route53) => {
                route53::settle(c, t, &request.planned, &request.token).await?
            }
            Some(Family::Ec2) => ec2::settle(c, t, &request.planned, &request.token).await?,
            None => return self.lattice.settle(request).await,
        };
        Ok(found.map(|v| carry_over(v, &request.planned)))
    }

    async fn import(&self, request: ImportRequest) -> Result<Option<Value>, ProviderError> {
        let c = &self.c;
        let t = request.type_name.as_str();
        let found = match family(t) {
            Some(Family::Ram) => ram::import(c, t, &request.id).await,
            Some(Family::Route53) => route53::import(c, t, &request.id).await,
            Some(Family::Ec2) => ec2::import(c, t, &request.id).await,
            None => return self.lattice.import(request).await,
        };
        let found = match found {
            Err(e) if not_found(&e) => return Ok(None),
            other => other?,
        };
        Ok(found.map(|v| self.own_tags(v)))
    }

    async fn read_data(&self, request: ReadDataRequest) -> Result<Value, ProviderError> {
        let c = &self.c;
        let t = request.type_name.as_str();
        match family(t) {
            Some(Family::Ram) => ram::read_data(c, t, &request.config).await,
            Some(Family::Route53) => route53::read_data(c, t, &request.config).await,
            Some(Family::Ec2) => ec2::read_data(c, t, &request.config).await,
            None => {
                let identifier = s(&request.config, "service_network_identifier")
                    .or_else(|| s(&request.config, "service_identifier"));
                match self.lattice.read_data(request).await {
                    Ok(v) => Ok(v),
                    Err(e) => match identifier {
                        Some(id) => Err(self.explain_unshared(&id, e).await),
                        None => Err(e),
                    },
                }
            }
        }
    }

    async fn close(&self) -> Result<(), ProviderError> {
        self.lattice.close().await
    }
}

// ---------------------------------------------------------------------------------------------
// Schema helpers shared by the RAM, Route53 and EC2 modules.

pub(crate) mod sch {
    use trellis_provider::{AttrType, Attribute, Block, ResourceSchema};

    pub fn string() -> AttrType {
        AttrType::String
    }

    pub fn strings() -> AttrType {
        AttrType::List(Box::new(AttrType::String))
    }

    pub fn string_set() -> AttrType {
        AttrType::Set(Box::new(AttrType::String))
    }

    pub fn req(ty: AttrType) -> Attribute {
        Attribute::required(ty)
    }

    pub fn opt(ty: AttrType) -> Attribute {
        Attribute::optional(ty)
    }

    pub fn opt_comp(ty: AttrType) -> Attribute {
        Attribute::optional_computed(ty)
    }

    pub fn comp(ty: AttrType) -> Attribute {
        Attribute::computed(ty)
    }

    /// `tags` and the computed `tags_all`.
    pub fn tagged(block: Block) -> Block {
        let map = AttrType::Map(Box::new(AttrType::String));
        block
            .attr("tags", Attribute::optional(map.clone()))
            .attr("tags_all", Attribute::computed(map))
    }

    /// `filter { name = "...", values = [...] }` blocks of EC2 and RAM data sources.
    pub fn filters(block: Block) -> Block {
        block.block(
            "filter",
            trellis_provider::Nesting::List,
            Block::new()
                .attr("name", Attribute::required(AttrType::String))
                .attr("values", Attribute::required(strings())),
        )
    }

    pub fn resource(description: &str, import_id: &str, block: Block) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block,
            description: description.to_string(),
            import_id: Some(import_id.to_string()),
        }
    }

    pub fn data(description: &str, block: Block) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block,
            description: description.to_string(),
            import_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(family("aws_ram_resource_share"), Some(Family::Ram));
        assert_eq!(family("aws_route53_record"), Some(Family::Route53));
        assert_eq!(family("aws_security_group"), Some(Family::Ec2));
        assert_eq!(family("aws_vpclattice_service"), None);
    }

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

    #[test]
    fn error_kinds_of_other_services() {
        assert_eq!(kind_of("InvalidVpcID.NotFound"), Some(ErrorKind::NotFound));
        assert_eq!(kind_of("NoSuchHostedZone"), Some(ErrorKind::NotFound));
        assert_eq!(kind_of("DependencyViolation"), Some(ErrorKind::Conflict));
        assert_eq!(
            kind_of("VPCAssociationAuthorizationNotFound"),
            Some(ErrorKind::NotFound)
        );
        assert_eq!(kind_of("VPCAssociationNotFound"), Some(ErrorKind::NotFound));
        assert_eq!(
            kind_of("NotAuthorizedException"),
            Some(ErrorKind::AccessDenied)
        );
        assert_eq!(kind_of("LastVPCAssociation"), Some(ErrorKind::Conflict));
        assert_eq!(kind_of("Throttling"), None);
    }
}
