//! Reachability and findings of hand-built plans.

mod support;

use support::*;
use trellis_mesh::{analyze, FindingKind, Gate, RouteChangeKind};
use trellis_plan::Action;
use trellis_types::Value;

#[test]
fn multi_account_mesh_changes() {
    let analysis = analyze(&mesh_plan());
    let lines: Vec<String> = analysis.changes.iter().map(|c| c.line()).collect();
    assert_eq!(analysis.unresolved, 0, "{lines:#?}");
    assert_eq!(
        lines,
        vec![
            "+ vpc-0a0a0a0a (account 222222222222) -> billing (account 444444444444): \
             IAM auth (network policy, service policy allows any principal)",
            "+ vpc-0c0c0c0c (account 444444444444) -> billing (account 444444444444): \
             IAM auth (network policy, service policy allows any principal)",
            "+ vpc-0c0c0c0c (account 444444444444) -> orders.example.internal (account 333333333333): \
             IAM auth (network policy)",
            "- vpc-0d0d0d0d (account 222222222222) -> orders.example.internal (account 333333333333)",
            "~ vpc-0a0a0a0a (account 222222222222) -> orders.example.internal (account 333333333333): \
             IAM auth (network policy, service policy) -> IAM auth (network policy)",
        ]
    );
    assert!(analysis.changes.iter().all(
        |c| c.network.label == "mesh" && c.network.account.as_deref() == Some(NETWORK_ACCOUNT)
    ));
    assert_eq!(analysis.reachable.len(), 4);
    assert_eq!(analysis.reachable_before.len(), 2);

    let codes: Vec<(FindingKind, &str)> = analysis
        .findings
        .iter()
        .map(|f| (f.kind, f.address.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (
                FindingKind::SecurityGroupOpenIngress,
                "aws_security_group.c_clients"
            ),
            (
                FindingKind::AuthPolicyAllowsAnyPrincipal,
                "aws_vpclattice_auth_policy.billing"
            ),
            (
                FindingKind::AuthPolicyWithoutEffect,
                "aws_vpclattice_auth_policy.orders"
            ),
            (
                FindingKind::ListenerQuotaExceeded,
                "aws_vpclattice_service.billing"
            ),
            (
                FindingKind::ServiceWithoutAuthInIamNetwork,
                "aws_vpclattice_service.orders"
            ),
        ]
    );
    insta::assert_json_snapshot!(analysis);
}

#[test]
fn nothing_lattice_means_nothing_to_show() {
    let plan = plan_of(vec![mesh_change(
        "trellis_test_thing.a",
        "1",
        Action::Create,
        None,
        Some(obj(&[("name", s("a"))])),
        &[],
    )]);
    let analysis = analyze(&plan);
    assert!(analysis.is_empty());
    assert!(analysis.reachable.is_empty());
}

/// The whole mesh destroyed: every pair disappears, no findings about what is gone.
#[test]
fn destroy_removes_every_pair_and_checks_only_what_remains() {
    let mut plan = mesh_plan();
    for c in &mut plan.changes {
        if c.action != Action::Create {
            c.action = Action::Delete;
            c.after = None;
        }
    }
    plan.changes.retain(|c| c.action == Action::Delete);
    let analysis = analyze(&plan);
    assert!(analysis.reachable.is_empty());
    assert_eq!(analysis.changes.len(), 2);
    assert!(analysis
        .changes
        .iter()
        .all(|c| c.kind == RouteChangeKind::Removed));
    assert!(analysis.findings.is_empty(), "{:#?}", analysis.findings);
}

/// IDs and ARNs of the same object compare equal; an unknown reference with no matching
/// dependency is counted as unresolved, not guessed.
#[test]
fn arn_and_id_are_the_same_object_and_unresolved_is_counted() {
    let mut plan = mesh_plan();
    for c in &mut plan.changes {
        if c.address.to_string() == "aws_vpclattice_service_network_service_association.orders" {
            let after = c.after.as_mut().unwrap();
            after.set_path(
                &trellis_types::Path::parse("service_identifier").unwrap(),
                s(&arn(B_ACCOUNT, "service", ORDERS_ID)),
            );
        }
        if c.address.to_string() == "aws_vpclattice_service_network_service_association.billing" {
            c.dependencies.clear();
        }
    }
    let analysis = analyze(&plan);
    assert_eq!(analysis.unresolved, 1);
    assert!(analysis
        .reachable
        .iter()
        .any(|r| r.server.label == "orders.example.internal"));
    assert!(!analysis
        .reachable
        .iter()
        .any(|r| r.server.label == "billing"));
}

