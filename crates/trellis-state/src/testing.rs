//! Sample records for the tests of this crate.

use std::collections::BTreeMap;

use trellis_types::{Address, Path, Value};

use crate::model::{DeposedObject, Intent, OutputState, ResourceState, State, StateMeta};

pub(crate) fn address(text: &str) -> Address {
    Address::parse(text).unwrap()
}

pub(crate) fn sample_resource(addr: &str) -> ResourceState {
    let address = address(addr);
    let mut value = BTreeMap::new();
    value.insert(
        "arn".to_string(),
        Value::String(format!(
            "arn:aws:vpc-lattice:eu-west-1:123456789012:service/svc-{}",
            address.name
        )),
    );
    value.insert("name".to_string(), Value::String(address.name.clone()));
    value.insert(
        "auth_type".to_string(),
        Value::String("AWS_IAM".to_string()),
    );
    value.insert("port".to_string(), Value::Number(443.0));
    value.insert(
        "tags".to_string(),
        Value::Map(BTreeMap::from([
            ("team".to_string(), Value::String("payments".to_string())),
            ("env".to_string(), Value::String("prod".to_string())),
        ])),
    );
    value.insert(
        "dns_entry".to_string(),
        Value::List(vec![Value::Map(BTreeMap::from([(
            "domain_name".to_string(),
            Value::String(format!("{}.example.internal", address.name)),
        )]))]),
    );
    value.insert(
        "api_key".to_string(),
        Value::String("s3cr3t-planted-value".to_string()),
    );
    ResourceState {
        type_name: address.type_name.clone(),
        address,
        provider: "aws".to_string(),
        schema_version: 1,
        value: Value::Map(value),
        sensitive_paths: vec![Path::parse("api_key").unwrap()],
        dependencies: vec![self::address("aws_vpclattice_service_network.mesh")],
        create_before_destroy: false,
        private: Some(serde_json::json!({"client_token": "tok-1"})),
    }
}

pub(crate) fn sample_intent(addr: &str) -> Intent {
    let address = address(addr);
    Intent {
        type_name: address.type_name.clone(),
        address,
        provider: "aws.network".to_string(),
        token: "trellis-0123456789abcdef".to_string(),
        planned: Value::Map(BTreeMap::from([
            ("name".to_string(), Value::String("orders".to_string())),
            ("arn".to_string(), Value::Unknown),
        ])),
        sensitive_paths: Vec::new(),
        dependencies: Vec::new(),
        recorded_at: 1_714_564_800,
    }
}

pub(crate) fn sample_outputs() -> BTreeMap<String, OutputState> {
    BTreeMap::from([
        (
            "service_arn".to_string(),
            OutputState {
                value: Value::String("arn:aws:vpc-lattice:svc-orders".to_string()),
                sensitive: false,
            },
        ),
        (
            "token".to_string(),
            OutputState {
                value: Value::String("s3cr3t-output".to_string()),
                sensitive: true,
            },
        ),
    ])
}

pub(crate) fn sample_state() -> State {
    let resources = [
        "aws_vpclattice_service.orders",
        "aws_vpclattice_service.users",
        "aws_vpclattice_listener.l[0]",
        "aws_vpclattice_listener.l[1]",
        "module.net[\"eu\"].aws_vpclattice_service_network.mesh",
        "aws_vpclattice_target_group.tg[\"blue\"]",
    ]
    .into_iter()
    .map(sample_resource)
    .map(|r| (r.address.clone(), r))
    .collect();
    let intents = [sample_intent("aws_vpclattice_service.payments")]
        .into_iter()
        .map(|i| (i.address.clone(), i))
        .collect();
    State {
        meta: StateMeta {
            lineage: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".to_string(),
            serial: 7,
            trellis_version: "0.1.0".to_string(),
        },
        resources,
        intents,
        outputs: sample_outputs(),
        deposed: Default::default(),
    }
}

/// A deposed object of `addr` under `key` (the sample resource of that address).
pub(crate) fn sample_deposed(addr: &str, key: &str) -> DeposedObject {
    DeposedObject {
        key: key.to_string(),
        object: sample_resource(addr),
    }
}
