//! Replacement of every `aws_vpclattice_*` resource type, end to end: the real `trellis`
//! binary against the emulator, one force-new attribute changed at a time. For each type the
//! plan must say the resource must be replaced, name the changed attribute as the reason
//! (`# forces replacement`) and touch nothing else (`1 to add, 0 to change, 1 to destroy`);
//! after the apply the SDK must find the old object gone and the new one with the new value,
//! and a re-plan shows no changes.
//!
//! Two emulators (two tests) cover the eleven types between them, so the runs stay few.

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_vpclattice::error::{ProvideErrorMetadata, SdkError};
use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

struct Fixture {
    emulator: Emulator,
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    client: aws_sdk_vpclattice::Client,
    /// The configuration as last written, without the provider block.
    body: String,
}

impl Fixture {
    fn new() -> Fixture {
        let emulator = Emulator::start().expect("emulator starts");
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let config = rt
            .block_on(emulator.sdk_config(DEFAULT_ACCOUNT, "us-east-1"))
            .expect("sdk config");
        Fixture {
            client: aws_sdk_vpclattice::Client::new(&config),
            emulator,
            dir: tempfile::tempdir().expect("temp dir"),
            rt,
            body: String::new(),
        }
    }

    fn vpc(&self, cidr: &str) -> String {
        self.emulator
            .create_vpc(DEFAULT_ACCOUNT, "us-east-1", cidr)
            .expect("vpc")
    }

    fn write(&mut self, body: &str) {
        let url = self.emulator.endpoint_url();
        let provider = format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n  max_retries = 3\n  \
             endpoints {{\n    vpclattice = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n"
        );
        std::fs::write(
            self.dir.path().join("main.tf"),
            format!("{provider}\n{body}"),
        )
        .expect("write main.tf");
        self.body = body.to_string();
    }

    fn run(&self, args: &[&str]) -> Output {
        run_in(self.dir.path(), &self.emulator, args)
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let text = text(&out);
        assert!(out.status.success(), "trellis {args:?} failed:\n{text}");
        text
    }

    #[track_caller]
    fn assert_no_changes(&self) {
        let out = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "plan shows changes:\n{}",
            text(&out)
        );
    }

    /// The state value of one resource instance.
    #[track_caller]
    fn state_of(&self, address: &str) -> serde_json::Value {
        let pulled = self.ok(&["state", "pull"]);
        let json = &pulled[..pulled.rfind('}').expect("state pull prints JSON") + 1];
        let state: serde_json::Value = serde_json::from_str(json).expect("state is JSON");
        state["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address} not in state"))["value"]
            .clone()
    }

    /// Changes `from` to `to` in the configuration (exactly one occurrence), then checks
    /// that the plan replaces `address`, and only it, because of `attribute`; applies, checks
    /// that a re-plan is clean, and returns the state values before and after.
    #[track_caller]
    fn replace(
        &mut self,
        address: &str,
        attribute: &str,
        from: &str,
        to: &str,
    ) -> (serde_json::Value, serde_json::Value) {
        assert_eq!(
            self.body.matches(from).count(),
            1,
            "{from:?} must occur exactly once in the configuration"
        );
        let before = self.state_of(address);
        let body = self.body.replacen(from, to, 1);
        self.write(&body);
        let plan = self.ok(&["plan", "-no-color"]);
        assert!(
            has_line(&plan, &[address, "must be replaced"]),
            "plan does not replace {address}:\n{plan}"
        );
        let reason = format!("{attribute} ");
        assert!(
            has_line(&plan, &[&reason, "->", "# forces replacement"]),
            "plan does not name {attribute} as the reason:\n{plan}"
        );
        assert!(
            plan.contains("1 to add, 0 to change, 1 to destroy"),
            "the plan replaces more than {address}:\n{plan}"
        );
        self.ok(&["apply", "-auto-approve", "-no-color"]);
        self.assert_no_changes();
        let after = self.state_of(address);
        assert_ne!(before["id"], after["id"], "{address} kept its id");
        (before, after)
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether one line holds every part, in order.
fn has_line(text: &str, parts: &[&str]) -> bool {
    text.lines().any(|line| {
        let mut rest = line;
        parts.iter().all(|part| match rest.find(part) {
            Some(i) => {
                rest = &rest[i + part.len()..];
                true
            }
            None => false,
        })
    })
}

fn run_in(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .output()
        .expect("trellis runs")
}

/// A string attribute of a state value.
fn s<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {value}"))
}

