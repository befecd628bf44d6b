//! CLI tests of local modules with the in-memory provider: planning and applying a
//! configuration that calls modules, `count` and `for_each` on module blocks (removing a key
//! destroys exactly that instance's objects, in dependency order), outputs passed from one
//! module to another, the `providers` map and inherited provider configurations, sensitive
//! outputs, module addresses in state commands, `import` and `trellis graph`, and the
//! diagnostics of bad module calls (each with file, line and column, exit 1, no state).

mod common;

use common::{Dir, PROVIDER};

/// A module with a network, a service and an association between them; the service name
/// comes from the caller.
const SVC_MODULE: &str = r#"
variable "name" {
  type = string
}

# The network's ID is not known at plan time when it comes from another module, so
# whether to make an own network is a separate, known flag (count must be known).
variable "network_id" {
  type    = string
  default = null
}

variable "own_network" {
  type    = bool
  default = true
}

resource "trellis_test_network" "net" {
  count = var.own_network ? 1 : 0
  name  = "${var.name}-net"
}

resource "trellis_test_service" "this" {
  name = var.name
}

resource "trellis_test_association" "this" {
  service_id = trellis_test_service.this.id
  network_id = var.own_network ? trellis_test_network.net[0].id : var.network_id
}

output "service_id" {
  value = trellis_test_service.this.id
}

output "association_id" {
  value = trellis_test_association.this.id
}
"#;

fn with_svc_module(main: &str) -> Dir {
    let dir = Dir::with_main(&format!("{PROVIDER}\n{main}"));
    dir.write("modules/svc/main.tf", SVC_MODULE);
    dir
}

#[test]
fn module_plans_applies_and_replans_without_changes() {
    let dir = with_svc_module(
        r#"
module "orders" {
  source = "./modules/svc"
  name   = "orders"
}

output "orders_service" {
  value = module.orders.service_id
}
"#,
    );
    dir.run(&["plan"])
        .ok()
        .contains("module.orders.trellis_test_service.this will be created")
        .contains("module.orders.trellis_test_network.net[0] will be created")
        .contains("module.orders.trellis_test_association.this will be created")
        .contains("Plan: 3 to add, 0 to change, 0 to destroy.");
    dir.apply(&[]);
    assert_eq!(
        dir.state_list(),
        vec![
            "module.orders.trellis_test_association.this",
            "module.orders.trellis_test_network.net[0]",
            "module.orders.trellis_test_service.this",
        ]
    );
    let service = dir
        .object_named("trellis_test_service", "orders")
        .expect("the module's service exists");
    dir.run(&["output", "-raw", "orders_service"])
        .ok()
        .contains(service["id"].as_str().unwrap());
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(0)
        .contains("No changes.");
    dir.run(&["state", "show", "module.orders.trellis_test_service.this"])
        .ok()
        .contains("\"orders\"");
    dir.run(&["validate"]).ok();
}

#[test]
fn removing_a_for_each_key_destroys_exactly_that_module_instance() {
    let dir = with_svc_module(
        r#"
variable "services" {
  type    = set(string)
  default = ["billing", "orders"]
}

module "svc" {
  source   = "./modules/svc"
  for_each = var.services
  name     = each.key
}

output "ids" {
  value = { for k, m in module.svc : k => m.service_id }
}
"#,
    );
    dir.apply(&[]);
    assert_eq!(dir.state_list().len(), 6);
    assert_eq!(dir.objects("trellis_test_service").len(), 2);
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);

    let run = dir.run(&["plan", "-var", "services=[\"orders\"]"]);
    run.ok()
        .contains("module.svc[\"billing\"].trellis_test_service.this will be destroyed")
        .contains("(because module.svc[\"billing\"] is not in configuration)")
        .contains("module.svc[\"billing\"].trellis_test_association.this will be destroyed")
        .contains("module.svc[\"billing\"].trellis_test_network.net[0] will be destroyed")
        .contains("Plan: 0 to add, 0 to change, 3 to destroy.")
        .lacks("module.svc[\"orders\"].trellis_test_service.this will be destroyed");
    // The service and the network refuse deletion while the association exists: the apply
    // succeeds only when the association goes first.
    dir.apply(&["-var", "services=[\"orders\"]"])
        .contains("0 added, 0 changed, 3 destroyed");
    assert_eq!(
        dir.state_list(),
        vec![
            "module.svc[\"orders\"].trellis_test_association.this",
            "module.svc[\"orders\"].trellis_test_network.net[0]",
            "module.svc[\"orders\"].trellis_test_service.this",
        ]
    );
    assert!(dir
        .object_named("trellis_test_service", "billing")
        .is_none());
    assert!(dir
        .object_named("trellis_test_network", "billing-net")
        .is_none());
    assert!(dir.object_named("trellis_test_service", "orders").is_some());
    assert_eq!(dir.objects("trellis_test_association").len(), 1);
    dir.run(&[
        "plan",
        "-detailed-exitcode",
        "-var",
        "services=[\"orders\"]",
    ])
    .expect_code(0);
}

