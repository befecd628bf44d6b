//! `aws_s3_bucket` against the emulator, as the access-log destination of a Lattice service
//! network: create, a second plan without changes, tags in place, a new name as a
//! replacement with its reason, `force_destroy` emptying a bucket, import by name, destroy.

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
}

variable "bucket" {
  default = "mesh-access-logs"
}

variable "env" {
  default = "dev"
}

resource "aws_s3_bucket" "logs" {
  bucket        = var.bucket
  force_destroy = true
  tags = {
    env = var.env
  }
}

resource "aws_s3_bucket" "prefixed" {
  bucket_prefix = "lattice-"
}

resource "aws_vpclattice_service_network" "mesh" {
  name = "mesh"
}

resource "aws_vpclattice_access_log_subscription" "mesh" {
  resource_identifier = aws_vpclattice_service_network.mesh.id
  destination_arn     = aws_s3_bucket.logs.arn
}

output "domain" {
  value = aws_s3_bucket.logs.bucket_regional_domain_name
}
"#;

#[test]
fn a_bucket_as_access_log_destination_applies_updates_replaces_imports_and_destroys() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), CONFIG).expect("write main.tf");

    ok(dir, &emulator, &["apply", "-auto-approve"]);
    let (code, text) = trellis(dir, &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no change on the second plan:\n{text}");
    let (_, domain) = trellis(dir, &emulator, &["output", "-raw", "domain"]);
    assert_eq!(domain, "mesh-access-logs.s3.us-east-1.amazonaws.com");

    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let s3 = rt.block_on(async {
        let config = emulator
            .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
            .await
            .expect("sdk config");
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
    });
    let tags = || {
        rt.block_on(async {
            s3.get_bucket_tagging()
                .bucket("mesh-access-logs")
                .send()
                .await
                .expect("tags")
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(tags(), vec![("env".to_string(), "dev".to_string())]);
    // An object in the bucket: destroy must empty it (force_destroy).
    rt.block_on(async {
        s3.put_object()
            .bucket("mesh-access-logs")
            .key("AWSLogs/one.log")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"log"))
            .send()
            .await
            .expect("put object")
    });

    let update = ["-var", "env=prod"];
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
    assert_eq!(tags(), vec![("env".to_string(), "prod".to_string())]);

    let plan = ok(
        dir,
        &emulator,
        &[&["plan", "-var", "bucket=mesh-access-logs-2"][..], &update].concat(),
    );
    assert!(
        plan.contains("aws_s3_bucket.logs must be replaced"),
        "{plan}"
    );
    assert!(
        plan.lines()
            .any(|l| l.contains("bucket") && l.contains("# forces replacement")),
        "the reason:\n{plan}"
    );

    let fresh = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        fresh.path().join("main.tf"),
        r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "logs" {
  bucket = "mesh-access-logs"
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
        &["import", "aws_s3_bucket.logs", "mesh-access-logs"],
    );
    let (code, text) = trellis(fresh.path(), &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no change after import:\n{text}");

    ok(
        dir,
        &emulator,
        &[&["destroy", "-auto-approve"][..], &update].concat(),
    );
    let buckets = rt.block_on(async { s3.list_buckets().send().await.expect("buckets") });
    assert!(buckets.buckets().is_empty(), "{:?}", buckets.buckets());
}

#[test]
fn a_bad_bucket_name_is_located() {
    let emulator = Emulator::start().expect("emulator starts");
    let tmp = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        tmp.path().join("main.tf"),
        r#"
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "bad" {
  bucket = "Access_Logs"
}
"#,
    )
    .expect("write main.tf");
    let (code, text) = trellis(tmp.path(), &emulator, &["plan"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("main.tf line 7"), "{text}");
    assert!(text.contains("bucket may not contain 'A'"), "{text}");
}
