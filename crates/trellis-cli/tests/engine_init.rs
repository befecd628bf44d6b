//! `trellis init` installing remote modules, with the in-memory provider and no internet: a
//! module registry and an archive server of this test's own on 127.0.0.1 (discovery
//! answered by a `host` block of the CLI configuration, a token from a `credentials`
//! block), and bare git repositories in a temporary directory.
//!
//! Checked: a registry module's version constraint picks the newest matching release;
//! git `?ref=...//subdir`; tar.gz and zip archives; a module that calls another remote
//! module; plan after init with the servers stopped; a missing module is a located
//! diagnostic naming `trellis init`; a registry that is down, a version that does not
//! exist and a damaged archive each fail init with the module and source named, leaving the
//! previous cache as it was; `-upgrade` picks a newer release.

mod common;
mod servers;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::{Dir, PROVIDER};
use servers::{bare_repo, json, tar_gz, zip_of, Answer, Server};

fn thing(name: &str) -> String {
    format!("resource \"trellis_test_thing\" \"t\" {{\n  name = \"{name}\"\n}}\n")
}

const VERSIONS: &str = r#"{"modules":[{"versions":[{"version":"1.0.0"},{"version":"1.1.0"},{"version":"1.2.0"},{"version":"1.3.0-beta"},{"version":"2.0.0"}]}]}"#;

/// The servers, repositories and CLI configuration of one test.
struct World {
    server: Server,
    /// Holds the repositories and the CLI configuration for the test's duration.
    root: tempfile::TempDir,
    lib_repo: String,
    env: Vec<(String, String)>,
}

impl World {
    fn new() -> World {
        let server = Server::start();
        let root = tempfile::tempdir().unwrap();
        // The library that the registry module calls in turn (a remote call inside a
        // downloaded module), and a repository with a module in a subdirectory.
        let lib_repo = bare_repo(
            root.path(),
            "lib",
            &[
                ("v1.0.0", &[("modules/x/main.tf", &thing("x-v1.0.0"))]),
                ("v1.2.0", &[("modules/x/main.tf", &thing("x-v1.2.0"))]),
            ],
        );
        server.route("/v1/modules/acme/svc/trellis/versions", json(VERSIONS));
        for v in ["1.0.0", "1.1.0", "1.2.0", "1.3.0-beta", "2.0.0", "1.3.0"] {
            // The 204 form with a location relative to the download URL's host.
            server.route(
                &format!("/v1/modules/acme/svc/trellis/{v}/download"),
                Answer {
                    status: 204,
                    headers: vec![(
                        "X-Terraform-Get".into(),
                        format!("/archives/svc-{v}.tar.gz"),
                    )],
                    body: vec![],
                },
            );
            let main = format!(
                "variable \"name\" {{\n  type = string\n}}\n\nresource \"trellis_test_thing\" \"t\" {{\n  name = \"${{var.name}}-{v}\"\n}}\n\nmodule \"lib\" {{\n  source = \"git::{lib_repo}?ref=v1.0.0//modules/x\"\n}}\n\nmodule \"local\" {{\n  source = \"./local\"\n}}\n"
            );
            let tgz = tar_gz(&[
                ("main.tf", &main),
                ("local/main.tf", &thing(&format!("local-{v}"))),
            ]);
            server.route(
                &format!("/archives/svc-{v}.tar.gz"),
                Answer {
                    status: 200,
                    headers: vec![],
                    body: tgz,
                },
            );
        }
        server.route(
            "/archives/net.tar.gz",
            Answer {
                status: 200,
                headers: vec![],
                body: tar_gz(&[("net/main.tf", &thing("net-tgz")), ("README.md", "x")]),
            },
        );
        server.route(
            "/archives/zipped.zip",
            Answer {
                status: 200,
                headers: vec![],
                body: zip_of(&[("main.tf", &thing("zipped"))]),
            },
        );
        server.route(
            "/archives/damaged.tar.gz",
            Answer {
                status: 200,
                headers: vec![],
                body: b"\x1f\x8b\x08 not really gzip".to_vec(),
            },
        );
        let rc = root.path().join("terraformrc");
        std::fs::write(
            &rc,
            format!(
                "host \"registry.test\" {{\n  services = {{\n    \"modules.v1\" = \"{}\"\n  }}\n}}\n\ncredentials \"registry.test\" {{\n  token = \"s3cret\"\n}}\n",
                server.url("/v1/modules/")
            ),
        )
        .unwrap();
        let env = vec![
            ("TF_CLI_CONFIG_FILE".to_string(), rc.display().to_string()),
            ("HOME".to_string(), root.path().display().to_string()),
        ];
        World {
            server,
            root,
            lib_repo,
            env,
        }
    }

