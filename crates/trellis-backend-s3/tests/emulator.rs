//! The S3 store, lock and conditional writes against the emulator's S3 (moto plus our
//! conditional-write guard), through the real aws-sdk-s3 client.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use trellis_backend_s3::{S3Backend, S3Settings, S3Store};
use trellis_emulator::Emulator;
use trellis_state::{LockInfo, ResourceState, StateError, StateStore};
use trellis_types::{Address, Value};

fn start() -> Emulator {
    // Every test uses the same static keys (the emulator's default account).
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    Emulator::start().expect("emulator starts")
}

fn settings(emulator: &Emulator, key: &str) -> S3Settings {
    let mut map = BTreeMap::new();
    map.insert("bucket".to_string(), "state".to_string());
    map.insert("key".to_string(), key.to_string());
    map.insert("region".to_string(), "us-east-1".to_string());
    map.insert(
        "endpoints.s3".to_string(),
        emulator.endpoint_url().to_string(),
    );
    map.insert("encrypt".to_string(), "true".to_string());
    S3Settings::from_map(&map).unwrap()
}

fn backend(emulator: &Emulator, key: &str) -> Arc<S3Backend> {
    let backend = S3Backend::connect(settings(emulator, key)).unwrap();
    make_bucket(emulator);
    backend
}

fn make_bucket(emulator: &Emulator) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = emulator
            .sdk_config(trellis_emulator::DEFAULT_ACCOUNT, "us-east-1")
            .await
            .unwrap();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        let _ = s3.create_bucket().bucket("state").send().await;
    });
}

fn resource(name: &str) -> ResourceState {
    let address = Address::parse(&format!("trellis_test_thing.{name}")).unwrap();
    ResourceState {
        address,
        type_name: "trellis_test_thing".to_string(),
        provider: "trellis_test".to_string(),
        schema_version: 0,
        value: Value::Map(BTreeMap::from([(
            "name".to_string(),
            Value::String(name.to_string()),
        )])),
        sensitive_paths: Vec::new(),
        dependencies: Vec::new(),
        create_before_destroy: false,
        private: None,
    }
}

fn puts(emulator: &Emulator) -> u64 {
    emulator.call_count("s3", "PutObject").unwrap()
}

#[test]
fn each_change_is_one_small_put_and_finish_folds_the_journal() {
    let emulator = start();
    let backend = backend(&emulator, "mesh/prod.state");
    assert!(!backend.state_exists().unwrap());
    let store = S3Store::open(&backend).unwrap();
    assert!(
        backend.state_exists().unwrap(),
        "open for writing creates the state"
    );
    let lineage = store.meta().unwrap().lineage;
    let meta = store.begin_write().unwrap();
    assert_eq!(meta.serial, 1);
    emulator.reset_calls().unwrap();
    for name in ["a", "b", "c"] {
        store.put_resource(&resource(name)).unwrap();
    }
    assert_eq!(puts(&emulator), 3, "one PutObject per change");
    assert_eq!(emulator.call_count("s3", "GetObject").unwrap(), 0);
    store
        .remove_resource(&Address::parse("trellis_test_thing.b").unwrap())
        .unwrap();
    store.finish().unwrap();
    // A reader sees the snapshot only: the journal is gone.
    let reader = S3Store::open_existing(&backend).unwrap().unwrap();
    assert_eq!(reader.recovery().entries, 0);
    let state = reader.load().unwrap();
    assert_eq!(state.meta.lineage, lineage);
    assert_eq!(state.meta.serial, 1);
    let names: Vec<String> = state.resources.keys().map(|a| a.to_string()).collect();
    assert_eq!(names, ["trellis_test_thing.a", "trellis_test_thing.c"]);
}

#[test]
fn a_killed_writer_leaves_its_changes_and_the_next_writer_folds_them() {
    let emulator = start();
    let backend = backend(&emulator, "crash.state");
    {
        let store = S3Store::open(&backend).unwrap();
        store.begin_write().unwrap();
        store.put_resource(&resource("done")).unwrap();
        // No finish, no destructor: the process "dies" here.
        std::mem::forget(store);
    }
    let reader = S3Store::open_existing(&backend).unwrap().unwrap();
    assert_eq!(reader.recovery().entries, 2, "meta and the resource");
    assert!(reader.load().unwrap().resources.len() == 1);
    let writer = S3Store::open(&backend).unwrap();
    assert_eq!(writer.recovery().entries, 2);
    assert_eq!(writer.meta().unwrap().serial, 1);
    // The writer folded the journal into the snapshot at once.
    let again = S3Store::open_existing(&backend).unwrap().unwrap();
    assert_eq!(again.recovery(), Default::default());
    assert_eq!(again.load().unwrap().resources.len(), 1);
    assert_eq!(again.meta().unwrap().serial, 1);
}

