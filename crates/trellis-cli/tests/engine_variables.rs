//! CLI tests of input variables: every source (`-var`, `-var-file`, `*.auto.tfvars`,
//! `terraform.tfvars`, `TRELLIS_VAR_x`, `TF_VAR_x`), their precedence, type conversion,
//! validation blocks and missing required values; and of sensitive values, which must never
//! reach any output except `output NAME`.

mod common;

use common::{Dir, PROVIDER};

const VARS: &str = r#"
variable "name" {
  type = string
}
variable "port" {
  type    = number
  default = 80
}
variable "enabled" {
  type    = bool
  default = false
}
variable "zones" {
  type    = list(string)
  default = []
}
variable "settings" {
  type = object({
    tier  = string
    size  = optional(number, 1)
  })
  default = { tier = "dev" }
}
output "summary" {
  value = {
    name     = var.name
    port     = var.port
    enabled  = var.enabled
    zones    = var.zones
    settings = var.settings
  }
}
"#;

fn vars_dir() -> Dir {
    Dir::with_main(&format!("{PROVIDER}{VARS}"))
}

/// Applies and returns the `summary` output as JSON.
fn summary(dir: &Dir, args: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut full = vec!["apply", "-auto-approve"];
    full.extend_from_slice(args);
    dir.run_env(&full, env).ok();
    let out = dir.run(&["output", "-json", "summary"]);
    out.ok();
    serde_json::from_str(&out.stdout).expect("output -json prints JSON")
}

#[test]
fn var_flag_with_type_conversion() {
    let dir = vars_dir();
    let s = summary(
        &dir,
        &[
            "-var",
            "name=orders",
            "-var",
            "port=8080",
            "-var=enabled=true",
            "-var",
            r#"zones=["a", "b"]"#,
            "-var",
            r#"settings={ tier = "prod" }"#,
        ],
        &[],
    );
    assert_eq!(s["name"], "orders");
    assert_eq!(s["port"], 8080, "a number, not the string \"8080\"");
    assert_eq!(s["enabled"], true);
    assert_eq!(s["zones"], serde_json::json!(["a", "b"]));
    assert_eq!(
        s["settings"],
        serde_json::json!({ "tier": "prod", "size": 1 })
    );
}

#[test]
fn var_file_auto_tfvars_and_precedence() {
    let dir = vars_dir();
    dir.write("terraform.tfvars", "name = \"from-tfvars\"\nport = 1\n");
    dir.write("a.auto.tfvars", "port = 2\nzones = [\"z\"]\n");
    dir.write("custom.tfvars", "port = 3\nenabled = true\n");
    // *.auto.tfvars overrides terraform.tfvars; -var-file overrides both; -var wins.
    let s = summary(&dir, &["-var-file=custom.tfvars"], &[]);
    assert_eq!(s["name"], "from-tfvars");
    assert_eq!(s["port"], 3);
    assert_eq!(s["enabled"], true);
    assert_eq!(s["zones"], serde_json::json!(["z"]));
    let s = summary(&dir, &["-var-file=custom.tfvars", "-var", "port=4"], &[]);
    assert_eq!(s["port"], 4);
}

#[test]
fn environment_variables() {
    let dir = vars_dir();
    let s = summary(
        &dir,
        &[],
        &[("TF_VAR_name", "tf"), ("TRELLIS_VAR_port", "9")],
    );
    assert_eq!(s["name"], "tf");
    assert_eq!(s["port"], 9);
    let s = summary(&dir, &[], &[("TRELLIS_VAR_name", "trellis")]);
    assert_eq!(s["name"], "trellis");
    // Files and flags override the environment.
    let s = summary(&dir, &["-var", "name=flag"], &[("TRELLIS_VAR_name", "env")]);
    assert_eq!(s["name"], "flag");
}

#[test]
fn missing_required_variable() {
    let dir = vars_dir();
    dir.run(&["plan"])
        .expect_code(1)
        .contains("no value for required variable \"name\"")
        .contains("TRELLIS_VAR_name");
    assert!(!dir.exists("world.json"));
}

#[test]
fn wrong_type_is_an_error() {
    let dir = vars_dir();
    dir.run(&["plan", "-var", "name=x", "-var", "port=eighty"])
        .expect_code(1)
        .contains("invalid value for variable \"port\"");
    dir.run(&["plan", "-var", "name=x", "-var", "settings={ size = 2 }"])
        .expect_code(1)
        .contains("invalid value for variable \"settings\"")
        .contains("tier");
}

