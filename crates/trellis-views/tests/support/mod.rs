//! Hand-built plans and values for the view tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use trellis_plan::{Action, Change, OutputChange, Plan, PlanOptions, Reason, PLAN_FORMAT_VERSION};
use trellis_types::{Address, Diagnostic, Path, Value};

/// A secret that must never appear in any rendering.
pub const SECRET: &str = "hunter2-SECRET-do-not-show";
pub const OLD_SECRET: &str = "old-SECRET-also-hidden";

pub fn s(text: &str) -> Value {
    Value::string(text)
}

pub fn n(x: f64) -> Value {
    Value::Number(x)
}

pub fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
}

pub fn list(items: &[Value]) -> Value {
    Value::List(items.to_vec())
}

pub fn path(text: &str) -> Path {
    Path::parse(text).expect("valid path")
}

pub fn change(addr: &str, action: Action, before: Option<Value>, after: Option<Value>) -> Change {
    let address = Address::parse(addr).expect("valid address");
    Change {
        type_name: address.type_name.clone(),
        address,
        provider: "aws".to_string(),
        location: None,
        action,
        before,
        after,
        before_sensitive: Vec::new(),
        after_sensitive: Vec::new(),
        replace_paths: Vec::new(),
        reason: None,
        dependencies: Vec::new(),
        moved_from: None,
        importing: None,
        adopted: false,
        create_before_destroy: false,
        schema_version: 0,
    }
}

pub fn plan(changes: Vec<Change>) -> Plan {
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        trellis_version: "0.1.0".to_string(),
        lineage: "5f0c1c9e-lineage".to_string(),
        serial: 7,
        config_hash: "cfg-hash".to_string(),
        options: PlanOptions::default(),
        variables: BTreeMap::new(),
        changes,
        drift: Vec::new(),
        refreshed_private: Default::default(),
        planned_private: Default::default(),
        outputs: Vec::new(),
        warnings: Vec::new(),
    }
}

pub fn output(
    name: &str,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
) -> OutputChange {
    OutputChange {
        name: name.to_string(),
        action,
        before,
        after,
        sensitive: false,
    }
}

pub const POLICY_BEFORE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}"#;
pub const POLICY_AFTER: &str = r#"{"Statement":[{"Action":"vpc-lattice-svcs:Invoke","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}},"Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2012-10-17"}"#;

fn service(name: &str, auth: &str, tags: Value) -> Value {
    obj(&[
        (
            "arn",
            s(&format!(
                "arn:aws:vpc-lattice:us-east-1:111111111111:service/svc-{name}"
            )),
        ),
        ("auth_type", s(auth)),
        ("custom_domain_name", Value::Null),
        (
            "dns_entry",
            list(&[obj(&[
                (
                    "domain_name",
                    s(&format!(
                        "{name}-0123.7d67968.vpc-lattice-svcs.us-east-1.on.aws"
                    )),
                ),
                ("hosted_zone_id", s("Z0123456789")),
            ])]),
        ),
        ("id", s(&format!("svc-{name}"))),
        ("name", s(name)),
        ("tags", tags),
    ])
}

