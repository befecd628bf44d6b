//! The EC2 routing types against the emulator, as a VPC with a public subnet uses them:
//! `aws_internet_gateway`, `aws_route_table` with inline `route` blocks and without,
//! `aws_route`, `aws_route_table_association`. Create, no change on re-plan, changes in
//! place and replacements, import by Terraform's IDs, destroy; checked with the EC2 SDK.

mod multi;

use aws_sdk_ec2::types::Filter;
use multi::*;

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

/// The routes of table `id` other than `local`, as `destination -> target`.
fn routes(f: &Fixture, id: &str) -> Vec<String> {
    let ec2 = f.ec2(SERVICE_B);
    let o = f
        .block(ec2.describe_route_tables().route_table_ids(id).send())
        .unwrap();
    let mut v: Vec<String> = o.route_tables()[0]
        .routes()
        .iter()
        .filter(|r| r.gateway_id() != Some("local"))
        .map(|r| {
            format!(
                "{} -> {}",
                r.destination_cidr_block()
                    .or(r.destination_ipv6_cidr_block())
                    .unwrap_or("?"),
                r.gateway_id()
                    .or(r.nat_gateway_id())
                    .or(r.vpc_peering_connection_id())
                    .unwrap_or("?")
            )
        })
        .collect();
    v.sort();
    v
}

fn config(public_cidrs: &[&str], public_table: &str, igw_tag: &str) -> String {
    let routes: String = public_cidrs
        .iter()
        .map(|c| {
            format!(
                r#"
  route {{
    cidr_block = "{c}"
    gateway_id = aws_internet_gateway.gw.id
  }}"#
            )
        })
        .collect();
    format!(
        r#"{provider}
resource "aws_vpc" "v" {{
  provider   = aws.app
  cidr_block = "10.20.0.0/16"
  tags       = {{ Name = "routed" }}
}}

resource "aws_subnet" "public" {{
  provider   = aws.app
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.20.1.0/24"
}}

resource "aws_internet_gateway" "gw" {{
  provider = aws.app
  vpc_id   = aws_vpc.v.id
  tags     = {{ Name = "{igw_tag}" }}
}}

resource "aws_route_table" "public" {{
  provider = aws.app
  vpc_id   = aws_vpc.v.id
{routes}
  tags = {{ Name = "public" }}
}}

resource "aws_route_table" "private" {{
  provider = aws.app
  vpc_id   = aws_vpc.v.id
  tags     = {{ Name = "private" }}
}}

resource "aws_route" "egress" {{
  provider               = aws.app
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "192.168.0.0/16"
  gateway_id             = aws_internet_gateway.gw.id
}}

resource "aws_route_table_association" "public" {{
  provider       = aws.app
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.{public_table}.id
}}
"#,
        provider = Fixture::provider("app", SERVICE_B)
    )
}

