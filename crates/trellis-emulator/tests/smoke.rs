//! Drives the emulator through the Rust SDK: the life of a small mesh.

use std::time::Duration;

use aws_sdk_vpclattice::types::{
    ForwardAction, ListenerProtocol, RuleAction, ServiceNetworkVpcAssociationStatus, ServiceStatus,
    Target, TargetGroupConfig, TargetGroupProtocol, TargetGroupType, TargetStatus,
    WeightedTargetGroup,
};
use aws_sdk_vpclattice::Client;
use trellis_emulator::{Emulator, EmulatorOptions, DEFAULT_ACCOUNT};

const REGION: &str = "us-east-1";

fn forward(target_group_id: &str) -> RuleAction {
    let group = WeightedTargetGroup::builder()
        .target_group_identifier(target_group_id)
        .weight(100)
        .build()
        .unwrap();
    RuleAction::Forward(
        ForwardAction::builder()
            .target_groups(group)
            .build()
            .unwrap(),
    )
}

async fn wait_for<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what} did not happen in time");
}

#[tokio::test]
async fn mesh_lifecycle_through_the_rust_sdk() {
    let emulator = Emulator::start_with(&EmulatorOptions {
        async_delay: Duration::from_millis(200),
        ..Default::default()
    })
    .expect("emulator starts");
    let config = emulator.sdk_config(DEFAULT_ACCOUNT, REGION).await.unwrap();
    let lattice = Client::new(&config);

    // Service network: create, update, read back.
    let sn = lattice
        .create_service_network()
        .name("mesh")
        .client_token("sn-1")
        .send()
        .await
        .unwrap();
    let sn_id = sn.id().unwrap().to_owned();
    assert!(sn_id.starts_with("sn-") && sn_id.len() == 20, "{sn_id}");
    assert!(sn
        .arn()
        .unwrap()
        .contains(&format!(":{DEFAULT_ACCOUNT}:servicenetwork/")));
    lattice
        .update_service_network()
        .service_network_identifier(&sn_id)
        .auth_type("AWS_IAM".into())
        .send()
        .await
        .unwrap();
    let got = lattice
        .get_service_network()
        .service_network_identifier(sn.arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.auth_type().unwrap().as_str(), "AWS_IAM");

    // Service: starts CREATE_IN_PROGRESS, becomes ACTIVE, then updates.
    let svc = lattice
        .create_service()
        .name("orders")
        .send()
        .await
        .unwrap();
    let svc_id = svc.id().unwrap().to_owned();
    assert_eq!(svc.status(), Some(&ServiceStatus::CreateInProgress));
    wait_for("service active", || async {
        let s = lattice
            .get_service()
            .service_identifier(&svc_id)
            .send()
            .await
            .unwrap();
        s.status() == Some(&ServiceStatus::Active)
    })
    .await;
    lattice
        .update_service()
        .service_identifier(&svc_id)
        .auth_type("AWS_IAM".into())
        .send()
        .await
        .unwrap();

    // Target group in a VPC made through EC2, then a listener forwarding to it.
    let vpc = emulator
        .create_vpc(DEFAULT_ACCOUNT, REGION, "10.1.0.0/16")
        .unwrap();
    let tg_config = TargetGroupConfig::builder()
        .port(8080)
        .protocol(TargetGroupProtocol::Http)
        .vpc_identifier(&vpc)
        .build();
    let tg = lattice
        .create_target_group()
        .name("orders-tg")
        .r#type(TargetGroupType::Ip)
        .config(tg_config)
        .send()
        .await
        .unwrap();
    let tg_id = tg.id().unwrap().to_owned();
    let listener = lattice
        .create_listener()
        .service_identifier(&svc_id)
        .name("http")
        .protocol(ListenerProtocol::Http)
        .default_action(forward(&tg_id))
        .send()
        .await
        .unwrap();
    let listener_id = listener.id().unwrap().to_owned();
    assert_eq!(listener.port(), Some(80));
    lattice
        .update_listener()
        .service_identifier(&svc_id)
        .listener_identifier(&listener_id)
        .default_action(RuleAction::FixedResponse(
            aws_sdk_vpclattice::types::FixedResponseAction::builder()
                .status_code(404)
                .build()
                .unwrap(),
        ))
        .send()
        .await
        .unwrap();
    lattice
        .update_listener()
        .service_identifier(&svc_id)
        .listener_identifier(&listener_id)
        .default_action(forward(&tg_id))
        .send()
        .await
        .unwrap();

    // Targets: INITIAL then HEALTHY; DRAINING after deregistration, then gone.
    let target = Target::builder().id("10.1.0.5").build().unwrap();
    lattice
        .register_targets()
        .target_group_identifier(&tg_id)
        .targets(target.clone())
        .send()
        .await
        .unwrap();
    let statuses = || async {
        let out = lattice
            .list_targets()
            .target_group_identifier(&tg_id)
            .send()
            .await
            .unwrap();
        out.items()
            .iter()
            .map(|t| t.status().cloned())
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses().await, vec![Some(TargetStatus::Initial)]);
    wait_for("target healthy", || async {
        statuses().await == vec![Some(TargetStatus::Healthy)]
    })
    .await;
    lattice
        .deregister_targets()
        .target_group_identifier(&tg_id)
        .targets(target)
        .send()
        .await
        .unwrap();
    assert_eq!(statuses().await, vec![Some(TargetStatus::Draining)]);
    wait_for("target gone", || async { statuses().await.is_empty() }).await;

    // VPC association: created, updated, deleted.
    let assoc = lattice
        .create_service_network_vpc_association()
        .service_network_identifier(&sn_id)
        .vpc_identifier(&vpc)
        .send()
        .await
        .unwrap();
    let assoc_id = assoc.id().unwrap().to_owned();
    assert!(assoc_id.starts_with("snva-"));
    let assoc_status = || async {
        let a = lattice
            .get_service_network_vpc_association()
            .service_network_vpc_association_identifier(&assoc_id);
        a.send().await.unwrap().status().cloned()
    };
    wait_for("association active", || async {
        assoc_status().await == Some(ServiceNetworkVpcAssociationStatus::Active)
    })
    .await;
    let deleting_network = lattice
        .delete_service_network()
        .service_network_identifier(&sn_id)
        .send()
        .await;
    let err = deleting_network.expect_err("a network with an association cannot be deleted");
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("ConflictException")
    );
    lattice
        .delete_service_network_vpc_association()
        .service_network_vpc_association_identifier(&assoc_id)
        .send()
        .await
        .unwrap();

    // Tear down the rest in dependency order.
    lattice
        .delete_listener()
        .service_identifier(&svc_id)
        .listener_identifier(&listener_id)
        .send()
        .await
        .unwrap();
    lattice
        .delete_target_group()
        .target_group_identifier(&tg_id)
        .send()
        .await
        .unwrap();
    lattice
        .delete_service()
        .service_identifier(&svc_id)
        .send()
        .await
        .unwrap();
    wait_for("association gone", || async {
        let out = lattice
            .list_service_network_vpc_associations()
            .service_network_identifier(&sn_id)
            .send()
            .await;
        out.unwrap().items().is_empty()
    })
    .await;
    lattice
        .delete_service_network()
        .service_network_identifier(&sn_id)
        .send()
        .await
        .unwrap();
    let services = lattice.list_services().send().await.unwrap();
    assert!(services
        .items()
        .iter()
        .all(|s| s.status() == Some(&ServiceStatus::DeleteInProgress)));
    assert!(
        emulator
            .call_count("vpc-lattice", "CreateServiceNetwork")
            .unwrap()
            >= 1
    );
}

