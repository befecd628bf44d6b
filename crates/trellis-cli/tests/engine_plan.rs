//! CLI tests of planning and of every action kind, against the in-memory provider.
//!
//! Each test writes a configuration into a temporary directory, runs the real binary and
//! checks both what it prints and what the provider's world file holds afterwards.

mod common;

use common::{position, Dir, PROVIDER};

fn cfg(body: &str) -> String {
    format!("{PROVIDER}\n{body}")
}

#[test]
fn create_then_no_op_with_detailed_exitcode() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}
"#));
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(2)
        .contains("# trellis_test_network.mesh will be created")
        .contains("Plan: 1 to add, 0 to change, 0 to destroy.");
    assert!(
        dir.objects("trellis_test_network").is_empty(),
        "plan created nothing"
    );
    dir.apply(&[])
        .contains("trellis_test_network.mesh: Creation complete")
        .contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
    assert!(dir.object_named("trellis_test_network", "mesh").is_some());
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(0)
        .contains("No changes.");
}

#[test]
fn update_in_place() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
  tags = { team = "a" }
}
"#));
    dir.apply(&[]);
    let id_before = dir.object_named("trellis_test_network", "mesh").unwrap()["id"].clone();
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
  tags = { team = "b" }
}
"#),
    );
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(2)
        .contains("# trellis_test_network.mesh will be updated in-place")
        .contains(r#"~ team = "a" -> "b""#)
        .contains("Plan: 0 to add, 1 to change, 0 to destroy.");
    dir.apply(&[]).contains("Modifications complete");
    let after = dir.object_named("trellis_test_network", "mesh").unwrap();
    assert_eq!(after["id"], id_before, "an update keeps the object");
    assert_eq!(after["tags"]["team"], "b");
}

#[test]
fn replace_delete_then_create_on_force_new_change() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name = "one"
}
"#));
    dir.apply(&[]);
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "t" {
  name = "two"
}
"#),
    );
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_thing.t must be replaced")
        .contains("-/+ resource")
        .contains("# forces replacement")
        .contains("Plan: 1 to add, 0 to change, 1 to destroy.");
    let out = dir.apply(&[]);
    let destroyed = position(&out.stdout, "trellis_test_thing.t: Destruction complete");
    let created = position(&out.stdout, "trellis_test_thing.t: Creation complete");
    assert!(
        destroyed < created,
        "delete runs before create:\n{}",
        out.stdout
    );
    assert!(dir.object_named("trellis_test_thing", "one").is_none());
    assert!(dir.object_named("trellis_test_thing", "two").is_some());
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
}

#[test]
fn replace_create_before_destroy() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name = "one"
  lifecycle {
    create_before_destroy = true
  }
}
"#));
    dir.apply(&[]);
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "t" {
  name = "two"
  lifecycle {
    create_before_destroy = true
  }
}
"#),
    );
    dir.run(&["plan"])
        .ok()
        .contains("+/- resource")
        .contains("create replacement and then destroy");
    let out = dir.apply(&[]);
    let created = position(&out.stdout, "trellis_test_thing.t: Creation complete");
    let destroyed = position(&out.stdout, "trellis_test_thing.t: Destruction complete");
    assert!(
        created < destroyed,
        "create runs before delete:\n{}",
        out.stdout
    );
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
    assert!(dir.object_named("trellis_test_thing", "two").is_some());
    assert_eq!(dir.state_list(), vec!["trellis_test_thing.t"]);
}

#[test]
fn delete_when_removed_from_config_names_the_reason() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "keep" {
  name = "keep"
}
resource "trellis_test_thing" "gone" {
  name = "gone"
}
"#));
    dir.apply(&[]);
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "keep" {
  name = "keep"
}
"#),
    );
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_thing.gone will be destroyed")
        .contains("(because trellis_test_thing.gone is not in configuration)")
        .contains("Plan: 0 to add, 0 to change, 1 to destroy.");
    dir.apply(&[]).contains("Destruction complete");
    assert!(dir.object_named("trellis_test_thing", "gone").is_none());
    assert_eq!(dir.state_list(), vec!["trellis_test_thing.keep"]);
}

