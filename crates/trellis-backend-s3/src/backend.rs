//! The connection to one state location, its object operations, and the lock object.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectCannedAcl, ServerSideEncryption};
use trellis_state::{LockInfo, StateError};

use crate::client::{build_client, classify, remote, Failure, Rt};
use crate::settings::S3Settings;

/// How often a waiting lock acquisition tries again.
const LOCK_RETRY_EVERY: Duration = Duration::from_millis(500);

/// One state location in S3: the client, its runtime and the settings. Cheap to share.
pub struct S3Backend {
    pub(crate) rt: Rt,
    pub(crate) client: aws_sdk_s3::Client,
    pub(crate) settings: S3Settings,
}

impl std::fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Backend")
            .field("url", &self.settings.url())
            .finish()
    }
}

/// An object read: its bytes and ETag.
pub(crate) struct Object {
    pub bytes: Vec<u8>,
    pub etag: String,
}

/// The condition of a write.
#[derive(Debug, Clone)]
pub(crate) enum Condition {
    /// `If-None-Match: *`: create only.
    Absent,
    /// `If-Match: ETAG`: overwrite only that version.
    Matches(String),
}

impl S3Backend {
    /// Builds the client (no call is made yet).
    pub fn connect(settings: S3Settings) -> Result<Arc<S3Backend>, StateError> {
        let rt = Rt::new()?;
        let for_client = settings.clone();
        let client = rt.run(async move { build_client(&for_client).await })?;
        Ok(Arc::new(S3Backend {
            rt,
            client,
            settings,
        }))
    }

    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    pub(crate) fn url_of(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.settings.bucket)
    }

    /// The bytes of the object `key` of the bucket, `None` when there is none: for readers
    /// of another configuration's state (`terraform_remote_state`), which may be
    /// Terraform's.
    pub fn read_object(&self, key: &str) -> Result<Option<Vec<u8>>, StateError> {
        Ok(self.get(key)?.map(|o| o.bytes))
    }

    pub(crate) fn get(&self, key: &str) -> Result<Option<Object>, StateError> {
        let request = self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(key);
        let what = self.url_of(key);
        self.rt.run(async move {
            match request.send().await {
                Ok(out) => {
                    let etag = out.e_tag().unwrap_or_default().to_string();
                    let bytes = out
                        .body
                        .collect()
                        .await
                        .map_err(|e| StateError::Remote {
                            what: what.clone(),
                            detail: format!("reading the body: {e}"),
                        })?
                        .into_bytes()
                        .to_vec();
                    Ok(Some(Object { bytes, etag }))
                }
                Err(e) => match classify(e) {
                    Failure::NotFound => Ok(None),
                    other => Err(remote(what, other)),
                },
            }
        })?
    }

    pub(crate) fn exists(&self, key: &str) -> Result<bool, StateError> {
        let request = self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(key);
        let what = self.url_of(key);
        self.rt.run(async move {
            match request.send().await {
                Ok(_) => Ok(true),
                Err(e) => match classify(e) {
                    Failure::NotFound => Ok(false),
                    other => Err(remote(what, other)),
                },
            }
        })?
    }

    /// Writes an object under a condition, with the backend's encryption and ACL. Returns
    /// the new ETag, or the failure (412, 409, 404 on an `If-Match` of a missing key).
    pub(crate) fn put(
        &self,
        key: &str,
        body: Vec<u8>,
        condition: Option<Condition>,
    ) -> Result<Result<String, Failure>, StateError> {
        let s = &self.settings;
        let mut request = self
            .client
            .put_object()
            .bucket(&s.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body));
        request = match condition {
            Some(Condition::Absent) => request.if_none_match("*"),
            Some(Condition::Matches(etag)) => request.if_match(etag),
            None => request,
        };
        if s.encrypt {
            request = match &s.kms_key_id {
                Some(kms) => request
                    .server_side_encryption(ServerSideEncryption::AwsKms)
                    .ssekms_key_id(kms),
                None => request.server_side_encryption(ServerSideEncryption::Aes256),
            };
        }
        if let Some(acl) = &s.acl {
            request = request.acl(ObjectCannedAcl::from(acl.as_str()));
        }
        self.rt.run(async move {
            match request.send().await {
                Ok(out) => Ok(out.e_tag().unwrap_or_default().to_string()),
                Err(e) => Err(classify(e)),
            }
        })
    }

    /// Deletes one object, only if it is still the version `etag`. Absent is fine.
    pub(crate) fn delete_if(
        &self,
        key: &str,
        etag: &str,
    ) -> Result<Result<(), Failure>, StateError> {
        let client = self.client.clone();
        let bucket = self.settings.bucket.clone();
        let key = key.to_string();
        let etag = etag.to_string();
        self.rt.run(async move {
            let conditional = client
                .delete_object()
                .bucket(&bucket)
                .key(&key)
                .if_match(&etag)
                .send()
                .await;
            let failure = match conditional {
                Ok(_) => return Ok(()),
                Err(e) => classify(e),
            };
            match failure {
                Failure::NotFound => Ok(()),
                // A store without conditional deletes: compare the ETag first, then delete.
                // The gap between the two is the one race left, and only there.
                Failure::Other(detail) if detail.starts_with("NotImplemented") => {
                    let head = client.head_object().bucket(&bucket).key(&key).send().await;
                    match head {
                        Ok(out) if out.e_tag() == Some(etag.as_str()) => client
                            .delete_object()
                            .bucket(&bucket)
                            .key(&key)
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(classify),
                        Ok(_) => Err(Failure::Precondition),
                        Err(e) => match classify(e) {
                            Failure::NotFound => Ok(()),
                            other => Err(other),
                        },
                    }
                }
                other => Err(other),
            }
        })
    }

    /// Every key under `prefix`, sorted.
    pub(crate) fn list(&self, prefix: &str) -> Result<Vec<String>, StateError> {
        let client = self.client.clone();
        let bucket = self.settings.bucket.clone();
        let prefix = prefix.to_string();
        let what = self.url_of(&prefix);
        self.rt.run(async move {
            let mut keys = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let out = client
                    .list_objects_v2()
                    .bucket(&bucket)
                    .prefix(&prefix)
                    .set_continuation_token(token.take())
                    .send()
                    .await
                    .map_err(|e| remote(what.clone(), classify(e)))?;
                keys.extend(
                    out.contents()
                        .iter()
                        .filter_map(|o| o.key().map(String::from)),
                );
                match out.next_continuation_token() {
                    Some(t) if out.is_truncated().unwrap_or(false) => token = Some(t.to_string()),
                    _ => break,
                }
            }
            keys.sort();
            Ok(keys)
        })?
    }

    /// Deletes many objects (1,000 per call).
    pub(crate) fn delete_many(&self, keys: &[String]) -> Result<(), StateError> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        for chunk in keys.chunks(1000) {
            let objects: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| StateError::Remote {
                    what: self.settings.url(),
                    detail: e.to_string(),
                })?;
            let request = self
                .client
                .delete_objects()
                .bucket(&self.settings.bucket)
                .delete(delete);
            let what = self.url_of(&self.settings.journal_prefix());
            self.rt.run(async move {
                request
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| remote(what, classify(e)))
            })??;
        }
        Ok(())
    }

    /// Checks that the bucket exists and that these credentials may list the state's
    /// prefix and read its object (what every command needs first). `trellis init` calls it
    /// so that a wrong bucket or missing permission is reported there.
    pub fn check_access(&self) -> Result<(), StateError> {
        self.list(&self.settings.journal_prefix())?;
        self.state_exists()?;
        Ok(())
    }

    /// Whether the state object exists.
    pub fn state_exists(&self) -> Result<bool, StateError> {
        self.exists(&self.settings.key)
    }

    /// The holder of the lock, if it is locked.
    pub fn read_lock(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.read_lock_object()?.map(|(info, _)| info))
    }

    fn read_lock_object(&self) -> Result<Option<(LockInfo, String)>, StateError> {
        let key = self.settings.lock_key();
        let Some(object) = self.get(&key)? else {
            return Ok(None);
        };
        let info =
            serde_json::from_slice::<LockInfo>(&object.bytes).unwrap_or_else(|_| unknown_holder());
        Ok(Some((info, object.etag)))
    }

    /// Takes the lock: creates `KEY.tflock` with `If-None-Match: *`, holding a [`LockInfo`]
    /// (holder, operation, time). While another process holds it, tries again every 500 ms
    /// until `timeout` has passed, then fails with [`StateError::Locked`] naming the holder.
    pub fn lock(
        self: &Arc<Self>,
        operation: &str,
        timeout: Duration,
    ) -> Result<S3Lock, StateError> {
        let key = self.settings.lock_key();
        let deadline = Instant::now() + timeout;
        loop {
            let info = LockInfo::for_this_process(operation)?;
            let body = serde_json::to_vec_pretty(&info).expect("lock info serializes");
            match self.put(&key, body, Some(Condition::Absent))? {
                Ok(etag) => {
                    let shared = Arc::new(HeldLock {
                        backend: self.clone(),
                        etag,
                        released: AtomicBool::new(false),
                    });
                    held().push(shared.clone());
                    return Ok(S3Lock { info, shared });
                }
                Err(Failure::Precondition) => {
                    if Instant::now() >= deadline {
                        let holder = self.read_lock()?.unwrap_or_else(unknown_holder);
                        return Err(StateError::Locked(Box::new(holder)));
                    }
                }
                // Another write to the lock object was in flight: try again soon.
                Err(Failure::Conflict) => {
                    if Instant::now() >= deadline {
                        let holder = self.read_lock()?.unwrap_or_else(unknown_holder);
                        return Err(StateError::Locked(Box::new(holder)));
                    }
                }
                Err(other) => return Err(remote(self.url_of(&key), other)),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            std::thread::sleep(LOCK_RETRY_EVERY.min(left.max(Duration::from_millis(10))));
        }
    }

    /// Removes the lock object if its id is `id`. Refuses while the holder runs on this
    /// host; a holder on another host cannot be checked, so the operator's word (the id)
    /// is taken, as with Terraform.
    pub fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        let Some((info, etag)) = self.read_lock_object()? else {
            return Err(StateError::NotLocked {
                path: self.url_of(&self.settings.lock_key()).into(),
            });
        };
        if info.id != id {
            return Err(StateError::LockIdMismatch {
                given: id.to_string(),
                holder: Box::new(info),
            });
        }
        if self.is_this_host(&info) && !info.holder_is_gone() {
            return Err(StateError::LockHolderAlive(Box::new(info)));
        }
        match self.delete_if(&self.settings.lock_key(), &etag)? {
            Ok(()) => Ok(info),
            // Replaced between our read and the delete: that is another lock now.
            Err(Failure::Precondition) => Err(StateError::Conflict {
                what: self.url_of(&self.settings.lock_key()),
                detail: "the lock changed hands while it was being removed".to_string(),
            }),
            Err(other) => Err(remote(self.url_of(&self.settings.lock_key()), other)),
        }
    }

    fn is_this_host(&self, info: &LockInfo) -> bool {
        hostname::get()
            .map(|h| h.to_string_lossy() == info.host)
            .unwrap_or(false)
    }
}

