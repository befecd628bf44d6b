//! Importing meshes that trellis did not build, against the emulator with the real binary:
//! a mesh made directly with SDK calls, discovered with `trellis import -service-network`,
//! planned, applied and planned again; import blocks of every type; wrong IDs.

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_vpclattice::types::{
    FixedResponseAction, ForwardAction, HttpMatch, ListenerProtocol, PathMatch, PathMatchType,
    RuleAction, RuleMatch, Target, TargetGroupConfig, TargetGroupProtocol, TargetGroupType,
    WeightedTargetGroup,
};
use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

struct Fixture {
    emulator: Emulator,
    dir: tempfile::TempDir,
}

/// What the SDK-built mesh holds, for assertions.
struct Mesh {
    networks: Vec<(String, String)>,
    services: Vec<String>,
    rule_with_priority_42: String,
    /// The RAM share that holds mesh-a, the orders service and a network outside the mesh.
    share_arn: String,
    outside_network_arn: String,
}

/// The account the RAM share of the mesh is shared with.
const CONSUMER: &str = "111111111111";

fn run_in(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trellis"))
        .arg("-no-color")
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .output()
        .expect("trellis runs")
}

/// `text` with every run of spaces made one, so that assertions do not depend on how the
/// formatter aligns `=` in a block.
fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

