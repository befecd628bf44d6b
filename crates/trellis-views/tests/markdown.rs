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
