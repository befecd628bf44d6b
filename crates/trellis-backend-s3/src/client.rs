//! The S3 client and the runtime it runs on.
//!
//! The state trait is synchronous (sled's writes are), and the CLI calls it from inside its
//! own tokio runtime, where blocking on a future of that runtime would deadlock or panic.
//! So the backend owns a small runtime of its own: each call is spawned there and the
//! calling thread waits for its answer on a channel.

use std::future::Future;
use std::sync::mpsc;

use aws_config::BehaviorVersion;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use trellis_state::StateError;

use crate::settings::S3Settings;

/// A runtime that is shut down without blocking when dropped (dropping a runtime inside
/// another one's async context would panic).
pub(crate) struct Rt {
    rt: Option<tokio::runtime::Runtime>,
}

impl Rt {
    pub(crate) fn new() -> Result<Rt, StateError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("trellis-s3")
            .enable_all()
            .build()
            .map_err(|e| StateError::Remote {
                what: "s3 backend".to_string(),
                detail: format!("cannot start its runtime: {e}"),
            })?;
        Ok(Rt { rt: Some(rt) })
    }

    /// Runs `future` on this runtime and waits for its output on the calling thread.
    pub(crate) fn run<F>(&self, future: F) -> Result<F::Output, StateError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let rt = self.rt.as_ref().expect("runtime present until drop");
        rt.spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv().map_err(|_| StateError::Remote {
            what: "s3 backend".to_string(),
            detail: "a call to S3 was abandoned".to_string(),
        })
    }
}

impl Drop for Rt {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Builds the S3 client: the SDK's default chain (environment, profile, instance role),
/// narrowed by the settings.
#[allow(deprecated)]
pub(crate) async fn build_client(settings: &S3Settings) -> aws_sdk_s3::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if !settings.shared_config_files.is_empty() || !settings.shared_credentials_files.is_empty() {
        // The newer names live in aws-runtime, which is not a dependency of ours.
        #[allow(deprecated)]
        use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
        let mut files = ProfileFiles::builder();
        for f in &settings.shared_config_files {
            files = files.with_file(ProfileFileKind::Config, f);
        }
        for f in &settings.shared_credentials_files {
            files = files.with_file(ProfileFileKind::Credentials, f);
        }
        loader = loader.profile_files(files.build());
    }
    let sdk = loader.load().await;
    let mut s3 = aws_sdk_s3::config::Builder::from(&sdk);
    if let Some(role) = &settings.assume_role {
        let sts_config = match &settings.endpoint_sts {
            Some(endpoint) => sdk.to_builder().endpoint_url(endpoint).build(),
            None => sdk.clone(),
        };
        let mut provider = aws_config::sts::AssumeRoleProvider::builder(&role.role_arn)
            .session_name(
                role.session_name
                    .clone()
                    .unwrap_or_else(|| "trellis-state".to_string()),
            )
            .configure(&sts_config);
        if let Some(id) = &role.external_id {
            provider = provider.external_id(id);
        }
        if let Some(duration) = role.duration {
            provider = provider.session_length(duration);
        }
        s3 = s3.credentials_provider(provider.build().await);
    }
    let custom_endpoint = settings.endpoint_s3.is_some()
        || sdk.endpoint_url().is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    if let Some(endpoint) = &settings.endpoint_s3 {
        s3 = s3.endpoint_url(endpoint);
    }
    s3 = s3.force_path_style(settings.use_path_style.unwrap_or(custom_endpoint));
    if let Some(retries) = settings.max_retries {
        s3 = s3.retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(retries.saturating_add(1)),
        );
    }
    if settings.skip_s3_checksum {
        use aws_sdk_s3::config::{RequestChecksumCalculation, ResponseChecksumValidation};
        s3 = s3
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    }
    aws_sdk_s3::Client::from_conf(s3.build())
}

/// What an S3 call answered, reduced to what the backend acts on.
#[derive(Debug)]
pub(crate) enum Failure {
    /// 404 NoSuchKey / NotFound.
    NotFound,
    /// 412 PreconditionFailed: an `If-None-Match` or `If-Match` condition did not hold.
    Precondition,
    /// 409 ConditionalRequestConflict: another write to the object was in flight.
    Conflict,
    Other(String),
}

pub(crate) fn classify<E, R>(err: SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
{
    let status = err.raw_response().map(|r| r.status());
    let code = err.code().map(str::to_string);
    match (status, code.as_deref()) {
        // A missing bucket is a configuration error, never "no state yet".
        (_, Some("NoSuchBucket")) => Failure::Other(describe(&err)),
        (_, Some("NoSuchKey")) | (Some(404), _) => Failure::NotFound,
        (_, Some("PreconditionFailed")) | (Some(412), _) => Failure::Precondition,
        (_, Some("ConditionalRequestConflict")) | (Some(409), _) => Failure::Conflict,
        _ => Failure::Other(describe(&err)),
    }
}

/// The status code of a raw response.
pub(crate) trait HasStatus {
    fn status(&self) -> u16;
}

impl HasStatus for aws_sdk_s3::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => aws_sdk_s3::error::DisplayErrorContext(err).to_string(),
    }
}

pub(crate) fn remote(what: impl Into<String>, failure: Failure) -> StateError {
    StateError::Remote {
        what: what.into(),
        detail: match failure {
            Failure::NotFound => "not found".to_string(),
            Failure::Precondition => "precondition failed".to_string(),
            Failure::Conflict => "a conflicting write was in progress".to_string(),
            Failure::Other(detail) => detail,
        },
    }
}
