//! The AWS provider end to end: the real `trellis` binary in a temp directory, against the
//! local emulator (moto plus trellis' Lattice extension), checked through the AWS SDK.

use std::path::Path;
use std::process::{Command, Output};

use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

struct Fixture {
    emulator: Emulator,
    dir: tempfile::TempDir,
    vpc: String,
}

impl Fixture {
    fn new() -> Fixture {
        let emulator = Emulator::start().expect("emulator starts");
        let vpc = emulator
            .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
            .expect("vpc");
        Fixture {
            emulator,
            dir: tempfile::tempdir().expect("temp dir"),
            vpc,
        }
    }

    fn provider_block(&self, max_retries: u32) -> String {
        let url = self.emulator.endpoint_url();
        format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n  max_retries = {max_retries}\n  \
             endpoints {{\n    vpclattice = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n"
        )
    }

    /// Writes `main.tf`: the provider block plus `body`, with `VPC_ID` replaced.
    fn write(&self, body: &str) {
        self.write_with_retries(body, 3);
    }

    fn write_with_retries(&self, body: &str, max_retries: u32) {
        let text = format!(
            "{}\n{}",
            self.provider_block(max_retries),
            body.replace("VPC_ID", &self.vpc)
        );
        std::fs::write(self.dir.path().join("main.tf"), text).expect("write main.tf");
    }

    fn run(&self, args: &[&str]) -> Output {
        run_in(self.dir.path(), &self.emulator, args)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "trellis {args:?} failed:\n{text}");
        text
    }

    fn apply(&self) -> String {
        self.ok(&["apply", "-auto-approve", "-no-color"])
    }

    /// Asserts that a plan shows no changes (`-detailed-exitcode` exits 0).
    fn assert_no_changes(&self) {
        let out = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "plan shows changes:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn plan_text(&self) -> String {
        let out = self.run(&["plan", "-no-color"]);
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    fn lattice(&self) -> aws_sdk_vpclattice::Client {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let config = rt
            .block_on(self.emulator.sdk_config(DEFAULT_ACCOUNT, "us-east-1"))
            .expect("sdk config");
        aws_sdk_vpclattice::Client::new(&config)
    }

    /// Counts of (service networks, services, target groups) in the emulator.
    fn counts(&self) -> (usize, usize, usize) {
        let client = self.lattice();
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        rt.block_on(async {
            let networks = client.list_service_networks().send().await.unwrap();
            let services = client.list_services().send().await.unwrap();
            let groups = client.list_target_groups().send().await.unwrap();
            (
                networks.items().len(),
                services.items().len(),
                groups.items().len(),
            )
        })
    }
}

fn run_in(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .output()
        .expect("trellis runs")
}

const MESH: &str = r#"
resource "aws_vpclattice_service_network" "net" {
  name      = "mesh-net"
  auth_type = "AWS_IAM"
  tags      = { team = "platform" }
}

resource "aws_vpclattice_service" "svc" {
  name      = "orders"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_target_group" "tg" {
  name = "orders-ip"
  type = "IP"
  config {
    vpc_identifier = "VPC_ID"
    port           = 8080
    protocol       = "HTTP"
  }
}

resource "aws_vpclattice_target_group_attachment" "t1" {
  target_group_identifier = aws_vpclattice_target_group.tg.id
  target {
    id   = "10.0.0.10"
    port = 8080
  }
}

resource "aws_vpclattice_listener" "http" {
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.svc.id
  default_action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.tg.id
      }
    }
  }
}

resource "aws_vpclattice_listener_rule" "api" {
  name                = "api"
  service_identifier  = aws_vpclattice_service.svc.id
  listener_identifier = aws_vpclattice_listener.http.listener_id
  priority            = 10
  match {
    http_match {
      method = "GET"
      path_match {
        match {
          prefix = "/api"
        }
      }
    }
  }
  action {
    fixed_response {
      status_code = 404
    }
  }
}

resource "aws_vpclattice_service_network_service_association" "svc" {
  service_identifier         = aws_vpclattice_service.svc.arn
  service_network_identifier = aws_vpclattice_service_network.net.id
}

resource "aws_vpclattice_service_network_vpc_association" "vpc" {
  vpc_identifier             = "VPC_ID"
  service_network_identifier = aws_vpclattice_service_network.net.arn
}

