//! An in-memory provider for the engine's own tests and benchmarks.
//!
//! Its name is `trellis` and its resource types are `trellis_test_*`, so it cannot be taken
//! for a real provider. It models a small mesh (networks, services, listeners, associations)
//! plus a generic `trellis_test_thing` with knobs for failures.
//!
//! Its "world" lives in memory. When the provider block sets `store = "PATH"`, the world is
//! loaded from that JSON file at configure time and written back after every change, so that
//! separate processes (the CLI tests) see one world, and a test can edit the file to simulate
//! changes made outside trellis.
//!
//! `discover` follows a `service-network` root (a `trellis_test_network` ID) to its
//! associations, their services and the services' listeners.
//!
//! Provider arguments: `store` (path), `latency_ms` (added to every operation),
//! `crash_after_create` (a name: the process exits right after creating that object, before
//! trellis can record it, to simulate a crash), `account` and `region` (the provider's
//! [`Location`], shown in plans).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use trellis_types::{Location, Path, Value};

use crate::schema::{AttrType, Attribute, Block, Nesting, ProviderSchema, ResourceSchema};
use crate::{
    AttributeDiagnostic, ConfigureRequest, CreateRequest, CreateResponse, DeleteRequest,
    DiscoverRequest, DiscoverResponse, ErrorKind, ImportRequest, Provider, ProviderError,
    ProviderFactory, ReadDataRequest, ReadObject, ReadRequest, ReadResponse, SettleRequest,
    UpdateRequest, UpdateResponse, ValidateRequest,
};

/// The factory of the in-memory provider.
pub struct MemoryFactory {
    schema: ProviderSchema,
    /// Ignore the test hooks that reach outside the process's memory or stall it.
    sandboxed: bool,
}

impl Default for MemoryFactory {
    fn default() -> Self {
        MemoryFactory {
            schema: schema(),
            sandboxed: false,
        }
    }
}

impl MemoryFactory {
    pub fn new() -> MemoryFactory {
        MemoryFactory::default()
    }

    /// A factory for untrusted configurations (the fuzzers): `store`, `latency_ms` and
    /// `crash_after_create` are accepted and ignored, so a configuration can neither read or
    /// write a file, nor sleep, nor end the process.
    pub fn sandboxed() -> MemoryFactory {
        MemoryFactory {
            sandboxed: true,
            ..MemoryFactory::default()
        }
    }
}

#[async_trait]
impl ProviderFactory for MemoryFactory {
    fn name(&self) -> &str {
        "trellis"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn validate(&self, request: ValidateRequest) -> Vec<AttributeDiagnostic> {
        let mut out = Vec::new();
        if let Some(name) = request.config.get("name").and_then(Value::as_str) {
            if name.is_empty() || name.len() > 63 || name.contains("--") || name.starts_with('-') {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["name"]),
                    format!("invalid name {name:?}"),
                ));
            }
        }
        if let Some(port) = request.config.get("port").and_then(Value::as_number) {
            if !(1.0..=65535.0).contains(&port) {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["port"]),
                    format!("port {port} is out of range 1 to 65535"),
                ));
            }
        }
        out
    }

    async fn configure(
        &self,
        request: ConfigureRequest,
    ) -> Result<Arc<dyn Provider>, ProviderError> {
        let config = &request.config;
        let hook = |key: &str| (!self.sandboxed).then(|| config.get(key)).flatten();
        let store = hook("store").and_then(Value::as_str).map(str::to_string);
        let world = match &store {
            Some(path) => World::load(path)?,
            None => World::default(),
        };
        Ok(Arc::new(MemoryProvider {
            world: Mutex::new(world),
            store,
            latency: Duration::from_millis(
                hook("latency_ms")
                    .and_then(Value::as_number)
                    .unwrap_or(0.0)
                    .max(0.0) as u64,
            ),
            crash_after_create: hook("crash_after_create")
                .and_then(Value::as_str)
                .map(str::to_string),
            location: {
                let part = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_string);
                let location = Location {
                    account: part("account"),
                    region: part("region"),
                };
                (!location.is_empty()).then_some(location)
            },
        }))
    }
}

/// One stored object.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Object {
    type_name: String,
    value: Value,
    token: Option<String>,
    /// Grows with every create and update of any object; returned as private data
    /// (`{"revision": N}`), the way a real API's last-modified stamp would be.
    #[serde(default)]
    revision: u64,
}

