//! Snapshots of the human plan view (plain style).

mod support;

use support::*;
use trellis_plan::{Action, Reason};
use trellis_types::{Address, Value};
use trellis_views::{render_plan, Style};

#[test]
fn full_plan_renders_every_kind_of_change() {
    let plan = full_plan();
    let text = render_plan(&plan, Style::PLAIN);
    assert!(
        !text.contains(SECRET) && !text.contains(OLD_SECRET),
        "secret leaked:\n{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn colour_only_adds_escapes() {
    let plan = full_plan();
    let colored = render_plan(&plan, Style::COLOR);
    assert!(colored.contains("\x1b[32m+\x1b[0m"));
    assert!(colored.contains("\x1b[33m~\x1b[0m"));
    assert!(colored.contains("\x1b[31m-\x1b[0m"));
    assert!(!colored.contains(SECRET));
    let stripped = strip_ansi(&colored);
    assert_eq!(stripped, render_plan(&plan, Style::PLAIN));
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn no_changes() {
    let plan = plan(vec![change(
        "aws_vpclattice_service.orders",
        Action::NoOp,
        Some(obj(&[("id", s("svc-1"))])),
        Some(obj(&[("id", s("svc-1"))])),
    )]);
    insta::assert_snapshot!(render_plan(&plan, Style::PLAIN));
}

#[test]
fn only_outputs_change() {
    let mut plan = plan(vec![]);
    plan.outputs = vec![output("greeting", Action::Create, None, Some(s("hello")))];
    insta::assert_snapshot!(render_plan(&plan, Style::PLAIN));
}

#[test]
fn create_with_nested_blocks_lists_and_heredoc() {
    let after = obj(&[
        ("id", Value::Unknown),
        ("name", s("rule-a")),
        ("priority", n(10.0)),
        ("enabled", Value::Bool(true)),
        ("empty_map", obj(&[])),
        ("empty_list", list(&[])),
        ("notes", s("first line\nsecond line")),
        ("policy", s(POLICY_AFTER)),
        (
            "match",
            list(&[obj(&[(
                "http_match",
                list(&[obj(&[
                    ("method", s("GET")),
                    (
                        "header_matches",
                        list(&[
                            obj(&[
                                ("name", s("x-env")),
                                ("match", obj(&[("exact", s("prod"))])),
                            ]),
                            obj(&[
                                ("name", s("x-team")),
                                ("match", obj(&[("prefix", s("ord"))])),
                            ]),
                        ]),
                    ),
                ])]),
            )])]),
        ),
        ("ids", list(&[s("a"), Value::Unknown, s("c")])),
    ]);
    let plan = plan(vec![change(
        "aws_vpclattice_listener_rule.a",
        Action::Create,
        None,
        Some(after),
    )]);
    insta::assert_snapshot!(render_plan(&plan, Style::PLAIN));
}

#[test]
fn create_with_sensitive_attribute_and_unknown_sensitive() {
    let mut c = change(
        "trellis_test_thing.s",
        Action::Create,
        None,
        Some(obj(&[
            ("name", s("x")),
            ("password", s(SECRET)),
            ("token", Value::Unknown),
            ("nested", obj(&[("inner", s(SECRET)), ("plain", s("ok"))])),
            ("secret_list", list(&[s(SECRET), s("visible")])),
        ])),
    );
    c.after_sensitive = vec![
        path("password"),
        path("token"),
        path("nested.inner"),
        path("secret_list[0]"),
    ];
    let plan = plan(vec![c]);
    let text = render_plan(&plan, Style::PLAIN);
    assert!(!text.contains(SECRET), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn sensitive_marks_inside_values_are_redacted_too() {
    // Values should carry no marks, but a mark that slips through must still not leak.
    let c = change(
        "trellis_test_thing.s",
        Action::Update,
        Some(obj(&[
            ("id", s("x")),
            ("password", s(OLD_SECRET).into_sensitive()),
        ])),
        Some(obj(&[
            ("id", s("x")),
            ("password", s(SECRET).into_sensitive()),
        ])),
    );
    let text = render_plan(&plan(vec![c]), Style::PLAIN);
    assert!(
        !text.contains(SECRET) && !text.contains(OLD_SECRET),
        "{text}"
    );
    assert!(text.contains("password = (sensitive value)"), "{text}");
}

#[test]
fn moved_and_updated_and_imported_and_updated_and_adopted() {
    let mut moved = change(
        "aws_vpclattice_service.new",
        Action::Update,
        Some(obj(&[
            ("id", s("svc-1")),
            ("name", s("a")),
            ("auth_type", s("NONE")),
        ])),
        Some(obj(&[
            ("id", s("svc-1")),
            ("name", s("a")),
            ("auth_type", s("AWS_IAM")),
        ])),
    );
    moved.moved_from = Some(Address::parse("aws_vpclattice_service.old").unwrap());
    let mut imported = change(
        "aws_vpclattice_service.imp",
        Action::Update,
        Some(obj(&[("id", s("svc-2")), ("tags", obj(&[]))])),
        Some(obj(&[
            ("id", s("svc-2")),
            ("tags", obj(&[("team", s("x"))])),
        ])),
    );
    imported.importing = Some("svc-2".to_string());
    let mut adopted = change(
        "aws_vpclattice_service.adopted",
        Action::NoOp,
        Some(obj(&[("id", s("svc-3")), ("name", s("adopted"))])),
        Some(obj(&[("id", s("svc-3")), ("name", s("adopted"))])),
    );
    adopted.adopted = true;
    let plan = plan(vec![moved, imported, adopted]);
    insta::assert_snapshot!(render_plan(&plan, Style::PLAIN));
}

#[test]
fn replace_triggered_by_and_destroy_mode() {
    let mut replaced = change(
        "aws_vpclattice_service.orders",
        Action::DeleteThenCreate,
        Some(obj(&[("id", s("svc-1")), ("name", s("orders"))])),
        Some(obj(&[("id", Value::Unknown), ("name", s("orders"))])),
    );
    replaced.reason = Some(Reason::ReplaceByTriggers {
        triggers: vec!["aws_vpclattice_target_group.a.id".to_string()],
    });
    let mut destroyed = change(
        "module.net.aws_vpclattice_service_network.mesh",
        Action::Delete,
        Some(obj(&[
            ("id", s("sn-1")),
            ("policy", s(POLICY_BEFORE)),
            ("notes", s("a\nb")),
            ("tags", obj(&[("team", s("x"))])),
            ("ids", list(&[s("a")])),
            ("block", list(&[obj(&[("k", s("v"))])])),
        ])),
        None,
    );
    destroyed.reason = Some(Reason::DeleteBecauseDestroy);
    let plan = plan(vec![replaced, destroyed]);
    insta::assert_snapshot!(render_plan(&plan, Style::PLAIN));
}

#[test]
fn long_policy_diff_hides_unchanged_lines() {
    let statements = |extra: &str| {
        let mut items: Vec<String> = (0..8)
            .map(|i| format!(r#"{{"Sid":"S{i}","Effect":"Allow","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}}"#))
            .collect();
        items[4] = format!(r#"{{"Sid":"S4","Effect":"Allow","Action":"{extra}","Resource":"*"}}"#);
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            items.join(",")
        )
    };
    let c = change(
        "aws_vpclattice_auth_policy.p",
        Action::Update,
        Some(obj(&[
            ("id", s("p")),
            ("policy", s(&statements("vpc-lattice-svcs:Invoke"))),
        ])),
        Some(obj(&[
            ("id", s("p")),
            ("policy", s(&statements("vpc-lattice-svcs:*"))),
        ])),
    );
    insta::assert_snapshot!(render_plan(&plan(vec![c]), Style::PLAIN));
}

#[test]
fn unknown_after_complex_before_and_type_change() {
    let c = change(
        "trellis_test_thing.t",
        Action::Update,
        Some(obj(&[
            ("id", s("t")),
            ("tags", obj(&[("a", s("1"))])),
            ("value", s("text")),
            ("list", list(&[s("x")])),
        ])),
        Some(obj(&[
            ("id", s("t")),
            ("tags", Value::Unknown),
            ("value", list(&[s("text")])),
            ("list", list(&[])),
        ])),
    );
    insta::assert_snapshot!(render_plan(&plan(vec![c]), Style::PLAIN));
}
