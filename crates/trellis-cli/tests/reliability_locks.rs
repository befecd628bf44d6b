//! Locks between real `trellis` processes: a second apply fails at once naming the holder,
//! or waits under `-lock-timeout`; plan locks unless `-lock=false`; a lock left by a process
//! that was killed is detected as stale, reported, and released by `force-unlock`.

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::Dir;

const SLOW: &str = r#"
variable "latency" {
  type    = number
  default = 0
}
variable "name" {
  type    = string
  default = "slow"
}
provider "trellis" {
  store      = "world.json"
  latency_ms = var.latency
}
resource "trellis_test_thing" "slow" {
  name  = "slow"
  value = var.name
}
"#;

/// Starts an apply whose one change takes `ms`, and waits until it holds the lock (its lock
/// file names it).
fn start_holder(dir: &Dir, ms: u64, name: &str) -> Child {
    let latency = format!("latency={ms}");
    let value = format!("name={name}");
    let child = dir
        .command(&["apply", "-auto-approve", "-var", &latency, "-var", &value])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the holder starts");
    let lock = dir.join(".trellis/state.lock");
    let pid = child.id().to_string();
    loop {
        if let Ok(text) = std::fs::read_to_string(&lock) {
            if text.contains(&format!("\"pid\": {pid}")) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

fn lock_id(dir: &Dir) -> String {
    let text = dir.read(".trellis/state.lock");
    let info: serde_json::Value = serde_json::from_str(&text).expect("lock file is JSON");
    info["id"].as_str().expect("an id").to_string()
}

#[test]
fn second_apply_fails_within_a_second_naming_the_holder() {
    let dir = Dir::with_main(SLOW);
    dir.apply(&[]);
    let mut holder = start_holder(&dir, 3000, "changed");
    let started = Instant::now();
    let second = dir.run(&["apply", "-auto-approve"]);
    let took = started.elapsed();
    second
        .expect_code(1)
        .contains("the state is locked by another trellis process")
        .contains(&format!("pid {}", holder.id()))
        .contains("operation: apply")
        .contains("trellis force-unlock");
    // The binary's own start-up is part of the second; the lock itself is tried once.
    assert!(
        took < Duration::from_secs(1),
        "the second apply took {took:?}"
    );
    assert!(holder.wait().expect("holder ends").success());
}

#[test]
fn second_apply_waits_under_lock_timeout() {
    let dir = Dir::with_main(SLOW);
    dir.apply(&[]);
    let mut holder = start_holder(&dir, 1500, "first");
    let second = dir.run(&[
        "apply",
        "-auto-approve",
        "-lock-timeout=60s",
        "-var",
        "name=second",
    ]);
    // It waited for the holder, then planned against the state the holder left.
    second.ok().contains("1 changed");
    assert!(holder.wait().expect("holder ends").success());
    let value = dir
        .object_named("trellis_test_thing", "slow")
        .expect("object");
    assert_eq!(value["value"], "second");
}

#[test]
fn plan_takes_the_lock_unless_lock_false() {
    let dir = Dir::with_main(SLOW);
    dir.apply(&[]);
    let mut holder = start_holder(&dir, 3000, "changed");
    dir.run(&["plan"])
        .expect_code(1)
        .contains("the state is locked by another trellis process")
        .contains("operation: apply");
    assert!(holder.wait().expect("holder ends").success());
    // -lock=false does not take the lock: with the lock held by another process (here
    // util-linux's flock, which does not open the store), plan still runs. (While another
    // trellis has the store itself open, sled refuses a second opener whatever the flag.)
    flock_is_installed();
    {
        let lock = dir.join(".trellis/state.lock");
        std::fs::write(&lock, "").unwrap();
        let mut flock = std::process::Command::new("flock")
            .args(["-x", lock.to_str().unwrap(), "sleep", "30"])
            .spawn()
            .expect("flock");
        let deadline = Instant::now() + Duration::from_secs(10);
        while dir.run(&["plan"]).code == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        dir.run(&["plan"]).expect_code(1).contains("locked");
        dir.run(&["plan", "-lock=false"]).ok();
        let _ = flock.kill();
        let _ = flock.wait();
        let _ = std::fs::remove_file(&lock);
    }
    // And a plan holds the lock against an apply: with the lock file of a live plan
    // present, apply is refused. A plan is quick, so hold it with a slow refresh.
    let mut plan = dir
        .command(&["plan", "-var", "latency=3000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("plan starts");
    let lock = dir.join(".trellis/state.lock");
    let pid = plan.id().to_string();
    while !std::fs::read_to_string(&lock)
        .map(|t| t.contains(&format!("\"pid\": {pid}")))
        .unwrap_or(false)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    dir.run(&["apply", "-auto-approve"])
        .expect_code(1)
        .contains("operation: plan");
    assert!(plan.wait().expect("plan ends").success());
}

#[test]
fn lock_of_a_killed_apply_is_reported_stale_and_force_unlock_releases_it() {
    let dir = Dir::with_main(SLOW);
    dir.apply(&[]);

    // A killed holder leaves its lock file; the kernel released its flock.
    let mut holder = start_holder(&dir, 5000, "killed");
    let pid = holder.id();
    let id = lock_id(&dir);
    holder.kill().expect("SIGKILL");
    holder.wait().expect("reaped");
    assert!(dir.exists(".trellis/state.lock"), "the lock file stays");

    // force-unlock with the wrong id is refused; with the right one it releases the lock.
    dir.run(&["force-unlock", "wrong-id"]).expect_code(1);
    dir.run(&["force-unlock", &id])
        .ok()
        .contains("successfully unlocked");
    assert!(!dir.exists(".trellis/state.lock"));
    dir.run(&["force-unlock", &id]).expect_code(1);

    // Killed again: the next command takes the stale lock over and says so.
    let mut holder = start_holder(&dir, 5000, "killed-again");
    let pid2 = holder.id();
    holder.kill().expect("SIGKILL");
    holder.wait().expect("reaped");
    assert_ne!(pid, pid2);
    dir.run(&["plan"])
        .ok()
        .contains("Warning: the state lock was stale")
        .contains(&format!("pid {pid2}"));
    // Once taken over and released, the lock file is gone and nothing is reported.
    assert!(!dir.exists(".trellis/state.lock"));
    dir.run(&["plan"]).ok().lacks("stale");
}

#[test]
fn lock_held_by_a_leftover_descriptor_of_a_dead_holder_is_called_stale() {
    // A holder that died while a process it started still holds its lock descriptor: the
    // flock is held, but the pid in the lock file is gone. Simulate it by writing a lock
    // file naming a dead pid on this host, and holding its flock from a `flock` child.
    let dir = Dir::with_main(SLOW);
    dir.apply(&[]);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    // The leftover is simulated with /proc's hostname and util-linux's flock; a machine
    // without them fails here rather than passing a test that checked nothing.
    assert!(
        !host.is_empty(),
        "this test needs /proc/sys/kernel/hostname to name the lock holder's host"
    );
    flock_is_installed();
    // A pid that is certainly not running: a child that has been reaped.
    let mut gone = std::process::Command::new("true").spawn().expect("true");
    let dead_pid = gone.id();
    gone.wait().expect("reaped");
    let info = serde_json::json!({
        "id": "0123456789abcdef", "pid": dead_pid, "host": host, "operation": "apply",
        "who": format!("ci@{host}"), "created_at": 1_700_000_000u64, "version": "0.1.0",
    });
    dir.write(
        ".trellis/state.lock",
        &serde_json::to_string_pretty(&info).unwrap(),
    );
    let mut leftover = std::process::Command::new("flock")
        .args([
            "-x",
            dir.join(".trellis/state.lock").to_str().unwrap(),
            "sleep",
            "30",
        ])
        .spawn()
        .expect("flock holds the lock");
    // Wait until the flock is really held: a plan is refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        let run = dir.run(&["plan"]);
        if run.code != 0 || Instant::now() > deadline {
            break run;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    refused
        .expect_code(1)
        .contains("the lock is stale")
        .contains(&format!("pid {dead_pid}"))
        .contains("no longer running")
        .contains("trellis force-unlock 0123456789abcdef");
    dir.run(&["force-unlock", "0123456789abcdef"]).ok();
    dir.run(&["plan"]).ok();
    let _ = leftover.kill();
    let _ = leftover.wait();
}

/// util-linux's `flock`, which the lock tests hold locks with from outside trellis; a missing
/// one fails the test with what to install instead of skipping the check.
fn flock_is_installed() {
    assert!(
        std::process::Command::new("flock")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success()),
        "this test needs util-linux's flock (apt-get install util-linux)"
    );
}
