//! `aws_vpclattice_access_log_subscription`: where a service or service network sends its
//! access logs. Nothing of it changes in place but its tags.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_vpclattice::Client;
use trellis_provider::{Block, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::{id_of, LatticeType, DEFAULT_DELETE_TIMEOUT};
use crate::sdk::convert::timeout;
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{comp, id_arn, req, resource, string, tagged};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_access_log_subscription";

#[derive(Clone, Copy)]
pub(crate) struct AccessLogSubscription;

#[async_trait]
impl LatticeType for AccessLogSubscription {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "an access log subscription of a service or service network",
            "subscription ID",
            tagged(id_arn(
                Block::new()
                    .attr("resource_identifier", req(string()).force_new())
                    .attr("destination_arn", req(string()).force_new())
                    .attr("resource_arn", comp(string())),
            )),
        )
    }

    async fn get(&self, c: &Client, prior: &Value) -> Result<Value, ProviderError> {
        get(c, &id_of(prior)?).await
    }

    async fn create(
        &self,
        c: &Client,
        planned: &Value,
        token: &str,
        tags: Option<HashMap<String, String>>,
    ) -> Result<Value, ProviderError> {
        let o = c
            .create_access_log_subscription()
            .client_token(token)
            .resource_identifier(required(planned, "resource_identifier")?)
            .destination_arn(required(planned, "destination_arn")?)
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        get(c, o.id()).await
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        _planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.get(c, prior).await
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_access_log_subscription()
                .access_log_subscription_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let destination = required(planned, "destination_arn")?;
        let o = c
            .list_access_log_subscriptions()
            .resource_identifier(required(planned, "resource_identifier")?)
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        any_item!(o, x => x.destination_arn() == destination)
    }
}

async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_access_log_subscription()
        .access_log_subscription_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        ("id", Value::string(o.id())),
        ("arn", Value::string(o.arn())),
        ("resource_identifier", Value::string(o.resource_id())),
        ("resource_arn", Value::string(o.resource_arn())),
        ("destination_arn", Value::string(o.destination_arn())),
    ]))
}
