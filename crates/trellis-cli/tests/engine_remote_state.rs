//! `data "terraform_remote_state"` with the local backend: outputs of a Terraform state file
//! (format version 4) and of a trellis state (`state pull`), `defaults`, sensitive outputs,
//! and the errors (no file, another format, an unknown backend, a workspace) located at the
//! data source with exit 1 and no state change. The S3 backend is in `s3_backend.rs`.

mod common;

use common::{Dir, PROVIDER};

const TERRAFORM_STATE: &str = r#"{
  "version": 4,
  "terraform_version": "1.9.5",
  "serial": 12,
  "lineage": "5c1f0d6e-0000-4000-8000-000000000001",
  "outputs": {
    "vpc_id": { "value": "vpc-0a1b2c3d", "type": "string" },
    "subnet_ids": { "value": ["subnet-1", "subnet-2"], "type": ["list", "string"] },
    "db": { "value": { "host": "db.internal", "port": 5432 }, "type": ["object", { "host": "string", "port": "number" }] },
    "token": { "value": "s3cr3t", "type": "string", "sensitive": true }
  },
  "resources": []
}
"#;

fn reader(backend: &str, config: &str, extra: &str) -> String {
    format!(
        r#"{PROVIDER}
data "terraform_remote_state" "network" {{
  backend = "{backend}"
  config = {{
    {config}
  }}
  defaults = {{
    region = "us-east-1"
    vpc_id = "vpc-default"
  }}
  {extra}
}}

resource "trellis_test_network" "mesh" {{
  name = "mesh-${{data.terraform_remote_state.network.outputs.vpc_id}}"
}}

output "vpc_id" {{
  value = data.terraform_remote_state.network.outputs.vpc_id
}}
output "subnets" {{
  value = data.terraform_remote_state.network.outputs.subnet_ids
}}
output "db_port" {{
  value = data.terraform_remote_state.network.outputs.db.port
}}
output "region" {{
  value = data.terraform_remote_state.network.outputs.region
}}
output "token" {{
  value     = data.terraform_remote_state.network.outputs.token
  sensitive = true
}}
"#
    )
}

#[test]
fn outputs_of_a_terraform_state_file_with_defaults() {
    // The state lives in a folder beside the configuration, as a sibling stack's would.
    let dir = Dir::with_main(&reader("local", "path = \"network/terraform.tfstate\"", ""));
    std::fs::create_dir_all(dir.join("network")).unwrap();
    dir.write("network/terraform.tfstate", TERRAFORM_STATE);
    dir.run(&["plan"])
        .ok()
        .contains("name      = \"mesh-vpc-0a1b2c3d\"");
    dir.apply(&[]).ok();
    let out = dir.run(&["output", "-json"]).ok().all();
    let json: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        json["vpc_id"]["value"], "vpc-0a1b2c3d",
        "the state's output over the default"
    );
    assert_eq!(
        json["subnets"]["value"],
        serde_json::json!(["subnet-1", "subnet-2"])
    );
    assert_eq!(json["db_port"]["value"], 5432);
    assert_eq!(
        json["region"]["value"], "us-east-1",
        "a default the state does not have"
    );
    assert_eq!(json["token"]["sensitive"], true);
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // A sensitive output stays sensitive: an output that shows it without `sensitive` is
    // refused, as in Terraform.
    dir.write(
        "main.tf",
        &reader("local", "path = \"network/terraform.tfstate\"", "").replace(
            "  value     = data.terraform_remote_state.network.outputs.token\n  sensitive = true",
            "  value = data.terraform_remote_state.network.outputs.token",
        ),
    );
    dir.run(&["plan"]).expect_code(1).contains("sensitive");

    // A new output in the other state flows in on the next plan.
    dir.write(
        "network/terraform.tfstate",
        &TERRAFORM_STATE.replace("vpc-0a1b2c3d", "vpc-99"),
    );
    dir.write(
        "main.tf",
        &reader("local", "path = \"network/terraform.tfstate\"", ""),
    );
    dir.run(&["plan"])
        .expect_code(0)
        .contains("\"mesh-vpc-0a1b2c3d\" -> \"mesh-vpc-99\"");
}

#[test]
fn outputs_of_a_trellis_state_pulled_to_a_file() {
    let producer = Dir::with_main(&format!(
        "{PROVIDER}\nresource \"trellis_test_network\" \"n\" {{\n  name = \"shared\"\n}}\n\noutput \"vpc_id\" {{\n  value = trellis_test_network.n.id\n}}\noutput \"subnet_ids\" {{\n  value = [\"s-a\"]\n}}\noutput \"db\" {{\n  value = {{ port = 3306 }}\n}}\noutput \"token\" {{\n  value     = \"t\"\n  sensitive = true\n}}\n"
    ));
    producer.apply(&[]).ok();
    let pulled = producer.run(&["state", "pull"]).ok().all();
    let id = producer
        .object_named("trellis_test_network", "shared")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let dir = Dir::with_main(&reader("local", "path = \"network.json\"", ""));
    dir.write("network.json", pulled.trim());
    dir.apply(&[]).ok();
    let out = dir.run(&["output", "-json"]).ok().all();
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(json["vpc_id"]["value"], id);
    assert_eq!(json["db_port"]["value"], 3306);
}

#[test]
fn remote_state_mistakes_are_located_errors_with_no_state_change() {
    let dir = Dir::with_main(&reader("local", "path = \"missing.tfstate\"", ""));
    let check = |dir: &Dir, want: &str| {
        dir.run(&["plan"])
            .expect_code(1)
            .contains(want)
            .contains("data \"terraform_remote_state\" \"network\"");
        dir.run(&["apply", "-auto-approve"]).expect_code(1);
        assert!(dir.state_list().is_empty());
    };
    check(&dir, "cannot read the state missing.tfstate");
    dir.write("old.tfstate", r#"{"version": 3, "modules": []}"#);
    dir.write("main.tf", &reader("local", "path = \"old.tfstate\"", ""));
    check(&dir, "trellis reads version 4");
    dir.write("main.tf", &reader("gcs", "bucket = \"b\"", ""));
    check(&dir, "backend \"gcs\" is not supported");
    dir.write("old.tfstate", TERRAFORM_STATE);
    dir.write(
        "main.tf",
        &reader("local", "path = \"old.tfstate\"", "workspace = \"staging\""),
    );
    check(&dir, "trellis has no workspaces");
    dir.write(
        "main.tf",
        &reader("local", "path = \"old.tfstate\"\n    bucket = \"x\"", ""),
    );
    check(&dir, "the local backend takes only path");
}
