//! The test provider's behaviour, on the protocol 6 message types (protocol 5 is served by
//! converting to and from them, see `v5.rs`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tonic::{Request, Response, Status};
use trellis_plugin::cty::CtyType;
use trellis_plugin::msgpack;
use trellis_plugin::proto::tfplugin6 as v6;
use trellis_plugin::proto::tfplugin6::provider_server::Provider;
use trellis_plugin::schema::PluginSchema;
use trellis_types::Value;

type Res<T> = Result<Response<T>, Status>;

pub const THING: &str = "tptest_thing";
pub const SLOW: &str = "tptest_slow";
pub const ECHO: &str = "tptest_echo";

/// The provider's objects: `tptest_thing` values by ID, plus a counter for new IDs.
#[derive(Default)]
struct Objects {
    things: BTreeMap<String, serde_json::Value>,
    counter: u64,
    /// How many ApplyResourceChange calls were served, by type.
    applies: BTreeMap<String, u64>,
    /// ReadResource calls in flight now, and the most there ever were.
    reads_in_flight: u64,
    max_reads_in_flight: u64,
}

impl Objects {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "things": self.things,
            "counter": self.counter,
            "applies": self.applies,
            "max_reads_in_flight": self.max_reads_in_flight,
        })
    }

    fn from_json(json: &serde_json::Value) -> Objects {
        Objects {
            things: json["things"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            counter: json["counter"].as_u64().unwrap_or(0),
            applies: json["applies"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default(),
            reads_in_flight: 0,
            max_reads_in_flight: json["max_reads_in_flight"].as_u64().unwrap_or(0),
        }
    }
}

pub struct TestProvider {
    protocol: u32,
    crash_on_apply: bool,
    schema: v6::get_provider_schema::Response,
    types: PluginSchema,
    objects: Arc<Mutex<Objects>>,
    state_file: Option<std::path::PathBuf>,
    configured: Mutex<Option<ProviderConfig>>,
    stop_tx: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone)]
struct ProviderConfig {
    prefix: String,
}

fn attr(
    name: &str,
    ty: &str,
    required: bool,
    optional: bool,
    computed: bool,
) -> v6::schema::Attribute {
    v6::schema::Attribute {
        name: name.to_string(),
        r#type: ty.as_bytes().to_vec(),
        required,
        optional,
        computed,
        ..Default::default()
    }
}

fn block(
    attributes: Vec<v6::schema::Attribute>,
    blocks: Vec<v6::schema::NestedBlock>,
) -> Option<v6::schema::Block> {
    Some(v6::schema::Block {
        attributes,
        block_types: blocks,
        ..Default::default()
    })
}

fn schema(protocol: u32) -> v6::get_provider_schema::Response {
    let provider = v6::Schema {
        version: 0,
        block: block(
            vec![
                attr("prefix", "\"string\"", false, true, false),
                v6::schema::Attribute {
                    sensitive: true,
                    ..attr("token", "\"string\"", false, true, false)
                },
            ],
            vec![],
        ),
    };
    let mut thing_attrs = vec![
        attr("id", "\"string\"", false, false, true),
        attr("name", "\"string\"", true, false, false),
        attr("size", "\"number\"", false, true, false),
        attr("fingerprint", "\"string\"", false, false, true),
        v6::schema::Attribute {
            sensitive: true,
            ..attr("secret", "\"string\"", false, true, false)
        },
        attr("tags", "[\"map\",\"string\"]", false, true, false),
    ];
    if protocol >= 6 {
        thing_attrs.push(v6::schema::Attribute {
            name: "endpoint".to_string(),
            nested_type: Some(v6::schema::Object {
                attributes: vec![
                    attr("host", "\"string\"", false, true, false),
                    attr("port", "\"number\"", false, true, true),
                ],
                nesting: v6::schema::object::NestingMode::Single as i32,
                ..Default::default()
            }),
            optional: true,
            ..Default::default()
        });
    }
    let rule = v6::schema::NestedBlock {
        type_name: "rule".to_string(),
        block: block(
            vec![
                attr("port", "\"number\"", true, false, false),
                attr("protocol", "\"string\"", false, true, true),
            ],
            vec![],
        ),
        nesting: v6::schema::nested_block::NestingMode::List as i32,
        ..Default::default()
    };
    let thing = v6::Schema {
        version: 1,
        block: block(thing_attrs, vec![rule]),
    };
    let slow = v6::Schema {
        version: 0,
        block: block(
            vec![
                attr("id", "\"string\"", false, false, true),
                attr("name", "\"string\"", true, false, false),
            ],
            vec![],
        ),
    };
    let echo = v6::Schema {
        version: 0,
        block: block(
            vec![
                attr("input", "\"string\"", true, false, false),
                attr("upper", "\"string\"", false, false, true),
                attr("things", "\"number\"", false, false, true),
            ],
            vec![],
        ),
    };
    v6::get_provider_schema::Response {
        provider: Some(provider),
        resource_schemas: [(THING.to_string(), thing), (SLOW.to_string(), slow)].into(),
        data_source_schemas: [(ECHO.to_string(), echo)].into(),
        diagnostics: vec![],
        provider_meta: None,
        server_capabilities: Some(v6::ServerCapabilities {
            plan_destroy: false,
            get_provider_schema_optional: false,
            move_resource_state: false,
        }),
    }
}

