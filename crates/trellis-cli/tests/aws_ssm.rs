//! `data "aws_ssm_parameter"` against the emulator: a String and a SecureString parameter
//! read by name, the secure value decrypted but sensitive (redacted in the plan), a missing
//! parameter failing the plan with its name.

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

#[test]
fn parameters_are_read_by_name_and_secure_values_stay_sensitive() {
    let emulator = Emulator::start().expect("emulator starts");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let config = emulator
            .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
            .await
            .expect("sdk config");
        let ssm = aws_sdk_ssm::Client::new(&config);
        for (name, value, kind) in [
            (
                "/mesh/vpc-id",
                "vpc-0123456789abcdef0",
                aws_sdk_ssm::types::ParameterType::String,
            ),
            (
                "/mesh/token",
                "s3cr3t-token",
                aws_sdk_ssm::types::ParameterType::SecureString,
            ),
        ] {
            ssm.put_parameter()
                .name(name)
                .value(value)
                .r#type(kind)
                .send()
                .await
                .expect("put parameter");
        }
    });
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(
        dir.join("main.tf"),
        r#"
provider "aws" {
  region = "us-east-1"
}

data "aws_ssm_parameter" "vpc" {
  name = "/mesh/vpc-id"
}

data "aws_ssm_parameter" "token" {
  name = "/mesh/token"
}

output "vpc" {
  value = data.aws_ssm_parameter.vpc.insecure_value
}

output "token_type" {
  value = data.aws_ssm_parameter.token.type
}

output "token" {
  value     = data.aws_ssm_parameter.token.value
  sensitive = true
}
"#,
    )
    .expect("write main.tf");
    let (code, text) = trellis(dir, &emulator, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("s3cr3t-token"), "the secret leaked:\n{text}");
    let (_, vpc) = trellis(dir, &emulator, &["output", "-raw", "vpc"]);
    assert_eq!(vpc, "vpc-0123456789abcdef0");
    let (_, kind) = trellis(dir, &emulator, &["output", "-raw", "token_type"]);
    assert_eq!(kind, "SecureString");
    let (_, token) = trellis(dir, &emulator, &["output", "-raw", "token"]);
    assert_eq!(token, "s3cr3t-token");
    let (code, text) = trellis(dir, &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{text}");

    // Without the sensitive mark on the output, Terraform's rule applies: refused.
    std::fs::write(
        dir.join("leak.tf"),
        "output \"leak\" {\n  value = data.aws_ssm_parameter.token.value\n}\n",
    )
    .expect("write leak.tf");
    let (code, text) = trellis(dir, &emulator, &["plan"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("sensitive"), "{text}");
    std::fs::remove_file(dir.join("leak.tf")).expect("rm leak.tf");

    std::fs::write(
        dir.join("missing.tf"),
        "data \"aws_ssm_parameter\" \"missing\" {\n  name = \"/mesh/absent\"\n}\n",
    )
    .expect("write missing.tf");
    let (code, text) = trellis(dir, &emulator, &["plan"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("/mesh/absent"), "{text}");
}
