//! Measures the cost of `put_resource` (insert + flush) as a sled store grows: the mean over
//! the first 100 and over the last 100 of N records (default 10,000), one writer. Then the
//! wall time of N puts from T threads at once (default 10, the executor's parallelism), where
//! concurrent flushes can share one fsync.
//!
//! ```text
//! cargo run --release -p trellis-state --example store_bench [N] [T]
//! ```
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use trellis_state::{ResourceState, SledStore, StateStore};
use trellis_types::{Address, Value};

fn resource(i: usize) -> ResourceState {
    let address = Address::managed("aws_vpclattice_service", format!("svc_{i}"));
    let mut value = BTreeMap::new();
    let s = |t: String| Value::String(t);
    value.insert("id".into(), s(format!("svc-{i:017x}")));
    value.insert(
        "arn".into(),
        s(format!(
            "arn:aws:vpc-lattice:eu-west-1:123456789012:service/svc-{i:017x}"
        )),
    );
    value.insert("name".into(), s(format!("svc-{i}")));
    value.insert("auth_type".into(), s("AWS_IAM".into()));
    value.insert("status".into(), s("ACTIVE".into()));
    value.insert(
        "tags".into(),
        Value::Map(BTreeMap::from([
            ("team".into(), s("payments".into())),
            ("env".into(), s("prod".into())),
        ])),
    );
    value.insert(
        "dns_entry".into(),
        Value::List(vec![Value::Map(BTreeMap::from([
            ("domain_name".into(), s(format!("svc-{i}.example.internal"))),
            ("hosted_zone_id".into(), s("Z0123456789ABCDEFGHIJ".into())),
        ]))]),
    );
    ResourceState {
        type_name: address.type_name.clone(),
        address,
        provider: "aws".into(),
        schema_version: 0,
        value: Value::Map(value),
        sensitive_paths: Vec::new(),
        dependencies: vec![Address::managed("aws_vpclattice_service_network", "mesh")],
        create_before_destroy: false,
        private: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 10_000,
    };
    let threads: usize = match std::env::args().nth(2) {
        Some(arg) => arg.parse()?,
        None => 10,
    };
    let window = 100.min(n);
    let tmp = tempfile::tempdir()?;
    let store = SledStore::open(&tmp.path().join("state"))?;
    store.begin_write()?;
    let records: Vec<ResourceState> = (0..n).map(resource).collect();

    let mut first = Duration::ZERO;
    let mut last = Duration::ZERO;
    let started = Instant::now();
    for (i, record) in records.iter().enumerate() {
        let t = Instant::now();
        store.put_resource(record)?;
        let spent = t.elapsed();
        if i < window {
            first += spent;
        }
        if i >= n - window {
            last += spent;
        }
    }
    let total = started.elapsed();
    let t = Instant::now();
    let state = store.load()?;
    let load = t.elapsed();
    assert_eq!(state.resources.len(), n);

    let per = |d: Duration| d.as_secs_f64() * 1e6 / window as f64;
    println!("records: {n}");
    println!("put_resource, first {window}: {:.1} us/record", per(first));
    println!("put_resource, last {window}:  {:.1} us/record", per(last));
    println!(
        "all {n} puts: {:.3} s ({:.1} us/record)",
        total.as_secs_f64(),
        total.as_secs_f64() * 1e6 / n as f64
    );
    println!("load of {n} records: {:.3} s", load.as_secs_f64());

    let tmp = tempfile::tempdir()?;
    let store = SledStore::open(&tmp.path().join("state"))?;
    store.begin_write()?;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (store, records) = (&store, &records);
            scope.spawn(move || {
                for record in records.iter().skip(t).step_by(threads) {
                    store.put_resource(record).expect("put");
                }
            });
        }
    });
    let total = started.elapsed();
    assert_eq!(store.load()?.resources.len(), n);
    println!(
        "{n} puts from {threads} threads: {:.3} s ({:.1} us/record wall)",
        total.as_secs_f64(),
        total.as_secs_f64() * 1e6 / n as f64
    );
    Ok(())
}