#[test]
fn outputs_pass_from_one_module_to_another_and_order_the_apply() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\n{}",
        r#"
module "net" {
  source = "./modules/net"
  name   = "mesh"
}

module "svc" {
  source     = "./modules/svc"
  count      = 2
  name        = "svc-${count.index}"
  network_id  = module.net.network_id
  own_network = false
}

output "associations" {
  value = module.svc[*].association_id
}
"#
    ));
    dir.write(
        "modules/net/main.tf",
        r#"
variable "name" {
  type = string
}

resource "trellis_test_network" "this" {
  name = var.name
}

output "network_id" {
  value = trellis_test_network.this.id
}
"#,
    );
    dir.write("modules/svc/main.tf", SVC_MODULE);
    dir.run(&["plan"])
        .ok()
        .contains("module.svc[1].trellis_test_association.this will be created")
        .contains("Plan: 5 to add, 0 to change, 0 to destroy.");
    dir.apply(&[]);
    let network = dir
        .object_named("trellis_test_network", "mesh")
        .expect("the network exists");
    let associations = dir.objects("trellis_test_association");
    assert_eq!(associations.len(), 2);
    for (_, a) in &associations {
        assert_eq!(a["network_id"], network["id"]);
    }
    // The association in the module depends on the network in the other module.
    let state = dir.state_json();
    let deps = state.to_string();
    assert!(
        deps.contains("module.net.trellis_test_network.this"),
        "the state records the dependency across modules: {deps}"
    );
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    dir.run(&["graph"])
        .ok()
        .contains("module.svc.var.network_id")
        .contains("module.net.output.network_id");

    // Destroying everything deletes associations before the network they join.
    dir.run(&["destroy", "-auto-approve"])
        .ok()
        .contains("Destroy complete! Resources: 5 destroyed.");
    assert!(dir.objects("trellis_test_network").is_empty());
}

#[test]
fn providers_map_and_inherited_default_configuration() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\n{}",
        r#"
provider "trellis" {
  alias = "other"
  store = "other.json"
}

module "here" {
  source = "./modules/thing"
  name   = "inherited"
}

module "there" {
  source = "./modules/thing"
  name   = "passed"
  providers = {
    trellis = trellis.other
  }
}
"#
    ));
    dir.write(
        "modules/thing/main.tf",
        r#"
variable "name" {
  type = string
}

resource "trellis_test_thing" "t" {
  name = var.name
}
"#,
    );
    dir.apply(&[]);
    assert!(dir
        .object_named("trellis_test_thing", "inherited")
        .is_some());
    assert!(dir.object_named("trellis_test_thing", "passed").is_none());
    let other: serde_json::Value = serde_json::from_str(&dir.read("other.json")).unwrap();
    let names: Vec<String> = other["objects"]
        .as_object()
        .unwrap()
        .values()
        .map(|o| o["value"]["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(names, vec!["passed".to_string()]);
    let state = dir.state_json().to_string();
    assert!(state.contains("trellis.other"), "{state}");
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
}

#[test]
fn sensitive_outputs_stay_sensitive_through_modules() {
    let module = r#"
variable "secret" {
  type      = string
  sensitive = true
}

resource "trellis_test_thing" "t" {
  name   = "holder"
  secret = var.secret
}

output "secret" {
  value     = var.secret
  sensitive = true
}

output "id" {
  value = trellis_test_thing.t.id
}
"#;
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\n{}",
        r#"
module "s" {
  source = "./modules/s"
  secret = "hunter2-password"
}

output "leak" {
  value = module.s.secret
}
"#
    ));
    dir.write("modules/s/main.tf", module);
    dir.run(&["plan"])
        .expect_code(1)
        .contains("output \"leak\" refers to sensitive values")
        .lacks("hunter2-password");
    dir.write(
        "main.tf",
        &format!(
            "{PROVIDER}\n{}",
            r#"
module "s" {
  source = "./modules/s"
  secret = "hunter2-password"
}

output "leak" {
  value     = module.s.secret
  sensitive = true
}
"#
        ),
    );
    dir.run(&["plan"])
        .ok()
        .contains("(sensitive value)")
        .lacks("hunter2-password");
    dir.apply(&[]).lacks("hunter2-password");
}

