//! CLI tests of `import` blocks and `trellis import ADDR ID` against the in-memory provider.
//!
//! Objects are made "outside trellis" by applying a configuration and then forgetting it
//! with `state rm`: the objects stay in the provider's world file, unmanaged.

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
  tags     = { team = "x" }
}
"#;

/// A directory whose world holds a network and two services that the state does not know.
fn unmanaged_mesh() -> (Dir, String, String, String) {
    let dir = Dir::with_main(&cfg(MESH));
    dir.apply(&[]);
    dir.run(&[
        "state",
        "rm",
        "trellis_test_network.mesh",
        "trellis_test_service.svc",
    ])
    .ok();
    assert!(dir.state_list().is_empty());
    let id = |t: &str, n: &str| {
        dir.object_named(t, n).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (net, a, b) = (
        id("trellis_test_network", "mesh"),
        id("trellis_test_service", "a"),
        id("trellis_test_service", "b"),
    );
    (dir, net, a, b)
}

fn creates(dir: &Dir) -> u64 {
    dir.world()["calls"]["create"].as_u64().unwrap_or(0)
}

#[test]
fn import_blocks_plan_imports_and_apply_records_without_creating() {
    let (dir, net, a, b) = unmanaged_mesh();
    dir.write(
        "imports.tf",
        &format!(
            r#"
import {{
  to = trellis_test_network.mesh
  id = "{net}"
}}

import {{
  for_each = {{ a = "{a}", b = "{b}" }}
  to       = trellis_test_service.svc[each.key]
  id       = each.value
}}
"#
        ),
    );
    let before = creates(&dir);
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(2)
        .contains("# trellis_test_network.mesh will be imported")
        .contains(&format!("# (import ID \"{net}\")"))
        .contains("# trellis_test_service.svc[\"a\"] will be imported")
        .contains("Plan: 3 to import, 0 to add, 0 to change, 0 to destroy.");
    assert!(dir.state_list().is_empty(), "plan records nothing");
    let json = dir.run(&["plan", "-json"]);
    json.ok();
    assert!(json.stdout.contains("\"importing\""), "{}", json.stdout);
    dir.apply(&[])
        .contains("trellis_test_network.mesh: imported")
        .contains("Apply complete! Resources: 3 imported, 0 added, 0 changed, 0 destroyed.");
    assert_eq!(creates(&dir), before, "apply created nothing");
    assert_eq!(
        dir.state_list(),
        vec![
            "trellis_test_network.mesh",
            "trellis_test_service.svc[\"a\"]",
            "trellis_test_service.svc[\"b\"]"
        ]
    );
    let state = dir.state_json();
    let text = state.to_string();
    assert!(text.contains(&net) && text.contains(&a) && text.contains(&b));
    // The import blocks stay: they are no-ops once the addresses are in state.
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(0)
        .contains("No changes.");
}

#[test]
fn import_of_an_object_that_differs_shows_the_update_on_top() {
    let (dir, net, a, _) = unmanaged_mesh();
    dir.write(
        "main.tf",
        &cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}

resource "trellis_test_service" "one" {
  name = "a"
  tags = { team = "y" }
}
"#),
    );
    dir.write(
        "imports.tf",
        &format!(
            "import {{\n  to = trellis_test_network.mesh\n  id = \"{net}\"\n}}\n\nimport {{\n  to = trellis_test_service.one\n  id = \"{a}\"\n}}\n"
        ),
    );
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_service.one will be updated in-place")
        .contains(&format!("# (imported from \"{a}\")"))
        .contains(r#"~ team = "x" -> "y""#)
        .contains("Plan: 2 to import, 0 to add, 1 to change, 0 to destroy.");
    dir.apply(&[]).contains("2 imported, 0 added, 1 changed");
    assert_eq!(
        dir.object_named("trellis_test_service", "a").unwrap()["tags"]["team"],
        "y"
    );
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn wrong_or_missing_ids_are_diagnostics_at_the_block_and_change_nothing() {
    let (dir, _, _, _) = unmanaged_mesh();
    dir.write(
        "imports.tf",
        "import {\n  to = trellis_test_network.mesh\n  id = \"net-zz\"\n}\n",
    );
    let world_before = dir.read("world.json");
    dir.run(&["plan"])
        .expect_code(1)
        .contains("cannot import trellis_test_network.mesh")
        .contains("is not a trellis_test_network ID")
        .contains("imports.tf line 3, column 8");
    dir.run(&["apply", "-auto-approve"]).expect_code(1);
    dir.write(
        "imports.tf",
        "import {\n  to = trellis_test_network.mesh\n  id = \"net-0000ffff\"\n}\n",
    );
    dir.run(&["apply", "-auto-approve"])
        .expect_code(1)
        .contains("no trellis_test_network with ID \"net-0000ffff\" exists")
        .contains("imports.tf line 3, column 8");
    assert!(dir.state_list().is_empty(), "state unchanged");
    let objects = |text: &str| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(text).unwrap()["objects"].clone()
    };
    assert_eq!(objects(&world_before), objects(&dir.read("world.json")));
}

#[test]
fn import_blocks_are_checked_against_the_configuration() {
    let dir = Dir::with_main(&cfg(MESH));
    dir.write(
        "imports.tf",
        r#"
import {
  to = trellis_test_network.mseh
  id = "net-00000001"
}

import {
  to = trellis_test_service.svc
  id = "svc-00000001"
}

import {
  to = trellis_test_service.svc["c"]
  id = "svc-00000001"
}
"#,
    );
    dir.run(&["validate"])
        .expect_code(1)
        .contains("import target trellis_test_network.mseh is not in the configuration")
        .contains("did you mean \"trellis_test_network.mesh\"")
        .contains("import target trellis_test_service.svc needs an instance key");
    dir.write(
        "imports.tf",
        "import {\n  to = trellis_test_service.svc[\"c\"]\n  id = \"svc-00000001\"\n}\n",
    );
    dir.run(&["plan"]).expect_code(1).contains(
        "import target trellis_test_service.svc[\"c\"] is not an instance of the configuration",
    );
    assert!(!dir.exists("world.json") || dir.objects("trellis_test_service").is_empty());
}

#[test]
fn import_command_writes_one_record() {
    let (dir, net, a, _) = unmanaged_mesh();
    dir.run(&["import", "trellis_test_network.mesh", &net])
        .ok()
        .contains("Import successful!");
    assert_eq!(dir.state_list(), vec!["trellis_test_network.mesh"]);
    dir.run(&["import", "trellis_test_service.svc[\"a\"]", &a])
        .ok();
    // Already managed: refused, state unchanged.
    dir.run(&["import", "trellis_test_network.mesh", &net])
        .expect_code(1)
        .contains("trellis_test_network.mesh is already managed by trellis");
    // Missing and malformed IDs, and addresses the configuration lacks.
    dir.run(&["import", "trellis_test_service.svc[\"b\"]", "svc-0000abcd"])
        .expect_code(1)
        .contains("no trellis_test_service with ID \"svc-0000abcd\" exists");
    dir.run(&["import", "trellis_test_service.svc[\"b\"]", "bogus"])
        .expect_code(1)
        .contains("is not a trellis_test_service ID");
    dir.run(&["import", "trellis_test_service.nope", &a])
        .expect_code(1)
        .contains("resource trellis_test_service.nope is not in the configuration");
    dir.run(&["import", "trellis_test_service.svc", &a])
        .expect_code(1)
        .contains("needs an instance key");
    assert_eq!(
        dir.state_list(),
        vec![
            "trellis_test_network.mesh",
            "trellis_test_service.svc[\"a\"]"
        ]
    );
    // The remaining instance is still to be created: the plan says so, nothing else.
    dir.run(&["plan"])
        .ok()
        .contains("Plan: 1 to add, 0 to change, 0 to destroy.");
}

#[test]
fn discovery_writes_configuration_that_imports_with_no_changes() {
    let dir = Dir::with_main(&cfg(r#"
resource "trellis_test_network" "mesh" {
  name = "mesh"
}

resource "trellis_test_service" "svc" {
  for_each  = toset(["orders", "billing"])
  name      = each.key
  auth_type = "AWS_IAM"
  tags      = { team = each.key }
}

resource "trellis_test_association" "assoc" {
  for_each   = trellis_test_service.svc
  service_id = each.value.id
  network_id = trellis_test_network.mesh.id
}

resource "trellis_test_listener" "http" {
  name       = "orders-http"
  service_id = trellis_test_service.svc["orders"].id
  port       = 8080
  default_action {
    status_code = 404
  }
}
"#));
    dir.apply(&[]);
    // Forget everything, as if the mesh had been built by hand.
    dir.run(&[
        "state",
        "rm",
        "trellis_test_network.mesh",
        "trellis_test_service.svc",
        "trellis_test_association.assoc",
        "trellis_test_listener.http",
    ])
    .ok();
    dir.write("main.tf", PROVIDER);
    let net = dir.object_named("trellis_test_network", "mesh").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let flag = format!("-service-network={net}");
    dir.run(&[
        "import",
        "-provider=trellis",
        &flag,
        "-generate-config-out=mesh.tf",
    ])
    .ok()
    .contains("Discovered 6 objects")
    .contains("Wrote mesh.tf: 6 resource blocks and 6 import blocks.");
    let generated = dir.read("mesh.tf");
    assert!(
        generated.contains("resource \"trellis_test_service\" \"orders\""),
        "{generated}"
    );
    assert!(
        generated.contains("service_id = trellis_test_service.orders.id"),
        "{generated}"
    );
    assert!(
        generated.contains("network_id = trellis_test_network.mesh.id"),
        "{generated}"
    );
    assert!(
        generated.contains("resource \"trellis_test_association\" \"orders_mesh\""),
        "{generated}"
    );
    assert!(
        !generated.contains("protocol"),
        "defaults are left out:\n{generated}"
    );
    assert!(dir.state_list().is_empty(), "discovery writes no state");
    // An existing file is never overwritten.
    dir.run(&[
        "import",
        "-provider=trellis",
        &flag,
        "-generate-config-out=mesh.tf",
    ])
    .expect_code(1)
    .contains("mesh.tf already exists");

    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(2)
        .contains("Plan: 6 to import, 0 to add, 0 to change, 0 to destroy.");
    let before = creates(&dir);
    dir.apply(&[])
        .contains("6 imported, 0 added, 0 changed, 0 destroyed");
    assert_eq!(creates(&dir), before);
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    // A missing network is an error and writes nothing.
    dir.run(&[
        "import",
        "-provider=trellis",
        "-service-network=net-0000ffff",
        "-generate-config-out=other.tf",
    ])
    .expect_code(1)
    .contains("discovery failed");
    assert!(!dir.exists("other.tf"));
}
