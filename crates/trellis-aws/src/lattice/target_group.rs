//! `aws_vpclattice_target_group`: where listeners and rules forward to.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_vpclattice::types::{
    IpAddressType, LambdaEventStructureVersion, TargetGroupConfig, TargetGroupProtocol,
    TargetGroupProtocolVersion, TargetGroupType,
};
use aws_sdk_vpclattice::Client;
use trellis_provider::{AttributeDiagnostic, Block, Nesting, ProviderError, ResourceSchema};
use trellis_types::{Path, Value};

use super::blocks::health_check_block;
use super::checks::{check_enum, check_name, check_port};
use super::convert::{health_check_from_sdk, health_check_to_sdk};
use super::{
    drop_failure, id_of, stamp_value, wait_active, wait_gone, LatticeType, DEFAULT_CREATE_TIMEOUT,
    DEFAULT_DELETE_TIMEOUT, STAMP,
};
use crate::sdk::convert::{block, n, opt_num, opt_str, s, timeout};
use crate::sdk::error::{required, sdk};
use crate::sdk::schema::{
    comp, id_arn, number, opt, opt_comp, req, resource, string, tagged, timeouts,
};
use crate::sdk::wait::delete_retrying;

pub(crate) const NAME: &str = "aws_vpclattice_target_group";

#[derive(Clone, Copy)]
pub(crate) struct TargetGroup;

#[async_trait]
impl LatticeType for TargetGroup {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema(&self) -> ResourceSchema {
        let mut target_group = timeouts(tagged(id_arn(
            Block::new()
                .attr("name", req(string()).force_new())
                .attr("type", req(string()).force_new())
                .attr("status", comp(string()))
                .block(
                    "config",
                    Nesting::Single,
                    Block::new()
                        .attr("port", opt(number()).force_new())
                        .attr("protocol", opt(string()).force_new())
                        .attr("protocol_version", opt_comp(string()).force_new())
                        .attr("ip_address_type", opt_comp(string()).force_new())
                        .attr("vpc_identifier", opt(string()).force_new())
                        .attr(
                            "lambda_event_structure_version",
                            opt_comp(string()).force_new(),
                        )
                        .block("health_check", Nesting::Single, health_check_block()),
                ),
        )));
        if let Some(config) = target_group.blocks.get_mut("config") {
            config.max_items = Some(1);
        }
        resource(
            "a VPC Lattice target group",
            "target group ID",
            target_group,
        )
    }

    fn validate(&self, config: &Value, out: &mut Vec<AttributeDiagnostic>) {
        check_name(config, Some("tg-"), (3, 128), out);
        check_enum(
            config.get("type"),
            Path::from_keys(["type"]),
            &["IP", "LAMBDA", "INSTANCE", "ALB"],
            out,
        );
        if let Some(cfg) = block(config, "config") {
            check_port(cfg.get("port"), Path::from_keys(["config", "port"]), out);
            check_enum(
                cfg.get("protocol"),
                Path::from_keys(["config", "protocol"]),
                &["HTTP", "HTTPS", "TCP"],
                out,
            );
            check_enum(
                cfg.get("protocol_version"),
                Path::from_keys(["config", "protocol_version"]),
                &["HTTP1", "HTTP2", "GRPC"],
                out,
            );
            if let Some(hc) = block(cfg, "health_check") {
                check_port(
                    hc.get("port"),
                    Path::from_keys(["config", "health_check", "port"]),
                    out,
                );
            }
        }
    }

