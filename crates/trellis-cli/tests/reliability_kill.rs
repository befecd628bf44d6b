//! Kill anywhere, lose nothing: the real `trellis` binary applies a 100-resource mesh that
//! spans four accounts (the flagship example, `examples/seed-mesh`, scaled with eight more
//! services: a service network shared through RAM, share acceptances, VPCs, subnets,
//! security groups and their rules, Lattice services with target groups, targets,
//! listeners and associations, VPC associations, private hosted zones and their records)
//! against the emulator (acting as the four accounts, with latency added to every call), is
//! sent SIGKILL at a seeded random moment, and is run again. After the re-run the trial
//! checks, through the AWS SDKs as each account, that
//!
//! - the re-run exits 0;
//! - every account holds exactly the configured objects: every name once (no duplicates),
//!   nothing unconfigured (no orphans), each taggable object with the trial's tags;
//! - the state holds exactly the accounts' objects (same IDs, no intent left unsettled);
//! - a further `plan -detailed-exitcode` shows no changes.
//!
//! The regular suite runs 2 trials. `TRELLIS_KILL_TRIALS=50` runs more, `TRELLIS_KILL_SEED`
//! picks the seed, `TRELLIS_KILL_LATENCY_MS` the latency (default 50), and
//! `TRELLIS_KILL_REPORT=FILE` writes the figures as JSON, and `TRELLIS_KILL_BIN` runs another
//! trellis binary (docs/reliability.md records a run).

#![allow(clippy::print_stderr)]

mod mesh;
mod trials;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trellis_emulator::Emulator;
use trials::{env_u64, Rng};

/// Services added to the seed mesh's two; seven resources each. With the example's 44
/// resources that makes 100.
const EXTRA_SERVICES: usize = 8;

fn trellis(dir: &Path, emulator: &Emulator, args: &[&str]) -> Command {
    // `TRELLIS_KILL_BIN` runs another build (a copy, so that rebuilding during a long run
    // does not change the binary under test).
    let bin = std::env::var("TRELLIS_KILL_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_trellis").to_string());
    let mut cmd = Command::new(bin);
    cmd.arg("-no-color")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", emulator.endpoint_url())
        .env_remove("AWS_PROFILE")
        .env_remove("TRELLIS_LOG")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    cmd
}

