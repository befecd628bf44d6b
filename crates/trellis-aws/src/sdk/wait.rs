//! Waiting for asynchronous AWS work: polling a status with backoff, and deletes retried
//! while the service answers that something still depends on the object.

use std::future::Future;
use std::time::{Duration, Instant};

use trellis_provider::{ErrorKind, ProviderError};

/// What one look at an asynchronous status says.
pub enum Poll<T = ()> {
    Ready(T),
    Pending,
    Failed(String),
}

/// Polls `check` with backoff until it is ready, failed, or `limit` has passed.
pub async fn wait_for<T, F, Fut>(
    what: &str,
    limit: Duration,
    mut check: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, ProviderError>>,
{
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(50);
    loop {
        match check().await? {
            Poll::Ready(v) => return Ok(v),
            Poll::Failed(reason) => {
                return Err(ProviderError::new(
                    ErrorKind::Other,
                    format!("{what}: {reason}"),
                ))
            }
            Poll::Pending => {}
        }
        if Instant::now() >= deadline {
            return Err(ProviderError::new(
                ErrorKind::Timeout,
                format!("timed out after {}s waiting for {what}", limit.as_secs()),
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// Runs a delete call, retrying conflicts (an association, a network interface or a create
/// still in progress: Lattice's ConflictException, EC2's DependencyViolation) with backoff
/// until `limit`. NotFound is success: the object is gone already.
pub async fn delete_retrying<F, Fut>(limit: Duration, mut call: F) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ProviderError>>,
{
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_millis(100);
    loop {
        match call().await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) if e.kind == ErrorKind::Conflict && Instant::now() < deadline => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}
