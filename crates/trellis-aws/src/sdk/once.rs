//! Creates that AWS cannot make idempotent: EC2's `CreateVpc`, `CreateSubnet`,
//! `CreateSecurityGroup` and `AuthorizeSecurityGroup{Ingress,Egress}`, and Route53's
//! `CreateHostedZone` and `ChangeResourceRecordSets` with `CREATE`.
//!
//! The SDK retries a server error by sending the call again. When the error came back after
//! the call was performed (a 5xx from a front end after the back end acted, a timeout, a lost
//! connection), the second call makes a duplicate (a second VPC) or fails with "already
//! exists" (a security group, a record). So these calls go out with the SDK's retries off and
//! [`create`] retries them itself: after a refusal (throttling: nothing was done) it sends
//! again; after an answer that may follow a performed call it first looks for the object the
//! call would have made, and takes it if found. The look-up is the type's settle, the same
//! one the planner runs for a create whose outcome a crash hid.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_vpclattice::config::http::HttpResponse;
use aws_sdk_vpclattice::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_vpclattice::operation::RequestId;
use trellis_provider::ProviderError;

use crate::sdk::error::sdk;

/// The retry configuration to put on a call that [`create`] retries itself.
pub fn no_sdk_retries() -> RetryConfig {
    RetryConfig::disabled()
}

/// How many times [`create`] sends a call and how long it waits in between: the client's
/// own retry settings (`max_retries` of the provider block), so that both paths agree.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Policy {
    pub fn of(config: Option<&RetryConfig>) -> Policy {
        let standard = RetryConfig::standard();
        let config = config.unwrap_or(&standard);
        Policy {
            max_attempts: config.max_attempts().max(1),
            initial_backoff: config.initial_backoff(),
            max_backoff: config.max_backoff(),
        }
    }

    /// Full jitter, as the SDK's standard strategy: a random wait below the exponential cap.
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_backoff);
        let draw = RandomState::new().build_hasher().finish() as f64 / u64::MAX as f64;
        cap.mul_f64(draw)
    }
}

/// What an error says about whether the call was performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Refused before anything was done (throttling): send again.
    Refused,
    /// Perhaps performed: look before sending again.
    Unknown,
    /// A real answer (validation, conflict, access denied): give up.
    Failed,
}

/// Error codes by which AWS services refuse a call for its rate.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
    "SlowDown",
];

pub fn outcome<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Outcome {
    match err {
        SdkError::ServiceError(e) => {
            if e.err().code().is_some_and(|c| THROTTLING.contains(&c)) {
                Outcome::Refused
            } else if e.raw().status().is_server_error() {
                Outcome::Unknown
            } else {
                Outcome::Failed
            }
        }
        SdkError::ConstructionFailure(_) => Outcome::Failed,
        // The request may have reached AWS: a timeout, a lost connection, a garbled answer.
        _ => Outcome::Unknown,
    }
}

/// What [`create`] got: the call's own answer, or the object a performed call left.
#[derive(Debug)]
pub enum Created<O, F> {
    Sent(O),
    Found(F),
}

/// Sends `send` (built with [`no_sdk_retries`]) up to `policy.max_attempts` times; after an
/// [`Outcome::Unknown`] failure, runs `lookup` first and returns what it finds.
pub async fn create<O, E, F, S, SF, L, LF>(
    policy: Policy,
    mut send: S,
    mut lookup: L,
) -> Result<Created<O, F>, ProviderError>
where
    E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
    S: FnMut() -> SF,
    SF: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    L: FnMut() -> LF,
    LF: Future<Output = Result<Option<F>, ProviderError>>,
{
    let mut attempt = 1;
    loop {
        let err = match send().await {
            Ok(o) => return Ok(Created::Sent(o)),
            Err(err) => err,
        };
        let outcome = outcome(&err);
        if outcome == Outcome::Failed || attempt >= policy.max_attempts {
            return Err(sdk(err));
        }
        tokio::time::sleep(policy.backoff(attempt)).await;
        if outcome == Outcome::Unknown {
            if let Some(found) = lookup().await? {
                return Ok(Created::Found(found));
            }
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_below_the_cap() {
        let policy = Policy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
        };
        for attempt in 1..8 {
            let cap = Duration::from_millis((100u64 << (attempt - 1)).min(300));
            assert!(policy.backoff(attempt) <= cap, "attempt {attempt}");
        }
    }

    #[test]
    fn the_policy_follows_the_client_retry_config() {
        let config = RetryConfig::standard().with_max_attempts(7);
        assert_eq!(Policy::of(Some(&config)).max_attempts, 7);
        assert_eq!(Policy::of(Some(&RetryConfig::disabled())).max_attempts, 1);
    }
}
