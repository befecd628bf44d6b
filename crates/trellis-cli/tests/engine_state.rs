//! CLI tests of the state commands and of the commands that read without planning:
//! `state list/show/mv/rm/pull/push`, `show`, `output`, `graph`, `fmt`, `validate`,
//! `version`.

mod common;

use common::{Dir, PROVIDER};

fn cfg(body: &str) -> String {
    format!("{PROVIDER}\n{body}")
}

const MESH: &str = r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}
resource "trellis_test_service" "svc" {
  for_each = toset(["a", "b"])
  name     = each.key
}
resource "trellis_test_association" "assoc" {
  for_each   = trellis_test_service.svc
  service_id = each.value.id
  network_id = trellis_test_network.mesh.id
}
output "mesh_id" {
  value = trellis_test_network.mesh.id
}
"#;

fn applied_mesh() -> Dir {
    let dir = Dir::with_main(&cfg(MESH));
    dir.apply(&[]);
    dir
}

#[test]
fn state_list_and_filters() {
    let dir = applied_mesh();
    assert_eq!(
        dir.state_list(),
        vec![
            r#"trellis_test_association.assoc["a"]"#,
            r#"trellis_test_association.assoc["b"]"#,
            "trellis_test_network.mesh",
            r#"trellis_test_service.svc["a"]"#,
            r#"trellis_test_service.svc["b"]"#,
        ]
    );
    let run = dir.run(&["state", "list", "trellis_test_service.svc"]);
    run.ok();
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        vec![
            r#"trellis_test_service.svc["a"]"#,
            r#"trellis_test_service.svc["b"]"#
        ]
    );
}

