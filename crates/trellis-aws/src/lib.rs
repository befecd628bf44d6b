//! The AWS provider of trellis, for VPC Lattice meshes.
//!
//! [`AwsFactory`] (provider name `aws`) configures one [`Provider`] per `provider "aws"` block
//! from aws-config's credential chain (environment, profiles, SSO, web identity, instance
//! roles), with optional `assume_role`, `default_tags`, `max_retries` and `endpoints`.
//! Resource and data source types, arguments, attributes and import IDs follow the Terraform
//! AWS provider (docs/resources/ has a page per type).
//!
//! This is the only crate that sees `aws-sdk-*` types; none leave it. It owns idempotency
//! (every create sends the engine's token as `clientToken`), waiters for asynchronous
//! statuses, retries of in-progress conflicts on delete, and semantic comparison (ID versus
//! ARN, JSON policies, server-side defaults) in [`Provider::plan_change`]. It does not order
//! operations: the engine deletes dependents first.

mod convert;
mod data;
mod discover;
mod ec2;
mod error;
mod mesh;
mod once;
mod ram;
mod refresh;
mod resources;
mod route53;
mod schema;
mod sdkconv;
mod tagging;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use trellis_provider::{
    AttrType, AttributeDiagnostic, ConfigureRequest, CreateRequest, CreateResponse, DeleteRequest,
    DiscoverRequest, DiscoverResponse, ErrorKind, ImportRequest, PlanChangeRequest,
    PlanChangeResponse, Private, Provider, ProviderError, ProviderFactory, ProviderSchema,
    ReadDataRequest, ReadRequest, ReadResponse, SettleRequest, UpdateRequest, UpdateResponse,
    ValidateRequest,
};
use trellis_types::{Path, PathStep, Value};

use crate::convert::{block, map_value, s, same_json, same_object, short_id, string_map};
use crate::error::{invalid, is_not_found, sdk};
use crate::resources::*;

pub use discover::terraform_import_id;

/// Creates configured AWS providers.
pub struct AwsFactory {
    schema: ProviderSchema,
}

impl Default for AwsFactory {
    fn default() -> Self {
        AwsFactory {
            schema: mesh::extend_schema(schema::provider_schema()),
        }
    }
}

impl AwsFactory {
    pub fn new() -> AwsFactory {
        AwsFactory::default()
    }
}

