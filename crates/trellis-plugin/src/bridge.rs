//! A plugin as a trellis provider: [`PluginFactory`] is a [`ProviderFactory`] whose schema
//! comes from the plugin, and each [`ProviderFactory::configure`] starts one plugin process
//! for that provider configuration, shared by all its resources ([`PluginProvider`]).
//!
//! The plugin client runs on a small runtime of its own: [`ProviderFactory::validate`] and
//! [`Provider::plan_change`] are synchronous and are called from inside the engine's
//! runtime, where blocking on a future of that runtime would deadlock or panic. Each call is
//! spawned there and the caller waits for its answer (on a channel for the synchronous
//! methods, on the task for the asynchronous ones).
//!
//! Values go to the plugin without sensitive marks and come back plain, as they do from
//! native providers: the engine marks them from the schema. Private data, which is bytes in
//! the protocol and JSON in trellis, is kept as a JSON string holding the bytes in base64.

use std::future::Future;
use std::sync::{mpsc, Arc};

use async_trait::async_trait;
use base64::Engine;
use trellis_provider::{
    ApplyChangeRequest, ApplyChangeResponse, AttributeDiagnostic, ConfigureRequest, CreateRequest,
    CreateResponse, DeleteRequest, ErrorKind, ImportRequest, PlanChangeRequest, PlanChangeResponse,
    PlanResourceRequest, PlanResourceResponse, Private, Provider, ProviderError, ProviderFactory,
    ProviderSchema, ReadDataRequest, ReadObject, ReadRequest, ReadResponse, SettleRequest,
    UpdateRequest, UpdateResponse, UpgradeStateRequest, ValidateRequest,
};
use trellis_types::{Path, PathStep, Value};

use crate::cty::CtyType;
use crate::msgpack;
use crate::plugin::{Plugin, PluginError, PluginSpec};
use crate::proto::tfplugin6 as v6;
use crate::schema::PluginSchema;

/// How many ReadResource calls one refresh keeps in flight.
pub const READ_PARALLELISM: usize = 10;

/// The version trellis reports to providers in ConfigureProvider (what Terraform version
/// it behaves like, for providers that check).
pub const TERRAFORM_VERSION: &str = "1.9.0";

/// A runtime that is shut down without blocking when dropped (dropping a runtime inside
/// another one's async context would panic).
struct Rt {
    rt: Option<tokio::runtime::Runtime>,
}

impl Rt {
    fn new() -> std::io::Result<Rt> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("trellis-plugin")
            .enable_all()
            .build()?;
        Ok(Rt { rt: Some(rt) })
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.rt
            .as_ref()
            .expect("runtime present until drop")
            .handle()
    }

    /// Runs `future` here and waits for it on the calling thread.
    fn block<F>(&self, future: F) -> Option<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        self.handle().spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().ok()
    }

    /// Runs `future` here and awaits it from any runtime.
    async fn run<F>(&self, future: F) -> Result<F::Output, ProviderError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle().spawn(future).await.map_err(|e| {
            ProviderError::new(ErrorKind::Other, format!("plugin call abandoned: {e}"))
        })
    }
}

impl Drop for Rt {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// A provider served by a plugin binary.
pub struct PluginFactory {
    name: String,
    spec: PluginSpec,
    schema: Arc<PluginSchema>,
    /// An unconfigured instance for validation, as Terraform keeps one.
    unconfigured: Arc<Plugin>,
    rt: Arc<Rt>,
}

impl PluginFactory {
    /// Starts the plugin once to read its schema (the process stays for validation).
    /// `name` is the provider's local name (`random`), the prefix of its resource types.
    pub fn start(name: impl Into<String>, spec: PluginSpec) -> Result<PluginFactory, PluginError> {
        let rt = Arc::new(Rt::new().map_err(|e| PluginError::Start {
            provider: spec.provider.clone(),
            path: spec.path.display().to_string(),
            reason: format!("cannot start a runtime: {e}"),
        })?);
        let launch_spec = spec.clone();
        let (plugin, response) = rt
            .block(async move {
                let plugin = Plugin::launch(&launch_spec).await?;
                let response = plugin.get_schema().await?;
                Ok::<_, PluginError>((plugin, response))
            })
            .unwrap_or_else(|| Err(abandoned(&spec, "GetProviderSchema")))?;
        let call = |reason: String| PluginError::Call {
            provider: spec.provider.clone(),
            method: "GetProviderSchema",
            reason,
        };
        if let Some(message) = error_text(&response.diagnostics) {
            return Err(call(message));
        }
        let schema = PluginSchema::from_response(&response).map_err(|e| call(e.to_string()))?;
        Ok(PluginFactory {
            name: name.into(),
            spec,
            schema: Arc::new(schema),
            unconfigured: Arc::new(plugin),
            rt,
        })
    }

