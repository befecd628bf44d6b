//! Deposed objects against the emulator: a `create_before_destroy` replacement of a service
//! network whose delete of the old network fails (the emulator answers every
//! `DeleteServiceNetwork` with a 500 until told otherwise) keeps the old network as a deposed
//! object in state, the next plan destroys it, and once the delete goes through nothing is left
//! behind. The networks are counted through the SDK, not through trellis's state.

use std::path::Path;
use std::process::{Command, Output};

use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

fn run(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .output()
        .expect("trellis runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write(dir: &Path, emulator: &Emulator, name: &str) {
    let url = emulator.endpoint_url();
    std::fs::write(
        dir.join("main.tf"),
        format!(
            r#"provider "aws" {{
  region      = "us-east-1"
  max_retries = 1
  endpoints {{
    vpclattice = "{url}"
    sts        = "{url}"
  }}
}}

resource "aws_vpclattice_service_network" "net" {{
  name = "{name}"
  lifecycle {{
    create_before_destroy = true
  }}
}}
"#
        ),
    )
    .expect("write main.tf");
}

/// The names of the service networks the account holds, sorted.
fn networks(rt: &tokio::runtime::Runtime, client: &aws_sdk_vpclattice::Client) -> Vec<String> {
    let mut names: Vec<String> = rt
        .block_on(client.list_service_networks().send())
        .expect("list service networks")
        .items()
        .iter()
        .filter_map(|n| n.name().map(str::to_string))
        .collect();
    names.sort();
    names
}

fn state(dir: &Path, emulator: &Emulator) -> serde_json::Value {
    let out = run(dir, emulator, &["state", "pull"]);
    let pulled = text(&out);
    let start = pulled.find('{').expect("state pull prints JSON");
    let end = pulled.rfind('}').expect("state pull prints JSON") + 1;
    serde_json::from_str(&pulled[start..end]).expect("state is JSON")
}

#[test]
fn failed_delete_of_the_replaced_network_keeps_it_deposed_until_the_next_apply_deletes_it() {
    let emulator = Emulator::start().expect("emulator starts");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let config = rt
        .block_on(emulator.sdk_config(DEFAULT_ACCOUNT, "us-east-1"))
        .expect("sdk config");
    let client = aws_sdk_vpclattice::Client::new(&config);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();

    write(dir, &emulator, "deposed-net-a");
    let out = run(dir, &emulator, &["apply", "-auto-approve", "-no-color"]);
    assert!(out.status.success(), "first apply:\n{}", text(&out));
    let old_id = state(dir, &emulator)["resources"][0]["value"]["id"]
        .as_str()
        .expect("network id")
        .to_string();

    // Every delete of a service network fails (more than the provider retries).
    emulator
        .set_faults(&serde_json::json!({
            "per_operation": {"vpc-lattice:DeleteServiceNetwork": {"fail_next": 1000}}
        }))
        .expect("faults");
    write(dir, &emulator, "deposed-net-b");
    let out = run(dir, &emulator, &["apply", "-auto-approve", "-no-color"]);
    assert!(
        !out.status.success(),
        "the apply must fail on the delete:\n{}",
        text(&out)
    );
    // Both networks exist; the new one is current, the old one deposed: nothing forgotten.
    assert_eq!(networks(&rt, &client), ["deposed-net-a", "deposed-net-b"]);
    let pulled = state(dir, &emulator);
    assert_eq!(
        pulled["resources"].as_array().unwrap().len(),
        1,
        "{pulled:#}"
    );
    assert_eq!(pulled["resources"][0]["value"]["name"], "deposed-net-b");
    let deposed = pulled["deposed"].as_array().expect("a deposed list");
    assert_eq!(deposed.len(), 1, "{pulled:#}");
    assert_eq!(deposed[0]["object"]["value"]["id"], old_id.as_str());
    let key = deposed[0]["key"].as_str().expect("deposed key").to_string();

    // The next plan destroys exactly the deposed object.
    let out = run(dir, &emulator, &["plan", "-no-color"]);
    let plan = text(&out);
    assert!(
        plan.contains(&format!(
            "# aws_vpclattice_service_network.net (deposed object {key}) will be destroyed"
        )),
        "{plan}"
    );
    assert!(
        plan.contains("0 to add, 0 to change, 1 to destroy"),
        "{plan}"
    );

    // With deletes working again, apply deletes it and a re-plan is clean.
    emulator
        .set_faults(&serde_json::json!({}))
        .expect("faults cleared");
    let out = run(dir, &emulator, &["apply", "-auto-approve", "-no-color"]);
    assert!(out.status.success(), "second apply:\n{}", text(&out));
    assert_eq!(networks(&rt, &client), ["deposed-net-b"]);
    let deposed = state(dir, &emulator)["deposed"].clone();
    assert!(
        deposed.is_null() || deposed.as_array().is_some_and(Vec::is_empty),
        "{deposed:#}"
    );
    let out = run(dir, &emulator, &["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.status.code(), Some(0), "re-plan:\n{}", text(&out));
}