fn error(summary: impl Into<String>, path: &[PathPart]) -> v6::Diagnostic {
    use v6::attribute_path::{step::Selector, Step};
    v6::Diagnostic {
        severity: v6::diagnostic::Severity::Error as i32,
        summary: summary.into(),
        detail: String::new(),
        attribute: if path.is_empty() {
            None
        } else {
            Some(v6::AttributePath {
                steps: path
                    .iter()
                    .map(|p| Step {
                        selector: Some(match p {
                            PathPart::Attr(a) => Selector::AttributeName(a.to_string()),
                            PathPart::Index(i) => Selector::ElementKeyInt(*i),
                        }),
                    })
                    .collect(),
            })
        },
    }
}

enum PathPart {
    Attr(&'static str),
    Index(i64),
}

fn bad(e: impl std::fmt::Display) -> Status {
    Status::invalid_argument(e.to_string())
}

impl TestProvider {
    pub fn new(protocol: u32, crash_on_apply: bool, bulk_types: usize) -> TestProvider {
        let mut schema = schema(protocol);
        let mut thing = schema.resource_schemas[THING].clone();
        if let Some(block) = &mut thing.block {
            // Real providers' schemas are mostly documentation.
            block.description = "documentation ".repeat(100);
        }
        for i in 0..bulk_types {
            schema
                .resource_schemas
                .insert(format!("tptest_bulk_{i}"), thing.clone());
        }
        let types = PluginSchema::from_response(&schema).expect("the test schema is valid");
        let state_file = std::env::var_os("TPTEST_STATE_FILE").map(std::path::PathBuf::from);
        let objects = state_file
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map(|json| Objects::from_json(&json))
            .unwrap_or_default();
        TestProvider {
            protocol,
            crash_on_apply,
            schema,
            types,
            objects: Arc::new(Mutex::new(objects)),
            state_file,
            configured: Mutex::new(None),
            stop_tx: tokio::sync::watch::channel(false).0,
        }
    }

    /// Setting it to true stops slow applies (StopProvider, Shutdown).
    pub fn stopper(&self) -> tokio::sync::watch::Sender<bool> {
        self.stop_tx.clone()
    }

    fn ty(&self, type_name: &str, data: bool) -> Result<CtyType, Status> {
        self.types
            .type_of(type_name, data)
            .cloned()
            .ok_or_else(|| Status::invalid_argument(format!("unknown type {type_name}")))
    }

    fn decode(&self, value: Option<&v6::DynamicValue>, ty: &CtyType) -> Result<Value, Status> {
        msgpack::decode(value.map(|v| v.msgpack.as_slice()).unwrap_or_default(), ty).map_err(bad)
    }

    fn encode(&self, value: &Value, ty: &CtyType) -> Result<Option<v6::DynamicValue>, Status> {
        Ok(Some(v6::DynamicValue {
            msgpack: msgpack::encode(value, ty).map_err(bad)?,
            json: vec![],
        }))
    }

