//! The multi-account mesh plan (see `trellis-mesh`'s test support) in every view: its
//! connectivity changes and the mesh checks' warnings.

#[path = "../../trellis-mesh/tests/support/mod.rs"]
mod mesh_support;

use mesh_support::*;
use trellis_plan::Action;
use trellis_types::Value;
use trellis_views::{plan_json, render_plan, render_plan_markdown, Style, MARKDOWN_LIMIT};

#[test]
fn mesh_plan_human() {
    let text = render_plan(&mesh_plan(), Style::PLAIN);
    assert!(text.contains("Connectivity changes:"));
    assert!(text.contains("Warning: 3 listeners on aws_vpclattice_service.billing"));
    insta::assert_snapshot!(text);
}

#[test]
fn mesh_plan_human_in_colour_marks_pairs() {
    let text = render_plan(&mesh_plan(), Style::COLOR);
    assert!(text.contains("\x1b[32m+\x1b[0m vpc-0c0c0c0c (account 444444444444) -> billing"));
    assert!(text.contains("\x1b[31m-\x1b[0m vpc-0d0d0d0d"));
}

#[test]
fn mesh_plan_markdown() {
    let text = render_plan_markdown(&mesh_plan());
    // The order a reviewer reads: summary, destroys, mesh checks, connectivity, details.
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing:\n{text}"))
    };
    assert_eq!(at("**Plan: "), 0);
    assert!(at("[!WARNING]") < at("[!CAUTION]"));
    assert!(at("[!CAUTION]") < at("### Connectivity changes"));
    assert!(at("### Connectivity changes") < at("<details>"));
    assert!(text.contains(
        "\n+ vpc-0c0c0c0c (account 444444444444) -> orders.example.internal (account 333333333333): IAM auth (network policy)\n"
    ));
    assert!(text.contains("\n! vpc-0a0a0a0a (account 222222222222) -> orders.example.internal"));
    insta::assert_snapshot!(text);
}

#[test]
fn mesh_plan_json_connectivity() {
    let json = plan_json(&mesh_plan());
    insta::assert_json_snapshot!(json["connectivity"]);
}

/// A mesh of 60 VPCs and 60 services created at once: 3,600 new pairs, far more than a
/// comment holds. The connectivity section is shortened with a count, the details are left
/// out and listed, and the whole stays under the limit.
#[test]
fn huge_mesh_is_shortened_under_the_limit() {
    let mut changes = vec![mesh_change(
        "aws_vpclattice_service_network.mesh",
        NETWORK_ACCOUNT,
        Action::Create,
        None,
        Some(obj(&[
            ("arn", Value::Unknown),
            ("auth_type", s("NONE")),
            ("id", Value::Unknown),
            ("name", s("mesh")),
        ])),
        &[],
    )];
    for i in 0..60 {
        changes.push(mesh_change(
            &format!("aws_vpclattice_service_network_vpc_association.vpc[{i}]"),
            A_ACCOUNT,
            Action::Create,
            None,
            Some(obj(&[
                ("id", Value::Unknown),
                ("service_network_identifier", Value::Unknown),
                ("vpc_identifier", s(&format!("vpc-{i:08}"))),
            ])),
            &["aws_vpclattice_service_network.mesh"],
        ));
        changes.push(mesh_change(
            &format!("aws_vpclattice_service.svc[{i}]"),
            B_ACCOUNT,
            Action::Create,
            None,
            Some(obj(&[
                ("arn", Value::Unknown),
                ("auth_type", s("NONE")),
                ("id", Value::Unknown),
                ("name", s(&format!("service-number-{i}"))),
                ("description", s(&"y".repeat(800))),
            ])),
            &[],
        ));
        changes.push(mesh_change(
            &format!("aws_vpclattice_service_network_service_association.svc[{i}]"),
            B_ACCOUNT,
            Action::Create,
            None,
            Some(obj(&[
                ("id", Value::Unknown),
                ("service_identifier", Value::Unknown),
                ("service_network_identifier", Value::Unknown),
            ])),
            &[
                "aws_vpclattice_service_network.mesh",
                "aws_vpclattice_service.svc",
            ],
        ));
    }
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    let plan = plan_of(changes);
    let analysis = trellis_mesh::analyze(&plan);
    assert_eq!(analysis.changes.len(), 3600);
    assert_eq!(analysis.unresolved, 0);
    let text = render_plan_markdown(&plan);
    assert!(text.len() <= MARKDOWN_LIMIT, "{}", text.len());
    assert!(text.starts_with("**Plan: 181 to add, 0 to change, 0 to destroy.**"));
    assert!(text.contains("3600 client → service pairs (3600 new)"));
    assert!(text.contains("more pairs were left out to stay under GitHub's comment size limit"));
    assert!(text.contains("sections were left out to stay under GitHub's comment size limit"));
    assert!(text.contains("- … and "), "the left-out list is counted");
}
