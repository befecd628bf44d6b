//! CLI tests of the language blocks real configurations use beyond resources: override
//! files, `check` blocks and `removed` blocks, against the in-memory provider.

mod common;

use common::{Dir, PROVIDER};

fn cfg(body: &str) -> String {
    format!("{PROVIDER}\n{body}")
}

#[test]
fn an_override_file_changes_one_argument_of_a_resource() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
  tags = { team = "a" }
}
"#));
    dir.write(
        "override.tf",
        r#"
resource "trellis_test_network" "mesh" {
  tags = { team = "b" }
}
"#,
    );
    dir.run(&["validate"]).ok();
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_network.mesh will be created")
        .contains(r#"team = "b""#)
        .lacks(r#"team = "a""#);
    dir.apply(&[]);
    let object = dir.object_named("trellis_test_network", "mesh").unwrap();
    assert_eq!(object["tags"]["team"], "b", "{object}");
}

#[test]
fn overriding_what_is_not_defined_fails_in_the_override_file() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}
"#));
    dir.write(
        "net_override.tf",
        "resource \"trellis_test_network\" \"other\" {\n  name = \"x\"\n}\n",
    );
    dir.run(&["plan"])
        .expect_code(1)
        .contains(r#"nothing to override for resource "trellis_test_network" "other""#)
        .contains("on net_override.tf line 1");
    assert!(dir.objects("trellis_test_network").is_empty());
}

