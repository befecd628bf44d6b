//! CLI tests of diagnostics: every malformed configuration under `testdata/cli/malformed/`
//! runs through `trellis validate` and `trellis plan`; each must exit 1 (validate too, unless
//! the error needs values only a plan has), print diagnostics
//! with file, line and an underlined snippet (pinned by an insta snapshot), and leave no
//! state behind and the provider's world untouched. Plus the cycle error in detail.

mod common;

use std::path::{Path, PathBuf};

use common::{Dir, PROVIDER};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cli/malformed");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// A world file planted before the runs, to show that no provider call changed it.
const WORLD: &str = r#"{
  "next_id": 7,
  "objects": {},
  "calls": {}
}"#;

/// Cases whose error depends on values `validate` does not have (it evaluates with every
/// variable unknown and an empty state), so only `plan` reports them.
const PLAN_ONLY: &[&str] = &[
    "32-for-each-unknown",
    // The default fails its validation, but an input given to plan would replace it.
    "60-variable-validation-fails",
];

#[test]
fn malformed_configurations() {
    let cases = cases();
    assert!(
        cases.len() >= 50,
        "at least 50 cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let dir = Dir::new();
        for entry in std::fs::read_dir(case).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            dir.write(&file, &std::fs::read_to_string(&path).unwrap());
        }
        dir.write("world.json", WORLD);
        let validate = dir.run(&["validate"]);
        let plan = dir.run(&["plan"]);
        let apply = dir.run(&["apply", "-auto-approve"]);

        // `validate` finds every error that holds whatever the inputs and the state are;
        // only errors that need real values (unknown for_each keys) are left to plan.
        let plan_only = PLAN_ONLY.contains(&name.as_str());
        if plan_only != (validate.code == 0) {
            failures.push(format!(
                "{name}: validate exited {} (plan-only case: {plan_only}): {validate:?}",
                validate.code
            ));
        }
        // Every command refuses with diagnostics on stderr and nothing on stdout's plan.
        for (command, run) in [("plan", &plan), ("apply", &apply)] {
            if run.code != 1 || !run.stderr.contains("Error:") || run.stdout.contains("Plan:") {
                failures.push(format!("{name}: {command} exited {}: {run:?}", run.code));
            }
        }
        if !plan.stderr.contains(" line ") || !plan.stderr.contains('^') {
            failures.push(format!(
                "{name}: plan diagnostic has no position: {}",
                plan.stderr
            ));
        }
        assert_eq!(
            apply.stderr, plan.stderr,
            "{name}: apply reports what plan reports"
        );
        if dir.exists(".trellis") {
            failures.push(format!("{name}: a state directory was created"));
        }
        if dir.read("world.json") != WORLD {
            failures.push(format!("{name}: the world changed"));
        }

        let snapshot = if validate.stderr == plan.stderr {
            format!(
                "validate and plan: exit {} / {}\n\n{}",
                validate.code, plan.code, plan.stderr
            )
        } else {
            format!(
                "validate: exit {}\n{}{}\nplan: exit {}\n\n{}",
                validate.code, validate.stdout, validate.stderr, plan.code, plan.stderr
            )
        };
        insta::with_settings!({
            snapshot_path => "snapshots/malformed",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("testdata/cli/malformed/{name}"),
        }, {
            insta::assert_snapshot!(name.clone(), snapshot);
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn cycle_names_both_resources_with_positions() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}{}",
        r#"
resource "trellis_test_thing" "a" {
  name  = "a"
  value = trellis_test_thing.b.id
}

resource "trellis_test_thing" "b" {
  name  = "b"
  value = local.via
}

locals {
  via = trellis_test_thing.a.computed_value
}
"#
    ));
    for command in ["validate", "plan", "graph"] {
        let run = dir.run(&[command]);
        run.expect_code(1)
            .contains("cycle")
            .contains("trellis_test_thing.a (main.tf:5:1)")
            .contains("trellis_test_thing.b (main.tf:10:1)")
            .contains("local.via (main.tf:");
    }
    assert!(!dir.exists(".trellis"));
}

#[test]
fn all_errors_are_reported_not_the_first() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}{}",
        r#"
resource "trellis_test_thing" "a" {
  nmae = "a"
}
resource "trellis_test_thing" "b" {
  valeu = "b"
}
resource "trellis_test_nope" "c" {
}
"#
    ));
    let run = dir.run(&["validate"]);
    run.expect_code(1)
        .contains("\"nmae\"")
        .contains("\"valeu\"")
        .contains("\"trellis_test_nope\"");
}

#[test]
fn apply_of_a_malformed_config_calls_no_provider() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}{}",
        r#"
resource "trellis_test_thing" "ok" {
  name = "ok"
}
resource "trellis_test_thing" "bad" {
  name  = "bad"
  value = var.undeclared
}
"#
    ));
    dir.run(&["apply", "-auto-approve"]).expect_code(1);
    assert!(!dir.exists("world.json"), "no provider call was made");
    assert!(!dir.exists(".trellis"));
}

#[test]
fn validate_evaluates_with_unknown_variables_and_no_provider() {
    // Required variables without values, count and for_each from them, and a provider block
    // that needs them: validate still evaluates every body and finds the errors in them,
    // configures no provider and touches nothing.
    let dir = Dir::with_main(
        r#"
variable "n" {
  type = number
}
variable "names" {
  type = set(string)
}
variable "store" {
  type = string
}
provider "trellis" {
  store = var.store
}
resource "trellis_test_thing" "counted" {
  count = var.n
  name  = "t-${count.index}"
  value = "x" * 2
}
resource "trellis_test_thing" "each" {
  for_each = var.names
  name     = each.key
  value    = trellis_test_thing.counted[0].computed_value
}
resource "trellis_test_thing" "plain" {
  name  = "plain"
  value = upper(var.store, 1)
}
resource "trellis_test_thing" "named" {
  name  = "named"
  value = trellis_test_thing.badly_named.no_such_attribute
}
resource "trellis_test_thing" "badly_named" {
  name = "--bad--"
}
"#,
    );
    let run = dir.run(&["validate"]);
    run.expect_code(1)
        .contains("operator \"*\" needs a number")
        .contains("main.tf line 17")
        .contains("invalid name \"--bad--\"")
        .contains("no_such_attribute")
        .contains("upper(): expects 1 argument");
    assert!(!dir.exists(".trellis"));
    assert!(!dir.exists("world.json"), "no provider was configured");

    // The same configuration without the errors is valid, with no variable given.
    let dir = Dir::with_main(
        r#"
variable "n" {
  type = number
}
variable "names" {
  type = set(string)
}
provider "trellis" {
  store = "world.json"
}
resource "trellis_test_thing" "counted" {
  count = var.n
  name  = "t-${count.index}"
}
resource "trellis_test_thing" "each" {
  for_each = var.names
  name     = each.key
  value    = trellis_test_thing.counted[0].computed_value
}
"#,
    );
    dir.run(&["validate"])
        .expect_code(0)
        .contains("The configuration is valid");
    assert!(!dir.exists("world.json"));
}