#[test]
fn data_source_is_read() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}
"#));
    dir.apply(&[]);
    let id = dir.object_named("trellis_test_network", "mesh").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}
data "trellis_test_lookup" "found" {
  name = "mesh"
}
resource "trellis_test_thing" "t" {
  name  = "t"
  value = data.trellis_test_lookup.found.id
}
output "found" {
  value = data.trellis_test_lookup.found.id
}
"#),
    );
    // The data source is read at plan time: its id is known in the plan.
    dir.run(&["plan"])
        .ok()
        .line(&["+ value", "=", &format!("\"{id}\"")]);
    dir.apply(&[]);
    assert_eq!(
        dir.object_named("trellis_test_thing", "t").unwrap()["value"],
        id
    );
    dir.run(&["output", "-raw", "found"]).ok().contains(&id);
}

#[test]
fn data_source_depending_on_pending_resource_is_read_during_apply() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}
data "trellis_test_lookup" "found" {
  name = trellis_test_network.mesh.name
  depends_on = [trellis_test_network.mesh]
}
resource "trellis_test_thing" "t" {
  name  = "t"
  value = data.trellis_test_lookup.found.arn
}
"#));
    dir.run(&["plan"])
        .ok()
        .contains("# data.trellis_test_lookup.found will be read during apply")
        .line(&["+ value", "= (known after apply)"]);
    dir.apply(&[]);
    let net = dir.object_named("trellis_test_network", "mesh").unwrap();
    assert_eq!(
        dir.object_named("trellis_test_thing", "t").unwrap()["value"],
        net["arn"]
    );
}

#[test]
fn count_growth_and_shrink() {
    let body = |n: u32| {
        cfg(&format!(
            r#"
resource "trellis_test_thing" "c" {{
  count = {n}
  name  = "c-${{count.index}}"
}}
"#
        ))
    };
    let dir = Dir::with_main(&body(2));
    dir.apply(&[]);
    assert_eq!(
        dir.state_list(),
        vec!["trellis_test_thing.c[0]", "trellis_test_thing.c[1]"]
    );
    dir.write("main.tf", &body(4));
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_thing.c[2] will be created")
        .contains("# trellis_test_thing.c[3] will be created")
        .lacks("trellis_test_thing.c[0] will")
        .contains("Plan: 2 to add, 0 to change, 0 to destroy.");
    dir.apply(&[]);
    assert_eq!(dir.objects("trellis_test_thing").len(), 4);
    dir.write("main.tf", &body(1));
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_thing.c[1] will be destroyed")
        .contains("(because index [1] is out of range for count)")
        .contains("# trellis_test_thing.c[3] will be destroyed")
        .contains("Plan: 0 to add, 0 to change, 3 to destroy.");
    dir.apply(&[]);
    assert_eq!(dir.state_list(), vec!["trellis_test_thing.c[0]"]);
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
    assert!(dir.object_named("trellis_test_thing", "c-0").is_some());
}

