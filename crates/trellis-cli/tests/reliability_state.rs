//! State safety through the real binary: a JSON backup before each apply (the last 10
//! kept) that `state restore` brings back; a damaged state directory stops every command
//! with a clear error and is never read as an empty state; state, backups and plan files are
//! readable by their owner only.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{Dir, PROVIDER};

fn config() -> String {
    format!(
        r#"{PROVIDER}
variable "v" {{
  type    = string
  default = "v0"
}}
resource "trellis_test_thing" "a" {{
  name  = "a"
  value = var.v
}}
resource "trellis_test_thing" "b" {{
  name  = "b"
  value = trellis_test_thing.a.computed_value
}}
output "a" {{
  value = trellis_test_thing.a.value
}}
"#
    )
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.clone());
            if p.is_dir() {
                out.extend(walk(&p));
            }
        }
    }
    out
}

fn backups(dir: &Dir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(".trellis/backups"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn value_of_a(dir: &Dir) -> String {
    let pull = dir.run(&["state", "pull"]);
    pull.ok();
    let snapshot: serde_json::Value = serde_json::from_str(&pull.stdout).expect("JSON");
    let a = snapshot["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "trellis_test_thing.a"))
        .cloned()
        .expect("a is in state");
    serde_json::to_string(&a["value"]).unwrap()
}

#[test]
fn backups_keep_the_last_ten_and_state_restore_brings_one_back() {
    let dir = Dir::with_main(&config());
    for i in 0..12 {
        dir.apply(&["-var", &format!("v=v{i}")]);
    }
    let names = backups(&dir);
    assert_eq!(names.len(), 10, "the last 10 are kept: {names:?}");
    for name in &names {
        let text = dir.read(&format!(".trellis/backups/{name}"));
        let snapshot: serde_json::Value = serde_json::from_str(&text).expect("a JSON snapshot");
        assert_eq!(snapshot["format_version"], 1);
    }
    // Listing, then restoring the newest: the state before the last apply (v=v10).
    let list = dir.run(&["state", "restore"]);
    list.ok().contains("Backups (newest last)");
    for name in &names {
        list.contains(name);
    }
    assert!(value_of_a(&dir).contains("v11"));
    let newest = names.last().unwrap();
    dir.run(&["state", "restore", newest])
        .ok()
        .contains("Restored the state");
    assert!(value_of_a(&dir).contains("v10"), "{}", value_of_a(&dir));
    // The restored state is a working state: planning the configuration the world already
    // has (v11) finds the drift by refresh, plans no change to `a` and creates nothing.
    dir.run(&["plan", "-var", "v=v11"])
        .ok()
        .contains("Objects have changed outside of trellis")
        .lacks("trellis_test_thing.a will be")
        .lacks("will be created");
    // Restoring itself made a backup of the state it replaced, so nothing is lost.
    assert_eq!(backups(&dir).len(), 10);
    dir.run(&["state", "restore", "no-such-backup"])
        .expect_code(1)
        .contains("no backup named no-such-backup");
}

/// How far sled's log holds data: sled allocates the file a segment at a time (512 KiB), so
/// the bytes after the last write are zeros, and a cut there loses nothing.
fn data_len(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    bytes
        .iter()
        .rposition(|b| *b != 0)
        .map_or(0, |i| i as u64 + 1)
}

fn truncate(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// Ways a state directory gets damaged, each applied to a freshly applied directory.
fn damage(kind: &str, store: &Path) {
    let db = store.join("db");
    match kind {
        "garbage in every file" => {
            for p in walk(store) {
                if p.is_file() {
                    std::fs::write(&p, b"garbage, not a database").unwrap();
                }
            }
        }
        "db truncated to nothing" => std::fs::write(&db, b"").unwrap(),
        "db deleted" => std::fs::remove_file(&db).unwrap(),
        "conf deleted" => std::fs::remove_file(store.join("conf")).unwrap(),
        "directory emptied" => {
            for p in walk(store) {
                if p.is_file() {
                    std::fs::remove_file(&p).unwrap();
                }
            }
        }
        "directory replaced by a file" => {
            std::fs::remove_dir_all(store).unwrap();
            std::fs::write(store, b"not a directory").unwrap();
        }
        "db cut short inside its data" => truncate(&db, data_len(&db) * 3 / 4),
        "bytes flipped in the db" => {
            let mut bytes = std::fs::read(&db).unwrap();
            let len = bytes.len();
            for i in (0..len).step_by(7) {
                bytes[i] ^= 0x5a;
            }
            std::fs::write(&db, bytes).unwrap();
        }
        other => panic!("unknown damage {other}"),
    }
}

#[test]
fn damaged_state_stops_every_command_and_is_never_empty() {
    let kinds = [
        "garbage in every file",
        "db truncated to nothing",
        "db deleted",
        "conf deleted",
        "directory emptied",
        "directory replaced by a file",
        "bytes flipped in the db",
        "db cut short inside its data",
    ];
    let mut failures = Vec::new();
    for kind in kinds {
        let dir = Dir::with_main(&config());
        dir.apply(&[]);
        let world = dir.read("world.json");
        damage(kind, &dir.join(".trellis/state"));
        for args in [
            &["plan"][..],
            &["apply", "-auto-approve"],
            &["destroy", "-auto-approve"],
            &["state", "list"],
            &["state", "pull"],
            &["show"],
            &["output"],
        ] {
            let run = dir.run(args);
            let clear = run.stderr.contains("state");
            if run.code != 1
                || !clear
                || run.stdout.contains("will be created")
                || run.stdout.contains("The state is empty")
            {
                failures.push(format!(
                    "{kind}: trellis {args:?} exited {}: {run:?}",
                    run.code
                ));
            }
        }
        if dir.read("world.json") != world {
            failures.push(format!("{kind}: the world changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn state_backups_plans_and_locks_are_owner_only() {
    let dir = Dir::with_main(&config());
    dir.apply(&[]);
    dir.apply(&["-var", "v=v1"]);
    dir.run(&["plan", "-out=tf.plan", "-var", "v=v2"]).ok();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut checked = 0;
    let mut wrong = Vec::new();
    for p in walk(&dir.join(".trellis")) {
        let m = mode(&p);
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        if m != want {
            wrong.push(format!("{} is {m:o}, not {want:o}", p.display()));
        }
        checked += 1;
    }
    assert!(
        mode(&dir.join(".trellis")) == 0o700,
        ".trellis is owner-only"
    );
    assert_eq!(mode(&dir.join("tf.plan")), 0o600, "the plan file");
    assert!(
        checked >= 5,
        "state files and backups were checked: {checked}"
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
    // A plan file written over an existing, more open file is made owner-only too.
    std::fs::set_permissions(dir.join("tf.plan"), std::fs::Permissions::from_mode(0o644)).unwrap();
    dir.run(&["plan", "-out=tf.plan"]).ok();
    assert_eq!(mode(&dir.join("tf.plan")), 0o600);
}

fn many_things() -> String {
    format!(
        r#"{PROVIDER}
variable "v" {{
  type    = string
  default = "v0"
}}
resource "trellis_test_thing" "n" {{
  count = 30
  name  = "n${{count.index}}"
  value = var.v
}}
"#
    )
}

/// A state log cut short inside its data opens in sled as an older state; the high-water
/// mark makes every command stop, naming the directory, the flush recorded and the flush
/// found, and pointing to `state restore` and the backups. `state restore` then works: the
/// damaged directory is kept aside and a backup installed, and nothing is created again.
#[test]
fn log_cut_short_inside_its_data_stops_every_command_and_restore_recovers() {
    let dir = Dir::with_main(&many_things());
    dir.apply(&[]);
    dir.apply(&["-var", "v=v1"]);
    let world = dir.read("world.json");
    let store = dir.join(".trellis/state");
    let db = store.join("db");
    let pristine = std::fs::read(&db).unwrap();
    let data = data_len(&db);

    // Where a cut lands decides what sled sees: a log that ends early (it then opens an
    // older state, which the high-water mark refuses) or a torn record (sled itself reports
    // corruption). Which one depends on how the applies' writes were batched. Each cut must
    // stop the command; at least one must be the silent kind that only the mark catches.
    let mut found_by_mark = 0;
    for (num, den) in [(1, 2), (5, 8), (3, 4), (7, 8), (15, 16)] {
        std::fs::write(&db, &pristine).unwrap();
        truncate(&db, data * num / den);
        let run = dir.run(&["plan"]);
        run.expect_code(1)
            .contains("state is damaged: ./.trellis/state: ")
            .contains("trellis state restore")
            .lacks("will be created");
        if run.stderr.contains("its log ends at flush") {
            run.contains("its high-water mark");
            found_by_mark += 1;
        }
    }
    assert!(found_by_mark > 0, "no cut was a rolled-back log");

    for args in [
        &["plan"][..],
        &["apply", "-auto-approve"],
        &["destroy", "-auto-approve"],
        &["state", "list"],
        &["state", "pull"],
        &["show"],
        &["output"],
    ] {
        let run = dir.run(args);
        run.expect_code(1)
            .contains("state is damaged: ./.trellis/state: ")
            .contains("trellis state restore")
            .contains(".trellis/backups")
            .lacks("will be created")
            .lacks("The state is empty");
    }
    assert_eq!(dir.read("world.json"), world, "the world is untouched");

    // Restore the newest backup (the state before the second apply).
    let newest = backups(&dir).last().cloned().expect("a backup");
    dir.run(&["state", "restore", &newest])
        .ok()
        .contains("moved aside to")
        .contains("Restored the state");
    let aside: Vec<String> = std::fs::read_dir(dir.join(".trellis"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("state.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "the damaged directory is kept: {aside:?}");
    assert_eq!(dir.state_list().len(), 30);
    // The world has v1 (the second apply); the restored state has v0, so refresh finds the
    // drift and the plan for v1 creates nothing.
    dir.run(&["plan", "-var", "v=v1"])
        .ok()
        .lacks("will be created");
    dir.apply(&["-var", "v=v2"]);
    assert_eq!(
        dir.objects("trellis_test_thing").len(),
        30,
        "nothing made twice"
    );
}