#[test]
fn internet_gateway_route_tables_routes_and_associations() {
    let f = Fixture::new();
    f.write(
        "main.tf",
        &config(&["0.0.0.0/0", "100.64.0.0/10"], "public", "gw"),
    );
    f.ok(&["validate"]);
    let plan = f.plan(&[]);
    assert!(
        plan.contains("Plan: 7 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    f.apply(&[]);
    let ec2 = f.ec2(SERVICE_B);

    // The gateway is attached to the VPC.
    let igw = f.state_attr("aws_internet_gateway.gw", "id");
    let vpc = f.state_attr("aws_vpc.v", "id");
    let gws = f
        .block(
            ec2.describe_internet_gateways()
                .internet_gateway_ids(&igw)
                .send(),
        )
        .unwrap();
    let attached: Vec<&str> = gws.internet_gateways()[0]
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id())
        .collect();
    assert_eq!(attached, vec![vpc.as_str()]);

    // The inline routes are exactly the configured ones; aws_route added its own.
    let public = f.state_attr("aws_route_table.public", "id");
    let private = f.state_attr("aws_route_table.private", "id");
    assert_eq!(
        routes(&f, &public),
        vec![
            format!("0.0.0.0/0 -> {igw}"),
            format!("100.64.0.0/10 -> {igw}")
        ]
    );
    assert_eq!(
        routes(&f, &private),
        vec![format!("192.168.0.0/16 -> {igw}")]
    );
    // Terraform's route ID: r- + table + CRC-32 of the destination.
    let route_id = f.state_attr("aws_route.egress", "id");
    assert!(route_id.starts_with(&format!("r-{private}")), "{route_id}");
    assert_eq!(f.state_attr("aws_route.egress", "state"), "active");

    // The association puts the subnet in the public table.
    let subnet = f.state_attr("aws_subnet.public", "id");
    let assoc = f
        .block(
            ec2.describe_route_tables()
                .filters(filter("association.subnet-id", &subnet))
                .send(),
        )
        .unwrap();
    assert_eq!(assoc.route_tables().len(), 1);
    assert_eq!(
        assoc.route_tables()[0].route_table_id(),
        Some(public.as_str())
    );

    // A table without route blocks does not manage its routes: the one aws_route made is
    // in its state and plans no change.
    f.assert_no_changes(&[]);

    // Routes changed in the inline set: one removed, one added, in place.
    f.write(
        "main.tf",
        &config(&["0.0.0.0/0", "172.16.0.0/12"], "public", "gw"),
    );
    let plan = f.plan(&[]);
    let actions: Vec<String> = headings(&plan)
        .into_iter()
        .filter(|h| h.contains(" will be ") || h.contains(" must be "))
        .collect();
    assert_eq!(
        actions,
        vec!["aws_route_table.public will be updated in-place"],
        "{plan}"
    );
    f.apply(&[]);
    assert_eq!(
        routes(&f, &public),
        vec![
            format!("0.0.0.0/0 -> {igw}"),
            format!("172.16.0.0/12 -> {igw}")
        ]
    );
    f.assert_no_changes(&[]);

    // A route made outside trellis in the managed table is drift, removed by the next apply.
    f.block(
        ec2.create_route()
            .route_table_id(&public)
            .destination_cidr_block("198.51.100.0/24")
            .gateway_id(&igw)
            .send(),
    )
    .unwrap();
    let plan = f.plan(&[]);
    assert!(
        plan.contains("aws_route_table.public will be updated in-place"),
        "{plan}"
    );
    f.apply(&[]);
    assert_eq!(routes(&f, &public).len(), 2);

    // The subnet moves to the private table in place (a new association ID); the gateway's
    // tags change in place.
    let first_assoc = f.state_attr("aws_route_table_association.public", "id");
    f.write(
        "main.tf",
        &config(&["0.0.0.0/0", "172.16.0.0/12"], "private", "edge"),
    );
    let plan = f.plan(&[]);
    let mut actions: Vec<String> = headings(&plan)
        .into_iter()
        .filter(|h| h.contains(" will be ") || h.contains(" must be "))
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        vec![
            "aws_internet_gateway.gw will be updated in-place",
            "aws_route_table_association.public will be updated in-place",
        ],
        "{plan}"
    );
    f.apply(&[]);
    let moved = f
        .block(
            ec2.describe_route_tables()
                .filters(filter("association.subnet-id", &subnet))
                .send(),
        )
        .unwrap();
    assert_eq!(
        moved.route_tables()[0].route_table_id(),
        Some(private.as_str())
    );
    assert_ne!(
        f.state_attr("aws_route_table_association.public", "id"),
        first_assoc
    );
    f.assert_no_changes(&[]);

    // Import by Terraform's IDs: each object comes back with no change planned.
    for (address, id) in [
        ("aws_internet_gateway.gw", igw.clone()),
        ("aws_route_table.public", public.clone()),
        ("aws_route.egress", format!("{private}_192.168.0.0/16")),
        (
            "aws_route_table_association.public",
            format!("{subnet}/{private}"),
        ),
    ] {
        f.ok(&["state", "rm", address]);
        f.ok(&["import", address, &id]);
    }
    f.assert_no_changes(&[]);

    f.destroy(&[]);
    let left = f
        .block(
            ec2.describe_internet_gateways()
                .filters(filter("tag:Name", "edge"))
                .send(),
        )
        .unwrap();
    assert!(left.internet_gateways().is_empty());
    let vpcs = f
        .block(
            ec2.describe_vpcs()
                .filters(filter("tag:Name", "routed"))
                .send(),
        )
        .unwrap();
    assert!(vpcs.vpcs().is_empty());
}

#[test]
fn route_and_route_block_mistakes_are_located_before_any_call() {
    let f = Fixture::new();
    f.write(
        "main.tf",
        &format!(
            r#"{provider}
resource "aws_route_table" "t" {{
  provider = aws.app
  vpc_id   = "vpc-00000000"
  route {{
    cidr_block = "0.0.0.0/0"
  }}
}}

resource "aws_route" "r" {{
  provider               = aws.app
  route_table_id         = "rtb-00000000"
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = "igw-1"
  nat_gateway_id         = "nat-1"
}}

resource "aws_route_table_association" "a" {{
  provider       = aws.app
  route_table_id = "rtb-00000000"
}}
"#,
            provider = Fixture::provider("app", SERVICE_B)
        ),
    );
    let run = f.run(&["validate"]);
    assert_eq!(run.code, Some(1), "{}", run.text);
    for want in [
        "a route block needs exactly one of carrier_gateway_id",
        "exactly one of carrier_gateway_id",
        "one of subnet_id or gateway_id must be set",
        "on main.tf line",
    ] {
        assert!(run.text.contains(want), "{want}: {}", run.text);
    }
}