/// A plan with every action kind, reasons, moves, imports, drift, outputs, sensitive values,
/// unknowns, nested blocks, lists of blocks, maps, multi-line strings and a policy diff.
pub fn full_plan() -> Plan {
    let mut changes = Vec::new();

    // Create, with unknowns, a map and a location.
    let mut c = change(
        "aws_vpclattice_service_network.mesh",
        Action::Create,
        None,
        Some(obj(&[
            ("arn", Value::Unknown),
            ("auth_type", s("AWS_IAM")),
            ("id", Value::Unknown),
            ("name", s("mesh")),
            (
                "tags",
                obj(&[("team", s("platform")), ("cost-center", s("1234"))]),
            ),
            ("tags_all", Value::Unknown),
        ])),
    );
    c.location = Some(trellis_types::Location::new("111111111111", "us-east-1"));
    changes.push(c);

    // Update in place: a changed attribute, a changed map, a hidden list of blocks.
    changes.push(change(
        "aws_vpclattice_service.orders",
        Action::Update,
        Some(service(
            "orders",
            "NONE",
            obj(&[("team", s("orders")), ("env", s("dev")), ("owner", s("a"))]),
        )),
        Some(service(
            "orders",
            "AWS_IAM",
            obj(&[("team", s("orders")), ("env", s("prod")), ("tier", s("1"))]),
        )),
    ));

    // Replace (delete then create): nested object, forces replacement, id unknown.
    let tg_before = obj(&[
        (
            "arn",
            s("arn:aws:vpc-lattice:us-east-1:111111111111:targetgroup/tg-0a"),
        ),
        (
            "config",
            obj(&[
                ("port", n(80.0)),
                ("protocol", s("HTTP")),
                ("vpc_identifier", s("vpc-0123")),
                (
                    "health_check",
                    obj(&[("enabled", Value::Bool(true)), ("path", s("/health"))]),
                ),
            ]),
        ),
        ("id", s("tg-0a")),
        ("name", s("orders")),
        ("type", s("IP")),
    ]);
    let mut tg_after = tg_before.clone();
    tg_after.set_path(&path("config.port"), n(8080.0));
    tg_after.set_path(&path("config.health_check.path"), s("/healthz"));
    tg_after.set_path(&path("arn"), Value::Unknown);
    tg_after.set_path(&path("id"), Value::Unknown);
    let mut c = change(
        "aws_vpclattice_target_group.orders",
        Action::DeleteThenCreate,
        Some(tg_before),
        Some(tg_after),
    );
    c.replace_paths = vec![path("config.port")];
    c.reason = Some(Reason::ReplaceBecauseCannotUpdate);
    changes.push(c);

    // Replace (create then delete) by request, with a list of blocks that changes.
    let listener = |port: f64, weight: f64| {
        obj(&[
            (
                "default_action",
                list(&[obj(&[(
                    "forward",
                    list(&[obj(&[(
                        "target_groups",
                        list(&[
                            obj(&[
                                ("target_group_identifier", s("tg-0a")),
                                ("weight", n(weight)),
                            ]),
                            obj(&[
                                ("target_group_identifier", s("tg-0b")),
                                ("weight", n(100.0 - weight)),
                            ]),
                        ]),
                    )])]),
                )])]),
            ),
            ("id", s("listener-1")),
            ("name", s("https")),
            ("port", n(port)),
            ("protocol", s("HTTPS")),
        ])
    };
    let mut c = change(
        "aws_vpclattice_listener.https",
        Action::CreateThenDelete,
        Some(listener(443.0, 100.0)),
        Some(listener(443.0, 80.0)),
    );
    c.reason = Some(Reason::ReplaceByRequest);
    c.create_before_destroy = true;
    changes.push(c);

    // Delete: not in configuration.
    let mut c = change(
        "aws_vpclattice_service.legacy",
        Action::Delete,
        Some(service("legacy", "NONE", obj(&[("team", s("old"))]))),
        None,
    );
    c.reason = Some(Reason::DeleteBecauseNoResourceConfig);
    changes.push(c);

    // Delete: count shrank.
    let mut c = change(
        "aws_vpclattice_target_group.pool[2]",
        Action::Delete,
        Some(obj(&[
            ("id", s("tg-pool-2")),
            ("name", s("pool-2")),
            ("type", s("LAMBDA")),
        ])),
        None,
    );
    c.reason = Some(Reason::DeleteBecauseCountIndex);
    changes.push(c);

    // Delete: for_each key gone.
    let mut c = change(
        "aws_vpclattice_service_network_vpc_association.vpc[\"b\"]",
        Action::Delete,
        Some(obj(&[
            ("id", s("snva-0b")),
            ("security_group_ids", list(&[s("sg-1"), s("sg-2")])),
            ("vpc_identifier", s("vpc-0b")),
        ])),
        None,
    );
    c.reason = Some(Reason::DeleteBecauseEachKey);
    changes.push(c);

    // Moved without other changes.
    let moved = service("payments", "AWS_IAM", obj(&[]));
    let mut c = change(
        "aws_vpclattice_service.payments",
        Action::NoOp,
        Some(moved.clone()),
        Some(moved),
    );
    c.moved_from = Some(Address::parse("aws_vpclattice_service.pay").unwrap());
    changes.push(c);

    // Imported without other changes.
    let shared = obj(&[
        ("auth_type", s("NONE")),
        ("id", s("sn-0abc")),
        ("name", s("shared")),
    ]);
    let mut c = change(
        "aws_vpclattice_service_network.shared",
        Action::NoOp,
        Some(shared.clone()),
        Some(shared),
    );
    c.importing = Some("sn-0abc".to_string());
    changes.push(c);

    // Data source read during apply.
    let mut c = change(
        "data.aws_vpclattice_service.lookup",
        Action::Read,
        None,
        Some(obj(&[
            ("arn", Value::Unknown),
            ("name", s("orders")),
            ("status", Value::Unknown),
        ])),
    );
    c.reason = Some(Reason::ReadBecauseDependencyPending);
    changes.push(c);

    // A policy diff.
    changes.push(change(
        "aws_vpclattice_auth_policy.orders",
        Action::Update,
        Some(obj(&[
            ("id", s("svc-orders")),
            ("policy", s(POLICY_BEFORE)),
            ("resource_identifier", s("svc-orders")),
        ])),
        Some(obj(&[
            ("id", s("svc-orders")),
            ("policy", s(POLICY_AFTER)),
            ("resource_identifier", s("svc-orders")),
        ])),
    ));

    // Sensitive values, a primitive list diff and a heredoc.
    let mut c = change(
        "trellis_test_thing.secretive",
        Action::Update,
        Some(obj(&[
            ("description", s("line one\nline two\nline three\n")),
            ("id", s("thing-1")),
            ("password", s(OLD_SECRET)),
            (
                "security_group_ids",
                list(&[s("sg-1"), s("sg-2"), s("sg-3")]),
            ),
            ("tags", obj(&[("token", s(OLD_SECRET)), ("team", s("a"))])),
        ])),
        Some(obj(&[
            (
                "description",
                s("line one\nline 2\nline three\nline four\n"),
            ),
            ("id", s("thing-1")),
            ("password", s(SECRET)),
            (
                "security_group_ids",
                list(&[s("sg-1"), s("sg-3"), s("sg-4")]),
            ),
            ("tags", obj(&[("token", s(SECRET)), ("team", s("b"))])),
        ])),
    );
    c.provider = "trellis_test".to_string();
    c.before_sensitive = vec![path("password"), path("tags.token")];
    c.after_sensitive = vec![path("password"), path("tags.token")];
    changes.push(c);

    let mut p = plan(changes);

    // Drift.
    let mut drifted = change(
        "aws_vpclattice_service.orders",
        Action::Update,
        Some(service(
            "orders",
            "NONE",
            obj(&[("team", s("orders")), ("env", s("dev"))]),
        )),
        Some(service(
            "orders",
            "NONE",
            obj(&[("team", s("orders")), ("env", s("dev")), ("owner", s("a"))]),
        )),
    );
    drifted.reason = None;
    p.drift.push(drifted);
    p.drift.push(change(
        "aws_vpclattice_service.gone",
        Action::Delete,
        Some(service("gone", "NONE", obj(&[]))),
        None,
    ));

    // Outputs.
    p.outputs = vec![
        output("mesh_arn", Action::Create, None, Some(Value::Unknown)),
        output(
            "orders_auth",
            Action::Update,
            Some(s("NONE")),
            Some(s("AWS_IAM")),
        ),
        output(
            "legacy_url",
            Action::Delete,
            Some(s("https://legacy.example.internal")),
            None,
        ),
        output("unchanged", Action::NoOp, Some(s("same")), Some(s("same"))),
        OutputChange {
            sensitive: true,
            ..output(
                "db_password",
                Action::Update,
                Some(s(OLD_SECRET)),
                Some(s(SECRET)),
            )
        },
    ];

    p.warnings.push(
        Diagnostic::warning("deprecated attribute")
            .with_detail("The attribute \"type\" is deprecated; use \"target_type\" instead.")
            .with_address("aws_vpclattice_target_group.pool"),
    );
    p
}