    /// The plugin's schema with the wire types.
    pub fn plugin_schema(&self) -> &PluginSchema {
        &self.schema
    }

    /// The protocol version the plugin chose.
    pub fn protocol_version(&self) -> u32 {
        self.unconfigured.protocol_version()
    }

    /// Stops the unconfigured instance (the configured ones stop at [`Provider::close`] or
    /// when dropped).
    pub fn shutdown(&self) {
        let plugin = self.unconfigured.clone();
        let _ = self.rt.block(async move { plugin.shutdown().await });
    }
}

fn abandoned(spec: &PluginSpec, method: &'static str) -> PluginError {
    PluginError::Call {
        provider: spec.provider.clone(),
        method,
        reason: "the call was abandoned".to_string(),
    }
}

fn dynamic(value: &Value, ty: &CtyType) -> Result<v6::DynamicValue, ProviderError> {
    Ok(v6::DynamicValue {
        msgpack: msgpack::encode(value, ty)
            .map_err(|e| ProviderError::new(ErrorKind::Invalid, e.to_string()))?,
        json: Vec::new(),
    })
}

fn undynamic(value: Option<&v6::DynamicValue>, ty: &CtyType) -> Result<Value, ProviderError> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    if value.msgpack.is_empty() && !value.json.is_empty() {
        let json: serde_json::Value = serde_json::from_slice(&value.json).map_err(|e| {
            ProviderError::new(ErrorKind::Other, format!("plugin sent bad json: {e}"))
        })?;
        return Ok(Value::from_json(&json));
    }
    msgpack::decode(&value.msgpack, ty)
        .map_err(|e| ProviderError::new(ErrorKind::Other, format!("plugin sent a bad value: {e}")))
}

/// Private data: protocol bytes as a JSON string of base64.
pub fn private_to_trellis(bytes: &[u8]) -> Private {
    if bytes.is_empty() {
        None
    } else {
        Some(serde_json::Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ))
    }
}

/// The protocol bytes of trellis private data (see [`private_to_trellis`]); private data
/// another provider recorded as other JSON goes as its JSON text.
pub fn private_to_plugin(private: &Private) -> Vec<u8> {
    match private {
        None => Vec::new(),
        Some(serde_json::Value::String(s)) => base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap_or_else(|_| s.as_bytes().to_vec()),
        Some(other) => other.to_string().into_bytes(),
    }
}

/// A value as Terraform core hands it to a provider: a list or set block that is absent is
/// an empty collection, not null (only single blocks are null when absent), and providers
/// built on the plugin SDKs rely on that. Applies to nested blocks at every depth.
pub fn fill_empty_blocks(value: &mut Value, block: &trellis_provider::Block) {
    let Value::Map(map) = value else { return };
    for (name, nested) in &block.blocks {
        let slot = map.entry(name.clone()).or_insert(Value::Null);
        match nested.nesting {
            trellis_provider::Nesting::Single => fill_empty_blocks(slot, &nested.block),
            trellis_provider::Nesting::List | trellis_provider::Nesting::Set => {
                if matches!(slot, Value::Null) {
                    *slot = Value::List(Vec::new());
                }
                if let Value::List(items) = slot {
                    for item in items {
                        fill_empty_blocks(item, &nested.block);
                    }
                }
            }
        }
    }
}

