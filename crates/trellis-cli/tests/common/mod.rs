//! Shared helpers of the CLI integration tests: a temporary working directory with `.tf`
//! files, runs of the real `trellis` binary in it (always with `-no-color`), and a look into
//! the in-memory provider's world file.
//!
//! Every test gets its own directory, so tests run in parallel without seeing each other.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The provider block every case uses: the in-memory provider, persisting its world to
/// `world.json` in the working directory so that consecutive processes share it.
pub const PROVIDER: &str = "provider \"trellis\" {\n  store = \"world.json\"\n}\n";

/// A temporary working directory for one test.
pub struct Dir {
    tmp: tempfile::TempDir,
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Stdout and stderr together, for assertions that do not care which stream.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Panics with both streams unless the run exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "expected exit code {code}, got {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn ok(&self) -> &Run {
        self.expect_code(0)
    }

    #[track_caller]
    pub fn contains(&self, needle: &str) -> &Run {
        assert!(
            self.all().contains(needle),
            "expected output to contain {needle:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts that one line of the output contains every part, in order, whatever the
    /// alignment padding between them.
    #[track_caller]
    pub fn line(&self, parts: &[&str]) -> &Run {
        let all = self.all();
        let found = all.lines().any(|line| {
            let mut rest = line;
            parts.iter().all(|part| match rest.find(part) {
                Some(i) => {
                    rest = &rest[i + part.len()..];
                    true
                }
                None => false,
            })
        });
        assert!(
            found,
            "expected a line with {parts:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn lacks(&self, needle: &str) -> &Run {
        assert!(
            !self.all().contains(needle),
            "expected output not to contain {needle:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// A directory holding `main.tf` with `text` (prefixed by nothing: callers add
    /// [`PROVIDER`] when they need the world file).
    pub fn with_main(text: &str) -> Dir {
        let dir = Dir::new();
        dir.write("main.tf", text);
        dir
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        let path = self.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directories");
        }
        std::fs::write(path, text).expect("write a test file");
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.join(name)).expect("read a test file")
    }

    pub fn exists(&self, name: &str) -> bool {
        self.join(name).exists()
    }

    /// A `Command` for the binary in this directory, with a clean environment of trellis
    /// variables so that the developer's own settings do not leak in.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trellis"));
        cmd.arg("-no-color")
            .args(args)
            .current_dir(self.path())
            .stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().to_string();
            if key.starts_with("TF_VAR_") || key.starts_with("TRELLIS_") || key == "TF_CLI_ARGS" {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).output().expect("run trellis").into()
    }

    /// Runs the binary with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run trellis").into()
    }

    /// `apply -auto-approve` with extra arguments, expected to succeed.
    #[track_caller]
    pub fn apply(&self, extra: &[&str]) -> Run {
        let mut args = vec!["apply", "-auto-approve"];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        run.ok();
        run
    }

    /// The in-memory provider's world, parsed.
    pub fn world(&self) -> serde_json::Value {
        if !self.exists("world.json") {
            return serde_json::json!({ "objects": {} });
        }
        serde_json::from_str(&self.read("world.json")).expect("world.json is JSON")
    }

    /// The objects of the world of one type, as (id, value) pairs.
    pub fn objects(&self, type_name: &str) -> Vec<(String, serde_json::Value)> {
        let world = self.world();
        world["objects"]
            .as_object()
            .map(|objects| {
                objects
                    .iter()
                    .filter(|(_, o)| o["type_name"] == type_name)
                    .map(|(id, o)| (id.clone(), o["value"].clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The object of a type with this `name` attribute, if any.
    pub fn object_named(&self, type_name: &str, name: &str) -> Option<serde_json::Value> {
        self.objects(type_name)
            .into_iter()
            .map(|(_, v)| v)
            .find(|v| v["name"] == name)
    }

    /// Rewrites the world file through `f` (a change made outside trellis).
    pub fn edit_world(&self, f: impl FnOnce(&mut serde_json::Value)) {
        let mut world = self.world();
        f(&mut world);
        self.write(
            "world.json",
            &serde_json::to_string_pretty(&world).expect("encode world"),
        );
    }

    /// The addresses `trellis state list` prints.
    #[track_caller]
    pub fn state_list(&self) -> Vec<String> {
        let run = self.run(&["state", "list"]);
        run.ok();
        run.stdout.lines().map(str::to_string).collect()
    }

    /// `trellis state pull`, parsed.
    #[track_caller]
    pub fn state_json(&self) -> serde_json::Value {
        let run = self.run(&["state", "pull"]);
        run.ok();
        serde_json::from_str(&run.stdout).expect("state pull prints JSON")
    }
}

/// The byte offset of the first `needle` in `text`, for order assertions; panics if absent.
pub fn position(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not found in:\n{text}"))
}