#[test]
fn a_snapshot_write_that_loses_the_etag_race_is_refused() {
    let emulator = start();
    let backend = backend(&emulator, "race.state");
    S3Store::open(&backend).unwrap();
    // Two runners read the same version (as after a lock was forced away).
    let first = S3Store::open(&backend).unwrap();
    let second = S3Store::open(&backend).unwrap();
    first.begin_write().unwrap();
    first.put_resource(&resource("first")).unwrap();
    first.finish().unwrap();
    second.begin_write().unwrap();
    second.put_resource(&resource("second")).unwrap();
    match second.finish() {
        Err(StateError::Conflict { .. }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut state = second.load().unwrap();
    state.resources.clear();
    assert!(matches!(
        second.replace_all(&state),
        Err(StateError::Conflict { .. })
    ));
    // The first runner's state stands; the loser's stale journal is skipped by serial.
    let reader = S3Store::open_existing(&backend).unwrap().unwrap();
    let names: Vec<String> = reader
        .load()
        .unwrap()
        .resources
        .keys()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(names, ["trellis_test_thing.first"]);
    assert_eq!(reader.recovery().skipped, 2);
}

#[test]
fn the_lock_names_its_holder_and_is_released_on_drop() {
    let emulator = start();
    let backend = backend(&emulator, "lock.state");
    let held = backend.lock("apply", Duration::ZERO).unwrap();
    match backend.lock("plan", Duration::ZERO) {
        Err(StateError::Locked(holder)) => {
            assert_eq!(holder.id, held.info().id);
            assert_eq!(holder.operation, "apply");
            assert_eq!(holder.pid, std::process::id());
        }
        other => panic!("expected locked, got {other:?}"),
    }
    // A waiter with a timeout gets it once the holder lets go.
    let waiter = {
        let backend = backend.clone();
        std::thread::spawn(move || {
            backend
                .lock("plan", Duration::from_secs(30))
                .map(|l| l.info().clone())
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    drop(held);
    let got = waiter.join().unwrap().unwrap();
    assert_eq!(got.operation, "plan");
    assert!(
        backend.read_lock().unwrap().is_none(),
        "the waiter's guard was dropped too"
    );
}

#[test]
fn force_unlock_removes_a_stale_lock_only_with_its_id() {
    let emulator = start();
    let backend = backend(&emulator, "stale.state");
    // A lock object left by a process of this host that no longer runs.
    let mut dead = std::process::Command::new("true").spawn().unwrap();
    let pid = dead.id();
    dead.wait().unwrap();
    let mut info = LockInfo::for_this_process("apply").unwrap();
    info.pid = pid;
    {
        let lock = backend.lock("apply", Duration::ZERO).unwrap();
        let id = lock.info().id.clone();
        // Alive holder (this process): refused.
        assert!(matches!(
            backend.force_unlock(&id),
            Err(StateError::LockHolderAlive(_))
        ));
        std::mem::forget(lock);
    }
    // Overwrite the lock object with the dead holder's description.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = emulator
            .sdk_config(trellis_emulator::DEFAULT_ACCOUNT, "us-east-1")
            .await
            .unwrap();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.put_object()
            .bucket("state")
            .key("stale.state.tflock")
            .body(serde_json::to_vec(&info).unwrap().into())
            .send()
            .await
            .unwrap();
    });
    assert!(info.holder_is_gone());
    assert!(
        matches!(backend.lock("plan", Duration::ZERO), Err(StateError::Locked(h)) if h.id == info.id)
    );
    assert!(matches!(
        backend.force_unlock("not-the-id"),
        Err(StateError::LockIdMismatch { .. })
    ));
    backend.force_unlock(&info.id).unwrap();
    assert!(backend.read_lock().unwrap().is_none());
    assert!(matches!(
        backend.force_unlock(&info.id),
        Err(StateError::NotLocked { .. })
    ));
    backend.lock("plan", Duration::ZERO).unwrap();
}

#[test]
fn kms_encryption_settings_reach_every_object() {
    let emulator = start();
    let mut settings = settings(&emulator, "kms.state");
    settings.kms_key_id = Some("alias/trellis-state".to_string());
    let backend = S3Backend::connect(settings).unwrap();
    make_bucket(&emulator);
    let store = S3Store::open(&backend).unwrap();
    store.begin_write().unwrap();
    let _lock = backend.lock("apply", Duration::ZERO).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let heads = rt.block_on(async {
        let config = emulator
            .sdk_config(trellis_emulator::DEFAULT_ACCOUNT, "us-east-1")
            .await
            .unwrap();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        let listed = s3
            .list_objects_v2()
            .bucket("state")
            .prefix("kms.state")
            .send()
            .await
            .unwrap();
        let mut heads = Vec::new();
        for object in listed.contents() {
            let key = object.key().unwrap().to_string();
            let head = s3
                .head_object()
                .bucket("state")
                .key(&key)
                .send()
                .await
                .unwrap();
            heads.push((
                key,
                head.server_side_encryption()
                    .map(|e| e.as_str().to_string()),
                head.ssekms_key_id().map(String::from),
            ));
        }
        heads
    });
    // The snapshot, the journal entry of the serial and the lock object.
    assert_eq!(heads.len(), 3, "{heads:?}");
    for (key, sse, kms) in heads {
        assert_eq!(sse.as_deref(), Some("aws:kms"), "{key}");
        assert!(
            kms.unwrap_or_default().contains("alias/trellis-state"),
            "{key}"
        );
    }
}

#[test]
fn concurrent_lock_attempts_have_exactly_one_winner() {
    let emulator = start();
    let backend = backend(&emulator, "contended.state");
    for _round in 0..3 {
        let barrier = Arc::new(std::sync::Barrier::new(6));
        let attempts: Vec<_> = (0..6)
            .map(|_| {
                let backend = backend.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    backend.lock("apply", Duration::ZERO)
                })
            })
            .collect();
        let results: Vec<_> = attempts.into_iter().map(|t| t.join().unwrap()).collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "{results:?}");
        for result in &results {
            if let Err(e) = result {
                assert!(matches!(e, StateError::Locked(_)), "{e:?}");
            }
        }
        drop(results);
        assert!(
            backend.read_lock().unwrap().is_none(),
            "released with the winner's guard"
        );
    }
}
