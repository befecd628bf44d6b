//! Benchmarks of the engine at ten thousand resources, against the in-memory provider and
//! the real sled state store. Prints the figures that docs/benchmarks.md records.
//!
//! Usage: `cargo run --release -p trellis-bench -- [RESOURCES]` (default 10000).
//!
//! `trellis-bench --write-config DIR [RESOURCES]` writes the same generated configuration
//! to `DIR/main.tf` and measures nothing: `tools/bench/plan-whole.sh` times the `trellis`
//! binary on it, so the whole-process figures and these in-process ones share one mesh.
//!
//! `trellis-bench --write-lattice-config DIR [SERVICES]` writes issue 20's mesh instead
//! (default 2,000 services): AWS VPC Lattice types as a real mesh has them, one service
//! network and per service a service, a target group, a listener forwarding to it, an auth
//! policy and the service network association (5 * SERVICES + 1 resources). It plans
//! offline with `-refresh=false` and empty state (the AWS provider makes no call to plan).
//!
//! What it measures, each in one process:
//! 1. parse + graph + plan from empty state (plan runs the validating walk first);
//! 2. apply of every create (engine time: the provider answers at once), with the cost of
//!    the state writes of the first and the last hundred resources;
//! 3. plan against the full state with no changes and no refresh;
//! 4. peak resident memory (VmHWM).
//!
//! It is a measuring tool, not a test: it asserts nothing about time.

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trellis_apply::ApplyInput;
use trellis_plan::providers::configure;
use trellis_plan::scope::NoFiles;
use trellis_plan::{Plan, PlanOptions};
use trellis_provider::Registry;
use trellis_state::{
    Intent, OutputState, ResourceState, SledStore, State, StateError, StateMeta, StateStore,
    StateWrite,
};
use trellis_types::{Address, SourceFile, SourceMap};

/// A generated mesh: networks, and per service a listener and an association.
fn generate(resources: usize) -> String {
    let services = resources.saturating_sub(10) / 3;
    let mut out = String::from("provider \"trellis\" {}\n\n");
    out.push_str(
        "resource \"trellis_test_network\" \"net\" {\n  count = 10\n  name  = \"net-${count.index}\"\n  tags  = { team = \"platform\" }\n}\n\n",
    );
    for i in 0..services {
        out.push_str(&format!(
            r#"resource "trellis_test_service" "s{i}" {{
  name        = "svc-{i}"
  auth_type   = "AWS_IAM"
  description = "service number {i}"
  tags        = {{ team = "team-{team}", tier = "web" }}
}}

resource "trellis_test_listener" "l{i}" {{
  name       = "http-{i}"
  service_id = trellis_test_service.s{i}.id
  port       = 80
  default_action {{
    status_code = 404
  }}
}}

resource "trellis_test_association" "a{i}" {{
  service_id = trellis_test_service.s{i}.id
  network_id = trellis_test_network.net[{net}].id
}}

"#,
            team = i % 7,
            net = i % 10
        ));
    }
    out
}

/// Issue 20's mesh of `services` services in AWS VPC Lattice types (5 * services + 1).
fn generate_lattice(services: usize) -> String {
    let mut out = String::from(
        "provider \"aws\" {\n  region = \"us-east-1\"\n}\n\n\
         resource \"aws_vpclattice_service_network\" \"mesh\" {\n  name      = \"mesh\"\n  auth_type = \"AWS_IAM\"\n}\n\n",
    );
    for i in 0..services {
        out.push_str(&format!(
            r#"resource "aws_vpclattice_service" "s{i}" {{
  name      = "orders-{i}"
  auth_type = "AWS_IAM"
  tags      = {{ team = "team-{team}", tier = "web" }}
}}

resource "aws_vpclattice_target_group" "tg{i}" {{
  name = "orders-ip-{i}"
  type = "IP"
  config {{
    vpc_identifier = "vpc-0123456789abcdef0"
    port           = 8080
    protocol       = "HTTP"
  }}
}}

resource "aws_vpclattice_listener" "l{i}" {{
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.s{i}.id
  default_action {{
    forward {{
      target_groups {{
        target_group_identifier = aws_vpclattice_target_group.tg{i}.id
      }}
    }}
  }}
}}

resource "aws_vpclattice_auth_policy" "p{i}" {{
  resource_identifier = aws_vpclattice_service.s{i}.arn
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = "*", Action = "vpc-lattice-svcs:Invoke", Resource = "*" }}]
  }})
}}

