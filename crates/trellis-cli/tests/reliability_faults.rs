//! Faults: with the emulator throttling 20 percent of calls and failing 5 percent with 500s
//! (half of those after performing the call, the case a retry must not turn into a duplicate),
//! the flagship example (`examples/seed-mesh`, four accounts) applies, re-plans clean and
//! destroys with no manual step, and each account holds exactly what it should after each
//! step. An error that persists past the retries names the resource address, the AWS error
//! code and the request ID.

#![allow(clippy::print_stderr)]

mod mesh;

use std::path::Path;
use std::process::Command;

use trellis_emulator::{Emulator, EmulatorEnv};

fn trellis(dir: &Path, emulator: &Emulator, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .arg("-no-color")
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .env_remove("TRELLIS_LOG")
        .output()
        .expect("trellis runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The state, as `state pull` prints it.
fn pull(dir: &Path, emulator: &Emulator) -> trellis_state::State {
    let (code, text) = trellis(dir, emulator, &["state", "pull"]);
    assert_eq!(code, 0, "state pull:\n{text}");
    let json = &text[text.find('{').expect("a JSON snapshot")..];
    trellis_state::from_json(json).expect("a snapshot")
}

#[test]
fn flagship_example_converges_under_throttling_and_server_errors() {
    let emulator = Emulator::start().expect("emulator starts");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let tmp = tempfile::tempdir().expect("temp dir");
    mesh::write_seed_mesh(tmp.path(), None, 0);
    let expected = mesh::expected(0);

    let mut injected = std::collections::BTreeMap::<String, u64>::new();
    let mut calls = 0;
    for (step, args) in [
        ("apply", &["apply", "-auto-approve"][..]),
        ("plan", &["plan", "-detailed-exitcode"]),
        ("destroy", &["destroy", "-auto-approve"]),
    ] {
        // Counts restart with each configuration: set it for each command.
        emulator
            .set_faults(&serde_json::json!({
                "throttle_rate": 0.2,
                "error_rate": 0.05,
                "error_after_share": 0.5,
                "seed": 8 + calls,
            }))
            .expect("faults");
        emulator.reset_calls().expect("reset calls");
        let (code, text) = trellis(tmp.path(), &emulator, args);
        assert_eq!(code, 0, "trellis {args:?} converges under faults:\n{text}");
        for (kind, n) in emulator.injected_faults().expect("fault counts") {
            *injected.entry(kind).or_default() += n;
        }
        calls += emulator
            .calls()
            .expect("calls")
            .values()
            .flat_map(|ops| ops.values())
            .sum::<u64>();
        // Read the four accounts without faults.
        emulator.set_faults(&serde_json::json!({})).expect("faults");
        let census = rt.block_on(mesh::census(&emulator)).expect("census");
        if step == "destroy" {
            let problems = mesh::check_census(&census, &[], None);
            assert!(
                problems.is_empty(),
                "every account is empty again: {problems:#?}"
            );
            continue;
        }
        // Exactly the configured objects in every account, none twice, and the state
        // holds exactly their IDs.
        let mut problems = mesh::check_census(&census, &expected, None);
        problems.extend(mesh::check_state(
            &pull(tmp.path(), &emulator),
            &census,
            mesh::resource_count(0),
        ));
        assert!(problems.is_empty(), "after {step}: {problems:#?}");
    }
    eprintln!("faults: {calls} calls, injected {injected:?}");
    assert!(
        injected.get("throttle").copied().unwrap_or(0) > 0,
        "{injected:?}"
    );
    assert!(
        injected.get("error").copied().unwrap_or(0) > 0,
        "{injected:?}"
    );
    assert!(
        injected.get("fail_after_success").copied().unwrap_or(0) > 0,
        "errors after the call was performed: {injected:?}"
    );
}

#[test]
fn error_past_retries_names_address_code_and_request_id() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    let url = emulator.endpoint_url();
    std::fs::write(
        tmp.path().join("main.tf"),
        format!(
            r#"
provider "aws" {{
  region      = "us-east-1"
  max_retries = 2
  endpoints {{
    vpclattice = "{url}"
  }}
}}
resource "aws_vpclattice_service_network" "mesh" {{
  name = "faulty-mesh"
}}
resource "aws_vpclattice_service" "ok" {{
  name = "unaffected"
}}
"#
        ),
    )
    .unwrap();
    for (fault, code) in [
        ("fail_next", "InternalServerException"),
        ("throttle_next", "ThrottlingException"),
    ] {
        emulator.reset().expect("reset");
        emulator
            .set_faults(&serde_json::json!({"per_operation": {
                "vpc-lattice:CreateServiceNetwork": {fault: 1000}
            }}))
            .expect("faults");
        let (exit, text) = trellis(tmp.path(), &emulator, &["apply", "-auto-approve"]);
        assert_eq!(exit, 1, "{text}");
        let line = text
            .lines()
            .find(|l| l.contains("Error:") && l.contains(code))
            .unwrap_or_else(|| panic!("an error line with {code}:\n{text}"));
        assert!(
            line.contains("aws_vpclattice_service_network.mesh"),
            "the address is named: {line}"
        );
        let id = line
            .split("request id ")
            .nth(1)
            .map(|rest| rest.trim_end_matches(')').to_string())
            .unwrap_or_else(|| panic!("a request id in: {line}"));
        assert_eq!(id.len(), 36, "a request id (uuid): {id}");
        // The first try and both retries were made, then it gave up; the other resource
        // was created regardless.
        assert_eq!(
            emulator
                .call_count("vpc-lattice", "CreateServiceNetwork")
                .unwrap(),
            3
        );
        assert!(
            text.contains("aws_vpclattice_service.ok: Creation complete"),
            "{text}"
        );
        // With the fault gone, a re-run converges.
        emulator.set_faults(&serde_json::json!({})).expect("faults");
        let (exit, text) = trellis(tmp.path(), &emulator, &["apply", "-auto-approve"]);
        assert_eq!(exit, 0, "{text}");
        std::fs::remove_dir_all(tmp.path().join(".trellis")).unwrap();
    }
}
