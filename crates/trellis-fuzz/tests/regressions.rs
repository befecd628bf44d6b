//! Replays every input under `tests/regressions/TARGET/` through the fuzz target's function,
//! plus the repository's own configuration, state and plan fixtures as seeds. A crash a
//! fuzzer finds is saved there (see docs/reliability.md) and must keep passing.

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn replay(target: &str, run: fn(&[u8]), seeds: &[&str]) {
    let mut inputs = files(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/regressions")
            .join(target),
    );
    for seed in seeds {
        inputs.extend(files(&root().join(seed)));
    }
    assert!(!inputs.is_empty(), "{target}: inputs to replay");
    for input in inputs {
        let bytes = std::fs::read(&input).expect("read an input");
        // A panic fails the test and names the input.
        let result = std::panic::catch_unwind(|| run(&bytes));
        assert!(result.is_ok(), "{target} panicked on {}", input.display());
    }
}

#[test]
fn config_parse_regressions() {
    replay(
        "config_parse",
        trellis_fuzz::config_parse,
        &["testdata/config", "testdata/cli/malformed", "examples"],
    );
}

#[test]
fn config_eval_regressions() {
    replay(
        "config_eval",
        trellis_fuzz::config_eval,
        &["testdata/cli/malformed", "examples/in-memory"],
    );
}

#[test]
fn config_modules_regressions() {
    replay(
        "config_modules",
        trellis_fuzz::config_modules,
        &["testdata/cli/malformed", "examples/in-memory"],
    );
}

#[test]
fn state_record_regressions() {
    replay(
        "state_record",
        trellis_fuzz::state_record,
        &["testdata/state"],
    );
}

#[test]
fn plan_file_regressions() {
    replay("plan_file", trellis_fuzz::plan_file, &[]);
}
