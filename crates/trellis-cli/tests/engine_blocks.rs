//! CLI tests of the language blocks real configurations use beyond resources: override
//! files and `check` blocks, against the in-memory provider.

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