resource "aws_vpclattice_service_network_service_association" "a{i}" {{
  service_identifier         = aws_vpclattice_service.s{i}.id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}}

"#,
            team = i % 7
        ));
    }
    out
}

/// Wraps a store and records how long each write took, in order.
struct TimedStore {
    inner: SledStore,
    /// (address, nanoseconds) per completed resource write (intent + record + intent removal).
    writes: Mutex<BTreeMap<Address, Duration>>,
    order: Mutex<Vec<Address>>,
}

impl TimedStore {
    fn time<T>(&self, address: &Address, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        let elapsed = start.elapsed();
        let mut writes = self.writes.lock().expect("not poisoned");
        let entry = writes.entry(address.clone()).or_default();
        if entry.is_zero() {
            self.order
                .lock()
                .expect("not poisoned")
                .push(address.clone());
        }
        *entry += elapsed;
        out
    }
}

impl StateStore for TimedStore {
    fn load(&self) -> Result<State, StateError> {
        self.inner.load()
    }
    fn meta(&self) -> Result<StateMeta, StateError> {
        self.inner.meta()
    }
    fn begin_write(&self) -> Result<StateMeta, StateError> {
        self.inner.begin_write()
    }
    fn put_resource(&self, resource: &ResourceState) -> Result<(), StateError> {
        self.time(&resource.address, || self.inner.put_resource(resource))
    }
    fn remove_resource(&self, address: &Address) -> Result<(), StateError> {
        self.time(address, || self.inner.remove_resource(address))
    }
    fn put_intent(&self, intent: &Intent) -> Result<(), StateError> {
        self.time(&intent.address, || self.inner.put_intent(intent))
    }
    fn remove_intent(&self, address: &Address) -> Result<(), StateError> {
        self.time(address, || self.inner.remove_intent(address))
    }
    fn put_outputs(&self, outputs: &BTreeMap<String, OutputState>) -> Result<(), StateError> {
        self.inner.put_outputs(outputs)
    }
    fn put_deposed(&self, object: &trellis_state::DeposedObject) -> Result<(), StateError> {
        self.time(object.address(), || self.inner.put_deposed(object))
    }
    fn remove_deposed(&self, address: &Address, key: &str) -> Result<(), StateError> {
        self.time(address, || self.inner.remove_deposed(address, key))
    }
    fn write_batch(&self, writes: &[StateWrite]) -> Result<(), StateError> {
        // The batch's cost, shared out evenly over the instances it wrote.
        let start = Instant::now();
        let result = self.inner.write_batch(writes);
        let share = start.elapsed() / writes.len().max(1) as u32;
        for write in writes {
            self.time(write.address(), || ());
            *self
                .writes
                .lock()
                .expect("not poisoned")
                .get_mut(write.address())
                .expect("just timed") += share;
        }
        result
    }
    fn replace_all(&self, state: &State) -> Result<(), StateError> {
        self.inner.replace_all(state)
    }
}

/// CPU time (user + system) of this process so far: a figure that other load on the
/// machine disturbs much less than wall time. /proc reports it in USER_HZ (100 per second).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; fields are counted after its ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after ')'.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