#[async_trait]
impl ProviderFactory for AwsFactory {
    fn name(&self) -> &str {
        "aws"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn validate(&self, request: ValidateRequest) -> Vec<AttributeDiagnostic> {
        mesh::validate(&request.type_name, &request.config)
            .unwrap_or_else(|| validate::validate(&request.type_name, &request.config))
    }

    async fn configure(
        &self,
        request: ConfigureRequest,
    ) -> Result<Arc<dyn Provider>, ProviderError> {
        let config = &request.config;
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(region) = s(config, "region") {
            loader = loader.region(Region::new(region));
        }
        if let Some(profile) = s(config, "profile") {
            loader = loader.profile_name(profile);
        }
        if let Some(retries) = config.get("max_retries").and_then(Value::as_number) {
            loader = loader.retry_config(
                RetryConfig::standard().with_max_attempts((retries.max(0.0) as u32) + 1),
            );
        }
        let endpoints = block(config, "endpoints").cloned().unwrap_or(Value::Null);
        let mut sdk_config = loader.load().await;
        if let Some(role) = block(config, "assume_role") {
            let role_arn =
                s(role, "role_arn").ok_or_else(|| invalid("assume_role needs role_arn"))?;
            let mut sts_base = sdk_config.to_builder();
            if let Some(url) = s(&endpoints, "sts") {
                sts_base = sts_base.endpoint_url(url);
            }
            let mut builder = AssumeRoleProvider::builder(role_arn)
                .session_name(s(role, "session_name").unwrap_or_else(|| "trellis".into()))
                .configure(&sts_base.build());
            if let Some(external) = s(role, "external_id") {
                builder = builder.external_id(external);
            }
            let provider = builder.build().await;
            sdk_config = sdk_config
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
        let region = sdk_config
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| invalid("no region: set region in the provider block or AWS_REGION"))?;
        let lattice = {
            let mut b = aws_sdk_vpclattice::config::Builder::from(&sdk_config);
            if let Some(url) = s(&endpoints, "vpclattice") {
                b = b.endpoint_url(url);
            }
            aws_sdk_vpclattice::Client::from_conf(b.build())
        };
        let tagging = {
            let mut b = aws_sdk_resourcegroupstagging::config::Builder::from(&sdk_config);
            if let Some(url) = s(&endpoints, "resourcegroupstaggingapi") {
                b = b.endpoint_url(url);
            }
            aws_sdk_resourcegroupstagging::Client::from_conf(b.build())
        };
        let sts = {
            let mut b = aws_sdk_sts::config::Builder::from(&sdk_config);
            if let Some(url) = s(&endpoints, "sts") {
                b = b.endpoint_url(url);
            }
            aws_sdk_sts::Client::from_conf(b.build())
        };
        let default_tags = block(config, "default_tags")
            .map(|d| string_map(d.get("tags")))
            .unwrap_or_default();
        let lattice = AwsProvider {
            inner: Arc::new(Inner {
                lattice,
                tagging,
                sts,
                region,
                default_tags,
                account: tokio::sync::OnceCell::new(),
                _sdk: sdk_config,
            }),
            location: std::sync::OnceLock::new(),
        };
        // RAM, Route53 and EC2 types are served by a wrapper around the Lattice provider.
        Ok(mesh::wrap(lattice, &endpoints).await)
    }
}

struct Inner {
    lattice: aws_sdk_vpclattice::Client,
    /// Bulk tag reads for refresh (see [`tagging`]).
    tagging: aws_sdk_resourcegroupstagging::Client,
    sts: aws_sdk_sts::Client,
    region: String,
    default_tags: BTreeMap<String, String>,
    /// (account, arn, user id) of GetCallerIdentity, fetched once.
    account: tokio::sync::OnceCell<(String, String, String)>,
    _sdk: SdkConfig,
}

impl Inner {
    async fn identity(&self) -> Result<&(String, String, String), ProviderError> {
        self.account
            .get_or_try_init(|| async {
                let o = self.sts.get_caller_identity().send().await.map_err(sdk)?;
                Ok((
                    o.account().unwrap_or_default().to_string(),
                    o.arn().unwrap_or_default().to_string(),
                    o.user_id().unwrap_or_default().to_string(),
                ))
            })
            .await
    }

    /// `tags` merged over the provider's `default_tags`.
    fn tags_all(&self, planned: &Value) -> BTreeMap<String, String> {
        let mut all = self.default_tags.clone();
        all.extend(string_map(planned.get("tags")));
        all
    }

