//! `aws_vpclattice_service_network_service_association`: a service associated with a
//! service network. Its list summary holds every attribute, so refresh and discovery read
//! it from the list.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_vpclattice::Client;
use trellis_provider::{Block, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::blocks::dns_entry;
use super::convert::dns_from_sdk;
use super::refresh::Listed;
use super::{
    drop_failure, id_of, wait_active, wait_gone, LatticeType, DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT,
};
use crate::sdk::convert::{opt_str, s, same_object, short_id, timeout};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{comp, id_arn, req, resource, string, tagged, timeouts};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_service_network_service_association";

#[derive(Clone, Copy)]
pub(crate) struct ServiceAssociation;

#[async_trait]
impl LatticeType for ServiceAssociation {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a service associated with a service network",
            "association ID",
            timeouts(tagged(id_arn(
                Block::new()
                    .attr("service_identifier", req(string()).force_new())
                    .attr("service_network_identifier", req(string()).force_new())
                    .attr("status", comp(string()))
                    .attr("created_by", comp(string()))
                    .attr("custom_domain_name", comp(string()))
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
            .create_service_network_service_association()
            .client_token(token)
            .service_identifier(required(planned, "service_identifier")?)
            .service_network_identifier(required(planned, "service_network_identifier")?)
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        let id = o.id().unwrap_or_default().to_string();
        wait_active("service association to become ACTIVE", limit, || {
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
        self.get(c, prior).await
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_service_network_service_association()
                .service_network_service_association_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await?;
        wait_gone("service association to be deleted", limit, || get(c, &id)).await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let service = required(planned, "service_identifier")?;
        let o = c
            .list_service_network_service_associations()
            .service_network_identifier(required(planned, "service_network_identifier")?)
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        any_item!(o, x => {
            x.service_id().is_some_and(|id| same_object(id, &service))
        })
    }

    fn scope(&self, prior: &Value) -> Option<Vec<String>> {
        let network = s(prior, "service_network_identifier")?;
        Some(vec![short_id(&network).to_string()])
    }

    fn pages(&self, c: &Client, scope: &[String]) -> super::refresh::Pager {
        pager!(
            c.list_service_network_service_associations()
                .service_network_identifier(&scope[0]),
            |x| {
                // The summary holds every attribute: no stamp needed.
                let listed = Listed {
                    value: Some(summary_value(x)),
                    ..Listed::default()
                };
                (x.id().unwrap_or_default().to_string(), listed)
            }
        )
    }
}

/// The value of an association from its list summary, as its Get gives it.
pub(crate) fn summary_value(
    x: &aws_sdk_vpclattice::types::ServiceNetworkServiceAssociationSummary,
) -> Value {
    value(Fields {
        id: x.id(),
        arn: x.arn(),
        status: x.status().map(|v| v.as_str()),
        created_by: x.created_by(),
        service_id: x.service_id(),
        service_network_id: x.service_network_id(),
        custom_domain_name: x.custom_domain_name(),
        dns_entry: dns_from_sdk(x.dns_entry()),
    })
}

async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service_network_service_association()
        .service_network_service_association_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    let mut value = value(Fields {
        id: o.id(),
        arn: o.arn(),
        status: o.status().map(|x| x.as_str()),
        created_by: o.created_by(),
        service_id: o.service_id(),
        service_network_id: o.service_network_id(),
        custom_domain_name: o.custom_domain_name(),
        dns_entry: dns_from_sdk(o.dns_entry()),
    });
    value.set_path(
        &Path::from_keys(["failure_message"]),
        opt_str(o.failure_message()),
    );
    Ok(value)
}

/// What a service-network service association's Get and list summary both say.
struct Fields<'a> {
    id: Option<&'a str>,
    arn: Option<&'a str>,
    status: Option<&'a str>,
    created_by: Option<&'a str>,
    service_id: Option<&'a str>,
    service_network_id: Option<&'a str>,
    custom_domain_name: Option<&'a str>,
    dns_entry: Value,
}

/// The value of a service-network service association.
fn value(f: Fields<'_>) -> Value {
    Value::object([
        ("id", opt_str(f.id)),
        ("arn", opt_str(f.arn)),
        ("status", opt_str(f.status)),
        ("created_by", opt_str(f.created_by)),
        ("service_identifier", opt_str(f.service_id)),
        ("service_network_identifier", opt_str(f.service_network_id)),
        ("custom_domain_name", opt_str(f.custom_domain_name)),
        ("dns_entry", f.dns_entry),
    ])
}