fn output(mut cmd: Command) -> (i32, String) {
    let out = cmd.output().expect("trellis runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// What one trial saw.
#[derive(Debug, Default)]
struct TrialResult {
    /// The kill came once the emulator had seen this many calls, plus `kill_extra_ms`.
    kill_after_calls: u64,
    kill_extra_ms: u64,
    /// The apply had already finished when the kill was due.
    finished_before_kill: bool,
    /// Resources in state right after the kill.
    in_state_at_kill: usize,
    /// Unsettled create intents right after the kill.
    intents_at_kill: usize,
    calls_before_kill: u64,
    problems: Vec<String>,
}

fn state_of(dir: &Path, emulator: &Emulator) -> Result<trellis_state::State, String> {
    if !dir.join(".trellis/state").exists() {
        return Ok(trellis_state::State::default());
    }
    let (code, text) = output(trellis(dir, emulator, &["state", "pull"]));
    if code != 0 {
        return Err(format!("state pull exited {code}: {text}"));
    }
    let json = text
        .find('{')
        .map(|i| &text[i..])
        .ok_or_else(|| format!("state pull printed no JSON: {text}"))?;
    trellis_state::from_json(json).map_err(|e| format!("state pull is not a snapshot: {e}"))
}

/// Calls the emulator has counted. A failed read fails the trial: counted as 0 it would make
/// every kill look like one before the first call, and the trial would prove nothing.
fn total_calls(emulator: &Emulator) -> u64 {
    emulator
        .calls()
        .map(|c| c.values().flat_map(|ops| ops.values()).sum())
        .unwrap_or_else(|e| panic!("reading the emulator's call counts: {e}"))
}

fn run_trial(
    emulator: &Emulator,
    rt: &tokio::runtime::Runtime,
    trial: u64,
    kill_after_calls: u64,
    kill_extra: Duration,
    latency_ms: u64,
) -> TrialResult {
    let mut result = TrialResult {
        kill_after_calls,
        kill_extra_ms: kill_extra.as_millis() as u64,
        ..Default::default()
    };
    emulator.reset().expect("emulator resets");
    emulator
        .set_faults(&serde_json::json!({ "latency_ms": latency_ms, "seed": trial }))
        .expect("faults");
    emulator.reset_calls().expect("reset calls");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    mesh::write_seed_mesh(dir, Some(trial), EXTRA_SERVICES);

    // The first apply, killed at the chosen moment.
    let mut child = trellis(dir, emulator, &["apply", "-auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("trellis starts");
    // Wait for the chosen number of calls, then the chosen extra time, then SIGKILL (std's
    // kill is SIGKILL on Unix: no handler runs, nothing is flushed).
    let mut reached: Option<Instant> = None;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            result.finished_before_kill = true;
            break;
        }
        match reached {
            None if total_calls(emulator) >= kill_after_calls => reached = Some(Instant::now()),
            Some(at) if at.elapsed() >= kill_extra => {
                child.kill().expect("SIGKILL");
                break;
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.wait();
    result.calls_before_kill = total_calls(emulator);
    // The latency only widens the window a kill can land in; the rest runs without it.
    emulator.set_faults(&serde_json::json!({})).expect("faults");
    match state_of(dir, emulator) {
        Ok(state) => {
            result.in_state_at_kill = state.resources.len();
            result.intents_at_kill = state.intents.len();
        }
        Err(e) => result.problems.push(format!("after the kill: {e}")),
    }

    // The re-run must converge on its own.
    let (code, text) = output(trellis(dir, emulator, &["apply", "-auto-approve"]));
    if code != 0 {
        result
            .problems
            .push(format!("re-run apply exited {code}:\n{text}"));
        return result;
    }
    let state = match state_of(dir, emulator) {
        Ok(state) => state,
        Err(e) => {
            result.problems.push(e);
            return result;
        }
    };
    match rt.block_on(mesh::census(emulator)) {
        Ok(census) => {
            result.problems.extend(mesh::check_census(
                &census,
                &mesh::expected(EXTRA_SERVICES),
                Some(trial),
            ));
            result.problems.extend(mesh::check_state(
                &state,
                &census,
                mesh::resource_count(EXTRA_SERVICES),
            ));
        }
        Err(e) => result
            .problems
            .push(format!("cannot take the census of the accounts: {e}")),
    }
    let (code, text) = output(trellis(dir, emulator, &["plan", "-detailed-exitcode"]));
    if code != 0 {
        result
            .problems
            .push(format!("a further plan exited {code}:\n{text}"));
    }
    result
}

#[test]
fn killed_applies_converge_without_duplicates_or_orphans() {
    let trials = env_u64("TRELLIS_KILL_TRIALS", 2);
    // A fresh seed each run unless one is given, so that CI tries new kill moments every
    // time; it is printed first and in the failure message, to repeat a failed run exactly.
    let seed = env_u64("TRELLIS_KILL_SEED", fresh_seed());
    eprintln!("kill trials: seed {seed} (repeat with TRELLIS_KILL_SEED={seed})");
    let latency_ms = env_u64("TRELLIS_KILL_LATENCY_MS", 50);
    let emulator = Emulator::start().expect("emulator starts");
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    // Calibration: one uninterrupted apply, to know the window in which a kill lands.
    let resources = mesh::resource_count(EXTRA_SERVICES);
    emulator.reset().expect("reset");
    emulator
        .set_faults(&serde_json::json!({ "latency_ms": latency_ms }))
        .expect("faults");
    let tmp = tempfile::tempdir().expect("temp dir");
    mesh::write_seed_mesh(tmp.path(), Some(0), EXTRA_SERVICES);
    emulator.reset_calls().expect("reset calls");
    let started = Instant::now();
    let (code, text) = output(trellis(tmp.path(), &emulator, &["apply", "-auto-approve"]));
    let full = started.elapsed();
    let full_calls = total_calls(&emulator);
    assert_eq!(code, 0, "the calibration apply succeeds:\n{text}");
    assert!(
        text.contains(&format!("{resources} added")),
        "the calibration apply creates {resources} resources:\n{text}"
    );
    emulator.set_faults(&serde_json::json!({})).expect("faults");
    let census = rt.block_on(mesh::census(&emulator)).expect("census");
    let mut problems = mesh::check_census(&census, &mesh::expected(EXTRA_SERVICES), Some(0));
    problems.extend(mesh::check_state(
        &state_of(tmp.path(), &emulator).expect("state"),
        &census,
        resources,
    ));
    assert!(problems.is_empty(), "the calibration apply: {problems:#?}");

    let mut rng = Rng(seed);
    let mut failures = Vec::new();
    let mut killed = 0;
    let mut calls = 0;
    for i in 0..trials {
        let trial = seed * 1000 + i + 1;
        // A seeded moment: after a number of calls between none (still planning) and all
        // of a full apply's, plus up to one call's latency, to land inside a call or
        // between two.
        let after_calls = rng.below(full_calls + 1);
        let extra = Duration::from_millis(rng.below(latency_ms + 1));
        let result = run_trial(&emulator, &rt, trial, after_calls, extra, latency_ms);
        eprintln!(
            "trial {trial}: kill after {} calls + {} ms{}; {} in state and {} intents at the kill; {} calls before it; {}",
            result.kill_after_calls,
            result.kill_extra_ms,
            if result.finished_before_kill { " (the apply had finished)" } else { "" },
            result.in_state_at_kill,
            result.intents_at_kill,
            result.calls_before_kill,
            if result.problems.is_empty() { "ok".to_string() } else { format!("FAILED: {:?}", result.problems) }
        );
        if !result.finished_before_kill {
            killed += 1;
        }
        calls += result.calls_before_kill;
        if !result.problems.is_empty() {
            failures.push((trial, result));
        }
    }
    eprintln!(
        "kill trials: {trials} run (seed {seed}, latency {latency_ms} ms, full apply {} ms and {full_calls} calls), {killed} killed mid-apply, {} survived, {} failed; {calls} calls before the kills",
        full.as_millis(),
        trials as usize - failures.len(),
        failures.len()
    );
    if let Ok(path) = std::env::var("TRELLIS_KILL_REPORT") {
        let report = serde_json::json!({
            "trials": trials, "seed": seed, "latency_ms": latency_ms,
            "full_apply_ms": full.as_millis() as u64, "full_apply_calls": full_calls,
            "killed_mid_apply": killed,
            "survived": trials as usize - failures.len(), "failed": failures.len(),
            "calls_before_kills": calls,
        });
        std::fs::write(path, report.to_string()).expect("write the report");
    }
    assert!(
        failures.is_empty(),
        "failed trials (seed {seed}: repeat with TRELLIS_KILL_SEED={seed} TRELLIS_KILL_TRIALS={trials}): {failures:#?}"
    );
}

/// A seed from the clock and the process ID, below a million so that the trial numbers made
/// from it (`seed * 1000 + i`) stay readable and far from overflow.
fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    (nanos ^ u64::from(std::process::id()).rotate_left(32)) % 1_000_000
}
