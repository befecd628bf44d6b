//! The RAM, Route53 and EC2 resource types one by one against the emulator: create, no change
//! on re-plan, update in place, replacement, import IDs, destroy; checked with the SDKs.

mod multi;

use aws_sdk_ram::types::{ResourceOwner, ResourceShareStatus};
use multi::*;

fn two_accounts() -> String {
    format!(
        "{}{}",
        Fixture::provider("owner", NETWORK),
        Fixture::provider("consumer", SERVICE_A)
    )
}

/// A plan with no resource action (drift notes and output changes allowed).
fn assert_no_actions(f: &Fixture) {
    let plan = f.plan(&[]);
    let actions: Vec<String> = headings(&plan)
        .into_iter()
        .filter(|h| h.contains(" will be ") || h.contains(" must be "))
        .collect();
    assert!(actions.is_empty(), "{plan}");
}

fn headings_sorted(plan: &str) -> Vec<String> {
    let mut h = headings(plan);
    h.sort();
    h
}

#[test]
fn ram_share_associations_and_accepter() {
    let f = Fixture::new();
    let net = f.lattice(NETWORK);
    let sn = f
        .block(net.create_service_network().name("mesh").send())
        .unwrap();
    let sn_arn = sn.arn().unwrap().to_string();
    let svc = f.block(net.create_service().name("orders").send()).unwrap();
    let svc_arn = svc.arn().unwrap().to_string();
    let config = |name: &str, resource: &str, tags: &str| {
        format!(
            r#"{providers}
resource "aws_ram_resource_share" "s" {{
  provider                  = aws.owner
  name                      = "{name}"
  allow_external_principals = true
  tags                      = {{ {tags} }}
}}

resource "aws_ram_resource_association" "r" {{
  provider           = aws.owner
  resource_arn       = "{resource}"
  resource_share_arn = aws_ram_resource_share.s.arn
}}

resource "aws_ram_principal_association" "p" {{
  provider           = aws.owner
  principal          = "{SERVICE_A}"
  resource_share_arn = aws_ram_resource_share.s.arn
}}

resource "aws_ram_resource_share_accepter" "a" {{
  provider  = aws.consumer
  share_arn = aws_ram_principal_association.p.resource_share_arn
}}

data "aws_ram_resource_share" "seen" {{
  provider       = aws.consumer
  name           = aws_ram_resource_share_accepter.a.share_name
  resource_owner = "OTHER-ACCOUNTS"
}}

output "seen_resources" {{
  value = data.aws_ram_resource_share.seen.resource_arns
}}
output "accepted_resources" {{
  value = aws_ram_resource_share_accepter.a.resources
}}
"#,
            providers = two_accounts()
        )
    };
    f.write("main.tf", &config("mesh", &sn_arn, "team = \"net\""));
    f.apply(&[]);
    let ram = f.ram(NETWORK);
    let shares = f
        .block(
            ram.get_resource_shares()
                .resource_owner(ResourceOwner::SelfValue)
                .send(),
        )
        .unwrap();
    assert_eq!(shares.resource_shares().len(), 1);
    let share = &shares.resource_shares()[0];
    assert_eq!(share.name(), Some("mesh"));
    assert_eq!(share.allow_external_principals(), Some(true));
    assert_eq!(share.tags()[0].key(), Some("team"));
    let share_arn = share.resource_share_arn().unwrap().to_string();
    // The consumer accepted and sees the network.
    let seen = f
        .block(
            f.lattice(SERVICE_A)
                .get_service_network()
                .service_network_identifier(&sn_arn)
                .send(),
        )
        .unwrap();
    assert_eq!(seen.name(), Some("mesh"));
    let outputs = f.ok(&["output", "-json"]);
    assert!(outputs.contains(&sn_arn), "{outputs}");
    f.assert_no_changes(&[]);

    // In place: the name and the tags of the share.
    f.write(
        "main.tf",
        &config("mesh-renamed", &sn_arn, "team = \"platform\""),
    );
    let plan = f.plan(&[]);
    assert_eq!(
        headings_sorted(&plan)
            .into_iter()
            .filter(|h| h.starts_with("aws_"))
            .collect::<Vec<_>>(),
        vec!["aws_ram_resource_share.s will be updated in-place"],
        "{plan}"
    );
    f.apply(&[]);
    let share = f
        .block(
            ram.get_resource_shares()
                .resource_owner(ResourceOwner::SelfValue)
                .resource_share_arns(&share_arn)
                .send(),
        )
        .unwrap();
    assert_eq!(share.resource_shares()[0].name(), Some("mesh-renamed"));
    assert_eq!(
        share.resource_shares()[0].tags()[0].value(),
        Some("platform")
    );
    // The accepter's view of the share (its name) changed in another account during that
    // apply: the next plan reports it once as drift, with no action and a clean exit; the
    // apply after it records the refreshed value, so the plan after that has no drift note.
    let plan = f.plan(&[]);
    assert!(
        plan.contains("aws_ram_resource_share_accepter.a has changed"),
        "{plan}"
    );
    f.assert_no_changes(&[]);
    f.apply(&[]);
    let plan = f.plan(&[]);
    assert!(
        plan.contains("No changes.") && !plan.contains("changed outside of trellis"),
        "{plan}"
    );
    f.assert_no_changes(&[]);

    // Replacement: another resource in the share.
    f.write(
        "main.tf",
        &config("mesh-renamed", &svc_arn, "team = \"platform\""),
    );
    let plan = f.plan(&[]);
    assert!(
        plan.contains("aws_ram_resource_association.r must be replaced"),
        "{plan}"
    );
    f.apply(&[]);
    let resources = f
        .block(
            ram.list_resources()
                .resource_owner(ResourceOwner::SelfValue)
                .send(),
        )
        .unwrap();
    let arns: Vec<&str> = resources
        .resources()
        .iter()
        .filter_map(|r| r.arn())
        .collect();
    assert_eq!(arns, vec![svc_arn.as_str()]);
    assert_no_actions(&f);

    // Import IDs: share_arn,principal and share_arn,resource_arn.
    f.ok(&["state", "rm", "aws_ram_principal_association.p"]);
    f.ok(&["state", "rm", "aws_ram_resource_association.r"]);
    f.ok(&[
        "import",
        "aws_ram_principal_association.p",
        &format!("{share_arn},{SERVICE_A}"),
    ]);
    f.ok(&[
        "import",
        "aws_ram_resource_association.r",
        &format!("{share_arn},{svc_arn}"),
    ]);
    assert_no_actions(&f);

    f.destroy(&[]);
    let shares = f
        .block(
            ram.get_resource_shares()
                .resource_owner(ResourceOwner::SelfValue)
                .send(),
        )
        .unwrap();
    assert!(shares
        .resource_shares()
        .iter()
        .all(|s| s.status() == Some(&ResourceShareStatus::Deleted)));
    let consumer = f
        .block(
            f.ram(SERVICE_A)
                .get_resource_shares()
                .resource_owner(ResourceOwner::OtherAccounts)
                .send(),
        )
        .unwrap();
    assert!(consumer.resource_shares().is_empty());
}