async fn plan_once(
    sources: &SourceMap,
    state: &State,
    registry: &Registry,
) -> (Plan, Duration, Duration, trellis_plan::providers::Providers) {
    let start = Instant::now();
    let (config, diags) = trellis_config::parse(sources);
    assert!(
        !diags.has_errors(),
        "generated configuration is valid: {diags}"
    );
    let graph = trellis_plan::graph::build(&config, sources).expect("no cycles");
    // `plan` runs the validating walk itself before anything else.
    let front = start.elapsed();
    let providers = configure(&config, sources, &BTreeMap::new(), registry, &NoFiles, &[])
        .await
        .expect("providers configure");
    let plan = trellis_plan::plan(trellis_plan::PlanInput {
        config: &config,
        sources,
        graph: &graph,
        state,
        variables: BTreeMap::new(),
        options: PlanOptions {
            refresh: false,
            ..PlanOptions::default()
        },
        providers: &providers,
        files: &NoFiles,
        config_hash: "bench".to_string(),
    })
    .await
    .expect("plan succeeds");
    (plan, front, start.elapsed(), providers)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// `--write-config DIR [RESOURCES]`: writes the generated configuration and stops.
fn write_config(args: &[String]) -> Result<(), String> {
    let dir = args.first().ok_or("--write-config needs a directory")?;
    let resources = match args.get(1) {
        Some(n) => n.parse().map_err(|_| format!("bad resource count {n}"))?,
        None => 10_000,
    };
    let path = std::path::Path::new(dir).join("main.tf");
    std::fs::write(&path, generate(resources))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `--write-lattice-config DIR [SERVICES]`: writes issue 20's Lattice mesh and stops.
fn write_lattice_config(args: &[String]) -> Result<(), String> {
    let dir = args
        .first()
        .ok_or("--write-lattice-config needs a directory")?;
    let services = match args.get(1) {
        Some(n) => n.parse().map_err(|_| format!("bad service count {n}"))?,
        None => 2_000,
    };
    let path = std::path::Path::new(dir).join("main.tf");
    std::fs::write(&path, generate_lattice(services))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A `--write-*config` mode: writes a configuration from its arguments.
type ConfigWriter = fn(&[String]) -> Result<(), String>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let writer: Option<ConfigWriter> = match args.first().map(String::as_str) {
        Some("--write-config") => Some(write_config),
        Some("--write-lattice-config") => Some(write_lattice_config),
        _ => None,
    };
    if let Some(writer) = writer {
        if let Err(e) = writer(&args[1..]) {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("trellis-bench: {e}");
            }
            std::process::exit(1);
        }
        return;
    }
    let resources: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let text = generate(resources);
        let mut sources = SourceMap::new();
        sources.add(SourceFile::new("main.tf", text.as_str()));
        let mut registry = Registry::new();
        registry.register(Arc::new(trellis_provider::memory::MemoryFactory::new()));
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(TimedStore {
            inner: SledStore::open(&dir.path().join("state")).expect("store opens"),
            writes: Mutex::new(BTreeMap::new()),
            order: Mutex::new(Vec::new()),
        });

        println!("configuration: {} bytes, {} resources", text.len(), 10 + 3 * ((resources.saturating_sub(10)) / 3));

        // 1. validate + plan from empty state.
        let empty = store.load().expect("state loads");
        let (plan, front, total, providers) = plan_once(&sources, &empty, &registry).await;
        let creates = plan.changes.iter().filter(|c| c.action == trellis_plan::Action::Create).count();
        println!("validate + plan from empty state: {} (parse, graph: {}); {creates} creates", ms(total), ms(front));

        // 2. apply every create.
        let (config, _) = trellis_config::parse(&sources);
        store.begin_write().expect("begin");
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let start = Instant::now();
        let cpu_start = cpu_time();
        let summary = trellis_apply::apply(ApplyInput {
            plan: Arc::new(plan),
            config: Arc::new(config),
            sources: Arc::new(sources.clone()),
            state: empty,
            store: store.clone(),
            providers,
            files: Arc::new(NoFiles),
            parallelism: 10,
            events: Arc::new(|_| {}),
            interrupt: rx,
        })
        .await;
        let apply_time = start.elapsed();
        let apply_cpu = cpu_time().saturating_sub(cpu_start);
        assert_eq!(summary.failed, 0, "apply failed: {:?}", summary.errors);
        println!(
            "apply of {} creates (parallelism 10): {} wall, {} CPU",
            summary.added,
            ms(apply_time),
            ms(apply_cpu)
        );
        let order = store.order.lock().expect("not poisoned").clone();
        let writes = store.writes.lock().expect("not poisoned").clone();
        let mean = |slice: &[Address]| {
            let total: Duration = slice.iter().map(|a| writes[a]).sum();
            total / slice.len().max(1) as u32
        };
        let n = order.len();
        let first = mean(&order[..100.min(n)]);
        let last = mean(&order[n.saturating_sub(100)..]);
        println!(
            "state writes per resource (intent and record, share of their batches): first 100 mean {:.1} µs, last 100 mean {:.1} µs",
            first.as_secs_f64() * 1e6,
            last.as_secs_f64() * 1e6
        );

        // 3. plan against the full state, no changes, no refresh.
        let full = store.load().expect("state loads");
        let (plan, _, total, _) = plan_once(&sources, &full, &registry).await;
        let changes = plan.changes.iter().filter(|c| c.has_work()).count();
        println!(
            "plan against {} resources of state, -refresh=false: {} ({changes} changes)",
            full.resources.len(),
            ms(total)
        );
        println!("peak memory (VmHWM): {:.0} MB", peak_rss_mb());
    });
}
