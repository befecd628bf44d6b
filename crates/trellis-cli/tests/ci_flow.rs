//! The pull-request and CI flow with the in-memory provider: `plan -out` with `-markdown`
//! and `-json`, `show -markdown` / `show -json` of the saved plan, a refusal naming each
//! cause of a stale plan, `-input=false`, and colour only on a terminal unless `NO_COLOR`.

mod common;

use std::process::{Command, Stdio};

use common::{Dir, PROVIDER};

fn cfg(body: &str) -> String {
    format!("{PROVIDER}\n{body}")
}

const ONE: &str = r#"
resource "trellis_test_thing" "a" {
  name = "a"
}
"#;

const TWO: &str = r#"
resource "trellis_test_thing" "a" {
  name = "a"
}
resource "trellis_test_thing" "b" {
  name  = "b"
  value = "secret-ish"
}
"#;

/// A directory with `ONE` applied and `TWO` planned to `tfplan`.
fn planned() -> Dir {
    let dir = Dir::with_main(&cfg(ONE));
    dir.apply(&[]);
    dir.write("main.tf", &cfg(TWO));
    dir.run(&["plan", "-out=tfplan", "-input=false"]).ok();
    dir
}

#[test]
fn plan_markdown_and_show_markdown_agree() {
    let dir = planned();
    let plan = dir.run(&["plan", "-markdown", "-input=false"]);
    plan.ok()
        .contains("**Plan: 1 to add, 0 to change, 0 to destroy.**")
        .contains("<details><summary>trellis_test_thing.b will be created</summary>")
        .contains("```diff\n")
        .lacks("Saved the plan");
    assert!(plan.stdout.starts_with("**Plan: "), "{}", plan.stdout);
    let show = dir.run(&["show", "-markdown", "tfplan"]);
    show.ok();
    assert_eq!(
        show.stdout, plan.stdout,
        "a saved plan shows as it was planned"
    );
    // -out with -markdown saves the plan without the human trailer.
    let out = dir.run(&["plan", "-markdown", "-out=again.plan"]);
    out.ok().lacks("Saved the plan");
    assert!(dir.exists("again.plan"));
}

#[test]
fn plan_json_and_show_json_agree() {
    let dir = planned();
    let plan = dir.run(&["plan", "-json"]);
    plan.ok();
    let show = dir.run(&["show", "-json", "tfplan"]);
    show.ok();
    let a: serde_json::Value = serde_json::from_str(&plan.stdout).expect("plan -json is JSON");
    let b: serde_json::Value = serde_json::from_str(&show.stdout).expect("show -json is JSON");
    assert_eq!(a, b);
    assert_eq!(a["format_version"], "1.2");
    assert_eq!(a["resource_changes"][1]["address"], "trellis_test_thing.b");
    assert_eq!(
        a["resource_changes"][1]["change"]["actions"],
        serde_json::json!(["create"])
    );
    assert!(a["connectivity"]["changes"].as_array().unwrap().is_empty());
}

#[test]
fn output_flags_are_checked() {
    let dir = planned();
    dir.run(&["show", "-markdown"])
        .expect_code(1)
        .contains("show -markdown needs a plan file");
    dir.run(&["show", "-json", "-markdown", "tfplan"])
        .expect_code(1)
        .contains("-json or -markdown, not both");
    dir.run(&["plan", "-json", "-markdown"])
        .expect_code(1)
        .contains("-json or -markdown, not both");
    dir.run(&["apply", "-markdown"])
        .expect_code(1)
        .contains("unknown flag -markdown");
}

/// Rewrites one field of the saved plan file, as a plan made elsewhere would have it.
fn edit_plan(dir: &Dir, field: &str, value: serde_json::Value) {
    let mut plan: serde_json::Value = serde_json::from_str(&dir.read("tfplan")).unwrap();
    plan[field] = value;
    dir.write("tfplan", &serde_json::to_string(&plan).unwrap());
}

#[test]
fn stale_plan_other_trellis_version() {
    let dir = planned();
    edit_plan(&dir, "trellis_version", "0.0.1".into());
    let before = dir.world();
    dir.run(&["apply", "-input=false", "tfplan"])
        .expect_code(1)
        .contains("saved plan tfplan is stale")
        .contains(&format!(
            "the plan was made by trellis 0.0.1 and this is trellis {}",
            env!("CARGO_PKG_VERSION")
        ))
        .contains("make a new plan with trellis plan -out=tfplan");
    assert_eq!(dir.world(), before, "a stale plan calls no provider");
}