#[test]
fn ec2_vpc_subnet_security_group_and_rules() {
    let f = Fixture::new();
    let config = |dns_hostnames: bool, cidr: &str, port: u16, description: &str| {
        format!(
            r#"{provider}
resource "aws_vpc" "v" {{
  provider             = aws.app
  cidr_block           = "{cidr}"
  enable_dns_hostnames = {dns_hostnames}
  tags                 = {{ Name = "app" }}
}}

resource "aws_subnet" "s" {{
  provider   = aws.app
  vpc_id     = aws_vpc.v.id
  cidr_block = cidrsubnet(aws_vpc.v.cidr_block, 8, 1)
}}

data "aws_ec2_managed_prefix_list" "lattice" {{
  provider = aws.app
  name     = "com.amazonaws.us-east-1.vpc-lattice"
}}

resource "aws_security_group" "g" {{
  provider    = aws.app
  name        = "targets"
  description = "{description}"
  vpc_id      = aws_vpc.v.id
}}

resource "aws_vpc_security_group_ingress_rule" "in" {{
  provider          = aws.app
  security_group_id = aws_security_group.g.id
  ip_protocol       = "tcp"
  from_port         = {port}
  to_port           = {port}
  prefix_list_id    = data.aws_ec2_managed_prefix_list.lattice.id
}}

resource "aws_vpc_security_group_egress_rule" "out" {{
  provider          = aws.app
  security_group_id = aws_security_group.g.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}}

data "aws_vpc" "found" {{
  provider   = aws.app
  depends_on = [aws_subnet.s]
  tags       = {{ Name = "app" }}
}}

data "aws_subnets" "found" {{
  provider = aws.app
  filter {{
    name   = "vpc-id"
    values = [data.aws_vpc.found.id]
  }}
}}

data "aws_security_group" "found" {{
  provider = aws.app
  id       = aws_security_group.g.id
}}

output "vpc" {{
  value = data.aws_vpc.found.id == aws_vpc.v.id
}}
output "subnets" {{
  value = data.aws_subnets.found.ids
}}
output "group_name" {{
  value = data.aws_security_group.found.name
}}
"#,
            provider = Fixture::provider("app", SERVICE_B)
        )
    };
    f.write("main.tf", &config(false, "10.7.0.0/16", 8080, "targets"));
    f.apply(&[]);
    let out = f.ok(&["output", "-json"]);
    assert!(out.contains("\"group_name\""), "{out}");
    assert!(out.contains("\"targets\""), "{out}");
    assert!(out.contains("subnet-"), "{out}");
    let ec2 = f.ec2(SERVICE_B);
    let filter = |name: &str, value: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(name)
            .values(value)
            .build()
    };
    let vpcs = f
        .block(
            ec2.describe_vpcs()
                .filters(filter("tag:Name", "app"))
                .send(),
        )
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
    let vpc_id = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
    assert_eq!(vpcs.vpcs()[0].owner_id(), Some(SERVICE_B));
    let group = f
        .block(
            ec2.describe_security_groups()
                .filters(filter("group-name", "targets"))
                .send(),
        )
        .unwrap();
    let group_id = group.security_groups()[0].group_id().unwrap().to_string();
    let rules = |f: &Fixture| {
        let r = f
            .block(
                ec2.describe_security_group_rules()
                    .filters(filter("group-id", &group_id))
                    .send(),
            )
            .unwrap();
        let mut v: Vec<(bool, String, Option<i32>)> = r
            .security_group_rules()
            .iter()
            .map(|r| {
                (
                    r.is_egress().unwrap(),
                    r.security_group_rule_id().unwrap().to_string(),
                    r.from_port(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = rules(&f);
    assert_eq!(
        before.len(),
        2,
        "exactly the two configured rules: {before:?}"
    );
    assert_eq!(before[0].2, Some(8080));
    f.assert_no_changes(&[]);

    // In place: DNS hostnames on the VPC, the rule's port.
    f.write("main.tf", &config(true, "10.7.0.0/16", 9090, "targets"));
    let plan = f.plan(&[]);
    let h: Vec<String> = headings_sorted(&plan)
        .into_iter()
        .filter(|h| h.starts_with("aws_"))
        .collect();
    assert_eq!(
        h,
        vec![
            "aws_vpc.v will be updated in-place",
            "aws_vpc_security_group_ingress_rule.in will be updated in-place",
        ],
        "{plan}"
    );
    f.apply(&[]);
    let after = rules(&f);
    assert_eq!(after[0].1, before[0].1, "same rule, modified");
    assert_eq!(after[0].2, Some(9090));
    let attr = f
        .block(
            ec2.describe_vpc_attribute()
                .vpc_id(&vpc_id)
                .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
                .send(),
        )
        .unwrap();
    assert_eq!(
        attr.enable_dns_hostnames().and_then(|a| a.value()),
        Some(true)
    );
    f.assert_no_changes(&[]);

    // Replacement: the group's description is force-new, and its rules follow it.
    f.write(
        "main.tf",
        &config(true, "10.7.0.0/16", 9090, "targets behind lattice"),
    );
    let plan = f.plan(&[]);
    assert!(
        plan.contains("aws_security_group.g must be replaced"),
        "{plan}"
    );
    f.apply(&[]);
    let group = f
        .block(
            ec2.describe_security_groups()
                .filters(filter("group-name", "targets"))
                .send(),
        )
        .unwrap();
    assert_eq!(group.security_groups().len(), 1);
    assert_eq!(
        group.security_groups()[0].description(),
        Some("targets behind lattice")
    );
    f.assert_no_changes(&[]);

    // Import by ID.
    let rule_id = f
        .ok(&["state", "show", "aws_vpc_security_group_ingress_rule.in"])
        .lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("security_group_rule_id").map(|r| {
                r.trim_start_matches([' ', '='])
                    .trim_matches('"')
                    .to_string()
            })
        })
        .expect("rule id in state");
    f.ok(&["state", "rm", "aws_vpc_security_group_ingress_rule.in"]);
    f.ok(&["import", "aws_vpc_security_group_ingress_rule.in", &rule_id]);
    f.assert_no_changes(&[]);

    f.destroy(&[]);
    let vpcs = f
        .block(
            ec2.describe_vpcs()
                .filters(filter("tag:Name", "app"))
                .send(),
        )
        .unwrap();
    assert!(vpcs.vpcs().is_empty());
    let groups = f.block(ec2.describe_security_groups().send()).unwrap();
    assert!(groups
        .security_groups()
        .iter()
        .all(|g| g.group_name() == Some("default")));
}

#[test]
fn route53_private_zone_cname_and_alias_records() {
    let f = Fixture::new();
    let config = |comment: &str, ttl: u32, target: &str, second_vpc: bool| {
        let extra = if second_vpc {
            "  vpc {\n    vpc_id = aws_vpc.two.id\n  }\n"
        } else {
            ""
        };
        format!(
            r#"{provider}
resource "aws_vpc" "one" {{
  provider   = aws.dns
  cidr_block = "10.8.0.0/16"
}}

resource "aws_vpc" "two" {{
  provider   = aws.dns
  cidr_block = "10.9.0.0/16"
}}

resource "aws_route53_zone" "z" {{
  provider = aws.dns
  name     = "Mesh.Internal."
  comment  = "{comment}"
  vpc {{
    vpc_id = aws_vpc.one.id
  }}
{extra}}}

resource "aws_route53_record" "cname" {{
  provider = aws.dns
  zone_id  = aws_route53_zone.z.zone_id
  name     = "orders"
  type     = "CNAME"
  ttl      = {ttl}
  records  = ["{target}"]
}}

resource "aws_route53_record" "alias" {{
  provider = aws.dns
  zone_id  = aws_route53_zone.z.zone_id
  name     = "billing.mesh.internal"
  type     = "A"
  alias {{
    name                   = "billing-0abc.7d67968.vpc-lattice-svcs.us-east-1.on.aws"
    zone_id                = "Z09127221KTH2CFUOHIZH"
    evaluate_target_health = false
  }}
}}

data "aws_route53_zone" "found" {{
  provider     = aws.dns
  name         = "mesh.internal"
  private_zone = true
  depends_on   = [aws_route53_zone.z]
}}

output "found" {{
  value = data.aws_route53_zone.found.zone_id == aws_route53_zone.z.zone_id
}}
output "fqdn" {{
  value = aws_route53_record.cname.fqdn
}}
"#,
            provider = Fixture::provider("dns", SERVICE_C)
        )
    };
    let target = "orders-0abc.7d67968.vpc-lattice-svcs.us-east-1.on.aws";
    f.write("main.tf", &config("names", 60, target, false));
    f.apply(&[]);
    let out = f.ok(&["output", "-json"]);
    assert!(out.contains("orders.mesh.internal"), "{out}");
    assert!(out.contains("true"), "{out}");
    let r53 = f.route53(SERVICE_C);
    let zones = f.block(r53.list_hosted_zones().send()).unwrap();
    assert_eq!(zones.hosted_zones().len(), 1);
    let zone_id = zones.hosted_zones()[0].id().to_string();
    let records = |f: &Fixture| {
        f.block(
            r53.list_resource_record_sets()
                .hosted_zone_id(&zone_id)
                .send(),
        )
        .unwrap()
        .resource_record_sets()
        .iter()
        .filter(|r| !matches!(r.r#type().as_str(), "SOA" | "NS"))
        .map(|r| {
            (
                r.name().to_string(),
                r.r#type().as_str().to_string(),
                r.ttl(),
                r.resource_records().first().map(|v| v.value().to_string()),
                r.alias_target().map(|a| a.dns_name().to_string()),
            )
        })
        .collect::<Vec<_>>()
    };
    let got = records(&f);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().any(|r| r.0 == "orders.mesh.internal."
        && r.1 == "CNAME"
        && r.2 == Some(60)
        && r.3.as_deref() == Some(target)));
    assert!(got.iter().any(|r| r.0 == "billing.mesh.internal."
        && r.4
            .as_deref()
            .is_some_and(|d| d.starts_with("billing-0abc"))));
    f.assert_no_changes(&[]);

    // In place: the zone's comment and a second VPC; the record's TTL and value.
    let target2 = "orders-0def.7d67968.vpc-lattice-svcs.us-east-1.on.aws";
    f.write("main.tf", &config("custom names", 300, target2, true));
    let plan = f.plan(&[]);
    let h: Vec<String> = headings_sorted(&plan)
        .into_iter()
        .filter(|h| h.starts_with("aws_"))
        .collect();
    assert_eq!(
        h,
        vec![
            "aws_route53_record.cname will be updated in-place",
            "aws_route53_zone.z will be updated in-place",
        ],
        "{plan}"
    );
    f.apply(&[]);
    let detail = f.block(r53.get_hosted_zone().id(&zone_id).send()).unwrap();
    assert_eq!(detail.vpcs().len(), 2);
    assert_eq!(
        detail.hosted_zone().unwrap().config().unwrap().comment(),
        Some("custom names")
    );
    let got = records(&f);
    assert!(got.iter().any(|r| r.0 == "orders.mesh.internal."
        && r.2 == Some(300)
        && r.3.as_deref() == Some(target2)));
    f.assert_no_changes(&[]);

    // Replacement: a record's name is force-new.
    f.write(
        "main.tf",
        &config("custom names", 300, target2, true)
            .replace("name     = \"orders\"", "name     = \"shop\""),
    );
    let plan = f.plan(&[]);
    assert!(
        plan.contains("aws_route53_record.cname must be replaced"),
        "{plan}"
    );
    f.apply(&[]);
    let got = records(&f);
    assert!(got.iter().any(|r| r.0 == "shop.mesh.internal."));
    assert!(!got.iter().any(|r| r.0 == "orders.mesh.internal."));

    // Import with Terraform's record ID.
    let short_zone = zone_id.trim_start_matches("/hostedzone/");
    f.ok(&["state", "rm", "aws_route53_record.alias"]);
    f.ok(&[
        "import",
        "aws_route53_record.alias",
        &format!("{short_zone}_billing.mesh.internal_A"),
    ]);
    f.assert_no_changes(&[]);

    f.destroy(&[]);
    let zones = f.block(r53.list_hosted_zones().send()).unwrap();
    assert!(zones.hosted_zones().is_empty());
}

/// The group's rules of one direction as AWS holds them, sorted: (protocol, from, to, source,
/// description), the source being a CIDR, a prefix list or a referenced group ID.
fn group_rules(f: &Fixture, account: &str, group: &str, egress: bool) -> Vec<String> {
    let rules = f
        .block(
            f.ec2(account)
                .describe_security_group_rules()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-id")
                        .values(group)
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let mut out: Vec<String> = rules
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(egress))
        .map(|r| {
            let source = r
                .cidr_ipv4()
                .or(r.cidr_ipv6())
                .or(r.prefix_list_id())
                .or(r.referenced_group_info().and_then(|g| g.group_id()))
                .unwrap_or("?");
            let ports = if r.ip_protocol() == Some("-1") {
                String::new()
            } else {
                format!(
                    " {}-{}",
                    r.from_port().unwrap_or(-1),
                    r.to_port().unwrap_or(-1)
                )
            };
            format!(
                "{}{ports} {source}{}",
                r.ip_protocol().unwrap_or("?"),
                r.description()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn security_group_inline_ingress_and_egress_blocks() {
    let f = Fixture::new();
    let write = |group_body: &str, extra: &str| {
        f.write(
            "main.tf",
            &format!(
                r#"{provider}
resource "aws_vpc" "v" {{
  provider   = aws.app
  cidr_block = "10.7.0.0/16"
}}

resource "aws_security_group" "g" {{
  provider = aws.app
  name     = "inline"
  vpc_id   = aws_vpc.v.id
{group_body}
}}

# A group without inline blocks: its rules belong to the rule resources.
resource "aws_security_group" "open" {{
  provider = aws.app
  name     = "by-rule-resources"
  vpc_id   = aws_vpc.v.id
}}

resource "aws_vpc_security_group_ingress_rule" "open" {{
  provider          = aws.app
  security_group_id = aws_security_group.open.id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "10.9.0.0/16"
}}
{extra}"#,
                provider = Fixture::provider("app", SERVICE_B)
            ),
        )
    };
    let first = r#"
  ingress {
    description = "https"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", "10.1.0.0/16"]
  }

  ingress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
    self      = true
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }"#;
    write(first, "");
    f.apply(&[]);
    let found = f
        .block(
            f.ec2(SERVICE_B)
                .describe_security_groups()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-name")
                        .values("inline")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let group = found.security_groups()[0].group_id().unwrap().to_string();
    assert_eq!(
        group_rules(&f, SERVICE_B, &group, false),
        vec![
            format!("-1 {group}"),
            "tcp 443-443 10.0.0.0/8 (https)".to_string(),
            "tcp 443-443 10.1.0.0/16 (https)".to_string(),
        ]
    );
    assert_eq!(
        group_rules(&f, SERVICE_B, &group, true),
        vec!["-1 0.0.0.0/0"]
    );
    f.assert_no_changes(&[]);

    // The same rules in another order, grouping and spelling: no change.
    let respelled = r#"
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "all"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    from_port = 0
    to_port   = 0
    protocol  = "all"
    self      = true
  }

  ingress {
    description = "https"
    from_port   = 443
    to_port     = 443
    protocol    = "6"
    cidr_blocks = ["10.1.0.0/16"]
  }

  ingress {
    description = "https"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }"#;
    write(respelled, "");
    f.assert_no_changes(&[]);

    // Add one rule and remove another: the group is updated in place, not replaced.
    let changed = r#"
  ingress {
    description = "https"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", "10.1.0.0/16"]
  }

  ingress {
    from_port       = 8080
    to_port         = 8080
    protocol        = "tcp"
    prefix_list_ids = [data.aws_ec2_managed_prefix_list.lattice.id]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }"#;
    let lattice_list = r#"
data "aws_ec2_managed_prefix_list" "lattice" {
  provider = aws.app
  name     = "com.amazonaws.us-east-1.vpc-lattice"
}
"#;
    write(changed, lattice_list);
    let plan = f.plan(&[]);
    assert_eq!(
        headings_sorted(&plan)
            .into_iter()
            .filter(|h| h.starts_with("aws_"))
            .collect::<Vec<_>>(),
        vec!["aws_security_group.g will be updated in-place"],
        "{plan}"
    );
    f.apply(&[]);
    let rules = group_rules(&f, SERVICE_B, &group, false);
    assert_eq!(rules.len(), 3, "{rules:?}");
    assert!(
        rules.iter().any(|r| r.starts_with("tcp 8080-8080 pl-")),
        "{rules:?}"
    );
    assert!(
        !rules.iter().any(|r| r.starts_with("-1 ")),
        "self rule removed: {rules:?}"
    );
    f.assert_no_changes(&[]);

    // A rule added outside trellis is drift, and the next apply removes it.
    let ec2 = f.ec2(SERVICE_B);
    f.block(
        ec2.authorize_security_group_ingress()
            .group_id(&group)
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .ip_ranges(
                        aws_sdk_ec2::types::IpRange::builder()
                            .cidr_ip("0.0.0.0/0")
                            .build(),
                    )
                    .build(),
            )
            .send(),
    )
    .unwrap();
    let plan = f.plan(&[]);
    assert!(
        plan.contains("aws_security_group.g has changed"),
        "drift reported:\n{plan}"
    );
    assert!(
        plan.contains("aws_security_group.g will be updated in-place"),
        "{plan}"
    );
    f.apply(&[]);
    let rules = group_rules(&f, SERVICE_B, &group, false);
    assert!(!rules.iter().any(|r| r.contains("0.0.0.0/0")), "{rules:?}");
    assert_eq!(rules.len(), 3, "{rules:?}");
    f.assert_no_changes(&[]);
    // The group managed by rule resources was left alone all along.
    let open = f.ok(&["state", "show", "aws_security_group.open"]);
    assert!(!open.contains("ingress"), "not managed inline:\n{open}");

    // Import: the group comes back with its rules, which match the configuration.
    f.ok(&["state", "rm", "aws_security_group.g"]);
    f.ok(&["import", "aws_security_group.g", &group]);
    f.assert_no_changes(&[]);

    // A VPC association whose group lets anyone in: the plan warns.
    let open_to_all = r#"
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }"#;
    let association = r#"
resource "aws_vpclattice_service_network" "mesh" {
  provider = aws.app
  name     = "inline-rules"
}

resource "aws_vpclattice_service_network_vpc_association" "client" {
  provider                   = aws.app
  vpc_identifier             = aws_vpc.v.id
  service_network_identifier = aws_vpclattice_service_network.mesh.id
  security_group_ids         = [aws_security_group.g.id]
}
"#;
    write(open_to_all, association);
    let plan = f.plan(&[]);
    assert!(
        plan.contains("allows ingress from anywhere")
            && plan.contains("an ingress block of aws_security_group.g (0.0.0.0/0)"),
        "{plan}"
    );

    // `ingress = []` manages an empty set: every ingress rule goes; egress is left alone
    // once its blocks are gone from the configuration.
    write("  ingress = []", "");
    f.apply(&[]);
    assert!(group_rules(&f, SERVICE_B, &group, false).is_empty());
    assert_eq!(
        group_rules(&f, SERVICE_B, &group, true),
        vec!["-1 0.0.0.0/0"]
    );
    f.assert_no_changes(&[]);

    f.destroy(&[]);
    let groups = f.block(ec2.describe_security_groups().send()).unwrap();
    assert!(groups
        .security_groups()
        .iter()
        .all(|g| g.group_name() == Some("default")));
}

#[test]
fn route53_private_zone_associated_with_another_accounts_vpc() {
    let f = Fixture::new();
    let write = |association: &str| {
        f.write(
            "main.tf",
            &format!(
                r#"{providers}
resource "aws_vpc" "network" {{
  provider   = aws.owner
  cidr_block = "10.10.0.0/16"
}}

resource "aws_vpc" "client" {{
  provider   = aws.consumer
  cidr_block = "10.11.0.0/16"
}}

resource "aws_route53_zone" "mesh" {{
  provider = aws.owner
  name     = "mesh.internal"
  vpc {{
    vpc_id = aws_vpc.network.id
  }}
  # Other accounts' VPCs are associated by aws_route53_zone_association (as in Terraform).
  lifecycle {{
    ignore_changes = [vpc]
  }}
}}
{association}"#,
                providers = two_accounts()
            ),
        )
    };
    // Planned without its authorization: the apply says what is missing.
    write(
        r#"
resource "aws_route53_zone_association" "client" {
  provider = aws.consumer
  zone_id  = aws_route53_zone.mesh.zone_id
  vpc_id   = aws_vpc.client.id
}
"#,
    );
    let run = f.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert!(
        run.text
            .contains("the VPC association authorization is missing: hosted zone"),
        "{}",
        run.text
    );
    assert!(
        run.text.contains("has not authorized VPC vpc-")
            && run.text.contains(&format!("of account {SERVICE_A}"))
            && run
                .text
                .contains("add an aws_route53_vpc_association_authorization"),
        "{}",
        run.text
    );
    assert!(!f
        .ok(&["state", "list"])
        .contains("aws_route53_zone_association"));

    // With the authorization, made by the zone's account, the association follows it.
    write(
        r#"
resource "aws_route53_vpc_association_authorization" "client" {
  provider = aws.owner
  zone_id  = aws_route53_zone.mesh.zone_id
  vpc_id   = aws_vpc.client.id
}

resource "aws_route53_zone_association" "client" {
  provider = aws.consumer
  zone_id  = aws_route53_vpc_association_authorization.client.zone_id
  vpc_id   = aws_route53_vpc_association_authorization.client.vpc_id
}
"#,
    );
    let plan = f.plan(&[]);
    assert!(
        plan.contains("aws_route53_vpc_association_authorization.client will be created")
            && plan.contains(&format!("(in account {NETWORK}, us-east-1)"))
            && plan.contains(&format!("(in account {SERVICE_A}, us-east-1)")),
        "{plan}"
    );
    f.apply(&[]);
    let owner = f.route53(NETWORK);
    let zones = f.block(owner.list_hosted_zones().send()).unwrap();
    assert_eq!(zones.hosted_zones().len(), 1);
    let zone = zones.hosted_zones()[0]
        .id()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let client_vpc = f
        .block(f.ec2(SERVICE_A).describe_vpcs().send())
        .unwrap()
        .vpcs()
        .iter()
        .find(|v| v.cidr_block() == Some("10.11.0.0/16"))
        .and_then(|v| v.vpc_id())
        .unwrap()
        .to_string();
    let authorized = f
        .block(
            owner
                .list_vpc_association_authorizations()
                .hosted_zone_id(&zone)
                .send(),
        )
        .unwrap();
    let authorized: Vec<&str> = authorized
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id())
        .collect();
    assert_eq!(authorized, vec![client_vpc.as_str()]);
    let seen = f.block(owner.get_hosted_zone().id(&zone).send()).unwrap();
    assert_eq!(seen.vpcs().len(), 2, "the zone's own VPC and the client's");
    let by_vpc = f
        .block(
            f.route53(SERVICE_A)
                .list_hosted_zones_by_vpc()
                .vpc_id(&client_vpc)
                .vpc_region(aws_sdk_route53::types::VpcRegion::UsEast1)
                .send(),
        )
        .unwrap();
    let summary = &by_vpc.hosted_zone_summaries()[0];
    assert_eq!(summary.hosted_zone_id(), zone);
    assert_eq!(
        summary.owner().and_then(|o| o.owning_account()),
        Some(NETWORK)
    );
    let state = f.ok(&["state", "show", "aws_route53_zone_association.client"]);
    assert!(
        state.contains(&format!("{zone}:{client_vpc}:us-east-1"))
            && state.contains(&format!("\"{NETWORK}\"")),
        "id and owning_account:\n{state}"
    );
    f.assert_no_changes(&[]);

    // Import IDs: ZONEID:VPCID for both, ZONEID:VPCID:REGION for the association.
    f.ok(&[
        "state",
        "rm",
        "aws_route53_vpc_association_authorization.client",
    ]);
    f.ok(&["state", "rm", "aws_route53_zone_association.client"]);
    let bad = f.run(&[
        "import",
        "aws_route53_vpc_association_authorization.client",
        &zone,
    ]);
    assert_eq!(bad.code, Some(1), "{}", bad.text);
    assert!(
        bad.text.contains("does not have the form ZONEID:VPCID"),
        "{}",
        bad.text
    );
    f.ok(&[
        "import",
        "aws_route53_vpc_association_authorization.client",
        &format!("{zone}:{client_vpc}"),
    ]);
    f.ok(&[
        "import",
        "aws_route53_zone_association.client",
        &format!("{zone}:{client_vpc}:us-east-1"),
    ]);
    f.assert_no_changes(&[]);
    f.ok(&["state", "rm", "aws_route53_zone_association.client"]);
    f.ok(&[
        "import",
        "aws_route53_zone_association.client",
        &format!("{zone}:{client_vpc}"),
    ]);
    f.assert_no_changes(&[]);

    // Destroy: the association goes first, then the authorization, the zone and the VPCs.
    f.destroy(&[]);
    assert!(f
        .block(owner.list_hosted_zones().send())
        .unwrap()
        .hosted_zones()
        .is_empty());
    assert!(f.ok(&["state", "list"]).trim().is_empty());
    for account in [NETWORK, SERVICE_A] {
        let vpcs = f.block(f.ec2(account).describe_vpcs().send()).unwrap();
        assert!(
            vpcs.vpcs()
                .iter()
                .all(|v| !matches!(v.cidr_block(), Some("10.10.0.0/16" | "10.11.0.0/16"))),
            "{account}: no VPC of the test left"
        );
    }
}

/// The two security groups of the cut-short tests: one plain, one with an inline rule.
fn cut_short_groups() -> Fixture {
    let f = Fixture::new();
    f.write(
        "main.tf",
        &format!(
            r#"{provider}
resource "aws_vpc" "v" {{
  provider   = aws.app
  cidr_block = "10.8.0.0/16"
}}

resource "aws_security_group" "plain" {{
  provider = aws.app
  name     = "cut-short-plain"
  vpc_id   = aws_vpc.v.id
}}

resource "aws_security_group" "inline" {{
  provider = aws.app
  name     = "cut-short-inline"
  vpc_id   = aws_vpc.v.id

  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }}
}}
"#,
            provider = Fixture::provider("app", SERVICE_B)
        ),
    );
    f
}

/// Exactly one group per name, each holding exactly its configured rules (AWS's allow-all
/// egress rule removed).
fn assert_cut_short_groups_exact(f: &Fixture) {
    let ec2 = f.ec2(SERVICE_B);
    let groups = f
        .block(
            ec2.describe_security_groups()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-name")
                        .values("cut-short-plain")
                        .values("cut-short-inline")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(groups.security_groups().len(), 2, "one group per name");
    for g in groups.security_groups() {
        let name = g.group_name().unwrap_or_default();
        let rules = f
            .block(
                ec2.describe_security_group_rules()
                    .filters(
                        aws_sdk_ec2::types::Filter::builder()
                            .name("group-id")
                            .values(g.group_id().unwrap())
                            .build(),
                    )
                    .send(),
            )
            .unwrap();
        let egress = rules
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(true))
            .count();
        let ingress: Vec<_> = rules
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(false))
            .map(|r| (r.from_port(), r.cidr_ipv4().map(str::to_string)))
            .collect();
        assert_eq!(egress, 0, "{name}: AWS's allow-all egress rule was removed");
        if name == "cut-short-inline" {
            assert_eq!(ingress, vec![(Some(443), Some("10.0.0.0/8".to_string()))]);
        } else {
            assert!(ingress.is_empty(), "{name}: {ingress:?}");
        }
    }
}