#[test]
fn state_commands_and_import_use_module_addresses() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\n{}",
        r#"
module "a" {
  source = "./modules/thing"
}

import {
  to = module.a.trellis_test_thing.t
  id = var.existing
}

variable "existing" {
  type = string
}
"#
    ));
    dir.write(
        "modules/thing/main.tf",
        r#"
resource "trellis_test_thing" "t" {
  name = "adopted"
}
"#,
    );
    // An object trellis no longer manages, then adopted by an import block into the module.
    let module_config = dir.read("main.tf");
    dir.write(
        "main.tf",
        &format!(
            "{PROVIDER}\nresource \"trellis_test_thing\" \"seed\" {{\n  name = \"adopted\"\n}}\n"
        ),
    );
    dir.apply(&[]);
    dir.run(&["state", "rm", "trellis_test_thing.seed"]).ok();
    dir.write("main.tf", &module_config);
    let id = dir.object_named("trellis_test_thing", "adopted").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    dir.run(&["plan", "-var", &format!("existing={id}")])
        .ok()
        .contains("module.a.trellis_test_thing.t will be imported")
        .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
    dir.apply(&["-var", &format!("existing={id}")]);
    assert_eq!(dir.state_list(), vec!["module.a.trellis_test_thing.t"]);

    dir.run(&[
        "state",
        "mv",
        "module.a.trellis_test_thing.t",
        "module.a.trellis_test_thing.u",
    ])
    .ok();
    assert_eq!(dir.state_list(), vec!["module.a.trellis_test_thing.u"]);
    dir.run(&["state", "rm", "module.a.trellis_test_thing.u"])
        .ok();
    assert!(dir.state_list().is_empty());

    // `trellis import ADDR ID` into the module's resource.
    dir.write(
        "main.tf",
        &format!("{PROVIDER}\nmodule \"a\" {{\n  source = \"./modules/thing\"\n}}\n"),
    );
    dir.run(&["import", "module.a.trellis_test_thing.t", &id])
        .ok()
        .contains("Import successful!");
    assert_eq!(dir.state_list(), vec!["module.a.trellis_test_thing.t"]);
    dir.run(&["plan", "-detailed-exitcode"]).expect_code(0);
    dir.run(&["import", "module.b.trellis_test_thing.t", &id])
        .expect_code(1)
        .contains("module call module.b is not in the configuration");
}

#[test]
fn depends_on_a_module_waits_for_everything_inside_it() {
    let dir = with_svc_module(
        r#"
module "first" {
  source = "./modules/svc"
  name   = "first"
}

resource "trellis_test_thing" "after" {
  name       = "after"
  depends_on = [module.first]
}
"#,
    );
    dir.apply(&[]);
    let state = dir.state_json();
    let after = state["resources"]
        .as_array()
        .map(|r| r.to_vec())
        .unwrap_or_else(|| {
            state["resources"]
                .as_object()
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default()
        })
        .into_iter()
        .find(|r| r["address"] == "trellis_test_thing.after")
        .expect("the resource is in state");
    let deps = after["dependencies"].to_string();
    assert!(
        deps.contains("module.first.trellis_test_association.this")
            && deps.contains("module.first.trellis_test_service.this"),
        "{deps}"
    );
}

fn diagnostics_case(main: &str, module: Option<(&str, &str)>) -> Dir {
    let dir = Dir::with_main(&format!("{PROVIDER}\n{main}"));
    if let Some((path, text)) = module {
        dir.write(path, text);
    }
    dir
}

/// A bad module call: the root file, a module file (path, text), the needles expected.
type Case = (
    &'static str,
    Option<(&'static str, &'static str)>,
    Vec<&'static str>,
);