/// Asserts that a Get answered ResourceNotFoundException.
#[track_caller]
fn assert_gone<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    what: &str,
    result: Result<T, SdkError<E>>,
) {
    match result {
        Ok(found) => panic!("{what} still exists: {found:?}"),
        Err(e) => assert_eq!(
            e.code(),
            Some("ResourceNotFoundException"),
            "{what}: unexpected error {e:?}"
        ),
    }
}

/// Service network, service, target group (a nested `config` attribute), target group
/// attachment (a nested `target` attribute), listener and listener rule.
#[test]
fn aws_replace_networks_services_target_groups_listeners_rules() {
    let mut f = Fixture::new();
    let vpc = f.vpc("10.0.0.0/16");
    f.write(
        &r#"
resource "aws_vpclattice_service_network" "net" {
  name = "replace-net-a"
}

resource "aws_vpclattice_service" "svc" {
  name = "replace-svc-a"
}

resource "aws_vpclattice_target_group" "tg" {
  name = "replace-tg"
  type = "IP"
  config {
    vpc_identifier = "VPC_ID"
    port           = 8080
    protocol       = "HTTP"
  }
}

resource "aws_vpclattice_target_group" "pool" {
  name = "replace-pool"
  type = "IP"
  config {
    vpc_identifier = "VPC_ID"
    port           = 9000
    protocol       = "HTTP"
  }
}

resource "aws_vpclattice_target_group_attachment" "t1" {
  target_group_identifier = aws_vpclattice_target_group.pool.id
  target {
    id   = "10.0.0.10"
    port = 9000
  }
}

resource "aws_vpclattice_service" "api" {
  name = "replace-api"
}

resource "aws_vpclattice_listener" "http" {
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.api.id
  default_action {
    fixed_response {
      status_code = 404
    }
  }
}

resource "aws_vpclattice_listener" "rules" {
  name               = "rules"
  protocol           = "HTTP"
  port               = 81
  service_identifier = aws_vpclattice_service.api.id
  default_action {
    fixed_response {
      status_code = 404
    }
  }
}

resource "aws_vpclattice_listener_rule" "r" {
  name                = "route-a"
  service_identifier  = aws_vpclattice_service.api.id
  listener_identifier = aws_vpclattice_listener.rules.listener_id
  priority            = 10
  match {
    http_match {
      method = "GET"
    }
  }
  action {
    fixed_response {
      status_code = 403
    }
  }
}
"#
        .replace("VPC_ID", &vpc),
    );
    f.ok(&["apply", "-auto-approve", "-no-color"]);
    f.assert_no_changes();
    let c = f.client.clone();

    let (old, new) = f.replace(
        "aws_vpclattice_service_network.net",
        "name",
        "\"replace-net-a\"",
        "\"replace-net-b\"",
    );
    f.rt.block_on(async {
        assert_gone(
            "old service network",
            c.get_service_network()
                .service_network_identifier(s(&old, "id"))
                .send()
                .await,
        );
        let got = c
            .get_service_network()
            .service_network_identifier(s(&new, "id"))
            .send()
            .await
            .expect("new service network");
        assert_eq!(got.name(), Some("replace-net-b"));
    });

    let (old, new) = f.replace(
        "aws_vpclattice_service.svc",
        "name",
        "\"replace-svc-a\"",
        "\"replace-svc-b\"",
    );
    f.rt.block_on(async {
        assert_gone(
            "old service",
            c.get_service()
                .service_identifier(s(&old, "id"))
                .send()
                .await,
        );
        let got = c
            .get_service()
            .service_identifier(s(&new, "id"))
            .send()
            .await
            .expect("new service");
        assert_eq!(got.name(), Some("replace-svc-b"));
    });

    let (old, new) = f.replace(
        "aws_vpclattice_target_group.tg",
        "port",
        "port           = 8080",
        "port           = 8081",
    );
    f.rt.block_on(async {
        assert_gone(
            "old target group",
            c.get_target_group()
                .target_group_identifier(s(&old, "id"))
                .send()
                .await,
        );
        let got = c
            .get_target_group()
            .target_group_identifier(s(&new, "id"))
            .send()
            .await
            .expect("new target group");
        assert_eq!(got.config().and_then(|c| c.port()), Some(8081));
    });

    let pool = s(&f.state_of("aws_vpclattice_target_group.pool"), "id").to_string();
    f.replace(
        "aws_vpclattice_target_group_attachment.t1",
        "id",
        "\"10.0.0.10\"",
        "\"10.0.0.11\"",
    );
    f.rt.block_on(async {
        let targets = c
            .list_targets()
            .target_group_identifier(&pool)
            .send()
            .await
            .expect("list targets");
        let ids: Vec<Option<&str>> = targets.items().iter().map(|t| t.id()).collect();
        assert_eq!(ids, [Some("10.0.0.11")], "the old target is deregistered");
    });

    let (old, new) = f.replace(
        "aws_vpclattice_listener.http",
        "port",
        "port               = 80\n",
        "port               = 8080\n",
    );
    let api = s(&f.state_of("aws_vpclattice_service.api"), "id").to_string();
    f.rt.block_on(async {
        assert_gone(
            "old listener",
            c.get_listener()
                .service_identifier(&api)
                .listener_identifier(s(&old, "listener_id"))
                .send()
                .await,
        );
        let got = c
            .get_listener()
            .service_identifier(&api)
            .listener_identifier(s(&new, "listener_id"))
            .send()
            .await
            .expect("new listener");
        assert_eq!(got.port(), Some(8080));
    });

    let (old, new) = f.replace(
        "aws_vpclattice_listener_rule.r",
        "name",
        "\"route-a\"",
        "\"route-b\"",
    );
    f.rt.block_on(async {
        assert_gone(
            "old rule",
            c.get_rule()
                .service_identifier(&api)
                .listener_identifier(s(&old, "listener_identifier"))
                .rule_identifier(s(&old, "rule_id"))
                .send()
                .await,
        );
        let got = c
            .get_rule()
            .service_identifier(&api)
            .listener_identifier(s(&new, "listener_identifier"))
            .rule_identifier(s(&new, "rule_id"))
            .send()
            .await
            .expect("new rule");
        assert_eq!(got.name(), Some("route-b"));
    });

    f.ok(&["destroy", "-auto-approve", "-no-color"]);
    f.rt.block_on(async {
        let networks = c.list_service_networks().send().await.unwrap();
        let services = c.list_services().send().await.unwrap();
        let groups = c.list_target_groups().send().await.unwrap();
        assert!(networks.items().is_empty() && services.items().is_empty());
        assert!(groups.items().is_empty());
    });
}

