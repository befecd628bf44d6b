//! `aws_vpclattice_resource_configuration`: a resource (by DNS name, IP address or ARN)
//! reached through a resource gateway, or a group of them. Types: `SINGLE` (one resource on
//! a gateway), `GROUP` (a gateway and ports for its `CHILD` configurations), `CHILD` (one
//! resource of a group) and `ARN` (an AWS resource by its ARN, ports chosen by AWS).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use async_trait::async_trait;
use aws_sdk_vpclattice::types::{
    ArnResource, DnsResource, IpResource, ProtocolType, ResourceConfigurationDefinition,
    ResourceConfigurationIpAddressType, ResourceConfigurationType,
};
use aws_sdk_vpclattice::Client;
use trellis_provider::{AttributeDiagnostic, Block, Nesting, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::checks::{check_enum, check_name};
use super::resource_gateway::sorted_set;
use super::{
    drop_failure, id_of, stamp_value, wait_active, wait_gone, LatticeType, DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT, STAMP,
};
use crate::sdk::convert::{b, block, opt_bool, opt_str, s, string_list, timeout};
use crate::sdk::error::{invalid, required, sdk};
use crate::sdk::schema::{
    comp, id_arn, opt, opt_comp, req, resource, string, string_set, tagged, timeouts,
};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_resource_configuration";

const DEFINITION: &str = "resource_configuration_definition";
const KINDS: [&str; 3] = ["dns_resource", "ip_resource", "arn_resource"];

#[derive(Clone, Copy)]
pub(crate) struct ResourceConfiguration;

#[async_trait]
impl LatticeType for ResourceConfiguration {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        let definition = one(
            one(
                one(
                    Block::new(),
                    "dns_resource",
                    Block::new()
                        .attr("domain_name", req(string()))
                        .attr("ip_address_type", req(string())),
                ),
                "ip_resource",
                Block::new().attr("ip_address", req(string())),
            ),
            "arn_resource",
            // AWS cannot change the ARN of a configuration in place.
            Block::new().attr("arn", req(string()).force_new()),
        );
        resource(
            "a VPC Lattice resource configuration",
            "resource configuration ID",
            timeouts(tagged(id_arn(one(
                Block::new()
                    .attr("name", req(string()).force_new())
                    .attr("type", opt_comp(string()).force_new())
                    .attr(
                        "resource_gateway_identifier",
                        opt_comp(string()).force_new(),
                    )
                    .attr("resource_configuration_group_id", opt(string()).force_new())
                    .attr("port_ranges", opt_comp(string_set()))
                    .attr("protocol", opt_comp(string()).force_new())
                    .attr(
                        "allow_association_to_shareable_service_network",
                        opt_comp(trellis_provider::AttrType::Bool),
                    )
                    .attr("status", comp(string())),
                DEFINITION,
                definition,
            )))),
        )
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_name(config, Some("rcfg-"), (3, 40), out);
        check_enum(
            config.get("type"),
            Path::from_keys(["type"]),
            &["SINGLE", "GROUP", "CHILD", "ARN"],
            out,
        );
        check_enum(
            config.get("protocol"),
            Path::from_keys(["protocol"]),
            &["TCP"],
            out,
        );
        for range in list_items(config, "port_ranges") {
            if let Some(text) = range.as_str() {
                if let Some(problem) = port_range_problem(text) {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys(["port_ranges"]),
                        format!("invalid port range {text:?}: {problem}"),
                    ));
                }
            }
        }
        let definition = block(config, DEFINITION);
        let given: Vec<&str> = definition
            .map(|d| {
                KINDS
                    .into_iter()
                    .filter(|k| block(d, k).is_some())
                    .collect()
            })
            .unwrap_or_default();
        if definition.is_some()
            && given.len() != 1
            && !config.get(DEFINITION).is_some_and(Value::contains_unknown)
        {
            out.push(AttributeDiagnostic::error(
                Path::from_keys([DEFINITION]),
                format!(
                    "{DEFINITION} takes exactly one of dns_resource, ip_resource and \
                     arn_resource ({} given)",
                    given.len()
                ),
            ));
        }
        if let Some(d) = definition {
            if let Some(dns) = block(d, "dns_resource") {
                check_enum(
                    dns.get("ip_address_type"),
                    Path::from_keys([DEFINITION, "dns_resource", "ip_address_type"]),
                    &["IPV4", "IPV6", "DUALSTACK"],
                    out,
                );
            }
            if let Some(ip) = block(d, "ip_resource").and_then(|b| b.get("ip_address")) {
                if let Some(text) = ip.as_str() {
                    if text.parse::<IpAddr>().is_err() {
                        out.push(AttributeDiagnostic::error(
                            Path::from_keys([DEFINITION, "ip_resource", "ip_address"]),
                            format!("{text:?} is not an IPv4 or IPv6 address"),
                        ));
                    }
                }
            }
            if let Some(arn) = block(d, "arn_resource").and_then(|b| b.get("arn")) {
                if arn.as_str().is_some_and(|a| !a.starts_with("arn:")) {
                    out.push(AttributeDiagnostic::error(
                        Path::from_keys([DEFINITION, "arn_resource", "arn"]),
                        "arn must start with \"arn:\"",
                    ));
                }
            }
        }
        check_type_rules(config, definition, &given, out);
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
        let kind = s(planned, "type").unwrap_or_else(|| "SINGLE".to_string());
        let ports = string_list(planned, "port_ranges");
        let o = c
            .create_resource_configuration()
            .client_token(token)
            .name(required(planned, "name")?)
            .r#type(ResourceConfigurationType::from(kind.as_str()))
            .set_resource_gateway_identifier(s(planned, "resource_gateway_identifier"))
            .set_resource_configuration_group_identifier(s(
                planned,
                "resource_configuration_group_id",
            ))
            .set_port_ranges((!ports.is_empty()).then_some(ports))
            .set_protocol(s(planned, "protocol").map(|p| ProtocolType::from(p.as_str())))
            .set_allow_association_to_shareable_service_network(b(
                planned,
                "allow_association_to_shareable_service_network",
            ))
            .set_resource_configuration_definition(definition_to_sdk(planned)?)
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        let id = o.id().unwrap_or_default().to_string();
        wait_active("resource configuration to become ACTIVE", limit, || {
            get(c, &id)
        })
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
        let ports_changed = prior.get("port_ranges") != planned.get("port_ranges");
        let allow_changed = prior.get("allow_association_to_shareable_service_network")
            != planned.get("allow_association_to_shareable_service_network");
        let definition_changed = prior.get(DEFINITION) != planned.get(DEFINITION);
        if ports_changed || allow_changed || definition_changed {
            let mut request = c
                .update_resource_configuration()
                .resource_configuration_identifier(&id);
            if ports_changed {
                request = request.set_port_ranges(Some(string_list(planned, "port_ranges")));
            }
            if allow_changed {
                request = request.set_allow_association_to_shareable_service_network(b(
                    planned,
                    "allow_association_to_shareable_service_network",
                ));
            }
            if definition_changed {
                request =
                    request.set_resource_configuration_definition(definition_to_sdk(planned)?);
            }
            request.send().await.map_err(sdk)?;
        }
        let limit = timeout(planned, "update", DEFAULT_CREATE_TIMEOUT);
        wait_active("resource configuration to become ACTIVE", limit, || {
            get(c, &id)
        })
        .await
        .map(drop_failure)
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_resource_configuration()
                .resource_configuration_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await?;
        wait_gone("resource configuration to be deleted", limit, || {
            get(c, &id)
        })
        .await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let name = s(planned, "name").unwrap_or_default();
        let o = c
            .list_resource_configurations()
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
        pager!(c.list_resource_configurations(), |x| stamped!(x, status))
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        if arguments
            .get("allow_association_to_shareable_service_network")
            .and_then(Value::as_bool)
            == Some(false)
        {
            arguments.remove("allow_association_to_shareable_service_network");
        }
        if arguments.get("type").and_then(Value::as_str) == Some("SINGLE") {
            arguments.remove("type");
        }
        if arguments.get("protocol").and_then(Value::as_str) == Some("TCP") {
            arguments.remove("protocol");
        }
        // A child's gateway is its group's: the configuration names the group only.
        if arguments.contains_key("resource_configuration_group_id") {
            arguments.remove("resource_gateway_identifier");
        }
    }
}