/// The value to send for an object of `type_name`: marks dropped, empty blocks filled.
fn outgoing(schema: &PluginSchema, type_name: &str, data: bool, value: &Value) -> Value {
    let mut plain = value.strip_marks();
    if plain.is_null() {
        return plain;
    }
    let schemas = if data {
        &schema.schema.data_sources
    } else {
        &schema.schema.resources
    };
    if let Some(resource) = schemas.get(type_name) {
        fill_empty_blocks(&mut plain, &resource.block);
    }
    plain
}

/// A protocol attribute path as a trellis path.
pub fn path_from_plugin(path: Option<&v6::AttributePath>) -> Path {
    let mut out = Path::root();
    for step in path.map(|p| p.steps.as_slice()).unwrap_or_default() {
        use v6::attribute_path::step::Selector;
        match &step.selector {
            Some(Selector::AttributeName(name)) | Some(Selector::ElementKeyString(name)) => {
                out.push(PathStep::Key(name.clone()))
            }
            Some(Selector::ElementKeyInt(i)) => {
                out.push(PathStep::Index(usize::try_from(*i).unwrap_or(0)))
            }
            None => {}
        }
    }
    out
}

/// Protocol diagnostics as trellis attribute diagnostics.
pub fn diagnostics_from_plugin(diagnostics: &[v6::Diagnostic]) -> Vec<AttributeDiagnostic> {
    diagnostics
        .iter()
        .map(|d| AttributeDiagnostic {
            warning: d.severity == v6::diagnostic::Severity::Warning as i32,
            path: path_from_plugin(d.attribute.as_ref()),
            summary: d.summary.clone(),
            detail: Some(d.detail.clone()).filter(|s| !s.is_empty()),
        })
        .collect()
}

/// The error diagnostics as one message, when there are any.
fn error_text(diagnostics: &[v6::Diagnostic]) -> Option<String> {
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity != v6::diagnostic::Severity::Warning as i32)
        .map(|d| {
            let path = path_from_plugin(d.attribute.as_ref());
            let mut text = d.summary.clone();
            if !d.detail.is_empty() {
                text.push_str(": ");
                text.push_str(&d.detail);
            }
            if !path.is_root() {
                text = format!("{text} (at {path})");
            }
            text
        })
        .collect();
    if errors.is_empty() {
        None
    } else {
        Some(errors.join("; "))
    }
}

fn check(diagnostics: &[v6::Diagnostic]) -> Result<(), ProviderError> {
    match error_text(diagnostics) {
        Some(text) => Err(ProviderError::new(ErrorKind::Invalid, text)),
        None => Ok(()),
    }
}

fn call_error(e: PluginError) -> ProviderError {
    ProviderError::new(ErrorKind::Other, e.to_string())
}

fn client_capabilities() -> Option<v6::ClientCapabilities> {
    // trellis cannot act on deferred changes yet, nor on write-only attributes.
    Some(v6::ClientCapabilities {
        deferral_allowed: false,
        write_only_attributes_allowed: false,
    })
}

fn deferred(what: &str, deferred: Option<&v6::Deferred>) -> Result<(), ProviderError> {
    match deferred {
        Some(_) => Err(ProviderError::new(
            ErrorKind::Invalid,
            format!("the provider deferred {what}, which trellis does not support"),
        )),
        None => Ok(()),
    }
}

#[async_trait]
impl ProviderFactory for PluginFactory {
    fn name(&self) -> &str {
        &self.name
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema.schema
    }

    fn validate(&self, request: ValidateRequest) -> Vec<AttributeDiagnostic> {
        let (data, ty) = match self.schema.type_of(&request.type_name, false) {
            Some(ty) => (false, ty.clone()),
            None => match self.schema.type_of(&request.type_name, true) {
                Some(ty) => (true, ty.clone()),
                None => return Vec::new(),
            },
        };
        let config = match dynamic(
            &outgoing(&self.schema, &request.type_name, data, &request.config),
            &ty,
        ) {
            Ok(c) => Some(c),
            Err(e) => return vec![AttributeDiagnostic::error(Path::root(), e.message)],
        };
        let plugin = self.unconfigured.clone();
        let type_name = request.type_name;
        let answer = self.rt.block(async move {
            if data {
                plugin
                    .validate_data_resource_config(v6::validate_data_resource_config::Request {
                        type_name,
                        config,
                    })
                    .await
                    .map(|r| r.diagnostics)
            } else {
                plugin
                    .validate_resource_config(v6::validate_resource_config::Request {
                        type_name,
                        config,
                        client_capabilities: client_capabilities(),
                    })
                    .await
                    .map(|r| r.diagnostics)
            }
        });
        match answer {
            Some(Ok(diagnostics)) => diagnostics_from_plugin(&diagnostics),
            Some(Err(e)) => vec![AttributeDiagnostic::error(Path::root(), e.to_string())],
            None => vec![AttributeDiagnostic::error(
                Path::root(),
                abandoned(&self.spec, "ValidateResourceConfig").to_string(),
            )],
        }
    }

