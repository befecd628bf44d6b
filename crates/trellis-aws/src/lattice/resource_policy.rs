//! `aws_vpclattice_resource_policy`: the resource policy of a service or service network
//! (for sharing). It is put, not created: there is no client token and nothing to settle.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_vpclattice::Client;
use trellis_provider::{
    AttrType, AttributeDiagnostic, Block, ErrorKind, ProviderError, ResourceSchema,
};
use trellis_types::Value;

use super::checks::check_policy;
use super::{tf_attr, LatticeType, DEFAULT_DELETE_TIMEOUT};
use crate::sdk::convert::timeout;
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{comp, req, resource, string};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_resource_policy";

#[derive(Clone, Copy)]
pub(crate) struct ResourcePolicy;

#[async_trait]
impl LatticeType for ResourcePolicy {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "the resource policy of a service or service network (for sharing)",
            "resource ARN",
            Block::new()
                .attr("id", comp(string()))
                .attr("resource_arn", req(string()).force_new())
                .attr("policy", req(AttrType::Json)),
        )
    }

    fn tagged(&self) -> bool {
        false
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_policy(config, out);
    }

    async fn get(&self, c: &Client, prior: &Value) -> Result<Value, ProviderError> {
        get(c, &required(prior, "resource_arn")?).await
    }

    async fn create(
        &self,
        c: &Client,
        planned: &Value,
        _token: &str,
        _tags: Option<HashMap<String, String>>,
    ) -> Result<Value, ProviderError> {
        let arn = required(planned, "resource_arn")?;
        c.put_resource_policy()
            .resource_arn(&arn)
            .policy(required(planned, "policy")?)
            .send()
            .await
            .map_err(sdk)?;
        get(c, &arn).await
    }

    async fn update(
        &self,
        c: &Client,
        _prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.create(c, planned, "", None).await
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let arn = required(prior, "resource_arn")?;
        delete_retrying(limit, || async {
            c.delete_resource_policy()
                .resource_arn(&arn)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await
    }

    fn probe(&self, id: &str) -> Result<Value, ProviderError> {
        Ok(Value::object([("resource_arn", Value::string(id))]))
    }

    fn terraform_import_id(&self, attributes: &serde_json::Value) -> Option<String> {
        tf_attr(attributes, "resource_arn")
    }
}

/// The resource policy of a network or service; NotFound when it has none.
pub(crate) async fn get(c: &Client, arn: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_resource_policy()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk)?;
    let Some(policy) = o.policy().filter(|p| !p.is_empty()) else {
        return Err(ProviderError::new(
            ErrorKind::NotFound,
            "no resource policy",
        ));
    };
    Ok(Value::object([
        ("id", Value::string(arn)),
        ("resource_arn", Value::string(arn)),
        ("policy", Value::string(policy)),
    ]))
}
