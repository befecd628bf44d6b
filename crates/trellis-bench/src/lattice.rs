//! Parallel apply against the AWS emulator with latency: how much `-parallelism` buys when
//! every call costs a round trip. Prints the figures that docs/benchmarks.md records.
//!
//! Usage (after `cargo build -p trellis-cli -p trellis-bench`):
//! `trellis-bench-lattice [--services N] [--latency-ms MS] [--parallelism A,B,..] [--trellis PATH]`
//! (defaults: 200 services, 50 ms, `1,10`, the `trellis` binary next to this one).
//!
//! What it does, in one process and one emulator:
//! 1. starts the emulator (crates/trellis-emulator) and makes one VPC with the harness;
//! 2. writes a mesh: one service network, and per service a listener and a service network
//!    association (3 * N + 1 resources);
//! 3. for each parallelism: adds the latency with the emulator's fault API, runs the real
//!    binary `trellis plan -out` then `trellis apply -parallelism=P` on the saved plan, and
//!    times the apply alone; reads the call counts; removes the latency, destroys, and checks
//!    that the emulator holds no Lattice object before the next round (fresh state);
//! 4. prints each wall time, the calls, and the ratio of the first time to each other one.
//!
//! It is a measuring tool, not a test: it asserts nothing about time. It does assert that
//! every apply and destroy succeeds and that each destroy leaves nothing behind.

#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use trellis_emulator::{CallCounts, Emulator, EmulatorEnv, EmulatorOptions, DEFAULT_ACCOUNT};

struct Args {
    services: usize,
    latency_ms: u64,
    parallelism: Vec<usize>,
    trellis: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        services: 200,
        latency_ms: 50,
        parallelism: vec![1, 10],
        trellis: std::env::current_exe()
            .map_err(|e| format!("cannot find this executable: {e}"))?
            .with_file_name("trellis"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--services" => args.services = value.parse().map_err(|_| "bad --services")?,
            "--latency-ms" => args.latency_ms = value.parse().map_err(|_| "bad --latency-ms")?,
            "--parallelism" => {
                args.parallelism = value
                    .split(',')
                    .map(|p| p.trim().parse().map_err(|_| "bad --parallelism"))
                    .collect::<Result<_, _>>()?
            }
            "--trellis" => args.trellis = PathBuf::from(value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.parallelism.is_empty() {
        return Err("--parallelism needs at least one value".into());
    }
    Ok(args)
}

/// The mesh: one network, and per service a listener with a fixed response and an
/// association with the network.
fn mesh(endpoint: &str, services: usize) -> String {
    let mut out = format!(
        r#"provider "aws" {{
  region      = "us-east-1"
  max_retries = 10
  endpoints {{
    vpclattice = "{endpoint}"
    sts        = "{endpoint}"
  }}
}}

resource "aws_vpclattice_service_network" "net" {{
  name      = "bench-net"
  auth_type = "NONE"
}}
"#
    );
    for i in 0..services {
        out.push_str(&format!(
            r#"
resource "aws_vpclattice_service" "s{i}" {{
  name      = "bench-svc-{i}"
  auth_type = "NONE"
}}

resource "aws_vpclattice_listener" "l{i}" {{
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.s{i}.id
  default_action {{
    fixed_response {{
      status_code = 404
    }}
  }}
}}

resource "aws_vpclattice_service_network_service_association" "a{i}" {{
  service_identifier         = aws_vpclattice_service.s{i}.id
  service_network_identifier = aws_vpclattice_service_network.net.id
}}
"#
        ));
    }
    out
}

fn trellis(bin: &Path, dir: &Path, endpoint: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(bin)
        .arg("-no-color")
        .args(args)
        .current_dir(dir)
        .emulator_env(endpoint)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "trellis {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn lattice_calls(counts: &CallCounts) -> (u64, Vec<(String, u64)>) {
    let ops = counts.get("vpc-lattice").cloned().unwrap_or_default();
    let total = ops.values().sum();
    (total, ops.into_iter().collect())
}

