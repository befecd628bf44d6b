//! trellis-plugin against a real plugin process (this crate's binary), for protocol 5 and 6.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use trellis_plugin::{PluginFactory, PluginSpec};
use trellis_provider::{
    ApplyChangeRequest, AttrType, ConfigureRequest, ImportRequest, PlanResourceRequest, Provider,
    ProviderFactory, ReadDataRequest, ReadItem, ReadRequest, UpgradeStateRequest, ValidateRequest,
};
use trellis_types::{Path, Value};

const BIN: &str = env!("CARGO_BIN_EXE_trellis-test-provider");
const ADDRESS: &str = "registry.terraform.io/trellis/tptest";

struct Fixture {
    _dir: tempfile::TempDir,
    state_file: PathBuf,
    factory: PluginFactory,
}

fn spec(protocol: u32, extra: &[&str], state_file: &FsPath) -> PluginSpec {
    let mut spec = PluginSpec::new(ADDRESS, BIN);
    spec.args = vec!["--protocol".into(), protocol.to_string()];
    spec.args.extend(extra.iter().map(|s| s.to_string()));
    spec.env = vec![("TPTEST_STATE_FILE".into(), state_file.display().to_string())];
    spec
}

fn fixture(protocol: u32, extra: &[&str]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("objects.json");
    let factory = PluginFactory::start("tptest", spec(protocol, extra, &state_file)).unwrap();
    Fixture {
        _dir: dir,
        state_file,
        factory,
    }
}

impl Fixture {
    async fn configure(&self) -> Arc<dyn Provider> {
        self.factory
            .configure(ConfigureRequest {
                key: "tptest".into(),
                config: Value::object([
                    ("prefix", Value::string("t")),
                    ("token", Value::string("hunter2").into_sensitive()),
                ]),
            })
            .await
            .unwrap()
    }

    fn objects(&self) -> serde_json::Value {
        std::fs::read(&self.state_file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(serde_json::Value::Null)
    }
}

fn thing(name: &str, size: f64) -> Value {
    Value::object([
        ("name", Value::string(name)),
        ("size", Value::Number(size)),
        ("secret", Value::string("s3cret").into_sensitive()),
        (
            "rule",
            Value::List(vec![Value::object([("port", Value::Number(443.0))])]),
        ),
    ])
}

fn get<'a>(value: &'a Value, path: &str) -> &'a Value {
    value
        .get_path(&Path::parse(path).unwrap())
        .unwrap_or_else(|| panic!("no {path} in {value}"))
}

async fn plan(
    provider: &Arc<dyn Provider>,
    type_name: &str,
    prior: Option<Value>,
    config: Value,
    prior_private: trellis_provider::Private,
) -> trellis_provider::PlanResourceResponse {
    provider
        .plan_resource(PlanResourceRequest {
            type_name: type_name.into(),
            prior,
            proposed: config.clone(),
            config,
            prior_private,
        })
        .await
        .unwrap()
}

async fn apply(
    provider: &Arc<dyn Provider>,
    type_name: &str,
    prior: Option<Value>,
    planned: &trellis_provider::PlanResourceResponse,
    config: Value,
) -> trellis_provider::ApplyChangeResponse {
    provider
        .apply_change(ApplyChangeRequest {
            type_name: type_name.into(),
            prior,
            planned: Some(planned.planned.clone()),
            config,
            planned_private: planned.planned_private.clone(),
            token: None,
        })
        .await
        .unwrap()
}

fn revision(private: &trellis_provider::Private) -> u64 {
    let bytes = trellis_plugin::bridge::private_to_plugin(private);
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["revision"]
        .as_u64()
        .unwrap()
}

