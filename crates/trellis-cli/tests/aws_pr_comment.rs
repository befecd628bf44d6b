//! The pull-request flow against the local AWS emulator: `plan -markdown -out` of the
//! quickstart example shows who can newly reach whom and the mesh checks' warnings; the
//! saved plan applies; a change that removes a service association shows the pair that
//! disappears, in markdown and in `show -json`.

use std::path::Path;
use std::process::{Command, Output};

use trellis_emulator::{Emulator, EmulatorEnv, DEFAULT_ACCOUNT};

fn run_in(dir: &Path, emulator: &Emulator, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(args)
        .current_dir(dir)
        .emulator_env(emulator.endpoint_url())
        .env_remove("NO_COLOR")
        .output()
        .expect("trellis runs")
}

#[track_caller]
fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "trellis failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn aws_quickstart_plan_markdown_shows_connectivity() {
    let emulator = Emulator::start().expect("emulator starts");
    let vpc = emulator
        .create_vpc(DEFAULT_ACCOUNT, "us-east-1", "10.0.0.0/16")
        .expect("vpc");
    let dir = tempfile::tempdir().expect("temp dir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart/main.tf");
    let text = std::fs::read_to_string(example).expect("example");
    std::fs::write(dir.path().join("main.tf"), &text).unwrap();
    let var = format!("vpc_id={vpc}");
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["-var", &var]);
        run_in(dir.path(), &emulator, &all)
    };

    // The pull request: a new mesh. Every pair is new.
    let md = ok(run(&["plan", "-markdown", "-input=false", "-out=pr.plan"]));
    assert!(
        md.starts_with("**Plan: 14 to add, 0 to change, 0 to destroy.**"),
        "{md}"
    );
    assert!(md.contains("### Connectivity changes"), "{md}");
    assert!(md.contains("2 client → service pairs (2 new)"), "{md}");
    for service in ["billing", "orders"] {
        // The provider knows its account from the first plan on, so both ends are labelled.
        let a = DEFAULT_ACCOUNT;
        let line = format!(
            "\n+ {vpc} (account {a}) -> {service} (account {a}): IAM auth (network policy allows any principal)\n"
        );
        assert!(md.contains(&line), "missing {line:?} in:\n{md}");
    }
    // The mesh checks: the example's network policy lets anyone in, and its services have
    // no auth of their own in an AWS_IAM network.
    assert!(md.contains("[!CAUTION]"), "{md}");
    assert!(md.contains(
        "**auth policy on aws_vpclattice_service_network.mesh allows any principal without conditions**"
    ));
    assert!(md.contains(
        "**service aws_vpclattice_service.svc[\"orders\"] has auth_type = \"NONE\" in the AWS_IAM network aws_vpclattice_service_network.mesh**"
    ));
    assert!(!md.contains("\x1b["), "no colour in a pipe");

    // Merge: the uploaded plan applies as it is.
    ok(run_in(
        dir.path(),
        &emulator,
        &["apply", "-input=false", "pr.plan"],
    ));

    // Nothing to do: no connectivity section, the warnings stay.
    let md = ok(run(&["plan", "-markdown"]));
    assert!(md.starts_with("**No changes.**"), "{md}");
    assert!(!md.contains("Connectivity changes"), "{md}");
    assert!(md.contains("[!CAUTION]"), "{md}");

    // The next pull request takes billing out of the network.
    let narrowed = text.replace(
        "resource \"aws_vpclattice_service_network_service_association\" \"svc\" {\n  for_each                   = local.services",
        "resource \"aws_vpclattice_service_network_service_association\" \"svc\" {\n  for_each                   = { orders = local.services.orders }",
    );
    assert_ne!(
        narrowed, text,
        "the example's service association changed shape"
    );
    std::fs::write(dir.path().join("main.tf"), &narrowed).unwrap();
    let md = ok(run(&["plan", "-markdown", "-out=pr2.plan"]));
    assert!(
        md.contains("`aws_vpclattice_service_network_service_association.svc[\"billing\"]` will be destroyed"),
        "{md}"
    );
    let removed = md
        .lines()
        .find(|l| l.starts_with(&format!("- {vpc} (account {DEFAULT_ACCOUNT}) -> billing-")))
        .unwrap_or_else(|| panic!("no removed pair in:\n{md}"));
    assert!(
        removed.ends_with(".vpc-lattice-svcs.us-east-1.on.aws (account 123456789012)"),
        "{removed}"
    );

    let json: serde_json::Value = serde_json::from_str(&ok(run_in(
        dir.path(),
        &emulator,
        &["show", "-json", "pr2.plan"],
    )))
    .expect("show -json is JSON");
    let changes = json["connectivity"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["change"], "removed");
    assert_eq!(changes[0]["client"]["label"], vpc.as_str());
    assert_eq!(
        changes[0]["server"]["address"],
        "aws_vpclattice_service.svc[\"billing\"]"
    );
    assert_eq!(
        json["connectivity"]["reachable"].as_array().unwrap().len(),
        1
    );
}