    fn plan_rules(&self, prior: &Value, planned: &mut Value) {
        // A LAMBDA group written without a `config` block (as Lambda examples do) reads back
        // with Lattice's default event structure version: that default is not a change.
        if block(planned, "config").is_none() {
            if let Some(old) = block(prior, "config").filter(|c| only_lambda_default(c)) {
                if let Value::Map(fields) = planned {
                    fields.insert("config".into(), old.clone());
                }
            }
            return;
        }
        // Health check settings that the configuration leaves out are server defaults.
        let path = Path::from_keys(["config", "health_check"]);
        let unset = planned.get_path(&path).is_none_or(Value::is_null);
        if let (true, Some(old)) = (unset, prior.get_path(&path)) {
            if block(planned, "config").is_some() {
                planned.set_path(&path, old.clone());
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
        let config = block(planned, "config").map(|cfg| {
            TargetGroupConfig::builder()
                .set_port(n(cfg, "port"))
                .set_protocol(s(cfg, "protocol").map(|p| TargetGroupProtocol::from(p.as_str())))
                .set_protocol_version(
                    s(cfg, "protocol_version")
                        .map(|p| TargetGroupProtocolVersion::from(p.as_str())),
                )
                .set_ip_address_type(
                    s(cfg, "ip_address_type").map(|p| IpAddressType::from(p.as_str())),
                )
                .set_vpc_identifier(s(cfg, "vpc_identifier"))
                .set_lambda_event_structure_version(
                    s(cfg, "lambda_event_structure_version")
                        .map(|p| LambdaEventStructureVersion::from(p.as_str())),
                )
                .set_health_check(block(cfg, "health_check").map(health_check_to_sdk))
                .build()
        });
        let o = c
            .create_target_group()
            .client_token(token)
            .name(required(planned, "name")?)
            .r#type(TargetGroupType::from(required(planned, "type")?.as_str()))
            .set_config(config)
            .set_tags(tags)
            .send()
            .await
            .map_err(sdk)?;
        let id = o.id().unwrap_or_default().to_string();
        wait_active("target group to become ACTIVE", limit, || get(c, &id))
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
        let before = block(prior, "config").and_then(|c| c.get("health_check"));
        let after = block(planned, "config").and_then(|c| block(c, "health_check"));
        if let (Some(after), true) = (after, before != after) {
            c.update_target_group()
                .target_group_identifier(&id)
                .health_check(health_check_to_sdk(after))
                .send()
                .await
                .map_err(sdk)?;
        }
        let limit = timeout(planned, "update", DEFAULT_CREATE_TIMEOUT);
        wait_active("target group to become ACTIVE", limit, || get(c, &id))
            .await
            .map(drop_failure)
    }

    async fn delete(&self, c: &Client, prior: &Value) -> Result<(), ProviderError> {
        let limit = timeout(prior, "delete", DEFAULT_DELETE_TIMEOUT);
        let id = id_of(prior)?;
        delete_retrying(limit, || async {
            c.delete_target_group()
                .target_group_identifier(&id)
                .send()
                .await
                .map(drop)
                .map_err(sdk)
        })
        .await?;
        wait_gone("target group to be deleted", limit, || get(c, &id)).await
    }

    async fn exists_like(&self, c: &Client, planned: &Value) -> Result<bool, ProviderError> {
        let name = s(planned, "name").unwrap_or_default();
        let o = c
            .list_target_groups()
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
        pager!(c.list_target_groups(), |x| stamped!(x, status))
    }

    fn drop_defaults(&self, arguments: &mut BTreeMap<String, Value>) {
        if let Some(Value::Map(config)) = arguments.get_mut("config") {
            drop_target_group_defaults(config);
        }
    }
}

async fn get(c: &Client, id: &str) -> Result<Value, ProviderError> {
    let o = c
        .get_target_group()
        .target_group_identifier(id)
        .send()
        .await
        .map_err(sdk)?;
    let config = o.config().map(|cfg| {
        Value::object([
            ("port", opt_num(cfg.port())),
            ("protocol", opt_str(cfg.protocol().map(|p| p.as_str()))),
            (
                "protocol_version",
                opt_str(cfg.protocol_version().map(|p| p.as_str())),
            ),
            (
                "ip_address_type",
                opt_str(cfg.ip_address_type().map(|p| p.as_str())),
            ),
            ("vpc_identifier", opt_str(cfg.vpc_identifier())),
            (
                "lambda_event_structure_version",
                opt_str(cfg.lambda_event_structure_version().map(|p| p.as_str())),
            ),
            ("health_check", health_check_from_sdk(cfg.health_check())),
        ])
    });
    Ok(Value::object([
        (STAMP, stamp_value(o.last_updated_at())),
        ("id", opt_str(o.id())),
        ("arn", opt_str(o.arn())),
        ("name", opt_str(o.name())),
        ("type", opt_str(o.r#type().map(|t| t.as_str()))),
        ("status", opt_str(o.status().map(|x| x.as_str()))),
        ("config", config.unwrap_or(Value::Null)),
        ("failure_message", opt_str(o.failure_message())),
    ]))
}

/// Whether a read-back `config` holds nothing but the event structure version Lattice gives
/// a LAMBDA target group created without one (`V1`).
fn only_lambda_default(config: &Value) -> bool {
    let Some(fields) = config.as_map() else {
        return false;
    };
    fields.iter().all(|(k, v)| match k.as_str() {
        "lambda_event_structure_version" => v.as_str() == Some("V1"),
        _ => v.is_null(),
    })
}

/// Lattice's defaults in a target group's `config`: IPv4, HTTP/1.1, and the default health
/// check (every 30 s with a 5 s timeout, 5 healthy and 2 unhealthy, `GET /` expecting 200 on
/// the group's own port and protocol). Leaving them out keeps the current values: the
/// provider carries over what the configuration does not set.
fn drop_target_group_defaults(config: &mut BTreeMap<String, Value>) {
    let text =
        |m: &BTreeMap<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let number = |m: &BTreeMap<String, Value>, k: &str| m.get(k).and_then(Value::as_number);
    if text(config, "ip_address_type").as_deref() == Some("IPV4") {
        config.remove("ip_address_type");
    }
    let protocol = text(config, "protocol");
    let http = matches!(protocol.as_deref(), Some("HTTP") | Some("HTTPS"));
    if http && text(config, "protocol_version").as_deref() == Some("HTTP1") {
        config.remove("protocol_version");
    }
    let port = number(config, "port");
    let default_check = match config.get("health_check") {
        Some(Value::Map(h)) => {
            let matcher = h
                .get("matcher")
                .and_then(|m| m.get("value"))
                .and_then(Value::as_str);
            h.get("enabled").and_then(Value::as_bool) == Some(true)
                && number(h, "health_check_interval_seconds") == Some(30.0)
                && number(h, "health_check_timeout_seconds") == Some(5.0)
                && number(h, "healthy_threshold_count") == Some(5.0)
                && number(h, "unhealthy_threshold_count") == Some(2.0)
                && text(h, "path").as_deref() == Some("/")
                && matcher == Some("200")
                && number(h, "port") == port
                && text(h, "protocol") == protocol
                && matches!(text(h, "protocol_version").as_deref(), None | Some("HTTP1"))
        }
        _ => false,
    };
    if default_check {
        config.remove("health_check");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lambda_group(config: Value) -> Value {
        Value::object([
            ("name", Value::string("fn")),
            ("type", Value::string("LAMBDA")),
            ("config", config),
        ])
    }

    #[test]
    fn a_lambda_group_without_config_keeps_the_default_event_version() {
        let read_back = Value::object([
            ("port", Value::Null),
            ("vpc_identifier", Value::Null),
            ("lambda_event_structure_version", Value::string("V1")),
            ("health_check", Value::Null),
        ]);
        let prior = lambda_group(read_back.clone());
        let mut planned = lambda_group(Value::Null);
        TargetGroup.plan_rules(&prior, &mut planned);
        assert_eq!(planned.get("config"), Some(&read_back));
    }

    #[test]
    fn a_chosen_event_version_left_out_is_still_a_change() {
        let prior = lambda_group(Value::object([(
            "lambda_event_structure_version",
            Value::string("V2"),
        )]));
        let mut planned = lambda_group(Value::Null);
        TargetGroup.plan_rules(&prior, &mut planned);
        assert_eq!(planned.get("config"), Some(&Value::Null));
    }
}
