//! Deposed objects, against the in-memory provider: a create_before_destroy replacement
//! whose delete of the old object fails keeps the old object as deposed, the next plan
//! destroys it in every view, and state commands show it.

mod common;

use common::{Dir, PROVIDER};

fn thing(name: &str, fail_on: Option<&str>) -> String {
    let fail = fail_on
        .map(|f| format!("  fail_on = \"{f}\"\n"))
        .unwrap_or_default();
    format!(
        r#"{PROVIDER}
resource "trellis_test_thing" "t" {{
  name = "{name}"
{fail}  lifecycle {{
    create_before_destroy = true
  }}
}}
"#
    )
}

/// Applies `one` (whose delete fails), then replaces it by `two`: the delete half fails.
fn failed_replacement() -> Dir {
    let dir = Dir::with_main(&thing("one", Some("delete")));
    dir.apply(&[]);
    dir.write("main.tf", &thing("two", None));
    dir.run(&["apply", "-auto-approve"])
        .expect_code(1)
        .contains("injected failure on delete");
    dir
}

/// The deposed key of the only deposed object in the state.
fn deposed_key(dir: &Dir) -> String {
    let state = dir.state_json();
    let deposed = state["deposed"].as_array().expect("a deposed list");
    assert_eq!(deposed.len(), 1, "{state:#}");
    deposed[0]["key"].as_str().unwrap().to_string()
}

#[test]
fn a_failed_delete_of_the_old_object_leaves_it_deposed_and_the_next_apply_destroys_it() {
    let dir = failed_replacement();
    // Both objects exist; the new one is current, the old one deposed: nothing forgotten.
    assert_eq!(dir.objects("trellis_test_thing").len(), 2);
    let state = dir.state_json();
    assert_eq!(state["resources"][0]["value"]["name"], "two");
    let key = deposed_key(&dir);
    assert_eq!(key.len(), 8);
    assert_eq!(state["deposed"][0]["object"]["value"]["name"], "one");
    assert_eq!(
        dir.state_list(),
        vec![
            "trellis_test_thing.t".to_string(),
            format!("trellis_test_thing.t (deposed object {key})")
        ]
    );
    dir.run(&["state", "show", "trellis_test_thing.t"])
        .ok()
        .contains(&format!("# trellis_test_thing.t (deposed object {key}):"))
        .contains("\"one\"")
        .contains("\"two\"");

    // Every view shows the deposed object as its own destroy.
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(2)
        .contains(&format!(
            "# trellis_test_thing.t (deposed object {key}) will be destroyed"
        ))
        .contains("Plan: 0 to add, 0 to change, 1 to destroy.");
    let json = dir.run(&["plan", "-json"]);
    json.ok();
    let plan: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("plan -json prints JSON");
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    let entry = changes
        .iter()
        .find(|c| c["deposed"] == key.as_str())
        .unwrap_or_else(|| panic!("no deposed entry in {plan:#}"));
    assert_eq!(entry["address"], "trellis_test_thing.t");
    assert_eq!(entry["change"]["actions"], serde_json::json!(["delete"]));
    assert!(entry.get("action_reason").is_none());

    // The delete still fails while the old object says so: it stays deposed, never lost.
    dir.run(&["apply", "-auto-approve"])
        .expect_code(1)
        .contains("injected failure on delete");
    assert_eq!(deposed_key(&dir), key);

    // Once the object can be deleted (here: the failure switch dropped from its record),
    // the next apply deletes it and nothing is left behind.
    let mut state = dir.state_json();
    state["deposed"][0]["object"]["value"]["fail_on"] = serde_json::Value::Null;
    dir.write(
        "edited.json",
        &serde_json::to_string_pretty(&state).unwrap(),
    );
    dir.run(&["state", "push", "-force", "edited.json"]).ok();
    dir.apply(&[])
        .contains("Apply complete! Resources: 0 added, 0 changed, 1 destroyed.");
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
    assert!(dir.object_named("trellis_test_thing", "two").is_some());
    assert_eq!(dir.state_list(), vec!["trellis_test_thing.t"]);
    dir.run(&["plan", "-detailed-exitcode"])
        .expect_code(0)
        .contains("No changes.");
}

#[test]
fn a_successful_replacement_leaves_no_deposed_object() {
    let dir = Dir::with_main(&thing("one", None));
    dir.apply(&[]);
    dir.write("main.tf", &thing("two", None));
    dir.apply(&[]);
    assert!(dir.state_json().get("deposed").is_none());
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
}

#[test]
fn a_destroy_plan_destroys_deposed_objects_too() {
    let dir = failed_replacement();
    let key = deposed_key(&dir);
    let mut state = dir.state_json();
    state["deposed"][0]["object"]["value"]["fail_on"] = serde_json::Value::Null;
    dir.write(
        "edited.json",
        &serde_json::to_string_pretty(&state).unwrap(),
    );
    dir.run(&["state", "push", "-force", "edited.json"]).ok();
    dir.run(&["plan", "-destroy"])
        .ok()
        .contains("# trellis_test_thing.t will be destroyed")
        .contains(&format!(
            "# trellis_test_thing.t (deposed object {key}) will be destroyed"
        ))
        .contains("2 to destroy");
    dir.run(&["destroy", "-auto-approve"]).ok();
    assert!(dir.objects("trellis_test_thing").is_empty());
    assert!(dir.state_list().is_empty());
}

/// The default order, delete then create: a failure (or a kill) between the two leaves a
/// state without the deleted object, which plans the create again; nothing is orphaned.
#[test]
fn a_delete_then_create_interrupted_after_the_delete_plans_the_create_again() {
    let plain = |name: &str, fail_on: Option<&str>| {
        let fail = fail_on
            .map(|f| format!("  fail_on = \"{f}\"\n"))
            .unwrap_or_default();
        format!(
            "{PROVIDER}\nresource \"trellis_test_thing\" \"t\" {{\n  name = \"{name}\"\n{fail}}}\n"
        )
    };
    let dir = Dir::with_main(&plain("one", None));
    dir.apply(&[]);
    dir.write("main.tf", &plain("two", Some("create")));
    dir.run(&["apply", "-auto-approve"])
        .expect_code(1)
        .contains("injected failure on create");
    assert!(
        dir.objects("trellis_test_thing").is_empty(),
        "old object deleted"
    );
    assert!(dir.state_list().is_empty(), "and gone from the state");
    assert!(dir.state_json().get("deposed").is_none());
    dir.write("main.tf", &plain("two", None));
    dir.run(&["plan"])
        .ok()
        .contains("# trellis_test_thing.t will be created")
        .contains("Plan: 1 to add, 0 to change, 0 to destroy.");
    dir.apply(&[]);
    assert_eq!(dir.objects("trellis_test_thing").len(), 1);
    assert!(dir.object_named("trellis_test_thing", "two").is_some());
}
