//! The provider boundary of trellis.
//!
//! A provider offers [`ProviderSchema`]s and a set of operations, each with one request and
//! one response type. The engine knows nothing else about the systems a provider manages.
//! [`memory`] holds an in-memory provider for the engine's own tests and benchmarks.
//!
//! This crate does not plan, does not store state and does not know AWS.
//!
//! # Calling protocol
//!
//! 1. [`ProviderFactory::schema`] once per command, to validate and plan.
//! 2. [`ProviderFactory::configure`] once per `provider` block (alias) that the configuration
//!    uses, with the block's evaluated body. It returns the [`Provider`] that serves the
//!    resources bound to that block.
//! 3. During plan: [`ProviderFactory::validate`] for each resource instance (`trellis validate`
//!    calls only this, with no configured provider),
//!    [`Provider::read`] once with every managed instance in state (refresh, batched so the
//!    provider can use list calls; also with no instances, so every provider is called once
//!    after validation and may learn its [`Provider::location`] there), [`Provider::plan_resource`] per
//!    managed instance (twice for a replacement: the second plans the create from nothing),
//!    [`Provider::read_data`] per data source whose config is known, [`Provider::import`]
//!    per instance an import block adopts. `trellis import ADDR ID` calls only
//!    [`Provider::import`]; `trellis import -generate-config-out` calls only
//!    [`Provider::discover`].
//! 4. During apply: [`Provider::apply_change`] per create, update and delete, concurrently
//!    across instances ([`Provider::plan_resource`] first when the planned value still holds
//!    unknowns); [`Provider::settle`] for each create intent left
//!    behind by an earlier run, before anything else.
//! 5. [`Provider::close`] once at the end.
//!
//! [`Provider::plan_resource`], [`Provider::apply_change`], [`Provider::import_object`],
//! [`Provider::upgrade_state`] and [`Provider::stop`] carry what the Terraform plugin
//! protocol carries (private data through plans, the paths that force replacement, state
//! upgrades, stopping operations in flight). Their defaults fall back to the methods above,
//! so a native provider implements them only when it has more to say. The engine calls
//! `plan_resource` and `apply_change` (not `plan_change`, `create`, `update` and `delete`
//! directly); `upgrade_state` and `stop` are not called yet.

pub mod builtin;
pub mod memory;
pub mod schema;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use trellis_types::{Location, Path, Value};

pub use schema::{
    AttrType, Attribute, Block, NestedBlock, Nesting, ProviderSchema, ResourceSchema,
};

/// Creates configured [`Provider`]s of one kind (`aws`, `trellis`).
#[async_trait]
pub trait ProviderFactory: Send + Sync {
    /// The provider's name as used in resource type prefixes and `provider` blocks.
    fn name(&self) -> &str;
    fn schema(&self) -> &ProviderSchema;
    /// Checks a resource's configuration beyond what the schema says (name rules, ranges,
    /// quotas). Needs no configured provider, so that `trellis validate` runs it without
    /// credentials; called before any other call; returns diagnostics, never fails.
    fn validate(&self, request: ValidateRequest) -> Vec<AttributeDiagnostic> {
        let _ = request;
        Vec::new()
    }
    /// Configures one provider instance from an evaluated `provider` block body (an empty
    /// object when the configuration has no block for it).
    async fn configure(
        &self,
        request: ConfigureRequest,
    ) -> Result<Arc<dyn Provider>, ProviderError>;
}

/// One configured provider (one `provider` block).
#[async_trait]
pub trait Provider: Send + Sync {
    /// Where changes through this provider land (account and region), for every plan view.
    /// Called after the first [`Provider::read`]; `None` when the notion does not apply.
    fn location(&self) -> Option<Location> {
        None
    }

    /// Refreshes many instances at once. The response has one entry per request item, in
    /// order: the current value, or `None` when the object is gone.
    async fn read(&self, request: ReadRequest) -> Result<ReadResponse, ProviderError>;

    /// Adjusts a planned value: fills server-side defaults, and keeps prior values where the
    /// configuration means the same thing in another spelling (an ARN for an ID, the same
    /// JSON with other whitespace). The default keeps the engine's planned value.
    fn plan_change(&self, request: PlanChangeRequest) -> PlanChangeResponse {
        PlanChangeResponse {
            planned: request.planned,
            diagnostics: Vec::new(),
        }
    }