resource "aws_vpclattice_auth_policy" "svc" {
  resource_identifier = aws_vpclattice_service.svc.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "*", Resource = "*" }]
  })
}

resource "aws_vpclattice_resource_policy" "net" {
  resource_arn = aws_vpclattice_service_network.net.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "111111111111" }, Action = "vpc-lattice:AssociateViaAWSService", Resource = "*" }]
  })
}

resource "aws_vpclattice_access_log_subscription" "svc" {
  resource_identifier = aws_vpclattice_service.svc.id
  destination_arn     = "arn:aws:logs:us-east-1:123456789012:log-group:lattice"
}
"#;

/// Every resource type: create, no changes on re-plan, update in place, replace on a
/// force-new change, destroy, and nothing left in the emulator.
#[test]
fn aws_every_resource_type_lifecycle() {
    let f = Fixture::new();
    f.write(MESH);
    f.apply();
    assert_eq!(f.counts(), (1, 1, 1));
    f.assert_no_changes();

    // In place: auth type, tags, listener default action, rule priority and action, policy.
    let updated = MESH
        .replace(
            "name      = \"mesh-net\"\n  auth_type = \"AWS_IAM\"\n  tags      = { team = \"platform\" }",
            "name      = \"mesh-net\"\n  auth_type = \"NONE\"\n  tags      = { team = \"mesh\" }",
        )
        .replace("priority            = 10", "priority            = 20")
        .replace("status_code = 404", "status_code = 403")
        .replace("Principal = \"*\", Action = \"*\"", "Principal = \"*\", Action = \"vpc-lattice-svcs:Invoke\"");
    f.write(&updated);
    let plan = f.plan_text();
    assert!(plan.contains("~"), "expected in-place updates:\n{plan}");
    assert!(
        !plan.contains("forces replacement"),
        "unexpected replace:\n{plan}"
    );
    f.apply();
    f.assert_no_changes();

    // Force-new: the service's name replaces it (and what hangs off it).
    let replaced = updated.replace("name      = \"orders\"", "name      = \"orders-v2\"");
    f.write(&replaced);
    let plan = f.plan_text();
    assert!(
        plan.contains("forces replacement"),
        "expected a replace:\n{plan}"
    );
    f.apply();
    f.assert_no_changes();
    assert_eq!(f.counts(), (1, 1, 1));

    f.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(f.counts(), (0, 0, 0));
}

