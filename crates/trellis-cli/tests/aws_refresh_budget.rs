//! The refresh call budget, asserted: on the benchmark mesh of `tools/bench/refresh-calls.sh`
//! (per service a listener, two rules, a target group with three IP targets, an auth policy
//! and a network association; a network and its VPC association), every object tagged
//! through `default_tags`, a plan with nothing to change costs at most 0.45 API calls per
//! managed resource, counted by the emulator (a count, not a time). Tags are read in bulk
//! (`GetResources`, 100 ARNs a call), so a tag changed outside trellis shows in the next plan
//! without trusting `lastUpdatedAt`, and `-refresh=full` sees it too.

#![allow(clippy::print_stderr)]

use std::path::Path;
use std::process::Command;

use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

const SERVICES: usize = 20;

fn trellis(dir: &Path, emulator: &Emulator, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .arg("-no-color")
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .env_remove("TRELLIS_LOG")
        .output()
        .expect("trellis runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The benchmark mesh (the shape `tools/bench/refresh-calls.sh` generates), tagged.
fn mesh(vpc: &str) -> String {
    let mut text = String::from(
        r#"provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = { env = "bench" }
  }
}

resource "aws_vpclattice_service_network" "net" {
  name      = "refresh-net"
  auth_type = "AWS_IAM"
}

resource "aws_vpclattice_service_network_vpc_association" "vpc" {
  vpc_identifier             = "VPC"
  service_network_identifier = aws_vpclattice_service_network.net.id
}
"#,
    )
    .replace("VPC", vpc);
    for i in 0..SERVICES {
        text.push_str(&format!(
            r#"
resource "aws_vpclattice_service" "s{i}" {{
  name      = "orders-{i}"
  auth_type = "AWS_IAM"
  tags      = {{ team = "orders" }}
}}

resource "aws_vpclattice_target_group" "tg{i}" {{
  name = "orders-ip-{i}"
  type = "IP"
  config {{
    vpc_identifier = "{vpc}"
    port           = 8080
    protocol       = "HTTP"
  }}
}}

resource "aws_vpclattice_target_group_attachment" "t{i}" {{
  count                   = 3
  target_group_identifier = aws_vpclattice_target_group.tg{i}.id
  target {{
    id   = "10.0.{i}.${{count.index + 10}}"
    port = 8080
  }}
}}

resource "aws_vpclattice_listener" "l{i}" {{
  name               = "http"
  protocol           = "HTTP"
  port               = 80
  service_identifier = aws_vpclattice_service.s{i}.id
  default_action {{
    forward {{
      target_groups {{
        target_group_identifier = aws_vpclattice_target_group.tg{i}.id
      }}
    }}
  }}
}}

resource "aws_vpclattice_listener_rule" "r{i}" {{
  count               = 2
  name                = "path-${{count.index}}"
  service_identifier  = aws_vpclattice_service.s{i}.id
  listener_identifier = aws_vpclattice_listener.l{i}.listener_id
  priority            = 10 + count.index
  match {{
    http_match {{
      path_match {{
        match {{
          prefix = "/p${{count.index}}"
        }}
      }}
    }}
  }}
  action {{
    fixed_response {{
      status_code = 404
    }}
  }}
}}

resource "aws_vpclattice_auth_policy" "a{i}" {{
  resource_identifier = aws_vpclattice_service.s{i}.arn
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Principal = "*", Action = "vpc-lattice-svcs:Invoke", Resource = "*" }}]
  }})
}}

resource "aws_vpclattice_service_network_service_association" "sn{i}" {{
  service_identifier         = aws_vpclattice_service.s{i}.id
  service_network_identifier = aws_vpclattice_service_network.net.id
}}
"#
        ));
    }
    text
}

/// Calls the emulator counted, by `service.operation`.
fn calls(emulator: &Emulator) -> std::collections::BTreeMap<String, u64> {
    emulator
        .calls()
        .expect("call counts")
        .into_iter()
        .flat_map(|(service, ops)| {
            ops.into_iter()
                .map(move |(op, n)| (format!("{service}.{op}"), n))
        })
        .collect()
}

#[test]
fn refresh_stays_within_its_call_budget_and_sees_tag_drift() {
    let emulator = Emulator::start().expect("emulator starts");
    let vpc = emulator
        .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
        .expect("vpc");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), mesh(&vpc)).expect("write main.tf");
    let (code, text) = trellis(
        dir,
        &emulator,
        &["apply", "-auto-approve", "-parallelism=20"],
    );
    assert_eq!(code, 0, "apply:\n{text}");
    let resources = 2 + SERVICES * 10;
    assert!(
        text.contains(&format!("{resources} added")),
        "{resources} resources:\n{text}"
    );

    // The budget: a plan with no changes.
    emulator.reset_calls().expect("reset calls");
    let (code, text) = trellis(dir, &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes:\n{text}");
    let counted = calls(&emulator);
    let total: u64 = counted.values().sum();
    eprintln!(
        "refresh of {resources} resources: {total} calls ({:.2} per resource): {counted:?}",
        total as f64 / resources as f64
    );
    assert!(
        total * 100 <= 45 * resources as u64,
        "{total} calls for {resources} resources is over the budget of 0.45 a resource: {counted:?}"
    );
    // 122 tagged objects (the network, its VPC association, and per service the service,
    // its target group, listener, two rules and association): two bulk reads, not one each.
    assert_eq!(counted.get("tagging.GetResources"), Some(&2), "{counted:?}");
    assert_eq!(
        counted.get("vpc-lattice.ListTagsForResource"),
        None,
        "{counted:?}"
    );

    // Tags changed outside trellis: a tag added to one service, one removed from another.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let config = emulator
            .sdk_config(DEFAULT_ACCOUNT, "us-east-1")
            .await
            .expect("sdk config");
        let lattice = aws_sdk_vpclattice::Client::new(&config);
        let services = lattice
            .list_services()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("services");
        let arn = |name: &str| {
            services
                .iter()
                .find(|s| s.name() == Some(name))
                .and_then(|s| s.arn())
                .expect("service")
                .to_string()
        };
        lattice
            .tag_resource()
            .resource_arn(arn("orders-3"))
            .tags("owner", "someone-else")
            .send()
            .await
            .expect("tag");
        lattice
            .untag_resource()
            .resource_arn(arn("orders-7"))
            .tag_keys("team")
            .send()
            .await
            .expect("untag");
    });
    for refresh in ["-refresh=true", "-refresh=full"] {
        let (code, text) = trellis(dir, &emulator, &["plan", "-detailed-exitcode", refresh]);
        assert_eq!(code, 2, "plan {refresh} sees the tag drift:\n{text}");
        for wanted in [
            "aws_vpclattice_service.s3 will be updated in-place",
            "aws_vpclattice_service.s7 will be updated in-place",
            "owner",
            "Plan: 0 to add, 2 to change, 0 to destroy.",
        ] {
            assert!(text.contains(wanted), "plan {refresh}: {wanted}:\n{text}");
        }
    }
    // Apply puts the configured tags back; then nothing to change.
    let (code, text) = trellis(dir, &emulator, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "apply:\n{text}");
    let (code, text) = trellis(dir, &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{text}");
}
