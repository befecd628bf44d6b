//! The default methods a native provider gets for the plugin-shaped calls: they fall back to
//! the original operations, so a caller may use either.

use trellis_provider::memory::MemoryFactory;
use trellis_provider::{
    ApplyChangeRequest, ConfigureRequest, ImportRequest, PlanResourceRequest, Provider,
    ProviderFactory, ReadItem, ReadRequest, UpgradeStateRequest,
};
use trellis_types::Value;

async fn provider() -> std::sync::Arc<dyn Provider> {
    MemoryFactory::new()
        .configure(ConfigureRequest {
            key: "trellis".into(),
            config: Value::object::<&str>([]),
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn plan_resource_falls_back_to_plan_change_and_leaves_replacement_to_the_engine() {
    let p = provider().await;
    let config = Value::object([("name", Value::string("n"))]);
    let response = p
        .plan_resource(PlanResourceRequest {
            type_name: "trellis_test_network".into(),
            prior: None,
            proposed: config.clone(),
            config,
            prior_private: Some(serde_json::json!("kept")),
        })
        .await
        .unwrap();
    assert_eq!(response.requires_replace, None);
    assert_eq!(response.planned_private, Some(serde_json::json!("kept")));
    assert_eq!(response.planned.get("name"), Some(&Value::string("n")));
}

#[tokio::test(flavor = "current_thread")]
async fn apply_change_dispatches_to_create_update_and_delete() {
    let p = provider().await;
    let planned = Value::object([("name", Value::string("a"))]);
    let created = p
        .apply_change(ApplyChangeRequest {
            type_name: "trellis_test_network".into(),
            prior: None,
            planned: Some(planned.clone()),
            config: planned,
            planned_private: None,
            token: Some("tok".into()),
        })
        .await
        .unwrap();
    let state = created.state.unwrap();
    assert!(state.get("id").is_some());

    let mut changed = state.clone();
    if let Value::Map(m) = &mut changed {
        m.insert("auth_type".into(), Value::string("AWS_IAM"));
    }
    let updated = p
        .apply_change(ApplyChangeRequest {
            type_name: "trellis_test_network".into(),
            prior: Some(state.clone()),
            planned: Some(changed.clone()),
            config: changed,
            planned_private: None,
            token: None,
        })
        .await
        .unwrap();
    let state = updated.state.unwrap();
    assert_eq!(state.get("auth_type"), Some(&Value::string("AWS_IAM")));

    let deleted = p
        .apply_change(ApplyChangeRequest {
            type_name: "trellis_test_network".into(),
            prior: Some(state.clone()),
            planned: None,
            config: Value::Null,
            planned_private: None,
            token: None,
        })
        .await
        .unwrap();
    assert_eq!(deleted.state, None);
    let read = p
        .read(ReadRequest {
            items: vec![ReadItem {
                type_name: "trellis_test_network".into(),
                prior: state,
                private: None,
            }],
            full: false,
        })
        .await
        .unwrap();
    assert_eq!(read.items, vec![None]);

    let neither = p
        .apply_change(ApplyChangeRequest {
            type_name: "trellis_test_network".into(),
            prior: None,
            planned: None,
            config: Value::Null,
            planned_private: None,
            token: None,
        })
        .await;
    assert!(neither.is_err());
}

#[tokio::test(flavor = "current_thread")]
async fn import_object_upgrade_state_and_stop_defaults() {
    let p = provider().await;
    let created = p
        .create(trellis_provider::CreateRequest {
            type_name: "trellis_test_network".into(),
            planned: Value::object([("name", Value::string("i"))]),
            token: "t".into(),
        })
        .await
        .unwrap();
    let id = created
        .state
        .get("id")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let imported = p
        .import_object(ImportRequest {
            type_name: "trellis_test_network".into(),
            id,
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.value, created.state);
    assert_eq!(imported.private, None);
    let raw = serde_json::json!({"name": "x", "n": 2});
    let upgraded = p
        .upgrade_state(UpgradeStateRequest {
            type_name: "trellis_test_network".into(),
            version: 0,
            raw: raw.clone(),
        })
        .await
        .unwrap();
    assert_eq!(upgraded, Value::from_json(&raw));
    p.stop().await.unwrap();
}