impl Fixture {
    fn new() -> Fixture {
        let emulator = Emulator::start().expect("emulator starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let url = emulator.endpoint_url().to_string();
        std::fs::write(
            dir.path().join("provider.tf"),
            format!(
                "provider \"aws\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    vpclattice = \"{url}\"\n    sts = \"{url}\"\n  }}\n}}\n"
            ),
        )
        .unwrap();
        Fixture { emulator, dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        run_in(self.dir.path(), &self.emulator, args)
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let t = text(&out);
        assert!(out.status.success(), "trellis {args:?} failed:\n{t}");
        t
    }

    #[track_caller]
    fn plan_code(&self) -> (Option<i32>, String) {
        let out = self.run(&["plan", "-detailed-exitcode"]);
        (out.status.code(), text(&out))
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    fn state_list(&self) -> Vec<String> {
        self.ok(&["state", "list"])
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Builds the mesh with SDK calls only: two networks, six services with listeners and
    /// rules, target groups with targets, VPC associations with security groups, auth
    /// policies, a resource policy and an access log subscription.
    fn build_mesh(&self) -> Mesh {
        let vpc_a = self
            .emulator
            .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
            .unwrap();
        let vpc_b = self
            .emulator
            .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.1.0.0/16")
            .unwrap();
        let sg_a = self
            .emulator
            .create_security_group(DEFAULT_ACCOUNT, "us-east-1", &vpc_a, "lattice-a")
            .unwrap();
        let sg_b = self
            .emulator
            .create_security_group(DEFAULT_ACCOUNT, "us-east-1", &vpc_b, "lattice-b")
            .unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let config = rt
            .block_on(self.emulator.sdk_config(DEFAULT_ACCOUNT, "us-east-1"))
            .unwrap();
        let c = aws_sdk_vpclattice::Client::new(&config);
        rt.block_on(async {
            let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}"#;
            let mut networks = Vec::new();
            for (name, auth) in [("mesh-a", "AWS_IAM"), ("mesh-b", "NONE")] {
                let n = c
                    .create_service_network()
                    .name(name)
                    .auth_type(auth.into())
                    .tags("team", "platform")
                    .send()
                    .await
                    .unwrap();
                networks.push((n.id().unwrap().to_string(), n.arn().unwrap().to_string()));
            }
            c.put_auth_policy()
                .resource_identifier(&networks[0].0)
                .policy(policy)
                .send()
                .await
                .unwrap();
            for ((network, _), (vpc, sg)) in networks.iter().zip([(&vpc_a, &sg_a), (&vpc_b, &sg_b)]) {
                c.create_service_network_vpc_association()
                    .service_network_identifier(network)
                    .vpc_identifier(vpc)
                    .security_group_ids(sg)
                    .send()
                    .await
                    .unwrap();
            }
            let mut services = Vec::new();
            let mut rule_42 = String::new();
            for i in 1..=6 {
                let name = format!("svc-{}", ["orders", "billing", "search", "users", "carts", "mail"][i - 1])
                    .replace("svc-", "");
                let auth = if i % 2 == 0 { "AWS_IAM" } else { "NONE" };
                let svc = c
                    .create_service()
                    .name(&name)
                    .auth_type(auth.into())
                    .tags("service", &name)
                    .send()
                    .await
                    .unwrap();
                let svc_id = svc.id().unwrap().to_string();
                services.push(svc_id.clone());
                let mut groups = Vec::new();
                for (suffix, vpc) in [("main", &vpc_a), ("canary", &vpc_a)] {
                    let tg = c
                        .create_target_group()
                        .name(format!("{name}-{suffix}"))
                        .r#type(TargetGroupType::Ip)
                        .config(
                            TargetGroupConfig::builder()
                                .port(8080)
                                .protocol(TargetGroupProtocol::Http)
                                .vpc_identifier(vpc)
                                .build(),
                        )
                        .send()
                        .await
                        .unwrap();
                    let tg_id = tg.id().unwrap().to_string();
                    c.register_targets()
                        .target_group_identifier(&tg_id)
                        .targets(Target::builder().id(format!("10.0.{i}.10")).port(8080).build().unwrap())
                        .targets(Target::builder().id(format!("10.0.{i}.11")).build().unwrap())
                        .send()
                        .await
                        .unwrap();
                    groups.push(tg_id);
                }
                let listener = c
                    .create_listener()
                    .service_identifier(&svc_id)
                    .name("http")
                    .protocol(ListenerProtocol::Http)
                    .port(80)
                    .default_action(RuleAction::Forward(
                        ForwardAction::builder()
                            .target_groups(
                                WeightedTargetGroup::builder()
                                    .target_group_identifier(&groups[0])
                                    .weight(90)
                                    .build()
                                    .unwrap(),
                            )
                            .target_groups(
                                WeightedTargetGroup::builder()
                                    .target_group_identifier(&groups[1])
                                    .weight(10)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    ))
                    .send()
                    .await
                    .unwrap();
                let listener_id = listener.id().unwrap().to_string();
                let rule = c
                    .create_rule()
                    .service_identifier(&svc_id)
                    .listener_identifier(&listener_id)
                    .name("api")
                    .priority(if i == 1 { 42 } else { 10 })
                    .r#match(RuleMatch::HttpMatch(
                        HttpMatch::builder()
                            .path_match(
                                PathMatch::builder()
                                    .r#match(PathMatchType::Prefix("/api".into()))
                                    .build(),
                            )
                            .build(),
                    ))
                    .action(RuleAction::Forward(
                        ForwardAction::builder()
                            .target_groups(
                                WeightedTargetGroup::builder()
                                    .target_group_identifier(&groups[1])
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    ))
                    .send()
                    .await
                    .unwrap();
                if i == 1 {
                    rule_42 = rule.id().unwrap().to_string();
                }
                c.create_rule()
                    .service_identifier(&svc_id)
                    .listener_identifier(&listener_id)
                    .name("blocked")
                    .priority(20)
                    .r#match(RuleMatch::HttpMatch(
                        HttpMatch::builder()
                            .path_match(
                                PathMatch::builder()
                                    .r#match(PathMatchType::Exact("/admin".into()))
                                    .build(),
                            )
                            .build(),
                    ))
                    .action(RuleAction::FixedResponse(
                        FixedResponseAction::builder().status_code(403).build().unwrap(),
                    ))
                    .send()
                    .await
                    .unwrap();
                if auth == "AWS_IAM" {
                    c.put_auth_policy()
                        .resource_identifier(&svc_id)
                        .policy(policy)
                        .send()
                        .await
                        .unwrap();
                }
                // Services 1 to 3 join mesh-a, 3 to 6 join mesh-b (service 3 both).
                let nets: &[usize] = match i {
                    1 | 2 => &[0],
                    3 => &[0, 1],
                    _ => &[1],
                };
                for n in nets {
                    c.create_service_network_service_association()
                        .service_identifier(&svc_id)
                        .service_network_identifier(&networks[*n].0)
                        .send()
                        .await
                        .unwrap();
                }
            }
            c.put_resource_policy()
                .resource_arn(&networks[0].1)
                .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"vpc-lattice:CreateServiceNetworkVpcAssociation","Resource":"*"}]}"#)
                .send()
                .await
                .unwrap();
            c.create_access_log_subscription()
                .resource_identifier(&services[0])
                .destination_arn("arn:aws:logs:us-east-1:123456789012:log-group:lattice-orders")
                .send()
                .await
                .unwrap();
            // A RAM share of mesh-a and the orders service with another account, which also
            // holds a network that is not part of the discovered mesh.
            let outside = c
                .create_service_network()
                .name("outside")
                .send()
                .await
                .unwrap();
            let outside_network_arn = outside.arn().unwrap().to_string();
            let orders_arn = c
                .get_service()
                .service_identifier(&services[0])
                .send()
                .await
                .unwrap()
                .arn()
                .unwrap()
                .to_string();
            let ram = aws_sdk_ram::Client::new(&config);
            let share = ram
                .create_resource_share()
                .name("mesh-a-share")
                .allow_external_principals(true)
                .resource_arns(&networks[0].1)
                .resource_arns(&orders_arn)
                .resource_arns(&outside_network_arn)
                .principals(CONSUMER)
                .tags(aws_sdk_ram::types::Tag::builder().key("owner").value("platform-team").build())
                .send()
                .await
                .unwrap();
            Mesh {
                networks,
                services,
                rule_with_priority_42: rule_42,
                share_arn: share.resource_share().unwrap().resource_share_arn().unwrap().to_string(),
                outside_network_arn,
            }
        })
    }

    fn discover(&self, mesh: &Mesh) -> String {
        // One network by ID, the other by ARN.
        let a = format!("-service-network={}", mesh.networks[0].0);
        let b = format!("-service-network={}", mesh.networks[1].1);
        self.ok(&["import", &a, &b, "-generate-config-out=mesh.tf"])
    }
}