/// AWS_IAM without any auth policy denies everything; a network in another configuration
/// (known only by ARN) has an unknown gate.
#[test]
fn gates() {
    let mut plan = mesh_plan();
    plan.changes
        .retain(|c| c.address.to_string() != "aws_vpclattice_auth_policy.mesh");
    let analysis = analyze(&plan);
    assert!(analysis
        .reachable
        .iter()
        .all(|r| r.access.network == Gate::DenyAll));
    assert!(analysis.reachable[0]
        .access
        .describe()
        .starts_with("denied (AWS_IAM without an auth policy on the network"));

    let mut plan = mesh_plan();
    plan.changes.retain(|c| {
        !c.address
            .to_string()
            .starts_with("aws_vpclattice_service_network.")
            && c.address.to_string() != "aws_vpclattice_auth_policy.mesh"
    });
    let analysis = analyze(&plan);
    assert_eq!(analysis.reachable.len(), 4);
    let r = &analysis.reachable[0];
    assert_eq!(r.network.label, NETWORK_ID);
    assert_eq!(r.network.account.as_deref(), Some(NETWORK_ACCOUNT));
    assert_eq!(r.access.network, Gate::Outside);
    assert!(r
        .access
        .describe()
        .contains("network auth managed elsewhere"));
}

/// A network shared from another account and looked up with a data source: named, its
/// auth type known, its policy managed by the owner.
#[test]
fn data_source_network_names_the_shared_network() {
    let mut plan = mesh_plan();
    plan.changes.retain(|c| {
        !c.address
            .to_string()
            .starts_with("aws_vpclattice_service_network.")
            && c.address.to_string() != "aws_vpclattice_auth_policy.mesh"
    });
    let shared = obj(&[
        (
            "arn",
            s(&arn(NETWORK_ACCOUNT, "servicenetwork", NETWORK_ID)),
        ),
        ("auth_type", s("AWS_IAM")),
        ("id", s(NETWORK_ID)),
        ("name", s("shared-mesh")),
    ]);
    let mut lookup = mesh_change(
        "data.aws_vpclattice_service_network.shared",
        A_ACCOUNT,
        Action::NoOp,
        Some(shared.clone()),
        Some(shared),
        &[],
    );
    lookup.location = None;
    plan.changes.push(lookup);
    let analysis = analyze(&plan);
    assert_eq!(analysis.reachable.len(), 4);
    let r = &analysis.reachable[0];
    assert_eq!(r.network.label, "shared-mesh");
    assert_eq!(r.network.account.as_deref(), Some(NETWORK_ACCOUNT));
    assert_eq!(r.access.network, Gate::Outside);
    // The service-without-auth check still sees an AWS_IAM network.
    assert!(analysis
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::ServiceWithoutAuthInIamNetwork));
}

/// A security group's own ingress blocks count as well as separate rules; a group that
/// allows only the VPC's range does not.
#[test]
fn security_group_ingress_blocks() {
    let mut plan = mesh_plan();
    plan.changes
        .retain(|c| c.type_name != "aws_vpc_security_group_ingress_rule");
    for c in &mut plan.changes {
        if c.type_name == "aws_security_group" {
            c.after.as_mut().unwrap().set_path(
                &trellis_types::Path::parse("ingress").unwrap(),
                list(&[obj(&[
                    ("cidr_blocks", list(&[s("10.0.0.0/16")])),
                    ("ipv6_cidr_blocks", list(&[s("::/0")])),
                    ("from_port", Value::Number(443.0)),
                ])]),
            );
        }
    }
    let analysis = analyze(&plan);
    let sg: Vec<_> = analysis
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::SecurityGroupOpenIngress)
        .collect();
    assert_eq!(sg.len(), 1);
    assert!(sg[0].detail.contains("::/0"), "{}", sg[0].detail);

    for c in &mut plan.changes {
        if c.type_name == "aws_security_group" {
            c.after.as_mut().unwrap().set_path(
                &trellis_types::Path::parse("ingress").unwrap(),
                list(&[obj(&[("cidr_blocks", list(&[s("10.0.0.0/16")]))])]),
            );
        }
    }
    assert!(!analyze(&plan)
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::SecurityGroupOpenIngress));
}

fn only(plan: &trellis_plan::Plan, prefixes: &[&str]) -> trellis_plan::Plan {
    let mut p = plan.clone();
    p.changes.retain(|c| {
        let a = c.address.to_string();
        prefixes.iter().any(|prefix| a.starts_with(prefix))
    });
    p
}