    async fn configure(
        &self,
        request: ConfigureRequest,
    ) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(self.configure_plugin(request).await?)
    }
}

impl PluginFactory {
    /// [`ProviderFactory::configure`] with the concrete type: starts the process for this
    /// provider configuration, validates and configures it.
    pub async fn configure_plugin(
        &self,
        request: ConfigureRequest,
    ) -> Result<Arc<PluginProvider>, ProviderError> {
        let mut config = request.config.strip_marks();
        fill_empty_blocks(&mut config, &self.schema.schema.provider);
        let config = dynamic(&config, &self.schema.provider_type)?;
        let spec = self.spec.clone();
        let plugin = self
            .rt
            .run(async move {
                let plugin = Plugin::launch(&spec).await.map_err(call_error)?;
                let validated = plugin
                    .validate_provider_config(v6::validate_provider_config::Request {
                        config: Some(config.clone()),
                    })
                    .await
                    .map_err(call_error)?;
                check(&validated.diagnostics)?;
                let configured = plugin
                    .configure(v6::configure_provider::Request {
                        terraform_version: TERRAFORM_VERSION.to_string(),
                        config: Some(config),
                        client_capabilities: client_capabilities(),
                    })
                    .await
                    .map_err(call_error)?;
                check(&configured.diagnostics)?;
                Ok::<_, ProviderError>(plugin)
            })
            .await??;
        Ok(Arc::new(PluginProvider {
            key: request.key,
            plugin: Arc::new(plugin),
            schema: self.schema.clone(),
            rt: self.rt.clone(),
        }))
    }
}

/// One configured provider: one plugin process.
pub struct PluginProvider {
    key: String,
    plugin: Arc<Plugin>,
    schema: Arc<PluginSchema>,
    rt: Arc<Rt>,
}

impl PluginProvider {
    /// The provider configuration this process serves (`random` or `random.other`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The plugin process's ID while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.plugin.pid()
    }

    fn resource_type(&self, type_name: &str) -> Result<CtyType, ProviderError> {
        self.schema
            .type_of(type_name, false)
            .cloned()
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::Invalid,
                    format!("the provider has no resource type {type_name}"),
                )
            })
    }

    /// ReadResource of one object; `prior` is already in its outgoing form.
    async fn read_one(
        plugin: Arc<Plugin>,
        ty: CtyType,
        type_name: String,
        prior: Value,
        private: Private,
    ) -> Result<Option<ReadObject>, ProviderError> {
        let response = plugin
            .read_resource(v6::read_resource::Request {
                type_name,
                current_state: Some(dynamic(&prior, &ty)?),
                private: private_to_plugin(&private),
                provider_meta: None,
                client_capabilities: client_capabilities(),
            })
            .await
            .map_err(call_error)?;
        check(&response.diagnostics)?;
        deferred("a read", response.deferred.as_ref())?;
        let value = undynamic(response.new_state.as_ref(), &ty)?;
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some(ReadObject {
            value,
            private: private_to_trellis(&response.private),
        }))
    }
}

