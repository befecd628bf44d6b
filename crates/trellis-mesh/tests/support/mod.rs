//! A multi-account mesh as a plan, built by hand (the in-memory provider has no Lattice
//! types). Shared with the view tests of `trellis-views` through `#[path]`.
//!
//! The layout is the article's: a network account owns the service network; service A's
//! account only calls (a VPC association), service B's account is only called (a service),
//! service C's account does both. The plan:
//!
//! - keeps A's VPC association (account 222222222222) and B's `orders` service
//!   (333333333333), but switches `orders` from AWS_IAM to NONE while its auth policy stays;
//! - creates C's `billing` service with three listeners and an auth policy that lets any
//!   principal in, its service association, and C's VPC association (444444444444) with a
//!   security group open to 0.0.0.0/0 through a separate ingress rule;
//! - deletes a legacy VPC association in A's account.
#![allow(dead_code)]

use std::collections::BTreeMap;

use trellis_plan::{Action, Change, Plan, PlanOptions, Reason, PLAN_FORMAT_VERSION};
use trellis_types::{Address, Value};

pub const NETWORK_ACCOUNT: &str = "111111111111";
pub const A_ACCOUNT: &str = "222222222222";
pub const B_ACCOUNT: &str = "333333333333";
pub const C_ACCOUNT: &str = "444444444444";

pub fn s(text: &str) -> Value {
    Value::string(text)
}

pub fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (*k, v.clone())))
}

pub fn list(items: &[Value]) -> Value {
    Value::List(items.to_vec())
}

pub fn addr(text: &str) -> Address {
    Address::parse(text).expect("valid address")
}

/// A change in `account` (its provider location), with dependencies.
pub fn mesh_change(
    address: &str,
    account: &str,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
    dependencies: &[&str],
) -> Change {
    let address = addr(address);
    Change {
        type_name: address.type_name.clone(),
        address,
        provider: "aws".to_string(),
        location: Some(trellis_types::Location::new(account, "us-east-1")),
        action,
        before,
        after,
        before_sensitive: Vec::new(),
        after_sensitive: Vec::new(),
        replace_paths: Vec::new(),
        reason: None,
        dependencies: dependencies.iter().map(|d| addr(d)).collect(),
        moved_from: None,
        importing: None,
        adopted: false,
        create_before_destroy: false,
        schema_version: 0,
    }
}