#[test]
fn for_each_growth_and_shrink() {
    let body = |keys: &str| {
        cfg(&format!(
            r#"
resource "trellis_test_thing" "e" {{
  for_each = toset([{keys}])
  name     = "e-${{each.key}}"
  value    = each.value
}}
"#
        ))
    };
    let dir = Dir::with_main(&body(r#""a", "b""#));
    dir.apply(&[]);
    assert_eq!(
        dir.state_list(),
        vec![
            r#"trellis_test_thing.e["a"]"#,
            r#"trellis_test_thing.e["b"]"#
        ]
    );
    dir.write("main.tf", &body(r#""a", "b", "c""#));
    dir.run(&["plan"])
        .ok()
        .contains(r#"# trellis_test_thing.e["c"] will be created"#)
        .contains("Plan: 1 to add, 0 to change, 0 to destroy.");
    dir.apply(&[]);
    dir.write("main.tf", &body(r#""c""#));
    dir.run(&["plan"])
        .ok()
        .contains(r#"# trellis_test_thing.e["a"] will be destroyed"#)
        .contains(r#"(because key ["a"] is not in for_each map)"#)
        .contains(r#"# trellis_test_thing.e["b"] will be destroyed"#)
        .contains("Plan: 0 to add, 0 to change, 2 to destroy.");
    dir.apply(&[]);
    assert_eq!(dir.state_list(), vec![r#"trellis_test_thing.e["c"]"#]);
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
}

#[test]
fn unknown_values_propagate_as_known_after_apply() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "a" {
  name  = "a"
  value = "x"
}
resource "trellis_test_thing" "b" {
  name  = "b"
  value = "${trellis_test_thing.a.computed_value}-suffix"
  values = [trellis_test_thing.a.id, "literal"]
}
output "b_value" {
  value = trellis_test_thing.b.value
}
"#));
    let plan = dir.run(&["plan"]);
    plan.ok();
    // The interpolation and the list element are unknown; the literal stays known.
    let b = &plan.stdout[position(&plan.stdout, "# trellis_test_thing.b will be created")..];
    assert!(b.contains("+ value          = (known after apply)"), "{b}");
    assert!(b.contains("\"literal\""), "{b}");
    plan.contains("+ b_value = (known after apply)");
    dir.apply(&[]);
    let b = dir.object_named("trellis_test_thing", "b").unwrap();
    assert_eq!(b["value"], "computed-x-suffix");
    let a_id = dir.object_named("trellis_test_thing", "a").unwrap()["id"].clone();
    assert_eq!(b["values"][0], a_id);
    dir.run(&["output", "-raw", "b_value"])
        .ok()
        .contains("computed-x-suffix");
}

#[test]
fn count_depending_on_unknown_is_a_clear_error() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "a" {
  name = "a"
}
resource "trellis_test_thing" "b" {
  count = length(trellis_test_thing.a.computed_value)
  name  = "b-${count.index}"
}
"#));
    let run = dir.run(&["plan"]);
    run.expect_code(1)
        .contains("invalid count argument")
        .contains("on main.tf line 10")
        .contains("cannot be determined until apply");
    assert!(!dir.exists("world.json"), "nothing was created");
}

#[test]
fn moved_block_renames_without_destroy() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "old" {
  name = "thing"
}
"#));
    dir.apply(&[]);
    let id = dir.object_named("trellis_test_thing", "thing").unwrap()["id"].clone();
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "new" {
  name = "thing"
}
moved {
  from = trellis_test_thing.old
  to   = trellis_test_thing.new
}
"#),
    );
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_thing.old has moved to trellis_test_thing.new")
        .lacks("will be destroyed")
        .lacks("will be created")
        .contains("Plan: 0 to add, 0 to change, 0 to destroy, 1 to move.");
    dir.apply(&[]);
    assert_eq!(dir.state_list(), vec!["trellis_test_thing.new"]);
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
    assert_eq!(
        dir.object_named("trellis_test_thing", "thing").unwrap()["id"],
        id
    );
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn target_limits_the_plan_to_the_target_and_its_dependencies() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}
resource "trellis_test_service" "svc" {
  name = "svc"
}
resource "trellis_test_association" "a" {
  service_id = trellis_test_service.svc.id
  network_id = trellis_test_network.mesh.id
}
resource "trellis_test_thing" "other" {
  name = "other"
}
"#));
    dir.run(&["plan", "-target=trellis_test_association.a"])
        .ok()
        .contains("trellis_test_association.a will be created")
        .contains("trellis_test_service.svc will be created")
        .contains("trellis_test_network.mesh will be created")
        .lacks("trellis_test_thing.other");
    dir.apply(&["-target=trellis_test_service.svc"]);
    assert_eq!(dir.state_list(), vec!["trellis_test_service.svc"]);
    assert!(dir.objects("trellis_test_thing").is_empty());
}

#[test]
fn replace_flag_forces_replacement() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name = "t"
}
resource "trellis_test_thing" "u" {
  name = "u"
}
"#));
    dir.apply(&[]);
    let before = dir.object_named("trellis_test_thing", "t").unwrap()["id"].clone();
    dir.run(&["plan", "-replace=trellis_test_thing.t"])
        .ok()
        .contains("# trellis_test_thing.t will be replaced, as requested")
        .lacks("trellis_test_thing.u will")
        .contains("Plan: 1 to add, 0 to change, 1 to destroy.");
    dir.apply(&["-replace=trellis_test_thing.t"]);
    let after = dir.object_named("trellis_test_thing", "t").unwrap()["id"].clone();
    assert_ne!(before, after, "a new object replaced the old one");
    assert_eq!(dir.objects("trellis_test_thing").len(), 2);
}

#[test]
fn drift_is_shown_and_changed_back_and_refresh_false_ignores_it() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name  = "t"
  value = "desired"
}
"#));
    dir.apply(&[]);
    dir.edit_world(|world| {
        for object in world["objects"].as_object_mut().unwrap().values_mut() {
            object["value"]["value"] = "edited-outside".into();
        }
    });
    dir.run(&["plan", "-refresh=false", "-detailed-exitcode"])
        .expect_code(0)
        .lacks("changed outside");
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(2)
        .contains("Note: Objects have changed outside of trellis")
        .contains(r#""desired" -> "edited-outside""#)
        .contains("# trellis_test_thing.t will be updated in-place")
        .line(&["~ value", r#"= "edited-outside" -> "desired""#]);
    dir.apply(&[]);
    assert_eq!(
        dir.object_named("trellis_test_thing", "t").unwrap()["value"],
        "desired"
    );
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn object_deleted_outside_is_planned_for_creation() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name = "t"
}
"#));
    dir.apply(&[]);
    dir.edit_world(|world| {
        world["objects"].as_object_mut().unwrap().clear();
    });
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_thing.t will be created")
        .contains("Plan: 1 to add, 0 to change, 0 to destroy.");
}

#[test]
fn plan_destroy_and_destroy() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}
resource "trellis_test_service" "svc" {
  name = "svc"
}
resource "trellis_test_association" "a" {
  service_id = trellis_test_service.svc.id
  network_id = trellis_test_network.mesh.id
}
"#));
    dir.apply(&[]);
    dir.run(&["plan", "-destroy"])
        .ok()
        .contains("# trellis_test_association.a will be destroyed")
        .contains("Plan: 0 to add, 0 to change, 3 to destroy.");
    assert_eq!(dir.state_list().len(), 3, "plan -destroy changes nothing");
    let out = dir.run(&["destroy", "-auto-approve"]);
    out.ok()
        .contains("Destroy complete! Resources: 3 destroyed.");
    // Deletes run in reverse dependency order: the association (which the provider
    // refuses to orphan) goes first.
    let assoc = position(
        &out.stdout,
        "trellis_test_association.a: Destruction complete",
    );
    let svc = position(
        &out.stdout,
        "trellis_test_service.svc: Destruction complete",
    );
    let net = position(
        &out.stdout,
        "trellis_test_network.mesh: Destruction complete",
    );
    assert!(assoc < svc && assoc < net, "{}", out.stdout);
    assert!(dir.state_list().is_empty());
    assert!(dir.world()["objects"].as_object().unwrap().is_empty());
}

#[test]
fn prevent_destroy_stops_the_plan() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name = "t"
  lifecycle {
    prevent_destroy = true
  }
}
"#));
    dir.apply(&[]);
    dir.run(&["plan", "-destroy"])
        .expect_code(1)
        .contains("trellis_test_thing.t")
        .contains("prevent_destroy");
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
}

#[test]
fn ignore_changes_suppresses_updates() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name  = "t"
  value = "a"
  lifecycle {
    ignore_changes = [value]
  }
}
"#));
    dir.apply(&[]);
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "t" {
  name  = "t"
  value = "b"
  lifecycle {
    ignore_changes = [value]
  }
}
"#),
    );
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

