//! Snapshots of apply progress, summaries, outputs, values and `state show`.

mod support;

use std::collections::BTreeMap;

use support::*;
use trellis_plan::{Action, ApplyEvent, ApplySummary, OutputValue};
use trellis_types::{Address, Diagnostic, Value};
use trellis_views::{
    render_apply_event, render_apply_summary, render_outputs, render_state_resource, render_value,
    Style,
};

fn addr(text: &str) -> Address {
    Address::parse(text).unwrap()
}

fn outputs() -> BTreeMap<String, OutputValue> {
    let mut outputs = BTreeMap::new();
    outputs.insert(
        "service_arn".to_string(),
        OutputValue {
            value: s("arn:aws:vpc-lattice:us-east-1:111111111111:service/svc-1"),
            sensitive: false,
        },
    );
    outputs.insert(
        "db_password".to_string(),
        OutputValue {
            value: s(SECRET),
            sensitive: true,
        },
    );
    outputs.insert(
        "endpoints".to_string(),
        OutputValue {
            value: obj(&[
                ("orders", s("orders.example.internal")),
                ("token", s(SECRET).into_sensitive()),
                ("ports", list(&[n(80.0), n(443.0)])),
            ]),
            sensitive: false,
        },
    );
    outputs
}

#[test]
fn progress_lines() {
    let a = addr("aws_vpclattice_service.orders");
    let events = vec![
        ApplyEvent::Started {
            address: a.clone(),
            action: Action::Create,
        },
        ApplyEvent::StillRunning {
            address: a.clone(),
            action: Action::Create,
            elapsed_ms: 10_400,
        },
        ApplyEvent::Completed {
            address: a.clone(),
            action: Action::Create,
            elapsed_ms: 12_000,
            id: Some("svc-0123".into()),
        },
        ApplyEvent::Started {
            address: addr("aws_vpclattice_listener.l"),
            action: Action::Update,
        },
        ApplyEvent::StillRunning {
            address: addr("aws_vpclattice_listener.l"),
            action: Action::Update,
            elapsed_ms: 65_000,
        },
        ApplyEvent::Completed {
            address: addr("aws_vpclattice_listener.l"),
            action: Action::Update,
            elapsed_ms: 1_500,
            id: Some("listener-1".into()),
        },
        ApplyEvent::Started {
            address: addr("aws_vpclattice_service.legacy"),
            action: Action::Delete,
        },
        ApplyEvent::StillRunning {
            address: addr("aws_vpclattice_service.legacy"),
            action: Action::Delete,
            elapsed_ms: 3_723_000,
        },
        ApplyEvent::Completed {
            address: addr("aws_vpclattice_service.legacy"),
            action: Action::Delete,
            elapsed_ms: 0,
            id: None,
        },
        ApplyEvent::Started {
            address: addr("data.aws_vpclattice_service.lookup"),
            action: Action::Read,
        },
        ApplyEvent::Completed {
            address: addr("data.aws_vpclattice_service.lookup"),
            action: Action::Read,
            elapsed_ms: 200,
            id: Some("svc-9".into()),
        },
        ApplyEvent::Failed {
            address: addr("aws_vpclattice_target_group.tg"),
            action: Action::Create,
            message: "ConflictException: target group name already exists".into(),
        },
        ApplyEvent::Skipped {
            address: addr("aws_vpclattice_listener.l2"),
            action: Action::Create,
            because: addr("aws_vpclattice_target_group.tg"),
        },
        ApplyEvent::Settled {
            address: addr("aws_vpclattice_service.adopted"),
            id: Some("svc-7".into()),
        },
        ApplyEvent::Recorded {
            address: addr("aws_vpclattice_service.imp"),
            note: "Import complete [id=svc-2]".into(),
        },
        ApplyEvent::Recorded {
            address: addr("aws_vpclattice_service.quiet"),
            note: String::new(),
        },
    ];
    let lines: Vec<String> = events
        .iter()
        .map(|e| render_apply_event(e, Style::PLAIN).unwrap_or_else(|| "<none>".to_string()))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn summary_complete_with_outputs() {
    let summary = ApplySummary {
        added: 2,
        changed: 1,
        destroyed: 0,
        outputs: outputs(),
        ..Default::default()
    };
    let text = render_apply_summary(&summary, false, Style::PLAIN);
    assert!(!text.contains(SECRET), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn summary_with_imports() {
    let summary = ApplySummary {
        imported: 1,
        added: 0,
        ..Default::default()
    };
    insta::assert_snapshot!(render_apply_summary(&summary, false, Style::PLAIN));
}

#[test]
fn summary_failed() {
    let summary = ApplySummary {
        added: 1,
        failed: 1,
        skipped: 2,
        errors: vec![Diagnostic::error(
            "creating target group: ConflictException: name already exists",
        )
        .with_address("aws_vpclattice_target_group.tg")
        .with_detail("AWS error code: ConflictException")],
        ..Default::default()
    };
    insta::assert_snapshot!(render_apply_summary(&summary, false, Style::PLAIN));
}

#[test]
fn summary_of_a_destroy() {
    let summary = ApplySummary {
        destroyed: 3,
        ..Default::default()
    };
    assert_eq!(
        render_apply_summary(&summary, true, Style::PLAIN),
        "Destroy complete! Resources: 3 destroyed.\n"
    );
    let failed = ApplySummary {
        destroyed: 1,
        failed: 1,
        skipped: 1,
        ..Default::default()
    };
    assert!(render_apply_summary(&failed, true, Style::PLAIN)
        .ends_with("Destroy failed! Resources: 1 destroyed, 1 failed, 1 skipped.\n"));
}

#[test]
fn summary_interrupted() {
    let summary = ApplySummary {
        added: 3,
        interrupted: true,
        not_started: 4,
        ..Default::default()
    };
    insta::assert_snapshot!(render_apply_summary(&summary, false, Style::PLAIN));
}

#[test]
fn outputs_and_values() {
    let text = render_outputs(&outputs(), Style::PLAIN);
    assert!(!text.contains(SECRET), "{text}");
    let value = render_value(&obj(&[
        ("a", list(&[obj(&[("x", n(1.5))]), list(&[])])),
        ("heredoc", s("one\ntwo\n")),
        ("unknown", Value::Unknown),
        ("null", Value::Null),
        ("with space", Value::Bool(false)),
    ]));
    insta::assert_snapshot!(format!("{text}\n---\n{value}"));
}

#[test]
fn state_show() {
    let value = obj(&[
        (
            "arn",
            s("arn:aws:vpc-lattice:us-east-1:111111111111:service/svc-1"),
        ),
        ("auth_type", s("AWS_IAM")),
        ("custom_domain_name", Value::Null),
        (
            "dns_entry",
            list(&[obj(&[
                ("domain_name", s("orders.on.aws")),
                ("hosted_zone_id", s("Z1")),
            ])]),
        ),
        ("id", s("svc-1")),
        ("policy", s(POLICY_BEFORE)),
        ("secret", s(SECRET)),
        ("security_group_ids", list(&[s("sg-1"), s("sg-2")])),
        (
            "tags",
            obj(&[("team", s("orders")), ("Cost Center", s("42"))]),
        ),
    ]);
    let text = render_state_resource(
        &addr("aws_vpclattice_service.orders"),
        "aws_vpclattice_service",
        &value,
        &[path("secret")],
    );
    assert!(!text.contains(SECRET), "{text}");
    insta::assert_snapshot!(text);
}