pub fn plan_of(changes: Vec<Change>) -> Plan {
    Plan {
        format_version: PLAN_FORMAT_VERSION,
        trellis_version: "0.1.0".to_string(),
        lineage: "mesh-lineage".to_string(),
        serial: 3,
        config_hash: "cfg".to_string(),
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

pub fn arn(account: &str, kind: &str, id: &str) -> String {
    format!("arn:aws:vpc-lattice:us-east-1:{account}:{kind}/{id}")
}

pub const NETWORK_ID: &str = "sn-0123456789abcdef0";
pub const ORDERS_ID: &str = "svc-0aaaaaaaaaaaaaaaa";

pub const CONDITIONAL_POLICY: &str = r#"{"Statement":[{"Action":"vpc-lattice-svcs:Invoke","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}},"Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2012-10-17"}"#;
pub const OPEN_POLICY: &str = r#"{"Statement":[{"Action":"vpc-lattice-svcs:Invoke","Effect":"Allow","Principal":"*","Resource":"*"}],"Version":"2012-10-17"}"#;

fn network() -> Value {
    obj(&[
        (
            "arn",
            s(&arn(NETWORK_ACCOUNT, "servicenetwork", NETWORK_ID)),
        ),
        ("auth_type", s("AWS_IAM")),
        ("id", s(NETWORK_ID)),
        ("name", s("mesh")),
    ])
}

fn orders(auth: &str) -> Value {
    obj(&[
        ("arn", s(&arn(B_ACCOUNT, "service", ORDERS_ID))),
        ("auth_type", s(auth)),
        ("custom_domain_name", s("orders.example.internal")),
        (
            "dns_entry",
            list(&[obj(&[
                (
                    "domain_name",
                    s("orders-0aaaaaaaaaaaaaaaa.7d67968.vpc-lattice-svcs.us-east-1.on.aws"),
                ),
                ("hosted_zone_id", s("Z0123456789")),
            ])]),
        ),
        ("id", s(ORDERS_ID)),
        ("name", s("orders")),
    ])
}

fn vpc_association(id: &str, vpc: &str, account: &str, sgs: Value) -> Value {
    obj(&[
        ("arn", s(&arn(account, "servicenetworkvpcassociation", id))),
        ("id", s(id)),
        ("security_group_ids", sgs),
        (
            "service_network_identifier",
            s(&arn(NETWORK_ACCOUNT, "servicenetwork", NETWORK_ID)),
        ),
        ("vpc_identifier", s(vpc)),
    ])
}

/// The multi-account mesh plan described in the module documentation.
pub fn mesh_plan() -> Plan {
    let mut changes = Vec::new();
    changes.push(mesh_change(
        "aws_vpclattice_service_network.mesh",
        NETWORK_ACCOUNT,
        Action::NoOp,
        Some(network()),
        Some(network()),
        &[],
    ));
    let net_policy = obj(&[
        ("id", s(NETWORK_ID)),
        ("policy", s(CONDITIONAL_POLICY)),
        ("resource_identifier", s(NETWORK_ID)),
    ]);
    changes.push(mesh_change(
        "aws_vpclattice_auth_policy.mesh",
        NETWORK_ACCOUNT,
        Action::NoOp,
        Some(net_policy.clone()),
        Some(net_policy),
        &["aws_vpclattice_service_network.mesh"],
    ));

    // Service A: a client only.
    let a = vpc_association(
        "snva-0aaaaaaaaaaaaaaaa",
        "vpc-0a0a0a0a",
        A_ACCOUNT,
        list(&[]),
    );
    changes.push(mesh_change(
        "aws_vpclattice_service_network_vpc_association.a",
        A_ACCOUNT,
        Action::NoOp,
        Some(a.clone()),
        Some(a),
        &[],
    ));
    let mut legacy = mesh_change(
        "aws_vpclattice_service_network_vpc_association.legacy",
        A_ACCOUNT,
        Action::Delete,
        Some(vpc_association(
            "snva-0dddddddddddddddd",
            "vpc-0d0d0d0d",
            A_ACCOUNT,
            list(&[]),
        )),
        None,
        &[],
    );
    legacy.reason = Some(Reason::DeleteBecauseNoResourceConfig);
    changes.push(legacy);

    // Service B: a server only; its auth type goes from AWS_IAM to NONE.
    let mut orders_change = mesh_change(
        "aws_vpclattice_service.orders",
        B_ACCOUNT,
        Action::Update,
        Some(orders("AWS_IAM")),
        Some(orders("NONE")),
        &[],
    );
    orders_change.reason = None;
    changes.push(orders_change);
    let orders_policy = obj(&[
        ("id", s(ORDERS_ID)),
        ("policy", s(CONDITIONAL_POLICY)),
        (
            "resource_identifier",
            s(&arn(B_ACCOUNT, "service", ORDERS_ID)),
        ),
    ]);
    changes.push(mesh_change(
        "aws_vpclattice_auth_policy.orders",
        B_ACCOUNT,
        Action::NoOp,
        Some(orders_policy.clone()),
        Some(orders_policy),
        &["aws_vpclattice_service.orders"],
    ));
    let orders_assoc = obj(&[
        ("id", s("snsa-0bbbbbbbbbbbbbbbb")),
        ("service_identifier", s(ORDERS_ID)),
        (
            "service_network_identifier",
            s(&arn(NETWORK_ACCOUNT, "servicenetwork", NETWORK_ID)),
        ),
    ]);
    changes.push(mesh_change(
        "aws_vpclattice_service_network_service_association.orders",
        B_ACCOUNT,
        Action::NoOp,
        Some(orders_assoc.clone()),
        Some(orders_assoc),
        &["aws_vpclattice_service.orders"],
    ));

    // Service C: both; everything new, so IDs are unknown and dependencies name them.
    changes.push(mesh_change(
        "aws_vpclattice_service.billing",
        C_ACCOUNT,
        Action::Create,
        None,
        Some(obj(&[
            ("arn", Value::Unknown),
            ("auth_type", s("AWS_IAM")),
            ("dns_entry", Value::Unknown),
            ("id", Value::Unknown),
            ("name", s("billing")),
        ])),
        &[],
    ));
    changes.push(mesh_change(
        "aws_vpclattice_auth_policy.billing",
        C_ACCOUNT,
        Action::Create,
        None,
        Some(obj(&[
            ("id", Value::Unknown),
            ("policy", s(OPEN_POLICY)),
            ("resource_identifier", Value::Unknown),
        ])),
        &["aws_vpclattice_service.billing"],
    ));
    for (i, port) in ["http", "https", "grpc"].iter().zip([80.0, 443.0, 50051.0]) {
        changes.push(mesh_change(
            &format!("aws_vpclattice_listener.billing[\"{}\"]", i),
            C_ACCOUNT,
            Action::Create,
            None,
            Some(obj(&[
                ("id", Value::Unknown),
                ("name", s(i)),
                ("port", Value::Number(port)),
                ("protocol", s("HTTPS")),
                ("service_identifier", Value::Unknown),
            ])),
            &["aws_vpclattice_service.billing"],
        ));
    }
    changes.push(mesh_change(
        "aws_vpclattice_service_network_service_association.billing",
        C_ACCOUNT,
        Action::Create,
        None,
        Some(obj(&[
            ("id", Value::Unknown),
            ("service_identifier", Value::Unknown),
            (
                "service_network_identifier",
                s(&arn(NETWORK_ACCOUNT, "servicenetwork", NETWORK_ID)),
            ),
        ])),
        &["aws_vpclattice_service.billing"],
    ));
    changes.push(mesh_change(
        "aws_security_group.c_clients",
        C_ACCOUNT,
        Action::Create,
        None,
        Some(obj(&[
            ("id", Value::Unknown),
            ("ingress", Value::Unknown),
            ("name", s("c-clients")),
            ("vpc_id", s("vpc-0c0c0c0c")),
        ])),
        &[],
    ));
    changes.push(mesh_change(
        "aws_vpc_security_group_ingress_rule.c_https",
        C_ACCOUNT,
        Action::Create,
        None,
        Some(obj(&[
            ("cidr_ipv4", s("0.0.0.0/0")),
            ("from_port", Value::Number(443.0)),
            ("id", Value::Unknown),
            ("ip_protocol", s("tcp")),
            ("security_group_id", Value::Unknown),
            ("to_port", Value::Number(443.0)),
        ])),
        &["aws_security_group.c_clients"],
    ));
    let mut c_assoc = vpc_association("unused", "vpc-0c0c0c0c", C_ACCOUNT, list(&[Value::Unknown]));
    c_assoc.set_path(&trellis_types::Path::parse("id").unwrap(), Value::Unknown);
    c_assoc.set_path(&trellis_types::Path::parse("arn").unwrap(), Value::Unknown);
    changes.push(mesh_change(
        "aws_vpclattice_service_network_vpc_association.c",
        C_ACCOUNT,
        Action::Create,
        None,
        Some(c_assoc),
        &["aws_security_group.c_clients"],
    ));
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    plan_of(changes)
}
