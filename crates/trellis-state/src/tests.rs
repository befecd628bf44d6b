//! Tests of the sled store, the lock, snapshots and backups, against real files in
//! temporary directories. Two-process tests re-run this test binary as the other process
//! (see [`child_process_entry`]).

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::testing::{
    address, sample_deposed, sample_intent, sample_outputs, sample_resource, sample_state,
};
use crate::*;

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Checks that `dir` and everything below it is owner-only.
fn assert_owner_only(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_owner_only(&path);
        } else {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}

fn state_dir(tmp: &tempfile::TempDir) -> PathBuf {
    tmp.path().join(".trellis").join("state")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/state")
}

/// Writes a raw value under `key`, bypassing the store (as damage or an old trellis would).
fn poke(dir: &Path, key: &str, value: &[u8]) {
    let db = crate::store::open_sled(dir).unwrap();
    db.insert(key, value).unwrap();
    db.flush().unwrap();
}

fn expect_corrupt(err: StateError, needle: &str) {
    match &err {
        StateError::Corrupt { .. } => assert!(err.to_string().contains(needle), "{err}"),
        other => panic!("expected corrupt naming {needle}, got {other:?}"),
    }
}

// ---------------------------------------------------------------- store

#[test]
fn open_creates_a_fresh_owner_only_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    assert!(SledStore::open_existing(&dir).unwrap().is_none());
    assert!(!dir.exists(), "open_existing must not create anything");

    let store = SledStore::open(&dir).unwrap();
    let meta = store.meta().unwrap();
    assert_eq!(meta.serial, 0);
    assert_eq!(meta.lineage.len(), 32);
    assert!(meta.lineage.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        store.load().unwrap(),
        State {
            meta: meta.clone(),
            ..State::default()
        }
    );
    store.put_resource(&sample_resource("aws_x.y")).unwrap();
    drop(store);

    assert_owner_only(&tmp.path().join(".trellis"));
    // No temporary directory is left beside the store.
    let names: Vec<_> = fs::read_dir(tmp.path().join(".trellis"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state"]);

    let again = SledStore::open_existing(&dir).unwrap().unwrap();
    assert_eq!(again.meta().unwrap(), meta);

    let other = tempfile::tempdir().unwrap();
    let other = SledStore::open(&state_dir(&other)).unwrap();
    assert_ne!(other.meta().unwrap().lineage, meta.lineage);
}

#[test]
fn records_round_trip_through_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    let expected = {
        let store = SledStore::open(&dir).unwrap();
        let meta = store.begin_write().unwrap();
        assert_eq!(meta.serial, 1);
        assert_eq!(store.begin_write().unwrap().serial, 2);
        let state = sample_state();
        for resource in state.resources.values() {
            store.put_resource(resource).unwrap();
        }
        for intent in state.intents.values() {
            store.put_intent(intent).unwrap();
        }
        store.put_outputs(&state.outputs).unwrap();
        // Overwrite one record: the later put wins.
        let mut changed = sample_resource("aws_vpclattice_service.orders");
        changed.schema_version = 2;
        store.put_resource(&changed).unwrap();
        let mut expected = state;
        expected.meta = store.meta().unwrap();
        expected.resources.insert(changed.address.clone(), changed);
        assert_eq!(store.load().unwrap(), expected);
        expected
    };
    let store = SledStore::open(&dir).unwrap();
    assert_eq!(store.load().unwrap(), expected);

    let gone = address("aws_vpclattice_listener.l[0]");
    store.remove_resource(&gone).unwrap();
    store.remove_resource(&gone).unwrap(); // absent is fine
    store
        .remove_intent(&address("aws_vpclattice_service.payments"))
        .unwrap();
    drop(store);
    let state = SledStore::open(&dir).unwrap().load().unwrap();
    assert!(!state.resources.contains_key(&gone));
    assert_eq!(state.resources.len(), expected.resources.len() - 1);
    assert!(state.intents.is_empty());
    assert_eq!(state.outputs, sample_outputs());
}

#[test]
fn a_batch_is_applied_in_order_and_settles_intents() {
    let tmp = tempfile::tempdir().unwrap();
    let store = SledStore::open(&state_dir(&tmp)).unwrap();
    store.put_intent(&sample_intent("aws_x.a")).unwrap();
    store.put_resource(&sample_resource("aws_x.old")).unwrap();
    store
        .write_batch(&[
            StateWrite::PutIntent(sample_intent("aws_x.b")),
            StateWrite::PutResource(sample_resource("aws_x.a")),
            StateWrite::RemoveResource(address("aws_x.old")),
            StateWrite::PutIntent(sample_intent("aws_x.c")),
            StateWrite::RemoveIntent(address("aws_x.c")),
        ])
        .unwrap();
    drop(store);
    // Durable: a fresh open sees exactly the batch's outcome.
    let state = SledStore::open(&state_dir(&tmp)).unwrap().load().unwrap();
    assert_eq!(
        state.resources.keys().collect::<Vec<_>>(),
        [&address("aws_x.a")]
    );
    assert_eq!(
        state.intents.keys().collect::<Vec<_>>(),
        [&address("aws_x.b")]
    );
}

