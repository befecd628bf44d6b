//! `aws_vpclattice_service_network`: a VPC Lattice service network.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_vpclattice::types::AuthType;
use aws_sdk_vpclattice::Client;
use trellis_provider::{AttributeDiagnostic, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::checks::{check_enum, check_name};
use super::{id_of, stamp_value, LatticeType, DEFAULT_DELETE_TIMEOUT, STAMP};
use crate::sdk::convert::{opt_str, s, timeout};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{id_arn, opt_comp, req, resource, string, tagged};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_service_network";

#[derive(Clone, Copy)]
pub(crate) struct ServiceNetwork;

#[async_trait]
impl LatticeType for ServiceNetwork {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a VPC Lattice service network",
            "service network ID or ARN",
            tagged(id_arn(
                trellis_provider::Block::new()
                    .attr("name", req(string()).force_new())
                    .attr("auth_type", opt_comp(string())),
            )),
        )
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_name(config, None, (3, 63), out);
        check_auth_type(config, out);
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
            .create_service_network()
            .client_token(token)
            .name(required(planned, "name")?)
            .set_auth_type(s(planned, "auth_type").map(|a| AuthType::from(a.as_str())))
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        get(c, o.id().unwrap_or_default()).await
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = id_of(prior)?;
        if prior.get("auth_type") != planned.get("auth_type") {
            if let Some(auth) = s(planned, "auth_type") {
                c.update_service_network()
                    .service_network_identifier(&id)
                    .auth_type(AuthType::from(auth.as_str()))
                    .send()
                    .await
                    .map_err(sdk)?;
            }
        }
        get(c, &id).await
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_service_network()
                .service_network_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let name = s(planned, "name").unwrap_or_default();
        let o = c
            .list_service_networks()
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
        pager!(c.list_service_networks(), |x| stamped!(x))
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        drop_default_auth_type(arguments);
    }
}

/// `auth_type` of a network or service is `NONE` or `AWS_IAM`.
pub(crate) fn check_auth_type(config: &Value, out: &mut Vec<AttributeDiagnostic>) {
    check_enum(
        config.get("auth_type"),
        Path::from_keys(["auth_type"]),
        &["NONE", "AWS_IAM"],
        out,
    );
}

/// Lattice's default `auth_type` of a network or service.
pub(crate) fn drop_default_auth_type(arguments: &mut BTreeMap<String, Value>) {
    if arguments.get("auth_type").and_then(Value::as_str) == Some("NONE") {
        arguments.remove("auth_type");
    }
}

pub(crate) async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service_network()
        .service_network_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("auth_type", opt_str(o.auth_type().map(|a| a.as_str()))),
    ]))
}