/// A service team's configuration holds only its service and its association with the
/// network another account shares: every client of that network can newly reach it.
#[test]
fn service_team_config_shows_clients_managed_elsewhere() {
    let plan = only(
        &mesh_plan(),
        &[
            "aws_vpclattice_service.billing",
            "aws_vpclattice_auth_policy.billing",
            "aws_vpclattice_service_network_service_association.billing",
        ],
    );
    let analysis = analyze(&plan);
    let lines: Vec<String> = analysis.changes.iter().map(|c| c.line()).collect();
    assert_eq!(
        lines,
        vec![
            "+ any client VPC of the network (managed elsewhere) -> billing (account 444444444444): \
             IAM auth (network auth managed elsewhere, service policy allows any principal)"
        ]
    );
    assert_eq!(analysis.changes[0].network.label, NETWORK_ID);
    assert_eq!(
        analysis.changes[0].network.account.as_deref(),
        Some(NETWORK_ACCOUNT)
    );
    // The open policy is on something others can reach.
    assert!(analysis
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::AuthPolicyAllowsAnyPrincipal));
}

/// A client team's configuration holds only its VPC association with the shared network.
#[test]
fn client_team_config_shows_services_managed_elsewhere() {
    let plan = only(
        &mesh_plan(),
        &[
            "aws_vpclattice_service_network_vpc_association.c",
            "aws_security_group",
        ],
    );
    let lines: Vec<String> = analyze(&plan).changes.iter().map(|c| c.line()).collect();
    assert_eq!(
        lines,
        vec![
            "+ vpc-0c0c0c0c (account 444444444444) -> any service of the network (managed elsewhere): \
             IAM auth (network auth managed elsewhere, service auth managed elsewhere)"
        ]
    );
}

/// Attributes the plan marks sensitive are never shown: labels fall back to addresses, a
/// sensitive identifier resolves only to objects of the plan.
#[test]
fn sensitive_attributes_are_not_shown() {
    const SECRET: &str = "vpc-SECRET-do-not-show";
    let mut plan = mesh_plan();
    for c in &mut plan.changes {
        match c.address.to_string().as_str() {
            "aws_vpclattice_service_network_vpc_association.c" => {
                c.after.as_mut().unwrap().set_path(
                    &trellis_types::Path::parse("vpc_identifier").unwrap(),
                    s(SECRET),
                );
                c.after_sensitive = vec![trellis_types::Path::parse("vpc_identifier").unwrap()];
            }
            "aws_vpclattice_service.orders" => {
                c.after_sensitive = vec![
                    trellis_types::Path::parse("custom_domain_name").unwrap(),
                    trellis_types::Path::parse("dns_entry").unwrap(),
                ];
                c.before_sensitive = c.after_sensitive.clone();
            }
            _ => {}
        }
    }
    let analysis = analyze(&plan);
    let text = serde_json::to_string(&analysis).unwrap();
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("orders.example.internal"), "{text}");
    assert!(analysis
        .reachable
        .iter()
        .any(|r| r.client.label == "the VPC of aws_vpclattice_service_network_vpc_association.c"));
    assert!(analysis
        .reachable
        .iter()
        .any(|r| r.server.label == "orders" && r.server.key == "aws_vpclattice_service.orders"));
}

/// An HTTPS listener on a service with a custom domain and no certificate is flagged; the
/// same with a certificate, or with an HTTP listener only, is not.
#[test]
fn custom_domain_with_https_needs_a_certificate() {
    let service = |name: &str, certificate: Option<&str>| {
        mesh_change(
            &format!("aws_vpclattice_service.{name}"),
            "333333333333",
            Action::Create,
            None,
            Some(obj(&[
                ("name", s(name)),
                ("id", s(&format!("svc-{name}"))),
                ("custom_domain_name", s(&format!("{name}.example.internal"))),
                ("certificate_arn", certificate.map(s).unwrap_or(Value::Null)),
            ])),
            &[],
        )
    };
    let listener = |name: &str, protocol: &str| {
        mesh_change(
            &format!("aws_vpclattice_listener.{name}"),
            "333333333333",
            Action::Create,
            None,
            Some(obj(&[
                ("name", s(name)),
                ("protocol", s(protocol)),
                ("service_identifier", s(&format!("svc-{name}"))),
            ])),
            &[],
        )
    };
    let plan = plan_of(vec![
        service("bare", None),
        listener("bare", "HTTPS"),
        service(
            "certified",
            Some("arn:aws:acm:us-east-1:333333333333:certificate/c1"),
        ),
        listener("certified", "HTTPS"),
        service("plain", None),
        listener("plain", "HTTP"),
    ]);
    let findings: Vec<(FindingKind, String)> = analyze(&plan)
        .findings
        .into_iter()
        .filter(|f| f.kind == FindingKind::CustomDomainWithoutCertificate)
        .map(|f| (f.kind, f.address))
        .collect();
    assert_eq!(
        findings,
        vec![(
            FindingKind::CustomDomainWithoutCertificate,
            "aws_vpclattice_service.bare".to_string()
        )]
    );
}