#[test]
fn replace_all_installs_exactly_the_given_state() {
    let tmp = tempfile::tempdir().unwrap();
    let store = SledStore::open(&state_dir(&tmp)).unwrap();
    store.begin_write().unwrap();
    store.put_resource(&sample_resource("aws_old.one")).unwrap();
    store.put_intent(&sample_intent("aws_old.two")).unwrap();
    store.put_outputs(&BTreeMap::new()).unwrap();

    let mut target = sample_state();
    target.meta.lineage = "restored-lineage".to_string();
    target.meta.serial = 41;
    store.replace_all(&target).unwrap();
    assert_eq!(store.load().unwrap(), target);
    assert_eq!(store.begin_write().unwrap().serial, 42);

    store.replace_all(&State::default()).unwrap();
    assert_eq!(store.load().unwrap(), State::default());
}

#[test]
fn writes_from_many_threads_all_land() {
    let tmp = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SledStore::open(&state_dir(&tmp)).unwrap());
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    store
                        .put_resource(&sample_resource(&format!("aws_x.t{t}[{i}]")))
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(store.load().unwrap().resources.len(), 200);
}

/// The cost of a write must not grow with the state: a put reads no other record and
/// rewrites none. Shown by damaging one record and then writing others: the puts still
/// succeed (they never decode it) and its bytes stay as they were (they never rewrite it).
#[test]
fn put_touches_only_its_own_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    let store = SledStore::open(&dir).unwrap();
    for i in 0..500 {
        store
            .put_resource(&sample_resource(&format!("aws_x.n[{i}]")))
            .unwrap();
    }
    let before: BTreeMap<_, _> = store
        .db_for_tests()
        .iter()
        .map(|kv| kv.unwrap())
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    drop(store);
    poke(&dir, "r/aws_x.n[7]", b"\x01{damaged");

    let store = SledStore::open(&dir).unwrap();
    store.begin_write().unwrap();
    store.put_resource(&sample_resource("aws_x.n[3]")).unwrap();
    store.put_resource(&sample_resource("aws_x.new")).unwrap();
    store.put_intent(&sample_intent("aws_x.other")).unwrap();
    store.remove_resource(&address("aws_x.n[4]")).unwrap();
    store.put_outputs(&sample_outputs()).unwrap();

    let after: BTreeMap<_, _> = store
        .db_for_tests()
        .iter()
        .map(|kv| kv.unwrap())
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect();
    let touched: Vec<String> = before
        .keys()
        .chain(after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    assert_eq!(
        touched,
        [
            "i/aws_x.other",
            "meta",
            "outputs",
            "r/aws_x.n[4]",
            "r/aws_x.n[7]",
            "r/aws_x.new",
            "seq"
        ],
        "n[7] differs from `before` only because the test damaged it; `seq` counts flushes"
    );
    assert_eq!(after[b"r/aws_x.n[7]".as_slice()], b"\x01{damaged");
    // put_resource of n[3] wrote the same bytes it had: it is not in `touched`, yet was
    // written, which the load below confirms is readable.
    expect_corrupt(store.load().unwrap_err(), "r/aws_x.n[7]");
}

// ---------------------------------------------------------------- damaged state

#[test]
fn damaged_record_is_an_error_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    {
        let store = SledStore::open(&dir).unwrap();
        store.put_resource(&sample_resource("aws_x.good")).unwrap();
    }
    poke(&dir, "r/aws_x.bad", b"\x01not json");
    let store = SledStore::open(&dir).unwrap();
    // Meta is intact, so the store opens; loading the state fails and names the key.
    let err = store.load().unwrap_err();
    expect_corrupt(err, "r/aws_x.bad");
    drop(store);

    // A record filed under another address.
    poke(
        &dir,
        "r/aws_x.bad",
        &encode_record(&sample_resource("aws_x.elsewhere")),
    );
    let err = SledStore::open(&dir).unwrap().load().unwrap_err();
    assert!(err.to_string().contains("aws_x.elsewhere"), "{err}");

    // A record from a newer trellis.
    let mut newer = encode_record(&sample_intent("aws_x.i"));
    newer[0] = 7;
    poke(&dir, "r/aws_x.bad", &sample_resource_bytes());
    poke(&dir, "i/aws_x.i", &newer);
    let err = SledStore::open(&dir).unwrap().load().unwrap_err();
    assert!(
        matches!(&err, StateError::UnsupportedVersion { what, found: 7, .. } if what.contains("i/aws_x.i")),
        "{err:?}"
    );
}

