//! The CI flow of `examples/ci/github-actions.yml` against the local AWS emulator, with the
//! state in the emulator's S3 and every job in its own fresh checkout (as on GitHub-hosted
//! runners): the pull-request job plans with `-out` and renders the comment; the merge job,
//! in another directory, applies that plan file; a plan made before another merge applied is
//! refused as stale, naming the serial, and changes nothing.

use std::path::Path;
use std::process::{Command, Output};

use trellis_emulator::{Emulator, DEFAULT_ACCOUNT};

const BUCKET: &str = "ci-state";

struct Ci {
    emulator: Emulator,
    vpc: String,
}

impl Ci {
    fn start() -> Ci {
        let emulator = Emulator::start().expect("emulator starts");
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let config = emulator
                .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
                .await
                .unwrap();
            let s3 = aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&config)
                    .force_path_style(true)
                    .build(),
            );
            s3.create_bucket().bucket(BUCKET).send().await.unwrap();
        });
        let vpc = emulator
            .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
            .expect("vpc");
        Ci { emulator, vpc }
    }

    /// A fresh checkout: the configuration, then `trellis init` with the bucket and key the
    /// workflow injects.
    fn checkout(&self, config: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            config.replace("VPC_ID", &self.vpc),
        )
        .unwrap();
        let out = self.run(
            dir.path(),
            &[
                "init",
                &format!("-backend-config=bucket={BUCKET}"),
                "-backend-config=key=mesh/prod.state",
            ],
        );
        assert!(out.status.success(), "init: {}", text(&out));
        dir
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_trellis"))
            .args(args)
            .current_dir(dir)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", self.emulator.endpoint_url())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
            .env("NO_COLOR", "1")
            .output()
            .expect("trellis runs")
    }

    #[track_caller]
    fn ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.run(dir, args);
        assert!(out.status.success(), "trellis {args:?}:\n{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn service_count(&self) -> usize {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let config = self
                .emulator
                .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
                .await
                .unwrap();
            aws_sdk_vpclattice::Client::new(&config)
                .list_services()
                .send()
                .await
                .unwrap()
                .items()
                .len()
        })
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const MESH: &str = r#"
terraform {
  backend "s3" {
    region = "us-east-1"
  }
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_vpclattice_service_network" "mesh" {
  name      = "ci-mesh"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_auth_policy" "mesh" {
  resource_identifier = aws_vpclattice_service_network.mesh.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "vpc-lattice-svcs:Invoke"
      Resource  = "*"
      Condition = { StringEquals = { "aws:PrincipalOrgID" = "o-example" } }
    }]
  })
}

resource "aws_vpclattice_service_network_vpc_association" "clients" {
  vpc_identifier             = "VPC_ID"
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}

resource "aws_vpclattice_service" "orders" {
  name      = "orders"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_auth_policy" "orders" {
  resource_identifier = aws_vpclattice_service.orders.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:root" }
      Action    = "vpc-lattice-svcs:Invoke"
      Resource  = "*"
    }]
  })
}

resource "aws_vpclattice_service_network_service_association" "orders" {
  service_identifier         = aws_vpclattice_service.orders.id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}
"#;

const BILLING: &str = r#"
resource "aws_vpclattice_service" "billing" {
  name      = "billing"
  auth_type = "NONE"
}

resource "aws_vpclattice_service_network_service_association" "billing" {
  service_identifier         = aws_vpclattice_service.billing.id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}
"#;

#[test]
fn aws_ci_flow_with_s3_state_across_checkouts() {
    let ci = Ci::start();

    // Pull request 1: the mesh. The plan job's checkout.
    let pr = ci.checkout(MESH);
    ci.ok(
        pr.path(),
        &["plan", "-input=false", "-lock-timeout=5s", "-out=tfplan"],
    );
    let comment = ci.ok(pr.path(), &["show", "-markdown", "tfplan"]);
    assert!(
        comment.starts_with("**Plan: 6 to add, 0 to change, 0 to destroy.**"),
        "{comment}"
    );
    let vpc = &ci.vpc;
    assert!(
        comment.contains(&format!(
            "\n+ {vpc} -> orders: IAM auth (network policy, service policy)\n"
        )),
        "{comment}"
    );
    assert!(
        !comment.contains("[!CAUTION]"),
        "a clean mesh has no warnings:\n{comment}"
    );

    // Merge: the apply job's own checkout, the plan file from the artifact.
    let merge = ci.checkout(MESH);
    std::fs::copy(pr.path().join("tfplan"), merge.path().join("tfplan")).unwrap();
    let applied = ci.ok(merge.path(), &["apply", "-input=false", "tfplan"]);
    assert!(
        applied.contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."),
        "{applied}"
    );
    assert_eq!(ci.service_count(), 1);

    // Pull requests 2 and 3 are planned against the same state; 2 merges first.
    let config2 = format!("{MESH}{BILLING}");
    let pr2 = ci.checkout(&config2);
    ci.ok(pr2.path(), &["plan", "-input=false", "-out=tfplan"]);
    let comment2 = ci.ok(pr2.path(), &["show", "-markdown", "tfplan"]);
    assert!(
        comment2.contains(&format!("\n+ {vpc} (account {DEFAULT_ACCOUNT}) -> billing (account {DEFAULT_ACCOUNT}): IAM auth (network policy)\n")),
        "{comment2}"
    );
    assert!(
        comment2.contains("has auth_type = \"NONE\" in the AWS_IAM network"),
        "{comment2}"
    );
    let pr3 = ci.checkout(MESH);
    ci.ok(
        pr3.path(),
        &[
            "plan",
            "-input=false",
            "-out=tfplan",
            "-replace=aws_vpclattice_service.orders",
        ],
    );

    let merge2 = ci.checkout(&config2);
    std::fs::copy(pr2.path().join("tfplan"), merge2.path().join("tfplan")).unwrap();
    ci.ok(merge2.path(), &["apply", "-input=false", "tfplan"]);
    assert_eq!(ci.service_count(), 2);

    // Pull request 3's plan was made before 2 applied: refused, nothing changes.
    let merge3 = ci.checkout(MESH);
    std::fs::copy(pr3.path().join("tfplan"), merge3.path().join("tfplan")).unwrap();
    let out = ci.run(merge3.path(), &["apply", "-input=false", "tfplan"]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(
            "saved plan tfplan is stale: the state changed since the plan was made (serial"
        ),
        "{all}"
    );
    assert_eq!(ci.service_count(), 2);
}