#[async_trait]
impl Provider for PluginProvider {
    async fn read(&self, request: ReadRequest) -> Result<ReadResponse, ProviderError> {
        // As many reads in flight as Terraform's default parallelism: a provider calls its
        // API for each, and a refresh of thousands at once would meet its rate limits.
        let permits = Arc::new(tokio::sync::Semaphore::new(READ_PARALLELISM));
        let mut tasks = Vec::with_capacity(request.items.len());
        for item in request.items {
            let ty = self.resource_type(&item.type_name)?;
            let prior = outgoing(&self.schema, &item.type_name, false, &item.prior);
            let read = Self::read_one(self.plugin.clone(), ty, item.type_name, prior, item.private);
            let permits = permits.clone();
            tasks.push(self.rt.handle().spawn(async move {
                let _permit = permits.acquire_owned().await;
                read.await
            }));
        }
        let mut items = Vec::with_capacity(tasks.len());
        for task in tasks {
            items.push(
                task.await
                    .map_err(|e| ProviderError::new(ErrorKind::Other, e.to_string()))??,
            );
        }
        Ok(ReadResponse { items })
    }

    fn plan_change(&self, request: PlanChangeRequest) -> PlanChangeResponse {
        let fallback = request.planned.clone();
        let request = PlanResourceRequest {
            type_name: request.type_name,
            prior: request.prior,
            proposed: request.planned,
            config: request.config,
            prior_private: None,
        };
        let plugin = self.plugin.clone();
        let schema = self.schema.clone();
        let answer = self
            .rt
            .block(async move { plan(plugin, schema, request).await });
        match answer {
            Some(Ok(response)) => PlanChangeResponse {
                planned: response.planned,
                diagnostics: response.diagnostics,
            },
            Some(Err(e)) => PlanChangeResponse {
                planned: fallback,
                diagnostics: vec![AttributeDiagnostic::error(Path::root(), e.message)],
            },
            None => PlanChangeResponse {
                planned: fallback,
                diagnostics: vec![AttributeDiagnostic::error(
                    Path::root(),
                    "plugin call abandoned",
                )],
            },
        }
    }

    async fn plan_resource(
        &self,
        request: PlanResourceRequest,
    ) -> Result<PlanResourceResponse, ProviderError> {
        self.rt
            .run(plan(self.plugin.clone(), self.schema.clone(), request))
            .await?
    }

    async fn apply_change(
        &self,
        request: ApplyChangeRequest,
    ) -> Result<ApplyChangeResponse, ProviderError> {
        let ty = self.resource_type(&request.type_name)?;
        let plugin = self.plugin.clone();
        let schema = self.schema.clone();
        self.rt
            .run(async move {
                let encode = |v: Option<&Value>| match v {
                    Some(v) => dynamic(&outgoing(&schema, &request.type_name, false, v), &ty),
                    None => dynamic(&Value::Null, &ty),
                };
                let config = if request.planned.is_some() {
                    encode(Some(&request.config))?
                } else {
                    encode(None)?
                };
                let response = plugin
                    .apply_resource_change(v6::apply_resource_change::Request {
                        type_name: request.type_name.clone(),
                        prior_state: Some(encode(request.prior.as_ref())?),
                        planned_state: Some(encode(request.planned.as_ref())?),
                        config: Some(config),
                        planned_private: private_to_plugin(&request.planned_private),
                        provider_meta: None,
                    })
                    .await
                    .map_err(call_error)?;
                check(&response.diagnostics).map_err(|mut e| {
                    e.kind = ErrorKind::Other;
                    e
                })?;
                let state = undynamic(response.new_state.as_ref(), &ty)?;
                Ok(ApplyChangeResponse {
                    state: Some(state).filter(|s| !s.is_null()),
                    private: private_to_trellis(&response.private),
                })
            })
            .await?
    }

    async fn create(&self, request: CreateRequest) -> Result<CreateResponse, ProviderError> {
        let response = self
            .apply_change(ApplyChangeRequest {
                type_name: request.type_name,
                prior: None,
                config: request.planned.clone(),
                planned: Some(request.planned),
                planned_private: None,
                token: Some(request.token),
            })
            .await?;
        Ok(CreateResponse {
            state: response.state.unwrap_or_default(),
            private: response.private,
        })
    }

