//! trellis-plugin against a real plugin process (this crate's binary), for protocol 5 and 6.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use trellis_plugin::{PluginFactory, PluginProvider, PluginSpec};
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
        self.configure_plugin().await
    }

    async fn configure_plugin(&self) -> Arc<PluginProvider> {
        self.factory
            .configure_plugin(ConfigureRequest {
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
    assert_eq!(
        get(&planned.planned, "rule[0].protocol"),
        &Value::string("tcp")
    );
    assert_eq!(revision(&planned.planned_private), 0);
    let created = apply(&provider, "tptest_thing", None, &planned, config.clone()).await;
    let state = created.state.unwrap();
    assert_eq!(get(&state, "id"), &Value::string("t-1"));
    // Sensitive values travel to the plugin (unmarked) and back.
    assert_eq!(get(&state, "secret"), &Value::string("s3cret"));
    assert_eq!(revision(&created.private), 1);
    assert_eq!(f.objects()["things"]["t-1"]["name"], "alpha");

    // An absent list block goes to the plugin as an empty list, as Terraform sends it.
    let bare = Value::object([("name", Value::string("bare"))]);
    let planned_bare = plan(&provider, "tptest_thing", None, bare.clone(), None).await;
    assert!(
        planned_bare.diagnostics.is_empty(),
        "{:?}",
        planned_bare.diagnostics
    );
    assert_eq!(get(&planned_bare.planned, "rule"), &Value::List(vec![]));
    assert!(f
        .factory
        .validate(ValidateRequest {
            type_name: "tptest_thing".into(),
            config: bare,
        })
        .is_empty());

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
    let updated = apply(
        &provider,
        "tptest_thing",
        Some(state.clone()),
        &planned,
        config,
    )
    .await;
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
    assert_eq!(
        planned.requires_replace,
        Some(vec![Path::from_keys(["name"])])
    );
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

async fn import_and_data_source(protocol: u32) {
    let f = fixture(protocol, &[]);
    let provider = f.configure().await;
    let config = thing("gamma", 1.0);
    let planned = plan(&provider, "tptest_thing", None, config.clone(), None).await;
    let created = apply(&provider, "tptest_thing", None, &planned, config).await;
    let id = get(created.state.as_ref().unwrap(), "id")
        .as_str()
        .unwrap()
        .to_string();

    // Import: ImportResourceState gives the ID, ReadResource the rest, with the private
    // data the import made.
    let imported = provider
        .import_object(ImportRequest {
            type_name: "tptest_thing".into(),
            id: id.clone(),
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(get(&imported.value, "name"), &Value::string("gamma"));
    assert_eq!(get(&imported.value, "fingerprint"), &Value::string("fp-1"));
    assert_eq!(revision(&imported.private), 100);
    let err = provider
        .import(ImportRequest {
            type_name: "tptest_thing".into(),
            id: "t-404".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.message, "no thing with id \"t-404\"");

    // A data source.
    let data = provider
        .read_data(ReadDataRequest {
            type_name: "tptest_echo".into(),
            config: Value::object([("input", Value::string("hi"))]),
        })
        .await
        .unwrap();
    assert_eq!(get(&data, "upper"), &Value::string("HI"));
    assert_eq!(get(&data, "things"), &Value::Number(1.0));
    provider.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn import_and_data_source_v5() {
    import_and_data_source(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn import_and_data_source_v6() {
    import_and_data_source(6).await;
}

async fn upgrade_from_version_0(protocol: u32) {
    let f = fixture(protocol, &[]);
    let provider = f.configure().await;
    let upgraded = provider
        .upgrade_state(UpgradeStateRequest {
            type_name: "tptest_thing".into(),
            version: 0,
            raw: serde_json::json!({"id": "t-9", "label": "old", "size": "7", "retired": true}),
        })
        .await
        .unwrap();
    assert_eq!(get(&upgraded, "name"), &Value::string("old"));
    assert_eq!(get(&upgraded, "size"), &Value::Number(7.0));
    assert_eq!(get(&upgraded, "id"), &Value::string("t-9"));
    // Every attribute of the current schema is present, unset ones null.
    assert_eq!(get(&upgraded, "tags"), &Value::Null);
    assert!(upgraded.get_path(&Path::from_keys(["label"])).is_none());
    let err = provider
        .upgrade_state(UpgradeStateRequest {
            type_name: "tptest_thing".into(),
            version: 7,
            raw: serde_json::json!({}),
        })
        .await
        .unwrap_err();
    assert_eq!(err.message, "unknown schema version 7");
    provider.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrade_from_version_0_v5() {
    upgrade_from_version_0(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrade_from_version_0_v6() {
    upgrade_from_version_0(6).await;
}

async fn diagnostics_carry_attribute_paths(protocol: u32) {
    let f = fixture(protocol, &[]);
    let mut config = thing("delta", -1.0);
    config.set_path(
        &Path::parse("rule").unwrap(),
        Value::List(vec![
            Value::object([("port", Value::Number(80.0))]),
            Value::object([("port", Value::Number(70000.0))]),
        ]),
    );
    // Validation needs no configured provider.
    let diagnostics = f.factory.validate(ValidateRequest {
        type_name: "tptest_thing".into(),
        config: config.clone(),
    });
    let found: Vec<(String, String)> = diagnostics
        .iter()
        .map(|d| (d.path.to_string(), d.summary.clone()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("size".to_string(), "size must not be negative".to_string()),
            (
                "rule[1].port".to_string(),
                "port must be between 1 and 65535".to_string()
            ),
        ]
    );
    assert!(diagnostics.iter().all(|d| !d.warning));
    // A data source's validation goes to ValidateDataResourceConfig.
    let diagnostics = f.factory.validate(ValidateRequest {
        type_name: "tptest_echo".into(),
        config: Value::object([("input", Value::string(""))]),
    });
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].path.to_string(), "input");

    // The same from a plan, through the synchronous plan_change the planner calls.
    let provider = f.configure().await;
    let response = provider.plan_change(trellis_provider::PlanChangeRequest {
        type_name: "tptest_thing".into(),
        prior: None,
        config: config.clone(),
        planned: config,
    });
    assert_eq!(response.diagnostics.len(), 2);
    assert_eq!(response.diagnostics[1].path.to_string(), "rule[1].port");

    // A provider configuration the plugin refuses names its attribute.
    let err = f
        .factory
        .configure(ConfigureRequest {
            key: "tptest".into(),
            config: Value::object([("prefix", Value::string("a/b"))]),
        })
        .await
        .err()
        .unwrap();
    assert_eq!(err.message, "prefix must not contain a slash (at prefix)");
    provider.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnostics_carry_attribute_paths_v5() {
    diagnostics_carry_attribute_paths(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnostics_carry_attribute_paths_v6() {
    diagnostics_carry_attribute_paths(6).await;
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry.
    FsPath::new(&format!("/proc/{pid}")).exists()
}

/// Waits (a bounded number of times) until the plugin has started the slow apply.
async fn wait_for_slow_apply(f: &Fixture) {
    for _ in 0..3000 {
        if f.objects()["applies"]["tptest_slow"] == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the slow apply never started");
}

fn slow_apply(
    provider: &Arc<dyn Provider>,
) -> tokio::task::JoinHandle<
    Result<trellis_provider::ApplyChangeResponse, trellis_provider::ProviderError>,
> {
    let provider = provider.clone();
    tokio::spawn(async move {
        let config = Value::object([("name", Value::string("slow"))]);
        let planned = provider
            .plan_resource(PlanResourceRequest {
                type_name: "tptest_slow".into(),
                prior: None,
                proposed: config.clone(),
                config: config.clone(),
                prior_private: None,
            })
            .await?;
        provider
            .apply_change(ApplyChangeRequest {
                type_name: "tptest_slow".into(),
                prior: None,
                planned: Some(planned.planned),
                config,
                planned_private: planned.planned_private,
                token: None,
            })
            .await
    })
}

async fn stop_ends_a_slow_apply(protocol: u32) {
    let f = fixture(protocol, &[]);
    let plugin = f.configure_plugin().await;
    let pid = plugin.pid().unwrap();
    let provider: Arc<dyn Provider> = plugin.clone();
    let apply = slow_apply(&provider);
    wait_for_slow_apply(&f).await;
    provider.stop().await.unwrap();
    let err = apply.await.unwrap().unwrap_err();
    assert_eq!(err.message, "apply interrupted: the provider was stopped");
    // The process still serves after StopProvider; Shutdown (close) ends it.
    let data = provider
        .read_data(ReadDataRequest {
            type_name: "tptest_echo".into(),
            config: Value::object([("input", Value::string("still here"))]),
        })
        .await
        .unwrap();
    assert_eq!(get(&data, "upper"), &Value::string("STILL HERE"));
    assert!(alive(pid));
    provider.close().await.unwrap();
    assert!(!alive(pid), "the plugin process {pid} outlived close");
    assert_eq!(plugin.pid(), None);
}

async fn close_during_a_slow_apply(protocol: u32) {
    let f = fixture(protocol, &[]);
    let plugin = f.configure_plugin().await;
    let pid = plugin.pid().unwrap();
    let provider: Arc<dyn Provider> = plugin.clone();
    let apply = slow_apply(&provider);
    wait_for_slow_apply(&f).await;
    // Shutdown stops what is in flight, then the process exits.
    provider.close().await.unwrap();
    let err = apply.await.unwrap().unwrap_err();
    assert_eq!(err.message, "apply interrupted: the provider was stopped");
    assert!(!alive(pid), "the plugin process {pid} outlived close");
}

#[tokio::test(flavor = "multi_thread")]
async fn close_during_a_slow_apply_v5() {
    close_during_a_slow_apply(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn close_during_a_slow_apply_v6() {
    close_during_a_slow_apply(6).await;
}

/// One process per provider configuration, shared by every resource of it; dropping a
/// provider without closing it still stops its process.
#[tokio::test(flavor = "multi_thread")]
async fn one_process_per_configuration() {
    let f = fixture(6, &[]);
    let a = f.configure_plugin().await;
    let b = f.configure_plugin().await;
    let (pa, pb) = (a.pid().unwrap(), b.pid().unwrap());
    assert_ne!(pa, pb);
    let provider: Arc<dyn Provider> = a.clone();
    for i in 0..20 {
        let config = thing(&format!("n{i}"), f64::from(i));
        let planned = plan(&provider, "tptest_thing", None, config.clone(), None).await;
        apply(&provider, "tptest_thing", None, &planned, config).await;
    }
    assert_eq!(a.pid(), Some(pa));
    assert_eq!(f.objects()["counter"], 20);
    drop(provider);
    drop(a);
    for _ in 0..3000 {
        if !alive(pa) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!alive(pa), "a dropped provider's process {pa} still runs");
    assert!(alive(pb));
    b.close().await.unwrap();
    assert!(!alive(pb));
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_ends_a_slow_apply_v5() {
    stop_ends_a_slow_apply(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_ends_a_slow_apply_v6() {
    stop_ends_a_slow_apply(6).await;
}

fn start_error(protocol: u32, misbehave: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = spec(
        protocol,
        &["--misbehave", misbehave],
        &dir.path().join("o.json"),
    );
    spec.start_timeout = Duration::from_secs(2);
    match PluginFactory::start("tptest", spec) {
        Ok(_) => panic!("a plugin that misbehaves ({misbehave}) started"),
        Err(e) => e.to_string(),
    }
}

/// Every start failure names the provider and its binary.
fn assert_names_provider(message: &str) {
    let prefix = format!("provider {ADDRESS} ({BIN}): ");
    assert!(message.starts_with(&prefix), "{message}");
}

#[test]
fn a_plugin_that_hangs_at_start() {
    let message = start_error(6, "hang");
    assert_names_provider(&message);
    assert!(
        message.ends_with("the plugin did not complete its handshake within 2s"),
        "{message}"
    );
}

#[test]
fn a_plugin_that_exits_at_start() {
    let message = start_error(6, "exit");
    assert_names_provider(&message);
    assert!(
        message.contains("the plugin exited before its handshake (exit status: 3)"),
        "{message}"
    );
    assert!(
        message.contains("boom: the test provider refuses to start"),
        "{message}"
    );
}

#[test]
fn a_plugin_that_prints_garbage() {
    let message = start_error(5, "garbage");
    assert_names_provider(&message);
    assert!(
        message.ends_with(
            "the plugin printed \"hello, I am not a plugin\" instead of a handshake line"
        ),
        "{message}"
    );
}

#[test]
fn a_plugin_of_an_unsupported_version() {
    let message = start_error(6, "version");
    assert_names_provider(&message);
    assert!(
        message.ends_with("the plugin speaks protocol version 4, trellis speaks 5 and 6"),
        "{message}"
    );
}

#[test]
fn a_plugin_binary_that_does_not_exist() {
    let mut spec = PluginSpec::new(ADDRESS, "/nonexistent/terraform-provider-x");
    spec.start_timeout = Duration::from_secs(2);
    let message = PluginFactory::start("x", spec).err().unwrap().to_string();
    assert!(
        message.starts_with(&format!(
            "provider {ADDRESS} (/nonexistent/terraform-provider-x): cannot start it: "
        )),
        "{message}"
    );
}

/// A plugin that offers only versions the host does not accept.
#[test]
fn a_host_that_accepts_only_another_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = spec(6, &[], &dir.path().join("o.json"));
    spec.protocol_versions = vec![5];
    spec.start_timeout = Duration::from_secs(5);
    let message = PluginFactory::start("tptest", spec)
        .err()
        .unwrap()
        .to_string();
    assert_names_provider(&message);
    assert!(message.contains("exited before its handshake"), "{message}");
    assert!(message.contains("this plugin speaks 6"), "{message}");
}

async fn a_plugin_that_crashes_during_apply(protocol: u32) {
    let f = fixture(protocol, &["--misbehave", "crash-on-apply"]);
    let provider = f.configure().await;
    let config = thing("doomed", 1.0);
    let planned = plan(&provider, "tptest_thing", None, config.clone(), None).await;
    let err = provider
        .apply_change(ApplyChangeRequest {
            type_name: "tptest_thing".into(),
            prior: None,
            planned: Some(planned.planned),
            config,
            planned_private: None,
            token: None,
        })
        .await
        .unwrap_err();
    assert!(
        err.message
            .starts_with(&format!("provider {ADDRESS}: ApplyResourceChange failed: ")),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("exited (exit status: 2)"),
        "{}",
        err.message
    );
    assert!(
        err.message
            .contains("panic: the test provider crashed during apply"),
        "{}",
        err.message
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_that_crashes_during_apply_v5() {
    a_plugin_that_crashes_during_apply(5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_that_crashes_during_apply_v6() {
    a_plugin_that_crashes_during_apply(6).await;
}

/// A schema larger than gRPC's default 4 MiB message limit (big providers have them).
#[test]
fn a_schema_beyond_four_mebibytes() {
    let f = fixture(6, &["--bulk-types", "5000"]);
    let schema = f.factory.schema();
    assert_eq!(schema.resources.len(), 5002);
    assert!(schema.resources.contains_key("tptest_bulk_4999"));
    f.factory.shutdown();
}

/// A plugin that answers Shutdown and keeps running is killed after the stop timeout.
#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_that_ignores_shutdown_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = spec(
        6,
        &["--misbehave", "ignore-shutdown"],
        &dir.path().join("o.json"),
    );
    spec.stop_timeout = Duration::from_millis(500);
    let factory = PluginFactory::start("tptest", spec).unwrap();
    let provider = factory
        .configure_plugin(ConfigureRequest {
            key: "tptest".into(),
            config: Value::object::<&str>([]),
        })
        .await
        .unwrap();
    let pid = provider.pid().unwrap();
    provider.close().await.unwrap();
    assert!(!alive(pid), "the plugin process {pid} survived close");
}

/// A refresh reads its objects concurrently, at most `READ_PARALLELISM` at a time, and
/// answers in request order.
#[tokio::test(flavor = "multi_thread")]
async fn refresh_reads_concurrently_within_a_bound() {
    let f = fixture(6, &[]);
    let provider = f.configure().await;
    let mut states = Vec::new();
    for i in 0..40 {
        let config = thing(&format!("r{i}"), f64::from(i));
        let planned = plan(&provider, "tptest_thing", None, config.clone(), None).await;
        states.push(
            apply(&provider, "tptest_thing", None, &planned, config)
                .await
                .state
                .unwrap(),
        );
    }
    let read = provider
        .read(ReadRequest {
            items: states
                .iter()
                .map(|s| ReadItem {
                    type_name: "tptest_thing".into(),
                    prior: s.clone(),
                    private: None,
                })
                .collect(),
            full: false,
        })
        .await
        .unwrap();
    let names: Vec<Value> = read
        .items
        .iter()
        .map(|o| get(&o.as_ref().unwrap().value, "name").clone())
        .collect();
    let expected: Vec<Value> = (0..40).map(|i| Value::string(format!("r{i}"))).collect();
    assert_eq!(names, expected);
    let max = f.objects()["max_reads_in_flight"].as_u64().unwrap();
    assert!(max > 1, "reads were not concurrent");
    assert!(
        max as usize <= trellis_plugin::bridge::READ_PARALLELISM,
        "{max} reads at once"
    );
    provider.close().await.unwrap();
}

/// Protocol 6's nested attribute types carry objects both ways, with computed parts filled.
#[tokio::test(flavor = "multi_thread")]
async fn nested_attributes_v6() {
    let f = fixture(6, &[]);
    let provider = f.configure().await;
    let mut config = thing("nested", 1.0);
    config.set_path(
        &Path::parse("endpoint").unwrap(),
        Value::object([("host", Value::string("h.example"))]),
    );
    let planned = plan(&provider, "tptest_thing", None, config.clone(), None).await;
    assert_eq!(
        get(&planned.planned, "endpoint"),
        &Value::object([
            ("host", Value::string("h.example")),
            ("port", Value::Number(443.0))
        ])
    );
    let created = apply(&provider, "tptest_thing", None, &planned, config).await;
    assert_eq!(
        get(created.state.as_ref().unwrap(), "endpoint.port"),
        &Value::Number(443.0)
    );
    provider.close().await.unwrap();
}
