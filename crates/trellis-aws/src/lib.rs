//! The AWS provider of trellis, for VPC Lattice meshes.
//!
//! [`AwsFactory`] (provider name `aws`) configures one [`Provider`] per `provider "aws"` block
//! from aws-config's credential chain (environment, profiles, SSO, web identity, instance
//! roles), with optional `assume_role`, `default_tags`, `max_retries` and `endpoints`.
//! Resource and data source types, arguments, attributes and import IDs follow the Terraform
//! AWS provider (docs/resources/ has a page per type).
//!
//! This is the only crate that sees `aws-sdk-*` types; none leave it. It owns idempotency
//! (every create sends the engine's token as `clientToken`), waiters for asynchronous
//! statuses, retries of in-progress conflicts on delete, and semantic comparison (ID versus
//! ARN, JSON policies, server-side defaults) in [`Provider::plan_change`]. It does not order
//! operations: the engine deletes dependents first.

//!
//! Layout (docs/ARCHITECTURE.md has the code map): [`sdk`] is the shared layer (conversion,
//! errors, waiters, clients, the [`ResourceType`](sdk::resource::ResourceType) trait);
//! `lattice`, `ram`, `route53`, `ec2`, `acm` and the others are one module per AWS service, above it and
//! never importing each other's internals; `registry` holds the one table of served types;
//! `provider` is the dispatcher that reads it.

// First, so that its macros (`named_service!`) are in scope in the service modules.
#[macro_use]
mod sdk;

mod acm;
mod ec2;
mod iam;
mod lattice;
mod logs;
mod meta;
mod provider;
mod ram;
mod registry;
mod route53;
mod s3;
mod ssm;

use std::sync::Arc;

use async_trait::async_trait;
use trellis_provider::{
    AttrType, AttributeDiagnostic, ConfigureRequest, Provider, ProviderError, ProviderFactory,
    ProviderSchema, ValidateRequest,
};

pub use provider::AwsProvider;
pub use registry::terraform_import_id;

/// Creates configured AWS providers.
pub struct AwsFactory {
    schema: ProviderSchema,
}

impl Default for AwsFactory {
    fn default() -> Self {
        AwsFactory {
            schema: registry::provider_schema(),
        }
    }
}

impl AwsFactory {
    pub fn new() -> AwsFactory {
        AwsFactory::default()
    }
}

#[async_trait]
impl ProviderFactory for AwsFactory {
    fn name(&self) -> &str {
        "aws"
    }

    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn validate(&self, request: ValidateRequest) -> Vec<AttributeDiagnostic> {
        registry::validate(&request.type_name, &request.config)
    }

    /// Makes no call: the account is learnt on the first `read` (one STS call), which the
    /// engine makes for every provider after validation, so bad input still fails before any
    /// remote call.
    async fn configure(
        &self,
        request: ConfigureRequest,
    ) -> Result<Arc<dyn Provider>, ProviderError> {
        let clients = sdk::clients::Clients::configure(&request.config).await?;
        Ok(Arc::new(AwsProvider::new(clients)))
    }
}

/// The attribute types the schema declares as JSON, for callers comparing values.
pub fn is_json(ty: &AttrType) -> bool {
    matches!(ty, AttrType::Json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lattice::*;

    #[test]
    fn schema_has_every_resource_type() {
        let schema = AwsFactory::new().schema().clone();
        for t in [
            service_network::NAME,
            service::NAME,
            target_group::NAME,
            target_group_attachment::NAME,
            listener::NAME,
            listener_rule::NAME,
            service_network_service_association::NAME,
            service_network_vpc_association::NAME,
            auth_policy::NAME,
            resource_policy::NAME,
            access_log_subscription::NAME,
            resource_gateway::NAME,
            resource_configuration::NAME,
            service_network_resource_association::NAME,
        ] {
            assert!(schema.resources.contains_key(t), "{t}");
        }
        for d in [
            "aws_vpclattice_service_network",
            "aws_vpclattice_service",
            "aws_caller_identity",
            "aws_region",
            "aws_partition",
        ] {
            assert!(schema.data_sources.contains_key(d), "{d}");
        }
    }
}
