//! `terraform_data`, the built-in resource of Terraform's `terraform` provider, as
//! configurations use it: a value kept in state, an update when `input` changes, a
//! replacement when `triggers_replace` changes, and a trigger for `replace_triggered_by`.

mod common;

use common::{Dir, PROVIDER};

fn config(revision: &str, input: &str) -> String {
    format!(
        r#"{PROVIDER}
variable "revision" {{
  default = "{revision}"
}}

resource "terraform_data" "release" {{
  input            = {{ version = "{input}", ports = [80, 443] }}
  triggers_replace = var.revision
}}

resource "trellis_test_network" "mesh" {{
  name = "mesh"
  lifecycle {{
    replace_triggered_by = [terraform_data.release]
  }}
}}

output "release" {{
  value = terraform_data.release.output
}}
"#
    )
}

#[test]
fn terraform_data_keeps_its_input_and_replaces_on_its_triggers() {
    let dir = Dir::with_main(&config("r1", "1.0"));
    dir.run(&["validate"]).ok();
    // The output is known at plan time, from the input.
    dir.run(&["plan"])
        .ok()
        .contains("# terraform_data.release will be created")
        .contains("+ id               = (known after apply)")
        .contains("version = \"1.0\"")
        .contains("Plan: 2 to add, 0 to change, 0 to destroy.");
    dir.apply(&[]).ok();
    let state = dir.state_json();
    let text = state.to_string();
    assert!(text.contains("terraform_data"), "{text}");
    dir.run(&["output", "-json", "release"])
        .ok()
        .contains("\"version\":\"1.0\"");
    let first = dir.object_named("trellis_test_network", "mesh").unwrap();
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // A new input is an update in place; what depends on it through replace_triggered_by
    // is replaced, as Terraform does for any change of the referenced resource.
    dir.write("main.tf", &config("r1", "1.1"));
    dir.run(&["plan"])
        .ok()
        .contains("# terraform_data.release will be updated in-place")
        .contains("~ version = \"1.0\" -> \"1.1\"");
    dir.apply(&[]).ok();
    dir.run(&["output", "-json", "release"])
        .ok()
        .contains("\"version\":\"1.1\"");

    // A new trigger replaces it.
    dir.write("main.tf", &config("r2", "1.1"));
    dir.run(&["plan"])
        .ok()
        .contains("# terraform_data.release must be replaced")
        .contains("~ triggers_replace = \"r1\" -> \"r2\" # forces replacement");
    dir.apply(&[]).ok();
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    let last = dir.object_named("trellis_test_network", "mesh").unwrap();
    assert_ne!(
        first["id"], last["id"],
        "replace_triggered_by replaced the network"
    );
    dir.run(&["destroy", "-auto-approve"]).ok();
    assert!(dir.state_list().is_empty());
}
