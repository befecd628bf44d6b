//! The S3 state backend end to end: the real binary, state in the emulator's S3 (through
//! aws-sdk-s3), resources from the in-memory provider so that the tests are about state.

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Dir, Run};
use trellis_emulator::Emulator;

const BUCKET: &str = "team-state";

struct S3 {
    emulator: Emulator,
    rt: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
}

impl S3 {
    fn start() -> S3 {
        let emulator = Emulator::start().expect("emulator starts");
        let rt = tokio::runtime::Runtime::new().unwrap();
        let client = rt.block_on(async {
            let config = emulator
                .sdk_config(trellis_emulator::DEFAULT_ACCOUNT, "us-east-1")
                .await
                .unwrap();
            let client = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config)
                    .force_path_style(true)
                    .build(),
            );
            client.create_bucket().bucket(BUCKET).send().await.unwrap();
            client
        });
        S3 {
            emulator,
            rt,
            client,
        }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ENDPOINT_URL", self.emulator.endpoint_url().to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            ("AWS_CONFIG_FILE", "/dev/null".to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_string()),
        ]
    }

    fn run(&self, dir: &Dir, args: &[&str]) -> Run {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        dir.run_env(args, &env)
    }

    fn spawn(&self, dir: &Dir, args: &[&str]) -> Child {
        let mut cmd = dir.command(args);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn trellis")
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        self.rt.block_on(async {
            let out = self
                .client
                .list_objects_v2()
                .bucket(BUCKET)
                .prefix(prefix)
                .send()
                .await
                .unwrap();
            out.contents()
                .iter()
                .filter_map(|o| o.key().map(String::from))
                .collect()
        })
    }

    /// The server-side encryption S3 reports for an object.
    fn encryption(&self, key: &str) -> Option<String> {
        self.rt.block_on(async {
            let out = self
                .client
                .head_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .ok()?;
            out.server_side_encryption().map(|e| e.as_str().to_string())
        })
    }

    fn object(&self, key: &str) -> Option<serde_json::Value> {
        self.rt.block_on(async {
            let out = self
                .client
                .get_object()
                .bucket(BUCKET)
                .key(key)
                .send()
                .await
                .ok()?;
            let bytes = out.body.collect().await.ok()?.into_bytes();
            serde_json::from_slice(&bytes).ok()
        })
    }
}

fn backend(key: &str) -> String {
    format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket       = \"{BUCKET}\"\n    key          = \"{key}\"\n    region       = \"us-east-1\"\n    use_lockfile = true\n    encrypt      = true\n  }}\n}}\n"
    )
}

const THINGS: &str = r#"
variable "latency" {
  type    = number
  default = 0
}
variable "crash" {
  type    = string
  default = ""
}
provider "trellis" {
  store              = "world.json"
  latency_ms         = var.latency
  crash_after_create = var.crash
}
resource "trellis_test_thing" "first" {
  name = "first"
}
resource "trellis_test_thing" "victim" {
  name  = "victim"
  value = trellis_test_thing.first.id
}
output "first" {
  value = trellis_test_thing.first.id
}
"#;

