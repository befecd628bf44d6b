//! CLI tests of apply: failures in the middle, saved plans and their staleness, the state
//! lock between two processes, confirmation without a terminal, and intents that let a
//! re-run adopt an object whose create outcome was lost in a crash.

mod common;

use std::time::{Duration, Instant};

use common::{Dir, PROVIDER};

fn cfg(body: &str) -> String {
    format!("{PROVIDER}\n{body}")
}

const FAILING: &str = r#"
variable "fail" {
  type    = string
  default = "create"
}
resource "trellis_test_thing" "broken" {
  name    = "broken"
  fail_on = var.fail
}
resource "trellis_test_thing" "dependent" {
  name  = "dependent"
  value = trellis_test_thing.broken.id
}
resource "trellis_test_thing" "grandchild" {
  name  = "grandchild"
  value = trellis_test_thing.dependent.id
}
resource "trellis_test_thing" "independent" {
  name = "independent"
}
"#;

#[test]
fn failure_skips_dependents_and_keeps_what_completed() {
    let dir = Dir::with_main(&cfg(FAILING));
    let run = dir.run(&["apply", "-auto-approve"]);
    run.expect_code(1)
        .contains("trellis_test_thing.broken")
        .contains("injected failure on create")
        .contains("InjectedFault")
        .contains("trellis_test_thing.dependent: Skipped create, because trellis_test_thing.broken did not complete")
        .contains("trellis_test_thing.grandchild: Skipped create")
        .contains("1 added, 0 changed, 0 destroyed, 1 failed, 2 skipped")
        .contains("trellis_test_thing.independent: Creation complete")
        .contains("Apply failed!");
    assert_eq!(dir.state_list(), vec!["trellis_test_thing.independent"]);
    assert!(dir
        .object_named("trellis_test_thing", "dependent")
        .is_none());
    assert!(dir.object_named("trellis_test_thing", "broken").is_none());

    // Without the fault, a re-run converges: the three missing objects are created and the
    // independent one is left alone.
    dir.run(&["plan", "-var", "fail=none"])
        .ok()
        .contains("Plan: 3 to add, 0 to change, 0 to destroy.");
    dir.apply(&["-var", "fail=none"]);
    assert_eq!(dir.state_list().len(), 4);
    assert_eq!(dir.objects("trellis_test_thing").len(), 4);
    dir.run(&["plan", "-detailed-exitcode", "-var", "fail=none"])
        .expect_code(0);
}

#[test]
fn failure_on_update_and_delete_is_reported_with_exit_code_1() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name    = "t"
  value   = "a"
  fail_on = "update"
}
"#));
    dir.apply(&[]);
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "t" {
  name    = "t"
  value   = "b"
  fail_on = "update"
}
"#),
    );
    dir.run(&["apply", "-auto-approve"])
        .expect_code(1)
        .contains("injected failure on update");
    assert_eq!(
        dir.object_named("trellis_test_thing", "t").unwrap()["value"],
        "a"
    );
    // The state keeps the old value, so the next plan still wants the update.
    dir.run(&["plan", "-refresh=false"])
        .ok()
        .contains("Plan: 0 to add, 1 to change, 0 to destroy.");
}

#[test]
fn saved_plan_applies_exactly() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "a" {
  name = "a"
}
resource "trellis_test_thing" "b" {
  name  = "b"
  value = trellis_test_thing.a.computed_value
}
"#));
    dir.run(&["plan", "-out=tfplan"])
        .ok()
        .contains("Saved the plan to: tfplan");
    dir.run(&["show", "tfplan"])
        .ok()
        .contains("# trellis_test_thing.b will be created");
    dir.run(&["apply", "tfplan"])
        .ok()
        .contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
    assert_eq!(
        dir.state_list(),
        vec!["trellis_test_thing.a", "trellis_test_thing.b"]
    );
    assert_eq!(
        dir.object_named("trellis_test_thing", "b").unwrap()["value"],
        "computed-"
    );
    // Applying the same plan again is refused: the state moved on.
    dir.run(&["apply", "tfplan"])
        .expect_code(1)
        .contains("stale");
    assert_eq!(dir.objects("trellis_test_thing").len(), 2);
}

#[test]
fn saved_plan_is_refused_when_the_state_changed() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "a" {
  name = "a"
}
"#));
    dir.apply(&[]);
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "a" {
  name = "a"
}
resource "trellis_test_thing" "b" {
  name = "b"
}
"#),
    );
    dir.run(&["plan", "-out=tfplan"]).ok();
    // Another apply (here a targeted one) moves the state on.
    dir.apply(&["-target=trellis_test_thing.b"]);
    let before = dir.world();
    dir.run(&["apply", "tfplan"])
        .expect_code(1)
        .contains("saved plan tfplan is stale")
        .contains("the state changed since the plan was made (serial 1 then, 2 now)");
    assert_eq!(dir.world(), before, "a stale plan calls no provider");
}

