//! `aws_vpclattice_auth_policy`: the auth policy of a service or service network. It is
//! put, not created: there is no client token and nothing to settle.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_vpclattice::Client;
use trellis_provider::{
    AttrType, AttributeDiagnostic, Block, ErrorKind, ProviderError, ResourceSchema,
};
use trellis_types::Value;

use super::checks::check_policy;
use super::{tf_attr, LatticeType, DEFAULT_DELETE_TIMEOUT};
use crate::sdk::convert::{opt_str, timeout};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{comp, opt_comp, req, resource, string};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_auth_policy";

#[derive(Clone, Copy)]
pub(crate) struct AuthPolicy;

#[async_trait]
impl LatticeType for AuthPolicy {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "the auth policy of a service or service network",
            "resource identifier (ID or ARN of the service or service network)",
            Block::new()
                .attr("id", comp(string()))
                .attr("resource_identifier", req(string()).force_new())
                .attr("policy", req(AttrType::Json))
                .attr("state", opt_comp(string())),
        )
    }

    fn tagged(&self) -> bool {
        false
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_policy(config, out);
    }

    async fn get(&self, c: &Client, prior: &Value) -> Result<Value, ProviderError> {
        get(c, &required(prior, "resource_identifier")?).await
    }

    async fn create(
        &self,
        c: &Client,
        planned: &Value,
        _token: &str,
        _tags: Option<HashMap<String, String>>,
    ) -> Result<Value, ProviderError> {
        let resource = required(planned, "resource_identifier")?;
        c.put_auth_policy()
            .resource_identifier(&resource)
            .policy(required(planned, "policy")?)
            .send()
            .await
            .map_err(sdk)?;
        get(c, &resource).await
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
        let resource = required(prior, "resource_identifier")?;
        delete_retrying(limit, || async {
            c.delete_auth_policy()
                .resource_identifier(&resource)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await
    }

    fn probe(&self, id: &str) -> Result<Value, ProviderError> {
        Ok(Value::object([("resource_identifier", Value::string(id))]))
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        if arguments.get("state").and_then(Value::as_str) == Some("Active") {
            arguments.remove("state");
        }
    }

    fn terraform_import_id(&self, attributes: &serde_json::Value) -> Option<String> {
        tf_attr(attributes, "resource_identifier")
    }
}

/// The auth policy of a network or service; NotFound when it has none.
pub(crate) async fn get(c: &Client, resource: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_auth_policy()
        .resource_identifier(resource)
        .send()
        .await
        .map_err(sdk)?;
    let Some(policy) = o.policy().filter(|p| !p.is_empty()) else {
        return Err(ProviderError::new(ErrorKind::NotFound, "no auth policy"));
    };
    Ok(Value::object([
        ("id", Value::string(resource)),
        ("resource_identifier", Value::string(resource)),
        ("policy", Value::string(policy)),
        ("state", opt_str(o.state().map(|x| x.as_str()))),
    ]))
}