fn names(state: &serde_json::Value) -> Vec<String> {
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["address"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn apply_keeps_state_in_s3_and_every_command_reads_it() {
    let s3 = S3::start();
    let dir = Dir::with_main(&format!("{}{THINGS}", backend("mesh/prod.state")));
    s3.run(&dir, &["apply", "-auto-approve"]).ok();
    assert!(!dir.exists(".trellis/state"), "no local state");
    let snapshot = s3.object("mesh/prod.state").expect("the state object");
    assert_eq!(
        names(&snapshot),
        ["trellis_test_thing.first", "trellis_test_thing.victim"]
    );
    assert_eq!(snapshot["serial"], 1);
    assert_eq!(
        s3.encryption("mesh/prod.state").as_deref(),
        Some("AES256"),
        "encrypt = true"
    );
    assert!(
        s3.keys("mesh/prod.state.journal/").is_empty(),
        "the journal was folded"
    );
    assert!(
        s3.keys("mesh/prod.state.tflock").is_empty(),
        "the lock was released"
    );
    s3.run(&dir, &["plan", "-detailed-exitcode"])
        .expect_code(0)
        .contains("No changes.");
    s3.run(&dir, &["state", "list"])
        .ok()
        .contains("trellis_test_thing.victim");
    s3.run(&dir, &["output", "first"]).ok().contains("thing-");
    s3.run(&dir, &["show"])
        .ok()
        .contains("trellis_test_thing.first");
    s3.run(&dir, &["state", "rm", "trellis_test_thing.victim"])
        .ok();
    assert_eq!(
        names(&s3.object("mesh/prod.state").unwrap()),
        ["trellis_test_thing.first"]
    );
    s3.run(&dir, &["destroy", "-auto-approve"]).ok();
    assert_eq!(
        names(&s3.object("mesh/prod.state").unwrap()),
        Vec::<String>::new()
    );
}

#[test]
fn backend_config_from_the_command_line_is_recorded_by_init() {
    let s3 = S3::start();
    let config = format!(
        "terraform {{\n  backend \"s3\" {{\n    region = \"us-east-1\"\n  }}\n}}\n{THINGS}"
    );
    let dir = Dir::with_main(&config);
    s3.run(&dir, &["plan"])
        .expect_code(1)
        .contains("needs `bucket`");
    s3.run(
        &dir,
        &[
            "init",
            "-backend-config=bucket=no-such-bucket",
            "-backend-config=key=k",
        ],
    )
    .expect_code(1)
    .contains("cannot reach s3://no-such-bucket/k")
    .contains("NoSuchBucket");
    assert!(!dir.exists(".trellis/backend.json"), "nothing recorded");
    s3.run(
        &dir,
        &[
            "init",
            &format!("-backend-config=bucket={BUCKET}"),
            "-backend-config=key=ci/injected.state",
        ],
    )
    .ok()
    .contains("s3://team-state/ci/injected.state");
    s3.run(&dir, &["apply", "-auto-approve"]).ok();
    assert!(s3.object("ci/injected.state").is_some());
    // Values in the block that are not constants are refused with their position.
    dir.write(
        "main.tf",
        &config.replace("region = \"us-east-1\"", "region = var.crash"),
    );
    s3.run(&dir, &["plan"])
        .expect_code(1)
        .contains("main.tf line 3, column 14")
        .contains("must be a constant");
}

/// Starts an apply that holds the S3 lock for a while, and waits until the lock object is
/// there.
fn start_slow_apply(s3: &S3, dir: &Dir, key: &str) -> Child {
    let child = s3.spawn(dir, &["apply", "-auto-approve", "-var", "latency=1500"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while s3.object(&format!("{key}.tflock")).is_none() {
        assert!(
            Instant::now() < deadline,
            "the slow apply never took the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn two_concurrent_applies_one_wins_and_the_other_names_the_holder() {
    let s3 = S3::start();
    let dir = Dir::with_main(&format!("{}{THINGS}", backend("race.state")));
    let first = start_slow_apply(&s3, &dir, "race.state");
    let holder = s3.object("race.state.tflock").unwrap();
    let second = s3.run(&dir, &["apply", "-auto-approve"]);
    second
        .expect_code(1)
        .contains("locked by another trellis process")
        .contains(&first.id().to_string())
        .contains(holder["id"].as_str().unwrap())
        .contains("operation: apply")
        .contains("s3://team-state/race.state");
    // A waiter with -lock-timeout gets the lock once the first apply is done.
    let third = s3.run(&dir, &["plan", "-lock-timeout=60s", "-detailed-exitcode"]);
    third.expect_code(0).contains("No changes.");
    let out = first.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        dir.objects("trellis_test_thing").len(),
        2,
        "nothing was created twice"
    );
}

#[test]
fn a_run_killed_mid_apply_leaves_what_completed_and_a_rerun_converges() {
    let s3 = S3::start();
    let dir = Dir::with_main(&format!("{}{THINGS}", backend("crash.state")));
    // The provider exits the process right after creating `victim`, before trellis records
    // it: a kill in the middle of an apply.
    let crashed = s3.run(&dir, &["apply", "-auto-approve", "-var", "crash=victim"]);
    assert_eq!(crashed.code, 86, "{crashed:?}");
    // What completed is in S3 as journal objects (the snapshot was never rewritten).
    let journal = s3.keys("crash.state.journal/");
    assert!(
        journal.len() >= 3,
        "begin, first, the intent of victim: {journal:?}"
    );
    assert_eq!(
        names(&s3.object("crash.state").unwrap()),
        Vec::<String>::new()
    );
    // Readers fold the journal: `first` is recorded, `victim` is an intent.
    let pulled = s3.run(&dir, &["state", "pull"]);
    let state: serde_json::Value = serde_json::from_str(&pulled.ok().stdout).unwrap();
    assert_eq!(names(&state), ["trellis_test_thing.first"]);
    assert_eq!(state["intents"][0]["address"], "trellis_test_thing.victim");

    // A plan without the lock reads the journal too, and writes nothing.
    s3.run(&dir, &["plan", "-lock=false"])
        .ok()
        .contains("trellis_test_thing.victim will be adopted");
    assert_eq!(
        s3.keys("crash.state.journal/"),
        journal,
        "a reader folds nothing"
    );

    // The dead process still holds the lock: a stale lock, released by force-unlock.
    let lock = s3
        .object("crash.state.tflock")
        .expect("the dead run's lock");
    let id = lock["id"].as_str().unwrap().to_string();
    s3.run(&dir, &["apply", "-auto-approve"])
        .expect_code(1)
        .contains("the lock is stale")
        .contains(&format!("trellis force-unlock {id}"));
    s3.run(&dir, &["force-unlock", "wrong-id"]).expect_code(1);
    s3.run(&dir, &["force-unlock", &id]).ok();
    assert!(s3.object("crash.state.tflock").is_none());

    // The re-run recovers the journal, adopts `victim` through its intent, and converges.
    s3.run(&dir, &["apply", "-auto-approve"])
        .ok()
        .contains("Recovered");
    assert_eq!(
        dir.objects("trellis_test_thing").len(),
        2,
        "victim was adopted, not duplicated"
    );
    let snapshot = s3.object("crash.state").unwrap();
    assert_eq!(
        names(&snapshot),
        ["trellis_test_thing.first", "trellis_test_thing.victim"]
    );
    assert!(snapshot["intents"].as_array().unwrap().is_empty());
    assert!(s3.keys("crash.state.journal/").is_empty());
    s3.run(&dir, &["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn state_moves_from_local_to_s3_and_back() {
    let s3 = S3::start();
    let dir = Dir::with_main(THINGS);
    dir.apply(&[]);
    let local = dir.state_json();

    // Local to S3.
    dir.write("main.tf", &format!("{}{THINGS}", backend("moved.state")));
    s3.run(&dir, &["plan"])
        .expect_code(1)
        .contains("init -migrate-state");
    s3.run(&dir, &["init"])
        .expect_code(1)
        .contains("-migrate-state");
    s3.run(&dir, &["init", "-migrate-state"])
        .ok()
        .contains("Copied the state (2 resources");
    let remote = s3.object("moved.state").unwrap();
    assert_eq!(remote["lineage"], local["lineage"]);
    assert_eq!(names(&remote), names(&local));
    s3.run(&dir, &["plan", "-detailed-exitcode"]).expect_code(0);

    // Back to local: the configuration drops the backend block.
    dir.write("main.tf", THINGS);
    s3.run(&dir, &["plan"])
        .expect_code(1)
        .contains("backend configuration changed");
    s3.run(&dir, &["init", "-migrate-state"])
        .ok()
        .contains("to local state");
    s3.run(&dir, &["plan", "-detailed-exitcode"]).expect_code(0);
    assert_eq!(dir.state_json()["lineage"], local["lineage"]);
}

#[test]
fn migration_refuses_to_overwrite_another_lineage_without_force() {
    let s3 = S3::start();
    // Another team's state already lives at the key.
    let other = Dir::with_main(&format!("{}{THINGS}", backend("shared.state")));
    s3.run(&other, &["apply", "-auto-approve"]).ok();
    let theirs = s3.object("shared.state").unwrap();

    let dir = Dir::with_main(THINGS);
    dir.apply(&[]);
    dir.write("main.tf", &format!("{}{THINGS}", backend("shared.state")));
    s3.run(&dir, &["init", "-migrate-state"])
        .expect_code(1)
        .contains("different state")
        .contains("-force");
    assert_eq!(
        s3.object("shared.state").unwrap()["lineage"],
        theirs["lineage"]
    );
    // state push refuses the same way, and -force overwrites.
    let local = dir.run(&["state", "pull", "-state=.trellis/state"]);
    dir.write("local.json", &local.ok().stdout);
    let mine: serde_json::Value = serde_json::from_str(&local.stdout).unwrap();
    s3.run(&dir, &["init", "-reconfigure"]).ok();
    s3.run(&dir, &["state", "push", "local.json"])
        .expect_code(1)
        .contains("use -force");
    assert_eq!(
        s3.object("shared.state").unwrap()["lineage"],
        theirs["lineage"]
    );
    s3.run(&dir, &["state", "push", "-force", "local.json"])
        .ok();
    assert_eq!(
        s3.object("shared.state").unwrap()["lineage"],
        mine["lineage"]
    );
    s3.run(&dir, &["plan", "-detailed-exitcode"]).expect_code(0);
}

fn interrupt(child: &Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

#[test]
fn an_interrupted_apply_finishes_running_changes_and_releases_the_lock() {
    let s3 = S3::start();
    let dir = Dir::with_main(&format!("{}{THINGS}", backend("interrupt.state")));
    let child = start_slow_apply(&s3, &dir, "interrupt.state");
    // Wait until the apply is creating `first`: its serial and its intent are in the journal.
    let deadline = Instant::now() + Duration::from_secs(60);
    while s3.keys("interrupt.state.journal/").len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the apply never started its changes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Interrupt received"), "{stderr}");
    assert!(
        s3.object("interrupt.state.tflock").is_none(),
        "the lock was released"
    );
    assert!(
        s3.keys("interrupt.state.journal/").is_empty(),
        "the journal was folded"
    );
    // What was running finished and is recorded; the rest is planned by the next run.
    let snapshot = s3.object("interrupt.state").unwrap();
    assert_eq!(names(&snapshot), ["trellis_test_thing.first"]);
    s3.run(&dir, &["apply", "-auto-approve"]).ok();
    s3.run(&dir, &["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn an_interrupted_plan_releases_the_lock() {
    let s3 = S3::start();
    let dir = Dir::with_main(&format!("{}{THINGS}", backend("plan.state")));
    s3.run(&dir, &["apply", "-auto-approve"]).ok();
    // A refreshing plan reads each object slowly while it holds the lock.
    let child = s3.spawn(&dir, &["plan", "-var", "latency=3000"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while s3.object("plan.state.tflock").is_none() {
        assert!(Instant::now() < deadline, "the plan never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
    interrupt(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert!(
        s3.object("plan.state.tflock").is_none(),
        "the lock was released"
    );
}

/// `terraform_remote_state` with the s3 backend: a trellis state in S3 (another working
/// directory's), and a Terraform state object (a stack that Terraform still manages).
#[test]
fn remote_state_reads_trellis_and_terraform_states_in_s3() {
    let s3 = S3::start();
    let producer = Dir::with_main(&format!(
        "{}{THINGS}\nresource \"trellis_test_thing\" \"t\" {{\n  name = \"net\"\n}}\n\noutput \"vpc_id\" {{\n  value = \"vpc-from-trellis\"\n}}\n",
        backend("network/prod.state")
    ));
    s3.run(&producer, &["apply", "-auto-approve"]).ok();
    s3.rt.block_on(async {
        s3.client
            .put_object()
            .bucket(BUCKET)
            .key("legacy/terraform.tfstate")
            .body(
                br#"{"version":4,"terraform_version":"1.9.5","serial":1,"lineage":"l","outputs":{"vpc_id":{"value":"vpc-from-terraform","type":"string"}},"resources":[]}"#
                    .to_vec()
                    .into(),
            )
            .send()
            .await
            .unwrap();
    });
    let consumer = |key: &str| {
        format!(
            "{THINGS}\ndata \"terraform_remote_state\" \"net\" {{\n  backend = \"s3\"\n  config = {{\n    bucket = \"{BUCKET}\"\n    key    = \"{key}\"\n    region = \"us-east-1\"\n  }}\n}}\n\noutput \"vpc_id\" {{\n  value = data.terraform_remote_state.net.outputs.vpc_id\n}}\n"
        )
    };
    let dir = Dir::with_main(&consumer("network/prod.state"));
    s3.run(&dir, &["apply", "-auto-approve"]).ok();
    s3.run(&dir, &["output", "vpc_id"])
        .ok()
        .contains("vpc-from-trellis");
    dir.write("main.tf", &consumer("legacy/terraform.tfstate"));
    s3.run(&dir, &["apply", "-auto-approve"]).ok();
    s3.run(&dir, &["output", "vpc_id"])
        .ok()
        .contains("vpc-from-terraform");
    dir.write("main.tf", &consumer("nowhere.state"));
    s3.run(&dir, &["plan"])
        .expect_code(1)
        .contains("there is no state at s3://team-state/nowhere.state");
}