#[test]
fn saved_plan_is_refused_when_the_configuration_changed() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "a" {
  name = "a"
}
"#));
    dir.run(&["plan", "-out=tfplan"]).ok();
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "a" {
  name = "a"
  value = "changed"
}
"#),
    );
    dir.run(&["apply", "tfplan"])
        .expect_code(1)
        .contains("the configuration files changed since the plan was made");
    assert!(!dir.exists("world.json"));
    assert!(dir.state_list().is_empty());
}

#[test]
fn apply_without_terminal_is_refused() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "a" {
  name = "a"
}
"#));
    dir.run(&["apply"])
        .expect_code(1)
        .contains("no terminal to confirm the apply")
        .contains("-auto-approve");
    assert!(!dir.exists("world.json"), "nothing was created");
    assert!(dir.state_list().is_empty());
    dir.apply(&[]);
    dir.run(&["destroy"])
        .expect_code(1)
        .contains("no terminal to confirm the destroy");
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
}

fn slow_config() -> String {
    r#"
variable "latency" {
  type    = number
  default = 0
}
provider "trellis" {
  store      = "world.json"
  latency_ms = var.latency
}
resource "trellis_test_thing" "slow" {
  name = "slow"
}
"#
    .to_string()
}

/// Starts a slow apply and waits until it holds the lock.
fn start_slow_apply(dir: &Dir) -> std::process::Child {
    let child = dir
        .command(&["apply", "-auto-approve", "-var", "latency=2000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the slow apply");
    // The lock file records its holder once taken; wait for that (bounded).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let probe = dir.run(&["plan", "-lock-timeout=0s"]);
        if probe.code != 0 && probe.stderr.contains("lock") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slow apply never took the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn lock_contention_fails_fast_naming_the_holder() {
    let dir = Dir::with_main(&slow_config());
    let child = start_slow_apply(&dir);
    let pid = child.id().to_string();
    let second = dir.run(&["plan"]);
    second.expect_code(1).contains(&pid).contains("apply");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if !host.is_empty() {
        second.contains(&host);
    }
    let out = child.wait_with_output().expect("the slow apply ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn lock_timeout_waits_for_the_holder() {
    let dir = Dir::with_main(&slow_config());
    let child = start_slow_apply(&dir);
    let second = dir.run(&["plan", "-lock-timeout=30s", "-detailed-exitcode"]);
    // It waited until the apply finished, so it sees the object that apply created.
    second.expect_code(0).contains("No changes.");
    let out = child.wait_with_output().expect("the slow apply ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn force_unlock_with_a_wrong_id_is_refused() {
    let dir = Dir::with_main(&slow_config());
    dir.apply(&[]);
    dir.run(&["force-unlock", "not-a-lock-id"]).expect_code(1);
}

const CRASHY: &str = r#"
variable "crash" {
  type    = string
  default = ""
}
provider "trellis" {
  store              = "world.json"
  crash_after_create = var.crash
}
resource "trellis_test_thing" "first" {
  name = "first"
}
resource "trellis_test_thing" "victim" {
  name  = "victim"
  value = trellis_test_thing.first.id
}
"#;

#[test]
fn intent_lets_a_rerun_adopt_instead_of_duplicating() {
    let dir = Dir::with_main(CRASHY);
    let crashed = dir.run(&["apply", "-auto-approve", "-var", "crash=victim"]);
    assert_ne!(crashed.code, 0, "the process died: {crashed:?}");
    assert!(dir.object_named("trellis_test_thing", "victim").is_some());
    // The crash left the created object unrecorded; only the intent knows about it.
    assert_eq!(dir.state_list(), vec!["trellis_test_thing.first"]);

    dir.run(&["plan"])
        .ok()
        .contains("trellis_test_thing.victim will be adopted")
        .lacks("trellis_test_thing.victim will be created")
        .contains("Plan: 0 to add");
    dir.apply(&[]);
    let victims: Vec<_> = dir
        .objects("trellis_test_thing")
        .into_iter()
        .filter(|(_, v)| v["name"] == "victim")
        .collect();
    assert_eq!(victims.len(), 1, "exactly one victim exists");
    assert_eq!(
        dir.state_list(),
        vec!["trellis_test_thing.first", "trellis_test_thing.victim"]
    );
    let state = dir.state_json();
    assert!(
        state["intents"].as_array().is_none_or(|a| a.is_empty()),
        "the intent is settled: {state}"
    );
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}