#[test]
fn a_failed_check_is_a_warning_naming_the_check() {
    let dir = Dir::with_main(&cfg(r#"
variable "team" {
  default = "payments"
}

resource "trellis_test_network" "mesh" {
  name = "mesh"
}

check "team_is_known" {
  assert {
    condition     = contains(["platform"], var.team)
    error_message = "team ${var.team} is not a known team"
  }
}

check "created" {
  assert {
    condition     = trellis_test_network.mesh.id != ""
    error_message = "no id"
  }
}
"#));
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_network.mesh will be created")
        .contains(r#"Warning: check "team_is_known" assertion failed"#)
        .contains("team payments is not a known team")
        .contains("on main.tf line 16, column 5")
        .contains(r#"Warning: check "created": condition is not known until apply"#);
    dir.run(&["plan", "-var", "team=platform"])
        .ok()
        .lacks("team_is_known");
    dir.run(&["validate"]).ok().lacks("Warning");
}

#[test]
fn a_scoped_data_source_in_a_check_is_refused_with_its_location() {
    let dir = Dir::with_main(&cfg(r#"
check "scoped" {
  data "trellis_test_network" "n" {
    name = "mesh"
  }
  assert {
    condition     = true
    error_message = "x"
  }
}
"#));
    dir.run(&["validate"])
        .expect_code(1)
        .contains("data sources inside check blocks are not supported yet")
        .contains("on main.tf line 7, column 3, in check \"scoped\"");
}

#[test]
fn a_check_unknown_at_plan_time_is_evaluated_after_apply() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}

check "id_format" {
  assert {
    condition     = startswith(trellis_test_network.mesh.id, "nope-")
    error_message = "unexpected id ${trellis_test_network.mesh.id}"
  }
}
"#));
    dir.run(&["plan"])
        .ok()
        .contains(r#"check "id_format": condition is not known until apply"#)
        .lacks("assertion failed");
    let id = {
        let run = dir.apply(&[]);
        run.contains(r#"Warning: check "id_format" assertion failed"#)
            .contains("Apply complete! Resources: 1 added");
        dir.object_named("trellis_test_network", "mesh").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Known now: the next plan reports the failure itself.
    dir.run(&["plan"])
        .ok()
        .contains(&format!("unexpected id {id}"))
        .contains("No changes.");
}

// ---------------------------------------------------------------------------------------------
// `removed` blocks.

const TWO_NETWORKS: &str = r#"
resource "trellis_test_network" "keep" {
  name = "keep"
}

resource "trellis_test_network" "old" {
  for_each = toset(["a", "b"])
  name     = "old-${each.key}"
}
"#;

#[test]
fn removed_with_destroy_false_forgets_every_instance_and_leaves_the_objects() {
    let dir = Dir::with_main(&cfg(TWO_NETWORKS));
    dir.apply(&[]).ok();
    assert_eq!(dir.objects("trellis_test_network").len(), 3);
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_network" "keep" {
  name = "keep"
}

removed {
  from = trellis_test_network.old

  lifecycle {
    destroy = false
  }
}
"#),
    );
    dir.run(&["validate"]).ok();
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_network.old[\"a\"] will no longer be managed by trellis")
        .contains("# trellis_test_network.old[\"b\"] will no longer be managed by trellis")
        .contains("Plan: 0 to add, 0 to change, 0 to destroy, 2 to forget.")
        .contains("Some objects will no longer be managed by trellis")
        .lacks("will be destroyed");
    dir.run(&["plan", "-out", "forget.plan"]).ok();
    let shown = dir.run(&["show", "-json", "forget.plan"]);
    shown.ok();
    let json: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let actions: Vec<&serde_json::Value> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "old")
        .map(|c| &c["change"]["actions"])
        .collect();
    assert_eq!(actions, [&serde_json::json!(["forget"]); 2], "{json}");
    dir.run(&["apply", "forget.plan"])
        .ok()
        .contains("Apply complete! Resources: 0 added, 0 changed, 0 destroyed, 2 forgotten.");
    // The objects are still there; only their records are gone.
    assert_eq!(dir.objects("trellis_test_network").len(), 3);
    assert_eq!(dir.state_list(), ["trellis_test_network.keep"]);
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn removed_with_destroy_true_destroys_as_a_deleted_block_would() {
    let dir = Dir::with_main(&cfg(TWO_NETWORKS));
    dir.apply(&[]).ok();
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_network" "keep" {
  name = "keep"
}

removed {
  from = trellis_test_network.old
}
"#),
    );
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_network.old[\"a\"] will be destroyed")
        .contains("Plan: 0 to add, 0 to change, 2 to destroy.");
    dir.apply(&[]).ok();
    assert_eq!(dir.objects("trellis_test_network").len(), 1);
    assert_eq!(dir.state_list(), ["trellis_test_network.keep"]);
}

#[test]
fn a_removed_module_call_forgets_everything_in_it() {
    let dir = Dir::with_main(&cfg(r#"
module "net" {
  source = "./net"
}
"#));
    dir.write(
        "net/main.tf",
        "resource \"trellis_test_network\" \"one\" {\n  name = \"one\"\n}\n\nmodule \"inner\" {\n  source = \"./inner\"\n}\n",
    );
    dir.write(
        "net/inner/main.tf",
        "resource \"trellis_test_network\" \"two\" {\n  name = \"two\"\n}\n",
    );
    dir.apply(&[]).ok();
    assert_eq!(dir.state_list().len(), 2);
    dir.write(
        "main.tf",
        &cfg("removed {\n  from = module.net\n  lifecycle {\n    destroy = false\n  }\n}\n"),
    );
    dir.run(&["plan"])
        .ok()
        .contains("# module.net.trellis_test_network.one will no longer be managed by trellis")
        .contains(
            "# module.net.module.inner.trellis_test_network.two will no longer be managed by trellis",
        )
        .contains("2 to forget");
    dir.apply(&[]).ok().contains("2 forgotten");
    assert!(dir.state_list().is_empty());
    assert_eq!(dir.objects("trellis_test_network").len(), 2);
}

#[test]
fn removed_blocks_in_json_syntax_work_too() {
    let dir = Dir::with_main(&cfg(TWO_NETWORKS));
    dir.apply(&[]).ok();
    dir.write(
        "main.tf",
        &cfg("resource \"trellis_test_network\" \"keep\" {\n  name = \"keep\"\n}\n"),
    );
    dir.write(
        "removed.tf.json",
        r#"{"removed": [{"from": "trellis_test_network.old", "lifecycle": [{"destroy": false}]}]}"#,
    );
    dir.run(&["plan"]).ok().contains("2 to forget");
}

#[test]
fn bad_removed_blocks_are_located_errors_and_change_nothing() {
    let dir = Dir::with_main(&cfg(TWO_NETWORKS));
    dir.apply(&[]).ok();
    let before = dir.read("world.json");
    for (body, message) in [
        (
            "removed {\n  from = trellis_test_network.keep\n}\n",
            "removed resource `trellis_test_network.keep` is still declared",
        ),
        (
            "removed {\n  from = trellis_test_network.old[\"a\"]\n}\n",
            "invalid removed `from` address",
        ),
        (
            "removed {\n  from = data.trellis_test_network.x\n}\n",
            "data sources cannot be removed",
        ),
        (
            "removed {\n  from = \"trellis_test_network.old\"\n}\n",
            "invalid removed `from` address",
        ),
        ("removed {\n}\n", "removed block has no `from`"),
        (
            "removed {\n  from = trellis_test_network.gone\n  lifecycle {\n    destroy = maybe\n  }\n}\n",
            "`destroy` must be true or false",
        ),
        (
            "removed {\n  from = trellis_test_network.gone\n  provisioner \"local-exec\" {\n    command = \"echo\"\n  }\n}\n",
            "`provisioner` blocks are not supported",
        ),
    ] {
        dir.write("removed.tf", body);
        dir.run(&["plan"])
            .expect_code(1)
            .contains(message)
            .contains("on removed.tf line ");
    }
    // Only the root module may hold removed blocks.
    dir.write(
        "removed.tf",
        "module \"child\" {\n  source = \"./child\"\n}\n",
    );
    dir.write(
        "child/main.tf",
        "removed {\n  from = trellis_test_network.x\n}\n",
    );
    dir.run(&["validate"])
        .expect_code(1)
        .contains("removed blocks are only supported in the root module")
        .contains("on child/main.tf line 2");
    assert_eq!(dir.read("world.json"), before);
    assert_eq!(dir.state_list().len(), 3);
}
