//! A deposed object's destroy in every view: its own entry, named by its deposed key.

mod support;

use support::*;
use trellis_plan::{Action, Change, Reason};
use trellis_views::{plan_json, render_plan, render_plan_markdown, Style};

fn deposed(addr: &str, key: &str) -> Change {
    let mut c = change(
        addr,
        Action::Delete,
        Some(obj(&[("id", s("tg-old")), ("name", s("blue"))])),
        None,
    );
    c.reason = Some(Reason::DeleteBecauseDeposed {
        key: key.to_string(),
    });
    c
}

fn replaced_plan() -> trellis_plan::Plan {
    plan(vec![
        change(
            "aws_vpclattice_target_group.tg",
            Action::NoOp,
            Some(obj(&[("id", s("tg-new")), ("name", s("blue"))])),
            Some(obj(&[("id", s("tg-new")), ("name", s("blue"))])),
        ),
        deposed("aws_vpclattice_target_group.tg", "1a2b3c4d"),
    ])
}

#[test]
fn human_view_heads_the_destroy_with_the_deposed_key() {
    let text = render_plan(&replaced_plan(), Style::PLAIN);
    assert!(
        text.contains(
            "# aws_vpclattice_target_group.tg (deposed object 1a2b3c4d) will be destroyed"
        ),
        "{text}"
    );
    assert!(
        text.contains("(left over from a partially-failed replacement of this instance)"),
        "{text}"
    );
    assert!(text.contains("tg-old"), "{text}");
    assert!(
        text.contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{text}"
    );
}

#[test]
fn json_view_has_terraforms_deposed_field_and_no_reason() {
    let json = plan_json(&replaced_plan());
    let changes = json["resource_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert!(changes[0].get("deposed").is_none());
    let entry = &changes[1];
    assert_eq!(entry["address"], "aws_vpclattice_target_group.tg");
    assert_eq!(entry["deposed"], "1a2b3c4d");
    assert_eq!(entry["change"]["actions"], serde_json::json!(["delete"]));
    assert_eq!(entry["change"]["before"]["id"], "tg-old");
    assert!(entry.get("action_reason").is_none(), "{entry:#}");
}

#[test]
fn markdown_view_names_the_deposed_object() {
    let text = render_plan_markdown(&replaced_plan());
    assert!(
        text.contains("aws_vpclattice_target_group.tg (deposed object 1a2b3c4d) will be destroyed"),
        "{text}"
    );
    assert!(text.contains("deposed object `1a2b3c4d`"), "{text}");
}
