//! `aws_cloudwatch_log_group` against the emulator, as the access-log destination of a
//! Lattice service: create, a second plan without changes, retention and tags in place, a
//! new name as a replacement with its reason, import by name, and destroy.

use std::path::Path;
use std::process::Command;

use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

fn trellis(dir: &Path, emulator: &Emulator, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .arg("-no-color")
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .env_remove("TRELLIS_LOG")
        .output()
        .expect("trellis runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn ok(dir: &Path, emulator: &Emulator, args: &[&str]) -> String {
    let (code, text) = trellis(dir, emulator, args);
    assert_eq!(code, 0, "trellis {args:?}:\n{text}");
    text
}

const CONFIG: &str = r#"
provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { owner = "mesh" }
  }
}

variable "name" {
  default = "/aws/vpclattice/orders"
}

variable "retention" {
  default = 30
}

variable "env" {
  default = "dev"
}

resource "aws_cloudwatch_log_group" "access" {
  name              = var.name
  retention_in_days = var.retention
  tags = {
    env = var.env
  }
}

resource "aws_cloudwatch_log_group" "prefixed" {
  name_prefix = "lattice-"
}

resource "aws_vpclattice_service" "orders" {
  name = "orders"
}

resource "aws_vpclattice_access_log_subscription" "orders" {
  resource_identifier = aws_vpclattice_service.orders.id
  destination_arn     = aws_cloudwatch_log_group.access.arn
}

output "arn" {
  value = aws_cloudwatch_log_group.access.arn
}
"#;

#[test]
fn a_log_group_as_access_log_destination_applies_updates_replaces_imports_and_destroys() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), CONFIG).expect("write main.tf");

    ok(dir, &emulator, &["apply", "-auto-approve"]);
    let (code, text) = trellis(dir, &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no change on the second plan:\n{text}");
    let (_, arn) = trellis(dir, &emulator, &["output", "-raw", "arn"]);
    assert_eq!(
        arn,
        format!("arn:aws:logs:us-east-1:{DEFAULT_ACCOUNT}:log-group:/aws/vpclattice/orders")
    );

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let logs = rt.block_on(async {
        let config = emulator
            .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
            .await
            .expect("sdk config");
        aws_sdk_cloudwatchlogs::Client::new(&config)
    });
    let group = |name: &str| {
        rt.block_on(async {
            logs.describe_log_groups()
                .log_group_name_prefix(name)
                .send()
                .await
                .expect("groups")
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name))
                .cloned()
        })
    };
    let g = group("/aws/vpclattice/orders").expect("the group");
    assert_eq!(g.retention_in_days(), Some(30));

    // Retention and tags change in place.
    let update = ["-var", "retention=90", "-var", "env=prod"];
    let plan = ok(dir, &emulator, &[&["plan"][..], &update].concat());
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "in place:\n{plan}"
    );
    ok(
        dir,
        &emulator,
        &[&["apply", "-auto-approve"][..], &update].concat(),
    );
    let (code, text) = trellis(
        dir,
        &emulator,
        &[&["plan", "-detailed-exitcode"][..], &update].concat(),
    );
    assert_eq!(code, 0, "no change after the update:\n{text}");
    assert_eq!(
        group("/aws/vpclattice/orders").and_then(|g| g.retention_in_days()),
        Some(90)
    );
    let tags = rt.block_on(async {
        logs.list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .expect("tags")
            .tags()
            .cloned()
            .unwrap_or_default()
    });
    assert_eq!(tags.get("env").map(String::as_str), Some("prod"));
    assert_eq!(tags.get("owner").map(String::as_str), Some("mesh"));

    // A new name replaces the group, and the subscription that names it.
    let plan = ok(
        dir,
        &emulator,
        &[
            &["plan", "-var", "name=/aws/vpclattice/orders-v2"][..],
            &update,
        ]
        .concat(),
    );
    assert!(
        plan.contains("aws_cloudwatch_log_group.access must be replaced"),
        "{plan}"
    );
    assert!(
        plan.lines()
            .any(|l| l.contains("name") && l.contains("# forces replacement")),
        "the reason:\n{plan}"
    );

    // Import by name into a fresh state plans no change.
    let fresh = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        fresh.path().join("main.tf"),
        r#"
provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { owner = "mesh" }
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/vpclattice/orders"
  retention_in_days = 90
  tags = {
    env = "prod"
  }
}
"#,
    )
    .expect("write main.tf");
    ok(
        fresh.path(),
        &emulator,
        &[
            "import",
            "aws_cloudwatch_log_group.access",
            "/aws/vpclattice/orders",
        ],
    );
    let (code, text) = trellis(fresh.path(), &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no change after import:\n{text}");

    ok(
        dir,
        &emulator,
        &[&["destroy", "-auto-approve"][..], &update].concat(),
    );
    assert!(group("/aws/vpclattice/orders").is_none());
}

#[test]
fn a_bad_retention_is_located() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        tmp.path().join("main.tf"),
        r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudwatch_log_group" "bad" {
  name              = "access"
  retention_in_days = 10
}
"#,
    )
    .expect("write main.tf");
    let (code, text) = trellis(tmp.path(), &emulator, &["plan"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("main.tf line 8"), "{text}");
    assert!(
        text.contains("retention_in_days 10 is not one of"),
        "{text}"
    );
}
