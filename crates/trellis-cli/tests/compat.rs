//! The compatibility corpus, `testdata/compat/`: configurations written the way public
//! Terraform configurations for VPC Lattice are written (modules driven by `for_each` over
//! maps of objects, `try`/`lookup`, heredocs, registry modules, `aws_iam_policy_document`,
//! `dynamic` blocks, several accounts), each run as a user runs it, against the emulator:
//!
//! 1. `trellis init` (only when the case has registry modules: see below),
//! 2. `validate`,
//! 3. `plan`, whose text is kept as a snapshot (`snapshots/compat/`) so that a change in
//!    what trellis proposes for a real-world file shows in review,
//! 4. `apply -auto-approve`,
//! 5. `plan -detailed-exitcode`, which must exit 0: no change after an apply,
//! 6. `destroy -auto-approve`, after which the state must be empty.
//!
//! A case is a directory holding a root module whose variables all have defaults, and a
//! `README.md` saying which style it exercises. A case may carry a `registry/` folder laid
//! out as `registry/NAMESPACE/NAME/PROVIDER/VERSION/`: the test serves those modules from a
//! module registry of its own on 127.0.0.1, standing in for `registry.terraform.io` through
//! the CLI configuration's `host` block, so the configuration names them exactly as it
//! would on the public registry (`source = "NAMESPACE/NAME/PROVIDER"`, with `version`).
//! A case may also carry a `git/` folder laid out as `git/HOST/ORG/REPO/TAG/`: the test
//! makes a bare repository per `REPO` (one commit per `TAG`, in order, each tagged) in a
//! temporary directory, and git's `url.<base>.insteadOf` (in the test's own `$HOME`) sends
//! `https://HOST/ORG/REPO.git` there, so the configuration names its git sources exactly as
//! it would for GitHub.
//!
//! Every directory must be listed in `cases!` (a test checks that none is forgotten).

mod servers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use servers::{json, tar_gz, Answer, Server};
use trellis_emulator::{Emulator, EmulatorEnv};

macro_rules! cases {
    ($($test:ident => $dir:literal,)*) => {
        /// Every case directory, in order.
        const CASES: &[&str] = &[$($dir),*];
        $(
            #[test]
            fn $test() {
                run_case($dir);
            }
        )*
    };
}

cases! {
    c01_lattice_module_for_each => "01-lattice-module-for-each",
    c02_heredocs_and_variables => "02-heredocs-and-variables",
    c03_registry_module => "03-registry-module",
    c04_policy_document_dynamic => "04-policy-document-dynamic",
    c05_cross_account_ram => "05-cross-account-ram",
    c06_private_dns_names => "06-private-dns-names",
    c07_security_groups_dynamic => "07-security-groups-dynamic",
    c08_target_group_kinds => "08-target-group-kinds",
    c09_json_syntax => "09-json-syntax",
    c10_functions_real_styles => "10-functions-real-styles",
    c11_yaml_and_file_sets => "11-yaml-and-file-sets",
    c12_vpc_routing_for_each => "12-vpc-routing-for-each",
    c13_https_acm_custom_domain => "13-https-acm-custom-domain",
    c14_git_modules => "14-git-modules",
    c20_resource_gateway_rds_dns => "20-resource-gateway-rds-dns",
    c21_resource_configurations_ip_ports => "21-resource-configurations-ip-ports",
    c30_lattice_iam_policy_document => "30-lattice-iam-policy-document",
    c31_access_logs_cloudwatch => "31-access-logs-cloudwatch",
    c32_access_logs_s3 => "32-access-logs-s3",
}

fn compat_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/compat")
}

#[test]
fn every_directory_is_a_case_with_a_readme() {
    let mut dirs: Vec<String> = std::fs::read_dir(compat_root())
        .expect("testdata/compat exists")
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let listed: Vec<String> = CASES.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        dirs, listed,
        "every testdata/compat directory is listed in cases!"
    );
    for dir in &dirs {
        let readme = compat_root().join(dir).join("README.md");
        assert!(readme.is_file(), "{dir} has a README.md");
    }
}