#[test]
fn state_show_and_pull() {
    let dir = applied_mesh();
    let id = dir.object_named("trellis_test_network", "mesh").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    dir.run(&["state", "show", "trellis_test_network.mesh"])
        .ok()
        .contains(r#"resource "trellis_test_network" "mesh""#)
        .line(&["id", &format!("\"{id}\"")]);
    dir.run(&["state", "show", "trellis_test_network.nope"])
        .expect_code(1)
        .contains("no instance trellis_test_network.nope in the state");
    let state = dir.state_json();
    assert_eq!(state["serial"], 1);
    let resources = state["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 5);
    let mesh = resources
        .iter()
        .find(|r| r["address"] == "trellis_test_network.mesh")
        .unwrap();
    assert_eq!(mesh["value"]["id"], id.as_str());
    assert_eq!(state["outputs"]["mesh_id"]["value"], id.as_str());
}

#[test]
fn state_mv_renames_and_the_plan_follows() {
    let dir = applied_mesh();
    let serial = dir.state_json()["serial"].as_u64().unwrap();
    dir.run(&[
        "state",
        "mv",
        "trellis_test_network.mesh",
        "trellis_test_network.core",
    ])
    .ok()
    .contains("Moved trellis_test_network.mesh to trellis_test_network.core");
    assert!(dir
        .state_list()
        .contains(&"trellis_test_network.core".to_string()));
    assert!(!dir
        .state_list()
        .contains(&"trellis_test_network.mesh".to_string()));
    assert!(dir.state_json()["serial"].as_u64().unwrap() > serial);
    // The config still says "mesh": the moved record is now orphaned and "mesh" is new.
    dir.run(&["plan", "-refresh=false"])
        .ok()
        .contains("# trellis_test_network.core will be destroyed")
        .contains("# trellis_test_network.mesh will be created");
    // Moving it back restores the no-op.
    dir.run(&[
        "state",
        "mv",
        "trellis_test_network.core",
        "trellis_test_network.mesh",
    ])
    .ok();
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    dir.run(&[
        "state",
        "mv",
        "trellis_test_network.mesh",
        "trellis_test_thing.x",
    ])
    .expect_code(1)
    .contains("the resource types differ");
}

#[test]
fn state_mv_of_a_whole_resource_keeps_instance_keys() {
    let dir = applied_mesh();
    dir.run(&[
        "state",
        "mv",
        "trellis_test_service.svc",
        "trellis_test_service.renamed",
    ])
    .ok();
    let list = dir.state_list();
    assert!(list.contains(&r#"trellis_test_service.renamed["a"]"#.to_string()));
    assert!(list.contains(&r#"trellis_test_service.renamed["b"]"#.to_string()));
}

#[test]
fn state_rm_forgets_without_deleting() {
    let dir = applied_mesh();
    dir.run(&["state", "rm", r#"trellis_test_association.assoc["a"]"#])
        .ok()
        .contains(r#"Removed trellis_test_association.assoc["a"]"#);
    assert_eq!(dir.state_list().len(), 4);
    assert_eq!(
        dir.objects("trellis_test_association").len(),
        2,
        "the object stays"
    );
    dir.run(&["state", "rm", "trellis_test_thing.none"])
        .expect_code(1)
        .contains("no matching instance");
}

#[test]
fn state_push_restores_a_pulled_state() {
    let dir = applied_mesh();
    let pulled = dir.run(&["state", "pull"]);
    pulled.ok();
    dir.write("backup.json", &pulled.stdout);
    dir.run(&["state", "rm", "trellis_test_network.mesh"]).ok();
    assert_eq!(dir.state_list().len(), 4);
    dir.run(&["state", "push", "backup.json"]).ok();
    assert_eq!(dir.state_list().len(), 5);
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn show_and_output() {
    let dir = applied_mesh();
    let id = dir.object_named("trellis_test_network", "mesh").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    dir.run(&["show"])
        .ok()
        .contains("# trellis_test_network.mesh:")
        .contains(r#"# trellis_test_association.assoc["a"]:"#);
    dir.run(&["output"])
        .ok()
        .contains(&format!("mesh_id = \"{id}\""));
    let raw = dir.run(&["output", "-raw", "mesh_id"]);
    raw.ok();
    // No newline after it, as Terraform's `-raw`.
    assert_eq!(raw.stdout, id);
    let json = dir.run(&["output", "-json"]);
    json.ok();
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(parsed["mesh_id"]["value"], id.as_str());
    dir.run(&["output", "nope"])
        .expect_code(1)
        .contains("output \"nope\" not found");
}

#[test]
fn show_of_an_empty_state() {
    let dir = Dir::with_main(&cfg(MESH));
    dir.run(&["show"]).ok().contains("The state is empty.");
    assert!(dir.state_list().is_empty());
}

#[test]
fn graph_prints_dot_with_the_edges() {
    let dir = Dir::with_main(&cfg(MESH));
    let run = dir.run(&["graph"]);
    run.ok()
        .contains("digraph")
        .contains(r#""trellis_test_association.assoc" -> "trellis_test_service.svc";"#)
        .contains(r#""trellis_test_association.assoc" -> "trellis_test_network.mesh";"#)
        .contains(r#""output.mesh_id" -> "trellis_test_network.mesh";"#)
        .lacks(r#""trellis_test_service.svc" -> "trellis_test_network.mesh";"#);
    assert!(run.stdout.trim_end().ends_with('}'));
    assert!(!dir.exists(".trellis"), "graph touches no state");
}

#[test]
fn fmt_check_reports_and_fmt_rewrites() {
    let dir = Dir::with_main(
        "resource \"trellis_test_thing\" \"t\" {\nname=\"t\"\n    value    =   \"v\"\n}\n",
    );
    let before = dir.read("main.tf");
    dir.run(&["fmt", "-check"])
        .expect_code(3)
        .contains("main.tf");
    assert_eq!(dir.read("main.tf"), before, "-check does not write");
    dir.run(&["fmt", "-check", "-diff"])
        .expect_code(3)
        .contains("-name=\"t\"")
        .contains("+  name  = \"t\"");
    dir.run(&["fmt"]).ok().contains("main.tf");
    assert_eq!(
        dir.read("main.tf"),
        "resource \"trellis_test_thing\" \"t\" {\n  name  = \"t\"\n  value = \"v\"\n}\n"
    );
    dir.run(&["fmt", "-check"]).ok();
}

#[test]
fn validate_success_and_failure() {
    let dir = Dir::with_main(&cfg(MESH));
    dir.run(&["validate"])
        .ok()
        .contains("Success! The configuration is valid.");
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_thing" "t" {
  nmae = "t"
}
"#),
    );
    dir.run(&["validate"])
        .expect_code(1)
        .contains("nmae")
        .contains("name");
    assert!(!dir.exists(".trellis"));
}

#[test]
fn version_and_bad_usage() {
    let dir = Dir::new();
    let v = dir.run(&["version"]);
    v.ok()
        .contains(&format!("trellis v{}", env!("CARGO_PKG_VERSION")));
    dir.run(&["no-such-command"])
        .expect_code(1)
        .contains("Error:");
    dir.run(&["plan", "-no-such-flag"])
        .expect_code(1)
        .contains("no-such-flag");
}

#[test]
fn chdir_runs_in_another_directory() {
    let dir = Dir::new();
    dir.write("infra/main.tf", &cfg(MESH));
    // The store path is relative to the process, so chdir into the parent and point the
    // command at the config: the world lands in the parent and the state in infra/.
    let run = dir.run(&["-chdir=infra", "validate"]);
    run.ok();
    dir.run(&["-chdir=infra", "plan"])
        .ok()
        .contains("Plan: 5 to add, 0 to change, 0 to destroy.");
}

#[test]
fn damaged_state_is_an_error_not_an_empty_state() {
    let dir = applied_mesh();
    // Corrupt every file of the state directory.
    let state_dir = dir.join(".trellis");
    let mut damaged = 0;
    for entry in walk(&state_dir) {
        let name = entry.to_string_lossy().to_string();
        if name.contains("backup") || name.ends_with(".lock") || name.contains("lock") {
            continue;
        }
        std::fs::write(&entry, b"garbage, not a database").unwrap();
        damaged += 1;
    }
    assert!(damaged > 0);
    let run = dir.run(&["plan"]);
    assert_ne!(run.code, 0, "a damaged state is an error: {run:?}");
    run.lacks("will be created");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
