//! Bridged providers end to end: a configuration with native types (the in-memory
//! `trellis` provider) and types of trellis-test-provider (`tptest_*`, installed under
//! `.trellis/providers` as `trellis init` installs providers) that reference each other in
//! both directions, planned, applied, planned clean, replaced and destroyed, over protocol 5
//! and 6; and the error a missing provider gives.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::{Dir, PROVIDER};

/// The trellis-test-provider binary, built once per test process (a binary-only package
/// cannot be a dev-dependency).
fn test_provider() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = Command::new(env!("CARGO"))
                .args(["build", "-q", "-p", "trellis-test-provider"])
                .status()
                .expect("cargo runs");
            assert!(status.success(), "trellis-test-provider builds");
            // target/debug/deps/bridged-HASH -> target/debug
            let exe = std::env::current_exe().unwrap();
            let dir = exe.parent().unwrap().parent().unwrap();
            dir.join("trellis-test-provider")
        })
        .clone()
}

/// Puts the test provider into a filesystem mirror in `dir` (`plugins/`, Terraform's unpacked
/// layout), as a wrapper that speaks `protocol` and keeps its objects in `tptest.json`, and
/// installs it from there with `trellis init -plugin-dir`, as a user would.
fn install(dir: &Dir, protocol: u32) {
    mirror(dir, protocol);
    dir.run(&["init", "-plugin-dir=plugins"]).ok();
}

fn mirror(dir: &Dir, protocol: u32) {
    let package = dir.join(&format!(
        "plugins/registry.terraform.io/trellis/tptest/0.1.0/{}",
        platform()
    ));
    std::fs::create_dir_all(&package).unwrap();
    let exe = package.join("terraform-provider-tptest_v0.1.0");
    std::fs::write(
        &exe,
        format!(
            "#!/bin/sh\nTPTEST_STATE_FILE='{}' exec '{}' --protocol {protocol} \"$@\"\n",
            dir.join("tptest.json").display(),
            test_provider().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

fn mixed(name: &str) -> String {
    format!(
        r#"{PROVIDER}
terraform {{
  required_providers {{
    tptest = {{ source = "trellis/tptest" }}
  }}
}}

resource "trellis_test_thing" "first" {{
  name = "first"
}}

resource "tptest_thing" "mid" {{
  name = "{name}"
  size = 3
  tags = {{ native = trellis_test_thing.first.id }}
}}

resource "trellis_test_thing" "last" {{
  name  = "last"
  value = tptest_thing.mid.id
}}

data "tptest_echo" "e" {{
  input = trellis_test_thing.last.value
}}

output "fingerprint" {{
  value = tptest_thing.mid.fingerprint
}}

output "echo" {{
  value = data.tptest_echo.e.upper
}}
"#
    )
}

fn round_trip(protocol: u32) {
    let dir = Dir::with_main(&mixed("mid"));
    install(&dir, protocol);
    dir.run(&["plan"])
        .ok()
        .contains("tptest_thing.mid will be created")
        .contains("Plan: 3 to add, 0 to change, 0 to destroy.");
    let applied = dir.run(&["apply", "-auto-approve"]);
    applied.ok().contains("3 added, 0 changed, 0 destroyed");
    // Dependency order across the bridge, both ways.
    let text = applied.all();
    let done = |what: &str| common::position(&text, &format!("{what}: Creation complete"));
    assert!(done("trellis_test_thing.first") < done("tptest_thing.mid"));
    assert!(done("tptest_thing.mid") < done("trellis_test_thing.last"));

    let state = dir.state_json();
    let record = |address: &str| {
        state["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address)
            .cloned()
            .unwrap_or_default()
    };
    let mid = record("tptest_thing.mid");
    assert_eq!(mid["type_name"], "tptest_thing", "{state:#}");
    // The plugin's schema version and private data are kept with the record.
    assert_eq!(mid["schema_version"], 1);
    assert!(!mid["private"].is_null(), "private data recorded: {mid:#}");
    let id = mid["value"]["id"].as_str().unwrap().to_string();
    let last = record("trellis_test_thing.last");
    assert_eq!(last["value"]["value"], id.as_str());
    // The data source read at apply time got its computed attributes as null, not unknown.
    dir.run(&["output", "-raw", "echo"])
        .ok()
        .contains(&id.to_uppercase());

    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(0)
        .contains("No changes.");

    // The plugin says the name forces replacement.
    dir.write("main.tf", &mixed("renamed"));
    dir.run(&["plan"])
        .ok()
        .contains("tptest_thing.mid must be replaced")
        .contains("forces replacement");

    dir.run(&["destroy", "-auto-approve"])
        .ok()
        .contains("3 destroyed");
    assert!(dir.state_list().is_empty());
}

#[test]
fn a_mixed_configuration_round_trips_over_protocol_6() {
    round_trip(6);
}

#[test]
fn a_mixed_configuration_round_trips_over_protocol_5() {
    round_trip(5);
}

#[test]
fn a_provider_that_is_not_installed_is_a_located_error_naming_it() {
    let dir = Dir::with_main(&mixed("mid"));
    dir.run(&["plan"])
        .expect_code(1)
        .contains("provider registry.terraform.io/trellis/tptest is not installed")
        .contains("trellis init")
        .contains("on main.tf line 15, column 10");
    assert!(!dir.exists("world.json"), "no provider was called");
}

#[test]
fn a_binary_changed_after_init_is_refused_before_it_runs() {
    let dir = Dir::with_main(&mixed("mid"));
    install(&dir, 6);
    assert!(dir.read(".terraform.lock.hcl").contains("h1:"));
    let exe = dir.join(&format!(
        ".trellis/providers/registry.terraform.io/trellis/tptest/0.1.0/{}/terraform-provider-tptest_v0.1.0",
        platform()
    ));
    let text = std::fs::read_to_string(&exe).unwrap();
    std::fs::write(&exe, format!("{text}# changed\n")).unwrap();
    dir.run(&["plan"])
        .expect_code(1)
        .contains("registry.terraform.io/trellis/tptest")
        .contains("trellis init");
    assert!(!dir.exists("tptest.json"), "the changed binary never ran");
    assert!(!dir.exists("world.json"), "no provider was called");
}