/// `parent` with the single nested block `name` (at most one, as Terraform's list blocks of
/// one item).
fn one(parent: Block, name: &str, child: Block) -> Block {
    let mut parent = parent.block(name, Nesting::Single, child);
    if let Some(nested) = parent.blocks.get_mut(name) {
        nested.max_items = Some(1);
    }
    parent
}

fn list_items<'a>(config: &'a Value, key: &str) -> &'a [Value] {
    config.get(key).and_then(Value::as_list).unwrap_or_default()
}

/// What is wrong with a port range (`PORT` or `FROM-TO`), if anything.
pub(crate) fn port_range_problem(text: &str) -> Option<String> {
    let bounds: Vec<&str> = text.split('-').collect();
    if bounds.len() > 2 {
        return Some("it is a port or FROM-TO".into());
    }
    let mut ports = Vec::new();
    for bound in &bounds {
        match bound.parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => ports.push(p),
            Ok(_) => return Some("ports are 1 to 65535".into()),
            Err(_) => return Some("it is a port or FROM-TO".into()),
        }
    }
    if ports.len() == 2 && ports[0] > ports[1] {
        return Some("the range ends before it starts".into());
    }
    None
}

/// Which arguments each `type` takes, as Lattice's API requires them. Skipped while `type`
/// or the argument in question is unknown.
fn check_type_rules(
    config: &Value,
    definition: Option<&Value>,
    given: &[&str],
    out: &mut Vec<AttributeDiagnostic>,
) {
    let kind = match config.get("type") {
        Some(Value::Unknown) => return,
        Some(Value::String(k)) => k.as_str(),
        _ => "SINGLE",
    };
    let set = |key: &str| config.get(key).is_some_and(|v| !v.is_null());
    let mut err = |key: &str, message: String| {
        out.push(AttributeDiagnostic::error(Path::from_keys([key]), message));
    };
    let gateway = set("resource_gateway_identifier");
    let group = set("resource_configuration_group_id");
    let ports = set("port_ranges");
    match kind {
        "CHILD" => {
            if !group {
                err(
                    "resource_configuration_group_id",
                    "a CHILD resource configuration needs resource_configuration_group_id".into(),
                );
            }
            if gateway {
                err(
                    "resource_gateway_identifier",
                    "a CHILD resource configuration takes the resource gateway of its group".into(),
                );
            }
            if set("protocol") {
                err(
                    "protocol",
                    "a CHILD resource configuration takes the protocol of its group".into(),
                );
            }
        }
        "SINGLE" | "GROUP" | "ARN" => {
            if !gateway {
                err(
                    "resource_gateway_identifier",
                    format!("a {kind} resource configuration needs resource_gateway_identifier"),
                );
            }
            if group {
                err(
                    "resource_configuration_group_id",
                    format!("only a CHILD resource configuration belongs to a group, not a {kind}"),
                );
            }
        }
        _ => return,
    }
    match kind {
        "GROUP" => {
            if definition.is_some() {
                err(
                    DEFINITION,
                    format!("a GROUP resource configuration has no {DEFINITION}"),
                );
            }
        }
        _ => {
            if definition.is_none() && !config.get(DEFINITION).is_some_and(Value::is_unknown) {
                err(
                    DEFINITION,
                    format!("a {kind} resource configuration needs {DEFINITION}"),
                );
            }
        }
    }
    if kind == "ARN" {
        if ports {
            err(
                "port_ranges",
                "an ARN resource configuration takes no port_ranges (AWS sets them)".into(),
            );
        }
        if set("protocol") {
            err(
                "protocol",
                "an ARN resource configuration takes no protocol".into(),
            );
        }
        if given.len() == 1 && given[0] != "arn_resource" {
            err(
                DEFINITION,
                format!(
                    "an ARN resource configuration is defined by arn_resource, not {}",
                    given[0]
                ),
            );
        }
    } else {
        if given == ["arn_resource"] {
            err(
                DEFINITION,
                format!("arn_resource is only for type ARN, not {kind}"),
            );
        }
        if matches!(kind, "SINGLE" | "CHILD") && !ports {
            err(
                "port_ranges",
                format!("a {kind} resource configuration needs port_ranges"),
            );
        }
    }
}