    fn save(&self, objects: &Objects) {
        if let Some(path) = &self.state_file {
            let _ = std::fs::write(
                path,
                serde_json::to_vec_pretty(&objects.to_json()).unwrap_or_default(),
            );
        }
    }

    fn config(&self) -> Result<ProviderConfig, Status> {
        self.configured
            .lock()
            .expect("config lock")
            .clone()
            .ok_or_else(|| Status::failed_precondition("the provider is not configured"))
    }

    fn validate_thing(config: &Value) -> Vec<v6::Diagnostic> {
        let mut out = Vec::new();
        let Some(map) = config.as_map() else {
            return out;
        };
        // Terraform core sends an absent list block as an empty list, never null, and
        // providers built on the plugin SDKs depend on it; so does this one.
        if map.get("rule").is_none_or(Value::is_null) {
            out.push(error(
                "rule is null; an absent list block must be an empty list",
                &[PathPart::Attr("rule")],
            ));
        }
        if let Some(Value::Number(size)) = map.get("size") {
            if *size < 0.0 {
                out.push(error(
                    "size must not be negative",
                    &[PathPart::Attr("size")],
                ));
            }
        }
        if let Some(Value::List(rules)) = map.get("rule") {
            for (i, rule) in rules.iter().enumerate() {
                if let Some(Value::Number(port)) = rule.as_map().and_then(|r| r.get("port")) {
                    if !(1.0..=65535.0).contains(port) {
                        out.push(error(
                            "port must be between 1 and 65535",
                            &[
                                PathPart::Attr("rule"),
                                PathPart::Index(i as i64),
                                PathPart::Attr("port"),
                            ],
                        ));
                    }
                }
            }
        }
        out
    }
}

fn get<'a>(value: &'a Value, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    value.as_map().and_then(|m| m.get(key)).unwrap_or(&NULL)
}

fn set(value: &mut Value, key: &str, v: Value) {
    if let Value::Map(map) = value {
        map.insert(key.to_string(), v);
    }
}

fn fingerprint(size: &Value) -> Value {
    match size {
        Value::Number(n) => Value::string(format!("fp-{n}")),
        Value::Null => Value::string("fp-none"),
        _ => Value::Unknown,
    }
}

/// The revision kept in private data.
fn revision(private: &[u8]) -> u64 {
    serde_json::from_slice::<serde_json::Value>(private)
        .ok()
        .and_then(|j| j["revision"].as_u64())
        .unwrap_or(0)
}

fn private(revision: u64) -> Vec<u8> {
    serde_json::json!({ "revision": revision })
        .to_string()
        .into_bytes()
}

#[tonic::async_trait]
impl Provider for TestProvider {
    async fn get_metadata(
        &self,
        _r: Request<v6::get_metadata::Request>,
    ) -> Res<v6::get_metadata::Response> {
        Ok(Response::new(v6::get_metadata::Response {
            server_capabilities: self.schema.server_capabilities,
            diagnostics: vec![],
            data_sources: vec![v6::get_metadata::DataSourceMetadata {
                type_name: ECHO.into(),
            }],
            resources: vec![
                v6::get_metadata::ResourceMetadata {
                    type_name: THING.into(),
                },
                v6::get_metadata::ResourceMetadata {
                    type_name: SLOW.into(),
                },
            ],
        }))
    }

    async fn get_provider_schema(
        &self,
        _r: Request<v6::get_provider_schema::Request>,
    ) -> Res<v6::get_provider_schema::Response> {
        Ok(Response::new(self.schema.clone()))
    }

    async fn validate_provider_config(
        &self,
        r: Request<v6::validate_provider_config::Request>,
    ) -> Res<v6::validate_provider_config::Response> {
        let config = self.decode(r.get_ref().config.as_ref(), &self.types.provider_type)?;
        let mut diagnostics = vec![];
        if let Value::String(prefix) = get(&config, "prefix") {
            if prefix.contains('/') {
                diagnostics.push(error(
                    "prefix must not contain a slash",
                    &[PathPart::Attr("prefix")],
                ));
            }
        }
        Ok(Response::new(v6::validate_provider_config::Response {
            diagnostics,
        }))
    }