/// Lattice objects left (service networks and services), read with the SDK.
fn leftovers(emulator: &Emulator) -> Result<usize, String> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let config = emulator
            .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
            .await
            .map_err(|e| e.to_string())?;
        let client = aws_sdk_vpclattice::Client::new(&config);
        let networks = client.list_service_networks().send().await;
        let services = client.list_services().send().await;
        let networks = networks.map_err(|e| format!("{e:?}"))?.items().len();
        let services = services.map_err(|e| format!("{e:?}"))?.items().len();
        // A network cannot be deleted while it has associations: none left means none.
        Ok(networks + services)
    })
}

struct Round {
    parallelism: usize,
    plan: Duration,
    apply: Duration,
    calls: u64,
    per_op: Vec<(String, u64)>,
}

fn round(
    args: &Args,
    emulator: &Emulator,
    dir: &Path,
    parallelism: usize,
) -> Result<Round, String> {
    let endpoint = emulator.endpoint_url().to_string();
    let latency = serde_json::json!({ "latency_ms": args.latency_ms });
    emulator.set_faults(&latency).map_err(|e| e.to_string())?;
    let started = Instant::now();
    trellis(&args.trellis, dir, &endpoint, &["plan", "-out=bench.plan"])?;
    let plan = started.elapsed();
    emulator.reset_calls().map_err(|e| e.to_string())?;
    let p = format!("-parallelism={parallelism}");
    let started = Instant::now();
    trellis(&args.trellis, dir, &endpoint, &["apply", &p, "bench.plan"])?;
    let apply = started.elapsed();
    let (calls, per_op) = lattice_calls(&emulator.calls().map_err(|e| e.to_string())?);
    // Tear down fast and check that the next round starts from an empty emulator.
    emulator
        .set_faults(&serde_json::json!({}))
        .map_err(|e| e.to_string())?;
    trellis(
        &args.trellis,
        dir,
        &endpoint,
        &["destroy", "-auto-approve", "-parallelism=10"],
    )?;
    let left = leftovers(emulator)?;
    if left != 0 {
        return Err(format!("{left} lattice objects left after destroy"));
    }
    let _ = std::fs::remove_file(dir.join("bench.plan"));
    Ok(Round {
        parallelism,
        plan,
        apply,
        calls,
        per_op,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln_exit(&e);
            return;
        }
    };
    if !args.trellis.exists() {
        eprintln_exit(&format!(
            "no trellis binary at {} (build it with cargo build -p trellis-cli, or pass --trellis)",
            args.trellis.display()
        ));
    }
    let emulator = Emulator::start_with(&EmulatorOptions::default()).expect("emulator starts");
    let vpc = emulator
        .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
        .expect("a vpc");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("main.tf"),
        mesh(emulator.endpoint_url(), args.services),
    )
    .expect("write main.tf");
    println!(
        "mesh: {} services, {} resources; vpc {vpc}; latency {} ms per call; trellis {}",
        args.services,
        3 * args.services + 1,
        args.latency_ms,
        args.trellis.display()
    );
    let mut rounds = Vec::new();
    for &p in &args.parallelism {
        match round(&args, &emulator, dir.path(), p) {
            Ok(r) => {
                println!(
                    "parallelism {:>3}: plan {:>7.2} s, apply {:>7.2} s, {} lattice calls in the apply",
                    r.parallelism,
                    r.plan.as_secs_f64(),
                    r.apply.as_secs_f64(),
                    r.calls
                );
                let ops: Vec<String> = r.per_op.iter().map(|(o, n)| format!("{o}={n}")).collect();
                println!("                 {}", ops.join(" "));
                rounds.push(r);
            }
            Err(e) => eprintln_exit(&e),
        }
    }
    if let Some(first) = rounds.first() {
        for r in &rounds[1..] {
            println!(
                "speed-up of apply at parallelism {} over {}: {:.2}x",
                r.parallelism,
                first.parallelism,
                first.apply.as_secs_f64() / r.apply.as_secs_f64()
            );
        }
    }
}

#[allow(clippy::print_stderr)]
fn eprintln_exit(message: &str) {
    eprintln!("trellis-bench-lattice: {message}");
    std::process::exit(1);
}