/// Service network service association, VPC association, auth policy, resource policy and
/// access log subscription.
#[test]
fn aws_replace_associations_policies_and_log_subscriptions() {
    let mut f = Fixture::new();
    let vpc_a = f.vpc("10.0.0.0/16");
    let vpc_b = f.vpc("10.1.0.0/16");
    f.write(
        &r#"
resource "aws_vpclattice_service_network" "mesh" {
  name = "replace-mesh"
}

resource "aws_vpclattice_service" "orders" {
  name = "orders"
}

resource "aws_vpclattice_service" "billing" {
  name = "billing"
}

resource "aws_vpclattice_service_network_service_association" "a" {
  service_identifier         = aws_vpclattice_service.orders.id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}

resource "aws_vpclattice_service_network_vpc_association" "v" {
  vpc_identifier             = "VPC_A"
  service_network_identifier = aws_vpclattice_service_network.mesh.id
}

resource "aws_vpclattice_auth_policy" "p" {
  resource_identifier = aws_vpclattice_service.orders.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "*", Resource = "*" }]
  })
}

resource "aws_vpclattice_resource_policy" "share" {
  resource_arn = aws_vpclattice_service_network.mesh.arn
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "111111111111" }, Action = "vpc-lattice:CreateServiceNetworkServiceAssociation", Resource = "*" }]
  })
}