fn sample_resource_bytes() -> Vec<u8> {
    encode_record(&sample_resource("aws_x.bad"))
}

#[test]
fn damaged_meta_stops_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    drop(SledStore::open(&dir).unwrap());
    poke(&dir, "meta", b"\x01{}");
    expect_corrupt(SledStore::open(&dir).unwrap_err(), "meta");
    expect_corrupt(SledStore::open_existing(&dir).unwrap_err(), "meta");

    let db = crate::store::open_sled(&dir).unwrap();
    db.remove("meta").unwrap();
    db.flush().unwrap();
    drop(db);
    expect_corrupt(SledStore::open(&dir).unwrap_err(), "meta");
}

#[test]
fn damaged_directory_is_never_an_empty_state() {
    // An empty directory, or one whose database file is gone.
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    fs::create_dir_all(&dir).unwrap();
    expect_corrupt(SledStore::open(&dir).unwrap_err(), "state");
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing created in it"
    );

    drop(fs::remove_dir(&dir));
    drop(SledStore::open(&dir).unwrap());
    fs::remove_file(dir.join("db")).unwrap();
    expect_corrupt(SledStore::open(&dir).unwrap_err(), "missing file db");

    // A file where the directory should be.
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    expect_corrupt(SledStore::open(&file).unwrap_err(), "file");

    // Garbage over the database file and over the config file.
    for victim in ["db", "conf"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = state_dir(&tmp);
        {
            let store = SledStore::open(&dir).unwrap();
            store.begin_write().unwrap();
            for i in 0..50 {
                store
                    .put_resource(&sample_resource(&format!("aws_x.n[{i}]")))
                    .unwrap();
            }
        }
        let path = dir.join(victim);
        let len = fs::metadata(&path).unwrap().len() as usize;
        fs::write(&path, vec![0xA5u8; len.max(64)]).unwrap();
        match SledStore::open(&dir) {
            Err(StateError::Corrupt { .. }) => {}
            Err(other) => panic!("{victim}: expected corrupt, got {other:?}"),
            Ok(store) => {
                // Whatever sled recovers, it must not pass for a smaller state silently
                // turned empty.
                let state = store.load();
                panic!(
                    "{victim}: damaged store opened: {:?}",
                    state.map(|s| s.resources.len())
                );
            }
        }
    }
}

/// A stored record of version 1 decodes to the sample it was made from and re-encodes to
/// the same bytes. `TRELLIS_UPDATE_FIXTURES=1` rewrites the files (only ever for a new
/// version's fixtures: old versions' files must stay as they are).
fn check_record_fixture<T: Record + PartialEq + std::fmt::Debug>(name: &str, sample: &T) {
    let path = fixtures().join(name);
    if std::env::var_os("TRELLIS_UPDATE_FIXTURES").is_some() {
        fs::write(&path, encode_record(sample)).unwrap();
    }
    let stored = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(stored[0], 1, "{name} is a version 1 record");
    let decoded: T = decode_record(&stored).unwrap();
    assert_eq!(&decoded, sample, "{name} decodes to the sample");
    assert_eq!(
        encode_record(&decoded),
        stored,
        "{name} re-encodes identically"
    );
}

#[test]
fn record_fixtures_decode_and_encode_identically() {
    check_record_fixture("meta-v1.record", &sample_state().meta);
    check_record_fixture(
        "resource-v1.record",
        &sample_resource("module.net[\"eu\"].aws_vpclattice_service.orders[\"a.b\"]"),
    );
    check_record_fixture(
        "intent-v1.record",
        &sample_intent("aws_vpclattice_service.payments"),
    );
    check_record_fixture("outputs-v1.record", &sample_outputs());
    check_record_fixture(
        "deposed-v1.record",
        &sample_deposed(
            "module.net[\"eu\"].aws_vpclattice_target_group.tg[\"a/b\"]",
            "1a2b3c4d",
        ),
    );
}

// ---------------------------------------------------------------- deposed objects

