//! The flagship example, `examples/seed-mesh`, end to end against the emulator acting as its
//! four accounts: apply from empty, read every account with the SDKs, re-plan, change one
//! listener, make Service A a server too, destroy, and find every account empty. Also the
//! consumer whose share is missing.

mod multi;

use aws_sdk_ram::types::{ResourceOwner, ResourceShareStatus};
use multi::*;

/// Every account's view after an apply of the seed mesh (with Service A serving or not).
fn check_mesh(f: &Fixture, a_serves: bool) {
    // The network account: the network, its auth policy, the share of it with three accounts.
    let net = f.lattice(NETWORK);
    let networks = f.block(net.list_service_networks().send()).unwrap();
    assert_eq!(networks.items().len(), 1);
    let network = &networks.items()[0];
    let network_arn = network.arn().unwrap().to_string();
    assert_eq!(network.name(), Some("seed-mesh"));
    assert!(network_arn.contains(&format!(":{NETWORK}:servicenetwork/")));
    let got = f
        .block(
            net.get_service_network()
                .service_network_identifier(&network_arn)
                .send(),
        )
        .unwrap();
    assert_eq!(got.auth_type().map(|a| a.as_str()), Some("AWS_IAM"));
    let policy = f
        .block(
            net.get_auth_policy()
                .resource_identifier(&network_arn)
                .send(),
        )
        .unwrap();
    for account in [SERVICE_A, SERVICE_B, SERVICE_C] {
        assert!(
            policy
                .policy()
                .unwrap()
                .contains(&format!("arn:aws:iam::{account}:root")),
            "auth policy admits {account}"
        );
    }
    let ram = f.ram(NETWORK);
    let shares = f
        .block(
            ram.get_resource_shares()
                .resource_owner(ResourceOwner::SelfValue)
                .resource_share_status(ResourceShareStatus::Active)
                .send(),
        )
        .unwrap();
    assert_eq!(shares.resource_shares().len(), 1);
    let share_arn = shares.resource_shares()[0]
        .resource_share_arn()
        .unwrap()
        .to_string();
    let resources = f
        .block(
            ram.list_resources()
                .resource_owner(ResourceOwner::SelfValue)
                .send(),
        )
        .unwrap();
    let shared: Vec<&str> = resources
        .resources()
        .iter()
        .filter_map(|r| r.arn())
        .collect();
    assert_eq!(shared, vec![network_arn.as_str()]);
    let principals = f
        .block(
            ram.list_principals()
                .resource_owner(ResourceOwner::SelfValue)
                .send(),
        )
        .unwrap();
    let mut ids: Vec<&str> = principals
        .principals()
        .iter()
        .filter_map(|p| p.id())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![SERVICE_A, SERVICE_B, SERVICE_C]);

    // Each service account accepted the share.
    for account in [SERVICE_A, SERVICE_B, SERVICE_C] {
        let seen = f
            .block(
                f.ram(account)
                    .get_resource_shares()
                    .resource_owner(ResourceOwner::OtherAccounts)
                    .send(),
            )
            .unwrap();
        let arns: Vec<&str> = seen
            .resource_shares()
            .iter()
            .filter_map(|s| s.resource_share_arn())
            .collect();
        assert_eq!(arns, vec![share_arn.as_str()], "{account} sees the share");
    }

    // Clients: the VPCs of A and C are associated, each by its own account.
    let vpcs = f
        .block(
            net.list_service_network_vpc_associations()
                .service_network_identifier(&network_arn)
                .send(),
        )
        .unwrap();
    let mut clients: Vec<(String, String)> = vpcs
        .items()
        .iter()
        .map(|a| {
            (
                a.created_by().unwrap_or_default().to_string(),
                a.vpc_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    clients.sort();
    assert_eq!(clients.len(), 2);
    assert_eq!(clients[0].0, SERVICE_A);
    assert_eq!(clients[1].0, SERVICE_C);
    for (account, vpc) in &clients {
        let found = f
            .block(f.ec2(account).describe_vpcs().vpc_ids(vpc).send())
            .unwrap();
        assert_eq!(found.vpcs()[0].owner_id(), Some(account.as_str()));
    }

    // Servers: B and C (and A when it serves), each owned by its account.
    let services = f
        .block(
            net.list_service_network_service_associations()
                .service_network_identifier(&network_arn)
                .send(),
        )
        .unwrap();
    let mut servers: Vec<(String, String)> = services
        .items()
        .iter()
        .map(|a| {
            (
                a.created_by().unwrap_or_default().to_string(),
                a.service_name().unwrap_or_default().to_string(),
            )
        })
        .collect();
    servers.sort();
    let mut expected = vec![
        (SERVICE_B.to_string(), "service-b".to_string()),
        (SERVICE_C.to_string(), "service-c".to_string()),
    ];
    if a_serves {
        expected.insert(0, (SERVICE_A.to_string(), "service-a".to_string()));
    }
    assert_eq!(servers, expected);

    // The services' DNS names, by custom name, as their owners see them.
    let mut dns = std::collections::BTreeMap::new();
    for (account, name) in &expected {
        let l = f.lattice(account);
        let list = f.block(l.list_services().send()).unwrap();
        assert_eq!(list.items().len(), 1, "{account} owns one service");
        let svc = f
            .block(
                l.get_service()
                    .service_identifier(list.items()[0].id().unwrap())
                    .send(),
            )
            .unwrap();
        assert_eq!(svc.name(), Some(name.as_str()));
        let custom = svc.custom_domain_name().unwrap().to_string();
        let entry = svc.dns_entry().unwrap();
        dns.insert(
            custom,
            (
                entry.domain_name().unwrap().to_string(),
                entry.hosted_zone_id().unwrap().to_string(),
            ),
        );
    }
    if !a_serves {
        let none = f
            .block(f.lattice(SERVICE_A).list_services().send())
            .unwrap();
        assert!(none.items().is_empty(), "service A only calls");
    }
    // B's listener and targets.
    let lb = f.lattice(SERVICE_B);
    let svc_b = f.block(lb.list_services().send()).unwrap().items()[0]
        .id()
        .unwrap()
        .to_string();
    let listeners = f
        .block(lb.list_listeners().service_identifier(&svc_b).send())
        .unwrap();
    assert_eq!(listeners.items().len(), 1);
    let groups = f.block(lb.list_target_groups().send()).unwrap();
    let tg = groups.items()[0].id().unwrap().to_string();
    let targets = f
        .block(lb.list_targets().target_group_identifier(&tg).send())
        .unwrap();
    assert_eq!(targets.items().len(), 2);

    // Names: a private zone in each client account, with a record per service that points at
    // the service's dns_entry (CNAMEs in A, aliases in C); none in the other accounts.
    for (account, alias) in [(SERVICE_A, false), (SERVICE_C, true)] {
        let r53 = f.route53(account);
        let zones = f.block(r53.list_hosted_zones().send()).unwrap();
        assert_eq!(zones.hosted_zones().len(), 1, "{account} has one zone");
        let zone = &zones.hosted_zones()[0];
        assert_eq!(zone.name(), "mesh.internal.");
        assert!(zone.config().unwrap().private_zone());
        let detail = f.block(r53.get_hosted_zone().id(zone.id()).send()).unwrap();
        let vpc = if account == SERVICE_A {
            &clients[0].1
        } else {
            &clients[1].1
        };
        assert_eq!(detail.vpcs()[0].vpc_id(), Some(vpc.as_str()));
        let records = f
            .block(
                r53.list_resource_record_sets()
                    .hosted_zone_id(zone.id())
                    .send(),
            )
            .unwrap();
        for (custom, (domain, zone_id)) in &dns {
            let record = records
                .resource_record_sets()
                .iter()
                .find(|r| r.name().trim_end_matches('.') == custom)
                .unwrap_or_else(|| panic!("{account} has a record for {custom}"));
            if alias {
                let target = record.alias_target().expect("alias");
                assert_eq!(target.dns_name().trim_end_matches('.'), domain);
                assert_eq!(target.hosted_zone_id(), zone_id);
            } else {
                assert_eq!(record.r#type().as_str(), "CNAME");
                assert_eq!(record.resource_records()[0].value(), domain);
            }
        }
        let named = records
            .resource_record_sets()
            .iter()
            .filter(|r| !matches!(r.r#type().as_str(), "SOA" | "NS"))
            .count();
        assert_eq!(
            named,
            dns.len(),
            "{account}: exactly one record per service"
        );
    }
    for account in [NETWORK, SERVICE_B] {
        let zones = f
            .block(f.route53(account).list_hosted_zones().send())
            .unwrap();
        assert!(zones.hosted_zones().is_empty(), "{account} has no zone");
    }

    // Security groups: B's targets admit the Lattice prefix list; A's client group has
    // exactly its two configured rules (the default allow-all egress was removed).
    let ec2b = f.ec2(SERVICE_B);
    let lists = f
        .block(ec2b.describe_managed_prefix_lists().send())
        .unwrap();
    let lattice_list = lists
        .prefix_lists()
        .iter()
        .find(|p| p.prefix_list_name() == Some("com.amazonaws.us-east-1.vpc-lattice"))
        .unwrap()
        .prefix_list_id()
        .unwrap()
        .to_string();
    let group = f
        .block(
            ec2b.describe_security_groups()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-name")
                        .values("service-b-targets")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let group_id = group.security_groups()[0].group_id().unwrap().to_string();
    let rules = f
        .block(
            ec2b.describe_security_group_rules()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-id")
                        .values(&group_id)
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let ingress: Vec<_> = rules
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .collect();
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0].prefix_list_id(), Some(lattice_list.as_str()));
    assert_eq!(ingress[0].from_port(), Some(8080));
    let ec2a = f.ec2(SERVICE_A);
    // Prefix list IDs differ per account.
    let lists = f
        .block(ec2a.describe_managed_prefix_lists().send())
        .unwrap();
    let lattice_list = lists
        .prefix_lists()
        .iter()
        .find(|p| p.prefix_list_name() == Some("com.amazonaws.us-east-1.vpc-lattice"))
        .unwrap()
        .prefix_list_id()
        .unwrap()
        .to_string();
    let group = f
        .block(
            ec2a.describe_security_groups()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-name")
                        .values("service-a-lattice-clients")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let group_id = group.security_groups()[0].group_id().unwrap().to_string();
    let rules = f
        .block(
            ec2a.describe_security_group_rules()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-id")
                        .values(&group_id)
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let mut kinds: Vec<(bool, Option<&str>, Option<&str>)> = rules
        .security_group_rules()
        .iter()
        .map(|r| (r.is_egress().unwrap(), r.cidr_ipv4(), r.prefix_list_id()))
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (false, Some("10.1.0.0/16"), None),
            (true, None, Some(lattice_list.as_str())),
        ]
    );
    let assoc = vpcs
        .items()
        .iter()
        .find(|a| a.created_by() == Some(SERVICE_A))
        .unwrap();
    let detail = f
        .block(
            f.lattice(SERVICE_A)
                .get_service_network_vpc_association()
                .service_network_vpc_association_identifier(assoc.id().unwrap())
                .send(),
        )
        .unwrap();
    assert_eq!(detail.security_group_ids(), [group_id]);
}

/// Nothing of the mesh is left in any account.
fn check_empty(f: &Fixture) {
    for account in [NETWORK, SERVICE_A, SERVICE_B, SERVICE_C] {
        let l = f.lattice(account);
        assert!(f
            .block(l.list_service_networks().send())
            .unwrap()
            .items()
            .is_empty());
        assert!(f
            .block(l.list_services().send())
            .unwrap()
            .items()
            .is_empty());
        assert!(f
            .block(l.list_target_groups().send())
            .unwrap()
            .items()
            .is_empty());
        let ram = f.ram(account);
        for owner in [ResourceOwner::SelfValue, ResourceOwner::OtherAccounts] {
            let shares = f
                .block(ram.get_resource_shares().resource_owner(owner).send())
                .unwrap();
            assert!(
                shares
                    .resource_shares()
                    .iter()
                    .all(|s| s.status() == Some(&ResourceShareStatus::Deleted)),
                "{account}: no live share"
            );
        }
        let zones = f
            .block(f.route53(account).list_hosted_zones().send())
            .unwrap();
        assert!(zones.hosted_zones().is_empty(), "{account}: no zone");
        let ec2 = f.ec2(account);
        let vpcs = f
            .block(
                ec2.describe_vpcs()
                    .filters(
                        aws_sdk_ec2::types::Filter::builder()
                            .name("tag:example")
                            .values("seed-mesh")
                            .build(),
                    )
                    .send(),
            )
            .unwrap();
        assert!(vpcs.vpcs().is_empty(), "{account}: no vpc of the example");
        let groups = f.block(ec2.describe_security_groups().send()).unwrap();
        assert!(
            groups
                .security_groups()
                .iter()
                .all(|g| g.group_name() == Some("default")),
            "{account}: only default security groups"
        );
    }
}

#[test]
fn seed_mesh_across_four_accounts() {
    let f = Fixture::new();
    f.copy_example("seed-mesh");
    f.ok(&["validate", "-no-color"]);

    // The plan says where each change lands.
    let plan = f.plan(&[]);
    for account in [NETWORK, SERVICE_A, SERVICE_B, SERVICE_C] {
        assert!(
            plan.contains(&format!("(in account {account}, us-east-1)")),
            "plan names account {account}:\n{plan}"
        );
    }
    let network_block = plan
        .split("# aws_vpclattice_service_network.mesh will be created")
        .nth(1)
        .expect("network planned");
    assert!(network_block
        .trim_start()
        .starts_with(&format!("# (in account {NETWORK}, us-east-1)")));

    // So do the pull-request comment and the JSON plan, which policy tools read.
    let md = f.ok(&["plan", "-markdown", "-input=false"]);
    assert!(
        md.contains("| account | region | to add | to change | to destroy |"),
        "{md}"
    );
    for account in [NETWORK, SERVICE_A, SERVICE_B, SERVICE_C] {
        assert!(
            md.contains(&format!("| `{account}` | us-east-1 | ")),
            "markdown counts account {account}:\n{md}"
        );
    }
    assert!(md.contains(&format!(
        "<details><summary>aws_vpclattice_service_network.mesh will be created (in account {NETWORK}, us-east-1)</summary>"
    )));
    let text = f.ok(&["plan", "-json", "-input=false"]);
    let json: serde_json::Value = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .next()
        .expect("a JSON plan")
        .expect("valid JSON");
    let changes = json["resource_changes"]
        .as_array()
        .expect("resource_changes");
    let at = |address: &str| {
        changes
            .iter()
            .find(|c| c["address"] == address)
            .unwrap_or_else(|| panic!("{address} in the JSON plan"))["trellis_location"]
            .clone()
    };
    assert_eq!(
        at("aws_vpclattice_service_network.mesh"),
        serde_json::json!({"provider_config_key": "aws.network", "account_id": NETWORK, "region": REGION})
    );
    assert_eq!(at("aws_vpclattice_service.b")["account_id"], SERVICE_B);
    assert!(
        changes
            .iter()
            .all(|c| c["trellis_location"]["account_id"].is_string()),
        "every change has its account"
    );

    f.apply(&[]);
    check_mesh(&f, false);
    f.assert_no_changes(&[]);

    // One listener changes: exactly that listener (its port forces a replacement).
    let plan = f.plan(&["-var", "service_b_port=8080"]);
    assert_eq!(
        headings(&plan),
        vec!["aws_vpclattice_listener.b must be replaced"],
        "{plan}"
    );
    assert!(plan.contains("Plan: 1 to add, 0 to change, 1 to destroy."));
    assert!(plan.contains(&format!("(in account {SERVICE_B}, us-east-1)")));

    // Service A becomes client and server: its service, its association and its DNS names.
    let plan = f.plan(&["-var", "service_a_serves=true"]);
    let mut got = headings(&plan);
    got.sort();
    assert_eq!(
        got,
        vec![
            "aws_route53_record.a[\"a\"] will be created",
            "aws_route53_record.c[\"a\"] will be created",
            "aws_vpclattice_service.a[0] will be created",
            "aws_vpclattice_service_network_service_association.a[0] will be created",
        ],
        "{plan}"
    );
    f.apply(&["-var", "service_a_serves=true"]);
    check_mesh(&f, true);
    f.assert_no_changes(&["-var", "service_a_serves=true"]);

    f.destroy(&["-var", "service_a_serves=true"]);
    check_empty(&f);
    assert!(f.ok(&["state", "list"]).trim().is_empty());
}

#[test]
fn a_consumer_association_without_a_share_says_the_share_is_missing() {
    let f = Fixture::new();
    let owner = f.lattice(NETWORK);
    let network = f
        .block(owner.create_service_network().name("mesh").send())
        .unwrap();
    let arn = network.arn().unwrap().to_string();
    let body = format!(
        "{}\nresource \"aws_vpc\" \"client\" {{\n  provider   = aws.consumer\n  cidr_block = \"10.5.0.0/16\"\n}}\n\n\
         resource \"aws_vpclattice_service_network_vpc_association\" \"client\" {{\n  provider                   = aws.consumer\n  \
         vpc_identifier             = aws_vpc.client.id\n  service_network_identifier = \"{arn}\"\n}}\n",
        Fixture::provider("consumer", SERVICE_A)
    );
    f.write("main.tf", &body);
    let run = f.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert!(
        run.text.contains(&format!(
            "the resource share is missing: {arn} belongs to account {NETWORK} and is not shared with account {SERVICE_A}"
        )),
        "{}",
        run.text
    );
    assert!(run.text.contains("aws_ram_resource_share"), "{}", run.text);
    assert!(
        !run.text.contains(
            "Error: creating aws_vpclattice_service_network_vpc_association.client: AccessDenied"
        ),
        "not a raw AccessDenied:\n{}",
        run.text
    );
    // Nothing was associated; the VPC was made and is in state.
    let list = f
        .block(
            owner
                .list_service_network_vpc_associations()
                .service_network_identifier(&arn)
                .send(),
        )
        .unwrap();
    assert!(list.items().is_empty());
    assert!(f.ok(&["state", "list"]).contains("aws_vpc.client"));

    // Shared but not accepted yet: the message names the pending invitation.
    let ram = f.ram(NETWORK);
    let share = f
        .block(
            ram.create_resource_share()
                .name("mesh")
                .resource_arns(&arn)
                .principals(SERVICE_A)
                .allow_external_principals(true)
                .send(),
        )
        .unwrap();
    let share_arn = share
        .resource_share()
        .unwrap()
        .resource_share_arn()
        .unwrap()
        .to_string();
    let run = f.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(run.code, Some(1), "{}", run.text);
    assert!(
        run.text.contains(&format!(
            "invitation from account {NETWORK} ({share_arn}) is pending"
        )),
        "{}",
        run.text
    );
    assert!(run.text.contains("aws_ram_resource_share_accepter"));

    // Accepting it in the configuration, with the association depending on it, converges.
    let accepted = body.replace(
        "  service_network_identifier",
        "  depends_on                 = [aws_ram_resource_share_accepter.mesh]\n  service_network_identifier",
    ) + &format!(
        "\nresource \"aws_ram_resource_share_accepter\" \"mesh\" {{\n  provider  = aws.consumer\n  share_arn = \"{share_arn}\"\n}}\n"
    );
    f.write("main.tf", &accepted);
    f.apply(&[]);
    let list = f
        .block(
            owner
                .list_service_network_vpc_associations()
                .service_network_identifier(&arn)
                .send(),
        )
        .unwrap();
    assert_eq!(list.items().len(), 1);
    assert_eq!(list.items()[0].created_by(), Some(SERVICE_A));
    f.assert_no_changes(&[]);
    f.destroy(&[]);
}
