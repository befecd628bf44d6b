//! Loading local modules: `load_modules` with an in-memory directory reader, so that every
//! diagnostic (with its position) is checked without touching the disk.

use std::collections::BTreeMap;

use trellis_config::{load_modules, parse, render_plain, Config};
use trellis_types::{SourceFile, SourceMap};

/// Parses `root` (as `main.tf`) and loads its modules from `dirs` (directory to files).
fn load(root: &str, dirs: &[(&str, &[(&str, &str)])]) -> (Config, SourceMap, String) {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new("main.tf", root));
    let (mut config, mut diags) = parse(&sources);
    let tree: BTreeMap<String, Vec<SourceFile>> = dirs
        .iter()
        .map(|(dir, files)| {
            (
                dir.to_string(),
                files
                    .iter()
                    .map(|(name, text)| SourceFile::new(format!("{dir}/{name}"), *text))
                    .collect(),
            )
        })
        .collect();
    let mut read = |dir: &str| {
        tree.get(dir)
            .cloned()
            .ok_or_else(|| format!("no such directory {dir}"))
    };
    diags.extend(load_modules(&mut config, &mut sources, &mut read));
    let text = render_plain(&diags);
    (config, sources, text)
}

const NET: &str = r#"
variable "name" {
  type = string
}

variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
}

output "id" {
  value = var.name
}
"#;

#[test]
fn loads_nested_local_modules_with_paths_relative_to_the_caller() {
    let (config, sources, diags) = load(
        "module \"net\" {\n  source = \"./modules/net\"\n  name   = \"a\"\n}\nmodule \"svc\" {\n  source = \"./modules/svc\"\n}\n",
        &[
            ("modules/net", &[("main.tf", NET)]),
            (
                "modules/svc",
                &[("main.tf", "module \"inner\" {\n  source = \"../net\"\n  name   = \"b\"\n}\n")],
            ),
        ],
    );
    assert_eq!(diags, "");
    assert_eq!(config.children["net"].module_dir, "modules/net");
    let inner = config
        .module(&["svc".to_string(), "inner".to_string()])
        .expect("the nested module is loaded");
    assert_eq!(inner.module_dir, "modules/net");
    assert!(inner.variables.contains_key("cidr"));
    assert_eq!(config.all_modules().len(), 4);
    assert!(sources.get("modules/net/main.tf").is_some());
    assert!(sources.get("modules/svc/main.tf").is_some());
}

#[test]
fn module_diagnostics_point_at_the_call() {
    let (_, _, diags) = load(
        "module \"gone\" {\n  source = \"./modules/gone\"\n}\nmodule \"net\" {\n  source = \"./modules/net\"\n  nmae   = \"a\"\n}\nmodule \"git\" {\n  source = \"git::https://example.com/x.git\"\n}\n",
        &[("modules/net", &[("main.tf", NET)])],
    );
    insta::assert_snapshot!(diags);
}

#[test]
fn cycles_and_deep_nesting_are_refused() {
    let (_, _, diags) = load(
        "module \"a\" {\n  source = \"./a\"\n}\n",
        &[
            (
                "a",
                &[("main.tf", "module \"b\" {\n  source = \"../b\"\n}\n")],
            ),
            (
                "b",
                &[("main.tf", "module \"a\" {\n  source = \"../a\"\n}\n")],
            ),
        ],
    );
    assert!(diags.contains("b/main.tf:2:12"), "{diags}");
    assert!(
        diags.contains("module cycle: module.a.module.b.module.a calls \"a\""),
        "{diags}"
    );

    let nested: Vec<(String, Vec<(&str, &str)>)> = (0..20)
        .map(|i| {
            let dir = vec!["d"; i + 1].join("/");
            (
                dir,
                vec![("main.tf", "module \"d\" {\n  source = \"./d\"\n}\n")],
            )
        })
        .collect();
    let dirs: Vec<(&str, &[(&str, &str)])> = nested
        .iter()
        .map(|(d, f)| (d.as_str(), f.as_slice()))
        .collect();
    let (_, _, diags) = load("module \"d\" {\n  source = \"./d\"\n}\n", &dirs);
    assert!(diags.contains("modules nested too deeply"), "{diags}");
    assert_eq!(diags.matches("error").count(), 1, "{diags}");
}

#[test]
fn provider_blocks_in_called_modules_are_refused() {
    let (_, _, diags) = load(
        "module \"m\" {\n  source = \"./m\"\n}\n",
        &[(
            "m",
            &[(
                "main.tf",
                "provider \"aws\" {\n  region = \"eu-west-1\"\n}\n",
            )],
        )],
    );
    assert!(diags.contains("m/main.tf:1:1"), "{diags}");
    assert!(
        diags.contains("provider configuration aws inside module.m"),
        "{diags}"
    );
}

/// Remote sources go to the resolver with their key in the tree of modules and their
/// version; a local source inside an installed module is relative to its directory, and
/// what the resolver refuses is a diagnostic at the call's `source`.
#[test]
fn remote_calls_are_resolved_to_installed_directories() {
    let mut sources = SourceMap::new();
    sources.add(SourceFile::new(
        "main.tf",
        "module \"vpc\" {\n  source  = \"acme/vpc/aws\"\n  version = \"~> 1.1\"\n}\nmodule \"gone\" {\n  source = \"git::https://example.com/x.git\"\n}\n",
    ));
    let (mut config, diags) = parse(&sources);
    assert!(diags.is_empty(), "{}", render_plain(&diags));
    let tree: BTreeMap<&str, &str> = [
        (
            ".trellis/modules/vpc",
            "module \"subnets\" {\n  source = \"./modules/subnets\"\n}\nmodule \"label\" {\n  source = \"acme/label/aws\"\n}\n",
        ),
        (".trellis/modules/vpc/modules/subnets", "variable \"x\" {\n  default = 1\n}\n"),
        (".trellis/modules/vpc.label", "output \"id\" {\n  value = 1\n}\n"),
    ]
    .into_iter()
    .collect();
    let mut read = |dir: &str| {
        tree.get(dir)
            .map(|text| vec![SourceFile::new(format!("{dir}/main.tf"), *text)])
            .ok_or_else(|| format!("no such directory {dir}"))
    };
    let mut asked = Vec::new();
    let mut resolve = |call: &trellis_config::RemoteCall| {
        asked.push(format!("{} {} {:?}", call.key, call.source, call.version));
        match call.key {
            "gone" => Err(trellis_config::Unresolved {
                summary: "module \"gone\" is not installed".to_string(),
                detail: "run `trellis init`".to_string(),
            }),
            key => Ok(format!(".trellis/modules/{key}")),
        }
    };
    let diags =
        trellis_config::load_modules_with(&mut config, &mut sources, &mut read, &mut resolve);
    assert_eq!(
        asked,
        [
            "gone git::https://example.com/x.git None",
            "vpc acme/vpc/aws Some(\"~> 1.1\")",
            "vpc.label acme/label/aws None",
        ]
    );
    assert_eq!(
        render_plain(&diags),
        "main.tf:6:12: error: module \"gone\" is not installed\n  run `trellis init`\n"
    );
    let vpc = &config.children["vpc"];
    assert_eq!(vpc.module_dir, ".trellis/modules/vpc");
    assert_eq!(
        vpc.children["subnets"].module_dir,
        ".trellis/modules/vpc/modules/subnets"
    );
    assert!(vpc.children["label"].outputs.contains_key("id"));
}
