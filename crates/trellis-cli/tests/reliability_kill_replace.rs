//! Kill anywhere during create_before_destroy replacements, lose nothing: the real
//! `trellis` binary replaces ten `create_before_destroy` things (each referenced by a
//! dependent that moves to the new object) through the in-memory provider, with latency on
//! every call, is sent SIGKILL at a seeded random moment, and is run again. After the
//! re-run each trial checks that
//!
//! - the re-run exits 0;
//! - the world holds exactly the configured objects: every name once (no duplicate),
//!   nothing else (no orphan: no old object left behind);
//! - the state holds no deposed object and no intent, and exactly the world's objects;
//! - a further `plan -detailed-exitcode` shows no changes.
//!
//! The regular suite runs 3 trials. `TRELLIS_KILL_REPLACE_TRIALS=50` runs more,
//! `TRELLIS_KILL_SEED` picks the seed (docs/reliability.md records a run).

#![allow(clippy::print_stderr)]

mod common;
mod trials;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Dir;
use trials::{env_u64, Rng};

const THINGS: usize = 10;
const LATENCY_MS: u64 = 20;

/// Ten replaceable things of generation `generation` (their names change with it, which
/// forces a replacement), each used by a dependent that follows it to the new object.
fn config(generation: u64) -> String {
    let mut text = format!(
        "provider \"trellis\" {{\n  store = \"world.json\"\n  latency_ms = {LATENCY_MS}\n}}\n"
    );
    for i in 0..THINGS {
        text.push_str(&format!(
            r#"
resource "trellis_test_thing" "t{i}" {{
  name = "t{i}-g{generation}"
  lifecycle {{
    create_before_destroy = true
  }}
}}
resource "trellis_test_thing" "user{i}" {{
  name  = "user{i}"
  value = trellis_test_thing.t{i}.id
}}
"#
        ));
    }
    text
}

fn expected_names(generation: u64) -> Vec<String> {
    let mut names: Vec<String> = (0..THINGS)
        .flat_map(|i| [format!("t{i}-g{generation}"), format!("user{i}")])
        .collect();
    names.sort();
    names
}

/// What is wrong after the re-run of a trial (empty when nothing is).
fn problems(dir: &Dir, generation: u64) -> Vec<String> {
    let mut out = Vec::new();
    let objects = dir.objects("trellis_test_thing");
    let mut names: Vec<String> = objects
        .iter()
        .map(|(_, v)| v["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    if names != expected_names(generation) {
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for n in &names {
            *count.entry(n).or_default() += 1;
        }
        out.push(format!("world holds {count:?}"));
    }
    let state = dir.state_json();
    if state.get("deposed").is_some() {
        out.push(format!("deposed objects left: {}", state["deposed"]));
    }
    if state["intents"].as_array().is_some_and(|i| !i.is_empty()) {
        out.push(format!("intents left: {}", state["intents"]));
    }
    let mut in_state: Vec<String> = state["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| r["value"]["id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    in_state.sort();
    let mut ids: Vec<String> = objects.iter().map(|(id, _)| id.clone()).collect();
    ids.sort();
    if in_state != ids {
        out.push(format!("state IDs {in_state:?}, world IDs {ids:?}"));
    }
    let plan = dir.run(&["plan", "-detailed-exitcode"]);
    if plan.code != 0 {
        out.push(format!("the re-plan is not clean:\n{}", plan.all()));
    }
    out
}

#[test]
fn killed_create_before_destroy_replacements_converge_without_duplicates_or_orphans() {
    let trials = env_u64("TRELLIS_KILL_REPLACE_TRIALS", 3);
    let mut rng = Rng(env_u64("TRELLIS_KILL_SEED", 0x5eed_d0d0));
    let dir = Dir::with_main(&config(0));
    dir.apply(&[]);

    // Calibration: one uninterrupted replacement, to know the window a kill lands in.
    dir.write("main.tf", &config(1));
    let started = Instant::now();
    dir.apply(&[]);
    let window = started.elapsed().as_millis() as u64;
    assert!(problems(&dir, 1).is_empty(), "{:?}", problems(&dir, 1));

    let mut failed = Vec::new();
    let mut deposed_at_kill = 0;
    for trial in 0..trials {
        let generation = trial + 2;
        dir.write("main.tf", &config(generation));
        let kill_ms = rng.below(window);
        let mut child = dir
            .command(&["apply", "-auto-approve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start trellis");
        std::thread::sleep(Duration::from_millis(kill_ms));
        // SIGKILL: no handler runs, nothing is flushed.
        let _ = child.kill();
        let _ = child.wait();
        let state = dir.state_json();
        let deposed = state["deposed"].as_array().map_or(0, Vec::len);
        deposed_at_kill += deposed;
        let rerun = dir.run(&["apply", "-auto-approve"]);
        let mut found = problems(&dir, generation);
        if rerun.code != 0 {
            found.insert(0, format!("the re-run failed:\n{}", rerun.all()));
        }
        eprintln!(
            "trial {trial}: kill after {kill_ms} ms of {window}; {deposed} deposed at the kill; {}",
            if found.is_empty() {
                "ok".to_string()
            } else {
                found.join("; ")
            }
        );
        if !found.is_empty() {
            failed.push((trial, found));
        }
    }
    eprintln!(
        "{trials} trials, {} failed, {deposed_at_kill} deposed objects found at kills",
        failed.len()
    );
    assert!(failed.is_empty(), "{failed:#?}");
}
