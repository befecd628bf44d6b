//! `aws_vpclattice_service_network_resource_association`: a resource configuration made
//! reachable through a service network (its clients get a DNS name for the resource).
//!
//! Refresh reads each association with a Get: the list summaries carry no `lastUpdatedAt`.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_vpclattice::Client;
use trellis_provider::{Block, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::blocks::dns_entry;
use super::convert::dns_from_sdk;
use super::{
    drop_failure, id_of, stamp_value, wait_active, wait_gone, LatticeType, DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT, STAMP,
};
use crate::sdk::convert::{opt_str, same_object, timeout};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{comp, id_arn, req, resource, string, tagged, timeouts};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_service_network_resource_association";

#[derive(Clone, Copy)]
pub(crate) struct ResourceAssociation;

#[async_trait]
impl LatticeType for ResourceAssociation {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a resource configuration associated with a service network",
            "association ID",
            timeouts(tagged(id_arn(
                Block::new()
                    .attr(
                        "resource_configuration_identifier",
                        req(string()).force_new(),
                    )
                    .attr("service_network_identifier", req(string()).force_new())
                    .attr("status", comp(string()))
                    .attr("created_by", comp(string()))
                    .attr("dns_entry", comp(dns_entry())),
            ))),
        )
    }

    async fn get(&self, c: &Client, prior: &Value) -> Result<Value, ProviderError> {
        get(c, &id_of(prior)?).await.map(drop_failure)
    }

    async fn create(
        &self,
        c: &Client,
        planned: &Value,
        token: &str,
        tags: Option<HashMap<String, String>>,
    ) -> Result<Value, ProviderError> {
        let limit = timeout(planned, "create", DEFAULT_CREATE_TIMEOUT);
        let o = c
            .create_service_network_resource_association()
            .client_token(token)
            .resource_configuration_identifier(required(
                planned,
                "resource_configuration_identifier",
            )?)
            .service_network_identifier(required(planned, "service_network_identifier")?)
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        let id = o.id().unwrap_or_default().to_string();
        wait_active("resource association to become ACTIVE", limit, || {
            get(c, &id)
        })
        .await
        .map(drop_failure)
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        _planned: &Value,
    ) -> Result<Value, ProviderError> {
        // Every argument forces a replacement; only tags change in place ([`super::Served`]).
        get(c, &id_of(prior)?).await.map(drop_failure)
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_service_network_resource_association()
                .service_network_resource_association_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await?;
        wait_gone("resource association to be deleted", limit, || get(c, &id)).await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let network = required(planned, "service_network_identifier")?;
        let o = c
            .list_service_network_resource_associations()
            .resource_configuration_identifier(required(
                planned,
                "resource_configuration_identifier",
            )?)
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        any_item!(o, x => {
            x.service_network_id().is_some_and(|id| same_object(id, &network))
        })
    }
}

async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service_network_resource_association()
        .service_network_resource_association_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        ("created_by", opt_str(o.created_by())),
        (
            "resource_configuration_identifier",
            opt_str(o.resource_configuration_id()),
        ),
        (
            "service_network_identifier",
            opt_str(o.service_network_id()),
        ),
        ("dns_entry", dns_from_sdk(o.dns_entry())),
        ("failure_message", opt_str(o.failure_reason())),
    ]))
}