/// The quickstart example plans, applies, re-plans with no changes and destroys.
#[test]
fn aws_quickstart_example() {
    let f = Fixture::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart/main.tf");
    let text = std::fs::read_to_string(example).expect("example");
    let url = f.emulator.endpoint_url().to_string();
    // The example relies on AWS_ENDPOINT_URL; the test also sets it explicitly.
    std::fs::write(f.dir.path().join("main.tf"), text).unwrap();
    let vpc_var = format!("vpc_id={}", f.vpc);
    let out = run_in(
        f.dir.path(),
        &f.emulator,
        &["apply", "-auto-approve", "-no-color", "-var", &vpc_var],
    );
    assert!(
        out.status.success(),
        "apply failed against {url}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(f.counts(), (1, 2, 2));
    let out = run_in(
        f.dir.path(),
        &f.emulator,
        &["plan", "-detailed-exitcode", "-no-color", "-var", &vpc_var],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_in(
        f.dir.path(),
        &f.emulator,
        &["destroy", "-auto-approve", "-no-color", "-var", &vpc_var],
    );
    assert!(
        out.status.success(),
        "destroy failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(f.counts(), (0, 0, 0));
}

/// A create whose effect exists but whose answer was lost, then a re-run: one service.
#[test]
fn aws_crash_after_create_adopts() {
    let f = Fixture::new();
    f.write_with_retries(
        r#"resource "aws_vpclattice_service" "svc" {
  name = "crashy"
}"#,
        0,
    );
    f.emulator
        .set_faults(&serde_json::json!({
            "per_operation": {"vpc-lattice:CreateService": {"fail_after_success": 1}}
        }))
        .unwrap();
    let out = f.run(&["apply", "-auto-approve", "-no-color"]);
    assert!(!out.status.success(), "the first apply should fail");
    assert_eq!(f.counts().1, 1);
    f.emulator.set_faults(&serde_json::json!({})).unwrap();
    f.apply();
    assert_eq!(f.counts().1, 1, "exactly one service after the re-run");
    f.assert_no_changes();
    f.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(f.counts(), (0, 0, 0));
}

/// Throttling and 500s on 20 percent of calls: apply and destroy converge.
#[test]
fn aws_converges_under_faults() {
    let f = Fixture::new();
    f.write_with_retries(MESH, 20);
    f.emulator
        .set_faults(&serde_json::json!({"throttle_rate": 0.1, "error_rate": 0.1, "seed": 7}))
        .unwrap();
    f.apply();
    f.assert_no_changes();
    f.ok(&["destroy", "-auto-approve", "-no-color"]);
    f.emulator.set_faults(&serde_json::json!({})).unwrap();
    assert_eq!(f.counts(), (0, 0, 0));
}

/// Plan-time validation: every problem reported, no API call made.
#[test]
fn aws_validation_errors_at_plan_time() {
    let f = Fixture::new();
    f.write(
        r#"
resource "aws_vpclattice_service" "bad" {
  name = "Bad--Name"
}
resource "aws_vpclattice_listener" "l" {
  name               = "listener-x"
  protocol           = "FTP"
  port               = 70000
  service_identifier = "svc-0123456789abcdef0"
  default_action {
    fixed_response {
      status_code = 404
    }
  }
}
resource "aws_vpclattice_listener_rule" "r" {
  name                = "r1"
  service_identifier  = "svc-0123456789abcdef0"
  listener_identifier = "listener-0123456789abcdef0"
  priority            = 101
  match {
    http_match {
      method = "GET"
    }
  }
  action {
    fixed_response {
      status_code = 404
    }
  }
}
resource "aws_vpclattice_auth_policy" "p" {
  resource_identifier = "svc-0123456789abcdef0"
  policy              = "{not json"
}
"#,
    );
    f.emulator.reset_calls().unwrap();
    let out = f.run(&["plan", "-no-color"]);
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "plan should fail:\n{text}");
    for needle in [
        "invalid name \"Bad--Name\"",
        "invalid name \"listener-x\"",
        "\"FTP\" is not one of",
        "port 70000 is out of range",
        "priority 101 is out of range",
        "policy is not valid json",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let lattice_calls = f
        .emulator
        .calls()
        .unwrap()
        .get("vpc-lattice")
        .map(|ops| ops.values().sum::<u64>())
        .unwrap_or(0);
    assert_eq!(lattice_calls, 0, "validation must not call the api");
}

/// The listener, auth policy and resource policy data sources read what the mesh holds;
/// a policy that does not exist fails the plan with a message that says so.
#[test]
fn aws_lattice_data_sources() {
    let f = Fixture::new();
    f.write(MESH);
    f.apply();

    let lookups = r#"
data "aws_vpclattice_listener" "http" {
  service_identifier  = aws_vpclattice_service.svc.id
  listener_identifier = aws_vpclattice_listener.http.arn
}

data "aws_vpclattice_auth_policy" "svc" {
  resource_identifier = aws_vpclattice_service.svc.arn
}

data "aws_vpclattice_service" "svc" {
  service_identifier = aws_vpclattice_service.svc.id
}

output "service_keys" {
  value = keys(data.aws_vpclattice_service.svc)
}

data "aws_vpclattice_resource_policy" "net" {
  resource_arn = aws_vpclattice_service_network.net.arn
}

output "listener" {
  value = {
    id       = data.aws_vpclattice_listener.http.listener_id
    port     = data.aws_vpclattice_listener.http.port
    protocol = data.aws_vpclattice_listener.http.protocol
    service  = data.aws_vpclattice_listener.http.service_id
    forward  = data.aws_vpclattice_listener.http.default_action[0].forward.target_groups[0].target_group_identifier
    same     = data.aws_vpclattice_listener.http.arn == aws_vpclattice_listener.http.arn
  }
}

output "auth_state" {
  value = data.aws_vpclattice_auth_policy.svc.state
}

output "auth_principal" {
  value = jsondecode(data.aws_vpclattice_auth_policy.svc.policy).Statement[0].Principal
}

output "resource_policy_account" {
  value = jsondecode(data.aws_vpclattice_resource_policy.net.policy).Statement[0].Principal.AWS
}
"#;
    f.write(&format!("{MESH}\n{lookups}"));
    f.apply();
    let out = f.ok(&["output", "-json"]);
    let outputs: serde_json::Value =
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let listener = &outputs["listener"]["value"];
    assert_eq!(listener["port"], 80, "{outputs}");
    assert_eq!(listener["protocol"], "HTTP");
    assert_eq!(listener["same"], true);
    let state: serde_json::Value =
        serde_json::from_str(&f.ok(&["state", "pull"])).expect("state is JSON");
    let text = state.to_string();
    let tg_id = text
        .split("\"tg-")
        .nth(1)
        .map(|rest| format!("tg-{}", &rest[..rest.find('"').unwrap()]))
        .expect("a target group id in state");
    assert_eq!(listener["forward"], tg_id.as_str());
    assert!(listener["service"].as_str().unwrap().starts_with("svc-"));
    // The data source shows the service's attributes, none of the provider's own.
    let keys: Vec<&str> = outputs["service_keys"]["value"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k.as_str())
        .collect();
    assert!(
        keys.contains(&"arn") && keys.contains(&"dns_entry"),
        "{keys:?}"
    );
    assert!(!keys.iter().any(|k| k.starts_with("__")), "{keys:?}");
    assert_eq!(outputs["auth_state"]["value"], "Active");
    assert_eq!(outputs["auth_principal"]["value"], "*");
    assert_eq!(outputs["resource_policy_account"]["value"], "111111111111");
    f.assert_no_changes();

    // A service without an auth policy: the lookup fails the plan with the reason.
    let bare = "\nresource \"aws_vpclattice_service\" \"bare\" {\n  name = \"bare\"\n}\n";
    f.write(&format!("{MESH}{bare}"));
    f.apply();
    f.write(&format!(
        "{MESH}{bare}\ndata \"aws_vpclattice_auth_policy\" \"bare\" {{\n  resource_identifier = aws_vpclattice_service.bare.id\n}}\n"
    ));
    let out = f.run(&["plan", "-no-color"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("has no auth policy"), "{text}");
}

/// Two services, each with a listener, two rules, a target group, an auth policy and a
/// network association: enough of each kind for refresh to list instead of reading.
const REFRESH_MESH: &str = r#"
resource "aws_vpclattice_service_network" "net" {
  name      = "refresh-net"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_service" "svc" {
  for_each  = toset(["alpha", "beta"])
  name      = each.key
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_target_group" "tg" {
  for_each = toset(["alpha", "beta"])
  name     = "${each.key}-ip"
  type     = "IP"
  config {
    vpc_identifier = "VPC_ID"
    port           = 8080
    protocol       = "HTTP"
  }
}

resource "aws_vpclattice_listener" "http" {
  for_each           = toset(["alpha", "beta"])
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.svc[each.key].id
  default_action {
    forward {
      target_groups {
        target_group_identifier = aws_vpclattice_target_group.tg[each.key].id
      }
    }
  }
}

locals {
  rules = {
    "alpha-10" = { service = "alpha", priority = 10 }
    "alpha-20" = { service = "alpha", priority = 20 }
    "beta-10"  = { service = "beta", priority = 10 }
    "beta-20"  = { service = "beta", priority = 20 }
  }
}

resource "aws_vpclattice_listener_rule" "r" {
  for_each            = local.rules
  name                = "path-${each.value.priority}"
  service_identifier  = aws_vpclattice_service.svc[each.value.service].id
  listener_identifier = aws_vpclattice_listener.http[each.value.service].listener_id
  priority            = each.value.priority
  match {
    http_match {
      path_match {
        match {
          prefix = "/p${each.value.priority}"
        }
      }
    }
  }
  action {
    fixed_response {
      status_code = 404
    }
  }
}

resource "aws_vpclattice_auth_policy" "a" {
  for_each            = toset(["alpha", "beta"])
  resource_identifier = aws_vpclattice_service.svc[each.key].arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "vpc-lattice-svcs:Invoke", Resource = "*" }]
  })
}