#[tokio::test]
async fn faults_counts_and_accounts() {
    let emulator = Emulator::start().expect("emulator starts");
    let owner = Client::new(&emulator.sdk_config(DEFAULT_ACCOUNT, REGION).await.unwrap());
    let other = Client::new(&emulator.sdk_config("210987654321", REGION).await.unwrap());

    // Two throttles are retried away by the SDK's standard retry mode.
    emulator.set_faults(&serde_json::json!({"per_operation": {"vpc-lattice:CreateServiceNetwork": {"throttle_next": 2}}})).unwrap();
    let sn = owner
        .create_service_network()
        .name("shared")
        .send()
        .await
        .unwrap();
    assert_eq!(
        emulator
            .call_count("vpc-lattice", "CreateServiceNetwork")
            .unwrap(),
        3
    );

    // Another account cannot read the network, even by ARN, until it is shared: AWS answers
    // an ARN of another account with AccessDenied.
    let err = other
        .get_service_network()
        .service_network_identifier(sn.arn().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("AccessDeniedException")
    );
    let mine = other
        .create_service_network()
        .name("shared")
        .send()
        .await
        .unwrap();
    assert!(mine.arn().unwrap().contains(":210987654321:"));

    emulator.reset().unwrap();
    assert!(emulator.calls().unwrap().is_empty());
    let after_reset = Client::new(&emulator.sdk_config(DEFAULT_ACCOUNT, REGION).await.unwrap());
    assert!(after_reset
        .list_service_networks()
        .send()
        .await
        .unwrap()
        .items()
        .is_empty());
}