/// A plan made against another state (another directory's, with its own lineage) is
/// refused, even with the same configuration and serial.
#[test]
fn stale_plan_other_state_lineage() {
    let here = planned();
    let there = planned();
    std::fs::copy(there.join("tfplan"), here.join("tfplan")).unwrap();
    let other: serde_json::Value = serde_json::from_str(&there.read("tfplan")).unwrap();
    let lineage = other["lineage"].as_str().unwrap().to_string();
    let before = here.world();
    here.run(&["apply", "-input=false", "tfplan"])
        .expect_code(1)
        .contains("saved plan tfplan is stale")
        .contains(&format!(
            "the plan was made for another state (lineage {lineage}; this state is"
        ));
    assert_eq!(here.world(), before);
}

#[test]
fn stale_plan_state_serial_moved_on() {
    let dir = planned();
    // Another apply moves the state on before the saved plan is applied.
    dir.apply(&["-target=trellis_test_thing.b"]);
    dir.run(&["apply", "-input=false", "tfplan"])
        .expect_code(1)
        .contains("saved plan tfplan is stale")
        .contains("the state changed since the plan was made (serial 1 then, 2 now)");
}

#[test]
fn stale_plan_configuration_changed() {
    let dir = planned();
    dir.write("main.tf", &cfg(&TWO.replace("secret-ish", "other")));
    let before = dir.world();
    dir.run(&["apply", "-input=false", "tfplan"])
        .expect_code(1)
        .contains("saved plan tfplan is stale")
        .contains("the configuration files changed since the plan was made");
    assert_eq!(dir.world(), before);
    // The fresh plan applies.
    dir.run(&["plan", "-out=tfplan"]).ok();
    dir.run(&["apply", "-input=false", "tfplan"])
        .ok()
        .contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
}

/// `-input=false` never waits for a person: a missing variable is an error, not a prompt.
#[test]
fn input_false_never_prompts() {
    let dir = Dir::with_main(&cfg(r#"
variable "name" {
  type = string
}
resource "trellis_test_thing" "a" {
  name = var.name
}
"#));
    let run = dir.run(&["plan", "-input=false"]);
    run.expect_code(1).contains("name");
    dir.run(&["apply", "-input=false"]).expect_code(1);
    assert!(!dir.exists("world.json"));
}

/// Runs the binary under a pseudo-terminal (util-linux `script`), so that stdout is a
/// terminal, with `NO_COLOR` set to `no_color` (or unset).
fn on_terminal(dir: &Dir, args: &str, no_color: Option<&str>) -> String {
    let bin = env!("CARGO_BIN_EXE_trellis");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("{bin} {args}"), "/dev/null"])
        .current_dir(dir.path())
        .stdin(Stdio::null());
    cmd.env_remove("NO_COLOR");
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd
        .output()
        .expect("util-linux `script` runs (Debian's bsdutils package)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let dir = planned();
    let escape = "\x1b[";
    // Not a terminal (the test harness captures stdout): plain, without any flag.
    let piped = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(["show", "tfplan"])
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&piped.stdout).contains(escape));
    // A terminal: coloured.
    assert!(on_terminal(&dir, "show tfplan", None).contains(escape));
    // NO_COLOR set to anything: plain. Set but empty: ignored, as no-color.org says.
    assert!(!on_terminal(&dir, "show tfplan", Some("1")).contains(escape));
    assert!(on_terminal(&dir, "show tfplan", Some("")).contains(escape));
    // -no-color wins too.
    assert!(!on_terminal(&dir, "-no-color show tfplan", None).contains(escape));
}

/// The same plan twice prints the same bytes: CI logs and comments diff cleanly.
#[test]
fn plan_output_is_stable() {
    let dir = planned();
    let a = dir.run(&["plan"]);
    let b = dir.run(&["plan"]);
    assert_eq!(a.stdout, b.stdout);
    let a = dir.run(&["plan", "-markdown"]);
    let b = dir.run(&["plan", "-markdown"]);
    assert_eq!(a.stdout, b.stdout);
}