    fn run(&self, dir: &Dir, args: &[&str]) -> common::Run {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        dir.run_env(args, &env)
    }

    fn main(&self) -> String {
        format!(
            "{PROVIDER}\nmodule \"svc\" {{\n  source  = \"registry.test/acme/svc/trellis\"\n  version = \"~> 1.1\"\n  name    = \"orders\"\n}}\n\nmodule \"gitmod\" {{\n  source = \"git::{}?ref=v1.2.0//modules/x\"\n}}\n\nmodule \"net\" {{\n  source = \"{}//net\"\n}}\n\nmodule \"zipped\" {{\n  source = \"{}\"\n}}\n",
            self.lib_repo,
            self.server.url("/archives/net.tar.gz"),
            self.server.url("/archives/zipped.zip"),
        )
    }
}

fn manifest(dir: &Dir) -> serde_json::Value {
    serde_json::from_str(&dir.read(".trellis/modules/modules.json")).unwrap()
}

fn versions_of(dir: &Dir) -> BTreeMap<String, String> {
    manifest(dir)["Modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["Key"].as_str().unwrap().to_string(),
                m["Version"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn init_installs_registry_git_and_archive_modules_and_plan_runs_offline() {
    let mut world = World::new();
    let dir = Dir::with_main(&world.main());
    world
        .run(&dir, &["init"])
        .ok()
        .contains("- svc installed: registry.test/acme/svc/trellis 1.2.0")
        .contains("- svc.lib installed: git::");
    assert_eq!(
        versions_of(&dir),
        [
            ("gitmod", "-"),
            ("net", "-"),
            ("svc", "1.2.0"),
            ("svc.lib", "-"),
            ("zipped", "-")
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    );
    // The registry's API was asked with the token of the credentials block; the package
    // download went without it.
    let seen = world.server.seen();
    assert!(
        seen.iter()
            .any(|(p, a)| p == "/v1/modules/acme/svc/trellis/versions"
                && a.as_deref() == Some("Bearer s3cret")),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|(p, a)| p == "/archives/svc-1.2.0.tar.gz" && a.is_none()),
        "{seen:?}"
    );
    assert!(!dir.exists(".trellis/modules.new"), "no staging left");

    // Later commands read only the cache.
    world.server.stop();
    let plan = world.run(&dir, &["plan"]);
    plan.ok()
        .contains("module.svc.trellis_test_thing.t will be created")
        .contains("\"orders-1.2.0\"")
        .contains("module.svc.module.lib.trellis_test_thing.t will be created")
        .contains("\"x-v1.0.0\"")
        .contains("\"local-1.2.0\"")
        .contains("module.gitmod.trellis_test_thing.t will be created")
        .contains("\"x-v1.2.0\"")
        .contains("\"net-tgz\"")
        .contains("\"zipped\"")
        .contains("Plan: 6 to add, 0 to change, 0 to destroy.");
    world.run(&dir, &["validate"]).ok();
}

#[test]
fn a_module_not_installed_is_a_located_error_naming_init() {
    let world = World::new();
    let dir = Dir::with_main(&world.main());
    for command in ["validate", "plan"] {
        world
            .run(&dir, &[command])
            .expect_code(1)
            .contains("module \"svc\" is not installed")
            .contains("run `trellis init`")
            .contains("on main.tf line 6, column 13");
    }
    assert!(!dir.exists("world.json") && dir.state_list().is_empty());
    // No network: nothing reached the servers.
    assert!(world.server.seen().is_empty());
}

#[test]
fn failed_init_names_the_module_and_keeps_the_previous_cache() {
    let mut world = World::new();
    let dir = Dir::with_main(&world.main());
    world.run(&dir, &["init"]).ok();
    let before = dir.read(".trellis/modules/modules.json");

    // A version that does not exist.
    dir.write("main.tf", &world.main().replace("~> 1.1", "~> 9.0"));
    world
        .run(&dir, &["init"])
        .expect_code(1)
        .contains("cannot install module \"svc\"")
        .contains("registry.test/acme/svc/trellis")
        .contains("no version matches \"~> 9.0\"; the registry has 1.0.0, 1.1.0, 1.2.0, 1.3.0-beta, 2.0.0")
        .contains("on main.tf line 6, column 13");
    assert_eq!(dir.read(".trellis/modules/modules.json"), before);
    // The cache no longer fits the configuration, and plan says so without the network.
    world
        .run(&dir, &["plan"])
        .expect_code(1)
        .contains("does not meet its version constraint")
        .contains("trellis init -upgrade");

    // A damaged archive.
    let damaged = world
        .main()
        .replace("/archives/zipped.zip", "/archives/damaged.tar.gz");
    dir.write("main.tf", &damaged);
    world
        .run(&dir, &["init"])
        .expect_code(1)
        .contains("cannot install module \"zipped\"")
        .contains("damaged.tar.gz")
        .contains("cannot unpack");
    assert_eq!(dir.read(".trellis/modules/modules.json"), before);

    // A git ref that the repository does not have.
    dir.write(
        "main.tf",
        &world.main().replace("?ref=v1.2.0", "?ref=v9.9.9"),
    );
    world
        .run(&dir, &["init"])
        .expect_code(1)
        .contains("cannot install module \"gitmod\"")
        .contains("v9.9.9");
    assert_eq!(dir.read(".trellis/modules/modules.json"), before);

    // The registry is down.
    dir.write("main.tf", &world.main());
    world.server.stop();
    world
        .run(&dir, &["init", "-upgrade"])
        .expect_code(1)
        .contains("cannot install module \"svc\"")
        .contains("registry.test/acme/svc/trellis");
    assert_eq!(dir.read(".trellis/modules/modules.json"), before);
    assert!(!dir.exists(".trellis/modules.new"));
    // The previous cache still serves the configuration it was made for.
    world.run(&dir, &["plan"]).ok().contains("\"orders-1.2.0\"");
}

#[test]
fn init_keeps_installed_versions_and_upgrade_picks_newer_ones() {
    let world = World::new();
    let dir = Dir::with_main(&world.main());
    world.run(&dir, &["init"]).ok();
    assert_eq!(versions_of(&dir)["svc"], "1.2.0");

    world.server.route(
        "/v1/modules/acme/svc/trellis/versions",
        json(&VERSIONS.replace(
            r#"{"version":"2.0.0"}"#,
            r#"{"version":"2.0.0"},{"version":"1.3.0"}"#,
        )),
    );
    world
        .run(&dir, &["init"])
        .ok()
        .contains("- svc kept: registry.test/acme/svc/trellis 1.2.0");
    assert_eq!(versions_of(&dir)["svc"], "1.2.0");

    world
        .run(&dir, &["init", "-upgrade"])
        .ok()
        .contains("- svc installed: registry.test/acme/svc/trellis 1.3.0");
    assert_eq!(versions_of(&dir)["svc"], "1.3.0");
    world.run(&dir, &["plan"]).ok().contains("\"orders-1.3.0\"");
}

#[test]
fn bad_sources_are_refused_at_init_with_their_location() {
    let world = World::new();
    for (source, extra, needle) in [
        (
            "s3::https://s3.amazonaws.com/b/m.zip",
            "",
            "s3:: sources are not supported",
        ),
        (
            "hg::https://example.com/m",
            "",
            "hg:: sources are not supported",
        ),
        (
            "git::https://example.com/m.git",
            "  version = \"1.0.0\"\n",
            "`version` applies only to registry modules",
        ),
        (
            "registry.test/acme/svc/trellis",
            "  version = \"~> x\"\n",
            "invalid version constraint",
        ),
    ] {
        let dir = Dir::with_main(&format!(
            "{PROVIDER}\nmodule \"m\" {{\n  source = \"{source}\"\n{extra}}}\n"
        ));
        world
            .run(&dir, &["init"])
            .expect_code(1)
            .contains("cannot install module \"m\"")
            .contains(needle)
            .contains("on main.tf line 6, column 12");
        assert!(!dir.exists(".trellis/modules"), "{source}: no cache");
    }
}

/// The download location in a JSON body (`{"location": ...}`) rather than a header, and a
/// registry source's own `//subdir` applied inside the package.
#[test]
fn registry_json_location_and_subdirectory() {
    let world = World::new();
    world.server.route(
        "/v1/modules/acme/svc/trellis/1.1.0/download",
        json(r#"{"location": "/archives/svc-1.1.0.tar.gz"}"#),
    );
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\nmodule \"local\" {{\n  source  = \"registry.test/acme/svc/trellis//local\"\n  version = \"1.1.0\"\n}}\n"
    ));
    world.run(&dir, &["init"]).ok();
    assert_eq!(
        manifest(&dir)["Modules"][0]["Dir"],
        ".trellis/modules/local/local"
    );
    world
        .run(&dir, &["plan"])
        .ok()
        .contains("\"local-1.1.0\"")
        .contains("Plan: 1 to add, 0 to change, 0 to destroy.");
}

/// An archive whose checksum does not match is not unpacked; the matching one is.
#[test]
fn archive_checksums_are_checked() {
    let world = World::new();
    let body = zip_of(&[("main.tf", &thing("zipped"))]);
    world.server.route(
        "/archives/pinned.zip",
        Answer {
            status: 200,
            headers: vec![],
            body: body.clone(),
        },
    );
    let digest: String = {
        use sha2::Digest as _;
        sha2::Sha256::digest(&body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let module = |sum: &str| {
        format!(
            "{PROVIDER}\nmodule \"pinned\" {{\n  source = \"{}?checksum=sha256:{sum}\"\n}}\n",
            world.server.url("/archives/pinned.zip")
        )
    };
    let dir = Dir::with_main(&module(&"0".repeat(64)));
    world
        .run(&dir, &["init"])
        .expect_code(1)
        .contains("cannot install module \"pinned\"")
        .contains("checksum mismatch");
    assert!(!dir.exists(".trellis/modules"));
    dir.write("main.tf", &module(&digest));
    world.run(&dir, &["init"]).ok();
    world.run(&dir, &["plan"]).ok().contains("\"zipped\"");
}

/// HTTPS end to end: real service discovery at `/.well-known/terraform.json` (no `host`
/// block), a server certificate from a private CA trusted through `SSL_CERT_FILE`, and a
/// token from `TF_TOKEN_localhost` (the host's name without its port).
#[test]
fn https_registry_with_discovery_a_private_ca_and_an_environment_token() {
    let world = World::new();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    let tls = Server::start_with(Some(Arc::new(config)));
    tls.route(
        "/.well-known/terraform.json",
        json(r#"{"modules.v1": "/v1/modules/"}"#),
    );
    tls.route("/v1/modules/acme/svc/trellis/versions", json(VERSIONS));
    tls.route(
        "/v1/modules/acme/svc/trellis/1.2.0/download",
        Answer {
            status: 204,
            headers: vec![("X-Terraform-Get".into(), "./svc.tar.gz".into())],
            body: vec![],
        },
    );
    tls.route(
        "/v1/modules/acme/svc/trellis/1.2.0/svc.tar.gz",
        Answer {
            status: 200,
            headers: vec![],
            body: tar_gz(&[("main.tf", &thing("over-https"))]),
        },
    );
    let ca_file = world.root.path().join("ca.pem");
    std::fs::write(&ca_file, ca_cert.pem()).unwrap();
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\nmodule \"svc\" {{\n  source  = \"localhost:{}/acme/svc/trellis\"\n  version = \"~> 1.1\"\n}}\n",
        tls.port
    ));
    let home = world.root.path().display().to_string();
    let ca = ca_file.display().to_string();
    let env = [
        ("HOME", home.as_str()),
        ("TF_CLI_CONFIG_FILE", ""),
        ("SSL_CERT_FILE", ca.as_str()),
        ("TF_TOKEN_localhost", "from-env"),
    ];
    dir.run_env(&["init"], &env)
        .ok()
        .contains("- svc installed: localhost:");
    let seen = tls.seen();
    assert!(
        seen.iter()
            .any(|(p, a)| p == "/.well-known/terraform.json"
                && a.as_deref() == Some("Bearer from-env")),
        "{seen:?}"
    );
    dir.run(&["plan"]).ok().contains("\"over-https\"");

    // Without the CA the server's certificate is not trusted.
    let other = Dir::with_main(&dir.read("main.tf"));
    other
        .run_env(
            &["init"],
            &[
                ("HOME", home.as_str()),
                ("TF_CLI_CONFIG_FILE", ""),
                ("SSL_CERT_FILE", "/dev/null"),
            ],
        )
        .expect_code(1)
        .contains("cannot install module \"svc\"")
        .contains("certificate");
}

/// A configuration with only local modules: init installs nothing and leaves no cache.
#[test]
fn init_with_local_modules_only_leaves_no_cache() {
    let world = World::new();
    let dir = Dir::with_main(&format!(
        "{PROVIDER}\nmodule \"m\" {{\n  source = \"./m\"\n}}\n"
    ));
    dir.write("m/main.tf", &thing("local"));
    world.run(&dir, &["init"]).ok().lacks("Installing modules");
    assert!(!dir.exists(".trellis/modules") && !dir.exists(".trellis/modules.new"));
    world.run(&dir, &["plan"]).ok().contains("\"local\"");
}
