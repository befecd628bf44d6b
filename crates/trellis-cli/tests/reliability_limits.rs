//! Hostile sizes and depths through the real binary: deeply nested or huge inputs are
//! refused with a diagnostic (exit 1), never a stack overflow (a signal) or exhausted
//! memory; nothing is written and no provider is called.

mod common;

use common::{Dir, Run, PROVIDER};

const DEPTH: usize = 100_000;

#[track_caller]
fn refused(what: &str, run: &Run, needle: &str) {
    assert_eq!(
        run.code,
        1,
        "{what}: exit 1 with a diagnostic, not a crash (code -1 is a signal):\n{}",
        &run.stderr[..run.stderr.len().min(3000)]
    );
    assert!(
        run.stderr.contains(needle),
        "{what}: expected {needle:?} in:\n{}",
        &run.stderr[..run.stderr.len().min(3000)]
    );
}

fn in_resource(expression: &str) -> String {
    format!("{PROVIDER}\nresource \"trellis_test_thing\" \"t\" {{\n  name  = \"t\"\n  value = {expression}\n}}\n")
}

#[test]
fn deeply_nested_expressions_are_refused_with_a_diagnostic() {
    let cases = [
        (
            "brackets",
            format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
        ),
        (
            "objects",
            format!("{}1{}", "{a = ".repeat(DEPTH), "}".repeat(DEPTH)),
        ),
        (
            "parentheses",
            format!("{}1{}", "(".repeat(DEPTH), ")".repeat(DEPTH)),
        ),
        (
            "function calls",
            format!("{}\"x\"{}", "lower(".repeat(DEPTH), ")".repeat(DEPTH)),
        ),
        ("unary operators", format!("{}1", "-".repeat(DEPTH))),
        ("binary operators", format!("1{}", " + 1".repeat(DEPTH))),
        (
            "templates",
            format!("{}x{}", "\"${".repeat(DEPTH), "}\"".repeat(DEPTH)),
        ),
        (
            "conditionals",
            format!("{}1{}", "true ? ".repeat(DEPTH), " : 2".repeat(DEPTH)),
        ),
    ];
    for (what, expression) in cases {
        let dir = Dir::with_main(&in_resource(&expression));
        let plan = dir.run(&["plan"]);
        refused(what, &plan, "Error:");
        assert!(plan.stderr.contains("line "), "{what}: a position");
        assert!(!dir.exists(".trellis"), "{what}: no state written");
        assert!(!dir.exists("world.json"), "{what}: no provider call");
        refused(what, &dir.run(&["validate"]), "Error:");
        refused(what, &dir.run(&["fmt", "-check"]), "Error:");
    }
}

#[test]
fn deeply_nested_blocks_are_refused_with_a_diagnostic() {
    let body = format!(
        "{PROVIDER}\nresource \"trellis_test_thing\" \"t\" {{\n  name = \"t\"\n{}{}}}\n",
        "rule {\n".repeat(DEPTH),
        "}\n".repeat(DEPTH)
    );
    let dir = Dir::with_main(&body);
    refused("nested blocks", &dir.run(&["plan"]), "Error:");
    refused("nested blocks", &dir.run(&["fmt", "-check"]), "Error:");
}

#[test]
fn deeply_nested_json_configuration_is_refused() {
    let dir = Dir::new();
    dir.write("main.tf", PROVIDER);
    dir.write(
        "extra.tf.json",
        &format!(
            "{{\"locals\": {{\"x\": {}1{}}}}}",
            "[".repeat(DEPTH),
            "]".repeat(DEPTH)
        ),
    );
    let plan = dir.run(&["plan"]);
    refused("nested JSON", &plan, "JSON nested too deeply");
    assert!(plan.stderr.contains("extra.tf.json line 1"), "a position");
}

#[test]
fn huge_files_are_refused_without_being_read_whole() {
    // 50 MB of configuration.
    let dir = Dir::with_main(PROVIDER);
    let line = "# padding padding padding padding padding padding padding padding\n";
    let big = line.repeat(50 * 1024 * 1024 / line.len());
    dir.write("huge.tf", &big);
    let plan = dir.run(&["plan"]);
    refused("50 MB .tf", &plan, "huge.tf is too large");
    refused("50 MB .tf", &dir.run(&["validate"]), "too large");
    refused("50 MB .tf", &dir.run(&["fmt", "-check"]), "too large");
    std::fs::remove_file(dir.join("huge.tf")).unwrap();

    // 50 MB of variables, in terraform.tfvars and through -var-file.
    dir.write(
        "main.tf",
        &format!("{PROVIDER}\nvariable \"v\" {{\n  type    = string\n  default = \"x\"\n}}\n"),
    );
    dir.write("big.tfvars", &big);
    refused(
        "50 MB -var-file",
        &dir.run(&["plan", "-var-file=big.tfvars"]),
        "too large",
    );
    std::fs::rename(dir.join("big.tfvars"), dir.join("terraform.tfvars")).unwrap();
    refused("50 MB terraform.tfvars", &dir.run(&["plan"]), "too large");
    std::fs::remove_file(dir.join("terraform.tfvars")).unwrap();

    // A 50 MB file read by file().
    dir.write("blob.txt", &big);
    dir.write(
        "main.tf",
        &format!("{PROVIDER}\nlocals {{\n  blob = file(\"blob.txt\")\n}}\nresource \"trellis_test_thing\" \"t\" {{\n  name  = \"t\"\n  value = local.blob\n}}\n"),
    );
    refused("file() of 50 MB", &dir.run(&["plan"]), "larger than");
    assert!(!dir.exists(".trellis"));
}

#[test]
fn hostile_plan_files_are_refused() {
    let dir = Dir::with_main(PROVIDER);
    for (name, text) in [
        (
            "nested.plan",
            format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
        ),
        ("garbage.plan", "\u{1}\u{2}not json at all".to_string()),
        (
            "truncated.plan",
            "{\"format_version\": 1, \"changes\": [".to_string(),
        ),
        (
            "huge.plan",
            format!(
                "{{\"format_version\": 1, \"pad\": \"{}\"}}",
                "x".repeat(50 * 1024 * 1024)
            ),
        ),
    ] {
        dir.write(name, &text);
        refused(
            name,
            &dir.run(&["show", name]),
            "is not a trellis plan file",
        );
        refused(name, &dir.run(&["apply", name]), "Error:");
        assert!(!dir.exists(".trellis/state/db") || name != "nested.plan");
    }
}