async fn handshake_and_schema(protocol: u32) {
    let f = fixture(protocol, &[]);
    assert_eq!(f.factory.protocol_version(), protocol);
    let schema = f.factory.schema();
    let thing = &schema.resources["tptest_thing"];
    assert_eq!(thing.version, 1);
    assert!(thing.block.attributes["name"].required);
    assert!(thing.block.attributes["id"].computed);
    assert!(thing.block.attributes["secret"].sensitive);
    assert_eq!(
        thing.block.attributes["tags"].ty,
        AttrType::Map(Box::new(AttrType::String))
    );
    assert_eq!(
        thing.block.blocks["rule"].nesting,
        trellis_provider::Nesting::List
    );
    assert!(schema.provider.attributes["token"].sensitive);
    assert!(schema.data_sources.contains_key("tptest_echo"));
    // Nested attribute types exist only in protocol 6.
    match protocol {
        6 => assert!(matches!(
            thing.block.attributes["endpoint"].ty,
            AttrType::Object(ref attrs) if attrs.contains_key("host") && attrs.contains_key("port")
        )),
        _ => assert!(!thing.block.attributes.contains_key("endpoint")),
    }
    f.factory.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn handshake_and_schema_v5() {
    handshake_and_schema(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn handshake_and_schema_v6() {
    handshake_and_schema(6).await;
}

async fn lifecycle(protocol: u32) {
    let f = fixture(protocol, &[]);
    let provider = f.configure().await;

    // Create: the plugin fills computed attributes and defaults, says nothing forces
    // replacement, and hands private data to keep.
    let config = thing("alpha", 3.0);
    let planned = plan(&provider, "tptest_thing", None, config.clone(), None).await;
    assert!(planned.diagnostics.is_empty(), "{:?}", planned.diagnostics);
    assert_eq!(planned.requires_replace, Some(vec![]));
    assert!(get(&planned.planned, "id").is_unknown());
    assert_eq!(get(&planned.planned, "fingerprint"), &Value::string("fp-3"));
    assert_eq!(get(&planned.planned, "rule[0].protocol"), &Value::string("tcp"));
    assert_eq!(revision(&planned.planned_private), 0);
    let created = apply(&provider, "tptest_thing", None, &planned, config.clone()).await;
    let state = created.state.unwrap();
    assert_eq!(get(&state, "id"), &Value::string("t-1"));
    // Sensitive values travel to the plugin (unmarked) and back.
    assert_eq!(get(&state, "secret"), &Value::string("s3cret"));
    assert_eq!(revision(&created.private), 1);
    assert_eq!(f.objects()["things"]["t-1"]["name"], "alpha");

    // Read: the object as the plugin sees it, with the private data handed back.
    let read = provider
        .read(ReadRequest {
            items: vec![ReadItem {
                type_name: "tptest_thing".into(),
                prior: state.clone(),
                private: created.private.clone(),
            }],
            full: false,
        })
        .await
        .unwrap();
    let object = read.items[0].clone().unwrap();
    assert_eq!(object.value, state);
    assert_eq!(object.private, created.private);

    // Update in place: size changes, the fingerprint is unknown until apply.
    let config = thing("alpha", 5.0);
    let planned = plan(
        &provider,
        "tptest_thing",
        Some(state.clone()),
        config.clone(),
        created.private.clone(),
    )
    .await;
    assert_eq!(planned.requires_replace, Some(vec![]));
    assert_eq!(get(&planned.planned, "id"), &Value::string("t-1"));
    assert_eq!(get(&planned.planned, "fingerprint"), &Value::string("fp-5"));
    let updated = apply(&provider, "tptest_thing", Some(state.clone()), &planned, config).await;
    let state = updated.state.unwrap();
    assert_eq!(get(&state, "size"), &Value::Number(5.0));
    assert_eq!(revision(&updated.private), 2);

    // Force-new: the plugin names the path that forces replacement.
    let planned = plan(
        &provider,
        "tptest_thing",
        Some(state.clone()),
        thing("beta", 5.0),
        updated.private.clone(),
    )
    .await;
    assert_eq!(planned.requires_replace, Some(vec![Path::from_keys(["name"])]));
    assert!(get(&planned.planned, "id").is_unknown());

    // Delete.
    let deleted = provider
        .apply_change(ApplyChangeRequest {
            type_name: "tptest_thing".into(),
            prior: Some(state.clone()),
            planned: None,
            config: Value::Null,
            planned_private: updated.private.clone(),
            token: None,
        })
        .await
        .unwrap();
    assert_eq!(deleted.state, None);
    assert_eq!(f.objects()["things"], serde_json::json!({}));
    let read = provider
        .read(ReadRequest {
            items: vec![ReadItem {
                type_name: "tptest_thing".into(),
                prior: state,
                private: None,
            }],
            full: false,
        })
        .await
        .unwrap();
    assert_eq!(read.items[0], None);
    provider.close().await.unwrap();
    f.factory.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_v5() {
    lifecycle(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_v6() {
    lifecycle(6).await;
}
