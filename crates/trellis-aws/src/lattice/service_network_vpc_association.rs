//! `aws_vpclattice_service_network_vpc_association`: a VPC associated with a service
//! network, with its security groups and private DNS settings.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_vpclattice::types::{DnsOptions, PrivateDnsPreference};
use aws_sdk_vpclattice::Client;
use trellis_provider::{
    AttrType, AttributeDiagnostic, Block, Nesting, ProviderError, ResourceSchema,
};
use trellis_types::{Path, Value};

use super::checks::check_enum;
use super::{
    drop_failure, id_of, stamp_value, wait_active, wait_gone, LatticeType, DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT, STAMP,
};
use crate::sdk::convert::{
    b, block, opt_bool, opt_str, s, same_object, short_id, string_list, timeout,
};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{
    comp, id_arn, opt, opt_comp, req, resource, string, string_set, tagged, timeouts,
};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_service_network_vpc_association";

#[derive(Clone, Copy)]
pub(crate) struct VpcAssociation;

#[async_trait]
impl LatticeType for VpcAssociation {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        let mut block = Block::new()
            .attr("vpc_identifier", req(string()).force_new())
            .attr("service_network_identifier", req(string()).force_new())
            .attr("security_group_ids", opt_comp(string_set()))
            .attr("private_dns_enabled", opt_comp(AttrType::Bool))
            .attr("status", comp(string()))
            .attr("created_by", comp(string()))
            .block(
                DNS_OPTIONS,
                Nesting::Single,
                Block::new()
                    .attr("private_dns_preference", opt_comp(string()))
                    .attr("private_dns_specified_domains", opt(string_set())),
            );
        if let Some(nested) = block.blocks.get_mut(DNS_OPTIONS) {
            nested.max_items = Some(1);
        }
        resource(
            "a VPC associated with a service network",
            "association ID",
            timeouts(tagged(id_arn(block))),
        )
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        if let Some(groups) = config.get("security_group_ids").and_then(Value::as_list) {
            if groups.len() > 5 {
                out.push(AttributeDiagnostic::error(
                    Path::from_keys(["security_group_ids"]),
                    format!(
                        "{} security groups given; a vpc association takes at most 5",
                        groups.len()
                    ),
                ));
            }
        }
        check_dns_options(config, out);
    }

    fn plan_rules(&self, prior: &Value, planned: &mut Value) {
        // Security groups are a set; "none configured" keeps what is there, as AWS does
        // not allow going from some to none in place.
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
        let groups = string_list(planned, "security_group_ids");
        let o = c
            .create_service_network_vpc_association()
            .client_token(token)
            .vpc_identifier(required(planned, "vpc_identifier")?)
            .service_network_identifier(required(planned, "service_network_identifier")?)
            .set_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_private_dns_enabled(b(planned, "private_dns_enabled"))
            .set_dns_options(dns_options_to_sdk(planned))
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        let id = o.id().unwrap_or_default().to_string();
        wait_active("vpc association to become ACTIVE", limit, || get(c, &id))
            .await
            .map(drop_failure)
    }

    async fn update(
        &self,
        c: &Client,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let id = id_of(prior)?;
        let groups = prior.get("security_group_ids") != planned.get("security_group_ids");
        let private_dns = prior.get("private_dns_enabled") != planned.get("private_dns_enabled");
        let dns_options = prior.get(DNS_OPTIONS) != planned.get(DNS_OPTIONS);
        if groups || private_dns || dns_options {
            let mut request = c
                .update_service_network_vpc_association()
                .service_network_vpc_association_identifier(&id);
            if groups {
                request = request
                    .set_security_group_ids(Some(string_list(planned, "security_group_ids")));
            }
            if private_dns {
                request = request.set_private_dns_enabled(b(planned, "private_dns_enabled"));
            }
            if dns_options {
                request = request.set_dns_options(dns_options_to_sdk(planned));
            }
            request.send().await.map_err(sdk)?;
        }
        let limit = timeout(planned, "update", DEFAULT_CREATE_TIMEOUT);
        wait_active("vpc association to become ACTIVE", limit, || get(c, &id))
            .await
            .map(drop_failure)
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_service_network_vpc_association()
                .service_network_vpc_association_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await?;
        wait_gone("vpc association to be deleted", limit, || get(c, &id)).await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let network = required(planned, "service_network_identifier")?;
        let o = c
            .list_service_network_vpc_associations()
            .vpc_identifier(required(planned, "vpc_identifier")?)
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        any_item!(o, x => {
            x.service_network_id().is_some_and(|id| same_object(id, &network))
        })
    }

    fn scope(&self, prior: &Value) -> Option<Vec<String>> {
        let network = s(prior, "service_network_identifier")?;
        Some(vec![short_id(&network).to_string()])
    }

    fn pages(&self, c: &Client, scope: &[String]) -> super::refresh::Pager {
        pager!(
            c.list_service_network_vpc_associations()
                .service_network_identifier(&scope[0]),
            |x| stamped!(x, status)
        )
    }
}