#[test]
fn discovered_mesh_imports_and_then_plans_no_changes() {
    let fx = Fixture::new();
    let mesh = fx.build_mesh();
    let out = fx.discover(&mesh);
    assert!(out.contains("Wrote mesh.tf"), "{out}");
    let generated = fx.read("mesh.tf");
    for (type_name, count) in [
        ("aws_vpclattice_service_network", 2),
        ("aws_vpclattice_service", 6),
        ("aws_vpclattice_target_group", 12),
        ("aws_vpclattice_target_group_attachment", 24),
        ("aws_vpclattice_listener", 6),
        ("aws_vpclattice_listener_rule", 12),
        ("aws_vpclattice_service_network_service_association", 7),
        ("aws_vpclattice_service_network_vpc_association", 2),
        ("aws_vpclattice_auth_policy", 4),
        ("aws_vpclattice_resource_policy", 1),
        ("aws_vpclattice_access_log_subscription", 1),
        ("aws_ram_resource_share", 1),
        ("aws_ram_resource_association", 2),
        ("aws_ram_principal_association", 1),
    ] {
        let found = generated
            .matches(&format!("resource \"{type_name}\" "))
            .count();
        assert_eq!(found, count, "{type_name} in:\n{generated}");
    }
    // References replace raw IDs; names come from AWS names; defaults are left out.
    assert!(generated.contains("resource \"aws_vpclattice_service\" \"orders\""));
    assert!(generated.contains("service_identifier = aws_vpclattice_service.orders.id"));
    assert!(
        generated.contains("target_group_identifier = aws_vpclattice_target_group.orders_main.id")
    );
    assert!(
        generated.contains("service_network_identifier = aws_vpclattice_service_network.mesh_a.id")
    );
    assert!(generated.contains("listener_identifier = aws_vpclattice_listener.orders_http.id"));
    assert!(generated.contains("resource_arn = aws_vpclattice_service_network.mesh_a.arn"));
    assert!(generated.contains("jsonencode("));
    // The RAM share that holds the network: its associations refer to it and to what it
    // holds, its import IDs are Terraform's, and the association with a network outside the
    // mesh is listed as skipped, in the output and in the file.
    assert!(
        generated.contains("resource \"aws_ram_resource_share\" \"mesh_a_share\""),
        "{generated}"
    );
    assert!(
        squash(&generated).contains("allow_external_principals = true"),
        "{generated}"
    );
    assert!(
        squash(&generated).contains("owner = \"platform-team\""),
        "{generated}"
    );
    assert!(
        generated.contains("resource_share_arn = aws_ram_resource_share.mesh_a_share.arn"),
        "{generated}"
    );
    assert!(
        squash(&generated).contains("resource_arn = aws_vpclattice_service_network.mesh_a.arn"),
        "{generated}"
    );
    assert!(
        squash(&generated).contains("resource_arn = aws_vpclattice_service.orders.arn"),
        "{generated}"
    );
    assert!(
        squash(&generated).contains(&format!("principal = \"{CONSUMER}\"")),
        "{generated}"
    );
    assert!(
        generated.contains(&format!(
            "id = \"{},{}\"",
            mesh.share_arn, mesh.networks[0].1
        )),
        "{generated}"
    );
    assert!(
        generated.contains(&format!("id = \"{},{CONSUMER}\"", mesh.share_arn)),
        "{generated}"
    );
    assert!(
        generated.contains(&format!("id = \"{}\"", mesh.share_arn)),
        "{generated}"
    );
    let outside = format!(
        "aws_ram_resource_association {},{}",
        mesh.share_arn, mesh.outside_network_arn
    );
    assert!(out.contains(&outside), "{out}");
    assert!(generated.contains(&format!("#   {outside}")), "{generated}");
    assert!(out.contains("not part of the discovered mesh"), "{out}");
    assert!(
        !generated.contains("resource \"aws_vpclattice_service_network\" \"outside\""),
        "{generated}"
    );
    assert!(
        !generated.contains("auth_type = \"NONE\""),
        "defaults are left out"
    );
    assert!(
        !generated.contains("ip_address_type"),
        "defaults are left out"
    );
    assert!(
        !generated.contains("health_check"),
        "default health checks are left out"
    );
    assert!(!generated.contains("tags = {}"), "empty tags are left out");
    for id in &mesh.services {
        assert!(
            !generated.contains(&format!("= \"{id}\"\n"))
                || generated.contains(&format!("id = \"{id}\""))
        );
    }
    assert!(fx.state_list().is_empty(), "discovery writes no state");

    let (code, plan) = fx.plan_code();
    assert_eq!(code, Some(2), "{plan}");
    assert!(
        plan.contains("Plan: 81 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    assert!(
        !plan.contains(" -> "),
        "an import with no differences shows none:\n{plan}"
    );
    let created_before = fx
        .emulator
        .call_count("vpc-lattice", "CreateService")
        .unwrap();
    let applied = fx.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.contains("81 imported, 0 added, 0 changed, 0 destroyed"),
        "{applied}"
    );
    assert_eq!(
        fx.emulator
            .call_count("vpc-lattice", "CreateService")
            .unwrap(),
        created_before,
        "import creates nothing"
    );
    assert_eq!(fx.state_list().len(), 81);
    let (code, plan) = fx.plan_code();
    assert_eq!(
        code,
        Some(0),
        "after import the plan shows no changes:\n{plan}"
    );

    // Change one argument: the plan shows exactly that change.
    let generated = fx.read("mesh.tf");
    let changed: Vec<String> = generated
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("priority") && l.trim_end().ends_with("= 42") {
                l.replace("= 42", "= 43")
            } else {
                l.to_string()
            }
        })
        .collect();
    let changed = changed.join("\n") + "\n";
    assert_ne!(
        changed, generated,
        "the rule with priority 42 is in the file"
    );
    fx.write("mesh.tf", &changed);
    let (code, plan) = fx.plan_code();
    assert_eq!(code, Some(2), "{plan}");
    assert!(
        plan.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{plan}"
    );
    assert!(plan.contains("~ priority"), "{plan}");
    assert!(plan.contains("42 -> 43"), "{plan}");
    fx.ok(&["apply", "-auto-approve"]);
    let (code, plan) = fx.plan_code();
    assert_eq!(code, Some(0), "{plan}");
    let _ = &mesh.rule_with_priority_42;
}