#[test]
fn bad_module_calls_are_diagnostics_with_positions() {
    let thing = r#"
variable "name" {
  type = string
}

variable "port" {
  type    = number
  default = 80
  validation {
    condition     = var.port > 0 && var.port < 65536
    error_message = "port must be between 1 and 65535"
  }
}

resource "trellis_test_thing" "t" {
  name = var.name
}

output "id" {
  value = trellis_test_thing.t.id
}
"#;
    let cases: Vec<Case> = vec![
        (
            "module \"m\" {\n  source = \"git::https://example.com/m.git\"\n}\n",
            None,
            vec![
                "main.tf:6:12",
                "module \"m\" is not installed",
                "run `trellis init` to install it",
            ],
        ),
        (
            "module \"m\" {\n  source = \"./modules/missing\"\n}\n",
            None,
            vec!["main.tf:6:12", "cannot read module directory \"modules/missing\""],
        ),
        (
            "module \"m\" {\n  source = \"./modules/thing\"\n  nmae   = \"x\"\n}\n",
            Some(("modules/thing/main.tf", thing)),
            vec![
                "main.tf:7:3",
                "unsupported argument `nmae` for module.m",
                "main.tf:5:1",
                "missing required argument `name` for module.m",
            ],
        ),
        (
            "module \"m\" {\n  source = \"./modules/thing\"\n  name   = \"x\"\n  port   = \"http\"\n}\n",
            Some(("modules/thing/main.tf", thing)),
            vec!["main.tf:8:3", "invalid value for module.m argument \"port\""],
        ),
        (
            "module \"m\" {\n  source = \"./modules/thing\"\n  name   = \"x\"\n  port   = 70000\n}\n",
            Some(("modules/thing/main.tf", thing)),
            vec!["main.tf:8:3", "port must be between 1 and 65535"],
        ),
        (
            "module \"m\" {\n  source = \"./modules/loop\"\n}\n",
            Some((
                "modules/loop/main.tf",
                "module \"again\" {\n  source = \"../loop\"\n}\n",
            )),
            vec!["modules/loop/main.tf:2:12", "module cycle"],
        ),
        (
            "module \"m\" {\n  source = \"./modules/thing\"\n  name   = \"x\"\n}\noutput \"o\" {\n  value = module.m.nope\n}\n",
            Some(("modules/thing/main.tf", thing)),
            vec!["main.tf:10:11", "module.m has no output \"nope\""],
        ),
        (
            "module \"m\" {\n  source = \"./modules/thing\"\n  name   = \"x\"\n  providers = {\n    trellis = trellis.nowhere\n  }\n}\n",
            Some(("modules/thing/main.tf", thing)),
            vec!["main.tf:9:15", "provider configuration trellis.nowhere is not declared"],
        ),
        (
            "module \"m\" {\n  source = \"./modules/p\"\n}\n",
            Some((
                "modules/p/main.tf",
                "provider \"trellis\" {\n  alias = \"inner\"\n}\nresource \"trellis_test_thing\" \"t\" {\n  provider = trellis.inner\n}\n",
            )),
            vec!["modules/p/main.tf:1:1", "provider configuration trellis.inner inside module.m"],
        ),
    ];
    for (main, module, expected) in cases {
        let dir = diagnostics_case(main, module);
        for command in [&["validate"][..], &["plan"][..]] {
            let run = dir.run(command);
            run.expect_code(1);
            for needle in &expected {
                run.contains(&at(needle));
            }
        }
        assert!(
            !dir.exists("world.json") && dir.state_list().is_empty(),
            "no state and no provider call for {main}"
        );
    }
}

#[test]
fn deep_module_nesting_is_refused() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\nmodule \"m\" {{\n  source = \"./m\"\n}}\n"
    ));
    // Each level calls the next one down, a fresh directory every time.
    let mut path = String::from("m");
    for _ in 0..20 {
        dir.write(
            &format!("{path}/main.tf"),
            "module \"m\" {\n  source = \"./m\"\n}\n",
        );
        path.push_str("/m");
    }
    dir.write(&format!("{path}/main.tf"), "");
    dir.run(&["validate"])
        .expect_code(1)
        .contains("modules nested too deeply");
}

