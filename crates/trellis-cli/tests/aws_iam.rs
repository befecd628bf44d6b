//! The IAM types against the emulator, as Lattice configurations use them: roles whose trust
//! policy comes from `data "aws_iam_policy_document"` or `jsonencode`, inline and managed
//! policies, an attachment, an instance profile and `data "aws_iam_role"`. Create, a second
//! plan without changes, an update in place, a replacement with its reason, import by
//! Terraform's import IDs, and destroy.

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

/// The second plan of a configuration must show nothing to do.
fn clean(dir: &Path, emulator: &Emulator) {
    let (code, text) = trellis(dir, emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no change expected:\n{text}");
}

const CONFIG: &str = r#"
provider "aws" {
  region = "us-east-1"
}

variable "description" {
  default = "calls the orders service"
}

variable "path" {
  default = "/mesh/"
}

variable "actions" {
  type    = list(string)
  default = ["vpc-lattice-svcs:Invoke"]
}

variable "team" {
  default = "payments"
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "invoke" {
  statement {
    sid       = "Invoke"
    actions   = var.actions
    resources = ["*"]
  }
}

resource "aws_iam_role" "app" {
  name               = "orders-client"
  path               = var.path
  description        = var.description
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags = {
    team = var.team
  }
}

resource "aws_iam_role" "prefixed" {
  name_prefix = "mesh-"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_iam_role_policy" "invoke" {
  name   = "invoke"
  role   = aws_iam_role.app.name
  policy = data.aws_iam_policy_document.invoke.json
}

resource "aws_iam_policy" "invoke" {
  name        = "orders-invoke"
  description = "invoke the orders service"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = var.actions, Resource = "*" }]
  })
  tags = {
    team = var.team
  }
}

resource "aws_iam_role_policy_attachment" "invoke" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.invoke.arn
}

resource "aws_iam_instance_profile" "app" {
  name = "orders-client"
  role = aws_iam_role.app.name
}

data "aws_iam_role" "app" {
  name = aws_iam_role.app.name
}

output "role_arn" {
  value = data.aws_iam_role.app.arn
}

output "prefixed_name" {
  value = aws_iam_role.prefixed.name
}
"#;

fn iam_client(emulator: &Emulator, rt: &tokio::runtime::Runtime) -> aws_sdk_iam::Client {
    rt.block_on(async {
        let config = emulator
            .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
            .await
            .expect("sdk config");
        aws_sdk_iam::Client::new(&config)
    })
}

#[test]
fn iam_types_apply_plan_clean_update_replace_import_and_destroy() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), CONFIG).expect("write main.tf");

    ok(dir, &emulator, &["apply", "-auto-approve"]);
    clean(dir, &emulator);

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let iam = iam_client(&emulator, &rt);
    let role = rt.block_on(async {
        iam.get_role()
            .role_name("orders-client")
            .send()
            .await
            .expect("role")
            .role
            .expect("a role")
    });
    assert_eq!(role.path(), "/mesh/");
    assert_eq!(role.description(), Some("calls the orders service"));
    let (_, arn) = trellis(dir, &emulator, &["output", "-raw", "role_arn"]);
    assert_eq!(arn, role.arn());
    let (_, prefixed) = trellis(dir, &emulator, &["output", "-raw", "prefixed_name"]);
    assert!(
        prefixed.starts_with("mesh-") && prefixed.len() == 5 + 26,
        "{prefixed}"
    );
    let attached = rt.block_on(async {
        iam.list_attached_role_policies()
            .role_name("orders-client")
            .send()
            .await
            .expect("attached")
    });
    assert_eq!(attached.attached_policies().len(), 1);

    // In place: the description, a tag, and a policy document (a new default version).
    let update = [
        "-var",
        "description=calls orders and billing",
        "-var",
        "team=platform",
        "-var",
        r#"actions=["vpc-lattice-svcs:Invoke","vpc-lattice-svcs:Connect"]"#,
    ];
    let mut args = vec!["plan"];
    args.extend(update);
    let plan = ok(dir, &emulator, &args);
    assert!(
        plan.contains("0 to add, 3 to change, 0 to destroy"),
        "update in place:\n{plan}"
    );
    let mut args = vec!["apply", "-auto-approve"];
    args.extend(update);
    ok(dir, &emulator, &args);
    let mut args = vec!["plan", "-detailed-exitcode"];
    args.extend(update);
    let (code, text) = trellis(dir, &emulator, &args);
    assert_eq!(code, 0, "no change after the update:\n{text}");
    let versions = rt.block_on(async {
        let arn = format!("arn:aws:iam::{DEFAULT_ACCOUNT}:policy/orders-invoke");
        iam.list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .expect("versions")
    });
    assert_eq!(versions.versions().len(), 2);

    // A new path replaces the role, and with it what names it.
    let mut args = vec!["plan", "-var", "path=/other/"];
    args.extend(update);
    let plan = ok(dir, &emulator, &args);
    assert!(
        plan.contains("aws_iam_role.app must be replaced"),
        "replace:\n{plan}"
    );
    assert!(
        plan.lines()
            .any(|l| l.contains("path") && l.contains("# forces replacement")),
        "the reason:\n{plan}"
    );

    // Import by Terraform's IDs into a fresh state: the role by name, the inline policy as
    // role:name, the attachment as role/arn; the plan afterwards shows them unchanged.
    let fresh = tempfile::tempdir().expect("temp dir");
    let policy_arn = format!("arn:aws:iam::{DEFAULT_ACCOUNT}:policy/orders-invoke");
    std::fs::write(
        fresh.path().join("main.tf"),
        format!(
            r#"
provider "aws" {{
  region = "us-east-1"
}}

resource "aws_iam_role" "app" {{
  name               = "orders-client"
  path               = "/mesh/"
  description        = "calls orders and billing"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = {{ Service = "ecs-tasks.amazonaws.com" }}
    }}]
  }})
  tags = {{
    team = "platform"
  }}
}}

