//! Snapshots of the markdown plan comment.

mod support;

use support::*;
use trellis_plan::Action;
use trellis_views::{render_plan_markdown, MARKDOWN_LIMIT};

#[test]
fn full_plan_as_markdown() {
    let text = render_plan_markdown(&full_plan());
    assert!(
        !text.contains(SECRET) && !text.contains(OLD_SECRET),
        "secret leaked"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn huge_plan_is_shortened_but_keeps_summary_and_warnings() {
    let big = "x".repeat(2_000);
    let mut changes = Vec::new();
    for i in 0..60 {
        changes.push(change(
            &format!("aws_vpclattice_service.s{i:02}"),
            Action::Delete,
            Some(obj(&[("id", s(&format!("svc-{i}"))), ("blob", s(&big))])),
            None,
        ));
    }
    let text = render_plan_markdown(&plan(changes));
    assert!(text.len() <= MARKDOWN_LIMIT, "{}", text.len());
    assert!(text.starts_with("**Plan: 0 to add, 0 to change, 60 to destroy.**"));
    assert!(text.contains("`aws_vpclattice_service.s59` will be destroyed"));
    assert!(text.contains("left out to stay under GitHub's comment size limit"));
    // What a reviewer sees of the shortening: the head whole, the kept sections counted,
    // the note naming what was left out.
    let kept = text
        .matches("<details><summary>aws_vpclattice_service.s")
        .count();
    let head = &text[..text.find("### Resource changes").unwrap()];
    let note = &text[text.rfind("<details><summary>").unwrap()..];
    insta::assert_snapshot!(format!("{head}[{kept} resource sections kept]\n\n{note}"));
}

/// Thousands of destroys: even the warning list is capped, and counted.
#[test]
fn thousands_of_destroys_stay_under_the_limit() {
    let changes: Vec<_> = (0..5000)
        .map(|i| {
            change(
                &format!("aws_vpclattice_service.service_with_a_long_name_{i:05}"),
                Action::Delete,
                Some(obj(&[("id", s(&format!("svc-{i}")))])),
                None,
            )
        })
        .collect();
    let text = render_plan_markdown(&plan(changes));
    assert!(text.len() <= MARKDOWN_LIMIT, "{}", text.len());
    assert!(text.contains("**This plan destroys 5000 resources:**"));
    assert!(text.contains("more; `trellis show PLANFILE` lists them all"));
    assert!(text.contains("sections were left out"));
}

/// A plan across two accounts: the comment counts the changes per account and region, and
/// every destroy, replace and import line says where it lands.
#[test]
fn every_change_says_its_account_and_region() {
    let located = |address: &str, action: Action, account: &str, region: &str| {
        let mut c = change(
            address,
            action,
            (action != Action::Create).then(|| obj(&[("id", s("x-1"))])),
            (action != Action::Delete).then(|| obj(&[("id", s("x-1")), ("name", s("n"))])),
        );
        c.location = Some(trellis_types::Location::new(account, region));
        c
    };
    let mut imported = located("aws_vpc.client", Action::NoOp, "222222222222", "eu-west-1");
    imported.importing = Some("vpc-0abc".into());
    let mut replaced = located(
        "aws_vpclattice_listener.b",
        Action::DeleteThenCreate,
        "333333333333",
        "us-east-1",
    );
    replaced.reason = Some(trellis_plan::Reason::ReplaceBecauseCannotUpdate);
    let mut unlocated = change(
        "trellis_test_thing.t",
        Action::Create,
        None,
        Some(obj(&[("name", s("t"))])),
    );
    unlocated.provider = "trellis".into();
    let text = render_plan_markdown(&plan(vec![
        located(
            "aws_vpclattice_service_network.mesh",
            Action::Create,
            "111111111111",
            "us-east-1",
        ),
        located(
            "aws_ram_resource_share.mesh",
            Action::Update,
            "111111111111",
            "us-east-1",
        ),
        replaced,
        located(
            "aws_route53_record.old",
            Action::Delete,
            "333333333333",
            "us-east-1",
        ),
        imported,
        unlocated,
    ]));
    assert!(text.contains(
        "> - `aws_vpclattice_listener.b` will be replaced in account 333333333333, us-east-1 \
         (an attribute cannot be updated in place)\n"
    ));
    assert!(text.contains(
        "> - `aws_route53_record.old` will be destroyed in account 333333333333, us-east-1\n"
    ));
    assert!(text.contains(
        "- `aws_vpc.client` will be imported (import ID `vpc-0abc`) in account 222222222222, eu-west-1\n"
    ));
    assert!(text.contains("| `111111111111` | us-east-1 | 1 | 1 | 0 | 0 |\n"));
    assert!(text.contains("| `333333333333` | us-east-1 | 1 | 0 | 2 | 0 |\n"));
    assert!(text.contains("| (not known) | (not known) | 1 | 0 | 0 | 0 |\n"));
    insta::assert_snapshot!(text);
}

/// A plan whose providers give no location has no table (the in-memory provider, or an AWS
/// plan made before any provider learnt its account has at least the region).
#[test]
fn no_table_without_locations() {
    let text = render_plan_markdown(&plan(vec![change(
        "aws_vpclattice_service.orders",
        Action::Create,
        None,
        Some(obj(&[("name", s("orders"))])),
    )]));
    assert!(!text.contains("| account |"), "{text}");
}