/// A reader that closes the pipe early (`trellis plan | head`) ends trellis quietly with
/// the SIGPIPE status, not with a panic and its backtrace.
#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}resource \"trellis_test_thing\" \"t\" {{\n  name = \"t\"\n}}\n"
    ));
    // The read end is closed before trellis starts, so its first write fails however fast
    // it runs (closing it after the spawn raced with a quick plan on a loaded machine).
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(["plan", "-no-color"])
        .current_dir(dir.path())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("trellis starts");
    let out = child.wait_with_output().expect("trellis ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

/// Drift on what the plan leaves alone (here an ignored attribute) is recorded by the next
/// apply, so it is shown once, not on every plan, and outputs follow what exists.
#[test]
fn drift_on_untouched_objects_is_recorded_by_apply() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name  = "t"
  value = "desired"
  lifecycle {
    ignore_changes = [value]
  }
}

output "value" {
  value = trellis_test_thing.t.value
}
"#));
    dir.apply(&[]);
    dir.edit_world(|world| {
        for object in world["objects"].as_object_mut().unwrap().values_mut() {
            object["value"]["value"] = "edited-outside".into();
        }
    });
    dir.run(&["plan", "-no-color"])
        .ok()
        .contains("Note: Objects have changed outside of trellis")
        .lacks("will be updated");
    dir.apply(&[]);
    dir.run(&["plan", "-detailed-exitcode", "-no-color"])
        .expect_code(0)
        .lacks("changed outside");
    dir.run(&["output", "-raw", "value"])
        .ok()
        .contains("edited-outside");
}