/// An import block whose module instance does not exist is an error at the block, never
/// dropped (the plan would then create the object the user meant to adopt): an address
/// without the module's key, a key the module does not have, a module with no instances.
#[test]
fn import_into_a_module_instance_that_does_not_exist_is_an_error() {
    let dir = with_svc_module(
        "module \"svc\" {\n  source = \"./modules/svc\"\n  count  = 2\n  name   = \"s${count.index}\"\n}\n\nmodule \"none\" {\n  source = \"./modules/svc\"\n  count  = 0\n  name   = \"none\"\n}\n",
    );
    for (to, expected) in [
        (
            "module.svc.trellis_test_service.this",
            "the resource is at: module.svc[0].trellis_test_service.this, module.svc[1].trellis_test_service.this",
        ),
        (
            "module.svc[5].trellis_test_service.this",
            "the resource is at: module.svc[0].trellis_test_service.this",
        ),
        (
            "module.none[0].trellis_test_service.this",
            "its module has no instances",
        ),
    ] {
        dir.write(
            "imports.tf",
            &format!("import {{\n  to = {to}\n  id = \"svc-00000001\"\n}}\n"),
        );
        dir.run(&["plan"])
            .expect_code(1)
            .contains(&format!("import target {to} is not an instance of the configuration"))
            .contains(expected)
            .contains(&at("imports.tf:1:1"));
        assert!(!dir.exists("world.json") && dir.state_list().is_empty());
    }
    // Without the block the same configuration plans and applies.
    dir.write("imports.tf", "");
    dir.apply(&[]);
}

/// As in Terraform: a null argument for a variable with `nullable = false` and a default
/// takes the default; without a default it is an error at the argument.
#[test]
fn null_argument_for_a_non_nullable_variable_takes_its_default() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\nmodule \"m\" {{\n  source = \"./m\"\n  name   = null\n}}\n"
    ));
    dir.write(
        "m/main.tf",
        "variable \"name\" {\n  type     = string\n  default  = \"fallback\"\n  nullable = false\n}\n\nresource \"trellis_test_thing\" \"t\" {\n  name = var.name\n}\n",
    );
    dir.apply(&[]);
    assert!(dir.object_named("trellis_test_thing", "fallback").is_some());

    dir.write(
        "m/main.tf",
        "variable \"name\" {\n  type     = string\n  nullable = false\n}\n\nresource \"trellis_test_thing\" \"t\" {\n  name = var.name\n}\n",
    );
    dir.run(&["plan"])
        .expect_code(1)
        .contains("must not be null")
        .contains(&at("main.tf:7:3"));
}

/// A module's `*.tf.json` file is read with its `*.tf` files, not left out (whose
/// resources in state the plan would then delete).
#[test]
fn json_files_in_a_module_are_read_not_left_out() {
    let dir = with_svc_module(
        "module \"orders\" {\n  source = \"./modules/svc\"\n  name   = \"orders\"\n}\n",
    );
    dir.write(
        "modules/svc/extra.tf.json",
        r#"{"resource": {"trellis_test_thing": {"x": {"name": "${var.name}-x"}}}}"#,
    );
    dir.run(&["validate"]).ok();
    dir.run(&["plan"])
        .ok()
        .contains("module.orders.trellis_test_thing.x will be created")
        .contains("Plan: 4 to add, 0 to change, 0 to destroy.");
}

/// Module calls multiply `count`: 999 instances of a module whose resource has 999,999
/// would be about 10^9 resources. The plan stops at the cap with a diagnostic at the block
/// that passed it, and calls no provider.
#[test]
fn instances_multiplied_by_modules_are_capped() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\nmodule \"m\" {{\n  source = \"./m\"\n  count  = 999\n}}\n"
    ));
    dir.write(
        "m/main.tf",
        "resource \"trellis_test_thing\" \"t\" {\n  count = 999999\n  name  = \"t${count.index}\"\n}\n",
    );
    dir.run(&["plan"])
        .expect_code(1)
        .contains("too many instances")
        .contains("more than 1000000 resource and module instances")
        .contains(&at("m/main.tf:1:1"));
    assert!(!dir.exists("world.json") && dir.state_list().is_empty());
}

/// A `FILE:LINE:COLUMN` needle as the diagnostics print it (`on FILE line L, column C`);
/// other needles as they are.
fn at(needle: &str) -> String {
    let mut parts = needle.rsplitn(3, ':');
    let (Some(column), Some(line), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return needle.to_string();
    };
    if file.ends_with(".tf") && line.parse::<u32>().is_ok() && column.parse::<u32>().is_ok() {
        format!("on {file} line {line}, column {column}")
    } else {
        needle.to_string()
    }
}