fn definition_to_sdk(
    planned: &Value,
) -> Result<Option<ResourceConfigurationDefinition>, ProviderError> {
    let Some(d) = block(planned, DEFINITION) else {
        return Ok(None);
    };
    if let Some(dns) = block(d, "dns_resource") {
        return Ok(Some(ResourceConfigurationDefinition::DnsResource(
            DnsResource::builder()
                .set_domain_name(s(dns, "domain_name"))
                .set_ip_address_type(
                    s(dns, "ip_address_type")
                        .map(|t| ResourceConfigurationIpAddressType::from(t.as_str())),
                )
                .build(),
        )));
    }
    if let Some(ip) = block(d, "ip_resource") {
        return Ok(Some(ResourceConfigurationDefinition::IpResource(
            IpResource::builder()
                .set_ip_address(s(ip, "ip_address"))
                .build(),
        )));
    }
    if let Some(arn) = block(d, "arn_resource") {
        return Ok(Some(ResourceConfigurationDefinition::ArnResource(
            ArnResource::builder().set_arn(s(arn, "arn")).build(),
        )));
    }
    Err(invalid(format!(
        "{DEFINITION} takes one of dns_resource, ip_resource and arn_resource"
    )))
}

fn definition_from_sdk(d: Option<&ResourceConfigurationDefinition>) -> Value {
    let one = |kind: &str, v: Value| {
        let mut m = BTreeMap::new();
        for k in KINDS {
            m.insert(k.to_string(), Value::Null);
        }
        m.insert(kind.to_string(), v);
        Value::Map(m)
    };
    match d {
        Some(ResourceConfigurationDefinition::DnsResource(x)) => one(
            "dns_resource",
            Value::object([
                ("domain_name", opt_str(x.domain_name())),
                (
                    "ip_address_type",
                    opt_str(x.ip_address_type().map(|t| t.as_str())),
                ),
            ]),
        ),
        Some(ResourceConfigurationDefinition::IpResource(x)) => one(
            "ip_resource",
            Value::object([("ip_address", opt_str(x.ip_address()))]),
        ),
        Some(ResourceConfigurationDefinition::ArnResource(x)) => {
            one("arn_resource", Value::object([("arn", opt_str(x.arn()))]))
        }
        _ => Value::Null,
    }
}

