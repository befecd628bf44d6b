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
    // The accepter's view of the share (its name) changed in another account: the plan
    // reports that as drift (the engine does not record refreshed values of unchanged
    // resources on apply), with no action.
    assert_no_actions(&f);

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