    async fn update(&self, request: UpdateRequest) -> Result<UpdateResponse, ProviderError> {
        let response = self
            .apply_change(ApplyChangeRequest {
                type_name: request.type_name,
                prior: Some(request.prior),
                config: request.planned.clone(),
                planned: Some(request.planned),
                planned_private: None,
                token: None,
            })
            .await?;
        Ok(UpdateResponse {
            state: response.state.unwrap_or_default(),
            private: response.private,
        })
    }

    async fn delete(&self, request: DeleteRequest) -> Result<(), ProviderError> {
        self.apply_change(ApplyChangeRequest {
            type_name: request.type_name,
            prior: Some(request.prior),
            planned: None,
            config: Value::Null,
            planned_private: None,
            token: None,
        })
        .await
        .map(|_| ())
    }

    /// Plugins have no idempotency tokens, so an object whose create outcome was lost cannot
    /// be found again (as in Terraform, it is orphaned).
    async fn settle(&self, _request: SettleRequest) -> Result<Option<Value>, ProviderError> {
        Ok(None)
    }

    async fn import(&self, request: ImportRequest) -> Result<Option<Value>, ProviderError> {
        Ok(self.import_object(request).await?.map(|o| o.value))
    }

    /// ImportResourceState, then ReadResource of the imported object, as Terraform does.
    async fn import_object(
        &self,
        request: ImportRequest,
    ) -> Result<Option<ReadObject>, ProviderError> {
        let ty = self.resource_type(&request.type_name)?;
        let plugin = self.plugin.clone();
        self.rt
            .run(async move {
                let response = plugin
                    .import_resource_state(v6::import_resource_state::Request {
                        type_name: request.type_name.clone(),
                        id: request.id,
                        client_capabilities: client_capabilities(),
                    })
                    .await
                    .map_err(call_error)?;
                check(&response.diagnostics)?;
                deferred("an import", response.deferred.as_ref())?;
                let Some(imported) = response
                    .imported_resources
                    .into_iter()
                    .find(|r| r.type_name == request.type_name)
                else {
                    return Ok(None);
                };
                let value = undynamic(imported.state.as_ref(), &ty)?;
                if value.is_null() {
                    return Ok(None);
                }
                PluginProvider::read_one(
                    plugin,
                    ty,
                    request.type_name,
                    value,
                    private_to_trellis(&imported.private),
                )
                .await
            })
            .await?
    }

    async fn read_data(&self, request: ReadDataRequest) -> Result<Value, ProviderError> {
        let ty = self
            .schema
            .type_of(&request.type_name, true)
            .cloned()
            .ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::Invalid,
                    format!("the provider has no data source {}", request.type_name),
                )
            })?;
        let plugin = self.plugin.clone();
        let config = outgoing(&self.schema, &request.type_name, true, &request.config);
        self.rt
            .run(async move {
                let response = plugin
                    .read_data_source(v6::read_data_source::Request {
                        type_name: request.type_name,
                        config: Some(dynamic(&config, &ty)?),
                        provider_meta: None,
                        client_capabilities: client_capabilities(),
                    })
                    .await
                    .map_err(call_error)?;
                check(&response.diagnostics)?;
                deferred("a data source read", response.deferred.as_ref())?;
                undynamic(response.state.as_ref(), &ty)
            })
            .await?
    }

    async fn upgrade_state(&self, request: UpgradeStateRequest) -> Result<Value, ProviderError> {
        let ty = self.resource_type(&request.type_name)?;
        let plugin = self.plugin.clone();
        self.rt
            .run(async move {
                let response = plugin
                    .upgrade_resource_state(v6::upgrade_resource_state::Request {
                        type_name: request.type_name,
                        version: i64::from(request.version),
                        raw_state: Some(v6::RawState {
                            json: request.raw.to_string().into_bytes(),
                            flatmap: Default::default(),
                        }),
                    })
                    .await
                    .map_err(call_error)?;
                check(&response.diagnostics)?;
                undynamic(response.upgraded_state.as_ref(), &ty)
            })
            .await?
    }

    async fn stop(&self) -> Result<(), ProviderError> {
        let plugin = self.plugin.clone();
        let response = self
            .rt
            .run(async move { plugin.stop_provider().await })
            .await?
            .map_err(call_error)?;
        if response.error.is_empty() {
            Ok(())
        } else {
            Err(ProviderError::new(ErrorKind::Other, response.error))
        }
    }

    async fn close(&self) -> Result<(), ProviderError> {
        let plugin = self.plugin.clone();
        self.rt.run(async move { plugin.shutdown().await }).await
    }
}