async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_resource_configuration()
        .resource_configuration_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("type", opt_str(o.r#type().map(|x| x.as_str()))),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        (
            "resource_gateway_identifier",
            opt_str(o.resource_gateway_id()),
        ),
        (
            "resource_configuration_group_id",
            opt_str(o.resource_configuration_group_id()),
        ),
        ("port_ranges", sorted_set(o.port_ranges())),
        ("protocol", opt_str(o.protocol().map(|x| x.as_str()))),
        (
            "allow_association_to_shareable_service_network",
            opt_bool(o.allow_association_to_shareable_service_network()),
        ),
        (
            DEFINITION,
            definition_from_sdk(o.resource_configuration_definition()),
        ),
        ("failure_message", opt_str(o.failure_reason())),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostics(config: Value) -> Vec<String> {
        let mut out = Vec::new();
        ResourceConfiguration.validate(&config, &mut out);
        out.into_iter()
            .map(|d| format!("{:?}: {}", d.path, d.summary))
            .collect()
    }

    fn ip(address: &str) -> Value {
        Value::object([(
            "ip_resource",
            Value::object([("ip_address", Value::string(address))]),
        )])
    }

    #[test]
    fn port_ranges() {
        assert_eq!(port_range_problem("5432"), None);
        assert_eq!(port_range_problem("1-65535"), None);
        assert!(port_range_problem("0").is_some());
        assert!(port_range_problem("70000").is_some());
        assert!(port_range_problem("90-80").is_some());
        assert!(port_range_problem("1-2-3").is_some());
        assert!(port_range_problem("http").is_some());
    }

    #[test]
    fn a_single_configuration_needs_a_gateway_ports_and_one_definition() {
        let ok = Value::object([
            ("name", Value::string("orders-db")),
            ("resource_gateway_identifier", Value::string("rgw-1")),
            ("port_ranges", Value::List(vec![Value::string("5432")])),
            (DEFINITION, ip("10.0.1.5")),
        ]);
        assert_eq!(diagnostics(ok.clone()), Vec::<String>::new());
        let mut bare = ok.clone();
        bare.set_path(
            &Path::from_keys(["resource_gateway_identifier"]),
            Value::Null,
        );
        bare.set_path(&Path::from_keys(["port_ranges"]), Value::Null);
        let got = diagnostics(bare);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].contains("needs resource_gateway_identifier"),
            "{got:?}"
        );
        assert!(got[1].contains("needs port_ranges"), "{got:?}");
        let mut bad_ip = ok.clone();
        bad_ip.set_path(&Path::from_keys([DEFINITION]), ip("10.0.1"));
        assert!(diagnostics(bad_ip)[0].contains("is not an IPv4 or IPv6 address"));
        let mut unknown = ok;
        unknown.set_path(
            &Path::from_keys(["resource_gateway_identifier"]),
            Value::Unknown,
        );
        assert_eq!(diagnostics(unknown), Vec::<String>::new());
    }

    #[test]
    fn type_rules() {
        let child = Value::object([
            ("name", Value::string("replica")),
            ("type", Value::string("CHILD")),
            ("resource_gateway_identifier", Value::string("rgw-1")),
            ("port_ranges", Value::List(vec![Value::string("5432")])),
            (DEFINITION, ip("10.0.1.5")),
        ]);
        let got = diagnostics(child);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got
            .iter()
            .any(|d| d.contains("needs resource_configuration_group_id")));
        assert!(got
            .iter()
            .any(|d| d.contains("takes the resource gateway of its group")));
        let arn = Value::object([
            ("name", Value::string("orders-rds")),
            ("type", Value::string("ARN")),
            ("resource_gateway_identifier", Value::string("rgw-1")),
            ("port_ranges", Value::List(vec![Value::string("5432")])),
            (DEFINITION, ip("10.0.1.5")),
        ]);
        let got = diagnostics(arn);
        assert!(
            got.iter().any(|d| d.contains("takes no port_ranges")),
            "{got:?}"
        );
        assert!(
            got.iter().any(|d| d.contains("is defined by arn_resource")),
            "{got:?}"
        );
        let group = Value::object([
            ("name", Value::string("dbs")),
            ("type", Value::string("GROUP")),
            ("resource_gateway_identifier", Value::string("rgw-1")),
            (DEFINITION, ip("10.0.1.5")),
        ]);
        assert!(diagnostics(group)[0].contains("has no resource_configuration_definition"));
    }

    #[test]
    fn definition_round_trips_through_the_sdk() {
        let planned = Value::object([(
            DEFINITION,
            Value::object([(
                "dns_resource",
                Value::object([
                    ("domain_name", Value::string("db.example")),
                    ("ip_address_type", Value::string("IPV4")),
                ]),
            )]),
        )]);
        let sdk = definition_to_sdk(&planned).expect("converts");
        let back = definition_from_sdk(sdk.as_ref());
        assert_eq!(
            back.get("dns_resource").and_then(|d| d.get("domain_name")),
            Some(&Value::string("db.example"))
        );
        assert_eq!(back.get("ip_resource"), Some(&Value::Null));
    }
}