/// The record of `address` in `trellis state pull`'s JSON, wherever the format keeps it.
fn record_of(state: &serde_json::Value, address: &str) -> Option<serde_json::Value> {
    match state {
        serde_json::Value::Object(map) => {
            if map.get("address").and_then(|a| a.as_str()) == Some(address)
                && map.contains_key("value")
            {
                return Some(state.clone());
            }
            map.values().find_map(|v| record_of(v, address))
        }
        serde_json::Value::Array(items) => items.iter().find_map(|v| record_of(v, address)),
        _ => None,
    }
}

/// The in-memory provider's revision of the object named `name`, as its world holds it.
fn world_revision(dir: &Dir, name: &str) -> u64 {
    let world = dir.world();
    world["objects"]
        .as_object()
        .unwrap()
        .values()
        .find(|o| o["value"]["name"] == name)
        .and_then(|o| o["revision"].as_u64())
        .expect("the object has a revision")
}

/// Provider private data (the in-memory provider's revision, standing in for AWS's
/// last-modified stamps) is recorded by create and update, and refreshed private data of
/// objects the plan leaves alone is recorded by apply, also through a `moved` block.
#[test]
fn provider_private_data_follows_creates_updates_and_refreshes() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_thing" "t" {
  name  = "t"
  value = "a"
}
"#));
    dir.apply(&[]);
    let private = |address: &str| {
        record_of(&dir.state_json(), address).expect("in state")["private"]["revision"].as_u64()
    };
    assert_eq!(
        private("trellis_test_thing.t"),
        Some(world_revision(&dir, "t"))
    );

    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "t" {
  name  = "t"
  value = "b"
}
"#),
    );
    let before = world_revision(&dir, "t");
    dir.apply(&[]);
    assert!(
        world_revision(&dir, "t") > before,
        "the update made a new revision"
    );
    assert_eq!(
        private("trellis_test_thing.t"),
        Some(world_revision(&dir, "t"))
    );

    // Only the private data moves: no change to show, but apply records it.
    dir.edit_world(|world| {
        for object in world["objects"].as_object_mut().unwrap().values_mut() {
            object["revision"] = 1000.into();
        }
    });
    dir.run(&["plan", "-detailed-exitcode", "-no-color"])
        .expect_code(0)
        .lacks("changed outside");
    dir.apply(&[]);
    assert_eq!(private("trellis_test_thing.t"), Some(1000));

    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "renamed" {
  name  = "t"
  value = "b"
}
moved {
  from = trellis_test_thing.t
  to   = trellis_test_thing.renamed
}
"#),
    );
    dir.edit_world(|world| {
        for object in world["objects"].as_object_mut().unwrap().values_mut() {
            object["revision"] = 2000.into();
        }
    });
    dir.apply(&[]);
    assert_eq!(private("trellis_test_thing.renamed"), Some(2000));
}
