//! The provider through its trait, against the emulator: import by ID (the engine has no
//! import command yet), settle by token, and refresh call counts.

mod support;

use support::provider;
use trellis_emulator::{Emulator, DEFAULT_ACCOUNT};
use trellis_provider::{CreateRequest, ImportRequest, ReadItem, ReadRequest, SettleRequest};
use trellis_types::Value;

#[tokio::test(flavor = "multi_thread")]
async fn import_by_terraform_ids() {
    let emulator = Emulator::start().unwrap();
    let config = emulator
        .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
        .await
        .unwrap();
    let client = aws_sdk_vpclattice::Client::new(&config);
    use aws_sdk_vpclattice::types::{FixedResponseAction, RuleAction};
    let svc = client
        .create_service()
        .name("imported")
        .send()
        .await
        .unwrap();
    let service_id = svc.id().unwrap().to_string();
    let listener = client
        .create_listener()
        .service_identifier(&service_id)
        .name("http")
        .protocol("HTTP".into())
        .port(80)
        .default_action(RuleAction::FixedResponse(
            FixedResponseAction::builder()
                .status_code(404)
                .build()
                .unwrap(),
        ))
        .tags("team", "a")
        .send()
        .await
        .unwrap();
    let p = provider(&emulator).await;
    let imported = p
        .import(ImportRequest {
            type_name: "aws_vpclattice_service".into(),
            id: service_id.clone(),
        })
        .await
        .unwrap()
        .expect("service found");
    assert_eq!(
        imported.get("name").and_then(Value::as_str),
        Some("imported")
    );
    let imported = p
        .import(ImportRequest {
            type_name: "aws_vpclattice_listener".into(),
            id: format!("{service_id}/{}", listener.id().unwrap()),
        })
        .await
        .unwrap()
        .expect("listener found");
    assert_eq!(imported.get("port").and_then(Value::as_number), Some(80.0));
    assert_eq!(
        imported
            .get("tags")
            .and_then(|t| t.get("team"))
            .and_then(Value::as_str),
        Some("a")
    );
    let bad = p
        .import(ImportRequest {
            type_name: "aws_vpclattice_listener".into(),
            id: "nonsense".into(),
        })
        .await;
    assert!(bad.is_err());
    let missing = p
        .import(ImportRequest {
            type_name: "aws_vpclattice_service".into(),
            id: "svc-0123456789abcdef0".into(),
        })
        .await
        .unwrap();
    assert!(missing.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn settle_adopts_by_token_and_refresh_batches_targets() {
    let emulator = Emulator::start().unwrap();
    let vpc = emulator
        .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
        .unwrap();
    let p = provider(&emulator).await;
    let planned = Value::object([("name", Value::string("settled"))]);
    let token = "trellis-0123456789abcdef0123456789abcdef".to_string();
    assert!(p
        .settle(SettleRequest {
            type_name: "aws_vpclattice_service".into(),
            token: token.clone(),
            planned: planned.clone(),
        })
        .await
        .unwrap()
        .is_none());
    let created = p
        .create(CreateRequest {
            type_name: "aws_vpclattice_service".into(),
            planned: planned.clone(),
            token: token.clone(),
        })
        .await
        .unwrap()
        .state;
    let settled = p
        .settle(SettleRequest {
            type_name: "aws_vpclattice_service".into(),
            token: token.clone(),
            planned,
        })
        .await
        .unwrap()
        .expect("adopted");
    assert_eq!(settled.get("id"), created.get("id"));

    // Three targets of one group refresh with one ListTargets call.
    let tg = p
        .create(CreateRequest {
            type_name: "aws_vpclattice_target_group".into(),
            planned: Value::object([
                ("name", Value::string("web-targets")),
                ("type", Value::string("IP")),
                (
                    "config",
                    Value::object([
                        ("port", Value::Number(80.0)),
                        ("protocol", Value::string("HTTP")),
                        ("vpc_identifier", Value::string(&vpc)),
                    ]),
                ),
            ]),
            token: "trellis-tg".into(),
        })
        .await
        .unwrap()
        .state;
    let mut items = Vec::new();
    for ip in ["10.0.0.1", "10.0.0.2", "10.0.0.3"] {
        let state = p
            .create(CreateRequest {
                type_name: "aws_vpclattice_target_group_attachment".into(),
                planned: Value::object([
                    ("target_group_identifier", tg.get("id").cloned().unwrap()),
                    (
                        "target",
                        Value::object([("id", Value::string(ip)), ("port", Value::Number(80.0))]),
                    ),
                ]),
                token: String::new(),
            })
            .await
            .unwrap()
            .state;
        items.push(ReadItem {
            type_name: "aws_vpclattice_target_group_attachment".into(),
            prior: state,
            private: None,
        });
    }
    emulator.reset_calls().unwrap();
    let read = p
        .read(ReadRequest {
            items: items.clone(),
            full: false,
        })
        .await
        .unwrap();
    for (item, current) in items.iter().zip(&read.items) {
        assert_eq!(current.as_ref().map(|c| &c.value), Some(&item.prior));
    }
    assert_eq!(
        emulator.call_count("vpc-lattice", "ListTargets").unwrap(),
        1
    );
}