/// EC2 has no client token for `CreateSecurityGroup`: a group whose create was cut short
/// (here: every `RevokeSecurityGroupEgress` fails, so the create stops after the group is
/// made) is found by name on the next apply and its create is finished there: AWS's
/// allow-all egress rule is removed and the inline rules written, so the group holds
/// exactly the configured rules and no duplicate group is made.
#[test]
fn security_group_create_cut_short_is_finished_by_the_next_apply() {
    let f = cut_short_groups();
    f.emulator
        .set_faults(&serde_json::json!({
            "per_operation": {"ec2:RevokeSecurityGroupEgress": {"error_rate": 1.0}}
        }))
        .unwrap();
    let first = f.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(first.code, Some(1), "{}", first.text);
    f.emulator.set_faults(&serde_json::json!({})).unwrap();
    f.apply(&[]);
    f.assert_no_changes(&[]);
    assert_cut_short_groups_exact(&f);
}

/// A `CreateSecurityGroup` that AWS performed but answered with a 500: the SDK's own retry
/// would meet the group it made (`InvalidGroup.Duplicate`) and fail the apply. trellis sends
/// it without SDK retries and looks the group up by name before sending again, so the same
/// apply adopts the group and finishes its create.
#[test]
fn security_group_create_answered_500_after_it_was_made_is_adopted_in_the_same_apply() {
    let f = cut_short_groups();
    f.emulator
        .set_faults(&serde_json::json!({
            "per_operation": {"ec2:CreateSecurityGroup": {"fail_after_success": 2}}
        }))
        .unwrap();
    f.apply(&[]);
    f.emulator.set_faults(&serde_json::json!({})).unwrap();
    f.assert_no_changes(&[]);
    assert_cut_short_groups_exact(&f);
}