    async fn validate_resource_config(
        &self,
        r: Request<v6::validate_resource_config::Request>,
    ) -> Res<v6::validate_resource_config::Response> {
        let r = r.into_inner();
        let ty = self.ty(&r.type_name, false)?;
        let config = self.decode(r.config.as_ref(), &ty)?;
        let diagnostics = if r.type_name == THING {
            Self::validate_thing(&config)
        } else {
            vec![]
        };
        Ok(Response::new(v6::validate_resource_config::Response {
            diagnostics,
        }))
    }

    async fn validate_data_resource_config(
        &self,
        r: Request<v6::validate_data_resource_config::Request>,
    ) -> Res<v6::validate_data_resource_config::Response> {
        let r = r.into_inner();
        let ty = self.ty(&r.type_name, true)?;
        let config = self.decode(r.config.as_ref(), &ty)?;
        let mut diagnostics = vec![];
        if get(&config, "input") == &Value::string("") {
            diagnostics.push(error("input must not be empty", &[PathPart::Attr("input")]));
        }
        Ok(Response::new(v6::validate_data_resource_config::Response {
            diagnostics,
        }))
    }

    async fn upgrade_resource_state(
        &self,
        r: Request<v6::upgrade_resource_state::Request>,
    ) -> Res<v6::upgrade_resource_state::Response> {
        let r = r.into_inner();
        let ty = self.ty(&r.type_name, false)?;
        let raw = r.raw_state.map(|s| s.json).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_slice(&raw).map_err(bad)?;
        let mut value = Value::from_json(&json);
        if r.type_name == THING && r.version == 0 {
            // Version 0 called `name` `label` and held `size` as a string.
            if let Value::Map(map) = &mut value {
                if let Some(label) = map.remove("label") {
                    map.insert("name".into(), label);
                }
                if let Some(Value::String(size)) = map.get("size").cloned() {
                    let n = size.parse::<f64>().map_err(bad)?;
                    map.insert("size".into(), Value::Number(n));
                }
            }
        } else if r.version > 1 {
            return Ok(Response::new(v6::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: vec![error(format!("unknown schema version {}", r.version), &[])],
            }));
        }
        // Attributes this version does not have are dropped, as a real upgrade would.
        if let (Value::Map(map), CtyType::Object { attributes, .. }) = (&mut value, &ty) {
            map.retain(|k, _| attributes.contains_key(k));
        }
        Ok(Response::new(v6::upgrade_resource_state::Response {
            upgraded_state: self.encode(&value, &ty)?,
            diagnostics: vec![],
        }))
    }

    async fn configure_provider(
        &self,
        r: Request<v6::configure_provider::Request>,
    ) -> Res<v6::configure_provider::Response> {
        let config = self.decode(r.get_ref().config.as_ref(), &self.types.provider_type)?;
        let prefix = match get(&config, "prefix") {
            Value::String(s) => s.clone(),
            _ => "thing".to_string(),
        };
        *self.configured.lock().expect("config lock") = Some(ProviderConfig { prefix });
        eprintln!("[INFO] configured (protocol {})", self.protocol);
        Ok(Response::new(v6::configure_provider::Response {
            diagnostics: vec![],
        }))
    }

    async fn read_resource(
        &self,
        r: Request<v6::read_resource::Request>,
    ) -> Res<v6::read_resource::Response> {
        self.config()?;
        let r = r.into_inner();
        let ty = self.ty(&r.type_name, false)?;
        let current = self.decode(r.current_state.as_ref(), &ty)?;
        {
            let mut objects = self.objects.lock().expect("objects lock");
            objects.reads_in_flight += 1;
            objects.max_reads_in_flight = objects.max_reads_in_flight.max(objects.reads_in_flight);
            self.save(&objects);
        }
        // A remote read takes a while; long enough for concurrent reads to overlap.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        self.objects.lock().expect("objects lock").reads_in_flight -= 1;
        let new_state = if r.type_name == THING {
            let id = get(&current, "id").as_str().unwrap_or_default().to_string();
            let objects = self.objects.lock().expect("objects lock");
            match objects.things.get(&id) {
                Some(json) => {
                    let mut value = Value::from_json(json);
                    // The secret is write-only on the remote side: keep what state has.
                    set(&mut value, "secret", get(&current, "secret").clone());
                    value
                }
                None => Value::Null,
            }
        } else {
            current
        };
        Ok(Response::new(v6::read_resource::Response {
            new_state: self.encode(&new_state, &ty)?,
            diagnostics: vec![],
            private: r.private,
            deferred: None,
        }))
    }

    async fn plan_resource_change(
        &self,
        r: Request<v6::plan_resource_change::Request>,
    ) -> Res<v6::plan_resource_change::Response> {
        let r = r.into_inner();
        let ty = self.ty(&r.type_name, false)?;
        let prior = self.decode(r.prior_state.as_ref(), &ty)?;
        let mut planned = self.decode(r.proposed_new_state.as_ref(), &ty)?;
        let config = self.decode(r.config.as_ref(), &ty)?;
        let mut requires_replace = vec![];
        if planned.is_null() {
            // A destroy: nothing to plan.
            return Ok(Response::new(v6::plan_resource_change::Response {
                planned_state: r.proposed_new_state,
                planned_private: r.prior_private,
                ..Default::default()
            }));
        }
        let creating = prior.is_null();
        let mut diagnostics = Vec::new();
        if r.type_name == THING {
            diagnostics = Self::validate_thing(&config);
            if creating || get(&prior, "name") != get(&planned, "name") {
                set(&mut planned, "id", Value::Unknown);
                if !creating {
                    requires_replace.push(v6::AttributePath {
                        steps: vec![v6::attribute_path::Step {
                            selector: Some(v6::attribute_path::step::Selector::AttributeName(
                                "name".into(),
                            )),
                        }],
                    });
                }
            } else {
                set(&mut planned, "id", get(&prior, "id").clone());
            }
            let size = get(&planned, "size").clone();
            if creating || !requires_replace.is_empty() || get(&prior, "size") != &size {
                set(&mut planned, "fingerprint", fingerprint(&size));
            } else {
                set(
                    &mut planned,
                    "fingerprint",
                    get(&prior, "fingerprint").clone(),
                );
            }
            // Rules' protocol defaults to tcp.
            if let Some(Value::List(rules)) = planned.as_map().and_then(|m| m.get("rule")).cloned()
            {
                let rules = rules
                    .into_iter()
                    .map(|mut rule| {
                        if get(&rule, "protocol").is_null() {
                            set(&mut rule, "protocol", Value::string("tcp"));
                        }
                        rule
                    })
                    .collect();
                set(&mut planned, "rule", Value::List(rules));
            }
            if let Value::Map(endpoint) = get(&planned, "endpoint").clone() {
                let mut endpoint = Value::Map(endpoint);
                if get(&endpoint, "port").is_null() {
                    set(&mut endpoint, "port", Value::Number(443.0));
                }
                set(&mut planned, "endpoint", endpoint);
            }
        } else if creating {
            set(&mut planned, "id", Value::Unknown);
        } else if get(&prior, "name") != get(&planned, "name") {
            set(&mut planned, "id", Value::Unknown);
            requires_replace.push(v6::AttributePath {
                steps: vec![v6::attribute_path::Step {
                    selector: Some(v6::attribute_path::step::Selector::AttributeName(
                        "name".into(),
                    )),
                }],
            });
        }
        let planned_private = if creating {
            private(0)
        } else {
            r.prior_private
        };
        Ok(Response::new(v6::plan_resource_change::Response {
            planned_state: self.encode(&planned, &ty)?,
            requires_replace,
            planned_private,
            diagnostics,
            legacy_type_system: false,
            deferred: None,
        }))
    }

    async fn apply_resource_change(
        &self,
        r: Request<v6::apply_resource_change::Request>,
    ) -> Res<v6::apply_resource_change::Response> {
        let config = self.config()?;
        let r = r.into_inner();
        let ty = self.ty(&r.type_name, false)?;
        let prior = self.decode(r.prior_state.as_ref(), &ty)?;
        let mut planned = self.decode(r.planned_state.as_ref(), &ty)?;
        if self.crash_on_apply {
            eprintln!("panic: the test provider crashed during apply");
            std::process::exit(2);
        }
        {
            let mut objects = self.objects.lock().expect("objects lock");
            *objects.applies.entry(r.type_name.clone()).or_default() += 1;
            self.save(&objects);
        }
        if r.type_name == SLOW {
            // Waits until StopProvider (or Shutdown) says stop.
            let mut stop = self.stop_tx.subscribe();
            while !*stop.borrow_and_update() {
                if stop.changed().await.is_err() {
                    break;
                }
            }
            return Ok(Response::new(v6::apply_resource_change::Response {
                new_state: r.prior_state,
                private: vec![],
                diagnostics: vec![error("apply interrupted: the provider was stopped", &[])],
                legacy_type_system: false,
            }));
        }
        let mut objects = self.objects.lock().expect("objects lock");
        if planned.is_null() {
            if let Value::String(id) = get(&prior, "id") {
                objects.things.remove(id);
            }
            self.save(&objects);
            return Ok(Response::new(v6::apply_resource_change::Response {
                new_state: self.encode(&Value::Null, &ty)?,
                ..Default::default()
            }));
        }
        if get(&planned, "id").is_unknown() {
            objects.counter += 1;
            set(
                &mut planned,
                "id",
                Value::string(format!("{}-{}", config.prefix, objects.counter)),
            );
        }
        let size = get(&planned, "size").clone();
        if get(&planned, "fingerprint").is_unknown() {
            set(&mut planned, "fingerprint", fingerprint(&size));
        }
        let id = get(&planned, "id").as_str().unwrap_or_default().to_string();
        let mut stored = planned.clone();
        // The remote side does not give the secret back.
        set(&mut stored, "secret", Value::Null);
        objects.things.insert(id, stored.to_json());
        self.save(&objects);
        Ok(Response::new(v6::apply_resource_change::Response {
            new_state: self.encode(&planned, &ty)?,
            private: private(revision(&r.planned_private) + 1),
            diagnostics: vec![],
            legacy_type_system: false,
        }))
    }

    async fn import_resource_state(
        &self,
        r: Request<v6::import_resource_state::Request>,
    ) -> Res<v6::import_resource_state::Response> {
        self.config()?;
        let r = r.into_inner();
        let ty = self.ty(&r.type_name, false)?;
        if r.type_name != THING {
            return Ok(Response::new(v6::import_resource_state::Response {
                diagnostics: vec![error(format!("{} cannot be imported", r.type_name), &[])],
                ..Default::default()
            }));
        }
        let exists = self
            .objects
            .lock()
            .expect("objects lock")
            .things
            .contains_key(&r.id);
        if !exists {
            return Ok(Response::new(v6::import_resource_state::Response {
                diagnostics: vec![error(format!("no thing with id {:?}", r.id), &[])],
                ..Default::default()
            }));
        }
        // Only the ID: ReadResource fills in the rest, as with real providers.
        let mut value = Value::Map(Default::default());
        set(&mut value, "id", Value::string(r.id));
        Ok(Response::new(v6::import_resource_state::Response {
            imported_resources: vec![v6::import_resource_state::ImportedResource {
                type_name: THING.to_string(),
                state: self.encode(&value, &ty)?,
                private: private(100),
            }],
            diagnostics: vec![],
            deferred: None,
        }))
    }

    async fn read_data_source(
        &self,
        r: Request<v6::read_data_source::Request>,
    ) -> Res<v6::read_data_source::Response> {
        self.config()?;
        let r = r.into_inner();
        let ty = self.ty(&r.type_name, true)?;
        let mut value = self.decode(r.config.as_ref(), &ty)?;
        let upper = match get(&value, "input") {
            Value::String(s) => Value::string(s.to_uppercase()),
            _ => Value::Null,
        };
        set(&mut value, "upper", upper);
        let count = self.objects.lock().expect("objects lock").things.len();
        set(&mut value, "things", Value::Number(count as f64));
        Ok(Response::new(v6::read_data_source::Response {
            state: self.encode(&value, &ty)?,
            diagnostics: vec![],
            deferred: None,
        }))
    }

    async fn stop_provider(
        &self,
        _r: Request<v6::stop_provider::Request>,
    ) -> Res<v6::stop_provider::Response> {
        eprintln!("[INFO] stop requested");
        let _ = self.stop_tx.send_replace(true);
        Ok(Response::new(v6::stop_provider::Response {
            error: String::new(),
        }))
    }
}