impl Object {
    fn name(&self) -> Option<&str> {
        self.value.get("name").and_then(Value::as_str)
    }
}

/// Everything the provider "manages".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct World {
    next_id: u64,
    #[serde(default)]
    next_revision: u64,
    objects: BTreeMap<String, Object>,
    /// Calls per operation, for tests that count them.
    #[serde(default)]
    calls: BTreeMap<String, u64>,
    /// Lookups by token and by name, built on first use: a create costs the same with ten
    /// thousand objects as with ten, as it does in a real API.
    #[serde(skip)]
    index: Option<Index>,
}

#[derive(Debug, Clone, Default)]
struct Index {
    by_token: HashMap<String, String>,
    by_name: HashMap<(String, String), String>,
}

impl Index {
    fn add(&mut self, id: &str, object: &Object) {
        if let Some(token) = &object.token {
            self.by_token.insert(token.clone(), id.to_string());
        }
        if let Some(name) = object.name() {
            self.by_name
                .insert((object.type_name.clone(), name.to_string()), id.to_string());
        }
    }

    fn remove(&mut self, object: &Object) {
        if let Some(token) = &object.token {
            self.by_token.remove(token);
        }
        if let Some(name) = object.name() {
            self.by_name
                .remove(&(object.type_name.clone(), name.to_string()));
        }
    }
}

impl World {
    fn index(&mut self) -> &mut Index {
        let objects = &self.objects;
        self.index.get_or_insert_with(|| {
            let mut index = Index::default();
            for (id, object) in objects {
                index.add(id, object);
            }
            index
        })
    }

    fn by_token(&mut self, token: &str) -> Option<&Object> {
        let id = self.index().by_token.get(token)?.clone();
        self.objects.get(&id)
    }

    fn name_taken(&mut self, type_name: &str, name: &str) -> bool {
        self.index()
            .by_name
            .contains_key(&(type_name.to_string(), name.to_string()))
    }

    fn insert(&mut self, id: String, object: Object) {
        // The old object's entries go first: a replacement usually keeps its name and token.
        self.remove(&id);
        self.index().add(&id, &object);
        self.objects.insert(id, object);
    }

    fn remove(&mut self, id: &str) {
        if let Some(old) = self.objects.remove(id) {
            self.index().remove(&old);
        }
    }

    /// Replaces an object's value, keeping the name index true. Returns the new revision.
    fn set_value(&mut self, id: &str, value: Value) -> u64 {
        let revision = self.revise();
        let Some(object) = self.objects.get(id) else {
            return revision;
        };
        let mut object = object.clone();
        object.value = value;
        object.revision = revision;
        self.insert(id.to_string(), object);
        revision
    }

    fn revise(&mut self) -> u64 {
        self.next_revision += 1;
        self.next_revision
    }

    fn load(path: &str) -> Result<World, ProviderError> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                ProviderError::new(
                    ErrorKind::Other,
                    format!("test store {path} is damaged: {e}"),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(World::default()),
            Err(e) => Err(ProviderError::new(
                ErrorKind::Other,
                format!("cannot read test store {path}: {e}"),
            )),
        }
    }

    fn save(&self, path: &str) -> Result<(), ProviderError> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| ProviderError::new(ErrorKind::Other, e.to_string()))?;
        let tmp = format!("{path}.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                ProviderError::new(
                    ErrorKind::Other,
                    format!("cannot write test store {path}: {e}"),
                )
            })
    }
}

/// A configured in-memory provider.
pub struct MemoryProvider {
    world: Mutex<World>,
    store: Option<String>,
    latency: Duration,
    crash_after_create: Option<String>,
    location: Option<Location>,
}

impl MemoryProvider {
    async fn pause(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }

    fn with_world<T>(
        &self,
        operation: &str,
        f: impl FnOnce(&mut World) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let mut world = self.world.lock().unwrap_or_else(|p| p.into_inner());
        *world.calls.entry(operation.to_string()).or_default() += 1;
        let out = f(&mut world)?;
        if operation != "read" {
            if let Some(path) = &self.store {
                world.save(path)?;
            }
        }
        Ok(out)
    }
}

/// The private data of an object at `n`.
fn revision(n: u64) -> Option<serde_json::Value> {
    Some(serde_json::json!({ "revision": n }))
}

fn fail_requested(value: &Value, operation: &str) -> Result<(), ProviderError> {
    if value.get("fail_on").and_then(Value::as_str) == Some(operation) {
        return Err(ProviderError::new(
            ErrorKind::Other,
            format!("injected failure on {operation}"),
        )
        .with_code("InjectedFault"));
    }
    Ok(())
}

