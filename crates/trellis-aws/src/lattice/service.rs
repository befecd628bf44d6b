//! `aws_vpclattice_service`: a VPC Lattice service.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_vpclattice::types::AuthType;
use aws_sdk_vpclattice::Client;
use trellis_provider::{AttributeDiagnostic, ProviderError, ResourceSchema};
use trellis_types::Value;

use super::blocks::dns_entry;
use super::checks::check_name;
use super::convert::dns_from_sdk;
use super::service_network::{check_auth_type, drop_default_auth_type};
use super::{
    drop_failure, id_of, stamp_value, wait_active, wait_gone, LatticeType, DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT, STAMP,
};
use crate::sdk::convert::{opt_str, s, timeout};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{comp, id_arn, opt_comp, req, resource, string, tagged, timeouts};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_service";

#[derive(Clone, Copy)]
pub(crate) struct Service;

#[async_trait]
impl LatticeType for Service {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a VPC Lattice service",
            "service ID",
            timeouts(tagged(id_arn(
                trellis_provider::Block::new()
                    .attr("name", req(string()).force_new())
                    .attr("auth_type", opt_comp(string()))
                    .attr("certificate_arn", opt_comp(string()))
                    .attr("custom_domain_name", opt_comp(string()).force_new())
                    .attr("status", comp(string()))
                    .attr("dns_entry", comp(dns_entry())),
            ))),
        )
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_name(config, Some("svc-"), (3, 40), out);
        check_auth_type(config, out);
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
            .create_service()
            .client_token(token)
            .name(required(planned, "name")?)
            .set_auth_type(s(planned, "auth_type").map(|a| AuthType::from(a.as_str())))
            .set_certificate_arn(s(planned, "certificate_arn"))
            .set_custom_domain_name(s(planned, "custom_domain_name"))
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        let id = o.id().unwrap_or_default().to_string();
        wait_active("service to become ACTIVE", limit, || get(c, &id))
            .await
            .map(drop_failure)
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let changed = |key: &str| prior.get(key) != planned.get(key);
        let id = id_of(prior)?;
        if changed("auth_type") || changed("certificate_arn") {
            c.update_service()
                .service_identifier(&id)
                .set_auth_type(s(planned, "auth_type").map(|a| AuthType::from(a.as_str())))
                .set_certificate_arn(s(planned, "certificate_arn"))
                .send()
                .await
                .map_err(sdk)?;
        }
        let limit = timeout(planned, "update", DEFAULT_CREATE_TIMEOUT);
        wait_active("service to become ACTIVE", limit, || get(c, &id))
            .await
            .map(drop_failure)
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_service()
                .service_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await?;
        wait_gone("service to be deleted", limit, || get(c, &id)).await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let name = s(planned, "name").unwrap_or_default();
        let o = c
            .list_services()
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        any_item!(o, x => x.name() == Some(name.as_str()))
    }

    fn scope(&self, _prior: &Value) -> Option<Vec<String>> {
        Some(Vec::new())
    }

    fn pages(&self, c: &Client, _scope: &[String]) -> super::refresh::Pager {
        pager!(c.list_services(), |x| stamped!(x, status))
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        drop_default_auth_type(arguments);
    }
}

/// The full value of a service, its `failure_message` included.
pub(crate) async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service()
        .service_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("auth_type", opt_str(o.auth_type().map(|a| a.as_str()))),
        ("certificate_arn", opt_str(o.certificate_arn())),
        ("custom_domain_name", opt_str(o.custom_domain_name())),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        ("dns_entry", dns_from_sdk(o.dns_entry())),
        ("failure_message", opt_str(o.failure_message())),
    ]))
}
