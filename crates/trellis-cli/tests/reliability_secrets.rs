//! Secrets: a value planted in a sensitive variable must appear in no output of any command
//! at the most verbose log level (`TRELLIS_LOG=trace`, which includes the AWS SDK's own
//! tracing), in no error message, and in no view; only in the owner-only state and plan
//! files, which hold it in the clear.

mod common;

use std::process::Command;

use common::{Dir, Run, PROVIDER};
use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

const SECRET: &str = "pl4nted-s3cret-8d1f0c";

fn memory_config() -> String {
    format!(
        r#"{PROVIDER}
variable "token" {{
  type      = string
  sensitive = true
}}
resource "trellis_test_thing" "a" {{
  name   = "a"
  secret = var.token
  value  = "prefix-${{var.token}}"
  tags   = {{ token = var.token }}
}}
resource "trellis_test_thing" "b" {{
  name  = "b"
  value = trellis_test_thing.a.value
}}
output "token" {{
  value     = var.token
  sensitive = true
}}
output "derived" {{
  value     = trellis_test_thing.b.value
  sensitive = true
}}
"#
    )
}

/// Every stream of `run` must lack the secret; returns the run for more checks.
#[track_caller]
fn clean(what: &str, run: Run) -> Run {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.contains(SECRET),
            "the secret leaked into the {stream} of {what}:\n{text}"
        );
    }
    run
}

#[test]
fn no_command_prints_a_sensitive_value_even_at_trace_level() {
    let dir = Dir::with_main(&memory_config());
    let env = [("TRELLIS_LOG", "trace"), ("TF_VAR_token", SECRET)];
    let run = |args: &[&str]| clean(&format!("{args:?}"), dir.run_env(args, &env));

    run(&["validate"]).ok();
    let plan = run(&["plan", "-out=secret.plan"]);
    plan.ok().contains("(sensitive value)");
    // The log is on: trellis's own events are in it.
    assert!(
        plan.stderr.contains("TRACE") || plan.stderr.contains("DEBUG"),
        "{plan:?}"
    );
    run(&["show", "secret.plan"]).ok();
    run(&["show", "-json", "secret.plan"]).ok();
    run(&["plan", "-json"]).ok();
    run(&["apply", "secret.plan"]).ok();
    run(&["show"]).ok();
    run(&["show", "-json"]).ok();
    run(&["state", "show", "trellis_test_thing.a"]).ok();
    run(&["output"]).ok();
    run(&["output", "-json"]).ok();
    run(&["plan", "-detailed-exitcode"]).ok();
    // A change that fails: the provider's error must not carry the secret either.
    dir.write(
        "fail.tf",
        "resource \"trellis_test_thing\" \"c\" {\n  name    = \"c\"\n  secret  = var.token\n  fail_on = \"create\"\n}\n",
    );
    run(&["apply", "-auto-approve"])
        .expect_code(1)
        .contains("injected failure");
    std::fs::remove_file(dir.join("fail.tf")).unwrap();
    run(&["destroy", "-auto-approve"]).ok();

    // The secret is where it must be: the plan file (owner-only, checked elsewhere) held it.
    assert!(dir.read("secret.plan").contains(SECRET));
}

#[test]
fn a_sensitive_value_asked_for_by_name_is_shown_only_then() {
    // Asking for one output by name shows it (as Terraform does); nothing else does.
    let dir = Dir::with_main(&memory_config());
    let env = [("TF_VAR_token", SECRET)];
    clean("apply", dir.run_env(&["apply", "-auto-approve"], &env)).ok();
    let shown = dir.run_env(&["output", "-raw", "token"], &env);
    shown.ok();
    assert_eq!(shown.stdout.trim(), SECRET);
}

/// The AWS provider, against the emulator: the secret goes to AWS in tags and in an auth
/// policy, and the whole plan/apply/destroy runs at trace level, SDK tracing included.
#[test]
fn aws_run_at_trace_level_leaks_no_secret() {
    let emulator = Emulator::start().expect("emulator starts");
    let dir = Dir::new();
    let url = emulator.endpoint_url();
    dir.write(
        "main.tf",
        &format!(
            r#"
provider "aws" {{
  region = "us-east-1"
  endpoints {{
    vpclattice = "{url}"
    sts        = "{url}"
  }}
}}
variable "token" {{
  type      = string
  sensitive = true
}}
resource "aws_vpclattice_service_network" "net" {{
  name      = "secret-net"
  auth_type = "AWS_IAM"
  tags      = {{ token = var.token }}
}}
resource "aws_vpclattice_auth_policy" "net" {{
  resource_identifier = aws_vpclattice_service_network.net.arn
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = "*"
      Action    = "vpc-lattice-svcs:Invoke"
      Resource  = "*"
      Condition = {{ StringEquals = {{ "aws:PrincipalTag/token" = var.token }} }}
    }}]
  }})
}}
"#
        ),
    );
    let aws = |args: &[&str], extra: &[(&str, &str)]| -> Run {
        let mut cmd: Command = dir.command(args);
        cmd.emulator_env(url)
            .env("TRELLIS_LOG", "trace")
            .env("TF_VAR_token", SECRET);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        clean(
            &format!("{args:?}"),
            cmd.output().expect("trellis runs").into(),
        )
    };
    let plan = aws(&["plan"], &[]);
    plan.ok();
    // The SDK's own tracing is in the log.
    assert!(
        plan.stderr.contains("aws_smithy") || plan.stderr.contains("aws_sdk"),
        "the SDK's tracing is logged: {}",
        &plan.stderr[..plan.stderr.len().min(2000)]
    );
    let apply = aws(&["apply", "-auto-approve"], &[]);
    apply.ok();
    assert!(
        apply.stderr.contains("aws_smithy_runtime"),
        "SDK calls were traced"
    );
    aws(&["plan", "-detailed-exitcode"], &[]).ok();
    aws(&["show"], &[]).ok();

    // A remote error while the secret is being sent: the emulator fails every TagResource
    // and UpdateServiceNetwork with a 500; the error (address, code, request ID) is shown,
    // the secret is not.
    emulator
        .set_faults(&serde_json::json!({"per_operation": {
            "TagResource": {"error_rate": 1.0},
            "UntagResource": {"error_rate": 1.0},
        }}))
        .expect("faults");
    dir.write(
        "main.tf",
        &dir.read("main.tf").replace(
            "tags      = { token = var.token }",
            "tags      = { token = \"x-${var.token}\" }",
        ),
    );
    let failed = aws(&["apply", "-auto-approve"], &[]);
    failed
        .expect_code(1)
        .contains("aws_vpclattice_service_network.net");
    emulator.set_faults(&serde_json::json!({})).expect("faults");
    aws(&["destroy", "-auto-approve"], &[]).ok();

    // The secret did reach AWS, where it was meant to go.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _ = rt.block_on(emulator.sdk_config(DEFAULT_ACCOUNT, "us-east-1"));
}
