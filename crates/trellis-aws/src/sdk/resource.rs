//! The shape every served resource type has: [`ResourceType`], which the provider's
//! dispatcher calls and `crate::registry::TYPES` lists; [`AwsType`], what one file of RAM,
//! Route53 or EC2 implements for its type, served through the adapter [`Plain`]; and
//! [`Named`], the adapter for services that still serve all their types from one set of
//! functions taking the type name ([`NamedService`]).
//!
//! Lattice types implement `crate::lattice::LatticeType` instead, through its adapter
//! `crate::lattice::Served`: Lattice keeps private data (stamps), tags through its own API and
//! refreshes with list calls.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Semaphore;
use trellis_provider::{
    AttributeDiagnostic, CreateResponse, ErrorKind, PlanChangeRequest, PlanChangeResponse,
    ProviderError, ReadItem, ReadObject, ResourceSchema, UpdateResponse,
};
use trellis_types::{Path, Value};

use crate::sdk::clients::Clients;
use crate::sdk::values::{carry_over, follow_prior, plan_tags_all, tags_value};

/// The AWS service a type belongs to. Reads of one service share a concurrency limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    Lattice,
    Ram,
    Route53,
    Ec2,
    Iam,
    Logs,
    S3,
    Ssm,
    Acm,
}

/// One served resource type: everything the provider does with objects of this type.
///
/// The dispatcher finds the type in the table by name and calls these; it knows no type.
/// Errors that mean "gone" are the type's to turn into `Ok(None)` (read, import) or `Ok(())`
/// (delete).
#[async_trait]
pub trait ResourceType: Send + Sync + 'static {
    /// The Terraform type name (`aws_vpclattice_service`).
    fn name(&self) -> &'static str;

    fn service(&self) -> Service;

    fn schema(&self) -> ResourceSchema;

    /// Plan-time checks of a configuration, before any API call; unknown values skipped.
    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic>;

    /// The planned value, with the API's defaults, equal spellings and `tags_all` settled.
    fn plan_change(&self, c: &Clients, request: PlanChangeRequest) -> PlanChangeResponse;

    /// Reads objects of this type (those of one refresh), each `None` when it is gone.
    /// `limit` bounds the calls in flight; `full` reads every object in full.
    async fn read(
        &self,
        c: &Arc<Clients>,
        items: Vec<ReadItem>,
        full: bool,
        limit: Arc<Semaphore>,
    ) -> Result<Vec<Option<ReadObject>>, ProviderError>;

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<CreateResponse, ProviderError>;

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<UpdateResponse, ProviderError>;

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError>;

    /// The object a create with `token` made before its outcome was lost, if any.
    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError>;

    /// The object with import ID `id`, as `terraform import` reads it.
    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError>;

    /// Discovery: removes from generated arguments those equal to the server's defaults.
    fn drop_defaults(&self, _arguments: &mut BTreeMap<String, Value>) {}

    /// The import ID of an object recorded in Terraform's state, from its attributes there.
    fn terraform_import_id(&self, _attributes: &serde_json::Value) -> Option<String> {
        None
    }
}

/// One resource type of a service without private data (RAM, Route53, EC2): its file
/// implements this, and the table serves it as `&Plain(ec2::vpc::Vpc)`. [`Plain`] adds what
/// every such type shares: the prior's spellings, `tags_all`, carried-over attributes,
/// "gone" errors as absence, reads in parallel, and imported objects' own tags.
///
/// `Copy`, because a refresh reads each object on a task of its own.
#[async_trait]
pub trait AwsType: Copy + Send + Sync + 'static {
    /// The Terraform type name (`aws_vpc`).
    fn name(&self) -> &'static str;

    fn service(&self) -> Service;

    fn schema(&self) -> ResourceSchema;

    /// Plan-time checks of a configuration, before any API call; unknown values skipped.
    fn validate(&self, _config: &Value) -> Vec<AttributeDiagnostic> {
        Vec::new()
    }

    /// This type's plan rules (after the prior's spellings are followed, before `tags_all`).
    fn plan_rules(
        &self,
        _region: &str,
        _config: &Value,
        _prior: Option<&Value>,
        _planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        Vec::new()
    }

    /// The current value of the object `prior` identifies, `None` (or a not-found error)
    /// when it is gone.
    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError>;

    /// Creates the object (with `token` where the API takes one), waits until it is usable
    /// and returns its value as [`AwsType::read`] does.
    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError>;

    /// Changes what can change in place. By default every argument is force-new, so an
    /// update only reads the object again.
    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        _planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.read(c, prior)
            .await?
            .ok_or_else(|| ProviderError::new(ErrorKind::NotFound, "gone during update"))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError>;

    /// The object a create with `token` made before its outcome was lost, if any.
    async fn settle(
        &self,
        _c: &Clients,
        _planned: &Value,
        _token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        Ok(None)
    }

    /// The object with import ID `id`, as `terraform import` reads it.
    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError>;

    /// Discovery: removes generated arguments equal to the server's defaults.
    fn drop_defaults(&self, _arguments: &mut BTreeMap<String, Value>) {}

    /// Whether objects carry `tags_all` (planned from `tags` and the default tags).
    fn tagged(&self) -> bool {
        self.schema().block.attributes.contains_key("tags_all")
    }
}