#[test]
fn deposing_moves_the_current_object_aside_in_one_write_and_survives_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    // An instance key with a slash: the deposed key goes first in the sled key.
    let addr = "aws_vpclattice_target_group.tg[\"a/b\"]";
    let old = sample_resource(addr);
    let deposed = DeposedObject {
        key: "1a2b3c4d".to_string(),
        object: old.clone(),
    };
    {
        let store = SledStore::open(&dir).unwrap();
        store.begin_write().unwrap();
        store.put_resource(&old).unwrap();
        store
            .write_batch(&[
                StateWrite::PutDeposed(deposed.clone()),
                StateWrite::RemoveResource(old.address.clone()),
            ])
            .unwrap();
        let state = store.load().unwrap();
        assert!(state.resources.is_empty());
        assert_eq!(state.deposed_objects().collect::<Vec<_>>(), [&deposed]);
    }
    let store = SledStore::open(&dir).unwrap();
    let mut state = store.load().unwrap();
    assert_eq!(state.deposed[&old.address]["1a2b3c4d"], deposed);
    // A second deposed object of the same address is kept beside the first.
    let second = sample_deposed(addr, "00ff00ff");
    store.put_deposed(&second).unwrap();
    state.insert_deposed(second.clone());
    assert_eq!(store.load().unwrap(), state);
    store
        .write_batch(&[StateWrite::RemoveDeposed {
            address: old.address.clone(),
            key: "1a2b3c4d".to_string(),
        }])
        .unwrap();
    state.remove_deposed(&old.address, "1a2b3c4d");
    assert_eq!(store.load().unwrap(), state);
    store.remove_deposed(&old.address, "00ff00ff").unwrap();
    assert!(store.load().unwrap().deposed.is_empty());
    // Absent ones are not an error.
    store.remove_deposed(&old.address, "00ff00ff").unwrap();
}

#[test]
fn deposed_records_are_checked_against_their_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    let store = SledStore::open(&dir).unwrap();
    let deposed = sample_deposed("aws_x.y", "1a2b3c4d");
    store
        .db_for_tests()
        .insert("d/99999999/aws_x.y", encode_record(&deposed))
        .unwrap();
    let err = store.load().unwrap_err();
    assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("d/99999999/aws_x.y"), "{err}");
}

#[test]
fn replace_all_keeps_and_drops_deposed_objects() {
    let tmp = tempfile::tempdir().unwrap();
    let store = SledStore::open(&state_dir(&tmp)).unwrap();
    store
        .put_deposed(&sample_deposed("aws_x.gone", "0000000a"))
        .unwrap();
    let mut state = sample_state();
    state.meta = store.meta().unwrap();
    state.insert_deposed(sample_deposed("aws_x.kept", "0000000b"));
    store.replace_all(&state).unwrap();
    assert_eq!(store.load().unwrap(), state);
}

#[test]
fn snapshots_carry_deposed_objects_and_refuse_bad_keys() {
    let mut state = sample_state();
    let plain = to_json(&state);
    assert!(
        !plain.contains("deposed"),
        "no deposed key when there are none"
    );
    state.insert_deposed(sample_deposed("aws_x.y", "1a2b3c4d"));
    let text = to_json(&state);
    assert_eq!(from_json(&text).unwrap(), state);
    let bad = text.replace("1a2b3c4d", "xyz");
    let err = from_json(&bad).unwrap_err();
    assert!(err.to_string().contains("deposed key"), "{err}");
}

#[test]
fn new_deposed_keys_have_terraforms_form() {
    let key = crate::new_deposed_key().unwrap();
    assert!(crate::is_deposed_key(&key), "{key}");
    assert!(!crate::is_deposed_key("1A2B3C4D"));
    assert!(!crate::is_deposed_key("1a2b3c4"));
}

// ---------------------------------------------------------------- snapshots

#[test]
fn snapshot_round_trips_and_is_stable() {
    let state = sample_state();
    let text = to_json(&state);
    assert_eq!(from_json(&text).unwrap(), state);
    assert_eq!(to_json(&from_json(&text).unwrap()), text);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "format_version",
            "lineage",
            "serial",
            "trellis_version",
            "resources",
            "intents",
            "outputs"
        ]
    );
    assert_eq!(json["format_version"], 1);
    let addresses: Vec<_> = json["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| Address::parse(r["address"].as_str().unwrap()).unwrap())
        .collect();
    let mut sorted = addresses.clone();
    sorted.sort();
    assert_eq!(addresses, sorted);
    // State holds secrets: the snapshot carries them in the clear.
    assert!(text.contains("s3cr3t-planted-value"));

    let path = fixtures().join("snapshot-v1.json");
    if std::env::var_os("TRELLIS_UPDATE_FIXTURES").is_some() {
        fs::write(&path, &text).unwrap();
    }
    let stored = fs::read_to_string(&path).unwrap();
    assert_eq!(to_json(&from_json(&stored).unwrap()), stored);
    assert_eq!(from_json(&stored).unwrap(), state);
}

use trellis_types::Address;