async fn plan(
    plugin: Arc<Plugin>,
    schema: Arc<PluginSchema>,
    request: PlanResourceRequest,
) -> Result<PlanResourceResponse, ProviderError> {
    let ty = schema
        .type_of(&request.type_name, false)
        .cloned()
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Invalid,
                format!("the provider has no resource type {}", request.type_name),
            )
        })?;
    let prior = request
        .prior
        .as_ref()
        .map(|p| outgoing(&schema, &request.type_name, false, p))
        .unwrap_or_default();
    let proposed = outgoing(&schema, &request.type_name, false, &request.proposed);
    let config = outgoing(&schema, &request.type_name, false, &request.config);
    let response = plugin
        .plan_resource_change(v6::plan_resource_change::Request {
            type_name: request.type_name,
            prior_state: Some(dynamic(&prior, &ty)?),
            proposed_new_state: Some(dynamic(&proposed, &ty)?),
            config: Some(dynamic(&config, &ty)?),
            prior_private: private_to_plugin(&request.prior_private),
            provider_meta: None,
            client_capabilities: client_capabilities(),
        })
        .await
        .map_err(call_error)?;
    deferred("a plan", response.deferred.as_ref())?;
    let diagnostics = diagnostics_from_plugin(&response.diagnostics);
    let planned = if diagnostics.iter().any(|d| !d.warning) {
        request.proposed
    } else {
        undynamic(response.planned_state.as_ref(), &ty)?
    };
    Ok(PlanResourceResponse {
        planned,
        requires_replace: Some(
            response
                .requires_replace
                .iter()
                .map(|p| path_from_plugin(Some(p)))
                .collect(),
        ),
        planned_private: private_to_trellis(&response.planned_private),
        diagnostics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_paths_become_trellis_paths() {
        use v6::attribute_path::{step::Selector, Step};
        let path = v6::AttributePath {
            steps: vec![
                Step {
                    selector: Some(Selector::AttributeName("rule".into())),
                },
                Step {
                    selector: Some(Selector::ElementKeyInt(2)),
                },
                Step {
                    selector: Some(Selector::AttributeName("tags".into())),
                },
                Step {
                    selector: Some(Selector::ElementKeyString("team name".into())),
                },
            ],
        };
        assert_eq!(
            path_from_plugin(Some(&path)).to_string(),
            "rule[2].tags[\"team name\"]"
        );
        assert!(path_from_plugin(None).is_root());
    }

    #[test]
    fn absent_list_and_set_blocks_go_as_empty_collections() {
        use trellis_provider::{AttrType, Attribute, Block, Nesting};
        let inner = Block::new()
            .attr("x", Attribute::optional(AttrType::String))
            .block("deep", Nesting::Set, Block::new());
        let block = Block::new()
            .block("list", Nesting::List, inner.clone())
            .block("one", Nesting::Single, inner);
        let mut value = Value::object([("one", Value::object([("x", Value::string("a"))]))]);
        fill_empty_blocks(&mut value, &block);
        assert_eq!(
            value,
            Value::object([
                ("list", Value::List(vec![])),
                (
                    "one",
                    Value::object([("x", Value::string("a")), ("deep", Value::List(vec![]))])
                ),
            ])
        );
        // An absent single block stays null.
        let mut value = Value::object::<&str>([]);
        fill_empty_blocks(&mut value, &block);
        assert_eq!(value.get("one"), Some(&Value::Null));
    }

    #[test]
    fn private_bytes_round_trip_through_json() {
        let bytes = b"\x00\x01opaque".to_vec();
        let private = private_to_trellis(&bytes);
        assert!(matches!(private, Some(serde_json::Value::String(_))));
        assert_eq!(private_to_plugin(&private), bytes);
        assert_eq!(private_to_trellis(&[]), None);
        assert!(private_to_plugin(&None).is_empty());
    }
}