/// `data "aws_availability_zones"`, as real configurations spread subnets over zones: names
/// and zone IDs sorted by name (in one order), `exclude_names` honoured, and a subnet placed
/// in `names[0]` plans no change afterwards.
#[test]
fn availability_zones_data_source_places_a_subnet() {
    let f = Fixture::new();
    f.write(
        "main.tf",
        &format!(
            r#"{provider}
data "aws_availability_zones" "available" {{
  provider = aws.app
  state    = "available"
}}

data "aws_availability_zones" "others" {{
  provider      = aws.app
  exclude_names = [data.aws_availability_zones.available.names[0]]
}}

resource "aws_vpc" "v" {{
  provider   = aws.app
  cidr_block = "10.9.0.0/16"
}}

resource "aws_subnet" "s" {{
  provider          = aws.app
  vpc_id            = aws_vpc.v.id
  cidr_block        = "10.9.1.0/24"
  availability_zone = data.aws_availability_zones.available.names[0]
}}

output "names" {{
  value = data.aws_availability_zones.available.names
}}

output "zone_ids" {{
  value = data.aws_availability_zones.available.zone_ids
}}

output "others" {{
  value = data.aws_availability_zones.others.names
}}

output "subnet_zone" {{
  value = aws_subnet.s.availability_zone
}}
"#,
            provider = Fixture::provider("app", SERVICE_B)
        ),
    );
    f.apply(&[]);
    f.assert_no_changes(&[]);
    let outputs: serde_json::Value =
        serde_json::from_str(&f.ok(&["output", "-json"])).expect("outputs");
    let ec2 = f.ec2(SERVICE_B);
    let zones = f
        .block(ec2.describe_availability_zones().send())
        .expect("zones");
    let mut expected: Vec<(String, String)> = zones
        .availability_zones()
        .iter()
        .filter(|z| z.state().map(|s| s.as_str()) == Some("available"))
        .map(|z| {
            (
                z.zone_name().unwrap_or_default().to_string(),
                z.zone_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    expected.sort();
    assert!(
        expected.len() > 1,
        "the emulator has several zones: {expected:?}"
    );
    let names: Vec<&str> = expected.iter().map(|z| z.0.as_str()).collect();
    let ids: Vec<&str> = expected.iter().map(|z| z.1.as_str()).collect();
    assert_eq!(outputs["names"]["value"], serde_json::json!(names));
    assert_eq!(outputs["zone_ids"]["value"], serde_json::json!(ids));
    assert_eq!(outputs["others"]["value"], serde_json::json!(names[1..]));
    assert_eq!(outputs["subnet_zone"]["value"], names[0]);
    f.destroy(&[]);
}
