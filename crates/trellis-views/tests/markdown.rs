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
}