    /// One object read in full, with the private data the read gives (its stamp).
    async fn read_one(
        &self,
        type_name: &str,
        prior: &Value,
    ) -> Result<Option<(Value, Private)>, ProviderError> {
        match resources::get(&self.lattice, type_name, prior).await {
            Ok(mut current) => {
                let stamp = resources::take_stamp(&mut current);
                Ok(Some((
                    carry_over(type_name, current, prior),
                    refresh::private_of_text(stamp),
                )))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn update_tags(&self, prior: &Value, planned: &Value) -> Result<(), ProviderError> {
        let before = string_map(prior.get("tags_all"));
        let after = self.tags_all(planned);
        if before == after {
            return Ok(());
        }
        let Some(arn) = s(prior, "arn") else {
            return Ok(());
        };
        let removed: Vec<String> = before
            .keys()
            .filter(|k| !after.contains_key(*k))
            .cloned()
            .collect();
        if !removed.is_empty() {
            self.lattice
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(removed))
                .send()
                .await
                .map_err(sdk)?;
        }
        let changed: std::collections::HashMap<String, String> = after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !changed.is_empty() {
            self.lattice
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(changed))
                .send()
                .await
                .map_err(sdk)?;
        }
        Ok(())
    }

    async fn fetch_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ProviderError> {
        let o = self
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

    /// The value of `type_name` with import ID `id`, tags included.
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        let parts: Vec<&str> = id.split('/').collect();
        let probe = match (type_name, parts.as_slice()) {
            (LISTENER, [service, listener]) => Value::object([
                ("id", Value::string(*listener)),
                ("service_identifier", Value::string(*service)),
            ]),
            (RULE, [service, listener, rule]) => Value::object([
                ("id", Value::string(*rule)),
                ("service_identifier", Value::string(*service)),
                ("listener_identifier", Value::string(*listener)),
            ]),
            (ATTACHMENT, [tg, target, port]) => {
                let port: Option<f64> = if port.is_empty() {
                    None
                } else {
                    Some(port.parse().map_err(|_| {
                        invalid(format!("import id {id:?}: port {port:?} is not a number"))
                    })?)
                };
                Value::object([
                    ("target_group_identifier", Value::string(*tg)),
                    (
                        "target",
                        Value::object([
                            ("id", Value::string(*target)),
                            ("port", port.map(Value::Number).unwrap_or(Value::Null)),
                        ]),
                    ),
                ])
            }
            (LISTENER | RULE | ATTACHMENT, _) => {
                let format = schema::provider_schema()
                    .resources
                    .get(type_name)
                    .and_then(|r| r.import_id.clone())
                    .unwrap_or_default();
                return Err(invalid(format!(
                    "import id {id:?} does not have the form {format}"
                )));
            }
            (AUTH_POLICY, _) => Value::object([("resource_identifier", Value::string(id))]),
            (RESOURCE_POLICY, _) => Value::object([("resource_arn", Value::string(id))]),
            _ => Value::object([("id", Value::string(short_id(id)))]),
        };
        // Import answers no private data: the first refresh reads the object in full and
        // records its stamp then.
        let Some((value, _)) = self.read_one(type_name, &probe).await? else {
            return Ok(None);
        };
        self.with_tags(type_name, value).await.map(Some)
    }

    /// `value` with `tags` (its own) and `tags_all` (with the provider's default tags) read
    /// from AWS, for the types that have tags.
    async fn with_tags(&self, type_name: &str, mut value: Value) -> Result<Value, ProviderError> {
        if has_tags(type_name) {
            if let Some(arn) = s(&value, "arn") {
                let all = self.fetch_tags(&arn).await?;
                let own: BTreeMap<String, String> = all
                    .iter()
                    .filter(|(k, v)| self.default_tags.get(*k) != Some(*v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
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
}

fn has_tags(type_name: &str) -> bool {
    !matches!(type_name, ATTACHMENT | AUTH_POLICY | RESOURCE_POLICY)
}

/// The current value with what the API does not return carried over from `reference` (the
/// prior state or the planned value): tags (refresh reads them in bulk afterwards, see
/// [`tagging`]),
/// timeouts, and the caller's spelling of identifiers and JSON documents where they mean the
/// same as what AWS returned.
fn carry_over(type_name: &str, mut current: Value, reference: &Value) -> Value {
    let Value::Map(map) = &mut current else {
        return current;
    };
    if has_tags(type_name) {
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

/// Where `value` and `reference` hold identifiers of the same object (ID versus ARN) or equal
/// JSON documents in other spellings, takes `reference`'s spelling. Walks nested blocks.
fn keep_spellings(value: &mut Value, reference: &Value) {
    match (value, reference.unmarked()) {
        (Value::Map(map), Value::Map(refs)) => {
            for (k, v) in map.iter_mut() {
                if let Some(r) = refs.get(k) {
                    keep_spellings_leaf(k, v, r);
                }
            }
        }
        (Value::List(items), Value::List(refs)) if items.len() == refs.len() => {
            for (v, r) in items.iter_mut().zip(refs) {
                keep_spellings(v, r);
            }
        }
        _ => {}
    }
}

fn keep_spellings_leaf(key: &str, v: &mut Value, r: &Value) {
    match (v.as_str(), r.as_str()) {
        (Some(a), Some(b)) if a != b => {
            let identifier = key.ends_with("_identifier") || key.ends_with("_arn") || key == "id";
            if (identifier && same_object(a, b)) || (key == "policy" && same_json(a, b)) {
                *v = r.clone();
            }
        }
        _ => keep_spellings(v, r),
    }
}

/// Replaces unknowns in `planned` that the configuration did not make unknown with the prior
/// value at the same place: optional and computed attributes the API filled in.
fn resolve_unknowns(
    planned: &mut Value,
    config: Option<&Value>,
    prior: Option<&Value>,
    at: &mut Path,
) {
    match planned {
        Value::Unknown => {
            let from_config = config.is_some_and(Value::is_unknown);
            if let (false, Some(p)) = (from_config, prior) {
                *planned = p.clone();
            }
        }
        Value::Map(map) => {
            for (k, v) in map.iter_mut() {
                at.push(PathStep::Key(k.clone()));
                resolve_unknowns(
                    v,
                    config.and_then(|c| c.get(k)),
                    prior.and_then(|p| p.get(k)),
                    at,
                );
                at.pop();
            }
        }
        Value::List(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                at.push(PathStep::Index(i));
                resolve_unknowns(
                    v,
                    config.and_then(|c| c.as_list()).and_then(|l| l.get(i)),
                    prior.and_then(|p| p.as_list()).and_then(|l| l.get(i)),
                    at,
                );
                at.pop();
            }
        }
        _ => {}
    }
}

/// A configured AWS provider (one `provider "aws"` block).
pub struct AwsProvider {
    inner: Arc<Inner>,
    location: std::sync::OnceLock<trellis_types::Location>,
}

#[async_trait]
impl Provider for AwsProvider {
    fn location(&self) -> Option<trellis_types::Location> {
        if let Some(l) = self.location.get() {
            return Some(l.clone());
        }
        match self.inner.account.get() {
            Some((account, _, _)) => {
                let l = trellis_types::Location::new(account.clone(), self.inner.region.clone());
                let _ = self.location.set(l.clone());
                Some(l)
            }
            None => Some(trellis_types::Location {
                account: None,
                region: Some(self.inner.region.clone()),
            }),
        }
    }

    async fn read(&self, request: ReadRequest) -> Result<ReadResponse, ProviderError> {
        // Learn the account once, for `location()`; a failure here is not fatal to refresh.
        let _ = self.inner.identity().await;
        let items = refresh::read(&self.inner, &request.items, request.full).await?;
        Ok(ReadResponse { items })
    }

    fn plan_change(&self, request: PlanChangeRequest) -> PlanChangeResponse {
        let mut planned = request.planned;
        let type_name = request.type_name.as_str();
        if let Some(prior) = &request.prior {
            keep_spellings(&mut planned, prior);
            resolve_unknowns(
                &mut planned,
                Some(&request.config),
                Some(prior),
                &mut Path::root(),
            );
            // Health check settings that the configuration leaves out are server defaults.
            if type_name == TARGET_GROUP {
                let path = Path::from_keys(["config", "health_check"]);
                let unset = planned.get_path(&path).is_none_or(Value::is_null);
                if let (true, Some(old)) = (unset, prior.get_path(&path)) {
                    if block(&planned, "config").is_some() {
                        planned.set_path(&path, old.clone());
                    }
                }
            }
            // Security groups are a set; "none configured" keeps what is there, as AWS does
            // not allow going from some to none in place.
            if type_name == SNVA
                && planned
                    .get("security_group_ids")
                    .is_some_and(Value::is_null)
            {
                if let Some(old) = prior.get("security_group_ids") {
                    planned.set_path(&Path::from_keys(["security_group_ids"]), old.clone());
                }
            }
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
        if has_tags(type_name) && planned.as_map().is_some() {
            let tags_all = if planned.get("tags").is_some_and(Value::contains_unknown) {
                Value::Unknown
            } else {
                map_value(&self.inner.tags_all(&planned))
            };
            planned.set_path(&Path::from_keys(["tags_all"]), tags_all);
        }
        PlanChangeResponse {
            planned,
            diagnostics: Vec::new(),
        }
    }

    async fn create(&self, request: CreateRequest) -> Result<CreateResponse, ProviderError> {
        let planned = request.planned;
        let tags = if has_tags(&request.type_name) {
            self.inner.tags_all(&planned)
        } else {
            BTreeMap::new()
        };
        let mut current = resources::create(
            &self.inner.lattice,
            &request.type_name,
            &planned,
            &request.token,
            &tags,
        )
        .await?;
        let stamp = resources::take_stamp(&mut current);
        let mut state = carry_over(&request.type_name, current, &planned);
        if has_tags(&request.type_name) {
            state.set_path(&Path::from_keys(["tags_all"]), map_value(&tags));
        }
        // The Get that ends every Lattice create and update carries the stamp.
        let private = refresh::private_of_text(stamp);
        Ok(CreateResponse { state, private })
    }

    async fn update(&self, request: UpdateRequest) -> Result<UpdateResponse, ProviderError> {
        let mut current = resources::update(
            &self.inner.lattice,
            &request.type_name,
            &request.prior,
            &request.planned,
        )
        .await?;
        let stamp = resources::take_stamp(&mut current);
        let mut state = carry_over(&request.type_name, current, &request.planned);
        if has_tags(&request.type_name) {
            self.inner
                .update_tags(&request.prior, &request.planned)
                .await?;
            state.set_path(
                &Path::from_keys(["tags_all"]),
                map_value(&self.inner.tags_all(&request.planned)),
            );
        }
        // The Get that ends every Lattice create and update carries the stamp.
        let private = refresh::private_of_text(stamp);
        Ok(UpdateResponse { state, private })
    }

    async fn delete(&self, request: DeleteRequest) -> Result<(), ProviderError> {
        resources::delete(&self.inner.lattice, &request.type_name, &request.prior).await
    }

    async fn settle(&self, request: SettleRequest) -> Result<Option<Value>, ProviderError> {
        // Only objects with a unique name (or parent pair) can have been made by this token.
        // Re-issuing the create with the same token and parameters returns that object, as
        // Lattice documents; another object with the name answers ConflictException, and the
        // engine's create will then report the clash.
        if !resources::exists_like(&self.inner.lattice, &request.type_name, &request.planned)
            .await?
        {
            return Ok(None);
        }
        match self
            .create(CreateRequest {
                type_name: request.type_name,
                planned: request.planned,
                token: request.token,
            })
            .await
        {
            Ok(r) => Ok(Some(r.state)),
            Err(e) if e.kind == ErrorKind::Conflict => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn import(&self, request: ImportRequest) -> Result<Option<Value>, ProviderError> {
        self.inner.import(&request.type_name, &request.id).await
    }

    async fn discover(&self, request: DiscoverRequest) -> Result<DiscoverResponse, ProviderError> {
        discover::discover(self.inner.clone(), request).await
    }

    async fn read_data(&self, request: ReadDataRequest) -> Result<Value, ProviderError> {
        let config = &request.config;
        let inner = &self.inner;
        match request.type_name.as_str() {
            "aws_caller_identity" => {
                let (account, arn, user) = inner.identity().await?;
                Ok(Value::object([
                    ("id", Value::string(account)),
                    ("account_id", Value::string(account)),
                    ("arn", Value::string(arn)),
                    ("user_id", Value::string(user)),
                ]))
            }
            "aws_region" => {
                let region = inner.region.clone();
                Ok(Value::object([
                    ("id", Value::string(&region)),
                    ("name", Value::string(&region)),
                    (
                        "endpoint",
                        Value::string(format!("ec2.{region}.amazonaws.com")),
                    ),
                    ("description", Value::string(&region)),
                ]))
            }
            "aws_partition" => {
                let (partition, suffix) = partition_of(&inner.region);
                let reverse: Vec<&str> = suffix.split('.').rev().collect();
                Ok(Value::object([
                    ("id", Value::string(partition)),
                    ("partition", Value::string(partition)),
                    ("dns_suffix", Value::string(suffix)),
                    ("reverse_dns_prefix", Value::string(reverse.join("."))),
                ]))
            }
            "aws_vpclattice_service_network" => {
                let id = s(config, "service_network_identifier")
                    .ok_or_else(|| invalid("service_network_identifier is required"))?;
                let o = inner
                    .lattice
                    .get_service_network()
                    .service_network_identifier(&id)
                    .send()
                    .await
                    .map_err(sdk)?;
                Ok(Value::object([
                    ("service_network_identifier", Value::string(&id)),
                    ("id", convert::opt_str(o.id())),
                    ("arn", convert::opt_str(o.arn())),
                    ("name", convert::opt_str(o.name())),
                    (
                        "auth_type",
                        convert::opt_str(o.auth_type().map(|a| a.as_str())),
                    ),
                    (
                        "number_of_associated_services",
                        o.number_of_associated_services()
                            .map(|x| Value::Number(x as f64))
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "number_of_associated_vpcs",
                        o.number_of_associated_vpcs()
                            .map(|x| Value::Number(x as f64))
                            .unwrap_or(Value::Null),
                    ),
                    (
                        "created_at",
                        convert::opt_str(o.created_at().map(|d| d.to_string()).as_deref()),
                    ),
                    (
                        "last_updated_at",
                        convert::opt_str(o.last_updated_at().map(|d| d.to_string()).as_deref()),
                    ),
                ]))
            }
            "aws_vpclattice_service" => {
                let id = match (s(config, "service_identifier"), s(config, "name")) {
                    (Some(id), _) => id,
                    (None, Some(name)) => {
                        let mut stream = inner
                            .lattice
                            .list_services()
                            .max_results(100)
                            .into_paginator()
                            .items()
                            .send();
                        let mut found = None;
                        while let Some(item) = stream.next().await {
                            let item = item.map_err(sdk)?;
                            if item.name() == Some(name.as_str()) {
                                found = item.id().map(str::to_string);
                                break;
                            }
                        }
                        found.ok_or_else(|| {
                            ProviderError::new(
                                ErrorKind::NotFound,
                                format!("no service named {name:?}"),
                            )
                        })?
                    }
                    (None, None) => {
                        return Err(invalid("set service_identifier or name"));
                    }
                };
                let mut value = get_service(&inner.lattice, &id).await?;
                // The Get's stamp is the provider's own: never part of a value it returns.
                resources::take_stamp(&mut value);
                if let Value::Map(m) = &mut value {
                    m.remove("failure_message");
                    m.insert("service_identifier".into(), Value::string(&id));
                }
                Ok(value)
            }
            data::LISTENER => {
                let mut value = data::listener(&inner.lattice, config).await?;
                // Tags are read by ARN, which only the listener itself gives.
                if let Some(arn) = s(&value, "arn") {
                    let tags = inner.fetch_tags(&arn).await?;
                    value.set_path(
                        &Path::from_keys(["tags"]),
                        Value::Map(
                            tags.into_iter()
                                .map(|(k, v)| (k, Value::String(v)))
                                .collect(),
                        ),
                    );
                }
                Ok(value)
            }
            data::AUTH_POLICY => data::auth_policy(&inner.lattice, config).await,
            data::RESOURCE_POLICY => data::resource_policy(&inner.lattice, config).await,
            other => Err(invalid(format!("unknown data source {other}"))),
        }
    }
}

fn partition_of(region: &str) -> (&'static str, &'static str) {
    if region.starts_with("cn-") {
        ("aws-cn", "amazonaws.com.cn")
    } else if region.starts_with("us-gov-") {
        ("aws-us-gov", "amazonaws.com")
    } else {
        ("aws", "amazonaws.com")
    }
}

/// The attribute types the schema declares as JSON, for callers comparing values.
pub fn is_json(ty: &AttrType) -> bool {
    matches!(ty, AttrType::Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_every_resource_type() {
        let schema = AwsFactory::new().schema().clone();
        for t in [
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
        ] {
            assert!(schema.resources.contains_key(t), "{t}");
        }
        for d in [
            "aws_vpclattice_service_network",
            "aws_vpclattice_service",
            "aws_caller_identity",
            "aws_region",
            "aws_partition",
        ] {
            assert!(schema.data_sources.contains_key(d), "{d}");
        }
    }

    #[test]
    fn spellings_of_the_prior_are_kept() {
        let prior = Value::object([
            (
                "service_identifier",
                Value::string("arn:aws:vpc-lattice:us-east-1:1:service/svc-0abc"),
            ),
            ("policy", Value::string(r#"{"a": 1, "b": 2}"#)),
        ]);
        let mut planned = Value::object([
            ("service_identifier", Value::string("svc-0abc")),
            ("policy", Value::string(r#"{"b":2,"a":1}"#)),
        ]);
        keep_spellings(&mut planned, &prior);
        assert_eq!(planned, prior);
    }

    #[test]
    fn unknowns_from_fill_take_the_prior() {
        let prior = Value::object([("auth_type", Value::Null), ("name", Value::string("a"))]);
        let config = Value::object([("auth_type", Value::Null), ("name", Value::Unknown)]);
        let mut planned = Value::object([("auth_type", Value::Unknown), ("name", Value::Unknown)]);
        resolve_unknowns(&mut planned, Some(&config), Some(&prior), &mut Path::root());
        assert_eq!(planned.get("auth_type"), Some(&Value::Null));
        assert_eq!(planned.get("name"), Some(&Value::Unknown));
    }
}