    async fn create(&self, request: CreateRequest) -> Result<CreateResponse, ProviderError>;
    async fn update(&self, request: UpdateRequest) -> Result<UpdateResponse, ProviderError>;
    async fn delete(&self, request: DeleteRequest) -> Result<(), ProviderError>;

    /// Finds the object that a create with `token` may have made when its outcome was lost
    /// (crash, timeout). `None` when no such object exists; the engine then creates it.
    async fn settle(&self, request: SettleRequest) -> Result<Option<Value>, ProviderError>;

    /// Reads the object with import ID `id`; `None` when it does not exist.
    async fn import(&self, request: ImportRequest) -> Result<Option<Value>, ProviderError>;

    async fn read_data(&self, request: ReadDataRequest) -> Result<Value, ProviderError>;

    /// Finds every object that belongs to the given roots (for AWS: a service network and
    /// what is attached to it), for `trellis import -generate-config-out`. Each object comes
    /// with the value [`Provider::import`] would return for its import ID. The default says
    /// that the provider cannot discover.
    async fn discover(&self, request: DiscoverRequest) -> Result<DiscoverResponse, ProviderError> {
        let _ = request;
        Err(ProviderError::new(
            ErrorKind::Invalid,
            "this provider cannot discover existing objects",
        ))
    }

    /// Called once when the command ends.
    async fn close(&self) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Plans one change with everything a Terraform plugin's PlanResourceChange takes and
    /// returns: the prior private data in, the planned private data and the paths that force
    /// replacement out. The default calls [`Provider::plan_change`] and leaves replacement to
    /// the engine's reading of the schema (`requires_replace: None`).
    async fn plan_resource(
        &self,
        request: PlanResourceRequest,
    ) -> Result<PlanResourceResponse, ProviderError> {
        let response = self.plan_change(PlanChangeRequest {
            type_name: request.type_name,
            prior: request.prior,
            config: request.config,
            planned: request.proposed,
        });
        Ok(PlanResourceResponse {
            planned: response.planned,
            requires_replace: None,
            planned_private: request.prior_private,
            diagnostics: response.diagnostics,
        })
    }

    /// Carries out one planned change with its configuration and planned private data (what
    /// a Terraform plugin's ApplyResourceChange takes). The default dispatches to
    /// [`Provider::create`], [`Provider::update`] and [`Provider::delete`].
    async fn apply_change(
        &self,
        request: ApplyChangeRequest,
    ) -> Result<ApplyChangeResponse, ProviderError> {
        match (request.prior, request.planned) {
            (None, Some(planned)) => {
                let created = self
                    .create(CreateRequest {
                        type_name: request.type_name,
                        planned,
                        token: request.token.unwrap_or_default(),
                    })
                    .await?;
                Ok(ApplyChangeResponse {
                    state: Some(created.state),
                    private: created.private,
                })
            }
            (Some(prior), Some(planned)) => {
                let updated = self
                    .update(UpdateRequest {
                        type_name: request.type_name,
                        prior,
                        planned,
                    })
                    .await?;
                Ok(ApplyChangeResponse {
                    state: Some(updated.state),
                    private: updated.private,
                })
            }
            (Some(prior), None) => {
                self.delete(DeleteRequest {
                    type_name: request.type_name,
                    prior,
                })
                .await?;
                Ok(ApplyChangeResponse {
                    state: None,
                    private: None,
                })
            }
            (None, None) => Err(ProviderError::new(
                ErrorKind::Invalid,
                "a change needs a prior or a planned value",
            )),
        }
    }

    /// Imports with the provider's private data (what a Terraform plugin's
    /// ImportResourceState returns). The default calls [`Provider::import`].
    async fn import_object(
        &self,
        request: ImportRequest,
    ) -> Result<Option<ReadObject>, ProviderError> {
        Ok(self.import(request).await?.map(ReadObject::new))
    }

    /// Brings a state value recorded with schema version `version` to the provider's current
    /// schema, before the value is refreshed or planned. The default returns the raw value
    /// unchanged (native providers keep their state format stable).
    async fn upgrade_state(&self, request: UpgradeStateRequest) -> Result<Value, ProviderError> {
        Ok(Value::from_json(&request.raw))
    }

    /// Asks the provider to stop the operations in flight as soon as it safely can (on
    /// Ctrl-C); they then fail. The default does nothing.
    async fn stop(&self) -> Result<(), ProviderError> {
        Ok(())
    }
}

