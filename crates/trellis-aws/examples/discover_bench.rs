//! Discovery of a 500-service mesh in the emulator: wall time and API calls.
//!
//! ```sh
//! TRELLIS_EMULATOR_PYTHON=$(tools/aws-emulator/install.sh)/bin/python \
//!   cargo run --release -p trellis-aws --example discover_bench -- 500
//! ```
//!
//! Builds the mesh with SDK calls (one network shared with another account through a RAM
//! share; per service a target group with two targets, an HTTP listener forwarding to it,
//! one path rule, and the association; a VPC association), then runs `Provider::discover` from the network, as
//! `trellis import -service-network=... -generate-config-out=FILE` does, and prints the
//! time, the objects found and the emulator's per-operation call counts.

#![allow(clippy::print_stdout)]

use std::time::Instant;

use aws_sdk_vpclattice::types::{
    ForwardAction, HttpMatch, ListenerProtocol, PathMatch, PathMatchType, RuleAction, RuleMatch,
    Target, TargetGroupConfig, TargetGroupProtocol, TargetGroupType, WeightedTargetGroup,
};
use trellis_emulator::{Emulator, DEFAULT_ACCOUNT};

#[path = "../tests/support/mod.rs"]
mod support;
use trellis_provider::{DiscoverRequest, DiscoverRoot};

#[tokio::main]
async fn main() {
    let services: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let emulator = Emulator::start().expect("emulator starts");
    let vpc = emulator
        .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
        .expect("vpc");
    let config = emulator
        .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
        .await
        .expect("sdk config");
    let c = aws_sdk_vpclattice::Client::new(&config);
    let started = Instant::now();
    let network = c
        .create_service_network()
        .name("bench-mesh")
        .send()
        .await
        .expect("network");
    let network_id = network.id().unwrap().to_string();
    aws_sdk_ram::Client::new(&config)
        .create_resource_share()
        .name("bench-mesh-share")
        .allow_external_principals(true)
        .resource_arns(network.arn().unwrap())
        .principals("111111111111")
        .send()
        .await
        .expect("resource share");
    c.create_service_network_vpc_association()
        .service_network_identifier(&network_id)
        .vpc_identifier(&vpc)
        .send()
        .await
        .expect("vpc association");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..services {
        let c = c.clone();
        let vpc = vpc.clone();
        let network_id = network_id.clone();
        tasks.spawn(async move {
            let name = format!("svc-{i:04}").replace("svc-", "service-");
            let svc = c
                .create_service()
                .name(&name)
                .send()
                .await
                .expect("service");
            let svc_id = svc.id().unwrap().to_string();
            let tg = c
                .create_target_group()
                .name(format!("{name}-tg"))
                .r#type(TargetGroupType::Ip)
                .config(
                    TargetGroupConfig::builder()
                        .port(8080)
                        .protocol(TargetGroupProtocol::Http)
                        .vpc_identifier(&vpc)
                        .build(),
                )
                .send()
                .await
                .expect("target group");
            let tg_id = tg.id().unwrap().to_string();
            c.register_targets()
                .target_group_identifier(&tg_id)
                .targets(
                    Target::builder()
                        .id(format!("10.0.{}.{}", i / 200, i % 200 + 10))
                        .build()
                        .unwrap(),
                )
                .targets(
                    Target::builder()
                        .id(format!("10.0.{}.{}", i / 200 + 100, i % 200 + 10))
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .expect("targets");
            let forward = || {
                RuleAction::Forward(
                    ForwardAction::builder()
                        .target_groups(
                            WeightedTargetGroup::builder()
                                .target_group_identifier(&tg_id)
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
            };
            let listener = c
                .create_listener()
                .service_identifier(&svc_id)
                .name("http")
                .protocol(ListenerProtocol::Http)
                .port(80)
                .default_action(forward())
                .send()
                .await
                .expect("listener");
            c.create_rule()
                .service_identifier(&svc_id)
                .listener_identifier(listener.id().unwrap())
                .name("api")
                .priority(10)
                .r#match(RuleMatch::HttpMatch(
                    HttpMatch::builder()
                        .path_match(
                            PathMatch::builder()
                                .r#match(PathMatchType::Prefix("/api".into()))
                                .build(),
                        )
                        .build(),
                ))
                .action(forward())
                .send()
                .await
                .expect("rule");
            c.create_service_network_service_association()
                .service_identifier(&svc_id)
                .service_network_identifier(&network_id)
                .send()
                .await
                .expect("association");
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("build task");
    }
    println!(
        "built a mesh of {services} services in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let provider = support::provider(&emulator).await;
    emulator.reset_calls().expect("reset calls");
    let started = Instant::now();
    let found = provider
        .discover(DiscoverRequest {
            roots: vec![DiscoverRoot {
                kind: "service-network".into(),
                id: network_id.clone(),
            }],
        })
        .await
        .expect("discovery");
    let elapsed = started.elapsed();
    let calls = emulator.calls().expect("calls");
    let total: u64 = calls.values().flat_map(|ops| ops.values()).sum();
    println!(
        "discovered {} objects ({} skipped) in {:.2} s with {total} API calls ({:.1} per service)",
        found.objects.len(),
        found.skipped.len(),
        elapsed.as_secs_f64(),
        total as f64 / services as f64
    );
    for (service, ops) in &calls {
        for (op, n) in ops {
            println!("  {service}:{op} {n}");
        }
    }
}