const DNS_OPTIONS: &str = "dns_options";

/// `dns_options` apply only with private DNS on; specified domains only with the two
/// preferences that name them.
fn check_dns_options(config: &Value, out: &mut Vec<AttributeDiagnostic>) {
    let Some(options) = block(config, DNS_OPTIONS) else {
        return;
    };
    if config.get("private_dns_enabled").and_then(Value::as_bool) == Some(false) {
        out.push(AttributeDiagnostic::error(
            Path::from_keys([DNS_OPTIONS]),
            "dns_options apply only when private_dns_enabled is true",
        ));
    }
    check_enum(
        options.get("private_dns_preference"),
        Path::from_keys([DNS_OPTIONS, "private_dns_preference"]),
        &[
            "VERIFIED_DOMAINS_ONLY",
            "ALL_DOMAINS",
            "VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS",
            "SPECIFIED_DOMAINS_ONLY",
        ],
        out,
    );
    let domains = options
        .get("private_dns_specified_domains")
        .and_then(Value::as_list)
        .is_some_and(|d| !d.is_empty());
    if let Some(preference) = options
        .get("private_dns_preference")
        .and_then(Value::as_str)
    {
        let names_domains = matches!(
            preference,
            "VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS" | "SPECIFIED_DOMAINS_ONLY"
        );
        if domains && !names_domains {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([DNS_OPTIONS, "private_dns_specified_domains"]),
                format!("private_dns_specified_domains do not apply with {preference}"),
            ));
        }
        if !domains && names_domains {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([DNS_OPTIONS, "private_dns_specified_domains"]),
                format!("{preference} needs private_dns_specified_domains"),
            ));
        }
    }
}

fn dns_options_to_sdk(planned: &Value) -> Option<DnsOptions> {
    let options = block(planned, DNS_OPTIONS)?;
    let domains = string_list(options, "private_dns_specified_domains");
    Some(
        DnsOptions::builder()
            .set_private_dns_preference(
                s(options, "private_dns_preference")
                    .map(|p| PrivateDnsPreference::from(p.as_str())),
            )
            .set_private_dns_specified_domains((!domains.is_empty()).then_some(domains))
            .build(),
    )
}

fn dns_options_from_sdk(options: Option<&DnsOptions>) -> Value {
    let Some(o) = options else {
        return Value::Null;
    };
    let mut domains = o.private_dns_specified_domains().to_vec();
    domains.sort();
    Value::object([
        (
            "private_dns_preference",
            opt_str(o.private_dns_preference().map(|p| p.as_str())),
        ),
        (
            "private_dns_specified_domains",
            if domains.is_empty() {
                Value::Null
            } else {
                Value::List(domains.into_iter().map(Value::String).collect())
            },
        ),
    ])
}

async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_service_network_vpc_association()
        .service_network_vpc_association_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    let mut groups: Vec<String> = o.security_group_ids().to_vec();
    groups.sort();
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        ("created_by", opt_str(o.created_by())),
        ("vpc_identifier", opt_str(o.vpc_id())),
        (
            "service_network_identifier",
            opt_str(o.service_network_id()),
        ),
        (
            "security_group_ids",
            Value::List(groups.into_iter().map(Value::String).collect()),
        ),
        ("private_dns_enabled", opt_bool(o.private_dns_enabled())),
        (DNS_OPTIONS, dns_options_from_sdk(o.dns_options())),
        ("failure_message", opt_str(o.failure_message())),
    ]))
}
