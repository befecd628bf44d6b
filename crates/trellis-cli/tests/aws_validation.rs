//! Plan-time validation of the AWS provider, through the real binary: every configuration
//! under `testdata/aws/malformed/` (one case per rule of `crates/trellis-aws/src/validate.rs`)
//! runs through `trellis validate` and `trellis plan`. Both must exit 1 with diagnostics that
//! carry file, line and an underlined snippet, pinned by insta snapshots, and leave no state.
//!
//! The corpus needs no emulator: `validate` evaluates without configuring providers, and the
//! provider of each case points every endpoint at a loopback port where nothing listens,
//! with no retries. A plan that made any API call before failing would report a connection
//! error (or take the retry time) instead of the validation diagnostics the snapshot pins.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use common::Dir;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/aws/malformed");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// A loopback URL where nothing listens: a port the kernel handed out and that was closed
/// again at once, so connecting to it is refused.
fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// The provider, in its own file so that the cases' line numbers are their own, with a data
/// source that a plan reads through STS: a plan that got as far as reading data (or
/// refreshing, or anything else that calls AWS) fails on the dead endpoint instead.
fn provider(endpoint: &str) -> String {
    format!(
        "provider \"aws\" {{\n  region      = \"us-east-1\"\n  max_retries = 0\n  endpoints {{\n    \
         vpclattice = \"{endpoint}\"\n    sts        = \"{endpoint}\"\n  }}\n}}\n\n\
         data \"aws_caller_identity\" \"current\" {{}}\n"
    )
}

/// Environment for the runs: static keys, the dead endpoint for every service, and no
/// shared AWS configuration of the developer's.
fn aws_env(endpoint: &str) -> [(&'static str, String); 6] {
    [
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_CONFIG_FILE", "/nonexistent".to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".to_string()),
    ]
}

fn run(dir: &Dir, args: &[&str], endpoint: &str) -> common::Run {
    let env = aws_env(endpoint);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut cmd = dir.command(args);
    cmd.env_remove("AWS_PROFILE");
    for (k, v) in pairs {
        cmd.env(k, v);
    }
    cmd.output().expect("run trellis").into()
}

#[test]
fn aws_malformed_configurations() {
    let cases = cases();
    assert!(
        cases.len() >= 20,
        "at least 20 cases, found {}",
        cases.len()
    );
    let endpoint = dead_endpoint();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let dir = Dir::new();
        dir.write("provider.tf", &provider(&endpoint));
        for entry in std::fs::read_dir(case).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_string_lossy().to_string();
            dir.write(&file, &std::fs::read_to_string(&path).unwrap());
        }
        let validate = run(&dir, &["validate"], &endpoint);
        let plan = run(&dir, &["plan"], &endpoint);

        for (command, run) in [("validate", &validate), ("plan", &plan)] {
            if run.code != 1 || !run.stderr.contains("Error:") || run.stdout.contains("Plan:") {
                failures.push(format!("{name}: {command} exited {}: {run:?}", run.code));
            }
            if !run.stderr.contains("main.tf line ") || !run.stderr.contains('^') {
                failures.push(format!(
                    "{name}: {command} diagnostic has no position in main.tf: {}",
                    run.stderr
                ));
            }
            // A call to the dead endpoint would surface as a dispatch or connection error.
            let lower = run.stderr.to_lowercase();
            if ["connect", "dispatch", "refused", "timed out"]
                .iter()
                .any(|n| lower.contains(n))
            {
                failures.push(format!(
                    "{name}: {command} reached for the network: {}",
                    run.stderr
                ));
            }
        }
        if dir.exists(".trellis") || dir.exists("terraform.tfstate") {
            failures.push(format!("{name}: state was written"));
        }

        // The endpoint's port differs per run; nothing else in the output does.
        let scrub = |text: &str| text.replace(&endpoint, "http://127.0.0.1:DEAD");
        let snapshot = if validate.stderr == plan.stderr {
            format!(
                "validate and plan: exit {} / {}\n\n{}",
                validate.code,
                plan.code,
                scrub(&plan.stderr)
            )
        } else {
            format!(
                "validate: exit {}\n{}{}\nplan: exit {}\n\n{}",
                validate.code,
                scrub(&validate.stdout),
                scrub(&validate.stderr),
                plan.code,
                scrub(&plan.stderr)
            )
        };
        insta::with_settings!({
            snapshot_path => "snapshots/aws_malformed",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("testdata/aws/malformed/{name}"),
        }, {
            insta::assert_snapshot!(name.clone(), snapshot);
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The control: the same shapes with valid values pass `validate`, so the corpus fails for
/// its one planted problem and not because validation refuses everything.
#[test]
fn aws_valid_configuration_validates() {
    let endpoint = dead_endpoint();
    let dir = Dir::new();
    dir.write("provider.tf", &provider(&endpoint));
    dir.write(
        "main.tf",
        r#"
resource "aws_vpclattice_service_network" "mesh" {
  name      = "mesh-01"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_service" "orders" {
  name      = "orders-api"
  auth_type = "NONE"
}

resource "aws_vpclattice_target_group" "tg" {
  name = "orders"
  type = "IP"
  config {
    vpc_identifier   = "vpc-0123456789abcdef0"
    port             = 8080
    protocol         = "HTTP"
    protocol_version = "HTTP2"
    health_check {
      port = 8080
    }
  }
}

resource "aws_vpclattice_target_group_attachment" "t1" {
  target_group_identifier = aws_vpclattice_target_group.tg.id
  target {
    id   = "10.0.0.10"
    port = 65535
  }
}

resource "aws_vpclattice_listener" "http" {
  name               = "http-listener"
  protocol           = "TLS_PASSTHROUGH"
  port               = 1
  service_identifier = aws_vpclattice_service.orders.id
  default_action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.tg.id
      }
    }
  }
}

resource "aws_vpclattice_listener_rule" "api" {
  name                = "api-rule"
  service_identifier  = aws_vpclattice_service.orders.id
  listener_identifier = aws_vpclattice_listener.http.listener_id
  priority            = 100
  match {
    http_match {
      method = "GET"
    }
  }
  action {
    fixed_response {
      status_code = 599
    }
  }
}

resource "aws_vpclattice_service_network_vpc_association" "vpc" {
  vpc_identifier             = "vpc-0123456789abcdef0"
  service_network_identifier = aws_vpclattice_service_network.mesh.id
  security_group_ids = [
    "sg-00000000000000001",
    "sg-00000000000000002",
    "sg-00000000000000003",
    "sg-00000000000000004",
    "sg-00000000000000005",
  ]
}

resource "aws_vpclattice_auth_policy" "orders" {
  resource_identifier = aws_vpclattice_service.orders.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "*", Resource = "*" }]
  })
}
"#,
    );
    run(&dir, &["validate"], &endpoint).ok();
}