/// What [`Provider::plan_resource`] takes.
#[derive(Debug, Clone)]
pub struct PlanResourceRequest {
    pub type_name: String,
    /// The value in state; `None` for a create.
    pub prior: Option<Value>,
    /// The engine's proposal: the configuration with computed attributes carried over from
    /// `prior` or unknown.
    pub proposed: Value,
    /// The configuration, evaluated.
    pub config: Value,
    pub prior_private: Private,
}

/// What [`Provider::plan_resource`] returns.
#[derive(Debug, Clone)]
pub struct PlanResourceResponse {
    pub planned: Value,
    /// The paths whose change forces replacement, when the provider decides (a plugin);
    /// `None` when the engine decides from the schema's force-new attributes.
    pub requires_replace: Option<Vec<Path>>,
    /// Private data to hand to [`Provider::apply_change`].
    pub planned_private: Private,
    pub diagnostics: Vec<AttributeDiagnostic>,
}

/// What [`Provider::apply_change`] takes: `prior: None` is a create, `planned: None` a
/// delete, both an update.
#[derive(Debug, Clone)]
pub struct ApplyChangeRequest {
    pub type_name: String,
    pub prior: Option<Value>,
    pub planned: Option<Value>,
    pub config: Value,
    pub planned_private: Private,
    /// The create's idempotency token (see [`CreateRequest::token`]).
    pub token: Option<String>,
}

/// What [`Provider::apply_change`] returns: the new state (`None` after a delete) and its
/// private data.
#[derive(Debug, Clone)]
pub struct ApplyChangeResponse {
    pub state: Option<Value>,
    pub private: Private,
}

/// What [`Provider::upgrade_state`] takes.
#[derive(Debug, Clone)]
pub struct UpgradeStateRequest {
    pub type_name: String,
    /// The schema version the value was recorded with.
    pub version: u32,
    /// The recorded value as plain JSON.
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct ConfigureRequest {
    /// `aws` or `aws.network`.
    pub key: String,
    pub config: Value,
}

#[derive(Debug, Clone)]
pub struct ValidateRequest {
    pub type_name: String,
    /// The evaluated configuration; parts may be unknown.
    pub config: Value,
}

/// A problem with one attribute of a resource's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeDiagnostic {
    pub warning: bool,
    pub path: Path,
    pub summary: String,
    pub detail: Option<String>,
}

impl AttributeDiagnostic {
    pub fn error(path: Path, summary: impl Into<String>) -> AttributeDiagnostic {
        AttributeDiagnostic {
            warning: false,
            path,
            summary: summary.into(),
            detail: None,
        }
    }

    pub fn warning(path: Path, summary: impl Into<String>) -> AttributeDiagnostic {
        AttributeDiagnostic {
            warning: true,
            ..AttributeDiagnostic::error(path, summary)
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReadRequest {
    pub items: Vec<ReadItem>,
    /// Read every object in full, ignoring what [`ReadItem::private`] says about which
    /// objects changed (`trellis plan -refresh=full`).
    pub full: bool,
}

#[derive(Debug, Clone)]
pub struct ReadItem {
    pub type_name: String,
    /// The value in state.
    pub prior: Value,
    /// The provider's private data recorded with the object (see [`Private`]).
    pub private: Private,
}

#[derive(Debug, Clone)]
pub struct ReadResponse {
    /// One entry per request item, in order; `None` when the object is gone.
    pub items: Vec<Option<ReadObject>>,
}

/// One refreshed object.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadObject {
    pub value: Value,
    /// The private data to record from now on.
    pub private: Private,
}

impl ReadObject {
    /// An object read with no private data.
    pub fn new(value: Value) -> ReadObject {
        ReadObject {
            value,
            private: None,
        }
    }
}

/// Data a provider keeps with an object in state and gets back on every later call about it,
/// opaque to the engine and never shown to users: for example the object's last-modified
/// stamp, so that a refresh can skip reading objects that have not changed. `None` when the
/// provider keeps nothing.
pub type Private = Option<serde_json::Value>;

#[derive(Debug, Clone)]
pub struct PlanChangeRequest {
    pub type_name: String,
    /// The value in state; `None` for a create.
    pub prior: Option<Value>,
    /// The configuration, evaluated.
    pub config: Value,
    /// The engine's proposal: the configuration with computed attributes carried over from
    /// `prior` or unknown.
    pub planned: Value,
}

#[derive(Debug, Clone)]
pub struct PlanChangeResponse {
    pub planned: Value,
    pub diagnostics: Vec<AttributeDiagnostic>,
}

#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub type_name: String,
    /// Planned values, all known.
    pub planned: Value,
    /// Recorded in state before this call; the same token on every retry of this create.
    pub token: String,
}

#[derive(Debug, Clone)]
pub struct CreateResponse {
    pub state: Value,
    pub private: Private,
}

#[derive(Debug, Clone)]
pub struct UpdateRequest {
    pub type_name: String,
    pub prior: Value,
    pub planned: Value,
}

#[derive(Debug, Clone)]
pub struct UpdateResponse {
    pub state: Value,
    pub private: Private,
}

#[derive(Debug, Clone)]
pub struct DeleteRequest {
    pub type_name: String,
    pub prior: Value,
}

#[derive(Debug, Clone)]
pub struct SettleRequest {
    pub type_name: String,
    pub token: String,
    pub planned: Value,
}

#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub type_name: String,
    pub id: String,
}