resource "aws_vpclattice_service_network_service_association" "sn" {
  for_each                   = toset(["alpha", "beta"])
  service_identifier         = aws_vpclattice_service.svc[each.key].id
  service_network_identifier = aws_vpclattice_service_network.net.id
}
"#;

/// Refresh lists what it can and reads in full only what changed: a no-change plan makes no
/// Get call for services, target groups, rules or associations; changes made outside
/// trellis to attributes that lists do not return (a service's auth type, a rule's action)
/// are still seen, by reading just those objects; `-refresh=full` reads everything.
#[test]
fn aws_refresh_lists_and_reads_only_what_changed() {
    let f = Fixture::new();
    f.write(REFRESH_MESH);
    let calls = |op: &str| f.emulator.call_count("vpc-lattice", op).unwrap();
    f.emulator.reset_calls().unwrap();
    f.apply();
    // Each create ends with one Get of its object (the read-back, or the waiter's poll that
    // finds it ACTIVE at once: the emulator's asynchronous delay is 0 here), and that Get
    // also gives the stamp refresh compares: no second Get per object.
    for (op, objects) in [
        ("GetServiceNetwork", 1),
        ("GetService", 2),
        ("GetTargetGroup", 2),
        ("GetListener", 2),
        ("GetRule", 4),
    ] {
        assert_eq!(calls(op), objects, "{op} during the apply");
    }

    f.emulator.reset_calls().unwrap();
    f.assert_no_changes();
    for op in [
        "GetService",
        "GetTargetGroup",
        "GetRule",
        "GetServiceNetworkServiceAssociation",
    ] {
        assert_eq!(calls(op), 0, "{op} on a no-change refresh");
    }
    assert_eq!(calls("ListServices"), 1);
    assert_eq!(calls("ListTargetGroups"), 1);
    assert_eq!(calls("ListRules"), 2, "one list per listener");
    assert_eq!(calls("ListServiceNetworkServiceAssociations"), 1);
    assert_eq!(calls("GetAuthPolicy"), 2, "policies have no list");

    // Outside trellis: alpha's auth type and one of alpha's rules.
    let client = f.lattice();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let services = client.list_services().send().await.unwrap();
        let alpha = services
            .items()
            .iter()
            .find(|s| s.name() == Some("alpha"))
            .and_then(|s| s.id())
            .unwrap()
            .to_string();
        client
            .update_service()
            .service_identifier(&alpha)
            .auth_type(aws_sdk_vpclattice::types::AuthType::None)
            .send()
            .await
            .unwrap();
        let listeners = client
            .list_listeners()
            .service_identifier(&alpha)
            .send()
            .await
            .unwrap();
        let listener = listeners.items()[0].id().unwrap().to_string();
        let rules = client
            .list_rules()
            .service_identifier(&alpha)
            .listener_identifier(&listener)
            .send()
            .await
            .unwrap();
        let rule = rules
            .items()
            .iter()
            .find(|r| r.name() == Some("path-10"))
            .and_then(|r| r.id())
            .unwrap()
            .to_string();
        let action = aws_sdk_vpclattice::types::RuleAction::FixedResponse(
            aws_sdk_vpclattice::types::FixedResponseAction::builder()
                .status_code(503)
                .build()
                .unwrap(),
        );
        client
            .update_rule()
            .service_identifier(&alpha)
            .listener_identifier(&listener)
            .rule_identifier(&rule)
            .action(action)
            .send()
            .await
            .unwrap();
    });

    f.emulator.reset_calls().unwrap();
    let plan = f.plan_text();
    assert!(
        plan.contains("aws_vpclattice_service.svc[\"alpha\"]")
            && plan.contains("aws_vpclattice_listener_rule.r[\"alpha-10\"]"),
        "both changes are planned back:\n{plan}"
    );
    assert!(
        !plan.contains("aws_vpclattice_service.svc[\"beta\"] will")
            && !plan.contains("aws_vpclattice_listener_rule.r[\"alpha-20\"] will"),
        "nothing else changes:\n{plan}"
    );
    assert_eq!(calls("GetService"), 1, "only the changed service is read");
    assert_eq!(calls("GetRule"), 1, "only the changed rule is read");

    // Applying puts both back; the next refresh is cheap again.
    f.apply();
    f.emulator.reset_calls().unwrap();
    f.assert_no_changes();
    assert_eq!(calls("GetService") + calls("GetRule"), 0);

    f.emulator.reset_calls().unwrap();
    let out = f.run(&["plan", "-refresh=full", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(calls("GetService"), 2, "-refresh=full reads every service");
    assert_eq!(calls("GetRule"), 4, "-refresh=full reads every rule");

    f.ok(&["destroy", "-auto-approve", "-no-color"]);
    assert_eq!(f.counts(), (0, 0, 0));
}