/// More listeners on one service than the quota (2 per service, which the emulator enforces
/// with ServiceQuotaExceededException at apply): `validate` warns, from the mesh checks over
/// everything the configuration declares, with no call to AWS.
#[test]
fn aws_listeners_over_quota_warn_before_any_call() {
    let endpoint = dead_endpoint();
    let dir = Dir::new();
    dir.write("provider.tf", &provider(&endpoint));
    let mut body =
        String::from("resource \"aws_vpclattice_service\" \"orders\" {\n  name = \"orders\"\n}\n");
    for (i, port) in [80, 81, 82].iter().enumerate() {
        body.push_str(&format!(
            r#"
resource "aws_vpclattice_listener" "l{i}" {{
  name               = "http-{i}"
  protocol           = "HTTP"
  port               = {port}
  service_identifier = aws_vpclattice_service.orders.id
  default_action {{
    fixed_response {{
      status_code = 404
    }}
  }}
}}
"#
        ));
    }
    dir.write("main.tf", &body);
    // A warning, not an error: the quota can be raised for an account, and apply then
    // succeeds. The mesh checks see the whole configuration without calling AWS.
    let validate = run(&dir, &["validate"], &endpoint);
    validate
        .ok()
        .contains("Warning:")
        .contains("3 listeners")
        .contains("quota");
}

/// Issue 4: an auth policy on a service or network whose `auth_type` is `NONE` has no
/// effect; `validate` (and plan) say so with a warning.
#[test]
fn aws_auth_policy_on_auth_type_none_warns() {
    let endpoint = dead_endpoint();
    let dir = Dir::new();
    dir.write("provider.tf", &provider(&endpoint));
    dir.write(
        "main.tf",
        r#"
resource "aws_vpclattice_service" "orders" {
  name      = "orders"
  auth_type = "NONE"
}

resource "aws_vpclattice_auth_policy" "orders" {
  resource_identifier = aws_vpclattice_service.orders.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "*", Resource = "*" }]
  })
}
"#,
    );
    let validate = run(&dir, &["validate"], &endpoint);
    validate.ok().contains("Warning:").contains("NONE");
}

/// With resources in state, a configuration that turned invalid fails before the plan
/// settles intents or refreshes: the emulator sees no Lattice or STS call at all, and the
/// state is unchanged.
#[test]
fn aws_plan_with_state_fails_before_refresh() {
    use trellis_emulator::Emulator;
    let emulator = Emulator::start().expect("emulator starts");
    let url = emulator.endpoint_url().to_string();
    let dir = Dir::new();
    let provider = format!(
        "provider \"aws\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    vpclattice = \"{url}\"\n    \
         sts        = \"{url}\"\n  }}\n}}\n"
    );
    dir.write("provider.tf", &provider);
    dir.write(
        "main.tf",
        "resource \"aws_vpclattice_service\" \"orders\" {\n  name = \"orders\"\n}\n",
    );
    run(&dir, &["apply", "-auto-approve"], &url).ok();
    let before = run(&dir, &["state", "pull"], &url);
    before.ok();

    dir.write(
        "main.tf",
        "resource \"aws_vpclattice_service\" \"orders\" {\n  name = \"orders\"\n}\n\n\
         resource \"aws_vpclattice_service\" \"billing\" {\n  name = \"Billing\"\n}\n",
    );
    emulator.reset_calls().expect("reset calls");
    let plan = run(&dir, &["plan"], &url);
    plan.expect_code(1)
        .contains("invalid name \"Billing\"")
        .contains("main.tf line 6");
    let calls = emulator.calls().expect("calls");
    let total: u64 = calls
        .iter()
        .filter(|(service, _)| service.as_str() != "_trellis")
        .flat_map(|(_, ops)| ops.values())
        .sum();
    assert_eq!(
        total, 0,
        "calls made before the validation error: {calls:?}"
    );
    let after = run(&dir, &["state", "pull"], &url);
    assert_eq!(before.stdout, after.stdout, "the state changed");
}