#[test]
fn snapshot_refuses_what_it_cannot_read() {
    let text = to_json(&sample_state());
    let newer = text.replacen("\"format_version\": 1", "\"format_version\": 2", 1);
    assert!(matches!(
        from_json(&newer).unwrap_err(),
        StateError::UnsupportedVersion {
            found: 2,
            supported: 1,
            ..
        }
    ));
    for bad in [
        "",
        "[]",
        "{}",
        "{\"version\": 4, \"terraform_version\": \"1.9.0\", \"resources\": []}",
        "{\"format_version\": 1}",
        "{\"format_version\": 1, \"lineage\": \"l\", \"serial\": 1, \"extra\": true}",
    ] {
        assert!(
            matches!(from_json(bad), Err(StateError::Corrupt { .. })),
            "{bad}"
        );
    }
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let first = json["resources"][0].clone();
    json["resources"].as_array_mut().unwrap().push(first);
    let err = from_json(&json.to_string()).unwrap_err();
    assert!(err.to_string().contains("twice"), "{err}");
}

// ---------------------------------------------------------------- backups

#[test]
fn backups_rotate_and_stay_owner_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(".trellis").join("backups");
    assert!(list_backups(&dir).unwrap().is_empty());
    let mut state = sample_state();
    let mut written = Vec::new();
    for serial in 1..=12 {
        state.meta.serial = serial;
        written.push(write_backup(&dir, &state, 10).unwrap());
    }
    fs::write(dir.join("notes.txt"), "not a backup").unwrap();
    let backups = list_backups(&dir).unwrap();
    assert_eq!(
        backups.iter().map(|b| b.serial).collect::<Vec<_>>(),
        (3..=12).collect::<Vec<_>>()
    );
    assert_eq!(
        backups.iter().map(|b| b.path.clone()).collect::<Vec<_>>(),
        written[2..]
    );
    assert!(backups
        .windows(2)
        .all(|w| w[0].created_at_ms < w[1].created_at_ms));
    assert!(!written[0].exists() && !written[1].exists());
    assert_eq!(read_backup(&backups[9].path).unwrap(), state);
    fs::remove_file(dir.join("notes.txt")).unwrap();
    assert_owner_only(&dir);

    // keep = 0 still keeps the backup just written.
    let only = write_backup(&dir, &state, 0).unwrap();
    assert_eq!(list_backups(&dir).unwrap().len(), 1);
    assert!(only.exists());

    fs::write(&only, "{ damaged").unwrap();
    expect_corrupt(read_backup(&only).unwrap_err(), "backup");
}

// ---------------------------------------------------------------- lock, one process

#[test]
fn lock_excludes_then_releases() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(".trellis").join("state.lock");
    let guard = acquire_lock(&path, "apply", Duration::ZERO).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(read_lock(&path).unwrap().as_ref(), Some(guard.info()));
    let info = guard.info().clone();
    assert_eq!(info.pid, std::process::id());
    assert_eq!(info.operation, "apply");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.id.len(), 32);
    assert!(guard.replaced_stale().is_none());

    // flock is per open file, so a second acquire in this process is excluded too.
    let started = Instant::now();
    let err = acquire_lock(&path, "plan", Duration::from_millis(250)).unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(250));
    match &err {
        StateError::Locked(holder) => assert_eq!(**holder, info),
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&format!("pid {}", info.pid)), "{message}");
    assert!(message.contains("apply"), "{message}");
    assert!(message.contains(&info.host), "{message}");

    // A live holder in this process cannot be forced.
    assert!(matches!(
        force_unlock(&path, &info.id).unwrap_err(),
        StateError::LockHolderAlive(_)
    ));
    assert!(matches!(
        force_unlock(&path, "nope").unwrap_err(),
        StateError::LockIdMismatch { .. }
    ));

    drop(guard);
    assert!(!path.exists(), "the guard removes the lock file");
    assert!(read_lock(&path).unwrap().is_none());
    assert!(matches!(
        force_unlock(&path, &info.id).unwrap_err(),
        StateError::NotLocked { .. }
    ));
    let again = acquire_lock(&path, "plan", Duration::ZERO).unwrap();
    assert_ne!(again.info().id, info.id);
}

