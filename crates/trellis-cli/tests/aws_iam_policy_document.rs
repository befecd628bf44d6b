//! `data "aws_iam_policy_document"` end to end: an auth policy written with it, as real
//! Lattice configurations do, applies against the emulator, is stored byte for byte as the
//! data source rendered it, and plans no change afterwards.

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

const CONFIG: &str = r#"
provider "aws" {
  region = "us-east-1"
}

data "aws_caller_identity" "me" {}

resource "aws_vpclattice_service" "orders" {
  name      = "orders"
  auth_type = "AWS_IAM"
}

data "aws_iam_policy_document" "invoke" {
  statement {
    sid     = "InvokeFromTheMeshVpc"
    effect  = "Allow"
    actions = ["vpc-lattice-svcs:Invoke"]
    resources = ["${aws_vpclattice_service.orders.arn}/*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.me.account_id}:root"]
    }

    condition {
      test     = "StringEquals"
      variable = "vpc-lattice-svcs:SourceVpc"
      values   = ["vpc-0123456789abcdef0"]
    }
  }
}

resource "aws_vpclattice_auth_policy" "orders" {
  resource_identifier = aws_vpclattice_service.orders.arn
  policy              = data.aws_iam_policy_document.invoke.json
}

output "policy" {
  value = data.aws_iam_policy_document.invoke.json
}
"#;

#[test]
fn an_auth_policy_from_a_policy_document_applies_and_plans_no_change() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), CONFIG).expect("write main.tf");

    let (code, text) = trellis(dir, &emulator, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "apply:\n{text}");
    let (code, text) = trellis(dir, &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no change on the second plan:\n{text}");

    // What AWS holds is exactly what the data source rendered (indented, AWS provider key
    // order, one action as a bare string).
    let (code, rendered) = trellis(dir, &emulator, &["output", "-raw", "policy"]);
    assert_eq!(code, 0, "{rendered}");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let stored = rt.block_on(async {
        let config = emulator
            .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
            .await
            .expect("sdk config");
        let lattice = aws_sdk_vpclattice::Client::new(&config);
        let services = lattice.list_services().send().await.expect("services");
        let arn = services.items()[0].arn().expect("arn").to_string();
        lattice
            .get_auth_policy()
            .resource_identifier(arn)
            .send()
            .await
            .expect("auth policy")
            .policy()
            .expect("a policy")
            .to_string()
    });
    assert_eq!(stored, rendered);
    let arn_prefix = format!("arn:aws:iam::{DEFAULT_ACCOUNT}:root");
    for wanted in [
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"InvokeFromTheMeshVpc\",\n      \"Effect\": \"Allow\",\n      \"Action\": \"vpc-lattice-svcs:Invoke\",",
        "\"Principal\": {\n        \"AWS\": \"",
        arn_prefix.as_str(),
        "\"Condition\": {\n        \"StringEquals\": {\n          \"vpc-lattice-svcs:SourceVpc\": \"vpc-0123456789abcdef0\"\n        }\n      }",
    ] {
        assert!(stored.contains(wanted), "{wanted}\nin\n{stored}");
    }

    let (code, text) = trellis(dir, &emulator, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "destroy:\n{text}");
}
