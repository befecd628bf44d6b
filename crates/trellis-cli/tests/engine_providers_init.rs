//! `trellis init` installing providers from a filesystem mirror (`-plugin-dir`, Terraform's
//! unpacked layout), no network: the package installed under `.trellis/providers/`, the
//! lock file written and honoured, `-upgrade` re-resolving, a tampered mirror package
//! refused, a version no mirror has and a bad source address each exit 1 leaving the
//! previous installation and lock file as they were.
//!
//! The packages hold a small stand-in file: init does not run providers.

mod common;

use common::Dir;

fn platform() -> String {
    trellis_install::providers::platform()
}

/// Puts version `version` of `example/thing` into the mirror `mirror` (relative to `dir`).
fn mirror_package(dir: &Dir, mirror: &str, version: &str, body: &str) -> String {
    let name = format!(
        "{mirror}/registry.terraform.io/example/thing/{version}/{}/terraform-provider-thing_v{version}",
        platform()
    );
    dir.write(&name, body);
    name
}

fn config(version: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    thing = {{ source = \"example/thing\", version = \"{version}\" }}\n    aws = {{ source = \"hashicorp/aws\" }}\n  }}\n}}\n"
    )
}

fn installed_exe(version: &str) -> String {
    format!(
        ".trellis/providers/registry.terraform.io/example/thing/{version}/{}/terraform-provider-thing_v{version}",
        platform()
    )
}

#[test]
fn init_installs_from_a_plugin_dir_locks_and_upgrades() {
    let dir = Dir::with_main(&config(">= 1.0"));
    mirror_package(&dir, "mirror", "1.0.0", "one");
    dir.run(&["init", "-plugin-dir=mirror"])
        .ok()
        .contains("registry.terraform.io/example/thing 1.0.0");
    assert_eq!(dir.read(&installed_exe("1.0.0")), "one");
    let lock = dir.read(".terraform.lock.hcl");
    assert!(
        lock.starts_with("# This file is maintained automatically")
            && lock.contains("provider \"registry.terraform.io/example/thing\" {\n  version     = \"1.0.0\"\n  constraints = \">= 1.0\"\n  hashes = [\n    \"h1:"),
        "{lock}"
    );
    assert!(
        !lock.contains("hashicorp/aws"),
        "aws is served natively: {lock}"
    );

    // A newer release: the lock keeps 1.0.0 until -upgrade.
    mirror_package(&dir, "mirror", "1.2.0", "two");
    dir.run(&["init", "-plugin-dir=mirror"])
        .ok()
        .contains("example/thing 1.0.0 (locked)");
    dir.run(&["init", "-plugin-dir", "mirror", "-upgrade"])
        .ok()
        .contains("example/thing 1.2.0");
    assert_eq!(dir.read(&installed_exe("1.2.0")), "two");
    assert!(!dir.exists(&installed_exe("1.0.0")));
    assert!(dir
        .read(".terraform.lock.hcl")
        .contains("version     = \"1.2.0\""));

    // A version no mirror has: exit 1, the installation and lock file as they were.
    let lock = dir.read(".terraform.lock.hcl");
    dir.write("main.tf", &config("~> 9.0"));
    dir.run(&["init", "-plugin-dir=mirror", "-upgrade"])
        .expect_code(1)
        .contains("cannot install provider registry.terraform.io/example/thing")
        .contains("1.0.0, 1.2.0");
    assert_eq!(dir.read(".terraform.lock.hcl"), lock);
    assert_eq!(dir.read(&installed_exe("1.2.0")), "two");
}

#[test]
fn a_tampered_mirror_package_is_refused() {
    let dir = Dir::with_main(&config("1.0.0"));
    let package = mirror_package(&dir, "mirror", "1.0.0", "good");
    dir.run(&["init", "-plugin-dir=mirror"]).ok();
    let lock = dir.read(".terraform.lock.hcl");
    dir.write(&package, "evil");
    std::fs::remove_dir_all(dir.join(".trellis/providers")).unwrap();
    dir.run(&["init", "-plugin-dir=mirror"])
        .expect_code(1)
        .contains("registry.terraform.io/example/thing")
        .contains("does not match the checksums in .terraform.lock.hcl");
    assert_eq!(dir.read(".terraform.lock.hcl"), lock);
}

#[test]
fn a_bad_source_address_or_constraint_is_located() {
    let dir = Dir::with_main(
        "terraform {\n  required_providers {\n    thing = { source = \"a/b/c/d\" }\n    other = { version = \"~> nope\" }\n  }\n}\n",
    );
    dir.run(&["init"])
        .expect_code(1)
        .contains("on main.tf line 3, column 24")
        .contains("invalid provider source address")
        .contains("on main.tf line 4, column 25")
        .contains("invalid version constraint");
    assert!(!dir.exists(".terraform.lock.hcl"));
}