#[test]
fn stale_lock_file_is_taken_over_or_force_unlocked() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("state.lock");
    // A lock file as a killed process leaves it: info inside, no flock held.
    let dead = LockInfo {
        id: "deadbeef".to_string(),
        pid: dead_pid(),
        host: hostname::get().unwrap().to_string_lossy().into_owned(),
        operation: "apply".to_string(),
        who: "ci@runner".to_string(),
        created_at: 1_714_564_800,
        version: "0.0.1".to_string(),
    };
    fs::write(&path, serde_json::to_vec(&dead).unwrap()).unwrap();
    assert_eq!(read_lock(&path).unwrap(), Some(dead.clone()));
    let guard = acquire_lock(&path, "apply", Duration::ZERO).unwrap();
    assert_eq!(guard.replaced_stale(), Some(&dead));
    drop(guard);

    fs::write(&path, serde_json::to_vec(&dead).unwrap()).unwrap();
    assert!(matches!(
        force_unlock(&path, "other").unwrap_err(),
        StateError::LockIdMismatch { .. }
    ));
    force_unlock(&path, "deadbeef").unwrap();
    assert!(!path.exists());
}

/// A pid that is not running: a child that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

// ---------------------------------------------------------------- two processes

const CHILD_ENV: &str = "TRELLIS_STATE_TEST_CHILD";
const CHILD_PATH_ENV: &str = "TRELLIS_STATE_TEST_PATH";

/// The other process of the two-process tests: this test binary run again with
/// `CHILD_ENV` set (run directly, it has nothing to do). It prints `READY <lock id>` once it
/// holds what it was asked to hold, then waits: for its stdin to close (`hold-lock`) or to
/// be killed (`hold-lock-hang`, `write-hang`, `write-loop`, which writes until then).
#[test]
fn child_process_entry() {
    let Ok(role) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = PathBuf::from(std::env::var(CHILD_PATH_ENV).unwrap());
    let mut out = std::io::stdout();
    match role.as_str() {
        "hold-lock" | "hold-lock-hang" => {
            let guard = acquire_lock(&path, "apply", Duration::ZERO).unwrap();
            writeln!(out, "READY {}", guard.info().id).unwrap();
            out.flush().unwrap();
            if role == "hold-lock" {
                // Returns at EOF, when the parent drops our stdin.
                let _ = std::io::stdin().lines().count();
                drop(guard);
                return;
            }
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        "write-hang" => {
            let store = SledStore::open(&path).unwrap();
            store.begin_write().unwrap();
            for i in 0..50 {
                store
                    .put_resource(&sample_resource(&format!("aws_x.k[{i}]")))
                    .unwrap();
            }
            store.put_intent(&sample_intent("aws_x.pending")).unwrap();
            writeln!(out, "READY -").unwrap();
            out.flush().unwrap();
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        "write-loop" => {
            let store = SledStore::open(&path).unwrap();
            store.begin_write().unwrap();
            store.put_resource(&sample_resource("aws_x.n[0]")).unwrap();
            writeln!(out, "READY -").unwrap();
            out.flush().unwrap();
            for i in 1.. {
                store
                    .put_resource(&sample_resource(&format!("aws_x.n[{i}]")))
                    .unwrap();
            }
        }
        other => panic!("unknown child role {other}"),
    }
}

/// Starts the child in `role` and waits for it to be ready; returns its lock id.
fn spawn_child(role: &str, path: &Path) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "tests::child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, role)
        .env(CHILD_PATH_ENV, path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout: ChildStdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let id = loop {
        let line = lines
            .next()
            .expect("child exited before it was ready")
            .unwrap();
        // libtest prints the test name on the same line, before our output.
        if let Some((_, id)) = line.split_once("READY ") {
            break id.trim().to_string();
        }
    };
    // Keep reading, so the child never writes into a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, id)
}

#[test]
fn second_process_is_refused_naming_the_holder_then_gets_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(".trellis").join("state.lock");
    let (mut child, id) = spawn_child("hold-lock", &path);

    let err = acquire_lock(&path, "plan", Duration::from_millis(300)).unwrap_err();
    let StateError::Locked(holder) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(holder.pid, child.id());
    assert_eq!(holder.id, id);
    assert_eq!(holder.operation, "apply");
    assert_eq!(holder.host, hostname::get().unwrap().to_string_lossy());
    let message = err.to_string();
    assert!(
        message.contains(&format!("pid {}", child.id())),
        "{message}"
    );

    // The holder is alive: force-unlock refuses and says who holds it.
    let err = force_unlock(&path, &id).unwrap_err();
    assert!(matches!(err, StateError::LockHolderAlive(_)), "{err:?}");
    assert!(
        err.to_string().contains(&format!("pid {}", child.id())),
        "{err}"
    );

    // Waiting: the child lets go after a moment, and the waiting acquire gets the lock.
    let stdin = child.stdin.take().unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(stdin);
    });
    let guard = acquire_lock(&path, "plan", Duration::from_secs(20)).unwrap();
    assert!(child.wait().unwrap().success());
    releaser.join().unwrap();
    assert_eq!(guard.info().pid, std::process::id());
    // The child released cleanly, so nothing stale was found.
    assert!(guard.replaced_stale().is_none());
}