#[test]
fn import_blocks_of_every_type_with_one_difference_and_wrong_ids() {
    let fx = Fixture::new();
    let mesh = fx.build_mesh();
    fx.discover(&mesh);
    // The generated file holds import blocks for every type. Make one live object differ
    // from the configuration: the plan imports it and updates it on top.
    let generated = fx.read("mesh.tf");
    let at = generated.find("\"platform\"").expect("a team tag");
    let changed = format!("{}\"network\"{}", &generated[..at], &generated[at + 10..]);
    assert_ne!(changed, generated);
    fx.write("mesh.tf", &changed);
    let (code, plan) = fx.plan_code();
    assert_eq!(code, Some(2), "{plan}");
    assert!(
        plan.contains("Plan: 81 to import, 0 to add, 1 to change, 0 to destroy."),
        "{plan}"
    );
    assert!(plan.contains("will be updated in-place"), "{plan}");
    assert!(plan.contains("(imported from"), "{plan}");
    assert!(
        plan.contains("~ team = \"platform\" -> \"network\""),
        "{plan}"
    );

    // Wrong and missing IDs: a diagnostic at the import block; nothing written.
    let service = &mesh.services[0];
    fx.write(
        "bad.tf",
        &format!(
            "resource \"aws_vpclattice_listener\" \"bad\" {{\n  name     = \"bad-listener\"\n  protocol = \"HTTP\"\n  service_identifier = \"{service}\"\n  default_action {{\n    fixed_response {{\n      status_code = 404\n    }}\n  }}\n}}\n\nimport {{\n  to = aws_vpclattice_listener.bad\n  id = \"{service}\"\n}}\n"
        ),
    );
    let out = fx.run(&["apply", "-auto-approve"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("cannot import aws_vpclattice_listener.bad"),
        "{t}"
    );
    assert!(t.contains("service_id/listener_id"), "{t}");
    assert!(t.contains("bad.tf line 14, column 8"), "{t}");
    fx.write(
        "bad.tf",
        &format!(
            "resource \"aws_vpclattice_listener\" \"bad\" {{\n  name     = \"bad-listener\"\n  protocol = \"HTTP\"\n  service_identifier = \"{service}\"\n  default_action {{\n    fixed_response {{\n      status_code = 404\n    }}\n  }}\n}}\n\nimport {{\n  to = aws_vpclattice_listener.bad\n  id = \"{service}/listener-0123456789abcdef0\"\n}}\n"
        ),
    );
    let out = fx.run(&["apply", "-auto-approve"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("no aws_vpclattice_listener with ID"), "{t}");
    assert!(fx.state_list().is_empty(), "state unchanged");

    // trellis import ADDR ID with a wrong ID: same, state unchanged.
    let out = fx.run(&["import", "aws_vpclattice_listener.bad", "not-a-listener"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("service_id/listener_id"), "{t}");
    assert!(fx.state_list().is_empty());

    // With the bad block gone, everything imports, the changed tag is updated, and the
    // next plan is empty.
    std::fs::remove_file(fx.dir.path().join("bad.tf")).unwrap();
    let applied = fx.ok(&["apply", "-auto-approve"]);
    assert!(
        applied.contains("81 imported, 0 added, 1 changed"),
        "{applied}"
    );
    let (code, plan) = fx.plan_code();
    assert_eq!(code, Some(0), "{plan}");
}

/// The accounts of the cross-account mesh: N owns the network and shares it through RAM with
/// A (which associates its VPC) and B (whose service joins the network).
const NET: &str = "111111111111";
const ACCOUNT_A: &str = "222222222222";
const ACCOUNT_B: &str = "333333333333";

/// A working directory whose default provider acts as `account`.
fn account_dir(emulator: &Emulator, account: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = emulator.endpoint_url();
    std::fs::write(
        dir.path().join("provider.tf"),
        format!(
            "provider \"aws\" {{\n  region = \"us-east-1\"\n  endpoints {{\n    vpclattice = \"{url}\"\n    sts = \"{url}\"\n    ram = \"{url}\"\n  }}\n  assume_role {{\n    role_arn = \"arn:aws:iam::{account}:role/platform\"\n  }}\n}}\n"
        ),
    )
    .unwrap();
    dir
}

#[track_caller]
fn ok_in(dir: &Path, emulator: &Emulator, args: &[&str]) -> String {
    let out = run_in(dir, emulator, args);
    let t = text(&out);
    assert!(out.status.success(), "trellis {args:?} failed:\n{t}");
    t
}

#[track_caller]
fn plan_in(dir: &Path, emulator: &Emulator) -> (Option<i32>, String) {
    let out = run_in(dir, emulator, &["plan", "-detailed-exitcode"]);
    (out.status.code(), text(&out))
}

#[test]
fn cross_account_mesh_imports_own_objects_and_lists_the_others_with_their_owners() {
    let emulator = Emulator::start().expect("emulator starts");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = |account: &str| {
        rt.block_on(emulator.sdk_config(account, "us-east-1"))
            .unwrap()
    };
    let (n, a, b) = (config(NET), config(ACCOUNT_A), config(ACCOUNT_B));
    let vpc_n = emulator
        .create_vpc(NET, "us-east-1", "10.0.0.0/16")
        .unwrap();
    let vpc_a = emulator
        .create_vpc(ACCOUNT_A, "us-east-1", "10.1.0.0/16")
        .unwrap();
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}"#;

    // Built with SDK calls, as each account would.
    let (network_id, network_arn, share_arn, snva_n, snva_a, service_b, snsa_b) =
        rt.block_on(async {
            let lattice_n = aws_sdk_vpclattice::Client::new(&n);
            let ram_n = aws_sdk_ram::Client::new(&n);
            let network = lattice_n
                .create_service_network()
                .name("shared-mesh")
                .auth_type("AWS_IAM".into())
                .send()
                .await
                .unwrap();
            let (network_id, network_arn) = (
                network.id().unwrap().to_string(),
                network.arn().unwrap().to_string(),
            );
            lattice_n
                .put_auth_policy()
                .resource_identifier(&network_id)
                .policy(policy)
                .send()
                .await
                .unwrap();
            let snva_n = lattice_n
                .create_service_network_vpc_association()
                .service_network_identifier(&network_id)
                .vpc_identifier(&vpc_n)
                .send()
                .await
                .unwrap()
                .id()
                .unwrap()
                .to_string();
            let share = ram_n
                .create_resource_share()
                .name("mesh-share")
                .allow_external_principals(true)
                .resource_arns(&network_arn)
                .principals(ACCOUNT_A)
                .principals(ACCOUNT_B)
                .send()
                .await
                .unwrap();
            let share_arn = share
                .resource_share()
                .unwrap()
                .resource_share_arn()
                .unwrap()
                .to_string();
            for config in [&a, &b] {
                let ram = aws_sdk_ram::Client::new(config);
                let invitations = ram.get_resource_share_invitations().send().await.unwrap();
                for i in invitations.resource_share_invitations() {
                    ram.accept_resource_share_invitation()
                        .resource_share_invitation_arn(i.resource_share_invitation_arn().unwrap())
                        .send()
                        .await
                        .unwrap();
                }
            }
            // A associates its VPC with N's network, by ARN.
            let snva_a = aws_sdk_vpclattice::Client::new(&a)
                .create_service_network_vpc_association()
                .service_network_identifier(&network_arn)
                .vpc_identifier(&vpc_a)
                .send()
                .await
                .unwrap()
                .id()
                .unwrap()
                .to_string();
            // B's service joins N's network.
            let lattice_b = aws_sdk_vpclattice::Client::new(&b);
            let service = lattice_b
                .create_service()
                .name("payments")
                .send()
                .await
                .unwrap();
            let service_id = service.id().unwrap().to_string();
            lattice_b
                .create_listener()
                .service_identifier(&service_id)
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
            let snsa_b = lattice_b
                .create_service_network_service_association()
                .service_identifier(&service_id)
                .service_network_identifier(&network_arn)
                .send()
                .await
                .unwrap()
                .id()
                .unwrap()
                .to_string();
            (
                network_id,
                network_arn,
                share_arn,
                snva_n,
                snva_a,
                service.arn().unwrap().to_string(),
                snsa_b,
            )
        });

    // Discovery with N's credentials: N's objects are imported; B's service, B's service
    // association and A's VPC association are listed with their owners, in the output and in
    // the generated file.
    let dir_n = account_dir(&emulator, NET);
    let out = ok_in(
        dir_n.path(),
        &emulator,
        &[
            "import",
            &format!("-service-network={network_id}"),
            "-generate-config-out=mesh.tf",
        ],
    );
    let generated = std::fs::read_to_string(dir_n.path().join("mesh.tf")).unwrap();
    for line in [
        format!("aws_vpclattice_service {service_b} (owned by account {ACCOUNT_B})"),
        format!(
            "aws_vpclattice_service_network_service_association {snsa_b} (owned by account {ACCOUNT_B})"
        ),
        format!(
            "aws_vpclattice_service_network_vpc_association {snva_a} (owned by account {ACCOUNT_A})"
        ),
    ] {
        assert!(out.contains(&line), "{line} in:\n{out}");
        assert!(generated.contains(&format!("#   {line}")), "{line} in:\n{generated}");
    }
    assert!(out.contains("Found but not imported (3):"), "{out}");
    for (type_name, count) in [
        ("aws_vpclattice_service_network", 1),
        ("aws_vpclattice_auth_policy", 1),
        ("aws_vpclattice_service_network_vpc_association", 1),
        ("aws_vpclattice_service_network_service_association", 0),
        ("aws_vpclattice_service", 0),
        ("aws_vpclattice_listener", 0),
        ("aws_ram_resource_share", 1),
        ("aws_ram_resource_association", 1),
        ("aws_ram_principal_association", 2),
    ] {
        let found = generated
            .matches(&format!("resource \"{type_name}\" "))
            .count();
        assert_eq!(found, count, "{type_name} in:\n{generated}");
    }
    assert!(
        generated.contains(&format!("id = \"{snva_n}\"")),
        "{generated}"
    );
    assert!(
        squash(&generated)
            .contains("resource_arn = aws_vpclattice_service_network.shared_mesh.arn"),
        "{generated}"
    );
    for account in [ACCOUNT_A, ACCOUNT_B] {
        assert!(
            generated.contains(&format!("id = \"{share_arn},{account}\"")),
            "{generated}"
        );
    }
    let (code, plan) = plan_in(dir_n.path(), &emulator);
    assert_eq!(code, Some(2), "{plan}");
    assert!(
        plan.contains("Plan: 7 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    let applied = ok_in(dir_n.path(), &emulator, &["apply", "-auto-approve"]);
    assert!(
        applied.contains("7 imported, 0 added, 0 changed, 0 destroyed"),
        "{applied}"
    );
    let (code, plan) = plan_in(dir_n.path(), &emulator);
    assert_eq!(
        code,
        Some(0),
        "after import the plan shows no changes:\n{plan}"
    );

    // What to do about them: discovery with B's credentials from the shared network's ARN
    // imports B's service, its listener, its association and B's acceptance of the share;
    // the network and the share are listed as N's; A's association is not visible to B.
    let dir_b = account_dir(&emulator, ACCOUNT_B);
    let out = ok_in(
        dir_b.path(),
        &emulator,
        &[
            "import",
            &format!("-service-network={network_arn}"),
            "-generate-config-out=mesh.tf",
        ],
    );
    let generated = std::fs::read_to_string(dir_b.path().join("mesh.tf")).unwrap();
    for line in [
        format!("aws_vpclattice_service_network {network_arn} (owned by account {NET})"),
        format!("aws_ram_resource_share {share_arn} (owned by account {NET})"),
    ] {
        assert!(out.contains(&line), "{line} in:\n{out}");
        assert!(
            generated.contains(&format!("#   {line}")),
            "{line} in:\n{generated}"
        );
    }
    assert!(!out.contains(&snva_a), "{out}");
    for (type_name, count) in [
        ("aws_vpclattice_service_network", 0),
        ("aws_vpclattice_service", 1),
        ("aws_vpclattice_listener", 1),
        ("aws_vpclattice_service_network_service_association", 1),
        ("aws_ram_resource_share_accepter", 1),
        ("aws_ram_resource_share", 0),
    ] {
        let found = generated
            .matches(&format!("resource \"{type_name}\" "))
            .count();
        assert_eq!(found, count, "{type_name} in:\n{generated}");
    }
    assert!(
        generated.contains(&format!("id = \"{snsa_b}\"")),
        "{generated}"
    );
    assert!(
        squash(&generated).contains("service_identifier = aws_vpclattice_service.payments.id"),
        "{generated}"
    );
    let (code, plan) = plan_in(dir_b.path(), &emulator);
    assert_eq!(code, Some(2), "{plan}");
    assert!(
        plan.contains("Plan: 4 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    ok_in(dir_b.path(), &emulator, &["apply", "-auto-approve"]);
    let (code, plan) = plan_in(dir_b.path(), &emulator);
    assert_eq!(
        code,
        Some(0),
        "after import the plan shows no changes:\n{plan}"
    );
}
