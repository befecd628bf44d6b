//! Resource gateways, resource configurations and service network resource associations,
//! end to end: the real `trellis` binary against the emulator. Create (DNS, IP, group with
//! child, and ARN configurations), a clean re-plan, updates in place, replacements with
//! their reason, import, discovery with generated configuration, destroy, and bad input
//! refused before any API call.

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_vpclattice::error::ProvideErrorMetadata;
use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

struct Fixture {
    emulator: Emulator,
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    client: aws_sdk_vpclattice::Client,
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
        }
    }

    fn write(&self, file: &str, body: &str) {
        std::fs::write(self.dir.path().join(file), body).expect("write");
    }

    fn write_main(&self, body: &str) {
        let url = self.emulator.endpoint_url();
        let provider = format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n  max_retries = 3\n  \
             endpoints {{\n    vpclattice = \"{url}\"\n    ec2 = \"{url}\"\n    \
             sts = \"{url}\"\n  }}\n}}\n"
        );
        self.write("main.tf", &format!("{provider}\n{body}"));
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

    fn lattice_calls(&self) -> u64 {
        let calls = self.emulator.calls().expect("calls");
        calls
            .iter()
            .filter(|(service, _)| service.as_str() != "_trellis")
            .flat_map(|(_, ops)| ops.values())
            .sum()
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

fn s<'a>(value: &'a serde_json::Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {value}"))
}

const NETWORK: &str = r#"
resource "aws_vpc" "data" {
  cidr_block = "10.20.0.0/16"
}

resource "aws_subnet" "a" {
  vpc_id     = aws_vpc.data.id
  cidr_block = "10.20.1.0/24"
}

resource "aws_security_group" "gw" {
  name   = "resource-gateway"
  vpc_id = aws_vpc.data.id
}

resource "aws_security_group" "gw2" {
  name   = "resource-gateway-2"
  vpc_id = aws_vpc.data.id
}
"#;

const MESH: &str = r#"
resource "aws_vpclattice_resource_gateway" "db" {
  name               = "orders-db-gw"
  vpc_id             = aws_vpc.data.id
  subnet_ids         = [aws_subnet.a.id]
  security_group_ids = [aws_security_group.gw.id]
  tags = {
    team = "data"
  }
}

resource "aws_vpclattice_service_network" "mesh" {
  name = "orders-mesh"
}

resource "aws_vpclattice_service_network" "other" {
  name = "other-mesh"
}

resource "aws_vpclattice_resource_configuration" "by_dns" {
  name                        = "orders-db-dns"
  resource_gateway_identifier = aws_vpclattice_resource_gateway.db.id
  port_ranges                 = ["5432"]

  resource_configuration_definition {
    dns_resource {
      domain_name     = "orders.cluster-abc.us-east-1.rds.amazonaws.com"
      ip_address_type = "IPV4"
    }
  }
}

resource "aws_vpclattice_resource_configuration" "by_ip" {
  name                        = "orders-db-ip"
  resource_gateway_identifier = aws_vpclattice_resource_gateway.db.id
  port_ranges                 = ["5432", "6000-6010"]
  protocol                    = "TCP"

  resource_configuration_definition {
    ip_resource {
      ip_address = "10.20.1.50"
    }
  }
}

resource "aws_vpclattice_resource_configuration" "group" {
  name                        = "orders-replicas"
  type                        = "GROUP"
  resource_gateway_identifier = aws_vpclattice_resource_gateway.db.id
  port_ranges                 = ["5432"]
}

resource "aws_vpclattice_resource_configuration" "child" {
  name                            = "orders-replica-1"
  type                            = "CHILD"
  resource_configuration_group_id = aws_vpclattice_resource_configuration.group.id
  port_ranges                     = ["5432"]

  resource_configuration_definition {
    ip_resource {
      ip_address = "10.20.1.51"
    }
  }
}

resource "aws_vpclattice_resource_configuration" "rds" {
  name                        = "orders-rds-arn"
  type                        = "ARN"
  resource_gateway_identifier = aws_vpclattice_resource_gateway.db.id

  resource_configuration_definition {
    arn_resource {
      arn = "arn:aws:rds:us-east-1:123456789012:db:orders"
    }
  }
}

resource "aws_vpclattice_service_network_resource_association" "dns" {
  resource_configuration_identifier = aws_vpclattice_resource_configuration.by_dns.id
  service_network_identifier        = aws_vpclattice_service_network.mesh.id
  tags = {
    path = "dns"
  }
}

resource "aws_vpclattice_service_network_resource_association" "ip" {
  resource_configuration_identifier = aws_vpclattice_resource_configuration.by_ip.id
  service_network_identifier        = aws_vpclattice_service_network.mesh.id
}

resource "aws_vpclattice_service_network_resource_association" "group" {
  resource_configuration_identifier = aws_vpclattice_resource_configuration.group.id
  service_network_identifier        = aws_vpclattice_service_network.mesh.id
}
"#;

#[test]
fn resource_gateways_and_configurations_create_update_replace_and_destroy() {
    let f = Fixture::new();
    let mut body = format!("{NETWORK}{MESH}");
    f.write_main(&body);
    f.ok(&["apply", "-auto-approve", "-no-color"]);
    f.assert_no_changes();

    // What AWS holds is what the configuration says.
    let gw = f.state_of("aws_vpclattice_resource_gateway.db");
    assert_eq!(s(&gw, "status"), "ACTIVE");
    assert_eq!(gw["ip_address_type"], "IPV4");
    assert_eq!(gw["ipv4_addresses_per_eni"], 16);
    let by_ip = f.state_of("aws_vpclattice_resource_configuration.by_ip");
    let got =
        f.rt.block_on(
            f.client
                .get_resource_configuration()
                .resource_configuration_identifier(s(&by_ip, "id"))
                .send(),
        )
        .expect("configuration exists");
    assert_eq!(got.port_ranges(), ["5432", "6000-6010"]);
    assert_eq!(got.resource_gateway_id(), Some(s(&gw, "id")));
    let child = f.state_of("aws_vpclattice_resource_configuration.child");
    assert_eq!(child["resource_gateway_identifier"], gw["id"]);
    let dns = f.state_of("aws_vpclattice_service_network_resource_association.dns");
    assert!(
        s(&dns["dns_entry"][0], "domain_name").ends_with(".vpc-lattice-rsc.us-east-1.on.aws"),
        "{dns}"
    );

    // In place: the gateway's security groups, port ranges, a DNS definition's name.
    body = body
        .replacen(
            "security_group_ids = [aws_security_group.gw.id]",
            "security_group_ids = [aws_security_group.gw2.id]",
            1,
        )
        .replacen(
            "port_ranges                 = [\"5432\", \"6000-6010\"]",
            "port_ranges                 = [\"5432\", \"7000-7010\"]",
            1,
        )
        .replacen(
            "orders.cluster-abc.us-east-1.rds.amazonaws.com",
            "orders.cluster-xyz.us-east-1.rds.amazonaws.com",
            1,
        );
    f.write_main(&body);
    let plan = f.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 3 to change, 0 to destroy"),
        "not three in-place updates:\n{plan}"
    );
    f.ok(&["apply", "-auto-approve", "-no-color"]);
    f.assert_no_changes();
    let got =
        f.rt.block_on(
            f.client
                .get_resource_configuration()
                .resource_configuration_identifier(s(&by_ip, "id"))
                .send(),
        )
        .expect("configuration exists");
    assert_eq!(got.port_ranges(), ["5432", "7000-7010"]);
    assert_eq!(
        f.state_of("aws_vpclattice_resource_configuration.by_ip")["id"],
        by_ip["id"],
        "updated in place"
    );

    // Force-new: an association moved to another network, an ARN configuration's ARN.
    body = body.replacen(
        "resource_configuration_identifier = aws_vpclattice_resource_configuration.group.id\n  service_network_identifier        = aws_vpclattice_service_network.mesh.id",
        "resource_configuration_identifier = aws_vpclattice_resource_configuration.group.id\n  service_network_identifier        = aws_vpclattice_service_network.other.id",
        1,
    ).replacen(
        "arn:aws:rds:us-east-1:123456789012:db:orders",
        "arn:aws:rds:us-east-1:123456789012:db:orders-v2",
        1,
    );
    f.write_main(&body);
    let before = f.state_of("aws_vpclattice_service_network_resource_association.group");
    let plan = f.ok(&["plan", "-no-color"]);
    assert!(
        has_line(
            &plan,
            &[
                "aws_vpclattice_service_network_resource_association.group",
                "must be replaced"
            ]
        ),
        "{plan}"
    );
    assert!(
        has_line(
            &plan,
            &["service_network_identifier", "->", "# forces replacement"]
        ),
        "{plan}"
    );
    assert!(
        has_line(&plan, &["arn", "orders-v2", "# forces replacement"]),
        "{plan}"
    );
    assert!(
        plan.contains("2 to add, 0 to change, 2 to destroy"),
        "replaces more than the two:\n{plan}"
    );
    f.ok(&["apply", "-auto-approve", "-no-color"]);
    f.assert_no_changes();
    let after = f.state_of("aws_vpclattice_service_network_resource_association.group");
    assert_ne!(before["id"], after["id"]);
    let old = f.rt.block_on(
        f.client
            .get_service_network_resource_association()
            .service_network_resource_association_identifier(s(&before, "id"))
            .send(),
    );
    assert_eq!(
        old.expect_err("old association gone").code(),
        Some("ResourceNotFoundException")
    );

    // Destroy leaves nothing behind (dependencies go in order: associations, children,
    // groups, gateways).
    f.ok(&["destroy", "-auto-approve", "-no-color"]);
    let left =
        f.rt.block_on(f.client.list_resource_configurations().send())
            .expect("list");
    assert!(left.items().is_empty(), "{left:?}");
    let left =
        f.rt.block_on(f.client.list_resource_gateways().send())
            .expect("list");
    assert!(left.items().is_empty(), "{left:?}");
}

#[test]
fn resource_objects_import_and_discover_with_generated_configuration() {
    let f = Fixture::new();
    f.write_main(&format!("{NETWORK}{MESH}"));
    f.ok(&["apply", "-auto-approve", "-no-color"]);
    let gw = f.state_of("aws_vpclattice_resource_gateway.db");
    let by_dns = f.state_of("aws_vpclattice_resource_configuration.by_dns");
    let assoc = f.state_of("aws_vpclattice_service_network_resource_association.dns");
    let mesh = f.state_of("aws_vpclattice_service_network.mesh");

    // Import by ID into a second state: the imported objects plan no change.
    let other = tempfile::tempdir().expect("temp dir");
    let url = f.emulator.endpoint_url();
    let provider = format!(
        "provider \"aws\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    \
         vpclattice = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n"
    );
    let imported = format!(
        r#"{provider}
import {{
  to = aws_vpclattice_resource_gateway.db
  id = "{gw_id}"
}}

resource "aws_vpclattice_resource_gateway" "db" {{
  name               = "orders-db-gw"
  vpc_id             = "{vpc}"
  subnet_ids         = {subnets}
  security_group_ids = {groups}
  tags = {{
    team = "data"
  }}
}}

import {{
  to = aws_vpclattice_resource_configuration.by_dns
  id = "{cfg_id}"
}}

resource "aws_vpclattice_resource_configuration" "by_dns" {{
  name                        = "orders-db-dns"
  resource_gateway_identifier = "{gw_id}"
  port_ranges                 = ["5432"]

  resource_configuration_definition {{
    dns_resource {{
      domain_name     = "orders.cluster-abc.us-east-1.rds.amazonaws.com"
      ip_address_type = "IPV4"
    }}
  }}
}}

import {{
  to = aws_vpclattice_service_network_resource_association.dns
  id = "{assoc_id}"
}}

resource "aws_vpclattice_service_network_resource_association" "dns" {{
  resource_configuration_identifier = "{cfg_id}"
  service_network_identifier        = "{mesh_id}"
  tags = {{
    path = "dns"
  }}
}}
"#,
        gw_id = s(&gw, "id"),
        vpc = s(&gw, "vpc_id"),
        subnets = gw["subnet_ids"],
        groups = gw["security_group_ids"],
        cfg_id = s(&by_dns, "id"),
        assoc_id = s(&assoc, "id"),
        mesh_id = s(&mesh, "id"),
    );
    std::fs::write(other.path().join("main.tf"), imported).expect("write");
    let out = run_in(
        other.path(),
        &f.emulator,
        &["apply", "-auto-approve", "-no-color"],
    );
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("3 imported"), "{printed}");
    let plan = run_in(
        other.path(),
        &f.emulator,
        &["plan", "-detailed-exitcode", "-no-color"],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));

    // A wrong ID names the form.
    let bad = run_in(
        other.path(),
        &f.emulator,
        &[
            "import",
            "aws_vpclattice_resource_gateway.db",
            "rgw-0000000000000dead",
        ],
    );
    assert!(!bad.status.success());

    // Discovery from the network: associations, their configurations (the group's child
    // too) and the gateway, with references and without AWS's defaults.
    let discover = tempfile::tempdir().expect("temp dir");
    std::fs::write(discover.path().join("main.tf"), &provider).expect("write");
    let out = run_in(
        discover.path(),
        &f.emulator,
        &[
            "import",
            &format!("-service-network={}", s(&mesh, "id")),
            "-generate-config-out=mesh.tf",
        ],
    );
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    let generated =
        std::fs::read_to_string(discover.path().join("mesh.tf")).expect("generated file");
    for (type_name, count) in [
        ("aws_vpclattice_service_network", 1),
        ("aws_vpclattice_service_network_resource_association", 3),
        ("aws_vpclattice_resource_configuration", 4),
        ("aws_vpclattice_resource_gateway", 1),
    ] {
        let found = generated
            .matches(&format!("resource \"{type_name}\" "))
            .count();
        assert_eq!(found, count, "{type_name} in:\n{generated}");
    }
    assert!(
        generated.contains("resource_gateway_identifier = aws_vpclattice_resource_gateway."),
        "{generated}"
    );
    assert!(
        generated
            .contains("resource_configuration_group_id = aws_vpclattice_resource_configuration."),
        "{generated}"
    );
    assert!(
        !generated.contains("protocol"),
        "defaults left in:\n{generated}"
    );
    let out = run_in(
        discover.path(),
        &f.emulator,
        &["apply", "-auto-approve", "-no-color"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let plan = run_in(
        discover.path(),
        &f.emulator,
        &["plan", "-detailed-exitcode", "-no-color"],
    );
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
}

#[test]
fn bad_resource_configurations_are_refused_before_any_call() {
    let f = Fixture::new();
    f.write_main(
        r#"resource "aws_vpclattice_resource_configuration" "bad" {
  name                        = "orders-db"
  type                        = "CHILD"
  resource_gateway_identifier = "rgw-0123456789abcdef0"
  port_ranges                 = ["5432", "9000-80"]

  resource_configuration_definition {
    ip_resource {
      ip_address = "10.0.1"
    }
  }
}

resource "aws_vpclattice_resource_gateway" "gw" {
  name                   = "gw-a"
  vpc_id                 = "vpc-0123456789abcdef0"
  subnet_ids             = ["subnet-0123456789abcdef0"]
  ip_address_type        = "IPV6"
  ipv4_addresses_per_eni = 8
}
"#,
    );
    f.emulator.reset_calls().expect("reset calls");
    let out = f.run(&["plan", "-no-color"]);
    let printed = text(&out);
    assert_eq!(out.status.code(), Some(1), "{printed}");
    for expected in [
        "needs resource_configuration_group_id",
        "takes the resource gateway of its group",
        "invalid port range \"9000-80\"",
        "\"10.0.1\" is not an IPv4 or IPv6 address",
        "ipv4_addresses_per_eni does not apply to an IPV6 resource gateway",
    ] {
        assert!(
            printed.contains(expected),
            "{expected:?} missing:\n{printed}"
        );
    }
    // Located: the gateway identifier is on line 11 of main.tf (after the provider block).
    assert!(printed.contains("main.tf line 11"), "{printed}");
    assert_eq!(
        f.lattice_calls(),
        0,
        "calls made before the validation error"
    );
    assert!(
        !f.dir.path().join("terraform.tfstate").exists() || {
            let state = std::fs::read_to_string(f.dir.path().join("terraform.tfstate")).unwrap();
            !state.contains("aws_vpclattice")
        }
    );
}

