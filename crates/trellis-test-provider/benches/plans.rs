//! 1,000 resource plans through the plugin bridge (one trellis-test-provider process, the
//! protocol 6 PlanResourceChange of each), sequentially and 16 at a time, against 1,000
//! plans of the in-memory provider. Prints the timings; asserts nothing.

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use trellis_plugin::proto::tfplugin6 as v6;
use trellis_plugin::{PluginFactory, PluginSpec};
use trellis_provider::memory::MemoryFactory;
use trellis_provider::{ConfigureRequest, PlanResourceRequest, Provider, ProviderFactory};
use trellis_types::Value;

const COUNT: usize = 1000;

async fn plans(
    provider: Arc<dyn Provider>,
    type_name: &str,
    config: &Value,
    parallel: usize,
) -> std::time::Duration {
    let start = Instant::now();
    let mut done = 0;
    while done < COUNT {
        let batch = parallel.min(COUNT - done);
        let mut tasks = Vec::with_capacity(batch);
        for _ in 0..batch {
            let provider = provider.clone();
            let request = PlanResourceRequest {
                type_name: type_name.to_string(),
                prior: None,
                proposed: config.clone(),
                config: config.clone(),
                prior_private: None,
            };
            tasks.push(tokio::spawn(async move {
                provider.plan_resource(request).await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        done += batch;
    }
    start.elapsed()
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("trellis-plan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut spec = PluginSpec::new(
        "registry.terraform.io/trellis/tptest",
        env!("CARGO_BIN_EXE_trellis-test-provider"),
    );
    spec.env = vec![(
        "TPTEST_STATE_FILE".into(),
        dir.join("o.json").display().to_string(),
    )];
    let factory = PluginFactory::start("tptest", spec).unwrap();
    let bridged = factory
        .configure(ConfigureRequest {
            key: "tptest".into(),
            config: Value::object::<&str>([]),
        })
        .await
        .unwrap();
    let native = MemoryFactory::new()
        .configure(ConfigureRequest {
            key: "trellis".into(),
            config: Value::object::<&str>([]),
        })
        .await
        .unwrap();
    let thing = Value::object([
        ("name", Value::string("bench")),
        ("size", Value::Number(3.0)),
        (
            "rule",
            Value::List(vec![Value::object([("port", Value::Number(443.0))])]),
        ),
    ]);
    let network = Value::object([("name", Value::string("bench"))]);
    for parallel in [1, 16] {
        let b = plans(bridged.clone(), "tptest_thing", &thing, parallel).await;
        let n = plans(native.clone(), "trellis_test_network", &network, parallel).await;
        println!(
            "{COUNT} plans, {parallel} at a time: bridged {:.1} ms ({:.0} us each), native in-memory {:.1} ms",
            b.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e6 / COUNT as f64,
            n.as_secs_f64() * 1e3,
        );
    }
    // The transport alone: the same PlanResourceChange, values encoded once, straight on
    // the plugin client (no bridge, no codec per call).
    let mut spec = PluginSpec::new(
        "registry.terraform.io/trellis/tptest",
        env!("CARGO_BIN_EXE_trellis-test-provider"),
    );
    spec.env = vec![(
        "TPTEST_STATE_FILE".into(),
        dir.join("raw.json").display().to_string(),
    )];
    let plugin = Arc::new(trellis_plugin::Plugin::launch(&spec).await.unwrap());
    let schema =
        trellis_plugin::schema::PluginSchema::from_response(&plugin.get_schema().await.unwrap())
            .unwrap();
    let ty = schema.type_of("tptest_thing", false).unwrap().clone();
    let empty =
        trellis_plugin::msgpack::encode(&Value::object::<&str>([]), &schema.provider_type).unwrap();
    plugin
        .configure(v6::configure_provider::Request {
            terraform_version: "1.9.0".into(),
            config: Some(v6::DynamicValue {
                msgpack: empty,
                json: vec![],
            }),
            client_capabilities: None,
        })
        .await
        .unwrap();
    let mut filled = thing.clone();
    trellis_plugin::bridge::fill_empty_blocks(
        &mut filled,
        &schema.schema.resources["tptest_thing"].block,
    );
    let value = v6::DynamicValue {
        msgpack: trellis_plugin::msgpack::encode(&filled, &ty).unwrap(),
        json: vec![],
    };
    let null = v6::DynamicValue {
        msgpack: trellis_plugin::msgpack::encode(&Value::Null, &ty).unwrap(),
        json: vec![],
    };
    for parallel in [1, 16] {
        let start = Instant::now();
        let mut done = 0;
        while done < COUNT {
            let batch = parallel.min(COUNT - done);
            let mut tasks = Vec::with_capacity(batch);
            for _ in 0..batch {
                let plugin = plugin.clone();
                let request = v6::plan_resource_change::Request {
                    type_name: "tptest_thing".into(),
                    prior_state: Some(null.clone()),
                    proposed_new_state: Some(value.clone()),
                    config: Some(value.clone()),
                    ..Default::default()
                };
                tasks.push(tokio::spawn(async move {
                    plugin.plan_resource_change(request).await
                }));
            }
            for task in tasks {
                task.await.unwrap().unwrap();
            }
            done += batch;
        }
        let raw = start.elapsed();
        println!(
            "{COUNT} raw PlanResourceChange calls, {parallel} at a time: {:.1} ms ({:.0} us each)",
            raw.as_secs_f64() * 1e3,
            raw.as_secs_f64() * 1e6 / COUNT as f64,
        );
    }
    plugin.shutdown().await;
    bridged.close().await.unwrap();
    factory.shutdown();
    let _ = std::fs::remove_dir_all(&dir);
}