/// What [`Provider::discover`] starts from.
#[derive(Debug, Clone)]
pub struct DiscoverRequest {
    pub roots: Vec<DiscoverRoot>,
}

/// One starting point: a kind the provider defines (`service-network`) and an ID or ARN.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoverRoot {
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, Default)]
pub struct DiscoverResponse {
    /// Objects that can be imported, in a stable order.
    pub objects: Vec<DiscoveredObject>,
    /// Objects found but not imported: owned by another account, unreadable with the
    /// current credentials, or of a kind the provider does not support.
    pub skipped: Vec<SkippedObject>,
    /// How many remote calls discovery made, when the provider counts them.
    pub calls: Option<u64>,
}

/// One object found by discovery.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveredObject {
    pub type_name: String,
    /// What [`Provider::import`] takes for this object.
    pub import_id: String,
    /// A name for the resource block, from the object's own name (`orders`); the generator
    /// makes it a valid, unique identifier.
    pub name: String,
    /// The object as [`Provider::import`] returns it.
    pub value: Value,
    /// The arguments a configuration must set to describe the object: the value without
    /// computed attributes and without arguments equal to their defaults.
    pub arguments: Value,
    /// The account (or other owner) the object belongs to, when known.
    pub owner: Option<String>,
}

/// An object discovery found and did not return.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedObject {
    /// A resource type, or a description when there is none (`RAM resource share`).
    pub kind: String,
    /// Its ID or ARN.
    pub id: String,
    pub owner: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct ReadDataRequest {
    pub type_name: String,
    pub config: Value,
}

/// What kind of failure a provider reports; the engine decides on retries and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request was wrong (validation, quota).
    Invalid,
    NotFound,
    /// The object is in a state that forbids the operation.
    Conflict,
    /// The provider gave up waiting or retrying.
    Timeout,
    AccessDenied,
    /// Anything else.
    Other,
}

/// A failed provider operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderError {
    pub kind: ErrorKind,
    pub message: String,
    /// The remote error code (`ConflictException`).
    pub code: Option<String>,
    pub request_id: Option<String>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind,
            message: message.into(),
            code: None,
            request_id: None,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> ProviderError {
        self.code = Some(code.into());
        self
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

/// Every provider the binary knows, by name.
#[derive(Default, Clone)]
pub struct Registry {
    factories: BTreeMap<String, Arc<dyn ProviderFactory>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    pub fn register(&mut self, factory: Arc<dyn ProviderFactory>) {
        self.factories.insert(factory.name().to_string(), factory);
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn ProviderFactory>> {
        self.factories.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    /// The schema of resource type `type_name` (managed or data), with its provider name.
    pub fn resource_schema(&self, type_name: &str, data: bool) -> Option<&ResourceSchema> {
        let factory = self.factories.get(provider_of(type_name))?;
        let schema = factory.schema();
        if data {
            schema.data_sources.get(type_name)
        } else {
            schema.resources.get(type_name)
        }
    }

    /// Every resource (or data source) type name across providers.
    pub fn type_names(&self, data: bool) -> Vec<&str> {
        self.factories
            .values()
            .flat_map(|f| {
                let schema = f.schema();
                let map = if data {
                    &schema.data_sources
                } else {
                    &schema.resources
                };
                map.keys().map(String::as_str)
            })
            .collect()
    }
}

/// The provider a resource type belongs to by name: `aws_vpclattice_service` is `aws`.
pub fn provider_of(type_name: &str) -> &str {
    type_name.split('_').next().unwrap_or(type_name)
}