fn unknown_holder() -> LockInfo {
    LockInfo {
        id: "unknown".to_string(),
        pid: 0,
        host: "unknown".to_string(),
        operation: "unknown".to_string(),
        who: "unknown".to_string(),
        created_at: 0,
        version: "unknown".to_string(),
    }
}

/// A lock this process holds, as the release-on-exit registry keeps it.
struct HeldLock {
    backend: Arc<S3Backend>,
    etag: String,
    released: AtomicBool,
}

impl HeldLock {
    fn release(&self) -> Result<(), StateError> {
        if self.released.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let key = self.backend.settings.lock_key();
        match self.backend.delete_if(&key, &self.etag)? {
            Ok(()) => Ok(()),
            // Someone force-unlocked and locked again: not ours to delete.
            Err(Failure::Precondition) => Err(StateError::Conflict {
                what: self.backend.url_of(&key),
                detail: "the lock was taken over by another process while this one ran".to_string(),
            }),
            Err(other) => Err(remote(self.backend.url_of(&key), other)),
        }
    }
}

fn held() -> std::sync::MutexGuard<'static, Vec<Arc<HeldLock>>> {
    static HELD: Mutex<Vec<Arc<HeldLock>>> = Mutex::new(Vec::new());
    HELD.lock().unwrap_or_else(|p| p.into_inner())
}

/// Releases every S3 lock this process holds. For exit paths that skip destructors (an
/// interrupted run calling `process::exit`).
pub fn release_held_locks() {
    let locks: Vec<Arc<HeldLock>> = held().drain(..).collect();
    for lock in locks {
        let _ = lock.release();
    }
}

/// The lock object, held until dropped (or [`S3Lock::release`]d).
pub struct S3Lock {
    info: LockInfo,
    shared: Arc<HeldLock>,
}

impl std::fmt::Debug for S3Lock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Lock").field("info", &self.info).finish()
    }
}

impl S3Lock {
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Deletes the lock object (only if it is still the one this process wrote).
    pub fn release(self) -> Result<(), StateError> {
        let result = self.shared.release();
        held().retain(|l| !Arc::ptr_eq(l, &self.shared));
        result
    }
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        let _ = self.shared.release();
        held().retain(|l| !Arc::ptr_eq(l, &self.shared));
    }
}