resource "aws_iam_role_policy_attachment" "invoke" {{
  role       = aws_iam_role.app.name
  policy_arn = "{policy_arn}"
}}

resource "aws_iam_instance_profile" "app" {{
  name = "orders-client"
  role = aws_iam_role.app.name
}}
"#
        ),
    )
    .expect("write main.tf");
    let f = fresh.path();
    ok(
        f,
        &emulator,
        &["import", "aws_iam_role.app", "orders-client"],
    );
    let (code, text) = trellis(
        f,
        &emulator,
        &[
            "import",
            "aws_iam_role_policy_attachment.invoke",
            "orders-client",
        ],
    );
    assert_eq!(code, 1, "a malformed import ID:\n{text}");
    assert!(text.contains("role/policy_arn"), "{text}");
    ok(
        f,
        &emulator,
        &[
            "import",
            "aws_iam_role_policy_attachment.invoke",
            &format!("orders-client/{policy_arn}"),
        ],
    );
    ok(
        f,
        &emulator,
        &["import", "aws_iam_instance_profile.app", "orders-client"],
    );
    clean(f, &emulator);

    let mut args = vec!["destroy", "-auto-approve"];
    args.extend(update);
    ok(dir, &emulator, &args);
    let roles = rt.block_on(async { iam.list_roles().send().await.expect("roles") });
    assert!(roles.roles().is_empty(), "{:?}", roles.roles());
    let policies = rt.block_on(async {
        iam.list_policies()
            .scope(aws_sdk_iam::types::PolicyScopeType::Local)
            .send()
            .await
            .expect("policies")
    });
    assert!(policies.policies().is_empty());
}

#[test]
fn an_inline_policy_imports_as_role_colon_name_and_plans_clean() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), CONFIG).expect("write main.tf");
    ok(dir, &emulator, &["apply", "-auto-approve"]);
    ok(
        dir,
        &emulator,
        &["state", "rm", "aws_iam_role_policy.invoke"],
    );
    ok(
        dir,
        &emulator,
        &[
            "import",
            "aws_iam_role_policy.invoke",
            "orders-client:invoke",
        ],
    );
    clean(dir, &emulator);
    ok(dir, &emulator, &["destroy", "-auto-approve"]);
}

#[test]
fn bad_iam_arguments_are_located_and_nothing_is_called() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(
        dir.join("main.tf"),
        r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_iam_role" "bad" {
  name                 = "has spaces"
  assume_role_policy   = "{not json"
  max_session_duration = 60
}
"#,
    )
    .expect("write main.tf");
    emulator.reset_calls().expect("reset");
    let (code, text) = trellis(dir, &emulator, &["plan"]);
    assert_eq!(code, 1, "{text}");
    for wanted in [
        "main.tf line 7",
        "name may not contain ' '",
        "main.tf line 8",
        "assume_role_policy is not valid JSON",
        "main.tf line 9",
        "max_session_duration must be between 3600 and 43200",
    ] {
        assert!(text.contains(wanted), "{wanted} in\n{text}");
    }
    let calls = emulator.calls().expect("calls");
    assert!(
        format!("{calls:?}").to_lowercase().find("iam").is_none(),
        "{calls:?}"
    );
}