#[test]
fn lock_of_a_killed_process_is_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("state.lock");

    // Taken over by the next acquire.
    let (mut child, id) = spawn_child("hold-lock-hang", &path);
    assert!(acquire_lock(&path, "plan", Duration::ZERO).is_err());
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        read_lock(&path).unwrap().unwrap().id,
        id,
        "the file stays behind"
    );
    let guard = acquire_lock(&path, "plan", Duration::ZERO).unwrap();
    assert_eq!(
        guard.replaced_stale().map(|i| i.id.as_str()),
        Some(id.as_str())
    );
    drop(guard);

    // Or removed by force-unlock.
    let (mut child, id) = spawn_child("hold-lock-hang", &path);
    child.kill().unwrap();
    child.wait().unwrap();
    force_unlock(&path, &id).unwrap();
    assert!(!path.exists());
}

#[test]
fn writes_survive_a_kill() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    let (mut child, _) = spawn_child("write-hang", &dir);
    child.kill().unwrap();
    child.wait().unwrap();
    let state = SledStore::open(&dir).unwrap().load().unwrap();
    assert_eq!(state.meta.serial, 1);
    assert_eq!(state.resources.len(), 50);
    assert_eq!(state.intents.len(), 1);
}

#[test]
fn meta_check_compares_lineage_then_serial() {
    let a = sample_state().meta;
    assert!(check_meta(&a, &a).is_ok());
    let mut b = a.clone();
    b.serial += 1;
    assert!(matches!(
        check_meta(&a, &b),
        Err(StateError::SerialMismatch {
            expected: 7,
            found: 8
        })
    ));
    b.lineage = "other".to_string();
    assert!(matches!(
        check_meta(&a, &b),
        Err(StateError::LineageMismatch { .. })
    ));
}

// ---------------------------------------------------------------- high-water mark

/// Copies a state directory (sled's files and the mark) to `to`.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

/// A store of `n` resources written one flush each, closed; returns its state.
fn written_store(dir: &Path, n: usize) -> State {
    let store = SledStore::open(dir).unwrap();
    store.begin_write().unwrap();
    for i in 0..n {
        store
            .put_resource(&sample_resource(&format!("aws_x.n[{i}]")))
            .unwrap();
    }
    store.load().unwrap()
}