fn prefix(type_name: &str) -> &str {
    match type_name {
        "trellis_test_network" => "net",
        "trellis_test_service" => "svc",
        "trellis_test_listener" => "lis",
        "trellis_test_association" => "assoc",
        _ => "thing",
    }
}

/// The value with every unknown replaced by null: what a real API would store for attributes
/// the request left out.
fn without_unknowns(value: &Value) -> Value {
    match value {
        Value::Unknown => Value::Null,
        Value::List(items) => Value::List(items.iter().map(without_unknowns).collect()),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), without_unknowns(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Fills the computed attributes of a new object.
fn computed(type_name: &str, id: &str, planned: &Value) -> Value {
    let mut value = without_unknowns(&planned.strip_marks());
    let name = planned
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(id)
        .to_string();
    value.set_path(&Path::from_keys(["id"]), Value::string(id));
    value.set_path(
        &Path::from_keys(["arn"]),
        Value::string(format!(
            "arn:trellis:test:local:000000000000:{}/{id}",
            prefix(type_name)
        )),
    );
    match type_name {
        "trellis_test_service" => {
            value.set_path(
                &Path::from_keys(["dns_name"]),
                Value::string(format!("{name}-{id}.test.internal")),
            );
        }
        "trellis_test_association" => {
            value.set_path(&Path::from_keys(["status"]), Value::string("ACTIVE"));
        }
        "trellis_test_thing" => {
            let input = planned
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default();
            value.set_path(
                &Path::from_keys(["computed_value"]),
                Value::string(format!("computed-{input}")),
            );
        }
        _ => {}
    }
    for (attribute, default) in [("auth_type", "NONE"), ("protocol", "HTTP")] {
        if value.get(attribute).is_some_and(Value::is_null) {
            value.set_path(&Path::from_keys([attribute]), Value::string(default));
        }
    }
    value
}

#[async_trait]
impl Provider for MemoryProvider {
    fn location(&self) -> Option<Location> {
        self.location.clone()
    }

    async fn read(&self, request: ReadRequest) -> Result<ReadResponse, ProviderError> {
        self.pause().await;
        self.with_world("read", |world| {
            Ok(ReadResponse {
                items: request
                    .items
                    .iter()
                    .map(|item| {
                        let id = item.prior.get("id").and_then(Value::as_str)?;
                        world
                            .objects
                            .get(id)
                            .filter(|o| o.type_name == item.type_name)
                            .map(|o| ReadObject {
                                value: o.value.clone(),
                                private: revision(o.revision),
                            })
                    })
                    .collect(),
            })
        })
    }

    async fn create(&self, request: CreateRequest) -> Result<CreateResponse, ProviderError> {
        self.pause().await;
        fail_requested(&request.planned, "create")?;
        let name = request
            .planned
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string);
        let (state, private) = self.with_world("create", |world| {
            if let Some(existing) = world.by_token(&request.token) {
                return Ok((existing.value.clone(), revision(existing.revision)));
            }
            if let Some(name) = &name {
                if world.name_taken(&request.type_name, name) {
                    return Err(ProviderError::new(
                        ErrorKind::Conflict,
                        format!("a {} named {name:?} already exists", request.type_name),
                    )
                    .with_code("ConflictException"));
                }
            }
            world.next_id += 1;
            let id = format!("{}-{:08x}", prefix(&request.type_name), world.next_id);
            let value = computed(&request.type_name, &id, &request.planned);
            let revision_now = world.revise();
            world.insert(
                id,
                Object {
                    type_name: request.type_name.clone(),
                    value: value.clone(),
                    token: Some(request.token.clone()),
                    revision: revision_now,
                },
            );
            Ok((value, revision(revision_now)))
        })?;
        if name.is_some() && name == self.crash_after_create {
            // Simulates a crash after the remote call succeeded and before the engine could
            // record its result. Only tests set this.
            std::process::exit(86);
        }
        Ok(CreateResponse { state, private })
    }

    async fn update(&self, request: UpdateRequest) -> Result<UpdateResponse, ProviderError> {
        self.pause().await;
        fail_requested(&request.planned, "update")?;
        let (state, private) = self.with_world("update", |world| {
            let id = request
                .prior
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let object = world.objects.get(id).ok_or_else(|| {
                ProviderError::new(ErrorKind::NotFound, format!("{id} does not exist"))
            })?;
            let mut value = without_unknowns(&request.planned.strip_marks());
            // Computed attributes keep their values.
            for key in ["id", "arn", "dns_name", "status", "computed_value"] {
                if let Some(v) = object.value.get(key) {
                    value.set_path(&Path::from_keys([key]), v.clone());
                }
            }
            if request.type_name == "trellis_test_thing" {
                let input = value
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                value.set_path(
                    &Path::from_keys(["computed_value"]),
                    Value::string(format!("computed-{input}")),
                );
            }
            let id = id.to_string();
            let revision_now = world.set_value(&id, value.clone());
            Ok((value, revision(revision_now)))
        })?;
        Ok(UpdateResponse { state, private })
    }

    async fn delete(&self, request: DeleteRequest) -> Result<(), ProviderError> {
        self.pause().await;
        fail_requested(&request.prior, "delete")?;
        self.with_world("delete", |world| {
            let id = request
                .prior
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let in_use = world.objects.values().any(|o| {
                o.type_name == "trellis_test_association"
                    && (o.value.get("service_id").and_then(Value::as_str) == Some(id)
                        || o.value.get("network_id").and_then(Value::as_str) == Some(id))
            });
            if in_use {
                return Err(ProviderError::new(
                    ErrorKind::Conflict,
                    format!("{id} still has associations"),
                )
                .with_code("ConflictException"));
            }
            let id = id.to_string();
            world.remove(&id);
            Ok(())
        })
    }

    async fn settle(&self, request: SettleRequest) -> Result<Option<Value>, ProviderError> {
        self.pause().await;
        self.with_world("settle", |world| {
            Ok(world.by_token(&request.token).map(|o| o.value.clone()))
        })
    }

    async fn import(&self, request: ImportRequest) -> Result<Option<Value>, ProviderError> {
        self.pause().await;
        // IDs have the form `PREFIX-HEX` (`net-00000001`); anything else is a malformed ID
        // rather than a missing object, as a real API tells the two apart.
        let expected = prefix(&request.type_name);
        let well_formed = request
            .id
            .strip_prefix(expected)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()));
        if !well_formed {
            return Err(ProviderError::new(
                ErrorKind::Invalid,
                format!(
                    "import ID {:?} is not a {} ID (expected {expected}-<hex digits>)",
                    request.id, request.type_name
                ),
            )
            .with_code("ValidationException"));
        }
        self.with_world("import", |world| {
            Ok(world
                .objects
                .get(&request.id)
                .filter(|o| o.type_name == request.type_name)
                .map(|o| o.value.clone()))
        })
    }

    async fn discover(&self, request: DiscoverRequest) -> Result<DiscoverResponse, ProviderError> {
        self.pause().await;
        let schema = schema();
        self.with_world("discover", |world| {
            let mut out = DiscoverResponse::default();
            let add = |out: &mut DiscoverResponse, o: &Object, name: String| {
                let block = &schema.resources[&o.type_name].block;
                let mut arguments = BTreeMap::new();
                if let Some(map) = o.value.as_map() {
                    for (k, v) in map {
                        let computed_only = block
                            .attributes
                            .get(k)
                            .is_some_and(|a| a.computed && !a.optional && !a.required);
                        let default = matches!(
                            (k.as_str(), v.as_str()),
                            ("auth_type", Some("NONE")) | ("protocol", Some("HTTP"))
                        );
                        if !v.is_null() && !computed_only && !default {
                            arguments.insert(k.clone(), v.clone());
                        }
                    }
                }
                out.objects.push(crate::DiscoveredObject {
                    type_name: o.type_name.clone(),
                    import_id: o
                        .value
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    name,
                    value: o.value.clone(),
                    arguments: Value::Map(arguments),
                    owner: None,
                });
            };
            let name_of = |o: &Object| {
                o.value
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            for root in &request.roots {
                let network = world
                    .objects
                    .get(&root.id)
                    .filter(|o| o.type_name == "trellis_test_network")
                    .ok_or_else(|| {
                        ProviderError::new(
                            ErrorKind::NotFound,
                            format!("no trellis_test_network {:?}", root.id),
                        )
                    })?;
                add(&mut out, network, name_of(network));
                for assoc in world.objects.values().filter(|o| {
                    o.type_name == "trellis_test_association"
                        && o.value.get("network_id").and_then(Value::as_str)
                            == Some(root.id.as_str())
                }) {
                    let service_id = assoc
                        .value
                        .get("service_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let Some(service) = world.objects.get(service_id) else {
                        continue;
                    };
                    add(
                        &mut out,
                        assoc,
                        format!("{}-{}", name_of(service), name_of(network)),
                    );
                    add(&mut out, service, name_of(service));
                    for listener in world.objects.values().filter(|o| {
                        o.type_name == "trellis_test_listener"
                            && o.value.get("service_id").and_then(Value::as_str) == Some(service_id)
                    }) {
                        add(&mut out, listener, name_of(listener));
                    }
                }
            }
            out.objects
                .sort_by(|a, b| (&a.type_name, &a.import_id).cmp(&(&b.type_name, &b.import_id)));
            out.objects
                .dedup_by(|a, b| a.type_name == b.type_name && a.import_id == b.import_id);
            Ok(out)
        })
    }

    async fn read_data(&self, request: ReadDataRequest) -> Result<Value, ProviderError> {
        self.pause().await;
        self.with_world("read_data", |world| {
            let name = request
                .config
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let found = world
                .objects
                .values()
                .find(|o| o.value.get("name").and_then(Value::as_str) == Some(name))
                .ok_or_else(|| {
                    ProviderError::new(ErrorKind::NotFound, format!("no object named {name:?}"))
                })?;
            let mut value = request.config.clone();
            for key in ["id", "arn"] {
                if let Some(v) = found.value.get(key) {
                    value.set_path(&Path::from_keys([key]), v.clone());
                }
            }
            Ok(value)
        })
    }
}

