//! Maps SDK errors to [`ProviderError`]s: kind by AWS error code, message, code, request id.

use aws_sdk_vpclattice::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_vpclattice::operation::RequestId;
use trellis_provider::{ErrorKind, ProviderError};

/// The error kind for an AWS error code.
pub fn kind_of(code: &str) -> ErrorKind {
    match code {
        "ResourceNotFoundException" | "NotFoundException" => ErrorKind::NotFound,
        "ConflictException" => ErrorKind::Conflict,
        "ValidationException" | "ServiceQuotaExceededException" => ErrorKind::Invalid,
        "AccessDeniedException" | "UnauthorizedException" => ErrorKind::AccessDenied,
        _ => ErrorKind::Other,
    }
}

/// Converts any SDK operation error.
pub fn sdk<E, R>(err: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match err.as_service_error() {
        Some(service) => {
            let code = service.code().unwrap_or("Unknown").to_string();
            let message = service
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| code.clone());
            ProviderError {
                kind: kind_of(&code),
                message,
                code: Some(code),
                request_id: service.request_id().map(str::to_string),
            }
        }
        None => ProviderError::new(ErrorKind::Other, DisplayErrorContext(&err).to_string()),
    }
}

pub fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Invalid, message)
}

pub fn is_not_found(e: &ProviderError) -> bool {
    e.kind == ErrorKind::NotFound
}
