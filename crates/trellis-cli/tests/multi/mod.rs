//! Shared by the `aws_multi_*` tests: the real `trellis` binary in a temp directory against one
//! emulator, acting as several accounts through `assume_role`, checked with the AWS SDKs as
//! each account.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use trellis_emulator::{Emulator, EmulatorEnv};

pub const NETWORK: &str = "111111111111";
pub const SERVICE_A: &str = "222222222222";
pub const SERVICE_B: &str = "333333333333";
pub const SERVICE_C: &str = "444444444444";
pub const REGION: &str = "us-east-1";

pub struct Fixture {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
}

/// The output of one run, stdout and stderr together.
pub struct Run {
    pub code: Option<i32>,
    pub text: String,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            emulator: Emulator::start().expect("emulator starts"),
            dir: tempfile::tempdir().expect("temp dir"),
            rt: tokio::runtime::Runtime::new().expect("runtime"),
        }
    }

    /// Copies every `.tf` file of `examples/<name>` into the working directory.
    pub fn copy_example(&self, name: &str) {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name);
        for entry in std::fs::read_dir(&from).expect("example dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "tf") {
                std::fs::copy(&path, self.dir.path().join(path.file_name().unwrap()))
                    .expect("copy");
            }
        }
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).expect("write");
    }

    /// A `provider "aws"` block with `alias` that acts as `account`.
    pub fn provider(alias: &str, account: &str) -> String {
        format!(
            "provider \"aws\" {{\n  alias  = \"{alias}\"\n  region = \"{REGION}\"\n  \
             assume_role {{\n    role_arn = \"arn:aws:iam::{account}:role/deploy\"\n  }}\n}}\n"
        )
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_trellis"))
            .args(args)
            .current_dir(self.dir.path())
            .emulator_env(self.emulator.endpoint_url())
            .output()
            .expect("trellis runs");
        Run {
            code: out.status.code(),
            text: format!(
                "{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// Runs and asserts success.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, Some(0), "trellis {args:?} failed:\n{}", run.text);
        run.text
    }

    pub fn apply(&self, vars: &[&str]) -> String {
        let mut args = vec!["apply", "-auto-approve", "-no-color"];
        args.extend_from_slice(vars);
        self.ok(&args)
    }

    pub fn destroy(&self, vars: &[&str]) -> String {
        let mut args = vec!["destroy", "-auto-approve", "-no-color"];
        args.extend_from_slice(vars);
        self.ok(&args)
    }

    /// The plan text; asserts that the plan succeeded (exit 0 or 2 with -detailed-exitcode).
    pub fn plan(&self, vars: &[&str]) -> String {
        let mut args = vec!["plan", "-no-color", "-detailed-exitcode"];
        args.extend_from_slice(vars);
        let run = self.run(&args);
        assert!(
            matches!(run.code, Some(0 | 2)),
            "trellis plan failed:\n{}",
            run.text
        );
        run.text
    }

    /// The attribute `attr` of `address` as `state show` prints it, unquoted.
    pub fn state_attr(&self, address: &str, attr: &str) -> String {
        self.ok(&["state", "show", address])
            .lines()
            .find_map(|l| {
                let rest = l.trim().strip_prefix(attr)?;
                rest.starts_with([' ', '=']).then(|| {
                    rest.trim_start_matches([' ', '='])
                        .trim_matches('"')
                        .to_string()
                })
            })
            .unwrap_or_else(|| panic!("{attr} of {address} in state"))
    }

    pub fn assert_no_changes(&self, vars: &[&str]) {
        let mut args = vec!["plan", "-no-color", "-detailed-exitcode"];
        args.extend_from_slice(vars);
        let run = self.run(&args);
        assert_eq!(run.code, Some(0), "plan shows changes:\n{}", run.text);
    }

    pub fn config(&self, account: &str) -> aws_config::SdkConfig {
        self.rt
            .block_on(self.emulator.sdk_config(account, REGION))
            .expect("sdk config")
    }

    pub fn lattice(&self, account: &str) -> aws_sdk_vpclattice::Client {
        aws_sdk_vpclattice::Client::new(&self.config(account))
    }

    pub fn ram(&self, account: &str) -> aws_sdk_ram::Client {
        aws_sdk_ram::Client::new(&self.config(account))
    }

    pub fn ec2(&self, account: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.config(account))
    }

    pub fn route53(&self, account: &str) -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::new(&self.config(account))
    }

    pub fn block<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

/// The `# address ...` headings of a plan, without the `(in account ...)` lines.
pub fn headings(plan: &str) -> Vec<String> {
    plan.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("# ") && !l.starts_with("# (") && !l.starts_with("# Warning"))
        .map(|l| l[2..].to_string())
        .collect()
}
