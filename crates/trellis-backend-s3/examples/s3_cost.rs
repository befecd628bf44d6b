//! The cost of state writes to S3 per completed change, at several state sizes, measured
//! with the emulator's call and byte counters (`GET /_trellis/calls`, `/_trellis/calls/bytes`).
//!
//! ```sh
//! TRELLIS_EMULATOR_PYTHON=$(tools/aws-emulator/install.sh)/bin/python \
//!   cargo run -p trellis-backend-s3 --example s3_cost
//! ```
//!
//! For each size it seeds a state of that many resources, then runs one write operation of
//! 100 changes (each a `put_resource` of a resource like the others) and reports the calls
//! and request bytes per change, and separately the once-per-command costs: opening (read
//! snapshot and journal) and finishing (folding the journal into the snapshot).

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::sync::Arc;

use trellis_backend_s3::{S3Backend, S3Settings, S3Store};
use trellis_emulator::{CallCounts, Emulator};
use trellis_state::{ResourceState, State, StateStore};
use trellis_types::{Address, Value};

const CHANGES: u64 = 100;

fn resource(i: usize) -> ResourceState {
    let name = format!("svc-{i:05}");
    let mut value = BTreeMap::new();
    value.insert("name".to_string(), Value::String(name.clone()));
    value.insert("id".to_string(), Value::String(format!("svc-{i:017x}")));
    value.insert(
        "arn".to_string(),
        Value::String(format!(
            "arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-{i:017x}"
        )),
    );
    value.insert(
        "auth_type".to_string(),
        Value::String("AWS_IAM".to_string()),
    );
    value.insert("status".to_string(), Value::String("ACTIVE".to_string()));
    value.insert(
        "dns_entry".to_string(),
        Value::String(format!(
            "{name}-0123456789.7d67968.vpc-lattice-svcs.us-east-1.on.aws"
        )),
    );
    value.insert(
        "tags".to_string(),
        Value::Map(BTreeMap::from([
            ("team".to_string(), Value::String("platform".to_string())),
            (
                "managed_by".to_string(),
                Value::String("trellis".to_string()),
            ),
        ])),
    );
    ResourceState {
        address: Address::parse(&format!("aws_vpclattice_service.svc[\"{name}\"]")).unwrap(),
        type_name: "aws_vpclattice_service".to_string(),
        provider: "aws".to_string(),
        schema_version: 0,
        value: Value::Map(value),
        sensitive_paths: Vec::new(),
        dependencies: Vec::new(),
        create_before_destroy: false,
        private: None,
    }
}

fn total(counts: &CallCounts) -> (u64, BTreeMap<String, u64>) {
    let ops = counts.get("s3").cloned().unwrap_or_default();
    (ops.values().sum(), ops)
}

fn main() {
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    let emulator = Emulator::start().expect("emulator starts");
    let endpoint = emulator.endpoint_url().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = emulator
            .sdk_config(trellis_emulator::DEFAULT_ACCOUNT, "us-east-1")
            .await
            .unwrap();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket("bench").send().await.unwrap();
    });
    println!("| resources in state | calls per change | PutObject bytes per change | open: calls / bytes sent | finish: calls / bytes sent |");
    println!("|---:|---:|---:|---:|---:|");
    for size in [10usize, 1_000, 10_000] {
        let settings = S3Settings::from_map(&BTreeMap::from([
            ("bucket".to_string(), "bench".to_string()),
            ("key".to_string(), format!("bench-{size}.state")),
            ("region".to_string(), "us-east-1".to_string()),
            ("endpoints.s3".to_string(), endpoint.clone()),
        ]))
        .unwrap();
        let backend: Arc<S3Backend> = S3Backend::connect(settings).unwrap();
        // Seed: a state of `size` resources, written once as a snapshot.
        let seed = S3Store::open(&backend).unwrap();
        let mut state: State = seed.load().unwrap();
        for i in 0..size {
            let r = resource(i);
            state.resources.insert(r.address.clone(), r);
        }
        seed.replace_all(&state).unwrap();
        drop(seed);

        emulator.reset_calls().unwrap();
        let store = S3Store::open(&backend).unwrap();
        store.begin_write().unwrap();
        let (open_calls, _) = total(&emulator.calls().unwrap());
        let (open_bytes, _) = total(&emulator.call_bytes().unwrap());

        emulator.reset_calls().unwrap();
        for i in 0..CHANGES as usize {
            // Changes to resources that are in the state already (updates), spread over it.
            let mut r = resource(i * size.max(1) / CHANGES as usize);
            r.value.set_path(
                &trellis_types::Path::root().key("status"),
                Value::String(format!("UPDATED-{i}")),
            );
            store.put_resource(&r).unwrap();
        }
        let (calls, by_op) = total(&emulator.calls().unwrap());
        let (bytes, _) = total(&emulator.call_bytes().unwrap());
        assert_eq!(
            by_op.get("PutObject").copied().unwrap_or(0),
            calls,
            "only PutObject"
        );

        emulator.reset_calls().unwrap();
        store.finish().unwrap();
        let (finish_calls, _) = total(&emulator.calls().unwrap());
        let (finish_bytes, _) = total(&emulator.call_bytes().unwrap());
        println!(
            "| {size} | {:.2} | {} | {open_calls} / {open_bytes} | {finish_calls} / {finish_bytes} |",
            calls as f64 / CHANGES as f64,
            bytes / CHANGES,
        );
    }
}