/// The VPC association's newer arguments: `private_dns_enabled` and `dns_options`, created,
/// read back with no diff, changed in place, and refused when inconsistent.
#[test]
fn vpc_association_private_dns_and_dns_options() {
    let f = Fixture::new();
    let mut body = format!(
        "{NETWORK}{}",
        r#"
resource "aws_vpclattice_service_network" "mesh" {
  name = "dns-mesh"
}

resource "aws_vpclattice_service_network_vpc_association" "a" {
  vpc_identifier             = aws_vpc.data.id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
  private_dns_enabled        = true

  dns_options {
    private_dns_preference        = "SPECIFIED_DOMAINS_ONLY"
    private_dns_specified_domains = ["db.internal.example", "cache.internal.example"]
  }
}
"#
    );
    f.write_main(&body);
    f.ok(&["apply", "-auto-approve", "-no-color"]);
    f.assert_no_changes();
    let state = f.state_of("aws_vpclattice_service_network_vpc_association.a");
    let got =
        f.rt.block_on(
            f.client
                .get_service_network_vpc_association()
                .service_network_vpc_association_identifier(s(&state, "id"))
                .send(),
        )
        .expect("association exists");
    assert_eq!(got.private_dns_enabled(), Some(true));
    let options = got.dns_options().expect("dns options sent");
    assert_eq!(
        options.private_dns_preference().map(|p| p.as_str()),
        Some("SPECIFIED_DOMAINS_ONLY")
    );

    body = body.replacen(
        "\"SPECIFIED_DOMAINS_ONLY\"",
        "\"VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS\"",
        1,
    );
    f.write_main(&body);
    let plan = f.ok(&["plan", "-no-color"]);
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    f.ok(&["apply", "-auto-approve", "-no-color"]);
    f.assert_no_changes();
    let got =
        f.rt.block_on(
            f.client
                .get_service_network_vpc_association()
                .service_network_vpc_association_identifier(s(&state, "id"))
                .send(),
        )
        .expect("association exists");
    assert_eq!(
        got.dns_options()
            .and_then(|o| o.private_dns_preference())
            .map(|p| p.as_str()),
        Some("VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS")
    );
    assert_eq!(
        f.state_of("aws_vpclattice_service_network_vpc_association.a")["id"],
        state["id"]
    );

    body = body.replacen(
        "private_dns_enabled        = true",
        "private_dns_enabled        = false",
        1,
    );
    f.write_main(&body);
    f.emulator.reset_calls().expect("reset calls");
    let out = f.run(&["plan", "-no-color"]);
    let printed = text(&out);
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains("dns_options apply only when private_dns_enabled is true"),
        "{printed}"
    );
    assert_eq!(
        f.lattice_calls(),
        0,
        "calls made before the validation error"
    );
}
