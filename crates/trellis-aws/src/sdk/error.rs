//! Maps SDK errors to [`ProviderError`]s: kind by AWS error code, message, code, request id.
//! [`sdk`] knows the codes of VPC Lattice; [`aws`] adds those of EC2, RAM and Route53.

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

/// Converts an SDK error of any AWS service, with the error kinds of EC2, RAM and Route53
/// codes.
pub fn aws<E, R>(err: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + RequestId + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let mut e = sdk(err);
    if let Some(code) = e.code.clone() {
        if let Some(kind) = other_kind(&code) {
            e.kind = kind;
        }
    }
    e
}

/// The error kind of an EC2, RAM or Route53 code, where it is not Lattice's.
fn other_kind(code: &str) -> Option<ErrorKind> {
    Some(match code {
        c if c.ends_with(".NotFound") || c.ends_with("NotFound") => ErrorKind::NotFound,
        "NoSuchHostedZone"
        | "NoSuchEntity"
        | "NoSuchBucket"
        | "NoSuchChange"
        | "UnknownResourceException"
        | "ResourceShareInvitationArnNotFoundException" => ErrorKind::NotFound,
        "DependencyViolation"
        | "HostedZoneNotEmpty"
        | "PriorRequestNotComplete"
        | "InvalidStateTransitionException"
        | "ConflictingDomainExists"
        | "LastVPCAssociation"
        | "HostedZoneAlreadyExists"
        | "InvalidGroup.Duplicate"
        | "InvalidPermission.Duplicate"
        | "EntityAlreadyExists"
        | "ResourceAlreadyExistsException"
        | "DeleteConflict"
        | "ResourceInUseException" => ErrorKind::Conflict,
        "InvalidParameterValue"
        | "InvalidParameterException"
        | "InvalidParameterCombination"
        | "InvalidInput"
        | "InvalidChangeBatch"
        | "MalformedArnException"
        | "InvalidDomainName"
        | "InvalidVPCId"
        | "MalformedPolicyDocument" => ErrorKind::Invalid,
        "AccessDenied"
        | "UnauthorizedOperation"
        | "OperationNotPermittedException"
        | "NotAuthorizedException" => ErrorKind::AccessDenied,
        _ => return None,
    })
}

/// `key` of `value`, or an error that says it is required.
pub fn required(value: &trellis_types::Value, key: &str) -> Result<String, ProviderError> {
    crate::sdk::convert::s(value, key).ok_or_else(|| invalid(format!("{key} is required")))
}

pub fn invalid(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::Invalid, message)
}

pub fn is_not_found(e: &ProviderError) -> bool {
    e.kind == ErrorKind::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_of_other_services() {
        assert_eq!(
            other_kind("InvalidVpcID.NotFound"),
            Some(ErrorKind::NotFound)
        );
        assert_eq!(other_kind("NoSuchHostedZone"), Some(ErrorKind::NotFound));
        assert_eq!(other_kind("DependencyViolation"), Some(ErrorKind::Conflict));
        assert_eq!(
            other_kind("VPCAssociationAuthorizationNotFound"),
            Some(ErrorKind::NotFound)
        );
        assert_eq!(
            other_kind("VPCAssociationNotFound"),
            Some(ErrorKind::NotFound)
        );
        assert_eq!(
            other_kind("NotAuthorizedException"),
            Some(ErrorKind::AccessDenied)
        );
        assert_eq!(other_kind("LastVPCAssociation"), Some(ErrorKind::Conflict));
        assert_eq!(other_kind("Throttling"), None);
    }
}