resource "aws_vpclattice_access_log_subscription" "logs" {
  resource_identifier = aws_vpclattice_service.orders.id
  destination_arn     = "arn:aws:logs:us-east-1:123456789012:log-group:lattice-a"
}
"#
        .replace("VPC_A", &vpc_a),
    );
    f.ok(&["apply", "-auto-approve", "-no-color"]);
    f.assert_no_changes();
    let c = f.client.clone();
    let orders = f.state_of("aws_vpclattice_service.orders");
    let billing = f.state_of("aws_vpclattice_service.billing");
    let mesh = f.state_of("aws_vpclattice_service_network.mesh");

    let (old, new) = f.replace(
        "aws_vpclattice_service_network_service_association.a",
        "service_identifier",
        "service_identifier         = aws_vpclattice_service.orders.id",
        "service_identifier         = aws_vpclattice_service.billing.id",
    );
    f.rt.block_on(async {
        assert_gone(
            "old service association",
            c.get_service_network_service_association()
                .service_network_service_association_identifier(s(&old, "id"))
                .send()
                .await,
        );
        let got = c
            .get_service_network_service_association()
            .service_network_service_association_identifier(s(&new, "id"))
            .send()
            .await
            .expect("new service association");
        assert_eq!(got.service_id(), Some(s(&billing, "id")));
    });

    let (old, new) = f.replace(
        "aws_vpclattice_service_network_vpc_association.v",
        "vpc_identifier",
        &vpc_a,
        &vpc_b,
    );
    f.rt.block_on(async {
        assert_gone(
            "old vpc association",
            c.get_service_network_vpc_association()
                .service_network_vpc_association_identifier(s(&old, "id"))
                .send()
                .await,
        );
        let got = c
            .get_service_network_vpc_association()
            .service_network_vpc_association_identifier(s(&new, "id"))
            .send()
            .await
            .expect("new vpc association");
        assert_eq!(got.vpc_id(), Some(vpc_b.as_str()));
    });

    f.replace(
        "aws_vpclattice_auth_policy.p",
        "resource_identifier",
        "resource_identifier = aws_vpclattice_service.orders.arn",
        "resource_identifier = aws_vpclattice_service.billing.arn",
    );
    f.rt.block_on(async {
        let old = c
            .get_auth_policy()
            .resource_identifier(s(&orders, "arn"))
            .send()
            .await;
        match old {
            Ok(found) => assert!(found.policy().is_none(), "old auth policy left: {found:?}"),
            Err(e) => assert_eq!(e.code(), Some("ResourceNotFoundException"), "{e:?}"),
        }
        let got = c
            .get_auth_policy()
            .resource_identifier(s(&billing, "arn"))
            .send()
            .await
            .expect("new auth policy");
        assert!(got.policy().is_some_and(|p| p.contains("Statement")));
    });

    f.replace(
        "aws_vpclattice_resource_policy.share",
        "resource_arn",
        "resource_arn = aws_vpclattice_service_network.mesh.arn",
        "resource_arn = aws_vpclattice_service.billing.arn",
    );
    f.rt.block_on(async {
        let old = c
            .get_resource_policy()
            .resource_arn(s(&mesh, "arn"))
            .send()
            .await;
        match old {
            Ok(found) => assert!(
                found.policy().is_none(),
                "old resource policy left: {found:?}"
            ),
            Err(e) => assert_eq!(e.code(), Some("ResourceNotFoundException"), "{e:?}"),
        }
        let got = c
            .get_resource_policy()
            .resource_arn(s(&billing, "arn"))
            .send()
            .await
            .expect("new resource policy");
        assert!(got.policy().is_some_and(|p| p.contains("111111111111")));
    });

    let (old, new) = f.replace(
        "aws_vpclattice_access_log_subscription.logs",
        "destination_arn",
        "log-group:lattice-a",
        "log-group:lattice-b",
    );
    f.rt.block_on(async {
        assert_gone(
            "old access log subscription",
            c.get_access_log_subscription()
                .access_log_subscription_identifier(s(&old, "id"))
                .send()
                .await,
        );
        let got = c
            .get_access_log_subscription()
            .access_log_subscription_identifier(s(&new, "id"))
            .send()
            .await
            .expect("new access log subscription");
        assert!(got.destination_arn().ends_with("log-group:lattice-b"));
    });

    f.ok(&["destroy", "-auto-approve", "-no-color"]);
    f.rt.block_on(async {
        let networks = c.list_service_networks().send().await.unwrap();
        let services = c.list_services().send().await.unwrap();
        assert!(networks.items().is_empty() && services.items().is_empty());
    });
}
