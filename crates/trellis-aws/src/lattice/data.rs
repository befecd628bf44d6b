//! The Lattice data sources, in the Terraform AWS provider's shape:
//! `aws_vpclattice_service_network`, `aws_vpclattice_service` (by identifier or name), and
//! those that read one object by its identifiers, `aws_vpclattice_listener`,
//! `aws_vpclattice_auth_policy` and `aws_vpclattice_resource_policy`, which reuse the
//! resources' Get calls.

use std::collections::BTreeMap;

use trellis_provider::{AttrType, Attribute, Block, ErrorKind, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::blocks::dns_entry;
use super::{auth_policy, fetch_tags, listener, resource_policy, service, take_stamp};
use crate::sdk::clients::Clients;
use crate::sdk::convert::{opt_str, s};
use crate::sdk::error::{invalid, is_not_found, sdk};
use crate::sdk::schema::{data, number, string, string_map};

/// The schemas of the Lattice data sources.
pub(crate) fn schemas() -> BTreeMap<String, ResourceSchema> {
    let mut data_sources = BTreeMap::new();
    data_sources.insert(
        "aws_vpclattice_service_network".to_string(),
        data(
            "a service network by ID or ARN",
            Block::new()
                .attr("service_network_identifier", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("arn", Attribute::computed(string()))
                .attr("name", Attribute::computed(string()))
                .attr("auth_type", Attribute::computed(string()))
                .attr(
                    "number_of_associated_services",
                    Attribute::computed(number()),
                )
                .attr("number_of_associated_vpcs", Attribute::computed(number()))
                .attr("created_at", Attribute::computed(string()))
                .attr("last_updated_at", Attribute::computed(string())),
        ),
    );
    data_sources.insert(
        "aws_vpclattice_service".to_string(),
        data(
            "a service by identifier or name",
            Block::new()
                .attr("service_identifier", Attribute::optional_computed(string()))
                .attr("name", Attribute::optional_computed(string()))
                .attr("id", Attribute::computed(string()))
                .attr("arn", Attribute::computed(string()))
                .attr("auth_type", Attribute::computed(string()))
                .attr("certificate_arn", Attribute::computed(string()))
                .attr("custom_domain_name", Attribute::computed(string()))
                .attr("status", Attribute::computed(string()))
                .attr("dns_entry", Attribute::computed(dns_entry())),
        ),
    );
    data_sources.insert(
        "aws_vpclattice_listener".to_string(),
        data(
            "a listener by service and listener identifier",
            Block::new()
                .attr("service_identifier", Attribute::required(string()))
                .attr("listener_identifier", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("listener_id", Attribute::computed(string()))
                .attr("arn", Attribute::computed(string()))
                .attr("name", Attribute::computed(string()))
                .attr("port", Attribute::computed(number()))
                .attr("protocol", Attribute::computed(string()))
                .attr("service_arn", Attribute::computed(string()))
                .attr("service_id", Attribute::computed(string()))
                .attr("default_action", Attribute::computed(AttrType::Any))
                .attr("tags", Attribute::computed(string_map())),
        ),
    );
    data_sources.insert(
        "aws_vpclattice_auth_policy".to_string(),
        data(
            "the auth policy of a service network or service",
            Block::new()
                .attr("resource_identifier", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("policy", Attribute::optional_computed(AttrType::Json))
                .attr("state", Attribute::optional_computed(string())),
        ),
    );
    data_sources.insert(
        "aws_vpclattice_resource_policy".to_string(),
        data(
            "the resource policy of a service network or service",
            Block::new()
                .attr("resource_arn", Attribute::required(string()))
                .attr("id", Attribute::computed(string()))
                .attr("policy", Attribute::computed(AttrType::Json)),
        ),
    );
    data_sources
}

/// Reads the Lattice data source `type_name`.
pub(crate) async fn read(
    c: &Clients,
    type_name: &str,
    config: &Value,
) -> Result<Value, ProviderError> {
    let inner = c;
    match type_name {
        "aws_vpclattice_service_network" => {
            let id = s(config, "service_network_identifier")
                .ok_or_else(|| invalid("service_network_identifier is required"))?;
            let o = inner
                .lattice
                .get_service_network()
                .service_network_identifier(&id)
                .send()
                .await
                .map_err(sdk)?;
            Ok(Value::object([
                ("service_network_identifier", Value::string(&id)),
                ("id", opt_str(o.id())),
                ("arn", opt_str(o.arn())),
                ("name", opt_str(o.name())),
                ("auth_type", opt_str(o.auth_type().map(|a| a.as_str()))),
                (
                    "number_of_associated_services",
                    o.number_of_associated_services()
                        .map(|x| Value::Number(x as f64))
                        .unwrap_or(Value::Null),
                ),
                (
                    "number_of_associated_vpcs",
                    o.number_of_associated_vpcs()
                        .map(|x| Value::Number(x as f64))
                        .unwrap_or(Value::Null),
                ),
                (
                    "created_at",
                    opt_str(o.created_at().map(|d| d.to_string()).as_deref()),
                ),
                (
                    "last_updated_at",
                    opt_str(o.last_updated_at().map(|d| d.to_string()).as_deref()),
                ),
            ]))
        }
        "aws_vpclattice_service" => {
            let id = match (s(config, "service_identifier"), s(config, "name")) {
                (Some(id), _) => id,
                (None, Some(name)) => {
                    let mut stream = inner
                        .lattice
                        .list_services()
                        .max_results(100)
                        .into_paginator()
                        .items()
                        .send();
                    let mut found = None;
                    while let Some(item) = stream.next().await {
                        let item = item.map_err(sdk)?;
                        if item.name() == Some(name.as_str()) {
                            found = item.id().map(str::to_string);
                            break;
                        }
                    }
                    found.ok_or_else(|| {
                        ProviderError::new(
                            ErrorKind::NotFound,
                            format!("no service named {name:?}"),
                        )
                    })?
                }
                (None, None) => {
                    return Err(invalid("set service_identifier or name"));
                }
            };
            let mut value = service::get(&inner.lattice, &id).await?;
            // The Get's stamp is the provider's own: never part of a value it returns.
            take_stamp(&mut value);
            if let Value::Map(m) = &mut value {
                m.remove("failure_message");
                m.insert("service_identifier".into(), Value::string(&id));
            }
            Ok(value)
        }
        listener::NAME => {
            let mut value = listener_data(&inner.lattice, config).await?;
            // Tags are read by ARN, which only the listener itself gives.
            if let Some(arn) = s(&value, "arn") {
                let tags = fetch_tags(inner, &arn).await?;
                value.set_path(
                    &Path::from_keys(["tags"]),
                    Value::Map(
                        tags.into_iter()
                            .map(|(k, v)| (k, Value::String(v)))
                            .collect(),
                    ),
                );
            }
            Ok(value)
        }
        auth_policy::NAME => auth_policy_data(&inner.lattice, config).await,
        resource_policy::NAME => resource_policy_data(&inner.lattice, config).await,
        other => Err(invalid(format!("unknown data source {other}"))),
    }
}

/// A listener by service and listener identifier (ID or ARN each); the caller adds tags.
async fn listener_data(
    c: &aws_sdk_vpclattice::Client,
    config: &Value,
) -> Result<Value, ProviderError> {
    let service =
        s(config, "service_identifier").ok_or_else(|| invalid("service_identifier is required"))?;
    let listener = s(config, "listener_identifier")
        .ok_or_else(|| invalid("listener_identifier is required"))?;
    let found = listener::get(c, &service, &listener).await?;
    let get = |k: &str| found.get(k).cloned().unwrap_or(Value::Null);
    // Terraform's data source has `service_id` and a list-shaped `default_action`.
    let default_action = match get("default_action") {
        Value::Null => Value::List(Vec::new()),
        action => Value::List(vec![action]),
    };
    Ok(Value::object([
        ("service_identifier", Value::string(&service)),
        ("listener_identifier", Value::string(&listener)),
        ("id", get("id")),
        ("listener_id", get("listener_id")),
        ("arn", get("arn")),
        ("name", get("name")),
        ("port", get("port")),
        ("protocol", get("protocol")),
        ("service_arn", get("service_arn")),
        ("service_id", get("service_identifier")),
        ("default_action", default_action),
        ("tags", Value::Map(BTreeMap::new())),
    ]))
}

/// The auth policy of a network or service. A resource without one is an error, as in
/// Terraform: a data source that finds nothing fails the plan.
async fn auth_policy_data(
    c: &aws_sdk_vpclattice::Client,
    config: &Value,
) -> Result<Value, ProviderError> {
    let resource = s(config, "resource_identifier")
        .ok_or_else(|| invalid("resource_identifier is required"))?;
    let found = auth_policy::get(c, &resource)
        .await
        .map_err(|e| not_found_as(e, format!("{resource} has no auth policy")))?;
    Ok(pick(
        &found,
        &["resource_identifier", "policy", "state"],
        &resource,
    ))
}

/// The resource policy of a network or service, by ARN.
async fn resource_policy_data(
    c: &aws_sdk_vpclattice::Client,
    config: &Value,
) -> Result<Value, ProviderError> {
    let arn = s(config, "resource_arn").ok_or_else(|| invalid("resource_arn is required"))?;
    let found = resource_policy::get(c, &arn)
        .await
        .map_err(|e| not_found_as(e, format!("{arn} has no resource policy")))?;
    Ok(pick(&found, &["resource_arn", "policy"], &arn))
}

/// `keys` of `value`, plus `id`.
fn pick(value: &Value, keys: &[&str], id: &str) -> Value {
    let mut out = Value::Map(
        keys.iter()
            .map(|k| (k.to_string(), value.get(k).cloned().unwrap_or(Value::Null)))
            .collect(),
    );
    out.set_path(&Path::from_keys(["id"]), Value::string(id));
    out
}

fn not_found_as(e: ProviderError, message: String) -> ProviderError {
    if is_not_found(&e) {
        ProviderError::new(ErrorKind::NotFound, message)
    } else {
        e
    }
}