#[test]
fn undeclared_variable_in_var_flag() {
    let dir = vars_dir();
    dir.run(&["plan", "-var", "name=x", "-var", "nope=1"])
        .expect_code(1)
        .contains("nope");
}

#[test]
fn validation_block_error_message() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}{}",
        r#"
variable "env" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod."
  }
}
output "env" {
  value = var.env
}
"#
    ));
    dir.run(&["plan", "-var", "env=staging"])
        .expect_code(1)
        .contains("invalid value for variable \"env\"")
        .contains("env must be dev or prod.")
        .contains("main.tf");
    dir.run(&["plan", "-var", "env=prod"]).ok();
}

const SECRET: &str = "s3cr3t-planted-value-7731";

fn sensitive_config() -> String {
    format!(
        "{PROVIDER}{}",
        r#"
variable "password" {
  type      = string
  sensitive = true
}
resource "trellis_test_thing" "t" {
  name   = "t"
  secret = var.password
}
resource "trellis_test_service" "svc" {
  name   = "svc"
  secret = "literal-secret-attribute-5521"
}
# The derived value goes into tags, not into `value`: the in-memory provider copies
# `value` into the computed, non-sensitive `computed_value`, and no engine (Terraform's
# neither) can know that a provider echoed a secret into another attribute.
resource "trellis_test_thing" "derived" {
  name = "derived"
  tags = { token = "prefix-${var.password}" }
}
output "password" {
  value     = var.password
  sensitive = true
}
output "public" {
  value = trellis_test_thing.t.name
}
"#
    )
}

#[test]
fn sensitive_values_never_reach_the_output() {
    let dir = Dir::with_main(&sensitive_config());
    let env = [("TRELLIS_VAR_password", SECRET)];
    let mut transcript = String::new();
    let mut record = |run: common::Run| {
        transcript.push_str(&run.all());
        run
    };
    record(dir.run_env(&["plan"], &env))
        .ok()
        .contains("(sensitive value)");
    record(dir.run_env(&["plan", "-out=tfplan"], &env)).ok();
    record(dir.run(&["show", "tfplan"])).ok();
    record(dir.run(&["show", "-json", "tfplan"])).ok();
    record(dir.run_env(&["plan", "-json"], &env)).ok();
    record(dir.run(&["apply", "tfplan"])).ok();
    record(dir.run(&["show"])).ok();
    record(dir.run(&["show", "-json"])).ok();
    record(dir.run(&["state", "show", "trellis_test_thing.t"])).ok();
    record(dir.run(&["state", "show", "trellis_test_thing.derived"])).ok();
    record(dir.run(&["state", "show", "trellis_test_service.svc"])).ok();
    record(dir.run(&["output"]))
        .ok()
        .line(&["password", "<sensitive>"]);
    record(dir.run(&["output", "-json"])).ok();
    record(dir.run_env(&["plan", "-destroy"], &env)).ok();
    record(dir.run_env(&["destroy", "-auto-approve"], &env)).ok();
    assert!(
        !transcript.contains(SECRET),
        "the planted secret leaked:\n{transcript}"
    );
    assert!(
        !transcript.contains("literal-secret-attribute-5521"),
        "the sensitive attribute leaked:\n{transcript}"
    );
    assert!(
        !transcript.contains("prefix-s3cr3t"),
        "a derived value leaked"
    );
}

#[test]
fn sensitive_output_is_shown_when_asked_by_name() {
    let dir = Dir::with_main(&sensitive_config());
    dir.run_env(
        &["apply", "-auto-approve"],
        &[("TRELLIS_VAR_password", SECRET)],
    )
    .ok()
    .lacks(SECRET);
    dir.run(&["output"]).ok().lacks(SECRET);
    dir.run(&["output", "password"]).ok().contains(SECRET);
    dir.run(&["output", "-raw", "password"])
        .ok()
        .contains(SECRET);
    // The secret did reach the provider: it is the thing's secret.
    assert_eq!(
        dir.object_named("trellis_test_thing", "t").unwrap()["secret"],
        SECRET
    );
}

#[test]
fn output_of_a_sensitive_value_must_be_marked() {
    let dir = Dir::with_main(&format!(
        "{PROVIDER}{}",
        r#"
variable "password" {
  type      = string
  sensitive = true
  default   = "x"
}
output "leak" {
  value = var.password
}
"#
    ));
    dir.run(&["plan"])
        .expect_code(1)
        .contains("output \"leak\"")
        .contains("sensitive = true");
}
