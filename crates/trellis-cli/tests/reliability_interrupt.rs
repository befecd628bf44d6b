//! Interrupts of the real binary during apply: the first SIGINT or SIGTERM lets the running
//! changes finish, starts no new one, writes state and exits non-zero with a summary of what
//! was and was not done; a second signal abandons the running changes. Either way a re-run
//! converges without duplicates.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{Dir, Run};

/// Six independent objects, each create taking `var.latency` ms; parallelism 2 in the
/// tests, so that two run while four wait.
const CONFIG: &str = r#"
variable "latency" {
  type    = number
  default = 0
}
provider "trellis" {
  store      = "world.json"
  latency_ms = var.latency
}
resource "trellis_test_thing" "t" {
  for_each = toset(["a", "b", "c", "d", "e", "f"])
  name     = "thing-${each.key}"
}
"#;

/// A running apply whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(dir: &Dir, latency_ms: u64) -> Running {
        let latency = format!("latency={latency_ms}");
        let mut child = dir
            .command(&["apply", "-auto-approve", "-parallelism=2", "-var", &latency])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("trellis starts");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits until `n` lines containing `needle` have been printed.
    fn wait_for(&mut self, needle: &str, n: usize) {
        while self.seen.iter().filter(|l| l.contains(needle)).count() < n {
            match self.lines.recv() {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!(
                    "the apply ended before printing {n} x {needle:?}:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    fn finish(mut self) -> Run {
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
        }
        let status = self.child.wait().expect("the apply ends");
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout: self.seen.join("\n"),
            stderr,
        }
    }
}

fn names(dir: &Dir) -> Vec<String> {
    let mut names: Vec<String> = dir
        .objects("trellis_test_thing")
        .into_iter()
        .map(|(_, v)| v["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

fn all_names() -> Vec<String> {
    ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|k| format!("thing-{k}"))
        .collect()
}

#[test]
fn first_signal_lets_running_changes_finish_and_starts_no_new_one() {
    for signal in ["INT", "TERM"] {
        let dir = Dir::with_main(CONFIG);
        let mut apply = Running::start(&dir, 1500);
        apply.wait_for("Creating...", 2);
        apply.signal(signal);
        let run = apply.finish();
        run.expect_code(1)
            .contains(&format!(
                "Interrupt received (SIG{signal}): no new changes will start"
            ))
            .contains("Apply interrupted!")
            .contains("2 added")
            .contains("4 not started")
            .contains("Not started (a later apply makes them):");
        assert_eq!(
            run.stdout.matches("Creation complete").count(),
            2,
            "the two running creates finished: {run:?}"
        );
        // State holds exactly what was done, and the world agrees.
        assert_eq!(dir.state_list().len(), 2, "{run:?}");
        assert_eq!(names(&dir).len(), 2);
        // A re-run makes the rest, once each.
        dir.apply(&[]).contains("4 added");
        assert_eq!(names(&dir), all_names());
        dir.run(&["plan", "-detailed-exitcode"]).ok();
    }
}

#[test]
fn second_signal_abandons_running_changes_and_a_rerun_settles_them() {
    let dir = Dir::with_main(CONFIG);
    let mut apply = Running::start(&dir, 4000);
    apply.wait_for("Creating...", 2);
    apply.signal("INT");
    std::thread::sleep(Duration::from_millis(200));
    apply.signal("TERM");
    let run = apply.finish();
    run.expect_code(130)
        .contains("Interrupt received again (SIGTERM): abandoning the running changes")
        .contains("Apply abandoned! Changes: 0 completed, 0 failed, 2 abandoned while running, 4 not started.")
        .contains("Abandoned while running")
        .contains("(create)")
        .contains("Not started:")
        .lacks("Creation complete");
    // The abandoned creates left intents, so the next run adopts rather than duplicates.
    let pull = dir.run(&["state", "pull"]);
    pull.ok();
    let snapshot: serde_json::Value = serde_json::from_str(&pull.stdout).expect("JSON");
    assert_eq!(snapshot["resources"].as_array().map(Vec::len), Some(0));
    assert_eq!(snapshot["intents"].as_array().map(Vec::len), Some(2));
    dir.apply(&[]);
    assert_eq!(names(&dir), all_names(), "every object exactly once");
    dir.run(&["plan", "-detailed-exitcode"]).ok();
}

#[test]
fn interrupt_before_any_change_changes_nothing() {
    // A signal that arrives while the plan is being made: nothing is applied.
    let dir = Dir::with_main(CONFIG);
    let mut apply = dir
        .command(&["apply", "-auto-approve", "-var", "latency=1500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trellis starts");
    // Refresh of an empty state makes no call, so plan is quick; the interrupt is sent as
    // soon as the lock file exists, which is before the plan is made.
    let lock = dir.join(".trellis/state.lock");
    while !lock.exists() {
        if let Ok(Some(_)) = apply.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = Command::new("kill")
        .args(["-INT", &apply.id().to_string()])
        .status();
    let out = apply.wait_with_output().expect("ends");
    let run: Run = out.into();
    // Either the interrupt landed before the apply began (nothing done) or during it (the
    // running changes finished): in both cases the exit is non-zero and state matches the
    // world.
    assert_ne!(run.code, 0, "{run:?}");
    assert_eq!(dir.state_list().len(), names(&dir).len(), "{run:?}");
}
