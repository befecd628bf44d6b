//! `trellis state migrate -from-terraform` against the emulator: the fixture under
//! testdata/tfstate/mesh is a Terraform v4 state (with count, for_each, resources in a
//! module called with for_each, an unsupported type,
//! a data source and an object that no longer exists) of a mesh that the test builds in the
//! emulator with SDK calls; its placeholders are replaced by the IDs the emulator gave.

use std::path::PathBuf;
use std::process::{Command, Output};

use aws_sdk_vpclattice::types::{FixedResponseAction, ListenerProtocol, RuleAction};
use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tfstate/mesh")
}

fn run(dir: &std::path::Path, emulator: &Emulator, args: &[&str]) -> (Option<i32>, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .arg("-no-color")
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .output()
        .expect("trellis runs");
    (
        out.status.code(),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn terraform_state_migrates_and_plan_shows_no_changes() {
    let emulator = Emulator::start().expect("emulator starts");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = rt
        .block_on(emulator.sdk_config(DEFAULT_ACCOUNT, "us-east-1"))
        .unwrap();
    let c = aws_sdk_vpclattice::Client::new(&config);
    let mut subst: Vec<(String, String)> = Vec::new();
    rt.block_on(async {
        let net = c
            .create_service_network()
            .name("legacy-mesh")
            .auth_type("AWS_IAM".into())
            .send()
            .await
            .unwrap();
        subst.push(("@NET_ID@".into(), net.id().unwrap().into()));
        subst.push(("@NET_ARN@".into(), net.arn().unwrap().into()));
        for name in ["alpha", "beta"] {
            let svc = c.create_service().name(name).send().await.unwrap();
            let upper = name.to_uppercase();
            subst.push((format!("@{upper}_ID@"), svc.id().unwrap().into()));
            subst.push((format!("@{upper}_ARN@"), svc.arn().unwrap().into()));
            let assoc = c
                .create_service_network_service_association()
                .service_identifier(svc.id().unwrap())
                .service_network_identifier(net.id().unwrap())
                .send()
                .await
                .unwrap();
            subst.push((format!("@ASSOC_{upper}_ID@"), assoc.id().unwrap().into()));
            subst.push((format!("@ASSOC_{upper}_ARN@"), assoc.arn().unwrap().into()));
            if name == "alpha" {
                let l = c
                    .create_listener()
                    .service_identifier(svc.id().unwrap())
                    .name("http")
                    .protocol(ListenerProtocol::Http)
                    .port(80)
                    .default_action(RuleAction::FixedResponse(
                        FixedResponseAction::builder()
                            .status_code(404)
                            .build()
                            .unwrap(),
                    ))
                    .send()
                    .await
                    .unwrap();
                subst.push(("@LISTENER_ID@".into(), l.id().unwrap().into()));
                subst.push(("@LISTENER_ARN@".into(), l.arn().unwrap().into()));
            }
        }
        // The service and association of module.edge["east"].
        let gateway = c
            .create_service()
            .name("gateway-east")
            .send()
            .await
            .unwrap();
        subst.push(("@GATEWAY_ID@".into(), gateway.id().unwrap().into()));
        subst.push(("@GATEWAY_ARN@".into(), gateway.arn().unwrap().into()));
        let assoc = c
            .create_service_network_service_association()
            .service_identifier(gateway.id().unwrap())
            .service_network_identifier(net.id().unwrap())
            .send()
            .await
            .unwrap();
        subst.push(("@ASSOC_GATEWAY_ID@".into(), assoc.id().unwrap().into()));
        subst.push(("@ASSOC_GATEWAY_ARN@".into(), assoc.arn().unwrap().into()));
    });
    let dir = tempfile::tempdir().unwrap();
    let url = emulator.endpoint_url();
    std::fs::write(
        dir.path().join("provider.tf"),
        format!("provider \"aws\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    vpclattice = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n"),
    )
    .unwrap();
    std::fs::copy(fixture_dir().join("main.tf"), dir.path().join("main.tf")).unwrap();
    std::fs::create_dir_all(dir.path().join("modules/edge")).unwrap();
    std::fs::copy(
        fixture_dir().join("modules/edge/main.tf"),
        dir.path().join("modules/edge/main.tf"),
    )
    .unwrap();
    let mut state = std::fs::read_to_string(fixture_dir().join("terraform.tfstate")).unwrap();
    for (k, v) in &subst {
        state = state.replace(k, v);
    }
    assert!(!state.contains('@'), "every placeholder is replaced");
    std::fs::write(dir.path().join("terraform.tfstate"), &state).unwrap();

    let (code, out) = run(
        dir.path(),
        &emulator,
        &["state", "migrate", "-from-terraform=terraform.tfstate"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Migrated 8 resource instances"), "{out}");
    assert!(
        out.contains("  module.edge[\"east\"].aws_vpclattice_service.gateway\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "  module.edge[\"east\"].aws_vpclattice_service_network_service_association.this\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("aws_ecs_service.orders: trellis does not support aws_ecs_service"),
        "{out}"
    );
    assert!(out.contains("data.aws_caller_identity.current"), "{out}");
    assert!(
        out.contains("aws_vpclattice_service.svc[\"gamma\"]: the object"),
        "{out}"
    );
    let (code, list) = run(dir.path(), &emulator, &["state", "list"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        list.lines().filter(|l| l.starts_with("aws_")).count(),
        6,
        "{list}"
    );
    assert!(list.contains("aws_vpclattice_listener.http[0]"), "{list}");
    assert_eq!(
        list.lines()
            .filter(|l| l.starts_with("module.edge[\"east\"]."))
            .count(),
        2,
        "{list}"
    );
    let (code, shown) = run(
        dir.path(),
        &emulator,
        &[
            "state",
            "show",
            "module.edge[\"east\"].aws_vpclattice_service_network_service_association.this",
        ],
    );
    assert_eq!(code, Some(0), "{shown}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("terraform.tfstate")).unwrap(),
        state,
        "the Terraform state is only read"
    );

    let (code, plan) = run(dir.path(), &emulator, &["plan", "-detailed-exitcode"]);
    assert_eq!(
        code,
        Some(0),
        "after migration the plan shows no changes:\n{plan}"
    );

    // Migrating again skips what trellis state already holds.
    let (code, out) = run(
        dir.path(),
        &emulator,
        &["state", "migrate", "-from-terraform=terraform.tfstate"],
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Migrated 0 resource instances"), "{out}");
    assert!(
        out.contains("trellis state already holds this address"),
        "{out}"
    );

    // A file that is not a v4 state is refused before anything is read or written.
    std::fs::write(
        dir.path().join("old.tfstate"),
        r#"{"version": 3, "modules": []}"#,
    )
    .unwrap();
    let (code, out) = run(
        dir.path(),
        &emulator,
        &["state", "migrate", "-from-terraform=old.tfstate"],
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("version 3 is not supported"), "{out}");
}
