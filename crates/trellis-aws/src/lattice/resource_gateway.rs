//! `aws_vpclattice_resource_gateway`: the point in a VPC through which a service network
//! reaches resources (databases, endpoints by DNS name or IP) that are not Lattice services.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_vpclattice::types::ResourceGatewayIpAddressType;
use aws_sdk_vpclattice::Client;
use trellis_provider::{AttributeDiagnostic, Block, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::checks::{check_enum, check_name};
use super::{
    id_of, stamp_value, wait_active, wait_gone, LatticeType, DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT, STAMP,
};
use crate::sdk::convert::{n, opt_num, opt_str, s, string_list, timeout};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{
    comp, id_arn, number, opt_comp, req, resource, string, string_set, tagged, timeouts,
};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_resource_gateway";

/// The security groups a gateway takes at most (as a VPC association).
const MAX_SECURITY_GROUPS: usize = 5;

#[derive(Clone, Copy)]
pub(crate) struct ResourceGateway;

#[async_trait]
impl LatticeType for ResourceGateway {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        resource(
            "a VPC Lattice resource gateway",
            "resource gateway ID",
            timeouts(tagged(id_arn(
                Block::new()
                    .attr("name", req(string()).force_new())
                    .attr("vpc_id", req(string()).force_new())
                    .attr("subnet_ids", req(string_set()).force_new())
                    .attr("security_group_ids", opt_comp(string_set()))
                    .attr("ip_address_type", opt_comp(string()).force_new())
                    .attr("ipv4_addresses_per_eni", opt_comp(number()).force_new())
                    .attr("status", comp(string())),
            ))),
        )
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_name(config, Some("rgw-"), (3, 40), out);
        check_enum(
            config.get("ip_address_type"),
            Path::from_keys(["ip_address_type"]),
            &["IPV4", "IPV6", "DUALSTACK"],
            out,
        );
        if let Some(subnets) = config.get("subnet_ids").and_then(Value::as_list) {
            if subnets.is_empty() {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["subnet_ids"]),
                    "a resource gateway needs at least one subnet",
                ));
            }
        }
        if let Some(groups) = config.get("security_group_ids").and_then(Value::as_list) {
            if groups.len() > MAX_SECURITY_GROUPS {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["security_group_ids"]),
                    format!(
                        "{} security groups given; a resource gateway takes at most \
                         {MAX_SECURITY_GROUPS}",
                        groups.len()
                    ),
                ));
            }
        }
        if let Some(per_eni) = config
            .get("ipv4_addresses_per_eni")
            .and_then(Value::as_number)
        {
            let path = Path::from_keys(["ipv4_addresses_per_eni"]);
            if s(config, "ip_address_type").as_deref() == Some("IPV6") {
                out.push(AttributeDiagnostic::error(
                    path,
                    "ipv4_addresses_per_eni does not apply to an IPV6 resource gateway",
                ));
            } else if !(1.0..=62.0).contains(&per_eni) || per_eni.fract() != 0.0 {
                out.push(AttributeDiagnostic::error(
                    path,
                    format!("ipv4_addresses_per_eni {per_eni} is out of range 1 to 62"),
                ));
            }
        }
    }

    fn plan_rules(&self, prior: &Value, planned: &mut Value) {
        // Security groups are optional and computed: none configured keeps what is there.
        if planned
            .get("security_group_ids")
            .is_some_and(Value::is_null)
        {
            if let Some(old) = prior.get("security_group_ids") {
                planned.set_path(&Path::from_keys(["security_group_ids"]), old.clone());
            }
        }
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
        let limit = timeout(planned, "create", DEFAULT_CREATE_TIMEOUT);
        let groups = string_list(planned, "security_group_ids");
        let o = c
            .create_resource_gateway()
            .client_token(token)
            .name(required(planned, "name")?)
            .vpc_identifier(required(planned, "vpc_id")?)
            .set_subnet_ids(Some(string_list(planned, "subnet_ids")))
            .set_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_ip_address_type(
                s(planned, "ip_address_type")
                    .map(|t| ResourceGatewayIpAddressType::from(t.as_str())),
            )
            .set_ipv4_addresses_per_eni(n(planned, "ipv4_addresses_per_eni"))
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        let id = o.id().unwrap_or_default().to_string();
        wait_active("resource gateway to become ACTIVE", limit, || get(c, &id)).await
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = id_of(prior)?;
        if prior.get("security_group_ids") != planned.get("security_group_ids") {
            c.update_resource_gateway()
                .resource_gateway_identifier(&id)
                .set_security_group_ids(Some(string_list(planned, "security_group_ids")))
                .send()
                .await
                .map_err(sdk)?;
        }
        let limit = timeout(planned, "update", DEFAULT_CREATE_TIMEOUT);
        wait_active("resource gateway to become ACTIVE", limit, || get(c, &id)).await
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        // Resource configurations that use the gateway answer ConflictException until they
        // are gone; the retry covers a configuration deleted in the same apply.
        delete_retrying(limit, || async {
            c.delete_resource_gateway()
                .resource_gateway_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await?;
        wait_gone("resource gateway to be deleted", limit, || get(c, &id)).await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let name = s(planned, "name").unwrap_or_default();
        let o = c
            .list_resource_gateways()
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
        pager!(c.list_resource_gateways(), |x| stamped!(x, status))
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        if arguments.get("ip_address_type").and_then(Value::as_str) == Some("IPV4") {
            arguments.remove("ip_address_type");
            if arguments
                .get("ipv4_addresses_per_eni")
                .and_then(Value::as_number)
                == Some(16.0)
            {
                arguments.remove("ipv4_addresses_per_eni");
            }
        }
    }
}

/// A set of strings as state keeps it: sorted, so that AWS's order is no change.
pub(crate) fn sorted_set(items: &[String]) -> Value {
    let mut items = items.to_vec();
    items.sort();
    Value::List(items.into_iter().map(Value::String).collect())
}

async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_resource_gateway()
        .resource_gateway_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        ("vpc_id", opt_str(o.vpc_id())),
        ("subnet_ids", sorted_set(o.subnet_ids())),
        ("security_group_ids", sorted_set(o.security_group_ids())),
        (
            "ip_address_type",
            opt_str(o.ip_address_type().map(|x| x.as_str())),
        ),
        (
            "ipv4_addresses_per_eni",
            opt_num(o.ipv4_addresses_per_eni()),
        ),
    ]))
}