/// One step's outcome, with both streams for the failure message.
struct Step {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Step {
    #[track_caller]
    fn expect(&self, case: &str, what: &str, code: i32) -> &Step {
        assert_eq!(
            self.code, code,
            "{case}: `{what}` exited {} (expected {code})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

fn run_case(case: &str) {
    let source = compat_root().join(case);
    let tmp = tempfile::tempdir().expect("temp dir");
    let work = tmp.path().join("work");
    copy_dir(&source, &work, &["registry", "git"]);

    let mut env: Vec<(String, String)> = vec![("HOME".into(), tmp.path().display().to_string())];
    let registry = source.join("registry");
    let _server = registry.is_dir().then(|| {
        let server = serve_registry(&registry);
        let rc = tmp.path().join("terraformrc");
        std::fs::write(
            &rc,
            format!(
                "host \"registry.terraform.io\" {{\n  services = {{\n    \"modules.v1\" = \"{}\"\n  }}\n}}\n",
                server.url("/v1/modules/")
            ),
        )
        .expect("write the CLI configuration");
        env.push(("TF_CLI_CONFIG_FILE".into(), rc.display().to_string()));
        server
    });

    let git = source.join("git");
    if git.is_dir() {
        let remotes = tmp.path().join("git-remotes");
        make_git_remotes(&git, &remotes, tmp.path());
        std::fs::write(
            tmp.path().join(".gitconfig"),
            format!(
                "[url \"file://{}/\"]\n\tinsteadOf = https://\n",
                remotes.display()
            ),
        )
        .expect("write the git configuration");
        env.push(("GIT_CONFIG_NOSYSTEM".into(), "1".into()));
    }

    let emulator = Emulator::start().expect("emulator starts");
    let run = |args: &[&str]| -> Step {
        let out = Command::new(env!("CARGO_BIN_EXE_trellis"))
            .arg("-no-color")
            .args(args)
            .current_dir(&work)
            .emulator_env(emulator.endpoint_url())
            // Only the case's own CLI configuration (set below when it has a registry).
            .env_remove("TF_CLI_CONFIG_FILE")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env_remove("TRELLIS_LOG")
            .env_remove("TF_CLI_ARGS")
            .output()
            .expect("trellis runs");
        Step {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    };

    if registry.is_dir() || git.is_dir() {
        run(&["init"]).expect(case, "init", 0);
    }
    run(&["validate"]).expect(case, "validate", 0);
    let plan = run(&["plan", "-input=false"]);
    plan.expect(case, "plan", 0);
    insta::with_settings!({
        snapshot_path => "snapshots/compat",
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("plan of testdata/compat/{case} from an empty state"),
    }, {
        insta::assert_snapshot!(case.to_string(), redact_ids(&plan.stdout));
    });
    run(&["apply", "-auto-approve", "-input=false"]).expect(case, "apply", 0);
    let again = run(&["plan", "-detailed-exitcode", "-input=false"]);
    again.expect(case, "plan after apply (no change expected)", 0);
    run(&["destroy", "-auto-approve", "-input=false"]).expect(case, "destroy", 0);
    let left = run(&["state", "list"]);
    left.expect(case, "state list", 0);
    assert_eq!(
        left.stdout.trim(),
        "",
        "{case}: the state is empty after destroy"
    );
}

/// The plan text with the IDs the emulator makes up (`pl-0a1b2c3d...`, read by data sources
/// at plan time) written as `pl-[id]`, so that the snapshot holds only what the
/// configuration decides.
fn redact_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_lowercase() {
            i += 1;
        }
        let word_start = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        if i > start && word_start && i < bytes.len() && bytes[i] == b'-' {
            let hex_start = i + 1;
            let mut j = hex_start;
            while j < bytes.len() && bytes[j].is_ascii_hexdigit() && !bytes[j].is_ascii_uppercase()
            {
                j += 1;
            }
            let ends = j == bytes.len() || !bytes[j].is_ascii_alphanumeric();
            let run = &bytes[hex_start..j];
            let mixed =
                run.iter().any(u8::is_ascii_digit) && run.iter().any(u8::is_ascii_lowercase);
            if run.len() >= 8 && ends && mixed {
                out.push_str(&text[start..hex_start]);
                out.push_str("[id]");
                i = j;
                continue;
            }
        }
        if i == start {
            // Not a lower-case word: copy one character as it is.
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        } else {
            out.push_str(&text[start..i]);
        }
    }
    out
}

#[test]
fn emulator_ids_are_redacted_and_names_are_not() {
    assert_eq!(
        redact_ids("id = \"pl-a27affee6b3820184\", name = \"compat-01\", vpc-0123abcd9"),
        "id = \"pl-[id]\", name = \"compat-01\", vpc-[id]"
    );
    assert_eq!(redact_ids("service-deadbeef é"), "service-deadbeef é");
    assert_eq!(redact_ids("release-20240506-0708"), "release-20240506-0708");
}

/// Copies `from` into `to`, leaving out the top-level entries named in `skip`.
/// Runs git with only the test's configuration (`home`), and asserts success.
fn git(home: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=compat",
            "-c",
            "user.email=compat@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A bare repository `remotes/HOST/ORG/REPO.git` for each `git/HOST/ORG/REPO/`, with one
/// commit per `TAG/` folder (in order, each tagged `TAG`).
fn make_git_remotes(git_dir: &Path, remotes: &Path, home: &Path) {
    for host in sorted_dirs(git_dir) {
        for org in sorted_dirs(&host) {
            for repo in sorted_dirs(&org) {
                let name = repo.file_name().unwrap().to_string_lossy().into_owned();
                let work = home.join("git-work").join(&name);
                std::fs::create_dir_all(&work).expect("create work tree");
                git(home, &work, &["init", "-q"]);
                for tag in sorted_dirs(&repo) {
                    let tag_name = tag.file_name().unwrap().to_string_lossy().into_owned();
                    for entry in std::fs::read_dir(&work).unwrap() {
                        let path = entry.unwrap().path();
                        if path.file_name().is_some_and(|n| n == ".git") {
                            continue;
                        }
                        if path.is_dir() {
                            std::fs::remove_dir_all(&path).unwrap();
                        } else {
                            std::fs::remove_file(&path).unwrap();
                        }
                    }
                    copy_dir(&tag, &work, &[]);
                    git(home, &work, &["add", "-A"]);
                    git(
                        home,
                        &work,
                        &["commit", "-q", "-m", &format!("release {tag_name}")],
                    );
                    git(home, &work, &["tag", &tag_name]);
                }
                let bare = remotes
                    .join(host.file_name().unwrap())
                    .join(org.file_name().unwrap())
                    .join(format!("{name}.git"));
                std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
                git(
                    home,
                    home,
                    &[
                        "clone",
                        "-q",
                        "--bare",
                        &work.display().to_string(),
                        &bare.display().to_string(),
                    ],
                );
            }
        }
    }
}

fn copy_dir(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target, &[]);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Every text file under `dir`, with its path relative to `dir` (`/`-separated).
fn files_under(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// A module registry serving `registry/NAMESPACE/NAME/PROVIDER/VERSION/` folders: the
/// version list, the download answer (204 with `X-Terraform-Get`) and a tar.gz per version.
fn serve_registry(registry: &Path) -> Server {
    let server = Server::start();
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (rel, _) in files_under(registry) {
        let parts: Vec<&str> = rel.split('/').collect();
        assert!(
            parts.len() > 4,
            "{rel}: registry files live under NAMESPACE/NAME/PROVIDER/VERSION/"
        );
        let module = parts[..3].join("/");
        let version = parts[3].to_string();
        let list = versions.entry(module).or_default();
        if !list.contains(&version) {
            list.push(version);
        }
    }
    for (module, list) in &versions {
        let body = format!(
            "{{\"modules\":[{{\"versions\":[{}]}}]}}",
            list.iter()
                .map(|v| format!("{{\"version\":\"{v}\"}}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        server.route(&format!("/v1/modules/{module}/versions"), json(&body));
        for version in list {
            let archive = format!("/archives/{}-{version}.tar.gz", module.replace('/', "-"));
            server.route(
                &format!("/v1/modules/{module}/{version}/download"),
                Answer {
                    status: 204,
                    headers: vec![("X-Terraform-Get".into(), archive.clone())],
                    body: vec![],
                },
            );
            let files = files_under(&registry.join(module).join(version));
            let files: Vec<(&str, &str)> = files
                .iter()
                .map(|(p, t)| (p.as_str(), t.as_str()))
                .collect();
            server.route(
                &archive,
                Answer {
                    status: 200,
                    headers: vec![],
                    body: tar_gz(&files),
                },
            );
        }
    }
    server
}