/// A served [`AwsType`], for the table.
pub struct Plain<T>(pub T);

fn not_found(e: &ProviderError) -> bool {
    e.kind == ErrorKind::NotFound
}

/// An imported object's own tags: its tags less the provider's default tags.
pub fn with_own_tags(c: &Clients, mut v: Value) -> Value {
    if let Some(all) = v.get("tags_all").cloned() {
        let own = c.own_tags(&crate::sdk::convert::string_map(Some(&all)));
        v.set_path(&Path::from_keys(["tags"]), tags_value(&own));
    }
    v
}

#[async_trait]
impl<T: AwsType> ResourceType for Plain<T> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn service(&self) -> Service {
        self.0.service()
    }

    fn schema(&self) -> ResourceSchema {
        self.0.schema()
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        self.0.validate(config)
    }

    /// The prior's spellings, unknowns the API filled, the type's rules, then `tags_all`.
    fn plan_change(&self, c: &Clients, request: PlanChangeRequest) -> PlanChangeResponse {
        let mut planned = request.planned;
        follow_prior(&mut planned, &request.config, request.prior.as_ref());
        let diagnostics = self.0.plan_rules(
            c.region(),
            &request.config,
            request.prior.as_ref(),
            &mut planned,
        );
        // Only managed resources carry `tags_all` (data sources of the same type name do
        // not; they come here too when read during apply).
        if planned.get("tags_all").is_some() && self.0.tagged() {
            plan_tags_all(&mut planned, &c.default_tags);
        }
        PlanChangeResponse {
            planned,
            diagnostics,
        }
    }

    async fn read(
        &self,
        c: &Arc<Clients>,
        items: Vec<ReadItem>,
        _full: bool,
        limit: Arc<Semaphore>,
    ) -> Result<Vec<Option<ReadObject>>, ProviderError> {
        let mut out: Vec<Option<ReadObject>> = vec![None; items.len()];
        let mut tasks = tokio::task::JoinSet::new();
        for (i, item) in items.into_iter().enumerate() {
            let (c, limit, t) = (c.clone(), limit.clone(), self.0);
            tasks.spawn(async move {
                let _permit = limit.acquire().await;
                let result = match t.read(&c, &item.prior).await {
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
        Ok(out)
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<CreateResponse, ProviderError> {
        let current = self.0.create(c, planned, token).await?;
        Ok(CreateResponse {
            state: carry_over(current, planned),
            private: None,
        })
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<UpdateResponse, ProviderError> {
        let current = self.0.update(c, prior, planned).await?;
        Ok(UpdateResponse {
            state: carry_over(current, planned),
            private: None,
        })
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        match self.0.delete(c, prior).await {
            Err(e) if not_found(&e) => Ok(()),
            other => other,
        }
    }

    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        let found = self.0.settle(c, planned, token).await?;
        Ok(found.map(|v| carry_over(v, planned)))
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        self.0.drop_defaults(arguments)
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        match self.0.import(c, id).await {
            Err(e) if not_found(&e) => Ok(None),
            other => Ok(other?.map(|v| with_own_tags(c, v))),
        }
    }
}

/// The functions of a service module that serve its types by name: the older shape, before
/// one file per type. RAM, Route53 and EC2 have moved to [`AwsType`]; services still written
/// this way (through `named_service!`) keep working until they are split the same way.
#[allow(dead_code)] // kept for services not yet split per type (see `named_service!`)
#[async_trait]
pub trait NamedService: Send + Sync + 'static {
    const SERVICE: Service;

    /// The service's resource and data source schemas, built once.
    fn schemas() -> &'static Schemas;

    fn validate(type_name: &str, config: &Value) -> Vec<AttributeDiagnostic>;

    /// The service's own plan rules; the adapter does what every service does.
    fn plan_change(
        type_name: &str,
        region: &str,
        config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic>;

    async fn read(
        c: &Clients,
        type_name: &str,
        prior: &Value,
    ) -> Result<Option<Value>, ProviderError>;

    async fn create(
        c: &Clients,
        type_name: &str,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError>;

    async fn update(
        c: &Clients,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError>;

    async fn delete(c: &Clients, type_name: &str, prior: &Value) -> Result<(), ProviderError>;

    async fn settle(
        c: &Clients,
        type_name: &str,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError>;

    async fn import(c: &Clients, type_name: &str, id: &str)
        -> Result<Option<Value>, ProviderError>;

    async fn read_data(
        c: &Clients,
        type_name: &str,
        config: &Value,
    ) -> Result<Value, ProviderError>;

    /// Discovery: removes generated arguments equal to the server's defaults.
    fn drop_defaults(_type_name: &str, _arguments: &mut BTreeMap<String, Value>) {}
}

/// The resource and data source schemas of a service.
#[allow(dead_code)]
#[derive(Default)]
pub struct Schemas {
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

/// A type of a [`NamedService`], for the table: `&Named::<logs::Api>::new(logs::LOG_GROUP)`.
/// Served as a [`Plain`] type whose calls pass the type name on.
#[allow(dead_code)]
pub struct Named<S> {
    name: &'static str,
    service: PhantomData<fn() -> S>,
}

#[allow(dead_code)]
impl<S> Named<S> {
    pub const fn new(name: &'static str) -> Self {
        Named {
            name,
            service: PhantomData,
        }
    }
}

impl<S> Clone for Named<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Named<S> {}

#[async_trait]
impl<S: NamedService> AwsType for Named<S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn service(&self) -> Service {
        S::SERVICE
    }

    fn schema(&self) -> ResourceSchema {
        S::schemas().resources[self.name].clone()
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        S::validate(self.name, config)
    }

    fn plan_rules(
        &self,
        region: &str,
        config: &Value,
        prior: Option<&Value>,
        planned: &mut Value,
    ) -> Vec<AttributeDiagnostic> {
        S::plan_change(self.name, region, config, prior, planned)
    }

    async fn read(&self, c: &Clients, prior: &Value) -> Result<Option<Value>, ProviderError> {
        S::read(c, self.name, prior).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Value, ProviderError> {
        S::create(c, self.name, planned, token).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        S::update(c, self.name, prior, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        S::delete(c, self.name, prior).await
    }

    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        S::settle(c, self.name, planned, token).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        S::import(c, self.name, id).await
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        S::drop_defaults(self.name, arguments)
    }

    fn tagged(&self) -> bool {
        S::schemas()
            .resources
            .get(self.name)
            .is_some_and(|r| r.block.attributes.contains_key("tags_all"))
    }
}

/// The table holds `&Named<S>` directly (a `ResourceType`), as it did before [`Plain`].
#[async_trait]
impl<S: NamedService> ResourceType for Named<S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn service(&self) -> Service {
        S::SERVICE
    }

    fn schema(&self) -> ResourceSchema {
        AwsType::schema(self)
    }

    fn validate(&self, config: &Value) -> Vec<AttributeDiagnostic> {
        AwsType::validate(self, config)
    }

    fn plan_change(&self, c: &Clients, request: PlanChangeRequest) -> PlanChangeResponse {
        Plain(*self).plan_change(c, request)
    }

    async fn read(
        &self,
        c: &Arc<Clients>,
        items: Vec<ReadItem>,
        full: bool,
        limit: Arc<Semaphore>,
    ) -> Result<Vec<Option<ReadObject>>, ProviderError> {
        ResourceType::read(&Plain(*self), c, items, full, limit).await
    }

    async fn create(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<CreateResponse, ProviderError> {
        ResourceType::create(&Plain(*self), c, planned, token).await
    }

    async fn update(
        &self,
        c: &Clients,
        prior: &Value,
        planned: &Value,
    ) -> Result<UpdateResponse, ProviderError> {
        ResourceType::update(&Plain(*self), c, prior, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), ProviderError> {
        ResourceType::delete(&Plain(*self), c, prior).await
    }

    async fn settle(
        &self,
        c: &Clients,
        planned: &Value,
        token: &str,
    ) -> Result<Option<Value>, ProviderError> {
        ResourceType::settle(&Plain(*self), c, planned, token).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, ProviderError> {
        ResourceType::import(&Plain(*self), c, id).await
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        AwsType::drop_defaults(self, arguments)
    }
}