fn truncate(path: &Path, len: u64) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// sled reads a log cut short inside its data as a crash before the lost writes; the
/// high-water mark makes that an error naming the directory and both flush numbers, never an
/// older state.
#[test]
fn log_cut_short_inside_its_data_is_found_by_the_high_water_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    let full = written_store(&dir, 300);
    // One flush for begin_write, one per resource.
    let flushes = 301;
    let len = fs::metadata(dir.join("db")).unwrap().len();
    // The intact copy opens as it was.
    let control = tempfile::tempdir().unwrap();
    copy_dir(&dir, &state_dir(&control));
    assert_eq!(
        SledStore::open(&state_dir(&control))
            .unwrap()
            .load()
            .unwrap(),
        full
    );

    let mut failures = Vec::new();
    for cut in [
        len / 20,
        len / 5,
        len * 2 / 5,
        len * 3 / 5,
        len * 4 / 5,
        len * 19 / 20,
        len - 64,
    ] {
        let other = tempfile::tempdir().unwrap();
        let copy = state_dir(&other);
        copy_dir(&dir, &copy);
        truncate(&copy.join("db"), cut);
        match SledStore::open(&copy) {
            Err(
                ref err @ StateError::RolledBack {
                    ref dir,
                    expected,
                    found,
                    ..
                },
            ) => {
                let message = err.to_string();
                if *dir != copy
                    || expected != flushes
                    || found >= expected
                    || !message.contains(&copy.display().to_string())
                    || !message.contains(&format!("flush {expected}"))
                    || !message.contains(&format!("flush {found}"))
                {
                    failures.push(format!("cut at {cut} of {len}: {message}"));
                }
            }
            Err(other) => failures.push(format!("cut at {cut} of {len}: {other:?}")),
            Ok(store) => failures.push(format!(
                "cut at {cut} of {len}: opened, with {:?} of 300 resources",
                store.load().map(|s| s.resources.len())
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The crash windows of the mark: sled ahead of it (a kill between sled's flush and the
/// mark's write) and a torn slot (a kill during the mark's write) are not damage, and the
/// next opening moves the mark up; a mark with no valid slot, or none at all once the store
/// has flushed, is damage.
#[test]
fn high_water_mark_crash_windows_and_damage() {
    use crate::mark::{Found, Mark};
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    let full = written_store(&dir, 20);
    let flushes = 21;
    assert_eq!(Mark::read(&dir).unwrap(), Found::Seq(flushes));

    // Killed after sled's flush, before the mark's write.
    Mark::create(&dir, flushes - 1).unwrap();
    assert_eq!(SledStore::open(&dir).unwrap().load().unwrap(), full);
    assert_eq!(Mark::read(&dir).unwrap(), Found::Seq(flushes), "caught up");

    // Killed while writing the mark: the slot of `flushes` is torn, the other holds the one
    // before.
    let slot = (flushes % 2) * 64;
    let mut bytes = fs::read(Mark::path(&dir)).unwrap();
    bytes[slot as usize + 30..slot as usize + 64].fill(0);
    fs::write(Mark::path(&dir), &bytes).unwrap();
    assert_eq!(Mark::read(&dir).unwrap(), Found::Seq(flushes - 1));
    assert_eq!(SledStore::open(&dir).unwrap().load().unwrap(), full);
    assert_eq!(
        Mark::read(&dir).unwrap(),
        Found::Seq(flushes),
        "rewritten whole"
    );

    // Both slots damaged, the file cut short, the file deleted: damage, named.
    fs::write(Mark::path(&dir), vec![b'x'; 128]).unwrap();
    expect_corrupt(SledStore::open(&dir).unwrap_err(), "high-water mark");
    truncate(&Mark::path(&dir), 100);
    expect_corrupt(SledStore::open(&dir).unwrap_err(), "high-water mark");
    fs::remove_file(Mark::path(&dir)).unwrap();
    expect_corrupt(SledStore::open(&dir).unwrap_err(), "is missing");

    // A store of a trellis from before the mark (no `seq`, no file) gets one, and from then
    // on every flush moves it.
    let db = crate::store::open_sled(&dir).unwrap();
    db.remove("seq").unwrap();
    db.flush().unwrap();
    drop(db);
    let store = SledStore::open(&dir).unwrap();
    assert_eq!(store.load().unwrap(), full);
    assert_eq!(Mark::read(&dir).unwrap(), Found::Seq(0));
    store.put_resource(&sample_resource("aws_x.later")).unwrap();
    assert_eq!(Mark::read(&dir).unwrap(), Found::Seq(1));
    drop(store);
    assert_owner_only(&tmp.path().join(".trellis"));
}

/// Kills at many moments of a writing process never leave a store that looks damaged: what
/// opens is the state as of some flush, every acknowledged write included.
#[test]
fn kills_at_any_moment_never_look_like_damage() {
    let mut failures = Vec::new();
    for delay_ms in [0, 1, 2, 3, 5, 8, 13, 21] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = state_dir(&tmp);
        let (mut child, _) = spawn_child("write-loop", &dir);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        match SledStore::open(&dir).and_then(|s| s.load()) {
            Ok(state) => {
                // The child writes n[0], n[1], ... in order: what survives is a prefix.
                let n = state.resources.len();
                let prefix = (0..n).all(|i| {
                    state
                        .resources
                        .contains_key(&address(&format!("aws_x.n[{i}]")))
                });
                if n == 0 || !prefix {
                    failures.push(format!(
                        "killed after {delay_ms} ms: {n} resources, prefix {prefix}"
                    ));
                }
            }
            Err(e) => failures.push(format!("killed after {delay_ms} ms: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A mark write that fails stops this handle's writes: writing on would overwrite the other
/// slot, perhaps the only valid one. What sled made durable stays, and the next open (the
/// mark behind sled, as after a kill) moves the mark up.
#[test]
fn a_failed_mark_write_stops_further_writes_and_the_store_reopens() {
    use crate::mark::{Found, Mark};
    let tmp = tempfile::tempdir().unwrap();
    let dir = state_dir(&tmp);
    written_store(&dir, 3);
    let before = Mark::read(&dir).unwrap();
    let mut store = SledStore::open(&dir).unwrap();
    store.break_mark_for_tests();
    store.begin_write().unwrap_err();
    let err = store
        .put_resource(&sample_resource("aws_x.late"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("high-water mark could not be written"),
        "{err}"
    );
    assert_eq!(Mark::read(&dir).unwrap(), before, "no slot was touched");
    drop(store);
    // The three records made durable before are there (the refused write may be too:
    // its insert reached sled before the flush was refused, and an error promises only
    // that durability is not known).
    let reopened = SledStore::open(&dir).unwrap().load().unwrap();
    for i in 0..3 {
        assert!(reopened
            .resources
            .contains_key(&address(&format!("aws_x.n[{i}]"))));
    }
    assert!(matches!(Mark::read(&dir).unwrap(), Found::Seq(n) if Found::Seq(n) != before));
}