fn string() -> AttrType {
    AttrType::String
}

fn tags() -> Attribute {
    Attribute::optional(AttrType::Map(Box::new(AttrType::String)))
}

fn resource(block: Block, description: &str) -> ResourceSchema {
    ResourceSchema {
        version: 0,
        block: block
            .attr("id", Attribute::computed(string()))
            .attr("arn", Attribute::computed(string())),
        description: description.to_string(),
        import_id: Some("id".to_string()),
    }
}

/// The schema of the in-memory provider.
pub fn schema() -> ProviderSchema {
    let mut resources = BTreeMap::new();
    resources.insert(
        "trellis_test_network".to_string(),
        resource(
            Block::new()
                .attr("name", Attribute::required(string()).force_new())
                .attr("auth_type", Attribute::optional_computed(string()))
                .attr("tags", tags()),
            "a network that services and associations join",
        ),
    );
    resources.insert(
        "trellis_test_service".to_string(),
        resource(
            Block::new()
                .attr("name", Attribute::required(string()).force_new())
                .attr("auth_type", Attribute::optional_computed(string()))
                .attr("description", Attribute::optional(string()))
                .attr("policy", Attribute::optional(AttrType::Json))
                .attr("secret", Attribute::optional(string()).sensitive())
                .attr("dns_name", Attribute::computed(string()))
                .attr("tags", tags()),
            "a service",
        ),
    );
    resources.insert(
        "trellis_test_listener".to_string(),
        resource(
            Block::new()
                .attr("name", Attribute::required(string()).force_new())
                .attr("service_id", Attribute::required(string()).force_new())
                .attr("port", Attribute::required(AttrType::Number).force_new())
                .attr(
                    "protocol",
                    Attribute::optional_computed(string()).force_new(),
                )
                .block(
                    "default_action",
                    Nesting::Single,
                    Block::new()
                        .attr("status_code", Attribute::optional(AttrType::Number))
                        .attr("target", Attribute::optional(string())),
                )
                .attr("tags", tags()),
            "a listener of a service",
        ),
    );
    resources.insert(
        "trellis_test_association".to_string(),
        resource(
            Block::new()
                .attr("service_id", Attribute::required(string()).force_new())
                .attr("network_id", Attribute::required(string()).force_new())
                .attr("status", Attribute::computed(string()))
                .attr("tags", tags()),
            "a service joined to a network",
        ),
    );
    resources.insert(
        "trellis_test_thing".to_string(),
        resource(
            Block::new()
                .attr("name", Attribute::optional(string()).force_new())
                .attr("value", Attribute::optional(string()))
                .attr(
                    "values",
                    Attribute::optional(AttrType::List(Box::new(string()))),
                )
                .attr("policy", Attribute::optional(AttrType::Json))
                .attr("secret", Attribute::optional(string()).sensitive())
                .attr("fail_on", Attribute::optional(string()))
                .attr("computed_value", Attribute::computed(string()))
                .attr("tags", tags())
                .block(
                    "rule",
                    Nesting::List,
                    Block::new()
                        .attr("priority", Attribute::required(AttrType::Number))
                        .attr("path", Attribute::optional(string())),
                ),
            "a generic object with knobs for tests",
        ),
    );
    let mut data_sources = BTreeMap::new();
    data_sources.insert(
        "trellis_test_lookup".to_string(),
        ResourceSchema {
            version: 0,
            block: Block::new()
                .attr("name", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("arn", Attribute::computed(string())),
            description: "finds any object by name".to_string(),
            import_id: None,
        },
    );
    ProviderSchema {
        provider: Block::new()
            .attr("store", Attribute::optional(string()))
            .attr("latency_ms", Attribute::optional(AttrType::Number))
            .attr("crash_after_create", Attribute::optional(string()))
            .attr("account", Attribute::optional(string()))
            .attr("region", Attribute::optional(string())),
        resources,
        data_sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn provider() -> Arc<dyn Provider> {
        MemoryFactory::new()
            .configure(ConfigureRequest {
                key: "trellis".into(),
                config: Value::object::<&str>([]),
            })
            .await
            .unwrap()
    }

    /// The sandboxed factory ignores the hooks that reach outside memory: a `store` that
    /// cannot be read (a directory) fails the normal provider and not the sandboxed one, and
    /// a sandboxed create never reaches the world on disk.
    #[tokio::test(flavor = "current_thread")]
    async fn sandboxed_factory_ignores_store_latency_and_crash_hooks() {
        let dir = std::env::temp_dir();
        let config = Value::object([
            ("store", Value::string(dir.display().to_string())),
            ("latency_ms", Value::Number(3_600_000.0)),
            ("crash_after_create", Value::string("a")),
        ]);
        let request = || ConfigureRequest {
            key: "trellis".into(),
            config: config.clone(),
        };
        assert!(MemoryFactory::new().configure(request()).await.is_err());
        let p = MemoryFactory::sandboxed()
            .configure(request())
            .await
            .expect("the hooks are ignored");
        // With the hooks this create would sleep an hour, then end the process.
        let created = p
            .create(CreateRequest {
                type_name: "trellis_test_network".into(),
                planned: Value::object([("name", Value::string("a"))]),
                token: "t".into(),
            })
            .await
            .unwrap();
        assert!(created.state.get("id").is_some());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn create_is_idempotent_per_token() {
        let p = provider().await;
        let planned = Value::object([("name", Value::string("a"))]);
        let req = CreateRequest {
            type_name: "trellis_test_network".into(),
            planned: planned.clone(),
            token: "t1".into(),
        };
        let first = p.create(req.clone()).await.unwrap().state;
        let second = p.create(req).await.unwrap().state;
        assert_eq!(first, second);
        let settled = p
            .settle(SettleRequest {
                type_name: "trellis_test_network".into(),
                token: "t1".into(),
                planned,
            })
            .await
            .unwrap();
        assert_eq!(settled, Some(first));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn names_are_unique_per_type() {
        let p = provider().await;
        let make = |token: &str| CreateRequest {
            type_name: "trellis_test_network".into(),
            planned: Value::object([("name", Value::string("a"))]),
            token: token.into(),
        };
        p.create(make("t1")).await.unwrap();
        let err = p.create(make("t2")).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
    }

    /// An update keeps the object findable by name and by token.
    #[tokio::test(flavor = "current_thread")]
    async fn an_update_keeps_name_and_token_lookups() {
        let p = provider().await;
        let planned = Value::object([("name", Value::string("a"))]);
        let created = p
            .create(CreateRequest {
                type_name: "trellis_test_network".into(),
                planned: planned.clone(),
                token: "t1".into(),
            })
            .await
            .unwrap()
            .state;
        p.update(UpdateRequest {
            type_name: "trellis_test_network".into(),
            prior: created.clone(),
            planned: planned.clone(),
        })
        .await
        .unwrap();
        let err = p
            .create(CreateRequest {
                type_name: "trellis_test_network".into(),
                planned: planned.clone(),
                token: "t2".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        let settled = p
            .settle(SettleRequest {
                type_name: "trellis_test_network".into(),
                token: "t1".into(),
                planned,
            })
            .await
            .unwrap();
        assert!(
            settled.is_some(),
            "the token still finds the updated object"
        );
    }
}
